/*
 * intra.cu: the reconstruction of intra macroblocks, stage 3 of
 * h264/DESIGN.md for Intra_4x4 and Intra_16x16 macroblocks (those of I
 * pictures, and those of P pictures that have many, among the inter ones
 * inter.cu left in the same planes), as h264_go does it
 * (h264/macroblock.go: reconI4x4; reconI16 with lumaResidual and
 * lumaRecon; intraChromaPred and chroma), with the predictions of
 * intrapred.h and the residual coding of transform.h (intra rounding, no
 * decimation). Levels and counts go into inter.h's records, where the
 * entropy coder reads them.
 *
 * Schedule: intra prediction reads the reconstructed left, top-left, top
 * and top-right neighbours, so the macroblocks go as a wavefront.
 * intra_rows is one launch: one warp per macroblock row, taken in order
 * from a ticket (rows.h), walks its row left to right and before
 * macroblock x waits until the row above has finished macroblocks 0..x,
 * or 0..x+1 when x predicts from its top-right neighbour (an Intra_4x4
 * block 3 in a mode that reads those samples).
 * A macroblock is coded in the warp's shared memory: its source, and a
 * window of its reconstruction with the neighbours prediction reads (the
 * row above, the column left, the top-right samples), loaded at once by
 * all lanes and written back at the end, so that the serial chain of
 * Intra_4x4 blocks never waits for global memory. Then (phases through
 * the shared words, common.h's "Warp-cooperative kernels"):
 *  - Intra_4x4: the 16 blocks in ten steps of at most two (block (x, y)
 *    at step x + 2y; lanes 0..15 and 16..31), a lane one sample
 *    (prediction, residual, reconstruction) or one coefficient (the
 *    transforms' rows and columns, quantisation, scan, scaling);
 *  - Intra_16x16: lane 0 forms the prediction, lanes 0..15 code a 4x4
 *    block each, lane 0 the DC transform;
 *  - chroma: a lane a row of a 4x4 block (Cb lanes 0..15, Cr 16..31):
 *    prediction, residual, the transforms' row passes in the lane, their
 *    column passes through the shared words.
 * An inter macroblock is final already: a row passes it without waiting,
 * and the next intra macroblock loads its column left from the picture.
 * n is 32 x mbH; arg is unused.
 */
#include "common.h"
#include "analyse.h"
#include "inter.h"
#include "intra.h"
#include "intrapred.h"
#include "rows.h"
#include "transform.h"

/* The intra rounding offset in 1/64 of a step (h264/quant.go,
 * roundIntra64), at every position. */
#define ROUND_INTRA64 30

/* The warp's shared words (int32). Intra_4x4 uses two sets of the first
 * four and of the edge (one a block, lanes 0..15 and 16..31), the others
 * one. */
enum {
	XS_C = 0,      /* 16: residuals, levels' inverse rows */
	XS_T = 32,     /* 16: the forward transform's rows */
	XS_D = 64,     /* 16: scaled levels */
	XS_NZ = 96,    /* 16: non-zero flags or counts per block */
	XS_DC = 128,   /* 16: Intra_16x16 DC coefficients, then their scaled values */
	XS_CDC = 144,  /* 8: chroma DC coefficients */
	XS_CDCLV = 152, /* 8: chroma DC levels */
	XS_E = 160,    /* 13 (of 16): an Intra_4x4 block's edge (edge4x4) */
	XS_DEC = 192,  /* 20: the macroblock's decision record (analyse.h DEC_TYPE .. DEC_I4 + 15) */
	XS_CROWS = 224, /* 128: chroma, a row of four values a lane (the transforms' row passes) */
	XS_WORDS = 352
};

/* The warp's shared bytes: the macroblock's source (luma 16x16, Cb and Cr
 * 8x8, rows of 16 and 8), its reconstruction windows (row 0 the samples
 * above, column 0 those left; luma columns 17..20 the top-right ones), the
 * Intra_16x16 prediction, and i4DirTable. */
enum {
	XB_SRC_Y = 0,
	XB_SRC_C = 256,            /* Cb, then Cr at + 64 */
	XW_STRIDE = 24,            /* luma window: 17 rows */
	XB_WIN_Y = 384,
	XC_STRIDE = 12,            /* chroma windows: 9 rows each */
	XB_WIN_C = XB_WIN_Y + 17 * XW_STRIDE, /* Cb, then Cr at + XC_BYTES */
	XC_BYTES = 9 * XC_STRIDE,
	XB_PRED_Y = XB_WIN_C + 2 * XC_BYTES,
	XB_TAP = XB_PRED_Y + 256,  /* i4DirTable: 16 taps by mode (3..8 used) */
	XB_BYTES = XB_TAP + 9 * 16
};

/* fdct_out: output k of fdct4x4's butterfly over the four values
 * b[0], b[s], b[2s], b[3s] (a row with s 1, a column with s 4): the rows
 * of [1 1 1 1; 2 1 -1 -2; 1 -1 -1 1; 1 -2 2 -1], picked without
 * branches (the lanes of a warp ask for different k). */
