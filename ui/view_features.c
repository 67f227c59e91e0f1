/* view_features.c - the feature list of one SAE: index, density, max
 * activation and explanation; sort, filter by text, jump, random. */
#include "config.h"
#include "app.h"

#include <stdlib.h>
#include <string.h>

enum { SORT_INDEX, SORT_DENSITY, SORT_MAX, SORT__N };
static const char *const sort_names[SORT__N] = {"index", "density", "max activation"};

typedef struct view_features {
	view v;
	int64_t source_id;
	saex_fid names;
	store_feat_row *rows;    /* all, by index */
	size_t n;
	size_t *order;           /* shown rows (sorted, filtered) */
	size_t shown;
	int sort, sel, top;
	char filter[256];
} view_features;

static const store_feat_row *fl_rows;

static int fl_cmp(const void *pa, const void *pb)
{
	const store_feat_row *x = &fl_rows[*(const size_t *)pa], *y = &fl_rows[*(const size_t *)pb];
	return x->index < y->index ? -1 : x->index > y->index;
}

static int fl_cmp_density(const void *pa, const void *pb)
{
	const store_feat_row *x = &fl_rows[*(const size_t *)pa], *y = &fl_rows[*(const size_t *)pb];
	if (x->frac_nonzero != y->frac_nonzero)
		return x->frac_nonzero < y->frac_nonzero ? 1 : -1;
	return fl_cmp(pa, pb);
}

static int fl_cmp_max(const void *pa, const void *pb)
{
	const store_feat_row *x = &fl_rows[*(const size_t *)pa], *y = &fl_rows[*(const size_t *)pb];
	if (x->max_act != y->max_act)
		return x->max_act < y->max_act ? 1 : -1;
	return fl_cmp(pa, pb);
}

static void fl_sort(view_features *v)
{
	static int (*const cmp[SORT__N])(const void *, const void *) = {fl_cmp, fl_cmp_density,
	                                                                  fl_cmp_max};
	fl_rows = v->rows;
	qsort(v->order, v->shown, sizeof *v->order, cmp[v->sort]);
}

static size_t fl_find(const view_features *v, int64_t index)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v->rows[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void fl_title(view_features *v)
{
	sb t = {0};
	sb_printf(&t, "%s/%s  %zu of %zu features by %s", v->names.model, v->names.source, v->shown,
	          v->n, sort_names[v->sort]);
	if (v->filter[0])
		sb_printf(&t, "  filter \"%s\"", v->filter);
	snprintf(v->v.title, sizeof v->v.title, "%s", t.p);
	sb_free(&t);
}

static void fl_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_features *v = (view_features *)vv;
	grid_printf(g, top, 0, -1, ST_TITLE, "%8s %9s %8s  %s", "index", "density", "max act",
	            "explanation");
	int body = height - 1;
	if (v->shown == 0) {
		grid_printf(g, top + 2, 2, -1, ST_DIM,
		            v->filter[0] ? "No feature's explanation matches the filter."
		                         : "This SAE has no feature rows.");
		return;
	}
	list_scroll(v->sel, &v->top, body);
	arena mem = {0};
	for (int i = 0; i < body && (size_t)(v->top + i) < v->shown; i++) {
		const store_feat_row *r = &v->rows[v->order[v->top + i]];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		if (r->frac_nonzero >= 0)
			grid_printf(g, row, 0, -1, st, "%8lld %8.4f%% %8.2f  ", (long long)r->index,
			            (double)r->frac_nonzero * 100, (double)r->max_act);
		else
			grid_printf(g, row, 0, -1, st, "%8lld %9s %8.2f  ", (long long)r->index, "?",
			            (double)r->max_act);
		char *d = store_first_explanation(a->db, v->source_id, r->index, &mem);
		if (d)
			grid_text(g, row, 30, -1, st, d, strlen(d), SAEX_ESC_NL_ARROW);
		else
			grid_printf(g, row, 30, -1, st == ST_SELECTED ? st : ST_DIM, "(no explanation)");
	}
	arena_free(&mem);
}

static void fl_open(view_features *v, app *a, int64_t index)
{
	saex_fid id = v->names;
	id.index = index;
	char err[600];
	app_open(a, view_feature_new(a, &id, err, sizeof err), err);
}

static void fl_show_all(view_features *v)
{
	v->shown = v->n;
	for (size_t i = 0; i < v->n; i++)
		v->order[i] = i;
}

