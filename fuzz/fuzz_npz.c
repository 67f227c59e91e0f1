/* fuzz_npz.c - libFuzzer harness for the .npz reader (src/core/io/npz.c,
 * through libarchive) and Gemma Scope's loader (src/core/sae/sae_pub.c):
 * the input is a whole params.npz. An archive that opens is checked member
 * by member (names, sizes, every byte of each array read); the file is
 * then loaded as a Gemma Scope SAE from a gemma-scope-2b-pt-res layout and,
 * when that works, one row is encoded and decoded. */
#include "config.h"
#include "saex.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The Gemma Scope folder, made again when missing (a scratch folder in a
 * shared /dev/shm has been seen to vanish during a long run). */
static const char *fz_sae_dir(void)
{
	static char dir[1024];
	const char *parts[] = {"gemma-scope-2b-pt-res", "gemma-scope-2b-pt-res/layer_0",
	                       "gemma-scope-2b-pt-res/layer_0/width_8", "gemma-scope-2b-pt-res/layer_0/width_8/l0"};
	struct stat st;
	if (!dir[0])
		snprintf(dir, sizeof dir, "%s", fz_path(parts[3]));
	if (stat(dir, &st) != 0) {
		mkdir(fz_dir(), 0700);
		for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
			mkdir(fz_path(parts[i]), 0755);
	}
	return dir;
}

/* Every member's array read whole: a member the reader let through must
 * lie within what it maps or owns. */
static void fz_members(const saex_npz *z)
{
	for (size_t i = 0; i < saex_npz_count(z); i++) {
		const saex_tensor *t = saex_npz_tensor(z, i);
		uint64_t n = 1;
		for (int d = 0; d < t->ndim; d++)
			n *= (uint64_t)t->shape[d];
		if (!t->name || !*t->name || n != t->numel || t->nbytes != t->numel * saex_dtype_size(t->dtype) ||
		    saex_npz_find(z, t->name) == NULL)
			abort();
		float *owned;
		const float *v = saex_tensor_f32(t, &owned);
		volatile float sink = 0;
		for (uint64_t k = 0; v && k < t->numel && k < (1u << 20); k++)
			sink += v[k];
		(void)sink;
		free(owned);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[1100], err[SAEX_ERR_LEN];
	snprintf(path, sizeof path, "%s/params.npz", fz_sae_dir());
	fz_write(path, data, size);
	saex_npz *z = saex_npz_open(path, err, sizeof err);
	if (!z) {
		if (!err[0])
			abort(); /* a failure must say why */
		return 0;
	}
	fz_members(z);
	saex_npz_close(z);
	saex_sae *s = saex_sae_load(fz_sae_dir(), err, sizeof err);
	if (!s) {
		if (!err[0])
			abort();
		return 0;
	}
	const saex_sae_info *in = saex_sae_get_info(s);
	if (in->d_in < 1 || in->d_sae < 1 || in->d_out != in->d_in || in->format != SAEX_FMT_GEMMA_SCOPE)
		abort();
	if (in->d_in <= 64 && in->d_sae <= 4096) {
		float x[64], *f = malloc((size_t)in->d_sae * sizeof *f), r[64];
		for (int64_t j = 0; j < in->d_in; j++)
			x[j] = (float)(j % 5) - 2.0f;
		if (!f || saex_sae_encode(s, x, 1, f, NULL) || saex_sae_decode(s, f, 1, NULL, r))
			abort();
		free(f);
	}
	saex_sae_free(s);
	return 0;
}
