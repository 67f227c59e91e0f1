/* check_sae.c - SAEs: the activations, encode/decode with the
 * normalisations and the metrics on hand-computed values; the publishers'
 * layouts (a params.npz whose members sit at odd offsets computes as the
 * same weights aligned do; Llama Scope's fold; sparsify's group max and
 * skip); .npz members in place and inflated; the names of models and SAELens
 * releases in the Hugging Face cache. */
#include "config.h"
#include "saex.h"
#include "testutil.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct named {
	const char *name;
	int rows, cols; /* cols 0: a vector */
	const float *v;
} named;

/* Writes DIR/CFG (the JSON cfg) and DIR/WEIGHTS, a safetensors file of
 * the tensors. */
static const char *write_files(const char *dir, const char *cfg_name, const char *cfg, const char *weights,
                               const named *t, int nt)
{
	const char *d = tu_path(dir);
	char *dd = xasprintf("%s", d);
	tu_mkdirs(dd);
	char *p = xasprintf("%s/%s", dd, cfg_name);
	if (strchr(weights, '/')) { /* a sub-folder for the weights */
		char *sub = xasprintf("%s/%.*s", dd, (int)(strrchr(weights, '/') - weights), weights);
		tu_mkdirs(sub);
		free(sub);
	}
	tu_write(p, cfg, strlen(cfg), 0);
	free(p);
	sb h = {0};
	size_t off = 0;
	sb_addc(&h, '{');
	for (int i = 0; i < nt; i++) {
		size_t n = (size_t)t[i].rows * (size_t)(t[i].cols ? t[i].cols : 1) * 4;
		if (t[i].cols)
			sb_printf(&h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}", i ? "," : "",
			          t[i].name, t[i].rows, t[i].cols, off, off + n);
		else
			sb_printf(&h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}", i ? "," : "",
			          t[i].name, t[i].rows, off, off + n);
		off += n;
	}
	sb_addc(&h, '}');
	while (h.n % 8)
		sb_addc(&h, ' ');
	size_t total = 8 + h.n + off;
	unsigned char *buf = xmalloc(total);
	uint64_t hl = h.n;
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)(hl >> (8 * i));
	memcpy(buf + 8, h.p, h.n);
	size_t o = 8 + h.n;
	for (int i = 0; i < nt; i++) {
		size_t n = (size_t)t[i].rows * (size_t)(t[i].cols ? t[i].cols : 1) * 4;
		memcpy(buf + o, t[i].v, n); /* little-endian hosts */
		o += n;
	}
	p = xasprintf("%s/%s", dd, weights);
	tu_write(p, buf, total, 0);
	free(p);
	free(buf);
	sb_free(&h);
	free(dd);
	return tu_path(dir);
}

/* A SAELens folder: DIR/cfg.json and DIR/sae_weights.safetensors. */
static const char *write_sae(const char *dir, const char *cfg, const named *t, int nt)
{
	return write_files(dir, "cfg.json", cfg, "sae_weights.safetensors", t, nt);
}

static const float W_enc[8] = {1, 0, -1, 0, 0, 1, 0, -1}; /* [2, 4] */
static const float W_dec[8] = {1, 0, 0, 1, -1, 0, 0, -1}; /* [4, 2] = W_enc^T */
static const float zero4[4] = {0}, b_dec[2] = {1, 0}, zero2[2] = {0};

