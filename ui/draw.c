/* draw.c - grids to the terminal through curses. Styles map to colour pairs
 * (256-colour heat scale, 8-colour fallback) or to attributes alone under
 * NO_COLOR or without colour. Nothing but grid cells (already escaped) and
 * saex's own sequences reaches the terminal. */
#include "config.h"
#include "draw.h"
#include "actions.h"
#include "util.h"

#include <curses.h>
#include <term.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static attr_t draw_attr[ST__COUNT];

static void draw_styles(int colors)
{
	static const int heat256[9] = {0, 230, 229, 223, 222, 216, 215, 209, 202};
	static const int heat8[9] = {0, COLOR_YELLOW, COLOR_YELLOW, COLOR_YELLOW, COLOR_YELLOW,
	                             COLOR_RED, COLOR_RED, COLOR_RED, COLOR_RED};
	for (int s = 0; s < ST__COUNT; s++)
		draw_attr[s] = A_NORMAL;
	draw_attr[ST_DIM] = A_DIM;
	draw_attr[ST_BOLD] = A_BOLD;
	draw_attr[ST_TITLE] = A_BOLD | A_UNDERLINE;
	draw_attr[ST_HEADER] = A_REVERSE;
	draw_attr[ST_SELECTED] = A_REVERSE;
	draw_attr[ST_STATUS] = A_NORMAL;
	draw_attr[ST_ERROR] = A_BOLD;
	draw_attr[ST_KEY] = A_BOLD;
	draw_attr[ST_LINK] = A_UNDERLINE;
	draw_attr[ST_MAXTOKEN] = A_BOLD | A_UNDERLINE | A_REVERSE;
	draw_attr[ST_CURSOR] = A_REVERSE | A_BLINK;
	draw_attr[ST_BAR] = A_NORMAL;
	for (int k = 1; k <= 8; k++)
		draw_attr[ST_HEAT0 + k] = k > 4 ? A_BOLD | A_UNDERLINE : A_UNDERLINE;
	if (!colors)
		return;
	short pair = 1;
	init_pair(pair, COLOR_RED, -1);
	draw_attr[ST_ERROR] = A_BOLD | COLOR_PAIR(pair++);
	init_pair(pair, COLOR_CYAN, -1);
	draw_attr[ST_KEY] = A_BOLD | COLOR_PAIR(pair++);
	init_pair(pair, COLOR_BLUE, -1);
	draw_attr[ST_LINK] = A_UNDERLINE | COLOR_PAIR(pair++);
	init_pair(pair, COLOR_GREEN, -1);
	draw_attr[ST_BAR] = COLOR_PAIR(pair++);
	for (int k = 1; k <= 8; k++) {
		init_pair(pair, COLOR_BLACK, (short)(colors >= 256 ? heat256[k] : heat8[k]));
		draw_attr[ST_HEAT0 + k] = COLOR_PAIR(pair++);
	}
	init_pair(pair, COLOR_BLACK, (short)(colors >= 256 ? 202 : COLOR_RED));
	draw_attr[ST_MAXTOKEN] = A_BOLD | A_UNDERLINE | COLOR_PAIR(pair++);
}

static SCREEN *draw_screen;

int draw_start(int *colors)
{
	if (!isatty(0) || !isatty(1))
		return -1;
	/* newterm, unlike initscr, reports an unusable terminal instead of
	 * exiting; a terminal that cannot move the cursor (TERM=dumb) cannot
	 * show the explorer either. */
	draw_screen = newterm(NULL, stdout, stdin);
	if (!draw_screen)
		return -1;
	set_term(draw_screen);
	const char *cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		endwin();
		delscreen(draw_screen);
		draw_screen = NULL;
		return -1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	const char *nc = getenv("NO_COLOR");
	*colors = 0;
	if (has_colors() && !(nc && *nc)) {
		start_color();
		use_default_colors();
		*colors = COLORS >= 256 ? 256 : 8;
	}
	draw_styles(*colors);
	return 0;
}

void draw_stop(void)
{
	if (!draw_screen)
		return;
	if (!isendwin())
		endwin();
	delscreen(draw_screen);
	draw_screen = NULL;
}

void draw_size(int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

void draw_grid(const grid *g)
{
	for (int r = 0; r < g->rows; r++) {
		move(r, 0);
		for (int c = 0; c < g->cols; c++) {
			const grid_cell *cell = &g->cell[(size_t)r * (size_t)g->cols + (size_t)c];
			if (!cell->ch[0])
				continue; /* right half of a wide character */
			attrset(draw_attr[cell->style < ST__COUNT ? cell->style : 0]);
			/* The last cell of the screen: curses would scroll on addstr. */
			if (r == g->rows - 1 && c == g->cols - 1)
				insstr(cell->ch);
			else
				addstr(cell->ch);
		}
	}
	attrset(A_NORMAL);
	refresh();
}

int draw_key(void)
{
	int k = getch();
	return k == ERR ? -1 : k;
}

int draw_key_poll(void)
{
	timeout(0);
	int k = getch();
	timeout(-1);
	return k == ERR ? -1 : k;
}

void draw_mouse(int on)
{
	static int state = -1;
	if (on == state)
		return;
	state = on;
	mousemask(on ? (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED)
	             : 0, NULL);
	mouseinterval(0);
}

int draw_mouse_event(int key, int *what, int *row, int *col)
{
	MEVENT ev;
	if (key != KEY_MOUSE || getmouse(&ev) != OK)
		return 0;
	*row = ev.y;
	*col = ev.x;
	if (ev.bstate & BUTTON4_PRESSED)
		*what = MOUSE_WHEEL_UP;
	else if (ev.bstate & BUTTON5_PRESSED)
		*what = MOUSE_WHEEL_DOWN;
	else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))
		*what = MOUSE_CLICK;
	else
		return 0;
	return 1;
}

int draw_resize_key(void)
{
	return KEY_RESIZE;
}

void draw_clipboard(const char *text)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text);
	sb b = {0};
	sb_adds(&b, "\033]52;c;");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
		             (i + 2 < n ? s[i + 2] : 0);
		sb_addc(&b, b64[v >> 18 & 63]);
		sb_addc(&b, b64[v >> 12 & 63]);
		sb_addc(&b, i + 1 < n ? b64[v >> 6 & 63] : '=');
		sb_addc(&b, i + 2 < n ? b64[v & 63] : '=');
	}
	sb_addc(&b, '\a');
	fflush(stdout);
	if (write(1, b.p, b.n) < 0) {
		/* the clipboard is a convenience: nothing to do */
	}
	sb_free(&b);
}
