/* store_user.c - the per-user database: stars, lists and the steering log
 * (schema in data/user.sql). It is separate from the export so an export can sit
 * read-only on a shared server. */
#include "config.h"
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct store_user {
	sqlite3 *db;
	char *path;
};

const char *store_user_path(const store_user *u)
{
	return u->path;
}

int64_t store_user_changes(store_user *u)
{
	return u ? (int64_t)sqlite3_total_changes(u->db) : 0;
}

char *store_user_default_path(void)
{
	const char *x = getenv("XDG_DATA_HOME");
	if (x && *x == '/')
		return xasprintf("%s/saex/user.db", x);
	const char *h = getenv("HOME");
	if (h && *h == '/')
		return xasprintf("%s/.local/share/saex/user.db", h);
	return NULL; /* never a folder made in whatever the current one is */
}

static int store_user_fail(store_user *u, saex_err *e, const char *what)
{
	return err_set(e, STORE_EBAD, "%s: %s: %s", u->path, what, sqlite3_errmsg(u->db));
}

int store_user_open(store_user **out, const char *path, saex_err *e)
{
	*out = NULL;
	store_user *u = xcalloc(1, sizeof *u);
	u->path = path ? xstrdup(path) : store_user_default_path();
	if (!u->path) {
		free(u);
		return err_set(e, STORE_EBAD, "no per-user database: neither XDG_DATA_HOME nor HOME names a folder "
		               "(set one to an absolute path)");
	}
	if (util_mkdirs_for(u->path) != 0) {
		int rc = err_set(e, STORE_EBAD, "%s: cannot create its folder: %s", u->path,
		                 strerror(errno));
		store_user_close(u);
		return rc;
	}
	int rc = sqlite3_open_v2(u->path, &u->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		rc = store_user_fail(u, e, "cannot open");
		store_user_close(u);
		return rc;
	}
	sqlite3_busy_timeout(u->db, 10000);
	sqlite3_stmt *st;
	int64_t app = -1, tables = 0, ver = 0;
	if (sqlite3_prepare_v2(u->db, "SELECT (SELECT application_id FROM pragma_application_id), "
	                              "(SELECT count(*) FROM sqlite_master), (SELECT user_version FROM pragma_user_version)",
	                       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			app = sqlite3_column_int64(st, 0);
			tables = sqlite3_column_int64(st, 1);
			ver = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
	}
	if (app == STORE_USER_APP_ID && ver > STORE_USER_SCHEMA_VERSION) {
		/* its schema must not be "upgraded" down to ours */
		rc = err_set(e, STORE_EBAD, "%s: written by a newer saex (user database schema %lld; this saex %s "
		             "reads schema %d): upgrade saex to use it", u->path, (long long)ver, PACKAGE_VERSION,
		             STORE_USER_SCHEMA_VERSION);
	} else if (app < 0) {
		rc = err_set(e, STORE_EBAD, "%s: not a saex user database: %s", u->path,
		             sqlite3_errmsg(u->db));
	} else if (app == 0 && tables == 0) {
		char *msg = NULL;
		if (sqlite3_exec(u->db, store_user_schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
			rc = err_set(e, STORE_EBAD, "%s: cannot create: %s", u->path, msg ? msg : "");
			sqlite3_free(msg);
		} else {
			rc = 0;
		}
	} else if (app != STORE_USER_APP_ID) {
		rc = err_set(e, STORE_EBAD, "%s: not a saex user database", u->path);
	} else {
		/* an older file gains the tables it lacks (the schema is idempotent);
		 * a read-only one keeps working for what it has */
		sqlite3_exec(u->db, store_user_schema_sql, NULL, NULL, NULL);
		rc = 0;
	}
	if (rc) {
		store_user_close(u);
		return rc;
	}
	*out = u;
	return 0;
}

void store_user_close(store_user *u)
{
	if (!u)
		return;
	if (u->db)
		sqlite3_close_v2(u->db);
	free(u->path);
	free(u);
}

int store_user_star(store_user *u, const saex_fid *id, int on, saex_err *e)
{
	sqlite3_stmt *st;
	const char *sql = on ? "INSERT OR IGNORE INTO star(model, source, idx) VALUES (?1, ?2, ?3)"
	                     : "DELETE FROM star WHERE model = ?1 AND source = ?2 AND idx = ?3";
	if (sqlite3_prepare_v2(u->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot star");
	sqlite3_bind_text(st, 1, id->model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, id->index);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_user_fail(u, e, "cannot star");
}

int store_user_starred(store_user *u, const saex_fid *id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db,
	                       "SELECT 1 FROM star WHERE model = ?1 AND source = ?2 AND idx = ?3",
	                       -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, id->model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, id->index);
	int r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

int store_user_list_add(store_user *u, const char *list, const saex_fid *id, const char *note,
                        saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_exec(u->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot add to the list");
	int rc = sqlite3_prepare_v2(u->db, "INSERT OR IGNORE INTO list(name) VALUES (?1)", -1, &st,
	                            NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, list, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(u->db,
		                        "INSERT INTO list_item(list_id, model, source, idx, note) "
		                        "SELECT id, ?2, ?3, ?4, ?5 FROM list WHERE name = ?1 "
		                        "ON CONFLICT(list_id, model, source, idx) DO UPDATE SET "
		                        "note = excluded.note",
		                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, list, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, id->model, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, id->source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, id->index);
		if (note && *note)
			sqlite3_bind_text(st, 5, note, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 5);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK) {
		int r = store_user_fail(u, e, "cannot add to the list");
		sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	if (sqlite3_exec(u->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int r = store_user_fail(u, e, "cannot add to the list");
		sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

int store_user_lists(store_user *u, arena *a, store_list **out, size_t *n, saex_err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db,
	                       "SELECT l.name, count(i.idx) FROM list l LEFT JOIN list_item i "
	                       "ON i.list_id = l.id GROUP BY l.id ORDER BY l.name",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot read lists");
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = arena_grow(a, *out, *n, &cap, sizeof **out, 8);
		store_list *l = &(*out)[(*n)++];
		l->name = store_col_text(st, 0, a);
		l->count = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_user_fail(u, e, "cannot read lists");
}

int store_user_list_items(store_user *u, const char *list, arena *a, store_list_item **out,
                          size_t *n, saex_err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	const char *sql = list
		? "SELECT i.model, i.source, i.idx, i.note, i.added FROM list_item i "
		  "JOIN list l ON l.id = i.list_id WHERE l.name = ?1 ORDER BY i.added, i.rowid"
		: "SELECT model, source, idx, NULL, at FROM star ORDER BY at, model, source, idx";
	if (sqlite3_prepare_v2(u->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot read the list");
	if (list)
		sqlite3_bind_text(st, 1, list, -1, SQLITE_TRANSIENT);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = arena_grow(a, *out, *n, &cap, sizeof **out, 16);
		store_list_item *it = &(*out)[(*n)++];
		snprintf(it->id.model, sizeof it->id.model, "%s", sqlite3_column_text(st, 0));
		snprintf(it->id.source, sizeof it->id.source, "%s", sqlite3_column_text(st, 1));
		it->id.index = sqlite3_column_int64(st, 2);
		it->note = store_col_text(st, 3, a);
		it->added = store_col_text(st, 4, a);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_user_fail(u, e, "cannot read the list");
}

/* Runs one statement with text parameters ?1.. (NULL binds NULL) and an
 * integer ?9 (when idx >= 0). */
static int store_user_exec(store_user *u, const char *sql, const char *const *text, size_t n, int64_t idx,
                           const char *what, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, what);
	for (size_t i = 0; i < n; i++)
		store_bind_text(st, (int)i + 1, text[i]);
	if (idx >= 0)
		sqlite3_bind_int64(st, 9, idx);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_user_fail(u, e, what);
}

int store_user_list_remove(store_user *u, const char *list, const saex_fid *id, saex_err *e)
{
	if (!list)
		return store_user_star(u, id, 0, e);
	const char *t[] = {list, id->model, id->source};
	return store_user_exec(u,
	                       "DELETE FROM list_item WHERE list_id = (SELECT id FROM list WHERE name = ?1) "
	                       "AND model = ?2 AND source = ?3 AND idx = ?9",
	                       t, 3, id->index, "cannot remove from the list", e);
}

int store_user_list_rename(store_user *u, const char *list, const char *name, saex_err *e)
{
	if (!*name)
		return err_set(e, 1, "a list needs a name");
	const char *t[] = {list, name};
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db, "SELECT 1 FROM list WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot rename the list");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (taken && strcmp(list, name))
		return err_set(e, 1, "there is a list named %s already", name);
	return store_user_exec(u, "UPDATE list SET name = ?2 WHERE name = ?1", t, 2, -1, "cannot rename the list", e);
}

int store_user_list_delete(store_user *u, const char *list, saex_err *e)
{
	const char *t[] = {list};
	if (sqlite3_exec(u->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot delete the list");
	int rc = store_user_exec(u, "DELETE FROM list_item WHERE list_id = (SELECT id FROM list WHERE name = ?1)", t, 1,
	                         -1, "cannot delete the list", e);
	if (rc == 0)
		rc = store_user_exec(u, "DELETE FROM list WHERE name = ?1", t, 1, -1, "cannot delete the list", e);
	if (rc == 0 && sqlite3_exec(u->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = store_user_fail(u, e, "cannot delete the list");
	if (rc)
		sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_user_steer_log(store_user *u, const store_steer_run *r, int64_t *id, saex_err *e)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db,
	                       "INSERT INTO steer_run(db, model, prompt, settings, features, default_text, "
	                       "steered_text, default_ids, steered_ids) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot log the steering run");
	const char *v[9] = {r->db, r->model, r->prompt, r->settings, r->features, r->default_text,
	                    r->steered_text, r->default_ids, r->steered_ids};
	for (int i = 0; i < 9; i++)
		if (v[i])
			sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, i + 1);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_user_fail(u, e, "cannot log the steering run");
	if (id)
		*id = sqlite3_last_insert_rowid(u->db);
	return 0;
}

int store_user_steer_runs(store_user *u, arena *a, store_steer_run **out, size_t *n, saex_err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db,
	                       "SELECT id, created, db, model, prompt, settings, features, default_text, "
	                       "steered_text, default_ids, steered_ids FROM steer_run ORDER BY id DESC",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot read the steering log");
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = arena_grow(a, *out, *n, &cap, sizeof **out, 16);
		store_steer_run *r = &(*out)[(*n)++];
		r->id = sqlite3_column_int64(st, 0);
		r->created = store_col_text(st, 1, a);
		r->db = store_col_text(st, 2, a);
		r->model = store_col_text(st, 3, a);
		r->prompt = store_col_text(st, 4, a);
		r->settings = store_col_text(st, 5, a);
		r->features = store_col_text(st, 6, a);
		r->default_text = store_col_text(st, 7, a);
		r->steered_text = store_col_text(st, 8, a);
		r->default_ids = store_col_text(st, 9, a);
		r->steered_ids = store_col_text(st, 10, a);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_user_fail(u, e, "cannot read the steering log");
}

/* ------------------------------------------------------------ live tests */

static void su_put32(sb *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	sb_add(b, c, 4);
}

static uint32_t su_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int store_user_test_log(store_user *u, const saex_fid *id, const store_live_test *t, size_t keep,
                        saex_err *e)
{
	sb tok = {0}, val = {0};
	for (size_t i = 0; i < t->n; i++) {
		su_put32(&tok, (uint32_t)t->tok_len[i]);
		sb_add(&tok, t->tok[i], t->tok_len[i]);
		uint32_t bits;
		memcpy(&bits, &t->values[i], sizeof bits);
		su_put32(&val, bits);
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_exec(u->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(u->db,
		                        "INSERT INTO live_test(db, model, source, idx, text, bos, tokens, vals) "
		                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
		                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (t->db)
			sqlite3_bind_text(st, 1, t->db, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, id->model, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, id->source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 4, id->index);
		sqlite3_bind_text(st, 5, t->text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 6, t->bos != 0);
		sqlite3_bind_blob(st, 7, tok.p ? tok.p : "", (int)tok.n, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 8, val.p ? val.p : "", (int)val.n, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(u->db,
		                        "DELETE FROM live_test WHERE model = ?1 AND source = ?2 AND idx = ?3 "
		                        "AND id NOT IN (SELECT id FROM live_test WHERE model = ?1 AND "
		                        "source = ?2 AND idx = ?3 ORDER BY id DESC LIMIT ?4)",
		                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id->model, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, id->source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, id->index);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)keep);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(u->db, "COMMIT", NULL, NULL, NULL);
	sb_free(&tok);
	sb_free(&val);
	if (rc != SQLITE_OK) {
		int r = store_user_fail(u, e, "cannot keep the live test");
		sqlite3_exec(u->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

/* Decodes row's tokens and values into t; -1 when they do not fit. */
static int su_test_decode(sqlite3_stmt *st, arena *a, store_live_test *t)
{
	const unsigned char *tk = sqlite3_column_blob(st, 5);
	size_t ntk = (size_t)sqlite3_column_bytes(st, 5);
	const unsigned char *vb = sqlite3_column_blob(st, 6);
	size_t nvb = (size_t)sqlite3_column_bytes(st, 6);
	if (nvb % 4)
		return -1;
	size_t n = nvb / 4;
	char **tok = arena_alloc(a, (n ? n : 1) * sizeof *tok);
	size_t *len = arena_alloc(a, (n ? n : 1) * sizeof *len);
	float *val = arena_alloc(a, (n ? n : 1) * sizeof *val);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (ntk - at < 4)
			return -1;
		uint32_t l = su_get32(tk + at);
		at += 4;
		if (ntk - at < l)
			return -1;
		tok[i] = arena_strndup(a, (const char *)tk + at, l);
		len[i] = l;
		at += l;
		uint32_t bits = su_get32(vb + 4 * i);
		memcpy(&val[i], &bits, sizeof bits);
	}
	if (at != ntk)
		return -1;
	t->n = n;
	t->tok = (const char *const *)tok;
	t->tok_len = len;
	t->values = val;
	return 0;
}

int store_user_tests(store_user *u, const saex_fid *id, size_t max, arena *a,
                     store_live_test **out, size_t *n, saex_err *e)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(u->db,
	                       "SELECT id, created, db, text, bos, tokens, vals FROM live_test WHERE "
	                       "model = ?1 AND source = ?2 AND idx = ?3 ORDER BY id DESC LIMIT ?4",
	                       -1, &st, NULL) != SQLITE_OK)
		return store_user_fail(u, e, "cannot read the live tests");
	sqlite3_bind_text(st, 1, id->model, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, id->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, id->index);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = arena_grow(a, *out, *n, &cap, sizeof **out, 8);
		store_live_test *t = &(*out)[*n];
		memset(t, 0, sizeof *t);
		t->created = store_col_text(st, 1, a);
		t->db = store_col_text(st, 2, a);
		t->text = store_col_text(st, 3, a);
		t->bos = sqlite3_column_int(st, 4) != 0;
		if (!t->text || su_test_decode(st, a, t)) {
			int64_t rid = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
			*n = 0;
			return err_set(e, STORE_EBAD, "%s: live test %lld is damaged", u->path, (long long)rid);
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : store_user_fail(u, e, "cannot read the live tests");
}
