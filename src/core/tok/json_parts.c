/* json_parts.c - the components of tokenizer.json: normalizers,
 * pre-tokenizers, post-processors and decoders, each Sequence flattened
 * into the chain of its members. A type saex does not run is refused by
 * name, never approximated. See tok_json.h. */
#include "config.h"
#include "tok_json.h"
#include "pretok.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ---------------------------------------------------------------- field helpers */
int tok_ld_fail(tok_ld *ld, const char *where, const char *fmt, ...)
{
	char m[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	if (ld->err && ld->errlen)
		snprintf(ld->err, ld->errlen, "%s: %s%s%s", ld->path, where ? where : "", where && *where ? ": " : "", m);
	return -1;
}

int tok_ld_bool(tok_ld *ld, json_t *obj, const char *where, const char *key, int dflt, int *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return tok_ld_fail(ld, where, "%s is not true or false", key);
	*out = json_is_true(v);
	return 0;
}

int tok_ld_size(tok_ld *ld, json_t *obj, const char *where, const char *key, size_t dflt, size_t max, size_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
		return tok_ld_fail(ld, where, "%s is not a whole number from 0 to %zu", key, max);
	*out = (size_t)json_integer_value(v);
	return 0;
}

int tok_ld_str(tok_ld *ld, json_t *obj, const char *where, const char *key, int required, const char **s,
               size_t *n)
{
	json_t *v = json_object_get(obj, key);
	*s = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return required ? tok_ld_fail(ld, where, "%s is missing", key) : 0;
	if (!json_is_string(v))
		return tok_ld_fail(ld, where, "%s is not a string", key);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

int tok_ld_char(tok_ld *ld, json_t *obj, const char *where, const char *key, uint32_t dflt, uint32_t *out)
{
	const char *s;
	size_t n;
	if (tok_ld_str(ld, obj, where, key, 0, &s, &n))
		return -1;
	if (!s) {
		*out = dflt;
		return 0;
	}
	uint32_t cp;
	size_t k = n ? saex_utf8_decode((const unsigned char *)s, n, &cp) : 0;
	if (k == 0 || k != n)
		return tok_ld_fail(ld, where, "%s is not one character", key);
	*out = cp;
	return 0;
}

int tok_ld_type(tok_ld *ld, json_t *obj, const char *where, const char **type)
{
	if (!json_is_object(obj))
		return tok_ld_fail(ld, where, "not a JSON object");
	json_t *v = json_object_get(obj, "type");
	if (!json_is_string(v))
		return tok_ld_fail(ld, where, "no \"type\" string");
	*type = json_string_value(v);
	return 0;
}

int tok_ld_pattern(tok_ld *ld, json_t *obj, const char *where, tok_re *re)
{
	json_t *p = json_object_get(obj, "pattern");
	json_t *s = json_object_get(p, "String"), *r = json_object_get(p, "Regex");
	char w[300], msg[256];
	snprintf(w, sizeof w, "%s.pattern", where);
	if (!json_is_object(p) || json_object_size(p) != 1 || (!json_is_string(s) && !json_is_string(r)))
		return tok_ld_fail(ld, w, "not {\"String\": ...} or {\"Regex\": ...}");
	int rc = s ? tok_re_literal(re, json_string_value(s), json_string_length(s), msg, sizeof msg)
	           : tok_re_compile(re, json_string_value(r), json_string_length(r), msg, sizeof msg);
	if (rc)
		return tok_ld_fail(ld, w, "the %s does not compile: %s", s ? "string" : "regex", msg);
	return 0;
}

/* Makes room for one more element of a chain in t; NULL without memory or
 * past TOK_MAX_STAGES (the pre-tokenizers run nested, one stack frame a
 * stage). */
static void *tok_ld_more(tok_ld *ld, void *arrp, size_t n, size_t elem, const char *where)
{
	void **arr = arrp;
	if (n >= TOK_MAX_STAGES) {
		tok_ld_fail(ld, where, "more than %d components in one chain", TOK_MAX_STAGES);
		return NULL;
	}
	if (tok_realloc(arr, n + 1, elem)) {
		tok_ld_fail(ld, where, "out of memory");
		return NULL;
	}
	char *slot = (char *)*arr + n * elem;
	memset(slot, 0, elem);
	return slot;
}

/* Calls each(member) for the members of the Sequence's array key. */
static int tok_ld_each(tok_ld *ld, json_t *v, const char *where, const char *key,
                       int (*each)(tok_ld *, json_t *, const char *))
{
	json_t *a = json_object_get(v, key);
	if (!json_is_array(a))
		return tok_ld_fail(ld, where, "%s is not an array", key);
	size_t i;
	json_t *m;
	json_array_foreach(a, i, m) {
		char w[300];
		snprintf(w, sizeof w, "%s.%s[%zu]", where, key, i);
		if (each(ld, m, w))
			return -1;
	}
	return 0;
}

static int tok_ld_unsupported(tok_ld *ld, const char *where, const char *type)
{
	return tok_ld_fail(ld, where, "type '%s' is not supported", type);
}

/* A name of tokenizer.json and the kind saex gives it. */
typedef struct tok_kind_name {
	const char *name;
	int kind;
} tok_kind_name;

/* The kind named name in tab (n entries), or -1. */
static int tok_kind_of(const tok_kind_name *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].kind;
	return -1;
}

/* ---------------------------------------------------------------- normalizers */
static int tok_ld_copy(tok_ld *ld, const char *where, const char *s, size_t n, char **out, size_t *len)
{
	*out = malloc(n + 1);
	if (!*out)
		return tok_ld_fail(ld, where, "out of memory");
	memcpy(*out, s, n);
	(*out)[n] = 0;
	*len = n;
	return 0;
}

int tok_ld_normalizer(tok_ld *ld, json_t *v, const char *where)
{
	const char *type;
	if (tok_ld_type(ld, v, where, &type))
		return -1;
	if (strcmp(type, "Sequence") == 0)
		return tok_ld_each(ld, v, where, "normalizers", tok_ld_normalizer);
	static const tok_kind_name kinds[] = {
		{"NFC", TOK_N_NFC}, {"NFD", TOK_N_NFD}, {"NFKC", TOK_N_NFKC}, {"NFKD", TOK_N_NFKD},
		{"Lowercase", TOK_N_LOWERCASE}, {"Replace", TOK_N_REPLACE}, {"Prepend", TOK_N_PREPEND},
		{"Strip", TOK_N_STRIP},
	};
	int kind = tok_kind_of(kinds, sizeof kinds / sizeof kinds[0], type);
	if (kind < 0)
		return tok_ld_unsupported(ld, where, type);
	saex_tok *t = ld->t;
	tok_norm *nm = tok_ld_more(ld, &t->norm, t->nnorm, sizeof *t->norm, where);
	if (!nm)
		return -1;
	t->nnorm++;
	nm->kind = (tok_norm_kind)kind;
	const char *s;
	size_t n;
	switch (nm->kind) {
	case TOK_N_REPLACE:
		if (tok_ld_pattern(ld, v, where, &nm->re) || tok_ld_str(ld, v, where, "content", 1, &s, &n))
			return -1;
		return tok_ld_copy(ld, where, s, n, &nm->text, &nm->text_len);
	case TOK_N_PREPEND:
		if (tok_ld_str(ld, v, where, "prepend", 1, &s, &n))
			return -1;
		return tok_ld_copy(ld, where, s, n, &nm->text, &nm->text_len);
	case TOK_N_STRIP:
		if (tok_ld_bool(ld, v, where, "strip_left", 0, &nm->left) ||
		    tok_ld_bool(ld, v, where, "strip_right", 0, &nm->right))
			return -1;
		return 0;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- pre-tokenizers */
static int tok_ld_behavior(tok_ld *ld, json_t *v, const char *where, tok_behavior *out)
{
	static const tok_kind_name names[] = {
		{"Removed", TOK_REMOVED}, {"Isolated", TOK_ISOLATED}, {"MergedWithPrevious", TOK_MERGED_PREV},
		{"MergedWithNext", TOK_MERGED_NEXT}, {"Contiguous", TOK_CONTIGUOUS},
	};
	const char *s;
	size_t n;
	if (tok_ld_str(ld, v, where, "behavior", 1, &s, &n))
		return -1;
	int b = tok_kind_of(names, sizeof names / sizeof names[0], s);
	if (b < 0)
		return tok_ld_fail(ld, where, "behavior '%s' is not Removed, Isolated, MergedWithPrevious, "
		                   "MergedWithNext or Contiguous", s);
	*out = (tok_behavior)b;
	return 0;
}

static int tok_ld_metaspace_scheme(tok_ld *ld, json_t *v, const char *where, int *prepend)
{
	const char *s;
	size_t n;
	int legacy;
	if (tok_ld_str(ld, v, where, "prepend_scheme", 0, &s, &n) || tok_ld_bool(ld, v, where, "add_prefix_space", 1,
	                                                                           &legacy))
		return -1;
	*prepend = 1;
	if (s && strcmp(s, "never") == 0)
		*prepend = 0;
	else if (s && strcmp(s, "first") == 0)
		*prepend = 2;
	else if (s && strcmp(s, "always") != 0)
		return tok_ld_fail(ld, where, "prepend_scheme '%s' is not always, first or never", s);
	if (!legacy && *prepend != 0) {
		if (s)
			return tok_ld_fail(ld, where, "add_prefix_space does not match prepend_scheme");
		*prepend = 0;
	}
	return 0;
}

/* Whether the regex of a Split (or ByteLevel) is GPT-2's pattern. */
static int tok_is_gpt2_pattern(json_t *v)
{
	json_t *r = json_object_get(json_object_get(v, "pattern"), "Regex");
	return json_is_string(r) && strcmp(json_string_value(r), tok_gpt2_pattern) == 0;
}

int tok_ld_pre_tokenizer(tok_ld *ld, json_t *v, const char *where)
{
	const char *type;
	if (tok_ld_type(ld, v, where, &type))
		return -1;
	if (strcmp(type, "Sequence") == 0)
		return tok_ld_each(ld, v, where, "pretokenizers", tok_ld_pre_tokenizer);
	static const tok_kind_name kinds[] = {
		{"ByteLevel", TOK_P_BYTELEVEL}, {"Split", TOK_P_SPLIT}, {"Metaspace", TOK_P_METASPACE},
		{"Digits", TOK_P_DIGITS}, {"Whitespace", TOK_P_WHITESPACE}, {"WhitespaceSplit", TOK_P_WHITESPACE_SPLIT},
	};
	int kind = tok_kind_of(kinds, sizeof kinds / sizeof kinds[0], type);
	if (kind < 0)
		return tok_ld_unsupported(ld, where, type);
	saex_tok *t = ld->t;
	tok_pre *p = tok_ld_more(ld, &t->pre, t->npre, sizeof *t->pre, where);
	if (!p)
		return -1;
	t->npre++;
	p->kind = (tok_pre_kind)kind;
	switch (p->kind) {
	case TOK_P_BYTELEVEL:
		t->byte_level = 1;
		if (tok_ld_bool(ld, v, where, "add_prefix_space", 1, &p->prefix_space) ||
		    tok_ld_bool(ld, v, where, "use_regex", 1, &p->use_regex))
			return -1;
		p->fast_gpt2 = p->use_regex; /* pretok.c; the regex is compiled if ever asked for */
		return 0;
	case TOK_P_SPLIT:
		if (tok_ld_pattern(ld, v, where, &p->re) || tok_ld_behavior(ld, v, where, &p->behavior) ||
		    tok_ld_bool(ld, v, where, "invert", 0, &p->invert))
			return -1;
		p->fast_gpt2 = tok_is_gpt2_pattern(v) && !p->invert && p->behavior == TOK_ISOLATED;
		return 0;
	case TOK_P_METASPACE:
		if (tok_ld_char(ld, v, where, "replacement", 0x2581, &p->replacement) ||
		    tok_ld_metaspace_scheme(ld, v, where, &p->prepend) || tok_ld_bool(ld, v, where, "split", 1, &p->split))
			return -1;
		p->rep_len = tok_utf8(p->replacement, p->rep);
		return 0;
	case TOK_P_DIGITS:
		return tok_ld_bool(ld, v, where, "individual_digits", 0, &p->individual);
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- post-processors */
/* The ids of special token name in the template's special_tokens. */
static int tok_ld_special_ids(tok_ld *ld, json_t *specials, const char *name, const char *where, tids *out)
{
	json_t *sp = json_object_get(specials, name);
	json_t *ids = json_object_get(sp, "ids");
	if (!json_is_array(ids))
		return tok_ld_fail(ld, where, "special token '%s' has no \"ids\" array in special_tokens", name);
	size_t i;
	json_t *x;
	json_array_foreach(ids, i, x) {
		json_int_t id = json_is_integer(x) ? json_integer_value(x) : -1;
		size_t n;
		if (id < 0 || id >= (json_int_t)TOK_MAX_ID || !tok_vocab_str(&ld->t->vocab, (uint32_t)id, &n))
			return tok_ld_fail(ld, where, "special token '%s': ids[%zu] is not the id of a token", name, i);
		tids_add(out, (uint32_t)id);
	}
	return 0;
}

static int tok_ld_template(tok_ld *ld, json_t *v, const char *where, tok_post *pp)
{
	json_t *single = json_object_get(v, "single"), *specials = json_object_get(v, "special_tokens");
	if (!json_is_array(single))
		return tok_ld_fail(ld, where, "single is not an array");
	tids ids = {0};
	size_t i;
	json_t *piece;
	json_array_foreach(single, i, piece) {
		char w[300];
		snprintf(w, sizeof w, "%s.single[%zu]", where, i);
		json_t *seq = json_object_get(piece, "Sequence"), *sp = json_object_get(piece, "SpecialToken");
		const char *id = json_string_value(json_object_get(seq ? seq : sp, "id"));
		if (!json_is_object(piece) || json_object_size(piece) != 1 || !id) {
			tids_free(&ids);
			return tok_ld_fail(ld, w, "not {\"Sequence\": {\"id\": ...}} or {\"SpecialToken\": {\"id\": ...}}");
		}
		if (seq && strcmp(id, "A") != 0) {
			tids_free(&ids);
			return tok_ld_fail(ld, w, "sequence '%s' in a single template (only A)", id);
		}
		if (seq)
			tids_add(&ids, TOK_NONE);
		else if (tok_ld_special_ids(ld, specials, id, w, &ids)) {
			tids_free(&ids);
			return -1;
		}
	}
	if (ids.oom) {
		tids_free(&ids);
		return tok_ld_fail(ld, where, "out of memory");
	}
	pp->template = 1;
	pp->ids = ids.p;
	pp->n = ids.n;
	return 0;
}

int tok_ld_post_processor(tok_ld *ld, json_t *v, const char *where)
{
	const char *type;
	if (tok_ld_type(ld, v, where, &type))
		return -1;
	if (strcmp(type, "Sequence") == 0)
		return tok_ld_each(ld, v, where, "processors", tok_ld_post_processor);
	if (strcmp(type, "ByteLevel") != 0 && strcmp(type, "TemplateProcessing") != 0)
		return tok_ld_unsupported(ld, where, type);
	saex_tok *t = ld->t;
	tok_post *pp = tok_ld_more(ld, &t->post, t->npost, sizeof *t->post, where);
	if (!pp)
		return -1;
	t->npost++;
	return strcmp(type, "TemplateProcessing") == 0 ? tok_ld_template(ld, v, where, pp) : 0;
}

/* ---------------------------------------------------------------- decoders */
int tok_ld_decoder(tok_ld *ld, json_t *v, const char *where)
{
	const char *type;
	if (tok_ld_type(ld, v, where, &type))
		return -1;
	if (strcmp(type, "Sequence") == 0)
		return tok_ld_each(ld, v, where, "decoders", tok_ld_decoder);
	static const tok_kind_name kinds[] = {
		{"ByteLevel", TOK_D_BYTELEVEL}, {"Replace", TOK_D_REPLACE}, {"ByteFallback", TOK_D_BYTEFALLBACK},
		{"Fuse", TOK_D_FUSE}, {"Strip", TOK_D_STRIP}, {"Metaspace", TOK_D_METASPACE},
	};
	int kind = tok_kind_of(kinds, sizeof kinds / sizeof kinds[0], type);
	if (kind < 0)
		return tok_ld_unsupported(ld, where, type);
	saex_tok *t = ld->t;
	tok_dec *d = tok_ld_more(ld, &t->dec, t->ndec, sizeof *t->dec, where);
	if (!d)
		return -1;
	t->ndec++;
	d->kind = (tok_dec_kind)kind;
	const char *s;
	size_t n;
	switch (d->kind) {
	case TOK_D_REPLACE:
		if (tok_ld_pattern(ld, v, where, &d->re) || tok_ld_str(ld, v, where, "content", 1, &s, &n))
			return -1;
		return tok_ld_copy(ld, where, s, n, &d->text, &d->text_len);
	case TOK_D_STRIP:
		if (tok_ld_char(ld, v, where, "content", ' ', &d->ch) ||
		    tok_ld_size(ld, v, where, "start", 0, SIZE_MAX / 2, &d->start) ||
		    tok_ld_size(ld, v, where, "stop", 0, SIZE_MAX / 2, &d->stop))
			return -1;
		d->ch_len = tok_utf8(d->ch, d->ch_utf8);
		return 0;
	case TOK_D_METASPACE:
		if (tok_ld_char(ld, v, where, "replacement", 0x2581, &d->ch) ||
		    tok_ld_metaspace_scheme(ld, v, where, &d->prepend))
			return -1;
		d->ch_len = tok_utf8(d->ch, d->ch_utf8);
		return 0;
	default:
		return 0;
	}
}
