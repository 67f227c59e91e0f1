/* bench_models.c - the model core on today's model shapes, against the
 * machine's own limits measured in the same run.
 *
 * usage: bench_models [--family gemma2|llama] [--dtype BF16|F32|F16] [--dir DIR]
 *                     [--keep] [--reps N] [--gen N] [--live-layer L] [--write-only]
 *
 * --write-only writes the checkpoint and the SAE (kept) and stops: the
 * files bench_startup.sh times saex run on.
 *
 * Contract: writes a random checkpoint in Hugging Face's layout
 * (config.json + model.safetensors) of the family's shape into DIR (default
 * /tmp/saex-bench/models/FAMILY-DTYPE; reused when it is there, removed at
 * the end unless --keep): gemma2 is Gemma-2-2b's (2,304 wide, 26 layers, 8
 * heads of 256 on 4 key/value heads, MLP 9,216, vocabulary 256,000, tied;
 * 5.2 GB in BF16), llama Llama-3.2-1B's (2,048 wide, 16 layers, 32 heads of
 * 64 on 8, MLP 8,192, vocabulary 128,256, tied, llama3 rope; 2.5 GB in BF16);
 * and a standard SAE of 16,384 features at blocks.L.hook_resid_post. Then,
 * each after a warm-up, with CLOCK_MONOTONIC:
 *
 *   peak    cblas_sgemm of 2048 x 2048 matrices: GFLOP/s, best of 6;
 *   bw      memory read bandwidth over 1 GiB with OpenBLAS's thread count:
 *           GB/s, best of 4;
 *   load    saex_model_load of the folder (the first touch of the map is in
 *           the first prompt);
 *   prompt  128 tokens through every layer and the last position's logits:
 *           median of --reps; FLOPs from the shapes: per token and layer
 *           2 d (q + k + v widths) + 2 (q width) d + 6 d d_mlp, attention
 *           4 head_dim heads T (T + 1) / 2 a layer, 2 d vocab for the
 *           logits; then each of --reps prompts right after an sgemm peak
 *           of its own (best of 2), the pairs' median ratio; bar: >= 50 %;
 *   gen     a 16-token prompt into a KV cache, then --gen (32) tokens one at
 *           a time (logits of the new position, arg max): median ms/token;
 *           bound = bytes of the weights read per token in the file's dtype
 *           (every block's matrices and the unembedding) / bw, and the
 *           median of each token against a 256 MiB bandwidth read just
 *           before it (paired); bar: paired <= 1.5;
 *   rss     VmRSS after those runs / model.safetensors' size; bar <= 1.2;
 *   live    64 tokens to layer --live-layer (20) and the SAE's encode of
 *           them (saex_sae_features, as the explorer's live test): median
 *           of --reps, in ms.
 * Prints each figure, then one "RESULT key=value ..." line.
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

typedef struct bm_shape {
	const char *family, *config;
	int L, D, H, KV, hd, F, V;
} bm_shape;

static const bm_shape bm_shapes[] = {
	{"gemma2",
	 "{\"architectures\": [\"Gemma2ForCausalLM\"], \"model_type\": \"gemma2\", \"hidden_size\": 2304,\n"
	 " \"intermediate_size\": 9216, \"num_hidden_layers\": 26, \"num_attention_heads\": 8,\n"
	 " \"num_key_value_heads\": 4, \"head_dim\": 256, \"vocab_size\": 256000, \"max_position_embeddings\": 8192,\n"
	 " \"rms_norm_eps\": 1e-06, \"rope_theta\": 10000.0, \"hidden_activation\": \"gelu_pytorch_tanh\",\n"
	 " \"query_pre_attn_scalar\": 256, \"sliding_window\": 4096, \"attn_logit_softcapping\": 50.0,\n"
	 " \"final_logit_softcapping\": 30.0, \"tie_word_embeddings\": true}\n",
	 26, 2304, 8, 4, 256, 9216, 256000},
	{"llama",
	 "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", \"hidden_size\": 2048,\n"
	 " \"intermediate_size\": 8192, \"num_hidden_layers\": 16, \"num_attention_heads\": 32,\n"
	 " \"num_key_value_heads\": 8, \"head_dim\": 64, \"vocab_size\": 128256, \"max_position_embeddings\": 131072,\n"
	 " \"rms_norm_eps\": 1e-05, \"rope_theta\": 500000.0, \"hidden_act\": \"silu\", \"tie_word_embeddings\": true,\n"
	 " \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0,\n"
	 " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}}\n",
	 16, 2048, 32, 8, 64, 8192, 128256},
};

#define BM_DSAE 16384

static double bm_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *bm_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "bench_models: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return p;
}

static int bm_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double bm_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, bm_cmp);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static uint64_t bm_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* ---------------------------------------------------------------- writing */

