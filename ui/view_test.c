/* view_test.c - a live test of one feature: type a text (its tokens preview
 * as you type), Enter runs the attached model up to the SAE's layer and
 * encodes; the text's tokens are coloured by the feature's activation, the
 * cursor's exact value is on the status line, and the test's maximum is
 * marked on the feature's histogram. The last tests of the feature are
 * kept (Up/Down), also in the per-user database for later sessions. */
#include "config.h"
#include "app.h"
#include "core.h"
#include "widgets.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct view_test {
	view v;
	saex_fid id;
	double max_act;
	float *freq_h, *freq_v;
	size_t n_freq;
	core_src *src;          /* borrowed from the app's core */
	int sel;                /* the kept test shown, 0 the newest */
	long cursor;
	char **ptok;            /* the preview's tokens while typing */
	size_t *plen, np;
} view_test;

static const core_test *tv_current(view_test *v, app *a, size_t *n_kept)
{
	const core_test *t = core_kept(a->core, &v->id, n_kept);
	if (!t || v->sel >= (int)*n_kept)
		return NULL;
	return &t[v->sel];
}

static store_str *tv_strs(const core_test *t)
{
	store_str *s = xcalloc(t->n ? t->n : 1, sizeof *s);
	for (size_t i = 0; i < t->n; i++)
		s[i] = (store_str){t->tok[i], t->tok_len[i]};
	return s;
}

static void tv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_test *v = (view_test *)vv;
	int r = top, end = top + height, cols = g->cols;
	char id[3 * SAEX_ID_MAX];
	saex_fid_format(&v->id, id, sizeof id);
	int x = grid_printf(g, r, 0, -1, ST_TITLE, "Live test ");
	x += grid_text(g, r, x, -1, ST_TITLE, id, strlen(id), 0);
	grid_printf(g, r, x, -1, ST_DIM, "   feature max %.3f", v->max_act);
	r++;
	x = grid_printf(g, r, 0, -1, ST_DIM, "model ");
	x += grid_text(g, r, x, cols / 2 - x, ST_DIM, v->src->model_dir, strlen(v->src->model_dir), 0);
	x += grid_printf(g, r, x, -1, ST_DIM, "  SAE ");
	grid_text(g, r, x, -1, ST_DIM, v->src->sae_dir, strlen(v->src->sae_dir), 0);
	r++;
	if (v->src->warning)
		r += grid_wrap(g, NULL, r, 0, cols, 2, ST_ERROR, v->src->warning, strlen(v->src->warning), 0, NULL);
	r++;
	size_t n_kept = 0;
	const core_test *t = tv_current(v, a, &n_kept);
	if (a->prompting && a->prompt_view == vv) {
		grid_printf(g, r++, 0, -1, ST_BOLD, "Tokens as you type (%zu, BOS added when run)", v->np);
		int col = 4;
		for (size_t i = 0; i < v->np && r < end; i++) {
			int w = grid_width(g, v->ptok[i], v->plen[i], SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN) + 1;
			if (col + w > cols && col > 4) {
				r++;
				col = 4;
				if (r >= end)
					break;
			}
			grid_printf(g, r, col, 1, ST_DIM, "|");
			grid_text(g, r, col + 1, cols - col - 1, i % 2 ? ST_HEAT0 + 3 : ST_HEAT0 + 5, v->ptok[i], v->plen[i],
			          SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN);
			col += w;
		}
		return;
	}
	if (!t) {
		grid_printf(g, r, 2, -1, ST_DIM, "Press t to type a text to test the feature on.");
		return;
	}
	grid_printf(g, r++, 0, -1, ST_BOLD, "Text (%zu tokens)", t->n - (size_t)t->bos);
	store_str *s = tv_strs(t);
	ui_tokens_in in = {s, t->values, t->bos ? 1 : 0, (long)t->n, v->cursor, t->max_index, v->max_act,
	                   end - r, 0, SAEX_ESC_NL_ARROW};
	r += ui_tokens(g, NULL, r, cols, &in);
	if (t->max_index >= 0) {
		char *tok = saex_escape(t->tok[t->max_index], t->tok_len[t->max_index], SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN);
		int w = grid_printf(g, r, 2, -1, ST_NORMAL, "max %.3f at token %ld \"%s\"", (double)t->max_value,
		                    t->max_index - (long)t->bos, tok);
		free(tok);
		if (v->max_act > 0)
			grid_printf(g, r, 2 + w, -1, ST_DIM, "  (%.0f%% of the feature's max)",
			            t->max_value / v->max_act * 100);
	} else {
		grid_printf(g, r, 2, -1, ST_DIM, "the feature does not fire on this text");
	}
	r += 2;
	free(s);
	if (r < end)
		grid_printf(g, r++, 0, -1, ST_BOLD, "Activation histogram (this test's max marked)");
	if (r + 6 <= end) {
		char label[64];
		snprintf(label, sizeof label, "this test: %.3f", (double)t->max_value);
		r += ui_histogram(g, r, cols, v->freq_h, v->freq_v, v->n_freq, t->max_index >= 0 ? t->max_value : NAN,
		                  label);
	}
	r++;
	if (r < end)
		grid_printf(g, r++, 0, -1, ST_BOLD, "Last tests (%zu; Up/Down)", n_kept);
	const core_test *all = core_kept(a->core, &v->id, &n_kept);
	for (size_t i = 0; i < n_kept && r < end; i++, r++) {
		int st = (int)i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, r, 0, cols, st);
		int w = grid_printf(g, r, 2, -1, st, "%8.3f  ", all[i].max_index >= 0 ? (double)all[i].max_value : 0.0);
		grid_text(g, r, 2 + w, -1, st, all[i].text, strlen(all[i].text), SAEX_ESC_NL_ARROW);
	}
}

