/* bench_core.c - speed of the SAE core (libsaex) against the machine's own
 * limits, measured in the same run.
 *
 * usage: bench_core [options]
 *
 * Contract: writes random weights with GPT-2-small shapes (n_layer 12,
 * n_head 12, n_embd 768, n_positions 1024, vocab 50257; F32, the Hugging
 * Face layout: config.json + model.safetensors) and a standard SAELens SAE
 * 768 -> 24,576 (cfg.json + sae_weights.safetensors) into a scratch folder
 * (--dir, default a new folder under $TMPDIR or /tmp, removed at the end
 * unless --keep), then measures, each after a warm-up, with CLOCK_MONOTONIC:
 *
 *   peak    cblas_sgemm on square matrices of --peak-n (2048) and twice
 *           that: GFLOP/s, the best of 8 and 3 runs;
 *   bw      memory read bandwidth: a sum over a 1 GiB buffer (far larger
 *           than any cache), split over as many threads as OpenBLAS uses
 *           (and over 1 thread, for information): GB/s, best of 5;
 *   sae     a bare cblas_sgemm [128 x 768] x [768 x 24576] against
 *           saex_sae_encode of the same 128 rows (which adds the input's
 *           centring, b_dec, b_enc and the ReLU): median of --reps each,
 *           in two blocks (encode, then sgemm), each after half a second's
 *           rest and two warm-ups: OpenBLAS's threads spin for up to about
 *           0.1 s after a threaded call and slow other threads meanwhile
 *           (saex's encode of several rows runs on a team of its own, as
 *           does a prompt); bar: encode <= 1.15 x sgemm;
 *   prompt  saex_model_forward of --tokens (128) ids, all 12 blocks and the
 *           last position's logits (logits_last): median of --reps; FLOPs
 *           counted from the shapes (below); bar: >= 50 % of peak; then
 *           --reps pairs of a peak sgemm (best of 2 at --peak-n), half a
 *           second's rest and a prompt, the rate's share of that peak pair
 *           by pair, median (on a shared host the speed drifts);
 *   gen     a KV cache filled by the prompt, then --gen (64) tokens one at
 *           a time through saex_model_forward_kv (T = 1, the logits of the
 *           new position, then their arg max): what generation does per
 *           token. Median ms/token over all tokens of --gen-reps (3) runs;
 *           bound = bytes of weights read per token / bw; bar: <= 1.5 x the
 *           bound;
 *   rss     VmRSS (/proc/self/status) right after the prompt and
 *           generation runs, against model.safetensors' size; bar <= 1.2.
 *           The SAE is loaded after this reading.
 *
 * FLOPs of the prompt (T tokens, d = n_embd, L layers, V vocab): per layer
 * 24 T d^2 for the four matrix products (qkv 6 T d^2, attention output
 * 2 T d^2, MLP 16 T d^2) plus 2 d T (T + 1) for causal attention (scores
 * and weighted values over the i + 1 visible keys of row i); plus 2 d V for
 * the last position's logits. Layer norms, GELU, softmax and biases are not
 * counted (O(T d) each).
 *
 * Bytes per generated token: every float of the 12 blocks (matrices,
 * biases, layer-norm parameters), ln_f, one row of wpe and all of wte (the
 * logits read it once), 4 bytes each. The KV cache (2 L len d floats) is
 * not counted; it is printed beside.
 *
 * Prints each figure, its ratio and whether its bar is met, then one
 * "RESULT key=value ..." line. Threads: OpenBLAS's (OPENBLAS_NUM_THREADS,
 * default one per core); the count is printed.
 *
 * Exit status: 0 measured (bars met or not), 1 usage, 2 failure. */
#include "config.h"
#include "saex.h"
#include "blas_tune.h"

#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BC_SAE_BAR 1.15
#define BC_PROMPT_BAR 0.50
#define BC_GEN_BAR 1.5
#define BC_RSS_BAR 1.2

