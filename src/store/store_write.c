/* store_write.c - catalog upserts, interning and data rows. */
#include "config.h"
#include "store_int.h"
#include "pack.h"
#include "actpack.h"
#include "frec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int store_step_done(store *s, sqlite3_stmt *st, saex_err *e, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(s, e, what);
	return 0;
}

static void store_bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Row id of a model by name, created when create is set; 0 if absent. */
static int store_model_rowid(store *s, const char *name, int create, int64_t *id, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_MODEL_ID, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read models");
	if (*id || !create)
		return 0;
	st = store_stmt(s, ST_MODEL_INS, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (store_step_done(s, st, e, "cannot add a model"))
		return STORE_EBAD;
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int store_set_rowid(store *s, int64_t model_id, const char *name, int64_t *id,
                           saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_SET_INS, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, model_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	if (store_step_done(s, st, e, "cannot add a source set"))
		return STORE_EBAD;
	st = store_stmt(s, ST_SET_ID, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, model_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, e, "cannot read source sets");
}

/* "9-res-jb" -> "res-jb"; "20-gemmascope-res-16k__l0-81" -> "gemmascope-res-16k". */
static char *store_set_from_source(const char *source)
{
	const char *dash = strchr(source, '-');
	const char *start = dash ? dash + 1 : source;
	const char *suffix = strstr(start, "__");
	size_t n = suffix ? (size_t)(suffix - start) : strlen(start);
	if (n == 0)
		return xstrdup(source);
	return xstrndup(start, n);
}

int store_source_ensure(store *s, const char *model, const char *source, int64_t *source_id,
                        saex_err *e)
{
	for (size_t i = s->n_src; i-- > 0;) {
		if (strcmp(s->src[i].name, source) == 0 && strcmp(s->src[i].model, model) == 0) {
			*source_id = s->src[i].id;
			return 0;
		}
	}
	sqlite3_stmt *st = store_stmt(s, ST_SOURCE_ID, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	int64_t id = 0, model_id = 0;
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		model_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read sources");
	if (!id) {
		int64_t set_id;
		char *set = store_set_from_source(source);
		rc = store_model_rowid(s, model, 1, &model_id, e);
		if (rc == 0)
			rc = store_set_rowid(s, model_id, set, &set_id, e);
		free(set);
		if (rc)
			return rc;
		st = store_stmt(s, ST_SOURCE_INS, e);
		if (!st)
			return STORE_EBAD;
		sqlite3_bind_int64(st, 1, model_id);
		sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, set_id);
		if (store_step_done(s, st, e, "cannot add a source"))
			return STORE_EBAD;
		id = sqlite3_last_insert_rowid(s->db);
	}
	s->src = xrealloc(s->src, (s->n_src + 1) * sizeof *s->src);
	store_srcinfo *si = &s->src[s->n_src++];
	memset(si, 0, sizeof *si);
	si->id = id;
	si->model_id = model_id;
	si->model = xstrdup(model);
	si->name = xstrdup(source);
	*source_id = id;
	return 0;
}

int store_put_model(store *s, const store_model_rec *r, saex_err *e)
{
	int64_t id;
	if (store_model_rowid(s, r->name, 1, &id, e))
		return STORE_EBAD;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "UPDATE model SET display_name = coalesce(?2, display_name), "
	                       "layers = coalesce(?3, layers), dimension = coalesce(?4, dimension), "
	                       "tlens_id = coalesce(?5, tlens_id), owner = coalesce(?6, owner) "
	                       "WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot update a model");
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, r->display_name);
	store_bind_int_or_null(st, 3, r->layers);
	store_bind_int_or_null(st, 4, r->dimension);
	store_bind_text(st, 5, r->tlens_id);
	store_bind_text(st, 6, r->owner);
	int rc = store_step_done(s, st, e, "cannot update a model");
	sqlite3_finalize(st);
	return rc;
}

static int store_release_rowid(store *s, const char *name, int64_t *id, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO release(name) VALUES (?1) "
	                              "ON CONFLICT(name) DO UPDATE SET name = name RETURNING id",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot add a release");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, e, "cannot add a release");
}

