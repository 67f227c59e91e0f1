/* forward.c - the forward pass of any model arch.h describes, with hook
 * points: one decoder-block driver over the kernels (norm.h, wmat.h,
 * rope.h, attn.h, act.h), its steps chosen by the model's switches.
 *
 * A prompt (T > 1 new tokens) runs every step on a team (team_blas_start,
 * team.h), each member taking a share: rows of the norms, the residual
 * adds and the rotary step, 16-float-aligned output columns of the matrix
 * products (with the activation or the gated product on the same columns),
 * heads of the attention, vocabulary columns of the logits. A share is
 * computed as the whole would be, so the split changes nothing but float
 * rounding inside the products. One new token (a generation step) runs
 * its row-wise steps on the calling thread: a meeting costs more than a
 * row. Its products and heads run on a team when the weights are F16/BF16
 * (saex's own matrix-vector products), and as sgemv on OpenBLAS's threads
 * when they are F32 (a team's hundred meetings a token measured slower
 * there: 24.0 against 19-21 ms a token for GPT-2 small). */
#include "config.h"
#include "saex.h"
#include "model_int.h"
#include "attn.h"
#include "team.h"
#include "tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Column shares start on 64-byte boundaries. */
#define FWD_ALIGN 16

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

/* ---------------------------------------------------------------- one pass */

/* A pass: the model, its team, and the activations of the T new rows. */
typedef struct fwd {
	saex_model *m;
	const model_arch *a;
	saex_kv *kv;
	team *tm;               /* products, heads (NULL: this thread alone) */
	team *rows;             /* row-wise steps: tm for a prompt, NULL for a token */
	hook_ctx h;
	size_t T, p0, Tk;       /* new rows, their first position, keys in all */
	size_t D, Z, KZ, F;     /* widths: residual, heads, key/value heads, MLP */
	float *x, *nx;          /* residual stream; a norm's output [T, D] */
	float *raw;             /* q, k, v as projected: [T, Z + 2 KZ] */
	float *q, *K, *V;       /* rotated queries [T, Z]; keys/values without a cache */
	float *z, *ao, *mo;     /* heads' outputs [T, Z]; attention and MLP outputs */
	float *hid, *gate;      /* MLP hidden [T, F]; gate products (gated MLPs) */
	float *sc, *scratch;    /* per member: attention scores; widened weights */
	float *cs[2];           /* rope tables [T, r] of the global and local rope */
	size_t sc_len;          /* floats of sc per member */
	char *err;
	size_t errlen;
} fwd;

/* ---------------------------------------------------------------- steps */

/* y[t] = norm(x[t]) for rows [t0, t1); plain: without the weight. */
typedef struct norm_job {
	const fwd *f;
	float *y;
	const float *x, *w, *b;
	size_t n, t0, t1;
	int plain;
} norm_job;

static void norm_step(void *ctx, int i, int nm)
{
	const norm_job *j = ctx;
	size_t a, b;
	team_share(j->t1 - j->t0, i, nm, 1, &a, &b);
	for (size_t t = j->t0 + a; t < j->t0 + b; t++)
		norm_row(j->f->a->norm, j->y + t * j->n, j->x + t * j->n, j->n, j->plain ? NULL : j->w,
		         j->plain ? NULL : j->b, j->f->a->eps);
}

/* y[t] = y[t] * w + b: the weight on values a hook saw normalised. */
static void scale_step(void *ctx, int i, int nm)
{
	const norm_job *j = ctx;
	size_t a, b;
	team_share(j->t1 - j->t0, i, nm, 1, &a, &b);
	for (size_t t = j->t0 + a; t < j->t0 + b; t++)
		norm_scale(j->y + t * j->n, j->n, j->w, j->b);
}

/* Up to three products of the same input, each member computing its
 * columns of each (wmat.h); then on those columns the activation, the
 * gated product y[0] = act(y[1]) * y[0], or a softcap. */
typedef struct lin_job {
	const fwd *f;
	const float *x;
	size_t T;
	int n;
	float *y[3];
	const wmat *W[3];
	const float *b[3];
	int act;       /* -1: none */
	int gated;
	float softcap; /* 0: none */
} lin_job;

