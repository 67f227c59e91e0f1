/* bench_import.c - import throughput and database size against a
 * parse-only baseline, on one export folder.
 *
 * usage: bench_import [--force] EXPORT_DIR DB_PATH
 *
 * Contract: measures, once each and in this order,
 *   (a) the baseline: every line of every .jsonl / .jsonl.gz file below
 *       EXPORT_DIR read with saex's own line reader (jsonl.h: zlib gzread)
 *       and parsed with json_loadb(JSON_ALLOW_NUL), as the importer does,
 *       then dropped: the least work any importer must do;
 *   (b) the import: store_open(DB_PATH, STORE_WRITE) on a new file,
 *       import_paths() on EXPORT_DIR, store_close() (which checkpoints the
 *       WAL): what `saex import DB_PATH EXPORT_DIR` does, without its
 *       progress bar.
 * It prints both times (wall and CPU), the ratio import/baseline (bar: at
 * most 1.5), the database size (main file plus any -wal) against the size of
 * the export's files (bar: at most 1.0), the rows per second and, when
 * SQLite has the dbstat table, where the database's bytes go. The last line,
 * "RESULT k=v ...", is for scripts. DB_PATH must not exist unless --force
 * is given (then it and its -wal/-shm are removed first).
 *
 * Exit status: 0 measured (bars missed or not), 1 usage, 2 failure. */
#include "config.h"
#include "import.h"
#include "jsonl.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BI_IMPORT_BAR 1.5
#define BI_SIZE_BAR 1.0

typedef struct bi_files {
	char **path;
	size_t n, cap;
	int64_t gz_bytes, plain_bytes;
} bi_files;

static double bi_wall(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double bi_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int bi_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int bi_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .jsonl and .jsonl.gz file below dir (at most depth folders deep). */
static void bi_walk(bi_files *f, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) != 0) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				bi_walk(f, p, depth - 1);
			free(p);
			continue;
		}
		int gz = bi_ends(p, ".jsonl.gz");
		if (!S_ISREG(st.st_mode) || !(gz || bi_ends(p, ".jsonl"))) {
			free(p);
			continue;
		}
		if (gz)
			f->gz_bytes += st.st_size;
		else
			f->plain_bytes += st.st_size;
		if (f->n == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 64;
			f->path = xrealloc(f->path, f->cap * sizeof *f->path);
		}
		f->path[f->n++] = p;
	}
	closedir(d);
}

typedef struct bi_base {
	long lines, bad;
	int64_t json_bytes;
	double wall, cpu;
} bi_base;

static int bi_baseline(const bi_files *f, bi_base *b)
{
	double w0 = bi_wall(), c0 = bi_cpu();
	for (size_t i = 0; i < f->n; i++) {
		jsonl *j;
		saex_err e;
		if (jsonl_open(&j, f->path[i], &e)) {
			fprintf(stderr, "bench_import: %s\n", e.msg);
			return 2;
		}
		const char *line;
		size_t len;
		int r;
		while ((r = jsonl_next(j, &line, &len, &e)) == 1) {
			b->json_bytes += (int64_t)len + 1;
			if (len == 0)
				continue;
			json_error_t je;
			json_t *row = json_loadb(line, len, JSON_ALLOW_NUL, &je);
			if (row)
				b->lines++;
			else
				b->bad++;
			json_decref(row);
		}
		jsonl_close(j);
		if (r < 0) {
			fprintf(stderr, "bench_import: %s\n", e.msg);
			return 2;
		}
	}
	b->wall = bi_wall() - w0;
	b->cpu = bi_cpu() - c0;
	return 0;
}

static int64_t bi_size(const char *path, const char *suffix)
{
	char *p = xasprintf("%s%s", path, suffix);
	struct stat st;
	int64_t n = stat(p, &st) == 0 ? (int64_t)st.st_size : -1;
	free(p);
	return n;
}

