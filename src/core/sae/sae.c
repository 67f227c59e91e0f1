/* sae.c - SAEs and transcoders once loaded (sae_int.h): encode, decode,
 * the skip connection, decoder rows, metrics. The formulas are in
 * saex_sae.h; the loaders in sae_load.c and sae_pub.c. */
#include "config.h"
#include "saex.h"
#include "sae_int.h"
#include "tensor_util.h"
#include "affine.h"
#include "team.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *saex_sae_arch_name(saex_sae_arch a)
{
	static const char *const n[] = {"standard", "topk", "jumprelu", "gated", "groupmax"};
	return (unsigned)a < SAEX_ARRAY_LEN(n) ? n[a] : "?";
}

const char *saex_sae_norm_name(saex_sae_norm a)
{
	static const char *const n[] = {"none", "constant_norm_rescale", "layer_norm", "expected_average_only_in"};
	return (unsigned)a < SAEX_ARRAY_LEN(n) ? n[a] : "?";
}

const char *saex_sae_format_name(saex_sae_format f)
{
	static const char *const n[] = {"SAELens", "Gemma Scope", "Gemma Scope 2", "Llama Scope", "sparsify"};
	return (unsigned)f < SAEX_ARRAY_LEN(n) ? n[f] : "?";
}

const saex_sae_info *saex_sae_get_info(const saex_sae *s)
{
	return &s->info;
}

const float *saex_sae_threshold(const saex_sae *s)
{
	return s->info.arch == SAEX_SAE_JUMPRELU ? s->threshold : NULL;
}

void saex_sae_free(saex_sae *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_owned; i++)
		free(s->owned[i]);
	float *v[] = {s->b_enc, s->b_dec_in, s->b_dec_out, s->threshold, s->b_gate, s->b_mag, s->exp_r_mag, s->dec_norm};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(v); i++)
		free(v[i]);
	free(s->enc_copy);
	pthread_mutex_destroy(&s->lock);
	saex_safetensors_close(s->st);
	saex_npz_close(s->npz);
	char *str[] = {s->hook, s->hook_out, s->model_name, s->arch_name, s->dir, s->weights};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(str); i++)
		free(str[i]);
	free(s);
}

/* ---------------------------------------------------------------- activations */

/* Is (a, ia) ranked before (b, ib)? Larger first, then the lower index:
 * the one rule for top-k ties. */
static int before(float a, int64_t ia, float b, int64_t ib)
{
	return a > b || (a == b && ia < ib);
}

/* pre keeps its k best (by before()) ReLU'd, the rest 0. heap and keep
 * have room for k. */
static void topk_row(float *pre, int64_t d, int k, int64_t *heap, float *keep)
{
	/* heap: a min-heap (by rank) of the k best seen so far */
	int n = 0;
	for (int64_t j = 0; j < d; j++) {
		if (n < k) {
			int c = n++;
			heap[c] = j;
			while (c > 0) {
				int p = (c - 1) / 2;
				if (!before(pre[heap[p]], heap[p], pre[heap[c]], heap[c]))
					break;
				int64_t t = heap[p];
				heap[p] = heap[c];
				heap[c] = t;
				c = p;
			}
		} else if (before(pre[j], j, pre[heap[0]], heap[0])) {
			heap[0] = j;
			int c = 0;
			for (;;) {
				int l = 2 * c + 1, r = l + 1, m = c;
				if (l < n && before(pre[heap[m]], heap[m], pre[heap[l]], heap[l]))
					m = l;
				if (r < n && before(pre[heap[m]], heap[m], pre[heap[r]], heap[r]))
					m = r;
				if (m == c)
					break;
				int64_t t = heap[m];
				heap[m] = heap[c];
				heap[c] = t;
				c = m;
			}
		}
	}
	for (int i = 0; i < n; i++)
		keep[i] = pre[heap[i]] > 0 ? pre[heap[i]] : 0;
	memset(pre, 0, (size_t)d * sizeof(float));
	for (int i = 0; i < n; i++)
		pre[heap[i]] = keep[i];
}

/* pre[j] = pre[j] > 0 ? pre[j] : 0 (NaN and -0 give +0), without
 * branches: half the values of a row are positive, so a branch per value
 * is mispredicted half the time. GCC/Clang vector extensions, 4 lanes (one
 * SSE2 register on x86-64; wider vectors get split into scalar code). */
typedef float relu_v4 __attribute__((vector_size(16)));
typedef int32_t relu_i4 __attribute__((vector_size(16)));

