/* eval.c - SAE evaluation (saex_eval.h): the prompt's clean, ablated and
 * spliced passes and the totals behind SAELens's metrics.
 *
 * A prompt runs: one clean pass for all SAEs (logits, and the activation at
 * every SAE's hook captured, with the residual entering that hook's block);
 * per hook point one ablated pass; per SAE its encode and decode of the
 * captured activation and one spliced pass. Each pass after the clean one
 * differs from it only from its hook on: it resumes at the hook's block
 * from the clean pass's residual there (saex_run_opts.start_resid), so the
 * blocks before it run once per prompt. */
#include "config.h"
#include "saex.h"
#include "eval_logits.h"
#include "team.h"
#include "tensor_util.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const saex_eval_metric_names[] = {
#define NAME_(name, group) #name,
	SAEX_EVAL_METRICS(NAME_)
#undef NAME_
};
const char *const saex_eval_metric_groups[] = {
#define GROUP_(name, group) group,
	SAEX_EVAL_METRICS(GROUP_)
#undef GROUP_
};
const size_t saex_eval_n_metrics = sizeof saex_eval_metric_names / sizeof saex_eval_metric_names[0];

double saex_eval_metric_value(const saex_eval_metrics *m, size_t k)
{
	const double *v[] = {
#define PTR_(name, group) &m->name,
		SAEX_EVAL_METRICS(PTR_)
#undef PTR_
	};
	return k < saex_eval_n_metrics ? *v[k] : NAN;
}

/* What the clean pass's hook at one hook point copies into. */
typedef struct capture_ctx {
	float *x;
	size_t width;
} capture_ctx;

/* One hook point that some SAEs read: its clean activation and its
 * ablation's totals. */
typedef struct eval_hook {
	const char *name;   /* borrowed from the first SAE at it */
	size_t width;
	float *x;           /* [T, width], the clean pass's */
	int layer;          /* the block a rerun resumes at; -1: from the tokens */
	char resid_name[48]; /* blocks.<layer>.hook_resid_pre */
	float *resid;       /* [T, d_model]: the clean pass's residual there */
	double ce_abl, kl_abl;
} eval_hook;

/* The totals behind one SAE's metrics (sums over counted tokens). */
typedef struct eval_tot {
	double norm_in, norm_out, ratio, xhat2, dot, rss, x2, cos;
	double ce, kl;
} eval_tot;

typedef struct eval_sae {
	const saex_sae *sae;
	const saex_sae_info *in;
	size_t hook;        /* into ev->hook */
	eval_tot tot;
	double *f_sum;      /* [d_sae] */
	int64_t *f_count;   /* [d_sae] */
} eval_sae;

struct saex_eval {
	saex_model *m;
	eval_sae *s;
	size_t n_sae;
	eval_hook *hook;
	size_t n_hook;
	saex_hook *capture;     /* [2 n_hook]: the clean pass's hooks */
	capture_ctx *cap_ctx;
	size_t D;               /* the model's d_model */
	uint32_t *exclude;
	saex_eval_opts o;
	size_t V, cap;      /* vocabulary; rows the buffers below hold */
	float *lp, *z;      /* [cap, V]: the clean log p, a later run's logits */
	float *f, *xhat, *xref, *norm; /* [cap, max d_sae], [cap, max d_in] x2, [2 cap] */
	uint8_t *count;     /* [cap] */
	size_t max_dsae, max_din;
	double ce_clean;
	int64_t n_tok, n_ce, n_prompts;
	saex_eval_times tm;
};

/* ------------------------------------------------------------ set up */

