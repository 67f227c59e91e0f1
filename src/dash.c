/* dash.c - see dash.h */
#include "config.h"
#include "dash.h"
#include "util.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An example as kept: the prompt's non-zero values of one feature. */
typedef struct dash_kept {
	uint32_t prompt, prio, len, argmax, nnz;
	float max;
	dash_nz *nz; /* owned */
} dash_kept;

/* The state of one feature. */
typedef struct dash_fs {
	uint64_t nnz;
	float max, R;           /* R: histogram range, 0 until the first value */
	int32_t level;          /* dash_level(max) when the sample was last pruned */
	uint32_t *sub;          /* DASH_SUB counts; NULL until the first value */
	dash_kept top[DASH_TOP]; /* a heap: top[0] the weakest */
	uint32_t n_top;
	dash_kept *res;         /* the quantile sample */
	uint32_t n_res, cap_res;
} dash_fs;

struct dash {
	int64_t d_sae;
	float *scale;
	uint64_t seed, tokens;
	dash_fs *fs;
	/* per-prompt scratch */
	float *pmax;
	uint32_t *parg, *pcnt, *touched;
};

/* The exponent e with 2^(e-1) <= v < 2^e. */
static int dash_exp(float v)
{
	int e;
	frexpf(v, &e);
	return e;
}

/* The sampling level of v: half octaves, increasing with v. */
static int dash_level(float v)
{
	int e;
	float m = frexpf(v, &e); /* v = m 2^e, m in [0.5, 1) */
	return 2 * e + (m >= 0.70710678f);
}

/* The sampling key of (feature, prompt): splitmix64 of both with the seed. */
static uint32_t dash_prio(uint64_t seed, int64_t feature, uint32_t prompt)
{
	uint64_t z = seed ^ ((uint64_t)feature * UINT64_C(0x9e3779b97f4a7c15)) ^
	             ((uint64_t)prompt << 32 | (uint64_t)prompt);
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return (uint32_t)(z >> 32);
}

dash *dash_new(int64_t d_sae, const float *scale, uint64_t seed)
{
	dash *d = xcalloc(1, sizeof *d);
	size_t n = (size_t)d_sae;
	d->d_sae = d_sae;
	d->seed = seed;
	d->scale = xmalloc((n ? n : 1) * sizeof *d->scale);
	for (size_t i = 0; i < n; i++)
		d->scale[i] = scale ? scale[i] : 1.0f;
	d->fs = xcalloc(n ? n : 1, sizeof *d->fs);
	d->pmax = xcalloc(n ? n : 1, sizeof *d->pmax);
	d->parg = xcalloc(n ? n : 1, sizeof *d->parg);
	d->pcnt = xcalloc(n ? n : 1, sizeof *d->pcnt);
	d->touched = xcalloc(n ? n : 1, sizeof *d->touched);
	return d;
}

static void dash_fs_clear(dash_fs *s)
{
	free(s->sub);
	for (uint32_t k = 0; k < s->n_top; k++)
		free(s->top[k].nz);
	for (uint32_t k = 0; k < s->n_res; k++)
		free(s->res[k].nz);
	free(s->res);
	memset(s, 0, sizeof *s);
}

void dash_free(dash *d)
{
	if (!d)
		return;
	for (int64_t i = 0; i < d->d_sae; i++)
		dash_fs_clear(&d->fs[i]);
	free(d->fs);
	free(d->scale);
	free(d->pmax);
	free(d->parg);
	free(d->pcnt);
	free(d->touched);
	free(d);
}

int64_t dash_d_sae(const dash *d)
{
	return d->d_sae;
}

uint64_t dash_tokens(const dash *d)
{
	return d->tokens;
}

/* ------------------------------------------------------------ accumulation */