static void tv_cursor_status(view_test *v, app *a)
{
	size_t n;
	const core_test *t = tv_current(v, a, &n);
	if (!t || v->cursor < 0 || (size_t)v->cursor >= t->n)
		return;
	char *tok = saex_escape(t->tok[v->cursor], t->tok_len[v->cursor], SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN);
	double share = v->max_act > 0 ? t->values[v->cursor] / v->max_act * 100 : 0;
	app_status(a, 0, "token %ld \"%s\" = %.4f (%.0f%% of max)", v->cursor - (long)t->bos, tok,
	           (double)t->values[v->cursor], share);
	free(tok);
}

static void tv_cursor_reset(view_test *v, app *a)
{
	size_t n;
	const core_test *t = tv_current(v, a, &n);
	v->cursor = !t ? -1 : t->max_index >= 0 ? t->max_index : (long)t->bos;
}

static int tv_changed(app *a, view *vv, const char *text)
{
	view_test *v = (view_test *)vv;
	(void)a;
	core_tokens_free(v->ptok, v->plen, v->np);
	v->ptok = core_tokens(v->src, text ? text : "", &v->plen, &v->np);
	return H_REDRAW;
}

static int tv_answer(app *a, view *vv, const char *text)
{
	view_test *v = (view_test *)vv;
	core_tokens_free(v->ptok, v->plen, v->np);
	v->ptok = NULL;
	v->plen = NULL;
	v->np = 0;
	if (!text || !*text)
		return H_REDRAW;
	core_test t;
	char err[SAEX_ERR_LEN];
	if (core_test_run(v->src, v->id.index, text, &t, err, sizeof err)) {
		app_status(a, 1, "%s", err);
		return H_REDRAW;
	}
	if (a->user) {
		store_live_test lt = {NULL, a->db_path, t.text, t.bos, t.n, (const char *const *)t.tok, t.tok_len,
		                      t.values};
		saex_err e = {{0}, 0};
		if (store_user_test_log(a->user, &v->id, &lt, CORE_KEEP, &e))
			app_status(a, 1, "%s", e.msg);
	}
	core_keep(a->core, &v->id, &t);
	v->sel = 0;
	tv_cursor_reset(v, a);
	tv_cursor_status(v, a);
	return H_REDRAW;
}

