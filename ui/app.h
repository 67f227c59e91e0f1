/* app.h - the explorer: a stack of views over one store, a status line, a
 * one-line prompt, and the main loop (ui/app.c). Views produce rows into a
 * grid; only draw.c speaks curses.
 *
 * Ownership: the app owns its views (freed when popped) and the stores it
 * was given at app_new (closed by app_free). */
#ifndef SAEX_APP_H
#define SAEX_APP_H

#include "actions.h"
#include "grid.h"
#include "store.h"

/* What a handler did: the main loop redraws, quits or ignores. */
enum { H_NONE = 0, H_HANDLED = 1, H_REDRAW = 2, H_QUIT = 4 };

typedef struct app app;
typedef struct view view;

/* A key of a view with what it does there, for the view's help. */
typedef struct view_key {
	action act;
	const char *help;
} view_key;

typedef struct view_ops {
	const char *name;
	/* Fills rows [top, top + height) of g with the view's body. */
	void (*draw)(view *v, app *a, grid *g, int top, int height);
	/* Handles an action; H_NONE lets the app handle it. */
	int (*handle)(view *v, app *a, action act);
	void (*free)(view *v);
	/* A click on body row `row` (0 = the body's first row); NULL: none. */
	int (*click)(view *v, app *a, int row);
	/* NULL, or one step of work under way: returns 1 when it did one (and
	 * wants a redraw and another call), 0 when there is nothing to do. */
	int (*tick)(view *v, app *a);
	/* The view's own keys (ACT_NONE ends the list), shown first by ?. */
	const view_key *keys;
	/* NULL, or n/p on a dashboard opened from this list: moves the
	 * selection by dir (+1 or -1) and gives its feature; -1 at an end. */
	int (*step)(view *v, app *a, int dir, saex_fid *out);
} view_ops;

struct view {
	const view_ops *ops;
	char title[256];
	saex_fid scope;         /* the SAE the view is about; model "" when none */
};

/* A prompt's answer: called with the text typed (Enter) or NULL (Esc). */
typedef int (*prompt_fn)(app *a, view *v, const char *text);
/* Tab in a prompt: the text that follows `text` among the choices (the
 * first when text is none of them), or NULL when there are none. */
typedef const char *(*prompt_complete_fn)(app *a, view *v, const char *text);

/* The longest text a prompt holds (bytes); the rest of a paste is dropped
 * with a word on the status line. */
#define APP_PROMPT_MAX 65536

struct app {
	store *db;              /* NULL: no database (a screen says how to make one) */
	store_user *user;       /* may be NULL when the per-user database fails */
	char *db_path;
	view *stack[64];
	int depth;
	char status[512];
	int status_err;
	/* prompt */
	int prompting;
	int prompt_multiline;   /* line breaks are text (else a pasted one is a space) */
	int prompt_dirty;       /* edited since prompt_changed last heard */
	char prompt_label[64];
	sb prompt_text;
	prompt_fn prompt_cb;
	prompt_fn prompt_changed; /* NULL, or called with the text before a frame */
	prompt_complete_fn prompt_complete;
	view *prompt_view;
	/* the linked core: loaded models and SAEs, live tests (ui/core.h) */
	struct ui_core *core;
	struct ui_steer *steer; /* the steering set and its last run (ui/steer.h) */
	/* terminal */
	int rows, cols, ascii, colors;
	int mouse;              /* mouse reporting wanted (M) */
	char *osc52;            /* pending clipboard write for draw.c */
};

app *app_new(store *db, store_user *user, const char *db_path);
void app_free(app *a);
/* Pushes a view (the app owns it) / pops the top one. */
void app_push(app *a, view *v);
void app_pop(app *a);
/* Pushes v when it is not NULL, else shows err on the status line (what a
 * view constructor left there); returns H_REDRAW. */
