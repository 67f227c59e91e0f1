/* tok_json.h - reading tokenizer.json (json_load.c: the file, the model,
 * added tokens; json_parts.c: normalizers, pre-tokenizers, post-processors,
 * decoders). Every error names the file and the place in the JSON:
 *   tokenizer.json: pre_tokenizer.pretokenizers[1]: type 'UnicodeScripts' is not supported */
#ifndef SAEX_TOK_JSON_H
#define SAEX_TOK_JSON_H

#include "tok_int.h"

#include <jansson.h>

typedef struct tok_ld {
	saex_tok *t;
	const char *path;         /* the file, for messages */
	char *err;
	size_t errlen;
} tok_ld;

/* "path: where: message" into err; returns -1. */
int tok_ld_fail(tok_ld *ld, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fields of obj (at where). A missing or null field gives the default;
 * the wrong type is an error. */
int tok_ld_bool(tok_ld *ld, json_t *obj, const char *where, const char *key, int dflt, int *out);
int tok_ld_size(tok_ld *ld, json_t *obj, const char *where, const char *key, size_t dflt, size_t max, size_t *out);
/* A string field; required: missing is an error, else *s = NULL. */
int tok_ld_str(tok_ld *ld, json_t *obj, const char *where, const char *key, int required, const char **s,
               size_t *n);
/* A string that must be exactly one character; its code point. */
int tok_ld_char(tok_ld *ld, json_t *obj, const char *where, const char *key, uint32_t dflt, uint32_t *out);
/* A component's "type" string (an object with a string "type" member). */
int tok_ld_type(tok_ld *ld, json_t *obj, const char *where, const char **type);
/* A {"String": s} or {"Regex": r} pattern compiled into re. */
int tok_ld_pattern(tok_ld *ld, json_t *obj, const char *where, tok_re *re);

/* json_sax.c: the bulk of tokenizer.json, read in a streaming pass. */
typedef struct tok_merge_at {
	size_t a, alen, b, blen;  /* the two strings in tok_sax_in.text */
} tok_merge_at;

typedef struct tok_sax_in {
	tok_merge_at *merge;      /* model.merges in order */
	size_t nmerges, cap;
	tbuf text;
	int have_vocab;           /* model.vocab went into t->vocab */
	int have_merges;          /* model.merges went into merge */
	int merges_done;          /* the merge map is built already (tok_cache) */
	const tok_added_tok *added; /* the added tokens, from tok_cache: used */
	size_t nadded;              /* instead of the document's added_tokens */
	int added_done;
} tok_sax_in;

/* Parses text (the whole file, n bytes): model.vocab into ld->t->vocab
 * (initialized here), model.merges into bulk, everything else returned as
 * a jansson document (caller decrefs). NULL with ld's error filled. */
json_t *tok_sax_read(tok_ld *ld, const char *text, size_t n, tok_sax_in *bulk);
void tok_sax_in_free(tok_sax_in *b);

/* json_parts.c: each reads the member of root and appends to t. */
int tok_ld_normalizer(tok_ld *ld, json_t *v, const char *where);
int tok_ld_pre_tokenizer(tok_ld *ld, json_t *v, const char *where);
int tok_ld_post_processor(tok_ld *ld, json_t *v, const char *where);
int tok_ld_decoder(tok_ld *ld, json_t *v, const char *where);

#endif
