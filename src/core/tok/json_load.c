/* json_load.c - a tokenizer from tokenizer.json (Hugging Face tokenizers'
 * format, FORMATS-MODELS.md §C), or from GPT-2's vocab.json + merges.txt.
 * See saex_tok.h and tok_json.h.
 *
 * The file is parsed with jansson; the vocabulary and the merges are then
 * copied into saex's own tables (tok_vocab, the merge map), resolving each
 * merge's three strings to ids in batches whose table slots are fetched
 * ahead, since that is most of the time a large vocabulary takes after
 * the parse. */
#include "config.h"
#include "tok_cache.h"
#include "tok_json.h"
#include "tensor_util.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOK_MERGE_BATCH 16
#define TOK_MERGE_MAX 512          /* bytes of one merge's two strings */

saex_tok *tok_new(void)
{
	saex_tok *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->bos = -1;
	t->bpe.unk = -1;
	for (int i = 0; i < 256; i++)
		t->bpe.byte_tok[i] = TOK_NONE;
	return t;
}

/* ---------------------------------------------------------------- files */
static char *tok_slurp(const char *path, size_t *n, char *err, size_t errlen)
{
	int fd = util_open_read(path, 0, NULL, err, errlen); /* a device or pipe refused by name */
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0) {
		tensor_fail(err, errlen, "%s: %s", path, strerror(errno));
		if (f)
			fclose(f);
		else
			close(fd);
		return NULL;
	}
	/* the size as a first guess; the file may change while it is read */
	tbuf b = {0};
	tbuf_reserve(&b, st.st_size > 0 ? (size_t)st.st_size : 0);
	size_t k;
	while (!b.oom && tbuf_reserve(&b, 65536) == 0 && (k = fread(b.p + b.n, 1, 65536, f)) > 0)
		b.n += k;
	int bad = ferror(f);
	fclose(f);
	if (bad || b.oom) {
		tensor_fail(err, errlen, "%s: %s", path, bad ? "read error" : "out of memory");
		tbuf_free(&b);
		return NULL;
	}
	b.p[b.n] = 0;
	*n = b.n;
	return b.p;
}

static json_t *tok_json_file(const char *path, char *err, size_t errlen)
{
	size_t n;
	char *text = tok_slurp(path, &n, err, errlen);
	if (!text)
		return NULL;
	json_error_t je;
	json_t *j = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	free(text);
	if (!j)
		tensor_fail(err, errlen, "%s:%d: not valid JSON: %s", path, je.line, je.text);
	return j;
}

/* ---------------------------------------------------------------- vocabulary */
/* Gives id the string; fresh: the caller knows the string is new (keys of
 * one JSON object are, as jansson rejects duplicates). */
static int tok_ld_token(tok_ld *ld, const char *where, const char *s, size_t n, json_int_t id, uint8_t flag,
                        int fresh)
{
	char msg[128];
	if (id < 0 || id >= (json_int_t)TOK_MAX_ID)
		return tok_ld_fail(ld, where, "token '%s' has id %lld, outside 0..%u", s, (long long)id, TOK_MAX_ID - 1);
	if (tok_vocab_set(&ld->t->vocab, (uint32_t)id, s, n, flag, fresh, msg, sizeof msg))
		return tok_ld_fail(ld, where, "token '%s' (id %lld): %s", s, (long long)id, msg);
	return 0;
}

