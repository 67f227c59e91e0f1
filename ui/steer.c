/* steer.c - the explorer's steering set, its runs and their log. */
#include "config.h"
#include "steer.h"
#include "core.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

ui_steer *steer_new(void)
{
	ui_steer *s = xcalloc(1, sizeof *s);
	s->multiplier = 1.0f;
	s->tokens = 20;
	s->method = SAEX_STEER_ADD;
	return s;
}

static void out_clear(steer_out *o)
{
	free(o->ids);
	free(o->text);
	memset(o, 0, sizeof *o);
}

static void steer_stop(ui_steer *s)
{
	for (int k = 0; k < 2; k++) {
		saex_gen_free(s->gen[k]);
		s->gen[k] = NULL;
	}
	saex_steer_free(s->set);
	s->set = NULL;
	s->running = 0;
}

void steer_free(ui_steer *s)
{
	if (!s)
		return;
	steer_stop(s);
	for (size_t i = 0; i < s->n; i++)
		free(s->f[i].expl);
	free(s->f);
	free(s->prompt);
	out_clear(&s->out[0]);
	out_clear(&s->out[1]);
	free(s);
}

size_t steer_add(ui_steer *s, const saex_fid *id, int64_t source_id, double max_act, const char *expl)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i].id.index == id->index && !strcmp(s->f[i].id.model, id->model) &&
		    !strcmp(s->f[i].id.source, id->source))
			return i;
	s->f = xrealloc(s->f, (s->n + 1) * sizeof *s->f);
	steer_feat *f = &s->f[s->n];
	f->id = *id;
	f->source_id = source_id;
	f->max_act = max_act;
	f->strength = (float)max_act;
	f->expl = expl ? xstrdup(expl) : NULL;
	return s->n++;
}

void steer_remove(ui_steer *s, size_t i)
{
	if (i >= s->n)
		return;
	free(s->f[i].expl);
	memmove(&s->f[i], &s->f[i + 1], (s->n - i - 1) * sizeof *s->f);
	s->n--;
}

char *steer_settings_text(const ui_steer *s)
{
	return xasprintf("multiplier %g method %s temperature %g seed %llu tokens %d freq_penalty %g",
	                 (double)s->multiplier, saex_steer_method_name(s->method), (double)s->temperature,
	                 (unsigned long long)s->seed, s->tokens, (double)s->freq_penalty);
}

int steer_settings_parse(ui_steer *s, const char *text, char *err, size_t errlen)
{
	ui_steer t = *s;
	char *copy = xstrdup(text), *save = NULL;
	int rc = -1;
	for (char *k = strtok_r(copy, " \t=,", &save); k; k = strtok_r(NULL, " \t=,", &save)) {
		char *v = strtok_r(NULL, " \t=,", &save), *end;
		if (!v) {
			snprintf(err, errlen, "'%.40s' needs a value", k);
			goto out;
		}
		errno = 0;
		double d = strtod(v, &end);
		int num = !errno && end != v && !*end && isfinite(d) && fabs(d) < 1e30;
		if (!strcmp(k, "method")) {
			if (saex_steer_method_parse(v, &t.method)) {
				snprintf(err, errlen, "method '%.40s': add or clamp", v);
				goto out;
			}
		} else if (!strcmp(k, "multiplier") && num) {
			t.multiplier = (float)d;
		} else if (!strcmp(k, "temperature") && num && d >= 0) {
			t.temperature = (float)d;
		} else if (!strcmp(k, "freq_penalty") && num) {
			t.freq_penalty = (float)d;
		} else if (!strcmp(k, "seed") && num && d >= 0 && d == floor(d) && d < 1.8e19) {
			t.seed = strtoull(v, NULL, 10);
		} else if (!strcmp(k, "tokens") && num && d >= 0 && d <= 10000 && d == floor(d)) {
			t.tokens = (int)d;
		} else {
			snprintf(err, errlen, "'%.40s %.40s': expected multiplier M, method add|clamp, temperature T>=0, seed S, "
			         "tokens N, freq_penalty F", k, v);
			goto out;
		}
	}
	*s = t;
	rc = 0;
out:
	free(copy);
	return rc;
}

