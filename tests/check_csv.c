/* check_csv.c - CSV export and explanation import through libcsv: round
 * trips with awkward text, and bad files. */
#include "config.h"
#include "testutil.h"
#include "csvio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const descs[] = {
	" plain words",
	"commas, \"quotes\" and 'apostrophes'",
	"a line\nbreak and a\r\ncrlf",
	" unicode \xe2\x96\x81 \xe5\x87\xba\xe7\x89\x88 \xf0\x9f\x98\x80",
	"escape \x1b[31m and C1 \xc2\x9b" "2J",
};

static store *make_db(const char *name, int with_rows)
{
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(store_open(&s, tu_path(name), STORE_WRITE, &e), 0);
	ck_assert_int_eq(store_begin(s, &e), 0);
	int64_t src;
	int added;
	ck_assert_int_eq(store_source_ensure(s, "gpt2-small", "9-res-jb", &src, &e), 0);
	if (with_rows) {
		for (size_t i = 0; i < sizeof descs / sizeof descs[0]; i++) {
			store_expl_in x = {(int64_t)(i * 10), descs[i], i % 2 ? "oai_token-act-pair" : NULL,
			                   i % 2 ? "gpt-4o-mini" : NULL, NULL, 0};
			ck_assert_int_eq(store_put_explanation(s, src, &x, &added, &e), 0);
		}
		store_str toks[] = {{" the", 4}, {"\x1b]52;c;aGk=\x07", 12}, {"x,\"y\"", 5}};
		float vals[] = {0, 3.25f, 1e-7f};
		store_act_in a = {10, toks, vals, 3, 3.25, 0, 1, -1, 3.25, -1, NULL, 0, 0};
		ck_assert_int_eq(store_put_activation(s, src, &a, &added, &e), 0);
		float pv[] = {0.5f};
		store_feature_in f = {.index = 10, .max_act = 3.25, .frac_nonzero = 0.125,
		                      .pos_str = toks, .pos_v = pv, .n_pos = 1};
		ck_assert_int_eq(store_put_feature(s, src, &f, &added, &e), 0);
		store_feature_in f2 = {.index = 20, .max_act = 1.1, .frac_nonzero = 0.00763};
		ck_assert_int_eq(store_put_feature(s, src, &f2, &added, &e), 0);
	}
	ck_assert_int_eq(store_commit(s, &e), 0);
	return s;
}

static void export_to(store *s, csvio_what what, const char *path, int escape)
{
	saex_err e = {{0}, 0};
	int64_t src;
	saex_fid names;
	ck_assert_int_eq(store_source_find(s, "9-res-jb", &src, &names, &e), 0);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(csvio_export(s, src, &names, what, f, escape, &e) == 0, "%s", e.msg);
	fclose(f);
}

START_TEST(explanations_round_trip)
{
	store *a = make_db("a.db", 1);
	const char *csv = tu_path("expl.csv");
	export_to(a, CSV_EXPLANATIONS, csv, 0);
	char *text = tu_read(csv, NULL);
	ck_assert_int_eq(strncmp(text, "modelId,layer,index,description,typeName,explanationModelName\n", 62), 0);
	free(text);

	store *b = make_db("b.db", 0);
	csvio_stats st;
	saex_err e = {{0}, 0};
	const char *log = tu_path("import.log");
	FILE *lf = fopen(log, "w");
	ck_assert_msg(csvio_import_explanations(b, csv, 1, lf, &st, &e) == 0, "%s", e.msg);
	fclose(lf);
	ck_assert_int_eq(st.rows, 5);
	ck_assert_int_eq(st.added, 5);
	ck_assert_int_eq(st.bad, 0);
	/* b has no feature rows: each explanation is stored, and said so
	 * (issue 14: import-csv said nothing) */
	ck_assert_int_eq(st.missing, 5);
	char *said = tu_read(log, NULL);
	ck_assert_ptr_nonnull(strstr(said, ": gpt2-small/9-res-jb/0: no such feature in the database (the explanation is "
	                                   "stored)\n"));
	free(said);
	/* both databases now export byte-identical CSV */
	const char *csv2 = tu_path("expl2.csv");
	export_to(b, CSV_EXPLANATIONS, csv2, 0);
	size_t n1, n2;
	char *t1 = tu_read(csv, &n1), *t2 = tu_read(csv2, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(t1, t2, n1), 0);
	free(t1);
	free(t2);
	/* and the text is exact */
	arena ar = {0};
	store_feature f;
	saex_fid id = {"gpt2-small", "9-res-jb", 20};
	ck_assert_int_eq(store_feature_get(b, &id, 0, &ar, &f, &e), 0);
	ck_assert_str_eq(f.expl[0].description, descs[2]);
	arena_free(&ar);
	/* a second import of the same file adds nothing */
	ck_assert_int_eq(csvio_import_explanations(b, csv, 0, stderr, &st, &e), 0);
	ck_assert_int_eq(st.added, 0);
	store_close(a);
	store_close(b);
}
END_TEST

