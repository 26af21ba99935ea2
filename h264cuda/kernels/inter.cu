/*
 * inter.cu: reconstruction of inter (P) macroblocks, stage 3 of
 * h264/DESIGN.md, as h264_go does it (h264/macroblock.go: interPred,
 * lumaResidual with decimation, lumaRecon, chroma), with the forward and
 * inverse transforms of h264/transform.go (ITU-T H.264 8.5.12) and the
 * quantisation of h264/quant.go (8.5.9, 8.5.11). Inter macroblocks
 * depend only on the source and the reference, so all run at once
 * (intra macroblocks are left alone), one warp each: lanes 0..15 code
 * luma 4x4 block lane (raster), lanes 16..23 chroma 4x4 block
 * (lane - 16) & 3 of Cb (16..19) or Cr (20..23), lanes 24..31 idle; the
 * macroblock-wide steps (decimation, the chroma DC transform, the coded
 * block pattern) go through the warp's shared words between phases
 * (common.h, "Warp-cooperative kernels").
 */
#include "common.h"
#include "analyse.h"
#include "inter.h"
#include "transform.h"
#include "qpel.h"
#include "words.h"

/* The inter rounding offsets in 1/64 of a step (h264/quant.go, roundInter64
   and roundInterHF64, the latter for the positions with u + v >= 5). */
#define ROUND_INTER64 24
#define ROUND_INTER_HF64 20

/* Decimation thresholds (h264/macroblock.go, decimateMB etc.). */
#define DECIMATE_MB 3
#define DECIMATE_8X8 2
#define DECIMATE_CHROMA 4

