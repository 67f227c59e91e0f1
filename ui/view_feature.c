/* view_feature.c - a feature's dashboard: explanations, density, max
 * activation, hook, the activation and logit histograms, logits, neuron
 * alignment, similar features and the top examples with tokens coloured by
 * value / max activation.
 *
 * The whole dashboard is laid out into a document as tall as it needs
 * (measured first), and a window of it is shown; it opens at its top. The
 * window scrolls by lines; Up/Down select the items (similar features,
 * examples) as they come into view, so every row can be reached at any
 * terminal size. Left/Right move a token cursor in the selected example
 * and the status line gives its exact value. */
#include "config.h"
#include "app.h"
#include "cli.h"
#include "widgets.h"
#include "saex.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CTX_SNIPPET, CTX_STACKED, CTX_FULL, CTX__N };
static const char *const ctx_names[CTX__N] = {"snippet", "stacked", "full"};

typedef struct item {
	int row, end;       /* document rows [row, end) */
	int example;        /* >= 0: an example */
	int64_t similar;    /* >= 0: a similar feature's index */
} item;

typedef struct similar {
	int64_t index;
	float cosine;
	char *expl;         /* first explanation, or NULL */
} similar;

typedef struct view_feature {
	view v;
	arena mem;
	store_feature f;
	int64_t source_id;
	int local;          /* made here: no Neuronpedia page */
	int ctx, keep_nl, starred;
	similar *sim;       /* the similar features, less the feature itself and zero filler */
	size_t n_sim;
	item *items;
	int nitems, sel, scroll, cursor; /* sel -1: none; cursor: token of the selected example */
	int height;         /* rows of the last window */
	int reveal;         /* the layout changed (c, N, a resize): show the selection */
	grid *doc;
	int doc_rows;
} view_feature;

static unsigned fv_flags(const view_feature *v)
{
	return v->keep_nl ? 0 : SAEX_ESC_NL_ARROW;
}

/* The token range shown for an example in the current context mode. */
static void fv_range(view_feature *v, const store_act *x, int cols, long *from, long *to, int *maxlines)
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
		int w = grid_width(v->doc, x->tokens[s - 1].p, x->tokens[s - 1].n, fv_flags(v) | SAEX_ESC_TOKEN);
		if (used + w > budget)
			break;
		used += w;
		s--;
	}
	*from = s;
}

/* Laying out: g NULL measures (and records the items), else draws. */
typedef struct fv_lay {
	view_feature *v;
	grid *g;
	int r, cols, it;
} fv_lay;

static void fv_heading(fv_lay *L, const char *text)
{
	if (L->g)
		grid_printf(L->g, L->r, 0, -1, ST_BOLD, "%s", text);
	L->r++;
}

static void fv_head(fv_lay *L)
{
	view_feature *v = L->v;
	const store_feature *f = &v->f;
	grid *g = L->g;
	char id[3 * SAEX_ID_MAX], url[4 * SAEX_ID_MAX];
	saex_fid_format(&f->id, id, sizeof id);
	saex_fid_url(&f->id, url, sizeof url);
	ui_chip c[3] = {{id, strlen(id), ST_TITLE, 0, ""}};
	size_t n = 1;
	if (v->starred)
		c[n++] = (ui_chip){L->v->doc->ascii ? "*starred" : "\xe2\x98\x85", L->v->doc->ascii ? 8 : 3, ST_KEY, 0, ""};
	if (v->local)
		c[n++] = (ui_chip){"(made here: no Neuronpedia page)", 32, ST_DIM, 0, ""};
	else
		c[n++] = (ui_chip){url, strlen(url), ST_LINK, 0, ""};
	L->r += ui_chips(g, v->doc, L->r, 0, L->cols, 2, c, n);
	/* the facts, as many rows as they need */
	char dens[32], mx[48], hook[300], nex[48];
	snprintf(mx, sizeof mx, "max activation %.3f", f->max_act);
	snprintf(hook, sizeof hook, "hook %s", f->hook_name ? f->hook_name : "");
	snprintf(nex, sizeof nex, "%zu example%s", f->n_acts_total, f->n_acts_total == 1 ? "" : "s");
	char dl[48];
	snprintf(dl, sizeof dl, "density %s", f->frac_nonzero >= 0 ? cli_density(f->frac_nonzero, dens, sizeof dens)
	                                                           : "unknown");
	ui_chip facts[] = {{dl, strlen(dl), ST_NORMAL, 0, ""}, {mx, strlen(mx), ST_NORMAL, 0, ""},
	                   {nex, strlen(nex), ST_DIM, 0, ""}, {hook, strlen(hook), ST_DIM, 0, ""}};
	/* the hook when the database knows it */
	L->r += ui_chips(g, v->doc, L->r, 0, L->cols, 2, facts, SAEX_ARRAY_LEN(facts) - !f->hook_name) + 1;
}

