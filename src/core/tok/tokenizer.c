/* tokenizer.c - GPT-2 byte-level BPE: loading, encoding, decoding.
 * See saex_tok.h and FORMATS.md §4. */
#include "config.h"
#include "saex.h"
#include "intern.h"
#include "pretok.h"
#include "tensor_util.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOK_MAX_ID (1u << 24)     /* ids above this are a damaged file */
#define TOK_NO_TOKEN UINT32_MAX
#define TOK_CACHE_PIECE 64        /* pieces up to this many bytes are cached */
#define TOK_CACHE_MAX 65536       /* entries before the cache starts over */

struct saex_tok {
	uint32_t nid;             /* one more than the largest id */
	uint32_t *off, *len;      /* per id: its bytes in bytes.p, or TOK_NO_TOKEN */
	sb bytes;
	intern *by_bytes;         /* token bytes -> id */
	uint32_t byte_id[256];    /* the token of each single byte */
	intern *merges;           /* (left id, right id) as 8 bytes -> rank */
	uint32_t *merge_out;      /* rank -> merged id */
	int64_t bos;
	intern *cache;            /* piece bytes -> entry */
	uint32_t *cache_at;       /* entry -> offset in cache_ids; entry + 1 -> end */
	size_t ncache, cache_cap;
	uint32_t *cache_ids;
	size_t ncache_ids, cache_ids_cap;
	/* scratch for one piece */
	struct tok_sym *sym;
	struct tok_pair *heap;
	size_t sym_cap, heap_cap;
};

typedef struct tok_sym {
	uint32_t id;              /* TOK_NO_TOKEN once merged into its left neighbour */
	size_t prev, next;        /* SIZE_MAX at the ends */
} tok_sym;

typedef struct tok_pair {
	uint32_t rank, left, right;
	size_t pos;               /* the left symbol */
} tok_pair;

/* ---------------------------------------------------------------- bytes <-> alphabet
 * GPT-2 spells each byte as one printable character: the bytes 0x21-0x7E,
 * 0xA1-0xAC and 0xAE-0xFF as the code point of the same value, the other 68
 * as U+0100 upwards in byte order. Vocabulary strings are in that alphabet. */
