/* view_features.c - the feature list of one SAE: index, density, max
 * activation and explanation; sort, filter by text, jump, random.
 *
 * By index, the list is a window of rows read a page at a time from the
 * store (store_feature_page), so an SAE of any size opens and scrolls at
 * the cost of a screen; a filter (store_filter) knows its features' indexes
 * and reads their rows a page at a time the same way. By density or max
 * activation, every row (of the filter) is read once and sorted in memory. */
#include "config.h"
#include "app.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

enum { SORT_INDEX, SORT_DENSITY, SORT_MAX, SORT__N };
static const char *const sort_names[SORT__N] = {"index", "density", "max activation"};

/* Rows read per page, and the most the window keeps. */
#define FL_PAGE 128
#define FL_WINDOW_MAX 4096

typedef struct view_features {
	view v;
	int64_t source_id;
	saex_fid names;
	int64_t n_total, first, last;  /* the source's features and their index span */
	store_filter *filter;          /* NULL: none */
	int sort;
	/* The rows shown: a window of the list (win[0] is the list's row
	 * at_start ? 0 : unknown); by density or max, the whole list. */
	store_feat_row *win;
	size_t n, cap;
	int at_start, at_end;
	int sel, top;                  /* into win */
	int body;                      /* rows of the last frame */
	int warm;                      /* 1 once the filter's map is read (fl_tick) */
} view_features;

