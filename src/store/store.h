/* store.h - the feature store: the only interface that speaks SQL.
 *
 * A store is one export database (SQLite, schema in data/schema.sql). Views,
 * importers and commands use only this interface, so another backend could
 * sit behind it. Browsing opens the file read-only; importers open it
 * read-write and group their writes in transactions (store_begin/commit).
 *
 * Errors: functions return 0 on success, STORE_NOTFOUND when the thing asked
 * for does not exist, or STORE_EBAD for a damaged or foreign file and other
 * failures; the message goes into *e, naming the database file.
 *
 * Ownership: results are allocated from the caller's arena and live until
 * arena_free. The store owns its token caches.
 *
 * Threads: a store is used by one thread at a time (its SQLite connection
 * has no mutex of its own). */
#ifndef SAEX_STORE_H
#define SAEX_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "saex.h"
#include "util.h"

#define STORE_SCHEMA_VERSION 1

enum { STORE_OK = 0, STORE_NOTFOUND = 1, STORE_EBAD = 2 };

typedef struct store store;

typedef struct store_str {
	const char *p;
	size_t n;
} store_str;

enum {
	STORE_READ = 0,   /* read-only; falls back to immutable on a read-only mount */
	STORE_WRITE = 1   /* read-write, created with the schema when absent */
};

int store_open(store **out, const char *path, int mode, saex_err *e);
void store_close(store *s);
const char *store_path(const store *s);      /* borrowed */

/* A write transaction. Another process writing to the same file is
 * waited for (an hour at most), and on_wait (when set) is told once
 * that it is being waited for; readers wait 10 seconds at most. */
int store_begin(store *s, saex_err *e);
void store_on_wait(store *s, void (*cb)(void *ctx, const char *path), void *ctx);
int store_commit(store *s, saex_err *e);
void store_rollback(store *s);

/* ------------------------------------------------------------ catalog writes
 * Pointer fields may be NULL (unknown); integer fields use -1 for unknown.
 * An existing row keeps the values that the new record leaves unknown. */
typedef struct store_model_rec {
	const char *name, *display_name, *tlens_id, *owner;
	int64_t layers, dimension;
} store_model_rec;

typedef struct store_release_rec {
	const char *name, *description, *description_short, *creator_name, *urls;
} store_release_rec;

typedef struct store_set_rec {
	const char *model, *name, *release, *description, *type, *creator_name, *urls;
} store_set_rec;

typedef struct store_source_rec {
	const char *model, *name, *set, *hook_name, *hf_repo_id, *hf_folder_id;
	const char *saelens_config, *dataset;
	int64_t num_prompts, num_tokens_in_prompt, d_sae;
} store_source_rec;

int store_put_model(store *s, const store_model_rec *r, saex_err *e);
int store_put_release(store *s, const store_release_rec *r, saex_err *e);
int store_put_set(store *s, const store_set_rec *r, saex_err *e);
int store_put_source(store *s, const store_source_rec *r, saex_err *e);

/* The row id of a source, created with its model (and a set named after the
 * source id) when missing. Cached: cheap to call per line. */
int store_source_ensure(store *s, const char *model, const char *source, int64_t *source_id,
                        saex_err *e);

/* ------------------------------------------------------------ data writes */
typedef struct store_feature_in {
	int64_t index;
	double max_act, frac_nonzero;            /* NAN / -1 = unknown */
	const float *freq_h, *freq_v;
	size_t n_freq;
	const float *lhist_h, *lhist_v;
	size_t n_lhist;
	const store_str *pos_str;
	const float *pos_v;
	size_t n_pos;
	const store_str *neg_str;
	const float *neg_v;
	size_t n_neg;
	const uint32_t *cos_idx;
	const float *cos_v;
	size_t n_cos;
	const char *extra_json;                  /* may be NULL */
} store_feature_in;

typedef struct store_act_in {
	int64_t index;
	const store_str *tokens;
	const float *values;
	size_t n;
	double max_value, min_value;
	long max_index;
	double bin_min, bin_max, bin_contains;
	/* Identity: Neuronpedia's activation id when the row has one; else the
	 * content plus dup, the count of identical examples of the same feature
	 * before this one (real exports repeat examples). */
	const char *key;
	size_t key_len;
	uint32_t dup;
} store_act_in;

