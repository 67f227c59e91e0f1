/* forward.c - GPT-2's forward pass (FORMATS.md §4) with hook points.
 *
 * A prompt (T > 1 new tokens) runs every step on a team (team_blas_start,
 * team.h), each member taking a share: rows of the layer norms and the
 * residual adds, output columns of the matrix products and of the GELU
 * after the first MLP product, heads of the attention, vocabulary rows of
 * the logits. A share is computed as the whole would be, so the split
 * changes nothing but float rounding inside the products. One new token (a
 * generation step) runs on the calling thread, its products as sgemv on
 * OpenBLAS's own threads: there a team's meetings, a hundred a token, cost
 * more than they give (measured: 24.0 against 19-21 ms a token). */
#include "config.h"
#include "saex.h"
#include "model_int.h"
#include "affine.h"
#include "team.h"
#include "util.h"
#include "tensor_util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Matrix products' column shares start on 64-byte boundaries. */
#define FWD_ALIGN 16

/* ---------------------------------------------------------------- steps */

/* y[t] = layer_norm(x[t]) for rows t0 .. t1 - 1. */
typedef struct ln_job {
	float *y;
	const float *x, *w, *b;
	size_t d, t0, t1;
	float eps;
} ln_job;

static void ln_step(void *ctx, int i, int n)
{
	const ln_job *j = ctx;
	size_t a, b;
	team_share(j->t1 - j->t0, i, n, 1, &a, &b);
	for (size_t t = j->t0 + a; t < j->t0 + b; t++)
		saex_layer_norm(j->y + t * j->d, j->x + t * j->d, j->d, j->w, j->b, j->eps);
}

/* y[T, n] = x[T, k] @ W[k, n] + b (affine.h), then GELU in place when
 * gelu is set. */
typedef struct lin_job {
	float *y;
	const float *x, *W, *b;
	size_t T, k, n;
	int gelu;
} lin_job;

static void lin_step(void *ctx, int i, int nm)
{
	const lin_job *j = ctx;
	size_t c0, c1;
	team_share(j->n, i, nm, FWD_ALIGN, &c0, &c1);
	affine_cols(j->y, j->x, j->W, j->b, j->T, j->k, j->n, c0, c1);
	if (j->gelu && c0 < c1)
		for (size_t t = 0; t < j->T; t++)
			saex_gelu_new(j->y + t * j->n + c0, c1 - c0);
}

/* x[0 .. n) += y[0 .. n) */
typedef struct add_job {
	float *x;
	const float *y;
	size_t n;
} add_job;

static void add_step(void *ctx, int i, int nm)
{
	const add_job *j = ctx;
	size_t a, b;
	team_share(j->n, i, nm, FWD_ALIGN, &a, &b);
	for (size_t e = a; e < b; e++)
		j->x[e] += j->y[e];
}

/* Causal attention of T > 1 new rows: for each head h of the member's
 * share, sc = scale q_h k_h^T (row i sees keys 0 .. p0+i), softmax,
 * z_h = sc v_h. Member i's scratch is sc + i T Tk. */
typedef struct attn_job {
	const float *qkv, *K, *V;
	float *z, *sc;
	size_t T, Tk, p0, d, nh, dh, ldk;
	float scale;
} attn_job;

static void attn_step(void *ctx, int i, int nm)
{
	const attn_job *j = ctx;
	size_t T = j->T, Tk = j->Tk, d = j->d, dh = j->dh, h0, h1;
	float *sc = j->sc + (size_t)i * T * Tk;
	team_share(j->nh, i, nm, 1, &h0, &h1);
	for (size_t hd = h0; hd < h1; hd++) {
		const float *q = j->qkv + hd * dh, *k = j->K + hd * dh, *v = j->V + hd * dh;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)Tk, (int)dh, j->scale, q, (int)(3 * d), k,
		            (int)j->ldk, 0.0f, sc, (int)Tk);
		for (size_t r = 0; r < T; r++) {
			float *row = sc + r * Tk;
			saex_softmax(row, j->p0 + r + 1);
			for (size_t c = j->p0 + r + 1; c < Tk; c++)
				row[c] = 0.0f;
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)T, (int)dh, (int)Tk, 1.0f, sc, (int)Tk, v,
		            (int)j->ldk, 0.0f, j->z + hd * dh, (int)d);
	}
}