static void dash_hist_add(dash_fs *s, float v)
{
	if (!s->sub) {
		s->sub = xcalloc(DASH_SUB, sizeof *s->sub);
		s->R = ldexpf(1.0f, dash_exp(v));
	}
	while (v >= s->R) {
		for (size_t b = 0; b < DASH_SUB / 2; b++)
			s->sub[b] = s->sub[2 * b] + s->sub[2 * b + 1];
		memset(s->sub + DASH_SUB / 2, 0, DASH_SUB / 2 * sizeof *s->sub);
		s->R *= 2;
	}
	/* DASH_SUB / R is a power of two: the product is exact and below DASH_SUB. */
	s->sub[(size_t)(v * ((float)DASH_SUB / s->R))]++;
}

/* a is weaker than b: smaller, or equal and from a later prompt. */
static int dash_weaker(float av, uint32_t ap, float bv, uint32_t bp)
{
	return av < bv || (av == bv && ap > bp);
}

static void dash_heap_down(dash_kept *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && dash_weaker(h[l].max, h[l].prompt, h[m].max, h[m].prompt))
			m = l;
		if (r < n && dash_weaker(h[r].max, h[r].prompt, h[m].max, h[m].prompt))
			m = r;
		if (m == i)
			return;
		dash_kept t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void dash_heap_up(dash_kept *h, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!dash_weaker(h[i].max, h[i].prompt, h[p].max, h[p].prompt))
			return;
		dash_kept t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static int dash_top_wants(const dash_fs *s, float v, uint32_t prompt)
{
	return s->n_top < DASH_TOP || dash_weaker(s->top[0].max, s->top[0].prompt, v, prompt);
}

static void dash_top_put(dash_fs *s, const dash_kept *k)
{
	if (s->n_top < DASH_TOP) {
		s->top[s->n_top] = *k;
		dash_heap_up(s->top, s->n_top++);
		return;
	}
	free(s->top[0].nz);
	s->top[0] = *k;
	dash_heap_down(s->top, s->n_top, 0);
}

/* a's key is below b's: (prio, prompt). */
static int dash_key_below(const dash_kept *a, uint32_t prio, uint32_t prompt)
{
	return a->prio < prio || (a->prio == prio && a->prompt < prompt);
}

/* Drops sampled prompts whose level fell out of the window below the max. */
static void dash_res_prune(dash_fs *s)
{
	int top = dash_level(s->max);
	if (top == s->level && s->n_res)
		return;
	s->level = top;
	uint32_t w = 0;
	for (uint32_t k = 0; k < s->n_res; k++) {
		if (dash_level(s->res[k].max) > top - DASH_LEVELS)
			s->res[w++] = s->res[k];
		else
			free(s->res[k].nz);
	}
	s->n_res = w;
}

/* Where the sample takes (v, prio, prompt): an index to replace, n_res to
 * append, or -1 when it does not. */
static long dash_res_wants(const dash_fs *s, float v, uint32_t prio, uint32_t prompt)
{
	int lv = dash_level(v);
	if (lv <= dash_level(s->max) - DASH_LEVELS)
		return -1;
	uint32_t same = 0;
	long worst = -1;
	for (uint32_t k = 0; k < s->n_res; k++) {
		if (dash_level(s->res[k].max) != lv)
			continue;
		same++;
		if (worst < 0 || dash_key_below(&s->res[worst], s->res[k].prio, s->res[k].prompt))
			worst = (long)k;
	}
	if (same < DASH_RES_PER_LEVEL)
		return (long)s->n_res;
	return dash_key_below(&s->res[worst], prio, prompt) ? -1 : worst;
}

static void dash_res_put(dash_fs *s, long at, const dash_kept *k)
{
	if ((uint32_t)at == s->n_res) {
		if (s->n_res == s->cap_res) {
			s->cap_res = s->cap_res ? s->cap_res * 2 : 8;
			s->res = xrealloc(s->res, s->cap_res * sizeof *s->res);
		}
		s->res[s->n_res++] = *k;
		return;
	}
	free(s->res[at].nz);
	s->res[at] = *k;
}

