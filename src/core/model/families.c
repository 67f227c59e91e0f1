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

/* ---------------------------------------------------------------- Llama-like
 * Llama 3.x, Qwen 2/2.5 and Qwen 3 share the keys of LlamaConfig and the
 * block of FORMATS-MODELS.md §A.4; Gemma 2/3 read the same keys too. */

/* The keys every Hugging Face decoder config has, with the family's
 * defaults for what may be missing: kv heads (0: as many as heads), head
 * size (0: hidden / heads), context, tie_word_embeddings. */
static int hf_common(model_arch *a, const cfg_src *c, int kv, int hd, int n_ctx, int tied)
{
	int tie;
	if (cfg_int(c, "num_hidden_layers", -1, &a->n_layers) || cfg_int(c, "hidden_size", -1, &a->d_model) ||
	    cfg_int(c, "intermediate_size", -1, &a->d_mlp) || cfg_int(c, "num_attention_heads", -1, &a->n_heads) ||
	    cfg_int(c, "vocab_size", -1, &a->vocab) || cfg_int(c, "num_key_value_heads", kv ? kv : a->n_heads,
	                                                         &a->n_kv_heads) ||
	    cfg_int(c, "max_position_embeddings", n_ctx, &a->n_ctx) || cfg_bool(c, "tie_word_embeddings", tied, &tie))
		return -1;
	a->tied = tie;
	if (cfg_int(c, "head_dim", hd, &a->head_dim))
		return -1;
	if (!a->head_dim && heads_split(c, a->d_model, a->n_heads, "hidden_size", "num_attention_heads", &a->head_dim))
		return -1;
	double eps;
	if (cfg_num(c, "rms_norm_eps", 1e-6, &eps))
		return -1;
	a->eps = (float)eps;
	a->norm = NORM_RMS;
	a->gated = 1;
	a->trans = 1;
	a->qkv = QKV_SPLIT;
	a->embed_scale = 1.0f;
	a->attn_scale = (float)(1.0 / sqrt((double)a->head_dim));
	return 0;
}

static int llama_config(model_arch *a, const cfg_src *c)
{
	int bias, mlp_bias;
	if (hf_common(a, c, 0, 0, 2048, 0) || cfg_act(c, "hidden_act", "silu", &a->act) ||
	    cfg_bool(c, "attention_bias", 0, &bias) || cfg_bool(c, "mlp_bias", 0, &mlp_bias) ||
	    cfg_rope(c, a, a->head_dim, 1e4, 0))
		return -1;
	a->qkv_bias = a->o_bias = bias;
	a->mlp_bias = mlp_bias;
	a->prepend_bos = 1;
	return 0;
}

static const char *const llama_types[] = {"llama", NULL};
static const char *const model_prefixes[] = {"model.", NULL};
static const char *const lm_head[] = {"lm_head.weight", NULL};

#define LLAMA_NAMES                                                                                                   \
	[W_EMBED] = "embed_tokens.weight", [W_NORM_F] = "norm.weight", [W_LN1] = "layers.%d.input_layernorm.weight",   \
	[W_Q] = "layers.%d.self_attn.q_proj.weight", [W_Q_B] = "layers.%d.self_attn.q_proj.bias",                      \
	[W_K] = "layers.%d.self_attn.k_proj.weight", [W_K_B] = "layers.%d.self_attn.k_proj.bias",                      \
	[W_V] = "layers.%d.self_attn.v_proj.weight", [W_V_B] = "layers.%d.self_attn.v_proj.bias",                      \
	[W_O] = "layers.%d.self_attn.o_proj.weight", [W_O_B] = "layers.%d.self_attn.o_proj.bias",                      \
	[W_QNORM] = "layers.%d.self_attn.q_norm.weight", [W_KNORM] = "layers.%d.self_attn.k_norm.weight",              \
	[W_GATE] = "layers.%d.mlp.gate_proj.weight", [W_GATE_B] = "layers.%d.mlp.gate_proj.bias",                      \
	[W_UP] = "layers.%d.mlp.up_proj.weight", [W_UP_B] = "layers.%d.mlp.up_proj.bias",                              \
	[W_DOWN] = "layers.%d.mlp.down_proj.weight", [W_DOWN_B] = "layers.%d.mlp.down_proj.bias"

static const family fam_llama = {
	"llama", llama_types, llama_config, model_prefixes,
	{LLAMA_NAMES, [W_LN2] = "layers.%d.post_attention_layernorm.weight"}, lm_head};

/* Qwen's sliding window: only with use_sliding_window, on the layers from
 * max_window_layers on (HF Qwen2Config.layer_types); off in the released
 * models. */
static int qwen_window(model_arch *a, const cfg_src *c)
{
	int use;
	if (cfg_bool(c, "use_sliding_window", 0, &use) || cfg_int(c, "sliding_window", 4096, &a->window))
		return -1;
	json_t *v = json_object_get(c->o, "max_window_layers");
	if (!use)
		a->window = 0;
	else if (v && json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= (1 << 24))
		a->window_from = (int)json_integer_value(v);
	else if (v)
		return tensor_fail(c->err, c->errlen, "%s: 'max_window_layers' must be an integer of 0 or more", c->path);
	else
		a->window_from = 28;
	return 0;
}

