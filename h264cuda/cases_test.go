package h264cuda

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gpuenc/gpuenc/h264"
)

// texture is a smooth random field (value noise on an 8-sample lattice,
// bilinear) plus a finer octave, sampled at real positions so that a
// picture can be rendered displaced by any fraction of a sample.
type texture struct {
	gw, gh int
	grid   []float64
	fine   []float64
	fw     int
}

func newTexture(seed uint64, w, h int) *texture {
	r := rand.New(rand.NewPCG(seed, 1))
	t := &texture{gw: w/8 + 40, gh: h/8 + 40}
	t.grid = make([]float64, t.gw*t.gh)
	for i := range t.grid {
		t.grid[i] = float64(r.IntN(256))
	}
	t.fw = w/3 + 120
	t.fine = make([]float64, t.fw*(h/3+120))
	for i := range t.fine {
		t.fine[i] = float64(r.IntN(61) - 30)
	}
	return t
}

// at samples the texture at (x, y), which may lie up to 100 samples
// outside the picture.
func (t *texture) at(x, y float64) float64 {
	x, y = x+120, y+120
	gx, gy := x/8, y/8
	ix, iy := int(gx), int(gy)
	fx, fy := gx-float64(ix), gy-float64(iy)
	ix, iy = min(max(ix, 0), t.gw-2), min(max(iy, 0), t.gh-2)
	g := t.grid
	v := g[iy*t.gw+ix]*(1-fx)*(1-fy) + g[iy*t.gw+ix+1]*fx*(1-fy) + g[(iy+1)*t.gw+ix]*(1-fx)*fy + g[(iy+1)*t.gw+ix+1]*fx*fy
	fi := min(max(int(y/3), 0), len(t.fine)/t.fw-1)*t.fw + min(max(int(x/3), 0), t.fw-1)
	return v + t.fine[fi]
}

// motionCase is one input of the motion search comparisons.
type motionCase struct {
	name       string
	w, h       int // current picture
	rw, rh     int // reference (0: same as current)
	cfg        func(*h264.MotionConfig)
	qp         int
	motion     func(x, y int) (float64, float64) // displacement of cur from ref, luma samples
	prev       int                               // 0: nil, else the scale of a random previous field (quarter samples)
	prevMV     *h264.MV                          // a constant previous field (overrides prev)
	flatRight  int                               // the last columns of both pictures do not vary along x
	flatBottom int                               // the last rows of both pictures do not vary along y
	saturate   bool                              // hard 0/255 content
	noise      int                               // independent noise amplitude in cur
	seed       uint64
	gpuOnly    bool // too slow for the C emulation in CI
	strideSlop int  // extra bytes per row of the pictures' planes
}

// pictures renders the case's reference and current pictures and its
// previous field.
func (c *motionCase) pictures() (cur, ref *h264.Picture, prev []h264.MV) {
	rw, rh := c.rw, c.rh
	if rw == 0 {
		rw, rh = c.w, c.h
	}
	tex := newTexture(c.seed, max(c.w, rw), max(c.h, rh))
	r := rand.New(rand.NewPCG(c.seed, 2))
	val := func(v float64) uint8 {
		if c.saturate {
			if v > 128 {
				return 255
			}
			return 0
		}
		return uint8(min(max(math.Round(v), 0), 255))
	}
	mk := func(w, h int, f func(x, y int) uint8) *h264.Picture {
		p := &h264.Picture{Y: h264.Plane{Width: w, Height: h, Stride: w + c.strideSlop}}
		p.Y.Pix = make([]uint8, (h-1)*p.Y.Stride+w)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p.Y.Pix[y*p.Y.Stride+x] = f(x, y)
			}
		}
		return p
	}
	// flat pins the coordinates that lie in the flat columns or rows.
	flat := func(x, y float64) (float64, float64) {
		if c.flatRight > 0 && x >= float64(c.w-c.flatRight) {
			x = float64(c.w - c.flatRight)
		}
		if c.flatBottom > 0 && y >= float64(c.h-c.flatBottom) {
			y = float64(c.h - c.flatBottom)
		}
		return x, y
	}
	ref = mk(rw, rh, func(x, y int) uint8 { return val(tex.at(flat(float64(x), float64(y)))) })
	cur = mk(c.w, c.h, func(x, y int) uint8 {
		dx, dy := 0.0, 0.0
		if c.motion != nil {
			dx, dy = c.motion(x, y)
		}
		fx, fy := float64(x), float64(y)
		if c.flatRight > 0 && x >= c.w-c.flatRight {
			fx, dx = float64(c.w-c.flatRight), 0
		}
		if c.flatBottom > 0 && y >= c.h-c.flatBottom {
			fy, dy = float64(c.h-c.flatBottom), 0
		}
		v := tex.at(fx-dx, fy-dy)
		if c.noise > 0 {
			v += float64(r.IntN(2*c.noise+1) - c.noise)
		}
		return val(v)
	})
	n := ((c.w + 15) / 16) * ((c.h + 15) / 16)
	switch {
	case c.prevMV != nil:
		prev = make([]h264.MV, n)
		for i := range prev {
			prev[i] = *c.prevMV
		}
	case c.prev != 0:
		prev = make([]h264.MV, n)
		for i := range prev {
			prev[i] = h264.MV{X: int16(r.IntN(2*c.prev+1) - c.prev), Y: int16(r.IntN(2*c.prev+1) - c.prev)}
		}
	}
	return cur, ref, prev
}

