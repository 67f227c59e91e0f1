/* view_search.c - explanation search results, best first, a page at a
 * time as the selection reaches the end; the count of every match. Enter
 * opens a dashboard, w widens the scope. */
#include "config.h"
#include "app.h"
#include "cli.h"
#include "widgets.h"

#include <stdlib.h>
#include <string.h>

#define SV_PAGE 200      /* results read at a time */
#define SV_MAX 100000    /* End reads this many at most */

typedef struct view_search {
	view v;
	arena mem;
	store_hit *hits;       /* the pages read so far */
	size_t n, cap;
	int64_t total;         /* every match */
	int sel, top;
	char query[256], model[SAEX_ID_MAX], source[SAEX_ID_MAX];
} view_search;

static void sv_run(view_search *v, app *a);

/* The scope as a fid (model/source "" when unrestricted). */
static saex_fid sv_scope(const view_search *v)
{
	saex_fid s;
	memset(&s, 0, sizeof s);
	snprintf(s.model, sizeof s.model, "%s", v->model);
	snprintf(s.source, sizeof s.source, "%s", v->model[0] ? v->source : "");
	return s;
}

static void sv_status(view_search *v, app *a)
{
	char n[32], t[32];
	cli_thousands((int64_t)v->n, n, sizeof n);
	cli_thousands(v->total, t, sizeof t);
	const char *w = v->model[0] || v->source[0] ? "; w widens the scope" : "";
	if ((int64_t)v->n < v->total)
		app_status(a, 0, "first %s of %s explanations that match (more as you scroll)%s", n, t, w);
	else
		app_status(a, 0, "%s explanation%s match%s%s", t, v->total == 1 ? "" : "s", v->total == 1 ? "es" : "", w);
}

/* Reads the next `want` results; 0, or -1 after saying why. */
static int sv_more(view_search *v, app *a, size_t want)
{
	if ((int64_t)v->n >= v->total)
		return 0;
	store_hit *h;
	size_t k;
	saex_err e = {{0}, 0};
	if (store_search_page(a->db, v->query, v->model[0] ? v->model : NULL, v->source[0] ? v->source : NULL, v->n,
	                      want, &v->mem, &h, &k, &e)) {
		app_status(a, 1, "%s", e.msg);
		return -1;
	}
	if (v->n + k > v->cap) {
		v->cap = (v->n + k) * 2;
		v->hits = xrealloc(v->hits, v->cap * sizeof *v->hits);
	}
	memcpy(v->hits + v->n, h, k * sizeof *h);
	v->n += k;
	if (k < want) /* the count and the pages disagree (a writer?): trust the pages */
		v->total = (int64_t)v->n;
	return 0;
}

static void sv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_search *v = (view_search *)vv;
	(void)a;
	int body = height - 1;
	if (v->n)
		list_scroll(v->sel, &v->top, body);
	saex_fid scope = sv_scope(v);
	char ids[128][3 * SAEX_ID_MAX];
	const char *idp[128];
	int shown = 0;
	for (int i = 0; i < body && i < 128 && (size_t)(v->top + i) < v->n; i++, shown++)
		idp[i] = ui_id_text(&v->hits[v->top + i].id, &scope, ids[i], sizeof ids[i]);
	int idw = ui_id_width(g, idp, (size_t)shown, 7, g->cols / 2);
	grid_printf(g, top, 0, -1, ST_TITLE, "%-*s %9s  %s", idw, "feature", "density", "explanation");
	if (v->n == 0) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, "No explanation matches.");
		return;
	}
	for (int i = 0; i < shown; i++) {
		const store_hit *h = &v->hits[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		ui_id(g, row, 0, idw, st, idp[i]);
		char d[32];
		grid_printf(g, row, idw + 1, -1, st, "%9s  ", cli_density(h->frac_nonzero, d, sizeof d));
		grid_text(g, row, idw + 12, -1, st, h->description, strlen(h->description), SAEX_ESC_NL_ARROW);
	}
}

static int sv_handle(view *vv, app *a, action act)
{
	view_search *v = (view_search *)vv;
	switch (act) {
	case ACT_OPEN:
		if (v->n) {
			char err[600];
			app_open(a, view_feature_new(a, &v->hits[v->sel].id, err, sizeof err), err);
		}
		return H_REDRAW;
	case ACT_STEER:
		if (v->n) {
			const store_hit *h = &v->hits[v->sel];
			app_steer_feature(a, &h->id, h->max_act, h->description);
		}
		return H_REDRAW;
	case ACT_SCOPE:
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
	case ACT_DOWN: case ACT_PGDN: case ACT_BOTTOM: {
		int page = a->rows - 4;
		size_t lim = v->total < SV_MAX ? (size_t)v->total : SV_MAX;
		if (act == ACT_BOTTOM && v->n < lim) /* the rest at once, up to SV_MAX in all */
			sv_more(v, a, lim - v->n);
		else if (act != ACT_BOTTOM)
			while ((size_t)(act == ACT_DOWN ? v->sel + 1 : v->sel + page) >= v->n && (int64_t)v->n < v->total &&
			       sv_more(v, a, SV_PAGE) == 0)
				;
		int r = list_move(act, &v->sel, (int)v->n, page);
		sv_status(v, a);
		return r;
	}
	default:
		return list_move(act, &v->sel, (int)v->n, a->rows - 4);
	}
}

static int sv_step(view *vv, app *a, int dir, saex_fid *out)
{
	view_search *v = (view_search *)vv;
	if (sv_handle(vv, a, dir > 0 ? ACT_DOWN : ACT_UP) != H_REDRAW)
		return -1;
	*out = v->hits[v->sel].id;
	return 0;
}

static void sv_free(view *vv)
{
	view_search *v = (view_search *)vv;
	arena_free(&v->mem);
	free(v->hits);
	free(v);
}

static int sv_click(view *vv, app *a, int row)
{
	view_search *v = (view_search *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->n, row, 1);
}

static const view_key sv_keys[] = {
	{ACT_OPEN, "Open the selected feature's dashboard"},
	{ACT_SCOPE, "Widen the scope: the SAE, then the model, then everything"},
	{ACT_STEER, "Add the selected feature to the steering set"},
	{ACT_BOTTOM, "Go to the last result (reads the rest, up to 100,000)"},
	{ACT_NONE, NULL},
};

const view_ops view_search_ops = {"search", sv_draw, sv_handle, sv_free, sv_click, NULL, sv_keys, sv_step};

static void sv_run(view_search *v, app *a)
{
	arena_free(&v->mem);
	v->n = 0;
	v->total = 0;
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
	v->v.scope = sv_scope(v);
	saex_err e = {{0}, 0};
	if (!a->db) {
		app_status(a, 1, "no database open");
		return;
	}
	if (store_search_count(a->db, v->query, model, source, &v->total, &e)) {
		app_status(a, 1, "%s", e.msg);
		return;
	}
	if (sv_more(v, a, SV_PAGE) == 0)
		sv_status(v, a);
}

view *view_search_new(app *a, const char *query, const char *model, const char *source)
{
	view_search *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_search_ops;
	snprintf(v->query, sizeof v->query, "%s", query);
	snprintf(v->model, sizeof v->model, "%s", model ? model : "");
	snprintf(v->source, sizeof v->source, "%s", source ? source : "");
	sv_run(v, a);
	return &v->v;
}
