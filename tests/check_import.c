/* check_import.c - the importers, on the real Neuronpedia rows in
 * ../shared/fixtures (laid out as an export folder and gzipped here) and on
 * bad input: malformed lines, wrong types, mismatched arrays, truncated
 * gzip streams, hostile bytes in tokens. */
#include "config.h"
#include "testutil.h"
#include "import.h"
#include "jsonl.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

static const char *log_path(void)
{
	return tu_path("import.log");
}

/* Runs an import with a log file; returns import_paths' status. */
static int run_import(const char *db, const char *const *paths, int n, import_opts *o,
                      import_stats *st, saex_err *e)
{
	store *s;
	saex_err oe = {{0}, 0};
	ck_assert_msg(store_open(&s, db, STORE_WRITE, &oe) == 0, "%s", oe.msg);
	FILE *log = fopen(log_path(), "w");
	ck_assert_ptr_nonnull(log);
	o->log = log;
	int rc = import_paths(s, (char *const *)paths, n, o, st, e);
	fclose(log);
	store_close(s);
	return rc;
}

static char *read_log(void)
{
	char *t = tu_read(log_path(), NULL);
	ck_assert_ptr_nonnull(t);
	return t;
}

static store *open_ro(const char *db)
{
	store *s;
	saex_err e = {{0}, 0};
	ck_assert_msg(store_open(&s, db, STORE_READ, &e) == 0, "%s", e.msg);
	return s;
}

/* Lays the fixture rows out as <model>/<source>/{features,activations}/ */
static const char *fixture_export(void)
{
	const char *fx = tu_fixtures();
	if (!fx)
		return NULL;
	static char root[1024];
	snprintf(root, sizeof root, "%s", tu_path("fx-export"));
	char dir[1200], src[1400];
	static const char *const kinds[][2] = {
		{"features", "export-features-batch-sample.jsonl"},
		{"activations", "export-activations-batch-sample.jsonl"},
	};
	for (int k = 0; k < 2; k++) {
		snprintf(dir, sizeof dir, "%s/gemma-2-2b/20-gemmascope-res-16k/%s", root, kinds[k][0]);
		tu_mkdirs(dir);
		snprintf(src, sizeof src, "%s/neuronpedia/%s", fx, kinds[k][1]);
		size_t n;
		char *data = tu_read(src, &n);
		ck_assert_ptr_nonnull(data);
		snprintf(src, sizeof src, "%s/batch-0.jsonl.gz", dir);
		tu_write(src, data, n, 1);
		free(data);
	}
	return root;
}

static json_t *fixture_lines(const char *name)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/neuronpedia/%s", tu_fixtures(), name);
	FILE *f = fopen(p, "r");
	ck_assert_ptr_nonnull(f);
	json_t *arr = json_array();
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *j = json_loads(line, 0, NULL);
		ck_assert_ptr_nonnull(j);
		json_array_append_new(arr, j);
	}
	free(line);
	fclose(f);
	return arr;
}

