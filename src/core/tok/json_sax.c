/* json_sax.c - reading tokenizer.json in one streaming pass (yajl): the two
 * large members, model.vocab (token -> id) and model.merges, go straight
 * into saex's tables; everything else becomes jansson values, the document
 * json_load.c and json_parts.c then read. See tok_json.h.
 *
 * A 262,144-token vocabulary with half a million merges is a few million
 * JSON values: as a jansson tree they cost more to build and free than the
 * tokenizer's own tables, and the load is paid on every command and live
 * test. A member of the wrong type (model.vocab that is no object, say) is
 * built as a jansson value like the rest, so that the loader reports it. */
#include "config.h"
#include "tok_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#define TOK_SAX_DEPTH 128

typedef enum { SAX_TREE, SAX_VOCAB, SAX_MERGES } tok_sax_mode;

typedef struct tok_sax {
	tok_ld *ld;
	tok_sax_in *bulk;
	json_t *stack[TOK_SAX_DEPTH]; /* open containers of the jansson document */
	char *key[TOK_SAX_DEPTH];     /* the pending key of each open object */
	char *name[TOK_SAX_DEPTH];    /* the key each open container sits under */
	int depth;
	json_t *root;
	tok_sax_mode mode;
	int in_pair;                  /* merges: inside ["a", "b"] */
	tbuf vkey;                    /* vocab: the pending token */
	int have_vkey;
	char msg[300];                /* our own reason to stop the parse */
} tok_sax;

