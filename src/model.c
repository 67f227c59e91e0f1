/* model.c - GPT-2 from a Hugging Face folder: loading, the forward pass
 * with OpenBLAS and hook points with TransformerLens names. */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"

#include <cblas.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct layer_w {
	const float *ln1_w, *ln1_b, *attn_w, *attn_b, *aproj_w, *aproj_b;
	const float *ln2_w, *ln2_b, *fc_w, *fc_b, *mproj_w, *mproj_b;
} layer_w;

struct saex_model {
	saex_model_config cfg;
	saex_safetensors *st;
	char *st_path;
	const float *wte, *wpe, *lnf_w, *lnf_b;
	layer_w *layers;
	float **owned; /* converted copies (F16, BF16, unaligned F32) */
	size_t n_owned;
};

/* ---------------------------------------------------------------- numerics */

void saex_layer_norm(float *y, const float *x, size_t n, const float *w, const float *b, float eps)
{
	double mean = 0, var = 0;
	for (size_t i = 0; i < n; i++)
		mean += x[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - mean;
		var += d * d;
	}
	var /= (double)n;
	float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
	for (size_t i = 0; i < n; i++)
		y[i] = (x[i] - m) * inv * w[i] + b[i];
}

/* 0.5 v (1 + tanh u) is v * sigmoid(2u) = v / (1 + exp(-2u)): the same
 * function, within float32 rounding (1.5e-6 relative against float64 over
 * [-4, 4]), and expf is several times faster than tanhf. A large negative
 * u makes exp overflow to inf and the result -0, as the limit says. */
void saex_gelu_new(float *x, size_t n)
{
	const float c2 = 2.0f * 0.7978845608028654f; /* 2 sqrt(2/pi) */
	for (size_t i = 0; i < n; i++) {
		float v = x[i];
		x[i] = v / (1.0f + expf(-c2 * (v + 0.044715f * v * v * v)));
	}
}

void saex_softmax(float *x, size_t n)
{
	float mx = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (x[i] > mx)
			mx = x[i];
	if (mx == -INFINITY) {
		memset(x, 0, n * sizeof *x);
		return;
	}
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		float e = x[i] == -INFINITY ? 0.0f : expf(x[i] - mx);
		x[i] = e;
		sum += e;
	}
	float inv = (float)(1.0 / sum);
	for (size_t i = 0; i < n; i++)
		x[i] *= inv;
}

/* ---------------------------------------------------------------- loading */

