/* npy.c - NumPy .npy files: float32/float16 in, float32 out. See
 * saex_tensor.h and FORMATS.md §2. */
#include "config.h"
#include "saex_tensor.h"
#include "tensor_util.h"
#include "util.h"
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The header dict as parsed. */
typedef struct npy_hdr {
	char descr[16];
	int fortran;               /* -1 until seen */
	int ndim;                  /* -1 until seen */
	int64_t shape[SAEX_MAX_DIMS];
} npy_hdr;

typedef struct npy_parser {
	const char *s, *end;
	const char *path;
	char *err;
	size_t errlen;
} npy_parser;

static void np_ws(npy_parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int np_bad(npy_parser *p, const char *what)
{
	return tensor_fail(p->err, p->errlen, "%s: bad .npy header: %s", p->path, what);
}

/* A Python string literal ('...' or "...", no escapes needed by any key or
 * dtype we accept) into buf. */
static int np_string(npy_parser *p, char *buf, size_t n)
{
	np_ws(p);
	if (p->s >= p->end || (*p->s != '\'' && *p->s != '"'))
		return np_bad(p, "expected a quoted string");
	char q = *p->s++;
	size_t k = 0;
	while (p->s < p->end && *p->s != q) {
		if (*p->s == '\\' || k + 1 >= n)
			return np_bad(p, "unexpected string in the header dict");
		buf[k++] = *p->s++;
	}
	if (p->s >= p->end)
		return np_bad(p, "unterminated string");
	p->s++;
	buf[k] = 0;
	return 0;
}

static int np_word(npy_parser *p, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(p->end - p->s) >= n && memcmp(p->s, w, n) == 0) {
		p->s += n;
		return 1;
	}
	return 0;
}

/* A tuple of non-negative integers: (), (3,), (3, 4), (3L, 4L). */
static int np_tuple(npy_parser *p, npy_hdr *h)
{
	np_ws(p);
	if (p->s >= p->end || *p->s != '(')
		return np_bad(p, "shape is not a tuple");
	p->s++;
	/* A key given twice counts once, the last (as in Python): forget the
	 * dims of an earlier shape so that shape[ndim..] stay 0. */
	h->ndim = 0;
	memset(h->shape, 0, sizeof h->shape);
	for (;;) {
		np_ws(p);
		if (p->s < p->end && *p->s == ')') {
			p->s++;
			return 0;
		}
		if (p->s >= p->end || *p->s < '0' || *p->s > '9')
			return np_bad(p, "shape holds something other than non-negative integers");
		int64_t v = 0;
		while (p->s < p->end && *p->s >= '0' && *p->s <= '9') {
			if (v > (INT64_MAX - 9) / 10)
				return np_bad(p, "a shape dimension is too large");
			v = v * 10 + (*p->s++ - '0');
		}
		if (p->s < p->end && (*p->s == 'L' || *p->s == 'l'))
			p->s++; /* Python 2 long */
		if (h->ndim >= SAEX_MAX_DIMS)
			return tensor_fail(p->err, p->errlen, "%s: the array has more than %d dimensions",
			                   p->path, SAEX_MAX_DIMS);
		h->shape[h->ndim++] = v;
		np_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s >= p->end || *p->s != ')')
			return np_bad(p, "shape tuple not closed");
	}
}

static int np_dict(npy_parser *p, npy_hdr *h)
{
	np_ws(p);
	if (p->s >= p->end || *p->s != '{')
		return np_bad(p, "not a dict");
	p->s++;
	for (;;) {
		np_ws(p);
		if (p->s < p->end && *p->s == '}') {
			p->s++;
			break;
		}
		char key[32];
		if (np_string(p, key, sizeof key))
			return -1;
		np_ws(p);
		if (p->s >= p->end || *p->s != ':')
			return np_bad(p, "expected ':' after a key");
		p->s++;
		np_ws(p);
		if (strcmp(key, "descr") == 0) {
			if (p->s < p->end && *p->s == '[')
				return tensor_fail(p->err, p->errlen,
				                   "%s: structured dtypes are not supported (saex reads '<f4' and '<f2')",
				                   p->path);
			if (np_string(p, h->descr, sizeof h->descr))
				return -1;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (np_word(p, "True"))
				h->fortran = 1;
			else if (np_word(p, "False"))
				h->fortran = 0;
			else
				return np_bad(p, "fortran_order is not True or False");
		} else if (strcmp(key, "shape") == 0) {
			if (np_tuple(p, h))
				return -1;
		} else {
			return tensor_fail(p->err, p->errlen, "%s: bad .npy header: unknown key '%s'",
			                   p->path, key);
		}
		np_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		np_ws(p);
		if (p->s >= p->end || *p->s != '}')
			return np_bad(p, "expected ',' or '}'");
	}
	np_ws(p);
	if (p->s != p->end)
		return np_bad(p, "text after the dict");
	if (!h->descr[0] || h->fortran < 0 || h->ndim < 0)
		return np_bad(p, "descr, fortran_order and shape must all be given");
	return 0;
}

