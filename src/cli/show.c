/* show.c - see show.h */
#include "config.h"
#include "show.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- JSON */

static json_t *show_f32s(const float *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, cli_json_f32(v[i]));
	return a;
}

static json_t *show_counts(const float *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, cli_json_count(v[i]));
	return a;
}

static json_t *show_strs(const store_str *s, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, cli_json_token(s[i].p, s[i].n));
	return a;
}

static json_t *show_double(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *show_json(const store_feature *f)
{
	char idx[32];
	snprintf(idx, sizeof idx, "%lld", (long long)f->id.index);
	json_t *j = json_object();
	json_object_set_new(j, "modelId", json_string(f->id.model));
	json_object_set_new(j, "layer", json_string(f->id.source));
	json_object_set_new(j, "index", json_string(idx));
	/* Known extra fields first, so the core fields below win on a clash. */
	if (f->extra_json) {
		json_t *x = json_loads(f->extra_json, 0, NULL);
		if (json_is_object(x))
			json_object_update(j, x);
		json_decref(x);
	}
	if (f->hook_name && !json_object_get(j, "hookName"))
		json_object_set_new(j, "hookName", cli_json_text(f->hook_name));
	json_object_set_new(j, "maxActApprox", show_double(f->max_act));
	json_object_set_new(j, "frac_nonzero", show_double(f->frac_nonzero));
	json_object_set_new(j, "pos_str", show_strs(f->pos_str, f->n_pos));
	json_object_set_new(j, "pos_values", show_f32s(f->pos_v, f->n_pos));
	json_object_set_new(j, "neg_str", show_strs(f->neg_str, f->n_neg));
	json_object_set_new(j, "neg_values", show_f32s(f->neg_v, f->n_neg));
	json_object_set_new(j, "freq_hist_data_bar_heights", show_counts(f->freq_h, f->n_freq));
	json_object_set_new(j, "freq_hist_data_bar_values", show_f32s(f->freq_v, f->n_freq));
	json_object_set_new(j, "logits_hist_data_bar_heights", show_counts(f->lhist_h, f->n_lhist));
	json_object_set_new(j, "logits_hist_data_bar_values", show_f32s(f->lhist_v, f->n_lhist));
	json_t *ci = json_array();
	for (size_t i = 0; i < f->n_cos; i++)
		json_array_append_new(ci, json_integer(f->cos_idx[i]));
	json_object_set_new(j, "topkCosSimIndices", ci);
	json_object_set_new(j, "topkCosSimValues", show_f32s(f->cos_v, f->n_cos));
	json_t *ex = json_array();
	for (size_t i = 0; i < f->n_expl; i++) {
		const store_expl *x = &f->expl[i];
		json_array_append_new(
			ex, json_pack("{so so so}", "description", cli_json_text(x->description ? x->description : ""),
			              "typeName", cli_json_text(x->type_name), "explanationModelName",
			              cli_json_text(x->explainer)));
	}
	json_object_set_new(j, "explanations", ex);
	json_t *acts = json_array();
	for (size_t i = 0; i < f->n_acts; i++) {
		const store_act *a = &f->acts[i];
		json_t *o = json_object();
		json_object_set_new(o, "tokens", show_strs(a->tokens, a->n));
		json_object_set_new(o, "values", show_f32s(a->values, a->n));
		/* stored as f32: written as the shortest decimal of that f32 */
		json_object_set_new(o, "maxValue", cli_json_f32((float)a->max_value));
		json_object_set_new(o, "maxValueTokenIndex", json_integer(a->max_index));
		json_object_set_new(o, "minValue", cli_json_f32((float)a->min_value));
		json_object_set_new(o, "binMin", cli_json_f32((float)a->bin_min));
		json_object_set_new(o, "binMax", cli_json_f32((float)a->bin_max));
		json_object_set_new(o, "binContains", cli_json_f32((float)a->bin_contains));
		json_array_append_new(acts, o);
	}
	json_object_set_new(j, "activations", acts);
	return j;
}

/* ---------------------------------------------------------------- text */

static void show_sgr(sb *o, const cli_style *cs, const char *seq)
{
	if (cs->color)
		sb_printf(o, "\033[%sm", seq);
}

static void show_heading(sb *o, const cli_style *cs, const char *title)
{
	sb_addc(o, '\n');
	show_sgr(o, cs, "1");
	sb_adds(o, title);
	show_sgr(o, cs, "0");
	sb_addc(o, '\n');
}

/* Background colour for an activation of strength t in (0, 1]. */
static void show_heat(sb *o, const cli_style *cs, double t)
{
	if (!cs->color || !(t > 0))
		return;
	if (t > 1)
		t = 1;
	if (cs->color256) {
		/* A ramp from pale to deep orange in the 6x6x6 cube. */
		static const int ramp[] = {230, 229, 223, 222, 216, 215, 209, 208, 202};
		int k = (int)(t * (SAEX_ARRAY_LEN(ramp) - 1) + 0.5);
		sb_printf(o, "\033[48;5;%d;38;5;16m", ramp[k]);
	} else {
		sb_adds(o, t > 0.5 ? "\033[41;30m" : "\033[43;30m");
	}
}

static void show_logits(sb *o, const cli_style *cs, const char *label, const store_str *s,
                        const float *v, size_t n)
{
	sb_printf(o, "  %-9s", label);
	if (n == 0)
		sb_adds(o, "(none)");
	for (size_t i = 0; i < n; i++) {
		sb_adds(o, i ? "  \"" : "\"");
		cli_put_text(o, cs, s[i].p, s[i].n, SAEX_ESC_TOKEN);
		sb_printf(o, "\" %+.3f", (double)v[i]);
	}
	sb_addc(o, '\n');
}

/* The histogram as rows of block characters, tallest bin = rows * 8. */
static void show_histogram(sb *o, const cli_style *cs, const float *h, const float *v,
                           size_t n)
{
	static const char *const blocks[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
	                                     "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	                                     "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char *const ascii[] = {" ", ".", ".", ":", ":", "|", "|", "#", "#"};
	const char *const *bk = cs->utf8 ? blocks : ascii;
	const int rows = 4;
	float mx = 0;
	double total = 0;
	for (size_t i = 0; i < n; i++) {
		if (h[i] > mx)
			mx = h[i];
		total += h[i];
	}
	if (n == 0 || mx <= 0) {
		sb_adds(o, "  (no histogram)\n");
		return;
	}
	for (int r = rows - 1; r >= 0; r--) {
		sb_adds(o, "  ");
		for (size_t i = 0; i < n; i++) {
			int eighths = (int)lround(h[i] / mx * rows * 8) - r * 8;
			if (h[i] > 0 && r == 0 && eighths < 1)
				eighths = 1; /* a non-empty bin never vanishes */
			sb_adds(o, bk[eighths < 0 ? 0 : eighths > 8 ? 8 : eighths]);
		}
		sb_addc(o, '\n');
	}
	char left[32], right[32];
	snprintf(left, sizeof left, "%.3g", (double)v[0]);
	snprintf(right, sizeof right, "%.3g", (double)v[n - 1]);
	int gap = (int)n - (int)strlen(left) - (int)strlen(right);
	char tot[32];
	sb_printf(o, "  %s%*s%s   (%s non-zero activations in %zu bins)\n", left, gap > 1 ? gap : 1, "", right,
	          cli_thousands((int64_t)llround(total), tot, sizeof tot), n);
}

static void show_example(sb *o, const cli_style *cs, const store_act *a, double max_act,
                         int context, size_t k)
{
	sb_printf(o, " %2zu. max %.3f at token %ld", k + 1, a->max_value, a->max_index);
	if (a->bin_min == -1)
		sb_adds(o, " - top activations\n");
	else
		sb_printf(o, " - interval %.3f..%.3f, holds %.4g%%\n", a->bin_min, a->bin_max,
		          a->bin_contains * 100);
	long lo = a->max_index - context, hi = a->max_index + context;
	if (lo < 0)
		lo = 0;
	if (hi >= (long)a->n)
		hi = (long)a->n - 1;
	sb_adds(o, "     ");
	if (lo > 0)
		sb_adds(o, cs->utf8 ? "\xe2\x80\xa6" : "...");
	double scale = max_act > 0 ? max_act : a->max_value;
	sb text = {0};
	for (long i = lo, j; i <= hi; i = j) {
		/* a character split over tokens is one (cli_token_group): its
		 * hottest part's colour, the max's marks when it holds the max */
		j = cli_token_group(a->tokens, i, hi + 1, &text);
		long hot = i;
		for (long q = i; q < j; q++)
			if (q == a->max_index || (hot != a->max_index && a->values[q] > a->values[hot]))
				hot = q;
		int is_max = hot == a->max_index;
		double t = scale > 0 ? a->values[hot] / scale : 0;
		if (is_max && !cs->color)
			sb_adds(o, cs->utf8 ? "\xc2\xab" : "<<");
		if (is_max)
			show_sgr(o, cs, "1;4");
		show_heat(o, cs, t);
		/* tokens that do not fire: every other one grey, so boundaries show */
		int alt = cs->color && !(t > 0) && !is_max && (i & 1);
		if (alt)
			show_sgr(o, cs, cs->color256 ? "38;5;244" : "2");
		cli_put_text(o, cs, text.p, text.n, SAEX_ESC_NL_ARROW | SAEX_ESC_TOKEN);
		if (cs->color && (t > 0 || is_max || alt))
			show_sgr(o, cs, "0");
		if (is_max && !cs->color)
			sb_adds(o, cs->utf8 ? "\xc2\xbb" : ">>");
	}
	sb_free(&text);
	if (hi < (long)a->n - 1)
		sb_adds(o, cs->utf8 ? "\xe2\x80\xa6" : "...");
	sb_addc(o, '\n');
}

void show_text(sb *o, const store_feature *f, const show_opts *op, const cli_style *cs)
{
	char id[3 * SAEX_ID_MAX], url[4 * SAEX_ID_MAX];
	saex_fid_format(&f->id, id, sizeof id);
	saex_fid_url(&f->id, url, sizeof url);
	show_sgr(o, cs, "1");
	cli_put_text(o, cs, id, strlen(id), 0);
	show_sgr(o, cs, "0");
	sb_adds(o, "  ");
	if (op->local)
		sb_adds(o, "(made here: no Neuronpedia page)");
	else
		cli_put_text(o, cs, url, strlen(url), 0);
	sb_addc(o, '\n');
	if (f->hook_name) {
		sb_adds(o, "hook ");
		cli_put_text(o, cs, f->hook_name, strlen(f->hook_name), 0);
		sb_addc(o, '\n');
	}
	char dens[32];
	if (f->frac_nonzero >= 0)
		sb_printf(o, "density %s", cli_density(f->frac_nonzero, dens, sizeof dens));
	else
		sb_adds(o, "density unknown");
	sb_printf(o, "   max activation %.3f\n", f->max_act);

	show_heading(o, cs, "Explanations");
	if (f->n_expl == 0)
		sb_adds(o, "  (none)\n");
	for (size_t i = 0; i < f->n_expl; i++) {
		const store_expl *x = &f->expl[i];
		sb_adds(o, "  ");
		cli_put_text(o, cs, x->description, strlen(x->description), 0);
		if (x->type_name || x->explainer) {
			sb_adds(o, "  (");
			if (x->type_name)
				cli_put_text(o, cs, x->type_name, strlen(x->type_name), 0);
			if (x->type_name && x->explainer)
				sb_adds(o, ", ");
			if (x->explainer)
				cli_put_text(o, cs, x->explainer, strlen(x->explainer), 0);
			sb_addc(o, ')');
		}
		sb_addc(o, '\n');
	}

	show_heading(o, cs, "Logits");
	show_logits(o, cs, "positive", f->pos_str, f->pos_v, f->n_pos);
	show_logits(o, cs, "negative", f->neg_str, f->neg_v, f->n_neg);

	show_heading(o, cs, "Activation histogram");
	show_histogram(o, cs, f->freq_h, f->freq_v, f->n_freq);

	size_t shown = f->n_acts < op->examples ? f->n_acts : op->examples;
	char title[96];
	snprintf(title, sizeof title, "Top examples (%zu of %zu)", shown, f->n_acts_total);
	show_heading(o, cs, title);
	if (shown == 0)
		sb_adds(o, "  (none)\n");
	for (size_t i = 0; i < shown; i++)
		show_example(o, cs, &f->acts[i], f->max_act, op->context, i);
}
