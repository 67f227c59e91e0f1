/* tensor_util.c - see tensor_util.h */
#include "config.h"
#include "tensor_util.h"
#include "util.h"

#include <unistd.h>
#include "saex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int tensor_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void tensor_shape_str(sb *b, int ndim, const int64_t *shape)
{
	sb_addc(b, '[');
	for (int i = 0; i < ndim; i++)
		sb_printf(b, "%s%lld", i ? ", " : "", (long long)shape[i]);
	sb_addc(b, ']');
}

int tensor_numel(int ndim, const int64_t *shape, size_t elem, uint64_t *numel, size_t *nbytes)
{
	uint64_t n = 1, bytes;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] < 0 || __builtin_mul_overflow(n, (uint64_t)shape[i], &n))
			return -1;
	}
	if (__builtin_mul_overflow(n, (uint64_t)elem, &bytes) || bytes > SIZE_MAX)
		return -1;
	*numel = n;
	*nbytes = (size_t)bytes;
	return 0;
}

uint16_t tensor_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t tensor_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint64_t tensor_le64(const unsigned char *p)
{
	return (uint64_t)tensor_le32(p) | ((uint64_t)tensor_le32(p + 4) << 32);
}

int tensor_map_file(const char *path, void **map, size_t *size, char *err, size_t errlen)
{
	*map = NULL;
	*size = 0;
	int fd = util_open_read(path, 0, NULL, err, errlen); /* a folder, device or pipe refused by name */
	if (fd < 0)
		return -1;
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) != 0)
		tensor_fail(err, errlen, "%s: %s", path, strerror(errno));
	else if (st.st_size == 0)
		rc = 0;
	else {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			tensor_fail(err, errlen, "%s: cannot map the file: %s", path, strerror(errno));
		else {
			*map = m;
			*size = (size_t)st.st_size;
			rc = 0;
		}
	}
	close(fd);
	return rc;
}

int tensor_host_le(void)
{
	const uint16_t one = 1;
	unsigned char b;
	memcpy(&b, &one, 1);
	return b == 1;
}

void tensor_to_f32(float *dst, const void *src, uint64_t n, saex_dtype t)
{
	const unsigned char *p = src;
	switch (t) {
	case SAEX_F32:
		if (tensor_host_le()) {
			memcpy(dst, p, n * 4);
		} else {
			for (uint64_t i = 0; i < n; i++) {
				uint32_t u = tensor_le32(p + 4 * i);
				memcpy(&dst[i], &u, 4);
			}
		}
		break;
	case SAEX_F16:
		for (uint64_t i = 0; i < n; i++)
			dst[i] = saex_f16_to_f32(tensor_le16(p + 2 * i));
		break;
	case SAEX_BF16:
		for (uint64_t i = 0; i < n; i++)
			dst[i] = saex_bf16_to_f32(tensor_le16(p + 2 * i));
		break;
	case SAEX_OTHER:
		break;
	}
}

const char *saex_dtype_name(saex_dtype t)
{
	switch (t) {
	case SAEX_F32: return "F32";
	case SAEX_F16: return "F16";
	case SAEX_BF16: return "BF16";
	case SAEX_OTHER: return "other";
	}
	return "?";
}

size_t saex_dtype_size(saex_dtype t)
{
	return t == SAEX_F32 ? 4 : t == SAEX_OTHER ? 0 : 2;
}

#define TENSOR_JSON_MAX (16 << 20) /* bytes of a config file: more is no config */

/* The JSON document of open file fd, read whole and parsed from memory
 * (jansson's json_loadfd reads a byte a system call: 50,000 of them for a
 * Llama 3 tokenizer_config.json). Closes fd. */
static json_t *tensor_json_fd(int fd, json_error_t *je)
{
	char *p = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *q = ncap > TENSOR_JSON_MAX + 1 ? NULL : realloc(p, ncap);
			if (!q) {
				free(p);
				close(fd);
				snprintf(je->text, sizeof je->text, ncap > TENSOR_JSON_MAX + 1 ? "larger than %d MiB" : "out of memory",
				         TENSOR_JSON_MAX >> 20);
				je->line = -1;
				return NULL;
			}
			p = q;
			cap = ncap;
		}
		ssize_t k = read(fd, p + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			snprintf(je->text, sizeof je->text, "%s", strerror(errno));
			je->line = -1;
			free(p);
			close(fd);
			return NULL;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	json_t *root = json_loadb(p, n, 0, je);
	free(p);
	return root;
}

json_t *tensor_json_optional(const char *path)
{
	char why[256];
	int fd = util_open_read(path, 0, NULL, why, sizeof why);
	if (fd < 0)
		return NULL;
	json_error_t je;
	return tensor_json_fd(fd, &je);
}

json_t *tensor_json_object(const char *path, char *err, size_t errlen)
{
	json_error_t je;
	int fd = util_open_read(path, 0, NULL, err, errlen);
	if (fd < 0)
		return NULL;
	json_t *root = tensor_json_fd(fd, &je);
	if (!root) {
		if (je.line < 1)
			tensor_fail(err, errlen, "%s: %s", path, je.text);
		else
			tensor_fail(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		tensor_fail(err, errlen, "%s: not a JSON object", path);
		json_decref(root);
		return NULL;
	}
	return root;
}

void tensor_prefault(const void *p, size_t n)
{
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096;
	if (!p || !n)
		return;
	uintptr_t a = (uintptr_t)p & ~(page - 1), b = (uintptr_t)p + n;
#ifdef MADV_POPULATE_READ
	if (madvise((void *)a, b - a, MADV_POPULATE_READ) == 0)
		return;
#endif
	volatile unsigned char sink = 0;
	for (uintptr_t q = (uintptr_t)p; q < b; q = (q & ~(page - 1)) + page)
		sink ^= *(const volatile unsigned char *)q;
	(void)sink;
}
