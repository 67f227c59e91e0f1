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

/* ---------------------------------------------------------------- x86
 * The one-token products read every weight once from memory: the loads of
 * 2-byte values, widened in registers (BF16: shifted into a float's top
 * half; F16: the CPU's conversion) and multiplied into float32 sums, with
 * four rows (or four inputs) at a time so that x (or y) is loaded once for
 * four. AVX-512 (F, BW, VL) or AVX2 with FMA and F16C, chosen at run
 * time; the portable loops below otherwise. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define W16_X86 1

#define W16_512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define W16_256 __attribute__((target("avx2,fma,f16c")))

W16_512 static inline __m512 w16_load16(const uint16_t *p, __mmask16 m, int bf)
{
	__m256i v = _mm256_maskz_loadu_epi16(m, p);
	if (bf)
		return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16));
	return _mm512_cvtph_ps(v);
}

W16_256 static inline __m256 w16_load8(const uint16_t *p, int bf)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	if (bf)
		return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
	return _mm256_cvtph_ps(v);
}

W16_256 static inline float w16_sum8(__m256 a)
{
	__m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
	s = _mm_add_ps(s, _mm_movehl_ps(s, s));
	s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
	return _mm_cvtss_f32(s);
}

/* Rows [r0, r0 + n) (n <= 4) of the dot form: n sums side by side. nx:
 * the next four rows (or NULL), fetched into the cache a line at a time
 * as these are read: rows of 2-byte weights are a page or two long, and
 * the CPU's own prefetcher stops at each page's end (the one-token
 * product of a 256,000 x 2,304 BF16 unembedding went from 24.5 to 30.5
 * GB/s on two cores, F32 sgemv's rate). */
W16_512 static inline void w16_dot512_rows(float *y, const uint16_t *h, size_t ld, size_t n, const float *x,
                                            size_t k, int bf, const uint16_t *nx)
{
	__m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
	for (size_t i = 0; i < k; i += 16) {
		__mmask16 m = k - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - i)) - 1);
		__m512 xv = _mm512_maskz_loadu_ps(m, x + i);
		if (nx && (i & 31) == 0)
			for (size_t r = 0; r < 4; r++)
				_mm_prefetch((const char *)(nx + r * ld + i), _MM_HINT_T0);
		for (size_t r = 0; r < n; r++)
			a[r] = _mm512_fmadd_ps(w16_load16(h + r * ld + i, m, bf), xv, a[r]);
	}
	for (size_t r = 0; r < n; r++)
		y[r] += _mm512_reduce_add_ps(a[r]);
}

W16_512 static void w16_dot512(float *y, const uint16_t *h, size_t ld, size_t rows, const float *x, size_t k,
                               int bf)
{
	for (size_t r = 0; r < rows; r += 4) {
		size_t n = rows - r < 4 ? rows - r : 4;
		const uint16_t *nx = r + 8 <= rows ? h + (r + 4) * ld : NULL;
		if (bf)
			w16_dot512_rows(y + r, h + r * ld, ld, n, x, k, 1, nx);
		else
			w16_dot512_rows(y + r, h + r * ld, ld, n, x, k, 0, nx);
	}
}

W16_256 static inline void w16_dot256_rows(float *y, const uint16_t *h, size_t ld, size_t n, const float *x,
                                            size_t k, int bf, const uint16_t *nx)
{
	__m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
	size_t i = 0;
	for (; i + 8 <= k; i += 8) {
		__m256 xv = _mm256_loadu_ps(x + i);
		if (nx && (i & 31) == 0)
			for (size_t r = 0; r < 4; r++)
				_mm_prefetch((const char *)(nx + r * ld + i), _MM_HINT_T0);
		for (size_t r = 0; r < n; r++)
			a[r] = _mm256_fmadd_ps(w16_load8(h + r * ld + i, bf), xv, a[r]);
	}
	for (size_t r = 0; r < n; r++) {
		float s = w16_sum8(a[r]);
		for (size_t j = i; j < k; j++)
			s += (bf ? w16_bf16(h[r * ld + j]) : w16_f16(h[r * ld + j])) * x[j];
		y[r] += s;
	}
}