START_TEST(real_rows)
{
	const char *root = fixture_export();
	if (!root)
		return;
	const char *db = tu_path("real.db");
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	const char *paths[] = {root};
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.files, 2);
	ck_assert_int_eq(st.features, 4);
	ck_assert_int_eq(st.activations, 12);
	ck_assert_int_eq(st.bad_lines, 0);

	store *s = open_ro(db);
	arena a = {0};
	/* every feature line's values, as stored */
	json_t *feats = fixture_lines("export-features-batch-sample.jsonl");
	size_t i;
	json_t *row;
	json_array_foreach(feats, i, row) {
		saex_fid id = {"gemma-2-2b", "20-gemmascope-res-16k",
		               atoll(json_string_value(json_object_get(row, "index")))};
		store_feature f;
		ck_assert_msg(store_feature_get(s, &id, 0, &a, &f, &e) == 0, "%s", e.msg);
		ck_assert(f.max_act == json_number_value(json_object_get(row, "maxActApprox")));
		ck_assert(f.frac_nonzero == json_number_value(json_object_get(row, "frac_nonzero")));
		json_t *h = json_object_get(row, "freq_hist_data_bar_heights");
		json_t *hv = json_object_get(row, "freq_hist_data_bar_values");
		ck_assert_uint_eq(f.n_freq, json_array_size(h));
		for (size_t k = 0; k < f.n_freq; k++) {
			ck_assert(f.freq_h[k] == (float)json_number_value(json_array_get(h, k)));
			ck_assert(f.freq_v[k] == (float)json_number_value(json_array_get(hv, k)));
		}
		json_t *ps = json_object_get(row, "pos_str"), *pv = json_object_get(row, "pos_values");
		ck_assert_uint_eq(f.n_pos, json_array_size(ps));
		for (size_t k = 0; k < f.n_pos; k++) {
			const char *want = json_string_value(json_array_get(ps, k));
			ck_assert_uint_eq(f.pos_str[k].n, strlen(want));
			ck_assert_int_eq(memcmp(f.pos_str[k].p, want, f.pos_str[k].n), 0);
			ck_assert(f.pos_v[k] == (float)json_number_value(json_array_get(pv, k)));
		}
		ck_assert_uint_eq(f.n_neg, json_array_size(json_object_get(row, "neg_str")));
		/* kept extra fields */
		ck_assert_ptr_nonnull(f.extra_json);
		ck_assert_ptr_nonnull(strstr(f.extra_json, "neuron_alignment_indices"));
		ck_assert_uint_eq(f.n_acts, 3);
		arena_free(&a);
	}
	json_decref(feats);

	/* every activation line, found among its feature's examples */
	json_t *acts = fixture_lines("export-activations-batch-sample.jsonl");
	json_array_foreach(acts, i, row) {
		saex_fid id = {"gemma-2-2b", "20-gemmascope-res-16k",
		               atoll(json_string_value(json_object_get(row, "index")))};
		store_feature f;
		ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
		double mv = json_number_value(json_object_get(row, "maxValue"));
		json_t *toks = json_object_get(row, "tokens"), *vals = json_object_get(row, "values");
		int found = 0;
		for (size_t k = 0; k < f.n_acts && !found; k++) {
			store_act *x = &f.acts[k];
			if (x->max_value != (float)mv || x->n != json_array_size(toks) ||
			    x->max_index != json_integer_value(json_object_get(row, "maxValueTokenIndex")))
				continue;
			found = 1;
			ck_assert(x->bin_min == (float)json_number_value(json_object_get(row, "binMin")));
			ck_assert(x->bin_max == (float)json_number_value(json_object_get(row, "binMax")));
			ck_assert(x->bin_contains == (float)json_number_value(json_object_get(row, "binContains")));
			for (size_t t = 0; t < x->n; t++) {
				const char *want = json_string_value(json_array_get(toks, t));
				ck_assert_uint_eq(x->tokens[t].n, strlen(want));
				ck_assert_int_eq(memcmp(x->tokens[t].p, want, x->tokens[t].n), 0);
				ck_assert(x->values[t] == (float)json_number_value(json_array_get(vals, t)));
			}
		}
		ck_assert_msg(found, "activation %zu not stored", i);
		arena_free(&a);
	}
	json_decref(acts);
	store_close(s);

	/* again: the files are known and skipped, nothing is added */
	ck_assert_int_eq(run_import(db, paths, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.files_done_before, 2);
	ck_assert_int_eq(st.features + st.activations, 0);
	/* the same rows under other file names: stored rows are recognised */
	char plain[1200];
	snprintf(plain, sizeof plain, "%s/neuronpedia/export-activations-batch-sample.jsonl",
	         tu_fixtures());
	const char *p2[] = {plain};
	ck_assert_int_eq(run_import(db, p2, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.activations, 0);
	ck_assert_int_eq(st.unchanged, 12);
}
END_TEST

START_TEST(saedashboard_feature)
{
	const char *fx = tu_fixtures();
	if (!fx)
		return;
	char p[1200];
	snprintf(p, sizeof p, "%s/neuronpedia/saedashboard-feature-81408.json", fx);
	const char *db = tu_path("sd.db");
	const char *paths[] = {p};
	import_opts o = {.saedashboard = 1};
	import_stats st;
	saex_err e = {{0}, 0};
	/* the bare feature names no model or source */
	ck_assert_int_eq(run_import(db, paths, 1, &o, &st, &e), 2);
	char *log = read_log();
	ck_assert_ptr_nonnull(strstr(log, "pass --model and --source"));
	free(log);
	o.model = "gpt2-small";
	o.source = "8-res-sd";
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.features, 1);
	long first_acts = st.activations;
	/* the same file again is skipped whole */
	ck_assert_int_eq(run_import(db, paths, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.files_done_before, 1);
	/* a copy with other bytes (one more newline): every row, repeated
	 * examples too, is recognised */
	size_t len;
	char *copy = tu_read(p, &len);
	copy = realloc(copy, len + 2);
	copy[len] = '\n';
	tu_write(tu_path("sd-copy.json"), copy, len + 1, 0);
	free(copy);
	const char *p2[] = {tu_path("sd-copy.json")};
	ck_assert_int_eq(run_import(db, p2, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.files, 1);
	ck_assert_int_eq(st.activations, 0);
	ck_assert_int_eq(st.unchanged, first_acts + 1);
	st.activations = first_acts;

	json_t *doc = json_load_file(p, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	json_t *acts = json_object_get(doc, "activations");
	ck_assert_int_eq(st.activations, (long)json_array_size(acts));
	double mx = -INFINITY;
	size_t i;
	json_t *x;
	json_array_foreach(acts, i, x) {
		json_t *v = json_object_get(x, "values");
		for (size_t k = 0; k < json_array_size(v); k++)
			if ((float)json_number_value(json_array_get(v, k)) > mx)
				mx = (float)json_number_value(json_array_get(v, k));
	}
	store *s = open_ro(db);
	arena a = {0};
	store_feature f;
	saex_fid id = {"gpt2-small", "8-res-sd", 81408};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert(f.max_act == mx);
	ck_assert(f.frac_nonzero == json_number_value(json_object_get(doc, "frac_nonzero")));
	ck_assert_uint_eq(f.n_pos, 10);
	ck_assert(f.acts[0].max_value == (float)mx);
	ck_assert(f.acts[0].values[f.acts[0].max_index] == (float)mx);
	int top = 0;
	for (size_t k = 0; k < f.n_acts; k++)
		top += f.acts[k].bin_min == -1;
	ck_assert_int_gt(top, 0);
	arena_free(&a);
	store_close(s);
	json_decref(doc);
}
END_TEST

static const char bad_acts[] =
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"1\",\"tokens\":[\"a\",\"\\u001b[31mred\",\"\\u001b]52;c;aGk=\\u0007\",\"\\u009b2J\"],\"values\":[0,1.5,0,2.25],\"maxValue\":2.25,\"maxValueTokenIndex\":3,\"binMin\":-1,\"extraKey\":{\"x\":1}}\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"1\",\"tokens\":[\"a\"\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"1\",\"tokens\":[\"a\"],\"values\":\"abc\"}\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"1\",\"tokens\":[\"a\",\"b\",\"c\"],\"values\":[1,2]}\n"
	"\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":2,\"tokens\":[\"x\",\"y\"],\"values\":[0.5,0]}\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"two\",\"tokens\":[\"x\"],\"values\":[1]}\n"
	"[1,2,3]\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"3\",\"tokens\":[\"x\",\"y\"],\"values\":[1,\"2\"]}\n"
	"{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"3\",\"tokens\":[\"x\",\"y\"],\"values\":[1,2],\"maxValueTokenIndex\":9}\n";

START_TEST(bad_lines_skipped)
{
	const char *f = tu_path("bad-activations.jsonl");
	tu_write(f, bad_acts, sizeof bad_acts - 1, 0);
	const char *db = tu_path("bad.db");
	const char *paths[] = {f};
	import_opts o = {.kind = IMP_ACTIVATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.activations, 2);
	ck_assert_int_eq(st.bad_lines, 7);
	char *log = read_log();
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:2: malformed JSON"));
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:3: values: expected an array, got a string"));
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:4: tokens has 3 items but values has 2"));
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:7: index: \"two\" is not a feature index"));
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:8: expected a JSON object"));
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:9: values[1]: expected a number"));
	ck_assert_ptr_nonnull(strstr(log, "bad-activations.jsonl:10: maxValueTokenIndex: 9 is past"));
	ck_assert_ptr_nonnull(strstr(log, "(skipped)"));
	free(log);

	/* the hostile tokens are stored intact */
	store *s = open_ro(db);
	arena a = {0};
	store_feature ft;
	saex_fid id = {"m", "3-res", 1};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &ft, &e), 0);
	ck_assert_uint_eq(ft.n_acts, 1);
	ck_assert_uint_eq(ft.acts[0].n, 4);
	ck_assert_int_eq(memcmp(ft.acts[0].tokens[1].p, "\x1b[31mred", 8), 0);
	ck_assert_int_eq(memcmp(ft.acts[0].tokens[2].p, "\x1b]52;c;aGk=\x07", 12), 0);
	ck_assert_int_eq(memcmp(ft.acts[0].tokens[3].p, "\xc2\x9b" "2J", 4), 0);
	ck_assert(ft.acts[0].values[3] == 2.25f);
	/* no feature row: max from the examples; index given as a number */
	ck_assert(ft.max_act == 2.25);
	arena_free(&a);
	saex_fid id2 = {"m", "3-res", 2};
	ck_assert_int_eq(store_feature_get(s, &id2, 0, &a, &ft, &e), 0);
	/* a row without maxValue, minValue or maxValueTokenIndex gets them computed */
	ck_assert(ft.acts[0].max_value == 0.5 && ft.acts[0].max_index == 0);
	ck_assert(ft.acts[0].bin_min == -1);
	arena_free(&a);
	store_close(s);
}
END_TEST