static int qwen2_config(model_arch *a, const cfg_src *c)
{
	if (hf_common(a, c, 32, 0, 32768, 0) || cfg_act(c, "hidden_act", "silu", &a->act) ||
	    cfg_rope(c, a, a->head_dim, 1e4, 0) || qwen_window(a, c))
		return -1;
	a->qkv_bias = 1; /* q, k and v always; o never */
	return 0;
}

static int qwen3_config(model_arch *a, const cfg_src *c)
{
	int bias;
	if (hf_common(a, c, 32, 128, 32768, 0) || cfg_act(c, "hidden_act", "silu", &a->act) ||
	    cfg_bool(c, "attention_bias", 0, &bias) || cfg_rope(c, a, a->head_dim, 1e4, 0) || qwen_window(a, c))
		return -1;
	a->qkv_bias = a->o_bias = bias;
	a->qk_norm = 1;
	return 0;
}

static const char *const qwen2_types[] = {"qwen2", NULL};
static const char *const qwen3_types[] = {"qwen3", NULL};

static const family fam_qwen2 = {
	"qwen2", qwen2_types, qwen2_config, model_prefixes,
	{LLAMA_NAMES, [W_LN2] = "layers.%d.post_attention_layernorm.weight"}, lm_head};
static const family fam_qwen3 = {
	"qwen3", qwen3_types, qwen3_config, model_prefixes,
	{LLAMA_NAMES, [W_LN2] = "layers.%d.post_attention_layernorm.weight"}, lm_head};

/* ---------------------------------------------------------------- Gemma
 * Gemma 2 (§A.5) and the text model of Gemma 3 (§A.6): (1 + w) RMS norms
 * before and after attention and MLP, the embedding times sqrt(d_model) in
 * float32, a gated tanh-GELU MLP, the score scale from
 * query_pre_attn_scalar, softcaps, sliding-window layers. */

/* What Gemma 2 and 3 share; softcap defaults differ (Gemma 2: 50 and 30,
 * Gemma 3: none). */
static int gemma_common(model_arch *a, const cfg_src *c, int n_ctx, double attn_cap, double final_cap)
{
	double q, ac, fc;
	if (hf_common(a, c, 4, 256, n_ctx, 1) || cfg_act(c, "hidden_activation", "gelu_pytorch_tanh", &a->act) ||
	    cfg_num(c, "query_pre_attn_scalar", 256, &q) || cfg_num(c, "attn_logit_softcapping", attn_cap, &ac) ||
	    cfg_num(c, "final_logit_softcapping", final_cap, &fc) || cfg_int(c, "sliding_window", 4096, &a->window))
		return -1;
	if (!(q > 0))
		return tensor_fail(c->err, c->errlen, "%s: 'query_pre_attn_scalar' must be above 0", c->path);
	a->norm_plus_one = 1;
	a->post_norms = 1;
	a->prepend_bos = 1;
	a->embed_scale = (float)sqrt((double)a->d_model);
	a->attn_scale = (float)(1.0 / sqrt(q));
	a->attn_softcap = (float)ac;
	a->final_softcap = (float)fc;
	return 0;
}

static int gemma2_config(model_arch *a, const cfg_src *c)
{
	if (gemma_common(a, c, 8192, 50, 30) || cfg_rope(c, a, a->head_dim, 1e4, 0))
		return -1;
	a->window_every = 2; /* layers 0, 2, 4, ... slide */
	return 0;
}

static int gemma3_config(model_arch *a, const cfg_src *c)
{
	double local;
	if (gemma_common(a, c, 131072, 0, 0) || cfg_num(c, "rope_local_base_freq", 1e4, &local) ||
	    cfg_rope(c, a, a->head_dim, 1e6, local))
		return -1;
	/* every sliding_window_pattern-th layer is global (newer files:
	 * _sliding_window_pattern, or layer_types) */
	if (cfg_int(c, "_sliding_window_pattern", 6, &a->window_every) ||
	    cfg_int(c, "sliding_window_pattern", a->window_every, &a->window_every))
		return -1;
	a->qk_norm = 1;
	return 0;
}

static const char *const gemma2_types[] = {"gemma2", NULL};
static const char *const gemma3_types[] = {"gemma3_text", "gemma3", NULL};
/* Gemma 3's multimodal checkpoints keep the text model under
 * language_model.model. (model.language_model. when saved by newer
 * transformers); its vision tensors are never read. */
static const char *const gemma3_prefixes[] = {"model.", "language_model.model.", "model.language_model.", NULL};
static const char *const gemma_head[] = {"lm_head.weight", "language_model.lm_head.weight", NULL};