DEVICE_FN int32_t fdct_out(const int32_t *b, int s, int k)
{
	int32_t c0 = k == 1 ? 2 : 1;
	int32_t c1 = k == 0 ? 1 : (k == 1 ? 1 : (k == 2 ? -1 : -2));
	int32_t c2 = k == 0 ? 1 : (k == 1 ? -1 : (k == 2 ? -1 : 2));
	int32_t c3 = k == 0 ? 1 : (k == 1 ? -2 : (k == 2 ? 1 : -1));
	return c0 * b[0] + c1 * b[s] + c2 * b[2 * s] + c3 * b[3 * s];
}

/* idct_out: output k of idct4x4's butterfly over d[0], d[s], d[2s], d[3s]
 * (before the columns' rounding): d0 + d2 + d1 + (d3 >> 1),
 * d0 - d2 + (d1 >> 1) - d3, d0 - d2 - (d1 >> 1) + d3,
 * d0 + d2 - d1 - (d3 >> 1), picked without branches. */
DEVICE_FN int32_t idct_out(const int32_t *d, int s, int k)
{
	int mid = k == 1 || k == 2;
	int32_t d1 = d[s], d3 = d[3 * s];
	int32_t a = mid ? d1 >> 1 : d1, b = mid ? d3 : d3 >> 1;
	int32_t e = mid ? d[0] - d[2 * s] : d[0] + d[2 * s];
	return e + (k < 2 ? a : -a) + (k == 0 || k == 2 ? b : -b);
}

/* pos_class_of is pos_class[i] worked out: 0 where both coordinates of
 * raster position i are even, 1 where both are odd, else 2 (lanes of a
 * warp reading a constant table at different positions would take turns). */
DEVICE_FN int pos_class_of(int i)
{
	int x = i & 1, y = (i >> 2) & 1;
	return x == y ? x : 2;
}

/* zigzag_of is zigzag_at[i] (raster -> scan index), from a packed word. */
DEVICE_FN int zigzag_of(int i)
{
	return (int)((0xfea9db83c7426510ull >> (4 * i)) & 15);
}

/* quant_intra_at: quant4x4's level of coefficient x with quantisation
 * factor mf (quant_coef of its position), intra rounding. The sign is
 * applied after, without a branch. */
DEVICE_FN int32_t quant_intra_at(int32_t x, int qp, int32_t mf)
{
	int qbits = 15 + qp / 6;
	int64_t f = ((int64_t)ROUND_INTRA64 << qbits) >> 6;
	int32_t l = (int32_t)(((int64_t)iabs(x) * mf + f) >> qbits);
	return clamp_level(x < 0 ? -l : l);
}

/* i4_edge: e[j] of the Intra_4x4 block at o (row stride ss, in a window)
 * with availability a (edge4x4.load): e[3-y] = p[-1,y], e[4] = p[-1,-1],
 * e[5+x] = p[x,-1], p[3,-1] for p[4..7,-1] without the top-right block;
 * 0 where unavailable. */
DEVICE_FN int i4_edge(const uint8_t *o, int ss, int a, int j)
{
	if (j < 4)
		return (a & AV_LEFT) ? o[(3 - j) * ss - 1] : 0;
	if (j == 4)
		return (a & AV_TOPLEFT) ? o[-ss - 1] : 0;
	if (!(a & AV_TOP))
		return 0;
	return o[-ss + ((j >= 9 && !(a & AV_TOPRIGHT)) ? 3 : j - 5)];
}

/* i4_pred_sample: sample (x, y) of the Intra_4x4 prediction of mode m
 * (available with a) from the block's edge e (edge4x4.pred, one sample):
 * the tap of a directional mode from tap (i4DirTable, shared), the tap's
 * three kinds (a neighbour, avg2, avg3) formed alike and one picked, so
 * that the lanes of a warp take no different branches. */
DEVICE_FN int i4_pred_sample(const int32_t *e, const uint8_t *tap, int a, int m, int x, int y)
{
	if (m == 2) {
		int l = e[0] + e[1] + e[2] + e[3], t = e[5] + e[6] + e[7] + e[8];
		switch (a & (AV_LEFT | AV_TOP)) {
		case AV_LEFT | AV_TOP:
			return (l + t + 4) >> 3;
		case AV_LEFT:
			return (l + 2) >> 2;
		case AV_TOP:
			return (t + 2) >> 2;
		}
		return 128;
	}
	int t = m == 0 ? TAP_E + 5 + x : (m == 1 ? TAP_E + 3 - y : tap[16 * m + 4 * y + x]);
	int kind = t >= TAP_AVG3 ? 2 : (t >= TAP_AVG2 ? 1 : 0), i = t - 13 * kind;
	int ei = e[i], en = e[imin(i + 1, 12)], ep = e[imax(i - 1, 0)];
	int avg2 = (ei + en + 1) >> 1, avg3 = (ep + 2 * ei + en + 2) >> 2;
	return kind == 0 ? ei : (kind == 1 ? avg2 : avg3);
}