/* GPT-2 small */
#define BC_L 12
#define BC_H 12
#define BC_D 768
#define BC_P 1024
#define BC_V 50257
#define BC_DSAE 24576

static double bc_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *bc_alloc(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, n ? n : 1) != 0) {
		fprintf(stderr, "bench_core: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return p;
}

static int bc_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Half a second's rest: OpenBLAS's threads stop spinning. */
static void bc_rest(void)
{
	struct timespec ts = {0, 500000000L};
	nanosleep(&ts, NULL);
}

static double bc_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bc_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* splitmix64 */
static uint64_t bc_rand(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* n floats uniform with mean `mean` and standard deviation sd. */
static void bc_fill(float *a, size_t n, float mean, float sd, uint64_t *seed)
{
	const float s = sd * 1.7320508f * 2.0f / 4294967296.0f; /* uniform(-sqrt3 sd, sqrt3 sd) */
	for (size_t i = 0; i + 1 < n; i += 2) {
		uint64_t r = bc_rand(seed);
		a[i] = mean + ((float)(uint32_t)r - 2147483648.0f) * s;
		a[i + 1] = mean + ((float)(uint32_t)(r >> 32) - 2147483648.0f) * s;
	}
	if (n % 2)
		a[n - 1] = mean;
}

/* ---------------------------------------------------------------- writing */

typedef struct bc_t {
	char name[64];
	int ndim;
	int64_t shape[2];
	float mean, sd;
} bc_t;

static size_t bc_numel(const bc_t *t)
{
	return (size_t)t->shape[0] * (size_t)(t->ndim == 2 ? t->shape[1] : 1);
}

/* Writes a safetensors file of F32 tensors filled at random. Returns its
 * size in bytes, 0 on failure. */
static uint64_t bc_write_st(const char *path, const bc_t *ts, size_t n, uint64_t seed)
{
	size_t cap = 256 + n * 160, len = 0;
	char *h = bc_alloc(cap);
	uint64_t off = 0;
	len += (size_t)snprintf(h + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
	for (size_t i = 0; i < n; i++) {
		uint64_t nb = (uint64_t)bc_numel(&ts[i]) * 4;
		if (ts[i].ndim == 2)
			len += (size_t)snprintf(h + len, cap - len,
			                        ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],\"data_offsets\":[%llu,%llu]}",
			                        ts[i].name, (long long)ts[i].shape[0], (long long)ts[i].shape[1],
			                        (unsigned long long)off, (unsigned long long)(off + nb));
		else
			len += (size_t)snprintf(h + len, cap - len,
			                        ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],\"data_offsets\":[%llu,%llu]}",
			                        ts[i].name, (long long)ts[i].shape[0], (unsigned long long)off,
			                        (unsigned long long)(off + nb));
		off += nb;
	}
	len += (size_t)snprintf(h + len, cap - len, "}");
	while ((8 + len) % 8)
		h[len++] = ' ';
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "bench_core: %s: %s\n", path, strerror(errno));
		free(h);
		return 0;
	}
	unsigned char hl[8];
	for (int i = 0; i < 8; i++)
		hl[i] = (unsigned char)((uint64_t)len >> (8 * i));
	int ok = fwrite(hl, 1, 8, f) == 8 && fwrite(h, 1, len, f) == len;
	free(h);
	size_t bufn = (size_t)1 << 22;
	float *buf = bc_alloc(bufn * sizeof *buf);
	for (size_t i = 0; ok && i < n; i++) {
		size_t left = bc_numel(&ts[i]);
		while (ok && left) {
			size_t k = left < bufn ? left : bufn;
			bc_fill(buf, k, ts[i].mean, ts[i].sd, &seed);
			ok = fwrite(buf, sizeof *buf, k, f) == k;
			left -= k;
		}
	}
	free(buf);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "bench_core: %s: write failed: %s\n", path, strerror(errno));
		return 0;
	}
	return 8 + len + off;
}

