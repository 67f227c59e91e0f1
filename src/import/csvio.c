/* csvio.c - see csvio.h */
#include "config.h"
#include "csvio.h"
#include "esc.h"
#include "jsonl.h"

#include <csv.h>
#include <jansson.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- export */

typedef struct csv_out {
	FILE *f;
	int escape, col;
	const saex_fid *names;
	sb tmp;
} csv_out;

static void co_field(csv_out *o, const char *s, size_t n)
{
	if (o->col++)
		fputc(',', o->f);
	if (o->escape) {
		sb_clear(&o->tmp);
		esc_append(&o->tmp, s, n, esc_locale_flags());
		s = o->tmp.p ? o->tmp.p : "";
		n = o->tmp.n;
	}
	csv_fwrite(o->f, s, n);
}

static void co_str(csv_out *o, const char *s)
{
	co_field(o, s ? s : "", s ? strlen(s) : 0);
}

/* A number as the shortest decimal that reads back the same (as f32 when
 * is_f32): 0.00763, never 0.0076299999999999996. */
static void co_num(csv_out *o, double v, int is_f32)
{
	char buf[40];
	if (o->col++)
		fputc(',', o->f);
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, v);
		if (is_f32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, o->f);
}

static void co_end(csv_out *o)
{
	fputc('\n', o->f);
	o->col = 0;
}

static void co_ids(csv_out *o, int64_t index)
{
	char idx[32];
	snprintf(idx, sizeof idx, "%lld", (long long)index);
	co_str(o, o->names->model);
	co_str(o, o->names->source);
	co_str(o, idx);
}

/* A JSON array of strings or numbers, as one CSV field. */
static void co_json_strs(csv_out *o, const store_str *s, size_t n)
{
	json_t *a = json_array();
	sb fixed = {0};
	for (size_t i = 0; i < n; i++) {
		/* a token cut inside a character: its stray bytes as U+FFFD, as
		 * JSON can hold only UTF-8 */
		sb_clear(&fixed);
		esc_utf8_fix(&fixed, s[i].p, s[i].n);
		json_array_append_new(a, json_stringn(fixed.p ? fixed.p : "", fixed.n));
	}
	sb_free(&fixed);
	char *d = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	co_str(o, d ? d : "[]");
	free(d);
	json_decref(a);
}

static void co_json_f32s(csv_out *o, const float *v, size_t n)
{
	sb b = {0};
	sb_addc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		char buf[32];
		for (int p = 6; p <= 9; p++) {
			snprintf(buf, sizeof buf, "%.*g", p, (double)v[i]);
			if (strtof(buf, NULL) == v[i])
				break;
		}
		sb_printf(&b, "%s%s", i ? "," : "", buf);
	}
	sb_addc(&b, ']');
	co_field(o, b.p, b.n);
	sb_free(&b);
}

static int co_feature(void *ctx, const store_feature *f)
{
	csv_out *o = ctx;
	co_ids(o, f->id.index);
	co_num(o, f->max_act, 0);
	co_num(o, f->frac_nonzero, 0);
	co_str(o, f->n_expl ? f->expl[0].description : "");
	co_json_strs(o, f->pos_str, f->n_pos);
	co_json_f32s(o, f->pos_v, f->n_pos);
	co_json_strs(o, f->neg_str, f->n_neg);
	co_json_f32s(o, f->neg_v, f->n_neg);
	co_end(o);
	return ferror(o->f) ? STORE_EBAD : 0;
}

static int co_act(void *ctx, int64_t index, const store_act *a)
{
	csv_out *o = ctx;
	co_ids(o, index);
	co_num(o, a->max_value, 1);
	co_num(o, (double)a->max_index, 0);
	co_num(o, a->min_value, 1);
	co_num(o, a->bin_min, 1);
	co_num(o, a->bin_max, 1);
	co_num(o, a->bin_contains, 1);
	co_json_strs(o, a->tokens, a->n);
	co_json_f32s(o, a->values, a->n);
	co_end(o);
	return ferror(o->f) ? STORE_EBAD : 0;
}

