/* fuzz_dbrows.c - libFuzzer harness for the store's readers on a database
 * from a stranger: a small valid database whose schema has lost its NOT
 * NULLs (as another program could write it) gets the input's values put
 * into its rows, then every reader runs over it (store_catalog,
 * store_feature_get, store_feature_rows, store_each_*, store_search,
 * store_filter_new, store_feature_page, store_source_find) and what a reader returns is
 * drawn by show.c (text and --json), as saex show does.
 *
 * Input: a byte of which rows to change, then fields, each a 2-byte little-
 * endian length and that many bytes (length 0xffff: NULL):
 *   bit 0 feature.data      bit 1 activation.data   bit 2 explanation.description
 *   bit 3 a token (id: the field's first 8 bytes, then its string)
 *   bit 4 the index of the feature, the activation and the explanation rows
 *   bit 5 model.name        bit 6 source.name
 *   bit 7 feature.max_act and frac_nonzero (two doubles) and token ids' shift
 * A reader may fail (with a message: checked) but never crash. */
#include "config.h"
#include "store.h"
#include "show.h"
#include "fuzz_util.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern const char store_schema_sql[];

typedef struct field {
	const uint8_t *p;
	size_t n;
	int null;
} field;

/* The next field of the input; an absent one reads as empty. */
static field next_field(const uint8_t **p, size_t *n)
{
	field f = {(const uint8_t *)"", 0, 0};
	if (*n < 2) {
		*n = 0;
		return f;
	}
	size_t len = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
	*p += 2;
	*n -= 2;
	if (len == 0xffff) {
		f.null = 1;
		return f;
	}
	if (len > *n)
		len = *n;
	f.p = *p;
	f.n = len;
	*p += len;
	*n -= len;
	return f;
}

/* The database every input starts from: one source with a feature (a
 * record, two examples of three tokens, an explanation), made once. */
static char *template_db(size_t *len)
{
	static char *bytes;
	static size_t n;
	if (bytes) {
		*len = n;
		return bytes;
	}
	const char *path = fz_path("template.db");
	sb schema = {0};
	for (const char *q = store_schema_sql; *q;) {
		if (strncmp(q, "NOT NULL", 8) == 0)
			q += 8;
		else
			sb_addc(&schema, *q++);
	}
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, schema.p, NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
	sb_free(&schema);
	store *s;
	saex_err e = {{0}, 0};
	int64_t src;
	int added;
	store_str toks[] = {{" the", 4}, {" bridge", 7}, {"\xe6\xa1", 2}};
	float v1[] = {0, 2.5f, 1}, v2[] = {3, 0, 0}, fh[] = {4, 2, 1}, fv[] = {0.5f, 1.5f, 2.5f}, pv[] = {1, 0.5f};
	uint32_t ci[] = {5, 9};
	store_act_in a1 = {5, toks, v1, 3, 2.5, 0, 1, -1, 3, -1, NULL, 0, 0};
	store_act_in a2 = {5, toks, v2, 3, 3, 0, 0, 1, 3, 0.25, NULL, 0, 0};
	store_expl_in x = {5, " the Golden Gate Bridge", "oai_token-act-pair", "gpt-4o-mini", NULL, 0};
	store_feature_in f = {.index = 5, .max_act = 3, .frac_nonzero = 0.01, .freq_h = fh, .freq_v = fv, .n_freq = 3,
	                      .pos_str = toks, .pos_v = pv, .n_pos = 2, .cos_idx = ci, .cos_v = pv, .n_cos = 2,
	                      .extra_json = "{\"hookName\":\"blocks.9.hook_resid_pre\"}"};
	if (store_open(&s, path, STORE_WRITE, &e) || store_begin(s, &e) ||
	    store_source_ensure(s, "gpt2-small", "9-res-jb", &src, &e) ||
	    store_put_activation(s, src, &a1, &added, &e) || store_put_activation(s, src, &a2, &added, &e) ||
	    store_put_explanation(s, src, &x, &added, &e) || store_put_feature(s, src, &f, &added, &e) ||
	    store_commit(s, &e))
		abort();
	store_close(s);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		abort();
	fseek(fp, 0, SEEK_END);
	n = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	bytes = malloc(n);
	if (!bytes || fread(bytes, 1, n, fp) != n)
		abort();
	fclose(fp);
	*len = n;
	return bytes;
}

/* Runs sql with ?1 bound to the field (as a blob, text, or NULL). */
static void put(sqlite3 *db, const char *sql, field f, int as_text)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		abort();
	if (f.null)
		sqlite3_bind_null(st, 1);
	else if (as_text)
		sqlite3_bind_text(st, 1, (const char *)f.p, (int)f.n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_blob(st, 1, f.n ? f.p : (const void *)"", (int)f.n, SQLITE_TRANSIENT);
	sqlite3_step(st); /* a constraint may refuse it: fine */
	sqlite3_finalize(st);
}

static int64_t field_i64(field f)
{
	uint64_t v = 0;
	for (size_t i = 0; i < f.n && i < 8; i++)
		v |= (uint64_t)f.p[i] << (8 * i);
	return (int64_t)v;
}

static double field_f64(field f, size_t at)
{
	double d = 0;
	if (f.n >= at + 8)
		memcpy(&d, f.p + at, 8);
	return d;
}

