/* actpack.h - one feature's activation examples packed into one blob.
 *
 * Layout before compression: varint count; per example a header (u32 key,
 * varint n, varint max_index, then max_value, min_value, bin_min, bin_max,
 * bin_contains as pack_floats); then every example's token ids (varints);
 * then every example's non-zero values (varint count, varint gaps, then
 * pack_floats of the values). Like things sit together so zlib finds them;
 * the whole is a zpack blob (see pack.h).
 *
 * Decoding checks every bound: a damaged blob gives -1, never a crash. */
#ifndef SAEX_ACTPACK_H
#define SAEX_ACTPACK_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

typedef struct actpack_ex {
	uint32_t key;          /* identity within the feature */
	uint32_t n;            /* tokens */
	int32_t max_index;
	float max_value, min_value, bin_min, bin_max, bin_contains;
	uint32_t *ids;         /* n token ids */
	float *values;         /* n values */
} actpack_ex;

/* Appends the packed, compressed examples to out. */
int actpack_encode(sb *out, const actpack_ex *ex, size_t count);
/* Decodes a blob; arrays live in the arena. */
int actpack_decode(const void *blob, size_t len, arena *a, actpack_ex **ex, size_t *count);

#endif
