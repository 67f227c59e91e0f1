/* cfg.c - a model folder's config.json read into a model_arch: the
 * family from model_type (or architectures[0]), Gemma 3's text_config,
 * the readers the families' descriptions use, and the checks every model
 * passes whatever its family. */
#include "config.h"
#include "arch.h"
#include "tensor_util.h"
#include "wmat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Configuration integers above this are refused before anything is sized
 * by them. */
#define CFG_INT_MAX (1 << 24)

static json_t *cfg_get(const cfg_src *c, const char *key)
{
	json_t *v = json_object_get(c->o, key);
	return json_is_null(v) ? NULL : v;
}

/* An integer, or a real with an integral value (some writers say 4096.0). */
static int cfg_integral(json_t *v, double *out)
{
	if (json_is_integer(v))
		*out = (double)json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
		*out = json_real_value(v);
	else
		return -1;
	return 0;
}

int cfg_int(const cfg_src *c, const char *key, int dflt, int *out)
{
	json_t *v = cfg_get(c, key);
	double d;
	if (!v) {
		if (dflt < 0)
			return tensor_fail(c->err, c->errlen, "%s: '%s' is missing", c->path, key);
		*out = dflt;
		return 0;
	}
	if (cfg_integral(v, &d) || d < 1 || d > CFG_INT_MAX)
		return tensor_fail(c->err, c->errlen, "%s: '%s' must be an integer from 1 to %d", c->path, key, CFG_INT_MAX);
	*out = (int)d;
	return 0;
}

int cfg_num(const cfg_src *c, const char *key, double dflt, double *out)
{
	json_t *v = cfg_get(c, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
		return tensor_fail(c->err, c->errlen, "%s: '%s' must be a number of 0 or more", c->path, key);
	*out = json_number_value(v);
	return 0;
}

int cfg_bool(const cfg_src *c, const char *key, int dflt, int *out)
{
	json_t *v = cfg_get(c, key);
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return tensor_fail(c->err, c->errlen, "%s: '%s' must be true or false", c->path, key);
	*out = json_is_true(v);
	return 0;
}

int cfg_act(const cfg_src *c, const char *key, const char *dflt, act_kind *out)
{
	static const struct { const char *name; act_kind k; } acts[] = {
		{"gelu_new", ACT_GELU_TANH}, {"gelu_pytorch_tanh", ACT_GELU_TANH}, {"gelu_fast", ACT_GELU_TANH},
		{"gelu", ACT_GELU_ERF}, {"silu", ACT_SILU}, {"swish", ACT_SILU}};
	json_t *v = cfg_get(c, key);
	const char *name = v ? json_string_value(v) : dflt;
	for (size_t i = 0; name && i < SAEX_ARRAY_LEN(acts); i++)
		if (strcmp(name, acts[i].name) == 0) {
			*out = acts[i].k;
			return 0;
		}
	return tensor_fail(c->err, c->errlen, "%s: %s '%s' is not supported (gelu_new, gelu_pytorch_tanh, gelu or silu)",
	                   c->path, key, name ? name : "(not a string)");
}

/* ---------------------------------------------------------------- rope */

static int cfg_positive(const cfg_src *c, json_t *o, const char *key, double dflt, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (dflt < 0)
			return tensor_fail(c->err, c->errlen, "%s: the rope scaling has no '%s'", c->path, key);
		*out = dflt;
		return 0;
	}
	if (!json_is_number(v) || !(json_number_value(v) > 0) || !isfinite(json_number_value(v)))
		return tensor_fail(c->err, c->errlen, "%s: rope '%s' must be a number above 0", c->path, key);
	*out = json_number_value(v);
	return 0;
}

/* One rope dict (rope_scaling, or a rope_parameters entry) into r: its
 * type ("rope_type", or "type" in older files) and parameters; its
 * rope_theta when it has one. */
