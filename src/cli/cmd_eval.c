/* cmd_eval.c - saex eval: SAELens's evaluation metrics of one or more SAEs
 * of a model on a corpus (saex_eval.h), printed, and with a database
 * stored per source.
 *
 * The corpus is read and cut into prompts as saex build does (corpus.h);
 * the BOS token is left out of every statistic. Nothing is written until
 * every prompt has run: then one transaction stores every SAE's
 * evaluation, so an interrupted run (Ctrl-C) leaves the database as it
 * was. */
#include "config.h"
#include "cli.h"
#include "corpus.h"
#include "saex.h"
#include "store.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct eval_opts {
	const char *db, *corpus, *model, *model_id, *source_id;
	const char **sae;
	size_t n_sae, prompts, ctx;
	int ctx_set, json, verbose, quiet, ablate_bos;
} eval_opts;

/* One --sae: its weights, where its results go, and its results. */
typedef struct eval_one {
	char dir[PATH_MAX];
	saex_sae *sae;
	char *model_id, *source_id;
	saex_eval_metrics m;
	float *density, *mean_act;
} eval_one;

typedef struct eval_cmd {
	const eval_opts *o;
	char model_dir[PATH_MAX];
	saex_model *m;
	saex_tok *tok;
	corpus c;
	int have_corpus;
	eval_one *s;
	store *db;
	size_t ctx;         /* tokens per prompt, BOS included */
	saex_eval_times tm;
	double seconds;
} eval_cmd;

static void eval_cmd_free(eval_cmd *x)
{
	for (size_t i = 0; x->s && i < x->o->n_sae; i++) {
		saex_sae_free(x->s[i].sae);
		free(x->s[i].model_id);
		free(x->s[i].source_id);
		free(x->s[i].density);
		free(x->s[i].mean_act);
	}
	free(x->s);
	if (x->have_corpus)
		corpus_free(&x->c);
	saex_tok_free(x->tok);
	saex_model_free(x->m);
	store_close(x->db);
}

/* ------------------------------------------------------------ set up */

/* The model, every SAE, the tokenizer and the corpus's prompts. */
static int eval_load(eval_cmd *x)
{
	const eval_opts *o = x->o;
	char err[SAEX_ERR_LEN];
	int rc = cli_load_model("eval", o->model, x->model_dir, sizeof x->model_dir, &x->m);
	x->s = xcalloc(o->n_sae, sizeof *x->s);
	for (size_t i = 0; rc == 0 && i < o->n_sae; i++)
		rc = cli_load_sae("eval", o->sae[i], x->m, x->s[i].dir, sizeof x->s[i].dir, &x->s[i].sae);
	if (rc)
		return rc;
	const saex_model_config *mc = saex_model_config_of(x->m);
	/* 128, or the model's context when shorter, as saex build */
	x->ctx = o->ctx_set ? o->ctx : mc->n_ctx < 128 ? (size_t)mc->n_ctx : 128;
	if (x->ctx > (size_t)mc->n_ctx)
		return cli_fail("eval", CLI_USAGE, "--ctx %zu: the model's context is %d tokens", x->ctx,
		                mc->n_ctx);
	if (!(x->tok = saex_tok_load(x->model_dir, err, sizeof err)))
		return cli_fail("eval", CLI_DATA, "%s", err);
	saex_err e = {{0}, 0};
	if (corpus_read(o->corpus, x->tok, mc->prepend_bos, x->ctx, o->prompts, &x->c, &e))
		return cli_fail("eval", CLI_DATA, "%s", e.msg);
	x->have_corpus = 1;
	if (corpus_check_vocab(&x->c, o->corpus, (uint32_t)mc->vocab, &e))
		return cli_fail("eval", CLI_DATA, "%s", e.msg);
	return 0;
}

/* Where each SAE's results go: the source DB has its folder attached to
 * (saex attach, saex build), else --model-id/--source-id or the ids saex
 * build gives by default. */
