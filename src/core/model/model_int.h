/* model_int.h - the model's and the KV cache's insides, shared by load.c
 * (weights), model.c (hooks, the cache, what the model tells its users) and
 * forward.c (the forward pass). Not installed. */
#ifndef SAEX_MODEL_INT_H
#define SAEX_MODEL_INT_H

#include "saex.h"
#include "arch.h"
#include "wmat.h"

/* One block's tensors by slot: matrices as the file holds them, vectors
 * (norm weights, biases) as float32, NULL where the model has none. */
typedef struct layer_w {
	wmat m[W_SLOTS];
	const float *v[W_SLOTS];
	int sliding; /* a windowed layer, with the local rope */
} layer_w;

/* The open weight files: one model.safetensors, or the shards an index
 * names. */
typedef struct wfiles {
	saex_safetensors **f;
	char **name; /* file names in the folder */
	size_t n;
} wfiles;

struct saex_model {
	saex_model_config cfg;
	model_arch a;
	wfiles wf;
	wmat embed, pos, unembed;
	saex_tensor unembed_t; /* saex_model_unembed's view of unembed */
	const float *norm_f, *norm_f_b;
	layer_w *layers;
	float *rope_inv[2];    /* a->rope[i].dims / 2 each */
	void **owned;          /* copies: float32 vectors, unaligned or byte-swapped data */
	size_t n_owned;
};

struct saex_kv {
	const saex_model *m;
	size_t cap, len; /* positions held / filled */
	size_t row;      /* floats per position and layer: n_kv_heads * head_dim */
	float *k, *v;    /* [n_layers][cap][row] each */
};

/* The width of hook kind k of m (0 when m has no such point: resid_mid of
 * a parallel block). */
size_t model_hook_width(const saex_model *m, saex_hook_kind k);

#endif
