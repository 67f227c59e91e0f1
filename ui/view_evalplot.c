/* view_evalplot.c - the SAEs of a set (w: of its release) by their newest
 * evaluation: L0 (log scale) against CE loss recovered (ce_loss_score), the
 * plot researchers choose SAEs by, with the same numbers in a table below.
 * Each evaluated SAE is a point labelled with its table tag (a-z, A-Z,
 * 0-9); Up/Down or Left/Right select (the table is in L0 order), Enter
 * opens the selected SAE's page, a click on a table row selects it (a
 * second click opens it). */
#include "config.h"
#include "app.h"
#include "cli.h"
#include "plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char ep_tags[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

typedef struct ep_item {
	const store_cat_row *cat;
	const store_eval *ev;
} ep_item;

typedef struct view_evalplot {
	view v;
	arena mem;
	store_cat_row *cat;
	size_t n_cat;
	store_eval *evs;
	size_t n_evs;
	const store_cat_row *anchor; /* the SAE the view opened from */
	int wide;                    /* 0: its set; 1: its release */
	ep_item *items;              /* evaluated SAEs of the scope, by L0 */
	int n, n_scope, sel, top;
	int many_models;             /* the scope spans models: rows say model/source */
	int table_row;               /* screen row of the table's first item */
	int table_rows;
} view_evalplot;

static int ep_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether a catalog row is in the view's scope. */
static int ep_in_scope(const view_evalplot *v, const store_cat_row *r)
{
	const store_cat_row *k = v->anchor;
	if (v->wide && k->release)
		return ep_same(r->release, k->release);
	return ep_same(r->model, k->model) && ep_same(r->set, k->set);
}

static const store_eval *ep_eval_of(const view_evalplot *v, const store_cat_row *r)
{
	for (size_t i = 0; i < v->n_evs; i++)
		if (!strcmp(v->evs[i].model, r->model) && !strcmp(v->evs[i].source, r->source))
			return &v->evs[i];
	return NULL;
}

static int ep_cmp(const void *pa, const void *pb)
{
	const ep_item *a = pa, *b = pb;
	if (a->ev->m.l0 != b->ev->m.l0)
		return a->ev->m.l0 < b->ev->m.l0 ? -1 : 1;
	int c = strcmp(a->cat->model, b->cat->model);
	return c ? c : strcmp(a->cat->source, b->cat->source);
}

/* The scope's evaluated SAEs (a finite L0 above 0 and CE loss recovered). */
static void ep_collect(view_evalplot *v)
{
	free(v->items);
	v->items = xcalloc(v->n_cat + 1, sizeof *v->items);
	v->n = v->n_scope = 0;
	v->many_models = 0;
	for (size_t i = 0; i < v->n_cat; i++) {
		const store_cat_row *r = &v->cat[i];
		if (!ep_in_scope(v, r))
			continue;
		v->n_scope++;
		v->many_models |= strcmp(r->model, v->anchor->model) != 0;
		const store_eval *e = ep_eval_of(v, r);
		if (e && isfinite(e->m.l0) && e->m.l0 > 0 && isfinite(e->m.ce_loss_score))
			v->items[v->n++] = (ep_item){r, e};
	}
	qsort(v->items, (size_t)v->n, sizeof *v->items, ep_cmp);
	v->sel = 0;
	for (int i = 0; i < v->n; i++)
		if (v->items[i].cat == v->anchor)
			v->sel = i;
	v->top = 0;
	snprintf(v->v.title, sizeof v->v.title, "%s %s: L0 against CE loss recovered", v->wide ? "release" : "set",
	         v->wide ? v->anchor->release : v->anchor->set ? v->anchor->set : v->anchor->source);
}

/* v in 9 columns with 4 decimals, or "-" (buf: 16 bytes). */
static const char *ep_num(char *buf, double v)
{
	if (isfinite(v))
		snprintf(buf, 16, "%9.4f", v);
	else
		snprintf(buf, 16, "%9s", "-");
	return buf;
}

/* The table: a header and the items from v->top, `rows` rows in all. */
static void ep_table(view_evalplot *v, grid *g, int row, int rows)
{
	int name_w = g->cols - 4 - 4 * 10 - 2;
	name_w = name_w > 40 ? 40 : name_w < 8 ? 8 : name_w; /* narrow: the numbers are cut at the edge */
	grid_printf(g, row, 0, -1, ST_TITLE, "    %-*s %9s %9s %9s %9s", name_w, "SAE", "L0", "CE rec.", "expl.var",
	            "KL score");
	v->table_row = row + 1;
	v->table_rows = rows - 1;
	list_scroll(v->sel, &v->top, v->table_rows);
	for (int i = 0; i < v->table_rows && v->top + i < v->n; i++) {
		const ep_item *it = &v->items[v->top + i];
		int r = row + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, r, 0, g->cols, st);
		int k = v->top + i;
		char tag = k < (int)sizeof ep_tags - 1 ? ep_tags[k] : ' ';
		grid_printf(g, r, 1, 1, st == ST_SELECTED ? st : ST_KEY, "%c", tag);
		char name[2 * SAEX_ID_MAX + 2];
		snprintf(name, sizeof name, "%s%s%s", v->many_models ? it->cat->model : "", v->many_models ? "/" : "",
		         it->cat->source);
		grid_text(g, r, 4, name_w, st, name, strlen(name), 0);
		const saex_eval_metrics *m = &it->ev->m;
		char ce[16], ev[16], kl[16];
		grid_printf(g, r, 4 + name_w + 1, -1, st, "%9.4g %s %s %s", m->l0, ep_num(ce, m->ce_loss_score),
		            ep_num(ev, m->explained_variance), ep_num(kl, m->kl_div_score));
	}
}

