/*
 * words.h: samples four at a time. A word holds four consecutive 8-bit
 * samples, little-endian (sample k in bits 8k..8k+7).
 *   load4(p)          the samples p[0..3], p any address; on the GPU it
 *                     reads the two aligned words around them, so the
 *                     buffer must extend to the next word boundary past
 *                     p+3 (the motion planes' margins do)
 *   load4_aligned(p)  the same for a word-aligned p
 *   avg4_up(a, b)     (a + b + 1) >> 1 in each byte: the rounding average
 *                     of 8-250..8-261
 */
#ifndef GPUENC_WORDS_H
#define GPUENC_WORDS_H

#include "common.h"

#ifdef __CUDACC__
DEVICE_FN uint32_t load4(const uint8_t *p)
{
	uintptr_t a = (uintptr_t)p;
	const uint32_t *w = (const uint32_t *)(a & ~(uintptr_t)3);
	return __funnelshift_r(__ldg(w), __ldg(w + 1), (unsigned)(a & 3) * 8);
}

DEVICE_FN uint32_t load4_aligned(const uint8_t *p) { return __ldg((const uint32_t *)p); }
#else
#include <string.h>

DEVICE_FN uint32_t load4(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

DEVICE_FN uint32_t load4_aligned(const uint8_t *p) { return load4(p); }
#endif

DEVICE_FN uint32_t avg4_up(uint32_t a, uint32_t b) { return (a | b) - (((a ^ b) & 0xfefefefeu) >> 1); }

/* byte4: sample k (0..3) of word w. */
DEVICE_FN int byte4(uint32_t w, int k) { return (int)((w >> (8 * k)) & 255); }

#endif