static int bc_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "bench_core: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void bc_add(bc_t *ts, size_t *n, const char *name, int64_t d0, int64_t d1, float mean, float sd)
{
	bc_t *t = &ts[(*n)++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->ndim = d1 ? 2 : 1;
	t->shape[0] = d0;
	t->shape[1] = d1;
	t->mean = mean;
	t->sd = sd;
}

/* GPT-2 small with GPT-2's initialisation scales; returns the file size. */
static uint64_t bc_write_model(const char *dir)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/config.json", dir);
	char cfg[512];
	snprintf(cfg, sizeof cfg,
	         "{\"model_type\": \"gpt2\", \"n_layer\": %d, \"n_head\": %d, \"n_embd\": %d, \"n_positions\": %d,\n"
	         " \"n_ctx\": %d, \"vocab_size\": %d, \"layer_norm_epsilon\": 1e-05, \"activation_function\": \"gelu_new\"}\n",
	         BC_L, BC_H, BC_D, BC_P, BC_P, BC_V);
	if (bc_write_text(path, cfg))
		return 0;
	bc_t ts[4 + 12 * BC_L];
	size_t n = 0;
	const int64_t d = BC_D;
	const float s = 0.02f, sp = 0.02f / sqrtf(2.0f * BC_L);
	bc_add(ts, &n, "wte.weight", BC_V, d, 0, s);
	bc_add(ts, &n, "wpe.weight", BC_P, d, 0, 0.01f);
	for (int l = 0; l < BC_L; l++) {
		char nm[64];
#define BC_ADD(suffix, d0, d1, mean, sd)                                                                   \
	do {                                                                                                   \
		snprintf(nm, sizeof nm, "h.%d.%s", l, suffix);                                                     \
		bc_add(ts, &n, nm, d0, d1, mean, sd);                                                              \
	} while (0)
		BC_ADD("ln_1.weight", d, 0, 1, 0.05f);
		BC_ADD("ln_1.bias", d, 0, 0, 0.02f);
		BC_ADD("attn.c_attn.weight", d, 3 * d, 0, s);
		BC_ADD("attn.c_attn.bias", 3 * d, 0, 0, 0.02f);
		BC_ADD("attn.c_proj.weight", d, d, 0, sp);
		BC_ADD("attn.c_proj.bias", d, 0, 0, 0.02f);
		BC_ADD("ln_2.weight", d, 0, 1, 0.05f);
		BC_ADD("ln_2.bias", d, 0, 0, 0.02f);
		BC_ADD("mlp.c_fc.weight", d, 4 * d, 0, s);
		BC_ADD("mlp.c_fc.bias", 4 * d, 0, 0, 0.02f);
		BC_ADD("mlp.c_proj.weight", 4 * d, d, 0, sp);
		BC_ADD("mlp.c_proj.bias", d, 0, 0, 0.02f);
#undef BC_ADD
	}
	bc_add(ts, &n, "ln_f.weight", d, 0, 1, 0.05f);
	bc_add(ts, &n, "ln_f.bias", d, 0, 0, 0.02f);
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	return bc_write_st(path, ts, n, 12345);
}

static uint64_t bc_write_sae(const char *dir)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/cfg.json", dir);
	char cfg[512];
	snprintf(cfg, sizeof cfg,
	         "{\"architecture\": \"standard\", \"d_in\": %d, \"d_sae\": %d, \"apply_b_dec_to_input\": true,\n"
	         " \"normalize_activations\": \"none\", \"hook_name\": \"blocks.8.hook_resid_pre\", \"hook_layer\": 8}\n",
	         BC_D, BC_DSAE);
	if (bc_write_text(path, cfg))
		return 0;
	bc_t ts[4];
	size_t n = 0;
	bc_add(ts, &n, "W_enc", BC_D, BC_DSAE, 0, 0.036f);
	bc_add(ts, &n, "W_dec", BC_DSAE, BC_D, 0, 0.036f);
	bc_add(ts, &n, "b_enc", BC_DSAE, 0, -0.1f, 0.05f);
	bc_add(ts, &n, "b_dec", BC_D, 0, 0, 0.05f);
	snprintf(path, sizeof path, "%s/sae_weights.safetensors", dir);
	return bc_write_st(path, ts, n, 777);
}

