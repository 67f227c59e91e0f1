/* app.c - the explorer's state, screen layout and key dispatch (no curses:
 * see draw.c for the terminal, ui_main.c for the loop). */
#include "config.h"
#include "app.h"
#include "core.h"
#include "esc.h"
#include "steer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Rows the status line may wrap into. */
#define APP_STATUS_ROWS 3

const view_key app_keys[] = {
	{ACT_UP, NULL}, {ACT_DOWN, NULL}, {ACT_PGUP, NULL}, {ACT_PGDN, NULL}, {ACT_TOP, NULL}, {ACT_BOTTOM, NULL},
	{ACT_BACK, NULL}, {ACT_SEARCH, NULL}, {ACT_COMMAND, NULL}, {ACT_LISTS, NULL}, {ACT_STEER, NULL},
	{ACT_STEER_LOG, NULL}, {ACT_MOUSE, NULL}, {ACT_HELP, NULL}, {ACT_REDRAW, NULL}, {ACT_QUIT, NULL},
	{ACT_NONE, NULL},
};

const view_ops *const app_views[] = {
	&view_catalog_ops, &view_features_ops, &view_feature_ops, &view_search_ops, &view_test_ops, &view_infer_ops,
	&view_steer_ops, &view_steerlog_ops, &view_lists_ops, &view_list_ops, &view_help_ops, &view_empty_ops, NULL,
};

app *app_new(store *db, store_user *user, const char *db_path)
{
	app *a = xcalloc(1, sizeof *a);
	a->db = db;
	a->user = user;
	a->db_path = db_path ? xstrdup(db_path) : NULL;
	a->rows = 24;
	a->cols = 80;
	a->core = core_new();
	a->steer = steer_new();
	return a;
}

void app_free(app *a)
{
	if (!a)
		return;
	while (a->depth)
		app_pop(a);
	sb_free(&a->prompt_text);
	free(a->osc52);
	free(a->db_path);
	steer_free(a->steer);
	core_free(a->core);
	store_close(a->db);
	store_user_close(a->user);
	free(a);
}

void app_push(app *a, view *v)
{
	if (!v)
		return;
	if (a->depth == (int)SAEX_ARRAY_LEN(a->stack)) {
		/* Forget the oldest view: history is long enough. */
		view *old = a->stack[1];
		old->ops->free(old);
		memmove(&a->stack[1], &a->stack[2], (size_t)(a->depth - 2) * sizeof a->stack[0]);
		a->depth--;
	}
	a->stack[a->depth++] = v;
}

int app_open(app *a, view *v, const char *err)
{
	if (v)
		app_push(a, v);
	else
		app_status(a, 1, "%s", err);
	return H_REDRAW;
}

void app_pop(app *a)
{
	if (!a->depth)
		return;
	view *v = a->stack[--a->depth];
	if (a->prompt_view == v) {
		a->prompting = 0;
		a->prompt_view = NULL;
	}
	v->ops->free(v);
}

view *app_top(app *a)
{
	return a->depth ? a->stack[a->depth - 1] : NULL;
}

void app_status(app *a, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->status, sizeof a->status, fmt, ap);
	va_end(ap);
	a->status_err = err;
}

/* ------------------------------------------------------------ the prompt */

void app_prompt(app *a, view *v, const char *label, const char *init, prompt_fn cb)
{
	a->prompting = 1;
	a->prompt_multiline = 0;
	a->prompt_dirty = 0;
	snprintf(a->prompt_label, sizeof a->prompt_label, "%s", label);
	sb_clear(&a->prompt_text);
	if (init)
		sb_add(&a->prompt_text, init, strnlen(init, APP_PROMPT_MAX));
	a->prompt_cb = cb;
	a->prompt_changed = NULL;
	a->prompt_complete = NULL;
	a->prompt_view = v;
}

void app_prompt_live(app *a, view *v, const char *label, const char *init, prompt_fn cb, prompt_fn changed)
{
	app_prompt(a, v, label, init, cb);
	a->prompt_changed = changed;
	a->prompt_dirty = 1;
}

void app_prompt_multiline(app *a)
{
	a->prompt_multiline = 1;
}

void app_prompt_completion(app *a, prompt_complete_fn fn)
{
	a->prompt_complete = fn;
}

/* Tells a live prompt's preview of the edits since it last heard. */
static void app_prompt_settle(app *a)
{
	if (a->prompting && a->prompt_dirty && a->prompt_changed)
		a->prompt_changed(a, a->prompt_view, a->prompt_text.p ? a->prompt_text.p : "");
	a->prompt_dirty = 0;
}

