/* check_model.c - the forward pass's numerics against hand-computed values,
 * hook names, and hooks that change the run (on a tiny model written here). */
#include "config.h"
#include "testutil.h"
#include "saex.h"
#include "util.h"
#include "team.h"
#include "vmath.h"

#include <cblas.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEAR(a, b, tol) ck_assert_msg(fabs((double)(a) - (double)(b)) <= (tol), "%.9g != %.9g", (double)(a), (double)(b))

START_TEST(layer_norm_values)
{
	/* mean 2.5, biased variance 1.25; eps 0.75 makes the denominator sqrt 2 */
	const float x[4] = {1, 2, 3, 4}, w[4] = {2, 2, 2, 2}, b[4] = {1, 1, 1, 1};
	const float one[4] = {1, 1, 1, 1}, zero[4] = {0};
	float y[4];
	saex_layer_norm(y, x, 4, w, b, 0.75f);
	const double want[4] = {-1.1213203435596424, 0.29289321881345254, 1.7071067811865475, 3.1213203435596424};
	for (int i = 0; i < 4; i++)
		NEAR(y[i], want[i], 1e-6);
	saex_layer_norm(y, x, 4, one, zero, 0.0f);
	const double want0[4] = {-1.3416407864998738, -0.4472135954999579, 0.4472135954999579, 1.3416407864998738};
	for (int i = 0; i < 4; i++)
		NEAR(y[i], want0[i], 1e-6);
	/* in place, and a constant row gives the bias */
	float c[4] = {7, 7, 7, 7};
	saex_layer_norm(c, c, 4, w, b, 1e-5f);
	for (int i = 0; i < 4; i++)
		NEAR(c[i], 1.0, 1e-6);
}
END_TEST

START_TEST(gelu_new_values)
{
	/* with the far tails, where exp overflows or vanishes */
	float x[8] = {0, 1, -1, 2, -3, 0.5f, -60, 60};
	const double want[8] = {0, 0.8411919906082768, -0.15880800939172324, 1.954597694087775,
	                        -0.0036373920817729943, 0.34571400982514394, 0, 60};
	saex_gelu_new(x, 8);
	for (int i = 0; i < 8; i++)
		NEAR(x[i], want[i], 1e-6);
}
END_TEST

START_TEST(softmax_values)
{
	float x[4] = {0, (float)log(2.0), -INFINITY, (float)log(5.0)};
	saex_softmax(x, 4);
	NEAR(x[0], 1.0 / 8, 1e-7);
	NEAR(x[1], 2.0 / 8, 1e-7);
	ck_assert(x[2] == 0.0f);
	NEAR(x[3], 5.0 / 8, 1e-7);
	float big[2] = {1000, 1000};
	saex_softmax(big, 2);
	NEAR(big[0], 0.5, 1e-7);
	NEAR(big[1], 0.5, 1e-7);
	float none[2] = {-INFINITY, -INFINITY};
	saex_softmax(none, 2);
	ck_assert(none[0] == 0.0f && none[1] == 0.0f);
}
END_TEST

START_TEST(hook_names)
{
	int l;
	saex_hook_kind k;
	ck_assert_int_eq(saex_hook_parse("blocks.12.attn.hook_z", &l, &k), 0);
	ck_assert_int_eq(l, 12);
	ck_assert_int_eq(k, SAEX_HOOK_Z);
	ck_assert_int_eq(saex_hook_parse("blocks.0.hook_resid_pre", &l, &k), 0);
	ck_assert_int_eq(k, SAEX_HOOK_RESID_PRE);
	ck_assert_int_eq(saex_hook_parse("blocks.3.mlp.hook_post", &l, &k), 0);
	ck_assert_int_eq(k, SAEX_HOOK_MLP_POST);
	ck_assert_int_eq(saex_hook_parse("blocks.3.hook_resid_post", &l, &k), 0);
	ck_assert_int_eq(k, SAEX_HOOK_RESID_POST);
	ck_assert_int_eq(saex_hook_parse("hook_embed", &l, &k), 0);
	ck_assert_int_eq(l, 0);
	ck_assert_int_eq(k, SAEX_HOOK_EMBED);
	ck_assert_int_eq(saex_hook_parse("blocks.2.ln1.hook_normalized", &l, &k), 0);
	ck_assert_int_eq(k, SAEX_HOOK_LN1_NORMALIZED);
	ck_assert_int_eq(saex_hook_parse("blocks.2.ln2.hook_normalized", &l, &k), 0);
	ck_assert_int_eq(k, SAEX_HOOK_LN2_NORMALIZED);
	ck_assert_int_eq(saex_hook_parse("blocks.2.mlp.hook_in", &l, &k), 0);
	ck_assert_int_eq(k, SAEX_HOOK_MLP_IN);
	const char *bad[] = {"blocks.01.hook_resid_pre", "blocks.-1.hook_resid_pre", "blocks..hook_resid_pre",
	                     "blocks.1.hook_resid_pre.x", "blocks.1.hook_z", "block.1.hook_resid_pre",
	                     "blocks.1", "", "blocks.99999999999.hook_resid_pre", "blocks.0.hook_embed",
	                     "blocks.1.(null)", "blocks.1.ln3.hook_normalized", "hook_embed.x"};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(bad); i++)
		ck_assert_msg(saex_hook_parse(bad[i], &l, &k) == -1, "'%s' parsed", bad[i]);
}
END_TEST