static int cfg_int(json_t *root, const char *key, int *out, int required, int dflt, const char *path,
                   char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!v) {
		if (required) {
			tensor_fail(err, errlen, "%s: '%s' is missing", path, key);
			return -1;
		}
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 24)) {
		tensor_fail(err, errlen, "%s: '%s' must be an integer from 1 to %d", path, key, 1 << 24);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static int load_config(saex_model_config *c, const char *dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/config.json", dir);
	json_t *root = tensor_json_object(path, err, errlen);
	int rc = -1;
	if (!root)
		goto out;
	json_t *mt = json_object_get(root, "model_type");
	if (mt && json_is_string(mt) && strcmp(json_string_value(mt), "gpt2") != 0) {
		tensor_fail(err, errlen, "%s: model_type '%s' is not supported (only gpt2)", path, json_string_value(mt));
		goto out;
	}
	if (cfg_int(root, "n_layer", &c->n_layer, 1, 0, path, err, errlen) ||
	    cfg_int(root, "n_head", &c->n_head, 1, 0, path, err, errlen) ||
	    cfg_int(root, "n_embd", &c->n_embd, 1, 0, path, err, errlen) ||
	    cfg_int(root, "vocab_size", &c->vocab_size, 1, 0, path, err, errlen) ||
	    cfg_int(root, "n_positions", &c->n_positions, 0, 0, path, err, errlen))
		goto out;
	if (c->n_positions == 0 && cfg_int(root, "n_ctx", &c->n_positions, 1, 0, path, err, errlen))
		goto out;
	if (c->n_embd % c->n_head) {
		tensor_fail(err, errlen, "%s: n_embd %d is not a multiple of n_head %d", path, c->n_embd, c->n_head);
		goto out;
	}
	json_t *eps = json_object_get(root, "layer_norm_epsilon");
	c->layer_norm_epsilon = 1e-5f;
	if (eps) {
		if (!json_is_number(eps) || json_number_value(eps) < 0 || json_number_value(eps) > 1) {
			tensor_fail(err, errlen, "%s: 'layer_norm_epsilon' must be a number from 0 to 1", path);
			goto out;
		}
		c->layer_norm_epsilon = (float)json_number_value(eps);
	}
	json_t *act = json_object_get(root, "activation_function");
	if (act && (!json_is_string(act) || strcmp(json_string_value(act), "gelu_new") != 0)) {
		tensor_fail(err, errlen, "%s: activation_function '%s' is not supported (only gelu_new)", path,
		       json_is_string(act) ? json_string_value(act) : "(not a string)");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	free(path);
	return rc;
}

/* Finds name (with or without "transformer.") of exactly the shape given
 * (ndim values, then dims) and returns its float32 view. */
static const float *get_w(saex_model *m, char *err, size_t errlen, int ndim, int64_t d0, int64_t d1,
                          const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static const float *get_w(saex_model *m, char *err, size_t errlen, int ndim, int64_t d0, int64_t d1,
                          const char *fmt, ...)
{
	char name[128], pref[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	snprintf(pref, sizeof pref, "transformer.%s", name);
	const saex_tensor *t = saex_safetensors_find(m->st, pref);
	if (!t)
		t = saex_safetensors_find(m->st, name);
	if (!t) {
		tensor_fail(err, errlen, "%s: tensor '%s' is missing", m->st_path, name);
		return NULL;
	}
	int64_t want[2] = {d0, d1};
	int ok = t->ndim == ndim;
	for (int i = 0; ok && i < ndim; i++)
		ok = t->shape[i] == want[i];
	if (!ok) {
		char got[160] = "[", w[64];
		for (int i = 0; i < t->ndim; i++) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof got - l, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
		}
		strncat(got, "]", sizeof got - strlen(got) - 1);
		if (ndim == 1)
			snprintf(w, sizeof w, "[%lld]", (long long)d0);
		else
			snprintf(w, sizeof w, "[%lld, %lld]", (long long)d0, (long long)d1);
		tensor_fail(err, errlen, "%s: tensor '%s' has shape %s, expected %s", m->st_path, t->name, got, w);
		return NULL;
	}
	float *owned;
	const float *p = saex_tensor_f32(t, &owned);
	if (!p) {
		tensor_fail(err, errlen, "%s: tensor '%s': out of memory", m->st_path, t->name);
		return NULL;
	}
	if (owned) {
		m->owned = xrealloc(m->owned, (m->n_owned + 1) * sizeof *m->owned);
		m->owned[m->n_owned++] = owned;
	}
	return p;
}

saex_model *saex_model_load(const char *dir, char *err, size_t errlen)
{
	saex_model *m = xcalloc(1, sizeof *m);
	if (load_config(&m->cfg, dir, err, errlen))
		goto fail;
	m->st_path = xasprintf("%s/model.safetensors", dir);
	m->st = saex_safetensors_open(m->st_path, err, errlen);
	if (!m->st)
		goto fail;
	int64_t d = m->cfg.n_embd, V = m->cfg.vocab_size, P = m->cfg.n_positions;
	if (!(m->wte = get_w(m, err, errlen, 2, V, d, "wte.weight")) ||
	    !(m->wpe = get_w(m, err, errlen, 2, P, d, "wpe.weight")) ||
	    !(m->lnf_w = get_w(m, err, errlen, 1, d, 0, "ln_f.weight")) ||
	    !(m->lnf_b = get_w(m, err, errlen, 1, d, 0, "ln_f.bias")))
		goto fail;
	m->layers = xcalloc((size_t)m->cfg.n_layer, sizeof *m->layers);
	for (int l = 0; l < m->cfg.n_layer; l++) {
		layer_w *w = &m->layers[l];
		if (!(w->ln1_w = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_1.weight", l)) ||
		    !(w->ln1_b = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_1.bias", l)) ||
		    !(w->attn_w = get_w(m, err, errlen, 2, d, 3 * d, "h.%d.attn.c_attn.weight", l)) ||
		    !(w->attn_b = get_w(m, err, errlen, 1, 3 * d, 0, "h.%d.attn.c_attn.bias", l)) ||
		    !(w->aproj_w = get_w(m, err, errlen, 2, d, d, "h.%d.attn.c_proj.weight", l)) ||
		    !(w->aproj_b = get_w(m, err, errlen, 1, d, 0, "h.%d.attn.c_proj.bias", l)) ||
		    !(w->ln2_w = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_2.weight", l)) ||
		    !(w->ln2_b = get_w(m, err, errlen, 1, d, 0, "h.%d.ln_2.bias", l)) ||
		    !(w->fc_w = get_w(m, err, errlen, 2, d, 4 * d, "h.%d.mlp.c_fc.weight", l)) ||
		    !(w->fc_b = get_w(m, err, errlen, 1, 4 * d, 0, "h.%d.mlp.c_fc.bias", l)) ||
		    !(w->mproj_w = get_w(m, err, errlen, 2, 4 * d, d, "h.%d.mlp.c_proj.weight", l)) ||
		    !(w->mproj_b = get_w(m, err, errlen, 1, d, 0, "h.%d.mlp.c_proj.bias", l)))
			goto fail;
	}
	return m;
fail:
	saex_model_free(m);
	return NULL;
}

void saex_model_free(saex_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_owned; i++)
		free(m->owned[i]);
	free(m->owned);
	free(m->layers);
	saex_safetensors_close(m->st);
	free(m->st_path);
	free(m);
}

const saex_model_config *saex_model_config_of(const saex_model *m)
{
	return &m->cfg;
}

/* ---------------------------------------------------------------- hooks */

static const char *const hook_suffix[SAEX_HOOK_KINDS] = {
	"hook_resid_pre", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
	"mlp.hook_post", "hook_mlp_out", "hook_resid_post"};

int saex_hook_parse(const char *name, int *layer, saex_hook_kind *kind)
{
	if (strncmp(name, "blocks.", 7) != 0)
		return -1;
	const char *p = name + 7;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	long l = 0;
	while (*p >= '0' && *p <= '9') {
		l = l * 10 + (*p++ - '0');
		if (l > 1000000)
			return -1;
	}
	if (*p++ != '.')
		return -1;
	for (int k = 0; k < SAEX_HOOK_KINDS; k++)
		if (strcmp(p, hook_suffix[k]) == 0) {
			*layer = (int)l;
			*kind = (saex_hook_kind)k;
			return 0;
		}
	return -1;
}

size_t saex_model_hook_width(const saex_model *m, const char *name)
{
	int l;
	saex_hook_kind k;
	if (saex_hook_parse(name, &l, &k) || l >= m->cfg.n_layer)
		return 0;
	return (size_t)m->cfg.n_embd * (k == SAEX_HOOK_MLP_POST ? 4 : 1);
}

/* ---------------------------------------------------------------- forward */

/* y[T, n] = x[T, k] @ W[k, n] + b. One row (a generated token) goes
 * through sgemv: sgemm would pack all of W for a single row. */
static void linear(float *y, const float *x, const float *W, const float *b, size_t T, size_t k, size_t n)
{
	for (size_t t = 0; t < T; t++)
		memcpy(y + t * n, b, n * sizeof *y);
	if (T == 1)
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, 1.0f, W, (int)n, x, 1, 1.0f, y, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)n, (int)k, 1.0f, x, (int)k, W,
		            (int)n, 1.0f, y, (int)n);
}

/* saex_gelu_new over n values split between as many threads as OpenBLAS
 * uses (the costliest step of a prompt outside the matrix products);
 * element-wise, so the result does not depend on the split. */
typedef struct gelu_job {
	float *x;
	size_t n;
} gelu_job;

static void *gelu_run(void *arg)
{
	gelu_job *j = arg;
	saex_gelu_new(j->x, j->n);
	return NULL;
}

#define GELU_MAX_THREADS 16

/* Runs fn on jobs[0..nt) (each job_size bytes): jobs 1.. on threads of
 * their own, job 0 here; a job whose thread cannot be had runs here too. */
static void run_jobs(void *(*fn)(void *), void *jobs, size_t job_size, int nt)
{
	pthread_t th[GELU_MAX_THREADS];
	int started[GELU_MAX_THREADS] = {0};
	char *j = jobs;
	for (int i = 1; i < nt; i++)
		started[i] = util_thread_start(&th[i], fn, j + (size_t)i * job_size) == 0;
	fn(j);
	for (int i = 1; i < nt; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			fn(j + (size_t)i * job_size);
	}
}
#define GELU_MIN_PER_THREAD 16384

static void gelu_par(float *x, size_t n)
{
	int nt = openblas_get_num_threads();
	if (nt > GELU_MAX_THREADS)
		nt = GELU_MAX_THREADS;
	if ((size_t)nt > n / GELU_MIN_PER_THREAD)
		nt = (int)(n / GELU_MIN_PER_THREAD);
	if (nt < 2) {
		saex_gelu_new(x, n);
		return;
	}
	gelu_job job[GELU_MAX_THREADS];
	for (int i = 0; i < nt; i++) {
		size_t a = n * (size_t)i / (size_t)nt, b = n * (size_t)(i + 1) / (size_t)nt;
		job[i].x = x + a;
		job[i].n = b - a;
	}
	run_jobs(gelu_run, job, sizeof *job, nt);
}

/* Causal attention of T > 1 new rows, heads [h0, h1): for each head
 * sc = scale q_h k_h^T (row i sees keys 0 .. p0+i), softmax, z_h = sc v_h.
 * sc is this job's own [T, Tk] scratch. */
typedef struct attn_job {
	const float *qkv, *K, *V;
	float *z, *sc;
	size_t T, Tk, p0, d, dh, ldk, h0, h1;
	float scale;
} attn_job;

static void *attn_run(void *arg)
{
	const attn_job *j = arg;
	size_t T = j->T, Tk = j->Tk, d = j->d, dh = j->dh;
	for (size_t hd = j->h0; hd < j->h1; hd++) {
		const float *q = j->qkv + hd * dh, *k = j->K + hd * dh, *v = j->V + hd * dh;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)Tk, (int)dh, j->scale, q, (int)(3 * d), k,
		            (int)j->ldk, 0.0f, j->sc, (int)Tk);
		for (size_t i = 0; i < T; i++) {
			float *r = j->sc + i * Tk;
			saex_softmax(r, j->p0 + i + 1);
			for (size_t c = j->p0 + i + 1; c < Tk; c++)
				r[c] = 0.0f;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)dh, (int)Tk, 1.0f, j->sc, (int)Tk, v,
		            (int)j->ldk, 0.0f, j->z + hd * dh, (int)d);
	}
	return NULL;
}

