/* cmd_build.c - saex build: dashboards for your own SAE, computed from a
 * corpus (dash.c) and written into a database; saex attach: records where
 * a source's weights live.
 *
 * Resuming: every --checkpoint-every seconds (and after the last batch) the
 * per-feature state goes to DB.build (written to DB.build.tmp, synced,
 * renamed), keyed by a hash of the settings and of every prompt's token
 * ids. A rerun with the same key continues after the last checkpointed
 * batch; batches always cover the same prompts, so the result equals an
 * uninterrupted build. The database is written in one transaction at the
 * end, after which the checkpoint is removed. */
#include "config.h"
#include "cli.h"
#include "corpus.h"
#include "dash.h"
#include "saex.h"
#include "store.h"
#include "team.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILD_BATCH 8                       /* prompts per SAE encode */
#define BUILD_SEED UINT64_C(0x5eed5aeb0001) /* quantile sampling */
#define BUILD_BLOCK 512                     /* features per finalize block */
#define BUILD_CKPT_MAGIC "saex-build-checkpoint-1"

/* The model and SAE of build and attach, checked against each other. */
typedef struct build_w {
	char model_dir[PATH_MAX], sae_dir[PATH_MAX];
	saex_model *m;
	saex_sae *sae;
	const saex_sae_info *si;
	const saex_model_config *mc;
	int layer;
} build_w;

static void build_w_free(build_w *w)
{
	saex_sae_free(w->sae);
	saex_model_free(w->m);
}

/* Resolves, loads and checks; 0 or the exit status after the message. */
static int build_load(const char *cmd, const char *model, const char *sae, build_w *w)
{
	char err[SAEX_ERR_LEN], path[PATH_MAX];
	int rc;
	if ((rc = cli_resolve(cmd, model, path, sizeof path)))
		return rc;
	if (!realpath(path, w->model_dir))
		return cli_fail(cmd, CLI_DATA, "%s: %s", path, strerror(errno));
	if ((rc = cli_resolve(cmd, sae, path, sizeof path)))
		return rc;
	if (!realpath(path, w->sae_dir))
		return cli_fail(cmd, CLI_DATA, "%s: %s", path, strerror(errno));
	if (!(w->m = saex_model_load(w->model_dir, err, sizeof err)))
		return cli_fail(cmd, CLI_DATA, "%s", err);
	if (!(w->sae = saex_sae_load(w->sae_dir, err, sizeof err)))
		return cli_fail(cmd, CLI_DATA, "%s", err);
	w->si = saex_sae_get_info(w->sae);
	w->mc = saex_model_config_of(w->m);
	saex_hook_kind k;
	if (saex_hook_parse(w->si->hook_name, &w->layer, &k) || w->layer >= w->mc->n_layer)
		return cli_fail(cmd, CLI_DATA,
		                "%s/cfg.json: the SAE's hook '%s' is not a hook of the model (layers 0 "
		                "to %d)",
		                w->sae_dir, w->si->hook_name, w->mc->n_layer - 1);
	size_t width = saex_model_hook_width(w->m, w->si->hook_name);
	if ((int64_t)width != w->si->d_in)
		return cli_fail(cmd, CLI_DATA, "%s/cfg.json: d_in %lld does not match the width %zu of %s",
		                w->sae_dir, (long long)w->si->d_in, width, w->si->hook_name);
	return 0;
}

/* ------------------------------------------------------------ the run */

typedef struct build_opts {
	const char *db, *corpus, *source_id, *model_id;
	size_t prompts, ctx;
	double ckpt_every;
	int json, quiet, verbose;
} build_opts;

typedef struct build_hook {
	float *x;      /* [rows, d_in] of the batch */
	size_t row, d;
} build_hook;

static int build_hook_fn(const char *name, float *act, size_t T, size_t width, void *user)
{
	(void)name;
	build_hook *h = user;
	memcpy(h->x + h->row * h->d, act, T * width * sizeof *act);
	h->row += T;
	return 0;
}

enum { TM_FORWARD, TM_ENCODE, TM_BOOK, TM_N };

