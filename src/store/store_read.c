/* store_read.c - feature reads, catalog, search and export iteration. */
#include "config.h"
#include "store_int.h"
#include "pack.h"
#include "actpack.h"
#include "frec.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Sizes tc for the model's token ids as they are now: ids are dense from
 * 0 (the writer hands them out so), so a gap or a huge id is damage. An
 * import may add ids while a reader is open: they are then appended. */
static int store_tokens_size(store *s, store_tokcache *tc, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_R_TOKEN_MAX, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, tc->model_id);
	int rc = sqlite3_step(st);
	int64_t mx = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0) : -1;
	int64_t count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read tokens");
	if (mx != count - 1)
		return store_damaged(s, e, "the token ids of model row %lld are not 0 to %lld (the largest is %lld)",
		                     (long long)tc->model_id, (long long)count - 1, (long long)mx);
	if ((size_t)count <= tc->n)
		return 0;
	store_str *tok = realloc(tc->tok, ((size_t)count + 1) * sizeof *tok);
	if (!tok)
		return err_set(e, STORE_EBAD, "%s: out of memory for %lld token strings", s->path, (long long)count);
	memset(tok + tc->n, 0, ((size_t)count + 1 - tc->n) * sizeof *tok);
	tc->tok = tok;
	tc->n = (size_t)count;
	return 0;
}

store_tokcache *store_tokens(store *s, int64_t model_id, saex_err *e)
{
	for (size_t i = 0; i < s->n_tc; i++)
		if (s->tc[i].model_id == model_id)
			return &s->tc[i];
	store_tokcache one = {model_id, NULL, 0, {0}};
	if (store_tokens_size(s, &one, e))
		return NULL;
	store_tokcache *tcs = realloc(s->tc, (s->n_tc + 1) * sizeof *s->tc);
	if (!tcs) {
		free(one.tok);
		err_set(e, STORE_EBAD, "%s: out of memory", s->path);
		return NULL;
	}
	s->tc = tcs;
	s->tc[s->n_tc] = one;
	return &s->tc[s->n_tc++];
}

static const store_str store_missing_token = {"\xef\xbf\xbd", 3}; /* U+FFFD */

/* Fills out[i] with the strings of ids[i], fetching the ones not cached.
 * Returns 1 when an id has no string (damage), 0 otherwise. */
static int store_map_tokens(store *s, store_tokcache *tc, const uint32_t *ids, size_t n,
                            store_str *out)
{
	int bad = 0;
	sqlite3_stmt *st = NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		saex_err e;
		if (id >= tc->n && store_tokens_size(s, tc, &e))
			return 1;
		if (id < tc->n && !tc->tok[id].p) {
			if (!st && !(st = store_stmt(s, ST_R_TOKEN_ONE, &e)))
				return 1;
			sqlite3_bind_int64(st, 1, tc->model_id);
			sqlite3_bind_int64(st, 2, id);
			if (sqlite3_step(st) == SQLITE_ROW) {
				const char *p = sqlite3_column_blob(st, 0);
				size_t len = (size_t)sqlite3_column_bytes(st, 0);
				tc->tok[id].p = arena_strndup(&tc->mem, p ? p : "", len);
				tc->tok[id].n = len;
			}
			sqlite3_reset(st);
		}
		if (id < tc->n && tc->tok[id].p) {
			out[i] = tc->tok[id];
		} else {
			out[i] = store_missing_token;
			bad = 1;
		}
	}
	return bad;
}

static int store_corrupt(store *s, saex_err *e, const char *what, const saex_fid *id)
{
	return store_damaged(s, e, "the %s of feature %s/%s/%lld", what, id->model, id->source,
	                     (long long)id->index);
}

typedef struct store_src_row {
	int64_t id, model_id;
	char *hook_name;
} store_src_row;