static int eval_hooks(saex_eval *ev, char *err, size_t errlen)
{
	ev->hook = calloc(ev->n_sae, sizeof *ev->hook);
	ev->capture = calloc(2 * ev->n_sae, sizeof *ev->capture);
	ev->cap_ctx = calloc(2 * ev->n_sae, sizeof *ev->cap_ctx);
	if (!ev->hook || !ev->capture || !ev->cap_ctx)
		return tensor_fail(err, errlen, "out of memory");
	for (size_t i = 0; i < ev->n_sae; i++) {
		eval_sae *s = &ev->s[i];
		size_t k = 0;
		while (k < ev->n_hook && strcmp(ev->hook[k].name, s->in->hook_name) != 0)
			k++;
		if (k == ev->n_hook) {
			eval_hook *h = &ev->hook[k];
			saex_hook_kind kind;
			h->name = s->in->hook_name;
			h->width = (size_t)s->in->d_in;
			if (saex_hook_parse(h->name, &h->layer, &kind) || kind == SAEX_HOOK_EMBED)
				h->layer = -1;
			else
				snprintf(h->resid_name, sizeof h->resid_name, "blocks.%d.hook_resid_pre", h->layer);
			ev->n_hook++;
		}
		s->hook = k;
	}
	return 0;
}

saex_eval *saex_eval_new(saex_model *m, const saex_sae *const *saes, size_t n, const saex_eval_opts *o,
                         char *err, size_t errlen)
{
	static const saex_eval_opts none = SAEX_EVAL_OPTS_INIT;
	if (!o)
		o = &none;
	if (n == 0) {
		tensor_fail(err, errlen, "no SAE to evaluate");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		char why[512];
		if (saex_sae_fits(saes[i], m, why, sizeof why)) {
			tensor_fail(err, errlen, "SAE %zu: %s", i + 1, why);
			return NULL;
		}
	}
	saex_eval *ev = calloc(1, sizeof *ev);
	if (!ev)
		goto oom;
	ev->m = m;
	ev->o = *o;
	ev->V = (size_t)saex_model_config_of(m)->vocab;
	ev->D = (size_t)saex_model_config_of(m)->d_model;
	if (o->n_exclude) {
		if (!(ev->exclude = malloc(o->n_exclude * sizeof *ev->exclude)))
			goto oom;
		memcpy(ev->exclude, o->exclude, o->n_exclude * sizeof *ev->exclude);
	}
	ev->o.exclude = ev->exclude;
	if (!(ev->s = calloc(n, sizeof *ev->s)))
		goto oom;
	ev->n_sae = n;
	for (size_t i = 0; i < n; i++) {
		eval_sae *s = &ev->s[i];
		s->sae = saes[i];
		s->in = saex_sae_get_info(saes[i]);
		size_t D = (size_t)s->in->d_sae;
		if (!(s->f_sum = calloc(D, sizeof *s->f_sum)) || !(s->f_count = calloc(D, sizeof *s->f_count)))
			goto oom;
		ev->max_dsae = D > ev->max_dsae ? D : ev->max_dsae;
		ev->max_din = (size_t)s->in->d_in > ev->max_din ? (size_t)s->in->d_in : ev->max_din;
	}
	if (eval_hooks(ev, err, errlen)) {
		saex_eval_free(ev);
		return NULL;
	}
	return ev;
oom:
	saex_eval_free(ev);
	tensor_fail(err, errlen, "out of memory");
	return NULL;
}

static void eval_free_buffers(saex_eval *ev)
{
	free(ev->lp);
	free(ev->z);
	free(ev->f);
	free(ev->xhat);
	free(ev->xref);
	free(ev->norm);
	free(ev->count);
	for (size_t k = 0; k < ev->n_hook; k++) {
		free(ev->hook[k].x);
		free(ev->hook[k].resid);
		ev->hook[k].x = ev->hook[k].resid = NULL;
	}
	ev->lp = ev->z = ev->f = ev->xhat = ev->xref = ev->norm = NULL;
	ev->count = NULL;
	ev->cap = 0;
}

void saex_eval_free(saex_eval *ev)
{
	if (!ev)
		return;
	if (ev->hook)
		eval_free_buffers(ev);
	for (size_t i = 0; ev->s && i < ev->n_sae; i++) {
		free(ev->s[i].f_sum);
		free(ev->s[i].f_count);
	}
	free(ev->s);
	free(ev->hook);
	free(ev->capture);
	free(ev->cap_ctx);
	free(ev->exclude);
	free(ev);
}

