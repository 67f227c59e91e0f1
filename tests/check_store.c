/* check_store.c - the SQLite store: schema checks, writes, reads, search,
 * user database, damaged files. */
#include "config.h"
#include "testutil.h"
#include "store.h"

#include <sqlite3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static store *open_rw(const char *name)
{
	store *s;
	saex_err e = {{0}, 0};
	int rc = store_open(&s, tu_path(name), STORE_WRITE, &e);
	ck_assert_msg(rc == 0, "open: %s", e.msg);
	return s;
}

static void sql(const char *path, const char *q)
{
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	ck_assert_msg(sqlite3_exec(db, q, NULL, NULL, &msg) == SQLITE_OK, "%s", msg ? msg : "");
	sqlite3_close(db);
}

static const store_str evil[] = {
	{"\x1b[31mred", 8},           /* CSI */
	{"\x1b]52;c;aGk=\x07", 12},   /* OSC 52 */
	{"\xc2\x9b" "2J", 4},         /* C1 CSI */
	{"a\0b", 3},                  /* NUL inside */
	{" the", 4},
};

/* One source with two features and out-of-order activations. */
static void fill(store *s, int64_t *src_out)
{
	saex_err e = {{0}, 0};
	int64_t src;
	int added;
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "gpt2-small", "9-res-jb", &src, &e), 0);
	float pv[] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
	float h[] = {10, 5, 1}, hv[] = {1.5f, 2.5f, 3.5f};
	store_feature_in f = {.index = 21474, .max_act = 88.302, .frac_nonzero = 0.0037,
	                      .freq_h = h, .freq_v = hv, .n_freq = 3,
	                      .pos_str = evil, .pos_v = pv, .n_pos = 5,
	                      .neg_str = evil + 4, .neg_v = pv, .n_neg = 1,
	                      .extra_json = "{\"hookName\":\"blocks.9.hook_resid_pre\"}"};
	ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
	ck_assert_int_eq(added, 1);
	f.max_act = 90.5; /* an update of the same feature */
	ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
	ck_assert_int_eq(added, STORE_UPDATED);
	ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
	ck_assert_int_eq(added, STORE_SAME);
	store_feature_in f2 = {.index = 7, .frac_nonzero = -1};
	ck_assert_int_eq(store_put_feature(s, src, &f2, &added, &e), 0);

	float v1[5] = {0, 1.25f, 0, 0, 0}, v2[5] = {0, 0, 0, 44.5f, 2}, v3[5] = {3, 0, 0, 0, 0};
	store_act_in a1 = {21474, evil, v1, 5, 1.25, 0, 1, -1, 88, -1, NULL, 0, 0};
	store_act_in a2 = {21474, evil, v2, 5, 44.5, 0, 3, -1, 88, -1, NULL, 0, 0};
	store_act_in a3 = {21474, evil, v3, 5, 3, 0, 0, 2.5, 5.0, 0.25, NULL, 0, 0};
	ck_assert_int_eq(store_put_activation(s, src, &a1, &added, &e), 0);
	ck_assert_int_eq(added, 1);
	ck_assert_int_eq(store_put_activation(s, src, &a2, &added, &e), 0);
	ck_assert_int_eq(store_put_activation(s, src, &a3, &added, &e), 0);
	ck_assert_int_eq(store_put_activation(s, src, &a2, &added, &e), 0);
	ck_assert_int_eq(added, 0); /* same content: no second row */

	store_expl_in x = {21474, " references to the Golden Gate Bridge", "oai_token-act-pair",
	                   "gpt-4o-mini", NULL, 0};
	ck_assert_int_eq(store_put_explanation(s, src, &x, &added, &e), 0);
	ck_assert_int_eq(added, 1);
	ck_assert_int_eq(store_put_explanation(s, src, &x, &added, &e), 0);
	ck_assert_int_eq(added, 0);
	store_expl_in x2 = {7, " bridges and rivers", NULL, NULL, NULL, 0};
	ck_assert_int_eq(store_put_explanation(s, src, &x2, &added, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	*src_out = src;
}

START_TEST(roundtrip)
{
	store *s = open_rw("rt.db");
	int64_t src;
	fill(s, &src);
	store_close(s);

	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, tu_path("rt.db"), STORE_READ, &e), 0);
	arena a = {0};
	store_feature f;
	saex_fid id;
	ck_assert_int_eq(saex_fid_parse("gpt2-small/9-res-jb/21474", &id, NULL), 0);
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert(f.max_act == 90.5);
	ck_assert(f.frac_nonzero == 0.0037);
	ck_assert_uint_eq(f.n_freq, 3);
	ck_assert(f.freq_h[0] == 10 && f.freq_v[2] == 3.5f);
	ck_assert_uint_eq(f.n_pos, 5);
	/* hostile token bytes are stored and read back intact */
	for (int i = 0; i < 5; i++) {
		ck_assert_uint_eq(f.pos_str[i].n, evil[i].n);
		ck_assert_int_eq(memcmp(f.pos_str[i].p, evil[i].p, evil[i].n), 0);
	}
	ck_assert_uint_eq(f.n_neg, 1);
	ck_assert_int_eq(memcmp(f.neg_str[0].p, " the", 4), 0);
	ck_assert_str_eq(f.extra_json, "{\"hookName\":\"blocks.9.hook_resid_pre\"}");
	ck_assert_uint_eq(f.n_expl, 1);
	ck_assert_str_eq(f.expl[0].description, " references to the Golden Gate Bridge");
	ck_assert_str_eq(f.expl[0].explainer, "gpt-4o-mini");
	ck_assert_uint_eq(f.n_acts, 3);
	ck_assert_uint_eq(f.n_acts_total, 3);
	/* sorted by max value, descending */
	ck_assert(f.acts[0].max_value == 44.5 && f.acts[1].max_value == 3 &&
	          f.acts[2].max_value == 1.25);
	ck_assert(f.acts[0].values[3] == 44.5f && f.acts[0].values[4] == 2.0f);
	ck_assert_int_eq(f.acts[0].max_index, 3);
	ck_assert(f.acts[0].bin_min == -1);
	ck_assert(f.acts[1].bin_min == 2.5 && f.acts[1].bin_contains == 0.25);
	ck_assert_int_eq(memcmp(f.acts[2].tokens[1].p, evil[1].p, evil[1].n), 0);
	arena_free(&a);

	/* a limit on examples still counts them all */
	ck_assert_int_eq(store_feature_get(s, &id, 1, &a, &f, &e), 0);
	ck_assert_uint_eq(f.n_acts, 1);
	ck_assert_uint_eq(f.n_acts_total, 3);
	arena_free(&a);

	/* not found: feature, source, model each named */
	id.index = 99;
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), STORE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "no feature gpt2-small/9-res-jb/99"));
	ck_assert_int_eq(saex_fid_parse("gpt2-small/8-res-jb/1", &id, NULL), 0);
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), STORE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "has no source '8-res-jb'"));
	ck_assert_int_eq(saex_fid_parse("gemma-2-2b/8-res-jb/1", &id, NULL), 0);
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), STORE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "no model 'gemma-2-2b'"));
	arena_free(&a);

	/* catalog counts */
	store_cat_row *rows;
	size_t n;
	ck_assert_int_eq(store_catalog(s, &a, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].model, "gpt2-small");
	ck_assert_str_eq(rows[0].source, "9-res-jb");
	ck_assert_str_eq(rows[0].set, "res-jb");
	ck_assert_int_eq(rows[0].n_features, 2);
	ck_assert_int_eq(rows[0].n_activations, 3);
	ck_assert_int_eq(rows[0].n_explanations, 2);
	arena_free(&a);
	store_close(s);
}
END_TEST

