/* store_search.c - full-text search over explanations (pages of results
 * and their count) and the feature list's filter. See store.h. */
#include "config.h"
#include "store_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Queries whose words all match more than SEARCH_COMMON explanations rank
 * their matches in blocks of SEARCH_BLOCK (in database order), each block
 * shortest text first; a very common word next to rarer ones is left out.
 * Ranking costs time in proportion to the rows ranked, so this bounds the
 * work of every page. */
#define SEARCH_COMMON 5000
#define SEARCH_BLOCK 500

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
	int blocks;     /* rank in blocks of SEARCH_BLOCK, shortest first */
	int syntax;     /* the query is FTS5 syntax, passed as given */
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
		p->syntax = 1;
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
	p->blocks = rare == 0;
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

/* An error of a statement that ran a query: the query's fault (FTS5 syntax,
 * a column filter that names no column: SQLITE_ERROR) is a sentence about
 * the query; anything else is the database's. */
static int store_query_fail(store *s, saex_err *e, const char *query, const char *what)
{
	if (sqlite3_errcode(s->db) == SQLITE_ERROR)
		return err_set(e, STORE_NOTFOUND,
		               "'%s' is not a query saex can run (%s): words are searched as they are, "
		               "unless the query holds one of \" * ( ) : ^, which make it FTS5 syntax "
		               "(quote a phrase as \"...\", end a prefix with *)",
		               query, sqlite3_errmsg(s->db));
	return store_fail(s, e, what);
}

/* The sources a search covers, as names (NULL: any) and the range of
 * explanation row ids they hold; pure: every explanation in the range is
 * in scope, so counting needs no join. */
typedef struct search_scope {
	const char *model, *source;
	int64_t lo, hi;
	int pure;
} search_scope;

/* Explanation ids of one source: [lo, hi] and how many (cached). */
static int store_expl_range(store *s, store_srcinfo *si, saex_err *e)
{
	if (si->x_known)
		return 0;
	sqlite3_stmt *st;
	/* One source holding every explanation (the usual file): the table's
	 * ends are its range, found without reading its rows. */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT (SELECT min(id) FROM explanation), (SELECT max(id) FROM explanation), "
	                       "(SELECT sum(n_explanations) FROM source), "
	                       "(SELECT n_explanations FROM source WHERE id = ?1)",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read explanations");
	sqlite3_bind_int64(st, 1, si->id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
		int64_t all = sqlite3_column_int64(st, 2), mine = sqlite3_column_int64(st, 3);
		if (mine == all && hi - lo + 1 == mine) {
			si->x_lo = lo;
			si->x_hi = hi;
			si->x_n = mine;
			si->x_known = 1;
		}
	}
	sqlite3_finalize(st);
	if (si->x_known)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT min(id), max(id), count(*) FROM explanation WHERE source_id = ?1", -1,
	                       &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read explanations");
	sqlite3_bind_int64(st, 1, si->id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		si->x_lo = sqlite3_column_type(st, 0) == SQLITE_NULL ? 1 : sqlite3_column_int64(st, 0);
		si->x_hi = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 1);
		si->x_n = sqlite3_column_int64(st, 2);
		si->x_known = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, e, "cannot read explanations");
}

/* Resolves a search's scope (model and source may be NULL). */
static int store_scope(store *s, const char *model, const char *source, search_scope *sc, saex_err *e)
{
	sc->model = model;
	sc->source = source;
	sc->lo = 0;
	sc->hi = INT64_MAX;
	sc->pure = !model && !source;
	if (sc->pure)
		return 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT s.id FROM source s JOIN model m ON m.id = s.model_id "
	                       "WHERE (?1 IS NULL OR m.name = ?1) AND (?2 IS NULL OR s.name = ?2)",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read sources");
	store_bind_text(st, 1, model);
	store_bind_text(st, 2, source);
	int64_t lo = INT64_MAX, hi = INT64_MIN, n = 0;
	int rc = SQLITE_DONE, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_srcinfo *si = store_srcinfo_get(s, sqlite3_column_int64(st, 0), e);
		if (!si || store_expl_range(s, si, e)) {
			ret = STORE_EBAD;
			break;
		}
		if (si->x_n == 0)
			continue;
		lo = si->x_lo < lo ? si->x_lo : lo;
		hi = si->x_hi > hi ? si->x_hi : hi;
		n += si->x_n;
	}
	sqlite3_finalize(st);
	if (ret)
		return ret;
	if (n == 0) { /* nothing in scope: an empty range */
		sc->lo = 1;
		sc->hi = 0;
		sc->pure = 1;
		return 0;
	}
	sc->lo = lo;
	sc->hi = hi;
	sc->pure = hi - lo + 1 == n;
	return 0;
}

