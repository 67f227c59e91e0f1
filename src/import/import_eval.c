/* import_eval.c - Neuronpedia's evaluation rows into the store's
 * evaluations (store.h: store_eval).
 *
 * A row of Neuronpedia's Eval table (apps/webapp/prisma/schema.prisma):
 * modelId, sourceId, typeName, output, detailedMetrics, createdAt. The
 * "core" type's output is SAE Bench's core evaluation, which runs SAELens's
 * evals (apps/webapp/types/eval_output_schema_core.d.ts): eval_config
 * {dataset, context_size, batch_size_prompts, n_eval_reconstruction_batches},
 * eval_result_metrics {sparsity, reconstruction_quality, shrinkage,
 * model_performance_preservation, model_behavior_preservation, token_stats,
 * misc_metrics}, sae_cfg_dict {d_sae}, datetime_epoch_millis, and per
 * feature (detailedMetrics, or eval_result_details) {index,
 * feature_density, ...}. Metrics are read by saex_eval.h's names from
 * whichever group holds them. Rows of other types (absorption, autointerp,
 * ...) carry none of these and are skipped (counted as unchanged). */
#include "config.h"
#include "import.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* The largest number of features a row may list. */
#define EVAL_MAX_FEATURES (1 << 24)

/* An object member that may be given as an object or as JSON text (a
 * database column of type Json, exported either way). *owned is set to a
 * parsed copy the caller decrefs. */
static json_t *ev_object(json_t *o, const char *key, json_t **owned)
{
	json_t *v = json_object_get(o, key);
	*owned = NULL;
	if (json_is_string(v))
		v = *owned = json_loads(json_string_value(v), 0, NULL);
	return v;
}

/* A count from a JSON integer (or integral number); -1 when absent. */
static int ev_int(json_t *o, const char *key, int64_t *out, saex_err *e)
{
	double d;
	int rc = jx_number(o, key, -1, &d, e);
	if (rc)
		return rc;
	if (d != floor(d) || d < -1 || d > 9007199254740992.0)
		return err_set(e, IMP_BADROW, "%s: %g is not a count", key, d);
	*out = (int64_t)d;
	return 0;
}

/* Each metric of saex_eval.h by name, from whichever group of
 * eval_result_metrics holds it; NaN when none does. */
static int ev_metrics(json_t *groups, saex_eval_metrics *m, saex_err *e)
{
	double *v[] = {
#define PTR_(name, group) &m->name,
		SAEX_EVAL_METRICS(PTR_)
#undef PTR_
	};
	for (size_t k = 0; k < saex_eval_n_metrics; k++) {
		*v[k] = NAN;
		const char *gname;
		json_t *g;
		json_object_foreach(groups, gname, g) {
			if (!json_is_object(g) || !json_object_get(g, saex_eval_metric_names[k]))
				continue;
			int rc = jx_number(g, saex_eval_metric_names[k], NAN, v[k], e);
			if (rc) {
				err_prefix(e, "eval_result_metrics.%.40s.", gname);
				return rc;
			}
			break;
		}
	}
	json_t *tok = json_object_get(groups, "token_stats");
	return json_is_object(tok) ? ev_int(tok, "total_tokens_eval_reconstruction", &m->tokens, e) : 0;
}

/* Per-feature densities from [{index, feature_density}, ...]: *n of them,
 * indexes 0 .. n - 1 each once. NULL with *n 0 when the list is absent. */
static int ev_densities(json_t *list, arena *a, float **out, size_t *n, saex_err *e)
{
	*out = NULL;
	*n = 0;
	if (!list || json_is_null(list))
		return 0;
	size_t len = json_array_size(list);
	if (!json_is_array(list) || len > EVAL_MAX_FEATURES)
		return err_set(e, IMP_BADROW, "detailedMetrics: expected an array of at most %d features",
		               EVAL_MAX_FEATURES);
	float *d = arena_alloc(a, (len ? len : 1) * sizeof *d);
	unsigned char *seen = arena_alloc(a, len ? len : 1);
	size_t i;
	json_t *f;
	json_array_foreach(list, i, f) {
		int64_t idx;
		double v;
		int rc;
		if (!json_is_object(f))
			return err_set(e, IMP_BADROW, "detailedMetrics[%zu]: expected an object", i);
		if ((rc = jx_index(f, "index", &idx, e)) || (rc = jx_number(f, "feature_density", NAN, &v, e))) {
			err_prefix(e, "detailedMetrics[%zu].", i);
			return rc;
		}
		if ((uint64_t)idx >= len || seen[idx] || !(v >= 0 && v <= 1))
			return err_set(e, IMP_BADROW,
			               "detailedMetrics[%zu]: index %lld or density %g is out of range, or repeated", i,
			               (long long)idx, v);
		seen[idx] = 1;
		d[idx] = (float)v;
	}
	*out = d;
	*n = len;
	return 0;
}

/* createdAt ("2025-01-24T22:35:13.123Z" or "2025-01-24 22:35:13") as
 * "2025-01-24T22:35:13Z", else the output's datetime_epoch_millis; NULL
 * when neither is there (the store then says now). */