START_TEST(export_features_activations)
{
	store *a = make_db("fa.db", 1);
	const char *csv = tu_path("feat.csv");
	export_to(a, CSV_FEATURES, csv, 0);
	char *t = tu_read(csv, NULL);
	ck_assert_msg(strstr(t, "modelId,layer,index,maxActApprox,frac_nonzero,description,pos_str,"
	                        "pos_values,neg_str,neg_values\n") == t, "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "\"gpt2-small\",\"9-res-jb\",\"10\",3.25,0.125,\"commas, \"\"quotes\"\" and"));
	ck_assert_ptr_nonnull(strstr(t, "\"[\"\" the\"\"]\",\"[0.5]\""));
	/* numbers as the shortest decimal that reads back the same */
	ck_assert_ptr_nonnull(strstr(t, "\"20\",1.1,0.00763,"));
	free(t);
	const char *csv2 = tu_path("acts.csv");
	export_to(a, CSV_ACTIVATIONS, csv2, 0);
	t = tu_read(csv2, NULL);
	ck_assert_ptr_nonnull(strstr(t, "binContains,tokens,values\n"));
	/* JSON arrays inside a CSV field; the values read back as the same f32 */
	ck_assert_ptr_nonnull(strstr(t, "\"[0,3.25,1e-07]\""));
	ck_assert_ptr_nonnull(strcasestr(t, "\\u001b]52;c;aGk=\\u0007"));
	free(t);
	/* escaped for a terminal: no raw ESC or C1 byte at all */
	const char *csv3 = tu_path("expl-tty.csv");
	export_to(a, CSV_EXPLANATIONS, csv3, 0);
	size_t n;
	t = tu_read(csv3, &n);
	ck_assert_ptr_nonnull(memchr(t, 0x1b, n)); /* raw to a file */
	free(t);
	FILE *f = fopen(csv3, "w");
	saex_err e = {{0}, 0};
	int64_t src;
	saex_fid names;
	ck_assert_int_eq(store_source_find(a, "gpt2-small/9-res-jb", &src, &names, &e), 0);
	ck_assert_int_eq(csvio_export(a, src, &names, CSV_EXPLANATIONS, f, 1, &e), 0);
	fclose(f);
	t = tu_read(csv3, &n);
	ck_assert_ptr_null(memchr(t, 0x1b, n));
	ck_assert_ptr_null(strstr(t, "\xc2\x9b"));
	ck_assert_ptr_nonnull(strstr(t, "\\x1b[31m"));
	free(t);
	store_close(a);
}
END_TEST