typedef struct bm_t {
	char name[96];
	int ndim;
	int64_t d0, d1;
	float mean, half; /* values uniform in mean +- half */
} bm_t;

static size_t bm_numel(const bm_t *t)
{
	return (size_t)t->d0 * (size_t)(t->ndim == 2 ? t->d1 : 1);
}

static uint16_t bm_bf16(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

/* Writes the tensors with random values in dtype es bytes (4: F32, 2:
 * BF16, or F16 when f16); 0 or -1. */
static int bm_write_st(const char *path, const bm_t *ts, size_t n, int es, int f16)
{
	const char *dt = es == 4 ? "F32" : f16 ? "F16" : "BF16";
	size_t cap = 256 * n + 1024, len = 0, off = 0;
	char *h = bm_alloc(cap);
	len += (size_t)snprintf(h + len, cap - len, "{");
	for (size_t i = 0; i < n; i++) {
		size_t nb = bm_numel(&ts[i]) * (size_t)es;
		if (ts[i].ndim == 2)
			len += (size_t)snprintf(h + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld,%lld],"
			                        "\"data_offsets\":[%zu,%zu]}", i ? "," : "", ts[i].name, dt,
			                        (long long)ts[i].d0, (long long)ts[i].d1, off, off + nb);
		else
			len += (size_t)snprintf(h + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld],"
			                        "\"data_offsets\":[%zu,%zu]}", i ? "," : "", ts[i].name, dt,
			                        (long long)ts[i].d0, off, off + nb);
		off += nb;
	}
	len += (size_t)snprintf(h + len, cap - len, "}");
	while ((8 + len) % 8)
		h[len++] = ' ';
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "bench_models: %s: %s\n", path, strerror(errno));
		free(h);
		return -1;
	}
	uint64_t hl = len;
	unsigned char lb[8];
	for (int i = 0; i < 8; i++)
		lb[i] = (unsigned char)(hl >> (8 * i));
	int ok = fwrite(lb, 8, 1, f) == 1 && fwrite(h, len, 1, f) == 1;
	free(h);
	enum { CH = 1 << 20 };
	unsigned char *buf = bm_alloc((size_t)CH * 4);
	uint64_t seed = 88172645463325252u;
	for (size_t i = 0; ok && i < n; i++) {
		for (size_t done = 0, all = bm_numel(&ts[i]); ok && done < all;) {
			size_t c = all - done < CH ? all - done : CH;
			for (size_t k = 0; k < c; k++) {
				float u = (float)(bm_rand(&seed) >> 40) * (1.0f / 16777216.0f) * 2 - 1;
				float v = ts[i].mean + ts[i].half * u;
				if (es == 4)
					memcpy(buf + 4 * k, &v, 4);
				else {
					uint16_t b = f16 ? saex_f32_to_f16(v) : bm_bf16(v);
					memcpy(buf + 2 * k, &b, 2);
				}
			}
			ok = fwrite(buf, (size_t)es, c, f) == c;
			done += c;
		}
	}
	free(buf);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok)
		fprintf(stderr, "bench_models: %s: cannot write (is the disk full?)\n", path);
	return ok ? 0 : -1;
}

/* Adds tensor name (a block's tensor when layer >= 0: the name follows
 * "model.layers.L."). */
static void bm_add(bm_t *ts, size_t *n, int64_t d0, int64_t d1, float mean, float half, const char *name, int layer)
{
	bm_t *t = &ts[(*n)++];
	if (layer >= 0)
		snprintf(t->name, sizeof t->name, "model.layers.%d.%s", layer, name);
	else
		snprintf(t->name, sizeof t->name, "%s", name);
	t->ndim = d1 ? 2 : 1;
	t->d0 = d0;
	t->d1 = d1;
	t->mean = mean;
	t->half = half;
}