static void fv_explanations(fv_lay *L)
{
	const store_feature *f = &L->v->f;
	fv_heading(L, "Explanations");
	if (f->n_expl == 0) {
		if (L->g)
			grid_printf(L->g, L->r, 2, -1, ST_DIM, "(none)");
		L->r++;
	}
	for (size_t i = 0; i < f->n_expl; i++) {
		const store_expl *e = &f->expl[i];
		const char *d = e->description + strspn(e->description, " "); /* exports start them with a space */
		int last = 0;
		L->r += grid_wrap(L->g, L->v->doc, L->r, 2, L->cols - 2, 1 << 16, ST_NORMAL, d, strlen(d), SAEX_ESC_NL_ARROW,
		                  &last);
		if (!e->type_name && !e->explainer)
			continue;
		char who[256];
		snprintf(who, sizeof who, "(%s%s%s)", e->type_name ? e->type_name : "", e->type_name && e->explainer ? ", " : "",
		         e->explainer ? e->explainer : "");
		int w = grid_width(L->v->doc, who, strlen(who), 0), x = 2 + last + 2, row = L->r - 1;
		if (x + w > L->cols) { /* on a row of its own */
			x = 4;
			row = L->r++;
		}
		if (L->g)
			grid_text(L->g, row, x, -1, ST_DIM, who, strlen(who), 0);
	}
	L->r++;
}

/* Positive or negative logits as chips that wrap. */
static void fv_logits(fv_lay *L, int neg)
{
	const store_feature *f = &L->v->f;
	const store_str *s = neg ? f->neg_str : f->pos_str;
	const float *val = neg ? f->neg_v : f->pos_v;
	size_t n = neg ? f->n_neg : f->n_pos;
	const char *label = neg ? "Negative logits" : "Positive logits";
	int x = (int)strlen(label) + 2;
	if (L->g)
		grid_printf(L->g, L->r, 0, -1, ST_BOLD, "%s", label);
	if (!n) {
		if (L->g)
			grid_printf(L->g, L->r, x, -1, ST_DIM, "(none)");
		L->r++;
		return;
	}
	ui_chip *c = xcalloc(n, sizeof *c);
	for (size_t i = 0; i < n; i++) {
		c[i] = (ui_chip){s[i].p, s[i].n, neg ? ST_HEAT0 + 2 : ST_HEAT0 + 6, 1, ""};
		snprintf(c[i].note, sizeof c[i].note, "%+.3f", (double)val[i]);
	}
	L->r += ui_chips(L->g, L->v->doc, L->r, x, L->cols, x, c, n);
	free(c);
}

/* Neuron alignment and correlated neurons, when the export has them
 * (kept as extra JSON): index (value) chips. */
static void fv_neurons(fv_lay *L, json_t *x, const char *label, const char *ik, const char *vk, const char *vl)
{
	json_t *ix = json_object_get(x, ik), *vs = json_object_get(x, vk);
	size_t n = json_array_size(ix);
	if (!n || json_array_size(vs) != n)
		return;
	int col = (int)strlen(label) + 2;
	if (L->g)
		grid_printf(L->g, L->r, 0, -1, ST_BOLD, "%s", label);
	ui_chip *c = xcalloc(n, sizeof *c);
	char (*num)[32] = xcalloc(n, sizeof *num);
	for (size_t i = 0; i < n; i++) {
		snprintf(num[i], sizeof num[i], "%lld", (long long)json_integer_value(json_array_get(ix, i)));
		c[i] = (ui_chip){num[i], strlen(num[i]), ST_NORMAL, 0, ""};
		snprintf(c[i].note, sizeof c[i].note, "%s%.3f", vl, json_number_value(json_array_get(vs, i)));
	}
	L->r += ui_chips(L->g, L->v->doc, L->r, col, L->cols, col, c, n);
	free(num);
	free(c);
}