static int eval_names(eval_cmd *x)
{
	const eval_opts *o = x->o;
	for (size_t i = 0; i < o->n_sae; i++) {
		eval_one *s = &x->s[i];
		saex_fid names;
		int64_t src;
		saex_err e = {{0}, 0};
		if (x->db && !o->model_id && !o->source_id &&
		    store_weights_source(x->db, s->dir, &src, &names, &e) == 0) {
			s->model_id = xstrdup(names.model);
			s->source_id = xstrdup(names.source);
			continue;
		}
		s->model_id = o->model_id ? xstrdup(o->model_id) : cli_default_model_id(x->model_dir);
		s->source_id = o->source_id ? xstrdup(o->source_id) : cli_default_source_id(s->sae, s->dir);
		const char *bad = !saex_fid_valid_name(s->model_id) ? s->model_id : s->source_id;
		if (!saex_fid_valid_name(s->model_id) || !saex_fid_valid_name(s->source_id))
			return cli_fail("eval", CLI_USAGE,
			                "'%s' is not a valid id (1-127 of A-Z a-z 0-9 . _ + -): pass %s", bad,
			                bad == s->model_id ? "--model-id" : "--source-id");
	}
	for (size_t i = 0; x->db && i < o->n_sae; i++) {
		const eval_one *a = &x->s[i];
		for (size_t j = 0; j < i; j++)
			if (!strcmp(a->model_id, x->s[j].model_id) && !strcmp(a->source_id, x->s[j].source_id))
				return cli_fail("eval", CLI_USAGE,
				                "%s and %s would both be stored as %s/%s: evaluate them apart with "
				                "--source-id",
				                x->s[j].dir, a->dir, a->model_id, a->source_id);
	}
	return 0;
}

/* ------------------------------------------------------------ the run */

static void eval_progress(const eval_cmd *x, size_t done, double t0)
{
	double dt = now_seconds() - t0;
	double tps = dt > 0 ? (double)x->c.off[done] / dt : 0;
	char eta[32];
	cli_eta(eta, sizeof eta, tps > 0 ? (double)(x->c.off[x->c.n] - x->c.off[done]) / tps : -1);
	fprintf(stderr, "\rsaex eval: %zu/%zu prompts, %.0f tokens/s, ETA %s   ", done, x->c.n, tps, eta);
}

static int eval_run(eval_cmd *x)
{
	const eval_opts *o = x->o;
	char err[SAEX_ERR_LEN];
	const saex_sae **saes = xmalloc(o->n_sae * sizeof *saes);
	for (size_t i = 0; i < o->n_sae; i++)
		saes[i] = x->s[i].sae;
	uint32_t *excl;
	saex_eval_opts eo = SAEX_EVAL_OPTS_INIT;
	corpus_eval_opts(x->tok, &excl, &eo);
	eo.ablate_excluded = o->ablate_bos;
	saex_eval *ev = saex_eval_new(x->m, saes, o->n_sae, &eo, err, sizeof err);
	free(saes);
	free(excl);
	if (!ev)
		return cli_fail("eval", CLI_DATA, "%s", err);
	int progress = !o->quiet && isatty(2), rc = 0;
	double t0 = now_seconds(), last = 0;
	for (size_t p = 0; p < x->c.n; p++) {
		if (saex_eval_prompt(ev, x->c.ids + x->c.off[p], x->c.off[p + 1] - x->c.off[p], err, sizeof err)) {
			rc = cli_fail("eval", CLI_DATA, "prompt %zu: %s", p + 1, err);
			break;
		}
		if (progress && (now_seconds() - last > 0.2 || p + 1 == x->c.n)) {
			eval_progress(x, p + 1, t0);
			last = now_seconds();
		}
	}
	if (progress)
		fputc('\n', stderr);
	x->seconds = now_seconds() - t0;
	saex_eval_times_of(ev, &x->tm);
	for (size_t i = 0; rc == 0 && i < o->n_sae; i++) {
		eval_one *s = &x->s[i];
		saex_eval_result(ev, i, &s->m);
		s->density = xmalloc((size_t)s->m.d_sae * sizeof *s->density);
		s->mean_act = xmalloc((size_t)s->m.d_sae * sizeof *s->mean_act);
		saex_eval_features(ev, i, s->density, s->mean_act);
	}
	saex_eval_free(ev);
	return rc;
}

