/* view_lists.c - the per-user lists: the starred features and every named
 * list; a list's items open dashboards and export to CSV. */
#include "config.h"
#include "app.h"
#include "csvio.h"
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct view_lists {
	view v;
	arena mem;
	store_list *lists;
	size_t n;
	int64_t starred;
	int sel, top;
} view_lists;

static void ls_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_lists *v = (view_lists *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "%-40s %8s", "list", "features");
	int n = (int)v->n + 1, body = height - 1;
	list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && v->top + i < n; i++) {
		int k = v->top + i, row = top + 1 + i, st = k == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		if (k == 0) {
			grid_printf(g, row, 0, 40, st, "(starred)");
			grid_printf(g, row, 41, -1, st, "%8lld", (long long)v->starred);
		} else {
			const store_list *l = &v->lists[k - 1];
			grid_text(g, row, 0, 40, st, l->name, strlen(l->name), 0);
			grid_printf(g, row, 41, -1, st, "%8lld", (long long)l->count);
		}
	}
	if (v->n == 0)
		grid_printf(g, top + 3, 2, -1, ST_DIM, "Add features to lists with a (add-to-list) on a dashboard.");
}

static int ls_handle(view *vv, app *a, action act)
{
	view_lists *v = (view_lists *)vv;
	if (act == ACT_OPEN) {
		app_push(a, view_list_new(a, v->sel == 0 ? NULL : v->lists[v->sel - 1].name));
		return H_REDRAW;
	}
	return list_move(act, &v->sel, (int)v->n + 1, a->rows - 4);
}

static void ls_free(view *vv)
{
	view_lists *v = (view_lists *)vv;
	arena_free(&v->mem);
	free(v);
}

static int ls_click(view *vv, app *a, int row)
{
	view_lists *v = (view_lists *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->n + 1, row, 1);
}

static const view_ops ls_ops = {"lists", ls_draw, ls_handle, ls_free, ls_click, NULL};

view *view_lists_new(app *a)
{
	view_lists *v = xcalloc(1, sizeof *v);
	v->v.ops = &ls_ops;
	snprintf(v->v.title, sizeof v->v.title, "lists");
	saex_err e = {{0}, 0};
	store_list_item *items;
	size_t n;
	if (store_user_lists(a->user, &v->mem, &v->lists, &v->n, &e) != 0 ||
	    store_user_list_items(a->user, NULL, &v->mem, &items, &n, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	else
		v->starred = (int64_t)n;
	return &v->v;
}

/* ---------------------------------------------------------------- one list */

typedef struct view_list {
	view v;
	arena mem;
	char *name;          /* NULL: starred */
	store_list_item *items;
	size_t n;
	int sel, top;
} view_list;

static void li_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_list *v = (view_list *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "%-36s %-20s %s", "feature", "added", "note");
	if (v->n == 0) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, "This list is empty.");
		return;
	}
	int body = height - 1;
	list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && (size_t)(v->top + i) < v->n; i++) {
		const store_list_item *it = &v->items[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		char id[3 * SAEX_ID_MAX];
		saex_fid_format(&it->id, id, sizeof id);
		grid_text(g, row, 0, 36, st, id, strlen(id), 0);
		if (it->added)
			grid_text(g, row, 37, 20, st, it->added, strlen(it->added), 0);
		if (it->note)
			grid_text(g, row, 58, -1, st, it->note, strlen(it->note), SAEX_ESC_NL_ARROW);
	}
}

static int li_export_answer(app *a, view *vv, const char *path)
{
	view_list *v = (view_list *)vv;
	if (!path || !*path)
		return H_REDRAW;
	/* never over the databases; a new file replaces path once complete */
	const char *inputs[] = {a->db_path, a->user ? store_user_path(a->user) : NULL};
	saex_err e = {{0}, 0};
	outfile of;
	if (outfile_check(path, inputs, 2, e.msg, sizeof e.msg) || outfile_open(&of, path, e.msg, sizeof e.msg)) {
		app_status(a, 1, "%s", e.msg);
		return H_REDRAW;
	}
	int rc = csvio_export_list(v->items, v->n, of.f, &e);
	if (rc == 0 && outfile_commit(&of, e.msg, sizeof e.msg))
		rc = 2;
	outfile_abort(&of);
	if (rc)
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, "wrote %zu feature%s to %s", v->n, v->n == 1 ? "" : "s", path);
	return H_REDRAW;
}

static int li_handle(view *vv, app *a, action act)
{
	view_list *v = (view_list *)vv;
	if (act == ACT_OPEN) {
		if (v->n) {
			char err[600];
			app_open(a, view_feature_new(a, &v->items[v->sel].id, err, sizeof err), err);
		}
		return H_REDRAW;
	}
	if (act == ACT_EXPORT) {
		char def[300];
		snprintf(def, sizeof def, "%.250s.csv", v->name ? v->name : "starred");
		for (char *p = def; *p; p++)
			if (*p == '/' || *p == ' ')
				*p = '_';
		app_prompt(a, vv, "export to CSV file: ", def, li_export_answer);
		return H_REDRAW;
	}
	return list_move(act, &v->sel, (int)v->n, a->rows - 4);
}

static void li_free(view *vv)
{
	view_list *v = (view_list *)vv;
	arena_free(&v->mem);
	free(v->name);
	free(v);
}

static int li_click(view *vv, app *a, int row)
{
	view_list *v = (view_list *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->n, row, 1);
}

static const view_ops li_ops = {"list", li_draw, li_handle, li_free, li_click, NULL};

view *view_list_new(app *a, const char *list)
{
	view_list *v = xcalloc(1, sizeof *v);
	v->v.ops = &li_ops;
	v->name = list ? xstrdup(list) : NULL;
	snprintf(v->v.title, sizeof v->v.title, "list %s", list ? list : "(starred)");
	saex_err e = {{0}, 0};
	if (store_user_list_items(a->user, list, &v->mem, &v->items, &v->n, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	return &v->v;
}
