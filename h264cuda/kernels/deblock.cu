/*
 * deblock.cu: the in-loop deblocking filter (ITU-T H.264 clause 8.7),
 * mirroring h264/deblock.go: boundary strength (8.7.2.1), the alpha, beta
 * and tC0 tables (Tables 8-16, 8-17), the chroma QP mapping (Table 8-15)
 * and the luma and chroma edge filters (8.7.2.3, 8.7.2.4).
 *
 * Schedule (see DESIGN-deblock.md): the Go encoder filters macroblock by
 * macroblock in raster order, vertical edges V then horizontal ones H.
 * V(x,y) touches only macroblock row y's samples; H(x,y) also the bottom
 * four sample rows of row y-1, which V(x,y-1), V(x+1,y-1) and H(x,y-1)
 * touch before it. deblock_rows is one launch: one warp per macroblock
 * row, taken in order from a ticket counter, walks its row left to right,
 * and before H(x,y) waits until row y-1 has finished macroblocks 0..x+1
 * (a progress counter per row). Lanes 0..15 filter luma line lane, lanes
 * 16..31 chroma line lane-16 (Cb 0..7, Cr 8..15): V lines are sample rows,
 * H lines sample columns, so the lanes of one direction never share a
 * sample. A row's own samples are filtered in a window of four macroblocks
 * in shared memory, loaded one macroblock ahead and written back to the
 * picture once final; only H's top edge reads and writes the picture
 * itself (the row above's bottom samples). The boundary strengths and
 * QPs come from deblock_edges, a launch before, which works them out for
 * every macroblock at once. deblock_rows' n is 32 x the number of rows;
 * arg is unused.
 */
#include "common.h"
#include "deblock.h"
#include "rows.h"

/* DB_UNROLL asks nvcc to unroll a constant-count loop, so that the line
 * arrays of db_line live in registers (no effect in the C emulation). */
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

/* deblock_edges writes every macroblock's DE_* record (n = mbW·mbH
 * threads, one per macroblock): the boundary strengths and QPs that
 * deblock_rows reads, worked out ahead in parallel so that the wavefront
 * reads one 32-byte record a macroblock instead of chains of the records'
 * words. */
KERNEL deblock_edges(const int64_t *P, int n, int arg)
{
	(void)arg;
	int g = GLOBAL_ID();
	if (g >= n)
		return;
	int mbW = PARAM_INT(P, DP_MBW);
	int x = g % mbW, y = g / mbW;
	const int32_t *q = PARAM_PTR(const int32_t, P, DP_MB) + g * DB_WORDS;
	int32_t *out = PARAM_PTR(int32_t, P, DP_EDGES) + g * DE_WORDS;
	int qpQ = q[DB_INFO] & 0xff;
	int qp = 0, cqp = 0;
	for (int vertical = 1; vertical >= 0; vertical--) {
		int hasP = vertical ? x > 0 : y > 0;
		const int32_t *pm = hasP ? (vertical ? q - DB_WORDS : q - mbW * DB_WORDS) : q;
		uint32_t lo = 0, hi = 0;
		for (int e = 0; e < 4; e++) {
			for (int k = 0; k < 4; k++) {
				int qi, pi;
				if (vertical) {
					qi = k * 4 + e;
					pi = e == 0 ? k * 4 + 3 : qi - 1;
				} else {
					qi = e * 4 + k;
					pi = e == 0 ? 12 + k : qi - 4;
				}
				uint32_t b = e == 0 && !hasP ? 0 : (uint32_t)db_bs(q, e == 0 ? pm : q, qi, pi, e == 0);
				int nib = 4 * e + k;
				if (nib < 8)
					lo |= b << (4 * nib);
				else
					hi |= b << (4 * (nib - 8));
			}
		}
		int qpP = pm[DB_INFO] & 0xff, sh = vertical ? 0 : 8;
		qp |= ((qpP + qpQ + 1) >> 1) << sh;
		cqp |= ((db_chroma_qp[qpP] + db_chroma_qp[qpQ] + 1) >> 1) << sh;
		out[vertical ? DE_BS_V : DE_BS_H] = (int32_t)lo;
		out[(vertical ? DE_BS_V : DE_BS_H) + 1] = (int32_t)hi;
	}
	out[DE_QP] = qp | qpQ << 16;
	out[DE_CQP] = cqp | db_chroma_qp[qpQ] << 16;
	out[6] = 0;
	out[7] = 0;
}

