/* check_dash.c - the dashboard builder's computation (src/core/dash/dash.c) on tiny
 * hand-made activations: top examples and their order, quantile groups,
 * the histogram, density, the order independence and checkpoints of the
 * streaming state, logit effects and cosine similarity; and the store's
 * weights record that saex build and saex attach write. */
#include "config.h"
#include "dash.h"
#include "store.h"
#include "team.h"
#include "testutil.h"
#include "util.h"

#include <sqlite3.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-6

/* Feature 0 over four prompts; feature 1 once (scale 2). */
static dash *small_dash(void)
{
	static const float scale[2] = {1, 2};
	dash *d = dash_new(2, scale, 7);
	const float p0[] = {0.5f, 0, 1.0f, 0, 0, 0.25f};
	const float p1[] = {2.0f, 0, 0, -1.0f};
	const float p2[] = {1.0f, 0, 0.5f, 0};
	const float p3[] = {0, 0};
	ck_assert_int_eq(dash_add(d, 0, p0, 3, NULL), 0);
	ck_assert_int_eq(dash_add(d, 1, p1, 2, NULL), 0);
	ck_assert_int_eq(dash_add(d, 2, p2, 2, NULL), 0);
	ck_assert_int_eq(dash_add(d, 3, p3, 1, NULL), 0);
	return d;
}

START_TEST(top_examples)
{
	dash *d = small_dash();
	dash_feat *f = xmalloc(sizeof *f);
	ck_assert_uint_eq(dash_tokens(d), 8);
	dash_feature(d, 0, f);
	ck_assert_double_eq_tol(f->max_act, 2.0, EPS);
	ck_assert_double_eq_tol(f->frac_nonzero, 5.0 / 8, EPS);
	ck_assert_uint_eq(f->n_top, 3);
	/* by max, the lower prompt first on a tie */
	ck_assert_uint_eq(f->ex[0].prompt, 1);
	ck_assert_uint_eq(f->ex[1].prompt, 0);
	ck_assert_uint_eq(f->ex[2].prompt, 2);
	const dash_example *e = &f->ex[1];
	ck_assert_uint_eq(e->len, 3);
	ck_assert_uint_eq(e->argmax, 1);
	ck_assert_uint_eq(e->nnz, 2);
	ck_assert_uint_eq(e->nz[0].pos, 0);
	ck_assert_float_eq(e->nz[0].v, 0.5f);
	ck_assert_uint_eq(e->nz[1].pos, 1);
	ck_assert_float_eq(e->nz[1].v, 1.0f);
	ck_assert_float_eq(e->min, 0);
	ck_assert_double_eq(e->bin_min, -1);
	ck_assert_double_eq_tol(e->bin_max, 2.0, EPS);
	ck_assert_double_eq(e->bin_contains, -1);
	/* a prompt active at every token has a non-zero min */
	ck_assert_float_eq(f->ex[2].min, 0.5f);
	ck_assert_float_eq(f->ex[2].max, 1.0f);

	/* feature 1: the decoder norm (2) is folded in */
	dash_feature(d, 1, f);
	ck_assert_double_eq_tol(f->max_act, 0.5, EPS);
	ck_assert_double_eq_tol(f->frac_nonzero, 1.0 / 8, EPS);
	ck_assert_uint_eq(f->n_top, 1);
	ck_assert_uint_eq(f->ex[0].argmax, 2);
	ck_assert_float_eq(f->ex[0].nz[0].v, 0.5f);
	free(f);
	dash_free(d);
}
END_TEST

