/* cmd_import.c - saex import */
#include "config.h"
#include "cli.h"
#include "import.h"

#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"kind", required_argument, NULL, 'k'}, {"format", required_argument, NULL, 'f'},
		{"model", required_argument, NULL, 'm'}, {"source", required_argument, NULL, 's'},
		{"strict", no_argument, NULL, 'S'}, {"quiet", no_argument, NULL, 'q'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	import_opts o = {0};
	int quiet = 0, json = 0, ch;
	const cli_cmd *me = cli_find("import");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': {
			int k = import_kind_parse(optarg);
			if (k <= 0 || k == IMP_SAEDASHBOARD)
				return cli_fail("import", CLI_USAGE, "unknown --kind '%s' (features, "
				                "activations, explanations, model, release, sourceset, source, eval, api-feature)",
				                optarg);
			o.kind = (import_kind)k;
			break;
		}
		case 'f':
			if (strcmp(optarg, "saedashboard") == 0)
				o.saedashboard = 1;
			else if (strcmp(optarg, "neuronpedia") != 0)
				return cli_fail("import", CLI_USAGE,
				                "unknown --format '%s' (neuronpedia or saedashboard)", optarg);
			break;
		case 'm':
			if (!saex_fid_valid_name(optarg))
				return cli_fail("import", CLI_USAGE, "--model '%s' is not a valid id", optarg);
			o.model = optarg;
			break;
		case 's':
			if (!saex_fid_valid_name(optarg))
				return cli_fail("import", CLI_USAGE, "--source '%s' is not a valid id", optarg);
			o.source = optarg;
			break;
		case 'S': o.strict = 1; break;
		case 'q': quiet = 1; break;
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (argc - optind < 2) {
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	if (o.saedashboard && o.kind != IMP_AUTO)
		return cli_fail("import", CLI_USAGE, "--kind does not apply to --format saedashboard");
	o.progress = !quiet && isatty(2);
	const char *db = argv[optind];
	int rc;
	/* Check the inputs before creating a database for them; the database
	 * is not one of the files (a folder of inputs may hold it). */
	for (int i = optind + 1; i < argc; i++) {
		struct stat sbuf;
		if (stat(argv[i], &sbuf) != 0)
			return cli_fail("import", CLI_DATA, "%s: %s", argv[i], strerror(errno));
		const char *in = argv[i];
		if (!S_ISDIR(sbuf.st_mode) && (rc = cli_check_output("import", db, &in, 1)))
			return rc;
	}
	saex_err e = {{0}, 0};
	store *s;
	rc = store_open(&s, db, STORE_WRITE, &e);
	if (rc)
		return cli_fail("import", cli_status(rc), "%s", e.msg);
	store_on_wait(s, cli_waiting, "import");
	import_stats st;
	rc = import_paths(s, argv + optind + 1, argc - optind - 1, &o, &st, &e);
	store_close(s);
	double rate = st.seconds > 0 ? st.bytes / st.seconds / 1e6 : 0;
	if (json) {
		json_t *j = json_pack("{sI sI sI sI sI sI sI sI sI sI sI sI sf sf}",
		                      "files", (json_int_t)st.files,
		                      "files_already_imported", (json_int_t)st.files_done_before,
		                      "files_failed", (json_int_t)st.files_failed,
		                      "lines", (json_int_t)st.lines,
		                      "skipped_lines", (json_int_t)st.bad_lines,
		                      "features", (json_int_t)st.features,
		                      "activations", (json_int_t)st.activations,
		                      "explanations", (json_int_t)st.explanations,
		                      "catalog_rows", (json_int_t)st.catalog,
		                      "evaluations", (json_int_t)st.evaluations,
		                      "unchanged_rows", (json_int_t)st.unchanged,
		                      "updated_features", (json_int_t)st.updated,
		                      "seconds", st.seconds, "mb_per_second", rate);
		if (cli_put_json(stdout, j, 0) && rc == 0)
			rc = err_set(&e, CLI_DATA, "cannot write the JSON summary");
		json_decref(j);
	} else if (!quiet) {
		char a[32], b[32], c[32];
		fprintf(stderr,
		        "imported %ld file%s (%ld already imported, %ld failed) in %.2fs, %.1f MB/s\n"
		        "  features %s, activations %s, explanations %s, catalog rows %ld, evaluations %ld\n"
		        "  lines %ld, skipped bad lines %ld, rows already stored %ld, features updated %ld\n",
		        st.files, st.files == 1 ? "" : "s", st.files_done_before, st.files_failed,
		        st.seconds, rate, cli_thousands(st.features, a, sizeof a),
		        cli_thousands(st.activations, b, sizeof b),
		        cli_thousands(st.explanations, c, sizeof c), st.catalog, st.evaluations, st.lines, st.bad_lines,
		        st.unchanged, st.updated);
	}
	if (rc)
		return cli_fail("import", CLI_DATA, "%s", e.msg);
	return CLI_OK;
}
