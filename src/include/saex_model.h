/* saex_model.h - part of libsaex's public interface (included by saex.h):
 * the GPT-2 architecture from a Hugging Face folder, its forward pass and
 * hook points with TransformerLens names.
 *
 * A model folder holds config.json (n_layer, n_head, n_embd, n_positions,
 * vocab_size, layer_norm_epsilon, activation_function, which must be
 * "gelu_new" when given) and model.safetensors, whose tensor names may or
 * may not start with "transformer." (the attn.bias / masked_bias buffers
 * and lm_head.weight are ignored; the unembedding is tied to wte). F32
 * weights are used in place in the read-only map (zero copy); F16 and BF16
 * weights are converted to float32 at load.
 *
 * Errors follow saex_tensor.h: (char *err, size_t errlen) receives one line
 * naming the file and, where there is one, the tensor, e.g.
 *   DIR/model.safetensors: tensor 'h.1.mlp.c_fc.weight' is missing
 * The text may hold bytes from the file: escape it before printing.
 *
 * A model is read-only during a forward pass except for its scratch
 * memory: do not run one model from two threads at once.
 *
 * Threads: a pass of more than one new token (and saex_sae_encode of more
 * than one row) runs on threads of its own, as many as OpenBLAS is set to
 * use (openblas_set_num_threads, OPENBLAS_NUM_THREADS), and holds OpenBLAS
 * at one thread until it returns; they block every signal. A pass of one
 * token uses OpenBLAS's threads. */
#ifndef SAEX_MODEL_H
#define SAEX_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct saex_model saex_model;

typedef struct saex_model_config {
	int n_layer, n_head, n_embd, n_positions, vocab_size;
	float layer_norm_epsilon;
} saex_model_config;

/* Loads DIR/config.json and DIR/model.safetensors. NULL on failure (err
 * filled). Free with saex_model_free. */
saex_model *saex_model_load(const char *dir, char *err, size_t errlen);
void saex_model_free(saex_model *m); /* NULL is allowed */
/* The model's configuration (borrowed; lives as long as the model). */
const saex_model_config *saex_model_config_of(const saex_model *m);

/* ---------------------------------------------------------------- hooks
 * Hook points, per block L (0-based), with TransformerLens names:
 *   blocks.L.hook_resid_pre    block input (wte + wpe for block 0)   [T, d]
 *   blocks.L.attn.hook_z       the heads' outputs concatenated,
 *                              the input of attn.c_proj              [T, d]
 *   blocks.L.hook_attn_out     attention output                      [T, d]
 *   blocks.L.hook_resid_mid    resid_pre + attn_out                  [T, d]
 *   blocks.L.mlp.hook_post     gelu_new(...), input of mlp.c_proj    [T, 4d]
 *   blocks.L.hook_mlp_out      MLP output                            [T, d]
 *   blocks.L.hook_resid_post   resid_mid + mlp_out (before ln_f)     [T, d]
 * in that order within a block. A callback sees the activation, row-major
 * [T, width], and may change it in place: the run continues from the
 * changed values. Returning non-zero stops the run (saex_model_forward then
 * fails with "hook NAME stopped the run"). */
typedef enum saex_hook_kind {
	SAEX_HOOK_RESID_PRE = 0,
	SAEX_HOOK_Z,
	SAEX_HOOK_ATTN_OUT,
	SAEX_HOOK_RESID_MID,
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

/* Parses a hook name. Returns 0 and fills *layer and *kind, or -1 when the
 * name is not one of the forms above. Does not check the layer's range. */
int saex_hook_parse(const char *name, int *layer, saex_hook_kind *kind);
/* The width of a hook point of m: n_embd, or 4 n_embd for mlp.hook_post;
 * 0 when the name is unknown or its layer is out of range. */
size_t saex_model_hook_width(const saex_model *m, const char *name);

/* ---------------------------------------------------------------- forward */
typedef struct saex_run_opts {
	const saex_hook *hooks;   /* n_hooks callbacks; several may share a name */
	size_t n_hooks;
	int stop_after_layer;     /* last block to run; negative: all of them */
	float *logits;            /* NULL, or [T, vocab_size] floats to fill
	                           * (needs every block: stop_after_layer < 0
	                           * or the last one) */
	int logits_last;          /* non-zero: logits receives only the last
	                           * position's row, [1, vocab_size] */
} saex_run_opts;
#define SAEX_RUN_OPTS_INIT {NULL, 0, -1, NULL, 0}

/* Runs ids[0..T) (1 <= T <= n_positions, every id < vocab_size) through the
 * model with causal attention, calling the hooks. A run without logits
 * ends after the last hook point it has, where nothing later can be seen
 * (a blocks.L.hook_resid_pre hook needs only the blocks before L).
 * Returns 0, or -1 with err filled (bad ids, unknown hook name, hook
 * stopped the run, no memory). */
int saex_model_forward(saex_model *m, const uint32_t *ids, size_t T, const saex_run_opts *o,
                       char *err, size_t errlen);

/* ---------------------------------------------------------------- KV cache
 * The keys and values of every layer for the positions run so far, so that
 * a run of new tokens costs only their own rows. A cache belongs to one
 * model (which must outlive it) and one sequence. */
typedef struct saex_kv saex_kv;

/* A cache for up to cap positions (0 or more than n_positions: n_positions).
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
 * only when the context (n_positions) is full or on_token asks to stop.
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
 * ~/.cache/huggingface/hub. Writes the folder to out (outlen bytes) and
 * returns 0, or returns -1 with err saying where it looked. */
int saex_hf_resolve(const char *name, char *out, size_t outlen, char *err, size_t errlen);
/* The same for a name that comes from data rather than from the user (an
 * export's hfRepoId and hfFolderId, an SAE's cfg.json model_name): looked
 * up only in the Hugging Face cache, never opened as a path. It must be
 * NAME or ORG/NAME, then optionally /SUB/FOLDERS, each part of letters,
 * digits, '-', '_' and '.' (not "." or ".."); anything else is refused. */
int saex_hf_resolve_name(const char *name, char *out, size_t outlen, char *err, size_t errlen);

/* The numerics of the forward pass, exposed for tests.
 * saex_layer_norm: y = (x - mean) / sqrt(var + eps) * w + b over n values,
 * var the biased variance; y may be x. saex_gelu_new: in place,
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). saex_softmax: in place,
 * max-subtracted; -INFINITY entries become 0. */
void saex_layer_norm(float *y, const float *x, size_t n, const float *w, const float *b, float eps);
void saex_gelu_new(float *x, size_t n);
void saex_softmax(float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
