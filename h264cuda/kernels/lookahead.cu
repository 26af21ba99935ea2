/*
 * lookahead.cu: the lookahead's half-resolution analysis (h264/lookahead.go,
 * lookahead.analyse) with exactly h264's integer arithmetic:
 *   - la_down: the half-resolution luma plane, each sample the rounded
 *     average (a+b+c+d+2)>>2 of the 2x2 source samples below it
 *     (motionDownRow), its margins replicating the nearest edge sample
 *     (extendRow, extendTopBottom); one thread per sample, margins
 *     included;
 *   - la_analyse: one thread per macroblock's 8x8 block (analyseBlock):
 *     the intra cost (intraCost), then, unless arg says the picture is
 *     the first, the search against the previous picture's plane from the
 *     zero vector and the previous picture's vectors at this block and its
 *     four neighbours, a small diamond by SAD, the SATD at the vector
 *     found, and the share of the intra cost the reference saves.
 * Blocks read only the previous picture's results, never each other's, so
 * the order of the threads does not matter.
 */
#include "common.h"
#include "lookahead.h"
#include "satd.h"

KERNEL la_down(const int64_t *P, int n, int arg)
{
	(void)arg;
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, LA_MBW), mbH = PARAM_INT(P, LA_MBH);
	int w = LA_BLOCK * mbW, h = LA_BLOCK * mbH, stride = w + 2 * LA_MARGIN;
	int x = iclamp(i % stride - LA_MARGIN, 0, w - 1);
	int y = iclamp(i / stride - LA_MARGIN, 0, h - 1);
	int ss = 16 * mbW;
	const uint8_t *s = PARAM_PTR(const uint8_t, P, LA_SRC) + 2 * y * ss + 2 * x;
	PARAM_PTR(uint8_t, P, LA_LOW)[i] = (uint8_t)((s[0] + s[1] + s[ss] + s[ss + 1] + 2) >> 2);
}

/* la_sad: the SAD of two 8x8 blocks of planes of one stride. */
DEVICE_FN int la_sad(const uint8_t *a, const uint8_t *b, int stride)
{
	int sum = 0;
	for (int r = 0; r < LA_BLOCK; r++)
		for (int c = 0; c < LA_BLOCK; c++)
			sum += iabs(a[r * stride + c] - b[r * stride + c]);
	return sum;
}

/* la_satd: the raw (not halved) SATD of an 8x8 block against b (stride
 * bs): the sum of the absolute 4x4 Hadamard coefficients of its four 4x4
 * difference blocks (satd8x8Raw; the sum does not depend on the order of
 * the butterflies). */
DEVICE_FN int la_satd(const uint8_t *a, int as, const uint8_t *b, int bs)
{
	int sum = 0;
	for (int q = 0; q < 4; q++)
		sum += satd4x4(a + (q >> 1) * 4 * as + (q & 1) * 4, as, b + (q >> 1) * 4 * bs + (q & 1) * 4, bs);
	return sum;
}

/* la_intra: intraCost, the SATD of the block at o (plane stride) against
 * the best of the DC, vertical and horizontal predictions from its
 * neighbours in the same plane (DC 128 without any), halved, plus one. */
DEVICE_FN int la_intra(const uint8_t *L, int o, int stride, int top, int left)
{
	uint8_t pred[LA_BLOCK * LA_BLOCK];
	int sum = 0, n = 0;
	if (top) {
		for (int c = 0; c < LA_BLOCK; c++)
			sum += L[o - stride + c];
		n += LA_BLOCK;
	}
	if (left) {
		for (int r = 0; r < LA_BLOCK; r++)
			sum += L[o + r * stride - 1];
		n += LA_BLOCK;
	}
	int dc = n > 0 ? (sum + n / 2) / n : 128;
	for (int k = 0; k < LA_BLOCK * LA_BLOCK; k++)
		pred[k] = (uint8_t)dc;
	int best = la_satd(L + o, stride, pred, LA_BLOCK);
	if (top) {
		for (int k = 0; k < LA_BLOCK * LA_BLOCK; k++)
			pred[k] = L[o - stride + (k & 7)];
		best = imin(best, la_satd(L + o, stride, pred, LA_BLOCK));
	}
	if (left) {
		for (int k = 0; k < LA_BLOCK * LA_BLOCK; k++)
			pred[k] = L[o + (k >> 3) * stride - 1];
		best = imin(best, la_satd(L + o, stride, pred, LA_BLOCK));
	}
	return (best >> 1) + 1;
}

