/* norm.h - the normalisations of a row of the residual stream.
 *
 * NORM_LAYER: (x - mean) / sqrt(var + eps), var the biased variance, then
 * * w + b (GPT-2, GPT-NeoX). NORM_RMS: x / sqrt(mean(x^2) + eps), then * w
 * (Llama, Qwen, Gemma; Gemma's (1 + w) is an RMS norm whose weight the
 * loader has added one to, in float32 as Hugging Face does). Sums in double
 * precision.
 *
 * Ownership: the caller's arrays; nothing is kept. */
#ifndef SAEX_NORM_H
#define SAEX_NORM_H

#include <stddef.h>

typedef enum norm_kind { NORM_LAYER, NORM_RMS } norm_kind;

/* y = normalise(x) over n values (y may be x), then times w (plus b for a
 * layer norm; b may be NULL) when w is not NULL. */
void norm_row(norm_kind k, float *y, const float *x, size_t n, const float *w, const float *b, float eps);

/* y = y * w + b over n values (b NULL: none): the weight applied to values
 * a hook saw normalised. */
void norm_scale(float *y, size_t n, const float *w, const float *b);

#endif