/* The heads split between as many threads as OpenBLAS uses, each running
 * single-threaded BLAS calls: the heads' products are small, and
 * OpenBLAS's own threads would spend more time meeting than working.
 * Each head's numbers do not depend on the split. sc holds
 * attn_threads(nh) [T, Tk] scratch areas. */
static int attn_threads(size_t nh)
{
	int nt = openblas_get_num_threads();
	if (nt > GELU_MAX_THREADS)
		nt = GELU_MAX_THREADS;
	if ((size_t)nt > nh)
		nt = (int)nh;
	return nt < 1 ? 1 : nt;
}

static void attn_par(attn_job base, size_t nh, float *sc)
{
	int nt = attn_threads(nh);
	attn_job job[GELU_MAX_THREADS];
	for (int i = 0; i < nt; i++) {
		job[i] = base;
		job[i].h0 = nh * (size_t)i / (size_t)nt;
		job[i].h1 = nh * (size_t)(i + 1) / (size_t)nt;
		job[i].sc = sc + (size_t)i * base.T * base.Tk;
	}
	if (nt > 1)
		openblas_set_num_threads(1);
	run_jobs(attn_run, job, sizeof *job, nt);
	if (nt > 1)
		openblas_set_num_threads(nt);
}

typedef struct hook_ctx {
	const saex_run_opts *o;
	int *which; /* per hook: layer * SAEX_HOOK_KINDS + kind */
} hook_ctx;

