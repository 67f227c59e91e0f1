/* bench_sae.c - SAE layouts: the cost of opening a stored params.npz
 * against the same tensors in safetensors, and encode of each layout
 * against a bare cblas_sgemm of the same shapes, measured in the same run.
 *
 * usage: bench_sae [--dir DIR] [--reps N] [--rows N] [--d-sae N] [--only NAME]
 *
 * Contract: writes random weights of one SAE per layout into a scratch
 * folder (--dir, default a new folder under $TMPDIR or /tmp, removed at the
 * end), one at a time (each is deleted before the next is written), with
 * the layout's real shapes at --d-sae features (16,384):
 *
 *   saelens      GPT-2 small's 768, cfg.json + sae_weights.safetensors, ReLU
 *   oai-v5       768, SAELens's mirror of OpenAI's top-k (k 32, layer_norm)
 *   gemmascope   Gemma 2 2B's 2304, params.npz written as NumPy's savez
 *                writes it (members STORED, at odd offsets), in a
 *                gemma-scope-2b-pt-res/layer_20/width_W/... folder; JumpReLU
 *   transcoder   2304, SAELens jumprelu_transcoder
 *   gemmascope2  Gemma 3 1B's 1152, config.json + params.safetensors
 *   llamascope   Llama 3.1 8B's 4096, hyperparams.json + checkpoints/
 *                final.safetensors (encoder.weight [d_sae, d_in]: the product
 *                takes it transposed), dataset-wise normalisation folded
 *   sparsify     4096, cfg.json + sae.safetensors (transposed encoder), top-k 64
 *
 * For each: saex_sae_load's time and VmRSS and RssAnon before and after it
 * (the bar: a stored params.npz costs no copy: RssAnon grows by the vectors
 * it copies only, VmRSS by the mapped pages it reads, which are every weight
 * page since the load checks each value is finite); the first encode (which copies an unaligned
 * encoder once: BLAS needs aligned floats); then, after half a second's
 * rest and two warm-up pairs, --reps (9) pairs of an encode of --rows (128)
 * random rows and a bare cblas_sgemm of the same shapes (the same
 * transposition, aligned buffers) right after it: medians of each, and the
 * median of the pairs' encode / sgemm (bar <= 1.15). Pairs, not two blocks:
 * a neighbour's load then falls on both sides of a ratio alike. Then the open itself: saex_npz_open of the Gemma Scope file
 * against saex_safetensors_open of the same five tensors (median of
 * 3 x --reps each, warm page cache: both files were just written; bar <=
 * 2), and what each open adds to VmRSS.
 *
 * Prints a line per figure and one "RESULT key=value ..." line. Threads:
 * OpenBLAS's (OPENBLAS_NUM_THREADS). Exit status: 0 measured (bars met or
 * not), 1 usage, 2 failure. */
#include "config.h"
#include "saex.h"
#include "blas_tune.h"

#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BS_ENCODE_BAR 1.15
#define BS_OPEN_BAR 2.0