int store_put_release(store *s, const store_release_rec *r, saex_err *e)
{
	int64_t id;
	if (store_release_rowid(s, r->name, &id, e))
		return STORE_EBAD;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "UPDATE release SET description = coalesce(?2, description), "
	                       "description_short = coalesce(?3, description_short), "
	                       "creator_name = coalesce(?4, creator_name), "
	                       "urls = coalesce(?5, urls) WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot update a release");
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, r->description);
	store_bind_text(st, 3, r->description_short);
	store_bind_text(st, 4, r->creator_name);
	store_bind_text(st, 5, r->urls);
	int rc = store_step_done(s, st, e, "cannot update a release");
	sqlite3_finalize(st);
	return rc;
}

int store_put_set(store *s, const store_set_rec *r, saex_err *e)
{
	int64_t model_id, set_id, release_id = 0;
	if (store_model_rowid(s, r->model, 1, &model_id, e) ||
	    store_set_rowid(s, model_id, r->name, &set_id, e))
		return STORE_EBAD;
	if (r->release && store_release_rowid(s, r->release, &release_id, e))
		return STORE_EBAD;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "UPDATE source_set SET release_id = coalesce(?2, release_id), "
	                       "description = coalesce(?3, description), type = coalesce(?4, type), "
	                       "creator_name = coalesce(?5, creator_name), urls = coalesce(?6, urls) "
	                       "WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot update a source set");
	sqlite3_bind_int64(st, 1, set_id);
	store_bind_int_or_null(st, 2, release_id ? release_id : -1);
	store_bind_text(st, 3, r->description);
	store_bind_text(st, 4, r->type);
	store_bind_text(st, 5, r->creator_name);
	store_bind_text(st, 6, r->urls);
	int rc = store_step_done(s, st, e, "cannot update a source set");
	sqlite3_finalize(st);
	return rc;
}

int store_put_source(store *s, const store_source_rec *r, saex_err *e)
{
	int64_t source_id, set_id = -1;
	if (store_source_ensure(s, r->model, r->name, &source_id, e))
		return STORE_EBAD;
	if (r->set) {
		store_srcinfo *si = store_srcinfo_get(s, source_id, e);
		if (!si || store_set_rowid(s, si->model_id, r->set, &set_id, e))
			return STORE_EBAD;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "UPDATE source SET set_id = coalesce(?2, set_id), "
	                       "hook_name = coalesce(?3, hook_name), d_sae = coalesce(?4, d_sae), "
	                       "hf_repo_id = coalesce(?5, hf_repo_id), "
	                       "hf_folder_id = coalesce(?6, hf_folder_id), "
	                       "saelens_config = coalesce(?7, saelens_config), "
	                       "num_prompts = coalesce(?8, num_prompts), "
	                       "num_tokens_in_prompt = coalesce(?9, num_tokens_in_prompt), "
	                       "dataset = coalesce(?10, dataset) WHERE id = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot update a source");
	sqlite3_bind_int64(st, 1, source_id);
	store_bind_int_or_null(st, 2, set_id);
	store_bind_text(st, 3, r->hook_name);
	store_bind_int_or_null(st, 4, r->d_sae);
	store_bind_text(st, 5, r->hf_repo_id);
	store_bind_text(st, 6, r->hf_folder_id);
	store_bind_text(st, 7, r->saelens_config);
	store_bind_int_or_null(st, 8, r->num_prompts);
	store_bind_int_or_null(st, 9, r->num_tokens_in_prompt);
	store_bind_text(st, 10, r->dataset);
	int rc = store_step_done(s, st, e, "cannot update a source");
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------ interning */

static store_interned *store_interned_get(store *s, int64_t model_id, saex_err *e)
{
	for (size_t i = 0; i < s->n_intr; i++)
		if (s->intr[i].model_id == model_id)
			return &s->intr[i];
	sqlite3_stmt *st = store_stmt(s, ST_R_TOKENS, e);
	if (!st)
		return NULL;
	intern *m = intern_new();
	uint32_t next = 0;
	sqlite3_bind_int64(st, 1, model_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t id = (uint32_t)sqlite3_column_int64(st, 0);
		const char *p = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		intern_add(m, p ? p : "", n, hash_bytes(HASH_SEED, p, n), id);
		if (id >= next)
			next = id + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		intern_free(m);
		store_fail(s, e, "cannot read tokens");
		return NULL;
	}
	s->intr = xrealloc(s->intr, (s->n_intr + 1) * sizeof *s->intr);
	store_interned *r = &s->intr[s->n_intr++];
	r->model_id = model_id;
	r->map = m;
	r->next_id = next;
	return r;
}

/* Fills ids[0..n) with the interned ids of the strings, adding new ones. */
static int store_intern(store *s, int64_t model_id, const store_str *strs, size_t n,
                        uint32_t *ids, saex_err *e)
{
	store_interned *ti = store_interned_get(s, model_id, e);
	if (!ti)
		return STORE_EBAD;
	for (size_t i = 0; i < n; i++) {
		const char *p = strs[i].p ? strs[i].p : "";
		uint64_t h = hash_bytes(HASH_SEED, p, strs[i].n);
		int64_t id = intern_find(ti->map, p, strs[i].n, h);
		if (id < 0) {
			sqlite3_stmt *st = store_stmt(s, ST_TOKEN_INS, e);
			if (!st)
				return STORE_EBAD;
			id = ti->next_id++;
			sqlite3_bind_int64(st, 1, model_id);
			sqlite3_bind_int64(st, 2, id);
			sqlite3_bind_blob(st, 3, p, (int)strs[i].n, SQLITE_STATIC);
			if (store_step_done(s, st, e, "cannot add a token"))
				return STORE_EBAD;
			intern_add(ti->map, p, strs[i].n, h, (uint32_t)id);
		}
		ids[i] = (uint32_t)id;
	}
	return 0;
}

static uint32_t *store_ids(store *s, size_t n)
{
	if (n > s->ids_cap) {
		s->ids_cap = n * 2;
		s->ids = xrealloc(s->ids, s->ids_cap * sizeof *s->ids);
	}
	return s->ids;
}

/* ------------------------------------------------------------ rows */


/* The stored row of a feature: its scalars and record (decoded into a,
 * the blob's bytes copied to raw). 1 when there is one, 0 when not, -1 on
 * a failure (*e). A record that does not decode counts as absent parts. */
static int store_feature_stored(store *s, int64_t source_id, int64_t idx, arena *a, double *max_act,
                                double *frac, frec *r, sb *raw, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_R_FEATURE, e);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, idx);
	int rc = sqlite3_step(st), have = rc == SQLITE_ROW;
	memset(r, 0, sizeof *r);
	if (have) {
		*max_act = sqlite3_column_double(st, 0);
		*frac = sqlite3_column_double(st, 1);
		const void *b = sqlite3_column_blob(st, 2);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		sb_add(raw, b ? b : "", n);
		if (frec_unpack(b, n, a, r))
			memset(r, 0, sizeof *r); /* damaged: the new row replaces it whole */
	}
	sqlite3_reset(st);
	if (!have && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read features"), -1;
	return have;
}

