/* text.c - the tokenizer's buffers, characters and character classes,
 * its hash and the byte-level alphabet. See tok_int.h. */
#include "config.h"
#include "tok_int.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---------------------------------------------------------------- buffers */
int tok_realloc(void *pp, size_t n, size_t elem)
{
	void **p = pp;
	if (n && elem > SIZE_MAX / n)
		return -1;
	void *q = realloc(*p, n * elem != 0 ? n * elem : 1);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

/* The capacity to grow to for need elements (doubling from min). */
static size_t tok_grow_cap(size_t cap, size_t need, size_t min)
{
	size_t c = cap ? cap : min;
	while (c < need)
		c = c > SIZE_MAX / 2 ? need : c * 2;
	return c;
}

int tbuf_reserve(tbuf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (extra > SIZE_MAX - b->n - 1) {
		b->oom = 1;
		return -1;
	}
	if (b->n + extra + 1 <= b->cap)
		return 0;
	size_t cap = tok_grow_cap(b->cap, b->n + extra + 1, 256);
	if (tok_realloc(&b->p, cap, 1)) {
		b->oom = 1;
		return -1;
	}
	b->cap = cap;
	return 0;
}

void tbuf_add(tbuf *b, const void *p, size_t n)
{
	if (tbuf_reserve(b, n))
		return;
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

void tbuf_addc(tbuf *b, char c)
{
	tbuf_add(b, &c, 1);
}

void tbuf_free(tbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

int tids_reserve(tids *a, size_t extra)
{
	if (a->oom)
		return -1;
	if (extra > SIZE_MAX / 8 - a->n) {
		a->oom = 1;
		return -1;
	}
	if (a->n + extra <= a->cap)
		return 0;
	size_t cap = tok_grow_cap(a->cap, a->n + extra, 64);
	if (tok_realloc(&a->p, cap, sizeof *a->p)) {
		a->oom = 1;
		return -1;
	}
	a->cap = cap;
	return 0;
}

void tids_add(tids *a, uint32_t v)
{
	if (a->n == a->cap && tids_reserve(a, 1))
		return;
	a->p[a->n++] = v;
}

void tids_free(tids *a)
{
	free(a->p);
	memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- characters */
size_t tok_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned c = s[0];
	size_t len = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (len > n) { /* cannot happen on text the pipeline made; stay in bounds */
		*cp = c;
		return 1;
	}
	switch (len) {
	case 1: *cp = c; break;
	case 2: *cp = (c & 0x1fu) << 6 | (s[1] & 0x3fu); break;
	case 3: *cp = (c & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu); break;
	default: *cp = (c & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu); break;
	}
	return len;
}

size_t tok_utf8(uint32_t cp, char out[4])
{
	unsigned char *u = (unsigned char *)out;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | cp >> 18);
	u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

void tok_put_cp(tbuf *b, uint32_t cp)
{
	char u[4];
	tbuf_add(b, u, tok_utf8(cp, u));
}

int tok_is_escape(uint32_t cp)
{
	return cp >= 0xdc80 && cp <= 0xdcff;
}

int tok_is_white(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= 0x09 && cp <= 0x0d);
	return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Rust's regex \w: Alphabetic, marks, decimal numbers, connector
 * punctuation, Join_Control. Alphabetic is the letters, letter numbers and
 * Other_Alphabetic, which outside the marks is the circled and squared
 * Latin letters. */
int tok_is_word(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
	if (cp == 0x200c || cp == 0x200d || (cp >= 0x24b6 && cp <= 0x24e9) || (cp >= 0x1f130 && cp <= 0x1f149) ||
	    (cp >= 0x1f150 && cp <= 0x1f169) || (cp >= 0x1f170 && cp <= 0x1f189))
		return 1;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_PC:
		return 1;
	default:
		return 0;
	}
}

int tok_is_numeric(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= '0' && cp <= '9';
	utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
	return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* A multiply-and-fold hash over eight bytes at a time; the same bytes give
 * the same value within a process, which is all the maps need. */
uint64_t tok_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15u ^ (n * 0xff51afd7ed558ccdu);
	while (n >= 8) {
		uint64_t k;
		memcpy(&k, s, 8);
		h = (h ^ k) * 0xbf58476d1ce4e5b9u;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		k |= (uint64_t)s[i] << (8 * i);
	h = (h ^ k) * 0x94d049bb133111ebu;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9u;
	return h ^ (h >> 32);
}

/* ---------------------------------------------------------------- byte-level alphabet
 * GPT-2 spells each byte as one printable character: the bytes 0x21-0x7E,
 * 0xA1-0xAC and 0xAE-0xFF as the code point of the same value, the other 68
 * as U+0100 upwards in byte order. */
static int tok_printable(unsigned b)
{
	return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/* The 68 others: 0x00-0x20 are U+0100-U+0120, 0x7F-0xA0 are U+0121-U+0142
 * and 0xAD is U+0143. */
uint32_t tok_byte_char(unsigned b)
{
	if (tok_printable(b))
		return b;
	if (b <= 0x20)
		return 256 + b;
	if (b <= 0xa0)
		return b + 162;
	return 0x143;
}

int tok_char_byte(uint32_t cp)
{
	if (cp < 256)
		return tok_printable(cp) ? (int)cp : -1;
	if (cp <= 0x120)
		return (int)(cp - 256);
	if (cp <= 0x142)
		return (int)(cp - 162);
	return cp == 0x143 ? 0xad : -1;
}
