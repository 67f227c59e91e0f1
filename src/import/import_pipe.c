/* import_pipe.c - reads, parses and decodes a JSONL file on a second thread,
 * so that gunzip + JSON parsing (the bulk of an import) overlaps with
 * storing.
 *
 * The parser thread turns each line into a flat import_rec whose memory
 * lives in its chunk's arena, and frees the JSON at once: jansson's
 * allocations stay on one thread, as in a plain read loop. Chunks travel to
 * the consumer through a bounded queue (memory stays bounded by PIPE_DEPTH
 * chunks of PIPE_CHUNK lines) and come back to the parser thread, which
 * resets and reuses them, so each thread frees only what it allocated. */
#include "config.h"
#include "import.h"
#include "jsonl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_CHUNK 32
#define PIPE_DEPTH 4
/* A chunk also ends after this many bytes of lines, so the queue holds at
 * most PIPE_DEPTH times this (plus one line) however long the lines are. */
#define PIPE_CHUNK_BYTES ((size_t)4 << 20)

typedef struct pipe_chunk {
	import_line v[PIPE_CHUNK];
	int n, next;
	size_t bytes;            /* of the lines in it */
	int end;                 /* the last chunk: 1 end of file, -1 error */
	saex_err err;
	arena mem;               /* records and messages */
	struct pipe_chunk *link; /* in the list of consumed chunks */
} pipe_chunk;

struct import_pipe {
	jsonl *j;
	import_kind kind;        /* IMP_AUTO: decided from the first row */
	const char *path;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_get;
	pipe_chunk *q[PIPE_DEPTH];
	int head, count, cancel;
	pipe_chunk *cur;         /* being consumed */
	pipe_chunk *done;        /* consumed, back to the parser thread */
	pipe_chunk *spare;       /* parser thread's chunks for reuse */
};

static void chunk_clear(pipe_chunk *c)
{
	for (int i = 0; i < c->n; i++)
		import_rec_release(&c->v[i].rec);
	arena_reset(&c->mem);
	c->n = c->next = c->end = 0;
	c->bytes = 0;
	c->link = NULL;
}

static void chunk_free(pipe_chunk *c)
{
	if (!c)
		return;
	chunk_clear(c);
	arena_free(&c->mem);
	free(c);
}

/* Queues a chunk; 0 when the consumer cancelled (chunk freed). */
static int pipe_put(import_pipe *p, pipe_chunk *c)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == PIPE_DEPTH && !p->cancel)
		pthread_cond_wait(&p->can_put, &p->mu);
	if (p->cancel) {
		pthread_mutex_unlock(&p->mu);
		chunk_free(c);
		return 0;
	}
	p->q[(p->head + p->count) % PIPE_DEPTH] = c;
	p->count++;
	pthread_cond_signal(&p->can_get);
	pthread_mutex_unlock(&p->mu);
	return 1;
}

/* A fresh or reused chunk (parser thread). */
static pipe_chunk *pipe_chunk_get(import_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	pipe_chunk *d = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	while (d) {
		pipe_chunk *next = d->link;
		chunk_clear(d);
		d->link = p->spare;
		p->spare = d;
		d = next;
	}
	pipe_chunk *c = p->spare;
	if (c) {
		p->spare = c->link;
		c->link = NULL;
		return c;
	}
	return xcalloc(1, sizeof *c);
}