static void relu_row(float *pre, int64_t d)
{
	const relu_v4 zero = {0, 0, 0, 0};
	int64_t j = 0;
	for (; j + 8 <= d; j += 8) {
		relu_v4 a, b;
		memcpy(&a, pre + j, sizeof a);
		memcpy(&b, pre + j + 4, sizeof b);
		a = (relu_v4)((relu_i4)a & (a > zero)); /* all ones where > 0 */
		b = (relu_v4)((relu_i4)b & (b > zero));
		memcpy(pre + j, &a, sizeof a);
		memcpy(pre + j + 4, &b, sizeof b);
	}
	for (; j < d; j++)
		pre[j] = pre[j] > 0 ? pre[j] : 0;
}

/* sparsify's group-max: ReLU, then k equal groups each keep their largest
 * (the first on a tie), the rest 0. */
static void groupmax_row(float *pre, int64_t d, int k)
{
	int64_t g = d / k;
	relu_row(pre, d);
	for (int64_t a = 0; a < d; a += g) {
		int64_t best = a;
		for (int64_t j = a + 1; j < a + g; j++)
			if (pre[j] > pre[best])
				best = j;
		for (int64_t j = a; j < a + g; j++)
			if (j != best)
				pre[j] = 0;
	}
}

/* The activation of one row; scratch has room for k indices and k floats. */
static void activate(const saex_sae *s, float *pre, int64_t *scratch)
{
	int64_t d = s->info.d_sae;
	if (s->dec_norm) /* rescale_acts_by_decoder_norm */
		for (int64_t j = 0; j < d; j++)
			pre[j] *= s->dec_norm[j];
	switch (s->info.arch) {
	case SAEX_SAE_STANDARD:
		relu_row(pre, d);
		break;
	case SAEX_SAE_JUMPRELU:
		for (int64_t j = 0; j < d; j++)
			pre[j] = pre[j] > s->threshold[j] && pre[j] > 0 ? pre[j] : 0;
		break;
	case SAEX_SAE_TOPK:
		topk_row(pre, d, s->info.k, scratch, (float *)(scratch + s->info.k));
		break;
	case SAEX_SAE_GROUPMAX:
		groupmax_row(pre, d, s->info.k);
		break;
	case SAEX_SAE_GATED:
		for (int64_t j = 0; j < d; j++) {
			float g = pre[j], m = g * s->exp_r_mag[j] + s->b_mag[j];
			pre[j] = g + s->b_gate[j] > 0 && m > 0 ? m : 0;
		}
		break;
	}
}

/* Scratch per row for activate: k indices and k floats. */
static size_t scratch_len(const saex_sae *s)
{
	return 2 * (size_t)s->info.k + 1;
}

void saex_sae_activate(const saex_sae *s, float *pre)
{
	int64_t *scratch = malloc(scratch_len(s) * sizeof *scratch);
	if (scratch) /* without memory (a test helper): pre stays as it is */
		activate(s, pre, scratch);
	free(scratch);
}

/* ---------------------------------------------------------------- matrices */

/* Gives the pages wholly inside [p, p + n) of the read-only map back to
 * the kernel: they are read again from the file if ever touched. */
