/* cli_prompt.c - the prompt of `saex run` and `saex generate`, and model
 * and SAE folders by name, loaded and checked, with the ids saex build
 * and saex eval give them by default. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *cli_tok_thread(void *arg)
{
	cli_tok_job *j = arg;
	j->tok = saex_tok_load(j->dir, j->err, sizeof j->err);
	return NULL;
}

void cli_tok_start(cli_tok_job *j, const char *model_dir)
{
	*j = (cli_tok_job){0};
	snprintf(j->dir, sizeof j->dir, "%s", model_dir);
	if (pthread_create(&j->thread, NULL, cli_tok_thread, j) == 0)
		j->running = 1;
	else /* no thread: loaded now, as without the job */
		cli_tok_thread(j);
	j->started = 1;
}

saex_tok *cli_tok_join(cli_tok_job *j)
{
	if (j->running)
		pthread_join(j->thread, NULL);
	j->running = 0;
	saex_tok *t = j->tok;
	j->tok = NULL;
	return t;
}

int cli_prompt(const char *cmd, const char *model_dir, const saex_model *m, const char *text,
               int no_bos, cli_tok_job *job, saex_tok **tok, uint32_t **ids, size_t *n)
{
	char buf[SAEX_ERR_LEN];
	const char *err = buf;
	const saex_model_config *c = saex_model_config_of(m);
	if (job && job->started) {
		*tok = cli_tok_join(job);
		err = job->err;
	} else {
		*tok = saex_tok_load(model_dir, buf, sizeof buf);
	}
	if (text) {
		if (!*tok)
			return cli_fail(cmd, CLI_DATA, "%s", err);
		/* BOS where the family puts one (Qwen, GPT-NeoX: none), spelled as
		 * the tokenizer's post-processor does (Llama 3, Gemma; GPT-2's
		 * <|endoftext|>) */
		int bos = !no_bos && c->prepend_bos;
		if (bos && saex_tok_bos(*tok) < 0)
			return cli_fail(cmd, CLI_DATA, "%s: the tokenizer has no BOS token (use --no-bos)", model_dir);
		if (saex_tok_encode_ids(*tok, text, strlen(text), bos ? SAEX_TOK_SPECIAL : 0, ids, n, buf, sizeof buf))
			return cli_fail(cmd, CLI_DATA, "%s: %s", model_dir, buf);
	}
	if (*n == 0 || *n > (size_t)c->n_ctx)
		return cli_fail(cmd, CLI_USAGE, "%zu tokens: the model takes 1 to %d", *n, c->n_ctx);
	for (size_t t = 0; t < *n; t++)
		if ((*ids)[t] >= (uint32_t)c->vocab)
			return cli_fail(cmd, CLI_USAGE, "token id %u is not below the vocabulary size %d",
			                (*ids)[t], c->vocab);
	return 0;
}

/* msg gets the message; -1. */
static int cli_resolve_fail(sb *msg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int cli_resolve_fail(sb *msg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(msg, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_resolve_msg(const char *name, char *out, size_t outlen, sb *msg)
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
				return cli_resolve_fail(msg, "%s: SAELens's %s is in %s: download its %.*s/average_l0_N "
				                        "folder with N nearest 100 (huggingface-cli download %s --include "
				                        "'%.*s/average_l0_N/*')", name, release, repo, (int)fl - 10, folder, repo,
				                        (int)fl - 10, folder);
			return cli_resolve_fail(msg, "%s: SAELens's %s in the Hugging Face cache is %s, folder %s, which "
			                        "is not there: download it (huggingface-cli download %s --include '%s/*')",
			                        name, release, repo, folder, repo, folder);
		}
	}
	/* a model by the name SAEs or Neuronpedia give it (gpt2-small, gemma-2-2b) */
	if (saex_hf_find_model(name, out, outlen, why, sizeof why) == 0)
		return 0;
	if (saex_hf_model_repo(name, repo, sizeof repo) == 0 && strcmp(repo, name))
		return cli_resolve_fail(msg, "%s; %s", err, why);
	return cli_resolve_fail(msg, "%s", err);
}

int cli_resolve(const char *cmd, const char *name, char *out, size_t outlen)
{
	sb msg = {0};
	int rc = cli_resolve_msg(name, out, outlen, &msg);
	if (rc)
		rc = cli_fail(cmd, CLI_DATA, "%s", msg.p ? msg.p : "");
	sb_free(&msg);
	return rc;
}

/* name resolved (cli_resolve) and made absolute into dir. */
static int cli_abs_dir(const char *cmd, const char *name, char *dir, size_t dirlen)
{
	char path[PATH_MAX], abs[PATH_MAX];
	int rc = cli_resolve(cmd, name, path, sizeof path);
	if (rc)
		return rc;
	if (!realpath(path, abs))
		return cli_fail(cmd, CLI_DATA, "%s: %s", path, strerror(errno));
	if (strlen(abs) >= dirlen)
		return cli_fail(cmd, CLI_DATA, "%s: the path is too long", abs);
	memcpy(dir, abs, strlen(abs) + 1);
	return 0;
}

int cli_load_model(const char *cmd, const char *name, char *dir, size_t dirlen, saex_model **m)
{
	char err[SAEX_ERR_LEN];
	int rc = cli_abs_dir(cmd, name, dir, dirlen);
	if (rc)
		return rc;
	if (!(*m = saex_model_load(dir, err, sizeof err)))
		return cli_fail(cmd, CLI_DATA, "%s", err);
	return 0;
}

int cli_load_sae(const char *cmd, const char *name, const saex_model *m, char *dir, size_t dirlen,
                 saex_sae **s)
{
	char err[SAEX_ERR_LEN];
	int rc = cli_abs_dir(cmd, name, dir, dirlen);
	if (rc)
		return rc;
	if (!(*s = saex_sae_load(dir, err, sizeof err)))
		return cli_fail(cmd, CLI_DATA, "%s", err);
	if (saex_sae_fits(*s, m, err, sizeof err))
		return cli_fail(cmd, CLI_DATA, "%s: %s", dir, err);
	return 0;
}

const char *cli_basename(const char *p)
{
	const char *b = strrchr(p, '/');
	return b && b[1] ? b + 1 : p;
}

char *cli_default_model_id(const char *dir)
{
	const char *m = strstr(dir, "/models--");
	if (m && strstr(m, "/snapshots/")) {
		const char *end = strchr(m + 1, '/'), *start = m + 9;
		for (const char *p = start; p + 1 < end; p++)
			if (p[0] == '-' && p[1] == '-')
				start = p + 2;
		return xstrndup(start, (size_t)(end - start));
	}
	return xstrdup(cli_basename(dir));
}

char *cli_default_source_id(const saex_sae *s, const char *dir)
{
	int layer = saex_sae_get_info(s)->layer;
	saex_hook_kind kind;
	saex_hook_parse(saex_sae_get_info(s)->hook_name, &layer, &kind);
	return xasprintf("%d-%s", layer, cli_basename(dir));
}