typedef struct store_expl_in {
	int64_t index;
	const char *description, *type_name, *explainer;
	const float *embedding;
	size_t n_embedding;
} store_expl_in;

/* What a put did with the row (*added). */
enum { STORE_SAME = 0, STORE_ADDED = 1, STORE_UPDATED = 2 };

/* Each returns 0 with *added: STORE_ADDED for a new row, STORE_SAME when
 * the same row was already there. A feature already stored is merged with
 * the new row (frec.h): what the row has replaces the stored value (a
 * non-empty histogram, logit or similar-feature list, max_act unless NAN,
 * frac_nonzero unless -1), what it lacks stays; STORE_UPDATED when that
 * changed anything. Examples and explanations are only ever added. */
int store_put_feature(store *s, int64_t source_id, const store_feature_in *f, int *added,
                      saex_err *e);
int store_put_activation(store *s, int64_t source_id, const store_act_in *a, int *added,
                         saex_err *e);
int store_put_explanation(store *s, int64_t source_id, const store_expl_in *x, int *added,
                          saex_err *e);

/* Batch bookkeeping: store_batch_done is 1 when a batch with this content
 * key was imported already; store_batch_mark records one (inside the
 * batch's transaction). */
int store_batch_done(store *s, const char *key);
int store_batch_mark(store *s, const char *key, const char *kind, const char *path,
                     long lines, saex_err *e);

/* ------------------------------------------------------------ weights
 * Where a source's model and SAE folders live (saex build, saex attach), so
 * that live tests can load them. Paths are stored as given: callers pass
 * absolute ones (realpath). The table is created on the first put; a
 * database written before it existed reads as "none attached". */
int store_weights_put(store *s, int64_t source_id, const char *model_dir, const char *sae_dir,
                      saex_err *e);
/* The one source that has the SAE folder sae_dir attached: its row id and
 * names; STORE_NOTFOUND when no source, or more than one, has it. */
int store_weights_source(store *s, const char *sae_dir, int64_t *source_id, saex_fid *names, saex_err *e);
/* What a source's export says of where its weights are: the Hugging Face
 * repository and folder (hfRepoId, hfFolderId, or what its
 * saelensRelease/saelensSaeId name at import), and its model's Neuronpedia
 * id and TransformerLens name. NULL each when unknown; strings in the
 * arena. */
typedef struct store_source_facts {
	char *hf_repo, *hf_folder, *model, *tlens_id;
} store_source_facts;
int store_source_facts_get(store *s, int64_t source_id, arena *a, store_source_facts *out, saex_err *e);
/* Whether weights fit a source: the SAE reads the model (saex_sae_fits)
 * and agrees with what the database knows of the source: its hook (or the
 * layer its id names), its d_sae and feature indexes, its model's d_model,
 * and the model's TransformerLens name against cfg.json's model_name (when
 * both are known). 0 when they fit; -1 with why ("hook blocks.1.hook_resid_pre
 * (the source's: blocks.9.hook_resid_pre), d_sae 32 (the source's:
 * 24576)") when not; STORE_EBAD when
 * the database cannot be read (why holds the message). The one rule, for
 * saex attach and for the explorer before a live test or steering. */
int store_weights_fit(store *s, int64_t source_id, const saex_sae *sae, const saex_model *m, char *why,
                      size_t n);
/* Weights that do not fit, attached on purpose (saex attach --force): the
 * mark names the folders, so that other weights are checked again.
 * store_weights_mark_forced records it (dirs NULL: clears it);
 * store_weights_forced is 1 when these folders carry it. */
int store_weights_mark_forced(store *s, int64_t source_id, const char *model_dir, const char *sae_dir, saex_err *e);
int store_weights_forced(store *s, int64_t source_id, const char *model_dir, const char *sae_dir);
/* A source made here by saex build (the demo's too) is marked, so that
 * saex links it to no Neuronpedia page: store_source_mark_local records the
 * mark (a meta row), store_source_local is 1 when a source has it. */