static uint64_t build_key(const build_opts *o, const build_w *w, const corpus *c)
{
	uint64_t h = HASH_SEED;
	const char *s[] = {w->model_dir, w->sae_dir, o->model_id, o->source_id};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(s); i++)
		h = hash_bytes(h, s[i], strlen(s[i]) + 1);
	uint64_t v[] = {o->ctx, BUILD_BATCH, BUILD_SEED, c->n, (uint64_t)w->si->d_sae};
	h = hash_bytes(h, v, sizeof v);
	h = hash_bytes(h, c->off, (c->n + 1) * sizeof *c->off);
	return hash_bytes(h, c->ids, c->off[c->n] * sizeof *c->ids);
}

static int build_ckpt_save(const char *path, uint64_t key, uint64_t done, const double *tm,
                           const dash *d, saex_err *e)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	int bad = !f;
	if (f) {
		bad = fwrite(BUILD_CKPT_MAGIC, sizeof BUILD_CKPT_MAGIC, 1, f) != 1 ||
		      fwrite(&key, sizeof key, 1, f) != 1 || fwrite(&done, sizeof done, 1, f) != 1 ||
		      fwrite(tm, sizeof *tm, TM_N, f) != TM_N || dash_save(d, f) != 0 ||
		      fflush(f) != 0 || fsync(fileno(f)) != 0;
		bad |= fclose(f) != 0;
	}
	if (!bad)
		bad = rename(tmp, path) != 0;
	if (bad) {
		err_set(e, CLI_DATA, "%s: cannot write the checkpoint: %s", tmp, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return bad ? CLI_DATA : 0;
}

/* 1 when a checkpoint of this build was loaded (*done, tm and d filled),
 * 0 when there is none or it belongs to another build (said on stderr). */
static int build_ckpt_load(const char *path, uint64_t key, uint64_t *done, double *tm, dash *d,
                           int quiet)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char magic[sizeof BUILD_CKPT_MAGIC], err[256] = "";
	uint64_t k = 0;
	int ok = fread(magic, sizeof magic, 1, f) == 1 &&
	         memcmp(magic, BUILD_CKPT_MAGIC, sizeof magic) == 0 &&
	         fread(&k, sizeof k, 1, f) == 1 && k == key &&
	         fread(done, sizeof *done, 1, f) == 1 && fread(tm, sizeof *tm, TM_N, f) == TM_N &&
	         dash_load(d, f, err, sizeof err) == 0;
	fclose(f);
	if (!ok && !quiet)
		cli_fail("build", 0, "%s: %s; starting over", path,
		         err[0] ? err : "a checkpoint of another build (other settings or corpus)");
	return ok;
}

static void build_eta(char *buf, size_t n, double s)
{
	if (!(s >= 0) || s > 1e7)
		snprintf(buf, n, "?");
	else if (s >= 3600)
		snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
	else
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
}

/* A token's text for the store: its bytes, with each byte that is not
 * valid UTF-8 on its own (part of a character split across tokens) as
 * U+FFFD, as SAEDashboard decodes tokens one by one; or "<ID>" for an id
 * the tokenizer does not have. */
static store_str build_tok(const saex_tok *tok, uint32_t id, arena *a)
{
	size_t k = 0, i = 0;
	const char *p = saex_tok_bytes(tok, id, &k);
	uint32_t cp;
	size_t l;
	while (p && i < k && (l = saex_utf8_decode((const unsigned char *)p + i, k - i, &cp)) > 0)
		i += l;
	if (p && i == k)
		return (store_str){p, k};
	if (p) {
		sb b = {0};
		for (i = 0; i < k;) {
			l = saex_utf8_decode((const unsigned char *)p + i, k - i, &cp);
			if (l == 0) {
				sb_adds(&b, "\xef\xbf\xbd");
				i++;
			} else {
				sb_add(&b, p + i, l);
				i += l;
			}
		}
		store_str r = {arena_strndup(a, b.p, b.n), b.n};
		sb_free(&b);
		return r;
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "<%u>", id);
	return (store_str){arena_strndup(a, buf, (size_t)n), (size_t)n};
}

