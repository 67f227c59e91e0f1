/* import.h - importers of Neuronpedia exports and SAEDashboard output into a
 * store. Files are streamed line by line; each file is one transaction, so
 * an interrupted import leaves whole files or nothing, and a rerun skips the
 * files already done (by content key) and adds no row twice. */
#ifndef SAEX_IMPORT_H
#define SAEX_IMPORT_H

#include <stdio.h>
#include <jansson.h>
#include "store.h"

typedef enum {
	IMP_AUTO, IMP_FEATURES, IMP_ACTIVATIONS, IMP_EXPLANATIONS,
	IMP_MODEL, IMP_RELEASE, IMP_SOURCESET, IMP_SOURCE, IMP_SAEDASHBOARD,
	IMP_EVAL,         /* Neuronpedia's Eval rows (import_eval.c) */
	IMP_API_FEATURE   /* Neuronpedia's feature API: a feature row with its
	                     activations, explanations, model and sourceSet nested */
} import_kind;

typedef struct import_opts {
	import_kind kind;      /* --kind; IMP_AUTO: from the folder, name or content */
	int saedashboard;      /* --format saedashboard */
	int strict;            /* stop at the first bad line, rolling back its file */
	int progress;          /* draw a progress bar on stderr */
	const char *model;     /* --model / --source: ids for files that lack them */
	const char *source;
	FILE *log;             /* bad lines are reported here (stderr when NULL) */
} import_opts;

typedef struct import_stats {
	long files, files_done_before, files_failed;
	long lines, bad_lines;
	long features, activations, explanations, catalog; /* rows added */
	long evaluations;                                   /* rows stored */
	long unchanged;                                     /* rows already stored */
	long updated;       /* stored features that a row changed (see store_put_feature) */
	int64_t bytes;
	double seconds;
} import_stats;

/* Imports every path (export folders, folders of them, or files). Returns 0
 * when all files were read (bad lines skipped and counted), 2 when a file
 * could not be read, held rows of which none could be read, or, with
 * strict, held a bad line; *e then says which. Running out of memory or a
 * failing database stops the run (2): the file being read is rolled back
 * and not recorded as imported. Files are recognised by their content
 * (SHA-256), so a rerun skips those already imported. */
int import_paths(store *s, char *const *paths, int n, const import_opts *o, import_stats *st,
                 saex_err *e);

/* Parses a --kind word; -1 when unknown. */
int import_kind_parse(const char *word);
const char *import_kind_name(import_kind k);

/* ---- shared by import*.c ---------------------------------------------- */
#define IMP_BADROW 3   /* the row is bad: skip it (or stop, with strict) */
#define IMP_EFILE 4    /* this file cannot be imported; others may be */
#define IMP_ENOMEM 5   /* out of memory: the run stops (= JSONL_ENOMEM) */

/* Bad rows reported per file; the rest are counted in one line. */
#define IMP_REPORT_MAX 20

typedef struct import_ctx {
	store *s;
	const import_opts *o;
	import_stats *st;
	const char *path;
	const char *explainer;  /* explanationModelName for rows that lack one
	                           (an explanations-<model>/ folder), or NULL */
	long line;              /* where the row being stored starts */
	long bad;               /* bad rows of this file */
	char first_bad[256];    /* the first one's "line: reason" */
	arena row;              /* per-row scratch, freed after each row */
} import_ctx;

/* One row, decoded from JSON into flat data (strings copied into an arena),
 * so decoding can happen on the parser thread and storing on another. */
typedef struct import_rec {
	import_kind kind;
	char *model, *source;      /* the row's modelId and layer, may be NULL */
	store_feature_in f;
	store_act_in a;
	store_expl_in x;
	json_t *json;              /* catalog kinds: a reference to the row */
} import_rec;

/* Decodes a row (kind known) into r, allocating from a; IMP_BADROW with the
 * reason for bad rows. */
int import_np_decode(import_kind kind, json_t *row, arena *a, import_rec *r, saex_err *e);
/* Stores a decoded row; counts it in c->st. */
int import_np_store(import_ctx *c, import_rec *r, saex_err *e);
/* Counts a row that store_put_* stored as added (in *added_count),
 * updated or already there. */
void import_count(import_ctx *c, long *added_count, int added);
/* Drops the JSON reference a record may hold. */
void import_rec_release(import_rec *r);

/* Stores one Neuronpedia row of the given kind. IMP_BADROW with the reason
 * in *e for bad rows; STORE_EBAD for store failures. */
int import_np_row(import_ctx *c, import_kind kind, json_t *row, saex_err *e);
/* Stores one Neuronpedia Eval row (a "core" evaluation) as the source's
 * evaluation; rows of other types are counted as unchanged. */
