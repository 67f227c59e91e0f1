/* attn.c - causal attention for a share of heads (see attn.h): scores and
 * values by OpenBLAS, the mask, softcap and softmax here. */
#include "config.h"
#include "saex.h"
#include "attn.h"
#include "act.h"

#include <cblas.h>

size_t attn_scratch(const attn_args *a)
{
	return a->T * a->Tk;
}

/* The keys row t sees: [*lo, *hi). */
static void attn_span(const attn_args *a, size_t t, size_t *lo, size_t *hi)
{
	size_t p = a->p0 + t;
	*hi = p + 1;
	*lo = a->window > 0 && p + 1 > (size_t)a->window ? p + 1 - (size_t)a->window : 0;
}

void attn_heads(const attn_args *a, int h0, int h1, float *sc)
{
	size_t ldq = (size_t)a->n_heads * (size_t)a->hd, ldk = (size_t)a->kv_heads * (size_t)a->hd;
	int group = a->n_heads / a->kv_heads;
	for (int h = h0; h < h1; h++) {
		const float *q = a->q + (size_t)h * (size_t)a->hd;
		const float *k = a->K + (size_t)(h / group) * (size_t)a->hd, *v = a->V + (size_t)(h / group) * (size_t)a->hd;
		float *z = a->z + (size_t)h * (size_t)a->hd;
		if (a->T == 1) { /* one new token: only the keys it sees */
			size_t lo, hi;
			attn_span(a, 0, &lo, &hi);
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(hi - lo), a->hd, a->scale, k + lo * ldk, (int)ldk, q, 1,
			            0.0f, sc, 1);
			if (a->softcap > 0)
				act_softcap(sc, hi - lo, a->softcap);
			saex_softmax(sc, hi - lo);
			cblas_sgemv(CblasRowMajor, CblasTrans, (int)(hi - lo), a->hd, 1.0f, v + lo * ldk, (int)ldk, sc, 1, 0.0f,
			            z, 1);
			continue;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->T, (int)a->Tk, a->hd, a->scale, q, (int)ldq, k,
		            (int)ldk, 0.0f, sc, (int)a->Tk);
		for (size_t t = 0; t < a->T; t++) {
			float *row = sc + t * a->Tk;
			size_t lo, hi;
			attn_span(a, t, &lo, &hi);
			for (size_t j = 0; j < lo; j++)
				row[j] = 0.0f;
			if (a->softcap > 0)
				act_softcap(row + lo, hi - lo, a->softcap);
			saex_softmax(row + lo, hi - lo);
			for (size_t j = hi; j < a->Tk; j++)
				row[j] = 0.0f;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)a->T, a->hd, (int)a->Tk, 1.0f, sc, (int)a->Tk, v,
		            (int)ldk, 0.0f, z, (int)ldq);
	}
}