/* n * m * size bytes, or NULL when that overflows or cannot be had. */
static void *eval_array(size_t n, size_t m, size_t size)
{
	if (m && n > SIZE_MAX / m / size)
		return NULL;
	size_t bytes = n * m * size;
	return malloc(bytes > 0 ? bytes : 1);
}

/* Buffers for prompts of up to T tokens. */
static int eval_reserve(saex_eval *ev, size_t T)
{
	if (T <= ev->cap)
		return 0;
	eval_free_buffers(ev);
	int bad = !(ev->lp = eval_array(T, ev->V, sizeof(float))) || !(ev->z = eval_array(T, ev->V, sizeof(float))) ||
	          !(ev->f = eval_array(T, ev->max_dsae, sizeof(float))) ||
	          !(ev->xhat = eval_array(T, ev->max_din, sizeof(float))) ||
	          !(ev->xref = eval_array(T, ev->max_din, sizeof(float))) ||
	          !(ev->norm = eval_array(T, 2, sizeof(float))) || !(ev->count = eval_array(T, 1, 1));
	for (size_t k = 0; !bad && k < ev->n_hook; k++)
		bad = !(ev->hook[k].x = eval_array(T, ev->hook[k].width, sizeof(float))) ||
		      (ev->hook[k].layer >= 0 && !(ev->hook[k].resid = eval_array(T, ev->D, sizeof(float))));
	if (bad) {
		eval_free_buffers(ev);
		return -1;
	}
	ev->cap = T;
	return 0;
}

/* ------------------------------------------------------------ hooks */

static int capture_hook(const char *name, float *act, size_t T, size_t width, void *user)
{
	capture_ctx *c = user;
	(void)name;
	if (width != c->width)
		return -1;
	memcpy(c->x, act, T * width * sizeof *act);
	return 0;
}

/* What a rerun writes at its hook: rows of src (NULL: zeros) into the rows
 * that count marks (NULL: every row). */
typedef struct write_ctx {
	const float *src;
	const uint8_t *count;
	size_t width;
} write_ctx;

static int write_hook(const char *name, float *act, size_t T, size_t width, void *user)
{
	write_ctx *w = user;
	(void)name;
	if (width != w->width)
		return -1;
	for (size_t t = 0; t < T; t++) {
		if (w->count && !w->count[t])
			continue;
		if (w->src)
			memcpy(act + t * width, w->src + t * width, width * sizeof *act);
		else
			memset(act + t * width, 0, width * sizeof *act);
	}
	return 0;
}

/* The clean pass: logits into ev->lp, each hook point's activation into
 * its x and the residual entering its block into its resid. */
static int eval_clean(saex_eval *ev, const uint32_t *ids, size_t T, char *err, size_t errlen)
{
	size_t n = 0;
	for (size_t k = 0; k < ev->n_hook; k++) {
		eval_hook *h = &ev->hook[k];
		ev->cap_ctx[n] = (capture_ctx){h->x, h->width};
		ev->capture[n] = (saex_hook){h->name, capture_hook, &ev->cap_ctx[n]};
		n++;
		if (h->layer >= 0) {
			ev->cap_ctx[n] = (capture_ctx){h->resid, ev->D};
			ev->capture[n] = (saex_hook){h->resid_name, capture_hook, &ev->cap_ctx[n]};
			n++;
		}
	}
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = ev->capture;
	ro.n_hooks = n;
	ro.logits = ev->lp;
	return saex_model_forward(ev->m, ids, T, &ro, err, errlen);
}

/* A pass that differs from the clean one at hook point k, where w is
 * written; the logits go to ev->z. It is the clean pass up to that point,
 * so it resumes at the hook's block from the clean pass's residual there
 * (a hook_embed SAE's pass runs from the tokens). */