static int bm_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "bench_models: %s: cannot write\n", path);
		return -1;
	}
	return 0;
}

/* The model: Llama's names (Gemma adds its pre/post feed-forward norms). */
static int bm_write_model(const char *dir, const bm_shape *s, int es, int f16)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/config.json", dir);
	if (bm_write_text(path, s->config))
		return -1;
	int gemma = strcmp(s->family, "gemma2") == 0;
	bm_t *ts = bm_alloc((size_t)(2 + 11 * s->L) * sizeof *ts);
	size_t n = 0;
	int64_t D = s->D, Z = (int64_t)s->H * s->hd, KZ = (int64_t)s->KV * s->hd, F = s->F;
	float nm = gemma ? 0.0f : 1.0f; /* Gemma's norms are 1 + w */
	bm_add(ts, &n, s->V, D, 0, gemma ? 0.05f : 1.0f, "model.embed_tokens.weight", -1);
	for (int l = 0; l < s->L; l++) {
		bm_add(ts, &n, D, 0, nm, 0.05f, "input_layernorm.weight", l);
		bm_add(ts, &n, Z, D, 0, sqrtf(3.0f / (float)D), "self_attn.q_proj.weight", l);
		bm_add(ts, &n, KZ, D, 0, sqrtf(3.0f / (float)D), "self_attn.k_proj.weight", l);
		bm_add(ts, &n, KZ, D, 0, sqrtf(3.0f / (float)D), "self_attn.v_proj.weight", l);
		bm_add(ts, &n, D, Z, 0, sqrtf(3.0f / (float)Z), "self_attn.o_proj.weight", l);
		bm_add(ts, &n, D, 0, nm, 0.05f, "post_attention_layernorm.weight", l);
		if (gemma) {
			bm_add(ts, &n, D, 0, nm, 0.05f, "pre_feedforward_layernorm.weight", l);
			bm_add(ts, &n, D, 0, nm, 0.05f, "post_feedforward_layernorm.weight", l);
		}
		bm_add(ts, &n, F, D, 0, sqrtf(3.0f / (float)D), "mlp.gate_proj.weight", l);
		bm_add(ts, &n, F, D, 0, sqrtf(3.0f / (float)D), "mlp.up_proj.weight", l);
		bm_add(ts, &n, D, F, 0, sqrtf(3.0f / (float)F), "mlp.down_proj.weight", l);
	}
	bm_add(ts, &n, D, 0, nm, 0.05f, "model.norm.weight", -1);
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	int rc = bm_write_st(path, ts, n, es, f16);
	free(ts);
	return rc;
}

static int bm_write_sae(const char *dir, const bm_shape *s, int layer)
{
	char path[1200], cfg[512];
	snprintf(path, sizeof path, "%s/cfg.json", dir);
	snprintf(cfg, sizeof cfg,
	         "{\"architecture\": \"standard\", \"d_in\": %d, \"d_sae\": %d, \"apply_b_dec_to_input\": true,\n"
	         " \"normalize_activations\": \"none\", \"hook_name\": \"blocks.%d.hook_resid_post\"}\n",
	         s->D, BM_DSAE, layer);
	if (bm_write_text(path, cfg))
		return -1;
	bm_t ts[4];
	size_t n = 0;
	bm_add(ts, &n, s->D, BM_DSAE, 0, 0.03f, "W_enc", -1);
	bm_add(ts, &n, BM_DSAE, s->D, 0, 0.03f, "W_dec", -1);
	bm_add(ts, &n, BM_DSAE, 0, -0.1f, 0.05f, "b_enc", -1);
	bm_add(ts, &n, s->D, 0, 0, 0.05f, "b_dec", -1);
	snprintf(path, sizeof path, "%s/sae_weights.safetensors", dir);
	return bm_write_st(path, ts, n, 4, 0);
}

/* ---------------------------------------------------------------- limits */

