/* fuzz_safetensors.c - libFuzzer harness for the safetensors reader
 * (src/core/io/safetensors.c): the input is a whole .safetensors file. A file that
 * opens is walked: every tensor converted to float32 (F16/BF16 conversion,
 * unaligned F32 copies), looked up by name, and the metadata read. */
#include "config.h"
#include "saex.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_path("model.safetensors");
	fz_write(path, data, size);
	char err[SAEX_ERR_LEN];
	saex_safetensors *f = saex_safetensors_open(path, err, sizeof err);
	if (!f) {
		if (!err[0])
			abort(); /* a failure must say why */
		return 0;
	}
	volatile float sink = 0;
	size_t n = saex_safetensors_count(f);
	for (size_t i = 0; i < n; i++) {
		const saex_tensor *t = saex_safetensors_tensor(f, i);
		if (saex_safetensors_find(f, t->name) != t)
			abort();
		/* a dtype saex reads past (BOOL, integers, F64...): its own size,
		 * which only the file knows, and no float32 view */
		if (t->dtype != SAEX_OTHER && t->nbytes != t->numel * saex_dtype_size(t->dtype))
			abort();
		float *owned = NULL;
		const float *v = saex_tensor_f32(t, &owned);
		if (t->dtype == SAEX_OTHER && v)
			abort();
		if (v)
			for (uint64_t k = 0; k < t->numel; k++)
				sink += v[k];
		free(owned);
	}
	(void)saex_safetensors_meta(f, "format");
	(void)saex_safetensors_find(f, "wte.weight");
	(void)sink;
	saex_safetensors_close(f);
	return 0;
}
