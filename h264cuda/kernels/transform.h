/*
 * transform.h: the residual coding shared by the reconstruction kernels
 * (inter.cu, intra.cu): the forward and inverse 4x4 transforms and the
 * Hadamard transforms of h264/transform.go (ITU-T H.264 8.5.10 to
 * 8.5.12), the quantisation and scaling of h264/quant.go, the zig-zag
 * scan, and the chroma QP mapping (Table 8-15).
 */
#ifndef GPUENC_TRANSFORM_H
#define GPUENC_TRANSFORM_H

#include "common.h"

/* zigzag4x4 (Table 8-13 frame scan): scan index -> raster index. */
DEVICE_CONST uint8_t zigzag4x4[16] = {0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15};
/* zigzag_at, the inverse: raster index -> scan index. */
DEVICE_CONST uint8_t zigzag_at[16] = {0, 1, 5, 6, 2, 4, 7, 12, 3, 8, 11, 13, 9, 10, 14, 15};
/* quantCoef / dequantCoef (8-315, Table 8-14 as LevelScale4x4), posClass. */
DEVICE_CONST int32_t quant_coef[6][3] = {
	{13107, 5243, 8066}, {11916, 4660, 7490}, {10082, 4194, 6554},
	{9362, 3647, 5825}, {8192, 3355, 5243}, {7282, 2893, 4559},
};
DEVICE_CONST int32_t dequant_coef[6][3] = {
	{10, 16, 13}, {11, 18, 14}, {13, 20, 16}, {14, 23, 18}, {16, 25, 20}, {18, 29, 23},
};
DEVICE_CONST uint8_t pos_class[16] = {0, 2, 0, 2, 2, 1, 2, 1, 0, 2, 0, 2, 2, 1, 2, 1};
/* chromaQPTable (Table 8-15) for qPI 30..51. */
DEVICE_CONST uint8_t chroma_qp_table[22] = {29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36,
                                            36, 37, 37, 37, 38, 38, 38, 39, 39, 39, 39};

/* chromaQP with chroma_qp_index_offset 0. */
DEVICE_FN int chroma_qp(int qp)
{
	int qpi = iclamp(qp, 0, 51);
	return qpi < 30 ? qpi : chroma_qp_table[qpi - 30];
}

/* fdct4x4: the forward core transform, rows then columns. */
DEVICE_FN void fdct4x4(int32_t *b)
{
	for (int i = 0; i < 16; i += 4) {
		int32_t s03 = b[i] + b[i + 3], d03 = b[i] - b[i + 3];
		int32_t s12 = b[i + 1] + b[i + 2], d12 = b[i + 1] - b[i + 2];
		b[i] = s03 + s12;
		b[i + 1] = 2 * d03 + d12;
		b[i + 2] = s03 - s12;
		b[i + 3] = d03 - 2 * d12;
	}
	for (int i = 0; i < 4; i++) {
		int32_t s03 = b[i] + b[i + 12], d03 = b[i] - b[i + 12];
		int32_t s12 = b[i + 4] + b[i + 8], d12 = b[i + 4] - b[i + 8];
		b[i] = s03 + s12;
		b[i + 4] = 2 * d03 + d12;
		b[i + 8] = s03 - s12;
		b[i + 12] = d03 - 2 * d12;
	}
}

/* idct4x4: 8.5.12.2, rows then columns, (x + 32) >> 6. */
DEVICE_FN void idct4x4(int32_t *d)
{
	for (int i = 0; i < 16; i += 4) {
		int32_t e0 = d[i] + d[i + 2], e1 = d[i] - d[i + 2];
		int32_t e2 = (d[i + 1] >> 1) - d[i + 3], e3 = d[i + 1] + (d[i + 3] >> 1);
		d[i] = e0 + e3;
		d[i + 1] = e1 + e2;
		d[i + 2] = e1 - e2;
		d[i + 3] = e0 - e3;
	}
	for (int j = 0; j < 4; j++) {
		int32_t g0 = d[j] + d[j + 8], g1 = d[j] - d[j + 8];
		int32_t g2 = (d[j + 4] >> 1) - d[j + 12], g3 = d[j + 4] + (d[j + 12] >> 1);
		d[j] = (g0 + g3 + 32) >> 6;
		d[j + 4] = (g1 + g2 + 32) >> 6;
		d[j + 8] = (g1 - g2 + 32) >> 6;
		d[j + 12] = (g0 - g3 + 32) >> 6;
	}
}

/* hadamard2x2 of the chroma DCs. */
DEVICE_FN void hadamard2x2(int32_t *c)
{
	int32_t a = c[0], b = c[1], d = c[2], e = c[3];
	c[0] = a + b + d + e;
	c[1] = a - b + d - e;
	c[2] = a + b - d - e;
	c[3] = a - b - d + e;
}

/* hadamard4x4: the luma DC transform of 8.5.10 (A.C.A, its own inverse up
 * to a factor 16), raster order. */