START_TEST(strict_rolls_back_file)
{
	const char *good = tu_path("good-features.jsonl");
	static const char gl[] = "{\"modelId\":\"m\",\"layer\":\"3-res\",\"index\":\"5\",\"maxActApprox\":3.5,\"frac_nonzero\":0.01}\n";
	tu_write(good, gl, sizeof gl - 1, 0);
	const char *f = tu_path("strict-activations.jsonl");
	tu_write(f, bad_acts, sizeof bad_acts - 1, 0);
	const char *db = tu_path("strict.db");
	const char *paths[] = {good, f};
	import_opts o = {.strict = 1};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(run_import(db, paths, 2, &o, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "strict-activations.jsonl:2"));
	ck_assert_int_eq(st.features, 1);
	ck_assert_int_eq(st.activations, 0);
	store *s = open_ro(db);
	arena a = {0};
	store_cat_row *rows;
	size_t n;
	ck_assert_int_eq(store_catalog(s, &a, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].n_features, 1);
	ck_assert_int_eq(rows[0].n_activations, 0); /* the good first line was rolled back */
	arena_free(&a);
	store_close(s);
	/* a non-strict rerun completes it */
	o.strict = 0;
	ck_assert_int_eq(run_import(db, paths, 2, &o, &st, &e), 0);
	ck_assert_int_eq(st.files_done_before, 1);
	ck_assert_int_eq(st.activations, 2);
}
END_TEST

START_TEST(truncated_gzip)
{
	/* a large enough file that the cut lands inside the deflate stream */
	sb big = {0};
	for (int i = 0; i < 3000; i++)
		sb_printf(&big, "{\"modelId\":\"m\",\"layer\":\"4-res\",\"index\":\"%d\",\"tokens\":[\"t%d\",\" u%d\"],"
		          "\"values\":[%d.5,0]}\n", i % 97, i, i * 7, i % 13);
	tu_mkdirs(tu_path("tz/m/4-res/activations"));
	tu_mkdirs(tu_path("tz/m/4-res/features"));
	const char *gz = tu_path("tz/m/4-res/activations/batch-1.jsonl.gz");
	tu_write(gz, big.p, big.n, 1);
	size_t n;
	char *bytes = tu_read(gz, &n);
	tu_write(gz, bytes, n * 2 / 3, 0);
	free(bytes);
	static const char fl[] = "{\"modelId\":\"m\",\"layer\":\"4-res\",\"index\":\"5\",\"maxActApprox\":3.5}\n";
	tu_write(tu_path("tz/m/4-res/features/batch-0.jsonl.gz"), fl, sizeof fl - 1, 1);
	/* a second, intact activations batch after the damaged one */
	static const char al[] = "{\"modelId\":\"m\",\"layer\":\"4-res\",\"index\":\"5\",\"tokens\":[\"z\"],\"values\":[1]}\n";
	tu_write(tu_path("tz/m/4-res/activations/batch-2.jsonl.gz"), al, sizeof al - 1, 1);
	sb_free(&big);

	const char *db = tu_path("tz.db");
	const char *paths[] = {tu_path("tz")};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(run_import(db, paths, 1, &o, &st, &e), 2);
	ck_assert_int_eq(st.files, 2);
	ck_assert_int_eq(st.files_failed, 1);
	ck_assert_int_eq(st.features, 1);
	ck_assert_int_eq(st.activations, 1);
	char *log = read_log();
	ck_assert_msg(strstr(log, "batch-1.jsonl.gz:") && strstr(log, "nothing of this file was stored"),
	              "log: %s", log);
	free(log);
	store *s = open_ro(db);
	arena a = {0};
	store_cat_row *rows;
	ck_assert_int_eq(store_catalog(s, &a, &rows, &n, &e), 0);
	ck_assert_int_eq(rows[0].n_activations, 1);
	arena_free(&a);
	store_close(s);
}
END_TEST

