/* blas_tune.c - OPENBLAS_CORETYPE for CPUs newer than OpenBLAS (see
 * blas_tune.h). */
#include "config.h"
#include "blas_tune.h"

#include <cblas.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The signals saex handles itself (the explorer's Ctrl-Z, Ctrl-C, kill,
 * resize). OpenBLAS starts its threads before main; a signal may be handled
 * on any of them, where a curses handler then races the main thread. The
 * exec below hands these signals over blocked, so the threads OpenBLAS
 * starts in the new image inherit them blocked, and main unblocks them for
 * itself alone: they are all handled on the main thread. */
static void blas_tune_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTSTP);
	sigaddset(set, SIGWINCH);
	sigaddset(set, SIGCONT);
}

void blas_tune_reexec(char **argv)
{
	sigset_t set;
	blas_tune_signals(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* main's own: handled here */
#if defined(__x86_64__) || defined(__i386__)
	if (getenv("OPENBLAS_CORETYPE") || getenv("SAEX_NO_BLAS_TUNE"))
		return;
	const char *core = openblas_get_corename();
	if (!core || strcasecmp(core, "Prescott") != 0)
		return;
	__builtin_cpu_init();
	const char *want = NULL;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512cd"))
		want = "SkylakeX";
	else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		want = "Haswell";
	if (!want)
		return;
	setenv("OPENBLAS_CORETYPE", want, 1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	execv("/proc/self/exe", argv);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL); /* the exec failed: go on as we are */
	unsetenv("OPENBLAS_CORETYPE");
#else
	(void)argv;
#endif
}
