/* affine.h - one share of an affine product, the step that the forward
 * pass's linear layers and the SAE encoder share: the columns [c0, c1) of
 * y [T, n] = x [T, k] @ W [k, n] + b, all row-major. The bias (NULL:
 * zeros) is copied into the share, then the product is added on top of it
 * (beta 1): no second pass over y, and nothing read from y before. One row (a generated token) goes
 * through sgemv, which reads W once, where sgemm would first pack all of
 * the share's columns for that single row. Team members call it with
 * their own column shares (team_share), so no two write the same line.
 *
 * Ownership: the caller owns every array; nothing is kept. */
#ifndef SAEX_AFFINE_H
#define SAEX_AFFINE_H

#include <stddef.h>

void affine_cols(float *y, const float *x, const float *W, const float *b, size_t T, size_t k, size_t n,
                 size_t c0, size_t c1);

#endif
