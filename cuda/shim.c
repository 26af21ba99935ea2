// shim.c: dlopen-based binding of the CUDA driver API for package cuda.
// See shim.h for the conventions.

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "shim.h"

// An unloaded library answers like a driver that is not initialised
// (CUDA_ERROR_NOT_INITIALIZED, missing from dynlink_cuda.h's subset).
#define NOT_LOADED 3

static void *lib_handle;

#define FN(name, type) static type *p_##name;
FN(cuInit, tcuInit)
FN(cuDriverGetVersion, tcuDriverGetVersion)
FN(cuDeviceGetCount, tcuDeviceGetCount)
FN(cuDeviceGet, tcuDeviceGet)
FN(cuDeviceGetName, tcuDeviceGetName)
FN(cuDeviceGetAttribute, tcuDeviceGetAttribute)
FN(cuDeviceTotalMem_v2, tcuDeviceTotalMem_v2)
FN(cuDeviceGetUuid, tcuDeviceGetUuid)
FN(cuDeviceGetPCIBusId, tcuDeviceGetPCIBusId)
FN(cuDevicePrimaryCtxRetain, tcuDevicePrimaryCtxRetain)
FN(cuDevicePrimaryCtxRelease, tcuDevicePrimaryCtxRelease)
FN(cuCtxPushCurrent_v2, tcuCtxPushCurrent_v2)
FN(cuCtxPopCurrent_v2, tcuCtxPopCurrent_v2)
FN(cuCtxSynchronize, tcuCtxSynchronize)
FN(cuCtxGetCurrent, tcuCtxGetCurrent)
FN(cuMemAlloc_v2, tcuMemAlloc_v2)
FN(cuMemAllocPitch_v2, tcuMemAllocPitch_v2)
FN(cuMemFree_v2, tcuMemFree_v2)
FN(cuMemHostAlloc, tcuMemHostAlloc)
FN(cuMemFreeHost, tcuMemFreeHost)
FN(cuMemGetInfo_v2, tcuMemGetInfo_v2)
FN(cuMemsetD8_v2, tcuMemsetD8_v2)
FN(cuMemsetD8Async, tcuMemsetD8Async)
FN(cuMemcpyHtoD_v2, tcuMemcpyHtoD_v2)
FN(cuMemcpyHtoDAsync_v2, tcuMemcpyHtoDAsync_v2)
FN(cuMemcpyDtoH_v2, tcuMemcpyDtoH_v2)
FN(cuMemcpyDtoHAsync_v2, tcuMemcpyDtoHAsync_v2)
FN(cuMemcpyDtoD_v2, tcuMemcpyDtoD_v2)
FN(cuMemcpyDtoDAsync_v2, tcuMemcpyDtoDAsync_v2)
FN(cuMemcpy2D_v2, tcuMemcpy2D_v2)
FN(cuMemcpy2DAsync_v2, tcuMemcpy2DAsync_v2)
FN(cuStreamCreate, tcuStreamCreate)
FN(cuStreamDestroy_v2, tcuStreamDestroy_v2)
FN(cuStreamSynchronize, tcuStreamSynchronize)
FN(cuStreamWaitEvent, tcuStreamWaitEvent)
FN(cuEventCreate, tcuEventCreate)
FN(cuEventDestroy_v2, tcuEventDestroy_v2)
FN(cuEventRecord, tcuEventRecord)
FN(cuEventSynchronize, tcuEventSynchronize)
FN(cuEventQuery, tcuEventQuery)
FN(cuEventElapsedTime, tcuEventElapsedTime)
FN(cuModuleLoadDataEx, tcuModuleLoadDataEx)
FN(cuModuleUnload, tcuModuleUnload)
FN(cuModuleGetFunction, tcuModuleGetFunction)
FN(cuLaunchKernel, tcuLaunchKernel)
FN(cuGetErrorName, tcuGetErrorName)
FN(cuGetErrorString, tcuGetErrorString)
FN(cuStreamBeginCapture_v2, tcuStreamBeginCapture_v2)
FN(cuStreamEndCapture, tcuStreamEndCapture)
FN(cuGraphInstantiateWithFlags, tcuGraphInstantiateWithFlags)
FN(cuGraphLaunch, tcuGraphLaunch)
FN(cuGraphExecDestroy, tcuGraphExecDestroy)
FN(cuGraphDestroy, tcuGraphDestroy)
#undef FN

