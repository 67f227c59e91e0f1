/* bpe.c - the BPE model: one pre-token into ids. See tok_int.h.
 *
 * As tokenizers' BPE (models/bpe/model.rs, word.rs): with ignore_merges a
 * pre-token that is a whole token of the vocabulary is that token. Else
 * each character is a symbol: its token, or with byte_fallback the <0xXX>
 * tokens of its bytes (all of them must exist), or the unk token (runs of
 * unknown characters fused into one with fuse_unk), or nothing at all
 * when there is no unk token. Then the adjacent pair with the lowest merge
 * rank merges, the leftmost among equals, until no pair has a merge.
 * Results of pre-tokens up to TOK_CACHE_KEY bytes are cached. */
#include "config.h"
#include "tok_int.h"

#include <stdlib.h>
#include <string.h>

#define TOK_CACHE_KEY 256         /* longer pre-tokens are not cached */
#define TOK_CACHE_FIRST 1024      /* entries the cache starts with */
#define TOK_CACHE_MAX 65536       /* entries before the cache starts over */

#define TOK_END UINT32_MAX    /* no symbol: before the first, after the last */

/* Symbols are indexed with 32 bits (a pre-token is below 4 GiB): a word of
 * millions of characters (Gemma's text is one pre-token) stays compact. */
typedef struct tok_sym {
	uint32_t id;
	uint32_t prev, next;      /* TOK_END at the ends */
	uint32_t gone;            /* merged into its left neighbour */
} tok_sym;

typedef struct tok_merge_q {
	uint32_t rank, out;
	uint32_t pos;             /* the left symbol */
} tok_merge_q;

/* ---------------------------------------------------------------- merges */
static size_t tok_mhome(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15u) >> 24) & (cap - 1);
}

int tok_bpe_alloc_merges(tok_bpe *m, size_t nmerges)
{
	size_t cap = 1024;
	while (cap < nmerges * 2)
		cap *= 2;
	m->mslot = calloc(cap, sizeof *m->mslot);
	m->mout = malloc((nmerges ? nmerges : 1) * sizeof *m->mout);
	m->mcap = cap;
	m->nmerges = nmerges;
	return m->mslot && m->mout ? 0 : -1;
}

void tok_bpe_put_merge(tok_bpe *m, uint32_t left, uint32_t right, uint32_t rank, uint32_t out)
{
	uint64_t key = ((uint64_t)left << 32 | right) + 1;
	size_t i = tok_mhome(key, m->mcap);
	while (m->mslot[i].key && m->mslot[i].key != key)
		i = (i + 1) & (m->mcap - 1);
	m->mslot[i] = (tok_mslot){key, rank, 0};
	m->mout[rank] = out;
}

/* The rank of merging left with right, or -1. */
static int64_t tok_bpe_rank(const tok_bpe *m, uint32_t left, uint32_t right)
{
	uint64_t key = ((uint64_t)left << 32 | right) + 1;
	for (size_t i = tok_mhome(key, m->mcap);; i = (i + 1) & (m->mcap - 1)) {
		if (!m->mslot[i].key)
			return -1;
		if (m->mslot[i].key == key)
			return m->mslot[i].rank;
	}
}

/* ---------------------------------------------------------------- the queue */
static int tok_q_less(const tok_merge_q *a, const tok_merge_q *b)
{
	return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void tok_q_push(tok_bpe *m, size_t *n, tok_merge_q q)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!tok_q_less(&q, &m->heap[up]))
			break;
		m->heap[i] = m->heap[up];
		i = up;
	}
	m->heap[i] = q;
}

