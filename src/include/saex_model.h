/* saex_model.h - part of libsaex's public interface (included by saex.h):
 * decoder-only language models from a Hugging Face folder, their forward
 * pass and hook points with TransformerLens names.
 *
 * A model folder holds config.json and model.safetensors, or the shards
 * that model.safetensors.index.json names (files of the same folder only).
 * The family comes from config.json's model_type (else architectures[0];
 * a config naming neither is GPT-2), as FORMATS-MODELS.md §A describes:
 *   gpt2         tensor names with or without "transformer.";
 *                activation_function gelu_new; W_U tied to wte
 *   llama        Llama 3.0/3.1/3.2; rope_scaling llama3 or linear
 *   qwen2, qwen3 (Qwen 2/2.5, Qwen 3: q/k norms, head_dim of its own)
 *   gemma2       (1 + w) norms around attention and MLP, embeddings times
 *                sqrt(d_model), softcaps, sliding-window layers
 *   gemma3_text, gemma3  (the multimodal checkpoint's text_config and
 *                language_model. tensors; vision tensors are not read)
 *   gpt_neox     Pythia: parallel blocks, partial rotary, fused qkv
 * rope_theta / rope_scaling and transformers 5's rope_parameters are both
 * read. Keys a family does not require take Hugging Face's class defaults;
 * other model_types are refused by name. Weights stay in the file's dtype (F32,
 * F16, BF16), mapped read-only: F32 is used in place, F16 and BF16 are
 * widened to float32 as they are used; the arithmetic is float32. Norm
 * weights and biases are float32 copies. Buffers the file may hold beside
 * the weights (GPT-2's attn.bias, an lm_head a tied model ignores) are not
 * read.
 *
 * Errors follow saex_tensor.h: (char *err, size_t errlen) receives one line
 * naming the file and, where there is one, the tensor, e.g.
 *   DIR/model.safetensors: tensor 'h.1.mlp.c_fc.weight' is missing
 * The text may hold bytes from the file: escape it before printing. No
 * function here aborts its caller: a bad file or a failed allocation is an
 * error return.
 *
 * A model is read-only during a forward pass except for its scratch
 * memory: do not run one model from two threads at once.
 *
 * Threads: a pass of more than one new token (and saex_sae_encode of more
 * than one row), and a pass of one token on F16/BF16 weights, run on
 * threads of their own, as many as OpenBLAS is set to use
 * (openblas_set_num_threads, OPENBLAS_NUM_THREADS), and hold OpenBLAS at
 * one thread until they return; those threads block every signal. A pass of
 * one token on F32 weights uses OpenBLAS's threads. */
#ifndef SAEX_MODEL_H
#define SAEX_MODEL_H

#include "saex_tensor.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saex_model saex_model;

/* What a loaded model is, in the same words for every family. */
typedef struct saex_model_config {
	const char *family;     /* the description that runs it: "gpt2", ... (static) */
	const char *model_type; /* config.json's model_type (borrowed) */
	int n_layers, d_model;
	int n_heads, n_kv_heads, head_dim; /* query heads, key/value heads, their size */
	int d_mlp;              /* the MLP's hidden width (mlp.hook_post) */
	int n_ctx;              /* positions a run may hold */
	int vocab;              /* token ids are below it */
	saex_dtype dtype;       /* the embedding's dtype in the file */
	int prepend_bos;        /* runs of this family start with BOS
	                         * (TransformerLens's default_prepend_bos) */
	int parallel;           /* attention and MLP read the block's input: no
	                         * hook_resid_mid */
} saex_model_config;

/* Loads the model folder dir. NULL on failure (err filled). Free with
 * saex_model_free. */
saex_model *saex_model_load(const char *dir, char *err, size_t errlen);
void saex_model_free(saex_model *m); /* NULL is allowed */
/* Maps the pages of the weights that blocks 0..last_layer read (every
 * block when last_layer is negative) and, when unembed is set, of W_U, so
 * that a run does not fault them in one at a time: what a new process
 * can do while other start-up work (the tokenizer) runs on another
 * thread. Only an optimisation: a page it leaves unmapped is read as the
 * run reaches it. The embedding is not touched (a run reads its rows by
 * id). The later half of the blocks is mapped on a thread of its own,
 * joined before it returns (all on the caller's when no thread starts).
 * Reads the weights only; safe beside any other call. */
void saex_model_prefault(const saex_model *m, int last_layer, int unembed);
/* The model's configuration (borrowed; lives as long as the model). */
const saex_model_config *saex_model_config_of(const saex_model *m);

