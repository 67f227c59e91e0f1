/* check_eval.c - SAE evaluation: the logits' statistics on hand-made
 * values against double-precision formulas, the evaluation of the demo
 * SAE (its dead feature 31 and dense feature 13, data/demo_net.c) with the
 * metrics' identities, saving and resuming, errors; the store's
 * evaluations; Neuronpedia's evaluation rows through the importer. The
 * numpy reference of every metric is tests/eval.test's. */
#include "config.h"
#include "testutil.h"
#include "eval_logits.h"
#include "import.h"
#include "saex.h"
#include "store.h"

#include <libgen.h>
#include <sqlite3.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ metric list */

START_TEST(metric_list)
{
	/* every double of saex_eval_metrics before the counts is a metric */
	ck_assert_uint_eq(saex_eval_n_metrics * sizeof(double), offsetof(saex_eval_metrics, prompts));
	saex_eval_metrics m;
	for (size_t k = 0; k < saex_eval_n_metrics; k++)
		((double *)&m)[k] = (double)k + 0.5;
	for (size_t k = 0; k < saex_eval_n_metrics; k++) {
		ck_assert(saex_eval_metric_value(&m, k) == (double)k + 0.5);
		for (size_t j = 0; j < k; j++)
			ck_assert_str_ne(saex_eval_metric_names[j], saex_eval_metric_names[k]);
	}
	ck_assert(isnan(saex_eval_metric_value(&m, saex_eval_n_metrics)));
	ck_assert_str_eq(saex_eval_metric_names[0], "l0");
	ck_assert_str_eq(saex_eval_metric_groups[0], "sparsity");
	ck_assert(m.ce_loss_score == saex_eval_metric_value(&m, 9));
}
END_TEST

/* ------------------------------------------------------------ logits */

/* log softmax of row z[V] in double */
static void ref_logp(const float *z, size_t V, double *lp)
{
	double m = z[0], s = 0;
	for (size_t v = 1; v < V; v++)
		m = z[v] > m ? z[v] : m;
	for (size_t v = 0; v < V; v++)
		s += exp(z[v] - m);
	for (size_t v = 0; v < V; v++)
		lp[v] = z[v] - m - log(s);
}

/* CE and KL sums of run logits zr against clean zc, in double. */
static void ref_stats(const float *zc, const float *zr, const elog_rows *r, double *ce_c, double *ce, double *kl)
{
	double *a = malloc(r->V * sizeof *a), *b = malloc(r->V * sizeof *b);
	*ce_c = *ce = *kl = 0;
	for (size_t t = 0; t < r->T; t++) {
		ref_logp(zc + t * r->V, r->V, a);
		ref_logp(zr + t * r->V, r->V, b);
		if (!r->count[t])
			continue;
		if (t + 1 < r->T) {
			*ce_c -= a[r->ids[t + 1]];
			*ce -= b[r->ids[t + 1]];
		}
		for (size_t v = 0; v < r->V; v++)
			*kl += exp(a[v]) * (a[v] - b[v]);
	}
	free(a);
	free(b);
}

static void logits_case(size_t T, size_t V, int members)
{
	float *zc = malloc(T * V * sizeof *zc), *zr = malloc(T * V * sizeof *zr);
	float *lp = malloc(T * V * sizeof *lp);
	uint32_t *ids = malloc(T * sizeof *ids);
	uint8_t *count = malloc(T);
	uint64_t s = 12345;
	for (size_t i = 0; i < T * V; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		zc[i] = (float)((double)(s >> 40) / (double)(1ULL << 24) * 16 - 8);
		zr[i] = zc[i] + (float)((double)((s >> 20) & 0xfffff) / (double)(1 << 20) - 0.5);
	}
	for (size_t t = 0; t < T; t++) {
		ids[t] = (uint32_t)((t * 7919) % V);
		count[t] = t != 0 && t != T / 2; /* two positions left out */
	}
	elog_rows r = {ids, count, T, V};
	double want_cc, want_ce, want_kl;
	ref_stats(zc, zr, &r, &want_cc, &want_ce, &want_kl);
	team *tm = members > 1 ? team_new(members) : NULL;
	double ce_c = elog_clean(tm, &r, zc, lp), ce, kl;
	elog_run(tm, &r, zr, lp, &ce, &kl);
	ck_assert_msg(fabs(ce_c - want_cc) <= 1e-5 * fabs(want_cc), "clean CE %.9g want %.9g", ce_c, want_cc);
	ck_assert_msg(fabs(ce - want_ce) <= 1e-5 * fabs(want_ce), "CE %.9g want %.9g", ce, want_ce);
	ck_assert_msg(fabs(kl - want_kl) <= 1e-5 * fabs(want_kl) + 1e-6, "KL %.9g want %.9g", kl, want_kl);
	/* the clean logits again: the same CE, KL exactly 0 */
	double ce2, kl2;
	elog_run(tm, &r, zc, lp, &ce2, &kl2);
	ck_assert(kl2 == 0);
	ck_assert(ce2 == ce_c);
	team_free(tm);
	free(zc);
	free(zr);
	free(lp);
	free(ids);
	free(count);
}