static int fire(const hook_ctx *h, int layer, saex_hook_kind kind, float *act, size_t T, size_t w,
                char *err, size_t errlen)
{
	int key = layer * SAEX_HOOK_KINDS + (int)kind;
	for (size_t i = 0; i < h->o->n_hooks; i++)
		if (h->which[i] == key && h->o->hooks[i].fn(h->o->hooks[i].name, act, T, w, h->o->hooks[i].user)) {
			tensor_fail(err, errlen, "hook %s stopped the run", h->o->hooks[i].name);
			return -1;
		}
	return 0;
}

struct saex_kv {
	const saex_model *m;
	size_t cap, len; /* positions held / filled */
	float *k, *v;    /* [n_layer][cap][d] each */
};

saex_kv *saex_kv_new(const saex_model *m, size_t cap)
{
	if (cap == 0 || cap > (size_t)m->cfg.n_positions)
		cap = (size_t)m->cfg.n_positions;
	saex_kv *kv = xcalloc(1, sizeof *kv);
	kv->m = m;
	kv->cap = cap;
	size_t n = (size_t)m->cfg.n_layer * cap * (size_t)m->cfg.n_embd;
	kv->k = malloc(n * sizeof *kv->k);
	kv->v = malloc(n * sizeof *kv->v);
	if (!kv->k || !kv->v) {
		saex_kv_free(kv);
		return NULL;
	}
	return kv;
}