START_TEST(explanations_and_catalog)
{
	tu_mkdirs(tu_path("ex/gpt2-small/9-res-jb/explanations"));
	static const char model[] = "{\"id\":\"gpt2-small\",\"displayName\":\"GPT2-Small\",\"layers\":12,\"dimension\":768,\"newField\":[1]}\n";
	static const char release[] = "{\"name\":\"res-jb\",\"description\":\"Residual stream SAEs\",\"urls\":[\"https://example.org\"]}\n";
	static const char set[] = "{\"modelId\":\"gpt2-small\",\"name\":\"res-jb\",\"releaseName\":\"res-jb\",\"type\":\"sae\"}\n";
	static const char source[] = "{\"id\":\"9-res-jb\",\"modelId\":\"gpt2-small\",\"setName\":\"res-jb\",\"saelensConfig\":{\"d_sae\":24576,\"metadata\":{\"hook_name\":\"blocks.9.hook_resid_pre\"}},\"num_prompts\":24576,\"num_tokens_in_prompt\":128,\"dataset\":\"Skylion007/openwebtext\"}\n";
	static const char expl[] =
		"{\"id\":\"a\",\"modelId\":\"gpt2-small\",\"layer\":\"9-res-jb\",\"index\":\"21474\",\"description\":\" the Golden Gate Bridge\",\"typeName\":\"oai_token-act-pair\",\"explanationModelName\":\"gpt-4o-mini\",\"embedding\":\"[0.5,0.25]\"}\n"
		"{\"modelId\":\"gpt2-small\",\"layer\":\"9-res-jb\",\"index\":21474,\"description\":\" bridges\",\"embedding\":[0.5,0.25,1]}\n"
		"{\"modelId\":\"gpt2-small\",\"layer\":\"9-res-jb\",\"index\":\"3\",\"description\":\" numbers\",\"embedding\":null,\"umap_x\":1}\n"
		"{\"modelId\":\"gpt2-small\",\"layer\":\"9-res-jb\",\"index\":\"4\",\"description\":\" bad\",\"embedding\":\"[oops\"}\n"
		"{\"modelId\":\"gpt2-small\",\"layer\":\"9-res-jb\",\"index\":\"4\"}\n";
	tu_write(tu_path("ex/gpt2-small/9-res-jb/model.jsonl"), model, sizeof model - 1, 0);
	tu_write(tu_path("ex/gpt2-small/9-res-jb/release.jsonl"), release, sizeof release - 1, 0);
	tu_write(tu_path("ex/gpt2-small/9-res-jb/sourceset.jsonl"), set, sizeof set - 1, 0);
	tu_write(tu_path("ex/gpt2-small/9-res-jb/source.jsonl"), source, sizeof source - 1, 0);
	tu_write(tu_path("ex/gpt2-small/9-res-jb/explanations/batch-0.jsonl.gz"), expl, sizeof expl - 1, 1);
	const char *db = tu_path("ex.db");
	const char *paths[] = {tu_path("ex")};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.catalog, 4);
	ck_assert_int_eq(st.explanations, 3);
	ck_assert_int_eq(st.bad_lines, 2);
	char *log = read_log();
	ck_assert_ptr_nonnull(strstr(log, "batch-0.jsonl.gz:4: embedding: a string that is not a JSON array"));
	ck_assert_ptr_nonnull(strstr(log, "batch-0.jsonl.gz:5: description: missing"));
	free(log);
	store *s = open_ro(db);
	arena a = {0};
	store_cat_row *rows;
	size_t n;
	ck_assert_int_eq(store_catalog(s, &a, &rows, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].model_display, "GPT2-Small");
	ck_assert_int_eq(rows[0].layers, 12);
	ck_assert_int_eq(rows[0].dimension, 768);
	ck_assert_str_eq(rows[0].release, "res-jb");
	ck_assert_str_eq(rows[0].release_desc, "Residual stream SAEs");
	ck_assert_str_eq(rows[0].hook_name, "blocks.9.hook_resid_pre");
	ck_assert_int_eq(rows[0].d_sae, 24576);
	ck_assert_int_eq(rows[0].num_prompts, 24576);
	ck_assert_str_eq(rows[0].dataset, "Skylion007/openwebtext");
	ck_assert_int_eq(rows[0].n_explanations, 3);
	store_feature f;
	saex_fid id = {"gpt2-small", "9-res-jb", 21474};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert_uint_eq(f.n_expl, 2);
	ck_assert_str_eq(f.expl[0].description, " the Golden Gate Bridge");
	ck_assert_str_eq(f.expl[0].type_name, "oai_token-act-pair");
	ck_assert_ptr_null(f.expl[1].type_name);
	ck_assert_str_eq(f.hook_name, "blocks.9.hook_resid_pre");
	arena_free(&a);
	store_close(s);
}
END_TEST

START_TEST(kind_from_content)
{
	static const char rows[] = "{\"modelId\":\"m\",\"layer\":\"1-x\",\"index\":\"2\",\"description\":\" hi\"}\n";
	const char *f = tu_path("whatever.jsonl");
	tu_write(f, rows, sizeof rows - 1, 0);
	const char *db = tu_path("kind.db");
	const char *paths[] = {f};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.explanations, 1);
	/* a file of rows of no known kind */
	static const char odd[] = "{\"hello\":1}\n";
	const char *f2 = tu_path("odd.jsonl");
	tu_write(f2, odd, sizeof odd - 1, 0);
	const char *p2[] = {f2};
	ck_assert_int_eq(run_import(db, p2, 1, &o, &st, &e), 2);
	char *log = read_log();
	ck_assert_ptr_nonnull(strstr(log, "pass --kind"));
	free(log);
	/* a folder with nothing to import */
	tu_mkdirs(tu_path("emptydir"));
	const char *p3[] = {tu_path("emptydir")};
	ck_assert_int_eq(run_import(db, p3, 1, &o, &st, &e), 2);
	ck_assert_ptr_nonnull(strstr(e.msg, "emptydir: no Neuronpedia export"));
}
END_TEST

/* ---------------------------------------------------------------- inputs */

/* The store's catalog row of the only source (asserts there is one). */
static store_cat_row one_source(const char *db)
{
	store *s = open_ro(db);
	static arena a;
	store_cat_row *rows;
	size_t n;
	saex_err e = {{0}, 0};
	ck_assert_msg(store_catalog(s, &a, &rows, &n, &e) == 0, "%s", e.msg);
	ck_assert_uint_eq(n, 1);
	store_close(s);
	return rows[0];
}

static const char three_acts[] =
	"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"1\",\"tokens\":[\"a\",\"b\"],\"values\":[0,1]}\n"
	"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"2\",\"tokens\":[\"c\",\"d\"],\"values\":[2,0]}\n"
	"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"3\",\"tokens\":[\"e\"],\"values\":[3]}\n";

/* A pipe is read once: its rows are stored and the key recorded is that of
 * what was read, so the same rows from a file are then "already imported". */
/* A pipe with a writer, as a process substitution gives one: its path
 * (/dev/fd/N) in buf. The writer is a child writing n bytes; the caller
 * waits for it and closes *fd. */
static const char *writer_pipe(const void *data, size_t n, char *buf, size_t len, int *fd, pid_t *pid)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	*pid = fork();
	ck_assert_int_ge(*pid, 0);
	if (*pid == 0) {
		close(p[0]);
		_exit(write(p[1], data, n) == (ssize_t)n ? 0 : 1);
	}
	close(p[1]);
	*fd = p[0];
	snprintf(buf, len, "/dev/fd/%d", p[0]);
	return buf;
}

/* A pipe is read once: its rows are stored and the key recorded is that of
 * what was read, so the same rows from a file are then "already imported". */
