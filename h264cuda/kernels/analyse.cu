/*
 * analyse.cu: the mode decision of h264_go (h264/analyse.go, stage 2 of
 * h264/DESIGN.md) with the intra predictions it uses (h264/intra.go, ITU-T
 * H.264 8.3.1.2, 8.3.3, 8.3.4), one thread per macroblock. Each macroblock
 * is decided from the source picture and the motion field only, so all run
 * at once. Functions name the Go function they mirror. Adaptive
 * quantisation's per-macroblock QP (h264/aq.go) is computed here too.
 */
#include "common.h"
#include "motion.h"
#include "analyse.h"
#include "intrapred.h"
#include "satd.h"

/* Mode signalling costs in bits (analyse.go). */
enum {
	BITS_I16_TYPE = 5, BITS_I4_TYPE = 1, BITS_INTRA_IN_P = 6, BITS_P16X16 = 1, BITS_P16X8 = 3,
	BITS_P8X8 = 9, BITS_I4_HIT = 1, BITS_I4_REM = 4, INTRA_PENALTY_P = 48
};

/* ueBits: length of ue(v). */
DEVICE_FN int ue_bits(uint32_t v)
{
	return 2 * (32 - CLZ32(v + 1)) - 1;
}

/* SATD of an n×m block of src (stride ss) against pred (stride ps):
 * satdBlock / satd4x4Pred. */
DEVICE_FN int satd_pred(const uint8_t *src, int ss, const uint8_t *pred, int ps, int w, int h)
{
	int sum = 0;
	for (int by = 0; by < h; by += 4)
		for (int bx = 0; bx < w; bx += 4)
			sum += satd4x4(src + by * ss + bx, ss, pred + by * ps + bx, ps);
	return sum >> 1;
}

/* analyseI4: the 16 Intra_4x4 modes; writes them into the record and
 * returns the total cost. */
DEVICE_CALL int analyse_i4(const int64_t *P, int32_t *rec, const uint8_t *sy, int ss, int mbA, int lambda)
{
	int total = lambda * BITS_I4_TYPE;
	for (int i = 0; i < 16; i++) {
		int bx = ((i >> 2) & 1) * 2 + (i & 1), by = ((i >> 3) & 1) * 2 + ((i >> 1) & 1);
		const uint8_t *o = sy + by * 4 * ss + bx * 4;
		int a = blk4_avail(bx, by, mbA);
		int pm = 2;
		if (bx > 0 && by > 0)
			pm = imin(rec[DEC_I4 + by * 4 + bx - 1], rec[DEC_I4 + (by - 1) * 4 + bx]);
		int e[13];
		i4_load_edge(e, o, ss, a);
		/* i4Taps.compute. */
		uint8_t taps[39];
		for (int k = 0; k < 13; k++) {
			taps[TAP_E + k] = (uint8_t)e[k];
			int lo = e[imax(k - 1, 0)], hi = e[imin(k + 1, 12)];
			taps[TAP_AVG3 + k] = (uint8_t)((lo + 2 * e[k] + hi + 2) >> 2);
			if (k < 12)
				taps[TAP_AVG2 + k] = (uint8_t)((e[k] + e[k + 1] + 1) >> 1);
		}
		int best = 0x7fffffff, bestM = 2;
		for (int m = 0; m < 9; m++) {
			if (!i4_mode_avail(m, a))
				continue;
			uint8_t p[16];
			if (m == 0) {
				for (int y = 0; y < 4; y++)
					for (int x = 0; x < 4; x++)
						p[y * 4 + x] = (uint8_t)e[5 + x];
			} else if (m == 1) {
				for (int y = 0; y < 4; y++)
					for (int x = 0; x < 4; x++)
						p[y * 4 + x] = (uint8_t)e[3 - y];
			} else if (m == 2) {
				int v;
				switch (a & (AV_LEFT | AV_TOP)) {
				case AV_LEFT | AV_TOP:
					v = (e[0] + e[1] + e[2] + e[3] + e[5] + e[6] + e[7] + e[8] + 4) >> 3;
					break;
				case AV_LEFT:
					v = (e[0] + e[1] + e[2] + e[3] + 2) >> 2;
					break;
				case AV_TOP:
					v = (e[5] + e[6] + e[7] + e[8] + 2) >> 2;
					break;
				default:
					v = 128;
				}
				for (int k = 0; k < 16; k++)
					p[k] = (uint8_t)v;
			} else {
				for (int y = 0; y < 4; y++)
					for (int x = 0; x < 4; x++)
						p[y * 4 + x] = taps[i4_dir_tap(m, x, y)];
			}
			int c = satd_pred(o, ss, p, 4, 4, 4) + lambda * (m == pm ? BITS_I4_HIT : BITS_I4_REM);
			if (c < best)
				best = c, bestM = m;
		}
		rec[DEC_I4 + by * 4 + bx] = bestM;
		total += best;
	}
	return total;
}

