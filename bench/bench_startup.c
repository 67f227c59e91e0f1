/* bench_startup.c - start-up of `saex run --sae ... --top 5` against the
 * same work in a process that is already warm, measured in the same run.
 *
 * usage: bench_startup --saex PATH --model DIR --sae DIR --text TEXT
 *                      [--reps N] [--bar X] [--label NAME]
 *
 * Contract: loads the model (DIR's tokenizer and weights) and the SAE once,
 * as a warm process holds them, and runs one warm pass (so that the page
 * cache holds the files and the first touch of the maps is behind us);
 * then runs `PATH run --model DIR --sae DIR --top 5 TEXT` once and discards
 * it (the page cache warm for the new process too). Then --reps (9) rounds,
 * each of, interleaved:
 *
 *   cold    a new process: fork, exec of that command line with its output
 *           to /dev/null, waitpid; wall time (CLOCK_MONOTONIC) from the fork
 *           to the exit, after 0.2 s of this process idle (its OpenBLAS
 *           workers asleep); the exit status must be 0;
 *   warm    the same work through libsaex in this process, everything
 *           loaded: saex_tok_encode_ids of TEXT (with BOS as the model's
 *           config says), saex_model_forward to the SAE's layer with a hook
 *           that copies the SAE's input out (as saex run does), and
 *           saex_sae_encode of every position, and the top 5 features of
 *           each position.
 *
 * Prints the medians, the ratio cold / warm against --bar (default 1.5) and
 * one "RESULT key=value ..." line. OpenBLAS's kernels are chosen as saex
 * run chooses them (blas_tune_reexec), so both sides run the same ones.
 *
 * Exit status: 0 measured (bar met or not), 1 usage, 2 failure. */
#include "config.h"
#include "saex.h"
#include "blas_tune.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BS_TOP 5

typedef struct bs_warm {
	saex_tok *tok;
	saex_model *m;
	saex_sae *sae;
	const char *text;
	float *act;   /* [T, d_in], filled by the hook */
	size_t act_cap;
	int64_t top[BS_TOP];
	size_t T;
} bs_warm;

static double bs_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void bs_fail(const char *what, const char *err)
{
	fprintf(stderr, "bench_startup: %s: %s\n", what, err);
	exit(2);
}

static int bs_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bs_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bs_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One new process of argv, output to /dev/null: its wall time in seconds. */
static double bs_cold(char **argv)
{
	/* this process idle first, as a shell is: OpenBLAS's workers spin for
	 * up to 2^OPENBLAS_THREAD_TIMEOUT cycles after the warm run's last
	 * product (0.1 s at OpenBLAS's default of 28) and would take a core
	 * from the new process */
	nanosleep(&(struct timespec){0, 200000000}, NULL);
	double t0 = bs_now();
	pid_t pid = fork();
	if (pid < 0)
		bs_fail("fork", "failed");
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		bs_fail(argv[0], "the run failed (run it by hand to see why)");
	return bs_now() - t0;
}

static int bs_hook(const char *name, float *act, size_t T, size_t width, void *user)
{
	(void)name;
	bs_warm *w = user;
	if (T * width > w->act_cap) {
		free(w->act);
		w->act_cap = T * width;
		if (!(w->act = malloc(w->act_cap * sizeof *w->act)))
			return -1;
	}
	memcpy(w->act, act, T * width * sizeof *act);
	return 0;
}

/* The largest of f[0..d) into top (k of them, best first; fewer when fewer
 * are non-zero): what saex run prints per position. */
static void bs_top(const float *f, int64_t d, int64_t *top)
{
	int n = 0;
	for (int64_t j = 0; j < d; j++) {
		if (f[j] == 0 || (n == BS_TOP && !(f[j] > f[top[BS_TOP - 1]])))
			continue;
		int i = n < BS_TOP ? n++ : BS_TOP - 1;
		while (i > 0 && f[j] > f[top[i - 1]]) {
			top[i] = top[i - 1];
			i--;
		}
		top[i] = j;
	}
}

