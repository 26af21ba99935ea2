package quality

import (
	"errors"
	"math"
	"testing"
)

// FuzzAdd: whatever the plane fields, Meter.Add returns nil or a typed
// error and never panics; when it accepts a frame, the figures agree with
// the slow references.
func FuzzAdd(f *testing.F) {
	f.Add(16, 16, 16, 256, 16, 16, 16, 256, byte(1))
	f.Add(1, 1, 1, 1, 1, 1, 1, 1, byte(0))
	f.Add(9, 9, 1<<62, 100, 9, 9, 9, 81, byte(7))
	f.Add(-3, 5, 5, 25, -3, 5, 5, 25, byte(2))
	f.Add(33, 17, 40, 40*16+33, 33, 17, 33, 33*17, byte(200))
	f.Fuzz(func(t *testing.T, w1, h1, s1, n1, w2, h2, s2, n2 int, seed byte) {
		mk := func(w, h, s, n int, k byte) Plane {
			if n < 0 || n > 1<<16 {
				n = 0
			}
			pix := make([]uint8, n)
			for i := range pix {
				pix[i] = uint8(i*int(k+1)) ^ k
			}
			return Plane{Width: w, Height: h, Stride: s, Pix: pix}
		}
		a, b := mk(w1, h1, s1, n1, seed), mk(w2, h2, s2, n2, seed^0x5a)
		var m Meter
		err := m.Add([]Plane{a}, []Plane{b})
		if err != nil {
			if !errors.Is(err, ErrInvalidPlane) && !errors.Is(err, ErrSizeMismatch) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		fr := m.Result().PerFrame[0]
		if want := refSSE(a, b); fr.SSE[0] != want {
			t.Fatalf("SSE %d, want %d", fr.SSE[0], want)
		}
		want := refSSIM(a, b)
		if got := fr.SSIM[0]; !(math.Abs(got-want) <= 1e-12 || math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("SSIM %v, want %v", got, want)
		}
	})
}

// FuzzBD: BD-rate and BD-PSNR return a number (never NaN) or a typed error,
// never a panic.
func FuzzBD(f *testing.F) {
	f.Add(100.0, 30.0, 200.0, 33.0, 400.0, 36.0, 800.0, 39.0, 1.1, 0.2, false)
	f.Add(100.0, 30.0, 100.0, 30.0, 400.0, 36.0, 800.0, 39.0, 1.0, 0.0, true)
	f.Add(0.0, 30.0, -1.0, 33.0, 400.0, math.NaN(), 800.0, 39.0, 2.0, 50.0, false)
	f.Fuzz(func(t *testing.T, r0, p0, r1, p1, r2, p2, r3, p3, k, c float64, cubic bool) {
		anchor := []RDPoint{{r0, p0}, {r1, p1}, {r2, p2}, {r3, p3}}
		test := make([]RDPoint, len(anchor))
		for i, p := range anchor {
			test[i] = RDPoint{Rate: p.Rate * k, PSNR: p.PSNR + c}
		}
		m := PCHIP
		if cubic {
			m = CubicFit
		}
		for _, fn := range []func([]RDPoint, []RDPoint, BDMethod) (float64, error){BDRateMethod, BDPSNRMethod} {
			v, err := fn(anchor, test, m)
			if err != nil {
				if !errors.Is(err, ErrNonMonotonic) && !errors.Is(err, ErrNoOverlap) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if math.IsNaN(v) {
				t.Fatalf("NaN for %v %v", anchor, test)
			}
		}
	})
}