int app_open(app *a, view *v, const char *err);
view *app_top(app *a);
void app_status(app *a, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Opens the one-line prompt on the status line for view v: label, then
 * text (init, may be NULL) edited by keys; Enter calls cb with the text,
 * Esc with NULL. Pasted text (app_paste: a terminal's bracketed paste)
 * goes into the text: a pasted line break is a space, or stays a line
 * break after app_prompt_multiline. */
void app_prompt(app *a, view *v, const char *label, const char *init, prompt_fn cb);
/* As app_prompt; changed sees the text before each frame that follows an
 * edit (a preview), once however many keys came. */
void app_prompt_live(app *a, view *v, const char *label, const char *init, prompt_fn cb, prompt_fn changed);
/* The open prompt keeps line breaks (texts for the model). */
void app_prompt_multiline(app *a);
/* The open prompt completes with Tab through fn's choices. */
void app_prompt_completion(app *a, prompt_complete_fn fn);
/* Renders the whole screen (title, body, status or prompt) into g; first
 * brings a live prompt's preview up to date. */
void app_render(app *a, grid *g);
/* Feeds one key: prompt editing or an action. Returns H_* flags. */
int app_key(app *a, int key);
/* Text pasted as a whole (bracketed paste): into the prompt when one is
 * open, else dropped with a word on the status line; never read as keys.
 * Returns H_* flags. */
int app_paste(app *a, const char *text, size_t n);
/* Prompts for a search scoped to model/source (NULL: everything). */
void app_search_prompt(app *a, view *v, const char *model, const char *source);
/* Mouse input (when a->mouse): MOUSE_* (actions.h) at screen (row, col).
 * Returns H_* flags. */
int app_mouse(app *a, int what, int row, int col);
/* Shared click handling of list views: row is body-relative, the list's
 * first item at body row `header`; a click selects, a click on the
 * selection opens (through the view's ACT_OPEN). */
int list_click(view *v, app *a, int *sel, int top, int n, int row, int header);
/* Opens a feature's dashboard from an id string; 0 when done. */
int app_open_id(app *a, const char *id);
/* y: sends a feature's id (and its Neuronpedia URL, for features of
 * Neuronpedia's SAEs) to the terminal's clipboard (OSC 52). An id that is
 * not a valid feature id (a damaged database) is refused: nothing from the
 * data reaches the clipboard unchecked. */
void app_copy_id(app *a, const saex_fid *id);
/* n/p on a dashboard v: the next (dir 1) or previous feature of the list
 * the dashboard was opened from (the view below it, when it has a step
 * op), else of its SAE by index. 0 with *out, or -1 after saying why. */
int app_step(app *a, view *v, const saex_fid *from, int dir, saex_fid *out);
/* The keys every view has (movement, quit, help, ...), for the help. */
extern const view_key app_keys[];
/* Every view's ops, for the man page's key tables (NULL-terminated). */
extern const view_ops *const app_views[];
/* Smallest usable terminal. */
#define APP_MIN_ROWS 10
#define APP_MIN_COLS 40

/* The views (ui/view_*.c) and their ops. */
extern const view_ops view_catalog_ops, view_features_ops, view_feature_ops, view_search_ops, view_help_ops,
	view_empty_ops, view_lists_ops, view_list_ops, view_steer_ops, view_steerlog_ops, view_infer_ops,
	view_test_ops;
view *view_catalog_new(app *a);
view *view_features_new(app *a, int64_t source_id, const saex_fid *names);
view *view_feature_new(app *a, const saex_fid *id, char *err, size_t errlen);
view *view_search_new(app *a, const char *query, const char *model, const char *source);
/* The keys of view `of` (may be NULL) and those of every view. */
view *view_help_new(app *a, view *of);
view *view_empty_new(app *a);
view *view_lists_new(app *a);
/* list NULL: the starred features. */
view *view_list_new(app *a, const char *list);
/* The steering view (S adds a feature first with steer_add), and the
 * steering log. */
view *view_steer_new(app *a);
/* Search by inference over the SAE names->model/names->source (prompts
 * for a text at once). NULL with err when its weights cannot be had. */
view *view_infer_new(app *a, const saex_fid *names, char *err, size_t errlen);
view *view_steerlog_new(app *a, char *err, size_t errlen);
/* Adds a feature to the steering set and opens the steering view (or
 * returns to it when it is open). */
int app_steer_feature(app *a, const saex_fid *id, double max_act, const char *expl);
/* An SAE's page: its evaluations' metrics and the feature-density
 * histogram (view_sae.c); the L0 against CE loss recovered plot of the
 * SAEs of its set or release (view_evalplot.c). NULL with err when the
 * source is not in the database. */
view *view_sae_new(app *a, const saex_fid *names, char *err, size_t errlen);
view *view_evalplot_new(app *a, const saex_fid *names, char *err, size_t errlen);
/* A live test of a feature (t on its dashboard): prompts for text at once. */
view *view_test_new(app *a, const saex_fid *id, double max_act, const float *freq_h, const float *freq_v,
                    size_t n_freq, char *err, size_t errlen);

/* Shared list navigation: moves *sel within [0, n) for UP/DOWN/PGUP/PGDN/
 * TOP/BOTTOM with a page of `page` rows; H_REDRAW when it moved. */
int list_move(action act, int *sel, int n, int page);
/* Keeps *top so that sel is visible in a window of height rows. */
void list_scroll(int sel, int *top, int height);

/* Runs the interactive explorer on the terminal; returns an exit status,
 * or UI_NO_TERMINAL when the terminal cannot show it (nothing was drawn; the
 * stores are closed either way). user_why: why user is NULL (the status
 * line says so at the start), or NULL. */
#define UI_NO_TERMINAL 100
int ui_run(store *db, store_user *user, const char *user_why, const char *db_path, const char *open_id);

#endif
