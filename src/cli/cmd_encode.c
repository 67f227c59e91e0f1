/* cmd_encode.c - saex encode: activations through an SAE. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* An activation file: [n, width] or [width] float32. 0, or the exit
 * status after saying what is wrong. */
static int read_rows(const char *file, const char *dir, const char *what, int64_t width, size_t want_n,
                     saex_npy *x, size_t *n)
{
	char err[SAEX_ERR_LEN];
	if (saex_npy_read(file, x, err, sizeof err))
		return cli_fail("encode", CLI_DATA, "%s", err);
	if (x->ndim == 1 && x->shape[0] == width)
		*n = 1;
	else if (x->ndim == 2 && x->shape[1] == width)
		*n = (size_t)x->shape[0];
	else
		return cli_fail("encode", CLI_DATA, "%s: width %lld does not match the SAE's %s %lld (%s); wanted [n, %lld]",
		                file, (long long)(x->ndim ? x->shape[x->ndim - 1] : 0), what, (long long)width, dir,
		                (long long)width);
	if (want_n != (size_t)-1 && *n != want_n)
		return cli_fail("encode", CLI_DATA, "%s: %zu rows, but the input has %zu", file, *n, want_n);
	return 0;
}

static void print_result(const saex_sae_info *si, size_t n, double l0, const double *mse, const double *ev, int json)
{
	if (json) {
		json_t *d = json_object();
		json_object_set_new(d, "n", json_integer((json_int_t)n));
		json_object_set_new(d, "format", json_string(saex_sae_format_name(si->format)));
		json_object_set_new(d, "architecture", json_string(saex_sae_arch_name(si->arch)));
		json_object_set_new(d, "d_in", json_integer(si->d_in));
		json_object_set_new(d, "d_sae", json_integer(si->d_sae));
		json_object_set_new(d, "d_out", json_integer(si->d_out));
		json_object_set_new(d, "l0", json_real(l0));
		json_object_set_new(d, "mse", mse ? json_real(*mse) : json_null());
		json_object_set_new(d, "explained_variance", ev && *ev == *ev ? json_real(*ev) : json_null());
		cli_put_json(stdout, d, 0);
		json_decref(d);
		return;
	}
	printf("%zu rows, %s %s %lld -> %lld", n, saex_sae_arch_name(si->arch), si->transcoder ? "transcoder" : "SAE",
	       (long long)si->d_in, (long long)si->d_sae);
	if (si->transcoder)
		printf(" -> %lld", (long long)si->d_out);
	printf(": L0 %.3f", l0);
	if (mse)
		printf(", MSE %.6g, explained variance %.6g", *mse, *ev);
	else
		printf(" (give --target for the reconstruction's MSE)");
	printf("\n");
}

int cmd_encode(int argc, char **argv)
{
	static const struct option opts[] = {
		{"sae", required_argument, NULL, 's'}, {"in", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'}, {"recon", required_argument, NULL, 'r'},
		{"target", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {0}};
	const char *dir = NULL, *in = NULL, *out = NULL, *recon = NULL, *target = NULL;
	int json = 0, ch;
	const cli_cmd *me = cli_find("encode");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': dir = optarg; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'r': recon = optarg; break;
		case 't': target = optarg; break;
		case 'j': json = 1; break;
		case 'h': cli_usage(stdout, me); return CLI_OK;
		default: cli_usage(stderr, me); return CLI_USAGE;
		}
	}
	if (!dir || !in || !out || optind != argc) {
		cli_fail("encode", CLI_USAGE, "%s", optind != argc ? "unexpected argument" : "--sae, --in and --out are required");
		cli_usage(stderr, me);
		return CLI_USAGE;
	}
	char err[SAEX_ERR_LEN], path[4096];
	int rc = cli_resolve("encode", dir, path, sizeof path);
	if (rc)
		return rc;
	dir = path;
	const char *inputs[] = {in, dir};
	if ((rc = cli_check_output("encode", out, inputs, 2)) || (rc = cli_check_output("encode", recon, inputs, 2)))
		return rc;
	saex_sae *s = saex_sae_load(dir, err, sizeof err);
	if (!s)
		return cli_fail("encode", CLI_DATA, "%s", err);
	const saex_sae_info *si = saex_sae_get_info(s);
	saex_npy x = {0}, y = {0};
	float *f = NULL, *norm = NULL, *xh = NULL;
	size_t n = 0, ny;
	if ((rc = read_rows(in, dir, "d_in", si->d_in, (size_t)-1, &x, &n)) ||
	    (target && (rc = read_rows(target, dir, "d_out", si->d_out, n, &y, &ny))))
		goto out;
	rc = CLI_DATA;
	f = malloc((n ? n : 1) * (size_t)si->d_sae * sizeof(float));
	norm = malloc((n ? n : 1) * 2 * sizeof(float));
	xh = malloc((n ? n : 1) * (size_t)si->d_out * sizeof(float));
	if (!f || !norm || !xh || saex_sae_encode(s, x.data, n, f, norm)) {
		cli_fail("encode", CLI_DATA, "%s: out of memory", in);
		goto out;
	}
	if (saex_sae_decode(s, f, n, norm, xh) || saex_sae_skip(s, x.data, n, xh)) {
		cli_fail("encode", CLI_DATA, "%s: out of memory", in);
		goto out;
	}
	int64_t fs[2] = {(int64_t)n, si->d_sae}, rs[2] = {(int64_t)n, si->d_out};
	if (saex_npy_write(out, f, 2, fs, err, sizeof err) ||
	    (recon && saex_npy_write(recon, xh, 2, rs, err, sizeof err))) {
		cli_fail("encode", CLI_DATA, "%s", err);
		goto out;
	}
	/* the reconstruction's target: --target, or the input itself for an SAE */
	const float *want = target ? y.data : si->transcoder ? NULL : x.data;
	double l0, mse, ev;
	saex_sae_metrics(want ? want : xh, xh, n, si->d_out, f, si->d_sae, &l0, &mse, &ev);
	print_result(si, n, l0, want ? &mse : NULL, want ? &ev : NULL, json);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	free(f);
	free(norm);
	free(xh);
	saex_npy_free(&x);
	saex_npy_free(&y);
	saex_sae_free(s);
	return rc;
}
