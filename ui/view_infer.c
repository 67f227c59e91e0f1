/* view_infer.c - search by inference: type a text and see the top
 * features of the SAE the view was opened from (w: of every SAE of its set
 * with weights on the same model) on the text - at one chosen token
 * (Left/Right) or over all tokens - with density and explanation; BOS is
 * left out, features denser than a threshold are hidden (f changes it),
 * Enter opens a feature's dashboard. */
#include "config.h"
#include "app.h"
#include "cli.h"
#include "core.h"
#include "widgets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct infer_hit {
	int src;         /* which SAE */
	int64_t index;
	float value;
	char *expl;      /* loaded when first shown; "" when none */
} infer_hit;

/* One SAE searched. */
typedef struct infer_src {
	saex_fid names;          /* model and source */
	int64_t source_id;
	core_src *src;           /* borrowed from the app's core */
	float *density;          /* per feature index; NaN unknown */
	int64_t n_density;
	core_text x;             /* the text's features; x.f NULL before */
} infer_src;

typedef struct view_infer {
	view v;
	infer_src *s;            /* s[0]: the SAE it was opened from */
	int n_src, wide;         /* wide: the whole set is loaded */
	double max_density;      /* hide features denser than this */
	char *text;              /* the last text, NULL before */
	long token;              /* the chosen token, -1 for all */
	infer_hit *hits;
	size_t n_hits, n_dense;  /* shown; firing but hidden as too dense */
	int sel, top, body;
	arena mem;               /* explanations */
} view_infer;