DEVICE_FN int la_mv_x(int32_t v) { return (int16_t)(v & 0xffff); }
DEVICE_FN int la_mv_y(int32_t v) { return (int16_t)((uint32_t)v >> 16); }

KERNEL la_analyse(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, LA_MBW), mbH = PARAM_INT(P, LA_MBH);
	int x = i % mbW, y = i / mbW;
	int stride = LA_BLOCK * mbW + 2 * LA_MARGIN;
	int o = (LA_MARGIN + LA_BLOCK * y) * stride + LA_MARGIN + LA_BLOCK * x;
	const uint8_t *L = PARAM_PTR(const uint8_t, P, LA_LOW);
	int32_t *out = PARAM_PTR(int32_t, P, LA_OUT) + LA_WORDS * i;
	int intra = la_intra(L, o, stride, y > 0, x > 0);
	out[LA_INTRA] = intra;
	if (arg) { /* the first picture: nothing to search */
		out[LA_INTER] = intra;
		out[LA_MV] = 0;
		out[LA_FRAC] = 0;
		return;
	}
	const uint8_t *R = PARAM_PTR(const uint8_t, P, LA_PREV);
	const int32_t *prev = PARAM_PTR(const int32_t, P, LA_PREV_OUT);
	int bx = 0, by = 0;
	int best = la_sad(L + o, R + o, stride);
	/* The previous picture's vectors at this block and its neighbours,
	 * clamped to the range, each distinct non-zero one once; ties go to
	 * the shorter vector. */
	int tx[5], ty[5], nt = 0;
	const int dx[5] = {0, -1, 1, 0, 0}, dy[5] = {0, 0, 0, -1, 1};
	for (int k = 0; k < 5; k++) {
		int nx = x + dx[k], ny = y + dy[k];
		if (nx < 0 || ny < 0 || nx >= mbW || ny >= mbH)
			continue;
		int32_t pv = prev[LA_WORDS * (ny * mbW + nx) + LA_MV];
		int vx = iclamp(la_mv_x(pv), -LA_RANGE, LA_RANGE), vy = iclamp(la_mv_y(pv), -LA_RANGE, LA_RANGE);
		if (vx == 0 && vy == 0)
			continue;
		int seen = 0;
		for (int j = 0; j < nt; j++)
			seen |= tx[j] == vx && ty[j] == vy;
		if (seen)
			continue;
		tx[nt] = vx, ty[nt] = vy, nt++;
		int c = la_sad(L + o, R + o + vy * stride + vx, stride);
		if (c < best || (c == best && iabs(vx) + iabs(vy) < iabs(bx) + iabs(by)))
			bx = vx, by = vy, best = c;
	}
	/* The small diamond: the centre's neighbours but the one it came from. */
	const int sx[4] = {-1, 1, 0, 0}, sy[4] = {0, 0, -1, 1};
	int back = -1;
	for (int step = 0; step < LA_STEPS && best > 0; step++) {
		int cx = bx, cy = by, moved = -1;
		for (int k = 0; k < 4; k++) {
			if (k == back)
				continue;
			int vx = iclamp(cx + sx[k], -LA_RANGE, LA_RANGE), vy = iclamp(cy + sy[k], -LA_RANGE, LA_RANGE);
			if (vx == cx && vy == cy)
				continue;
			int c = la_sad(L + o, R + o + vy * stride + vx, stride);
			if (c < best)
				bx = vx, by = vy, best = c, moved = k;
		}
		if (moved < 0)
			break;
		back = moved ^ 1;
	}
	int inter = imin(la_satd(L + o, stride, R + o + by * stride + bx, stride) >> 1, intra);
	out[LA_INTER] = inter;
	out[LA_MV] = (int32_t)(((uint32_t)by << 16) | ((uint32_t)bx & 0xffff));
	out[LA_FRAC] = (int32_t)(((uint64_t)(intra - inter) << 16) / (uint64_t)intra);
}