static void lin_step(void *ctx, int i, int nm)
{
	const lin_job *j = ctx;
	float *scratch = j->f->scratch + (size_t)i * WMAT_SCRATCH;
	for (int p = 0; p < j->n; p++) {
		size_t out = wmat_out(j->W[p]), c0, c1;
		team_share(out, i, nm, FWD_ALIGN, &c0, &c1);
		wmat_cols(j->y[p], j->x, j->T, j->W[p], j->b[p], c0, c1, scratch);
	}
	size_t out = wmat_out(j->W[0]), c0, c1;
	team_share(out, i, nm, FWD_ALIGN, &c0, &c1);
	for (size_t t = 0; c0 < c1 && t < j->T; t++) {
		float *row = j->y[0] + t * out + c0;
		if (j->gated)
			act_gated((act_kind)j->act, row, j->y[1] + t * out + c0, c1 - c0);
		else if (j->act >= 0)
			act_apply((act_kind)j->act, row, c1 - c0);
		if (j->softcap > 0)
			act_softcap(row, c1 - c0, j->softcap);
	}
}

/* x += y (+ y2) over n values. */
typedef struct add_job {
	float *x;
	const float *y, *y2;
	size_t n;
} add_job;

static void add_step(void *ctx, int i, int nm)
{
	const add_job *j = ctx;
	size_t a, b;
	team_share(j->n, i, nm, FWD_ALIGN, &a, &b);
	for (size_t e = a; e < b; e++)
		j->x[e] += j->y[e];
	if (j->y2)
		for (size_t e = a; e < b; e++)
			j->x[e] += j->y2[e];
}

/* x[t] = E[ids[t]] * embed_scale; pos: x[t] += P[p0 + t] instead. */
typedef struct embed_job {
	const fwd *f;
	const uint32_t *ids;
	int pos;
} embed_job;

static void embed_step(void *ctx, int i, int nm)
{
	const embed_job *j = ctx;
	const fwd *f = j->f;
	size_t a, b, D = f->D;
	team_share(f->T, i, nm, 1, &a, &b);
	for (size_t t = a; t < b; t++) {
		float *x = f->x + t * D;
		if (j->pos) {
			float *p = f->scratch + (size_t)i * WMAT_SCRATCH;
			wmat_row(&f->m->pos, f->p0 + t, p);
			for (size_t c = 0; c < D; c++)
				x[c] += p[c];
			continue;
		}
		wmat_row(&f->m->embed, j->ids[t], x);
		if (f->a->embed_scale != 1.0f)
			for (size_t c = 0; c < D; c++)
				x[c] *= f->a->embed_scale;
	}
}

/* Copies one head (hd values, q/k norm w, rope table row cs of r dims)
 * from src to dst. */
static void prep_head(const fwd *f, float *dst, const float *src, const float *w, const float *cs)
{
	const model_arch *a = f->a;
	size_t hd = (size_t)a->head_dim;
	memcpy(dst, src, hd * sizeof *dst);
	if (w)
		norm_row(a->norm, dst, dst, hd, w, NULL, a->eps);
	if (cs)
		rope_apply(dst, cs, a->rope[0].dims);
}

/* Rows of the projections (f->raw) into rotated queries f->q and keys and
 * values at rows p0 + t of K and V (the cache's layer, or the pass's own). */
typedef struct prep_job {
	const fwd *f;
	const layer_w *w;
	float *K, *V;
} prep_job;

/* Where head h's query is in f->raw: row t at q + t ld + h hs (likewise k
 * and v, with the key/value heads). */
typedef struct qkv_at {
	const float *q, *k, *v;
	size_t ld, hs;
} qkv_at;