static double bs_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *bs_alloc(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, n ? n : 1) != 0) {
		fprintf(stderr, "bench_sae: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return p;
}

static int bs_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double bs_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bs_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bs_rest(void)
{
	struct timespec ts = {0, 500000000L};
	nanosleep(&ts, NULL);
}

/* A field of /proc/self/status in kB ("VmRSS", "RssAnon"); -1 when absent. */
static long bs_status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':' && sscanf(line + n + 1, "%ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long bs_rss_kb(void)
{
	return bs_status_kb("VmRSS");
}

/* xorshift floats in [-a, a) */
static void bs_fill(float *p, size_t n, float a, uint64_t *s)
{
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
		p[i] = a * ((float)(*s >> 40) / 8388608.0f - 1.0f);
	}
}

/* ---------------------------------------------------------------- files */

typedef struct bs_t {
	const char *name;
	int64_t d0, d1; /* d1 0: a vector */
	float amp;
	float *v;       /* filled by bs_make */
} bs_t;

static size_t bs_n(const bs_t *t)
{
	return (size_t)t->d0 * (size_t)(t->d1 ? t->d1 : 1);
}

static void bs_make(bs_t *t, int n, uint64_t seed)
{
	for (int i = 0; i < n; i++) {
		t[i].v = bs_alloc(bs_n(&t[i]) * sizeof(float));
		bs_fill(t[i].v, bs_n(&t[i]), t[i].amp, &seed);
	}
}

static void bs_free(bs_t *t, int n)
{
	for (int i = 0; i < n; i++)
		free(t[i].v);
}

static int bs_put(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

static void bs_le(unsigned char *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static int bs_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok = f && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "bench_sae: %s: %s\n", path, strerror(errno));
	return ok ? 0 : -1;
}

static int bs_safetensors(const char *path, const bs_t *t, int n)
{
	char h[4096];
	size_t len = 0;
	uint64_t off = 0;
	len += (size_t)snprintf(h, sizeof h, "{");
	for (int i = 0; i < n; i++) {
		uint64_t nb = bs_n(&t[i]) * 4;
		char shape[64];
		if (t[i].d1)
			snprintf(shape, sizeof shape, "%lld,%lld", (long long)t[i].d0, (long long)t[i].d1);
		else
			snprintf(shape, sizeof shape, "%lld", (long long)t[i].d0);
		len += (size_t)snprintf(h + len, sizeof h - len, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],"
		                        "\"data_offsets\":[%llu,%llu]}", i ? "," : "", t[i].name, shape,
		                        (unsigned long long)off, (unsigned long long)(off + nb));
		off += nb;
	}
	h[len++] = '}';
	while ((8 + len) % 8)
		h[len++] = ' ';
	unsigned char hl[8];
	bs_le(hl, len, 8);
	FILE *f = fopen(path, "wb");
	int rc = !f || bs_put(f, hl, 8) || bs_put(f, h, len);
	for (int i = 0; !rc && i < n; i++)
		rc = bs_put(f, t[i].v, bs_n(&t[i]) * 4);
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "bench_sae: %s: write failed\n", path);
	return rc ? -1 : 0;
}

/* A .npz as NumPy's savez writes one: each member a .npy (header padded to
 * 64 bytes), STORED, its local header carrying a ZIP64 extra field; so the
 * arrays sit at odd offsets of the file. */