/* Parses and decodes one non-blank line into x. */
static void pipe_decode(import_pipe *p, pipe_chunk *c, import_line *x, const char *line,
                        size_t len)
{
	json_error_t je = {0}; /* jansson leaves the error code unset when memory runs out */
	saex_err e = {{0}, 0};
	json_t *row = json_loadb(line, len, JSON_ALLOW_NUL, &je);
	if (!row) {
		char msg[256];
		if (jsonl_oom(&je)) {
			/* not the line's fault: the run stops, the file stays unrecorded */
			x->status = IMP_ENOMEM;
			snprintf(msg, sizeof msg, "out of memory while reading this line");
		} else {
			x->status = IMP_BADROW;
			snprintf(msg, sizeof msg, "malformed JSON at column %d: %s", je.column, je.text);
		}
		x->error = arena_strdup(&c->mem, msg);
		return;
	}
	if (p->kind == IMP_AUTO && json_is_object(row)) {
		import_kind k = import_sniff(row);
		if (k == IMP_AUTO) {
			x->status = IMP_EFILE;
			x->error = "cannot tell what kind of rows this file holds: pass --kind";
			json_decref(row);
			return;
		}
		p->kind = k;
	}
	int rc = import_np_decode(p->kind, row, &c->mem, &x->rec, &e);
	json_decref(row);
	if (rc) {
		x->status = rc == IMP_ENOMEM ? IMP_ENOMEM : IMP_BADROW;
		x->error = arena_strdup(&c->mem, e.msg);
	}
}

static void *pipe_main(void *arg)
{
	import_pipe *p = arg;
	pipe_chunk *c = pipe_chunk_get(p);
	for (;;) {
		const char *line;
		size_t len;
		saex_err e = {{0}, 0};
		int r = jsonl_next(p->j, &line, &len, &e);
		if (r <= 0) {
			c->end = r < 0 ? -1 : 1;
			c->err = e;
			pipe_put(p, c);
			return NULL;
		}
		import_line *x = &c->v[c->n++];
		memset(x, 0, sizeof *x);
		x->line = jsonl_lineno(p->j);
		x->offset = jsonl_raw_offset(p->j);
		x->blank = len == 0 || strspn(line, " \t") == len;
		if (!x->blank)
			pipe_decode(p, c, x, line, len);
		c->bytes += len;
		int stop = x->status == IMP_EFILE || x->status == IMP_ENOMEM;
		if (stop)
			c->end = 1;
		if (stop || c->n == PIPE_CHUNK || c->bytes >= PIPE_CHUNK_BYTES) {
			if (!pipe_put(p, c) || stop)
				return NULL;
			c = pipe_chunk_get(p);
		}
	}
}

import_pipe *import_pipe_start(jsonl *j, import_kind kind)
{
	import_pipe *p = xcalloc(1, sizeof *p);
	p->j = j;
	p->kind = kind;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->can_get, NULL);
	json_object_seed(0); /* seed jansson's hashing before two threads use it */
	if (util_thread_start(&p->thread, pipe_main, p) != 0) {
		fprintf(stderr, "saex: cannot start a thread\n");
		abort();
	}
	return p;
}

/* Hands a consumed chunk back to the parser thread (consumer side). */
static void pipe_give_back(import_pipe *p, pipe_chunk *c)
{
	pthread_mutex_lock(&p->mu);
	c->link = p->done;
	p->done = c;
	pthread_mutex_unlock(&p->mu);
}

int import_pipe_next(import_pipe *p, import_line **out, saex_err *e)
{
	for (;;) {
		pipe_chunk *c = p->cur;
		if (c && c->next < c->n) {
			*out = &c->v[c->next++];
			return 1;
		}
		if (c && c->end) {
			if (c->end < 0) {
				*e = c->err;
				return -1;
			}
			return 0;
		}
		if (c)
			pipe_give_back(p, c);
		p->cur = NULL;
		pthread_mutex_lock(&p->mu);
		while (p->count == 0)
			pthread_cond_wait(&p->can_get, &p->mu);
		p->cur = p->q[p->head];
		p->head = (p->head + 1) % PIPE_DEPTH;
		p->count--;
		pthread_cond_signal(&p->can_put);
		pthread_mutex_unlock(&p->mu);
	}
}

void import_pipe_stop(import_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->cancel = 1;
	pthread_cond_broadcast(&p->can_put);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	chunk_free(p->cur);
	for (int i = 0; i < p->count; i++)
		chunk_free(p->q[(p->head + i) % PIPE_DEPTH]);
	for (pipe_chunk *lists[2] = {p->done, p->spare}, **l = lists; l < lists + 2; l++) {
		while (*l) {
			pipe_chunk *next = (*l)->link;
			chunk_free(*l);
			*l = next;
		}
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->can_get);
	free(p);
}
