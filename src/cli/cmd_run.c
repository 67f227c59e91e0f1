/* cmd_run.c - saex run: a prompt through GPT-2, hook activations and
 * logits saved as .npy. */
#include "config.h"
#include "cli.h"
#include "saex.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct run_save {
	const char *hook, *file;
	float *data; /* [T, width], filled by the hook */
	size_t T, width;
} run_save;

static int save_hook(const char *name, float *act, size_t T, size_t width, void *user)
{
	run_save *s = user;
	free(s->data);
	s->data = xmalloc(T * width * sizeof *s->data);
	memcpy(s->data, act, T * width * sizeof *act);
	s->T = T;
	s->width = width;
	return 0;
}

/* The indices of the (at most k) largest non-zero values of f[0..d), best
 * first, the lower index first on a tie, into top; returns how many. */
static int run_top(const float *f, int64_t d, int k, int64_t *top)
{
	int n = 0;
	for (int64_t j = 0; j < d; j++) {
		if (f[j] == 0)
			continue;
		int i = n < k ? n++ : k;
		if (i == k && !(f[j] > f[top[k - 1]]))
			continue;
		if (i == k)
			i = k - 1;
		while (i > 0 && f[j] > f[top[i - 1]]) {
			top[i] = top[i - 1];
			i--;
		}
		top[i] = j;
	}
	return n;
}

/* The tokens' spellings (saex_tok_token_text) as a JSON array. */
static json_t *run_spellings(const saex_tok *tok, const uint32_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		size_t len = 0;
		char *s = saex_tok_token_text(tok, ids[i], &len);
		json_array_append_new(a, s ? cli_json_token(s, len) : json_null());
		free(s);
	}
	return a;
}

/* The .npy outputs must not replace the model's, the SAE's or a steering
 * SAE's files. 0, or CLI_DATA after saying which. */
static int run_check_outputs(const run_save *saves, size_t n_saves, const char *logits, const char *model,
                             const char *sae, const cli_steer *cst)
{
	const char **in = xcalloc(cst->n_sae + 2, sizeof *in);
	size_t n = 0;
	in[n++] = model;
	if (sae)
		in[n++] = sae;
	for (size_t i = 0; i < cst->n_sae; i++)
		in[n++] = cst->dirs[i];
	int rc = cli_check_output("run", logits, in, n);
	for (size_t i = 0; rc == 0 && i < n_saves; i++)
		rc = cli_check_output("run", saves[i].file, in, n);
	free(in);
	return rc;
}

/* The SAE named name, resolved into path, loaded into *s and fitted to m,
 * printing nothing: 0, or -1 (*s NULL) with the message saex run prints in
 * msg. */