START_TEST(quantiles_and_histogram)
{
	dash *d = small_dash();
	dash_feat *f = xmalloc(sizeof *f);
	dash_feature(d, 0, f);
	/* values 0.5 0.5 1 1 2 in 50 bins of [0, 2] (width 0.04) */
	ck_assert_uint_eq(f->n_hist, DASH_BINS);
	float total = 0;
	for (size_t b = 0; b < DASH_BINS; b++) {
		total += f->hist_h[b];
		ck_assert_double_eq_tol(f->hist_v[b], (b + 0.5) * 0.04, 1e-6);
	}
	ck_assert_float_eq(total, 5);
	ck_assert_float_eq(f->hist_h[12], 2);
	ck_assert_float_eq(f->hist_h[25], 2);
	ck_assert_float_eq(f->hist_h[49], 1);
	/* quantile intervals of width 0.4: prompt 1 (max 2) in the last,
	 * prompts 0 and 2 (max 1) in [0.8, 1.2); shares of all 8 tokens */
	ck_assert_uint_eq(f->n_ex, 6);
	ck_assert_uint_eq(f->ex[3].prompt, 1);
	ck_assert_double_eq_tol(f->ex[3].bin_min, 1.6, EPS);
	ck_assert_double_eq_tol(f->ex[3].bin_max, 2.0, EPS);
	ck_assert_double_eq_tol(f->ex[3].bin_contains, 1.0 / 8, EPS);
	ck_assert_uint_eq(f->ex[4].prompt, 0);
	ck_assert_uint_eq(f->ex[5].prompt, 2);
	ck_assert_double_eq_tol(f->ex[4].bin_min, 0.8, EPS);
	ck_assert_double_eq_tol(f->ex[4].bin_max, 1.2, EPS);
	ck_assert_double_eq_tol(f->ex[5].bin_contains, 2.0 / 8, EPS);
	free(f);
	dash_free(d);
}
END_TEST

/* 300 one-token prompts of feature 0 with values (p % 97 + 1) / 8, added
 * in order k = 0..n-1 mapped by perm. */
static void feed(dash *d, size_t from, size_t to, int reverse)
{
	for (size_t k = from; k < to; k++) {
		uint32_t p = reverse ? (uint32_t)(299 - k) : (uint32_t)k;
		float v[2] = {(float)(p % 97 + 1) / 8, p % 3 ? 0.0f : 1.0f};
		dash_add(d, p, v, 1, NULL);
	}
}

static void same_results(const dash *a, const dash *b)
{
	dash_feat *fa = xmalloc(sizeof *fa), *fb = xmalloc(sizeof *fb);
	for (int64_t i = 0; i < 2; i++) {
		dash_feature(a, i, fa);
		dash_feature(b, i, fb);
		ck_assert_double_eq(fa->max_act, fb->max_act);
		ck_assert_double_eq(fa->frac_nonzero, fb->frac_nonzero);
		ck_assert_mem_eq(fa->hist_h, fb->hist_h, sizeof fa->hist_h);
		ck_assert_uint_eq(fa->n_ex, fb->n_ex);
		for (size_t k = 0; k < fa->n_ex; k++) {
			ck_assert_uint_eq(fa->ex[k].prompt, fb->ex[k].prompt);
			ck_assert_double_eq(fa->ex[k].bin_min, fb->ex[k].bin_min);
		}
	}
	free(fa);
	free(fb);
}

