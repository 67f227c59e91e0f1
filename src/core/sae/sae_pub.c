/* sae_pub.c - the publishers' own layouts (saex_sae.h): Gemma Scope's
 * params.npz, Gemma Scope 2's params.safetensors + config.json, Llama
 * Scope's hyperparams.json + checkpoints/final.safetensors, and EleutherAI
 * sparsify's cfg.json + sae.safetensors. Where a layout has no config
 * (Gemma Scope), or its config says less than saex needs, the facts come
 * from the folder's path as its repository lays it out, the way SAELens's
 * loaders take them. */
#include "config.h"
#include "saex.h"
#include "sae_int.h"
#include "tensor_util.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- paths */

/* The path component of dir that starts with prefix (after an optional
 * Hugging Face cache "models--ORG--"), copied into out; 0, or -1 when none. */
static int path_part(const char *dir, const char *prefix, char *out, size_t outlen)
{
	const char *p = dir;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *c = p;
		if (n > 8 && !strncmp(c, "models--", 8)) { /* models--ORG--NAME */
			const char *dd = strstr(c + 8, "--");
			if (dd && dd < p + n)
				c = dd + 2;
		}
		size_t cn = n - (size_t)(c - p), pn = strlen(prefix);
		if (cn >= pn && cn < outlen && !strncmp(c, prefix, pn)) {
			memcpy(out, c, cn);
			out[cn] = 0;
			return 0;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	return -1;
}

/* The number after "key" in the first component of dir holding it
 * ("layer_" in ".../layer_20/..." or "layer_5_width_16k"), or -1. */
static long path_number(const char *dir, const char *key)
{
	for (const char *p = strstr(dir, key); p; p = strstr(p + 1, key)) {
		if (p != dir && p[-1] != '/' && p[-1] != '_')
			continue;
		char *e;
		long v = strtol(p + strlen(key), &e, 10);
		if (e != p + strlen(key) && v >= 0 && v < (1L << 20) && (*e == '/' || *e == '_' || *e == 0))
			return v;
	}
	return -1;
}

/* The width a Gemma Scope folder names (width_16k = 16384, width_1m =
 * 1048576), or -1. */
static int64_t path_width(const char *dir)
{
	const char *p = strstr(dir, "width_");
	if (!p)
		return -1;
	char *e;
	long v = strtol(p + 6, &e, 10);
	if (e == p + 6 || v <= 0 || v > 1L << 20)
		return -1;
	return *e == 'k' ? (int64_t)v << 10 : *e == 'm' ? (int64_t)v << 20 : v;
}

/* ---------------------------------------------------------------- Gemma Scope */

/* The repository google/gemma-scope-SIZE-VARIANT-KIND named in dir. */
typedef struct gs_repo {
	char size[16], variant[8], kind[16];
} gs_repo;

static int gs_repo_of(const char *dir, gs_repo *r)
{
	char name[128];
	if (path_part(dir, "gemma-scope-", name, sizeof name) || !strncmp(name, "gemma-scope-2-", 14))
		return -1;
	return sscanf(name, "gemma-scope-%15[0-9a-z]-%7[a-z]-%15[a-z]", r->size, r->variant, r->kind) == 3 ? 0 : -1;
}

/* The hooks of a Gemma Scope folder from its repository's kind and layer. */
static int gs_hooks(sae_ld *l, const char *dir)
{
	saex_sae_info *in = &l->s->info;
	gs_repo r;
	char hook[64] = "", hook_out[64] = "", model[64] = "";
	const char *arch = "jumprelu";
	long layer = path_number(dir, "layer_");
	int embedding = path_part(dir, "embedding", model, sizeof model) == 0;
	model[0] = 0;
	if (gs_repo_of(dir, &r) == 0 && (layer >= 0 || embedding)) {
		snprintf(model, sizeof model, "gemma-2-%s%s", r.size, strcmp(r.variant, "it") ? "" : "-it");
		if (!strcmp(r.kind, "res") && embedding)
			snprintf(hook, sizeof hook, "hook_embed");
		else if (!strcmp(r.kind, "res"))
			snprintf(hook, sizeof hook, "blocks.%ld.hook_resid_post", layer);
		else if (!strcmp(r.kind, "mlp"))
			snprintf(hook, sizeof hook, "blocks.%ld.hook_mlp_out", layer);
		else if (!strcmp(r.kind, "att")) {
			snprintf(hook, sizeof hook, "blocks.%ld.attn.hook_z", layer);
			in->reshape_hook_z = 1;
		} else if (!strcmp(r.kind, "transcoders")) {
			snprintf(hook, sizeof hook, "blocks.%ld.ln2.hook_normalized", layer);
			snprintf(hook_out, sizeof hook_out, "blocks.%ld.hook_mlp_out", layer);
			arch = "jumprelu_transcoder";
			in->transcoder = 1;
		}
	}
	if (embedding && !strcmp(hook, "hook_embed")) {
		/* trained on the unscaled embedding: SAELens divides W_enc and
		 * multiplies W_dec by sqrt(d_in) for TransformerLens's hook_embed */
		l->s->scale_in = in->scale_in = (float)(1 / sqrt((double)in->d_in));
		l->s->dec_mul = (float)sqrt((double)in->d_in);
	}
	return sae_set_strings(l, hook, hook_out, model, arch);
}

/* name, or its lower-case w_ spelling when the file has that one */
static const char *gs_name(const sae_ld *l, const char *upper, const char *lower)
{
	return sae_find(l, upper) || !sae_find(l, lower) ? upper : lower;
}

/* W_enc, W_dec, b_enc, b_dec, threshold and an optional skip; d_in and
 * d_sae from W_enc, d_out from W_dec. */
static int gs_tensors(sae_ld *l, const char *skip_name, int skip_t)
{
	saex_sae *s = l->s;
	saex_sae_info *in = &s->info;
	const char *we_n = gs_name(l, "W_enc", "w_enc"), *wd_n = gs_name(l, "W_dec", "w_dec");
	const saex_tensor *we = sae_find(l, we_n), *wd = sae_find(l, wd_n), *t = NULL;
	l->dims_from = "the shape of W_enc";
	if (!we || we->ndim != 2 || we->shape[0] < 1 || we->shape[1] < 1)
		return tensor_fail(l->err, l->errlen, "%s: tensor '%s' is %s", l->wpath, we_n,
		                   we ? "not a matrix [d_in, d_sae]" : "missing (a JumpReLU SAE needs it)");
	in->d_in = we->shape[0];
	in->d_sae = we->shape[1];
	in->d_out = in->d_in; /* every Gemma Scope SAE and transcoder writes as wide as it reads */
	if (wd && wd->ndim > 2)
		return tensor_fail(l->err, l->errlen, "%s: tensor '%s' has %d dimensions: a cross-layer transcoder, "
		                   "which saex does not run", l->wpath, wd_n, wd->ndim);
	int64_t di = in->d_in, ds = in->d_sae, dout = in->d_out;
	const saex_tensor *sk = skip_name ? sae_find(l, skip_name) : NULL;
	if (sae_want(l, we_n, 2, di, ds, &we) || sae_want(l, wd_n, 2, ds, dout, &wd) ||
	    sae_take_mat(l, we, 0, &s->enc) || sae_take_mat(l, wd, 0, &s->dec) ||
	    sae_want(l, "b_enc", 1, ds, 0, &t) || sae_take_vec(l, t, ds, 0, &s->b_enc) ||
	    sae_want(l, "b_dec", 1, dout, 0, &t) || sae_take_vec(l, t, dout, 0, &s->b_dec_out) ||
	    sae_want(l, "threshold", 1, ds, 0, &t) || sae_take_vec(l, t, ds, 0, &s->threshold))
		return -1;
	if (sk && (sae_want(l, skip_name, 2, skip_t ? di : dout, skip_t ? dout : di, &sk) ||
	           sae_take_mat(l, sk, skip_t, &s->skip)))
		return -1;
	return 0;
}

/* Checks the width the folder names against the tensors'. */
static int gs_width(sae_ld *l, const char *dir)
{
	int64_t w = path_width(dir);
	if (w > 0 && w != l->s->info.d_sae)
		return tensor_fail(l->err, l->errlen, "%s: the folder names width %lld but the tensors hold %lld features",
		                   l->wpath, (long long)w, (long long)l->s->info.d_sae);
	return 0;
}

int sae_load_gemma_scope(sae_ld *l, const char *dir)
{
	saex_sae_info *in = &l->s->info;
	char *p = sae_path(dir, "params.npz");
	in->format = SAEX_FMT_GEMMA_SCOPE;
	in->arch = SAEX_SAE_JUMPRELU;
	int rc = !p ? tensor_fail(l->err, l->errlen, "%s: out of memory", dir)
	            : sae_open_weights(l, p, 1) || gs_tensors(l, NULL, 0) || gs_width(l, dir) || gs_hooks(l, dir) ||
	                  sae_finish(l);
	free(p);
	return rc ? -1 : 0;
}

/* ---------------------------------------------------------------- Gemma Scope 2 */

/* A Hugging Face module name of Gemma 3 (hf_hook_point_in/out) as a
 * TransformerLens hook: "" when saex has no such hook. */
static void hf_hook(const char *hf, char *out, size_t outlen)
{
	static const struct {
		const char *suffix, *hook;
	} map[] = {
		{"output", "hook_resid_post"},
		{"pre_feedforward_layernorm.output", "mlp.hook_in"},
		{"post_feedforward_layernorm.output", "hook_mlp_out"},
		{"self_attn.o_proj.input", "attn.hook_z"},
		{"post_attention_layernorm.output", "hook_attn_out"},
	};
	out[0] = 0;
	const char *p = strstr(hf ? hf : "", "layers.");
	char *e;
	if (!p || (p != hf && p[-1] != '.'))
		return;
	long layer = strtol(p + 7, &e, 10);
	if (e == p + 7 || *e != '.' || layer < 0 || layer >= (1L << 20))
		return;
	for (size_t i = 0; i < SAEX_ARRAY_LEN(map); i++)
		if (!strcmp(e + 1, map[i].suffix))
			snprintf(out, outlen, "blocks.%ld.%s", layer, map[i].hook);
}

/* The Hugging Face hook points of a folder without config.json, from its
 * site (resid_post, attn_out, mlp_out, transcoder) and layer_L_. */
static int gs2_infer_hooks(const char *dir, char *in, char *out, size_t n)
{
	long layer = path_number(dir, "layer_");
	const char *sites[][3] = {
		{"resid_post", "output", ""},
		{"attn_out", "self_attn.o_proj.input", ""},
		{"mlp_out", "post_feedforward_layernorm.output", ""},
		{"transcoder", "pre_feedforward_layernorm.output", "post_feedforward_layernorm.output"},
	};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(sites) && layer >= 0; i++) {
		char part[64];
		if (path_part(dir, sites[i][0], part, sizeof part))
			continue;
		snprintf(in, n, "model.layers.%ld.%s", layer, sites[i][1]);
		out[0] = 0;
		if (sites[i][2][0])
			snprintf(out, n, "model.layers.%ld.%s", layer, sites[i][2]);
		return 0;
	}
	return -1;
}