/* intra_fetch loads the source and decision of macroblock (x, y) into the
 * lanes' registers: lane l holds luma row l / 2, bytes 8 (l & 1) .. + 7
 * (two words), chroma plane l / 16, row (l / 2) & 7, bytes 4 (l & 1) ..
 * + 3 (one word), and word l of the decision record (l < 20). */
DEVICE_FN void intra_fetch(const int64_t *P, uint32_t (*pf)[4], int x, int y)
{
	int mbW = PARAM_INT(P, XP_MBW), ls = 16 * mbW, cs = 8 * mbW;
	int64_t lo = (int64_t)y * 16 * ls + x * 16, co = (int64_t)y * 8 * cs + x * 8;
	WARP_FOR_LANES(lane)
	{
		int r = lane >> 1, c = (lane & 1) * 8, pl = lane >> 4, cr = (lane >> 1) & 7, cc = (lane & 1) * 4;
		const uint8_t *sy = PARAM_PTR(const uint8_t, P, XP_SRC_Y) + lo + r * ls + c;
		const uint8_t *sc = PARAM_PTR(const uint8_t, P, pl ? XP_SRC_CR : XP_SRC_CB) + co + cr * cs + cc;
		uint32_t *w = pf[WARP_AT(lane)];
		w[0] = *(const uint32_t *)sy;
		w[1] = *(const uint32_t *)(sy + 4);
		w[2] = *(const uint32_t *)sc;
		if (lane < DEC_I4 + 16)
			w[3] = (uint32_t)PARAM_PTR(const int32_t, P, XP_DEC)[DEC_WORDS * ((int64_t)y * mbW + x) + lane];
	}
}

/* intra_load puts the source fetched into pf into the warp's bytes xb,
 * fetches the next macroblock's source and decision, and fills the
 * reconstruction windows' neighbours: the column left (and the top-left
 * sample) from the last macroblock's window when this warp coded it
 * (kept), else from the picture, and the row above from the picture
 * (those that exist: availability keeps prediction off the others). */
DEVICE_CALL void intra_load(const int64_t *P, uint8_t *xb, uint32_t (*pf)[4], int x, int y, int tr, int kept)
{
	int mbW = PARAM_INT(P, XP_MBW), ls = 16 * mbW, cs = 8 * mbW;
	int64_t lo = (int64_t)y * 16 * ls + x * 16, co = (int64_t)y * 8 * cs + x * 8;
	const uint8_t *ry = PARAM_PTR(const uint8_t, P, XP_REC_Y) + lo;
	uint8_t left[WARP_LANES];
	WARP_FOR_LANES(lane)
	{
		int r = lane >> 1, c = (lane & 1) * 8, pl = lane >> 4, cr = (lane >> 1) & 7, cc = (lane & 1) * 4;
		const uint32_t *w = pf[WARP_AT(lane)];
		for (int k = 0; k < 4; k++) {
			xb[XB_SRC_Y + r * 16 + c + k] = (uint8_t)(w[0] >> (8 * k));
			xb[XB_SRC_Y + r * 16 + c + 4 + k] = (uint8_t)(w[1] >> (8 * k));
			xb[XB_SRC_C + 64 * pl + cr * 8 + cc + k] = (uint8_t)(w[2] >> (8 * k));
		}
		/* The last macroblock's right column (with the sample above
		 * it): lanes 0..16 luma, 17..25 Cb, 26..31 and 0..2 (below)
		 * Cr's. */
		if (lane < 17)
			left[WARP_AT(lane)] = xb[XB_WIN_Y + lane * XW_STRIDE + 16];
		else if (lane < 26)
			left[WARP_AT(lane)] = xb[XB_WIN_C + (lane - 17) * XC_STRIDE + 8];
		else
			left[WARP_AT(lane)] = xb[XB_WIN_C + XC_BYTES + (lane - 26) * XC_STRIDE + 8];
	}
	if (x + 1 < mbW)
		intra_fetch(P, pf, x + 1, y);
	WARP_SYNC();
	const uint8_t *rb = PARAM_PTR(const uint8_t, P, XP_REC_CB) + co;
	const uint8_t *rr = PARAM_PTR(const uint8_t, P, XP_REC_CR) + co;
	WARP_FOR_LANES(lane)
	{
		if (x > 0 && !kept) {
			/* Rows -1..15 of the column left (-1: the top-left
			 * sample, with a row above), the lanes as for kept. */
			int k = lane < 17 ? lane : (lane < 26 ? lane - 17 : lane - 26);
			if (k > 0 || y > 0) {
				if (lane < 17)
					xb[XB_WIN_Y + k * XW_STRIDE] = ry[(k - 1) * ls - 1];
				else if (lane < 26)
					xb[XB_WIN_C + k * XC_STRIDE] = rb[(k - 1) * cs - 1];
				else
					xb[XB_WIN_C + XC_BYTES + k * XC_STRIDE] = rr[(k - 1) * cs - 1];
			}
			if (lane < 3)
				xb[XB_WIN_C + XC_BYTES + (6 + lane) * XC_STRIDE] = rr[(5 + lane) * cs - 1];
		}
		if (x > 0 && kept) {
			uint8_t v = left[WARP_AT(lane)];
			if (lane < 17)
				xb[XB_WIN_Y + lane * XW_STRIDE] = v;
			else if (lane < 26)
				xb[XB_WIN_C + (lane - 17) * XC_STRIDE] = v;
			else
				xb[XB_WIN_C + XC_BYTES + (lane - 26) * XC_STRIDE] = v;
			if (lane < 3)
				xb[XB_WIN_C + XC_BYTES + (6 + lane) * XC_STRIDE] = xb[XB_WIN_C + XC_BYTES + (6 + lane) * XC_STRIDE + 8];
		}
		/* The row above: luma columns 0..15 and, when the macroblock
		 * reads them (tr), 16..19; chroma 0..7 (lanes 20..27 Cb, and Cr
		 * by lanes 0..7 too). */
		if (y > 0) {
			if (lane < 16 || (lane < 20 && tr))
				xb[XB_WIN_Y + 1 + lane] = ry[-ls + lane];
			if (lane >= 20 && lane < 28)
				xb[XB_WIN_C + 1 + lane - 20] = rb[lane - 20 - cs];
			if (lane < 8)
				xb[XB_WIN_C + XC_BYTES + 1 + lane] = rr[lane - cs];
		}
	}
	WARP_SYNC();
}

