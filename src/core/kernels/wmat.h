/* wmat.h - a weight matrix as the file holds it (F32, F16 or BF16, in either
 * layout) and one member's share of a product with it: the step of every
 * linear layer, of the logits and of saex build's logit effects.
 *
 * Layouts: trans 0 is W [in, out] and y = x W (GPT-2's Conv1D); trans 1 is
 * W [out, in] and y = x W^T (a Hugging Face Linear, an embedding used as
 * the unembedding). Rows are row-major and contiguous.
 *
 * wmat_cols computes the output columns [c0, c1) of y [T, out] =
 * x [T, in] W (+ b), all in float32:
 *   F32: OpenBLAS on the weights in place (sgemm; sgemv for one row, which
 *     reads W once where sgemm would pack it for that single row).
 *   F16/BF16, one row (a generated token): a matrix-vector product that
 *     reads the 2-byte weights directly (wmat16.c), accumulating in F32.
 *   F16/BF16, more rows (a prompt): the share is widened to F32 a block at a
 *     time into the caller's scratch (WMAT_SCRATCH floats) and each block
 *     handed to sgemm; OpenBLAS has no half-precision product.
 * Team members call it with their own column shares (team_share), so no
 * two write the same cache line when shares start on 16-float boundaries.
 *
 * Ownership: the caller owns every array; nothing is kept. Thread-safe for
 * distinct scratch buffers. */
#ifndef SAEX_WMAT_H
#define SAEX_WMAT_H

#include "saex_tensor.h"

#include <stddef.h>
#include <stdint.h>

/* Floats of scratch a member passes to wmat_cols (1 MiB: a widened block
 * stays in the core's cache while sgemm packs it). */
#define WMAT_SCRATCH ((size_t)1 << 18)

typedef struct wmat {
	const void *p;      /* rows x cols elements of dtype, host byte order */
	saex_dtype dtype;
	size_t rows, cols;
	int trans;          /* 1: y = x W^T (W [out, in]); 0: y = x W (W [in, out]) */
} wmat;

static inline size_t wmat_in(const wmat *w)
{
	return w->trans ? w->cols : w->rows;
}

static inline size_t wmat_out(const wmat *w)
{
	return w->trans ? w->rows : w->cols;
}

/* The columns [c0, c1) of y [T, out] = x [T, in] W + b (b NULL: no bias);
 * scratch: WMAT_SCRATCH floats, used for F16/BF16 with T > 1 only (may be
 * NULL otherwise). */
void wmat_cols(float *y, const float *x, size_t T, const wmat *w, const float *b, size_t c0, size_t c1,
               float *scratch);

/* Row r of the stored matrix (cols values) widened into out: an embedding's
 * row, an output's weights. */
void wmat_row(const wmat *w, size_t r, float *out);

/* The 2-byte kernels (wmat16.c), exposed for wmat.c and tests. h points to
 * F16 (bf 0) or BF16 (bf 1) values in host byte order.
 * w16_widen: out[i] = h[i] as float32, exactly, for n values.
 * w16_dot: y[r] += sum_k h[r ld + k] x[k] for rows r in [0, rows).
 * w16_axpy: y[c] += sum_k x[k] h[k ld + c] for columns c in [0, w), k in
 *   [0, kn): the Conv1D layout's matrix-vector product. */
void w16_widen(float *out, const uint16_t *h, size_t n, int bf);
void w16_dot(float *y, const uint16_t *h, size_t ld, size_t rows, const float *x, size_t k, int bf);
void w16_axpy(float *y, const uint16_t *h, size_t ld, size_t kn, size_t w, const float *x, int bf);
/* The one-token kernels use AVX-512 (2), AVX2 with FMA and F16C (1) or
 * portable C (0), the best the CPU runs; w16_cap(level) allows no better
 * than level from then on and returns the level in use (for tests; not
 * thread-safe). */
int w16_cap(int level);

#endif
