/*
 * inter.h: the parameter block and the per-macroblock level record of the
 * inter reconstruction kernel (inter.cu). h264cuda/inter.go writes the
 * same indices; a test compares them with this header.
 */
#ifndef GPUENC_INTER_H
#define GPUENC_INTER_H

enum {
	IP_SRC_Y = 0, /* source, padded to whole MBs: luma 16mbW wide, chroma 8mbW */
	IP_SRC_CB,
	IP_SRC_CR,
	IP_REF_Y,     /* reference (deblocked reconstruction), same geometry */
	IP_REF_CB,
	IP_REF_CR,
	IP_REC_Y,     /* reconstruction written for inter MBs, same geometry */
	IP_REC_CB,
	IP_REC_CR,
	IP_DEC,       /* decisions: int32[IR_WORDS] per MB (below) */
	IP_LEVELS,    /* int16[LV_WORDS] per MB, written for inter MBs */
	IP_MBW,
	IP_MBH,
	IP_CBP,       /* int32 per MB: CN_CBP again, for inter MBs, or 0: none (the skip probe reads only this; with it set the kernel stops before reconstructing) */
	IP_COUNTS,    /* uint8[CN_BYTES] per MB, written for inter MBs */
	IP_PROBE_DEC, /* probe_skip reads stage 2's decisions here: int32[DEC_WORDS] per MB (analyse.h) */
	IP_PROBE_OUT, /* probe_skip writes int32[PO_WORDS] per MB here, for the host */
	IP_COUNT
};

/* What probe_skip leaves for the host, per macroblock (int32 words). */
enum {
	PO_MV = 0,    /* its P_Skip vector: x in the low 16 bits, y in the high */
	PO_WANTS = 1, /* 1: an inter macroblock that is not P_L0_16x16 at that vector */
	PO_WORDS = 2
};

/* The decision of one macroblock as this kernel reads it (the host
 * writes it): int32 words, the vectors as int16 (x, y) pairs. */
enum {
	IR_TYPE = 0, /* analyse.h's DEC_TYPE values */
	IR_QP = 1,
	IR_MV = 2,   /* 16 x (x, y) int16, raster order of the 4x4 blocks */
	IR_WORDS = 18
};

/* Levels of one macroblock, scan order (h264's macroblock fields), int16
 * words: the entropy coder's level block (cavlc.h CL_*), which it reads
 * here when the host did not take them. */
enum {
	LV_LUMA = 0,   /* 16 blocks (raster) x 16 levels */
	LV_CDC = 256,  /* 2 planes x 4 DC levels */
	LV_CAC = 264,  /* 2 planes x 4 blocks x 16 (index 0 unused) */
	LV_WORDS = 392
};

/* What the host reads back of one macroblock when the levels stay: bytes. */
enum {
	CN_NZ = 0,     /* TotalCoeff per luma 4x4 block (raster) */
	CN_NZC = 16,   /* 2 x 4 chroma AC TotalCoeff */
	CN_CBP = 24,   /* coded_block_pattern: luma bits 0..3, chroma << 4 */
	CN_BYTES = 32
};

#endif
