/* view_steer.c - steering: the features with their strengths, the
 * settings, a prompt box, and the default and steered continuations side
 * by side, streamed token by token as they are generated (Esc cancels).
 * Every run is logged in the per-user database (H shows the log). */
#include "config.h"
#include "app.h"
#include "core.h"
#include "steer.h"
#include "widgets.h"

#include <stdlib.h>
#include <string.h>

typedef struct view_steer {
	view v;
	int sel, top;
} view_steer;

/* The key hints that fit in a row, the rest left to ? */
static void sv_hints(grid *g, int row, int cols)
{
	static const char *const hints[] = {
		"Enter: prompt and run", "R: run again", "=: settings", "Left/Right: -+10%", "Shift: -+max",
		"-: flip", "0: reset", "d: remove", "H: log",
	};
	int x = 0;
	const char *more = "?: more";
	for (size_t i = 0; i < SAEX_ARRAY_LEN(hints); i++) {
		int w = (int)strlen(hints[i]);
		int rest = i + 1 < SAEX_ARRAY_LEN(hints) ? 3 + (int)strlen(more) : 0;
		if (x + w + rest > cols) {
			grid_printf(g, row, x, -1, ST_DIM, "%s", more);
			return;
		}
		x += grid_printf(g, row, x, -1, ST_DIM, "%s", hints[i]) + 3;
	}
}

static void sv_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_steer *v = (view_steer *)vv;
	ui_steer *s = a->steer;
	int r = top, end = top + height, cols = g->cols;
	int x = grid_printf(g, r, 0, -1, ST_TITLE, "Steering");
	if (s->model_dir[0]) {
		x += grid_printf(g, r, x, -1, ST_DIM, "   model ");
		grid_text(g, r, x, cols - x - 24, ST_DIM, s->model_dir, strlen(s->model_dir), 0);
	}
	if (s->running)
		grid_printf(g, r, cols - 22, -1, ST_KEY, "running - Esc cancels");
	r += 2;
	grid_printf(g, r++, 0, -1, ST_BOLD, "Features (%zu)", s->n);
	if (!s->n)
		grid_printf(g, r++, 2, -1, ST_DIM, "none yet: press S on a dashboard or a search result");
	int rows = (int)s->n < 8 ? (int)s->n : 8;
	list_scroll(v->sel, &v->top, rows);
	char ids[8][3 * SAEX_ID_MAX];
	const char *idp[8];
	int shown = 0;
	for (int i = 0; i < rows && v->top + i < (int)s->n; i++, shown++) {
		saex_fid_format(&s->f[v->top + i].id, ids[i], sizeof ids[i]);
		idp[i] = ids[i];
	}
	int idw = ui_id_width(g, idp, (size_t)shown, 10, cols / 2);
	for (int i = 0; i < shown; i++, r++) {
		const steer_feat *f = &s->f[v->top + i];
		int st = v->top + i == v->sel ? ST_SELECTED : ST_NORMAL;
		if (st == ST_SELECTED)
			grid_fill(g, r, 0, cols, st);
		ui_id(g, r, 2, idw, st, idp[i]);
		int w = 2 + idw + 1;
		/* the max as the strength holds it (float): a strength set to the
		 * max shows the same digits (13.045 is 13.04 as a double, 13.05 as
		 * a float) */
		w += grid_printf(g, r, w, -1, st, "%+9.2f  (max %.2f)  ", (double)f->strength, (double)(float)f->max_act);
		if (f->expl)
			grid_text(g, r, w, -1, st == ST_SELECTED ? st : ST_DIM, f->expl, strlen(f->expl), SAEX_ESC_NL_ARROW);
	}
	r++;
	if (r < end) {
		char *set = steer_settings_text(s);
		x = grid_printf(g, r, 0, -1, ST_BOLD, "Settings ");
		grid_text(g, r++, x, -1, ST_NORMAL, set, strlen(set), 0);
		free(set);
	}
	if (r < end) {
		x = grid_printf(g, r, 0, -1, ST_BOLD, "Prompt ");
		if (s->prompt && *s->prompt)
			grid_text(g, r, x, -1, ST_NORMAL, s->prompt, strlen(s->prompt), SAEX_ESC_NL_ARROW);
		else
			grid_printf(g, r, x, -1, ST_DIM, "(Enter to type one)");
		r++;
	}
	if (r < end)
		sv_hints(g, r++, cols);
	r++;
	if (r >= end)
		return;
	int half = cols / 2, w = half - 2;
	for (int k = 0; k < 2; k++) {
		const steer_out *o = &s->out[k];
		int cx = k ? half + 1 : 0;
		grid_printf(g, r, cx, w, ST_HEADER, "%-*s", w, k ? " steered" : " default");
		if (o->text_len || s->running || s->done)
			grid_wrap(g, NULL, r + 1, cx + 1, w - 1, end - r - 1, k ? ST_HEAT0 + 6 : ST_NORMAL,
			          o->text ? o->text : "", o->text_len, SAEX_ESC_NL_KEEP, NULL);
	}
	for (int i = r; i < end; i++)
		grid_text(g, i, half, 1, ST_DIM, g->ascii ? "|" : "\xe2\x94\x82", g->ascii ? 1 : 3, 0);
}

