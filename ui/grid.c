/* grid.c - see grid.h */
#include "config.h"
#include "grid.h"
#include "esc.h"
#include "saex.h"
#include "util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* A cell keeps its character and at most this many combining marks (what
 * curses keeps in one cell, CCHARW_MAX - 1); the marks after them are
 * dropped, so a cluster never spills into the next cell. */
#define GRID_MAX_MARKS 4
/* The base a combining mark with nothing before it is shown on. */
#define GRID_MARK_BASE "\xe2\x97\x8c" /* U+25CC DOTTED CIRCLE */

grid *grid_new(int rows, int cols, int ascii)
{
	grid *g = xcalloc(1, sizeof *g);
	g->rows = rows > 0 ? rows : 1;
	g->cols = cols > 0 ? cols : 1;
	g->ascii = ascii;
	g->cell = xcalloc((size_t)g->rows * (size_t)g->cols, sizeof *g->cell);
	grid_clear(g);
	return g;
}

void grid_free(grid *g)
{
	if (!g)
		return;
	free(g->cell);
	free(g);
}

void grid_clear(grid *g)
{
	for (int i = 0; i < g->rows * g->cols; i++) {
		g->cell[i].ch[0] = ' ';
		g->cell[i].ch[1] = 0;
		g->cell[i].style = ST_NORMAL;
	}
}

static grid_cell *grid_at(grid *g, int row, int col)
{
	return &g->cell[(size_t)row * (size_t)g->cols + (size_t)col];
}

/* Column width of a code point: wcwidth, with unprintables (escaped away,
 * but for a kept line break) and unknowns as 1. */
static int grid_cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

/* One character of escaped, valid UTF-8 text with its combining marks:
 * span bytes of the text, of which the first keep go into a cell (the base
 * and up to GRID_MAX_MARKS marks); w columns; lone: it starts with a mark. */
typedef struct grid_cluster {
	size_t span, keep;
	int w, lone;
} grid_cluster;

static grid_cluster grid_next(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	grid_cluster c = {1, 1, 1, 0};
	uint32_t cp;
	size_t len = saex_utf8_decode(p, n, &cp);
	if (len == 0)
		return c; /* cannot happen after escaping; be safe */
	c.w = grid_cp_width(cp);
	c.lone = c.w == 0;
	c.span = c.keep = c.lone ? 0 : len;
	int marks = 0;
	size_t room = GRID_CELL_BYTES - 1 - (c.lone ? sizeof GRID_MARK_BASE - 1 : 0);
	while (c.span < n) {
		uint32_t c2;
		size_t l2 = saex_utf8_decode(p + c.span, n - c.span, &c2);
		if (l2 == 0 || grid_cp_width(c2) != 0)
			break;
		if (marks < GRID_MAX_MARKS && c.keep + l2 <= room) {
			c.keep += l2;
			marks++;
		}
		c.span += l2;
	}
	if (c.w == 0)
		c.w = 1; /* a lone combining mark gets a column of its own */
	return c;
}

/* Puts one cluster into the cell at (row, col) (and its right half). */
static void grid_put_cluster(grid *g, int row, int col, int style, const char *p, grid_cluster c)
{
	grid_cell *cell = grid_at(g, row, col);
	size_t at = 0;
	if (c.lone) {
		memcpy(cell->ch, GRID_MARK_BASE, sizeof GRID_MARK_BASE - 1);
		at = sizeof GRID_MARK_BASE - 1;
	}
	memcpy(cell->ch + at, p, c.keep);
	cell->ch[at + c.keep] = 0;
	cell->style = (uint8_t)style;
	if (c.w == 2) {
		grid_cell *right = grid_at(g, row, col + 1);
		right->ch[0] = 0;
		right->style = (uint8_t)style;
	}
}

/* Marks a cut: the last column of [col0, end) shows the cut mark. */
static void grid_cut_mark(grid *g, int row, int col0, int end, int style)
{
	int x = end - 1;
	if (x < col0)
		return;
	grid_cell *cell = grid_at(g, row, x);
	if (!cell->ch[0] && x > 0) { /* the right half of a wide character */
		grid_cell *left = grid_at(g, row, x - 1);
		left->ch[0] = ' ';
		left->ch[1] = 0;
	}
	snprintf(cell->ch, sizeof cell->ch, "%s", g->ascii ? "~" : "\xe2\x80\xa6");
	cell->style = (uint8_t)style;
}

/* Writes escaped text at (row, col) within [col, end); marks a cut. Returns
 * the columns used. */
static int grid_put(grid *g, int row, int col, int end, int style, const char *s, size_t n)
{
	int x = col;
	size_t i = 0;
	while (i < n) {
		grid_cluster c = grid_next(s + i, n - i);
		if (x + c.w > end) {
			grid_cut_mark(g, row, col, end, style);
			return end - col;
		}
		grid_put_cluster(g, row, x, style, s + i, c);
		x += c.w;
		i += c.span;
	}
	return x - col;
}