static qkv_at prep_at(const fwd *f)
{
	size_t hd = (size_t)f->a->head_dim, T = f->T, Z = f->Z, KZ = f->KZ;
	switch (f->a->qkv) {
	case QKV_SPLIT: /* three products one after the other: [T, Z], [T, KZ], [T, KZ] */
		return (qkv_at){f->raw, f->raw + T * Z, f->raw + T * (Z + KZ), 0, hd};
	case QKV_FUSED: /* rows [q | k | v] */
		return (qkv_at){f->raw, f->raw + Z, f->raw + Z + KZ, Z + 2 * KZ, hd};
	case QKV_FUSED_HEADS: /* rows [q_0 k_0 v_0 | q_1 k_1 v_1 | ...] */
		break;
	}
	return (qkv_at){f->raw, f->raw + hd, f->raw + 2 * hd, Z + 2 * KZ, 3 * hd};
}

static void prep_step(void *ctx, int i, int nm)
{
	const prep_job *j = ctx;
	const fwd *f = j->f;
	const model_arch *a = f->a;
	size_t hd = (size_t)a->head_dim, Z = f->Z, KZ = f->KZ, r = (size_t)a->rope[0].dims, t0, t1;
	qkv_at at = prep_at(f);
	size_t qld = at.ld ? at.ld : Z, kld = at.ld ? at.ld : KZ;
	team_share(f->T, i, nm, 1, &t0, &t1);
	for (size_t t = t0; t < t1; t++) {
		const float *cs = a->learned_pos ? NULL : f->cs[j->w->sliding] + t * r;
		size_t row = (f->p0 + t) * KZ;
		for (int h = 0; h < a->n_heads; h++)
			prep_head(f, f->q + t * Z + (size_t)h * hd, at.q + t * qld + (size_t)h * at.hs, j->w->v[W_QNORM], cs);
		for (int g = 0; g < a->n_kv_heads; g++) {
			prep_head(f, j->K + row + (size_t)g * hd, at.k + t * kld + (size_t)g * at.hs, j->w->v[W_KNORM], cs);
			memcpy(j->V + row + (size_t)g * hd, at.v + t * kld + (size_t)g * at.hs, hd * sizeof(float));
		}
	}
}

/* The member's share of the heads (attn.h). */
typedef struct heads_job {
	const fwd *f;
	attn_args args;
} heads_job;

static void heads_step(void *ctx, int i, int nm)
{
	const heads_job *j = ctx;
	size_t h0, h1;
	team_share((size_t)j->args.n_heads, i, nm, 1, &h0, &h1);
	attn_heads(&j->args, (int)h0, (int)h1, j->f->sc + (size_t)i * j->f->sc_len);
}

/* ---------------------------------------------------------------- the block */

/* norm(x) into f->nx with weight w (bias b), firing kind of
 * layer with the values before the weight when a hook is set there.
 * Returns as fire does. */
static int norm_run(fwd *f, int layer, saex_hook_kind kind, const float *x, const float *w, const float *b)
{
	norm_job j = {f, f->nx, x, w, b, f->D, 0, f->T, 0};
	if (!wants(&f->h, layer, kind)) {
		team_run(f->rows, norm_step, &j);
		return 0;
	}
	j.plain = 1;
	team_run(f->rows, norm_step, &j);
	int rc = fire(&f->h, layer, kind, f->nx, f->T, f->D, f->err, f->errlen);
	if (rc == 0)
		team_run(f->rows, scale_step, &j);
	return rc;
}

/* A post-norm (Gemma) on y in place. */
static void post_norm(fwd *f, float *y, const float *w)
{
	norm_job j = {f, y, y, w, NULL, f->D, 0, f->T, 0};
	team_run(f->rows, norm_step, &j);
}