int gpuenc_cuda_load(const char *lib, char *errbuf, size_t errlen) {
	if (lib_handle != NULL) {
		return 0;
	}
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(errbuf, errlen, "%s", e ? e : "dlopen failed");
		return 1;
	}
#define SYM(name) \
	p_##name = (__typeof__(p_##name))dlsym(h, #name); \
	if (p_##name == NULL) { snprintf(errbuf, errlen, "%s", #name); dlclose(h); return 2; }
	SYM(cuInit)
	SYM(cuDriverGetVersion)
	SYM(cuDeviceGetCount)
	SYM(cuDeviceGet)
	SYM(cuDeviceGetName)
	SYM(cuDeviceGetAttribute)
	SYM(cuDeviceTotalMem_v2)
	SYM(cuDeviceGetUuid)
	SYM(cuDeviceGetPCIBusId)
	SYM(cuDevicePrimaryCtxRetain)
	SYM(cuDevicePrimaryCtxRelease)
	SYM(cuCtxPushCurrent_v2)
	SYM(cuCtxPopCurrent_v2)
	SYM(cuCtxSynchronize)
	SYM(cuCtxGetCurrent)
	SYM(cuMemAlloc_v2)
	SYM(cuMemAllocPitch_v2)
	SYM(cuMemFree_v2)
	SYM(cuMemHostAlloc)
	SYM(cuMemFreeHost)
	SYM(cuMemGetInfo_v2)
	SYM(cuMemsetD8_v2)
	SYM(cuMemsetD8Async)
	SYM(cuMemcpyHtoD_v2)
	SYM(cuMemcpyHtoDAsync_v2)
	SYM(cuMemcpyDtoH_v2)
	SYM(cuMemcpyDtoHAsync_v2)
	SYM(cuMemcpyDtoD_v2)
	SYM(cuMemcpyDtoDAsync_v2)
	SYM(cuMemcpy2D_v2)
	SYM(cuMemcpy2DAsync_v2)
	SYM(cuStreamCreate)
	SYM(cuStreamDestroy_v2)
	SYM(cuStreamSynchronize)
	SYM(cuStreamWaitEvent)
	SYM(cuEventCreate)
	SYM(cuEventDestroy_v2)
	SYM(cuEventRecord)
	SYM(cuEventSynchronize)
	SYM(cuEventQuery)
	SYM(cuEventElapsedTime)
	SYM(cuModuleLoadDataEx)
	SYM(cuModuleUnload)
	SYM(cuModuleGetFunction)
	SYM(cuLaunchKernel)
	SYM(cuGetErrorName)
	SYM(cuGetErrorString)
#undef SYM
	// Optional entry points (CUDA Graphs, driver 11.4+): NULL when absent.
#define OPT(name) p_##name = (__typeof__(p_##name))dlsym(h, #name);
	OPT(cuStreamBeginCapture_v2)
	OPT(cuStreamEndCapture)
	OPT(cuGraphInstantiateWithFlags)
	OPT(cuGraphLaunch)
	OPT(cuGraphExecDestroy)
	OPT(cuGraphDestroy)
#undef OPT
	lib_handle = h;
	return 0;
}

void gpuenc_cuda_error_text(int code, char *name, size_t namelen, char *desc, size_t desclen) {
	name[0] = 0;
	desc[0] = 0;
	if (lib_handle == NULL) {
		return;
	}
	const char *s = NULL;
	if (p_cuGetErrorName((CUresult)code, &s) == CUDA_SUCCESS && s != NULL) {
		snprintf(name, namelen, "%s", s);
	}
	s = NULL;
	if (p_cuGetErrorString((CUresult)code, &s) == CUDA_SUCCESS && s != NULL) {
		snprintf(desc, desclen, "%s", s);
	}
}

#define LOADED() do { if (lib_handle == NULL) return NOT_LOADED; } while (0)

// WITH_CTX makes ctx current on this thread for the duration of call.
#define WITH_CTX(ctx, call) do { \
	LOADED(); \
	CUresult r_ = p_cuCtxPushCurrent_v2((CUcontext)(ctx)); \
	if (r_ != CUDA_SUCCESS) return r_; \
	CUresult rc_ = (call); \
	CUcontext popped_; \
	CUresult rp_ = p_cuCtxPopCurrent_v2(&popped_); \
	return rc_ != CUDA_SUCCESS ? rc_ : rp_; \
} while (0)

