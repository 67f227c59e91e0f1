/* import_json.c - typed access to JSON rows with precise error messages. */
#include "config.h"
#include "import.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *jx_type(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int jx_number(json_t *o, const char *key, double def, double *out, saex_err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_number(v))
		return err_set(e, IMP_BADROW, "%s: expected a number, got %s", key, jx_type(v));
	*out = json_number_value(v);
	if (!isfinite(*out))
		return err_set(e, IMP_BADROW, "%s: not a finite number", key);
	return 0;
}

int jx_index(json_t *o, const char *key, int64_t *out, saex_err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return err_set(e, IMP_BADROW, "%s: missing", key);
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != floor(d) || d < 0 || d >= JX_INDEX_LIMIT)
			return err_set(e, IMP_BADROW, "%s: %g is not a feature index (a whole number from 0 to 2^53-1)",
			               key, d);
		*out = (int64_t)d;
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 16)
			return err_set(e, IMP_BADROW, "%s: \"%.40s\" is not a feature index", key, s);
		*out = strtoll(s, NULL, 10);
	} else {
		return err_set(e, IMP_BADROW, "%s: expected a number or a string, got %s", key,
		               jx_type(v));
	}
	if (*out < 0)
		return err_set(e, IMP_BADROW, "%s: negative feature index", key);
	if (*out >= (int64_t)JX_INDEX_LIMIT)
		return err_set(e, IMP_BADROW, "%s: %lld is too large for a feature index (2^53-1 at most)", key,
		               (long long)*out);
	return 0;
}

const char *jx_string(json_t *o, const char *key, size_t *len, saex_err *e, int *bad)
{
	json_t *v = json_object_get(o, key);
	if (len)
		*len = 0;
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		err_set(e, IMP_BADROW, "%s: expected a string, got %s", key, jx_type(v));
		*bad = 1;
		return NULL;
	}
	if (len)
		*len = json_string_length(v);
	return json_string_value(v);
}

int jx_floats(json_t *o, const char *key, arena *a, float **out, size_t *n, saex_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set(e, IMP_BADROW, "%s: expected an array, got %s", key, jx_type(v));
	size_t k = json_array_size(v);
	float *f = arena_alloc(a, (k + 1) * sizeof *f);
	for (size_t i = 0; i < k; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_number(x))
			return err_set(e, IMP_BADROW, "%s[%zu]: expected a number, got %s", key, i,
			               jx_type(x));
		double d = json_number_value(x);
		if (!isfinite(d))
			return err_set(e, IMP_BADROW, "%s[%zu]: not a finite number", key, i);
		if (fabs(d) > FLT_MAX)
			return err_set(e, IMP_BADROW, "%s[%zu]: %g is too large for a 32-bit float", key, i, d);
		f[i] = (float)d;
	}
	*out = f;
	*n = k;
	return 0;
}

int jx_u32s(json_t *o, const char *key, arena *a, uint32_t **out, size_t *n, saex_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set(e, IMP_BADROW, "%s: expected an array, got %s", key, jx_type(v));
	size_t k = json_array_size(v);
	uint32_t *u = arena_alloc(a, (k + 1) * sizeof *u);
	for (size_t i = 0; i < k; i++) {
		json_t *x = json_array_get(v, i);
		double d = json_is_integer(x) ? (double)json_integer_value(x) : json_is_real(x) ? json_real_value(x) : -1;
		if (!json_is_number(x) || d != floor(d) || d < 0 || d > UINT32_MAX)
			return err_set(e, IMP_BADROW, "%s[%zu]: not a feature index of 0 to %u", key, i, UINT32_MAX);
		u[i] = (uint32_t)d;
	}
	*out = u;
	*n = k;
	return 0;
}

int jx_f32(const char *key, double v, saex_err *e)
{
	if (fabs(v) > FLT_MAX)
		return err_set(e, IMP_BADROW, "%s: %g is too large for a 32-bit float", key, v);
	return 0;
}

int jx_counts(const char *key, const float *v, size_t n, saex_err *e)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0)
			return err_set(e, IMP_BADROW, "%s[%zu]: a count cannot be negative (%g)", key, i, (double)v[i]);
	return 0;
}

int jx_strings(json_t *o, const char *key, arena *a, store_str **out, size_t *n, saex_err *e)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return err_set(e, IMP_BADROW, "%s: expected an array, got %s", key, jx_type(v));
	size_t k = json_array_size(v);
	store_str *s = arena_alloc(a, (k + 1) * sizeof *s);
	for (size_t i = 0; i < k; i++) {
		json_t *x = json_array_get(v, i);
		if (!json_is_string(x))
			return err_set(e, IMP_BADROW, "%s[%zu]: expected a string, got %s", key, i,
			               jx_type(x));
		/* copied: the record outlives the JSON it came from */
		s[i].n = json_string_length(x);
		s[i].p = arena_strndup(a, json_string_value(x), s[i].n);
	}
	*out = s;
	*n = k;
	return 0;
}

int jx_same_len(const char *a, size_t na, const char *b, size_t nb, saex_err *e)
{
	if (na != nb)
		return err_set(e, IMP_BADROW, "%s has %zu items but %s has %zu", a, na, b, nb);
	return 0;
}
