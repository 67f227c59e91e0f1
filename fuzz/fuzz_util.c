/* fuzz_util.c - scratch files and a tiny safetensors writer for the
 * harnesses. See fuzz_util.h. */
#define _GNU_SOURCE
#include "fuzz_util.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_root[256];

static int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	remove(path);
	return 0;
}

static void fz_cleanup(void)
{
	if (fz_root[0])
		nftw(fz_root, fz_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fz_dir(void)
{
	if (fz_root[0])
		return fz_root;
	struct stat st;
	const char *base = "/dev/shm";
	if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode) || access(base, W_OK) != 0) {
		base = getenv("TMPDIR");
		if (!base || !*base)
			base = "/tmp";
	}
	snprintf(fz_root, sizeof fz_root, "%s/saex-fuzz-XXXXXX", base);
	if (!mkdtemp(fz_root)) {
		fprintf(stderr, "fuzz: cannot make a scratch folder in %s: %s\n", base, strerror(errno));
		abort();
	}
	atexit(fz_cleanup);
	return fz_root;
}

const char *fz_path(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", fz_dir(), name);
	return p;
}

void fz_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

FILE *fz_devnull(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

static size_t fz_elem(const char *dtype)
{
	return strcmp(dtype, "F32") == 0 ? 4 : 2;
}

void fz_write_safetensors(const char *path, const fz_tensor *t, size_t n)
{
	char hdr[8192];
	size_t hl = 0, off = 0;
	hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "{\"__metadata__\":{\"format\":\"pt\"}");
	for (size_t i = 0; i < n; i++) {
		size_t numel = 1;
		char shape[64] = "";
		for (int d = 0; d < t[i].ndim; d++) {
			numel *= (size_t)t[i].shape[d];
			size_t l = strlen(shape);
			snprintf(shape + l, sizeof shape - l, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
		}
		size_t nb = numel * fz_elem(t[i].dtype);
		hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl,
		                       ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%s],\"data_offsets\":[%zu,%zu]}",
		                       t[i].name, t[i].dtype, shape, off, off + nb);
		off += nb;
	}
	hl += (size_t)snprintf(hdr + hl, sizeof hdr - hl, "}");
	while (hl % 8)
		hdr[hl++] = ' ';
	if (hl >= sizeof hdr)
		abort();
	unsigned char *data = calloc(1, off + 1);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t numel = 1;
		for (int d = 0; d < t[i].ndim; d++)
			numel *= (size_t)t[i].shape[d];
		for (size_t k = 0; k < numel; k++) {
			/* small values in [-0.5, 0.5), varied per tensor and element */
			float v = (float)((int)((k * 7 + i * 13) % 16) - 8) / 16.0f;
			uint32_t bits;
			memcpy(&bits, &v, 4);
			if (fz_elem(t[i].dtype) == 4) {
				for (int b = 0; b < 4; b++)
					data[at++] = (unsigned char)(bits >> (8 * b));
			} else {
				/* BF16 is the top half; for F16 the same bits are some
				 * other small finite number, which is all a test needs */
				uint16_t h = (uint16_t)(bits >> 16);
				if (strcmp(t[i].dtype, "F16") == 0)
					h = (uint16_t)((h & 0x8000) | 0x3000 | (k & 0x3ff));
				data[at++] = (unsigned char)h;
				data[at++] = (unsigned char)(h >> 8);
			}
		}
	}
	FILE *f = fopen(path, "wb");
	unsigned char len[8];
	for (int b = 0; b < 8; b++)
		len[b] = (unsigned char)((uint64_t)hl >> (8 * b));
	if (!f || fwrite(len, 1, 8, f) != 8 || fwrite(hdr, 1, hl, f) != hl ||
	    (off && fwrite(data, 1, off, f) != off) || fclose(f) != 0) {
		fprintf(stderr, "fuzz: cannot write %s\n", path);
		abort();
	}
	free(data);
}

const uint8_t *fz_split(const uint8_t **p, size_t *n, uint8_t sep, size_t *len)
{
	const uint8_t *start = *p;
	const uint8_t *s = *n ? memchr(start, sep, *n) : NULL;
	if (!s) {
		*len = *n;
		*p += *n;
		*n = 0;
		return start;
	}
	*len = (size_t)(s - start);
	*n -= *len + 1;
	*p = s + 1;
	return start;
}