static int co_expl(void *ctx, int64_t index, const store_expl *x)
{
	csv_out *o = ctx;
	co_ids(o, index);
	co_str(o, x->description);
	co_str(o, x->type_name);
	co_str(o, x->explainer);
	co_end(o);
	return ferror(o->f) ? STORE_EBAD : 0;
}

int csvio_export(store *s, int64_t source_id, const saex_fid *names, csvio_what what, FILE *f,
                 int escape, saex_err *e)
{
	csv_out o = {f, escape, 0, names, {0}};
	static const char *const headers[] = {
		[CSV_FEATURES] = "modelId,layer,index,maxActApprox,frac_nonzero,description,"
		                 "pos_str,pos_values,neg_str,neg_values",
		[CSV_ACTIVATIONS] = "modelId,layer,index,maxValue,maxValueTokenIndex,minValue,"
		                    "binMin,binMax,binContains,tokens,values",
		[CSV_EXPLANATIONS] = "modelId,layer,index,description,typeName,explanationModelName",
	};
	fprintf(f, "%s\n", headers[what]);
	int rc;
	switch (what) {
	case CSV_FEATURES: rc = store_each_feature(s, source_id, co_feature, &o, e); break;
	case CSV_ACTIVATIONS: rc = store_each_activation(s, source_id, co_act, &o, e); break;
	default: rc = store_each_explanation(s, source_id, co_expl, &o, e); break;
	}
	sb_free(&o.tmp);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		rc = err_set(e, STORE_EBAD, "cannot write the CSV: %s", strerror(errno));
	else if (rc == STORE_EBAD && !e->msg[0])
		err_set(e, STORE_EBAD, "cannot write the CSV: %s", strerror(errno));
	return rc;
}

int csvio_export_list(const store_list_item *items, const char *const *expl, const char *const *url, size_t n,
                      FILE *f, saex_err *e)
{
	csv_out o = {f, 0, 0, NULL, {0}};
	fprintf(f, "modelId,layer,index,url,note,added,explanation\n");
	for (size_t i = 0; i < n; i++) {
		char idx[32];
		snprintf(idx, sizeof idx, "%lld", (long long)items[i].id.index);
		co_str(&o, items[i].id.model);
		co_str(&o, items[i].id.source);
		co_str(&o, idx);
		co_str(&o, url ? url[i] : NULL);
		co_str(&o, items[i].note);
		co_str(&o, items[i].added);
		co_str(&o, expl ? expl[i] : NULL);
		co_end(&o);
	}
	if (fflush(f) != 0 || ferror(f))
		return err_set(e, STORE_EBAD, "cannot write the CSV: %s", strerror(errno));
	return 0;
}

/* ---------------------------------------------------------------- import */

enum { CI_MODEL, CI_LAYER, CI_INDEX, CI_DESC, CI_TYPE, CI_EXPLAINER, CI__N };
static const char *const ci_names[CI__N] = {"modelId", "layer", "index", "description",
                                            "typeName", "explanationModelName"};

typedef struct csv_in {
	store *s;
	const char *path;
	FILE *log;
	int strict;
	csvio_stats *st;
	saex_err *e;
	long line, rec_line;    /* current line; line where the record began */
	size_t rec_bytes;       /* fed since the record began (bounded) */
	int header_done, col, fatal;
	int pos[CI__N];         /* column of each field, -1 when absent */
	sb field[CI__N];
	int have[CI__N];
	long extra_cols;
} csv_in;

static void ci_report(csv_in *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ci_report(csv_in *c, const char *fmt, ...)
{
	sb raw = {0}, out = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&raw, fmt, ap);
	va_end(ap);
	sb_printf(&out, "%s:%ld: %s", c->path, c->rec_line, raw.p ? raw.p : "");
	if (c->strict) {
		err_set(c->e, 2, "%s", out.p);
	} else {
		sb line = {0};
		esc_append(&line, out.p, out.n, esc_locale_flags());
		fprintf(c->log, "%s (skipped)\n", line.p);
		sb_free(&line);
	}
	c->st->bad++;
	if (c->strict)
		c->fatal = 1;
	sb_free(&raw);
	sb_free(&out);
}

