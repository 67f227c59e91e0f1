/* bench_query.c - latency of `saex show` and `saex search` work, in process,
 * on a large database.
 *
 * usage: bench_query [options] DB_PATH
 *
 * Contract: opens DB_PATH read-only (store_open STORE_READ, as saex show
 * does) and times with CLOCK_MONOTONIC, each sample on its own:
 *   show text  store_feature_get (--examples, saex show's default 5) +
 *              show_text into an sb, for random feature ids;
 *   show json  store_feature_get (all examples, as saex show --json) +
 *              show_json + json_dumps;
 *   cold show  store_open + the text path + store_close, which is what one
 *              `saex show` process does besides exec and printing;
 *   search     store_search (limit 20, saex search's default) with 1-3 word
 *              queries made of words of ~3000 of the database's own
 *              explanations, read evenly spread with store_each_explanation
 *              (common words included; store_search matches the last word
 *              as a prefix, as a user typing does).
 * Feature ids are drawn uniformly over all features: a source in proportion
 * to its feature count, then an index below that count (so it assumes dense
 * indices 0..n-1, as gen_export writes; misses are counted). It prints
 * p50/p90/p99/max in ms and the bars (show p99 <= 5 ms, search p99 <= 20 ms),
 * then "RESULT k=v ..." for scripts. The database file is read through once
 * first, so the numbers are for a warm page cache (--no-prewarm skips it).
 *
 * --build EXPORT_DIR imports EXPORT_DIR into DB_PATH first (import_paths, as
 * saex import) when DB_PATH does not exist yet.
 *
 * Exit status: 0 measured, 1 usage, 2 failure. */
#include "config.h"
#include "cli.h"
#include "import.h"
#include "show.h"
#include "store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BQ_SHOW_BAR_MS 5.0
#define BQ_SEARCH_BAR_MS 20.0
#define BQ_COMMON 20    /* the most frequent explanation words */

static double bq_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* splitmix64: small, seeded, good enough for sampling. */
static uint64_t bq_rand(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t bq_below(uint64_t *x, uint64_t n)
{
	return n ? bq_rand(x) % n : 0;
}

static int bq_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double bq_pct(const double *v, size_t n, double q)
{
	if (n == 0)
		return NAN;
	size_t k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

typedef struct bq_stats {
	const char *name;
	double *ms;
	size_t n, cap;
} bq_stats;

static void bq_add(bq_stats *s, double ms)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->ms = xrealloc(s->ms, s->cap * sizeof *s->ms);
	}
	s->ms[s->n++] = ms;
}

/* Prints one line of percentiles; returns p99. */
static double bq_report(bq_stats *s, double bar)
{
	qsort(s->ms, s->n, sizeof *s->ms, bq_cmp_double);
	double sum = 0;
	for (size_t i = 0; i < s->n; i++)
		sum += s->ms[i];
	double p99 = bq_pct(s->ms, s->n, 0.99);
	printf("  %-30s n=%-5zu mean %7.3f  p50 %7.3f  p90 %7.3f  p99 %7.3f  max %8.3f ms", s->name,
	       s->n, s->n ? sum / (double)s->n : NAN, bq_pct(s->ms, s->n, 0.5),
	       bq_pct(s->ms, s->n, 0.9), p99, s->n ? s->ms[s->n - 1] : NAN);
	if (bar > 0)
		printf("  (p99 bar <= %g ms: %s)", bar, p99 <= bar ? "meets" : "MISSES");
	putchar('\n');
	return p99;
}

typedef struct bq_src {
	saex_fid names;
	int64_t n_features;
} bq_src;

/* Draws a feature id uniformly over all features. */
static void bq_pick(const bq_src *src, size_t n_src, int64_t total, uint64_t *rng, saex_fid *id)
{
	int64_t k = (int64_t)bq_below(rng, (uint64_t)total);
	for (size_t i = 0; i < n_src; i++) {
		if (k < src[i].n_features || i + 1 == n_src) {
			*id = src[i].names;
			id->index = k;
			return;
		}
		k -= src[i].n_features;
	}
}

/* ---------------------------------------------------------------- queries */

typedef struct bq_word {
	char *w;
	long count;
} bq_word;

typedef struct bq_vocab {
	bq_word *v;
	size_t n, cap;
	char **occ;       /* one entry per occurrence: draws by frequency */
	size_t n_occ, cap_occ;
} bq_vocab;

static int bq_cmp_word(const void *a, const void *b)
{
	const bq_word *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->w, y->w);
}