/* config.json (optional): hooks, model and architecture. */
static int gs2_config(sae_ld *l, const char *dir)
{
	saex_sae_info *in = &l->s->info;
	char hf_in[128] = "", hf_out[128] = "", hook[64], hook_out[64], model[96] = "", part[64];
	const char *arch = "jump_relu";
	json_t *root = NULL;
	char *cfg = sae_path(dir, "config.json");
	int rc = -1;
	if (!cfg)
		return tensor_fail(l->err, l->errlen, "%s: out of memory", dir);
	if (sae_has(dir, "config.json")) {
		if (!(root = tensor_json_object(cfg, l->err, l->errlen)))
			goto out;
		json_t *a = json_object_get(root, "architecture"), *hi = json_object_get(root, "hf_hook_point_in"),
		       *ho = json_object_get(root, "hf_hook_point_out"), *mn = json_object_get(root, "model_name");
		if (a && (!json_is_string(a) || (strcmp(json_string_value(a), "jump_relu") &&
		                                 strcmp(json_string_value(a), "jumprelu")))) {
			tensor_fail(l->err, l->errlen, "%s: architecture %s is not supported (jump_relu)", cfg,
			            json_is_string(a) ? json_string_value(a) : "(not a string)");
			goto out;
		}
		if (!json_is_string(hi)) {
			tensor_fail(l->err, l->errlen, "%s: 'hf_hook_point_in' is %s", cfg, hi ? "not a string" : "missing");
			goto out;
		}
		snprintf(hf_in, sizeof hf_in, "%s", json_string_value(hi));
		snprintf(hf_out, sizeof hf_out, "%s", json_is_string(ho) ? json_string_value(ho) : "");
		if (json_is_string(mn))
			snprintf(model, sizeof model, "%s%s", strchr(json_string_value(mn), '/') ? "" : "google/",
			         json_string_value(mn));
	} else if (gs2_infer_hooks(dir, hf_in, hf_out, sizeof hf_in)) {
		tensor_fail(l->err, l->errlen, "%s: no config.json, and the folder names no site (resid_post, attn_out, "
		            "mlp_out, transcoder) and layer_L_ to take the hooks from", dir);
		goto out;
	}
	if (path_part(dir, "clt", part, sizeof part) == 0) {
		tensor_fail(l->err, l->errlen, "%s: a cross-layer transcoder (clt), which saex does not run", dir);
		goto out;
	}
	hf_hook(hf_in, hook, sizeof hook);
	hf_hook(hf_out, hook_out, sizeof hook_out);
	if (!hook[0] || (hf_out[0] && strcmp(hf_out, hf_in) && !hook_out[0])) {
		tensor_fail(l->err, l->errlen, "%s: hook point %s has no TransformerLens hook in saex", root ? cfg : dir,
		            hook[0] ? hf_out : hf_in);
		goto out;
	}
	if (strcmp(hook, hook_out[0] ? hook_out : hook)) {
		arch = l->s->skip.p ? "jumprelu_skip_transcoder" : "jumprelu_transcoder";
		in->transcoder = 1;
	}
	char repo[64];
	if (path_part(dir, "gemma-scope-2-", repo, sizeof repo) == 0) /* the model the repository names */
		snprintf(model, sizeof model, "google/gemma-3-%s", repo + 14);
	rc = sae_set_strings(l, hook, hook_out, model, arch);
out:
	json_decref(root);
	free(cfg);
	return rc;
}

