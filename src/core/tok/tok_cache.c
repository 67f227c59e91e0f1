/* tok_cache.c - a loaded tokenizer's tables kept in the user's cache
 * folder, so that the next process does not parse its files again. See
 * tok_cache.h.
 *
 * The file (native byte order; another host's is not read), each section
 * starting on a 16-byte boundary (zeros between):
 *   header   magic "saextok" + version, 0x01020304, the key, the sizes
 *            below and a hash of the sections (their padding too)
 *   at[nid]  flag[nid]  str[strn]  slot[cap]      the vocabulary
 *   mslot[mcap]  mout[nmerges]                    the merges' map
 *   added[nadded]                                 the added tokens
 *   rest[restn]                                   the rest, as JSON text
 * Its name is the hash of the sources' contents, so a changed file is
 * never answered from an older one's entry. An entry whose size, hash or
 * tables do not hold together is ignored (and rewritten by the load). */
#include "config.h"
#include "tok_cache.h"
#include "tensor_util.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TC_MAGIC "saextok\003"
#define TC_ENDIAN 0x01020304u
#define TC_CHUNK (1u << 20)
#define TC_MAX_REST ((uint64_t)1 << 30)

typedef struct tc_header {
	char magic[8];
	uint32_t endian, header_size;
	uint64_t key[2];
	uint64_t nid, cap, count, strn;
	uint64_t mcap, nmerges, nadded, restn;
	uint64_t sum[2];              /* the hash of the sections */
} tc_header;

/* The sections, in file order. */
enum { TC_AT, TC_FLAG, TC_STR, TC_SLOT, TC_MSLOT, TC_MOUT, TC_ADDED, TC_REST, TC_NSEC };

static uint64_t tc_align(uint64_t x)
{
	return (x + 15) & ~(uint64_t)15;
}

/* Each section's size in bytes; the file's size is returned. The header's
 * counts must be bounded first (tc_header_of), so that nothing wraps. */
static uint64_t tc_sizes(const tc_header *hd, uint64_t size[TC_NSEC])
{
	size[TC_AT] = hd->nid * sizeof(tok_str_at);
	size[TC_FLAG] = hd->nid;
	size[TC_STR] = hd->strn;
	size[TC_SLOT] = hd->cap * 8;
	size[TC_MSLOT] = hd->mcap * sizeof(tok_mslot);
	size[TC_MOUT] = hd->nmerges * 4;
	size[TC_ADDED] = hd->nadded * sizeof(tok_added_tok);
	size[TC_REST] = hd->restn;
	uint64_t total = tc_align(sizeof *hd);
	for (int i = 0; i < TC_NSEC; i++)
		total += tc_align(size[i]);
	return total;
}

/* ---------------------------------------------------------------- hashing
 * Four lanes of xxHash64's round over 32-byte stripes (not for secrets:
 * the entry is the user's own file), two 64-bit words out. */
#define P1 0x9e3779b185ebca87u
#define P2 0xc2b2ae3d27d4eb4fu
#define P3 0x165667b19e3779f9u

typedef struct tc_hash {
	uint64_t lane[4];
	uint64_t total;
	unsigned char tail[32];
	size_t ntail;
} tc_hash;

static uint64_t tc_rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static void tc_hash_init(tc_hash *h)
{
	memset(h, 0, sizeof *h);
	h->lane[0] = P1 + P2;
	h->lane[1] = P2;
	h->lane[2] = 0;
	h->lane[3] = (uint64_t)0 - P1;
}

static void tc_stripes(uint64_t lane[4], const unsigned char *p, size_t n)
{
	uint64_t a = lane[0], b = lane[1], c = lane[2], d = lane[3];
	for (size_t i = 0; i + 32 <= n; i += 32) {
		uint64_t w[4];
		memcpy(w, p + i, sizeof w);
		a = tc_rotl(a + w[0] * P2, 31) * P1;
		b = tc_rotl(b + w[1] * P2, 31) * P1;
		c = tc_rotl(c + w[2] * P2, 31) * P1;
		d = tc_rotl(d + w[3] * P2, 31) * P1;
	}
	lane[0] = a, lane[1] = b, lane[2] = c, lane[3] = d;
}

static void tc_hash_add(tc_hash *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	h->total += n;
	if (h->ntail) {
		size_t k = 32 - h->ntail < n ? 32 - h->ntail : n;
		memcpy(h->tail + h->ntail, p, k);
		h->ntail += k, p += k, n -= k;
		if (h->ntail < 32)
			return;
		tc_stripes(h->lane, h->tail, 32);
		h->ntail = 0;
	}
	size_t whole = n & ~(size_t)31;
	tc_stripes(h->lane, p, whole);
	memcpy(h->tail, p + whole, n - whole);
	h->ntail = n - whole;
}