static int fl_filter_answer(app *a, view *vv, const char *text)
{
	view_features *v = (view_features *)vv;
	if (!text)
		return H_REDRAW;
	if (!*text) {
		v->filter[0] = 0;
		fl_show_all(v);
	} else {
		int64_t *idx;
		size_t k;
		saex_err e = {{0}, 0};
		if (store_match_indexes(a->db, v->source_id, text, &idx, &k, &e) != 0) {
			app_status(a, 1, "%s", e.msg);
			return H_REDRAW;
		}
		snprintf(v->filter, sizeof v->filter, "%s", text);
		v->shown = 0;
		for (size_t i = 0; i < k; i++) {
			size_t at = fl_find(v, idx[i]);
			if (at < v->n && v->rows[at].index == idx[i])
				v->order[v->shown++] = at;
		}
		free(idx);
	}
	fl_sort(v);
	v->sel = v->top = 0;
	fl_title(v);
	return H_REDRAW;
}

static int fl_jump_answer(app *a, view *vv, const char *text)
{
	view_features *v = (view_features *)vv;
	if (!text || !*text)
		return H_REDRAW;
	char *end;
	long long want = strtoll(text, &end, 10);
	if (*end || want < 0) {
		app_status(a, 1, "'%s' is not a feature index", text);
		return H_REDRAW;
	}
	for (size_t i = 0; i < v->shown; i++) {
		if (v->rows[v->order[i]].index == want) {
			v->sel = (int)i;
			return H_REDRAW;
		}
	}
	app_status(a, 1, "feature %lld is not in this list", want);
	return H_REDRAW;
}

static int fl_handle(view *vv, app *a, action act)
{
	view_features *v = (view_features *)vv;
	switch (act) {
	case ACT_OPEN:
		if (v->shown)
			fl_open(v, a, v->rows[v->order[v->sel]].index);
		return H_REDRAW;
	case ACT_SORT: {
		int64_t keep = v->shown ? v->rows[v->order[v->sel]].index : -1;
		v->sort = (v->sort + 1) % SORT__N;
		fl_sort(v);
		for (size_t i = 0; i < v->shown; i++)
			if (v->rows[v->order[i]].index == keep)
				v->sel = (int)i;
		fl_title(v);
		app_status(a, 0, "sorted by %s", sort_names[v->sort]);
		return H_REDRAW;
	}
	case ACT_FILTER:
		app_prompt(a, vv, "filter (empty: all): ", v->filter, fl_filter_answer);
		return H_REDRAW;
	case ACT_SEARCH:
		app_search_prompt(a, vv, v->names.model, v->names.source);
		return H_REDRAW;
	case ACT_JUMP:
		app_prompt(a, vv, "index: ", NULL, fl_jump_answer);
		return H_REDRAW;
	case ACT_INFER: {
		char err[SAEX_ERR_LEN];
		return app_open(a, view_infer_new(a, &v->names, err, sizeof err), err);
	}
	case ACT_EVAL: case ACT_PLOT: {
		char err[512];
		return app_open(a, act == ACT_EVAL ? view_sae_new(a, &v->names, err, sizeof err)
		                                   : view_evalplot_new(a, &v->names, err, sizeof err), err);
	}
	case ACT_RANDOM:
		if (v->shown)
			fl_open(v, a, v->rows[v->order[(size_t)rand() % v->shown]].index);
		return H_REDRAW;
	default:
		return list_move(act, &v->sel, (int)v->shown, a->rows - 4);
	}
}

static void fl_free(view *vv)
{
	view_features *v = (view_features *)vv;
	free(v->rows);
	free(v->order);
	free(v);
}

static int fl_click(view *vv, app *a, int row)
{
	view_features *v = (view_features *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->shown, row, 1);
}

static const view_ops fl_ops = {"features", fl_draw, fl_handle, fl_free, fl_click, NULL};

view *view_features_new(app *a, int64_t source_id, const saex_fid *names)
{
	view_features *v = xcalloc(1, sizeof *v);
	v->v.ops = &fl_ops;
	v->source_id = source_id;
	v->names = *names;
	saex_err e = {{0}, 0};
	if (store_feature_rows(a->db, source_id, &v->rows, &v->n, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	v->order = xcalloc(v->n + 1, sizeof *v->order);
	fl_show_all(v);
	fl_title(v);
	return &v->v;
}
