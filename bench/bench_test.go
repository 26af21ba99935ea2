package bench

import (
	"context"
	"testing"

	"github.com/gpuenc/gpuenc"
)

// BenchmarkMeasureFile measures the untimed quality step of a row: decoding
// 10 frames of 360p yuv444p H.264 and comparing them with the source.
func BenchmarkMeasureFile(b *testing.B) {
	src := testClip(b, 640, 360, 10, gpuenc.YUV444P)
	path := encodeFile(b, b.TempDir(), "m.mp4", src, map[string]string{"preset": "ultrafast"})
	crop := detailCrop(src, 5, 256, 144)
	b.SetBytes(int64(src.Len() * src.FrameSize()))
	for b.Loop() {
		if _, _, err := measureFile(context.Background(), path, src, 5, crop); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDetailCrop measures the choice of the spot-check window at 1080p.
func BenchmarkDetailCrop(b *testing.B) {
	f, err := gpuenc.NewFrames(gpuenc.YUV444P, 1920, 1080, 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		detailCrop(f, 0, 256, 144)
	}
}