W16_256 static void w16_dot256(float *y, const uint16_t *h, size_t ld, size_t rows, const float *x, size_t k,
                               int bf)
{
	for (size_t r = 0; r < rows; r += 4) {
		size_t n = rows - r < 4 ? rows - r : 4;
		const uint16_t *nx = r + 8 <= rows ? h + (r + 4) * ld : NULL; /* as w16_dot512 */
		if (bf)
			w16_dot256_rows(y + r, h + r * ld, ld, n, x, k, 1, nx);
		else
			w16_dot256_rows(y + r, h + r * ld, ld, n, x, k, 0, nx);
	}
}

/* The axpy form, four inputs at a time: y[c] += sum_j x[k + j] h[(k + j) ld + c]. */
W16_512 static inline void w16_axpy512_k(float *y, const uint16_t *h, size_t ld, size_t kn, size_t w, const float *x,
                                          int bf)
{
	for (size_t k = 0; k < kn; k += 4) {
		size_t n = kn - k < 4 ? kn - k : 4;
		__m512 xs[4];
		for (size_t j = 0; j < n; j++)
			xs[j] = _mm512_set1_ps(x[k + j]);
		for (size_t c = 0; c < w; c += 16) {
			__mmask16 m = w - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (w - c)) - 1);
			__m512 acc = _mm512_maskz_loadu_ps(m, y + c);
			for (size_t j = 0; j < n; j++)
				acc = _mm512_fmadd_ps(w16_load16(h + (k + j) * ld + c, m, bf), xs[j], acc);
			_mm512_mask_storeu_ps(y + c, m, acc);
		}
	}
}

W16_512 static void w16_axpy512(float *y, const uint16_t *h, size_t ld, size_t kn, size_t w, const float *x, int bf)
{
	if (bf)
		w16_axpy512_k(y, h, ld, kn, w, x, 1);
	else
		w16_axpy512_k(y, h, ld, kn, w, x, 0);
}

/* 2: AVX-512, 1: AVX2 with FMA and F16C, 0: neither; w16_cap lowers it
 * (tests). */
static int w16_max = 2;

static int w16_level(void)
{
	static int level = -1;
	if (level < 0) {
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vl"))
			level = 2;
		else
			level = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
	}
	return level < w16_max ? level : w16_max;
}
#endif

int w16_cap(int level)
{
#ifdef W16_X86
	w16_max = level;
	return w16_level();
#else
	(void)level;
	return 0;
#endif
}

static void w16_dot_c(float *y, const uint16_t *h, size_t ld, size_t rows, const float *x, size_t k, int bf)
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

static void w16_axpy_c(float *y, const uint16_t *h, size_t ld, size_t kn, size_t w, const float *x, int bf)
{
	for (size_t k = 0; k < kn; k++) {
		const uint16_t *row = h + k * ld;
		float xk = x[k];
		for (size_t c = 0; c < w; c++)
			y[c] += xk * w16_one(row[c], bf);
	}
}

void w16_dot(float *y, const uint16_t *h, size_t ld, size_t rows, const float *x, size_t k, int bf)
{
#ifdef W16_X86
	int level = w16_level();
	if (level == 2)
		w16_dot512(y, h, ld, rows, x, k, bf);
	else if (level == 1)
		w16_dot256(y, h, ld, rows, x, k, bf);
	else
#endif
		w16_dot_c(y, h, ld, rows, x, k, bf);
}

void w16_axpy(float *y, const uint16_t *h, size_t ld, size_t kn, size_t w, const float *x, int bf)
{
#ifdef W16_X86
	if (w16_level() == 2)
		w16_axpy512(y, h, ld, kn, w, x, bf);
	else
#endif
		w16_axpy_c(y, h, ld, kn, w, x, bf);
}