static int sv_prompt_answer(app *a, view *vv, const char *text)
{
	(void)vv;
	if (!text)
		return H_REDRAW;
	ui_steer *s = a->steer;
	free(s->prompt);
	s->prompt = xstrdup(text);
	char err[SAEX_ERR_LEN];
	if (steer_start(s, a->core, a->db, err, sizeof err))
		app_status(a, 1, "%s", err);
	return H_REDRAW;
}

static int sv_settings_answer(app *a, view *vv, const char *text)
{
	(void)vv;
	char err[256];
	if (text && steer_settings_parse(a->steer, text, err, sizeof err))
		app_status(a, 1, "%s", err);
	return H_REDRAW;
}

/* Logs an ended run and says so (and when the context cut it short). */
static void sv_ended(app *a)
{
	ui_steer *s = a->steer;
	saex_err e = {{0}, 0};
	char why[160] = "";
	if (!s->cancelled && s->room < (size_t)s->tokens)
		snprintf(why, sizeof why, "; stopped at the model's context length: %zu of %d tokens", s->room, s->tokens);
	if (!a->user)
		app_status(a, 0, "%s%s (no per-user database: not logged)", s->cancelled ? "cancelled" : "done", why);
	else if (steer_log(s, a->user, a->db_path, &e))
		app_status(a, 1, "%s", e.msg);
	else
		app_status(a, 0, "%s%s; logged as run %lld (H shows the log)", s->cancelled ? "cancelled" : "done", why,
		           (long long)s->logged_id);
}

static int sv_handle(view *vv, app *a, action act)
{
	view_steer *v = (view_steer *)vv;
	ui_steer *s = a->steer;
	steer_feat *f = v->sel < (int)s->n ? &s->f[v->sel] : NULL;
	double step = f && f->max_act > 0 ? f->max_act : 1.0;
	char err[SAEX_ERR_LEN];
	if (s->running && act != ACT_BACK && act != ACT_QUIT && act != ACT_REDRAW && act != ACT_HELP)
		return H_HANDLED; /* one run at a time: Esc cancels it */
	switch (act) {
	case ACT_BACK:
		if (!s->running)
			return H_NONE;
		steer_cancel(s);
		sv_ended(a);
		return H_REDRAW;
	case ACT_UP: case ACT_DOWN: case ACT_PGUP: case ACT_PGDN: case ACT_TOP: case ACT_BOTTOM:
		return list_move(act, &v->sel, (int)s->n, 5) | H_REDRAW;
	case ACT_LEFT: case ACT_RIGHT: case ACT_MUCH_LESS: case ACT_MUCH_MORE:
		if (f)
			f->strength += (float)(step * (act == ACT_LEFT ? -0.1 : act == ACT_RIGHT ? 0.1
			                             : act == ACT_MUCH_LESS ? -1.0 : 1.0));
		return H_REDRAW;
	case ACT_FLIP:
		if (f)
			f->strength = -f->strength;
		return H_REDRAW;
	case ACT_RESET:
		if (f)
			f->strength = (float)f->max_act;
		return H_REDRAW;
	case ACT_REMOVE:
		if (f) {
			steer_remove(s, (size_t)v->sel);
			if (v->sel >= (int)s->n && v->sel > 0)
				v->sel--;
		}
		return H_REDRAW;
	case ACT_SETTINGS: {
		char *set = steer_settings_text(s);
		app_prompt(a, vv, "settings: ", set, sv_settings_answer);
		free(set);
		return H_REDRAW;
	}
	case ACT_OPEN:
		app_prompt(a, vv, "prompt: ", s->prompt, sv_prompt_answer);
		app_prompt_multiline(a);
		return H_REDRAW;
	case ACT_RUN:
		if (steer_start(s, a->core, a->db, err, sizeof err))
			app_status(a, 1, "%s", err);
		return H_REDRAW;
	default:
		return H_NONE;
	}
}