static int fl_cmp_index(const void *pa, const void *pb)
{
	const store_feat_row *x = pa, *y = pb;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int fl_cmp_density(const void *pa, const void *pb)
{
	const store_feat_row *x = pa, *y = pb;
	if (x->frac_nonzero != y->frac_nonzero)
		return x->frac_nonzero < y->frac_nonzero ? 1 : -1;
	return fl_cmp_index(pa, pb);
}

static int fl_cmp_max(const void *pa, const void *pb)
{
	const store_feat_row *x = pa, *y = pb;
	if (x->max_act != y->max_act)
		return x->max_act < y->max_act ? 1 : -1;
	return fl_cmp_index(pa, pb);
}

static void fl_title(view_features *v)
{
	char n[32], total[32];
	cli_thousands(v->n_total, total, sizeof total);
	sb t = {0};
	sb_printf(&t, "%s/%s  ", v->names.model, v->names.source);
	if (!v->filter)
		sb_printf(&t, "%s features", total);
	else
		sb_printf(&t, "%s of %s features",
		          cli_thousands(v->sort != SORT_INDEX ? (int64_t)v->n : (int64_t)v->filter->n_idx, n, sizeof n),
		          total);
	sb_printf(&t, " by %s", sort_names[v->sort]);
	if (v->filter)
		sb_printf(&t, ", filter \"%s\"", v->filter->words);
	snprintf(v->v.title, sizeof v->v.title, "%s", t.p);
	sb_free(&t);
}

static void fl_room(view_features *v, size_t extra)
{
	if (v->n + extra <= v->cap)
		return;
	v->cap = (v->n + extra) * 2;
	v->win = xrealloc(v->win, v->cap * sizeof *v->win);
}

/* Reads a page after `from` (desc: before it) into buf. 0, or -1 after
 * saying why. */
static int fl_page(view_features *v, app *a, int64_t from, int desc, store_feat_row *buf, size_t max, size_t *n)
{
	saex_err e = {{0}, 0};
	if (store_feature_page(a->db, v->source_id, v->filter, from, desc, max, buf, n, &e)) {
		app_status(a, 1, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* The window becomes the rows around index idx: those up to it and a page
 * after; sel on idx or the first row after it. */
static void fl_load_around(view_features *v, app *a, int64_t idx)
{
	store_feat_row before[FL_PAGE / 2] = {{0}}, after[FL_PAGE]; /* zeroed: gcc -O1 cannot see nb > 0 fills it */
	size_t nb = 0, na = 0;
	if (idx != INT64_MIN && fl_page(v, a, idx == INT64_MAX ? idx : idx + 1, 1, before, FL_PAGE / 2, &nb))
		return;
	int64_t from = nb ? before[0].index : idx == INT64_MIN ? INT64_MIN : idx;
	if (idx != INT64_MAX && fl_page(v, a, from, 0, after, FL_PAGE, &na))
		return;
	v->n = 0;
	fl_room(v, nb + na);
	for (size_t i = 0; i < nb; i++)
		v->win[v->n++] = before[nb - 1 - i];
	memcpy(v->win + v->n, after, na * sizeof *after);
	v->n += na;
	v->at_start = idx == INT64_MIN || nb < FL_PAGE / 2;
	v->at_end = idx == INT64_MAX || na < FL_PAGE;
	v->sel = 0;
	while ((size_t)v->sel + 1 < v->n && v->win[v->sel].index < idx)
		v->sel++;
	v->top = v->sel > 2 ? v->sel - 2 : 0;
}

/* Grows the window by a page at its end (dir > 0) or start; drops rows at
 * the other end beyond FL_WINDOW_MAX. Returns the rows added. */
static size_t fl_extend(view_features *v, app *a, int dir)
{
	store_feat_row page[FL_PAGE];
	size_t k = 0;
	if ((dir > 0 ? v->at_end : v->at_start) || !v->n)
		return 0;
	if (fl_page(v, a, dir > 0 ? v->win[v->n - 1].index : v->win[0].index, dir < 0, page, FL_PAGE, &k))
		return 0;
	if (k < FL_PAGE)
		*(dir > 0 ? &v->at_end : &v->at_start) = 1;
	fl_room(v, k);
	if (dir > 0) {
		memcpy(v->win + v->n, page, k * sizeof *page);
	} else {
		memmove(v->win + k, v->win, v->n * sizeof *v->win);
		for (size_t i = 0; i < k; i++)
			v->win[i] = page[k - 1 - i];
		v->sel += (int)k;
		v->top += (int)k;
	}
	v->n += k;
	if (v->n > FL_WINDOW_MAX) { /* forget the far end */
		size_t drop = v->n - FL_WINDOW_MAX;
		if (dir > 0) {
			memmove(v->win, v->win + drop, (v->n - drop) * sizeof *v->win);
			v->sel -= (int)drop;
			v->top -= (int)drop;
			v->at_start = 0;
		} else {
			v->at_end = 0;
		}
		v->n -= drop;
	}
	return k;
}

/* Moves the selection by delta rows, reading pages as it goes. */
static void fl_move(view_features *v, app *a, long delta)
{
	long want = v->sel + delta;
	while (want >= (long)v->n && fl_extend(v, a, 1))
		;
	while (want < 0 && !v->at_start) {
		size_t k = fl_extend(v, a, -1);
		if (!k)
			break;
		want += (long)k;
	}
	if (want >= (long)v->n)
		want = (long)v->n - 1;
	v->sel = want < 0 ? 0 : (int)want;
}

/* By density or max: every row of the list in memory, sorted. */
static int fl_load_all(view_features *v, app *a)
{
	store_feat_row *rows;
	size_t n;
	saex_err e = {{0}, 0};
	if (store_feature_rows(a->db, v->source_id, &rows, &n, &e)) {
		app_status(a, 1, "%s", e.msg);
		return -1;
	}
	if (v->filter) { /* keep the rows the filter lists (both by index) */
		size_t k = 0, j = 0;
		for (size_t i = 0; i < n; i++) {
			while (j < v->filter->n_idx && v->filter->idx[j] < rows[i].index)
				j++;
			if (j < v->filter->n_idx && v->filter->idx[j] == rows[i].index)
				rows[k++] = rows[i];
		}
		n = k;
	}
	static int (*const cmp[SORT__N])(const void *, const void *) = {fl_cmp_index, fl_cmp_density, fl_cmp_max};
	qsort(rows, n, sizeof *rows, cmp[v->sort]);
	free(v->win);
	v->win = rows;
	v->n = v->cap = n;
	v->at_start = v->at_end = 1;
	return 0;
}

/* Shows the list in the current sort and filter, the selection on idx. */
static void fl_reload(view_features *v, app *a, int64_t idx)
{
	if (v->sort == SORT_INDEX) {
		fl_load_around(v, a, idx);
	} else if (fl_load_all(v, a) == 0) {
		v->sel = v->top = 0;
		for (size_t i = 0; i < v->n; i++)
			if (v->win[i].index == idx)
				v->sel = (int)i;
	}
	fl_title(v);
}

static void fl_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_features *v = (view_features *)vv;
	grid_printf(g, top, 0, -1, ST_TITLE, "%8s %9s %8s  %s", "index", "density", "max act", "explanation");
	int body = height - 1;
	v->body = body;
	if (v->n == 0) {
		grid_printf(g, top + 2, 2, -1, ST_DIM, v->filter ? "No feature's explanation matches the filter."
		                                                 : "This SAE has no feature rows.");
		return;
	}
	list_scroll(v->sel, &v->top, body);
	/* Rows below the window: read them now (a PgDn's worth at most). */
	if ((size_t)(v->top + body) > v->n)
		fl_extend(v, a, 1);
	list_scroll(v->sel, &v->top, body);
	arena mem = {0};
	for (int i = 0; i < body && (size_t)(v->top + i) < v->n; i++) {
		const store_feat_row *r = &v->win[v->top + i];
		int row = top + 1 + i, st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, row, 0, g->cols, st);
		char d[32];
		grid_printf(g, row, 0, 30, st, "%8lld %9s %8.2f  ", (long long)r->index,
		            cli_density(r->frac_nonzero, d, sizeof d), (double)r->max_act);
		char *x = store_first_explanation(a->db, v->source_id, r->index, &mem);
		if (x)
			grid_text(g, row, 30, -1, st, x, strlen(x), SAEX_ESC_NL_ARROW);
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

static int fl_filter_answer(app *a, view *vv, const char *text)
{
	view_features *v = (view_features *)vv;
	if (!text)
		return H_REDRAW;
	int64_t keep = v->n ? v->win[v->sel].index : INT64_MIN;
	store_filter *f = NULL;
	saex_err e = {{0}, 0};
	if (*text && store_filter_new(a->db, v->source_id, text, &f, &e)) {
		app_status(a, 1, "%s", e.msg);
		return H_REDRAW;
	}
	store_filter_free(v->filter);
	v->filter = f;
	fl_reload(v, a, f ? INT64_MIN : keep);
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
	if (v->sort == SORT_INDEX) {
		fl_load_around(v, a, want);
	} else {
		for (size_t i = 0; i < v->n; i++)
			if (v->win[i].index == want)
				v->sel = (int)i;
	}
	if (!v->n || v->win[v->sel].index != want)
		app_status(a, 1, "feature %lld is not in this list", want);
	return H_REDRAW;
}

/* A random row: in memory, any; else the first row at or after a random
 * index of the source's span. */
static int fl_random(view_features *v, app *a, int64_t *idx)
{
	if (v->sort != SORT_INDEX || v->filter) {
		size_t n = v->sort != SORT_INDEX ? v->n : v->filter->n_idx;
		if (!n)
			return -1;
		size_t i = (size_t)rand() % n;
		*idx = v->sort != SORT_INDEX ? v->win[i].index : v->filter->idx[i];
		return 0;
	}
	if (v->last < 0)
		return -1;
	uint64_t span = (uint64_t)(v->last - v->first) + 1;
	int64_t r = v->first + (int64_t)(((uint64_t)rand() << 31 ^ (uint64_t)rand()) % span);
	store_feat_row row;
	size_t k = 0;
	if (fl_page(v, a, r - 1, 0, &row, 1, &k) || (!k && fl_page(v, a, INT64_MIN, 0, &row, 1, &k)) || !k)
		return -1;
	*idx = row.index;
	return 0;
}

static int fl_handle(view *vv, app *a, action act)
{
	view_features *v = (view_features *)vv;
	int page = a->rows - 4 > 1 ? a->rows - 4 : 1;
	switch (act) {
	case ACT_OPEN:
		if (v->n)
			fl_open(v, a, v->win[v->sel].index);
		return H_REDRAW;
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN:
		fl_move(v, a, act == ACT_UP ? -1 : act == ACT_DOWN ? 1 : act == ACT_PGUP ? -page : page);
		return H_REDRAW;
	case ACT_TOP: case ACT_BOTTOM:
		if (v->sort == SORT_INDEX && !(act == ACT_TOP ? v->at_start : v->at_end))
			fl_load_around(v, a, act == ACT_TOP ? INT64_MIN : INT64_MAX);
		v->sel = act == ACT_TOP || !v->n ? 0 : (int)v->n - 1;
		v->top = act == ACT_TOP ? 0 : v->sel - (v->body > 0 ? v->body : page) + 1;
		return H_REDRAW;
	case ACT_SORT: {
		int64_t keep = v->n ? v->win[v->sel].index : INT64_MIN;
		v->sort = (v->sort + 1) % SORT__N;
		double t0 = now_seconds();
		fl_reload(v, a, keep);
		char n[32];
		app_status(a, 0, "sorted %s features by %s in %.2f s", cli_thousands((int64_t)v->n, n, sizeof n),
		           sort_names[v->sort], now_seconds() - t0);
		if (v->sort == SORT_INDEX)
			app_status(a, 0, "sorted by index");
		return H_REDRAW;
	}
	case ACT_FILTER:
		app_prompt(a, vv, "filter (empty: all): ", v->filter ? v->filter->words : NULL, fl_filter_answer);
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
	case ACT_RANDOM: {
		int64_t idx;
		if (fl_random(v, a, &idx) == 0)
			fl_open(v, a, idx);
		else
			app_status(a, 1, "no feature to open");
		return H_REDRAW;
	}
	default:
		return H_NONE;
	}
}

static int fl_step(view *vv, app *a, int dir, saex_fid *out)
{
	view_features *v = (view_features *)vv;
	if (!v->n)
		return -1;
	int64_t before = v->win[v->sel].index;
	fl_move(v, a, dir);
	if (v->win[v->sel].index == before)
		return -1;
	*out = v->names;
	out->index = v->win[v->sel].index;
	return 0;
}

/* Between keys: reads the source's explanation map a slice at a time, so
 * that the first filter does not wait for it (about 2 ms a slice). */
static int fl_tick(view *vv, app *a)
{
	view_features *v = (view_features *)vv;
	saex_err e = {{0}, 0};
	if (v->warm || !a->db)
		return 0;
	if (store_filter_warm(a->db, v->source_id, 25000, &e) != 1)
		v->warm = 1;
	return !v->warm;
}

static void fl_free(view *vv)
{
	view_features *v = (view_features *)vv;
	store_filter_free(v->filter);
	free(v->win);
	free(v);
}

static int fl_click(view *vv, app *a, int row)
{
	view_features *v = (view_features *)vv;
	return list_click(vv, a, &v->sel, v->top, (int)v->n, row, 1);
}

static const view_key fl_keys[] = {
	{ACT_OPEN, "Open the selected feature's dashboard"},
	{ACT_SORT, "Sort by index, density or max activation"},
	{ACT_FILTER, "Keep the features whose explanation has the words (empty: all)"},
	{ACT_JUMP, "Jump to a feature index"},
	{ACT_RANDOM, "Open a random feature of the list"},
	{ACT_SEARCH, "Search this SAE's explanations"},
	{ACT_INFER, "Search by inference: this SAE's top features on a text you type"},
	{ACT_EVAL, "The SAE's page: its evaluations and feature densities"},
	{ACT_PLOT, "L0 against CE loss recovered of the SAE's set"},
	{ACT_NONE, NULL},
};

const view_ops view_features_ops = {"features", fl_draw, fl_handle, fl_free, fl_click, fl_tick, fl_keys, fl_step};

view *view_features_new(app *a, int64_t source_id, const saex_fid *names)
{
	view_features *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_features_ops;
	v->source_id = source_id;
	v->names = *names;
	v->v.scope = *names;
	saex_err e = {{0}, 0};
	if (store_source_span(a->db, source_id, &v->n_total, &v->first, &v->last, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	fl_load_around(v, a, INT64_MIN);
	fl_title(v);
	return &v->v;
}
