/* fuzz_sae_cfg.c - libFuzzer harness for SAELens cfg.json parsing
 * (src/core/sae/sae_load.c): the input is cfg.json, next to a fixed valid
 * sae_weights.safetensors with d_in 4 and d_sae 8 holding every tensor any
 * architecture needs (W_skip for skip transcoders included). A config that loads is used: two rows are encoded,
 * decoded and measured, so each architecture and normalisation the config
 * can select runs. */
#include "config.h"
#include "saex.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FZ_D_IN = 4, FZ_D_SAE = 8 };

static void fz_sae_weights(void)
{
	static int done;
	if (done)
		return;
	static const fz_tensor t[] = {
		{"W_enc", "F32", 2, {FZ_D_IN, FZ_D_SAE}}, {"W_dec", "F16", 2, {FZ_D_SAE, FZ_D_IN}},
		{"b_enc", "F32", 1, {FZ_D_SAE, 0}}, {"b_dec", "BF16", 1, {FZ_D_IN, 0}},
		{"threshold", "F32", 1, {FZ_D_SAE, 0}}, {"b_gate", "F32", 1, {FZ_D_SAE, 0}},
		{"b_mag", "F32", 1, {FZ_D_SAE, 0}}, {"r_mag", "F32", 1, {FZ_D_SAE, 0}},
		{"W_skip", "F32", 2, {FZ_D_IN, FZ_D_IN}},
	};
	fz_write_safetensors(fz_path("sae_weights.safetensors"), t, sizeof t / sizeof t[0]);
	done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_sae_weights();
	fz_write(fz_path("cfg.json"), data, size);
	char err[SAEX_ERR_LEN];
	saex_sae *s = saex_sae_load(fz_dir(), err, sizeof err);
	if (!s) {
		if (!err[0])
			abort();
		return 0;
	}
	const saex_sae_info *in = saex_sae_get_info(s);
	if (in->d_in != FZ_D_IN || in->d_sae != FZ_D_SAE || in->d_out != FZ_D_IN || !in->hook_name ||
	    (in->arch == SAEX_SAE_TOPK && (in->k < 1 || in->k > FZ_D_SAE)))
		abort();
	(void)saex_sae_arch_name(in->arch);
	(void)saex_sae_norm_name(in->norm);
	float x[2 * FZ_D_IN] = {0.5f, -1.0f, 2.0f, 0.25f, 0, 0, 0, 0}; /* row 2: no variance */
	float f[2 * FZ_D_SAE], xhat[2 * FZ_D_IN], norm[4];
	if (saex_sae_encode(s, x, 2, f, norm) != 0)
		abort();
	if (saex_sae_decode(s, f, 2, norm, xhat) != 0 || saex_sae_skip(s, x, 2, xhat) != 0)
		abort(); /* no memory: the harness cannot go on */
	double l0, mse, ev;
	saex_sae_metrics(x, xhat, 2, FZ_D_IN, f, FZ_D_SAE, &l0, &mse, &ev);
	saex_sae_free(s);
	return 0;
}