int steer_start(ui_steer *s, struct ui_core *c, store *db, char *err, size_t errlen)
{
	if (s->running)
		return 0;
	if (!s->n) {
		snprintf(err, errlen, "no features to steer with: press S on a dashboard or a search result");
		return -1;
	}
	if (!s->prompt || !*s->prompt) {
		snprintf(err, errlen, "no prompt: press Enter to type one");
		return -1;
	}
	core_src *src0 = NULL, *src;
	for (size_t i = 0; i < s->n; i++) {
		if (core_source(c, db, s->f[i].source_id, &src, err, errlen))
			return -1;
		if (!src0)
			src0 = src;
		else if (strcmp(src->model_dir, src0->model_dir)) {
			snprintf(err, errlen, "%s/%s runs on another model (%s) than %s/%s: steer one model at a time",
			         s->f[i].id.model, s->f[i].id.source, src->model_dir, s->f[0].id.model, s->f[0].id.source);
			return -1;
		}
	}
	if (!src0->tok) {
		snprintf(err, errlen, "%s: no tokenizer for the prompt", src0->model_dir);
		return -1;
	}
	steer_stop(s);
	out_clear(&s->out[0]);
	out_clear(&s->out[1]);
	s->cancelled = s->done = 0;
	s->logged_id = 0;
	snprintf(s->model_dir, sizeof s->model_dir, "%s", src0->model_dir);
	s->tok = src0->tok;
	s->set = saex_steer_new(src0->model, s->method, s->multiplier);
	for (size_t i = 0; i < s->n; i++) {
		core_source(c, db, s->f[i].source_id, &src, err, errlen);
		if (saex_steer_add(s->set, src->sae, s->f[i].id.index, s->f[i].strength, err, errlen)) {
			steer_stop(s);
			return -1;
		}
	}
	size_t n = 0;
	uint32_t *ids = saex_tok_encode(src0->tok, s->prompt, strlen(s->prompt), saex_tok_bos(src0->tok) >= 0, &n);
	size_t ctx = (size_t)saex_model_config_of(src0->model)->n_ctx;
	s->room = n < ctx ? ctx - n : 0;
	saex_gen_opts o = SAEX_GEN_OPTS_INIT;
	o.max_new = (size_t)s->tokens;
	o.temperature = s->temperature;
	o.freq_penalty = s->freq_penalty;
	o.seed = s->seed;
	for (int k = 0; k < 2; k++) {
		if (k)
			o.hooks = saex_steer_hooks(s->set, &o.n_hooks);
		if (!(s->gen[k] = saex_gen_new(src0->model, ids, n, &o, err, errlen))) {
			free(ids);
			steer_stop(s);
			return -1;
		}
		s->out[k].n_prompt = n;
	}
	free(ids);
	s->running = 1;
	return 0;
}

/* Copies a continuation's sequence out of its generator and ends it. */
static void steer_finish(ui_steer *s, int k)
{
	if (!s->gen[k])
		return;
	size_t len;
	const uint32_t *seq = saex_gen_seq(s->gen[k], &len);
	s->out[k].ids = xmalloc((len ? len : 1) * sizeof *seq);
	memcpy(s->out[k].ids, seq, len * sizeof *seq);
	s->out[k].n = len;
	saex_gen_free(s->gen[k]);
	s->gen[k] = NULL;
}

int steer_step(ui_steer *s, char *err, size_t errlen)
{
	if (!s->running)
		return 0;
	for (int k = 0; k < 2; k++) {
		if (!s->gen[k])
			continue;
		uint32_t tok;
		int r = saex_gen_next(s->gen[k], &tok, err, errlen);
		if (r < 0) {
			steer_cancel(s);
			return -1;
		}
		if (r == 0) {
			steer_finish(s, k);
			continue;
		}
		size_t len = 0;
		const char *b = saex_tok_bytes(s->tok, tok, &len);
		steer_out *o = &s->out[k];
		o->text = xrealloc(o->text, o->text_len + len + 1);
		memcpy(o->text + o->text_len, b ? b : "", b ? len : 0);
		o->text_len += b ? len : 0;
		o->text[o->text_len] = 0;
	}
	if (s->gen[0] || s->gen[1])
		return 1;
	steer_stop(s);
	s->done = 1;
	return 0;
}

void steer_cancel(ui_steer *s)
{
	if (!s->running)
		return;
	steer_finish(s, 0);
	steer_finish(s, 1);
	steer_stop(s);
	s->cancelled = 1;
	s->done = 1;
}

static char *ids_json(const steer_out *o)
{
	json_t *a = json_array();
	for (size_t i = 0; i < o->n; i++)
		json_array_append_new(a, json_integer(o->ids[i]));
	char *t = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return t;
}

