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
	saex_tok *tok;       /* build's run: the model's tokenizer (borrowed) */
} build_w;

static void build_w_free(build_w *w)
{
	saex_sae_free(w->sae);
	saex_model_free(w->m);
}

/* Resolves, loads and checks; 0 or the exit status after the message. */
static int build_load(const char *cmd, const char *model, const char *sae, build_w *w)
{
	int rc = cli_load_model(cmd, model, w->model_dir, sizeof w->model_dir, &w->m);
	if (rc == 0)
		rc = cli_load_sae(cmd, sae, w->m, w->sae_dir, sizeof w->sae_dir, &w->sae);
	if (rc)
		return rc;
	w->si = saex_sae_get_info(w->sae);
	w->mc = saex_model_config_of(w->m);
	w->layer = w->si->layer;
	return 0;
}

/* ------------------------------------------------------------ the run */

typedef struct build_opts {
	const char *db, *corpus, *source_id, *model_id;
	size_t prompts, ctx;
	double ckpt_every;
	int json, quiet, verbose, eval;
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
	uint64_t v[] = {o->ctx, BUILD_BATCH, BUILD_SEED, c->n, (uint64_t)w->si->d_sae, (uint64_t)o->eval};
	h = hash_bytes(h, v, sizeof v);
	h = hash_bytes(h, c->off, (c->n + 1) * sizeof *c->off);
	return hash_bytes(h, c->ids, c->off[c->n] * sizeof *c->ids);
}

