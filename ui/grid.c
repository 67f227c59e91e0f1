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

/* Column width of a code point: wcwidth, with unprintables (already escaped
 * away) and unknowns as 1. */
static int grid_cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	if (w < 0)
		return cp < 0x20 ? 0 : 1;
	return w;
}

/* Walks escaped, valid UTF-8 text; calls put for each character with its
 * bytes (base + combining marks) and width. Stops when put returns 0. */
typedef int (*grid_put_fn)(void *ctx, const char *p, size_t n, int w);

static void grid_walk(const char *s, size_t n, grid_put_fn put, void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = saex_utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			len = 1; /* cannot happen after escaping; be safe */
		int w = grid_cp_width(cp);
		size_t j = i + len;
		/* Attach the combining marks that follow. */
		while (j < n) {
			uint32_t c2;
			size_t l2 = saex_utf8_decode(p + j, n - j, &c2);
			if (l2 == 0 || grid_cp_width(c2) != 0 || j + l2 - i >= GRID_CELL_BYTES)
				break;
			j += l2;
		}
		if (w == 0)
			w = 1; /* a lone combining mark gets a column of its own */
		if (!put(ctx, (const char *)p + i, j - i, w))
			return;
		i = j;
	}
}

typedef struct grid_put_ctx {
	grid *g;
	int row, col, end, style, used;
} grid_put_ctx;

static int grid_put_cell(void *vctx, const char *p, size_t n, int w)
{
	grid_put_ctx *c = vctx;
	if (c->col + w > c->end)
		return 0;
	grid_cell *cell = grid_at(c->g, c->row, c->col);
	memcpy(cell->ch, p, n);
	cell->ch[n] = 0;
	cell->style = (uint8_t)c->style;
	if (w == 2) {
		grid_cell *right = grid_at(c->g, c->row, c->col + 1);
		right->ch[0] = 0;
		right->style = (uint8_t)c->style;
	}
	c->col += w;
	c->used += w;
	return 1;
}

int grid_text(grid *g, int row, int col, int maxw, int style, const char *s, size_t n,
              unsigned flags)
{
	if (row < 0 || row >= g->rows || col < 0 || col >= g->cols)
		return 0;
	int end = maxw < 0 || col + maxw > g->cols ? g->cols : col + maxw;
	sb esc = {0};
	esc_append(&esc, s, n, flags | (g->ascii ? SAEX_ESC_ASCII : 0));
	grid_put_ctx c = {g, row, col, end, style, 0};
	grid_walk(esc.p ? esc.p : "", esc.n, grid_put_cell, &c);
	sb_free(&esc);
	return c.used;
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

static int grid_count(void *ctx, const char *p, size_t n, int w)
{
	(void)p;
	(void)n;
	*(int *)ctx += w;
	return 1;
}

int grid_width(const grid *g, const char *s, size_t n, unsigned flags)
{
	sb esc = {0};
	esc_append(&esc, s, n, flags | (g->ascii ? SAEX_ESC_ASCII : 0));
	int w = 0;
	grid_walk(esc.p ? esc.p : "", esc.n, grid_count, &w);
	sb_free(&esc);
	return w;
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