/* ---------------------------------------------------------------- limits */

static double bc_sgemm_peak(int n, int reps)
{
	size_t nn = (size_t)n * (size_t)n;
	float *a = bc_alloc(nn * 4), *b = bc_alloc(nn * 4), *c = bc_alloc(nn * 4);
	uint64_t seed = 1;
	bc_fill(a, nn, 0, 1, &seed);
	bc_fill(b, nn, 0, 1, &seed);
	double best = 0;
	for (int r = 0; r < reps + 1; r++) {
		double t0 = bc_now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
		double g = 2.0 * (double)n * (double)n * (double)n / (bc_now() - t0) / 1e9;
		if (r > 0 && g > best) /* the first is a warm-up */
			best = g;
	}
	free(a);
	free(b);
	free(c);
	return best;
}

typedef float bc_v4 __attribute__((vector_size(16)));

typedef struct bc_bw_job {
	const bc_v4 *p;
	size_t n; /* vectors */
	float sum;
} bc_bw_job;

static void *bc_bw_run(void *arg)
{
	bc_bw_job *j = arg;
	bc_v4 s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
	const bc_v4 *p = j->p;
	size_t i = 0;
	for (; i + 4 <= j->n; i += 4) {
		s0 += p[i];
		s1 += p[i + 1];
		s2 += p[i + 2];
		s3 += p[i + 3];
	}
	for (; i < j->n; i++)
		s0 += p[i];
	s0 += s1 + s2 + s3;
	j->sum = s0[0] + s0[1] + s0[2] + s0[3];
	return NULL;
}

/* Read bandwidth in GB/s over bytes with nt threads, best of reps. */
static double bc_bandwidth(const float *buf, size_t bytes, int nt, int reps, float *sink)
{
	size_t nv = bytes / sizeof(bc_v4);
	double best = 0;
	bc_bw_job jobs[64];
	pthread_t th[64];
	if (nt > 64)
		nt = 64;
	for (int r = 0; r < reps + 1; r++) {
		double t0 = bc_now();
		for (int i = 0; i < nt; i++) {
			size_t a = nv * (size_t)i / (size_t)nt, b = nv * (size_t)(i + 1) / (size_t)nt;
			jobs[i].p = (const bc_v4 *)buf + a;
			jobs[i].n = b - a;
			if (i > 0 && pthread_create(&th[i], NULL, bc_bw_run, &jobs[i]) != 0) {
				fprintf(stderr, "bench_core: pthread_create failed\n");
				exit(2);
			}
		}
		bc_bw_run(&jobs[0]);
		for (int i = 1; i < nt; i++)
			pthread_join(th[i], NULL);
		double g = (double)(nv * sizeof(bc_v4)) / (bc_now() - t0) / 1e9;
		for (int i = 0; i < nt; i++)
			*sink += jobs[i].sum;
		if (r > 0 && g > best)
			best = g;
	}
	return best;
}

static long bc_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static uint32_t bc_argmax(const float *x, size_t n)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return (uint32_t)best;
}

static const char *bc_meets(int ok)
{
	return ok ? "meets" : "MISSES";
}

/* ---------------------------------------------------------------- main */

