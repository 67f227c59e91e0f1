/* check_kernels.c - the forward pass's kernels against formulas computed
 * here in double precision: RMS norm, activations and softcaps, rotary
 * embeddings and their scalings, attention (grouped heads, windows,
 * softcaps, one token against a prompt), and products with F32, F16 and
 * BF16 weights in both layouts, including the 2-byte widening of every bit
 * pattern. */
#include "config.h"
#include "testutil.h"
#include "saex.h"
#include "act.h"
#include "attn.h"
#include "rope.h"
#include "wmat.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NEAR(a, b, tol)                                                                                               \
	ck_assert_msg(fabs((double)(a) - (double)(b)) <= (tol), "%.9g != %.9g", (double)(a), (double)(b))

static double rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return (double)(*s >> 11) * 0x1.0p-53 * 2 - 1;
}

START_TEST(rms_norm_values)
{
	/* mean of squares 7.5; eps 0.5 makes the root sqrt 8 */
	const float x[4] = {1, 2, 3, 4}, w[4] = {1, 2, 0.5f, -1};
	float y[4];
	saex_rms_norm(y, x, 4, w, 0.5f);
	for (int i = 0; i < 4; i++)
		NEAR(y[i], x[i] / sqrt(8.0) * w[i], 1e-6);
	saex_rms_norm(y, x, 4, NULL, 0.5f);
	for (int i = 0; i < 4; i++)
		NEAR(y[i], x[i] / sqrt(8.0), 1e-6);
}
END_TEST

static double gelu_erf(double z)
{
	return 0.5 * z * (1 + erf(z / sqrt(2.0)));
}

static double gelu_tanh(double z)
{
	return 0.5 * z * (1 + tanh(sqrt(2 / M_PI) * (z + 0.044715 * z * z * z)));
}

static double silu(double z)
{
	return z / (1 + exp(-z));
}

/* Each activation within 2e-6 relative of its formula over [-4, 4] and 2e-5
 * over [-12, 12] (the rounding of the float32 argument of an exponential
 * grows with it in the tails; plus 1e-12 where the double formula's
 * 1 + tanh cancels to 0), the gated product likewise, softcaps within
 * 3e-7. */
START_TEST(activations)
{
	enum { N = 24001 };
	static float x[N], y[N], g[N];
	double (*ref[3])(double) = {gelu_tanh, gelu_erf, silu};
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < N; i++)
			x[i] = y[i] = g[i] = -12.0f + (float)i * 0.001f;
		act_apply((act_kind)k, y, N);
		for (int i = 0; i < N; i++) {
			double want = ref[k](x[i]), tol = fabs(x[i]) <= 4 ? 2e-6 : 2e-5;
			ck_assert_msg(fabs(y[i] - want) <= tol * fabs(want) + 1e-12, "act %d at %g: %.9g, want %.9g", k,
			              (double)x[i], (double)y[i], want);
		}
		for (int i = 0; i < N; i++)
			y[i] = 0.5f;
		act_gated((act_kind)k, y, g, N);
		for (int i = 0; i < N; i++)
			ck_assert(fabs(y[i] - 0.5 * ref[k](g[i])) <= 2e-5 * fabs(0.5 * ref[k](g[i])) + 1e-12);
	}
	for (int i = 0; i < N; i++)
		y[i] = x[i] * 5;
	act_softcap(y, N, 3.0f);
	for (int i = 0; i < N; i++) {
		double want = 3 * tanh((double)x[i] * 5 / 3);
		ck_assert_msg(fabs(y[i] - want) <= 3e-7 * fabs(want) + 1e-30, "softcap at %g", (double)x[i] * 5);
	}
}
END_TEST

/* Inverse frequencies: base^(-2i/r), linear scaling, and llama3's three
 * regimes (wavelength 2 pi / inv against L0/high = 32 and L0/low = 128). */
