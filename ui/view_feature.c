/* view_feature.c - a feature's dashboard: explanations, density, max
 * activation, hook, histogram, logits, similar features and the top
 * examples with tokens coloured by value / max activation.
 *
 * The whole dashboard is laid out into a document grid as tall as it needs
 * (measured first), and a window of it is shown. Selection moves over the
 * items (examples, similar features); Left/Right move a token cursor in the
 * selected example and the status line gives its exact value. */
#include "config.h"
#include "app.h"
#include "widgets.h"
#include "saex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CTX_SNIPPET, CTX_STACKED, CTX_FULL, CTX__N };
static const char *const ctx_names[CTX__N] = {"snippet", "stacked", "full"};

typedef struct item {
	int row;            /* first document row */
	int example;        /* >= 0: an example */
	int64_t similar;    /* >= 0: a similar feature's index */
} item;

typedef struct view_feature {
	view v;
	arena mem;
	store_feature f;
	int ctx, keep_nl, starred;
	item *items;
	int nitems, sel, scroll, cursor; /* cursor: token of the selected example */
	grid *doc;
	int doc_rows;
} view_feature;

static unsigned fv_flags(const view_feature *v)
{
	return v->keep_nl ? 0 : SAEX_ESC_NL_ARROW;
}

/* Lays out tokens [from, to) of an example from document row `row`, at most
 * `maxlines` lines; draws only when g is not NULL. Returns lines used. */
static int fv_tokens(view_feature *v, grid *g, int row, int cols, const store_act *x, long from,
                     long to, int maxlines, int cursor)
{
	ui_tokens_in in = {x->tokens, x->values, from, to, cursor, x->max_index, v->f.max_act, maxlines,
	                   v->keep_nl, fv_flags(v)};
	return ui_tokens(g, v->doc, row, cols, &in);
}

/* The token range shown for an example in the current context mode. */
static void fv_range(view_feature *v, const store_act *x, int cols, long *from, long *to,
                     int *maxlines)
{
	*from = 0;
	*to = (long)x->n;
	*maxlines = 1 << 20;
	if (v->ctx == CTX_FULL)
		return;
	int lines = v->ctx == CTX_SNIPPET ? 1 : 3;
	*maxlines = lines;
	/* Start far enough back that the max token sits mid-window. */
	int budget = (cols - 4) * lines / 2, used = 0;
	long s = x->max_index;
	while (s > 0) {
		int w = grid_width(v->doc, x->tokens[s - 1].p, x->tokens[s - 1].n, fv_flags(v));
		if (used + w > budget)
			break;
		used += w;
		s--;
	}
	*from = s;
}

