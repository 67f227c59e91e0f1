/* widgets.c - heat styles, coloured token runs, histograms, chips, ids. */
#include "config.h"
#include "widgets.h"
#include "cli.h"
#include "esc.h"
#include "saex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ui_heat(float value, double max)
{
	if (!(value > 0) || !(max > 0))
		return ST_NORMAL;
	int k = (int)ceil(value / max * 8);
	return ST_HEAT0 + (k < 1 ? 1 : k > 8 ? 8 : k);
}

int ui_heat_legend(grid *g, int row, int col, double max)
{
	int x = col + grid_printf(g, row, col, -1, ST_DIM, "colours: activation / max %.3f  ", max);
	for (int k = 1; k <= 8; k++)
		x += grid_printf(g, row, x, -1, ST_HEAT0 + k, "%4d%%", (k * 100 + 4) / 8);
	return x - col;
}

/* The style of tokens [i, j): the cursor's, the max token's, else the
 * hottest of them (boundaries shown by ST_TOKEN_ALT on every other one). */
static int ui_token_style(const ui_tokens_in *in, long i, long j)
{
	int st = ST_NORMAL;
	for (long k = i; k < j; k++) {
		if (k == in->cursor)
			return ST_CURSOR;
		if (k == in->maxtok)
			st = ST_MAXTOKEN;
		else if (st != ST_MAXTOKEN && ui_heat(in->val[k], in->max) > st)
			st = ui_heat(in->val[k], in->max);
	}
	return st == ST_NORMAL && i % 2 ? ST_TOKEN_ALT : st;
}

int ui_tokens(grid *g, const grid *m, int row, int cols, const ui_tokens_in *in)
{
	const grid *ref = g ? g : m;
	unsigned flags = in->flags | SAEX_ESC_TOKEN;
	int line = 0, col = 4;
	sb buf = {0};
	for (long i = in->from, j; i < in->to && line < in->maxlines; i = j) {
		j = cli_token_group(in->tok, i, in->to, &buf);
		int w = grid_width(ref, buf.p, buf.n, flags);
		if (col + w > cols && col > 4) {
			line++;
			col = 4;
			if (line >= in->maxlines)
				break;
		}
		if (g)
			grid_text(g, row + line, col, cols - col, ui_token_style(in, i, j), buf.p, buf.n, flags);
		col += w;
		if (in->keep_nl && esc_token_breaks_line(buf.p, buf.n)) {
			line++;
			col = 4;
		}
	}
	sb_free(&buf);
	int used = line + (col > 4 ? 1 : 0);
	return used > 0 ? used : 1;
}

