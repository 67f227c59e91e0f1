/* import_np.c - Neuronpedia export rows (FORMATS.md §1) into the store. */
#include "config.h"
#include "import.h"
#include "saex.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reads a row's modelId and layer (copies) into the record. */
static int np_ids(json_t *row, arena *a, import_rec *r, saex_err *e)
{
	int bad = 0;
	size_t n;
	const char *m = jx_string(row, "modelId", &n, e, &bad);
	if (m)
		r->model = arena_strndup(a, m, n);
	const char *l = bad ? NULL : jx_string(row, "layer", &n, e, &bad);
	if (l)
		r->source = arena_strndup(a, l, n);
	return bad ? IMP_BADROW : 0;
}

/* The source a record belongs to: its modelId and layer, or --model/--source. */
static int np_source(import_ctx *c, const import_rec *r, int64_t *source_id, saex_err *e)
{
	const char *model = r->model, *source = r->source;
	if (c->o->model)
		model = c->o->model;
	if (c->o->source)
		source = c->o->source;
	if (!model)
		return err_set(e, IMP_BADROW, "modelId: missing (pass --model)");
	if (!source)
		return err_set(e, IMP_BADROW, "layer: missing (the source id; pass --source)");
	if (!saex_fid_valid_name(model))
		return err_set(e, IMP_BADROW, "modelId: \"%.60s\" is not a valid model id", model);
	if (!saex_fid_valid_name(source))
		return err_set(e, IMP_BADROW, "layer: \"%.60s\" is not a valid source id", source);
	return store_source_ensure(c->s, model, source, source_id, e);
}

/* Known feature fields kept verbatim in the extra JSON column. */
static const char *const np_extra_keys[] = {
	"neuron_alignment_indices", "neuron_alignment_values", "neuron_alignment_l1",
	"correlated_neurons_indices", "correlated_neurons_pearson", "correlated_neurons_l1",
	"correlated_features_indices", "correlated_features_pearson", "correlated_features_l1",
	"decoder_weights_dist", "vector", "vectorLabel", "vectorDefaultSteerStrength",
	"hasVector", "hookName", "sourceSetName",
};

/* The known extra fields as compact JSON into *out (NULL when there are
 * none); IMP_ENOMEM when memory ran out. */