static saex_sae *load(const char *dir)
{
	char err[SAEX_ERR_LEN];
	saex_sae *s = saex_sae_load(tu_path(dir), err, sizeof err);
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

#define eq(got, want, n) eq_at(got, want, n, __LINE__)
static void eq_at(const float *got, const float *want, int n, int line)
{
	for (int i = 0; i < n; i++)
		ck_assert_msg(fabsf(got[i] - want[i]) <= 1e-5f * (1 + fabsf(want[i])), "line %d: [%d] %g, wanted %g", line,
		              i, (double)got[i], (double)want[i]);
}

START_TEST(activations)
{
	const float thr[4] = {0.5f, 0.5f, -1, 1};
	named t[] = {{"W_enc", 2, 4, W_enc}, {"W_dec", 4, 2, W_dec}, {"b_enc", 4, 0, zero4},
	             {"b_dec", 2, 0, zero2}, {"threshold", 4, 0, thr}};
	write_sae("std", "{\"d_in\":2,\"d_sae\":4}", t, 4);
	write_sae("jump", "{\"d_in\":2,\"d_sae\":4,\"architecture\":\"jumprelu\"}", t, 5);
	write_sae("topk", "{\"d_in\":2,\"d_sae\":4,\"architecture\":\"topk\",\"k\":2}", t, 4);
	write_sae("oldtopk", "{\"d_in\":2,\"d_sae\":4,\"activation_fn_str\":\"topk\",\"activation_fn_kwargs\":{\"k\":1}}", t, 4);
	saex_sae *s = load("std");
	float a[4] = {-1, 0, 2, 0.5f}, wa[4] = {0, 0, 2, 0.5f};
	saex_sae_activate(s, a);
	eq(a, wa, 4);
	saex_sae_free(s);

	s = load("jump");
	float b[4] = {0.5f, 0.6f, -0.2f, 1}, wb[4] = {0, 0.6f, 0, 0};
	saex_sae_activate(s, b);
	eq(b, wb, 4);
	saex_sae_free(s);

	s = load("topk");
	ck_assert_int_eq(saex_sae_get_info(s)->arch, SAEX_SAE_TOPK);
	ck_assert_int_eq(saex_sae_get_info(s)->k, 2);
	float c1[4] = {1, 3, 3, -2}, w1[4] = {0, 3, 3, 0};
	float c2[4] = {2, 2, 2, 1}, w2[4] = {2, 2, 0, 0};
	float c3[4] = {-1, -2, -3, -4}, w3[4] = {0, 0, 0, 0};
	float c4[4] = {0.5f, -1, 0.25f, 7}, w4[4] = {0.5f, 0, 0, 7};
	saex_sae_activate(s, c1);
	saex_sae_activate(s, c2);
	saex_sae_activate(s, c3);
	saex_sae_activate(s, c4);
	eq(c1, w1, 4);
	eq(c2, w2, 4);
	eq(c3, w3, 4);
	eq(c4, w4, 4);
	saex_sae_free(s);

	s = load("oldtopk");
	ck_assert_int_eq(saex_sae_get_info(s)->arch, SAEX_SAE_TOPK);
	ck_assert_int_eq(saex_sae_get_info(s)->k, 1);
	float d[4] = {1, 3, 3, -2}, wd[4] = {0, 3, 0, 0};
	saex_sae_activate(s, d);
	eq(d, wd, 4);
	saex_sae_free(s);

	/* gated: g + b_gate > 0 opens the gate; magnitude ReLU(g e^r_mag + b_mag) */
	const float b_gate[4] = {0, -1, 0, 1}, b_mag[4] = {0, 0, -1, 1}, r_mag[4] = {0, (float)M_LN2, 0, 0};
	named g[] = {{"W_enc", 2, 4, W_enc}, {"W_dec", 4, 2, W_dec}, {"b_dec", 2, 0, zero2},
	             {"b_gate", 4, 0, b_gate}, {"b_mag", 4, 0, b_mag}, {"r_mag", 4, 0, r_mag}};
	write_sae("gated", "{\"d_in\":2,\"d_sae\":4,\"architecture\":\"gated\"}", g, 6);
	s = load("gated");
	float e[4] = {1, 1, 0.5f, -0.6f}, we[4] = {1, 0, 0, 0.4f};
	saex_sae_activate(s, e);
	eq(e, we, 4);
	float e2[4] = {1, 1.5f, 0, 0}, we2[4] = {1, 3, 0, 1};
	saex_sae_activate(s, e2);
	eq(e2, we2, 4);
	saex_sae_free(s);
}
END_TEST

START_TEST(encode_decode_norms)
{
	named t[] = {{"W_enc", 2, 4, W_enc}, {"W_dec", 4, 2, W_dec}, {"b_enc", 4, 0, zero4}, {"b_dec", 2, 0, b_dec}};
	write_sae("plain", "{\"d_in\":2,\"d_sae\":4,\"metadata\":{\"hook_name\":\"blocks.7.hook_resid_post\"}}", t, 4);
	write_sae("cnr", "{\"d_in\":2,\"d_sae\":4,\"normalize_activations\":\"constant_norm_rescale\"}", t, 4);
	write_sae("ln", "{\"d_in\":2,\"d_sae\":4,\"normalize_activations\":\"layer_norm\",\"apply_b_dec_to_input\":false}", t, 4);
	float x[2] = {3, 4}, f[4], nm[2], xh[2];
	saex_sae *s = load("plain");
	const saex_sae_info *in = saex_sae_get_info(s);
	ck_assert_str_eq(in->hook_name, "blocks.7.hook_resid_post");
	ck_assert_int_eq(in->layer, 7);
	ck_assert_int_eq(in->apply_b_dec_to_input, 1);
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, nm), 0);
	const float wf[4] = {2, 4, 0, 0};
	eq(f, wf, 4);
	ck_assert_int_eq(saex_sae_decode(s, f, 1, nm, xh), 0);
	eq(xh, x, 2);
	saex_sae_free(s);

	s = load("cnr"); /* c = sqrt(2)/5: x' = [0.848528, 1.131371], minus b_dec */
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, nm), 0);
	float c = sqrtf(2) / 5;
	const float wc[4] = {0, 4 * c, 1 - 3 * c, 0};
	eq(f, wc, 4);
	ck_assert_int_eq(saex_sae_decode(s, f, 1, nm, xh), 0);
	eq(xh, x, 2);
	saex_sae_free(s);

	s = load("ln"); /* x = [3, 5]: mu 4, unbiased sigma sqrt 2 */
	float y[2] = {3, 5};
	ck_assert_int_eq(saex_sae_encode(s, y, 1, f, nm), 0);
	float v = 1 / (sqrtf(2) + 1e-5f);
	const float wl[4] = {0, v, v, 0};
	eq(f, wl, 4);
	ck_assert_int_eq(saex_sae_decode(s, f, 1, nm, xh), 0);
	/* decode: [-v, v] + b_dec [1, 0], then * sigma + mu */
	const float wx[2] = {(1 - v) * sqrtf(2) + 4, v * sqrtf(2) + 4};
	eq(xh, wx, 2);
	saex_sae_free(s);
}
END_TEST

