/*
 * cavlc.cu: entropy coding of a picture (stage 4 of h264/DESIGN.md),
 * mirroring h264/slice.go (writeMB, nCLuma, nCChroma, predI4Mode; ITU-T
 * H.264 clause 7.3.4 slice_data and 7.3.5 macroblock_layer), h264/cavlc.go
 * (writeResidualBlock, writeLevel; 9.2), h264/inter.go (mvPred; 8.4.1.3),
 * h264/bitwriter.go (u, ue, se; 9.1) and the concatenation of
 * h264/encoder.go (encodePicture).
 *
 * Kernels, in launch order:
 *   cavlc_mb           one thread per macroblock: ue(mb_skip_run) of the
 *                      skipped macroblocks just before it (P slices), then
 *                      its macroblock_layer(), into its own segment
 *   cavlc_chunk_sum    one thread per CHUNK segments (header and
 *                      macroblocks): the sum of their lengths
 *   cavlc_scan_top     one thread: exclusive prefix sum of the chunk sums,
 *                      then the tail segment (final mb_skip_run, trailing
 *                      bits, which depend on the total length)
 *   cavlc_chunk_apply  one thread per chunk: each segment's bit offset
 *   cavlc_pack         one thread per 32-bit word of the slice: gathers the
 *                      bits of the segments overlapping its word (no two
 *                      threads write the same byte, so no atomics)
 *   cavlc_escape_count one thread per chunk of ESC_BYTES of the RBSP: its
 *                      emulation prevention bytes (7.4.1) and the state it
 *                      leaves, for each state it may be entered in
 *   cavlc_escape_group one thread per ESC_GROUP chunks: the same for them
 *   cavlc_escape_scan  one thread: each group's output offset and entering
 *                      state, and the payload's length
 *   cavlc_escape_write one thread per chunk: its offset and entering state
 *                      from its group's and the chunks before it there,
 *                      then its part of the NAL unit's payload (the RBSP
 *                      with the emulation_prevention_three_bytes) into the
 *                      segment area, which cavlc_pack has read
 *   cavlc_consts       test only: the layout constants and the tables
 */
#include "common.h"
#include "analyse.h"
#include "cavlc.h"

/* Bit writer into one segment: 32-bit words, MSB first (bitWriter). */
typedef struct {
	uint32_t *w;
	int nw;       /* whole words written */
	uint64_t acc; /* the low n bits are pending */
	int n;
	int err;      /* a value out of range, or the segment overflowed */
} BitW;

DEVICE_FN void bw_init(BitW *b, uint32_t *w)
{
	b->w = w;
	b->nw = 0;
	b->acc = 0;
	b->n = 0;
	b->err = 0;
}

DEVICE_FN int bw_len(const BitW *b) { return b->nw * 32 + b->n; }

/* u(n): v in n bits, 0 <= n <= 32 (bitWriter.u). */
DEVICE_FN void bw_u(BitW *b, int n, uint32_t v)
{
	if (n < 32 && (v >> n) != 0) {
		b->err = 1;
		return;
	}
	if (n == 0)
		return;
	b->acc = (b->acc << n) | v;
	b->n += n;
	if (b->n >= 32) {
		b->n -= 32;
		if (b->nw < SLOT_WORDS)
			b->w[b->nw] = (uint32_t)(b->acc >> b->n);
		else
			b->err = 1;
		b->nw++;
		b->acc &= (((uint64_t)1) << b->n) - 1;
	}
}

/* Flushes the pending bits, padded with zeros, into the last word. */
DEVICE_FN void bw_flush(BitW *b)
{
	if (b->n == 0)
		return;
	if (b->nw < SLOT_WORDS)
		b->w[b->nw] = (uint32_t)(b->acc << (32 - b->n));
	else
		b->err = 1;
}

DEVICE_FN void bw_flag(BitW *b, int f) { bw_u(b, 1, f ? 1u : 0u); }

/* ue(v), 9.1 (bitWriter.ue). */
DEVICE_FN void bw_ue(BitW *b, uint32_t v)
{
	if (v == 0xffffffffu) {
		b->err = 1;
		return;
	}
	uint64_t x = (uint64_t)v + 1;
	int n = 64 - CLZ64(x);
	if (n <= 32) {
		bw_u(b, n - 1, 0);
		bw_u(b, n, (uint32_t)x);
		return;
	}
	bw_u(b, n - 1, 0);
	bw_u(b, 1, 1);
	bw_u(b, n - 1, (uint32_t)x);
}

