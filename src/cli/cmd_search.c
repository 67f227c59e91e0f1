/* cmd_search.c - saex search: full-text search over explanations. */
#include "config.h"
#include "cli.h"
#include "store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_search(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"source", required_argument, NULL, 's'},
		{"limit", required_argument, NULL, 'l'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {0}};
	const char *model = NULL, *source = NULL;
	long limit = 20;
	int json = 0, ch;
	const cli_cmd *me = cli_find("search");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 's': source = optarg; break;
		case 'l': {
			char *end;
			limit = strtol(optarg, &end, 10);
			if (!*optarg || *end || limit < 1 || limit > 100000)
				return cli_fail("search", CLI_USAGE, "--limit wants 1..100000, not '%s'", optarg);
			break;
		}
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (argc - optind < 2) {
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	/* Several words after DB form one query. */
	sb q = {0};
	for (int i = optind + 1; i < argc; i++) {
		if (i > optind + 1)
			sb_addc(&q, ' ');
		sb_adds(&q, argv[i]);
	}
	saex_err e = {{0}, 0};
	store *s;
	int rc = store_open(&s, argv[optind], STORE_READ, &e);
	if (rc) {
		sb_free(&q);
		return cli_fail("search", cli_status(rc), "%s", e.msg);
	}
	arena a = {0};
	store_hit *hits;
	size_t n;
	int64_t total = 0;
	rc = store_search_count(s, q.p, model, source, &total, &e);
	if (rc == 0)
		rc = store_search(s, q.p, model, source, (size_t)limit, &a, &hits, &n, &e);
	if (rc == 0 && json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			char idx[32];
			snprintf(idx, sizeof idx, "%lld", (long long)hits[i].id.index);
			json_array_append_new(
				arr, json_pack("{ss ss ss so so so sf sf sf}", "modelId", hits[i].id.model,
				               "layer", hits[i].id.source, "index", idx, "description",
				               cli_json_text(hits[i].description), "typeName",
				               cli_json_text(hits[i].type_name), "explanationModelName",
				               cli_json_text(hits[i].explainer),
				               "frac_nonzero", hits[i].frac_nonzero, "maxActApprox",
				               hits[i].max_act, "score", hits[i].score));
		}
		json_t *j = json_pack("{so sI so}", "query", cli_json_text(q.p), "total", (json_int_t)total, "results", arr);
		if (cli_put_json(stdout, j, 0))
			rc = err_set(&e, STORE_EBAD, "cannot write the JSON output");
		json_decref(j);
	} else if (rc == 0) {
		cli_style cs;
		cli_style_init(&cs, stdout);
		sb o = {0};
		for (size_t i = 0; i < n; i++) {
			char id[3 * SAEX_ID_MAX];
			saex_fid_format(&hits[i].id, id, sizeof id);
			char dens[32];
			sb_printf(&o, "%-32s %9s  ", id, cli_density(hits[i].frac_nonzero, dens, sizeof dens));
			const char *d = hits[i].description;
			cli_put_text(&o, &cs, d, strlen(d), 0);
			sb_addc(&o, '\n');
		}
		char shown[32], all[32];
		if (n == 0)
			sb_adds(&o, "no explanation matches\n");
		else if ((int64_t)n < total)
			sb_printf(&o, "(the first %s of %s explanations that match; --limit N shows more)\n",
			          cli_thousands((int64_t)n, shown, sizeof shown), cli_thousands(total, all, sizeof all));
		fwrite(o.p, 1, o.n, stdout);
		sb_free(&o);
	}
	arena_free(&a);
	store_close(s);
	sb_free(&q);
	return rc ? cli_fail("search", cli_status(rc), "%s", e.msg) : CLI_OK;
}