/* db_line_bs reads line i's boundary strengths and QPs in one direction
 * from a DE_* record: bs[0..3] and qp[0..1] (edge 0, inner edges) for
 * luma line i, or bs[0..1] (edges 0 and 2 of segment (i & 7) >> 1) and the
 * chroma QPs for chroma line i & 7. */
DEVICE_FN void db_line_bs(const int32_t *er, int i, int vertical, int chroma, int bs[4], int qp[2])
{
	const int32_t *w = er + (vertical ? DE_BS_V : DE_BS_H);
	uint64_t nib = (uint32_t)w[0] | (uint64_t)(uint32_t)w[1] << 32;
	int k = chroma ? (i & 7) >> 1 : i >> 2;
	DB_UNROLL
	for (int h = 0; h < 4; h++) {
		int e = chroma ? 2 * h : h;
		bs[h] = chroma && h >= 2 ? 0 : (int)(nib >> (4 * (4 * e + k))) & 15;
	}
	int q = er[chroma ? DE_CQP : DE_QP];
	qp[0] = (q >> (vertical ? 0 : 8)) & 0xff;
	qp[1] = (q >> 16) & 0xff;
}

/* db_line filters a line held in v across its edges: luma, v[j] is
 * sample j - 4 and the edges are at 0, 4, 8, 12; chroma, v[j] is sample
 * j - 2 and the edges are at 0 and 4. Every sample's operations happen in
 * the order of h264's in-place filter. */
DEVICE_FN void db_line(uint8_t *v, int chroma, const int bs[4], const int qp[2])
{
	if (chroma) {
		DB_UNROLL
		for (int h = 0; h < 2; h++) {
			if (bs[h] != 0)
				db_filter_line(v, 2 + 4 * h, 1, bs[h], qp[h != 0], 1);
		}
		return;
	}
	DB_UNROLL
	for (int e = 0; e < 4; e++) {
		if (bs[e] != 0)
			db_filter_line(v, 4 + 4 * e, 1, bs[e], qp[e != 0], 0);
	}
}

/*
 * The window: a row's samples of four macroblocks (x & 3 is macroblock
 * x's slot), luma 16 rows of 64 bytes, then Cb and Cr 8 rows of 32 bytes
 * each, then the four macroblocks' DE_* records. A sample's column c (in
 * the picture) sits at c & 63 (chroma c & 31) in its row, so the four
 * slots form a ring.
 */
#define DB_WIN_EDGES (16 * 64 + 2 * 8 * 32)
#define DB_WIN_BYTES (DB_WIN_EDGES + 4 * 4 * DE_WORDS)

/* db_win_edges is macroblock x's DE_* record in the window. */
DEVICE_FN const int32_t *db_win_edges(const uint8_t *win, int x)
{
	return (const int32_t *)(win + DB_WIN_EDGES + (x & 3) * 4 * DE_WORDS);
}

/* db_win_at is the window position of sample row r (0..15 luma, 0..7
 * chroma) and picture column c of lane plane part pl (0 luma, 1 Cb, 2 Cr). */
DEVICE_FN int db_win_at(int pl, int r, int c)
{
	return pl == 0 ? r * 64 + (c & 63) : 1024 + (pl - 1) * 256 + r * 32 + (c & 31);
}

/* db_lane_plane is the plane of a lane's line: 0 luma (lanes 0..15), 1 Cb, 2 Cr. */
DEVICE_FN int db_lane_plane(int lane) { return lane < 16 ? 0 : (lane < 24 ? 1 : 2); }

/* db_plane is the picture's plane pl and its row stride. */
DEVICE_FN uint8_t *db_plane(const int64_t *P, int pl, int *stride)
{
	int mbW = PARAM_INT(P, DP_MBW);
	*stride = pl == 0 ? 16 * mbW : 8 * mbW;
	return PARAM_PTR(uint8_t, P, pl == 0 ? DP_Y : (pl == 1 ? DP_CB : DP_CR));
}