/* decimateRunScore. */
DEVICE_CONST int8_t decimate_run_score[16] = {3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

/* quant4x4 with the inter rounding offsets, from index start. */
DEVICE_FN void quant4x4_inter(const int32_t *c, int32_t *lv, int qp, int start)
{
	quant4x4_round(c, lv, qp, start, ROUND_INTER64, ROUND_INTER_HF64);
}

/* quantDC (qbits + 1), inter rounding offset, n values. */
DEVICE_FN int quant_dc_inter(const int32_t *c, int32_t *lv, int n, int qp)
{
	return quant_dc_round(c, lv, n, qp, ROUND_INTER64);
}

/* decimateScore of one 4x4 block's levels (scan order). */
DEVICE_FN int decimate_score(const int16_t *b)
{
	int last = 15;
	while (last >= 0 && b[last] == 0)
		last--;
	int s = 0;
	for (int i = last; i >= 0;) {
		if (b[i] > 1 || b[i] < -1)
			return 9;
		i--;
		int run = 0;
		while (i >= 0 && b[i] == 0) {
			run++;
			i--;
		}
		s += decimate_run_score[run];
	}
	return s;
}

/*
 * luma_term_inside: the 16 samples of kind k (0 G, 1 b, 2 h, 3 j) at the
 * full-sample positions (x0 + c, y0 + r) of a 4x4 block whose filter taps
 * all lie inside the plane (rows y0-2..y0+6, columns x0-2..x0+6), from a
 * 9x12 window read four samples a word; the same values as ref_kind's
 * (qpel.h).
 */
DEVICE_FN void luma_term_inside(const RefPlane *rp, int k, int x0, int y0, int *out)
{
	uint32_t w[9][3];
	const uint8_t *p = rp->p + (y0 - 2) * rp->stride + x0 - 2;
	for (int i = 0; i < 9; i++)
		for (int j = 0; j < 3; j++)
			w[i][j] = load4(p + i * rp->stride + 4 * j);
#define WS(i, c) byte4(w[i][(c) >> 2], (c) & 3)
	switch (k) {
	case 0:
		for (int r = 0; r < 4; r++)
			for (int c = 0; c < 4; c++)
				out[4 * r + c] = WS(r + 2, c + 2);
		break;
	case 1:
		for (int r = 0; r < 4; r++)
			for (int c = 0; c < 4; c++)
				out[4 * r + c] = clip255((tap6(WS(r + 2, c), WS(r + 2, c + 1), WS(r + 2, c + 2), WS(r + 2, c + 3),
				                                WS(r + 2, c + 4), WS(r + 2, c + 5)) + 16) >> 5);
		break;
	case 2:
		for (int r = 0; r < 4; r++)
			for (int c = 0; c < 4; c++)
				out[4 * r + c] = clip255((tap6(WS(r, c + 2), WS(r + 1, c + 2), WS(r + 2, c + 2), WS(r + 3, c + 2),
				                                WS(r + 4, c + 2), WS(r + 5, c + 2)) + 16) >> 5);
		break;
	default:
		for (int c = 0; c < 4; c++) {
			int b1[9];
			for (int i = 0; i < 9; i++)
				b1[i] = tap6(WS(i, c), WS(i, c + 1), WS(i, c + 2), WS(i, c + 3), WS(i, c + 4), WS(i, c + 5));
			for (int r = 0; r < 4; r++)
				out[4 * r + c] = clip255((tap6(b1[r], b1[r + 1], b1[r + 2], b1[r + 3], b1[r + 4], b1[r + 5]) + 512) >> 10);
		}
		break;
	}
#undef WS
}

/*
 * luma_block: predictLuma of the 4x4 block at luma position (x, y) with
 * vector (mvx, mvy) into pred: through luma_term_inside when every tap of
 * both terms, and every byte load4 reads for them, lies inside the plane;
 * else sample by sample with clamping.
 */
DEVICE_FN void luma_block(const RefPlane *r, int x, int y, int mvx, int mvy, int *pred)
{
	int ix = x + (mvx >> 2), iy = y + (mvy >> 2), f = (mvy & 3) * 4 + (mvx & 3);
	/* Term offsets are 0 or 1; a window's reads span 16 bytes from its
	 * column x0 - 2 (three load4, each up to the next word boundary). */
	if (ix - 2 >= 0 && iy - 2 >= 0 && ix + 1 - 2 + 16 <= r->w && iy + 1 + 7 <= r->h) {
		int b[16];
		luma_term_inside(r, terms_kind_a[f], ix + terms_dx_a[f], iy + terms_dy_a[f], pred);
		if (terms_kind_b[f] >= 0) {
			luma_term_inside(r, terms_kind_b[f], ix + terms_dx_b[f], iy + terms_dy_b[f], b);
			for (int k = 0; k < 16; k++)
				pred[k] = (pred[k] + b[k] + 1) >> 1;
		}
		return;
	}
	for (int yy = 0; yy < 4; yy++)
		for (int xx = 0; xx < 4; xx++)
			pred[4 * yy + xx] = luma_sample(r, x + xx, y + yy, mvx, mvy);
}

/* predictChroma, one sample (8.4.2.2.2): chroma position (x, y), the luma
 * vector read in eighth chroma samples, clamped. */
DEVICE_FN int chroma_sample(const RefPlane *r, int x, int y, int mvx, int mvy)
{
	int ix = x + (mvx >> 3), iy = y + (mvy >> 3), fx = mvx & 7, fy = mvy & 7;
	int A = ref_g(r, ix, iy), B = ref_g(r, ix + 1, iy), C = ref_g(r, ix, iy + 1), D = ref_g(r, ix + 1, iy + 1);
	return ((8 - fx) * (8 - fy) * A + fx * (8 - fy) * B + (8 - fx) * fy * C + fx * fy * D + 32) >> 6;
}

/* The warp's shared words: each lane's decimation score, the chroma
 * lanes' DC coefficients. */
#define IR_SH_SCORE 0
#define IR_SH_CDC 32
#define IR_SH_WORDS 40

/* ir_luma_quadrant is the 8x8 quadrant of luma 4x4 block r (decimateMB's
 * grouping and the coded block pattern's bit). */
DEVICE_FN int ir_luma_quadrant(int r) { return ((r >> 3) << 1) | ((r & 3) >> 1); }

/* reconInter for macroblock i: one warp each (n = 32 x macroblocks);
 * non-inter macroblocks return. */
KERNEL inter_recon(const int64_t *P, int n, int arg)
{
	(void)arg;
	WARP_SHARED(int32_t, sh, IR_SH_WORDS);
	WARP_LEADER_ONLY();
	if (GLOBAL_ID() >= n)
		return;
	int i = GLOBAL_ID() >> 5;
	int mbW = PARAM_INT(P, IP_MBW), mbH = PARAM_INT(P, IP_MBH), x = i % mbW, y = i / mbW;
	const int32_t *dec = PARAM_PTR(const int32_t, P, IP_DEC) + IR_WORDS * i;
	const int16_t *mv = (const int16_t *)(dec + IR_MV);
	int typ = dec[IR_TYPE];
	if (typ < MB_P16X16 || typ > MB_P8X8)
		return;
	int qp = dec[IR_QP], qpc = chroma_qp(qp);
	int32_t *cbpOut = PARAM_PTR(int32_t, P, IP_CBP); /* set for the skip probe */
	int16_t *L = PARAM_PTR(int16_t, P, IP_LEVELS) + LV_WORDS * (int64_t)i;
	uint8_t *C = PARAM_PTR(uint8_t, P, IP_COUNTS) + CN_BYTES * (int64_t)i;
	int ls = 16 * mbW, cs = 8 * mbW;
	RefPlane ry, rc[2];
	ry.p = PARAM_PTR(const uint8_t, P, IP_REF_Y), ry.w = ry.stride = ls, ry.h = 16 * mbH;
	rc[0].p = PARAM_PTR(const uint8_t, P, IP_REF_CB), rc[1].p = PARAM_PTR(const uint8_t, P, IP_REF_CR);
	rc[0].w = rc[1].w = rc[0].stride = rc[1].stride = cs, rc[0].h = rc[1].h = 8 * mbH;

	/* What a lane keeps: its block's prediction; after phase 3 the coded
	 * block patterns and its chroma block's DC. */
	uint8_t pred[WARP_LANES][16];
	int cbpL[WARP_LANES], cbpC[WARP_LANES], nzc[WARP_LANES];
	int32_t dcf[WARP_LANES];

	/* Phase 1: predict (interPred: each 4x4 block with its own vector, a
	 * chroma sample with its luma block's), transform, quantise, scan and
	 * score the lane's block. */
	WARP_FOR_LANES(lane)
	{
		if (lane < 24) {
			int chroma = lane >= 16, c = (lane - 16) >> 2, r = chroma ? (lane - 16) & 3 : lane;
			int bx = chroma ? r & 1 : r & 3, by = chroma ? r >> 1 : r >> 2;
			uint8_t *pb = pred[WARP_AT(lane)];
			const uint8_t *s = chroma ? PARAM_PTR(const uint8_t, P, c ? IP_SRC_CR : IP_SRC_CB) + (y * 8 + by * 4) * cs + x * 8 + bx * 4
			                          : PARAM_PTR(const uint8_t, P, IP_SRC_Y) + (y * 16 + by * 4) * ls + x * 16 + bx * 4;
			int stride = chroma ? cs : ls;
			int32_t c16[16], lv[16];
			int v16[16];
			if (chroma) {
				for (int yy = 0; yy < 4; yy++) {
					for (int xx = 0; xx < 4; xx++) {
						/* chroma sample (cx, cy) of the macroblock: its luma
						 * 4x4 block is (cx >> 1, cy >> 1). */
						int cx = bx * 4 + xx, cy = by * 4 + yy, lb = (cy >> 1) * 4 + (cx >> 1);
						v16[yy * 4 + xx] = chroma_sample(&rc[c], x * 8 + cx, y * 8 + cy, mv[2 * lb], mv[2 * lb + 1]);
					}
				}
			} else {
				luma_block(&ry, x * 16 + bx * 4, y * 16 + by * 4, mv[2 * r], mv[2 * r + 1], v16);
			}
			for (int yy = 0; yy < 4; yy++) {
				for (int xx = 0; xx < 4; xx++) {
					int v = v16[yy * 4 + xx];
					pb[yy * 4 + xx] = (uint8_t)v;
					c16[yy * 4 + xx] = s[yy * stride + xx] - v;
				}
			}
			fdct4x4(c16);
			int16_t *out;
			if (chroma) {
				sh[IR_SH_CDC + lane - 16] = c16[0];
				quant4x4_inter(c16, lv, qpc, 1);
				out = L + LV_CAC + 64 * c + 16 * r;
				C[CN_NZC + 4 * c + r] = (uint8_t)to_scan(out, lv, 1);
			} else {
				quant4x4_inter(c16, lv, qp, 0);
				out = L + LV_LUMA + 16 * r;
				C[CN_NZ + r] = (uint8_t)to_scan(out, lv, 0);
			}
			sh[IR_SH_SCORE + lane] = decimate_score(out);
		}
	}
	WARP_SYNC();

	/* Phase 2: decimation (decimateMB and its 8x8 rule for luma,
	 * decimateChroma per plane) and the chroma DC: each chroma lane
	 * transforms its plane's four DCs and keeps its own level. */
	WARP_FOR_LANES(lane)
	{
		if (lane < 16) {
			int total = 0, s8 = 0, q = ir_luma_quadrant(lane);
			for (int k = 0; k < 16; k++) {
				total += sh[IR_SH_SCORE + k];
				if (ir_luma_quadrant(k) == q)
					s8 += sh[IR_SH_SCORE + k];
			}
			if (total < DECIMATE_MB || s8 < DECIMATE_8X8) {
				for (int k = 0; k < 16; k++)
					L[LV_LUMA + 16 * lane + k] = 0;
				C[CN_NZ + lane] = 0;
			}
		} else if (lane < 24) {
			int c = (lane - 16) >> 2, r = (lane - 16) & 3, score = 0;
			int32_t cdc[4], cdclv[4];
			for (int k = 0; k < 4; k++) {
				score += sh[IR_SH_SCORE + 16 + 4 * c + k];
				cdc[k] = sh[IR_SH_CDC + 4 * c + k];
			}
			if (score < DECIMATE_CHROMA) {
				for (int k = 0; k < 16; k++)
					L[LV_CAC + 64 * c + 16 * r + k] = 0;
				C[CN_NZC + 4 * c + r] = 0;
			}
			hadamard2x2(cdc);
			quant_dc_inter(cdc, cdclv, 4, qpc);
			L[LV_CDC + 4 * c + r] = (int16_t)cdclv[r];
		}
	}
	WARP_SYNC();

	/* Phase 3: the coded block patterns, and each chroma lane's DC after
	 * the inverse transform (the levels zeroed when cbpC is 0). Of the
	 * buffers phase 4 reads, reads only; the skip probe's CBP copy is
	 * written here, and then the probe ends: it does not reconstruct. */
	WARP_FOR_LANES(lane)
	{
		int cbp = 0, anyAC = 0, anyDC = 0;
		for (int r = 0; r < 16; r++)
			if (C[CN_NZ + r] != 0)
				cbp |= 1 << ir_luma_quadrant(r);
		for (int k = 0; k < 8; k++) {
			anyAC |= C[CN_NZC + k] != 0;
			anyDC |= L[LV_CDC + k] != 0;
		}
		int cc = anyAC ? 2 : (anyDC ? 1 : 0);
		cbpL[WARP_AT(lane)] = cbp;
		cbpC[WARP_AT(lane)] = cc;
		if (lane == 0 && cbpOut)
			cbpOut[i] = cbp | (cc << 4);
		if (lane >= 16 && lane < 24) {
			int c = (lane - 16) >> 2, r = (lane - 16) & 3;
			int32_t f[4];
			for (int k = 0; k < 4; k++)
				f[k] = cc == 0 ? 0 : L[LV_CDC + 4 * c + k];
			hadamard2x2(f);
			dequant_chroma_dc(f, qpc);
			dcf[WARP_AT(lane)] = f[r];
			nzc[WARP_AT(lane)] = cc < 2 ? 0 : C[CN_NZC + 4 * c + r];
		}
	}
	WARP_SYNC();
	if (cbpOut)
		return; /* the skip probe wants the CBP only */

	/* Phase 4: the final records, and the reconstruction of the lane's
	 * block (lumaRecon; chroma with its DC). */
	WARP_FOR_LANES(lane)
	{
		int cc = cbpC[WARP_AT(lane)];
		if (lane == 0) {
			int cbp = cbpL[WARP_AT(lane)] | (cc << 4);
			C[CN_CBP] = (uint8_t)cbp;
		}
		if (lane < 24) {
			int chroma = lane >= 16, c = (lane - 16) >> 2, r = chroma ? (lane - 16) & 3 : lane;
			int bx = chroma ? r & 1 : r & 3, by = chroma ? r >> 1 : r >> 2;
			int32_t d[16], lv[16];
			uint8_t *o;
			int stride;
			if (chroma) {
				int k = 4 * c + r;
				if (cc < 2)
					C[CN_NZC + k] = 0;
				if (cc == 0)
					L[LV_CDC + k] = 0;
				if (nzc[WARP_AT(lane)] != 0) {
					from_scan(lv, L + LV_CAC + 64 * c + 16 * r);
					dequant4x4(lv, d, qpc, 1);
				} else {
					for (int j = 0; j < 16; j++)
						d[j] = 0;
				}
				d[0] = dcf[WARP_AT(lane)];
				idct4x4(d);
				stride = cs;
				o = PARAM_PTR(uint8_t, P, c ? IP_REC_CR : IP_REC_CB) + (y * 8 + by * 4) * cs + x * 8 + bx * 4;
			} else {
				if (C[CN_NZ + r] != 0) {
					from_scan(lv, L + LV_LUMA + 16 * r);
					dequant4x4(lv, d, qp, 0);
					idct4x4(d);
				} else {
					for (int j = 0; j < 16; j++)
						d[j] = 0;
				}
				stride = ls;
				o = PARAM_PTR(uint8_t, P, IP_REC_Y) + (y * 16 + by * 4) * ls + x * 16 + bx * 4;
			}
			const uint8_t *pb = pred[WARP_AT(lane)];
			for (int yy = 0; yy < 4; yy++)
				for (int xx = 0; xx < 4; xx++)
					o[yy * stride + xx] = (uint8_t)clip255(pb[yy * 4 + xx] + d[yy * 4 + xx]);
		}
	}
}

/*
 * probe_skip: pass 1 of the skip probe (stage 2b, h264/skipprobe.go) for
 * macroblock i (n = MBs), from stage 2's decisions at IP_PROBE_DEC: its
 * P_Skip vector (8.4.1.1, h264/inter.go skipMV) from the decisions of its
 * neighbours, whether it wants a probe there (an inter macroblock that is
 * not already P_L0_16x16 at that vector), and its record for inter_recon
 * (P_L0_16x16 at the vector with its QP where it wants a probe, else
 * Intra_16x16, which inter_recon passes by). The vector and the flag go
 * to IP_PROBE_OUT for the host.
 */

/* One neighbouring 4x4 block as 8.4.1.3.2 sees it (refIdx 0 or -1). */
typedef struct {
	int ref;
	int x, y;
} ProbeNb;

/* Block blk (raster order) of macroblock m's decision. */
DEVICE_FN ProbeNb probe_nb(const int32_t *dec, int m, int blk)
{
	const int32_t *d = dec + (int64_t)DEC_WORDS * m;
	ProbeNb r = {-1, 0, 0};
	int typ = d[DEC_TYPE];
	if (typ >= MB_P16X16 && typ <= MB_PSKIP) {
		r.ref = 0;
		r.x = d[DEC_MV + 2 * blk];
		r.y = d[DEC_MV + 2 * blk + 1];
	}
	return r;
}

DEVICE_FN int probe_median3(int a, int b, int c)
{
	return imax(imin(a, b), imin(imax(a, b), c));
}

KERNEL probe_skip(const int64_t *P, int n, int arg)
{
	(void)arg;
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, IP_MBW), x = i % mbW, y = i / mbW;
	const int32_t *dec = PARAM_PTR(const int32_t, P, IP_PROBE_DEC);
	int sx = 0, sy = 0;
	if (x > 0 && y > 0) {
		/* A: the left macroblock's block 3, B: the top one's block 12;
		 * C: the top-right one's block 12, or D: the top-left one's
		 * block 15 at the right edge. Both A and B exist here, so
		 * 8.4.1.3.1's substitution never applies. */
		ProbeNb A = probe_nb(dec, i - 1, 3), B = probe_nb(dec, i - mbW, 12);
		if (!(A.ref == 0 && A.x == 0 && A.y == 0) && !(B.ref == 0 && B.x == 0 && B.y == 0)) {
			ProbeNb C = x + 1 < mbW ? probe_nb(dec, i - mbW + 1, 12) : probe_nb(dec, i - mbW - 1, 15);
			int refs = (A.ref == 0) + (B.ref == 0) + (C.ref == 0);
			if (refs == 1) {
				ProbeNb o = A.ref == 0 ? A : B.ref == 0 ? B : C;
				sx = o.x;
				sy = o.y;
			} else {
				sx = probe_median3(A.x, B.x, C.x);
				sy = probe_median3(A.y, B.y, C.y);
			}
		}
	}
	const int32_t *d = dec + (int64_t)DEC_WORDS * i;
	int typ = d[DEC_TYPE];
	int wants = typ >= MB_P16X16 && typ <= MB_PSKIP &&
		    !(typ == MB_P16X16 && d[DEC_PARTMV] == sx && d[DEC_PARTMV + 1] == sy);
	int32_t *rec = PARAM_PTR(int32_t, P, IP_DEC) + IR_WORDS * (int64_t)i;
	rec[IR_TYPE] = wants ? MB_P16X16 : MB_I16X16;
	rec[IR_QP] = d[DEC_QP];
	if (wants) {
		uint32_t v = (uint32_t)(uint16_t)sx | (uint32_t)sy << 16;
		for (int k = 0; k < 16; k++)
			((uint32_t *)(rec + IR_MV))[k] = v;
	}
	int32_t *o = PARAM_PTR(int32_t, P, IP_PROBE_OUT) + PO_WORDS * (int64_t)i;
	o[PO_MV] = (int32_t)((uint32_t)(uint16_t)sx | (uint32_t)sy << 16);
	o[PO_WANTS] = wants;
}