/* One new token, the member's share of the heads: sc[Tk] = scale K_h q_h,
 * z_h = V_h^T softmax(sc). */
static void attn_one_step(void *ctx, int i, int nm)
{
	const attn_job *j = ctx;
	float *sc = j->sc + (size_t)i * j->Tk;
	size_t h0, h1;
	team_share(j->nh, i, nm, 1, &h0, &h1);
	for (size_t hd = h0; hd < h1; hd++) {
		const float *q = j->qkv + hd * j->dh, *k = j->K + hd * j->dh, *v = j->V + hd * j->dh;
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)j->Tk, (int)j->dh, j->scale, k, (int)j->ldk, q, 1, 0.0f, sc,
		            1);
		saex_softmax(sc, j->Tk);
		cblas_sgemv(CblasRowMajor, CblasTrans, (int)j->Tk, (int)j->dh, 1.0f, v, (int)j->ldk, sc, 1, 0.0f,
		            j->z + hd * j->dh, 1);
	}
}

/* logits[n, V] = a[n, d] @ wte^T, the member's share of the vocabulary. */
typedef struct logit_job {
	float *out;
	const float *a, *wte;
	size_t n, V, d;
} logit_job;

static void logit_step(void *ctx, int i, int nm)
{
	const logit_job *j = ctx;
	size_t v0, v1;
	team_share(j->V, i, nm, FWD_ALIGN, &v0, &v1);
	affine_cols_t(j->out, j->a, j->wte, j->n, j->d, j->V, v0, v1);
}

/* x[t] = wte[ids[t]] (tokens), then x[t] += wpe[p0 + t] (positions). */
typedef struct embed_job {
	float *x;
	const float *wte, *wpe;
	const uint32_t *ids;
	size_t T, p0, d;
} embed_job;

static void embed_step(void *ctx, int i, int nm)
{
	const embed_job *j = ctx;
	size_t a, b, d = j->d;
	team_share(j->T, i, nm, 1, &a, &b);
	for (size_t t = a; t < b; t++)
		memcpy(j->x + t * d, j->wte + (size_t)j->ids[t] * d, d * sizeof *j->x);
}

static void pos_step(void *ctx, int i, int nm)
{
	const embed_job *j = ctx;
	size_t a, b, d = j->d;
	team_share(j->T, i, nm, 1, &a, &b);
	for (size_t t = a; t < b; t++) {
		const float *p = j->wpe + (j->p0 + t) * d;
		for (size_t c = 0; c < d; c++)
			j->x[t * d + c] += p[c];
	}
}

/* y[t] = y[t] * w + b for rows t0 .. t1 - 1: a layer norm's weight and bias
 * on values a hook saw normalised. */
static void scale_step(void *ctx, int i, int nm)
{
	const ln_job *j = ctx;
	size_t a, b;
	team_share(j->t1 - j->t0, i, nm, 1, &a, &b);
	for (size_t t = j->t0 + a; t < j->t0 + b; t++)
		for (size_t c = 0; c < j->d; c++)
			j->y[t * j->d + c] = j->y[t * j->d + c] * j->w[c] + j->b[c];
}

/* ---------------------------------------------------------------- hooks */

typedef struct hook_ctx {
	const saex_run_opts *o;
	int *which; /* per hook: layer * SAEX_HOOK_KINDS + kind */
	int end;    /* the point after which nothing can be seen, or -1 */
} hook_ctx;

/* Calls the hooks at one point: -1 when one stops the run (err filled),
 * 1 when the pass can end here (h->end), else 0. */