/* db_lane_row is lane's sample row of macroblock x of row y: its
 * address in the picture and in the window, and its length (16 bytes of
 * luma or 8 of chroma, both aligned). */
DEVICE_FN int db_lane_row(const int64_t *P, uint8_t *win, int lane, int x, int y, uint8_t **g, uint8_t **w)
{
	int pl = db_lane_plane(lane), stride;
	uint8_t *pix = db_plane(P, pl, &stride);
	int n = pl == 0 ? 16 : 8, r = pl == 0 ? lane : lane & 7;
	*g = pix + (n * y + r) * stride + n * x;
	*w = win + db_win_at(pl, r, n * x);
	return n;
}

/* db_fetch starts copying lane's sample row of macroblock x of row y
 * into the window (lanes 0 and 1 also copy half of its DE_* record each);
 * db_fetched waits for the lane's copies. On the GPU these are
 * asynchronous copies (cp.async), so the load of macroblock x+1 runs
 * while macroblock x is filtered; in the C emulation plain copies. */
DEVICE_FN void db_fetch(const int64_t *P, uint8_t *win, int lane, int x, int y)
{
	uint8_t *g, *w;
	int n = db_lane_row(P, win, lane, x, y, &g, &w);
	const uint8_t *eg = (const uint8_t *)(PARAM_PTR(const int32_t, P, DP_EDGES) + (y * PARAM_INT(P, DP_MBW) + x) * DE_WORDS) + 16 * lane;
	uint8_t *ew = (uint8_t *)db_win_edges(win, x) + 16 * lane;
#ifdef __CUDACC__
	unsigned sw = (unsigned)__cvta_generic_to_shared(w), se = (unsigned)__cvta_generic_to_shared(ew);
	if (n == 16)
		asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sw), "l"(g) : "memory");
	else
		asm volatile("cp.async.ca.shared.global [%0], [%1], 8;" ::"r"(sw), "l"(g) : "memory");
	if (lane < 2)
		asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(se), "l"(eg) : "memory");
	asm volatile("cp.async.commit_group;" ::: "memory");
#else
	for (int j = 0; j < n; j++)
		w[j] = g[j];
	for (int j = 0; lane < 2 && j < 16; j++)
		ew[j] = eg[j];
#endif
}

DEVICE_FN void db_fetched(void)
{
#ifdef __CUDACC__
	asm volatile("cp.async.wait_all;" ::: "memory");
#endif
}

/* db_store writes lane's sample row of macroblock x of row y from the
 * window back into the picture. */
DEVICE_FN void db_store(const int64_t *P, uint8_t *win, int lane, int x, int y)
{
	uint8_t *g, *w;
	int n = db_lane_row(P, win, lane, x, y, &g, &w);
#ifdef __CUDACC__
	if (n == 16)
		*(uint4 *)g = *(const uint4 *)w;
	else
		*(uint2 *)g = *(const uint2 *)w;
#else
	for (int j = 0; j < n; j++)
		g[j] = w[j];
#endif
}

/* db_vertical filters lane's line of macroblock (x, y)'s vertical edges,
 * in the window: a sample row, from 4 (chroma 2) samples left of the
 * macroblock to its right end. */
DEVICE_FN void db_vertical(const int64_t *P, uint8_t *win, int lane, int x, int y)
{
	int pl = db_lane_plane(lane), chroma = pl != 0;
	int n = chroma ? 8 : 16, r = chroma ? lane & 7 : lane, back = chroma ? 2 : 4;
	int bs[4], qp[2];
	db_line_bs(db_win_edges(win, x), lane & 15, 1, chroma, bs, qp);
	if (!(bs[0] | bs[1] | bs[2] | bs[3]))
		return;
	uint8_t v[20];
	int lo = x > 0 ? 0 : back, len = n + back;
	DB_UNROLL
	for (int j = 0; j < 20; j++) {
		if (j < len)
			v[j] = j >= lo ? win[db_win_at(pl, r, n * x - back + j)] : 0;
	}
	db_line(v, chroma, bs, qp);
	DB_UNROLL
	for (int j = 0; j < 20; j++) {
		if (j >= lo && j < len)
			win[db_win_at(pl, r, n * x - back + j)] = v[j];
	}
}