/* A count in at most 6 columns: 950, 12,345, 123.4k, 1.2M. */
static void ui_count(char *buf, size_t n, double v)
{
	if (v < 100000)
		cli_thousands((int64_t)llround(v), buf, n);
	else if (v < 1e6)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else
		snprintf(buf, n, "%.1fM", v / 1e6);
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
	if (!g)
		return 5 + !isnan(mark);
	char top[32];
	int lw = 8, x0 = 2 + lw; /* "   4,412 |": the count scale, 6 columns at most */
	int room = cols - x0 - 1;
	if (room < 1)
		room = 1;
	/* every column of the room (6 a bin at most): column c shows the bins
	 * [c n / ncol, (c + 1) n / ncol), one bin over a column or two when
	 * the room is wider, several bins summed when it is narrower */
	int ncol = room < (int)n * 6 ? room : (int)n * 6;
	float *col = malloc((size_t)ncol * sizeof *col), peak = 0;
	if (!col)
		return 5 + !isnan(mark);
	for (int c = 0; c < ncol; c++) {
		size_t b0 = (size_t)c * n / (size_t)ncol, b1 = (size_t)(c + 1) * n / (size_t)ncol;
		col[c] = 0;
		for (size_t b = b0; b < (b1 > b0 ? b1 : b0 + 1); b++)
			col[c] += h[b];
		peak = col[c] > peak ? col[c] : peak;
	}
	ui_count(top, sizeof top, peak);
	const char *axis = g->ascii ? "|" : "\xe2\x94\xa4";
	for (int level = 3; level >= 0; level--, r++) {
		grid_printf(g, r, 2, lw - 1, ST_DIM, "%*s", lw - 2, level == 3 ? top : level == 0 ? "0" : "");
		grid_text(g, r, x0 - 1, 1, ST_DIM, axis, strlen(axis), 0);
		for (int c = 0; c < ncol; c++) {
			float hv = col[c];
			int e8 = peak > 0 ? (int)lround(hv / peak * 32) - level * 8 : 0;
			if (hv > 0 && level == 0 && e8 < 1)
				e8 = 1;
			e8 = e8 < 0 ? 0 : e8 > 8 ? 8 : e8;
			const char *b = g->ascii ? ascii[e8] : blocks[e8];
			grid_text(g, r, x0 + c, 1, ST_BAR, b, strlen(b), 0);
		}
	}
	free(col);
	/* values under the first, middle and last bins */
	int span = ncol;
	char lo[32], mid[32], hi[32];
	snprintf(lo, sizeof lo, "%.3g", (double)v[0]);
	snprintf(mid, sizeof mid, "%.3g", (double)v[n / 2]);
	snprintf(hi, sizeof hi, "%.3g", (double)v[n - 1]);
	grid_printf(g, r, x0, -1, ST_DIM, "%s", lo);
	int hx = x0 + span - (int)strlen(hi);
	int mx0 = x0 + span / 2 - (int)strlen(mid) / 2;
	if (mx0 > x0 + (int)strlen(lo) + 1 && mx0 + (int)strlen(mid) + 1 < hx)
		grid_printf(g, r, mx0, -1, ST_DIM, "%s", mid);
	if (hx > x0 + (int)strlen(lo))
		grid_printf(g, r, hx, -1, ST_DIM, "%s", hi);
	r++;
	if (!isnan(mark)) {
		size_t best = 0;
		for (size_t i = 1; i < n; i++)
			if (fabs(v[i] - mark) < fabs(v[best] - mark))
				best = i;
		int x = x0;
		for (int c = 0; c < ncol; c++) { /* the first column showing best's bin */
			size_t b0 = (size_t)c * n / (size_t)ncol, b1 = (size_t)(c + 1) * n / (size_t)ncol;
			if (best >= b0 && best < (b1 > b0 ? b1 : b0 + 1)) {
				x = x0 + c;
				break;
			}
		}
		const char *up = g->ascii ? "^" : "\xe2\x96\xb2";
		grid_text(g, r, x, 1, ST_MAXTOKEN, up, strlen(up), 0);
		grid_text(g, r, x + 2, cols - x - 2, ST_MAXTOKEN, label, strlen(label), 0);
		r++;
	}
	return r - r0;
}

int ui_chips(grid *g, const grid *m, int row, int col, int cols, int indent, const ui_chip *c, size_t n)
{
	const grid *ref = g ? g : m;
	int x = col, r = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned flags = c[i].token ? SAEX_ESC_TOKEN | SAEX_ESC_NL_ARROW : SAEX_ESC_NL_ARROW;
		int tw = grid_width(ref, c[i].text, c[i].len, flags);
		int w = tw + (c[i].note[0] ? 1 + (int)strlen(c[i].note) : 0);
		if (x + w > cols && x > indent) {
			r++;
			x = indent;
		}
		if (g) {
			grid_text(g, row + r, x, cols - x, c[i].style, c[i].text, c[i].len, flags);
			if (c[i].note[0])
				grid_printf(g, row + r, x + tw + 1, cols - x - tw - 1, ST_DIM, "%s", c[i].note);
		}
		x += w + 2;
	}
	return r + 1;
}

const char *ui_id_text(const saex_fid *id, const saex_fid *scope, char *buf, size_t n)
{
	int same_model = scope && scope->model[0] && !strcmp(scope->model, id->model);
	if (same_model && scope->source[0] && !strcmp(scope->source, id->source))
		snprintf(buf, n, "%lld", (long long)id->index);
	else if (same_model)
		snprintf(buf, n, "%s/%lld", id->source, (long long)id->index);
	else
		saex_fid_format(id, buf, n);
	return buf;
}

int ui_id(grid *g, int row, int col, int w, int style, const char *id)
{
	size_t len = strlen(id);
	if (w <= 0)
		return 0;
	if (grid_width(g, id, len, 0) <= w)
		return grid_text(g, row, col, w, style, id, len, 0);
	/* ids are ASCII (saex_fid_valid_name): a column a byte */
	const char *mark = g->ascii ? "~" : "\xe2\x80\xa6";
	int x = grid_text(g, row, col, 1, style, mark, strlen(mark), 0);
	size_t keep = (size_t)(w - 1) < len ? (size_t)(w - 1) : len;
	return x + grid_text(g, row, col + x, w - x, style, id + len - keep, keep, 0);
}

int ui_id_width(const grid *g, const char *const *ids, size_t n, int min, int max)
{
	int w = min;
	for (size_t i = 0; i < n; i++) {
		int k = grid_width(g, ids[i], strlen(ids[i]), 0);
		w = k > w ? k : w;
	}
	return w < max ? w : max;
}
