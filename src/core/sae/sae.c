/* sae.c - SAELens sparse autoencoders: load, encode, decode, metrics. */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"
#include "affine.h"
#include "team.h"

#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct saex_sae {
	saex_sae_info info;
	char *hook, *model_name;
	saex_safetensors *st;
	const float *W_enc, *W_dec, *b_enc, *b_dec, *threshold, *b_gate, *b_mag, *r_mag;
	float *exp_r_mag;
	float *owned[8];
	int n_owned;
};

const char *saex_sae_arch_name(saex_sae_arch a)
{
	static const char *const n[] = {"standard", "topk", "jumprelu", "gated"};
	return (unsigned)a < 4 ? n[a] : "?";
}

const char *saex_sae_norm_name(saex_sae_norm a)
{
	static const char *const n[] = {"none", "constant_norm_rescale", "layer_norm", "expected_average_only_in"};
	return (unsigned)a < 4 ? n[a] : "?";
}

const saex_sae_info *saex_sae_get_info(const saex_sae *s)
{
	return &s->info;
}

void saex_sae_free(saex_sae *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_owned; i++)
		free(s->owned[i]);
	free(s->exp_r_mag);
	saex_safetensors_close(s->st);
	free(s->hook);
	free(s->model_name);
	free(s);
}