int sae_load_gemma_scope_2(sae_ld *l, const char *dir)
{
	saex_sae_info *in = &l->s->info;
	char *p = sae_path(dir, "params.safetensors");
	in->format = SAEX_FMT_GEMMA_SCOPE_2;
	in->arch = SAEX_SAE_JUMPRELU;
	/* the skip connection [d_in, d_out] adds x W (the Gemma Scope 2 tutorial) */
	int rc = !p ? tensor_fail(l->err, l->errlen, "%s: out of memory", dir)
	            : sae_open_weights(l, p, 0) || gs_tensors(l, "affine_skip_connection", 1) || gs_width(l, dir) ||
	                  gs2_config(l, dir) || sae_finish(l);
	free(p);
	return rc ? -1 : 0;
}

/* ---------------------------------------------------------------- Llama Scope */

/* A number field of o; -1 with err when absent or not a number. */
static int num_field(sae_ld *l, json_t *o, const char *key, const char *path, double *v)
{
	json_t *j = json_object_get(o, key);
	if (!json_is_number(j))
		return tensor_fail(l->err, l->errlen, "%s: '%s' is %s", path, key, j ? "not a number" : "missing");
	*v = json_number_value(j);
	return 0;
}

/* hyperparams.json into the info; *s_in the dataset-wise factor (1: none),
 * *theta the JumpReLU threshold, *bias_in apply_decoder_bias_to_pre_encoder. */
