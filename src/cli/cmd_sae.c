/* cmd_sae.c - saex sae info: what saex understood of an SAE folder (its
 * layout, architecture, hooks, widths, dtype, normalisation, k or
 * thresholds, files and model), so a download can be checked before a
 * long build. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

/* min, median and max of the n thresholds t; all three NaN when n is 0. */
static void summary(const float *t, int64_t n, double out[3])
{
	out[0] = out[1] = out[2] = NAN;
	float *c = n > 0 ? malloc((size_t)n * sizeof *c) : NULL;
	if (!c)
		return;
	memcpy(c, t, (size_t)n * sizeof *c);
	qsort(c, (size_t)n, sizeof *c, cmp_float); /* a few million values at most, once */
	out[0] = c[0];
	out[1] = n % 2 ? c[n / 2] : ((double)c[n / 2 - 1] + c[n / 2]) / 2;
	out[2] = c[n - 1];
	free(c);
}

/* The normalisation in words: "none", "layer_norm", "expected_average_only_in
 * (inputs x 5.919, folded as SAELens does)". */
static void norm_text(const saex_sae_info *in, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s", saex_sae_norm_name(in->norm));
	if (in->scale_in != 1 && (size_t)k < n)
		k += snprintf(buf + k, n - (size_t)k, "%sinputs x %.7g, outputs / %.7g", k ? ", " : "", (double)in->scale_in,
		              (double)in->scale_in);
	if (in->center_writing_weights && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, ", inputs centred (center_writing_weights)");
}

static json_t *info_json(const saex_sae_info *in, const double thr[3], const char *norm)
{
	json_t *d = json_object();
	json_object_set_new(d, "path", json_string(in->path));
	json_object_set_new(d, "format", json_string(saex_sae_format_name(in->format)));
	json_object_set_new(d, "architecture", json_string(saex_sae_arch_name(in->arch)));
	json_object_set_new(d, "architecture_as_published", json_string(in->arch_name));
	json_object_set_new(d, "transcoder", json_boolean(in->transcoder));
	json_object_set_new(d, "hook_name", json_string(in->hook_name));
	json_object_set_new(d, "hook_name_out", json_string(in->hook_name_out));
	json_object_set_new(d, "d_in", json_integer(in->d_in));
	json_object_set_new(d, "d_sae", json_integer(in->d_sae));
	json_object_set_new(d, "d_out", json_integer(in->d_out));
	json_object_set_new(d, "dtype", json_string(saex_dtype_name(in->dtype)));
	json_object_set_new(d, "zero_copy", json_boolean(in->zero_copy));
	json_object_set_new(d, "encoder_unaligned", json_boolean(in->enc_unaligned));
	json_object_set_new(d, "normalize_activations", json_string(saex_sae_norm_name(in->norm)));
	json_object_set_new(d, "normalisation", json_string(norm));
	json_object_set_new(d, "scale_in", cli_json_f32(in->scale_in));
	json_object_set_new(d, "apply_b_dec_to_input", json_boolean(in->apply_b_dec_to_input));
	json_object_set_new(d, "skip_connection", json_boolean(in->skip));
	json_object_set_new(d, "rescale_acts_by_decoder_norm", json_boolean(in->rescale_by_decoder_norm));
	json_object_set_new(d, "reshape_activations", json_string(in->reshape_hook_z ? "hook_z" : "none"));
	json_object_set_new(d, "k", in->k ? json_integer(in->k) : json_null());
	json_object_set_new(d, "threshold", thr[0] == thr[0] ? json_pack("{s:f,s:f,s:f}", "min", thr[0], "median",
	                                                                 thr[1], "max", thr[2])
	                                                     : json_null());
	json_object_set_new(d, "model_name", json_string(in->model_name));
	json_object_set_new(d, "weights", json_string(in->weights));
	return d;
}

/* One "key  value" line, the value escaped. */
static void line(sb *o, const cli_style *cs, const char *key, const char *value)
{
	sb_printf(o, "%-14s ", key);
	cli_put_text(o, cs, value, strlen(value), 0);
	sb_addc(o, '\n');
}

static void info_text(const saex_sae_info *in, const double thr[3], const char *norm)
{
	cli_style cs;
	cli_style_init(&cs, stdout);
	sb o = {0};
	char buf[512];
	line(&o, &cs, "SAE", in->path);
	snprintf(buf, sizeof buf, "%s%s%s", saex_sae_format_name(in->format),
	         in->zero_copy ? " (the weights read in place" : " (the weights converted to F32",
	         in->enc_unaligned ? "; the encoder, unaligned in the file, copied at the first encode)" : ")");
	line(&o, &cs, "format", buf);
	sb_printf(&o, "%-14s %s%s (as published: ", "architecture", saex_sae_arch_name(in->arch),
	          in->transcoder ? " transcoder" : "");
	cli_put_text(&o, &cs, in->arch_name, strlen(in->arch_name), 0);
	sb_adds(&o, ")\n");
	line(&o, &cs, "hook", *in->hook_name ? in->hook_name : "(none)");
	if (in->transcoder)
		line(&o, &cs, "writes at", in->hook_name_out);
	sb_printf(&o, "%-14s %lld\n%-14s %lld\n", "d_in", (long long)in->d_in, "d_sae", (long long)in->d_sae);
	if (in->transcoder)
		sb_printf(&o, "%-14s %lld\n", "d_out", (long long)in->d_out);
	sb_printf(&o, "%-14s %s\n", "dtype", saex_dtype_name(in->dtype));
	line(&o, &cs, "normalisation", norm);
	sb_printf(&o, "%-14s %s\n", "b_dec in", in->apply_b_dec_to_input ? "subtracted from the input" : "not subtracted");
	if (in->k)
		sb_printf(&o, "%-14s %d%s\n", "k", in->k, in->rescale_by_decoder_norm ? " (by decoder-norm rescaled pre)" : "");
	if (thr[0] == thr[0])
		sb_printf(&o, "%-14s min %.6g, median %.6g, max %.6g\n", "threshold", thr[0], thr[1], thr[2]);
	if (in->skip)
		sb_printf(&o, "%-14s yes\n", "skip");
	if (in->reshape_hook_z)
		sb_printf(&o, "%-14s attn.hook_z heads flattened\n", "reshape");
	line(&o, &cs, "model", *in->model_name ? in->model_name : "(not named)");
	line(&o, &cs, "weights", in->weights);
	fwrite(o.p, 1, o.n, stdout);
	sb_free(&o);
}

int cmd_sae(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	const cli_cmd *me = cli_find("sae");
	int json = 0, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (optind != argc - 2 || strcmp(argv[optind], "info")) {
		cli_fail("sae", CLI_USAGE, "%s", optind < argc && strcmp(argv[optind], "info") ? "the subcommand is info"
		                                                                                : "expected info SAE");
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	char err[SAEX_ERR_LEN], path[4096];
	int rc = cli_resolve("sae", argv[optind + 1], path, sizeof path);
	if (rc)
		return rc;
	saex_sae *s = saex_sae_load(path, err, sizeof err);
	if (!s)
		return cli_fail("sae", CLI_DATA, "%s", err);
	const saex_sae_info *in = saex_sae_get_info(s);
	double thr[3];
	const float *t = saex_sae_threshold(s);
	summary(t, t ? in->d_sae : 0, thr);
	char norm[256];
	norm_text(in, norm, sizeof norm);
	if (json) {
		json_t *d = info_json(in, thr, norm);
		cli_put_json(stdout, d, 1);
		json_decref(d);
	} else
		info_text(in, thr, norm);
	saex_sae_free(s);
	return fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
}