/* Writes a feature row: ins for a new one, else an update. */
static int store_feature_write(store *s, int ins, int64_t source_id, int64_t idx, double max_act, double frac,
                               const sb *blob, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ins ? ST_FEAT_INS : ST_FEAT_UPD, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, idx);
	sqlite3_bind_double(st, 3, max_act);
	sqlite3_bind_double(st, 4, frac);
	sqlite3_bind_blob(st, 5, blob->p, (int)blob->n, SQLITE_STATIC);
	return store_step_done(s, st, e, "cannot store a feature");
}

int store_put_feature(store *s, int64_t source_id, const store_feature_in *f, int *added,
                      saex_err *e)
{
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	if (!si)
		return STORE_EBAD;
	size_t np = f->n_pos, nn = f->n_neg;
	uint32_t *ids = store_ids(s, np + nn + 1);
	if (store_intern(s, si->model_id, f->pos_str, np, ids, e) ||
	    store_intern(s, si->model_id, f->neg_str, nn, ids + np, e))
		return STORE_EBAD;
	frec in = {f->freq_h, f->freq_v, f->n_freq, f->lhist_h, f->lhist_v, f->n_lhist, ids, f->pos_v, np,
	           ids + np, f->neg_v, nn, f->cos_idx, f->cos_v, f->n_cos, f->extra_json,
	           f->extra_json ? strlen(f->extra_json) : 0};
	arena a = {0};
	frec old, rec = in;
	double old_max = 0, old_frac = -1;
	sb *raw = &s->scratch[3], *blob = &s->scratch[0];
	sb_clear(raw);
	sb_clear(blob);
	int have = store_feature_stored(s, source_id, f->index, &a, &old_max, &old_frac, &old, raw, e), rc = 0;
	if (have < 0) {
		arena_free(&a);
		return STORE_EBAD;
	}
	/* Merge: what the row has replaces the stored value, what it lacks keeps it. */
	if (have && frec_merge(&old, &in, &a, &rec))
		rc = err_set(e, STORE_EBAD, "%s: out of memory", s->path);
	double max_act = !isnan(f->max_act) ? f->max_act : have ? old_max : 0;
	double frac = f->frac_nonzero >= 0 || !have ? f->frac_nonzero : old_frac;
	if (!rc && frec_pack(blob, &rec))
		rc = err_set(e, STORE_EBAD, "%s: cannot compress a feature", s->path);
	arena_free(&a);
	if (rc)
		return rc;
	if (have && max_act == old_max && frac == old_frac && blob->n == raw->n && memcmp(blob->p, raw->p, raw->n) == 0) {
		*added = STORE_SAME;
		return 0;
	}
	if (store_feature_write(s, !have, source_id, f->index, max_act, frac, blob, e))
		return STORE_EBAD;
	*added = have ? STORE_UPDATED : STORE_ADDED;
	if (!have)
		si->d_features++;
	return 0;
}