static int eval_rerun(saex_eval *ev, size_t k, write_ctx *w, const uint32_t *ids, size_t T, char *err,
                      size_t errlen)
{
	saex_hook hk = {ev->hook[k].name, write_hook, w};
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = &hk;
	ro.n_hooks = 1;
	ro.logits = ev->z;
	if (ev->hook[k].layer >= 0) {
		ro.start_layer = ev->hook[k].layer;
		ro.start_resid = ev->hook[k].resid;
	}
	return saex_model_forward(ev->m, ids, T, &ro, err, errlen);
}

/* ------------------------------------------------------------ statistics */

/* The SAE's view of the clean activation x [T, d]: x itself, or x minus
 * each row's mean (center_writing_weights, computed as saex_sae_encode
 * does). */
static const float *eval_xref(saex_eval *ev, const eval_sae *s, const float *x, size_t T)
{
	if (!s->in->center_writing_weights)
		return x;
	size_t d = (size_t)s->in->d_in;
	for (size_t t = 0; t < T; t++) {
		const float *xi = x + t * d;
		double mean = 0;
		for (size_t j = 0; j < d; j++)
			mean += xi[j];
		mean /= (double)d;
		for (size_t j = 0; j < d; j++)
			ev->xref[t * d + j] = (float)(xi[j] - mean);
	}
	return ev->xref;
}

/* Adds the counted rows of x and x^ to the reconstruction totals. */
static void eval_recon(eval_tot *tot, const float *x, const float *xh, const uint8_t *count, size_t T, size_t d)
{
	for (size_t t = 0; t < T; t++) {
		if (!count[t])
			continue;
		const float *a = x + t * d, *b = xh + t * d;
		double aa = 0, bb = 0, ab = 0, ee = 0;
		for (size_t j = 0; j < d; j++) {
			double e = (double)a[j] - b[j];
			aa += (double)a[j] * a[j];
			bb += (double)b[j] * b[j];
			ab += (double)a[j] * b[j];
			ee += e * e;
		}
		double na = sqrt(aa), nb = sqrt(bb);
		tot->norm_in += na;
		tot->norm_out += nb;
		tot->ratio += nb / (na < 1e-4 ? 1.0 : na);
		tot->xhat2 += bb;
		tot->dot += ab;
		tot->rss += ee;
		tot->x2 += aa;
		tot->cos += na > 0 && nb > 0 ? ab / (na * nb) : 0.0;
	}
}

typedef struct feat_job {
	const float *f;
	const uint8_t *count;
	size_t T, D;
	double *sum;
	int64_t *n;
} feat_job;

/* Member i's share of the features: counts and sums over counted rows. */
static void feat_step(void *ctx, int i, int nm)
{
	const feat_job *j = ctx;
	size_t c0, c1;
	team_share(j->D, i, nm, 16, &c0, &c1);
	for (size_t t = 0; t < j->T; t++) {
		if (!j->count[t])
			continue;
		const float *row = j->f + t * j->D;
		for (size_t c = c0; c < c1; c++) {
			float v = row[c];
			if (v > 0) {
				j->n[c]++;
				j->sum[c] += v;
			}
		}
	}
}

/* ------------------------------------------------------------ a prompt */

typedef struct eval_step {
	const uint32_t *ids;
	size_t T;
	elog_rows rows;
	char *err;
	size_t errlen;
} eval_step;

/* A team for a statistic over `work` values: none for small ones, whose
 * threads would cost more to start than they give. */
#define EVAL_TEAM_WORK (1u << 20)
static team *eval_team(size_t work)
{
	return work >= EVAL_TEAM_WORK ? team_blas_start() : NULL;
}

static int eval_excluded(const saex_eval *ev, uint32_t id)
{
	for (size_t i = 0; i < ev->o.n_exclude; i++)
		if (ev->o.exclude[i] == id)
			return 1;
	return 0;
}

