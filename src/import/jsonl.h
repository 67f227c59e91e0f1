/* jsonl.h - streams a plain or gzip-compressed input: its lines (JSONL,
 * CSV) or the JSON values of a document, with a content key of its bytes.
 *
 * Inputs are regular files or pipes (a process substitution, a FIFO);
 * anything else (a folder, a device, a socket) is refused by name without
 * being read, and nothing blocks on a FIFO that has no writer. A pipe is
 * read once: the content key is made while reading. A UTF-8 byte-order mark
 * at the start is skipped.
 *
 * Memory is bounded by JSONL_MAX_LINE: a longer line, or a longer JSON
 * value of a document, is an error that says so. Parsing one value with
 * jansson takes up to about 30 times its length. */
#ifndef SAEX_JSONL_H
#define SAEX_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "util.h"

#define JSONL_MAX_LINE ((size_t)16 << 20)
/* e->code of a failure to allocate memory (an error of the run, not of the
 * line or the file). */
#define JSONL_ENOMEM 5

typedef struct jsonl jsonl;

int jsonl_open(jsonl **out, const char *path, saex_err *e);
/* 1 when the input is a pipe, which cannot be read a second time. */
int jsonl_is_pipe(const jsonl *j);
/* 1: *line (borrowed until the next call, NUL-terminated, no '\n' and no
 * '\r' before it) holds the next line; 0: end of file; -1: read error,
 * damaged compression or a line over the limit ("path:line: reason"). */
int jsonl_next(jsonl *j, const char **line, size_t *len, saex_err *e);
/* The same with the line's own end kept ("\n", "\r\n", or none on the
 * last line) and not NUL-terminated, for formats whose fields may hold
 * line breaks (CSV). */
int jsonl_next_raw(jsonl *j, const char **line, size_t *len, saex_err *e);
/* The first line that is not blank, without consuming it (so the reader
 * can tell a JSONL file from a pretty-printed document): 1 with *line and
 * *len (not NUL-terminated, borrowed until the next call), 0 when there is
 * none, -1 on error. */
int jsonl_peek_line(jsonl *j, const char **line, size_t *len, saex_err *e);
/* Whether a blank line (only spaces, tabs and CRs, ended by a newline)
 * comes within the first limit bytes (at most JSONL_MAX_LINE) still to
 * be read, without consuming anything: 1 yes, 0 no, -1 on error. */
int jsonl_peek_blank(jsonl *j, size_t limit, saex_err *e);
long jsonl_lineno(const jsonl *j);
/* Raw (compressed) bytes read so far (for progress). */
int64_t jsonl_raw_offset(const jsonl *j);
void jsonl_close(jsonl *j);

/* Documents. jsonl_peek: 1 with *c the next byte that is not white space
 * (not consumed), 0 at the end of the input, -1 on error; jsonl_skip
 * consumes that byte. jsonl_value parses the JSON value that starts there
 * (any type): 1 with *out (caller decrefs), -1 with "path:line:column:
 * reason" in *e (code JSONL_ENOMEM when memory ran out). */
int jsonl_peek(jsonl *j, int *c, saex_err *e);
void jsonl_skip(jsonl *j);
int jsonl_value(jsonl *j, json_t **out, saex_err *e);
/* Bytes (decompressed) that jsonl_peek, jsonl_skip and jsonl_value have
 * consumed so far. */
int64_t jsonl_taken(const jsonl *j);

/* 1 when json_loadb failed for want of memory: jansson says so, or (where
 * a failed allocation inside an array or object leaves no message) says
 * nothing at all. je must be zeroed before json_loadb fills it. */
int jsonl_oom(const json_error_t *je);

/* The content key of everything read so far ("sha256:" and 64 hex digits):
 * of the whole input once jsonl_next returned 0 or jsonl_peek found the
 * end. Caller frees. */
char *jsonl_key(jsonl *j);
/* The content key of a regular file, read through once; NULL with *e set
 * when it cannot be read, and NULL with e->code 0 for a pipe (whose key is
 * known only after the import has read it). */
char *jsonl_file_key(const char *path, saex_err *e);

#endif