START_TEST(metrics)
{
	const float x[4] = {1, 2, 3, 4}, xh[4] = {1, 2, 3, 5}, f[4] = {1, 0, 1, 1};
	double l0, mse, ev;
	saex_sae_metrics(x, xh, 2, 2, f, 2, &l0, &mse, &ev);
	ck_assert_double_eq_tol(l0, 1.5, 1e-12);
	ck_assert_double_eq_tol(mse, 0.25, 1e-12);
	ck_assert_double_eq_tol(ev, 0.75, 1e-12);
}
END_TEST

START_TEST(bad_folders)
{
	char err[SAEX_ERR_LEN];
	named t[] = {{"W_enc", 2, 4, W_enc}, {"W_dec", 4, 2, W_dec}, {"b_dec", 2, 0, zero2}};
	write_sae("nob", "{\"d_in\":2,\"d_sae\":4}", t, 3);
	ck_assert_ptr_null(saex_sae_load(tu_path("nob"), err, sizeof err));
	ck_assert_msg(strstr(err, "sae_weights.safetensors: tensor 'b_enc' is missing"), "%s", err);
	write_sae("bad", "{\"d_in\":2,\"d_sae\":4,\"architecture\":\"jumprelu\",\"apply_b_dec_to_input\":\"yes\"}", t, 3);
	ck_assert_ptr_null(saex_sae_load(tu_path("bad"), err, sizeof err));
	ck_assert_msg(strstr(err, "cfg.json: 'apply_b_dec_to_input' must be true or false"), "%s", err);
	write_sae("nodin", "{\"d_sae\":4}", t, 3);
	ck_assert_ptr_null(saex_sae_load(tu_path("nodin"), err, sizeof err));
	ck_assert_msg(strstr(err, "cfg.json: 'd_in' is missing"), "%s", err);
	write_sae("fn", "{\"d_in\":2,\"d_sae\":4,\"activation_fn_str\":\"tanh\"}", t, 3);
	ck_assert_ptr_null(saex_sae_load(tu_path("fn"), err, sizeof err));
	ck_assert_msg(strstr(err, "activation_fn_str 'tanh' is not supported"), "%s", err);
	write_sae("bigk", "{\"d_in\":2,\"d_sae\":4,\"architecture\":\"topk\",\"k\":5}", t, 3);
	ck_assert_ptr_null(saex_sae_load(tu_path("bigk"), err, sizeof err));
	ck_assert_msg(strstr(err, "'k' 5 exceeds d_sae 4"), "%s", err);
}
END_TEST

