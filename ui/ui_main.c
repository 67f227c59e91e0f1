/* ui_main.c - the explorer's main loop: render, draw, read a key, dispatch;
 * resize re-lays out; SIGINT/SIGTERM/SIGHUP restore the terminal, then end
 * saex by the same signal. Ctrl-Z (SIGTSTP) is curses' own handler: the
 * terminal is restored while stopped and the screen redrawn on fg. */
#include "config.h"
#include "app.h"
#include "draw.h"

#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static volatile sig_atomic_t ui_stop; /* the signal that ends the explorer */

static void ui_on_signal(int sig)
{
	/* Stopped with Ctrl-Z and then killed in the background (the shell's
	 * kill %1 sends SIGTERM, then SIGCONT): the terminal was restored at the
	 * stop and now belongs to the shell; touching it again would only stop
	 * saex once more (SIGTTOU). End at once, by the signal itself. */
	pid_t fg = tcgetpgrp(STDIN_FILENO);
	if (fg > 0 && fg != getpgrp()) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	ui_stop = sig;
}

int ui_run(store *db, store_user *user, const char *user_why, const char *db_path, const char *open_id)
{
	app *a = app_new(db, user, db_path);
	if (!user && user_why)
		app_status(a, 1, "stars, lists and the steering log are off: %s", user_why);
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
		/* Keys that came together (a paste without brackets, typing
		 * ahead) are all handled before the next frame. */
		if ((flags & H_REDRAW) && !draw_key_waiting()) {
			app_render(a, g);
			draw_grid(g);
			flags = 0;
		}
		draw_mouse(a->mouse);
		if (a->osc52) {
			draw_clipboard(a->osc52);
			free(a->osc52);
			a->osc52 = NULL;
		}
		/* A view with work under way (a steering run) does a step between
		 * keys, and reads a key only when one is waiting. */
		view *tv = app_top(a);
		int busy = tv && tv->ops->tick && !a->prompting && tv->ops->tick(tv, a);
		int key = busy ? draw_key_poll() : draw_key();
		if (busy && key < 0) {
			flags |= H_REDRAW;
			continue;
		}
		if (key < 0) {
			if (ui_stop)
				break;
			continue;
		}
		if (key == draw_resize_key()) {
			flags |= H_REDRAW;
			continue;
		}
		int what, mrow, mcol;
		if (draw_mouse_event(key, &what, &mrow, &mcol)) {
			flags |= rows >= APP_MIN_ROWS && cols >= APP_MIN_COLS ? app_mouse(a, what, mrow, mcol) : H_NONE;
			continue;
		}
		if (key == DRAW_PASTE) {
			size_t n;
			const char *text = draw_paste_text(&n);
			flags |= app_paste(a, text, n);
			continue;
		}
		/* Below the minimum size only q works. */
		if (rows < APP_MIN_ROWS || cols < APP_MIN_COLS) {
			if (key == 'q')
				break;
			flags |= H_REDRAW;
			continue;
		}
		int r = app_key(a, key);
		if (r & H_QUIT)
			break;
		flags |= r;
	}
	draw_stop();
	grid_free(g);
	app_free(a);
	if (ui_stop) {
		/* The terminal is restored: now die of the signal, so that the
		 * shell (and a script around saex) sees it, as with any program. */
		int sig = ui_stop;
		signal(sig, SIG_DFL);
		raise(sig);
		return 128 + sig;
	}
	return 0;
}
