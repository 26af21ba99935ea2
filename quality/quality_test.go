package quality

import (
	"errors"
	"math"
	"math/rand"
	"runtime"
	"testing"
)

// randomPlane returns a w x h plane with stride w+pad, whose padding holds
// junk that must never be read into the figures.
func randomPlane(rng *rand.Rand, w, h, pad int) Plane {
	p := Plane{Width: w, Height: h, Stride: w + pad, Pix: make([]uint8, (h-1)*(w+pad)+w)}
	for i := range p.Pix {
		p.Pix[i] = uint8(rng.Intn(256))
	}
	return p
}

// distort returns a copy of p with each sample moved by up to ±amp, with
// its own stride and padding.
func distort(rng *rand.Rand, p Plane, amp, pad int) Plane {
	q := randomPlane(rng, p.Width, p.Height, pad)
	for y := 0; y < p.Height; y++ {
		for x := 0; x < p.Width; x++ {
			v := int(p.Pix[y*p.Stride+x]) + rng.Intn(2*amp+1) - amp
			q.Pix[y*q.Stride+x] = uint8(min(max(v, 0), 255))
		}
	}
	return q
}

// smoothPlane returns a plane with gradients, so SSIM is far from 0.
func smoothPlane(rng *rand.Rand, w, h, pad int) Plane {
	p := randomPlane(rng, w, h, pad)
	fx, fy := rng.Float64()*0.2, rng.Float64()*0.2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p.Pix[y*p.Stride+x] = uint8(128 + 100*math.Sin(fx*float64(x)+fy*float64(y)))
		}
	}
	return p
}

// refSSE is the obvious sum of squared differences.
func refSSE(a, b Plane) uint64 {
	var s uint64
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width; x++ {
			d := int64(a.Pix[y*a.Stride+x]) - int64(b.Pix[y*b.Stride+x])
			s += uint64(d * d)
		}
	}
	return s
}

// refSSIM computes FFmpeg's SSIM window by window straight from the
// samples: every 8x8 window at multiples of 4 that fits in the plane, the
// SSIM formula of vf_ssim.c's ssim_end1 in float32, the mean over windows
// with FFmpeg's divisor.
func refSSIM(a, b Plane) float64 {
	var total float64
	for wy := 0; wy+8 <= (a.Height>>2)<<2; wy += 4 {
		var row float64
		for wx := 0; wx+8 <= (a.Width>>2)<<2; wx += 4 {
			var s1, s2, ss, s12 int64
			for y := wy; y < wy+8; y++ {
				for x := wx; x < wx+8; x++ {
					p, q := int64(a.Pix[y*a.Stride+x]), int64(b.Pix[y*b.Stride+x])
					s1 += p
					s2 += q
					ss += p*p + q*q
					s12 += p * q
				}
			}
			vars := ss*64 - s1*s1 - s2*s2
			covar := s12*64 - s1*s2
			v := float32(2*s1*s2+416) * float32(2*covar+235963) /
				(float32(s1*s1+s2*s2+416) * float32(vars+235963))
			row += float64(v)
		}
		total += row
	}
	den := ((a.Width >> 2) - 1) * ((a.Height >> 2) - 1)
	return total / float64(den)
}

var testSizes = [][2]int{
	{1, 1}, {3, 5}, {8, 8}, {9, 8}, {12, 12}, {16, 16}, {17, 33}, {33, 17},
	{40, 40}, {64, 64}, {65, 130}, {176, 144}, {200, 300}, {13, 257},
}

func TestPlaneSSEMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, sz := range testSizes {
		for _, pad := range []int{0, 3} {
			a := randomPlane(rng, sz[0], sz[1], pad)
			b := distort(rng, a, 20, 5-pad)
			got, err := PlaneSSE(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if want := refSSE(a, b); got != want {
				t.Errorf("%dx%d pad %d: SSE %d, want %d", sz[0], sz[1], pad, got, want)
			}
			// Fully random planes too: large differences.
			c := randomPlane(rng, sz[0], sz[1], pad)
			got, _ = PlaneSSE(a, c)
			if want := refSSE(a, c); got != want {
				t.Errorf("%dx%d random: SSE %d, want %d", sz[0], sz[1], got, want)
			}
		}
	}
}

func TestPlaneSSIMMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, sz := range testSizes {
		for _, amp := range []int{1, 8, 60, 255} {
			a := smoothPlane(rng, sz[0], sz[1], 2)
			b := distort(rng, a, amp, 1)
			got, err := PlaneSSIM(a, b)
			if err != nil {
				t.Fatal(err)
			}
			want := refSSIM(a, b)
			if math.IsNaN(want) {
				if !math.IsNaN(got) {
					t.Errorf("%dx%d amp %d: SSIM %v, want NaN", sz[0], sz[1], amp, got)
				}
				continue
			}
			// Only the grouping of the float64 sums differs (bands vs rows).
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("%dx%d amp %d: SSIM %.15f, want %.15f", sz[0], sz[1], amp, got, want)
			}
		}
	}
}

func TestIdenticalPlanes(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	a := randomPlane(rng, 48, 40, 4)
	b := Plane{Width: 48, Height: 40, Stride: 48, Pix: make([]uint8, 48*40)}
	for y := 0; y < 40; y++ {
		copy(b.Pix[y*48:], a.Pix[y*a.Stride:y*a.Stride+48])
	}
	r, err := Compare([][]Plane{{a}}, [][]Plane{{b}})
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(r.PSNR[0], 1) || !math.IsInf(r.PerFrame[0].PSNR[0], 1) || !math.IsInf(r.PSNRAvg, 1) {
		t.Errorf("PSNR of identical planes: %v %v %v, want +Inf", r.PSNR[0], r.PerFrame[0].PSNR[0], r.PSNRAvg)
	}
	if r.SSIM[0] != 1 || !math.IsInf(r.SSIMdB[0], 1) {
		t.Errorf("SSIM of identical planes: %v (%v dB), want 1 (+Inf)", r.SSIM[0], r.SSIMdB[0])
	}
}

// frameSet builds n random yuv420p frames of size w x h and their
// distortions.
func frameSet(rng *rand.Rand, w, h, n int) (ref, dist [][]Plane) {
	cw, ch := (w+1)/2, (h+1)/2
	for i := 0; i < n; i++ {
		r := []Plane{smoothPlane(rng, w, h, 1), smoothPlane(rng, cw, ch, 0), smoothPlane(rng, cw, ch, 7)}
		d := []Plane{distort(rng, r[0], 5+i, 0), distort(rng, r[1], 3, 2), distort(rng, r[2], 9, 0)}
		ref, dist = append(ref, r), append(dist, d)
	}
	return ref, dist
}

func TestFrameFigures(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	ref, dist := frameSet(rng, 70, 50, 3)
	r, err := Compare(ref, dist)
	if err != nil {
		t.Fatal(err)
	}
	var sumMSE611, sumPSNR611, sumMSEAvg [1]float64
	var sumMSE [3]float64
	for i, fr := range r.PerFrame {
		var sse, n uint64
		var mse [3]float64
		for p := 0; p < 3; p++ {
			s := refSSE(ref[i][p], dist[i][p])
			sz := uint64(ref[i][p].Width * ref[i][p].Height)
			mse[p] = float64(s) / float64(sz)
			sse += s
			n += sz
			if fr.SSE[p] != s || fr.MSE[p] != mse[p] {
				t.Errorf("frame %d plane %d: SSE %d MSE %v, want %d %v", i, p, fr.SSE[p], fr.MSE[p], s, mse[p])
			}
			sumMSE[p] += mse[p]
		}
		// psnr_avg is total SSE over total samples.
		if want := float64(sse) / float64(n); math.Abs(fr.MSEAvg-want) > 1e-12*want {
			t.Errorf("frame %d: MSEAvg %v, want %v", i, fr.MSEAvg, want)
		}
		want611 := (6*mse[0] + mse[1] + mse[2]) / 8
		if math.Abs(fr.MSE611-want611) > 1e-12*want611 {
			t.Errorf("frame %d: MSE611 %v, want %v", i, fr.MSE611, want611)
		}
		if want := 10 * math.Log10(255*255/want611); math.Abs(fr.PSNR611-want) > 1e-9 {
			t.Errorf("frame %d: PSNR611 %v, want %v", i, fr.PSNR611, want)
		}
		sumMSE611[0] += want611
		sumPSNR611[0] += fr.PSNR611
		sumMSEAvg[0] += fr.MSEAvg
		for p := 0; p < 3; p++ {
			if want := refSSIM(ref[i][p], dist[i][p]); math.Abs(fr.SSIM[p]-want) > 1e-12 {
				t.Errorf("frame %d plane %d: SSIM %v, want %v", i, p, fr.SSIM[p], want)
			}
		}
	}
	for p := 0; p < 3; p++ {
		if want := 10 * math.Log10(255*255/(sumMSE[p]/3)); math.Abs(r.PSNR[p]-want) > 1e-9 {
			t.Errorf("plane %d: sequence PSNR %v, want PSNR of mean MSE %v", p, r.PSNR[p], want)
		}
		mean := (r.PerFrame[0].PSNR[p] + r.PerFrame[1].PSNR[p] + r.PerFrame[2].PSNR[p]) / 3
		if math.Abs(r.MeanPSNR[p]-mean) > 1e-9 {
			t.Errorf("plane %d: mean PSNR %v, want %v", p, r.MeanPSNR[p], mean)
		}
	}
	if want := 10 * math.Log10(255*255/(sumMSE611[0]/3)); math.Abs(r.PSNR611-want) > 1e-9 {
		t.Errorf("PSNR611 %v, want %v", r.PSNR611, want)
	}
	if want := sumPSNR611[0] / 3; math.Abs(r.MeanPSNR611-want) > 1e-9 {
		t.Errorf("MeanPSNR611 %v, want %v", r.MeanPSNR611, want)
	}
	if want := 10 * math.Log10(255*255/(sumMSEAvg[0]/3)); math.Abs(r.PSNRAvg-want) > 1e-9 {
		t.Errorf("PSNRAvg %v, want %v", r.PSNRAvg, want)
	}
}