/* Counts the matches of an FTS5 query in a scope. */
static int store_count_matches(store *s, const char *fts, const char *query, const search_scope *sc, int64_t *n,
                               saex_err *e)
{
	const char *sql = sc->pure
		? "SELECT count(*) FROM explanation_fts WHERE explanation_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3"
		: "SELECT count(*) FROM explanation_fts f CROSS JOIN explanation x ON x.id = f.rowid "
		  "JOIN source s ON s.id = x.source_id JOIN model m ON m.id = s.model_id "
		  "WHERE explanation_fts MATCH ?1 AND f.rowid BETWEEN ?2 AND ?3 "
		  "AND (?4 IS NULL OR m.name = ?4) AND (?5 IS NULL OR s.name = ?5)";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot search");
	sqlite3_bind_text(st, 1, fts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, sc->lo);
	sqlite3_bind_int64(st, 3, sc->hi);
	if (!sc->pure) {
		store_bind_text(st, 4, sc->model);
		store_bind_text(st, 5, sc->source);
	}
	int rc = sqlite3_step(st), ret = 0;
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		ret = store_query_fail(s, e, query, "cannot search");
	sqlite3_finalize(st);
	return ret;
}

int store_search_count(store *s, const char *query, const char *model, const char *source, int64_t *n,
                       saex_err *e)
{
	*n = 0;
	search_plan plan;
	if (store_search_plan(s, query, &plan))
		return err_set(e, STORE_NOTFOUND, "empty search query");
	search_scope sc;
	int rc = store_scope(s, model, source, &sc, e);
	if (rc == 0)
		rc = store_count_matches(s, plan.fts, query, &sc, n, e);
	free(plan.fts);
	return rc;
}

/* One hit from a row of the details query (columns as in STORE_HIT_COLS). */
#define STORE_HIT_COLS                                                                                        \
	"m.name, s.name, x.idx, x.description, x.type_name, x.explainer, coalesce(f.frac_nonzero, -1), "   \
	"coalesce(f.max_act, 0)"
#define STORE_HIT_JOIN                                                                                        \
	"JOIN source s ON s.id = x.source_id JOIN model m ON m.id = s.model_id "                                \
	"LEFT JOIN feature f ON f.source_id = x.source_id AND f.idx = x.idx "

/* One hit from a row of STORE_HIT_COLS; nonzero (e set) when the row
 * breaks the schema's rules (a damaged database). */
static int store_hit_read(store *s, sqlite3_stmt *st, arena *a, store_hit *h, double score, saex_err *e)
{
	if (store_col_name(s, st, 0, h->id.model, "a model name", e) ||
	    store_col_name(s, st, 1, h->id.source, "a source name", e) || store_col_index(s, st, 2, &h->id.index, e) ||
	    !(h->description = store_col_req(s, st, 3, a, "an explanation's description", e)))
		return STORE_EBAD;
	h->type_name = store_col_text(st, 4, a);
	h->explainer = store_col_text(st, 5, a);
	h->frac_nonzero = sqlite3_column_double(st, 6);
	h->max_act = sqlite3_column_double(st, 7);
	h->score = score;
	return 0;
}

/* bm25 order: the page [offset, offset + limit) of every match in scope,
 * best first. Ranking happens inside FTS5, then the join and the filter. */
