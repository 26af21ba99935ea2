package quality

import (
	"math/rand"
	"testing"
)

// frame1080p returns a 1920x1080 yuv420p reference and a distorted copy.
func frame1080p() (ref, dist []Plane) {
	rng := rand.New(rand.NewSource(42))
	ref = []Plane{smoothPlane(rng, 1920, 1080, 0), smoothPlane(rng, 960, 540, 0), smoothPlane(rng, 960, 540, 0)}
	dist = []Plane{distort(rng, ref[0], 6, 0), distort(rng, ref[1], 4, 0), distort(rng, ref[2], 4, 0)}
	return ref, dist
}

func benchFrame(b *testing.B, doPSNR, doSSIM bool) {
	ref, dist := frame1080p()
	b.SetBytes(1920 * 1080 * 3 / 2)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := measurePlanes(ref, dist, doPSNR, doSSIM); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSSIM1080p measures SSIM of all three planes of one 1080p
// yuv420p frame (bytes/s counts reference samples).
func BenchmarkSSIM1080p(b *testing.B) { benchFrame(b, false, true) }

// BenchmarkPSNR1080p measures the squared errors of all three planes of one
// 1080p yuv420p frame.
func BenchmarkPSNR1080p(b *testing.B) { benchFrame(b, true, false) }

// BenchmarkMeterAdd1080p measures Meter.Add (PSNR and SSIM) on one 1080p
// frame.
func BenchmarkMeterAdd1080p(b *testing.B) {
	ref, dist := frame1080p()
	b.SetBytes(1920 * 1080 * 3 / 2)
	b.ReportAllocs()
	m := Meter{DropFrames: true}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Add(ref, dist); err != nil {
			b.Fatal(err)
		}
	}
}
