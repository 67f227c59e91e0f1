/* dash.c - see dash.h */
#include "config.h"
#include "affine.h"
#include "dash.h"
#include "team.h"
#include "util.h"
#include "wmat.h"

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
	/* the sample per level, slot k for level (level - k): how many it
	 * keeps and the largest key (prio << 32 | prompt) among them */
	uint16_t lv_n[DASH_LEVELS];
	uint64_t lv_worst[DASH_LEVELS];
} dash_fs;

/* A non-zero value met while scanning a prompt: feature, position, value. */
typedef struct dash_hit {
	uint32_t j, t;
	float v;
} dash_hit;

/* One team member's scratch for a prompt: its share's non-zero values in
 * the order met (by position), then grouped by feature. */
typedef struct dash_part {
	dash_hit *hit;
	dash_nz *nz;
	size_t cap;
} dash_part;

/* A feature in the prompt being added (one line of memory for the four):
 * its largest value (0: not met yet) and first position of it, its count
 * of non-zero values, and the end of its run of them in the member's
 * grouped values. */
typedef struct dash_cur {
	float max;
	uint32_t arg, cnt, end;
} dash_cur;

struct dash {
	int64_t d_sae;
	float *scale;
	uint64_t seed, tokens;
	dash_fs *fs;
	/* per-prompt scratch: per feature, and per team member */
	dash_cur *cur;
	uint32_t *touched;
	dash_part part[TEAM_MAX];
};

/* The exponent e with 2^(e-1) <= v < 2^e. */
static int dash_exp(float v)
{
	int e;
	frexpf(v, &e);
	return e;
}

/* The sampling level of v: half octaves, increasing with v: with
 * v = m 2^e, m in [0.5, 1) (frexpf), 2e + (m >= sqrt(1/2)). */
static int dash_level_slow(float v)
{
	int e;
	float m = frexpf(v, &e);
	return 2 * e + (m >= 0.70710678f);
}

/* The same from the bits (it runs for every kept sample of every feature a
 * prompt touches): for a normal v of biased exponent E, e = E - 126 and m
 * has v's mantissa bits, 0x3504f3 being those of 0.70710678f (0x3f3504f3).
 * Zero, subnormals and infinities take frexpf. */
