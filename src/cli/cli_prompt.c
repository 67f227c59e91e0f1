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
		if (!no_bos && saex_tok_bos(*tok) < 0)
			return cli_fail(cmd, CLI_DATA, "%s: the vocabulary has no <|endoftext|> token for "
			                "BOS (use --no-bos)", model_dir);
		*ids = saex_tok_encode(*tok, text, strlen(text), !no_bos, n);
	}
	if (*n == 0 || *n > (size_t)c->n_positions)
		return cli_fail(cmd, CLI_USAGE, "%zu tokens: the model takes 1 to %d", *n, c->n_positions);
	for (size_t t = 0; t < *n; t++)
		if ((*ids)[t] >= (uint32_t)c->vocab_size)
			return cli_fail(cmd, CLI_USAGE, "token id %u is not below the vocabulary size %d",
			                (*ids)[t], c->vocab_size);
	return 0;
}

int cli_resolve(const char *cmd, const char *name, char *out, size_t outlen)
{
	char err[SAEX_ERR_LEN], why[SAEX_ERR_LEN], repo[512], folder[512], spec[1100];
	if (saex_hf_resolve(name, out, outlen, err, sizeof err) == 0)
		return 0;
	/* a SAELens RELEASE/SAE_ID whose repository and folder saex knows */
	const char *slash = strchr(name, '/');
	char release[256];
	if (slash && (size_t)(slash - name) < sizeof release) {
		snprintf(release, sizeof release, "%.*s", (int)(slash - name), name);
		if (saex_hf_saelens_location(release, slash + 1, repo, sizeof repo, folder, sizeof folder) == 0) {
			snprintf(spec, sizeof spec, "%s/%s", repo, folder);
			if (saex_hf_resolve(spec, out, outlen, why, sizeof why) == 0)
				return 0;
			size_t fl = strlen(folder);
			if (fl > 10 && !strcmp(folder + fl - 10, "/canonical"))
				return cli_fail(cmd, CLI_DATA, "%s: SAELens's %s is in %s: download its %.*s/average_l0_N folder "
				                "with N nearest 100 (huggingface-cli download %s --include '%.*s/average_l0_N/*')",
				                name, release, repo, (int)fl - 10, folder, repo, (int)fl - 10, folder);
			return cli_fail(cmd, CLI_DATA, "%s: SAELens's %s in the Hugging Face cache is %s, folder %s, which is "
			                "not there: download it (huggingface-cli download %s --include '%s/*')", name, release,
			                repo, folder, repo, folder);
		}
	}
	/* a model by the name SAEs or Neuronpedia give it (gpt2-small, gemma-2-2b) */
	if (saex_hf_find_model(name, out, outlen, why, sizeof why) == 0)
		return 0;
	if (saex_hf_model_repo(name, repo, sizeof repo) == 0 && strcmp(repo, name))
		return cli_fail(cmd, CLI_DATA, "%s; %s", err, why);
	return cli_fail(cmd, CLI_DATA, "%s", err);
}