static int store_find_source_row(store *s, const char *model, const char *source, arena *a,
                                 store_src_row *r, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_R_SOURCE, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		r->model_id = sqlite3_column_int64(st, 1);
		r->hook_name = store_col_text(st, 2, a);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read sources");
	/* Say which part is missing. */
	sqlite3_stmt *mq = store_stmt(s, ST_MODEL_ID, e);
	if (!mq)
		return STORE_EBAD;
	sqlite3_bind_text(mq, 1, model, -1, SQLITE_TRANSIENT);
	int has_model = sqlite3_step(mq) == SQLITE_ROW;
	sqlite3_reset(mq);
	if (!has_model)
		return err_set(e, STORE_NOTFOUND, "%s: no model '%s' in this database", s->path, model);
	return err_set(e, STORE_NOTFOUND, "%s: model '%s' has no source '%s'", s->path, model,
	               source);
}

static int store_act_cmp(const void *pa, const void *pb)
{
	const store_act *x = pa, *y = pb;
	if (x->max_value != y->max_value)
		return x->max_value < y->max_value ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Decodes a feature's examples into store_acts sorted by max, descending. */
static int store_unpack_acts(store *s, store_tokcache *tc, const void *blob, size_t len, arena *a,
                             store_act **out, size_t *n)
{
	actpack_ex *ex;
	size_t k;
	if (actpack_decode(blob, len, a, &ex, &k))
		return -1;
	store_act *acts = arena_alloc(a, (k ? k : 1) * sizeof *acts);
	int bad = 0;
	for (size_t i = 0; i < k; i++) {
		store_act *x = &acts[i];
		x->n = ex[i].n;
		x->values = ex[i].values;
		x->max_value = ex[i].max_value;
		x->min_value = ex[i].min_value;
		x->max_index = ex[i].max_index;
		x->bin_min = ex[i].bin_min;
		x->bin_max = ex[i].bin_max;
		x->bin_contains = ex[i].bin_contains;
		x->order = ex[i].key;
		x->tokens = arena_alloc(a, (x->n + 1) * sizeof *x->tokens);
		bad |= store_map_tokens(s, tc, ex[i].ids, x->n, x->tokens);
	}
	if (k > 1)
		qsort(acts, k, sizeof *acts, store_act_cmp);
	*out = acts;
	*n = k;
	return bad ? -1 : 0;
}

static int store_read_acts(store *s, store_src_row *src, const saex_fid *id,
                           size_t max_examples, arena *a, store_feature *f, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_ACT_GET, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, src->id);
	sqlite3_bind_int64(st, 2, id->index);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		store_tokcache *tc = store_tokens(s, src->model_id, e);
		if (!tc)
			ret = STORE_EBAD;
		else if (store_unpack_acts(s, tc, sqlite3_column_blob(st, 0),
		                           (size_t)sqlite3_column_bytes(st, 0), a, &f->acts,
		                           &f->n_acts_total))
			ret = store_corrupt(s, e, "activation record", id);
		f->n_acts = max_examples && max_examples < f->n_acts_total ? max_examples
		                                                           : f->n_acts_total;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(s, e, "cannot read activations");
	}
	sqlite3_reset(st);
	return ret;
}

static int store_read_expls(store *s, int64_t source_id, int64_t index, arena *a,
                            store_expl **out, size_t *n, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_R_EXPL, e);
	if (!st)
		return STORE_EBAD;
	size_t cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, index);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = arena_grow(a, *out, *n, &cap, sizeof **out, 4);
		store_expl *x = &(*out)[(*n)++];
		x->description = store_col_req(s, st, 0, a, "an explanation's description", e);
		x->type_name = store_col_text(st, 1, a);
		x->explainer = store_col_text(st, 2, a);
		if (!x->description) {
			sqlite3_reset(st);
			return STORE_EBAD;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, "cannot read explanations");
}

/* Decodes a feature row: max_act, frac_nonzero and the data blob at
 * columns 0, 1 and 2. */
