/* gen_export.c - writes a synthetic Neuronpedia export for the benchmarks.
 *
 * Contract: for the same options the output is byte-for-byte the same
 * (seeded xoshiro256** streams, one per source, feature and row kind, so
 * neither --jobs nor the batch order changes a byte). The layout is the one of
 * FORMATS.md §1:
 *
 *   OUT/<model>/<source>/{model,release,sourceset,source}.jsonl   plain, one row
 *   OUT/<model>/<source>/features/batch-N.jsonl.gz       1024 features per batch
 *   OUT/<model>/<source>/activations/batch-N.jsonl.gz    K lines per feature
 *   OUT/<model>/<source>/explanations/batch-N.jsonl.gz   0..2 lines per feature
 *
 * Order: by default the indices are sorted as text ("0","1","10","100",...),
 * as Neuronpedia's database exports are, so a batch is not a contiguous range;
 * --order numeric writes contiguous batches instead. Batch N of activations and
 * explanations holds the rows of the same 1024 features as batch N of features.
 *
 * Rows carry the keys of the real sample rows (fixtures/neuronpedia) in the
 * same order: `index` as a string, 50-bin histograms, 10 logit tokens each
 * way, neuron alignment and correlation arrays, empty vector fields. The
 * activation tokens are GPT-2-style strings (literal leading spaces, "\n")
 * from a synthetic vocabulary of 50,257 pieces. Each example is one of
 * --prompts fixed prompts of --tokens tokens (Neuronpedia also draws its
 * examples from a fixed dataset), generated from a Zipf unigram model mixed
 * with a Zipf-drawn table of repeated phrases, so the text compresses roughly
 * like real text (an approximation: it has no grammar). Values are 0 except a
 * few runs (5-15 % of tokens), 3 decimals; the first examples of a feature
 * are its "top activations" group (binMin -1), the rest sit in 5 equal-width
 * quantile intervals of [0, maxActApprox], top interval first.
 *
 * Compression: zlib level 6 by default (--level), the default of zlib, gzip(1)
 * and Node's zlib; note that Python's gzip module defaults to level 9.
 *
 * Exit status: 0 done, 1 usage error, 2 I/O error. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define GX_BATCH 1024
#define GX_VOCAB 50257
#define GX_PHRASES 4096
#define GX_EXPL_WORDS 20000
#define GX_QUANTILES 5
/* Bumped whenever the same options would write different data. */
#define GX_DATA_VERSION 2

/* ---------------------------------------------------------------- errors */

static void gx_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void gx_die(const char *fmt, ...)
{
	va_list ap;
	fputs("gen_export: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *gx_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		gx_die("out of memory");
	return p;
}

/* ---------------------------------------------------------------- buffers */

typedef struct gx_buf {
	char *p;
	size_t n, cap;
} gx_buf;

static void gx_reserve(gx_buf *b, size_t extra)
{
	if (b->n + extra <= b->cap)
		return;
	size_t c = b->cap ? b->cap : 4096;
	while (c < b->n + extra)
		c *= 2;
	b->p = realloc(b->p, c);
	if (!b->p)
		gx_die("out of memory");
	b->cap = c;
}

static void gx_put(gx_buf *b, const char *s, size_t n)
{
	gx_reserve(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void gx_puts(gx_buf *b, const char *s)
{
	gx_put(b, s, strlen(s));
}

static void gx_putc(gx_buf *b, char c)
{
	gx_reserve(b, 1);
	b->p[b->n++] = c;
}

static void gx_putu(gx_buf *b, uint64_t v)
{
	char tmp[24];
	int i = 24;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	gx_put(b, tmp + i, (size_t)(24 - i));
}

static void gx_puti(gx_buf *b, int64_t v)
{
	if (v < 0) {
		gx_putc(b, '-');
		gx_putu(b, (uint64_t)0 - (uint64_t)v);
	} else {
		gx_putu(b, (uint64_t)v);
	}
}

/* A value in thousandths as the shortest decimal (88302 -> 88.302, 21070 ->
 * 21.07, 0 -> 0), which is what Python's json writes for 3-decimal floats. */
static void gx_milli(gx_buf *b, int64_t m)
{
	if (m < 0) {
		gx_putc(b, '-');
		m = -m;
	}
	gx_putu(b, (uint64_t)(m / 1000));
	int frac = (int)(m % 1000);
	if (frac == 0)
		return;
	char d[4] = {(char)('0' + frac / 100), (char)('0' + frac / 10 % 10), (char)('0' + frac % 10),
	             0};
	size_t n = 3;
	while (d[n - 1] == '0')
		n--;
	gx_putc(b, '.');
	gx_put(b, d, n);
}

static void gx_putg(gx_buf *b, double v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof tmp, "%.6g", v);
	gx_put(b, tmp, (size_t)n);
}

/* Appends s as a JSON string with its quotes. */
static void gx_json_str(gx_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	gx_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			gx_putc(b, '\\');
			gx_putc(b, (char)c);
		} else if (c == '\n') {
			gx_put(b, "\\n", 2);
		} else if (c == '\t') {
			gx_put(b, "\\t", 2);
		} else if (c < 0x20) {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			gx_put(b, u, 6);
		} else {
			gx_putc(b, (char)c);
		}
	}
	gx_putc(b, '"');
}

/* "key": */
static void gx_key(gx_buf *b, const char *k)
{
	gx_putc(b, '"');
	gx_puts(b, k);
	gx_put(b, "\":", 2);
}

/* ---------------------------------------------------------------- random */

typedef struct gx_rng {
	uint64_t s[4];
} gx_rng;

