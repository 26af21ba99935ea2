/*
 * motion.cu: the motion search of h264_go (h264/motion.go, with the
 * fractional-sample interpolation of ITU-T H.264 8.4.2.2.1 from
 * h264/interp.go and the costs of h264/cost.go), one kernel per stage of
 * h264/DESIGN-motion.md, giving the same field bit for bit.
 *
 * First version: one thread per output sample (pyramid and plane stages) or
 * per macroblock (search stages), no shared memory. Each function names the
 * Go function it mirrors; see that function for the rules (bounds, ties,
 * orders). Builds as CUDA C++ and as plain C (common.h).
 */
#include "common.h"
#include "motion.h"
#include "qpel.h"
#include "satd.h"
#include "words.h"

/* ---- Costs (cost.go) ---------------------------------------------------- */

/* bitsSE: length of the se(v) code of v (9.1.1, Table 9-3). */
DEVICE_FN int bits_se(int v)
{
	uint32_t k = v > 0 ? (uint32_t)(2 * v - 1) : (uint32_t)(-2 * v);
	return 2 * (32 - CLZ32(k + 1)) - 1;
}

/* mvBits: bits of the two mvd components of (mx, my) against (px, py). */
DEVICE_FN int mv_bits(int mx, int my, int px, int py)
{
	return bits_se(mx - px) + bits_se(my - py);
}

/* motionBetter: (cost, (x, y)) strictly better than (bc, (bx, by)). */
DEVICE_FN int motion_better(int cost, int x, int y, int bc, int bx, int by)
{
	if (cost != bc)
		return cost < bc;
	return iabs(x) + iabs(y) < iabs(bx) + iabs(by);
}

/* motionMedian3: Median(a, b, c) of 5-8. */
DEVICE_FN int median3(int a, int b, int c)
{
	return imax(imin(a, b), imin(imax(a, b), c));
}

/*
 * motionMedian / motionPullMedian (8.4.1.3 under the search's model): the
 * predictor of MB (mbx, mby) from the vectors of field f, whose entry i has
 * its x at f[i*words] and y at f[i*words+1].
 */
DEVICE_FN void motion_median(const int32_t *f, int words, int mbW, int mbx, int mby, int *ox, int *oy)
{
	int i = mby * mbW + mbx;
	int ax = 0, ay = 0, bx = 0, by = 0, cx = 0, cy = 0, dx = 0, dy = 0;
	int availA = mbx > 0, availB = mby > 0, availC = mby > 0 && mbx + 1 < mbW, availD = mby > 0 && mbx > 0;
	if (availA) {
		ax = f[(i - 1) * words];
		ay = f[(i - 1) * words + 1];
	}
	if (availB) {
		bx = f[(i - mbW) * words];
		by = f[(i - mbW) * words + 1];
	}
	if (availC) {
		cx = f[(i - mbW + 1) * words];
		cy = f[(i - mbW + 1) * words + 1];
	}
	if (availD) {
		dx = f[(i - mbW - 1) * words];
		dy = f[(i - mbW - 1) * words + 1];
	}
	if (!availC) {
		cx = dx;
		cy = dy;
		availC = availD;
	}
	if (availA && !availB && !availC) {
		*ox = ax;
		*oy = ay;
	} else if (!availA && availB && !availC) {
		*ox = bx;
		*oy = by;
	} else if (!availA && !availB && availC) {
		*ox = cx;
		*oy = cy;
	} else {
		*ox = median3(ax, bx, cx);
		*oy = median3(ay, by, cy);
	}
}

/* ---- Pyramids and planes (stages 0a..0c) ------------------------------- */

/* loadSrcRow: source level 0, the current luma edge-replicated to whole MBs. */
KERNEL motion_load_src(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int w = 16 * PARAM_INT(P, MP_MBW);
	int x = i % w, y = i / w;
	const uint8_t *cur = PARAM_PTR(const uint8_t, P, MP_CUR);
	int sx = imin(x, PARAM_INT(P, MP_CUR_W) - 1);
	int sy = imin(y, PARAM_INT(P, MP_CUR_H) - 1);
	PARAM_PTR(uint8_t, P, MP_SRC0)[i] = cur[(int64_t)sy * PARAM_INT(P, MP_CUR_STRIDE) + sx];
	(void)arg;
}

/* interpRef.buildFullRows: the reference plane G with its margin MP_EXT. */
KERNEL motion_build_full(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int fs = PARAM_INT(P, MP_FSTRIDE), ext = PARAM_INT(P, MP_EXT);
	int c = i % fs, r = i / fs;
	int sx = iclamp(c - ext, 0, PARAM_INT(P, MP_REF_W) - 1);
	int sy = iclamp(r - ext, 0, PARAM_INT(P, MP_REF_H) - 1);
	const uint8_t *ref = PARAM_PTR(const uint8_t, P, MP_REF);
	PARAM_PTR(uint8_t, P, MP_FULL)[i] = ref[(int64_t)sy * PARAM_INT(P, MP_REF_STRIDE) + sx];
	(void)arg;
}

/* Vertical intermediate h1 (8-242) at G index o. */
DEVICE_FN int tap6v(const uint8_t *g, int o, int s)
{
	return tap6(g[o - 2 * s], g[o - s], g[o], g[o + s], g[o + 2 * s], g[o + 3 * s]);
}

/*
 * interpRef.buildHalfRows: one sample (x, y) in [-PAD, W+PAD)^2 of each of
 * b (8-241, 8-243), h (8-242, 8-244) and j (8-245 second form, 8-248).
 */
