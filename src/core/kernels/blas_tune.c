/* blas_tune.c - OpenBLAS's kernels and threads' spinning, set before it
 * loads (see blas_tune.h). */
#include "config.h"
#include "blas_tune.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The kernels OpenBLAS should use instead of the ones it chose, or NULL. */
static const char *blas_tune_core(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (getenv("OPENBLAS_CORETYPE"))
		return NULL;
	const char *core = openblas_get_corename();
	if (!core || strcasecmp(core, "Prescott") != 0)
		return NULL;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512cd"))
		return "SkylakeX";
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return "Haswell";
#endif
	return NULL;
}

void blas_tune_reexec(char **argv)
{
	if (getenv("SAEX_NO_BLAS_TUNE"))
		return;
	const char *core = blas_tune_core();
	int timeout = !getenv("OPENBLAS_THREAD_TIMEOUT");
	if (!core && !timeout)
		return;
	if (core)
		setenv("OPENBLAS_CORETYPE", core, 1);
	if (timeout)
		setenv("OPENBLAS_THREAD_TIMEOUT", "22", 1);
	/* The binary's own path, not /proc/self/exe: the process keeps its
	 * name ("saex" in ps, pkill, /proc/PID/comm). */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0 && (size_t)n < sizeof self - 1) {
		self[n] = 0;
		execv(self, argv);
	}
	execv("/proc/self/exe", argv);
	/* the exec failed: go on as we are */
	if (core)
		unsetenv("OPENBLAS_CORETYPE");
	if (timeout)
		unsetenv("OPENBLAS_THREAD_TIMEOUT");
}