/* W_U, the unembedding: logits = final_norm(x) W_U^T, [vocab, d_model]
 * row-major in the file's dtype, one row per token (the embedding itself
 * when the model ties them). A view into the model (borrowed; name and
 * data live as long as it); widen rows with saex_model_unembed_rows. */
const saex_tensor *saex_model_unembed(const saex_model *m);
/* Rows [r0, r0 + n) of W_U as float32 into out [n, d_model]; r0 + n must
 * not pass vocab. */
void saex_model_unembed_rows(const saex_model *m, size_t r0, size_t n, float *out);

/* ---------------------------------------------------------------- hooks
 * Hook points with TransformerLens names, in the order a pass reaches them
 * (D = d_model, Z = n_heads * head_dim, F = d_mlp):
 *   hook_embed                 the token embeddings (GPT-2: wte[ids] before
 *                              the positions are added)              [T, D]
 * and per block L (0-based):
 *   blocks.L.hook_resid_pre    block input (block 0: the embeddings plus
 *                              GPT-2's positions)                    [T, D]
 *   blocks.L.ln1.hook_normalized  the block input normalised, before the
 *                              norm's weight (and bias)              [T, D]
 *   blocks.L.attn.hook_z       the heads' outputs concatenated, the input
 *                              of the attention's output projection  [T, Z]
 *   blocks.L.hook_attn_out     what attention adds to the residual   [T, D]
 *   blocks.L.hook_resid_mid    resid_pre + attn_out (not in a parallel
 *                              block)                                [T, D]
 *   blocks.L.ln2.hook_normalized  as ln1's, of the MLP's residual input
 *                                                                    [T, D]
 *   blocks.L.mlp.hook_in       the MLP's input: that norm with its weight
 *                                                                    [T, D]
 *   blocks.L.mlp.hook_post     the input of the MLP's down projection
 *                              (GPT-2: gelu_new(x W_fc + b))         [T, F]
 *   blocks.L.hook_mlp_out      what the MLP adds to the residual     [T, D]
 *   blocks.L.hook_resid_post   the block's output                    [T, D]
 * Values are the plain model's in float32 (no TransformerLens weight
 * processing). A callback sees the activation, row-major [T, width], and
 * may change it in place: the run continues from the changed values (a
 * changed ln*.hook_normalized is then scaled by the norm's weight and
 * bias). Returning non-zero stops the run (saex_model_forward then fails
 * with "hook NAME stopped the run"). The kinds are numbered in that order;
 * hook_embed is layer 0's SAEX_HOOK_EMBED. */
typedef enum saex_hook_kind {
	SAEX_HOOK_EMBED = 0,
	SAEX_HOOK_RESID_PRE,
	SAEX_HOOK_LN1_NORMALIZED,
	SAEX_HOOK_Z,
	SAEX_HOOK_ATTN_OUT,
	SAEX_HOOK_RESID_MID,
	SAEX_HOOK_LN2_NORMALIZED,
	SAEX_HOOK_MLP_IN,
	SAEX_HOOK_MLP_POST,
	SAEX_HOOK_MLP_OUT,
	SAEX_HOOK_RESID_POST,
	SAEX_HOOK_KINDS
} saex_hook_kind;

typedef int (*saex_hook_fn)(const char *name, float *act, size_t T, size_t width, void *user);

typedef struct saex_hook {
	const char *name;   /* borrowed for the run */
	saex_hook_fn fn;
	void *user;
} saex_hook;

/* Parses a hook name. Returns 0 and fills *layer and *kind (hook_embed:
 * layer 0), or -1 when the name is not one of the forms above. Does not
 * check the layer's range. */
int saex_hook_parse(const char *name, int *layer, saex_hook_kind *kind);
/* Writes the hook points' forms ("hook_embed, blocks.L.hook_resid_pre,
 * ..., or blocks.L.hook_resid_post") into buf (n bytes), for messages;
 * returns the length the whole list needs, as snprintf does. */
size_t saex_hook_list(char *buf, size_t n);
/* The width of a hook point of m (d_model; n_heads head_dim for attn.hook_z,
 * d_mlp for mlp.hook_post); 0 when the name is unknown, its layer is out of
 * range or the model has no such point. */
size_t saex_model_hook_width(const saex_model *m, const char *name);
/* As saex_model_hook_width, and when it is 0 err says why (the forms
 * hooks take, the layers the model has, or the point it lacks). */