/* Draws (g != NULL) or measures the dashboard; returns the rows used. */
static int fv_layout(view_feature *v, grid *g, int cols)
{
	const store_feature *f = &v->f;
	int r = 0, it = 0;
	char id[3 * SAEX_ID_MAX], url[4 * SAEX_ID_MAX];
	saex_fid_format(&f->id, id, sizeof id);
	saex_fid_url(&f->id, url, sizeof url);
	if (g) {
		int x = grid_text(g, r, 0, -1, ST_TITLE, id, strlen(id), 0);
		if (v->starred)
			x += grid_printf(g, r, x, -1, ST_KEY, g->ascii ? "  *starred" : "  \xe2\x98\x85");
		grid_text(g, r, x + 2, -1, ST_LINK, url, strlen(url), 0);
	}
	r++;
	if (g) {
		int x = 0;
		if (f->hook_name) {
			x += grid_printf(g, r, 0, -1, ST_DIM, "hook ");
			x += grid_text(g, r, x, -1, ST_NORMAL, f->hook_name, strlen(f->hook_name), 0);
			x += 3;
		}
		if (f->frac_nonzero >= 0)
			x += grid_printf(g, r, x, -1, ST_NORMAL, "density %.4g%%   ", f->frac_nonzero * 100);
		else
			x += grid_printf(g, r, x, -1, ST_DIM, "density unknown   ");
		grid_printf(g, r, x, -1, ST_NORMAL, "max activation %.3f", f->max_act);
	}
	r += 2;
	if (g)
		grid_printf(g, r, 0, -1, ST_BOLD, "Explanations");
	r++;
	if (f->n_expl == 0) {
		if (g)
			grid_printf(g, r, 2, -1, ST_DIM, "(none)");
		r++;
	}
	for (size_t i = 0; i < f->n_expl; i++, r++) {
		if (!g)
			continue;
		const store_expl *e = &f->expl[i];
		int x = 2 + grid_text(g, r, 2, -1, ST_NORMAL, e->description, strlen(e->description),
		                      SAEX_ESC_NL_ARROW);
		if (e->type_name || e->explainer)
			grid_printf(g, r, x + 2, -1, ST_DIM, "(%s%s%s)", e->type_name ? e->type_name : "",
			            e->type_name && e->explainer ? ", " : "", e->explainer ? e->explainer : "");
	}
	r++;
	/* histogram */
	if (g)
		grid_printf(g, r, 0, -1, ST_BOLD, "Activation histogram");
	r++;
	r += ui_histogram(g, r, cols, f->freq_h, f->freq_v, f->n_freq, NAN, NULL);
	r++;
	/* logits */
	for (int neg = 0; neg < 2; neg++, r++) {
		if (!g)
			continue;
		const store_str *s = neg ? f->neg_str : f->pos_str;
		const float *val = neg ? f->neg_v : f->pos_v;
		size_t n = neg ? f->n_neg : f->n_pos;
		int x = grid_printf(g, r, 0, -1, ST_BOLD, neg ? "Negative logits " : "Positive logits ");
		if (!n)
			grid_printf(g, r, x, -1, ST_DIM, "(none)");
		for (size_t i = 0; i < n && x < cols - 4; i++) {
			x += grid_text(g, r, x, cols - x, neg ? ST_HEAT0 + 2 : ST_HEAT0 + 6, s[i].p, s[i].n,
			               SAEX_ESC_NL_ARROW);
			x += grid_printf(g, r, x, cols - x, ST_DIM, " %+.2f  ", (double)val[i]);
		}
	}
	r++;
	/* similar features */
	if (f->n_cos) {
		if (g)
			grid_printf(g, r, 0, -1, ST_BOLD, "Similar features");
		r++;
		for (size_t i = 0; i < f->n_cos; i++, r++, it++) {
			if (v->items && !g) {
				v->items[it] = (item){r, -1, f->cos_idx[i]};
			}
			if (g) {
				int st = it == v->sel ? ST_SELECTED : ST_LINK;
				grid_printf(g, r, 2, -1, st, "%s/%s/%u", f->id.model, f->id.source, f->cos_idx[i]);
				grid_printf(g, r, 40, -1, ST_DIM, "cosine %.3f", (double)f->cos_v[i]);
			}
		}
		r++;
	}
	/* examples */
	if (g)
		grid_printf(g, r, 0, -1, ST_BOLD, "Top examples (%zu, %s)", f->n_acts,
		            ctx_names[v->ctx]);
	r++;
	for (size_t k = 0; k < f->n_acts; k++, it++) {
		const store_act *x = &f->acts[k];
		if (v->items && !g)
			v->items[it] = (item){r, (int)k, -1};
		if (g) {
			int st = it == v->sel ? ST_SELECTED : ST_DIM;
			if (x->bin_min == -1)
				grid_printf(g, r, 0, -1, st, "%3zu. max %.3f at token %ld - top activations",
				            k + 1, x->max_value, x->max_index);
			else
				grid_printf(g, r, 0, -1, st,
				            "%3zu. max %.3f at token %ld - interval %.3f..%.3f, holds %.4g%%",
				            k + 1, x->max_value, x->max_index, x->bin_min, x->bin_max,
				            x->bin_contains * 100);
		}
		r++;
		long from, to;
		int maxl;
		fv_range(v, x, cols, &from, &to, &maxl);
		int cur = it == v->sel ? v->cursor : -1;
		r += fv_tokens(v, g, r, cols, x, from, to, maxl, cur);
	}
	return r + 1;
}

static void fv_relayout(view_feature *v, int cols, int ascii)
{
	grid_free(v->doc);
	v->doc = grid_new(1, cols, ascii);
	free(v->items);
	v->nitems = (int)(v->f.n_acts + v->f.n_cos);
	v->items = xcalloc((size_t)v->nitems + 1, sizeof *v->items);
	v->doc_rows = fv_layout(v, NULL, cols); /* measures, records item rows */
	grid_free(v->doc);
	v->doc = grid_new(v->doc_rows, cols, ascii);
	fv_layout(v, v->doc, cols);
}