static int fire(const hook_ctx *h, int layer, saex_hook_kind kind, float *act, size_t T, size_t w,
                char *err, size_t errlen)
{
	int key = layer * SAEX_HOOK_KINDS + (int)kind;
	for (size_t i = 0; i < h->o->n_hooks; i++)
		if (h->which[i] == key && h->o->hooks[i].fn(h->o->hooks[i].name, act, T, w, h->o->hooks[i].user)) {
			tensor_fail(err, errlen, "hook %s stopped the run", h->o->hooks[i].name);
			return -1;
		}
	return key == h->end;
}

/* Whether a hook is set at this point. */
static int wants(const hook_ctx *h, int layer, saex_hook_kind kind)
{
	int key = layer * SAEX_HOOK_KINDS + (int)kind;
	for (size_t i = 0; i < h->o->n_hooks; i++)
		if (h->which[i] == key)
			return 1;
	return 0;
}

/* j's layer norm on the team, firing the hook point kind of layer with the
 * values normalised before the weight and bias when a hook is set there.
 * Returns as fire does. */
static int ln_run(team *tm, const hook_ctx *h, int layer, saex_hook_kind kind, const ln_job *j, char *err,
                  size_t errlen)
{
	if (!wants(h, layer, kind)) {
		team_run(tm, ln_step, (void *)j);
		return 0;
	}
	ln_job plain = *j;
	plain.w = plain.b = NULL;
	team_run(tm, ln_step, &plain);
	int rc = fire(h, layer, kind, j->y + j->t0 * j->d, j->t1 - j->t0, j->d, err, errlen);
	if (rc == 0)
		team_run(tm, scale_step, (void *)j);
	return rc;
}

