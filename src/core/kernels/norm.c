/* norm.c - layer and RMS normalisation (see norm.h). */
#include "config.h"
#include "saex.h"
#include "norm.h"

#include <math.h>

void norm_row(norm_kind k, float *y, const float *x, size_t n, const float *w, const float *b, float eps)
{
	double mean = 0, var = 0;
	if (k == NORM_LAYER) {
		for (size_t i = 0; i < n; i++)
			mean += x[i];
		mean /= (double)n;
	}
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - mean;
		var += d * d;
	}
	var /= (double)n;
	float inv = (float)(1.0 / sqrt(var + eps)), m = (float)mean;
	if (!w)
		for (size_t i = 0; i < n; i++)
			y[i] = (x[i] - m) * inv;
	else if (!b)
		for (size_t i = 0; i < n; i++)
			y[i] = (x[i] - m) * inv * w[i];
	else
		for (size_t i = 0; i < n; i++)
			y[i] = (x[i] - m) * inv * w[i] + b[i];
}

void norm_scale(float *y, size_t n, const float *w, const float *b)
{
	if (b)
		for (size_t i = 0; i < n; i++)
			y[i] = y[i] * w[i] + b[i];
	else
		for (size_t i = 0; i < n; i++)
			y[i] *= w[i];
}

void saex_layer_norm(float *y, const float *x, size_t n, const float *w, const float *b, float eps)
{
	norm_row(NORM_LAYER, y, x, n, w, b, eps);
}

void saex_rms_norm(float *y, const float *x, size_t n, const float *w, float eps)
{
	norm_row(NORM_RMS, y, x, n, w, NULL, eps);
}
