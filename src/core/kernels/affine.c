/* affine.c - see affine.h */
#include "config.h"
#include "affine.h"

#include <cblas.h>
#include <string.h>

void affine_block(float *y, size_t ldy, const float *x, const float *W, size_t ldw, int trans, const float *b,
                  size_t T, size_t k, size_t w)
{
	if (w == 0 || T == 0)
		return;
	for (size_t t = 0; b && t < T; t++)
		memcpy(y + t * ldy, b, w * sizeof *y);
	float beta = b ? 1.0f : 0.0f;
	if (T == 1 && trans)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)w, (int)k, 1.0f, W, (int)ldw, x, 1, beta, y, 1);
	else if (T == 1)
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)w, 1.0f, W, (int)ldw, x, 1, beta, y, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, trans ? CblasTrans : CblasNoTrans, (int)T, (int)w, (int)k, 1.0f, x,
		            (int)k, W, (int)ldw, beta, y, (int)ldy);
}

void affine_cols(float *y, const float *x, const float *W, const float *b, size_t T, size_t k, size_t n,
                 size_t c0, size_t c1)
{
	if (c0 < c1)
		affine_block(y + c0, n, x, W + c0, n, 0, b ? b + c0 : NULL, T, k, c1 - c0);
}

void affine_cols_tb(float *y, const float *x, const float *Wt, const float *b, size_t T, size_t k, size_t n,
                    size_t c0, size_t c1)
{
	if (c0 < c1)
		affine_block(y + c0, n, x, Wt + c0 * k, k, 1, b ? b + c0 : NULL, T, k, c1 - c0);
}

void affine_cols_t(float *y, const float *x, const float *Wt, size_t T, size_t k, size_t n, size_t c0, size_t c1)
{
	affine_cols_tb(y, x, Wt, NULL, T, k, n, c0, c1);
}