static void ep_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_evalplot *v = (view_evalplot *)vv;
	(void)a;
	int shown = v->n_scope - v->n;
	int x = grid_printf(g, top, 0, -1, ST_DIM, "%d SAE%s, %d evaluated", v->n_scope, v->n_scope == 1 ? "" : "s",
	                    v->n);
	if (shown)
		x += grid_printf(g, top, x, -1, ST_DIM, " (%d without an evaluation)", shown);
	if (v->anchor->release)
		grid_printf(g, top, x, -1, ST_DIM, "%s", v->wide ? "; w: the set" : "; w: the release");
	if (v->n == 0) {
		static const char *const say[] = {
			"No SAE here has an evaluation with L0 and CE loss recovered.",
			"saex eval DB --model DIR --sae SAEDIR [--sae ...] --corpus FILE",
			"evaluates SAEs of one model into DB (or saex import Neuronpedia's).",
		};
		for (int i = 0; i < 3; i++)
			grid_printf(g, top + 2 + i, 2, -1, i == 1 ? ST_KEY : i ? ST_DIM : ST_NORMAL, "%s", say[i]);
		return;
	}
	int table = v->n + 1, room = height - 1;
	if (table > room / 3)
		table = room / 3 > 3 ? room / 3 : 3;
	int plot_rows = room - table - 1;
	plot_pt *pts = xcalloc((size_t)v->n, sizeof *pts);
	for (int i = 0; i < v->n; i++)
		pts[i] = (plot_pt){v->items[i].ev->m.l0, v->items[i].ev->m.ce_loss_score,
		                   i < (int)sizeof ep_tags - 1 ? ep_tags[i] : 0};
	plot_spec ps = {top + 1, 0, plot_rows, g->cols - 1, NAN, NAN, NAN, NAN, 1, v->sel};
	plot_draw(g, &ps, pts, (size_t)v->n, NULL);
	free(pts);
	ep_table(v, g, top + 1 + plot_rows + 1, table);
}

static int ep_handle(view *vv, app *a, action act)
{
	view_evalplot *v = (view_evalplot *)vv;
	switch (act) {
	case ACT_LEFT: case ACT_RIGHT:
		return list_move(act == ACT_LEFT ? ACT_UP : ACT_DOWN, &v->sel, v->n, 1);
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN: case ACT_TOP: case ACT_BOTTOM:
		return v->n ? list_move(act, &v->sel, v->n, v->table_rows > 1 ? v->table_rows : 1) : H_HANDLED;
	case ACT_SCOPE:
		if (!v->anchor->release) {
			app_status(a, 1, "this set is in no release");
			return H_REDRAW;
		}
		v->wide = !v->wide;
		ep_collect(v);
		return H_REDRAW;
	case ACT_OPEN: case ACT_EVAL: {
		if (!v->n)
			return H_HANDLED;
		saex_fid f = {{0}, {0}, -1};
		snprintf(f.model, sizeof f.model, "%s", v->items[v->sel].cat->model);
		snprintf(f.source, sizeof f.source, "%s", v->items[v->sel].cat->source);
		char err[512];
		return app_open(a, view_sae_new(a, &f, err, sizeof err), err);
	}
	default:
		return H_NONE;
	}
}

/* A click on a table row selects it (again: opens it). */
static int ep_click(view *vv, app *a, int row)
{
	view_evalplot *v = (view_evalplot *)vv;
	int srow = row + 1; /* body row -> screen row */
	if (srow < v->table_row || srow >= v->table_row + v->table_rows)
		return H_NONE;
	return list_click(vv, a, &v->sel, v->top, v->n, srow - v->table_row, 0);
}

static void ep_free(view *vv)
{
	view_evalplot *v = (view_evalplot *)vv;
	free(v->items);
	arena_free(&v->mem);
	free(v);
}

static const view_key ep_keys[] = {
	{ACT_LEFT, "Select the previous point"},
	{ACT_RIGHT, "Select the next point"},
	{ACT_OPEN, "Open the selected SAE's page"},
	{ACT_SCOPE, "Plot the SAEs of the set's release, or of the set again"},
	{ACT_NONE, NULL},
};

static const view_ops ep_ops = {"evalplot", ep_draw, ep_handle, ep_free, ep_click, NULL, ep_keys, NULL};

view *view_evalplot_new(app *a, const saex_fid *names, char *err, size_t errlen)
{
	view_evalplot *v = xcalloc(1, sizeof *v);
	v->v.ops = &ep_ops;
	saex_err e = {{0}, 0};
	if (store_catalog(a->db, &v->mem, &v->cat, &v->n_cat, &e) != 0 ||
	    store_evals_latest(a->db, &v->mem, &v->evs, &v->n_evs, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		ep_free(&v->v);
		return NULL;
	}
	for (size_t i = 0; i < v->n_cat && !v->anchor; i++)
		if (!strcmp(v->cat[i].model, names->model) && !strcmp(v->cat[i].source, names->source))
			v->anchor = &v->cat[i];
	if (!v->anchor) {
		snprintf(err, errlen, "no SAE %s/%s in the catalog", names->model, names->source);
		ep_free(&v->v);
		return NULL;
	}
	ep_collect(v);
	return &v->v;
}
