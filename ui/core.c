/* core.c - the explorer's loaded models and SAEs, and live tests. */
#include "config.h"
#include "core.h"
#include "store.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct core_hist {
	saex_fid id;
	core_test t[CORE_KEEP]; /* newest first */
	size_t n;
} core_hist;

struct ui_core {
	core_src **src;
	size_t n;
	core_hist *hist;
	size_t n_hist;
};

ui_core *core_new(void)
{
	return xcalloc(1, sizeof(ui_core));
}

static void src_free(core_src *s)
{
	if (!s)
		return;
	saex_sae_free(s->sae);
	saex_tok_free(s->tok);
	saex_model_free(s->model);
	free(s->dec_norm);
	free(s->model_dir);
	free(s->sae_dir);
	free(s->warning);
	free(s);
}

void core_free(ui_core *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		src_free(c->src[i]);
	for (size_t i = 0; i < c->n_hist; i++)
		for (size_t j = 0; j < c->hist[i].n; j++)
			core_test_free(&c->hist[i].t[j]);
	free(c->hist);
	free(c->src);
	free(c);
}

/* The model of a source found in the cache: the one its SAE names, else
 * the source's own (its Neuronpedia id, its TransformerLens name). 0 with
 * the folder in m, or -1 with err naming the repository to download. */
static int core_hf_model(const char *const names[3], char *m, size_t bufsize, char *err, size_t errlen)
{
	char why[SAEX_ERR_LEN], repo[256] = "";
	for (int i = 0; i < 3; i++) {
		if (!names[i] || !*names[i])
			continue;
		if (saex_hf_find_model(names[i], m, bufsize, why, sizeof why) == 0)
			return 0;
		if (!repo[0])
			saex_hf_model_repo(names[i], repo, sizeof repo);
	}
	if (repo[0])
		snprintf(err, errlen, "its model is not in the Hugging Face cache: download %s (huggingface-cli download "
		         "%s), or attach weights (saex attach DB SOURCE --model DIR --sae DIR)", repo, repo);
	else
		snprintf(err, errlen, "no weights attached, and saex does not know the Hugging Face repository of its model "
		         "%s: saex attach DB SOURCE --model DIR --sae DIR", names[0] && *names[0] ? names[0] : names[1]);
	return -1;
}

/* No weights attached: the source's SAE in the local Hugging Face cache
 * (the repository and folder its export names) and its model there too
 * (core_hf_model). 0 with the folders in m and s (bufsize bytes each), or
 * -1 with err saying exactly what to download. */
static int core_from_hf(store *db, int64_t source_id, char *m, char *s, size_t bufsize, char *err, size_t errlen)
{
	arena mem = {0};
	store_source_facts f;
	char spec[2048], why[SAEX_ERR_LEN];
	saex_err e = {{0}, 0};
	int rc = -1;
	if (store_source_facts_get(db, source_id, &mem, &f, &e) || !f.hf_repo || !*f.hf_repo) {
		snprintf(err, errlen, "no weights attached to this SAE, and its export names no Hugging Face repository "
		         "(saex attach DB SOURCE --model DIR --sae DIR)");
		goto out;
	}
	int folder = f.hf_folder && *f.hf_folder;
	snprintf(spec, sizeof spec, "%s%s%s", f.hf_repo, folder ? "/" : "", folder ? f.hf_folder : "");
	/* names from the data: looked up only inside the cache, never as paths */
	if (saex_hf_resolve_name(spec, s, bufsize, why, sizeof why)) {
		snprintf(err, errlen, "its SAE is not in the Hugging Face cache: download %s%s%s (huggingface-cli download "
		         "%s%s%s%s), or attach weights (saex attach DB SOURCE --model DIR --sae DIR)", f.hf_repo,
		         folder ? ", folder " : "", folder ? f.hf_folder : "", f.hf_repo, folder ? " --include '" : "",
		         folder ? f.hf_folder : "", folder ? "/*'" : "");
		goto out;
	}
	saex_sae *sae = saex_sae_load(s, why, sizeof why);
	if (!sae) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	const char *names[3] = {saex_sae_get_info(sae)->model_name, f.model, f.tlens_id};
	rc = core_hf_model(names, m, bufsize, err, errlen);
	saex_sae_free(sae);
out:
	arena_free(&mem);
	return rc;
}