static int store_search_bm25(store *s, const search_plan *p, const char *query, const search_scope *sc,
                             size_t offset, size_t limit, arena *a, store_hit **hits, size_t *n, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT " STORE_HIT_COLS ", hit.rank FROM (SELECT rowid AS id, "
	                       "bm25(explanation_fts) AS rank FROM explanation_fts WHERE explanation_fts "
	                       "MATCH ?1 AND rowid BETWEEN ?2 AND ?3 ORDER BY rank, id LIMIT ?4) hit "
	                       "JOIN explanation x ON x.id = hit.id " STORE_HIT_JOIN
	                       "WHERE (?5 IS NULL OR m.name = ?5) AND (?6 IS NULL OR s.name = ?6) "
	                       "ORDER BY hit.rank, hit.id LIMIT ?7 OFFSET ?8",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot search");
	sqlite3_bind_text(st, 1, p->fts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, sc->lo);
	sqlite3_bind_int64(st, 3, sc->hi);
	/* Unscoped (or a range holding only the scope), FTS5 keeps only the
	 * best rows needed; else the filter comes after ranking, so every
	 * match in the range is ranked. */
	sqlite3_bind_int64(st, 4, sc->pure ? (sqlite3_int64)(offset + limit) : -1);
	store_bind_text(st, 5, sc->model);
	store_bind_text(st, 6, sc->source);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)limit);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)offset);
	size_t cap = 0;
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*hits = arena_grow(a, *hits, *n, &cap, sizeof **hits, 16);
		if ((ret = store_hit_read(s, st, a, &(*hits)[(*n)++], -sqlite3_column_double(st, 8), e)))
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_query_fail(s, e, query, "cannot search");
	sqlite3_finalize(st);
	return ret;
}

typedef struct block_row {
	int64_t id, len;
	size_t block;
} block_row;