static int iv_cmp(const void *pa, const void *pb)
{
	const infer_hit *a = pa, *b = pb;
	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* The hits for the chosen token (or the maximum over the text's tokens). */
static void iv_rank(view_infer *v)
{
	free(v->hits);
	v->hits = NULL;
	v->n_hits = v->n_dense = 0;
	v->sel = v->top = 0;
	size_t total = 0, n = 0;
	for (int k = 0; k < v->n_src; k++)
		total += v->s[k].x.f ? (size_t)v->s[k].x.d_sae : 0;
	if (!total)
		return;
	infer_hit *all = xmalloc(total * sizeof *all);
	for (int k = 0; k < v->n_src; k++) {
		const infer_src *is = &v->s[k];
		if (!is->x.f)
			continue;
		const core_test *t = &is->x.t;
		size_t first = t->bos ? 1 : 0, d = (size_t)is->x.d_sae;
		for (size_t i = 0; i < d; i++) {
			float best = 0;
			for (size_t j = first; j < t->n; j++) {
				if (v->token >= 0 && (long)j != v->token)
					continue;
				float val = is->x.f[j * d + i];
				if (val > best)
					best = val;
			}
			double dens = (int64_t)i < is->n_density ? is->density[i] : NAN;
			if (best > 0 && dens > v->max_density)
				v->n_dense++;
			else if (best > 0)
				all[n++] = (infer_hit){k, (int64_t)i, best, NULL};
		}
	}
	qsort(all, n, sizeof *all, iv_cmp);
	v->n_hits = n;
	v->hits = all;
}

static const char *iv_expl(view_infer *v, app *a, infer_hit *h)
{
	if (!h->expl) {
		char *e = store_first_explanation(a->db, v->s[h->src].source_id, h->index, &v->mem);
		h->expl = e ? e : "";
	}
	return h->expl;
}

/* The selected hit's activation at token j of the text (0 when nothing is
 * selected). */
static float iv_value(const view_infer *v, size_t j)
{
	if (!v->n_hits || v->sel < 0 || (size_t)v->sel >= v->n_hits)
		return 0;
	const infer_hit *h = &v->hits[v->sel];
	const infer_src *is = &v->s[h->src];
	return is->x.f[j * (size_t)is->x.d_sae + (size_t)h->index];
}

/* The text's tokens, the chosen one marked, coloured by the selected
 * feature's activation ("[all]" first). Returns the rows used. */
static int iv_tokens(view_infer *v, grid *g, int r, int end)
{
	const core_test *t = &v->s[0].x.t;
	int col = 0, r0 = r, cols = g->cols;
	unsigned fl = SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN;
	float mx = 0; /* the selected feature's largest activation on the text */
	for (size_t k = t->bos ? 1 : 0; k < t->n; k++)
		mx = iv_value(v, k) > mx ? iv_value(v, k) : mx;
	col += grid_printf(g, r, col, -1, v->token < 0 ? ST_CURSOR : ST_DIM, "[all]") + 1;
	for (size_t k = t->bos ? 1 : 0; k < t->n && r < end; k++) {
		int w = grid_width(g, t->tok[k], t->tok_len[k], fl);
		if (col + w > cols && col > 0) {
			r++;
			col = 0;
			if (r >= end)
				break;
		}
		int st = (long)k == v->token ? ST_CURSOR : ui_heat(iv_value(v, k), mx);
		if (st == ST_NORMAL && k % 2)
			st = ST_TOKEN_ALT;
		col += grid_text(g, r, col, cols - col, st, t->tok[k], t->tok_len[k], fl);
	}
	return r - r0 + 1;
}

static void iv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_infer *v = (view_infer *)vv;
	int r = top, end = top + height, cols = g->cols;
	const infer_src *s0 = &v->s[0];
	int x = grid_printf(g, r, 0, -1, ST_TITLE, "Search by inference ");
	x += grid_text(g, r, x, -1, ST_TITLE, s0->names.model, strlen(s0->names.model), 0);
	x += grid_printf(g, r, x, -1, ST_TITLE, "/");
	if (v->wide)
		x += grid_printf(g, r, x, -1, ST_TITLE, "%d SAEs of the set", v->n_src);
	else
		x += grid_text(g, r, x, -1, ST_TITLE, s0->names.source, strlen(s0->names.source), 0);
	grid_printf(g, r, x, -1, ST_DIM, "   hiding density > %.4g%% (f)   w: %s", v->max_density * 100,
	            v->wide ? "this SAE only" : "every SAE of the set");
	r += 2;
	if (!s0->x.f) {
		grid_printf(g, r, 2, -1, ST_DIM, a->prompting && a->prompt_view == vv
		                                 ? "Type a text on the line below; Enter runs it."
		                                 : "Press t to type a text.");
		return;
	}
	r += iv_tokens(v, g, r, end) + 1;
	if (r >= end)
		return;
	const core_test *t = &s0->x.t;
	int fw = v->wide ? 30 : 12;
	if (v->token >= 0) {
		char *tok = saex_escape(t->tok[v->token], t->tok_len[v->token], SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN);
		grid_printf(g, r++, 0, -1, ST_BOLD, "At token %ld \"%s\"", v->token - (long)t->bos, tok);
		free(tok);
	} else {
		grid_printf(g, r++, 0, -1, ST_BOLD, "Over every token (the largest activation of each feature)");
	}
	if (r >= end)
		return;
	grid_printf(g, r++, 0, -1, ST_BOLD, "%-*s %10s %9s  %s", fw, "feature", "activation", "density", "explanation");
	if (!v->n_hits) {
		if (v->n_dense)
			grid_printf(g, r, 2, -1, ST_DIM, "Only features denser than %.4g%% fire here (%zu of them): f raises "
			            "the threshold.", v->max_density * 100, v->n_dense);
		else
			grid_printf(g, r, 2, -1, ST_DIM, "No feature fires here.");
		return;
	}
	int body = end - r;
	v->body = body;
	list_scroll(v->sel, &v->top, body);
	for (int i = 0; i < body && (size_t)(v->top + i) < v->n_hits; i++, r++) {
		infer_hit *h = &v->hits[v->top + i];
		const infer_src *is = &v->s[h->src];
		int st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, r, 0, cols, st);
		char name[2 * SAEX_ID_MAX + 24], d[32];
		if (v->wide)
			snprintf(name, sizeof name, "%s/%lld", is->names.source, (long long)h->index);
		else
			snprintf(name, sizeof name, "%lld", (long long)h->index);
		ui_id(g, r, 0, fw, st, name);
		double dens = h->index < is->n_density ? is->density[h->index] : NAN;
		grid_printf(g, r, fw, -1, st, " %10.3f %9s  ", (double)h->value, cli_density(isnan(dens) ? -1 : dens, d, sizeof d));
		const char *e = iv_expl(v, a, h);
		grid_text(g, r, fw + 23, -1, st, e, strlen(e), SAEX_ESC_NL_ARROW);
	}
}

/* The status line: how many fire where, how many are hidden. */
static void iv_say(view_infer *v, app *a)
{
	char n[32], d[32];
	app_status(a, 0, "%s feature%s fire %s; %s more hidden as denser than %.4g%% (f); Left/Right pick a token",
	           cli_thousands((int64_t)v->n_hits, n, sizeof n), v->n_hits == 1 ? "" : "s",
	           v->token < 0 ? "on the text" : "at this token", cli_thousands((int64_t)v->n_dense, d, sizeof d),
	           v->max_density * 100);
}