/* Appends bytes typed or pasted: a line break stays one in a multi-line
 * prompt and is a space in others, \r\n is one line break, a tab a space;
 * other controls are dropped (the text is the user's, not a command).
 * Returns the bytes that did not fit. */
static size_t app_prompt_insert(app *a, const char *text, size_t n)
{
	sb *t = &a->prompt_text;
	size_t i = 0;
	sb_grow(t, n < APP_PROMPT_MAX ? n : APP_PROMPT_MAX);
	for (; i < n && t->n < APP_PROMPT_MAX; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r' && i + 1 < n && text[i + 1] == '\n')
			continue;
		if (c == '\r' || c == '\n')
			sb_addc(t, a->prompt_multiline ? '\n' : ' ');
		else if (c == '\t')
			sb_addc(t, ' ');
		else if (c >= 0x20 && c != 0x7f)
			sb_addc(t, (char)c);
	}
	a->prompt_dirty = 1;
	return n - i;
}

/* Drops the last character (a whole UTF-8 sequence). */
static void app_prompt_backspace(app *a)
{
	sb *t = &a->prompt_text;
	while (t->n && (t->p[t->n - 1] & 0xc0) == 0x80)
		t->n--;
	if (t->n)
		t->n--;
	if (t->p)
		t->p[t->n] = 0;
	a->prompt_dirty = 1;
}

static int app_prompt_key(app *a, int key)
{
	sb *t = &a->prompt_text;
	if (key_is(key, "Enter")) {
		char *text = xstrdup(t->p ? t->p : "");
		a->prompting = 0;
		int r = a->prompt_cb(a, a->prompt_view, text);
		free(text);
		return r | H_REDRAW;
	}
	if (key_is(key, "Esc")) {
		a->prompting = 0;
		a->prompt_cb(a, a->prompt_view, NULL);
		return H_REDRAW;
	}
	if (key_is(key, "Backspace")) {
		app_prompt_backspace(a);
		return H_REDRAW;
	}
	if (key == 0x15) { /* C-u */
		sb_clear(t);
		a->prompt_dirty = 1;
		return H_REDRAW;
	}
	if (key_is(key, "Tab") && a->prompt_complete) {
		const char *next = a->prompt_complete(a, a->prompt_view, t->p ? t->p : "");
		if (next) {
			sb_clear(t);
			app_prompt_insert(a, next, strlen(next));
		}
		return H_REDRAW;
	}
	/* Text arrives as bytes (UTF-8 from the terminal); keep printable ones. */
	if (key >= 0x20 && key < 0x100 && key != 0x7f) {
		char c = (char)key;
		if (app_prompt_insert(a, &c, 1))
			app_status(a, 1, "the text is at its longest (%d bytes)", APP_PROMPT_MAX);
		return H_REDRAW;
	}
	return H_NONE;
}

int app_paste(app *a, const char *text, size_t n)
{
	if (!a->prompting) {
		app_status(a, 0, "pasted text is for prompts (/, :, t, I, ...): %zu bytes not used", n);
		return H_REDRAW;
	}
	size_t left = app_prompt_insert(a, text, n);
	if (left)
		app_status(a, 1, "the text is at its longest (%d bytes): %zu pasted bytes dropped", APP_PROMPT_MAX, left);
	return H_REDRAW;
}

/* The prompt line: label, then as much of the end of the text as fits
 * (read from the end, so a long text costs what the screen shows), a cut
 * mark where its start is hidden, and the cursor. */
static void app_render_prompt(app *a, grid *g, int row)
{
	int w = grid_printf(g, row, 0, g->cols / 2, ST_KEY, "%s", a->prompt_label);
	int room = g->cols - w - 1;
	const char *t = a->prompt_text.p ? a->prompt_text.p : "";
	size_t n = a->prompt_text.n, budget = (size_t)room * 4 + 16, start = n > budget ? n - budget : 0;
	while (start > 0 && start < n && (t[start] & 0xc0) == 0x80)
		start++;
	sb esc = {0};
	esc_append(&esc, t + start, n - start, SAEX_ESC_NL_ARROW | (g->ascii ? SAEX_ESC_ASCII : 0));
	const char *e = esc.p ? esc.p : "";
	size_t skip = 0;
	int cut = start > 0;
	while (grid_width(g, e + skip, esc.n - skip, 0) > room - cut) {
		cut = 1;
		skip++;
		while (skip < esc.n && (e[skip] & 0xc0) == 0x80)
			skip++;
	}
	if (cut)
		w += grid_text(g, row, w, 1, ST_DIM, g->ascii ? "~" : "\xe2\x80\xa6", g->ascii ? 1 : 3, 0);
	int u = grid_text(g, row, w, g->cols - w - 1, ST_NORMAL, e + skip, esc.n - skip, 0);
	grid_fill(g, row, w + u, 1, ST_CURSOR);
	sb_free(&esc);
}

