/* steer.h - the explorer's steering: a set of features with strengths,
 * the settings, a prompt, and a run that produces the default and the
 * steered continuation step by step (so the view streams them and can
 * cancel), logged in the per-user database when it ends.
 *
 * Ownership: the app owns one ui_steer (steer_free at app_free). It
 * borrows models and SAEs from the app's core (ui/core.h). */
#ifndef SAEX_UI_STEER_H
#define SAEX_UI_STEER_H

#include <stddef.h>
#include <stdint.h>
#include "saex.h"
#include "store.h"

struct ui_core;

typedef struct steer_feat {
	saex_fid id;
	int64_t source_id;
	double max_act;       /* the default strength */
	float strength;
	char *expl;           /* first explanation or NULL */
} steer_feat;

typedef struct steer_out {
	uint32_t *ids;        /* the prompt and the new tokens */
	size_t n, n_prompt;
	char *text;           /* the new tokens' bytes */
	size_t text_len;
} steer_out;

typedef struct ui_steer {
	steer_feat *f;
	size_t n;
	/* settings */
	float multiplier, temperature, freq_penalty;
	saex_steer_method method;
	uint64_t seed;
	int tokens;
	char *prompt;
	/* the last run */
	steer_out out[2];     /* [0] default, [1] steered */
	int running, cancelled, done;
	size_t room;          /* new tokens the context held (< tokens: cut short) */
	int64_t logged_id;    /* its steering-log id, 0 before logging */
	char model_dir[4096];
	/* running state */
	saex_gen *gen[2];
	saex_steer *set;
	const void *tok;      /* saex_tok of the model, borrowed */
} ui_steer;

ui_steer *steer_new(void);
void steer_free(ui_steer *s); /* NULL allowed */

/* Adds a feature (its strength its max activation), or selects it when it
 * is there already; returns its position. */
size_t steer_add(ui_steer *s, const saex_fid *id, int64_t source_id, double max_act, const char *expl);
void steer_remove(ui_steer *s, size_t i);
/* "multiplier 1 method add temperature 0 seed 0 tokens 20 freq_penalty 0" */
char *steer_settings_text(const ui_steer *s);
/* Parses that form (any subset, any order). 0, or -1 with err saying
 * which word is wrong. */
int steer_settings_parse(ui_steer *s, const char *text, char *err, size_t errlen);

/* Starts a run of the prompt with the current set: loads the weights of
 * each feature's source (they must share one model). 0, or -1 with err. */
int steer_start(ui_steer *s, struct ui_core *c, store *db, char *err, size_t errlen);
/* One step: a token for each continuation still going. Returns 1 while
 * the run goes on, 0 when it has ended (done, or cancelled by
 * steer_cancel), -1 on an error (err filled; the run ends). */
int steer_step(ui_steer *s, char *err, size_t errlen);
void steer_cancel(ui_steer *s);
/* Logs the ended run in the per-user database (once). */
int steer_log(ui_steer *s, store_user *u, const char *db_path, saex_err *e);
/* Loads a logged run: prompt, settings, features (looked up in db for
 * their sources and max activations) and both outputs. 0, or -1 with err. */
int steer_load(ui_steer *s, store *db, const store_steer_run *r, char *err, size_t errlen);

#endif
