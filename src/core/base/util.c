/* util.c - see util.h */
#include "config.h"
#include "util.h"
#include "vmath.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "saex: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom(n * m);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
	sb b = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.p;
}

void sb_grow(sb *b, size_t extra)
{
	if (b->n + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->n + extra + 1)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void sb_add(sb *b, const void *p, size_t n)
{
	sb_grow(b, n);
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
}

void sb_addc(sb *b, char c)
{
	sb_grow(b, 1);
	b->p[b->n++] = c;
	b->p[b->n] = 0;
}

void sb_adds(sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void sb_vprintf(sb *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int k = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (k < 0)
		return;
	sb_grow(b, (size_t)k);
	vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
	b->n += (size_t)k;
}

void sb_printf(sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

void sb_clear(sb *b)
{
	b->n = 0;
	if (b->p)
		b->p[0] = 0;
}

void sb_free(sb *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

struct arena_block {
	arena_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

void *arena_alloc(arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	arena_block *b = a->head;
	if (!b || b->used + n > b->cap) {
		size_t cap = n > 65536 ? n : 65536;
		b = xmalloc(sizeof *b + cap);
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *arena_strdup(arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void *arena_grow(arena *a, void *arr, size_t n, size_t *cap, size_t elem, size_t min)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : min;
	void *na = arena_alloc(a, ncap * elem);
	if (n)
		memcpy(na, arr, n * elem);
	*cap = ncap;
	return na;
}

void arena_free(arena *a)
{
	arena_block *b = a->head;
	while (b) {
		arena_block *n = b->next;
		free(b);
		b = n;
	}
	a->head = NULL;
}

void arena_reset(arena *a)
{
	arena_block *keep = NULL;
	for (arena_block *b = a->head; b; b = b->next)
		if (!keep || b->cap > keep->cap)
			keep = b;
	arena_block *b = a->head;
	while (b) {
		arena_block *n = b->next;
		if (b != keep)
			free(b);
		b = n;
	}
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
}

uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int err_set(saex_err *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

void err_prefix(saex_err *e, const char *fmt, ...)
{
	if (!e)
		return;
	sb b = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	sb_adds(&b, e->msg);
	size_t n = b.n < sizeof e->msg - 1 ? b.n : sizeof e->msg - 1;
	memcpy(e->msg, b.p, n);
	e->msg[n] = 0;
	sb_free(&b);
}

int util_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* What a file that is not a regular file is, for messages. */
static const char *util_file_type(mode_t m)
{
	if (S_ISDIR(m))
		return "is a folder, not a file";
	if (S_ISCHR(m))
		return "is a character device, not a file";
	if (S_ISBLK(m))
		return "is a block device, not a file";
	if (S_ISSOCK(m))
		return "is a socket, not a file";
	if (S_ISFIFO(m))
		return "is a named pipe, not a file";
	return "is not a regular file";
}

int util_check_read(const char *path, int pipes, char *why, size_t whylen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !(pipes && S_ISFIFO(st.st_mode))) {
		snprintf(why, whylen, "%s: %s", path, util_file_type(st.st_mode));
		return -1;
	}
	return 0;
}

int util_open_read(const char *path, int pipes, int *is_pipe, char *why, size_t whylen)
{
	struct stat st;
	if (is_pipe)
		*is_pipe = 0;
	if (util_check_read(path, pipes, why, whylen))
		return -1;
	/* O_NONBLOCK: opening a FIFO without a writer returns at once; the file
	 * may also have been swapped for something else since the stat. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (!S_ISREG(st.st_mode) && !(pipes && S_ISFIFO(st.st_mode)))) {
		snprintf(why, whylen, "%s: %s", path, util_file_type(st.st_mode));
		close(fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (is_pipe)
		*is_pipe = S_ISFIFO(st.st_mode);
	return fd;
}

/* Whether any of n float32 values (any alignment) at b has the all-ones
 * exponent. One pass with no early exit, so that it vectorises: VM_CLONES
 * compiles it for AVX2 and AVX-512 too (about memory speed, where the
 * plain -O2 loop read 1.7 GB/s). */
VM_CLONES static unsigned nonfinite_any(const unsigned char *b, uint64_t n)
{
	unsigned bad = 0;
	for (uint64_t j = 0; j < n; j++) {
		uint32_t u;
		memcpy(&u, b + j * 4, sizeof u);
		bad |= (u & 0x7f800000u) == 0x7f800000u;
	}
	return bad;
}

uint64_t util_first_nonfinite(const void *p, uint64_t n)
{
	const unsigned char *b = p;
	for (uint64_t i = 0; i < n; i += 16384) {
		uint64_t k = n - i < 16384 ? n - i : 16384;
		if (!nonfinite_any(b + i * 4, k))
			continue;
		for (uint64_t j = i; j < i + k; j++) {
			uint32_t u;
			memcpy(&u, b + j * 4, sizeof u);
			if ((u & 0x7f800000u) == 0x7f800000u)
				return j;
		}
	}
	return n;
}

int util_mkdirs_for(const char *path)
{
	char *d = strdup(path);
	if (!d) {
		errno = ENOMEM;
		return -1;
	}
	char *slash = strrchr(d, '/');
	int rc = 0;
	if (slash && slash != d) {
		*slash = 0;
		for (char *p = d + 1; *p && rc == 0; p++) {
			if (*p != '/')
				continue;
			*p = 0;
			rc = mkdir(d, 0700) != 0 && errno != EEXIST ? -1 : 0;
			*p = '/';
		}
		if (rc == 0)
			rc = mkdir(d, 0700) != 0 && errno != EEXIST ? -1 : 0;
	}
	int saved = errno;
	free(d);
	errno = saved;
	return rc;
}