START_TEST(rope_frequencies)
{
	float inv[4];
	rope_cfg c = {8, 10000, ROPE_DEFAULT, 1, 1, 1, 1};
	rope_inv(inv, &c);
	const double plain[4] = {1, 0.1, 0.01, 0.001};
	for (int i = 0; i < 4; i++)
		NEAR(inv[i], plain[i], 1e-7 * plain[i]);
	c.kind = ROPE_LINEAR;
	c.factor = 8;
	rope_inv(inv, &c);
	for (int i = 0; i < 4; i++)
		NEAR(inv[i], plain[i] / 8, 1e-7 * plain[i]);
	c = (rope_cfg){8, 10000, ROPE_LLAMA3, 8, 1, 4, 128};
	rope_inv(inv, &c);
	double s = (128 / (2 * M_PI / 0.1) - 1) / 3;
	NEAR(inv[0], 1.0, 1e-7);                              /* 6.28 < 32: kept */
	NEAR(inv[1], (1 - s) * 0.1 / 8 + s * 0.1, 1e-8);       /* 62.8: smoothed */
	NEAR(inv[2], 0.01 / 8, 1e-10);                        /* 628 > 128: / 8 */
	NEAR(inv[3], 0.001 / 8, 1e-11);
	/* rotation at position 3 of the first r = 4 of 6 values */
	float cs[2 * 4], v[6] = {1, 2, 3, 4, 5, 6};
	rope_table(cs, inv, 4, 2, 2);
	rope_apply(v, cs + 4, 4); /* the second row: position 3 */
	double th0 = 3 * (double)inv[0], th1 = 3 * (double)inv[1];
	NEAR(v[0], 1 * cos(th0) - 3 * sin(th0), 1e-6);
	NEAR(v[1], 2 * cos(th1) - 4 * sin(th1), 1e-6);
	NEAR(v[2], 3 * cos(th0) + 1 * sin(th0), 1e-6);
	NEAR(v[3], 4 * cos(th1) + 2 * sin(th1), 1e-6);
	ck_assert(v[4] == 5 && v[5] == 6);
}
END_TEST

/* Attention of 6 rows, 4 heads on 2 key/value heads of 3, a window of 3
 * and a softcap, against a direct double computation; then the last row
 * as one new token over the same keys. */
START_TEST(attention_heads)
{
	enum { T = 6, H = 4, KV = 2, HD = 3, W = 3 };
	float q[T * H * HD], k[T * KV * HD], v[T * KV * HD], z[T * H * HD], z1[H * HD], sc[T * T];
	uint64_t s = 7;
	for (int i = 0; i < T * H * HD; i++)
		q[i] = (float)rnd(&s) * 2;
	for (int i = 0; i < T * KV * HD; i++) {
		k[i] = (float)rnd(&s) * 2;
		v[i] = (float)rnd(&s);
	}
	attn_args a = {q, k, v, z, T, T, 0, H, KV, HD, W, 0.7f, 1.5f};
	ck_assert_uint_le(attn_scratch(&a), T * T);
	attn_heads(&a, 0, H, sc);
	for (int h = 0; h < H; h++) {
		int g = h / (H / KV);
		for (int i = 0; i < T; i++) {
			double p[T], sum = 0, mx = -INFINITY;
			for (int j = 0; j < T; j++) {
				p[j] = -INFINITY;
				if (j > i || j <= i - W)
					continue;
				double d = 0;
				for (int c = 0; c < HD; c++)
					d += (double)q[(i * H + h) * HD + c] * k[(j * KV + g) * HD + c];
				p[j] = 1.5 * tanh(d * 0.7 / 1.5);
				mx = p[j] > mx ? p[j] : mx;
			}
			for (int j = 0; j < T; j++)
				sum += p[j] = p[j] == -INFINITY ? 0 : exp(p[j] - mx);
			for (int c = 0; c < HD; c++) {
				double want = 0;
				for (int j = 0; j < T; j++)
					want += p[j] / sum * v[(j * KV + g) * HD + c];
				NEAR(z[(i * H + h) * HD + c], want, 1e-5);
			}
		}
	}
	attn_args one = {q + (T - 1) * H * HD, k, v, z1, 1, T, T - 1, H, KV, HD, W, 0.7f, 1.5f};
	attn_heads(&one, 0, H, sc);
	for (int i = 0; i < H * HD; i++)
		NEAR(z1[i], z[(T - 1) * H * HD + i], 1e-6);
}
END_TEST

/* Every F16 and BF16 bit pattern widens exactly as saex_f16_to_f32 and
 * saex_bf16_to_f32 say (NaNs as NaNs). */
START_TEST(widen_every_pattern)
{
	static uint16_t h[65536];
	static float out[65536];
	for (int i = 0; i < 65536; i++)
		h[i] = (uint16_t)i;
	for (int bf = 0; bf < 2; bf++) {
		w16_widen(out, h, 65536, bf);
		for (int i = 0; i < 65536; i++) {
			float want = bf ? saex_bf16_to_f32((uint16_t)i) : saex_f16_to_f32((uint16_t)i);
			if (isnan(want))
				ck_assert_msg(isnan(out[i]), "%s %04x", bf ? "BF16" : "F16", i);
			else
				ck_assert_msg(memcmp(&out[i], &want, 4) == 0, "%s %04x: %g, want %g", bf ? "BF16" : "F16", i,
				              (double)out[i], (double)want);
		}
	}
}
END_TEST

