package h264

import (
	"testing"
)

// FuzzEncode codes a short random clip at a random size, QP, preset, GOP
// and adaptive quantisation strength and requires both decoders to
// reproduce the reconstruction exactly.
func FuzzEncode(f *testing.F) {
	f.Add(uint8(17), uint8(9), uint8(30), uint8(2), uint8(3), int64(1))
	f.Add(uint8(1), uint8(1), uint8(0), uint8(0), uint8(2), int64(2))
	f.Add(uint8(40), uint8(33), uint8(51), uint8(5), uint8(4), int64(3))
	f.Fuzz(func(t *testing.T, w, h, qp, presetIdx, frames uint8, seed int64) {
		o := Options{
			Width: int(w)%70 + 1, Height: int(h)%50 + 1,
			RateControl: ConstantQP, QP: int(qp) % 52,
			Preset:     Presets[int(presetIdx)%len(Presets)],
			GOP:        int(frames)%3 + 1,
			Threads:    2,
			AQStrength: float64(seed&3) / 2, // 0 (off with constant QP) .. 1.5
		}
		n := int(frames)%4 + 1
		pics := make([]*Picture, n)
		for i := range pics {
			pics[i] = synthFrame(o.Width, o.Height, i*int(seed%5), seed)
		}
		encodeAndCheck(t, o, pics, nil)
	})
}