/* ---------------------------------------------------------------- .npz */

/* One .npy array's bytes (version 1.0, '<f4'), header padded to 64. */
static void npy_bytes(sb *o, const char *shape, const float *v, size_t n)
{
	sb h = {0};
	sb_printf(&h, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
	while ((10 + h.n + 1) % 64)
		sb_addc(&h, ' ');
	sb_addc(&h, '\n');
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)h.n, (unsigned char)(h.n >> 8)};
	sb_add(o, pre, 10);
	sb_add(o, h.p, h.n);
	sb_add(o, v, n * sizeof *v); /* little-endian hosts */
	sb_free(&h);
}

static void le(sb *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		sb_addc(o, (char)(v >> (8 * i)));
}

typedef struct zmember {
	const char *name, *shape;
	const float *v;
	size_t n;
	int deflate;
} zmember;

/* A zip of the members, as a minimal writer lays one out: local headers
 * with their data, then the central directory. */
static void write_zip(const char *path, const zmember *m, int nm)
{
	sb z = {0}, cd = {0};
	for (int i = 0; i < nm; i++) {
		sb npy = {0};
		npy_bytes(&npy, m[i].shape, m[i].v, m[i].n);
		uLong crc = crc32(0L, (const Bytef *)npy.p, (uInt)npy.n);
		unsigned char *data = (unsigned char *)npy.p;
		size_t dn = npy.n;
		unsigned char *defl = NULL;
		if (m[i].deflate) { /* raw deflate: zlib's stream without header and trailer */
			uLongf cap = compressBound(npy.n);
			defl = xmalloc(cap);
			ck_assert_int_eq(compress2(defl, &cap, data, npy.n, 9), Z_OK);
			data = defl + 2;
			dn = cap - 6;
		}
		size_t off = z.n, nlen = strlen(m[i].name) + 4;
		le(&z, 0x04034b50, 4), le(&z, 20, 2), le(&z, 0, 2), le(&z, m[i].deflate ? 8 : 0, 2), le(&z, 0, 4);
		le(&z, crc, 4), le(&z, dn, 4), le(&z, npy.n, 4), le(&z, nlen, 2), le(&z, 0, 2);
		sb_printf(&z, "%s.npy", m[i].name);
		sb_add(&z, data, dn);
		le(&cd, 0x02014b50, 4), le(&cd, 20, 2), le(&cd, 20, 2), le(&cd, 0, 2), le(&cd, m[i].deflate ? 8 : 0, 2);
		le(&cd, 0, 4), le(&cd, crc, 4), le(&cd, dn, 4), le(&cd, npy.n, 4), le(&cd, nlen, 2), le(&cd, 0, 2);
		le(&cd, 0, 2), le(&cd, 0, 2), le(&cd, 0, 2), le(&cd, 0, 4), le(&cd, off, 4);
		sb_printf(&cd, "%s.npy", m[i].name);
		free(defl);
		sb_free(&npy);
	}
	size_t cd_off = z.n;
	sb_add(&z, cd.p, cd.n);
	le(&z, 0x06054b50, 4), le(&z, 0, 2), le(&z, 0, 2), le(&z, (uint64_t)nm, 2), le(&z, (uint64_t)nm, 2);
	le(&z, cd.n, 4), le(&z, cd_off, 4), le(&z, 0, 2);
	tu_write(path, z.p, z.n, 0);
	sb_free(&z);
	sb_free(&cd);
}