// config returns the case's configuration.
func (c *motionCase) config() h264.MotionConfig {
	cfg := h264.DefaultMotionConfig(c.w, c.h, 2)
	if c.cfg != nil {
		c.cfg(&cfg)
	}
	return cfg
}

func global(dx, dy float64) func(x, y int) (float64, float64) {
	return func(int, int) (float64, float64) { return dx, dy }
}

// regions moves four quadrants of the picture differently.
func regions(w, h int) func(x, y int) (float64, float64) {
	return func(x, y int) (float64, float64) {
		switch {
		case x < w/2 && y < h/2:
			return 3.25, -1.5
		case x >= w/2 && y < h/2:
			return -7.75, 2.25
		case x < w/2:
			return 0.5, 11.75
		}
		return -2, -3.5
	}
}

// motionCases are the comparisons run by the C emulation (all but
// gpuOnly) and on the GPU (all).
func motionCases() []motionCase {
	preset := func(name string, w, h int) func(*h264.MotionConfig) {
		return func(c *h264.MotionConfig) {
			p, err := h264.MotionConfigFor(h264.Options{Width: w, Height: h, Preset: name, Threads: 2})
			if err != nil {
				panic(err)
			}
			// The encoder pads its pictures to whole macroblocks first;
			// these cases search unpadded pictures with its other knobs.
			p.Width, p.Height = c.Width, c.Height
			*c = p
		}
	}
	cases := []motionCase{
		{name: "1x1", w: 1, h: 1, qp: 26, seed: 1},
		{name: "17x9-global", w: 17, h: 9, qp: 30, motion: global(1.25, -0.75), seed: 2},
		{name: "33x47-ref48", w: 33, h: 47, rw: 48, rh: 48, qp: 20, motion: global(-2.5, 3.25), prev: 40, seed: 3},
		{name: "64x64-regions", w: 64, h: 64, qp: 26, motion: regions(64, 64), prev: 12, seed: 4, strideSlop: 7},
		{name: "100x60-noise", w: 100, h: 60, qp: 36, motion: global(5.5, 2.75), noise: 6, seed: 5},
		{name: "176x144-far-outside", w: 176, h: 144, qp: 28, motion: global(37.25, -29.5), prev: 2400, seed: 6},
		{name: "97x71-saturated", w: 97, h: 71, qp: 12, motion: global(-3.75, 1.5), saturate: true, prev: 9, seed: 7},
		{name: "80x48-qp0-int", w: 80, h: 48, qp: 0, motion: global(2, 1), seed: 8,
			cfg: func(c *h264.MotionConfig) { c.SubPel = 0; c.Partitions = false; c.PullPasses = 0 }},
		{name: "80x48-qp51-half", w: 80, h: 48, qp: 51, motion: global(2.5, -1.5), seed: 9, prev: 30,
			cfg: func(c *h264.MotionConfig) { c.SubPel = 1; c.PullPasses = 3; c.PartitionSteps = 3 }},
		{name: "96x80-range1-vmv16", w: 96, h: 80, qp: 26, motion: regions(96, 80), seed: 10, prev: 300,
			cfg: func(c *h264.MotionConfig) { c.CoarseRange = 1; c.MaxVerticalMV = 16; c.RefineSteps = 0 }},
		// Vectors of the right-hand neighbours beyond the rightmost
		// macroblocks' bounds: their pull predictors lie outside the
		// half-sample planes (the predictLuma fallback).
		// Their content is flat there, so those predictors win.
		{name: "96x64-pred-outside-right", w: 96, h: 64, qp: 24, motion: global(-23.5, -21.5), prevMV: &h264.MV{X: 94, Y: 86},
			flatRight: 40, seed: 19, cfg: func(c *h264.MotionConfig) { c.CoarseRange = 1 }},
		{name: "64x96-pred-outside-bottom", w: 64, h: 96, qp: 24, motion: global(-21.5, -23.5), prevMV: &h264.MV{X: 86, Y: 94},
			flatBottom: 40, seed: 20, cfg: func(c *h264.MotionConfig) { c.CoarseRange = 1; c.PullPasses = 4 }},
		{name: "128x96-range16-steps5", w: 128, h: 96, qp: 22, motion: global(-21.25, 13.75), seed: 11,
			cfg: func(c *h264.MotionConfig) { c.CoarseRange = 16; c.RefineSteps = 5; c.PullPasses = 1 }},
		{name: "160x96-ultrafast", w: 160, h: 96, qp: 30, motion: regions(160, 96), seed: 12, prev: 16,
			cfg: preset("ultrafast", 160, 96)},
		{name: "160x96-veryfast", w: 160, h: 96, qp: 30, motion: regions(160, 96), seed: 13,
			cfg: preset("veryfast", 160, 96)},
		{name: "160x96-slow", w: 160, h: 96, qp: 30, motion: regions(160, 96), seed: 14, prev: 50,
			cfg: preset("slow", 160, 96)},
		{name: "352x288-medium", w: 352, h: 288, qp: 27, motion: regions(352, 288), seed: 15, prev: 20, noise: 2,
			cfg: preset("medium", 352, 288)},
		{name: "1279x719-medium", w: 1279, h: 719, qp: 26, motion: regions(1279, 719), seed: 16, prev: 24, noise: 3,
			cfg: preset("medium", 1279, 719)},
		{name: "1920x1080-medium", w: 1920, h: 1080, qp: 26, motion: regions(1920, 1080), seed: 17, prev: 24, noise: 3,
			cfg: preset("medium", 1920, 1080), gpuOnly: true},
		{name: "1920x1080-slow-outside", w: 1920, h: 1080, qp: 33, motion: global(-45.5, 38.25), seed: 18, prev: 3000,
			cfg: preset("slow", 1920, 1080), gpuOnly: true},
	}
	return cases
}