int gpuenc_cuInit(void) { LOADED(); return p_cuInit(0); }
int gpuenc_cuDriverGetVersion(int *v) { LOADED(); return p_cuDriverGetVersion(v); }
int gpuenc_cuDeviceGetCount(int *n) { LOADED(); return p_cuDeviceGetCount(n); }
int gpuenc_cuDeviceGet(int *dev, int ordinal) { LOADED(); return p_cuDeviceGet(dev, ordinal); }
int gpuenc_cuDeviceGetName(char *name, int len, int dev) { LOADED(); return p_cuDeviceGetName(name, len, dev); }
int gpuenc_cuDeviceGetAttribute(int *v, int attr, int dev) { LOADED(); return p_cuDeviceGetAttribute(v, (CUdevice_attribute)attr, dev); }
int gpuenc_cuDeviceTotalMem(size_t *bytes, int dev) { LOADED(); return p_cuDeviceTotalMem_v2(bytes, dev); }
int gpuenc_cuDeviceGetUuid(unsigned char *uuid16, int dev) {
	LOADED();
	CUuuid u;
	CUresult r = p_cuDeviceGetUuid(&u, dev);
	if (r == CUDA_SUCCESS) memcpy(uuid16, u.bytes, 16);
	return r;
}
int gpuenc_cuDeviceGetPCIBusId(char *bus, int len, int dev) { LOADED(); return p_cuDeviceGetPCIBusId(bus, len, dev); }

int gpuenc_cuDevicePrimaryCtxRetain(uintptr_t *ctx, int dev) {
	LOADED();
	CUcontext c = NULL;
	CUresult r = p_cuDevicePrimaryCtxRetain(&c, dev);
	*ctx = (uintptr_t)c;
	return r;
}
int gpuenc_cuDevicePrimaryCtxRelease(int dev) { LOADED(); return p_cuDevicePrimaryCtxRelease(dev); }
int gpuenc_cuCtxPushCurrent(uintptr_t ctx) { LOADED(); return p_cuCtxPushCurrent_v2((CUcontext)ctx); }
int gpuenc_cuCtxPopCurrent(void) { LOADED(); CUcontext c; return p_cuCtxPopCurrent_v2(&c); }
int gpuenc_cuCtxGetCurrent(uintptr_t *ctx) { LOADED(); CUcontext c = NULL; CUresult r = p_cuCtxGetCurrent(&c); *ctx = (uintptr_t)c; return r; }
int gpuenc_cuCtxSynchronize(uintptr_t ctx) { WITH_CTX(ctx, p_cuCtxSynchronize()); }

int gpuenc_cuMemAlloc(uintptr_t ctx, uint64_t *ptr, size_t size) {
	CUdeviceptr p = 0;
	LOADED();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuMemAlloc_v2(&p, size);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*ptr = (uint64_t)p;
	return r;
}
int gpuenc_cuMemAllocPitch(uintptr_t ctx, uint64_t *ptr, size_t *pitch, size_t width, size_t height) {
	CUdeviceptr p = 0;
	LOADED();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	// ElementSizeBytes 16 lets the driver pick the widest coalescing pitch.
	r = p_cuMemAllocPitch_v2(&p, pitch, width, height, 16);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*ptr = (uint64_t)p;
	return r;
}
int gpuenc_cuMemFree(uintptr_t ctx, uint64_t ptr) { WITH_CTX(ctx, p_cuMemFree_v2((CUdeviceptr)ptr)); }
int gpuenc_cuMemHostAlloc(uintptr_t ctx, void **p, size_t size) {
	*p = NULL;
	WITH_CTX(ctx, p_cuMemHostAlloc(p, size, 0));
}
int gpuenc_cuMemFreeHost(uintptr_t ctx, void *p) { WITH_CTX(ctx, p_cuMemFreeHost(p)); }
int gpuenc_cuMemGetInfo(uintptr_t ctx, size_t *free, size_t *total) { WITH_CTX(ctx, p_cuMemGetInfo_v2(free, total)); }
int gpuenc_cuMemsetD8(uintptr_t ctx, uint64_t ptr, unsigned char v, size_t n, uintptr_t stream, int async) {
	if (async) WITH_CTX(ctx, p_cuMemsetD8Async((CUdeviceptr)ptr, v, n, (CUstream)stream));
	WITH_CTX(ctx, p_cuMemsetD8_v2((CUdeviceptr)ptr, v, n));
}