static uint64_t gx_splitmix(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

enum { GX_S_PARAMS = 1, GX_S_FEATURE, GX_S_ACTS, GX_S_EXPL, GX_S_VOCAB, GX_S_CORPUS, GX_S_META };

/* One independent stream per (seed, source, feature, kind). */
static void gx_seed(gx_rng *r, uint64_t seed, uint64_t src, uint64_t idx, uint64_t kind)
{
	uint64_t x = seed;
	x ^= gx_splitmix(&x) + src * UINT64_C(0x2545f4914f6cdd1d);
	x ^= gx_splitmix(&x) + idx * UINT64_C(0x9e3779b97f4a7c15);
	x ^= gx_splitmix(&x) + kind * UINT64_C(0xd6e8feb86659fd93);
	for (int i = 0; i < 4; i++)
		r->s[i] = gx_splitmix(&x);
}

static uint64_t gx_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t gx_next(gx_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = gx_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gx_rotl(s[3], 45);
	return res;
}

static double gx_unit(gx_rng *r)
{
	return (double)(gx_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static uint32_t gx_below(gx_rng *r, uint32_t n)
{
	return (uint32_t)(((gx_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double gx_normal(gx_rng *r)
{
	double u = gx_unit(r), v = gx_unit(r);
	return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* Zipf over ranks 0..n-1: p(r) ~ 1 / (r + q)^s, drawn by binary search. */
typedef struct gx_zipf {
	double *cdf;
	uint32_t n;
} gx_zipf;

static void gx_zipf_init(gx_zipf *z, uint32_t n, double s, double q)
{
	z->n = n;
	z->cdf = gx_alloc(n * sizeof *z->cdf);
	double acc = 0;
	for (uint32_t i = 0; i < n; i++) {
		acc += 1.0 / pow(i + q, s);
		z->cdf[i] = acc;
	}
	for (uint32_t i = 0; i < n; i++)
		z->cdf[i] /= acc;
}

static uint32_t gx_zipf_draw(const gx_zipf *z, gx_rng *r)
{
	double u = gx_unit(r);
	uint32_t lo = 0, hi = z->n - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---------------------------------------------------------------- words */

/* The most frequent GPT-2 pieces, most frequent first (approximately). */
static const char *const gx_common_tokens[] = {
	",", " the", ".", " and", " of", " to", " a", " in", "\n", " is", " that", " for",
	"-", " it", " with", " as", " was", " on", "'s", " be", " I", " at", " by", "\"",
	" this", " he", " are", " have", " from", " or", " his", " an", " not", " they",
	"\n\n", " you", " but", " ", ":", " The", " ( ", " we", " has", " which", " their",
	" will", " were", " been", " said", " one", " can", " all", " her", " would", " more",
	"'", " she", " there", " (", ")", " who", " if", " about", " up", " so", " when",
	" what", " out", " also", " new", " It", " like", " time", " other", " some", "s",
	" into", " than", " just", " its", " no", " over", " after", " first", " my", " two",
	" people", " do", " me", " any", " could", " our", " years", ";", " -", "?", "!",
	" In", " A", " He", " This", " We", "1", "2", "0", " 2", " 1", " \"", "ing", "ed",
	"ly", "er", " year", " said.", " state", " world", " government", " company",
};

static const char gx_cons[] = "bcdfghjklmnprstvwz";
static const char gx_vows[] = "aeiou";
#define GX_NSYL ((sizeof gx_cons - 1) * (sizeof gx_vows - 1))

/* A pseudo-word for number k: base-90 digits as consonant-vowel syllables,
 * at least min_syl of them; distinct k give distinct words. */
static size_t gx_pseudo(char *out, uint32_t k, int min_syl, int capital)
{
	char tmp[32];
	int n = 0;
	do {
		uint32_t d = k % GX_NSYL;
		k /= GX_NSYL;
		tmp[n++] = gx_vows[d % (sizeof gx_vows - 1)];
		tmp[n++] = gx_cons[d / (sizeof gx_vows - 1)];
		min_syl--;
	} while (k || min_syl > 0);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	if (capital)
		out[0] = (char)(out[0] - 'a' + 'A');
	return (size_t)n;
}

static const char *const gx_common_words[] = {
	"the", "of", "to", "and", "references", "words", "related", "in", "a", "phrases",
	"mentions", "terms", "with", "text", "for", "token", "names", "specific", "contexts",
	"about", "word", "code", "numbers", "or", "the word", "on", "programming", "after",
	"within", "technical", "various", "legal", "medical", "sports", "music", "food",
	"financial", "political", "historical", "scientific", "mathematical", "time", "dates",
	"years", "people", "places", "locations", "events", "actions", "descriptions",
	"punctuation", "quotes", "lists", "questions", "sentences", "beginning", "end",
	"verbs", "nouns", "adjectives", "plural", "capitalized", "letters", "characters",
	"html", "urls", "file", "paths", "javascript", "python", "functions", "variables",
	"emotions", "negative", "positive", "government", "business", "health", "games",
	"family", "children", "animals", "weather", "travel", "religion", "education",
	"science", "data", "web", "online", "products", "companies", "countries", "cities",
	"body", "parts", "colors", "measurements", "units", "quantities", "comparisons",
	"conditions", "instructions", "references to", "related to", "associated", "common",
	"formal", "informal", "language", "english", "german", "french", "spanish", "latin",
};

/* ---------------------------------------------------------------- options */

typedef struct gx_opts {
	const char *out, *model, *source;
	long features, acts, tokens, prompts, sources, jobs, embedding, topk_cos;
	int level, numeric;
	uint64_t seed;
} gx_opts;

typedef struct gx_ctx {
	gx_opts o;
	char *vocab_json[GX_VOCAB];     /* each token as a quoted JSON string */
	uint8_t vocab_len[GX_VOCAB];
	char *ew[GX_EXPL_WORDS];        /* explanation words */
	size_t n_ew;
	gx_zipf ezipf;
	uint32_t *corpus;               /* prompts x tokens token ids */
	uint32_t *order;                /* feature indices in file order */
	char **src_names;
	char *set_name;
	char creator[26], author[26];
	int32_t *vals;                  /* scratch: one example's values */
} gx_ctx;

/* ---------------------------------------------------------------- setup */

static void gx_vocab_add(gx_ctx *c, uint32_t i, const char *s, size_t n)
{
	gx_buf b = {0};
	gx_json_str(&b, s, n);
	c->vocab_json[i] = b.p;
	c->vocab_len[i] = (uint8_t)b.n;
}

static void gx_build_vocab(gx_ctx *c)
{
	uint32_t n = 0, cnt[4] = {0};
	for (size_t i = 0; i < sizeof gx_common_tokens / sizeof *gx_common_tokens; i++) {
		gx_vocab_add(c, n, gx_common_tokens[i], strlen(gx_common_tokens[i]));
		n++;
	}
	/* <|endoftext|> at its GPT-2 id; it starts every prompt. */
	while (n < GX_VOCAB) {
		char w[40];
		size_t len = 0;
		if (n == GX_VOCAB - 1) {
			gx_vocab_add(c, n++, "<|endoftext|>", 13);
			continue;
		}
		/* Classes: " word" (5/8), " Word" (1/8), "word" continuation (2/8),
		 * with every 16th a number; each class counts its own words so
		 * all strings differ. */
		uint32_t cls = n % 16 == 0 ? 3 : (n % 8 < 5 ? 0 : n % 8 == 5 ? 1 : 2);
		uint32_t k = cnt[cls]++;
		if (cls == 3) {
			len = (size_t)snprintf(w, sizeof w, "%s%u", k % 3 ? " " : "", k);
		} else {
			if (cls != 2)
				w[len++] = ' ';
			len += gx_pseudo(w + len, k, 1, cls == 1);
		}
		gx_vocab_add(c, n++, w, len);
	}
}

static void gx_build_corpus(gx_ctx *c)
{
	gx_rng r;
	gx_seed(&r, c->o.seed, 0, 0, GX_S_CORPUS);
	gx_zipf tz, pz;
	gx_zipf_init(&tz, GX_VOCAB - 1, 1.0, 2.7);
	gx_zipf_init(&pz, GX_PHRASES, 1.0, 1.0);
	uint32_t *phr = gx_alloc(GX_PHRASES * 8 * sizeof *phr);
	uint8_t *plen = gx_alloc(GX_PHRASES);
	for (uint32_t p = 0; p < GX_PHRASES; p++) {
		plen[p] = (uint8_t)(2 + gx_below(&r, 5));
		for (uint32_t i = 0; i < plen[p]; i++)
			phr[p * 8 + i] = gx_zipf_draw(&tz, &r);
	}
	size_t T = (size_t)c->o.tokens;
	c->corpus = gx_alloc((size_t)c->o.prompts * T * sizeof *c->corpus);
	for (size_t p = 0; p < (size_t)c->o.prompts; p++) {
		uint32_t *t = c->corpus + p * T;
		size_t i = 0;
		t[i++] = GX_VOCAB - 1;
		while (i < T) {
			if (gx_unit(&r) < 0.3) {
				uint32_t q = gx_zipf_draw(&pz, &r);
				for (uint32_t j = 0; j < plen[q] && i < T; j++)
					t[i++] = phr[q * 8 + j];
			} else {
				t[i++] = gx_zipf_draw(&tz, &r);
			}
		}
	}
	free(phr);
	free(plen);
	free(tz.cdf);
	free(pz.cdf);
}

static void gx_build_expl_words(gx_ctx *c)
{
	size_t nc = sizeof gx_common_words / sizeof *gx_common_words;
	for (size_t i = 0; i < nc; i++)
		c->ew[c->n_ew++] = strdup(gx_common_words[i]);
	for (uint32_t k = 0; c->n_ew < GX_EXPL_WORDS; k++) {
		char w[40];
		size_t n = gx_pseudo(w, k + 200, 2, 0);
		w[n] = 0;
		c->ew[c->n_ew++] = strdup(w);
	}
	gx_zipf_init(&c->ezipf, (uint32_t)c->n_ew, 1.0, 3.0);
}

/* Sort key of an index as text: decimal digits + 1 in base 11, left
 * aligned in 11 places, 0 after the end (so "1" < "10" < "2"). */
static uint64_t gx_text_key(uint32_t v)
{
	char d[16];
	int n = snprintf(d, sizeof d, "%u", v);
	uint64_t k = 0;
	for (int i = 0; i < 11; i++)
		k = k * 11 + (i < n ? (uint64_t)(d[i] - '0' + 1) : 0);
	return k;
}

static int gx_cmp_key(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void gx_build_order(gx_ctx *c)
{
	size_t n = (size_t)c->o.features;
	c->order = gx_alloc(n * sizeof *c->order);
	if (c->o.numeric) {
		for (size_t i = 0; i < n; i++)
			c->order[i] = (uint32_t)i;
		return;
	}
	uint64_t *kv = gx_alloc(n * 2 * sizeof *kv);
	for (size_t i = 0; i < n; i++) {
		kv[2 * i] = gx_text_key((uint32_t)i);
		kv[2 * i + 1] = i;
	}
	qsort(kv, n, 2 * sizeof *kv, gx_cmp_key);
	for (size_t i = 0; i < n; i++)
		c->order[i] = (uint32_t)kv[2 * i + 1];
	free(kv);
}

/* ---------------------------------------------------------------- rows */

/* A cuid-like id: 'c', 8 base-36 time chars, 4 counter, 4 fingerprint, 8
 * random (25 chars), so ids of one batch share a prefix as real ones do. */
static void gx_cuid(char out[26], gx_rng *r, uint64_t counter)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint64_t t = UINT64_C(1722000000000) + counter * 3;
	out[0] = 'c';
	for (int i = 8; i >= 1; i--, t /= 36)
		out[i] = b36[t % 36];
	uint64_t k = counter;
	for (int i = 12; i >= 9; i--, k /= 36)
		out[i] = b36[k % 36];
	memcpy(out + 13, "0761", 4);
	for (int i = 17; i < 25; i++)
		out[i] = b36[gx_below(r, 36)];
	out[25] = 0;
}

typedef struct gx_feat {
	int64_t max_milli;   /* maxActApprox in thousandths */
	double density;
	int n_expl;
} gx_feat;

static void gx_params(const gx_ctx *c, uint32_t src, uint32_t idx, gx_feat *f)
{
	gx_rng r;
	gx_seed(&r, c->o.seed, src, idx, GX_S_PARAMS);
	double mx = exp(log(20.0) + 0.6 * gx_normal(&r));
	if (mx < 0.5)
		mx = 0.5;
	if (mx > 500)
		mx = 500;
	f->max_milli = llround(mx * 1000);
	f->density = pow(10, -4.5 + 3 * gx_unit(&r));
	double u = gx_unit(&r);
	f->n_expl = u < 0.02 ? 0 : u < 0.98 ? 1 : 2;
}

static void gx_common_prefix(const gx_ctx *c, gx_buf *b, uint32_t src, uint32_t idx)
{
	gx_key(b, "modelId");
	gx_json_str(b, c->o.model, strlen(c->o.model));
	gx_put(b, ",\"layer\":", 9);
	gx_json_str(b, c->src_names[src], strlen(c->src_names[src]));
	gx_put(b, ",\"index\":\"", 10);
	gx_putu(b, idx);
	gx_put(b, "\",", 2);
}

static void gx_milli_array(gx_buf *b, const char *key, const int64_t *v, size_t n)
{
	gx_key(b, key);
	gx_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			gx_putc(b, ',');
		gx_milli(b, v[i]);
	}
	gx_put(b, "],", 2);
}

static void gx_feature_line(gx_ctx *c, gx_buf *b, uint32_t src, uint32_t idx)
{
	gx_feat f;
	gx_params(c, src, idx, &f);
	gx_rng r;
	gx_seed(&r, c->o.seed, src, idx, GX_S_FEATURE);
	int64_t v[64], h[64];
	gx_putc(b, '{');
	gx_common_prefix(c, b, src, idx);
	gx_key(b, "maxActApprox");
	gx_milli(b, f.max_milli);
	gx_put(b, ",\"creatorId\":\"", 14);
	gx_puts(b, c->creator);
	gx_put(b, "\",\"frac_nonzero\":", 17);
	gx_putg(b, round(f.density * 1e6) / 1e6);
	gx_putc(b, ',');
	/* Histogram of non-zero activations: 50 bins over (0, max], decaying. */
	double tokens = (double)c->o.prompts * (double)c->o.tokens;
	double h0 = f.density * tokens / 6;
	for (int i = 0; i < 50; i++) {
		double w = (double)f.max_milli / 50;
		v[i] = llround(w * (i + 0.5));
		h[i] = llround(h0 * exp(-i / 7.0) * (0.85 + 0.3 * gx_unit(&r)));
	}
	gx_key(b, "freq_hist_data_bar_heights");
	gx_putc(b, '[');
	for (int i = 0; i < 50; i++) {
		if (i)
			gx_putc(b, ',');
		gx_puti(b, h[i]);
	}
	gx_put(b, "],", 2);
	gx_milli_array(b, "freq_hist_data_bar_values", v, 50);
	/* Logit effects: 10 each way, and a bell-shaped histogram between. */
	int64_t pos[10], neg[10];
	uint32_t pos_t[10], neg_t[10];
	double top = 0.3 + 0.7 * gx_unit(&r), bot = -(0.3 + 0.7 * gx_unit(&r));
	for (int i = 0; i < 10; i++) {
		pos[i] = llround(top * (1 - 0.02 * i) * 1000);
		neg[i] = llround(bot * (1 - 0.02 * i) * 1000);
		pos_t[i] = gx_below(&r, GX_VOCAB - 1);
		neg_t[i] = gx_below(&r, GX_VOCAB - 1);
	}
	/* Each feature its own centre, spread and noise, as real ones differ. */
	double lo = (double)neg[0], width = ((double)pos[0] - lo) / 50;
	double mid = lo + ((double)pos[0] - lo) * (0.35 + 0.3 * gx_unit(&r));
	double sd = ((double)pos[0] - lo) / (5 + 4 * gx_unit(&r)), left = GX_VOCAB;
	for (int i = 0; i < 50; i++) {
		double x = lo + width * (i + 0.5);
		v[i] = llround(x);
		double p = exp(-0.5 * (x - mid) * (x - mid) / (sd * sd)) * width / (sd * 2.5066);
		h[i] = llround(p * GX_VOCAB * (0.9 + 0.2 * gx_unit(&r)));
		if (h[i] > left)
			h[i] = (int64_t)left;
		left -= (double)h[i];
	}
	gx_key(b, "logits_hist_data_bar_heights");
	gx_putc(b, '[');
	for (int i = 0; i < 50; i++) {
		if (i)
			gx_putc(b, ',');
		gx_puti(b, h[i]);
	}
	gx_put(b, "],", 2);
	gx_milli_array(b, "logits_hist_data_bar_values", v, 50);
	/* Neuron alignment and correlations: 3 each, as in the sample. */
	static const char *const nkeys[2][3] = {
		{"neuron_alignment_indices", "neuron_alignment_l1", "neuron_alignment_values"},
		{"correlated_neurons_indices", "correlated_neurons_l1", "correlated_neurons_pearson"}};
	for (int k = 0; k < 2; k++) {
		gx_key(b, nkeys[k][0]);
		gx_putc(b, '[');
		for (int i = 0; i < 3; i++) {
			if (i)
				gx_putc(b, ',');
			gx_putu(b, gx_below(&r, 768));
		}
		gx_put(b, "],", 2);
		for (int j = 1; j < 3; j++) {
			int64_t a[3];
			double base = j == 1 && k == 0 ? 0.002 : 0.03 + 0.06 * gx_unit(&r);
			for (int i = 0; i < 3; i++)
				a[i] = llround(base * (1 - 0.1 * i) * 1000);
			gx_milli_array(b, nkeys[k][j], a, 3);
		}
	}
	gx_puts(b, "\"decoder_weights_dist\":[],");
	for (int k = 0; k < 2; k++) {
		gx_key(b, k ? "pos_str" : "neg_str");
		gx_putc(b, '[');
		for (int i = 0; i < 10; i++) {
			uint32_t t = k ? pos_t[i] : neg_t[i];
			if (i)
				gx_putc(b, ',');
			gx_put(b, c->vocab_json[t], c->vocab_len[t]);
		}
		gx_put(b, "],", 2);
		gx_milli_array(b, k ? "pos_values" : "neg_values", k ? pos : neg, 10);
	}
	gx_key(b, "sourceSetName");
	gx_json_str(b, c->set_name, strlen(c->set_name));
	gx_putc(b, ',');
	/* Top cosine-similar features: none in the real sample (default). */
	gx_key(b, "topkCosSimIndices");
	gx_putc(b, '[');
	int64_t cs[64];
	long nc = c->o.topk_cos;
	for (long i = 0; i < nc; i++) {
		if (i)
			gx_putc(b, ',');
		gx_putu(b, i == 0 ? idx : gx_below(&r, (uint32_t)c->o.features));
		cs[i] = i == 0 ? 1000 : llround((0.6 - 0.01 * i) * 1000);
	}
	gx_put(b, "],", 2);
	gx_milli_array(b, "topkCosSimValues", cs, (size_t)nc);
	gx_puts(b, "\"vector\":[],\"vectorLabel\":null,\"hookName\":null,"
	           "\"vectorDefaultSteerStrength\":null,\"hasVector\":false}\n");
}

/* One example's values in thousandths: a few non-zero runs covering 5-15 %
 * of the tokens, the maximum m at one of them (never the BOS token). */
static size_t gx_values(gx_rng *r, int32_t *vals, size_t T, int64_t m)
{
	memset(vals, 0, T * sizeof *vals);
	if (T < 2 || m <= 0)
		return 0;
	size_t want = (size_t)llround((double)T * (0.05 + 0.10 * gx_unit(r)));
	if (want < 1)
		want = 1;
	size_t nz = 0;
	for (int guard = 0; nz < want && guard < 1000; guard++) {
		size_t at = 1 + gx_below(r, (uint32_t)(T - 1));
		size_t len = 1 + (size_t)(gx_unit(r) < 0.5 ? 0 : gx_below(r, 6));
		for (size_t i = at; i < at + len && i < T && nz < want; i++) {
			if (vals[i])
				continue;
			int64_t x = llround((double)m * (0.03 + 0.9 * gx_unit(r)));
			if (x >= m)
				x = m - 1;
			if (x < 1)
				x = 1;
			vals[i] = (int32_t)x;
			nz++;
		}
	}
	if (nz == 0) {
		vals[1] = (int32_t)m;
		return 1;
	}
	/* The maximum sits on a non-zero token. */
	size_t pick = gx_below(r, (uint32_t)nz), arg = 1;
	for (size_t i = 1, k = 0; i < T; i++) {
		if (vals[i] && k++ == pick) {
			arg = i;
			break;
		}
	}
	vals[arg] = (int32_t)m;
	return arg;
}

static void gx_act_lines(gx_ctx *c, gx_buf *b, uint32_t src, uint32_t idx, uint64_t *counter)
{
	gx_feat f;
	gx_params(c, src, idx, &f);
	gx_rng r;
	gx_seed(&r, c->o.seed, src, idx, GX_S_ACTS);
	size_t K = (size_t)c->o.acts, T = (size_t)c->o.tokens;
	size_t ntop = (K + 1) / 2 > 10 ? 10 : (K + 1) / 2, nq = K - ntop;
	int64_t mx = f.max_milli, prev = mx;
	for (size_t k = 0; k < K; k++) {
		int64_t m, bmin = -1000, bmax = mx;
		double contains = -1;
		if (k < ntop) {
			m = k == 0 ? mx : llround((double)prev * (1 - 0.04 * gx_unit(&r)));
			prev = m;
		} else {
			size_t j = k - ntop;
			size_t q = GX_QUANTILES - 1 - j * GX_QUANTILES / (nq ? nq : 1);
			bmin = llround((double)mx * (double)q / GX_QUANTILES);
			bmax = llround((double)mx * (double)(q + 1) / GX_QUANTILES);
			m = bmin + llround((double)(bmax - bmin) * gx_unit(&r));
			if (m < 1)
				m = 1;
			contains = round(pow(10, -5 + 2.5 * gx_unit(&r)) * (1 + (double)(4 - q)) * 1e5) / 1e5;
		}
		size_t arg = gx_values(&r, c->vals, T, m);
		const uint32_t *tok = c->corpus + (size_t)gx_below(&r, (uint32_t)c->o.prompts) * T;
		char id[26];
		gx_cuid(id, &r, (*counter)++);
		gx_put(b, "{\"id\":\"", 7);
		gx_put(b, id, 25);
		gx_put(b, "\",", 2);
		gx_common_prefix(c, b, src, idx);
		gx_put(b, "\"creatorId\":\"", 13);
		gx_puts(b, c->creator);
		gx_put(b, "\",\"dataSource\":null,\"tokens\":[", 30);
		gx_reserve(b, T * 40);
		for (size_t i = 0; i < T; i++) {
			if (i)
				b->p[b->n++] = ',';
			memcpy(b->p + b->n, c->vocab_json[tok[i]], c->vocab_len[tok[i]]);
			b->n += c->vocab_len[tok[i]];
		}
		gx_put(b, "],\"maxValue\":", 13);
		gx_milli(b, m);
		gx_put(b, ",\"minValue\":0,\"values\":[", 24);
		for (size_t i = 0; i < T; i++) {
			if (i)
				gx_putc(b, ',');
			gx_milli(b, c->vals[i]);
		}
		gx_put(b, "],\"maxValueTokenIndex\":", 23);
		gx_putu(b, arg);
		gx_puts(b, ",\"dfaValues\":[],\"dfaMaxValue\":null,\"dfaTargetIndex\":null,"
		           "\"binContains\":");
		if (contains < 0)
			gx_put(b, "-1", 2);
		else
			gx_putg(b, contains);
		gx_put(b, ",\"binMin\":", 10);
		gx_milli(b, bmin);
		gx_put(b, ",\"binMax\":", 10);
		gx_milli(b, bmax);
		gx_put(b, "}\n", 2);
	}
}

static const char *const gx_templates[] = {
	"", "references to", "mentions of", "phrases related to", "the word", "words related to",
	"terms associated with", "occurrences of", "names of", "text about", "the token",
	"code involving", "descriptions of", "",
};

static void gx_description(gx_ctx *c, gx_rng *r, gx_buf *d)
{
	d->n = 0;
	size_t nt = sizeof gx_templates / sizeof *gx_templates;
	const char *t = gx_templates[gx_below(r, (uint32_t)nt)];
	if (*t) {
		gx_putc(d, ' ');
		gx_puts(d, t);
	}
	if (gx_unit(r) < 0.05) {
		/* A quoted token, as in " the token \"ing\"". */
		gx_puts(d, " \"");
		gx_puts(d, c->ew[c->n_ew / 2 + gx_below(r, (uint32_t)(c->n_ew / 2))]);
		gx_putc(d, '"');
		return;
	}
	uint32_t nw = 1 + gx_below(r, 4);
	for (uint32_t i = 0; i < nw; i++) {
		gx_putc(d, ' ');
		gx_puts(d, c->ew[gx_zipf_draw(&c->ezipf, r)]);
	}
}

static void gx_expl_lines(gx_ctx *c, gx_buf *b, uint32_t src, uint32_t idx, uint64_t *counter)
{
	gx_feat f;
	gx_params(c, src, idx, &f);
	gx_rng r;
	gx_seed(&r, c->o.seed, src, idx, GX_S_EXPL);
	gx_buf d = {0};
	for (int k = 0; k < f.n_expl; k++) {
		char id[26];
		gx_cuid(id, &r, (*counter)++);
		gx_description(c, &r, &d);
		gx_put(b, "{\"id\":\"", 7);
		gx_put(b, id, 25);
		gx_put(b, "\",", 2);
		gx_common_prefix(c, b, src, idx);
		gx_key(b, "description");
		gx_json_str(b, d.p, d.n);
		gx_put(b, ",\"authorId\":\"", 13);
		gx_puts(b, c->author);
		gx_puts(b, "\",\"triggeredByUserId\":null,\"notes\":null,\"scoreV1\":0,"
		           "\"scoreV2\":null,\"umap_x\":null,\"umap_y\":null,\"umap_cluster\":null,"
		           "\"umap_log_feature_sparsity\":null,\"typeName\":\"oai_token-act-pair\","
		           "\"explanationModelName\":\"gpt-4o-mini\",\"embedding\":");
		if (c->o.embedding > 0) {
			gx_putc(b, '[');
			for (long i = 0; i < c->o.embedding; i++) {
				if (i)
					gx_putc(b, ',');
				gx_milli(b, llround(gx_normal(&r) * 62.5));
			}
			gx_putc(b, ']');
		} else {
			gx_put(b, "null", 4);
		}
		gx_put(b, "}\n", 2);
	}
	free(d.p);
}

/* ---------------------------------------------------------------- files */

typedef struct gx_out {
	gzFile gz;
	gx_buf b;
	char *path;
	uint64_t raw;
} gx_out;

static void gx_flush(gx_out *o)
{
	size_t off = 0;
	while (off < o->b.n) {
		size_t n = o->b.n - off > (1u << 30) ? (1u << 30) : o->b.n - off;
		if (gzwrite(o->gz, o->b.p + off, (unsigned)n) != (int)n) {
			int zerr;
			const char *m = gzerror(o->gz, &zerr);
			gx_die("%s: %s", o->path, zerr == Z_ERRNO ? strerror(errno) : m);
		}
		off += n;
	}
	o->raw += o->b.n;
	o->b.n = 0;
}

static void gx_open(gx_out *o, const char *path, int level)
{
	char mode[8];
	snprintf(mode, sizeof mode, "wb%d", level);
	o->path = strdup(path);
	o->gz = gzopen(path, mode);
	if (!o->gz)
		gx_die("%s: %s", path, strerror(errno));
	gzbuffer(o->gz, 256 * 1024);
	o->raw = 0;
}

static void gx_close(gx_out *o)
{
	gx_flush(o);
	if (gzclose(o->gz) != Z_OK)
		gx_die("%s: cannot finish writing", o->path);
	free(o->path);
	free(o->b.p);
	memset(o, 0, sizeof *o);
}

static void gx_write_plain(const char *path, const gx_buf *b)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->n, f) != b->n || fclose(f) != 0)
		gx_die("%s: %s", path, strerror(errno));
}

static void gx_mkdirs(const char *path)
{
	char *p = strdup(path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0777) != 0 && errno != EEXIST)
				gx_die("%s: %s", p, strerror(errno));
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
}

static char *gx_src_dir(const gx_ctx *c, uint32_t src)
{
	size_t n = strlen(c->o.out) + strlen(c->o.model) + strlen(c->src_names[src]) + 3;
	char *d = gx_alloc(n);
	snprintf(d, n, "%s/%s/%s", c->o.out, c->o.model, c->src_names[src]);
	return d;
}

static void gx_meta(gx_ctx *c, uint32_t src)
{
	char *dir = gx_src_dir(c, src);
	const char *name = c->src_names[src];
	size_t pl = strlen(dir) + 32;
	char *path = gx_alloc(pl);
	static const char *const sub[] = {"features", "activations", "explanations"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, pl, "%s/%s", dir, sub[i]);
		gx_mkdirs(path);
	}
	gx_buf b = {0};
	/* model */
	gx_puts(&b, "{\"id\":");
	gx_json_str(&b, c->o.model, strlen(c->o.model));
	gx_puts(&b, ",\"displayName\":\"GPT2-SMALL\",\"layers\":12,\"dimension\":768,"
	            "\"tlensId\":");
	gx_json_str(&b, c->o.model, strlen(c->o.model));
	gx_puts(&b, ",\"owner\":\"OpenAI\",\"visibility\":\"PUBLIC\",\"creatorId\":\"");
	gx_puts(&b, c->creator);
	gx_puts(&b, "\"}\n");
	snprintf(path, pl, "%s/model.jsonl", dir);
	gx_write_plain(path, &b);
	/* release */
	b.n = 0;
	gx_puts(&b, "{\"name\":\"synthetic-");
	gx_puts(&b, c->set_name);
	gx_puts(&b, "\",\"description\":\"Synthetic export written by saex's gen_export "
	            "benchmark generator.\",\"descriptionShort\":\"synthetic benchmark data\","
	            "\"urls\":[\"https://example.invalid/bench\"],\"creatorName\":\"saex bench\","
	            "\"creatorNameShort\":\"bench\",\"visibility\":\"PUBLIC\"}\n");
	snprintf(path, pl, "%s/release.jsonl", dir);
	gx_write_plain(path, &b);
	/* sourceset */
	b.n = 0;
	gx_puts(&b, "{\"modelId\":");
	gx_json_str(&b, c->o.model, strlen(c->o.model));
	gx_puts(&b, ",\"name\":");
	gx_json_str(&b, c->set_name, strlen(c->set_name));
	gx_puts(&b, ",\"description\":\"Synthetic residual-stream SAEs\",\"type\":\"sae\","
	            "\"creatorName\":\"saex bench\",\"urls\":[],\"releaseName\":\"synthetic-");
	gx_puts(&b, c->set_name);
	gx_puts(&b, "\",\"visibility\":\"PUBLIC\"}\n");
	snprintf(path, pl, "%s/sourceset.jsonl", dir);
	gx_write_plain(path, &b);
	/* source, with a SAELens-style config naming the hook */
	b.n = 0;
	long layer = strtol(name, NULL, 10);
	gx_puts(&b, "{\"id\":");
	gx_json_str(&b, name, strlen(name));
	gx_puts(&b, ",\"modelId\":");
	gx_json_str(&b, c->o.model, strlen(c->o.model));
	gx_puts(&b, ",\"setName\":");
	gx_json_str(&b, c->set_name, strlen(c->set_name));
	gx_puts(&b, ",\"hfRepoId\":\"example/synthetic-saes\",\"hfFolderId\":");
	gx_json_str(&b, name, strlen(name));
	gx_puts(&b, ",\"saelensConfig\":{\"hook_name\":\"blocks.");
	gx_puti(&b, layer);
	gx_puts(&b, ".hook_resid_pre\",\"d_in\":768,\"d_sae\":");
	gx_puti(&b, c->o.features);
	gx_puts(&b, ",\"architecture\":\"standard\"},\"num_prompts\":");
	gx_puti(&b, c->o.prompts);
	gx_puts(&b, ",\"num_tokens_in_prompt\":");
	gx_puti(&b, c->o.tokens);
	gx_puts(&b, ",\"dataset\":\"synthetic/zipf-text\",\"visibility\":\"PUBLIC\"}\n");
	snprintf(path, pl, "%s/source.jsonl", dir);
	gx_write_plain(path, &b);
	free(b.p);
	free(path);
	free(dir);
}

static void gx_batch(gx_ctx *c, uint32_t src, size_t batch)
{
	static const char *const sub[] = {"features", "activations", "explanations"};
	char *dir = gx_src_dir(c, src);
	size_t pl = strlen(dir) + 64;
	char *path = gx_alloc(pl);
	size_t lo = batch * GX_BATCH, hi = lo + GX_BATCH;
	if (hi > (size_t)c->o.features)
		hi = (size_t)c->o.features;
	for (int kind = 0; kind < 3; kind++) {
		gx_out o = {0};
		snprintf(path, pl, "%s/%s/batch-%zu.jsonl.gz", dir, sub[kind], batch);
		gx_open(&o, path, c->o.level);
		/* Ids count up through the file, as rows written together do. */
		uint64_t counter = ((uint64_t)src << 40) + ((uint64_t)batch << 24) +
		                   ((uint64_t)kind << 22);
		for (size_t i = lo; i < hi; i++) {
			uint32_t idx = c->order[i];
			if (kind == 0)
				gx_feature_line(c, &o.b, src, idx);
			else if (kind == 1)
				gx_act_lines(c, &o.b, src, idx, &counter);
			else
				gx_expl_lines(c, &o.b, src, idx, &counter);
			if (o.b.n >= (1u << 20))
				gx_flush(&o);
		}
		gx_close(&o);
	}
	free(path);
	free(dir);
}

/* ---------------------------------------------------------------- main */

static void gx_usage(FILE *f)
{
	fputs("usage: gen_export --out DIR [options]\n"
	      "  --model ID             model id (gpt2-small)\n"
	      "  --source ID            source id (9-res-jb)\n"
	      "  --sources N            write N sources named <i>-<set> (i = 0..N-1; 1)\n"
	      "  --features N           features per source (24576)\n"
	      "  --acts-per-feature K   activation examples per feature (20)\n"
	      "  --tokens T             tokens per example (128)\n"
	      "  --prompts P            distinct prompts the examples come from (24576)\n"
	      "  --embedding N          N-float embedding per explanation (0: null)\n"
	      "  --topk-cos N           topkCosSim entries per feature (0, as the sample)\n"
	      "  --order text|numeric   feature order in batches (text)\n"
	      "  --level L              gzip level 1-9 (6)\n"
	      "  --jobs J               processes writing batches in parallel (1)\n"
	      "  --seed S               random seed (1)\n"
	      "  --version              print the data version (changes when the output does)\n",
	      f);
}

static long gx_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "gen_export: %s wants a number in %ld..%ld, not '%s'\n", opt, lo, hi,
		        s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"out", required_argument, NULL, 'o'}, {"model", required_argument, NULL, 'm'},
		{"source", required_argument, NULL, 's'}, {"sources", required_argument, NULL, 'S'},
		{"features", required_argument, NULL, 'f'},
		{"acts-per-feature", required_argument, NULL, 'k'},
		{"tokens", required_argument, NULL, 't'}, {"prompts", required_argument, NULL, 'p'},
		{"embedding", required_argument, NULL, 'e'}, {"topk-cos", required_argument, NULL, 'c'},
		{"order", required_argument, NULL, 'r'}, {"level", required_argument, NULL, 'l'},
		{"jobs", required_argument, NULL, 'j'}, {"seed", required_argument, NULL, 'x'},
		{"version", no_argument, NULL, 'V'}, {"help", no_argument, NULL, 'h'}, {0}};
	static gx_ctx ctx;
	gx_ctx *c = &ctx;
	gx_opts *o = &c->o;
	o->model = "gpt2-small";
	o->source = "9-res-jb";
	o->features = 24576;
	o->acts = 20;
	o->tokens = 128;
	o->prompts = 24576;
	o->sources = 1;
	o->jobs = 1;
	o->level = 6;
	o->seed = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': o->out = optarg; break;
		case 'm': o->model = optarg; break;
		case 's': o->source = optarg; break;
		case 'S': o->sources = gx_num("--sources", optarg, 1, 10000); break;
		case 'f': o->features = gx_num("--features", optarg, 1, 100000000); break;
		case 'k': o->acts = gx_num("--acts-per-feature", optarg, 0, 10000); break;
		case 't': o->tokens = gx_num("--tokens", optarg, 2, 16384); break;
		case 'p': o->prompts = gx_num("--prompts", optarg, 1, 10000000); break;
		case 'e': o->embedding = gx_num("--embedding", optarg, 0, 4096); break;
		case 'c': o->topk_cos = gx_num("--topk-cos", optarg, 0, 64); break;
		case 'l': o->level = (int)gx_num("--level", optarg, 1, 9); break;
		case 'j': o->jobs = gx_num("--jobs", optarg, 1, 64); break;
		case 'x': o->seed = (uint64_t)gx_num("--seed", optarg, 0, LONG_MAX); break;
		case 'r':
			if (strcmp(optarg, "text") == 0)
				o->numeric = 0;
			else if (strcmp(optarg, "numeric") == 0)
				o->numeric = 1;
			else {
				fprintf(stderr, "gen_export: --order wants text or numeric\n");
				return 1;
			}
			break;
		case 'V': printf("gen_export data version %d\n", GX_DATA_VERSION); return 0;
		case 'h': gx_usage(stdout); return 0;
		default: gx_usage(stderr); return 1;
		}
	}
	if (!o->out || optind != argc) {
		gx_usage(stderr);
		return 1;
	}
	if (o->prompts * o->tokens > 400000000L) {
		fprintf(stderr, "gen_export: --prompts x --tokens is too large\n");
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* Names: --source, or <i>-<set> for several sources. */
	const char *dash = strchr(o->source, '-');
	c->set_name = strdup(dash && dash[1] ? dash + 1 : o->source);
	c->src_names = gx_alloc((size_t)o->sources * sizeof *c->src_names);
	for (long i = 0; i < o->sources; i++) {
		if (o->sources == 1) {
			c->src_names[i] = strdup(o->source);
		} else {
			size_t n = strlen(c->set_name) + 24;
			c->src_names[i] = gx_alloc(n);
			snprintf(c->src_names[i], n, "%ld-%s", i, c->set_name);
		}
	}
	gx_rng mr;
	gx_seed(&mr, o->seed, 0, 0, GX_S_META);
	gx_cuid(c->creator, &mr, 1);
	gx_cuid(c->author, &mr, 2);
	gx_build_vocab(c);
	gx_build_expl_words(c);
	gx_build_corpus(c);
	gx_build_order(c);
	c->vals = gx_alloc((size_t)o->tokens * sizeof *c->vals);

	for (long s = 0; s < o->sources; s++)
		gx_meta(c, (uint32_t)s);
	size_t nb = ((size_t)o->features + GX_BATCH - 1) / GX_BATCH;
	size_t total = nb * (size_t)o->sources;
	fflush(NULL);
	long jobs = o->jobs;
	pid_t *kids = gx_alloc((size_t)jobs * sizeof *kids);
	for (long j = 0; j < jobs; j++) {
		pid_t pid = jobs == 1 ? 0 : fork();
		if (pid < 0)
			gx_die("fork: %s", strerror(errno));
		if (pid == 0) {
			for (size_t t = (size_t)j; t < total; t += (size_t)jobs)
				gx_batch(c, (uint32_t)(t / nb), t % nb);
			if (jobs > 1) {
				free(kids);
				_exit(0);
			}
		} else {
			kids[j] = pid;
		}
	}
	int failed = 0;
	for (long j = 0; jobs > 1 && j < jobs; j++) {
		int st;
		if (waitpid(kids[j], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	free(kids);
	if (failed)
		gx_die("a writer process failed");

	/* Totals, re-derived from the per-feature parameters. */
	uint64_t n_expl = 0, gz = 0;
	for (long s = 0; s < o->sources; s++)
		for (long i = 0; i < o->features; i++) {
			gx_feat f;
			gx_params(c, (uint32_t)s, (uint32_t)i, &f);
			n_expl += (uint64_t)f.n_expl;
		}
	for (long s = 0; s < o->sources; s++) {
		char *dir = gx_src_dir(c, (uint32_t)s);
		size_t pl = strlen(dir) + 64;
		char *path = gx_alloc(pl);
		static const char *const sub[] = {"features", "activations", "explanations"};
		for (size_t b = 0; b < nb; b++)
			for (int k = 0; k < 3; k++) {
				struct stat st;
				snprintf(path, pl, "%s/%s/batch-%zu.jsonl.gz", dir, sub[k], b);
				if (stat(path, &st) == 0)
					gz += (uint64_t)st.st_size;
			}
		free(path);
		free(dir);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	uint64_t nf = (uint64_t)o->features * (uint64_t)o->sources;
	printf("gen_export: %s/%s: %ld source%s, %llu features, %llu activations, %llu "
	       "explanations, %zu batch files per kind and source, %.1f MB gzipped (level %d, "
	       "%s order), %.1f s\n",
	       o->out, o->model, o->sources, o->sources == 1 ? "" : "s", (unsigned long long)nf,
	       (unsigned long long)(nf * (uint64_t)o->acts), (unsigned long long)n_expl, nb,
	       (double)gz / 1e6, o->level, o->numeric ? "numeric" : "text", secs);
	return 0;
}
