/* cmd_show.c - saex show: one feature. */
#include "config.h"
#include "cli.h"
#include "show.h"

#include <getopt.h>
#include <stdlib.h>

/* Parses a non-negative count; -1 when it is not one. */
static long cli_count(const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > max)
		return -1;
	return v;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"examples", required_argument, NULL, 'e'},
		{"context", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {0}};
	int json = 0, ch;
	long examples = -1, context = 12;
	const cli_cmd *me = cli_find("show");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'e':
			if ((examples = cli_count(optarg, 1000000)) < 0)
				return cli_fail("show", CLI_USAGE, "--examples wants a count, not '%s'", optarg);
			break;
		case 'c':
			if ((context = cli_count(optarg, 100000)) < 0)
				return cli_fail("show", CLI_USAGE, "--context wants a count, not '%s'", optarg);
			break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	saex_fid id;
	const char *why;
	if (saex_fid_parse(argv[optind + 1], &id, &why) != 0)
		return cli_fail("show", CLI_USAGE, "'%s': %s", argv[optind + 1], why);
	if (examples < 0)
		examples = json ? 0 : 5;
	saex_err e = {{0}, 0};
	store *s;
	int rc = store_open(&s, argv[optind], STORE_READ, &e);
	if (rc)
		return cli_fail("show", cli_status(rc), "%s", e.msg);
	arena a = {0};
	store_feature f;
	rc = store_feature_get(s, &id, json ? (size_t)examples : (size_t)examples, &a, &f, &e);
	if (rc == 0) {
		if (json) {
			json_t *j = show_json(&f);
			if (cli_put_json(stdout, j, 0))
				rc = err_set(&e, STORE_EBAD, "cannot write the JSON of %s", argv[optind + 1]);
			json_decref(j);
		} else {
			cli_style cs;
			cli_style_init(&cs, stdout);
			show_opts so = {(size_t)examples, (int)context, store_source_local(s, id.model, id.source)};
			sb out = {0};
			show_text(&out, &f, &so, &cs);
			fwrite(out.p, 1, out.n, stdout);
			sb_free(&out);
		}
	}
	arena_free(&a);
	store_close(s);
	return rc ? cli_fail("show", cli_status(rc), "%s", e.msg) : CLI_OK;
}