static int tok_ld_vocab(tok_ld *ld, json_t *vocab, const char *where)
{
	if (!json_is_object(vocab))
		return tok_ld_fail(ld, where, "not a JSON object of token -> id");
	if (!ld->t->vocab.slot && tok_vocab_init(&ld->t->vocab, json_object_size(vocab) + 1024))
		return tok_ld_fail(ld, where, "out of memory");
	const char *k;
	size_t kl;
	json_t *v;
	json_object_keylen_foreach(vocab, k, kl, v) {
		if (!json_is_integer(v))
			return tok_ld_fail(ld, where, "token '%s': the id is not an integer", k);
		if (tok_ld_token(ld, where, k, kl, json_integer_value(v), TOK_F_MODEL, 1))
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- merges */
typedef struct tok_merge_in {
	const char *a, *b;
	size_t alen, blen;
} tok_merge_in;

/* Merge number i of the JSON array: "a b" or ["a", "b"]. */
static int tok_ld_merge_at(tok_ld *ld, json_t *x, size_t i, const char *where, tok_merge_in *m)
{
	const char *s = json_string_value(x);
	if (s) {
		const char *sp = strchr(s, ' ');
		if (sp && sp != s && sp[1] && !strchr(sp + 1, ' ')) {
			*m = (tok_merge_in){s, sp + 1, (size_t)(sp - s), strlen(sp + 1)};
			return 0;
		}
	} else if (json_is_array(x) && json_array_size(x) == 2 && json_is_string(json_array_get(x, 0)) &&
	           json_is_string(json_array_get(x, 1))) {
		json_t *l = json_array_get(x, 0), *r = json_array_get(x, 1);
		*m = (tok_merge_in){json_string_value(l), json_string_value(r), json_string_length(l), json_string_length(r)};
		return 0;
	}
	char w[64];
	snprintf(w, sizeof w, "%s[%zu]", where, i);
	return tok_ld_fail(ld, w, "not \"a b\" or [\"a\", \"b\"]");
}

/* The place of a merge in messages: "model.merges[r]" or "line L". */
static const char *tok_merge_where(char *w, size_t wlen, const char *where, size_t r, size_t first_line, size_t q)
{
	if (first_line)
		snprintf(w, wlen, "line %zu", first_line + q);
	else
		snprintf(w, wlen, "%s[%zu]", where, r);
	return w;
}

/* Resolves merges [r0, r0 + n) into the merge map; where names them
 * ("model.merges" or "line"). */
static int tok_ld_merge_batch(tok_ld *ld, const tok_merge_in *m, size_t n, size_t r0, const char *where,
                              size_t first_line)
{
	const tok_vocab *v = &ld->t->vocab;
	char cat[TOK_MERGE_BATCH][TOK_MERGE_MAX];
	uint64_t h[TOK_MERGE_BATCH][3];
	for (size_t q = 0; q < n; q++) {
		size_t ab = m[q].alen + m[q].blen;
		h[q][0] = tok_hash(m[q].a, m[q].alen);
		h[q][1] = tok_hash(m[q].b, m[q].blen);
		if (ab <= TOK_MERGE_MAX) {
			memcpy(cat[q], m[q].a, m[q].alen);
			memcpy(cat[q] + m[q].alen, m[q].b, m[q].blen);
			h[q][2] = tok_hash(cat[q], ab);
		}
		for (int z = 0; z < 3; z++)
			__builtin_prefetch(&v->slot[(size_t)h[q][z] & (v->cap - 1)]);
	}
	for (size_t q = 0; q < n; q++) {
		char w[64];
		size_t ab = m[q].alen + m[q].blen;
		if (ab > TOK_MERGE_MAX)
			return tok_ld_fail(ld, tok_merge_where(w, sizeof w, where, r0 + q, first_line, q),
			                   "merge '%.*s %.*s' is longer than %d bytes", 40, m[q].a, 40, m[q].b, TOK_MERGE_MAX);
		int64_t ia = tok_vocab_find_h(v, m[q].a, m[q].alen, h[q][0]);
		int64_t ib = tok_vocab_find_h(v, m[q].b, m[q].blen, h[q][1]);
		int64_t iab = tok_vocab_find_h(v, cat[q], ab, h[q][2]);
		if (ia >= 0 && !(v->flag[ia] & TOK_F_MODEL))
			ia = -1;
		if (ib >= 0 && !(v->flag[ib] & TOK_F_MODEL))
			ib = -1;
		if (iab >= 0 && !(v->flag[iab] & TOK_F_MODEL))
			iab = -1;
		if (ia < 0 || ib < 0)
			return tok_ld_fail(ld, tok_merge_where(w, sizeof w, where, r0 + q, first_line, q), "merge '%.*s %.*s': '%.*s' is not in the vocabulary", (int)m[q].alen,
			                   m[q].a, (int)m[q].blen, m[q].b, (int)(ia < 0 ? m[q].alen : m[q].blen),
			                   ia < 0 ? m[q].a : m[q].b);
		if (iab < 0)
			return tok_ld_fail(ld, tok_merge_where(w, sizeof w, where, r0 + q, first_line, q), "merge '%.*s %.*s' makes '%.*s', which is not in the vocabulary",
			                   (int)m[q].alen, m[q].a, (int)m[q].blen, m[q].b, (int)ab, cat[q]);
		tok_bpe_put_merge(&ld->t->bpe, (uint32_t)ia, (uint32_t)ib, (uint32_t)(r0 + q), (uint32_t)iab);
	}
	return 0;
}

static int tok_ld_merges(tok_ld *ld, json_t *merges, const char *where)
{
	if (!json_is_array(merges))
		return tok_ld_fail(ld, where, "not an array");
	size_t n = json_array_size(merges);
	if (n >= TOK_NONE || tok_bpe_alloc_merges(&ld->t->bpe, n))
		return tok_ld_fail(ld, where, "out of memory for %zu merges", n);
	tok_merge_in m[TOK_MERGE_BATCH];
	for (size_t r = 0; r < n; r += TOK_MERGE_BATCH) {
		size_t k = n - r < TOK_MERGE_BATCH ? n - r : TOK_MERGE_BATCH;
		for (size_t q = 0; q < k; q++)
			if (tok_ld_merge_at(ld, json_array_get(merges, r + q), r + q, where, &m[q]))
				return -1;
		if (tok_ld_merge_batch(ld, m, k, r, where, 0))
			return -1;
	}
	return 0;
}

/* The merges the streaming pass collected. */
static int tok_ld_bulk_merges(tok_ld *ld, const tok_sax_in *bulk)
{
	size_t n = bulk->nmerges;
	if (n >= TOK_NONE || tok_bpe_alloc_merges(&ld->t->bpe, n))
		return tok_ld_fail(ld, "model.merges", "out of memory for %zu merges", n);
	tok_merge_in m[TOK_MERGE_BATCH];
	const char *text = bulk->text.p;
	for (size_t r = 0; r < n; r += TOK_MERGE_BATCH) {
		size_t k = n - r < TOK_MERGE_BATCH ? n - r : TOK_MERGE_BATCH;
		for (size_t q = 0; q < k; q++) {
			const tok_merge_at *x = &bulk->merge[r + q];
			m[q] = (tok_merge_in){text + x->a, text + x->b, x->alen, x->blen};
		}
		if (tok_ld_merge_batch(ld, m, k, r, "model.merges", 0))
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the model */
static int tok_ld_affix(tok_ld *ld, json_t *model, const char *key)
{
	const char *s;
	size_t n;
	if (tok_ld_str(ld, model, "model", key, 0, &s, &n))
		return -1;
	if (s && n)
		return tok_ld_fail(ld, "model", "%s '%s' is not supported", key, s);
	return 0;
}

/* byte_fallback's <0xXX> tokens */
static void tok_byte_tokens(saex_tok *t)
{
	for (int b = 0; b < 256; b++) {
		char s[8];
		snprintf(s, sizeof s, "<0x%02X>", b);
		int64_t id = tok_vocab_find(&t->vocab, s, 6);
		t->bpe.byte_tok[b] = id >= 0 && (t->vocab.flag[id] & TOK_F_MODEL) ? (uint32_t)id : TOK_NONE;
	}
}

static int tok_ld_model(tok_ld *ld, json_t *model, const tok_sax_in *bulk)
{
	saex_tok *t = ld->t;
	if (!json_is_object(model))
		return tok_ld_fail(ld, "model", "missing or not a JSON object");
	const char *type = json_string_value(json_object_get(model, "type"));
	if (!type && !json_object_get(model, "merges"))
		return tok_ld_fail(ld, "model", "no \"type\"");
	if (type && strcmp(type, "BPE") != 0)
		return tok_ld_fail(ld, "model", "type '%s' is not supported (saex runs BPE models)", type);
	json_t *drop = json_object_get(model, "dropout");
	if (drop && !json_is_null(drop) && (!json_is_number(drop) || json_number_value(drop) != 0))
		return tok_ld_fail(ld, "model", "dropout is not supported (it makes encoding random)");
	const char *unk;
	size_t unk_len;
	if (tok_ld_affix(ld, model, "continuing_subword_prefix") || tok_ld_affix(ld, model, "end_of_word_suffix") ||
	    tok_ld_bool(ld, model, "model", "byte_fallback", 0, &t->bpe.byte_fallback) ||
	    tok_ld_bool(ld, model, "model", "ignore_merges", 0, &t->bpe.ignore_merges) ||
	    tok_ld_bool(ld, model, "model", "fuse_unk", 0, &t->bpe.fuse_unk) ||
	    tok_ld_str(ld, model, "model", "unk_token", 0, &unk, &unk_len))
		return -1;
	if ((!bulk->have_vocab && tok_ld_vocab(ld, json_object_get(model, "vocab"), "model.vocab")) ||
	    (bulk->merges_done  ? 0
	     : bulk->have_merges ? tok_ld_bulk_merges(ld, bulk)
	                         : tok_ld_merges(ld, json_object_get(model, "merges"), "model.merges")))
		return -1;
	if (unk) {
		t->bpe.unk = tok_vocab_find(&t->vocab, unk, unk_len);
		if (t->bpe.unk < 0)
			return tok_ld_fail(ld, "model", "unk_token '%s' is not in model.vocab", unk);
	}
	tok_byte_tokens(t);
	return 0;
}

/* ---------------------------------------------------------------- added tokens
 * As tokenizers' AddedVocabulary::add_tokens: a token whose content is in
 * the vocabulary (or added before) keeps that id; the others take the next
 * ids after the model's vocabulary, in order. The file's ids must agree
 * with that (tokenizers would warn and use its own: saex refuses). */
static int tok_ld_added_one(tok_ld *ld, json_t *a, const char *where, uint32_t *next)
{
	saex_tok *t = ld->t;
	const char *c;
	size_t n;
	json_t *jid = json_object_get(a, "id");
	tok_added_tok tk = {0};
	int sw, ls, rs, sp, nm;
	if (!json_is_object(a))
		return tok_ld_fail(ld, where, "not a JSON object");
	if (tok_ld_str(ld, a, where, "content", 1, &c, &n) || tok_ld_bool(ld, a, where, "special", 0, &sp) ||
	    tok_ld_bool(ld, a, where, "normalized", !sp, &nm) || tok_ld_bool(ld, a, where, "lstrip", 0, &ls) ||
	    tok_ld_bool(ld, a, where, "rstrip", 0, &rs) || tok_ld_bool(ld, a, where, "single_word", 0, &sw))
		return -1;
	if (!json_is_integer(jid))
		return tok_ld_fail(ld, where, "id is not an integer");
	if (n == 0)
		return 0;
	json_int_t want = json_integer_value(jid);
	int64_t have = tok_vocab_find(&t->vocab, c, n);
	uint32_t id = have >= 0 ? (uint32_t)have : *next;
	if (want != (json_int_t)id)
		return tok_ld_fail(ld, where, "'%s' has id %lld, but its place gives it %u (%s)", c, (long long)want, id,
		                   have >= 0 ? "the vocabulary's id" : "the next id after the vocabulary");
	if (have < 0) {
		if (tok_ld_token(ld, where, c, n, want, 0, 1))
			return -1;
		(*next)++;
	}
	tk = (tok_added_tok){id, (char)ls, (char)rs, (char)sw, (char)nm, (char)sp};
	/* one entry per id: a token given twice keeps its last flags */
	for (size_t i = 0; (t->vocab.flag[id] & TOK_F_ADDED) && i < t->added.n; i++)
		if (t->added.tok[i].id == id) {
			t->added.tok[i] = tk;
			t->vocab.flag[id] |= sp ? TOK_F_SPECIAL : 0;
			return 0;
		}
	if (t->added.n == t->added.cap) {
		size_t cap = t->added.cap ? t->added.cap * 2 : 64;
		if (tok_realloc(&t->added.tok, cap, sizeof *t->added.tok))
			return tok_ld_fail(ld, where, "out of memory");
		t->added.cap = cap;
	}
	t->added.tok[t->added.n++] = tk;
	t->vocab.flag[id] = (uint8_t)((t->vocab.flag[id] & TOK_F_MODEL) | TOK_F_ADDED | (sp ? TOK_F_SPECIAL : 0));
	return 0;
}

/* The tries of added tokens: non-normalized contents as they are,
 * normalized ones through the normalizer. */
static int tok_ld_added_tries(tok_ld *ld)
{
	saex_tok *t = ld->t;
	tbuf normed = {0};
	char msg[256];
	for (size_t i = 0; i < t->added.n; i++) {
		tok_added_tok *tk = &t->added.tok[i];
		size_t n;
		const char *c = tok_vocab_str(&t->vocab, tk->id, &n);
		int rc;
		if (tk->normalized && t->nnorm) {
			if (tok_normalize(t->norm, t->nnorm, c, n, &normed, msg, sizeof msg)) {
				tbuf_free(&normed);
				return tok_ld_fail(ld, "added_tokens", "'%.*s': %s", (int)n, c, msg);
			}
			rc = tok_trie_add(&t->added.norm, normed.p, normed.n, (int32_t)i);
		} else {
			rc = tok_trie_add(tk->normalized ? &t->added.norm : &t->added.raw, c, n, (int32_t)i);
		}
		if (rc) {
			tbuf_free(&normed);
			return tok_ld_fail(ld, "added_tokens", "out of memory");
		}
		if (tk->normalized)
			t->added.any_norm = 1;
		else
			t->added.any_raw = 1;
	}
	tbuf_free(&normed);
	return 0;
}

/* The added tokens the load cache kept (tok_cache_read checked their ids
 * against the vocabulary), as tok_ld_added would have made them. */
static int tok_ld_added_list(tok_ld *ld, const tok_added_tok *list, size_t n)
{
	saex_tok *t = ld->t;
	if (n && !(t->added.tok = malloc(n * sizeof *t->added.tok)))
		return tok_ld_fail(ld, "added_tokens", "out of memory");
	t->added.cap = n;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = list[i].id;
		t->added.tok[t->added.n++] = list[i];
		t->vocab.flag[id] = (uint8_t)((t->vocab.flag[id] & TOK_F_MODEL) | TOK_F_ADDED |
		                              (list[i].special ? TOK_F_SPECIAL : 0));
	}
	return tok_ld_added_tries(ld);
}

static int tok_ld_added(tok_ld *ld, json_t *added)
{
	if (!added || json_is_null(added))
		return 0;
	if (!json_is_array(added))
		return tok_ld_fail(ld, "added_tokens", "not an array");
	uint32_t next = (uint32_t)ld->t->vocab.count; /* the model's vocabulary size */
	size_t i;
	json_t *a;
	json_array_foreach(added, i, a) {
		char w[64];
		snprintf(w, sizeof w, "added_tokens[%zu]", i);
		if (tok_ld_added_one(ld, a, w, &next))
			return -1;
	}
	return tok_ld_added_tries(ld);
}

/* ---------------------------------------------------------------- the file */
static int tok_ld_member(tok_ld *ld, json_t *root, const char *key, int (*load)(tok_ld *, json_t *, const char *))
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v))
		return 0;
	return load(ld, v, key);
}