static int store_decode_feature(store *s, sqlite3_stmt *st, int64_t model_id, arena *a,
                                store_feature *f, saex_err *e)
{
	f->max_act = sqlite3_column_double(st, 0);
	f->frac_nonzero = sqlite3_column_double(st, 1);
	frec r;
	if (frec_unpack(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), a, &r))
		return store_corrupt(s, e, "feature record", &f->id);
	if (!isfinite(f->max_act) || !(f->frac_nonzero == -1 || (f->frac_nonzero >= 0 && f->frac_nonzero <= 1)))
		return store_corrupt(s, e, "max activation or density", &f->id);
	for (size_t i = 0; i < r.n_freq; i++)
		if (!(r.freq_h[i] >= 0) || !isfinite(r.freq_h[i]))
			return store_corrupt(s, e, "histogram", &f->id);
	f->freq_h = (float *)r.freq_h;
	f->freq_v = (float *)r.freq_v;
	f->n_freq = r.n_freq;
	f->lhist_h = (float *)r.lhist_h;
	f->lhist_v = (float *)r.lhist_v;
	f->n_lhist = r.n_lhist;
	f->pos_v = (float *)r.pos_v;
	f->n_pos = r.n_pos;
	f->neg_v = (float *)r.neg_v;
	f->n_neg = r.n_neg;
	f->cos_idx = (uint32_t *)r.cos_idx;
	f->cos_v = (float *)r.cos_v;
	f->n_cos = r.n_cos;
	f->extra_json = (char *)r.extra;
	if (f->n_pos || f->n_neg) {
		store_tokcache *tc = store_tokens(s, model_id, e);
		if (!tc)
			return STORE_EBAD;
		f->pos_str = arena_alloc(a, (f->n_pos + 1) * sizeof *f->pos_str);
		f->neg_str = arena_alloc(a, (f->n_neg + 1) * sizeof *f->neg_str);
		if (store_map_tokens(s, tc, r.pos_ids, f->n_pos, f->pos_str) |
		    store_map_tokens(s, tc, r.neg_ids, f->n_neg, f->neg_str))
			return store_corrupt(s, e, "logit tokens", &f->id);
	}
	return 0;
}

int store_feature_get(store *s, const saex_fid *id, size_t max_examples, arena *a,
                      store_feature *f, saex_err *e)
{
	memset(f, 0, sizeof *f);
	f->id = *id;
	f->frac_nonzero = -1;
	if (s->pend.active && store_flush_pending(s, e))
		return STORE_EBAD;
	store_src_row src = {0, 0, NULL};
	int rc = store_find_source_row(s, id->model, id->source, a, &src, e);
	if (rc)
		return rc;
	f->hook_name = src.hook_name;
	sqlite3_stmt *st = store_stmt(s, ST_R_FEATURE, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, src.id);
	sqlite3_bind_int64(st, 2, id->index);
	int step = sqlite3_step(st);
	int have_row = step == SQLITE_ROW;
	rc = 0;
	if (have_row)
		rc = store_decode_feature(s, st, src.model_id, a, f, e);
	sqlite3_reset(st);
	if (!have_row && step != SQLITE_DONE)
		return store_fail(s, e, "cannot read features");
	if (rc)
		return rc;
	if ((rc = store_read_expls(s, src.id, id->index, a, &f->expl, &f->n_expl, e)))
		return rc;
	if ((rc = store_read_acts(s, &src, id, max_examples, a, f, e)))
		return rc;
	if (!have_row) {
		if (!f->n_expl && !f->n_acts_total)
			return err_set(e, STORE_NOTFOUND, "%s: no feature %s/%s/%lld", s->path,
			               id->model, id->source, (long long)id->index);
		if (f->n_acts)
			f->max_act = f->acts[0].max_value;
	}
	return 0;
}