/* analyseChroma: the chroma mode with the lowest SATD + rate. */
DEVICE_CALL int analyse_chroma(const int64_t *P, int x, int y, int avail, int lambda)
{
	int cs = 8 * PARAM_INT(P, AP_MBW);
	const uint8_t *cb = PARAM_PTR(const uint8_t, P, AP_SRC_CB) + y * 8 * cs + x * 8;
	const uint8_t *cr = PARAM_PTR(const uint8_t, P, AP_SRC_CR) + y * 8 * cs + x * 8;
	/* chromaToI16: DC, horizontal, vertical, plane. */
	const int to16[4] = {2, 1, 0, 3};
	int best = 0x7fffffff, bestM = 0;
	for (int m = 0; m < 4; m++) {
		if (!chroma_mode_avail(m, avail))
			continue;
		uint8_t p[64];
		int c = lambda * ue_bits((uint32_t)m);
		pred_block(p, 8, cb, cs, to16[m], avail, 1);
		c += satd_pred(cb, cs, p, 8, 8, 8);
		pred_block(p, 8, cr, cs, to16[m], avail, 1);
		c += satd_pred(cr, cs, p, 8, 8, 8);
		if (c < best)
			best = c, bestM = m;
	}
	return bestM;
}

/* log2FracQ8[i] = round(256·log2(1 + i/256)), h264/aq.go. */
DEVICE_CONST uint8_t log2_frac_q8[256] = {
	0, 1, 3, 4, 6, 7, 9, 10, 11, 13, 14, 16, 17, 18, 20, 21,
	22, 24, 25, 26, 28, 29, 30, 32, 33, 34, 36, 37, 38, 40, 41, 42,
	44, 45, 46, 47, 49, 50, 51, 52, 54, 55, 56, 57, 59, 60, 61, 62,
	63, 65, 66, 67, 68, 69, 71, 72, 73, 74, 75, 77, 78, 79, 80, 81,
	82, 84, 85, 86, 87, 88, 89, 90, 92, 93, 94, 95, 96, 97, 98, 99,
	100, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 116, 117,
	118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133,
	134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149,
	150, 151, 152, 153, 154, 155, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164,
	165, 166, 167, 168, 169, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 178,
	179, 180, 181, 182, 183, 184, 185, 185, 186, 187, 188, 189, 190, 191, 192, 192,
	193, 194, 195, 196, 197, 198, 198, 199, 200, 201, 202, 203, 203, 204, 205, 206,
	207, 208, 208, 209, 210, 211, 212, 212, 213, 214, 215, 216, 216, 217, 218, 219,
	220, 220, 221, 222, 223, 224, 224, 225, 226, 227, 228, 228, 229, 230, 231, 231,
	232, 233, 234, 234, 235, 236, 237, 238, 238, 239, 240, 241, 241, 242, 243, 244,
	244, 245, 246, 247, 247, 248, 249, 249, 250, 251, 252, 252, 253, 254, 255, 255,
};

