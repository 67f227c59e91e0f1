/* check_plot.c - headless render tests of the evaluation views: the
 * braille scatter plot (ui/plot.c) at 80x24 and 200x60 with points at
 * places computed here from plot.h's formula, the catalog's L0 and CE loss
 * recovered columns, the set's plot view with its table (view_evalplot.c)
 * and an SAE's page (view_sae.c). SAEX_DUMP=1 prints every screen. */
#include "config.h"
#include "testutil.h"
#include "app.h"
#include "plot.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dump(const grid *g)
{
	if (!getenv("SAEX_DUMP"))
		return;
	for (int r = 0; r < g->rows; r++) {
		char *t = grid_row_text(g, r);
		fprintf(stderr, "%2d|%s\n", r, t);
		free(t);
	}
}

/* Whether text holds a braille character (U+2800..U+28FF). */
static int has_braille(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)t[0] == 0xe2 && (unsigned char)t[1] >= 0xa0 && (unsigned char)t[1] <= 0xa3)
			return 1;
	return 0;
}

/* The UTF-8 of braille cell bits. */
static void braille(unsigned bits, char out[4])
{
	unsigned cp = 0x2800u + bits;
	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	out[3] = 0;
}

/* Where plot.h says (x, y) goes in a box: the cell and the dot's bit
 * (braille numbering: dots 1-3 and 7 down the left column, 4-6 and 8 down
 * the right). */
static void expect(const plot_spec *p, double x, double y, int *row, int *col, unsigned *bit)
{
	int h = p->rows - 2, w = p->cols - PLOT_YLAB - 1;
	double fx = (log10(x) - log10(p->x0)) / (log10(p->x1) - log10(p->x0));
	double fy = (p->y1 - y) / (p->y1 - p->y0);
	long px = lround(fx * (2 * w - 1)), py = lround(fy * (4 * h - 1));
	static const unsigned left[4] = {0x01, 0x02, 0x04, 0x40}, right[4] = {0x08, 0x10, 0x20, 0x80};
	*row = p->row + (int)(py / 4);
	*col = p->col + PLOT_YLAB + 1 + (int)(px / 2);
	*bit = px % 2 ? right[py % 4] : left[py % 4];
}

/* Three points at the corners and the middle of a box filling the grid
 * but its first and last rows. */