int import_eval_row(import_ctx *c, json_t *row, saex_err *e);
/* Stores one SAEDashboard document (a batch or a single feature). */
int import_sd_doc(import_ctx *c, json_t *doc, saex_err *e);
/* The Neuronpedia model and source ids of a SAEDashboard batch: from
 * --model/--source, else doc's model_id, layer and sae_id_suffix; buf
 * holds a source id made from a layer number. IMP_BADROW when absent. */
int import_sd_ids(import_ctx *c, json_t *doc, const char **model, const char **source, char *buf,
                  size_t bufsize, saex_err *e);
/* Stores one feature of a SAEDashboard batch (where names it in
 * messages, may be NULL). */
int import_sd_feature(import_ctx *c, int64_t src, json_t *ft, const char *where, saex_err *e);
/* Stores one feature as Neuronpedia's feature API gives it, with its
 * nested activations and explanations (a bad one is reported and skipped)
 * and its model and sourceSet catalog rows. */
int import_api_feature(import_ctx *c, json_t *row, saex_err *e);
/* Reads a JSON document (a file that is not one row a line): one object
 * (a SAEDashboard batch or feature, an API feature, a Neuronpedia row) or
 * an array of them, or several such values one after another. A
 * SAEDashboard batch's features are read one at a time; each value, and
 * the batch's other fields together, are bounded by JSONL_MAX_LINE. A
 * batch that names its model after its features is read twice (a pipe
 * then needs --model and --source). */
struct jsonl;
int import_doc(import_ctx *c, struct jsonl *j, import_kind kind, saex_err *e);
/* Reports a bad row of the file ("line: reason", line 0 for none) and
 * counts it; past IMP_REPORT_MAX a file's reports are only counted. */
void import_bad(import_ctx *c, long line, const char *msg);
/* Completes an activation: max/min/argmax when the row lacks them, and
 * checks maxValueTokenIndex (NAN max/min and -1 index mean absent). */
int import_act_finish(store_act_in *x, saex_err *e);
/* A line from the parser thread (import_pipe.c): blank, decoded into rec
 * (status 0), bad (IMP_BADROW, error says why), or the end of a file whose
 * rows are of no known kind (IMP_EFILE). Borrowed until the next call. */
typedef struct import_line {
	import_rec rec;
	long line;
	int64_t offset;            /* compressed bytes read so far */
	int blank, status;
	const char *error;
} import_line;
typedef struct import_pipe import_pipe;
/* Starts reading j on a second thread (j belongs to it until stop); kind
 * IMP_AUTO is decided from the first row. */
import_pipe *import_pipe_start(struct jsonl *j, import_kind kind);
/* 1: the next line in *out; 0: end; -1: read error in *e. */
int import_pipe_next(import_pipe *p, import_line **out, saex_err *e);
/* Stops the thread (also early) and frees everything. */
void import_pipe_stop(import_pipe *p);

/* Writes "path:line: msg" on the log, escaped for the terminal (line 0:
 * no line number), with " (skipped)" unless strict. */
void import_report(import_ctx *c, long line, const char *msg);
/* Guesses the kind of a row from its keys; IMP_AUTO when it cannot tell. */
import_kind import_sniff(json_t *row);

/* JSON helpers with typed errors (message into *e, IMP_BADROW). */
int jx_number(json_t *o, const char *key, double def, double *out, saex_err *e);
int jx_index(json_t *o, const char *key, int64_t *out, saex_err *e);
const char *jx_string(json_t *o, const char *key, size_t *len, saex_err *e, int *bad);
/* An array of numbers, each finite and within a 32-bit float's range. */
int jx_floats(json_t *o, const char *key, arena *a, float **out, size_t *n, saex_err *e);
int jx_strings(json_t *o, const char *key, arena *a, store_str **out, size_t *n, saex_err *e);
/* IMP_BADROW unless two paired arrays have the same length. */
int jx_same_len(const char *a, size_t na, const char *b, size_t nb, saex_err *e);
/* An array of whole numbers from 0 to 2^32-1 (similar features' indexes). */
int jx_u32s(json_t *o, const char *key, arena *a, uint32_t **out, size_t *n, saex_err *e);
/* IMP_BADROW when a value stored as a 32-bit float would overflow it. */
int jx_f32(const char *key, double v, saex_err *e);
/* IMP_BADROW when a histogram count is negative. */
int jx_counts(const char *key, const float *v, size_t n, saex_err *e);
/* Feature indexes are below 2^53, so that they survive a double (JSON
 * readers, Neuronpedia's own ids) and n/p on a dashboard never overflow. */
#define JX_INDEX_LIMIT 9007199254740992.0

#endif