int dash_add(dash *d, uint32_t prompt, const float *f, size_t T)
{
	size_t D = (size_t)d->d_sae, nt = 0;
	const float *scale = d->scale;
	float *pmax = d->pmax;
	uint32_t *parg = d->parg, *pcnt = d->pcnt, *touched = d->touched;
	for (size_t t = 0; t < T; t++) {
		const float *row = f + t * D;
		for (size_t j = 0; j < D; j++) {
			if (!(row[j] > 0))
				continue;
			float v = row[j] * scale[j];
			if (!(v > 0))
				continue;
			if (pmax[j] == 0) {
				touched[nt++] = (uint32_t)j;
				pcnt[j] = 0;
				parg[j] = (uint32_t)t;
				pmax[j] = v;
			} else if (v > pmax[j]) {
				pmax[j] = v;
				parg[j] = (uint32_t)t;
			}
			pcnt[j]++;
			dash_hist_add(&d->fs[j], v);
		}
	}
	d->tokens += T;
	for (size_t a = 0; a < nt; a++) {
		uint32_t j = touched[a];
		dash_fs *s = &d->fs[j];
		float v = pmax[j];
		pmax[j] = 0;
		s->nnz += pcnt[j];
		if (v > s->max)
			s->max = v;
		dash_res_prune(s);
		uint32_t prio = dash_prio(d->seed, j, prompt);
		int top = dash_top_wants(s, v, prompt);
		long res = dash_res_wants(s, v, prio, prompt);
		if (!top && res < 0)
			continue;
		dash_kept k = {prompt, prio, (uint32_t)T, parg[j], pcnt[j], v, NULL};
		k.nz = xmalloc(pcnt[j] * sizeof *k.nz);
		uint32_t w = 0;
		for (size_t t = 0; t < T && w < pcnt[j]; t++) {
			float x = f[t * D + j];
			if (x > 0 && x * scale[j] > 0)
				k.nz[w++] = (dash_nz){(uint32_t)t, x * scale[j]};
		}
		if (top && res >= 0) {
			dash_kept c = k;
			c.nz = xmalloc(pcnt[j] * sizeof *c.nz);
			memcpy(c.nz, k.nz, pcnt[j] * sizeof *c.nz);
			dash_res_put(s, res, &c);
		} else if (res >= 0) {
			dash_res_put(s, res, &k);
			continue;
		}
		dash_top_put(s, &k);
	}
	return 0;
}

/* ------------------------------------------------------------ results */

static void dash_example_of(const dash_kept *k, dash_example *e)
{
	e->prompt = k->prompt;
	e->len = k->len;
	e->max = k->max;
	e->argmax = k->argmax;
	e->nz = k->nz;
	e->nnz = k->nnz;
	e->min = 0;
	if (k->nnz == k->len) {
		e->min = k->max;
		for (uint32_t i = 0; i < k->nnz; i++)
			if (k->nz[i].v < e->min)
				e->min = k->nz[i].v;
	}
}

/* Sorts examples by max, largest first, ties the lower prompt first. */
static int dash_ex_cmp(const void *pa, const void *pb)
{
	const dash_example *a = pa, *b = pb;
	if (a->max != b->max)
		return a->max > b->max ? -1 : 1;
	return a->prompt < b->prompt ? -1 : a->prompt > b->prompt;
}

/* The bin of [0, m) split in n that x falls in, the last closed. */
static size_t dash_bin(double x, double m, size_t n)
{
	double b = x / m * (double)n;
	if (!(b > 0))
		return 0;
	return b >= (double)n ? n - 1 : (size_t)b;
}