START_TEST(bad_csv)
{
	store *b = make_db("bad.db", 0);
	csvio_stats st;
	saex_err e = {{0}, 0};
	const char *p = tu_path("bad.csv");
	static const char rows[] =
		"index,modelId,layer,description,extra\n"
		"1,gpt2-small,9-res-jb,\" fine\",x\n"
		"x,gpt2-small,9-res-jb,bad index,x\n"
		"2,gpt2-small,7-nope,unknown source,x\n"
		"3,gpt2-small,9-res-jb,,x\n"
		"4,gpt2-small\n"
		"\"5\",\"gpt2-small\",\"9-res-jb\",\"multi\nline\",x\n";
	tu_write(p, rows, sizeof rows - 1, 0);
	FILE *log = fopen(tu_path("csv.log"), "w");
	ck_assert_msg(csvio_import_explanations(b, p, 0, log, &st, &e) == 0, "%s", e.msg);
	fclose(log);
	ck_assert_int_eq(st.added, 2);
	ck_assert_int_eq(st.bad, 4);
	char *t = tu_read(tu_path("csv.log"), NULL);
	ck_assert_ptr_nonnull(strstr(t, "bad.csv:3: index: 'x' is not a feature index (skipped)"));
	ck_assert_ptr_nonnull(strstr(t, "bad.csv:4: no source gpt2-small/7-nope"));
	ck_assert_ptr_nonnull(strstr(t, "bad.csv:5: description: empty"));
	ck_assert_ptr_nonnull(strstr(t, "bad.csv:6: row has 2 fields"));
	free(t);

	/* strict: the first bad row stops it and nothing is stored */
	store *c = make_db("strict.db", 0);
	ck_assert_int_eq(csvio_import_explanations(c, p, 1, stderr, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "bad.csv:3: index"));
	arena ar = {0};
	store_feature f;
	saex_fid id = {"gpt2-small", "9-res-jb", 1};
	ck_assert_int_eq(store_feature_get(c, &id, 0, &ar, &f, &e), STORE_NOTFOUND);
	arena_free(&ar);

	/* a header without the needed columns */
	static const char hdr[] = "modelId,layer,idx,text\ngpt2-small,9-res-jb,1,x\n";
	tu_write(p, hdr, sizeof hdr - 1, 0);
	ck_assert_int_eq(csvio_import_explanations(b, p, 0, stderr, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "bad.csv:1: the header row has no 'index' column"));
	/* malformed CSV: a quote inside an unquoted field */
	static const char mal[] = "modelId,layer,index,description\ngpt2-small,9-res-jb,1,ab\"c\"d\n";
	tu_write(p, mal, sizeof mal - 1, 0);
	ck_assert_int_eq(csvio_import_explanations(b, p, 0, stderr, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "bad.csv:2: malformed CSV"));
	/* an unterminated quoted field at the end */
	static const char unterm[] = "modelId,layer,index,description\ngpt2-small,9-res-jb,1,\"abc\n";
	tu_write(p, unterm, sizeof unterm - 1, 0);
	ck_assert_int_eq(csvio_import_explanations(b, p, 0, stderr, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "malformed CSV"));
	/* empty and missing files */
	tu_write(p, "", 0, 0);
	ck_assert_int_eq(csvio_import_explanations(b, p, 0, stderr, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "empty file"));
	ck_assert_int_eq(csvio_import_explanations(b, tu_path("nope.csv"), 0, stderr, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "nope.csv"));
	/* the earlier good rows are still there */
	id.index = 5;
	ck_assert_int_eq(store_feature_get(b, &id, 0, &ar, &f, &e), 0);
	ck_assert_str_eq(f.expl[0].description, "multi\nline");
	arena_free(&ar);
	store_close(b);
	store_close(c);
}
END_TEST

/* The same reader as the JSONL importer: a byte-order mark, a pipe, a
 * gzip file; indexes and text checked, a file of bad rows refused. */