int store_catalog(store *s, arena *a, store_cat_row **rows, size_t *n, saex_err *e)
{
	static const char sql[] =
		"SELECT m.name, m.display_name, r.name, coalesce(r.description_short, r.description), "
		"ss.name, ss.description, ss.type, s.name, s.hook_name, s.dataset, "
		"coalesce(m.layers, -1), coalesce(m.dimension, -1), coalesce(s.d_sae, -1), "
		"coalesce(s.num_prompts, -1), coalesce(s.num_tokens_in_prompt, -1), "
		"s.n_features, s.n_activations, s.n_explanations "
		"FROM source s JOIN model m ON m.id = s.model_id "
		"LEFT JOIN source_set ss ON ss.id = s.set_id "
		"LEFT JOIN release r ON r.id = ss.release_id "
		"ORDER BY m.name, r.name IS NULL, r.name, ss.name, "
		"CASE WHEN s.name GLOB '[0-9]*' THEN CAST(s.name AS INTEGER) ELSE -1 END, s.name";
	sqlite3_stmt *st;
	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read the catalog");
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char model[SAEX_ID_MAX], source[SAEX_ID_MAX];
		if (store_col_name(s, st, 0, model, "a model name", e) ||
		    store_col_name(s, st, 7, source, "a source name", e)) {
			sqlite3_finalize(st);
			return STORE_EBAD;
		}
		*rows = arena_grow(a, *rows, *n, &cap, sizeof **rows, 16);
		store_cat_row *r = &(*rows)[(*n)++];
		r->model = arena_strdup(a, model);
		r->model_display = store_col_text(st, 1, a);
		r->release = store_col_text(st, 2, a);
		r->release_desc = store_col_text(st, 3, a);
		r->set = store_col_text(st, 4, a);
		r->set_desc = store_col_text(st, 5, a);
		r->set_type = store_col_text(st, 6, a);
		r->source = arena_strdup(a, source);
		r->hook_name = store_col_text(st, 8, a);
		r->dataset = store_col_text(st, 9, a);
		r->layers = sqlite3_column_int64(st, 10);
		r->dimension = sqlite3_column_int64(st, 11);
		r->d_sae = sqlite3_column_int64(st, 12);
		r->num_prompts = sqlite3_column_int64(st, 13);
		r->num_tokens_in_prompt = sqlite3_column_int64(st, 14);
		r->n_features = sqlite3_column_int64(st, 15);
		r->n_activations = sqlite3_column_int64(st, 16);
		r->n_explanations = sqlite3_column_int64(st, 17);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, e, "cannot read the catalog");
}