void dash_feature(const dash *d, int64_t i, dash_feat *out)
{
	const dash_fs *s = &d->fs[i];
	memset(out, 0, sizeof *out);
	double m = s->max;
	out->max_act = m;
	out->frac_nonzero = d->tokens ? (double)s->nnz / (double)d->tokens : 0;
	if (!s->sub || !(m > 0))
		return;
	/* histogram and the quantile intervals' shares, from the sub-bins */
	double share[DASH_QUANTILES] = {0};
	share[0] = (double)(d->tokens - s->nnz);
	out->n_hist = DASH_BINS;
	for (size_t b = 0; b < DASH_SUB; b++) {
		if (!s->sub[b])
			continue;
		double c = ((double)b + 0.5) * s->R / DASH_SUB;
		out->hist_h[dash_bin(c, m, DASH_BINS)] += (float)s->sub[b];
		share[dash_bin(c, m, DASH_QUANTILES)] += s->sub[b];
	}
	for (size_t b = 0; b < DASH_BINS; b++)
		out->hist_v[b] = (float)(((double)b + 0.5) * m / DASH_BINS);
	/* the top group */
	for (uint32_t k = 0; k < s->n_top; k++) {
		dash_example *e = &out->ex[out->n_ex++];
		dash_example_of(&s->top[k], e);
		e->bin_min = -1;
		e->bin_max = m;
		e->bin_contains = -1;
	}
	qsort(out->ex, out->n_ex, sizeof *out->ex, dash_ex_cmp);
	out->n_top = out->n_ex;
	/* quantile groups, the highest interval first: the lowest keys among
	 * the sampled prompts whose max lies in the interval */
	for (int q = DASH_QUANTILES - 1; q >= 0; q--) {
		double lo = m * q / DASH_QUANTILES, hi = m * (q + 1) / DASH_QUANTILES;
		const dash_kept *pick[DASH_PER_GROUP];
		size_t np = 0;
		for (uint32_t k = 0; k < s->n_res; k++) {
			const dash_kept *c = &s->res[k];
			if (dash_bin(c->max, m, DASH_QUANTILES) != (size_t)q)
				continue;
			size_t at = np;
			while (at > 0 && dash_key_below(c, pick[at - 1]->prio, pick[at - 1]->prompt))
				at--;
			if (at >= DASH_PER_GROUP)
				continue;
			if (np < DASH_PER_GROUP)
				np++;
			memmove(pick + at + 1, pick + at, (np - 1 - at) * sizeof *pick);
			pick[at] = c;
		}
		dash_example *g = &out->ex[out->n_ex];
		for (size_t k = 0; k < np; k++) {
			dash_example *e = &out->ex[out->n_ex++];
			dash_example_of(pick[k], e);
			e->bin_min = lo;
			e->bin_max = hi;
			e->bin_contains = d->tokens ? share[q] / (double)d->tokens : 0;
		}
		qsort(g, np, sizeof *g, dash_ex_cmp);
	}
}

/* ------------------------------------------------------------ checkpoints */

#define DASH_MAGIC "saex-dash-1"

static int dash_w(FILE *f, const void *p, size_t n)
{
	return n == 0 || fwrite(p, n, 1, f) == 1 ? 0 : -1;
}

static int dash_save_kept(FILE *f, const dash_kept *k)
{
	uint32_t h[5] = {k->prompt, k->prio, k->len, k->argmax, k->nnz};
	return dash_w(f, h, sizeof h) || dash_w(f, &k->max, sizeof k->max) ||
	       dash_w(f, k->nz, k->nnz * sizeof *k->nz);
}

int dash_save(const dash *d, FILE *f)
{
	if (dash_w(f, DASH_MAGIC, sizeof DASH_MAGIC) || dash_w(f, &d->d_sae, sizeof d->d_sae) ||
	    dash_w(f, &d->seed, sizeof d->seed) || dash_w(f, &d->tokens, sizeof d->tokens))
		return -1;
	for (int64_t i = 0; i < d->d_sae; i++) {
		const dash_fs *s = &d->fs[i];
		uint32_t nsub = 0;
		for (size_t b = 0; s->sub && b < DASH_SUB; b++)
			nsub += s->sub[b] != 0;
		if (dash_w(f, &s->nnz, sizeof s->nnz) || dash_w(f, &s->max, sizeof s->max) ||
		    dash_w(f, &s->R, sizeof s->R) || dash_w(f, &s->level, sizeof s->level) ||
		    dash_w(f, &nsub, sizeof nsub))
			return -1;
		for (uint32_t b = 0; s->sub && b < DASH_SUB; b++) {
			uint32_t p[2] = {b, s->sub[b]};
			if (p[1] && dash_w(f, p, sizeof p))
				return -1;
		}
		if (dash_w(f, &s->n_top, sizeof s->n_top) || dash_w(f, &s->n_res, sizeof s->n_res))
			return -1;
		for (uint32_t k = 0; k < s->n_top; k++)
			if (dash_save_kept(f, &s->top[k]))
				return -1;
		for (uint32_t k = 0; k < s->n_res; k++)
			if (dash_save_kept(f, &s->res[k]))
				return -1;
	}
	return 0;
}