size_t saex_model_hook_check(const saex_model *m, const char *name, char *err, size_t errlen);

/* ---------------------------------------------------------------- forward */
typedef struct saex_run_opts {
	const saex_hook *hooks;   /* n_hooks callbacks; several may share a name */
	size_t n_hooks;
	int stop_after_layer;     /* last block to run; negative: all of them */
	float *logits;            /* NULL, or [T, vocab] floats to fill
	                           * (needs every block: stop_after_layer < 0
	                           * or the last one) */
	int logits_last;          /* non-zero: logits receives only the last
	                           * position's row, [1, vocab] */
	/* Resuming a pass: with start_resid set, the run begins at block
	 * start_layer with the residual start_resid [T, d_model] (what that
	 * block's hook_resid_pre held in an earlier run of the same ids,
	 * after its hooks; copied, not changed) instead of the embeddings
	 * and the blocks before it, and gives what a whole run would from
	 * there. Its hooks must be at that block's hook_resid_pre or later;
	 * no KV cache. Several runs of one prompt (an SAE spliced in at a
	 * hook, the activation ablated) then share the blocks before it. */
	int start_layer;
	const float *start_resid;
} saex_run_opts;
#define SAEX_RUN_OPTS_INIT {NULL, 0, -1, NULL, 0, 0, NULL}

/* Runs ids[0..T) (1 <= T <= n_ctx, every id < vocab) through the
 * model with causal attention, calling the hooks. A run without logits
 * ends after the last hook point it has, where nothing later can be seen
 * (a blocks.L.hook_resid_pre hook needs only the blocks before L).
 * Returns 0, or -1 with err filled (bad ids, unknown hook name, hook
 * stopped the run, no memory). */
int saex_model_forward(saex_model *m, const uint32_t *ids, size_t T, const saex_run_opts *o,
                       char *err, size_t errlen);

/* ---------------------------------------------------------------- KV cache
 * The keys and values of every layer for the positions run so far, so that
 * a run of new tokens costs only their own rows: 2 n_layers n_kv_heads
 * head_dim floats a position. A cache belongs to one model (which must
 * outlive it) and one sequence. */
typedef struct saex_kv saex_kv;

/* A cache for up to cap positions (0 or more than n_ctx: n_ctx).
 * NULL when the memory cannot be had. Free with saex_kv_free. */
saex_kv *saex_kv_new(const saex_model *m, size_t cap);
void saex_kv_free(saex_kv *kv); /* NULL is allowed */
/* Forgets every position: the next run starts a new sequence. */
void saex_kv_reset(saex_kv *kv);
/* Positions held. */
size_t saex_kv_len(const saex_kv *kv);

/* As saex_model_forward, for T new tokens that follow the saex_kv_len(kv)
 * positions in the cache, which they extend. Hooks and logits see only the
 * T new rows. The run must cover every layer (stop_after_layer negative or
 * the last). On failure the cache is as it was. */
int saex_model_forward_kv(saex_model *m, saex_kv *kv, const uint32_t *ids, size_t T, const saex_run_opts *o,
                          char *err, size_t errlen);

/* ---------------------------------------------------------------- generation
 * saex_generate appends up to max_new tokens to a prompt, stopping early
 * only when the context (n_ctx) is full or on_token asks to stop.
 *
 * Choosing a token from the last position's logits l[vocab] (the
 * TransformerLens rule):
 *   temperature 0: the arg max of l (the lowest id on a tie); the frequency
 *     penalty is not used.
 *   temperature T > 0: z_i = l_i / T - freq_penalty * c_i, c_i the number of
 *     times id i occurs in the sequence so far (prompt and generated);
 *     p = softmax(z) in double precision; u = the next number of the RNG;
 *     the token is the lowest id i with p_0 + ... + p_i > u (the highest id
 *     of non-zero probability if rounding leaves none).
 * The RNG is xoshiro256** seeded by four successive outputs of splitmix64
 * started at seed; u = (output >> 11) * 2^-53. One number is drawn per
 * sampled token, so a run is a function of (model, prompt, hooks, settings,
 * seed) alone, and two runs from the same seed differ only by their hooks.
 *
 * hooks are called at every step; with the KV cache they see the new
 * positions only (the prompt's at the first step), without it the whole
 * sequence each step: both give the same tokens. */
