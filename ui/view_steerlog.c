/* view_steerlog.c - the steering log: every run of the steering view,
 * newest first, from the per-user database. Enter reopens a run in the
 * steering view (prompt, features, strengths, settings and both outputs);
 * R reopens and runs it again. */
#include "config.h"
#include "app.h"
#include "steer.h"

#include <stdlib.h>
#include <string.h>

typedef struct view_steerlog {
	view v;
	arena mem;
	store_steer_run *runs;
	size_t n;
	int sel, top;
} view_steerlog;

static void sl_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_steerlog *v = (view_steerlog *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "%5s  %-20s  %-28s  %s", "run", "when", "prompt", "default | steered");
	if (!v->n) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, "No steering runs yet.");
		return;
	}
	int body = height - 1;
	list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && (size_t)(v->top + i) < v->n; i++) {
		const store_steer_run *r = &v->runs[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		int x = grid_printf(g, row, 0, -1, st, "%5lld  ", (long long)r->id);
		x += grid_text(g, row, x, 20, st, r->created ? r->created : "", r->created ? strlen(r->created) : 0, 0);
		x = 29;
		grid_text(g, row, x, 28, st, r->prompt ? r->prompt : "", r->prompt ? strlen(r->prompt) : 0, SAEX_ESC_NL_ARROW);
		x = 59;
		const char *d = r->default_text ? r->default_text : "", *s = r->steered_text ? r->steered_text : "";
		int half = (g->cols - x) / 2;
		if (half > 3) {
			grid_text(g, row, x, half - 2, st, d, strlen(d), SAEX_ESC_NL_ARROW);
			grid_printf(g, row, x + half - 2, 2, ST_DIM, "| ");
			grid_text(g, row, x + half, -1, st == ST_SELECTED ? st : ST_HEAT0 + 6, s, strlen(s), SAEX_ESC_NL_ARROW);
		}
	}
}

static int sl_reopen(view_steerlog *v, app *a, int rerun)
{
	if (!v->n)
		return H_REDRAW;
	char err[SAEX_ERR_LEN];
	if (a->steer->running) {
		app_status(a, 1, "a steering run is under way");
		return H_REDRAW;
	}
	if (steer_load(a->steer, a->db, &v->runs[v->sel], err, sizeof err)) {
		app_status(a, 1, "%s", err);
		return H_REDRAW;
	}
	long long id = (long long)v->runs[v->sel].id;
	app_pop(a); /* this view; v is gone */
	view *top = app_top(a);
	if (!top || strcmp(top->ops->name, "steer"))
		app_push(a, view_steer_new(a));
	if (rerun && steer_start(a->steer, a->core, a->db, err, sizeof err))
		app_status(a, 1, "%s", err);
	else if (!rerun)
		app_status(a, 0, "run %lld reopened; R runs it again", id);
	return H_REDRAW;
}

static int sl_handle(view *vv, app *a, action act)
{
	view_steerlog *v = (view_steerlog *)vv;
	switch (act) {
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN: case ACT_TOP: case ACT_BOTTOM:
		return list_move(act, &v->sel, (int)v->n, a->rows - 4) | H_REDRAW;
	case ACT_OPEN:
		return sl_reopen(v, a, 0);
	case ACT_RUN:
		return sl_reopen(v, a, 1);
	default:
		return H_NONE;
	}
}

static int sl_click(view *vv, app *a, int row)
{
	view_steerlog *v = (view_steerlog *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->n, row, 1);
}

static void sl_free(view *vv)
{
	view_steerlog *v = (view_steerlog *)vv;
	arena_free(&v->mem);
	free(v);
}

static const view_ops sl_ops = {"steer-log", sl_draw, sl_handle, sl_free, sl_click, NULL};

view *view_steerlog_new(app *a, char *err, size_t errlen)
{
	if (!a->user) {
		snprintf(err, errlen, "no per-user database: the steering log is off");
		return NULL;
	}
	view_steerlog *v = xcalloc(1, sizeof *v);
	v->v.ops = &sl_ops;
	saex_err e = {{0}, 0};
	if (store_user_steer_runs(a->user, &v->mem, &v->runs, &v->n, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		sl_free(&v->v);
		return NULL;
	}
	snprintf(v->v.title, sizeof v->v.title, "steering log");
	return &v->v;
}
