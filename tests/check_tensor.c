/* check_tensor.c - safetensors and .npy: valid files, every kind of damage. */
#include "config.h"
#include "testutil.h"
#include "saex.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

/* Writes a safetensors file: the header text, padded with spaces to
 * pad-byte alignment (pad 0: none), then n data bytes. */
static const char *st_write(const char *name, const char *header, size_t pad, const void *data, size_t n)
{
	sb b = {0};
	size_t h = strlen(header), hp = h;
	while (pad && (8 + hp) % pad)
		hp++;
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)hp >> (8 * i));
	sb_add(&b, len, 8);
	sb_add(&b, header, h);
	for (size_t i = h; i < hp; i++)
		sb_addc(&b, ' ');
	sb_add(&b, data, n);
	const char *path = tu_path(name);
	tu_write(path, b.p, b.n, 0);
	sb_free(&b);
	return path;
}

/* Opens a file that must fail; the message must contain every string in
 * want (NULL-terminated). */
static void st_bad(const char *path, const char *const *want)
{
	char err[SAEX_ERR_LEN] = "";
	saex_safetensors *f = saex_safetensors_open(path, err, sizeof err);
	ck_assert_msg(f == NULL, "%s opened", path);
	ck_assert_msg(err[0], "no message for %s", path);
	for (const char *const *w = want; *w; w++)
		ck_assert_msg(strstr(err, *w), "message '%s' lacks '%s'", err, *w);
}

static uint16_t f16(float v)
{
	return saex_f32_to_f16(v);
}

static uint16_t bf16(float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	return (uint16_t)(u >> 16);
}

/* data: a [2,3] F32 = 0..5, b [4] F16 = 1.5,-2,0.25,65504, c [2,2] BF16 =
 * 1,-3,0.5,256, s [] F32 = 7, z [0,5] F32 (empty). */
static size_t st_sample_data(unsigned char *d)
{
	size_t o = 0;
	for (int i = 0; i < 6; i++) {
		float v = (float)i;
		memcpy(d + o, &v, 4);
		o += 4;
	}
	const float hv[4] = {1.5f, -2, 0.25f, 65504};
	for (int i = 0; i < 4; i++) {
		uint16_t h = f16(hv[i]);
		memcpy(d + o, &h, 2);
		o += 2;
	}
	const float bv[4] = {1, -3, 0.5f, 256};
	for (int i = 0; i < 4; i++) {
		uint16_t h = bf16(bv[i]);
		memcpy(d + o, &h, 2);
		o += 2;
	}
	float s = 7;
	memcpy(d + o, &s, 4);
	return o + 4;
}

static const char st_sample_header[] =
	"{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\"},"
	"\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
	"\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
	"\"c\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]},"
	"\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[40,44]},"
	"\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[44,44]}}";

