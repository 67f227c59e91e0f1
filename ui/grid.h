/* grid.h - the screen model: rows of cells that views fill and that only
 * draw.c turns into curses calls, so views render headless in tests.
 *
 * Text put into a grid is untrusted: grid_text escapes control bytes, C1
 * controls, format characters and invalid UTF-8 (saex_escape), measures
 * width in columns (wcwidth: CJK and emoji take two, combining marks none)
 * and clips without cutting a character; text that does not fit ends with
 * a cut mark (U+2026, "~" on ASCII terminals) in its last column. A cell
 * holds one character's UTF-8 bytes with at most 4 combining marks after it
 * (further marks are dropped; a mark with no character before it is shown
 * on U+25CC), or is the right half of a wide one.
 *
 * Ownership: the grid owns its cells; grid_row_text returns a string the
 * caller frees. */
#ifndef SAEX_GRID_H
#define SAEX_GRID_H

#include <stddef.h>
#include <stdint.h>

/* Styles: draw.c maps each to colours and attributes for the terminal. */
typedef enum {
	ST_NORMAL, ST_DIM, ST_BOLD, ST_TITLE, ST_HEADER, ST_SELECTED, ST_STATUS, ST_ERROR,
	ST_KEY, ST_LINK, ST_MAXTOKEN, ST_CURSOR, ST_BAR,
	ST_TOKEN_ALT, /* every other token that does not fire, so boundaries show */
	ST_HEAT0, /* ST_HEAT0 + k, k = 1..8: activation strength k/8 */
	ST__COUNT = ST_HEAT0 + 9
} grid_style;

#define GRID_CELL_BYTES 16

typedef struct grid_cell {
	char ch[GRID_CELL_BYTES]; /* NUL-terminated UTF-8; "" for a wide char's right half */
	uint8_t style;
} grid_cell;

typedef struct grid {
	int rows, cols;
	int ascii;              /* the terminal is not UTF-8: escape non-ASCII */
	grid_cell *cell;        /* rows * cols */
} grid;

grid *grid_new(int rows, int cols, int ascii);
void grid_free(grid *g);
void grid_clear(grid *g);

/* Writes text at (row, col) in style, at most maxw columns (-1: to the
 * edge), on one row (SAEX_ESC_NL_KEEP is ignored). flags: SAEX_ESC_* for
 * saex_escape. Returns the columns used. */
int grid_text(grid *g, int row, int col, int maxw, int style, const char *s, size_t n,
              unsigned flags);
/* printf-style convenience for text saex itself makes (still escaped). */
int grid_printf(grid *g, int row, int col, int maxw, int style, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Fills columns [col, col+w) of row with spaces in style. */
void grid_fill(grid *g, int row, int col, int w, int style);
/* Width in columns of text once escaped as grid_text would show it. */
int grid_width(const grid *g, const char *s, size_t n, unsigned flags);
/* Prose: text wrapped at spaces (a longer word is broken) into rows
 * [row, row + maxrows) of the column [col, col + w); with SAEX_ESC_NL_KEEP a
 * line break starts a row. Text beyond the last row is cut with the mark.
 * Draws when g is not NULL, else only measures (m gives the terminal's
 * ASCII setting). Returns the rows used (at least 1); *last_w (may be
 * NULL) the columns the last row uses. */
int grid_wrap(grid *g, const grid *m, int row, int col, int w, int maxrows, int style, const char *s,
              size_t n, unsigned flags, int *last_w);

/* Row as plain UTF-8 (trailing spaces trimmed), for tests. Caller frees. */
char *grid_row_text(const grid *g, int row);
/* The style of the cell at (row, col). */
int grid_style_at(const grid *g, int row, int col);

#endif
