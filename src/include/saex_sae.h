/* saex_sae.h - part of libsaex's public interface (included by saex.h):
 * sparse autoencoders and transcoders as their publishers lay them out, on
 * disk or in a Hugging Face cache snapshot. saex_sae_load tells the layout
 * of a folder by its files:
 *   SAELens          cfg.json + sae_weights.safetensors (W_enc [d_in, d_sae],
 *                    W_dec [d_sae, d_out], b_enc, b_dec, threshold, b_gate,
 *                    b_mag, r_mag, W_skip [d_out, d_in])
 *   Gemma Scope      params.npz (W_enc, W_dec, b_enc, b_dec, threshold, the
 *                    keys also w_enc/w_dec): JumpReLU, b_dec not subtracted;
 *                    the hook from the repository's name in the path
 *                    (gemma-scope-2b-pt-{res,mlp,att,transcoders}: res ->
 *                    blocks.L.hook_resid_post, embedding/ -> hook_embed with
 *                    inputs / sqrt(d_in) and decoder rows * sqrt(d_in) as
 *                    SAELens does, mlp -> hook_mlp_out, att -> attn.hook_z,
 *                    transcoders -> in ln2.hook_normalized, out
 *                    hook_mlp_out) and the layer from layer_L/
 *   Gemma Scope 2    params.safetensors (w_enc, w_dec, b_enc, b_dec,
 *                    threshold, affine_skip_connection [d_in, d_out] added as
 *                    x W) + config.json (hf_hook_point_in/out, Hugging Face
 *                    module names turned into hook names; without it, from
 *                    the folder: resid_post, attn_out, mlp_out, transcoder)
 *   Llama Scope      hyperparams.json + checkpoints/final.safetensors
 *                    (encoder.weight [d_sae, d_in], decoder.weight
 *                    [d_out, d_sae]): dataset-wise normalisation folded as
 *                    SAELens folds it (Neuronpedia runs them through it): s =
 *                    sqrt(d_model) / dataset_average_activation_norm.in,
 *                    inputs * s, threshold jump_relu_threshold * s, outputs
 *                    / s
 *   sparsify         cfg.json + sae.safetensors (encoder.weight [d_sae, d_in],
 *                    W_dec [d_sae, d_out], W_skip [d_out, d_in]), one folder
 *                    per hookpoint: layers.L -> blocks.L.hook_resid_post,
 *                    layers.L.mlp -> hook_mlp_out (a transcoder: in
 *                    mlp.hook_in), embed_tokens -> hook_embed; b_dec
 *                    subtracted unless a transcoder; top-k or group-max of
 *                    ReLU(pre); the model from the parent's config.json
 *
 * SAELens cfg.json: the v6 form (model facts under "metadata": hook_name,
 * hook_name_out, model_name, ...; architecture, d_in, d_sae, d_out,
 * apply_b_dec_to_input, normalize_activations, reshape_activations, k,
 * rescale_acts_by_decoder_norm at top level) and the older flat form
 * (hook_point, hook_point_layer, activation_fn_str "relu" or "topk" with
 * activation_fn_kwargs.k, boolean normalize_activations meaning
 * expected_average_only_in). Architectures standard, topk, jumprelu, gated,
 * batchtopk and matryoshka_batchtopk (JumpReLU with their threshold, or
 * topk_threshold for every feature), transcoder, jumprelu_transcoder,
 * skip_transcoder and jumprelu_skip_transcoder (read at hook_name, written
 * at hook_name_out; W_dec [d_sae, d_out]; no b_dec subtracted). Defaults:
 * architecture standard, apply_b_dec_to_input true, normalisation none.
 *
 * Errors follow saex_tensor.h: (err, errlen) receives one line naming the
 * file and the field or tensor. A bad folder gives an error, never a crash.
 *
 * Formulas (per row x of d_in values):
 *   0. center_writing_weights (cfg, metadata or model_from_pretrained_kwargs):
 *      x -= mean(x) before anything else.
 *   1. normalisation: none; constant_norm_rescale x*sqrt(d_in)/|x|;
 *      layer_norm (x-mu)/(sigma+1e-5), sigma the unbiased std;
 *      expected_average_only_in: x * s when a factor s is known (cfg.json's
 *      norm_scaling_factor, Llama Scope's dataset norm; info.scale_in),
 *      else the identity (SAELens folds the factor into the weights it
 *      saves: nothing to apply at run time).
 *   2. x -= b_dec when apply_b_dec_to_input.
 *   3. pre = x W_enc + b_enc, then standard ReLU(pre); jumprelu pre kept
 *      where pre > threshold (strict) and pre > 0; topk: pre * |W_dec row|
 *      first when rescale_acts_by_decoder_norm, then the k largest
 *      (ties: the lower index wins) ReLU'd, the rest 0; groupmax (sparsify):
 *      ReLU(pre) split into k equal groups, each keeping its largest (the
 *      first on a tie); gated: g = x W_enc, f = [g + b_gate > 0] *
 *      ReLU(g exp(r_mag) + b_mag).
 *   Decode: sum_j f_j W_dec[j] (f_j / |W_dec[j]| when rescaling), times
 *   the fold (1/s; Gemma Scope embeddings sqrt(d_in)), plus b_dec (times
 *   1/s), then the normalisation undone (constant_norm_rescale: / c;
 *   layer_norm: *sigma+mu; not for transcoders). A skip connection adds
 *   x W_skip^T (Gemma Scope 2: x W) of the raw input: saex_sae_skip.
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
	SAEX_SAE_GATED = 3,
	SAEX_SAE_GROUPMAX = 4
} saex_sae_arch;

typedef enum saex_sae_norm {
	SAEX_NORM_NONE = 0,
	SAEX_NORM_CONSTANT_NORM_RESCALE = 1,
	SAEX_NORM_LAYER_NORM = 2,
	SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN = 3
} saex_sae_norm;

typedef enum saex_sae_format {
	SAEX_FMT_SAELENS = 0,
	SAEX_FMT_GEMMA_SCOPE = 1,
	SAEX_FMT_GEMMA_SCOPE_2 = 2,
	SAEX_FMT_LLAMA_SCOPE = 3,
	SAEX_FMT_SPARSIFY = 4
} saex_sae_format;

/* "standard", "topk", "jumprelu", "gated", "groupmax" / "none",
 * "constant_norm_rescale", "layer_norm", "expected_average_only_in" /
 * "SAELens", "Gemma Scope", "Gemma Scope 2", "Llama Scope", "sparsify"
 * (static storage). */