/* log2Q8: log2(v) in 1/256 units (v >= 1). */
DEVICE_FN int log2_q8(uint64_t v)
{
	if (v == 0)
		return 0;
	int n = 63 - CLZ64(v);
	uint64_t m = n >= 8 ? v >> (n - 8) : v << (8 - n);
	return n * 256 + log2_frac_q8[m & 255];
}

/* aqEnergy: AC energy of MB (x, y) over luma and both chroma blocks. */
DEVICE_FN uint64_t aq_energy(const int64_t *P, int x, int y)
{
	uint64_t total = 0;
	int mbW = PARAM_INT(P, AP_MBW);
	for (int i = 0; i < 3; i++) {
		int n = i ? 8 : 16, shift = i ? 6 : 8, stride = n * mbW;
		const uint8_t *p = PARAM_PTR(const uint8_t, P, AP_SRC_Y + i) + y * n * stride + x * n;
		uint64_t sum = 0, sq = 0;
		for (int r = 0; r < n; r++)
			for (int c = 0; c < n; c++) {
				uint64_t v = p[r * stride + c];
				sum += v;
				sq += v * v;
			}
		total += sq - ((sum * sum) >> shift);
	}
	return total;
}

/* aqOffset: s·(log2(energy) − 14.427), rounded, within ±12. */
DEVICE_FN int aq_offset(const int64_t *P, int x, int y, int s)
{
	int d = s * (log2_q8(aq_energy(P, x, y) + 1) - 3693);
	int off = d >= 0 ? (d + 2048) >> 12 : -((-d + 2048) >> 12);
	return imax(-12, imin(12, off));
}

/* put_host_record writes the compact copy (DH_*) of decision record rec
 * to h: 100 bytes where the record has 240 (the vectors fit int16: h264's
 * MV). */
DEVICE_FN void put_host_record(uint8_t *h, const int32_t *rec)
{
	h[DH_TYPE] = (uint8_t)rec[DEC_TYPE];
	h[DH_I16] = (uint8_t)rec[DEC_I16];
	h[DH_CHROMA] = (uint8_t)rec[DEC_CHROMA];
	h[DH_QP] = (uint8_t)rec[DEC_QP];
	for (int k = 0; k < 16; k++)
		h[DH_I4 + k] = (uint8_t)rec[DEC_I4 + k];
	for (int k = 0; k < 8; k++) {
		uint16_t v = (uint16_t)rec[DEC_PARTMV + k];
		h[DH_PARTMV + 2 * k] = (uint8_t)v, h[DH_PARTMV + 2 * k + 1] = (uint8_t)(v >> 8);
	}
	for (int k = 0; k < 32; k++) {
		uint16_t v = (uint16_t)rec[DEC_MV + k];
		h[DH_MV + 2 * k] = (uint8_t)v, h[DH_MV + 2 * k + 1] = (uint8_t)(v >> 8);
	}
}

