/* corpus.c - see corpus.h */
#include "config.h"
#include "corpus.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct corpus_ctx {
	corpus *c;
	saex_tok *tok;
	size_t ctx, max, cap_ids, cap_off;
	int64_t bos;
} corpus_ctx;

static int corpus_full(const corpus_ctx *x)
{
	return x->max && x->c->n >= x->max;
}

static void corpus_push(corpus_ctx *x, uint32_t id)
{
	corpus *c = x->c;
	size_t at = c->off[c->n + 1];
	if (at == x->cap_ids) {
		x->cap_ids = x->cap_ids ? x->cap_ids * 2 : 4096;
		c->ids = xrealloc(c->ids, x->cap_ids * sizeof *c->ids);
	}
	c->ids[at] = id;
	c->off[c->n + 1]++;
}

/* Closes the prompt being filled. */
static void corpus_end_prompt(corpus_ctx *x)
{
	corpus *c = x->c;
	if (c->n + 3 > x->cap_off) {
		x->cap_off = x->cap_off ? x->cap_off * 2 : 256;
		c->off = xrealloc(c->off, x->cap_off * sizeof *c->off);
	}
	c->n++;
	c->off[c->n + 1] = c->off[c->n];
}

static void corpus_doc(corpus_ctx *x, const char *text, size_t n)
{
	if (n == 0 || corpus_full(x))
		return;
	size_t cnt;
	uint32_t *ids = saex_tok_encode(x->tok, text, n, 0, &cnt);
	size_t piece = x->bos >= 0 ? x->ctx - 1 : x->ctx;
	if (cnt)
		x->c->n_docs++;
	for (size_t i = 0; i < cnt && !corpus_full(x); i += piece) {
		if (x->bos >= 0)
			corpus_push(x, (uint32_t)x->bos);
		for (size_t k = i; k < cnt && k < i + piece; k++)
			corpus_push(x, ids[k]);
		corpus_end_prompt(x);
	}
	free(ids);
}

static int corpus_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* The next line of f without its newline (kept NUL-terminated in *buf):
 * its length, or -1 at the end. *nl says whether a newline ended it. */
static ssize_t corpus_line(FILE *f, char **buf, size_t *cap, int *nl)
{
	ssize_t n = getline(buf, cap, f);
	if (n <= 0)
		return -1;
	*nl = (*buf)[n - 1] == '\n';
	if (*nl)
		(*buf)[--n] = '\0';
	return n;
}

static int corpus_jsonl(corpus_ctx *x, const char *path, FILE *f, saex_err *e)
{
	char *s = NULL;
	size_t cap = 0, line = 0;
	ssize_t len;
	int nl, rc = 0;
	while (rc == 0 && !corpus_full(x) && (len = corpus_line(f, &s, &cap, &nl)) >= 0) {
		line++;
		if (corpus_blank(s, (size_t)len))
			continue;
		json_error_t je;
		json_t *row = json_loadb(s, (size_t)len, 0, &je);
		if (!row) {
			rc = err_set(e, 2, "%s:%zu: not valid JSON: %s", path, line, je.text);
			break;
		}
		json_t *t = json_object_get(row, "text");
		if (json_is_string(t))
			corpus_doc(x, json_string_value(t), json_string_length(t));
		else
			rc = err_set(e, 2, "%s:%zu: %s", path, line,
			             json_is_object(row) ? "no \"text\" string" : "not a JSON object");
		json_decref(row);
	}
	free(s);
	return rc;
}

/* Whether f holds a blank line (ended by a newline); f is read through. */
static int corpus_has_blank(FILE *f)
{
	char *s = NULL;
	size_t cap = 0;
	ssize_t len;
	int nl, para = 0;
	while (!para && (len = corpus_line(f, &s, &cap, &nl)) >= 0)
		para = nl && corpus_blank(s, (size_t)len);
	free(s);
	return para;
}