int store_source_mark_local(store *s, const char *model, const char *source, saex_err *e);
int store_source_local(store *s, const char *model, const char *source);
/* STORE_NOTFOUND when none is attached; strings in the arena */
int store_weights_get(store *s, int64_t source_id, arena *a, char **model_dir, char **sae_dir,
                      saex_err *e);

/* ------------------------------------------------------------ evaluations
 * SAELens's metrics of a source over a corpus (saex_eval.h): saex eval,
 * saex build --eval, and Neuronpedia's "core" evaluations from imports.
 * The table (data/schema.sql: evaluation) is created on the first put; a
 * database written before it reads as holding none. */
typedef struct store_eval {
	int64_t source_id;
	const char *model, *source;  /* names (reads only) */
	const char *origin;          /* "saex" or "neuronpedia" */
	const char *corpus;          /* the corpus file's name, or the dataset */
	const char *created;         /* UTC, ISO 8601; NULL on a put: now */
	int64_t ctx;                 /* tokens per prompt; -1 unknown */
	saex_eval_metrics m;         /* NaN (metrics) or -1 (counts): unknown */
	const float *density;        /* n_feat floats each (per feature), or NULL */
	const float *mean_act;
	size_t n_feat;
} store_eval;

/* Stores ev for source_id (inside the caller's transaction), replacing an
 * evaluation with the same origin, corpus, prompts and ctx. */
int store_eval_put(store *s, int64_t source_id, const store_eval *ev, saex_err *e);
/* Every evaluation of a source, newest first, with the per-feature arrays;
 * everything in the arena. */
int store_evals(store *s, int64_t source_id, arena *a, store_eval **out, size_t *n, saex_err *e);
/* The newest evaluation of every source that has one, by model and source
 * name, without the per-feature arrays; everything in the arena. */
int store_evals_latest(store *s, arena *a, store_eval **out, size_t *n, saex_err *e);

/* ------------------------------------------------------------ reads */
typedef struct store_expl {
	char *description, *type_name, *explainer;
} store_expl;

typedef struct store_act {
	store_str *tokens;
	float *values;
	size_t n;
	double max_value, min_value;
	long max_index;
	double bin_min, bin_max, bin_contains;
	uint32_t order;                          /* tie-break among equal maxima */
} store_act;

typedef struct store_feature {
	saex_fid id;
	double max_act, frac_nonzero;
	char *hook_name;                         /* may be NULL */
	float *freq_h, *freq_v;
	size_t n_freq;
	float *lhist_h, *lhist_v;
	size_t n_lhist;
	store_str *pos_str;
	float *pos_v;
	size_t n_pos;
	store_str *neg_str;
	float *neg_v;
	size_t n_neg;
	uint32_t *cos_idx;
	float *cos_v;
	size_t n_cos;
	char *extra_json;                        /* may be NULL */
	store_expl *expl;
	size_t n_expl;
	store_act *acts;                         /* sorted by max_value, descending */
	size_t n_acts, n_acts_total;
} store_feature;

/* Reads one feature with its explanations and up to max_examples
 * activations (0: all). STORE_NOTFOUND when the model, source or feature
 * does not exist (the message says which). */
int store_feature_get(store *s, const saex_fid *id, size_t max_examples, arena *a,
                      store_feature *out, saex_err *e);

typedef struct store_cat_row {
	char *model, *model_display, *release, *release_desc, *set, *set_desc, *set_type;
	char *source, *hook_name, *dataset;
	int64_t layers, dimension, d_sae, num_prompts, num_tokens_in_prompt;
	int64_t n_features, n_activations, n_explanations;
} store_cat_row;

/* Every source with its model, set and release, ordered for display. */
int store_catalog(store *s, arena *a, store_cat_row **rows, size_t *n, saex_err *e);

typedef struct store_hit {
	saex_fid id;
	char *description, *type_name, *explainer;
	double frac_nonzero, max_act, score;
} store_hit;

