/*
 * openh264dec: reads an H.264 Annex B byte stream on stdin, decodes it with
 * Cisco's openh264 decoder and writes every decoded picture on stdout as a
 * line "FRAME <width> <height>\n" followed by the cropped I420 planes
 * (Y, then U, then V, tightly packed). Exit status 1 on any decoder error.
 *
 * The stream is fed one NAL unit at a time to DecodeFrameNoDelay; gpuenc's
 * encoder writes one slice per picture, so every slice NAL is a whole
 * picture. Remaining pictures are flushed at end of stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

static int write_frame(unsigned char *dst[3], SBufferInfo *info) {
	int w = info->UsrData.sSystemBuffer.iWidth;
	int h = info->UsrData.sSystemBuffer.iHeight;
	int sy = info->UsrData.sSystemBuffer.iStride[0];
	int sc = info->UsrData.sSystemBuffer.iStride[1];
	printf("FRAME %d %d\n", w, h);
	for (int y = 0; y < h; y++)
		fwrite(dst[0] + (size_t)y * sy, 1, w, stdout);
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int p = 1; p < 3; p++)
		for (int y = 0; y < ch; y++)
			fwrite(dst[p] + (size_t)y * sc, 1, cw, stdout);
	return 0;
}

int main(void) {
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, stdin);
		if (r == 0)
			break;
		n += r;
	}
	ISVCDecoder *dec = NULL;
	if (WelsCreateDecoder(&dec) != 0 || dec == NULL) {
		fprintf(stderr, "openh264dec: WelsCreateDecoder failed\n");
		return 1;
	}
	SDecodingParam param;
	memset(&param, 0, sizeof param);
	param.eEcActiveIdc = ERROR_CON_DISABLE;
	param.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
	if ((*dec)->Initialize(dec, &param) != 0) {
		fprintf(stderr, "openh264dec: Initialize failed\n");
		return 1;
	}
	int status = 0;
	/* Split at start codes (00 00 01, possibly preceded by 00). */
	size_t i = 0, start = (size_t)-1;
	for (;;) {
		size_t next = n;
		size_t j = (start == (size_t)-1) ? 0 : start + 3;
		for (; j + 2 < n; j++) {
			if (buf[j] == 0 && buf[j + 1] == 0 && buf[j + 2] == 1) {
				next = j;
				break;
			}
		}
		if (start != (size_t)-1) {
			size_t end = next;
			while (end > start + 3 && buf[end - 1] == 0)
				end--;
			unsigned char *dst[3] = {0};
			SBufferInfo info;
			memset(&info, 0, sizeof info);
			DECODING_STATE st = (*dec)->DecodeFrameNoDelay(dec, buf + start, (int)(end - start), dst, &info);
			if (st != dsErrorFree) {
				fprintf(stderr, "openh264dec: decoding error 0x%x at byte %zu\n", (unsigned)st, start);
				status = 1;
				break;
			}
			if (info.iBufferStatus == 1)
				write_frame(dst, &info);
		}
		if (next >= n)
			break;
		start = next;
		(void)i;
	}
	if (status == 0) {
		int eos = 1;
		(*dec)->SetOption(dec, DECODER_OPTION_END_OF_STREAM, &eos);
		for (;;) {
			unsigned char *dst[3] = {0};
			SBufferInfo info;
			memset(&info, 0, sizeof info);
			(*dec)->FlushFrame(dec, dst, &info);
			if (info.iBufferStatus != 1)
				break;
			write_frame(dst, &info);
		}
	}
	(*dec)->Uninitialize(dec);
	WelsDestroyDecoder(dec);
	fflush(stdout);
	return status;
}