static int build_ckpt_save(const char *path, uint64_t key, uint64_t done, const double *tm,
                           const dash *d, const saex_eval *ev, saex_err *e)
{
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	int bad = !f;
	if (f) {
		bad = fwrite(BUILD_CKPT_MAGIC, sizeof BUILD_CKPT_MAGIC, 1, f) != 1 ||
		      fwrite(&key, sizeof key, 1, f) != 1 || fwrite(&done, sizeof done, 1, f) != 1 ||
		      fwrite(tm, sizeof *tm, TM_N, f) != TM_N || dash_save(d, f) != 0 ||
		      (ev && saex_eval_save(ev, f) != 0) || fflush(f) != 0 || fsync(fileno(f)) != 0;
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

/* 1 when a checkpoint of this build was loaded (*done, tm, d and ev
 * filled), 0 when there is none or it belongs to another build (said on
 * stderr). */
static int build_ckpt_load(const char *path, uint64_t key, uint64_t *done, double *tm, dash *d,
                           saex_eval *ev, int quiet)
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
	         dash_load(d, f, err, sizeof err) == 0 && (!ev || saex_eval_load(ev, f, err, sizeof err) == 0);
	fclose(f);
	if (!ok && !quiet)
		cli_fail("build", 0, "%s: %s; starting over", path,
		         err[0] ? err : "a checkpoint of another build (other settings or corpus)");
	return ok;
}

/* A token's text for the store, spelled as Neuronpedia's exports spell it
 * (saex_tok_token_text), so that a built dashboard, an imported one and a
 * live test look alike; a byte that is not valid UTF-8 becomes U+FFFD; an
 * id the tokenizer does not have, "<ID>". */
static store_str build_tok(const saex_tok *tok, uint32_t id, arena *a)
{
	size_t k = 0;
	char *p = saex_tok_token_text(tok, id, &k);
	if (!p) {
		char buf[32];
		int n = snprintf(buf, sizeof buf, "<%u>", id);
		return (store_str){arena_strndup(a, buf, (size_t)n), (size_t)n};
	}
	sb b = {0};
	for (size_t i = 0, l; i < k; i += l) {
		uint32_t cp;
		l = saex_utf8_decode((const unsigned char *)p + i, k - i, &cp);
		if (l == 0) {
			sb_adds(&b, "\xef\xbf\xbd");
			l = 1;
		} else {
			sb_add(&b, p + i, l);
		}
	}
	store_str r = {arena_strndup(a, b.p ? b.p : "", b.n), b.n};
	sb_free(&b);
	free(p);
	return r;
}

typedef struct build_final {
	const build_opts *o;
	const build_w *w;
	const corpus *c;
	saex_tok *tok;
	const dash *d;
	const float *unit;    /* [d_sae, d_out] unit decoder rows */
	const saex_tensor *wu; /* W_U [V, d] (saex_model_unembed) */
	int progress;         /* a progress line on stderr */
	double t_final, t_write;
	const store_eval *eval; /* --eval: stored with the dashboards; else NULL */
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

static int build_write(build_final *b, store *s, saex_err *e)
{
	const build_opts *o = b->o;
	const build_w *w = b->w;
	int64_t D = w->si->d_sae;
	size_t dout = (size_t)w->si->d_out;
	char *cfg = NULL;
	if (w->si->format == SAEX_FMT_SAELENS) {
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
	store_model_rec mr = {o->model_id, NULL, NULL, NULL, w->mc->n_layers, w->mc->d_model};
	store_source_rec sr = {o->model_id, o->source_id, NULL, w->si->hook_name, NULL, NULL, cfg,
	                       cli_basename(o->corpus), (int64_t)b->c->n, (int64_t)o->ctx, D};
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
	if (rc == 0 && b->eval)
		rc = store_eval_put(s, src, b->eval, e);
	if (rc == 0) /* made here: no Neuronpedia page to link to */
		rc = store_source_mark_local(s, o->model_id, o->source_id, e);
	free(cfg);
	dash_logit *lg = xmalloc(BUILD_BLOCK * sizeof *lg);
	uint32_t *ci = xmalloc(BUILD_BLOCK * DASH_COS * sizeof *ci);
	float *cv = xmalloc(BUILD_BLOCK * DASH_COS * sizeof *cv);
	dash_feat *df = xmalloc(sizeof *df);
	arena a = {0};
	team *tm = team_blas_start(); /* the products' columns and scans split among its members */
	for (int64_t r0 = 0; rc == 0 && r0 < D; r0 += BUILD_BLOCK) {
		size_t nb = (size_t)(D - r0 < BUILD_BLOCK ? D - r0 : BUILD_BLOCK);
		double t0 = now_seconds();
		long nc = 0;
		if (dash_logits(b->unit + (size_t)r0 * dout, nb, dout, b->wu, lg, tm) != 0 ||
		    (nc = dash_cosine(b->unit, (size_t)D, dout, (size_t)r0, (size_t)r0 + nb, DASH_COS, ci,
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
		if (bf->eval)
			json_object_set_new(j, "eval", cli_json_eval(&bf->eval->m));
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
	if (bf->eval) {
		const saex_eval_metrics *m = &bf->eval->m;
		printf("evaluation (BOS left out): l0 %.4g, explained_variance %.4g, ce_loss_score %.4g, kl_div_score "
		       "%.4g, %lld dead and %lld dense features\n",
		       m->l0, m->explained_variance, m->ce_loss_score, m->kl_div_score, (long long)m->dead_features,
		       (long long)m->dense_features);
	}
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

/* The streaming phase: batches of prompts through the model and the SAE
 * into every feature's state, and with --eval through the evaluation
 * (saex_eval.h), whose encode of each prompt feeds the dashboards. */
typedef struct build_stream {
	const build_opts *o;
	const build_w *w;
	const corpus *c;
	dash *d;
	saex_eval *ev;        /* --eval; else NULL */
	float *x, *f;         /* without --eval: a batch's activations, features */
	uint32_t prompt;      /* --eval: the prompt being run */
	double tm[TM_N];
	char err[SAEX_ERR_LEN];
	char stop[SAEX_ERR_LEN]; /* --eval: why build_eval_features stopped it */
} build_stream;

/* 1 when any of the n values is NaN or infinite. */
static int build_nonfinite(const float *v, size_t n)
{
	return util_first_nonfinite(v, n) < n;
}

/* One prompt's features into the dashboards (each prompt's features split
 * among a team's members). */
static void build_book(build_stream *b, uint32_t p, const float *f, size_t T)
{
	double t0 = now_seconds();
	team *bt = team_blas_start();
	dash_add(b->d, p, f, T, bt);
	team_blas_end(bt);
	b->tm[TM_BOOK] += now_seconds() - t0;
}

static int build_eval_features(size_t sae, const float *f, size_t T, void *user)
{
	build_stream *b = user;
	(void)sae;
	if (build_nonfinite(f, T * (size_t)b->w->si->d_sae)) {
		snprintf(b->stop, sizeof b->stop, "%.700s: the SAE's activations are not finite numbers (prompt %u): its "
		         "weights hold NaN or infinity", b->w->sae_dir, b->prompt);
		return -1;
	}
	build_book(b, b->prompt, f, T);
	return 0;
}

/* Prompts [p0, p1) without --eval: the model up to the SAE's layer, one
 * encode of the batch. */
static int build_batch(build_stream *b, size_t p0, size_t p1)
{
	const corpus *c = b->c;
	size_t D = (size_t)b->w->si->d_sae;
	build_hook hk = {b->x, 0, (size_t)b->w->si->d_in};
	saex_hook hook = {b->w->si->hook_name, build_hook_fn, &hk};
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = &hook;
	ro.n_hooks = 1;
	ro.stop_after_layer = b->w->layer;
	double t0 = now_seconds();
	for (size_t p = p0; p < p1; p++)
		if (saex_model_forward(b->w->m, c->ids + c->off[p], c->off[p + 1] - c->off[p], &ro, b->err,
		                       sizeof b->err))
			return -1;
	double t1 = now_seconds();
	if (saex_sae_encode(b->w->sae, b->x, hk.row, b->f, NULL)) {
		snprintf(b->err, sizeof b->err, "%.900s: out of memory", b->w->sae_dir);
		return -1;
	}
	b->tm[TM_FORWARD] += t1 - t0;
	b->tm[TM_ENCODE] += now_seconds() - t1;
	/* NaN or infinity would make every feature look dead: refuse */
	if (build_nonfinite(b->x, hk.row * hk.d)) {
		snprintf(b->err, sizeof b->err, "%.600s: the model's activations at %.200s are not finite numbers (prompt %zu or "
		         "after): its weights hold NaN or infinity", b->w->model_dir, b->w->si->hook_name, p0);
		return -1;
	}
	if (build_nonfinite(b->f, hk.row * D)) {
		snprintf(b->err, sizeof b->err, "%.700s: the SAE's activations are not finite numbers (prompt %zu or "
		         "after): its weights hold NaN or infinity", b->w->sae_dir, p0);
		return -1;
	}
	size_t row = 0;
	for (size_t p = p0; p < p1; p++) {
		size_t T = c->off[p + 1] - c->off[p];
		build_book(b, (uint32_t)p, b->f + row * D, T);
		row += T;
	}
	return 0;
}

/* Prompts [p0, p1) with --eval: each prompt's clean, ablated and spliced
 * passes; the forward share is the passes', the encode share the SAE's
 * encode and the evaluation's statistics. */
static int build_batch_eval(build_stream *b, size_t p0, size_t p1)
{
	const corpus *c = b->c;
	saex_eval_times t0, t1;
	saex_eval_times_of(b->ev, &t0);
	for (size_t p = p0; p < p1; p++) {
		b->prompt = (uint32_t)p;
		if (saex_eval_prompt(b->ev, c->ids + c->off[p], c->off[p + 1] - c->off[p], b->err, sizeof b->err)) {
			if (b->stop[0])
				memcpy(b->err, b->stop, sizeof b->err);
			return -1;
		}
	}
	saex_eval_times_of(b->ev, &t1);
	b->tm[TM_FORWARD] += (t1.clean + t1.ablated + t1.spliced) - (t0.clean + t0.ablated + t0.spliced);
	b->tm[TM_ENCODE] += (t1.encode + t1.stats) - (t0.encode + t0.stats);
	return 0;
}

/* The loop over batches from *done on, with checkpoints and the progress
 * line. 0, or the exit status after the message. */
static int build_stream_run(build_stream *b, const char *ckpt, uint64_t key, uint64_t *done)
{
	const corpus *c = b->c;
	saex_err e = {{0}, 0};
	int progress = !b->o->quiet && isatty(2);
	double t_start = now_seconds(), last_ckpt = t_start, last_prog = 0;
	uint64_t start_done = *done;
	while (*done < c->n) {
		size_t p0 = (size_t)*done, p1 = p0 + BUILD_BATCH < c->n ? p0 + BUILD_BATCH : c->n;
		if ((b->ev ? build_batch_eval(b, p0, p1) : build_batch(b, p0, p1)) != 0)
			return cli_fail("build", CLI_DATA, "%s", b->err);
		*done = p1;
		double t3 = now_seconds();
		if (*done == c->n || (t3 - last_ckpt >= b->o->ckpt_every)) {
			if (build_ckpt_save(ckpt, key, *done, b->tm, b->d, b->ev, &e))
				return cli_fail("build", CLI_DATA, "%s", e.msg);
			last_ckpt = now_seconds();
		}
		double t4 = now_seconds();
		b->tm[TM_BOOK] += t4 - t3;
		if (progress && (t4 - last_prog > 0.2 || *done == c->n)) {
			double rate = (double)(*done - start_done) / (t4 - t_start);
			char eta[32];
			cli_eta(eta, sizeof eta, rate > 0 ? (double)(c->n - *done) / rate : -1);
			fprintf(stderr, "\rsaex build: %llu/%zu prompts, %.0f tokens/s, ETA %s   ",
			        (unsigned long long)*done, c->n,
			        (double)(c->off[*done] - c->off[start_done]) / (t4 - t_start), eta);
			last_prog = t4;
		}
	}
	if (progress)
		fputc('\n', stderr);
	return 0;
}

/* A fresh dashboard state and, with --eval, evaluation. */
static int build_stream_start(build_stream *b, const float *norms, char *err, size_t errlen)
{
	dash_free(b->d);
	saex_eval_free(b->ev);
	b->ev = NULL;
	memset(b->tm, 0, sizeof b->tm);
	b->d = dash_new(b->w->si->d_sae, norms, BUILD_SEED);
	if (!b->o->eval)
		return 0;
	uint32_t *excl;
	saex_eval_opts eo = SAEX_EVAL_OPTS_INIT;
	corpus_eval_opts(b->w->tok, &excl, &eo);
	eo.on_features = build_eval_features;
	eo.user = b;
	const saex_sae *one = b->w->sae;
	b->ev = saex_eval_new(b->w->m, &one, 1, &eo, err, errlen);
	free(excl);
	return b->ev ? 0 : -1;
}

/* The evaluation to store with the dashboards (--eval): its metrics and
 * per-feature arrays (density, mean_act: d_sae floats each, caller's). */
static void build_eval_record(const build_stream *b, float *density, float *mean_act, store_eval *r)
{
	memset(r, 0, sizeof *r);
	r->origin = "saex";
	r->corpus = cli_basename(b->o->corpus);
	r->ctx = (int64_t)b->o->ctx;
	saex_eval_result(b->ev, 0, &r->m);
	saex_eval_features(b->ev, 0, density, mean_act);
	r->density = density;
	r->mean_act = mean_act;
	r->n_feat = (size_t)r->m.d_sae;
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
	w->tok = tok;
	corpus c;
	store *s = NULL;
	build_stream b = {0};
	float *unit = NULL, *norms = NULL, *ev_dens = NULL, *ev_mean = NULL;
	char *ckpt = NULL;
	if (corpus_read(o->corpus, tok, w->mc->prepend_bos, o->ctx, o->prompts, &c, &e)) {
		saex_tok_free(tok);
		return cli_fail("build", CLI_DATA, "%s", e.msg);
	}
	if (c.capped && !o->quiet) {
		char nb[32], tb[32];
		cli_fail("build", 0, "%s: read its first %s prompts (%s tokens: the most kept without --prompts)",
		         o->corpus, cli_thousands((int64_t)c.n, nb, sizeof nb), cli_thousands((int64_t)c.off[c.n], tb, sizeof tb));
	}
	rc = CLI_DATA;
	if (corpus_check_vocab(&c, o->corpus, (uint32_t)w->mc->vocab, &e)) {
		cli_fail("build", CLI_DATA, "%s", e.msg);
		goto out;
	}
	size_t din = (size_t)w->si->d_in, dout = (size_t)w->si->d_out, D = (size_t)w->si->d_sae;
	if ((rc = store_open(&s, o->db, STORE_WRITE, &e))) {
		rc = cli_fail("build", cli_status(rc), "%s", e.msg);
		goto out;
	}
	store_on_wait(s, cli_waiting, "build");
	/* decoder rows: unit directions and the norms folded into activations */
	unit = xmalloc(D * dout * sizeof *unit);
	norms = xmalloc(D * sizeof *norms);
	for (size_t i = 0; i < D; i++)
		saex_sae_decoder_row(w->sae, (int64_t)i, unit + i * dout);
	dash_unit_rows(unit, D, dout, unit, norms);
	b.o = o;
	b.w = w;
	b.c = &c;
	if (build_stream_start(&b, norms, err, sizeof err)) {
		rc = cli_fail("build", CLI_DATA, "%s", err);
		goto out;
	}

	uint64_t key = build_key(o, w, &c), done = 0;
	ckpt = xasprintf("%s.build", o->db);
	int resumed = build_ckpt_load(ckpt, key, &done, b.tm, b.d, b.ev, o->quiet);
	if (resumed && !o->quiet)
		cli_fail("build", 0, "resuming after prompt %llu of %zu (%s)", (unsigned long long)done,
		         c.n, ckpt);
	if (!resumed) { /* a checkpoint that failed to load may have filled some */
		done = 0;
		build_stream_start(&b, norms, err, sizeof err);
	}
	if (!resumed && build_exists(s, o->model_id, o->source_id)) {
		rc = cli_fail("build", CLI_USAGE,
		              "%s already holds %s/%s: build into another database or pass another "
		              "--source-id",
		              o->db, o->model_id, o->source_id);
		goto out;
	}
	uint64_t resumed_at = done;
	if (!o->eval) {
		b.x = xmalloc(BUILD_BATCH * o->ctx * din * sizeof *b.x);
		b.f = xmalloc(BUILD_BATCH * o->ctx * D * sizeof *b.f);
	}
	if ((rc = build_stream_run(&b, ckpt, key, &done)))
		goto out;
	store_eval ev_rec;
	if (b.ev) {
		ev_dens = xmalloc(D * sizeof *ev_dens);
		ev_mean = xmalloc(D * sizeof *ev_mean);
		build_eval_record(&b, ev_dens, ev_mean, &ev_rec);
	}
	build_final bf = {o,    w, &c, tok, b.d, unit, saex_model_unembed(w->m), !o->quiet && isatty(2), 0, 0,
	                  b.ev ? &ev_rec : NULL};
	if ((rc = build_write(&bf, s, &e))) {
		cli_fail("build", rc, "%s", e.msg);
		goto out;
	}
	unlink(ckpt);
	build_report(o, &c, (uint64_t)c.off[c.n], (int64_t)D, b.tm, &bf, now_seconds() - wall0, resumed_at);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	free(ckpt);
	free(b.x);
	free(b.f);
	free(unit);
	free(norms);
	free(ev_dens);
	free(ev_mean);
	saex_eval_free(b.ev);
	dash_free(b.d);
	store_close(s);
	corpus_free(&c);
	saex_tok_free(tok);
	w->tok = NULL;
	return rc;
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"sae", required_argument, NULL, 's'},
		{"corpus", required_argument, NULL, 'c'}, {"prompts", required_argument, NULL, 'n'},
		{"ctx", required_argument, NULL, 't'}, {"source-id", required_argument, NULL, 'S'},
		{"model-id", required_argument, NULL, 'M'}, {"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'}, {"verbose", no_argument, NULL, 'v'},
		{"checkpoint-every", required_argument, NULL, 'k'}, {"eval", no_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'}, {0}};
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
			if (cli_parse_size("build", "--prompts", optarg, 1, UINT32_MAX - 1, &o.prompts))
				return CLI_USAGE;
			break;
		case 't':
			if (cli_parse_size("build", "--ctx", optarg, 1, 1 << 20, &o.ctx))
				return CLI_USAGE;
			ctx_set = 1;
			break;
		case 'S': o.source_id = optarg; break;
		case 'M': o.model_id = optarg; break;
		case 'j': o.json = 1; break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'E': o.eval = 1; break;
		case 'k':
			if (cli_parse_size("build", "--checkpoint-every", optarg, 0, 1000000, &every))
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
		o.ctx = w.mc->n_ctx < 128 ? (size_t)w.mc->n_ctx : 128;
	if (rc == 0 && (int)o.ctx > w.mc->n_ctx)
		rc = cli_fail("build", CLI_USAGE, "--ctx %zu: the model's context is %d tokens", o.ctx,
		              w.mc->n_ctx);
	if (rc == 0 && w.si->d_out != w.mc->d_model) /* logit effects go through the unembedding */
		rc = cli_fail("build", CLI_DATA,
		              "%s: its decoder writes %lld values at %s, but logit effects need rows as wide as the "
		              "residual stream (%d)", w.sae_dir, (long long)w.si->d_out, w.si->hook_name_out,
		              w.mc->d_model);
	if (rc == 0) {
		model_id = o.model_id ? xstrdup(o.model_id) : cli_default_model_id(w.model_dir);
		source_id = o.source_id ? xstrdup(o.source_id) : cli_default_source_id(w.sae, w.sae_dir);
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
	                                     {"force", no_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0}};
	const cli_cmd *me = cli_find("attach");
	const char *model = NULL, *sae = NULL;
	int ch, force = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 's': sae = optarg; break;
		case 'f': force = 1; break;
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
	char why[SAEX_ERR_LEN];
	rc = build_load("attach", model, sae, &w);
	int fit = rc == 0 ? store_weights_fit(s, src, w.sae, w.m, why, sizeof why) : 0;
	if (fit == STORE_EBAD)
		rc = cli_fail("attach", CLI_DATA, "%s", why);
	else if (fit && !force)
		rc = cli_fail("attach", CLI_USAGE, "these weights do not fit %s/%s: %s (--force attaches them anyway)",
		              names.model, names.source, why);
	if (rc == 0 && ((rc = store_weights_put(s, src, w.model_dir, w.sae_dir, &e)) ||
	                (rc = store_weights_mark_forced(s, src, fit ? w.model_dir : NULL, w.sae_dir, &e))))
		rc = cli_fail("attach", cli_status(rc), "%s", e.msg);
	if (rc == 0 && fit)
		fprintf(stderr, "saex attach: attached with --force, although they do not fit: %s\n", why);
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