static int dash_r(FILE *f, void *p, size_t n)
{
	return n == 0 || fread(p, n, 1, f) == 1 ? 0 : -1;
}

static int dash_load_kept(FILE *f, dash_kept *k)
{
	uint32_t h[5];
	if (dash_r(f, h, sizeof h) || dash_r(f, &k->max, sizeof k->max))
		return -1;
	k->prompt = h[0];
	k->prio = h[1];
	k->len = h[2];
	k->argmax = h[3];
	k->nnz = h[4];
	if (k->nnz > k->len || k->argmax >= k->len)
		return -1;
	k->nz = xmalloc((k->nnz ? k->nnz : 1) * sizeof *k->nz);
	if (dash_r(f, k->nz, k->nnz * sizeof *k->nz)) {
		free(k->nz);
		k->nz = NULL;
		return -1;
	}
	return 0;
}

int dash_load(dash *d, FILE *f, char *err, size_t errlen)
{
	char magic[sizeof DASH_MAGIC];
	int64_t d_sae;
	uint64_t seed, tokens;
	if (dash_r(f, magic, sizeof magic) || memcmp(magic, DASH_MAGIC, sizeof magic) ||
	    dash_r(f, &d_sae, sizeof d_sae) || dash_r(f, &seed, sizeof seed) ||
	    dash_r(f, &tokens, sizeof tokens)) {
		snprintf(err, errlen, "not a dashboard checkpoint");
		return -1;
	}
	if (d_sae != d->d_sae || seed != d->seed) {
		snprintf(err, errlen, "checkpoint for %lld features, not %lld", (long long)d_sae,
		         (long long)d->d_sae);
		return -1;
	}
	for (int64_t i = 0; i < d->d_sae; i++)
		dash_fs_clear(&d->fs[i]);
	d->tokens = tokens;
	for (int64_t i = 0; i < d->d_sae; i++) {
		dash_fs *s = &d->fs[i];
		uint32_t nsub, n_top, n_res;
		if (dash_r(f, &s->nnz, sizeof s->nnz) || dash_r(f, &s->max, sizeof s->max) ||
		    dash_r(f, &s->R, sizeof s->R) || dash_r(f, &s->level, sizeof s->level) ||
		    dash_r(f, &nsub, sizeof nsub) || nsub > DASH_SUB)
			goto bad;
		if (nsub || s->R > 0)
			s->sub = xcalloc(DASH_SUB, sizeof *s->sub);
		for (uint32_t b = 0; b < nsub; b++) {
			uint32_t p[2];
			if (dash_r(f, p, sizeof p) || p[0] >= DASH_SUB)
				goto bad;
			s->sub[p[0]] = p[1];
		}
		if (dash_r(f, &n_top, sizeof n_top) || dash_r(f, &n_res, sizeof n_res) ||
		    n_top > DASH_TOP || n_res > DASH_LEVELS * DASH_RES_PER_LEVEL * 4)
			goto bad;
		for (; s->n_top < n_top; s->n_top++)
			if (dash_load_kept(f, &s->top[s->n_top]))
				goto bad;
		s->cap_res = n_res;
		s->res = n_res ? xmalloc(n_res * sizeof *s->res) : NULL;
		for (; s->n_res < n_res; s->n_res++)
			if (dash_load_kept(f, &s->res[s->n_res]))
				goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "the checkpoint is truncated or damaged");
	for (int64_t i = 0; i < d->d_sae; i++)
		dash_fs_clear(&d->fs[i]);
	d->tokens = 0;
	return -1;
}

/* ------------------------------------------------------------ weights */

void dash_unit_rows(const float *w, size_t n, size_t d, float *out, float *norms)
{
	for (size_t i = 0; i < n; i++) {
		const float *r = w + i * d;
		double ss = 0;
		for (size_t k = 0; k < d; k++)
			ss += (double)r[k] * r[k];
		double nr = sqrt(ss);
		if (norms)
			norms[i] = (float)nr;
		if (out)
			for (size_t k = 0; k < d; k++)
				out[i * d + k] = nr > 0 ? (float)(r[k] / nr) : 0.0f;
	}
}