static int tok_printable(int b)
{
	return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

static void tok_alphabet(uint32_t cp_of[256], int byte_of[324])
{
	for (int i = 0; i < 324; i++)
		byte_of[i] = -1;
	uint32_t n = 0;
	for (int b = 0; b < 256; b++) {
		cp_of[b] = tok_printable(b) ? (uint32_t)b : 256 + n++;
		byte_of[cp_of[b]] = b;
	}
}

/* ---------------------------------------------------------------- loading */
typedef struct tok_build {
	saex_tok *t;
	intern *by_key;           /* vocabulary string -> id */
	uint32_t cp_of[256];
	int byte_of[324];
	const char *path;         /* for messages */
	char *err;
	size_t errlen;
} tok_build;

static int64_t tok_key(const tok_build *b, const char *s, size_t n)
{
	return intern_find(b->by_key, s, n, hash_bytes(HASH_SEED, s, n));
}

/* Gives id the vocabulary string key (UTF-8, n bytes). */
static int tok_add(tok_build *b, const char *key, size_t n, json_int_t id)
{
	saex_tok *t = b->t;
	if (id < 0 || id >= (json_int_t)TOK_MAX_ID)
		return tensor_fail(b->err, b->errlen, "%s: token '%s' has id %lld, outside 0..%u",
		                   b->path, key, (long long)id, TOK_MAX_ID - 1);
	if (n == 0)
		return tensor_fail(b->err, b->errlen, "%s: an empty token string (id %lld)", b->path, (long long)id);
	uint32_t u = (uint32_t)id;
	if (u >= t->nid) {
		uint32_t nid = t->nid ? t->nid : 1024;
		while (nid <= u)
			nid *= 2;
		t->off = xrealloc(t->off, nid * sizeof *t->off);
		t->len = xrealloc(t->len, nid * sizeof *t->len);
		for (uint32_t i = t->nid; i < nid; i++)
			t->off[i] = TOK_NO_TOKEN;
		t->nid = nid;
	}
	if (t->off[u] != TOK_NO_TOKEN)
		return tensor_fail(b->err, b->errlen, "%s: id %u is given to two tokens (the second is '%s')",
		                   b->path, u, key);
	/* Map the string back to bytes; a string outside the byte alphabet
	 * (a special token of another tokenizer) keeps its UTF-8 and cannot
	 * come out of merging. */
	sb raw = {0};
	int in_alphabet = 1;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = saex_utf8_decode((const unsigned char *)key + i, n - i, &cp);
		if (k == 0 || cp >= 324 || b->byte_of[cp] < 0) {
			in_alphabet = 0;
			break;
		}
		sb_addc(&raw, (char)b->byte_of[cp]);
		i += k;
	}
	const char *bytes = in_alphabet ? raw.p : key;
	size_t blen = in_alphabet ? raw.n : n;
	if (t->bytes.n + blen >= TOK_NO_TOKEN) {
		sb_free(&raw);
		return tensor_fail(b->err, b->errlen, "%s: the vocabulary is too large", b->path);
	}
	t->off[u] = (uint32_t)t->bytes.n;
	t->len[u] = (uint32_t)blen;
	sb_add(&t->bytes, bytes, blen);
	if (in_alphabet) {
		uint64_t h = hash_bytes(HASH_SEED, bytes, blen);
		if (intern_find(t->by_bytes, bytes, blen, h) < 0)
			intern_add(t->by_bytes, bytes, blen, h, u);
	}
	sb_free(&raw);
	uint64_t kh = hash_bytes(HASH_SEED, key, n);
	if (intern_find(b->by_key, key, n, kh) >= 0)
		return tensor_fail(b->err, b->errlen, "%s: token '%s' appears twice", b->path, key);
	intern_add(b->by_key, key, n, kh, u);
	if (n == 13 && memcmp(key, "<|endoftext|>", 13) == 0)
		t->bos = u;
	return 0;
}

static int tok_vocab(tok_build *b, json_t *vocab, const char *what)
{
	if (!json_is_object(vocab))
		return tensor_fail(b->err, b->errlen, "%s: %s is not a JSON object of token -> id", b->path, what);
	const char *k;
	json_t *v;
	json_object_foreach(vocab, k, v) {
		if (!json_is_integer(v))
			return tensor_fail(b->err, b->errlen, "%s: token '%s': the id is not an integer", b->path, k);
		if (tok_add(b, k, strlen(k), json_integer_value(v)) != 0)
			return -1;
	}
	return 0;
}

/* Every byte needs a token: that is what makes any input encodable. */
static int tok_bytes_check(tok_build *b)
{
	for (int c = 0; c < 256; c++) {
		char s[4];
		uint32_t cp = b->cp_of[c];
		size_t n = 0;
		if (cp < 0x80) {
			s[n++] = (char)cp;
		} else {
			s[n++] = (char)(0xc0 | (cp >> 6));
			s[n++] = (char)(0x80 | (cp & 0x3f));
		}
		s[n] = 0;
		int64_t id = tok_key(b, s, n);
		if (id < 0)
			return tensor_fail(b->err, b->errlen, "%s: no token for the byte 0x%02x ('%s'), which "
			                   "byte-level BPE needs", b->path, c, s);
		b->t->byte_id[c] = (uint32_t)id;
	}
	return 0;
}

typedef struct tok_merge {
	const char *a, *b;
	size_t alen, blen;
	size_t where;             /* line number, or index in model.merges */
} tok_merge;

/* Where merge number k came from, for messages. */
static void tok_where(char *buf, size_t n, int json, size_t k)
{
	if (json)
		snprintf(buf, n, "model.merges[%zu]", k);
	else
		snprintf(buf, n, "line %zu", k);
}

/* Adds the merges; on a pair given twice the later rank counts, as in
 * GPT-2's encoder (a dict built from the list). The first bad merge is
 * the one reported. */