const char *saex_sae_arch_name(saex_sae_arch a);
const char *saex_sae_norm_name(saex_sae_norm n);
const char *saex_sae_format_name(saex_sae_format f);

/* What saex understood of a folder. Strings are borrowed from the saex_sae
 * ("" when unknown). */
typedef struct saex_sae_info {
	saex_sae_arch arch;
	saex_sae_norm norm;
	int64_t d_in, d_sae;
	int k;                       /* top-k and group-max: k; 0 otherwise */
	int apply_b_dec_to_input;
	int center_writing_weights;
	const char *hook_name;       /* where the features are read */
	const char *model_name;      /* the model it was trained on, as its
	                              * files (or its repository's name) say:
	                              * "gpt2-small", "gemma-2-2b",
	                              * "meta-llama/Llama-3.1-8B" */
	int layer;                   /* hook_name's: hook_point_layer or
	                              * "blocks.L." (hook_embed: 0); -1 */
	saex_sae_format format;
	const char *arch_name;       /* the architecture as the files name it
	                              * ("jumprelu_skip_transcoder", "jump_relu") */
	int64_t d_out;               /* the decoder's width: d_in for an SAE */
	const char *hook_name_out;   /* where the decoder writes (steering): hook_name
	                              * for an SAE, the output hook of a transcoder */
	int layer_out;
	int transcoder;              /* hook_name_out differs from hook_name */
	int skip;                    /* a skip connection: see saex_sae_skip */
	int rescale_by_decoder_norm; /* topk's rescale_acts_by_decoder_norm */
	int reshape_hook_z;          /* reshape_activations "hook_z" (the heads of
	                              * attn.hook_z flattened, as saex's hook is) */
	float scale_in;              /* inputs are multiplied by this (a folded
	                              * normalisation factor); 1 when none */
	saex_dtype dtype;            /* the weights' dtype in the file */
	int zero_copy;               /* the matrices are read in place from the
	                              * file's map (F32), not converted copies */
	int enc_unaligned;           /* the encoder is not 4-byte aligned in its
	                              * file: the first encode copies it */
	const char *path;            /* the folder loaded */
	const char *weights;         /* its weights file */
} saex_sae_info;

typedef struct saex_sae saex_sae;

