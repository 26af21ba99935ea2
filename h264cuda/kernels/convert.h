/*
 * convert.h: the parameter block of stage 0 (convert.cu),
 * loading a picture held in device memory into the encoder's padded source
 * planes. h264cuda/convert.go keeps a copy of these indices (cvIn...),
 * checked by its tests through the C emulation.
 */
#ifndef GPUENC_CONVERT_H
#define GPUENC_CONVERT_H

/* Parameter block indices (int64 each). */
#define CV_IN 0    /* device address of the tightly packed input picture */
#define CV_Y 1     /* device address of the padded luma plane (stride CV_PW) */
#define CV_CB 2    /* padded Cb plane (stride CV_PW/2) */
#define CV_CR 3    /* padded Cr plane (stride CV_PW/2) */
#define CV_W 4     /* picture width in luma samples */
#define CV_H 5     /* picture height */
#define CV_PW 6    /* padded luma width, 16 * macroblock columns */
#define CV_PH 7    /* padded luma height, 16 * macroblock rows */
#define CV_FMT 8   /* input layout, CV_FMT_* */
#define CV_COUNT 9

/* Input layouts, each tightly packed as gpuenc's frames are. */
#define CV_FMT_YUV420P 0 /* Y w×h, Cb and Cr ((w+1)/2)×((h+1)/2) */
#define CV_FMT_NV12 1    /* Y w×h, then ((w+1)/2)×((h+1)/2) Cb,Cr pairs */
#define CV_FMT_YUV444P 2 /* Y, Cb, Cr, each w×h */
#endif
