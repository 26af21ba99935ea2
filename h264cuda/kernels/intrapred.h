/*
 * intrapred.h: intra prediction (h264/intra.go; ITU-T H.264 8.3.1.2,
 * 8.3.3, 8.3.4) shared by the kernels that predict from a plane: the mode
 * decision (analyse.cu, from the source) and the intra reconstruction
 * (intra.cu, from the reconstruction). Availability follows the frame
 * edges only (one slice per picture, constrained_intra_pred_flag 0).
 */
#ifndef GPUENC_INTRAPRED_H
#define GPUENC_INTRAPRED_H

#include "common.h"

/* Neighbour availability bits (intra.go). */
enum { AV_LEFT = 1, AV_TOP = 2, AV_TOPRIGHT = 4, AV_TOPLEFT = 8 };

/* Intra_16x16 / chroma-as-16x16 mode availability (i16ModeAvail). */
DEVICE_FN int i16_mode_avail(int m, int a)
{
	switch (m) {
	case 0:
		return (a & AV_TOP) != 0;
	case 1:
		return (a & AV_LEFT) != 0;
	case 2:
		return 1;
	}
	return (a & (AV_LEFT | AV_TOP | AV_TOPLEFT)) == (AV_LEFT | AV_TOP | AV_TOPLEFT);
}

/* chromaModeAvail: chroma mode numbers (DC, horizontal, vertical, plane). */
DEVICE_FN int chroma_mode_avail(int m, int a)
{
	switch (m) {
	case 0:
		return 1;
	case 1:
		return (a & AV_LEFT) != 0;
	case 2:
		return (a & AV_TOP) != 0;
	}
	return (a & (AV_LEFT | AV_TOP | AV_TOPLEFT)) == (AV_LEFT | AV_TOP | AV_TOPLEFT);
}

/* i4ModeAvail. */
DEVICE_FN int i4_mode_avail(int m, int a)
{
	switch (m) {
	case 0:
	case 3:
	case 7:
		return (a & AV_TOP) != 0;
	case 1:
	case 8:
		return (a & AV_LEFT) != 0;
	case 2:
		return 1;
	}
	return (a & (AV_LEFT | AV_TOP | AV_TOPLEFT)) == (AV_LEFT | AV_TOP | AV_TOPLEFT);
}

/* mbAvail: one slice per picture, only the frame edges limit. */
DEVICE_FN int mb_avail(int x, int y, int mbW)
{
	int a = 0;
	if (x > 0)
		a |= AV_LEFT;
	if (y > 0) {
		a |= AV_TOP;
		if (x > 0)
			a |= AV_TOPLEFT;
		if (x < mbW - 1)
			a |= AV_TOPRIGHT;
	}
	return a;
}

/* luma4x4BlkIdx of the 4x4 block at (bx, by) (6.4.3, blkIdxAt). */
DEVICE_FN int blk_idx(int bx, int by)
{
	return 8 * (by >> 1) + 4 * (bx >> 1) + 2 * (by & 1) + (bx & 1);
}

/* blk4Avail (6.4.11.4). */
DEVICE_FN int blk4_avail(int bx, int by, int mbA)
{
	int a = 0;
	if (bx > 0 || (mbA & AV_LEFT))
		a |= AV_LEFT;
	if (by > 0 || (mbA & AV_TOP))
		a |= AV_TOP;
	if (bx > 0 && by > 0)
		a |= AV_TOPLEFT;
	else if (bx == 0 && by > 0) {
		if (mbA & AV_LEFT)
			a |= AV_TOPLEFT;
	} else if (bx > 0 && by == 0) {
		if (mbA & AV_TOP)
			a |= AV_TOPLEFT;
	} else if (mbA & AV_TOPLEFT)
		a |= AV_TOPLEFT;
	if (by == 0 && bx < 3) {
		if (mbA & AV_TOP)
			a |= AV_TOPRIGHT;
	} else if (by == 0) {
		if (mbA & AV_TOPRIGHT)
			a |= AV_TOPRIGHT;
	} else if (bx < 3) {
		if (blk_idx(bx + 1, by - 1) < blk_idx(bx, by))
			a |= AV_TOPRIGHT;
	}
	return a;
}

/*
 * predBlock: n×n (16 luma, 8 chroma) prediction of Intra_16x16 mode
 * (vertical, horizontal, DC, plane) into dst (stride n); chroma selects the
 * per-4x4 chroma DC rule (8.3.4.1-3) and the chroma plane constants.
 */
