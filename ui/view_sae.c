/* view_sae.c - an SAE's page: what the catalog knows of it, every metric
 * of one of its evaluations (saex eval, saex build --eval, Neuronpedia's
 * "core" evaluations) and the feature-density histogram; when it has
 * several evaluations, their list first (Up/Down shows another). Without an evaluation the
 * histogram comes from the features' densities (dashboards, imports).
 *
 * The page is laid out into a document grid and a window of it is shown,
 * as the dashboard does. Enter opens the SAE's feature list. */
#include "config.h"
#include "app.h"
#include "cli.h"
#include "widgets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Bins of the density histogram at most. */
#define SAE_BINS 60

typedef struct view_sae {
	view v;
	arena mem;
	int64_t source_id;
	saex_fid names;
	const store_cat_row *cat;   /* NULL when the catalog lacks it */
	store_eval *evs;
	size_t n_evs;
	float *feat_density;        /* from the feature rows (no evaluation arrays) */
	size_t n_feat_density;
	int sel, scroll, list_row;  /* list_row: document row of the evaluations list */
	int follow;                 /* scroll to the selected evaluation's line */
	grid *doc;
	int doc_rows;
} view_sae;

/* The density histogram of n features: log10 of each live feature's
 * density in bins over [lo, 0]; *dead counts those of density 0 and
 * *unknown the negative ones (unknown). Returns the bins filled. */
static size_t sae_hist(const float *d, size_t n, size_t bins, float *h, float *v, int64_t *dead, int64_t *unknown)
{
	double lo = 0;
	*dead = *unknown = 0;
	for (size_t i = 0; i < n; i++)
		if (d[i] > 0 && log10(d[i]) < lo)
			lo = log10(d[i]);
	lo = floor(lo) < -10 ? -10 : floor(lo);
	if (lo > -1)
		lo = -1;
	double w = -lo / (double)bins;
	for (size_t b = 0; b < bins; b++) {
		h[b] = 0;
		v[b] = (float)(lo + (b + 0.5) * w);
	}
	for (size_t i = 0; i < n; i++) {
		if (d[i] < 0 || isnan(d[i])) {
			(*unknown)++;
			continue;
		}
		if (d[i] == 0) {
			(*dead)++;
			continue;
		}
		long b = (long)((log10(d[i]) - lo) / w);
		h[b < 0 ? 0 : b >= (long)bins ? (long)bins - 1 : b]++;
	}
	return bins;
}

/* One metric, "  name     value", in a column of width w (the value in
 * its last 9 to 12 columns). */
static void sae_metric(grid *g, int r, int c, int w, const char *name, double v)
{
	int vw = w - 30 < 9 ? 9 : w - 30 > 12 ? 12 : w - 30;
	grid_printf(g, r, c + 2, w - 2 - vw, ST_NORMAL, "%s", name);
	if (isfinite(v))
		grid_printf(g, r, c + w - vw, vw, ST_BOLD, "%*.5g", vw, v);
	else
		grid_printf(g, r, c + w - vw, vw, ST_DIM, "%*s", vw, "-");
}

/* The metrics of m in groups, in two columns when there is room. Returns
 * the next free row. */
static int sae_metrics(grid *g, int r, const saex_eval_metrics *m)
{
	int two = g->cols >= 80, w = two ? (g->cols - 2) / 2 : g->cols - 1;
	w = w > 48 ? 48 : w;
	int row[2] = {r, r}, col = 0;
	const char *group = NULL;
	for (size_t k = 0; k < saex_eval_n_metrics; k++) {
		if (!group || strcmp(group, saex_eval_metric_groups[k]) != 0) {
			group = saex_eval_metric_groups[k];
			col = two && row[1] < row[0] ? 1 : 0;
			grid_printf(g, row[col]++, col * (w + 2), w, ST_TITLE, "%s", group);
		}
		sae_metric(g, row[col]++, col * (w + 2), w, saex_eval_metric_names[k], saex_eval_metric_value(m, k));
	}
	r = row[0] > row[1] ? row[0] : row[1];
	char b[32];
	if (m->dead_features >= 0 && m->d_sae > 0)
		grid_printf(g, r++, 0, -1, ST_NORMAL,
		            "features: %lld dead (never active), %lld dense (> 10%% of tokens), of %s",
		            (long long)m->dead_features, (long long)m->dense_features,
		            cli_thousands(m->d_sae, b, sizeof b));
	return r;
}