void store_drop_pending(store *s)
{
	/* Keep the memory: one feature follows another in an import. */
	arena_reset(&s->pend.mem);
	s->pend.active = s->pend.dirty = 0;
	s->pend.n = 0;
}

void store_free_pending(store *s)
{
	arena_free(&s->pend.mem);
	free(s->pend.ex);
	memset(&s->pend, 0, sizeof s->pend);
}

int store_flush_pending(store *s, saex_err *e)
{
	store_pending *p = &s->pend;
	int rc = 0;
	if (p->active && p->dirty) {
		sb *blob = &s->scratch[1];
		sb_clear(blob);
		if (actpack_encode(blob, p->ex, p->n)) {
			rc = err_set(e, STORE_EBAD, "%s: cannot compress activations", s->path);
		} else {
			sqlite3_stmt *st = store_stmt(s, ST_ACT_PUT, e);
			if (!st) {
				rc = STORE_EBAD;
			} else {
				sqlite3_bind_int64(st, 1, p->source_id);
				sqlite3_bind_int64(st, 2, p->idx);
				sqlite3_bind_int64(st, 3, (sqlite3_int64)p->n);
				sqlite3_bind_blob(st, 4, blob->p, (int)blob->n, SQLITE_STATIC);
				rc = store_step_done(s, st, e, "cannot store activations");
			}
		}
	}
	store_drop_pending(s);
	return rc;
}

/* Makes (source_id, idx) the pending feature, loading the examples it
 * already has. */
static int store_pending_start(store *s, int64_t source_id, int64_t idx, saex_err *e)
{
	store_pending *p = &s->pend;
	if (p->active && p->source_id == source_id && p->idx == idx)
		return 0;
	if (store_flush_pending(s, e))
		return STORE_EBAD;
	p->active = 1;
	p->source_id = source_id;
	p->idx = idx;
	sqlite3_stmt *st = store_stmt(s, ST_ACT_GET, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, idx);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		actpack_ex *ex;
		size_t n;
		if (actpack_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		                   &p->mem, &ex, &n) == 0) {
			if (n + 16 > p->cap) {
				p->cap = n + 16;
				p->ex = xrealloc(p->ex, p->cap * sizeof *p->ex);
			}
			memcpy(p->ex, ex, n * sizeof *ex);
			p->n = n;
		} else {
			ret = err_set(e, STORE_EBAD, "%s: damaged activations of feature %lld", s->path,
			              (long long)idx);
		}
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(s, e, "cannot read activations");
	}
	sqlite3_reset(st);
	return ret;
}

int store_put_activation(store *s, int64_t source_id, const store_act_in *a, int *added,
                         saex_err *e)
{
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	if (!si)
		return STORE_EBAD;
	if (a->n > UINT32_MAX / 2)
		return err_set(e, STORE_EBAD, "%s: an example of %zu tokens is too long", s->path, a->n);
	uint32_t *ids = store_ids(s, a->n + 1);
	if (store_intern(s, si->model_id, a->tokens, a->n, ids, e))
		return STORE_EBAD;
	uint64_t h;
	if (a->key && a->key_len) {
		h = hash_bytes(HASH_SEED, "id:", 3);
		h = hash_bytes(h, a->key, a->key_len);
	} else {
		h = hash_bytes(HASH_SEED, ids, a->n * sizeof *ids);
		h = hash_bytes(h, a->values, a->n * sizeof *a->values);
		h = hash_bytes(h, &a->bin_min, sizeof a->bin_min);
		h = hash_bytes(h, &a->dup, sizeof a->dup);
	}
	uint32_t key = (uint32_t)(h >> 32) ^ (uint32_t)h;
	if (store_pending_start(s, source_id, a->index, e))
		return STORE_EBAD;
	store_pending *p = &s->pend;
	*added = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->ex[i].key == key)
			return 0;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->ex = xrealloc(p->ex, p->cap * sizeof *p->ex);
	}
	actpack_ex *x = &p->ex[p->n++];
	x->key = key;
	x->n = (uint32_t)a->n;
	x->max_index = (int32_t)a->max_index;
	x->max_value = (float)a->max_value;
	x->min_value = (float)a->min_value;
	x->bin_min = (float)a->bin_min;
	x->bin_max = (float)a->bin_max;
	x->bin_contains = (float)a->bin_contains;
	x->ids = arena_alloc(&p->mem, (a->n + 1) * sizeof *x->ids);
	memcpy(x->ids, ids, a->n * sizeof *ids);
	x->values = arena_alloc(&p->mem, (a->n + 1) * sizeof *x->values);
	memcpy(x->values, a->values, a->n * sizeof *a->values);
	p->dirty = 1;
	*added = 1;
	si->d_acts++;
	return 0;
}

