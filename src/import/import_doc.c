/* import_doc.c - files that hold JSON documents rather than one row a
 * line: a SAEDashboard batch or feature, a feature from Neuronpedia's API,
 * an array of rows, or several such values one after another.
 *
 * Memory stays bounded by JSONL_MAX_LINE per value: a SAEDashboard batch's
 * features are parsed one at a time, and the batch's other fields together
 * may hold at most that much. SAEDashboard writes keys in sorted order, so
 * a batch's "features" usually come before the "layer" and "model_id" that
 * name them: without --model and --source the features are then read in a
 * second pass over the file (a pipe cannot be read twice: it needs them). */
#include "config.h"
#include "import.h"
#include "jsonl.h"

#include <string.h>

/* A read or parse error of the document: the file cannot be read on (a
 * document has no lines to skip to). */
static int doc_fail(const saex_err *e)
{
	return e->code == JSONL_ENOMEM ? IMP_ENOMEM : IMP_EFILE;
}

/* Stores one row of a document; a bad one is reported and skipped (with
 * strict it stops the file). */
static int doc_row(import_ctx *c, import_kind kind, json_t *row, long line, saex_err *e)
{
	c->line = line;
	import_kind k = kind;
	if (k == IMP_AUTO && json_is_object(row))
		k = import_sniff(row);
	int rc;
	if (!json_is_object(row))
		rc = err_set(e, IMP_BADROW, "expected a JSON object");
	else if (k == IMP_AUTO)
		rc = err_set(e, IMP_BADROW, "cannot tell what kind of row this is (pass --kind, or --format "
		             "saedashboard)");
	else if (k == IMP_SAEDASHBOARD)
		rc = import_sd_doc(c, row, e);
	else if (k == IMP_API_FEATURE)
		rc = import_api_feature(c, row, e);
	else
		rc = import_np_row(c, k, row, e);
	arena_reset(&c->row);
	if (rc == IMP_BADROW) {
		import_bad(c, line, e->msg);
		return c->o->strict ? IMP_BADROW : 0;
	}
	return rc;
}

/* After an element or a pair: 1 when close (']' or '}') ends the
 * container, 0 when a ',' says another follows, -1 on a read error (*e
 * set), -2 when something else follows (see doc_syntax). */
static int doc_next(jsonl *j, int close, saex_err *e)
{
	int ch;
	int r = jsonl_peek(j, &ch, e);
	if (r < 0)
		return -1;
	if (r == 1 && (ch == ',' || ch == close)) {
		jsonl_skip(j);
		return ch == close;
	}
	return -2;
}

/* Consumes an opening bracket already peeked and says whether the
 * container is empty (its closing bracket consumed too). */
static int doc_open(jsonl *j, int close, saex_err *e)
{
	jsonl_skip(j);
	int ch;
	int r = jsonl_peek(j, &ch, e);
	if (r < 0)
		return -1;
	if (r == 1 && ch == close) {
		jsonl_skip(j);
		return 1;
	}
	return 0;
}

/* Says "path:line: malformed JSON: ..." for a structural error found by
 * doc_next (which has no path at hand). */
static int doc_syntax(import_ctx *c, jsonl *j, int close, saex_err *e)
{
	return err_set(e, IMP_EFILE, "%s:%ld: malformed JSON: expected ',' or '%c'", c->path, jsonl_lineno(j) + 1,
	               close);
}

/* The elements of an array, each a row (or, with sd_src >= 0, each a
 * feature of a SAEDashboard batch; with sd_src == -2 parsed and dropped). */
static int doc_array(import_ctx *c, jsonl *j, import_kind kind, int64_t sd_src, saex_err *e)
{
	int r = doc_open(j, ']', e);
	if (r)
		return r < 0 ? doc_fail(e) : 0;
	for (size_t i = 0;; i++) {
		long line = jsonl_lineno(j) + 1;
		json_t *v;
		if (jsonl_value(j, &v, e) < 0)
			return doc_fail(e);
		int rc = 0;
		if (sd_src >= 0) {
			char where[64];
			snprintf(where, sizeof where, "features[%zu]", i);
			c->line = line;
			rc = import_sd_feature(c, sd_src, v, where, e);
			arena_reset(&c->row);
			if (rc == IMP_BADROW) {
				import_bad(c, line, e->msg);
				rc = c->o->strict ? IMP_BADROW : 0;
			}
		} else if (sd_src == -1) {
			rc = doc_row(c, kind, v, line, e);
		}
		json_decref(v);
		if (rc)
			return rc;
		r = doc_next(j, ']', e);
		if (r == 1)
			return 0;
		if (r == -1)
			return doc_fail(e);
		if (r == -2)
			return doc_syntax(c, j, ']', e);
	}
}

/* The source row of a batch whose ids are known now (from the options or
 * the fields read so far), or -1. */
static int64_t doc_sd_source(import_ctx *c, json_t *head, saex_err *e, int *rc)
{
	const char *model, *source;
	char buf[SAEX_ID_MAX];
	int64_t src = -1;
	saex_err ie = {{0}, 0};
	*rc = 0;
	if (import_sd_ids(c, head, &model, &source, buf, sizeof buf, &ie) == 0)
		*rc = store_source_ensure(c->s, model, source, &src, e);
	return *rc ? -1 : src;
}

