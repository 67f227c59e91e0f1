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

/* Queries whose words all match more than SEARCH_COMMON explanations rank
 * only the first SEARCH_WINDOW_S matches; a very common word next to rarer
 * ones is left out. Ranking costs time in proportion to the rows ranked, so
 * this bounds every search. */
#define SEARCH_COMMON 5000
#define SEARCH_WINDOW_S "500"

/* Documents holding a term, from the FTS5 vocabulary; 0 when unknown. */
static int64_t store_term_docs(store *s, const char *term)
{
	if (!s->vocab_ready) {
		s->vocab_ready = sqlite3_exec(s->db, "CREATE VIRTUAL TABLE IF NOT EXISTS "
		                                     "temp.saex_vocab USING fts5vocab(main, "
		                                     "'explanation_fts', 'row')",
		                              NULL, NULL, NULL) == SQLITE_OK ? 1 : -1;
	}
	if (s->vocab_ready < 0)
		return 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT doc FROM temp.saex_vocab WHERE term = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, term, -1, SQLITE_TRANSIENT);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return n;
}

typedef struct search_plan {
	char *fts;      /* the FTS5 query */
	int window;     /* rank only the first SEARCH_WINDOW_S matches */
} search_plan;

/* Builds the FTS5 query. Plain words are quoted and all required; the last
 * one matches as a prefix when it has 3 or more characters and no
 * explanation holds it as a whole word (the user is typing it); a query
 * holding FTS5 syntax (" * ( ) : ^) is used as given. */
static int store_search_plan(store *s, const char *q, search_plan *p)
{
	memset(p, 0, sizeof *p);
	if (strpbrk(q, "\"*():^")) {
		p->fts = xstrdup(q);
		return 0;
	}
	typedef struct { const unsigned char *w; size_t n; int64_t docs; } word;
	word *ws = NULL;
	size_t nw = 0, cap = 0;
	const unsigned char *c = (const unsigned char *)q;
	while (*c) {
		while (*c && (isspace(*c) || (*c < 0x80 && !isalnum(*c) && *c != '\'' && *c != '-')))
			c++;
		if (!*c)
			break;
		const unsigned char *w = c;
		while (*c && !isspace(*c))
			c++;
		if (nw == cap) {
			cap = cap ? cap * 2 : 8;
			ws = xrealloc(ws, cap * sizeof *ws);
		}
		ws[nw] = (word){w, (size_t)(c - w), 0};
		/* Plain ASCII words are single FTS5 tokens: look up how common. */
		char term[64];
		size_t k = 0;
		int plain = ws[nw].n < sizeof term;
		for (size_t i = 0; plain && i < ws[nw].n; i++) {
			if (!isalnum(w[i]))
				plain = 0;
			else
				term[k++] = (char)tolower(w[i]);
		}
		term[k] = 0;
		if (plain)
			ws[nw].docs = store_term_docs(s, term);
		nw++;
	}
	if (nw == 0) {
		free(ws);
		return -1;
	}
	int rare = 0;
	for (size_t i = 0; i < nw; i++)
		rare += ws[i].docs <= SEARCH_COMMON;
	p->window = rare == 0;
	sb b = {0};
	for (size_t i = 0; i < nw; i++) {
		if (rare && ws[i].docs > SEARCH_COMMON)
			continue;
		if (b.n)
			sb_addc(&b, ' ');
		sb_addc(&b, '"');
		for (size_t j = 0; j < ws[i].n; j++) {
			if (ws[i].w[j] == '"')
				sb_addc(&b, '"');
			sb_addc(&b, (char)ws[i].w[j]);
		}
		sb_addc(&b, '"');
		if (i == nw - 1 && ws[i].n >= 3 && ws[i].docs == 0)
			sb_addc(&b, '*');
	}
	free(ws);
	p->fts = b.p;
	return 0;
}

/* The explanation row ids of the scope, as a range. */
static void store_search_range(store *s, const char *model, const char *source, int64_t *lo,
                               int64_t *hi)
{
	*lo = 0;
	*hi = INT64_MAX;
	if (!model && !source)
		return;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT min(x.id), max(x.id) FROM source s "
	                       "JOIN model m ON m.id = s.model_id "
	                       "JOIN explanation x ON x.source_id = s.id "
	                       "WHERE (?1 IS NULL OR m.name = ?1) AND (?2 IS NULL OR s.name = ?2)",
	                       -1, &st, NULL) != SQLITE_OK)
		return;
	store_bind_text(st, 1, model);
	store_bind_text(st, 2, source);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*lo = sqlite3_column_int64(st, 0);
		*hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