/* "saex on corpus.txt: 64 prompts x 128, 8,128 tokens counted, DATE". */
static int sae_eval_line(grid *g, int r, int c, int style, const store_eval *e)
{
	char b1[32];
	int x = c + grid_printf(g, r, c, -1, style, "%s on ", e->origin);
	x += grid_text(g, r, x, g->cols - x > 40 ? 40 : g->cols - x, style, e->corpus, strlen(e->corpus), 0);
	x += grid_printf(g, r, x, -1, style, ":");
	if (e->m.prompts >= 0)
		x += grid_printf(g, r, x, -1, style, " %s prompts", cli_thousands(e->m.prompts, b1, sizeof b1));
	if (e->ctx >= 0)
		x += grid_printf(g, r, x, -1, style, " x %lld", (long long)e->ctx);
	if (e->m.tokens >= 0)
		x += grid_printf(g, r, x, -1, style, ", %s tokens counted", cli_thousands(e->m.tokens, b1, sizeof b1));
	x += grid_printf(g, r, x, -1, style, ", ");
	return x - c + grid_text(g, r, x, -1, style, e->created, strlen(e->created), 0);
}

static int sae_histogram(view_sae *v, grid *g, int r)
{
	const float *d = NULL;
	size_t n = 0;
	const char *from = "";
	if (v->n_evs && v->evs[v->sel].density) {
		d = v->evs[v->sel].density;
		n = v->evs[v->sel].n_feat;
	} else if (v->n_feat_density) {
		d = v->feat_density;
		n = v->n_feat_density;
		from = " (from the features' densities)";
	}
	if (!d) {
		grid_printf(g, r++, 0, -1, ST_DIM, "no feature densities: the evaluation did not record them");
		return r;
	}
	size_t bins = (size_t)(g->cols - 4 < SAE_BINS ? g->cols - 4 : SAE_BINS);
	float h[SAE_BINS], c[SAE_BINS];
	int64_t dead, unknown;
	sae_hist(d, n, bins, h, c, &dead, &unknown);
	grid_printf(g, r++, 0, -1, ST_TITLE, "feature density: log10 of the share of tokens each feature fires on%s",
	            from);
	r += ui_histogram(g, r, g->cols, h, c, bins, NAN, "");
	grid_printf(g, r++, 2, -1, ST_DIM, "%lld features with density 0 (dead) not shown%s", (long long)dead,
	            unknown ? "; some densities unknown" : "");
	return r;
}

static int sae_list(view_sae *v, grid *g, int r)
{
	grid_printf(g, r++, 0, -1, ST_TITLE, "evaluations (Up/Down shows one)");
	v->list_row = r;
	for (size_t i = 0; i < v->n_evs; i++, r++) {
		const store_eval *e = &v->evs[i];
		int st = (int)i == v->sel ? ST_SELECTED : ST_NORMAL;
		char l0[16] = "-", ce[16] = "-";
		if (isfinite(e->m.l0))
			snprintf(l0, sizeof l0, "%.4g", e->m.l0);
		if (isfinite(e->m.ce_loss_score))
			snprintf(ce, sizeof ce, "%.4f", e->m.ce_loss_score);
		if (st == ST_SELECTED)
			grid_fill(g, r, 0, g->cols, st);
		int x = 2 + grid_printf(g, r, 2, -1, st, "l0 %-8s ce %-8s %-12s ", l0, ce, e->origin);
		x += grid_printf(g, r, x, -1, st, "%.10s  ", e->created);
		grid_text(g, r, x, -1, st, e->corpus, strlen(e->corpus), 0);
	}
	return r;
}

/* The whole page into v->doc. */
static void sae_layout(view_sae *v, int cols, int ascii)
{
	grid_free(v->doc);
	v->doc = grid_new(64 + (int)v->n_evs, cols, ascii);
	grid *g = v->doc;
	int r = 0;
	char b[32];
	int x = grid_printf(g, r, 0, -1, ST_BOLD, "%s/%s", v->names.model, v->names.source);
	if (v->cat && v->cat->hook_name)
		x += grid_printf(g, r, x, -1, ST_NORMAL, "  %s", v->cat->hook_name);
	if (v->cat && v->cat->d_sae > 0)
		grid_printf(g, r, x, -1, ST_NORMAL, "  %s features", cli_thousands(v->cat->d_sae, b, sizeof b));
	r++;
	if (v->cat && (v->cat->set || v->cat->release)) {
		x = grid_printf(g, r, 0, -1, ST_DIM, "set %s", v->cat->set ? v->cat->set : "-");
		if (v->cat->release)
			grid_printf(g, r, x, -1, ST_DIM, "  release %s", v->cat->release);
		r++;
	}
	r++;
	if (v->n_evs > 1)
		r = sae_list(v, g, r) + 1;
	if (!v->n_evs) {
		grid_printf(g, r++, 0, -1, ST_NORMAL, "No evaluation of this SAE yet. Make one with");
		grid_printf(g, r++, 2, -1, ST_KEY, "saex eval DB --model DIR --sae SAEDIR --corpus FILE");
		grid_printf(g, r++, 0, -1, ST_DIM,
		            "(or saex build --eval; Neuronpedia's evaluations come with saex import).");
		r++;
	} else {
		const store_eval *e = &v->evs[v->sel];
		x = grid_printf(g, r, 0, -1, ST_TITLE, "evaluation %d of %zu: ", v->sel + 1, v->n_evs);
		sae_eval_line(g, r++, x, ST_NORMAL, e);
		r++;
		r = sae_metrics(g, r, &e->m) + 1;
	}
	r = sae_histogram(v, g, r);
	v->doc_rows = r;
}