START_TEST(logit_stats)
{
	logits_case(5, 7, 1);      /* shorter than a block */
	logits_case(9, 300, 1);    /* blocks and a tail */
	logits_case(9, 300, 3);    /* split among three */
	logits_case(4, 50257, 2);  /* GPT-2's vocabulary */
}
END_TEST

START_TEST(logit_in_place)
{
	/* the clean run may turn its logits into log p in place */
	float z[6] = {1, 2, 3, 0, -1, 4}, lp[6], z2[6];
	uint32_t ids[2] = {0, 2};
	uint8_t count[2] = {1, 1};
	elog_rows r = {ids, count, 2, 3};
	memcpy(z2, z, sizeof z);
	double a = elog_clean(NULL, &r, z, lp);
	double b = elog_clean(NULL, &r, z2, z2);
	ck_assert(a == b);
	ck_assert(memcmp(lp, z2, sizeof lp) == 0);
	/* row 0 predicts id 2: -log softmax(1, 2, 3)[2] */
	ck_assert(fabs(a - (log(exp(1) + exp(2) + exp(3)) - 3)) < 1e-6);
}
END_TEST

/* ------------------------------------------------------------ the demo */

static char demo_dir[1024];

/* The build tree's data folder (the demo model and SAE), or NULL. */
static const char *demo(void)
{
	const char *bin = getenv("SAEX_BIN");
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s", bin ? bin : "./saex");
	snprintf(demo_dir, sizeof demo_dir, "%s/data", dirname(tmp));
	char p[1100];
	snprintf(p, sizeof p, "%s/demo-model/model.safetensors", demo_dir);
	FILE *f = fopen(p, "rb");
	if (!f) {
		fprintf(stderr, "# no demo model in %s (make builds it): skipped\n", demo_dir);
		return NULL;
	}
	fclose(f);
	return demo_dir;
}

typedef struct demo_w {
	saex_model *m;
	saex_sae *sae;
	saex_tok *tok;
	uint32_t **ids;
	size_t *len, n;
} demo_w;

/* The demo model and SAE and the first n lines of its corpus with BOS. */
static int demo_load(demo_w *w, size_t n)
{
	const char *d = demo();
	if (!d)
		return -1;
	char p[1200], err[SAEX_ERR_LEN];
	snprintf(p, sizeof p, "%s/demo-model", d);
	ck_assert_msg((w->m = saex_model_load(p, err, sizeof err)) != NULL, "%s", err);
	ck_assert_msg((w->tok = saex_tok_load(p, err, sizeof err)) != NULL, "%s", err);
	snprintf(p, sizeof p, "%s/demo-sae", d);
	ck_assert_msg((w->sae = saex_sae_load(p, err, sizeof err)) != NULL, "%s", err);
	snprintf(p, sizeof p, "%s/demo-corpus.txt", d);
	FILE *f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	w->ids = calloc(n, sizeof *w->ids);
	w->len = calloc(n, sizeof *w->len);
	char line[4096];
	for (w->n = 0; w->n < n && fgets(line, sizeof line, f);) {
		size_t k = strcspn(line, "\n");
		if (!k)
			continue;
		w->ids[w->n] = saex_tok_encode(w->tok, line, k, 1, &w->len[w->n]);
		w->n++;
	}
	fclose(f);
	return 0;
}

