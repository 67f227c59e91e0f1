/* cli_steer.c - the --steer, --multiplier and --method options of
 * `saex run` and `saex generate`: parsing, loading each SAE folder once,
 * and the steering set; and the number options every command parses. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* SAEDIR:FEATURE:STRENGTH, split from the right (SAEDIR may hold ':'). */
static int parse_spec(const char *arg, char **dir, int64_t *feature, float *strength)
{
	const char *c2 = strrchr(arg, ':');
	if (!c2 || c2 == arg)
		return -1;
	const char *c1 = c2 - 1;
	while (c1 > arg && *c1 != ':')
		c1--;
	if (c1 == arg || c1 + 1 == c2 || c1[1] == '-' || c1[1] == '+')
		return -1;
	char *end;
	errno = 0;
	long long f = strtoll(c1 + 1, &end, 10);
	if (errno || end != c2)
		return -1;
	double v = strtod(c2 + 1, &end);
	if (errno || *end || end == c2 + 1 || !isfinite(v) || fabs(v) > 3.4e38)
		return -1;
	*feature = f;
	*strength = (float)v;
	*dir = xstrndup(arg, (size_t)(c1 - arg));
	return 0;
}

int cli_steer_opt(const char *cmd, cli_steer *s, const char *opt, const char *arg)
{
	if (!strcmp(opt, "steer")) {
		s->e = xrealloc(s->e, (s->n + 1) * sizeof *s->e);
		if (parse_spec(arg, &s->e[s->n].dir, &s->e[s->n].feature, &s->e[s->n].strength))
			return cli_fail(cmd, CLI_USAGE, "--steer '%s': expected SAEDIR:FEATURE:STRENGTH such as "
			                "sae/blocks.9.hook_resid_pre:21474:40", arg);
		s->n++;
		return 0;
	}
	if (!strcmp(opt, "method")) {
		if (saex_steer_method_parse(arg, &s->method))
			return cli_fail(cmd, CLI_USAGE, "--method '%s': expected add or clamp", arg);
		return 0;
	}
	if (cli_parse_float(cmd, "--multiplier", arg, -3.4e38f, &s->multiplier))
		return CLI_USAGE;
	s->multiplier_set = 1;
	return 0;
}

int cli_parse_size(const char *cmd, const char *opt, const char *arg, size_t lo, size_t hi, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (end == arg || *end || errno || arg[0] == '-' || v < lo || v > hi)
		return cli_fail(cmd, CLI_USAGE, "%s %s: expected a number from %zu to %zu", opt, arg, lo, hi);
	*out = (size_t)v;
	return 0;
}

int cli_parse_float(const char *cmd, const char *opt, const char *arg, float lo, float *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || *end || end == arg || !isfinite(v) || v < lo || fabs(v) > 3.4e38)
		return cli_fail(cmd, CLI_USAGE, "%s '%s': expected a number%s", opt, arg, lo >= 0.0f ? " from 0 up" : "");
	*out = (float)v;
	return 0;
}

int cli_steer_load(const char *cmd, cli_steer *s, const saex_model *m)
{
	char err[SAEX_ERR_LEN], dir[4096];
	if (!s->n)
		return 0;
	s->set = saex_steer_new(m, s->method, s->multiplier_set ? s->multiplier : 1.0f);
	s->saes = xcalloc(s->n, sizeof *s->saes);
	s->dirs = xcalloc(s->n, sizeof *s->dirs);
	for (size_t i = 0; i < s->n; i++) {
		int rc = cli_resolve(cmd, s->e[i].dir, dir, sizeof dir);
		if (rc)
			return rc;
		size_t j = 0;
		while (j < s->n_sae && strcmp(s->dirs[j], dir))
			j++;
		if (j == s->n_sae) {
			if (!(s->saes[j] = saex_sae_load(dir, err, sizeof err)))
				return cli_fail(cmd, CLI_DATA, "%s", err);
			s->dirs[s->n_sae++] = xstrdup(dir);
		}
		if (saex_steer_add(s->set, s->saes[j], s->e[i].feature, s->e[i].strength, err, sizeof err))
			return cli_fail(cmd, CLI_DATA, "%s: %s", dir, err);
	}
	return 0;
}

void cli_steer_free(cli_steer *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].dir);
	for (size_t i = 0; i < s->n_sae; i++) {
		saex_sae_free(s->saes[i]);
		free(s->dirs[i]);
	}
	saex_steer_free(s->set);
	free(s->e);
	free(s->saes);
	free(s->dirs);
	memset(s, 0, sizeof *s);
}