/* ---------------------------------------------------------------- a tiny model
 * n_layer 2, n_head 2, n_embd 4, vocab 7, n_positions 6; weights from an LCG. */
enum { TL = 2, TD = 4, TV = 7, TP = 6 };

static float lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return ((float)(*s >> 8) / 16777216.0f - 0.5f) * 0.8f;
}

static const char *tiny_model(void)
{
	const char *dir = tu_path("tiny");
	tu_mkdirs(dir);
	char *cfg = xasprintf("%s/config.json", dir);
	const char *cj = "{\"n_layer\": 2, \"n_head\": 2, \"n_embd\": 4, \"n_positions\": 6, \"vocab_size\": 7,"
	                 " \"layer_norm_epsilon\": 1e-05, \"activation_function\": \"gelu_new\"}";
	tu_write(cfg, cj, strlen(cj), 0);
	free(cfg);
	struct { char name[48]; int64_t r, c; } t[64];
	int n = 0;
#define ADD(R, C, ...) do { snprintf(t[n].name, sizeof t[n].name, __VA_ARGS__); t[n].r = (R); t[n].c = (C); n++; } while (0)
	ADD(TV, TD, "wte.weight");
	ADD(TP, TD, "wpe.weight");
	for (int l = 0; l < TL; l++) {
		ADD(TD, 0, "h.%d.ln_1.weight", l);
		ADD(TD, 0, "h.%d.ln_1.bias", l);
		ADD(TD, 3 * TD, "h.%d.attn.c_attn.weight", l);
		ADD(3 * TD, 0, "h.%d.attn.c_attn.bias", l);
		ADD(TD, TD, "h.%d.attn.c_proj.weight", l);
		ADD(TD, 0, "h.%d.attn.c_proj.bias", l);
		ADD(TD, 0, "h.%d.ln_2.weight", l);
		ADD(TD, 0, "h.%d.ln_2.bias", l);
		ADD(TD, 4 * TD, "h.%d.mlp.c_fc.weight", l);
		ADD(4 * TD, 0, "h.%d.mlp.c_fc.bias", l);
		ADD(4 * TD, TD, "h.%d.mlp.c_proj.weight", l);
		ADD(TD, 0, "h.%d.mlp.c_proj.bias", l);
	}
	ADD(TD, 0, "ln_f.weight");
	ADD(TD, 0, "ln_f.bias");
#undef ADD
	sb h = {0}, data = {0};
	uint32_t seed = 12345;
	sb_addc(&h, '{');
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		size_t numel = (size_t)t[i].r * (size_t)(t[i].c ? t[i].c : 1);
		if (t[i].c)
			sb_printf(&h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],\"data_offsets\":[%zu,%zu]}",
			          i ? "," : "", t[i].name, (long long)t[i].r, (long long)t[i].c, off, off + numel * 4);
		else
			sb_printf(&h, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],\"data_offsets\":[%zu,%zu]}",
			          i ? "," : "", t[i].name, (long long)t[i].r, off, off + numel * 4);
		int is_ln_w = strstr(t[i].name, "ln_") && strstr(t[i].name, ".weight");
		for (size_t j = 0; j < numel; j++) {
			float v = lcg(&seed) + (is_ln_w ? 1.0f : 0.0f);
			sb_add(&data, &v, 4);
		}
		off += numel * 4;
	}
	sb_addc(&h, '}');
	while ((8 + h.n) % 8)
		sb_addc(&h, ' ');
	sb file = {0};
	uint64_t hl = h.n;
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(hl >> (8 * i));
	sb_add(&file, len, 8);
	sb_add(&file, h.p, h.n);
	sb_add(&file, data.p, data.n);
	char *st = xasprintf("%s/model.safetensors", dir);
	tu_write(st, file.p, file.n, 0);
	free(st);
	sb_free(&h);
	sb_free(&data);
	sb_free(&file);
	return dir;
}

