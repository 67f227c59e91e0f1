/* csvio.h - CSV out (export) and in (explanations) through libcsv. */
#ifndef SAEX_CSVIO_H
#define SAEX_CSVIO_H

#include <stdio.h>
#include "store.h"

typedef enum { CSV_FEATURES, CSV_ACTIVATIONS, CSV_EXPLANATIONS } csvio_what;

/* Writes every row of one source as CSV with a header row. When escape is
 * set (a terminal), data text is escaped as saex_escape does. */
int csvio_export(store *s, int64_t source_id, const saex_fid *names, csvio_what what, FILE *f,
                 int escape, saex_err *e);

typedef struct csvio_stats {
	long rows, added, unchanged, bad;
	long missing;   /* explanations of features the database does not have */
} csvio_stats;

/* Reads explanations from a CSV file or pipe (header: modelId, layer,
 * index, description [, typeName, explanationModelName]; plain or gzip,
 * a UTF-8 byte-order mark skipped) in one transaction. Text must be UTF-8
 * and indexes below 2^53. Bad rows are reported as "file:line: reason" on
 * log and skipped, or with strict stop the import with nothing stored; a
 * file whose rows are all bad fails. An explanation of a feature the
 * database does not have is stored, and said on log (the first five) and
 * counted. A file already imported (SHA-256 of its bytes) is skipped. 0,
 * or 2 with *e set. */
int csvio_import_explanations(store *s, const char *path, int strict, FILE *log,
                              csvio_stats *st, saex_err *e);

/* Writes a list's items as CSV: modelId, layer, index, url, note, added,
 * explanation. expl[i] and url[i] (either array may be NULL, an entry NULL)
 * are the item's first explanation and its Neuronpedia URL (none for a
 * feature made here). */
int csvio_export_list(const store_list_item *items, const char *const *expl, const char *const *url, size_t n,
                      FILE *f, saex_err *e);

#endif