typedef struct build_final {
	const build_opts *o;
	const build_w *w;
	const corpus *c;
	saex_tok *tok;
	const dash *d;
	const float *unit;    /* [d_sae, d_in] unit decoder rows */
	const float *wte;     /* [V, d] */
	int progress;         /* a progress line on stderr */
	double t_final, t_write;
} build_final;

static int build_feature(build_final *b, store *s, int64_t src, int64_t i, const dash_logit *lg,
                         const uint32_t *ci, const float *cv, size_t nc, dash_feat *df, arena *a,
                         saex_err *e)
{
	store_str pos[DASH_LOGITS], neg[DASH_LOGITS];
	for (size_t k = 0; k < lg->n_pos; k++)
		pos[k] = build_tok(b->tok, lg->pos_id[k], a);
	for (size_t k = 0; k < lg->n_neg; k++)
		neg[k] = build_tok(b->tok, lg->neg_id[k], a);
	store_feature_in fi = {0};
	fi.index = i;
	fi.max_act = df->max_act;
	fi.frac_nonzero = df->frac_nonzero;
	fi.freq_h = df->hist_h;
	fi.freq_v = df->hist_v;
	fi.n_freq = df->n_hist;
	fi.lhist_h = lg->hist_h;
	fi.lhist_v = lg->hist_v;
	fi.n_lhist = DASH_BINS;
	fi.pos_str = pos;
	fi.pos_v = lg->pos_v;
	fi.n_pos = lg->n_pos;
	fi.neg_str = neg;
	fi.neg_v = lg->neg_v;
	fi.n_neg = lg->n_neg;
	fi.cos_idx = ci;
	fi.cos_v = cv;
	fi.n_cos = nc;
	int added, rc = store_put_feature(s, src, &fi, &added, e);
	for (size_t k = 0; rc == 0 && k < df->n_ex; k++) {
		const dash_example *x = &df->ex[k];
		const uint32_t *ids = b->c->ids + b->c->off[x->prompt];
		store_str *toks = arena_alloc(a, x->len * sizeof *toks);
		float *vals = arena_alloc(a, x->len * sizeof *vals);
		for (uint32_t t = 0; t < x->len; t++)
			toks[t] = build_tok(b->tok, ids[t], a);
		for (uint32_t t = 0; t < x->nnz; t++)
			vals[x->nz[t].pos] = x->nz[t].v;
		char key[64];
		int kl = snprintf(key, sizeof key, "build:%u:%s%.9g", x->prompt,
		                  k < df->n_top ? "top" : "q", x->bin_min);
		store_act_in ai = {i, toks, vals, x->len, x->max, x->min, (long)x->argmax,
		                   x->bin_min, x->bin_max, x->bin_contains, key, (size_t)kl, 0};
		rc = store_put_activation(s, src, &ai, &added, e);
	}
	return rc;
}

static const char *build_base(const char *p)
{
	const char *b = strrchr(p, '/');
	return b && b[1] ? b + 1 : p;
}