typedef struct cap {
	float v[TP * 4 * TD];
	size_t T, w;
	int calls;
} cap;

static int capture(const char *name, float *act, size_t T, size_t w, void *user)
{
	cap *c = user;
	memcpy(c->v, act, T * w * sizeof *act);
	c->T = T;
	c->w = w;
	c->calls++;
	return 0;
}

static int zero_it(const char *name, float *act, size_t T, size_t w, void *user)
{
	memset(act, 0, T * w * sizeof *act);
	return 0;
}

static int stop_it(const char *name, float *act, size_t T, size_t w, void *user)
{
	return 1;
}

START_TEST(hooks_read_and_change)
{
	char err[SAEX_ERR_LEN] = "";
	saex_model *m = saex_model_load(tiny_model(), err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	const saex_model_config *c = saex_model_config_of(m);
	ck_assert_int_eq(c->n_layers, 2);
	ck_assert_int_eq(c->vocab, 7);
	ck_assert_uint_eq(saex_model_hook_width(m, "blocks.1.mlp.hook_post"), 16);
	ck_assert_uint_eq(saex_model_hook_width(m, "blocks.1.attn.hook_z"), 4);
	ck_assert_uint_eq(saex_model_hook_width(m, "blocks.2.attn.hook_z"), 0);
	/* W_U: GPT-2's is wte itself, in the file's dtype; rows widen to it */
	const saex_tensor *wu = saex_model_unembed(m);
	ck_assert_str_eq(wu->name, "wte.weight");
	ck_assert_int_eq(wu->dtype, SAEX_F32);
	ck_assert_int_eq(wu->shape[0], TV);
	ck_assert_int_eq(wu->shape[1], TD);
	float rows[2 * TD];
	saex_model_unembed_rows(m, 5, 2, rows);
	ck_assert(memcmp(rows, (const float *)wu->data + 5 * TD, sizeof rows) == 0);
	const uint32_t ids[5] = {6, 0, 3, 3, 1};
	float logits[5 * TV], logits2[5 * TV];

	/* resid_mid = resid_pre + attn_out, exactly; post has 4d columns */
	static cap pre, ao, mid, post;
	saex_hook hk[4] = {{"blocks.1.hook_resid_pre", capture, &pre}, {"blocks.1.hook_attn_out", capture, &ao},
	                   {"blocks.1.hook_resid_mid", capture, &mid}, {"blocks.0.mlp.hook_post", capture, &post}};
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.hooks = hk;
	o.n_hooks = 4;
	o.logits = logits;
	ck_assert_msg(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(pre.calls, 1);
	ck_assert_uint_eq(pre.T, 5);
	ck_assert_uint_eq(pre.w, TD);
	ck_assert_uint_eq(post.w, 4 * TD);
	for (int i = 0; i < 5 * TD; i++)
		ck_assert(mid.v[i] == pre.v[i] + ao.v[i]);
	for (int i = 0; i < 5 * TV; i++)
		ck_assert(isfinite(logits[i]));

	/* the same run again gives the same logits, bit for bit */
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0);
	o.logits = logits2;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0);
	ck_assert(memcmp(logits, logits2, sizeof logits) == 0);

	/* a hook that zeroes attn_out: resid_mid is then resid_pre; logits change */
	static cap pre2, mid2;
	saex_hook hz[3] = {{"blocks.1.hook_resid_pre", capture, &pre2}, {"blocks.1.hook_attn_out", zero_it, NULL},
	                   {"blocks.1.hook_resid_mid", capture, &mid2}};
	o.hooks = hz;
	o.n_hooks = 3;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0);
	ck_assert(memcmp(pre2.v, mid2.v, 5 * TD * sizeof(float)) == 0);
	ck_assert(memcmp(logits, logits2, sizeof logits) != 0);

	/* the last token's row does not change the earlier rows (causal) */
	static cap a, b;
	saex_hook h1 = {"blocks.1.hook_resid_post", capture, &a}, h2 = {"blocks.1.hook_resid_post", capture, &b};
	saex_run_opts o1 = SAEX_RUN_OPTS_INIT, o2 = SAEX_RUN_OPTS_INIT;
	o1.hooks = &h1;
	o1.n_hooks = 1;
	o2.hooks = &h2;
	o2.n_hooks = 1;
	const uint32_t ids2[5] = {6, 0, 3, 3, 5};
	ck_assert(saex_model_forward(m, ids, 5, &o1, err, sizeof err) == 0);
	ck_assert(saex_model_forward(m, ids2, 5, &o2, err, sizeof err) == 0);
	for (int i = 0; i < 4 * TD; i++)
		NEAR(a.v[i], b.v[i], 1e-6);
	ck_assert(memcmp(a.v + 4 * TD, b.v + 4 * TD, TD * sizeof(float)) != 0);

	/* without logits a pass ends after its last hook point, wherever that
	 * hook sits in the list: a later point still fires, with the values of
	 * the full run */
	static cap mid3, pre3;
	saex_hook hl[2] = {{"blocks.1.hook_resid_mid", capture, &mid3},
	                   {"blocks.0.hook_resid_pre", capture, &pre3}};
	saex_run_opts o3 = SAEX_RUN_OPTS_INIT;
	o3.hooks = hl;
	o3.n_hooks = 2;
	ck_assert(saex_model_forward(m, ids, 5, &o3, err, sizeof err) == 0);
	ck_assert_int_eq(pre3.calls, 1);
	ck_assert_int_eq(mid3.calls, 1);
	ck_assert(memcmp(mid3.v, mid.v, 5 * TD * sizeof(float)) == 0);

	/* errors */
	saex_hook hs = {"blocks.0.hook_mlp_out", stop_it, NULL};
	o.hooks = &hs;
	o.n_hooks = 1;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == -1);
	ck_assert_str_eq(err, "hook blocks.0.hook_mlp_out stopped the run");
	saex_hook hu = {"blocks.2.hook_resid_pre", capture, &a};
	o.hooks = &hu;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == -1);
	ck_assert_msg(strstr(err, "unknown hook 'blocks.2.hook_resid_pre'"), "%s", err);
	o.n_hooks = 0;
	o.stop_after_layer = 0;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == -1);
	ck_assert_msg(strstr(err, "logits need all 2 layers"), "%s", err);
	const uint32_t badid[1] = {7};
	ck_assert(saex_model_forward(m, badid, 1, NULL, err, sizeof err) == -1);
	ck_assert_msg(strstr(err, "not below the vocabulary size 7"), "%s", err);
	const uint32_t many[7] = {0};
	ck_assert(saex_model_forward(m, many, 7, NULL, err, sizeof err) == -1);
	ck_assert(saex_model_forward(m, many, 6, NULL, err, sizeof err) == 0);
	saex_model_free(m);
}
END_TEST