static void st_check_sample(saex_safetensors *f, int aligned)
{
	ck_assert_uint_eq(saex_safetensors_count(f), 5);
	/* in the order of their data */
	ck_assert_str_eq(saex_safetensors_tensor(f, 0)->name, "a");
	ck_assert_str_eq(saex_safetensors_tensor(f, 1)->name, "b");
	ck_assert_ptr_null(saex_safetensors_tensor(f, 5));
	const saex_tensor *a = saex_safetensors_find(f, "a");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->dtype, SAEX_F32);
	ck_assert_int_eq(a->ndim, 2);
	ck_assert_int_eq(a->shape[0], 2);
	ck_assert_int_eq(a->shape[1], 3);
	ck_assert_uint_eq(a->numel, 6);
	ck_assert_uint_eq(a->nbytes, 24);
	float *owned;
	const float *v = saex_tensor_f32(a, &owned);
	ck_assert_ptr_nonnull(v);
	if (aligned) {
		ck_assert_ptr_null(owned);            /* zero copy */
		ck_assert_ptr_eq(v, a->data);
	} else {
		ck_assert_ptr_nonnull(owned);         /* unaligned: copied */
		ck_assert_uint_eq((uintptr_t)v & 3, 0);
	}
	for (int i = 0; i < 6; i++)
		ck_assert(v[i] == (float)i);
	free(owned);
	const saex_tensor *b = saex_safetensors_find(f, "b");
	ck_assert_int_eq(b->dtype, SAEX_F16);
	v = saex_tensor_f32(b, &owned);
	ck_assert_ptr_nonnull(owned);
	ck_assert(v[0] == 1.5f && v[1] == -2 && v[2] == 0.25f && v[3] == 65504);
	free(owned);
	const saex_tensor *c = saex_safetensors_find(f, "c");
	ck_assert_int_eq(c->dtype, SAEX_BF16);
	ck_assert_str_eq(saex_dtype_name(c->dtype), "BF16");
	v = saex_tensor_f32(c, &owned);
	ck_assert(v[0] == 1 && v[1] == -3 && v[2] == 0.5f && v[3] == 256);
	free(owned);
	const saex_tensor *s = saex_safetensors_find(f, "s");
	ck_assert_int_eq(s->ndim, 0);
	ck_assert_uint_eq(s->numel, 1);
	v = saex_tensor_f32(s, &owned);
	ck_assert(v[0] == 7);
	free(owned);
	const saex_tensor *z = saex_safetensors_find(f, "z");
	ck_assert_uint_eq(z->numel, 0);
	ck_assert_uint_eq(z->nbytes, 0);
	v = saex_tensor_f32(z, &owned);
	ck_assert_ptr_nonnull(v);
	free(owned);
	ck_assert_ptr_null(saex_safetensors_find(f, "nope"));
	ck_assert_ptr_null(saex_safetensors_find(f, ""));
}

/* ---------------------------------------------------------------- safetensors */

