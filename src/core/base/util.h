/* util.h - small shared helpers: checked allocation, growable byte buffers,
 * an arena for results whose lifetime is one query, hashing.
 *
 * Ownership: sb_* buffers own their bytes (sb_free releases them); arena_*
 * memory lives until arena_free. */
#ifndef SAEX_UTIL_H
#define SAEX_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>

#define SAEX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that aborts with a message when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; always NUL-terminated after any append. */
typedef struct sb {
	char *p;
	size_t n, cap;
} sb;

void sb_grow(sb *b, size_t extra);
void sb_add(sb *b, const void *p, size_t n);
void sb_addc(sb *b, char c);
void sb_adds(sb *b, const char *s);
void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(sb *b, const char *fmt, va_list ap);
void sb_clear(sb *b);
void sb_free(sb *b);

/* Arena: many small allocations freed at once. */
typedef struct arena_block arena_block;
typedef struct arena {
	arena_block *head;
} arena;

void *arena_alloc(arena *a, size_t n);           /* zeroed, 16-aligned */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
/* Makes room for one more element in an arena array of *n elements of size
 * elem with capacity *cap (doubling, first min), returning the array. */
void *arena_grow(arena *a, void *arr, size_t n, size_t *cap, size_t elem, size_t min);
void arena_free(arena *a);
/* Frees everything but keeps the largest block for reuse (hot loops). */
void arena_reset(arena *a);

/* 64-bit FNV-1a, chainable: pass the previous value as seed (start with
 * HASH_SEED). Stable across runs and machines: it keys stored rows. */
#define HASH_SEED UINT64_C(0xcbf29ce484222325)
uint64_t hash_bytes(uint64_t seed, const void *p, size_t n);

/* pthread_create with every signal blocked in the new thread, so that
 * signals meant for the program (SIGINT, SIGTERM, SIGTSTP, SIGWINCH, ...)
 * are taken by its own threads, never by a library's worker. Returns
 * pthread_create's result. */
int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* Opens path for reading without ever blocking on it: what is not a
 * regular file is refused by name before it is opened (a folder, a device,
 * a socket), and a named pipe is accepted only when pipes is set (its
 * other end may never come; a process substitution's pipe has a writer).
 * Returns the descriptor (O_CLOEXEC, blocking reads), with *is_pipe set when
 * it is a pipe (is_pipe may be NULL); or -1 with "PATH: reason" in why. */
int util_open_read(const char *path, int pipes, int *is_pipe, char *why, size_t whylen);

/* The index of the first of the n float32 values at p (any alignment)
 * that is NaN or infinite (all exponent bits set), or n when none is:
 * the one scan behind "weights / activations must be finite". Scans
 * 16,384 values at a time without branching, compiled for AVX2 and
 * AVX-512 too, so it runs at memory speed. */
uint64_t util_first_nonfinite(const void *p, uint64_t n);
/* The same check without opening: 0, or -1 with why filled. */
int util_check_read(const char *path, int pipes, char *why, size_t whylen);

/* mkdir -p, mode 0700, of the folder that holds path (nothing for a path
 * without a folder): 0, or -1 with errno set (ENOMEM when memory runs
 * out). */
int util_mkdirs_for(const char *path);

/* Monotonic clock in seconds. */
double now_seconds(void);

/* Error message slot: functions that fail fill it and return nonzero. */
typedef struct saex_err {
	char msg[1024];
	int code;       /* exit status class: 1 usage/not found, 2 bad data */
} saex_err;

int err_set(saex_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Puts formatted text before the message already in *e (truncating). */
void err_prefix(saex_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
