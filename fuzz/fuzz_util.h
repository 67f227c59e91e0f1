/* fuzz_util.h - helpers shared by the libFuzzer harnesses in fuzz/.
 *
 * The readers under test take paths, so a harness writes each input into a
 * private scratch folder (under /dev/shm when it exists, else $TMPDIR or
 * /tmp), removed when the process exits normally. */
#ifndef SAEX_FUZZ_UTIL_H
#define SAEX_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The scratch folder (created on first use). */
const char *fz_dir(void);
/* fz_dir()/name in one of a few rotating static buffers. */
const char *fz_path(const char *name);
/* Writes n bytes to path, replacing it; aborts on failure. */
void fz_write(const char *path, const void *data, size_t n);
/* A stream that discards what is written (for import logs). */
FILE *fz_devnull(void);

/* A tensor for fz_write_safetensors: F32, F16 or BF16 with 0..2 dims; the
 * values are small deterministic numbers. */
typedef struct fz_tensor {
	const char *name;
	const char *dtype;
	int ndim;
	int64_t shape[2];
} fz_tensor;
/* Writes a valid safetensors file holding the n tensors. */
void fz_write_safetensors(const char *path, const fz_tensor *t, size_t n);

/* Splits [*p, *p + *n) at the first occurrence of sep: returns the part
 * before it (its length in *len) and advances past sep; with no sep left
 * the whole rest is the part and *n becomes 0. */
const uint8_t *fz_split(const uint8_t **p, size_t *n, uint8_t sep, size_t *len);

#endif
