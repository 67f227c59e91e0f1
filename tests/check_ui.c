/* check_ui.c - headless render tests of the explorer's views: a database
 * made here, views rendered into grids of fixed size, rows read back. */
#include "config.h"
#include "testutil.h"
#include "app.h"
#include "widgets.h"

#include <locale.h>
#include <math.h>
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

/* Real releases' shapes (issue 14): gemma-2-2b's 20-gemmascope-res-16k with
 * SentencePiece tokens, similar features holding the feature itself and
 * zero filler, a long explanation; a source whose id is over 60
 * characters; 250 features whose explanations say "rivers"; a source made
 * here (no Neuronpedia page). */
#define LONG_MODEL "a-model-name-that-is-rather-long-for-tests"
#define LONG_SOURCE "20-gemmascope-res-16k__l0-123-and-more"
static const char *real_db;

static void put_feature(store *s, int64_t src, int64_t idx, const char *expl, const uint32_t *cos_idx,
                        const float *cos_v, size_t n_cos)
{
	saex_err e = {{0}, 0};
	int added;
	float h[] = {120, 80, 40, 20, 10, 5, 2, 1}, hv[] = {1, 2, 3, 4, 5, 6, 7, 8};
	float lh[] = {1, 5, 30, 5, 1}, lv[] = {-0.5f, -0.25f, 0, 0.25f, 0.5f}, pv[] = {0.99f, 0.5f}, nv[] = {-0.7f};
	store_str pos[] = {{"\xe2\x96\x81" "false", 8}, {"\xe2\x96\x81" "wrong", 8}}, neg[] = {{"liosis", 6}};
	store_str toks[] = {{"\xe2\x96\x81" "of", 5}, {"\xe2\x96\x81\xe2\x80\x9c" "we", 8}, {"\xe2\x96\x81" "have", 7},
	                    {"\xe2\x96\x81" "been", 7}, {"\xc4\x8a", 2}, {"<0x0A>", 6}, {"end", 3}};
	float vals[] = {0, 20, 88, 3, 0, 0, 1};
	store_feature_in f = {.index = idx, .max_act = 88, .frac_nonzero = 0.0037, .freq_h = h, .freq_v = hv,
	                      .n_freq = 8, .lhist_h = lh, .lhist_v = lv, .n_lhist = 5, .pos_str = pos, .pos_v = pv,
	                      .n_pos = 2, .neg_str = neg, .neg_v = nv, .n_neg = 1, .cos_idx = cos_idx, .cos_v = cos_v,
	                      .n_cos = n_cos,
	                      .extra_json = "{\"neuron_alignment_indices\":[494,464],\"neuron_alignment_values\":"
	                                    "[0.072,0.071],\"correlated_neurons_indices\":[561],"
	                                    "\"correlated_neurons_pearson\":[0.067]}"};
	ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
	store_act_in a = {idx, toks, vals, 7, 88, 0, 2, -1, 88, -1, NULL, 0, 0};
	ck_assert_int_eq(store_put_activation(s, src, &a, &added, &e), 0);
	store_expl_in x = {idx, expl, "oai_token-act-pair", "gpt-4o-mini", NULL, 0};
	ck_assert_int_eq(store_put_explanation(s, src, &x, &added, &e), 0);
}