/* Full-text search over explanations, best first. The query is words,
 * all required, the last also as a prefix when it has 3 or more characters
 * and no explanation holds it as a whole word; unless it holds FTS5 syntax
 * characters (" * ( ) : ^), then it goes to FTS5 as given. To bound the
 * work, a word found in more than 5,000 explanations is left out when
 * rarer words remain (and is not expanded as a prefix). Order: bm25; but a
 * query of such common words only ranks its matches in blocks of 500 (in
 * database order), each block shortest text first (score 0). model and
 * source (may be NULL) restrict the scope. store_search_page returns the
 * results [offset, offset + limit) of that order (pages do not overlap),
 * store_search the first limit. A query that FTS5 cannot run is
 * STORE_NOTFOUND with a sentence about the query. */
int store_search(store *s, const char *query, const char *model, const char *source,
                 size_t limit, arena *a, store_hit **hits, size_t *n, saex_err *e);
int store_search_page(store *s, const char *query, const char *model, const char *source, size_t offset,
                      size_t limit, arena *a, store_hit **hits, size_t *n, saex_err *e);
/* How many explanations the search matches in all (the length of the
 * order above). */
int store_search_count(store *s, const char *query, const char *model, const char *source, int64_t *n,
                       saex_err *e);

/* Resolves "model/source" or a bare source id (when unambiguous) to the row
 * id and canonical names (copied into the fid's model/source). */
int store_source_find(store *s, const char *spec, int64_t *source_id, saex_fid *names,
                      saex_err *e);

/* One line of a SAE's feature list. */
typedef struct store_feat_row {
	int64_t index;
	float frac_nonzero, max_act;
} store_feat_row;

/* Every feature of a source by index (caller frees *rows with free()). */
int store_feature_rows(store *s, int64_t source_id, store_feat_row **rows, size_t *n,
                       saex_err *e);
/* The first explanation of a feature, in the arena, or NULL. */
char *store_first_explanation(store *s, int64_t source_id, int64_t index, arena *a);
/* A source's feature count as its import recorded it, and its smallest and
 * largest index (-1 each when it has none), without reading its rows. */
int store_source_span(store *s, int64_t source_id, int64_t *n, int64_t *first, int64_t *last, saex_err *e);

/* A filter of a source's features: those with an explanation that matches
 * words (as store_search reads them). store_filter_new finds them all at
 * once, in about the time FTS5 takes to list the matches: the source's
 * explanations are mapped to their features once per store (a read of the
 * source's explanation index, kept in memory: 4 bytes an explanation).
 * n_expl: the matching explanations; idx: the matching features' indexes,
 * ascending (n_idx of them; an index may have no feature row). Caller
 * frees with store_filter_free. */
typedef struct store_filter {
	char *fts, *words;
	int64_t source_id, lo, hi;  /* the source's explanation ids */
	int64_t n_expl;
	int64_t *idx;
	size_t n_idx;
} store_filter;
int store_filter_new(store *s, int64_t source_id, const char *words, store_filter **out, saex_err *e);
void store_filter_free(store_filter *f);
/* Reads up to `rows` more of the source's explanation map, so that a view
 * can spread its cost over idle moments before the first filter: 1 while
 * more remains, 0 when it is done, STORE_EBAD on failure. */
int store_filter_warm(store *s, int64_t source_id, size_t rows, saex_err *e);
/* A page of a source's feature list in index order, from a row's index:
 * up to max rows with an index above `from` (desc: below it, descending),
 * only those that filter f keeps when f is not NULL. Use INT64_MIN and
 * INT64_MAX for the ends. Reads only the rows it returns (through the
 * feature list index), so a page costs the same in a list of any length. */
int store_feature_page(store *s, int64_t source_id, const store_filter *f, int64_t from, int desc, size_t max,
                       store_feat_row *out, size_t *n, saex_err *e);

/* Iterators for export: the callback returns nonzero to stop (that value is
 * returned). Records are valid only during the callback. */
