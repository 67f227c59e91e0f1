/* view_empty.c - the screen shown without a database: how to make one. */
#include "config.h"
#include "app.h"

#include <stdlib.h>

static void ev_draw(view *v, app *a, grid *g, int top, int height)
{
	(void)v;
	(void)a;
	static const char *const lines[] = {
		"No database is open.",
		"",
		"saex browses SQLite copies of Neuronpedia's SAE exports. Make one with",
		"",
		"  saex import features.db EXPORT-FOLDER",
		"",
		"where EXPORT-FOLDER is a Neuronpedia bulk export <modelId>/<sourceId>/",
		"(or a folder of them), then open it with",
		"",
		"  saex features.db",
		"",
		"saex --help and man saex tell more. Press q to quit.",
	};
	for (int i = 0; i < height && i < (int)SAEX_ARRAY_LEN(lines); i++)
		grid_printf(g, top + 1 + i, 2, -1, i == 0 ? ST_TITLE : ST_NORMAL, "%s", lines[i]);
}

static int ev_handle(view *v, app *a, action act)
{
	(void)v;
	(void)a;
	(void)act;
	return H_NONE;
}

static void ev_free(view *v)
{
	free(v);
}

const view_ops view_empty_ops = {"empty", ev_draw, ev_handle, ev_free, NULL, NULL, NULL, NULL};

view *view_empty_new(app *a)
{
	(void)a;
	view *v = xcalloc(1, sizeof *v);
	v->ops = &view_empty_ops;
	snprintf(v->title, sizeof v->title, "no database");
	return v;
}