static int tok_ld_root(tok_ld *ld, json_t *root, const tok_sax_in *bulk)
{
	saex_tok *t = ld->t;
	if (!json_is_object(root))
		return tok_ld_fail(ld, NULL, "not a JSON object");
	json_t *ver = json_object_get(root, "version");
	if (ver && (!json_is_string(ver) || strcmp(json_string_value(ver), "1.0") != 0))
		return tok_ld_fail(ld, "version", "not \"1.0\"");
	const char *off[] = {"truncation", "padding"};
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(root, off[i]);
		if (v && !json_is_null(v))
			return tok_ld_fail(ld, off[i], "is set, and saex encodes without %s", off[i]);
	}
	if (tok_ld_member(ld, root, "normalizer", tok_ld_normalizer) ||
	    tok_ld_member(ld, root, "pre_tokenizer", tok_ld_pre_tokenizer) ||
	    tok_ld_member(ld, root, "decoder", tok_ld_decoder) || tok_ld_model(ld, json_object_get(root, "model"), bulk) ||
	    (bulk->added_done ? tok_ld_added_list(ld, bulk->added, bulk->nadded)
	                      : tok_ld_added(ld, json_object_get(root, "added_tokens"))) ||
	    tok_ld_member(ld, root, "post_processor", tok_ld_post_processor))
		return -1;
	json_t *dec = json_object_get(root, "decoder");
	t->has_decoder = dec && !json_is_null(dec);
	return 0;
}