static int run_open_sae(const char *name, const saex_model *m, char *path, size_t pathlen, saex_sae **s, sb *msg)
{
	char err[SAEX_ERR_LEN];
	if (cli_resolve_msg(name, path, pathlen, msg))
		return -1;
	if (!(*s = saex_sae_load(path, err, sizeof err))) {
		sb_printf(msg, "%s", err);
		return -1;
	}
	if (saex_sae_fits(*s, m, err, sizeof err)) {
		sb_printf(msg, "%s: %s", path, err);
		saex_sae_free(*s);
		*s = NULL;
		return -1;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"model", required_argument, NULL, 'm'}, {"ids", required_argument, NULL, 'i'},
		{"no-bos", no_argument, NULL, 'n'}, {"hook", required_argument, NULL, 'k'},
		{"save", required_argument, NULL, 's'}, {"logits", required_argument, NULL, 'l'},
		{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
		{"sae", required_argument, NULL, 'S'}, {"top", required_argument, NULL, 'K'},
		{"steer", required_argument, NULL, 'X'}, {"multiplier", required_argument, NULL, 'M'},
		{"method", required_argument, NULL, 'D'}, {0}};
	const char *model = NULL, *ids_arg = NULL, *logits_file = NULL;
	const char *sae_dir = NULL;
	int top_k = 5;
	saex_sae *sae = NULL;
	run_save sae_act = {0};
	float *feats = NULL;
	int json = 0, no_bos = 0, ch, rc = CLI_USAGE;
	const cli_cmd *me = cli_find("run");
	run_save *saves = xcalloc((size_t)argc + 1, sizeof *saves);
	size_t n_saves = 0;
	saex_model *m = NULL;
	saex_tok *tok = NULL;
	uint32_t *ids = NULL;
	float *logits = NULL;
	saex_hook *hooks = NULL;
	cli_steer cst = {0};
	size_t T = 0;
	char err[SAEX_ERR_LEN], model_path[4096], sae_path[4096];
	cli_tok_job tok_job = {0};
	sb sae_msg = {0};

	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 'i': ids_arg = optarg; break;
		case 'n': no_bos = 1; break;
		case 'k': saves[n_saves++].hook = optarg; break;
		case 's':
			if (n_saves == 0 || saves[n_saves - 1].file) {
				cli_fail("run", CLI_USAGE, "--save %s must follow a --hook NAME", optarg);
				goto out;
			}
			saves[n_saves - 1].file = optarg;
			break;
		case 'l': logits_file = optarg; break;
		case 'j': json = 1; break;
		case 'S': sae_dir = optarg; break;
		case 'X':
			if (cli_steer_opt("run", &cst, "steer", optarg))
				goto out;
			break;
		case 'M':
			if (cli_steer_opt("run", &cst, "multiplier", optarg))
				goto out;
			break;
		case 'D':
			if (cli_steer_opt("run", &cst, "method", optarg))
				goto out;
			break;
		case 'K': {
			char *e;
			long v = strtol(optarg, &e, 10);
			if (e == optarg || *e || v < 1 || v > 1000000) {
				cli_fail("run", CLI_USAGE, "--top %s: expected a positive number", optarg);
				goto out;
			}
			top_k = (int)v;
			break;
		}
		case 'h': cli_usage(stdout, me); rc = CLI_OK; goto out;
		default: cli_usage(stderr, me); goto out;
		}
	}
	int n_text = argc - optind;
	if (!model || (ids_arg ? n_text != 0 : n_text != 1)) {
		if (!model)
			cli_fail("run", CLI_USAGE, "--model DIR is required");
		else
			cli_fail("run", CLI_USAGE, "give either TEXT or --ids, not both or neither");
		cli_usage(stderr, me);
		goto out;
	}
	int max_layer = -1;
	for (size_t i = 0; i < n_saves; i++) {
		int l;
		saex_hook_kind k;
		if (!saves[i].file) {
			cli_fail("run", CLI_USAGE, "--hook %s needs --save FILE.npy", saves[i].hook);
			goto out;
		}
		if (saex_hook_parse(saves[i].hook, &l, &k)) {
			char forms[512];
			saex_hook_list(forms, sizeof forms);
			cli_fail("run", CLI_USAGE, "unknown hook '%s' (%s)", saves[i].hook, forms);
			goto out;
		}
		if (l > max_layer)
			max_layer = l;
	}
	if (ids_arg && cli_parse_ids(ids_arg, &ids, &T)) {
		cli_fail("run", CLI_USAGE, "--ids '%s': expected comma-separated token ids such as 50256,15496,995", ids_arg);
		goto out;
	}

	if ((rc = cli_resolve("run", model, model_path, sizeof model_path)))
		goto out;
	model = model_path;
	cli_tok_start(&tok_job, model); /* meanwhile: the weights and the SAE */
	m = saex_model_load(model, err, sizeof err);
	if (!m) {
		rc = cli_fail("run", CLI_DATA, "%s", err);
		goto out;
	}
	const saex_model_config *c = saex_model_config_of(m);
	/* the SAE's errors are told after the prompt's, as they were before
	 * the SAE loaded beside the tokenizer */
	int sae_bad = sae_dir ? run_open_sae(sae_dir, m, sae_path, sizeof sae_path, &sae, &sae_msg) : 0;
	if (sae) {
		const saex_sae_info *si = saex_sae_get_info(sae);
		sae_dir = sae_path;
		if (si->layer > max_layer)
			max_layer = si->layer;
		sae_act.hook = si->hook_name;
	}
	if (!sae_bad && max_layer < c->n_layers)
		saex_model_prefault(m, logits_file ? -1 : max_layer, logits_file != NULL);
	rc = cli_prompt("run", model, m, ids_arg ? NULL : argv[optind], no_bos, &tok_job, &tok, &ids, &T);
	if (rc)
		goto out;
	if (sae_bad) {
		rc = cli_fail("run", CLI_DATA, "%s", sae_msg.p ? sae_msg.p : "");
		goto out;
	}
	rc = CLI_USAGE; /* the default for the checks below */
	if (max_layer >= c->n_layers) {
		cli_fail("run", CLI_USAGE, "layer %d: the model has layers 0 to %d", max_layer, c->n_layers - 1);
		goto out;
	}
	for (size_t i = 0; i < n_saves; i++)
		if (!saex_model_hook_check(m, saves[i].hook, err, sizeof err)) { /* e.g. resid_mid of a parallel block */
			cli_fail("run", CLI_USAGE, "%s", err);
			goto out;
		}

	/* steering first, so that saved hooks and the SAE see its effect */
	if (cli_steer_load("run", &cst, m)) {
		rc = CLI_DATA;
		goto out;
	}
	if ((rc = run_check_outputs(saves, n_saves, logits_file, model, sae_dir, &cst)))
		goto out;
	rc = CLI_USAGE;
	size_t n_steer = 0;
	const saex_hook *sh = cst.set ? saex_steer_hooks(cst.set, &n_steer) : NULL;
	hooks = xcalloc(n_steer + n_saves + 1, sizeof *hooks);
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	for (size_t i = 0; i < n_steer; i++)
		hooks[ro.n_hooks++] = sh[i];
	for (size_t i = 0; i < n_saves; i++)
		hooks[ro.n_hooks++] = (saex_hook){saves[i].hook, save_hook, &saves[i]};
	if (sae)
		hooks[ro.n_hooks++] = (saex_hook){sae_act.hook, save_hook, &sae_act};
	ro.hooks = hooks;
	if (logits_file)
		logits = ro.logits = xmalloc(T * (size_t)c->vocab * sizeof *logits);
	else if (max_layer >= 0)
		ro.stop_after_layer = max_layer;
	if (saex_model_forward(m, ids, T, &ro, err, sizeof err)) {
		rc = cli_fail("run", CLI_DATA, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n_saves; i++) {
		int64_t shape[2] = {(int64_t)saves[i].T, (int64_t)saves[i].width};
		if (saex_npy_write(saves[i].file, saves[i].data, 2, shape, err, sizeof err)) {
			rc = cli_fail("run", CLI_DATA, "%s", err);
			goto out;
		}
	}
	int64_t d_sae = sae ? saex_sae_get_info(sae)->d_sae : 0;
	if (top_k > d_sae)
		top_k = (int)d_sae;
	if (sae) {
		feats = xmalloc(T * (size_t)d_sae * sizeof *feats);
		if (saex_sae_encode(sae, sae_act.data, T, feats, NULL)) {
			rc = cli_fail("run", CLI_DATA, "%s: out of memory", sae_dir);
			goto out;
		}
	}
	if (logits_file) {
		int64_t shape[2] = {(int64_t)T, c->vocab};
		if (saex_npy_write(logits_file, logits, 2, shape, err, sizeof err)) {
			rc = cli_fail("run", CLI_DATA, "%s", err);
			goto out;
		}
	}

	if (json) {
		json_t *doc = json_object(), *ja = json_array(), *js = json_array();
		for (size_t t = 0; t < T; t++)
			json_array_append_new(ja, json_integer(ids[t]));
		json_object_set_new(doc, "ids", ja);
		if (tok) /* spelled as Neuronpedia's exports spell them */
			json_object_set_new(doc, "tokens", run_spellings(tok, ids, T));
		for (size_t i = 0; i < n_saves; i++)
			json_array_append_new(js, json_pack("{s:s,s:s,s:[I,I]}", "hook", saves[i].hook, "file",
			                                    saves[i].file, "shape", (json_int_t)saves[i].T,
			                                    (json_int_t)saves[i].width));
		json_object_set_new(doc, "saved", js);
		if (sae) {
			json_t *jt = json_array();
			for (size_t t = 0; t < T; t++) {
				json_t *row = json_array();
				int64_t *top = xmalloc((size_t)top_k * sizeof *top);
				int n = run_top(feats + t * (size_t)d_sae, d_sae, top_k, top);
				for (int i = 0; i < n; i++)
					json_array_append_new(row, json_pack("{s:I,s:o}", "index", (json_int_t)top[i], "value",
					                                     cli_json_f32(feats[t * (size_t)d_sae + (size_t)top[i]])));
				free(top);
				json_array_append_new(jt, row);
			}
			json_object_set_new(doc, "sae", json_pack("{s:s,s:o}", "hook", sae_act.hook, "top", jt));
		}
		if (logits_file)
			json_object_set_new(doc, "logits", json_pack("{s:s,s:[I,I]}", "file", logits_file, "shape",
			                                             (json_int_t)T, (json_int_t)c->vocab));
		cli_put_json(stdout, doc, 0);
		json_decref(doc);
	} else {
		cli_style cs;
		cli_style_init(&cs, stdout);
		sb out = {0};
		for (size_t t = 0; t < T; t++) {
			size_t k = 0;
			const char *p = tok ? saex_tok_bytes(tok, ids[t], &k) : NULL;
			sb_printf(&out, "%zu\t%u", t, ids[t]);
			if (p) {
				sb_addc(&out, '\t');
				cli_put_text(&out, &cs, p, k, 0);
			}
			if (sae) {
				int64_t *top = xmalloc((size_t)top_k * sizeof *top);
				int n = run_top(feats + t * (size_t)d_sae, d_sae, top_k, top);
				for (int i = 0; i < n; i++)
					sb_printf(&out, "%s%lld:%g", i ? " " : "\t", (long long)top[i],
					          (double)feats[t * (size_t)d_sae + (size_t)top[i]]);
				free(top);
			}
			sb_addc(&out, '\n');
		}
		for (size_t i = 0; i < n_saves; i++) {
			sb_printf(&out, "saved %s [%zu, %zu] to ", saves[i].hook, saves[i].T, saves[i].width);
			cli_put_text(&out, &cs, saves[i].file, strlen(saves[i].file), 0);
			sb_addc(&out, '\n');
		}
		if (logits_file) {
			sb_printf(&out, "saved logits [%zu, %d] to ", T, c->vocab);
			cli_put_text(&out, &cs, logits_file, strlen(logits_file), 0);
			sb_addc(&out, '\n');
		}
		fwrite(out.p ? out.p : "", 1, out.n, stdout);
		sb_free(&out);
	}
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_DATA;
out:
	saex_tok_free(cli_tok_join(&tok_job)); /* NULL once cli_prompt took it */
	sb_free(&sae_msg);
	for (size_t i = 0; i < n_saves; i++)
		free(saves[i].data);
	free(saves);
	free(hooks);
	cli_steer_free(&cst);
	free(sae_act.data);
	free(feats);
	saex_sae_free(sae);
	free(logits);
	free(ids);
	saex_tok_free(tok);
	saex_model_free(m);
	return rc;
}