static void fv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_feature *v = (view_feature *)vv;
	(void)a;
	fv_relayout(v, g->cols, g->ascii);
	/* Keep the selected item (and its example) in view. */
	if (v->nitems) {
		const item *it = &v->items[v->sel];
		int end = v->sel + 1 < v->nitems ? v->items[v->sel + 1].row : v->doc_rows;
		if (end - v->scroll > height)
			v->scroll = end - height;
		if (it->row < v->scroll)
			v->scroll = it->row;
	}
	if (v->scroll > v->doc_rows - height)
		v->scroll = v->doc_rows - height;
	if (v->scroll < 0)
		v->scroll = 0;
	for (int i = 0; i < height && v->scroll + i < v->doc_rows; i++)
		memcpy(&g->cell[(size_t)(top + i) * (size_t)g->cols],
		       &v->doc->cell[(size_t)(v->scroll + i) * (size_t)g->cols],
		       (size_t)g->cols * sizeof *g->cell);
}

static void fv_cursor_status(view_feature *v, app *a)
{
	const item *it = &v->items[v->sel];
	if (it->example < 0)
		return;
	const store_act *x = &v->f.acts[it->example];
	if (v->cursor < 0 || (size_t)v->cursor >= x->n)
		return;
	char *tok = saex_escape(x->tokens[v->cursor].p, x->tokens[v->cursor].n, SAEX_ESC_NL_ARROW);
	double share = v->f.max_act > 0 ? x->values[v->cursor] / v->f.max_act * 100 : 0;
	app_status(a, 0, "token %d \"%s\" = %.3f (%.0f%% of max)", v->cursor, tok,
	           (double)x->values[v->cursor], share);
	free(tok);
}

/* Replaces this dashboard with the one of another index (n / p). */
static int fv_goto(view_feature *v, app *a, int64_t index)
{
	if (index < 0) {
		app_status(a, 1, "no feature before 0");
		return H_REDRAW;
	}
	saex_fid id = v->f.id;
	id.index = index;
	char err[600];
	view *n = view_feature_new(a, &id, err, sizeof err);
	if (!n) {
		app_status(a, 1, "%s", err);
		return H_REDRAW;
	}
	app_pop(a);
	app_push(a, n);
	return H_REDRAW;
}

static char fv_last_list[128] = "notes";

static int fv_note_answer(app *a, view *vv, const char *note)
{
	view_feature *v = (view_feature *)vv;
	if (!note)
		return H_REDRAW;
	saex_err e = {{0}, 0};
	if (store_user_list_add(a->user, fv_last_list, &v->f.id, note, &e) != 0)
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, "added to list %s", fv_last_list);
	return H_REDRAW;
}

static int fv_list_answer(app *a, view *vv, const char *list)
{
	if (!list || !*list)
		return H_REDRAW;
	snprintf(fv_last_list, sizeof fv_last_list, "%s", list);
	app_prompt(a, vv, "note (optional): ", NULL, fv_note_answer);
	return H_REDRAW;
}

