/* team.h - a team of threads for one computation (a prompt's forward pass).
 *
 * team_new(n) starts n - 1 threads (fewer when the system refuses some:
 * team_size says how many members there are); team_run(t, fn, ctx) runs
 * fn(ctx, i, size) on every member i in [0, size), the calling thread being
 * member 0, and returns when all have returned; with t NULL it runs
 * fn(ctx, 0, 1) here. Between runs the members spin briefly, then sleep.
 * team_free stops and joins them.
 *
 * team_blas_start: a team for a computation of BLAS calls split among its
 * members, as many as OpenBLAS has threads, OpenBLAS held at one thread
 * (each member's calls single-threaded) until team_blas_end, which frees
 * the team and gives OpenBLAS its threads back. One team for a whole
 * computation keeps every core at work in every step, where OpenBLAS's own
 * threads work only inside its calls and spin (sched_yield) between them,
 * in the way of whatever runs next. NULL (run alone, OpenBLAS threaded)
 * when OpenBLAS has one thread, as inside another team's computation, or
 * when no thread (or no memory) could be had.
 *
 * Ownership: the thread that made a team owns it and is the only one that
 * may call team_run and team_free. The members' threads block every signal
 * (util_thread_start). */
#ifndef SAEX_TEAM_H
#define SAEX_TEAM_H

#include <stddef.h>

typedef struct team team;

/* The work of one run: member i of size. */
typedef void (*team_fn)(void *ctx, int i, int size);

#define TEAM_MAX 16

/* n is clamped to [1, TEAM_MAX]. NULL when out of memory; fewer members
 * than asked when threads or their memory cannot be had. */
team *team_new(int n);
int team_size(const team *t);
void team_run(team *t, team_fn fn, void *ctx);
void team_free(team *t);
team *team_blas_start(void);
void team_blas_end(team *t);

/* [*a, *b): member i's share of n items split among size members, each
 * share's start a multiple of align (1 for none) except the last's end. */
void team_share(size_t n, int i, int size, size_t align, size_t *a, size_t *b);

#endif