/* The logits in ev->z against the clean run: CE and KL sums. */
static void eval_logit_stats(saex_eval *ev, const eval_step *st, double *ce, double *kl)
{
	double t0 = now_seconds();
	team *tm = eval_team(st->T * ev->V);
	elog_run(tm, &st->rows, ev->z, ev->lp, ce, kl);
	team_blas_end(tm);
	ev->tm.stats += now_seconds() - t0;
}

static int eval_ablate(saex_eval *ev, size_t k, const eval_step *st)
{
	write_ctx w = {NULL, ev->o.ablate_excluded ? NULL : ev->count, ev->hook[k].width};
	double t0 = now_seconds();
	if (eval_rerun(ev, k, &w, st->ids, st->T, st->err, st->errlen))
		return -1;
	ev->tm.ablated += now_seconds() - t0;
	double ce, kl;
	eval_logit_stats(ev, st, &ce, &kl);
	ev->hook[k].ce_abl += ce;
	ev->hook[k].kl_abl += kl;
	return 0;
}

/* SAE i: encode and decode the clean activation, its statistics, the
 * spliced pass. */
static int eval_splice(saex_eval *ev, size_t i, const eval_step *st)
{
	eval_sae *s = &ev->s[i];
	const eval_hook *h = &ev->hook[s->hook];
	size_t T = st->T, d = h->width, D = (size_t)s->in->d_sae;
	double t0 = now_seconds();
	if (saex_sae_encode(s->sae, h->x, T, ev->f, ev->norm))
		return tensor_fail(st->err, st->errlen, "out of memory");
	saex_sae_decode(s->sae, ev->f, T, ev->norm, ev->xhat);
	double t1 = now_seconds();
	ev->tm.encode += t1 - t0;
	if (ev->o.on_features && ev->o.on_features(i, ev->f, T, ev->o.user))
		return tensor_fail(st->err, st->errlen, "the evaluation was stopped");
	double t2 = now_seconds();
	eval_recon(&s->tot, eval_xref(ev, s, h->x, T), ev->xhat, ev->count, T, d);
	feat_job fj = {ev->f, ev->count, T, D, s->f_sum, s->f_count};
	team *tm = eval_team(T * D);
	team_run(tm, feat_step, &fj);
	team_blas_end(tm);
	double t3 = now_seconds();
	ev->tm.stats += t3 - t2;
	write_ctx w = {ev->xhat, ev->count, d};
	if (eval_rerun(ev, s->hook, &w, st->ids, T, st->err, st->errlen))
		return -1;
	ev->tm.spliced += now_seconds() - t3;
	double ce, kl;
	eval_logit_stats(ev, st, &ce, &kl);
	s->tot.ce += ce;
	s->tot.kl += kl;
	return 0;
}

int saex_eval_prompt(saex_eval *ev, const uint32_t *ids, size_t T, char *err, size_t errlen)
{
	if (T < 1)
		return tensor_fail(err, errlen, "an empty prompt");
	if (eval_reserve(ev, T))
		return tensor_fail(err, errlen, "out of memory for a prompt of %zu tokens (%zu x %zu logits, twice)",
		                   T, T, ev->V);
	eval_step st = {ids, T, {ids, ev->count, T, ev->V}, err, errlen};
	int64_t n_tok = 0, n_ce = 0;
	for (size_t t = 0; t < T; t++) {
		ev->count[t] = !eval_excluded(ev, ids[t]);
		n_tok += ev->count[t];
		n_ce += ev->count[t] && t + 1 < T;
	}
	double t0 = now_seconds();
	if (eval_clean(ev, ids, T, err, errlen))
		return -1;
	double t1 = now_seconds();
	ev->tm.clean += t1 - t0;
	team *tm = eval_team(T * ev->V);
	double ce = elog_clean(tm, &st.rows, ev->lp, ev->lp);
	team_blas_end(tm);
	ev->tm.stats += now_seconds() - t1;
	for (size_t k = 0; k < ev->n_hook; k++)
		if (eval_ablate(ev, k, &st))
			return -1;
	for (size_t i = 0; i < ev->n_sae; i++)
		if (eval_splice(ev, i, &st))
			return -1;
	ev->ce_clean += ce;
	ev->n_tok += n_tok;
	ev->n_ce += n_ce;
	ev->n_prompts++;
	return 0;
}