static int ls_hyper(sae_ld *l, const char *path, double *s_in, double *theta, int *bias_in)
{
	saex_sae_info *in = &l->s->info;
	json_t *root = tensor_json_object(path, l->err, l->errlen);
	if (!root)
		return -1;
	double dm, ds, ef = 0;
	int rc = -1;
	json_t *hi = json_object_get(root, "hook_point_in"), *ho = json_object_get(root, "hook_point_out");
	json_t *act = json_object_get(root, "act_fn"), *na = json_object_get(root, "norm_activation");
	const char *fn = json_is_string(act) ? json_string_value(act) : "relu";
	if (num_field(l, root, "d_model", path, &dm))
		goto out;
	if (json_object_get(root, "d_sae") ? num_field(l, root, "d_sae", path, &ds)
	                                   : num_field(l, root, "expansion_factor", path, &ef))
		goto out;
	if (ef)
		ds = ef * dm;
	if (!(dm >= 1 && dm <= (1 << 30) && dm == floor(dm)) || !(ds >= 1 && ds <= (1 << 30) && ds == floor(ds))) {
		tensor_fail(l->err, l->errlen, "%s: 'd_model' and 'd_sae' must be positive integers", path);
		goto out;
	}
	in->d_in = in->d_out = (int64_t)dm;
	in->d_sae = (int64_t)ds;
	if (!json_is_string(hi)) {
		tensor_fail(l->err, l->errlen, "%s: 'hook_point_in' is %s", path, hi ? "not a string" : "missing");
		goto out;
	}
	*theta = 0;
	if (json_object_get(root, "jump_relu_threshold") && num_field(l, root, "jump_relu_threshold", path, theta))
		goto out;
	if (!strcmp(fn, "jumprelu") || (!strcmp(fn, "topk") && *theta > 0)) /* LMS runs a thresholded top-k as JumpReLU */
		in->arch = SAEX_SAE_JUMPRELU;
	else if (!strcmp(fn, "relu"))
		in->arch = SAEX_SAE_STANDARD;
	else {
		tensor_fail(l->err, l->errlen, "%s: act_fn '%s' is not supported (jumprelu, topk with a jump_relu_threshold, "
		            "relu)", path, fn);
		goto out;
	}
	*s_in = 1;
	if (json_is_string(na) && !strcmp(json_string_value(na), "dataset-wise")) {
		json_t *norms = json_object_get(root, "dataset_average_activation_norm");
		double n_in;
		if (!json_is_object(norms)) {
			tensor_fail(l->err, l->errlen, "%s: dataset-wise normalisation needs 'dataset_average_activation_norm'",
			            path);
			goto out;
		}
		if (num_field(l, norms, "in", path, &n_in))
			goto out;
		if (!(n_in > 0) || !isfinite(n_in)) {
			tensor_fail(l->err, l->errlen, "%s: dataset_average_activation_norm.in is %g: a norm must be above 0",
			            path, n_in);
			goto out;
		}
		*s_in = sqrt(dm) / n_in;
		in->norm = SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN;
	} else if (json_is_string(na) && strcmp(json_string_value(na), "inference")) {
		tensor_fail(l->err, l->errlen, "%s: norm_activation '%s' is not supported (dataset-wise, inference)", path,
		            json_string_value(na));
		goto out;
	}
	json_t *ab = json_object_get(root, "apply_decoder_bias_to_pre_encoder");
	*bias_in = json_is_true(ab);
	char model[64] = "";
	if (strstr(l->s->dir, "Llama3_1-8B")) /* every Llama Scope release is of Llama 3.1 8B */
		snprintf(model, sizeof model, "meta-llama/Llama-3.1-8B");
	rc = sae_set_strings(l, json_string_value(hi), json_is_string(ho) ? json_string_value(ho) : NULL, model, fn);
out:
	json_decref(root);
	return rc;
}

