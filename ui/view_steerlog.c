/* view_steerlog.c - the steering log: the runs of the steering view on the
 * open database (w: of every database), newest first, from the per-user
 * database, with the selected run's features, strengths and settings
 * below. Enter reopens a run in the steering view (prompt, features,
 * strengths, settings and both outputs); R reopens and runs it again. */
#include "config.h"
#include "app.h"
#include "steer.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef struct view_steerlog {
	view v;
	arena mem;
	store_steer_run *all;    /* every run */
	size_t n_all;
	store_steer_run **runs;  /* those shown */
	size_t n;
	int every_db, sel, top;
} view_steerlog;

/* 1 when a run's database is the open one (by the file, when both exist). */
static int sl_this_db(app *a, const char *db)
{
	if (!a->db_path || !db)
		return 0;
	char x[PATH_MAX], y[PATH_MAX];
	if (realpath(a->db_path, x) && realpath(db, y))
		return !strcmp(x, y);
	return !strcmp(a->db_path, db);
}

static void sl_pick(view_steerlog *v, app *a)
{
	v->n = 0;
	for (size_t i = 0; i < v->n_all; i++)
		if (v->every_db || sl_this_db(a, v->all[i].db))
			v->runs[v->n++] = &v->all[i];
	v->sel = v->top = 0;
	snprintf(v->v.title, sizeof v->v.title, "steering log: %zu run%s %s", v->n, v->n == 1 ? "" : "s",
	         v->every_db ? "on every database" : "on this database");
}

/* The features with their strengths and the settings of a run, as text. */
static void sl_details(const store_steer_run *r, sb *out)
{
	json_t *fs = json_loads(r->features ? r->features : "", 0, NULL);
	json_t *st = json_loads(r->settings ? r->settings : "", 0, NULL);
	size_t i;
	json_t *f;
	sb_adds(out, "features ");
	json_array_foreach(fs, i, f)
		sb_printf(out, "%s%s %+.2f", i ? ", " : "", json_string_value(json_object_get(f, "id")) ?
		          json_string_value(json_object_get(f, "id")) : "?", json_number_value(json_object_get(f, "strength")));
	if (json_is_object(st))
		sb_printf(out, "   multiplier %g method %s temperature %g seed %lld tokens %lld freq_penalty %g%s",
		          json_number_value(json_object_get(st, "multiplier")),
		          json_string_value(json_object_get(st, "method")) ? json_string_value(json_object_get(st, "method"))
		                                                            : "?",
		          json_number_value(json_object_get(st, "temperature")),
		          (long long)json_integer_value(json_object_get(st, "seed")),
		          (long long)json_integer_value(json_object_get(st, "tokens")),
		          json_number_value(json_object_get(st, "freq_penalty")),
		          json_is_true(json_object_get(st, "cancelled")) ? "   (cancelled)" : "");
	sb_printf(out, "\ndatabase %s", r->db ? r->db : "unknown");
	json_decref(fs);
	json_decref(st);
}

static void sl_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_steerlog *v = (view_steerlog *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "%5s  %-20s  %-28s  %s", "run", "when", "prompt", "default | steered");
	if (!v->n) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, v->n_all ? "No steering runs on this database (w: every database)."
		                                               : "No steering runs yet.");
		return;
	}
	/* the selected run's details take the last rows */
	sb d = {0};
	sl_details(v->runs[v->sel], &d);
	int drows = grid_wrap(NULL, g, 0, 0, g->cols, 4, ST_DIM, d.p, d.n, SAEX_ESC_NL_KEEP, NULL);
	int body = height - 1 - drows - 1;
	if (body < 1)
		body = 1;
	list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && (size_t)(v->top + i) < v->n; i++) {
		const store_steer_run *r = v->runs[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		int x = grid_printf(g, row, 0, -1, st, "%5lld  ", (long long)r->id);
		x += grid_text(g, row, x, 20, st, r->created ? r->created : "", r->created ? strlen(r->created) : 0, 0);
		x = 29;
		grid_text(g, row, x, 28, st, r->prompt ? r->prompt : "", r->prompt ? strlen(r->prompt) : 0, SAEX_ESC_NL_ARROW);
		x = 59;
		const char *dt = r->default_text ? r->default_text : "", *s = r->steered_text ? r->steered_text : "";
		int half = (g->cols - x) / 2;
		if (half > 3) {
			grid_text(g, row, x, half - 2, st, dt, strlen(dt), SAEX_ESC_NL_ARROW);
			grid_printf(g, row, x + half - 2, 2, ST_DIM, "| ");
			grid_text(g, row, x + half, -1, st == ST_SELECTED ? st : ST_HEAT0 + 6, s, strlen(s), SAEX_ESC_NL_ARROW);
		}
	}
	if (height - drows > 2)
		grid_wrap(g, NULL, top + height - drows, 0, g->cols, drows, ST_DIM, d.p, d.n, SAEX_ESC_NL_KEEP, NULL);
	sb_free(&d);
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
	if (steer_load(a->steer, a->db, v->runs[v->sel], err, sizeof err)) {
		app_status(a, 1, "%s", err);
		return H_REDRAW;
	}
	long long id = (long long)v->runs[v->sel]->id;
	app_pop(a); /* this view; v is gone */
	view *top = app_top(a);
	if (!top || top->ops != &view_steer_ops)
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
		return list_move(act, &v->sel, (int)v->n, a->rows - 8) | H_REDRAW;
	case ACT_OPEN:
		return sl_reopen(v, a, 0);
	case ACT_RUN:
		return sl_reopen(v, a, 1);
	case ACT_SCOPE:
		v->every_db = !v->every_db;
		sl_pick(v, a);
		return H_REDRAW;
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
	free(v->runs);
	free(v);
}

static const view_key sl_keys[] = {
	{ACT_OPEN, "Reopen the selected run in the steering view"},
	{ACT_RUN, "Reopen it and run it again"},
	{ACT_SCOPE, "The runs on every database, or on this one"},
	{ACT_NONE, NULL},
};

const view_ops view_steerlog_ops = {"steer-log", sl_draw, sl_handle, sl_free, sl_click, NULL, sl_keys, NULL};

view *view_steerlog_new(app *a, char *err, size_t errlen)
{
	if (!a->user) {
		snprintf(err, errlen, "no per-user database: the steering log is off");
		return NULL;
	}
	view_steerlog *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_steerlog_ops;
	saex_err e = {{0}, 0};
	if (store_user_steer_runs(a->user, &v->mem, &v->all, &v->n_all, &e)) {
		snprintf(err, errlen, "%s", e.msg);
		sl_free(&v->v);
		return NULL;
	}
	v->runs = xcalloc(v->n_all + 1, sizeof *v->runs);
	sl_pick(v, a);
	return &v->v;
}