START_TEST(csv_inputs)
{
	store *b = make_db("in.db", 0);
	csvio_stats st;
	saex_err e = {{0}, 0};
	static const char rows[] =
		"\xef\xbb\xbfmodelId,layer,index,description\n"
		"gpt2-small,9-res-jb,1,\" one\"\n"
		"gpt2-small,9-res-jb,9007199254740992,too large\n"
		"gpt2-small,9-res-jb,99999999999999999999,far too large\n"
		"gpt2-small,9-res-jb,2,\"not \xff UTF-8\"\n";
	const char *p = tu_path("in.csv.gz");
	tu_write(p, rows, sizeof rows - 1, 1);
	FILE *log = fopen(tu_path("in.log"), "w");
	ck_assert_msg(csvio_import_explanations(b, p, 0, log, &st, &e) == 0, "%s", e.msg);
	fclose(log);
	ck_assert_int_eq(st.added, 1);
	ck_assert_int_eq(st.bad, 3);
	char *t = tu_read(tu_path("in.log"), NULL);
	ck_assert_msg(strstr(t, "in.csv.gz:3: index: '9007199254740992' is not a feature index"), "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "in.csv.gz:4: index: '99999999999999999999' is not a feature index"));
	ck_assert_ptr_nonnull(strstr(t, "in.csv.gz:5: description: not valid UTF-8 text"));
	free(t);
	/* through a pipe (as <(...) gives one): read once, not "empty" */
	static const char more[] = "modelId,layer,index,description\ngpt2-small,9-res-jb,3,\" three\"\n";
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], more, sizeof more - 1), (ssize_t)(sizeof more - 1));
	close(fds[1]);
	char path[64];
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	ck_assert_msg(csvio_import_explanations(b, path, 1, stderr, &st, &e) == 0, "%s", e.msg);
	close(fds[0]);
	ck_assert_int_eq(st.added, 1);
	/* every row bad: the file fails */
	static const char bad[] = "modelId,layer,index,description\ngpt2-small,9-res-jb,x,y\n";
	tu_write(tu_path("allbad.csv"), bad, sizeof bad - 1, 0);
	FILE *null = fopen("/dev/null", "w");
	ck_assert_int_eq(csvio_import_explanations(b, tu_path("allbad.csv"), 0, null, &st, &e), 2);
	fclose(null);
	ck_assert_msg(strstr(e.msg, "allbad.csv: nothing in this file could be read (1 bad row)"), "%s", e.msg);
	store_close(b);
}
END_TEST

/* A token cut inside a character (as a byte-level tokenizer makes them,
 * saex build stores them) is exported, its stray bytes as U+FFFD, never
 * dropped from the row. */
START_TEST(export_partial_utf8_tokens)
{
	store *s = make_db("part.db", 0);
	saex_err e = {{0}, 0};
	int64_t src;
	int added;
	ck_assert_int_eq(store_begin(s, &e), 0);
	ck_assert_int_eq(store_source_ensure(s, "gpt2-small", "9-res-jb", &src, &e), 0);
	store_str toks[] = {{" \xe6\xa1", 3}, {"\xa5 ok", 4}};
	float vals[] = {1, 2};
	store_act_in a = {4, toks, vals, 2, 2, 1, 1, -1, 2, -1, NULL, 0, 0};
	ck_assert_int_eq(store_put_activation(s, src, &a, &added, &e), 0);
	ck_assert_int_eq(store_commit(s, &e), 0);
	const char *csv = tu_path("part.csv");
	export_to(s, CSV_ACTIVATIONS, csv, 0);
	char *t = tu_read(csv, NULL);
	ck_assert_msg(strstr(t, "\"[\"\" \xef\xbf\xbd\xef\xbf\xbd\"\",\"\"\xef\xbf\xbd ok\"\"]\""), "%s", t);
	free(t);
	store_close(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");
	tcase_set_timeout(tc, 120); /* sanitizer builds and busy machines are slow */
	tcase_add_test(tc, explanations_round_trip);
	tcase_add_test(tc, export_features_activations);
	tcase_add_test(tc, bad_csv);
	tcase_add_test(tc, csv_inputs);
	tcase_add_test(tc, export_partial_utf8_tokens);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
