/*
 * common.h: what lets one kernel source build both as CUDA C++ (nvcc, for
 * the GPU) and as plain C (gcc through cgo, for the test-only emulation in
 * h264cuda/internal/cemu, which runs every thread of a grid in a loop).
 *
 * Kernel bodies use only these macros for anything that differs:
 *   KERNEL        a kernel's return type and linkage (extern "C" __global__
 *                 void on the GPU, so that PTX names are unmangled)
 *   DEVICE_FN     a helper called from kernels (inlined)
 *   DEVICE_CALL   a large helper called from many places (not inlined,
 *                 which keeps the PTX and the driver's JIT time small)
 *   DEVICE_CONST  a constant table read by kernels
 *   THREAD_X(), BLOCK_X(), BLOCK_DIM_X()  the CUDA built-in indices
 *   GLOBAL_ID()   BLOCK_X() * BLOCK_DIM_X() + THREAD_X()
 *   CLZ32(v)      count of leading zero bits of a non-zero uint32_t
 *   CLZ64(v)      the same for a non-zero uint64_t
 *
 * Every kernel of gpuenc has the signature
 *   KERNEL name(const int64_t *P, int n, int arg)
 * where P is the stage's parameter block (device addresses and sizes, the
 * MP_* indices of each stage's header), n the number of units (threads that
 * do work; the grid may be larger) and arg a small stage argument.
 */
#ifndef GPUENC_COMMON_H
#define GPUENC_COMMON_H

#include <stdint.h>

#ifdef __CUDACC__
#define KERNEL extern "C" __global__ void
#define DEVICE_FN static __device__ __forceinline__
#define DEVICE_CALL static __device__ __noinline__
#define DEVICE_CONST static __constant__ const
#define THREAD_X() ((int)threadIdx.x)
#define BLOCK_X() ((int)blockIdx.x)
#define BLOCK_DIM_X() ((int)blockDim.x)
#define CLZ32(v) __clz((int)(v))
#define CLZ64(v) __clzll((long long)(v))
#else
/* The emulation sets these before calling a kernel for one thread. */
extern __thread int cemu_thread_x, cemu_block_x, cemu_block_dim_x;
#define KERNEL void
#define DEVICE_FN static inline
#define DEVICE_CALL static
#define DEVICE_CONST static const
#define THREAD_X() cemu_thread_x
#define BLOCK_X() cemu_block_x
#define BLOCK_DIM_X() cemu_block_dim_x
#define CLZ32(v) __builtin_clz((unsigned)(v))
#define CLZ64(v) __builtin_clzll((unsigned long long)(v))
#endif

#define GLOBAL_ID() (BLOCK_X() * BLOCK_DIM_X() + THREAD_X())

/*
 * Warp-cooperative kernels: a warp per unit of work, in phases separated
 * by WARP_SYNC(), the lanes exchanging values through the warp's shared
 * words. On the GPU each lane is a thread; the C emulation runs one
 * thread at a time, so there lane 0's call runs every phase for all 32
 * lanes and the other lanes' calls return at once (WARP_LEADER_ONLY).
 *   WARP_SHARED(T, name, n)  n words of type T shared by the warp (every
 *                            launch has 64 threads a block, backend.go's
 *                            blockThreads: two warps)
 *   WARP_LEADER_ONLY()       at the top of the kernel
 *   WARP_FOR_LANES(lane) {}  the body of one phase, as lane
 *   WARP_LANES, WARP_AT(l)   what a lane keeps from one phase to a later
 *                            one lives in an array T x[WARP_LANES],
 *                            read and written as x[WARP_AT(lane)]
 *   WARP_SYNC()              between phases
 * Control flow outside the phases must be the same for the whole warp.
 */
#ifdef __CUDACC__
#define WARP_SHARED(T, name, n)              \
	__shared__ T name##_warps_[2][n]; \
	T *name = name##_warps_[(THREAD_X() >> 5) & 1]
#define WARP_LEADER_ONLY()
#define WARP_FOR_LANES(lane) for (int lane = THREAD_X() & 31, warp_once_ = 1; warp_once_; warp_once_ = 0)
#define WARP_LANES 1
#define WARP_AT(lane) 0
#define WARP_SYNC() __syncwarp()
#else
#define WARP_SHARED(T, name, n) T name[n]
#define WARP_LEADER_ONLY()         \
	do {                       \
		if (THREAD_X() & 31) \
			return;    \
	} while (0)
#define WARP_FOR_LANES(lane) for (int lane = 0; lane < 32; lane++)
#define WARP_LANES 32
#define WARP_AT(lane) (lane)
#define WARP_SYNC()
#endif

/* A device address held in a parameter block. */
#define PARAM_PTR(T, P, i) ((T *)(uintptr_t)(P)[i])
#define PARAM_INT(P, i) ((int)(P)[i])

DEVICE_FN int imin(int a, int b) { return a < b ? a : b; }
DEVICE_FN int imax(int a, int b) { return a > b ? a : b; }
DEVICE_FN int iclamp(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }
DEVICE_FN int iabs(int v) { return v < 0 ? -v : v; }
DEVICE_FN int clip255(int v) { return v < 0 ? 0 : (v > 255 ? 255 : v); }

#endif