/* se(v), 9.1.1 (bitWriter.se): k > 0 maps to 2k-1, k <= 0 to -2k. */
DEVICE_FN void bw_se(BitW *b, int32_t v)
{
	if (v == INT32_MIN) {
		b->err = 1;
		return;
	}
	int64_t m = v > 0 ? 2 * (int64_t)v - 1 : -2 * (int64_t)v;
	bw_ue(b, (uint32_t)m);
}

DEVICE_FN void bw_vlc(BitW *b, Vlc c) { bw_u(b, c.len, c.code); }

/* coeffTokenTable: the Table 9-5 column for nC. */
DEVICE_FN int coeff_token_table(int nC)
{
	if (nC < 0)
		return 4;
	if (nC < 2)
		return 0;
	if (nC < 4)
		return 1;
	if (nC < 8)
		return 2;
	return 3;
}

/* writeLevel: level_prefix and level_suffix of levelCode code (9.2.2.1). */
DEVICE_FN void write_level(BitW *b, int32_t code, int suffixLength)
{
	if (suffixLength == 0) {
		if (code < 14) {
			bw_u(b, code + 1, 1);
		} else if (code < 30) {
			bw_u(b, 15, 1); /* level_prefix 14 */
			bw_u(b, 4, (uint32_t)(code - 14));
		} else {
			bw_u(b, 16, 1); /* level_prefix 15 */
			bw_u(b, 12, (uint32_t)(code - 30));
		}
		return;
	}
	if (code < (15 << suffixLength)) {
		bw_u(b, (code >> suffixLength) + 1, 1);
		bw_u(b, suffixLength, (uint32_t)code & ((1u << suffixLength) - 1));
		return;
	}
	bw_u(b, 16, 1); /* level_prefix 15 */
	bw_u(b, 12, (uint32_t)(code - (15 << suffixLength)));
}

/* writeResidualBlock: residual_block_cavlc() (7.3.5.3.2) of the maxNum
 * levels coef (scan order) with nC (-1: chroma DC). Returns TotalCoeff. */
DEVICE_CALL int write_residual_block(BitW *b, const int32_t *coef, int maxNum, int nC)
{
	int32_t lv[16];
	int pos[16];
	int tc = 0;
	for (int i = maxNum - 1; i >= 0; i--) {
		int32_t c = coef[i];
		if (c != 0) {
			lv[tc] = c;
			pos[tc] = i;
			tc++;
		}
	}
	int t1 = 0;
	while (t1 < tc && t1 < 3 && (lv[t1] == 1 || lv[t1] == -1))
		t1++;
	bw_vlc(b, COEFF_TOKEN_T9_5[coeff_token_table(nC)][t1][tc]);
	if (tc == 0)
		return 0;
	for (int i = 0; i < t1; i++)
		bw_flag(b, lv[i] < 0); /* trailing_ones_sign_flag */
	int suffixLength = 0;
	if (tc > 10 && t1 < 3)
		suffixLength = 1;
	for (int i = t1; i < tc; i++) {
		int32_t l = lv[i];
		int32_t code = l > 0 ? 2 * l - 2 : -2 * l - 1; /* levelCode */
		if (i == t1 && t1 < 3)
			code -= 2;
		write_level(b, code, suffixLength);
		if (suffixLength == 0)
			suffixLength = 1;
		int32_t al = l < 0 ? -l : l;
		if (al > (3 << (suffixLength - 1)) && suffixLength < 6)
			suffixLength++;
	}
	if (tc < maxNum) {
		int totalZeros = pos[0] + 1 - tc;
		if (maxNum == 4)
			bw_vlc(b, TOTAL_ZEROS_DC_T9_9A[tc][totalZeros]);
		else
			bw_vlc(b, TOTAL_ZEROS_T9_7_8[tc][totalZeros]);
		int zerosLeft = totalZeros;
		for (int i = 0; i < tc - 1 && zerosLeft > 0; i++) {
			int run = pos[i] - pos[i + 1] - 1;
			bw_vlc(b, RUN_BEFORE_T9_10[imin(zerosLeft, 7)][run]);
			zerosLeft -= run;
		}
	}
	return tc;
}

DEVICE_FN const int16_t *mb_rec(const int64_t *P, int i)
{
	return PARAM_PTR(const int16_t, P, CP_REC) + (int64_t)i * CR_WORDS;
}

/* combineNC: nC from the neighbours' TotalCoeff (9.2.1). */
DEVICE_FN int combine_nc(int nA, int nB)
{
	if (nA >= 0 && nB >= 0)
		return (nA + nB + 1) >> 1;
	if (nA >= 0)
		return nA;
	if (nB >= 0)
		return nB;
	return 0;
}

