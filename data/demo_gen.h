/* demo_gen.h - the generator of saex's embedded demo (data/demo_gen.c and
 * friends): a small GPT-2-architecture model, an SAE and a corpus whose
 * meaning is known by construction. Nothing here is trained.
 *
 * Determinism: the generator uses its own PRNG (splitmix64), integer
 * arithmetic and dyadic fractions wherever values are summed, and rounds
 * only in single divisions, square roots and products (correctly rounded
 * in IEEE arithmetic, whatever the compiler contracts), so two runs, on any
 * machine, write byte-identical files. */
#ifndef DEMO_GEN_H
#define DEMO_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- sizes */
#define DEMO_D 256          /* n_embd: a power of two, so Hadamard rows h/16 are unit vectors */
#define DEMO_HEADS 4
#define DEMO_LAYERS 2
#define DEMO_CTX 128
#define DEMO_INNER (4 * DEMO_D)
#define DEMO_MAXTOK 4096    /* vocabulary cap */
#define DEMO_LINES 400      /* corpus documents */

/* Properties: each is one row of the Hadamard matrix (rows 1..DEMO_NPROP),
 * a unit direction of the residual stream that the SAE reads. Token codes
 * use rows DEMO_CODE0..255 (an input and an output code: demo_net.c). */
enum demo_prop {
	P_DIGIT = 1, P_CAP, P_SEA, P_PUNCT, P_END, P_NAME, P_COLOUR, P_ANIMAL, P_FOOD,
	P_WEATHER, P_TIME, P_NUMWORD, P_PAST, P_SPACE, P_PLACE, P_POLY_A, P_POLY_B,
	DEMO_NPROP_USED
};
#define DEMO_CODE0 31       /* first code row; rows DEMO_NPROP_USED..30 stay empty */
#define DEMO_NCODE (DEMO_D - DEMO_CODE0)  /* 225 */

/* ---------------------------------------------------------------- rng */
uint64_t demo_rng(uint64_t *state);           /* splitmix64 */
uint32_t demo_rng_below(uint64_t *state, uint32_t n);

/* ---------------------------------------------------------------- text */
/* One token of the vocabulary. bytes: the raw bytes (" ship"); prop: the
 * magnitude of each property in sixteenths (0 = absent); whole: a word of
 * the word lists or the corpus (not a BPE prefix or a byte). */
typedef struct demo_token {
	char bytes[32];
	int len;
	int whole;
	int prop[DEMO_NPROP_USED];
} demo_token;

typedef struct demo_vocab {
	demo_token tok[DEMO_MAXTOK];
	int n;
	int bos;                  /* id of <|endoftext|> (the last) */
	/* merges in rank order: left id, right id */
	int (*merge)[2];
	int n_merge;
} demo_vocab;

/* The corpus: DEMO_LINES documents as text and as token ids. */
typedef struct demo_corpus {
	char *text[DEMO_LINES];
	int *ids[DEMO_LINES];
	int n_ids[DEMO_LINES];
} demo_corpus;

/* demo_text.c: the word lists, the corpus and the properties of a word. */
void demo_corpus_make(demo_corpus *c, uint64_t seed);
void demo_corpus_free(demo_corpus *c);
/* Calls add(word, user) for every word of the word lists, in order. */
void demo_words_each(void (*add)(const char *word, void *user), void *user);
/* The semantic properties of a whole word (no leading space), sixteenths. */
void demo_word_props(const char *word, int prop[DEMO_NPROP_USED]);

/* demo_tok.c: the byte-level BPE vocabulary. */
void demo_vocab_build(demo_vocab *v, demo_corpus *c);
int demo_vocab_find(const demo_vocab *v, const char *bytes, int len);
int demo_vocab_write(const demo_vocab *v, const char *dir);

/* demo_net.c: the model and SAE weights. */
int demo_model_write(const demo_vocab *v, const demo_corpus *c, const char *dir);
int demo_sae_write(const demo_vocab *v, const char *dir);

/* demo_out.c: files. */
typedef struct demo_tensor {
	const char *name;
	int ndim;
	int64_t shape[2];
	const float *data;
} demo_tensor;
int demo_safetensors_write(const char *path, const demo_tensor *t, size_t n);
FILE *demo_open(const char *dir, const char *name);
int demo_close(FILE *f, const char *dir, const char *name);
void demo_json_str(FILE *f, const char *s, size_t n);
int demo_catalog_write(const char *dir);

/* The SAE's features: how many, and what each one is (demo_net.c). */
extern const int demo_n_features;
const char *demo_feature_explanation(int i);

#endif