static void ci_field(void *data, size_t len, void *ctx)
{
	csv_in *c = ctx;
	if (c->col == 0)
		c->rec_line = c->line;
	int col = c->col++;
	const char *s = data ? data : "";
	if (!c->header_done) {
		for (int k = 0; k < CI__N; k++)
			if (strlen(ci_names[k]) == len && memcmp(s, ci_names[k], len) == 0)
				c->pos[k] = col;
		return;
	}
	for (int k = 0; k < CI__N; k++) {
		if (c->pos[k] == col) {
			sb_clear(&c->field[k]);
			sb_add(&c->field[k], s, len);
			c->have[k] = 1;
		}
	}
}

static void ci_record(int term, void *ctx)
{
	csv_in *c = ctx;
	(void)term;
	int ncols = c->col;
	c->col = 0;
	c->rec_bytes = 0;
	if (c->fatal)
		return;
	if (!c->header_done) {
		c->header_done = 1;
		for (int k = 0; k <= CI_DESC; k++)
			if (c->pos[k] < 0) {
				err_set(c->e, 2, "%s:%ld: the header row has no '%s' column (wanted: modelId, "
				        "layer, index, description, optionally typeName and "
				        "explanationModelName)", c->path, c->rec_line, ci_names[k]);
				c->fatal = 1;
				return;
			}
		return;
	}
	c->st->rows++;
	int missing = -1;
	for (int k = 0; k <= CI_DESC; k++)
		if (!c->have[k]) {
			missing = k;
			break;
		}
	if (missing >= 0) {
		ci_report(c, "row has %d fields, no '%s'", ncols, ci_names[missing]);
		goto done;
	}
	const char *model = c->field[CI_MODEL].p, *layer = c->field[CI_LAYER].p;
	const char *idxs = c->field[CI_INDEX].p, *desc = c->field[CI_DESC].p;
	if (!*idxs || strspn(idxs, "0123456789") != strlen(idxs) || strlen(idxs) > 16 ||
	    strtoll(idxs, NULL, 10) >= (INT64_C(1) << 53)) {
		ci_report(c, "index: '%.40s' is not a feature index", idxs);
		goto done;
	}
	long long idx = strtoll(idxs, NULL, 10);
	if (strlen(desc) != c->field[CI_DESC].n || !*desc) {
		ci_report(c, "description: %s", *desc ? "contains a NUL character" : "empty");
		goto done;
	}
	for (int k = CI_DESC; k < CI__N; k++) {
		if (c->have[k] && !esc_utf8_valid(c->field[k].p ? c->field[k].p : "", c->field[k].n)) {
			ci_report(c, "%s: not valid UTF-8 text", ci_names[k]);
			goto done;
		}
	}
	if (!saex_fid_valid_name(model) || !saex_fid_valid_name(layer)) {
		ci_report(c, "'%.60s/%.60s' is not a valid model/source id", model, layer);
		goto done;
	}
	char spec[2 * SAEX_ID_MAX + 2];
	snprintf(spec, sizeof spec, "%s/%s", model, layer);
	int64_t src;
	saex_fid names;
	saex_err fe = {{0}, 0};
	int rc = store_source_find(c->s, spec, &src, &names, &fe);
	if (rc == STORE_NOTFOUND) {
		ci_report(c, "no source %s in the database (import its export first)", spec);
		goto done;
	}
	const char *type = c->have[CI_TYPE] && c->field[CI_TYPE].n ? c->field[CI_TYPE].p : NULL;
	const char *expl = c->have[CI_EXPLAINER] && c->field[CI_EXPLAINER].n
	                   ? c->field[CI_EXPLAINER].p : NULL;
	store_expl_in x = {idx, desc, type, expl, NULL, 0};
	int added = 0;
	if (rc == 0)
		rc = store_put_explanation(c->s, src, &x, &added, &fe);
	if (rc) {
		*c->e = fe;
		c->fatal = 1;
		goto done;
	}
	if (added)
		c->st->added++;
	else
		c->st->unchanged++;
	/* kept, but said: an explanation of a feature the database lacks (a
	 * wrong index?) would show nowhere but in search */
	store_feat_row row;
	size_t got = 0;
	if (store_feature_page(c->s, src, NULL, idx - 1, 0, 1, &row, &got, &fe) == 0 && (!got || row.index != idx) &&
	    c->st->missing++ < 5) {
		char *at = saex_escape(c->path, strlen(c->path), 0);
		fprintf(c->log, "%s:%ld: %s/%lld: no such feature in the database (the explanation is stored)\n", at,
		        c->rec_line, spec, idx);
		free(at);
	}
done:
	memset(c->have, 0, sizeof c->have);
}