/* nCLuma for the luma block at raster (bx, by) of macroblock (x, y). */
DEVICE_FN int nc_luma(const int64_t *P, int x, int y, const int16_t *cur, int bx, int by)
{
	int mbW = PARAM_INT(P, CP_MBW);
	int nA = -1, nB = -1;
	if (bx > 0)
		nA = cur[CR_NZ + by * 4 + bx - 1];
	else if (x > 0)
		nA = mb_rec(P, y * mbW + x - 1)[CR_NZ + by * 4 + 3];
	if (by > 0)
		nB = cur[CR_NZ + (by - 1) * 4 + bx];
	else if (y > 0)
		nB = mb_rec(P, (y - 1) * mbW + x)[CR_NZ + 12 + bx];
	return combine_nc(nA, nB);
}

/* nCChroma for the chroma AC block (bx, by) of plane c. */
DEVICE_FN int nc_chroma(const int64_t *P, int x, int y, const int16_t *cur, int c, int bx, int by)
{
	int mbW = PARAM_INT(P, CP_MBW);
	int nA = -1, nB = -1;
	if (bx > 0)
		nA = cur[CR_NZC + c * 4 + by * 2];
	else if (x > 0)
		nA = mb_rec(P, y * mbW + x - 1)[CR_NZC + c * 4 + by * 2 + 1];
	if (by > 0)
		nB = cur[CR_NZC + c * 4 + bx];
	else if (y > 0)
		nB = mb_rec(P, (y - 1) * mbW + x)[CR_NZC + c * 4 + 2 + bx];
	return combine_nc(nA, nB);
}

/* predI4Mode: predIntra4x4PredMode of the block at raster (bx, by)
 * (8.3.1.1); a neighbour that is not Intra_4x4 counts as DC (2). */
DEVICE_FN int pred_i4_mode(const int64_t *P, int x, int y, const int16_t *cur, int bx, int by)
{
	int mbW = PARAM_INT(P, CP_MBW);
	int a, b;
	if (bx > 0) {
		a = cur[CR_I4 + by * 4 + bx - 1];
	} else if (x > 0) {
		const int16_t *m = mb_rec(P, y * mbW + x - 1);
		a = m[CR_TYPE] != MB_I4X4 ? 2 : m[CR_I4 + by * 4 + 3];
	} else {
		return 2;
	}
	if (by > 0) {
		b = cur[CR_I4 + (by - 1) * 4 + bx];
	} else if (y > 0) {
		const int16_t *m = mb_rec(P, (y - 1) * mbW + x);
		b = m[CR_TYPE] != MB_I4X4 ? 2 : m[CR_I4 + 12 + bx];
	} else {
		return 2;
	}
	return imin(a, b);
}

/* mvNeighbour (inter.go): avail, ref (0, or -1 when unavailable or
 * intra), mv. */
typedef struct {
	int avail, ref, mvx, mvy;
} MvNb;

/* neighbourAt: the 4x4 block at (bx, by) relative to macroblock (x, y), in
 * 4x4 units (bx, by may be -1 or 4), seen from partition curPart. */
DEVICE_FN MvNb neighbour_at(const int64_t *P, int x, int y, int bx, int by, const int16_t *cur, int curPart)
{
	MvNb nb = {0, -1, 0, 0};
	int mbW = PARAM_INT(P, CP_MBW);
	int mx = x, my = y;
	if (bx < 0) {
		mx--;
		bx += 4;
	} else if (bx >= 4) {
		mx++;
		bx -= 4;
	}
	if (by < 0) {
		my--;
		by += 4;
	}
	if (mx < 0 || mx >= mbW || my < 0)
		return nb;
	if (my == y && mx > x)
		return nb; /* to the right: not yet decoded */
	const int16_t *m;
	if (mx == x && my == y) {
		/* Inside the current macroblock (P_8x8, 16x8/8x16 second part). */
		if (((by >> 1) * 2 + (bx >> 1)) >= curPart)
			return nb;
		m = cur;
	} else {
		m = mb_rec(P, my * mbW + mx);
	}
	nb.avail = 1;
	if (m[CR_TYPE] <= MB_I16X16)
		return nb;
	nb.ref = 0;
	nb.mvx = m[CR_MV + 2 * (by * 4 + bx)];
	nb.mvy = m[CR_MV + 2 * (by * 4 + bx) + 1];
	return nb;
}

DEVICE_FN int mv_median3(int a, int b, int c)
{
	if (a > b) {
		int t = a;
		a = b;
		b = t;
	}
	if (b > c)
		b = c;
	return a > b ? a : b;
}

