/* plot.h - a scatter plot drawn into a grid with braille dots (2 x 4 dots
 * a cell; ASCII 'o' a cell when the terminal is not UTF-8), with axes, tick
 * labels and a one-character label beside each point.
 *
 * Layout of the box (row, col, rows, cols): the y axis's tick labels in
 * the first PLOT_YLAB columns and its line in the next, the x axis's line
 * and tick labels in the last two rows; the rest is the plotting area.
 * Dot (px, py) of the area, px in [0, 2 W), py in [0, 4 H) from the top
 * left, shows a point at
 *   px = round((t(x) - t(x0)) / (t(x1) - t(x0)) * (2 W - 1)),
 *   py = round((y1 - y) / (y1 - y0) * (4 H - 1)),
 * t = log10 on a log axis, else the identity; points outside the ranges
 * are clamped to the edge. A label goes in the cell right of its point's
 * cell when that is free (no dot, no label), else left of it, else above
 * or below, else nowhere (the table beside a plot names every point). The
 * selected point's cell and label are drawn ST_SELECTED.
 *
 * Ownership: the caller's; nothing is kept. */
#ifndef SAEX_UI_PLOT_H
#define SAEX_UI_PLOT_H

#include <stddef.h>
#include "grid.h"

#define PLOT_YLAB 7   /* columns of the y axis's tick labels */

typedef struct plot_pt {
	double x, y;
	char label;       /* printable ASCII, or 0 for none */
} plot_pt;

typedef struct plot_spec {
	int row, col, rows, cols;   /* the box, axes included */
	double x0, x1, y0, y1;      /* the ranges; NaN: chosen from the points */
	int xlog;                   /* x on a log10 scale (x > 0) */
	int sel;                    /* the selected point, or -1 */
} plot_spec;

/* Where a point landed: its cell (grid row, col); row -1 when not drawn
 * (a NaN, or x <= 0 on a log axis). */
typedef struct plot_cell {
	int row, col;
} plot_cell;

/* Draws n points; fills at[0..n) when not NULL. The ranges used are
 * written back into *p (NaN ones filled). Needs rows >= 4 and
 * cols >= PLOT_YLAB + 4; a smaller box draws nothing. */
void plot_draw(grid *g, plot_spec *p, const plot_pt *pts, size_t n, plot_cell *at);

/* The nice ranges plot_draw chooses: for a log axis whole decades around
 * the values (one decade at least), else a multiple of a round step
 * (1, 2 or 5 x 10^k) around them, a little wider than they are. */
void plot_range(const double *v, size_t n, int log, double *lo, double *hi);

#endif