/* Running 5 tokens as 3 + 1 + 1 through a KV cache gives the logits of the
 * full run; hooks see only the new rows. */
/* The points a pass reaches before a layer norm's weight (hook_embed, the
 * ln*.hook_normalized): a hook there that reads leaves the run as it was;
 * one that changes the values changes what follows. */
START_TEST(hooks_before_norm_weights)
{
	char err[SAEX_ERR_LEN] = "";
	saex_model *m = saex_model_load(tiny_model(), err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	const uint32_t ids[5] = {6, 0, 3, 3, 1};
	float plain[5 * TV], seen[5 * TV], zeroed[5 * TV];
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.logits = plain;
	ck_assert_msg(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0, "%s", err);

	/* reading every new point: the same logits within rounding, and the
	 * normalised rows have mean 0 and variance 1 - eps/(var+eps) ~ 1 */
	static cap emb, n1, n2, in;
	saex_hook hr[4] = {{"hook_embed", capture, &emb}, {"blocks.0.ln1.hook_normalized", capture, &n1},
	                   {"blocks.1.ln2.hook_normalized", capture, &n2}, {"blocks.1.mlp.hook_in", capture, &in}};
	o.hooks = hr;
	o.n_hooks = 4;
	o.logits = seen;
	ck_assert_msg(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0, "%s", err);
	for (int i = 0; i < 5 * TV; i++)
		NEAR(seen[i], plain[i], 1e-5);
	ck_assert_int_eq(emb.calls, 1);
	ck_assert_int_eq(in.calls, 1);
	for (int t = 0; t < 5; t++) {
		double mu = 0, var = 0;
		for (int c = 0; c < TD; c++)
			mu += n2.v[t * TD + c];
		mu /= TD;
		for (int c = 0; c < TD; c++)
			var += (n2.v[t * TD + c] - mu) * (n2.v[t * TD + c] - mu);
		NEAR(mu, 0, 1e-6);
		NEAR(var / TD, 1, 1e-3);
	}
	/* hook_embed holds the token embeddings only: rows of equal ids agree */
	ck_assert(memcmp(emb.v + 2 * TD, emb.v + 3 * TD, TD * sizeof(float)) == 0);
	ck_assert(memcmp(n1.v + 2 * TD, n1.v + 3 * TD, TD * sizeof(float)) != 0);

	/* zeroing hook_embed leaves the positions alone in resid_pre */
	static cap pre;
	saex_hook hz[2] = {{"hook_embed", zero_it, NULL}, {"blocks.0.hook_resid_pre", capture, &pre}};
	o.hooks = hz;
	o.n_hooks = 2;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0);
	static cap pos;
	saex_hook hp = {"blocks.0.hook_resid_pre", capture, &pos};
	const uint32_t same[5] = {2, 2, 2, 2, 2};
	o.hooks = &hp;
	o.n_hooks = 1;
	ck_assert(saex_model_forward(m, same, 5, &o, err, sizeof err) == 0);
	for (int t = 1; t < 5; t++)
		for (int c = 0; c < TD; c++)
			NEAR(pre.v[t * TD + c] - pre.v[c], pos.v[t * TD + c] - pos.v[c], 1e-6);

	/* zeroing ln2.hook_normalized makes mlp.hook_in the bias of ln_2 */
	static cap in0;
	saex_hook h0[2] = {{"blocks.1.ln2.hook_normalized", zero_it, NULL}, {"blocks.1.mlp.hook_in", capture, &in0}};
	o.hooks = h0;
	o.n_hooks = 2;
	o.logits = zeroed;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0);
	for (int t = 1; t < 5; t++)
		ck_assert(memcmp(in0.v + t * TD, in0.v, TD * sizeof(float)) == 0);
	ck_assert(memcmp(seen, zeroed, sizeof seen) != 0);
	saex_model_free(m);
}
END_TEST