static int np_extra(json_t *row, arena *a, const char **out, saex_err *e)
{
	*out = NULL;
	json_t *x = json_object();
	if (!x)
		return err_set(e, IMP_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < SAEX_ARRAY_LEN(np_extra_keys) && !rc; i++) {
		json_t *v = json_object_get(row, np_extra_keys[i]);
		if (!v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
			continue;
		if (json_object_set(x, np_extra_keys[i], v))
			rc = err_set(e, IMP_ENOMEM, "out of memory");
	}
	if (!rc && json_object_size(x)) {
		char *d = json_dumps(x, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (d)
			*out = arena_strdup(a, d);
		else
			rc = err_set(e, IMP_ENOMEM, "out of memory");
		free(d);
	}
	json_decref(x);
	return rc;
}

static int np_feature(json_t *row, arena *a, import_rec *r, saex_err *e)
{
	store_feature_in *f = &r->f;
	size_t n1, n2;
	int rc;
	if ((rc = np_ids(row, a, r, e)) || (rc = jx_index(row, "index", &f->index, e)) ||
	    (rc = jx_number(row, "maxActApprox", NAN, &f->max_act, e)) ||
	    (rc = jx_number(row, "frac_nonzero", -1, &f->frac_nonzero, e)))
		return rc;
	if ((rc = jx_floats(row, "freq_hist_data_bar_heights", a, (float **)&f->freq_h, &n1, e)) ||
	    (rc = jx_floats(row, "freq_hist_data_bar_values", a, (float **)&f->freq_v, &n2, e)) ||
	    (rc = jx_same_len("freq_hist_data_bar_heights", n1, "freq_hist_data_bar_values", n2, e)))
		return rc;
	f->n_freq = n1;
	if ((rc = jx_floats(row, "logits_hist_data_bar_heights", a, (float **)&f->lhist_h, &n1, e)) ||
	    (rc = jx_floats(row, "logits_hist_data_bar_values", a, (float **)&f->lhist_v, &n2, e)) ||
	    (rc = jx_same_len("logits_hist_data_bar_heights", n1, "logits_hist_data_bar_values", n2,
	                      e)))
		return rc;
	f->n_lhist = n1;
	if ((rc = jx_strings(row, "pos_str", a, (store_str **)&f->pos_str, &n1, e)) ||
	    (rc = jx_floats(row, "pos_values", a, (float **)&f->pos_v, &n2, e)) ||
	    (rc = jx_same_len("pos_str", n1, "pos_values", n2, e)))
		return rc;
	f->n_pos = n1;
	if ((rc = jx_strings(row, "neg_str", a, (store_str **)&f->neg_str, &n1, e)) ||
	    (rc = jx_floats(row, "neg_values", a, (float **)&f->neg_v, &n2, e)) ||
	    (rc = jx_same_len("neg_str", n1, "neg_values", n2, e)))
		return rc;
	f->n_neg = n1;
	if ((rc = jx_u32s(row, "topkCosSimIndices", a, (uint32_t **)&f->cos_idx, &n1, e)) ||
	    (rc = jx_floats(row, "topkCosSimValues", a, (float **)&f->cos_v, &n2, e)) ||
	    (rc = jx_same_len("topkCosSimIndices", n1, "topkCosSimValues", n2, e)))
		return rc;
	f->n_cos = n1;
	if ((rc = jx_counts("freq_hist_data_bar_heights", f->freq_h, f->n_freq, e)) ||
	    (rc = jx_counts("logits_hist_data_bar_heights", f->lhist_h, f->n_lhist, e)))
		return rc;
	return np_extra(row, a, &f->extra_json, e);
}

int import_act_finish(store_act_in *x, saex_err *e)
{
	if (x->n == 0)
		return err_set(e, IMP_BADROW, "tokens: empty");
	long arg = 0;
	float mx = x->values[0], mn = x->values[0];
	for (size_t i = 1; i < x->n; i++) {
		if (x->values[i] > mx) {
			mx = x->values[i];
			arg = (long)i;
		}
		if (x->values[i] < mn)
			mn = x->values[i];
	}
	if (isnan(x->max_value))
		x->max_value = mx;
	if (isnan(x->min_value))
		x->min_value = mn;
	if (x->max_index < 0)
		x->max_index = arg;
	if ((size_t)x->max_index >= x->n)
		return err_set(e, IMP_BADROW, "maxValueTokenIndex: %ld is past the %zu tokens",
		               x->max_index, x->n);
	/* stored as 32-bit floats */
	int rc;
	if ((rc = jx_f32("maxValue", x->max_value, e)) || (rc = jx_f32("minValue", x->min_value, e)) ||
	    (rc = jx_f32("binMin", x->bin_min, e)) || (rc = jx_f32("binMax", x->bin_max, e)) ||
	    (rc = jx_f32("binContains", x->bin_contains, e)))
		return rc;
	return 0;
}

static int np_activation(json_t *row, arena *a, import_rec *r, saex_err *e)
{
	store_act_in *x = &r->a;
	size_t nt, nv;
	double mti;
	int rc;
	if ((rc = np_ids(row, a, r, e)) || (rc = jx_index(row, "index", &x->index, e)) ||
	    (rc = jx_strings(row, "tokens", a, (store_str **)&x->tokens, &nt, e)) ||
	    (rc = jx_floats(row, "values", a, (float **)&x->values, &nv, e)) ||
	    (rc = jx_same_len("tokens", nt, "values", nv, e)) ||
	    (rc = jx_number(row, "maxValue", NAN, &x->max_value, e)) ||
	    (rc = jx_number(row, "minValue", NAN, &x->min_value, e)) ||
	    (rc = jx_number(row, "maxValueTokenIndex", -1, &mti, e)) ||
	    (rc = jx_number(row, "binMin", -1, &x->bin_min, e)) ||
	    (rc = jx_number(row, "binMax", -1, &x->bin_max, e)) ||
	    (rc = jx_number(row, "binContains", -1, &x->bin_contains, e)))
		return rc;
	if (mti != floor(mti) || mti < -1)
		return err_set(e, IMP_BADROW, "maxValueTokenIndex: %g is not a token position", mti);
	if (mti >= (double)nt && nt > 0)
		return err_set(e, IMP_BADROW, "maxValueTokenIndex: %g is past the %zu tokens", mti, nt);
	x->n = nt;
	x->max_index = (long)mti;
	int bad = 0;
	size_t kl;
	const char *key = jx_string(row, "id", &kl, e, &bad);
	if (bad)
		return IMP_BADROW;
	if (key) {
		x->key = arena_strndup(a, key, kl);
		x->key_len = kl;
	}
	return import_act_finish(x, e);
}

/* embedding: an array of numbers, a string holding one, or null. */
static int np_embedding(json_t *row, arena *a, float **out, size_t *n, saex_err *e)
{
	json_t *v = json_object_get(row, "embedding");
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		json_error_t je;
		json_t *arr = json_loadb(json_string_value(v), json_string_length(v), JSON_DECODE_ANY,
		                         &je);
		if (!arr || !json_is_array(arr)) {
			json_decref(arr);
			return err_set(e, IMP_BADROW, "embedding: a string that is not a JSON array");
		}
		json_t *tmp = json_pack("{sO}", "embedding", arr);
		int rc = jx_floats(tmp, "embedding", a, out, n, e);
		json_decref(tmp);
		json_decref(arr);
		return rc;
	}
	return jx_floats(row, "embedding", a, out, n, e);
}

static int np_explanation(json_t *row, arena *a, import_rec *r, saex_err *e)
{
	store_expl_in *x = &r->x;
	int rc, bad = 0;
	if ((rc = np_ids(row, a, r, e)) || (rc = jx_index(row, "index", &x->index, e)))
		return rc;
	size_t dlen, tl, ml;
	const char *d = jx_string(row, "description", &dlen, e, &bad);
	const char *t = bad ? NULL : jx_string(row, "typeName", &tl, e, &bad);
	const char *m = bad ? NULL : jx_string(row, "explanationModelName", &ml, e, &bad);
	if (bad)
		return IMP_BADROW;
	if (!d)
		return err_set(e, IMP_BADROW, "description: missing");
	if (strlen(d) != dlen)
		return err_set(e, IMP_BADROW, "description: contains a NUL character");
	x->description = arena_strndup(a, d, dlen);
	x->type_name = t ? arena_strndup(a, t, tl) : NULL;
	x->explainer = m ? arena_strndup(a, m, ml) : NULL;
	float *emb;
	if ((rc = np_embedding(row, a, &emb, &x->n_embedding, e)))
		return rc;
	x->embedding = emb;
	return 0;
}

/* A JSON value as text for a TEXT column: strings as they are, anything
 * else dumped compactly. */
static const char *np_json_text(json_t *row, const char *key, arena *a)
{
	json_t *v = json_object_get(row, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *r = d ? arena_strdup(a, d) : NULL;
	free(d);
	return r;
}

static int64_t np_int(json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (int64_t)json_real_value(v);
	if (json_is_string(v) && *json_string_value(v))
		return strtoll(json_string_value(v), NULL, 10);
	return -1;
}

static const char *np_str(json_t *row, const char *key)
{
	json_t *v = json_object_get(row, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int np_need(const char *v, const char *key, saex_err *e)
{
	if (!v || !*v)
		return err_set(e, IMP_BADROW, "%s: missing", key);
	if (!saex_fid_valid_name(v))
		return err_set(e, IMP_BADROW, "%s: \"%.60s\" is not a valid id", key, v);
	return 0;
}

static int np_catalog(import_ctx *c, import_kind kind, json_t *row, saex_err *e)
{
	arena *a = &c->row;
	int rc;
	switch (kind) {
	case IMP_MODEL: {
		store_model_rec r = {np_str(row, "id"), np_str(row, "displayName"),
		                     np_str(row, "tlensId"), np_str(row, "owner"),
		                     np_int(row, "layers"), np_int(row, "dimension")};
		if ((rc = np_need(r.name, "id", e)))
			return rc;
		rc = store_put_model(c->s, &r, e);
		break;
	}
	case IMP_RELEASE: {
		store_release_rec r = {np_str(row, "name"), np_str(row, "description"),
		                       np_str(row, "descriptionShort"), np_str(row, "creatorName"),
		                       np_json_text(row, "urls", a)};
		if (!r.name || !*r.name)
			return err_set(e, IMP_BADROW, "name: missing");
		rc = store_put_release(c->s, &r, e);
		break;
	}
	case IMP_SOURCESET: {
		store_set_rec r = {np_str(row, "modelId"), np_str(row, "name"),
		                   np_str(row, "releaseName"), np_str(row, "description"),
		                   np_str(row, "type"), np_str(row, "creatorName"),
		                   np_json_text(row, "urls", a)};
		if (c->o->model)
			r.model = c->o->model;
		if ((rc = np_need(r.model, "modelId", e)))
			return rc;
		if (!r.name || !*r.name)
			return err_set(e, IMP_BADROW, "name: missing");
		rc = store_put_set(c->s, &r, e);
		break;
	}
	case IMP_SOURCE: {
		store_source_rec r = {np_str(row, "modelId"), np_str(row, "id"), np_str(row, "setName"),
		                      NULL, np_str(row, "hfRepoId"), np_str(row, "hfFolderId"),
		                      np_json_text(row, "saelensConfig", a), np_str(row, "dataset"),
		                      np_int(row, "num_prompts"), np_int(row, "num_tokens_in_prompt"),
		                      -1};
		if (c->o->model)
			r.model = c->o->model;
		if (c->o->source)
			r.name = c->o->source;
		if ((rc = np_need(r.model, "modelId", e)) || (rc = np_need(r.name, "id", e)))
			return rc;
		/* No repository named: the one its SAELens release lays out, if any */
		const char *rel = np_str(row, "saelensRelease"), *sid = np_str(row, "saelensSaeId");
		char repo[512], folder[512];
		if ((!r.hf_repo_id || !*r.hf_repo_id) && rel && sid &&
		    saex_hf_saelens_location(rel, sid, repo, sizeof repo, folder, sizeof folder) == 0) {
			r.hf_repo_id = arena_strdup(a, repo);
			r.hf_folder_id = arena_strdup(a, folder);
		}
		/* Hook and width from the SAELens config (v6 nests the hook). */
		json_t *cfg = json_object_get(row, "saelensConfig");
		json_t *parsed = NULL;
		if (json_is_string(cfg))
			cfg = parsed = json_loads(json_string_value(cfg), 0, NULL);
		if (json_is_object(cfg)) {
			json_t *meta = json_object_get(cfg, "metadata");
			r.hook_name = np_str(cfg, "hook_name");
			if (!r.hook_name)
				r.hook_name = np_str(cfg, "hook_point");
			if (!r.hook_name && json_is_object(meta))
				r.hook_name = np_str(meta, "hook_name");
			if (r.hook_name)
				r.hook_name = arena_strdup(a, r.hook_name);
			r.d_sae = np_int(cfg, "d_sae");
		}
		json_decref(parsed);
		rc = store_put_source(c->s, &r, e);
		break;
	}
	default:
		return err_set(e, STORE_EBAD, "internal: not a catalog kind");
	}
	if (rc == 0)
		c->st->catalog++;
	return rc;
}

import_kind import_sniff(json_t *row)
{
	if (json_object_get(row, "tokens") && json_object_get(row, "values"))
		return IMP_ACTIVATIONS;
	if (json_object_get(row, "description") && json_object_get(row, "index"))
		return IMP_EXPLANATIONS;
	if (json_object_get(row, "features") || json_object_get(row, "feature_index"))
		return IMP_SAEDASHBOARD;
	if (json_object_get(row, "typeName") && json_object_get(row, "output"))
		return IMP_EVAL;
	if (json_object_get(row, "index") && (json_is_array(json_object_get(row, "activations")) ||
	                                      json_is_array(json_object_get(row, "explanations"))))
		return IMP_API_FEATURE;
	if (json_object_get(row, "maxActApprox") || json_object_get(row, "frac_nonzero") ||
	    json_object_get(row, "freq_hist_data_bar_heights") || json_object_get(row, "pos_str"))
		return IMP_FEATURES;
	if (json_object_get(row, "setName") && json_object_get(row, "modelId"))
		return IMP_SOURCE;
	if (json_object_get(row, "releaseName"))
		return IMP_SOURCESET;
	if (json_object_get(row, "dimension") || json_object_get(row, "tlensId"))
		return IMP_MODEL;
	return IMP_AUTO;
}

int import_np_decode(import_kind kind, json_t *row, arena *a, import_rec *r, saex_err *e)
{
	memset(r, 0, sizeof *r);
	r->kind = kind;
	if (!json_is_object(row))
		return err_set(e, IMP_BADROW, "expected a JSON object");
	switch (kind) {
	case IMP_FEATURES: return np_feature(row, a, r, e);
	case IMP_ACTIVATIONS: return np_activation(row, a, r, e);
	case IMP_EXPLANATIONS: return np_explanation(row, a, r, e);
	case IMP_MODEL: case IMP_RELEASE: case IMP_SOURCESET: case IMP_SOURCE: case IMP_EVAL:
	case IMP_SAEDASHBOARD: case IMP_API_FEATURE:
		r->json = json_incref(row); /* rare or nested rows: stored from the JSON itself */
		return 0;
	default: return err_set(e, IMP_BADROW, "cannot tell what kind of row this is (pass --kind)");
	}
}

int import_np_store(import_ctx *c, import_rec *r, saex_err *e)
{
	int64_t src;
	int rc, added = 0;
	long *count;
	switch (r->kind) {
	case IMP_FEATURES:
		if ((rc = np_source(c, r, &src, e)) || (rc = store_put_feature(c->s, src, &r->f, &added, e)))
			return rc;
		count = &c->st->features;
		break;
	case IMP_ACTIVATIONS:
		if ((rc = np_source(c, r, &src, e)) ||
		    (rc = store_put_activation(c->s, src, &r->a, &added, e)))
			return rc;
		count = &c->st->activations;
		break;
	case IMP_EXPLANATIONS:
		if (!r->x.explainer && c->explainer)
			r->x.explainer = c->explainer; /* from an explanations-<model>/ folder */
		if ((rc = np_source(c, r, &src, e)) ||
		    (rc = store_put_explanation(c->s, src, &r->x, &added, e)))
			return rc;
		count = &c->st->explanations;
		break;
	case IMP_MODEL: case IMP_RELEASE: case IMP_SOURCESET: case IMP_SOURCE:
		return np_catalog(c, r->kind, r->json, e);
	case IMP_SAEDASHBOARD:
		return import_sd_doc(c, r->json, e);
	case IMP_API_FEATURE:
		return import_api_feature(c, r->json, e);
	case IMP_EVAL:
		return import_eval_row(c, r->json, e);
	default:
		return err_set(e, STORE_EBAD, "internal: no such row kind");
	}
	import_count(c, count, added);
	return 0;
}

void import_count(import_ctx *c, long *added_count, int added)
{
	if (added == STORE_ADDED)
		(*added_count)++;
	else if (added == STORE_UPDATED)
		c->st->updated++;
	else
		c->st->unchanged++;
}

void import_rec_release(import_rec *r)
{
	json_decref(r->json);
	r->json = NULL;
}

int import_np_row(import_ctx *c, import_kind kind, json_t *row, saex_err *e)
{
	import_rec r;
	int rc = import_np_decode(kind, row, &c->row, &r, e);
	if (rc == 0)
		rc = import_np_store(c, &r, e);
	import_rec_release(&r);
	return rc;
}