static int build_write(build_final *b, store *s, saex_err *e)
{
	const build_opts *o = b->o;
	const build_w *w = b->w;
	int64_t D = w->si->d_sae;
	size_t din = (size_t)w->si->d_in;
	char *cfg = NULL;
	{
		char *p = xasprintf("%s/cfg.json", w->sae_dir);
		sb t = {0};
		FILE *f = fopen(p, "rb");
		char chunk[4096];
		size_t k;
		while (f && (k = fread(chunk, 1, sizeof chunk, f)) > 0 && t.n < (1 << 20))
			sb_add(&t, chunk, k);
		if (f)
			fclose(f);
		json_t *j = t.p ? json_loads(t.p, 0, NULL) : NULL;
		if (j)
			cfg = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		sb_free(&t);
		free(p);
	}
	store_model_rec mr = {o->model_id, NULL, NULL, NULL, w->mc->n_layer, w->mc->n_embd};
	store_source_rec sr = {o->model_id, o->source_id, NULL, w->si->hook_name, NULL, NULL, cfg,
	                       build_base(o->corpus), (int64_t)b->c->n, (int64_t)o->ctx, D};
	int64_t src;
	int rc = store_begin(s, e);
	if (rc == 0)
		rc = store_put_model(s, &mr, e);
	if (rc == 0)
		rc = store_put_source(s, &sr, e);
	if (rc == 0)
		rc = store_source_ensure(s, o->model_id, o->source_id, &src, e);
	if (rc == 0)
		rc = store_weights_put(s, src, w->model_dir, w->sae_dir, e);
	free(cfg);
	dash_logit *lg = xmalloc(BUILD_BLOCK * sizeof *lg);
	uint32_t *ci = xmalloc(BUILD_BLOCK * DASH_COS * sizeof *ci);
	float *cv = xmalloc(BUILD_BLOCK * DASH_COS * sizeof *cv);
	dash_feat *df = xmalloc(sizeof *df);
	arena a = {0};
	size_t V = (size_t)w->mc->vocab_size;
	team *tm = team_blas_start(); /* the products' columns and scans split among its members */
	for (int64_t r0 = 0; rc == 0 && r0 < D; r0 += BUILD_BLOCK) {
		size_t nb = (size_t)(D - r0 < BUILD_BLOCK ? D - r0 : BUILD_BLOCK);
		double t0 = now_seconds();
		long nc = 0;
		if (dash_logits(b->unit + (size_t)r0 * din, nb, din, b->wte, V, lg, tm) != 0 ||
		    (nc = dash_cosine(b->unit, (size_t)D, din, (size_t)r0, (size_t)r0 + nb, DASH_COS, ci,
		                      cv, tm)) < 0) {
			rc = err_set(e, CLI_DATA, "out of memory computing logit effects");
			break;
		}
		double t1 = now_seconds();
		b->t_final += t1 - t0;
		for (size_t k = 0; rc == 0 && k < nb; k++) {
			dash_feature(b->d, r0 + (int64_t)k, df);
			rc = build_feature(b, s, src, r0 + (int64_t)k, &lg[k], ci + k * (size_t)nc,
			                   cv + k * (size_t)nc, (size_t)nc, df, &a, e);
			arena_reset(&a);
		}
		b->t_write += now_seconds() - t1;
		if (b->progress)
			fprintf(stderr, "\rsaex build: finishing: logit effects, similar features, writing: "
			        "%lld/%lld features   ",
			        (long long)(r0 + (int64_t)nb), (long long)D);
	}
	team_blas_end(tm);
	if (b->progress)
		fputc('\n', stderr);
	double t1 = now_seconds();
	if (rc == 0)
		rc = store_commit(s, e);
	else
		store_rollback(s);
	b->t_write += now_seconds() - t1;
	arena_free(&a);
	free(df);
	free(lg);
	free(ci);
	free(cv);
	return rc ? cli_status(rc) : 0;
}

/* The model id by default: the folder's name, or NAME of a Hugging Face
 * cache folder models--ORG--NAME/snapshots/REV. */
static char *build_default_model_id(const char *dir)
{
	const char *m = strstr(dir, "/models--");
	if (m && strstr(m, "/snapshots/")) {
		const char *end = strchr(m + 1, '/'), *start = m + 9;
		for (const char *p = start; p + 1 < end; p++)
			if (p[0] == '-' && p[1] == '-')
				start = p + 2;
		return xstrndup(start, (size_t)(end - start));
	}
	return xstrdup(build_base(dir));
}

