/* saex_sae.h - part of libsaex's public interface (included by saex.h):
 * sparse autoencoders in SAELens folders (cfg.json + sae_weights.safetensors).
 *
 * Both config forms are read: v6 (model facts under "metadata": hook_name,
 * ...; architecture, d_in, d_sae, apply_b_dec_to_input,
 * normalize_activations and k at top level) and the older flat form
 * (hook_point, hook_point_layer, activation_fn_str "relu" or "topk" with
 * activation_fn_kwargs.k, boolean normalize_activations meaning
 * expected_average_only_in). Defaults: architecture standard,
 * apply_b_dec_to_input true, normalize_activations none.
 *
 * Errors follow saex_tensor.h: (err, errlen) receives one line naming the
 * file and the field or tensor. A bad folder gives an error, never a crash.
 *
 * Formulas (per row x of d_in values):
 *   0. center_writing_weights (cfg, metadata or model_from_pretrained_kwargs):
 *      x -= mean(x) before anything else.
 *   1. normalisation: none; constant_norm_rescale x*sqrt(d_in)/|x|;
 *      layer_norm (x-mu)/(sigma+1e-5), sigma the unbiased std;
 *      expected_average_only_in: identity. SAELens folds that constant
 *      factor into the saved weights, and cfg.json does not record it, so
 *      nothing is applied at run time (as SAELens does at inference).
 *   2. x -= b_dec when apply_b_dec_to_input.
 *   3. standard ReLU(x W_enc + b_enc); jumprelu pre = x W_enc + b_enc kept
 *      where pre > threshold (strict) and pre > 0; topk: the k largest of
 *      pre (ties: the lower index wins), ReLU'd, the rest 0; gated:
 *      g = x W_enc, f = [g + b_gate > 0] * ReLU(g exp(r_mag) + b_mag).
 *   Decode: f W_dec + b_dec (a sum of the non-zero rows), then the
 *   normalisation undone (constant_norm_rescale: / c; layer_norm: *sigma+mu).
 *   The centring of step 0 is not undone. */
#ifndef SAEX_SAE_H
#define SAEX_SAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum saex_sae_arch {
	SAEX_SAE_STANDARD = 0,
	SAEX_SAE_TOPK = 1,
	SAEX_SAE_JUMPRELU = 2,
	SAEX_SAE_GATED = 3
} saex_sae_arch;

typedef enum saex_sae_norm {
	SAEX_NORM_NONE = 0,
	SAEX_NORM_CONSTANT_NORM_RESCALE = 1,
	SAEX_NORM_LAYER_NORM = 2,
	SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN = 3
} saex_sae_norm;

/* "standard", "topk", "jumprelu", "gated" / "none", "constant_norm_rescale",
 * "layer_norm", "expected_average_only_in" (static storage). */
const char *saex_sae_arch_name(saex_sae_arch a);
const char *saex_sae_norm_name(saex_sae_norm n);

typedef struct saex_sae_info {
	saex_sae_arch arch;
	saex_sae_norm norm;
	int64_t d_in, d_sae;
	int k;                       /* top-k only; 0 otherwise */
	int apply_b_dec_to_input;
	int center_writing_weights;
	const char *hook_name;       /* borrowed from the saex_sae; "" if none */
	const char *model_name;      /* the model it was trained on ("gpt2"), as
	                              * cfg.json says; borrowed; "" if none */
	int layer;                   /* from hook_point_layer or "blocks.L."; -1 */
} saex_sae_info;

typedef struct saex_sae saex_sae;

/* Loads the SAELens folder dir. NULL on failure with err filled. The
 * weights file stays mapped until saex_sae_free. */
saex_sae *saex_sae_load(const char *dir, char *err, size_t errlen);
/* Frees s (NULL allowed). */
void saex_sae_free(saex_sae *s);
/* The configuration (borrowed; lives as long as s). */
const saex_sae_info *saex_sae_get_info(const saex_sae *s);

/* Encodes n rows x [n, d_in] into f [n, d_sae] (caller's memory). When
 * norm is not NULL it receives 2*n floats (per row a scale and a shift)
 * that saex_sae_decode needs to undo the normalisation; pass NULL there
 * for the identity. Returns 0, or -1 when memory runs out. */
int saex_sae_encode(const saex_sae *s, const float *x, size_t n, float *f, float *norm);
/* Decodes f [n, d_sae] into xhat [n, d_in], skipping zero features. norm
 * is what saex_sae_encode wrote, or NULL. */
void saex_sae_decode(const saex_sae *s, const float *f, size_t n, const float *norm, float *xhat);

/* Row i of W_dec (d_in floats, borrowed), the feature's decoder direction;
 * NULL when i is not below d_sae. */
const float *saex_sae_decoder_row(const saex_sae *s, int64_t i);

/* The activation alone, in place on one row of pre-activations pre
 * [d_sae] (for standard, topk and jumprelu this is pre = x W_enc + b_enc;
 * for gated pre = x W_enc). Exposed for tests. */
void saex_sae_activate(const saex_sae *s, float *pre);

/* Metrics of a reconstruction of n rows of d values: mean L0 of f (n rows
 * of d_sae), mean squared error, and explained variance
 * 1 - sum (x - xhat)^2 / sum (x - column mean of x)^2 (NaN when x has no
 * variance). Any out pointer may be NULL. */
void saex_sae_metrics(const float *x, const float *xhat, size_t n, int64_t d, const float *f,
                      int64_t d_sae, double *l0, double *mse, double *ev);

/* ---------------------------------------------------------------- on a model
 * (the model is saex_model.h's; include saex.h for both) */
struct saex_model;
struct saex_hook;
/* 0 when s can read m: its hook is one of m's and as wide as its d_in;
 * else -1 with err saying why. */
int saex_sae_fits(const saex_sae *s, const struct saex_model *m, char *err, size_t errlen);
/* Runs ids[0..T) through m up to the SAE's layer (with the n_extra hooks
 * first, e.g. steering) and encodes the activation at the SAE's hook into
 * f [T, d_sae] (caller's memory): the values `saex run --sae` prints. 0, or
 * -1 with err filled. */
int saex_sae_features(struct saex_model *m, const saex_sae *s, const uint32_t *ids, size_t T,
                      const struct saex_hook *extra, size_t n_extra, float *f, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