/* ------------------------------------------------------------ the store */

/* The source of one SAE, created (with its model, hook and width) when the
 * database lacks it. */
static int eval_source(eval_cmd *x, const eval_one *s, int64_t *src, saex_err *e)
{
	char spec[2 * SAEX_ID_MAX + 2];
	saex_fid names;
	snprintf(spec, sizeof spec, "%s/%s", s->model_id, s->source_id);
	if (store_source_find(x->db, spec, src, &names, e) == 0)
		return 0;
	const saex_model_config *mc = saex_model_config_of(x->m);
	const saex_sae_info *si = saex_sae_get_info(s->sae);
	store_model_rec mr = {s->model_id, NULL, NULL, NULL, mc->n_layers, mc->d_model};
	store_source_rec sr = {s->model_id, s->source_id, NULL, si->hook_name, NULL, NULL, NULL, NULL, -1, -1,
	                       si->d_sae};
	int rc = store_put_model(x->db, &mr, e);
	if (rc == 0)
		rc = store_put_source(x->db, &sr, e);
	if (rc == 0)
		rc = store_source_ensure(x->db, s->model_id, s->source_id, src, e);
	return rc;
}

static int eval_store(eval_cmd *x)
{
	const eval_opts *o = x->o;
	saex_err e = {{0}, 0};
	int rc = store_begin(x->db, &e);
	for (size_t i = 0; rc == 0 && i < o->n_sae; i++) {
		const eval_one *s = &x->s[i];
		int64_t src;
		rc = eval_source(x, s, &src, &e);
		store_eval r = {0};
		r.origin = "saex";
		r.corpus = cli_basename(o->corpus);
		r.ctx = (int64_t)x->ctx;
		r.m = s->m;
		r.density = s->density;
		r.mean_act = s->mean_act;
		r.n_feat = (size_t)s->m.d_sae;
		if (rc == 0)
			rc = store_eval_put(x->db, src, &r, &e);
	}
	if (rc == 0)
		rc = store_commit(x->db, &e);
	else
		store_rollback(x->db);
	return rc ? cli_fail("eval", cli_status(rc), "%s", e.msg) : 0;
}

/* ------------------------------------------------------------ output */

static double eval_total_time(const saex_eval_times *t)
{
	return t->clean + t->ablated + t->spliced + t->encode + t->stats;
}


static json_t *eval_json_floats(const float *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, cli_json_f32(v[i]));
	return a;
}

