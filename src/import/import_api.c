/* import_api.c - a feature as Neuronpedia's feature API returns it
 * (GET /api/feature/MODEL/SOURCE/INDEX): the feature row's own fields,
 * with its activations and explanations (rows as in an export) and its
 * model and sourceSet (catalog rows) nested inside. */
#include "config.h"
#include "import.h"

#include <string.h>

/* The nested row elem as a row of its own: the feature's modelId, layer
 * and index where it lacks them (a shallow copy; caller decrefs). NULL
 * when it is not an object or memory ran out (*e says which). */
static json_t *api_nested(json_t *feature, json_t *elem, saex_err *e)
{
	if (!json_is_object(elem)) {
		err_set(e, IMP_BADROW, "expected an object");
		return NULL;
	}
	json_t *row = json_copy(elem);
	static const char *const keys[] = {"modelId", "layer", "index"};
	for (size_t i = 0; row && i < SAEX_ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(row, keys[i]);
		if ((!v || json_is_null(v)) && json_object_set(row, keys[i], json_object_get(feature, keys[i]))) {
			json_decref(row);
			row = NULL;
		}
	}
	if (!row)
		err_set(e, IMP_ENOMEM, "out of memory");
	return row;
}

/* Stores the rows of one nested array (activations or explanations);
 * a bad one is reported as "key[i]: reason" and skipped (strict: stops). */
static int api_rows(import_ctx *c, json_t *feature, int64_t index, const char *key, import_kind kind,
                    saex_err *e)
{
	json_t *arr = json_object_get(feature, key);
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return err_set(e, IMP_BADROW, "%s: expected an array", key);
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *row = api_nested(feature, json_array_get(arr, i), e);
		int64_t own = index;
		int rc = !row ? e->code : jx_index(row, "index", &own, e);
		if (rc == 0 && own != index)
			rc = err_set(e, IMP_BADROW, "index: %lld is not the feature's %lld", (long long)own,
			             (long long)index);
		if (rc == 0)
			rc = import_np_row(c, kind, row, e);
		json_decref(row);
		if (rc == IMP_BADROW) {
			err_prefix(e, "%s[%zu]: ", key, i);
			if (c->o->strict)
				return rc;
			import_bad(c, c->line, e->msg);
			continue;
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* The feature's model and sourceSet as catalog rows (display name,
 * layers, release, description); a bad one is reported and skipped. */
static int api_catalog(import_ctx *c, json_t *feature, saex_err *e)
{
	static const struct { const char *key; import_kind kind; } parts[] = {
		{"model", IMP_MODEL}, {"sourceSet", IMP_SOURCESET},
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(parts); i++) {
		json_t *v = json_object_get(feature, parts[i].key);
		if (!json_is_object(v))
			continue;
		int rc = import_np_row(c, parts[i].kind, v, e);
		if (rc == IMP_BADROW) {
			err_prefix(e, "%s: ", parts[i].key);
			if (c->o->strict)
				return rc;
			import_bad(c, c->line, e->msg);
			continue;
		}
		if (rc)
			return rc;
	}
	return 0;
}

int import_api_feature(import_ctx *c, json_t *row, saex_err *e)
{
	int64_t index;
	int rc;
	if (!json_is_object(row))
		return err_set(e, IMP_BADROW, "expected a JSON object");
	if ((rc = jx_index(row, "index", &index, e)) || (rc = import_np_row(c, IMP_FEATURES, row, e)))
		return rc;
	if ((rc = api_rows(c, row, index, "activations", IMP_ACTIVATIONS, e)) ||
	    (rc = api_rows(c, row, index, "explanations", IMP_EXPLANATIONS, e)))
		return rc;
	return api_catalog(c, row, e);
}