static tok_merge_q tok_q_pop(tok_bpe *m, size_t *n)
{
	tok_merge_q top = m->heap[0], last = m->heap[--*n];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && tok_q_less(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!tok_q_less(&m->heap[c], &last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (*n)
		m->heap[i] = last;
	return top;
}

/* Queues the merge of the symbol at pos with the one after it, if any. */
static void tok_q_pair(tok_bpe *m, size_t *nq, uint32_t pos)
{
	if (pos == TOK_END || m->sym[pos].next == TOK_END)
		return;
	int64_t r = tok_bpe_rank(m, m->sym[pos].id, m->sym[m->sym[pos].next].id);
	if (r >= 0)
		tok_q_push(m, nq, (tok_merge_q){(uint32_t)r, m->mout[r], pos});
}

/* ---------------------------------------------------------------- symbols */
static int tok_bpe_scratch(tok_bpe *m, size_t n)
{
	if (n <= m->sym_cap)
		return 0;
	size_t cap = m->sym_cap ? m->sym_cap : 64;
	while (cap < n)
		cap *= 2;
	/* each symbol queues at most a few merges over the word's life: n at
	 * first, then two per merge */
	if (tok_realloc(&m->sym, cap, sizeof *m->sym) || tok_realloc(&m->heap, 3 * cap, sizeof *m->heap))
		return -1;
	m->sym_cap = cap;
	m->heap_cap = 3 * cap;
	return 0;
}

static void tok_sym_add(tok_bpe *m, size_t *n, uint32_t id)
{
	uint32_t k = (uint32_t)*n;
	m->sym[k] = (tok_sym){id, k ? k - 1 : TOK_END, TOK_END, 0};
	if (k)
		m->sym[k - 1].next = k;
	(*n)++;
}

/* The initial symbols of s; their number. unk_run carries a pending unk
 * (fuse_unk joins runs of unknown characters). */
static size_t tok_bpe_symbols(tok_bpe *m, const tok_vocab *v, const char *s, size_t n)
{
	size_t ns = 0;
	int unk_pending = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = tok_char((const unsigned char *)s + i, n - i, &cp);
		int64_t id = tok_is_escape(cp) ? -1 : tok_vocab_find(v, s + i, len);
		if (id >= 0 && !(v->flag[id] & TOK_F_MODEL))
			id = -1;
		i += len;
		if (id >= 0) {
			if (unk_pending)
				tok_sym_add(m, &ns, (uint32_t)m->unk);
			unk_pending = 0;
			tok_sym_add(m, &ns, (uint32_t)id);
			continue;
		}
		if (m->byte_fallback) {
			/* an escaped byte stands for that one byte */
			unsigned char one = (unsigned char)(cp - 0xdc00);
			const unsigned char *bytes = tok_is_escape(cp) ? &one : (const unsigned char *)s + i - len;
			size_t nb = tok_is_escape(cp) ? 1 : len, k = 0;
			while (k < nb && m->byte_tok[bytes[k]] != TOK_NONE)
				k++;
			if (k == nb) {
				/* tokenizers adds these without settling a pending unk */
				for (k = 0; k < nb; k++)
					tok_sym_add(m, &ns, m->byte_tok[bytes[k]]);
				continue;
			}
		}
		if (m->unk < 0)
			continue;
		if (unk_pending && !m->fuse_unk)
			tok_sym_add(m, &ns, (uint32_t)m->unk);
		unk_pending = 1;
	}
	if (unk_pending)
		tok_sym_add(m, &ns, (uint32_t)m->unk);
	return ns;
}

static void tok_bpe_merge(tok_bpe *m, size_t ns, tids *out)
{
	size_t nq = 0;
	for (uint32_t i = 0; i + 1 < ns; i++)
		tok_q_pair(m, &nq, i);
	while (nq) {
		tok_merge_q q = tok_q_pop(m, &nq);
		tok_sym *s = &m->sym[q.pos];
		if (s->gone || s->next == TOK_END)
			continue;
		tok_sym *r = &m->sym[s->next];
		/* stale when the pair at pos no longer makes this token */
		int64_t now = tok_bpe_rank(m, s->id, r->id);
		if (now < 0 || m->mout[now] != q.out)
			continue;
		s->id = q.out;
		r->gone = 1;
		s->next = r->next;
		if (r->next != TOK_END)
			m->sym[r->next].prev = q.pos;
		if (nq + 2 > m->heap_cap) { /* cannot happen: see tok_bpe_scratch */
			out->oom = 1;
			return;
		}
		tok_q_pair(m, &nq, s->prev);
		tok_q_pair(m, &nq, q.pos);
	}
	if (ns == 0)
		return;
	if (tids_reserve(out, ns))
		return;
	for (uint32_t i = 0; i != TOK_END; i = m->sym[i].next)
		out->p[out->n++] = m->sym[i].id;
}

/* ---------------------------------------------------------------- the cache */
static void tok_cache_reset(tok_bpe *m)
{
	if (m->ckey)
		memset(m->ckey, 0, m->ccap * sizeof *m->ckey);
	m->ncache = 0;
	m->ckeys.n = 0;
	m->cids.n = 0;
}

/* The entry of s, or -1. */
static int64_t tok_cache_find(const tok_bpe *m, const char *s, size_t n, uint64_t h)
{
	if (!m->ckey)
		return -1;
	uint32_t tag = (uint32_t)(h >> 32) | 1u;
	for (size_t i = (size_t)h & (m->ccap - 1);; i = (i + 1) & (m->ccap - 1)) {
		uint64_t e = m->ckey[i];
		if (!e)
			return -1;
		if ((uint32_t)(e >> 32) != tag)
			continue;
		uint32_t k = (uint32_t)e - 1;
		const uint32_t *c = m->cent + 4 * (size_t)k;
		if (c[1] == n && memcmp(m->ckeys.p + c[0], s, n) == 0)
			return k;
	}
}

/* Puts entry e (key hash h) into the table. */
static void tok_cache_slot(tok_bpe *m, uint64_t h, size_t e)
{
	size_t i = (size_t)h & (m->ccap - 1);
	while (m->ckey[i])
		i = (i + 1) & (m->ccap - 1);
	m->ckey[i] = (uint64_t)((uint32_t)(h >> 32) | 1u) << 32 | (uint32_t)(e + 1);
}

/* Room for twice the entries (the table starts small: most tokenizers
 * encode a few words); -1 without memory, the cache as it was. */
static int tok_cache_grow(tok_bpe *m)
{
	size_t cap = m->ccap ? 2 * m->ccap : 2 * TOK_CACHE_FIRST;
	uint64_t *key = calloc(cap, sizeof *key);
	if (!key || tok_realloc(&m->cent, cap / 2, 4 * sizeof *m->cent)) {
		free(key);
		return -1;
	}
	free(m->ckey);
	m->ckey = key;
	m->ccap = cap;
	for (size_t e = 0; e < m->ncache; e++) {
		const uint32_t *c = m->cent + 4 * e;
		tok_cache_slot(m, tok_hash(m->ckeys.p + c[0], c[1]), e);
	}
	return 0;
}

/* Remembers s -> ids[0..k); silently does nothing without memory. */
static void tok_cache_put(tok_bpe *m, const char *s, size_t n, uint64_t h, const uint32_t *ids, size_t k)
{
	if (m->ncache == m->ccap / 2) {
		if (m->ccap / 2 >= TOK_CACHE_MAX)
			tok_cache_reset(m);
		else if (tok_cache_grow(m))
			return;
	}
	if (m->ckeys.n > UINT32_MAX / 2 || m->cids.n > UINT32_MAX / 2)
		tok_cache_reset(m);
	size_t koff = m->ckeys.n, ioff = m->cids.n;
	tbuf_add(&m->ckeys, s, n);
	if (k && tids_reserve(&m->cids, k) == 0) {
		memcpy(m->cids.p + m->cids.n, ids, k * sizeof *ids);
		m->cids.n += k;
	}
	if (m->ckeys.oom || m->cids.oom) { /* no room: start over next time */
		m->ckeys.oom = m->cids.oom = 0;
		tok_cache_reset(m);
		return;
	}
	uint32_t *c = m->cent + 4 * m->ncache;
	c[0] = (uint32_t)koff;
	c[1] = (uint32_t)n;
	c[2] = (uint32_t)ioff;
	c[3] = (uint32_t)k;
	tok_cache_slot(m, h, m->ncache);
	m->ncache++;
}

/* ---------------------------------------------------------------- a word */
void tok_bpe_word(tok_bpe *m, const tok_vocab *v, const char *s, size_t n, tids *out)
{
	if (n == 0)
		return;
	uint64_t h = tok_hash(s, n);
	if (m->ignore_merges) {
		int64_t id = tok_vocab_find_h(v, s, n, h);
		if (id >= 0 && (v->flag[id] & TOK_F_MODEL)) {
			tids_add(out, (uint32_t)id);
			return;
		}
	}
	int64_t e = n <= TOK_CACHE_KEY ? tok_cache_find(m, s, n, h) : -1;
	if (e >= 0) {
		const uint32_t *c = m->cent + 4 * (size_t)e;
		if (c[3] && tids_reserve(out, c[3]) == 0) {
			memcpy(out->p + out->n, m->cids.p + c[2], c[3] * sizeof(uint32_t));
			out->n += c[3];
		}
		return;
	}
	/* at most one symbol a byte */
	if (n >= TOK_END || tok_bpe_scratch(m, n)) {
		out->oom = 1;
		return;
	}
	size_t before = out->n;
	tok_bpe_merge(m, tok_bpe_symbols(m, v, s, n), out);
	if (!out->oom && n <= TOK_CACHE_KEY)
		tok_cache_put(m, s, n, h, out->p + before, out->n - before);
}

void tok_bpe_free(tok_bpe *m)
{
	if (!m->borrowed) {
		free(m->mslot);
		free(m->mout);
	}
	free(m->ckey);
	free(m->cent);
	tbuf_free(&m->ckeys);
	tids_free(&m->cids);
	free(m->sym);
	free(m->heap);
	memset(m, 0, sizeof *m);
}