int core_source(ui_core *c, store *db, int64_t source_id, core_src **out, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->src[i]->source_id == source_id) {
			*out = c->src[i];
			return 0;
		}
	arena mem = {0};
	char *mdir = NULL, *sdir = NULL, mbuf[4096], sbuf[4096];
	saex_err e = {{0}, 0};
	int rc = store_weights_get(db, source_id, &mem, &mdir, &sdir, &e);
	if (rc == STORE_NOTFOUND && core_from_hf(db, source_id, mbuf, sbuf, sizeof mbuf, err, errlen) == 0) {
		mdir = mbuf;
		sdir = sbuf;
	} else if (rc) {
		if (rc != STORE_NOTFOUND)
			snprintf(err, errlen, "%s", e.msg);
		arena_free(&mem);
		return -1;
	}
	core_src *s = xcalloc(1, sizeof *s);
	s->source_id = source_id;
	s->model_dir = xstrdup(mdir);
	s->sae_dir = xstrdup(sdir);
	arena_free(&mem);
	char why[SAEX_ERR_LEN];
	if (!(s->model = saex_model_load(s->model_dir, why, sizeof why)) ||
	    !(s->sae = saex_sae_load(s->sae_dir, why, sizeof why)) || saex_sae_fits(s->sae, s->model, why, sizeof why)) {
		snprintf(err, errlen, "%s", why);
		src_free(s);
		return -1;
	}
	int fit = store_weights_fit(db, source_id, s->sae, s->model, why, sizeof why);
	if (fit && (fit == STORE_EBAD || rc != 0 || !store_weights_forced(db, source_id, s->model_dir, s->sae_dir))) {
		if (fit == STORE_EBAD)
			snprintf(err, errlen, "%s", why);
		else if (rc == 0)
			snprintf(err, errlen, "the weights attached to this SAE do not fit it: %s (saex attach --force "
			         "uses them all the same)", why);
		else
			snprintf(err, errlen, "the SAE found in the Hugging Face cache for this source does not fit it: %s "
			         "(saex attach --force uses it all the same)", why);
		src_free(s);
		return -1;
	}
	if (fit)
		s->warning = xasprintf("attached with --force although they do not fit: %s", why);
	s->tok = saex_tok_load(s->model_dir, why, sizeof why); /* optional: --ids only without it */
	const saex_sae_info *in = saex_sae_get_info(s->sae);
	s->dec_norm = xmalloc((size_t)in->d_sae * sizeof *s->dec_norm);
	float *row = xmalloc((size_t)in->d_out * sizeof *row);
	for (int64_t i = 0; i < in->d_sae; i++) {
		saex_sae_decoder_row(s->sae, i, row);
		double q = 0;
		for (int64_t j = 0; j < in->d_out; j++)
			q += (double)row[j] * row[j];
		s->dec_norm[i] = sqrt(q);
	}
	free(row);
	c->src = xrealloc(c->src, (c->n + 1) * sizeof *c->src);
	c->src[c->n++] = s;
	*out = s;
	return 0;
}

/* The tokens spelled as Neuronpedia's exports spell them (so that a live
 * test looks like the imported dashboard of the same feature). */
static char **split_tokens(const saex_tok *t, const uint32_t *ids, size_t n, size_t **lens)
{
	char **tok = xcalloc(n ? n : 1, sizeof *tok);
	*lens = xcalloc(n ? n : 1, sizeof **lens);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		char *s = saex_tok_token_text(t, ids[i], &len);
		tok[i] = s ? s : xstrdup("");
		(*lens)[i] = s ? len : 0;
	}
	return tok;
}

int core_text_run(core_src *s, const char *text, core_text *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	const saex_sae_info *in = saex_sae_get_info(s->sae);
	int ctx = saex_model_config_of(s->model)->n_ctx;
	if (!s->tok) {
		snprintf(err, errlen, "%s: no tokenizer (vocab.json + merges.txt or tokenizer.json)", s->model_dir);
		return -1;
	}
	int bos = saex_model_config_of(s->model)->prepend_bos && saex_tok_bos(s->tok) >= 0;
	size_t n = 0;
	uint32_t *ids = saex_tok_encode(s->tok, text, strlen(text), bos, &n);
	if (n == 0 || n > (size_t)ctx) {
		snprintf(err, errlen, "%zu tokens: the model takes 1 to %d", n, ctx);
		free(ids);
		return -1;
	}
	float *f = malloc(n * (size_t)in->d_sae * sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory for %zu x %lld features", n, (long long)in->d_sae);
		free(ids);
		return -1;
	}
	if (saex_sae_features(s->model, s->sae, ids, n, NULL, 0, f, err, errlen)) {
		free(f);
		free(ids);
		return -1;
	}
	for (size_t t = 0; t < n; t++)
		for (int64_t i = 0; i < in->d_sae; i++)
			f[t * (size_t)in->d_sae + (size_t)i] = (float)(f[t * (size_t)in->d_sae + (size_t)i] * s->dec_norm[i]);
	out->t.text = xstrdup(text);
	out->t.n = n;
	out->t.bos = bos;
	out->t.tok = split_tokens(s->tok, ids, n, &out->t.tok_len);
	out->t.max_index = -1;
	out->f = f;
	out->d_sae = in->d_sae;
	free(ids);
	return 0;
}