static void make_real_db(void)
{
	static char path[1024];
	snprintf(path, sizeof path, "%s", tu_path("real.db"));
	real_db = path;
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, path, STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_begin(s, &e), 0);
	int64_t g, l, r, m;
	ck_assert_int_eq(store_source_ensure(s, "gemma-2-2b", "20-gemmascope-res-16k", &g, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, LONG_MODEL, LONG_SOURCE, &l, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "gemma-2-2b", "5-rivers", &r, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "mine", "3-built", &m, &e), 0);
	uint32_t cos_idx[] = {13710, 817, 0};
	float cos_v[] = {1, 0.5f, 0};
	put_feature(s, g, 13710, " the word \"of\" after a verb, when it starts a quotation of what someone says "
	            "or thinks, in news and fiction alike, over many lines of text", cos_idx, cos_v, 3);
	put_feature(s, g, 817, " phrases about time", NULL, NULL, 0);
	put_feature(s, g, 8408, " cooking", NULL, NULL, 0);
	put_feature(s, l, 13710, " a feature of a long id", NULL, NULL, 0);
	for (int i = 0; i < 250; i++)
		put_feature(s, r, i, " rivers and their banks", NULL, NULL, 0);
	put_feature(s, m, 1, " made here", NULL, NULL, 0);
	ck_assert_int_eq(store_source_mark_local(s, "mine", "3-built", &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	store_close(s);
}

static app *open_real(int rows, int cols)
{
	store *s;
	saex_err e = {{0}, 0};
	make_real_db();
	ck_assert_int_eq(store_open(&s, real_db, STORE_READ, &e), 0);
	app *a = app_new(s, NULL, real_db);
	a->rows = rows;
	a->cols = cols;
	app_push(a, view_catalog_new(a));
	return a;
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
	ck_assert_ptr_nonnull(strstr(t, "gpt2-small/9-res-jb  3 features by index"));
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
	ck_assert(screen_has(a, g, "sorted 3 features by density"));
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
	/* ids without what the scope names: the index, then source/index */
	char *r = render_row(a, g, 2);
	ck_assert_str_eq(r, "5         0.5000%   rivers");
	free(r);
	/* w widens the scope: the model, then everything */
	app_key(a, 'w');
	ck_assert(screen_has(a, g, "search \"rivers\" in gpt2-small "));
	ck_assert(screen_has(a, g, "9-res-jb/5 "));
	app_key(a, 'w');
	ck_assert(!screen_has(a, g, "search \"rivers\" in"));
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/5 "));
	ck_assert(screen_has(a, g, "2 explanations match"));
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
	ck_assert_str_eq(t, "density 0.7000%  max activation 10.000  1 example");
	free(t);
	ck_assert(screen_has(a, g, "the \\x1b[2J Golden Gate \\u009d0;x  (oai_token-act-pair, gpt-4o-mini)"));
	ck_assert(screen_has(a, g, "Positive logits   bridge +0.500  \\x1b]52;c;aGk=\\x07 +0.250"));
	ck_assert(screen_has(a, g, "Similar features (cosine of decoder directions)"));
	ck_assert(screen_has(a, g, "  5          0.900   rivers"));
	ck_assert(screen_has(a, g, "1. max 10.000 at token 2 - top activations"));
	/* tokens: escapes visible, the newline as an arrow, a wide character */
	ck_assert(screen_has(a, g, " The Golden Gate\\x1b[6n\\u009b2J\xe2\x86\xb5 \xe6\xa1\xa5"));
	/* the max token is marked and heat-coloured; Down selects the similar
	 * features, then the example, its cursor on the max token */
	for (int pass = 0; pass < 2; pass++) {
		int found = 0;
		for (int r = 0; r < g->rows; r++) {
			char *row = render_row(a, g, r);
			char *at = strstr(row, " Gate\\x1b");
			if (at) {
				/* column of " Gate" (all ASCII before it on this row) */
				int col = (int)(at - row);
				ck_assert_int_eq(grid_style_at(g, r, col), pass ? ST_CURSOR : ST_MAXTOKEN);
				ck_assert_int_eq(grid_style_at(g, r, col - 3), ST_HEAT0 + 2); /* 2.5 / 10 */
				found = 1;
			}
			free(row);
		}
		ck_assert(found);
		for (int k = 0; k < 3; k++)
			app_key(a, 'j');
	}
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
	/* next / previous replace the dashboard (opened by id: the SAE's
	 * features that exist) */
	app_key(a, 'p');
	t = render_row(a, g, 1);
	ck_assert_ptr_nonnull(strstr(t, "9-res-jb/6 "));
	free(t);
	app_key(a, 'p');
	app_key(a, 'p');
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb has no feature before 5"));
	/* copy: an OSC 52 request for draw.c, holding only the id and URL,
	 * and no claim that the clipboard has it */
	app_key(a, 'y');
	ck_assert_str_eq(a->osc52, "gpt2-small/9-res-jb/5 https://neuronpedia.org/gpt2-small/9-res-jb/5");
	ck_assert(screen_has(a, g, "sent gpt2-small/9-res-jb/5 and its URL to the terminal's clipboard"));
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
	ck_assert(screen_has(a, g, "1 explanation matches"));
	app_key(a, '\n');
	/* the dashboard, at its top; G shows the last example */
	ck_assert(screen_has(a, g, "saex ui.db  gpt2-small/9-res-jb/7"));
	char *top = render_row(a, g, 1);
	ck_assert_str_eq(top, "gpt2-small/9-res-jb/7  https://neuronpedia.org/gpt2-small/9-res-jb/7");
	free(top);
	app_key(a, 'G');
	ck_assert(screen_has(a, g, "1. max 10.000 at token 2 - top activations"));
	/* help lists every action, from the table */
	app_key(a, '?');
	ck_assert(screen_has(a, g, "Keys (q or Backspace to leave)"));
	ck_assert(screen_has(a, g, "In gpt2-small/9-res-jb/7"));
	ck_assert(screen_has(a, g, "Left                   Move the token cursor left in the selected example"));
	app_key(a, 'G');
	ck_assert(screen_has(a, g, "Everywhere"));
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

/* Types text and Enter into the open prompt. */
static void type_line(app *a, const char *text)
{
	for (const char *k = text; *k; k++)
		app_key(a, (unsigned char)*k);
	app_key(a, '\n');
}

START_TEST(lists)
{
	make_db();
	app *a = open_app();
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_user_open(&a->user, tu_path("user.db"), &e), 0);
	grid *g = grid_new(30, 120, 0);
	ck_assert_int_eq(app_open_id(a, "gpt2-small/9-res-jb/7"), 0);
	app_key(a, 's');
	ck_assert(screen_has(a, g, "starred"));
	app_key(a, 'a');
	ck_assert(screen_has(a, g, "add to list (Tab: your lists): notes"));
	app_key(a, 0x15); /* C-u clears */
	type_line(a, "bridges");
	type_line(a, "tall, red; \xc2\x9b" "2J"); /* a C1 control, as UTF-8 */
	ck_assert(screen_has(a, g, "added to list bridges"));
	/* a second list; Tab in "add to list" picks the existing ones */
	ck_assert_int_eq(app_open_id(a, "gpt2-small/9-res-jb/5"), 0);
	app_key(a, 'a');
	app_key(a, 0x15);
	type_line(a, "rivers");
	type_line(a, "");
	ck_assert_int_eq(app_open_id(a, "gpt2-small/9-res-jb/6"), 0);
	app_key(a, 'a');
	app_key(a, 0x15);
	app_key(a, '\t');
	ck_assert(screen_has(a, g, "add to list (Tab: your lists): bridges"));
	app_key(a, '\t');
	ck_assert(screen_has(a, g, "add to list (Tab: your lists): rivers"));
	app_key(a, 27); /* Esc */
	app_key(a, 'L');
	ck_assert(screen_has(a, g, "(starred)                                       1"));
	ck_assert(screen_has(a, g, "bridges                                         1"));
	app_key(a, 'j');
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "list bridges"));
	ck_assert(screen_has(a, g, "gpt2-small/9-res-jb/7"));
	ck_assert(screen_has(a, g, "tall, red; \\u009b2J"));
	/* the list shows each feature's explanation */
	ck_assert(screen_has(a, g, "the \\x1b[2J Golden Gate"));
	/* a changes the note */
	app_key(a, 'a');
	ck_assert(screen_has(a, g, "note: tall, red; \\u009b2J"));
	app_key(a, 0x15);
	type_line(a, "the red one");
	ck_assert(screen_has(a, g, "note changed"));
	ck_assert(screen_has(a, g, "the red one"));
	/* e asks where, in which folder, and says the whole path */
	app_key(a, 'e');
	ck_assert(screen_has(a, g, "write the list as CSV to (in "));
	ck_assert(screen_has(a, g, "bridges.csv"));
	app_key(a, 0x15);
	const char *out = tu_path("bridges.csv");
	type_line(a, out);
	char said[1200];
	snprintf(said, sizeof said, "wrote 1 feature to %s", out);
	ck_assert(screen_has(a, g, said));
	char *csv = tu_read(out, NULL);
	ck_assert_ptr_nonnull(csv);
	ck_assert_ptr_nonnull(strstr(csv, "modelId,layer,index,url,note,added,explanation\n\"gpt2-small\",\"9-res-jb\","
	                                  "\"7\",\"https://neuronpedia.org/gpt2-small/9-res-jb/7\",\"the red one\","));
	ck_assert_ptr_nonnull(strstr(csv, ",\" the \x1b[2J Golden Gate \xc2\x9d" "0;x\"\n")); /* a file holds the data */
	free(csv);
	/* ... and never over a database saex has open */
	app_key(a, 'e');
	app_key(a, 0x15);
	type_line(a, db_path);
	ck_assert(screen_has(a, g, "an input of this command"));
	char *still = tu_read(db_path, NULL); /* the database is still a database */
	ck_assert_ptr_nonnull(still);
	ck_assert(strncmp(still, "SQLite format 3", 15) == 0);
	free(still);
	/* Enter on the item opens its dashboard */
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "max activation 10.000"));
	app_key(a, 0x107 /* KEY_BACKSPACE */);
	/* d removes the item (after a y) */
	app_key(a, 'd');
	ck_assert(screen_has(a, g, "remove gpt2-small/9-res-jb/7 from bridges? (y/n)"));
	type_line(a, "n");
	ck_assert(screen_has(a, g, "kept gpt2-small/9-res-jb/7"));
	app_key(a, 'd');
	type_line(a, "y");
	ck_assert(screen_has(a, g, "removed gpt2-small/9-res-jb/7 from bridges"));
	ck_assert(screen_has(a, g, "This list is empty."));
	/* in the lists: m renames, d deletes; the starred row is neither */
	app_key(a, 0x107);
	ck_assert(screen_has(a, g, "bridges                                         0"));
	app_key(a, 'g');
	app_key(a, 'm');
	ck_assert(screen_has(a, g, "the starred features are not a list you can rename"));
	app_key(a, 'j');
	app_key(a, 'm');
	app_key(a, 0x15);
	type_line(a, "rivers");
	ck_assert(screen_has(a, g, "there is a list named rivers already"));
	app_key(a, 'm');
	app_key(a, 0x15);
	type_line(a, "spans");
	ck_assert(screen_has(a, g, "renamed list bridges to spans"));
	ck_assert(screen_has(a, g, "spans                                           0"));
	app_key(a, 'd');
	ck_assert(screen_has(a, g, "delete list spans and its 0 features? (y/n)"));
	type_line(a, "y");
	ck_assert(screen_has(a, g, "deleted list spans"));
	ck_assert(!screen_has(a, g, "spans "));
	ck_assert(screen_has(a, g, "rivers                                          1"));
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
	ck_assert(screen_has(a, g, "3 features by index"));
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

