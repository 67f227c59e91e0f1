/* pack.h - compact binary encodings for stored arrays.
 *
 * All encodings are little-endian and self-delimiting where noted. Decoders
 * check bounds and return -1 on malformed input rather than reading past the
 * end, so a damaged database gives an error, not a crash. */
#ifndef SAEX_PACK_H
#define SAEX_PACK_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

void pack_uvarint(sb *b, uint64_t v);
/* Reads one varint at *p (< end), advancing *p. */
int unpack_uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v);

void pack_f32(sb *b, float v);
int unpack_f32(const unsigned char **p, const unsigned char *end, float *v);

/* A token-id sequence: n varints, no count. */
void pack_ids(sb *b, const uint32_t *ids, size_t n);
/* Reads n varint ids at *p, advancing it. */
int unpack_ids(const unsigned char **p, const unsigned char *end, uint32_t *out, size_t n);

/* Floats with the smallest exact encoding: tag 1 when all are integers in
 * [0, 2^32), tag 2 when all are exact thousandths (v*1000, checked to read
 * back as the same f32), both as zigzag varints of the difference from the
 * previous one; else tag 0 (f32). The count is written first. */
void pack_floats(sb *b, const float *v, size_t n);
int unpack_floats(const unsigned char **p, const unsigned char *end, arena *a, float **out,
                  size_t *n);

/* Raw bytes compressed with zlib: varint raw length, then the zlib stream. */
int zpack(sb *out, const void *raw, size_t n, int level);
/* Inflates a zpack blob into arena memory. */
int zunpack(const void *blob, size_t len, arena *a, unsigned char **raw, size_t *n);

#endif
