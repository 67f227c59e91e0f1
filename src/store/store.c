/* store.c - opening, schema checks, transactions and statement cache. */
#include "config.h"
#include "store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const store_sql[ST__COUNT] = {
	[ST_MODEL_ID] = "SELECT id FROM model WHERE name = ?1",
	[ST_MODEL_INS] = "INSERT INTO model(name) VALUES (?1)",
	[ST_SOURCE_ID] = "SELECT s.id, s.model_id FROM source s JOIN model m ON m.id = s.model_id "
	                 "WHERE m.name = ?1 AND s.name = ?2",
	[ST_SOURCE_INS] = "INSERT INTO source(model_id, name, set_id) VALUES (?1, ?2, ?3)",
	[ST_SET_INS] = "INSERT OR IGNORE INTO source_set(model_id, name) VALUES (?1, ?2)",
	[ST_SET_ID] = "SELECT id FROM source_set WHERE model_id = ?1 AND name = ?2",
	[ST_TOKEN_INS] = "INSERT INTO token(model_id, id, str) VALUES (?1, ?2, ?3)",
	[ST_FEAT_INS] = "INSERT INTO feature(source_id, idx, max_act, frac_nonzero, data) "
	                "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_FEAT_UPD] = "UPDATE feature SET max_act = ?3, frac_nonzero = ?4, data = ?5 "
	                "WHERE source_id = ?1 AND idx = ?2",
	[ST_ACT_PUT] = "INSERT OR REPLACE INTO activation(source_id, idx, n_examples, data) "
	               "VALUES (?1, ?2, ?3, ?4)",
	[ST_ACT_GET] = "SELECT data FROM activation WHERE source_id = ?1 AND idx = ?2",
	[ST_EXPL_INS] = "INSERT OR IGNORE INTO explanation(source_id, idx, hash, description, "
	                "type_name, explainer, embedding) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_FTS_INS] = "INSERT INTO explanation_fts(rowid, description) VALUES (?1, ?2)",
	[ST_BATCH_DONE] = "SELECT 1 FROM import_batch WHERE key = ?1",
	[ST_BATCH_MARK] = "INSERT OR REPLACE INTO import_batch(key, kind, path, lines, at) "
	                  "VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
	[ST_COUNT_UPD] = "UPDATE source SET n_features = n_features + ?2, "
	                 "n_activations = n_activations + ?3, "
	                 "n_explanations = n_explanations + ?4 WHERE id = ?1",
	[ST_R_SOURCE] = "SELECT s.id, s.model_id, s.hook_name FROM source s "
	                "JOIN model m ON m.id = s.model_id WHERE m.name = ?1 AND s.name = ?2",
	[ST_R_FEATURE] = "SELECT max_act, frac_nonzero, data FROM feature "
	                 "WHERE source_id = ?1 AND idx = ?2",
	[ST_R_EXPL] = "SELECT description, type_name, explainer FROM explanation "
	              "WHERE source_id = ?1 AND idx = ?2 ORDER BY id",
	[ST_R_TOKENS] = "SELECT id, str FROM token WHERE model_id = ?1 ORDER BY id",
	[ST_R_TOKEN_ONE] = "SELECT str FROM token WHERE model_id = ?1 AND id = ?2",
	[ST_R_TOKEN_MAX] = "SELECT max(id), count(*) FROM token WHERE model_id = ?1",
};

/* The OS's reason behind an I/O failure (a full disk, a file size limit),
 * as " (reason)", or "". */
static const char *store_os_reason(store *s, char *buf, size_t n)
{
	int code = sqlite3_errcode(s->db), sys = sqlite3_system_errno(s->db);
	buf[0] = 0;
	if (sys && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN))
		snprintf(buf, n, " (%s)", strerror(sys));
	else if (code == SQLITE_IOERR || code == SQLITE_FULL)
		snprintf(buf, n, " (is the disk full, or a file size limit reached?)");
	return buf;
}

int store_fail(store *s, saex_err *e, const char *what)
{
	char os[128];
	int code = sqlite3_errcode(s->db);
	return err_set(e, STORE_EBAD, "%s: %s%s: %s%s", s->path,
	               code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? "damaged database: " : "", what,
	               sqlite3_errmsg(s->db), store_os_reason(s, os, sizeof os));
}