/* mvPred: the motion vector predictor of partition part (8.4.1.3). */
DEVICE_FN void mv_pred(const int64_t *P, int x, int y, const int16_t *cur, int typ, int part, int bx, int by, int w,
		       int *px, int *py)
{
	MvNb A = neighbour_at(P, x, y, bx - 1, by, cur, part);
	MvNb B = neighbour_at(P, x, y, bx, by - 1, cur, part);
	MvNb C = neighbour_at(P, x, y, bx + w, by - 1, cur, part);
	if (!C.avail)
		C = neighbour_at(P, x, y, bx - 1, by - 1, cur, part);
	const MvNb *dir = 0;
	if (typ == MB_P16X8 && part == 0 && B.ref == 0)
		dir = &B;
	else if (typ == MB_P16X8 && part == 1 && A.ref == 0)
		dir = &A;
	else if (typ == MB_P8X16 && part == 0 && A.ref == 0)
		dir = &A;
	else if (typ == MB_P8X16 && part == 1 && C.ref == 0)
		dir = &C;
	if (dir) {
		*px = dir->mvx;
		*py = dir->mvy;
		return;
	}
	/* 8.4.1.3.1 */
	if (!B.avail && !C.avail && A.avail) {
		B = A;
		C = A;
	}
	int n = 0, ox = 0, oy = 0;
	if (A.ref == 0) {
		n++;
		ox = A.mvx;
		oy = A.mvy;
	}
	if (B.ref == 0) {
		n++;
		ox = B.mvx;
		oy = B.mvy;
	}
	if (C.ref == 0) {
		n++;
		ox = C.mvx;
		oy = C.mvy;
	}
	if (n == 1) {
		*px = ox;
		*py = oy;
		return;
	}
	*px = mv_median3(A.mvx, B.mvx, C.mvx);
	*py = mv_median3(A.mvy, B.mvy, C.mvy);
}

/* Position of luma4x4BlkIdx in 4x4 blocks (6.4.3, Figure 6-10). */
DEVICE_CONST uint8_t BLK_X[16] = {0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3};
DEVICE_CONST uint8_t BLK_Y[16] = {0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3};

/* writeMB: macroblock_layer() (7.3.5) of a coded macroblock. */
DEVICE_CALL void write_mb(BitW *b, const int64_t *P, const int16_t *mb, int x, int y, int pSlice)
{
	uint32_t off = pSlice ? 5 : 0; /* intra mb_type follows the 5 P types (Table 7-13) */
	int typ = mb[CR_TYPE];
	int cbp = mb[CR_CBP] & 63;
	int cbpL = cbp & 15, cbpC = cbp >> 4;
	if (typ == MB_I4X4) {
		bw_ue(b, off);
		for (int i = 0; i < 16; i++) {
			int bx = BLK_X[i], by = BLK_Y[i];
			int m = mb[CR_I4 + by * 4 + bx];
			int p = pred_i4_mode(P, x, y, mb, bx, by);
			if (m == p) {
				bw_flag(b, 1);
			} else {
				bw_flag(b, 0);
				if (m > p)
					m--;
				bw_u(b, 3, (uint32_t)m);
			}
		}
		bw_ue(b, (uint32_t)mb[CR_CHROMA]);
		bw_ue(b, CBP_CODENUM_T9_4[0][cbp]);
	} else if (typ == MB_I16X16) {
		uint32_t t = 1 + (uint32_t)mb[CR_I16] + 4 * (uint32_t)cbpC;
		if (cbpL != 0)
			t += 12;
		bw_ue(b, off + t);
		bw_ue(b, (uint32_t)mb[CR_CHROMA]);
	} else {
		int np = typ == MB_P16X16 ? 1 : (typ == MB_P8X8 ? 4 : 2);
		bw_ue(b, (uint32_t)(typ - MB_P16X16)); /* P_L0_16x16 0, 16x8 1, 8x16 2, P_8x8 3 */
		if (typ == MB_P8X8)
			for (int p = 0; p < 4; p++)
				bw_ue(b, 0); /* sub_mb_type P_L0_8x8 */
		for (int p = 0; p < np; p++) {
			int bx = 0, by = 0, pw = 4; /* partGeom */
			if (typ == MB_P16X8) {
				by = 2 * p;
			} else if (typ == MB_P8X16) {
				bx = 2 * p;
				pw = 2;
			} else if (typ == MB_P8X8) {
				bx = 2 * (p & 1);
				by = 2 * (p >> 1);
				pw = 2;
			}
			int px, py;
			mv_pred(P, x, y, mb, typ, p, bx, by, pw, &px, &py);
			bw_se(b, (int32_t)mb[CR_PARTMV + 2 * p] - px);
			bw_se(b, (int32_t)mb[CR_PARTMV + 2 * p + 1] - py);
		}
		bw_ue(b, CBP_CODENUM_T9_4[1][cbp]);
	}
	if (cbpL == 0 && cbpC == 0 && typ != MB_I16X16)
		return;
	bw_se(b, mb[CR_QPD]);
	/* The level block: the host's, or the inter stage's. */
	uint32_t at = (uint32_t)(uint16_t)mb[CR_SLOT] | (uint32_t)(uint16_t)mb[CR_SLOT + 1] << 16;
	const int16_t *lev = at == CR_SLOT_INTER
		? PARAM_PTR(const int16_t, P, CP_LEVELS) + (int64_t)(y * PARAM_INT(P, CP_MBW) + x) * CL_WORDS
		: PARAM_PTR(const int16_t, P, CP_HOSTLV) + (int64_t)at * CL_WORDS;
	int32_t coef[16];
	if (typ == MB_I16X16) {
		for (int k = 0; k < 16; k++)
			coef[k] = mb[CR_LUMADC + k];
		write_residual_block(b, coef, 16, nc_luma(P, x, y, mb, 0, 0));
	}
	for (int i = 0; i < 16; i++) {
		if ((cbpL & (1 << (i / 4))) == 0)
			continue;
		int bx = BLK_X[i], by = BLK_Y[i];
		int r = by * 4 + bx;
		int nC = nc_luma(P, x, y, mb, bx, by);
		const int16_t *l = lev + CL_LUMA + 16 * r;
		if (typ == MB_I16X16) {
			for (int k = 1; k < 16; k++)
				coef[k - 1] = l[k];
			write_residual_block(b, coef, 15, nC);
		} else {
			for (int k = 0; k < 16; k++)
				coef[k] = l[k];
			write_residual_block(b, coef, 16, nC);
		}
	}
	if (cbpC != 0) {
		for (int c = 0; c < 2; c++) {
			for (int k = 0; k < 4; k++)
				coef[k] = lev[CL_CDC + 4 * c + k];
			write_residual_block(b, coef, 4, -1);
		}
	}
	if (cbpC == 2) {
		for (int c = 0; c < 2; c++) {
			for (int r = 0; r < 4; r++) {
				const int16_t *l = lev + CL_CAC + 64 * c + 16 * r;
				for (int k = 1; k < 16; k++)
					coef[k - 1] = l[k];
				write_residual_block(b, coef, 15, nc_chroma(P, x, y, mb, c, r & 1, r >> 1));
			}
		}
	}
}

