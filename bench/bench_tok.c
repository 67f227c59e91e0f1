/* bench_tok.c - the tokenizer's speed against limits measured in the same
 * run (bench/run_tok.sh runs it and the JavaScript reference):
 *
 *   bench_tok load JSON [--reps N]
 *       loading a tokenizer.json against jansson parsing the same bytes
 *       (json_loadb alone, and with the json_decref that frees its tree),
 *       interleaved, N rounds (default 5), medians; the bar: load <= 2 x parse
 *   bench_tok encode DIR TEXT [--reps N]
 *       encoding the file TEXT with the tokenizer of folder DIR: MB/s
 *       (median of N, default 3); for a ByteLevel pre-tokenizer with GPT-2's
 *       pattern also with the regex engine instead of the hand-written fast
 *       path, and their ratio
 *
 * Each ends with a RESULT line for scripts. */
#include "config.h"
#include "saex.h"
#include "tok_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double bt_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int bt_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bt_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, bt_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *bt_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: read error\n", path);
		fclose(f);
		free(b);
		return NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

static int bt_load(const char *path, int reps)
{
	size_t n;
	char *text = bt_read(path, &n);
	if (!text)
		return 1;
	free(text); /* each round reads the file again, as a load does */
	double *parse = calloc((size_t)reps, sizeof *parse), *full = calloc((size_t)reps, sizeof *full);
	double *load = calloc((size_t)reps, sizeof *load);
	char err[SAEX_ERR_LEN];
	uint32_t nv = 0;
	for (int r = 0; r < reps; r++) {
		/* jansson alone: the same read, the parse, then the free */
		double t0 = bt_now();
		char *b = bt_read(path, &n);
		json_error_t je;
		json_t *j = b ? json_loadb(b, n, JSON_REJECT_DUPLICATES, &je) : NULL;
		double t1 = bt_now();
		json_decref(j);
		free(b);
		double t2 = bt_now();
		if (!j) {
			fprintf(stderr, "%s: jansson: %s\n", path, je.text);
			return 1;
		}
		parse[r] = t1 - t0;
		full[r] = t2 - t0;
		t0 = bt_now();
		saex_tok *t = saex_tok_load_json(path, err, sizeof err);
		t1 = bt_now();
		if (!t) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		nv = saex_tok_vocab_size(t);
		saex_tok_free(t);
		load[r] = t1 - t0;
	}
	double p = bt_median(parse, reps), f = bt_median(full, reps), l = bt_median(load, reps);
	printf("%s: %.1f MB, %u tokens, %d rounds (medians)\n", path, (double)n / 1e6, nv, reps);
	printf("  jansson parse          %8.3f s\n", p);
	printf("  jansson parse + free   %8.3f s\n", f);
	printf("  saex load              %8.3f s   %.2f x parse (bar <= 2), %.2f x parse + free\n", l, l / p, l / f);
	printf("RESULT load_s=%.4f parse_s=%.4f parse_free_s=%.4f ratio=%.3f ratio_free=%.3f\n", l, p, f, l / p,
	       l / f);
	free(parse);
	free(full);
	free(load);
	return 0;
}

/* Seconds to encode text (median of reps). */
static double bt_encode_time(saex_tok *t, const char *text, size_t n, int reps, size_t *count)
{
	double *v = calloc((size_t)reps, sizeof *v);
	for (int r = 0; r < reps; r++) {
		uint32_t *ids;
		char err[SAEX_ERR_LEN];
		double t0 = bt_now();
		if (saex_tok_encode_ids(t, text, n, 0, &ids, count, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
		v[r] = bt_now() - t0;
		free(ids);
	}
	double m = bt_median(v, reps);
	free(v);
	return m;
}

/* Turns the GPT-2 fast path of every ByteLevel stage on or off; 0 when
 * the tokenizer has none. */
static int bt_fast_path(saex_tok *t, int on)
{
	int any = 0;
	for (size_t i = 0; i < t->npre; i++)
		if (t->pre[i].kind == TOK_P_BYTELEVEL && t->pre[i].use_regex) {
			t->pre[i].fast_gpt2 = on;
			any = 1;
		}
	return any;
}

static int bt_encode(const char *dir, const char *path, int reps)
{
	size_t n, count = 0;
	char *text = bt_read(path, &n);
	char err[SAEX_ERR_LEN];
	saex_tok *t = text ? saex_tok_load(dir, err, sizeof err) : NULL;
	if (!t) {
		if (text)
			fprintf(stderr, "%s\n", err);
		free(text);
		return 1;
	}
	double s = bt_encode_time(t, text, n, reps, &count);
	printf("%s: %.1f MB into %zu tokens in %.3f s: %.2f MB/s (median of %d)\n", path, (double)n / 1e6, count, s,
	       (double)n / 1e6 / s, reps);
	double slow = 0;
	if (bt_fast_path(t, 0)) {
		slow = bt_encode_time(t, text, n, reps, &count);
		printf("  with Oniguruma instead of the GPT-2 fast path: %.2f MB/s; the fast path is %.2f x faster\n",
		       (double)n / 1e6 / slow, slow / s);
		bt_fast_path(t, 1);
	}
	printf("RESULT mb_per_s=%.3f tokens=%zu regex_mb_per_s=%.3f\n", (double)n / 1e6 / s, count,
	       slow > 0 ? (double)n / 1e6 / slow : 0.0);
	saex_tok_free(t);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	int reps = 0;
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--reps") == 0)
			reps = atoi(argv[i + 1]);
	if (argc >= 3 && strcmp(argv[1], "load") == 0)
		return bt_load(argv[2], reps > 0 ? reps : 5);
	if (argc >= 4 && strcmp(argv[1], "encode") == 0)
		return bt_encode(argv[2], argv[3], reps > 0 ? reps : 3);
	fprintf(stderr, "usage: bench_tok load TOKENIZER_JSON [--reps N]\n"
	                "       bench_tok encode MODEL_DIR TEXT_FILE [--reps N]\n");
	return 2;
}
