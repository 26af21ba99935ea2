package h264

import (
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"runtime"
	"testing"
)

// motionTestTexture returns a w×h plane of smooth value noise (random
// lattice values every 8 samples, bilinearly interpolated) plus a finer
// octave, so that block matching has a unique, well-conditioned optimum.
func motionTestTexture(seed int64, w, h int) *Plane {
	rng := rand.New(rand.NewSource(seed))
	const cell = 8
	gw, gh := w/cell+2, h/cell+2
	grid := make([]int, gw*gh)
	for i := range grid {
		grid[i] = rng.Intn(256)
	}
	fine := make([]int, (w/3+2)*(h/3+2))
	for i := range fine {
		fine[i] = rng.Intn(61) - 30
	}
	p := &Plane{Width: w, Height: h, Stride: w + 5}
	p.Pix = make([]uint8, p.Stride*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gx, gy, fx, fy := x/cell, y/cell, x%cell, y%cell
			v := (grid[gy*gw+gx]*(cell-fx)*(cell-fy) + grid[gy*gw+gx+1]*fx*(cell-fy) +
				grid[(gy+1)*gw+gx]*(cell-fx)*fy + grid[(gy+1)*gw+gx+1]*fx*fy) / (cell * cell)
			v += fine[(y/3)*(w/3+2)+x/3]
			p.Pix[y*p.Stride+x] = uint8(interpClamp(v, 0, 255))
		}
	}
	return p
}

// motionTestPicture wraps a luma plane in a Picture (chroma unused).
func motionTestPicture(y *Plane) *Picture { return &Picture{Y: *y} }

// motionTestShift returns the picture whose every sample is the luma
// prediction of ref displaced by (mvx, mvy), made with predictLuma.
func motionTestShift(ref *Plane, mvx, mvy int) *Plane {
	p := &Plane{Width: ref.Width, Height: ref.Height, Stride: ref.Width + 3}
	p.Pix = make([]uint8, p.Stride*p.Height)
	predictLuma(p.Pix, p.Stride, ref, 0, 0, mvx, mvy, p.Width, p.Height)
	return p
}

