/*
 * deblock.cu: the in-loop deblocking filter (ITU-T H.264 clause 8.7),
 * mirroring h264/deblock.go: boundary strength (8.7.2.1), the alpha, beta
 * and tC0 tables (Tables 8-16, 8-17), the chroma QP mapping (Table 8-15)
 * and the luma and chroma edge filters (8.7.2.3, 8.7.2.4).
 *
 * Schedule (see DESIGN-deblock.md): the Go encoder filters macroblock by
 * macroblock in raster order, vertical edges V then horizontal ones H.
 * The only ordered pairs that share samples are V(x,y) -> H(x,y),
 * H(x-1,y) -> V(x,y), V(x+1,y-1) -> H(x,y) and H(x,y-1) -> H(x,y), so
 * the halves of one anti-diagonal t = x + y touch disjoint samples: the
 * V halves of diagonal t can run at once once diagonal t-1 is done, and
 * its H halves once its V halves are. Each diagonal is two
 * launches: deblock_v (its vertical edges, one thread per macroblock and
 * sample row: a row of a vertical edge is filtered independently of every
 * other row) then deblock_h (its horizontal edges, one thread per
 * macroblock and sample column). Thread i of a macroblock filters luma
 * line i and chroma line i & 7 of Cb (i < 8) or Cr (i >= 8). arg is t; n
 * is 16 x the number of macroblocks on the diagonal.
 */
#include "common.h"
#include "deblock.h"

/* DB_UNROLL asks nvcc to unroll a constant-count loop, so that the line
 * arrays of db_edges live in registers (no effect in the C emulation). */
#ifdef __CUDACC__
#define DB_UNROLL _Pragma("unroll")
#else
#define DB_UNROLL
#endif

/* Table 8-16: alpha' and beta' by indexA / indexB 0..51 (bit depth 8). */
DEVICE_CONST uint8_t db_alpha[52] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 20, 22, 25, 28,
	32, 36, 40, 45, 50, 56, 63, 71, 80, 90, 101, 113, 127, 144, 162, 182,
	203, 226, 255, 255,
};

DEVICE_CONST uint8_t db_beta[52] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 6, 6, 7, 7, 8, 8,
	9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16,
	17, 17, 18, 18,
};

/* Table 8-17: tC0' for bS = 1, 2, 3 by indexA 0..51. */
DEVICE_CONST uint8_t db_tc0[52][3] = {
	{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0},
	{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0},
	{0, 0, 0}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 1, 1}, {0, 1, 1}, {1, 1, 1},
	{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 2}, {1, 1, 2}, {1, 1, 2}, {1, 1, 2}, {1, 2, 3},
	{1, 2, 3}, {2, 2, 3}, {2, 2, 4}, {2, 3, 4}, {2, 3, 4}, {3, 3, 5}, {3, 4, 6}, {3, 4, 6},
	{4, 5, 7}, {4, 5, 8}, {4, 6, 9}, {5, 7, 10}, {6, 8, 11}, {6, 8, 13}, {7, 10, 14}, {8, 11, 16},
	{9, 12, 18}, {10, 13, 20}, {11, 15, 23}, {13, 17, 25},
};

/* Table 8-15 with chroma_qp_index_offset 0: QPc by QP_Y 0..51. */
DEVICE_CONST uint8_t db_chroma_qp[52] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 29, 30,
	31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38,
	39, 39, 39, 39,
};

DEVICE_FN int db_clip3(int lo, int hi, int v) { return v < lo ? lo : (v > hi ? hi : v); }

/* db_diag_mb finds macroblock j of anti-diagonal t (rows from the top);
 * it returns 0 when there is none. */
DEVICE_FN int db_diag_mb(int t, int j, int mbW, int mbH, int *x, int *y)
{
	int ylo = t - (mbW - 1) > 0 ? t - (mbW - 1) : 0;
	int yy = ylo + j, xx = t - yy;
	if (yy >= mbH || xx < 0 || xx >= mbW)
		return 0;
	*x = xx;
	*y = yy;
	return 1;
}

/* db_mv_far: the vectors a and b (DB_MV words) differ by 4 or more
 * quarter samples in x or y. */
DEVICE_FN int db_mv_far(int32_t a, int32_t b)
{
	int dx = (int)(int16_t)(a & 0xffff) - (int)(int16_t)(b & 0xffff);
	int dy = (int)(int16_t)((uint32_t)a >> 16) - (int)(int16_t)((uint32_t)b >> 16);
	return dx >= 4 || dx <= -4 || dy >= 4 || dy <= -4;
}

/* db_bs is the boundary strength (8.7.2.1, edgeBS) of the segment whose
 * q0 lies in 4x4 block qi of record q and p0 in block pi of record p
 * (p == q inside a macroblock). */
