// shim.h: the run-time bound CUDA driver API used by package cuda.
//
// Nothing here links against libcuda: gpuenc_cuda_load dlopens
// libcuda.so.1 and resolves every entry point into a function pointer.
// Types come from ffnvcodec's dynlink_cuda.h; the few entry points that
// header does not declare get their own typedefs below. Every wrapper that
// needs a current context takes the context as an integer handle, pushes
// it, makes the call and pops it again inside one C call, so that a Go
// goroutine moving between OS threads never sees a stale current context.

#ifndef GPUENC_CUDA_SHIM_H
#define GPUENC_CUDA_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <ffnvcodec/dynlink_cuda.h>

// Attributes missing from dynlink_cuda.h's subset (values from the CUDA
// driver API's CUdevice_attribute enumeration).
#define GPUENC_ATTR_L2_CACHE_SIZE 38
#define GPUENC_ATTR_MAX_THREADS_PER_BLOCK 1

typedef CUresult CUDAAPI tcuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int numOptions, CUjit_option *options, void **optionValues);
typedef CUresult CUDAAPI tcuEventElapsedTime(float *ms, CUevent start, CUevent end);
typedef CUresult CUDAAPI tcuDeviceTotalMem_v2(size_t *bytes, CUdevice dev);
typedef CUresult CUDAAPI tcuCtxSynchronize(void);
typedef CUresult CUDAAPI tcuMemsetD8_v2(CUdeviceptr dst, unsigned char uc, size_t n);
typedef CUresult CUDAAPI tcuMemHostAlloc(void **pp, size_t bytesize, unsigned int flags);
typedef CUresult CUDAAPI tcuMemFreeHost(void *p);
typedef CUresult CUDAAPI tcuMemGetInfo_v2(size_t *free, size_t *total);

// CUDA Graphs (driver 11.4 and newer; optional: missing entry points make
// the graph calls return GPUENC_NOT_SUPPORTED instead of failing the load).
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;
typedef CUresult CUDAAPI tcuStreamBeginCapture_v2(CUstream stream, int mode);
typedef CUresult CUDAAPI tcuStreamEndCapture(CUstream stream, CUgraph *graph);
typedef CUresult CUDAAPI tcuGraphInstantiateWithFlags(CUgraphExec *exec, CUgraph graph, unsigned long long flags);
typedef CUresult CUDAAPI tcuGraphLaunch(CUgraphExec exec, CUstream stream);
typedef CUresult CUDAAPI tcuGraphExecDestroy(CUgraphExec exec);
typedef CUresult CUDAAPI tcuGraphDestroy(CUgraph graph);
#define GPUENC_NOT_SUPPORTED 801 // CUDA_ERROR_NOT_SUPPORTED
#define GPUENC_CAPTURE_MODE_RELAXED 2 // CU_STREAM_CAPTURE_MODE_RELAXED

// gpuenc_cuda_load opens lib and resolves all entry points. It returns 0 on
// success, 1 when dlopen failed and 2 when a symbol is missing; errbuf then
// holds dlerror's text or the symbol's name. Calling it again after success
// is a no-op returning 0.
int gpuenc_cuda_load(const char *lib, char *errbuf, size_t errlen);

// gpuenc_cuda_error_name fills name and desc from cuGetErrorName and
// cuGetErrorString (empty strings when unknown or not loaded).
void gpuenc_cuda_error_text(int code, char *name, size_t namelen, char *desc, size_t desclen);

int gpuenc_cuInit(void);
int gpuenc_cuDriverGetVersion(int *v);
int gpuenc_cuDeviceGetCount(int *n);
int gpuenc_cuDeviceGet(int *dev, int ordinal);
int gpuenc_cuDeviceGetName(char *name, int len, int dev);
int gpuenc_cuDeviceGetAttribute(int *v, int attr, int dev);
int gpuenc_cuDeviceTotalMem(size_t *bytes, int dev);
int gpuenc_cuDeviceGetUuid(unsigned char *uuid16, int dev);
int gpuenc_cuDeviceGetPCIBusId(char *bus, int len, int dev);

int gpuenc_cuDevicePrimaryCtxRetain(uintptr_t *ctx, int dev);
int gpuenc_cuDevicePrimaryCtxRelease(int dev);
int gpuenc_cuCtxPushCurrent(uintptr_t ctx);
int gpuenc_cuCtxPopCurrent(void);
int gpuenc_cuCtxGetCurrent(uintptr_t *ctx);
int gpuenc_cuCtxSynchronize(uintptr_t ctx);