DEVICE_FN uint32_t *slot(const int64_t *P, int s)
{
	return PARAM_PTR(uint32_t, P, CP_SLOTS) + (int64_t)s * SLOT_WORDS;
}

/* cavlc_mb: macroblock i (n = MBs) into segment 1+i: ue(mb_skip_run) of
 * the P_Skip macroblocks just before it (P slices), then
 * macroblock_layer(); P_Skip macroblocks write nothing. CP_RUN gets the
 * prefix's length, CP_LEN the segment's (-1 on overflow). */
KERNEL cavlc_mb(const int64_t *P, int n, int arg)
{
	(void)arg;
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, CP_MBW);
	int pSlice = PARAM_INT(P, CP_PSLICE);
	int32_t *lens = PARAM_PTR(int32_t, P, CP_LEN);
	int32_t *runs = PARAM_PTR(int32_t, P, CP_RUN);
	const int16_t *mb = mb_rec(P, i);
	if (mb[CR_TYPE] == MB_PSKIP) {
		lens[1 + i] = 0;
		runs[i] = 0;
		return;
	}
	BitW b;
	bw_init(&b, slot(P, 1 + i));
	if (pSlice) {
		/* Each skipped macroblock belongs to the run of exactly one
		 * coded macroblock (or the tail), so the walks total n. */
		uint32_t run = 0;
		for (int k = i - 1; k >= 0 && mb_rec(P, k)[CR_TYPE] == MB_PSKIP; k--)
			run++;
		bw_ue(&b, run);
	}
	runs[i] = bw_len(&b);
	write_mb(&b, P, mb, i % mbW, i / mbW, pSlice);
	bw_flush(&b);
	lens[1 + i] = b.err ? -1 : bw_len(&b);
}

/* cavlc_chunk_sum: thread c sums the lengths of segments c*CHUNK ..
 * c*CHUNK+CHUNK-1 of the first arg segments (header and macroblocks);
 * -1 when one of them overflowed. */
KERNEL cavlc_chunk_sum(const int64_t *P, int n, int arg)
{
	int c = GLOBAL_ID();
	if (c >= n)
		return;
	const int32_t *lens = PARAM_PTR(const int32_t, P, CP_LEN);
	int32_t s = 0;
	int end = imin(arg, (c + 1) * CHUNK);
	for (int k = c * CHUNK; k < end; k++) {
		if (lens[k] < 0 || s < 0) {
			s = -1;
			continue;
		}
		s += lens[k];
	}
	PARAM_PTR(int32_t, P, CP_CHUNK)[c] = s;
}

