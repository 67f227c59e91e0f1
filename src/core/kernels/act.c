/* act.c - activations, softmax and softcaps (see act.h and saex_model.h). */
#include "config.h"
#include "saex.h"
#include "act.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

/* 0.5 v (1 + tanh u) is v * sigmoid(2u) = v / (1 + exp(-2u)): the same
 * function, within float32 rounding (1.5e-6 relative against float64 over
 * [-4, 4]), and exp is several times faster than tanh; vm_expf (vmath.h)
 * lets the loop run as vector code. A large negative u makes the result
 * v / e^88, a tiny negative number, where the limit is -0. */
static inline float act_gelu_tanh(float v)
{
	const float c2 = 2.0f * 0.7978845608028654f; /* 2 sqrt(2/pi) */
	return v / (1.0f + vm_expf(-c2 * (v + 0.044715f * v * v * v)));
}

/* 0.5 v (1 + erf(v / sqrt 2)) = 0.5 v erfc(-v / sqrt 2): erfc keeps its
 * relative accuracy where 1 + erf cancels (v far below zero). */
static inline float act_gelu_erf(float v)
{
	return 0.5f * v * vm_erfcf(-0.7071067811865476f * v);
}

static inline float act_silu(float v)
{
	return v / (1.0f + vm_expf(-v));
}

VM_CLONES void saex_gelu_new(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = act_gelu_tanh(x[i]);
}

VM_CLONES static void act_gelu_erf_n(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = act_gelu_erf(x[i]);
}

VM_CLONES static void act_silu_n(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		x[i] = act_silu(x[i]);
}

void act_apply(act_kind k, float *x, size_t n)
{
	switch (k) {
	case ACT_GELU_TANH: saex_gelu_new(x, n); break;
	case ACT_GELU_ERF: act_gelu_erf_n(x, n); break;
	case ACT_SILU: act_silu_n(x, n); break;
	}
}

VM_CLONES static void act_gated_tanh(float *u, const float *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u[i] *= act_gelu_tanh(g[i]);
}

VM_CLONES static void act_gated_erf(float *u, const float *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u[i] *= act_gelu_erf(g[i]);
}

VM_CLONES static void act_gated_silu(float *u, const float *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		u[i] *= act_silu(g[i]);
}

void act_gated(act_kind k, float *u, const float *g, size_t n)
{
	switch (k) {
	case ACT_GELU_TANH: act_gated_tanh(u, g, n); break;
	case ACT_GELU_ERF: act_gated_erf(u, g, n); break;
	case ACT_SILU: act_gated_silu(u, g, n); break;
	}
}

VM_CLONES void act_softcap(float *x, size_t n, float cap)
{
	float inv = 1.0f / cap;
	for (size_t i = 0; i < n; i++)
		x[i] = cap * vm_tanhf(x[i] * inv);
}

VM_CLONES void saex_softmax(float *x, size_t n)
{
	float mx = -INFINITY;
	for (size_t i = 0; i < n; i++)
		mx = x[i] > mx ? x[i] : mx;
	if (mx == -INFINITY) {
		memset(x, 0, n * sizeof *x);
		return;
	}
	for (size_t i = 0; i < n; i++)
		x[i] = x[i] == -INFINITY ? 0.0f : vm_expf(x[i] - mx);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	float inv = (float)(1.0 / sum);
	for (size_t i = 0; i < n; i++)
		x[i] *= inv;
}
