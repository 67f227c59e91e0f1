/* cmd_generate.c - saex generate: continue a prompt, greedily or by seeded
 * sampling, and with --steer a second, steered continuation from the same
 * seed. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Prints one continuation as text (or ids), or adds it to doc as key. */
static void put_run(json_t *doc, const char *key, const saex_tok *tok, const uint32_t *ids, size_t n,
                    const cli_style *cs, sb *o)
{
	size_t tlen = 0;
	char *text = tok ? saex_tok_decode(tok, ids, n, &tlen) : NULL;
	if (doc) {
		json_t *d = json_object(), *ja = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ja, json_integer(ids[i]));
		json_object_set_new(d, "ids", ja);
		if (text)
			json_object_set_new(d, "text", cli_json_token(text, tlen));
		json_object_set_new(doc, key, d);
	} else {
		if (key)
			sb_printf(o, "[%s]\n", key);
		if (text)
			cli_put_text(o, cs, text, tlen, SAEX_ESC_NL_KEEP | SAEX_ESC_TAB_KEEP);
		else
			for (size_t i = 0; i < n; i++)
				sb_printf(o, "%s%u", i ? "," : "", ids[i]);
		sb_addc(o, '\n');
	}
	free(text);
}

int cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"ids", required_argument, NULL, 'i'},
		{"no-bos", no_argument, NULL, 'n'}, {"max-tokens", required_argument, NULL, 'x'},
		{"temperature", required_argument, NULL, 't'}, {"seed", required_argument, NULL, 's'},
		{"freq-penalty", required_argument, NULL, 'f'}, {"steer", required_argument, NULL, 'S'},
		{"multiplier", required_argument, NULL, 'M'}, {"method", required_argument, NULL, 'k'},
		{"no-cache", no_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {0}};
	const char *model = NULL, *ids_arg = NULL;
	int json = 0, no_bos = 0, ch, rc = CLI_USAGE;
	long max_tokens = 20;
	saex_gen_opts go = SAEX_GEN_OPTS_INIT;
	const cli_cmd *me = cli_find("generate");
	saex_model *m = NULL;
	saex_tok *tok = NULL;
	cli_steer cst = {0};
	uint32_t *ids = NULL, *out = NULL, *out_s = NULL;
	size_t T = 0, n_out = 0, n_out_s = 0;
	char err[SAEX_ERR_LEN], dir[4096], *end;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 'i': ids_arg = optarg; break;
		case 'n': no_bos = 1; break;
		case 'c': go.no_cache = 1; break;
		case 'x':
			errno = 0;
			max_tokens = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || max_tokens < 0 || max_tokens > 1000000) {
				cli_fail("generate", CLI_USAGE, "--max-tokens '%s': expected a number from 0 to 1000000", optarg);
				goto out;
			}
			break;
		case 't':
			if (cli_parse_float("generate", "--temperature", optarg, 0.0f, &go.temperature))
				goto out;
			break;
		case 'f':
			if (cli_parse_float("generate", "--freq-penalty", optarg, -3.4e38f, &go.freq_penalty))
				goto out;
			break;
		case 'M':
			if (cli_steer_opt("generate", &cst, "multiplier", optarg))
				goto out;
			break;
		case 's':
			errno = 0;
			go.seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-') {
				cli_fail("generate", CLI_USAGE, "--seed '%s': expected a number from 0 to 2^64-1", optarg);
				goto out;
			}
			break;
		case 'k':
			if (cli_steer_opt("generate", &cst, "method", optarg))
				goto out;
			break;
		case 'S':
			if (cli_steer_opt("generate", &cst, "steer", optarg))
				goto out;
			break;
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); rc = CLI_OK; goto out;
		default: cli_usage(stderr, me); goto out;
		}
	}
	go.max_new = (size_t)max_tokens;
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
	if ((rc = cli_resolve("generate", model, dir, sizeof dir)))
		goto out;
	m = saex_model_load(dir, err, sizeof err);
	if (!m) {
		rc = cli_fail("generate", CLI_DATA, "%s", err);
		goto out;
	}
	rc = cli_prompt("generate", dir, m, ids_arg ? NULL : argv[optind], no_bos, NULL, &tok, &ids, &T);
	if (rc)
		goto out;

	if ((rc = cli_steer_load("generate", &cst, m)))
		goto out;

	out = saex_generate(m, ids, T, &go, &n_out, err, sizeof err);
	if (out && cst.set) {
		go.hooks = saex_steer_hooks(cst.set, &go.n_hooks);
		out_s = saex_generate(m, ids, T, &go, &n_out_s, err, sizeof err);
	}
	if (!out || (cst.set && !out_s)) {
		rc = cli_fail("generate", CLI_DATA, "%s", err);
		goto out;
	}
	cli_style cs;
	cli_style_init(&cs, stdout);
	sb o = {0};
	json_t *doc = json ? json_object() : NULL;
	put_run(doc, cst.set || json ? "default" : NULL, tok, out, n_out, &cs, &o);
	if (cst.set)
		put_run(doc, "steered", tok, out_s, n_out_s, &cs, &o);
	if (doc) {
		cli_put_json(stdout, doc, 0);
		json_decref(doc);
	} else {
		fwrite(o.p, 1, o.n, stdout);
	}
	sb_free(&o);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	cli_steer_free(&cst);
	free(out);
	free(out_s);
	free(ids);
	saex_tok_free(tok);
	saex_model_free(m);
	return rc;
}