// motionTestSearch runs a search with cfg and fails the test on error.
func motionTestSearch(t testing.TB, cfg motionSearchConfig, cur, ref *Plane, prev []MV, qp int) *motionField {
	t.Helper()
	s, err := newMotionSearch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out motionField
	if err := s.run(motionTestPicture(cur), motionTestPicture(ref), prev, qp, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// motionCheckInvariants recomputes every reported SATD and cost from
// scratch (predictLuma, the matrix SATD of cost_test.go, the source padded
// by edge replication) and checks the vector limits.
func motionCheckInvariants(t *testing.T, cfg motionSearchConfig, cur, ref *Plane, qp int, out *motionField) {
	t.Helper()
	mbW, mbH := (cur.Width+15)/16, (cur.Height+15)/16
	if out.MBWidth != mbW || out.MBHeight != mbH || len(out.MBs) != mbW*mbH {
		t.Fatalf("field is %dx%d (%d MBs), want %dx%d", out.MBWidth, out.MBHeight, len(out.MBs), mbW, mbH)
	}
	lambda := lambdaMotion(qp)
	var src, pred [256]uint8
	check := func(name string, mbx, mby, ox, oy, w, h int, mv, p MV, satd, cost int32) {
		t.Helper()
		vy := 4 * cfg.MaxVerticalMV
		if mv.X < -8192 || mv.X > 8191 || int(mv.Y) < -vy || int(mv.Y) > vy-1 {
			t.Fatalf("MB (%d,%d) %s: vector %v outside the level limits", mbx, mby, name, mv)
		}
		for r := 0; r < h; r++ {
			for c := 0; c < w; c++ {
				x := min(16*mbx+ox+c, cur.Width-1)
				y := min(16*mby+oy+r, cur.Height-1)
				src[r*16+c] = cur.Pix[y*cur.Stride+x]
			}
		}
		predictLuma(pred[:], 16, ref, 16*mbx+ox, 16*mby+oy, int(mv.X), int(mv.Y), w, h)
		want := slowSATD(src[:], 16, pred[:], 16, w, h)
		if int(satd) != want {
			t.Fatalf("MB (%d,%d) %s: SATD %d, recomputed %d (mv %v)", mbx, mby, name, satd, want, mv)
		}
		if int(cost) != want+lambda*mvBits(mv, p) {
			t.Fatalf("MB (%d,%d) %s: cost %d, want %d", mbx, mby, name, cost, want+lambda*mvBits(mv, p))
		}
	}
	for mby := 0; mby < mbH; mby++ {
		for mbx := 0; mbx < mbW; mbx++ {
			m := &out.MBs[mby*mbW+mbx]
			check("16x16", mbx, mby, 0, 0, 16, 16, m.MV16, m.Pred, m.SATD16, m.Cost16)
			if !cfg.Partitions {
				continue
			}
			for k := 0; k < 2; k++ {
				check("16x8", mbx, mby, 0, 8*k, 16, 8, m.MV16x8[k], m.Pred, m.SATD16x8[k], m.Cost16x8[k])
				check("8x16", mbx, mby, 8*k, 0, 8, 16, m.MV8x16[k], m.Pred, m.SATD8x16[k], m.Cost8x16[k])
			}
			for k := 0; k < 4; k++ {
				check("8x8", mbx, mby, 8*(k&1), 8*(k>>1), 8, 8, m.MV8x8[k], m.Pred, m.SATD8x8[k], m.Cost8x8[k])
			}
			if m.Cost16 > m.SATD16+int32(lambda*mvBits(m.MV16, m.Pred)) {
				t.Fatal("inconsistent cost")
			}
		}
	}
}

func TestMotionSearchFindsKnownShift(t *testing.T) {
	ref := motionTestTexture(20, 160, 96)
	shifts := [][2]int{{0, 0}, {4, 0}, {-8, 12}, {1, 0}, {0, 3}, {2, 2}, {-1, -3}, {53, -29}, {-42, 18}, {-79, -50}, {71, 45}}
	for _, sh := range shifts {
		cur := motionTestShift(ref, sh[0], sh[1])
		cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 1)
		out := motionTestSearch(t, cfg, cur, ref, nil, 26)
		motionCheckInvariants(t, cfg, cur, ref, 26, out)
		want := MV{int16(sh[0]), int16(sh[1])}
		for i, m := range out.MBs {
			if !motionTestExact(m, cur, i%out.MBWidth, i/out.MBWidth, want, 26) {
				t.Fatalf("shift %v: MB %d found %v (SATD %d), want %v with SATD 0", want, i, m.MV16, m.SATD16, want)
			}
			for k := 0; k < 4 && m.MV16 == want; k++ {
				if m.SATD8x8[k] != 0 {
					t.Fatalf("shift %v: MB %d 8x8 %d has SATD %d with vector %v", want, i, k, m.SATD8x8[k], m.MV8x8[k])
				}
			}
		}
	}
}

// TestMotionSearchOutsideFrame: a shift of 20 samples makes the edge
// macroblocks' exact match lie partly outside the reference (edge-clamped
// samples), which the search must still find exactly.
func TestMotionSearchOutsideFrame(t *testing.T) {
	ref := motionTestTexture(21, 96, 64)
	for _, sh := range [][2]int{{-80, 0}, {80, 0}, {0, -78}, {0, 81}, {-81, 66}} {
		cur := motionTestShift(ref, sh[0], sh[1])
		cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 2)
		out := motionTestSearch(t, cfg, cur, ref, nil, 22)
		motionCheckInvariants(t, cfg, cur, ref, 22, out)
		want := MV{int16(sh[0]), int16(sh[1])}
		exact := 0
		for i, m := range out.MBs {
			if m.MV16 == want {
				exact++
			}
			if !motionTestExact(m, cur, i%out.MBWidth, i/out.MBWidth, want, 22) {
				t.Fatalf("shift %v: MB %d found %v (SATD %d)", want, i, m.MV16, m.SATD16)
			}
		}
		if exact < len(out.MBs)/2 {
			t.Fatalf("shift %v: only %d of %d macroblocks have the exact vector", want, exact, len(out.MBs))
		}
	}
}

