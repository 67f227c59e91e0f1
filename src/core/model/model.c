/* model.c - GPT-2 from a Hugging Face folder: loading, the numerics of its
 * steps, hook names (TransformerLens) and the KV cache. The forward pass
 * is in forward.c. */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"
#include "model_int.h"
#include "vmath.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- numerics */

void saex_layer_norm(float *y, const float *x, size_t n, const float *w, const float *b, float eps)
{
	double mean = 0, var = 0;
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - mean;
		var += d * d;
	}
	var /= (double)n;
	float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
	if (!w) {
		for (size_t i = 0; i < n; i++)
			y[i] = (x[i] - m) * inv;
		return;
	}
	for (size_t i = 0; i < n; i++)
		y[i] = (x[i] - m) * inv * w[i] + b[i];
}

/* 0.5 v (1 + tanh u) is v * sigmoid(2u) = v / (1 + exp(-2u)): the same
 * function, within float32 rounding (1.5e-6 relative against float64 over
 * [-4, 4]), and exp is several times faster than tanh; vm_expf (vmath.h)
 * lets the loop run as vector code. A large negative u makes the result
 * v / e^88, a tiny negative number, where the limit is -0. */
VM_CLONES void saex_gelu_new(float *x, size_t n)
{
	const float c2 = 2.0f * 0.7978845608028654f; /* 2 sqrt(2/pi) */
	for (size_t i = 0; i < n; i++) {
		float v = x[i];
		x[i] = v / (1.0f + vm_expf(-c2 * (v + 0.044715f * v * v * v)));
	}
}

VM_CLONES void saex_softmax(float *x, size_t n)
{
	float mx = -INFINITY;
	for (size_t i = 0; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	if (mx == -INFINITY) {
		memset(x, 0, n * sizeof *x);
		return;
	}
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] == -INFINITY ? 0.0f : vm_expf(x[i] - mx);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	float inv = (float)(1.0 / sum);
	for (size_t i = 0; i < n; i++)
		x[i] *= inv;
}

/* ---------------------------------------------------------------- loading */

