#include "shim.h"
#include "_cgo_export.h"

#include <stdio.h>

static void gpuenc_log_callback(void *ptr, int level, const char *fmt, va_list vl) {
	if (level > av_log_get_level()) {
		return;
	}
	char line[1024];
	int print_prefix = 1;
	av_log_format_line2(ptr, level, fmt, vl, line, sizeof(line), &print_prefix);
	gpuencLogLine(level, line);
}

void gpuenc_install_log_callback(void) { av_log_set_callback(gpuenc_log_callback); }

void gpuenc_set_log_level(int level) { av_log_set_level(level); }

static int gpuenc_read(void *opaque, uint8_t *buf, int size) {
	return gpuencIORead((uintptr_t)opaque, buf, size);
}

static int gpuenc_write(void *opaque, const uint8_t *buf, int size) {
	return gpuencIOWrite((uintptr_t)opaque, (uint8_t *)buf, size);
}

static int64_t gpuenc_seek(void *opaque, int64_t offset, int whence) {
	return gpuencIOSeek((uintptr_t)opaque, offset, whence);
}

AVIOContext *gpuenc_avio_alloc(uintptr_t handle, int writable, int seekable, int readable) {
	const int size = 1 << 16;
	unsigned char *buf = av_malloc(size);
	if (!buf) {
		return NULL;
	}
	AVIOContext *pb = avio_alloc_context(buf, size, writable, (void *)handle,
		readable ? gpuenc_read : NULL, writable ? gpuenc_write : NULL, seekable ? gpuenc_seek : NULL);
	if (!pb) {
		av_free(buf);
		return NULL;
	}
	if (!seekable) {
		pb->seekable = 0;
	}
	return pb;
}

int gpuenc_averror(int e) { return AVERROR(e); }

const char *gpuenc_errstr(int code, char *buf, size_t size) {
	av_strerror(code, buf, size);
	return buf;
}

// gpuenc_cuda_device_ctx makes an FFmpeg CUDA device context around a
// CUcontext that the caller already holds (gpuenc's cuda package), so that
// FFmpeg's encoders and gpuenc's own kernels and copies share one context.
int gpuenc_cuda_device_ctx(AVBufferRef **out, uintptr_t cuda_ctx) {
	AVBufferRef *ref = av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA);
	if (!ref) {
		return AVERROR(ENOMEM);
	}
	AVHWDeviceContext *dev = (AVHWDeviceContext *)ref->data;
	AVCUDADeviceContext *cu = dev->hwctx;
	cu->cuda_ctx = (CUcontext)cuda_ctx;
	int ret = av_hwdevice_ctx_init(ref);
	if (ret < 0) {
		av_buffer_unref(&ref);
		return ret;
	}
	*out = ref;
	return 0;
}