static int tok_merges(tok_build *b, const tok_merge *m, size_t n, int json)
{
	saex_tok *t = b->t;
	if (n >= TOK_NO_TOKEN)
		return tensor_fail(b->err, b->errlen, "%s: too many merges", b->path);
	t->merge_out = xmalloc((n ? n : 1) * sizeof *t->merge_out);
	uint32_t *pair = xmalloc((n ? n : 1) * 2 * sizeof *pair);
	sb ab = {0};
	int rc = 0;
	for (size_t r = 0; r < n && rc == 0; r++) {
		char loc[64];
		int64_t ia = tok_key(b, m[r].a, m[r].alen), ib = tok_key(b, m[r].b, m[r].blen);
		sb_clear(&ab);
		sb_add(&ab, m[r].a, m[r].alen);
		if (ia < 0 || ib < 0) {
			sb_addc(&ab, ' ');
			sb_add(&ab, m[r].b, m[r].blen);
			tok_where(loc, sizeof loc, json, m[r].where);
			rc = tensor_fail(b->err, b->errlen, "%s: %s: merge '%s': '%.*s' is not in the vocabulary",
			                 b->path, loc, ab.p, (int)(ia < 0 ? m[r].alen : m[r].blen),
			                 ia < 0 ? m[r].a : m[r].b);
			break;
		}
		sb_add(&ab, m[r].b, m[r].blen);
		int64_t iab = tok_key(b, ab.p, ab.n);
		if (iab < 0) {
			tok_where(loc, sizeof loc, json, m[r].where);
			rc = tensor_fail(b->err, b->errlen, "%s: %s: merge '%.*s %.*s' makes '%s', which is not "
			                 "in the vocabulary", b->path, loc, (int)m[r].alen, m[r].a,
			                 (int)m[r].blen, m[r].b, ab.p);
			break;
		}
		pair[2 * r] = (uint32_t)ia;
		pair[2 * r + 1] = (uint32_t)ib;
		t->merge_out[r] = (uint32_t)iab;
	}
	/* Backwards, so that a pair given twice keeps its later rank. */
	for (size_t r = n; rc == 0 && r-- > 0;) {
		unsigned char key[8];
		memcpy(key, &pair[2 * r], 8);
		uint64_t h = hash_bytes(HASH_SEED, key, 8);
		if (intern_find(t->merges, (const char *)key, 8, h) < 0)
			intern_add(t->merges, (const char *)key, 8, h, (uint32_t)r);
	}
	free(pair);
	sb_free(&ab);
	return rc;
}

static saex_tok *tok_new(tok_build *b, const char *path, char *err, size_t errlen)
{
	memset(b, 0, sizeof *b);
	b->t = xcalloc(1, sizeof *b->t);
	b->t->bos = -1;
	b->t->by_bytes = intern_new();
	b->t->merges = intern_new();
	b->t->cache = intern_new();
	b->by_key = intern_new();
	tok_alphabet(b->cp_of, b->byte_of);
	b->path = path;
	b->err = err;
	b->errlen = errlen;
	return b->t;
}

/* Ends a load: frees the builder and, on failure, the tokenizer. */
static saex_tok *tok_done(tok_build *b, int rc)
{
	intern_free(b->by_key);
	if (rc != 0) {
		saex_tok_free(b->t);
		return NULL;
	}
	return b->t;
}

