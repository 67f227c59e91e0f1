/* view_catalog.c - models > releases > sets > SAEs as a tree; Enter on an
 * SAE opens its feature list. When the database holds evaluations, each
 * SAE shows its newest L0 and CE loss recovered; E opens an SAE's page, P
 * the plot of its set. */
#include "config.h"
#include "app.h"
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct cat_line {
	int depth;          /* 0 model, 1 release/set, 2 SAE */
	const store_cat_row *r;
} cat_line;

typedef struct view_catalog {
	view v;
	arena mem;
	store_cat_row *rows;
	size_t n;
	cat_line *lines;
	int nlines, sel, top;   /* sel: index into lines, always an SAE line */
	store_eval *evs;        /* the newest evaluation of each source with one */
	size_t n_evs;
	const store_eval **row_ev; /* per row: its evaluation, or NULL */
} view_catalog;

/* L0 and CE loss recovered, in 17 columns ("" when unknown). */
static void cat_eval_cells(char *buf, size_t n, const store_eval *e)
{
	char l0[16] = "", ce[16] = "";
	if (e && isfinite(e->m.l0))
		snprintf(l0, sizeof l0, "%.4g", e->m.l0);
	if (e && isfinite(e->m.ce_loss_score))
		snprintf(ce, sizeof ce, "%.3f", e->m.ce_loss_score);
	snprintf(buf, n, "%8s %8s", l0, ce);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void cat_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_catalog *v = (view_catalog *)vv;
	(void)a;
	if (v->nlines == 0) {
		grid_printf(g, top + 1, 2, -1, ST_NORMAL, "This database has no SAEs yet.");
		grid_printf(g, top + 2, 2, -1, ST_DIM, "Import some: saex import DB EXPORT-FOLDER");
		return;
	}
	/* Columns: the SAE and its hook as wide as their longest, then the
	 * numbers at the right edge (L0 and CE loss recovered from 80 columns);
	 * what does not fit is cut with a mark. */
	int evw = v->n_evs && g->cols >= 80 ? 18 : 0, num = g->cols - 28 - evw, sw = 3, hw = 4;
	for (int i = 0; i < v->nlines; i++) {
		const store_cat_row *r = v->lines[i].r;
		if (v->lines[i].depth != 2)
			continue;
		int w = grid_width(g, r->source, strlen(r->source), 0);
		sw = w > sw ? w : sw;
		w = r->hook_name ? grid_width(g, r->hook_name, strlen(r->hook_name), 0) : 0;
		hw = w > hw ? w : hw;
	}
	if (sw > num - 6)
		sw = num - 6;
	int hx = 4 + sw + 2, hookw = num - hx - 1;
	if (hookw > hw)
		hookw = hw;
	grid_printf(g, top, 4, -1, ST_TITLE, "SAE");
	if (hookw >= 8)
		grid_printf(g, top, hx, hookw, ST_TITLE, "hook");
	if (evw)
		grid_printf(g, top, num, -1, ST_TITLE, "%8s %8s ", "L0", "CE rec.");
	grid_printf(g, top, num + evw, -1, ST_TITLE, "%8s %9s %9s", "d_sae", "features", "explained");
	int body = height - 2; /* the last row describes the selected SAE */
	list_scroll(v->sel, &v->top, body);
	const store_cat_row *cur = v->lines[v->sel].r;
	if (v->lines[v->sel].depth == 2) {
		int x = grid_printf(g, top + height - 1, 0, -1, ST_DIM, "%s/%s", cur->model, cur->source);
		if (cur->dataset) {
			x += grid_printf(g, top + height - 1, x, -1, ST_DIM, "  dataset ");
			x += grid_text(g, top + height - 1, x, -1, ST_DIM, cur->dataset, strlen(cur->dataset), 0);
		}
		char np[32], nt[32];
		if (cur->num_prompts > 0 && cur->num_tokens_in_prompt > 0)
			grid_printf(g, top + height - 1, x, -1, ST_DIM, "  %s prompts x %s tokens",
			            cli_thousands(cur->num_prompts, np, sizeof np),
			            cli_thousands(cur->num_tokens_in_prompt, nt, sizeof nt));
	}
	for (int i = 0; i < body && v->top + i < v->nlines; i++) {
		const cat_line *l = &v->lines[v->top + i];
		const store_cat_row *r = l->r;
		int row = top + 1 + i, sel = v->top + i == v->sel;
		if (l->depth == 0) {
			int x = grid_text(g, row, 0, -1, ST_BOLD, r->model, strlen(r->model), 0);
			if (r->model_display)
				x += grid_printf(g, row, x, -1, ST_DIM, "  %s", r->model_display);
			if (r->layers >= 0)
				x += grid_printf(g, row, x, -1, ST_DIM, ", %lld layers", (long long)r->layers);
			if (r->dimension >= 0)
				grid_printf(g, row, x, -1, ST_DIM, ", d_model %lld", (long long)r->dimension);
		} else if (l->depth == 1) {
			int x = grid_printf(g, row, 2, -1, ST_NORMAL, "set ");
			x += 2;
			x += grid_text(g, row, x, -1, ST_BOLD, r->set ? r->set : "(none)",
			               r->set ? strlen(r->set) : 6, 0);
			if (r->release) {
				x += grid_printf(g, row, x, -1, ST_DIM, "  release ");
				x += grid_text(g, row, x, -1, ST_DIM, r->release, strlen(r->release), 0);
			}
			if (r->release_desc) {
				x += grid_printf(g, row, x, -1, ST_DIM, " - ");
				grid_text(g, row, x, -1, ST_DIM, r->release_desc, strlen(r->release_desc), 0);
			}
		} else {
			int st = sel ? ST_SELECTED : ST_NORMAL;
			if (sel)
				grid_fill(g, row, 0, g->cols, st);
			grid_text(g, row, 4, hookw >= 8 ? sw : num - 5, st, r->source, strlen(r->source), 0);
			if (r->hook_name && hookw >= 8)
				grid_text(g, row, hx, hookw, st, r->hook_name, strlen(r->hook_name), 0);
			char d[32] = "", f[32], x[32];
			if (r->d_sae >= 0)
				cli_thousands(r->d_sae, d, sizeof d);
			if (evw) {
				char cells[32];
				cat_eval_cells(cells, sizeof cells, v->row_ev[r - v->rows]);
				grid_printf(g, row, num, -1, st, "%s", cells);
			}
			grid_printf(g, row, num + evw, -1, st, "%8s %9s %9s", d,
			            cli_thousands(r->n_features, f, sizeof f),
			            cli_thousands(r->n_explanations, x, sizeof x));
		}
	}
}

