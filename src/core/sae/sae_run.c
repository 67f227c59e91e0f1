/* sae_run.c - an SAE on a model's activations: the model runs up to the
 * SAE's layer and the activation at its hook is encoded (live tests,
 * search by inference). */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"

#include <stdlib.h>
#include <string.h>

int saex_sae_fits(const saex_sae *s, const saex_model *m, char *err, size_t errlen)
{
	const saex_sae_info *in = saex_sae_get_info(s);
	int layer;
	saex_hook_kind kind;
	if (!in->hook_name || !*in->hook_name)
		return tensor_fail(err, errlen, "the SAE's cfg.json names no hook");
	if (saex_hook_parse(in->hook_name, &layer, &kind) || layer >= saex_model_config_of(m)->n_layers)
		return tensor_fail(err, errlen, "the SAE's hook '%s' is not a hook of the model (layers 0 to %d)",
		                   in->hook_name, saex_model_config_of(m)->n_layers - 1);
	size_t w = saex_model_hook_width(m, in->hook_name);
	if ((int64_t)w != in->d_in)
		return tensor_fail(err, errlen, "the SAE's d_in %lld does not match the width %zu of %s",
		                   (long long)in->d_in, w, in->hook_name);
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
