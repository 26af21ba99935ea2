/*
 * lookahead.h: the parameter block and result layout of the lookahead's
 * analysis (lookahead.cu). h264cuda/lookahead.go keeps a copy of these
 * values (laSrc...), checked by its tests through the C emulation.
 */
#ifndef GPUENC_LOOKAHEAD_H
#define GPUENC_LOOKAHEAD_H

/* Parameter block indices (int64 each). */
#define LA_SRC 0      /* device address of the padded source luma, rows of 16 * LA_MBW */
#define LA_LOW 1      /* this picture's half-resolution plane (margin LA_MARGIN) */
#define LA_PREV 2     /* the previous picture's plane, the same layout */
#define LA_OUT 3      /* this picture's results, LA_WORDS int32 per macroblock */
#define LA_PREV_OUT 4 /* the previous picture's results (its vectors are read) */
#define LA_MBW 5      /* macroblock columns */
#define LA_MBH 6      /* macroblock rows */
#define LA_COUNT 7

/* Results per macroblock (int32 words), h264.LookaheadCosts' fields. */
#define LA_INTRA 0 /* SATD of the best intra prediction, halved, plus one */
#define LA_INTER 1 /* SATD at the vector found, halved, at most LA_INTRA */
#define LA_MV 2    /* the vector: x in the low 16 bits, y in the high 16 */
#define LA_FRAC 3  /* (intra - inter) / intra in units of 1/65536 */
#define LA_WORDS 4

/* h264/lookahead.go's constants. */
#define LA_BLOCK 8   /* block edge at half resolution, one block a macroblock */
#define LA_RANGE 24  /* search range in half-resolution samples */
#define LA_MARGIN 40 /* LA_RANGE + LA_BLOCK + 8: replicated margin of a plane */
#define LA_STEPS 16  /* diamond steps at most */

#endif