static void fv_histograms(fv_lay *L)
{
	const store_feature *f = &L->v->f;
	fv_heading(L, "Activation histogram (non-zero activations)");
	L->r += ui_histogram(L->g, L->r, L->cols, f->freq_h, f->freq_v, f->n_freq, NAN, NULL) + 1;
	if (f->n_lhist) {
		fv_heading(L, "Logit histogram (the feature's effect on every token's logit)");
		L->r += ui_histogram(L->g, L->r, L->cols, f->lhist_h, f->lhist_v, f->n_lhist, NAN, NULL) + 1;
	}
	fv_logits(L, 0);
	fv_logits(L, 1);
	json_t *x = f->extra_json ? json_loads(f->extra_json, 0, NULL) : NULL;
	if (json_is_object(x)) {
		fv_neurons(L, x, "Neuron alignment", "neuron_alignment_indices", "neuron_alignment_values", "");
		fv_neurons(L, x, "Correlated neurons", "correlated_neurons_indices", "correlated_neurons_pearson", "r ");
	}
	json_decref(x);
	L->r++;
}

static void fv_similar(fv_lay *L)
{
	view_feature *v = L->v;
	if (!v->n_sim)
		return;
	fv_heading(L, "Similar features (cosine of decoder directions)");
	for (size_t i = 0; i < v->n_sim; i++, L->r++, L->it++) {
		const similar *s = &v->sim[i];
		if (!L->g && v->items)
			v->items[L->it] = (item){L->r, L->r + 1, -1, s->index};
		if (!L->g)
			continue;
		int st = L->it == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(L->g, L->r, 0, L->cols, st);
		int x = 2 + grid_printf(L->g, L->r, 2, -1, st == ST_SELECTED ? st : ST_LINK, "%lld", (long long)s->index);
		x = x < 12 ? 12 : x + 1;
		x += grid_printf(L->g, L->r, x, -1, st == ST_SELECTED ? st : ST_DIM, "%6.3f  ", (double)s->cosine);
		if (s->expl)
			grid_text(L->g, L->r, x, -1, st, s->expl, strlen(s->expl), SAEX_ESC_NL_ARROW);
	}
	L->r++;
}

static void fv_examples(fv_lay *L)
{
	view_feature *v = L->v;
	const store_feature *f = &v->f;
	grid *g = L->g;
	if (g)
		grid_printf(g, L->r, 0, -1, ST_BOLD, "Top examples (%zu, %s)", f->n_acts, ctx_names[v->ctx]);
	L->r++;
	if (g)
		ui_heat_legend(g, L->r, 2, f->max_act);
	L->r++;
	for (size_t k = 0; k < f->n_acts; k++, L->it++) {
		const store_act *x = &f->acts[k];
		int first = L->r;
		if (g) {
			int st = L->it == v->sel ? ST_SELECTED : ST_DIM;
			if (x->bin_min == -1)
				grid_printf(g, L->r, 0, -1, st, "%3zu. max %.3f at token %ld - top activations", k + 1,
				            x->max_value, x->max_index);
			else
				grid_printf(g, L->r, 0, -1, st, "%3zu. max %.3f at token %ld - interval %.3f..%.3f, holds %.4g%%",
				            k + 1, x->max_value, x->max_index, x->bin_min, x->bin_max, x->bin_contains * 100);
		}
		L->r++;
		long from, to;
		int maxl;
		fv_range(v, x, L->cols, &from, &to, &maxl);
		ui_tokens_in in = {x->tokens, x->values, from, to, L->it == v->sel ? v->cursor : -1, x->max_index,
		                   f->max_act, maxl, v->keep_nl, fv_flags(v)};
		L->r += ui_tokens(g, v->doc, L->r, L->cols, &in);
		if (!g && v->items)
			v->items[L->it] = (item){first, L->r, (int)k, -1};
	}
}

