/* check_ui.c - headless render tests of the explorer's views: a database
 * made here, views rendered into grids of fixed size, rows read back. */
#include "config.h"
#include "testutil.h"
#include "app.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

static const char *db_path;

/* One SAE with three features; feature 7 has hostile text everywhere. */
static void make_db(void)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s", tu_path("ui.db"));
	db_path = path;
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, path, STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_begin(s, &e), 0);
	int64_t src;
	int added;
	ck_assert_int_eq(store_source_ensure(s, "gpt2-small", "9-res-jb", &src, &e), 0);
	float h[] = {8, 4, 2, 1}, hv[] = {1, 2, 3, 4}, pv[] = {0.5f, 0.25f};
	store_str pos[] = {{" bridge", 7}, {"\x1b]52;c;aGk=\x07", 12}};
	store_str toks[] = {{" The", 4}, {" Golden", 7}, {" Gate", 5}, {"\x1b[6n", 4},
	                    {"\xc2\x9b" "2J", 4}, {"\n", 1}, {" \xe6\xa1\xa5", 4}};
	float vals[] = {0, 2.5f, 10, 0, 1, 0, 5};
	for (int64_t i = 5; i <= 7; i++) {
		uint32_t cos_idx[] = {5, 6};
		float cos_v[] = {0.9f, 0.8f};
		store_feature_in f = {.index = i, .max_act = 10, .frac_nonzero = 0.001 * (double)i,
		                      .freq_h = h, .freq_v = hv, .n_freq = 4, .pos_str = pos,
		                      .pos_v = pv, .n_pos = 2, .cos_idx = cos_idx, .cos_v = cos_v,
		                      .n_cos = i == 7 ? 2 : 0};
		ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
		store_act_in a = {i, toks, vals, 7, 10, 0, 2, -1, 10, -1, NULL, 0, 0};
		ck_assert_int_eq(store_put_activation(s, src, &a, &added, &e), 0);
		const char *d = i == 7 ? " the \x1b[2J Golden Gate \xc2\x9d" "0;x" : " rivers";
		store_expl_in x = {i, d, "oai_token-act-pair", "gpt-4o-mini", NULL, 0};
		ck_assert_int_eq(store_put_explanation(s, src, &x, &added, &e), 0);
	}
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
}

static app *open_app(void)
{
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, db_path, STORE_READ, &e), 0);
	app *a = app_new(s, NULL, db_path);
	a->rows = 24;
	a->cols = 80;
	app_push(a, view_catalog_new(a));
	return a;
}

/* Renders and returns row r (caller frees); also checks that no cell holds
 * a control byte or a C1 control. */
static char *render_row(app *a, grid *g, int r)
{
	app_render(a, g);
	for (int i = 0; i < g->rows * g->cols; i++) {
		for (const unsigned char *p = (const unsigned char *)g->cell[i].ch; *p; p++) {
			ck_assert_msg(*p >= 0x20 && *p != 0x7f, "control byte %02x in a cell", *p);
			ck_assert_msg(!(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f), "C1 in a cell");
		}
	}
	return grid_row_text(g, r);
}

/* Renders once and looks for text on any row. */
static int screen_has(app *a, grid *g, const char *text)
{
	char *t = render_row(a, g, 0);
	int found = strstr(t, text) != NULL;
	free(t);
	for (int r = 1; r < g->rows && !found; r++) {
		t = grid_row_text(g, r);
		found = strstr(t, text) != NULL;
		free(t);
	}
	return found;
}