/* ---------------------------------------------------------------- the pass */

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
	hook_ctx h = {o, xcalloc(o->n_hooks ? o->n_hooks : 1, sizeof(int)), -1};
	for (size_t i = 0; i < o->n_hooks; i++) {
		int l;
		saex_hook_kind k;
		if (!o->hooks[i].name || saex_hook_parse(o->hooks[i].name, &l, &k) || l >= c->n_layer) {
			char forms[512];
			saex_hook_list(forms, sizeof forms);
			tensor_fail(err, errlen, "unknown hook '%s' (%s; L from 0 to %d)",
			            o->hooks[i].name ? o->hooks[i].name : "(null)", forms, c->n_layer - 1);
			free(h.which);
			return -1;
		}
		h.which[i] = l * SAEX_HOOK_KINDS + (int)k;
		/* Without logits or a cache to fill, nothing after the last hook
		 * point can be seen: the pass ends there (a resid_pre hook of
		 * layer L needs only the blocks before L). */
		if (!o->logits && !kv && h.which[i] > h.end)
			h.end = h.which[i];
	}

	size_t d = (size_t)c->n_embd, nh = (size_t)c->n_head, dh = d / nh, V = (size_t)c->vocab_size;
	float eps = c->layer_norm_epsilon;
	team *tm = T > 1 ? team_blas_start() : NULL; /* see the top of this file */
	int members = tm ? team_size(tm) : 1;
	float *x = xmalloc(T * d * sizeof *x);      /* residual stream */
	float *a = xmalloc(T * d * sizeof *a);      /* LN output */
	float *qkv = xmalloc(T * 3 * d * sizeof *qkv);
	float *z = xmalloc(T * d * sizeof *z);
	float *out = xmalloc(T * d * sizeof *out);  /* attn_out / mlp_out */
	float *hid = xmalloc(T * 4 * d * sizeof *hid);
	size_t Tk = p0 + T; /* keys: the cached positions and the new ones */
	float *sc = xmalloc(T * Tk * (size_t)members * sizeof *sc);
	int rc = -1;

	embed_job ej = {x, m->wte, m->wpe, ids, T, p0, d};
	team_run(tm, embed_step, &ej);
	if ((rc = fire(&h, 0, SAEX_HOOK_EMBED, x, T, d, err, errlen)) != 0)
		goto out;
	team_run(tm, pos_step, &ej);
	float scale = 1.0f / sqrtf((float)dh);
	add_job resid = {x, out, T * d};
	for (int l = 0; l <= last; l++) {
		const layer_w *w = &m->layers[l];
		if ((rc = fire(&h, l, SAEX_HOOK_RESID_PRE, x, T, d, err, errlen)) != 0)
			goto out;
		ln_job ln1 = {a, x, w->ln1_w, w->ln1_b, d, 0, T, eps};
		if ((rc = ln_run(tm, &h, l, SAEX_HOOK_LN1_NORMALIZED, &ln1, err, errlen)) != 0)
			goto out;
		lin_job lqkv = {qkv, a, w->attn_w, w->attn_b, T, d, 3 * d, 0};
		team_run(tm, lin_step, &lqkv);
		attn_job aj = {qkv, qkv + d, qkv + 2 * d, z, sc, T, Tk, p0, d, nh, dh, 3 * d, scale};
		if (kv) {
			float *kl = kv->k + (size_t)l * kv->cap * d, *vl = kv->v + (size_t)l * kv->cap * d;
			for (size_t t = 0; t < T; t++) {
				memcpy(kl + (p0 + t) * d, qkv + t * 3 * d + d, d * sizeof *kl);
				memcpy(vl + (p0 + t) * d, qkv + t * 3 * d + 2 * d, d * sizeof *vl);
			}
			aj.K = kl;
			aj.V = vl;
			aj.ldk = d;
		}
		team_run(tm, T == 1 ? attn_one_step : attn_step, &aj);
		if ((rc = fire(&h, l, SAEX_HOOK_Z, z, T, d, err, errlen)) != 0)
			goto out;
		lin_job lap = {out, z, w->aproj_w, w->aproj_b, T, d, d, 0};
		team_run(tm, lin_step, &lap);
		if ((rc = fire(&h, l, SAEX_HOOK_ATTN_OUT, out, T, d, err, errlen)) != 0)
			goto out;
		team_run(tm, add_step, &resid);
		if ((rc = fire(&h, l, SAEX_HOOK_RESID_MID, x, T, d, err, errlen)) != 0)
			goto out;
		ln_job ln2 = {a, x, w->ln2_w, w->ln2_b, d, 0, T, eps};
		if ((rc = ln_run(tm, &h, l, SAEX_HOOK_LN2_NORMALIZED, &ln2, err, errlen)) != 0)
			goto out;
		if ((rc = fire(&h, l, SAEX_HOOK_MLP_IN, a, T, d, err, errlen)) != 0)
			goto out;
		lin_job lfc = {hid, a, w->fc_w, w->fc_b, T, d, 4 * d, 1};
		team_run(tm, lin_step, &lfc);
		if ((rc = fire(&h, l, SAEX_HOOK_MLP_POST, hid, T, 4 * d, err, errlen)) != 0)
			goto out;
		lin_job lmp = {out, hid, w->mproj_w, w->mproj_b, T, 4 * d, d, 0};
		team_run(tm, lin_step, &lmp);
		if ((rc = fire(&h, l, SAEX_HOOK_MLP_OUT, out, T, d, err, errlen)) != 0)
			goto out;
		team_run(tm, add_step, &resid);
		if ((rc = fire(&h, l, SAEX_HOOK_RESID_POST, x, T, d, err, errlen)) != 0)
			goto out;
	}
	if (o->logits) {
		size_t t0 = o->logits_last ? T - 1 : 0;
		ln_job lnf = {a, x, m->lnf_w, m->lnf_b, d, t0, T, eps};
		team_run(tm, ln_step, &lnf);
		logit_job lj = {o->logits, a + t0 * d, m->wte, T - t0, V, d};
		team_run(tm, logit_step, &lj);
	}
	if (kv)
		kv->len = p0 + T;
	rc = 0;
out:
	team_blas_end(tm);
	free(x);
	free(a);
	free(qkv);
	free(z);
	free(out);
	free(hid);
	free(sc);
	free(h.which);
	return rc < 0 ? -1 : 0; /* 1: ended after the last hook point */
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