/* Random-ish weights of a JumpReLU SAE 4 -> 6, deterministic. */
static float wenc[24], wdec[24], benc[6], bdec[4], thr[6];
static void fill_weights(void)
{
	uint32_t r = 12345;
	for (int i = 0; i < 24; i++) {
		r = r * 1664525 + 1013904223;
		wenc[i] = (float)((int)(r >> 9) % 2001 - 1000) / 1000.0f;
		r = r * 1664525 + 1013904223;
		wdec[i] = (float)((int)(r >> 9) % 2001 - 1000) / 1000.0f;
	}
	for (int i = 0; i < 6; i++)
		benc[i] = 0.1f * (float)(i - 2), thr[i] = 0.05f * (float)i;
	for (int i = 0; i < 4; i++)
		bdec[i] = 0.2f * (float)(i - 1);
}

START_TEST(npz_members_in_place_and_inflated)
{
	fill_weights();
	/* an odd-length first name puts the arrays at odd offsets */
	zmember m[] = {{"W_dec", "(6, 4)", wdec, 24, 0}, {"W_enc", "(4, 6)", wenc, 24, 0}, {"b_dec", "(4,)", bdec, 4, 1},
	               {"b_enc", "(6,)", benc, 6, 0}, {"threshold", "(6,)", thr, 6, 1}};
	write_zip(tu_path("m.npz"), m, 5);
	char err[SAEX_ERR_LEN];
	saex_npz *z = saex_npz_open(tu_path("m.npz"), err, sizeof err);
	ck_assert_msg(z != NULL, "%s", err);
	ck_assert_int_eq(saex_npz_count(z), 5);
	int unaligned = 0;
	for (size_t i = 0; i < 5; i++) {
		const saex_tensor *t = saex_npz_tensor(z, i);
		ck_assert_str_eq(t->name, m[i].name);
		ck_assert_int_eq(saex_npz_stored(z, i), !m[i].deflate);
		ck_assert_int_eq(t->numel, m[i].n);
		ck_assert_int_eq(memcmp(t->data, m[i].v, m[i].n * sizeof(float)), 0);
		unaligned += ((uintptr_t)t->data & 3) != 0;
	}
	ck_assert_msg(unaligned > 0, "every member aligned: the test shows nothing of unaligned members");
	const saex_tensor *w = saex_npz_find(z, "W_enc");
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(w->shape[0], 4);
	ck_assert_int_eq(w->shape[1], 6);
	float *owned;
	const float *al = saex_tensor_f32(w, &owned); /* an aligned copy when unaligned */
	ck_assert_int_eq(memcmp(al, wenc, sizeof wenc), 0);
	free(owned);
	ck_assert_ptr_null(saex_npz_find(z, "W_enc.npy"));
	saex_npz_close(z);
}
END_TEST

/* A params.npz in a Gemma Scope repository's layout computes exactly as the
 * same weights in a SAELens folder (jumprelu, b_dec not subtracted): the
 * unaligned members go through the same arithmetic. */