/* ------------------------------------------------------------ the screen */

static void app_render_small(grid *g)
{
	grid_printf(g, 0, 0, -1, ST_ERROR, "Terminal too small: %dx%d", g->cols, g->rows);
	if (g->rows > 1)
		grid_printf(g, 1, 0, -1, ST_NORMAL, "saex needs at least %dx%d.", APP_MIN_COLS, APP_MIN_ROWS);
	if (g->rows > 2)
		grid_printf(g, 2, 0, -1, ST_DIM, "Resize, or press q to quit.");
}

static void app_render_title(app *a, grid *g, const view *v)
{
	grid_fill(g, 0, 0, g->cols, ST_HEADER);
	int x = grid_printf(g, 0, 0, -1, ST_HEADER, " saex ");
	if (a->db_path) {
		const char *base = strrchr(a->db_path, '/');
		base = base ? base + 1 : a->db_path;
		x += grid_text(g, 0, x, g->cols / 3, ST_HEADER, base, strlen(base), 0);
	}
	if (v && v->title[0]) {
		x += grid_printf(g, 0, x, -1, ST_HEADER, "  ");
		grid_text(g, 0, x, g->cols - x - 8, ST_HEADER, v->title, strlen(v->title), 0);
	}
	grid_printf(g, 0, g->cols - 7, 7, ST_HEADER, " ? help");
}

void app_render(app *a, grid *g)
{
	app_prompt_settle(a);
	grid_clear(g);
	if (g->rows < APP_MIN_ROWS || g->cols < APP_MIN_COLS) {
		app_render_small(g);
		return;
	}
	view *v = app_top(a);
	app_render_title(a, g, v);
	/* Bottom: the prompt, else the status wrapped into up to 3 rows. */
	int st_rows = 1;
	if (!a->prompting && a->status[0])
		st_rows = grid_wrap(NULL, g, 0, 0, g->cols, APP_STATUS_ROWS, ST_STATUS, a->status, strlen(a->status), 0, NULL);
	int last = g->rows - st_rows;
	if (v)
		v->ops->draw(v, a, g, 1, last - 1);
	for (int r = last; r < g->rows; r++)
		grid_fill(g, r, 0, g->cols, ST_NORMAL);
	if (a->prompting)
		app_render_prompt(a, g, last);
	else if (a->status[0])
		grid_wrap(g, NULL, last, 0, g->cols, st_rows, a->status_err ? ST_ERROR : ST_STATUS, a->status,
		          strlen(a->status), 0, NULL);
}

/* ------------------------------------------------------------ commands */

/* ":index N": feature N of the SAE the view is about. */
static int app_command_index(app *a, view *v, const char *arg)
{
	char *end;
	long long n = strtoll(arg, &end, 10);
	if (!*arg || *end || n < 0) {
		app_status(a, 1, "index '%s': a feature index (0, 1, ...)", arg);
		return H_REDRAW;
	}
	if (!v || !v->scope.model[0] || !v->scope.source[0]) {
		app_status(a, 1, "index %lld: open an SAE first (its feature list, a dashboard)", n);
		return H_REDRAW;
	}
	saex_fid id = v->scope;
	id.index = n;
	char err[600];
	return app_open(a, view_feature_new(a, &id, err, sizeof err), err);
}

/* ":open ID", ":search TEXT", ":index N", ":quit". */
static int app_command(app *a, view *v, const char *text)
{
	if (!text)
		return H_REDRAW;
	while (*text == ' ' || *text == ':')
		text++;
	const char *arg = strchr(text, ' ');
	size_t cl = arg ? (size_t)(arg - text) : strlen(text);
	if (arg)
		while (*arg == ' ')
			arg++;
	if ((cl == 1 && *text == 'q') || (cl == 4 && !strncmp(text, "quit", 4)))
		return H_QUIT;
	if (cl == 4 && !strncmp(text, "open", 4) && arg && *arg) {
		app_open_id(a, arg);
		return H_REDRAW;
	}
	if (cl == 6 && !strncmp(text, "search", 6) && arg && *arg) {
		app_push(a, view_search_new(a, arg, NULL, NULL));
		return H_REDRAW;
	}
	if (cl == 5 && !strncmp(text, "index", 5))
		return app_command_index(a, v, arg ? arg : "");
	if (cl == 0)
		return H_REDRAW;
	/* A bare id opens it too. */
	saex_fid id;
	if (saex_fid_parse(text, &id, NULL) == 0) {
		app_open_id(a, text);
		return H_REDRAW;
	}
	app_status(a, 1, "unknown command '%.*s' (open ID, search TEXT, index N, quit)", (int)cl, text);
	return H_REDRAW;
}