/* ------------------------------------------------------------ results */

/* a / b, NaN when b is 0; a zero quotient is +0 (not -0). */
static double eval_div(double a, double b)
{
	return b != 0 ? a / b + 0.0 : NAN;
}

/* The feature counts of SAE s into m. */
static void eval_feature_counts(const eval_sae *s, int64_t n_tok, saex_eval_metrics *m)
{
	size_t D = (size_t)s->in->d_sae;
	int64_t alive = 0, over1 = 0, over10 = 0, fired = 0;
	double sum = 0;
	for (size_t c = 0; c < D; c++) {
		double dens = n_tok ? (double)s->f_count[c] / (double)n_tok : 0;
		alive += s->f_count[c] > 0;
		over1 += dens > 0.01;
		over10 += dens > 0.1;
		fired += s->f_count[c];
		sum += s->f_sum[c];
	}
	m->d_sae = (int64_t)D;
	m->dead_features = n_tok ? (int64_t)D - alive : 0;
	m->dense_features = over10;
	m->frac_alive = n_tok ? (double)alive / (double)D : NAN;
	m->freq_over_1_percent = n_tok ? (double)over1 / (double)D : NAN;
	m->freq_over_10_percent = n_tok ? (double)over10 / (double)D : NAN;
	m->l0 = eval_div((double)fired, (double)n_tok);
	m->l1 = eval_div(sum, (double)n_tok);
	m->mean_act_active = eval_div(sum, (double)fired);
}

void saex_eval_result(const saex_eval *ev, size_t i, saex_eval_metrics *m)
{
	memset(m, 0, sizeof *m);
	if (i >= ev->n_sae)
		return;
	const eval_sae *s = &ev->s[i];
	const eval_tot *t = &s->tot;
	const eval_hook *h = &ev->hook[s->hook];
	double N = (double)ev->n_tok, Nce = (double)ev->n_ce, d = (double)s->in->d_in;
	m->prompts = ev->n_prompts;
	m->tokens = ev->n_tok;
	m->ce_tokens = ev->n_ce;
	eval_feature_counts(s, ev->n_tok, m);
	m->l2_norm_in = eval_div(t->norm_in, N);
	m->l2_norm_out = eval_div(t->norm_out, N);
	m->l2_ratio = eval_div(t->ratio, N);
	m->relative_reconstruction_bias = ev->n_tok ? eval_div(t->xhat2, t->dot) : NAN;
	m->mse = eval_div(t->rss, N * d);
	double A = eval_div(t->x2, N), R = eval_div(t->rss, N);
	m->explained_variance = 1.0 - eval_div(R, A - (A / d) * (A / d));
	m->cossim = eval_div(t->cos, N);
	m->ce_loss_without_sae = eval_div(ev->ce_clean, Nce);
	m->ce_loss_with_sae = eval_div(t->ce, Nce);
	m->ce_loss_with_ablation = eval_div(h->ce_abl, Nce);
	m->ce_loss_score = eval_div(m->ce_loss_with_ablation - m->ce_loss_with_sae,
	                            m->ce_loss_with_ablation - m->ce_loss_without_sae);
	m->kl_div_with_sae = eval_div(t->kl, N);
	m->kl_div_with_ablation = eval_div(h->kl_abl, N);
	m->kl_div_score = eval_div(m->kl_div_with_ablation - m->kl_div_with_sae, m->kl_div_with_ablation);
}