/* A pass resumed at block 1 from the residual a whole pass had there gives
 * the whole pass's later hooks and logits, bit for bit; a hook before the
 * resumed block is refused. */
START_TEST(resume_at_a_block)
{
	char err[SAEX_ERR_LEN] = "";
	saex_model *m = saex_model_load(tiny_model(), err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	const uint32_t ids[5] = {6, 0, 3, 3, 1};
	float whole[5 * TV], resumed[5 * TV];
	static cap pre, post, post2;
	saex_hook hw[2] = {{"blocks.1.hook_resid_pre", capture, &pre}, {"blocks.1.hook_mlp_out", capture, &post}};
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.hooks = hw;
	o.n_hooks = 2;
	o.logits = whole;
	ck_assert_msg(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0, "%s", err);
	saex_hook hr = {"blocks.1.hook_mlp_out", capture, &post2};
	saex_run_opts r = SAEX_RUN_OPTS_INIT;
	r.hooks = &hr;
	r.n_hooks = 1;
	r.logits = resumed;
	r.start_layer = 1;
	r.start_resid = pre.v;
	ck_assert_msg(saex_model_forward(m, ids, 5, &r, err, sizeof err) == 0, "%s", err);
	ck_assert(memcmp(post.v, post2.v, 5 * TD * sizeof(float)) == 0);
	ck_assert(memcmp(whole, resumed, sizeof whole) == 0);
	/* a hook before block 1, or a block past the model */
	saex_hook early = {"blocks.0.hook_mlp_out", capture, &post2};
	r.hooks = &early;
	ck_assert(saex_model_forward(m, ids, 5, &r, err, sizeof err) == -1);
	ck_assert_msg(strstr(err, "before block 1"), "%s", err);
	r.n_hooks = 0;
	r.start_layer = 2;
	ck_assert(saex_model_forward(m, ids, 5, &r, err, sizeof err) == -1);
	ck_assert_msg(strstr(err, "resumed at block 2"), "%s", err);
	saex_model_free(m);
}
END_TEST

START_TEST(kv_cache_matches_full_run)
{
	char err[SAEX_ERR_LEN] = "";
	saex_model *m = saex_model_load(tiny_model(), err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	const uint32_t ids[5] = {2, 6, 0, 4, 4};
	float full[5 * TV], part[5 * TV];
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.logits = full;
	ck_assert(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0);
	saex_kv *kv = saex_kv_new(m, 5);
	ck_assert(kv != NULL);
	static cap seen;
	saex_hook hk = {"blocks.1.hook_resid_post", capture, &seen};
	o.hooks = &hk;
	o.n_hooks = 1;
	o.logits = part;
	ck_assert_msg(saex_model_forward_kv(m, kv, ids, 3, &o, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(seen.T, 3);
	o.logits = part + 3 * TV;
	ck_assert(saex_model_forward_kv(m, kv, ids + 3, 1, &o, err, sizeof err) == 0);
	ck_assert_uint_eq(seen.T, 1);
	o.logits = part + 4 * TV;
	ck_assert(saex_model_forward_kv(m, kv, ids + 4, 1, &o, err, sizeof err) == 0);
	ck_assert_uint_eq(saex_kv_len(kv), 5);
	for (int i = 0; i < 5 * TV; i++)
		NEAR(part[i], full[i], 1e-5);
	/* full: a sixth token does not fit a cache of 5 */
	ck_assert(saex_model_forward_kv(m, kv, ids, 1, &o, err, sizeof err) == -1);
	ck_assert_msg(strstr(err, "1 more tokens after 5"), "%s", err);
	/* a run that stops early is refused with a cache */
	o.logits = NULL;
	o.stop_after_layer = 0;
	saex_kv_reset(kv);
	ck_assert(saex_model_forward_kv(m, kv, ids, 1, &o, err, sizeof err) == -1);
	ck_assert_uint_eq(saex_kv_len(kv), 0);
	/* greedy with and without the cache */
	size_t n1, n2;
	uint32_t *g1 = saex_generate_greedy(m, ids, 2, 10, 1, &n1, err, sizeof err);
	uint32_t *g2 = saex_generate_greedy(m, ids, 2, 10, 0, &n2, err, sizeof err);
	ck_assert(g1 && g2);
	ck_assert_uint_eq(n1, TP); /* the context fills up at 6 */
	ck_assert_uint_eq(n2, TP);
	ck_assert(memcmp(g1, g2, n1 * sizeof *g1) == 0);
	free(g1);
	free(g2);
	saex_kv_free(kv);
	saex_model_free(m);
}
END_TEST

/* A prompt's steps split among a team (OpenBLAS's thread count; 3 here on
 * any machine, shares of the tiny model's columns that are empty for some
 * members) give the logits and hook values of one thread. */
static int copy_hook(const char *name, float *act, size_t T, size_t w, void *user)
{
	(void)name;
	memcpy(user, act, T * w * sizeof *act);
	return 0;
}

START_TEST(prompt_same_on_any_team)
{
	char err[SAEX_ERR_LEN] = "";
	saex_model *m = saex_model_load(tiny_model(), err, sizeof err);
	ck_assert_msg(m != NULL, "%s", err);
	const uint32_t ids[5] = {2, 6, 0, 4, 4};
	size_t w = saex_model_hook_width(m, "blocks.1.mlp.hook_post");
	ck_assert_uint_gt(w, 0);
	float one[5 * TV], many[5 * TV], *h1 = xmalloc(5 * w * sizeof *h1), *h3 = xmalloc(5 * w * sizeof *h3);
	int nb = openblas_get_num_threads();
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	saex_hook hk = {"blocks.1.mlp.hook_post", copy_hook, h1};
	o.hooks = &hk;
	o.n_hooks = 1;
	o.logits = one;
	openblas_set_num_threads(1);
	ck_assert_msg(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0, "%s", err);
	openblas_set_num_threads(3);
	hk.user = h3;
	o.logits = many;
	ck_assert_msg(saex_model_forward(m, ids, 5, &o, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(openblas_get_num_threads(), 3); /* given back after the pass */
	openblas_set_num_threads(nb);
	for (int i = 0; i < 5 * TV; i++)
		NEAR(many[i], one[i], 1e-5);
	for (size_t i = 0; i < 5 * w; i++)
		NEAR(h3[i], h1[i], 1e-5);
	free(h1);
	free(h3);
	saex_model_free(m);
}
END_TEST

/* team_share covers [0, n) in order, each share but the last aligned; a
 * team runs every member once per run, many runs in a row. */
typedef struct team_probe {
	int hits[TEAM_MAX];
	size_t sum[TEAM_MAX];
	size_t n;
} team_probe;

static void team_probe_fn(void *ctx, int i, int size)
{
	team_probe *p = ctx;
	size_t a, b;
	team_share(p->n, i, size, 1, &a, &b);
	p->hits[i]++;
	for (size_t k = a; k < b; k++)
		p->sum[i] += k;
}

START_TEST(team_runs_every_member)
{
	for (size_t n = 0; n < 70; n += 7)
		for (int size = 1; size <= 5; size++)
			for (size_t align = 1; align <= 16; align *= 4) {
				size_t prev = 0;
				for (int i = 0; i < size; i++) {
					size_t a, b;
					team_share(n, i, size, align, &a, &b);
					ck_assert_uint_eq(a, prev);
					ck_assert_uint_le(a, b);
					if (b < n)
						ck_assert_uint_eq(b % align, 0);
					prev = b;
				}
				ck_assert_uint_eq(prev, n);
			}
	team *t = team_new(4);
	ck_assert_int_ge(team_size(t), 1);
	team_probe p;
	memset(&p, 0, sizeof p);
	p.n = 1000;
	for (int r = 0; r < 500; r++)
		team_run(t, team_probe_fn, &p);
	size_t total = 0;
	for (int i = 0; i < team_size(t); i++) {
		ck_assert_int_eq(p.hits[i], 500);
		total += p.sum[i];
	}
	ck_assert_uint_eq(total, 500u * (999u * 1000u / 2));
	team_free(t);
	team_free(NULL);
}
END_TEST

/* vm_expf within 2e-7 relative of the double exp over [-87, 88] (the GELU
 * and softmax loops' exp), e^0 exactly 1, and clamped outside. */
START_TEST(vm_expf_values)
{
	double worst = 0;
	for (float x = -87.0f; x <= 88.0f; x += 0.00093f) {
		double e = exp((double)x), r = fabs((double)vm_expf(x) - e) / e;
		if (r > worst)
			worst = r;
	}
	ck_assert_msg(worst < 2e-7, "worst relative error %.3g", worst);
	ck_assert(vm_expf(0.0f) == 1.0f);
	NEAR(vm_expf(-1000.0f) / exp(-87.0), 1.0, 1e-6);
	NEAR(vm_expf(1000.0f) / exp(88.0), 1.0, 1e-6);
	/* GELU far below zero: tiny, as the limit -0 */
	float g[3] = {-20.0f, -100.0f, 30.0f};
	saex_gelu_new(g, 3);
	NEAR(g[0], 0.0, 1e-30);
	NEAR(g[1], 0.0, 1e-30);
	NEAR(g[2], 30.0, 1e-5);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 120); /* sanitizer builds and busy machines are slow */
	tcase_add_test(tc, layer_norm_values);
	tcase_add_test(tc, gelu_new_values);
	tcase_add_test(tc, softmax_values);
	tcase_add_test(tc, vm_expf_values);
	tcase_add_test(tc, hook_names);
	tcase_add_test(tc, hooks_read_and_change);
	tcase_add_test(tc, hooks_before_norm_weights);
	tcase_add_test(tc, resume_at_a_block);
	tcase_add_test(tc, kv_cache_matches_full_run);
	tcase_add_test(tc, prompt_same_on_any_team);
	tcase_add_test(tc, team_runs_every_member);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