int store_source_find(store *s, const char *spec, int64_t *source_id, saex_fid *names,
                      saex_err *e)
{
	const char *slash = strchr(spec, '/');
	sqlite3_stmt *st;
	const char *sql = slash
		? "SELECT s.id, m.name, s.name FROM source s JOIN model m ON m.id = s.model_id "
		  "WHERE m.name = ?1 AND s.name = ?2"
		: "SELECT s.id, m.name, s.name FROM source s JOIN model m ON m.id = s.model_id "
		  "WHERE s.name = ?2";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read sources");
	if (slash) {
		sqlite3_bind_text(st, 1, spec, (int)(slash - spec), SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, slash + 1, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_text(st, 2, spec, -1, SQLITE_TRANSIENT);
	}
	int found = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		found++;
		*source_id = sqlite3_column_int64(st, 0);
		if (store_col_name(s, st, 1, names->model, "a model name", e) ||
		    store_col_name(s, st, 2, names->source, "a source name", e)) {
			sqlite3_finalize(st);
			return STORE_EBAD;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read sources");
	if (found == 0)
		return err_set(e, STORE_NOTFOUND, "%s: no source '%s'", s->path, spec);
	if (found > 1)
		return err_set(e, STORE_NOTFOUND,
		               "%s: source '%s' exists for several models: name it as MODEL/%s",
		               s->path, spec, spec);
	names->index = 0;
	return 0;
}

int store_each_feature(store *s, int64_t source_id, store_feature_cb cb, void *ctx,
                       saex_err *e)
{
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	if (!si)
		return STORE_EBAD;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT max_act, frac_nonzero, data, idx FROM feature "
	                       "WHERE source_id = ?1 ORDER BY idx",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read features");
	sqlite3_bind_int64(st, 1, source_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		arena a = {0};
		store_feature f;
		memset(&f, 0, sizeof f);
		snprintf(f.id.model, sizeof f.id.model, "%s", si->model);
		snprintf(f.id.source, sizeof f.id.source, "%s", si->name);
		ret = store_col_index(s, st, 3, &f.id.index, e);
		if (ret == 0)
			ret = store_decode_feature(s, st, si->model_id, &a, &f, e);
		if (ret == 0)
			ret = store_read_expls(s, source_id, f.id.index, &a, &f.expl, &f.n_expl, e);
		if (ret == 0)
			ret = cb(ctx, &f);
		arena_free(&a);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_fail(s, e, "cannot read features");
	sqlite3_finalize(st);
	return ret;
}

int store_each_activation(store *s, int64_t source_id, store_act_cb cb, void *ctx,
                          saex_err *e)
{
	if (s->pend.active && store_flush_pending(s, e))
		return STORE_EBAD;
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	if (!si)
		return STORE_EBAD;
	store_tokcache *tc = store_tokens(s, si->model_id, e);
	if (!tc)
		return STORE_EBAD;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT idx, data FROM activation WHERE source_id = ?1 ORDER BY idx",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read activations");
	sqlite3_bind_int64(st, 1, source_id);
	int rc, ret = 0;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		arena a = {0};
		int64_t idx = 0;
		store_act *acts = NULL;
		size_t n = 0;
		if (store_col_index(s, st, 0, &idx, e))
			ret = STORE_EBAD;
		else if (store_unpack_acts(s, tc, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
		                           &a, &acts, &n))
			ret = store_damaged(s, e, "the activations of feature %s/%s/%lld", si->model, si->name,
			                    (long long)idx);
		for (size_t i = 0; i < n && ret == 0; i++)
			ret = cb(ctx, idx, &acts[i]);
		arena_free(&a);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_fail(s, e, "cannot read activations");
	sqlite3_finalize(st);
	return ret;
}

int store_each_explanation(store *s, int64_t source_id, store_expl_cb cb, void *ctx,
                           saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT description, type_name, explainer, idx FROM explanation "
	                       "WHERE source_id = ?1 ORDER BY idx, id",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read explanations");
	sqlite3_bind_int64(st, 1, source_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_expl x = {(char *)sqlite3_column_text(st, 0), (char *)sqlite3_column_text(st, 1),
		                (char *)sqlite3_column_text(st, 2)};
		int64_t idx;
		if (!x.description)
			ret = store_damaged(s, e, "an explanation's description is NULL");
		else if (store_col_index(s, st, 3, &idx, e))
			ret = STORE_EBAD;
		else
			ret = cb(ctx, idx, &x);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_fail(s, e, "cannot read explanations");
	sqlite3_finalize(st);
	return ret;
}

int store_feature_rows(store *s, int64_t source_id, store_feat_row **rows, size_t *n,
                       saex_err *e)
{
	*rows = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT idx, frac_nonzero, max_act FROM feature WHERE source_id = ?1 "
	                       "ORDER BY idx",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read features");
	sqlite3_bind_int64(st, 1, source_id);
	size_t cap = 0;
	int rc, damaged = 0;
	while (!damaged && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*rows = xrealloc(*rows, cap * sizeof **rows);
		}
		store_feat_row *r = &(*rows)[(*n)++];
		damaged = store_col_index(s, st, 0, &r->index, e);
		r->frac_nonzero = (float)sqlite3_column_double(st, 1);
		r->max_act = (float)sqlite3_column_double(st, 2);
	}
	int ret = damaged ? STORE_EBAD : rc != SQLITE_DONE ? store_fail(s, e, "cannot read features") : 0;
	sqlite3_finalize(st);
	if (ret) {
		free(*rows);
		*rows = NULL;
		*n = 0;
	}
	return ret;
}

char *store_first_explanation(store *s, int64_t source_id, int64_t index, arena *a)
{
	saex_err e;
	sqlite3_stmt *st = store_stmt(s, ST_R_EXPL, &e);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, index);
	char *d = sqlite3_step(st) == SQLITE_ROW ? store_col_text(st, 0, a) : NULL;
	sqlite3_reset(st);
	return d;
}

int store_weights_get(store *s, int64_t source_id, arena *a, char **model_dir, char **sae_dir,
                      saex_err *e)
{
	*model_dir = *sae_dir = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT model_dir, sae_dir FROM weights WHERE source_id = ?1", -1,
	                       &st, NULL) != SQLITE_OK) {
		/* A file from before the weights table: nothing attached. */
		if (strstr(sqlite3_errmsg(s->db), "no such table"))
			return err_set(e, STORE_NOTFOUND, "%s: no weights attached to this source",
			               s->path);
		return store_fail(s, e, "cannot read the weights");
	}
	sqlite3_bind_int64(st, 1, source_id);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		*model_dir = store_col_text(st, 0, a);
		*sae_dir = store_col_text(st, 1, a);
		ret = *model_dir && *sae_dir
			? 0
			: err_set(e, STORE_EBAD, "%s: damaged weights record", s->path);
	} else if (rc == SQLITE_DONE) {
		ret = err_set(e, STORE_NOTFOUND, "%s: no weights attached to this source", s->path);
	} else {
		ret = store_fail(s, e, "cannot read the weights");
	}
	sqlite3_finalize(st);
	return ret;
}