// motionTestExact checks a macroblock of a picture made by shifting its
// reference by mv. When the displaced block keeps at least 4 reference
// columns and rows inside the picture, the exact match is unique on
// textured content and must be found (vector mv, SATD 0). Blocks (nearly)
// entirely outside see replicated edge samples, where many vectors predict
// alike; there the result must only cost no more than the exact vector.
func motionTestExact(m mbMotion, p *Plane, mbx, mby int, mv MV, qp int) bool {
	x0 := 16*mbx + int(mv.X)>>2
	y0 := 16*mby + int(mv.Y)>>2
	if min(x0+16, p.Width)-max(x0, 0) >= 4 && min(y0+16, p.Height)-max(y0, 0) >= 4 {
		return m.MV16 == mv && m.SATD16 == 0
	}
	return int(m.Cost16) <= lambdaMotion(qp)*mvBits(mv, m.Pred)
}

// TestMotionSearchPanNoisy: a panned texture with added noise; nearly every
// macroblock must find the pan.
func TestMotionSearchPanNoisy(t *testing.T) {
	ref := motionTestTexture(22, 320, 192)
	want := MV{15, -6} // (3.75, -1.5) samples
	cur := motionTestShift(ref, int(want.X), int(want.Y))
	rng := rand.New(rand.NewSource(23))
	for i := range cur.Pix {
		cur.Pix[i] = uint8(interpClamp(int(cur.Pix[i])+rng.Intn(5)-2, 0, 255))
	}
	cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 3)
	out := motionTestSearch(t, cfg, cur, ref, nil, 28)
	motionCheckInvariants(t, cfg, cur, ref, 28, out)
	hit := 0
	for _, m := range out.MBs {
		if m.MV16 == want {
			hit++
		}
	}
	if hit*100 < 95*len(out.MBs) {
		t.Fatalf("only %d of %d macroblocks found the pan %v", hit, len(out.MBs), want)
	}
}

// motionTestComplex returns a reference and a current picture with
// different motion per region and noise, and a random previous field.
func motionTestComplex(w, h int) (cur, ref *Plane, prev []MV) {
	ref = motionTestTexture(30, w, h)
	cur = &Plane{Width: w, Height: h, Stride: w}
	cur.Pix = make([]uint8, w*h)
	rng := rand.New(rand.NewSource(31))
	var blk [16 * 16]uint8
	for by := 0; by < h; by += 16 {
		for bx := 0; bx < w; bx += 16 {
			// Motion varies smoothly by region, with some outliers.
			mvx := (bx*7)/w*9 - 30 + rng.Intn(3)
			mvy := (by*5)/h*7 - 14
			if rng.Intn(10) == 0 {
				mvx, mvy = rng.Intn(200)-100, rng.Intn(100)-50
			}
			bw, bh := min(16, w-bx), min(16, h-by)
			predictLuma(blk[:], 16, ref, bx, by, mvx, mvy, bw, bh)
			for r := 0; r < bh; r++ {
				for c := 0; c < bw; c++ {
					cur.Pix[(by+r)*w+bx+c] = uint8(interpClamp(int(blk[r*16+c])+rng.Intn(7)-3, 0, 255))
				}
			}
		}
	}
	mbW, mbH := (w+15)/16, (h+15)/16
	prev = make([]MV, mbW*mbH)
	for i := range prev {
		prev[i] = MV{int16(rng.Intn(400) - 200), int16(rng.Intn(200) - 100)}
	}
	return cur, ref, prev
}