static void eval_print_json(const eval_cmd *x)
{
	const eval_opts *o = x->o;
	json_t *saes = json_array();
	for (size_t i = 0; i < o->n_sae; i++) {
		const eval_one *s = &x->s[i];
		const saex_sae_info *si = saex_sae_get_info(s->sae);
		json_array_append_new(
			saes, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o}", "sae_dir", s->dir, "model_id",
		                        s->model_id, "source_id", s->source_id, "hook_name", si->hook_name, "d_sae",
		                        (json_int_t)s->m.d_sae, "dead_features", (json_int_t)s->m.dead_features,
		                        "dense_features", (json_int_t)s->m.dense_features, "metrics",
		                        cli_json_eval(&s->m), "feature_density",
		                        eval_json_floats(s->density, (size_t)s->m.d_sae), "feature_mean_activation",
		                        eval_json_floats(s->mean_act, (size_t)s->m.d_sae)));
	}
	const saex_eval_times *t = &x->tm;
	double total = eval_total_time(t);
	const saex_eval_metrics *m = &x->s[0].m;
	json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:{s:f,s:f,s:f,s:f,s:f,s:f,s:o},s:o,s:o}", "model_dir",
	                      x->model_dir, "corpus", o->corpus, "prompts", (json_int_t)m->prompts, "ctx",
	                      (json_int_t)x->ctx, "tokens", (json_int_t)m->tokens, "ce_tokens",
	                      (json_int_t)m->ce_tokens, "seconds", x->seconds, "time", "clean", t->clean, "ablated",
	                      t->ablated, "spliced", t->spliced, "encode", t->encode, "stats", t->stats, "total", total,
	                      "ratio_to_clean", cli_json_num(t->clean > 0 ? total / t->clean : NAN), "stored",
	                      o->db ? json_string(o->db) : json_null(), "saes", saes);
	cli_put_json(stdout, j, 0);
	json_decref(j);
}

/* A metric's value in 12 columns. */
static void eval_cell(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "%12s", isnan(v) ? "-" : v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, n, "%12.5g", v);
}

/* Metrics rows for the SAEs [i0, i1): groups as headings. */
static void eval_print_table(const eval_cmd *x, size_t i0, size_t i1)
{
	char cell[32];
	printf("%-30s", "");
	for (size_t i = i0; i < i1; i++)
		printf(" %11s%zu", "#", i + 1);
	putchar('\n');
	const char *group = "";
	for (size_t k = 0; k < saex_eval_n_metrics; k++) {
		if (strcmp(group, saex_eval_metric_groups[k]) != 0) {
			group = saex_eval_metric_groups[k];
			printf("%s\n", group);
		}
		printf("  %-28s", saex_eval_metric_names[k]);
		for (size_t i = i0; i < i1; i++) {
			eval_cell(cell, sizeof cell, saex_eval_metric_value(&x->s[i].m, k));
			printf(" %s", cell);
		}
		putchar('\n');
	}
	static const char *const counts[] = {"dead_features", "dense_features"};
	for (size_t k = 0; k < 2; k++) {
		printf("  %-28s", counts[k]);
		for (size_t i = i0; i < i1; i++)
			printf(" %12lld", (long long)(k ? x->s[i].m.dense_features : x->s[i].m.dead_features));
		putchar('\n');
	}
}

static void eval_print_text(const eval_cmd *x)
{
	const eval_opts *o = x->o;
	const saex_eval_metrics *m0 = &x->s[0].m;
	char b1[32], b2[32];
	sb line = {0};
	cli_style st;
	cli_style_init(&st, stdout);
	sb_printf(&line, "evaluated %zu SAE%s of %s on %s: %s prompts, %s tokens counted (BOS left out), %.1fs\n",
	          o->n_sae, o->n_sae == 1 ? "" : "s", x->s[0].model_id, cli_basename(o->corpus),
	          cli_thousands(m0->prompts, b1, sizeof b1), cli_thousands(m0->tokens, b2, sizeof b2), x->seconds);
	for (size_t i = 0; i < o->n_sae; i++) {
		const eval_one *s = &x->s[i];
		const saex_sae_info *si = saex_sae_get_info(s->sae);
		sb_printf(&line, "#%zu %s/%s  %s, %s features  %s\n", i + 1, s->model_id, s->source_id, si->hook_name,
		          cli_thousands(si->d_sae, b1, sizeof b1), s->dir);
	}
	sb out = {0};
	cli_put_text(&out, &st, line.p, line.n, SAEX_ESC_NL_KEEP);
	fputs(out.p ? out.p : "", stdout);
	sb_free(&out);
	sb_free(&line);
	size_t width = st.tty && st.width > 0 ? (size_t)st.width : 80;
	size_t per = width > 44 ? (width - 31) / 13 : 1;
	for (size_t i0 = 0; i0 < o->n_sae; i0 += per) {
		putchar('\n');
		eval_print_table(x, i0, i0 + per < o->n_sae ? i0 + per : o->n_sae);
	}
	if (o->verbose) {
		const saex_eval_times *t = &x->tm;
		double total = eval_total_time(t);
		printf("\ntime: clean passes %.2fs, ablated %.2fs, spliced %.2fs, encode and decode %.2fs, "
		       "statistics %.2fs; %.2f x the clean passes\n",
		       t->clean, t->ablated, t->spliced, t->encode, t->stats, t->clean > 0 ? total / t->clean : 0.0);
	}
	if (o->db)
		printf("\nstored in %s\n", o->db);
}

