/* eval_logits.c - log-softmax, cross-entropy and KL of an evaluation's
 * logits (eval_logits.h), row by row on a team.
 *
 * A row of GPT-2's logits is 200 KB and the rows of a prompt far more than
 * the caches hold, so the work is arranged to read each array from memory
 * once: the log-sum-exp in one pass (each block of 512 values read twice
 * from L1: its maximum, then its exponentials against the running maximum,
 * the sum rescaled when the maximum grows), then the KL pass over the row
 * (from L2) and the clean log p (from memory). p is exp(log p) again where
 * it is needed rather than a third array. The loops are written for the
 * vectoriser: vm_expf, maxima kept in 16 float lanes, sums in 16 float
 * lanes over every 64 values added into 16 double lanes. */
#include "config.h"
#include "eval_logits.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

#define ELOG_LANES 16
#define ELOG_CHUNK 64   /* values a float lane sum covers */
#define ELOG_BLOCK 512  /* values of one step of the running maximum */

/* The maximum of a block of ELOG_BLOCK values, in lanes. Inlined into the
 * clones of row_lse (a call per block would cost more than the block). */
static inline float block_max(const float *z)
{
	float lane[ELOG_LANES];
	memcpy(lane, z, sizeof lane);
	for (size_t j = ELOG_LANES; j < ELOG_BLOCK; j += ELOG_LANES)
		for (size_t k = 0; k < ELOG_LANES; k++)
			lane[k] = z[j + k] > lane[k] ? z[j + k] : lane[k];
	float m = lane[0];
	for (size_t k = 1; k < ELOG_LANES; k++)
		m = lane[k] > m ? lane[k] : m;
	return m;
}

/* sum of exp(z - m) over a block of ELOG_BLOCK values: 16 float lanes
 * over each 64 values, added into 16 double lanes. */
static inline double block_sumexp(const float *z, float m)
{
	double dacc[ELOG_LANES] = {0};
	for (size_t c = 0; c < ELOG_BLOCK; c += ELOG_CHUNK) {
		float acc[ELOG_LANES] = {0};
		for (size_t j = c; j < c + ELOG_CHUNK; j += ELOG_LANES)
			for (size_t k = 0; k < ELOG_LANES; k++)
				acc[k] += vm_expf(z[j + k] - m);
		for (size_t k = 0; k < ELOG_LANES; k++)
			dacc[k] += acc[k];
	}
	double s = 0;
	for (size_t k = 0; k < ELOG_LANES; k++)
		s += dacc[k];
	return s;
}

/* The row's log-sum-exp as a float, computed in one pass with a running
 * maximum (one step per block of 512 values): every run computes it the
 * same way, so equal rows give equal values. */
VM_CLONES static float row_lse(const float *z, size_t V)
{
	double m = -INFINITY, s = 0;
	size_t v = 0;
	for (; v + ELOG_BLOCK <= V; v += ELOG_BLOCK) {
		double bm = block_max(z + v);
		if (bm > m) {
			s *= exp(m - bm);
			m = bm;
		}
		s += block_sumexp(z + v, (float)m);
	}
	for (; v < V; v++) {
		if (z[v] > m) {
			s *= exp(m - z[v]);
			m = z[v];
		}
		s += exp(z[v] - m);
	}
	return (float)(m + log(s));
}

/* lp_v = z_v - lse; lp may be z. */
VM_CLONES static void row_logp(const float *z, size_t V, float lse, float *lp)
{
	for (size_t v = 0; v < V; v++)
		lp[v] = z[v] - lse;
}

/* sum_v exp(lp_v) (lp_v - (z_v - lse)), summed as block_sumexp sums. */
VM_CLONES static double row_kl(const float *z, size_t V, float lse, const float *lp)
{
	double dacc[ELOG_LANES] = {0}, total = 0;
	size_t v = 0;
	for (; v + ELOG_CHUNK <= V; v += ELOG_CHUNK) {
		float acc[ELOG_LANES] = {0};
		for (size_t j = v; j < v + ELOG_CHUNK; j += ELOG_LANES)
			for (size_t k = 0; k < ELOG_LANES; k++)
				acc[k] += vm_expf(lp[j + k]) * (lp[j + k] - (z[j + k] - lse));
		for (size_t k = 0; k < ELOG_LANES; k++)
			dacc[k] += acc[k];
	}
	for (size_t k = 0; k < ELOG_LANES; k++)
		total += dacc[k];
	for (; v < V; v++)
		total += vm_expf(lp[v]) * (lp[v] - (z[v] - lse));
	return total;
}

typedef struct elog_job {
	const elog_rows *r;
	const float *z, *lpc; /* run: the clean log p */
	float *lp;            /* clean: written */
	double ce[TEAM_MAX], kl[TEAM_MAX];
} elog_job;

static double row_ce(const elog_rows *r, size_t t, float lse, const float *z)
{
	return (double)lse - (double)z[r->ids[t + 1]];
}

static void clean_step(void *ctx, int i, int n)
{
	elog_job *j = ctx;
	const elog_rows *r = j->r;
	size_t t0, t1, V = r->V;
	team_share(r->T, i, n, 1, &t0, &t1);
	double ce = 0;
	for (size_t t = t0; t < t1; t++) {
		const float *z = j->z + t * V;
		float lse = row_lse(z, V);
		if (r->count[t] && t + 1 < r->T)
			ce += row_ce(r, t, lse, z);
		row_logp(z, V, lse, j->lp + t * V);
	}
	j->ce[i] = ce;
}

static void run_step(void *ctx, int i, int n)
{
	elog_job *j = ctx;
	const elog_rows *r = j->r;
	size_t t0, t1, V = r->V;
	team_share(r->T, i, n, 1, &t0, &t1);
	double ce = 0, kl = 0;
	for (size_t t = t0; t < t1; t++) {
		if (!r->count[t])
			continue;
		const float *z = j->z + t * V;
		float lse = row_lse(z, V);
		if (t + 1 < r->T)
			ce += row_ce(r, t, lse, z);
		kl += row_kl(z, V, lse, j->lpc + t * V);
	}
	j->ce[i] = ce;
	j->kl[i] = kl;
}

/* Runs step on the team and sums the members' shares in member order (the
 * same total for the same team size). */
static void elog_team_run(team *tm, team_fn step, elog_job *j, double *ce, double *kl)
{
	team_run(tm, step, j);
	*ce = *kl = 0;
	for (int i = 0; i < (tm ? team_size(tm) : 1); i++) {
		*ce += j->ce[i];
		*kl += j->kl[i];
	}
}

double elog_clean(team *tm, const elog_rows *r, const float *z, float *lp)
{
	elog_job j;
	memset(&j, 0, sizeof j);
	j.r = r;
	j.z = z;
	j.lp = lp;
	double ce, kl;
	elog_team_run(tm, clean_step, &j, &ce, &kl);
	return ce;
}

void elog_run(team *tm, const elog_rows *r, const float *z, const float *lp, double *ce, double *kl)
{
	elog_job j;
	memset(&j, 0, sizeof j);
	j.r = r;
	j.z = z;
	j.lpc = lp;
	elog_team_run(tm, run_step, &j, ce, kl);
}
