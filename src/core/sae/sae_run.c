/* sae_run.c - an SAE on a model's activations: the model runs up to the
 * SAE's layer and the activation at its hook is encoded (live tests,
 * search by inference). */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"

#include <stdlib.h>
#include <string.h>

/* Why an SAE has no hook, by how its layout names hooks. */
static int no_hook(const saex_sae_info *in, char *err, size_t errlen)
{
	switch (in->format) {
	case SAEX_FMT_GEMMA_SCOPE:
		return tensor_fail(err, errlen, "%s: a Gemma Scope params.npz takes its hook from its repository's name "
		                   "in its path (gemma-scope-2b-pt-res, -mlp, -att or -transcoders, then layer_L/ or "
		                   "embedding/), and this path has none: keep the repository's folders", in->path);
	case SAEX_FMT_SPARSIFY:
		return tensor_fail(err, errlen, "%s: the sparsify hookpoint (the folder's name) is not one saex knows "
		                   "(embed_tokens, layers.L, layers.L.mlp, layers.L.self_attn)", in->path);
	default:
		return tensor_fail(err, errlen, "%s names no hook", in->path);
	}
}

/* Hook name of m, width wide; layer and kind out. */
static int hook_fits(const saex_model *m, const char *what, const char *hook, int64_t width, int *layer,
                     saex_hook_kind *kind, char *err, size_t errlen)
{
	int n_layer = saex_model_config_of(m)->n_layers;
	if (saex_hook_parse(hook, layer, kind) || *layer >= n_layer)
		return tensor_fail(err, errlen, "the SAE's %s '%s' is not a hook of the model (layers 0 to %d)", what, hook,
		                   n_layer - 1);
	size_t w = saex_model_hook_width(m, hook);
	if ((int64_t)w != width)
		return tensor_fail(err, errlen, "the SAE's %s %lld does not match the width %zu of %s",
		                   strcmp(what, "hook") ? "d_out" : "d_in", (long long)width, w, hook);
	return 0;
}

int saex_sae_fits(const saex_sae *s, const saex_model *m, char *err, size_t errlen)
{
	const saex_sae_info *in = saex_sae_get_info(s);
	int layer, layer_out;
	saex_hook_kind kind, kind_out;
	if (!in->hook_name || !*in->hook_name)
		return no_hook(in, err, errlen);
	if (hook_fits(m, "hook", in->hook_name, in->d_in, &layer, &kind, err, errlen))
		return -1;
	if (!in->transcoder)
		return 0;
	if (hook_fits(m, "output hook", in->hook_name_out, in->d_out, &layer_out, &kind_out, err, errlen))
		return -1;
	if (layer_out < layer || (layer_out == layer && kind_out <= kind))
		return tensor_fail(err, errlen, "the transcoder writes at %s, which the model computes before %s, "
		                   "where it reads", in->hook_name_out, in->hook_name);
	return 0;
}

typedef struct capture {
	float *x;
	size_t n;
} capture;

static int capture_hook(const char *name, float *act, size_t T, size_t width, void *user)
{
	capture *c = user;
	(void)name;
	if (T * width != c->n)
		return -1;
	memcpy(c->x, act, c->n * sizeof *act);
	return 0;
}

int saex_sae_features(saex_model *m, const saex_sae *s, const uint32_t *ids, size_t T, const saex_hook *extra,
                      size_t n_extra, float *f, char *err, size_t errlen)
{
	if (saex_sae_fits(s, m, err, errlen))
		return -1;
	const saex_sae_info *in = saex_sae_get_info(s);
	int layer;
	saex_hook_kind kind;
	saex_hook_parse(in->hook_name, &layer, &kind);
	capture c = {malloc(T * (size_t)in->d_in * sizeof(float)), T * (size_t)in->d_in};
	saex_hook *hooks = malloc((n_extra + 1) * sizeof *hooks);
	int rc = -1;
	if (!c.x || !hooks) {
		tensor_fail(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_extra; i++)
		hooks[i] = extra[i];
	hooks[n_extra] = (saex_hook){in->hook_name, capture_hook, &c};
	saex_run_opts o = SAEX_RUN_OPTS_INIT;
	o.hooks = hooks;
	o.n_hooks = n_extra + 1;
	o.stop_after_layer = layer;
	if (saex_model_forward(m, ids, T, &o, err, errlen))
		goto out;
	if (saex_sae_encode(s, c.x, T, f, NULL)) {
		tensor_fail(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(c.x);
	free(hooks);
	return rc;
}