static void demo_free(demo_w *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->ids[i]);
	free(w->ids);
	free(w->len);
	saex_tok_free(w->tok);
	saex_sae_free(w->sae);
	saex_model_free(w->m);
}

static saex_eval *demo_eval(demo_w *w, size_t from, size_t to, saex_eval *ev)
{
	char err[SAEX_ERR_LEN];
	uint32_t bos = (uint32_t)saex_tok_bos(w->tok);
	saex_eval_opts o = SAEX_EVAL_OPTS_INIT;
	o.exclude = &bos;
	o.n_exclude = 1;
	const saex_sae *s = w->sae;
	if (!ev)
		ck_assert_msg((ev = saex_eval_new(w->m, &s, 1, &o, err, sizeof err)) != NULL, "%s", err);
	for (size_t i = from; i < to; i++)
		ck_assert_msg(saex_eval_prompt(ev, w->ids[i], w->len[i], err, sizeof err) == 0, "%s", err);
	return ev;
}

START_TEST(demo_dead_and_dense)
{
	demo_w w = {0};
	if (demo_load(&w, 40))
		return;
	saex_eval *ev = demo_eval(&w, 0, w.n, NULL);
	saex_eval_metrics m;
	saex_eval_result(ev, 0, &m);
	float dens[32], mean[32];
	saex_eval_features(ev, 0, dens, mean);
	ck_assert_int_eq(m.d_sae, 32);
	int64_t tokens = 0, dead = 0, dense = 0;
	for (size_t i = 0; i < w.n; i++)
		tokens += (int64_t)w.len[i] - 1;
	double sum = 0, best = 0;
	int argmax = -1;
	for (int i = 0; i < 32; i++) {
		dead += dens[i] == 0;
		dense += dens[i] > 0.1f;
		sum += dens[i];
		if (dens[i] > best) {
			best = dens[i];
			argmax = i;
		}
	}
	ck_assert_int_eq(m.tokens, tokens); /* BOS left out */
	ck_assert_int_eq(m.prompts, (int64_t)w.n);
	ck_assert(dens[31] == 0 && mean[31] == 0);
	ck_assert_int_eq(argmax, 13);
	ck_assert(dens[13] > 0.1f && mean[13] > 0);
	ck_assert_int_eq(m.dead_features, dead);
	ck_assert_int_eq(m.dense_features, dense);
	ck_assert(fabs(m.l0 - sum) < 1e-5 * m.l0);
	ck_assert(fabs(m.mean_act_active - m.l1 / m.l0) < 1e-9 * m.mean_act_active);
	ck_assert(fabs(m.frac_alive - (1 - dead / 32.0)) < 1e-12);
	ck_assert(fabs(m.freq_over_10_percent - dense / 32.0) < 1e-12);
	ck_assert(isfinite(m.ce_loss_score) && isfinite(m.kl_div_score) && isfinite(m.explained_variance));
	ck_assert(m.ce_loss_without_sae > 0 && m.kl_div_with_sae >= 0 && m.kl_div_with_ablation >= 0);
	saex_eval_free(ev);
	demo_free(&w);
}
END_TEST