static void bc_usage(FILE *f)
{
	fputs("usage: bench_core [options]\n"
	      "  --dir DIR       scratch folder for the random weights (default: a new one in $TMPDIR)\n"
	      "  --keep          keep the weights (reused by a later run with the same --dir)\n"
	      "  --write-only    write the weights into --dir (kept) and stop: bench_startup.sh's checkpoint\n"
	      "  --reps N        timed repetitions of the SAE and prompt runs [15]\n"
	      "  --tokens T      prompt length [128]\n"
	      "  --gen N         tokens generated per generation run [64]\n"
	      "  --gen-reps N    generation runs [3]\n"
	      "  --peak-n N      size of the square matrices of the peak sgemm, and twice it [2048]\n"
	      "  --bw-mib N      size of the bandwidth buffer in MiB [1024]\n"
	      "Threads: OpenBLAS's (OPENBLAS_NUM_THREADS).\n",
	      f);
}

int main(int argc, char **argv)
{
	blas_tune_reexec(argv); /* the kernels saex itself runs with */
	const char *dir_opt = NULL;
	int keep = 0, write_only = 0, reps = 15, T = 128, ngen = 64, gen_reps = 3, peak_n = 2048, bw_mib = 1024;
	static const struct option lo[] = {
		{"dir", required_argument, NULL, 'd'},    {"keep", no_argument, NULL, 'k'},
		{"reps", required_argument, NULL, 'r'},   {"tokens", required_argument, NULL, 't'},
		{"gen", required_argument, NULL, 'g'},    {"gen-reps", required_argument, NULL, 'G'},
		{"peak-n", required_argument, NULL, 'p'}, {"bw-mib", required_argument, NULL, 'b'},
		{"write-only", no_argument, NULL, 'w'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': dir_opt = optarg; break;
		case 'k': keep = 1; break;
		case 'w': write_only = keep = 1; break;
		case 'r': reps = atoi(optarg); break;
		case 't': T = atoi(optarg); break;
		case 'g': ngen = atoi(optarg); break;
		case 'G': gen_reps = atoi(optarg); break;
		case 'p': peak_n = atoi(optarg); break;
		case 'b': bw_mib = atoi(optarg); break;
		case 'h': bc_usage(stdout); return 0;
		default: bc_usage(stderr); return 1;
		}
	}
	if (optind != argc || reps < 1 || T < 1 || T > BC_P || ngen < 1 || T + ngen > BC_P || gen_reps < 1 ||
	    peak_n < 64 || bw_mib < 64 || (write_only && !dir_opt)) {
		bc_usage(stderr);
		return 1;
	}
	char dir[1024], mdir[1100], sdir[1100];
	int made = 0;
	if (dir_opt && strlen(dir_opt) > 1000) {
		fprintf(stderr, "bench_core: --dir: path too long\n");
		return 1;
	}
	if (dir_opt) {
		snprintf(dir, sizeof dir, "%s", dir_opt);
		if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "bench_core: %s: %s\n", dir, strerror(errno));
			return 2;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/saex-bench-core-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "bench_core: mkdtemp %s: %s\n", dir, strerror(errno));
			return 2;
		}
		made = 1;
	}
	snprintf(mdir, sizeof mdir, "%s/gpt2", dir);
	snprintf(sdir, sizeof sdir, "%s/sae", dir);
	mkdir(mdir, 0777);
	mkdir(sdir, 0777);

	int nt = openblas_get_num_threads();
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	printf("bench_core: GPT-2 small shapes (L %d, H %d, d %d, ctx %d, V %d), SAE %d -> %d, F32\n", BC_L, BC_H,
	       BC_D, BC_P, BC_V, BC_D, BC_DSAE);
	printf("threads: OpenBLAS %d (%s; kernels %s), %ld online CPUs; bandwidth and GELU threads %d\n", nt,
	       openblas_get_config(), openblas_get_corename(), ncpu, nt);

	/* weights: reused when --dir holds them already (--keep) */
	char path[1200];
	struct stat sb;
	uint64_t msize = 0;
	double t0 = bc_now();
	snprintf(path, sizeof path, "%s/model.safetensors", mdir);
	if (dir_opt && stat(path, &sb) == 0 && (uint64_t)sb.st_size > 400000000u)
		msize = (uint64_t)sb.st_size;
	else if (!(msize = bc_write_model(mdir)))
		return 2;
	snprintf(path, sizeof path, "%s/sae_weights.safetensors", sdir);
	if (!(dir_opt && stat(path, &sb) == 0 && sb.st_size > 100000000) && !bc_write_sae(sdir))
		return 2;
	printf("weights: %s (model.safetensors %.1f MB), ready in %.1f s\n", dir, (double)msize / 1e6, bc_now() - t0);
	if (write_only)
		return 0;

	/* 1. the machine's limits */
	double peak1 = bc_sgemm_peak(peak_n, 8), peak2 = bc_sgemm_peak(2 * peak_n, 3);
	double peak = peak1 > peak2 ? peak1 : peak2;
	printf("\n[limits]\n  sgemm peak        %8.1f GFLOP/s   (best of 8 at %d^2: %.1f, of 3 at %d^2: %.1f)\n", peak, peak_n,
	       peak1, 2 * peak_n, peak2);
	size_t bwb = (size_t)bw_mib << 20;
	float *bwbuf = bc_alloc(bwb), sink = 0;
	for (size_t i = 0; i < bwb / 4; i++)
		bwbuf[i] = (float)(i & 7);
	double bw1 = bc_bandwidth(bwbuf, bwb, 1, 5, &sink);
	double bw = bc_bandwidth(bwbuf, bwb, nt, 5, &sink);
	if (bw1 > bw)
		bw = bw1;
	free(bwbuf);
	printf("  memory bandwidth  %8.2f GB/s      (read, %d MiB, best of 5, %d threads; 1 thread: %.2f GB/s)%s\n",
	       bw, bw_mib, nt, bw1, sink == 1.5f ? " " : "");

	char err[SAEX_ERR_LEN];
	/* 2. the model: prompt, generation, RSS */
	saex_model *m = saex_model_load(mdir, err, sizeof err);
	if (!m) {
		fprintf(stderr, "bench_core: %s\n", err);
		return 2;
	}
	const int64_t d = BC_D, L = BC_L, V = BC_V;
	uint32_t *ids = bc_alloc((size_t)(T + ngen) * sizeof *ids);
	uint64_t seed = 42;
	for (int i = 0; i < T; i++)
		ids[i] = (uint32_t)(bc_rand(&seed) % (uint64_t)V);
	float *logits = bc_alloc((size_t)V * sizeof *logits);
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.logits = logits;
	o.logits_last = 1;
	double *ts = bc_alloc((size_t)(reps > ngen * gen_reps ? reps : ngen * gen_reps) * 2 * sizeof *ts);
	for (int r = 0; r < 2; r++) /* warm-up: pages mapped, OpenBLAS threads started */
		if (saex_model_forward(m, ids, (size_t)T, &o, err, sizeof err)) {
			fprintf(stderr, "bench_core: %s\n", err);
			return 2;
		}
	for (int r = 0; r < reps; r++) {
		double a = bc_now();
		saex_model_forward(m, ids, (size_t)T, &o, err, sizeof err);
		ts[r] = bc_now() - a;
	}
	double tmin_p = ts[0];
	for (int r = 1; r < reps; r++)
		tmin_p = ts[r] < tmin_p ? ts[r] : tmin_p;
	double tp = bc_median(ts, (size_t)reps);
	double flops = (double)L * (24.0 * T * d * d + 2.0 * d * T * (T + 1.0)) + 2.0 * d * V;
	double gf = flops / tp / 1e9, pratio = gf / peak;
	printf("\n[prompt] %d tokens, all %d blocks, logits of the last position\n", T, BC_L);
	printf("  time              %8.2f ms        (median of %d; best %.2f ms)\n", tp * 1e3, reps, tmin_p * 1e3);
	printf("  FLOPs             %8.3f GFLOP\n", flops / 1e9);
	printf("  rate              %8.1f GFLOP/s   %.1f %% of sgemm peak   bar >= %.0f %%  %s\n", gf, 100 * pratio,
	       100 * BC_PROMPT_BAR, bc_meets(pratio >= BC_PROMPT_BAR));
	/* Pairs: a peak sgemm, a rest, a prompt; the rate's share pair by pair
	 * holds when the machine's speed drifts (a shared host). */
	double *pr = bc_alloc((size_t)reps * sizeof *pr);
	for (int r = 0; r < reps; r++) {
		double pk = bc_sgemm_peak(peak_n, 2);
		bc_rest();
		double a = bc_now();
		saex_model_forward(m, ids, (size_t)T, &o, err, sizeof err);
		pr[r] = flops / (bc_now() - a) / 1e9 / pk;
	}
	double ppair = bc_median(pr, (size_t)reps);
	free(pr);
	printf("  paired            %8.1f %% of the peak sgemm just before (median of %d pairs)  %s\n", 100 * ppair, reps,
	       bc_meets(ppair >= BC_PROMPT_BAR));

	/* generation */
	uint64_t wfloats = (uint64_t)L * (uint64_t)(3 * d * d + 3 * d + d * d + d + 4 * d * d + 4 * d + 4 * d * d + d +
	                                             4 * d) +
	                   (uint64_t)V * (uint64_t)d + 2 * (uint64_t)d + (uint64_t)d;
	double wbytes = 4.0 * (double)wfloats;
	saex_kv *kv = saex_kv_new(m, (size_t)(T + ngen));
	if (!kv) {
		fprintf(stderr, "bench_core: no memory for the KV cache\n");
		return 2;
	}
	size_t ng = 0;
	for (int r = 0; r < gen_reps + 1; r++) { /* the first run is a warm-up */
		saex_kv_reset(kv);
		if (saex_model_forward_kv(m, kv, ids, (size_t)T, &o, err, sizeof err)) {
			fprintf(stderr, "bench_core: %s\n", err);
			return 2;
		}
		uint32_t next = bc_argmax(logits, (size_t)V);
		for (int i = 0; i < ngen; i++) {
			double a = bc_now();
			if (saex_model_forward_kv(m, kv, &next, 1, &o, err, sizeof err)) {
				fprintf(stderr, "bench_core: %s\n", err);
				return 2;
			}
			next = bc_argmax(logits, (size_t)V);
			double e = bc_now() - a;
			if (r > 0)
				ts[ng++] = e;
		}
	}
	double tg = bc_median(ts, ng), tgmin = ts[0];
	double bound = wbytes / (bw * 1e9), gratio = tg / bound;
	double kvb = 2.0 * (double)L * (T + ngen / 2.0) * (double)d * 4;
	printf("\n[generation] KV cache, %d-token prompt, then %d tokens x %d runs, one at a time\n", T, ngen,
	       gen_reps);
	printf("  time per token    %8.2f ms        (median of %zu; best %.2f ms)\n", tg * 1e3, ng, tgmin * 1e3);
	printf("  weights read      %8.1f MB/token  (+ KV cache, not counted: %.1f MB on average)\n", wbytes / 1e6,
	       kvb / 1e6);
	printf("  bound             %8.2f ms        (weights / bandwidth; achieved %.1f GB/s)\n", bound * 1e3,
	       wbytes / tg / 1e9);
	printf("  ratio             %8.2f x bound   bar <= %.1f  %s\n", gratio, BC_GEN_BAR,
	       bc_meets(gratio <= BC_GEN_BAR));
	saex_kv_free(kv);

	long rss = bc_rss_kb();
	double rratio = (double)rss * 1024.0 / (double)msize;
	printf("\n[memory] after the prompt and generation runs\n");
	printf("  VmRSS             %8.1f MB        model.safetensors %.1f MB\n", rss * 1024.0 / 1e6,
	       (double)msize / 1e6);
	printf("  ratio             %8.3f           bar <= %.1f  %s\n", rratio, BC_RSS_BAR,
	       bc_meets(rratio <= BC_RSS_BAR));
	saex_model_free(m);

	/* 3. the SAE */
	saex_sae *s = saex_sae_load(sdir, err, sizeof err);
	if (!s) {
		fprintf(stderr, "bench_core: %s\n", err);
		return 2;
	}
	const int n = 128, ds = BC_DSAE;
	float *x = bc_alloc((size_t)n * d * 4), *f = bc_alloc((size_t)n * ds * 4), *c = bc_alloc((size_t)n * ds * 4);
	float *W = bc_alloc((size_t)d * ds * 4);
	seed = 9;
	bc_fill(x, (size_t)n * d, 0, 1, &seed);
	bc_fill(W, (size_t)d * ds, 0, 0.036f, &seed);
	double *te = ts + reps;
	/* Two blocks, encode then bare sgemm, each after a rest and two
	 * warm-ups (see the top of this file). */
	bc_rest();
	for (int r = -2; r < reps; r++) {
		double b = bc_now();
		if (saex_sae_encode(s, x, (size_t)n, f, NULL)) {
			fprintf(stderr, "bench_core: encode: out of memory\n");
			return 2;
		}
		if (r >= 0)
			te[r] = bc_now() - b;
	}
	bc_rest();
	for (int r = -2; r < reps; r++) {
		double a = bc_now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, ds, (int)d, 1.0f, x, (int)d, W, ds, 0.0f, c, ds);
		if (r >= 0)
			ts[r] = bc_now() - a;
	}
	double tsg = bc_median(ts, (size_t)reps), tenc = bc_median(te, (size_t)reps), sratio = tenc / tsg;
	size_t nz = 0;
	for (size_t i = 0; i < (size_t)n * ds; i++)
		nz += f[i] != 0;
	printf("\n[sae] encode %d rows, %d -> %d (standard, ReLU; L0 %.0f)\n", n, BC_D, BC_DSAE, (double)nz / n);
	printf("  bare sgemm        %8.2f ms        (%.1f GFLOP/s; median of %d)\n", tsg * 1e3,
	       2.0 * n * d * ds / tsg / 1e9, reps);
	printf("  saex_sae_encode   %8.2f ms        (median of %d)\n", tenc * 1e3, reps);
	printf("  ratio             %8.3f x sgemm   bar <= %.2f  %s\n", sratio, BC_SAE_BAR,
	       bc_meets(sratio <= BC_SAE_BAR));
	saex_sae_free(s);

	printf("\nRESULT threads=%d peak_gflops=%.1f bw_gbs=%.2f sae_sgemm_ms=%.3f sae_encode_ms=%.3f sae_ratio=%.3f "
	       "prompt_ms=%.3f prompt_gflops=%.1f prompt_peak_frac=%.3f prompt_pair_frac=%.3f gen_ms=%.3f gen_bound_ms=%.3f gen_ratio=%.3f "
	       "rss_mb=%.1f file_mb=%.1f rss_ratio=%.3f\n",
	       nt, peak, bw, tsg * 1e3, tenc * 1e3, sratio, tp * 1e3, gf, pratio, ppair, tg * 1e3, bound * 1e3, gratio,
	       rss * 1024.0 / 1e6, (double)msize / 1e6, rratio);
	free(x);
	free(f);
	free(c);
	free(W);
	free(ts);
	free(ids);
	free(logits);
	if (made && !keep) { /* a --dir folder is left as it is */
		const char *files[] = {"gpt2/config.json", "gpt2/model.safetensors", "sae/cfg.json",
		                       "sae/sae_weights.safetensors", "gpt2", "sae"};
		for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
			snprintf(path, sizeof path, "%s/%s", dir, files[i]);
			remove(path);
		}
		rmdir(dir);
	}
	return 0;
}