static int cfg_rope_dict(const cfg_src *c, json_t *o, rope_cfg *r)
{
	if (!json_is_object(o))
		return tensor_fail(c->err, c->errlen, "%s: the rope parameters are not an object", c->path);
	json_t *t = json_object_get(o, "rope_type");
	if (!t)
		t = json_object_get(o, "type");
	const char *type = t ? json_string_value(t) : "default";
	if (!type)
		return tensor_fail(c->err, c->errlen, "%s: the rope type is not a string", c->path);
	if (json_object_get(o, "rope_theta") && cfg_positive(c, o, "rope_theta", -1, &r->base))
		return -1;
	if (strcmp(type, "default") == 0) {
		r->kind = ROPE_DEFAULT;
		return 0;
	}
	if (strcmp(type, "linear") == 0) {
		r->kind = ROPE_LINEAR;
		return cfg_positive(c, o, "factor", -1, &r->factor);
	}
	if (strcmp(type, "llama3") == 0) {
		r->kind = ROPE_LLAMA3;
		if (cfg_positive(c, o, "factor", -1, &r->factor) || cfg_positive(c, o, "low_freq_factor", -1, &r->low) ||
		    cfg_positive(c, o, "high_freq_factor", -1, &r->high) ||
		    cfg_positive(c, o, "original_max_position_embeddings", -1, &r->orig))
			return -1;
		if (!(r->high > r->low))
			return tensor_fail(c->err, c->errlen, "%s: llama3 rope scaling needs high_freq_factor > low_freq_factor",
			                   c->path);
		return 0;
	}
	return tensor_fail(c->err, c->errlen, "%s: rope type '%s' is not supported (default, linear or llama3)", c->path,
	                   type);
}

int cfg_rope(const cfg_src *c, model_arch *a, int r, double dflt, double local_base)
{
	rope_cfg g = {r, dflt, ROPE_DEFAULT, 1, 1, 1, 1}, l = g;
	if (cfg_num(c, "rope_theta", dflt, &g.base))
		return -1;
	l.base = local_base;
	json_t *p = cfg_get(c, "rope_parameters"), *s = cfg_get(c, "rope_scaling");
	if (p && json_object_get(p, "full_attention")) { /* one dict per layer type */
		if (cfg_rope_dict(c, json_object_get(p, "full_attention"), &g))
			return -1;
		json_t *sl = json_object_get(p, "sliding_attention");
		if (sl && local_base > 0 && cfg_rope_dict(c, sl, &l))
			return -1;
	} else if (p || s) {
		if (cfg_rope_dict(c, p ? p : s, &g))
			return -1;
	}
	if (!(g.base > 1) || (local_base > 0 && !(l.base > 1)))
		return tensor_fail(c->err, c->errlen, "%s: the rope base must be above 1", c->path);
	a->rope[0] = g;
	a->rope[1] = local_base > 0 ? l : g;
	return 0;
}

/* ---------------------------------------------------------------- layers */

/* layer_types, when config.json has it: one "sliding_attention" or
 * "full_attention" per layer. */
static int cfg_layer_types(const cfg_src *c, model_arch *a)
{
	json_t *v = cfg_get(c, "layer_types");
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) != (size_t)a->n_layers)
		return tensor_fail(c->err, c->errlen, "%s: 'layer_types' must list one type for each of the %d layers",
		                   c->path, a->n_layers);
	if (!(a->sliding = malloc((size_t)a->n_layers)))
		return tensor_fail(c->err, c->errlen, "%s: out of memory", c->path);
	for (int l = 0; l < a->n_layers; l++) {
		const char *t = json_string_value(json_array_get(v, (size_t)l));
		if (t && strcmp(t, "sliding_attention") == 0)
			a->sliding[l] = 1;
		else if (t && strcmp(t, "full_attention") == 0)
			a->sliding[l] = 0;
		else
			return tensor_fail(c->err, c->errlen, "%s: layer_types[%d] is not \"sliding_attention\" or "
			                   "\"full_attention\"", c->path, l);
	}
	return 0;
}

int arch_sliding(const model_arch *a, int l)
{
	if (a->window <= 0)
		return 0;
	if (a->sliding)
		return a->sliding[l];
	if (a->window_every > 0)
		return (l + 1) % a->window_every != 0;
	return a->window_from >= 0 && l >= a->window_from;
}

/* ---------------------------------------------------------------- checks */

