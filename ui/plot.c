/* plot.c - a scatter plot in braille dots (plot.h). */
#include "config.h"
#include "plot.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The braille dot of (dx, dy) within a cell: dx 0..1, dy 0..3 (U+2800 +
 * the bits of the raised dots). */
static const unsigned char plot_dot[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};

static double plot_t(double v, int log)
{
	return log ? log10(v) : v;
}

static int plot_usable(double v, int log)
{
	return isfinite(v) && (!log || v > 0);
}

/* 1, 2 or 5 x 10^k, the smallest at least raw. */
static double plot_nice(double raw)
{
	double p = pow(10, floor(log10(raw))), m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

void plot_range(const double *v, size_t n, int log, double *lo, double *hi)
{
	double mn = INFINITY, mx = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (plot_usable(v[i], log)) {
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
		}
	if (mn > mx) {
		*lo = log ? 1 : 0;
		*hi = log ? 1000 : 1;
		return;
	}
	if (log) {
		*lo = pow(10, floor(log10(mn)));
		*hi = pow(10, ceil(log10(mx)));
		if (*hi <= *lo)
			*hi = *lo * 10;
		return;
	}
	double span = mx - mn;
	if (span == 0)
		span = fabs(mx) > 0 ? fabs(mx) * 0.1 : 1;
	double step = plot_nice(span / 4);
	*lo = floor((mn - span * 0.05) / step) * step;
	*hi = ceil((mx + span * 0.05) / step) * step;
}

/* The plotting area of a box: its first cell and size in cells. */
typedef struct plot_area {
	int r0, c0, h, w;
	double tx0, tx1, y0, y1;
	int xlog;
} plot_area;

/* A value's dot column / row in the area (clamped to it). */
static int plot_px(const plot_area *a, double x)
{
	double f = (plot_t(x, a->xlog) - a->tx0) / (a->tx1 - a->tx0);
	int px = (int)lround(f * (2 * a->w - 1));
	return px < 0 ? 0 : px > 2 * a->w - 1 ? 2 * a->w - 1 : px;
}

static int plot_py(const plot_area *a, double y)
{
	double f = (a->y1 - y) / (a->y1 - a->y0);
	int py = (int)lround(f * (4 * a->h - 1));
	return py < 0 ? 0 : py > 4 * a->h - 1 ? 4 * a->h - 1 : py;
}

static void plot_put(grid *g, int row, int col, int style, const char *s)
{
	grid_text(g, row, col, 1, style, s, strlen(s), 0);
}

/* "10", "200", "1k", "50k", "1M". */
static void plot_short(char *buf, size_t n, double v)
{
	if (v >= 1e6)
		snprintf(buf, n, "%gM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%gk", v / 1e3);
	else
		snprintf(buf, n, "%g", v);
}

static void plot_yaxis(grid *g, const plot_area *a)
{
	const char *line = g->ascii ? "|" : "\xe2\x94\x82", *tick = g->ascii ? "+" : "\xe2\x94\xa4";
	for (int r = 0; r < a->h; r++)
		plot_put(g, a->r0 + r, a->c0 - 1, ST_DIM, line);
	double step = plot_nice((a->y1 - a->y0) / (a->h >= 6 ? a->h / 3 : 2));
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	for (double v = ceil(a->y0 / step - 1e-9) * step; v <= a->y1 + step * 1e-6; v += step) {
		int r = a->r0 + plot_py(a, v) / 4;
		plot_put(g, r, a->c0 - 1, ST_DIM, tick);
		grid_printf(g, r, a->c0 - 1 - (PLOT_YLAB - 1), PLOT_YLAB - 1, ST_DIM, "%*.*f", PLOT_YLAB - 1, dec,
		            fabs(v) < step * 1e-6 ? 0.0 : v);
	}
}

/* The x axis's tick values: decades on a log axis (with 2 and 5 times them
 * when it spans under two), else round steps. */
static size_t plot_xticks(const plot_area *a, double *v, size_t max)
{
	size_t n = 0;
	if (!a->xlog) {
		double step = plot_nice((a->tx1 - a->tx0) / (a->w >= 24 ? a->w / 12 : 2));
		for (double x = ceil(a->tx0 / step - 1e-9) * step; x <= a->tx1 + step * 1e-6 && n < max; x += step)
			v[n++] = x;
		return n;
	}
	int fine = a->tx1 - a->tx0 < 2 - 1e-9;
	for (double k = floor(a->tx0); k <= ceil(a->tx1) && n < max; k++) {
		static const double mult[] = {1, 2, 5};
		for (int m = 0; m < (fine ? 3 : 1) && n < max; m++) {
			double x = mult[m] * pow(10, k), t = log10(x);
			if (t >= a->tx0 - 1e-9 && t <= a->tx1 + 1e-9)
				v[n++] = x;
		}
	}
	return n;
}

static void plot_xaxis(grid *g, const plot_area *a)
{
	int r = a->r0 + a->h;
	plot_put(g, r, a->c0 - 1, ST_DIM, g->ascii ? "+" : "\xe2\x94\x94");
	for (int c = 0; c < a->w; c++)
		plot_put(g, r, a->c0 + c, ST_DIM, g->ascii ? "-" : "\xe2\x94\x80");
	double v[64];
	size_t n = plot_xticks(a, v, SAEX_ARRAY_LEN(v));
	int free_from = a->c0 - 1 - PLOT_YLAB - 1; /* labels must not touch */
	for (size_t i = 0; i < n; i++) {
		int c = a->c0 + plot_px(a, v[i]) / 2;
		plot_put(g, r, c, ST_DIM, g->ascii ? "+" : "\xe2\x94\xac");
		char buf[32];
		if (a->xlog)
			plot_short(buf, sizeof buf, v[i]);
		else
			snprintf(buf, sizeof buf, "%g", v[i]);
		int len = (int)strlen(buf), at = c - len / 2;
		if (at + len > a->c0 + a->w)
			at = a->c0 + a->w - len;
		if (at <= free_from)
			continue;
		grid_printf(g, r + 1, at, len, ST_DIM, "%s", buf);
		free_from = at + len;
	}
}

/* Is cell (r, c) of the area free for a label? */
static int plot_free(const plot_area *a, const unsigned char *dots, const char *labels, int r, int c)
{
	return r >= 0 && r < a->h && c >= 0 && c < a->w && !dots[r * a->w + c] && !labels[r * a->w + c];
}

/* Labels beside their points' cells: right, left, above, below. The
 * selected point's first, so it keeps its label. */
static void plot_labels(const plot_area *a, const plot_spec *p, const plot_pt *pts, size_t n, const plot_cell *at,
                        const unsigned char *dots, char *labels, int *owner)
{
	static const int dr[] = {0, 0, -1, 1}, dc[] = {1, -1, 0, 0};
	for (size_t k = 0; k < n; k++) {
		size_t i = p->sel >= 0 ? (k == 0 ? (size_t)p->sel : k <= (size_t)p->sel ? k - 1 : k) : k;
		if (i >= n || !pts[i].label || at[i].row < 0)
			continue;
		int r = at[i].row - a->r0, c = at[i].col - a->c0;
		for (int d = 0; d < 4; d++)
			if (plot_free(a, dots, labels, r + dr[d], c + dc[d])) {
				labels[(r + dr[d]) * a->w + c + dc[d]] = pts[i].label;
				owner[(r + dr[d]) * a->w + c + dc[d]] = (int)i;
				break;
			}
	}
}

/* The dots' and labels' cells into the grid. */
static void plot_cells(grid *g, const plot_area *a, const plot_spec *p, const plot_cell *at, size_t n,
                       const unsigned char *dots, const char *labels, const int *owner)
{
	for (int r = 0; r < a->h; r++)
		for (int c = 0; c < a->w; c++) {
			size_t k = (size_t)r * (size_t)a->w + (size_t)c;
			if (dots[k]) {
				int sel = p->sel >= 0 && (size_t)p->sel < n && at[p->sel].row == a->r0 + r &&
				          at[p->sel].col == a->c0 + c;
				char s[4] = {'o', 0, 0, 0};
				if (!g->ascii) {
					unsigned cp = 0x2800u + dots[k];
					s[0] = (char)(0xe0 | (cp >> 12));
					s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
					s[2] = (char)(0x80 | (cp & 0x3f));
				}
				plot_put(g, a->r0 + r, a->c0 + c, sel ? ST_SELECTED : ST_BOLD, s);
			} else if (labels[k]) {
				char s[2] = {labels[k], 0};
				plot_put(g, a->r0 + r, a->c0 + c, owner[k] == p->sel ? ST_SELECTED : ST_KEY, s);
			}
		}
}

void plot_draw(grid *g, plot_spec *p, const plot_pt *pts, size_t n, plot_cell *at)
{
	plot_area a = {p->row, p->col + PLOT_YLAB + 1, p->rows - 2, p->cols - PLOT_YLAB - 1, 0, 0, 0, 0, p->xlog};
	for (size_t i = 0; at && i < n; i++)
		at[i].row = at[i].col = -1;
	if (a.h < 2 || a.w < 3)
		return;
	double *xs = xmalloc((n ? n : 1) * sizeof *xs), *ys = xmalloc((n ? n : 1) * sizeof *ys);
	for (size_t i = 0; i < n; i++) {
		xs[i] = pts[i].x;
		ys[i] = pts[i].y;
	}
	double lo, hi;
	if (isnan(p->x0) || isnan(p->x1)) {
		plot_range(xs, n, p->xlog, &lo, &hi);
		p->x0 = isnan(p->x0) ? lo : p->x0;
		p->x1 = isnan(p->x1) ? hi : p->x1;
	}
	if (isnan(p->y0) || isnan(p->y1)) {
		plot_range(ys, n, 0, &lo, &hi);
		p->y0 = isnan(p->y0) ? lo : p->y0;
		p->y1 = isnan(p->y1) ? hi : p->y1;
	}
	free(xs);
	free(ys);
	a.tx0 = plot_t(p->x0, p->xlog);
	a.tx1 = plot_t(p->x1, p->xlog);
	a.y0 = p->y0;
	a.y1 = p->y1;
	if (!(a.tx1 > a.tx0) || !(a.y1 > a.y0))
		return;
	size_t cells = (size_t)a.h * (size_t)a.w;
	unsigned char *dots = xcalloc(cells, 1);
	char *labels = xcalloc(cells, 1);
	int *owner = xcalloc(cells, sizeof *owner);
	plot_cell *where = xcalloc(n ? n : 1, sizeof *where);
	for (size_t i = 0; i < n; i++) {
		where[i].row = -1;
		if (!plot_usable(pts[i].x, p->xlog) || !isfinite(pts[i].y))
			continue;
		int px = plot_px(&a, pts[i].x), py = plot_py(&a, pts[i].y);
		dots[(py / 4) * a.w + px / 2] |= plot_dot[px % 2][py % 4];
		where[i] = (plot_cell){a.r0 + py / 4, a.c0 + px / 2};
	}
	plot_yaxis(g, &a);
	plot_xaxis(g, &a);
	plot_labels(&a, p, pts, n, where, dots, labels, owner);
	plot_cells(g, &a, p, where, n, dots, labels, owner);
	if (at)
		memcpy(at, where, n * sizeof *at);
	free(where);
	free(dots);
	free(labels);
	free(owner);
}