int store_weights_source(store *s, const char *sae_dir, int64_t *source_id, saex_fid *names, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT w.source_id, m.name, s.name FROM weights w JOIN source s ON s.id = w.source_id "
	                       "JOIN model m ON m.id = s.model_id WHERE w.sae_dir = ?1 LIMIT 2",
	                       -1, &st, NULL) != SQLITE_OK) {
		if (strstr(sqlite3_errmsg(s->db), "no such table"))
			return err_set(e, STORE_NOTFOUND, "%s: no source has %s attached", s->path, sae_dir);
		return store_fail(s, e, "cannot read the weights");
	}
	sqlite3_bind_text(st, 1, sae_dir, -1, SQLITE_TRANSIENT);
	int found = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 1), *n = (const char *)sqlite3_column_text(st, 2);
		*source_id = sqlite3_column_int64(st, 0);
		snprintf(names->model, sizeof names->model, "%s", m ? m : "");
		snprintf(names->source, sizeof names->source, "%s", n ? n : "");
		names->index = -1;
		found++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the weights");
	if (found != 1)
		return err_set(e, STORE_NOTFOUND, "%s: %s sources have %s attached", s->path, found ? "several" : "no",
		               sae_dir);
	return 0;
}

int store_source_facts_get(store *s, int64_t source_id, arena *a, store_source_facts *out, saex_err *e)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT s.hf_repo_id, s.hf_folder_id, m.name, m.tlens_id FROM source s "
	                       "JOIN model m ON m.id = s.model_id WHERE s.id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read the source");
	sqlite3_bind_int64(st, 1, source_id);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		out->hf_repo = store_col_text(st, 0, a);
		out->hf_folder = store_col_text(st, 1, a);
		out->model = store_col_text(st, 2, a);
		out->tlens_id = store_col_text(st, 3, a);
	} else if (rc == SQLITE_DONE) {
		ret = err_set(e, STORE_NOTFOUND, "%s: no source %lld", s->path, (long long)source_id);
	} else {
		ret = store_fail(s, e, "cannot read the source");
	}
	sqlite3_finalize(st);
	return ret;
}

int store_source_local(store *s, const char *model, const char *source)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM meta WHERE key = 'local-source:' || ?1 || '/' || ?2", -1, &st,
	                       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
	int local = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return local;
}

/* The layer a source id names ("9-res-jb": 9), or -1. */
static int store_source_layer(const char *name)
{
	char *end;
	long l = strtol(name, &end, 10);
	return end != name && *end == '-' && l >= 0 && l < 100000 ? (int)l : -1;
}

/* Appends "what got (the source's: want)" to a list of differences. */
static void store_differs(sb *b, const char *what, const char *got, const char *want)
{
	sb_printf(b, "%s%s %s (the source's: %s)", b->n ? ", " : "", what, got, want);
}