KERNEL motion_build_half(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int pad = PARAM_INT(P, MP_PAD), ext = PARAM_INT(P, MP_EXT), fs = PARAM_INT(P, MP_FSTRIDE);
	int vw = PARAM_INT(P, MP_REF_W) + 2 * pad;
	int x = i % vw - pad, y = i / vw - pad;
	int o = (y + ext) * fs + x + ext;
	const uint8_t *g = PARAM_PTR(const uint8_t, P, MP_FULL);
	int b1 = tap6(g[o - 2], g[o - 1], g[o], g[o + 1], g[o + 2], g[o + 3]);
	PARAM_PTR(uint8_t, P, MP_HALF_B)[o] = (uint8_t)clip255((b1 + 16) >> 5);
	int h0 = tap6v(g, o - 2, fs), h1 = tap6v(g, o - 1, fs), h2 = tap6v(g, o, fs);
	int h3 = tap6v(g, o + 1, fs), h4 = tap6v(g, o + 2, fs), h5 = tap6v(g, o + 3, fs);
	PARAM_PTR(uint8_t, P, MP_HALF_H)[o] = (uint8_t)clip255((h2 + 16) >> 5);
	PARAM_PTR(uint8_t, P, MP_HALF_J)[o] = (uint8_t)clip255((tap6(h0, h1, h2, h3, h4, h5) + 512) >> 10);
	(void)arg;
}

/*
 * motionDownRow (+ extendRow, extendTopBottom): one sample of a downscaled
 * level, margin included, (a+b+c+d+2)>>2 of the 2x2 samples below it;
 * margins replicate the nearest edge sample. arg is a DOWN_* value.
 */
KERNEL motion_down(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, MP_MBW), mbH = PARAM_INT(P, MP_MBH);
	const uint8_t *src;
	uint8_t *dst;
	int w, h, m, sstride, sorigin;
	switch (arg) {
	case DOWN_SRC1:
		src = PARAM_PTR(const uint8_t, P, MP_SRC0);
		dst = PARAM_PTR(uint8_t, P, MP_SRC1);
		w = 8 * mbW, h = 8 * mbH, m = 0, sstride = 16 * mbW, sorigin = 0;
		break;
	case DOWN_REFL1:
		src = PARAM_PTR(const uint8_t, P, MP_FULL);
		dst = PARAM_PTR(uint8_t, P, MP_REFL1);
		w = 8 * mbW, h = 8 * mbH, m = PARAM_INT(P, MP_M1), sstride = PARAM_INT(P, MP_FSTRIDE);
		sorigin = PARAM_INT(P, MP_EXT) * sstride + PARAM_INT(P, MP_EXT);
		break;
	case DOWN_SRC2:
		src = PARAM_PTR(const uint8_t, P, MP_SRC1);
		dst = PARAM_PTR(uint8_t, P, MP_SRC2);
		w = 4 * mbW, h = 4 * mbH, m = 0, sstride = 8 * mbW, sorigin = 0;
		break;
	default: /* DOWN_REFL2 */
		src = PARAM_PTR(const uint8_t, P, MP_REFL1);
		dst = PARAM_PTR(uint8_t, P, MP_REFL2);
		w = 4 * mbW, h = 4 * mbH, m = PARAM_INT(P, MP_M2);
		sstride = 8 * mbW + 2 * PARAM_INT(P, MP_M1);
		sorigin = PARAM_INT(P, MP_M1) * sstride + PARAM_INT(P, MP_M1);
		break;
	}
	int dstride = w + 2 * m;
	int x = iclamp(i % dstride - m, 0, w - 1), y = iclamp(i / dstride - m, 0, h - 1);
	int s = sorigin + 2 * y * sstride + 2 * x;
	dst[i] = (uint8_t)((src[s] + src[s + 1] + src[s + sstride] + src[s + sstride + 1] + 2) >> 2);
}

/* ---- Search helpers ------------------------------------------------------ */

/* motionBounds: inclusive vector range. */
typedef struct {
	int minX, maxX, minY, maxY;
} Bounds;

DEVICE_FN int bounds_contains(const Bounds *b, int x, int y)
{
	return x >= b->minX && x <= b->maxX && y >= b->minY && y <= b->maxY;
}

/* The neighbours of a square in refineQpel's order (dy, then dx). */
DEVICE_CONST int8_t sq_dx[8] = {-1, 0, 1, -1, 1, -1, 0, 1};
DEVICE_CONST int8_t sq_dy[8] = {-1, -1, -1, 0, 0, 1, 1, 1};

/* levelBounds: level-L (1 or 2) vectors of MB (mbx, mby). */
DEVICE_FN Bounds level_bounds(const int64_t *P, int L, int mbx, int mby)
{
	int w = (16 >> L) * PARAM_INT(P, MP_MBW), h = (16 >> L) * PARAM_INT(P, MP_MBH);
	int m = L == 1 ? PARAM_INT(P, MP_M1) : PARAM_INT(P, MP_M2);
	int bs = 16 >> L, bx = mbx * bs, by = mby * bs, sh = L + 2;
	int vy = PARAM_INT(P, MP_MAXVMV) * 4;
	Bounds b;
	b.minX = imax(-m - bx, -8192 >> sh);
	b.maxX = imin(w + m - bs - bx, 8191 >> sh);
	b.minY = imax(-m - by, -vy >> sh);
	b.maxY = imin(h + m - bs - by, (vy - 1) >> sh);
	return b;
}

