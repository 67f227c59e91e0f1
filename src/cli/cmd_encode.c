/* cmd_encode.c - saex encode: activations through an SAE. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_encode(int argc, char **argv)
{
	static const struct option opts[] = {
		{"sae", required_argument, NULL, 's'}, {"in", required_argument, NULL, 'i'},
		{"out", required_argument, NULL, 'o'}, {"recon", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
	const char *dir = NULL, *in = NULL, *out = NULL, *recon = NULL;
	int json = 0, ch;
	const cli_cmd *me = cli_find("encode");
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': dir = optarg; break;
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'r': recon = optarg; break;
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
	saex_npy x = {0};
	rc = CLI_DATA;
	float *f = NULL, *norm = NULL, *xh = NULL;
	if (saex_npy_read(in, &x, err, sizeof err)) {
		cli_fail("encode", CLI_DATA, "%s", err);
		goto out;
	}
	size_t n = 0;
	if (x.ndim == 1 && x.shape[0] == si->d_in)
		n = 1;
	else if (x.ndim == 2 && x.shape[1] == si->d_in)
		n = (size_t)x.shape[0];
	else {
		cli_fail("encode", CLI_DATA, "%s: width %lld does not match the SAE's d_in %lld (%s/cfg.json); wanted [n, %lld]",
		         in, (long long)(x.ndim ? x.shape[x.ndim - 1] : 0), (long long)si->d_in, dir, (long long)si->d_in);
		goto out;
	}
	f = malloc((n ? n : 1) * (size_t)si->d_sae * sizeof(float));
	norm = malloc((n ? n : 1) * 2 * sizeof(float));
	xh = malloc((n ? n : 1) * (size_t)si->d_in * sizeof(float));
	if (!f || !norm || !xh || saex_sae_encode(s, x.data, n, f, norm)) {
		cli_fail("encode", CLI_DATA, "%s: out of memory", in);
		goto out;
	}
	saex_sae_decode(s, f, n, norm, xh);
	int64_t fs[2] = {(int64_t)n, si->d_sae}, rs[2] = {(int64_t)n, si->d_in};
	if (saex_npy_write(out, f, 2, fs, err, sizeof err) ||
	    (recon && saex_npy_write(recon, xh, 2, rs, err, sizeof err))) {
		cli_fail("encode", CLI_DATA, "%s", err);
		goto out;
	}
	double l0, mse, ev;
	saex_sae_metrics(x.data, xh, n, si->d_in, f, si->d_sae, &l0, &mse, &ev);
	if (json) {
		json_t *d = json_object();
		json_object_set_new(d, "n", json_integer((json_int_t)n));
		json_object_set_new(d, "architecture", json_string(saex_sae_arch_name(si->arch)));
		json_object_set_new(d, "d_in", json_integer(si->d_in));
		json_object_set_new(d, "d_sae", json_integer(si->d_sae));
		json_object_set_new(d, "l0", json_real(l0));
		json_object_set_new(d, "mse", json_real(mse));
		json_object_set_new(d, "explained_variance", ev == ev ? json_real(ev) : json_null());
		cli_put_json(stdout, d, 0);
		json_decref(d);
	} else
		printf("%zu rows, %s SAE %lld -> %lld: L0 %.3f, MSE %.6g, explained variance %.6g\n", n,
		       saex_sae_arch_name(si->arch), (long long)si->d_in, (long long)si->d_sae, l0, mse, ev);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	free(f);
	free(norm);
	free(xh);
	saex_npy_free(&x);
	saex_sae_free(s);
	return rc;
}