static void build_report(const build_opts *o, const corpus *c, uint64_t tokens, int64_t d_sae,
                         const double *tm, const build_final *bf, double wall, uint64_t resumed)
{
	double stream = tm[TM_FORWARD] + tm[TM_ENCODE] + tm[TM_BOOK];
	double share[TM_N];
	for (int i = 0; i < TM_N; i++)
		share[i] = stream > 0 ? tm[i] / stream : 0;
	double tps = stream > 0 ? (double)tokens / stream : 0;
	if (o->json) {
		json_t *j = json_pack(
			"{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:{s:f,s:f,s:f,s:f,s:f},"
			"s:{s:f,s:f,s:f}}",
			"db", o->db, "model", o->model_id, "source", o->source_id, "prompts",
			(json_int_t)c->n, "tokens", (json_int_t)tokens, "features", (json_int_t)d_sae,
			"documents", (json_int_t)c->n_docs, "resumed_at", (json_int_t)resumed,
			"seconds", wall, "tokens_per_s", tps, "time", "forward", tm[TM_FORWARD], "encode",
			tm[TM_ENCODE], "bookkeeping", tm[TM_BOOK], "finalize", bf->t_final, "write",
			bf->t_write, "share", "forward", share[TM_FORWARD], "encode", share[TM_ENCODE],
			"bookkeeping", share[TM_BOOK]);
		cli_put_json(stdout, j, 0);
		json_decref(j);
		return;
	}
	char b1[32], b2[32];
	printf("built %s/%s: %s prompts, %s tokens, %lld features in %.1fs\n", o->model_id,
	       o->source_id, cli_thousands((int64_t)c->n, b1, sizeof b1),
	       cli_thousands((int64_t)tokens, b2, sizeof b2), (long long)d_sae, wall);
	if (o->verbose)
		printf("%.0f tokens/s; model forward %.1f%% (%.2fs), SAE encode %.1f%% (%.2fs), "
		       "bookkeeping %.1f%% (%.2fs); then logit effects and similar features %.2fs, "
		       "writing %.2fs\n",
		       tps, 100 * share[TM_FORWARD], tm[TM_FORWARD], 100 * share[TM_ENCODE],
		       tm[TM_ENCODE], 100 * share[TM_BOOK], tm[TM_BOOK], bf->t_final, bf->t_write);
}

/* Does DB hold this source with features already? */
static int build_exists(store *s, const char *model, const char *source)
{
	char spec[2 * SAEX_ID_MAX + 2];
	snprintf(spec, sizeof spec, "%s/%s", model, source);
	int64_t id;
	saex_fid names;
	saex_err e;
	if (store_source_find(s, spec, &id, &names, &e) != 0)
		return 0;
	store_feat_row *rows = NULL;
	size_t n = 0;
	store_feature_rows(s, id, &rows, &n, &e);
	free(rows);
	return n > 0;
}

/* Loads the tied unembedding (wte) of the model folder. */
static const float *build_wte(const build_w *w, saex_safetensors **f, float **owned, saex_err *e)
{
	char err[SAEX_ERR_LEN];
	char *p = xasprintf("%s/model.safetensors", w->model_dir);
	*f = saex_safetensors_open(p, err, sizeof err);
	free(p);
	if (!*f) {
		err_set(e, CLI_DATA, "%s", err);
		return NULL;
	}
	const saex_tensor *t = saex_safetensors_find(*f, "wte.weight");
	if (!t)
		t = saex_safetensors_find(*f, "transformer.wte.weight");
	const float *r = t ? saex_tensor_f32(t, owned) : NULL;
	if (!r)
		err_set(e, CLI_DATA, "%s/model.safetensors: no usable wte.weight", w->model_dir);
	return r;
}

/* 1 when any of the n values is NaN or infinite. */
static int build_nonfinite(const float *v, size_t n)
{
	unsigned bad = 0;
	for (size_t i = 0; i < n; i++) { /* all exponent bits set: NaN or infinity (vectorises) */
		uint32_t u;
		memcpy(&u, &v[i], sizeof u);
		bad |= (u & 0x7f800000u) == 0x7f800000u;
	}
	return bad != 0;
}