void core_text_free(core_text *x)
{
	core_test_free(&x->t);
	free(x->f);
	x->f = NULL;
}

int core_test_run(core_src *s, int64_t feature, const char *text, core_test *out, char *err, size_t errlen)
{
	const saex_sae_info *in = saex_sae_get_info(s->sae);
	memset(out, 0, sizeof *out);
	if (feature < 0 || feature >= in->d_sae) {
		snprintf(err, errlen, "feature %lld is not in the attached SAE (%lld features)", (long long)feature,
		         (long long)in->d_sae);
		return -1;
	}
	core_text x;
	if (core_text_run(s, text, &x, err, errlen))
		return -1;
	*out = x.t;
	out->values = xmalloc(out->n * sizeof *out->values);
	for (size_t t = 0; t < out->n; t++)
		out->values[t] = x.f[t * (size_t)x.d_sae + (size_t)feature];
	core_test_max(out);
	free(x.f);
	return 0;
}

void core_test_max(core_test *t)
{
	t->max_index = -1;
	t->max_value = 0;
	for (size_t i = t->bos ? 1 : 0; i < t->n; i++) /* BOS is not part of the text */
		if (t->values[i] > 0 && (t->max_index < 0 || t->values[i] > t->max_value)) {
			t->max_index = (long)i;
			t->max_value = t->values[i];
		}
}

void core_test_free(core_test *t)
{
	core_tokens_free(t->tok, t->tok_len, t->n);
	free(t->values);
	free(t->text);
	memset(t, 0, sizeof *t);
}

char **core_tokens(core_src *s, const char *text, size_t **lens, size_t *n)
{
	*n = 0;
	*lens = NULL;
	if (!s->tok)
		return NULL;
	uint32_t *ids = saex_tok_encode(s->tok, text, strlen(text), 0, n);
	char **tok = split_tokens(s->tok, ids, *n, lens);
	free(ids);
	return tok;
}

void core_tokens_free(char **tok, size_t *lens, size_t n)
{
	for (size_t i = 0; tok && i < n; i++)
		free(tok[i]);
	free(tok);
	free(lens);
}

static core_hist *hist_find(ui_core *c, const saex_fid *id, int create)
{
	for (size_t i = 0; i < c->n_hist; i++)
		if (c->hist[i].id.index == id->index && !strcmp(c->hist[i].id.model, id->model) &&
		    !strcmp(c->hist[i].id.source, id->source))
			return &c->hist[i];
	if (!create)
		return NULL;
	c->hist = xrealloc(c->hist, (c->n_hist + 1) * sizeof *c->hist);
	core_hist *h = &c->hist[c->n_hist++];
	memset(h, 0, sizeof *h);
	h->id = *id;
	return h;
}

void core_keep(ui_core *c, const saex_fid *id, core_test *t)
{
	core_hist *h = hist_find(c, id, 1);
	if (h->n == CORE_KEEP)
		core_test_free(&h->t[--h->n]);
	memmove(&h->t[1], &h->t[0], h->n * sizeof *h->t);
	h->t[0] = *t;
	h->n++;
	memset(t, 0, sizeof *t);
}

void core_restore(ui_core *c, const saex_fid *id, const store_live_test *t, size_t n)
{
	if (hist_find(c, id, 0))
		return;
	core_hist *h = hist_find(c, id, 1);
	for (size_t k = 0; k < n && k < CORE_KEEP; k++) {
		core_test *o = &h->t[h->n++];
		size_t m = t[k].n ? t[k].n : 1;
		o->text = xstrdup(t[k].text);
		o->n = t[k].n;
		o->bos = t[k].bos;
		o->tok = xmalloc(m * sizeof *o->tok);
		o->tok_len = xmalloc(m * sizeof *o->tok_len);
		o->values = xmalloc(m * sizeof *o->values);
		for (size_t i = 0; i < t[k].n; i++) {
			o->tok[i] = xstrndup(t[k].tok[i], t[k].tok_len[i]);
			o->tok_len[i] = t[k].tok_len[i];
			o->values[i] = t[k].values[i];
		}
		core_test_max(o);
	}
}

const core_test *core_kept(ui_core *c, const saex_fid *id, size_t *n)
{
	core_hist *h = hist_find(c, id, 0);
	*n = h ? h->n : 0;
	return h ? h->t : NULL;
}