/* qpelBounds: quarter-sample vectors of MB (mbx, mby) at level 0. */
DEVICE_FN Bounds qpel_bounds(const int64_t *P, int mbx, int mby)
{
	int pad = PARAM_INT(P, MP_PAD), bx = 16 * mbx, by = 16 * mby;
	int vy = PARAM_INT(P, MP_MAXVMV) * 4;
	Bounds b;
	b.minX = imax(4 * (-pad - bx), -8192);
	b.maxX = imin(4 * (PARAM_INT(P, MP_REF_W) + pad - 17 - bx) + 3, 8191);
	b.minY = imax(4 * (-pad - by), -vy);
	b.maxY = imin(4 * (PARAM_INT(P, MP_REF_H) + pad - 17 - by) + 3, vy - 1);
	return b;
}

/* levelCost: SAD·4^L + lambda·mvBits(v·2^(L+2), pred). */
DEVICE_FN int level_cost(const int64_t *P, int L, int mbx, int mby, int vx, int vy, int px, int py)
{
	int bs = 16 >> L;
	int sstride = bs * PARAM_INT(P, MP_MBW);
	const uint8_t *src = L == 0 ? PARAM_PTR(const uint8_t, P, MP_SRC0)
	                            : (L == 1 ? PARAM_PTR(const uint8_t, P, MP_SRC1) : PARAM_PTR(const uint8_t, P, MP_SRC2));
	const uint8_t *ref;
	int rstride, rorigin;
	if (L == 0) {
		ref = PARAM_PTR(const uint8_t, P, MP_FULL);
		rstride = PARAM_INT(P, MP_FSTRIDE);
		rorigin = PARAM_INT(P, MP_EXT) * rstride + PARAM_INT(P, MP_EXT);
	} else {
		int m = L == 1 ? PARAM_INT(P, MP_M1) : PARAM_INT(P, MP_M2);
		ref = L == 1 ? PARAM_PTR(const uint8_t, P, MP_REFL1) : PARAM_PTR(const uint8_t, P, MP_REFL2);
		rstride = sstride + 2 * m;
		rorigin = m * rstride + m;
	}
	const uint8_t *s = src + (mby * bs) * sstride + mbx * bs;
	const uint8_t *r = ref + rorigin + (mby * bs + vy) * rstride + mbx * bs + vx;
	int sad = 0;
	for (int y = 0; y < bs; y++)
		for (int x = 0; x < bs; x++)
			sad += iabs((int)s[y * sstride + x] - (int)r[y * rstride + x]);
	int mul = 1 << (L + 2);
	return (sad << (2 * L)) + PARAM_INT(P, MP_LAMBDA) * mv_bits(vx * mul, vy * mul, px, py);
}

/* motionRoundShift: v / 2^sh rounded, halves up. */
DEVICE_FN int round_shift(int v, int sh)
{
	return (v + (1 << (sh - 1))) >> sh;
}

/* ---- Quarter-sample prediction (interp.go) ------------------------------ */

/* A w×h luma prediction being read sample by sample. */
typedef struct {
	int inside;             /* read the planes (interpRef.view) */
	const uint8_t *pa, *pb; /* inside: sample (c, r) of term a at pa[r*stride+c] */
	int stride;
	RefPlane ref;           /* outside: predictLuma on the clamped reference */
	int x, y, mvx, mvy;     /* the block and its vector */
} Pred;

DEVICE_FN const uint8_t *plane_of(const int64_t *P, int kind)
{
	switch (kind) {
	case 0:
		return PARAM_PTR(const uint8_t, P, MP_FULL);
	case 1:
		return PARAM_PTR(const uint8_t, P, MP_HALF_B);
	case 2:
		return PARAM_PTR(const uint8_t, P, MP_HALF_H);
	default:
		return PARAM_PTR(const uint8_t, P, MP_HALF_J);
	}
}

/* interpRef.view's set-up for the block at (x, y) displaced by (mvx, mvy). */
DEVICE_FN void pred_setup(const int64_t *P, Pred *p, int x, int y, int mvx, int mvy, int w, int h)
{
	int pad = PARAM_INT(P, MP_PAD);
	int ix = x + (mvx >> 2), iy = y + (mvy >> 2), f = (mvy & 3) * 4 + (mvx & 3);
	p->x = x, p->y = y, p->mvx = mvx, p->mvy = mvy;
	p->ref.p = PARAM_PTR(const uint8_t, P, MP_REF);
	p->ref.w = PARAM_INT(P, MP_REF_W);
	p->ref.h = PARAM_INT(P, MP_REF_H);
	p->ref.stride = PARAM_INT(P, MP_REF_STRIDE);
	p->inside = ix >= -pad && iy >= -pad && ix + w + 1 <= p->ref.w + pad && iy + h + 1 <= p->ref.h + pad;
	p->pa = p->pb = 0;
	p->stride = 0;
	if (p->inside) {
		int fs = PARAM_INT(P, MP_FSTRIDE), ext = PARAM_INT(P, MP_EXT);
		int origin = ext * fs + ext;
		p->stride = fs;
		p->pa = plane_of(P, terms_kind_a[f]) + origin + (iy + terms_dy_a[f]) * fs + ix + terms_dx_a[f];
		p->pb = p->pa;
		if (terms_kind_b[f] >= 0)
			p->pb = plane_of(P, terms_kind_b[f]) + origin + (iy + terms_dy_b[f]) * fs + ix + terms_dx_b[f];
	}
}

/* Sample (c, r) of a prediction outside the planes. */
DEVICE_FN int pred_sample(const Pred *p, int c, int r)
{
	return luma_sample(&p->ref, p->x + c, p->y + r, p->mvx, p->mvy);
}

/*
 * satd_edge: satdAt for a prediction that reads outside the planes, sample
 * by sample from the clamped reference (predictLuma). Rare: only vectors
 * that reach into the outer margin take it.
 */
