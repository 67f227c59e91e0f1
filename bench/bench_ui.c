/* bench_ui.c - the explorer's latency, in process, on a large database:
 *
 *   first frame   store_open + the user database + the catalog view +
 *                 one render of a 50x160 screen (what `saex DB` does before
 *                 the terminal shows anything, less curses' own start);
 *   list open     Enter on the SAE: its feature list (all its rows) + render;
 *   scrolling     j / PgDn in the feature list, each key + render;
 *   dashboard     Enter on a random feature of the list + render, then back.
 *
 * usage: bench_ui [--keys N] [--opens N] DB_PATH
 * Prints p50/p99/max in ms and the bars (first frame <= 100 ms, key to
 * frame <= 16 ms at p99), then "RESULT k=v ...". Exit 0 measured, 1 usage,
 * 2 failure. */
#include "config.h"
#include "app.h"

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double bu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int bu_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bu_pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof *v, bu_cmp);
	int i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

static void bu_report(const char *what, double *v, int n)
{
	double p50 = bu_pct(v, n, 0.5), p99 = bu_pct(v, n, 0.99), mx = v[n - 1];
	printf("%-22s n=%-5d p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  bar p99 <= 16 ms: %s\n",
	       what, n, p50 * 1e3, p99 * 1e3, mx * 1e3, p99 * 1e3 <= 16 ? "meets" : "MISSES");
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "C.UTF-8");
	int nkeys = 2000, nopens = 300;
	int i = 1;
	for (; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--keys"))
			nkeys = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--opens"))
			nopens = atoi(argv[++i]);
		else
			break;
	}
	if (i != argc - 1 || nkeys < 10 || nopens < 10) {
		fprintf(stderr, "usage: bench_ui [--keys N] [--opens N] DB_PATH\n");
		return 1;
	}
	const char *db = argv[i];
	char tmp[] = "/tmp/saex-bench-ui-XXXXXX";
	if (!mkdtemp(tmp))
		return 2;
	setenv("XDG_DATA_HOME", tmp, 1);

	double t0 = bu_now();
	store *s;
	store_user *u;
	saex_err e = {{0}, 0};
	if (store_open(&s, db, STORE_READ, &e) || store_user_open(&u, NULL, &e)) {
		fprintf(stderr, "bench_ui: %s\n", e.msg);
		return 2;
	}
	app *a = app_new(s, u, db);
	a->rows = 50;
	a->cols = 160;
	app_push(a, view_catalog_new(a));
	grid *g = grid_new(50, 160, 0);
	app_render(a, g);
	double first = bu_now() - t0;
	printf("first frame            %7.3f ms  bar <= 100 ms: %s\n", first * 1e3,
	       first * 1e3 <= 100 ? "meets" : "MISSES");

	t0 = bu_now();
	app_key(a, '\n');
	app_render(a, g);
	double list_open = bu_now() - t0;
	printf("feature list open      %7.3f ms  (loads every row of the SAE; no bar)\n",
	       list_open * 1e3);

	double *v = calloc((size_t)(nkeys > nopens ? nkeys : nopens), sizeof *v);
	for (int k = 0; k < nkeys; k++) {
		int key = k % 10 == 9 ? KEY_NPAGE : 'j';
		t0 = bu_now();
		app_key(a, key);
		app_render(a, g);
		v[k] = bu_now() - t0;
	}
	bu_report("list scrolling", v, nkeys);

	srand(1);
	for (int k = 0; k < nopens; k++) {
		app_key(a, 'g');
		for (int j = rand() % 40; j > 0; j--)
			app_key(a, KEY_NPAGE);
		t0 = bu_now();
		app_key(a, '\n');
		app_render(a, g);
		v[k] = bu_now() - t0;
		app_key(a, KEY_BACKSPACE);
	}
	bu_report("dashboard open", v, nopens);
	double dash = bu_pct(v, nopens, 0.99);
	printf("RESULT first_frame_ms=%.3f list_open_ms=%.3f dashboard_p99_ms=%.3f\n", first * 1e3,
	       list_open * 1e3, dash * 1e3);
	free(v);
	grid_free(g);
	app_free(a);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		return 2;
	return 0;
}
