/* sae_int.h - inside libsaex's SAEs: the loaded SAE that sae.c computes
 * with, and what the loaders (sae_load.c for the dispatch and SAELens
 * folders, sae_pub.c for the other publishers' layouts) fill in.
 *
 * Every format ends up as one computation (saex_sae.h gives the formulas):
 *   x' = center(x) -> normalise -> * scale_in -> - b_dec_in
 *   pre = x' enc (+ b_enc), activation (threshold, k, gates, decoder norms)
 *   out = sum_j (f_j / dec_norm_j) * dec_mul * row_j(dec) + b_dec_out,
 *         then the normalisation undone; skip: + x W_skip.
 * The matrices stay where the loader found them: F32 little-endian data is
 * used in place in the file's map, at whatever byte offset the file put it.
 * NumPy's .npz members are not even 4-byte aligned, and BLAS kernels may
 * assume floats are (OpenBLAS's scopy faults on such a pointer), so a
 * matrix that is not aligned is read only with memcpy (decoder rows) or,
 * the encoder, copied once into aligned memory by the first encode
 * (enc_matrix), its pages in the map then given back. Matrices are kept as
 * byte pointers for that reason. Vectors (biases, thresholds) are small and
 * always copied into aligned memory the SAE owns, with any folding the
 * publisher's loader does applied to the copy. */
#ifndef SAEX_SAE_INT_H
#define SAEX_SAE_INT_H

#include "saex.h"

#include <pthread.h>

#define SAE_MAX_OWNED 8

/* A matrix as the file holds it. */
typedef struct sae_mat {
	const unsigned char *p;   /* F32 little-endian, any alignment; NULL when absent */
	int t;                    /* 0: the layout saex_sae.h names; 1: its transpose */
	int aligned;              /* p is float-aligned: BLAS may read it */
} sae_mat;

struct saex_sae {
	saex_sae_info info;
	/* strings the info borrows */
	char *hook, *hook_out, *model_name, *arch_name, *dir, *weights;
	saex_safetensors *st;
	saex_npz *npz;
	/* enc: W_enc [d_in, d_sae] (t 1: [d_sae, d_in]); dec: W_dec [d_sae, d_out]
	 * (t 1: [d_out, d_sae]); skip: W_skip [d_out, d_in] used as x W_skip^T
	 * (t 1: [d_in, d_out] used as x W_skip) */
	sae_mat enc, dec, skip;
	float *b_enc;             /* [d_sae]; NULL for gated (no bias in the product) */
	float *b_dec_in;          /* [d_in] subtracted from inputs; NULL when not */
	float *b_dec_out;         /* [d_out] added to outputs (already * its fold) */
	float *threshold;         /* [d_sae] in the units of pre; JumpReLU only */
	float *b_gate, *b_mag, *exp_r_mag;
	float *dec_norm;          /* [d_sae] |row_j| for rescale_acts_by_decoder_norm */
	float scale_in, dec_mul;  /* folded normalisations: 1 when none */
	float *owned[SAE_MAX_OWNED]; /* matrices converted to F32 (F16, BF16, big-endian hosts) */
	int n_owned;
	pthread_mutex_t lock;     /* guards enc_copy, made by the first encode */
	float *enc_copy;          /* an aligned copy of an unaligned encoder */
};

/* ---------------------------------------------------------------- loading
 * A load in progress: the SAE, the file its messages name for shapes, and
 * what gave the widths (for "wanted [d_in, d_sae] (... in cfg.json)"). */
typedef struct sae_ld {
	saex_sae *s;
	const char *wpath;        /* the weights file */
	const char *dims_from;    /* "cfg.json", "hyperparams.json", "the shape of W_enc", ... */
	char *err;
	size_t errlen;
	int n_mats;               /* matrices taken: the first gives info.dtype */
} sae_ld;

/* The tensor named name in the SAE's weights file, or NULL. */
const saex_tensor *sae_find(const sae_ld *l, const char *name);
/* The first of names[] (NULL-terminated) the file has, or NULL. */
const saex_tensor *sae_find_any(const sae_ld *l, const char *const *names);
/* Tensor name must exist with ndim dims d0 (and d1): 0 and *t, or -1 with
 * a message naming the file, the tensor, its shape and the wanted one. */
int sae_want(const sae_ld *l, const char *name, int ndim, int64_t d0, int64_t d1, const saex_tensor **t);
/* The matrix of t, in place when F32 on a little-endian host, else
 * converted into memory the SAE owns. -1 when that memory cannot be had. */
int sae_take_mat(sae_ld *l, const saex_tensor *t, int transposed, sae_mat *m);
/* A copy of t's n values into *out (owned by the caller: the SAE frees it);
 * a scalar (one value) is spread over all n when broadcast is set. */
int sae_take_vec(sae_ld *l, const saex_tensor *t, int64_t n, int broadcast, float **out);
/* A vector of n copies of v (biases a format lacks, scalar thresholds). */
float *sae_fill(sae_ld *l, int64_t n, float v);
/* Owned strings for the info. */
int sae_set_strings(sae_ld *l, const char *hook, const char *hook_out, const char *model, const char *arch);
/* Opens the weights file path (safetensors, or .npz when npz). */
int sae_open_weights(sae_ld *l, const char *path, int npz);
/* After the tensors and the hooks: the per-feature decoder norms when
 * rescaling, the layer of each hook, the transcoder and skip facts. */
int sae_finish(sae_ld *l);
/* |W_dec[j]| (sae.c), scratch holding d_out floats. */
float sae_dec_norm(const saex_sae *s, int64_t j, float *scratch);
/* The layer of a hook name ("blocks.L." or hook_embed: 0), -1 when none. */
int sae_hook_layer(const char *hook);

/* The loaders, each for one layout of dir (sae_load.c, sae_pub.c). */
int sae_load_saelens(sae_ld *l, const char *dir);
int sae_load_gemma_scope(sae_ld *l, const char *dir);
int sae_load_gemma_scope_2(sae_ld *l, const char *dir);
int sae_load_llama_scope(sae_ld *l, const char *dir);
int sae_load_sparsify(sae_ld *l, const char *dir);

/* dir/name in memory the caller frees; NULL when out of memory. */
char *sae_path(const char *dir, const char *name);
/* 1 when dir/name is a regular file. */
int sae_has(const char *dir, const char *name);

#endif