/* Inserts (x, id) into the k-long list v/ids of n entries kept in order
 * (desc: largest first; else smallest first); equal values keep the
 * earlier id ahead. */
static void dash_keep(float *v, uint32_t *ids, size_t *n, size_t k, float x, uint32_t id,
                      int desc)
{
	if (*n == k && !(desc ? x > v[k - 1] : x < v[k - 1]))
		return;
	size_t at = *n < k ? (*n)++ : k - 1;
	while (at > 0 && (desc ? x > v[at - 1] : x < v[at - 1])) {
		v[at] = v[at - 1];
		ids[at] = ids[at - 1];
		at--;
	}
	v[at] = x;
	ids[at] = id;
}

#define DASH_BLOCK 64

int dash_logits(const float *w, size_t n, size_t d, const float *wte, size_t V,
                dash_logit *out)
{
	float *c = malloc(DASH_BLOCK * (V ? V : 1) * sizeof *c);
	if (!c)
		return -1;
	for (size_t r0 = 0; r0 < n; r0 += DASH_BLOCK) {
		size_t b = n - r0 < DASH_BLOCK ? n - r0 : DASH_BLOCK;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)V, (int)d, 1.0f,
		            w + r0 * d, (int)d, wte, (int)d, 0.0f, c, (int)V);
		for (size_t r = 0; r < b; r++) {
			const float *row = c + r * V;
			dash_logit *o = &out[r0 + r];
			memset(o, 0, sizeof *o);
			float lo = INFINITY, hi = -INFINITY;
			for (size_t t = 0; t < V; t++) {
				float x = row[t];
				dash_keep(o->pos_v, o->pos_id, &o->n_pos, DASH_LOGITS, x, (uint32_t)t, 1);
				dash_keep(o->neg_v, o->neg_id, &o->n_neg, DASH_LOGITS, x, (uint32_t)t, 0);
				if (x < lo)
					lo = x;
				if (x > hi)
					hi = x;
			}
			double width = ((double)hi - lo) / DASH_BINS;
			for (size_t t = 0; t < V; t++) {
				size_t k = width > 0 ? (size_t)(((double)row[t] - lo) / width) : 0;
				o->hist_h[k < DASH_BINS ? k : DASH_BINS - 1] += 1;
			}
			for (size_t k = 0; k < DASH_BINS && V; k++)
				o->hist_v[k] = (float)(lo + ((double)k + 0.5) * width);
		}
	}
	free(c);
	return 0;
}

long dash_cosine(const float *u, size_t n, size_t d, size_t r0, size_t r1, size_t k,
                 uint32_t *idx, float *val)
{
	if (k > n - (n > 0))
		k = n ? n - 1 : 0;
	if (k == 0 || r0 >= r1)
		return (long)k;
	float *c = malloc(DASH_BLOCK * n * sizeof *c);
	float *tv = malloc(k * sizeof *tv);
	uint32_t *ti = malloc(k * sizeof *ti);
	if (!c || !tv || !ti) {
		free(c);
		free(tv);
		free(ti);
		return -1;
	}
	for (size_t a = r0; a < r1; a += DASH_BLOCK) {
		size_t b = r1 - a < DASH_BLOCK ? r1 - a : DASH_BLOCK;
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)n, (int)d, 1.0f,
		            u + a * d, (int)d, u, (int)d, 0.0f, c, (int)n);
		for (size_t r = 0; r < b; r++) {
			size_t nk = 0, self = a + r;
			for (size_t j = 0; j < n; j++)
				if (j != self)
					dash_keep(tv, ti, &nk, k, c[r * n + j], (uint32_t)j, 1);
			memcpy(val + (self - r0) * k, tv, k * sizeof *tv);
			memcpy(idx + (self - r0) * k, ti, k * sizeof *ti);
		}
	}
	free(c);
	free(tv);
	free(ti);
	return (long)k;
}
