// Small C helpers for package av: the parts of the FFmpeg API that cgo
// cannot call directly (variadic logging, callbacks, macros).
#ifndef GPUENC_AV_SHIM_H
#define GPUENC_AV_SHIM_H

#include <stdint.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

void gpuenc_install_log_callback(void);
void gpuenc_set_log_level(int level);
AVIOContext *gpuenc_avio_alloc(uintptr_t handle, int writable, int seekable, int readable);
int gpuenc_averror(int e);
const char *gpuenc_errstr(int code, char *buf, size_t size);
int gpuenc_cuda_device_ctx(AVBufferRef **out, uintptr_t cuda_ctx);

#endif