int store_weights_fit(store *s, int64_t source_id, const saex_sae *sae, const saex_model *m, char *why, size_t n)
{
	if (saex_sae_fits(sae, m, why, n))
		return -1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT s.name, s.hook_name, coalesce(s.d_sae, -1), m.name, m.tlens_id, "
	                       "coalesce(m.dimension, -1), (SELECT max(idx) FROM feature WHERE source_id = s.id) "
	                       "FROM source s JOIN model m ON m.id = s.model_id WHERE s.id = ?1",
	                       -1, &st, NULL) != SQLITE_OK) {
		saex_err e;
		store_fail(s, &e, "cannot read the source");
		snprintf(why, n, "%s", e.msg);
		return STORE_EBAD;
	}
	sqlite3_bind_int64(st, 1, source_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		snprintf(why, n, "%s: no source %lld", s->path, (long long)source_id);
		sqlite3_finalize(st);
		return STORE_EBAD;
	}
	const saex_sae_info *in = saex_sae_get_info(sae);
	const char *name = (const char *)sqlite3_column_text(st, 0), *hook = (const char *)sqlite3_column_text(st, 1);
	const char *tlens = (const char *)sqlite3_column_text(st, 4);
	int64_t d_sae = sqlite3_column_int64(st, 2), dim = sqlite3_column_int64(st, 5);
	int64_t last = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6);
	sb b = {0};
	char x[64], y[64];
	int layer = name ? store_source_layer(name) : -1;
	if (hook && *hook && strcmp(hook, in->hook_name))
		store_differs(&b, "hook", in->hook_name, hook);
	else if ((!hook || !*hook) && layer >= 0 && in->layer >= 0 && layer != in->layer) {
		snprintf(x, sizeof x, "%d", in->layer);
		snprintf(y, sizeof y, "%d", layer);
		store_differs(&b, "layer", x, y);
	}
	if (d_sae > 0 && d_sae != in->d_sae) {
		snprintf(x, sizeof x, "%lld", (long long)in->d_sae);
		snprintf(y, sizeof y, "%lld", (long long)d_sae);
		store_differs(&b, "d_sae", x, y);
	} else if (last >= in->d_sae) {
		snprintf(x, sizeof x, "%lld", (long long)in->d_sae);
		snprintf(y, sizeof y, "features up to %lld", (long long)last);
		store_differs(&b, "d_sae", x, y);
	}
	if (dim > 0 && dim != saex_model_config_of(m)->d_model) {
		snprintf(x, sizeof x, "%d", saex_model_config_of(m)->d_model);
		snprintf(y, sizeof y, "%lld", (long long)dim);
		store_differs(&b, "d_model", x, y);
	}
	const char *model = (const char *)sqlite3_column_text(st, 3);
	if (tlens && *tlens && *in->model_name && strcasecmp(in->model_name, tlens) &&
	    (!model || strcasecmp(in->model_name, model)))
		store_differs(&b, "model", in->model_name, tlens);
	sqlite3_finalize(st);
	if (!b.n)
		return 0;
	snprintf(why, n, "%s", b.p);
	sb_free(&b);
	return -1;
}

int store_weights_mark_forced(store *s, int64_t source_id, const char *model_dir, const char *sae_dir, saex_err *e)
{
	sqlite3_stmt *st;
	const char *sql = model_dir ? "INSERT OR REPLACE INTO meta(key, value) VALUES ('forced-weights:' || ?1, ?2)"
	                            : "DELETE FROM meta WHERE key = 'forced-weights:' || ?1";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot record the weights");
	sqlite3_bind_int64(st, 1, source_id);
	char *v = model_dir ? xasprintf("%s\n%s", model_dir, sae_dir) : NULL;
	if (v)
		sqlite3_bind_text(st, 2, v, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_fail(s, e, "cannot record the weights");
	sqlite3_finalize(st);
	free(v);
	return rc;
}

int store_weights_forced(store *s, int64_t source_id, const char *model_dir, const char *sae_dir)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'forced-weights:' || ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, source_id);
	int forced = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0), *nl = v ? strchr(v, '\n') : NULL;
		forced = nl && strlen(model_dir) == (size_t)(nl - v) && !strncmp(v, model_dir, (size_t)(nl - v)) &&
		         !strcmp(nl + 1, sae_dir);
	}
	sqlite3_finalize(st);
	return forced;
}
