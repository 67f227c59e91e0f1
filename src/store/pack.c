/* pack.c - see pack.h */
#include "config.h"
#include "pack.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

void pack_uvarint(sb *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		tmp[n++] = c | (v ? 0x80 : 0);
	} while (v);
	sb_add(b, tmp, n);
}

int unpack_uvarint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
	const unsigned char *p = *pp;
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -1;
		unsigned c = *p++;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*pp = p;
			*v = r;
			return 0;
		}
	}
	return -1;
}

void pack_f32(sb *b, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	unsigned char t[4] = {(unsigned char)u, (unsigned char)(u >> 8),
	                      (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
	sb_add(b, t, 4);
}

int unpack_f32(const unsigned char **pp, const unsigned char *end, float *v)
{
	const unsigned char *p = *pp;
	if (end - p < 4)
		return -1;
	uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	             (uint32_t)p[3] << 24;
	memcpy(v, &u, 4);
	*pp = p + 4;
	return 0;
}

void pack_ids(sb *b, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pack_uvarint(b, ids[i]);
}

static int pack_is_thousandths(float v, int64_t *q)
{
	double d = (double)v * 1000.0;
	if (!(fabs(d) < 1e15))
		return 0;
	int64_t k = llround(d);
	if ((float)((double)k / 1000.0) != v || (v == 0 && signbit(v)))
		return 0;
	*q = k;
	return 1;
}

void pack_floats(sb *b, const float *v, size_t n)
{
	int ints = 1, thou = 1;
	for (size_t i = 0; i < n && (ints || thou); i++) {
		int64_t q;
		if (ints && !(v[i] >= 0 && v[i] < 4294967296.0f && v[i] == floorf(v[i]) && !signbit(v[i])))
			ints = 0;
		if (thou && !pack_is_thousandths(v[i], &q))
			thou = 0;
	}
	pack_uvarint(b, n);
	if (n == 0)
		return;
	if (ints || thou) {
		/* zigzag deltas: smooth histograms and evenly spaced bins shrink */
		sb_addc(b, ints ? 1 : 2);
		int64_t prev = 0;
		for (size_t i = 0; i < n; i++) {
			int64_t q = 0;
			if (ints)
				q = (int64_t)v[i];
			else
				pack_is_thousandths(v[i], &q);
			int64_t d = q - prev;
			prev = q;
			pack_uvarint(b, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
		}
	} else {
		sb_addc(b, 0);
		for (size_t i = 0; i < n; i++)
			pack_f32(b, v[i]);
	}
}

int unpack_floats(const unsigned char **pp, const unsigned char *end, arena *a, float **out,
                  size_t *n)
{
	uint64_t k;
	*out = NULL;
	*n = 0;
	if (unpack_uvarint(pp, end, &k) || k > (uint64_t)(end - *pp))
		return -1;
	float *v = arena_alloc(a, (k ? k : 1) * sizeof *v);
	*out = v;
	*n = k;
	if (k == 0)
		return 0;
	if (*pp >= end)
		return -1;
	unsigned tag = *(*pp)++;
	if (tag > 2)
		return -1;
	int64_t q = 0;
	for (uint64_t i = 0; i < k; i++) {
		if (tag == 0) {
			if (unpack_f32(pp, end, &v[i]))
				return -1;
			continue;
		}
		uint64_t x;
		if (unpack_uvarint(pp, end, &x))
			return -1;
		q += (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
		v[i] = tag == 1 ? (float)q : (float)((double)q / 1000.0);
	}
	return 0;
}

int zpack(sb *out, const void *raw, size_t n, int level)
{
	pack_uvarint(out, n);
	uLongf cap = compressBound((uLong)n);
	sb_grow(out, cap);
	int rc = compress2((Bytef *)out->p + out->n, &cap, raw, (uLong)n, level);
	if (rc != Z_OK)
		return -1;
	out->n += cap;
	out->p[out->n] = 0;
	return 0;
}

int zunpack(const void *blob, size_t len, arena *a, unsigned char **raw, size_t *n)
{
	if (!blob)
		return -1; /* a NULL column of a damaged database */
	const unsigned char *p = blob, *end = p + len;
	uint64_t k;
	/* zlib cannot expand more than about 1032:1 */
	if (unpack_uvarint(&p, end, &k) || k > (uint64_t)(end - p) * 1032 + 64 || k > (1u << 30))
		return -1;
	unsigned char *buf = arena_alloc(a, k + 1);
	uLongf got = (uLongf)k;
	if (uncompress(buf, &got, p, (uLong)(end - p)) != Z_OK || got != k)
		return -1;
	*raw = buf;
	*n = k;
	return 0;
}

int unpack_ids(const unsigned char **p, const unsigned char *end, uint32_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x;
		if (unpack_uvarint(p, end, &x) || x > UINT32_MAX)
			return -1;
		out[i] = (uint32_t)x;
	}
	return 0;
}
