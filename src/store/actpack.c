/* actpack.c - see actpack.h */
#include "config.h"
#include "actpack.h"
#include "pack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ACTPACK_LEVEL 6

static void actpack_u32(sb *b, uint32_t v)
{
	unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	sb_add(b, t, 4);
}

int actpack_encode(sb *out, const actpack_ex *ex, size_t count)
{
	sb raw = {0};
	pack_uvarint(&raw, count);
	for (size_t i = 0; i < count; i++) {
		const actpack_ex *x = &ex[i];
		float hdr[5] = {x->max_value, x->min_value, x->bin_min, x->bin_max, x->bin_contains};
		actpack_u32(&raw, x->key);
		pack_uvarint(&raw, x->n);
		pack_uvarint(&raw, (uint64_t)(x->max_index < 0 ? 0 : x->max_index));
		pack_floats(&raw, hdr, 5);
	}
	for (size_t i = 0; i < count; i++)
		pack_ids(&raw, ex[i].ids, ex[i].n);
	float *nz = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < count; i++) {
		const actpack_ex *x = &ex[i];
		size_t k = 0;
		for (uint32_t t = 0; t < x->n; t++)
			k += x->values[t] != 0.0f || signbit(x->values[t]);
		if (k > cap) {
			cap = k * 2;
			nz = xrealloc(nz, cap * sizeof *nz);
		}
		pack_uvarint(&raw, k);
		uint32_t last = 0;
		k = 0;
		for (uint32_t t = 0; t < x->n; t++) {
			if (x->values[t] != 0.0f || signbit(x->values[t])) {
				pack_uvarint(&raw, t - last);
				last = t + 1;
				nz[k++] = x->values[t];
			}
		}
		pack_floats(&raw, nz, k);
	}
	free(nz);
	int rc = zpack(out, raw.p ? raw.p : "", raw.n, ACTPACK_LEVEL);
	sb_free(&raw);
	return rc;
}

int actpack_decode(const void *blob, size_t len, arena *a, actpack_ex **out, size_t *count)
{
	unsigned char *raw;
	size_t n;
	*out = NULL;
	*count = 0;
	if (zunpack(blob, len, a, &raw, &n))
		return -1;
	const unsigned char *p = raw, *end = raw + n;
	uint64_t k;
	if (unpack_uvarint(&p, end, &k) || k > n / 8)
		return -1;
	actpack_ex *ex = arena_alloc(a, (k ? k : 1) * sizeof *ex);
	for (uint64_t i = 0; i < k; i++) {
		actpack_ex *x = &ex[i];
		uint64_t tn, mi;
		float *hdr;
		size_t hn;
		if (end - p < 4)
			return -1;
		x->key = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		         (uint32_t)p[3] << 24;
		p += 4;
		if (unpack_uvarint(&p, end, &tn) || tn > n || unpack_uvarint(&p, end, &mi) ||
		    (tn && mi >= tn) || unpack_floats(&p, end, a, &hdr, &hn) || hn != 5)
			return -1;
		x->n = (uint32_t)tn;
		x->max_index = (int32_t)mi;
		x->max_value = hdr[0];
		x->min_value = hdr[1];
		x->bin_min = hdr[2];
		x->bin_max = hdr[3];
		x->bin_contains = hdr[4];
	}
	for (uint64_t i = 0; i < k; i++) {
		actpack_ex *x = &ex[i];
		x->ids = arena_alloc(a, ((size_t)x->n + 1) * sizeof *x->ids);
		if (unpack_ids(&p, end, x->ids, x->n))
			return -1;
	}
	for (uint64_t i = 0; i < k; i++) {
		actpack_ex *x = &ex[i];
		uint64_t nz;
		x->values = arena_alloc(a, ((size_t)x->n + 1) * sizeof *x->values);
		if (unpack_uvarint(&p, end, &nz) || nz > x->n)
			return -1;
		uint32_t *pos = arena_alloc(a, (nz + 1) * sizeof *pos);
		uint64_t at = 0;
		for (uint64_t j = 0; j < nz; j++) {
			uint64_t gap;
			if (unpack_uvarint(&p, end, &gap) || gap >= x->n - at)
				return -1;
			at += gap;
			pos[j] = (uint32_t)at++;
		}
		float *v;
		size_t vn;
		if (unpack_floats(&p, end, a, &v, &vn) || vn != nz)
			return -1;
		for (uint64_t j = 0; j < nz; j++)
			x->values[pos[j]] = v[j];
	}
	if (p != end)
		return -1;
	*out = ex;
	*count = k;
	return 0;
}
