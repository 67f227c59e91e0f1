/* fuzz_model_config.c - libFuzzer harness for a Hugging Face GPT-2
 * config.json (load_config in src/core/model/model.c): the input is config.json, next
 * to a fixed valid model.safetensors of a tiny GPT-2 (2 layers, 2 heads,
 * n_embd 4, 8 positions, vocabulary 16; some tensors F16/BF16, some with a
 * "transformer." prefix; a config with one layer uses the first and
 * ignores the rest). A config that loads is checked against the hook
 * widths. */
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
	fz_write_safetensors(fz_path("model.safetensors"), t, n);
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
	if (c->n_layers < 1 || c->n_layers > FZ_L || c->d_model != FZ_D || c->n_ctx != FZ_P || c->vocab != FZ_V ||
	    c->n_heads < 1 || c->n_heads * c->head_dim != c->d_model || c->d_mlp != 4 * FZ_D)
		abort();
	char hook[64];
	snprintf(hook, sizeof hook, "blocks.%d.mlp.hook_post", c->n_layers - 1);
	if (saex_model_hook_width(m, hook) != 4 * FZ_D)
		abort();
	snprintf(hook, sizeof hook, "blocks.%d.hook_resid_pre", c->n_layers);
	if (saex_model_hook_width(m, hook) != 0)
		abort();
	saex_model_free(m);
	return 0;
}