/* intra_store writes the macroblock's reconstruction from the windows. */
DEVICE_CALL void intra_store(const int64_t *P, const uint8_t *xb, int x, int y)
{
	int mbW = PARAM_INT(P, XP_MBW), ls = 16 * mbW, cs = 8 * mbW;
	uint8_t *ry = PARAM_PTR(uint8_t, P, XP_REC_Y) + (int64_t)y * 16 * ls + x * 16;
	WARP_FOR_LANES(lane)
	{
		int r = lane >> 1, c = (lane & 1) * 8;
		for (int k = 0; k < 8; k++)
			ry[r * ls + c + k] = xb[XB_WIN_Y + (1 + r) * XW_STRIDE + 1 + c + k];
		int pl = lane >> 4, cr = (lane >> 1) & 7, cc = (lane & 1) * 4;
		uint8_t *rc = PARAM_PTR(uint8_t, P, pl ? XP_REC_CR : XP_REC_CB) + (int64_t)y * 8 * cs + x * 8;
		for (int k = 0; k < 4; k++)
			rc[cr * cs + cc + k] = xb[XB_WIN_C + XC_BYTES * pl + (1 + cr) * XC_STRIDE + 1 + cc + k];
	}
}

/* intra_i4: reconI4x4 in the windows; returns the luma coded block
 * pattern. A block needs its left, top-left, top and top-right
 * neighbours, so block (bx, by) can go at step bx + 2 by: ten steps of at
 * most two blocks, lanes 0..15 the one with the smaller by and lanes
 * 16..31 the other, a sample or a coefficient a lane. The order of the
 * blocks does not change what each one reads (blk4_avail follows the
 * decoding order). */