static int block_cmp(const void *pa, const void *pb)
{
	const block_row *x = pa, *y = pb;
	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Block order, for queries of common words only: the scope's matches in
 * database order cut in blocks of SEARCH_BLOCK, each block shortest text
 * first (bm25 would walk every match of such words; when every match holds
 * them all, its order comes down to how often they occur and how long the
 * text is). Only the blocks that the page reaches are read. */
static int store_search_blocks(store *s, const search_plan *p, const char *query, const search_scope *sc,
                               size_t offset, size_t limit, arena *a, store_hit **hits, size_t *n, saex_err *e)
{
	size_t want = (offset + limit + SEARCH_BLOCK - 1) / SEARCH_BLOCK * SEARCH_BLOCK;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT f.rowid, length(x.description) FROM explanation_fts f "
	                       "CROSS JOIN explanation x ON x.id = f.rowid "
	                       "JOIN source s ON s.id = x.source_id JOIN model m ON m.id = s.model_id "
	                       "WHERE explanation_fts MATCH ?1 AND f.rowid BETWEEN ?2 AND ?3 "
	                       "AND (?4 IS NULL OR m.name = ?4) AND (?5 IS NULL OR s.name = ?5) "
	                       "ORDER BY f.rowid LIMIT ?6",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot search");
	sqlite3_bind_text(st, 1, p->fts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, sc->lo);
	sqlite3_bind_int64(st, 3, sc->hi);
	store_bind_text(st, 4, sc->model);
	store_bind_text(st, 5, sc->source);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)want);
	block_row *rows = NULL;
	size_t k = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : SEARCH_BLOCK;
			rows = xrealloc(rows, cap * sizeof *rows);
		}
		rows[k] = (block_row){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), k / SEARCH_BLOCK};
		k++;
	}
	int ret = rc == SQLITE_DONE ? 0 : store_query_fail(s, e, query, "cannot search");
	sqlite3_finalize(st);
	if (ret == 0 && offset < k) {
		qsort(rows, k, sizeof *rows, block_cmp);
		if (sqlite3_prepare_v2(s->db, "SELECT " STORE_HIT_COLS " FROM explanation x " STORE_HIT_JOIN "WHERE x.id = ?1",
		                       -1, &st, NULL) != SQLITE_OK) {
			free(rows);
			return store_fail(s, e, "cannot search");
		}
		size_t end = offset + limit < k ? offset + limit : k;
		*hits = arena_alloc(a, (end - offset) * sizeof **hits);
		for (size_t i = offset; i < end && ret == 0; i++) {
			sqlite3_bind_int64(st, 1, rows[i].id);
			if (sqlite3_step(st) == SQLITE_ROW)
				ret = store_hit_read(s, st, a, &(*hits)[(*n)++], 0, e);
			else
				ret = store_fail(s, e, "cannot search");
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
	free(rows);
	return ret;
}

int store_search_page(store *s, const char *query, const char *model, const char *source, size_t offset,
                      size_t limit, arena *a, store_hit **hits, size_t *n, saex_err *e)
{
	*hits = NULL;
	*n = 0;
	search_plan plan;
	if (store_search_plan(s, query, &plan))
		return err_set(e, STORE_NOTFOUND, "empty search query");
	search_scope sc;
	int rc = store_scope(s, model, source, &sc, e);
	if (rc == 0 && limit > 0)
		rc = plan.blocks ? store_search_blocks(s, &plan, query, &sc, offset, limit, a, hits, n, e)
		                 : store_search_bm25(s, &plan, query, &sc, offset, limit, a, hits, n, e);
	free(plan.fts);
	return rc;
}

int store_search(store *s, const char *query, const char *model, const char *source, size_t limit, arena *a,
                 store_hit **hits, size_t *n, saex_err *e)
{
	return store_search_page(s, query, model, source, 0, limit, a, hits, n, e);
}

/* ------------------------------------------------------------ the feature list */

int store_source_span(store *s, int64_t source_id, int64_t *n, int64_t *first, int64_t *last, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT (SELECT n_features FROM source WHERE id = ?1), "
	                       "(SELECT min(idx) FROM feature WHERE source_id = ?1), "
	                       "(SELECT max(idx) FROM feature WHERE source_id = ?1)",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read features");
	sqlite3_bind_int64(st, 1, source_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		*first = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
		*last = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, e, "cannot read features");
}

static int idx_cmp(const void *pa, const void *pb)
{
	int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
	return x < y ? -1 : x > y;
}

/* Ends the building of a source's map: built (x_map 1), or given up
 * (x_map -1, memory freed: an index of 2^32 or more, too many ids). */
static void store_expl_map_end(store_srcinfo *si, int built)
{
	sqlite3_finalize(si->x_st);
	si->x_st = NULL;
	si->x_map = built ? 1 : -1;
	if (!built) {
		free(si->x_idx);
		si->x_idx = NULL;
	}
}

/* Reads up to `rows` more rows of the source's map from explanation row id
 * to feature index (x_idx), through the explanation index: about 35 ns a
 * row, so that a filter then costs what FTS5 takes to list its matches.
 * 1 while more remains, 0 when the map is built or cannot be (x_map -1: an
 * index of 2^32 or more; the filter then joins instead), STORE_EBAD when
 * the database fails. */
static int store_expl_map_step(store *s, store_srcinfo *si, size_t rows, saex_err *e)
{
	if (si->x_map)
		return 0;
	if (!si->x_st) {
		size_t n = si->x_hi >= si->x_lo ? (size_t)(si->x_hi - si->x_lo + 1) : 0;
		if (n > ((size_t)1 << 31) || !(si->x_idx = malloc((n ? n : 1) * sizeof *si->x_idx))) {
			store_expl_map_end(si, 0);
			return 0;
		}
		memset(si->x_idx, 0xff, n * sizeof *si->x_idx);
		if (sqlite3_prepare_v2(s->db, "SELECT id, idx FROM explanation WHERE source_id = ?1", -1, &si->x_st,
		                       NULL) != SQLITE_OK) {
			store_expl_map_end(si, 0);
			si->x_map = 0; /* try again another time */
			return store_fail(s, e, "cannot read explanations");
		}
		sqlite3_bind_int64(si->x_st, 1, si->id);
	}
	for (size_t k = 0; k < rows; k++) {
		int rc = sqlite3_step(si->x_st);
		if (rc == SQLITE_DONE) {
			store_expl_map_end(si, 1);
			return 0;
		}
		if (rc != SQLITE_ROW) {
			int ret = store_fail(s, e, "cannot read explanations");
			store_expl_map_end(si, 0);
			si->x_map = 0;
			return ret;
		}
		int64_t id = sqlite3_column_int64(si->x_st, 0), idx = sqlite3_column_int64(si->x_st, 1);
		if (id < si->x_lo || id > si->x_hi || idx < 0 || idx >= UINT32_MAX) {
			store_expl_map_end(si, 0);
			return 0;
		}
		si->x_idx[id - si->x_lo] = (uint32_t)idx;
		if ((uint32_t)idx > si->x_max)
			si->x_max = (uint32_t)idx;
	}
	return 1;
}

/* The whole map: 0 when built, -1 when it cannot be, STORE_EBAD. */
static int store_expl_map(store *s, store_srcinfo *si, saex_err *e)
{
	int rc;
	while ((rc = store_expl_map_step(s, si, 1 << 20, e)) == 1)
		;
	return rc ? rc : si->x_map > 0 ? 0 : -1;
}

int store_filter_warm(store *s, int64_t source_id, size_t rows, saex_err *e)
{
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	if (!si || store_expl_range(s, si, e))
		return STORE_EBAD;
	return store_expl_map_step(s, si, rows, e);
}

/* Appends an index to the filter's list. */
static void store_filter_add(store_filter *f, size_t *cap, int64_t idx)
{
	if (f->n_idx == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		f->idx = xrealloc(f->idx, *cap * sizeof *f->idx);
	}
	f->idx[f->n_idx++] = idx;
}

/* Sorts the filter's indexes and drops repeats. */
static void store_filter_sort(store_filter *f)
{
	qsort(f->idx, f->n_idx, sizeof *f->idx, idx_cmp);
	size_t k = 0;
	for (size_t i = 0; i < f->n_idx; i++)
		if (k == 0 || f->idx[k - 1] != f->idx[i])
			f->idx[k++] = f->idx[i];
	f->n_idx = k;
}

/* Every matching index of the filter's source through the map: FTS5 lists
 * the matching row ids of the source's range, the map turns them into
 * indexes, marked in a bitmap that then gives them in order. */
static int store_filter_mapped(store *s, store_filter *f, const store_srcinfo *si, saex_err *e)
{
	sqlite3_stmt *st;
	size_t words = (size_t)si->x_max / 64 + 1;
	uint64_t *bits = calloc(words, sizeof *bits);
	if (!bits)
		return err_set(e, STORE_EBAD, "out of memory for a filter of %zu features", words * 64);
	if (sqlite3_prepare_v2(s->db, "SELECT rowid FROM explanation_fts WHERE explanation_fts MATCH ?1 "
	                       "AND rowid BETWEEN ?2 AND ?3", -1, &st, NULL) != SQLITE_OK) {
		free(bits);
		return store_fail(s, e, "cannot filter");
	}
	sqlite3_bind_text(st, 1, f->fts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, si->x_lo);
	sqlite3_bind_int64(st, 3, si->x_hi);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t idx = si->x_idx[sqlite3_column_int64(st, 0) - si->x_lo];
		if (idx == UINT32_MAX) /* another source's explanation */
			continue;
		f->n_expl++;
		bits[idx / 64] |= (uint64_t)1 << (idx % 64);
	}
	int ret = rc == SQLITE_DONE ? 0 : store_query_fail(s, e, f->words, "cannot filter");
	sqlite3_finalize(st);
	size_t cap = 0;
	for (size_t w = 0; ret == 0 && w < words; w++)
		for (uint64_t b = bits[w]; b; b &= b - 1)
			store_filter_add(f, &cap, (int64_t)(w * 64 + (size_t)__builtin_ctzll(b)));
	free(bits);
	return ret;
}