/* Loads the SAE folder dir (any layout above). NULL on failure with err
 * filled. The weights file stays mapped until saex_sae_free; F32 matrices
 * are read from the map in place (opening a stored params.npz copies
 * nothing), F16/BF16 ones converted to F32 at load. BLAS needs aligned
 * floats, and NumPy does not align .npz members: an encoder that is not
 * 4-byte aligned in its file is copied into aligned memory by the first
 * encode (its pages in the map given back); unaligned decoder rows are
 * read with memcpy as they are needed. */
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
/* Decodes f [n, d_sae] into xhat [n, d_out], skipping zero features. norm
 * is what saex_sae_encode wrote, or NULL. Without the skip connection.
 * Returns 0, or -1 when memory runs out. */
int saex_sae_decode(const saex_sae *s, const float *f, size_t n, const float *norm, float *xhat);
/* Adds the skip connection of the inputs x [n, d_in] (as given to
 * saex_sae_encode) to out [n, d_out]: nothing when the SAE has none. A
 * transcoder's prediction is decode + skip. Returns 0, or -1 when memory
 * runs out. */
int saex_sae_skip(const saex_sae *s, const float *x, size_t n, float *out);

/* Feature i's decoder direction, as decoding and steering add it (its row
 * of W_dec with any fold applied), into out (d_out floats). 0, or -1 when
 * i is not below d_sae. */
int saex_sae_decoder_row(const saex_sae *s, int64_t i, float *out);
/* The JumpReLU thresholds [d_sae] in the units of the pre-activation (a
 * fold applied), borrowed; NULL for the other activations. */
const float *saex_sae_threshold(const saex_sae *s);

/* The activation alone, in place on one row of pre-activations pre
 * [d_sae] (for all but gated this is pre = x W_enc + b_enc; for gated
 * pre = x W_enc), the decoder-norm rescale of topk included. Exposed for
 * tests. */
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
/* 0 when s can run on m: hook_name is one of m's hooks and d_in wide,
 * and (a transcoder) hook_name_out one d_out wide, not before it; else -1
 * with err saying why. The one check of "this SAE fits this model" for
 * every caller. */
int saex_sae_fits(const saex_sae *s, const struct saex_model *m, char *err, size_t errlen);
/* Runs ids[0..T) through m up to the layer of the SAE's (input) hook (with
 * the n_extra hooks first, e.g. steering) and encodes the activation there
 * into f [T, d_sae] (caller's memory): the values `saex run --sae` prints
 * and live tests show. 0, or -1 with err filled. */
int saex_sae_features(struct saex_model *m, const saex_sae *s, const uint32_t *ids, size_t T,
                      const struct saex_hook *extra, size_t n_extra, float *f, char *err, size_t errlen);

/* ---------------------------------------------------------------- names
 * Where an SAE's folder and its model are in the local Hugging Face cache
 * (found as saex_hf_resolve finds names, saex_model.h; a Gemma Scope
 * ".../width_W/canonical" there is the average_l0_N folder beside it with
 * N nearest 100, the lower on a tie).
 *
 * saex_hf_model_repo: the repository of a model named as SAEs and
 * Neuronpedia name models ("gpt2-small" -> openai-community/gpt2,
 * "gemma-2-2b" -> google/gemma-2-2b, "gemma-3-1b" -> google/gemma-3-1b-pt,
 * "llama3.1-8b" -> meta-llama/Llama-3.1-8B, "pythia-70m-deduped" ->
 * EleutherAI/..., "qwen3-4b" -> Qwen/Qwen3-4B; a name holding '/' is its own
 * repository) into repo (n bytes): 0, or -1 when saex does not know it.
 * saex_hf_find_model: the cache folder of such a model (its repository,
 * any other name it is cached under, the name itself): 0, or -1 with err
 * saying which repository to download.
 * saex_hf_saelens_location: the repository and folder of a SAELens release
 * and SAE id, for the releases whose layout follows from their names
 * (gemma-scope-* and its -canonical lists, llama_scope_lx*, gpt2-small-res-jb):
 * 0, or -1. */
int saex_hf_model_repo(const char *name, char *repo, size_t n);
int saex_hf_find_model(const char *name, char *out, size_t outlen, char *err, size_t errlen);
int saex_hf_saelens_location(const char *release, const char *sae_id, char *repo, size_t rn, char *folder,
                             size_t fn);

#ifdef __cplusplus
}
#endif
#endif
