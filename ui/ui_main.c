/* ui_main.c - the explorer's main loop: render, draw, read a key, dispatch;
 * resize re-lays out; SIGINT/SIGTERM and errors restore the terminal. */
#include "config.h"
#include "app.h"
#include "draw.h"

#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static volatile sig_atomic_t ui_stop;

static void ui_on_signal(int sig)
{
	(void)sig;
	ui_stop = 1;
}

int ui_run(store *db, store_user *user, const char *db_path, const char *open_id)
{
	app *a = app_new(db, user, db_path);
	const char *cs = nl_langinfo(CODESET);
	a->ascii = !(cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0));
	app_push(a, db ? view_catalog_new(a) : view_empty_new(a));
	if (open_id && app_open_id(a, open_id) != 0 && !db) {
		app_free(a);
		return 1;
	}
	if (draw_start(&a->colors) != 0) {
		app_free(a);
		return UI_NO_TERMINAL;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	grid *g = NULL;
	int flags = H_REDRAW;
	while (!ui_stop) {
		int rows, cols;
		draw_size(&rows, &cols);
		if (!g || g->rows != rows || g->cols != cols) {
			grid_free(g);
			g = grid_new(rows, cols, a->ascii);
			flags |= H_REDRAW;
		}
		a->rows = rows;
		a->cols = cols;
		if (flags & H_REDRAW) {
			app_render(a, g);
			draw_grid(g);
		}
		draw_mouse(a->mouse);
		if (a->osc52) {
			draw_clipboard(a->osc52);
			free(a->osc52);
			a->osc52 = NULL;
		}
		int key = draw_key();
		if (key < 0) {
			if (ui_stop)
				break;
			continue;
		}
		if (key == draw_resize_key()) {
			flags = H_REDRAW;
			continue;
		}
		int what, mrow, mcol;
		if (draw_mouse_event(key, &what, &mrow, &mcol)) {
			flags = rows >= APP_MIN_ROWS && cols >= APP_MIN_COLS
			        ? app_mouse(a, what, mrow, mcol) : H_NONE;
			continue;
		}
		/* Below the minimum size only q works. */
		if (rows < APP_MIN_ROWS || cols < APP_MIN_COLS) {
			if (key == 'q')
				break;
			flags = H_REDRAW;
			continue;
		}
		flags = app_key(a, key);
		if (flags & H_QUIT)
			break;
	}
	draw_stop();
	grid_free(g);
	app_free(a);
	return 0;
}
