/*
 * intra.h: the parameter block of the intra reconstruction kernel
 * (intra.cu). Its level and counts records are inter.h's (LV_*, CN_*),
 * so that the entropy coder reads both stages' levels alike.
 * h264cuda/intra.go writes the same indices; a test compares them with
 * this header.
 */
#ifndef GPUENC_INTRA_H
#define GPUENC_INTRA_H

enum {
	XP_SRC_Y = 0, /* source, packed whole macroblocks: luma 16mbW wide, chroma 8mbW */
	XP_SRC_CB,
	XP_SRC_CR,
	XP_REC_Y,     /* the reconstruction written, the same geometry */
	XP_REC_CB,
	XP_REC_CR,
	XP_DEC,       /* decisions: int32[DEC_WORDS] per MB (analyse.h); intra types only */
	XP_LEVELS,    /* int16[LV_WORDS] per MB (inter.h), written */
	XP_COUNTS,    /* uint8[CN_BYTES] per MB (inter.h), written */
	XP_LUMADC,    /* int16[16] per MB: Intra_16x16 DC levels, scan order, written */
	XP_ROWS,      /* int32[1 + mbH]: the row ticket, then each row's finished macroblocks; zero before a launch */
	XP_MBW,
	XP_MBH,
	XP_COUNT
};

#endif