/* db_horizontal filters lane's line of macroblock (x, y)'s horizontal
 * edges: a sample column, whose 4 (chroma 2) samples above the macroblock
 * are the row above's, in the picture, and the rest in the window. */
DEVICE_FN void db_horizontal(const int64_t *P, uint8_t *win, int lane, int x, int y)
{
	int pl = db_lane_plane(lane), chroma = pl != 0, stride;
	int n = chroma ? 8 : 16, c = n * x + (chroma ? lane & 7 : lane), back = chroma ? 2 : 4;
	uint8_t *pix = db_plane(P, pl, &stride);
	uint8_t v[20];
	int lo = y > 0 ? 0 : back, len = n + back;
	DB_UNROLL
	for (int j = 0; j < 4; j++) {
		if (j < back)
			v[j] = j >= lo ? pix[(n * y - back + j) * stride + c] : 0;
	}
	int bs[4], qp[2];
	db_line_bs(db_win_edges(win, x), lane & 15, 0, chroma, bs, qp);
	if (!(bs[0] | bs[1] | bs[2] | bs[3]))
		return;
	DB_UNROLL
	for (int j = 0; j < 20; j++) {
		if (j >= back && j < len)
			v[j] = win[db_win_at(pl, j - back, c)];
	}
	db_line(v, chroma, bs, qp);
	DB_UNROLL
	for (int j = 0; j < 20; j++) {
		if (j >= lo && j < back)
			pix[(n * y - back + j) * stride + c] = v[j];
		else if (j >= back && j < len)
			win[db_win_at(pl, j - back, c)] = v[j];
	}
}

#ifdef __CUDACC__
/* A window per warp of a block: every launch has 64 threads a block
 * (h264cuda/backend.go blockThreads). */
#define DB_WINDOW(win) \
	__shared__ __align__(16) uint8_t db_win_[2][DB_WIN_BYTES]; \
	uint8_t *win = db_win_[(THREAD_X() >> 5) & 1]
#else
#define DB_WINDOW(win) \
	_Alignas(16) uint8_t win[DB_WIN_BYTES]
#endif

/* deblock_rows filters the whole picture: one warp per macroblock row
 * (DP_ROWS: the ticket, then one progress counter per row, zero before
 * the launch). Step x filters macroblock x's V and H halves in the
 * window, loads macroblock x+1 into it (its slot held x-3, written out
 * two steps before) and writes macroblock x-1 out: final now, since
 * nothing of this row touches it again. Publishing x+1 then tells the row
 * below that macroblocks 0..x-1 are in the picture, which is what its
 * wait for x+1 finished macroblocks needs (its H(x-1) reads macroblock
 * x-1's bottom rows). */
KERNEL deblock_rows(const int64_t *P, int n, int arg)
{
	(void)n;
	(void)arg;
	DB_WINDOW(win);
	int mbW = PARAM_INT(P, DP_MBW), mbH = PARAM_INT(P, DP_MBH);
	int32_t *rows = PARAM_PTR(int32_t, P, DP_ROWS);
	int y = row_take(rows);
	if (y < 0 || y >= mbH)
		return;
	WARP_FOR_LANES(lane) db_fetch(P, win, lane, 0, y);
	int seen = 0;
	for (int x = 0; x < mbW; x++) {
		WARP_FOR_LANES(lane) db_fetched();
		row_sync_lanes();
		WARP_FOR_LANES(lane)
		{
			if (x + 1 < mbW)
				db_fetch(P, win, lane, x + 1, y);
			db_vertical(P, win, lane, x, y);
		}
		row_sync_lanes();
		if (y > 0)
			seen = row_wait(rows + y, imin(x + 2, mbW), seen);
		WARP_FOR_LANES(lane) db_horizontal(P, win, lane, x, y);
		row_sync_lanes();
		WARP_FOR_LANES(lane)
		{
			if (x > 0)
				db_store(P, win, lane, x - 1, y);
			if (x == mbW - 1)
				db_store(P, win, lane, x, y);
		}
		row_publish(rows + 1 + y, x + 1);
	}
}