static int build_run(build_opts *o, build_w *w)
{
	int rc;
	char err[SAEX_ERR_LEN];
	saex_err e = {{0}, 0};
	double wall0 = now_seconds();
	const char *inputs[] = {o->corpus, w->model_dir, w->sae_dir};
	if ((rc = cli_check_output("build", o->db, inputs, 3)))
		return rc;
	saex_tok *tok = saex_tok_load(w->model_dir, err, sizeof err);
	if (!tok)
		return cli_fail("build", CLI_DATA, "%s", err);
	corpus c;
	store *s = NULL;
	dash *d = NULL;
	float *unit = NULL, *norms = NULL, *x = NULL, *f = NULL, *wte_owned = NULL;
	saex_safetensors *wf = NULL;
	char *ckpt = NULL;
	if (corpus_read(o->corpus, tok, o->ctx, o->prompts, &c, &e)) {
		saex_tok_free(tok);
		return cli_fail("build", CLI_DATA, "%s", e.msg);
	}
	if (c.capped && !o->quiet) {
		char nb[32], tb[32];
		cli_fail("build", 0, "%s: read its first %s prompts (%s tokens: the most kept without --prompts)",
		         o->corpus, cli_thousands((int64_t)c.n, nb, sizeof nb), cli_thousands((int64_t)c.off[c.n], tb, sizeof tb));
	}
	rc = CLI_DATA;
	for (size_t i = 0; i < c.off[c.n]; i++) {
		if (c.ids[i] >= (uint32_t)w->mc->vocab_size) {
			cli_fail("build", CLI_DATA, "%s: token id %u is past the model's vocabulary size %d",
			         o->corpus, c.ids[i], w->mc->vocab_size);
			goto out;
		}
	}
	size_t din = (size_t)w->si->d_in, D = (size_t)w->si->d_sae;
	const float *wte = build_wte(w, &wf, &wte_owned, &e);
	if (!wte) {
		cli_fail("build", CLI_DATA, "%s", e.msg);
		goto out;
	}
	if ((rc = store_open(&s, o->db, STORE_WRITE, &e))) {
		rc = cli_fail("build", cli_status(rc), "%s", e.msg);
		goto out;
	}
	store_on_wait(s, cli_waiting, "build");
	/* decoder rows: unit directions and the norms folded into activations */
	unit = xmalloc(D * din * sizeof *unit);
	norms = xmalloc(D * sizeof *norms);
	for (size_t i = 0; i < D; i++)
		memcpy(unit + i * din, saex_sae_decoder_row(w->sae, (int64_t)i), din * sizeof *unit);
	dash_unit_rows(unit, D, din, unit, norms);
	d = dash_new((int64_t)D, norms, BUILD_SEED);

	uint64_t key = build_key(o, w, &c), done = 0;
	double tm[TM_N] = {0};
	ckpt = xasprintf("%s.build", o->db);
	int resumed = build_ckpt_load(ckpt, key, &done, tm, d, o->quiet);
	if (resumed && !o->quiet)
		cli_fail("build", 0, "resuming after prompt %llu of %zu (%s)", (unsigned long long)done,
		         c.n, ckpt);
	if (!resumed && build_exists(s, o->model_id, o->source_id)) {
		rc = cli_fail("build", CLI_USAGE,
		              "%s already holds %s/%s: build into another database or pass another "
		              "--source-id",
		              o->db, o->model_id, o->source_id);
		goto out;
	}
	uint64_t resumed_at = done;
	rc = CLI_DATA; /* for the failures below */

	x = xmalloc(BUILD_BATCH * o->ctx * din * sizeof *x);
	f = xmalloc(BUILD_BATCH * o->ctx * D * sizeof *f);
	build_hook hk = {x, 0, din};
	saex_hook hook = {w->si->hook_name, build_hook_fn, &hk};
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = &hook;
	ro.n_hooks = 1;
	ro.stop_after_layer = w->layer;
	int progress = !o->quiet && isatty(2);
	double t_start = now_seconds(), last_ckpt = t_start, last_prog = 0;
	uint64_t start_done = done;
	size_t total_tokens = c.off[c.n];
	while (done < c.n) {
		size_t p0 = (size_t)done, p1 = p0 + BUILD_BATCH < c.n ? p0 + BUILD_BATCH : c.n;
		double t0 = now_seconds();
		hk.row = 0;
		for (size_t p = p0; p < p1; p++) {
			if (saex_model_forward(w->m, c.ids + c.off[p], c.off[p + 1] - c.off[p], &ro, err,
			                       sizeof err)) {
				cli_fail("build", CLI_DATA, "%s", err);
				goto out;
			}
		}
		double t1 = now_seconds();
		if (saex_sae_encode(w->sae, x, hk.row, f, NULL)) {
			cli_fail("build", CLI_DATA, "%s: out of memory", w->sae_dir);
			goto out;
		}
		/* NaN or infinity would make every feature look dead: refuse */
		if (build_nonfinite(x, hk.row * din)) {
			cli_fail("build", CLI_DATA, "%s: the model's activations at %s are not finite numbers (prompt %zu or "
			         "after): its weights hold NaN or infinity", w->model_dir, w->si->hook_name, p0);
			goto out;
		}
		if (build_nonfinite(f, hk.row * D)) {
			cli_fail("build", CLI_DATA, "%s/sae_weights.safetensors: the SAE's activations are not finite numbers "
			         "(prompt %zu or after): its weights hold NaN or infinity", w->sae_dir, p0);
			goto out;
		}
		double t2 = now_seconds();
		size_t row = 0;
		team *bt = team_blas_start(); /* each prompt's features split among its members */
		for (size_t p = p0; p < p1; p++) {
			size_t T = c.off[p + 1] - c.off[p];
			dash_add(d, (uint32_t)p, f + row * D, T, bt);
			row += T;
		}
		team_blas_end(bt);
		done = p1;
		double t3 = now_seconds();
		tm[TM_FORWARD] += t1 - t0;
		tm[TM_ENCODE] += t2 - t1;
		tm[TM_BOOK] += t3 - t2;
		if (done == c.n || (t3 - last_ckpt >= o->ckpt_every)) {
			if (build_ckpt_save(ckpt, key, done, tm, d, &e)) {
				cli_fail("build", CLI_DATA, "%s", e.msg);
				goto out;
			}
			last_ckpt = now_seconds();
		}
		double t4 = now_seconds();
		tm[TM_BOOK] += t4 - t3;
		if (progress && (t4 - last_prog > 0.2 || done == c.n)) {
			double rate = (double)(done - start_done) / (t4 - t_start);
			char eta[32];
			build_eta(eta, sizeof eta, rate > 0 ? (double)(c.n - done) / rate : -1);
			fprintf(stderr, "\rsaex build: %llu/%zu prompts, %.0f tokens/s, ETA %s   ",
			        (unsigned long long)done, c.n,
			        (double)(c.off[done] - c.off[start_done]) / (t4 - t_start), eta);
			last_prog = t4;
		}
	}
	if (progress)
		fputc('\n', stderr);
	build_final bf = {o, w, &c, tok, d, unit, wte, progress, 0, 0};
	if ((rc = build_write(&bf, s, &e))) {
		cli_fail("build", rc, "%s", e.msg);
		goto out;
	}
	unlink(ckpt);
	build_report(o, &c, (uint64_t)total_tokens, (int64_t)D, tm, &bf, now_seconds() - wall0,
	             resumed_at);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	free(ckpt);
	free(x);
	free(f);
	free(unit);
	free(norms);
	free(wte_owned);
	saex_safetensors_close(wf);
	dash_free(d);
	store_close(s);
	corpus_free(&c);
	saex_tok_free(tok);
	return rc;
}