static int bs_npz(const char *path, const bs_t *t, int n)
{
	FILE *f = fopen(path, "wb");
	unsigned char cd[5][46 + 32];
	size_t cdn[5];
	uint64_t off = 0;
	int rc = !f || n > 5;
	for (int i = 0; !rc && i < n; i++) {
		char dict[128], npyh[128], name[32], shape[64];
		if (t[i].d1)
			snprintf(shape, sizeof shape, "(%lld, %lld)", (long long)t[i].d0, (long long)t[i].d1);
		else
			snprintf(shape, sizeof shape, "(%lld,)", (long long)t[i].d0);
		int dl = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
		int pad = 64 - (10 + dl + 1) % 64;
		int hl = dl + pad + 1;
		memcpy(npyh, "\x93NUMPY\x01\x00", 8);
		bs_le((unsigned char *)npyh + 8, (uint64_t)hl, 2);
		memcpy(npyh + 10, dict, (size_t)dl);
		memset(npyh + 10 + dl, ' ', (size_t)pad);
		npyh[10 + hl - 1] = '\n';
		size_t hn = 10 + (size_t)hl, dn = bs_n(&t[i]) * 4, size = hn + dn;
		uLong crc = crc32(crc32(0L, (const Bytef *)npyh, (uInt)hn), (const Bytef *)t[i].v, (uInt)dn);
		int nl = snprintf(name, sizeof name, "%s.npy", t[i].name);
		unsigned char lh[30 + 32 + 20];
		bs_le(lh, 0x04034b50, 4), bs_le(lh + 4, 45, 2), bs_le(lh + 6, 0, 2), bs_le(lh + 8, 0, 2);
		bs_le(lh + 10, 0, 2), bs_le(lh + 12, 0x21, 2), bs_le(lh + 14, crc, 4), bs_le(lh + 18, size, 4);
		bs_le(lh + 22, size, 4), bs_le(lh + 26, (uint64_t)nl, 2), bs_le(lh + 28, 20, 2);
		memcpy(lh + 30, name, (size_t)nl);
		bs_le(lh + 30 + nl, 1, 2), bs_le(lh + 32 + nl, 16, 2), bs_le(lh + 34 + nl, size, 8), bs_le(lh + 42 + nl, size, 8);
		rc = bs_put(f, lh, 30 + (size_t)nl + 20) || bs_put(f, npyh, hn) || bs_put(f, t[i].v, dn);
		unsigned char *c = cd[i];
		bs_le(c, 0x02014b50, 4), bs_le(c + 4, 45, 2), bs_le(c + 6, 45, 2), bs_le(c + 8, 0, 2), bs_le(c + 10, 0, 2);
		bs_le(c + 12, 0, 2), bs_le(c + 14, 0x21, 2), bs_le(c + 16, crc, 4), bs_le(c + 20, size, 4);
		bs_le(c + 24, size, 4), bs_le(c + 28, (uint64_t)nl, 2), bs_le(c + 30, 0, 2), bs_le(c + 32, 0, 2);
		bs_le(c + 34, 0, 2), bs_le(c + 36, 0, 2), bs_le(c + 38, 0, 4), bs_le(c + 42, off, 4);
		memcpy(c + 46, name, (size_t)nl);
		cdn[i] = 46 + (size_t)nl;
		off += 30 + (size_t)nl + 20 + size;
	}
	uint64_t cdo = off, cds = 0;
	for (int i = 0; !rc && i < n; i++) {
		rc = bs_put(f, cd[i], cdn[i]);
		cds += cdn[i];
	}
	unsigned char e[22];
	bs_le(e, 0x06054b50, 4), bs_le(e + 4, 0, 4), bs_le(e + 8, (uint64_t)n, 2), bs_le(e + 10, (uint64_t)n, 2);
	bs_le(e + 12, cds, 4), bs_le(e + 16, cdo, 4), bs_le(e + 20, 0, 2);
	if (!rc)
		rc = bs_put(f, e, 22);
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "bench_sae: %s: write failed\n", path);
	return rc ? -1 : 0;
}

/* ---------------------------------------------------------------- layouts */

typedef struct bs_layout {
	const char *name;
	int d_in, trans;  /* trans: the encoder is stored [d_sae, d_in] */
} bs_layout;

static const bs_layout layouts[] = {
	{"saelens", 768, 0}, {"oai-v5", 768, 0}, {"gemmascope", 2304, 0}, {"transcoder", 2304, 0},
	{"gemmascope2", 1152, 0}, {"llamascope", 4096, 1}, {"sparsify", 4096, 1},
};