DEVICE_CALL int satd_edge(const uint8_t *src, int sstride, const Pred *p, int w, int h)
{
	int sum = 0;
	for (int by = 0; by < h; by += 4) {
		for (int bx = 0; bx < w; bx += 4) {
			int t[16];
			for (int r = 0; r < 4; r++) {
				const uint8_t *s = src + (by + r) * sstride + bx;
				hadamard_row(t + 4 * r, s[0] - pred_sample(p, bx, by + r), s[1] - pred_sample(p, bx + 1, by + r),
				             s[2] - pred_sample(p, bx + 2, by + r), s[3] - pred_sample(p, bx + 3, by + r));
			}
			sum += hadamard_cols(t);
		}
	}
	return sum;
}

/*
 * satd_inside: satdAt for a prediction inside the planes, four samples a
 * word: term a (and b, averaged with rounding up, 8-250..8-261; a single
 * term is averaged with itself, which leaves it unchanged) against the
 * source, whose rows are word-aligned (x a multiple of 4, stride 16·MBW).
 */
DEVICE_CALL int satd_inside(const uint8_t *src, int sstride, const uint8_t *pa, const uint8_t *pb, int stride, int w,
                            int h)
{
	int sum = 0;
	for (int by = 0; by < h; by += 4) {
		for (int bx = 0; bx < w; bx += 4) {
			int t[16];
			for (int r = 0; r < 4; r++) {
				int o = (by + r) * stride + bx;
				uint32_t s = load4_aligned(src + (by + r) * sstride + bx);
				uint32_t q = avg4_up(load4(pa + o), load4(pb + o));
				hadamard_row(t + 4 * r, byte4(s, 0) - byte4(q, 0), byte4(s, 1) - byte4(q, 1), byte4(s, 2) - byte4(q, 2),
				             byte4(s, 3) - byte4(q, 3));
			}
			sum += hadamard_cols(t);
		}
	}
	return sum;
}

/*
 * satd_sum: satdAt's sum of the 4x4 blocks' Hadamard magnitudes before
 * the halving, for the w×h block at (ox, oy) of MB (mbx, mby) predicted
 * with quarter-sample vector (vx, vy). The sums of a block's parts add up
 * to the block's, so lanes may share a block's 4x4 blocks.
 */
DEVICE_FN int satd_sum(const int64_t *P, int mbx, int mby, int ox, int oy, int w, int h, int vx, int vy)
{
	int x = 16 * mbx + ox, y = 16 * mby + oy;
	int sstride = 16 * PARAM_INT(P, MP_MBW);
	const uint8_t *src = PARAM_PTR(const uint8_t, P, MP_SRC0) + y * sstride + x;
	Pred p;
	pred_setup(P, &p, x, y, vx, vy, w, h);
	return p.inside ? satd_inside(src, sstride, p.pa, p.pb, p.stride, w, h) : satd_edge(src, sstride, &p, w, h);
}

/* satdAt (satdBlock on the prediction): SATD of that block. */
DEVICE_FN int satd_at(const int64_t *P, int mbx, int mby, int ox, int oy, int w, int h, int vx, int vy)
{
	return satd_sum(P, mbx, mby, ox, oy, w, h, vx, vy) >> 1;
}

/* ---- Search stages -------------------------------------------------------- */

/* coarseMB (stage 1): full search at level 2 against the zero predictor. */
KERNEL motion_coarse(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, MP_MBW), mbx = i % mbW, mby = i / mbW;
	Bounds b = level_bounds(P, 2, mbx, mby);
	int r = PARAM_INT(P, MP_COARSE);
	int bx = 0, by = 0, bc = level_cost(P, 2, mbx, mby, 0, 0, 0, 0);
	for (int y = imax(-r, b.minY); y <= imin(r, b.maxY); y++) {
		for (int x = imax(-r, b.minX); x <= imin(r, b.maxX); x++) {
			int c = level_cost(P, 2, mbx, mby, x, y, 0, 0);
			if (motion_better(c, x, y, bc, bx, by))
				bx = x, by = y, bc = c;
		}
	}
	int32_t *out = PARAM_PTR(int32_t, P, MP_LVL2);
	out[2 * i] = bx;
	out[2 * i + 1] = by;
	(void)arg;
}

/*
 * midMB (stage 2, level 1) and fineMB (stage 3, level 0): arg is the
 * level; a warp per MB (n is 32 x the number of MBs). candidatesAndRefine:
 * the candidates zero, 2·up of the 3×3 neighbourhood and prev rounded to
 * level L (3×3), clamped, are evaluated by lanes 0..18 at once, then
 * every lane visits them in candidatesAndRefine's order with its test (skipping a
 * duplicate changes nothing: its cost is the same, and the test is a
 * strict order); then ±1 squares while they move, their 8 neighbours
 * evaluated by lanes 0..7 and picked in order.
 */
#define RF_WORDS (4 * 32)

