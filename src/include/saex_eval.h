/* saex_eval.h - part of libsaex's public interface (included by saex.h):
 * how good an SAE is on some text, by SAELens's evaluation metrics
 * (sae_lens/evals.py: run_evals, get_downstream_reconstruction_metrics,
 * get_sparsity_and_variance_metrics), with its metric names.
 *
 * An evaluation runs prompts through a model three ways: clean, with an
 * SAE's reconstruction spliced in at the SAE's hook ("with SAE"), and with
 * the hooked activation set to zero ("with ablation"). Several SAEs share
 * one evaluation: the clean pass (its logits and the activations at every
 * SAE's hook) is run once for all of them, and the ablated pass once per
 * hook point. Each SAE adds its encode and decode and one spliced pass.
 * The ablated and spliced passes resume at the block of their hook from
 * the clean pass's residual there (saex_run_opts.start_resid): the blocks
 * before it run once per prompt.
 *
 * Counted tokens: every position whose token id is not in opts.exclude (the
 * BOS; SAELens leaves out every special token). Each statistic is over the
 * counted tokens of all prompts so far, N in all. With x an SAE's input at
 * its hook (x minus its mean over d_in for an SAE with
 * center_writing_weights, as the SAE sees it: saex_sae.h step 0), x^ the
 * reconstruction, f the features and d = d_in:
 *   l0                 (1/N) sum_t #{i : f_ti > 0}
 *   l1                 (1/N) sum_t sum_i f_ti
 *   l2_norm_in, l2_norm_out   (1/N) sum_t |x_t|, (1/N) sum_t |x^_t|
 *   l2_ratio           (1/N) sum_t |x^_t| / |x_t| (|x_t| below 1e-4 counts
 *                      as 1, as SAELens does)
 *   relative_reconstruction_bias  sum_t |x^_t|^2 / sum_t x_t . x^_t
 *   mse                (1/(N d)) sum_t |x_t - x^_t|^2
 *   explained_variance 1 - R / (A - (A/d)^2), R = (1/N) sum_t |x_t - x^_t|^2,
 *                      A = (1/N) sum_t |x_t|^2: SAELens's formula as it is
 *                      (it subtracts the squared mean of x^2 over tokens and
 *                      dimensions, not |mean x|^2)
 *   cossim             (1/N) sum_t x_t . x^_t / (|x_t| |x^_t|) (0 when
 *                      either is zero)
 * Per position t of a prompt of T tokens, with z the logits and p = softmax:
 *   CE_t = -log p_t[id_{t+1}] for counted t < T - 1 (the position predicting
 *   the next token, as SAELens masks its per-token loss); KL_t =
 *   sum_v p_clean,t,v log(p_clean,t,v / p_run,t,v) for every counted t.
 *   ce_loss_without_sae, ce_loss_with_sae, ce_loss_with_ablation   mean CE_t
 *   ce_loss_score      (with_ablation - with_sae) / (with_ablation - without)
 *   kl_div_with_sae, kl_div_with_ablation   mean KL_t
 *   kl_div_score       (kl_div_with_ablation - kl_div_with_sae) / kl_div_with_ablation
 * Per feature i: density_i = #{t : f_ti > 0} / N (SAELens's
 * feature_density) and mean_act_i = sum_t f_ti / #{t : f_ti > 0} (0 for a
 * feature that never fired). Over the features (SAE Bench's misc_metrics):
 *   frac_alive         share of features with density > 0
 *   freq_over_1_percent, freq_over_10_percent   share with density > 0.01,
 *                      > 0.1
 *   mean_act_active    sum f / #{f > 0} over all tokens and features (l1/l0)
 * and the counts dead_features (density 0) and dense_features (> 0.1).
 * A metric with nothing to average (no counted token, a zero denominator)
 * is NaN.
 *
 * The splice writes x^ into the counted rows only (excluded rows keep the
 * clean value, as SAELens's replacement hook does); the ablation zeroes the
 * counted rows only, so that an SAE reconstructing nothing (x^ = 0) scores
 * exactly 0 and a perfect one exactly 1. SAELens zeroes the excluded rows
 * too: opts.ablate_excluded does the same.
 *
 * Errors follow saex_tensor.h: (err, errlen) receives one line. A failed
 * saex_eval_prompt leaves the totals undefined: free the evaluation.
 *
 * Threads: a prompt runs the model (saex_model.h's threads) and splits the
 * logits' and features' statistics among as many threads of its own, which
 * block every signal. One evaluation, and its model, belong to one thread
 * at a time. */
#ifndef SAEX_EVAL_H
#define SAEX_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct saex_model;
struct saex_sae;

/* The scalar metrics, in SAELens's groups, once: X(name, group). The
 * groups are SAELens's (and Neuronpedia's "core" evaluation's) categories;
 * the shares of features are SAE Bench's misc_metrics. */