/* Draws (g != NULL) or measures the dashboard; returns the rows used. */
static int fv_layout(view_feature *v, grid *g, int cols)
{
	fv_lay L = {v, g, 0, cols, 0};
	fv_head(&L);
	fv_explanations(&L);
	fv_histograms(&L);
	fv_similar(&L);
	fv_examples(&L);
	return L.r + 1;
}

static void fv_relayout(view_feature *v, int cols, int ascii)
{
	grid_free(v->doc);
	v->doc = grid_new(1, cols, ascii);
	free(v->items);
	v->nitems = (int)(v->f.n_acts + v->n_sim);
	v->items = xcalloc((size_t)v->nitems + 1, sizeof *v->items);
	v->doc_rows = fv_layout(v, NULL, cols); /* measures, records item rows */
	grid_free(v->doc);
	v->doc = grid_new(v->doc_rows, cols, ascii);
	fv_layout(v, v->doc, cols);
}

static void fv_show(view_feature *v, int i);

static void fv_clamp(view_feature *v)
{
	if (v->scroll > v->doc_rows - v->height)
		v->scroll = v->doc_rows - v->height;
	if (v->scroll < 0)
		v->scroll = 0;
}

static void fv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_feature *v = (view_feature *)vv;
	(void)a;
	v->height = height > 0 ? height : 1;
	if (v->doc && v->doc->cols != g->cols)
		v->reveal = 1;
	fv_relayout(v, g->cols, g->ascii);
	if (v->reveal && v->sel >= 0 && v->sel < v->nitems)
		fv_show(v, v->sel);
	v->reveal = 0;
	fv_clamp(v);
	for (int i = 0; i < height && v->scroll + i < v->doc_rows; i++)
		memcpy(&g->cell[(size_t)(top + i) * (size_t)g->cols], &v->doc->cell[(size_t)(v->scroll + i) * (size_t)g->cols],
		       (size_t)g->cols * sizeof *g->cell);
}

static void fv_cursor_status(view_feature *v, app *a)
{
	if (v->sel < 0 || v->sel >= v->nitems || v->items[v->sel].example < 0)
		return;
	const store_act *x = &v->f.acts[v->items[v->sel].example];
	if (v->cursor < 0 || (size_t)v->cursor >= x->n)
		return;
	char *tok = saex_escape(x->tokens[v->cursor].p, x->tokens[v->cursor].n, SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN);
	double share = v->f.max_act > 0 ? x->values[v->cursor] / v->f.max_act * 100 : 0;
	app_status(a, 0, "token %d \"%s\" = %.3f (%.0f%% of max)", v->cursor, tok, (double)x->values[v->cursor], share);
	free(tok);
}

/* Selects item i (-1: none), its cursor on its example's max token. */
static void fv_select(view_feature *v, app *a, int i)
{
	v->sel = i;
	const item *it = i >= 0 ? &v->items[i] : NULL;
	v->cursor = it && it->example >= 0 ? (int)v->f.acts[it->example].max_index : -1;
	fv_cursor_status(v, a);
}

/* Scrolls so that item i shows, whole when it fits. */
static void fv_show(view_feature *v, int i)
{
	const item *it = &v->items[i];
	if (it->end - v->scroll > v->height)
		v->scroll = it->end - v->height;
	if (it->row < v->scroll)
		v->scroll = it->row;
}

/* The first item that starts within the window, or -1. */
static int fv_first_visible(const view_feature *v)
{
	for (int i = 0; i < v->nitems; i++)
		if (v->items[i].row >= v->scroll && v->items[i].row < v->scroll + v->height)
			return i;
	return -1;
}

static int fv_visible(const view_feature *v, int i)
{
	return i >= 0 && i < v->nitems && v->items[i].end > v->scroll && v->items[i].row < v->scroll + v->height;
}

/* Up/Down: the next item when it starts on screen (or just past it), else
 * a line of scrolling; PgUp/PgDn scroll a page; g/G the ends. */