/* Bytes per table and index, from SQLite's dbstat table when compiled in. */
static void bi_breakdown(const char *db_path, int64_t total)
{
	sqlite3 *db;
	char *uri = xasprintf("file:%s?mode=ro", db_path);
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
		                        "SELECT name, sum(pgsize), sum(payload), count(*) FROM dbstat "
		                        "GROUP BY name ORDER BY sum(pgsize) DESC",
		                        -1, &st, NULL);
	if (rc != SQLITE_OK) {
		printf("  (no per-table breakdown: %s)\n", db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return;
	}
	printf("  where the bytes go (dbstat: pages, of which payload):\n");
	while (sqlite3_step(st) == SQLITE_ROW) {
		double pg = (double)sqlite3_column_int64(st, 1);
		if (pg < (double)total * 0.005)
			continue;
		printf("    %-28s %9.1f MB %5.1f%%  payload %9.1f MB  (%lld pages)\n",
		       (const char *)sqlite3_column_text(st, 0), pg / 1e6,
		       total > 0 ? pg * 100 / (double)total : 0,
		       (double)sqlite3_column_int64(st, 2) / 1e6, sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	/* Average stored record sizes of the big tables. */
	static const char *const q[] = {
		"SELECT 'activation', count(*), avg(length(tokens)), avg(length(vals)) FROM activation",
		"SELECT 'feature', count(*), avg(length(freq_h) + length(freq_v) + length(lhist_h) + "
		"length(lhist_v)), avg(length(extra)) FROM feature",
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(q); i++) {
		if (sqlite3_prepare_v2(db, q[i], -1, &st, NULL) != SQLITE_OK)
			continue;
		if (sqlite3_step(st) == SQLITE_ROW)
			printf("    %s rows %lld: avg %.0f + %.0f bytes (%s)\n",
			       (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
			       sqlite3_column_double(st, 2), sqlite3_column_double(st, 3),
			       i == 0 ? "token ids + values" : "histograms + extra JSON");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static const char *bi_verdict(double v, double bar)
{
	return v <= bar ? "meets" : "MISSES";
}

int main(int argc, char **argv)
{
	int force = 0, argi = 1;
	if (argi < argc && strcmp(argv[argi], "--force") == 0) {
		force = 1;
		argi++;
	}
	if (argc - argi != 2 || argv[argi][0] == '-') {
		fprintf(stderr, "usage: bench_import [--force] EXPORT_DIR DB_PATH\n");
		return 1;
	}
	char *dir = argv[argi];
	const char *db_path = argv[argi + 1];
	if (bi_size(db_path, "") >= 0) {
		if (!force) {
			fprintf(stderr, "bench_import: %s exists: remove it or pass --force\n", db_path);
			return 1;
		}
		static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < SAEX_ARRAY_LEN(sfx); i++) {
			char *p = xasprintf("%s%s", db_path, sfx[i]);
			if (unlink(p) != 0 && errno != ENOENT) {
				fprintf(stderr, "bench_import: %s: %s\n", p, strerror(errno));
				return 2;
			}
			free(p);
		}
	}

	bi_files f = {0};
	bi_walk(&f, dir, 6);
	if (f.n == 0) {
		fprintf(stderr, "bench_import: no .jsonl or .jsonl.gz files below %s\n", dir);
		return 1;
	}
	qsort(f.path, f.n, sizeof *f.path, bi_cmp);
	int64_t export_bytes = f.gz_bytes + f.plain_bytes;
	printf("export %s: %zu files, %.1f MB (%.1f MB .jsonl.gz + %.3f MB .jsonl)\n", dir, f.n,
	       (double)export_bytes / 1e6, (double)f.gz_bytes / 1e6, (double)f.plain_bytes / 1e6);
	fflush(stdout);

	/* (a) baseline */
	bi_base b = {0};
	if (bi_baseline(&f, &b))
		return 2;
	printf("baseline (gunzip + json_loadb, nothing stored): %.2f s wall, %.2f s CPU, "
	       "%ld lines (%ld unparsable), %.1f MB of JSON, %.0f lines/s\n",
	       b.wall, b.cpu, b.lines, b.bad, (double)b.json_bytes / 1e6,
	       b.wall > 0 ? (double)b.lines / b.wall : 0);
	fflush(stdout);

	/* (b) import */
	saex_err e = {{0}, 0};
	store *s;
	double w0 = bi_wall(), c0 = bi_cpu();
	if (store_open(&s, db_path, STORE_WRITE, &e)) {
		fprintf(stderr, "bench_import: %s\n", e.msg);
		return 2;
	}
	import_opts o;
	memset(&o, 0, sizeof o);
	o.kind = IMP_AUTO;
	o.log = stderr;
	import_stats st;
	int rc = import_paths(s, &dir, 1, &o, &st, &e);
	double w1 = bi_wall();
	store_close(s);
	double w2 = bi_wall(), c2 = bi_cpu();
	if (rc) {
		fprintf(stderr, "bench_import: import failed: %s\n", e.msg);
		return 2;
	}
	double imp = w2 - w0;
	long rows = st.features + st.activations + st.explanations + st.catalog;
	printf("import (store_open + import_paths + store_close): %.2f s wall "
	       "(import_paths %.2f s, close/checkpoint %.2f s), %.2f s CPU\n",
	       imp, w1 - w0, w2 - w1, c2 - c0);
	printf("  %ld files, %ld lines, %ld bad lines; rows added: %ld features, %ld activations, "
	       "%ld explanations, %ld catalog; %ld unchanged\n",
	       st.files, st.lines, st.bad_lines, st.features, st.activations, st.explanations,
	       st.catalog, st.unchanged);
	printf("  %.0f rows/s, %.1f MB/s of export, %.1f MB/s of JSON\n", (double)rows / imp,
	       (double)export_bytes / 1e6 / imp, (double)b.json_bytes / 1e6 / imp);
	if (st.bad_lines || st.lines != b.lines + b.bad)
		printf("  WARNING: the importer read %ld lines (%ld bad), the baseline %ld\n", st.lines,
		       st.bad_lines, b.lines + b.bad);

	int64_t main_sz = bi_size(db_path, ""), wal = bi_size(db_path, "-wal");
	int64_t shm = bi_size(db_path, "-shm");
	int64_t db_sz = main_sz + (wal > 0 ? wal : 0);
	double r_imp = b.wall > 0 ? imp / b.wall : 0;
	double r_cpu = b.cpu > 0 ? (c2 - c0) / b.cpu : 0;
	double r_sz = (double)db_sz / (double)export_bytes;
	printf("database %s: %.1f MB main file + %.1f MB -wal = %.1f MB%s\n", db_path,
	       (double)main_sz / 1e6, wal > 0 ? (double)wal / 1e6 : 0.0, (double)db_sz / 1e6,
	       wal >= 0 || shm >= 0 ? " (-wal/-shm files were left after close)" : "");
	bi_breakdown(db_path, main_sz);
	printf("\nratio import/baseline: %.2f wall (%.2f CPU)  bar <= %.1f: %s\n", r_imp, r_cpu,
	       BI_IMPORT_BAR, bi_verdict(r_imp, BI_IMPORT_BAR));
	printf("ratio db/gz:           %.2f  (%.1f MB / %.1f MB)  bar <= %.1f: %s\n", r_sz,
	       (double)db_sz / 1e6, (double)export_bytes / 1e6, BI_SIZE_BAR,
	       bi_verdict(r_sz, BI_SIZE_BAR));
	printf("RESULT baseline_s=%.3f import_s=%.3f import_ratio=%.3f db_bytes=%lld gz_bytes=%lld "
	       "size_ratio=%.3f rows=%ld rows_per_s=%.0f bad_lines=%ld\n",
	       b.wall, imp, r_imp, (long long)db_sz, (long long)export_bytes, r_sz, rows,
	       (double)rows / imp, st.bad_lines);
	for (size_t i = 0; i < f.n; i++)
		free(f.path[i]);
	free(f.path);
	return 0;
}