/* Ends one part (a file, a section): its length and tail go into the
 * lanes, so that parts cannot shift into each other. */
static void tc_hash_part(tc_hash *h)
{
	memset(h->tail + h->ntail, 0, 32 - h->ntail);
	uint64_t w[4];
	memcpy(w, h->tail, sizeof w);
	w[3] ^= h->total * P3;
	tc_stripes(h->lane, (const unsigned char *)w, 32);
	h->ntail = 0;
	h->total = 0;
}

static void tc_hash_end(tc_hash *h, uint64_t out[2])
{
	uint64_t x = tc_rotl(h->lane[0], 1) + tc_rotl(h->lane[1], 7) + tc_rotl(h->lane[2], 12) + tc_rotl(h->lane[3], 18);
	uint64_t y = h->lane[0] ^ tc_rotl(h->lane[1], 19) ^ tc_rotl(h->lane[2], 37) ^ tc_rotl(h->lane[3], 53);
	for (int i = 0; i < 2; i++) {
		uint64_t *z = i ? &y : &x;
		*z ^= *z >> 33;
		*z *= P2;
		*z ^= *z >> 29;
		*z *= P3;
		*z ^= *z >> 32;
	}
	out[0] = x;
	out[1] = y;
}

/* ---------------------------------------------------------------- the entry's name */
static int tc_folder(char *out, size_t len)
{
	const char *v;
	int n;
	if ((v = getenv("SAEX_NO_CACHE")) && *v && strcmp(v, "0") != 0)
		return -1;
	if ((v = getenv("SAEX_CACHE_DIR")) && *v)
		n = snprintf(out, len, "%s/tokenizers", v);
	else if ((v = getenv("XDG_CACHE_HOME")) && *v)
		n = snprintf(out, len, "%s/saex/tokenizers", v);
	else if ((v = getenv("HOME")) && *v)
		n = snprintf(out, len, "%s/.cache/saex/tokenizers", v);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* Hashes one source file into h: -1 when it cannot be read (the load
 * itself then says why). */
static int tc_hash_file(tc_hash *h, const char *path, unsigned char *buf)
{
	char why[256];
	int fd = util_open_read(path, 0, NULL, why, sizeof why);
	if (fd < 0)
		return -1;
	ssize_t k;
	while ((k = read(fd, buf, TC_CHUNK)) > 0)
		tc_hash_add(h, buf, (size_t)k);
	int bad = k < 0;
	close(fd);
	tc_hash_part(h);
	return bad ? -1 : 0;
}

int tok_cache_open(tok_cache *c, const char *const *src, size_t nsrc)
{
	memset(c, 0, sizeof *c);
	char dir[4096];
	if (tc_folder(dir, sizeof dir))
		return -1;
	unsigned char *buf = malloc(TC_CHUNK);
	if (!buf)
		return -1;
	tc_hash h;
	tc_hash_init(&h);
	int rc = 0;
	for (size_t i = 0; i < nsrc && rc == 0; i++)
		rc = tc_hash_file(&h, src[i], buf);
	free(buf);
	if (rc)
		return -1;
	tc_hash_end(&h, c->key);
	size_t len = strlen(dir) + 48;
	if (!(c->path = malloc(len)))
		return -1;
	snprintf(c->path, len, "%s/%016llx%016llx.tok", dir, (unsigned long long)c->key[0],
	         (unsigned long long)c->key[1]);
	return 0;
}

void tok_cache_close(tok_cache *c)
{
	free(c->path);
	memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- reading */
static int tc_pow2(uint64_t x)
{
	return x >= 2 && (x & (x - 1)) == 0;
}

/* The tables hold together: every lookup stays inside them and ends. */
static int tc_vocab_sane(const tok_vocab *v)
{
	for (uint32_t i = 0; i < v->nid; i++)
		if (v->at[i].len != TOK_NONE && (v->at[i].off > v->str.n || v->at[i].len > v->str.n - v->at[i].off))
			return 0;
	size_t used = 0;
	for (size_t i = 0; i < v->cap; i++) {
		if (!v->slot[i])
			continue;
		uint32_t id = (uint32_t)v->slot[i];
		if (id >= v->nid || v->at[id].len == TOK_NONE)
			return 0;
		used++;
	}
	return used == v->count && used < v->cap;
}

static int tc_merges_sane(const tok_bpe *m, uint32_t nid)
{
	const tok_mslot *s = m->mslot;
	size_t used = 0;
	for (size_t i = 0; i < m->mcap; i++) {
		if (!s[i].key)
			continue;
		uint64_t k = s[i].key - 1;
		if ((uint32_t)(k >> 32) >= nid || (uint32_t)k >= nid || s[i].rank >= m->nmerges)
			return 0;
		used++;
	}
	for (size_t r = 0; r < m->nmerges; r++)
		if (m->mout[r] >= nid)
			return 0;
	return used <= m->nmerges && used < m->mcap;
}

/* The entry's header, if it is one for c whose sizes add up to the
 * file's size (len). */
static const tc_header *tc_header_of(const tok_cache *c, const unsigned char *map, size_t len)
{
	const tc_header *hd = (const tc_header *)(const void *)map;
	if (len < sizeof *hd || memcmp(hd->magic, TC_MAGIC, 8) || hd->endian != TC_ENDIAN ||
	    hd->header_size != sizeof *hd || hd->key[0] != c->key[0] || hd->key[1] != c->key[1])
		return NULL;
	if (hd->nid > TOK_MAX_ID || !tc_pow2(hd->cap) || hd->cap > ((uint64_t)1 << 32) || hd->strn >= TOK_NONE ||
	    !tc_pow2(hd->mcap) || hd->mcap > ((uint64_t)1 << 33) || hd->nmerges >= hd->mcap ||
	    hd->nadded > TOK_MAX_ID || hd->restn > TC_MAX_REST || hd->count >= hd->cap)
		return NULL;
	uint64_t size[TC_NSEC];
	return (uint64_t)len == tc_sizes(hd, size) ? hd : NULL;
}

/* Added tokens whose ids have strings and whose flags are 0 or 1. */
static int tc_added_sane(const tok_added_tok *a, size_t n, const tok_vocab *v)
{
	for (size_t i = 0; i < n; i++) {
		const char f[5] = {a[i].lstrip, a[i].rstrip, a[i].single_word, a[i].normalized, a[i].special};
		if (a[i].id >= v->nid || v->at[a[i].id].len == TOK_NONE)
			return 0;
		for (int k = 0; k < 5; k++)
			if (f[k] != 0 && f[k] != 1)
				return 0;
	}
	return 1;
}

json_t *tok_cache_read(const tok_cache *c, saex_tok *t, const tok_added_tok **added, size_t *nadded)
{
	if (!c->path)
		return NULL;
	/* the tables are used where they lie: a private map (the few pages
	 * that added tokens' flags write are copied), so nothing is read
	 * into memory of its own; the entry is a new file renamed into
	 * place, never rewritten, so the map keeps what was checked */
	char why[256];
	void *mp;
	int fd = util_open_read(c->path, 0, NULL, why, sizeof why);
	if (fd < 0)
		return NULL;
	struct stat st;
	mp = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(tc_header)
	         ? mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
	         : MAP_FAILED;
	close(fd);
	if (mp == MAP_FAILED)
		return NULL;
	size_t len = (size_t)st.st_size;
	unsigned char *map = mp, *sec[TC_NSEC];
	const tc_header *hd = tc_header_of(c, map, len);
	json_t *rest = NULL;
	if (!hd)
		goto out;
	tensor_prefault(map, len); /* every page is read below */
	uint64_t size[TC_NSEC], off = tc_align(sizeof *hd), sum[2];
	tc_sizes(hd, size);
	tc_hash h;
	tc_hash_init(&h);
	for (int i = 0; i < TC_NSEC; i++) { /* each with its padding: every byte counts */
		sec[i] = map + off;
		tc_hash_add(&h, sec[i], (size_t)tc_align(size[i]));
		tc_hash_part(&h);
		off += tc_align(size[i]);
	}
	tc_hash_end(&h, sum);
	tok_vocab *v = &t->vocab;
	tok_bpe *m = &t->bpe;
	v->at = (tok_str_at *)(void *)sec[TC_AT];
	v->flag = sec[TC_FLAG];
	v->str = (tbuf){(char *)sec[TC_STR], hd->strn, hd->strn, 0};
	v->slot = (uint64_t *)(void *)sec[TC_SLOT];
	v->nid = (uint32_t)hd->nid;
	v->cap = hd->cap;
	v->count = hd->count;
	v->borrowed = 1;
	m->mslot = (tok_mslot *)(void *)sec[TC_MSLOT];
	m->mout = (uint32_t *)(void *)sec[TC_MOUT];
	m->mcap = hd->mcap;
	m->nmerges = hd->nmerges;
	m->borrowed = 1;
	*added = (const tok_added_tok *)(const void *)sec[TC_ADDED];
	*nadded = hd->nadded;
	json_error_t je;
	if (sum[0] == hd->sum[0] && sum[1] == hd->sum[1] && tc_vocab_sane(v) && tc_merges_sane(m, v->nid) &&
	    tc_added_sane(*added, *nadded, v))
		rest = json_loadb((const char *)sec[TC_REST], hd->restn, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
out:
	if (!rest) { /* nothing of it stays: the load starts from the sources */
		memset(&t->vocab, 0, sizeof t->vocab);
		t->bpe.mslot = NULL;
		t->bpe.mout = NULL;
		t->bpe.mcap = t->bpe.nmerges = 0;
		t->bpe.borrowed = 0;
		*added = NULL;
		*nadded = 0;
		munmap(mp, len);
		return NULL;
	}
	t->cache_map = mp;
	t->cache_len = len;
	return rest;
}

/* ---------------------------------------------------------------- writing */
/* n bytes, then zeros to the next 16-byte boundary. */
static int tc_write(int fd, const void *p, uint64_t n)
{
	static const char zero[16];
	const unsigned char *q = p;
	uint64_t pad = tc_align(n) - n;
	while (n) {
		ssize_t k = write(fd, q, n > TC_CHUNK ? TC_CHUNK : (size_t)n);
		if (k <= 0)
			return -1;
		q += k;
		n -= (uint64_t)k;
	}
	return pad && write(fd, zero, (size_t)pad) != (ssize_t)pad ? -1 : 0;
}

void tok_cache_write(const tok_cache *c, const saex_tok *t, json_t *rest)
{
	if (!c->path)
		return;
	const tok_vocab *v = &t->vocab;
	const tok_bpe *m = &t->bpe;
	const tok_added *ad = &t->added;
	char *text = json_dumps(rest, JSON_COMPACT | JSON_ENCODE_ANY);
	/* the flags of the model's tokens only: added tokens are set again
	 * from their list; the list's padding zeroed */
	uint8_t *flag = malloc(v->nid ? v->nid : 1);
	tok_added_tok *added = calloc(ad->n ? ad->n : 1, sizeof *added);
	size_t dl = strlen(c->path);
	char *tmp = malloc(dl + 32);
	int fd = -1;
	if (!text || !flag || !added || !tmp || !m->mslot)
		goto out;
	for (uint32_t i = 0; i < v->nid; i++)
		flag[i] = v->flag[i] & TOK_F_MODEL;
	for (size_t i = 0; i < ad->n; i++) {
		added[i].id = ad->tok[i].id;
		added[i].lstrip = ad->tok[i].lstrip;
		added[i].rstrip = ad->tok[i].rstrip;
		added[i].single_word = ad->tok[i].single_word;
		added[i].normalized = ad->tok[i].normalized;
		added[i].special = ad->tok[i].special;
	}
	snprintf(tmp, dl + 32, "%s.%ld.tmp", c->path, (long)getpid());
	if (util_mkdirs_for(c->path) || (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto out;
	tc_header hd = {.endian = TC_ENDIAN, .header_size = sizeof hd, .nid = v->nid, .cap = v->cap,
	                .count = v->count, .strn = v->str.n, .mcap = m->mcap, .nmerges = m->nmerges,
	                .nadded = ad->n, .restn = strlen(text)};
	memcpy(hd.magic, TC_MAGIC, 8);
	memcpy(hd.key, c->key, sizeof hd.key);
	const void *sec[TC_NSEC] = {v->at, flag, v->str.p, v->slot, m->mslot, m->mout, added, text};
	uint64_t size[TC_NSEC];
	tc_sizes(&hd, size);
	tc_hash h;
	tc_hash_init(&h);
	static const char zero[16];
	for (int i = 0; i < TC_NSEC; i++) { /* as the file has it: with the zeros after */
		tc_hash_add(&h, sec[i], (size_t)size[i]);
		tc_hash_add(&h, zero, (size_t)(tc_align(size[i]) - size[i]));
		tc_hash_part(&h);
	}
	tc_hash_end(&h, hd.sum);
	int bad = tc_write(fd, &hd, sizeof hd);
	for (int i = 0; i < TC_NSEC && !bad; i++)
		bad = tc_write(fd, sec[i], size[i]);
	if (close(fd) != 0)
		bad = 1;
	if (bad || rename(tmp, c->path) != 0)
		unlink(tmp);
out:
	free(text);
	free(flag);
	free(added);
	free(tmp);
}