/* Writes layout L with d_sae features under root; its folder into dir. */
static int bs_write(const bs_layout *L, int ds, const char *root, char *dir, size_t dn)
{
	int di = L->d_in, rc;
	char p[1400], cfg[1400];
	float a = 1.0f / sqrtf((float)di);
	bs_t t[5] = {
		{"W_enc", di, ds, a, NULL}, {"W_dec", ds, di, a, NULL}, {"b_enc", ds, 0, 0.1f, NULL},
		{"b_dec", di, 0, 0.1f, NULL}, {"threshold", ds, 0, 0.4f, NULL},
	};
	if (L->trans) { /* Language-Model-SAEs's and sparsify's names and shapes */
		t[0] = (bs_t){"encoder.weight", ds, di, a, NULL};
		t[1] = (bs_t){!strcmp(L->name, "sparsify") ? "W_dec" : "decoder.weight", !strcmp(L->name, "sparsify") ? ds : di,
		              !strcmp(L->name, "sparsify") ? di : ds, a, NULL};
		t[2].name = "encoder.bias";
		t[3].name = !strcmp(L->name, "sparsify") ? "b_dec" : "decoder.bias";
	}
	bs_make(t, 5, 0x5eed + (uint64_t)di);
	snprintf(dir, dn, "%s/%s", root, L->name);
	if (!strcmp(L->name, "gemmascope")) {
		if (ds % 1024 == 0)
			snprintf(dir, dn, "%s/gemma-scope-2b-pt-res/layer_20/width_%dk/average_l0_71", root, ds / 1024);
		else
			snprintf(dir, dn, "%s/gemma-scope-2b-pt-res/layer_20/width_%d/average_l0_71", root, ds);
		snprintf(p, sizeof p, "mkdir -p '%s'", dir);
		rc = system(p) != 0;
		/* Gemma Scope's member order */
		bs_t g[5] = {t[1], t[0], t[3], t[2], t[4]};
		snprintf(p, sizeof p, "%s/params.npz", dir);
		rc = rc || bs_npz(p, g, 5);
	} else if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		rc = -1;
	} else if (!strcmp(L->name, "gemmascope2")) {
		t[0].name = "w_enc", t[1].name = "w_dec";
		snprintf(p, sizeof p, "%s/params.safetensors", dir);
		snprintf(cfg, sizeof cfg, "%s/config.json", dir);
		rc = bs_safetensors(p, t, 5) ||
		     bs_text(cfg, "{\"hf_hook_point_in\": \"model.layers.12.output\", \"architecture\": \"jump_relu\", "
		                  "\"model_name\": \"google/gemma-3-1b-pt\"}\n");
	} else if (!strcmp(L->name, "llamascope")) {
		snprintf(p, sizeof p, "%s/checkpoints", dir);
		mkdir(p, 0755);
		snprintf(p, sizeof p, "%s/checkpoints/final.safetensors", dir);
		snprintf(cfg, sizeof cfg,
		         "{\"d_model\": %d, \"d_sae\": %d, \"hook_point_in\": \"blocks.15.hook_resid_post\", \"hook_point_out\": "
		         "\"blocks.15.hook_resid_post\", \"act_fn\": \"jumprelu\", \"jump_relu_threshold\": 0.4, "
		         "\"norm_activation\": \"dataset-wise\", \"dataset_average_activation_norm\": {\"in\": 10.8125, "
		         "\"out\": 10.8125}}\n", di, ds);
		rc = bs_safetensors(p, t, 4);
		snprintf(p, sizeof p, "%s/hyperparams.json", dir);
		rc = rc || bs_text(p, cfg);
	} else if (!strcmp(L->name, "sparsify")) {
		snprintf(p, sizeof p, "%s/sae.safetensors", dir);
		snprintf(cfg, sizeof cfg, "{\"activation\": \"topk\", \"num_latents\": %d, \"k\": 64, \"d_in\": %d}\n", ds, di);
		rc = bs_safetensors(p, t, 4);
		snprintf(p, sizeof p, "%s/cfg.json", dir);
		rc = rc || bs_text(p, cfg);
	} else {
		const char *arch = !strcmp(L->name, "transcoder") ? "jumprelu_transcoder" : "jumprelu";
		if (!strcmp(L->name, "saelens"))
			arch = "standard";
		if (!strcmp(L->name, "oai-v5"))
			snprintf(cfg, sizeof cfg, "{\"architecture\": \"standard\", \"activation_fn_str\": \"topk\", "
			         "\"activation_fn_kwargs\": {\"k\": 32}, \"d_in\": %d, \"d_sae\": %d, \"normalize_activations\": "
			         "\"layer_norm\", \"hook_point\": \"blocks.8.hook_resid_post\"}\n", di, ds);
		else
			snprintf(cfg, sizeof cfg, "{\"architecture\": \"%s\", \"d_in\": %d, \"d_sae\": %d, \"d_out\": %d, "
			         "\"apply_b_dec_to_input\": false, \"metadata\": {\"hook_name\": \"blocks.8.ln2.hook_normalized\", "
			         "\"hook_name_out\": \"blocks.8.hook_mlp_out\"}}\n", arch, di, ds, di);
		if (strcmp(arch, "jumprelu_transcoder") && strcmp(L->name, "oai-v5"))
			snprintf(cfg, sizeof cfg, "{\"architecture\": \"%s\", \"d_in\": %d, \"d_sae\": %d, "
			         "\"hook_name\": \"blocks.8.hook_resid_pre\"}\n", arch, di, ds);
		snprintf(p, sizeof p, "%s/sae_weights.safetensors", dir);
		rc = bs_safetensors(p, t, !strcmp(arch, "jumprelu") || strstr(arch, "jumprelu_") ? 5 : 4);
		snprintf(p, sizeof p, "%s/cfg.json", dir);
		rc = rc || bs_text(p, cfg);
	}
	bs_free(t, 5);
	return rc ? -1 : 0;
}