START_TEST(gemma_scope_npz_equals_aligned)
{
	fill_weights();
	zmember m[] = {{"W_dec", "(6, 4)", wdec, 24, 0}, {"W_enc", "(4, 6)", wenc, 24, 0}, {"b_dec", "(4,)", bdec, 4, 0},
	               {"b_enc", "(6,)", benc, 6, 0}, {"threshold", "(6,)", thr, 6, 0}};
	const char *gd = "models--google--gemma-scope-2b-pt-mlp/snapshots/f00d/layer_3/width_6/average_l0_2";
	char *gdir = xasprintf("%s/%s", tu_tmpdir(), gd);
	tu_mkdirs(gdir);
	char *p = xasprintf("%s/params.npz", gdir);
	write_zip(p, m, 5);
	named t[] = {{"W_enc", 4, 6, wenc}, {"W_dec", 6, 4, wdec}, {"b_enc", 6, 0, benc}, {"b_dec", 4, 0, bdec},
	             {"threshold", 6, 0, thr}};
	write_sae("aligned", "{\"d_in\":4,\"d_sae\":6,\"architecture\":\"jumprelu\",\"apply_b_dec_to_input\":false}",
	          t, 5);
	char err[SAEX_ERR_LEN];
	saex_sae *g = saex_sae_load(gdir, err, sizeof err);
	ck_assert_msg(g != NULL, "%s", err);
	saex_sae *a = load("aligned");
	const saex_sae_info *gi = saex_sae_get_info(g);
	ck_assert_int_eq(gi->format, SAEX_FMT_GEMMA_SCOPE);
	ck_assert_str_eq(gi->hook_name, "blocks.3.hook_mlp_out");
	ck_assert_str_eq(gi->model_name, "gemma-2-2b");
	ck_assert_int_eq(gi->zero_copy, 1);
	float x[12] = {0.3f, -1.2f, 2.0f, 0.5f, 1, 1, -1, 0.25f, -0.7f, 0.1f, 0.9f, -2.0f};
	float fg[18], fa[18], rg[12], ra[12], row_g[4], row_a[4];
	ck_assert_int_eq(saex_sae_encode(g, x, 3, fg, NULL), 0);
	ck_assert_int_eq(saex_sae_encode(a, x, 3, fa, NULL), 0);
	ck_assert_int_eq(memcmp(fg, fa, sizeof fg), 0);
	int active = 0;
	for (int i = 0; i < 18; i++)
		active += fg[i] != 0;
	ck_assert_int_gt(active, 2);
	ck_assert_int_eq(saex_sae_decode(g, fg, 3, NULL, rg), 0);
	ck_assert_int_eq(saex_sae_decode(a, fa, 3, NULL, ra), 0);
	eq(rg, ra, 12);
	for (int64_t i = 0; i < 6; i++) {
		ck_assert_int_eq(saex_sae_decoder_row(g, i, row_g), 0);
		ck_assert_int_eq(saex_sae_decoder_row(a, i, row_a), 0);
		ck_assert_int_eq(memcmp(row_g, row_a, sizeof row_g), 0);
	}
	ck_assert_int_eq(saex_sae_decoder_row(g, 6, row_g), -1);
	ck_assert_int_eq(memcmp(saex_sae_threshold(g), thr, sizeof thr), 0);
	saex_sae_free(g);
	saex_sae_free(a);
	free(p);
	free(gdir);
}
END_TEST

/* Llama Scope: d_model 4, dataset norm 4 -> s = sqrt(4)/4 = 0.5. SAELens's
 * fold: pre = (0.5 x) W_enc + b_enc, threshold 0.5 theta, out / 0.5. */
START_TEST(llama_scope_fold)
{
	const float enc[8] = {1, 0, 0, 0, 0, 1, 0, 0};      /* encoder.weight [2, 4] */
	const float dec[8] = {1, 0, 0, 1, 0, 0, 0, 0};      /* decoder.weight [4, 2] */
	const float eb[2] = {0.1f, -0.1f}, db[4] = {1, 2, 3, 4};
	named t[] = {{"encoder.weight", 2, 4, enc}, {"encoder.bias", 2, 0, eb}, {"decoder.weight", 4, 2, dec},
	             {"decoder.bias", 4, 0, db}};
	write_files("Llama3_1-8B-Base-L7R-8x", "hyperparams.json",
	            "{\"d_model\":4,\"d_sae\":2,\"hook_point_in\":\"blocks.7.hook_resid_post\","
	            "\"hook_point_out\":\"blocks.7.hook_resid_post\",\"act_fn\":\"jumprelu\",\"jump_relu_threshold\":0.5,"
	            "\"norm_activation\":\"dataset-wise\",\"dataset_average_activation_norm\":{\"in\":4,\"out\":4}}",
	            "checkpoints/final.safetensors", t, 4);
	saex_sae *s = load("Llama3_1-8B-Base-L7R-8x");
	const saex_sae_info *in = saex_sae_get_info(s);
	ck_assert_int_eq(in->format, SAEX_FMT_LLAMA_SCOPE);
	ck_assert_str_eq(in->model_name, "meta-llama/Llama-3.1-8B");
	ck_assert(in->scale_in == 0.5f);
	ck_assert(saex_sae_threshold(s)[0] == 0.25f && saex_sae_threshold(s)[1] == 0.25f);
	/* x = [1, 0.2, 9, 9]: pre = [0.6, 0.0]; 0.6 > 0.25 kept, 0.0 not */
	float x[4] = {1, 0.2f, 9, 9}, f[2], r[4], row[4];
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, NULL), 0);
	const float wf[2] = {0.6f, 0};
	eq(f, wf, 2);
	/* decode: (f dec^T + b_dec) / 0.5 = ([0.6, 0, 0, 0] + [1, 2, 3, 4]) * 2 */
	ck_assert_int_eq(saex_sae_decode(s, f, 1, NULL, r), 0);
	const float wr[4] = {3.2f, 4, 6, 8};
	eq(r, wr, 4);
	/* the row steering adds: column 1 of decoder.weight / s */
	ck_assert_int_eq(saex_sae_decoder_row(s, 1, row), 0);
	const float wrow[4] = {0, 2, 0, 0};
	eq(row, wrow, 4);
	saex_sae_free(s);
}
END_TEST