static inline int dash_level(float v)
{
	uint32_t u;
	memcpy(&u, &v, sizeof u);
	uint32_t E = (u >> 23) & 0xffu;
	if (E == 0 || E == 0xffu)
		return dash_level_slow(v);
	return 2 * ((int)E - 126) + ((u & 0x7fffffu) >= 0x3504f3u);
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
	d->cur = xcalloc(n ? n : 1, sizeof *d->cur);
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
	free(d->cur);
	free(d->touched);
	for (int i = 0; i < TEAM_MAX; i++) {
		free(d->part[i].hit);
		free(d->part[i].nz);
	}
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

/* The sampling order: by prio, then prompt, as one number. */
static uint64_t dash_key(uint32_t prio, uint32_t prompt)
{
	return (uint64_t)prio << 32 | prompt;
}

/* a's key is below (prio, prompt)'s. */
static int dash_key_below(const dash_kept *a, uint32_t prio, uint32_t prompt)
{
	return dash_key(a->prio, a->prompt) < dash_key(prio, prompt);
}

/* Recounts slot k's sample (all slots when k < 0). -1 when an entry lies
 * outside the window (a damaged checkpoint). */
static int dash_res_index(dash_fs *s, int k)
{
	if (k < 0) {
		memset(s->lv_n, 0, sizeof s->lv_n);
		memset(s->lv_worst, 0, sizeof s->lv_worst);
	} else {
		s->lv_n[k] = 0;
		s->lv_worst[k] = 0;
	}
	for (uint32_t r = 0; r < s->n_res; r++) {
		int slot = s->level - dash_level(s->res[r].max);
		if (slot < 0 || slot >= DASH_LEVELS)
			return -1;
		if (k >= 0 && slot != k)
			continue;
		uint64_t key = dash_key(s->res[r].prio, s->res[r].prompt);
		s->lv_n[slot]++;
		if (key > s->lv_worst[slot])
			s->lv_worst[slot] = key;
	}
	return 0;
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
	dash_res_index(s, -1);
}

/* Where the sample takes (v, prio, prompt): an index to replace, n_res to
 * append, or -1 when it does not. Called after dash_res_prune, so
 * s->level is the max's level and v's level is at most that. A level's
 * DASH_RES_PER_LEVEL lowest keys are kept: most prompts are turned away
 * by the level's largest key alone. */
static long dash_res_wants(const dash_fs *s, float v, uint32_t prio, uint32_t prompt)
{
	int slot = s->level - dash_level(v);
	if (slot >= DASH_LEVELS)
		return -1;
	if (s->lv_n[slot] < DASH_RES_PER_LEVEL)
		return (long)s->n_res;
	if (dash_key(prio, prompt) > s->lv_worst[slot])
		return -1;
	for (uint32_t k = 0; k < s->n_res; k++)
		if (dash_key(s->res[k].prio, s->res[k].prompt) == s->lv_worst[slot] &&
		    s->level - dash_level(s->res[k].max) == slot)
			return (long)k;
	return -1; /* not reached: the largest key is one of the level's */
}

static void dash_res_put(dash_fs *s, long at, const dash_kept *k)
{
	if ((uint32_t)at == s->n_res) {
		if (s->n_res == s->cap_res) {
			s->cap_res = s->cap_res ? s->cap_res * 2 : 8;
			s->res = xrealloc(s->res, s->cap_res * sizeof *s->res);
		}
		s->res[s->n_res++] = *k;
	} else {
		free(s->res[at].nz);
		s->res[at] = *k;
	}
	dash_res_index(s, s->level - dash_level(k->max));
}

typedef struct dash_job {
	dash *d;
	uint32_t prompt;
	const float *f;
	size_t T;
} dash_job;

/* Member i's share of dash_add: the features [a, b), whose state (fs, cur,
 * touched[a..b)) no other member touches. */
static void dash_add_share(void *ctx, int i, int size)
{
	const dash_job *jb = ctx;
	dash *d = jb->d;
	const float *f = jb->f;
	size_t T = jb->T, D = (size_t)d->d_sae, a, b, nt = 0, nh = 0;
	uint32_t prompt = jb->prompt;
	team_share(D, i, size, 16, &a, &b); /* whole 64-byte lines of touched */
	const float *scale = d->scale;
	dash_cur *cur = d->cur;
	uint32_t *touched = d->touched + a;
	dash_part *p = &d->part[i];
	for (size_t t = 0; t < T; t++) {
		const float *row = f + t * D;
		for (size_t j = a; j < b; j++) {
			if (!(row[j] > 0))
				continue;
			float v = row[j] * scale[j];
			if (!(v > 0))
				continue;
			dash_cur *c = &cur[j];
			if (c->max == 0) {
				touched[nt++] = (uint32_t)j;
				*c = (dash_cur){v, (uint32_t)t, 0, 0};
			} else if (v > c->max) {
				c->max = v;
				c->arg = (uint32_t)t;
			}
			c->cnt++;
			dash_hist_add(&d->fs[j], v);
			if (nh == p->cap) {
				p->cap = p->cap ? 2 * p->cap : 4096;
				p->hit = xrealloc(p->hit, p->cap * sizeof *p->hit);
				p->nz = xrealloc(p->nz, p->cap * sizeof *p->nz);
			}
			p->hit[nh++] = (dash_hit){(uint32_t)j, (uint32_t)t, v};
		}
	}
	/* Group the values by feature (positions stay in order): feature j's
	 * run is nz[end - cnt .. end). */
	uint32_t o = 0;
	for (size_t k = 0; k < nt; k++) {
		dash_cur *c = &cur[touched[k]];
		c->end = o;
		o += c->cnt;
	}
	for (size_t k = 0; k < nh; k++)
		p->nz[cur[p->hit[k].j].end++] = (dash_nz){p->hit[k].t, p->hit[k].v};
	for (size_t k = 0; k < nt; k++) {
		uint32_t j = touched[k];
		dash_fs *s = &d->fs[j];
		dash_cur *c = &cur[j];
		float v = c->max;
		c->max = 0;
		s->nnz += c->cnt;
		if (v > s->max)
			s->max = v;
		dash_res_prune(s);
		uint32_t prio = dash_prio(d->seed, j, prompt);
		int top = dash_top_wants(s, v, prompt);
		long res = dash_res_wants(s, v, prio, prompt);
		if (!top && res < 0)
			continue;
		size_t bytes = c->cnt * sizeof(dash_nz);
		dash_kept kp = {prompt, prio, (uint32_t)T, c->arg, c->cnt, v, NULL};
		kp.nz = xmalloc(bytes);
		memcpy(kp.nz, p->nz + (c->end - c->cnt), bytes);
		if (top && res >= 0) {
			dash_kept twin = kp;
			twin.nz = xmalloc(bytes);
			memcpy(twin.nz, kp.nz, bytes);
			dash_res_put(s, res, &twin);
		} else if (res >= 0) {
			dash_res_put(s, res, &kp);
			continue;
		}
		dash_top_put(s, &kp);
	}
}

int dash_add(dash *d, uint32_t prompt, const float *f, size_t T, team *tm)
{
	dash_job jb = {d, prompt, f, T};
	team_run(tm, dash_add_share, &jb);
	d->tokens += T;
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
		if (dash_res_index(s, -1))
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

/* Rows of a logit or cosine product held at once: 512 x 50,257 floats
 * (103 MB) for GPT-2's vocabulary. Larger blocks pack the other operand
 * (the unembedding, the decoder) fewer times. */
#define DASH_BLOCK 512

/* One block of a product c [rows, cols] = a [rows, d] @ b [cols, d]^T and
 * what is read from it: logit effects (lg; b given as wb, with a scratch of
 * WMAT_SCRATCH floats per member) or nearest rows (idx, val). */
typedef struct dash_prod {
	const float *a, *b;
	const wmat *wb;
	float *scratch;
	size_t rows, cols, d;
	float *c;
	dash_logit *lg;
	size_t self, k;   /* cosine: a's first row is b's row self; k kept */
	uint32_t *idx;
	float *val;
} dash_prod;

/* Member i's columns of the product (64-byte aligned shares). */
static void dash_gemm_share(void *ctx, int i, int size)
{
	const dash_prod *p = ctx;
	size_t n0, n1;
	team_share(p->cols, i, size, 16, &n0, &n1);
	if (p->wb)
		wmat_cols(p->c, p->a, p->rows, p->wb, NULL, n0, n1, p->scratch + (size_t)i * WMAT_SCRATCH);
	else
		affine_cols_t(p->c, p->a, p->b, p->rows, p->d, p->cols, n0, n1);
}

static void dash_logit_row(const float *row, size_t V, dash_logit *o)
{
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

static void dash_logit_share(void *ctx, int i, int size)
{
	const dash_prod *p = ctx;
	size_t r0, r1;
	team_share(p->rows, i, size, 1, &r0, &r1);
	for (size_t r = r0; r < r1; r++)
		dash_logit_row(p->c + r * p->cols, p->cols, &p->lg[r]);
}

static void dash_cos_share(void *ctx, int i, int size)
{
	const dash_prod *p = ctx;
	size_t r0, r1;
	team_share(p->rows, i, size, 1, &r0, &r1);
	for (size_t r = r0; r < r1; r++) {
		const float *row = p->c + r * p->cols;
		float *v = p->val + r * p->k;
		uint32_t *ids = p->idx + r * p->k;
		size_t nk = 0, self = p->self + r;
		for (size_t j = 0; j < p->cols; j++)
			if (j != self)
				dash_keep(v, ids, &nk, p->k, row[j], (uint32_t)j, 1);
	}
}

/* Rows of a logit block: DASH_BLOCK, fewer for a large vocabulary (the
 * block holds rows x V floats: 128 MiB at most then). */
static size_t dash_logit_rows(size_t V)
{
	size_t r = ((size_t)1 << 25) / (V ? V : 1);
	return r >= DASH_BLOCK ? DASH_BLOCK : r < 16 ? 16 : r;
}

int dash_logits(const float *w, size_t n, size_t d, const saex_tensor *wu, dash_logit *out, team *tm)
{
	size_t V = (size_t)wu->shape[0], rows = dash_logit_rows(V), members = tm ? (size_t)team_size(tm) : 1;
	wmat wb = {wu->data, wu->dtype, V, (size_t)wu->shape[1], 1};
	if (wu->ndim != 2 || (size_t)wu->shape[1] != d)
		return -1;
	float *c = malloc((n < rows ? (n ? n : 1) : rows) * (V ? V : 1) * sizeof *c);
	float *scratch = wu->dtype == SAEX_F32 ? NULL : malloc(members * WMAT_SCRATCH * sizeof *scratch);
	if (!c || (wu->dtype != SAEX_F32 && !scratch)) {
		free(c);
		free(scratch);
		return -1;
	}
	for (size_t r0 = 0; r0 < n; r0 += rows) {
		size_t b = n - r0 < rows ? n - r0 : rows;
		dash_prod p = {w + r0 * d, NULL, &wb, scratch, b, V, d, c, out + r0, 0, 0, NULL, NULL};
		team_run(tm, dash_gemm_share, &p);
		team_run(tm, dash_logit_share, &p);
	}
	free(c);
	free(scratch);
	return 0;
}

long dash_cosine(const float *u, size_t n, size_t d, size_t r0, size_t r1, size_t k,
                 uint32_t *idx, float *val, team *tm)
{
	if (k > n - (n > 0))
		k = n ? n - 1 : 0;
	if (k == 0 || r0 >= r1)
		return (long)k;
	size_t rows = r1 - r0 < DASH_BLOCK ? r1 - r0 : DASH_BLOCK;
	float *c = malloc(rows * n * sizeof *c);
	if (!c)
		return -1;
	for (size_t a = r0; a < r1; a += DASH_BLOCK) {
		size_t b = r1 - a < DASH_BLOCK ? r1 - a : DASH_BLOCK;
		dash_prod p = {u + a * d, u, NULL, NULL, b, n, d, c, NULL, a, k, idx + (a - r0) * k,
		               val + (a - r0) * k};
		team_run(tm, dash_gemm_share, &p);
		team_run(tm, dash_cos_share, &p);
	}
	free(c);
	return (long)k;
}