/* sgemm GFLOP/s, the best of runs after a warm-up. */
static double bm_peak(int runs)
{
	int n = 2048;
	size_t nn = (size_t)n * n;
	float *a = bm_alloc(nn * 4), *b = bm_alloc(nn * 4), *c = bm_alloc(nn * 4);
	for (size_t i = 0; i < nn; i++)
		a[i] = b[i] = (float)(i % 7) * 0.1f;
	double best = 0;
	for (int r = 0; r <= runs; r++) {
		double t0 = bm_now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
		double g = 2.0 * n * (double)n * n / (bm_now() - t0) / 1e9;
		if (r && g > best)
			best = g;
	}
	free(a);
	free(b);
	free(c);
	return best;
}

typedef struct bm_bw {
	const float *p;
	size_t n;
	float sum;
} bm_bw;

static void *bm_bw_run(void *arg)
{
	bm_bw *j = arg;
	float s[16] = {0};
	for (size_t i = 0; i + 16 <= j->n; i += 16)
		for (int k = 0; k < 16; k++)
			s[k] += j->p[i + k];
	for (int k = 1; k < 16; k++)
		s[0] += s[k];
	j->sum = s[0];
	return NULL;
}

/* Read GB/s over mib MiB with nt threads, the best of runs after a
 * warm-up. */
static double bm_bandwidth(int nt, size_t mib, int runs)
{
	size_t bytes = mib << 20, n = bytes / 4;
	float *buf = bm_alloc(bytes);
	for (size_t i = 0; i < n; i++)
		buf[i] = (float)(i & 3);
	bm_bw jobs[64];
	pthread_t th[64];
	double best = 0;
	float sink = 0;
	nt = nt < 1 ? 1 : nt > 64 ? 64 : nt;
	for (int r = 0; r <= runs; r++) {
		double t0 = bm_now();
		for (int i = 0; i < nt; i++) {
			jobs[i] = (bm_bw){buf + n * (size_t)i / (size_t)nt, n / (size_t)nt, 0};
			if (i && pthread_create(&th[i], NULL, bm_bw_run, &jobs[i]))
				exit(2);
		}
		bm_bw_run(&jobs[0]);
		for (int i = 1; i < nt; i++)
			pthread_join(th[i], NULL);
		double g = (double)bytes / (bm_now() - t0) / 1e9;
		for (int i = 0; i < nt; i++)
			sink += jobs[i].sum;
		if (r && g > best)
			best = g;
	}
	free(buf);
	return sink == -1 ? 0 : best;
}

static long bm_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static const char *bm_meets(int ok)
{
	return ok ? "meets" : "MISSES";
}

/* ---------------------------------------------------------------- main */

static void bm_fail(const char *what, const char *err)
{
	fprintf(stderr, "bench_models: %s: %s\n", what, err);
	exit(2);
}

