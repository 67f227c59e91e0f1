/* check_sae.c - SAELens SAEs: the activations, encode/decode with the
 * normalisations and the metrics on hand-computed values. */
#include "config.h"
#include "saex.h"
#include "testutil.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct named {
	const char *name;
	int rows, cols; /* cols 0: a vector */
	const float *v;
} named;

/* Writes DIR/cfg.json (cfg) and DIR/sae_weights.safetensors (the tensors). */
static const char *write_sae(const char *dir, const char *cfg, const named *t, int nt)
{
	const char *d = tu_path(dir);
	char *dd = xasprintf("%s", d);
	tu_mkdirs(dd);
	char *p = xasprintf("%s/cfg.json", dd);
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
	p = xasprintf("%s/sae_weights.safetensors", dd);
	tu_write(p, buf, total, 0);
	free(p);
	free(buf);
	sb_free(&h);
	free(dd);
	return tu_path(dir);
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
	saex_sae_decode(s, f, 1, nm, xh);
	eq(xh, x, 2);
	saex_sae_free(s);

	s = load("cnr"); /* c = sqrt(2)/5: x' = [0.848528, 1.131371], minus b_dec */
	ck_assert_int_eq(saex_sae_encode(s, x, 1, f, nm), 0);
	float c = sqrtf(2) / 5;
	const float wc[4] = {0, 4 * c, 1 - 3 * c, 0};
	eq(f, wc, 4);
	saex_sae_decode(s, f, 1, nm, xh);
	eq(xh, x, 2);
	saex_sae_free(s);

	s = load("ln"); /* x = [3, 5]: mu 4, unbiased sigma sqrt 2 */
	float y[2] = {3, 5};
	ck_assert_int_eq(saex_sae_encode(s, y, 1, f, nm), 0);
	float v = 1 / (sqrtf(2) + 1e-5f);
	const float wl[4] = {0, v, v, 0};
	eq(f, wl, 4);
	saex_sae_decode(s, f, 1, nm, xh);
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

int main(void)
{
	Suite *s = suite_create("sae");
	TCase *tc = tcase_create("sae");
	tcase_set_timeout(tc, 120); /* sanitizer builds and busy machines are slow */
	tcase_add_test(tc, activations);
	tcase_add_test(tc, encode_decode_norms);
	tcase_add_test(tc, metrics);
	tcase_add_test(tc, bad_folders);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