static int sax_stop(tok_sax *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stops the parse with our own reason; returns 0 (yajl's "cancel"). */
static int sax_stop(tok_sax *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->msg, sizeof x->msg, fmt, ap);
	va_end(ap);
	return 0;
}

/* Whether the value about to start is root.model.NAME. */
static int sax_at_model_member(const tok_sax *x, const char *name)
{
	return x->depth == 2 && x->name[1] && strcmp(x->name[1], "model") == 0 && json_is_object(x->stack[1]) &&
	       x->key[1] && strcmp(x->key[1], name) == 0;
}

/* Puts value v where the document expects it (steals the reference). */
static int sax_put(tok_sax *x, json_t *v)
{
	if (!v)
		return sax_stop(x, "a string that is not valid UTF-8, or out of memory");
	if (x->depth == 0) {
		x->root = v;
		return 1;
	}
	json_t *top = x->stack[x->depth - 1];
	if (json_is_array(top))
		return json_array_append_new(top, v) == 0 ? 1 : sax_stop(x, "out of memory");
	char *k = x->key[x->depth - 1];
	x->key[x->depth - 1] = NULL;
	if (json_object_get(top, k)) {
		json_decref(v);
		int rc = sax_stop(x, "duplicate key '%.48s'", k);
		free(k);
		return rc;
	}
	int rc = json_object_set_new(top, k, v) == 0 ? 1 : sax_stop(x, "out of memory");
	free(k);
	return rc;
}

static int sax_open(tok_sax *x, json_t *v)
{
	if (!v)
		return sax_stop(x, "out of memory");
	if (x->depth == TOK_SAX_DEPTH) {
		json_decref(v);
		return sax_stop(x, "nested deeper than saex reads");
	}
	char *placed = NULL;
	if (x->depth > 0 && json_is_object(x->stack[x->depth - 1]) && x->key[x->depth - 1] &&
	    !(placed = strdup(x->key[x->depth - 1]))) {
		json_decref(v);
		return sax_stop(x, "out of memory");
	}
	json_incref(v);
	if (!sax_put(x, v)) {
		json_decref(v);
		free(placed);
		return 0;
	}
	x->key[x->depth] = NULL;
	x->name[x->depth] = placed;
	x->stack[x->depth++] = v;
	json_decref(v);
	return 1;
}

/* Leaves the innermost open container. */
static int sax_close(tok_sax *x)
{
	x->depth--;
	free(x->key[x->depth]);
	free(x->name[x->depth]);
	x->key[x->depth] = NULL;
	x->name[x->depth] = NULL;
	return 1;
}

/* The bulk member NAME starts: it must not be there twice. */
static int sax_bulk(tok_sax *x, const char *name, int *have, tok_sax_mode mode)
{
	if (*have || json_object_get(x->stack[1], name))
		return sax_stop(x, "duplicate key '%s'", name);
	*have = 1;
	x->mode = mode;
	return 1;
}

/* The bulk member ends: its key is spent (its value is not in the document). */
static int sax_bulk_end(tok_sax *x)
{
	x->mode = SAX_TREE;
	free(x->key[1]);
	x->key[1] = NULL;
	return 1;
}

/* ---------------------------------------------------------------- the bulk members */
/* A value inside model.vocab: it must be the id of the pending token. */
static int sax_vocab_value(tok_sax *x, int is_int, long long id)
{
	if (!x->have_vkey)
		return sax_stop(x, "model.vocab: a value without a token");
	x->have_vkey = 0;
	const char *k = x->vkey.p ? x->vkey.p : "";
	if (!is_int)
		return sax_stop(x, "model.vocab: token '%.48s': the id is not an integer", k);
	char m[128];
	if (id < 0 || id >= (long long)TOK_MAX_ID)
		return sax_stop(x, "model.vocab: token '%.48s' has id %lld, outside 0..%u", k, id, TOK_MAX_ID - 1);
	if (tok_vocab_set(&x->ld->t->vocab, (uint32_t)id, k, x->vkey.n, TOK_F_MODEL, 0, m, sizeof m))
		return sax_stop(x, "model.vocab: token '%.48s' (id %lld): %s", k, id, m);
	return 1;
}

/* Anything in model.merges that is not a string or a pair of strings. */
static int sax_merge_bad(tok_sax *x)
{
	return sax_stop(x, "model.merges[%zu]: not \"a b\" or [\"a\", \"b\"]", x->bulk->nmerges);
}

/* A string inside model.merges: a whole "a b" merge or half of a pair. */
static int sax_merge_string(tok_sax *x, const unsigned char *s, size_t n)
{
	tok_sax_in *b = x->bulk;
	size_t i = b->nmerges;
	if (x->in_pair) {
		if (x->in_pair > 2)
			return sax_merge_bad(x);
		size_t off = b->text.n;
		tbuf_add(&b->text, s, n);
		if (x->in_pair == 1) {
			b->merge[i].a = off;
			b->merge[i].alen = n;
		} else {
			b->merge[i].b = off;
			b->merge[i].blen = n;
		}
		x->in_pair++;
		return b->text.oom ? sax_stop(x, "out of memory") : 1;
	}
	const unsigned char *sp = memchr(s, ' ', n);
	if (!sp || sp == s || sp + 1 == s + n || memchr(sp + 1, ' ', (size_t)(s + n - sp - 1)))
		return sax_merge_bad(x);
	size_t off = b->text.n;
	tbuf_add(&b->text, s, n);
	b->merge[i] = (tok_merge_at){off, (size_t)(sp - s), off + (size_t)(sp - s) + 1, (size_t)(s + n - sp - 1)};
	b->nmerges++;
	return b->text.oom ? sax_stop(x, "out of memory") : 1;
}

static int sax_merge_room(tok_sax *x)
{
	tok_sax_in *b = x->bulk;
	if (b->nmerges < b->cap)
		return 1;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	if (tok_realloc(&b->merge, cap, sizeof *b->merge))
		return sax_stop(x, "out of memory");
	b->cap = cap;
	return 1;
}

/* ---------------------------------------------------------------- callbacks */
static int sax_null(void *c)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 0, 0);
	if (x->mode == SAX_MERGES)
		return sax_merge_bad(x);
	return sax_put(x, json_null());
}

static int sax_bool(void *c, int v)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 0, 0);
	if (x->mode == SAX_MERGES)
		return sax_merge_bad(x);
	return sax_put(x, json_boolean(v));
}

static int sax_int(void *c, long long v)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 1, v);
	if (x->mode == SAX_MERGES)
		return sax_merge_bad(x);
	return sax_put(x, json_integer((json_int_t)v));
}

static int sax_double(void *c, double v)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 0, 0);
	if (x->mode == SAX_MERGES)
		return sax_merge_bad(x);
	return sax_put(x, json_real(v));
}

static int sax_string(void *c, const unsigned char *s, size_t n)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 0, 0);
	if (x->mode == SAX_MERGES)
		return (x->in_pair || sax_merge_room(x)) && sax_merge_string(x, s, n);
	return sax_put(x, json_stringn((const char *)s, n));
}