// compareMotion runs the case on a search over be and compares every stage
// output and the final field with h264's Go search.
func compareMotion(t *testing.T, s *MotionSearch, c *motionCase) {
	t.Helper()
	cur, ref, prev := c.pictures()
	cfg := c.config()
	want, err := h264.MotionSearchReference(cfg, cur, ref, prev, c.qp)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]h264.MotionMB, s.MBWidth()*s.MBHeight())
	for i := range got {
		got[i] = h264.MotionMB{Pred: h264.MV{X: -7777}, SATD16: -1} // poison
	}
	if err := s.Run(cur, ref, prev, c.qp, got); err != nil {
		t.Fatal(err)
	}
	compareStages(t, s, want, ref.Y.Width, ref.Y.Height)
	bad := 0
	for i := range got {
		if got[i] != want.MBs[i] {
			if bad < 3 {
				t.Errorf("MB (%d,%d): got  %+v\n                 want %+v", i%want.MBWidth, i/want.MBWidth, got[i], want.MBs[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d macroblocks differ", bad, len(got))
	}
	// The same search again, keeping the field on the device: only the
	// sum of its SATD16 comes back (stages.MotionSATD).
	if err := s.enqueue(cur, ref, prev, c.qp); err != nil {
		t.Fatal(err)
	}
	sum, err := s.collectSATD()
	if err != nil {
		t.Fatal(err)
	}
	var wantSum int64
	for i := range want.MBs {
		wantSum += int64(want.MBs[i].SATD16)
	}
	if sum != wantSum {
		t.Errorf("SATD16 sum %d, want %d", sum, wantSum)
	}
}

// compareStages downloads the intermediate buffers of the last run and
// compares them with the reference's, stage by stage.
func compareStages(t *testing.T, s *MotionSearch, want *h264.MotionSnapshot, rw, rh int) {
	t.Helper()
	dl := func(i, n int) []byte {
		b := make([]byte, n)
		if err := s.be.download(b, s.off[i]); err != nil {
			t.Fatal(err)
		}
		if err := s.be.sync(); err != nil {
			t.Fatal(err)
		}
		return b
	}
	planeEq := func(name string, i int, p *h264.MotionPlane, valid int) {
		got := dl(i, len(p.Pix))
		for y := -valid; y < p.H+valid; y++ {
			for x := -valid; x < p.W+valid; x++ {
				k := (y+p.Margin)*p.Stride + x + p.Margin
				if got[k] != p.Pix[k] {
					t.Errorf("stage plane %s: sample (%d,%d) = %d, want %d", name, x, y, got[k], p.Pix[k])
					return
				}
			}
		}
	}
	for l, idx := range []int{mpSrc0, mpSrc1, mpSrc2} {
		planeEq(fmt.Sprintf("src%d", l), idx, &want.Src[l], 0)
	}
	planeEq("refL1", mpRefL1, &want.RefL1, want.RefL1.Margin)
	planeEq("refL2", mpRefL2, &want.RefL2, want.RefL2.Margin)
	planeEq("full", mpFull, &want.Full, want.Full.Margin)
	planeEq("b", mpHalfB, &want.HalfH, want.Pad)
	planeEq("h", mpHalfH, &want.HalfV, want.Pad)
	planeEq("j", mpHalfJ, &want.Center, want.Pad)
	fieldEq := func(name string, i int, mvs []h264.MV) {
		b := dl(i, 8*len(mvs))
		for k, v := range mvs {
			g := h264.MV{X: int16(int32(binary.LittleEndian.Uint32(b[8*k:]))), Y: int16(int32(binary.LittleEndian.Uint32(b[8*k+4:])))}
			if g != v {
				t.Errorf("stage %s: MB %d = %v, want %v", name, k, g, v)
				return
			}
		}
	}
	fieldEq("coarse (lvl2)", mpLvl2, want.Lvl2)
	fieldEq("mid (lvl1)", mpLvl1, want.Lvl1)
	fieldEq("fine (lvl0)", mpLvl0, want.Lvl0)
	fieldEq("pred0", mpPred0, want.Pred0)
}
