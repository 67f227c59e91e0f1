/* generate.c - token generation: greedy or seeded sampling with a
 * frequency penalty, with a KV cache or without, hooks (steering) at every
 * step, and a per-token callback for streaming and cancelling. The rules
 * are in saex_model.h. */
#include "config.h"
#include "saex.h"
#include "util.h"
#include "tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- RNG */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void saex_rng_seed(uint64_t state[4], uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		state[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

double saex_rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return (double)(r >> 11) * 0x1.0p-53;
}

/* ---------------------------------------------------------------- choosing */

static uint32_t argmax(const float *x, size_t n)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (x[i] > x[best])
			best = i;
	return (uint32_t)best;
}

/* The sampling rule of saex_model.h; p is V doubles of scratch, counts the
 * occurrences of each id in the sequence so far. */
static uint32_t sample(const float *logits, size_t V, const saex_gen_opts *o, const uint32_t *counts, double *p,
                       uint64_t rng[4])
{
	double mx = -INFINITY, sum = 0.0, inv_t = 1.0 / (double)o->temperature;
	for (size_t i = 0; i < V; i++) {
		p[i] = (double)logits[i] * inv_t - (double)o->freq_penalty * counts[i];
		if (p[i] > mx)
			mx = p[i];
	}
	for (size_t i = 0; i < V; i++)
		sum += p[i] = exp(p[i] - mx);
	double u = saex_rng_next(rng), c = 0.0;
	size_t last = 0;
	for (size_t i = 0; i < V; i++) {
		if (p[i] <= 0.0)
			continue;
		last = i;
		c += p[i] / sum;
		if (c > u)
			return (uint32_t)i;
	}
	return (uint32_t)last;
}

/* ---------------------------------------------------------------- generate */

uint32_t *saex_generate(saex_model *m, const uint32_t *prompt, size_t n, const saex_gen_opts *o, size_t *count,
                        char *err, size_t errlen)
{
	const saex_model_config *c = saex_model_config_of(m);
	size_t V = (size_t)c->vocab_size, P = (size_t)c->n_positions, max_new = o->max_new;
	int cache = !o->no_cache, sampling = o->temperature > 0.0f;
	*count = 0;
	if (n < 1 || n > P) {
		tensor_fail(err, errlen, "%zu prompt tokens: the model takes 1 to %zu", n, P);
		return NULL;
	}
	if (!(o->temperature >= 0.0f) || !isfinite(o->temperature) || !isfinite(o->freq_penalty)) {
		tensor_fail(err, errlen, "the temperature must be 0 or more and the frequency penalty a number");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (prompt[i] >= (uint32_t)V) {
			tensor_fail(err, errlen, "token id %u at position %zu is not below the vocabulary size %zu", prompt[i],
			            i, V);
			return NULL;
		}
	if (max_new > P - n)
		max_new = P - n;
	uint32_t *ids = xmalloc((n + max_new + 1) * sizeof *ids);
	memcpy(ids, prompt, n * sizeof *ids);
	size_t len = n;
	float *logits = xmalloc(V * sizeof *logits);
	uint32_t *counts = sampling ? xcalloc(V, sizeof *counts) : NULL;
	double *p = sampling ? xmalloc(V * sizeof *p) : NULL;
	uint64_t rng[4];
	saex_rng_seed(rng, o->seed);
	for (size_t i = 0; counts && i < n; i++)
		counts[ids[i]]++;
	saex_kv *kv = NULL;
	if (cache && max_new > 0 && !(kv = saex_kv_new(m, n + max_new))) {
		tensor_fail(err, errlen, "out of memory for the KV cache");
		goto fail;
	}
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = o->hooks;
	ro.n_hooks = o->n_hooks;
	ro.logits = logits;
	ro.logits_last = 1;
	for (size_t i = 0; i < max_new; i++) {
		/* the new positions: the whole prompt first, then one token */
		int r = cache ? saex_model_forward_kv(m, kv, i ? ids + len - 1 : ids, i ? 1 : len, &ro, err, errlen)
		              : saex_model_forward(m, ids, len, &ro, err, errlen);
		if (r)
			goto fail;
		uint32_t next = sampling ? sample(logits, V, o, counts, p, rng) : argmax(logits, V);
		ids[len++] = next;
		if (counts)
			counts[next]++;
		if (o->on_token && o->on_token(ids, len, o->user))
			break;
	}
	saex_kv_free(kv);
	free(logits);
	free(counts);
	free(p);
	*count = len;
	return ids;
fail:
	saex_kv_free(kv);
	free(logits);
	free(counts);
	free(p);
	free(ids);
	return NULL;
}

uint32_t *saex_generate_greedy(saex_model *m, const uint32_t *prompt, size_t n, size_t max_new, int use_cache,
                               size_t *count, char *err, size_t errlen)
{
	saex_gen_opts o = SAEX_GEN_OPTS_INIT;
	o.max_new = max_new;
	o.no_cache = !use_cache;
	return saex_generate(m, prompt, n, &o, count, err, errlen);
}
