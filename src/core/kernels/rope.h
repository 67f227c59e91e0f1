/* rope.h - rotary position embeddings in the "rotate half" form that every
 * family saex runs uses (FORMATS-MODELS.md §A.3).
 *
 * For the first r dimensions of a head (r even; the others pass through)
 * and i < r/2: inv_i = base^(-2i/r), then scaled (rope_cfg); at position p,
 * th = p inv_i, and
 *   x'_i       = x_i cos th - x_{i+r/2} sin th
 *   x'_{i+r/2} = x_{i+r/2} cos th + x_i sin th.
 * As Hugging Face does, inv and p inv are float32 before cos and sin.
 * Scalings: ROPE_LINEAR divides every inv by factor; ROPE_LLAMA3 (factor,
 * low, high, orig = original_max_position_embeddings L0) with wavelength
 * l = 2 pi / inv: l > L0/low: inv / factor; l < L0/high: inv; otherwise
 * s = (L0/l - low) / (high - low) and inv' = (1 - s) inv / factor + s inv.
 *
 * Ownership: the caller's arrays; nothing is kept. */
#ifndef SAEX_ROPE_H
#define SAEX_ROPE_H

#include <stddef.h>

typedef enum rope_kind { ROPE_DEFAULT, ROPE_LINEAR, ROPE_LLAMA3 } rope_kind;

typedef struct rope_cfg {
	int dims;                       /* r: rotated dimensions of a head */
	double base;                    /* rope_theta */
	rope_kind kind;
	double factor, low, high, orig; /* linear: factor; llama3: all four */
} rope_cfg;

/* The r/2 inverse frequencies of c into inv. */
void rope_inv(float *inv, const rope_cfg *c);
/* cs [T, r]: for positions p0 .. p0 + T - 1, the r/2 values cos th_i then
 * the r/2 values sin th_i. */
void rope_table(float *cs, const float *inv, int r, size_t p0, size_t T);
/* Rotates x[0 .. r) (one head's query or key) by a position's row of
 * rope_table. */
void rope_apply(float *x, const float *cs, int r);

#endif