/* Attention of block l on f->nx into f->ao, with its hook points. */
static int attention(fwd *f, int l)
{
	const model_arch *a = f->a;
	const layer_w *w = &f->m->layers[l];
	lin_job qkv = {f, f->nx, f->T, 1, {f->raw}, {&w->m[W_QKV]}, {w->v[W_QKV_B]}, -1, 0, 0};
	if (a->qkv == QKV_SPLIT)
		qkv = (lin_job){f, f->nx, f->T, 3, {f->raw, f->raw + f->T * f->Z, f->raw + f->T * (f->Z + f->KZ)},
		                {&w->m[W_Q], &w->m[W_K], &w->m[W_V]}, {w->v[W_Q_B], w->v[W_K_B], w->v[W_V_B]}, -1, 0, 0};
	team_run(f->tm, lin_step, &qkv);
	prep_job pj = {f, w, f->K, f->V};
	if (f->kv) {
		pj.K = f->kv->k + (size_t)l * f->kv->cap * f->KZ;
		pj.V = f->kv->v + (size_t)l * f->kv->cap * f->KZ;
	}
	team_run(f->rows, prep_step, &pj);
	heads_job hj = {f, {f->q, pj.K, pj.V, f->z, f->T, f->Tk, f->p0, a->n_heads, a->n_kv_heads, a->head_dim,
	                    w->sliding ? a->window : 0, a->attn_scale, a->attn_softcap}};
	team_run(f->tm, heads_step, &hj);
	int rc;
	if ((rc = fire(&f->h, l, SAEX_HOOK_Z, f->z, f->T, f->Z, f->err, f->errlen)) != 0)
		return rc;
	lin_job o = {f, f->z, f->T, 1, {f->ao}, {&w->m[W_O]}, {w->v[W_O_B]}, -1, 0, 0};
	team_run(f->tm, lin_step, &o);
	if (a->post_norms)
		post_norm(f, f->ao, w->v[W_ATTN_POST]);
	return fire(&f->h, l, SAEX_HOOK_ATTN_OUT, f->ao, f->T, f->D, f->err, f->errlen);
}

/* The MLP of block l on f->nx into f->mo, with its hook points. */
static int mlp(fwd *f, int l)
{
	const model_arch *a = f->a;
	const layer_w *w = &f->m->layers[l];
	lin_job up = {f, f->nx, f->T, 1, {f->hid}, {&w->m[W_UP]}, {w->v[W_UP_B]}, (int)a->act, 0, 0};
	if (a->gated) {
		up.n = 2;
		up.y[1] = f->gate;
		up.W[1] = &w->m[W_GATE];
		up.b[1] = w->v[W_GATE_B];
		up.gated = 1;
	}
	team_run(f->tm, lin_step, &up);
	int rc;
	if ((rc = fire(&f->h, l, SAEX_HOOK_MLP_POST, f->hid, f->T, f->F, f->err, f->errlen)) != 0)
		return rc;
	lin_job down = {f, f->hid, f->T, 1, {f->mo}, {&w->m[W_DOWN]}, {w->v[W_DOWN_B]}, -1, 0, 0};
	team_run(f->tm, lin_step, &down);
	if (a->post_norms)
		post_norm(f, f->mo, w->v[W_MLP_POST]);
	return fire(&f->h, l, SAEX_HOOK_MLP_OUT, f->mo, f->T, f->D, f->err, f->errlen);
}

/* Block l: returns as fire does. */
static int block(fwd *f, int l)
{
	const layer_w *w = &f->m->layers[l];
	size_t TD = f->T * f->D;
	int rc;
	if ((rc = fire(&f->h, l, SAEX_HOOK_RESID_PRE, f->x, f->T, f->D, f->err, f->errlen)) ||
	    (rc = norm_run(f, l, SAEX_HOOK_LN1_NORMALIZED, f->x, w->v[W_LN1], w->v[W_LN1_B])) ||
	    (rc = attention(f, l)))
		return rc;
	add_job add = {f->x, f->ao, NULL, TD};
	if (!f->a->parallel) {
		team_run(f->rows, add_step, &add);
		if ((rc = fire(&f->h, l, SAEX_HOOK_RESID_MID, f->x, f->T, f->D, f->err, f->errlen)))
			return rc;
	}
	if ((rc = norm_run(f, l, SAEX_HOOK_LN2_NORMALIZED, f->x, w->v[W_LN2], w->v[W_LN2_B])) ||
	    (rc = fire(&f->h, l, SAEX_HOOK_MLP_IN, f->nx, f->T, f->D, f->err, f->errlen)) || (rc = mlp(f, l)))
		return rc;
	add.y = f->mo;
	if (f->a->parallel)
		add.y2 = f->ao;
	team_run(f->rows, add_step, &add);
	return fire(&f->h, l, SAEX_HOOK_RESID_POST, f->x, f->T, f->D, f->err, f->errlen);
}

