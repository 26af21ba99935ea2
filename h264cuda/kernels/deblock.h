/*
 * deblock.h: the parameter block and the per-macroblock record of the
 * deblocking kernels (deblock.cu). h264cuda/deblock.go writes the same
 * indices; a test parses this header and compares.
 */
#ifndef GPUENC_DEBLOCK_H
#define GPUENC_DEBLOCK_H

/* Indices into the int64 parameter block of deblock_rows. */
enum {
	DP_Y = 0, /* luma, 16mbW x 16mbH, row stride 16mbW, filtered in place */
	DP_CB,    /* chroma, 8mbW x 8mbH each, row stride 8mbW */
	DP_CR,
	DP_MB,    /* records: int32[DB_WORDS] per macroblock, raster order */
	DP_ROWS,  /* int32[1 + mbH]: the row ticket, then each row's finished macroblocks; zero before a launch */
	DP_MBW,
	DP_MBH,
	DP_COUNT
};

/* One macroblock's record: what the boundary strength and the filters read. */
enum {
	DB_INFO = 0, /* QP_Y (bits 0..7) | intra (bit 8: I_NxN or I_16x16) */
	DB_NZ = 1,   /* bit k: luma 4x4 block k (raster) has coefficients (TotalCoeff != 0) */
	DB_MV = 2,   /* 16 vectors, raster: (x & 0xffff) | (y << 16), quarter samples */
	DB_WORDS = 18
};

#define DB_INTRA 0x100

#endif