void saex_eval_features(const saex_eval *ev, size_t i, float *density, float *mean_act)
{
	if (i >= ev->n_sae)
		return;
	const eval_sae *s = &ev->s[i];
	for (int64_t c = 0; c < s->in->d_sae; c++) {
		if (density)
			density[c] = ev->n_tok ? (float)((double)s->f_count[c] / (double)ev->n_tok) : 0.0f;
		if (mean_act)
			mean_act[c] = s->f_count[c] ? (float)(s->f_sum[c] / (double)s->f_count[c]) : 0.0f;
	}
}

void saex_eval_times_of(const saex_eval *ev, saex_eval_times *t)
{
	*t = ev->tm;
}

/* ------------------------------------------------------------ save, load */

#define EVAL_MAGIC "saex-eval-state-1"

typedef struct eval_io {
	FILE *f;
	int bad;
} eval_io;

static void io_put(eval_io *io, const void *p, size_t size, size_t n)
{
	if (!io->bad && n && fwrite(p, size, n, io->f) != n)
		io->bad = 1;
}

static void io_get(eval_io *io, void *p, size_t size, size_t n)
{
	if (!io->bad && n && fread(p, size, n, io->f) != n)
		io->bad = 1;
}

/* Moves every total through put or get: one list of what a state holds. */
static void eval_io_all(saex_eval *ev, eval_io *io, void (*mv)(eval_io *, void *, size_t, size_t))
{
	mv(io, &ev->ce_clean, sizeof ev->ce_clean, 1);
	mv(io, &ev->n_tok, sizeof ev->n_tok, 1);
	mv(io, &ev->n_ce, sizeof ev->n_ce, 1);
	mv(io, &ev->n_prompts, sizeof ev->n_prompts, 1);
	mv(io, &ev->tm, sizeof ev->tm, 1);
	for (size_t k = 0; k < ev->n_hook; k++) {
		mv(io, &ev->hook[k].ce_abl, sizeof(double), 1);
		mv(io, &ev->hook[k].kl_abl, sizeof(double), 1);
	}
	for (size_t i = 0; i < ev->n_sae; i++) {
		eval_sae *s = &ev->s[i];
		mv(io, &s->tot, sizeof s->tot, 1);
		mv(io, s->f_sum, sizeof *s->f_sum, (size_t)s->in->d_sae);
		mv(io, s->f_count, sizeof *s->f_count, (size_t)s->in->d_sae);
	}
}

static void io_put_mv(eval_io *io, void *p, size_t size, size_t n)
{
	io_put(io, p, size, n);
}

int saex_eval_save(const saex_eval *ev, FILE *f)
{
	eval_io io = {f, 0};
	uint64_t shape[2] = {ev->n_sae, ev->n_hook};
	io_put(&io, EVAL_MAGIC, sizeof EVAL_MAGIC, 1);
	io_put(&io, shape, sizeof *shape, 2);
	for (size_t i = 0; i < ev->n_sae; i++) {
		int64_t D = ev->s[i].in->d_sae;
		io_put(&io, &D, sizeof D, 1);
	}
	eval_io_all((saex_eval *)ev, &io, io_put_mv); /* only read */
	return io.bad ? -1 : 0;
}

int saex_eval_load(saex_eval *ev, FILE *f, char *err, size_t errlen)
{
	eval_io io = {f, 0};
	char magic[sizeof EVAL_MAGIC];
	uint64_t shape[2];
	io_get(&io, magic, sizeof magic, 1);
	io_get(&io, shape, sizeof *shape, 2);
	if (io.bad || memcmp(magic, EVAL_MAGIC, sizeof magic) != 0 || shape[0] != ev->n_sae || shape[1] != ev->n_hook)
		return tensor_fail(err, errlen, "not the evaluation state of these SAEs");
	for (size_t i = 0; i < ev->n_sae; i++) {
		int64_t D = -1;
		io_get(&io, &D, sizeof D, 1);
		if (io.bad || D != ev->s[i].in->d_sae)
			return tensor_fail(err, errlen, "not the evaluation state of these SAEs");
	}
	eval_io_all(ev, &io, io_get);
	if (io.bad)
		return tensor_fail(err, errlen, "the evaluation state is cut short");
	return 0;
}
