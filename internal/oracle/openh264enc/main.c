/*
 * openh264enc: a speed peer for gpuenc's benchmarks. Reads raw I420 frames
 * of WxH on stdin (all of them, before any clock starts), encodes them with
 * Cisco's openh264 encoder at a constant QP with the given thread count,
 * writes the Annex B stream on stdout and, on stderr, the line
 * "ENCODE_NS <nanoseconds>" for the encoding alone.
 *
 * usage: openh264enc WIDTH HEIGHT QP THREADS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wels/codec_api.h>

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: openh264enc WIDTH HEIGHT QP THREADS\n");
		return 2;
	}
	int w = atoi(argv[1]), h = atoi(argv[2]), qp = atoi(argv[3]), threads = atoi(argv[4]);
	size_t frame = (size_t)w * h + 2 * (size_t)((w + 1) / 2) * ((h + 1) / 2);
	size_t cap = frame * 16, n = 0;
	unsigned char *raw = malloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			raw = realloc(raw, cap);
		}
		size_t r = fread(raw + n, 1, cap - n, stdin);
		if (r == 0)
			break;
		n += r;
	}
	if (n % frame != 0) {
		fprintf(stderr, "openh264enc: %zu bytes is not a whole number of frames\n", n);
		return 1;
	}
	ISVCEncoder *enc = NULL;
	if (WelsCreateSVCEncoder(&enc) != 0 || enc == NULL) {
		fprintf(stderr, "openh264enc: WelsCreateSVCEncoder failed\n");
		return 1;
	}
	SEncParamExt p;
	(*enc)->GetDefaultParams(enc, &p);
	p.iUsageType = CAMERA_VIDEO_REAL_TIME;
	p.iPicWidth = w;
	p.iPicHeight = h;
	p.fMaxFrameRate = 30;
	p.iRCMode = RC_OFF_MODE;
	p.iTargetBitrate = 5000000;
	p.iMultipleThreadIdc = threads;
	p.iSpatialLayerNum = 1;
	p.iTemporalLayerNum = 1;
	p.uiIntraPeriod = 250;
	p.iMinQp = qp;
	p.iMaxQp = qp;
	p.sSpatialLayers[0].iVideoWidth = w;
	p.sSpatialLayers[0].iVideoHeight = h;
	p.sSpatialLayers[0].fFrameRate = 30;
	p.sSpatialLayers[0].iSpatialBitrate = 5000000;
	p.sSpatialLayers[0].iDLayerQp = qp;
	p.sSpatialLayers[0].sSliceArgument.uiSliceMode = SM_FIXEDSLCNUM_SLICE;
	p.sSpatialLayers[0].sSliceArgument.uiSliceNum = threads > 1 ? threads : 1;
	if ((*enc)->InitializeExt(enc, &p) != 0) {
		fprintf(stderr, "openh264enc: InitializeExt failed\n");
		return 1;
	}
	int fmt = videoFormatI420;
	(*enc)->SetOption(enc, ENCODER_OPTION_DATAFORMAT, &fmt);
	SSourcePicture pic;
	memset(&pic, 0, sizeof pic);
	pic.iColorFormat = videoFormatI420;
	pic.iPicWidth = w;
	pic.iPicHeight = h;
	pic.iStride[0] = w;
	pic.iStride[1] = pic.iStride[2] = (w + 1) / 2;
	unsigned char *out = malloc(frame * 2 + 1024);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t total = 0;
	for (size_t off = 0; off < n; off += frame) {
		pic.pData[0] = raw + off;
		pic.pData[1] = pic.pData[0] + (size_t)w * h;
		pic.pData[2] = pic.pData[1] + (size_t)((w + 1) / 2) * ((h + 1) / 2);
		SFrameBSInfo info;
		memset(&info, 0, sizeof info);
		if ((*enc)->EncodeFrame(enc, &pic, &info) != cmResultSuccess) {
			fprintf(stderr, "openh264enc: EncodeFrame failed\n");
			return 1;
		}
		size_t len = 0;
		for (int l = 0; l < info.iLayerNum; l++) {
			SLayerBSInfo *li = &info.sLayerInfo[l];
			size_t ll = 0;
			for (int k = 0; k < li->iNalCount; k++)
				ll += li->pNalLengthInByte[k];
			memcpy(out + len, li->pBsBuf, ll);
			len += ll;
		}
		fwrite(out, 1, len, stdout); /* stdout is fully buffered: cheap */
		total += len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	fprintf(stderr, "ENCODE_NS %lld\n", ns);
	(*enc)->Uninitialize(enc);
	WelsDestroySVCEncoder(enc);
	return 0;
}