static void tv_ask(view_test *v, app *a)
{
	size_t n;
	const core_test *t = tv_current(v, a, &n);
	app_prompt_live(a, &v->v, "test text: ", t ? t->text : NULL, tv_answer, tv_changed);
	app_prompt_multiline(a);
}

static int tv_handle(view *vv, app *a, action act)
{
	view_test *v = (view_test *)vv;
	size_t n = 0;
	const core_test *t = tv_current(v, a, &n);
	switch (act) {
	case ACT_TEST: case ACT_OPEN:
		tv_ask(v, a);
		return H_REDRAW;
	case ACT_UP: case ACT_DOWN: case ACT_TOP: case ACT_BOTTOM: case ACT_PGUP: case ACT_PGDN: {
		int r = list_move(act, &v->sel, (int)n, 5);
		tv_cursor_reset(v, a);
		tv_cursor_status(v, a);
		return r | H_REDRAW;
	}
	case ACT_LEFT: case ACT_RIGHT:
		if (t) {
			v->cursor += act == ACT_LEFT ? -1 : 1;
			if (v->cursor < (long)t->bos)
				v->cursor = (long)t->bos;
			if (v->cursor >= (long)t->n)
				v->cursor = (long)t->n - 1;
			tv_cursor_status(v, a);
		}
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static void tv_free(view *vv)
{
	view_test *v = (view_test *)vv;
	core_tokens_free(v->ptok, v->plen, v->np);
	free(v->freq_h);
	free(v->freq_v);
	free(v);
}

static const view_key tv_keys[] = {
	{ACT_TEST, "Type a text to test the feature on (Enter also)"},
	{ACT_LEFT, "Move the token cursor left (its value on the status line)"},
	{ACT_RIGHT, "Move the token cursor right"},
	{ACT_UP, "The newer kept test"},
	{ACT_DOWN, "The older kept test"},
	{ACT_NONE, NULL},
};

const view_ops view_test_ops = {"test", tv_draw, tv_handle, tv_free, NULL, NULL, tv_keys, NULL};

view *view_test_new(app *a, const saex_fid *id, double max_act, const float *freq_h, const float *freq_v,
                    size_t n_freq, char *err, size_t errlen)
{
	int64_t sid;
	saex_fid names;
	saex_err e = {{0}, 0};
	char spec[2 * SAEX_ID_MAX + 2];
	core_src *src;
	snprintf(spec, sizeof spec, "%s/%s", id->model, id->source);
	if (store_source_find(a->db, spec, &sid, &names, &e) != 0) {
		snprintf(err, errlen, "%s", e.msg);
		return NULL;
	}
	if (core_source(a->core, a->db, sid, &src, err, errlen))
		return NULL;
	view_test *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_test_ops;
	v->id = *id;
	v->max_act = max_act;
	v->src = src;
	v->n_freq = n_freq;
	v->freq_h = xmalloc((n_freq ? n_freq : 1) * sizeof *v->freq_h);
	v->freq_v = xmalloc((n_freq ? n_freq : 1) * sizeof *v->freq_v);
	if (n_freq) {
		memcpy(v->freq_h, freq_h, n_freq * sizeof *freq_h);
		memcpy(v->freq_v, freq_v, n_freq * sizeof *freq_v);
	}
	char ids[3 * SAEX_ID_MAX];
	saex_fid_format(id, ids, sizeof ids);
	snprintf(v->v.title, sizeof v->v.title, "live test %.240s", ids);
	v->v.scope = *id;
	size_t n_kept;
	core_kept(a->core, id, &n_kept);
	if (a->user && n_kept == 0) { /* the tests of earlier sessions */
		arena ar = {0};
		store_live_test *lt;
		size_t n;
		if (store_user_tests(a->user, id, CORE_KEEP, &ar, &lt, &n, &e) == 0)
			core_restore(a->core, id, lt, n);
		else
			app_status(a, 1, "%s", e.msg);
		arena_free(&ar);
	}
	tv_cursor_reset(v, a);
	tv_ask(v, a);
	return &v->v;
}
