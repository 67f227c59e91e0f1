/* fuzz_model_config.c - libFuzzer harness for a Hugging Face config.json
 * (src/core/model/cfg.c and the families' readers in families.c): the input
 * is config.json, next to a fixed valid model.safetensors that holds a tiny
 * GPT-2 (2 layers, 2 heads, n_embd 4, 8 positions, vocabulary 16; some
 * tensors F16/BF16, some with a "transformer." prefix) and a tiny Llama
 * (2 layers, 2 heads of 2 on 1 key/value head, hidden 4, MLP 8,
 * vocabulary 16, tied) side by side; a config with one layer uses the
 * first and ignores the rest. A config that loads is checked against the
 * hook widths. */
#include "config.h"
#include "saex.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FZ_L = 2, FZ_D = 4, FZ_P = 8, FZ_V = 16 };

static void fz_model_weights(void)
{
	static int done;
	if (done)
		return;
	fz_tensor t[4 + 12 * FZ_L];
	static char names[12 * FZ_L][48];
	size_t n = 0;
	t[n++] = (fz_tensor){"transformer.wte.weight", "F32", 2, {FZ_V, FZ_D}};
	t[n++] = (fz_tensor){"wpe.weight", "BF16", 2, {FZ_P, FZ_D}};
	t[n++] = (fz_tensor){"ln_f.weight", "F32", 1, {FZ_D, 0}};
	t[n++] = (fz_tensor){"ln_f.bias", "F16", 1, {FZ_D, 0}};
	static const struct { const char *name; int ndim; int64_t d0, d1; } per[12] = {
		{"ln_1.weight", 1, 1, 0}, {"ln_1.bias", 1, 1, 0},
		{"attn.c_attn.weight", 2, 1, 3}, {"attn.c_attn.bias", 1, 3, 0},
		{"attn.c_proj.weight", 2, 1, 1}, {"attn.c_proj.bias", 1, 1, 0},
		{"ln_2.weight", 1, 1, 0}, {"ln_2.bias", 1, 1, 0},
		{"mlp.c_fc.weight", 2, 1, 4}, {"mlp.c_fc.bias", 1, 4, 0},
		{"mlp.c_proj.weight", 2, 4, 1}, {"mlp.c_proj.bias", 1, 1, 0},
	};
	for (int l = 0; l < FZ_L; l++)
		for (int k = 0; k < 12; k++) {
			char *nm = names[l * 12 + k];
			snprintf(nm, sizeof names[0], "h.%d.%s", l, per[k].name);
			t[n++] = (fz_tensor){nm, k % 5 == 4 ? "F16" : "F32", per[k].ndim,
			                     {per[k].d0 * FZ_D, per[k].d1 * FZ_D}};
		}
	static char lnames[11 * FZ_L][64];
	fz_tensor all[4 + 12 * FZ_L + 2 + 11 * FZ_L];
	memcpy(all, t, n * sizeof *t);
	all[n++] = (fz_tensor){"model.embed_tokens.weight", "BF16", 2, {FZ_V, FZ_D}};
	all[n++] = (fz_tensor){"model.norm.weight", "F32", 1, {FZ_D, 0}};
	static const struct { const char *name; int ndim; int64_t d0, d1; } lper[11] = {
		{"input_layernorm.weight", 1, FZ_D, 0}, {"post_attention_layernorm.weight", 1, FZ_D, 0},
		{"self_attn.q_proj.weight", 2, FZ_D, FZ_D}, {"self_attn.k_proj.weight", 2, 2, FZ_D},
		{"self_attn.v_proj.weight", 2, 2, FZ_D}, {"self_attn.o_proj.weight", 2, FZ_D, FZ_D},
		{"self_attn.q_norm.weight", 1, 2, 0}, {"self_attn.k_norm.weight", 1, 2, 0},
		{"mlp.gate_proj.weight", 2, 8, FZ_D}, {"mlp.up_proj.weight", 2, 8, FZ_D},
		{"mlp.down_proj.weight", 2, FZ_D, 8},
	};
	for (int l = 0; l < FZ_L; l++)
		for (int k = 0; k < 11; k++) {
			char *nm = lnames[l * 11 + k];
			snprintf(nm, sizeof lnames[0], "model.layers.%d.%s", l, lper[k].name);
			all[n++] = (fz_tensor){nm, k % 3 ? "BF16" : "F32", lper[k].ndim, {lper[k].d0, lper[k].d1}};
		}
	fz_write_safetensors(fz_path("model.safetensors"), all, n);
	done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_model_weights();
	fz_write(fz_path("config.json"), data, size);
	char err[SAEX_ERR_LEN];
	saex_model *m = saex_model_load(fz_dir(), err, sizeof err);
	if (!m) {
		if (!err[0])
			abort();
		return 0;
	}
	const saex_model_config *c = saex_model_config_of(m);
	int gpt2 = strcmp(c->family, "gpt2") == 0;
	if (c->n_layers < 1 || c->n_layers > FZ_L || c->d_model != FZ_D || (gpt2 && c->n_ctx != FZ_P) ||
	    c->vocab != FZ_V || c->n_heads < 1 || c->n_heads * c->head_dim != c->d_model ||
	    c->d_mlp != (gpt2 ? 4 * FZ_D : 8) || c->n_heads % c->n_kv_heads != 0)
		abort();
	char hook[64];
	snprintf(hook, sizeof hook, "blocks.%d.mlp.hook_post", c->n_layers - 1);
	if (saex_model_hook_width(m, hook) != (size_t)c->d_mlp)
		abort();
	uint32_t ids[3] = {1, 15, 3};
	float logits[3 * FZ_V];
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.logits = logits;
	if (c->n_ctx >= 3 && saex_model_forward(m, ids, 3, &o, err, sizeof err) != 0 && !err[0])
		abort();
	snprintf(hook, sizeof hook, "blocks.%d.hook_resid_pre", c->n_layers);
	if (saex_model_hook_width(m, hook) != 0)
		abort();
	saex_model_free(m);
	return 0;
}