/* ---------------------------------------------------------------- the pass */

/* Checks the run (ids, room, layers, hooks) and fills h; 0 or -1. */
static int fwd_check(const saex_model *m, const saex_kv *kv, const uint32_t *ids, size_t T, const saex_run_opts *o,
                     hook_ctx *h, char *err, size_t errlen)
{
	const model_arch *a = &m->a;
	size_t p0 = kv ? kv->len : 0, room = kv ? kv->cap : (size_t)a->n_ctx;
	if (kv && kv->m != m)
		return tensor_fail(err, errlen, "the KV cache belongs to another model");
	if (T < 1 || T > room - p0) {
		if (p0)
			return tensor_fail(err, errlen, "%zu more tokens after %zu: the model takes 1 to %zu in all", T, p0,
			                   room);
		return tensor_fail(err, errlen, "%zu tokens: the model takes 1 to %zu", T, room);
	}
	for (size_t t = 0; t < T; t++)
		if (ids[t] >= (uint32_t)a->vocab)
			return tensor_fail(err, errlen, "token id %u at position %zu is not below the vocabulary size %d",
			                   ids[t], t, a->vocab);
	int last = o->stop_after_layer < 0 || o->stop_after_layer >= a->n_layers ? a->n_layers - 1 : o->stop_after_layer;
	if (o->logits && last != a->n_layers - 1)
		return tensor_fail(err, errlen, "logits need all %d layers, but the run stops after layer %d", a->n_layers,
		                   last);
	if (kv && last != a->n_layers - 1)
		return tensor_fail(err, errlen, "a run with a KV cache needs all %d layers, but it stops after layer %d",
		                   a->n_layers, last);
	if (o->start_resid && (kv || o->start_layer < 0 || o->start_layer > last))
		return tensor_fail(err, errlen, "a run resumed at block %d needs no KV cache and a block from 0 to %d",
		                   o->start_layer, last);
	h->o = o;
	h->end = (last + 1) * SAEX_HOOK_KINDS; /* past the last block run */
	if (!(h->which = calloc(o->n_hooks ? o->n_hooks : 1, sizeof(int))))
		return tensor_fail(err, errlen, "out of memory");
	int end = -1;
	for (size_t i = 0; i < o->n_hooks; i++) {
		int l;
		saex_hook_kind k;
		if (!saex_model_hook_check(m, o->hooks[i].name, err, errlen))
			return -1;
		saex_hook_parse(o->hooks[i].name, &l, &k);
		h->which[i] = l * SAEX_HOOK_KINDS + (int)k;
		if (o->start_resid && h->which[i] < o->start_layer * SAEX_HOOK_KINDS + (int)SAEX_HOOK_RESID_PRE)
			return tensor_fail(err, errlen, "hook %s is before block %d, where the run resumes", o->hooks[i].name,
			                   o->start_layer);
		/* Without logits or a cache to fill, nothing after the last hook
		 * point can be seen: the pass ends there (a resid_pre hook of
		 * layer L needs only the blocks before L). */
		if (h->which[i] > end)
			end = h->which[i];
	}
	if (!o->logits && !kv && end >= 0 && end < h->end)
		h->end = end;
	return 0;
}