static void known_places(int rows, int cols)
{
	grid *g = grid_new(rows, cols, 0);
	plot_spec p = {1, 0, rows - 2, cols - 1, 10, 1000, 0, 1, 1, 1};
	plot_pt pts[3] = {{10, 0, 'a'}, {1000, 1, 'b'}, {100, 0.5, 'c'}};
	plot_cell at[3];
	plot_draw(g, &p, pts, 3, at);
	dump(g);
	for (int i = 0; i < 3; i++) {
		int r, c;
		unsigned bit;
		char want[4];
		expect(&p, pts[i].x, pts[i].y, &r, &c, &bit);
		braille(bit, want);
		ck_assert_int_eq(at[i].row, r);
		ck_assert_int_eq(at[i].col, c);
		ck_assert_str_eq(g->cell[r * g->cols + c].ch, want);
		ck_assert_int_eq(grid_style_at(g, r, c), i == 1 ? ST_SELECTED : ST_BOLD);
	}
	/* the corners: the bottom-left and top-right dots of the area */
	int h = p.rows - 2, w = p.cols - PLOT_YLAB - 1, c0 = PLOT_YLAB + 1;
	ck_assert_int_eq(at[0].row, 1 + h - 1);
	ck_assert_int_eq(at[0].col, c0);
	ck_assert_int_eq(at[1].row, 1);
	ck_assert_int_eq(at[1].col, c0 + w - 1);
	/* labels: right of a point, or left at the right edge */
	ck_assert_str_eq(g->cell[at[0].row * g->cols + at[0].col + 1].ch, "a");
	ck_assert_str_eq(g->cell[at[1].row * g->cols + at[1].col - 1].ch, "b");
	ck_assert_int_eq(grid_style_at(g, at[1].row, at[1].col - 1), ST_SELECTED);
	ck_assert_str_eq(g->cell[at[2].row * g->cols + at[2].col + 1].ch, "c");
	/* axes: y ticks 0.0 .. 1.0 at the first and last area rows, x ticks
	 * 10, 100, 1k under the area's first, middle and last columns */
	char *t = grid_row_text(g, 1);
	ck_assert_msg(!strncmp(t, "    1.0", 7), "%s", t);
	free(t);
	t = grid_row_text(g, h);
	ck_assert_msg(!strncmp(t, "    0.0", 7), "%s", t);
	free(t);
	t = grid_row_text(g, 1 + h + 1);
	ck_assert_msg(!strncmp(t + c0 - 1, "10", 2), "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "100"));
	ck_assert_msg(!strcmp(t + strlen(t) - 2, "1k"), "%s", t);
	free(t);
	t = grid_row_text(g, 1 + h);
	ck_assert_ptr_nonnull(strstr(t, "\xe2\x94\x94\xe2\x94\xac\xe2\x94\x80")); /* corner, tick, line */
	free(t);
	grid_free(g);
}

START_TEST(plot_80x24)
{
	known_places(24, 80);
}
END_TEST

START_TEST(plot_200x60)
{
	known_places(60, 200);
}
END_TEST

START_TEST(plot_shared_cells_and_ascii)
{
	/* two points in one cell share its braille character; without UTF-8
	 * points are 'o' and every cell is ASCII */
	grid *g = grid_new(24, 80, 0);
	plot_spec p = {0, 0, 20, 60, 1, 10, 0, 1, 1, -1};
	plot_pt pts[2] = {{1, 1, 'x'}, {1, 0.986, 'y'}}; /* dot rows 0 and 1 of 71 */
	plot_cell at[3];
	plot_draw(g, &p, pts, 2, at);
	ck_assert_int_eq(at[0].row, at[1].row);
	ck_assert_int_eq(at[0].col, at[1].col);
	char want[4];
	braille(0x01 | 0x02, want);
	ck_assert_str_eq(g->cell[at[0].row * g->cols + at[0].col].ch, want);
	grid_free(g);
	g = grid_new(24, 80, 1);
	plot_spec q = {0, 0, 20, 60, NAN, NAN, NAN, NAN, 1, 0};
	plot_pt pa[3] = {{17, 0.61, 'a'}, {150, 0.8, 'b'}, {850, 0.95, 'c'}};
	plot_draw(g, &q, pa, 3, at);
	ck_assert(q.x0 == 10 && q.x1 == 1000);
	ck_assert(q.y0 <= 0.61 && q.y1 >= 0.95 && q.y1 - q.y0 <= 0.5 + 1e-9);
	ck_assert_str_eq(g->cell[at[0].row * g->cols + at[0].col].ch, "o");
	for (int i = 0; i < g->rows * g->cols; i++)
		ck_assert_msg((unsigned char)g->cell[i].ch[0] < 0x80, "non-ASCII in an ASCII plot");
	/* a box too small draws nothing, NaN and x <= 0 points are not drawn */
	plot_spec tiny = {0, 0, 3, 8, 1, 10, 0, 1, 1, -1};
	plot_pt bad[2] = {{NAN, 0.5, 'n'}, {0, 0.5, 'z'}};
	plot_draw(g, &tiny, bad, 2, at);
	ck_assert_int_eq(at[0].row, -1);
	plot_spec ok = {0, 0, 10, 40, 1, 10, 0, 1, 1, -1};
	plot_draw(g, &ok, bad, 2, at);
	ck_assert_int_eq(at[0].row, -1);
	ck_assert_int_eq(at[1].row, -1);
	grid_free(g);
	double lo, hi, v1[] = {5, 5};
	plot_range(v1, 2, 1, &lo, &hi);
	ck_assert(lo == 1 && hi == 10);
}
END_TEST

/* ------------------------------------------------------------ views */

static const char *db_path;

/* One set of four SAEs, three evaluated (one twice), in a release; one
 * SAE of another set of the release, evaluated. */
static void make_db(void)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s", tu_path("plot.db"));
	db_path = path;
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, path, STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_begin(s, &e), 0);
	store_release_rec rel = {"scope-rel", "a test release", NULL, NULL, NULL};
	ck_assert_int_eq(store_put_release(s, &rel, &e), 0);
	store_set_rec set = {"m", "res", "scope-rel", NULL, NULL, NULL, NULL};
	ck_assert_int_eq(store_put_set(s, &set, &e), 0);
	store_set_rec set2 = {"m", "tc", "scope-rel", NULL, NULL, NULL, NULL};
	ck_assert_int_eq(store_put_set(s, &set2, &e), 0);
	static const char *const names[] = {"3-res", "5-res", "7-res", "9-res", "4-tc"};
	static const double l0[] = {20, 80, 320, NAN, 50}, ce[] = {0.7, 0.85, 0.95, NAN, 0.9};
	float dens[8] = {0, 0.5f, 0.01f, 0.001f, 0.2f, 0, 0.05f, 0.0001f};
	for (int i = 0; i < 5; i++) {
		store_source_rec sr = {"m", names[i], i == 4 ? "tc" : "res", "blocks.3.hook_resid_pre", NULL, NULL,
		                       NULL, NULL, -1, -1, 8};
		ck_assert_int_eq(store_put_source(s, &sr, &e), 0);
		int64_t src;
		ck_assert_int_eq(store_source_ensure(s, "m", names[i], &src, &e), 0);
		if (i == 3)
			continue;
		store_eval ev = {0};
		ev.origin = "saex";
		ev.corpus = i == 1 ? "web\x1b[2J.txt" : "web.txt";
		ev.created = "2025-01-02T03:04:05Z";
		ev.ctx = 128;
		for (size_t k = 0; k < saex_eval_n_metrics; k++)
			(&ev.m.l0)[k] = 0.5;
		ev.m.l0 = l0[i];
		ev.m.ce_loss_score = ce[i];
		ev.m.prompts = 64;
		ev.m.tokens = 8128;
		ev.m.d_sae = 8;
		ev.m.dead_features = 2;
		ev.m.dense_features = 2;
		ev.density = dens;
		ev.n_feat = 8;
		ck_assert_int_eq(store_eval_put(s, src, &ev, &e), 0);
		if (i == 0) { /* an older evaluation on another corpus */
			ev.corpus = "old.txt";
			ev.created = "2024-01-01T00:00:00Z";
			ev.m.l0 = 25;
			ev.density = NULL;
			ck_assert_int_eq(store_eval_put(s, src, &ev, &e), 0);
		}
	}
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
}

