/* import_sd.c - SAEDashboard output (FORMATS.md §1): a batch
 * {model_id, layer, sae_id_suffix, features:[...]} or one bare feature, in
 * snake_case, with activations carrying bin_min/bin_max/bin_contains. */
#include "config.h"
#include "import.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int import_sd_ids(import_ctx *c, json_t *doc, const char **model, const char **source, char *buf,
                  size_t bufsize, saex_err *e)
{
	*model = c->o->model;
	*source = c->o->source;
	if (!*model) {
		json_t *m = json_object_get(doc, "model_id");
		*model = json_is_string(m) ? json_string_value(m) : NULL;
	}
	if (!*source) {
		json_t *l = json_object_get(doc, "layer");
		json_t *suf = json_object_get(doc, "sae_id_suffix");
		if (json_is_string(l) && strchr(json_string_value(l), '-')) {
			*source = json_string_value(l);
		} else if ((json_is_integer(l) || json_is_string(l)) && json_is_string(suf)) {
			if (json_is_integer(l))
				snprintf(buf, bufsize, "%lld-%s", (long long)json_integer_value(l), json_string_value(suf));
			else
				snprintf(buf, bufsize, "%s-%s", json_string_value(l), json_string_value(suf));
			*source = buf;
		}
	}
	if (!*model || !*source)
		return err_set(e, IMP_BADROW,
		               "no Neuronpedia model and source id in the file: pass --model and --source");
	if (!saex_fid_valid_name(*model) || !saex_fid_valid_name(*source))
		return err_set(e, IMP_BADROW, "model or source id is not valid: %.60s/%.60s", *model, *source);
	return 0;
}

