/* corpus.c - see corpus.h */
#include "config.h"
#include "corpus.h"

#include <errno.h>
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

static int corpus_slurp(const char *path, sb *buf, saex_err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(e, 2, "%s: %s", path, strerror(errno));
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_add(buf, chunk, k);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return err_set(e, 2, "%s: cannot read", path);
	return 0;
}

static int corpus_jsonl(corpus_ctx *x, const char *path, const char *p, size_t n, saex_err *e)
{
	size_t line = 0;
	for (size_t i = 0; i < n && !corpus_full(x);) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
		const char *s = p + i;
		i += len + 1;
		line++;
		if (corpus_blank(s, len))
			continue;
		json_error_t je;
		json_t *row = json_loadb(s, len, 0, &je);
		if (!row)
			return err_set(e, 2, "%s:%zu: not valid JSON: %s", path, line, je.text);
		json_t *t = json_object_get(row, "text");
		if (!json_is_string(t)) {
			int obj = json_is_object(row);
			json_decref(row);
			return err_set(e, 2, "%s:%zu: %s", path, line,
			               obj ? "no \"text\" string" : "not a JSON object");
		}
		corpus_doc(x, json_string_value(t), json_string_length(t));
		json_decref(row);
	}
	return 0;
}

static void corpus_text(corpus_ctx *x, const char *p, size_t n)
{
	int para = 0;
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
		if (nl && corpus_blank(p + i, len)) {
			para = 1;
			break;
		}
		i += len + 1;
	}
	x->c->paragraphs = para;
	size_t start = 0, end = 0; /* the paragraph being collected */
	int have = 0;
	for (size_t i = 0; i < n && !corpus_full(x);) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;
		const char *s = p + i;
		i += len + 1;
		if (!para) {
			if (len && s[len - 1] == '\r')
				len--;
			corpus_doc(x, s, len);
			continue;
		}
		if (corpus_blank(s, len)) {
			if (have)
				corpus_doc(x, p + start, end - start);
			have = 0;
			continue;
		}
		if (!have)
			start = (size_t)(s - p);
		end = (size_t)(s - p) + len;
		have = 1;
	}
	if (have)
		corpus_doc(x, p + start, end - start);
}

int corpus_read(const char *path, saex_tok *tok, size_t ctx, size_t max_prompts, corpus *out,
                saex_err *e)
{
	memset(out, 0, sizeof *out);
	sb buf = {0};
	if (corpus_slurp(path, &buf, e))
		return 2;
	corpus_ctx x = {out, tok, ctx, max_prompts, 0, 0, saex_tok_bos(tok)};
	if (ctx < 2)
		x.bos = -1;
	out->off = xcalloc(2, sizeof *out->off);
	x.cap_off = 2;
	size_t n = buf.n, lead = 0;
	const char *p = buf.p ? buf.p : "";
	while (lead < n && (p[lead] == ' ' || p[lead] == '\t' || p[lead] == '\r' || p[lead] == '\n'))
		lead++;
	size_t pl = strlen(path);
	out->jsonl = (pl >= 6 && strcmp(path + pl - 6, ".jsonl") == 0) || (lead < n && p[lead] == '{');
	int rc = 0;
	if (out->jsonl)
		rc = corpus_jsonl(&x, path, p, n, e);
	else
		corpus_text(&x, p, n);
	sb_free(&buf);
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