DEVICE_FN void hadamard4x4(int32_t *b)
{
	for (int i = 0; i < 16; i += 4) {
		int32_t s01 = b[i] + b[i + 1], d01 = b[i] - b[i + 1];
		int32_t s23 = b[i + 2] + b[i + 3], d23 = b[i + 2] - b[i + 3];
		b[i] = s01 + s23;
		b[i + 1] = s01 - s23;
		b[i + 2] = d01 - d23;
		b[i + 3] = d01 + d23;
	}
	for (int i = 0; i < 4; i++) {
		int32_t s01 = b[i] + b[i + 4], d01 = b[i] - b[i + 4];
		int32_t s23 = b[i + 8] + b[i + 12], d23 = b[i + 8] - b[i + 12];
		b[i] = s01 + s23;
		b[i + 4] = s01 - s23;
		b[i + 8] = d01 - d23;
		b[i + 12] = d01 + d23;
	}
}

/* dequantLumaDC: the Intra_16x16 DC scaling of 8.5.10, in place. */
DEVICE_FN void dequant_luma_dc(int32_t *f, int qp)
{
	int32_t ls = 16 * dequant_coef[qp % 6][0];
	if (qp >= 36) {
		int sh = qp / 6 - 6;
		for (int i = 0; i < 16; i++)
			f[i] = f[i] * ls * (1 << sh);
		return;
	}
	int sh = 6 - qp / 6;
	int32_t r = 1 << (sh - 1);
	for (int i = 0; i < 16; i++)
		f[i] = (f[i] * ls + r) >> sh;
}

/* clampLevel: ±2063, so that CAVLC never needs level_prefix > 15. */
DEVICE_FN int32_t clamp_level(int32_t v)
{
	return v > 2063 ? 2063 : (v < -2063 ? -2063 : v);
}

/* quant4x4 from index start, with rounding offsets of round64 / 64 of a
 * step (round_hf64 at the positions with u + v >= 5; h264/quant.go). */
DEVICE_FN void quant4x4_round(const int32_t *c, int32_t *lv, int qp, int start, int round64, int round_hf64)
{
	int m = qp % 6, qbits = 15 + qp / 6;
	int64_t f = ((int64_t)round64 << qbits) >> 6;
	int64_t f_hf = ((int64_t)round_hf64 << qbits) >> 6;
	if (start == 1)
		lv[0] = 0;
	for (int i = start; i < 16; i++) {
		int64_t x = c[i], mf = quant_coef[m][pos_class[i]];
		int64_t fi = (i & 3) + (i >> 2) >= 5 ? f_hf : f;
		int32_t l = x >= 0 ? (int32_t)((x * mf + fi) >> qbits) : -(int32_t)((-x * mf + fi) >> qbits);
		lv[i] = clamp_level(l);
	}
}

/* quantDC (qbits + 1) of n values with a rounding offset of round64 / 64
 * of a step; returns the count of non-zero levels. */
DEVICE_FN int quant_dc_round(const int32_t *c, int32_t *lv, int n, int qp, int round64)
{
	int m = qp % 6, qbits = 16 + qp / 6;
	int64_t f = ((int64_t)round64 << qbits) >> 6, mf = quant_coef[m][0];
	int nz = 0;
	for (int i = 0; i < n; i++) {
		int64_t x = c[i];
		int32_t l = x >= 0 ? (int32_t)((x * mf + f) >> qbits) : -(int32_t)((-x * mf + f) >> qbits);
		lv[i] = clamp_level(l);
		if (lv[i] != 0)
			nz++;
	}
	return nz;
}

/* dequant4x4 from index start. */
DEVICE_FN void dequant4x4(const int32_t *lv, int32_t *d, int qp, int start)
{
	int m = qp % 6, sh = qp / 6;
	for (int i = start; i < 16; i++)
		d[i] = lv[i] * dequant_coef[m][pos_class[i]] * (1 << sh);
}

/* dequantChromaDC. */
DEVICE_FN void dequant_chroma_dc(int32_t *f, int qpc)
{
	int32_t ls = 16 * dequant_coef[qpc % 6][0];
	int sh = qpc / 6;
	for (int i = 0; i < 4; i++)
		f[i] = (f[i] * ls * (1 << sh)) >> 5;
}

/* toScan: raster levels to scan order from start; returns the count of
 * non-zero levels. */
DEVICE_FN int to_scan(int16_t *out, const int32_t *lv, int start)
{
	int n = 0;
	for (int k = start; k < 16; k++) {
		int16_t v = (int16_t)lv[zigzag4x4[k]];
		out[k] = v;
		if (v != 0)
			n++;
	}
	if (start == 1)
		out[0] = 0;
	return n;
}

/* fromScan. */
DEVICE_FN void from_scan(int32_t *lv, const int16_t *in)
{
	for (int k = 0; k < 16; k++)
		lv[zigzag4x4[k]] = in[k];
}

#endif