START_TEST(catalog_and_list)
{
	make_db();
	app *a = open_app();
	grid *g = grid_new(24, 80, 0);
	char *t = render_row(a, g, 0);
	ck_assert_ptr_nonnull(strstr(t, " saex ui.db  catalog"));
	ck_assert_ptr_nonnull(strstr(t, "? help"));
	free(t);
	t = render_row(a, g, 2);
	ck_assert_str_eq(t, "gpt2-small");
	free(t);
	t = render_row(a, g, 4);
	ck_assert_str_eq(t, "    9-res-jb                                                         3         3");
	free(t);
	t = render_row(a, g, 22);
	ck_assert_str_eq(t, "gpt2-small/9-res-jb");
	free(t);
	ck_assert_int_eq(grid_style_at(g, 4, 4), ST_SELECTED);
	/* Enter: the feature list */
	ck_assert_int_ne(app_key(a, '\n') & H_REDRAW, 0);
	t = render_row(a, g, 0);
	ck_assert_ptr_nonnull(strstr(t, "gpt2-small/9-res-jb  3 of 3 features by index"));
	free(t);
	t = render_row(a, g, 2);
	ck_assert_str_eq(t, "       5   0.5000%    10.00    rivers");
	free(t);
	/* the hostile explanation, escaped */
	t = render_row(a, g, 4);
	ck_assert_str_eq(t, "       7   0.7000%    10.00    the \\x1b[2J Golden Gate \\u009d0;x");
	free(t);
	/* sort by density: 7 comes first, the selection stays on 5 */
	app_key(a, 'o');
	t = render_row(a, g, 2);
	ck_assert_ptr_nonnull(strstr(t, "       7 "));
	free(t);
	ck_assert(screen_has(a, g, "sorted by density"));
	/* filter by text */
	app_key(a, 'f');
	for (const char *k = "golden"; *k; k++)
		app_key(a, *k);
	ck_assert(screen_has(a, g, "filter (empty: all): golden"));
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "1 of 3 features by density"));
	ck_assert(screen_has(a, g, "       7   0.7000%"));
	ck_assert(!screen_has(a, g, "       5   0.5000%"));
	/* / in the list searches that SAE */
	app_key(a, '/');
	ck_assert(screen_has(a, g, "search gpt2-small/9-res-jb:"));
	for (const char *k = "rivers"; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "search \"rivers\" in gpt2-small/9-res-jb"));
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/5"));
	/* w widens the scope: the model, then everything */
	app_key(a, 'w');
	ck_assert(screen_has(a, g, "search \"rivers\" in gpt2-small "));
	app_key(a, 'w');
	ck_assert(!screen_has(a, g, "search \"rivers\" in"));
	ck_assert(screen_has(a, g, "2 results"));
	app_key(a, 'w');
	ck_assert(screen_has(a, g, "already searching everything"));
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(dashboard)
{
	make_db();
	app *a = open_app();
	grid *g = grid_new(30, 80, 0);
	ck_assert_int_eq(app_open_id(a, "gpt2-small@9-res-jb:7"), 0);
	char *t = render_row(a, g, 1);
	ck_assert_str_eq(t, "gpt2-small/9-res-jb/7  https://neuronpedia.org/gpt2-small/9-res-jb/7");
	free(t);
	t = render_row(a, g, 2);
	ck_assert_str_eq(t, "density 0.7%   max activation 10.000");
	free(t);
	ck_assert(screen_has(a, g, "the \\x1b[2J Golden Gate \\u009d0;x  (oai_token-act-pair, gpt-4o-mini)"));
	ck_assert(screen_has(a, g, "Positive logits  bridge +0.50  \\x1b]52;c;aGk=\\x07 +0.25"));
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/5"));
	ck_assert(screen_has(a, g, "cosine 0.900"));
	ck_assert(screen_has(a, g, "1. max 10.000 at token 2 - top activations"));
	/* tokens: escapes visible, the newline as an arrow, a wide character */
	ck_assert(screen_has(a, g, " The Golden Gate\\x1b[6n\\u009b2J\xe2\x86\xb5 \xe6\xa1\xa5"));
	/* the max token is marked (cursor starts on it) and heat-coloured */
	int found = 0;
	for (int r = 0; r < g->rows; r++) {
		char *row = render_row(a, g, r);
		char *at = strstr(row, " Gate\\x1b");
		if (at) {
			/* column of " Gate" (all ASCII before it on this row) */
			int col = (int)(at - row);
			ck_assert_int_eq(grid_style_at(g, r, col), ST_CURSOR);
			ck_assert_int_eq(grid_style_at(g, r, col - 3), ST_HEAT0 + 2); /* 2.5 / 10 */
			found = 1;
		}
		free(row);
	}
	ck_assert(found);
	/* token cursor: Right moves to the next token and says its value */
	app_key(a, 0x105 /* KEY_RIGHT */);
	ck_assert(screen_has(a, g, "token 3 \"\\x1b[6n\" = 0.000 (0% of max)"));
	/* line breaks kept: the newline splits the example */
	app_key(a, 'N');
	ck_assert(screen_has(a, g, "line breaks kept"));
	ck_assert(!screen_has(a, g, "\xe2\x86\xb5 \xe6\xa1\xa5"));
	/* context modes cycle */
	app_key(a, 'c');
	ck_assert(screen_has(a, g, "Top examples (1, stacked)"));
	/* similar feature: move up to it, Enter opens it; Backspace returns */
	app_key(a, 'k');
	app_key(a, '\n');
	t = render_row(a, g, 1);
	ck_assert_str_eq(t, "gpt2-small/9-res-jb/6  https://neuronpedia.org/gpt2-small/9-res-jb/6");
	free(t);
	app_key(a, 0x107 /* KEY_BACKSPACE */);
	t = render_row(a, g, 1);
	ck_assert_ptr_nonnull(strstr(t, "9-res-jb/7"));
	free(t);
	/* next / previous replace the dashboard */
	app_key(a, 'p');
	t = render_row(a, g, 1);
	ck_assert_ptr_nonnull(strstr(t, "9-res-jb/6 "));
	free(t);
	app_key(a, 'p');
	app_key(a, 'p');
	ck_assert(screen_has(a, g, "no feature gpt2-small/9-res-jb/4"));
	/* copy: an OSC 52 request for draw.c, holding only the id and URL */
	app_key(a, 'y');
	ck_assert_str_eq(a->osc52, "gpt2-small/9-res-jb/5 https://neuronpedia.org/gpt2-small/9-res-jb/5");
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(search_help_command)
{
	make_db();
	app *a = open_app();
	grid *g = grid_new(24, 80, 0);
	app_key(a, '/');
	for (const char *k = "gate"; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "search \"gate\""));
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/7"));
	ck_assert(screen_has(a, g, "1 result"));
	app_key(a, '\n');
	/* the dashboard, scrolled so the first example shows whole */
	ck_assert(screen_has(a, g, "saex ui.db  gpt2-small/9-res-jb/7"));
	ck_assert(screen_has(a, g, "1. max 10.000 at token 2 - top activations"));
	/* help lists every action, from the table */
	app_key(a, '?');
	ck_assert(screen_has(a, g, "Keys (q or Backspace to leave)"));
	ck_assert(screen_has(a, g, "Backspace Esc h"));
	ck_assert(screen_has(a, g, "Quit saex"));
	app_key(a, 'q');
	ck_assert(!screen_has(a, g, "Keys (q or"));
	/* the command line */
	app_key(a, ':');
	for (const char *k = "open gpt2-small/9-res-jb/6"; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	char *t = render_row(a, g, 1);
	ck_assert_ptr_nonnull(strstr(t, "9-res-jb/6 "));
	free(t);
	app_key(a, ':');
	for (const char *k = "open nope/1/x"; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "bad feature index"));
	app_key(a, ':');
	app_key(a, 'q');
	ck_assert_int_ne(app_key(a, '\n') & H_QUIT, 0);
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(lists)
{
	make_db();
	app *a = open_app();
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_user_open(&a->user, tu_path("user.db"), &e), 0);
	grid *g = grid_new(30, 100, 0);
	ck_assert_int_eq(app_open_id(a, "gpt2-small/9-res-jb/7"), 0);
	app_key(a, 's');
	ck_assert(screen_has(a, g, "starred"));
	app_key(a, 'a');
	ck_assert(screen_has(a, g, "add to list: notes"));
	app_key(a, 0x15); /* C-u clears */
	for (const char *k = "bridges"; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	for (const char *k = "tall, red; \xc2\x9b" "2J"; *k; k++)
		app_key(a, (unsigned char)*k); /* a C1 control, as UTF-8 */
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "added to list bridges"));
	app_key(a, 'L');
	ck_assert(screen_has(a, g, "(starred)                                       1"));
	ck_assert(screen_has(a, g, "bridges                                         1"));
	app_key(a, 'j');
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "list bridges"));
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/7"));
	ck_assert(screen_has(a, g, "tall, red; \\u009b2J"));
	app_key(a, 'e');
	ck_assert(screen_has(a, g, "export to CSV file: bridges.csv"));
	app_key(a, 0x15);
	const char *out = tu_path("bridges.csv");
	for (const char *k = out; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "wrote 1 feature to"));
	char *csv = tu_read(out, NULL);
	ck_assert_ptr_nonnull(csv);
	ck_assert_ptr_nonnull(strstr(csv, "modelId,layer,index,url,note,added\n\"gpt2-small\",\"9-res-jb\",\"7\","
	                                  "\"https://neuronpedia.org/gpt2-small/9-res-jb/7\",\"tall, red; "));
	free(csv);
	/* Enter on the item opens its dashboard */
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "max activation 10.000"));
	grid_free(g);
	app_free(a);
}
END_TEST

