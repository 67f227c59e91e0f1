/* store_eval.c - evaluations of sources (store.h; data/schema.sql's
 * evaluation table). The metric columns come from SAEX_EVAL_METRICS, the
 * one list of them; the table is created here for files written before it
 * (check_store tests that this DDL and schema.sql's agree). */
#include "config.h"
#include "store_int.h"
#include "pack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The columns after the metrics: counts, then the per-feature blobs. */
static const char *const eval_counts[] = {"d_sae", "dead_features", "dense_features"};

static void eval_metric_cols(sb *b, const char *prefix, const char *suffix)
{
	for (size_t k = 0; k < saex_eval_n_metrics; k++)
		sb_printf(b, ", %s%s%s", prefix, saex_eval_metric_names[k], suffix);
	for (size_t k = 0; k < SAEX_ARRAY_LEN(eval_counts); k++)
		sb_printf(b, ", %s%s%s", prefix, eval_counts[k], *suffix ? " INTEGER NOT NULL DEFAULT -1" : "");
}

static char *eval_ddl(void)
{
	sb b = {0};
	sb_adds(&b, "CREATE TABLE IF NOT EXISTS evaluation (id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, "
	            "origin TEXT NOT NULL, corpus TEXT NOT NULL, prompts INTEGER NOT NULL DEFAULT -1, "
	            "ctx INTEGER NOT NULL DEFAULT -1, tokens INTEGER NOT NULL DEFAULT -1, created TEXT NOT NULL");
	eval_metric_cols(&b, "", " REAL");
	sb_adds(&b, ", density BLOB, mean_act BLOB, UNIQUE (source_id, origin, corpus, prompts, ctx))");
	return b.p;
}

static int64_t eval_count_of(const saex_eval_metrics *m, size_t k)
{
	const int64_t v[] = {m->d_sae, m->dead_features, m->dense_features};
	return v[k];
}

static void eval_bind_floats(sqlite3_stmt *st, int i, const float *v, size_t n, sb *tmp)
{
	if (!v) {
		sqlite3_bind_null(st, i);
		return;
	}
	sb_clear(tmp);
	for (size_t k = 0; k < n; k++)
		pack_f32(tmp, v[k]);
	sqlite3_bind_blob(st, i, tmp->p ? tmp->p : "", (int)tmp->n, SQLITE_TRANSIENT);
}