/* The first row holding text after one render (caller frees), or NULL. */
static char *row_with(app *a, grid *g, const char *text)
{
	char *t = render_row(a, g, 0);
	for (int r = 0; r < g->rows; r++, t = r < g->rows ? grid_row_text(g, r) : NULL) {
		if (strstr(t, text))
			return t;
		free(t);
	}
	return NULL;
}

/* Issue 14 item 1: an id is never cut at its end (it would name another
 * feature): search results widen their column or shorten from the left,
 * similar features show their index apart from the cosine. */
START_TEST(ids_whole)
{
	app *a = open_real(24, 80);
	grid *g = grid_new(24, 80, 0);
	app_key(a, ':');
	type_line(a, "search of");
	/* the 89-character id: shortened from the left, its index whole */
	char *t = row_with(a, g, "and-more/13710");
	ck_assert_ptr_nonnull(t);
	ck_assert(!strncmp(t, "\xe2\x80\xa6", 3));
	ck_assert_ptr_nonnull(strstr(t, "and-more/13710 "));
	free(t);
	/* gemma's id fits whole at 80 columns */
	ck_assert(screen_has(a, g, "gemma-2-2b/20-gemmascope-res-16k/13710 "));
	/* in the SAE's own search: the index alone */
	ck_assert_int_eq(app_open_id(a, "gemma-2-2b/20-gemmascope-res-16k/817"), 0);
	app_key(a, '/');
	type_line(a, "word");
	ck_assert(screen_has(a, g, "search \"word\" in gemma-2-2b/20-gemmascope-res-16k"));
	t = render_row(a, g, 2);
	ck_assert(!strncmp(t, "13710 ", 6));
	free(t);
	/* similar features: the index, the cosine, the explanation; not the
	 * feature itself, nor the zero-cosine filler */
	ck_assert_int_eq(app_open_id(a, "gemma-2-2b/20-gemmascope-res-16k/13710"), 0);
	app_key(a, 'G');
	t = row_with(a, g, "Similar features");
	ck_assert_ptr_nonnull(t);
	free(t);
	ck_assert(screen_has(a, g, "  817        0.500   phrases about time"));
	ck_assert(!screen_has(a, g, "  13710 "));
	ck_assert(!screen_has(a, g, "  0           0.000"));
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 14 item 5: a dashboard opens at its top, and every row of it can
 * be reached at 80x24 and 100x20: Down from the top to the bottom shows
 * every row a tall terminal shows at once; G then g brings back the top. */
START_TEST(dashboard_reach)
{
	static const int sizes[][2] = {{24, 80}, {20, 100}};
	for (size_t k = 0; k < 2; k++) {
		int rows = sizes[k][0], cols = sizes[k][1];
		app *a = open_real(400, cols);
		grid *tall = grid_new(400, cols, 0);
		ck_assert_int_eq(app_open_id(a, "gemma-2-2b/20-gemmascope-res-16k/13710"), 0);
		app_render(a, tall);
		a->rows = rows;
		grid *g = grid_new(rows, cols, 0);
		char *t = render_row(a, g, 1), *u = grid_row_text(g, 2);
		ck_assert_str_eq(t, "gemma-2-2b/20-gemmascope-res-16k/13710");
		ck_assert_str_eq(u, "  https://neuronpedia.org/gemma-2-2b/20-gemmascope-res-16k/13710");
		free(t);
		free(u);
		ck_assert(screen_has(a, g, "the word \"of\" after a verb")); /* the explanation shows at once */
		/* walk down, gathering every row seen */
		sb seen = {0};
		for (int step = 0; step < 200; step++) {
			app_render(a, g);
			for (int r = 1; r < rows - 1; r++) {
				char *row = grid_row_text(g, r);
				sb_printf(&seen, "%s\n", row);
				free(row);
			}
			app_key(a, 'j');
		}
		for (int r = 1; r < 399; r++) {
			char *row = grid_row_text(tall, r);
			if (*row) {
				char want[600];
				snprintf(want, sizeof want, "%s\n", row);
				ck_assert_msg(strstr(seen.p, want), "never shown at %dx%d: '%s'", cols, rows, row);
			}
			free(row);
		}
		sb_free(&seen);
		app_key(a, 'G');
		ck_assert(screen_has(a, g, "1. max 88.000 at token 2 - top activations"));
		app_key(a, 'g');
		t = render_row(a, g, 1);
		ck_assert_ptr_nonnull(strstr(t, "gemma-2-2b/20-gemmascope-res-16k/13710"));
		free(t);
		/* PgUp from the bottom reaches the top too */
		app_key(a, 'G');
		for (int i = 0; i < 60; i++)
			app_key(a, 0x153 /* KEY_PPAGE */);
		t = render_row(a, g, 1);
		ck_assert_ptr_nonnull(strstr(t, "gemma-2-2b/20-gemmascope-res-16k/13710"));
		free(t);
		grid_free(g);
		grid_free(tall);
		app_free(a);
	}
}
END_TEST

/* Issue 14 items 6, 7, 12: tokens read as text (U+2581 a space, U+010A and
 * <0x0A> line breaks), in the examples, the cursor's line and the logits;
 * explanations wrap whole; logits take the rows they need; the histograms
 * have a count scale; neuron alignment and the colour legend show. */
START_TEST(dashboard_text)
{
	app *a = open_real(60, 60);
	grid *g = grid_new(60, 60, 0);
	ck_assert_int_eq(app_open_id(a, "gemma-2-2b/20-gemmascope-res-16k/13710"), 0);
	ck_assert(!screen_has(a, g, "\xe2\x96\x81of"));
	ck_assert(screen_has(a, g, "    of \xe2\x80\x9cwe have been\xe2\x86\xb5\xe2\x86\xb5" "end"));
	ck_assert(screen_has(a, g, "Positive logits   false +0.990   wrong +0.500"));
	/* the explanation wraps at words, every word of it shown */
	ck_assert(screen_has(a, g, "  the word \"of\" after a verb, when it starts a quotation of"));
	ck_assert(screen_has(a, g, "  what someone says or thinks, in news and fiction alike,"));
	ck_assert(screen_has(a, g, "  over many lines of text  (oai_token-act-pair, gpt-4o-mini)"));
	ck_assert(screen_has(a, g, "     120 \xe2\x94\xa4"));   /* the count scale */
	/* the activation histogram's 8 bins take the width (6 columns a bin
	 * at most): 48 columns from column 10, to 57 */
	int found = 0;
	for (int r = 0; r < g->rows && !found; r++) {
		char *row = grid_row_text(g, r);
		if (!strncmp(row, "       0 \xe2\x94\xa4", 12)) {
			ck_assert_str_ne(g->cell[r * 60 + 57].ch, " ");
			ck_assert_str_eq(g->cell[r * 60 + 58].ch, " ");
			found = 1;
		}
		free(row);
	}
	ck_assert(found);
	ck_assert(screen_has(a, g, "Logit histogram"));
	ck_assert(screen_has(a, g, "Neuron alignment  494 0.072  464 0.071"));
	ck_assert(screen_has(a, g, "Correlated neurons  561 r 0.067"));
	ck_assert(screen_has(a, g, "colours: activation / max 88.000"));
	/* the token cursor names the token as text */
	app_key(a, 'G');
	app_key(a, 0x104 /* KEY_LEFT */);
	ck_assert(screen_has(a, g, "token 1 \" \xe2\x80\x9cwe\" = 20.000 (23% of max)"));
	/* line breaks kept: the example splits after the break tokens */
	app_key(a, 'N');
	ck_assert(screen_has(a, g, "    of \xe2\x80\x9cwe have been\\n"));
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 14 item 3: a search says how many match in all and reads further
 * pages as the selection reaches them. */
START_TEST(search_counts)
{
	app *a = open_real(24, 100);
	grid *g = grid_new(24, 100, 0);
	app_key(a, '/');
	type_line(a, "rivers");
	ck_assert(screen_has(a, g, "first 200 of 250 explanations that match (more as you scroll)"));
	app_key(a, 'G');
	ck_assert(screen_has(a, g, "250 explanations match"));
	ck_assert(screen_has(a, g, "gemma-2-2b/5-rivers/249 "));
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 14 item 11: n/p go through the list the dashboard came from: a
 * filtered feature list, search results; else the SAE's next feature that
 * exists (p on 817 is not "no feature .../816"). */
START_TEST(next_in_list)
{
	app *a = open_real(24, 100);
	grid *g = grid_new(24, 100, 0);
	ck_assert_int_eq(app_open_id(a, "gemma-2-2b/20-gemmascope-res-16k/817"), 0);
	app_key(a, 'n');
	ck_assert(screen_has(a, g, "saex real.db  gemma-2-2b/20-gemmascope-res-16k/8408"));
	app_key(a, 'p');
	app_key(a, 'p');
	ck_assert(screen_has(a, g, "saex real.db  gemma-2-2b/20-gemmascope-res-16k/817"));
	/* from the feature list of 5-rivers, filtered */
	app_free(a);
	a = open_real(24, 100);
	app_key(a, 'j');
	app_key(a, 'j');
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "gemma-2-2b/5-rivers  250 features by index"));
	app_key(a, '#');
	type_line(a, "247");
	app_key(a, '\n');
	ck_assert(screen_has(a, g, "saex real.db  gemma-2-2b/5-rivers/247"));
	app_key(a, 'n');
	app_key(a, 'n');
	ck_assert(screen_has(a, g, "saex real.db  gemma-2-2b/5-rivers/249"));
	app_key(a, 'n');
	ck_assert(screen_has(a, g, "no next feature in the list this dashboard came from"));
	app_key(a, 0x107 /* KEY_BACKSPACE */);
	ck_assert(screen_has(a, g, "     249 ")); /* the list's selection followed */
	app_free(a);
	grid_free(g);
}
END_TEST

/* Issue 14 item 8: ? lists the keys of the view it was asked in; a key a
 * view does not have says so; :index N opens a feature of the SAE in view. */
START_TEST(help_per_view)
{
	app *a = open_real(40, 100);
	grid *g = grid_new(40, 100, 0);
	app_key(a, 's');
	ck_assert(screen_has(a, g, "s (star) does nothing in catalog; ? lists its keys"));
	app_key(a, ':');
	type_line(a, "index 8408");
	ck_assert(screen_has(a, g, "index 8408: open an SAE first"));
	app_key(a, 'j');
	app_key(a, '\n');
	app_key(a, '?');
	ck_assert(screen_has(a, g, "In gemma-2-2b/20-gemmascope-res-16k  3 features by index"));
	ck_assert(screen_has(a, g, "Keep the features whose explanation has the words"));
	app_key(a, 'q');
	app_key(a, ':');
	type_line(a, "index 8408");
	ck_assert(screen_has(a, g, "saex real.db  gemma-2-2b/20-gemmascope-res-16k/8408"));
	app_key(a, 'S'); /* no weights: says so and adds nothing */
	ck_assert(screen_has(a, g, "cannot steer with gemma-2-2b/20-gemmascope-res-16k: no weights attached"));
	app_key(a, 'H');
	ck_assert(screen_has(a, g, "no per-user database: the steering log is off"));
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 15 items 11 and 16: a paste is text of the prompt, never keys (a
 * line break in it is a space of a one-line prompt); 10,000 characters
 * fit and the prompt shows their end; a paste without a prompt is dropped
 * with a word. */
START_TEST(paste)
{
	app *a = open_real(24, 80);
	grid *g = grid_new(24, 80, 0);
	ck_assert_int_eq(app_paste(a, "qLq", 3) & H_QUIT, 0);
	ck_assert(screen_has(a, g, "pasted text is for prompts"));
	ck_assert(screen_has(a, g, "saex real.db  catalog"));
	app_key(a, '/');
	app_paste(a, "golden\nLq\r\n", 11);
	ck_assert(a->prompting);
	ck_assert_str_eq(a->prompt_text.p, "golden Lq ");
	app_key(a, 0x15);
	char *big = malloc(10001);
	for (int i = 0; i < 10000; i++)
		big[i] = "abcdefghij"[i % 10];
	big[9999] = 'Z';
	big[10000] = 0;
	app_paste(a, big, 10000);
	ck_assert_uint_eq(a->prompt_text.n, 10000);
	char *t = render_row(a, g, 23);
	ck_assert_ptr_nonnull(strstr(t, "search: \xe2\x80\xa6"));
	ck_assert_ptr_nonnull(strstr(t, "fghiZ"));
	free(t);
	free(big);
	app_key(a, 27);
	ck_assert(!a->prompting);
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 15 item 8 and issue 14 item 16: y sends only a valid id (and the
 * URL of a Neuronpedia feature; none for one made here), and says it was
 * sent, not copied. */
START_TEST(copy_checked)
{
	app *a = open_real(24, 100);
	grid *g = grid_new(24, 100, 0);
	ck_assert_int_eq(app_open_id(a, "mine/3-built/1"), 0);
	ck_assert(screen_has(a, g, "mine/3-built/1  (made here: no Neuronpedia page)"));
	app_key(a, 'y');
	ck_assert_str_eq(a->osc52, "mine/3-built/1");
	ck_assert(screen_has(a, g, "sent mine/3-built/1 to the terminal's clipboard (OSC 52"));
	free(a->osc52);
	a->osc52 = NULL;
	/* a source name from a damaged database: \r and a command */
	saex_fid bad = {"gpt2-small", "9-res\rrm -rf ~", 7};
	app_copy_id(a, &bad);
	ck_assert_ptr_null(a->osc52);
	ck_assert(screen_has(a, g, "not copied: the feature's id holds characters an id cannot have"));
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 14 item 7: the catalog shows a hook whole or cut with a mark; a
 * long status wraps instead of running off the screen. */
START_TEST(cut_marks)
{
	make_db();
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, db_path, STORE_WRITE, &e), 0);
	store_source_rec sr = {"gpt2-small", "9-res-jb", NULL, "blocks.9.hook_resid_post_and_a_long_tail", NULL, NULL,
	                       NULL, NULL, -1, -1, 24576};
	ck_assert_int_eq(store_put_source(s, &sr, &e), 0);
	store_close(s);
	app *a = open_app();
	grid *g = grid_new(24, 60, 0);
	ck_assert(screen_has(a, g, "blocks.9.hook_re\xe2\x80\xa6"));
	grid_free(g);
	g = grid_new(24, 120, 0);
	ck_assert(screen_has(a, g, "blocks.9.hook_resid_post_and_a_long_tail"));
	ck_assert(screen_has(a, g, "24,576"));
	app_status(a, 0, "%s", "a status line that is much longer than the screen is wide, so that it has to wrap onto "
	                       "a second row of the screen instead of running off its edge");
	char *t = render_row(a, g, 22), *u = grid_row_text(g, 23);
	ck_assert_ptr_nonnull(strstr(t, "a status line that is much longer"));
	ck_assert_ptr_nonnull(strstr(u, "running off its edge"));
	free(t);
	free(u);
	grid_free(g);
	app_free(a);
}
END_TEST

/* Issue 14 item 16: a character a tokenizer split over byte tokens (GPT-2
 * spells an emoji as two) shows as the character, not as escaped bytes,
 * coloured by the hotter part; a lone part stays escaped. */
START_TEST(tokens_as_text)
{
	grid *g = grid_new(2, 40, 0);
	store_str tok[] = {{"\xf0\x9f", 2}, {"\x98\x80", 2}, {"\xe2\x96\x81" "ok", 5}, {"\xe6\xa1", 2}, {"x", 1}};
	float val[] = {0, 5, 0, 0, 0};
	ui_tokens_in in = {tok, val, 0, 5, -1, -1, 10, 1, 0, SAEX_ESC_NL_ARROW};
	ck_assert_int_eq(ui_tokens(g, NULL, 0, 40, &in), 1);
	char *t = grid_row_text(g, 0);
	ck_assert_str_eq(t, "    \xf0\x9f\x98\x80 ok\\xe6\\xa1x");
	free(t);
	ck_assert_int_eq(grid_style_at(g, 0, 4), ST_HEAT0 + 4);
	grid_free(g);
}
END_TEST

/* Gemma spells a character its vocabulary lacks as byte tokens "<0xF0>"
 * "<0x9F>" ... (byte fallback; Neuronpedia's exports too): shown as the
 * character as well, not as \xf0\x9f...; a lone byte stays escaped, an
 * ASCII one is its character. */
START_TEST(tokens_as_text_byte_fallback)
{
	grid *g = grid_new(2, 40, 0);
	store_str tok[] = {{"<0xF0>", 6}, {"<0x9F>", 6}, {"<0x98>", 6}, {"<0x80>", 6}, {"\xe2\x96\x81" "ok", 5},
	                   {"<0xC3>", 6}, {"x", 1}, {"<0x41>", 6}};
	float val[] = {0, 5, 0, 0, 0, 0, 0, 0};
	ui_tokens_in in = {tok, val, 0, 8, -1, -1, 10, 1, 0, SAEX_ESC_NL_ARROW};
	ck_assert_int_eq(ui_tokens(g, NULL, 0, 40, &in), 1);
	char *t = grid_row_text(g, 0);
	ck_assert_str_eq(t, "    \xf0\x9f\x98\x80 ok\\xc3xA");
	free(t);
	ck_assert_int_eq(grid_style_at(g, 0, 4), ST_HEAT0 + 4);
	grid_free(g);
}
END_TEST

/* Llama 3 and Qwen spell bytes in the byte-level alphabet, and
 * SAEDashboard's exports keep that spelling for a multi-byte character's
 * bytes: "Ã¶" is ö, an emoji split over "ĠðŁ" and "ĺĢ" is the emoji.
 * Text of another alphabet stays itself: Gemma's "Māori" (whose ā is the
 * byte-level letter of 0x01), a lone "é", Gemma's ▁. */
START_TEST(tokens_as_text_byte_level)
{
	grid *g = grid_new(2, 60, 0);
	store_str tok[] = {{"Hello", 5}, {"\xc4\xa0w", 3}, {"\xc3\x83\xc2\xb6", 4}, {"rld", 3},
	                   {"\xc4\xa0\xc3\xb0\xc5\x81", 6}, {"\xc4\xba\xc4\xa2", 4}, {"\xe2\x96\x81" "M\xc4\x81ori", 9},
	                   {"\xc3\xa9", 2}, {"x", 1}};
	float val[] = {0, 0, 0, 0, 0, 5, 0, 0, 0};
	ui_tokens_in in = {tok, val, 0, 9, -1, -1, 10, 1, 0, SAEX_ESC_NL_ARROW};
	ck_assert_int_eq(ui_tokens(g, NULL, 0, 60, &in), 1);
	char *t = grid_row_text(g, 0);
	ck_assert_str_eq(t, "    Hello w\xc3\xb6rld \xf0\x9f\x98\x80 M\xc4\x81ori\xc3\xa9x");
	free(t);
	ck_assert_int_eq(grid_style_at(g, 0, 16), ST_HEAT0 + 4); /* the emoji: its hotter part's colour */
	grid_free(g);
	/* the alphabet itself: every byte back, and a letter outside it refused */
	char out[8];
	ck_assert_int_eq(saex_tok_bytelevel("\xc3\x83\xc2\xb6", 4, out), 2);
	ck_assert(memcmp(out, "\xc3\xb6", 2) == 0);
	ck_assert_int_eq(saex_tok_bytelevel("\xc4\x80\xc4\xa0\xc5\x83", 6, out), 3);
	ck_assert(memcmp(out, "\x00 \xad", 3) == 0);
	ck_assert_int_eq(saex_tok_bytelevel("\xe2\x96\x81", 3, out), -1);
	ck_assert_int_eq(saex_tok_bytelevel("\xc3", 1, out), -1);
}
END_TEST

/* Issue 14 item 12: a histogram uses the width (50 bins over 89 columns)
 * and has a count scale; merged when narrower (200 bins over 29). */
START_TEST(histogram_width)
{
	float h[200], v[200];
	for (int i = 0; i < 200; i++) {
		h[i] = (float)(200 - i);
		v[i] = (float)i;
	}
	grid *g = grid_new(6, 100, 0);
	ck_assert_int_eq(ui_histogram(g, 0, 100, h, v, 50, NAN, NULL), 5);
	char *t = grid_row_text(g, 0);
	ck_assert(!strncmp(t, "     200 \xe2\x94\xa4", 12));
	free(t);
	ck_assert_str_ne(g->cell[3 * 100 + 98].ch, " "); /* the last column of the room */
	ck_assert_str_eq(g->cell[3 * 100 + 99].ch, " ");
	grid_free(g);
	g = grid_new(6, 40, 0);
	ui_histogram(g, 0, 40, h, v, 200, NAN, NULL);
	t = grid_row_text(g, 0);
	ck_assert_ptr_nonnull(strstr(t, "\xe2\x94\xa4")); /* the summed heights' scale */
	free(t);
	ck_assert_str_ne(g->cell[3 * 40 + 38].ch, " ");
	grid_free(g);
}
END_TEST

START_TEST(grid_widths)
{
	grid *g = grid_new(2, 10, 0);
	/* CJK takes two columns; a wide char never straddles the edge, and a cut
	 * is marked in the last column */
	ck_assert_int_eq(grid_text(g, 0, 0, -1, ST_NORMAL, "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5"
	                           "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5", 18, 0), 10);
	char *t = grid_row_text(g, 0);
	ck_assert_str_eq(t, "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5 \xe2\x80\xa6");
	free(t);
	ck_assert_int_eq(grid_text(g, 1, 1, -1, ST_NORMAL, "\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5"
	                           "\xe6\xa1\xa5\xe6\xa1\xa5", 15, 0), 9);
	t = grid_row_text(g, 1);
	ck_assert_str_eq(t, " \xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5\xe6\xa1\xa5\xe2\x80\xa6");
	free(t);
	/* text that fits has no mark */
	grid_clear(g);
	ck_assert_int_eq(grid_text(g, 0, 0, 5, ST_NORMAL, "abcde", 5, 0), 5);
	t = grid_row_text(g, 0);
	ck_assert_str_eq(t, "abcde");
	free(t);
	ck_assert_int_eq(grid_text(g, 1, 0, 5, ST_NORMAL, "abcdef", 6, 0), 5);
	t = grid_row_text(g, 1);
	ck_assert_str_eq(t, "abcd\xe2\x80\xa6");
	free(t);
	/* combining marks join their base; emoji are wide */
	ck_assert_int_eq(grid_width(g, "e\xcc\x81", 3, 0), 1);
	ck_assert_int_eq(grid_width(g, "\xf0\x9f\x98\x80", 4, 0), 2);
	ck_assert_int_eq(grid_width(g, "\x1b[2J", 4, 0), 7); /* \x1b[2J */
	grid_free(g);
	/* an ASCII terminal marks cuts with ~ */
	g = grid_new(1, 10, 1);
	grid_text(g, 0, 0, 4, ST_NORMAL, "abcdef", 6, 0);
	t = grid_row_text(g, 0);
	ck_assert_str_eq(t, "abc~");
	free(t);
	grid_free(g);
}
END_TEST

/* A combining cluster of 10,000 marks (issue 15): one cell, at most four
 * marks kept, so the next character lands in the next column and a redraw
 * covers every cell; a mark with nothing before it gets a dotted circle. */
START_TEST(grid_clusters)
{
	grid *g = grid_new(2, 20, 0);
	sb s = {0};
	sb_adds(&s, "a");
	for (int i = 0; i < 10000; i++)
		sb_adds(&s, "\xcc\x81"); /* U+0301 */
	sb_adds(&s, "bc");
	ck_assert_int_eq(grid_width(g, s.p, s.n, 0), 3);
	ck_assert_int_eq(grid_text(g, 0, 0, -1, ST_NORMAL, s.p, s.n, 0), 3);
	ck_assert_str_eq(g->cell[0].ch, "a\xcc\x81\xcc\x81\xcc\x81\xcc\x81");
	ck_assert_str_eq(g->cell[1].ch, "b");
	ck_assert_str_eq(g->cell[2].ch, "c");
	for (int c = 3; c < 20; c++)
		ck_assert_str_eq(g->cell[c].ch, " ");
	ck_assert_int_eq(grid_text(g, 1, 0, -1, ST_NORMAL, "\xcc\x81x", 3, 0), 2);
	ck_assert_str_eq(g->cell[20].ch, "\xe2\x97\x8c\xcc\x81");
	ck_assert_str_eq(g->cell[21].ch, "x");
	sb_free(&s);
	grid_free(g);
}
END_TEST

/* Prose wraps at spaces, breaks a longer word, keeps line breaks when
 * asked, and marks what does not fit in its rows. */
START_TEST(grid_wrapping)
{
	grid *g = grid_new(4, 12, 0);
	const char *p = "the quick brown fox jumps over";
	ck_assert_int_eq(grid_wrap(NULL, g, 0, 0, 10, 9, ST_NORMAL, p, strlen(p), 0, NULL), 3); /* "jumps over" fits */
	ck_assert_int_eq(grid_wrap(NULL, g, 0, 0, 9, 9, ST_NORMAL, p, strlen(p), 0, NULL), 4);
	ck_assert_int_eq(grid_wrap(g, NULL, 0, 1, 9, 9, ST_NORMAL, p, strlen(p), 0, NULL), 4);
	const char *want[] = {" the quick", " brown fox", " jumps", " over"};
	for (int r = 0; r < 4; r++) {
		char *t = grid_row_text(g, r);
		ck_assert_str_eq(t, want[r]);
		free(t);
	}
	grid_clear(g);
	ck_assert_int_eq(grid_wrap(g, NULL, 0, 0, 10, 2, ST_NORMAL, p, strlen(p), 0, NULL), 2);
	char *t = grid_row_text(g, 1);
	ck_assert_str_eq(t, "brown fox\xe2\x80\xa6");
	free(t);
	grid_clear(g);
	grid_wrap(g, NULL, 0, 0, 9, 2, ST_NORMAL, p, strlen(p), 0, NULL);
	t = grid_row_text(g, 1);
	ck_assert_str_eq(t, "brown fo\xe2\x80\xa6");
	free(t);
	grid_clear(g);
	ck_assert_int_eq(grid_wrap(g, NULL, 0, 0, 5, 4, ST_NORMAL, "abcdefghijkl", 12, 0, NULL), 3);
	t = grid_row_text(g, 2);
	ck_assert_str_eq(t, "kl");
	free(t);
	grid_clear(g);
	ck_assert_int_eq(grid_wrap(g, NULL, 0, 0, 10, 4, ST_NORMAL, "a\nb", 3, SAEX_ESC_NL_KEEP, NULL), 2);
	ck_assert_int_eq(grid_wrap(NULL, g, 0, 0, 10, 4, ST_NORMAL, "a\nb", 3, SAEX_ESC_NL_ARROW, NULL), 1);
	ck_assert_int_eq(grid_wrap(NULL, g, 0, 0, 10, 4, ST_NORMAL, "", 0, 0, NULL), 1);
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
	tcase_add_test(tc, ids_whole);
	tcase_add_test(tc, dashboard_reach);
	tcase_add_test(tc, dashboard_text);
	tcase_add_test(tc, search_counts);
	tcase_add_test(tc, next_in_list);
	tcase_add_test(tc, help_per_view);
	tcase_add_test(tc, paste);
	tcase_add_test(tc, copy_checked);
	tcase_add_test(tc, cut_marks);
	tcase_add_test(tc, tokens_as_text);
	tcase_add_test(tc, tokens_as_text_byte_fallback);
	tcase_add_test(tc, tokens_as_text_byte_level);
	tcase_add_test(tc, histogram_width);
	tcase_add_test(tc, grid_widths);
	tcase_add_test(tc, grid_clusters);
	tcase_add_test(tc, grid_wrapping);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
