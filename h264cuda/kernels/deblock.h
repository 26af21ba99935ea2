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
	DP_EDGES, /* int32[DE_WORDS] per macroblock, written by deblock_edges */
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

/* One macroblock's edges, worked out by deblock_edges from the records:
 * the boundary strength of each 4-sample segment k (0..3) of each edge e
 * (0..3, 0 the macroblock's own left or top edge, 0 at the picture's
 * border) as nibble 4e + k, and the QPs the filters use. */
enum {
	DE_BS_V = 0, /* two words: the vertical edges' 16 nibbles, low word first */
	DE_BS_H = 2, /* two words: the horizontal edges' */
	DE_QP = 4,   /* luma: edge 0 vertical | edge 0 horizontal << 8 | inner edges << 16 */
	DE_CQP = 5,  /* chroma, the same */
	DE_WORDS = 8 /* 32 bytes (two 16-byte copies) */
};

#endif