START_TEST(st_valid_with_metadata)
{
	unsigned char d[64];
	size_t n = st_sample_data(d);
	const char *p = st_write("ok.safetensors", st_sample_header, 8, d, n);
	char err[SAEX_ERR_LEN];
	saex_safetensors *f = saex_safetensors_open(p, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	ck_assert_str_eq(saex_safetensors_path(f), p);
	st_check_sample(f, 1);
	ck_assert_str_eq(saex_safetensors_meta(f, "format"), "pt");
	ck_assert_str_eq(saex_safetensors_meta(f, "note"), "x");
	ck_assert_ptr_null(saex_safetensors_meta(f, "other"));
	saex_safetensors_close(f);
	saex_safetensors_close(NULL);
}
END_TEST

START_TEST(st_valid_without_metadata_unaligned)
{
	unsigned char d[64];
	size_t n = st_sample_data(d);
	/* the same tensors, no __metadata__, and a header of a length that
	 * leaves the data 4-byte unaligned */
	const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
	                "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
	                "\"c\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]},"
	                "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[40,44]},"
	                "\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[44,44]} }";
	ck_assert_uint_ne((8 + strlen(h)) % 4, 0);
	const char *p = st_write("unaligned.safetensors", h, 0, d, n);
	char err[SAEX_ERR_LEN];
	saex_safetensors *f = saex_safetensors_open(p, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	st_check_sample(f, 0);
	ck_assert_ptr_null(saex_safetensors_meta(f, "format"));
	saex_safetensors_close(f);
	/* an empty header object: no tensors */
	p = st_write("empty.safetensors", "{}", 8, NULL, 0);
	f = saex_safetensors_open(p, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	ck_assert_uint_eq(saex_safetensors_count(f), 0);
	ck_assert_ptr_null(saex_safetensors_find(f, "a"));
	saex_safetensors_close(f);
	/* masks and integer buffers (BOOL, I64: Pythia's attention.bias) are
	 * listed with their bytes, but give no float32 view */
	p = st_write("other.safetensors",
	             "{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[0,4]},"
	             "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]}}", 8, d, 24);
	f = saex_safetensors_open(p, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	const saex_tensor *m = saex_safetensors_find(f, "mask"), *ids = saex_safetensors_find(f, "ids");
	ck_assert(m && ids);
	ck_assert_int_eq(m->dtype, SAEX_OTHER);
	ck_assert_uint_eq(m->nbytes, 4);
	ck_assert_int_eq(ids->dtype, SAEX_OTHER);
	ck_assert_uint_eq(ids->nbytes, 16);
	ck_assert_str_eq(saex_dtype_name(ids->dtype), "other");
	float *none;
	ck_assert_ptr_null(saex_tensor_f32(ids, &none));
	ck_assert_ptr_null(none);
	saex_safetensors_close(f);
	/* holes between tensors are allowed; unknown keys in an entry ignored */
	p = st_write("holes.safetensors",
	             "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8],\"extra\":1}}", 8, d, 8);
	f = saex_safetensors_open(p, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	saex_safetensors_close(f);
}
END_TEST

/* A larger F32 tensor written as PyTorch's writer does (header padded to 8
 * bytes), mapped without a copy. */
START_TEST(st_big_zero_copy)
{
	enum { R = 300, C = 257 };
	float *d = malloc(R * C * sizeof *d);
	for (int i = 0; i < R * C; i++)
		d[i] = (float)i * 0.5f - 7;
	char h[256];
	snprintf(h, sizeof h, "{\"transformer.wte.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
	         "\"data_offsets\":[0,%d]}}", R, C, R * C * 4);
	const char *p = st_write("big.safetensors", h, 8, d, R * C * sizeof *d);
	char err[SAEX_ERR_LEN];
	saex_safetensors *f = saex_safetensors_open(p, err, sizeof err);
	ck_assert_msg(f != NULL, "%s", err);
	const saex_tensor *t = saex_safetensors_find(f, "transformer.wte.weight");
	float *owned;
	const float *v = saex_tensor_f32(t, &owned);
	ck_assert_ptr_null(owned);
	ck_assert_int_eq(memcmp(v, d, R * C * sizeof *d), 0);
	saex_safetensors_close(f);
	free(d);
}
END_TEST

START_TEST(st_bad_header)
{
	unsigned char d[64] = {0};
	/* shorter than the length field, and empty */
	const char *p = tu_path("short.safetensors");
	tu_write(p, "abc", 3, 0);
	st_bad(p, (const char *[]){p, "too short", NULL});
	p = tu_path("zero.safetensors");
	tu_write(p, "", 0, 0);
	st_bad(p, (const char *[]){p, "too short", NULL});
	/* header length past the end */
	unsigned char buf[40] = {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, '{', '}'};
	p = tu_path("hlen.safetensors");
	tu_write(p, buf, 10, 0);
	st_bad(p, (const char *[]){p, "header length 255 runs past the end of the file (10 bytes)", NULL});
	/* a header length of 2^64-1 does not wrap */
	memset(buf, 0xff, 8);
	p = tu_path("hlen2.safetensors");
	tu_write(p, buf, 12, 0);
	st_bad(p, (const char *[]){p, "runs past the end", NULL});
	memset(buf, 0, 8);
	p = tu_path("hlen0.safetensors");
	tu_write(p, buf, 12, 0);
	st_bad(p, (const char *[]){p, "empty header", NULL});
	/* not JSON, truncated JSON, JSON that is not an object */
	p = st_write("notjson.safetensors", "not json at all", 8, d, 0);
	st_bad(p, (const char *[]){p, "header is not valid JSON", NULL});
	p = st_write("cutjson.safetensors", "{\"a\":{\"dtype\":\"F32\"", 8, d, 0);
	st_bad(p, (const char *[]){p, "header is not valid JSON", NULL});
	p = st_write("array.safetensors", "[1,2,3]", 8, d, 0);
	st_bad(p, (const char *[]){p, "header is not a JSON object", NULL});
	p = st_write("dup.safetensors",
	             "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	             "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, d, 8);
	st_bad(p, (const char *[]){p, "duplicate", NULL});
	/* a NUL inside the header */
	p = tu_path("nul.safetensors");
	unsigned char nul[16] = {6, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0, ' ', ' ', ' '};
	tu_write(p, nul, 14, 0);
	st_bad(p, (const char *[]){p, "not valid JSON", NULL});
	/* metadata that is not a string map */
	p = st_write("meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 8, d, 0);
	st_bad(p, (const char *[]){p, "__metadata__ 'k' is not a string", NULL});
	p = st_write("meta2.safetensors", "{\"__metadata__\":[\"k\"]}", 8, d, 0);
	st_bad(p, (const char *[]){p, "__metadata__ is not a JSON object", NULL});
	/* a folder and a file that is not there */
	st_bad(tu_tmpdir(), (const char *[]){tu_tmpdir(), "folder", NULL});
	p = tu_path("absent.safetensors");
	st_bad(p, (const char *[]){p, "No such file", NULL});
}
END_TEST

START_TEST(st_bad_tensors)
{
	unsigned char d[256] = {0};
	const char *p;
	/* truncated data: the last tensor's bytes are cut off */
	p = st_write("trunc.safetensors",
	             "{\"h.0.attn.c_attn.weight\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,64]}}",
	             8, d, 40);
	st_bad(p, (const char *[]){p, "tensor 'h.0.attn.c_attn.weight'",
	                           "data_offsets [0, 64] run past the end of the data (40 bytes", NULL});
	/* out-of-range offsets, and an end before the begin */
	p = st_write("range.safetensors",
	             "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[100,104]}}", 8, d, 16);
	st_bad(p, (const char *[]){p, "tensor 'w'", "[100, 104] run past the end", NULL});
	p = st_write("backwards.safetensors",
	             "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8, d, 16);
	st_bad(p, (const char *[]){p, "tensor 'w'", "end before they begin", NULL});
	p = st_write("negoff.safetensors",
	             "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8, d, 16);
	st_bad(p, (const char *[]){p, "tensor 'w'", "data_offsets", NULL});
	p = st_write("offform.safetensors",
	             "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8, d, 16);
	st_bad(p, (const char *[]){p, "tensor 'w'", "data_offsets is not [begin, end]", NULL});
	p = st_write("nooff.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 8, d, 16);
	st_bad(p, (const char *[]){p, "tensor 'w'", "no data_offsets", NULL});
	/* wrong byte count */
	p = st_write("count.safetensors",
	             "{\"h.0.attn.c_attn.weight\":{\"dtype\":\"F32\",\"shape\":[768,2304],\"data_offsets\":[0,100]}}",
	             8, d, 100);
	st_bad(p, (const char *[]){p, "tensor 'h.0.attn.c_attn.weight': data_offsets [0, 100] hold 100 bytes "
	                              "but shape [768, 2304] F32 needs 7077888", NULL});
	p = st_write("count16.safetensors",
	             "{\"x\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,12]}}", 8, d, 12);
	st_bad(p, (const char *[]){p, "tensor 'x'", "hold 12 bytes but shape [3] BF16 needs 6", NULL});
	/* overlapping tensors, in either order in the header */
	p = st_write("overlap.safetensors",
	             "{\"first\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
	             "\"second\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[12,28]}}", 8, d, 28);
	st_bad(p, (const char *[]){p, "tensor 'second'", "overlap tensor 'first' [0, 16]", NULL});
	p = st_write("overlap2.safetensors",
	             "{\"inner\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[20,24]},"
	             "\"outer\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", 8, d, 32);
	st_bad(p, (const char *[]){p, "tensor 'inner'", "overlap tensor 'outer'", NULL});
	p = st_write("same.safetensors",
	             "{\"p\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
	             "\"q\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, d, 4);
	st_bad(p, (const char *[]){p, "overlap", NULL});
	/* unknown and missing dtypes; a size that does not match the dtype's */
	p = st_write("dtype.safetensors",
	             "{\"ids\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8, d, 16);
	st_bad(p, (const char *[]){p, "tensor 'ids'", "dtype Q4_K is not supported", NULL});
	p = st_write("dtype2.safetensors",
	             "{\"x\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, d, 8);
	st_bad(p, (const char *[]){p, "tensor 'x'", "hold 8 bytes but shape [2] I64 needs 16", NULL});
	p = st_write("nodtype.safetensors", "{\"x\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, d, 8);
	st_bad(p, (const char *[]){p, "tensor 'x'", "no dtype", NULL});
	p = st_write("dtypenum.safetensors", "{\"x\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, d, 8);
	st_bad(p, (const char *[]){p, "tensor 'x'", "dtype is not a string", NULL});
	/* shapes: overflow, negative, not integers, too many dimensions */
	p = st_write("overflow.safetensors",
	             "{\"huge\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}",
	             8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'huge'", "shape [4294967296, 4294967296] F32 is too large", NULL});
	p = st_write("overflow2.safetensors",
	             "{\"huge\":{\"dtype\":\"F16\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}",
	             8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'huge'", "too large", NULL});
	/* 2^62 * 2 bytes: the element count fits, the byte count does not */
	p = st_write("overflow3.safetensors",
	             "{\"huge\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,4]}}",
	             8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'huge'", "too large", NULL});
	p = st_write("neg.safetensors",
	             "{\"n\":{\"dtype\":\"F32\",\"shape\":[3,-2],\"data_offsets\":[0,24]}}", 8, d, 24);
	st_bad(p, (const char *[]){p, "tensor 'n'", "shape [3, -2] has a negative dimension", NULL});
	p = st_write("float.safetensors",
	             "{\"n\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'n'", "shape is not a list of integers", NULL});
	p = st_write("dims.safetensors",
	             "{\"n\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'n'", "9 dimensions", NULL});
	p = st_write("noshape.safetensors", "{\"n\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'n'", "no shape", NULL});
	p = st_write("entry.safetensors", "{\"n\":[1,2]}", 8, d, 4);
	st_bad(p, (const char *[]){p, "tensor 'n'", "not a JSON object", NULL});
}
END_TEST

/* Every truncation and many corruptions of a valid file: an error or a
 * valid open, never a crash or a read outside the file (run under ASan and
 * valgrind). */
START_TEST(st_damage_never_crashes)
{
	unsigned char d[64];
	size_t n = st_sample_data(d);
	const char *good = st_write("good.safetensors", st_sample_header, 8, d, n);
	size_t len;
	char *whole = tu_read(good, &len);
	const char *p = tu_path("damaged.safetensors");
	char err[SAEX_ERR_LEN];
	for (size_t cut = 0; cut < len; cut++) {
		tu_write(p, whole, cut, 0);
		saex_safetensors *f = saex_safetensors_open(p, err, sizeof err);
		ck_assert_msg(f == NULL, "truncated to %zu bytes opened", cut);
		ck_assert_ptr_nonnull(strstr(err, p));
	}
	uint32_t seed = 12345;
	for (int round = 0; round < 3000; round++) {
		char *m = xmalloc(len);
		memcpy(m, whole, len);
		for (int k = 0; k < 1 + round % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			m[at] = (char)(seed >> 16);
		}
		tu_write(p, m, len, 0);
		saex_safetensors *f = saex_safetensors_open(p, err, sizeof err);
		if (f) {
			for (size_t i = 0; i < saex_safetensors_count(f); i++) {
				const saex_tensor *t = saex_safetensors_tensor(f, i);
				float *owned;
				const float *v = saex_tensor_f32(t, &owned);
				volatile float sum = 0;
				for (uint64_t j = 0; j < t->numel; j++)
					sum += v[j];
				free(owned);
			}
			saex_safetensors_close(f);
		}
		free(m);
	}
	free(whole);
}
END_TEST

/* ---------------------------------------------------------------- .npy */

static void npy_bad(const char *path, const char *const *want)
{
	char err[SAEX_ERR_LEN] = "";
	saex_npy a;
	ck_assert_msg(saex_npy_read(path, &a, err, sizeof err) == -1, "%s read", path);
	ck_assert_ptr_null(a.data);
	for (const char *const *w = want; *w; w++)
		ck_assert_msg(strstr(err, *w), "message '%s' lacks '%s'", err, *w);
}

/* Writes a .npy with the given version, header text and data. */
static const char *npy_raw(const char *name, int major, const char *hdr, const void *data, size_t n)
{
	sb b = {0};
	sb_add(&b, "\x93NUMPY", 6);
	sb_addc(&b, (char)major);
	sb_addc(&b, 0);
	size_t h = strlen(hdr);
	unsigned char len[4] = {(unsigned char)h, (unsigned char)(h >> 8), (unsigned char)(h >> 16),
	                        (unsigned char)(h >> 24)};
	sb_add(&b, len, major == 1 ? 2 : 4);
	sb_add(&b, hdr, h);
	sb_add(&b, data, n);
	const char *p = tu_path(name);
	tu_write(p, b.p, b.n, 0);
	sb_free(&b);
	return p;
}

/* Fuzz finding (fuzz_npy): with 'shape' given twice the second, shorter
 * tuple won but the extra dims of the first stayed in shape[ndim..], so
 * the array did not write back as read. The last shape counts, alone. */
START_TEST(npy_shape_twice)
{
	char err[SAEX_ERR_LEN];
	const uint16_t h[6] = {0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600}; /* 1..6 as F16 */
	const char *p = npy_raw("twice.npy", 3,
	                        "{ 'shape' : (1, 1, 1, 1, 3) , 'descr' : '<f2', "
	                        "'fortran_order': False, 'shape': (6,), }          \n", h, sizeof h);
	saex_npy a;
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(a.ndim, 1);
	ck_assert_int_eq(a.shape[0], 6);
	for (int i = 1; i < SAEX_MAX_DIMS; i++)
		ck_assert_int_eq(a.shape[i], 0);
	ck_assert_uint_eq(a.numel, 6);
	ck_assert_float_eq(a.data[5], 6.0f);
	saex_npy_free(&a);
}
END_TEST

START_TEST(npy_roundtrip)
{
	float m[3][5];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++)
			m[i][j] = (float)(i * 10 + j) - 0.125f;
	m[2][4] = NAN;
	m[0][0] = -0.0f;
	char err[SAEX_ERR_LEN];
	const char *p = tu_path("m.npy");
	ck_assert_int_eq(saex_npy_write(p, &m[0][0], 2, (int64_t[]){3, 5}, err, sizeof err), 0);
	size_t len;
	char *raw = tu_read(p, &len);
	ck_assert_int_eq(memcmp(raw, "\x93NUMPY\x01\x00", 8), 0);
	size_t hl = (unsigned char)raw[8] | ((unsigned char)raw[9] << 8);
	ck_assert_uint_eq((10 + hl) % 64, 0);
	ck_assert_uint_eq(len, 10 + hl + sizeof m);
	ck_assert_int_eq(raw[10 + hl - 1], '\n');
	ck_assert_ptr_nonnull(strstr(raw + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }"));
	free(raw);
	saex_npy a;
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(a.ndim, 2);
	ck_assert_int_eq(a.shape[0], 3);
	ck_assert_int_eq(a.shape[1], 5);
	ck_assert_uint_eq(a.numel, 15);
	ck_assert_int_eq(memcmp(a.data, m, sizeof m), 0); /* bit-exact: NaN, -0 */
	saex_npy_free(&a);
	ck_assert_ptr_null(a.data);
	/* 1-D is written (n,) */
	float v[7] = {1, 2, 3, 4, 5, 6, 7};
	p = tu_path("v.npy");
	ck_assert_int_eq(saex_npy_write(p, v, 1, (int64_t[]){7}, err, sizeof err), 0);
	raw = tu_read(p, &len);
	ck_assert_ptr_nonnull(strstr(raw + 10, "'shape': (7,), }"));
	free(raw);
	ck_assert_int_eq(saex_npy_read(p, &a, err, sizeof err), 0);
	ck_assert_int_eq(a.ndim, 1);
	ck_assert_int_eq(a.shape[0], 7);
	ck_assert_int_eq(memcmp(a.data, v, sizeof v), 0);
	saex_npy_free(&a);
	/* an empty [0, 768] array */
	p = tu_path("e.npy");
	ck_assert_int_eq(saex_npy_write(p, v, 2, (int64_t[]){0, 768}, err, sizeof err), 0);
	ck_assert_int_eq(saex_npy_read(p, &a, err, sizeof err), 0);
	ck_assert_int_eq(a.ndim, 2);
	ck_assert_uint_eq(a.numel, 0);
	saex_npy_free(&a);
	/* a file that cannot be created */
	ck_assert_int_eq(saex_npy_write(tu_path("no/such/dir/x.npy"), v, 1, (int64_t[]){7}, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no/such/dir/x.npy"));
	ck_assert_int_eq(saex_npy_write(tu_path("neg.npy"), v, 1, (int64_t[]){-1}, err, sizeof err), -1);
}
END_TEST

START_TEST(npy_headers)
{
	float v[6] = {1, 2, 3, 4, 5, 6};
	char err[SAEX_ERR_LEN];
	saex_npy a;
	/* odd spacing and key order, double quotes, no trailing comma */
	const char *p = npy_raw("sp.npy", 1, "{ \"shape\" :( 2 ,3 ) ,'fortran_order':False,\t'descr':'<f4'}\n", v, 24);
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(a.ndim, 2);
	ck_assert_int_eq(a.shape[1], 3);
	ck_assert(a.data[5] == 6);
	saex_npy_free(&a);
	/* version 2.0 and 3.0 headers, Python 2 longs */
	p = npy_raw("v2.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (6L,), }         \n", v, 24);
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(a.ndim, 1);
	ck_assert_int_eq(a.shape[0], 6);
	saex_npy_free(&a);
	p = npy_raw("v3.npy", 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }\n", v, 24);
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	saex_npy_free(&a);
	/* a scalar */
	p = npy_raw("scalar.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", v, 4);
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(a.ndim, 0);
	ck_assert_uint_eq(a.numel, 1);
	ck_assert(a.data[0] == 1);
	saex_npy_free(&a);
	/* float16 is converted */
	uint16_t h[3] = {saex_f32_to_f16(0.5f), saex_f32_to_f16(-1), saex_f32_to_f16(2048)};
	p = npy_raw("half.npy", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }\n", h, 6);
	ck_assert_msg(saex_npy_read(p, &a, err, sizeof err) == 0, "%s", err);
	ck_assert(a.data[0] == 0.5f && a.data[1] == -1 && a.data[2] == 2048);
	saex_npy_free(&a);
}
END_TEST

START_TEST(npy_bad_files)
{
	float v[8] = {0};
	const char *p;
	p = npy_raw("fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", v, 24);
	npy_bad(p, (const char *[]){p, "Fortran order", NULL});
	p = npy_raw("f8.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", v, 16);
	npy_bad(p, (const char *[]){p, "dtype '<f8' is not supported", NULL});
	p = npy_raw("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "big-endian", NULL});
	p = npy_raw("struct.npy", 1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "structured", NULL});
	p = npy_raw("short.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", v, 20);
	npy_bad(p, (const char *[]){p, "holds 20 bytes of data but shape [2, 3] <f4 needs 24", "truncated", NULL});
	p = npy_raw("long.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", v, 12);
	npy_bad(p, (const char *[]){p, "holds 12 bytes of data but shape [2] <f4 needs 8", NULL});
	p = npy_raw("nokey.npy", 1, "{'descr': '<f4', 'shape': (2,), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "must all be given", NULL});
	p = npy_raw("extra.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", v, 8);
	npy_bad(p, (const char *[]){p, "unknown key 'x'", NULL});
	p = npy_raw("list.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }\n", v, 8);
	npy_bad(p, (const char *[]){p, "shape is not a tuple", NULL});
	p = npy_raw("negdim.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "non-negative integers", NULL});
	p = npy_raw("bool.npy", 1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "fortran_order", NULL});
	p = npy_raw("dims.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }\n", v, 4);
	npy_bad(p, (const char *[]){p, "more than 8 dimensions", NULL});
	p = npy_raw("huge.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "too large", NULL});
	p = npy_raw("huge2.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", v, 8);
	npy_bad(p, (const char *[]){p, "too large", NULL});
	p = npy_raw("open.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", v, 8);
	npy_bad(p, (const char *[]){p, "bad .npy header", NULL});
	p = npy_raw("after.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", v, 8);
	npy_bad(p, (const char *[]){p, "text after the dict", NULL});
	p = npy_raw("v9.npy", 9, "{}", v, 0);
	npy_bad(p, (const char *[]){p, "version 9.0", NULL});
	p = tu_path("magic.npy");
	tu_write(p, "PK\x03\x04 this is a zip", 19, 0);
	npy_bad(p, (const char *[]){p, "not a .npy file", NULL});
	p = tu_path("hlen.npy");
	tu_write(p, "\x93NUMPY\x01\x00\xff\x00{}", 12, 0);
	npy_bad(p, (const char *[]){p, "header length 255 runs past the end", NULL});
	p = tu_path("cut.npy");
	tu_write(p, "\x93NUMPY\x02\x00\x01", 9, 0);
	npy_bad(p, (const char *[]){p, NULL});
	npy_bad(tu_path("absent.npy"), (const char *[]){"absent.npy", "No such file", NULL});
	npy_bad(tu_tmpdir(), (const char *[]){"is a folder, not a file", NULL});
}
END_TEST

/* numpy itself, when some python3 has it: files it writes read here, and
 * files written here load there. */
START_TEST(npy_numpy_interop)
{
	FILE *f = popen("for p in python3 /usr/bin/python3; do $p -c 'import numpy' 2>/dev/null && "
	                "{ echo $p; break; }; done", "r");
	char py[256] = "";
	if (!f || !fgets(py, sizeof py, f) || !py[0]) {
		if (f)
			pclose(f);
		fprintf(stderr, "# numpy not found: skipping the numpy interoperability check\n");
		return;
	}
	pclose(f);
	py[strcspn(py, "\n")] = 0;
	char err[SAEX_ERR_LEN];
	float m[2][3] = {{1, 2, 3}, {4, 5.5f, -6}};
	ck_assert_int_eq(saex_npy_write(tu_path("ours.npy"), &m[0][0], 2, (int64_t[]){2, 3}, err, sizeof err), 0);
	char *cmd = xasprintf(
		"cd '%s' && %s -c \"\n"
		"import numpy as np\n"
		"a = np.load('ours.npy'); assert a.dtype == np.float32 and a.shape == (2, 3), a\n"
		"assert (a == np.array([[1, 2, 3], [4, 5.5, -6]], np.float32)).all()\n"
		"x = np.arange(12, dtype=np.float32).reshape(3, 4) / 4\n"
		"np.save('theirs.npy', x)\n"
		"np.save('half.npy', x.astype(np.float16))\n"
		"np.save('fortran.npy', np.asfortranarray(x))\n"
		"with open('v2.npy', 'wb') as f: np.lib.format.write_array(f, x, version=(2, 0))\n"
		"\"", tu_tmpdir(), py);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	const char *names[] = {"theirs.npy", "half.npy", "v2.npy"};
	for (int k = 0; k < 3; k++) {
		saex_npy a;
		ck_assert_msg(saex_npy_read(tu_path(names[k]), &a, err, sizeof err) == 0, "%s", err);
		ck_assert_int_eq(a.ndim, 2);
		ck_assert_int_eq(a.shape[0], 3);
		ck_assert_int_eq(a.shape[1], 4);
		for (int i = 0; i < 12; i++)
			ck_assert(a.data[i] == (float)i / 4);
		saex_npy_free(&a);
	}
	npy_bad(tu_path("fortran.npy"), (const char *[]){"Fortran order", NULL});
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tensor");
	TCase *tc = tcase_create("tensor");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, st_valid_with_metadata);
	tcase_add_test(tc, st_valid_without_metadata_unaligned);
	tcase_add_test(tc, st_big_zero_copy);
	tcase_add_test(tc, st_bad_header);
	tcase_add_test(tc, st_bad_tensors);
	tcase_add_test(tc, st_damage_never_crashes);
	tcase_add_test(tc, npy_roundtrip);
	tcase_add_test(tc, npy_headers);
	tcase_add_test(tc, npy_bad_files);
	tcase_add_test(tc, npy_numpy_interop);
	tcase_add_test(tc, npy_shape_twice);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
