/*
 * analyse.h: the parameter block and the decision record of the mode
 * decision kernel (analyse.cu). h264cuda/analyse.go writes the same
 * indices; a test compares them with this header through the C emulation.
 */
#ifndef GPUENC_ANALYSE_H
#define GPUENC_ANALYSE_H

/* Indices into the int64 parameter block of analyse_mb. */
enum {
	AP_SRC_Y = 0, /* source luma, 16mbW x 16mbH, padded to whole MBs */
	AP_SRC_CB,    /* source chroma, 8mbW x 8mbH each */
	AP_SRC_CR,
	AP_FIELD,     /* motion field: int32[OUT_WORDS] per MB (motion.h) */
	AP_DEC,       /* decisions: int32[DEC_WORDS] per MB, updated in place */
	AP_MBW,
	AP_MBH,
	AP_QP,
	AP_LAMBDA,    /* lambdaMotion(qp), unused: per-MB from AP_LAMBDA_TAB */
	AP_PSLICE,    /* P picture (0/1) */
	AP_INTRA4,    /* preset tries Intra_4x4 (0/1) */
	AP_PARTS,     /* preset tries 16x8, 8x16, 8x8 (0/1) */
	AP_AQ,        /* adaptive quantisation strength in 1/16 (0: off) */
	AP_LAMBDA_TAB,/* 52 entries: lambdaMotion(0..51) */
	AP_QPOFF = AP_LAMBDA_TAB + 52, /* int8 QP offset per MB (lookahead's macroblock tree), or 0: none */
	AP_HOST,      /* the decisions again, compact, for the host: uint8[DH_BYTES] per MB */
	AP_COUNT
};

/* One macroblock's decision record (h264's macroblock fields of stage 2). */
enum {
	DEC_TYPE = 0,    /* TraceI4x4 .. TraceP8x8 */
	DEC_I16 = 1,     /* Intra_16x16 mode */
	DEC_CHROMA = 2,  /* intra chroma mode */
	DEC_QP = 3,
	DEC_I4 = 4,      /* 16 Intra_4x4 modes, raster order */
	DEC_PARTMV = 20, /* 4 x (x, y) */
	DEC_MV = 28,     /* 16 x (x, y), raster order */
	DEC_WORDS = 60
};

/* The compact copy of a decision record that the host downloads (AP_HOST):
 * bytes, the vectors as little-endian int16 (x, y) pairs. */
enum {
	DH_TYPE = 0,
	DH_I16 = 1,
	DH_CHROMA = 2,
	DH_QP = 3,
	DH_I4 = 4,      /* 16 modes */
	DH_PARTMV = 20, /* 4 x (x, y) */
	DH_MV = 36,     /* 16 x (x, y) */
	DH_BYTES = 100
};

/* Macroblock types (h264's mb* constants, PictureTrace's Trace*). */
enum { MB_I4X4, MB_I16X16, MB_P16X16, MB_P16X8, MB_P8X16, MB_P8X8, MB_PSKIP };

#endif
