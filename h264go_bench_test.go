package gpuenc_test

import (
	"context"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/internal/oracle"
)

// BenchmarkH264GoVsPeers encodes the same 30 frames of testsrc2 (yuv420p)
// with h264_go and its peers, all on GOMAXPROCS threads, in one run: libx264
// at presets ultrafast and veryfast (through the Writer, into a raw H.264
// stream) and openh264 (its own program; only its encoding is timed). Each
// reports an fps metric; README gives the ratios.
func BenchmarkH264GoVsPeers(b *testing.B) {
	const n = 30
	threads := strconv.Itoa(runtime.GOMAXPROCS(0))
	for _, res := range []struct {
		name string
		w, h int
	}{{"720p", 1280, 720}, {"1080p", 1920, 1080}} {
		src := source(b, gpuenc.YUV420P, res.w, res.h, n)
		writer := func(encoder string, opts map[string]string) func(b *testing.B) {
			return func(b *testing.B) {
				start := time.Now()
				for b.Loop() {
					w, err := gpuenc.NewWriter(io.Discard, gpuenc.WriterOptions{Container: "h264"})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := w.AddVideoStream(gpuenc.StreamConfig{Width: res.w, Height: res.h, Format: gpuenc.YUV420P,
						FrameRate: gpuenc.Rational{Num: 30, Den: 1}, Encoder: encoder, Options: opts}); err != nil {
						b.Fatal(err)
					}
					if err := w.Write(context.Background(), 0, src); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "fps")
			}
		}
		b.Run(res.name+"/h264_go-medium", writer("h264_go", map[string]string{"threads": threads, "qp": "26"}))
		b.Run(res.name+"/h264_go-medium-lookahead", writer("h264_go", map[string]string{"threads": threads, "qp": "26", "rc-lookahead": "20"}))
		b.Run(res.name+"/h264_go-ultrafast", writer("h264_go", map[string]string{"threads": threads, "qp": "26", "preset": "ultrafast"}))
		b.Run(res.name+"/libx264-ultrafast", writer("libx264", map[string]string{"threads": threads, "qp": "26", "preset": "ultrafast"}))
		b.Run(res.name+"/libx264-veryfast", writer("libx264", map[string]string{"threads": threads, "qp": "26", "preset": "veryfast"}))
		b.Run(res.name+"/openh264", func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				_, took, err := oracle.OpenH264Encode(context.Background(), src.Bytes(), res.w, res.h, 26, runtime.GOMAXPROCS(0))
				if err != nil {
					b.Fatal(err)
				}
				total += took
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "fps")
		})
	}
}
