/* cli_prompt.c - the prompt of `saex run` and `saex generate`, and model
 * and SAE folders by name. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <string.h>

int cli_prompt(const char *cmd, const char *model_dir, const saex_model *m, const char *text,
               int no_bos, saex_tok **tok, uint32_t **ids, size_t *n)
{
	char err[SAEX_ERR_LEN];
	const saex_model_config *c = saex_model_config_of(m);
	*tok = saex_tok_load(model_dir, err, sizeof err);
	if (text) {
		if (!*tok)
			return cli_fail(cmd, CLI_DATA, "%s", err);
		/* BOS where the family puts one (Qwen, GPT-NeoX: none), spelled as
		 * the tokenizer's post-processor does (Llama 3, Gemma; GPT-2's
		 * <|endoftext|>) */
		int bos = !no_bos && c->prepend_bos;
		if (bos && saex_tok_bos(*tok) < 0)
			return cli_fail(cmd, CLI_DATA, "%s: the tokenizer has no BOS token (use --no-bos)", model_dir);
		if (saex_tok_encode_ids(*tok, text, strlen(text), bos ? SAEX_TOK_SPECIAL : 0, ids, n, err, sizeof err))
			return cli_fail(cmd, CLI_DATA, "%s: %s", model_dir, err);
	}
	if (*n == 0 || *n > (size_t)c->n_ctx)
		return cli_fail(cmd, CLI_USAGE, "%zu tokens: the model takes 1 to %d", *n, c->n_ctx);
	for (size_t t = 0; t < *n; t++)
		if ((*ids)[t] >= (uint32_t)c->vocab)
			return cli_fail(cmd, CLI_USAGE, "token id %u is not below the vocabulary size %d",
			                (*ids)[t], c->vocab);
	return 0;
}

int cli_resolve(const char *cmd, const char *name, char *out, size_t outlen)
{
	char err[SAEX_ERR_LEN];
	if (saex_hf_resolve(name, out, outlen, err, sizeof err))
		return cli_fail(cmd, CLI_DATA, "%s", err);
	return 0;
}
