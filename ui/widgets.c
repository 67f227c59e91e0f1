/* widgets.c - heat styles, coloured token runs and histograms. */
#include "config.h"
#include "widgets.h"
#include "saex.h"

#include <math.h>
#include <string.h>

int ui_heat(float value, double max)
{
	if (!(value > 0) || !(max > 0))
		return ST_NORMAL;
	int k = (int)ceil(value / max * 8);
	return ST_HEAT0 + (k < 1 ? 1 : k > 8 ? 8 : k);
}

int ui_tokens(grid *g, const grid *m, int row, int cols, const ui_tokens_in *in)
{
	int line = 0, col = 4;
	for (long i = in->from; i < in->to && line < in->maxlines; i++) {
		const store_str *t = &in->tok[i];
		int w = grid_width(m ? m : g, t->p, t->n, in->flags);
		if (col + w > cols && col > 4) {
			line++;
			col = 4;
			if (line >= in->maxlines)
				break;
		}
		if (g) {
			int st = i == in->cursor ? ST_CURSOR : i == in->maxtok ? ST_MAXTOKEN : ui_heat(in->val[i], in->max);
			grid_text(g, row + line, col, cols - col, st, t->p, t->n, in->flags);
		}
		col += w;
		if (in->keep_nl && memchr(t->p, '\n', t->n)) {
			line++;
			col = 4;
		}
	}
	int used = line + (col > 4 ? 1 : 0);
	return used > 0 ? used : 1;
}

int ui_histogram(grid *g, int r, int cols, const float *h, const float *v, size_t n, double mark,
                 const char *label)
{
	static const char *const blocks[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	                                     "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char *const ascii[] = {" ", ".", ".", ":", ":", "|", "|", "#", "#"};
	int r0 = r;
	if (!n) {
		if (g)
			grid_printf(g, r, 2, -1, ST_DIM, "(none)");
		return 1;
	}
	float mx = 0;
	for (size_t i = 0; i < n; i++)
		mx = h[i] > mx ? h[i] : mx;
	for (int level = 3; level >= 0; level--, r++) {
		for (size_t i = 0; g && i < n && (int)i + 2 < cols; i++) {
			int e8 = mx > 0 ? (int)lround(h[i] / mx * 32) - level * 8 : 0;
			if (h[i] > 0 && level == 0 && e8 < 1)
				e8 = 1;
			e8 = e8 < 0 ? 0 : e8 > 8 ? 8 : e8;
			const char *b = g->ascii ? ascii[e8] : blocks[e8];
			grid_text(g, r, 2 + (int)i, 1, ST_BAR, b, strlen(b), 0);
		}
	}
	if (g)
		grid_printf(g, r, 2, -1, ST_DIM, "%-10.3g%*s%.3g", (double)v[0], (int)n - 13 > 1 ? (int)n - 13 : 1, "",
		            (double)v[n - 1]);
	r++;
	if (!isnan(mark)) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (fabs(v[i] - mark) < fabs(v[best] - mark))
				best = i;
		if (g) {
			int x = 2 + (int)best;
			const char *up = g->ascii ? "^" : "\xe2\x96\xb2";
			grid_text(g, r, x, 1, ST_MAXTOKEN, up, strlen(up), 0);
			grid_text(g, r, x + 2, cols - x - 2, ST_MAXTOKEN, label, strlen(label), 0);
		}
		r++;
	}
	return r - r0;
}