/* ------------------------------------------------------------ the command */

static int eval_args(int argc, char **argv, eval_opts *o, const char **sae_buf)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"sae", required_argument, NULL, 's'},
		{"corpus", required_argument, NULL, 'c'}, {"prompts", required_argument, NULL, 'n'},
		{"ctx", required_argument, NULL, 't'}, {"source-id", required_argument, NULL, 'S'},
		{"model-id", required_argument, NULL, 'M'}, {"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'},
		{"ablate-bos", no_argument, NULL, 'B'}, {"help", no_argument, NULL, 'h'},
		{0}};
	const cli_cmd *me = cli_find("eval");
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': o->model = optarg; break;
		case 's': sae_buf[o->n_sae++] = optarg; break;
		case 'c': o->corpus = optarg; break;
		case 'n':
			if (cli_parse_size("eval", "--prompts", optarg, 1, UINT32_MAX - 1, &o->prompts))
				return CLI_USAGE;
			break;
		case 't':
			if (cli_parse_size("eval", "--ctx", optarg, 1, 1 << 20, &o->ctx))
				return CLI_USAGE;
			o->ctx_set = 1;
			break;
		case 'S': o->source_id = optarg; break;
		case 'M': o->model_id = optarg; break;
		case 'j': o->json = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose = 1; break;
		case 'B': o->ablate_bos = 1; break;
		case 'h': cli_usage(stdout, me); return -1;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	const char *why = argc - optind > 1                    ? "expected at most one DB"
	                  : !o->model || !o->n_sae || !o->corpus ? "--model, --sae and --corpus are required"
	                  : o->source_id && o->n_sae > 1        ? "--source-id names one SAE: give one --sae"
	                                                        : NULL;
	if (why) {
		cli_fail("eval", CLI_USAGE, "%s", why);
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	o->db = optind < argc ? argv[optind] : NULL;
	o->sae = sae_buf;
	return 0;
}

int cmd_eval(int argc, char **argv)
{
	eval_opts o = {0};
	const char **sae_buf = xcalloc((size_t)argc + 1, sizeof *sae_buf);
	int rc = eval_args(argc, argv, &o, sae_buf);
	if (rc) {
		free(sae_buf);
		return rc < 0 ? CLI_OK : rc;
	}
	eval_cmd x = {0};
	x.o = &o;
	struct stat st;
	saex_err e = {{0}, 0};
	if (stat(o.corpus, &st) != 0)
		rc = cli_fail("eval", CLI_DATA, "%s: %s", o.corpus, strerror(errno));
	if (rc == 0 && o.db && (rc = store_open(&x.db, o.db, STORE_WRITE, &e)))
		rc = cli_fail("eval", cli_status(rc), "%s", e.msg);
	if (rc == 0)
		rc = eval_load(&x);
	if (rc == 0)
		rc = eval_names(&x);
	if (rc == 0)
		rc = eval_run(&x);
	if (rc == 0 && x.db)
		rc = eval_store(&x);
	if (rc == 0) {
		if (o.json)
			eval_print_json(&x);
		else
			eval_print_text(&x);
		rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
	}
	eval_cmd_free(&x);
	free(sae_buf);
	return rc;
}