int steer_log(ui_steer *s, store_user *u, const char *db_path, saex_err *e)
{
	if (!s->done || s->logged_id || !u)
		return 0;
	json_t *set = json_pack("{s:f,s:s,s:f,s:I,s:i,s:f,s:b,s:I}", "multiplier", (double)s->multiplier, "method",
	                        saex_steer_method_name(s->method), "temperature", (double)s->temperature, "seed",
	                        (json_int_t)s->seed, "tokens", s->tokens, "freq_penalty", (double)s->freq_penalty,
	                        "cancelled", s->cancelled, "prompt_tokens", (json_int_t)s->out[0].n_prompt);
	json_t *fs = json_array();
	for (size_t i = 0; i < s->n; i++) {
		char id[3 * SAEX_ID_MAX];
		saex_fid_format(&s->f[i].id, id, sizeof id);
		json_array_append_new(fs, json_pack("{s:s,s:f}", "id", id, "strength", (double)s->f[i].strength));
	}
	char *st = json_dumps(set, JSON_COMPACT), *ft = json_dumps(fs, JSON_COMPACT);
	char *d0 = ids_json(&s->out[0]), *d1 = ids_json(&s->out[1]);
	store_steer_run r = {0, NULL, db_path, s->f[0].id.model, s->prompt, st, ft,
	                     s->out[0].text ? s->out[0].text : "", s->out[1].text ? s->out[1].text : "", d0, d1};
	int rc = store_user_steer_log(u, &r, &s->logged_id, e);
	json_decref(set);
	json_decref(fs);
	free(st);
	free(ft);
	free(d0);
	free(d1);
	return rc;
}

static void out_load(steer_out *o, const char *ids, const char *text, size_t n_prompt)
{
	out_clear(o);
	json_t *a = ids ? json_loads(ids, 0, NULL) : NULL;
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	o->ids = xmalloc((n ? n : 1) * sizeof *o->ids);
	for (size_t i = 0; i < n; i++)
		o->ids[i] = (uint32_t)json_integer_value(json_array_get(a, i));
	o->n = n;
	o->n_prompt = n_prompt < n ? n_prompt : n;
	o->text = xstrdup(text ? text : "");
	o->text_len = strlen(o->text);
	json_decref(a);
}

int steer_load(ui_steer *s, store *db, const store_steer_run *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *set = json_loads(r->settings, 0, &je), *fs = json_loads(r->features, 0, &je);
	int rc = -1;
	if (!json_is_object(set) || !json_is_array(fs)) {
		snprintf(err, errlen, "steering log run %lld: damaged settings or features", (long long)r->id);
		goto out;
	}
	ui_steer t = *s;
	t.f = NULL;
	t.n = 0;
	for (size_t i = 0; i < json_array_size(fs); i++) {
		json_t *f = json_array_get(fs, i);
		const char *id = json_string_value(json_object_get(f, "id"));
		saex_fid fid, names;
		int64_t sid;
		saex_err e = {{0}, 0};
		char spec[2 * SAEX_ID_MAX + 2];
		if (!id || saex_fid_parse(id, &fid, NULL)) {
			snprintf(err, errlen, "steering log run %lld: a damaged feature id", (long long)r->id);
			goto fail;
		}
		snprintf(spec, sizeof spec, "%s/%s", fid.model, fid.source);
		if (store_source_find(db, spec, &sid, &names, &e) != 0) {
			snprintf(err, errlen, "%s", e.msg);
			goto fail;
		}
		arena mem = {0};
		store_feature sf;
		double mx = 0;
		char *expl = NULL;
		if (store_feature_get(db, &fid, 1, &mem, &sf, &e) == 0) {
			mx = sf.max_act;
			expl = sf.n_expl ? sf.expl[0].description : NULL;
		}
		size_t k = steer_add(&t, &fid, sid, mx, expl);
		arena_free(&mem);
		t.f[k].strength = (float)json_number_value(json_object_get(f, "strength"));
	}
	for (size_t i = 0; i < s->n; i++)
		free(s->f[i].expl);
	free(s->f);
	s->f = t.f;
	s->n = t.n;
	s->multiplier = (float)json_number_value(json_object_get(set, "multiplier"));
	saex_steer_method_parse(json_string_value(json_object_get(set, "method")) ? json_string_value(
	                            json_object_get(set, "method")) : "add", &s->method);
	s->temperature = (float)json_number_value(json_object_get(set, "temperature"));
	s->seed = (uint64_t)json_integer_value(json_object_get(set, "seed"));
	s->tokens = (int)json_integer_value(json_object_get(set, "tokens"));
	s->freq_penalty = (float)json_number_value(json_object_get(set, "freq_penalty"));
	free(s->prompt);
	s->prompt = xstrdup(r->prompt ? r->prompt : "");
	steer_stop(s);
	size_t np = (size_t)json_integer_value(json_object_get(set, "prompt_tokens"));
	out_load(&s->out[0], r->default_ids, r->default_text, np);
	out_load(&s->out[1], r->steered_ids, r->steered_text, np);
	s->done = 1;
	s->cancelled = json_is_true(json_object_get(set, "cancelled"));
	s->logged_id = r->id;
	rc = 0;
	goto out;
fail:
	for (size_t i = 0; i < t.n; i++)
		free(t.f[i].expl);
	free(t.f);
out:
	json_decref(set);
	json_decref(fs);
	return rc;
}
