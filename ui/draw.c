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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bracketed paste (xterm's mode 2004): the terminal wraps pasted text in
 * ESC [ 200 ~ ... ESC [ 201 ~, so a paste is text, never keys. */
#define DRAW_PASTE_ON "\033[?2004h"
#define DRAW_PASTE_OFF "\033[?2004l"
#define DRAW_PASTE_END "\033[201~"
/* The key code curses gives for the paste's opening sequence. */
#define DRAW_KEY_PASTE (KEY_MAX + 1)

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
	draw_attr[ST_TOKEN_ALT] = A_NORMAL;
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
	/* a mid grey that reads on dark and light backgrounds; dim on 8 */
	if (colors >= 256) {
		init_pair(pair, 244, -1);
		draw_attr[ST_TOKEN_ALT] = COLOR_PAIR(pair++);
	} else {
		draw_attr[ST_TOKEN_ALT] = A_DIM;
	}
	for (int k = 1; k <= 8; k++) {
		init_pair(pair, COLOR_BLACK, (short)(colors >= 256 ? heat256[k] : heat8[k]));
		draw_attr[ST_HEAT0 + k] = COLOR_PAIR(pair++);
	}
	init_pair(pair, COLOR_BLACK, (short)(colors >= 256 ? 202 : COLOR_RED));
	draw_attr[ST_MAXTOKEN] = A_BOLD | A_UNDERLINE | COLOR_PAIR(pair++);
}

static SCREEN *draw_screen;
static void (*draw_curses_tstp)(int); /* curses' Ctrl-Z handler */

static void draw_raw(const char *seq)
{
	if (write(1, seq, strlen(seq)) < 0) {
		/* the terminal is gone: nothing to do */
	}
}

/* Ctrl-Z: bracketed paste off while stopped (the shell and what runs
 * meanwhile would get the markers), on again when continued. */
static void draw_on_tstp(int sig)
{
	draw_raw(DRAW_PASTE_OFF);
	if (draw_curses_tstp)
		draw_curses_tstp(sig);
	draw_raw(DRAW_PASTE_ON);
}

/* Keys terminals send that their terminfo entry may not name: Home and End
 * as tmux and rxvt send them under TERM=xterm-256color, so that they are
 * never read as Esc and letters. */
static void draw_define_keys(void)
{
	static const struct { const char *seq; int key; } keys[] = {
		{"\033[1~", KEY_HOME}, {"\033[4~", KEY_END}, {"\033[7~", KEY_HOME}, {"\033[8~", KEY_END},
		{"\033[H", KEY_HOME}, {"\033[F", KEY_END}, {"\033OH", KEY_HOME}, {"\033OF", KEY_END},
		{"\033[200~", DRAW_KEY_PASTE},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (key_defined(keys[i].seq) <= 0)
			define_key(keys[i].seq, keys[i].key);
}

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
	draw_define_keys();
	const char *nc = getenv("NO_COLOR");
	*colors = 0;
	if (has_colors() && !(nc && *nc)) {
		start_color();
		use_default_colors();
		*colors = COLORS >= 256 ? 256 : 8;
	}
	draw_styles(*colors);
	fflush(stdout);
	draw_raw(DRAW_PASTE_ON);
	struct sigaction sa, old;
	if (sigaction(SIGTSTP, NULL, &old) == 0 && old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL &&
	    !(old.sa_flags & SA_SIGINFO)) {
		draw_curses_tstp = old.sa_handler;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = draw_on_tstp;
		sa.sa_flags = old.sa_flags;
		sa.sa_mask = old.sa_mask;
		sigaction(SIGTSTP, &sa, NULL);
	}
	return 0;
}

void draw_stop(void)
{
	if (!draw_screen)
		return;
	fflush(stdout);
	draw_raw(DRAW_PASTE_OFF);
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
		for (int c = 0; c < g->cols; c++) {
			const grid_cell *cell = &g->cell[(size_t)r * (size_t)g->cols + (size_t)c];
			if (!cell->ch[0])
				continue; /* right half of a wide character */
			attrset(draw_attr[cell->style < ST__COUNT ? cell->style : 0]);
			/* Each cell at its own column: a character the terminal
			 * measures otherwise than wcwidth cannot shift the rest. The
			 * last cell of the screen: curses would scroll on addstr. */
			if (r == g->rows - 1 && c == g->cols - 1)
				mvinsstr(r, c, cell->ch);
			else
				mvaddstr(r, c, cell->ch);
		}
	}
	attrset(A_NORMAL);
	refresh();
}

static sb draw_pasted;
/* The most of a paste kept (more than a prompt holds); the rest is read
 * and dropped, so a huge paste costs no memory. */
#define DRAW_PASTE_MAX (1 << 20)

/* Appends n bytes to the paste, as far as DRAW_PASTE_MAX. */
static void draw_paste_add(const char *p, size_t n)
{
	if (draw_pasted.n + n <= DRAW_PASTE_MAX)
		sb_add(&draw_pasted, p, n);
}

/* Reads a bracketed paste's bytes up to its closing sequence (keypad off,
 * so nothing inside it becomes a key); a terminal that stops sending for a
 * second ends it too. */
static void draw_read_paste(void)
{
	static const char end[] = DRAW_PASTE_END;
	size_t matched = 0;
	sb_clear(&draw_pasted);
	keypad(stdscr, FALSE);
	timeout(1000);
	for (;;) {
		int c = getch();
		if (c == ERR)
			break;
		if ((char)c == end[matched]) {
			if (++matched == sizeof end - 1)
				break;
			continue;
		}
		draw_paste_add(end, matched); /* a partial match was text */
		matched = 0;
		char ch = (char)c;
		if (ch == end[0])
			matched = 1;
		else
			draw_paste_add(&ch, 1);
	}
	timeout(-1);
	keypad(stdscr, TRUE);
}

int draw_key(void)
{
	int k = getch();
	if (k == DRAW_KEY_PASTE) {
		draw_read_paste();
		return DRAW_PASTE;
	}
	return k == ERR ? -1 : k;
}

int draw_key_poll(void)
{
	timeout(0);
	int k = draw_key();
	timeout(-1);
	return k;
}

int draw_key_waiting(void)
{
	timeout(0);
	int k = getch();
	timeout(-1);
	if (k == ERR)
		return 0;
	ungetch(k);
	return 1;
}

const char *draw_paste_text(size_t *n)
{
	*n = draw_pasted.n;
	return draw_pasted.p ? draw_pasted.p : "";
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