static void bq_vocab_add(bq_vocab *v, const char *w, size_t n)
{
	char *s = xstrndup(w, n);
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t i;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].w, s) == 0)
			break;
	if (i == v->n) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 256;
			v->v = xrealloc(v->v, v->cap * sizeof *v->v);
		}
		v->v[v->n].w = s;
		v->v[v->n++].count = 0;
	} else {
		free(s);
	}
	v->v[i].count++;
	if (v->n_occ == v->cap_occ) {
		v->cap_occ = v->cap_occ ? v->cap_occ * 2 : 1024;
		v->occ = xrealloc(v->occ, v->cap_occ * sizeof *v->occ);
	}
	v->occ[v->n_occ++] = (char *)(uintptr_t)i; /* index now, pointer later */
}

typedef struct bq_walk {
	bq_vocab *v;
	long every, i;
} bq_walk;

static int bq_walk_expl(void *ctx, int64_t index, const store_expl *x)
{
	bq_walk *w = ctx;
	(void)index;
	if (w->i++ % w->every != 0 || !x->description)
		return 0;
	const char *d = x->description;
	while (*d) {
		while (*d && !isalnum((unsigned char)*d))
			d++;
		const char *s = d;
		while (*d && isalnum((unsigned char)*d))
			d++;
		if (d > s)
			bq_vocab_add(w->v, s, (size_t)(d - s));
	}
	return 0;
}

/* Words of about `samples` explanations spread evenly over the database,
 * read through the store's export iterator (not part of what is timed). */
static int bq_sample_words(store *s, const bq_src *src, size_t n_src, int64_t n_expl,
                           size_t samples, bq_vocab *v)
{
	bq_walk w = {v, n_expl > (int64_t)samples ? (long)(n_expl / (int64_t)samples) : 1, 0};
	for (size_t i = 0; i < n_src; i++) {
		char spec[2 * SAEX_ID_MAX + 2];
		snprintf(spec, sizeof spec, "%s/%s", src[i].names.model, src[i].names.source);
		int64_t sid;
		saex_fid names;
		saex_err e = {{0}, 0};
		if (store_source_find(s, spec, &sid, &names, &e) ||
		    store_each_explanation(s, sid, bq_walk_expl, &w, &e)) {
			fprintf(stderr, "bench_query: %s\n", e.msg);
			return 2;
		}
	}
	/* Sort by frequency; occurrences then point at the words. */
	char **word_of = xmalloc((v->n + 1) * sizeof *word_of);
	for (size_t i = 0; i < v->n; i++)
		word_of[i] = v->v[i].w;
	for (size_t i = 0; i < v->n_occ; i++)
		v->occ[i] = word_of[(uintptr_t)v->occ[i]];
	free(word_of);
	qsort(v->v, v->n, sizeof *v->v, bq_cmp_word);
	return 0;
}

/* A query of 1-3 words: a tenth are one of the 5 most common words alone;
 * otherwise each word is a common one (1/4), one drawn by frequency (1/2)
 * or any word seen (1/4). *common is set when a top-20 word is in it. */
static void bq_query(const bq_vocab *v, uint64_t *rng, sb *q, int *common)
{
	sb_clear(q);
	*common = 0;
	size_t top = v->n < BQ_COMMON ? v->n : BQ_COMMON;
	if (bq_below(rng, 10) == 0) {
		sb_adds(q, v->v[bq_below(rng, top < 5 ? top : 5)].w);
		*common = 1;
		return;
	}
	int nw = 1 + (int)bq_below(rng, 3);
	for (int i = 0; i < nw; i++) {
		uint64_t how = bq_below(rng, 4);
		const char *w;
		if (how == 0) {
			w = v->v[bq_below(rng, top)].w;
		} else if (how <= 2) {
			w = v->occ[bq_below(rng, v->n_occ)];
		} else {
			w = v->v[bq_below(rng, v->n)].w;
		}
		for (size_t k = 0; k < top; k++)
			if (strcmp(v->v[k].w, w) == 0)
				*common = 1;
		if (i)
			sb_addc(q, ' ');
		sb_adds(q, w);
	}
}

typedef struct bq_slow {
	double ms;
	size_t hits;
	char *q;
} bq_slow;

static void bq_keep_slow(bq_slow *slow, size_t n, double ms, size_t hits, const char *q)
{
	size_t min = 0;
	for (size_t i = 1; i < n; i++)
		if (slow[i].ms < slow[min].ms)
			min = i;
	if (ms <= slow[min].ms)
		return;
	free(slow[min].q);
	slow[min].ms = ms;
	slow[min].hits = hits;
	slow[min].q = xstrdup(q);
}

