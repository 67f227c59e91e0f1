/* cmd_tokenize.c - saex tokenize: text to the token ids of a model's tokenizer. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_tokenize(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"bos", no_argument, NULL, 'b'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *model = NULL;
	int json = 0, bos = 0, ch;
	const cli_cmd *me = cli_find("tokenize");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 'b': bos = 1; break;
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (!model || argc - optind != 1) {
		if (!model)
			cli_fail("tokenize", CLI_USAGE, "--model DIR is required");
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	const char *text = argv[optind];
	char err[SAEX_ERR_LEN], dir[4096];
	int rc = cli_resolve("tokenize", model, dir, sizeof dir);
	if (rc)
		return rc;
	model = dir;
	saex_tok *t = saex_tok_load(model, err, sizeof err);
	if (!t)
		return cli_fail("tokenize", CLI_DATA, "%s", err);
	if (bos && saex_tok_bos(t) < 0) {
		saex_tok_free(t);
		return cli_fail("tokenize", CLI_DATA, "%s: the tokenizer has no BOS token for --bos (no special token "
		                "in its post-processor, no bos_token or eos_token in tokenizer_config.json, no "
		                "<|endoftext|>)", model);
	}
	size_t n;
	uint32_t *ids;
	if (saex_tok_encode_ids(t, text, strlen(text), bos ? SAEX_TOK_SPECIAL : 0, &ids, &n, err, sizeof err)) {
		saex_tok_free(t);
		return cli_fail("tokenize", CLI_DATA, "%s: %s", model, err);
	}
	if (json) {
		json_t *doc = json_object(), *ja = json_array(), *jt = json_array();
		for (size_t i = 0; i < n; i++) {
			size_t k;
			const char *p = saex_tok_bytes(t, ids[i], &k);
			json_array_append_new(ja, json_integer(ids[i]));
			json_array_append_new(jt, cli_json_token(p, k));
		}
		json_object_set_new(doc, "ids", ja);
		json_object_set_new(doc, "tokens", jt);
		cli_put_json(stdout, doc, 0);
		json_decref(doc);
	} else {
		cli_style cs;
		cli_style_init(&cs, stdout);
		sb out = {0};
		for (size_t i = 0; i < n; i++) {
			size_t k;
			const char *p = saex_tok_bytes(t, ids[i], &k);
			sb_printf(&out, "%u\t", ids[i]);
			cli_put_text(&out, &cs, p, k, 0);
			sb_addc(&out, '\n');
		}
		fwrite(out.p ? out.p : "", 1, out.n, stdout);
		sb_free(&out);
	}
	free(ids);
	saex_tok_free(t);
	return fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
}
