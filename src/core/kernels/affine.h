/* affine.h - one member's column share of a product, the step that team
 * members run for the forward pass's linear layers and logits, the SAE
 * encoder, and saex build's logit effects and similar features.
 *
 * affine_cols: the columns [c0, c1) of y [T, n] = x [T, k] @ W [k, n] + b,
 * all row-major. The bias (NULL: zeros) is copied into the share, then the
 * product is added on top of it (beta 1): no second pass over y, and
 * nothing read from y before. One row (a generated token) goes through
 * sgemv, which reads W once, where sgemm would first pack all of the
 * share's columns for that single row. Team members call these with their
 * own column shares (team_share), so no two write the same line.
 *
 * Ownership: the caller owns every array; nothing is kept. */
#ifndef SAEX_AFFINE_H
#define SAEX_AFFINE_H

#include <stddef.h>

void affine_cols(float *y, const float *x, const float *W, const float *b, size_t T, size_t k, size_t n,
                 size_t c0, size_t c1);

/* The columns [c0, c1) of y [T, n] = x [T, k] @ Wt^T + b, Wt [n, k]
 * row-major (one row of Wt per output column: the tied unembedding, unit
 * decoder rows, encoders stored as [d_sae, d_in]); b NULL: no bias, and
 * nothing written before the product. One row goes through sgemv as
 * above. affine_cols_t is affine_cols_tb without a bias. */
void affine_cols_tb(float *y, const float *x, const float *Wt, const float *b, size_t T, size_t k, size_t n,
                    size_t c0, size_t c1);
void affine_cols_t(float *y, const float *x, const float *Wt, size_t T, size_t k, size_t n, size_t c0, size_t c1);

#endif