static void corpus_text(corpus_ctx *x, FILE *f)
{
	char *s = NULL;
	size_t cap = 0;
	ssize_t len;
	int nl;
	sb para = {0}; /* the paragraph being collected, inner newlines kept */
	int have = 0;
	while (!corpus_full(x) && (len = corpus_line(f, &s, &cap, &nl)) >= 0) {
		if (!x->c->paragraphs) {
			if (len && s[len - 1] == '\r')
				len--;
			corpus_doc(x, s, (size_t)len);
			continue;
		}
		if (corpus_blank(s, (size_t)len)) {
			if (have)
				corpus_doc(x, para.p, para.n);
			have = 0;
			para.n = 0;
			continue;
		}
		if (have)
			sb_addc(&para, '\n');
		sb_add(&para, s, (size_t)len);
		have = 1;
	}
	if (have)
		corpus_doc(x, para.p, para.n);
	sb_free(&para);
	free(s);
}

/* Opens path for reading from the start more than once: the file itself,
 * or what a pipe or other unseekable file holds, read into *keep. */
static FILE *corpus_open(const char *path, sb *keep, saex_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		err_set(e, 2, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		err_set(e, 2, "%s: is a folder, not a corpus file", path);
		return NULL;
	}
	if (fseeko(f, 0, SEEK_SET) == 0)
		return f;
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_add(keep, chunk, k);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		err_set(e, 2, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	f = fmemopen(keep->n ? keep->p : (char *)"", keep->n, "rb");
	if (!f)
		err_set(e, 2, "%s: %s", path, strerror(errno));
	return f;
}

int corpus_read(const char *path, saex_tok *tok, int bos, size_t ctx, size_t max_prompts, corpus *out,
                saex_err *e)
{
	memset(out, 0, sizeof *out);
	sb keep = {0};
	FILE *f = corpus_open(path, &keep, e);
	if (!f) {
		sb_free(&keep);
		return 2;
	}
	corpus_ctx x = {out, tok, ctx, max_prompts, 0, 0, saex_tok_bos(tok)};
	if (ctx < 2 || !bos)
		x.bos = -1;
	out->off = xcalloc(2, sizeof *out->off);
	x.cap_off = 2;
	int ch;
	while ((ch = getc(f)) == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
		;
	size_t pl = strlen(path);
	out->jsonl = (pl >= 6 && strcmp(path + pl - 6, ".jsonl") == 0) || ch == '{';
	int rc = 0;
	if (!out->jsonl) {
		rewind(f);
		out->paragraphs = corpus_has_blank(f);
	}
	rewind(f);
	if (out->jsonl)
		rc = corpus_jsonl(&x, path, f, e);
	else
		corpus_text(&x, f);
	if (rc == 0 && ferror(f))
		rc = err_set(e, 2, "%s: cannot read: %s", path, strerror(errno));
	fclose(f);
	sb_free(&keep);
	if (rc == 0 && out->n == 0)
		rc = err_set(e, 2, "%s: no text to build from (an empty corpus)", path);
	if (rc) {
		corpus_free(out);
		return 2;
	}
	return 0;
}

void corpus_free(corpus *c)
{
	free(c->ids);
	free(c->off);
	memset(c, 0, sizeof *c);
}

void corpus_eval_opts(const saex_tok *tok, uint32_t **ids, saex_eval_opts *o)
{
	int64_t bos = saex_tok_bos(tok);
	uint32_t V = saex_tok_vocab_size(tok);
	size_t n = 0, cap = 8;
	uint32_t *l = xmalloc(cap * sizeof *l);
	for (uint32_t id = 0; id < V; id++)
		if (saex_tok_is_special(tok, id) || (int64_t)id == bos) {
			if (n == cap)
				l = xrealloc(l, (cap *= 2) * sizeof *l);
			l[n++] = id;
		}
	*ids = l;
	o->exclude = n ? l : NULL;
	o->n_exclude = n;
}

int corpus_check_vocab(const corpus *c, const char *path, uint32_t vocab, saex_err *e)
{
	for (size_t i = 0; i < c->off[c->n]; i++)
		if (c->ids[i] >= vocab)
			return err_set(e, 2, "%s: token id %u is past the model's vocabulary size %u", path, c->ids[i],
			               vocab);
	return 0;
}
