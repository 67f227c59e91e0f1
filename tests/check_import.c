/* check_import.c - the importers, on the real Neuronpedia rows in
 * ../shared/fixtures (laid out as an export folder and gzipped here) and on
 * bad input: malformed lines, wrong types, mismatched arrays, truncated
 * gzip streams, hostile bytes in tokens. */
#include "config.h"
#include "testutil.h"
#include "import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	suite_add_tcase(s, tc);
	return tu_run(s);
}
