/* frec.h - a feature's record: the histograms, logit lists (token ids),
 * similar features and extra JSON that the feature table keeps in one
 * compressed blob (data/schema.sql), and the rule that merges a new row
 * into a stored one.
 *
 * Layout before compression (pack.h encodings): freq heights, freq values,
 * logit-histogram heights, values (pack_floats each); then for the
 * positive logits, the negative logits and the similar features a varint
 * count, the ids (pack_ids) and the values (pack_floats); then a varint
 * length and the extra JSON. Decoding checks every bound and count. */
#ifndef SAEX_FREC_H
#define SAEX_FREC_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

typedef struct frec {
	const float *freq_h, *freq_v;
	size_t n_freq;
	const float *lhist_h, *lhist_v;
	size_t n_lhist;
	const uint32_t *pos_ids;
	const float *pos_v;
	size_t n_pos;
	const uint32_t *neg_ids;
	const float *neg_v;
	size_t n_neg;
	const uint32_t *cos_idx;
	const float *cos_v;
	size_t n_cos;
	const char *extra;          /* JSON object text, or NULL */
	size_t extra_len;
} frec;

/* Appends the compressed record to out; -1 when compression fails. */
int frec_pack(sb *out, const frec *r);
/* Decodes a blob; arrays live in the arena. -1 when it is damaged. */
int frec_unpack(const void *blob, size_t len, arena *a, frec *r);
/* The merge of a new row into a stored one: each part the new row has (a
 * non-empty histogram, logit list or similar-feature list) replaces the
 * stored part, each part it lacks keeps the stored one; the extra JSON
 * objects merge key by key, the new row's keys winning. Strings in the
 * arena. -1 when memory runs out. */
int frec_merge(const frec *stored, const frec *in, arena *a, frec *out);

#endif