/* analyse: stage 2 for macroblock i (one thread each). */
KERNEL analyse_mb(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, AP_MBW), x = i % mbW, y = i / mbW;
	int32_t *rec = PARAM_PTR(int32_t, P, AP_DEC) + DEC_WORDS * i;
	int pSlice = PARAM_INT(P, AP_PSLICE);
	int qp = PARAM_INT(P, AP_QP), aq = PARAM_INT(P, AP_AQ);
	if (aq != 0)
		qp = imax(0, imin(51, qp + aq_offset(P, x, y, aq)));
	const signed char *qpOff = PARAM_PTR(const signed char, P, AP_QPOFF);
	if (qpOff)
		qp = imax(0, imin(51, qp + qpOff[i]));
	int lambda = PARAM_INT(P, AP_LAMBDA_TAB + qp);
	int avail = mb_avail(x, y, mbW);
	int ss = 16 * mbW;
	const uint8_t *sy = PARAM_PTR(const uint8_t, P, AP_SRC_Y) + y * 16 * ss + x * 16;
	rec[DEC_QP] = qp;
	int bestCost = 0x7fffffff;
	if (pSlice) {
		const int32_t *m = PARAM_PTR(const int32_t, P, AP_FIELD) + OUT_WORDS * i;
		rec[DEC_TYPE] = MB_P16X16;
		rec[DEC_PARTMV] = m[OUT_MV16], rec[DEC_PARTMV + 1] = m[OUT_MV16 + 1];
		bestCost = m[OUT_COST16] + lambda * BITS_P16X16;
		if (PARAM_INT(P, AP_PARTS)) {
			int c = m[OUT_COST16X8] + m[OUT_COST16X8 + 1] + lambda * BITS_P16X8;
			if (c < bestCost) {
				bestCost = c;
				rec[DEC_TYPE] = MB_P16X8;
				for (int k = 0; k < 4; k++)
					rec[DEC_PARTMV + k] = m[OUT_MV16X8 + k];
			}
			c = m[OUT_COST8X16] + m[OUT_COST8X16 + 1] + lambda * BITS_P16X8;
			if (c < bestCost) {
				bestCost = c;
				rec[DEC_TYPE] = MB_P8X16;
				for (int k = 0; k < 4; k++)
					rec[DEC_PARTMV + k] = m[OUT_MV8X16 + k];
			}
			c = m[OUT_COST8X8] + m[OUT_COST8X8 + 1] + m[OUT_COST8X8 + 2] + m[OUT_COST8X8 + 3] + lambda * BITS_P8X8;
			if (c < bestCost) {
				bestCost = c;
				rec[DEC_TYPE] = MB_P8X8;
				for (int k = 0; k < 8; k++)
					rec[DEC_PARTMV + k] = m[OUT_MV8X8 + k];
			}
		}
		bestCost -= lambda * (BITS_INTRA_IN_P + INTRA_PENALTY_P);
	}

	/* Intra 16x16 on source neighbours. */
	int i16Cost = 0x7fffffff, i16Mode = 0;
	for (int m = 0; m < 4; m++) {
		if (!i16_mode_avail(m, avail))
			continue;
		uint8_t p[256];
		pred_block(p, 16, sy, ss, m, avail, 0);
		int c = satd_pred(sy, ss, p, 16, 16, 16) + lambda * (BITS_I16_TYPE + ue_bits((uint32_t)m));
		if (c < i16Cost)
			i16Cost = c, i16Mode = m;
	}
	int intraCost = i16Cost, intraTyp = MB_I16X16;
	if (PARAM_INT(P, AP_INTRA4) && (!pSlice || i16Cost < bestCost + lambda * 64)) {
		int c = analyse_i4(P, rec, sy, ss, avail, lambda);
		if (c < intraCost)
			intraCost = c, intraTyp = MB_I4X4;
	}
	if (!pSlice || intraCost < bestCost) {
		rec[DEC_TYPE] = intraTyp;
		rec[DEC_I16] = i16Mode;
		rec[DEC_CHROMA] = analyse_chroma(P, x, y, avail, lambda);
	}
	/* setMVs. */
	int typ = rec[DEC_TYPE];
	for (int r = 0; r < 16; r++) {
		int bx = r & 3, by = r >> 2, p;
		switch (typ) {
		case MB_P16X16:
		case MB_PSKIP:
			p = 0;
			break;
		case MB_P16X8:
			p = by >> 1;
			break;
		case MB_P8X16:
			p = bx >> 1;
			break;
		case MB_P8X8:
			p = (by >> 1) * 2 + (bx >> 1);
			break;
		default:
			p = -1;
		}
		rec[DEC_MV + 2 * r] = p < 0 ? 0 : rec[DEC_PARTMV + 2 * p];
		rec[DEC_MV + 2 * r + 1] = p < 0 ? 0 : rec[DEC_PARTMV + 2 * p + 1];
	}
	put_host_record(PARAM_PTR(uint8_t, P, AP_HOST) + DH_BYTES * (int64_t)i, rec);
	(void)arg;
}