static int bq_cmp_slow(const void *a, const void *b)
{
	const bq_slow *x = a, *y = b;
	return x->ms > y->ms ? -1 : x->ms < y->ms;
}

/* ---------------------------------------------------------------- main */

static int bq_build(const char *db_path, char *export_dir)
{
	struct stat sbuf;
	if (stat(db_path, &sbuf) == 0) {
		printf("build: %s exists, reused\n", db_path);
		return 0;
	}
	printf("build: importing %s into %s ...\n", export_dir, db_path);
	fflush(stdout);
	saex_err e = {{0}, 0};
	store *s;
	double t0 = bq_now();
	if (store_open(&s, db_path, STORE_WRITE, &e)) {
		fprintf(stderr, "bench_query: %s\n", e.msg);
		return 2;
	}
	import_opts o;
	memset(&o, 0, sizeof o);
	o.kind = IMP_AUTO;
	o.log = stderr;
	import_stats st;
	int rc = import_paths(s, &export_dir, 1, &o, &st, &e);
	store_close(s);
	if (rc) {
		fprintf(stderr, "bench_query: import failed: %s\n", e.msg);
		return 2;
	}
	printf("build: %.1f s: %ld lines, %ld bad, %ld features, %ld activations, %ld explanations\n",
	       bq_now() - t0, st.lines, st.bad_lines, st.features, st.activations, st.explanations);
	return 0;
}

/* Reads the file once so the measurements see a warm page cache. */
static void bq_prewarm(const char *path)
{
	double t0 = bq_now();
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	static char buf[1 << 20];
	int64_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += n;
	close(fd);
	printf("prewarm: read %.1f MB in %.1f s\n", (double)total / 1e6, bq_now() - t0);
}

static void bq_usage(FILE *f)
{
	fputs("usage: bench_query [options] DB_PATH\n"
	      "  --build EXPORT_DIR  import EXPORT_DIR into DB_PATH first if DB_PATH is absent\n"
	      "  --show N            show samples, text and JSON each (2000)\n"
	      "  --cold N            open+show+close samples (50)\n"
	      "  --search N          search samples (1000)\n"
	      "  --examples N        examples read for the text view (5)\n"
	      "  --limit N           search results (20)\n"
	      "  --seed S            sampling seed (1)\n"
	      "  --no-prewarm        do not read the database file through first\n"
	      "  --note TEXT         a line to print with the results\n",
	      f);
}

