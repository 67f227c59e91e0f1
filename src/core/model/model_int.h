/* model_int.h - the model's and the KV cache's insides, shared by model.c
 * (loading, numerics, the cache) and forward.c (the forward pass). Not
 * installed. */
#ifndef SAEX_MODEL_INT_H
#define SAEX_MODEL_INT_H

#include "saex.h"

typedef struct layer_w {
	const float *ln1_w, *ln1_b, *attn_w, *attn_b, *aproj_w, *aproj_b;
	const float *ln2_w, *ln2_b, *fc_w, *fc_b, *mproj_w, *mproj_b;
} layer_w;

struct saex_model {
	saex_model_config cfg;
	saex_safetensors *st;
	char *st_path;
	const float *wte, *wpe, *lnf_w, *lnf_b;
	layer_w *layers;
	float **owned; /* converted copies (F16, BF16, unaligned F32) */
	size_t n_owned;
};

struct saex_kv {
	const saex_model *m;
	size_t cap, len; /* positions held / filled */
	float *k, *v;    /* [n_layer][cap][d] each */
};

#endif