START_TEST(streaming_order_and_checkpoint)
{
	dash *a = dash_new(2, NULL, 1), *b = dash_new(2, NULL, 1), *c = dash_new(2, NULL, 1);
	feed(a, 0, 300, 0);
	feed(b, 0, 300, 1);
	same_results(a, b);
	dash_feat *f = xmalloc(sizeof *f);
	dash_feature(a, 0, f);
	ck_assert_double_eq(f->max_act, 97.0 / 8);
	ck_assert_uint_eq(f->n_top, DASH_TOP);
	/* the three prompts of value 97/8 first: 96, 193, 290 */
	ck_assert_uint_eq(f->ex[0].prompt, 96);
	ck_assert_uint_eq(f->ex[1].prompt, 193);
	ck_assert_uint_eq(f->ex[2].prompt, 290);
	/* every interval gets a few sampled examples, each inside it; the
	 * groups come from the highest interval down */
	size_t per[DASH_QUANTILES] = {0};
	for (size_t k = DASH_TOP; k < f->n_ex; k++) {
		ck_assert(f->ex[k].max >= f->ex[k].bin_min && f->ex[k].max <= f->ex[k].bin_max);
		size_t q = (size_t)(f->ex[k].bin_min / (f->max_act / DASH_QUANTILES) + 0.5);
		ck_assert_uint_lt(q, DASH_QUANTILES);
		per[q]++;
		if (k > DASH_TOP)
			ck_assert(f->ex[k].bin_min <= f->ex[k - 1].bin_min);
	}
	for (size_t q = 0; q < DASH_QUANTILES; q++)
		ck_assert_msg(per[q] >= 3 && per[q] <= DASH_PER_GROUP, "interval %zu: %zu", q, per[q]);
	free(f);

	/* a checkpoint midway, loaded into a fresh dash, then the rest */
	feed(c, 0, 137, 0);
	const char *path = tu_path("ckpt");
	FILE *fp = fopen(path, "wb");
	ck_assert_int_eq(dash_save(c, fp), 0);
	fclose(fp);
	dash_free(c);
	c = dash_new(2, NULL, 1);
	char err[128];
	fp = fopen(path, "rb");
	ck_assert_int_eq(dash_load(c, fp, err, sizeof err), 0);
	fclose(fp);
	feed(c, 137, 300, 0);
	same_results(a, c);
	/* a truncated checkpoint is refused */
	fp = fopen(path, "rb");
	char buf[64];
	size_t n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	fp = fopen(path, "wb");
	fwrite(buf, 1, n, fp);
	fclose(fp);
	fp = fopen(path, "rb");
	ck_assert_int_ne(dash_load(c, fp, err, sizeof err), 0);
	fclose(fp);
	dash_free(a);
	dash_free(b);
	dash_free(c);
}
END_TEST