int import_sd_feature(import_ctx *c, int64_t src, json_t *ft, const char *where, saex_err *e)
{
	arena *a = &c->row;
	store_feature_in f;
	memset(&f, 0, sizeof f);
	size_t n1, n2;
	int rc;
	if ((rc = jx_index(ft, "feature_index", &f.index, e)) ||
	    (rc = jx_number(ft, "frac_nonzero", -1, &f.frac_nonzero, e)) ||
	    (rc = jx_floats(ft, "freq_hist_data_bar_heights", a, (float **)&f.freq_h, &n1, e)) ||
	    (rc = jx_floats(ft, "freq_hist_data_bar_values", a, (float **)&f.freq_v, &n2, e)) ||
	    (rc = jx_same_len("freq_hist_data_bar_heights", n1, "freq_hist_data_bar_values", n2, e)))
		goto bad;
	f.n_freq = n1;
	if ((rc = jx_floats(ft, "logits_hist_data_bar_heights", a, (float **)&f.lhist_h, &n1, e)) ||
	    (rc = jx_floats(ft, "logits_hist_data_bar_values", a, (float **)&f.lhist_v, &n2, e)) ||
	    (rc = jx_same_len("logits_hist_data_bar_heights", n1, "logits_hist_data_bar_values", n2,
	                      e)))
		goto bad;
	f.n_lhist = n1;
	if ((rc = jx_counts("freq_hist_data_bar_heights", f.freq_h, f.n_freq, e)) ||
	    (rc = jx_counts("logits_hist_data_bar_heights", f.lhist_h, f.n_lhist, e)))
		goto bad;
	if ((rc = jx_strings(ft, "pos_str", a, (store_str **)&f.pos_str, &n1, e)) ||
	    (rc = jx_floats(ft, "pos_values", a, (float **)&f.pos_v, &n2, e)) ||
	    (rc = jx_same_len("pos_str", n1, "pos_values", n2, e)))
		goto bad;
	f.n_pos = n1;
	if ((rc = jx_strings(ft, "neg_str", a, (store_str **)&f.neg_str, &n1, e)) ||
	    (rc = jx_floats(ft, "neg_values", a, (float **)&f.neg_v, &n2, e)) ||
	    (rc = jx_same_len("neg_str", n1, "neg_values", n2, e)))
		goto bad;
	f.n_neg = n1;

	json_t *acts = json_object_get(ft, "activations");
	if (acts && !json_is_array(acts) && !json_is_null(acts)) {
		rc = err_set(e, IMP_BADROW, "activations: expected an array");
		goto bad;
	}
	/* maxActApprox = the largest activation over all examples. */
	size_t na = json_array_size(acts);
	store_act_in *xs = arena_alloc(a, (na + 1) * sizeof *xs);
	for (size_t i = 0; i < na; i++) {
		json_t *ar = json_array_get(acts, i);
		store_act_in *x = &xs[i];
		size_t nt, nv;
		double q;
		if (!json_is_object(ar)) {
			rc = err_set(e, IMP_BADROW, "activations[%zu]: expected an object", i);
			goto bad;
		}
		x->index = f.index;
		if ((rc = jx_strings(ar, "tokens", a, (store_str **)&x->tokens, &nt, e)) ||
		    (rc = jx_floats(ar, "values", a, (float **)&x->values, &nv, e)) ||
		    (rc = jx_number(ar, "bin_min", -1, &x->bin_min, e)) ||
		    (rc = jx_number(ar, "bin_max", -1, &x->bin_max, e)) ||
		    (rc = jx_number(ar, "bin_contains", -1, &x->bin_contains, e)) ||
		    (rc = jx_number(ar, "qualifying_token_index", -1, &q, e))) {
			err_prefix(e, "activations[%zu].", i);
			goto bad;
		}
		if ((rc = jx_same_len("tokens", nt, "values", nv, e))) {
			err_prefix(e, "activations[%zu]: ", i);
			goto bad;
		}
		x->n = nt;
		x->max_value = x->min_value = NAN;
		x->max_index = -1;
		if ((rc = import_act_finish(x, e))) {
			err_prefix(e, "activations[%zu]: ", i);
			goto bad;
		}
		if (i == 0 || x->max_value > f.max_act)
			f.max_act = x->max_value;
		/* Repeated examples are kept, each with its own ordinal. */
		for (size_t k = 0; k < i; k++) {
			const store_act_in *y = &xs[k];
			if (y->n != x->n || y->bin_min != x->bin_min ||
			    memcmp(y->values, x->values, x->n * sizeof *x->values) != 0)
				continue;
			size_t t = 0;
			while (t < x->n && y->tokens[t].n == x->tokens[t].n &&
			       memcmp(y->tokens[t].p, x->tokens[t].p, x->tokens[t].n) == 0)
				t++;
			if (t == x->n)
				x->dup++;
		}
	}
	if (na == 0)
		f.max_act = NAN; /* unknown: a stored value stays */
	int added;
	if ((rc = store_put_feature(c->s, src, &f, &added, e)))
		return rc;
	import_count(c, &c->st->features, added);
	for (size_t i = 0; i < na; i++) {
		if ((rc = store_put_activation(c->s, src, &xs[i], &added, e)))
			return rc;
		import_count(c, &c->st->activations, added);
	}
	return 0;
bad:
	if (rc == IMP_BADROW && where)
		err_prefix(e, "%s: ", where);
	return rc;
}

int import_sd_doc(import_ctx *c, json_t *doc, saex_err *e)
{
	if (!json_is_object(doc))
		return err_set(e, IMP_BADROW, "expected a JSON object");
	const char *model, *source;
	char buf[SAEX_ID_MAX];
	int64_t src;
	int rc;
	if ((rc = import_sd_ids(c, doc, &model, &source, buf, sizeof buf, e)) ||
	    (rc = store_source_ensure(c->s, model, source, &src, e)))
		return rc;
	json_t *features = json_object_get(doc, "features");
	if (!features)
		return import_sd_feature(c, src, doc, NULL, e);
	if (!json_is_array(features))
		return err_set(e, IMP_BADROW, "features: expected an array");
	for (size_t i = 0; i < json_array_size(features); i++) {
		char where[64];
		snprintf(where, sizeof where, "features[%zu]", i);
		rc = import_sd_feature(c, src, json_array_get(features, i), where, e);
		if (rc == IMP_BADROW && !c->o->strict) {
			/* One bad feature in a batch: report it and keep the rest. */
			import_bad(c, c->line, e->msg);
			continue;
		}
		if (rc)
			return rc;
	}
	return 0;
}
