/* blas_tune.c - OPENBLAS_CORETYPE for CPUs newer than OpenBLAS (see
 * blas_tune.h). */
#include "config.h"
#include "blas_tune.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void blas_tune_reexec(char **argv)
{
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
	/* The binary's own path, not /proc/self/exe: the process keeps its
	 * name ("saex" in ps, pkill, /proc/PID/comm). */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0 && (size_t)n < sizeof self - 1) {
		self[n] = 0;
		execv(self, argv);
	}
	execv("/proc/self/exe", argv);
	unsetenv("OPENBLAS_CORETYPE"); /* the exec failed: go on as we are */
#else
	(void)argv;
#endif
}
