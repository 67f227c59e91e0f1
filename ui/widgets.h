/* widgets.h - pieces several views draw: heat styles, a run of tokens
 * coloured by activation, and the activation histogram. All write into a
 * grid (or only measure when g is NULL). */
#ifndef SAEX_UI_WIDGETS_H
#define SAEX_UI_WIDGETS_H

#include <stddef.h>
#include "grid.h"
#include "store.h"

/* The heat style of value relative to max: ST_NORMAL at or below 0, else
 * ST_HEAT0 + 1..8. */
int ui_heat(float value, double max);

/* Tokens [from, to) of tok/val from row `row`, wrapped at cols and
 * indented by 4, at most maxlines lines; the token at cursor in
 * ST_CURSOR, the one at maxtok in ST_MAXTOKEN, others by heat against max.
 * keep_nl: a token holding a line break ends its line (flags then lack
 * SAEX_ESC_NL_ARROW). Draws only when g is not NULL (m measures widths).
 * Returns the lines used (at least 1). */
typedef struct ui_tokens_in {
	const store_str *tok;
	const float *val;
	long from, to, cursor, maxtok;
	double max;
	int maxlines, keep_nl;
	unsigned flags;
} ui_tokens_in;
int ui_tokens(grid *g, const grid *m, int row, int cols, const ui_tokens_in *in);

/* The histogram of heights h at values v (n bins) in 4 rows of bars and a
 * row of the first and last bin's values, from row r, column 2. When mark
 * is a number, a fifth row puts a marker under the bin holding it (the
 * nearest bin's value) labelled label. Returns the rows used. */
int ui_histogram(grid *g, int r, int cols, const float *h, const float *v, size_t n, double mark,
                 const char *label);

#endif
