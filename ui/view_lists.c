/* view_lists.c - the per-user lists: the starred features and every named
 * list (rename, delete); a list's items with their notes and first
 * explanations open dashboards, lose items, change notes, and export to
 * CSV. */
#include "config.h"
#include "app.h"
#include "csvio.h"
#include "widgets.h"
#include "outfile.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct view_lists {
	view v;
	arena mem;
	store_list *lists;
	size_t n;
	int64_t starred, seen;   /* seen: store_user_changes at the load */
	int sel, top;
} view_lists;

static void ls_load(view_lists *v, app *a)
{
	arena_free(&v->mem);
	v->lists = NULL;
	v->n = 0;
	saex_err e = {{0}, 0};
	store_list_item *items;
	size_t n;
	if (store_user_lists(a->user, &v->mem, &v->lists, &v->n, &e) != 0 ||
	    store_user_list_items(a->user, NULL, &v->mem, &items, &n, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	else
		v->starred = (int64_t)n;
	if (v->sel > (int)v->n)
		v->sel = (int)v->n;
	v->seen = store_user_changes(a->user);
}

static void ls_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_lists *v = (view_lists *)vv;
	if (v->seen != store_user_changes(a->user)) /* changed in another view */
		ls_load(v, a);
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

/* The selected named list, or NULL (the starred row) after saying why. */
static const char *ls_named(view_lists *v, app *a, const char *what)
{
	if (v->sel == 0 || (size_t)v->sel > v->n) {
		app_status(a, 1, "the starred features are not a list you can %s", what);
		return NULL;
	}
	return v->lists[v->sel - 1].name;
}

static int ls_rename_answer(app *a, view *vv, const char *text)
{
	view_lists *v = (view_lists *)vv;
	const char *name = text ? ls_named(v, a, "rename") : NULL;
	saex_err e = {{0}, 0};
	if (!name || !*text)
		return H_REDRAW;
	char *old = xstrdup(name);
	int ok = store_user_list_rename(a->user, old, text, &e) == 0;
	if (!ok)
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, "renamed list %s to %s", old, text);
	ls_load(v, a);
	for (size_t i = 0; i < v->n; i++) /* the selection stays on the list */
		if (!strcmp(v->lists[i].name, ok ? text : old))
			v->sel = (int)i + 1;
	free(old);
	return H_REDRAW;
}

static int ls_delete_answer(app *a, view *vv, const char *text)
{
	view_lists *v = (view_lists *)vv;
	const char *name = text ? ls_named(v, a, "delete") : NULL;
	saex_err e = {{0}, 0};
	if (!name)
		return H_REDRAW;
	if (strcmp(text, "y") && strcmp(text, "yes")) {
		app_status(a, 0, "kept list %s", name);
		return H_REDRAW;
	}
	char *old = xstrdup(name);
	if (store_user_list_delete(a->user, old, &e))
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, "deleted list %s", old);
	free(old);
	ls_load(v, a);
	return H_REDRAW;
}