/* tokenizer.json, from c's entry (cached set), or else from the file
 * itself, whose tables and rest then go into c's entry (c not NULL). */
static saex_tok *tok_json_from(const char *path, const tok_cache *c, int cached, char *err, size_t errlen)
{
	saex_tok *t = tok_new();
	if (!t) {
		tensor_fail(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	tok_ld ld = {t, path, err, errlen};
	tok_sax_in bulk = {0};
	json_t *root = NULL;
	if (cached) {
		root = tok_cache_read(c, t, &bulk.added, &bulk.nadded);
		bulk.have_vocab = bulk.merges_done = bulk.added_done = 1;
	} else {
		size_t n;
		char *text = tok_slurp(path, &n, err, errlen);
		root = text ? tok_sax_read(&ld, text, n, &bulk) : NULL;
		free(text);
	}
	int rc = root ? tok_ld_root(&ld, root, &bulk) : -1;
	if (rc == 0)
		rc = tok_finish(t, err, errlen);
	if (rc == 0 && !cached && c) {
		json_t *model = json_object_get(root, "model");
		json_object_del(model, "vocab");
		json_object_set_new(model, "merges", json_array()); /* in the tables; the key stays */
		json_object_set_new(root, "added_tokens", json_array()); /* in the entry as a list */
		tok_cache_write(c, t, root);
	}
	json_decref(root);
	tok_sax_in_free(&bulk);
	if (rc) {
		saex_tok_free(t);
		return NULL;
	}
	return t;
}

saex_tok *saex_tok_load_json(const char *tokenizer_json, char *err, size_t errlen)
{
	tok_cache c;
	int have = tok_cache_open(&c, &tokenizer_json, 1) == 0;
	saex_tok *t = have ? tok_json_from(tokenizer_json, &c, 1, err, errlen) : NULL;
	if (!t)
		t = tok_json_from(tokenizer_json, have ? &c : NULL, 0, err, errlen);
	tok_cache_close(&c);
	return t;
}

/* ---------------------------------------------------------------- GPT-2's files */
int tok_gpt2_pipeline(saex_tok *t, char *err, size_t errlen)
{
	t->pre = calloc(1, sizeof *t->pre);
	t->dec = calloc(1, sizeof *t->dec);
	if (!t->pre || !t->dec)
		return tensor_fail(err, errlen, "out of memory");
	t->npre = 1;
	t->ndec = 1;
	t->has_decoder = 1;
	t->byte_level = 1;
	t->pre->kind = TOK_P_BYTELEVEL;
	t->pre->use_regex = 1;
	t->pre->fast_gpt2 = 1;
	t->dec->kind = TOK_D_BYTELEVEL;
	return 0;
}

/* Every byte needs a token: that is what makes any input encodable. */
static int tok_bytes_check(tok_ld *ld)
{
	for (unsigned c = 0; c < 256; c++) {
		tbuf s = {0};
		tok_put_cp(&s, tok_byte_char(c));
		int64_t id = s.oom ? -1 : tok_vocab_find(&ld->t->vocab, s.p, s.n);
		int rc = id < 0 ? tok_ld_fail(ld, NULL, "no token for the byte 0x%02x ('%s'), which byte-level BPE needs",
		                               c, s.p ? s.p : "") : 0;
		tbuf_free(&s);
		if (rc)
			return -1;
	}
	return 0;
}

/* merges.txt: one "a b" a line, rank = order; a first line "#version..."
 * is skipped, and so are empty lines. */
static int tok_ld_merges_txt(tok_ld *ld, char *text, size_t n)
{
	size_t nm = 0;
	for (size_t i = 0; i < n; i++)
		nm += text[i] == '\n';
	if (tok_bpe_alloc_merges(&ld->t->bpe, nm + 1))
		return tok_ld_fail(ld, NULL, "out of memory");
	tok_merge_in m[TOK_MERGE_BATCH];
	size_t k = 0, rank = 0, line = 0, first = 0;
	for (char *p = text, *end = text + n; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end, *q = p;
		line++;
		p = nl ? nl + 1 : end;
		if (e > q && e[-1] == '\r')
			e--;
		if (e == q || (line == 1 && e - q >= 8 && memcmp(q, "#version", 8) == 0))
			continue;
		char *sp = memchr(q, ' ', (size_t)(e - q));
		if (!sp || sp == q || sp + 1 == e || memchr(sp + 1, ' ', (size_t)(e - sp - 1))) {
			char w[32];
			snprintf(w, sizeof w, "line %zu", line);
			return tok_ld_fail(ld, w, "a merge is two tokens separated by one space");
		}
		/* batches of consecutive lines, so that messages name the line */
		if (k && first + k != line) {
			if (tok_ld_merge_batch(ld, m, k, rank, NULL, first))
				return -1;
			rank += k;
			k = 0;
		}
		if (k == 0)
			first = line;
		m[k++] = (tok_merge_in){q, sp + 1, (size_t)(sp - q), (size_t)(e - sp - 1)};
		if (k == TOK_MERGE_BATCH) {
			if (tok_ld_merge_batch(ld, m, k, rank, NULL, first))
				return -1;
			rank += k;
			k = 0;
		}
	}
	if (k && tok_ld_merge_batch(ld, m, k, rank, NULL, first))
		return -1;
	ld->t->bpe.nmerges = rank + k;
	return 0;
}

/* The vocabulary and merges of vocab.json and merges.txt into t. */
static int tok_gpt2_tables(saex_tok *t, const char *vocab_json, const char *merges_txt, char *err, size_t errlen)
{
	tok_ld ld = {t, vocab_json, err, errlen};
	json_t *v = tok_json_file(vocab_json, err, errlen);
	int rc = v ? tok_ld_vocab(&ld, v, NULL) : -1;
	json_decref(v);
	if (rc == 0)
		rc = tok_bytes_check(&ld);
	size_t n = 0;
	char *text = NULL;
	if (rc == 0 && !(text = tok_slurp(merges_txt, &n, err, errlen)))
		rc = -1;
	ld.path = merges_txt;
	if (rc == 0)
		rc = tok_ld_merges_txt(&ld, text, n);
	free(text);
	return rc;
}

/* GPT-2's pipeline around the tables: <|endoftext|> is a special token,
 * as GPT-2's tokenizers register it. */
static int tok_gpt2_rest(saex_tok *t, const char *vocab_json, char *err, size_t errlen)
{
	if (tok_gpt2_pipeline(t, err, errlen))
		return -1;
	int64_t eot = tok_vocab_find(&t->vocab, "<|endoftext|>", 13);
	if (eot < 0)
		return 0;
	t->added.tok = calloc(1, sizeof *t->added.tok);
	if (!t->added.tok || tok_trie_add(&t->added.raw, "<|endoftext|>", 13, 0))
		return tensor_fail(err, errlen, "%s: out of memory", vocab_json);
	t->added.tok[0] = (tok_added_tok){(uint32_t)eot, 0, 0, 0, 0, 1};
	t->added.n = 1;
	t->added.any_raw = 1;
	t->vocab.flag[eot] |= TOK_F_ADDED | TOK_F_SPECIAL;
	return 0;
}

saex_tok *saex_tok_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen)
{
	const char *src[] = {vocab_json, merges_txt};
	tok_cache c;
	int have = tok_cache_open(&c, src, 2) == 0;
	saex_tok *t = NULL;
	for (int cached = have; cached >= 0 && !t; cached--) {
		if (!(t = tok_new())) {
			tensor_fail(err, errlen, "%s: out of memory", vocab_json);
			break;
		}
		const tok_added_tok *added; /* GPT-2's one, made again by tok_gpt2_rest */
		size_t nadded;
		json_t *rest = cached ? tok_cache_read(&c, t, &added, &nadded) : NULL;
		int rc = cached ? (rest ? 0 : -1) : tok_gpt2_tables(t, vocab_json, merges_txt, err, errlen);
		if (rc == 0)
			rc = tok_gpt2_rest(t, vocab_json, err, errlen);
		if (rc == 0)
			rc = tok_finish(t, err, errlen);
		if (rc == 0 && !cached && have)
			tok_cache_write(&c, t, json_null());
		json_decref(rest);
		if (rc) {
			saex_tok_free(t);
			t = NULL;
		}
	}
	tok_cache_close(&c);
	return t;
}