/* Carves the pass's buffers out of one allocation. 0 or -1. */
static int fwd_alloc(fwd *f, int members, float **mem)
{
	const model_arch *a = f->a;
	size_t T = f->T, r = a->learned_pos ? 0 : (size_t)a->rope[0].dims;
	size_t local_kv = f->kv ? 0 : T * f->KZ;
	f->sc_len = (T * f->Tk + 15) / 16 * 16;
	size_t len[] = {T * f->D, T * f->D, T * (f->Z + 2 * f->KZ), T * f->Z, local_kv, local_kv, T * f->Z, T * f->D,
	                T * f->D, T * f->F, a->gated ? T * f->F : 0, (size_t)members * f->sc_len,
	                (size_t)members * WMAT_SCRATCH, T * r, T * r};
	float **at[] = {&f->x, &f->nx, &f->raw, &f->q, &f->K, &f->V, &f->z, &f->ao, &f->mo, &f->hid, &f->gate, &f->sc,
	                &f->scratch, &f->cs[0], &f->cs[1]};
	size_t total = 0;
	for (size_t i = 0; i < SAEX_ARRAY_LEN(len); i++)
		total += (len[i] + 15) / 16 * 16;
	if (!(*mem = aligned_alloc(64, total * sizeof(float))))
		return -1;
	float *p = *mem;
	for (size_t i = 0; i < SAEX_ARRAY_LEN(len); i++) {
		*at[i] = p;
		p += (len[i] + 15) / 16 * 16;
	}
	if (r)
		for (int i = 0; i < 2; i++)
			rope_table(f->cs[i], f->m->rope_inv[i], (int)r, f->p0, T);
	return 0;
}

/* The logits of rows t0 .. T - 1 into o->logits. */
static void logits(fwd *f, const saex_run_opts *o)
{
	size_t t0 = o->logits_last ? f->T - 1 : 0;
	norm_job nj = {f, f->nx, f->x, f->m->norm_f, f->m->norm_f_b, f->D, t0, f->T, 0};
	team_run(f->rows, norm_step, &nj);
	lin_job lj = {f, f->nx + t0 * f->D, f->T - t0, 1, {o->logits}, {&f->m->unembed}, {NULL}, -1, 0,
	              f->a->final_softcap};
	team_run(f->tm, lin_step, &lj);
}

/* The forward pass of T new tokens at positions p0 .. p0+T-1, p0 = the
 * cache's length (0 without one). */
static int forward(saex_model *m, saex_kv *kv, const uint32_t *ids, size_t T, const saex_run_opts *o, char *err,
                   size_t errlen)
{
	static const saex_run_opts none = SAEX_RUN_OPTS_INIT;
	const model_arch *a = &m->a;
	if (!o)
		o = &none;
	fwd f = {.m = m, .a = a, .kv = kv, .T = T, .p0 = kv ? kv->len : 0, .D = (size_t)a->d_model,
	         .Z = (size_t)a->n_heads * (size_t)a->head_dim, .KZ = (size_t)a->n_kv_heads * (size_t)a->head_dim,
	         .F = (size_t)a->d_mlp, .err = err, .errlen = errlen};
	f.Tk = f.p0 + T;
	if (fwd_check(m, kv, ids, T, o, &f.h, err, errlen)) {
		free(f.h.which);
		return -1;
	}
	/* see the top of this file */
	if (T > 1 || m->embed.dtype != SAEX_F32)
		f.tm = team_blas_start();
	f.rows = T > 1 ? f.tm : NULL;
	float *mem = NULL;
	int rc = -1;
	if (fwd_alloc(&f, f.tm ? team_size(f.tm) : 1, &mem)) {
		tensor_fail(err, errlen, "out of memory for a pass of %zu tokens", T);
		goto out;
	}
	int l0 = 0;
	if (o->start_resid) {
		memcpy(f.x, o->start_resid, T * f.D * sizeof *f.x);
		l0 = o->start_layer;
	} else {
		embed_job ej = {&f, ids, 0};
		team_run(f.rows, embed_step, &ej);
		if ((rc = fire(&f.h, 0, SAEX_HOOK_EMBED, f.x, T, f.D, err, errlen)) != 0)
			goto out;
		if (a->learned_pos) {
			ej.pos = 1;
			team_run(f.rows, embed_step, &ej);
		}
	}
	for (int l = l0; l < a->n_layers && l * SAEX_HOOK_KINDS < f.h.end; l++)
		if ((rc = block(&f, l)) != 0)
			goto out;
	if (o->logits)
		logits(&f, o);
	if (kv)
		kv->len = f.Tk;
	rc = 0;
out:
	team_blas_end(f.tm);
	free(mem);
	free(f.h.which);
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