func TestMotionSearchDeterministicAcrossWorkers(t *testing.T) {
	cur, ref, prev := motionTestComplex(200, 120)
	var first *motionField
	for _, workers := range []int{1, 4, 3, 2} {
		cfg := defaultMotionSearchConfig(cur.Width, cur.Height, workers)
		cfg.PullPasses = 3
		out := motionTestSearch(t, cfg, cur, ref, prev, 30)
		if first == nil {
			motionCheckInvariants(t, cfg, cur, ref, 30, out)
			first = out
			continue
		}
		if !reflect.DeepEqual(first, out) {
			t.Fatalf("%d workers give a different field than 1 worker", workers)
		}
	}
}

// TestMotionSearchReuse: running the same search twice, and a search after
// an unrelated run, gives the same field as a fresh search.
func TestMotionSearchReuse(t *testing.T) {
	cur, ref, prev := motionTestComplex(96, 80)
	cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 2)
	s, err := newMotionSearch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var a, b motionField
	other := motionTestTexture(5, 96, 80)
	if err := s.run(motionTestPicture(other), motionTestPicture(cur), nil, 40, &a); err != nil {
		t.Fatal(err)
	}
	if err := s.run(motionTestPicture(cur), motionTestPicture(ref), prev, 30, &a); err != nil {
		t.Fatal(err)
	}
	fresh := motionTestSearch(t, cfg, cur, ref, prev, 30)
	if err := s.run(motionTestPicture(cur), motionTestPicture(ref), prev, 30, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&a, fresh) || !reflect.DeepEqual(&b, fresh) {
		t.Fatal("a reused search differs from a fresh one")
	}
}

func TestMotionSearchTinyAndOddFrames(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {16, 16}, {17, 33}, {3, 50}, {50, 3}, {33, 17}} {
		ref := motionTestTexture(40, sz[0], sz[1])
		cur := motionTestShift(ref, 5, -3)
		mbW, mbH := (sz[0]+15)/16, (sz[1]+15)/16
		prev := make([]MV, mbW*mbH)
		for i := range prev {
			prev[i] = MV{int16(37 * (i + 1)), -9}
		}
		for _, subpel := range []int{0, 1, 2} {
			cfg := defaultMotionSearchConfig(sz[0], sz[1], 2)
			cfg.SubPel = subpel
			out := motionTestSearch(t, cfg, cur, ref, prev, 20)
			motionCheckInvariants(t, cfg, cur, ref, 20, out)
			if subpel == 0 {
				for _, m := range out.MBs {
					if m.MV16.X&3 != 0 || m.MV16.Y&3 != 0 {
						t.Fatalf("%v: integer search returned %v", sz, m.MV16)
					}
				}
			}
		}
	}
}

// TestMotionSearchExtremePrevField: previous vectors at the limits of the
// level and far outside the padded reference are clamped, not followed.
func TestMotionSearchExtremePrevField(t *testing.T) {
	ref := motionTestTexture(41, 64, 48)
	cur := motionTestShift(ref, 6, 2)
	prev := make([]MV, 4*3)
	for i := range prev {
		prev[i] = MV{int16([]int{-32768, 32767, 8191, -8192}[i%4]), int16([]int{32767, -32768, -2048, 2047}[i%4])}
	}
	cfg := defaultMotionSearchConfig(64, 48, 1)
	cfg.MaxVerticalMV = 64
	out := motionTestSearch(t, cfg, cur, ref, prev, 51)
	motionCheckInvariants(t, cfg, cur, ref, 51, out)
}

