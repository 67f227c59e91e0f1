/* cmd_export.c - saex export (CSV out) and saex import-csv (CSV in). */
#include "config.h"
#include "cli.h"
#include "csvio.h"
#include "outfile.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"source", required_argument, NULL, 's'}, {"what", required_argument, NULL, 'w'},
		{"out", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *source = NULL, *out = NULL, *what_s = NULL;
	int ch;
	const cli_cmd *me = cli_find("export");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': source = optarg; break;
		case 'w': what_s = optarg; break;
		case 'o': out = optarg; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (argc - optind != 1 || !source || !what_s) {
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	csvio_what what;
	if (strcmp(what_s, "features") == 0)
		what = CSV_FEATURES;
	else if (strcmp(what_s, "activations") == 0)
		what = CSV_ACTIVATIONS;
	else if (strcmp(what_s, "explanations") == 0)
		what = CSV_EXPLANATIONS;
	else
		return cli_fail("export", CLI_USAGE,
		                "--what wants features, activations or explanations, not '%s'", what_s);
	saex_err e = {{0}, 0};
	store *s;
	int rc = store_open(&s, argv[optind], STORE_READ, &e);
	if (rc)
		return cli_fail("export", cli_status(rc), "%s", e.msg);
	int64_t src;
	saex_fid names;
	rc = store_source_find(s, source, &src, &names, &e);
	if (rc) {
		store_close(s);
		return cli_fail("export", cli_status(rc), "%s", e.msg);
	}
	/* the database (and its journal) are inputs; a new file replaces --out
	 * only once it is complete */
	char *wal = xasprintf("%s-wal", argv[optind]);
	const char *inputs[] = {argv[optind], wal};
	int bad = cli_check_output("export", out, inputs, 2);
	free(wal);
	outfile of = {0};
	if (!bad && out && outfile_open(&of, out, e.msg, sizeof e.msg))
		bad = cli_fail("export", CLI_DATA, "%s", e.msg);
	if (bad) {
		store_close(s);
		return bad;
	}
	FILE *f = out ? of.f : stdout;
	rc = csvio_export(s, src, &names, what, f, !out && isatty(fileno(stdout)), &e);
	if (out && rc == 0 && outfile_commit(&of, e.msg, sizeof e.msg))
		rc = STORE_EBAD;
	outfile_abort(&of);
	store_close(s);
	return rc ? cli_fail("export", cli_status(rc), "%s", e.msg) : CLI_OK;
}

int cmd_import_csv(int argc, char **argv)
{
	static const struct option opts[] = {
		{"explanations", required_argument, NULL, 'x'}, {"strict", no_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'}, {0}};
	const char *file = NULL;
	int strict = 0, ch;
	const cli_cmd *me = cli_find("import-csv");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'x': file = optarg; break;
		case 'S': strict = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (argc - optind != 1 || !file) {
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	saex_err e = {{0}, 0};
	store *s;
	int rc = store_open(&s, argv[optind], STORE_WRITE, &e);
	if (rc)
		return cli_fail("import-csv", cli_status(rc), "%s", e.msg);
	csvio_stats st;
	store_on_wait(s, cli_waiting, "import-csv");
	rc = csvio_import_explanations(s, file, strict, stderr, &st, &e);
	store_close(s);
	if (rc)
		return cli_fail("import-csv", CLI_DATA, "%s", e.msg);
	fprintf(stderr, "explanations: %ld rows, %ld added, %ld already stored, %ld skipped\n",
	        st.rows, st.added, st.unchanged, st.bad);
	if (st.missing)
		fprintf(stderr, "warning: %ld of them name features the database does not have (stored all the same)\n",
		        st.missing);
	return CLI_OK;
}
