/* arch.h - a decoder-only transformer as data. A family's description
 * (families.c) says how its config.json reads, what its tensors are called
 * and which switches it sets; load.c reads a model folder through it into a
 * model_arch; forward.c runs any model so described, and the hook widths
 * come from it. Adding a family is adding a description (and its reference
 * test), never a copy of the forward pass. Not installed.
 *
 * The block, with the switches (FORMATS-MODELS.md §A):
 *   a = norm1(x)                                       hook ln1.hook_normalized
 *   q, k, v = projections of a (split, GPT-2's fused columns, or GPT-NeoX's
 *             fused per-head rows); q, k normed per head (qk_norm), then
 *             rotated (rope) when the model has no learned positions
 *   z = attention(q, k, v) (GQA, window per layer, scale, softcap)  attn.hook_z
 *   o = z Wo (+ b); post_norms: o = norm(o)            hook_attn_out
 *   sequential: x += o (hook_resid_mid); m = mlp(norm2(x))
 *   parallel:   m = mlp(norm2(x)); x += o
 *   mlp: act(a Wup + b) or act(a Wgate) * (a Wup)      mlp.hook_post
 *        then Wdown (+ b); post_norms: norm(m)         hook_mlp_out
 *   x += m                                             hook_resid_post
 * and around the blocks: x = E[ids] * embed_scale (hook_embed) + learned
 * positions; logits = final_softcap(norm_f(x) W_U^T). */
#ifndef SAEX_ARCH_H
#define SAEX_ARCH_H

#include "saex.h"
#include "act.h"
#include "norm.h"
#include "rope.h"

#include <jansson.h>

/* The tensors a model or block may have. Slots before W_LN1 are the
 * model's, the others each block's. */
typedef enum wslot {
	W_EMBED, W_POS, W_NORM_F, W_NORM_F_B,
	W_LN1, W_LN1_B, W_QKV, W_QKV_B, W_Q, W_Q_B, W_K, W_K_B, W_V, W_V_B, W_O, W_O_B, W_QNORM, W_KNORM,
	W_ATTN_POST, W_LN2, W_LN2_B, W_GATE, W_GATE_B, W_UP, W_UP_B, W_DOWN, W_DOWN_B, W_MLP_POST,
	W_SLOTS
} wslot;
#define W_FIRST_BLOCK W_LN1

/* Where q, k and v come from: three Linear layers; one product whose
 * columns are [q | k | v] (GPT-2's c_attn); one whose rows are per head
 * [q_h | k_h | v_h] (GPT-NeoX's query_key_value). */
typedef enum arch_qkv { QKV_SPLIT, QKV_FUSED, QKV_FUSED_HEADS } arch_qkv;

struct family;

typedef struct model_arch {
	const struct family *fam;
	char model_type[32];    /* config.json's, for messages and saex_model_config */
	int n_layers, d_model, n_heads, n_kv_heads, head_dim, d_mlp, n_ctx, vocab;
	float eps;
	norm_kind norm;
	int norm_plus_one;      /* Gemma: every norm weight is used as 1 + w */
	act_kind act;
	int gated;              /* act(a Wgate) * (a Wup) */
	int parallel;           /* attention and MLP read the block input */
	int post_norms;         /* Gemma: norms after attention and MLP */
	int qk_norm;            /* per-head norms of q and k (kind: norm) */
	int learned_pos;        /* GPT-2: a position embedding, no rotary */
	int trans;              /* weights [out, in] (Linear); 0: [in, out] (Conv1D) */
	arch_qkv qkv;
	int qkv_bias, o_bias, mlp_bias;
	int tied;               /* W_U is the embedding */
	int prepend_bos;        /* TransformerLens's default_prepend_bos */
	float embed_scale, attn_scale, attn_softcap, final_softcap; /* softcaps 0: none */
	rope_cfg rope[2];       /* [0] global layers, [1] sliding ones */
	int window;             /* sliding layers' window */
	int window_every;       /* > 0: layer i slides unless (i + 1) % window_every == 0 */
	int window_from;        /* >= 0: layers from this one slide (Qwen) */
	unsigned char *sliding; /* layer_types from config.json, n_layers flags (owned), or NULL */
} model_arch;

/* Reading config.json: the object the hyper-parameters are in (Gemma 3's
 * text_config for the multimodal model) and its path for messages. The
 * cfg_* readers return 0, or -1 with err naming the file and the key; a
 * key that is missing or null takes the default. */
typedef struct cfg_src {
	json_t *o;
	const char *path;
	char *err;
	size_t errlen;
} cfg_src;

int cfg_int(const cfg_src *c, const char *key, int dflt, int *out);    /* dflt < 0: required */
int cfg_num(const cfg_src *c, const char *key, double dflt, double *out);
int cfg_bool(const cfg_src *c, const char *key, int dflt, int *out);
/* The activation named by key (dflt when missing): 0 or -1 (unknown name). */
int cfg_act(const cfg_src *c, const char *key, const char *dflt, act_kind *out);
/* rope[0] (and rope[1], base local_base, for families with local layers:
 * local_base > 0) from rope_theta / rope_scaling or rope_parameters, with
 * r rotated dimensions; base dflt when neither names one. */
int cfg_rope(const cfg_src *c, model_arch *a, int r, double dflt, double local_base);

/* A family: the model_type values it runs, how its config.json maps to a
 * model_arch (with the class defaults of FORMATS-MODELS.md §A.2 where a key
 * is missing), and its tensor names: names[slot] follows one of prefixes
 * ("%d" is the layer; NULL: no such tensor), unembed lists the names W_U
 * may have when it is not tied. */
typedef struct family {
	const char *name;
	const char *const *model_types;
	int (*config)(model_arch *a, const cfg_src *c);
	const char *const *prefixes;
	const char *names[W_SLOTS];
	const char *const *unembed;
} family;

/* Reads a config.json (path) into *a: the family from model_type (else
 * architectures[0]; GPT-2 when neither is given), its description's
 * reading, layer_types, and the checks every model passes. 0, or -1 with
 * err naming the file. arch_free releases what a holds. */
int arch_read(model_arch *a, const char *path, char *err, size_t errlen);
void arch_free(model_arch *a);

/* The family that runs model_type, or NULL. */
const family *family_find(const char *model_type);
/* "gpt2, llama, ..." (static storage): the model_type values known. */
const char *family_known(void);

/* Whether layer l uses a sliding window (and the local rope). */
int arch_sliding(const model_arch *a, int l);
/* The number of dimensions slot s has (1 or 2, the sizes in d), or 0 when
 * the model has no such tensor. */
int arch_shape(const model_arch *a, wslot s, int64_t d[2]);

#endif
