/* fuzz_npy.c - libFuzzer harness for the .npy reader (src/core/io/npy.c): the
 * input is a whole .npy file. An array that reads is written back with
 * saex_npy_write and read again, and must come back identical. */
#include "config.h"
#include "saex.h"
#include "fuzz_util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_path("in.npy");
	fz_write(path, data, size);
	char err[SAEX_ERR_LEN];
	saex_npy a = {0};
	if (saex_npy_read(path, &a, err, sizeof err) != 0) {
		if (!err[0] || a.data)
			abort(); /* a failure must say why and leave *out empty */
		return 0;
	}
	if (a.ndim >= 1) {
		const char *out = fz_path("out.npy");
		saex_npy b = {0};
		if (saex_npy_write(out, a.data, a.ndim, a.shape, err, sizeof err) != 0 ||
		    saex_npy_read(out, &b, err, sizeof err) != 0)
			abort(); /* what was read must write and read back */
		if (b.ndim != a.ndim || b.numel != a.numel ||
		    memcmp(b.shape, a.shape, sizeof a.shape) != 0 ||
		    (a.numel && memcmp(a.data, b.data, a.numel * sizeof(float)) != 0))
			abort();
		saex_npy_free(&b);
	}
	saex_npy_free(&a);
	return 0;
}