int gpuenc_cuMemcpyHtoD(uintptr_t ctx, uint64_t dst, const void *src, size_t n, uintptr_t stream, int async) {
	if (async) WITH_CTX(ctx, p_cuMemcpyHtoDAsync_v2((CUdeviceptr)dst, src, n, (CUstream)stream));
	WITH_CTX(ctx, p_cuMemcpyHtoD_v2((CUdeviceptr)dst, src, n));
}
int gpuenc_cuMemcpyDtoH(uintptr_t ctx, void *dst, uint64_t src, size_t n, uintptr_t stream, int async) {
	if (async) WITH_CTX(ctx, p_cuMemcpyDtoHAsync_v2(dst, (CUdeviceptr)src, n, (CUstream)stream));
	WITH_CTX(ctx, p_cuMemcpyDtoH_v2(dst, (CUdeviceptr)src, n));
}
int gpuenc_cuMemcpyDtoD(uintptr_t ctx, uint64_t dst, uint64_t src, size_t n, uintptr_t stream, int async) {
	if (async) WITH_CTX(ctx, p_cuMemcpyDtoDAsync_v2((CUdeviceptr)dst, (CUdeviceptr)src, n, (CUstream)stream));
	WITH_CTX(ctx, p_cuMemcpyDtoD_v2((CUdeviceptr)dst, (CUdeviceptr)src, n));
}

int gpuenc_cuMemcpy2D(uintptr_t ctx,
	void *dstHost, uint64_t dstDev, size_t dstPitch,
	const void *srcHost, uint64_t srcDev, size_t srcPitch,
	size_t widthBytes, size_t height, uintptr_t stream, int async) {
	CUDA_MEMCPY2D c;
	memset(&c, 0, sizeof c);
	if (srcHost != NULL) {
		c.srcMemoryType = CU_MEMORYTYPE_HOST;
		c.srcHost = srcHost;
	} else {
		c.srcMemoryType = CU_MEMORYTYPE_DEVICE;
		c.srcDevice = (CUdeviceptr)srcDev;
	}
	c.srcPitch = srcPitch;
	if (dstHost != NULL) {
		c.dstMemoryType = CU_MEMORYTYPE_HOST;
		c.dstHost = dstHost;
	} else {
		c.dstMemoryType = CU_MEMORYTYPE_DEVICE;
		c.dstDevice = (CUdeviceptr)dstDev;
	}
	c.dstPitch = dstPitch;
	c.WidthInBytes = widthBytes;
	c.Height = height;
	if (async) WITH_CTX(ctx, p_cuMemcpy2DAsync_v2(&c, (CUstream)stream));
	WITH_CTX(ctx, p_cuMemcpy2D_v2(&c));
}

int gpuenc_cuStreamCreate(uintptr_t ctx, uintptr_t *stream, unsigned int flags) {
	CUstream s = NULL;
	LOADED();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuStreamCreate(&s, flags);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*stream = (uintptr_t)s;
	return r;
}
int gpuenc_cuStreamDestroy(uintptr_t ctx, uintptr_t stream) { WITH_CTX(ctx, p_cuStreamDestroy_v2((CUstream)stream)); }
int gpuenc_cuStreamSynchronize(uintptr_t ctx, uintptr_t stream) { WITH_CTX(ctx, p_cuStreamSynchronize((CUstream)stream)); }

// The graph calls answer GPUENC_NOT_SUPPORTED where the driver lacks them.
#define GRAPH_API() do { LOADED(); if (p_cuGraphInstantiateWithFlags == NULL || p_cuStreamBeginCapture_v2 == NULL || \
	p_cuStreamEndCapture == NULL || p_cuGraphLaunch == NULL || p_cuGraphExecDestroy == NULL || p_cuGraphDestroy == NULL) \
	return GPUENC_NOT_SUPPORTED; } while (0)