/* Feeds the file's lines to the parser; 0, or 2 with *e set. */
static int ci_parse(csv_in *c, struct csv_parser *p, jsonl *j)
{
	const char *line;
	size_t n;
	int r;
	while (!c->fatal && (r = jsonl_next_raw(j, &line, &n, c->e)) == 1) {
		c->line = jsonl_lineno(j);
		c->rec_bytes += n;
		if (c->rec_bytes > JSONL_MAX_LINE)
			return err_set(c->e, 2, "%s:%ld: a CSV record longer than %zu MiB (an unclosed quote?)", c->path,
			               c->rec_line ? c->rec_line : c->line, JSONL_MAX_LINE >> 20);
		if (csv_parse(p, line, n, ci_field, ci_record, c) != n)
			return err_set(c->e, 2, "%s:%ld: malformed CSV: %s", c->path, c->line, csv_strerror(csv_error(p)));
	}
	if (!c->fatal && r < 0)
		return 2;
	if (!c->fatal && csv_fini(p, ci_field, ci_record, c) != 0)
		return err_set(c->e, 2, "%s:%ld: malformed CSV: %s", c->path, c->line, csv_strerror(csv_error(p)));
	return c->fatal ? 2 : 0;
}

int csvio_import_explanations(store *s, const char *path, int strict, FILE *log,
                              csvio_stats *st, saex_err *e)
{
	memset(st, 0, sizeof *st);
	saex_err ke = {{0}, 0};
	char *pre = jsonl_file_key(path, &ke); /* NULL for a pipe: read once, keyed after */
	if (!pre && ke.code) {
		*e = ke;
		return 2;
	}
	char *key = pre ? xasprintf("csv-explanations:%s", pre) : NULL;
	free(pre);
	int done = key && store_batch_done(s, key);
	free(key);
	if (done)
		return 0;
	jsonl *j;
	if (jsonl_open(&j, path, e))
		return 2;
	struct csv_parser p;
	csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI);
	csv_in c = {0};
	c.s = s;
	c.path = path;
	c.log = log ? log : stderr;
	c.strict = strict;
	c.st = st;
	c.e = e;
	for (int k = 0; k < CI__N; k++)
		c.pos[k] = -1;
	int rc = store_begin(s, e);
	if (rc == 0)
		rc = ci_parse(&c, &p, j);
	if (rc == 0 && !c.header_done)
		rc = err_set(e, 2, "%s: empty file (expected a header row)", path);
	if (rc == 0 && st->rows && !st->added && !st->unchanged)
		rc = err_set(e, 2, "%s: nothing in this file could be read (%ld bad row%s)", path, st->bad,
		             st->bad == 1 ? "" : "s");
	if (rc == 0) {
		char *raw = jsonl_key(j);
		key = xasprintf("csv-explanations:%s", raw);
		free(raw);
		rc = store_batch_mark(s, key, "csv-explanations", path, c.line, e);
		free(key);
	}
	if (rc == 0)
		rc = store_commit(s, e);
	if (rc) {
		store_rollback(s);
		rc = 2;
	}
	csv_free(&p);
	for (int k = 0; k < CI__N; k++)
		sb_free(&c.field[k]);
	jsonl_close(j);
	return rc;
}
