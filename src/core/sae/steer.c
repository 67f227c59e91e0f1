/* steer.c - steering with SAE features: the add and clamp methods of
 * saex_steer.h as hooks for the forward pass. */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct steer_entry {
	const saex_sae *sae;
	int64_t feature;
	float strength;
} steer_entry;

/* One hook point: its name and the set it reads (a hook's user data). */
typedef struct steer_slot {
	char *name;
	saex_steer *s;
} steer_slot;

struct saex_steer {
	const saex_model *m;
	saex_steer_method method;
	float multiplier;
	steer_entry *e;
	size_t n, cap;
	steer_slot **slots;
	size_t n_slots;
	saex_hook *hooks; /* n_slots, rebuilt by saex_steer_hooks */
};

const char *saex_steer_method_name(saex_steer_method m)
{
	return m == SAEX_STEER_CLAMP ? "clamp" : "add";
}

int saex_steer_method_parse(const char *name, saex_steer_method *m)
{
	if (!strcmp(name, "add"))
		*m = SAEX_STEER_ADD;
	else if (!strcmp(name, "clamp"))
		*m = SAEX_STEER_CLAMP;
	else
		return -1;
	return 0;
}

saex_steer *saex_steer_new(const saex_model *m, saex_steer_method method, float multiplier)
{
	saex_steer *s = xcalloc(1, sizeof *s);
	s->m = m;
	s->method = method;
	s->multiplier = multiplier;
	return s;
}

void saex_steer_free(saex_steer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_slots; i++) {
		free(s->slots[i]->name);
		free(s->slots[i]);
	}
	free(s->slots);
	free(s->hooks);
	free(s->e);
	free(s);
}

int saex_steer_add(saex_steer *s, const saex_sae *sae, int64_t feature, float strength, char *err, size_t errlen)
{
	const saex_sae_info *in = saex_sae_get_info(sae);
	if (!in->hook_name || !*in->hook_name)
		return tensor_fail(err, errlen, "the SAE's cfg.json names no hook: it cannot steer");
	size_t w = saex_model_hook_width(s->m, in->hook_name);
	if (!w)
		return tensor_fail(err, errlen, "the SAE's hook '%s' is not a hook of this model", in->hook_name);
	if ((int64_t)w != in->d_in)
		return tensor_fail(err, errlen, "the SAE's d_in is %lld but its hook '%s' is %zu wide",
		                   (long long)in->d_in, in->hook_name, w);
	if (feature < 0 || feature >= in->d_sae)
		return tensor_fail(err, errlen, "feature %lld is out of range: the SAE has features 0 to %lld",
		                   (long long)feature, (long long)in->d_sae - 1);
	if (!isfinite(strength))
		return tensor_fail(err, errlen, "the strength of feature %lld is not a number", (long long)feature);
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->e = xrealloc(s->e, s->cap * sizeof *s->e);
	}
	s->e[s->n++] = (steer_entry){sae, feature, strength};
	for (size_t i = 0; i < s->n_slots; i++)
		if (!strcmp(s->slots[i]->name, in->hook_name))
			return 0;
	s->slots = xrealloc(s->slots, (s->n_slots + 1) * sizeof *s->slots);
	steer_slot *sl = xmalloc(sizeof *sl);
	sl->name = xstrdup(in->hook_name);
	sl->s = s;
	s->slots[s->n_slots++] = sl;
	return 0;
}

static int at_hook(const steer_entry *e, const char *name)
{
	return !strcmp(saex_sae_get_info(e->sae)->hook_name, name);
}

/* clamp for one SAE: x += decode(f') - decode(f) row by row */
static int clamp_sae(const saex_steer *s, const saex_sae *sae, const char *name, float *x, size_t T, size_t w)
{
	size_t ds = (size_t)saex_sae_get_info(sae)->d_sae;
	float *f = malloc(T * ds * sizeof *f), *norm = malloc(2 * T * sizeof *norm);
	float *r0 = malloc(T * w * sizeof *r0), *r1 = malloc(T * w * sizeof *r1);
	int rc = -1;
	if (!f || !norm || !r0 || !r1 || saex_sae_encode(sae, x, T, f, norm))
		goto out;
	saex_sae_decode(sae, f, T, norm, r0);
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].sae == sae && at_hook(&s->e[i], name))
			for (size_t t = 0; t < T; t++)
				f[t * ds + (size_t)s->e[i].feature] = s->e[i].strength * s->multiplier;
	saex_sae_decode(sae, f, T, norm, r1);
	for (size_t i = 0; i < T * w; i++)
		x[i] += r1[i] - r0[i];
	rc = 0;
out:
	free(f);
	free(norm);
	free(r0);
	free(r1);
	return rc;
}

static int steer_hook(const char *name, float *x, size_t T, size_t w, void *user)
{
	const steer_slot *sl = user;
	const saex_steer *s = sl->s;
	for (size_t i = 0; i < s->n; i++) {
		const steer_entry *e = &s->e[i];
		if (!at_hook(e, name))
			continue;
		if (s->method == SAEX_STEER_ADD) {
			const float *row = saex_sae_decoder_row(e->sae, e->feature);
			float v = e->strength * s->multiplier;
			for (size_t t = 0; t < T; t++)
				for (size_t j = 0; j < w; j++)
					x[t * w + j] += v * row[j];
			continue;
		}
		/* clamp: each SAE once, at its first entry */
		size_t k = 0;
		while (k < i && !(s->e[k].sae == e->sae && at_hook(&s->e[k], name)))
			k++;
		if (k == i && clamp_sae(s, e->sae, name, x, T, w))
			return -1;
	}
	return 0;
}

const saex_hook *saex_steer_hooks(saex_steer *s, size_t *n)
{
	free(s->hooks);
	s->hooks = xcalloc(s->n_slots ? s->n_slots : 1, sizeof *s->hooks);
	for (size_t i = 0; i < s->n_slots; i++)
		s->hooks[i] = (saex_hook){s->slots[i]->name, steer_hook, s->slots[i]};
	*n = s->n_slots;
	return s->hooks;
}