/* The whole state as dash_save writes it. */
static char *saved(const dash *d, size_t *n)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, n);
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(dash_save(d, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

/* 100 features (shares that end inside a 16-feature line, some empty for
 * 3 members of 40 features) over 60 prompts of 1-24 tokens, about one value
 * in eight non-zero, some negative: a team of 3 reaches exactly the state
 * of one thread, and every kept example's values are the prompt's non-zero
 * values of that feature, by position. */
START_TEST(team_gives_same_state)
{
	const size_t D = 100, P = 60, TMAX = 24;
	float *f = xmalloc(P * TMAX * D * sizeof *f), scale[100];
	size_t len[60];
	uint64_t r = 12345;
	for (size_t j = 0; j < D; j++)
		scale[j] = 0.5f + (float)(j % 7) / 4;
	for (size_t p = 0; p < P; p++) {
		len[p] = 1 + p * 7 % TMAX;
		for (size_t k = 0; k < TMAX * D; k++) {
			r = r * 6364136223846793005u + 1442695040888963407u;
			unsigned u = (unsigned)(r >> 40);
			f[p * TMAX * D + k] = u % 8 ? 0.0f : (float)((int)(u >> 3) % 2001 - 400) / 100;
		}
	}
	for (size_t D_used = 40; D_used <= D; D_used += 60) {
		team *tm = team_new(3);
		dash *one = dash_new((int64_t)D_used, scale, 5), *three = dash_new((int64_t)D_used, scale, 5);
		float *rows = xmalloc(TMAX * D_used * sizeof *rows);
		for (size_t p = 0; p < P; p++) {
			for (size_t t = 0; t < len[p]; t++)
				memcpy(rows + t * D_used, f + (p * TMAX + t) * D, D_used * sizeof *rows);
			dash_add(one, (uint32_t)p, rows, len[p], NULL);
			dash_add(three, (uint32_t)p, rows, len[p], tm);
		}
		size_t n1, n3;
		char *s1 = saved(one, &n1), *s3 = saved(three, &n3);
		ck_assert_uint_eq(n1, n3);
		ck_assert_mem_eq(s1, s3, n1);
		free(s1);
		free(s3);
		dash_feat *df = xmalloc(sizeof *df);
		size_t checked = 0;
		for (size_t j = 0; j < D_used; j++) {
			dash_feature(three, (int64_t)j, df);
			for (size_t k = 0; k < df->n_ex; k++) {
				const dash_example *e = &df->ex[k];
				ck_assert_uint_eq(e->len, len[e->prompt]);
				uint32_t w = 0;
				for (size_t t = 0; t < e->len; t++) {
					float x = f[(e->prompt * TMAX + t) * D + j];
					if (!(x > 0))
						continue;
					ck_assert_uint_lt(w, e->nnz);
					ck_assert_uint_eq(e->nz[w].pos, t);
					ck_assert_float_eq(e->nz[w].v, x * scale[j]);
					w++;
				}
				ck_assert_uint_eq(w, e->nnz);
				checked++;
			}
		}
		ck_assert_uint_gt(checked, D_used * 10);
		free(df);
		free(rows);
		dash_free(one);
		dash_free(three);
		team_free(tm);
	}
	free(f);
}
END_TEST

START_TEST(logits)
{
	const float w[] = {1, 0, 0, 1};
	const float wte[] = {1.03f, 2, 3, -1, -2, 0.5f, 0.01f, 0};
	const saex_tensor wu = {"wte", SAEX_F32, 2, {4, 2}, 8, wte, sizeof wte};
	dash_logit out[2];
	ck_assert_int_eq(dash_logits(w, 2, 2, &wu, out, NULL), 0);
	/* row 0: logits 1.03, 3, -2, 0.01 */
	ck_assert_uint_eq(out[0].n_pos, 4);
	ck_assert_uint_eq(out[0].pos_id[0], 1);
	ck_assert_uint_eq(out[0].pos_id[1], 0);
	ck_assert_uint_eq(out[0].pos_id[2], 3);
	ck_assert_uint_eq(out[0].pos_id[3], 2);
	ck_assert_float_eq(out[0].pos_v[0], 3);
	ck_assert_uint_eq(out[0].neg_id[0], 2);
	ck_assert_float_eq(out[0].neg_v[0], -2);
	ck_assert_uint_eq(out[0].neg_id[1], 3);
	/* 50 bins of [-2, 3], width 0.1 */
	ck_assert_float_eq(out[0].hist_h[0], 1);
	ck_assert_float_eq(out[0].hist_h[20], 1);
	ck_assert_float_eq(out[0].hist_h[30], 1);
	ck_assert_float_eq(out[0].hist_h[49], 1);
	ck_assert_double_eq_tol(out[0].hist_v[0], -1.95, 1e-6);
	ck_assert_double_eq_tol(out[0].hist_v[49], 2.95, 1e-6);
	/* row 1: logits 2, -1, 0.5, 0; ties keep the lower id first */
	ck_assert_uint_eq(out[1].pos_id[0], 0);
	ck_assert_float_eq(out[1].neg_v[0], -1);
	ck_assert_uint_eq(out[1].neg_id[1], 3);
}
END_TEST

START_TEST(cosine)
{
	const float w[] = {2, 0, 0, 1, 3, 4, -1, 0};
	float u[8], norms[4];
	dash_unit_rows(w, 4, 2, u, norms);
	ck_assert_float_eq(norms[0], 2);
	ck_assert_float_eq(norms[2], 5);
	ck_assert_double_eq_tol(u[4], 0.6, 1e-7);
	uint32_t idx[4 * 2];
	float val[4 * 2];
	ck_assert_int_eq(dash_cosine(u, 4, 2, 0, 4, 2, idx, val, NULL), 2);
	/* row 0: row 2 (0.6), then row 1 (0); row 3 (-1) is out */
	ck_assert_uint_eq(idx[0], 2);
	ck_assert_double_eq_tol(val[0], 0.6, 1e-6);
	ck_assert_uint_eq(idx[1], 1);
	ck_assert_double_eq_tol(val[1], 0, 1e-6);
	/* row 2: row 1 (0.8), row 0 (0.6) */
	ck_assert_uint_eq(idx[4], 1);
	ck_assert_double_eq_tol(val[4], 0.8, 1e-6);
	ck_assert_uint_eq(idx[5], 0);
	/* a range of rows, and k capped at n - 1 */
	uint32_t idx2[3];
	float val2[3];
	ck_assert_int_eq(dash_cosine(u, 4, 2, 3, 4, 10, idx2, val2, NULL), 3);
	ck_assert_uint_eq(idx2[0], 1);
	ck_assert_double_eq_tol(val2[0], 0, 1e-6);
	ck_assert_uint_eq(idx2[2], 0);
	ck_assert_double_eq_tol(val2[2], -1, 1e-6);
}
END_TEST

/* Two kept lists agree: values to float rounding (OpenBLAS's edge kernels
 * round differently from its full tiles, so a product split into other
 * shares may differ in the last bit), the same ids where no two values
 * are that close. */
static void same_kept(const float *va, const uint32_t *ia, const float *vb, const uint32_t *ib,
                      size_t k)
{
	for (size_t q = 0; q < k; q++) {
		ck_assert_double_eq_tol(va[q], vb[q], 1e-5);
		int close = (q > 0 && fabsf(va[q] - va[q - 1]) < 1e-5f) ||
		            (q + 1 < k && fabsf(va[q] - va[q + 1]) < 1e-5f);
		if (!close)
			ck_assert_uint_eq(ia[q], ib[q]);
	}
}

/* 1,100 rows (two blocks of the products and a part) against 300 columns
 * (shares ending inside a 16-column line): logit effects and similar rows
 * with a team of 3 are those of one thread, and the largest of each row is
 * the largest dot product computed here in double. */
START_TEST(products_same_on_a_team)
{
	const size_t n = 1100, d = 8, V = 300, k = 4;
	float *w = xmalloc(n * d * sizeof *w), *wte = xmalloc(V * d * sizeof *wte);
	float *u = xmalloc(n * d * sizeof *u);
	uint64_t r = 99;
	for (size_t i = 0; i < n * d; i++) {
		r = r * 6364136223846793005u + 1442695040888963407u;
		w[i] = (float)((int)(r >> 40) % 2001 - 1000) / 997;
	}
	for (size_t i = 0; i < V * d; i++) {
		r = r * 6364136223846793005u + 1442695040888963407u;
		wte[i] = (float)((int)(r >> 40) % 2001 - 1000) / 991;
	}
	dash_unit_rows(w, n, d, u, NULL);
	team *tm = team_new(3);
	dash_logit *l1 = xmalloc(n * sizeof *l1), *l3 = xmalloc(n * sizeof *l3);
	const saex_tensor wu = {"wte", SAEX_F32, 2, {(int64_t)V, (int64_t)d}, V * d, wte, V * d * sizeof *wte};
	ck_assert_int_eq(dash_logits(w, n, d, &wu, l1, NULL), 0);
	ck_assert_int_eq(dash_logits(w, n, d, &wu, l3, tm), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(l3[i].n_pos, DASH_LOGITS);
		same_kept(l1[i].pos_v, l1[i].pos_id, l3[i].pos_v, l3[i].pos_id, DASH_LOGITS);
		same_kept(l1[i].neg_v, l1[i].neg_id, l3[i].neg_v, l3[i].neg_id, DASH_LOGITS);
		double h1 = 0, h3 = 0;
		for (size_t q = 0; q < DASH_BINS; q++) {
			h1 += l1[i].hist_h[q];
			h3 += l3[i].hist_h[q];
			ck_assert(fabsf(l1[i].hist_h[q] - l3[i].hist_h[q]) <= 1);
		}
		ck_assert_double_eq(h1, (double)V);
		ck_assert_double_eq(h3, (double)V);
	}
	for (size_t i = 0; i < n; i += 37) {
		double best = -INFINITY;
		for (size_t t = 0; t < V; t++) {
			double x = 0;
			for (size_t c = 0; c < d; c++)
				x += (double)w[i * d + c] * wte[t * d + c];
			if (x > best)
				best = x;
		}
		ck_assert_double_eq_tol(l3[i].pos_v[0], best, 1e-5);
	}
	const size_t r0 = 5, rows = n - r0;
	uint32_t *i1 = xmalloc(rows * k * sizeof *i1), *i3 = xmalloc(rows * k * sizeof *i3);
	float *v1 = xmalloc(rows * k * sizeof *v1), *v3 = xmalloc(rows * k * sizeof *v3);
	ck_assert_int_eq(dash_cosine(u, n, d, r0, n, k, i1, v1, NULL), (long)k);
	ck_assert_int_eq(dash_cosine(u, n, d, r0, n, k, i3, v3, tm), (long)k);
	for (size_t i = 0; i < rows; i++)
		same_kept(v1 + i * k, i1 + i * k, v3 + i * k, i3 + i * k, k);
	for (size_t i = r0; i < n; i += 41) {
		double best = -INFINITY;
		for (size_t j = 0; j < n; j++) {
			double x = 0;
			for (size_t c = 0; c < d; c++)
				x += (double)u[i * d + c] * u[j * d + c];
			if (j != i && x > best)
				best = x;
		}
		ck_assert_double_eq_tol(v3[(i - r0) * k], best, 1e-5);
		ck_assert_uint_ne(i3[(i - r0) * k], i);
	}
	team_free(tm);
	free(w);
	free(wte);
	free(u);
	free(l1);
	free(l3);
	free(i1);
	free(i3);
	free(v1);
	free(v3);
}
END_TEST

START_TEST(weights_record)
{
	const char *db = tu_path("w.db");
	store *s;
	saex_err e = {{0}, 0};
	arena a = {0};
	char *md, *sd;
	int64_t src;
	ck_assert_int_eq(store_open(&s, db, STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "0-x", &src, &e), 0);
	ck_assert_int_eq(store_weights_get(s, src, &a, &md, &sd, &e), STORE_NOTFOUND);
	ck_assert_int_eq(store_weights_put(s, src, "/models/m", "/saes/x", &e), 0);
	ck_assert_int_eq(store_weights_put(s, src, "/models/m2", "/saes/x2", &e), 0);
	ck_assert_int_eq(store_weights_get(s, src, &a, &md, &sd, &e), 0);
	ck_assert_str_eq(md, "/models/m2");
	ck_assert_str_eq(sd, "/saes/x2");
	store_close(s);
	/* a database from before the table: none attached, not an error */
	sqlite3 *q;
	ck_assert_int_eq(sqlite3_open(db, &q), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(q, "DROP TABLE weights", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(q);
	ck_assert_int_eq(store_open(&s, db, STORE_READ, &e), 0);
	ck_assert_int_eq(store_weights_get(s, src, &a, &md, &sd, &e), STORE_NOTFOUND);
	ck_assert_ptr_null(md);
	store_close(s);
	/* a write-open adds the table on the first put */
	ck_assert_int_eq(store_open(&s, db, STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_weights_put(s, src, "/a", "/b", &e), 0);
	ck_assert_int_eq(store_weights_get(s, src, &a, &md, &sd, &e), 0);
	ck_assert_str_eq(sd, "/b");
	store_close(s);
	arena_free(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dash");
	TCase *tc = tcase_create("dash");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, top_examples);
	tcase_add_test(tc, quantiles_and_histogram);
	tcase_add_test(tc, streaming_order_and_checkpoint);
	tcase_add_test(tc, team_gives_same_state);
	tcase_add_test(tc, logits);
	tcase_add_test(tc, cosine);
	tcase_add_test(tc, products_same_on_a_team);
	tcase_add_test(tc, weights_record);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
