/*
 * motion.h: the parameter block and the buffer layouts of the motion search
 * kernels (motion.cu). h264cuda/motion.go writes the same indices; a test
 * compares them with this header through the C emulation.
 */
#ifndef GPUENC_MOTION_H
#define GPUENC_MOTION_H

/* Indices into the int64 parameter block of every motion kernel. */
enum {
	/* Device addresses. */
	MP_CUR = 0,   /* current luma, uint8, MP_CUR_STRIDE bytes a row */
	MP_REF,       /* reference luma, uint8, MP_REF_STRIDE bytes a row */
	MP_SRC0,      /* source level 0: 16mbW x 16mbH, no margin */
	MP_SRC1,      /* source level 1: 8mbW x 8mbH */
	MP_SRC2,      /* source level 2: 4mbW x 4mbH */
	MP_FULL,      /* reference full-sample plane G, margin MP_EXT */
	MP_HALF_B,    /* half-sample planes b, h, j: geometry of G */
	MP_HALF_H,
	MP_HALF_J,
	MP_REFL1,     /* reference level 1, margin MP_M1 */
	MP_REFL2,     /* reference level 2, margin MP_M2 */
	MP_LVL2,      /* int32 (x, y) per MB */
	MP_LVL1,
	MP_LVL0,
	MP_PRED0,
	MP_PULL0,     /* int32[PULL_WORDS] per MB, two buffers */
	MP_PULL1,
	MP_PREV,      /* int32 (x, y) per MB: previous picture's field */
	MP_OUT,       /* int32[OUT_WORDS] per MB */
	MP_SCRATCH,   /* int32[SCRATCH_WORDS] per MB: sub-pel candidates */
	MP_SATD16,    /* int32 per MB: OUT_SATD16 again, for the host */
	/* Sizes and settings. */
	MP_CUR_W,
	MP_CUR_H,
	MP_CUR_STRIDE,
	MP_REF_W,
	MP_REF_H,
	MP_REF_STRIDE,
	MP_MBW,
	MP_MBH,
	MP_PAD,       /* margin in which b, h, j are valid */
	MP_EXT,       /* margin of G: MP_PAD + 3 */
	MP_FSTRIDE,   /* row stride of G, b, h, j: REF_W + 2 EXT */
	MP_M1,        /* margins of reference levels 1 and 2 */
	MP_M2,
	MP_COARSE,    /* CoarseRange */
	MP_REFINE,    /* RefineSteps */
	MP_SUBPEL,    /* SubPel */
	MP_PARTS,     /* Partitions (0/1) */
	MP_PART_STEPS,/* PartitionSteps */
	MP_MAXVMV,    /* MaxVerticalMV, luma samples */
	MP_LAMBDA,    /* lambdaMotion(qp) */
	MP_HAS_PREV,  /* previous field present (0/1) */
	MP_COUNT
};

/* One entry of a pull field. */
enum { PULL_MVX, PULL_MVY, PULL_PREDX, PULL_PREDY, PULL_SATD, PULL_COST, PULL_WORDS };

/* Sub-pel scratch: for each of the 9 positions of a square (raster order,
 * the centre at 4), whether it is inside the bounds, its SATD and cost. */
enum { SQ_VALID, SQ_SATD, SQ_COST, SQ_WORDS, SCRATCH_WORDS = 9 * SQ_WORDS };

/* One macroblock of the output field (h264.MotionMB). */
enum {
	OUT_PRED = 0,      /* x, y */
	OUT_MV16 = 2,      /* x, y */
	OUT_SATD16 = 4,
	OUT_COST16 = 5,
	OUT_MV16X8 = 6,    /* 2 x (x, y) */
	OUT_SATD16X8 = 10, /* 2 */
	OUT_COST16X8 = 12, /* 2 */
	OUT_MV8X16 = 14,
	OUT_SATD8X16 = 18,
	OUT_COST8X16 = 20,
	OUT_MV8X8 = 22,    /* 4 x (x, y) */
	OUT_SATD8X8 = 30,  /* 4 */
	OUT_COST8X8 = 34,  /* 4 */
	OUT_WORDS = 38
};

/* Values of the arg of motion_down. */
enum { DOWN_SRC1, DOWN_REFL1, DOWN_SRC2, DOWN_REFL2 };

#endif