/* The weights file, in Language-Model-SAEs's order of preference. */
static char *ls_weights(const char *dir)
{
	static const char *const names[] = {"sae_weights.safetensors", "checkpoints/pruned.safetensors",
	                                    "checkpoints/final.safetensors"};
	for (size_t i = 0; i < SAEX_ARRAY_LEN(names); i++)
		if (sae_has(dir, names[i]))
			return sae_path(dir, names[i]);
	return sae_path(dir, "checkpoints/final.safetensors");
}

int sae_load_llama_scope(sae_ld *l, const char *dir)
{
	saex_sae *s = l->s;
	saex_sae_info *in = &s->info;
	char *hp = sae_path(dir, "hyperparams.json"), *wp = ls_weights(dir);
	double s_in = 1, theta = 0;
	int bias_in = 0, rc = -1;
	in->format = SAEX_FMT_LLAMA_SCOPE;
	l->dims_from = "hyperparams.json";
	if (!hp || !wp) {
		tensor_fail(l->err, l->errlen, "%s: out of memory", dir);
		goto out;
	}
	if (ls_hyper(l, hp, &s_in, &theta, &bias_in) || sae_open_weights(l, wp, 0))
		goto out;
	int64_t di = in->d_in, ds = in->d_sae, dout = in->d_out;
	const saex_tensor *we = NULL, *wd = NULL, *t = NULL;
	if (sae_want(l, "encoder.weight", 2, ds, di, &we) || sae_want(l, "decoder.weight", 2, dout, ds, &wd) ||
	    sae_want(l, "encoder.bias", 1, ds, 0, &t) || sae_take_vec(l, t, ds, 0, &s->b_enc) ||
	    sae_take_mat(l, we, 1, &s->enc) || sae_take_mat(l, wd, 1, &s->dec))
		goto out;
	if ((t = sae_find(l, "decoder.bias")) ? sae_want(l, "decoder.bias", 1, dout, 0, &t) ||
	                                            sae_take_vec(l, t, dout, 0, &s->b_dec_out)
	                                      : !(s->b_dec_out = sae_fill(l, dout, 0)))
		goto out;
	if (bias_in) { /* subtracted in the normalised space, as trained */
		if (di != dout) {
			tensor_fail(l->err, l->errlen, "%s: apply_decoder_bias_to_pre_encoder needs d_out = d_in", hp);
			goto out;
		}
		if (!(s->b_dec_in = sae_fill(l, di, 0)))
			goto out;
		memcpy(s->b_dec_in, s->b_dec_out, (size_t)di * sizeof(float));
	}
	in->apply_b_dec_to_input = bias_in;
	/* SAELens's fold (what Neuronpedia runs): W_enc * s, threshold
	 * theta * s, W_dec / s, b_dec / s; here inputs * s and outputs / s */
	if (in->arch == SAEX_SAE_JUMPRELU && !(s->threshold = sae_fill(l, ds, (float)(theta * s_in))))
		goto out;
	s->scale_in = in->scale_in = (float)s_in;
	s->dec_mul = (float)(1 / s_in);
	for (int64_t j = 0; j < dout; j++)
		s->b_dec_out[j] = (float)(s->b_dec_out[j] / s_in);
	rc = sae_finish(l);
out:
	free(hp);
	free(wp);
	return rc;
}

