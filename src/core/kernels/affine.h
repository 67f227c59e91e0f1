/* affine.h - one member's column share of a product, the step that team
 * members run for the forward pass's linear layers and logits, the SAE
 * encoder, and saex build's logit effects and similar features.
 *
 * affine_block: columns [0, w) of y (rows ldy apart) = x [T, k] @ W + b,
 * W's columns [0, w) (rows ldw apart), or with trans x @ W^T, W's rows
 * [0, w) of k values (ldw apart); b [w] or NULL. The bias is copied into
 * y, then the product is added on top of it (beta 1): no second pass over
 * y; with no bias y is only written. One row (a generated token) goes
 * through sgemv, which reads W once, where sgemm would first pack all of
 * the share's columns for that single row. W must be float-aligned: BLAS
 * kernels may assume it.
 * affine_cols: the columns [c0, c1) of y [T, n] = x [T, k] @ W [k, n] + b,
 * all row-major (affine_block on that share). Team members call these with
 * their own column shares (team_share), so no two write the same line.
 *
 * Ownership: the caller owns every array; nothing is kept. */
#ifndef SAEX_AFFINE_H
#define SAEX_AFFINE_H

#include <stddef.h>

void affine_block(float *y, size_t ldy, const float *x, const float *W, size_t ldw, int trans, const float *b,
                  size_t T, size_t k, size_t w);
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
