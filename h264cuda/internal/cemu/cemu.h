/* cemu.h: the C emulation's entry points (see cemu.go). */
#ifndef GPUENC_CEMU_H
#define GPUENC_CEMU_H
#include <stdint.h>

/* cemu_launch runs kernel name over blocks×threads emulated threads, one
 * after the other; it returns 0, or -1 for an unknown kernel. */
int cemu_launch(const char *name, int blocks, int threads, const int64_t *P, int n, int arg);

/* cemu_motion_const returns the value of a constant of a kernel header
 * (motion.h, analyse.h, inter.h, convert.h, lookahead.h...) by name, or
 * -1 for an unknown name (layout tests). */
int cemu_motion_const(const char *name);
/* cemu_pred_block runs analyse.cu's pred_block (Intra_16x16 and chroma
 * prediction) on C memory. */
void cemu_pred_block(uint8_t *dst, int n, const uint8_t *pix, int stride, int mode, int avail, int chroma);

/* cemu_pred_luma writes the w×h quarter-sample luma prediction of
 * motion.cu's pred_setup/pred_sample for the block at (x, y) displaced by
 * (mvx, mvy), with the parameter block P, into dst (stride w). */
void cemu_pred_luma(const int64_t *P, int x, int y, int mvx, int mvy, int w, int h, uint8_t *dst);
#endif