START_TEST(save_and_resume)
{
	demo_w w = {0};
	if (demo_load(&w, 12))
		return;
	saex_eval *whole = demo_eval(&w, 0, w.n, NULL), *first = demo_eval(&w, 0, 5, NULL);
	const char *path = tu_path("eval.state");
	FILE *f = fopen(path, "wb");
	ck_assert_int_eq(saex_eval_save(first, f), 0);
	fclose(f);
	saex_eval *rest = demo_eval(&w, 0, 0, NULL);
	char err[SAEX_ERR_LEN];
	f = fopen(path, "rb");
	ck_assert_msg(saex_eval_load(rest, f, err, sizeof err) == 0, "%s", err);
	fclose(f);
	demo_eval(&w, 5, w.n, rest);
	saex_eval_metrics a, b;
	saex_eval_result(whole, 0, &a);
	saex_eval_result(rest, 0, &b);
	ck_assert(memcmp(&a, &b, sizeof a) == 0);
	float da[32], db[32];
	saex_eval_features(whole, 0, da, NULL);
	saex_eval_features(rest, 0, db, NULL);
	ck_assert(memcmp(da, db, sizeof da) == 0);
	/* a state cut short, or of other SAEs, is refused */
	size_t n;
	char *bytes = tu_read(path, &n);
	tu_write(path, bytes, n / 2, 0);
	f = fopen(path, "rb");
	ck_assert_int_eq(saex_eval_load(rest, f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cut short"));
	fclose(f);
	tu_write(path, bytes, n, 0);
	free(bytes);
	const saex_sae *two[2] = {w.sae, w.sae};
	saex_eval *pair = saex_eval_new(w.m, two, 2, NULL, err, sizeof err);
	ck_assert_ptr_nonnull(pair);
	f = fopen(path, "rb");
	ck_assert_int_eq(saex_eval_load(pair, f, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not the evaluation state"));
	fclose(f);
	saex_eval_free(pair);
	saex_eval_free(whole);
	saex_eval_free(first);
	saex_eval_free(rest);
	demo_free(&w);
}
END_TEST

static int stop_at_second(size_t sae, const float *f, size_t T, void *user)
{
	int *calls = user;
	(void)sae;
	(void)f;
	(void)T;
	return ++*calls == 2;
}

START_TEST(errors)
{
	demo_w w = {0};
	if (demo_load(&w, 2))
		return;
	char err[SAEX_ERR_LEN];
	const saex_sae *s = w.sae;
	ck_assert_ptr_null(saex_eval_new(w.m, &s, 0, NULL, err, sizeof err));
	ck_assert_str_eq(err, "no SAE to evaluate");
	int calls = 0;
	saex_eval_opts o = SAEX_EVAL_OPTS_INIT;
	o.on_features = stop_at_second;
	o.user = &calls;
	saex_eval *ev = saex_eval_new(w.m, &s, 1, &o, err, sizeof err);
	ck_assert_int_eq(saex_eval_prompt(ev, w.ids[0], w.len[0], err, sizeof err), 0);
	ck_assert_int_eq(saex_eval_prompt(ev, w.ids[1], w.len[1], err, sizeof err), -1);
	ck_assert_str_eq(err, "the evaluation was stopped");
	ck_assert_int_eq(saex_eval_prompt(ev, w.ids[0], 0, err, sizeof err), -1);
	uint32_t bad[2] = {0, 1u << 30};
	ck_assert_int_eq(saex_eval_prompt(ev, bad, 2, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "vocabulary"));
	saex_eval_free(ev);
	demo_free(&w);
}
END_TEST

/* ------------------------------------------------------------ the store */

static store_eval sample(const char *corpus, const char *created, double l0, const float *dens, size_t n)
{
	store_eval e = {0};
	e.origin = "saex";
	e.corpus = corpus;
	e.created = created;
	e.ctx = 128;
	for (size_t k = 0; k < saex_eval_n_metrics; k++)
		((double *)&e.m)[k] = 0.25 * (double)k;
	e.m.l0 = l0;
	e.m.kl_div_score = NAN;
	e.m.prompts = 64;
	e.m.tokens = 8128;
	e.m.d_sae = (int64_t)n;
	e.m.dead_features = 1;
	e.m.dense_features = 2;
	e.density = dens;
	e.mean_act = dens;
	e.n_feat = n;
	return e;
}

START_TEST(store_evals_round_trip)
{
	const char *db = tu_path("evals.db");
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, db, STORE_WRITE, &e), 0);
	int64_t a, b;
	float d[3] = {0, 0.5f, -0.0f};
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "1-a", &a, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "2-b", &b, &e), 0);
	store_eval x = sample("web.txt", "2025-01-01T00:00:00Z", 10, d, 3);
	ck_assert_int_eq(store_eval_put(s, a, &x, &e), 0);
	x = sample("old.txt", "2024-01-01T00:00:00Z", 20, NULL, 3);
	ck_assert_int_eq(store_eval_put(s, a, &x, &e), 0);
	x = sample("web.txt", NULL, 30, d, 3); /* created: now */
	ck_assert_int_eq(store_eval_put(s, b, &x, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	/* the same evaluation again replaces it */
	ck_assert_int_eq(store_begin(s, &e), 0);
	x = sample("web.txt", "2025-02-01T00:00:00Z", 11, d, 3);
	ck_assert_int_eq(store_eval_put(s, a, &x, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);

	ck_assert_int_eq(store_open(&s, db, STORE_READ, &e), 0);
	arena mem = {0};
	store_eval *ev;
	size_t n;
	ck_assert_int_eq(store_evals(s, a, &mem, &ev, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ev[0].corpus, "web.txt"); /* newest first */
	ck_assert(ev[0].m.l0 == 11);
	ck_assert_str_eq(ev[0].created, "2025-02-01T00:00:00Z");
	ck_assert_str_eq(ev[0].model, "m");
	ck_assert_str_eq(ev[0].source, "1-a");
	ck_assert(isnan(ev[0].m.kl_div_score));
	ck_assert(ev[0].m.mse == 0.25 * 3);
	ck_assert_int_eq(ev[0].ctx, 128);
	ck_assert_int_eq(ev[0].m.prompts, 64);
	ck_assert_int_eq(ev[0].m.tokens, 8128);
	ck_assert_int_eq(ev[0].m.dead_features, 1);
	ck_assert_uint_eq(ev[0].n_feat, 3);
	ck_assert(memcmp(ev[0].density, d, sizeof d) == 0); /* bit for bit, -0 too */
	ck_assert_ptr_null(ev[1].density);
	ck_assert_int_eq(store_evals_latest(s, &mem, &ev, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(ev[0].m.l0 == 11 && ev[1].m.l0 == 30);
	ck_assert_ptr_null(ev[0].density);
	ck_assert_uint_eq(strlen(ev[1].created), 20);
	arena_free(&mem);
	store_close(s);
}
END_TEST

/* The evaluation table's columns (name, type, not null, default, key). */
static char *table_info(const char *db)
{
	sqlite3 *h;
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT name, type, \"notnull\", dflt_value, pk FROM "
	                                       "pragma_table_info('evaluation')", -1, &st, NULL), SQLITE_OK);
	sb out = {0};
	while (sqlite3_step(st) == SQLITE_ROW)
	{
		const char *dflt = (const char *)sqlite3_column_text(st, 3);
		sb_printf(&out, "%s %s %d %s %d;", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		          sqlite3_column_int(st, 2), dflt ? dflt : "-", sqlite3_column_int(st, 4));
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out.p;
}

START_TEST(older_files)
{
	/* a database from before the table: no evaluations; the first put
	 * creates the table as data/schema.sql has it */
	const char *db = tu_path("old.db");
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, db, STORE_WRITE, &e), 0);
	int64_t a;
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "1-a", &a, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
	char *fresh = table_info(db);
	sqlite3 *h;
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "DROP TABLE evaluation", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ck_assert_int_eq(store_open(&s, db, STORE_READ, &e), 0);
	arena mem = {0};
	store_eval *ev;
	size_t n = 9;
	ck_assert_int_eq(store_evals(s, a, &mem, &ev, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_evals_latest(s, &mem, &ev, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	store_close(s);
	ck_assert_int_eq(store_open(&s, db, STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_begin(s, &e), 0);
	store_eval x = sample("web.txt", NULL, 1, NULL, 0);
	ck_assert_int_eq(store_eval_put(s, a, &x, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
	char *made = table_info(db);
	ck_assert_str_eq(made, fresh);
	ck_assert_ptr_nonnull(strstr(made, "l0 REAL 0 - 0;"));
	free(fresh);
	free(made);
	/* a damaged density blob is an error naming the file */
	ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "UPDATE evaluation SET density = x'0102'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	ck_assert_int_eq(store_open(&s, db, STORE_READ, &e), 0);
	ck_assert_int_eq(store_evals(s, a, &mem, &ev, &n, &e), STORE_EBAD);
	ck_assert_msg(strstr(e.msg, "old.db: a damaged evaluation record"), "%s", e.msg);
	store_close(s);
	arena_free(&mem);
}
END_TEST

/* ------------------------------------------------------------ imports */

static const char core_row[] =
	"{\"id\":\"e1\",\"typeName\":\"core\",\"modelId\":\"gemma-2-2b\",\"sourceId\":\"12-res-16k\","
	"\"createdAt\":\"2025-01-24T22:35:13.123Z\",\"output\":{\"eval_config\":{\"batch_size_prompts\":16,"
	"\"n_eval_reconstruction_batches\":200,\"dataset\":\"Skylion007/openwebtext\",\"context_size\":128},"
	"\"datetime_epoch_millis\":1737758113123,\"eval_result_metrics\":{\"model_behavior_preservation\":"
	"{\"kl_div_score\":0.9,\"kl_div_with_ablation\":10,\"kl_div_with_sae\":1},\"model_performance_preservation\":"
	"{\"ce_loss_score\":0.88,\"ce_loss_with_ablation\":12,\"ce_loss_with_sae\":3.2,\"ce_loss_without_sae\":2},"
	"\"reconstruction_quality\":{\"explained_variance\":0.75,\"mse\":2.5,\"cossim\":0.92},\"shrinkage\":"
	"{\"l2_norm_in\":150,\"l2_norm_out\":140,\"l2_ratio\":0.93,\"relative_reconstruction_bias\":0.97},"
	"\"sparsity\":{\"l0\":71.5,\"l1\":600},\"token_stats\":{\"total_tokens_eval_reconstruction\":409600},"
	"\"misc_metrics\":{\"frac_alive\":0.75,\"freq_over_1_percent\":0.5,\"freq_over_10_percent\":0.25}},"
	"\"sae_cfg_dict\":{\"d_sae\":4}},\"detailedMetrics\":[{\"index\":1,\"feature_density\":0.2},"
	"{\"index\":0,\"feature_density\":0},{\"index\":2,\"feature_density\":0.001},"
	"{\"index\":3,\"feature_density\":0.02}]}\n";

static int import_file(const char *db, const char *path, int strict, import_stats *st, saex_err *e)
{
	store *s;
	saex_err oe = {{0}, 0};
	ck_assert_msg(store_open(&s, db, STORE_WRITE, &oe) == 0, "%s", oe.msg);
	FILE *log = fopen(tu_path("eval-import.log"), "w");
	import_opts o = {0};
	o.strict = strict;
	o.log = log;
	char *paths[] = {(char *)path};
	int rc = import_paths(s, paths, 1, &o, st, e);
	fclose(log);
	store_close(s);
	return rc;
}

START_TEST(neuronpedia_rows)
{
	const char *db = tu_path("np-evals.db");
	/* a core row, a row of another type, the same row with its output and
	 * details as JSON text */
	sb f = {0};
	sb_adds(&f, core_row);
	sb_adds(&f, "{\"typeName\":\"absorption_first_letter\",\"modelId\":\"gemma-2-2b\",\"sourceId\":\"12-res-16k\","
	            "\"output\":{}}\n");
	json_t *row = json_loads(core_row, 0, NULL);
	char *out = json_dumps(json_object_get(row, "output"), JSON_COMPACT);
	char *det = json_dumps(json_object_get(row, "detailedMetrics"), JSON_COMPACT);
	json_object_set_new(row, "output", json_string(out));
	json_object_set_new(row, "detailedMetrics", json_string(det));
	json_object_set_new(row, "sourceId", json_string("13-res-16k"));
	char *line = json_dumps(row, JSON_COMPACT);
	sb_printf(&f, "%s\n", line);
	free(out);
	free(det);
	free(line);
	json_decref(row);
	const char *path = tu_path("eval.jsonl");
	tu_write(path, f.p, f.n, 0);
	sb_free(&f);
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(import_file(db, path, 0, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.evaluations, 2);
	ck_assert_int_eq(st.unchanged, 1);
	store *s;
	ck_assert_int_eq(store_open(&s, db, STORE_READ, &e), 0);
	arena mem = {0};
	store_eval *ev;
	size_t n;
	ck_assert_int_eq(store_evals_latest(s, &mem, &ev, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < 2; i++) {
		const store_eval *x = &ev[i];
		ck_assert_str_eq(x->source, i ? "13-res-16k" : "12-res-16k");
		ck_assert_str_eq(x->origin, "neuronpedia");
		ck_assert_str_eq(x->corpus, "Skylion007/openwebtext");
		ck_assert_str_eq(x->created, "2025-01-24T22:35:13Z");
		ck_assert_int_eq(x->ctx, 128);
		ck_assert_int_eq(x->m.prompts, 3200);
		ck_assert_int_eq(x->m.tokens, 409600);
		ck_assert(x->m.l0 == 71.5 && x->m.ce_loss_score == 0.88 && x->m.kl_div_with_sae == 1);
		ck_assert(x->m.relative_reconstruction_bias == 0.97 && x->m.freq_over_10_percent == 0.25);
		ck_assert(isnan(x->m.mean_act_active));
		ck_assert_int_eq(x->m.d_sae, 4);
		ck_assert_int_eq(x->m.dead_features, 1);
		ck_assert_int_eq(x->m.dense_features, 1);
	}
	ck_assert_int_eq(store_evals(s, ev[0].source_id, &mem, &ev, &n, &e), 0);
	ck_assert(ev[0].density[0] == 0 && ev[0].density[1] == 0.2f && ev[0].density[3] == 0.02f);
	arena_free(&mem);
	store_close(s);
}
END_TEST

START_TEST(neuronpedia_bad_rows)
{
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{"\"l0\":71.5", "\"l0\":\"many\"", "eval_result_metrics.sparsity.l0: expected a number, got a string"},
		{"\"index\":2,", "\"index\":1,", "detailedMetrics[2]: index 1 or density"},
		{"\"feature_density\":0.02", "\"feature_density\":1.5", "detailedMetrics[3]: index 3 or density 1.5"},
		{"\"sae_cfg_dict\":{\"d_sae\":4}", "\"sae_cfg_dict\":{\"d_sae\":5}", "4 features, but d_sae is 5"},
		{"\"modelId\":\"gemma-2-2b\"", "\"modelId\":\"a/b\"", "modelId: missing or not a valid model id"},
		{"\"output\":{", "\"output\":7,\"x\":{", "output: expected an object"},
		{"\"eval_result_metrics\"", "\"eval_results\"", "output.eval_result_metrics: missing"},
		{"\"context_size\":128", "\"context_size\":1.5", "eval_config.context_size: 1.5 is not a count"},
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(bad); i++) {
		const char *at = strstr(core_row, bad[i].from);
		ck_assert_ptr_nonnull(at);
		sb f = {0};
		sb_add(&f, core_row, (size_t)(at - core_row));
		sb_adds(&f, bad[i].to);
		sb_adds(&f, at + strlen(bad[i].from));
		const char *path = tu_path("bad-eval.jsonl");
		tu_write(path, f.p, f.n, 0);
		sb_free(&f);
		char db[256];
		snprintf(db, sizeof db, "%s", tu_path("bad.db"));
		remove(db);
		import_stats st;
		saex_err e = {{0}, 0};
		import_file(db, path, 0, &st, &e);
		ck_assert_int_eq(st.bad_lines, 1);
		ck_assert_int_eq(st.evaluations, 0);
		char *log = tu_read(tu_path("eval-import.log"), NULL);
		ck_assert_msg(strstr(log, "bad-eval.jsonl:1: ") && strstr(log, bad[i].why), "%zu: %s", i, log);
		free(log);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("eval");
	TCase *tc = tcase_create("eval");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, metric_list);
	tcase_add_test(tc, logit_stats);
	tcase_add_test(tc, logit_in_place);
	tcase_add_test(tc, demo_dead_and_dense);
	tcase_add_test(tc, save_and_resume);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, store_evals_round_trip);
	tcase_add_test(tc, older_files);
	tcase_add_test(tc, neuronpedia_rows);
	tcase_add_test(tc, neuronpedia_bad_rows);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
