/* jsonl.h - streams the lines of a plain or gzip-compressed file.
 * Memory is bounded by the longest line (at most JSONL_MAX_LINE). */
#ifndef SAEX_JSONL_H
#define SAEX_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define JSONL_MAX_LINE ((size_t)256 << 20)

typedef struct jsonl jsonl;

int jsonl_open(jsonl **out, const char *path, saex_err *e);
/* 1: *line (borrowed until the next call, NUL-terminated, no '\n') holds
 * the next line; 0: end of file; -1: read error or damaged compression
 * (message "path:line: reason" in *e). */
int jsonl_next(jsonl *j, const char **line, size_t *len, saex_err *e);
long jsonl_lineno(const jsonl *j);
/* Compressed bytes consumed so far (for progress). */
int64_t jsonl_raw_offset(jsonl *j);
void jsonl_close(jsonl *j);

/* A content key of the file: "<size>-<crc32 hex>" of its raw bytes. Caller
 * frees. NULL on read error (message in *e). */
char *jsonl_file_key(const char *path, int64_t *size, saex_err *e);

#endif