int store_damaged(store *s, saex_err *e, const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return err_set(e, STORE_EBAD, "%s: damaged database: %s", s->path, what);
}

int store_col_name(store *s, sqlite3_stmt *st, int i, char *buf, const char *what, saex_err *e)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	if (!t)
		return store_damaged(s, e, "%s is NULL", what);
	if (strlen(t) != (size_t)sqlite3_column_bytes(st, i) || !saex_fid_valid_name(t))
		return store_damaged(s, e, "%s '%.60s' is not a valid id", what, t);
	snprintf(buf, SAEX_ID_MAX, "%s", t);
	return 0;
}

char *store_col_req(store *s, sqlite3_stmt *st, int i, arena *a, const char *what, saex_err *e)
{
	char *t = store_col_text(st, i, a);
	if (!t)
		store_damaged(s, e, "%s is NULL", what);
	return t;
}

int store_col_index(store *s, sqlite3_stmt *st, int i, int64_t *out, saex_err *e)
{
	int type = sqlite3_column_type(st, i); /* before any conversion */
	int64_t v = sqlite3_column_int64(st, i);
	if (type != SQLITE_INTEGER || v < 0 || v >= (INT64_C(1) << 53))
		return store_damaged(s, e, "a feature index that is not a whole number from 0 to 2^53-1 (%lld)",
		                     (long long)v);
	*out = v;
	return 0;
}

sqlite3_stmt *store_stmt(store *s, store_stmt_id id, saex_err *e)
{
	if (!s->st[id]) {
		if (sqlite3_prepare_v3(s->db, store_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                       &s->st[id], NULL) != SQLITE_OK) {
			store_fail(s, e, "cannot read the database");
			return NULL;
		}
	}
	return s->st[id];
}

void store_bind_text(sqlite3_stmt *st, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

char *store_col_text(sqlite3_stmt *st, int i, arena *a)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	if (!t)
		return NULL;
	return arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, i));
}

/* Percent-encodes what a file: URI cannot carry as is. */
static char *store_uri(const char *path, const char *query)
{
	sb b = {0};
	sb_adds(&b, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			sb_printf(&b, "%%%02X", (unsigned char)*p);
		else
			sb_addc(&b, *p);
	}
	sb_printf(&b, "?%s", query);
	return b.p;
}

/* Waits for another connection's write transaction: writers (an import
 * behind another import) wait up to STORE_WAIT_WRITE seconds and say once
 * that they are waiting; readers STORE_WAIT_READ seconds. 1: wait a little
 * and try again; 0: give up. since: when this wait began. */
#define STORE_WAIT_WRITE 3600
#define STORE_WAIT_READ 10
static int store_wait(store *s, double since, int count)
{
	double waited = now_seconds() - since;
	if (waited > (s->writable ? STORE_WAIT_WRITE : STORE_WAIT_READ))
		return 0;
	if (s->writable && waited > 1 && !s->wait_said && s->on_wait) {
		s->wait_said = 1;
		s->on_wait(s->wait_ctx, s->path);
	}
	struct timespec ts = {0, (count < 10 ? 2 : 20) * 1000000L};
	nanosleep(&ts, NULL);
	return 1;
}

/* SQLite's busy handler (count 0 starts a wait). */
static int store_busy(void *arg, int count)
{
	store *s = arg;
	if (count == 0)
		s->wait_start = now_seconds();
	return store_wait(s, s->wait_start, count);
}

void store_on_wait(store *s, void (*cb)(void *ctx, const char *path), void *ctx)
{
	s->on_wait = cb;
	s->wait_ctx = ctx;
}

static int store_exec(store *s, const char *sql, saex_err *e, const char *what)
{
	char *msg = NULL, os[128];
	int rc, count = 0;
	double since = now_seconds();
	/* A journal-mode switch meets another process's lock without calling
	 * the busy handler (SQLite's deadlock rule): wait here as it would. A
	 * statement whose busy handler gave up is not tried again. */
	while ((rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg)) == SQLITE_BUSY && now_seconds() - since < 1 + count &&
	       store_wait(s, since, count++)) {
		sqlite3_free(msg);
		msg = NULL;
	}
	if (rc != SQLITE_OK) {
		err_set(e, STORE_EBAD, "%s: %s: %s%s", s->path, what, msg ? msg : "error",
		        store_os_reason(s, os, sizeof os));
		sqlite3_free(msg);
		return STORE_EBAD;
	}
	return 0;
}

