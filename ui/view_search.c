/* view_search.c - explanation search results; Enter opens a dashboard. */
#include "config.h"
#include "app.h"

#include <stdlib.h>
#include <string.h>

typedef struct view_search {
	view v;
	arena mem;
	store_hit *hits;
	size_t n;
	int sel, top;
	char query[256], model[SAEX_ID_MAX], source[SAEX_ID_MAX];
} view_search;

static void sv_run(view_search *v, app *a);

static void sv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_search *v = (view_search *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "%-34s %9s  %s", "feature", "density", "explanation");
	if (v->n == 0) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, "No explanation matches.");
		return;
	}
	int body = height - 1;
	list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && (size_t)(v->top + i) < v->n; i++) {
		const store_hit *h = &v->hits[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		char id[3 * SAEX_ID_MAX];
		saex_fid_format(&h->id, id, sizeof id);
		grid_text(g, row, 0, 34, st, id, strlen(id), 0);
		if (h->frac_nonzero >= 0)
			grid_printf(g, row, 35, -1, st, "%8.4f%%", h->frac_nonzero * 100);
		grid_text(g, row, 46, -1, st, h->description, strlen(h->description), SAEX_ESC_NL_ARROW);
	}
}

static int sv_handle(view *vv, app *a, action act)
{
	view_search *v = (view_search *)vv;
	if (act == ACT_OPEN) {
		if (v->n) {
			char err[600];
			app_open(a, view_feature_new(a, &v->hits[v->sel].id, err, sizeof err), err);
		}
		return H_REDRAW;
	}
	if (act == ACT_STEER && v->n) {
		const store_hit *h = &v->hits[v->sel];
		app_steer_feature(a, &h->id, h->max_act, h->description);
		return H_REDRAW;
	}
	if (act == ACT_SCOPE) {
		if (v->source[0])
			v->source[0] = 0;
		else if (v->model[0])
			v->model[0] = 0;
		else {
			app_status(a, 0, "already searching everything");
			return H_REDRAW;
		}
		sv_run(v, a);
		return H_REDRAW;
	}
	return list_move(act, &v->sel, (int)v->n, a->rows - 4);
}

static void sv_free(view *vv)
{
	view_search *v = (view_search *)vv;
	arena_free(&v->mem);
	free(v);
}

static int sv_click(view *vv, app *a, int row)
{
	view_search *v = (view_search *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->n, row, 1);
}

static const view_ops sv_ops = {"search", sv_draw, sv_handle, sv_free, sv_click, NULL};

static void sv_run(view_search *v, app *a)
{
	arena_free(&v->mem);
	v->hits = NULL;
	v->n = 0;
	v->sel = v->top = 0;
	const char *model = v->model[0] ? v->model : NULL, *source = v->source[0] ? v->source : NULL;
	sb t = {0};
	sb_printf(&t, "search \"%s\"", v->query);
	if (source)
		sb_printf(&t, " in %s/%s", v->model, v->source);
	else if (model)
		sb_printf(&t, " in %s", v->model);
	snprintf(v->v.title, sizeof v->v.title, "%s", t.p);
	sb_free(&t);
	saex_err e = {{0}, 0};
	if (!a->db || store_search(a->db, v->query, model, source, 200, &v->mem, &v->hits, &v->n, &e))
		app_status(a, 1, "%s", a->db ? e.msg : "no database open");
	else
		app_status(a, 0, "%zu result%s%s", v->n, v->n == 1 ? "" : "s",
		           model || source ? " (w widens the scope)" : "");
}

view *view_search_new(app *a, const char *query, const char *model, const char *source)
{
	view_search *v = xcalloc(1, sizeof *v);
	v->v.ops = &sv_ops;
	snprintf(v->query, sizeof v->query, "%s", query);
	snprintf(v->model, sizeof v->model, "%s", model ? model : "");
	snprintf(v->source, sizeof v->source, "%s", source ? source : "");
	sv_run(v, a);
	return &v->v;
}
