/* generate.c - token generation: greedy or seeded sampling with a
 * frequency penalty, with a KV cache or without, hooks (steering) at every
 * step, and a per-token callback for streaming and cancelling. The rules
 * are in saex_model.h. */
#include "config.h"
#include "saex.h"
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

struct saex_gen {
	saex_model *m;
	saex_gen_opts o;
	size_t V, n_prompt, max_new, made;
	uint32_t *ids;
	size_t len;
	float *logits;
	uint32_t *counts;
	double *p;
	uint64_t rng[4];
	saex_kv *kv;
};

void saex_gen_free(saex_gen *g)
{
	if (!g)
		return;
	saex_kv_free(g->kv);
	free(g->logits);
	free(g->counts);
	free(g->p);
	free(g->ids);
	free(g);
}

saex_gen *saex_gen_new(saex_model *m, const uint32_t *prompt, size_t n, const saex_gen_opts *o, char *err,
                       size_t errlen)
{
	const saex_model_config *c = saex_model_config_of(m);
	size_t V = (size_t)c->vocab, P = (size_t)c->n_ctx;
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
	saex_gen *g = calloc(1, sizeof *g);
	if (!g) {
		tensor_fail(err, errlen, "out of memory");
		return NULL;
	}
	g->m = m;
	g->o = *o;
	g->V = V;
	g->n_prompt = n;
	g->max_new = o->max_new > P - n ? P - n : o->max_new;
	g->ids = malloc((n + g->max_new + 1) * sizeof *g->ids);
	g->logits = malloc(V * sizeof *g->logits);
	if (o->temperature > 0.0f) {
		g->counts = calloc(V, sizeof *g->counts);
		g->p = malloc(V * sizeof *g->p);
	}
	if (!g->ids || !g->logits || (o->temperature > 0.0f && (!g->counts || !g->p))) {
		tensor_fail(err, errlen, "out of memory");
		saex_gen_free(g);
		return NULL;
	}
	memcpy(g->ids, prompt, n * sizeof *g->ids);
	g->len = n;
	for (size_t i = 0; g->counts && i < n; i++)
		g->counts[prompt[i]]++;
	saex_rng_seed(g->rng, o->seed);
	if (!o->no_cache && g->max_new > 0 && !(g->kv = saex_kv_new(m, n + g->max_new))) {
		tensor_fail(err, errlen, "out of memory for the KV cache (%zu positions)", n + g->max_new);
		saex_gen_free(g);
		return NULL;
	}
	return g;
}

int saex_gen_next(saex_gen *g, uint32_t *tok, char *err, size_t errlen)
{
	if (g->made >= g->max_new)
		return 0;
	saex_run_opts ro = SAEX_RUN_OPTS_INIT;
	ro.hooks = g->o.hooks;
	ro.n_hooks = g->o.n_hooks;
	ro.logits = g->logits;
	ro.logits_last = 1;
	/* the new positions: the whole prompt first, then one token */
	int r = g->kv ? saex_model_forward_kv(g->m, g->kv, g->made ? g->ids + g->len - 1 : g->ids, g->made ? 1 : g->len,
	                                      &ro, err, errlen)
	              : saex_model_forward(g->m, g->ids, g->len, &ro, err, errlen);
	if (r)
		return -1;
	uint32_t next = g->counts ? sample(g->logits, g->V, &g->o, g->counts, g->p, g->rng) : argmax(g->logits, g->V);
	g->ids[g->len++] = next;
	g->made++;
	if (g->counts)
		g->counts[next]++;
	*tok = next;
	return 1;
}

const uint32_t *saex_gen_seq(const saex_gen *g, size_t *len)
{
	*len = g->len;
	return g->ids;
}

uint32_t *saex_generate(saex_model *m, const uint32_t *prompt, size_t n, const saex_gen_opts *o, size_t *count,
                        char *err, size_t errlen)
{
	*count = 0;
	saex_gen *g = saex_gen_new(m, prompt, n, o, err, errlen);
	if (!g)
		return NULL;
	uint32_t tok;
	int r;
	while ((r = saex_gen_next(g, &tok, err, errlen)) == 1)
		if (o->on_token && o->on_token(g->ids, g->len, o->user))
			break;
	if (r < 0) {
		saex_gen_free(g);
		return NULL;
	}
	uint32_t *ids = g->ids;
	*count = g->len;
	g->ids = NULL;
	saex_gen_free(g);
	return ids;
}

uint32_t *saex_generate_greedy(saex_model *m, const uint32_t *prompt, size_t n, size_t max_new, int use_cache,
                               size_t *count, char *err, size_t errlen)
{
	saex_gen_opts o = SAEX_GEN_OPTS_INIT;
	o.max_new = max_new;
	o.no_cache = !use_cache;
	return saex_generate(m, prompt, n, &o, count, err, errlen);
}