/* Runs text through every SAE; 0, or -1 after saying why. */
static int iv_run(view_infer *v, app *a, const char *text)
{
	char err[SAEX_ERR_LEN];
	for (int k = 0; k < v->n_src; k++) {
		core_text x;
		if (core_text_run(v->s[k].src, text, &x, err, sizeof err)) {
			app_status(a, 1, "%s/%s: %s", v->s[k].names.model, v->s[k].names.source, err);
			return -1;
		}
		core_text_free(&v->s[k].x);
		v->s[k].x = x;
	}
	if (text != v->text) {
		free(v->text);
		v->text = xstrdup(text);
	}
	v->token = -1;
	iv_rank(v);
	iv_say(v, a);
	return 0;
}

static int iv_text_answer(app *a, view *vv, const char *text)
{
	if (text && *text)
		iv_run((view_infer *)vv, a, text);
	return H_REDRAW;
}

/* Adds an SAE (its weights and densities); 0, or -1 with err. */
static int iv_add(view_infer *v, app *a, const char *model, const char *source, char *err, size_t errlen)
{
	int64_t sid;
	saex_fid canon;
	saex_err e = {{0}, 0};
	char spec[2 * SAEX_ID_MAX + 2];
	core_src *src;
	snprintf(spec, sizeof spec, "%s/%s", model, source);
	if (store_source_find(a->db, spec, &sid, &canon, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		return -1;
	}
	for (int k = 0; k < v->n_src; k++)
		if (v->s[k].source_id == sid)
			return 0;
	if (core_source(a->core, a->db, sid, &src, err, errlen))
		return -1;
	if (v->n_src && strcmp(src->model_dir, v->s[0].src->model_dir)) {
		snprintf(err, errlen, "%s runs on another model", spec);
		return -1;
	}
	v->s = xrealloc(v->s, (size_t)(v->n_src + 1) * sizeof *v->s);
	infer_src *is = &v->s[v->n_src++];
	memset(is, 0, sizeof *is);
	is->names = canon;
	is->names.index = 0;
	is->source_id = sid;
	is->src = src;
	is->n_density = saex_sae_get_info(src->sae)->d_sae;
	is->density = xmalloc((size_t)is->n_density * sizeof *is->density);
	for (int64_t i = 0; i < is->n_density; i++)
		is->density[i] = NAN;
	store_feat_row *rows = NULL;
	size_t n = 0;
	if (store_feature_rows(a->db, sid, &rows, &n, &e) == 0)
		for (size_t i = 0; i < n; i++)
			if (rows[i].index >= 0 && rows[i].index < is->n_density && rows[i].frac_nonzero >= 0)
				is->density[rows[i].index] = rows[i].frac_nonzero;
	free(rows);
	return 0;
}

/* w again: the first SAE alone, as before w. */
static void iv_narrow(view_infer *v, app *a)
{
	for (int k = 1; k < v->n_src; k++) {
		core_text_free(&v->s[k].x);
		free(v->s[k].density);
	}
	v->n_src = 1;
	v->wide = 0;
	iv_rank(v);
	iv_say(v, a);
}

/* w: every SAE of the first one's set whose weights share its model. */
static void iv_widen(view_infer *v, app *a)
{
	if (v->wide) {
		iv_narrow(v, a);
		return;
	}
	arena mem = {0};
	store_cat_row *rows;
	size_t n = 0, skipped = 0;
	saex_err e = {{0}, 0};
	char err[SAEX_ERR_LEN], why[SAEX_ERR_LEN] = "";
	const char *set = NULL;
	if (store_catalog(a->db, &mem, &rows, &n, &e) != 0) {
		app_status(a, 1, "%s", e.msg);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].model, v->s[0].names.model) && !strcmp(rows[i].source, v->s[0].names.source))
			set = rows[i].set;
	for (size_t i = 0; set && i < n; i++)
		if (!strcmp(rows[i].model, v->s[0].names.model) && rows[i].set && !strcmp(rows[i].set, set) &&
		    iv_add(v, a, rows[i].model, rows[i].source, err, sizeof err)) {
			skipped++;
			snprintf(why, sizeof why, "%s", err);
		}
	arena_free(&mem);
	v->wide = 1;
	if (v->text)
		iv_run(v, a, v->text);
	else
		iv_rank(v);
	if (skipped)
		app_status(a, 0, "%d SAEs of the set; %zu left out (%s)", v->n_src, skipped, why);
}

