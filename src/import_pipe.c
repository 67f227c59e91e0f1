/* import_pipe.c - reads and parses a JSONL file on a second thread, so that
 * gunzip + JSON parsing (the bulk of an import) overlaps with storing.
 *
 * The parser thread hands over chunks of parsed lines through a bounded
 * queue: memory stays bounded by PIPE_DEPTH chunks of PIPE_CHUNK lines. Each
 * json_t is owned by one thread at a time (the parser creates it, the
 * consumer takes it and releases it). */
#include "config.h"
#include "import.h"
#include "jsonl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_CHUNK 64
#define PIPE_DEPTH 8

typedef struct pipe_chunk {
	import_line v[PIPE_CHUNK];
	char *msgs[PIPE_CHUNK];
	int n, next;
	int end;             /* the last chunk: 0 ok, -1 read error */
	saex_err err;
} pipe_chunk;

struct import_pipe {
	jsonl *j;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_get;
	pipe_chunk *q[PIPE_DEPTH];
	int head, count, cancel;
	pipe_chunk *cur;     /* being consumed */
};

static void chunk_free(pipe_chunk *c)
{
	if (!c)
		return;
	for (int i = c->next; i < c->n; i++)
		json_decref(c->v[i].row);
	for (int i = 0; i < c->n; i++)
		free(c->msgs[i]);
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

static void *pipe_main(void *arg)
{
	import_pipe *p = arg;
	pipe_chunk *c = xcalloc(1, sizeof *c);
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
		import_line *x = &c->v[c->n];
		memset(x, 0, sizeof *x);
		x->line = jsonl_lineno(p->j);
		x->offset = jsonl_raw_offset(p->j);
		if (len > 0 && strspn(line, " \t") != len) {
			json_error_t je;
			x->row = json_loadb(line, len, JSON_ALLOW_NUL, &je);
			if (!x->row) {
				c->msgs[c->n] = xasprintf("malformed JSON at column %d: %s", je.column, je.text);
				x->error = c->msgs[c->n];
			}
		}
		if (++c->n == PIPE_CHUNK) {
			if (!pipe_put(p, c))
				return NULL;
			c = xcalloc(1, sizeof *c);
		}
	}
}

import_pipe *import_pipe_start(jsonl *j)
{
	import_pipe *p = xcalloc(1, sizeof *p);
	p->j = j;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->can_get, NULL);
	json_object_seed(0); /* seed jansson's hashing before two threads use it */
	if (pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
		fprintf(stderr, "saex: cannot start a thread\n");
		abort();
	}
	return p;
}

int import_pipe_next(import_pipe *p, import_line *out, saex_err *e)
{
	for (;;) {
		pipe_chunk *c = p->cur;
		if (c && c->next < c->n) {
			*out = c->v[c->next];
			c->v[c->next].row = NULL; /* now the caller's */
			c->next++;
			return 1;
		}
		if (c && c->end) {
			if (c->end < 0) {
				*e = c->err;
				return -1;
			}
			return 0;
		}
		chunk_free(c);
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
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->can_get);
	free(p);
}