static int fv_move(view_feature *v, app *a, action act)
{
	int page = v->height > 2 ? v->height - 1 : 1, old_scroll = v->scroll, old_sel = v->sel;
	if (act == ACT_DOWN || act == ACT_UP) {
		int d = act == ACT_DOWN ? 1 : -1, next = v->sel + d;
		if (v->sel < 0 && d < 0)
			next = -1;
		if (next >= 0 && next < v->nitems && v->items[next].row >= v->scroll - 1 &&
		    v->items[next].row <= v->scroll + v->height) {
			fv_select(v, a, next);
			fv_show(v, next);
		} else {
			v->scroll += d;
		}
	} else if (act == ACT_PGDN || act == ACT_PGUP) {
		v->scroll += act == ACT_PGDN ? page : -page;
	} else if (act == ACT_TOP) {
		v->scroll = 0;
		fv_select(v, a, -1);
	} else if (act == ACT_BOTTOM) {
		v->scroll = v->doc_rows;
		if (v->nitems)
			fv_select(v, a, v->nitems - 1);
	}
	fv_clamp(v);
	if (act != ACT_TOP && !fv_visible(v, v->sel) && v->scroll != old_scroll)
		fv_select(v, a, fv_first_visible(v));
	return v->scroll != old_scroll || v->sel != old_sel ? H_REDRAW : H_HANDLED;
}

/* Replaces this dashboard with another feature's (n / p). */
static int fv_goto(view_feature *v, app *a, int dir)
{
	saex_fid id;
	if (app_step(a, &v->v, &v->f.id, dir, &id))
		return H_REDRAW;
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

/* Tab in "add to list": the existing lists in turn. */
static const char *fv_list_complete(app *a, view *vv, const char *text)
{
	view_feature *v = (view_feature *)vv;
	store_list *lists;
	size_t n;
	saex_err e = {{0}, 0};
	if (store_user_lists(a->user, &v->mem, &lists, &n, &e) || !n)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(lists[i].name, text))
			return lists[(i + 1) % n].name;
	return lists[0].name;
}