typedef struct saex_gen_opts {
	size_t max_new;           /* tokens to add */
	float temperature;        /* 0: greedy */
	float freq_penalty;       /* only with temperature > 0 */
	uint64_t seed;
	int no_cache;             /* non-zero: rerun the whole sequence each step */
	const saex_hook *hooks;   /* e.g. steering (saex_steer.h); may be NULL */
	size_t n_hooks;
	/* Called after each new token with its id and the sequence so far
	 * (seq[0..len), the token last); non-zero stops the generation, which
	 * then returns what it has (e.g. a user cancelled). May be NULL. */
	int (*on_token)(const uint32_t *seq, size_t len, void *user);
	void *user;
} saex_gen_opts;
#define SAEX_GEN_OPTS_INIT {20, 0.0f, 0.0f, 0, 0, NULL, 0, NULL, NULL}

/* Returns the prompt followed by the new tokens in memory the caller
 * frees, their number in *count; NULL on failure (err filled: prompt
 * length, bad ids, a hook that stopped the run, no memory). */
uint32_t *saex_generate(saex_model *m, const uint32_t *prompt, size_t n, const saex_gen_opts *o, size_t *count,
                        char *err, size_t errlen);
/* Step by step, for streaming: saex_gen_new checks the prompt and options
 * (NULL with err filled); each saex_gen_next adds one token (1, *tok set),
 * or returns 0 when max_new are made or the context is full, -1 on failure
 * (err filled). saex_gen_seq: the prompt and the tokens so far (borrowed).
 * The options are copied, but hooks and their data are borrowed. A saex_gen
 * gives the same tokens as saex_generate with the same options. */
typedef struct saex_gen saex_gen;
saex_gen *saex_gen_new(saex_model *m, const uint32_t *prompt, size_t n, const saex_gen_opts *o, char *err,
                       size_t errlen);
int saex_gen_next(saex_gen *g, uint32_t *tok, char *err, size_t errlen);
const uint32_t *saex_gen_seq(const saex_gen *g, size_t *len);
void saex_gen_free(saex_gen *g); /* NULL is allowed */

/* saex_generate at temperature 0 with max_new tokens, with or without the
 * KV cache. */
uint32_t *saex_generate_greedy(saex_model *m, const uint32_t *prompt, size_t n, size_t max_new, int use_cache,
                               size_t *count, char *err, size_t errlen);

/* The RNG above, for tests: seeds *state (4 words) and draws u in [0, 1). */
void saex_rng_seed(uint64_t state[4], uint64_t seed);
double saex_rng_next(uint64_t state[4]);

/* ---------------------------------------------------------------- names
 * A model given by name: DIR itself when it is a folder holding
 * config.json; a Hugging Face cache repository folder (models--ORG--NAME,
 * holding snapshots/) resolves to the snapshot named by refs/main, else the
 * newest one; otherwise NAME ("gpt2", "ORG/NAME", optionally followed by
 * "/SUBFOLDER") is looked up as models--ORG--NAME in $HF_HUB_CACHE, else
 * $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
 * ~/.cache/huggingface/hub. A last component "canonical" that is not a
 * folder is Gemma Scope's canonical SAE (saex_sae.h, "names"). Writes the
 * folder to out (outlen bytes) and returns 0, or returns -1 with err saying
 * where it looked. */
int saex_hf_resolve(const char *name, char *out, size_t outlen, char *err, size_t errlen);
/* The same for a name that comes from data rather than from the user (an
 * export's hfRepoId and hfFolderId, an SAE's cfg.json model_name): looked
 * up only in the Hugging Face cache, never opened as a path. It must be
 * NAME or ORG/NAME, then optionally /SUB/FOLDERS, each part of letters,
 * digits, '-', '_' and '.' (not "." or ".."); anything else is refused. */
int saex_hf_resolve_name(const char *name, char *out, size_t outlen, char *err, size_t errlen);

/* The numerics of the forward pass, exposed for tests.
 * saex_layer_norm: y = (x - mean) / sqrt(var + eps) * w + b over n values,
 * var the biased variance; y may be x; w and b NULL: the normalisation
 * alone, b NULL: no bias. saex_rms_norm: y = x / sqrt(mean(x^2) + eps) * w
 * (w NULL: the normalisation alone). saex_gelu_new: in place,
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). saex_softmax: in place,
 * max-subtracted; -INFINITY entries become 0. */
void saex_layer_norm(float *y, const float *x, size_t n, const float *w, const float *b, float eps);
void saex_rms_norm(float *y, const float *x, size_t n, const float *w, float eps);
void saex_gelu_new(float *x, size_t n);
void saex_softmax(float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
