/* sae_load.c - saex_sae_load: which layout a folder holds, the helpers
 * every loader takes its tensors with (sae_int.h), and SAELens folders
 * (cfg.json + sae_weights.safetensors). */
#include "config.h"
#include "saex.h"
#include "sae_int.h"
#include "tensor_util.h"
#include "util.h"

#include <cblas.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- helpers */

char *sae_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int sae_has(const char *dir, const char *name)
{
	char *p = sae_path(dir, name);
	struct stat st;
	int ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return ok;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int sae_set_strings(sae_ld *l, const char *hook, const char *hook_out, const char *model, const char *arch)
{
	saex_sae *s = l->s;
	free(s->hook);
	free(s->hook_out);
	free(s->model_name);
	free(s->arch_name);
	s->hook = dup_or_empty(hook);
	s->hook_out = dup_or_empty(hook_out && *hook_out ? hook_out : hook);
	s->model_name = dup_or_empty(model);
	s->arch_name = dup_or_empty(arch);
	if (!s->hook || !s->hook_out || !s->model_name || !s->arch_name)
		return tensor_fail(l->err, l->errlen, "%s: out of memory", s->dir);
	s->info.hook_name = s->hook;
	s->info.hook_name_out = s->hook_out;
	s->info.model_name = s->model_name;
	s->info.arch_name = s->arch_name;
	return 0;
}

int sae_open_weights(sae_ld *l, const char *path, int npz)
{
	saex_sae *s = l->s;
	if (!(s->weights = strdup(path)))
		return tensor_fail(l->err, l->errlen, "%s: out of memory", path);
	s->info.weights = l->wpath = s->weights;
	if (npz)
		s->npz = saex_npz_open(path, l->err, l->errlen);
	else
		s->st = saex_safetensors_open(path, l->err, l->errlen);
	return s->npz || s->st ? 0 : -1;
}

const saex_tensor *sae_find(const sae_ld *l, const char *name)
{
	return l->s->st ? saex_safetensors_find(l->s->st, name) : l->s->npz ? saex_npz_find(l->s->npz, name) : NULL;
}

const saex_tensor *sae_find_any(const sae_ld *l, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		const saex_tensor *t = sae_find(l, names[i]);
		if (t)
			return t;
	}
	return NULL;
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape)
{
	size_t o = 0;
	buf[0] = 0;
	for (int i = 0; i < ndim && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
}

int sae_want(const sae_ld *l, const char *name, int ndim, int64_t d0, int64_t d1, const saex_tensor **out)
{
	const saex_sae_info *in = &l->s->info;
	const saex_tensor *t = sae_find(l, name);
	*out = NULL;
	if (!t)
		return tensor_fail(l->err, l->errlen, "%s: tensor '%s' is missing (a %s %s needs it)", l->wpath, name,
		                   l->s->arch_name ? l->s->arch_name : saex_sae_arch_name(in->arch),
		                   in->transcoder ? "transcoder" : "SAE");
	if (t->ndim == ndim && t->shape[0] == d0 && (ndim < 2 || t->shape[1] == d1)) {
		*out = t;
		return 0;
	}
	char got[160], want[64];
	int64_t w[2] = {d0, d1};
	shape_text(got, sizeof got, t->ndim, t->shape);
	shape_text(want, sizeof want, ndim, w);
	char outs[48] = "";
	if (in->d_out != in->d_in)
		snprintf(outs, sizeof outs, ", d_out %lld", (long long)in->d_out);
	return tensor_fail(l->err, l->errlen, "%s: tensor '%s' has shape [%s], wanted [%s] (d_in %lld, d_sae %lld%s %s %s)",
	                   l->wpath, t->name, got, want, (long long)in->d_in, (long long)in->d_sae, outs,
	                   strchr(l->dims_from, '.') ? "in" : "from", l->dims_from);
}

/* Memory the SAE frees with itself. */
static float *own(sae_ld *l, size_t n)
{
	saex_sae *s = l->s;
	float *p = s->n_owned < SAE_MAX_OWNED ? malloc(n ? n * sizeof(float) : 1) : NULL;
	if (!p) {
		tensor_fail(l->err, l->errlen, "%s: out of memory for %zu floats", l->wpath, n);
		return NULL;
	}
	s->owned[s->n_owned++] = p;
	return p;
}

/* NaN or infinity in a weight would pass through ReLU as 0 and leave its
 * feature silently dead: -1 with the tensor and the first such position
 * (in t's own shape) when any of p's n float32 values (any alignment) is
 * one. */
static int finite_or_fail(sae_ld *l, const saex_tensor *t, const unsigned char *p, uint64_t n)
{
	uint64_t i = util_first_nonfinite(p, n);
	if (i >= n)
		return 0;
	uint32_t u;
	memcpy(&u, p + i * 4, sizeof u);
	const char *what = (u & 0x007fffffu) ? "NaN" : "infinity";
	if (t->ndim == 2)
		return tensor_fail(l->err, l->errlen, "%s: tensor '%s' holds %s at [%llu, %llu]", l->wpath, t->name, what,
		                   (unsigned long long)(i / (uint64_t)t->shape[1]),
		                   (unsigned long long)(i % (uint64_t)t->shape[1]));
	return tensor_fail(l->err, l->errlen, "%s: tensor '%s' holds %s at [%llu]", l->wpath, t->name, what,
	                   (unsigned long long)i);
}

int sae_take_mat(sae_ld *l, const saex_tensor *t, int transposed, sae_mat *m)
{
	m->t = transposed;
	if (!l->n_mats++)
		l->s->info.dtype = t->dtype;
	if (t->dtype == SAEX_F32 && tensor_host_le()) {
		m->p = t->data; /* in the map, as the file aligns it */
		m->aligned = ((uintptr_t)m->p & (sizeof(float) - 1)) == 0;
		tensor_prefault(m->p, (size_t)t->nbytes); /* the check reads every page */
		return finite_or_fail(l, t, m->p, t->numel);
	}
	m->aligned = 1;
	l->s->info.zero_copy = 0;
	float *p = own(l, (size_t)t->numel);
	if (!p)
		return -1;
	tensor_to_f32(p, t->data, t->numel, t->dtype);
	m->p = (const unsigned char *)p;
	return finite_or_fail(l, t, m->p, t->numel);
}

int sae_take_vec(sae_ld *l, const saex_tensor *t, int64_t n, int broadcast, float **out)
{
	float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
	if (!p)
		return tensor_fail(l->err, l->errlen, "%s: out of memory", l->wpath);
	if (t->numel == (uint64_t)n)
		tensor_to_f32(p, t->data, t->numel, t->dtype);
	else if (broadcast && t->numel == 1) {
		tensor_to_f32(p, t->data, 1, t->dtype);
		for (int64_t i = 1; i < n; i++)
			p[i] = p[0];
	} else {
		free(p);
		return tensor_fail(l->err, l->errlen, "%s: tensor '%s' holds %llu values, wanted %lld%s", l->wpath, t->name,
		                   (unsigned long long)t->numel, (long long)n, broadcast ? " (or 1)" : "");
	}
	if (finite_or_fail(l, t, (const unsigned char *)p, t->numel == 1 ? 1 : (uint64_t)n)) {
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

float *sae_fill(sae_ld *l, int64_t n, float v)
{
	float *p = malloc((size_t)(n ? n : 1) * sizeof *p);
	if (!p) {
		tensor_fail(l->err, l->errlen, "%s: out of memory", l->wpath);
		return NULL;
	}
	for (int64_t i = 0; i < n; i++)
		p[i] = v;
	return p;
}

int sae_hook_layer(const char *hook)
{
	int layer;
	saex_hook_kind kind;
	return hook && *hook && saex_hook_parse(hook, &layer, &kind) == 0 ? layer : -1;
}

int sae_finish(sae_ld *l)
{
	saex_sae *s = l->s;
	saex_sae_info *in = &s->info;
	in->skip = s->skip.p != NULL;
	in->enc_unaligned = !s->enc.aligned;
	in->transcoder = in->transcoder || strcmp(s->hook, s->hook_out) != 0 || in->d_out != in->d_in;
	if (in->layer < 0)
		in->layer = sae_hook_layer(s->hook);
	in->layer_out = sae_hook_layer(s->hook_out);
	if (in->arch == SAEX_SAE_TOPK && in->k > in->d_sae)
		return tensor_fail(l->err, l->errlen, "%s: 'k' %d exceeds d_sae %lld", s->dir, in->k, (long long)in->d_sae);
	if (in->rescale_by_decoder_norm) {
		if (!(s->dec_norm = malloc((size_t)in->d_sae * sizeof *s->dec_norm)))
			return tensor_fail(l->err, l->errlen, "%s: out of memory", l->wpath);
		float *row = malloc((size_t)in->d_out * sizeof *row);
		for (int64_t j = 0; row && j < in->d_sae; j++)
			s->dec_norm[j] = sae_dec_norm(s, j, row);
		free(row);
		if (!row)
			return tensor_fail(l->err, l->errlen, "%s: out of memory", l->wpath);
		for (int64_t j = 0; j < in->d_sae; j++) {
			if (!(s->dec_norm[j] > 0))
				return tensor_fail(l->err, l->errlen, "%s: feature %lld's decoder row has norm 0: "
				                   "rescale_acts_by_decoder_norm cannot divide by it", l->wpath, (long long)j);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- SAELens cfg.json */

/* A positive integer field; 0 when absent, -1 on a bad value. */
static int cfg_pos(json_t *root, const char *key, int64_t *out, const char *path, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	double d = json_is_integer(v) ? (double)json_integer_value(v) : json_is_real(v) ? json_real_value(v) : -1;
	if (d < 1 || d > (double)(1 << 30) || d != floor(d)) {
		tensor_fail(err, errlen, "%s: '%s' must be a positive integer", path, key);
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

static int cfg_bool(json_t *root, const char *key, int dflt, int *out, const char *path, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v)) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v)) {
		tensor_fail(err, errlen, "%s: '%s' must be true or false", path, key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* key from metadata, else from the top level; NULL when neither is a string. */
static const char *cfg_str(json_t *root, json_t *meta, const char *key)
{
	json_t *v = meta ? json_object_get(meta, key) : NULL;
	if (!v || !json_is_string(v))
		v = json_object_get(root, key);
	return v && json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *cfg_get(json_t *root, json_t *meta, const char *key)
{
	json_t *v = meta ? json_object_get(meta, key) : NULL;
	return v && !json_is_null(v) ? v : json_object_get(root, key);
}

static int cww_in(json_t *o)
{
	if (!o || !json_is_object(o))
		return 0;
	if (json_is_true(json_object_get(o, "center_writing_weights")))
		return 1;
	json_t *k = json_object_get(o, "model_from_pretrained_kwargs");
	return k && json_is_object(k) && json_is_true(json_object_get(k, "center_writing_weights"));
}

/* What an architecture name means. */
typedef struct arch_def {
	const char *name;
	saex_sae_arch arch;
	int transcoder, skip;
} arch_def;

static const arch_def arch_defs[] = {
	{"standard", SAEX_SAE_STANDARD, 0, 0},
	{"topk", SAEX_SAE_TOPK, 0, 0},
	{"jumprelu", SAEX_SAE_JUMPRELU, 0, 0},
	{"gated", SAEX_SAE_GATED, 0, 0},
	/* saved for inference as JumpReLU SAEs (one threshold for all) */
	{"batchtopk", SAEX_SAE_JUMPRELU, 0, 0},
	{"matryoshka_batchtopk", SAEX_SAE_JUMPRELU, 0, 0},
	{"transcoder", SAEX_SAE_STANDARD, 1, 0},
	{"jumprelu_transcoder", SAEX_SAE_JUMPRELU, 1, 0},
	{"skip_transcoder", SAEX_SAE_STANDARD, 1, 1},
	{"jumprelu_skip_transcoder", SAEX_SAE_JUMPRELU, 1, 1},
};

static int cfg_arch(sae_ld *l, json_t *root, const char *path, const arch_def **out)
{
	json_t *a = json_object_get(root, "architecture");
	const char *arch = "standard";
	if (a && !json_is_null(a)) {
		if (!json_is_string(a))
			return tensor_fail(l->err, l->errlen, "%s: 'architecture' must be a string", path);
		arch = json_string_value(a);
	}
	for (size_t i = 0; i < SAEX_ARRAY_LEN(arch_defs); i++)
		if (!strcmp(arch, arch_defs[i].name)) {
			*out = &arch_defs[i];
			return 0;
		}
	return tensor_fail(l->err, l->errlen, "%s: architecture '%s' is not supported (standard, topk, jumprelu, gated, "
	                   "batchtopk, matryoshka_batchtopk, transcoder, jumprelu_transcoder, skip_transcoder, "
	                   "jumprelu_skip_transcoder)", path, arch);
}

/* activation_fn_str / activation_fn of the flat form, and k. */
static int cfg_topk(sae_ld *l, json_t *root, const char *path)
{
	saex_sae_info *in = &l->s->info;
	json_t *af = json_object_get(root, "activation_fn_str");
	if (!af || !json_is_string(af))
		af = json_object_get(root, "activation_fn");
	if (af && json_is_string(af)) {
		const char *fn = json_string_value(af);
		if (!strcmp(fn, "topk")) {
			if (in->arch == SAEX_SAE_STANDARD)
				in->arch = SAEX_SAE_TOPK;
		} else if (strcmp(fn, "relu") != 0)
			return tensor_fail(l->err, l->errlen, "%s: activation_fn_str '%s' is not supported (relu, topk)", path,
			                   fn);
	}
	/* topk's, and a batchtopk training checkpoint's (unfolded norms) */
	if (cfg_bool(root, "rescale_acts_by_decoder_norm", 0, &in->rescale_by_decoder_norm, path, l->err, l->errlen))
		return -1;
	if (in->arch != SAEX_SAE_TOPK)
		return 0;
	int64_t k = 0;
	if (cfg_pos(root, "k", &k, path, l->err, l->errlen))
		return -1;
	json_t *kw = json_object_get(root, "activation_fn_kwargs");
	if (!k && kw && json_is_object(kw) && cfg_pos(kw, "k", &k, path, l->err, l->errlen))
		return -1;
	if (!k)
		return tensor_fail(l->err, l->errlen, "%s: a topk SAE needs 'k' (or activation_fn_kwargs.k)", path);
	if (k > in->d_sae)
		return tensor_fail(l->err, l->errlen, "%s: 'k' %lld exceeds d_sae %lld", path, (long long)k,
		                   (long long)in->d_sae);
	in->k = (int)k;
	return 0;
}

/* normalize_activations and a release's norm_scaling_factor. */
static int cfg_norm(sae_ld *l, json_t *root, json_t *meta, const char *path, double *factor)
{
	saex_sae_info *in = &l->s->info;
	json_t *nv = json_object_get(root, "normalize_activations");
	static const char *const names[] = {"none", "constant_norm_rescale", "layer_norm", "expected_average_only_in"};
	in->norm = SAEX_NORM_NONE;
	*factor = 0;
	if (nv && json_is_boolean(nv))
		in->norm = json_is_true(nv) ? SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN : SAEX_NORM_NONE;
	else if (nv && json_is_string(nv)) {
		size_t i = 0;
		while (i < SAEX_ARRAY_LEN(names) && strcmp(json_string_value(nv), names[i]))
			i++;
		if (i == SAEX_ARRAY_LEN(names))
			return tensor_fail(l->err, l->errlen, "%s: normalize_activations '%s' is not supported", path,
			                   json_string_value(nv));
		in->norm = (saex_sae_norm)i;
	} else if (nv && !json_is_null(nv))
		return tensor_fail(l->err, l->errlen, "%s: 'normalize_activations' must be a string or a boolean", path);
	json_t *f = cfg_get(root, meta, "norm_scaling_factor");
	if (!f || json_is_null(f) || in->norm != SAEX_NORM_EXPECTED_AVERAGE_ONLY_IN)
		return 0;
	*factor = json_number_value(f);
	if (!json_is_number(f) || !(*factor > 0) || !isfinite(*factor))
		return tensor_fail(l->err, l->errlen, "%s: 'norm_scaling_factor' must be a positive number", path);
	return 0;
}

/* The hooks, the model and the layer. */
static int cfg_hooks(sae_ld *l, json_t *root, json_t *meta, const char *path, const char *arch)
{
	saex_sae_info *in = &l->s->info;
	const char *hook = cfg_str(root, meta, "hook_name");
	if (!hook)
		hook = cfg_str(root, meta, "hook_point");
	const char *hook_out = cfg_str(root, meta, "hook_name_out");
	if (in->transcoder && (!hook_out || !*hook_out))
		return tensor_fail(l->err, l->errlen, "%s: a %s needs metadata.hook_name_out, where it writes", path, arch);
	json_t *hi = cfg_get(root, meta, "hook_head_index");
	if (!hi)
		hi = cfg_get(root, meta, "hook_point_head_index");
	if (hi && !json_is_null(hi))
		return tensor_fail(l->err, l->errlen, "%s: hook_head_index: SAEs of one attention head are not supported",
		                   path);
	json_t *ra = json_object_get(root, "reshape_activations");
	if (ra && !json_is_null(ra)) {
		if (!json_is_string(ra) || (strcmp(json_string_value(ra), "none") && strcmp(json_string_value(ra), "hook_z")))
			return tensor_fail(l->err, l->errlen, "%s: reshape_activations must be \"none\" or \"hook_z\"", path);
		in->reshape_hook_z = !strcmp(json_string_value(ra), "hook_z");
	}
	json_t *hl = json_object_get(root, "hook_point_layer");
	if (!hl)
		hl = json_object_get(root, "hook_layer");
	if (hl && json_is_integer(hl) && json_integer_value(hl) >= 0 && json_integer_value(hl) < (1 << 20))
		in->layer = (int)json_integer_value(hl);
	in->center_writing_weights = cww_in(root) || cww_in(meta);
	return sae_set_strings(l, hook, hook_out, cfg_str(root, meta, "model_name"), arch);
}

/* cfg.json's fields into the info; *factor: a norm_scaling_factor to fold. */
static int saelens_cfg(sae_ld *l, const char *path, double *factor)
{
	saex_sae_info *in = &l->s->info;
	json_t *root = tensor_json_object(path, l->err, l->errlen);
	if (!root)
		return -1;
	json_t *meta = json_object_get(root, "metadata");
	if (meta && !json_is_object(meta))
		meta = NULL;
	const arch_def *ad = NULL;
	int64_t d_out = 0;
	int rc = -1, bdec_given = json_object_get(root, "apply_b_dec_to_input") != NULL;
	if (cfg_pos(root, "d_in", &in->d_in, path, l->err, l->errlen) ||
	    cfg_pos(root, "d_sae", &in->d_sae, path, l->err, l->errlen) ||
	    cfg_pos(root, "d_out", &d_out, path, l->err, l->errlen))
		goto out;
	if (!in->d_in || !in->d_sae) {
		tensor_fail(l->err, l->errlen, "%s: '%s' is missing", path, in->d_in ? "d_sae" : "d_in");
		goto out;
	}
	if (cfg_arch(l, root, path, &ad))
		goto out;
	in->arch = ad->arch;
	in->transcoder = ad->transcoder;
	in->d_out = ad->transcoder && d_out ? d_out : in->d_in;
	if (cfg_bool(root, "apply_b_dec_to_input", !ad->transcoder, &in->apply_b_dec_to_input, path, l->err,
	             l->errlen))
		goto out;
	if (ad->transcoder && in->apply_b_dec_to_input && bdec_given) {
		tensor_fail(l->err, l->errlen, "%s: a %s cannot subtract b_dec from its input (apply_b_dec_to_input)", path,
		            ad->name);
		goto out;
	}
	if (cfg_topk(l, root, path) || cfg_norm(l, root, meta, path, factor) ||
	    cfg_hooks(l, root, meta, path, ad->name))
		goto out;
	rc = ad->skip; /* 1: the weights must have W_skip */
out:
	json_decref(root);
	return rc;
}

/* The JumpReLU thresholds: a vector, or (batchtopk) one for all. */
static int saelens_threshold(sae_ld *l)
{
	saex_sae *s = l->s;
	const saex_tensor *t = sae_find(l, "threshold");
	if (!t && (t = sae_find(l, "topk_threshold")) && t->numel == 1)
		return sae_take_vec(l, t, s->info.d_sae, 1, &s->threshold);
	t = NULL;
	return sae_want(l, "threshold", 1, s->info.d_sae, 0, &t) || sae_take_vec(l, t, s->info.d_sae, 0, &s->threshold);
}

int sae_load_saelens(sae_ld *l, const char *dir)
{
	saex_sae *s = l->s;
	saex_sae_info *in = &s->info;
	char *cfg = sae_path(dir, "cfg.json"), *wpath = sae_path(dir, "sae_weights.safetensors");
	double factor;
	int rc = -1, skip;
	in->format = SAEX_FMT_SAELENS;
	l->dims_from = "cfg.json";
	if (!cfg || !wpath) {
		tensor_fail(l->err, l->errlen, "%s: out of memory", dir);
		goto out;
	}
	if ((skip = saelens_cfg(l, cfg, &factor)) < 0 || sae_open_weights(l, wpath, 0))
		goto out;
	int64_t di = in->d_in, ds = in->d_sae, dout = in->d_out;
	const saex_tensor *we = NULL, *wd = NULL, *bd = NULL, *ws = NULL, *t = NULL;
	if (sae_want(l, "W_enc", 2, di, ds, &we) || sae_want(l, "W_dec", 2, ds, dout, &wd) ||
	    sae_want(l, "b_dec", 1, dout, 0, &bd) || (skip && sae_want(l, "W_skip", 2, dout, di, &ws)) ||
	    sae_take_mat(l, we, 0, &s->enc) || sae_take_mat(l, wd, 0, &s->dec) || (ws && sae_take_mat(l, ws, 0, &s->skip)) ||
	    sae_take_vec(l, bd, dout, 0, &s->b_dec_out))
		goto out;
	if (in->apply_b_dec_to_input && sae_take_vec(l, bd, di, 0, &s->b_dec_in))
		goto out;
	if (in->arch == SAEX_SAE_GATED) {
		float *r_mag = NULL;
		in->rescale_by_decoder_norm = 0;
		const saex_tensor *bg = NULL, *bm = NULL, *rm = NULL;
		if (sae_want(l, "b_gate", 1, ds, 0, &bg) || sae_want(l, "b_mag", 1, ds, 0, &bm) ||
		    sae_want(l, "r_mag", 1, ds, 0, &rm) || sae_take_vec(l, bg, ds, 0, &s->b_gate) ||
		    sae_take_vec(l, bm, ds, 0, &s->b_mag) || sae_take_vec(l, rm, ds, 0, &r_mag))
			goto out;
		for (int64_t j = 0; j < ds; j++)
			r_mag[j] = expf(r_mag[j]);
		s->exp_r_mag = r_mag;
	} else if (sae_want(l, "b_enc", 1, ds, 0, &t) || sae_take_vec(l, t, ds, 0, &s->b_enc))
		goto out;
	if (in->arch == SAEX_SAE_JUMPRELU && saelens_threshold(l))
		goto out;
	if (factor > 0) { /* SAELens's fold: W_enc * s, W_dec / s, b_dec / s */
		s->scale_in = in->scale_in = (float)factor;
		s->dec_mul = (float)(1 / factor);
		for (int64_t j = 0; j < dout; j++)
			s->b_dec_out[j] = (float)(s->b_dec_out[j] / factor);
	}
	rc = sae_finish(l);
out:
	free(cfg);
	free(wpath);
	return rc;
}

/* ---------------------------------------------------------------- dispatch */

saex_sae *saex_sae_load(const char *dir, char *err, size_t errlen)
{
	saex_sae *s = calloc(1, sizeof *s);
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		tensor_fail(err, errlen, "%s: out of memory", dir);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->scale_in = s->dec_mul = 1;
	s->info.scale_in = 1;
	s->info.layer = s->info.layer_out = -1;
	s->info.path = s->dir;
	s->info.zero_copy = 1;
	sae_ld l = {s, dir, "cfg.json", err, errlen, 0};
	int rc;
	if (sae_has(dir, "params.npz"))
		rc = sae_load_gemma_scope(&l, dir);
	else if (sae_has(dir, "params.safetensors"))
		rc = sae_load_gemma_scope_2(&l, dir);
	else if (sae_has(dir, "hyperparams.json"))
		rc = sae_load_llama_scope(&l, dir);
	else if (sae_has(dir, "sae.safetensors"))
		rc = sae_load_sparsify(&l, dir);
	else if (sae_has(dir, "cfg.json"))
		rc = sae_load_saelens(&l, dir);
	else {
		struct stat st;
		if (stat(dir, &st) != 0)
			rc = tensor_fail(err, errlen, "%s: %s", dir, strerror(errno));
		else
			rc = tensor_fail(err, errlen, "%s/cfg.json: no such file, and no other SAE files: saex reads "
			                 "cfg.json + sae_weights.safetensors (SAELens), params.npz (Gemma Scope), "
			                 "params.safetensors (Gemma Scope 2), hyperparams.json + checkpoints/final.safetensors "
			                 "(Llama Scope) and cfg.json + sae.safetensors (sparsify)", dir);
	}
	if (rc) {
		saex_sae_free(s);
		return NULL;
	}
	if (!s->hook) /* a loader that set no strings */
		sae_set_strings(&l, "", "", "", saex_sae_arch_name(s->info.arch));
	return s;
}