#define SAEX_EVAL_METRICS(X)                                                                                          \
	X(l0, "sparsity")                                                                                             \
	X(l1, "sparsity")                                                                                             \
	X(explained_variance, "reconstruction_quality")                                                               \
	X(mse, "reconstruction_quality")                                                                              \
	X(cossim, "reconstruction_quality")                                                                           \
	X(l2_norm_in, "shrinkage")                                                                                    \
	X(l2_norm_out, "shrinkage")                                                                                   \
	X(l2_ratio, "shrinkage")                                                                                      \
	X(relative_reconstruction_bias, "shrinkage")                                                                  \
	X(ce_loss_score, "model_performance_preservation")                                                            \
	X(ce_loss_without_sae, "model_performance_preservation")                                                      \
	X(ce_loss_with_sae, "model_performance_preservation")                                                         \
	X(ce_loss_with_ablation, "model_performance_preservation")                                                    \
	X(kl_div_score, "model_behavior_preservation")                                                                \
	X(kl_div_with_sae, "model_behavior_preservation")                                                             \
	X(kl_div_with_ablation, "model_behavior_preservation")                                                        \
	X(frac_alive, "misc_metrics")                                                                                 \
	X(freq_over_1_percent, "misc_metrics")                                                                        \
	X(freq_over_10_percent, "misc_metrics")                                                                       \
	X(mean_act_active, "misc_metrics")

typedef struct saex_eval_metrics {
#define SAEX_EVAL_FIELD_(name, group) double name;
	SAEX_EVAL_METRICS(SAEX_EVAL_FIELD_)
#undef SAEX_EVAL_FIELD_
	int64_t prompts;        /* prompts run */
	int64_t tokens;         /* N: counted tokens */
	int64_t ce_tokens;      /* positions CE_t was taken at */
	int64_t d_sae;
	int64_t dead_features;  /* density 0 */
	int64_t dense_features; /* density > 0.1 */
} saex_eval_metrics;

/* The metric names in order (static storage), their groups, and their
 * number; saex_eval_metric_value reads metric k of m. */
extern const char *const saex_eval_metric_names[];
extern const char *const saex_eval_metric_groups[];
extern const size_t saex_eval_n_metrics;
double saex_eval_metric_value(const saex_eval_metrics *m, size_t k);

typedef struct saex_eval_opts {
	const uint32_t *exclude;  /* token ids left out of every statistic */
	size_t n_exclude;         /* (copied at saex_eval_new) */
	int ablate_excluded;      /* non-zero: the ablation zeroes them too */
	/* Called after each SAE's encode of each prompt with its features f
	 * [T, d_sae] (borrowed for the call), e.g. saex build's dashboards;
	 * non-zero stops the prompt (saex_eval_prompt then fails). May be NULL. */
	int (*on_features)(size_t sae, const float *f, size_t T, void *user);
	void *user;
} saex_eval_opts;
#define SAEX_EVAL_OPTS_INIT {NULL, 0, 0, NULL, NULL}

typedef struct saex_eval saex_eval;

/* An evaluation of the n SAEs saes[0..n) on model m, which must each fit m
 * (saex_sae_fits). m and the SAEs are borrowed and must outlive it. NULL
 * with err filled ("SAE 2: ..." for one that does not fit; no memory). */
saex_eval *saex_eval_new(struct saex_model *m, const struct saex_sae *const *saes, size_t n,
                         const saex_eval_opts *o, char *err, size_t errlen);
void saex_eval_free(saex_eval *ev); /* NULL is allowed */

/* Runs one prompt, ids[0..T) (as saex_model_forward takes them), every way
 * and adds it to every SAE's totals. 0, or -1 with err filled (bad ids, a
 * prompt longer than the model's context, on_features stopped it, no
 * memory). Memory for the logits (two arrays of T x vocabulary floats)
 * is kept for the longest prompt so far. */
int saex_eval_prompt(saex_eval *ev, const uint32_t *ids, size_t T, char *err, size_t errlen);

/* The metrics of SAE i over the prompts so far. */
void saex_eval_result(const saex_eval *ev, size_t i, saex_eval_metrics *out);
/* Per feature of SAE i, d_sae floats each into caller memory (either may be
 * NULL): density_i and mean_act_i as above (0 before any prompt). */
void saex_eval_features(const saex_eval *ev, size_t i, float *density, float *mean_act);

/* Where the time went (seconds, all prompts so far): the model's clean,
 * ablated and spliced passes, the SAEs' encode and decode, and the
 * statistics of logits, reconstructions and features. */
typedef struct saex_eval_times {
	double clean, ablated, spliced, encode, stats;
} saex_eval_times;
void saex_eval_times_of(const saex_eval *ev, saex_eval_times *t);

/* The totals (and times) to a stream and back, for a run that resumes (a
 * checkpoint of saex build --eval). load needs an evaluation of the same
 * SAEs (by d_sae) and returns -1 with err filled when the stream is not
 * such a state or is cut short; 0 otherwise. save returns -1 on a write
 * error. */
int saex_eval_save(const saex_eval *ev, FILE *f);
int saex_eval_load(saex_eval *ev, FILE *f, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