/* sparsify: x - b_dec, ReLU, group max over k groups; a transcoder's skip. */
START_TEST(sparsify_groupmax_and_skip)
{
	const float enc[8] = {1, 0, 0, 1, -1, 0, 0, -1}; /* encoder.weight [4, 2] */
	const float eb[4] = {0}, bd[2] = {0.5f, 0}, wd[8] = {1, 0, 0, 1, 1, 1, 2, 0}, sk[4] = {1, 2, 3, 4};
	named t[] = {{"encoder.weight", 4, 2, enc}, {"encoder.bias", 4, 0, eb}, {"W_dec", 4, 2, wd},
	             {"b_dec", 2, 0, bd}, {"W_skip", 2, 2, sk}};
	write_files("sp/layers.2", "cfg.json", "{\"activation\":\"groupmax\",\"num_latents\":4,\"k\":2,\"d_in\":2}",
	            "sae.safetensors", t, 4);
	saex_sae *s = load("sp/layers.2");
	const saex_sae_info *in = saex_sae_get_info(s);
	ck_assert_int_eq(in->arch, SAEX_SAE_GROUPMAX);
	ck_assert_str_eq(in->hook_name, "blocks.2.hook_resid_post");
	ck_assert_int_eq(in->apply_b_dec_to_input, 1);
	/* x = [1.5, 2]: x - b_dec = [1, 2]; pre = [1, 2, -1, -2]; groups {0,1}, {2,3} */
	float x[2] = {1.5f, 2}, f[4];
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, NULL), 0);
	const float wf[4] = {0, 2, 0, 0};
	eq(f, wf, 4);
	saex_sae_free(s);

	write_files("sp/layers.2.mlp", "cfg.json", "{\"activation\":\"topk\",\"num_latents\":4,\"k\":1,\"d_in\":2,"
	            "\"transcode\":true,\"skip_connection\":true}", "sae.safetensors", t, 5);
	s = load("sp/layers.2.mlp");
	in = saex_sae_get_info(s);
	ck_assert_int_eq(in->transcoder, 1);
	ck_assert_str_eq(in->hook_name, "blocks.2.mlp.hook_in");
	ck_assert_str_eq(in->hook_name_out, "blocks.2.hook_mlp_out");
	/* no b_dec subtracted: pre = [1.5, 2, -1.5, -2], top 1: feature 1 = 2 */
	float r[2];
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, NULL), 0);
	const float wt[4] = {0, 2, 0, 0};
	eq(f, wt, 4);
	/* decode 2 * [0, 1] + b_dec = [0.5, 2]; skip x W_skip^T = [1.5 + 4, 4.5 + 8] */
	ck_assert_int_eq(saex_sae_decode(s, f, 1, NULL, r), 0);
	ck_assert_int_eq(saex_sae_skip(s, x, 1, r), 0);
	const float wr[2] = {6, 14.5f};
	eq(r, wr, 2);
	saex_sae_free(s);
}
END_TEST

/* topk with rescale_acts_by_decoder_norm: pre * |W_dec row| ranks, decode
 * divides again. */