START_TEST(pipe_read_once)
{
	char path[64];
	int fd, status;
	pid_t pid;
	const char *paths[] = {writer_pipe(three_acts, sizeof three_acts - 1, path, sizeof path, &fd, &pid)};
	const char *db = tu_path("pipe.db");
	import_opts o = {.kind = IMP_ACTIVATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	waitpid(pid, &status, 0);
	close(fd);
	ck_assert_int_eq(st.activations, 3);
	ck_assert_int_eq(one_source(db).n_activations, 3);
	const char *file = tu_path("rows.jsonl");
	tu_write(file, three_acts, sizeof three_acts - 1, 0);
	const char *p2[] = {file};
	ck_assert_int_eq(run_import(db, p2, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.files_done_before, 1);
	/* a FIFO with no writer: no wait, nothing recorded */
	const char *lone = tu_path("lone.fifo");
	ck_assert_int_eq(mkfifo(lone, 0600), 0);
	const char *p3[] = {lone};
	ck_assert_int_eq(run_import(db, p3, 1, &o, &st, &e), 0);
	char *log = read_log();
	ck_assert_msg(strstr(log, "lone.fifo: empty: nothing to import"), "%s", log);
	free(log);
}
END_TEST

/* CRC-32 of the bytes, as zlib computes it. */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

/* Sets the last 4 bytes of buf so that its CRC-32 is want (the table
 * method: the top byte of each step names the table entry used). */
static void crc32_forge(unsigned char *buf, size_t n, uint32_t want)
{
	uint32_t t[256], top_to_i[256];
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
		t[i] = c;
		top_to_i[c >> 24] = i;
	}
	uint32_t f = want ^ 0xffffffffu, idx[4];
	for (int k = 3; k >= 0; k--) {
		idx[k] = top_to_i[f >> 24];
		f = (f ^ t[idx[k]]) << 8;
	}
	uint32_t c = crc32_of(buf, n - 4) ^ 0xffffffffu;
	for (int k = 0; k < 4; k++) {
		buf[n - 4 + k] = (unsigned char)((c ^ idx[k]) & 0xff);
		c = (c >> 8) ^ t[idx[k]];
	}
}

/* Two different files of the same length and CRC-32 are both imported. */
START_TEST(content_key_is_sha256)
{
	char a[256], b[256];
	int na = snprintf(a, sizeof a, "{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"1\",\"description\":\" one\"}\nXXXX\n");
	int nb = snprintf(b, sizeof b, "{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"2\",\"description\":\" two\"}\nXXXX\n");
	ck_assert_int_eq(na, nb);
	crc32_forge((unsigned char *)b, (size_t)nb - 1, crc32_of((unsigned char *)a, (size_t)na - 1) ^ 0);
	/* the forged bytes end line 2; the newline after them is the same in both */
	ck_assert_uint_eq(crc32_of((unsigned char *)a, (size_t)na), crc32_of((unsigned char *)b, (size_t)nb));
	ck_assert(memcmp(a, b, (size_t)na) != 0);
	tu_write(tu_path("ka.jsonl"), a, (size_t)na, 0);
	tu_write(tu_path("kb.jsonl"), b, (size_t)nb, 0);
	const char *db = tu_path("key.db");
	const char *paths[] = {tu_path("ka.jsonl"), tu_path("kb.jsonl")};
	import_opts o = {.kind = IMP_EXPLANATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(run_import(db, paths, 2, &o, &st, &e), 0);
	ck_assert_int_eq(st.files_done_before, 0);
	ck_assert_int_eq(st.explanations, 2);
}
END_TEST

/* What is not a file or a pipe is refused by name, without being read. */
START_TEST(special_files_refused)
{
	const char *db = tu_path("special.db");
	const char *paths[] = {"/dev/zero"};
	import_opts o = {.kind = IMP_ACTIVATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(run_import(db, paths, 1, &o, &st, &e), 2);
	char *log = read_log();
	ck_assert_msg(strstr(log, "/dev/zero: is a character device, not a file"), "%s", log);
	free(log);
	ck_assert_int_eq(st.files_failed, 1);
}
END_TEST

/* A UTF-8 byte-order mark is not part of the first line. */
START_TEST(bom_skipped)
{
	sb b = {0};
	sb_adds(&b, "\xef\xbb\xbf");
	sb_adds(&b, three_acts);
	tu_write(tu_path("bom.jsonl.gz"), b.p, b.n, 1);
	tu_write(tu_path("bom.jsonl"), b.p, b.n, 0);
	sb_free(&b);
	import_opts o = {.kind = IMP_ACTIVATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	const char *p1[] = {tu_path("bom.jsonl")}, *p2[] = {tu_path("bom.jsonl.gz")};
	ck_assert_int_eq(run_import(tu_path("bom1.db"), p1, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.activations, 3);
	ck_assert_int_eq(st.bad_lines, 0);
	ck_assert_int_eq(run_import(tu_path("bom2.db"), p2, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.activations, 3);
}
END_TEST

/* A file whose rows all fail imports nothing, is not recorded, and fails. */
START_TEST(nothing_read_fails)
{
	const char *f = tu_path("notes.txt");
	tu_write(f, "hello\nworld\n", 12, 0);
	const char *paths[] = {f};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	for (int run = 0; run < 2; run++) {
		ck_assert_int_eq(run_import(tu_path("notes.db"), paths, 1, &o, &st, &e), 2);
		ck_assert_int_eq(st.files_failed, 1);
		ck_assert_int_eq(st.files_done_before, 0);
		char *log = read_log();
		ck_assert_msg(strstr(log, "notes.txt: nothing in this file could be read (2 bad lines; the first, "
		                          "line 1: malformed JSON"), "%s", log);
		free(log);
	}
}
END_TEST

/* explanations-<model>/ folders hold one explainer's explanations. */
START_TEST(explainer_folders)
{
	static const char rows[] =
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"4\",\"description\":\" lies\"}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"5\",\"description\":\" ships\",\"explanationModelName\":\"x\"}\n";
	tu_mkdirs(tu_path("xf/m/2-p/explanations-gpt-4o-mini"));
	tu_write(tu_path("xf/m/2-p/explanations-gpt-4o-mini/batch-0.jsonl.gz"), rows, sizeof rows - 1, 1);
	const char *db = tu_path("xf.db");
	const char *paths[] = {tu_path("xf")};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(run_import(db, paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.explanations, 2);
	store *s = open_ro(db);
	arena a = {0};
	store_feature f;
	saex_fid id = {"m", "2-p", 4}, id5 = {"m", "2-p", 5};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert_str_eq(f.expl[0].explainer, "gpt-4o-mini");
	ck_assert_int_eq(store_feature_get(s, &id5, 0, &a, &f, &e), 0);
	ck_assert_str_eq(f.expl[0].explainer, "x");
	arena_free(&a);
	store_close(s);
	/* a single file in such a folder too */
	const char *p2[] = {tu_path("xf/m/2-p/explanations-gpt-4o-mini/batch-0.jsonl.gz")};
	ck_assert_int_eq(run_import(tu_path("xf2.db"), p2, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.explanations, 2);
}
END_TEST

/* Each folder once, however many symlinks lead to it. */
START_TEST(symlink_loops)
{
	tu_mkdirs(tu_path("loop/m/2-p/activations"));
	tu_write(tu_path("loop/m/2-p/activations/batch-0.jsonl"), three_acts, sizeof three_acts - 1, 0);
	for (int i = 0; i < 6; i++) {
		char name[64];
		snprintf(name, sizeof name, "loop/self%d", i);
		ck_assert_int_eq(symlink(".", tu_path(name)), 0);
		snprintf(name, sizeof name, "loop/m/up%d", i);
		ck_assert_int_eq(symlink("..", tu_path(name)), 0);
	}
	const char *paths[] = {tu_path("loop"), tu_path("loop/m/2-p/activations/batch-0.jsonl")};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_msg(run_import(tu_path("loop.db"), paths, 2, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.files, 1);
	ck_assert_int_eq(st.files_done_before, 0);
	ck_assert_int_eq(st.activations, 3);
}
END_TEST

/* ------------------------------------------------------------ documents */

static const char *const api_names[] = {
	"api-feature-gemma-2-2b-20-gemmascope-res-16k-13710.json", "api-feature-gemma-2-2b-20-gemmascope-res-16k-817.json",
	"api-feature-gemma-2-2b-20-gemmascope-res-16k-8408.json", "api-feature-gemma-2-2b-20-gemmascope-res-16k-8837.json",
};

static json_t *api_fixture(size_t i)
{
	char p[1200];
	snprintf(p, sizeof p, "%s/neuronpedia/%s", tu_fixtures(), api_names[i]);
	json_error_t je;
	json_t *j = json_load_file(p, 0, &je);
	ck_assert_msg(j != NULL, "%s: %s", p, je.text);
	return j;
}

/* Neuronpedia's feature API JSON: one feature a file (pretty-printed), an
 * array of them, or one a line; nested activations, explanations, model
 * and sourceSet are stored too. */
START_TEST(api_feature_json)
{
	if (!tu_fixtures())
		return;
	const char *paths[4];
	char names[4][1200];
	for (int i = 0; i < 4; i++) {
		snprintf(names[i], sizeof names[i], "%s/neuronpedia/%s", tu_fixtures(), api_names[i]);
		paths[i] = names[i];
	}
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	const char *db = tu_path("api.db");
	ck_assert_msg(run_import(db, paths, 4, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.files, 4);
	ck_assert_int_eq(st.features, 4);
	ck_assert_int_eq(st.activations, 12);
	ck_assert_int_eq(st.bad_lines, 0);
	store_cat_row r = one_source(db);
	ck_assert_str_eq(r.model_display, "Gemma-2-2B");
	ck_assert_int_eq(r.layers, 26);
	ck_assert_str_eq(r.release, "gemma-scope");
	store *s = open_ro(db);
	arena a = {0};
	store_feature f;
	saex_fid id = {"gemma-2-2b", "20-gemmascope-res-16k", 817};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert(f.max_act == 125.804 && f.frac_nonzero == 0.00763);
	ck_assert_uint_eq(f.n_pos, 10);
	ck_assert_uint_eq(f.n_acts, 3);
	ck_assert_int_eq(memcmp(f.pos_str[0].p, "\xe2\x96\x81" "false", 8), 0);
	arena_free(&a);
	store_close(s);

	/* an array of them, and one a line, with explanations nested */
	json_t *arr = json_array();
	sb lines = {0};
	for (size_t i = 0; i < 4; i++) {
		json_t *ft = api_fixture(i);
		json_object_set_new(ft, "explanations", json_pack("[{ss ss ss}]", "description", " lies and falsehoods",
		                                                  "typeName", "oai_token-act-pair",
		                                                  "explanationModelName", "gpt-4o-mini"));
		char *d = json_dumps(ft, JSON_COMPACT);
		sb_adds(&lines, d);
		sb_addc(&lines, '\n');
		free(d);
		json_array_append_new(arr, ft);
	}
	char *d = json_dumps(arr, JSON_INDENT(1));
	tu_write(tu_path("features.json.gz"), d, strlen(d), 1);
	free(d);
	json_decref(arr);
	tu_write(tu_path("features.jsonl"), lines.p, lines.n, 0);
	sb_free(&lines);
	const char *p1[] = {tu_path("features.json.gz")}, *p2[] = {tu_path("features.jsonl")};
	for (int k = 0; k < 2; k++) {
		ck_assert_msg(run_import(tu_path(k ? "api2.db" : "api1.db"), k ? p2 : p1, 1, &o, &st, &e) == 0, "%s", e.msg);
		ck_assert_int_eq(st.features, 4);
		ck_assert_int_eq(st.activations, 12);
		ck_assert_int_eq(st.explanations, 4);
	}
	s = open_ro(tu_path("api2.db"));
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert_uint_eq(f.n_expl, 1);
	ck_assert_str_eq(f.expl[0].explainer, "gpt-4o-mini");
	arena_free(&a);
	store_close(s);
}
END_TEST

/* A SAEDashboard batch names its model after its features (sorted keys):
 * read in two passes from a file; from a pipe only with --model/--source. */
START_TEST(saedashboard_batch_streamed)
{
	sb b = {0};
	sb_adds(&b, "{\"features\": [");
	for (int i = 0; i < 40; i++)
		sb_printf(&b, "%s{\"feature_index\": %d, \"frac_nonzero\": 0.01, \"activations\": [{\"tokens\": [\"a\", \"b\"], "
		          "\"values\": [0, %d.5], \"bin_min\": -1, \"bin_max\": 3, \"bin_contains\": -1}]}", i ? ", " : "", i, i);
	sb_adds(&b, "], \"layer\": 5, \"model_id\": \"gpt2-small\", \"sae_id_suffix\": \"res-sd\"}\n");
	tu_write(tu_path("batch-0.json"), b.p, b.n, 0);
	import_opts o = {.saedashboard = 1};
	import_stats st;
	saex_err e = {{0}, 0};
	const char *paths[] = {tu_path("batch-0.json")};
	ck_assert_msg(run_import(tu_path("sdb.db"), paths, 1, &o, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(st.features, 40);
	ck_assert_int_eq(st.activations, 40);
	ck_assert_str_eq(one_source(tu_path("sdb.db")).source, "5-res-sd");
	/* from a pipe: a clear error, and with the ids given it works */
	for (int k = 0; k < 2; k++) {
		char path[64];
		int fd, status;
		pid_t pid;
		const char *pp[] = {writer_pipe(b.p, b.n, path, sizeof path, &fd, &pid)};
		import_opts op = {.saedashboard = 1, .model = k ? "gpt2-small" : NULL, .source = k ? "5-res-sd" : NULL};
		int rc = run_import(tu_path(k ? "sdp2.db" : "sdp.db"), pp, 1, &op, &st, &e);
		close(fd);
		waitpid(pid, &status, 0);
		if (k == 0) {
			ck_assert_int_eq(rc, 2);
			char *log = read_log();
			ck_assert_msg(strstr(log, "a pipe cannot be read twice: pass --model and --source"), "%s", log);
			free(log);
		} else {
			ck_assert_msg(rc == 0, "%s", e.msg);
			ck_assert_int_eq(st.features, 40);
		}
	}
	sb_free(&b);
}
END_TEST

/* jansson's allocations, counted: the peak of live bytes, and an optional
 * budget past which they fail (as malloc does when memory runs out). */
static size_t tu_live, tu_peak, tu_budget;

static void *tu_counting_malloc(size_t n)
{
	if (tu_budget && tu_live + n > tu_budget)
		return NULL;
	size_t *p = malloc(n + 16);
	if (!p)
		return NULL;
	p[0] = n;
	tu_live += n;
	if (tu_live > tu_peak)
		tu_peak = tu_live;
	return (char *)p + 16;
}

static void tu_counting_free(void *q)
{
	if (!q)
		return;
	size_t *p = (size_t *)((char *)q - 16);
	tu_live -= p[0];
	free(p);
}

/* A batch parses one feature at a time: jansson's memory stays near one
 * feature's, not the document's. */
START_TEST(saedashboard_memory_bounded)
{
	sb b = {0};
	sb_adds(&b, "{\"model_id\": \"m\", \"layer\": \"3-sd\", \"features\": [");
	for (int i = 0; i < 300; i++) {
		sb_printf(&b, "%s{\"feature_index\": %d, \"activations\": [", i ? ", " : "", i);
		for (int k = 0; k < 4; k++) {
			sb_printf(&b, "%s{\"bin_min\": -1, \"tokens\": [", k ? ", " : "");
			for (int t = 0; t < 128; t++)
				sb_printf(&b, "%s\"t%d\"", t ? "," : "", (t * 7 + i) % 50);
			sb_adds(&b, "], \"values\": [");
			for (int t = 0; t < 128; t++)
				sb_printf(&b, "%s%d.25", t ? "," : "", t % 5);
			sb_adds(&b, "]}");
		}
		sb_adds(&b, "]}");
	}
	sb_adds(&b, "]}\n");
	ck_assert_uint_gt(b.n, 1u << 20);
	tu_write(tu_path("big.json"), b.p, b.n, 0);
	sb_free(&b);
	json_set_alloc_funcs(tu_counting_malloc, tu_counting_free);
	tu_live = tu_peak = tu_budget = 0;
	import_opts o = {.saedashboard = 1};
	import_stats st;
	saex_err e = {{0}, 0};
	const char *paths[] = {tu_path("big.json")};
	int rc = run_import(tu_path("big.db"), paths, 1, &o, &st, &e);
	json_set_alloc_funcs(malloc, free);
	ck_assert_msg(rc == 0, "%s", e.msg);
	ck_assert_int_eq(st.features, 300);
	/* a whole-document parse holds some 30 MB of JSON values; one feature ~0.1 MB */
	ck_assert_msg(tu_peak < (1u << 20), "jansson peak %zu bytes", tu_peak);
}
END_TEST

/* Running out of memory while parsing stops the run: the file is rolled
 * back and not recorded, so a rerun with memory imports it. */
START_TEST(out_of_memory_not_recorded)
{
	sb b = {0};
	sb_adds(&b, three_acts);
	sb_adds(&b, "{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"4\",\"tokens\":[");
	for (int t = 0; t < 20000; t++)
		sb_printf(&b, "%s\"w%d\"", t ? "," : "", t);
	sb_adds(&b, "],\"values\":[");
	for (int t = 0; t < 20000; t++)
		sb_printf(&b, "%s%d", t ? "," : "", t % 3);
	sb_adds(&b, "]}\n");
	tu_write(tu_path("oom.jsonl"), b.p, b.n, 0);
	sb_free(&b);
	const char *paths[] = {tu_path("oom.jsonl")};
	import_opts o = {.kind = IMP_ACTIVATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	json_set_alloc_funcs(tu_counting_malloc, tu_counting_free);
	tu_live = tu_peak = 0;
	tu_budget = 256 << 10; /* the long line's values need more */
	int rc = run_import(tu_path("oom.db"), paths, 1, &o, &st, &e);
	tu_budget = 0;
	json_set_alloc_funcs(malloc, free);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(e.msg, "oom.jsonl:4: out of memory") && strstr(e.msg, "not recorded as imported"), "%s",
	              e.msg);
	ck_assert_int_eq(st.bad_lines, 0);
	ck_assert_int_eq(st.activations, 0);
	ck_assert_int_eq(run_import(tu_path("oom.db"), paths, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.files_done_before, 0);
	ck_assert_int_eq(st.activations, 4);
}
END_TEST

/* A line over the limit is an error that names the limit. */
START_TEST(line_limit)
{
	size_t n = JSONL_MAX_LINE + 100;
	char *big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', n);
	memcpy(big, "{\"modelId\":\"m\"", 14);
	big[n - 1] = '\n';
	tu_write(tu_path("long.jsonl"), big, n, 0);
	free(big);
	const char *paths[] = {tu_path("long.jsonl")};
	import_opts o = {.kind = IMP_ACTIVATIONS};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(run_import(tu_path("long.db"), paths, 1, &o, &st, &e), 2);
	char *log = read_log();
	ck_assert_msg(strstr(log, "long.jsonl:1: a line or JSON value longer than 16 MiB"), "%s", log);
	free(log);
}
END_TEST

/* ------------------------------------------------------------ rules */

/* A feature row with fewer fields merges into the stored one: what it has
 * replaces, what it lacks stays; the summary counts it as updated. */
START_TEST(duplicate_feature_merges)
{
	static const char full[] =
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"7\",\"maxActApprox\":5.5,\"frac_nonzero\":0.25,"
		"\"freq_hist_data_bar_heights\":[3,2],\"freq_hist_data_bar_values\":[0.5,1.5],"
		"\"pos_str\":[\" up\"],\"pos_values\":[1.5],\"neg_str\":[\" down\"],\"neg_values\":[-1],"
		"\"topkCosSimIndices\":[7,9],\"topkCosSimValues\":[1,0.5],\"neuron_alignment_indices\":[4]}\n";
	static const char thin[] =
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"7\",\"maxActApprox\":6,\"pos_str\":[],\"pos_values\":[],"
		"\"hookName\":\"blocks.2.hook_resid_pre\"}\n";
	tu_write(tu_path("full.jsonl"), full, sizeof full - 1, 0);
	tu_write(tu_path("thin.jsonl"), thin, sizeof thin - 1, 0);
	const char *db = tu_path("merge.db");
	import_opts o = {.kind = IMP_FEATURES};
	import_stats st;
	saex_err e = {{0}, 0};
	const char *p1[] = {tu_path("full.jsonl")}, *p2[] = {tu_path("thin.jsonl")};
	ck_assert_int_eq(run_import(db, p1, 1, &o, &st, &e), 0);
	ck_assert_int_eq(run_import(db, p2, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.features, 0);
	ck_assert_int_eq(st.updated, 1);
	ck_assert_int_eq(st.unchanged, 0);
	store *s = open_ro(db);
	arena a = {0};
	store_feature f;
	saex_fid id = {"m", "2-p", 7};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert(f.max_act == 6);                 /* replaced */
	ck_assert(f.frac_nonzero == 0.25);         /* kept */
	ck_assert_uint_eq(f.n_freq, 2);
	ck_assert_uint_eq(f.n_pos, 1);
	ck_assert_int_eq(memcmp(f.pos_str[0].p, " up", 3), 0);
	ck_assert_uint_eq(f.n_neg, 1);
	ck_assert_uint_eq(f.n_cos, 2);
	ck_assert_msg(strstr(f.extra_json, "neuron_alignment_indices") && strstr(f.extra_json, "hookName"), "%s",
	              f.extra_json);
	arena_free(&a);
	store_close(s);
	/* the same thin row again changes nothing */
	tu_write(tu_path("thin2.jsonl"), thin, sizeof thin - 1, 0);
	const char *p3[] = {tu_path("thin2.jsonl")};
	import_opts o2 = {.kind = IMP_FEATURES, .model = "m"};
	ck_assert_int_eq(run_import(db, p3, 1, &o2, &st, &e), 0);
	ck_assert_int_eq(st.updated, 0);
	ck_assert_int_eq(st.unchanged, 1);
}
END_TEST

/* Values that would not survive storage are refused with file:line. */
START_TEST(values_out_of_range)
{
	static const char rows[] =
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":9007199254740992,\"maxActApprox\":1}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"9007199254740993\",\"maxActApprox\":1}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"1\",\"pos_str\":[\"a\"],\"pos_values\":[1e39]}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"2\",\"topkCosSimIndices\":[1e30],\"topkCosSimValues\":[1]}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"3\",\"freq_hist_data_bar_heights\":[4,-1],"
		"\"freq_hist_data_bar_values\":[1,2]}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"4\",\"topkCosSimIndices\":[16777217],\"topkCosSimValues\":[1]}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"9007199254740991\",\"maxActApprox\":1}\n";
	static const char acts[] =
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"1\",\"tokens\":[\"a\"],\"values\":[1],\"maxValueTokenIndex\":1e300}\n"
		"{\"modelId\":\"m\",\"layer\":\"2-p\",\"index\":\"1\",\"tokens\":[\"a\"],\"values\":[1],\"maxValue\":1e39}\n";
	tu_write(tu_path("range-features.jsonl"), rows, sizeof rows - 1, 0);
	tu_write(tu_path("range-activations.jsonl"), acts, sizeof acts - 1, 0);
	char pf[1024], pa[1024];
	snprintf(pf, sizeof pf, "%s", tu_path("range-features.jsonl"));
	snprintf(pa, sizeof pa, "%s", tu_path("range-activations.jsonl"));
	const char *paths[] = {pf, pa};
	import_opts o = {0};
	import_stats st;
	saex_err e = {{0}, 0};
	ck_assert_int_eq(run_import(tu_path("range.db"), paths, 1, &o, &st, &e), 0);
	ck_assert_int_eq(st.features, 2);
	ck_assert_int_eq(st.bad_lines, 5);
	const char *p2[] = {paths[1]};
	ck_assert_int_eq(run_import(tu_path("range.db"), p2, 1, &o, &st, &e), 2);
	char *log = tu_read(log_path(), NULL);
	ck_assert_ptr_nonnull(strstr(log, "range-activations.jsonl:1: maxValueTokenIndex: 1e+300 is past the 1 tokens"));
	ck_assert_ptr_nonnull(strstr(log, "range-activations.jsonl:2: maxValue: 1e+39 is too large for a 32-bit float"));
	free(log);
	/* the features file's reasons */
	ck_assert_int_eq(run_import(tu_path("range2.db"), paths, 1, &o, &st, &e), 0);
	log = read_log();
	ck_assert_msg(strstr(log, "range-features.jsonl:1: index: 9.0072e+15 is not a feature index") ||
	              strstr(log, "range-features.jsonl:1: index: 9007199254740992 is too large"), "%s", log);
	ck_assert_ptr_nonnull(strstr(log, "range-features.jsonl:2: index: 9007199254740993 is too large"));
	ck_assert_ptr_nonnull(strstr(log, "range-features.jsonl:3: pos_values[0]: 1e+39 is too large for a 32-bit float"));
	ck_assert_ptr_nonnull(strstr(log, "range-features.jsonl:4: topkCosSimIndices[0]: not a feature index"));
	ck_assert_ptr_nonnull(strstr(log, "range-features.jsonl:5: freq_hist_data_bar_heights[1]: a count cannot be negative"));
	free(log);
	store *s = open_ro(tu_path("range2.db"));
	arena a = {0};
	store_feature f;
	saex_fid id = {"m", "2-p", 4};
	ck_assert_int_eq(store_feature_get(s, &id, 0, &a, &f, &e), 0);
	ck_assert_uint_eq(f.cos_idx[0], 16777217); /* exact, not rounded through a float */
	arena_free(&a);
	store_close(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, real_rows);
	tcase_add_test(tc, saedashboard_feature);
	tcase_add_test(tc, bad_lines_skipped);
	tcase_add_test(tc, strict_rolls_back_file);
	tcase_add_test(tc, truncated_gzip);
	tcase_add_test(tc, explanations_and_catalog);
	tcase_add_test(tc, kind_from_content);
	tcase_add_test(tc, pipe_read_once);
	tcase_add_test(tc, content_key_is_sha256);
	tcase_add_test(tc, special_files_refused);
	tcase_add_test(tc, bom_skipped);
	tcase_add_test(tc, nothing_read_fails);
	tcase_add_test(tc, explainer_folders);
	tcase_add_test(tc, symlink_loops);
	tcase_add_test(tc, api_feature_json);
	tcase_add_test(tc, saedashboard_batch_streamed);
	tcase_add_test(tc, saedashboard_memory_bounded);
	tcase_add_test(tc, out_of_memory_not_recorded);
	tcase_add_test(tc, line_limit);
	tcase_add_test(tc, duplicate_feature_merges);
	tcase_add_test(tc, values_out_of_range);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