static void damage(const char *path, uint8_t ops, const uint8_t *p, size_t n)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY; BEGIN", NULL, NULL, NULL) !=
	        SQLITE_OK)
		abort();
	if (ops & 1)
		put(db, "UPDATE feature SET data = ?1", next_field(&p, &n), 0);
	if (ops & 2)
		put(db, "UPDATE activation SET data = ?1", next_field(&p, &n), 0);
	if (ops & 4)
		put(db, "UPDATE explanation SET description = ?1", next_field(&p, &n), 1);
	if (ops & 8) {
		field id = next_field(&p, &n), str = next_field(&p, &n);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO token(model_id, id, str) VALUES (1, ?1, ?2)", -1, &st,
		                       NULL) != SQLITE_OK)
			abort();
		sqlite3_bind_int64(st, 1, field_i64(id));
		if (str.null)
			sqlite3_bind_null(st, 2);
		else
			sqlite3_bind_blob(st, 2, str.n ? str.p : (const void *)"", (int)str.n, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (ops & 16) {
		field f = next_field(&p, &n);
		char sql[200];
		const char *const tables[] = {"feature", "activation", "explanation"};
		for (int i = 0; i < 3; i++) {
			snprintf(sql, sizeof sql, "UPDATE %s SET idx = %s", tables[i], f.n >= 8 ? "?1" : "NULL");
			sqlite3_stmt *st;
			if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
				abort();
			if (f.n >= 8)
				sqlite3_bind_int64(st, 1, (int64_t)((uint64_t)field_i64(f) + (uint64_t)i)); /* wraps, as a stranger may */
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
	}
	if (ops & 32)
		put(db, "UPDATE model SET name = ?1", next_field(&p, &n), 1);
	if (ops & 64)
		put(db, "UPDATE source SET name = ?1", next_field(&p, &n), 1);
	if (ops & 128) {
		field f = next_field(&p, &n);
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "UPDATE feature SET max_act = ?1, frac_nonzero = ?2", -1, &st, NULL) !=
		    SQLITE_OK)
			abort();
		sqlite3_bind_double(st, 1, field_f64(f, 0));
		sqlite3_bind_double(st, 2, field_f64(f, 8));
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
}

/* A failure must say why. */
static void checked(int rc, const saex_err *e)
{
	if (rc && !e->msg[0])
		abort();
}

/* What saex show prints, in text and JSON. */
static void draw(const store_feature *f)
{
	sb out = {0};
	cli_style cs = {0, 1, 1, 1, 100};
	show_opts so = {5, 12, 0};
	show_text(&out, f, &so, &cs);
	sb_free(&out);
	json_t *j = show_json(f);
	char *d = json_dumps(j, JSON_COMPACT);
	free(d);
	json_decref(j);
}

static int touch_feature(void *ctx, const store_feature *f)
{
	(void)ctx;
	draw(f);
	return 0;
}

static int touch_act(void *ctx, int64_t index, const store_act *a)
{
	size_t *sum = ctx;
	for (size_t i = 0; i < a->n; i++)
		*sum += a->tokens[i].n + (size_t)index;
	return 0;
}

static int touch_expl(void *ctx, int64_t index, const store_expl *x)
{
	size_t *sum = ctx;
	*sum += strlen(x->description) + (size_t)index;
	return 0;
}

static void read_all(store *s)
{
	saex_err e = {{0}, 0};
	arena a = {0};
	store_cat_row *rows;
	size_t n, sum = 0;
	checked(store_catalog(s, &a, &rows, &n, &e), &e);
	store_feature f;
	saex_fid id = {"gpt2-small", "9-res-jb", 5};
	int rc = store_feature_get(s, &id, 0, &a, &f, &e);
	checked(rc, &e);
	if (rc == 0)
		draw(&f);
	store_hit *hits;
	checked(store_search(s, "bridge", NULL, NULL, 10, &a, &hits, &n, &e), &e);
	int64_t src;
	saex_fid names;
	rc = store_source_find(s, "9-res-jb", &src, &names, &e);
	checked(rc, &e);
	if (rc == 0) {
		store_feat_row *fr;
		checked(store_feature_rows(s, src, &fr, &n, &e), &e);
		free(fr);
		store_filter *flt = NULL;
		checked(store_filter_new(s, src, "bridge", &flt, &e), &e);
		store_feat_row page[16];
		checked(store_feature_page(s, src, flt, INT64_MIN, 0, 16, page, &n, &e), &e);
		store_filter_free(flt);
		checked(store_feature_page(s, src, NULL, INT64_MIN, 0, 16, page, &n, &e), &e);
		checked(store_each_feature(s, src, touch_feature, NULL, &e), &e);
		checked(store_each_activation(s, src, touch_act, &sum, &e), &e);
		checked(store_each_explanation(s, src, touch_expl, &sum, &e), &e);
	}
	arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t len;
	char *tmpl = template_db(&len);
	const char *path = fz_path("rows.db");
	fz_write(path, tmpl, len);
	damage(path, data[0], data + 1, size - 1);
	store *s;
	saex_err e = {{0}, 0};
	int rc = store_open(&s, path, STORE_READ, &e);
	checked(rc, &e);
	if (rc == 0) {
		read_all(s);
		store_close(s);
	}
	return 0;
}
