/* widgets.h - pieces several views draw: heat styles and their legend, a
 * run of tokens coloured by activation, histograms, rows of labelled
 * values that flow onto as many rows as they need, and feature ids. All
 * write into a grid, or only measure when g is NULL (m then gives the
 * terminal's ASCII setting). */
#ifndef SAEX_UI_WIDGETS_H
#define SAEX_UI_WIDGETS_H

#include <stddef.h>
#include "grid.h"
#include "store.h"

/* The heat style of value relative to max: ST_NORMAL at or below 0, else
 * ST_HEAT0 + 1..8. */
int ui_heat(float value, double max);
/* The heat scale's legend on one row from col: what each colour means, as
 * a share of max. Returns the columns used. */
int ui_heat_legend(grid *g, int row, int col, double max);

/* Tokens [from, to) of tok/val from row `row`, wrapped at cols and
 * indented by 4, at most maxlines lines. Tokens read as their tokenizer
 * spells them (SAEX_ESC_TOKEN: U+2581 and U+0120 are spaces, ...); the
 * token at cursor in ST_CURSOR, the one at maxtok in ST_MAXTOKEN, others by
 * heat against max, and tokens that do not fire alternate ST_NORMAL and
 * ST_TOKEN_ALT so their boundaries show. keep_nl: a token holding a line
 * break ends its line (flags then lack SAEX_ESC_NL_ARROW). Draws only when
 * g is not NULL (m measures widths). Returns the lines used (at least 1). */
typedef struct ui_tokens_in {
	const store_str *tok;
	const float *val;
	long from, to, cursor, maxtok;
	double max;
	int maxlines, keep_nl;
	unsigned flags;
} ui_tokens_in;
int ui_tokens(grid *g, const grid *m, int row, int cols, const ui_tokens_in *in);

/* A histogram of heights h at values v (n bins) from row r over the width
 * cols: 4 rows of bars (each bin as many columns as fit) with the count
 * scale on the left, then a row with the first, middle and last bin's
 * values. When mark is a number, a row more puts a marker under the bin
 * holding it (the nearest bin's value) labelled label. Returns the rows
 * used. */
int ui_histogram(grid *g, int r, int cols, const float *h, const float *v, size_t n, double mark,
                 const char *label);

/* Labelled values in a row that wraps: each item is its text (tokens when
 * token is set) in its style, then a note in ST_DIM, items two columns
 * apart; a row that is full continues on the next one, indented by
 * indent. Returns the rows used. */
typedef struct ui_chip {
	const char *text;
	size_t len;
	int style, token;
	char note[32];
} ui_chip;
int ui_chips(grid *g, const grid *m, int row, int col, int cols, int indent, const ui_chip *c, size_t n);

/* A feature id as a view shows it: without the model (and the source)
 * when scope (may be NULL) already names them: "20-gemmascope-res-16k/13710"
 * or "13710" in the SAE's own views. Writes buf, returns it. */
const char *ui_id_text(const saex_fid *id, const saex_fid *scope, char *buf, size_t n);
/* Writes an id in at most w columns; one that does not fit is shortened
 * from the left ("\u2026res-16k/13710"), never at its end, since a cut end
 * names another feature. Returns the columns used. */
int ui_id(grid *g, int row, int col, int w, int style, const char *id);
/* The width of the column for ids: the longest of n (at least min, at most
 * max columns). */
int ui_id_width(const grid *g, const char *const *ids, size_t n, int min, int max);

#endif
