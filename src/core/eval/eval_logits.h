/* eval_logits.h - the statistics of an evaluation's logits (saex_eval.h):
 * each position's log-softmax, cross-entropy with the next token and KL
 * divergence from the clean run, the positions split among a team's
 * members (team.h; NULL: all here).
 *
 * Numerics: per row, m = max z, lse = m + log sum_v exp(z_v - m) (the sum
 * in float blocks of 64 added up in double), log p_v = z_v - lse in float.
 * The clean run's log p and p = exp(log p) are kept; a later run's
 * KL_t = sum_v p_clean (log p_clean - (z_v - lse)) is computed with the
 * same float steps, so a run whose logits equal the clean ones bit for bit
 * has KL exactly 0 and the same CE. CE_t = lse - z_t[id_{t+1}] in double.
 *
 * Rows: count[t] non-zero marks a counted position (saex_eval.h); CE is
 * summed over counted t < T - 1, KL over every counted t. Ownership: the
 * caller's arrays; nothing is kept. */
#ifndef SAEX_EVAL_LOGITS_H
#define SAEX_EVAL_LOGITS_H

#include <stddef.h>
#include <stdint.h>
#include "team.h"

typedef struct elog_rows {
	const uint32_t *ids;   /* [T] */
	const uint8_t *count;  /* [T] */
	size_t T, V;
} elog_rows;

/* The clean run: lp [T, V] = log softmax(z), p [T, V] = its exp; returns
 * the sum of CE_t. z may be lp (in place). */
double elog_clean(team *tm, const elog_rows *r, const float *z, float *lp, float *p);

/* Another run's logits z against the clean run's lp and p: *ce and *kl
 * receive the sums of CE_t and KL_t. */
void elog_run(team *tm, const elog_rows *r, const float *z, const float *lp, const float *p, double *ce,
              double *kl);

#endif