KERNEL motion_refine(const int64_t *P, int n, int arg)
{
	WARP_SHARED(int32_t, sh, RF_WORDS);
	WARP_LEADER_ONLY();
	if (GLOBAL_ID() >= n)
		return;
	int i = GLOBAL_ID() >> 5;
	int mbW = PARAM_INT(P, MP_MBW), mbH = PARAM_INT(P, MP_MBH), mbx = i % mbW, mby = i / mbW;
	int L = arg;
	const int32_t *up = L == 1 ? PARAM_PTR(const int32_t, P, MP_LVL2) : PARAM_PTR(const int32_t, P, MP_LVL1);
	int32_t *out = L == 1 ? PARAM_PTR(int32_t, P, MP_LVL1) : PARAM_PTR(int32_t, P, MP_LVL0);
	int mx, my;
	motion_median(up, 2, mbW, mbx, mby, &mx, &my);
	int mul = L == 1 ? 16 : 8;
	int px = mx * mul, py = my * mul;
	Bounds b;
	if (L == 0) {
		Bounds q = qpel_bounds(P, mbx, mby);
		b.minX = (q.minX + 3) >> 2, b.maxX = q.maxX >> 2;
		b.minY = (q.minY + 3) >> 2, b.maxY = q.maxY >> 2;
	} else {
		b = level_bounds(P, L, mbx, mby);
	}
	int hasPrev = PARAM_INT(P, MP_HAS_PREV);
	WARP_FOR_LANES(lane)
	{
		if (lane == 0 && L == 0) {
			int32_t *pred0 = PARAM_PTR(int32_t, P, MP_PRED0);
			pred0[2 * i] = px;
			pred0[2 * i + 1] = py;
		}
		/* Candidate lane: 0 the zero vector (not clamped), 1..9 2·up and
		 * 10..18 prev of the neighbour (dx, dy) = ((k % 3) - 1, (k / 3) - 1). */
		int valid = 0, x = 0, y = 0;
		if (lane == 0) {
			valid = 1;
		} else if (lane <= 18 && (lane <= 9 || hasPrev)) {
			int k = (lane - 1) % 9, nx = mbx + k % 3 - 1, ny = mby + k / 3 - 1;
			if (nx >= 0 && ny >= 0 && nx < mbW && ny < mbH) {
				int j = ny * mbW + nx;
				if (lane <= 9) {
					x = 2 * up[2 * j], y = 2 * up[2 * j + 1];
				} else {
					const int32_t *prev = PARAM_PTR(const int32_t, P, MP_PREV);
					x = round_shift(prev[2 * j], L + 2), y = round_shift(prev[2 * j + 1], L + 2);
				}
				x = iclamp(x, b.minX, b.maxX);
				y = iclamp(y, b.minY, b.maxY);
				valid = 1;
			}
		}
		sh[4 * lane] = valid;
		if (valid) {
			sh[4 * lane + 1] = x, sh[4 * lane + 2] = y;
			sh[4 * lane + 3] = level_cost(P, L, mbx, mby, x, y, px, py);
		}
	}
	WARP_SYNC();
	int bx[WARP_LANES], by[WARP_LANES], bc[WARP_LANES], moved[WARP_LANES];
	WARP_FOR_LANES(lane)
	{
		int a = WARP_AT(lane), cx = sh[1], cy = sh[2], cc = sh[3];
		for (int k = 1; k < 19; k++) {
			const int32_t *e = sh + 4 * k;
			if (e[0] && motion_better(e[3], e[1], e[2], cc, cx, cy))
				cx = e[1], cy = e[2], cc = e[3];
		}
		bx[a] = cx, by[a] = cy, bc[a] = cc;
	}
	WARP_SYNC();
	int steps = PARAM_INT(P, MP_REFINE);
	for (int step = 0; step < steps; step++) {
		WARP_FOR_LANES(lane)
		{
			int a = WARP_AT(lane);
			if (lane < 8) {
				int x = bx[a] + sq_dx[lane], y = by[a] + sq_dy[lane];
				int valid = bounds_contains(&b, x, y);
				sh[4 * lane] = valid;
				if (valid)
					sh[4 * lane + 3] = level_cost(P, L, mbx, mby, x, y, px, py);
			}
		}
		WARP_SYNC();
		WARP_FOR_LANES(lane)
		{
			int a = WARP_AT(lane), cx = bx[a], cy = by[a], cc = bc[a], nx = cx, ny = cy;
			for (int j = 0; j < 8; j++) {
				int x = cx + sq_dx[j], y = cy + sq_dy[j];
				if (sh[4 * j] && motion_better(sh[4 * j + 3], x, y, cc, nx, ny))
					nx = x, ny = y, cc = sh[4 * j + 3];
			}
			moved[a] = nx != cx || ny != cy;
			bx[a] = nx, by[a] = ny, bc[a] = cc;
		}
		WARP_SYNC();
		if (!moved[WARP_AT(0)])
			break;
	}
	WARP_FOR_LANES(lane)
	{
		if (lane == 0) {
			out[2 * i] = bx[WARP_AT(lane)];
			out[2 * i + 1] = by[WARP_AT(lane)];
		}
	}
}

/*
 * subPelMB (stage 4): refineQpel of 4·lvl0 with no integer steps, split so
 * that the 8 neighbours of each square are evaluated by 8 threads:
 * motion_subpel_init (per MB) evaluates the start vector into pull field 0;
 * then for each square (step 2 if SubPel >= 1, step 1 if SubPel = 2)
 * motion_subpel_eval (per MB and position) writes each neighbour's SATD and
 * cost into the scratch, and motion_subpel_pick (per MB) visits them in
 * refineQpel's order with the same test. The result is refineQpel's.
 */
KERNEL motion_subpel_init(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, MP_MBW), mbx = i % mbW, mby = i / mbW;
	const int32_t *lvl0 = PARAM_PTR(const int32_t, P, MP_LVL0);
	const int32_t *pred0 = PARAM_PTR(const int32_t, P, MP_PRED0);
	int px = pred0[2 * i], py = pred0[2 * i + 1];
	int vx = 4 * lvl0[2 * i], vy = 4 * lvl0[2 * i + 1];
	int satd = satd_at(P, mbx, mby, 0, 0, 16, 16, vx, vy);
	int32_t *e = PARAM_PTR(int32_t, P, MP_PULL0) + PULL_WORDS * i;
	e[PULL_MVX] = vx, e[PULL_MVY] = vy, e[PULL_PREDX] = px, e[PULL_PREDY] = py;
	e[PULL_SATD] = satd, e[PULL_COST] = satd + PARAM_INT(P, MP_LAMBDA) * mv_bits(vx, vy, px, py);
	(void)arg;
}