int store_put_explanation(store *s, int64_t source_id, const store_expl_in *x, int *added,
                          saex_err *e)
{
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	if (!si)
		return STORE_EBAD;
	static const char zero = 0;
	uint64_t h = hash_bytes(HASH_SEED, x->description, strlen(x->description));
	h = hash_bytes(h, &zero, 1);
	if (x->type_name)
		h = hash_bytes(h, x->type_name, strlen(x->type_name));
	h = hash_bytes(h, &zero, 1);
	if (x->explainer)
		h = hash_bytes(h, x->explainer, strlen(x->explainer));
	sb *eb = &s->scratch[2];
	sb_clear(eb);
	if (x->n_embedding)
		pack_floats(eb, x->embedding, x->n_embedding);

	sqlite3_stmt *st = store_stmt(s, ST_EXPL_INS, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, x->index);
	sqlite3_bind_int64(st, 3, (int64_t)(h >> 16));
	sqlite3_bind_text(st, 4, x->description, -1, SQLITE_STATIC);
	store_bind_text(st, 5, x->type_name);
	store_bind_text(st, 6, x->explainer);
	if (x->n_embedding)
		sqlite3_bind_blob(st, 7, eb->p, (int)eb->n, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	if (store_step_done(s, st, e, "cannot store an explanation"))
		return STORE_EBAD;
	*added = sqlite3_changes(s->db) == 1;
	if (!*added)
		return 0;
	int64_t rowid = sqlite3_last_insert_rowid(s->db);
	st = store_stmt(s, ST_FTS_INS, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_text(st, 2, x->description, -1, SQLITE_STATIC);
	if (store_step_done(s, st, e, "cannot index an explanation"))
		return STORE_EBAD;
	si->d_expls++;
	return 0;
}

int store_batch_done(store *s, const char *key)
{
	saex_err e;
	sqlite3_stmt *st = store_stmt(s, ST_BATCH_DONE, &e);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	int done = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return done;
}

int store_batch_mark(store *s, const char *key, const char *kind, const char *path,
                     long lines, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_BATCH_MARK, e);
	if (!st)
		return STORE_EBAD;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, lines);
	return store_step_done(s, st, e, "cannot record the batch");
}

/* The DDL of data/schema.sql's weights table, for files written before it. */
#define STORE_WEIGHTS_DDL                                                               \
	"CREATE TABLE IF NOT EXISTS weights (source_id INTEGER PRIMARY KEY, "               \
	"model_dir TEXT NOT NULL, sae_dir TEXT NOT NULL)"

int store_weights_put(store *s, int64_t source_id, const char *model_dir, const char *sae_dir,
                      saex_err *e)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, STORE_WEIGHTS_DDL, NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return store_fail(s, e, "cannot add the weights table");
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO weights(source_id, model_dir, sae_dir) "
	                       "VALUES (?1, ?2, ?3)",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot record the weights");
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_text(st, 2, model_dir, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, sae_dir, -1, SQLITE_TRANSIENT);
	int rc = store_step_done(s, st, e, "cannot record the weights");
	sqlite3_finalize(st);
	return rc;
}

int store_source_mark_local(store *s, const char *model, const char *source, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('local-source:' || ?1 || '/' || ?2, "
	                       "'saex build')", -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot mark the source");
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_TRANSIENT);
	int rc = store_step_done(s, st, e, "cannot mark the source");
	sqlite3_finalize(st);
	return rc;
}
