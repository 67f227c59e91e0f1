/* wmat.c - products with a weight matrix in its file's dtype (see wmat.h). */
#include "config.h"
#include "wmat.h"

#include <cblas.h>
#include <string.h>

/* Inputs per widened block at most: longer rows are cut into equal chunks
 * whose products add up (beta 1), so that a block holds at least
 * WMAT_SCRATCH / WMAT_KC = 128 outputs. Each sgemm call packs its x chunk
 * anew; with few outputs a call (16 for a 9,216-long row in one chunk)
 * that packing, not the product, took most of a prompt's time. */
#define WMAT_KC 2048

static void wmat_f32(float *y, const float *x, size_t T, const wmat *w, size_t c0, size_t n)
{
	const float *W = w->p;
	size_t in = wmat_in(w), out = wmat_out(w);
	if (w->trans && T == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)in, 1.0f, W + c0 * in, (int)in, x, 1, 1.0f, y + c0, 1);
	else if (w->trans)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)n, (int)in, 1.0f, x, (int)in, W + c0 * in,
		            (int)in, 1.0f, y + c0, (int)out);
	else if (T == 1)
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)in, (int)n, 1.0f, W + c0, (int)out, x, 1, 1.0f, y + c0, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)n, (int)in, 1.0f, x, (int)in, W + c0,
		            (int)out, 1.0f, y + c0, (int)out);
}

/* T > 1 rows against 2-byte weights: blocks of nb outputs by kc inputs
 * widened into scratch, each added to y by sgemm. */
static void wmat_blocks(float *y, const float *x, size_t T, const wmat *w, size_t c0, size_t c1, float *scratch)
{
	const uint16_t *h = w->p;
	int bf = w->dtype == SAEX_BF16;
	size_t in = wmat_in(w), out = wmat_out(w);
	size_t nk = (in + WMAT_KC - 1) / WMAT_KC, kc = ((in + nk - 1) / nk + 15) / 16 * 16;
	if (kc > in)
		kc = in;
	size_t nb = WMAT_SCRATCH / kc / 16 * 16;
	for (size_t k0 = 0; k0 < in; k0 += kc) {
		size_t kn = in - k0 < kc ? in - k0 : kc;
		for (size_t c = c0; c < c1; c += nb) {
			size_t n = c1 - c < nb ? c1 - c : nb;
			if (w->trans) { /* block [n, kn]: output c's weights are row c */
				for (size_t r = 0; r < n; r++)
					w16_widen(scratch + r * kn, h + (c + r) * in + k0, kn, bf);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)n, (int)kn, 1.0f, x + k0,
				            (int)in, scratch, (int)kn, 1.0f, y + c, (int)out);
			} else { /* block [kn, n]: input k's weights are row k */
				for (size_t r = 0; r < kn; r++)
					w16_widen(scratch + r * n, h + (k0 + r) * out + c, n, bf);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)n, (int)kn, 1.0f, x + k0,
				            (int)in, scratch, (int)n, 1.0f, y + c, (int)out);
			}
		}
	}
}

void wmat_cols(float *y, const float *x, size_t T, const wmat *w, const float *b, size_t c0, size_t c1,
               float *scratch)
{
	if (c0 >= c1 || T == 0)
		return;
	size_t in = wmat_in(w), out = wmat_out(w), n = c1 - c0;
	for (size_t t = 0; t < T; t++)
		if (b)
			memcpy(y + t * out + c0, b + c0, n * sizeof *y);
		else
			memset(y + t * out + c0, 0, n * sizeof *y);
	if (w->dtype == SAEX_F32)
		wmat_f32(y, x, T, w, c0, n);
	else if (T > 1)
		wmat_blocks(y, x, T, w, c0, c1, scratch);
	else if (w->trans)
		w16_dot(y + c0, (const uint16_t *)w->p + c0 * in, in, n, x, in, w->dtype == SAEX_BF16);
	else
		w16_axpy(y + c0, (const uint16_t *)w->p + c0, out, in, n, x, w->dtype == SAEX_BF16);
}

void wmat_row(const wmat *w, size_t r, float *out)
{
	if (w->dtype == SAEX_F32)
		memcpy(out, (const float *)w->p + r * w->cols, w->cols * sizeof *out);
	else
		w16_widen(out, (const uint16_t *)w->p + r * w->cols, w->cols, w->dtype == SAEX_BF16);
}