/* One neighbour (unit i: MB i/9, position i%9) of the square of step arg. */
KERNEL motion_subpel_eval(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mb = i / 9, j = i % 9;
	int mbW = PARAM_INT(P, MP_MBW), mbx = mb % mbW, mby = mb / mbW;
	const int32_t *e = PARAM_PTR(const int32_t, P, MP_PULL0) + PULL_WORDS * mb;
	int32_t *sq = PARAM_PTR(int32_t, P, MP_SCRATCH) + SCRATCH_WORDS * mb + SQ_WORDS * j;
	int x = e[PULL_MVX] + (j % 3 - 1) * arg, y = e[PULL_MVY] + (j / 3 - 1) * arg;
	Bounds b = qpel_bounds(P, mbx, mby);
	if (j == 4 || !bounds_contains(&b, x, y)) {
		sq[SQ_VALID] = 0;
		return;
	}
	int sd = satd_at(P, mbx, mby, 0, 0, 16, 16, x, y);
	sq[SQ_VALID] = 1;
	sq[SQ_SATD] = sd;
	sq[SQ_COST] = sd + PARAM_INT(P, MP_LAMBDA) * mv_bits(x, y, e[PULL_PREDX], e[PULL_PREDY]);
}

/* refineQpel's choice over the evaluated neighbours of step arg. */
KERNEL motion_subpel_pick(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int32_t *e = PARAM_PTR(int32_t, P, MP_PULL0) + PULL_WORDS * i;
	const int32_t *sq = PARAM_PTR(const int32_t, P, MP_SCRATCH) + SCRATCH_WORDS * i;
	int cx = e[PULL_MVX], cy = e[PULL_MVY];
	int bx = cx, by = cy, bs = e[PULL_SATD], bc = e[PULL_COST];
	for (int j = 0; j < 9; j++) {
		if (!sq[SQ_WORDS * j + SQ_VALID])
			continue;
		int x = cx + (j % 3 - 1) * arg, y = cy + (j / 3 - 1) * arg;
		int c = sq[SQ_WORDS * j + SQ_COST];
		if (motion_better(c, x, y, bc, bx, by))
			bx = x, by = y, bc = c, bs = sq[SQ_WORDS * j + SQ_SATD];
	}
	e[PULL_MVX] = bx, e[PULL_MVY] = by, e[PULL_SATD] = bs, e[PULL_COST] = bc;
}

/* pullMB (stage 5): one predictor pull pass reading pull field arg. */
KERNEL motion_pull(const int64_t *P, int n, int arg)
{
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	int mbW = PARAM_INT(P, MP_MBW), mbx = i % mbW, mby = i / mbW;
	int lambda = PARAM_INT(P, MP_LAMBDA);
	const int32_t *in = PARAM_PTR(const int32_t, P, arg ? MP_PULL1 : MP_PULL0);
	int32_t *out = PARAM_PTR(int32_t, P, arg ? MP_PULL0 : MP_PULL1) + PULL_WORDS * i;
	int px, py;
	motion_median(in, PULL_WORDS, mbW, mbx, mby, &px, &py);
	const int32_t *e = in + PULL_WORDS * i;
	int mx = e[PULL_MVX], my = e[PULL_MVY], satd = e[PULL_SATD];
	int cost = satd + lambda * mv_bits(mx, my, px, py);
	if (px != mx || py != my) {
		int sd = satd_at(P, mbx, mby, 0, 0, 16, 16, px, py);
		int c = sd + 2 * lambda;
		if (motion_better(c, px, py, cost, mx, my))
			mx = px, my = py, satd = sd, cost = c;
	}
	out[PULL_MVX] = mx, out[PULL_MVY] = my, out[PULL_PREDX] = px, out[PULL_PREDY] = py;
	out[PULL_SATD] = satd, out[PULL_COST] = cost;
}

/*
 * partsMB (stage 6), split in two launches of a warp per MB, 8 lanes for
 * each of its four blocks: motion_parts the 8x8 quadrants (group g,
 * quadrant g; it also writes the record's 16x16 part, or zeroes the
 * partition words when Partitions is off), then motion_parts16 the 16x8
 * upper/lower and 8x16 left/right partitions (g = 0, 1: 16x8; 2, 3:
 * 8x16), which start from the best of the 16x16 vector and the two 8x8
 * results they cover. n is 32 x the number of MBs; arg is the final pull
 * field. Each refineQpel square evaluates its 8 neighbours in the 8 lanes
 * of the group at once (common.h, "Warp-cooperative kernels"), then every
 * lane picks in refineQpel's order with its test, so the result is
 * refineQpel's.
 */

/* The warp's shared words: per lane valid, SATD, cost; then the sums of
 * 4x4 blocks that lanes add up to a block's SATD. */
#define PS_PART (3 * 32)
#define PS_WORDS (PS_PART + 96)

/* part_block is group g's block: an 8x8 quadrant, or (parts16) a 16x8 or
 * 8x16 partition. */
DEVICE_FN void part_block(int parts16, int g, int *ox, int *oy, int *w, int *h)
{
	if (!parts16) {
		*ox = 8 * (g & 1), *oy = 8 * (g >> 1), *w = 8, *h = 8;
		return;
	}
	int q = g & 1, vert = g >> 1;
	*ox = vert ? 8 * q : 0, *oy = vert ? 0 : 8 * q, *w = vert ? 8 : 16, *h = vert ? 16 : 8;
}

