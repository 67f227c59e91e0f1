/* store_int.h - internals shared by the store_*.c files. Not for other
 * modules: everything else goes through store.h. */
#ifndef SAEX_STORE_INT_H
#define SAEX_STORE_INT_H

#include <sqlite3.h>
#include "store.h"
#include "intern.h"
#include "actpack.h"

#define STORE_APP_ID 1396786520      /* 'SAEX' */
#define STORE_USER_APP_ID 1396786581 /* 'SAEU' */
#define STORE_USER_SCHEMA_VERSION 1  /* data/user.sql's user_version */

extern const char store_schema_sql[];
extern const char store_user_schema_sql[];

typedef enum {
	ST_MODEL_ID, ST_MODEL_INS, ST_SOURCE_ID, ST_SOURCE_INS, ST_SET_INS, ST_SET_ID,
	ST_TOKEN_INS, ST_FEAT_INS, ST_FEAT_UPD, ST_ACT_PUT, ST_ACT_GET, ST_EXPL_INS, ST_FTS_INS,
	ST_BATCH_DONE, ST_BATCH_MARK, ST_COUNT_UPD,
	ST_R_SOURCE, ST_R_FEATURE, ST_R_EXPL, ST_R_TOKENS, ST_R_TOKEN_ONE, ST_R_TOKEN_MAX,
	ST__COUNT
} store_stmt_id;

typedef struct store_srcinfo {
	int64_t id, model_id;
	char *model, *name;
	int64_t d_features, d_acts, d_expls; /* pending counter deltas */
	int x_known;                         /* reader: x_lo..x_hi hold every explanation id */
	int64_t x_lo, x_hi, x_n;             /* of the source, and their count */
	uint32_t *x_idx;                     /* reader, once a filter needed it: the feature index
	                                      * of explanation x_lo + i, UINT32_MAX for another
	                                      * source's; NULL before (or when an index does not
	                                      * fit 32 bits) */
	int x_map;                           /* 0 not built, 1 built, -1 cannot be */
	sqlite3_stmt *x_st;                  /* reading x_idx, when under way */
	uint32_t x_max;                      /* the largest index in x_idx */
} store_srcinfo;

typedef struct store_interned {
	int64_t model_id;
	intern *map;
	uint32_t next_id;
} store_interned;

/* Token strings of one model, fetched one id at a time as they are needed
 * (a show touches a few thousand of a vocabulary of 50k-250k). */
typedef struct store_tokcache {
	int64_t model_id;
	store_str *tok;              /* [n]; .p NULL until fetched */
	size_t n;                    /* 1 + the largest id */
	arena mem;
} store_tokcache;

/* The examples of the feature being written, kept until another feature
 * starts or the transaction commits, then stored as one row. */
typedef struct store_pending {
	int active, dirty;
	int64_t source_id, idx;
	actpack_ex *ex;
	size_t n, cap;
	arena mem;
} store_pending;

struct store {
	sqlite3 *db;
	char *path;
	int writable, in_tx;
	int wal;                     /* the journal mode was set to WAL */
	int vocab_ready;             /* temp.saex_vocab: 0 not yet, 1 made, -1 failed */
	sqlite3_stmt *st[ST__COUNT];
	store_srcinfo *src;         /* sources touched by this connection */
	size_t n_src;
	store_interned *intr;        /* writer's token maps, per model */
	size_t n_intr;
	store_tokcache *tc;          /* reader's token strings, per model */
	size_t n_tc;
	sb scratch[4];
	uint32_t *ids;               /* scratch id array */
	size_t ids_cap;
	store_pending pend;
	int64_t data_version;        /* at our last write transaction's start */
	double wait_start;           /* busy handler: when waiting began */
	int wait_said;
	void (*on_wait)(void *ctx, const char *path);
	void *wait_ctx;
};

/* Prepared statement for id (prepared on first use, reset before return). */
sqlite3_stmt *store_stmt(store *s, store_stmt_id id, saex_err *e);
/* Fills *e with "PATH: what: sqlite's message" and returns STORE_EBAD. */
int store_fail(store *s, saex_err *e, const char *what);
/* Steps a write statement, then resets it and clears its bindings;
 * store_fail(what) unless it is done. */
int store_step_done(store *s, sqlite3_stmt *st, saex_err *e, const char *what);
/* "PATH: damaged database: ..." (what a reader found that the schema
 * rules out), STORE_EBAD. */
int store_damaged(store *s, saex_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Checked reads of columns from a database that may be damaged or
 * hostile; each fills *e with store_damaged and returns nonzero when the
 * value breaks the schema's rules. what names it ("the model name").
 * store_col_name: a model or source id (not NULL, a valid id) into buf of
 * SAEX_ID_MAX bytes. store_col_req: NOT NULL text into the arena.
 * store_col_index: a feature index, an integer from 0 to 2^53-1. */
int store_col_name(store *s, sqlite3_stmt *st, int i, char *buf, const char *what, saex_err *e);
char *store_col_req(store *s, sqlite3_stmt *st, int i, arena *a, const char *what, saex_err *e);
int store_col_index(store *s, sqlite3_stmt *st, int i, int64_t *out, saex_err *e);
/* Binds text that may be NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *t);
/* Source info for a row id (cached). NULL when absent. */
store_srcinfo *store_srcinfo_get(store *s, int64_t source_id, saex_err *e);
/* The token cache of a model (created empty on first use). */
store_tokcache *store_tokens(store *s, int64_t model_id, saex_err *e);
/* Drops writer caches that a rollback invalidated. */
void store_drop_write_caches(store *s);
/* Writes the pending feature's examples (if changed) and clears it. */
int store_flush_pending(store *s, saex_err *e);
void store_drop_pending(store *s);
/* Releases the pending buffer's memory (at close). */
void store_free_pending(store *s);
/* Text of column i as a fresh arena string, or NULL. */
char *store_col_text(sqlite3_stmt *st, int i, arena *a);

#endif