static int sax_key(void *c, const unsigned char *s, size_t n)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB) {
		/* yajl passes the lone surrogate escape \udcXX on as bytes that are
		 * not UTF-8: such a token could pass for an escaped input byte */
		for (size_t i = 0; i < n;) {
			uint32_t cp;
			size_t k = s[i] < 0x80 ? 1 : saex_utf8_decode(s + i, n - i, &cp);
			if (!k)
				return sax_stop(x, "model.vocab: a token that is not valid UTF-8 (near '%.*s')",
				                (int)(n < 24 ? n : 24), (const char *)s);
			i += k;
		}
		x->vkey.n = 0;
		tbuf_add(&x->vkey, s, n);
		x->have_vkey = 1;
		return x->vkey.oom ? sax_stop(x, "out of memory") : 1;
	}
	char *k = malloc(n + 1);
	if (!k)
		return sax_stop(x, "out of memory");
	memcpy(k, s, n);
	k[n] = 0;
	if (memchr(k, 0, n)) {
		free(k);
		return sax_stop(x, "a key with a NUL character");
	}
	free(x->key[x->depth - 1]);
	x->key[x->depth - 1] = k;
	return 1;
}

static int sax_start_map(void *c)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 0, 0);
	if (x->mode == SAX_MERGES)
		return sax_merge_bad(x);
	if (sax_at_model_member(x, "vocab"))
		return sax_bulk(x, "vocab", &x->bulk->have_vocab, SAX_VOCAB);
	return sax_open(x, json_object());
}

static int sax_end_map(void *c)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_bulk_end(x);
	return sax_close(x);
}

static int sax_start_array(void *c)
{
	tok_sax *x = c;
	if (x->mode == SAX_VOCAB)
		return sax_vocab_value(x, 0, 0);
	if (x->mode == SAX_MERGES) {
		if (x->in_pair)
			return sax_merge_bad(x);
		x->in_pair = 1;
		return sax_merge_room(x);
	}
	if (sax_at_model_member(x, "merges"))
		return sax_bulk(x, "merges", &x->bulk->have_merges, SAX_MERGES);
	return sax_open(x, json_array());
}

static int sax_end_array(void *c)
{
	tok_sax *x = c;
	if (x->mode == SAX_MERGES) {
		if (x->in_pair) {
			if (x->in_pair != 3)
				return sax_merge_bad(x);
			x->in_pair = 0;
			x->bulk->nmerges++;
			return 1;
		}
		return sax_bulk_end(x);
	}
	return sax_close(x);
}

static const yajl_callbacks tok_sax_cb = {
	sax_null, sax_bool, sax_int, sax_double, NULL, sax_string, sax_start_map, sax_key, sax_end_map,
	sax_start_array, sax_end_array,
};

/* ---------------------------------------------------------------- the pass */
/* The line of byte off of text. */
static size_t sax_line(const char *text, size_t off)
{
	size_t line = 1;
	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

json_t *tok_sax_read(tok_ld *ld, const char *text, size_t n, tok_sax_in *bulk)
{
	tok_sax x = {0};
	x.ld = ld;
	x.bulk = bulk;
	if (tok_vocab_init(&ld->t->vocab, (n / 24) + 1024)) {
		tok_ld_fail(ld, NULL, "out of memory");
		return NULL;
	}
	yajl_handle h = yajl_alloc(&tok_sax_cb, NULL, &x);
	if (!h) {
		tok_ld_fail(ld, NULL, "out of memory");
		return NULL;
	}
	yajl_status st = yajl_parse(h, (const unsigned char *)text, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		size_t at = yajl_get_bytes_consumed(h);
		char where[64];
		snprintf(where, sizeof where, "%zu", sax_line(text, at < n ? at : n));
		if (x.msg[0]) {
			tok_ld_fail(ld, NULL, "%s", x.msg);
		} else {
			unsigned char *e = yajl_get_error(h, 0, (const unsigned char *)text, n);
			/* as jansson's messages: file:line: not valid JSON: reason */
			if (ld->err && ld->errlen)
				snprintf(ld->err, ld->errlen, "%s:%s: not valid JSON: %s", ld->path, where,
				         e ? (const char *)e : "parse error");
			yajl_free_error(h, e);
		}
		json_decref(x.root);
		x.root = NULL;
	}
	yajl_free(h);
	for (int i = 0; i < TOK_SAX_DEPTH; i++) {
		free(x.key[i]);
		free(x.name[i]);
	}
	tbuf_free(&x.vkey);
	return x.root;
}

void tok_sax_in_free(tok_sax_in *b)
{
	free(b->merge);
	tbuf_free(&b->text);
	memset(b, 0, sizeof *b);
}
