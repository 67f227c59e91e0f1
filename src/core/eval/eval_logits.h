/* eval_logits.h - the statistics of an evaluation's logits (saex_eval.h):
 * each position's log-softmax, cross-entropy with the next token and KL
 * divergence from the clean run, the positions split among a team's
 * members (team.h; NULL: all here).
 *
 * Numerics: per row, lse = m + log sum_v exp(z_v - m), m the maximum (met
 * in one pass: sums in float over 64 values against the running maximum,
 * added up in double, rescaled when the maximum grows), log p_v
 * = z_v - lse in float. The clean run's log p is kept; a later run's
 * KL_t = sum_v p_clean (log p_clean - (z_v - lse)), p_clean = exp(log
 * p_clean), is computed with the same float steps, so a run whose logits
 * equal the clean ones bit for bit has KL exactly 0 and the same CE.
 * CE_t = lse - z_t[id_{t+1}] in double.
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

/* The clean run: lp [T, V] = log softmax(z); returns the sum of CE_t. z
 * may be lp (in place). */
double elog_clean(team *tm, const elog_rows *r, const float *z, float *lp);

/* Another run's logits z against the clean run's lp: *ce and *kl receive
 * the sums of CE_t and KL_t. */
void elog_run(team *tm, const elog_rows *r, const float *z, const float *lp, double *ce, double *kl);

#endif