/* A product's columns [c0, c1) in every dtype and layout, one row and
 * several, against double sums of the widened weights; columns outside the
 * share untouched. */
static void product_case(saex_dtype dt, int trans, size_t T, size_t in, size_t out, size_t c0, size_t c1)
{
	uint64_t s = 11 + dt * 7 + (uint64_t)trans * 3 + T;
	size_t n = in * out, es = saex_dtype_size(dt);
	unsigned char *raw = malloc(n * es);
	float *wf = malloc(n * sizeof *wf), *x = malloc(T * in * sizeof *x), *b = malloc(out * sizeof *b);
	float *y = malloc(T * out * sizeof *y), *scratch = malloc(WMAT_SCRATCH * sizeof *scratch);
	for (size_t i = 0; i < n; i++) {
		float v = (float)rnd(&s);
		uint16_t u;
		if (dt == SAEX_F32) {
			memcpy(raw + 4 * i, &v, 4);
			wf[i] = v;
			continue;
		}
		if (dt == SAEX_F16) {
			u = saex_f32_to_f16(v);
			wf[i] = saex_f16_to_f32(u);
		} else {
			uint32_t bits;
			memcpy(&bits, &v, 4);
			u = (uint16_t)(bits >> 16);
			wf[i] = saex_bf16_to_f32(u);
		}
		memcpy(raw + 2 * i, &u, 2);
	}
	for (size_t i = 0; i < T * in; i++)
		x[i] = (float)rnd(&s);
	for (size_t i = 0; i < out; i++)
		b[i] = (float)rnd(&s);
	for (size_t i = 0; i < T * out; i++)
		y[i] = -77.0f;
	wmat w = {raw, dt, trans ? out : in, trans ? in : out, trans};
	wmat_cols(y, x, T, &w, b, c0, c1, scratch);
	for (size_t t = 0; t < T; t++)
		for (size_t c = 0; c < out; c++) {
			if (c < c0 || c >= c1) {
				ck_assert(y[t * out + c] == -77.0f);
				continue;
			}
			double want = b[c], mag = fabs(b[c]);
			for (size_t k = 0; k < in; k++) {
				double p = (double)x[t * in + k] * wf[trans ? c * in + k : k * out + c];
				want += p;
				mag += fabs(p);
			}
			ck_assert_msg(fabs(y[t * out + c] - want) <= 1e-5 * mag, "%s trans %d T %zu column %zu: %.8g, want %.8g",
			              saex_dtype_name(dt), trans, T, c, (double)y[t * out + c], want);
		}
	free(raw);
	free(wf);
	free(x);
	free(b);
	free(y);
	free(scratch);
}

START_TEST(products_every_dtype)
{
	const saex_dtype dts[3] = {SAEX_F32, SAEX_F16, SAEX_BF16};
	for (int level = 2; level >= 0; level--) { /* AVX-512, AVX2, portable: where the CPU has them */
		int got = w16_cap(level);
		ck_assert_int_le(got, level);
		for (int d = 0; d < 3; d++)
			for (int trans = 0; trans < 2; trans++) {
				product_case(dts[d], trans, 1, 37, 53, 0, 53);
				product_case(dts[d], trans, 1, 37, 53, 16, 41);
				product_case(dts[d], trans, 1, 8, 9, 0, 9);
				product_case(dts[d], trans, 3, 37, 53, 0, 53);
				product_case(dts[d], trans, 5, 29, 40, 16, 32);
			}
	}
	w16_cap(2);
	/* more outputs than one widened block holds (4,096 of 64 inputs) */
	product_case(SAEX_BF16, 1, 2, 64, 4200, 0, 4200);
	product_case(SAEX_F16, 0, 2, 64, 4200, 100, 4200);
	/* rows longer than one block's inputs (2,048): chunks added up */
	product_case(SAEX_BF16, 1, 3, 4100, 40, 0, 40);
	product_case(SAEX_F16, 0, 2, 2100, 48, 16, 48);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kernels");
	TCase *tc = tcase_create("kernels");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rms_norm_values);
	tcase_add_test(tc, activations);
	tcase_add_test(tc, rope_frequencies);
	tcase_add_test(tc, attention_heads);
	tcase_add_test(tc, widen_every_pattern);
	tcase_add_test(tc, products_every_dtype);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