static long bq_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "bench_query: %s wants a number in %ld..%ld, not '%s'\n", opt, lo, hi,
		        s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"build", required_argument, NULL, 'b'}, {"show", required_argument, NULL, 's'},
		{"cold", required_argument, NULL, 'c'}, {"search", required_argument, NULL, 'q'},
		{"examples", required_argument, NULL, 'e'}, {"limit", required_argument, NULL, 'l'},
		{"seed", required_argument, NULL, 'x'}, {"no-prewarm", no_argument, NULL, 'n'},
		{"note", required_argument, NULL, 'N'}, {"help", no_argument, NULL, 'h'}, {0}};
	char *build = NULL;
	const char *note = NULL;
	long n_show = 2000, n_cold = 50, n_search = 1000, examples = 5, limit = 20;
	uint64_t rng = 1;
	int prewarm = 1, ch;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'b': build = optarg; break;
		case 's': n_show = bq_num("--show", optarg, 0, 10000000); break;
		case 'c': n_cold = bq_num("--cold", optarg, 0, 100000); break;
		case 'q': n_search = bq_num("--search", optarg, 0, 10000000); break;
		case 'e': examples = bq_num("--examples", optarg, 0, 1000000); break;
		case 'l': limit = bq_num("--limit", optarg, 1, 100000); break;
		case 'x': rng = (uint64_t)bq_num("--seed", optarg, 0, LONG_MAX); break;
		case 'n': prewarm = 0; break;
		case 'N': note = optarg; break;
		case 'h': bq_usage(stdout); return 0;
		default: bq_usage(stderr); return 1;
		}
	}
	if (argc - optind != 1) {
		bq_usage(stderr);
		return 1;
	}
	const char *db_path = argv[optind];
	if (build && bq_build(db_path, build))
		return 2;
	struct stat sbuf;
	if (stat(db_path, &sbuf) != 0) {
		fprintf(stderr, "bench_query: %s: %s\n", db_path, strerror(errno));
		return 2;
	}
	if (prewarm)
		bq_prewarm(db_path);

	saex_err e = {{0}, 0};
	store *s;
	if (store_open(&s, db_path, STORE_READ, &e)) {
		fprintf(stderr, "bench_query: %s\n", e.msg);
		return 2;
	}
	arena a = {0};
	store_cat_row *rows;
	size_t n_rows;
	if (store_catalog(s, &a, &rows, &n_rows, &e)) {
		fprintf(stderr, "bench_query: %s\n", e.msg);
		return 2;
	}
	bq_src *src = xcalloc(n_rows + 1, sizeof *src);
	size_t n_src = 0;
	int64_t total = 0, acts = 0, expls = 0;
	for (size_t i = 0; i < n_rows; i++) {
		acts += rows[i].n_activations;
		expls += rows[i].n_explanations;
		if (rows[i].n_features <= 0)
			continue;
		snprintf(src[n_src].names.model, sizeof src[n_src].names.model, "%s", rows[i].model);
		snprintf(src[n_src].names.source, sizeof src[n_src].names.source, "%s", rows[i].source);
		src[n_src].n_features = rows[i].n_features;
		total += rows[i].n_features;
		n_src++;
	}
	arena_free(&a);
	if (total == 0) {
		fprintf(stderr, "bench_query: %s holds no features\n", db_path);
		return 2;
	}
	printf("database %s: %.1f MB, %zu sources, %lld features, %lld activations "
	       "(%.1f per feature), %lld explanations\n",
	       db_path, (double)sbuf.st_size / 1e6, n_src, (long long)total, (long long)acts,
	       (double)acts / (double)total, (long long)expls);
	if (total < 1000000)
		printf("NOTE: %lld features, fewer than the 1,000,000 the bars are set for\n",
		       (long long)total);
	if (note)
		printf("NOTE: %s\n", note);
	fflush(stdout);

	cli_style cs = {1, 1, 1, 1, 100}; /* a 256-colour UTF-8 terminal */
	show_opts so = {(size_t)examples, 12, 0};
	sb out = {0};
	store_feature f;
	saex_fid id;
	long missing = 0;
	double bytes_text = 0, bytes_json = 0;

	/* The first read loads the model's token strings: timed on its own. */
	bq_pick(src, n_src, total, &rng, &id);
	double t0 = bq_now();
	int rc = store_feature_get(s, &id, (size_t)examples, &a, &f, &e);
	double first_ms = (bq_now() - t0) * 1e3;
	arena_free(&a);
	if (rc && rc != STORE_NOTFOUND) {
		fprintf(stderr, "bench_query: %s\n", e.msg);
		return 2;
	}

	bq_stats get = {"show text: store_feature_get", NULL, 0, 0};
	bq_stats text = {"show text: get + show_text", NULL, 0, 0};
	for (long i = 0; i < n_show; i++) {
		bq_pick(src, n_src, total, &rng, &id);
		sb_clear(&out);
		t0 = bq_now();
		rc = store_feature_get(s, &id, (size_t)examples, &a, &f, &e);
		double t1 = bq_now();
		if (rc == 0)
			show_text(&out, &f, &so, &cs);
		double t2 = bq_now();
		arena_free(&a);
		if (rc == STORE_NOTFOUND) {
			missing++;
			continue;
		}
		if (rc) {
			fprintf(stderr, "bench_query: %s\n", e.msg);
			return 2;
		}
		bq_add(&get, (t1 - t0) * 1e3);
		bq_add(&text, (t2 - t0) * 1e3);
		bytes_text += (double)out.n;
	}
	bq_stats js = {"show json: get + show_json + dumps", NULL, 0, 0};
	for (long i = 0; i < n_show; i++) {
		bq_pick(src, n_src, total, &rng, &id);
		t0 = bq_now();
		rc = store_feature_get(s, &id, 0, &a, &f, &e);
		char *d = NULL;
		if (rc == 0) {
			json_t *j = show_json(&f);
			d = json_dumps(j, JSON_REAL_PRECISION(9) | JSON_COMPACT);
			json_decref(j);
		}
		double t1 = bq_now();
		arena_free(&a);
		if (rc == STORE_NOTFOUND) {
			missing++;
			continue;
		}
		if (rc || !d) {
			fprintf(stderr, "bench_query: %s\n", rc ? e.msg : "json_dumps failed");
			return 2;
		}
		bytes_json += (double)strlen(d);
		free(d);
		bq_add(&js, (t1 - t0) * 1e3);
	}
	bq_stats cold = {"cold: open + get + text + close", NULL, 0, 0};
	for (long i = 0; i < n_cold; i++) {
		bq_pick(src, n_src, total, &rng, &id);
		sb_clear(&out);
		t0 = bq_now();
		store *s2;
		if (store_open(&s2, db_path, STORE_READ, &e)) {
			fprintf(stderr, "bench_query: %s\n", e.msg);
			return 2;
		}
		rc = store_feature_get(s2, &id, (size_t)examples, &a, &f, &e);
		if (rc == 0)
			show_text(&out, &f, &so, &cs);
		arena_free(&a);
		store_close(s2);
		double t1 = bq_now();
		if (rc == 0)
			bq_add(&cold, (t1 - t0) * 1e3);
		else
			missing++;
	}

	/* Search. */
	bq_vocab v = {0};
	if (n_search > 0 && bq_sample_words(s, src, n_src, expls, 3000, &v))
		return 2;
	bq_stats srch = {"search: all queries", NULL, 0, 0};
	bq_stats srch_c = {"search: with a top-20 word", NULL, 0, 0};
	bq_stats srch_r = {"search: without one", NULL, 0, 0};
	bq_slow slow[5];
	memset(slow, 0, sizeof slow);
	sb q = {0};
	double hits_total = 0;
	long no_hits = 0, failed = 0;
	for (long i = 0; v.n && i < n_search; i++) {
		int common;
		bq_query(&v, &rng, &q, &common);
		store_hit *hits;
		size_t nh = 0;
		t0 = bq_now();
		rc = store_search(s, q.p, NULL, NULL, (size_t)limit, &a, &hits, &nh, &e);
		double ms = (bq_now() - t0) * 1e3;
		arena_free(&a);
		if (rc) {
			failed++;
			continue;
		}
		bq_add(&srch, ms);
		bq_add(common ? &srch_c : &srch_r, ms);
		hits_total += (double)nh;
		no_hits += nh == 0;
		bq_keep_slow(slow, SAEX_ARRAY_LEN(slow), ms, nh, q.p);
	}

	printf("\nfirst show after open (loads the token table): %.2f ms\n", first_ms);
	printf("show: %ld ids not found; text view %.0f bytes, JSON %.0f bytes on average\n",
	       missing, get.n ? bytes_text / (double)get.n : 0, js.n ? bytes_json / (double)js.n : 0);
	bq_report(&get, 0);
	double p99_text = bq_report(&text, BQ_SHOW_BAR_MS);
	double p99_json = bq_report(&js, BQ_SHOW_BAR_MS);
	double p99_cold = bq_report(&cold, 0);
	printf("search: %zu distinct words in about 3000 explanations; top words:", v.n);
	for (size_t i = 0; i < v.n && i < 8; i++)
		printf(" %s", v.v[i].w);
	printf("\n        %.1f hits per query on average (limit %ld), %ld with none, %ld failed\n",
	       srch.n ? hits_total / (double)srch.n : 0, limit, no_hits, failed);
	double p99_search = bq_report(&srch, BQ_SEARCH_BAR_MS);
	bq_report(&srch_c, 0);
	bq_report(&srch_r, 0);
	qsort(slow, SAEX_ARRAY_LEN(slow), sizeof *slow, bq_cmp_slow);
	printf("  slowest queries:");
	for (size_t i = 0; i < SAEX_ARRAY_LEN(slow); i++)
		if (slow[i].q)
			printf("%s \"%s\" %.1f ms (%zu hits)", i ? "," : "", slow[i].q, slow[i].ms,
			       slow[i].hits);
	putchar('\n');
	printf("RESULT features=%lld acts_per_feature=%.2f show_text_p99_ms=%.3f "
	       "show_json_p99_ms=%.3f cold_show_p99_ms=%.3f search_p99_ms=%.3f\n",
	       (long long)total, (double)acts / (double)total, p99_text, p99_json, p99_cold,
	       p99_search);
	store_close(s);
	sb_free(&out);
	sb_free(&q);
	for (size_t i = 0; i < SAEX_ARRAY_LEN(slow); i++)
		free(slow[i].q);
	for (size_t i = 0; i < v.n; i++)
		free(v.v[i].w);
	free(v.v);
	free(v.occ);
	free(get.ms);
	free(text.ms);
	free(js.ms);
	free(cold.ms);
	free(srch.ms);
	free(srch_c.ms);
	free(srch_r.ms);
	free(src);
	return 0;
}
