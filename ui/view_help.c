/* view_help.c - the keys, generated from the action table. */
#include "config.h"
#include "app.h"

#include <stdlib.h>
#include <string.h>

typedef struct view_help {
	view v;
	int top;
} view_help;

static void help_draw(view *vv, app *a, grid *g, int top, int height)
{
	view_help *v = (view_help *)vv;
	(void)a;
	grid_printf(g, top, 0, -1, ST_TITLE, "Keys (q or Backspace to leave)");
	int n = ACT__COUNT - 1;
	if (v->top > n - (height - 1))
		v->top = n - (height - 1) > 0 ? n - (height - 1) : 0;
	for (int i = 0; i < height - 1 && v->top + i < n; i++) {
		const action_info *ai = action_get((action)(v->top + i + 1));
		grid_text(g, top + 1 + i, 2, 22, ST_KEY, ai->keys, strlen(ai->keys), 0);
		grid_text(g, top + 1 + i, 25, -1, ST_NORMAL, ai->help, strlen(ai->help), 0);
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
	int r = list_move(act, &sel, ACT__COUNT - 1, a->rows - 4);
	v->top = sel;
	return r;
}

static void help_free(view *v)
{
	free(v);
}

static const view_ops help_ops = {"help", help_draw, help_handle, help_free, NULL, NULL};

view *view_help_new(app *a)
{
	(void)a;
	view_help *v = xcalloc(1, sizeof *v);
	v->v.ops = &help_ops;
	snprintf(v->v.title, sizeof v->v.title, "help");
	return &v->v;
}