DEVICE_CALL void pred_block(uint8_t *dst, int n, const uint8_t *pix, int stride, int mode, int avail, int chroma)
{
	const uint8_t *t = pix - stride;
	switch (mode) {
	case 0:
		for (int y = 0; y < n; y++)
			for (int x = 0; x < n; x++)
				dst[y * n + x] = t[x];
		break;
	case 1:
		for (int y = 0; y < n; y++)
			for (int x = 0; x < n; x++)
				dst[y * n + x] = pix[y * stride - 1];
		break;
	case 2:
		if (!chroma) {
			int s = 0, v;
			switch (avail & (AV_LEFT | AV_TOP)) {
			case AV_LEFT | AV_TOP:
				for (int i = 0; i < 16; i++)
					s += t[i] + pix[i * stride - 1];
				v = (s + 16) >> 5;
				break;
			case AV_LEFT:
				for (int i = 0; i < 16; i++)
					s += pix[i * stride - 1];
				v = (s + 8) >> 4;
				break;
			case AV_TOP:
				for (int i = 0; i < 16; i++)
					s += t[i];
				v = (s + 8) >> 4;
				break;
			default:
				v = 128;
			}
			for (int i = 0; i < 256; i++)
				dst[i] = (uint8_t)v;
			break;
		}
		for (int by = 0; by < 2; by++) {
			for (int bx = 0; bx < 2; bx++) {
				int st = 0, sl = 0;
				int hasT = (avail & AV_TOP) != 0, hasL = (avail & AV_LEFT) != 0;
				for (int i = 0; i < 4; i++) {
					if (hasT)
						st += t[bx * 4 + i];
					if (hasL)
						sl += pix[(by * 4 + i) * stride - 1];
				}
				int v = 128;
				if (bx == by) {
					if (hasT && hasL)
						v = (st + sl + 4) >> 3;
					else if (hasL)
						v = (sl + 2) >> 2;
					else if (hasT)
						v = (st + 2) >> 2;
				} else if (bx == 1) {
					if (hasT)
						v = (st + 2) >> 2;
					else if (hasL)
						v = (sl + 2) >> 2;
				} else {
					if (hasL)
						v = (sl + 2) >> 2;
					else if (hasT)
						v = (st + 2) >> 2;
				}
				for (int y = 0; y < 4; y++)
					for (int x = 0; x < 4; x++)
						dst[(by * 4 + y) * n + bx * 4 + x] = (uint8_t)v;
			}
		}
		break;
	default: {
		/* 8.3.3.4 (n = 16) and 8.3.4.4 (n = 8, 4:2:0). */
		int h2 = n / 2, H = 0, V = 0;
		for (int i = 0; i < h2; i++) {
			H += (i + 1) * (t[h2 + i] - t[h2 - 2 - i]);
			V += (i + 1) * (pix[(h2 + i) * stride - 1] - pix[(h2 - 2 - i) * stride - 1]);
		}
		int a = 16 * (pix[(n - 1) * stride - 1] + t[n - 1]);
		int b, c;
		if (n == 16)
			b = (5 * H + 32) >> 6, c = (5 * V + 32) >> 6;
		else
			b = (34 * H + 32) >> 6, c = (34 * V + 32) >> 6;
		int k = h2 - 1;
		for (int y = 0; y < n; y++)
			for (int x = 0; x < n; x++)
				dst[y * n + x] = (uint8_t)clip255((a + b * (x - k) + c * (y - k) + 16) >> 5);
	}
	}
}

/*
 * The tap of Intra_4x4 directional mode (3..8) for sample (x, y)
 * (i4DirTable): taps [0,13) are the neighbours e[i], [13,26) avg2 and
 * [26,39) avg3 (see i4Taps).
 */
enum { TAP_E = 0, TAP_AVG2 = 13, TAP_AVG3 = 26 };

DEVICE_FN int i4_dir_tap(int mode, int x, int y)
{
	int i, z;
	switch (mode) {
	case 3: /* Diagonal_Down_Left */
		if (x == 3 && y == 3)
			return TAP_AVG3 + 12;
		return TAP_AVG3 + 6 + x + y;
	case 4: /* Diagonal_Down_Right */
		return TAP_AVG3 + 4 + x - y;
	case 5: /* Vertical_Right */
		i = 5 + x - (y >> 1);
		z = 2 * x - y;
		if (z >= 0 && (z & 1) == 0)
			return TAP_AVG2 + i - 1;
		if (z >= 0)
			return TAP_AVG3 + i - 1;
		if (z == -1)
			return TAP_AVG3 + 4;
		return TAP_AVG3 + 5 - y;
	case 6: /* Horizontal_Down */
		i = 3 - (y - (x >> 1));
		z = 2 * y - x;
		if (z >= 0 && (z & 1) == 0)
			return TAP_AVG2 + i;
		if (z >= 0)
			return TAP_AVG3 + i + 1;
		if (z == -1)
			return TAP_AVG3 + 4;
		return TAP_AVG3 + 3 + x;
	case 7: /* Vertical_Left */
		i = 5 + x + (y >> 1);
		if ((y & 1) == 0)
			return TAP_AVG2 + i;
		return TAP_AVG3 + i + 1;
	default: /* Horizontal_Up */
		i = 3 - (y + (x >> 1));
		z = x + 2 * y;
		if (z > 5)
			return TAP_E + 0;
		if (z == 5)
			return TAP_AVG3 + 0;
		if ((z & 1) == 0)
			return TAP_AVG2 + i - 1;
		return TAP_AVG3 + i - 1;
	}
}

/* edge4x4.load: the neighbours of the 4x4 block at o (row stride ss) with
 * availability a: e[3-y] = p[-1,y], e[4] = p[-1,-1], e[5+x] = p[x,-1],
 * p[3,-1] standing for p[4..7,-1] without the top-right block; 0 where
 * unavailable (no available mode reads those). */
DEVICE_FN void i4_load_edge(int *e, const uint8_t *o, int ss, int a)
{
	for (int k = 0; k < 13; k++)
		e[k] = 0;
	if (a & AV_LEFT) {
		e[3] = o[-1];
		e[2] = o[ss - 1];
		e[1] = o[2 * ss - 1];
		e[0] = o[3 * ss - 1];
	}
	if (a & AV_TOP) {
		for (int k = 0; k < 4; k++)
			e[5 + k] = o[-ss + k];
		for (int k = 4; k < 8; k++)
			e[5 + k] = (a & AV_TOPRIGHT) ? o[-ss + k] : e[8];
	}
	if (a & AV_TOPLEFT)
		e[4] = o[-ss - 1];
}

#endif