/* Every matching index of the filter's source by joining each match to its
 * explanation row (when there is no map). */
static int store_filter_joined(store *s, store_filter *f, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT x.idx FROM explanation_fts t CROSS JOIN explanation x ON x.id = t.rowid "
	                       "WHERE explanation_fts MATCH ?1 AND t.rowid BETWEEN ?2 AND ?3 AND x.source_id = ?4",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot filter");
	sqlite3_bind_text(st, 1, f->fts, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, f->lo);
	sqlite3_bind_int64(st, 3, f->hi);
	sqlite3_bind_int64(st, 4, f->source_id);
	size_t cap = 0;
	int rc;
	int ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t idx;
		if ((ret = store_col_index(s, st, 0, &idx, e)))
			break;
		f->n_expl++;
		store_filter_add(f, &cap, idx);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_query_fail(s, e, f->words, "cannot filter");
	sqlite3_finalize(st);
	return ret;
}

int store_filter_new(store *s, int64_t source_id, const char *words, store_filter **out, saex_err *e)
{
	*out = NULL;
	search_plan plan;
	if (store_search_plan(s, words, &plan))
		return err_set(e, STORE_NOTFOUND, "empty filter");
	store_filter *f = xcalloc(1, sizeof *f);
	f->fts = plan.fts;
	f->words = xstrdup(words);
	f->source_id = source_id;
	store_srcinfo *si = store_srcinfo_get(s, source_id, e);
	int rc = !si || store_expl_range(s, si, e) ? STORE_EBAD : 0;
	if (rc == 0) {
		f->lo = si->x_lo;
		f->hi = si->x_hi;
		int m = store_expl_map(s, si, e);
		rc = m == 0 ? store_filter_mapped(s, f, si, e) : m < 0 ? store_filter_joined(s, f, e) : m;
		if (rc == 0 && m < 0)
			store_filter_sort(f);
	}
	if (rc) {
		store_filter_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void store_filter_free(store_filter *f)
{
	if (!f)
		return;
	free(f->fts);
	free(f->words);
	free(f->idx);
	free(f);
}

/* A page of a filter: its indexes after `from` (before it, desc) and their
 * rows, looked up one by one. */
static int store_page_filtered(store *s, const store_filter *f, int64_t from, int desc, size_t max,
                               store_feat_row *out, size_t *n, saex_err *e)
{
	size_t lo = 0, hi = f->n_idx; /* first index > from */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (f->idx[mid] <= from)
			lo = mid + 1;
		else
			hi = mid;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT idx, frac_nonzero, max_act FROM feature WHERE source_id = ?1 AND idx = ?2",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read features");
	sqlite3_bind_int64(st, 1, f->source_id);
	int ret = 0;
	if (desc) { /* the last index < from */
		lo = 0;
		hi = f->n_idx;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (f->idx[mid] < from)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	for (size_t k = 0; *n < max && ret == 0; k++) {
		size_t i;
		if (desc) {
			if (k >= lo)
				break;
			i = lo - 1 - k;
		} else {
			i = lo + k;
			if (i >= f->n_idx)
				break;
		}
		sqlite3_bind_int64(st, 2, f->idx[i]);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if ((ret = store_col_index(s, st, 0, &out[*n].index, e)) == 0) {
				out[*n].frac_nonzero = (float)sqlite3_column_double(st, 1);
				out[*n].max_act = (float)sqlite3_column_double(st, 2);
				(*n)++;
			}
		} else if (rc != SQLITE_DONE) /* an explanation without a feature row is not listed */
			ret = store_fail(s, e, "cannot read features");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return ret;
}

int store_feature_page(store *s, int64_t source_id, const store_filter *f, int64_t from, int desc, size_t max,
                       store_feat_row *out, size_t *n, saex_err *e)
{
	*n = 0;
	if (f)
		return store_page_filtered(s, f, from, desc, max, out, n, e);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       desc ? "SELECT idx, frac_nonzero, max_act FROM feature WHERE source_id = ?1 AND idx < ?2 "
	                              "ORDER BY idx DESC LIMIT ?3"
	                            : "SELECT idx, frac_nonzero, max_act FROM feature WHERE source_id = ?1 AND idx > ?2 "
	                              "ORDER BY idx LIMIT ?3",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read features");
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	int rc = SQLITE_DONE, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ret = store_col_index(s, st, 0, &out[*n].index, e)))
			break;
		out[*n].frac_nonzero = (float)sqlite3_column_double(st, 1);
		out[*n].max_act = (float)sqlite3_column_double(st, 2);
		(*n)++;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_fail(s, e, "cannot read features");
	sqlite3_finalize(st);
	return ret;
}