/* ---------------------------------------------------------------- sparsify */

/* A sparsify hookpoint (a Hugging Face module name under the base model)
 * as TransformerLens hooks: layers.L (h.L) the block's output, .mlp the
 * MLP's, embed_tokens (wte, embed_in) the embedding; a transcoder reads
 * the module's input. "" when saex has no such hook. */
static void sp_hooks(const char *point, int transcode, char *hook, char *hook_out, size_t n)
{
	hook[0] = hook_out[0] = 0;
	if (!strcmp(point, "embed_tokens") || !strcmp(point, "wte") || !strcmp(point, "embed_in")) {
		if (!transcode)
			snprintf(hook, n, "hook_embed");
		return;
	}
	const char *p = strstr(point, "layers.");
	p = p ? p + 7 : !strncmp(point, "h.", 2) ? point + 2 : NULL;
	char *e;
	long layer = p ? strtol(p, &e, 10) : -1;
	if (!p || e == p || layer < 0 || layer >= (1L << 20))
		return;
	if (!*e) {
		snprintf(hook, n, transcode ? "blocks.%ld.hook_resid_pre" : "blocks.%ld.hook_resid_post", layer);
		if (transcode)
			snprintf(hook_out, n, "blocks.%ld.hook_resid_post", layer);
	} else if (!strcmp(e, ".mlp")) {
		snprintf(hook, n, transcode ? "blocks.%ld.mlp.hook_in" : "blocks.%ld.hook_mlp_out", layer);
		if (transcode)
			snprintf(hook_out, n, "blocks.%ld.hook_mlp_out", layer);
	} else if (!transcode && (!strcmp(e, ".self_attn") || !strcmp(e, ".attn") || !strcmp(e, ".attention")))
		snprintf(hook, n, "blocks.%ld.hook_attn_out", layer);
}

/* The model of a sparsify run: its root config.json's "model". */
static void sp_model(const char *dir, char *out, size_t n)
{
	out[0] = 0;
	char *cfg = sae_path(dir, "../config.json");
	json_t *root = cfg ? tensor_json_optional(cfg) : NULL;
	json_t *m = json_object_get(root, "model");
	if (json_is_string(m))
		snprintf(out, n, "%s", json_string_value(m));
	json_decref(root);
	free(cfg);
}