static int ls_handle(view *vv, app *a, action act)
{
	view_lists *v = (view_lists *)vv;
	const char *name;
	char label[200];
	switch (act) {
	case ACT_OPEN:
		app_push(a, view_list_new(a, v->sel == 0 ? NULL : v->lists[v->sel - 1].name));
		return H_REDRAW;
	case ACT_RENAME:
		if ((name = ls_named(v, a, "rename")))
			app_prompt(a, vv, "rename the list to: ", name, ls_rename_answer);
		return H_REDRAW;
	case ACT_REMOVE:
		if ((name = ls_named(v, a, "delete"))) {
			snprintf(label, sizeof label, "delete list %.100s and its %lld features? (y/n) ", name,
			         (long long)v->lists[v->sel - 1].count);
			app_prompt(a, vv, label, NULL, ls_delete_answer);
		}
		return H_REDRAW;
	default:
		return list_move(act, &v->sel, (int)v->n + 1, a->rows - 4);
	}
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

static const view_key ls_keys[] = {
	{ACT_OPEN, "Open the selected list"},
	{ACT_RENAME, "Rename the selected list"},
	{ACT_REMOVE, "Delete the selected list (asks first)"},
	{ACT_NONE, NULL},
};

const view_ops view_lists_ops = {"lists", ls_draw, ls_handle, ls_free, ls_click, NULL, ls_keys, NULL};

view *view_lists_new(app *a)
{
	view_lists *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_lists_ops;
	snprintf(v->v.title, sizeof v->v.title, "lists");
	ls_load(v, a);
	return &v->v;
}

/* ---------------------------------------------------------------- one list */

typedef struct view_list {
	view v;
	arena mem;
	char *name;          /* NULL: starred */
	store_list_item *items;
	const char **expl;   /* each item's first explanation ("" when none) */
	size_t n;
	int sel, top;
	int64_t seen;        /* store_user_changes at the load */
} view_list;

/* The items and their explanations from the open database. */
static void li_load(view_list *v, app *a)
{
	arena_free(&v->mem);
	v->items = NULL;
	v->n = 0;
	saex_err e = {{0}, 0};
	if (store_user_list_items(a->user, v->name, &v->mem, &v->items, &v->n, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	v->expl = arena_alloc(&v->mem, (v->n + 1) * sizeof *v->expl);
	for (size_t i = 0; i < v->n; i++) {
		char spec[2 * SAEX_ID_MAX + 2];
		saex_fid names;
		int64_t sid;
		char *x = NULL;
		snprintf(spec, sizeof spec, "%s/%s", v->items[i].id.model, v->items[i].id.source);
		if (a->db && store_source_find(a->db, spec, &sid, &names, &e) == 0)
			x = store_first_explanation(a->db, sid, v->items[i].id.index, &v->mem);
		v->expl[i] = x ? x : "";
	}
	if (v->sel >= (int)v->n)
		v->sel = v->n ? (int)v->n - 1 : 0;
	v->seen = store_user_changes(a->user);
}

static void li_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_list *v = (view_list *)vv;
	if (v->seen != store_user_changes(a->user)) /* changed in another view */
		li_load(v, a);
	char ids[128][3 * SAEX_ID_MAX];
	const char *idp[128];
	int body = height - 1, shown = 0;
	if (v->n)
		list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && i < 128 && (size_t)(v->top + i) < v->n; i++, shown++)
		idp[i] = saex_fid_format(&v->items[v->top + i].id, ids[i], sizeof ids[i]) >= 0 ? ids[i] : "";
	int idw = ui_id_width(g, idp, (size_t)shown, 7, g->cols / 2), nx = idw + 12;
	int notew = (g->cols - nx) / 3;
	grid_printf(g, top, 0, -1, ST_TITLE, "%-*s %-10s %-*s %s", idw, "feature", "added", notew, "note", "explanation");
	if (v->n == 0) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, "This list is empty.");
		return;
	}
	for (int i = 0; i < shown; i++) {
		const store_list_item *it = &v->items[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		ui_id(g, row, 0, idw, st, idp[i]);
		if (it->added) /* the date of "2025-01-31T12:00:00Z" */
			grid_text(g, row, idw + 1, 10, st, it->added, strnlen(it->added, 10), 0);
		if (it->note)
			grid_text(g, row, nx, notew, st, it->note, strlen(it->note), SAEX_ESC_NL_ARROW);
		const char *x = v->expl[v->top + i];
		grid_text(g, row, nx + notew + 1, -1, st == ST_SELECTED ? st : ST_DIM, x, strlen(x), SAEX_ESC_NL_ARROW);
	}
}

/* An output path the user typed, made absolute (relative to the current
 * folder) into abs. */
static void li_out_path(const char *path, char *abs, size_t n)
{
	char cwd[PATH_MAX];
	if (path[0] == '/')
		snprintf(abs, n, "%s", path);
	else if (getcwd(cwd, sizeof cwd))
		snprintf(abs, n, "%s/%s", cwd, path);
	else
		snprintf(abs, n, "%s", path);
}

static int li_export_answer(app *a, view *vv, const char *path)
{
	view_list *v = (view_list *)vv;
	char abs[PATH_MAX + 64];
	if (!path || !*path)
		return H_REDRAW;
	li_out_path(path, abs, sizeof abs);
	/* never over the databases; a new file replaces abs once complete */
	const char *inputs[] = {a->db_path, a->user ? store_user_path(a->user) : NULL};
	saex_err e = {{0}, 0};
	outfile of;
	if (outfile_check(abs, inputs, 2, e.msg, sizeof e.msg) || outfile_open(&of, abs, e.msg, sizeof e.msg)) {
		app_status(a, 1, "%s", e.msg);
		return H_REDRAW;
	}
	const char **urls = xcalloc(v->n + 1, sizeof *urls);
	char (*url)[4 * SAEX_ID_MAX] = xcalloc(v->n + 1, sizeof *url);
	for (size_t i = 0; i < v->n; i++)
		if (!a->db || !store_source_local(a->db, v->items[i].id.model, v->items[i].id.source))
			urls[i] = saex_fid_url(&v->items[i].id, url[i], sizeof url[i]) >= 0 ? url[i] : NULL;
	int rc = csvio_export_list(v->items, v->expl, urls, v->n, of.f, &e);
	if (rc == 0 && outfile_commit(&of, e.msg, sizeof e.msg))
		rc = 2;
	outfile_abort(&of);
	if (rc) {
		app_status(a, 1, "%s", e.msg);
	} else {
		app_status(a, 0, "wrote %zu feature%s to %s", v->n, v->n == 1 ? "" : "s", abs);
	}
	free(urls);
	free(url);
	return H_REDRAW;
}

