/* corpus.c - see corpus.h */
#include "config.h"
#include "corpus.h"
#include "jsonl.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct corpus_ctx {
	corpus *c;
	saex_tok *tok;
	size_t ctx, max, cap_ids, cap_off;
	int64_t bos;
} corpus_ctx;

static int corpus_full(const corpus_ctx *x)
{
	if (x->max)
		return x->c->n >= x->max;
	/* without --prompts: a stated bound on the ids kept */
	if (x->c->off[x->c->n] >= CORPUS_MAX_TOKENS) {
		x->c->capped = 1;
		return 1;
	}
	return 0;
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

static int corpus_jsonl(corpus_ctx *x, const char *path, jsonl *j, saex_err *e)
{
	const char *s;
	size_t len;
	int r = 0, rc = 0;
	while (rc == 0 && !corpus_full(x) && (r = jsonl_next(j, &s, &len, e)) == 1) {
		if (corpus_blank(s, len))
			continue;
		json_error_t je;
		json_t *row = json_loadb(s, len, 0, &je);
		if (!row) {
			rc = err_set(e, 2, "%s:%ld: not valid JSON: %s", path, jsonl_lineno(j), je.text);
			break;
		}
		json_t *t = json_object_get(row, "text");
		if (json_is_string(t))
			corpus_doc(x, json_string_value(t), json_string_length(t));
		else
			rc = err_set(e, 2, "%s:%ld: %s", path, jsonl_lineno(j),
			             json_is_object(row) ? "no \"text\" string" : "not a JSON object");
		json_decref(row);
	}
	return rc ? rc : r < 0 ? 2 : 0;
}

/* Whether the plain text holds a blank line: a file is read through once
 * (a second reader, bounded memory); a pipe, read only once, is looked at
 * as far as JSONL_MAX_LINE ahead. 1, 0, or -1 with *e set. */
static int corpus_has_blank(const char *path, jsonl *j, saex_err *e)
{
	if (jsonl_is_pipe(j))
		return jsonl_peek_blank(j, JSONL_MAX_LINE, e);
	jsonl *k;
	if (jsonl_open(&k, path, e))
		return -1;
	const char *s;
	size_t len;
	int r, para = 0;
	while (!para && (r = jsonl_next_raw(k, &s, &len, e)) == 1)
		para = len && s[len - 1] == '\n' && corpus_blank(s, len - 1);
	jsonl_close(k);
	return r < 0 ? -1 : para;
}

static int corpus_text(corpus_ctx *x, const char *path, jsonl *j, saex_err *e)
{
	const char *s;
	size_t len;
	int r = 0;
	sb para = {0}; /* the paragraph being collected, inner newlines kept */
	int have = 0, rc = 0;
	while (!corpus_full(x) && (r = jsonl_next_raw(j, &s, &len, e)) == 1) {
		if (len && s[len - 1] == '\n')
			len--;
		if (!x->c->paragraphs) {
			if (len && s[len - 1] == '\r')
				len--; /* a document a line: CRLF endings too */
			corpus_doc(x, s, len);
			continue;
		}
		if (corpus_blank(s, len)) {
			if (have)
				corpus_doc(x, para.p, para.n);
			have = 0;
			para.n = 0;
			continue;
		}
		if (para.n + len + 1 > JSONL_MAX_LINE) {
			rc = err_set(e, 2, "%s:%ld: a paragraph longer than %zu MiB (saex's limit for one document)", path,
			             jsonl_lineno(j), JSONL_MAX_LINE >> 20);
			break;
		}
		if (have)
			sb_addc(&para, '\n');
		sb_add(&para, s, len);
		have = 1;
	}
	if (rc == 0 && r < 0)
		rc = 2;
	if (rc == 0 && have)
		corpus_doc(x, para.p, para.n);
	sb_free(&para);
	return rc;
}

/* JSONL when the name says so or the first byte that is not white space
 * is '{'; 1, 0, or -1 with *e set. */
static int corpus_is_jsonl(const char *path, jsonl *j, saex_err *e)
{
	size_t pl = strlen(path);
	if ((pl >= 6 && strcmp(path + pl - 6, ".jsonl") == 0) || (pl >= 9 && strcmp(path + pl - 9, ".jsonl.gz") == 0))
		return 1;
	int ch, r = jsonl_peek(j, &ch, e);
	return r < 0 ? -1 : r == 1 && ch == '{';
}

int corpus_read(const char *path, saex_tok *tok, int bos, size_t ctx, size_t max_prompts, corpus *out,
                saex_err *e)
{
	memset(out, 0, sizeof *out);
	jsonl *j;
	if (jsonl_open(&j, path, e))
		return 2;
	corpus_ctx x = {out, tok, ctx, max_prompts, 0, 0, saex_tok_bos(tok)};
	if (ctx < 2 || !bos)
		x.bos = -1;
	out->off = xcalloc(2, sizeof *out->off);
	x.cap_off = 2;
	int rc = 0, r = corpus_is_jsonl(path, j, e);
	if (r < 0)
		rc = 2;
	out->jsonl = r == 1;
	if (rc == 0 && !out->jsonl && (r = corpus_has_blank(path, j, e)) < 0)
		rc = 2;
	out->paragraphs = !out->jsonl && r == 1;
	if (rc == 0)
		rc = out->jsonl ? corpus_jsonl(&x, path, j, e) : corpus_text(&x, path, j, e);
	jsonl_close(j);
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