/* What every model must satisfy, whatever its family. */
static int cfg_check(const cfg_src *c, const model_arch *a)
{
	if (a->n_heads % a->n_kv_heads)
		return tensor_fail(c->err, c->errlen, "%s: %d attention heads do not share %d key/value heads evenly", c->path,
		                   a->n_heads, a->n_kv_heads);
	if (a->qkv != QKV_SPLIT && a->n_kv_heads != a->n_heads)
		return tensor_fail(c->err, c->errlen, "%s: a fused query/key/value product needs as many key/value heads "
		                   "as heads", c->path);
	if (!a->learned_pos && (a->rope[0].dims < 2 || a->rope[0].dims > a->head_dim || a->rope[0].dims % 2))
		return tensor_fail(c->err, c->errlen, "%s: %d rotary dimensions do not fit heads of %d (an even number "
		                   "from 2 to the head size)", c->path, a->rope[0].dims, a->head_dim);
	if (a->d_model > (int)WMAT_SCRATCH)
		return tensor_fail(c->err, c->errlen, "%s: a width of %d is more than saex runs (%d)", c->path, a->d_model,
		                   (int)WMAT_SCRATCH);
	if ((int64_t)a->n_heads * a->head_dim > CFG_INT_MAX)
		return tensor_fail(c->err, c->errlen, "%s: %d heads of %d are too wide", c->path, a->n_heads, a->head_dim);
	if (!(a->eps >= 0 && a->eps <= 1))
		return tensor_fail(c->err, c->errlen, "%s: the norm epsilon must be a number from 0 to 1", c->path);
	return 0;
}

/* The object holding the hyper-parameters: config.json itself, or its
 * text_config for Gemma 3's multimodal model (whose defaults are those of
 * Gemma3TextConfig). */
static json_t *cfg_text(json_t *root, const char *model_type)
{
	json_t *t = json_object_get(root, "text_config");
	if (model_type && strcmp(model_type, "gemma3") == 0 && json_is_object(t))
		return t;
	return root;
}

/* config.json's model_type; else the family of architectures[0]'s class;
 * else "gpt2" (GPT-2 configs written by hand often name none). */
static const char *cfg_model_type(json_t *root)
{
	static const struct { const char *cls, *type; } classes[] = {
		{"GPT2LMHeadModel", "gpt2"}, {"LlamaForCausalLM", "llama"}, {"Qwen2ForCausalLM", "qwen2"},
		{"Qwen3ForCausalLM", "qwen3"}, {"Gemma2ForCausalLM", "gemma2"}, {"Gemma3ForCausalLM", "gemma3_text"},
		{"Gemma3ForConditionalGeneration", "gemma3"}, {"GPTNeoXForCausalLM", "gpt_neox"}};
	json_t *mt = json_object_get(root, "model_type");
	if (mt)
		return json_string_value(mt);
	const char *cls = json_string_value(json_array_get(json_object_get(root, "architectures"), 0));
	for (size_t i = 0; cls && i < SAEX_ARRAY_LEN(classes); i++)
		if (strcmp(cls, classes[i].cls) == 0)
			return classes[i].type;
	return cls ? cls : "gpt2";
}

/* Reads dir/config.json (path: that file) into *a. 0, or -1 with err. */
int arch_read(model_arch *a, const char *path, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	json_t *root = tensor_json_object(path, err, errlen);
	if (!root)
		return -1;
	int rc = -1;
	const char *mt = cfg_model_type(root);
	const family *f = mt ? family_find(mt) : NULL;
	if (!f) {
		tensor_fail(err, errlen, "%s: model_type '%s' is not supported (%s)", path, mt ? mt : "(not a string)",
		            family_known());
		goto out;
	}
	a->fam = f;
	snprintf(a->model_type, sizeof a->model_type, "%s", mt);
	cfg_src c = {cfg_text(root, mt), path, err, errlen};
	a->window_from = -1;
	if (f->config(a, &c) || cfg_layer_types(&c, a) || cfg_check(&c, a))
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

void arch_free(model_arch *a)
{
	free(a->sliding);
	a->sliding = NULL;
}