/* cavlc_scan_top (one thread; n = chunks, arg = segments before the tail):
 * the chunk sums become exclusive prefix sums; then the tail segment: the
 * final mb_skip_run when the slice ends with skipped macroblocks (P
 * slices), and rbsp_slice_trailing_bits (7.3.2.10) up to a byte boundary
 * of the whole slice. CP_STATUS gets the total bits and the error flag. */
KERNEL cavlc_scan_top(const int64_t *P, int n, int arg)
{
	if (GLOBAL_ID() != 0)
		return;
	int32_t *chunk = PARAM_PTR(int32_t, P, CP_CHUNK);
	int32_t *status = PARAM_PTR(int32_t, P, CP_STATUS);
	int32_t *lens = PARAM_PTR(int32_t, P, CP_LEN);
	int32_t *offs = PARAM_PTR(int32_t, P, CP_OFF);
	int err = 0;
	int64_t total = 0;
	for (int c = 0; c < n; c++) {
		int32_t v = chunk[c];
		chunk[c] = (int32_t)total;
		if (v < 0)
			err = 1;
		else
			total += v;
	}
	int nmb = arg - 1;
	BitW b;
	bw_init(&b, slot(P, arg));
	if (PARAM_INT(P, CP_PSLICE)) {
		uint32_t run = 0;
		for (int k = nmb - 1; k >= 0 && mb_rec(P, k)[CR_TYPE] == MB_PSKIP; k--)
			run++;
		if (run > 0)
			bw_ue(&b, run);
	}
	bw_u(&b, 1, 1); /* rbsp_stop_one_bit */
	int r = (int)((total + bw_len(&b)) % 8);
	if (r != 0)
		bw_u(&b, 8 - r, 0); /* rbsp_alignment_zero_bit */
	bw_flush(&b);
	if (b.err || total + bw_len(&b) > 0x7fffffff)
		err = 1;
	lens[arg] = bw_len(&b);
	offs[arg] = (int32_t)total;
	status[0] = err ? 0 : (int32_t)(total + bw_len(&b));
	status[1] = err;
}

/* cavlc_chunk_apply: thread c gives each segment of its chunk (of the
 * first arg) its bit offset. */
KERNEL cavlc_chunk_apply(const int64_t *P, int n, int arg)
{
	int c = GLOBAL_ID();
	if (c >= n)
		return;
	const int32_t *lens = PARAM_PTR(const int32_t, P, CP_LEN);
	int32_t *offs = PARAM_PTR(int32_t, P, CP_OFF);
	int32_t o = PARAM_PTR(const int32_t, P, CP_CHUNK)[c];
	int end = imin(arg, (c + 1) * CHUNK);
	for (int k = c * CHUNK; k < end; k++) {
		offs[k] = o;
		o += imax(lens[k], 0);
	}
}

/* The last segment s of the nseg whose offset is <= pos: the one holding
 * bit pos (empty segments share the offset of the next non-empty one). */
