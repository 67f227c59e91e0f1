/* cmd_generate.c - saex generate: greedy continuation of a prompt with a KV
 * cache. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"ids", required_argument, NULL, 'i'},
		{"no-bos", no_argument, NULL, 'n'}, {"max-tokens", required_argument, NULL, 'x'},
		{"no-cache", no_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {0}};
	const char *model = NULL, *ids_arg = NULL;
	int json = 0, no_bos = 0, no_cache = 0, ch, rc = CLI_USAGE;
	long max_tokens = 20;
	const cli_cmd *me = cli_find("generate");
	saex_model *m = NULL;
	saex_tok *tok = NULL;
	uint32_t *ids = NULL, *out = NULL;
	size_t T = 0, n_out = 0;
	char err[SAEX_ERR_LEN], *end;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 'i': ids_arg = optarg; break;
		case 'n': no_bos = 1; break;
		case 'c': no_cache = 1; break;
		case 'x':
			errno = 0;
			max_tokens = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || max_tokens < 0 || max_tokens > 1000000) {
				cli_fail("generate", CLI_USAGE, "--max-tokens '%s': expected a number from 0 to 1000000", optarg);
				goto out;
			}
			break;
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); rc = CLI_OK; goto out;
		default: cli_usage(stderr, me); goto out;
		}
	}
	int n_text = argc - optind;
	if (!model || (ids_arg ? n_text != 0 : n_text != 1)) {
		if (!model)
			cli_fail("generate", CLI_USAGE, "--model DIR is required");
		else
			cli_fail("generate", CLI_USAGE, "give either TEXT or --ids, not both or neither");
		cli_usage(stderr, me);
		goto out;
	}
	if (ids_arg && cli_parse_ids(ids_arg, &ids, &T)) {
		cli_fail("generate", CLI_USAGE, "--ids '%s': expected comma-separated token ids such as 50256,15496,995",
		         ids_arg);
		goto out;
	}
	m = saex_model_load(model, err, sizeof err);
	if (!m) {
		rc = cli_fail("generate", CLI_DATA, "%s", err);
		goto out;
	}
	rc = cli_prompt("generate", model, m, ids_arg ? NULL : argv[optind], no_bos, &tok, &ids, &T);
	if (rc)
		goto out;
	rc = CLI_USAGE; /* the default for the checks below */
	out = saex_generate_greedy(m, ids, T, (size_t)max_tokens, !no_cache, &n_out, err, sizeof err);
	if (!out) {
		rc = cli_fail("generate", CLI_DATA, "%s", err);
		goto out;
	}
	size_t tlen = 0;
	char *text = tok ? saex_tok_decode(tok, out, n_out, &tlen) : NULL;
	if (json) {
		json_t *doc = json_object(), *d = json_object(), *ja = json_array();
		for (size_t i = 0; i < n_out; i++)
			json_array_append_new(ja, json_integer(out[i]));
		json_object_set_new(d, "ids", ja);
		if (text)
			json_object_set_new(d, "text", cli_json_token(text, tlen));
		json_object_set_new(doc, "default", d);
		cli_put_json(stdout, doc, 0);
		json_decref(doc);
	} else {
		cli_style cs;
		cli_style_init(&cs, stdout);
		sb o = {0};
		if (text) {
			cli_put_text(&o, &cs, text, tlen, SAEX_ESC_NL_KEEP | SAEX_ESC_TAB_KEEP);
		} else {
			for (size_t i = 0; i < n_out; i++)
				sb_printf(&o, "%s%u", i ? "," : "", out[i]);
		}
		sb_addc(&o, '\n');
		fwrite(o.p, 1, o.n, stdout);
		sb_free(&o);
	}
	free(text);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	free(out);
	free(ids);
	saex_tok_free(tok);
	saex_model_free(m);
	return rc;
}