START_TEST(topk_rescale)
{
	const float we[4] = {1, 0, 0, 1}, wd[4] = {3, 0, 0, 0.5f}, z[2] = {0};
	named t[] = {{"W_enc", 2, 2, we}, {"W_dec", 2, 2, wd}, {"b_enc", 2, 0, z}, {"b_dec", 2, 0, z}};
	write_sae("rescale", "{\"d_in\":2,\"d_sae\":2,\"architecture\":\"topk\",\"k\":1,"
	          "\"rescale_acts_by_decoder_norm\":true}", t, 4);
	saex_sae *s = load("rescale");
	float x[2] = {1, 4}, f[2], r[2];
	/* pre = [1, 4] * [3, 0.5] = [3, 2]: feature 0 wins though x favours 1 */
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, NULL), 0);
	const float wf[2] = {3, 0};
	eq(f, wf, 2);
	ck_assert_int_eq(saex_sae_decode(s, f, 1, NULL, r), 0);
	const float wr[2] = {3, 0}; /* 3 / 3 * [3, 0] */
	eq(r, wr, 2);
	saex_sae_free(s);
}
END_TEST

START_TEST(hf_names)
{
	char repo[256], folder[256];
	ck_assert_int_eq(saex_hf_model_repo("gpt2-small", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "openai-community/gpt2");
	ck_assert_int_eq(saex_hf_model_repo("gemma-2-2b", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "google/gemma-2-2b");
	ck_assert_int_eq(saex_hf_model_repo("gemma-3-1b", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "google/gemma-3-1b-pt");
	ck_assert_int_eq(saex_hf_model_repo("llama3.1-8b", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "meta-llama/Llama-3.1-8B");
	ck_assert_int_eq(saex_hf_model_repo("qwen3-4b", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "Qwen/Qwen3-4B");
	ck_assert_int_eq(saex_hf_model_repo("pythia-70m-deduped", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "EleutherAI/pythia-70m-deduped");
	ck_assert_int_eq(saex_hf_model_repo("meta-llama/Llama-3.1-8B", repo, sizeof repo), 0);
	ck_assert_str_eq(repo, "meta-llama/Llama-3.1-8B");
	ck_assert_int_eq(saex_hf_model_repo("my-own-model", repo, sizeof repo), -1);
	ck_assert_int_eq(saex_hf_saelens_location("gemma-scope-2b-pt-res-canonical", "layer_20/width_16k/canonical", repo,
	                                          sizeof repo, folder, sizeof folder), 0);
	ck_assert_str_eq(repo, "google/gemma-scope-2b-pt-res");
	ck_assert_str_eq(folder, "layer_20/width_16k/canonical");
	ck_assert_int_eq(saex_hf_saelens_location("llama_scope_lxr_8x", "l15r_8x", repo, sizeof repo, folder,
	                                          sizeof folder), 0);
	ck_assert_str_eq(repo, "fnlp/Llama3_1-8B-Base-LXR-8x");
	ck_assert_str_eq(folder, "Llama3_1-8B-Base-L15R-8x");
	ck_assert_int_eq(saex_hf_saelens_location("llama_scope_lxm_32x", "l3a_32x", repo, sizeof repo, folder,
	                                          sizeof folder), -1);
	ck_assert_int_eq(saex_hf_saelens_location("some-release", "x", repo, sizeof repo, folder, sizeof folder), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sae");
	TCase *tc = tcase_create("sae");
	tcase_set_timeout(tc, 120); /* sanitizer builds and busy machines are slow */
	tcase_add_test(tc, activations);
	tcase_add_test(tc, encode_decode_norms);
	tcase_add_test(tc, metrics);
	tcase_add_test(tc, bad_folders);
	tcase_add_test(tc, npz_members_in_place_and_inflated);
	tcase_add_test(tc, gemma_scope_npz_equals_aligned);
	tcase_add_test(tc, llama_scope_fold);
	tcase_add_test(tc, sparsify_groupmax_and_skip);
	tcase_add_test(tc, topk_rescale);
	tcase_add_test(tc, hf_names);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
