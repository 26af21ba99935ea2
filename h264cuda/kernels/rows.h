/*
 * rows.h: the hand-off between macroblock rows of the wavefront kernels
 * that walk a picture a warp per row (deblock.cu's deblock_rows,
 * intra.cu's intra_rows): a row waits until the row above has finished
 * enough macroblocks, and publishes its own progress.
 */
#ifndef GPUENC_ROWS_H
#define GPUENC_ROWS_H

#include "common.h"

/*
 * The row wavefront's synchronisation. On the GPU a row's 32 lanes are one
 * warp: lane 0 takes the row's ticket, __syncwarp orders the lanes'
 * accesses between steps, and the row counters are published with a
 * release store and read with acquire loads (PTX memory model, gpu
 * scope), so the samples another row wrote before it published are the
 * ones this row reads. Tickets are handed out in the order warps start,
 * so a row only ever waits for a row whose warp is already running: no
 * deadlock, however many rows are resident.
 *
 * The C emulation runs one lane at a time, so there lane 0 runs all 32
 * lanes of each step itself (WARP_FOR_LANES) and the other lanes return at
 * once; rows run one after another in ticket order, so a wait is always
 * already satisfied there (row_wait traps if it is not).
 */
#ifdef __CUDACC__
DEVICE_FN int row_take(int32_t *ticket)
{
	int row = 0;
	if ((THREAD_X() & 31) == 0)
		row = atomicAdd(ticket, 1);
	return __shfl_sync(0xffffffffu, row, 0);
}

/* row_wait returns once *p >= need, or at once when seen (the last value
 * this warp read) already was. */
DEVICE_FN int row_wait(const int32_t *p, int need, int seen)
{
	while (seen < need)
		asm volatile("ld.acquire.gpu.global.b32 %0, [%1];" : "=r"(seen) : "l"(p) : "memory");
	return seen;
}

DEVICE_FN void row_sync_lanes(void) { __syncwarp(); }

/* row_publish sets this row's counter to v once every lane's stores are
 * done (release: they are visible to whoever acquires the value). */
DEVICE_FN void row_publish(int32_t *p, int v)
{
	__syncwarp();
	if ((THREAD_X() & 31) == 0)
		asm volatile("st.release.gpu.global.b32 [%0], %1;" ::"l"(p), "r"(v) : "memory");
}
#else
DEVICE_FN int row_take(int32_t *ticket)
{
	return (THREAD_X() & 31) == 0 ? (*ticket)++ : -1;
}

DEVICE_FN int row_wait(const int32_t *p, int need, int seen)
{
	(void)seen;
	if (*p < need)
		__builtin_trap();
	return *p;
}

DEVICE_FN void row_sync_lanes(void) {}

DEVICE_FN void row_publish(int32_t *p, int v) { *p = v; }
#endif

#endif