/* One pass over a top-level object: its fields other than "features" go
 * into head (bounded), its "features" are imported when their ids are
 * known (pass 2 always knows them) or else dropped and *deferred set. */
static int doc_object_pass(import_ctx *c, jsonl *j, import_kind kind, json_t *head, int pass, int *deferred,
                           int *has_features, saex_err *e)
{
	int r = doc_open(j, '}', e);
	if (r)
		return r < 0 ? doc_fail(e) : 0;
	int64_t taken0 = jsonl_taken(j);
	for (;;) {
		json_t *key;
		int ch = 0;
		if (jsonl_value(j, &key, e) < 0)
			return doc_fail(e);
		if (!json_is_string(key)) {
			json_decref(key);
			return err_set(e, IMP_EFILE, "%s:%ld: malformed JSON: an object key that is not a string", c->path,
			               jsonl_lineno(j) + 1);
		}
		if (jsonl_peek(j, &ch, e) < 0) {
			json_decref(key);
			return doc_fail(e);
		}
		if (ch != ':') {
			json_decref(key);
			return err_set(e, IMP_EFILE, "%s:%ld: malformed JSON: expected ':'", c->path, jsonl_lineno(j) + 1);
		}
		jsonl_skip(j);
		int features = strcmp(json_string_value(key), "features") == 0 && kind != IMP_API_FEATURE &&
		               jsonl_peek(j, &ch, e) == 1 && ch == '[';
		int rc = 0;
		if (features) {
			*has_features = 1;
			int64_t src = doc_sd_source(c, head, e, &rc);
			if (!rc && src < 0 && pass == 2)
				rc = err_set(e, IMP_EFILE, "%s: no Neuronpedia model and source id in the file: pass --model "
				             "and --source", c->path);
			if (!rc && src < 0)
				*deferred = 1;
			if (!rc)
				rc = doc_array(c, j, IMP_SAEDASHBOARD, src >= 0 ? src : -2, e);
		} else {
			json_t *v;
			if (jsonl_value(j, &v, e) < 0)
				rc = doc_fail(e);
			else if (pass == 2)
				json_decref(v); /* read in pass 1 */
			else if (json_object_set_new(head, json_string_value(key), v))
				rc = err_set(e, IMP_ENOMEM, "%s: out of memory", c->path);
			if (!rc && jsonl_taken(j) - taken0 > (int64_t)JSONL_MAX_LINE)
				rc = err_set(e, IMP_EFILE, "%s:%ld: the document's fields (other than its features) hold more "
				             "than %zu MiB (saex's limit)", c->path, jsonl_lineno(j), JSONL_MAX_LINE >> 20);
		}
		json_decref(key);
		if (rc)
			return rc;
		r = doc_next(j, '}', e);
		if (r == 1)
			return 0;
		if (r == -1)
			return doc_fail(e);
		if (r == -2)
			return doc_syntax(c, j, '}', e);
	}
}

/* A top-level object: a SAEDashboard batch (its features streamed), or a
 * row of its own (an API feature, a SAEDashboard feature, an export row). */
static int doc_object(import_ctx *c, jsonl *j, import_kind kind, saex_err *e)
{
	long line = jsonl_lineno(j) + 1;
	json_t *head = json_object();
	if (!head)
		return err_set(e, IMP_ENOMEM, "%s: out of memory", c->path);
	int deferred = 0, has_features = 0;
	int rc = doc_object_pass(c, j, kind, head, 1, &deferred, &has_features, e);
	if (!rc && deferred) {
		jsonl *j2;
		if (jsonl_is_pipe(j))
			rc = err_set(e, IMP_EFILE, "%s: this batch names its model and source after its features, and a "
			             "pipe cannot be read twice: pass --model and --source", c->path);
		else if (jsonl_open(&j2, c->path, e))
			rc = doc_fail(e);
		else {
			int ch;
			if (jsonl_peek(j2, &ch, e) == 1 && ch == '{')
				rc = doc_object_pass(c, j2, kind, head, 2, &deferred, &has_features, e);
			else
				rc = err_set(e, IMP_EFILE, "%s: the file changed while it was read", c->path);
			jsonl_close(j2);
		}
	}
	if (!rc && !has_features)
		rc = doc_row(c, kind, head, line, e);
	json_decref(head);
	return rc;
}

int import_doc(import_ctx *c, jsonl *j, import_kind kind, saex_err *e)
{
	int rc = 0;
	for (;;) {
		int ch, r = jsonl_peek(j, &ch, e);
		if (r <= 0) {
			rc = r < 0 ? doc_fail(e) : 0;
			break;
		}
		long line = jsonl_lineno(j) + 1;
		if (ch == '[') {
			rc = doc_array(c, j, kind, -1, e);
		} else if (ch == '{') {
			rc = doc_object(c, j, kind, e);
		} else {
			json_t *v;
			rc = jsonl_value(j, &v, e) < 0 ? doc_fail(e) : doc_row(c, kind, v, line, e);
			json_decref(v);
		}
		if (rc)
			break;
	}
	c->st->lines += jsonl_lineno(j);
	return rc;
}