int store_search(store *s, const char *query, const char *model, const char *source,
                 size_t limit, arena *a, store_hit **hits, size_t *n, saex_err *e)
{
	*hits = NULL;
	*n = 0;
	search_plan plan;
	if (store_search_plan(s, query, &plan))
		return err_set(e, STORE_NOTFOUND, "empty search query");
	int64_t lo, hi;
	store_search_range(s, model, source, &lo, &hi);
	int rc;
	sqlite3_stmt *st;
	/* Rank inside FTS5 first (bounded by the plan), then join and filter.
	 * bm25 works out each word's rarity by walking its whole list of
	 * matches, milliseconds for a very common word; when every word is
	 * common, every match holds them all and bm25's order comes down to
	 * how often they occur and how long the text is: the window is ranked
	 * by length (exact when each word occurs once). */
	const char *rank = plan.window
		? "SELECT f.rowid AS id, length(x2.description) AS rank FROM explanation_fts f "
		  "JOIN explanation x2 ON x2.id = f.rowid WHERE explanation_fts MATCH ?1 "
		  "AND f.rowid BETWEEN ?5 AND ?6 ORDER BY f.rowid LIMIT " SEARCH_WINDOW_S
		: "SELECT rowid AS id, bm25(explanation_fts) AS rank FROM explanation_fts "
		  "WHERE explanation_fts MATCH ?1 AND rowid BETWEEN ?5 AND ?6";
	sb q = {0};
	sb_printf(&q,
	          "SELECT m.name, s.name, x.idx, x.description, x.type_name, x.explainer, "
	          "coalesce(f.frac_nonzero, -1), coalesce(f.max_act, 0), hit.rank "
	          "FROM (SELECT id, rank FROM (%s) ORDER BY rank, id LIMIT ?7) hit "
	          "JOIN explanation x ON x.id = hit.id "
	          "JOIN source s ON s.id = x.source_id JOIN model m ON m.id = s.model_id "
	          "LEFT JOIN feature f ON f.source_id = x.source_id AND f.idx = x.idx "
	          "WHERE (?2 IS NULL OR m.name = ?2) AND (?3 IS NULL OR s.name = ?3) "
	          "ORDER BY hit.rank, hit.id LIMIT ?4",
	          rank);
	const char *sql = q.p;
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	sb_free(&q);
	if (rc != SQLITE_OK) {
		free(plan.fts);
		return store_fail(s, e, "cannot search");
	}
	sqlite3_bind_text(st, 1, plan.fts, -1, SQLITE_TRANSIENT);
	store_bind_text(st, 2, model);
	store_bind_text(st, 3, source);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
	sqlite3_bind_int64(st, 5, lo);
	sqlite3_bind_int64(st, 6, hi);
	/* Unscoped, FTS5 keeps only the best `limit`; scoped, the filter comes
	 * after ranking, so every match in the range is ranked. */
	sqlite3_bind_int64(st, 7, model || source ? -1 : (sqlite3_int64)limit);
	free(plan.fts);
	int plan_window = plan.window;
	size_t cap = 0;
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*hits = arena_grow(a, *hits, *n, &cap, sizeof **hits, 16);
		store_hit *h = &(*hits)[(*n)++];
		if (store_col_name(s, st, 0, h->id.model, "a model name", e) ||
		    store_col_name(s, st, 1, h->id.source, "a source name", e) ||
		    store_col_index(s, st, 2, &h->id.index, e) ||
		    !(h->description = store_col_req(s, st, 3, a, "an explanation's description", e))) {
			ret = STORE_EBAD;
			break;
		}
		h->type_name = store_col_text(st, 4, a);
		h->explainer = store_col_text(st, 5, a);
		h->frac_nonzero = sqlite3_column_double(st, 6);
		h->max_act = sqlite3_column_double(st, 7);
		h->score = plan_window ? 0 : -sqlite3_column_double(st, 8);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		/* FTS5 says SQLITE_ERROR for a query it cannot parse ("unterminated
		 * string", "unknown special query"): the query's fault, not the
		 * database's, which fails with CORRUPT, IOERR and the like. */
		if (sqlite3_errcode(s->db) == SQLITE_ERROR)
			ret = err_set(e, STORE_NOTFOUND, "bad search query '%s': %s", query, sqlite3_errmsg(s->db));
		else
			ret = store_fail(s, e, "cannot search");
	}
	sqlite3_finalize(st);
	return ret;
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

int store_match_indexes(store *s, int64_t source_id, const char *query, int64_t **idx,
                        size_t *n, saex_err *e)
{
	*idx = NULL;
	*n = 0;
	search_plan plan;
	if (store_search_plan(s, query, &plan))
		return err_set(e, STORE_NOTFOUND, "empty filter");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT DISTINCT x.idx FROM explanation_fts f "
	                       "JOIN explanation x ON x.id = f.rowid "
	                       "WHERE explanation_fts MATCH ?1 AND x.source_id = ?2 ORDER BY x.idx",
	                       -1, &st, NULL) != SQLITE_OK) {
		free(plan.fts);
		return store_fail(s, e, "cannot filter");
	}
	sqlite3_bind_text(st, 1, plan.fts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, source_id);
	free(plan.fts);
	size_t cap = 0;
	int rc;
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			*idx = xrealloc(*idx, cap * sizeof **idx);
		}
		if ((ret = store_col_index(s, st, 0, &(*idx)[(*n)++], e)))
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = err_set(e, STORE_NOTFOUND, "bad filter '%s': %s", query, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return ret;
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

int store_source_hf(store *s, int64_t source_id, arena *a, char **repo, char **folder, saex_err *e)
{
	*repo = *folder = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT hf_repo_id, hf_folder_id FROM source WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_fail(s, e, "cannot read the source");
	sqlite3_bind_int64(st, 1, source_id);
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW) {
		*repo = store_col_text(st, 0, a);
		*folder = store_col_text(st, 1, a);
	} else if (rc == SQLITE_DONE) {
		ret = err_set(e, STORE_NOTFOUND, "%s: no source %lld", s->path, (long long)source_id);
	} else {
		ret = store_fail(s, e, "cannot read the source");
	}
	sqlite3_finalize(st);
	return ret;
}