static int fv_handle(view *vv, app *a, action act)
{
	view_feature *v = (view_feature *)vv;
	const item *it = v->nitems ? &v->items[v->sel] : NULL;
	switch (act) {
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN: case ACT_TOP: case ACT_BOTTOM: {
		if (!v->nitems) {
			v->scroll += act == ACT_DOWN ? 1 : act == ACT_UP ? -1 : 0;
			return H_REDRAW;
		}
		int r = list_move(act, &v->sel, v->nitems, 5);
		it = &v->items[v->sel];
		v->cursor = it->example >= 0 ? (int)v->f.acts[it->example].max_index : -1;
		fv_cursor_status(v, a);
		return r | H_REDRAW;
	}
	case ACT_LEFT: case ACT_RIGHT:
		if (it && it->example >= 0) {
			const store_act *x = &v->f.acts[it->example];
			v->cursor += act == ACT_LEFT ? -1 : 1;
			if (v->cursor < 0)
				v->cursor = 0;
			if ((size_t)v->cursor >= x->n)
				v->cursor = (int)x->n - 1;
			fv_cursor_status(v, a);
		}
		return H_REDRAW;
	case ACT_OPEN:
		if (it && it->similar >= 0) {
			saex_fid id = v->f.id;
			id.index = it->similar;
			char err[600];
			app_open(a, view_feature_new(a, &id, err, sizeof err), err);
		}
		return H_REDRAW;
	case ACT_SEARCH:
		app_search_prompt(a, vv, v->f.id.model, v->f.id.source);
		return H_REDRAW;
	case ACT_INFER: {
		char err[SAEX_ERR_LEN];
		return app_open(a, view_infer_new(a, &v->f.id, err, sizeof err), err);
	}
	case ACT_STEER:
		app_steer_feature(a, &v->f.id, v->f.max_act, v->f.n_expl ? v->f.expl[0].description : NULL);
		return H_REDRAW;
	case ACT_TEST: {
		char err[SAEX_ERR_LEN];
		return app_open(a, view_test_new(a, &v->f.id, v->f.max_act, v->f.freq_h, v->f.freq_v, v->f.n_freq, err,
		                                 sizeof err), err);
	}
	case ACT_CONTEXT:
		v->ctx = (v->ctx + 1) % CTX__N;
		app_status(a, 0, "examples: %s", ctx_names[v->ctx]);
		return H_REDRAW;
	case ACT_NEWLINES:
		v->keep_nl = !v->keep_nl;
		app_status(a, 0, v->keep_nl ? "line breaks kept" : "line breaks shown as arrows");
		return H_REDRAW;
	case ACT_NEXT:
		return fv_goto(v, a, v->f.id.index + 1);
	case ACT_PREV:
		return fv_goto(v, a, v->f.id.index - 1);
	case ACT_STAR: {
		saex_err e = {{0}, 0};
		if (!a->user) {
			app_status(a, 1, "no per-user database: stars are off");
		} else if (store_user_star(a->user, &v->f.id, !v->starred, &e) != 0) {
			app_status(a, 1, "%s", e.msg);
		} else {
			v->starred = !v->starred;
			app_status(a, 0, v->starred ? "starred" : "unstarred");
		}
		return H_REDRAW;
	}
	case ACT_ADD_LIST:
		if (!a->user) {
			app_status(a, 1, "no per-user database: lists are off");
			return H_REDRAW;
		}
		app_prompt(a, vv, "add to list: ", fv_last_list, fv_list_answer);
		return H_REDRAW;
	case ACT_COPY: {
		char id[3 * SAEX_ID_MAX], url[4 * SAEX_ID_MAX];
		saex_fid_format(&v->f.id, id, sizeof id);
		saex_fid_url(&v->f.id, url, sizeof url);
		free(a->osc52);
		a->osc52 = xasprintf("%s %s", id, url);
		app_status(a, 0, "copied %s", id);
		return H_REDRAW;
	}
	default:
		return H_NONE;
	}
}

static void fv_free(view *vv)
{
	view_feature *v = (view_feature *)vv;
	grid_free(v->doc);
	free(v->items);
	arena_free(&v->mem);
	free(v);
}

static int fv_click(view *vv, app *a, int row)
{
	view_feature *v = (view_feature *)vv;
	int at = v->scroll + row;
	for (int i = v->nitems - 1; i >= 0; i--) {
		if (v->items[i].row <= at) {
			if (i == v->sel)
				return fv_handle(vv, a, ACT_OPEN);
			v->sel = i;
			const item *it = &v->items[i];
			v->cursor = it->example >= 0 ? (int)v->f.acts[it->example].max_index : -1;
			fv_cursor_status(v, a);
			return H_REDRAW;
		}
	}
	return H_NONE;
}

static const view_ops fv_ops = {"feature", fv_draw, fv_handle, fv_free, fv_click, NULL};

view *view_feature_new(app *a, const saex_fid *id, char *err, size_t errlen)
{
	if (!a->db) {
		snprintf(err, errlen, "no database open");
		return NULL;
	}
	view_feature *v = xcalloc(1, sizeof *v);
	v->v.ops = &fv_ops;
	saex_err e = {{0}, 0};
	if (store_feature_get(a->db, id, 0, &v->mem, &v->f, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		arena_free(&v->mem);
		free(v);
		return NULL;
	}
	saex_fid_format(id, v->v.title, sizeof v->v.title);
	v->starred = a->user && store_user_starred(a->user, id);
	v->nitems = (int)(v->f.n_acts + v->f.n_cos);
	/* Select the first example, cursor on its max token. */
	v->sel = (int)v->f.n_cos < v->nitems ? (int)v->f.n_cos : 0;
	v->cursor = v->f.n_acts ? (int)v->f.acts[0].max_index : -1;
	return &v->v;
}