void saex_kv_free(saex_kv *kv)
{
	if (!kv)
		return;
	free(kv->k);
	free(kv->v);
	free(kv);
}

void saex_kv_reset(saex_kv *kv)
{
	kv->len = 0;
}

size_t saex_kv_len(const saex_kv *kv)
{
	return kv->len;
}

/* The forward pass of T new tokens at positions p0 .. p0+T-1, p0 = the
 * cache's length (0 without one). */
static int forward(saex_model *m, saex_kv *kv, const uint32_t *ids, size_t T, const saex_run_opts *o,
                   char *err, size_t errlen)
{
	static const saex_run_opts none = SAEX_RUN_OPTS_INIT;
	const saex_model_config *c = &m->cfg;
	size_t p0 = kv ? kv->len : 0, room = kv ? kv->cap : (size_t)c->n_positions;
	if (!o)
		o = &none;
	if (kv && kv->m != m) {
		tensor_fail(err, errlen, "the KV cache belongs to another model");
		return -1;
	}
	if (T < 1 || T > room - p0) {
		if (p0)
			tensor_fail(err, errlen, "%zu more tokens after %zu: the model takes 1 to %zu in all", T, p0, room);
		else
			tensor_fail(err, errlen, "%zu tokens: the model takes 1 to %zu", T, room);
		return -1;
	}
	for (size_t t = 0; t < T; t++)
		if (ids[t] >= (uint32_t)c->vocab_size) {
			tensor_fail(err, errlen, "token id %u at position %zu is not below the vocabulary size %d", ids[t], t,
			       c->vocab_size);
			return -1;
		}
	int last = o->stop_after_layer < 0 || o->stop_after_layer >= c->n_layer ? c->n_layer - 1 : o->stop_after_layer;
	if (o->logits && last != c->n_layer - 1) {
		tensor_fail(err, errlen, "logits need all %d layers, but the run stops after layer %d", c->n_layer, last);
		return -1;
	}
	if (kv && last != c->n_layer - 1) {
		tensor_fail(err, errlen, "a run with a KV cache needs all %d layers, but it stops after layer %d", c->n_layer,
		       last);
		return -1;
	}
	hook_ctx h = {o, xcalloc(o->n_hooks ? o->n_hooks : 1, sizeof(int))};
	for (size_t i = 0; i < o->n_hooks; i++) {
		int l;
		saex_hook_kind k;
		if (!o->hooks[i].name || saex_hook_parse(o->hooks[i].name, &l, &k) || l >= c->n_layer) {
			tensor_fail(err, errlen, "unknown hook '%s' (blocks.0 to blocks.%d with hook_resid_pre, attn.hook_z, "
			       "hook_attn_out, hook_resid_mid, mlp.hook_post, hook_mlp_out or hook_resid_post)",
			       o->hooks[i].name ? o->hooks[i].name : "(null)", c->n_layer - 1);
			free(h.which);
			return -1;
		}
		h.which[i] = l * SAEX_HOOK_KINDS + (int)k;
	}

	size_t d = (size_t)c->n_embd, nh = (size_t)c->n_head, dh = d / nh, V = (size_t)c->vocab_size;
	float eps = c->layer_norm_epsilon;
	float *x = xmalloc(T * d * sizeof *x);      /* residual stream */
	float *a = xmalloc(T * d * sizeof *a);      /* LN output */
	float *qkv = xmalloc(T * 3 * d * sizeof *qkv);
	float *z = xmalloc(T * d * sizeof *z);
	float *out = xmalloc(T * d * sizeof *out);  /* attn_out / mlp_out */
	float *hid = xmalloc(T * 4 * d * sizeof *hid);
	size_t Tk = p0 + T; /* keys: the cached positions and the new ones */
	float *sc = xmalloc(T * Tk * (size_t)(T > 1 ? attn_threads(nh) : 1) * sizeof *sc);
	int rc = -1;

	for (size_t t = 0; t < T; t++) {
		const float *e = m->wte + (size_t)ids[t] * d, *p = m->wpe + (p0 + t) * d;
		for (size_t i = 0; i < d; i++)
			x[t * d + i] = e[i] + p[i];
	}
	float scale = 1.0f / sqrtf((float)dh);
	for (int l = 0; l <= last; l++) {
		const layer_w *w = &m->layers[l];
		if (fire(&h, l, SAEX_HOOK_RESID_PRE, x, T, d, err, errlen))
			goto out;
		for (size_t t = 0; t < T; t++)
			saex_layer_norm(a + t * d, x + t * d, d, w->ln1_w, w->ln1_b, eps);
		linear(qkv, a, w->attn_w, w->attn_b, T, d, 3 * d);
		const float *K = qkv + d, *Vv = qkv + 2 * d;
		size_t ldk = 3 * d;
		if (kv) {
			float *kl = kv->k + (size_t)l * kv->cap * d, *vl = kv->v + (size_t)l * kv->cap * d;
			for (size_t t = 0; t < T; t++) {
				memcpy(kl + (p0 + t) * d, qkv + t * 3 * d + d, d * sizeof *kl);
				memcpy(vl + (p0 + t) * d, qkv + t * 3 * d + 2 * d, d * sizeof *vl);
			}
			K = kl;
			Vv = vl;
			ldk = d;
		}
		for (size_t hd = 0; T == 1 && hd < nh; hd++) {
			/* one new token: sc[Tk] = scale * K_h q_h, z_h = V_h^T sc */
			const float *q = qkv + hd * dh, *k = K + hd * dh, *v = Vv + hd * dh;
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)Tk, (int)dh, scale, k, (int)ldk, q, 1, 0.0f, sc, 1);
			saex_softmax(sc, Tk);
			cblas_sgemv(CblasRowMajor, CblasTrans, (int)Tk, (int)dh, 1.0f, v, (int)ldk, sc, 1, 0.0f, z + hd * dh,
			            1);
		}
		if (T > 1)
			attn_par((attn_job){qkv, K, Vv, z, NULL, T, Tk, p0, d, dh, ldk, 0, 0, scale}, nh, sc);
		if (fire(&h, l, SAEX_HOOK_Z, z, T, d, err, errlen))
			goto out;
		linear(out, z, w->aproj_w, w->aproj_b, T, d, d);
		if (fire(&h, l, SAEX_HOOK_ATTN_OUT, out, T, d, err, errlen))
			goto out;
		for (size_t i = 0; i < T * d; i++)
			x[i] += out[i];
		if (fire(&h, l, SAEX_HOOK_RESID_MID, x, T, d, err, errlen))
			goto out;
		for (size_t t = 0; t < T; t++)
			saex_layer_norm(a + t * d, x + t * d, d, w->ln2_w, w->ln2_b, eps);
		linear(hid, a, w->fc_w, w->fc_b, T, d, 4 * d);
		gelu_par(hid, T * 4 * d);
		if (fire(&h, l, SAEX_HOOK_MLP_POST, hid, T, 4 * d, err, errlen))
			goto out;
		linear(out, hid, w->mproj_w, w->mproj_b, T, 4 * d, d);
		if (fire(&h, l, SAEX_HOOK_MLP_OUT, out, T, d, err, errlen))
			goto out;
		for (size_t i = 0; i < T * d; i++)
			x[i] += out[i];
		if (fire(&h, l, SAEX_HOOK_RESID_POST, x, T, d, err, errlen))
			goto out;
	}
	if (o->logits) {
		size_t t0 = o->logits_last ? T - 1 : 0, n = T - t0;
		for (size_t t = t0; t < T; t++)
			saex_layer_norm(a + t * d, x + t * d, d, m->lnf_w, m->lnf_b, eps);
		if (n == 1)
			cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)V, (int)d, 1.0f, m->wte, (int)d, a + t0 * d, 1, 0.0f,
			            o->logits, 1);
		else
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)V, (int)d, 1.0f, a + t0 * d, (int)d,
			            m->wte, (int)d, 0.0f, o->logits, (int)V);
	}
	if (kv)
		kv->len = p0 + T;
	rc = 0;
out:
	free(x);
	free(a);
	free(qkv);
	free(z);
	free(out);
	free(hid);
	free(sc);
	free(h.which);
	return rc;
}

int saex_model_forward(saex_model *m, const uint32_t *ids, size_t T, const saex_run_opts *o, char *err,
                       size_t errlen)
{
	return forward(m, NULL, ids, T, o, err, errlen);
}

int saex_model_forward_kv(saex_model *m, saex_kv *kv, const uint32_t *ids, size_t T, const saex_run_opts *o,
                          char *err, size_t errlen)
{
	return forward(m, kv, ids, T, o, err, errlen);
}