DEVICE_CALL int intra_i4(int32_t *sh, uint8_t *xb, int mbA, int qp, int16_t *L, uint8_t *C)
{
	int pred[WARP_LANES];
	int cbp = 0, m6 = qp % 6, qsh = qp / 6;
	int32_t mf0 = quant_coef[m6][0], mf1 = quant_coef[m6][1], mf2 = quant_coef[m6][2];
	int32_t dq0 = dequant_coef[m6][0] * (1 << qsh), dq1 = dequant_coef[m6][1] * (1 << qsh);
	int32_t dq2 = dequant_coef[m6][2] * (1 << qsh);
	for (int t = 0; t < 10; t++) {
		int by0 = imax(0, (t - 2) / 2);
		/* The block's edge; then the prediction and the residual. */
		WARP_FOR_LANES(lane)
		{
			int h = lane >> 4, k = lane & 15, by = by0 + h, bx = t - 2 * by;
			if (bx >= 0 && bx < 4 && by < 4 && k < 13) {
				const uint8_t *o = xb + XB_WIN_Y + (1 + by * 4) * XW_STRIDE + 1 + bx * 4;
				sh[XS_E + 16 * h + k] = i4_edge(o, XW_STRIDE, blk4_avail(bx, by, mbA), k);
			}
		}
		WARP_SYNC();
		WARP_FOR_LANES(lane)
		{
			int h = lane >> 4, k = lane & 15, by = by0 + h, bx = t - 2 * by;
			if (bx >= 0 && bx < 4 && by < 4) {
				int a = blk4_avail(bx, by, mbA), px = k & 3, py = k >> 2;
				int p = i4_pred_sample(sh + XS_E + 16 * h, xb + XB_TAP, a, sh[XS_DEC + DEC_I4 + by * 4 + bx], px, py);
				pred[WARP_AT(lane)] = p;
				sh[XS_C + 16 * h + k] = xb[XB_SRC_Y + (by * 4 + py) * 16 + bx * 4 + px] - p;
			}
		}
		WARP_SYNC();
		/* fdct4x4's rows; then its columns, quantisation (the level
		 * stored at its scan position), scaling. */
		WARP_FOR_LANES(lane)
		{
			int h = lane >> 4, k = lane & 15;
			sh[XS_T + 16 * h + k] = fdct_out(sh + XS_C + 16 * h + (k & ~3), 1, k & 3);
		}
		WARP_SYNC();
		WARP_FOR_LANES(lane)
		{
			int h = lane >> 4, k = lane & 15, by = by0 + h, bx = t - 2 * by;
			if (bx >= 0 && bx < 4 && by < 4) {
				int cls = pos_class_of(k);
				int32_t mf = cls == 0 ? mf0 : (cls == 1 ? mf1 : mf2), dq = cls == 0 ? dq0 : (cls == 1 ? dq1 : dq2);
				int32_t lv = quant_intra_at(fdct_out(sh + XS_T + 16 * h + (k & 3), 4, k >> 2), qp, mf);
				L[LV_LUMA + 16 * (by * 4 + bx) + zigzag_of(k)] = (int16_t)lv;
				sh[XS_NZ + 16 * h + k] = lv != 0;
				sh[XS_D + 16 * h + k] = lv * dq;
			}
		}
		WARP_SYNC();
		/* idct4x4 (zero levels give a zero residual, as the Go
		 * encoder's skipped transform does): rows, then columns and the
		 * reconstruction. */
		WARP_FOR_LANES(lane)
		{
			int h = lane >> 4, k = lane & 15;
			sh[XS_C + 16 * h + k] = idct_out(sh + XS_D + 16 * h + (k & ~3), 1, k & 3);
		}
		WARP_SYNC();
		WARP_FOR_LANES(lane)
		{
			int h = lane >> 4, k = lane & 15, by = by0 + h, bx = t - 2 * by;
			if (bx >= 0 && bx < 4 && by < 4) {
				int px = k & 3, py = k >> 2;
				int32_t d = (idct_out(sh + XS_C + 16 * h + px, 4, py) + 32) >> 6;
				xb[XB_WIN_Y + (1 + by * 4 + py) * XW_STRIDE + 1 + bx * 4 + px] = (uint8_t)clip255(pred[WARP_AT(lane)] + d);
			}
		}
		WARP_SYNC();
		for (int h = 0; h < 2; h++) {
			int by = by0 + h, bx = t - 2 * by;
			if (bx < 0 || bx > 3 || by > 3)
				continue;
			int nz = 0;
			for (int k = 0; k < 16; k++)
				nz += sh[XS_NZ + 16 * h + k];
			WARP_FOR_LANES(lane)
			{
				if (lane == 0)
					C[CN_NZ + by * 4 + bx] = (uint8_t)nz;
			}
			if (nz != 0)
				cbp |= 1 << (blk_idx(bx, by) / 4);
		}
	}
	return cbp;
}

/* intra_i16: reconI16 in the windows with Intra_16x16 mode mode; writes
 * the DC levels into DC and returns the luma coded block pattern (0 or
 * 15). */
DEVICE_CALL int intra_i16(int32_t *sh, uint8_t *xb, int mode, int mbA, int qp, int16_t *L, uint8_t *C, int16_t *DC)
{
	int32_t lvs[WARP_LANES][16];
	uint8_t *win = xb + XB_WIN_Y + XW_STRIDE + 1;
	WARP_FOR_LANES(lane)
	{
		if (lane == 0)
			pred_block(xb + XB_PRED_Y, 16, win, XW_STRIDE, mode, mbA, 0);
	}
	WARP_SYNC();
	/* lumaResidual: block lane's AC levels and its DC coefficient. */
	WARP_FOR_LANES(lane)
	{
		if (lane < 16) {
			int bx = lane & 3, by = lane >> 2;
			int32_t c16[16], *lv = lvs[WARP_AT(lane)];
			for (int yy = 0; yy < 4; yy++)
				for (int xx = 0; xx < 4; xx++) {
					int k = (by * 4 + yy) * 16 + bx * 4 + xx;
					c16[yy * 4 + xx] = xb[XB_SRC_Y + k] - xb[XB_PRED_Y + k];
				}
			fdct4x4(c16);
			sh[XS_DC + lane] = c16[0];
			quant4x4_round(c16, lv, qp, 1, ROUND_INTRA64, ROUND_INTRA64);
			int nz = to_scan(L + LV_LUMA + 16 * lane, lv, 1);
			C[CN_NZ + lane] = (uint8_t)nz;
			sh[XS_NZ + lane] = nz;
		}
	}
	WARP_SYNC();
	/* The DC: Hadamard, halved, quantised, scanned; then as lumaRecon
	 * undoes it (the levels in raster order are dclv). */
	WARP_FOR_LANES(lane)
	{
		if (lane == 0) {
			int32_t dc[16], dclv[16];
			for (int k = 0; k < 16; k++)
				dc[k] = sh[XS_DC + k];
			hadamard4x4(dc);
			for (int k = 0; k < 16; k++)
				dc[k] >>= 1;
			quant_dc_round(dc, dclv, 16, qp, ROUND_INTRA64);
			for (int k = 0; k < 16; k++)
				DC[k] = (int16_t)dclv[zigzag4x4[k]];
			hadamard4x4(dclv);
			dequant_luma_dc(dclv, qp);
			for (int k = 0; k < 16; k++)
				sh[XS_DC + k] = dclv[k];
		}
	}
	WARP_SYNC();
	int any = 0;
	for (int k = 0; k < 16; k++)
		any |= sh[XS_NZ + k];
	/* lumaRecon: block lane's AC, its DC, the inverse transform. */
	WARP_FOR_LANES(lane)
	{
		if (lane < 16) {
			int bx = lane & 3, by = lane >> 2;
			int32_t d[16];
			if (sh[XS_NZ + lane] != 0) {
				dequant4x4(lvs[WARP_AT(lane)], d, qp, 1);
			} else {
				for (int j = 0; j < 16; j++)
					d[j] = 0;
			}
			d[0] = sh[XS_DC + lane];
			idct4x4(d);
			for (int yy = 0; yy < 4; yy++)
				for (int xx = 0; xx < 4; xx++) {
					int k = (by * 4 + yy) * 16 + bx * 4 + xx;
					win[(by * 4 + yy) * XW_STRIDE + bx * 4 + xx] = (uint8_t)clip255(xb[XB_PRED_Y + k] + d[yy * 4 + xx]);
				}
		}
	}
	WARP_SYNC();
	return any ? 15 : 0;
}

