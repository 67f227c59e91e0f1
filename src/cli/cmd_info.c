/* cmd_info.c - saex info: the catalog of a database. */
#include "config.h"
#include "cli.h"
#include "store.h"

#include <getopt.h>
#include <string.h>

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static json_t *jstr_or_null(const char *s)
{
	return cli_json_text(s);
}

static json_t *jint_or_null(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *info_json(store_cat_row *r, size_t n)
{
	json_t *models = json_array();
	json_t *m = NULL, *sets = NULL, *set = NULL, *sources = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!m || !same(r[i].model, r[i - 1].model)) {
			m = json_pack("{ss so so so}", "id", r[i].model, "displayName",
			              jstr_or_null(r[i].model_display), "layers", jint_or_null(r[i].layers),
			              "dimension", jint_or_null(r[i].dimension));
			sets = json_array();
			json_object_set_new(m, "sourceSets", sets);
			json_array_append_new(models, m);
			set = NULL;
		}
		if (!set || !same(r[i].set, r[i - 1].set) || !same(r[i].release, r[i - 1].release)) {
			set = json_pack("{so so so so so}", "name", jstr_or_null(r[i].set), "releaseName",
			                jstr_or_null(r[i].release), "releaseDescription",
			                jstr_or_null(r[i].release_desc), "description",
			                jstr_or_null(r[i].set_desc), "type", jstr_or_null(r[i].set_type));
			sources = json_array();
			json_object_set_new(set, "sources", sources);
			json_array_append_new(sets, set);
		}
		json_array_append_new(
			sources,
			json_pack("{ss so so so so so sI sI sI}", "id", r[i].source, "hookName",
			          jstr_or_null(r[i].hook_name), "d_sae", jint_or_null(r[i].d_sae),
			          "dataset", jstr_or_null(r[i].dataset), "num_prompts",
			          jint_or_null(r[i].num_prompts), "num_tokens_in_prompt",
			          jint_or_null(r[i].num_tokens_in_prompt), "features",
			          (json_int_t)r[i].n_features, "activations", (json_int_t)r[i].n_activations,
			          "explanations", (json_int_t)r[i].n_explanations));
	}
	return json_pack("{so}", "models", models);
}

static void info_text(const cli_style *cs, store_cat_row *r, size_t n)
{
	sb o = {0};
	int64_t tf = 0, ta = 0, te = 0;
#define TXT(s) cli_put_text(&o, cs, (s), strlen(s), 0)
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !same(r[i].model, r[i - 1].model)) {
			if (i)
				sb_addc(&o, '\n');
			TXT(r[i].model);
			if (r[i].model_display) {
				sb_adds(&o, "  ");
				TXT(r[i].model_display);
			}
			if (r[i].layers >= 0)
				sb_printf(&o, ", %lld layers", (long long)r[i].layers);
			if (r[i].dimension >= 0)
				sb_printf(&o, ", d_model %lld", (long long)r[i].dimension);
			sb_addc(&o, '\n');
		}
		if (i == 0 || !same(r[i].model, r[i - 1].model) || !same(r[i].set, r[i - 1].set) ||
		    !same(r[i].release, r[i - 1].release)) {
			sb_adds(&o, "  release ");
			TXT(r[i].release ? r[i].release : "(none)");
			if (r[i].release_desc) {
				sb_adds(&o, " - ");
				TXT(r[i].release_desc);
			}
			sb_adds(&o, "\n    set ");
			TXT(r[i].set ? r[i].set : "(none)");
			if (r[i].set_desc) {
				sb_adds(&o, " - ");
				TXT(r[i].set_desc);
			}
			sb_addc(&o, '\n');
		}
		char a[32], b[32], c[32];
		sb_adds(&o, "      ");
		TXT(r[i].source);
		if (r[i].hook_name) {
			sb_adds(&o, "  ");
			TXT(r[i].hook_name);
		}
		if (r[i].d_sae >= 0)
			sb_printf(&o, "  d_sae %lld", (long long)r[i].d_sae);
		sb_printf(&o, "  features %s  activations %s  explanations %s\n",
		          cli_thousands(r[i].n_features, a, sizeof a),
		          cli_thousands(r[i].n_activations, b, sizeof b),
		          cli_thousands(r[i].n_explanations, c, sizeof c));
		tf += r[i].n_features;
		ta += r[i].n_activations;
		te += r[i].n_explanations;
	}
#undef TXT
	char a[32], b[32], c[32];
	if (n == 0)
		sb_adds(&o, "(no SAEs in this database yet: saex import DB PATH)\n");
	else
		sb_printf(&o, "\n%zu SAE%s: %s features, %s activations, %s explanations\n", n,
		          n == 1 ? "" : "s", cli_thousands(tf, a, sizeof a),
		          cli_thousands(ta, b, sizeof b), cli_thousands(te, c, sizeof c));
	fwrite(o.p, 1, o.n, stdout);
	sb_free(&o);
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	int json = 0, ch;
	const cli_cmd *me = cli_find("info");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	saex_err e = {{0}, 0};
	store *s;
	int rc = store_open(&s, argv[optind], STORE_READ, &e);
	if (rc)
		return cli_fail("info", cli_status(rc), "%s", e.msg);
	arena a = {0};
	store_cat_row *rows;
	size_t n;
	rc = store_catalog(s, &a, &rows, &n, &e);
	if (rc == 0) {
		if (json) {
			json_t *j = info_json(rows, n);
			if (cli_put_json(stdout, j, 1))
				rc = err_set(&e, STORE_EBAD, "cannot write the JSON output");
			json_decref(j);
		} else {
			cli_style cs;
			cli_style_init(&cs, stdout);
			info_text(&cs, rows, n);
		}
	}
	arena_free(&a);
	store_close(s);
	return rc ? cli_fail("info", cli_status(rc), "%s", e.msg) : CLI_OK;
}