int main(int argc, char **argv)
{
	blas_tune_reexec(argv);
	static const struct option opts[] = {
		{"family", required_argument, NULL, 'f'}, {"dtype", required_argument, NULL, 't'},
		{"dir", required_argument, NULL, 'd'},    {"keep", no_argument, NULL, 'k'},
		{"reps", required_argument, NULL, 'r'},   {"gen", required_argument, NULL, 'g'},
		{"live-layer", required_argument, NULL, 'l'}, {"write-only", no_argument, NULL, 'w'}, {0}};
	const char *family = "gemma2", *dtype = "BF16", *dir = NULL;
	int keep = 0, write_only = 0, reps = 5, gen = 32, layer = 20, ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'f': family = optarg; break;
		case 't': dtype = optarg; break;
		case 'd': dir = optarg; break;
		case 'k': keep = 1; break;
		case 'w': write_only = keep = 1; break;
		case 'r': reps = atoi(optarg); break;
		case 'g': gen = atoi(optarg); break;
		case 'l': layer = atoi(optarg); break;
		default: fputs("usage: bench_models [--family gemma2|llama] [--dtype BF16|F32|F16] [--dir DIR] [--keep]\n"
		               "                    [--reps N] [--gen N] [--live-layer L] [--write-only]\n", stderr);
		         return 1;
		}
	const bm_shape *s = NULL;
	for (size_t i = 0; i < sizeof bm_shapes / sizeof *bm_shapes; i++)
		if (strcmp(bm_shapes[i].family, family) == 0)
			s = &bm_shapes[i];
	int es = strcmp(dtype, "F32") == 0 ? 4 : 2, f16 = strcmp(dtype, "F16") == 0;
	if (!s || reps < 1 || gen < 1 || layer < 0 || layer >= s->L) {
		fprintf(stderr, "bench_models: unknown family, or a bad --reps, --gen or --live-layer\n");
		return 1;
	}
	char dbuf[1024], mdir[1100], sdir[1100], err[SAEX_ERR_LEN];
	if (!dir) {
		snprintf(dbuf, sizeof dbuf, "/tmp/saex-bench/models/%s-%s", family, dtype);
		dir = dbuf;
	}
	snprintf(mdir, sizeof mdir, "%s/model", dir);
	snprintf(sdir, sizeof sdir, "%s/sae-%d", dir, layer);
	char cmd[2400];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", mdir, sdir);
	if (system(cmd) != 0)
		bm_fail(dir, "cannot make the folder");
	char probe[1300];
	struct stat st;
	snprintf(probe, sizeof probe, "%s/model.safetensors", mdir);
	if (stat(probe, &st) != 0) {
		printf("== writing a random %s %s checkpoint to %s\n", family, dtype, mdir);
		fflush(stdout);
		if (bm_write_model(mdir, s, es, f16))
			return 2;
		stat(probe, &st);
	}
	double file_mb = (double)st.st_size / 1e6;
	snprintf(probe, sizeof probe, "%s/sae_weights.safetensors", sdir);
	if (stat(probe, &st) != 0 && bm_write_sae(sdir, s, layer))
		return 2;
	if (write_only) /* the checkpoint for bench_startup.sh, kept */
		return 0;

	int threads = openblas_get_num_threads();
	printf("== %s-shaped %s model, %.0f MB; %d threads\n", family, dtype, file_mb, threads);
	double peak = bm_peak(6), bw = bm_bandwidth(threads, 1024, 4);
	printf("[limits] sgemm %.1f GFLOP/s, read bandwidth %.2f GB/s\n", peak, bw);

	double t0 = bm_now();
	saex_model *m = saex_model_load(mdir, err, sizeof err);
	if (!m)
		bm_fail(mdir, err);
	double load_ms = (bm_now() - t0) * 1e3;
	const saex_model_config *c = saex_model_config_of(m);
	size_t V = (size_t)c->vocab;
	float *logits = bm_alloc(V * sizeof *logits);
	enum { T = 128 };
	uint32_t ids[T];
	uint64_t seed = 42;
	for (int i = 0; i < T; i++)
		ids[i] = (uint32_t)(bm_rand(&seed) % V);

	/* prompt */
	double D = c->d_model, Zq = (double)c->n_heads * c->head_dim, Zk = (double)c->n_kv_heads * c->head_dim;
	double per_tok = 2 * D * (Zq + 2 * Zk) + 2 * Zq * D + 6 * D * c->d_mlp;
	double flops = c->n_layers * (T * per_tok + 4.0 * c->head_dim * c->n_heads * T * (T + 1) / 2) + 2 * D * V;
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.logits = logits;
	o.logits_last = 1;
	double *times = bm_alloc((size_t)(reps + gen + 1) * sizeof *times);
	t0 = bm_now();
	if (saex_model_forward(m, ids, T, &o, err, sizeof err))
		bm_fail("prompt", err);
	double first_ms = (bm_now() - t0) * 1e3;
	/* each prompt right after an sgemm peak of its own: on a host whose
	 * speed drifts (other jobs), the pair's ratio is the steadier figure */
	double *pair = bm_alloc((size_t)reps * sizeof *pair);
	for (int r = 0; r < reps; r++) {
		double pk = bm_peak(2);
		t0 = bm_now();
		if (saex_model_forward(m, ids, T, &o, err, sizeof err))
			bm_fail("prompt", err);
		times[r] = bm_now() - t0;
		pair[r] = flops / times[r] / 1e9 / pk;
	}
	double prompt_ms = bm_median(times, (size_t)reps) * 1e3, paired = bm_median(pair, (size_t)reps);
	double frac = flops / (prompt_ms / 1e3) / 1e9 / peak;
	printf("[prompt] %d tokens, every layer: %.1f ms (first %.1f ms, load %.1f ms), %.1f GFLOP/s = %.1f %% of "
	       "sgemm, %.1f %% paired   bar >= 50 %%  %s\n", T, prompt_ms, first_ms, load_ms,
	       flops / (prompt_ms / 1e3) / 1e9, 100 * frac, 100 * paired, bm_meets(paired >= 0.5));

	/* generation */
	double bytes = (double)c->n_layers * (D * (Zq + 2 * Zk) + Zq * D + 3 * D * c->d_mlp) * es + (double)V * D * es;
	saex_kv *kv = saex_kv_new(m, (size_t)(16 + gen + 1));
	if (!kv)
		bm_fail("KV cache", "out of memory");
	if (saex_model_forward_kv(m, kv, ids, 16, &o, err, sizeof err))
		bm_fail("generation", err);
	uint32_t tok = ids[15];
	double *gpair = bm_alloc((size_t)gen * sizeof *gpair);
	for (int g = 0; g < gen; g++) {
		double gbw = bm_bandwidth(threads, 256, 1); /* each token beside a bandwidth of its own */
		size_t best = 0;
		for (size_t i = 1; i < V; i++)
			best = logits[i] > logits[best] ? i : best;
		tok = (uint32_t)best;
		t0 = bm_now();
		if (saex_model_forward_kv(m, kv, &tok, 1, &o, err, sizeof err))
			bm_fail("generation", err);
		times[g] = bm_now() - t0;
		gpair[g] = times[g] / (bytes / (gbw * 1e9));
	}
	saex_kv_free(kv);
	double gen_ms = bm_median(times, (size_t)gen) * 1e3, bound_ms = bytes / (bw * 1e9) * 1e3;
	double gen_paired = bm_median(gpair, (size_t)gen);
	printf("[gen] %.2f ms/token; %.0f MB of weights a token / %.2f GB/s = %.2f ms: %.2f x the bound, %.2f x "
	       "paired   bar <= 1.5  %s\n", gen_ms, bytes / 1e6, bw, bound_ms, gen_ms / bound_ms, gen_paired,
	       bm_meets(gen_paired <= 1.5));
	double rss_mb = (double)bm_rss_kb() / 1024 * 1.048576;
	printf("[memory] VmRSS %.0f MB / file %.0f MB = %.3f   bar <= 1.2  %s\n", rss_mb, file_mb, rss_mb / file_mb,
	       bm_meets(rss_mb / file_mb <= 1.2));

	/* live test */
	saex_sae *sae = saex_sae_load(sdir, err, sizeof err);
	if (!sae)
		bm_fail(sdir, err);
	float *f = bm_alloc(64 * (size_t)BM_DSAE * sizeof *f);
	for (int r = 0; r <= reps; r++) {
		t0 = bm_now();
		if (saex_sae_features(m, sae, ids, 64, NULL, 0, f, err, sizeof err))
			bm_fail("live test", err);
		if (r)
			times[r - 1] = bm_now() - t0;
	}
	double live_ms = bm_median(times, (size_t)reps) * 1e3;
	printf("[live] 64 tokens to layer %d + a %d-feature encode: %.1f ms\n", layer, BM_DSAE, live_ms);
	printf("RESULT family=%s dtype=%s threads=%d peak_gflops=%.1f bw_gbs=%.2f load_ms=%.1f prompt_ms=%.1f "
	       "prompt_peak_frac=%.3f prompt_pair_frac=%.3f gen_ms=%.2f gen_bound_ms=%.2f gen_ratio=%.3f "
	       "gen_pair_ratio=%.3f rss_mb=%.0f file_mb=%.0f rss_ratio=%.3f live_ms=%.1f\n", family, dtype, threads, peak,
	       bw, load_ms, prompt_ms, frac, paired, gen_ms, bound_ms, gen_ms / bound_ms, gen_paired, rss_mb, file_mb,
	       rss_mb / file_mb, live_ms);
	free(pair);
	free(gpair);
	free(f);
	free(times);
	free(logits);
	saex_sae_free(sae);
	saex_model_free(m);
	if (!keep) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 2;
	}
	return 0;
}
