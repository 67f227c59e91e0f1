/* view_help.c - the keys: first those of the view help was asked in (its
 * keys table, with what each does there), then those of every view, all
 * from the action table (actions.def). */
#include "config.h"
#include "app.h"

#include <stdlib.h>
#include <string.h>

typedef struct help_line {
	action act;           /* ACT_NONE: a heading */
	const char *text;     /* the heading, or what the key does */
} help_line;

typedef struct view_help {
	view v;
	help_line *lines;
	int n, top;
	char heading[300];
} view_help;

static void help_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_help *v = (view_help *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "Keys (q or Backspace to leave)");
	int body = height - 1;
	if (v->top > v->n - body)
		v->top = v->n - body > 0 ? v->n - body : 0;
	int kw = 22;
	for (int i = 0; i < body && v->top + i < v->n; i++) {
		const help_line *l = &v->lines[v->top + i];
		int row = top + 1 + i;
		if (l->act == ACT_NONE) {
			grid_text(g, row, 0, -1, ST_BOLD, l->text, strlen(l->text), 0);
			continue;
		}
		const action_info *ai = action_get(l->act);
		grid_text(g, row, 2, kw, ST_KEY, ai->keys, strlen(ai->keys), 0);
		grid_text(g, row, kw + 3, -1, ST_NORMAL, l->text, strlen(l->text), 0);
	}
}

static int help_handle(view *vv, app *a, action act)
{
	view_help *v = (view_help *)vv;
	if (act == ACT_QUIT || act == ACT_HELP) {
		app_pop(a);
		return H_REDRAW;
	}
	int sel = v->top;
	int r = list_move(act, &sel, v->n, a->rows - 4);
	v->top = sel;
	return r;
}

static void help_free(view *vv)
{
	view_help *v = (view_help *)vv;
	free(v->lines);
	free(v);
}

const view_ops view_help_ops = {"help", help_draw, help_handle, help_free, NULL, NULL, NULL, NULL};

static void help_add(view_help *v, action act, const char *text)
{
	v->lines[v->n++] = (help_line){act, text};
}

view *view_help_new(app *a, view *of)
{
	(void)a;
	view_help *v = xcalloc(1, sizeof *v);
	v->v.ops = &view_help_ops;
	snprintf(v->v.title, sizeof v->v.title, "help");
	size_t n = 4;
	for (const view_key *k = of && of->ops->keys ? of->ops->keys : app_keys; k->act != ACT_NONE; k++)
		n++;
	for (const view_key *k = app_keys; k->act != ACT_NONE; k++)
		n++;
	v->lines = xcalloc(n, sizeof *v->lines);
	if (of && of->ops->keys) {
		snprintf(v->heading, sizeof v->heading, "In %s", of->title[0] ? of->title : of->ops->name);
		help_add(v, ACT_NONE, v->heading);
		for (const view_key *k = of->ops->keys; k->act != ACT_NONE; k++)
			help_add(v, k->act, k->help ? k->help : action_get(k->act)->help);
		help_add(v, ACT_NONE, "");
	}
	help_add(v, ACT_NONE, "Everywhere");
	for (const view_key *k = app_keys; k->act != ACT_NONE; k++)
		help_add(v, k->act, k->help ? k->help : action_get(k->act)->help);
	return &v->v;
}