int gpuenc_cuStreamBeginCapture(uintptr_t ctx, uintptr_t stream) {
	GRAPH_API();
	WITH_CTX(ctx, p_cuStreamBeginCapture_v2((CUstream)stream, GPUENC_CAPTURE_MODE_RELAXED));
}
int gpuenc_cuStreamEndCapture(uintptr_t ctx, uintptr_t stream, uintptr_t *graph) {
	CUgraph g = NULL;
	GRAPH_API();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuStreamEndCapture((CUstream)stream, &g);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*graph = (uintptr_t)g;
	return r;
}
int gpuenc_cuGraphInstantiate(uintptr_t ctx, uintptr_t *exec, uintptr_t graph) {
	CUgraphExec e = NULL;
	GRAPH_API();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuGraphInstantiateWithFlags(&e, (CUgraph)graph, 0);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*exec = (uintptr_t)e;
	return r;
}
int gpuenc_cuGraphLaunch(uintptr_t ctx, uintptr_t exec, uintptr_t stream) {
	GRAPH_API();
	WITH_CTX(ctx, p_cuGraphLaunch((CUgraphExec)exec, (CUstream)stream));
}
int gpuenc_cuGraphExecDestroy(uintptr_t ctx, uintptr_t exec) {
	GRAPH_API();
	WITH_CTX(ctx, p_cuGraphExecDestroy((CUgraphExec)exec));
}
int gpuenc_cuGraphDestroy(uintptr_t ctx, uintptr_t graph) {
	GRAPH_API();
	WITH_CTX(ctx, p_cuGraphDestroy((CUgraph)graph));
}
int gpuenc_cuStreamWaitEvent(uintptr_t ctx, uintptr_t stream, uintptr_t event) { WITH_CTX(ctx, p_cuStreamWaitEvent((CUstream)stream, (CUevent)event, 0)); }

int gpuenc_cuEventCreate(uintptr_t ctx, uintptr_t *event, unsigned int flags) {
	CUevent e = NULL;
	LOADED();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuEventCreate(&e, flags);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*event = (uintptr_t)e;
	return r;
}
int gpuenc_cuEventDestroy(uintptr_t ctx, uintptr_t event) { WITH_CTX(ctx, p_cuEventDestroy_v2((CUevent)event)); }
int gpuenc_cuEventRecord(uintptr_t ctx, uintptr_t event, uintptr_t stream) { WITH_CTX(ctx, p_cuEventRecord((CUevent)event, (CUstream)stream)); }
int gpuenc_cuEventSynchronize(uintptr_t ctx, uintptr_t event) { WITH_CTX(ctx, p_cuEventSynchronize((CUevent)event)); }
int gpuenc_cuEventQuery(uintptr_t ctx, uintptr_t event) { WITH_CTX(ctx, p_cuEventQuery((CUevent)event)); }
int gpuenc_cuEventElapsedTime(uintptr_t ctx, float *ms, uintptr_t start, uintptr_t end) {
	WITH_CTX(ctx, p_cuEventElapsedTime(ms, (CUevent)start, (CUevent)end));
}

int gpuenc_cuModuleLoadDataEx(uintptr_t ctx, uintptr_t *module, const void *image,
	char *errlog, size_t errlen, char *infolog, size_t infolen) {
	CUmodule m = NULL;
	LOADED();
	CUjit_option opts[4] = {
		CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
		CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
	};
	void *vals[4] = {
		errlog, (void *)(uintptr_t)errlen,
		infolog, (void *)(uintptr_t)infolen,
	};
	if (errlen > 0) errlog[0] = 0;
	if (infolen > 0) infolog[0] = 0;
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuModuleLoadDataEx(&m, image, 4, opts, vals);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	if (errlen > 0) errlog[errlen - 1] = 0;
	if (infolen > 0) infolog[infolen - 1] = 0;
	*module = (uintptr_t)m;
	return r;
}
int gpuenc_cuModuleUnload(uintptr_t ctx, uintptr_t module) { WITH_CTX(ctx, p_cuModuleUnload((CUmodule)module)); }
int gpuenc_cuModuleGetFunction(uintptr_t ctx, uintptr_t *fn, uintptr_t module, const char *name) {
	CUfunction f = NULL;
	LOADED();
	CUresult r = p_cuCtxPushCurrent_v2((CUcontext)ctx);
	if (r != CUDA_SUCCESS) return r;
	r = p_cuModuleGetFunction(&f, (CUmodule)module, name);
	CUcontext popped;
	p_cuCtxPopCurrent_v2(&popped);
	*fn = (uintptr_t)f;
	return r;
}

int gpuenc_cuLaunchKernel(uintptr_t ctx, uintptr_t fn,
	unsigned int gx, unsigned int gy, unsigned int gz,
	unsigned int bx, unsigned int by, unsigned int bz,
	unsigned int shmem, uintptr_t stream,
	const void *blob, const uint32_t *offsets, int nparams) {
	void *params[nparams > 0 ? nparams : 1];
	for (int i = 0; i < nparams; i++) {
		params[i] = (void *)((const char *)blob + offsets[i]);
	}
	WITH_CTX(ctx, p_cuLaunchKernel((CUfunction)fn, gx, gy, gz, bx, by, bz, shmem,
		(CUstream)stream, nparams > 0 ? params : NULL, NULL));
}