/* chroma_to_i16 maps a chroma mode (DC, horizontal, vertical, plane) to
 * pred_block's mode numbers (chromaToI16). */
DEVICE_FN int chroma_to_i16(int m)
{
	switch (m) {
	case 0:
		return 2;
	case 1:
		return 1;
	case 2:
		return 0;
	}
	return 3;
}

/* chroma_pred_at is sample (x, y) of the 8x8 chroma prediction of
 * pred_block's mode m (chroma_to_i16) for the block at o (row stride ss,
 * in a window) with availability a: pred_block's chroma cases, one
 * sample. */
DEVICE_FN int chroma_pred_at(const uint8_t *o, int ss, int m, int a, int x, int y)
{
	const uint8_t *t = o - ss;
	switch (m) {
	case 0:
		return t[x];
	case 1:
		return o[y * ss - 1];
	case 2: {
		int bx = x >> 2, by = y >> 2, st = 0, sl = 0;
		int hasT = (a & AV_TOP) != 0, hasL = (a & AV_LEFT) != 0;
		for (int i = 0; i < 4; i++) {
			st += hasT ? t[bx * 4 + i] : 0;
			sl += hasL ? o[(by * 4 + i) * ss - 1] : 0;
		}
		if (bx == by) {
			if (hasT && hasL)
				return (st + sl + 4) >> 3;
			if (hasL)
				return (sl + 2) >> 2;
			return hasT ? (st + 2) >> 2 : 128;
		}
		if (bx == 1) {
			if (hasT)
				return (st + 2) >> 2;
			return hasL ? (sl + 2) >> 2 : 128;
		}
		if (hasL)
			return (sl + 2) >> 2;
		return hasT ? (st + 2) >> 2 : 128;
	}
	}
	int H = 0, V = 0;
	for (int i = 0; i < 4; i++) {
		H += (i + 1) * (t[4 + i] - t[2 - i]);
		V += (i + 1) * (o[(4 + i) * ss - 1] - o[(2 - i) * ss - 1]);
	}
	int pa = 16 * (o[7 * ss - 1] + t[7]), pb = (34 * H + 32) >> 6, pc = (34 * V + 32) >> 6;
	return clip255((pa + pb * (x - 3) + pc * (y - 3) + 16) >> 5);
}

/* intra_chroma: intraChromaPred and chroma in the windows; returns the
 * chroma coded block pattern (0, 1 or 2). Lane l works on row l & 3 of
 * 4x4 block (l >> 2) & 3 of plane l >> 4 (Cb, Cr): its four predicted
 * samples and the transforms' row passes; the column passes take the
 * four rows' values from the shared words. */