typedef int (*store_feature_cb)(void *ctx, const store_feature *f);
typedef int (*store_act_cb)(void *ctx, int64_t index, const store_act *a);
typedef int (*store_expl_cb)(void *ctx, int64_t index, const store_expl *x);
int store_each_feature(store *s, int64_t source_id, store_feature_cb cb, void *ctx,
                       saex_err *e);
int store_each_activation(store *s, int64_t source_id, store_act_cb cb, void *ctx,
                          saex_err *e);
int store_each_explanation(store *s, int64_t source_id, store_expl_cb cb, void *ctx,
                           saex_err *e);

/* ------------------------------------------------------------ user database
 * Stars and lists, in $XDG_DATA_HOME/saex/user.db (see store_user.c). */
typedef struct store_user store_user;
/* path NULL: the default location (created with its folders; an error
 * when neither XDG_DATA_HOME nor HOME is an absolute path). A file written
 * by a newer saex (a higher schema version) is refused, never rewritten. */
int store_user_open(store_user **out, const char *path, saex_err *e);
void store_user_close(store_user *u);
/* The file's path (borrowed). */
const char *store_user_path(const store_user *u);
/* Counts this connection's writes: a view whose copy is older reloads. */
int64_t store_user_changes(store_user *u);
int store_user_star(store_user *u, const saex_fid *id, int on, saex_err *e);
int store_user_starred(store_user *u, const saex_fid *id);
typedef struct store_list {
	char *name;
	int64_t count;
} store_list;

typedef struct store_list_item {
	saex_fid id;
	char *note, *added;
} store_list_item;

/* Adds a feature to a list (created when new); a second add updates the
 * note. */
int store_user_list_add(store_user *u, const char *list, const saex_fid *id, const char *note,
                        saex_err *e);
/* Removes a feature from a list (list NULL: unstars it). */
int store_user_list_remove(store_user *u, const char *list, const saex_fid *id, saex_err *e);
/* Renames a list; a name another list has is refused (code 1). */
int store_user_list_rename(store_user *u, const char *list, const char *name, saex_err *e);
/* Deletes a list and its items. */
int store_user_list_delete(store_user *u, const char *list, saex_err *e);
/* Lists with their sizes, by name; "starred" is not among them. */
int store_user_lists(store_user *u, arena *a, store_list **out, size_t *n, saex_err *e);
/* A list's items, oldest first; list NULL: the starred features. */
int store_user_list_items(store_user *u, const char *list, arena *a, store_list_item **out,
                          size_t *n, saex_err *e);
/* The default per-user database path ($XDG_DATA_HOME/saex/user.db, else
 * $HOME/.local/share/saex/user.db), or NULL when neither is an absolute
 * path; caller frees. */
char *store_user_default_path(void);

/* The steering log (data/user.sql documents the JSON of settings and
 * features). store_user_steer_log records a run (NULL fields are stored as
 * NULL) and gives its id; store_user_steer_runs lists them newest first,
 * strings in the arena. */
typedef struct store_steer_run {
	int64_t id;
	const char *created, *db, *model, *prompt, *settings, *features;
	const char *default_text, *steered_text, *default_ids, *steered_ids;
} store_steer_run;
int store_user_steer_log(store_user *u, const store_steer_run *r, int64_t *id, saex_err *e);
int store_user_steer_runs(store_user *u, arena *a, store_steer_run **runs, size_t *n, saex_err *e);

/* Live tests of a feature (data/user.sql). store_user_test_log records one
 * and keeps only the newest `keep` of that feature; store_user_tests gives
 * the newest first, at most max, everything in the arena. A stored test
 * that does not decode (a damaged row) is an error naming its id. */
typedef struct store_live_test {
	const char *created, *db, *text;
	int bos;                 /* tok[0] is BOS */
	size_t n;                /* tokens */
	const char *const *tok;  /* each token's bytes, tok_len[i] of them */
	const size_t *tok_len;
	const float *values;     /* per token */
} store_live_test;
int store_user_test_log(store_user *u, const saex_fid *id, const store_live_test *t, size_t keep,
                        saex_err *e);
int store_user_tests(store_user *u, const saex_fid *id, size_t max, arena *a,
                     store_live_test **out, size_t *n, saex_err *e);

#endif