/*
 * A warp's refineQpel state: per lane, its group's centre (x, y, SATD,
 * cost) and whether the integer squares go on (the last one moved).
 */
typedef struct {
	int x[WARP_LANES], y[WARP_LANES], satd[WARP_LANES], cost[WARP_LANES], on[WARP_LANES];
} PartState;

/* part_square runs one square of step for every group: integer squares
 * (of refineQpel's first loop) only for the groups still on. */
DEVICE_FN void part_square(const int64_t *P, int32_t *sh, PartState *st, int parts16, int mbx, int mby, int px, int py,
                           const Bounds *b, int step, int integer)
{
	int lambda = PARAM_INT(P, MP_LAMBDA);
	WARP_FOR_LANES(lane)
	{
		int j = lane & 7, ox, oy, w, h, a = WARP_AT(lane);
		part_block(parts16, lane >> 3, &ox, &oy, &w, &h);
		int x = st->x[a] + sq_dx[j] * step, y = st->y[a] + sq_dy[j] * step;
		int valid = (!integer || st->on[a]) && bounds_contains(b, x, y);
		sh[3 * lane] = valid;
		if (valid) {
			int sd = satd_at(P, mbx, mby, ox, oy, w, h, x, y);
			sh[3 * lane + 1] = sd;
			sh[3 * lane + 2] = sd + lambda * mv_bits(x, y, px, py);
		}
	}
	WARP_SYNC();
	WARP_FOR_LANES(lane)
	{
		int a = WARP_AT(lane), base = lane & ~7;
		if (integer && !st->on[a])
			continue;
		int cx = st->x[a], cy = st->y[a];
		int bx = cx, by = cy, bs = st->satd[a], bc = st->cost[a];
		for (int j = 0; j < 8; j++) {
			const int32_t *e = sh + 3 * (base + j);
			if (!e[0])
				continue;
			int x = cx + sq_dx[j] * step, y = cy + sq_dy[j] * step;
			if (motion_better(e[2], x, y, bc, bx, by))
				bx = x, by = y, bc = e[2], bs = e[1];
		}
		st->x[a] = bx, st->y[a] = by, st->satd[a] = bs, st->cost[a] = bc;
		st->on[a] = bx != cx || by != cy;
	}
	WARP_SYNC();
}

/* part_refine is refineQpel from each group's centre in st (its SATD and
 * cost set): steps integer squares of step 4 while they move, then the
 * squares of step 2 and 1 as SubPel asks. */
DEVICE_FN void part_refine(const int64_t *P, int32_t *sh, PartState *st, int parts16, int mbx, int mby, int px, int py,
                           int steps)
{
	Bounds b = qpel_bounds(P, mbx, mby);
	WARP_FOR_LANES(lane) st->on[WARP_AT(lane)] = 1;
	for (int i = 0; i < steps; i++)
		part_square(P, sh, st, parts16, mbx, mby, px, py, &b, 4, 1);
	if (PARAM_INT(P, MP_SUBPEL) >= 1)
		part_square(P, sh, st, parts16, mbx, mby, px, py, &b, 2, 0);
	if (PARAM_INT(P, MP_SUBPEL) >= 2)
		part_square(P, sh, st, parts16, mbx, mby, px, py, &b, 1, 0);
}

/* The partition kernels' register budget: at least PARTS_MIN_BLOCKS blocks
 * of 64 threads (h264cuda's blockThreads) resident per SM, so at most
 * 65536 / (64 · PARTS_MIN_BLOCKS) registers a thread. */
#ifndef PARTS_MIN_BLOCKS
#define PARTS_MIN_BLOCKS 8
#endif
#ifdef __CUDACC__
#define PARTS_KERNEL extern "C" __global__ void __launch_bounds__(64, PARTS_MIN_BLOCKS)
#else
#define PARTS_KERNEL KERNEL
#endif

PARTS_KERNEL motion_parts(const int64_t *P, int n, int arg)
{
	WARP_SHARED(int32_t, sh, PS_WORDS);
	WARP_LEADER_ONLY();
	if (GLOBAL_ID() >= n)
		return;
	int mb = GLOBAL_ID() >> 5;
	int mbW = PARAM_INT(P, MP_MBW), mbx = mb % mbW, mby = mb / mbW;
	const int32_t *e = PARAM_PTR(const int32_t, P, arg ? MP_PULL1 : MP_PULL0) + PULL_WORDS * mb;
	int32_t *m = PARAM_PTR(int32_t, P, MP_OUT) + OUT_WORDS * mb;
	int mx = e[PULL_MVX], my = e[PULL_MVY], px = e[PULL_PREDX], py = e[PULL_PREDY];
	int parts = PARAM_INT(P, MP_PARTS), lambda = PARAM_INT(P, MP_LAMBDA);
	WARP_FOR_LANES(lane)
	{
		if (lane == 0) {
			m[OUT_PRED] = px, m[OUT_PRED + 1] = py;
			m[OUT_MV16] = mx, m[OUT_MV16 + 1] = my;
			m[OUT_SATD16] = e[PULL_SATD], m[OUT_COST16] = e[PULL_COST];
			PARAM_PTR(int32_t, P, MP_SATD16)[mb] = e[PULL_SATD];
			if (!parts)
				for (int w = OUT_MV16X8; w < OUT_WORDS; w++)
					m[w] = 0;
		}
	}
	if (!parts)
		return;
	/* Each quadrant's SATD at the 16x16 vector: lanes 8g + 0..3 sum one
	 * of quadrant g's 4x4 blocks each. */
	WARP_FOR_LANES(lane)
	{
		int g = lane >> 3, j = lane & 7, ox, oy, w, h;
		part_block(0, g, &ox, &oy, &w, &h);
		if (j < 4)
			sh[PS_PART + lane] = satd_sum(P, mbx, mby, ox + 4 * (j & 1), oy + 4 * (j >> 1), 4, 4, mx, my);
	}
	WARP_SYNC();
	PartState st;
	WARP_FOR_LANES(lane)
	{
		int a = WARP_AT(lane);
		const int32_t *q = sh + PS_PART + (lane & ~7);
		st.x[a] = mx, st.y[a] = my;
		st.satd[a] = (q[0] + q[1] + q[2] + q[3]) >> 1;
		st.cost[a] = st.satd[a] + lambda * mv_bits(mx, my, px, py);
	}
	WARP_SYNC();
	part_refine(P, sh, &st, 0, mbx, mby, px, py, PARAM_INT(P, MP_PART_STEPS));
	WARP_FOR_LANES(lane)
	{
		int a = WARP_AT(lane), k = lane >> 3;
		if ((lane & 7) == 0) {
			m[OUT_MV8X8 + 2 * k] = st.x[a], m[OUT_MV8X8 + 2 * k + 1] = st.y[a];
			m[OUT_SATD8X8 + k] = st.satd[a], m[OUT_COST8X8 + k] = st.cost[a];
		}
	}
}

