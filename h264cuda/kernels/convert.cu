/*
 * convert.cu: stage 0 of h264_cuda, the picture load. A picture in CUDA
 * memory (yuv420p, nv12 or yuv444p, tightly packed) becomes the encoder's
 * padded 4:2:0 source planes (whole macroblocks, ITU-T H.264 clause 6.2:
 * 4:2:0 sampling, chroma of ceil(w/2)×ceil(h/2)), with exactly h264's
 * arithmetic:
 *   - padding: the last column and row of each plane are replicated into the
 *     macroblock padding (h264.Encoder.loadSource), i.e. every sample reads
 *     the source at its coordinates clamped to the plane;
 *   - nv12: the interleaved pairs split (h264.PictureFromNV12);
 *   - yuv444p: each chroma sample is (a+b+c+d+2)>>2 over the 2x2 co-sited
 *     samples, the second column or row clamped to the picture at odd
 *     edges (h264.PictureFromYUV444P).
 * One thread per output sample of the three padded planes.
 */
#include "common.h"
#include "convert.h"

KERNEL convert_src(const int64_t *P, int n, int arg)
{
	(void)arg;
	int i = GLOBAL_ID();
	if (i >= n)
		return;
	const uint8_t *in = PARAM_PTR(const uint8_t, P, CV_IN);
	int w = PARAM_INT(P, CV_W), h = PARAM_INT(P, CV_H);
	int pw = PARAM_INT(P, CV_PW), ph = PARAM_INT(P, CV_PH);
	int fmt = PARAM_INT(P, CV_FMT);
	int ly = pw * ph;
	if (i < ly) {
		int x = imin(i % pw, w - 1), y = imin(i / pw, h - 1);
		PARAM_PTR(uint8_t, P, CV_Y)[i] = in[y * w + x];
		return;
	}
	i -= ly;
	int cpw = pw / 2, lc = cpw * (ph / 2);
	int c = i >= lc; /* 0: Cb, 1: Cr */
	if (c)
		i -= lc;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	int x = imin(i % cpw, cw - 1), y = imin(i / cpw, ch - 1);
	int v;
	if (fmt == CV_FMT_NV12) {
		v = in[w * h + 2 * (y * cw + x) + c];
	} else if (fmt == CV_FMT_YUV444P) {
		const uint8_t *src = in + (c + 1) * w * h;
		int x0 = 2 * x, x1 = imin(2 * x + 1, w - 1);
		int y0 = 2 * y, y1 = imin(2 * y + 1, h - 1);
		int s = src[y0 * w + x0] + src[y0 * w + x1] + src[y1 * w + x0] + src[y1 * w + x1];
		v = (s + 2) >> 2;
	} else {
		v = in[w * h + c * cw * ch + y * cw + x];
	}
	PARAM_PTR(uint8_t, P, c ? CV_CR : CV_CB)[i] = (uint8_t)v;
}
