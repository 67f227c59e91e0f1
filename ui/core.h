/* core.h - the explorer's link to libsaex: the model, tokenizer and SAE
 * attached to a source (saex attach, saex build), loaded on first use and
 * kept for the session; and live tests of a feature on typed text.
 *
 * Ownership: the app owns its core (core_free at app_free); a core owns
 * what it loaded. A test result owns its arrays (core_test_free). */
#ifndef SAEX_UI_CORE_H
#define SAEX_UI_CORE_H

#include <stddef.h>
#include <stdint.h>
#include "saex.h"
#include "store.h"

typedef struct ui_core ui_core;

/* What one source's weights are, once loaded. Borrowed from the core. */
typedef struct core_src {
	int64_t source_id;
	char *model_dir, *sae_dir;
	saex_model *model;
	saex_tok *tok;        /* NULL when the model folder has no tokenizer */
	saex_sae *sae;
	double *dec_norm;     /* per feature |W_dec[i]|, for folded values */
	char *warning;        /* NULL, or why these weights (attached with
	                       * --force) do not fit the source */
} core_src;

ui_core *core_new(void);
void core_free(ui_core *c); /* NULL allowed */

struct store;
/* The loaded weights of a source, loading them on first use: those
 * attached (saex attach, saex build), else the source's Hugging Face
 * repository and folder (from its export) found in the local Hugging Face
 * cache with the model its cfg.json names. The weights must fit the source
 * (store_weights_fit) unless they were attached with --force (then
 * warning says how they differ). -1 with err filled (none found: says how
 * to attach them; a folder that does not load: the loader's message;
 * weights that do not fit: what differs). */
int core_source(ui_core *c, struct store *db, int64_t source_id, core_src **out, char *err, size_t errlen);

/* A live test: the text's tokens (BOS first when the tokenizer has one, as
 * TransformerLens runs them) and one feature's activation at each, folded
 * by the decoder norm as dashboards report them (f_i |W_dec[i]|). */
typedef struct core_test {
	char *text;
	size_t n;             /* tokens, BOS included */
	int bos;              /* tokens[0] is BOS */
	char **tok;           /* each token's bytes (tok_len[i] of them) */
	size_t *tok_len;
	float *values;
	long max_index;       /* the largest value's token; -1 when all are 0 */
	float max_value;
} core_test;

int core_test_run(core_src *s, int64_t feature, const char *text, core_test *out, char *err, size_t errlen);

/* Every feature on a text (search by inference): the tokens as in a test
 * (values NULL) and f [n, d_sae], folded as above. Free with
 * core_text_free. */
typedef struct core_text {
	core_test t;
	float *f;
	int64_t d_sae;
} core_text;
int core_text_run(core_src *s, const char *text, core_text *out, char *err, size_t errlen);
void core_text_free(core_text *x);
void core_test_free(core_test *t);

/* Sets max_index and max_value from the values (BOS left out). */
void core_test_max(core_test *t);

/* The last tests of each feature, newest first (CORE_KEEP per feature).
 * core_keep takes ownership of *t (and clears it); core_kept returns the
 * list of the feature (borrowed) and its length; core_restore copies in a
 * feature's tests from an earlier session (store_user_tests, newest first)
 * unless this session already has a list for it. The live-test view logs
 * each test in the per-user database and restores them when it opens. */
#define CORE_KEEP 20
void core_keep(ui_core *c, const saex_fid *id, core_test *t);
const core_test *core_kept(ui_core *c, const saex_fid *id, size_t *n);
void core_restore(ui_core *c, const saex_fid *id, const store_live_test *t, size_t n);

/* The token boundaries of text as the model's tokenizer splits it (for a
 * preview while typing): *n tokens, without BOS; caller frees with
 * core_tokens_free. NULL when there is no tokenizer. */
char **core_tokens(core_src *s, const char *text, size_t **lens, size_t *n);
void core_tokens_free(char **tok, size_t *lens, size_t n);

#endif