/* ---------------------------------------------------------------- measuring */

typedef struct bs_res {
	double load_ms, first_ms, enc_ms, gemm_ms, ratio;
	long rss_before, rss_load, rss_first;
	long anon_before, anon_load; /* RssAnon: memory of its own, not the file's pages */
	double l0;
} bs_res;

/* Loads dir, encodes rows x [rows, d_in] reps times and a bare sgemm of the
 * same shapes reps times. 0, or -1 (message printed). */
static int bs_run(const bs_layout *L, const char *dir, int ds, int rows, int reps, bs_res *r)
{
	char err[SAEX_ERR_LEN];
	int di = L->d_in;
	r->rss_before = bs_rss_kb();
	r->anon_before = bs_status_kb("RssAnon");
	double t0 = bs_now();
	saex_sae *s = saex_sae_load(dir, err, sizeof err);
	r->load_ms = (bs_now() - t0) * 1e3;
	r->rss_load = bs_rss_kb();
	r->anon_load = bs_status_kb("RssAnon");
	if (!s) {
		fprintf(stderr, "bench_sae: %s\n", err);
		return -1;
	}
	uint64_t seed = 99;
	float *x = bs_alloc((size_t)rows * di * 4), *f = bs_alloc((size_t)rows * ds * 4);
	float *W = bs_alloc((size_t)di * ds * 4), *c = bs_alloc((size_t)rows * ds * 4);
	bs_fill(x, (size_t)rows * di, 2.0f, &seed);
	bs_fill(W, (size_t)di * ds, 1.0f / sqrtf((float)di), &seed);
	double *te = bs_alloc(sizeof(double) * (size_t)reps), *tg = bs_alloc(sizeof(double) * (size_t)reps);
	double *tr = bs_alloc(sizeof(double) * (size_t)reps);
	t0 = bs_now();
	int rc = saex_sae_encode(s, x, (size_t)rows, f, NULL);
	r->first_ms = (bs_now() - t0) * 1e3;
	r->rss_first = bs_rss_kb();
	bs_rest();
	for (int k = -2; !rc && k < reps; k++) {
		double a = bs_now();
		rc = saex_sae_encode(s, x, (size_t)rows, f, NULL);
		double b = bs_now();
		if (L->trans)
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, ds, di, 1.0f, x, di, W, di, 0.0f, c, ds);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, ds, di, 1.0f, x, di, W, ds, 0.0f, c, ds);
		if (k >= 0) {
			te[k] = b - a;
			tg[k] = bs_now() - b;
			tr[k] = te[k] / tg[k];
		}
	}
	if (!rc) {
		r->enc_ms = bs_median(te, (size_t)reps) * 1e3;
		r->gemm_ms = bs_median(tg, (size_t)reps) * 1e3;
		r->ratio = bs_median(tr, (size_t)reps);
		size_t nz = 0;
		for (size_t i = 0; i < (size_t)rows * ds; i++)
			nz += f[i] != 0;
		r->l0 = (double)nz / rows;
	} else
		fprintf(stderr, "bench_sae: %s: encode: out of memory\n", L->name);
	free(te);
	free(tg);
	free(tr);
	free(x);
	free(f);
	free(W);
	free(c);
	saex_sae_free(s);
	return rc ? -1 : 0;
}

