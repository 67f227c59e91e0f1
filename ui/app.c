/* app.c - the explorer's state, screen layout and key dispatch (no curses:
 * see draw.c for the terminal, ui_main.c for the loop). */
#include "config.h"
#include "app.h"
#include "core.h"
#include "steer.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

void app_prompt(app *a, view *v, const char *label, const char *init, prompt_fn cb)
{
	a->prompting = 1;
	snprintf(a->prompt_label, sizeof a->prompt_label, "%s", label);
	sb_clear(&a->prompt_text);
	if (init)
		sb_adds(&a->prompt_text, init);
	a->prompt_cb = cb;
	a->prompt_changed = NULL;
	a->prompt_view = v;
}

void app_render(app *a, grid *g)
{
	grid_clear(g);
	if (g->rows < APP_MIN_ROWS || g->cols < APP_MIN_COLS) {
		grid_printf(g, 0, 0, -1, ST_ERROR, "Terminal too small: %dx%d", g->cols, g->rows);
		if (g->rows > 1)
			grid_printf(g, 1, 0, -1, ST_NORMAL, "saex needs at least %dx%d.", APP_MIN_COLS,
			            APP_MIN_ROWS);
		if (g->rows > 2)
			grid_printf(g, 2, 0, -1, ST_DIM, "Resize, or press q to quit.");
		return;
	}
	view *v = app_top(a);
	/* Title bar: saex, the database, the view. */
	grid_fill(g, 0, 0, g->cols, ST_HEADER);
	int x = grid_printf(g, 0, 0, -1, ST_HEADER, " saex ");
	if (a->db_path) {
		const char *base = strrchr(a->db_path, '/');
		x += grid_text(g, 0, x, -1, ST_HEADER, base ? base + 1 : a->db_path,
		               strlen(base ? base + 1 : a->db_path), 0);
	}
	if (v && v->title[0]) {
		x += grid_printf(g, 0, x, -1, ST_HEADER, "  ");
		grid_text(g, 0, x, g->cols - x - 8, ST_HEADER, v->title, strlen(v->title), 0);
	}
	grid_printf(g, 0, g->cols - 7, 7, ST_HEADER, " ? help");
	if (v)
		v->ops->draw(v, a, g, 1, g->rows - 2);
	/* Bottom line: the prompt, else the status. */
	int last = g->rows - 1;
	if (a->prompting) {
		int w = grid_printf(g, last, 0, -1, ST_KEY, "%s", a->prompt_label);
		const char *t = a->prompt_text.p ? a->prompt_text.p : "";
		/* Show the end of long input. */
		int tw = grid_width(g, t, strlen(t), 0), room = g->cols - w - 1;
		while (tw > room && *t) {
			t++;
			while ((*t & 0xc0) == 0x80)
				t++;
			tw = grid_width(g, t, strlen(t), 0);
		}
		int u = grid_text(g, last, w, room, ST_NORMAL, t, strlen(t), 0);
		grid_fill(g, last, w + u, 1, ST_CURSOR);
	} else if (a->status[0]) {
		grid_text(g, last, 0, -1, a->status_err ? ST_ERROR : ST_STATUS, a->status,
		          strlen(a->status), 0);
	}
}

/* ":open ID", ":search TEXT", ":index N", ":quit". */
static int app_command(app *a, view *v, const char *text)
{
	(void)v;
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
	if (cl == 0)
		return H_REDRAW;
	/* A bare id opens it too. */
	saex_fid id;
	if (saex_fid_parse(text, &id, NULL) == 0) {
		app_open_id(a, text);
		return H_REDRAW;
	}
	app_status(a, 1, "unknown command '%.*s' (open ID, search TEXT, quit)", (int)cl, text);
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

void app_prompt_live(app *a, view *v, const char *label, const char *init, prompt_fn cb, prompt_fn changed)
{
	app_prompt(a, v, label, init, cb);
	a->prompt_changed = changed;
	if (changed)
		changed(a, v, a->prompt_text.p ? a->prompt_text.p : "");
}

static int app_prompt_edit(app *a, int key);

/* Line editing in the prompt; a live prompt hears of every change. */
static int app_prompt_key(app *a, int key)
{
	size_t before = a->prompt_text.n;
	int r = app_prompt_edit(a, key);
	if (a->prompting && a->prompt_changed && (a->prompt_text.n != before || key == 0x15))
		a->prompt_changed(a, a->prompt_view, a->prompt_text.p ? a->prompt_text.p : "");
	return r;
}

static int app_prompt_edit(app *a, int key)
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
		while (t->n && (t->p[t->n - 1] & 0xc0) == 0x80)
			t->n--;
		if (t->n)
			t->n--;
		if (t->p)
			t->p[t->n] = 0;
		return H_REDRAW;
	}
	if (key == 0x15) { /* C-u */
		sb_clear(t);
		return H_REDRAW;
	}
	/* Text arrives as bytes (UTF-8 from the terminal); keep printable ones. */
	if (key >= 0x20 && key < 0x100 && key != 0x7f && t->n < 1000) {
		sb_addc(t, (char)key);
		return H_REDRAW;
	}
	return H_NONE;
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
		if (!v || v->ops->name[0] != 'h')
			app_push(a, view_help_new(a));
		return H_REDRAW;
	case ACT_SEARCH:
		if (a->db)
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
		if (!v || strcmp(v->ops->name, "steer"))
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
		return H_NONE;
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