static app *open_app(int rows, int cols)
{
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, db_path, STORE_READ, &e), 0);
	app *a = app_new(s, NULL, db_path);
	a->rows = rows;
	a->cols = cols;
	app_push(a, view_catalog_new(a));
	return a;
}

/* Renders; finds text on any row (the row, or -1); checks that no cell
 * holds a control byte. */
static int find(app *a, grid *g, const char *text)
{
	app_render(a, g);
	dump(g);
	int found = -1;
	for (int r = 0; r < g->rows && found < 0; r++) {
		char *t = grid_row_text(g, r);
		if (strstr(t, text))
			found = r;
		for (const char *p = t; *p; p++)
			ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in a cell");
		free(t);
	}
	return found;
}

START_TEST(catalog_columns)
{
	make_db();
	app *a = open_app(24, 80);
	grid *g = grid_new(24, 80, 0);
	ck_assert_int_ge(find(a, g, "L0  CE rec."), 0);
	int r = find(a, g, "3-res");
	ck_assert_int_ge(r, 0);
	char *t = grid_row_text(g, r);
	ck_assert_msg(strstr(t, "      20    0.700"), "%s", t);
	free(t);
	t = grid_row_text(g, find(a, g, "9-res")); /* not evaluated: blank */
	ck_assert_msg(!strstr(t, "0."), "%s", t);
	free(t);
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(set_plot)
{
	make_db();
	for (int big = 0; big < 2; big++) {
		int rows = big ? 60 : 24, cols = big ? 200 : 80;
		app *a = open_app(rows, cols);
		grid *g = grid_new(rows, cols, 0);
		app_key(a, 'P'); /* from 3-res, the first SAE: its set */
		ck_assert_int_ge(find(a, g, "set res: L0 against CE loss recovered"), 0);
		ck_assert_int_ge(find(a, g, "4 SAEs, 3 evaluated (1 without an evaluation)"), 0);
		/* the table: by L0, the selected SAE (3-res) first */
		int r = find(a, g, "L0   CE rec.  expl.var");
		ck_assert_int_ge(r, 0);
		char *t = grid_row_text(g, r + 1);
		ck_assert_msg(strstr(t, " a  3-res") && strstr(t, "20    0.7000"), "%s", t);
		ck_assert_int_eq(grid_style_at(g, r + 1, 4), ST_SELECTED);
		free(t);
		t = grid_row_text(g, r + 3);
		ck_assert_msg(strstr(t, " c  7-res") && strstr(t, "320    0.9500"), "%s", t);
		free(t);
		/* the points: a at the left, c at the top right, labelled */
		ck_assert_int_ge(find(a, g, "c"), 0);
		int ra = -1, rc = -1;
		for (int i = 1; i < r; i++) {
			char *row = grid_row_text(g, i);
			if (has_braille(row) && strchr(row, 'a') && ra < 0)
				ra = i;
			if (has_braille(row) && strchr(row, 'c') && rc < 0)
				rc = i;
			free(row);
		}
		ck_assert_msg(rc >= 0 && ra > rc, "a below c: rows %d %d", ra, rc);
		/* Down selects b; Enter opens its page */
		app_key(a, 'j');
		app_render(a, g);
		ck_assert_int_eq(grid_style_at(g, r + 2, 4), ST_SELECTED);
		app_key(a, '\n');
		ck_assert_int_ge(find(a, g, "m/5-res  blocks.3.hook_resid_pre  8 features"), 0);
		ck_assert_int_ge(find(a, g, "web\\x1b[2J.txt"), 0); /* the corpus name, escaped */
		app_key(a, 0x107); /* Backspace: back to the plot */
		/* w: the release, with the mlp set's SAE */
		app_key(a, 'w');
		ck_assert_int_ge(find(a, g, "release scope-rel"), 0);
		ck_assert_int_ge(find(a, g, "5 SAEs, 4 evaluated"), 0);
		ck_assert_int_ge(find(a, g, "4-tc"), 0);
		grid_free(g);
		app_free(a);
	}
}
END_TEST

START_TEST(sae_page)
{
	make_db();
	app *a = open_app(24, 80);
	grid *g = grid_new(24, 80, 0);
	app_key(a, 'E');
	ck_assert_int_ge(find(a, g, "m/3-res  blocks.3.hook_resid_pre  8 features"), 0);
	ck_assert_int_ge(find(a, g, "evaluation 1 of 2: saex on web.txt: 64 prompts x 128, 8,128 tokens counted"), 0);
	ck_assert_int_ge(find(a, g, "sparsity"), 0);
	int r = find(a, g, "  l0 ");
	ck_assert_int_ge(r, 0);
	char *t = grid_row_text(g, r);
	ck_assert_msg(strstr(t, "20"), "%s", t);
	free(t);
	ck_assert_int_ge(find(a, g, "ce_loss_score"), 0);
	/* the list of evaluations, newest first */
	r = find(a, g, "evaluations (Up/Down shows one)");
	ck_assert_int_ge(r, 0);
	t = grid_row_text(g, r + 2);
	ck_assert_msg(strstr(t, "l0 25") && strstr(t, "2024-01-01  old.txt"), "%s", t);
	free(t);
	ck_assert_int_eq(grid_style_at(g, r + 1, 2), ST_SELECTED);
	/* further down: the histogram */
	app_key(a, 'G');
	ck_assert_int_ge(find(a, g, "feature density: log10"), 0);
	ck_assert_int_ge(find(a, g, "2 features with density 0 (dead) not shown"), 0);
	/* Down shows the older evaluation, which has no densities */
	app_key(a, 'g');
	app_key(a, 'j');
	ck_assert_int_ge(find(a, g, "evaluation 2 of 2: saex on old.txt"), 0);
	app_key(a, 'G');
	ck_assert_int_ge(find(a, g, "no feature densities"), 0);
	grid_free(g);
	/* 200 columns: metrics in two columns */
	grid *w = grid_new(60, 200, 0);
	a->rows = 60;
	a->cols = 200;
	r = find(a, w, "sparsity");
	ck_assert_int_ge(r, 0);
	t = grid_row_text(w, r);
	ck_assert_msg(strstr(t, "reconstruction_quality"), "%s", t);
	free(t);
	grid_free(w);
	/* an SAE without an evaluation says how to make one */
	app_free(a);
	a = open_app(24, 80);
	g = grid_new(24, 80, 0);
	for (int i = 0; i < 3; i++)
		app_key(a, 'j');
	app_key(a, 'E');
	ck_assert_int_ge(find(a, g, "m/9-res"), 0);
	ck_assert_int_ge(find(a, g, "No evaluation of this SAE yet"), 0);
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(small_terminals)
{
	/* the smallest usable terminal and a little more: every view renders
	 * within the grid (valgrind and ASan watch the writes) */
	make_db();
	static const int size[][2] = {{10, 40}, {11, 41}, {12, 60}, {24, 79}};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(size); i++) {
		app *a = open_app(size[i][0], size[i][1]);
		grid *g = grid_new(size[i][0], size[i][1], i % 2);
		ck_assert_int_ge(find(a, g, "3-res"), 0);
		app_key(a, 'E');
		ck_assert_int_ge(find(a, g, "m/3-res"), 0);
		app_key(a, 'G');
		find(a, g, "");
		app_key(a, 'P');
		ck_assert_int_ge(find(a, g, "3 evaluated"), 0);
		app_key(a, 'j');
		app_key(a, 'w');
		find(a, g, "");
		grid_free(g);
		app_free(a);
	}
}
END_TEST

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	Suite *s = suite_create("plot");
	TCase *tc = tcase_create("plot");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, plot_80x24);
	tcase_add_test(tc, plot_200x60);
	tcase_add_test(tc, plot_shared_cells_and_ascii);
	tcase_add_test(tc, catalog_columns);
	tcase_add_test(tc, set_plot);
	tcase_add_test(tc, sae_page);
	tcase_add_test(tc, small_terminals);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
