/* vmath.h - e^x for the forward pass's element-wise steps (GELU, softmax),
 * written so that the compiler turns their loops into vector code.
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

#endif