static int li_note_answer(app *a, view *vv, const char *text)
{
	view_list *v = (view_list *)vv;
	saex_err e = {{0}, 0};
	if (!text || !v->n)
		return H_REDRAW;
	if (store_user_list_add(a->user, v->name, &v->items[v->sel].id, text, &e))
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, *text ? "note changed" : "note removed");
	li_load(v, a);
	return H_REDRAW;
}

static int li_remove_answer(app *a, view *vv, const char *text)
{
	view_list *v = (view_list *)vv;
	saex_err e = {{0}, 0};
	if (!text || !v->n)
		return H_REDRAW;
	char id[3 * SAEX_ID_MAX];
	saex_fid_format(&v->items[v->sel].id, id, sizeof id);
	if (strcmp(text, "y") && strcmp(text, "yes"))
		app_status(a, 0, "kept %s", id);
	else if (store_user_list_remove(a->user, v->name, &v->items[v->sel].id, &e))
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, "removed %s from %s", id, v->name ? v->name : "the starred features");
	li_load(v, a);
	return H_REDRAW;
}

static int li_handle(view *vv, app *a, action act)
{
	view_list *v = (view_list *)vv;
	char label[600], id[3 * SAEX_ID_MAX];
	switch (act) {
	case ACT_OPEN:
		if (v->n) {
			char err[600];
			app_open(a, view_feature_new(a, &v->items[v->sel].id, err, sizeof err), err);
		}
		return H_REDRAW;
	case ACT_EXPORT: {
		char def[300], cwd[PATH_MAX];
		snprintf(def, sizeof def, "%.250s.csv", v->name ? v->name : "starred");
		for (char *p = def; *p; p++)
			if (*p == '/' || *p == ' ')
				*p = '_';
		snprintf(label, sizeof label, "write the list as CSV to (in %.200s): ",
		         getcwd(cwd, sizeof cwd) ? cwd : "the current folder");
		app_prompt(a, vv, label, def, li_export_answer);
		return H_REDRAW;
	}
	case ACT_ADD_LIST:
		if (!v->name) {
			app_status(a, 1, "starred features have no notes: a adds one to a list");
			return H_REDRAW;
		}
		if (v->n)
			app_prompt(a, vv, "note: ", v->items[v->sel].note, li_note_answer);
		return H_REDRAW;
	case ACT_REMOVE:
		if (v->n) {
			saex_fid_format(&v->items[v->sel].id, id, sizeof id);
			snprintf(label, sizeof label, "remove %s from %.100s? (y/n) ", id, v->name ? v->name : "the starred");
			app_prompt(a, vv, label, NULL, li_remove_answer);
		}
		return H_REDRAW;
	default:
		return list_move(act, &v->sel, (int)v->n, a->rows - 4);
	}
}

static int li_step(view *vv, app *a, int dir, saex_fid *out)
{
	view_list *v = (view_list *)vv;
	int old = v->sel;
	list_move(dir > 0 ? ACT_DOWN : ACT_UP, &v->sel, (int)v->n, 1);
	(void)a;
	if (v->sel == old)
		return -1;
	*out = v->items[v->sel].id;
	return 0;
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

static const view_key li_keys[] = {
	{ACT_OPEN, "Open the selected feature's dashboard"},
	{ACT_ADD_LIST, "Change the selected feature's note"},
	{ACT_REMOVE, "Remove the selected feature from the list (asks first)"},
	{ACT_EXPORT, "Write the list to a CSV file (asks where)"},
	{ACT_NONE, NULL},
};

const view_ops view_list_ops = {"list", li_draw, li_handle, li_free, li_click, NULL, li_keys, li_step};

view *view_list_new(app *a, const char *list)
{
	view_list *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_list_ops;
	v->name = list ? xstrdup(list) : NULL;
	snprintf(v->v.title, sizeof v->v.title, "list %s", list ? list : "(starred)");
	li_load(v, a);
	return &v->v;
}