/* The open alone: params.npz against the same tensors in safetensors. */
static int bs_open(const char *npz, const char *st, int reps, double *npz_ms, double *st_ms, long *rss_npz,
                   long *rss_st)
{
	char err[SAEX_ERR_LEN];
	int n = 3 * reps;
	double *a = malloc(sizeof(double) * (size_t)n), *b = malloc(sizeof(double) * (size_t)n);
	for (int k = -1; k < n; k++) {
		long before = bs_rss_kb();
		double t0 = bs_now();
		saex_npz *z = saex_npz_open(npz, err, sizeof err);
		double t1 = bs_now();
		if (!z) {
			fprintf(stderr, "bench_sae: %s\n", err);
			return -1;
		}
		if (k == 0)
			*rss_npz = bs_rss_kb() - before;
		saex_npz_close(z);
		before = bs_rss_kb();
		double t2 = bs_now();
		saex_safetensors *f = saex_safetensors_open(st, err, sizeof err);
		double t3 = bs_now();
		if (!f) {
			fprintf(stderr, "bench_sae: %s\n", err);
			return -1;
		}
		if (k == 0)
			*rss_st = bs_rss_kb() - before;
		saex_safetensors_close(f);
		if (k >= 0)
			a[k] = t1 - t0, b[k] = t3 - t2;
	}
	*npz_ms = bs_median(a, (size_t)n) * 1e3;
	*st_ms = bs_median(b, (size_t)n) * 1e3;
	free(a);
	free(b);
	return 0;
}

static void bs_usage(FILE *f)
{
	fputs("usage: bench_sae [options]\n"
	      "  --dir DIR     scratch folder (default: a new one in $TMPDIR, removed at the end)\n"
	      "  --reps N      timed encodes and sgemms per layout [9]\n"
	      "  --rows N      rows per encode [128]\n"
	      "  --d-sae N     features [16384]\n"
	      "  --only NAME   one layout (saelens, oai-v5, gemmascope, transcoder, gemmascope2,\n"
	      "                llamascope, sparsify)\n",
	      f);
}