func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	ref, dist := frameSet(rng, 301, 517, 3)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var results []Result
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		r1, err := Compare(ref, dist)
		if err != nil {
			t.Fatal(err)
		}
		var m Meter
		for i := range ref {
			if err := m.Add(ref[i], dist[i]); err != nil {
				t.Fatal(err)
			}
		}
		results = append(results, r1, m.Result())
	}
	for i := 1; i < len(results); i++ {
		if !sameResult(results[0], results[i]) {
			t.Fatalf("result %d differs:\n%+v\n%+v", i, results[0], results[i])
		}
	}
}

// sameResult compares two results bit for bit (NaN equal to NaN).
func sameResult(a, b Result) bool {
	eq := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	if a.Frames != b.Frames || a.Planes != b.Planes || len(a.PerFrame) != len(b.PerFrame) {
		return false
	}
	for i := range a.PerFrame {
		fa, fb := a.PerFrame[i], b.PerFrame[i]
		for p := 0; p < MaxPlanes; p++ {
			if fa.SSE[p] != fb.SSE[p] || !eq(fa.SSIM[p], fb.SSIM[p]) || !eq(fa.PSNR[p], fb.PSNR[p]) {
				return false
			}
		}
		if !eq(fa.SSIMAll, fb.SSIMAll) || !eq(fa.MSEAvg, fb.MSEAvg) {
			return false
		}
	}
	for p := 0; p < MaxPlanes; p++ {
		if !eq(a.PSNR[p], b.PSNR[p]) || !eq(a.SSIM[p], b.SSIM[p]) || !eq(a.MeanPSNR[p], b.MeanPSNR[p]) {
			return false
		}
	}
	return eq(a.PSNRAvg, b.PSNRAvg) && eq(a.SSIMAll, b.SSIMAll) && eq(a.PSNR611, b.PSNR611) &&
		eq(a.PSNRAvgMin, b.PSNRAvgMin) && eq(a.PSNRAvgMax, b.PSNRAvgMax)
}

func TestDropFrames(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	ref, dist := frameSet(rng, 40, 30, 4)
	var keep, drop Meter
	drop.DropFrames = true
	for i := range ref {
		if err := keep.Add(ref[i], dist[i]); err != nil {
			t.Fatal(err)
		}
		if err := drop.Add(ref[i], dist[i]); err != nil {
			t.Fatal(err)
		}
	}
	rk, rd := keep.Result(), drop.Result()
	if rd.PerFrame != nil || len(rk.PerFrame) != 4 {
		t.Fatalf("PerFrame: kept %d, dropped %v", len(rk.PerFrame), rd.PerFrame)
	}
	rk.PerFrame = nil
	if !sameResult(rk, rd) {
		t.Errorf("sequence figures differ:\n%+v\n%+v", rk, rd)
	}
	var empty Meter
	if r := empty.Result(); r.Frames != 0 || r.PerFrame != nil {
		t.Errorf("empty meter: %+v", r)
	}
}

func TestErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	a := randomPlane(rng, 16, 16, 0)
	b := randomPlane(rng, 16, 16, 0)
	small := randomPlane(rng, 8, 16, 0)

	_, err := PlaneSSE(a, small)
	var sm *SizeMismatchError
	if !errors.Is(err, ErrSizeMismatch) || !errors.As(err, &sm) || sm.DistW != 8 {
		t.Errorf("size mismatch: %v", err)
	}

	var m Meter
	err = m.Add([]Plane{a, a}, []Plane{b})
	var pc *PlaneCountError
	if !errors.Is(err, ErrPlaneCount) || !errors.As(err, &pc) || pc.Ref != 2 || pc.Dist != 1 {
		t.Errorf("plane count: %v", err)
	}
	if err := m.Add(nil, nil); !errors.Is(err, ErrPlaneCount) {
		t.Errorf("no planes: %v", err)
	}
	five := []Plane{a, a, a, a, a}
	if err := m.Add(five, five); !errors.Is(err, ErrPlaneCount) {
		t.Errorf("five planes: %v", err)
	}

	bad := a
	bad.Pix = bad.Pix[:100]
	var ip *InvalidPlaneError
	if err := m.Add([]Plane{a}, []Plane{bad}); !errors.Is(err, ErrInvalidPlane) || !errors.As(err, &ip) || !ip.Dist {
		t.Errorf("short buffer: %v", err)
	}
	bad = a
	bad.Stride = 15
	if err := m.Add([]Plane{bad}, []Plane{a}); !errors.Is(err, ErrInvalidPlane) {
		t.Errorf("short stride: %v", err)
	}
	bad = Plane{}
	if _, err := PlaneSSIM(bad, bad); !errors.Is(err, ErrInvalidPlane) {
		t.Errorf("empty plane: %v", err)
	}
	if r := m.Result(); r.Frames != 0 {
		t.Errorf("failed Adds were counted: %d frames", r.Frames)
	}

	if err := m.Add([]Plane{a}, []Plane{b}); err != nil {
		t.Fatal(err)
	}
	var gc *GeometryChangeError
	if err := m.Add([]Plane{small}, []Plane{small}); !errors.Is(err, ErrGeometryChange) || !errors.As(err, &gc) || gc.Frame != 1 {
		t.Errorf("geometry change: %v", err)
	}
	if err := m.Add([]Plane{a, a}, []Plane{b, b}); !errors.Is(err, ErrGeometryChange) {
		t.Errorf("plane count change: %v", err)
	}

	var fc *FrameCountError
	if _, err := Compare([][]Plane{{a}}, nil); !errors.Is(err, ErrFrameCount) || !errors.As(err, &fc) {
		t.Errorf("frame count: %v", err)
	}
	if _, err := Compare([][]Plane{{a}, {small}}, [][]Plane{{b}, {small}}); !errors.Is(err, ErrGeometryChange) {
		t.Errorf("Compare geometry change: %v", err)
	}
}

func TestWeighted611(t *testing.T) {
	for n, want := range map[int][MaxPlanes]float64{
		1: {1, 0, 0, 0},
		2: {6.0 / 7, 1.0 / 7, 0, 0},
		3: {6.0 / 8, 1.0 / 8, 1.0 / 8, 0},
		4: {6.0 / 8, 1.0 / 8, 1.0 / 8, 0},
	} {
		if got := Weighted611(n); got != want {
			t.Errorf("Weighted611(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestSSIMToDB(t *testing.T) {
	if got := SSIMToDB(0.99); math.Abs(got-20) > 1e-9 {
		t.Errorf("SSIMToDB(0.99) = %v, want 20", got)
	}
	if !math.IsInf(SSIMToDB(1), 1) {
		t.Errorf("SSIMToDB(1) is not +Inf")
	}
	if got := PSNRFromMSE(255 * 255 / 100.0); math.Abs(got-20) > 1e-9 {
		t.Errorf("PSNRFromMSE = %v, want 20", got)
	}
}

// When both metrics are wanted, squared errors come from the SSIM block
// sums plus the edges; they must still be exact for every size.
func TestFusedSSEMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for _, sz := range append(testSizes, [2]int{130, 129}, [2]int{71, 200}, [2]int{4, 300}) {
		a := smoothPlane(rng, sz[0], sz[1], 3)
		b := distort(rng, a, 30, 0)
		var m Meter
		if err := m.Add([]Plane{a}, []Plane{b}); err != nil {
			t.Fatal(err)
		}
		fr := m.Result().PerFrame[0]
		if want := refSSE(a, b); fr.SSE[0] != want {
			t.Errorf("%dx%d: SSE %d, want %d", sz[0], sz[1], fr.SSE[0], want)
		}
		want := refSSIM(a, b)
		if got := fr.SSIM[0]; !(math.Abs(got-want) <= 1e-12 || math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("%dx%d: SSIM %v, want %v", sz[0], sz[1], got, want)
		}
	}
}