#define GEMMA_NORMS                                                                                                   \
	[W_ATTN_POST] = "layers.%d.post_attention_layernorm.weight",                                                   \
	[W_LN2] = "layers.%d.pre_feedforward_layernorm.weight",                                                        \
	[W_MLP_POST] = "layers.%d.post_feedforward_layernorm.weight"

static const family fam_gemma2 = {"gemma2", gemma2_types, gemma2_config, model_prefixes, {LLAMA_NAMES, GEMMA_NORMS},
                                  gemma_head};
static const family fam_gemma3 = {"gemma3", gemma3_types, gemma3_config, gemma3_prefixes,
                                  {LLAMA_NAMES, GEMMA_NORMS}, gemma_head};

/* ---------------------------------------------------------------- GPT-NeoX
 * Pythia (§A.7): layer norms with bias, one query_key_value product whose
 * rows are per head [q_h | k_h | v_h], rotary embeddings on the first
 * rotary_pct of each head, attention and MLP side by side on the block's
 * input (use_parallel_residual), an exact-erf GELU MLP, embed_out. */

static int neox_config(model_arch *a, const cfg_src *c)
{
	double eps, pct, base;
	int bias, tie;
	if (cfg_int(c, "num_hidden_layers", -1, &a->n_layers) || cfg_int(c, "hidden_size", -1, &a->d_model) ||
	    cfg_int(c, "intermediate_size", -1, &a->d_mlp) || cfg_int(c, "num_attention_heads", -1, &a->n_heads) ||
	    cfg_int(c, "vocab_size", -1, &a->vocab) || cfg_int(c, "max_position_embeddings", 2048, &a->n_ctx) ||
	    heads_split(c, a->d_model, a->n_heads, "hidden_size", "num_attention_heads", &a->head_dim) ||
	    cfg_num(c, "layer_norm_eps", 1e-5, &eps) || cfg_num(c, "rotary_pct", 0.25, &pct) ||
	    cfg_num(c, "partial_rotary_factor", pct, &pct) || cfg_num(c, "rotary_emb_base", 1e4, &base) ||
	    cfg_bool(c, "use_parallel_residual", 1, &a->parallel) || cfg_act(c, "hidden_act", "gelu", &a->act) ||
	    cfg_bool(c, "attention_bias", 1, &bias) || cfg_bool(c, "tie_word_embeddings", 0, &tie))
		return -1;
	json_t *rp = json_object_get(c->o, "rope_parameters");
	json_t *prf = json_object_get(rp, "partial_rotary_factor");
	if (json_is_number(prf))
		pct = json_number_value(prf);
	if (!(pct > 0 && pct <= 1))
		return tensor_fail(c->err, c->errlen, "%s: 'rotary_pct' must be above 0 and at most 1", c->path);
	if (cfg_rope(c, a, (int)(a->head_dim * pct), base, 0))
		return -1;
	a->eps = (float)eps;
	a->n_kv_heads = a->n_heads;
	a->norm = NORM_LAYER;
	a->trans = 1;
	a->qkv = QKV_FUSED_HEADS;
	a->qkv_bias = a->o_bias = bias;
	a->mlp_bias = 1;
	a->tied = tie;
	a->embed_scale = 1.0f;
	a->attn_scale = (float)(1.0 / sqrt((double)a->head_dim));
	return 0;
}

static const char *const neox_types[] = {"gpt_neox", NULL};
static const char *const neox_prefixes[] = {"gpt_neox.", NULL};
static const char *const neox_head[] = {"embed_out.weight", NULL};

static const family fam_neox = {
	"gpt_neox", neox_types, neox_config, neox_prefixes,
	{[W_EMBED] = "embed_in.weight", [W_NORM_F] = "final_layer_norm.weight", [W_NORM_F_B] = "final_layer_norm.bias",
	 [W_LN1] = "layers.%d.input_layernorm.weight", [W_LN1_B] = "layers.%d.input_layernorm.bias",
	 [W_QKV] = "layers.%d.attention.query_key_value.weight", [W_QKV_B] = "layers.%d.attention.query_key_value.bias",
	 [W_O] = "layers.%d.attention.dense.weight", [W_O_B] = "layers.%d.attention.dense.bias",
	 [W_LN2] = "layers.%d.post_attention_layernorm.weight", [W_LN2_B] = "layers.%d.post_attention_layernorm.bias",
	 [W_UP] = "layers.%d.mlp.dense_h_to_4h.weight", [W_UP_B] = "layers.%d.mlp.dense_h_to_4h.bias",
	 [W_DOWN] = "layers.%d.mlp.dense_4h_to_h.weight", [W_DOWN_B] = "layers.%d.mlp.dense_4h_to_h.bias"},
	neox_head};

/* ---------------------------------------------------------------- all */

static const family *const families[] = {&fam_gpt2,   &fam_llama,  &fam_qwen2, &fam_qwen3,
                                         &fam_gemma2, &fam_gemma3, &fam_neox};

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
	return "gpt2, llama, qwen2, qwen3, gemma2, gemma3_text, gemma3, gpt_neox";
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