static void bs_rm(const char *path)
{
	char cmd[1400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_sae: could not remove %s\n", path);
}

int main(int argc, char **argv)
{
	blas_tune_reexec(argv); /* the kernels saex itself runs with */
	const char *dir_opt = NULL, *only = NULL;
	int reps = 9, rows = 128, ds = 16384, ch;
	static const struct option lo[] = {{"dir", required_argument, NULL, 'd'},  {"reps", required_argument, NULL, 'r'},
	                                   {"rows", required_argument, NULL, 'n'}, {"d-sae", required_argument, NULL, 's'},
	                                   {"only", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dir_opt = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 'n': rows = atoi(optarg); break;
		case 's': ds = atoi(optarg); break;
		case 'o': only = optarg; break;
		case 'h': bs_usage(stdout); return 0;
		default: bs_usage(stderr); return 1;
		}
	}
	if (optind != argc || reps < 1 || rows < 2 || ds < 64 || ds % 64 || (dir_opt && strlen(dir_opt) > 1000)) {
		bs_usage(stderr);
		return 1;
	}
	char root[1024], dir[1300], p1[1400], p2[1400];
	if (dir_opt)
		snprintf(root, sizeof root, "%s", dir_opt);
	else {
		const char *tmp = getenv("TMPDIR");
		snprintf(root, sizeof root, "%s/saex-bench-sae-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(root)) {
			fprintf(stderr, "bench_sae: %s: %s\n", root, strerror(errno));
			return 2;
		}
	}
	mkdir(root, 0755);
	printf("bench_sae: %d rows -> %d features, %d reps, OpenBLAS threads %d\n\n", rows, ds, reps,
	       openblas_get_num_threads());
	printf("%-12s %5s %8s %9s %9s %9s %9s %9s %9s %9s %7s %s\n", "layout", "d_in", "load ms", "rss load",
	       "anon load", "1st enc", "rss enc", "encode", "sgemm", "ratio", "L0", "bar");
	double worst = 0;
	double open_npz = 0, open_st = 0;
	long rss_npz = 0, rss_st = 0;
	char report[4096] = "";
	size_t rl = 0;
	for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++) {
		const bs_layout *L = &layouts[i];
		if (only && strcmp(only, L->name))
			continue;
		bs_res r;
		if (bs_write(L, ds, root, dir, sizeof dir) || bs_run(L, dir, ds, rows, reps, &r)) {
			bs_rm(root);
			return 2;
		}
		double ratio = r.ratio;
		worst = ratio > worst ? ratio : worst;
		printf("%-12s %5d %8.1f %7.1fMB %7.1fMB %7.1fms %7.1fMB %7.1fms %7.1fms %8.3fx %7.1f %s\n", L->name,
		       L->d_in, r.load_ms, (r.rss_load - r.rss_before) / 1024.0, (r.anon_load - r.anon_before) / 1024.0,
		       r.first_ms, (r.rss_first - r.rss_before) / 1024.0,
		       r.enc_ms, r.gemm_ms, ratio, r.l0, ratio <= BS_ENCODE_BAR ? "meets" : "MISSES");
		rl += (size_t)snprintf(report + rl, sizeof report - rl, " %s_ratio=%.3f %s_load_rss_mb=%.1f %s_load_anon_mb=%.1f",
		                       L->name, ratio, L->name, (r.rss_load - r.rss_before) / 1024.0, L->name,
		                       (r.anon_load - r.anon_before) / 1024.0);
		if (!strcmp(L->name, "gemmascope")) { /* the same tensors as safetensors, for the open */
			snprintf(p1, sizeof p1, "%s/params.npz", dir);
			snprintf(p2, sizeof p2, "%s/same.safetensors", root);
			float a = 1.0f / sqrtf((float)L->d_in);
			bs_t t[5] = {{"W_dec", ds, L->d_in, a, NULL}, {"W_enc", L->d_in, ds, a, NULL}, {"b_dec", L->d_in, 0, 0.1f, NULL},
			             {"b_enc", ds, 0, 0.1f, NULL}, {"threshold", ds, 0, 0.4f, NULL}};
			bs_make(t, 5, 7);
			int bad = bs_safetensors(p2, t, 5) || bs_open(p1, p2, reps, &open_npz, &open_st, &rss_npz, &rss_st);
			bs_free(t, 5);
			if (bad) {
				bs_rm(root);
				return 2;
			}
			remove(p2);
		}
		bs_rm(!strcmp(L->name, "gemmascope") ? p1 : dir);
	}
	if (open_st > 0) {
		double oratio = open_npz / open_st;
		printf("\n[open] Gemma Scope params.npz (stored) against the same tensors in safetensors, warm cache\n");
		printf("  saex_npz_open         %8.3f ms   VmRSS added while open %.2f MB\n", open_npz, rss_npz / 1024.0);
		printf("  saex_safetensors_open %8.3f ms   VmRSS added while open %.2f MB\n", open_st, rss_st / 1024.0);
		printf("  ratio                 %8.2f x    bar <= %.1f  %s\n", oratio, BS_OPEN_BAR,
		       oratio <= BS_OPEN_BAR ? "meets" : "MISSES");
		rl += (size_t)snprintf(report + rl, sizeof report - rl, " open_npz_ms=%.3f open_st_ms=%.3f open_ratio=%.2f",
		                       open_npz, open_st, oratio);
	}
	printf("\nRESULT worst_encode_ratio=%.3f%s\n", worst, report);
	if (!dir_opt)
		bs_rm(root);
	return 0;
}