DEVICE_CALL int intra_chroma(int32_t *sh, uint8_t *xb, int mode, int mbA, int qpc, int16_t *L, uint8_t *C)
{
	int m16 = chroma_to_i16(mode), m6 = qpc % 6, qsh = qpc / 6;
	int32_t mf0 = quant_coef[m6][0], mf1 = quant_coef[m6][1], mf2 = quant_coef[m6][2];
	int32_t dq0 = dequant_coef[m6][0] * (1 << qsh), dq1 = dequant_coef[m6][1] * (1 << qsh);
	int32_t dq2 = dequant_coef[m6][2] * (1 << qsh);
	int pred[WARP_LANES][4];
	int32_t lvs[WARP_LANES][4];
	/* The prediction, the residual and fdct4x4's row pass of the lane's
	 * row. */
	WARP_FOR_LANES(lane)
	{
		int c = lane >> 4, r = (lane >> 2) & 3, yy = lane & 3, bx = r & 1, by = r >> 1;
		const uint8_t *o = xb + XB_WIN_C + XC_BYTES * c + XC_STRIDE + 1;
		const uint8_t *src = xb + XB_SRC_C + 64 * c + (by * 4 + yy) * 8 + bx * 4;
		int32_t res[4];
		for (int j = 0; j < 4; j++) {
			int p = chroma_pred_at(o, XC_STRIDE, m16, mbA, bx * 4 + j, by * 4 + yy);
			pred[WARP_AT(lane)][j] = p;
			res[j] = src[j] - p;
		}
		for (int j = 0; j < 4; j++)
			sh[XS_CROWS + 4 * lane + j] = fdct_out(res, 1, j);
	}
	WARP_SYNC();
	/* The column pass at the lane's row, the DC coefficient (row 0's
	 * first), the AC levels at their scan positions and their count. */
	WARP_FOR_LANES(lane)
	{
		int c = lane >> 4, r = (lane >> 2) & 3, yy = lane & 3, blk = lane & ~3, nz = 0;
		for (int j = 0; j < 4; j++) {
			int32_t v = fdct_out(sh + XS_CROWS + 4 * blk + j, 4, yy);
			int i = 4 * yy + j, cls = pos_class_of(i);
			int32_t lv = quant_intra_at(v, qpc, cls == 0 ? mf0 : (cls == 1 ? mf1 : mf2));
			if (i == 0) {
				sh[XS_CDC + 4 * c + r] = v;
				lv = 0;
			}
			lvs[WARP_AT(lane)][j] = lv;
			L[LV_CAC + 64 * c + 16 * r + zigzag_of(i)] = (int16_t)lv;
			nz += lv != 0;
		}
		sh[XS_NZ + lane] = nz;
	}
	WARP_SYNC();
	/* Each plane's DC levels (lanes 0..7: plane lane / 4, block lane & 3)
	 * and each block's AC count (lanes 0..7 too). */
	WARP_FOR_LANES(lane)
	{
		if (lane < 8) {
			int c = lane >> 2, r = lane & 3;
			int32_t cdc[4], cdclv[4];
			for (int k = 0; k < 4; k++)
				cdc[k] = sh[XS_CDC + 4 * c + k];
			hadamard2x2(cdc);
			quant_dc_round(cdc, cdclv, 4, qpc, ROUND_INTRA64);
			L[LV_CDC + 4 * c + r] = (int16_t)cdclv[r];
			sh[XS_CDCLV + lane] = cdclv[r];
			int b = 16 * c + 4 * r;
			sh[XS_DC + lane] = sh[XS_NZ + b] + sh[XS_NZ + b + 1] + sh[XS_NZ + b + 2] + sh[XS_NZ + b + 3];
		}
	}
	WARP_SYNC();
	int anyAC = 0, anyDC = 0;
	for (int k = 0; k < 8; k++) {
		anyAC |= sh[XS_DC + k] != 0;
		anyDC |= sh[XS_CDCLV + k] != 0;
	}
	/* cbpC 0 leaves every DC level 0 already; cbpC below 2 drops the AC
	 * counts (chromaLevels). */
	int cc = anyAC ? 2 : (anyDC ? 1 : 0);
	/* chromaRecon: the lane's row scaled (the block's DC in row 0) and
	 * idct4x4's row pass. */
	WARP_FOR_LANES(lane)
	{
		int c = lane >> 4, r = (lane >> 2) & 3, yy = lane & 3;
		int nz = cc < 2 ? 0 : sh[XS_DC + 4 * c + r];
		int32_t d[4];
		for (int j = 0; j < 4; j++) {
			int cls = pos_class_of(4 * yy + j);
			d[j] = nz != 0 ? lvs[WARP_AT(lane)][j] * (cls == 0 ? dq0 : (cls == 1 ? dq1 : dq2)) : 0;
		}
		if (yy == 0) {
			int32_t f[4];
			for (int k = 0; k < 4; k++)
				f[k] = sh[XS_CDCLV + 4 * c + k];
			hadamard2x2(f);
			dequant_chroma_dc(f, qpc);
			d[0] = f[r];
			C[CN_NZC + 4 * c + r] = (uint8_t)nz;
		}
		for (int j = 0; j < 4; j++)
			sh[XS_CROWS + 4 * lane + j] = idct_out(d, 1, j);
	}
	WARP_SYNC();
	/* idct4x4's column pass at the lane's row and the reconstruction. */
	WARP_FOR_LANES(lane)
	{
		int c = lane >> 4, r = (lane >> 2) & 3, yy = lane & 3, bx = r & 1, by = r >> 1, blk = lane & ~3;
		uint8_t *win = xb + XB_WIN_C + XC_BYTES * c + XC_STRIDE + 1 + (by * 4 + yy) * XC_STRIDE + bx * 4;
		for (int j = 0; j < 4; j++) {
			int32_t v = (idct_out(sh + XS_CROWS + 4 * blk + j, 4, yy) + 32) >> 6;
			win[j] = (uint8_t)clip255(pred[WARP_AT(lane)][j] + v);
		}
	}
	WARP_SYNC();
	return cc;
}