/* A list's CSV never goes over the export or the per-user database. */
START_TEST(lists_export_not_over_inputs)
{
	make_db();
	app *a = open_app();
	saex_err e = {{0}, 0};
	const char *udb = tu_path("user-e.db");
	char upath[1024];
	snprintf(upath, sizeof upath, "%s", udb);
	ck_assert_int_eq(store_user_open(&a->user, upath, &e), 0);
	grid *g = grid_new(30, 100, 0);
	ck_assert_int_eq(app_open_id(a, "gpt2-small/9-res-jb/7"), 0);
	app_key(a, 's');
	app_key(a, 'L');
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/7"));
	app_key(a, 'e');
	app_key(a, 0x15);
	for (const char *k = upath; *k; k++)
		app_key(a, *k);
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "(an input of this command)"));
	grid_free(g);
	app_free(a);
	store_user *u;
	ck_assert_int_eq(store_user_open(&u, upath, &e), 0);
	saex_fid id = {"gpt2-small", "9-res-jb", 7};
	ck_assert_int_eq(store_user_starred(u, &id), 1);
	store_user_close(u);
}
END_TEST

START_TEST(mouse)
{
	make_db();
	app *a = open_app();
	grid *g = grid_new(24, 80, 0);
	app_key(a, 'M');
	ck_assert_int_eq(a->mouse, 1);
	ck_assert(screen_has(a, g, "mouse on"));
	/* click the SAE line (screen row 4): it is selected, so it opens */
	app_mouse(a, MOUSE_CLICK, 4, 10);
	ck_assert(screen_has(a, g, "3 of 3 features by index"));
	/* click the third feature: selected; again: opened */
	app_mouse(a, MOUSE_CLICK, 4, 10);
	char *t = render_row(a, g, 4);
	ck_assert_int_eq(grid_style_at(g, 4, 0), ST_SELECTED);
	free(t);
	app_mouse(a, MOUSE_CLICK, 4, 10);
	ck_assert(screen_has(a, g, "saex ui.db  gpt2-small/9-res-jb/7"));
	/* the wheel moves the selection in the dashboard */
	app_mouse(a, MOUSE_WHEEL_UP, 10, 10);
	app_key(a, 0x107 /* KEY_BACKSPACE */);
	app_mouse(a, MOUSE_WHEEL_UP, 10, 10);
	t = render_row(a, g, 2);
	ck_assert_int_eq(grid_style_at(g, 2, 0), ST_SELECTED);
	free(t);
	/* clicks on headers or the status line do nothing */
	ck_assert_int_eq(app_mouse(a, MOUSE_CLICK, 1, 5), H_NONE);
	ck_assert_int_eq(app_mouse(a, MOUSE_CLICK, 23, 5), H_NONE);
	app_key(a, 'M');
	ck_assert_int_eq(a->mouse, 0);
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(small_and_ascii)
{
	make_db();
	app *a = open_app();
	grid *g = grid_new(5, 30, 0);
	char *t = render_row(a, g, 0);
	ck_assert_str_eq(t, "Terminal too small: 30x5");
	free(t);
	t = render_row(a, g, 1);
	ck_assert_str_eq(t, "saex needs at least 40x10.");
	free(t);
	grid_free(g);
	/* a terminal without UTF-8: everything non-ASCII escaped */
	g = grid_new(30, 80, 1);
	app_open_id(a, "gpt2-small/9-res-jb/7");
	ck_assert(screen_has(a, g, "\\u2581") || screen_has(a, g, "\\u6865"));
	for (int i = 0; i < g->rows * g->cols; i++)
		for (const unsigned char *p = (const unsigned char *)g->cell[i].ch; *p; p++)
			ck_assert_uint_lt(*p, 0x80);
	grid_free(g);
	app_free(a);
	/* 1x1 renders without trouble */
	a = open_app();
	g = grid_new(1, 1, 0);
	app_render(a, g);
	grid_free(g);
	app_free(a);
}
END_TEST

START_TEST(grid_widths)
{
	grid *g = grid_new(2, 10, 0);
	/* CJK takes two columns; a wide char never straddles the edge */
	ck_assert_int_eq(grid_text(g, 0, 0, -1, ST_NORMAL, "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5"
	                           "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5", 18, 0), 10);
	ck_assert_int_eq(grid_text(g, 1, 1, -1, ST_NORMAL, "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5"
	                           "\xe6\xa1\xa5\xe6\xa1\xa5", 15, 0), 8);
	/* combining marks join their base; emoji are wide */
	ck_assert_int_eq(grid_width(g, "e\xcc\x81", 3, 0), 1);
	ck_assert_int_eq(grid_width(g, "\xf0\x9f\x98\x80", 4, 0), 2);
	ck_assert_int_eq(grid_width(g, "\x1b[2J", 4, 0), 7); /* \x1b[2J */
	grid_free(g);
}
END_TEST

int main(void)
{
	/* widths come from wcwidth, which needs a UTF-8 locale */
	if (!setlocale(LC_ALL, "C.UTF-8"))
		setlocale(LC_ALL, "");
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("ui");
	tcase_set_timeout(tc, 120); /* sanitizer builds and busy machines are slow */
	tcase_add_test(tc, catalog_and_list);
	tcase_add_test(tc, dashboard);
	tcase_add_test(tc, search_help_command);
	tcase_add_test(tc, lists);
	tcase_add_test(tc, lists_export_not_over_inputs);
	tcase_add_test(tc, mouse);
	tcase_add_test(tc, small_and_ascii);
	tcase_add_test(tc, grid_widths);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
