/* families.c - the model families saex runs, one description each (see
 * arch.h): how config.json maps to the hyper-parameters, with the class
 * defaults of Hugging Face's configuration_*.py where a key is missing
 * (FORMATS-MODELS.md §A.2), the switches the family sets, and its tensor
 * names; then the shapes those tensors must have. */
#include "config.h"
#include "arch.h"
#include "tensor_util.h"

#include <math.h>
#include <string.h>

/* The head size of d split among h heads, or -1 (message) when it does not
 * divide. */
static int heads_split(const cfg_src *c, int d, int h, const char *dk, const char *hk, int *out)
{
	if (d % h)
		return tensor_fail(c->err, c->errlen, "%s: %s %d is not a multiple of %s %d", c->path, dk, d, hk, h);
	*out = d / h;
	return 0;
}

/* ---------------------------------------------------------------- GPT-2 */

static int gpt2_config(model_arch *a, const cfg_src *c)
{
	if (cfg_int(c, "n_layer", -1, &a->n_layers) || cfg_int(c, "n_head", -1, &a->n_heads) ||
	    cfg_int(c, "n_embd", -1, &a->d_model) || cfg_int(c, "vocab_size", -1, &a->vocab) ||
	    cfg_int(c, "n_positions", 0, &a->n_ctx) || (a->n_ctx == 0 && cfg_int(c, "n_ctx", -1, &a->n_ctx)) ||
	    cfg_int(c, "n_inner", 4 * a->d_model, &a->d_mlp) ||
	    heads_split(c, a->d_model, a->n_heads, "n_embd", "n_head", &a->head_dim))
		return -1;
	double eps;
	if (cfg_num(c, "layer_norm_epsilon", 1e-5, &eps))
		return -1;
	json_t *act = json_object_get(c->o, "activation_function");
	if (act && (!json_is_string(act) || strcmp(json_string_value(act), "gelu_new") != 0))
		return tensor_fail(c->err, c->errlen, "%s: activation_function '%s' is not supported (only gelu_new)", c->path,
		                   json_is_string(act) ? json_string_value(act) : "(not a string)");
	a->eps = (float)eps;
	a->n_kv_heads = a->n_heads;
	a->norm = NORM_LAYER;
	a->act = ACT_GELU_TANH;
	a->learned_pos = 1;
	a->trans = 0;
	a->qkv = QKV_FUSED;
	a->qkv_bias = a->o_bias = a->mlp_bias = 1;
	a->tied = 1;
	a->prepend_bos = 1;
	a->embed_scale = 1.0f;
	a->attn_scale = (float)(1.0 / sqrt((double)a->head_dim));
	return 0;
}

static const char *const gpt2_types[] = {"gpt2", NULL};
static const char *const gpt2_prefixes[] = {"", "transformer.", NULL};
static const char *const gpt2_unembed[] = {NULL};

static const family fam_gpt2 = {
	"gpt2", gpt2_types, gpt2_config, gpt2_prefixes,
	{[W_EMBED] = "wte.weight", [W_POS] = "wpe.weight", [W_NORM_F] = "ln_f.weight", [W_NORM_F_B] = "ln_f.bias",
	 [W_LN1] = "h.%d.ln_1.weight", [W_LN1_B] = "h.%d.ln_1.bias", [W_QKV] = "h.%d.attn.c_attn.weight",
	 [W_QKV_B] = "h.%d.attn.c_attn.bias", [W_O] = "h.%d.attn.c_proj.weight", [W_O_B] = "h.%d.attn.c_proj.bias",
	 [W_LN2] = "h.%d.ln_2.weight", [W_LN2_B] = "h.%d.ln_2.bias", [W_UP] = "h.%d.mlp.c_fc.weight",
	 [W_UP_B] = "h.%d.mlp.c_fc.bias", [W_DOWN] = "h.%d.mlp.c_proj.weight", [W_DOWN_B] = "h.%d.mlp.c_proj.bias"},
	gpt2_unembed};

/* ---------------------------------------------------------------- all */

static const family *const families[] = {&fam_gpt2};

const family *family_find(const char *model_type)
{
	for (size_t i = 0; i < SAEX_ARRAY_LEN(families); i++)
		for (const char *const *t = families[i]->model_types; *t; t++)
			if (strcmp(*t, model_type) == 0)
				return families[i];
	return NULL;
}

const char *family_known(void)
{
	return "gpt2";
}

/* ---------------------------------------------------------------- shapes */

/* A matrix of out x in in the model's layout. */
static int arch_mat(const model_arch *a, int64_t out, int64_t in, int64_t d[2])
{
	d[0] = a->trans ? out : in;
	d[1] = a->trans ? in : out;
	return 2;
}

static int arch_vec(int64_t n, int64_t d[2])
{
	d[0] = n;
	d[1] = 0;
	return 1;
}

int arch_shape(const model_arch *a, wslot s, int64_t d[2])
{
	int64_t D = a->d_model, F = a->d_mlp, qw = (int64_t)a->n_heads * a->head_dim;
	int64_t kw = (int64_t)a->n_kv_heads * a->head_dim;
	int split = a->qkv == QKV_SPLIT, ln = a->norm == NORM_LAYER;
	switch (s) {
	case W_EMBED: d[0] = a->vocab, d[1] = D; return 2;
	case W_POS: return a->learned_pos ? (d[0] = a->n_ctx, d[1] = D, 2) : 0;
	case W_NORM_F: case W_LN1: case W_LN2: return arch_vec(D, d);
	case W_NORM_F_B: case W_LN1_B: case W_LN2_B: return ln ? arch_vec(D, d) : 0;
	case W_QKV: return split ? 0 : arch_mat(a, 3 * qw, D, d);
	case W_QKV_B: return !split && a->qkv_bias ? arch_vec(3 * qw, d) : 0;
	case W_Q: return split ? arch_mat(a, qw, D, d) : 0;
	case W_K: case W_V: return split ? arch_mat(a, kw, D, d) : 0;
	case W_Q_B: return split && a->qkv_bias ? arch_vec(qw, d) : 0;
	case W_K_B: case W_V_B: return split && a->qkv_bias ? arch_vec(kw, d) : 0;
	case W_O: return arch_mat(a, D, qw, d);
	case W_O_B: return a->o_bias ? arch_vec(D, d) : 0;
	case W_QNORM: case W_KNORM: return a->qk_norm ? arch_vec(a->head_dim, d) : 0;
	case W_ATTN_POST: case W_MLP_POST: return a->post_norms ? arch_vec(D, d) : 0;
	case W_GATE: return a->gated ? arch_mat(a, F, D, d) : 0;
	case W_UP: return arch_mat(a, F, D, d);
	case W_GATE_B: return a->gated && a->mlp_bias ? arch_vec(F, d) : 0;
	case W_UP_B: return a->mlp_bias ? arch_vec(F, d) : 0;
	case W_DOWN: return arch_mat(a, D, F, d);
	case W_DOWN_B: return a->mlp_bias ? arch_vec(D, d) : 0;
	case W_SLOTS: break;
	}
	return 0;
}