static int build_size(const char *opt, const char *arg, size_t lo, size_t hi, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (end == arg || *end || errno || arg[0] == '-' || v < lo || v > hi)
		return cli_fail("build", CLI_USAGE, "%s %s: expected a number from %zu to %zu", opt, arg,
		                lo, hi);
	*out = (size_t)v;
	return 0;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"sae", required_argument, NULL, 's'},
		{"corpus", required_argument, NULL, 'c'}, {"prompts", required_argument, NULL, 'n'},
		{"ctx", required_argument, NULL, 't'}, {"source-id", required_argument, NULL, 'S'},
		{"model-id", required_argument, NULL, 'M'}, {"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'},
		{"checkpoint-every", required_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'},
		{0}};
	const cli_cmd *me = cli_find("build");
	build_opts o = {0};
	int ctx_set = 0;
	o.ckpt_every = 60;
	const char *model = NULL, *sae = NULL;
	int ch;
	size_t every = 60;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 's': sae = optarg; break;
		case 'c': o.corpus = optarg; break;
		case 'n':
			if (build_size("--prompts", optarg, 1, UINT32_MAX - 1, &o.prompts))
				return CLI_USAGE;
			break;
		case 't':
			if (build_size("--ctx", optarg, 1, 1 << 20, &o.ctx))
				return CLI_USAGE;
			ctx_set = 1;
			break;
		case 'S': o.source_id = optarg; break;
		case 'M': o.model_id = optarg; break;
		case 'j': o.json = 1; break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'k':
			if (build_size("--checkpoint-every", optarg, 0, 1000000, &every))
				return CLI_USAGE;
			o.ckpt_every = (double)every;
			break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (optind != argc - 1 || !model || !sae || !o.corpus) {
		cli_fail("build", CLI_USAGE, "%s",
		         optind != argc - 1 ? "expected one DB" : "--model, --sae and --corpus are required");
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	o.db = argv[optind];
	char why[1200];
	if (util_check_read(o.corpus, 1, why, sizeof why)) /* a device or a folder: refused now */
		return cli_fail("build", CLI_DATA, "%s", why);
	build_w w = {0};
	int rc = build_load("build", model, sae, &w);
	char *model_id = NULL, *source_id = NULL;
	if (rc == 0 && !ctx_set) /* 128, or the model's context when shorter */
		o.ctx = w.mc->n_positions < 128 ? (size_t)w.mc->n_positions : 128;
	if (rc == 0 && (int)o.ctx > w.mc->n_positions)
		rc = cli_fail("build", CLI_USAGE, "--ctx %zu: the model's context is %d tokens", o.ctx,
		              w.mc->n_positions);
	if (rc == 0) {
		model_id = o.model_id ? xstrdup(o.model_id) : build_default_model_id(w.model_dir);
		source_id = o.source_id ? xstrdup(o.source_id)
		                        : xasprintf("%d-%s", w.layer, build_base(w.sae_dir));
		o.model_id = model_id;
		o.source_id = source_id;
		if (!saex_fid_valid_name(model_id) || !saex_fid_valid_name(source_id))
			rc = cli_fail("build", CLI_USAGE,
			              "'%s' is not a valid %s id (1-127 of A-Z a-z 0-9 . _ + -): pass %s",
			              saex_fid_valid_name(model_id) ? source_id : model_id,
			              saex_fid_valid_name(model_id) ? "source" : "model",
			              saex_fid_valid_name(model_id) ? "--source-id" : "--model-id");
	}
	if (rc == 0)
		rc = build_run(&o, &w);
	free(model_id);
	free(source_id);
	build_w_free(&w);
	return rc;
}

/* ------------------------------------------------------------ attach */

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {{"model", required_argument, NULL, 'm'},
	                                     {"sae", required_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	const cli_cmd *me = cli_find("attach");
	const char *model = NULL, *sae = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 's': sae = optarg; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (optind != argc - 2 || !model || !sae) {
		cli_fail("attach", CLI_USAGE, "%s",
		         optind != argc - 2 ? "expected DB and SOURCE" : "--model and --sae are required");
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	const char *db = argv[optind], *spec = argv[optind + 1];
	saex_err e = {{0}, 0};
	store *s = NULL;
	struct stat st;
	if (stat(db, &st) != 0)
		return cli_fail("attach", CLI_USAGE, "%s: %s", db, strerror(errno));
	int rc = store_open(&s, db, STORE_WRITE, &e);
	if (rc)
		return cli_fail("attach", cli_status(rc), "%s", e.msg);
	store_on_wait(s, cli_waiting, "attach");
	int64_t src;
	saex_fid names;
	if ((rc = store_source_find(s, spec, &src, &names, &e))) {
		rc = cli_fail("attach", cli_status(rc), "%s", e.msg);
		store_close(s);
		return rc;
	}
	build_w w = {0};
	rc = build_load("attach", model, sae, &w);
	if (rc == 0 && (rc = store_weights_put(s, src, w.model_dir, w.sae_dir, &e)))
		rc = cli_fail("attach", cli_status(rc), "%s", e.msg);
	if (rc == 0) {
		cli_style cs;
		cli_style_init(&cs, stdout);
		sb o = {0};
		sb_printf(&o, "attached %s/%s: model ", names.model, names.source);
		cli_put_text(&o, &cs, w.model_dir, strlen(w.model_dir), 0);
		sb_adds(&o, ", SAE ");
		cli_put_text(&o, &cs, w.sae_dir, strlen(w.sae_dir), 0);
		printf("%s\n", o.p);
		sb_free(&o);
	}
	build_w_free(&w);
	store_close(s);
	if (rc == 0)
		rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
	return rc;
}