/* The warm process's run: seconds. */
static double bs_warm_run(bs_warm *w)
{
	char err[SAEX_ERR_LEN];
	double t0 = bs_now();
	const saex_model_config *c = saex_model_config_of(w->m);
	const saex_sae_info *si = saex_sae_get_info(w->sae);
	uint32_t *ids;
	size_t T;
	if (saex_tok_encode_ids(w->tok, w->text, strlen(w->text), c->prepend_bos ? SAEX_TOK_SPECIAL : 0, &ids, &T, err,
	                        sizeof err))
		bs_fail("tokenizer", err);
	saex_hook h = {si->hook_name, bs_hook, w};
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = &h;
	ro.n_hooks = 1;
	ro.stop_after_layer = si->layer;
	if (saex_model_forward(w->m, ids, T, &ro, err, sizeof err))
		bs_fail("forward", err);
	float *f = malloc(T * (size_t)si->d_sae * sizeof *f);
	if (!f || saex_sae_encode(w->sae, w->act, T, f, NULL))
		bs_fail("encode", "out of memory");
	for (size_t t = 0; t < T; t++)
		bs_top(f + t * (size_t)si->d_sae, si->d_sae, w->top);
	free(f);
	free(ids);
	w->T = T;
	return bs_now() - t0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"saex", required_argument, NULL, 'x'}, {"model", required_argument, NULL, 'm'},
		{"sae", required_argument, NULL, 's'},  {"text", required_argument, NULL, 't'},
		{"reps", required_argument, NULL, 'r'}, {"bar", required_argument, NULL, 'b'},
		{"label", required_argument, NULL, 'l'}, {0}};
	const char *saex = NULL, *model = NULL, *sae = NULL, *text = NULL, *label = "startup";
	int reps = 9, ch;
	double bar = 1.5;
	blas_tune_reexec(argv);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'x': saex = optarg; break;
		case 'm': model = optarg; break;
		case 's': sae = optarg; break;
		case 't': text = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 'b': bar = atof(optarg); break;
		case 'l': label = optarg; break;
		default: goto usage;
		}
	}
	if (!saex || !model || !sae || !text || reps < 1 || reps > 1000 || optind != argc)
		goto usage;

	char err[SAEX_ERR_LEN];
	bs_warm w = {0};
	w.text = text;
	double t0 = bs_now();
	if (!(w.tok = saex_tok_load(model, err, sizeof err)))
		bs_fail(model, err);
	double t_tok = bs_now() - t0;
	if (!(w.m = saex_model_load(model, err, sizeof err)))
		bs_fail(model, err);
	double t_model = bs_now() - t0 - t_tok;
	if (!(w.sae = saex_sae_load(sae, err, sizeof err)))
		bs_fail(sae, err);
	if (saex_sae_fits(w.sae, w.m, err, sizeof err))
		bs_fail(sae, err);
	double t_load = bs_now() - t0, t_first = bs_warm_run(&w);
	printf("== %s: %s, SAE %s at %s (%lld features), %zu tokens\n", label, saex_model_config_of(w.m)->family, sae,
	       saex_sae_get_info(w.sae)->hook_name, (long long)saex_sae_get_info(w.sae)->d_sae, w.T);
	printf("[load, this process] tokenizer %.1f ms, model %.1f ms, all %.1f ms; first run %.1f ms\n", t_tok * 1e3,
	       t_model * 1e3, t_load * 1e3, t_first * 1e3);

	char *cmd[] = {(char *)saex, "run", "--model", (char *)model, "--sae", (char *)sae, "--top", "5", (char *)text,
	               NULL};
	double first_cold = bs_cold(cmd); /* the page cache warm for the new processes */
	double *cold = malloc((size_t)reps * sizeof *cold), *warm = malloc((size_t)reps * sizeof *warm);
	double *ratio = malloc((size_t)reps * sizeof *ratio);
	if (!cold || !warm || !ratio)
		bs_fail("bench_startup", "out of memory");
	for (int i = 0; i < reps; i++) {
		cold[i] = bs_cold(cmd);
		warm[i] = bs_warm_run(&w);
		ratio[i] = cold[i] / warm[i];
	}
	double mc = bs_median(cold, (size_t)reps), mw = bs_median(warm, (size_t)reps);
	double mr = bs_median(ratio, (size_t)reps), r = mc / mw;
	printf("[cold] a new `saex run --sae --top 5`: median %.1f ms (%d runs; the discarded first %.1f ms)\n", mc * 1e3,
	       reps, first_cold * 1e3);
	printf("[warm] the same work, everything loaded: median %.1f ms\n", mw * 1e3);
	printf("[ratio] %.2f (median of the pairs' ratios %.2f); bar <= %.2f: %s\n", r, mr, bar,
	       r <= bar ? "meets" : "misses");
	printf("RESULT label=%s tokens=%zu cold_ms=%.1f warm_ms=%.1f ratio=%.3f pair_ratio=%.3f bar=%.2f "
	       "tok_load_ms=%.1f model_load_ms=%.1f\n",
	       label, w.T, mc * 1e3, mw * 1e3, r, mr, bar, t_tok * 1e3, t_model * 1e3);
	free(cold);
	free(warm);
	free(ratio);
	free(w.act);
	saex_sae_free(w.sae);
	saex_model_free(w.m);
	saex_tok_free(w.tok);
	return 0;
usage:
	fputs("usage: bench_startup --saex PATH --model DIR --sae DIR --text TEXT [--reps N] [--bar X] [--label NAME]\n",
	      stderr);
	return 1;
}
