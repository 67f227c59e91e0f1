/* dash.h - the dashboard builder's computation (FORMATS.md section 6, as
 * SAEDashboard computes it), free of the store and of curses: saex build
 * (cmd_build.c) feeds it SAE activations prompt by prompt and writes what
 * it finalizes into the store.
 *
 * Streaming, with memory bounded by the number of features (not the
 * corpus). Per feature a dash keeps:
 *   - the count of non-zero activations and the maximum (exact);
 *   - a histogram of the non-zero activations over [0, R) in DASH_SUB
 *     sub-bins, R the smallest power of two above the maximum; when a larger
 *     value arrives R doubles and neighbouring sub-bins merge, so the counts
 *     do not depend on the order of the prompts. dash_feature re-bins them
 *     into DASH_BINS equal bins of [0, max], each sub-bin going where its
 *     centre lies (a count can move by one bin only for values within a
 *     sub-bin, < max / (DASH_SUB / 2), of a bin edge);
 *   - the top DASH_TOP prompts by their largest activation (ties: the lower
 *     prompt index), each with the prompt's non-zero values;
 *   - a stratified random sample for the quantile groups: prompts are keyed
 *     by a hash of (seed, feature, prompt), and per half-octave level of
 *     their largest activation the DASH_RES_PER_LEVEL lowest keys are kept,
 *     for the DASH_LEVELS levels below the maximum (values above max / 64).
 *     dash_feature picks, per quantile interval, the lowest keys among the
 *     kept prompts whose largest activation lies in it. Deterministic and
 *     independent of the order of the prompts.
 * Reported activations are f_i * scale_i (the decoder norms, folded).
 *
 * Ownership: a dash owns its state; dash_feature's results borrow from it
 * until the next dash_add or dash_free. Not thread-safe: one thread calls
 * its functions (dash_add may split its work over a team, see below). */
#ifndef SAEX_DASH_H
#define SAEX_DASH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "saex_tensor.h"

#define DASH_TOP 20           /* top activating examples */
#define DASH_QUANTILES 5      /* equal-width intervals of [0, max] */
#define DASH_PER_GROUP 5      /* examples per quantile interval */
#define DASH_BINS 50          /* activation and logit histograms */
#define DASH_SUB 512          /* sub-bins of the streaming histogram */
#define DASH_LEVELS 12        /* half-octave levels sampled below the max */
#define DASH_RES_PER_LEVEL 8  /* sampled prompts kept per level */
#define DASH_LOGITS 10        /* top and bottom logit effects */
#define DASH_COS 10           /* most similar features by decoder direction */
#define DASH_MAX_EX (DASH_TOP + DASH_QUANTILES * DASH_PER_GROUP)

typedef struct dash dash;
struct team;

/* One non-zero activation of an example: token position and value. */
typedef struct dash_nz {
	uint32_t pos;
	float v;
} dash_nz;

typedef struct dash_example {
	uint32_t prompt, len;     /* prompt index and its length in tokens */
	float max, min;           /* over the prompt's tokens (zeros count) */
	uint32_t argmax;          /* first position holding max */
	const dash_nz *nz;        /* nnz non-zero values by position (borrowed) */
	uint32_t nnz;
	double bin_min, bin_max, bin_contains; /* top group: -1, max, -1 */
} dash_example;

typedef struct dash_feat {
	double max_act, frac_nonzero;
	float hist_h[DASH_BINS], hist_v[DASH_BINS]; /* counts and bin centres */
	size_t n_hist;                              /* 0 when never active */
	dash_example ex[DASH_MAX_EX];               /* top group, then the
	                                             * quantile groups from the
	                                             * highest; each by max */
	size_t n_ex, n_top;
} dash_feat;

/* A dash for d_sae features; scale (may be NULL: all 1) is copied. */
dash *dash_new(int64_t d_sae, const float *scale, uint64_t seed);
void dash_free(dash *d); /* NULL is allowed */
int64_t dash_d_sae(const dash *d);
/* Tokens seen so far (all positions of all prompts added). */
uint64_t dash_tokens(const dash *d);

/* Adds prompt number prompt, whose T token rows of SAE activations are
 * f [T, d_sae] (as saex_sae_encode writes them; negative values count as
 * zero). T must be at least 1 and below 2^31. With a team (borrowed; NULL:
 * this thread alone) each member takes a share of the features; the state
 * reached is the same for any team. Returns 0 (running out of memory
 * aborts, as xmalloc does). */
int dash_add(dash *d, uint32_t prompt, const float *f, size_t T, struct team *tm);

/* Feature i's results from what was added so far. */
void dash_feature(const dash *d, int64_t i, dash_feat *out);

/* Checkpoints: the whole state in a native-endian binary form (read back
 * only by the same build of saex on the same machine). dash_load replaces
 * the state of d, which must have the same d_sae; 0, or -1 with err filled
 * when the data is short or damaged. */
int dash_save(const dash *d, FILE *f);
int dash_load(dash *d, FILE *f, char *err, size_t errlen);

/* ------------------------------------------------------------ weights */

/* Unit rows of W [n, d] into out [n, d] (a zero row stays zero) and their
 * norms into norms [n] (either may be NULL). */
void dash_unit_rows(const float *w, size_t n, size_t d, float *out, float *norms);

typedef struct dash_logit {
	uint32_t pos_id[DASH_LOGITS], neg_id[DASH_LOGITS];
	float pos_v[DASH_LOGITS], neg_v[DASH_LOGITS]; /* largest first; most
	                                               * negative first */
	size_t n_pos, n_neg;
	float hist_h[DASH_BINS], hist_v[DASH_BINS];   /* over [min, max] */
} dash_logit;

/* Logit effects of n directions w [n, d] through the unembedding,
 * w @ W_U^T with W_U [V, d] in its file's dtype (saex_model_unembed; F16
 * and BF16 widened as they are used): per row the DASH_LOGITS largest and smallest
 * (ties: the lower token id) and a DASH_BINS histogram over the vocabulary
 * (equal bins of [min, max], the last closed). With a team (borrowed, as
 * team_blas_start makes one; NULL: OpenBLAS's own threads, then this
 * thread) its members split each product's columns and the rows' scans;
 * the values are the same with any team to float rounding (OpenBLAS's
 * edge kernels round unlike its full tiles). Returns 0, or -1 (memory, or
 * W_U is not [V, d]). */
int dash_logits(const float *w, size_t n, size_t d, const saex_tensor *wu, dash_logit *out,
                struct team *tm);

/* For each of the n unit rows of u [n, d], the k most cosine-similar other
 * rows (largest first, ties: the lower index): idx and val [n, k]. Rows
 * [r0, r1) only when the range is narrower than n (their results go to
 * idx and val from row 0). A team as for dash_logits. Returns
 * min(k, n - 1), or -1 (memory). */
long dash_cosine(const float *u, size_t n, size_t d, size_t r0, size_t r1, size_t k,
                 uint32_t *idx, float *val, struct team *tm);

#endif
