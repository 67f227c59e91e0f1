/* vocab.c - every token's string and id, both ways. See tok_int.h.
 *
 * Strings live in one buffer; an open-addressing table of 64-bit slots
 * holds a 32-bit tag of each string's hash and its id, so that a lookup
 * compares strings only when the tags agree. */
#include "config.h"
#include "tok_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t tok_tag(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1u;
}

int tok_vocab_init(tok_vocab *v, size_t expect)
{
	memset(v, 0, sizeof *v);
	v->cap = 1024;
	while (v->cap < expect * 2 && v->cap < ((size_t)1 << 40))
		v->cap *= 2;
	v->slot = calloc(v->cap, sizeof *v->slot);
	return v->slot ? 0 : -1;
}

void tok_vocab_free(tok_vocab *v)
{
	if (!v->borrowed) {
		free(v->at);
		free(v->flag);
		free(v->slot);
		tbuf_free(&v->str);
	}
	memset(v, 0, sizeof *v);
}

/* Tables in the load cache's map copied to memory of their own, before
 * anything resizes them: 0, or -1 (the map's tables kept) without memory. */
static int tok_vocab_own(tok_vocab *v)
{
	if (!v->borrowed)
		return 0;
	tok_str_at *at = malloc((v->nid ? v->nid : 1) * sizeof *at);
	uint8_t *flag = malloc(v->nid ? v->nid : 1);
	uint64_t *slot = malloc(v->cap * sizeof *slot);
	char *str = malloc(v->str.n + 1);
	if (!at || !flag || !slot || !str) {
		free(at);
		free(flag);
		free(slot);
		free(str);
		return -1;
	}
	memcpy(at, v->at, v->nid * sizeof *at);
	memcpy(flag, v->flag, v->nid);
	memcpy(slot, v->slot, v->cap * sizeof *slot);
	memcpy(str, v->str.p, v->str.n);
	str[v->str.n] = 0;
	v->at = at;
	v->flag = flag;
	v->slot = slot;
	v->str = (tbuf){str, v->str.n, v->str.n + 1, 0};
	v->borrowed = 0;
	return 0;
}

static int tok_vocab_ids(tok_vocab *v, uint32_t id)
{
	if (id < v->nid)
		return 0;
	uint32_t nid = v->nid ? v->nid : 1024;
	while (nid <= id)
		nid = nid > UINT32_MAX / 2 ? id + 1 : nid * 2;
	if (tok_realloc(&v->at, nid, sizeof *v->at) || tok_realloc(&v->flag, nid, sizeof *v->flag))
		return -1;
	for (uint32_t i = v->nid; i < nid; i++) {
		v->at[i].len = TOK_NONE;
		v->flag[i] = 0;
	}
	v->nid = nid;
	return 0;
}

static int tok_vocab_rehash_to(tok_vocab *v, size_t cap)
{
	uint64_t *slot = calloc(cap, sizeof *slot);
	if (!slot)
		return -1;
	for (size_t i = 0; i < v->cap; i++) {
		if (!v->slot[i])
			continue;
		uint32_t id = (uint32_t)v->slot[i];
		uint64_t h = tok_hash(v->str.p + v->at[id].off, v->at[id].len);
		size_t j = (size_t)h & (cap - 1);
		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = v->slot[i];
	}
	free(v->slot);
	v->slot = slot;
	v->cap = cap;
	return 0;
}

static int tok_vocab_rehash(tok_vocab *v)
{
	return tok_vocab_rehash_to(v, v->cap * 2);
}

void tok_vocab_compact(tok_vocab *v)
{
	if (v->borrowed) /* the cache holds compacted tables */
		return;
	size_t cap = 1024;
	while (cap < v->count * 2)
		cap *= 2;
	if (cap < v->cap)
		tok_vocab_rehash_to(v, cap); /* on failure the larger table stays */
	uint32_t nid = v->nid;
	while (nid > 0 && v->at[nid - 1].len == TOK_NONE)
		nid--;
	if (nid && nid < v->nid) {
		v->nid = nid; /* the arrays stay at least this long whether or not they shrink */
		tok_realloc(&v->at, nid, sizeof *v->at);
		tok_realloc(&v->flag, nid, sizeof *v->flag);
	}
}

int64_t tok_vocab_find_h(const tok_vocab *v, const char *s, size_t n, uint64_t h)
{
	uint32_t tag = tok_tag(h);
	for (size_t i = (size_t)h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		uint64_t e = v->slot[i];
		if (!e)
			return -1;
		if ((uint32_t)(e >> 32) != tag)
			continue;
		uint32_t id = (uint32_t)e;
		if (v->at[id].len == n && memcmp(v->str.p + v->at[id].off, s, n) == 0)
			return id;
	}
}

int64_t tok_vocab_find(const tok_vocab *v, const char *s, size_t n)
{
	return tok_vocab_find_h(v, s, n, tok_hash(s, n));
}

int tok_vocab_set(tok_vocab *v, uint32_t id, const char *s, size_t n, uint8_t flag, int fresh, char *msg,
                  size_t msglen)
{
	if (n >= TOK_NONE || v->str.n > UINT32_MAX - n - 1) {
		snprintf(msg, msglen, "the vocabulary's strings exceed 4 GiB");
		return -1;
	}
	if (tok_vocab_own(v)) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	uint64_t h = tok_hash(s, n);
	int64_t have = fresh ? -1 : tok_vocab_find_h(v, s, n, h);
	if (have >= 0) {
		snprintf(msg, msglen, "the token is there already with id %lld", (long long)have);
		return -1;
	}
	if (tok_vocab_ids(v, id) || ((v->count + 1) * 10 > v->cap * 7 && tok_vocab_rehash(v))) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	if (v->at[id].len != TOK_NONE) {
		snprintf(msg, msglen, "id %u is given to another token already", id);
		return -1;
	}
	size_t off = v->str.n;
	tbuf_add(&v->str, s, n);
	if (v->str.oom) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	v->at[id] = (tok_str_at){(uint32_t)off, (uint32_t)n};
	v->flag[id] = flag;
	size_t i = (size_t)h & (v->cap - 1);
	while (v->slot[i])
		i = (i + 1) & (v->cap - 1);
	v->slot[i] = (uint64_t)tok_tag(h) << 32 | id;
	v->count++;
	return 0;
}

const char *tok_vocab_str(const tok_vocab *v, uint32_t id, size_t *n)
{
	if (id >= v->nid || v->at[id].len == TOK_NONE)
		return NULL;
	*n = v->at[id].len;
	return v->str.p + v->at[id].off;
}