START_TEST(search)
{
	store *s = open_rw("search.db");
	int64_t src;
	fill(s, &src);
	saex_err e = {{0}, 0};
	arena a = {0};
	store_hit *h;
	size_t n;
	ck_assert_int_eq(store_search(s, "golden gate", NULL, NULL, 10, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id.index, 21474);
	ck_assert(h[0].frac_nonzero == 0.0037);
	/* a whole word matches as itself; case and punctuation do not matter */
	ck_assert_int_eq(store_search(s, "BRIDGE", NULL, NULL, 10, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	/* a word being typed (no explanation has it whole) matches as a prefix */
	ck_assert_int_eq(store_search(s, "bri", NULL, NULL, 10, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(store_search(s, "river's!", NULL, NULL, 10, &a, &h, &n, &e), 0);
	ck_assert_int_eq(store_search(s, "bridges", "gpt2-small", "9-res-jb", 10, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id.index, 7);
	ck_assert_int_eq(store_search(s, "bridges", "gemma-2-2b", NULL, 10, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(store_search(s, "bridge", NULL, NULL, 1, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	/* FTS syntax as given, and a syntax error reported, not crashed on */
	ck_assert_int_eq(store_search(s, "\"golden gate\" OR rivers", NULL, NULL, 10, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(store_search(s, "(golden", NULL, NULL, 10, &a, &h, &n, &e), STORE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "'(golden' is not a query saex can run"));
	/* a lone quote or star is the query's fault, not the database's */
	ck_assert_int_eq(store_search(s, "\"", NULL, NULL, 10, &a, &h, &n, &e), STORE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "unterminated string"));
	ck_assert_int_eq(store_search(s, "*", NULL, NULL, 10, &a, &h, &n, &e), STORE_NOTFOUND);
	int64_t cnt = -1;
	ck_assert_int_eq(store_search_count(s, "\"", NULL, NULL, &cnt, &e), STORE_NOTFOUND);
	ck_assert_int_eq(store_search(s, "  ...  ", NULL, NULL, 10, &a, &h, &n, &e), STORE_NOTFOUND);
	arena_free(&a);
	store_close(s);
}
END_TEST

/* Past 5,000 matches a word counts as very common: the search leaves it
 * out next to rarer words, and ranks only a window of matches when every
 * word is common. */
START_TEST(search_common_words)
{
	store *s = open_rw("common.db");
	saex_err e = {{0}, 0};
	int64_t src, src2;
	int added;
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "1-a", &src, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "2-b", &src2, &e), 0);
	char d[96];
	for (int i = 0; i < 9000; i++) {
		snprintf(d, sizeof d, " the feature of number %d%s", i, i % 3000 == 7 ? " golden" : "");
		store_expl_in x = {i, d, NULL, NULL, NULL, 0};
		ck_assert_int_eq(store_put_explanation(s, i < 6000 ? src : src2, &x, &added, &e), 0);
	}
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
	ck_assert_int_eq(store_open(&s, tu_path("common.db"), STORE_READ, &e), 0);
	arena a = {0};
	store_hit *h;
	size_t n;
	/* "the" is in every row: left out, so "golden" decides */
	ck_assert_int_eq(store_search(s, "the golden", NULL, NULL, 50, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(strstr(h[i].description, "golden"));
	/* only common words: results still come, each matching them all */
	ck_assert_int_eq(store_search(s, "the feature", NULL, NULL, 25, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 25);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(strstr(h[i].description, "the feature"));
	/* ... and within a scope, from that scope only */
	ck_assert_int_eq(store_search(s, "the feature", "m", "2-b", 25, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 25);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(h[i].id.source, "2-b");
	ck_assert_int_eq(store_search(s, "golden", "m", "2-b", 25, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id.index, 6007);
	/* counts: every match, not the page (issue 14: "200 results" of 5,532) */
	int64_t cnt;
	ck_assert_int_eq(store_search_count(s, "the feature", NULL, NULL, &cnt, &e), 0);
	ck_assert_int_eq(cnt, 9000);
	ck_assert_int_eq(store_search_count(s, "the feature", "m", "2-b", &cnt, &e), 0);
	ck_assert_int_eq(cnt, 3000);
	ck_assert_int_eq(store_search_count(s, "golden", NULL, NULL, &cnt, &e), 0);
	ck_assert_int_eq(cnt, 3);
	/* a limit above the block size is honoured (saex search --limit 100000
	 * returned 500), and pages of 200 put together are that list */
	store_hit *all;
	size_t n_all;
	ck_assert_int_eq(store_search(s, "the feature", NULL, NULL, 100000, &a, &all, &n_all, &e), 0);
	ck_assert_uint_eq(n_all, 9000);
	for (size_t off = 0; off < 9000; off += 200) {
		ck_assert_int_eq(store_search_page(s, "the feature", NULL, NULL, off, 200, &a, &h, &n, &e), 0);
		ck_assert_uint_eq(n, 200);
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(h[i].id.index, all[off + i].id.index);
	}
	ck_assert_int_eq(store_search_page(s, "the feature", NULL, NULL, 9000, 200, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	/* ... every match once; each block of 500 shortest text first */
	char *seen = calloc(9000, 1);
	for (size_t i = 0; i < n_all; i++) {
		ck_assert_int_eq(seen[all[i].id.index], 0);
		seen[all[i].id.index] = 1;
		if (i % 500)
			ck_assert_uint_le(strlen(all[i - 1].description), strlen(all[i].description));
	}
	free(seen);
	/* bm25 pages too */
	ck_assert_int_eq(store_search_page(s, "golden", NULL, NULL, 1, 1, &a, &h, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	store_hit second = h[0];
	ck_assert_int_eq(store_search(s, "golden", NULL, NULL, 3, &a, &h, &n, &e), 0);
	ck_assert_int_eq(h[1].id.index, second.id.index);
	arena_free(&a);
	store_close(s);
}
END_TEST

/* The feature list a page at a time (issue 14: a 1,000,000-feature SAE
 * opens and filters without reading every row): pages chain forwards and
 * backwards over the whole list; a filter lists its features once each,
 * though some match twice and another source's explanations lie between
 * the source's own. */
START_TEST(feature_pages)
{
	store *s = open_rw("pages.db");
	saex_err e = {{0}, 0};
	int64_t src, other;
	int added;
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "1-a", &src, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "2-b", &other, &e), 0);
	char d[96];
	enum { N = 4000 };
	for (int i = 0; i < N; i++) {
		int64_t idx = 3 * (int64_t)i; /* not dense: indexes 0, 3, 6, ... */
		store_feature_in f = {.index = idx, .max_act = i, .frac_nonzero = 0.5};
		ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
		snprintf(d, sizeof d, " a feature of number %d%s", i, i % 500 == 1 ? " golden" : "");
		store_expl_in x = {idx, d, NULL, NULL, NULL, 0};
		ck_assert_int_eq(store_put_explanation(s, src, &x, &added, &e), 0);
		if (i % 7 == 0) { /* a second explanation that matches too */
			store_expl_in x2 = {idx, " another feature", NULL, NULL, NULL, 0};
			ck_assert_int_eq(store_put_explanation(s, src, &x2, &added, &e), 0);
		}
		/* another source's explanations between this one's */
		store_expl_in y = {i, " a golden feature elsewhere", NULL, NULL, NULL, 0};
		ck_assert_int_eq(store_put_explanation(s, other, &y, &added, &e), 0);
	}
	/* indexes past 2^32: no map of them, the filter joins instead */
	int64_t wide;
	ck_assert_int_eq(store_source_ensure(s, "m", "3-c", &wide, &e), 0);
	for (int k = 0; k < 2; k++) {
		int64_t idx = k ? (int64_t)1 << 33 : 1;
		store_feature_in f = {.index = idx, .max_act = 1, .frac_nonzero = 0.5};
		ck_assert_int_eq(store_put_feature(s, wide, &f, &added, &e), 0);
		store_expl_in x = {idx, " golden and wide", NULL, NULL, NULL, 0};
		ck_assert_int_eq(store_put_explanation(s, wide, &x, &added, &e), 0);
	}
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
	ck_assert_int_eq(store_open(&s, tu_path("pages.db"), STORE_READ, &e), 0);
	int64_t n_total, first, last;
	ck_assert_int_eq(store_source_span(s, src, &n_total, &first, &last, &e), 0);
	ck_assert_int_eq(n_total, N);
	ck_assert_int_eq(first, 0);
	ck_assert_int_eq(last, 3 * (N - 1));
	store_feat_row page[100];
	size_t n, seen = 0;
	int64_t from = INT64_MIN;
	do { /* forwards */
		ck_assert_int_eq(store_feature_page(s, src, NULL, from, 0, 100, page, &n, &e), 0);
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(page[i].index, 3 * (int64_t)(seen + i));
		seen += n;
		from = n ? page[n - 1].index : from;
	} while (n == 100);
	ck_assert_uint_eq(seen, N);
	ck_assert_int_eq(store_feature_page(s, src, NULL, INT64_MAX, 1, 100, page, &n, &e), 0);
	ck_assert_uint_eq(n, 100);
	ck_assert_int_eq(page[0].index, 3 * (N - 1));
	ck_assert_int_eq(page[99].index, 3 * (N - 100));
	ck_assert_int_eq(store_feature_page(s, src, NULL, 7, 1, 100, page, &n, &e), 0);
	ck_assert_uint_eq(n, 3); /* 6, 3, 0 */
	ck_assert_int_eq(page[0].index, 6);
	/* the explanation map, read a slice at a time (as the list's idle
	 * moments do) before the first filter */
	int steps = 0, more;
	while ((more = store_filter_warm(s, src, 1000, &e)) == 1)
		steps++;
	ck_assert_int_eq(more, 0);
	ck_assert_int_eq(steps, (N + (N + 6) / 7) / 1000);
	/* a rare word: counted, the other source's rows left out */
	store_filter *f;
	ck_assert_int_eq(store_filter_new(s, src, "golden", &f, &e), 0);
	ck_assert_int_eq(f->n_expl, 8);
	ck_assert_uint_eq(f->n_idx, 8);
	ck_assert_int_eq(store_feature_page(s, src, f, INT64_MIN, 0, 100, page, &n, &e), 0);
	ck_assert_uint_eq(n, 8);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(page[i].index, 3 * (int64_t)(500 * i + 1));
	ck_assert_int_eq(store_feature_page(s, src, f, page[3].index, 1, 2, page, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(page[0].index, 3 * 1001);
	store_filter_free(f);
	/* a word in every explanation: each feature once, in pages */
	ck_assert_int_eq(store_filter_new(s, src, "feature", &f, &e), 0);
	ck_assert_int_eq(f->n_expl, N + (N + 6) / 7);
	ck_assert_uint_eq(f->n_idx, N);
	seen = 0;
	from = INT64_MIN;
	do {
		ck_assert_int_eq(store_feature_page(s, src, f, from, 0, 100, page, &n, &e), 0);
		for (size_t i = 0; i < n; i++)
			ck_assert_int_eq(page[i].index, 3 * (int64_t)(seen + i));
		seen += n;
		from = n ? page[n - 1].index : from;
	} while (n == 100);
	ck_assert_uint_eq(seen, N);
	ck_assert_int_eq(store_feature_page(s, src, f, INT64_MAX, 1, 10, page, &n, &e), 0);
	ck_assert_int_eq(page[0].index, 3 * (N - 1));
	ck_assert_int_eq(store_feature_page(s, src, f, 2, 0, 3, page, &n, &e), 0);
	ck_assert_int_eq(page[0].index, 3);
	store_filter_free(f);
	/* a filter that no explanation matches; a bad one */
	ck_assert_int_eq(store_filter_new(s, src, "nothing", &f, &e), 0);
	ck_assert_int_eq(f->n_expl, 0);
	ck_assert_int_eq(store_feature_page(s, src, f, INT64_MIN, 0, 100, page, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	store_filter_free(f);
	ck_assert_int_eq(store_filter_new(s, src, "(golden", &f, &e), STORE_NOTFOUND);
	ck_assert_int_eq(store_filter_new(s, wide, "golden", &f, &e), 0);
	ck_assert_uint_eq(f->n_idx, 2);
	ck_assert_int_eq(f->idx[1], (int64_t)1 << 33);
	ck_assert_int_eq(store_feature_page(s, wide, f, 1, 0, 10, page, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(page[0].index, (int64_t)1 << 33);
	store_filter_free(f);
	store_close(s);
}
END_TEST

START_TEST(rollback_keeps_ids_consistent)
{
	store *s = open_rw("rb.db");
	saex_err e = {{0}, 0};
	int64_t src;
	int added;
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "1-x", &src, &e), 0);
	store_str t1[] = {{"alpha", 5}, {"beta", 4}};
	float v[] = {1, 2};
	store_act_in a = {3, t1, v, 2, 2, 1, 1, -1, 2, -1, NULL, 0, 0};
	ck_assert_int_eq(store_put_activation(s, src, &a, &added, &e), 0);
	store_rollback(s);
	/* after the rollback neither the source nor the tokens exist */
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "m", "1-x", &src, &e), 0);
	store_str t2[] = {{"beta", 4}, {"gamma", 5}};
	store_act_in b = {3, t2, v, 2, 2, 1, 1, -1, 2, -1, NULL, 0, 0};
	ck_assert_int_eq(store_put_activation(s, src, &b, &added, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	arena ar = {0};
	store_feature f;
	saex_fid id = {"m", "1-x", 3};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &ar, &f, &e), 0);
	ck_assert_uint_eq(f.n_acts, 1);
	ck_assert_int_eq(memcmp(f.acts[0].tokens[0].p, "beta", 4), 0);
	ck_assert_int_eq(memcmp(f.acts[0].tokens[1].p, "gamma", 5), 0);
	arena_free(&ar);
	store_cat_row *rows;
	size_t n;
	ck_assert_int_eq(store_catalog(s, &ar, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].n_activations, 1);
	arena_free(&ar);
	store_close(s);
}
END_TEST

START_TEST(refuses_foreign_and_newer)
{
	saex_err e = {{0}, 0};
	store *s;
	/* missing file */
	ck_assert_int_eq(store_open(&s, tu_path("absent.db"), STORE_READ, &e), STORE_NOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "absent.db"));
	/* not SQLite */
	const char junk[] = "this is not a database, just text that goes on for a while......"
	                    "................................................................";
	tu_write(tu_path("junk.db"), junk, sizeof junk, 0);
	ck_assert_int_eq(store_open(&s, tu_path("junk.db"), STORE_READ, &e), STORE_EBAD);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a saex database"));
	ck_assert_ptr_nonnull(strstr(e.msg, "junk.db"));
	ck_assert_int_eq(store_open(&s, tu_path("junk.db"), STORE_WRITE, &e), STORE_EBAD);
	/* the refused file is left as it was */
	size_t n;
	char *back = tu_read(tu_path("junk.db"), &n);
	ck_assert_uint_eq(n, sizeof junk);
	ck_assert_int_eq(memcmp(back, junk, n), 0);
	free(back);
	/* SQLite, but someone else's */
	sql(tu_path("other.db"), "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
	ck_assert_int_eq(store_open(&s, tu_path("other.db"), STORE_READ, &e), STORE_EBAD);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a saex database"));
	ck_assert_int_eq(store_open(&s, tu_path("other.db"), STORE_WRITE, &e), STORE_EBAD);
	/* empty file: read refuses, write creates the schema */
	tu_write(tu_path("empty.db"), "", 0, 0);
	ck_assert_int_eq(store_open(&s, tu_path("empty.db"), STORE_READ, &e), STORE_EBAD);
	ck_assert_ptr_nonnull(strstr(e.msg, "empty database"));
	ck_assert_int_eq(store_open(&s, tu_path("empty.db"), STORE_WRITE, &e), 0);
	store_close(s);
	/* a newer schema */
	s = open_rw("newer.db");
	store_close(s);
	sql(tu_path("newer.db"), "UPDATE meta SET value = '2' WHERE key = 'schema_version'");
	ck_assert_int_eq(store_open(&s, tu_path("newer.db"), STORE_READ, &e), STORE_EBAD);
	ck_assert_ptr_nonnull(strstr(e.msg, "newer saex"));
	ck_assert_ptr_nonnull(strstr(e.msg, "schema 2"));
	ck_assert_int_eq(store_open(&s, tu_path("newer.db"), STORE_WRITE, &e), STORE_EBAD);
	/* a folder */
	ck_assert_int_eq(store_open(&s, tu_tmpdir(), STORE_READ, &e), STORE_EBAD);
}
END_TEST

START_TEST(damaged_file)
{
	store *s = open_rw("dmg.db");
	int64_t src;
	fill(s, &src);
	store_close(s);
	sql(tu_path("dmg.db"), "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
	size_t n;
	char *buf = tu_read(tu_path("dmg.db"), &n);
	ck_assert_uint_gt(n, 16384);
	/* wreck every page after the first */
	for (size_t i = 8192; i < n; i++)
		buf[i] = (char)(i * 131 + 7);
	tu_write(tu_path("dmg.db"), buf, n, 0);
	free(buf);
	saex_err e = {{0}, 0};
	int rc = store_open(&s, tu_path("dmg.db"), STORE_READ, &e);
	if (rc == 0) {
		arena a = {0};
		store_feature f;
		saex_fid id = {"gpt2-small", "9-res-jb", 21474};
		rc = store_feature_get(s, &id, 0, &a, &f, &e);
		arena_free(&a);
		store_close(s);
	}
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "dmg.db"));
	/* a truncated file */
	s = open_rw("trunc.db");
	fill(s, &src);
	store_close(s);
	sql(tu_path("trunc.db"), "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
	buf = tu_read(tu_path("trunc.db"), &n);
	tu_write(tu_path("trunc.db"), buf, n / 2, 0);
	free(buf);
	rc = store_open(&s, tu_path("trunc.db"), STORE_READ, &e);
	if (rc == 0) {
		arena a = {0};
		store_cat_row *rows;
		size_t k;
		rc = store_catalog(s, &a, &rows, &k, &e);
		if (rc == 0) {
			store_feature f;
			saex_fid id = {"gpt2-small", "9-res-jb", 21474};
			rc = store_feature_get(s, &id, 0, &a, &f, &e);
		}
		arena_free(&a);
		store_close(s);
	}
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "trunc.db"));
}
END_TEST

START_TEST(user_db)
{
	char env[1100];
	snprintf(env, sizeof env, "%s/xdg", tu_tmpdir());
	setenv("XDG_DATA_HOME", env, 1);
	char *p = store_user_default_path();
	ck_assert_str_eq(p + strlen(env), "/saex/user.db");
	free(p);
	store_user *u;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_user_open(&u, NULL, &e), 0);
	saex_fid id = {"gpt2-small", "9-res-jb", 21474};
	ck_assert_int_eq(store_user_starred(u, &id), 0);
	ck_assert_int_eq(store_user_star(u, &id, 1, &e), 0);
	ck_assert_int_eq(store_user_star(u, &id, 1, &e), 0);
	ck_assert_int_eq(store_user_starred(u, &id), 1);
	store_user_close(u);
	ck_assert_int_eq(store_user_open(&u, NULL, &e), 0);
	ck_assert_int_eq(store_user_starred(u, &id), 1);
	ck_assert_int_eq(store_user_star(u, &id, 0, &e), 0);
	ck_assert_int_eq(store_user_starred(u, &id), 0);
	store_user_close(u);
	/* an export database is not a user database */
	store *s = open_rw("notuser.db");
	store_close(s);
	ck_assert_int_eq(store_user_open(&u, tu_path("notuser.db"), &e), STORE_EBAD);
	ck_assert_ptr_nonnull(strstr(e.msg, "not a saex user database"));
}
END_TEST

/* Live tests: 22 logged for one feature keep the newest 20, newest first,
 * tokens (NUL and bytes >= 0x80 included) and values exactly as given; a
 * second feature keeps its own; they outlive the connection; a damaged row
 * is an error naming it. */
START_TEST(user_live_tests)
{
	store_user *u;
	saex_err e = {{0}, 0};
	const char *path = tu_path("lt-user.db");
	ck_assert_int_eq(store_user_open(&u, path, &e), 0);
	saex_fid a = {"gpt2-small", "9-res-jb", 21474}, b = {"gpt2-small", "9-res-jb", 7};
	const char *tok[3] = {"<|endoftext|>", "a\0b", "\xff\x1b["};
	size_t len[3] = {13, 3, 3};
	for (int k = 0; k < 22; k++) {
		char text[32];
		snprintf(text, sizeof text, "test %d", k);
		float val[3] = {0, (float)k / 3, -0.0f};
		store_live_test t = {NULL, "x.db", text, 1, 3, tok, len, val};
		ck_assert_int_eq(store_user_test_log(u, &a, &t, 20, &e), 0);
	}
	float vb[1] = {2.5f};
	store_live_test tb = {NULL, NULL, "other", 0, 1, tok + 2, len + 2, vb};
	ck_assert_int_eq(store_user_test_log(u, &b, &tb, 20, &e), 0);
	store_user_close(u);
	ck_assert_int_eq(store_user_open(&u, path, &e), 0);
	arena ar = {0};
	store_live_test *t;
	size_t n;
	ck_assert_int_eq(store_user_tests(u, &a, 100, &ar, &t, &n, &e), 0);
	ck_assert_uint_eq(n, 20);
	ck_assert_str_eq(t[0].text, "test 21");
	ck_assert_str_eq(t[19].text, "test 2");
	ck_assert_str_eq(t[0].db, "x.db");
	ck_assert_int_eq(t[0].bos, 1);
	ck_assert_uint_eq(t[0].n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(t[0].tok_len[i], len[i]);
		ck_assert_mem_eq(t[0].tok[i], tok[i], len[i]);
	}
	ck_assert_float_eq(t[0].values[1], 7.0f);
	ck_assert(signbit(t[0].values[2]));
	ck_assert_int_eq(store_user_tests(u, &a, 5, &ar, &t, &n, &e), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(store_user_tests(u, &b, 100, &ar, &t, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(t[0].text, "other");
	ck_assert_ptr_null(t[0].db);
	ck_assert_int_eq(t[0].bos, 0);
	ck_assert_float_eq(t[0].values[0], 2.5f);
	store_user_close(u);
	/* a row whose values do not match its tokens */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE live_test SET vals = x'0000' WHERE text = 'other'", NULL,
	                              NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_user_open(&u, path, &e), 0);
	ck_assert_int_ne(store_user_tests(u, &b, 100, &ar, &t, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(e.msg, "lt-user.db: live test") && strstr(e.msg, "is damaged"), "%s", e.msg);
	store_user_close(u);
	arena_free(&ar);
}
END_TEST

/* A database as a stranger may hand it over: the schema's NOT NULLs gone
 * and rows that break its rules. Every reader says "damaged database",
 * none crashes or tries to allocate what a huge id asks for. */
extern const char store_schema_sql[];

static store *hostile_db(const char *name, int64_t *src)
{
	/* the schema without its NOT NULLs, as another program could write it */
	sb schema = {0};
	for (const char *p = store_schema_sql; *p;) {
		if (strncmp(p, "NOT NULL", 8) == 0) {
			p += 8;
			continue;
		}
		sb_addc(&schema, *p++);
	}
	sql(tu_path(name), schema.p);
	sb_free(&schema);
	store *s = open_rw(name);
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "gpt2-small", "9-res-jb", src, &e), 0);
	float v[3] = {0, 2, 1};
	store_act_in a = {5, evil + 4, v, 1, 2, 0, 0, -1, -1, -1, NULL, 0, 0};
	int added;
	ck_assert_int_eq(store_put_activation(s, *src, &a, &added, &e), 0);
	store_expl_in x = {5, " the bridge", NULL, NULL, NULL, 0};
	ck_assert_int_eq(store_put_explanation(s, *src, &x, &added, &e), 0);
	store_feature_in f = {.index = 5, .max_act = 2, .frac_nonzero = 0.5};
	ck_assert_int_eq(store_put_feature(s, *src, &f, &added, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
	saex_err oe = {{0}, 0};
	ck_assert_int_eq(store_open(&s, tu_path(name), STORE_READ, &oe), 0);
	return s;
}

static void assert_damaged(int rc, const saex_err *e, const char *what)
{
	ck_assert_msg(rc == STORE_EBAD, "%s: rc %d (%s)", what, rc, e->msg);
	ck_assert_msg(strstr(e->msg, "damaged database: ") != NULL, "%s: %s", what, e->msg);
}

START_TEST(damaged_rows)
{
	saex_err e = {{0}, 0};
	int64_t src;
	arena a = {0};
	saex_fid id = {"gpt2-small", "9-res-jb", 5};
	store_feature f;
	store_cat_row *rows;
	store_hit *hits;
	store_feat_row *frows;
	size_t n;

	/* a model without a name */
	store *s = hostile_db("h1.db", &src);
	store_close(s);
	sql(tu_path("h1.db"), "UPDATE model SET name = NULL");
	ck_assert_int_eq(store_open(&s, tu_path("h1.db"), STORE_READ, &e), 0);
	assert_damaged(store_catalog(s, &a, &rows, &n, &e), &e, "catalog");
	assert_damaged(store_search(s, "bridge", NULL, NULL, 10, &a, &hits, &n, &e), &e, "search");
	store_close(s);

	/* an explanation without text */
	s = hostile_db("h2.db", &src);
	store_close(s);
	sql(tu_path("h2.db"), "UPDATE explanation SET description = NULL");
	ck_assert_int_eq(store_open(&s, tu_path("h2.db"), STORE_READ, &e), 0);
	assert_damaged(store_feature_get(s, &id, 0, &a, &f, &e), &e, "show");
	store_close(s);

	/* a token id near 2^32: no 64 GB token table */
	s = hostile_db("h3.db", &src);
	store_close(s);
	sql(tu_path("h3.db"), "INSERT INTO token(model_id, id, str) VALUES (1, 4294967290, 'x')");
	ck_assert_int_eq(store_open(&s, tu_path("h3.db"), STORE_READ, &e), 0);
	assert_damaged(store_feature_get(s, &id, 0, &a, &f, &e), &e, "token id");
	store_close(s);

	/* an index at 2^63-1, another negative, a third not an integer */
	s = hostile_db("h4.db", &src);
	store_close(s);
	sql(tu_path("h4.db"), "UPDATE feature SET idx = 9223372036854775807; UPDATE explanation SET idx = -3; "
	                      "UPDATE activation SET idx = 'x'");
	ck_assert_int_eq(store_open(&s, tu_path("h4.db"), STORE_READ, &e), 0);
	assert_damaged(store_feature_rows(s, src, &frows, &n, &e), &e, "feature list");
	ck_assert_ptr_null(frows);
	assert_damaged(store_search(s, "bridge", NULL, NULL, 10, &a, &hits, &n, &e), &e, "search index");
	store_close(s);

	/* NULL data blobs (found by fuzz/fuzz_dbrows: NULL + 0 under UBSan) and
	 * out-of-range numbers */
	s = hostile_db("h5.db", &src);
	store_close(s);
	sql(tu_path("h5.db"), "UPDATE feature SET data = NULL");
	ck_assert_int_eq(store_open(&s, tu_path("h5.db"), STORE_READ, &e), 0);
	assert_damaged(store_feature_get(s, &id, 0, &a, &f, &e), &e, "feature blob");
	store_close(s);
	s = hostile_db("h7.db", &src);
	store_close(s);
	sql(tu_path("h7.db"), "UPDATE activation SET data = NULL");
	ck_assert_int_eq(store_open(&s, tu_path("h7.db"), STORE_READ, &e), 0);
	assert_damaged(store_feature_get(s, &id, 0, &a, &f, &e), &e, "activation blob");
	store_close(s);
	s = hostile_db("h6.db", &src);
	store_close(s);
	sql(tu_path("h6.db"), "UPDATE feature SET frac_nonzero = 7");
	ck_assert_int_eq(store_open(&s, tu_path("h6.db"), STORE_READ, &e), 0);
	assert_damaged(store_feature_get(s, &id, 0, &a, &f, &e), &e, "density");
	store_close(s);
	arena_free(&a);
}
END_TEST

/* A user.db from a newer saex is refused and left as it is; with neither
 * XDG_DATA_HOME nor HOME set nothing is created in the current folder. */
START_TEST(user_db_refusals)
{
	store_user *u;
	saex_err e = {{0}, 0};
	const char *p = tu_path("newer-user.db");
	ck_assert_int_eq(store_user_open(&u, p, &e), 0);
	store_user_close(u);
	sql(p, "PRAGMA user_version = 2");
	ck_assert_int_eq(store_user_open(&u, p, &e), STORE_EBAD);
	ck_assert_msg(strstr(e.msg, "written by a newer saex"), "%s", e.msg);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 2); /* not downgraded */
	sqlite3_finalize(st);
	sqlite3_close(db);

	char cwd[1024];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	tu_mkdirs(tu_path("nohome"));
	ck_assert_int_eq(chdir(tu_path("nohome")), 0);
	unsetenv("XDG_DATA_HOME");
	unsetenv("HOME");
	ck_assert_ptr_null(store_user_default_path());
	ck_assert_int_eq(store_user_open(&u, NULL, &e), STORE_EBAD);
	ck_assert_msg(strstr(e.msg, "neither XDG_DATA_HOME nor HOME"), "%s", e.msg);
	ck_assert_int_ne(access(".local", F_OK), 0);
	setenv("HOME", "relative/home", 1);
	ck_assert_ptr_null(store_user_default_path());
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, search);
	tcase_add_test(tc, search_common_words);
	tcase_add_test(tc, feature_pages);
	tcase_add_test(tc, rollback_keeps_ids_consistent);
	tcase_add_test(tc, refuses_foreign_and_newer);
	tcase_add_test(tc, damaged_file);
	tcase_add_test(tc, user_db);
	tcase_add_test(tc, user_live_tests);
	tcase_add_test(tc, damaged_rows);
	tcase_add_test(tc, user_db_refusals);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