int gpuenc_cuMemAlloc(uintptr_t ctx, uint64_t *ptr, size_t size);
int gpuenc_cuMemAllocPitch(uintptr_t ctx, uint64_t *ptr, size_t *pitch, size_t width, size_t height);
int gpuenc_cuMemFree(uintptr_t ctx, uint64_t ptr);
int gpuenc_cuMemHostAlloc(uintptr_t ctx, void **p, size_t size);
int gpuenc_cuMemFreeHost(uintptr_t ctx, void *p);
int gpuenc_cuMemGetInfo(uintptr_t ctx, size_t *free, size_t *total);
int gpuenc_cuMemsetD8(uintptr_t ctx, uint64_t ptr, unsigned char v, size_t n, uintptr_t stream, int async);

int gpuenc_cuMemcpyHtoD(uintptr_t ctx, uint64_t dst, const void *src, size_t n, uintptr_t stream, int async);
int gpuenc_cuMemcpyDtoH(uintptr_t ctx, void *dst, uint64_t src, size_t n, uintptr_t stream, int async);
int gpuenc_cuMemcpyDtoD(uintptr_t ctx, uint64_t dst, uint64_t src, size_t n, uintptr_t stream, int async);
// gpuenc_cuMemcpy2D copies a widthBytes x height region. A NULL host
// pointer selects the device pointer on that side.
int gpuenc_cuMemcpy2D(uintptr_t ctx,
	void *dstHost, uint64_t dstDev, size_t dstPitch,
	const void *srcHost, uint64_t srcDev, size_t srcPitch,
	size_t widthBytes, size_t height, uintptr_t stream, int async);

int gpuenc_cuStreamCreate(uintptr_t ctx, uintptr_t *stream, unsigned int flags);
int gpuenc_cuStreamDestroy(uintptr_t ctx, uintptr_t stream);
int gpuenc_cuStreamSynchronize(uintptr_t ctx, uintptr_t stream);
int gpuenc_cuStreamBeginCapture(uintptr_t ctx, uintptr_t stream);
int gpuenc_cuStreamEndCapture(uintptr_t ctx, uintptr_t stream, uintptr_t *graph);
int gpuenc_cuGraphInstantiate(uintptr_t ctx, uintptr_t *exec, uintptr_t graph);
int gpuenc_cuGraphLaunch(uintptr_t ctx, uintptr_t exec, uintptr_t stream);
int gpuenc_cuGraphExecDestroy(uintptr_t ctx, uintptr_t exec);
int gpuenc_cuGraphDestroy(uintptr_t ctx, uintptr_t graph);
int gpuenc_cuStreamWaitEvent(uintptr_t ctx, uintptr_t stream, uintptr_t event);
int gpuenc_cuEventCreate(uintptr_t ctx, uintptr_t *event, unsigned int flags);
int gpuenc_cuEventDestroy(uintptr_t ctx, uintptr_t event);
int gpuenc_cuEventRecord(uintptr_t ctx, uintptr_t event, uintptr_t stream);
int gpuenc_cuEventSynchronize(uintptr_t ctx, uintptr_t event);
int gpuenc_cuEventQuery(uintptr_t ctx, uintptr_t event);
int gpuenc_cuEventElapsedTime(uintptr_t ctx, float *ms, uintptr_t start, uintptr_t end);

// gpuenc_cuModuleLoadDataEx loads a PTX, cubin or fatbin image and
// captures the JIT's error and info logs into the given buffers.
int gpuenc_cuModuleLoadDataEx(uintptr_t ctx, uintptr_t *module, const void *image,
	char *errlog, size_t errlen, char *infolog, size_t infolen);
int gpuenc_cuModuleUnload(uintptr_t ctx, uintptr_t module);
int gpuenc_cuModuleGetFunction(uintptr_t ctx, uintptr_t *fn, uintptr_t module, const char *name);
// gpuenc_cuLaunchKernel builds the kernelParams array from a packed blob:
// parameter i lives at blob+offsets[i].
int gpuenc_cuLaunchKernel(uintptr_t ctx, uintptr_t fn,
	unsigned int gx, unsigned int gy, unsigned int gz,
	unsigned int bx, unsigned int by, unsigned int bz,
	unsigned int shmem, uintptr_t stream,
	const void *blob, const uint32_t *offsets, int nparams);

#endif
