/* wmat16.c - float32 arithmetic on F16 and BF16 weights read in place: the
 * widening of a block for sgemm and the matrix-vector products of one
 * generated token (see wmat.h). */
#include "config.h"
#include "wmat.h"
#include "vmath.h"

#include <string.h>

static inline float w16_bits(uint32_t u)
{
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

static inline uint32_t w16_ubits(float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	return u;
}

/* One F16 value, exactly: its exponent and mantissa moved into float32's
 * places read as a float are the value times 2^-112 (normal and subnormal
 * halves alike), so one multiply rebiases it; infinities and NaNs keep the
 * all-ones exponent. No branches, so loops of it vectorise. */
static inline float w16_f16(uint16_t h)
{
	uint32_t em = (uint32_t)(h & 0x7fff) << 13;
	float f = w16_bits(em) * 0x1p112f;
	uint32_t u = (h & 0x7c00) == 0x7c00 ? em | 0x7f800000u : w16_ubits(f);
	return w16_bits(u | (uint32_t)(h & 0x8000) << 16);
}

static inline float w16_bf16(uint16_t h)
{
	return w16_bits((uint32_t)h << 16);
}

VM_CLONES void w16_widen(float *out, const uint16_t *h, size_t n, int bf)
{
	if (bf)
		for (size_t i = 0; i < n; i++)
			out[i] = w16_bf16(h[i]);
	else
		for (size_t i = 0; i < n; i++)
			out[i] = w16_f16(h[i]);
}

static inline float w16_one(uint16_t h, int bf)
{
	return bf ? w16_bf16(h) : w16_f16(h);
}

void w16_dot(float *y, const uint16_t *h, size_t ld, size_t rows, const float *x, size_t k, int bf)
{
	for (size_t r = 0; r < rows; r++) {
		const uint16_t *row = h + r * ld;
		float s[4] = {0, 0, 0, 0};
		size_t i = 0;
		for (; i + 4 <= k; i += 4)
			for (int j = 0; j < 4; j++)
				s[j] += w16_one(row[i + j], bf) * x[i + j];
		for (; i < k; i++)
			s[0] += w16_one(row[i], bf) * x[i];
		y[r] += (s[0] + s[1]) + (s[2] + s[3]);
	}
}

void w16_axpy(float *y, const uint16_t *h, size_t ld, size_t kn, size_t w, const float *x, int bf)
{
	for (size_t k = 0; k < kn; k++) {
		const uint16_t *row = h + k * ld;
		float xk = x[k];
		for (size_t c = 0; c < w; c++)
			y[c] += xk * w16_one(row[c], bf);
	}
}