/* intra_mb: reconIntra of macroblock (x, y), whose source and decision
 * pf holds (and then the next one's), an intra one (Intra_16x16 unless
 * Intra_4x4); kept: the warp coded the macroblock left of it. */
DEVICE_CALL void intra_mb(const int64_t *P, int32_t *sh, uint8_t *xb, uint32_t (*pf)[4], int x, int y, int tr, int kept)
{
	int mbW = PARAM_INT(P, XP_MBW), i = y * mbW + x, mbA = mb_avail(x, y, mbW);
	int16_t *L = PARAM_PTR(int16_t, P, XP_LEVELS) + LV_WORDS * (int64_t)i;
	uint8_t *C = PARAM_PTR(uint8_t, P, XP_COUNTS) + CN_BYTES * (int64_t)i;
	int16_t *DC = PARAM_PTR(int16_t, P, XP_LUMADC) + 16 * (int64_t)i;
	intra_load(P, xb, pf, x, y, tr, kept);
	int qp = sh[XS_DEC + DEC_QP], cbp;
	if (sh[XS_DEC + DEC_TYPE] == MB_I4X4) {
		WARP_FOR_LANES(lane)
		{
			if (lane < 16)
				DC[lane] = 0;
		}
		cbp = intra_i4(sh, xb, mbA, qp, L, C);
	} else {
		cbp = intra_i16(sh, xb, sh[XS_DEC + DEC_I16], mbA, qp, L, C, DC);
	}
	int cc = intra_chroma(sh, xb, sh[XS_DEC + DEC_CHROMA], mbA, chroma_qp(qp), L, C);
	WARP_FOR_LANES(lane)
	{
		if (lane == 0)
			C[CN_CBP] = (uint8_t)(cbp | cc << 4);
	}
	intra_store(P, xb, x, y);
}

/* intra_reads_top_right reports whether macroblock x, whose decision is
 * in sh, predicts from its top-right neighbour's samples: only an
 * Intra_4x4 block 3 (the top row's last) in Diagonal_Down_Left or
 * Vertical_Left mode does (e[9..12]), and only when that neighbour exists.
 * The other modes, Intra_16x16 and chroma read the left, top-left and top
 * neighbours only. */
DEVICE_FN int intra_reads_top_right(const int32_t *sh, int x, int mbW)
{
	int m = sh[XS_DEC + DEC_I4 + 3];
	return x + 1 < mbW && sh[XS_DEC + DEC_TYPE] == MB_I4X4 && (m == 3 || m == 7);
}

/* intra_rows reconstructs the whole picture: one warp per macroblock row
 * (XP_ROWS: the ticket, then one progress counter per row, zero before the
 * launch); before macroblock x it waits until the row above has finished
 * macroblocks 0..x (0..x+1 when it reads the top-right neighbour), and
 * publishes x + 1 after it. */
KERNEL intra_rows(const int64_t *P, int n, int arg)
{
	(void)n;
	(void)arg;
	WARP_SHARED(int32_t, sh, XS_WORDS);
	WARP_SHARED(uint8_t, xb, XB_BYTES);
	int mbW = PARAM_INT(P, XP_MBW), mbH = PARAM_INT(P, XP_MBH);
	int32_t *rows = PARAM_PTR(int32_t, P, XP_ROWS);
	int y = row_take(rows);
	if (y < 0 || y >= mbH)
		return;
	WARP_FOR_LANES(lane)
	{
		for (int j = lane; j < 9 * 16; j += 32)
			xb[XB_TAP + j] = (uint8_t)(j >= 3 * 16 ? i4_dir_tap(j >> 4, j & 3, (j >> 2) & 3) : 0);
	}
	WARP_SYNC();
	uint32_t pf[WARP_LANES][4];
	intra_fetch(P, pf, 0, y);
	int seen = 0, kept = 0;
	for (int x = 0; x < mbW; x++) {
		WARP_FOR_LANES(lane)
		{
			if (lane < DEC_I4 + 16)
				sh[XS_DEC + lane] = (int32_t)pf[WARP_AT(lane)][3];
		}
		WARP_SYNC();
		int typ = sh[XS_DEC + DEC_TYPE];
		if (typ == MB_I4X4 || typ == MB_I16X16) {
			int tr = intra_reads_top_right(sh, x, mbW);
			if (y > 0)
				seen = row_wait(rows + y, x + 1 + tr, seen);
			intra_mb(P, sh, xb, pf, x, y, tr, kept);
		} else if (x + 1 < mbW) {
			/* An inter macroblock of a P picture: final already. */
			intra_fetch(P, pf, x + 1, y);
		}
		kept = typ == MB_I4X4 || typ == MB_I16X16;
		row_publish(rows + 1 + y, x + 1);
	}
}
