/* model.c - what a loaded model tells its users (configuration, W_U), its
 * hook points (TransformerLens names, widths from the description) and the
 * KV cache. Loading is in load.c, the forward pass in forward.c. */
#include "config.h"
#include "saex.h"
#include "model_int.h"
#include "tensor_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const saex_model_config *saex_model_config_of(const saex_model *m)
{
	return &m->cfg;
}

const saex_tensor *saex_model_unembed(const saex_model *m)
{
	return &m->unembed_t;
}

void saex_model_unembed_rows(const saex_model *m, size_t r0, size_t n, float *out)
{
	for (size_t r = 0; r < n; r++)
		wmat_row(&m->unembed, r0 + r, out + r * m->unembed.cols);
}

/* ---------------------------------------------------------------- hooks */

/* The names of a block's hook points, "blocks.L." then these, by kind;
 * SAEX_HOOK_EMBED is the one point outside the blocks, "hook_embed". */
static const char *const hook_suffix[SAEX_HOOK_KINDS] = {
	[SAEX_HOOK_EMBED] = NULL,
	[SAEX_HOOK_RESID_PRE] = "hook_resid_pre",
	[SAEX_HOOK_LN1_NORMALIZED] = "ln1.hook_normalized",
	[SAEX_HOOK_Z] = "attn.hook_z",
	[SAEX_HOOK_ATTN_OUT] = "hook_attn_out",
	[SAEX_HOOK_RESID_MID] = "hook_resid_mid",
	[SAEX_HOOK_LN2_NORMALIZED] = "ln2.hook_normalized",
	[SAEX_HOOK_MLP_IN] = "mlp.hook_in",
	[SAEX_HOOK_MLP_POST] = "mlp.hook_post",
	[SAEX_HOOK_MLP_OUT] = "hook_mlp_out",
	[SAEX_HOOK_RESID_POST] = "hook_resid_post"};

int saex_hook_parse(const char *name, int *layer, saex_hook_kind *kind)
{
	if (strcmp(name, "hook_embed") == 0) {
		*layer = 0;
		*kind = SAEX_HOOK_EMBED;
		return 0;
	}
	if (strncmp(name, "blocks.", 7) != 0)
		return -1;
	const char *p = name + 7;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	long l = 0;
	while (*p >= '0' && *p <= '9') {
		l = l * 10 + (*p++ - '0');
		if (l > 1000000)
			return -1;
	}
	if (*p++ != '.')
		return -1;
	for (int k = 0; k < SAEX_HOOK_KINDS; k++)
		if (hook_suffix[k] && strcmp(p, hook_suffix[k]) == 0) {
			*layer = (int)l;
			*kind = (saex_hook_kind)k;
			return 0;
		}
	return -1;
}

size_t saex_hook_list(char *buf, size_t n)
{
	size_t len = (size_t)snprintf(buf, n, "hook_embed");
	for (int k = 0; k < SAEX_HOOK_KINDS; k++)
		if (hook_suffix[k])
			len += (size_t)snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, ", %sblocks.L.%s",
			                        k == SAEX_HOOK_RESID_POST ? "or " : "", hook_suffix[k]);
	return len;
}

size_t model_hook_width(const saex_model *m, saex_hook_kind k)
{
	const model_arch *a = &m->a;
	switch (k) {
	case SAEX_HOOK_Z: return (size_t)a->n_heads * (size_t)a->head_dim;
	case SAEX_HOOK_MLP_POST: return (size_t)a->d_mlp;
	case SAEX_HOOK_RESID_MID: return a->parallel ? 0 : (size_t)a->d_model;
	default: return (size_t)a->d_model;
	}
}

size_t saex_model_hook_check(const saex_model *m, const char *name, char *err, size_t errlen)
{
	int l;
	saex_hook_kind k;
	int n = m->a.n_layers;
	if (!name || saex_hook_parse(name, &l, &k)) {
		char forms[512];
		saex_hook_list(forms, sizeof forms);
		tensor_fail(err, errlen, "unknown hook '%s' (%s; L from 0 to %d)", name ? name : "(null)", forms, n - 1);
		return 0;
	}
	if (l >= n) {
		tensor_fail(err, errlen, "unknown hook '%s': the model has layers 0 to %d", name, n - 1);
		return 0;
	}
	size_t w = model_hook_width(m, k);
	if (!w)
		tensor_fail(err, errlen, "hook '%s': a %s block has no resid_mid (its attention and MLP both read the "
		            "block's input)", name, m->cfg.family);
	return w;
}

size_t saex_model_hook_width(const saex_model *m, const char *name)
{
	return saex_model_hook_check(m, name, NULL, 0);
}

/* ---------------------------------------------------------------- KV cache */

saex_kv *saex_kv_new(const saex_model *m, size_t cap)
{
	const model_arch *a = &m->a;
	if (cap == 0 || cap > (size_t)a->n_ctx)
		cap = (size_t)a->n_ctx;
	saex_kv *kv = calloc(1, sizeof *kv);
	if (!kv)
		return NULL;
	kv->m = m;
	kv->cap = cap;
	kv->row = (size_t)a->n_kv_heads * (size_t)a->head_dim;
	size_t n = (size_t)a->n_layers * cap * kv->row;
	if (n / cap / kv->row != (size_t)a->n_layers || n > SIZE_MAX / sizeof(float)) {
		free(kv);
		return NULL;
	}
	kv->k = malloc(n * sizeof *kv->k);
	kv->v = malloc(n * sizeof *kv->v);
	if (!kv->k || !kv->v) {
		saex_kv_free(kv);
		return NULL;
	}
	return kv;
}

void saex_kv_free(saex_kv *kv)
{
	if (!kv)
		return;
	free(kv->k);
	free(kv->v);
	free(kv);
}

void saex_kv_reset(saex_kv *kv)
{
	kv->len = 0;
}

size_t saex_kv_len(const saex_kv *kv)
{
	return kv->len;
}