PARTS_KERNEL motion_parts16(const int64_t *P, int n, int arg)
{
	WARP_SHARED(int32_t, sh, PS_WORDS);
	WARP_LEADER_ONLY();
	if (GLOBAL_ID() >= n)
		return;
	int mb = GLOBAL_ID() >> 5;
	int mbW = PARAM_INT(P, MP_MBW), mbx = mb % mbW, mby = mb / mbW;
	const int32_t *e = PARAM_PTR(const int32_t, P, arg ? MP_PULL1 : MP_PULL0) + PULL_WORDS * mb;
	int32_t *m = PARAM_PTR(int32_t, P, MP_OUT) + OUT_WORDS * mb;
	int mx = e[PULL_MVX], my = e[PULL_MVY], px = e[PULL_PREDX], py = e[PULL_PREDY];
	int lambda = PARAM_INT(P, MP_LAMBDA);
	/* bestOf3 of the 16x16 vector and the two 8x8 results the partition
	 * covers (16x8 q: quadrants 2q and 2q+1; 8x16 q: q and q+2): lanes
	 * 8g + 0..2 set up group g's candidates, the whole warp sums their
	 * 4x4 blocks (4 groups x 3 candidates x 8 blocks, three a lane), and
	 * lanes 8g + 0..2 add them up. */
	WARP_FOR_LANES(lane)
	{
		int g = lane >> 3, j = lane & 7, q = g & 1, vert = g >> 1;
		int qa = vert ? q : 2 * q, qb = vert ? q + 2 : 2 * q + 1;
		if (j < 3) {
			sh[3 * lane] = j == 0 ? mx : m[OUT_MV8X8 + 2 * (j == 1 ? qa : qb)];
			sh[3 * lane + 1] = j == 0 ? my : m[OUT_MV8X8 + 2 * (j == 1 ? qa : qb) + 1];
		}
	}
	WARP_SYNC();
	WARP_FOR_LANES(lane)
	{
		for (int u = lane; u < 96; u += 32) {
			int g = u / 24, k = (u % 24) / 8, blk = u % 8, ox, oy, w, h;
			part_block(1, g, &ox, &oy, &w, &h);
			int cols = w / 4;
			const int32_t *c = sh + 3 * (8 * g + k);
			sh[PS_PART + u] = satd_sum(P, mbx, mby, ox + 4 * (blk % cols), oy + 4 * (blk / cols), 4, 4, c[0], c[1]);
		}
	}
	WARP_SYNC();
	WARP_FOR_LANES(lane)
	{
		int g = lane >> 3, j = lane & 7;
		if (j < 3) {
			const int32_t *b = sh + PS_PART + 24 * g + 8 * j;
			sh[3 * lane + 2] = (b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + b[7]) >> 1;
		}
	}
	WARP_SYNC();
	PartState st;
	WARP_FOR_LANES(lane)
	{
		int a = WARP_AT(lane);
		const int32_t *c = sh + 3 * (lane & ~7);
		int bx = c[0], by = c[1], bs = c[2], bc = c[2] + lambda * mv_bits(c[0], c[1], px, py);
		for (int k = 1; k < 3; k++) {
			int x = c[3 * k], y = c[3 * k + 1];
			if (x == bx && y == by)
				continue;
			int cost = c[3 * k + 2] + lambda * mv_bits(x, y, px, py);
			if (motion_better(cost, x, y, bc, bx, by))
				bx = x, by = y, bc = cost, bs = c[3 * k + 2];
		}
		st.x[a] = bx, st.y[a] = by, st.satd[a] = bs, st.cost[a] = bc;
	}
	WARP_SYNC();
	part_refine(P, sh, &st, 1, mbx, mby, px, py, 0);
	WARP_FOR_LANES(lane)
	{
		int a = WARP_AT(lane), g = lane >> 3, q = g & 1, vert = g >> 1;
		if ((lane & 7) == 0) {
			int mvw = vert ? OUT_MV8X16 : OUT_MV16X8, sdw = vert ? OUT_SATD8X16 : OUT_SATD16X8;
			int cw = vert ? OUT_COST8X16 : OUT_COST16X8;
			m[mvw + 2 * q] = st.x[a], m[mvw + 2 * q + 1] = st.y[a];
			m[sdw + q] = st.satd[a], m[cw + q] = st.cost[a];
		}
	}
}