static void drop_pages(const unsigned char *p, size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	uintptr_t b = ((uintptr_t)p + n) & ~((uintptr_t)pg - 1);
	if (pg > 0 && b > a)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

/* The encoder for BLAS: in place when aligned, else the aligned copy the
 * first call makes (NULL when memory runs out). The copy is the one state
 * an encode changes, behind the SAE's lock. */
static const float *enc_matrix(const saex_sae *cs)
{
	if (cs->enc.aligned)
		return (const float *)(const void *)cs->enc.p;
	saex_sae *s = (saex_sae *)cs;
	pthread_mutex_lock(&s->lock);
	if (!s->enc_copy) {
		size_t n = (size_t)s->info.d_in * (size_t)s->info.d_sae * sizeof(float);
		if ((s->enc_copy = malloc(n))) {
			memcpy(s->enc_copy, s->enc.p, n);
			drop_pages(s->enc.p, n);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return s->enc_copy;
}

/* Feature j's decoder row for BLAS: in place when the matrix is aligned
 * (its values *inc apart), else copied into scratch [d_out]. */
static const float *dec_row(const saex_sae *s, int64_t j, float *scratch, int *inc)
{
	size_t dout = (size_t)s->info.d_out, ds = (size_t)s->info.d_sae;
	size_t off = s->dec.t ? (size_t)j : (size_t)j * dout;
	*inc = s->dec.t ? (int)ds : 1;
	if (s->dec.aligned)
		return (const float *)(const void *)(s->dec.p + off * sizeof(float));
	if (!s->dec.t)
		memcpy(scratch, s->dec.p + off * sizeof(float), dout * sizeof(float));
	else
		for (size_t c = 0; c < dout; c++)
			memcpy(scratch + c, s->dec.p + (c * ds + off) * sizeof(float), sizeof(float));
	*inc = 1;
	return scratch;
}

float sae_dec_norm(const saex_sae *s, int64_t j, float *scratch)
{
	int inc;
	const float *row = dec_row(s, j, scratch, &inc);
	return cblas_snrm2((int)s->info.d_out, row, inc);
}

/* ---------------------------------------------------------------- encode */

typedef struct enc_job {
	const saex_sae *s;
	const float *W;   /* enc_matrix */
	const float *xc;
	float *f;
	size_t n;
	int64_t *scratch; /* scratch_len for each member */
} enc_job;

/* The member's share of the columns of f = xc enc + b_enc (affine.h). The
 * matrix is read by BLAS only: it may be unaligned in the file's map. */
static void enc_gemm(void *ctx, int i, int nm)
{
	const enc_job *j = ctx;
	const saex_sae *s = j->s;
	size_t di = (size_t)s->info.d_in, ds = (size_t)s->info.d_sae, c0, c1;
	team_share(ds, i, nm, 16, &c0, &c1);
	if (s->enc.t)
		affine_cols_tb(j->f, j->xc, j->W, s->b_enc, j->n, di, ds, c0, c1);
	else
		affine_cols(j->f, j->xc, j->W, s->b_enc, j->n, di, ds, c0, c1);
}

static void enc_act(void *ctx, int i, int nm)
{
	const enc_job *j = ctx;
	size_t ds = (size_t)j->s->info.d_sae, r0, r1;
	team_share(j->n, i, nm, 1, &r0, &r1);
	for (size_t r = r0; r < r1; r++)
		activate(j->s, j->f + r * ds, j->scratch + (size_t)i * scratch_len(j->s));
}

/* Row x into r, prepared for the product (saex_sae.h steps 0 to 2); the
 * normalisation's scale and shift into sc[0..1]. */
static void prepare_row(const saex_sae *s, const float *x, float *r, float *sc)
{
	int64_t di = s->info.d_in;
	double mean = 0;
	if (s->info.center_writing_weights) {
		for (int64_t j = 0; j < di; j++)
			mean += x[j];
		mean /= (double)di;
	}
	for (int64_t j = 0; j < di; j++)
		r[j] = (float)(x[j] - mean);
	float scale = 1, shift = 0;
	if (s->info.norm == SAEX_NORM_CONSTANT_NORM_RESCALE) {
		double ss = 0;
		for (int64_t j = 0; j < di; j++)
			ss += (double)r[j] * r[j];
		double c = ss > 0 ? sqrt((double)di) / sqrt(ss) : 1.0;
		for (int64_t j = 0; j < di; j++)
			r[j] = (float)(r[j] * c);
		scale = (float)(1.0 / c);
	} else if (s->info.norm == SAEX_NORM_LAYER_NORM) {
		double mu = 0, var = 0;
		for (int64_t j = 0; j < di; j++)
			mu += r[j];
		mu /= (double)di;
		for (int64_t j = 0; j < di; j++)
			var += (r[j] - mu) * (r[j] - mu);
		double sd = di > 1 ? sqrt(var / (double)(di - 1)) : 0;
		for (int64_t j = 0; j < di; j++)
			r[j] = (float)((r[j] - mu) / (sd + 1e-5));
		scale = (float)sd;
		shift = (float)mu;
	}
	if (s->scale_in != 1)
		for (int64_t j = 0; j < di; j++)
			r[j] *= s->scale_in;
	if (s->b_dec_in)
		for (int64_t j = 0; j < di; j++)
			r[j] -= s->b_dec_in[j];
	sc[0] = scale;
	sc[1] = shift;
}

int saex_sae_encode(const saex_sae *s, const float *x, size_t n, float *f, float *norm)
{
	int64_t di = s->info.d_in;
	if (n == 0)
		return 0;
	const float *W = enc_matrix(s);
	float *xc = malloc(n * (size_t)di * sizeof(float));
	if (!xc || !W) {
		free(xc);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		float sc[2];
		prepare_row(s, x + i * (size_t)di, xc + i * (size_t)di, sc);
		if (norm) {
			norm[2 * i] = sc[0];
			norm[2 * i + 1] = sc[1];
		}
	}
	/* Several rows: split among a team (team.h), output columns for the
	 * product, rows for the activation (a top-k needs whole rows). A model
	 * run and its encoding then never leave OpenBLAS's threads spinning in
	 * the way of the next run, as in saex build's loop. */
	team *tm = n > 1 ? team_blas_start() : NULL;
	int members = tm ? team_size(tm) : 1;
	int64_t *scratch = malloc((size_t)members * scratch_len(s) * sizeof *scratch);
	if (!scratch) {
		team_blas_end(tm);
		free(xc);
		return -1;
	}
	enc_job j = {s, W, xc, f, n, scratch};
	team_run(tm, enc_gemm, &j);
	team_run(tm, enc_act, &j);
	team_blas_end(tm);
	free(scratch);
	free(xc);
	return 0;
}

/* ---------------------------------------------------------------- decode */

int saex_sae_decode(const saex_sae *s, const float *f, size_t n, const float *norm, float *xhat)
{
	int64_t dout = s->info.d_out, ds = s->info.d_sae;
	float *scratch = s->dec.aligned ? NULL : malloc((size_t)dout * sizeof *scratch);
	if (!s->dec.aligned && !scratch)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const float *fi = f + i * (size_t)ds;
		float *o = xhat + i * (size_t)dout;
		memcpy(o, s->b_dec_out, (size_t)dout * sizeof(float));
		for (int64_t j = 0; j < ds; j++) {
			if (fi[j] == 0)
				continue;
			int inc;
			const float *row = dec_row(s, j, scratch, &inc);
			float a = (s->dec_norm ? fi[j] / s->dec_norm[j] : fi[j]) * s->dec_mul;
			cblas_saxpy((int)dout, a, row, inc, o, 1);
		}
		if (norm && !s->info.transcoder && (norm[2 * i] != 1 || norm[2 * i + 1] != 0))
			for (int64_t c = 0; c < dout; c++)
				o[c] = o[c] * norm[2 * i] + norm[2 * i + 1];
	}
	free(scratch);
	return 0;
}

int saex_sae_skip(const saex_sae *s, const float *x, size_t n, float *out)
{
	if (!s->skip.p || n == 0)
		return 0;
	int di = (int)s->info.d_in, dout = (int)s->info.d_out;
	float *copy = NULL;
	if (!s->skip.aligned) { /* rare (safetensors align): a copy for this call */
		size_t bytes = (size_t)di * (size_t)dout * sizeof(float);
		if (!(copy = malloc(bytes)))
			return -1;
		memcpy(copy, s->skip.p, bytes);
	}
	const float *W = copy ? copy : (const float *)(const void *)s->skip.p;
	/* W_skip [d_out, d_in] as x W^T, or [d_in, d_out] as x W */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, s->skip.t ? CblasNoTrans : CblasTrans, (int)n, dout, di, 1.0f, x, di,
	            W, s->skip.t ? dout : di, 1.0f, out, dout);
	free(copy);
	return 0;
}

int saex_sae_decoder_row(const saex_sae *s, int64_t i, float *out)
{
	if (i < 0 || i >= s->info.d_sae)
		return -1;
	int inc;
	const float *row = dec_row(s, i, out, &inc);
	if (row != out)
		cblas_scopy((int)s->info.d_out, row, inc, out, 1);
	if (s->dec_mul != 1)
		cblas_sscal((int)s->info.d_out, s->dec_mul, out, 1);
	return 0;
}

void saex_sae_metrics(const float *x, const float *xhat, size_t n, int64_t d, const float *f,
                      int64_t d_sae, double *l0, double *mse, double *ev)
{
	double nz = 0, se = 0, tv = 0;
	if (f)
		for (size_t i = 0; i < n * (size_t)d_sae; i++)
			nz += f[i] != 0;
	for (int64_t c = 0; c < d; c++) {
		double m = 0;
		for (size_t i = 0; i < n; i++)
			m += x[i * (size_t)d + c];
		m = n ? m / (double)n : 0;
		for (size_t i = 0; i < n; i++) {
			double e = (double)x[i * (size_t)d + c] - xhat[i * (size_t)d + c];
			double v = (double)x[i * (size_t)d + c] - m;
			se += e * e;
			tv += v * v;
		}
	}
	if (l0)
		*l0 = n ? nz / (double)n : 0;
	if (mse)
		*mse = n && d ? se / ((double)n * (double)d) : 0;
	if (ev)
		*ev = tv > 0 ? 1 - se / tv : NAN;
}
