// shim.c: dlopen-based NVENC probe for package nvenc. See shim.h.

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <ffnvcodec/nvEncodeAPI.h>
#include "shim.h"

typedef NVENCSTATUS NVENCAPI tMaxVersion(uint32_t *version);
typedef NVENCSTATUS NVENCAPI tCreateInstance(NV_ENCODE_API_FUNCTION_LIST *list);

static void *lib_handle;
static tMaxVersion *p_max_version;
static tCreateInstance *p_create_instance;
static NV_ENCODE_API_FUNCTION_LIST fns;
static int have_fns;

int gpuenc_nvenc_load(const char *lib, char *errbuf, size_t errlen) {
	if (lib_handle != NULL) {
		return 0;
	}
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		const char *e = dlerror();
		snprintf(errbuf, errlen, "%s", e ? e : "dlopen failed");
		return 1;
	}
	p_max_version = (tMaxVersion *)dlsym(h, "NvEncodeAPIGetMaxSupportedVersion");
	p_create_instance = (tCreateInstance *)dlsym(h, "NvEncodeAPICreateInstance");
	if (p_max_version == NULL || p_create_instance == NULL) {
		snprintf(errbuf, errlen, "%s", p_max_version == NULL ?
			"NvEncodeAPIGetMaxSupportedVersion" : "NvEncodeAPICreateInstance");
		dlclose(h);
		return 2;
	}
	lib_handle = h;
	return 0;
}

uint32_t gpuenc_nvenc_header_version(void) {
	return (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
}

int gpuenc_nvenc_max_version(uint32_t *v) {
	if (lib_handle == NULL) return NV_ENC_ERR_INVALID_CALL;
	return p_max_version(v);
}

int gpuenc_nvenc_create_instance(void) {
	if (lib_handle == NULL) return NV_ENC_ERR_INVALID_CALL;
	if (have_fns) return NV_ENC_SUCCESS;
	memset(&fns, 0, sizeof fns);
	fns.version = NV_ENCODE_API_FUNCTION_LIST_VER;
	NVENCSTATUS s = p_create_instance(&fns);
	if (s == NV_ENC_SUCCESS) {
		if (fns.nvEncOpenEncodeSessionEx == NULL || fns.nvEncGetEncodeGUIDCount == NULL ||
			fns.nvEncGetEncodeGUIDs == NULL || fns.nvEncGetEncodeCaps == NULL ||
			fns.nvEncDestroyEncoder == NULL) {
			return NV_ENC_ERR_INVALID_VERSION;
		}
		have_fns = 1;
	}
	return s;
}

int gpuenc_nvenc_open(uintptr_t cuctx, uintptr_t *enc) {
	if (!have_fns) return NV_ENC_ERR_INVALID_CALL;
	NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS p;
	memset(&p, 0, sizeof p);
	p.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
	p.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
	p.device = (void *)cuctx;
	p.apiVersion = NVENCAPI_VERSION;
	void *e = NULL;
	NVENCSTATUS s = fns.nvEncOpenEncodeSessionEx(&p, &e);
	*enc = (uintptr_t)e;
	return s;
}

static int guid_eq(const GUID *a, const GUID *b) {
	return memcmp(a, b, sizeof(GUID)) == 0;
}

static int query_cap(void *enc, GUID codec, NV_ENC_CAPS cap, int *val) {
	NV_ENC_CAPS_PARAM p;
	memset(&p, 0, sizeof p);
	p.version = NV_ENC_CAPS_PARAM_VER;
	p.capsToQuery = cap;
	*val = 0;
	return fns.nvEncGetEncodeCaps(enc, codec, &p, val);
}

int gpuenc_nvenc_query(uintptr_t encp, gpuenc_codec_caps *caps) {
	if (!have_fns) return NV_ENC_ERR_INVALID_CALL;
	void *enc = (void *)encp;
	const GUID *codecs[GPUENC_CODEC_COUNT] = {
		&NV_ENC_CODEC_H264_GUID, &NV_ENC_CODEC_HEVC_GUID, &NV_ENC_CODEC_AV1_GUID,
	};
	memset(caps, 0, sizeof(gpuenc_codec_caps) * GPUENC_CODEC_COUNT);
	uint32_t n = 0;
	NVENCSTATUS s = fns.nvEncGetEncodeGUIDCount(enc, &n);
	if (s != NV_ENC_SUCCESS) return s;
	if (n > 64) n = 64;
	GUID guids[64];
	uint32_t got = 0;
	if (n > 0) {
		s = fns.nvEncGetEncodeGUIDs(enc, guids, n, &got);
		if (s != NV_ENC_SUCCESS) return s;
	}
	for (int c = 0; c < GPUENC_CODEC_COUNT; c++) {
		for (uint32_t i = 0; i < got; i++) {
			if (guid_eq(&guids[i], codecs[c])) caps[c].present = 1;
		}
		if (!caps[c].present) continue;
		int st;
		if ((st = query_cap(enc, *codecs[c], NV_ENC_CAPS_SUPPORT_YUV444_ENCODE, &caps[c].yuv444)) != 0 ||
			(st = query_cap(enc, *codecs[c], NV_ENC_CAPS_SUPPORT_10BIT_ENCODE, &caps[c].bit10)) != 0 ||
			(st = query_cap(enc, *codecs[c], NV_ENC_CAPS_WIDTH_MAX, &caps[c].width_max)) != 0 ||
			(st = query_cap(enc, *codecs[c], NV_ENC_CAPS_HEIGHT_MAX, &caps[c].height_max)) != 0) {
			caps[c].status = st;
		}
	}
	return NV_ENC_SUCCESS;
}

int gpuenc_nvenc_destroy(uintptr_t enc) {
	if (!have_fns) return NV_ENC_ERR_INVALID_CALL;
	return fns.nvEncDestroyEncoder((void *)enc);
}

void gpuenc_nvenc_last_error(uintptr_t enc, char *buf, size_t len) {
	buf[0] = 0;
	if (!have_fns || enc == 0 || fns.nvEncGetLastErrorString == NULL) return;
	const char *s = fns.nvEncGetLastErrorString((void *)enc);
	if (s != NULL) snprintf(buf, len, "%s", s);
}
