/* cemu.h: the C emulation's entry points (see cemu.go). */
#ifndef GPUENC_CEMU_H
#define GPUENC_CEMU_H
#include <stdint.h>

/* cemu_launch runs kernel name over blocks×threads emulated threads, one
 * after the other; it returns 0, or -1 for an unknown kernel. */
int cemu_launch(const char *name, int blocks, int threads, const int64_t *P, int n, int arg);

/* cemu_motion_const returns the value of a motion.h or analyse.h constant by name, or
 * -1 for an unknown name (layout tests). */
int cemu_motion_const(const char *name);
#endif