static int cat_handle(view *vv, app *a, action act)
{
	view_catalog *v = (view_catalog *)vv;
	if (v->nlines == 0)
		return H_NONE;
	int page = a->rows - 4;
	if (act == ACT_OPEN) {
		const store_cat_row *r = v->lines[v->sel].r;
		saex_fid names;
		int64_t src;
		saex_err e = {{0}, 0};
		char spec[2 * SAEX_ID_MAX + 2];
		snprintf(spec, sizeof spec, "%s/%s", r->model, r->source);
		if (store_source_find(a->db, spec, &src, &names, &e) != 0) {
			app_status(a, 1, "%s", e.msg);
			return H_REDRAW;
		}
		app_push(a, view_features_new(a, src, &names));
		return H_REDRAW;
	}
	if (act == ACT_EVAL || act == ACT_PLOT) {
		saex_fid f = {{0}, {0}, -1};
		char err[512];
		snprintf(f.model, sizeof f.model, "%s", v->lines[v->sel].r->model);
		snprintf(f.source, sizeof f.source, "%s", v->lines[v->sel].r->source);
		return app_open(a, act == ACT_EVAL ? view_sae_new(a, &f, err, sizeof err)
		                                   : view_evalplot_new(a, &f, err, sizeof err), err);
	}
	int old = v->sel, r = H_NONE;
	/* Move between SAE lines only. */
	int step = act == ACT_UP || act == ACT_PGUP || act == ACT_TOP ? -1 : 1;
	r = list_move(act, &v->sel, v->nlines, page);
	if (r == H_NONE)
		return H_NONE;
	while (v->sel >= 0 && v->sel < v->nlines && v->lines[v->sel].depth != 2)
		v->sel += step;
	if (v->sel < 0 || v->sel >= v->nlines) {
		v->sel = old;
		/* at the edge: look the other way for the nearest SAE */
		int s = act == ACT_TOP ? 0 : act == ACT_BOTTOM ? v->nlines - 1 : old;
		for (int d = 0; d < v->nlines; d++) {
			int i = s + (step > 0 ? -d : d);
			if (i >= 0 && i < v->nlines && v->lines[i].depth == 2) {
				v->sel = i;
				break;
			}
		}
	}
	return H_REDRAW;
}

static void cat_free(view *vv)
{
	view_catalog *v = (view_catalog *)vv;
	free(v->lines);
	free(v->row_ev);
	arena_free(&v->mem);
	free(v);
}

static int cat_click(view *vv, app *a, int row)
{
	view_catalog *v = (view_catalog *)vv;
	int i = v->top + row - 1;
	if (row < 1 || i >= v->nlines || v->lines[i].depth != 2)
		return H_NONE;
	return list_click(vv, a, &v->sel, v->top, v->nlines, row, 1);
}

static const view_key cat_keys[] = {
	{ACT_OPEN, "Open the selected SAE's feature list"},
	{ACT_SEARCH, "Search every explanation"},
	{ACT_EVAL, "The selected SAE's page: its evaluations and feature densities"},
	{ACT_PLOT, "L0 against CE loss recovered of the selected SAE's set"},
	{ACT_NONE, NULL},
};

const view_ops view_catalog_ops = {"catalog", cat_draw, cat_handle, cat_free, cat_click, NULL, cat_keys, NULL};

view *view_catalog_new(app *a)
{
	view_catalog *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_catalog_ops;
	snprintf(v->v.title, sizeof v->v.title, "catalog");
	saex_err e = {{0}, 0};
	if (store_catalog(a->db, &v->mem, &v->rows, &v->n, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	if (store_evals_latest(a->db, &v->mem, &v->evs, &v->n_evs, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	v->row_ev = xcalloc(v->n + 1, sizeof *v->row_ev);
	for (size_t i = 0; i < v->n; i++)
		for (size_t k = 0; k < v->n_evs && !v->row_ev[i]; k++)
			if (!strcmp(v->evs[k].model, v->rows[i].model) && !strcmp(v->evs[k].source, v->rows[i].source))
				v->row_ev[i] = &v->evs[k];
	v->lines = xcalloc(v->n * 3 + 1, sizeof *v->lines);
	for (size_t i = 0; i < v->n; i++) {
		const store_cat_row *r = &v->rows[i], *p = i ? &v->rows[i - 1] : NULL;
		if (!p || !same(p->model, r->model))
			v->lines[v->nlines++] = (cat_line){0, r};
		if (!p || !same(p->model, r->model) || !same(p->set, r->set) ||
		    !same(p->release, r->release))
			v->lines[v->nlines++] = (cat_line){1, r};
		v->lines[v->nlines++] = (cat_line){2, r};
	}
	v->sel = 0;
	while (v->sel < v->nlines && v->lines[v->sel].depth != 2)
		v->sel++;
	if (v->sel >= v->nlines)
		v->sel = 0;
	return &v->v;
}
