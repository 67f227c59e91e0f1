/* eval_logits.c - log-softmax, cross-entropy and KL of an evaluation's
 * logits (eval_logits.h), row by row on a team. The loops over the
 * vocabulary are written for the vectoriser: vm_expf, and sums kept in 16
 * float lanes over blocks of 64 values, each block's total added in
 * double. */
#include "config.h"
#include "eval_logits.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

#define ELOG_LANES 16
#define ELOG_BLOCK 64

VM_CLONES static float row_max(const float *z, size_t V)
{
	float m = z[0];
	for (size_t v = 1; v < V; v++)
		m = z[v] > m ? z[v] : m;
	return m;
}

/* sum_v exp(z_v - m) */
VM_CLONES static double row_sumexp(const float *z, size_t V, float m)
{
	double total = 0;
	size_t v = 0;
	for (; v + ELOG_BLOCK <= V; v += ELOG_BLOCK) {
		float acc[ELOG_LANES] = {0};
		for (size_t j = 0; j < ELOG_BLOCK; j += ELOG_LANES)
			for (size_t k = 0; k < ELOG_LANES; k++)
				acc[k] += vm_expf(z[v + j + k] - m);
		float s = 0;
		for (size_t k = 0; k < ELOG_LANES; k++)
			s += acc[k];
		total += s;
	}
	for (; v < V; v++)
		total += vm_expf(z[v] - m);
	return total;
}

/* The row's log-sum-exp, as a float: every run computes it the same way. */
static float row_lse(const float *z, size_t V)
{
	float m = row_max(z, V);
	return (float)((double)m + log(row_sumexp(z, V, m)));
}

/* lp_v = z_v - lse and p_v = exp(lp_v); lp may be z. */
VM_CLONES static void row_logp(const float *z, size_t V, float lse, float *lp, float *p)
{
	for (size_t v = 0; v < V; v++) {
		float l = z[v] - lse;
		lp[v] = l;
		p[v] = vm_expf(l);
	}
}

/* sum_v p_v (lp_v - (z_v - lse)) */
VM_CLONES static double row_kl(const float *z, size_t V, float lse, const float *lp, const float *p)
{
	double total = 0;
	size_t v = 0;
	for (; v + ELOG_BLOCK <= V; v += ELOG_BLOCK) {
		float acc[ELOG_LANES] = {0};
		for (size_t j = 0; j < ELOG_BLOCK; j += ELOG_LANES)
			for (size_t k = 0; k < ELOG_LANES; k++) {
				size_t i = v + j + k;
				acc[k] += p[i] * (lp[i] - (z[i] - lse));
			}
		float s = 0;
		for (size_t k = 0; k < ELOG_LANES; k++)
			s += acc[k];
		total += s;
	}
	for (; v < V; v++)
		total += p[v] * (lp[v] - (z[v] - lse));
	return total;
}

typedef struct elog_job {
	const elog_rows *r;
	const float *z, *lpc, *pc; /* run: the clean lp and p */
	float *lp, *p;             /* clean: written */
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
		row_logp(z, V, lse, j->lp + t * V, j->p + t * V);
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
		kl += row_kl(z, V, lse, j->lpc + t * V, j->pc + t * V);
	}
	j->ce[i] = ce;
	j->kl[i] = kl;
}

/* Sums the members' shares in member order (the same total for the same
 * team size). */
static double elog_total(const double *v, int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

double elog_clean(team *tm, const elog_rows *r, const float *z, float *lp, float *p)
{
	elog_job j;
	memset(&j, 0, sizeof j);
	j.r = r;
	j.z = z;
	j.lp = lp;
	j.p = p;
	team_run(tm, clean_step, &j);
	return elog_total(j.ce, tm ? team_size(tm) : 1);
}

void elog_run(team *tm, const elog_rows *r, const float *z, const float *lp, const float *p, double *ce,
              double *kl)
{
	elog_job j;
	memset(&j, 0, sizeof j);
	j.r = r;
	j.z = z;
	j.lpc = lp;
	j.pc = p;
	team_run(tm, run_step, &j);
	int n = tm ? team_size(tm) : 1;
	*ce = elog_total(j.ce, n);
	*kl = elog_total(j.kl, n);
}