static char app_scope_model[SAEX_ID_MAX], app_scope_source[SAEX_ID_MAX];

static int app_search_answer(app *a, view *v, const char *text)
{
	(void)v;
	if (text && *text)
		app_push(a, view_search_new(a, text, app_scope_model[0] ? app_scope_model : NULL,
		                            app_scope_source[0] ? app_scope_source : NULL));
	return H_REDRAW;
}

void app_search_prompt(app *a, view *v, const char *model, const char *source)
{
	snprintf(app_scope_model, sizeof app_scope_model, "%s", model ? model : "");
	snprintf(app_scope_source, sizeof app_scope_source, "%s", source ? source : "");
	char label[2 * SAEX_ID_MAX + 16];
	if (model && source)
		snprintf(label, sizeof label, "search %s/%s: ", model, source);
	else
		snprintf(label, sizeof label, "search: ");
	app_prompt(a, v, label, NULL, app_search_answer);
}

int app_open_id(app *a, const char *text)
{
	saex_fid id;
	const char *why;
	if (saex_fid_parse(text, &id, &why) != 0) {
		app_status(a, 1, "'%s': %s", text, why);
		return -1;
	}
	char err[600];
	view *v = view_feature_new(a, &id, err, sizeof err);
	if (!v) {
		app_status(a, 1, "%s", err);
		return -1;
	}
	app_push(a, v);
	return 0;
}

void app_copy_id(app *a, const saex_fid *id)
{
	if (!saex_fid_valid_name(id->model) || !saex_fid_valid_name(id->source) || id->index < 0) {
		app_status(a, 1, "not copied: the feature's id holds characters an id cannot have (a damaged database?)");
		return;
	}
	char text[3 * SAEX_ID_MAX], url[4 * SAEX_ID_MAX];
	saex_fid_format(id, text, sizeof text);
	int local = a->db && store_source_local(a->db, id->model, id->source);
	if (!local)
		saex_fid_url(id, url, sizeof url);
	free(a->osc52);
	a->osc52 = local ? xstrdup(text) : xasprintf("%s %s", text, url);
	if (!esc_is_clean(a->osc52, strlen(a->osc52))) { /* cannot be, after the checks above */
		free(a->osc52);
		a->osc52 = NULL;
		return;
	}
	app_status(a, 0, "sent %s%s to the terminal's clipboard (OSC 52; some terminals ignore it)", text,
	           local ? "" : " and its URL");
}

int app_step(app *a, view *v, const saex_fid *from, int dir, saex_fid *out)
{
	int at = a->depth - 1;
	while (at >= 0 && a->stack[at] != v)
		at--;
	view *below = at > 0 ? a->stack[at - 1] : NULL;
	if (below && below->ops->step) {
		if (below->ops->step(below, a, dir, out) == 0)
			return 0;
		app_status(a, 0, "no %s feature in the list this dashboard came from", dir > 0 ? "next" : "previous");
		return -1;
	}
	/* Not opened from a list: the SAE's next feature that exists. */
	int64_t sid;
	saex_fid names;
	saex_err e = {{0}, 0};
	char spec[2 * SAEX_ID_MAX + 2];
	store_feat_row row;
	size_t n = 0;
	snprintf(spec, sizeof spec, "%s/%s", from->model, from->source);
	if (store_source_find(a->db, spec, &sid, &names, &e) ||
	    store_feature_page(a->db, sid, NULL, from->index, dir < 0, 1, &row, &n, &e)) {
		app_status(a, 1, "%s", e.msg);
		return -1;
	}
	if (!n) {
		app_status(a, 0, "%s/%s has no feature %s %lld", from->model, from->source, dir > 0 ? "after" : "before",
		           (long long)from->index);
		return -1;
	}
	*out = *from;
	out->index = row.index;
	return 0;
}

/* ------------------------------------------------------------ keys */