static int iv_density_answer(app *a, view *vv, const char *text)
{
	view_infer *v = (view_infer *)vv;
	if (!text || !*text)
		return H_REDRAW;
	char *end;
	double pct = strtod(text, &end);
	if (end == text || *end || !(pct >= 0) || pct > 100) {
		app_status(a, 1, "'%s': a percentage from 0 to 100", text);
		return H_REDRAW;
	}
	v->max_density = pct / 100;
	iv_rank(v);
	return H_REDRAW;
}

static int iv_handle(view *vv, app *a, action act)
{
	view_infer *v = (view_infer *)vv;
	switch (act) {
	case ACT_TEST: case ACT_INFER:
		app_prompt(a, vv, "text: ", v->text, iv_text_answer);
		app_prompt_multiline(a);
		return H_REDRAW;
	case ACT_SCOPE:
		iv_widen(v, a);
		return H_REDRAW;
	case ACT_FILTER: {
		char init[32];
		snprintf(init, sizeof init, "%g", v->max_density * 100);
		app_prompt(a, vv, "hide features denser than (%, 100: none): ", init, iv_density_answer);
		return H_REDRAW;
	}
	case ACT_LEFT: case ACT_RIGHT:
		if (v->s[0].x.f) {
			long first = v->s[0].x.t.bos ? 1 : 0, last = (long)v->s[0].x.t.n - 1;
			long k = v->token < 0 ? first - 1 : v->token;
			k += act == ACT_LEFT ? -1 : 1;
			v->token = k < first ? -1 : k > last ? last : k;
			iv_rank(v);
			iv_say(v, a);
		}
		return H_REDRAW;
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN: case ACT_TOP: case ACT_BOTTOM:
		return list_move(act, &v->sel, (int)v->n_hits, v->body > 1 ? v->body : a->rows - 8) | H_REDRAW;
	case ACT_OPEN:
		if (v->n_hits) {
			saex_fid id = v->s[v->hits[v->sel].src].names;
			id.index = v->hits[v->sel].index;
			char err[600];
			return app_open(a, view_feature_new(a, &id, err, sizeof err), err);
		} else if (!v->text) {
			return iv_handle(vv, a, ACT_TEST);
		}
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static void iv_free(view *vv)
{
	view_infer *v = (view_infer *)vv;
	for (int k = 0; k < v->n_src; k++) {
		core_text_free(&v->s[k].x);
		free(v->s[k].density);
	}
	free(v->s);
	free(v->text);
	free(v->hits);
	arena_free(&v->mem);
	free(v);
}

static int iv_step(view *vv, app *a, int dir, saex_fid *out)
{
	view_infer *v = (view_infer *)vv;
	int old = v->sel;
	(void)a;
	list_move(dir > 0 ? ACT_DOWN : ACT_UP, &v->sel, (int)v->n_hits, 1);
	if (v->sel == old || !v->n_hits)
		return -1;
	*out = v->s[v->hits[v->sel].src].names;
	out->index = v->hits[v->sel].index;
	return 0;
}

static const view_key iv_keys[] = {
	{ACT_TEST, "Type a text (t or I)"},
	{ACT_LEFT, "Pick the previous token, or all of them"},
	{ACT_RIGHT, "Pick the next token"},
	{ACT_UP, "Select the previous feature (the text is coloured by the selected one)"},
	{ACT_DOWN, "Select the next feature"},
	{ACT_OPEN, "Open the selected feature's dashboard"},
	{ACT_FILTER, "Hide features denser than a percentage"},
	{ACT_SCOPE, "Every SAE of the set with weights on the same model; again: this SAE only"},
	{ACT_NONE, NULL},
};

const view_ops view_infer_ops = {"infer", iv_draw, iv_handle, iv_free, NULL, NULL, iv_keys, iv_step};

view *view_infer_new(app *a, const saex_fid *names, char *err, size_t errlen)
{
	view_infer *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_infer_ops;
	v->token = -1;
	v->max_density = 0.01;
	if (iv_add(v, a, names->model, names->source, err, errlen)) {
		iv_free(&v->v);
		return NULL;
	}
	snprintf(v->v.title, sizeof v->v.title, "inference %.120s/%.120s", v->s[0].names.model, v->s[0].names.source);
	v->v.scope = v->s[0].names;
	app_prompt(a, &v->v, "text: ", NULL, iv_text_answer);
	app_prompt_multiline(a);
	return &v->v;
}