/* The escaped form of n bytes at s, as the grid shows them. */
static void grid_escape(const grid *g, sb *out, const char *s, size_t n, unsigned flags)
{
	esc_append(out, s, n, flags | (g->ascii ? SAEX_ESC_ASCII : 0));
}

int grid_text(grid *g, int row, int col, int maxw, int style, const char *s, size_t n,
              unsigned flags)
{
	if (row < 0 || row >= g->rows || col < 0 || col >= g->cols || maxw == 0)
		return 0;
	int end = maxw < 0 || col + maxw > g->cols ? g->cols : col + maxw;
	sb esc = {0};
	grid_escape(g, &esc, s, n, flags & ~(unsigned)SAEX_ESC_NL_KEEP);
	int used = grid_put(g, row, col, end, style, esc.p ? esc.p : "", esc.n);
	sb_free(&esc);
	return used;
}

int grid_printf(grid *g, int row, int col, int maxw, int style, const char *fmt, ...)
{
	sb b = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	int w = grid_text(g, row, col, maxw, style, b.p ? b.p : "", b.n, 0);
	sb_free(&b);
	return w;
}

void grid_fill(grid *g, int row, int col, int w, int style)
{
	if (row < 0 || row >= g->rows)
		return;
	for (int c = col < 0 ? 0 : col; c < col + w && c < g->cols; c++) {
		grid_cell *cell = grid_at(g, row, c);
		cell->ch[0] = ' ';
		cell->ch[1] = 0;
		cell->style = (uint8_t)style;
	}
}

/* Width of escaped text. */
static int grid_esc_width(const char *s, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n;) {
		grid_cluster c = grid_next(s + i, n - i);
		w += c.w;
		i += c.span;
	}
	return w;
}

int grid_width(const grid *g, const char *s, size_t n, unsigned flags)
{
	sb esc = {0};
	grid_escape(g, &esc, s, n, flags & ~(unsigned)SAEX_ESC_NL_KEEP);
	int w = grid_esc_width(esc.p ? esc.p : "", esc.n);
	sb_free(&esc);
	return w;
}

/* The end of the row that starts at s0 in escaped text e (n bytes) within
 * width w: at a line break, else after the last space that fits (a word
 * longer than the row is broken). *next: where the next row starts. */
static size_t grid_row_end(const char *e, size_t n, size_t s0, int w, size_t *next)
{
	int x = 0;
	size_t i = s0, brk = 0;
	while (i < n) {
		if (e[i] == '\n') {
			*next = i + 1;
			return i;
		}
		grid_cluster c = grid_next(e + i, n - i);
		if (x + c.w > w && i > s0) {
			if (e[i] == ' ')
				brk = i + 1; /* the space that does not fit ends the row */
			if (brk > s0) {
				while (brk < n && e[brk] == ' ')
					brk++;
				*next = brk;
				while (brk > s0 && e[brk - 1] == ' ')
					brk--;
				return brk;
			}
			*next = i;
			return i;
		}
		x += c.w;
		i += c.span;
		if (e[i - 1] == ' ')
			brk = i;
	}
	*next = n;
	return n;
}

int grid_wrap(grid *g, const grid *m, int row, int col, int w, int maxrows, int style, const char *s,
              size_t n, unsigned flags, int *last_w)
{
	const grid *ref = g ? g : m;
	if (w < 1 || maxrows < 1)
		return 0;
	sb esc = {0};
	grid_escape(ref, &esc, s, n, flags);
	const char *e = esc.p ? esc.p : "";
	size_t at = 0;
	int r = 0, used = 0;
	while (r < maxrows && (at < esc.n || r == 0)) {
		size_t next, end = grid_row_end(e, esc.n, at, w, &next);
		used = grid_esc_width(e + at, end - at);
		if (g && row + r < g->rows) {
			used = grid_put(g, row + r, col, col + w, style, e + at, end - at);
			if (r == maxrows - 1 && next < esc.n) { /* more text than rows: mark the cut */
				grid_cut_mark(g, row + r, col, used < w ? col + used + 1 : col + w, style);
				used = used < w ? used + 1 : w;
			}
		}
		r++;
		at = next;
	}
	if (last_w)
		*last_w = used > w ? w : used;
	sb_free(&esc);
	return r;
}

char *grid_row_text(const grid *g, int row)
{
	sb b = {0};
	for (int c = 0; c < g->cols; c++)
		sb_adds(&b, g->cell[(size_t)row * (size_t)g->cols + (size_t)c].ch);
	if (!b.p)
		return xstrdup("");
	while (b.n && b.p[b.n - 1] == ' ')
		b.p[--b.n] = 0;
	return b.p;
}

int grid_style_at(const grid *g, int row, int col)
{
	return g->cell[(size_t)row * (size_t)g->cols + (size_t)col].style;
}