/* A positive integer field; 0 when absent, -1 on a bad value. */
static int cfg_pos(json_t *root, const char *key, int64_t *out, const char *path, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	double d = json_is_integer(v) ? (double)json_integer_value(v) : json_is_real(v) ? json_real_value(v) : -1;
	if (d < 1 || d > (double)(1 << 30) || d != floor(d)) {
		tensor_fail(err, errlen, "%s: '%s' must be a positive integer", path, key);
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

static int cfg_bool(json_t *root, const char *key, int dflt, int *out, const char *path, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v)) {
		tensor_fail(err, errlen, "%s: '%s' must be true or false", path, key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static const char *cfg_str(json_t *root, json_t *meta, const char *key)
{
	json_t *v = meta ? json_object_get(meta, key) : NULL;
	if (!v || !json_is_string(v))
		v = json_object_get(root, key);
	return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static int cww_in(json_t *o)
{
	if (!o || !json_is_object(o))
		return 0;
	if (json_is_true(json_object_get(o, "center_writing_weights")))
		return 1;
	json_t *k = json_object_get(o, "model_from_pretrained_kwargs");
	return k && json_is_object(k) && json_is_true(json_object_get(k, "center_writing_weights"));
}

static int load_cfg(saex_sae *s, const char *dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/cfg.json", dir);
	json_t *root = tensor_json_object(path, err, errlen);
	saex_sae_info *in = &s->info;
	int rc = -1;
	if (!root)
		goto out;
	json_t *meta = json_object_get(root, "metadata");
	if (meta && !json_is_object(meta))
		meta = NULL;
	if (cfg_pos(root, "d_in", &in->d_in, path, err, errlen) ||
	    cfg_pos(root, "d_sae", &in->d_sae, path, err, errlen))
		goto out;
	if (!in->d_in || !in->d_sae) {
		tensor_fail(err, errlen, "%s: '%s' is missing", path, in->d_in ? "d_sae" : "d_in");
		goto out;
	}
	if (cfg_bool(root, "apply_b_dec_to_input", 1, &in->apply_b_dec_to_input, path, err, errlen))
		goto out;
	/* architecture */
	json_t *a = json_object_get(root, "architecture");
	const char *arch = "standard";
	if (a && !json_is_null(a)) {
		if (!json_is_string(a)) {
			tensor_fail(err, errlen, "%s: 'architecture' must be a string", path);
			goto out;
		}
		arch = json_string_value(a);
	}
	if (!strcmp(arch, "standard"))
		in->arch = SAEX_SAE_STANDARD;
	else if (!strcmp(arch, "topk"))
		in->arch = SAEX_SAE_TOPK;
	else if (!strcmp(arch, "jumprelu"))
		in->arch = SAEX_SAE_JUMPRELU;
	else if (!strcmp(arch, "gated"))
		in->arch = SAEX_SAE_GATED;
	else {
		tensor_fail(err, errlen, "%s: architecture '%s' is not supported (standard, topk, jumprelu, gated)", path, arch);
		goto out;
	}
	json_t *af = json_object_get(root, "activation_fn_str");
	if (af && json_is_string(af)) {
		const char *fn = json_string_value(af);
		if (!strcmp(fn, "topk")) {
			if (in->arch == SAEX_SAE_STANDARD)
				in->arch = SAEX_SAE_TOPK;
		} else if (strcmp(fn, "relu") != 0) {
			tensor_fail(err, errlen, "%s: activation_fn_str '%s' is not supported (relu, topk)", path, fn);
			goto out;
		}
	}
	if (in->arch == SAEX_SAE_TOPK) {
		int64_t k = 0;
		if (cfg_pos(root, "k", &k, path, err, errlen))
			goto out;
		json_t *kw = json_object_get(root, "activation_fn_kwargs");
		if (!k && kw && json_is_object(kw) && cfg_pos(kw, "k", &k, path, err, errlen))
			goto out;
		if (!k) {
			tensor_fail(err, errlen, "%s: a topk SAE needs 'k' (or activation_fn_kwargs.k)", path);
			goto out;
		}
		if (k > in->d_sae) {
			tensor_fail(err, errlen, "%s: 'k' %lld exceeds d_sae %lld", path, (long long)k, (long long)in->d_sae);
			goto out;
		}
		in->k = (int)k;
	}
	/* normalisation */
	json_t *nv = json_object_get(root, "normalize_activations");
	in->norm = SAEX_NORM_NONE;
	if (nv && json_is_boolean(nv))
		in->norm = json_is_true(nv) ? SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN : SAEX_NORM_NONE;
	else if (nv && json_is_string(nv)) {
		const char *ns = json_string_value(nv);
		if (!strcmp(ns, "none"))
			in->norm = SAEX_NORM_NONE;
		else if (!strcmp(ns, "constant_norm_rescale"))
			in->norm = SAEX_NORM_CONSTANT_NORM_RESCALE;
		else if (!strcmp(ns, "layer_norm"))
			in->norm = SAEX_NORM_LAYER_NORM;
		else if (!strcmp(ns, "expected_average_only_in"))
			in->norm = SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN;
		else {
			tensor_fail(err, errlen, "%s: normalize_activations '%s' is not supported", path, ns);
			goto out;
		}
	} else if (nv && !json_is_null(nv)) {
		tensor_fail(err, errlen, "%s: 'normalize_activations' must be a string or a boolean", path);
		goto out;
	}
	in->center_writing_weights = cww_in(root) || cww_in(meta);
	/* hook */
	const char *hook = cfg_str(root, meta, "hook_name");
	if (!hook)
		hook = cfg_str(root, meta, "hook_point");
	s->hook = xasprintf("%s", hook ? hook : "");
	in->hook_name = s->hook;
	const char *mname = cfg_str(root, meta, "model_name");
	s->model_name = xasprintf("%s", mname ? mname : "");
	in->model_name = s->model_name;
	in->layer = -1;
	json_t *hl = json_object_get(root, "hook_point_layer");
	if (!hl)
		hl = json_object_get(root, "hook_layer");
	if (hl && json_is_integer(hl) && json_integer_value(hl) >= 0 && json_integer_value(hl) < (1 << 20))
		in->layer = (int)json_integer_value(hl);
	else if (!strncmp(s->hook, "blocks.", 7)) {
		char *e;
		long l = strtol(s->hook + 7, &e, 10);
		if (e != s->hook + 7 && *e == '.' && l >= 0 && l < (1 << 20))
			in->layer = (int)l;
	}
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

static int get_t(saex_sae *s, const char *path, const char *name, int ndim, int64_t d0, int64_t d1,
                 const float **out, char *err, size_t errlen)
{
	const saex_tensor *t = saex_safetensors_find(s->st, name);
	if (!t) {
		tensor_fail(err, errlen, "%s: tensor '%s' is missing (a %s SAE needs it)", path, name,
		       saex_sae_arch_name(s->info.arch));
		return -1;
	}
	int ok = t->ndim == ndim && t->shape[0] == d0 && (ndim < 2 || t->shape[1] == d1);
	if (!ok) {
		char got[128] = "", *p = got;
		for (int i = 0; i < t->ndim && p < got + 100; i++)
			p += snprintf(p, (size_t)(got + sizeof got - p), "%s%lld", i ? ", " : "", (long long)t->shape[i]);
		if (ndim == 2)
			tensor_fail(err, errlen, "%s: tensor '%s' has shape [%s], wanted [%lld, %lld] (d_in %lld, d_sae %lld in cfg.json)",
			       path, name, got, (long long)d0, (long long)d1, (long long)s->info.d_in,
			       (long long)s->info.d_sae);
		else
			tensor_fail(err, errlen, "%s: tensor '%s' has shape [%s], wanted [%lld]", path, name, got, (long long)d0);
		return -1;
	}
	float *owned = NULL;
	*out = saex_tensor_f32(t, &owned);
	if (!*out) {
		tensor_fail(err, errlen, "%s: tensor '%s': out of memory", path, name);
		return -1;
	}
	/* A NaN or infinity would pass through ReLU as 0 and leave its feature
	 * silently dead: refuse the file instead. */
	int64_t n = t->shape[0] * (ndim == 2 ? t->shape[1] : 1), bad = -1;
	for (int64_t i = 0; i < n && bad < 0; i++)
		if (!isfinite((*out)[i]))
			bad = i;
	if (bad >= 0) {
		if (ndim == 2)
			tensor_fail(err, errlen, "%s: tensor '%s' holds %s at [%lld, %lld]", path, name,
			            isnan((*out)[bad]) ? "NaN" : "infinity", (long long)(bad / d1), (long long)(bad % d1));
		else
			tensor_fail(err, errlen, "%s: tensor '%s' holds %s at [%lld]", path, name,
			            isnan((*out)[bad]) ? "NaN" : "infinity", (long long)bad);
		free(owned);
		return -1;
	}
	if (owned)
		s->owned[s->n_owned++] = owned;
	return 0;
}

saex_sae *saex_sae_load(const char *dir, char *err, size_t errlen)
{
	saex_sae *s = xcalloc(1, sizeof *s);
	char *path = NULL;
	if (load_cfg(s, dir, err, errlen))
		goto fail;
	path = xasprintf("%s/sae_weights.safetensors", dir);
	s->st = saex_safetensors_open(path, err, errlen);
	if (!s->st)
		goto fail;
	int64_t di = s->info.d_in, ds = s->info.d_sae;
	if (get_t(s, path, "W_enc", 2, di, ds, &s->W_enc, err, errlen) ||
	    get_t(s, path, "W_dec", 2, ds, di, &s->W_dec, err, errlen) ||
	    get_t(s, path, "b_dec", 1, di, 0, &s->b_dec, err, errlen))
		goto fail;
	if (s->info.arch == SAEX_SAE_GATED) {
		if (get_t(s, path, "b_gate", 1, ds, 0, &s->b_gate, err, errlen) ||
		    get_t(s, path, "b_mag", 1, ds, 0, &s->b_mag, err, errlen) ||
		    get_t(s, path, "r_mag", 1, ds, 0, &s->r_mag, err, errlen))
			goto fail;
		s->exp_r_mag = xmalloc((size_t)ds * sizeof(float));
		for (int64_t j = 0; j < ds; j++)
			s->exp_r_mag[j] = expf(s->r_mag[j]);
	} else if (get_t(s, path, "b_enc", 1, ds, 0, &s->b_enc, err, errlen))
		goto fail;
	if (s->info.arch == SAEX_SAE_JUMPRELU && get_t(s, path, "threshold", 1, ds, 0, &s->threshold, err, errlen))
		goto fail;
	free(path);
	return s;
fail:
	free(path);
	saex_sae_free(s);
	return NULL;
}

/* Is (a, ia) ranked before (b, ib)? Larger first, then the lower index. */
static int before(float a, int64_t ia, float b, int64_t ib)
{
	return a > b || (a == b && ia < ib);
}

static void topk_row(float *pre, int64_t d, int k, int64_t *heap)
{
	/* heap: a min-heap (by rank) of the k best seen so far */
	int n = 0;
	for (int64_t j = 0; j < d; j++) {
		if (n < k) {
			int c = n++;
			heap[c] = j;
			while (c > 0) {
				int p = (c - 1) / 2;
				if (before(pre[heap[p]], heap[p], pre[heap[c]], heap[c])) {
					int64_t t = heap[p];
					heap[p] = heap[c];
					heap[c] = t;
					c = p;
				} else
					break;
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
	float *keep = xmalloc((size_t)n * sizeof(float));
	for (int i = 0; i < n; i++)
		keep[i] = pre[heap[i]] > 0 ? pre[heap[i]] : 0;
	memset(pre, 0, (size_t)d * sizeof(float));
	for (int i = 0; i < n; i++)
		pre[heap[i]] = keep[i];
	free(keep);
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

static void activate(const saex_sae *s, float *pre, int64_t *heap)
{
	int64_t d = s->info.d_sae;
	switch (s->info.arch) {
	case SAEX_SAE_STANDARD:
		relu_row(pre, d);
		break;
	case SAEX_SAE_JUMPRELU:
		for (int64_t j = 0; j < d; j++)
			pre[j] = pre[j] > s->threshold[j] && pre[j] > 0 ? pre[j] : 0;
		break;
	case SAEX_SAE_TOPK:
		topk_row(pre, d, s->info.k, heap);
		break;
	case SAEX_SAE_GATED:
		for (int64_t j = 0; j < d; j++) {
			float g = pre[j], m = g * s->exp_r_mag[j] + s->b_mag[j];
			pre[j] = g + s->b_gate[j] > 0 && m > 0 ? m : 0;
		}
		break;
	}
}

void saex_sae_activate(const saex_sae *s, float *pre)
{
	int64_t *heap = s->info.arch == SAEX_SAE_TOPK ? xmalloc((size_t)s->info.k * sizeof(int64_t)) : NULL;
	activate(s, pre, heap);
	free(heap);
}

typedef struct enc_job {
	const saex_sae *s;
	const float *xc;
	float *f;
	size_t n;
	int64_t *heaps; /* k + 1 for each member */
} enc_job;

/* The member's share of the columns of f = xc W_enc + b_enc (affine.h). */
static void enc_gemm(void *ctx, int i, int nm)
{
	const enc_job *j = ctx;
	const saex_sae *s = j->s;
	size_t di = (size_t)s->info.d_in, ds = (size_t)s->info.d_sae, c0, c1;
	team_share(ds, i, nm, 16, &c0, &c1);
	affine_cols(j->f, j->xc, s->W_enc, s->b_enc, j->n, di, ds, c0, c1);
}

static void enc_act(void *ctx, int i, int nm)
{
	const enc_job *j = ctx;
	size_t ds = (size_t)j->s->info.d_sae, r0, r1;
	team_share(j->n, i, nm, 1, &r0, &r1);
	for (size_t r = r0; r < r1; r++)
		activate(j->s, j->f + r * ds, j->heaps + (size_t)i * ((size_t)j->s->info.k + 1));
}

int saex_sae_encode(const saex_sae *s, const float *x, size_t n, float *f, float *norm)
{
	int64_t di = s->info.d_in;
	if (n == 0)
		return 0;
	float *xc = malloc(n * (size_t)di * sizeof(float));
	if (!xc)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const float *xi = x + i * (size_t)di;
		float *r = xc + i * (size_t)di;
		double mean = 0;
		for (int64_t j = 0; j < di; j++)
			mean += xi[j];
		mean /= (double)di;
		for (int64_t j = 0; j < di; j++)
			r[j] = s->info.center_writing_weights ? (float)(xi[j] - mean) : xi[j];
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
		if (norm) {
			norm[2 * i] = scale;
			norm[2 * i + 1] = shift;
		}
		if (s->info.apply_b_dec_to_input)
			for (int64_t j = 0; j < di; j++)
				r[j] -= s->b_dec[j];
	}
	/* Several rows: split among a team (team.h), output columns for the
	 * product, rows for the activation (a top-k needs whole rows). A model
	 * run and its encoding then never leave OpenBLAS's threads spinning in
	 * the way of the next run, as in saex build's loop. */
	team *tm = n > 1 ? team_blas_start() : NULL;
	int members = tm ? team_size(tm) : 1;
	int64_t *heaps = malloc((size_t)members * ((size_t)s->info.k + 1) * sizeof(int64_t));
	if (!heaps) {
		team_blas_end(tm);
		free(xc);
		return -1;
	}
	enc_job j = {s, xc, f, n, heaps};
	team_run(tm, enc_gemm, &j);
	team_run(tm, enc_act, &j);
	team_blas_end(tm);
	free(heaps);
	free(xc);
	return 0;
}

void saex_sae_decode(const saex_sae *s, const float *f, size_t n, const float *norm, float *xhat)
{
	int64_t di = s->info.d_in, ds = s->info.d_sae;
	for (size_t i = 0; i < n; i++) {
		const float *fi = f + i * (size_t)ds;
		float *o = xhat + i * (size_t)di;
		memcpy(o, s->b_dec, (size_t)di * sizeof(float));
		for (int64_t j = 0; j < ds; j++) {
			if (fi[j] == 0)
				continue;
			const float *w = s->W_dec + j * di;
			for (int64_t c = 0; c < di; c++)
				o[c] += fi[j] * w[c];
		}
		if (norm && (norm[2 * i] != 1 || norm[2 * i + 1] != 0))
			for (int64_t c = 0; c < di; c++)
				o[c] = o[c] * norm[2 * i] + norm[2 * i + 1];
	}
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

const float *saex_sae_decoder_row(const saex_sae *s, int64_t i)
{
	return i >= 0 && i < s->info.d_sae ? s->W_dec + i * s->info.d_in : NULL;
}