int store_eval_put(store *s, int64_t source_id, const store_eval *ev, saex_err *e)
{
	char *ddl = eval_ddl();
	int bad = sqlite3_exec(s->db, ddl, NULL, NULL, NULL) != SQLITE_OK;
	free(ddl);
	if (bad)
		return store_fail(s, e, "cannot add the evaluation table");
	sb q = {0};
	sb_adds(&q, "INSERT OR REPLACE INTO evaluation(source_id, origin, corpus, prompts, ctx, tokens, created");
	eval_metric_cols(&q, "", "");
	sb_adds(&q, ", density, mean_act) VALUES (?, ?, ?, ?, ?, ?, "
	            "coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))");
	for (size_t k = 0; k < saex_eval_n_metrics + SAEX_ARRAY_LEN(eval_counts) + 2; k++)
		sb_adds(&q, ", ?");
	sb_adds(&q, ")");
	sqlite3_stmt *st;
	bad = sqlite3_prepare_v2(s->db, q.p, -1, &st, NULL) != SQLITE_OK;
	sb_free(&q);
	if (bad)
		return store_fail(s, e, "cannot record the evaluation");
	const saex_eval_metrics *m = &ev->m;
	int i = 1;
	sqlite3_bind_int64(st, i++, source_id);
	store_bind_text(st, i++, ev->origin);
	store_bind_text(st, i++, ev->corpus);
	sqlite3_bind_int64(st, i++, m->prompts);
	sqlite3_bind_int64(st, i++, ev->ctx);
	sqlite3_bind_int64(st, i++, m->tokens);
	store_bind_text(st, i++, ev->created);
	for (size_t k = 0; k < saex_eval_n_metrics; k++, i++) {
		double v = saex_eval_metric_value(m, k);
		if (isfinite(v))
			sqlite3_bind_double(st, i, v);
		else
			sqlite3_bind_null(st, i);
	}
	for (size_t k = 0; k < SAEX_ARRAY_LEN(eval_counts); k++)
		sqlite3_bind_int64(st, i++, eval_count_of(m, k));
	sb tmp = {0};
	eval_bind_floats(st, i++, ev->density, ev->n_feat, &tmp);
	eval_bind_floats(st, i++, ev->mean_act, ev->n_feat, &tmp);
	sb_free(&tmp);
	int rc = store_step_done(s, st, e, "cannot record the evaluation");
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------ reads */

/* A blob of f32 values into the arena; -1 when its length is not a whole
 * number of them or unlike *n (when *n is set). */
static int eval_col_floats(sqlite3_stmt *st, int i, arena *a, const float **out, size_t *n)
{
	const unsigned char *p = sqlite3_column_blob(st, i);
	size_t len = (size_t)sqlite3_column_bytes(st, i);
	*out = NULL;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	if (len % 4 || (*n && len / 4 != *n))
		return -1;
	*n = len / 4;
	float *v = arena_alloc(a, len ? len : 1);
	for (size_t k = 0; k < *n; k++)
		unpack_f32(&p, p + 4, &v[k]);
	*out = v;
	return 0;
}

static int eval_row(sqlite3_stmt *st, arena *a, int arrays, store_eval *r)
{
	memset(r, 0, sizeof *r);
	int i = 0;
	r->source_id = sqlite3_column_int64(st, i++);
	r->model = store_col_text(st, i++, a);
	r->source = store_col_text(st, i++, a);
	r->origin = store_col_text(st, i++, a);
	r->corpus = store_col_text(st, i++, a);
	r->m.prompts = sqlite3_column_int64(st, i++);
	r->ctx = sqlite3_column_int64(st, i++);
	r->m.tokens = sqlite3_column_int64(st, i++);
	r->created = store_col_text(st, i++, a);
	r->m.ce_tokens = -1;
	double *v[] = {
#define PTR_(name, group) &r->m.name,
		SAEX_EVAL_METRICS(PTR_)
#undef PTR_
	};
	for (size_t k = 0; k < saex_eval_n_metrics; k++, i++)
		*v[k] = sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
	r->m.d_sae = sqlite3_column_int64(st, i++);
	r->m.dead_features = sqlite3_column_int64(st, i++);
	r->m.dense_features = sqlite3_column_int64(st, i++);
	if (!arrays)
		return r->origin && r->corpus && r->created ? 0 : -1;
	if (eval_col_floats(st, i++, a, &r->density, &r->n_feat) ||
	    eval_col_floats(st, i++, a, &r->mean_act, &r->n_feat))
		return -1;
	return r->origin && r->corpus && r->created ? 0 : -1;
}

/* Runs a SELECT of evaluations (where, then the order) into *out. */
static int eval_select(store *s, const char *where, int64_t source_id, int arrays, arena *a, store_eval **out,
                       size_t *n, saex_err *e)
{
	*out = NULL;
	*n = 0;
	sb q = {0};
	sb_adds(&q, "SELECT e.source_id, m.name, s.name, e.origin, e.corpus, e.prompts, e.ctx, e.tokens, e.created");
	eval_metric_cols(&q, "e.", "");
	if (arrays)
		sb_adds(&q, ", e.density, e.mean_act");
	sb_printf(&q,
	          " FROM evaluation e JOIN source s ON s.id = e.source_id JOIN model m ON m.id = s.model_id "
	          "WHERE %s ORDER BY m.name, s.name, e.created DESC, e.id DESC",
	          where);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, q.p, -1, &st, NULL);
	sb_free(&q);
	if (rc != SQLITE_OK) {
		/* A file from before the evaluation table: none. */
		if (strstr(sqlite3_errmsg(s->db), "no such table"))
			return 0;
		return store_fail(s, e, "cannot read the evaluations");
	}
	if (source_id >= 0)
		sqlite3_bind_int64(st, 1, source_id);
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = arena_grow(a, *out, *n, &cap, sizeof **out, 8);
		if (eval_row(st, a, arrays, &(*out)[*n])) {
			sqlite3_finalize(st);
			return err_set(e, STORE_EBAD, "%s: a damaged evaluation record", s->path);
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, "cannot read the evaluations");
}

int store_evals(store *s, int64_t source_id, arena *a, store_eval **out, size_t *n, saex_err *e)
{
	return eval_select(s, "e.source_id = ?1", source_id, 1, a, out, n, e);
}

int store_evals_latest(store *s, arena *a, store_eval **out, size_t *n, saex_err *e)
{
	return eval_select(s,
	                   "e.id = (SELECT e2.id FROM evaluation e2 WHERE e2.source_id = e.source_id "
	                   "ORDER BY e2.created DESC, e2.id DESC LIMIT 1)",
	                   -1, 0, a, out, n, e);
}
