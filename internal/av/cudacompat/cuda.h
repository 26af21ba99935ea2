// libavutil/hwcontext_cuda.h includes <cuda.h>. gpuenc builds without the
// CUDA toolkit, so this stand-in gives it the driver API types from
// nv-codec-headers, which is what FFmpeg itself was built against.
#ifndef GPUENC_CUDA_COMPAT_H
#define GPUENC_CUDA_COMPAT_H
#include <ffnvcodec/dynlink_cuda.h>
#endif
