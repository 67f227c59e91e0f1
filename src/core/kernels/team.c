/* team.c - a team of threads for one computation (see team.h). */
#include "config.h"
#include "team.h"
#include "util.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Spins before a member sleeps: the steps of a forward pass follow each
 * other within microseconds, and waking a sleeping thread takes tens. */
#define TEAM_SPINS 20000

struct team {
	int size;
	pthread_t th[TEAM_MAX];
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	atomic_uint gen; /* bumped for each run (and once to stop) */
	atomic_int left; /* members 1.. still working on the current run */
	atomic_int stop;
	team_fn fn;
	void *ctx;
	int blas_threads; /* OpenBLAS's count before team_blas_start */
};

typedef struct team_arg {
	team *t;
	int i;
} team_arg;

static inline void team_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void *team_main(void *p)
{
	team_arg *a = p;
	team *t = a->t;
	int i = a->i;
	free(a);
	unsigned seen = 0;
	for (;;) {
		unsigned g = atomic_load_explicit(&t->gen, memory_order_acquire);
		for (int s = 0; g == seen && s < TEAM_SPINS; s++) {
			team_relax();
			g = atomic_load_explicit(&t->gen, memory_order_acquire);
		}
		if (g == seen) {
			pthread_mutex_lock(&t->mu);
			while ((g = atomic_load_explicit(&t->gen, memory_order_acquire)) == seen)
				pthread_cond_wait(&t->go, &t->mu);
			pthread_mutex_unlock(&t->mu);
		}
		seen = g;
		if (atomic_load_explicit(&t->stop, memory_order_acquire))
			return NULL;
		t->fn(t->ctx, i, t->size);
		if (atomic_fetch_sub_explicit(&t->left, 1, memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&t->mu);
			pthread_cond_signal(&t->done);
			pthread_mutex_unlock(&t->mu);
		}
	}
}

team *team_new(int n)
{
	if (n < 1)
		n = 1;
	if (n > TEAM_MAX)
		n = TEAM_MAX;
	team *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->go, NULL);
	pthread_cond_init(&t->done, NULL);
	atomic_init(&t->gen, 0);
	atomic_init(&t->left, 0);
	atomic_init(&t->stop, 0);
	t->size = 1;
	for (int i = 1; i < n; i++) {
		team_arg *a = malloc(sizeof *a);
		if (!a)
			break;
		a->t = t;
		a->i = i;
		if (util_thread_start(&t->th[i], team_main, a) != 0) {
			free(a);
			break;
		}
		t->size = i + 1;
	}
	return t;
}

int team_size(const team *t)
{
	return t->size;
}

void team_run(team *t, team_fn fn, void *ctx)
{
	if (!t || t->size == 1) {
		fn(ctx, 0, 1);
		return;
	}
	t->fn = fn;
	t->ctx = ctx;
	atomic_store_explicit(&t->left, t->size - 1, memory_order_relaxed);
	pthread_mutex_lock(&t->mu);
	atomic_fetch_add_explicit(&t->gen, 1, memory_order_release);
	pthread_cond_broadcast(&t->go);
	pthread_mutex_unlock(&t->mu);
	fn(ctx, 0, t->size);
	for (int s = 0; atomic_load_explicit(&t->left, memory_order_acquire) > 0 && s < TEAM_SPINS; s++)
		team_relax();
	if (atomic_load_explicit(&t->left, memory_order_acquire) > 0) {
		pthread_mutex_lock(&t->mu);
		while (atomic_load_explicit(&t->left, memory_order_acquire) > 0)
			pthread_cond_wait(&t->done, &t->mu);
		pthread_mutex_unlock(&t->mu);
	}
}

void team_free(team *t)
{
	if (!t)
		return;
	if (t->size > 1) {
		atomic_store_explicit(&t->stop, 1, memory_order_release);
		pthread_mutex_lock(&t->mu);
		atomic_fetch_add_explicit(&t->gen, 1, memory_order_release);
		pthread_cond_broadcast(&t->go);
		pthread_mutex_unlock(&t->mu);
		for (int i = 1; i < t->size; i++)
			pthread_join(t->th[i], NULL);
	}
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->go);
	pthread_cond_destroy(&t->done);
	free(t);
}

team *team_blas_start(void)
{
	int nb = openblas_get_num_threads();
	if (nb < 2)
		return NULL;
	team *t = team_new(nb);
	if (!t)
		return NULL;
	if (t->size < 2) {
		team_free(t);
		return NULL;
	}
	t->blas_threads = nb;
	openblas_set_num_threads(1);
	return t;
}

void team_blas_end(team *t)
{
	if (!t)
		return;
	int nb = t->blas_threads;
	team_free(t);
	openblas_set_num_threads(nb);
}

void team_share(size_t n, int i, int size, size_t align, size_t *a, size_t *b)
{
	if (align < 1)
		align = 1;
	size_t units = (n + align - 1) / align;
	size_t ua = units * (size_t)i / (size_t)size, ub = units * (size_t)(i + 1) / (size_t)size;
	*a = ua * align < n ? ua * align : n;
	*b = ub * align < n ? ub * align : n;
}
