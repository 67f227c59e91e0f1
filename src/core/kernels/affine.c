/* affine.c - see affine.h */
#include "config.h"
#include "affine.h"

#include <cblas.h>
#include <string.h>

void affine_cols(float *y, const float *x, const float *W, const float *b, size_t T, size_t k, size_t n,
                 size_t c0, size_t c1)
{
	if (c0 >= c1 || T == 0)
		return;
	size_t w = c1 - c0;
	for (size_t t = 0; t < T; t++)
		if (b)
			memcpy(y + t * n + c0, b + c0, w * sizeof *y);
		else
			memset(y + t * n + c0, 0, w * sizeof *y);
	if (T == 1)
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)w, 1.0f, W + c0, (int)n, x, 1, 1.0f, y + c0, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)w, (int)k, 1.0f, x, (int)k, W + c0,
		            (int)n, 1.0f, y + c0, (int)n);
}

void affine_cols_tb(float *y, const float *x, const float *Wt, const float *b, size_t T, size_t k, size_t n,
                    size_t c0, size_t c1)
{
	if (c0 >= c1 || T == 0)
		return;
	size_t w = c1 - c0;
	for (size_t t = 0; b && t < T; t++)
		memcpy(y + t * n + c0, b + c0, w * sizeof *y);
	float beta = b ? 1.0f : 0.0f;
	if (T == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)w, (int)k, 1.0f, Wt + c0 * k, (int)k, x, 1, beta, y + c0, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)w, (int)k, 1.0f, x, (int)k, Wt + c0 * k,
		            (int)k, beta, y + c0, (int)n);
}

void affine_cols_t(float *y, const float *x, const float *Wt, size_t T, size_t k, size_t n, size_t c0, size_t c1)
{
	affine_cols_tb(y, x, Wt, NULL, T, k, n, c0, c1);
}