DEVICE_FN int db_bs(const int32_t *q, const int32_t *p, int qi, int pi, int mbEdge)
{
	if ((q[DB_INFO] | p[DB_INFO]) & DB_INTRA)
		return mbEdge ? 4 : 3;
	if (((q[DB_NZ] >> qi) | (p[DB_NZ] >> pi)) & 1)
		return 2;
	return db_mv_far(q[DB_MV + qi], p[DB_MV + pi]);
}

/* db_filter_line filters one line across an edge (filterEdge's loop body):
 * q0 is pix[o], p0 is pix[o - across]; s is the line's bS (1..4), qp the
 * average QP (indexA = indexB). */
DEVICE_FN void db_filter_line(uint8_t *pix, int o, int across, int s, int qp, int chroma)
{
	int alpha = db_alpha[qp], beta = db_beta[qp];
	int p0 = pix[o - across], q0 = pix[o];
	int p1 = pix[o - 2 * across], q1 = pix[o + across];
	if (iabs(p0 - q0) >= alpha || iabs(p1 - p0) >= beta || iabs(q1 - q0) >= beta)
		return;
	if (chroma) {
		if (s < 4) {
			int tc = db_tc0[qp][s - 1] + 1;
			int d = db_clip3(-tc, tc, (((q0 - p0) << 2) + (p1 - q1) + 4) >> 3);
			pix[o - across] = (uint8_t)clip255(p0 + d);
			pix[o] = (uint8_t)clip255(q0 - d);
		} else {
			pix[o - across] = (uint8_t)((2 * p1 + p0 + q1 + 2) >> 2);
			pix[o] = (uint8_t)((2 * q1 + q0 + p1 + 2) >> 2);
		}
		return;
	}
	int p2 = pix[o - 3 * across], q2 = pix[o + 2 * across];
	int ap = iabs(p2 - p0), aq = iabs(q2 - q0);
	if (s < 4) {
		int tc0 = db_tc0[qp][s - 1];
		int tc = tc0 + (ap < beta) + (aq < beta);
		int d = db_clip3(-tc, tc, (((q0 - p0) << 2) + (p1 - q1) + 4) >> 3);
		pix[o - across] = (uint8_t)clip255(p0 + d);
		pix[o] = (uint8_t)clip255(q0 - d);
		if (ap < beta)
			pix[o - 2 * across] = (uint8_t)(p1 + db_clip3(-tc0, tc0, (p2 + ((p0 + q0 + 1) >> 1) - (p1 << 1)) >> 1));
		if (aq < beta)
			pix[o + across] = (uint8_t)(q1 + db_clip3(-tc0, tc0, (q2 + ((p0 + q0 + 1) >> 1) - (q1 << 1)) >> 1));
		return;
	}
	int strong = iabs(p0 - q0) < (alpha >> 2) + 2;
	if (ap < beta && strong) {
		int p3 = pix[o - 4 * across];
		pix[o - across] = (uint8_t)((p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3);
		pix[o - 2 * across] = (uint8_t)((p2 + p1 + p0 + q0 + 2) >> 2);
		pix[o - 3 * across] = (uint8_t)((2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3);
	} else {
		pix[o - across] = (uint8_t)((2 * p1 + p0 + q1 + 2) >> 2);
	}
	if (aq < beta && strong) {
		int q3 = pix[o + 3 * across];
		pix[o] = (uint8_t)((p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3);
		pix[o + across] = (uint8_t)((p0 + q0 + q1 + q2 + 2) >> 2);
		pix[o + 2 * across] = (uint8_t)((2 * q3 + 3 * q2 + q1 + q0 + p0 + 4) >> 3);
	} else {
		pix[o] = (uint8_t)((2 * q1 + q0 + p1 + 2) >> 2);
	}
}

/* db_edges filters line i (0..15) of every luma edge and line i & 7 of
 * both chroma edges of Cb (i < 8) or Cr of macroblock (x, y) in one
 * direction: vertical (sample rows, left to right) or horizontal (sample
 * columns, top to bottom).
 *
 * Every boundary strength and QP is worked out first (the records are
 * never written, so this is the order-independent part), then the line's
 * samples are loaded into a local array at once, filtered there edge after
 * edge, and stored back: no other thread of the launch touches these
 * samples (DESIGN-deblock.md), so this is exactly the in-place order, with
 * one round trip to memory instead of one per edge. */
DEVICE_FN void db_edges(const int64_t *P, int x, int y, int i, int vertical)
{
	int mbW = PARAM_INT(P, DP_MBW);
	const int32_t *recs = PARAM_PTR(const int32_t, P, DP_MB);
	const int32_t *q = recs + (y * mbW + x) * DB_WORDS;
	int hasP = vertical ? x > 0 : y > 0;
	const int32_t *pm = hasP ? (vertical ? q - DB_WORDS : q - mbW * DB_WORDS) : q;
	int qpQ = q[DB_INFO] & 0xff, qpP = pm[DB_INFO] & 0xff;
	int k = i >> 2;
	int r = i & 7, kc = r >> 1;

	int bs[4], cbs[2];
	DB_UNROLL
	for (int e = 0; e < 4; e++) {
		int qi, pi;
		if (vertical) {
			qi = k * 4 + e;
			pi = e == 0 ? k * 4 + 3 : qi - 1;
		} else {
			qi = e * 4 + k;
			pi = e == 0 ? 12 + k : qi - 4;
		}
		bs[e] = e == 0 && !hasP ? 0 : db_bs(q, e == 0 ? pm : q, qi, pi, e == 0);
	}
	DB_UNROLL
	for (int h = 0; h < 2; h++) {
		int e = 2 * h, qi, pi;
		if (vertical) {
			qi = kc * 4 + e;
			pi = e == 0 ? kc * 4 + 3 : qi - 1;
		} else {
			qi = e * 4 + kc;
			pi = e == 0 ? 12 + kc : qi - 4;
		}
		cbs[h] = e == 0 && !hasP ? 0 : db_bs(q, e == 0 ? pm : q, qi, pi, e == 0);
	}
	int qpEdge = (qpP + qpQ + 1) >> 1;
	int cqQ = db_chroma_qp[qpQ], cqP = db_chroma_qp[qpP];
	int cqEdge = (cqP + cqQ + 1) >> 1;

	/* Luma: samples -4..15 of the line (line[j] is sample j - 4). */
	if (bs[0] | bs[1] | bs[2] | bs[3]) {
		uint8_t *Y = PARAM_PTR(uint8_t, P, DP_Y);
		int ys = 16 * mbW;
		int o = vertical ? (y * 16 + i) * ys + x * 16 : (y * 16) * ys + x * 16 + i;
		int step = vertical ? 1 : ys;
		int lo = hasP ? 0 : 4;
		uint8_t line[20];
		DB_UNROLL
		for (int j = 0; j < 20; j++)
			line[j] = j >= lo ? Y[o + (j - 4) * step] : 0;
		DB_UNROLL
		for (int e = 0; e < 4; e++) {
			if (bs[e] != 0)
				db_filter_line(line, 4 + 4 * e, 1, bs[e], e == 0 ? qpEdge : qpQ, 0);
		}
		DB_UNROLL
		for (int j = 0; j < 20; j++) {
			if (j >= lo)
				Y[o + (j - 4) * step] = line[j];
		}
	}

	/* Chroma: samples -2..7 of the line (cl[j] is sample j - 2). */
	if (cbs[0] | cbs[1]) {
		uint8_t *C = PARAM_PTR(uint8_t, P, i < 8 ? DP_CB : DP_CR);
		int cs = 8 * mbW;
		int o = vertical ? (y * 8 + r) * cs + x * 8 : (y * 8) * cs + x * 8 + r;
		int step = vertical ? 1 : cs;
		int lo = hasP ? 0 : 2;
		uint8_t cl[10];
		DB_UNROLL
		for (int j = 0; j < 10; j++)
			cl[j] = j >= lo ? C[o + (j - 2) * step] : 0;
		DB_UNROLL
		for (int h = 0; h < 2; h++) {
			if (cbs[h] != 0)
				db_filter_line(cl, 2 + 4 * h, 1, cbs[h], h == 0 ? cqEdge : cqQ, 1);
		}
		DB_UNROLL
		for (int j = 0; j < 10; j++) {
			if (j >= lo)
				C[o + (j - 2) * step] = cl[j];
		}
	}
}

/* deblock_v: the vertical edges of anti-diagonal arg's macroblocks. */
KERNEL deblock_v(const int64_t *P, int n, int arg)
{
	int g = GLOBAL_ID(), x, y;
	if (g >= n || !db_diag_mb(arg, g >> 4, PARAM_INT(P, DP_MBW), PARAM_INT(P, DP_MBH), &x, &y))
		return;
	db_edges(P, x, y, g & 15, 1);
}

/* deblock_h: the horizontal edges of anti-diagonal arg's macroblocks. */
KERNEL deblock_h(const int64_t *P, int n, int arg)
{
	int g = GLOBAL_ID(), x, y;
	if (g >= n || !db_diag_mb(arg, g >> 4, PARAM_INT(P, DP_MBW), PARAM_INT(P, DP_MBH), &x, &y))
		return;
	db_edges(P, x, y, g & 15, 0);
}