DEVICE_FN int find_segment(const int32_t *offs, int lo, int nseg, int32_t pos)
{
	int hi = nseg - 1;
	while (lo < hi) {
		int mid = (lo + hi + 1) >> 1;
		if (offs[mid] <= pos)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* k bits (1..32) of segment s from bit p on. */
DEVICE_FN uint32_t segment_bits(const int64_t *P, int s, int32_t p, int k)
{
	const uint32_t *w = slot(P, s) + (p >> 5);
	uint64_t v = ((uint64_t)w[0] << 32) | w[1];
	return (uint32_t)((v >> (64 - (p & 31) - k)) & ((((uint64_t)1) << k) - 1));
}

/* cavlc_pack: thread t (n = words of the slice, arg = segments including
 * the tail) gathers bits 32t .. 32t+31 of the slice from the segments that
 * overlap them and stores them as four bytes, MSB first. */
KERNEL cavlc_pack(const int64_t *P, int n, int arg)
{
	int t = GLOBAL_ID();
	if (t >= n)
		return;
	const int32_t *lens = PARAM_PTR(const int32_t, P, CP_LEN);
	const int32_t *offs = PARAM_PTR(const int32_t, P, CP_OFF);
	int32_t total = PARAM_PTR(const int32_t, P, CP_STATUS)[0];
	int32_t start = 32 * t;
	int32_t end = imin(start + 32, total);
	uint32_t word = 0;
	int s = find_segment(offs, 0, arg, start);
	while (start < end) {
		int32_t so = offs[s], se = so + lens[s];
		int32_t a = imax(start, so), e = imin(end, se);
		if (e > a) {
			int k = e - a;
			word |= segment_bits(P, s, a - so, k) << (32 - (a - 32 * t) - k);
		}
		if (se >= end || s + 1 >= arg)
			break;
		s = find_segment(offs, s + 1, arg, se);
		start = se;
	}
	uint8_t *out = PARAM_PTR(uint8_t, P, CP_OUT) + 4 * (int64_t)t;
	out[0] = (uint8_t)(word >> 24);
	out[1] = (uint8_t)(word >> 16);
	out[2] = (uint8_t)(word >> 8);
	out[3] = (uint8_t)word;
}

/*
 * Emulation prevention (7.4.1, h264/nal.go appendNAL): an
 * emulation_prevention_three_byte goes before every byte of 3 or less that
 * follows two zero bytes written since the last one inserted. The state
 * between two bytes is the number of such zero bytes, at most 2, so each
 * chunk of ESC_BYTES is run from each of the three states it may be entered
 * in (cavlc_escape_count), groups of ESC_GROUP chunks chain theirs the
 * same way (cavlc_escape_group), a serial pass chains the groups
 * (cavlc_escape_scan), and each chunk is written from the state it is
 * really entered in (cavlc_escape_write). A chunk's or group's word for an
 * entering state holds its escapes << 2 | the state it leaves.
 */

/* One byte b after state *z: whether an emulation_prevention_three_byte
 * goes before it; *z becomes the state after it. */
DEVICE_FN int esc_step(int *z, uint32_t b)
{
	int e = *z == 2 && b <= 3;
	if (e)
		*z = 0;
	*z = b == 0 ? imin(*z + 1, 2) : 0;
	return e;
}

/* cavlc_escape_count: thread c (n = chunks, arg = RBSP bytes) runs its
 * chunk's bytes from states 0, 1 and 2 and stores, for each, the escapes
 * << 2 | the state after. */
KERNEL cavlc_escape_count(const int64_t *P, int n, int arg)
{
	int c = GLOBAL_ID();
	if (c >= n)
		return;
	const uint8_t *in = PARAM_PTR(const uint8_t, P, CP_OUT);
	int lo = c * ESC_BYTES, hi = imin(lo + ESC_BYTES, arg);
	int z[3] = {0, 1, 2}, e[3] = {0, 0, 0};
	for (int i = lo; i < hi; i++) {
		uint32_t b = in[i];
		for (int s = 0; s < 3; s++)
			e[s] += esc_step(&z[s], b);
	}
	int32_t *ch = PARAM_PTR(int32_t, P, CP_ESC) + 3 * c;
	for (int s = 0; s < 3; s++)
		ch[s] = e[s] << 2 | z[s];
}

/* cavlc_escape_group: thread g (n = groups, arg = chunks) chains the
 * words of its ESC_GROUP chunks from each entering state into the group's. */
KERNEL cavlc_escape_group(const int64_t *P, int n, int arg)
{
	int g = GLOBAL_ID();
	if (g >= n)
		return;
	const int32_t *ch = PARAM_PTR(const int32_t, P, CP_ESC);
	int end = imin(arg, (g + 1) * ESC_GROUP);
	int32_t *gw = PARAM_PTR(int32_t, P, CP_ESCGROUP) + 3 * g;
	for (int s = 0; s < 3; s++) {
		int z = s, e = 0;
		for (int c = g * ESC_GROUP; c < end; c++) {
			int32_t v = ch[3 * c + z];
			e += v >> 2;
			z = v & 3;
		}
		gw[s] = e << 2 | z;
	}
}

/* cavlc_escape_scan (one thread; n = groups, arg = RBSP bytes): chains the
 * groups from state 0 at the RBSP's first byte (the NAL header byte before
 * it is not zero), leaving each group's output offset and entering state
 * in its first two words; CP_STATUS gets the payload's length and whether
 * it overflows the segment area. */
KERNEL cavlc_escape_scan(const int64_t *P, int n, int arg)
{
	if (GLOBAL_ID() != 0)
		return;
	int32_t *gw = PARAM_PTR(int32_t, P, CP_ESCGROUP);
	int64_t off = 0;
	int z = 0;
	for (int g = 0; g < n; g++) {
		int32_t v0 = gw[3 * g], v1 = gw[3 * g + 1], v2 = gw[3 * g + 2];
		int32_t v = z == 0 ? v0 : z == 1 ? v1 : v2;
		gw[3 * g] = (int32_t)off;
		gw[3 * g + 1] = z;
		off += imin(ESC_GROUP * ESC_BYTES, arg - g * ESC_GROUP * ESC_BYTES) + (v >> 2);
		z = v & 3;
	}
	int64_t cap = 4 * (int64_t)SLOT_WORDS * (PARAM_INT(P, CP_MBW) * PARAM_INT(P, CP_MBH) + 2);
	int32_t *status = PARAM_PTR(int32_t, P, CP_STATUS);
	status[2] = off > cap ? 0 : (int32_t)off;
	status[3] = off > cap;
}

/* cavlc_escape_write: thread c (n = chunks, arg = RBSP bytes) finds its
 * chunk's output offset and entering state from its group's and the
 * (whole) chunks before it in the group, then writes its bytes, with the
 * emulation_prevention_three_bytes, into the segment area (nothing when
 * the payload overflows it). */
KERNEL cavlc_escape_write(const int64_t *P, int n, int arg)
{
	int c = GLOBAL_ID();
	if (c >= n || PARAM_PTR(const int32_t, P, CP_STATUS)[3])
		return;
	const uint8_t *in = PARAM_PTR(const uint8_t, P, CP_OUT);
	uint8_t *out = (uint8_t *)slot(P, 0);
	const int32_t *ch = PARAM_PTR(const int32_t, P, CP_ESC);
	int g = c / ESC_GROUP;
	const int32_t *gw = PARAM_PTR(const int32_t, P, CP_ESCGROUP) + 3 * g;
	int64_t o = gw[0];
	int z = gw[1];
	for (int k = g * ESC_GROUP; k < c; k++) {
		int32_t v = ch[3 * k + z];
		o += ESC_BYTES + (v >> 2);
		z = v & 3;
	}
	int lo = c * ESC_BYTES, hi = imin(lo + ESC_BYTES, arg);
	for (int i = lo; i < hi; i++) {
		uint32_t b = in[i];
		if (esc_step(&z, b))
			out[o++] = 3;
		out[o++] = (uint8_t)b;
	}
}

/* cavlc_consts (test only, one thread): writes the layout constants and
 * every table entry as int32 words at CP_OUT (CONSTS_WORDS words: layout,
 * then each table's (code, len) pairs in index order, then the cbp maps). */
KERNEL cavlc_consts(const int64_t *P, int n, int arg)
{
	(void)n;
	(void)arg;
	if (GLOBAL_ID() != 0)
		return;
	int32_t *o = PARAM_PTR(int32_t, P, CP_OUT);
	const int32_t layout[] = {CP_COUNT, CP_REC, CP_SLOTS, CP_LEN, CP_RUN, CP_OFF, CP_CHUNK, CP_OUT,
				  CP_STATUS, CP_MBW, CP_MBH, CP_PSLICE, SLOT_WORDS, CHUNK, CR_TYPE, CR_I16,
				  CR_CHROMA, CR_CBP, CR_QPD, CR_I4, CR_PARTMV, CR_MV, CR_NZ, CR_NZC,
				  CR_LUMADC, CL_LUMA, CL_CDC, CL_CAC, CR_WORDS, CONSTS_WORDS, MB_PSKIP, MB_I16X16,
				  CP_LEVELS, CR_SLOT, CP_HOSTLV, CL_WORDS, CP_ESC, ESC_BYTES, CP_ESCGROUP, ESC_GROUP};
	int k = 0;
	for (int i = 0; i < CONSTS_LAYOUT; i++)
		o[k++] = layout[i];
	for (int t = 0; t < 5; t++)
		for (int t1 = 0; t1 < 4; t1++)
			for (int tc = 0; tc < 17; tc++) {
				o[k++] = COEFF_TOKEN_T9_5[t][t1][tc].code;
				o[k++] = COEFF_TOKEN_T9_5[t][t1][tc].len;
			}
	for (int i = 0; i < 16; i++)
		for (int z = 0; z < 16; z++) {
			o[k++] = TOTAL_ZEROS_T9_7_8[i][z].code;
			o[k++] = TOTAL_ZEROS_T9_7_8[i][z].len;
		}
	for (int i = 0; i < 4; i++)
		for (int z = 0; z < 4; z++) {
			o[k++] = TOTAL_ZEROS_DC_T9_9A[i][z].code;
			o[k++] = TOTAL_ZEROS_DC_T9_9A[i][z].len;
		}
	for (int i = 0; i < 8; i++)
		for (int r = 0; r < 15; r++) {
			o[k++] = RUN_BEFORE_T9_10[i][r].code;
			o[k++] = RUN_BEFORE_T9_10[i][r].len;
		}
	for (int i = 0; i < 2; i++)
		for (int c = 0; c < 48; c++)
			o[k++] = CBP_CODENUM_T9_4[i][c];
}
