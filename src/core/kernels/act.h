/* act.h - the element-wise steps of a forward pass: the MLP's activations,
 * the gated MLP's product, softcaps (softmax and GELU's tanh form are
 * saex_softmax and saex_gelu_new in saex_model.h).
 *
 *   ACT_GELU_TANH  0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3)))
 *                  (gelu_new, gelu_pytorch_tanh)
 *   ACT_GELU_ERF   0.5 z (1 + erf(z / sqrt 2)) (gelu)
 *   ACT_SILU       z / (1 + e^-z) (silu, swish)
 * Each within 2e-6 relative of the formula in float64 for |z| <= 4 (farther
 * out the rounding of the float32 argument of vmath.h's e^x and erfc grows
 * with it: 2e-5 at |z| = 12), written as loops the compiler vectorises.
 *
 * Ownership: the caller's arrays; nothing is kept. */
#ifndef SAEX_ACT_H
#define SAEX_ACT_H

#include <stddef.h>

typedef enum act_kind { ACT_GELU_TANH, ACT_GELU_ERF, ACT_SILU } act_kind;

/* x = act(x) over n values. */
void act_apply(act_kind k, float *x, size_t n);
/* u = act(g) * u over n values: the gated MLP's hidden row. */
void act_gated(act_kind k, float *u, const float *g, size_t n);
/* x = cap tanh(x / cap) over n values (a logit softcap). */
void act_softcap(float *x, size_t n, float cap);

#endif
