/* vmath.h - e^x, tanh and erfc for the forward pass's element-wise steps
 * (activations, softmax, softcaps), written so that the compiler turns
 * their loops into vector code.
 *
 * vm_expf: x = k ln2 + r with k an integer and |r| <= ln2 / 2 (ln2 split
 * in two parts, Cody and Waite), e^r by its Taylor polynomial of degree 7
 * (remainder below 1e-8 relative), 2^k put in the exponent bits. Within
 * 1e-7 relative of e^x (under one float ulp; checked against the double
 * exp in check_model) for x in [-87, 88]; x below -87 gives e^-87 (1.6e-38),
 * above 88 gives e^88: callers that need exp(-inf) = 0 say so themselves.
 * No calls, no branches: libm's expf is a call per value.
 *
 * VM_CLONES on a function of such loops: GCC compiles it for plain x86-64,
 * AVX2 and AVX-512, and picks the clone the CPU runs when the program
 * loads; elsewhere it is nothing. */
#ifndef SAEX_VMATH_H
#define SAEX_VMATH_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define VM_CLONES                                                                                                     \
	__attribute__((target_clones("default", "avx2", "avx512f"), optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define VM_CLONES
#endif

static inline float vm_expf(float x)
{
	x = x < -87.0f ? -87.0f : x;
	x = x > 88.0f ? 88.0f : x;
	float kf = x * 1.44269504088896341f + 12582912.0f; /* round to an integer: 1.5 * 2^23 */
	kf -= 12582912.0f;
	float r = x - kf * 0.693145751953125f;
	r -= kf * 1.428606765330187e-06f;
	float p = 1.0f / 5040.0f;
	p = p * r + 1.0f / 720.0f;
	p = p * r + 1.0f / 120.0f;
	p = p * r + 1.0f / 24.0f;
	p = p * r + 1.0f / 6.0f;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	int32_t bits = ((int32_t)kf + 127) * (1 << 23);
	float s;
	memcpy(&s, &bits, sizeof s);
	return p * s;
}

/* tanh x within 3e-7 relative: below |x| = 1/4 its odd Taylor polynomial
 * to x^9 (remainder under 1e-8 relative), above (1 - e)/(1 + e) with
 * e = e^-2|x|, where 1 - e no longer cancels; the sign put back. */
static inline float vm_tanhf(float x)
{
	float a = x < 0 ? -x : x, a2 = a * a;
	float p = a * (1.0f + a2 * (-1.0f / 3 + a2 * (2.0f / 15 + a2 * (-17.0f / 315 + a2 * (62.0f / 2835)))));
	float e = vm_expf(-2.0f * a);
	float r = a < 0.25f ? p : (1.0f - e) / (1.0f + e);
	return x < 0 ? -r : r;
}

/* erfc x within 2e-7 relative everywhere (the Chebyshev-fitted form of
 * Numerical Recipes' erfcc: erfc z = t e^(-z^2 + P(t)), t = 1/(1 + z/2) for
 * z = |x| >= 0, fractional error under 1.2e-7; 2 - erfc |x| below zero).
 * Far tails: e^-87 where the true value is smaller. */
static inline float vm_erfcf(float x)
{
	float z = x < 0 ? -x : x, t = 1.0f / (1.0f + 0.5f * z);
	float p = 0.17087277f;
	p = p * t - 0.82215223f;
	p = p * t + 1.48851587f;
	p = p * t - 1.13520398f;
	p = p * t + 0.27886807f;
	p = p * t - 0.18628806f;
	p = p * t + 0.09678418f;
	p = p * t + 0.37409196f;
	p = p * t + 1.00002368f;
	p = p * t - 1.26551223f;
	float r = t * vm_expf(p - z * z);
	return x < 0 ? 2.0f - r : r;
}

#endif
