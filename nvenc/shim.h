// shim.h: the run-time bound NVENC API used by package nvenc's probe.
// libnvidia-encode.so.1 is opened with dlopen; types, GUIDs and status codes
// come from ffnvcodec's nvEncodeAPI.h (NVENC API 12.1).

#ifndef GPUENC_NVENC_SHIM_H
#define GPUENC_NVENC_SHIM_H

#include <stddef.h>
#include <stdint.h>

// Codec indices shared with the Go side.
enum { GPUENC_CODEC_H264 = 0, GPUENC_CODEC_HEVC = 1, GPUENC_CODEC_AV1 = 2, GPUENC_CODEC_COUNT = 3 };

typedef struct {
	int present;      // the codec's GUID is among NvEncGetEncodeGUIDs
	int status;       // first failing NvEncGetEncodeCaps status, 0 if none
	int yuv444;       // NV_ENC_CAPS_SUPPORT_YUV444_ENCODE
	int bit10;        // NV_ENC_CAPS_SUPPORT_10BIT_ENCODE
	int width_max;    // NV_ENC_CAPS_WIDTH_MAX
	int height_max;   // NV_ENC_CAPS_HEIGHT_MAX
} gpuenc_codec_caps;

// gpuenc_nvenc_load opens lib and resolves NvEncodeAPIGetMaxSupportedVersion
// and NvEncodeAPICreateInstance. 0: ok; 1: dlopen failed; 2: symbol
// missing. errbuf receives the detail.
int gpuenc_nvenc_load(const char *lib, char *errbuf, size_t errlen);

// gpuenc_nvenc_header_version is the header's API version as
// NvEncodeAPIGetMaxSupportedVersion encodes it: (major << 4) | minor.
uint32_t gpuenc_nvenc_header_version(void);
int gpuenc_nvenc_max_version(uint32_t *v);
int gpuenc_nvenc_create_instance(void);

// gpuenc_nvenc_open opens a session on a CUDA context (device type CUDA).
int gpuenc_nvenc_open(uintptr_t cuctx, uintptr_t *enc);
// gpuenc_nvenc_query lists the encode GUIDs and fills caps[GPUENC_CODEC_COUNT].
int gpuenc_nvenc_query(uintptr_t enc, gpuenc_codec_caps *caps);
int gpuenc_nvenc_destroy(uintptr_t enc);
// gpuenc_nvenc_last_error copies NvEncGetLastErrorString (may be empty).
void gpuenc_nvenc_last_error(uintptr_t enc, char *buf, size_t len);

#endif