/* Reads one integer result of sql; returns the SQLite result code. */
static int store_int_query(store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Checks that the open file is a saex database this version can read.
 * *empty is set when it holds no schema at all. */
static int store_check(store *s, int *empty, saex_err *e)
{
	int64_t app = 0, ntables = 0, ver = 0;
	int rc = store_int_query(s, "PRAGMA application_id", &app);
	if (rc == SQLITE_NOTADB)
		return err_set(e, STORE_EBAD, "%s: not a saex database (not an SQLite file)", s->path);
	if (rc == SQLITE_CORRUPT)
		return err_set(e, STORE_EBAD, "%s: the database is corrupt (%s)", s->path,
		               sqlite3_errmsg(s->db));
	if (rc != SQLITE_OK)
		return store_fail(s, e, "cannot read the database");
	rc = store_int_query(s, "SELECT count(*) FROM sqlite_master", &ntables);
	if (rc != SQLITE_OK)
		return store_fail(s, e, "cannot read the database");
	*empty = ntables == 0 && app == 0;
	if (*empty)
		return 0;
	if (app != STORE_APP_ID)
		return err_set(e, STORE_EBAD, "%s: not a saex database (application id %lld)",
		               s->path, (long long)app);
	rc = store_int_query(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
	                     &ver);
	if (rc != SQLITE_OK)
		return err_set(e, STORE_EBAD, "%s: not a saex database (no meta table: %s)", s->path,
		               sqlite3_errmsg(s->db));
	if (ver > STORE_SCHEMA_VERSION)
		return err_set(e, STORE_EBAD,
		               "%s: written by a newer saex (database schema %lld; this saex %s "
		               "reads schema %d): upgrade saex to open it",
		               s->path, (long long)ver, PACKAGE_VERSION, STORE_SCHEMA_VERSION);
	if (ver < 1)
		return err_set(e, STORE_EBAD, "%s: not a saex database (schema version %lld)", s->path,
		               (long long)ver);
	return 0;
}

/* store_check on one snapshot: another process creating the schema may
 * commit between its reads (seen: tables, but no application id yet). */
static int store_check_now(store *s, int *empty, saex_err *e)
{
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, e, "cannot read the database");
	int rc = store_check(s, empty, e);
	if (rc == 0) /* on failure the caller reads sqlite3_errcode, then closes */
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

static int store_open_db(store *s, const char *name, int flags, saex_err *e)
{
	if (s->db)
		sqlite3_close_v2(s->db);
	s->db = NULL;
	/* A store is used by one thread at a time: no mutex around every call
	 * (they took a sixth of a feature-list filter's time). */
	int rc = sqlite3_open_v2(name, &s->db, flags | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		char os[128] = "";
		if (s->db)
			store_os_reason(s, os, sizeof os); /* "unable to open" hides "permission denied" */
		err_set(e, STORE_EBAD, "%s: cannot open: %s%s", s->path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
		        os);
		return STORE_EBAD;
	}
	sqlite3_extended_result_codes(s->db, 0);
	sqlite3_busy_handler(s->db, store_busy, s);
	/* Browsing reads the same index pages again and again (the feature
	 * list, the search index): keep up to 64 MiB of them, not 2. */
	if (flags & SQLITE_OPEN_READONLY)
		sqlite3_exec(s->db, "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	return 0;
}

/* STORE_EBAD when path's -wal file holds changes that an immutable open
 * would not see. */
static int store_check_wal(const char *path, saex_err *e)
{
	char *wal = xasprintf("%s-wal", path);
	struct stat st;
	int rc = 0;
	if (stat(wal, &st) == 0 && st.st_size > 0)
		rc = err_set(e, STORE_EBAD,
		             "%s: its latest changes are still in %s, which cannot be read where saex cannot write "
		             "(no %s-shm can be made): someone who can write there should run `sqlite3 %s 'PRAGMA "
		             "wal_checkpoint(TRUNCATE)'` (or any saex import into it), or copy both files to a folder "
		             "you can write to", path, wal, path, path);
	free(wal);
	return rc;
}

static int store_open_read(store *s, const char *path, saex_err *e)
{
	int empty = 0, rc;
	struct stat sbuf;
	if (stat(path, &sbuf) != 0)
		return err_set(e, STORE_NOTFOUND, "%s: %s", path, strerror(errno));
	if (S_ISDIR(sbuf.st_mode))
		return err_set(e, STORE_EBAD, "%s: is a folder, not a saex database", path);
	char *uri = store_uri(path, "mode=ro");
	rc = store_open_db(s, uri, SQLITE_OPEN_READONLY, e);
	free(uri);
	if (rc == 0)
		rc = store_check_now(s, &empty, e);
	int ec = s->db ? sqlite3_errcode(s->db) : 0;
	if (rc != 0 && (ec == SQLITE_CANTOPEN || ec == SQLITE_READONLY)) {
		/* A WAL database in a folder we cannot write (a read-only mount, a
		 * shared server): no -shm can be made, so read it as immutable,
		 * which ignores the -wal: refuse when that holds changes rather
		 * than show a database without them. */
		if ((rc = store_check_wal(path, e)))
			return rc;
		uri = store_uri(path, "immutable=1");
		rc = store_open_db(s, uri, SQLITE_OPEN_READONLY, e);
		free(uri);
		if (rc == 0)
			rc = store_check_now(s, &empty, e);
	}
	if (rc == 0 && empty)
		rc = err_set(e, STORE_EBAD, "%s: empty database: run saex import first", path);
	return rc;
}

/* Creates the schema in an empty file. Another process may be doing the
 * same: whoever takes the write lock first creates it, the other finds it. */
static int store_create(store *s, saex_err *e)
{
	int empty = 1;
	int rc = store_exec(s, "PRAGMA journal_mode = WAL", e, "cannot set up the database");
	if (rc == 0)
		rc = store_exec(s, "BEGIN IMMEDIATE", e, "cannot create the schema");
	if (rc == 0 && (rc = store_check(s, &empty, e)) == 0 && empty)
		rc = store_exec(s, store_schema_sql, e, "cannot create the schema");
	if (rc == 0)
		return store_exec(s, "COMMIT", e, "cannot create the schema");
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int store_open_write(store *s, const char *path, saex_err *e)
{
	int empty = 0, rc;
	struct stat sbuf;
	if (stat(path, &sbuf) == 0 && S_ISDIR(sbuf.st_mode))
		return err_set(e, STORE_EBAD, "%s: is a folder, not a saex database", path);
	char *uri = store_uri(path, "mode=rwc");
	rc = store_open_db(s, uri, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e);
	free(uri);
	if (rc == 0)
		rc = store_check_now(s, &empty, e);
	if (rc == 0 && empty)
		rc = store_create(s, e);
	/* WAL (readers never blocked by the import) is switched on by the
	 * first write transaction, when another writer is waited for openly. */
	if (rc == 0)
		rc = store_exec(s, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY",
		                e, "cannot set up the database");
	return rc;
}

int store_open(store **out, const char *path, int mode, saex_err *e)
{
	*out = NULL;
	store *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->writable = mode == STORE_WRITE;
	int rc = s->writable ? store_open_write(s, path, e) : store_open_read(s, path, e);
	if (rc) {
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_drop_write_caches(store *s)
{
	for (size_t i = 0; i < s->n_intr; i++)
		intern_free(s->intr[i].map);
	free(s->intr);
	s->intr = NULL;
	s->n_intr = 0;
	for (size_t i = 0; i < s->n_src; i++) {
		free(s->src[i].model);
		free(s->src[i].name);
		free(s->src[i].x_idx);
		sqlite3_finalize(s->src[i].x_st);
	}
	free(s->src);
	s->src = NULL;
	s->n_src = 0;
}

static void store_drop_read_caches(store *s)
{
	for (size_t i = 0; i < s->n_tc; i++) {
		arena_free(&s->tc[i].mem);
		free(s->tc[i].tok);
	}
	free(s->tc);
	s->tc = NULL;
	s->n_tc = 0;
}

void store_close(store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		store_rollback(s);
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db) {
		if (s->writable) {
			/* Leave one self-contained file that readers without write
			 * access can open. With readers still attached, or another
			 * import writing (nothing here waits for it), the switch fails
			 * harmlessly and the file stays in WAL mode; the last one to
			 * close makes the switch. */
			sqlite3_busy_handler(s->db, NULL, NULL);
			sqlite3_exec(s->db, "PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE); "
			                    "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
		}
		sqlite3_close_v2(s->db);
	}
	store_drop_write_caches(s);
	store_drop_read_caches(s);
	store_free_pending(s);
	for (size_t i = 0; i < SAEX_ARRAY_LEN(s->scratch); i++)
		sb_free(&s->scratch[i]);
	free(s->ids);
	free(s->path);
	free(s);
}

const char *store_path(const store *s)
{
	return s->path;
}

int store_begin(store *s, saex_err *e)
{
	s->wait_said = 0;
	if (!s->wal && store_exec(s, "PRAGMA journal_mode = WAL", e, "cannot set up the database"))
		return STORE_EBAD;
	s->wal = 1;
	if (store_exec(s, "BEGIN IMMEDIATE", e, "cannot start a transaction")) {
		if (sqlite3_errcode(s->db) == SQLITE_BUSY)
			err_set(e, STORE_EBAD, "%s: another process has been writing to this database for over %d minutes: "
			        "run this again when it is done", s->path, STORE_WAIT_WRITE / 60);
		return STORE_EBAD;
	}
	s->in_tx = 1;
	/* Another process may have written since our last transaction: the
	 * writer's caches (token ids, sources) may be stale. */
	int64_t v = 0;
	if (store_int_query(s, "PRAGMA data_version", &v) != SQLITE_OK) {
		store_rollback(s);
		return store_fail(s, e, "cannot start a transaction");
	}
	if (v != s->data_version)
		store_drop_write_caches(s);
	s->data_version = v;
	return 0;
}

static int store_flush_counts(store *s, saex_err *e)
{
	sqlite3_stmt *st = store_stmt(s, ST_COUNT_UPD, e);
	if (!st)
		return STORE_EBAD;
	for (size_t i = 0; i < s->n_src; i++) {
		store_srcinfo *si = &s->src[i];
		if (!si->d_features && !si->d_acts && !si->d_expls)
			continue;
		sqlite3_bind_int64(st, 1, si->id);
		sqlite3_bind_int64(st, 2, si->d_features);
		sqlite3_bind_int64(st, 3, si->d_acts);
		sqlite3_bind_int64(st, 4, si->d_expls);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, e, "cannot update counts");
		si->d_features = si->d_acts = si->d_expls = 0;
	}
	return 0;
}

int store_commit(store *s, saex_err *e)
{
	if (store_flush_pending(s, e) || store_flush_counts(s, e)) {
		store_rollback(s);
		return STORE_EBAD;
	}
	if (store_exec(s, "COMMIT", e, "cannot commit")) {
		store_rollback(s);
		return STORE_EBAD;
	}
	s->in_tx = 0;
	store_drop_read_caches(s);
	return 0;
}

void store_rollback(store *s)
{
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	store_drop_pending(s);
	/* Ids handed out inside the transaction are gone with it. */
	store_drop_write_caches(s);
	store_drop_read_caches(s);
}

store_srcinfo *store_srcinfo_get(store *s, int64_t source_id, saex_err *e)
{
	for (size_t i = 0; i < s->n_src; i++)
		if (s->src[i].id == source_id)
			return &s->src[i];
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT s.model_id, m.name, s.name FROM source s "
	                       "JOIN model m ON m.id = s.model_id WHERE s.id = ?1",
	                       -1, &st, NULL) != SQLITE_OK) {
		store_fail(s, e, "cannot read sources");
		return NULL;
	}
	sqlite3_bind_int64(st, 1, source_id);
	store_srcinfo *r = NULL;
	char model[SAEX_ID_MAX], name[SAEX_ID_MAX];
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && !store_col_name(s, st, 1, model, "a model name", e) &&
	    !store_col_name(s, st, 2, name, "a source name", e)) {
		s->src = xrealloc(s->src, (s->n_src + 1) * sizeof *s->src);
		r = &s->src[s->n_src++];
		memset(r, 0, sizeof *r);
		r->id = source_id;
		r->model_id = sqlite3_column_int64(st, 0);
		r->model = xstrdup(model);
		r->name = xstrdup(name);
	} else if (rc == SQLITE_DONE) {
		err_set(e, STORE_NOTFOUND, "%s: no source with row id %lld", s->path,
		        (long long)source_id);
	} else if (rc != SQLITE_ROW) {
		store_fail(s, e, "cannot read sources");
	}
	sqlite3_finalize(st);
	return r;
}
