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

/* Activation values, n of them: a tag byte then either the dense f32 array
 * (tag 1) or, when shorter (tag 0), n, the count of non-zeros and (gap varint, f32)
 * pairs (tag 0). unpack_values fills exactly n floats. */
void pack_values(sb *b, const float *v, size_t n);
int unpack_values(const void *blob, size_t len, float *out, size_t n);

/* A float array with its length: varint n, then n f32. */
void pack_f32_array(sb *b, const float *v, size_t n);
/* Decodes into an array allocated from the arena; *n receives the count. */
int unpack_f32_array(const void *blob, size_t len, arena *a, float **out, size_t *n);

/* Token ids (varints) with their float values: varint n, n varints, n f32. */
void pack_id_values(sb *b, const uint32_t *ids, const float *v, size_t n);
int unpack_id_values(const void *blob, size_t len, arena *a, uint32_t **ids, float **v,
                     size_t *n);

/* A token-id sequence: n varints, no count (the blob length delimits it). */
void pack_ids(sb *b, const uint32_t *ids, size_t n);
/* Counts ids in a blob, or -1 when malformed. */
long count_ids(const void *blob, size_t len);
int unpack_ids(const void *blob, size_t len, uint32_t *out, size_t n);
/* Reads n varint ids at *p, advancing it. */
int unpack_ids_prefix(const unsigned char **p, const unsigned char *end, uint32_t *out, size_t n);

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