static int cfg_int(json_t *root, const char *key, int *out, int required, int dflt, const char *path,
                   char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!v) {
		if (required) {
			tensor_fail(err, errlen, "%s: '%s' is missing", path, key);
			return -1;
		}
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 24)) {
		tensor_fail(err, errlen, "%s: '%s' must be an integer from 1 to %d", path, key, 1 << 24);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static int load_config(saex_model_config *c, const char *dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/config.json", dir);
	json_t *root = tensor_json_object(path, err, errlen);
	int rc = -1;
	if (!root)
		goto out;
	json_t *mt = json_object_get(root, "model_type");
	if (mt && json_is_string(mt) && strcmp(json_string_value(mt), "gpt2") != 0) {
		tensor_fail(err, errlen, "%s: model_type '%s' is not supported (only gpt2)", path, json_string_value(mt));
		goto out;
	}
	if (cfg_int(root, "n_layer", &c->n_layer, 1, 0, path, err, errlen) ||
	    cfg_int(root, "n_head", &c->n_head, 1, 0, path, err, errlen) ||
	    cfg_int(root, "n_embd", &c->n_embd, 1, 0, path, err, errlen) ||
	    cfg_int(root, "vocab_size", &c->vocab_size, 1, 0, path, err, errlen) ||
	    cfg_int(root, "n_positions", &c->n_positions, 0, 0, path, err, errlen))
		goto out;
	if (c->n_positions == 0 && cfg_int(root, "n_ctx", &c->n_positions, 1, 0, path, err, errlen))
		goto out;
	if (c->n_embd % c->n_head) {
		tensor_fail(err, errlen, "%s: n_embd %d is not a multiple of n_head %d", path, c->n_embd, c->n_head);
		goto out;
	}
	json_t *eps = json_object_get(root, "layer_norm_epsilon");
	c->layer_norm_epsilon = 1e-5f;
	if (eps) {
		if (!json_is_number(eps) || json_number_value(eps) < 0 || json_number_value(eps) > 1) {
			tensor_fail(err, errlen, "%s: 'layer_norm_epsilon' must be a number from 0 to 1", path);
			goto out;
		}
		c->layer_norm_epsilon = (float)json_number_value(eps);
	}
	json_t *act = json_object_get(root, "activation_function");
	if (act && (!json_is_string(act) || strcmp(json_string_value(act), "gelu_new") != 0)) {
		tensor_fail(err, errlen, "%s: activation_function '%s' is not supported (only gelu_new)", path,
		       json_is_string(act) ? json_string_value(act) : "(not a string)");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

/* Finds name (with or without "transformer.") of exactly the shape given
 * (ndim values, then dims) and returns its float32 view. */
static const float *get_w(saex_model *m, char *err, size_t errlen, int ndim, int64_t d0, int64_t d1,
                          const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static const float *get_w(saex_model *m, char *err, size_t errlen, int ndim, int64_t d0, int64_t d1,
                          const char *fmt, ...)
{
	char name[128], pref[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	snprintf(pref, sizeof pref, "transformer.%s", name);
	const saex_tensor *t = saex_safetensors_find(m->st, pref);
	if (!t)
		t = saex_safetensors_find(m->st, name);
	if (!t) {
		tensor_fail(err, errlen, "%s: tensor '%s' is missing", m->st_path, name);
		return NULL;
	}
	int64_t want[2] = {d0, d1};
	int ok = t->ndim == ndim;
	for (int i = 0; ok && i < ndim; i++)
		ok = t->shape[i] == want[i];
	if (!ok) {
		char got[160] = "[", w[64];
		for (int i = 0; i < t->ndim; i++) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof got - l, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
		}
		strncat(got, "]", sizeof got - strlen(got) - 1);
		if (ndim == 1)
			snprintf(w, sizeof w, "[%lld]", (long long)d0);
		else
			snprintf(w, sizeof w, "[%lld, %lld]", (long long)d0, (long long)d1);
		tensor_fail(err, errlen, "%s: tensor '%s' has shape %s, expected %s", m->st_path, t->name, got, w);
		return NULL;
	}
	float *owned;
	const float *p = saex_tensor_f32(t, &owned);
	if (!p) {
		tensor_fail(err, errlen, "%s: tensor '%s': out of memory", m->st_path, t->name);
		return NULL;
	}
	if (owned) {
		m->owned = xrealloc(m->owned, (m->n_owned + 1) * sizeof *m->owned);
		m->owned[m->n_owned++] = owned;
	}
	return p;
}

saex_model *saex_model_load(const char *dir, char *err, size_t errlen)
{
	saex_model *m = xcalloc(1, sizeof *m);
	if (load_config(&m->cfg, dir, err, errlen))
		goto fail;
	m->st_path = xasprintf("%s/model.safetensors", dir);
	m->st = saex_safetensors_open(m->st_path, err, errlen);
	if (!m->st)
		goto fail;
	int64_t d = m->cfg.n_embd, V = m->cfg.vocab_size, P = m->cfg.n_positions;
	if (!(m->wte = get_w(m, err, errlen, 2, V, d, "wte.weight")) ||
	    !(m->wpe = get_w(m, err, errlen, 2, P, d, "wpe.weight")) ||
	    !(m->lnf_w = get_w(m, err, errlen, 1, d, 0, "ln_f.weight")) ||
	    !(m->lnf_b = get_w(m, err, errlen, 1, d, 0, "ln_f.bias")))
		goto fail;
	m->layers = xcalloc((size_t)m->cfg.n_layer, sizeof *m->layers);
	for (int l = 0; l < m->cfg.n_layer; l++) {
		layer_w *w = &m->layers[l];
		if (!(w->ln1_w = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_1.weight", l)) ||
		    !(w->ln1_b = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_1.bias", l)) ||
		    !(w->attn_w = get_w(m, err, errlen, 2, d, 3 * d, "h.%d.attn.c_attn.weight", l)) ||
		    !(w->attn_b = get_w(m, err, errlen, 1, 3 * d, 0, "h.%d.attn.c_attn.bias", l)) ||
		    !(w->aproj_w = get_w(m, err, errlen, 2, d, d, "h.%d.attn.c_proj.weight", l)) ||
		    !(w->aproj_b = get_w(m, err, errlen, 1, d, 0, "h.%d.attn.c_proj.bias", l)) ||
		    !(w->ln2_w = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_2.weight", l)) ||
		    !(w->ln2_b = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_2.bias", l)) ||
		    !(w->fc_w = get_w(m, err, errlen, 2, d, 4 * d, "h.%d.mlp.c_fc.weight", l)) ||
		    !(w->fc_b = get_w(m, err, errlen, 1, 4 * d, 0, "h.%d.mlp.c_fc.bias", l)) ||
		    !(w->mproj_w = get_w(m, err, errlen, 2, 4 * d, d, "h.%d.mlp.c_proj.weight", l)) ||
		    !(w->mproj_b = get_w(m, err, errlen, 1, d, 0, "h.%d.mlp.c_proj.bias", l)))
			goto fail;
	}
	return m;
fail:
	saex_model_free(m);
	return NULL;
}

void saex_model_free(saex_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_owned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->layers);
	saex_safetensors_close(m->st);
	free(m->st_path);
	free(m);
}

const saex_model_config *saex_model_config_of(const saex_model *m)
{
	return &m->cfg;
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

size_t saex_model_hook_width(const saex_model *m, const char *name)
{
	int l;
	saex_hook_kind k;
	if (saex_hook_parse(name, &l, &k) || l >= m->cfg.n_layer)
		return 0;
	return (size_t)m->cfg.n_embd * (k == SAEX_HOOK_MLP_POST ? 4 : 1);
}

/* ---------------------------------------------------------------- KV cache */

saex_kv *saex_kv_new(const saex_model *m, size_t cap)
{
	if (cap == 0 || cap > (size_t)m->cfg.n_positions)
		cap = (size_t)m->cfg.n_positions;
	saex_kv *kv = xcalloc(1, sizeof *kv);
	kv->m = m;
	kv->cap = cap;
	size_t n = (size_t)m->cfg.n_layer * cap * (size_t)m->cfg.n_embd;
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