int tensor_npy_prefix(const unsigned char *pre, size_t have, uint64_t total, const char *what, size_t *dict_off,
                      size_t *dict_len, char *err, size_t errlen)
{
	if (have < 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
		return tensor_fail(err, errlen, "%s: not a .npy file (no \\x93NUMPY magic)", what);
	int major = pre[6], minor = pre[7];
	if ((major != 1 && major != 2 && major != 3) || minor != 0)
		return tensor_fail(err, errlen, "%s: .npy format version %d.%d is not supported (saex reads 1.0, 2.0 "
		                   "and 3.0)", what, major, minor);
	size_t prefix = major == 1 ? 10 : 12;
	if (have < prefix)
		return tensor_fail(err, errlen, "%s: truncated .npy header", what);
	size_t hlen = major == 1 ? tensor_le16(pre + 8) : tensor_le32(pre + 8);
	if (total < prefix || hlen > total - prefix)
		return tensor_fail(err, errlen, "%s: header length %zu runs past the end of the file (%llu bytes)", what,
		                   hlen, (unsigned long long)total);
	*dict_off = prefix;
	*dict_len = hlen;
	return 0;
}

int tensor_npy_dict(const char *dict, size_t len, const char *what, tensor_npy *out, char *err, size_t errlen)
{
	npy_hdr h = {{0}, -1, -1, {0}};
	npy_parser p = {dict, dict + len, what, err, errlen};
	if (np_dict(&p, &h))
		return -1;
	if (strcmp(h.descr, "<f4") == 0)
		out->dtype = SAEX_F32;
	else if (strcmp(h.descr, "<f2") == 0)
		out->dtype = SAEX_F16;
	else if (strcmp(h.descr, ">f4") == 0 || strcmp(h.descr, ">f2") == 0)
		return tensor_fail(err, errlen, "%s: dtype '%s' is big-endian; saex reads little-endian '<f4' and '<f2'",
		                   what, h.descr);
	else
		return tensor_fail(err, errlen, "%s: dtype '%s' is not supported (saex reads float32 '<f4' and float16 "
		                   "'<f2')", what, h.descr);
	if (h.fortran)
		return tensor_fail(err, errlen, "%s: the array is in Fortran order; saex reads C order "
		                   "(numpy.ascontiguousarray before saving)", what);
	out->ndim = h.ndim;
	memcpy(out->shape, h.shape, sizeof h.shape);
	size_t fbytes;
	if (tensor_numel(h.ndim, h.shape, saex_dtype_size(out->dtype), &out->numel, &out->nbytes) != 0 ||
	    __builtin_mul_overflow((size_t)out->numel, sizeof(float), &fbytes)) {
		sb s = {0};
		tensor_shape_str(&s, h.ndim, h.shape);
		tensor_fail(err, errlen, "%s: shape %s is too large", what, s.p);
		sb_free(&s);
		return -1;
	}
	return 0;
}

static int np_read_fail(FILE *f, saex_npy *out, int rc)
{
	if (f)
		fclose(f);
	saex_npy_free(out);
	return rc;
}

/* The header of the open file f (st_size bytes) into *h; the file is left
 * at the first byte of the data. */
static int np_read_header(FILE *f, const char *path, uint64_t size, tensor_npy *h, char *err, size_t errlen)
{
	unsigned char pre[12];
	size_t have = fread(pre, 1, 10, f), off, len;
	if (have == 10 && memcmp(pre, "\x93NUMPY", 6) == 0 && pre[6] != 1)
		have += fread(pre + 10, 1, 2, f);
	if (tensor_npy_prefix(pre, have, size, path, &off, &len, err, errlen))
		return -1;
	char *dict = malloc(len + 1);
	if (!dict)
		return tensor_fail(err, errlen, "%s: out of memory for a header of %zu bytes", path, len);
	int rc = -1;
	if (fread(dict, 1, len, f) != len)
		tensor_fail(err, errlen, "%s: truncated .npy header", path);
	else
		rc = tensor_npy_dict(dict, len, path, h, err, errlen);
	free(dict);
	h->data_off = off + len;
	return rc;
}

int saex_npy_read(const char *path, saex_npy *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	int fd = util_open_read(path, 0, NULL, err, errlen);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return tensor_fail(err, errlen, "%s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		return np_read_fail(f, out, tensor_fail(err, errlen, "%s: not a regular file", path));
	tensor_npy h;
	if (np_read_header(f, path, (uint64_t)st.st_size, &h, err, errlen))
		return np_read_fail(f, out, -1);
	uint64_t have = (uint64_t)st.st_size - h.data_off;
	if (have != h.nbytes) {
		sb s = {0};
		tensor_shape_str(&s, h.ndim, h.shape);
		tensor_fail(err, errlen, "%s: the file holds %llu bytes of data but shape %s %s needs %zu%s", path,
		            (unsigned long long)have, s.p, h.dtype == SAEX_F32 ? "<f4" : "<f2", h.nbytes,
		            have < h.nbytes ? " (is it truncated?)" : "");
		sb_free(&s);
		return np_read_fail(f, out, -1);
	}
	size_t fbytes = (size_t)h.numel * sizeof(float);
	out->data = malloc(fbytes ? fbytes : 1);
	void *raw = h.dtype == SAEX_F32 ? (void *)out->data : malloc(h.nbytes ? h.nbytes : 1);
	if (!out->data || !raw) {
		if (raw != out->data)
			free(raw);
		return np_read_fail(f, out, tensor_fail(err, errlen, "%s: out of memory for %zu bytes", path, fbytes));
	}
	if (fread(raw, 1, h.nbytes, f) != h.nbytes) {
		if (raw != out->data)
			free(raw);
		return np_read_fail(f, out, tensor_fail(err, errlen, "%s: read error: %s", path,
		                                        ferror(f) ? strerror(errno) : "file shrank"));
	}
	if (h.dtype != SAEX_F32 || !tensor_host_le())
		tensor_to_f32(out->data, raw, h.numel, h.dtype);
	if (raw != out->data)
		free(raw);
	fclose(f);
	out->ndim = h.ndim;
	memcpy(out->shape, h.shape, sizeof h.shape);
	out->numel = h.numel;
	return 0;
}

void saex_npy_free(saex_npy *a)
{
	free(a->data);
	memset(a, 0, sizeof *a);
}

int saex_npy_write(const char *path, const float *data, int ndim, const int64_t *shape,
                   char *err, size_t errlen)
{
	if (ndim < 0 || ndim > SAEX_MAX_DIMS)
		return tensor_fail(err, errlen, "%s: cannot write %d dimensions", path, ndim);
	uint64_t numel;
	size_t nbytes;
	if (tensor_numel(ndim, shape, 4, &numel, &nbytes) != 0)
		return tensor_fail(err, errlen, "%s: the shape is too large or negative", path);
	sb h = {0};
	sb_adds(&h, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
	for (int i = 0; i < ndim; i++)
		sb_printf(&h, "%s%lld", i ? ", " : "", (long long)shape[i]);
	sb_adds(&h, ndim == 1 ? ",), }" : "), }");
	/* Pad with spaces so that the data starts at a multiple of 64 bytes; the
	 * header ends with a newline. */
	size_t prefix = h.n + 64 + 10 <= 65535 ? 10 : 12;
	while ((prefix + h.n + 1) % 64)
		sb_addc(&h, ' ');
	sb_addc(&h, '\n');
	unsigned char pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', prefix == 10 ? 1 : 2, 0};
	for (size_t i = 0; i < prefix - 8; i++)
		pre[8 + i] = (unsigned char)(h.n >> (8 * i));
	outfile o;
	if (outfile_open(&o, path, err, errlen)) {
		sb_free(&h);
		return -1;
	}
	FILE *f = o.f;
	int ok = fwrite(pre, 1, prefix, f) == prefix && fwrite(h.p, 1, h.n, f) == h.n;
	sb_free(&h);
	if (ok && tensor_host_le()) {
		ok = fwrite(data, 1, nbytes, f) == nbytes;
	} else if (ok) {
		for (uint64_t i = 0; i < numel && ok; i++) {
			uint32_t u;
			memcpy(&u, &data[i], 4);
			unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
			                      (unsigned char)(u >> 24)};
			ok = fwrite(b, 1, 4, f) == 4;
		}
	}
	if (!ok) {
		tensor_fail(err, errlen, "%s: write failed: %s", path, strerror(errno));
		outfile_abort(&o);
		return -1;
	}
	return outfile_commit(&o, err, errlen);
}
