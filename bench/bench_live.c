/* bench_live.c - the explorer's live test and steering latency on
 * GPT-2-small shapes (issue bars: a live test of a 64-token text <= 150 ms
 * from Enter to the coloured tokens; steering's first streamed token <= 300
 * ms after Enter).
 *
 * usage: bench_live [--reps N] [--dir DIR]
 *
 * DIR holds the random weights bench_core writes with --keep (DIR/gpt2:
 * GPT-2-small shapes, DIR/sae: a 768 -> 24,576 SAE); run
 *   bench_core --dir DIR --keep
 * first (bench/run_live.sh does). bench_live adds to them what a live test
 * needs: DIR/gpt2 gets a byte-level vocabulary (the 256 byte tokens, filler
 * tokens up to 50,255 and <|endoftext|> = 50,256, no merges: one token a
 * byte), and DIR/sae9 the same SAE at blocks.9.hook_resid_pre. A scratch
 * database records the weights (store_weights_put), and the explorer's own
 * code runs:
 *
 *   live test   core_test_run on a 63-byte text (64 tokens with BOS): the
 *               model up to layer 9, the SAE encode of all 64 rows, the
 *               feature's values - everything between Enter and drawing
 *               (drawing the view is measured by bench_ui: < 1 ms);
 *   steering    steer_start + the first steer_step (one token of the
 *               default and one of the steered continuation, each with its
 *               prompt's prefill) for a 16-token and a 64-token prompt.
 *
 * The weights are loaded (mapped) once before timing, as the explorer keeps
 * them for the session. Prints p50/p99/max in ms and the bars, then
 * "RESULT k=v". Exit 0 measured, 1 usage, 2 failure. */
#include "config.h"
#include "app.h"
#include "blas_tune.h"
#include "core.h"
#include "steer.h"

#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double bl_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void bl_report(const char *what, double *v, int n, double bar_ms, double *p50_out)
{
	qsort(v, (size_t)n, sizeof *v, bl_cmp);
	double p50 = v[n / 2], p99 = v[(int)(0.99 * (n - 1) + 0.5)], mx = v[n - 1];
	printf("%-30s n=%-3d p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  bar p99 <= %.0f ms: %s\n", what, n, p50 * 1e3,
	       p99 * 1e3, mx * 1e3, bar_ms, p99 * 1e3 <= bar_ms ? "meets" : "MISSES");
	*p50_out = p50;
}

/* The byte-level vocabulary described above, unless DIR has one. */
static int bl_vocab(const char *dir)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/vocab.json", dir);
	if (access(path, R_OK) == 0)
		return 0;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	/* GPT-2's printable stand-ins for the 256 bytes */
	int n = 0;
	fputc('{', f);
	for (int b = 0; b < 256; b++) {
		int keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
		unsigned cp = keep ? (unsigned)b : 256u + (unsigned)n++;
		fprintf(f, "\"\\u%04x\":%d,", cp, b);
	}
	for (int i = 256; i < 50256; i++)
		fprintf(f, "\"<filler%d>\":%d,", i, i);
	fprintf(f, "\"<|endoftext|>\":50256}\n");
	if (fclose(f))
		return -1;
	snprintf(path, sizeof path, "%s/merges.txt", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("#version: 0.2\n", f);
	return fclose(f);
}

