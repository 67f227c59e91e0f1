/* steer.c - steering with SAE features: the add and clamp methods of
 * saex_steer.h as hooks for the forward pass. A feature is written where
 * its SAE's decoder writes (hook_name_out: a transcoder's output hook);
 * clamping a transcoder encodes what its input hook saw earlier in the
 * same pass. */
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
	float *row;     /* its decoder row [d_out], for add */
} steer_entry;

/* A transcoder's input at its input hook, kept for clamp at its output. */
typedef struct steer_cap {
	const saex_sae *sae;
	float *x;       /* [T, d_in] of the pass in progress */
	size_t T, cap;
} steer_cap;

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
	steer_cap *caps;
	size_t n_caps;
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
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].row);
	for (size_t i = 0; i < s->n_caps; i++)
		free(s->caps[i].x);
	free(s->caps);
	free(s->slots);
	free(s->hooks);
	free(s->e);
	free(s);
}

/* A slot for hook name (made when missing); 0 or -1 (no memory). */
static int slot_for(saex_steer *s, const char *name)
{
	for (size_t i = 0; i < s->n_slots; i++)
		if (!strcmp(s->slots[i]->name, name))
			return 0;
	steer_slot **sl = realloc(s->slots, (s->n_slots + 1) * sizeof *sl);
	if (!sl)
		return -1;
	s->slots = sl;
	steer_slot *one = malloc(sizeof *one);
	if (!one || !(one->name = strdup(name))) {
		free(one);
		return -1;
	}
	one->s = s;
	s->slots[s->n_slots++] = one;
	return 0;
}

/* A capture of a transcoder's input (clamp only), made once per SAE. */
static int cap_for(saex_steer *s, const saex_sae *sae)
{
	for (size_t i = 0; i < s->n_caps; i++)
		if (s->caps[i].sae == sae)
			return 0;
	steer_cap *c = realloc(s->caps, (s->n_caps + 1) * sizeof *c);
	if (!c)
		return -1;
	s->caps = c;
	s->caps[s->n_caps++] = (steer_cap){sae, NULL, 0, 0};
	return slot_for(s, saex_sae_get_info(sae)->hook_name);
}

int saex_steer_add(saex_steer *s, const saex_sae *sae, int64_t feature, float strength, char *err, size_t errlen)
{
	const saex_sae_info *in = saex_sae_get_info(sae);
	if (saex_sae_fits(sae, s->m, err, errlen))
		return -1;
	if (feature < 0 || feature >= in->d_sae)
		return tensor_fail(err, errlen, "feature %lld is out of range: the SAE has features 0 to %lld",
		                   (long long)feature, (long long)in->d_sae - 1);
	if (!isfinite(strength))
		return tensor_fail(err, errlen, "the strength of feature %lld is not a number", (long long)feature);
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4;
		steer_entry *e = realloc(s->e, cap * sizeof *e);
		if (!e)
			return tensor_fail(err, errlen, "out of memory");
		s->e = e;
		s->cap = cap;
	}
	float *row = malloc((size_t)in->d_out * sizeof *row);
	if (!row || saex_sae_decoder_row(sae, feature, row) || slot_for(s, in->hook_name_out) ||
	    (s->method == SAEX_STEER_CLAMP && in->transcoder && cap_for(s, sae))) {
		free(row);
		return tensor_fail(err, errlen, "out of memory");
	}
	s->e[s->n++] = (steer_entry){sae, feature, strength, row};
	return 0;
}

static int at_hook(const steer_entry *e, const char *name)
{
	return !strcmp(saex_sae_get_info(e->sae)->hook_name_out, name);
}

static steer_cap *cap_of(const saex_steer *s, const saex_sae *sae)
{
	for (size_t i = 0; i < s->n_caps; i++)
		if (s->caps[i].sae == sae)
			return &s->caps[i];
	return NULL;
}

/* Keeps a transcoder's input of this pass (its input hook is name). */
static int capture(const saex_steer *s, const char *name, const float *x, size_t T, size_t w)
{
	for (size_t i = 0; i < s->n_caps; i++) {
		steer_cap *c = &s->caps[i];
		if (strcmp(saex_sae_get_info(c->sae)->hook_name, name))
			continue;
		if (T * w > c->cap) {
			float *p = realloc(c->x, T * w * sizeof *p);
			if (!p)
				return -1;
			c->x = p;
			c->cap = T * w;
		}
		memcpy(c->x, x, T * w * sizeof *x);
		c->T = T;
	}
	return 0;
}

/* clamp for one SAE: out += decode(f') - decode(f) row by row, f encoded
 * from x (an SAE) or from its input captured earlier (a transcoder). */
static int clamp_sae(const saex_steer *s, const saex_sae *sae, const char *name, float *out, size_t T, size_t w)
{
	const saex_sae_info *in = saex_sae_get_info(sae);
	const float *x = out;
	if (in->transcoder) {
		const steer_cap *c = cap_of(s, sae);
		if (!c || c->T != T)
			return -1; /* its input hook did not run in this pass */
		x = c->x;
	}
	size_t ds = (size_t)in->d_sae;
	float *f = malloc(T * ds * sizeof *f), *norm = malloc(2 * T * sizeof *norm);
	float *r0 = malloc(T * w * sizeof *r0), *r1 = malloc(T * w * sizeof *r1);
	int rc = -1;
	if (!f || !norm || !r0 || !r1 || saex_sae_encode(sae, x, T, f, norm) || saex_sae_decode(sae, f, T, norm, r0))
		goto out;
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].sae == sae && at_hook(&s->e[i], name))
			for (size_t t = 0; t < T; t++)
				f[t * ds + (size_t)s->e[i].feature] = s->e[i].strength * s->multiplier;
	if (saex_sae_decode(sae, f, T, norm, r1))
		goto out;
	for (size_t i = 0; i < T * w; i++)
		out[i] += r1[i] - r0[i];
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
			float v = e->strength * s->multiplier;
			for (size_t t = 0; t < T; t++)
				for (size_t j = 0; j < w; j++)
					x[t * w + j] += v * e->row[j];
			continue;
		}
		/* clamp: each SAE once, at its first entry */
		size_t k = 0;
		while (k < i && !(s->e[k].sae == e->sae && at_hook(&s->e[k], name)))
			k++;
		if (k == i && clamp_sae(s, e->sae, name, x, T, w))
			return -1;
	}
	return capture(s, name, x, T, w); /* as steered here: what flows on */
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
