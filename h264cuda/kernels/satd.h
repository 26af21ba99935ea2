/*
 * satd.h: the 4x4 Hadamard SATD of h264/cost.go (satd4x4, satdBlock),
 * shared by the mode decision (analyse.cu), the lookahead (lookahead.cu)
 * and the motion search (motion.cu, which feeds it four samples a word).
 *   hadamard_row(t, d0..d3)  the horizontal pass of one row of
 *                            differences into t[0..3]
 *   hadamard_cols(t)         the vertical pass over the 16 row-transformed
 *                            values and the sum of their magnitudes
 *   satd4x4(a, as, b, bs)    both passes over a - b (the raw sum: callers
 *                            halve as cost.go does where it does)
 */
#ifndef GPUENC_SATD_H
#define GPUENC_SATD_H

#include "common.h"

DEVICE_FN void hadamard_row(int *t, int d0, int d1, int d2, int d3)
{
	int s01 = d0 + d1, m01 = d0 - d1, s23 = d2 + d3, m23 = d2 - d3;
	t[0] = s01 + s23;
	t[1] = s01 - s23;
	t[2] = m01 - m23;
	t[3] = m01 + m23;
}

DEVICE_FN int hadamard_cols(const int *t)
{
	int sum = 0;
	for (int c = 0; c < 4; c++) {
		int s01 = t[c] + t[4 + c], m01 = t[c] - t[4 + c];
		int s23 = t[8 + c] + t[12 + c], m23 = t[8 + c] - t[12 + c];
		sum += iabs(s01 + s23) + iabs(s01 - s23) + iabs(m01 - m23) + iabs(m01 + m23);
	}
	return sum;
}

DEVICE_FN int satd4x4(const uint8_t *a, int as, const uint8_t *b, int bs)
{
	int t[16];
	for (int r = 0; r < 4; r++) {
		const uint8_t *pa = a + r * as, *pb = b + r * bs;
		hadamard_row(t + 4 * r, pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2], pa[3] - pb[3]);
	}
	return hadamard_cols(t);
}

#endif