static int fv_handle(view *vv, app *a, action act)
{
	view_feature *v = (view_feature *)vv;
	if (!v->doc) /* keys before the first frame (they came together) */
		fv_relayout(v, a->cols, a->ascii);
	const item *it = v->sel >= 0 && v->sel < v->nitems ? &v->items[v->sel] : NULL;
	switch (act) {
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN: case ACT_TOP: case ACT_BOTTOM:
		return fv_move(v, a, act);
	case ACT_LEFT: case ACT_RIGHT:
		if (it && it->example >= 0) {
			const store_act *x = &v->f.acts[it->example];
			v->cursor += act == ACT_LEFT ? -1 : 1;
			if (v->cursor < 0)
				v->cursor = 0;
			if ((size_t)v->cursor >= x->n)
				v->cursor = (int)x->n - 1;
			fv_cursor_status(v, a);
		} else {
			app_status(a, 0, "select an example first (Down): Left/Right move a cursor over its tokens");
		}
		return H_REDRAW;
	case ACT_OPEN:
		if (it && it->similar >= 0) {
			saex_fid id = v->f.id;
			id.index = it->similar;
			char err[600];
			app_open(a, view_feature_new(a, &id, err, sizeof err), err);
		} else {
			app_status(a, 0, "Enter opens a similar feature (select one with Up/Down)");
		}
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
		v->reveal = 1;
		app_status(a, 0, "examples: %s", ctx_names[v->ctx]);
		return H_REDRAW;
	case ACT_NEWLINES:
		v->keep_nl = !v->keep_nl;
		v->reveal = 1;
		app_status(a, 0, v->keep_nl ? "line breaks kept" : "line breaks shown as arrows");
		return H_REDRAW;
	case ACT_NEXT:
	case ACT_PREV:
		return fv_goto(v, a, act == ACT_NEXT ? 1 : -1);
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
		app_prompt(a, vv, "add to list (Tab: your lists): ", fv_last_list, fv_list_answer);
		app_prompt_completion(a, fv_list_complete);
		return H_REDRAW;
	case ACT_COPY:
		app_copy_id(a, &v->f.id);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

/* n/p on a dashboard opened from this one: its similar features in turn. */
static int fv_step(view *vv, app *a, int dir, saex_fid *out)
{
	view_feature *v = (view_feature *)vv;
	int i = v->sel + dir;
	if (v->sel < 0 || v->sel >= v->nitems || v->items[v->sel].similar < 0 || i < 0 || i >= v->nitems ||
	    v->items[i].similar < 0)
		return -1;
	fv_select(v, a, i);
	*out = v->f.id;
	out->index = v->items[i].similar;
	return 0;
}

static void fv_free(view *vv)
{
	view_feature *v = (view_feature *)vv;
	grid_free(v->doc);
	free(v->items);
	free(v->sim);
	arena_free(&v->mem);
	free(v);
}

static int fv_click(view *vv, app *a, int row)
{
	view_feature *v = (view_feature *)vv;
	if (!v->doc)
		return H_NONE;
	int at = v->scroll + row;
	for (int i = v->nitems - 1; i >= 0; i--) {
		if (v->items[i].row <= at && at < v->items[i].end) {
			if (i == v->sel)
				return fv_handle(vv, a, ACT_OPEN);
			fv_select(v, a, i);
			return H_REDRAW;
		}
	}
	return H_NONE;
}

static const view_key fv_keys[] = {
	{ACT_DOWN, "Scroll down; select the next similar feature or example when it shows"},
	{ACT_UP, "Scroll up; select the previous one"},
	{ACT_TOP, "Go to the top of the dashboard"},
	{ACT_BOTTOM, "Go to the last example"},
	{ACT_LEFT, "Move the token cursor left in the selected example (its value on the status line)"},
	{ACT_RIGHT, "Move the token cursor right"},
	{ACT_OPEN, "Open the selected similar feature"},
	{ACT_NEXT, "Next feature of the list this dashboard came from (else of the SAE)"},
	{ACT_PREV, "Previous feature of that list"},
	{ACT_CONTEXT, "Examples as snippet, stacked or full text"},
	{ACT_NEWLINES, "Show line breaks as arrows or keep them"},
	{ACT_TEST, "Live-test the feature on text you type (weights attached)"},
	{ACT_INFER, "Search by inference in this SAE"},
	{ACT_STEER, "Add the feature to the steering set"},
	{ACT_SEARCH, "Search this SAE's explanations"},
	{ACT_STAR, "Star or unstar the feature"},
	{ACT_ADD_LIST, "Add the feature to a list, with a note"},
	{ACT_COPY, "Send the id and URL to the terminal's clipboard (OSC 52)"},
	{ACT_NONE, NULL},
};

const view_ops view_feature_ops = {"feature", fv_draw, fv_handle, fv_free, fv_click, NULL, fv_keys, fv_step};

/* The similar features worth showing, with their first explanations. */
static void fv_similars(view_feature *v, app *a)
{
	const store_feature *f = &v->f;
	v->sim = xcalloc(f->n_cos + 1, sizeof *v->sim);
	for (size_t i = 0; i < f->n_cos; i++) {
		if ((int64_t)f->cos_idx[i] == f->id.index || f->cos_v[i] == 0) /* itself; zero filler */
			continue;
		similar *s = &v->sim[v->n_sim++];
		s->index = f->cos_idx[i];
		s->cosine = f->cos_v[i];
		s->expl = v->source_id >= 0 ? store_first_explanation(a->db, v->source_id, s->index, &v->mem) : NULL;
	}
}

view *view_feature_new(app *a, const saex_fid *id, char *err, size_t errlen)
{
	if (!a->db) {
		snprintf(err, errlen, "no database open");
		return NULL;
	}
	view_feature *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_feature_ops;
	saex_err e = {{0}, 0};
	if (store_feature_get(a->db, id, 0, &v->mem, &v->f, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		arena_free(&v->mem);
		free(v);
		return NULL;
	}
	saex_fid_format(id, v->v.title, sizeof v->v.title);
	v->v.scope = *id;
	v->starred = a->user && store_user_starred(a->user, id);
	v->local = store_source_local(a->db, id->model, id->source);
	char spec[2 * SAEX_ID_MAX + 2];
	saex_fid names;
	snprintf(spec, sizeof spec, "%s/%s", id->model, id->source);
	if (store_source_find(a->db, spec, &v->source_id, &names, &e) != 0)
		v->source_id = -1;
	fv_similars(v, a);
	v->nitems = (int)(v->f.n_acts + v->n_sim);
	v->sel = v->cursor = -1; /* opens at its top, nothing selected */
	v->height = a->rows > 3 ? a->rows - 3 : 1;
	return &v->v;
}