static void sae_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_sae *v = (view_sae *)vv;
	(void)a;
	sae_layout(v, g->cols, g->ascii);
	if (v->follow) { /* the selected evaluation's line in view */
		int want = v->list_row + v->sel;
		if (want >= v->scroll + height)
			v->scroll = want - height + 1;
		if (want < v->scroll)
			v->scroll = want;
		v->follow = 0;
	}
	if (v->scroll > v->doc_rows - height)
		v->scroll = v->doc_rows - height;
	if (v->scroll < 0)
		v->scroll = 0;
	for (int i = 0; i < height && v->scroll + i < v->doc_rows; i++)
		memcpy(&g->cell[(size_t)(top + i) * (size_t)g->cols],
		       &v->doc->cell[(size_t)(v->scroll + i) * (size_t)g->cols], (size_t)g->cols * sizeof *g->cell);
}

static int sae_handle(view *vv, app *a, action act)
{
	view_sae *v = (view_sae *)vv;
	switch (act) {
	case ACT_UP: case ACT_DOWN:
		if (v->n_evs > 1) {
			v->follow = 1;
			return list_move(act, &v->sel, (int)v->n_evs, 1);
		}
		v->scroll += act == ACT_DOWN ? 1 : -1;
		return H_REDRAW;
	case ACT_PGUP: case ACT_PGDN:
		v->scroll += (act == ACT_PGDN ? 1 : -1) * (a->rows - 4);
		return H_REDRAW;
	case ACT_TOP: case ACT_BOTTOM:
		v->scroll = act == ACT_TOP ? 0 : 1 << 20;
		return H_REDRAW;
	case ACT_OPEN:
		app_push(a, view_features_new(a, v->source_id, &v->names));
		return H_REDRAW;
	case ACT_PLOT: {
		char err[512];
		return app_open(a, view_evalplot_new(a, &v->names, err, sizeof err), err);
	}
	default:
		return H_NONE;
	}
}

static void sae_free(view *vv)
{
	view_sae *v = (view_sae *)vv;
	grid_free(v->doc);
	free(v->feat_density);
	arena_free(&v->mem);
	free(v);
}

static int sae_click(view *vv, app *a, int row)
{
	view_sae *v = (view_sae *)vv;
	int i = v->scroll + row - v->list_row;
	if (v->n_evs < 2 || i < 0 || i >= (int)v->n_evs)
		return H_NONE;
	(void)a;
	v->sel = i;
	return H_REDRAW;
}

static const view_key sae_keys[] = {
	{ACT_OPEN, "Open the SAE's feature list"},
	{ACT_PLOT, "L0 against CE loss recovered of the SAE's set"},
	{ACT_NONE, NULL},
};

static const view_ops sae_ops = {"sae", sae_draw, sae_handle, sae_free, sae_click, NULL, sae_keys, NULL};

/* The features' densities (frac_nonzero; -1 where unknown), when any is
 * known. */
static void sae_feature_densities(view_sae *v, app *a)
{
	store_feat_row *rows = NULL;
	size_t n = 0;
	saex_err e = {{0}, 0};
	if (store_feature_rows(a->db, v->source_id, &rows, &n, &e) != 0 || n == 0) {
		free(rows);
		return;
	}
	int known = 0;
	v->feat_density = xmalloc(n * sizeof *v->feat_density);
	for (size_t i = 0; i < n; i++) {
		v->feat_density[i] = rows[i].frac_nonzero;
		known |= rows[i].frac_nonzero >= 0;
	}
	v->n_feat_density = known ? n : 0;
	free(rows);
}

view *view_sae_new(app *a, const saex_fid *names, char *err, size_t errlen)
{
	char spec[2 * SAEX_ID_MAX + 2];
	saex_err e = {{0}, 0};
	int64_t src;
	saex_fid canon;
	snprintf(spec, sizeof spec, "%s/%s", names->model, names->source);
	if (store_source_find(a->db, spec, &src, &canon, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		return NULL;
	}
	view_sae *v = xcalloc(1, sizeof *v);
	v->v.ops = &sae_ops;
	v->source_id = src;
	v->names = canon;
	snprintf(v->v.title, sizeof v->v.title, "%.120s/%.120s  evaluation", canon.model, canon.source);
	store_cat_row *cat;
	size_t n_cat;
	if (store_catalog(a->db, &v->mem, &cat, &n_cat, &e) == 0)
		for (size_t i = 0; i < n_cat && !v->cat; i++)
			if (!strcmp(cat[i].model, canon.model) && !strcmp(cat[i].source, canon.source))
				v->cat = &cat[i];
	if (store_evals(a->db, src, &v->mem, &v->evs, &v->n_evs, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		sae_free(&v->v);
		return NULL;
	}
	sae_feature_densities(v, a);
	return &v->v;
}