// slowMedianPred is a literal reading of 8.4.1.3 with 8.4.1.3.1 for a 16x16
// partition: neighbours carry refIdx -1 when outside the picture, 0 inside.
func slowMedianPred(field []MV, mbW, mbx, mby int) MV {
	type nb struct {
		mv  MV
		ref int
	}
	get := func(x, y int) nb {
		if x < 0 || y < 0 || x >= mbW {
			return nb{ref: -1}
		}
		return nb{mv: field[y*mbW+x]}
	}
	A, B, C := get(mbx-1, mby), get(mbx, mby-1), get(mbx+1, mby-1)
	if C.ref < 0 { // 8.4.1.3.2: C not available, use D
		C = get(mbx-1, mby-1)
	}
	if B.ref < 0 && C.ref < 0 && A.ref >= 0 {
		B, C = A, A
	}
	n := 0
	var one MV
	for _, x := range []nb{A, B, C} {
		if x.ref == 0 {
			n++
			one = x.mv
		}
	}
	if n == 1 {
		return one
	}
	med := func(a, b, c int16) int16 {
		s := []int16{a, b, c}
		for i := 0; i < 3; i++ {
			for j := i + 1; j < 3; j++ {
				if s[j] < s[i] {
					s[i], s[j] = s[j], s[i]
				}
			}
		}
		return s[1]
	}
	return MV{med(A.mv.X, B.mv.X, C.mv.X), med(A.mv.Y, B.mv.Y, C.mv.Y)}
}

func TestMotionMedianMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewSource(50))
	for _, dims := range [][2]int{{1, 1}, {1, 4}, {4, 1}, {2, 2}, {5, 4}} {
		mbW, mbH := dims[0], dims[1]
		for trial := 0; trial < 50; trial++ {
			field := make([]MV, mbW*mbH)
			pull := make([]motionPullEntry, mbW*mbH)
			for i := range field {
				field[i] = MV{int16(rng.Intn(9) - 4), int16(rng.Intn(9) - 4)}
				pull[i].mv = field[i]
			}
			for mby := 0; mby < mbH; mby++ {
				for mbx := 0; mbx < mbW; mbx++ {
					want := slowMedianPred(field, mbW, mbx, mby)
					if got := motionMedian(field, mbW, mbx, mby); got != want {
						t.Fatalf("%dx%d MB (%d,%d): median %v, spec %v", mbW, mbH, mbx, mby, got, want)
					}
					if got := motionPullMedian(pull, mbW, mbx, mby); got != want {
						t.Fatalf("%dx%d MB (%d,%d): pull median %v, spec %v", mbW, mbH, mbx, mby, got, want)
					}
				}
			}
		}
	}
}

// TestMotionPullPass checks one pull pass against a slow reference that
// reads only the previous field (so it is order-independent).
func TestMotionPullPass(t *testing.T) {
	cur, ref, _ := motionTestComplex(128, 96)
	cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 2)
	cfg.PullPasses = 0
	s, err := newMotionSearch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out motionField
	if err := s.run(motionTestPicture(cur), motionTestPicture(ref), nil, 34, &out); err != nil {
		t.Fatal(err)
	}
	// Re-run a pull pass by hand on a perturbed field.
	rng := rand.New(rand.NewSource(51))
	in := make([]motionPullEntry, len(out.MBs))
	field := make([]MV, len(out.MBs))
	var blk, src [256]uint8
	satdOf := func(mbx, mby int, mv MV) int32 {
		predictLuma(blk[:], 16, ref, 16*mbx, 16*mby, int(mv.X), int(mv.Y), 16, 16)
		for r := 0; r < 16; r++ {
			for c := 0; c < 16; c++ {
				src[r*16+c] = cur.Pix[min(16*mby+r, cur.Height-1)*cur.Stride+min(16*mbx+c, cur.Width-1)]
			}
		}
		return int32(slowSATD(src[:], 16, blk[:], 16, 16, 16))
	}
	for i, m := range out.MBs {
		mv := m.MV16
		if rng.Intn(3) == 0 {
			mv = MV{mv.X + int16(rng.Intn(5)-2), mv.Y + int16(rng.Intn(5)-2)}
		}
		field[i] = mv
		in[i] = motionPullEntry{mv: mv, satd: satdOf(i%s.mbW, i/s.mbW, mv)}
	}
	copy(s.pull[0], in)
	s.cur, s.ref = motionTestPicture(cur), motionTestPicture(ref)
	s.fast.build(&s.ref.Y, s.margin0())
	s.lambda = lambdaMotion(34)
	s.pullIn = 0
	s.stage(motionStagePull, s.mbH)
	changed := 0
	for i := range in {
		mbx, mby := i%s.mbW, i/s.mbW
		pred := slowMedianPred(field, s.mbW, mbx, mby)
		curCost := int(in[i].satd) + s.lambda*mvBits(field[i], pred)
		want := motionPullEntry{mv: field[i], pred: pred, satd: in[i].satd, cost: int32(curCost)}
		if pred != field[i] {
			ps := satdOf(mbx, mby, pred)
			pc := int(ps) + 2*s.lambda
			if pc < curCost || (pc == curCost && motionNorm(pred) < motionNorm(field[i])) {
				want = motionPullEntry{mv: pred, pred: pred, satd: ps, cost: int32(pc)}
				changed++
			}
		}
		if got := s.pull[1][i]; got != want {
			t.Fatalf("MB %d: pull gave %+v, want %+v", i, got, want)
		}
	}
	if changed == 0 {
		t.Fatal("test field exercised no pull; perturb more")
	}
}