/* The status line's word for an action the view does not have. */
static void app_not_here(app *a, view *v, action act, int key)
{
	const action_info *ai = action_get(act);
	char k[16];
	if (key >= 0x20 && key < 0x7f)
		snprintf(k, sizeof k, "%c", key);
	else
		snprintf(k, sizeof k, "%.*s", (int)strcspn(ai->keys, " "), ai->keys);
	app_status(a, 0, "%s (%s) does nothing in %s; ? lists its keys", k, ai->name,
	           v && v->title[0] ? v->title : "this view");
}

int app_key(app *a, int key)
{
	if (a->prompting)
		return app_prompt_key(a, key);
	action act = action_for_key(key);
	if (act == ACT_NONE)
		return H_NONE;
	view *v = app_top(a);
	a->status[0] = 0;
	if (v) {
		int r = v->ops->handle(v, a, act);
		if (r != H_NONE)
			return r;
	}
	switch (act) {
	case ACT_QUIT:
		return H_QUIT;
	case ACT_BACK:
		if (a->depth > 1)
			app_pop(a);
		return H_REDRAW;
	case ACT_HELP:
		if (!v || v->ops != &view_help_ops)
			app_push(a, view_help_new(a, v));
		return H_REDRAW;
	case ACT_SEARCH:
		if (!a->db)
			app_status(a, 1, "no database open: nothing to search");
		else if (v && v->scope.model[0] && v->scope.source[0])
			app_search_prompt(a, v, v->scope.model, v->scope.source);
		else
			app_search_prompt(a, v, NULL, NULL);
		return H_REDRAW;
	case ACT_LISTS:
		if (!a->user)
			app_status(a, 1, "no per-user database: lists are off");
		else
			app_push(a, view_lists_new(a));
		return H_REDRAW;
	case ACT_COMMAND:
		app_prompt(a, v, ":", NULL, app_command);
		return H_REDRAW;
	case ACT_REDRAW:
		return H_REDRAW;
	case ACT_STEER:
		if (!v || v->ops != &view_steer_ops)
			app_push(a, view_steer_new(a));
		return H_REDRAW;
	case ACT_STEER_LOG: {
		char err[256];
		return app_open(a, view_steerlog_new(a, err, sizeof err), err);
	}
	case ACT_MOUSE:
		a->mouse = !a->mouse;
		app_status(a, 0, a->mouse ? "mouse on: wheel scrolls, click selects, click again opens"
		                          : "mouse off");
		return H_REDRAW;
	default:
		app_not_here(a, v, act, key);
		return H_REDRAW;
	}
}

int list_move(action act, int *sel, int n, int page)
{
	int old = *sel;
	if (page < 1)
		page = 1;
	switch (act) {
	case ACT_UP: (*sel)--; break;
	case ACT_DOWN: (*sel)++; break;
	case ACT_PGUP: *sel -= page; break;
	case ACT_PGDN: *sel += page; break;
	case ACT_TOP: *sel = 0; break;
	case ACT_BOTTOM: *sel = n - 1; break;
	default: return H_NONE;
	}
	if (*sel >= n)
		*sel = n - 1;
	if (*sel < 0)
		*sel = 0;
	return *sel != old ? H_REDRAW : H_HANDLED;
}

void list_scroll(int sel, int *top, int height)
{
	if (height < 1)
		height = 1;
	if (sel < *top)
		*top = sel;
	if (sel >= *top + height)
		*top = sel - height + 1;
	if (*top < 0)
		*top = 0;
}

int app_mouse(app *a, int what, int row, int col)
{
	(void)col;
	view *v = app_top(a);
	if (!v || a->prompting)
		return H_NONE;
	if (what == MOUSE_WHEEL_UP || what == MOUSE_WHEEL_DOWN) {
		int r = 0;
		for (int i = 0; i < 3; i++)
			r |= v->ops->handle(v, a, what == MOUSE_WHEEL_UP ? ACT_UP : ACT_DOWN);
		return r | H_REDRAW;
	}
	if (what == MOUSE_CLICK && v->ops->click && row >= 1 && row < a->rows - 1)
		return v->ops->click(v, a, row - 1);
	return H_NONE;
}

int list_click(view *v, app *a, int *sel, int top, int n, int row, int header)
{
	int i = top + row - header;
	if (row < header || i < 0 || i >= n)
		return H_NONE;
	if (i == *sel)
		return v->ops->handle(v, a, ACT_OPEN);
	*sel = i;
	return H_REDRAW;
}
