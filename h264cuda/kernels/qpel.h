/*
 * qpel.h: the luma quarter-sample interpolation of ITU-T H.264 8.4.2.2.1
 * (h264/interp.go), sample by sample on a reference plane whose reads are
 * clamped to its edges (8-228..8-231). The motion search (motion.cu, for
 * vectors reaching past its padded planes) and the inter reconstruction
 * (inter.cu, for blocks near the picture's edges) predict through it;
 * their fast paths read precomputed planes or words instead and must give
 * the same values.
 */
#ifndef GPUENC_QPEL_H
#define GPUENC_QPEL_H

#include "common.h"

/* interpTap6: the six-tap filter (1, -5, 20, 20, -5, 1) unrounded. */
DEVICE_FN int tap6(int e, int f, int g, int h, int i, int j)
{
	return e - 5 * f + 20 * g + 20 * h - 5 * i + j;
}

/*
 * interpLumaTerms (Table 8-12 with 8-250..8-261), indexed yFrac*4+xFrac:
 * kind (0 G, 1 b, 2 h, 3 j) and offsets of terms a and b; single positions
 * have kind_b = -1.
 */
DEVICE_CONST int8_t terms_kind_a[16] = {0, 0, 1, 0, 0, 1, 1, 1, 2, 2, 3, 3, 0, 2, 3, 2};
DEVICE_CONST int8_t terms_dx_a[16] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
DEVICE_CONST int8_t terms_dy_a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
DEVICE_CONST int8_t terms_kind_b[16] = {-1, 1, -1, 1, 2, 2, 3, 2, -1, 3, -1, 2, 2, 1, 1, 1};
DEVICE_CONST int8_t terms_dx_b[16] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
DEVICE_CONST int8_t terms_dy_b[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};

/* A reference plane: sample (x, y) at p[y*stride+x], w×h of them. */
typedef struct {
	const uint8_t *p;
	int w, h, stride;
} RefPlane;

/* Sample G(x, y), the position clamped into the plane. */
DEVICE_FN int ref_g(const RefPlane *r, int x, int y)
{
	return r->p[(int64_t)iclamp(y, 0, r->h - 1) * r->stride + iclamp(x, 0, r->w - 1)];
}

/* The unrounded horizontal intermediate b1 (8-241) at (x, y). */
DEVICE_FN int ref_b1(const RefPlane *r, int x, int y)
{
	return tap6(ref_g(r, x - 2, y), ref_g(r, x - 1, y), ref_g(r, x, y), ref_g(r, x + 1, y), ref_g(r, x + 2, y),
	            ref_g(r, x + 3, y));
}

/* One sample of kind k (G, b, h, j) at full-sample position (x, y). */
DEVICE_FN int ref_kind(const RefPlane *r, int k, int x, int y)
{
	switch (k) {
	case 0:
		return ref_g(r, x, y);
	case 1:
		return clip255((ref_b1(r, x, y) + 16) >> 5);
	case 2:
		return clip255((tap6(ref_g(r, x, y - 2), ref_g(r, x, y - 1), ref_g(r, x, y), ref_g(r, x, y + 1),
		                     ref_g(r, x, y + 2), ref_g(r, x, y + 3)) + 16) >> 5);
	default:
		return clip255((tap6(ref_b1(r, x, y - 2), ref_b1(r, x, y - 1), ref_b1(r, x, y), ref_b1(r, x, y + 1),
		                     ref_b1(r, x, y + 2), ref_b1(r, x, y + 3)) + 512) >> 10);
	}
}

/* predictLuma, one sample: luma position (x, y) displaced by quarter-sample
 * vector (mvx, mvy). */
DEVICE_FN int luma_sample(const RefPlane *r, int x, int y, int mvx, int mvy)
{
	int ix = x + (mvx >> 2), iy = y + (mvy >> 2), f = (mvy & 3) * 4 + (mvx & 3);
	int a = ref_kind(r, terms_kind_a[f], ix + terms_dx_a[f], iy + terms_dy_a[f]);
	if (terms_kind_b[f] < 0)
		return a;
	return (a + ref_kind(r, terms_kind_b[f], ix + terms_dx_b[f], iy + terms_dy_b[f]) + 1) >> 1;
}

#endif