static int sp_cfg(sae_ld *l, const char *dir, const char *path, int *transcode, int *skip)
{
	saex_sae_info *in = &l->s->info;
	json_t *root = tensor_json_object(path, l->err, l->errlen);
	if (!root)
		return -1;
	int rc = -1;
	double di, k, nl = 0, ef = 0;
	json_t *act = json_object_get(root, "activation");
	const char *fn = json_is_string(act) ? json_string_value(act) : "topk";
	if (num_field(l, root, "d_in", path, &di) || num_field(l, root, "k", path, &k))
		goto out;
	if (json_object_get(root, "num_latents") && num_field(l, root, "num_latents", path, &nl))
		goto out;
	if (!nl && num_field(l, root, "expansion_factor", path, &ef))
		goto out;
	double ds = nl ? nl : ef * di;
	if (!(di >= 1 && di <= (1 << 30) && di == floor(di)) || !(ds >= 1 && ds <= (1 << 30) && ds == floor(ds)) ||
	    !(k >= 1 && k <= ds && k == floor(k))) {
		tensor_fail(l->err, l->errlen, "%s: d_in, num_latents (or d_in * expansion_factor) and k must be positive "
		            "integers, k at most the latents", path);
		goto out;
	}
	in->d_in = in->d_out = (int64_t)di;
	in->d_sae = (int64_t)ds;
	in->k = (int)k;
	if (!strcmp(fn, "topk"))
		in->arch = SAEX_SAE_TOPK;
	else if (!strcmp(fn, "groupmax") && in->d_sae % in->k == 0)
		in->arch = SAEX_SAE_GROUPMAX;
	else {
		tensor_fail(l->err, l->errlen, "%s: activation '%s' is not supported (topk; groupmax with k dividing the "
		            "latents)", path, fn);
		goto out;
	}
	if (json_is_true(json_object_get(root, "signed"))) {
		tensor_fail(l->err, l->errlen, "%s: signed activations are not supported", path);
		goto out;
	}
	*transcode = json_is_true(json_object_get(root, "transcode"));
	*skip = json_is_true(json_object_get(root, "skip_connection"));
	const char *slash = strrchr(dir, '/'), *point = slash && slash[1] ? slash + 1 : dir;
	char hook[64], hook_out[64], model[128];
	sp_hooks(point, *transcode, hook, hook_out, sizeof hook);
	sp_model(dir, model, sizeof model);
	in->apply_b_dec_to_input = !*transcode;
	rc = sae_set_strings(l, hook, hook_out, model, fn);
out:
	json_decref(root);
	return rc;
}

int sae_load_sparsify(sae_ld *l, const char *dir)
{
	saex_sae *s = l->s;
	saex_sae_info *in = &s->info;
	char *cfg = sae_path(dir, "cfg.json"), *wp = sae_path(dir, "sae.safetensors");
	int transcode = 0, skip = 0, rc = -1;
	in->format = SAEX_FMT_SPARSIFY;
	if (!cfg || !wp) {
		tensor_fail(l->err, l->errlen, "%s: out of memory", dir);
		goto out;
	}
	if (sp_cfg(l, dir, cfg, &transcode, &skip) || sae_open_weights(l, wp, 0))
		goto out;
	int64_t di = in->d_in, ds = in->d_sae;
	const saex_tensor *we = NULL, *wd = NULL, *t = NULL, *ws = NULL;
	in->transcoder = transcode;
	if (sae_want(l, "encoder.weight", 2, ds, di, &we) || sae_take_mat(l, we, 1, &s->enc) ||
	    sae_want(l, "encoder.bias", 1, ds, 0, &t) || sae_take_vec(l, t, ds, 0, &s->b_enc) ||
	    sae_want(l, "W_dec", 2, ds, di, &wd) || sae_take_mat(l, wd, 0, &s->dec) ||
	    sae_want(l, "b_dec", 1, di, 0, &t) || sae_take_vec(l, t, di, 0, &s->b_dec_out) ||
	    (skip && (sae_want(l, "W_skip", 2, di, di, &ws) || sae_take_mat(l, ws, 0, &s->skip))))
		goto out;
	if (in->apply_b_dec_to_input && sae_take_vec(l, t, di, 0, &s->b_dec_in))
		goto out;
	rc = sae_finish(l);
out:
	free(cfg);
	free(wp);
	return rc;
}