static char *tok_slurp(const char *path, size_t *n, char *err, size_t errlen)
{
	int fd = util_open_read(path, 0, NULL, err, errlen);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
	if (!f) {
		if (fd >= 0) {
			tensor_fail(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
		}
		return NULL;
	}
	sb b = {0};
	char buf[65536];
	size_t k;
	while ((k = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&b, buf, k);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		tensor_fail(err, errlen, "%s: read error", path);
		sb_free(&b);
		return NULL;
	}
	*n = b.n;
	return b.p ? b.p : xstrdup("");
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

saex_tok *saex_tok_load_files(const char *vocab_json, const char *merges_txt, char *err, size_t errlen)
{
	tok_build b;
	tok_new(&b, vocab_json, err, errlen);
	json_t *v = tok_json_file(vocab_json, err, errlen);
	if (!v || tok_vocab(&b, v, "the file") != 0 || tok_bytes_check(&b) != 0) {
		json_decref(v);
		return tok_done(&b, -1);
	}
	json_decref(v);
	b.path = merges_txt;
	size_t n;
	char *text = tok_slurp(merges_txt, &n, err, errlen);
	if (!text)
		return tok_done(&b, -1);
	tok_merge *m = NULL;
	size_t nm = 0, cap = 0, line = 0;
	int rc = 0;
	for (char *p = text, *end = text + n; p < end && rc == 0;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *e = nl ? nl : end;
		line++;
		char *q = p;
		p = nl ? nl + 1 : end;
		if (e > q && e[-1] == '\r')
			e--;
		if (e == q || (line == 1 && e - q >= 8 && memcmp(q, "#version", 8) == 0))
			continue;
		char *sp = memchr(q, ' ', (size_t)(e - q));
		if (!sp || sp == q || sp + 1 == e || memchr(sp + 1, ' ', (size_t)(e - sp - 1))) {
			rc = tensor_fail(err, errlen, "%s:%zu: a merge is two tokens separated by one space",
			                 merges_txt, line);
			break;
		}
		if (nm == cap) {
			cap = cap ? cap * 2 : 4096;
			m = xrealloc(m, cap * sizeof *m);
		}
		m[nm++] = (tok_merge){q, sp + 1, (size_t)(sp - q), (size_t)(e - sp - 1), line};
	}
	if (rc == 0)
		rc = tok_merges(&b, m, nm, 0);
	free(m);
	free(text);
	return tok_done(&b, rc);
}

/* Checks that tokenizer.json describes what this tokenizer does. */
static int tok_json_kind(tok_build *b, json_t *root)
{
	json_t *model = json_object_get(root, "model");
	const char *type = json_string_value(json_object_get(model, "type"));
	if (!json_is_object(model))
		return tensor_fail(b->err, b->errlen, "%s: no \"model\" object", b->path);
	if (type && strcmp(type, "BPE") != 0)
		return tensor_fail(b->err, b->errlen, "%s: model type %s is not supported (saex reads "
		                   "byte-level BPE)", b->path, type);
	const char *affix[] = {"continuing_subword_prefix", "end_of_word_suffix"};
	for (int i = 0; i < 2; i++) {
		const char *s = json_string_value(json_object_get(model, affix[i]));
		if (s && *s)
			return tensor_fail(b->err, b->errlen, "%s: model.%s is not supported", b->path, affix[i]);
	}
	if (json_is_true(json_object_get(model, "ignore_merges")))
		return tensor_fail(b->err, b->errlen, "%s: model.ignore_merges is not supported", b->path);
	json_t *drop = json_object_get(model, "dropout");
	if (json_is_number(drop) && json_number_value(drop) > 0)
		return tensor_fail(b->err, b->errlen, "%s: model.dropout is not supported", b->path);
	json_t *norm = json_object_get(root, "normalizer");
	if (norm && !json_is_null(norm))
		return tensor_fail(b->err, b->errlen, "%s: normalizer %s is not supported", b->path,
		                   json_string_value(json_object_get(norm, "type")) ?
		                   json_string_value(json_object_get(norm, "type")) : "(unnamed)");
	json_t *pre = json_object_get(root, "pre_tokenizer");
	const char *pt = json_string_value(json_object_get(pre, "type"));
	if (!pt || strcmp(pt, "ByteLevel") != 0)
		return tensor_fail(b->err, b->errlen, "%s: pre_tokenizer %s is not supported (saex reads "
		                   "GPT-2's ByteLevel)", b->path, pt ? pt : "(none)");
	if (json_is_true(json_object_get(pre, "add_prefix_space")))
		return tensor_fail(b->err, b->errlen, "%s: pre_tokenizer.add_prefix_space is not supported", b->path);
	if (json_is_false(json_object_get(pre, "use_regex")))
		return tensor_fail(b->err, b->errlen, "%s: pre_tokenizer.use_regex false is not supported", b->path);
	return 0;
}

saex_tok *saex_tok_load_json(const char *tokenizer_json, char *err, size_t errlen)
{
	tok_build b;
	tok_new(&b, tokenizer_json, err, errlen);
	json_t *root = tok_json_file(tokenizer_json, err, errlen);
	int rc = root ? 0 : -1;
	if (rc == 0 && !json_is_object(root))
		rc = tensor_fail(err, errlen, "%s: not a JSON object", tokenizer_json);
	if (rc == 0)
		rc = tok_json_kind(&b, root);
	json_t *model = json_object_get(root, "model");
	if (rc == 0)
		rc = tok_vocab(&b, json_object_get(model, "vocab"), "model.vocab");
	/* added_tokens: specials that are not in model.vocab get their id. */
	json_t *added = json_object_get(root, "added_tokens");
	size_t i;
	json_t *a;
	json_array_foreach(added, i, a) {
		if (rc)
			break;
		const char *c = json_string_value(json_object_get(a, "content"));
		json_t *id = json_object_get(a, "id");
		if (!c || !json_is_integer(id)) {
			rc = tensor_fail(err, errlen, "%s: added_tokens[%zu] needs an id and a content", tokenizer_json, i);
			break;
		}
		int64_t have = tok_key(&b, c, strlen(c));
		if (have >= 0 && have != json_integer_value(id))
			rc = tensor_fail(err, errlen, "%s: added_tokens[%zu] '%s' has id %lld but the vocabulary says %lld",
			                 tokenizer_json, i, c, (long long)json_integer_value(id), (long long)have);
		else if (have < 0)
			rc = tok_add(&b, c, strlen(c), json_integer_value(id));
	}
	if (rc == 0)
		rc = tok_bytes_check(&b);
	json_t *jm = json_object_get(model, "merges");
	if (rc == 0 && !json_is_array(jm))
		rc = tensor_fail(err, errlen, "%s: model.merges is not an array", tokenizer_json);
	tok_merge *m = NULL;
	size_t nm = 0;
	if (rc == 0) {
		m = xmalloc((json_array_size(jm) + 1) * sizeof *m);
		json_array_foreach(jm, i, a) {
			const char *s = json_string_value(a);
			tok_merge x = {0};
			x.where = i;
			if (s) {
				const char *sp = strchr(s, ' ');
				if (sp && sp != s && sp[1] && !strchr(sp + 1, ' '))
					x = (tok_merge){s, sp + 1, (size_t)(sp - s), strlen(sp + 1), i};
			} else if (json_is_array(a) && json_array_size(a) == 2 &&
			           json_is_string(json_array_get(a, 0)) && json_is_string(json_array_get(a, 1))) {
				json_t *l = json_array_get(a, 0), *r = json_array_get(a, 1);
				x = (tok_merge){json_string_value(l), json_string_value(r), json_string_length(l),
				                json_string_length(r), i};
			}
			if (!x.a) {
				rc = tensor_fail(err, errlen, "%s: model.merges[%zu] is not \"a b\" or [\"a\", \"b\"]",
				                 tokenizer_json, i);
				break;
			}
			m[nm++] = x;
		}
	}
	if (rc == 0)
		rc = tok_merges(&b, m, nm, 1);
	free(m);
	json_decref(root);
	return tok_done(&b, rc);
}

/* 1 when something is at path: a file there that is not a regular one
 * (a device, a pipe) is then refused by name when it is read. */
static int tok_is_file(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

saex_tok *saex_tok_load(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		tensor_fail(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		tensor_fail(err, errlen, "%s: not a folder", dir);
		return NULL;
	}
	char *v = xasprintf("%s/vocab.json", dir), *m = xasprintf("%s/merges.txt", dir);
	char *j = xasprintf("%s/tokenizer.json", dir);
	saex_tok *t = NULL;
	if (tok_is_file(v) && tok_is_file(m))
		t = saex_tok_load_files(v, m, err, errlen);
	else if (tok_is_file(j))
		t = saex_tok_load_json(j, err, errlen);
	else
		tensor_fail(err, errlen, "%s: no tokenizer here (it needs vocab.json and merges.txt, "
		            "or tokenizer.json)", dir);
	free(v);
	free(m);
	free(j);
	return t;
}

void saex_tok_free(saex_tok *t)
{
	if (!t)
		return;
	free(t->off);
	free(t->len);
	sb_free(&t->bytes);
	intern_free(t->by_bytes);
	intern_free(t->merges);
	free(t->merge_out);
	intern_free(t->cache);
	free(t->cache_at);
	free(t->cache_ids);
	free(t->sym);
	free(t->heap);
	free(t);
}

/* ---------------------------------------------------------------- BPE */
static int tok_merge_rank(const saex_tok *t, uint32_t l, uint32_t r, uint32_t *rank)
{
	unsigned char key[8];
	memcpy(key, &l, 4);
	memcpy(key + 4, &r, 4);
	int64_t v = intern_find(t->merges, (const char *)key, 8, hash_bytes(HASH_SEED, key, 8));
	if (v < 0)
		return 0;
	*rank = (uint32_t)v;
	return 1;
}

static int tok_pair_less(const tok_pair *a, const tok_pair *b)
{
	return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void tok_push(saex_tok *t, size_t *n, tok_pair p)
{
	if (*n == t->heap_cap) {
		t->heap_cap = t->heap_cap ? t->heap_cap * 2 : 64;
		t->heap = xrealloc(t->heap, t->heap_cap * sizeof *t->heap);
	}
	size_t i = (*n)++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!tok_pair_less(&p, &t->heap[up]))
			break;
		t->heap[i] = t->heap[up];
		i = up;
	}
	t->heap[i] = p;
}

static tok_pair tok_pop(saex_tok *t, size_t *n)
{
	tok_pair top = t->heap[0], last = t->heap[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && tok_pair_less(&t->heap[c + 1], &t->heap[c]))
			c++;
		if (!tok_pair_less(&t->heap[c], &last))
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	if (*n)
		t->heap[i] = last;
	return top;
}

static void tok_try_pair(saex_tok *t, size_t *nheap, size_t pos)
{
	if (pos == SIZE_MAX || t->sym[pos].next == SIZE_MAX)
		return;
	uint32_t l = t->sym[pos].id, r = t->sym[t->sym[pos].next].id, rank;
	if (tok_merge_rank(t, l, r, &rank))
		tok_push(t, nheap, (tok_pair){rank, l, r, pos});
}

/* Merges one piece's bytes and appends its ids to out. The pair of lowest
 * rank merges first, the leftmost first among equal pairs: with a merge
 * table in which every merge's parts were made by earlier merges (GPT-2's
 * is), this is exactly GPT-2's "merge every occurrence of the best pair,
 * left to right, then look again". */
static void tok_bpe(saex_tok *t, const unsigned char *p, size_t n, sb *out)
{
	if (n > t->sym_cap) {
		t->sym_cap = n;
		t->sym = xrealloc(t->sym, n * sizeof *t->sym);
	}
	for (size_t i = 0; i < n; i++)
		t->sym[i] = (tok_sym){t->byte_id[p[i]], i ? i - 1 : SIZE_MAX, i + 1 < n ? i + 1 : SIZE_MAX};
	size_t nheap = 0;
	for (size_t i = 0; i + 1 < n; i++)
		tok_try_pair(t, &nheap, i);
	while (nheap) {
		tok_pair b = tok_pop(t, &nheap);
		tok_sym *s = &t->sym[b.pos];
		if (s->id != b.left || s->next == SIZE_MAX || t->sym[s->next].id != b.right)
			continue; /* stale: a neighbour merged since */
		tok_sym *r = &t->sym[s->next];
		s->id = t->merge_out[b.rank];
		r->id = TOK_NO_TOKEN;
		s->next = r->next;
		if (r->next != SIZE_MAX)
			t->sym[r->next].prev = b.pos;
		tok_try_pair(t, &nheap, s->prev);
		tok_try_pair(t, &nheap, b.pos);
	}
	for (size_t i = 0; i != SIZE_MAX; i = t->sym[i].next)
		sb_add(out, &t->sym[i].id, sizeof(uint32_t));
}

static void tok_cache_reset(saex_tok *t)
{
	intern_free(t->cache);
	t->cache = intern_new();
	t->ncache = 0;
	t->ncache_ids = 0;
}

/* Appends the ids of one piece to out, through the cache. */
static void tok_piece(saex_tok *t, const unsigned char *p, size_t n, sb *out)
{
	if (n == 1) {
		sb_add(out, &t->byte_id[p[0]], sizeof(uint32_t));
		return;
	}
	if (n > TOK_CACHE_PIECE) {
		tok_bpe(t, p, n, out);
		return;
	}
	uint64_t h = hash_bytes(HASH_SEED, p, n);
	int64_t e = intern_find(t->cache, (const char *)p, n, h);
	if (e >= 0) {
		sb_add(out, t->cache_ids + t->cache_at[2 * e], (t->cache_at[2 * e + 1]) * sizeof(uint32_t));
		return;
	}
	size_t before = out->n;
	tok_bpe(t, p, n, out);
	size_t k = (out->n - before) / sizeof(uint32_t);
	if (t->ncache >= TOK_CACHE_MAX)
		tok_cache_reset(t);
	if (t->ncache == t->cache_cap) {
		t->cache_cap = t->cache_cap ? t->cache_cap * 2 : 1024;
		t->cache_at = xrealloc(t->cache_at, 2 * t->cache_cap * sizeof *t->cache_at);
	}
	if (t->ncache_ids + k > t->cache_ids_cap) {
		while (t->ncache_ids + k > t->cache_ids_cap)
			t->cache_ids_cap = t->cache_ids_cap ? t->cache_ids_cap * 2 : 8192;
		t->cache_ids = xrealloc(t->cache_ids, t->cache_ids_cap * sizeof *t->cache_ids);
	}
	memcpy(t->cache_ids + t->ncache_ids, out->p + before, k * sizeof(uint32_t));
	t->cache_at[2 * t->ncache] = (uint32_t)t->ncache_ids;
	t->cache_at[2 * t->ncache + 1] = (uint32_t)k;
	t->ncache_ids += k;
	intern_add(t->cache, (const char *)p, n, h, (uint32_t)t->ncache++);
}

uint32_t *saex_tok_encode(saex_tok *t, const char *text, size_t n, int bos, size_t *count)
{
	const unsigned char *s = (const unsigned char *)text;
	sb out = {0};
	sb_grow(&out, (n / 3 + 2) * sizeof(uint32_t));
	if (bos && t->bos >= 0) {
		uint32_t b = (uint32_t)t->bos;
		sb_add(&out, &b, sizeof b);
	}
	for (size_t i = 0; i < n;) {
		size_t j = pretok_next(s, n, i);
		tok_piece(t, s + i, j - i, &out);
		i = j;
	}
	*count = out.n / sizeof(uint32_t);
	return (uint32_t *)(void *)out.p;
}

/* ---------------------------------------------------------------- lookups */
const char *saex_tok_bytes(const saex_tok *t, uint32_t id, size_t *len)
{
	if (id >= t->nid || t->off[id] == TOK_NO_TOKEN)
		return NULL;
	*len = t->len[id];
	return t->bytes.p + t->off[id];
}

char *saex_tok_decode(const saex_tok *t, const uint32_t *ids, size_t n, size_t *len)
{
	sb out = {0};
	sb_grow(&out, n * 4);
	for (size_t i = 0; i < n; i++) {
		size_t k;
		const char *p = saex_tok_bytes(t, ids[i], &k);
		if (!p) {
			sb_free(&out);
			return NULL;
		}
		sb_add(&out, p, k);
	}
	if (len)
		*len = out.n;
	return out.p;
}

int64_t saex_tok_find(const saex_tok *t, const char *bytes, size_t n)
{
	return intern_find(t->by_bytes, bytes, n, hash_bytes(HASH_SEED, bytes, n));
}

uint32_t saex_tok_vocab_size(const saex_tok *t)
{
	uint32_t n = t->nid;
	while (n > 0 && t->off[n - 1] == TOK_NO_TOKEN)
		n--;
	return n;
}

int64_t saex_tok_bos(const saex_tok *t)
{
	return t->bos;
}