static int sv_tick(view *vv, app *a)
{
	(void)vv;
	ui_steer *s = a->steer;
	if (!s->running)
		return 0;
	char err[SAEX_ERR_LEN];
	int r = steer_step(s, err, sizeof err);
	if (r <= 0)
		sv_ended(a);
	if (r < 0)
		app_status(a, 1, "%s", err);
	return 1; /* redraw once more after the last step */
}

static void sv_free(view *vv)
{
	free(vv);
}

static const view_key sv_keys[] = {
	{ACT_OPEN, "Type a prompt and run it: default and steered continuations side by side"},
	{ACT_RUN, "Run the prompt again"},
	{ACT_UP, "Select the previous feature of the set"},
	{ACT_DOWN, "Select the next feature of the set"},
	{ACT_LEFT, "Lower the selected feature's strength by 10% of its max activation"},
	{ACT_RIGHT, "Raise it by 10% of its max activation"},
	{ACT_MUCH_LESS, "Lower it by its max activation"},
	{ACT_MUCH_MORE, "Raise it by its max activation"},
	{ACT_FLIP, "Flip the sign of its strength"},
	{ACT_RESET, "Reset its strength to its max activation"},
	{ACT_REMOVE, "Remove it from the set"},
	{ACT_SETTINGS, "Multiplier, method (add or clamp), temperature, seed, tokens, frequency penalty"},
	{ACT_BACK, "Cancel a run under way (else go back)"},
	{ACT_STEER_LOG, "The log of runs"},
	{ACT_NONE, NULL},
};

const view_ops view_steer_ops = {"steer", sv_draw, sv_handle, sv_free, NULL, sv_tick, sv_keys, NULL};

view *view_steer_new(app *a)
{
	(void)a;
	view_steer *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_steer_ops;
	snprintf(v->v.title, sizeof v->v.title, "steering");
	return &v->v;
}

int app_steer_feature(app *a, const saex_fid *id, double max_act, const char *expl)
{
	int64_t sid;
	saex_fid names;
	saex_err e = {{0}, 0};
	char spec[2 * SAEX_ID_MAX + 2], err[SAEX_ERR_LEN];
	core_src *src, *first;
	snprintf(spec, sizeof spec, "%s/%s", id->model, id->source);
	if (store_source_find(a->db, spec, &sid, &names, &e) != 0) {
		app_status(a, 1, "%s", e.msg);
		return -1;
	}
	if (a->steer->running) {
		app_status(a, 1, "a steering run is under way");
		return -1;
	}
	/* Only a feature whose weights load, on the model of the set. */
	if (core_source(a->core, a->db, sid, &src, err, sizeof err)) {
		app_status(a, 1, "cannot steer with %s/%s: %s", id->model, id->source, err);
		return -1;
	}
	if (a->steer->n && core_source(a->core, a->db, a->steer->f[0].source_id, &first, err, sizeof err) == 0 &&
	    strcmp(first->model_dir, src->model_dir)) {
		app_status(a, 1, "%s/%s runs on another model (%s) than the steering set (%s): steer one model at a time",
		           id->model, id->source, src->model_dir, first->model_dir);
		return -1;
	}
	size_t i = steer_add(a->steer, id, sid, max_act, expl);
	/* back to an open steering view, else a new one */
	for (int d = a->depth - 1; d >= 0; d--)
		if (a->stack[d]->ops == &view_steer_ops) {
			while (a->depth - 1 > d)
				app_pop(a);
			((view_steer *)a->stack[d])->sel = (int)i;
			return 0;
		}
	view_steer *v = (view_steer *)view_steer_new(a);
	v->sel = (int)i;
	app_push(a, &v->v);
	app_status(a, 0, "steering with %zu feature%s; Enter types the prompt", a->steer->n, a->steer->n == 1 ? "" : "s");
	return 0;
}