func TestMotionSearchErrors(t *testing.T) {
	bad := []motionSearchConfig{
		{},
		func() motionSearchConfig { c := defaultMotionSearchConfig(64, 64, 1); c.CoarseRange = 0; return c }(),
		func() motionSearchConfig { c := defaultMotionSearchConfig(64, 64, 1); c.SubPel = 3; return c }(),
		func() motionSearchConfig { c := defaultMotionSearchConfig(64, 64, 1); c.Workers = 0; return c }(),
		func() motionSearchConfig { c := defaultMotionSearchConfig(64, 64, 1); c.MaxVerticalMV = 1000; return c }(),
	}
	for i, c := range bad {
		if _, err := newMotionSearch(c); !errors.Is(err, errMotionConfig) {
			t.Errorf("config %d: error %v, want errMotionConfig", i, err)
		}
	}
	s, err := newMotionSearch(defaultMotionSearchConfig(64, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	p := motionTestPicture(motionTestTexture(1, 64, 48))
	q := motionTestPicture(motionTestTexture(1, 80, 48))
	var out motionField
	for i, call := range []func() error{
		func() error { return s.run(q, p, nil, 20, &out) },
		func() error { return s.run(p, q, nil, 20, &out) },
		func() error { return s.run(p, p, make([]MV, 3), 20, &out) },
		func() error { return s.run(p, nil, nil, 20, &out) },
	} {
		if err := call(); !errors.Is(err, errMotionInput) {
			t.Errorf("run %d: error %v, want errMotionInput", i, err)
		}
	}
	// A reference padded to whole macroblocks is accepted.
	if err := s.run(p, motionTestPicture(motionTestTexture(1, 64, 48)), nil, 20, &out); err != nil {
		t.Fatal(err)
	}
}

func TestMotionSearchNoAllocs(t *testing.T) {
	cur, ref, prev := motionTestComplex(64, 48)
	s, err := newMotionSearch(defaultMotionSearchConfig(64, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	var out motionField
	pc, pr := motionTestPicture(cur), motionTestPicture(ref)
	if err := s.run(pc, pr, prev, 26, &out); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(3, func() { _ = s.run(pc, pr, prev, 26, &out) }); n != 0 {
		t.Fatalf("a one-worker run allocates %v times", n)
	}
}

func BenchmarkMotionSearch720p(b *testing.B) {
	ref := motionTestTexture(60, 1280, 720)
	cur := motionTestShift(ref, 21, -10)
	rng := rand.New(rand.NewSource(61))
	for i := range cur.Pix {
		cur.Pix[i] = uint8(interpClamp(int(cur.Pix[i])+rng.Intn(5)-2, 0, 255))
	}
	prev := make([]MV, 80*45)
	for _, bc := range []struct {
		name       string
		workers    int
		partitions bool
	}{
		{"workers=1", 1, true},
		{"workers=1,no-partitions", 1, false},
		{fmt.Sprintf("workers=%d", runtime.GOMAXPROCS(0)), runtime.GOMAXPROCS(0), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := defaultMotionSearchConfig(1280, 720, bc.workers)
			cfg.Partitions = bc.partitions
			s, err := newMotionSearch(cfg)
			if err != nil {
				b.Fatal(err)
			}
			var out motionField
			pc, pr := motionTestPicture(cur), motionTestPicture(ref)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.run(pc, pr, prev, 26, &out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/3600, "ns/MB")
		})
	}
}

// TestMotionSearchPaddedReference: the reference may be the decoded picture
// padded to whole macroblocks while the current picture is cropped.
func TestMotionSearchPaddedReference(t *testing.T) {
	ref := motionTestTexture(70, 64, 48)
	full := motionTestShift(ref, 9, -6)
	cur := &Plane{Width: 60, Height: 44, Stride: full.Stride, Pix: full.Pix}
	cfg := defaultMotionSearchConfig(60, 44, 2)
	out := motionTestSearch(t, cfg, cur, ref, nil, 24)
	motionCheckInvariants(t, cfg, cur, ref, 24, out)
	if m := out.MBs[0]; m.MV16 != (MV{9, -6}) || m.SATD16 != 0 {
		t.Fatalf("top-left MB found %v (SATD %d), want {9 -6} with SATD 0", m.MV16, m.SATD16)
	}
}

// TestMotionSearchLumaRef: the planes kept after a run predict like
// predictLuma on the reference.
func TestMotionSearchLumaRef(t *testing.T) {
	cur, ref, _ := motionTestComplex(80, 48)
	s, err := newMotionSearch(defaultMotionSearchConfig(80, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	if s.lumaRef() != nil {
		t.Fatal("lumaRef before the first run")
	}
	var out motionField
	if err := s.run(motionTestPicture(cur), motionTestPicture(ref), nil, 26, &out); err != nil {
		t.Fatal(err)
	}
	r := s.lumaRef()
	var got, want [256]uint8
	for i, m := range out.MBs {
		x, y := 16*(i%out.MBWidth), 16*(i/out.MBWidth)
		r.predict(got[:], 16, x, y, int(m.MV16.X), int(m.MV16.Y), 16, 16)
		predictLuma(want[:], 16, ref, x, y, int(m.MV16.X), int(m.MV16.Y), 16, 16)
		if got != want {
			t.Fatalf("MB %d: lumaRef prediction differs from predictLuma", i)
		}
	}
}

// TestMotionSearchOrderIndependent runs every stage's units and macroblocks
// in reverse order: a stage that read a result of its own stage (e.g. the
// left or upper neighbour's decision) would change the field.
func TestMotionSearchOrderIndependent(t *testing.T) {
	cur, ref, prev := motionTestComplex(176, 112)
	cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 1)
	cfg.PullPasses = 3
	want := motionTestSearch(t, cfg, cur, ref, prev, 30)
	s, err := newMotionSearch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.reverseForTest = true
	var got motionField
	if err := s.run(motionTestPicture(cur), motionTestPicture(ref), prev, 30, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Fatal("reverse-order run differs: a stage depends on its own outputs")
	}
}

// TestMotionSearchNearExhaustive compares the 16x16 costs with an exhaustive
// quarter-sample search (every vector within ±12 samples, same predictor
// and λ) on noisy content whose motion (within ±10 samples) varies by
// region and includes content entering at the picture edges: the
// hierarchical search must come close to the optimum in total.
func TestMotionSearchNearExhaustive(t *testing.T) {
	const w, h, border = 96, 64, 24
	world := motionTestTexture(80, w+2*border, h+2*border)
	ref := &Plane{Width: w, Height: h, Stride: world.Stride, Pix: world.Pix[border*world.Stride+border:]}
	cur := &Plane{Width: w, Height: h, Stride: w, Pix: make([]uint8, w*h)}
	rng := rand.New(rand.NewSource(81))
	var blk [256]uint8
	for by := 0; by < h; by += 16 {
		for bx := 0; bx < w; bx += 16 {
			mvx := (bx-w/2)/2 + rng.Intn(9) - 4
			mvy := (by-h/2)/3 + rng.Intn(5) - 2
			if rng.Intn(8) == 0 {
				mvx, mvy = rng.Intn(81)-40, rng.Intn(81)-40
			}
			predictLuma(blk[:], 16, world, bx+border, by+border, mvx, mvy, 16, 16)
			for r := 0; r < 16; r++ {
				for c := 0; c < 16; c++ {
					cur.Pix[(by+r)*w+bx+c] = uint8(interpClamp(int(blk[r*16+c])+rng.Intn(5)-2, 0, 255))
				}
			}
		}
	}
	cfg := defaultMotionSearchConfig(w, h, 2)
	const qp = 28
	out := motionTestSearch(t, cfg, cur, ref, nil, qp)
	var fast interpRef
	fast.build(ref, 80)
	lambda := lambdaMotion(qp)
	var pred [256]uint8
	total, best := 0, 0
	for i, m := range out.MBs {
		mbx, mby := i%out.MBWidth, i/out.MBWidth
		so := 16*mby*w + 16*mbx
		opt := int(^uint(0) >> 1)
		for vy := -48; vy <= 48; vy++ {
			for vx := -48; vx <= 48; vx++ {
				fast.predict(pred[:], 16, 16*mbx, 16*mby, vx, vy, 16, 16)
				c := satdBlock(cur.Pix, so, w, pred[:], 0, 16, 16, 16) + lambda*mvBits(MV{int16(vx), int16(vy)}, m.Pred)
				opt = min(opt, c)
			}
		}
		if int(m.Cost16) < opt && motionNorm(m.MV16) <= 48 {
			t.Fatalf("MB %d: cost %d below the exhaustive optimum %d", i, m.Cost16, opt)
		}
		total += int(m.Cost16)
		best += opt
	}
	t.Logf("hierarchical total cost %d, exhaustive ±12 %d (%.1f%%)", total, best, 100*float64(total)/float64(best))
	if total*100 > best*103 {
		t.Fatalf("hierarchical search costs %d, exhaustive %d: more than 3%% worse", total, best)
	}
}

// TestMotionCoarseMatchesLevelCost checks the specialised coarse full search
// against a plain loop over levelCost with the documented order.
func TestMotionCoarseMatchesLevelCost(t *testing.T) {
	cur, ref, prev := motionTestComplex(144, 80)
	for _, r := range []int{1, 3, 8} {
		cfg := defaultMotionSearchConfig(cur.Width, cur.Height, 1)
		cfg.CoarseRange = r
		s, err := newMotionSearch(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out motionField
		if err := s.run(motionTestPicture(cur), motionTestPicture(ref), prev, 33, &out); err != nil {
			t.Fatal(err)
		}
		for mby := 0; mby < s.mbH; mby++ {
			for mbx := 0; mbx < s.mbW; mbx++ {
				b := s.levelBounds(2, mbx, mby)
				best, bestCost := MV{}, s.levelCost(2, mbx, mby, MV{}, MV{})
				for y := -r; y <= r; y++ {
					for x := -r; x <= r; x++ {
						v := MV{int16(x), int16(y)}
						if !b.contains(v) {
							continue
						}
						if c := s.levelCost(2, mbx, mby, v, MV{}); motionBetter(c, v, bestCost, best) {
							best, bestCost = v, c
						}
					}
				}
				if got := s.lvl2[mby*s.mbW+mbx]; got != best {
					t.Fatalf("range %d MB (%d,%d): coarse %v, reference %v", r, mbx, mby, got, best)
				}
			}
		}
	}
}
