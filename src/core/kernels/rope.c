/* rope.c - rotary position embeddings (see rope.h). */
#include "config.h"
#include "rope.h"

#include <math.h>

void rope_inv(float *inv, const rope_cfg *c)
{
	int h = c->dims / 2;
	for (int i = 0; i < h; i++) {
		/* Hugging Face: 1 / base^(2i/r), the exponent a float32 */
		double f = 1.0 / pow(c->base, (double)(float)(2.0 * i / c->dims));
		if (c->kind == ROPE_LINEAR) {
			f /= c->factor;
		} else if (c->kind == ROPE_LLAMA3) {
			double l = 2.0 * M_PI / f, lo = c->orig / c->low, hi = c->orig / c->high;
			if (l > lo) {
				f /= c->factor;
			} else if (l >= hi) {
				double s = (c->orig / l - c->low) / (c->high - c->low);
				f = (1.0 - s) * f / c->factor + s * f;
			}
		}
		inv[i] = (float)f;
	}
}

void rope_table(float *cs, const float *inv, int r, size_t p0, size_t T)
{
	int h = r / 2;
	for (size_t t = 0; t < T; t++) {
		float p = (float)(p0 + t), *row = cs + t * (size_t)r;
		for (int i = 0; i < h; i++) {
			double th = (double)(p * inv[i]);
			row[i] = (float)cos(th);
			row[h + i] = (float)sin(th);
		}
	}
}

void rope_apply(float *x, const float *cs, int r)
{
	int h = r / 2;
	const float *c = cs, *s = cs + h;
	for (int i = 0; i < h; i++) {
		float a = x[i], b = x[h + i];
		x[i] = a * c[i] - b * s[i];
		x[h + i] = b * c[i] + a * s[i];
	}
}