/* DIR/sae9: DIR/sae's weights at blocks.9.hook_resid_pre. */
static int bl_sae9(const char *dir, char *out, size_t outlen)
{
	char cfg[1300], link[1300];
	snprintf(out, outlen, "%s/sae9", dir);
	mkdir(out, 0777);
	snprintf(link, sizeof link, "%s/sae_weights.safetensors", out);
	if (access(link, R_OK) != 0 && symlink("../sae/sae_weights.safetensors", link) != 0 && errno != EEXIST)
		return -1;
	snprintf(cfg, sizeof cfg, "%s/cfg.json", out);
	FILE *f = fopen(cfg, "w");
	if (!f)
		return -1;
	fputs("{\"architecture\": \"standard\", \"d_in\": 768, \"d_sae\": 24576, \"apply_b_dec_to_input\": true,\n"
	      " \"normalize_activations\": \"none\", \"metadata\": {\"hook_name\": \"blocks.9.hook_resid_pre\"}}\n", f);
	return fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"reps", required_argument, NULL, 'r'}, {"dir", required_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'}, {0}};
	int reps = 15, ch;
	const char *dir = "/tmp/saex-bench/core";
	blas_tune_reexec(argv); /* the kernels saex itself runs with */
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'r' && atoi(optarg) > 0)
			reps = atoi(optarg);
		else if (ch == 'd')
			dir = optarg;
		else {
			fprintf(ch == 'h' ? stdout : stderr, "usage: bench_live [--reps N] [--dir DIR]\n");
			return ch == 'h' ? 0 : 1;
		}
	}
	char mdir[1100], sdir[1100], db_path[1200];
	snprintf(mdir, sizeof mdir, "%s/gpt2", dir);
	if (bl_vocab(mdir) || bl_sae9(dir, sdir, sizeof sdir)) {
		fprintf(stderr, "bench_live: cannot write into %s (run bench_core --dir %s --keep first)\n", dir, dir);
		return 2;
	}
	snprintf(db_path, sizeof db_path, "%s/live.db", dir);
	unlink(db_path);
	store *db;
	saex_err e = {{0}, 0};
	int64_t sid;
	if (store_open(&db, db_path, STORE_WRITE, &e) || store_begin(db, &e) ||
	    store_source_ensure(db, "bench", "9-res", &sid, &e) || store_weights_put(db, sid, mdir, sdir, &e) ||
	    store_commit(db, &e)) {
		fprintf(stderr, "bench_live: %s\n", e.msg);
		return 2;
	}
	ui_core *core = core_new();
	core_src *src;
	char err[SAEX_ERR_LEN];
	double t0 = bl_now();
	if (core_source(core, db, sid, &src, err, sizeof err)) {
		fprintf(stderr, "bench_live: %s\n", err);
		return 2;
	}
	printf("weights loaded (mapped) in %.2f s; OpenBLAS %s kernels, %d threads\n", bl_now() - t0,
	       openblas_get_corename(), openblas_get_num_threads());

	/* 63 bytes = 63 tokens, 64 with BOS */
	const char *text = "The quick brown fox jumps over the lazy dog near the river bank.";
	char text63[64];
	snprintf(text63, sizeof text63, "%.63s", text);
	double *tv = calloc((size_t)reps, sizeof *tv), p50_live, p50_s16, p50_s64;
	for (int i = -1; i < reps; i++) { /* one warm-up */
		core_test t;
		double s = bl_now();
		if (core_test_run(src, 21, text63, &t, err, sizeof err)) {
			fprintf(stderr, "bench_live: %s\n", err);
			return 2;
		}
		if (i >= 0)
			tv[i] = bl_now() - s;
		if (i < 0)
			printf("live test: %zu tokens, feature 21\n", t.n);
		core_test_free(&t);
	}
	bl_report("live test, 64 tokens", tv, reps, 150, &p50_live);

	ui_steer *st = steer_new();
	saex_fid id = {"bench", "9-res", 21};
	steer_add(st, &id, sid, 40, NULL);
	st->tokens = 20;
	for (int len = 16; len <= 64; len += 48) {
		char prompt[80];
		snprintf(prompt, sizeof prompt, "%.*s", len - 1, text);
		free(st->prompt);
		st->prompt = strdup(prompt);
		for (int i = -1; i < reps; i++) {
			double s = bl_now();
			if (steer_start(st, core, db, err, sizeof err) || steer_step(st, err, sizeof err) < 0) {
				fprintf(stderr, "bench_live: %s\n", err);
				return 2;
			}
			if (i >= 0)
				tv[i] = bl_now() - s;
			steer_cancel(st);
		}
		char what[64];
		snprintf(what, sizeof what, "steering first token, %d-token prompt", len);
		bl_report(what, tv, reps, 300, len == 16 ? &p50_s16 : &p50_s64);
	}
	printf("RESULT live_ms=%.1f steer16_ms=%.1f steer64_ms=%.1f\n", p50_live * 1e3, p50_s16 * 1e3, p50_s64 * 1e3);
	steer_free(st);
	core_free(core);
	store_close(db);
	free(tv);
	unlink(db_path);
	return 0;
}
