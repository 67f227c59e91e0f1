/* attn.h - causal attention of new positions over the keys and values
 * held so far, for a share of the query heads (FORMATS-MODELS.md §A.3).
 *
 * Query head h reads key/value head h / (n_heads / kv_heads) (grouped-query
 * attention; kv_heads == n_heads is plain multi-head). Row t of the new
 * positions (position p0 + t) sees key j when j <= p0 + t and, with a
 * window W > 0, p0 + t - W < j. Scores s = scale q.k, then
 * s = softcap tanh(s / softcap) when softcap > 0, then softmax over the
 * keys seen; z_h = sum_j p_j v_j.
 *
 * Ownership: the caller's arrays; nothing is kept. */
#ifndef SAEX_ATTN_H
#define SAEX_ATTN_H

#include <stddef.h>

typedef struct attn_args {
	const float *q;    /* [T, n_heads hd], rotated */
	const float *K;    /* [Tk, kv_heads hd]: keys of positions 0 .. Tk - 1 */
	const float *V;    /* [Tk, kv_heads hd] */
	float *z;          /* [T, n_heads hd] out */
	size_t T, Tk, p0;  /* Tk = p0 + T */
	int n_heads, kv_heads, hd;
	int window;        /* 0: every earlier key */
	float scale, softcap;
} attn_args;

/* Floats of scratch attn_heads needs. */
size_t attn_scratch(const attn_args *a);
/* Heads [h0, h1) of a; sc: attn_scratch(a) floats. */
void attn_heads(const attn_args *a, int h0, int h1, float *sc);

#endif