static const char *ev_created(json_t *row, json_t *out, arena *a)
{
	const char *s = json_string_value(json_object_get(row, "createdAt"));
	char buf[32];
	if (s && strlen(s) >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') && s[13] == ':' &&
	    s[16] == ':' && strspn(s, "0123456789") == 4) {
		snprintf(buf, sizeof buf, "%.10sT%.8sZ", s, s + 11);
		return arena_strdup(a, buf);
	}
	json_t *ms = json_object_get(out, "datetime_epoch_millis");
	if (json_is_number(ms) && json_number_value(ms) > 0 && json_number_value(ms) < 1e14) {
		time_t t = (time_t)(json_number_value(ms) / 1000);
		struct tm tm;
		if (gmtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
			return arena_strdup(a, buf);
	}
	return NULL;
}

/* eval_config: the dataset, context and prompts of the run. */
static int ev_config(json_t *cfg, arena *a, store_eval *r, saex_err *e)
{
	const char *ds = json_string_value(json_object_get(cfg, "dataset"));
	r->corpus = ds && *ds ? arena_strdup(a, ds) : "(unknown)";
	int64_t batches = -1, per = -1;
	int rc;
	if (!json_is_object(cfg))
		return 0;
	if ((rc = ev_int(cfg, "context_size", &r->ctx, e)) ||
	    (rc = ev_int(cfg, "n_eval_reconstruction_batches", &batches, e)) ||
	    (rc = ev_int(cfg, "batch_size_prompts", &per, e))) {
		err_prefix(e, "eval_config.");
		return rc;
	}
	r->m.prompts = batches >= 0 && per >= 0 ? batches * per : -1;
	return 0;
}

/* Dead and dense features: counted from the densities when the row has
 * them, else from the shares and d_sae. */
static void ev_counts(store_eval *r)
{
	saex_eval_metrics *m = &r->m;
	if (r->density) {
		m->dead_features = m->dense_features = 0;
		for (size_t i = 0; i < r->n_feat; i++) {
			m->dead_features += r->density[i] == 0;
			m->dense_features += r->density[i] > 0.1f;
		}
		return;
	}
	double D = (double)m->d_sae, dead = (1 - m->frac_alive) * D, dense = m->freq_over_10_percent * D;
	m->dead_features = m->d_sae > 0 && isfinite(dead) ? llround(dead) : -1;
	m->dense_features = m->d_sae > 0 && isfinite(dense) ? llround(dense) : -1;
}

/* The whole record from the row's output; IMP_BADROW with the reason. */
static int ev_decode(json_t *row, json_t *out, arena *a, store_eval *r, saex_err *e)
{
	memset(r, 0, sizeof *r);
	r->origin = "neuronpedia";
	r->ctx = r->m.prompts = r->m.tokens = r->m.ce_tokens = r->m.d_sae = -1;
	json_t *groups = json_object_get(out, "eval_result_metrics");
	if (!json_is_object(groups))
		return err_set(e, IMP_BADROW, "output.eval_result_metrics: missing");
	int rc;
	if ((rc = ev_config(json_object_get(out, "eval_config"), a, r, e)) || (rc = ev_metrics(groups, &r->m, e)))
		return rc;
	json_t *owned, *det = ev_object(row, "detailedMetrics", &owned);
	if (!det || json_is_null(det))
		det = json_object_get(out, "eval_result_details");
	float *dens;
	rc = ev_densities(det, a, &dens, &r->n_feat, e);
	json_decref(owned);
	if (rc)
		return rc;
	r->density = dens;
	json_t *cfg = json_object_get(out, "sae_cfg_dict");
	if (json_is_object(cfg) && (rc = ev_int(cfg, "d_sae", &r->m.d_sae, e)))
		return rc;
	if (r->density && r->m.d_sae >= 0 && (size_t)r->m.d_sae != r->n_feat)
		return err_set(e, IMP_BADROW, "detailedMetrics: %zu features, but d_sae is %lld", r->n_feat,
		               (long long)r->m.d_sae);
	if (r->density)
		r->m.d_sae = (int64_t)r->n_feat;
	r->created = ev_created(row, out, a);
	ev_counts(r);
	return 0;
}

int import_eval_row(import_ctx *c, json_t *row, saex_err *e)
{
	const char *type = json_string_value(json_object_get(row, "typeName"));
	if (type && strcmp(type, "core") != 0) {
		c->st->unchanged++; /* not SAELens's metrics */
		return 0;
	}
	const char *model = c->o->model ? c->o->model : json_string_value(json_object_get(row, "modelId"));
	const char *source = c->o->source ? c->o->source : json_string_value(json_object_get(row, "sourceId"));
	if (!model || !saex_fid_valid_name(model))
		return err_set(e, IMP_BADROW, "modelId: missing or not a valid model id (pass --model)");
	if (!source || !saex_fid_valid_name(source))
		return err_set(e, IMP_BADROW, "sourceId: missing or not a valid source id (pass --source)");
	json_t *owned, *out = ev_object(row, "output", &owned);
	store_eval r;
	int rc = json_is_object(out) ? ev_decode(row, out, &c->row, &r, e)
	                             : err_set(e, IMP_BADROW, "output: expected an object");
	json_decref(owned);
	int64_t src;
	if (rc == 0)
		rc = store_source_ensure(c->s, model, source, &src, e);
	if (rc == 0)
		rc = store_eval_put(c->s, src, &r, e);
	if (rc == 0)
		c->st->evaluations++;
	return rc;
}
