package h264cuda

import (
	"errors"
	"testing"

	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// newEmuSearch makes a search on the C emulation.
func newEmuSearch(t *testing.T, cfg h264.MotionConfig) *MotionSearch {
	t.Helper()
	s, err := newMotionSearch(&emuBackend{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestEmuMotionMatchesGo runs the motion kernels compiled as C over every
// case and compares each stage's output and the final field with h264's
// Go search.
func TestEmuMotionMatchesGo(t *testing.T) {
	for _, c := range motionCases() {
		if c.gpuOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			compareMotion(t, newEmuSearch(t, c.config()), &c)
		})
	}
}

// TestEmuMotionReuse runs one search object over several pictures (with
// and without a previous field): nothing of a run may leak into the next.
func TestEmuMotionReuse(t *testing.T) {
	cs := motionCases()
	c := cs[4] // 100x60
	s := newEmuSearch(t, c.config())
	for i, prev := range []int{0, 500, 0, 7} {
		c.seed = uint64(100 + i)
		c.prev = prev
		compareMotion(t, s, &c)
	}
}

// TestMotionLayout checks the Go copy of motion.h's indices.
func TestMotionLayout(t *testing.T) {
	for _, kv := range []struct {
		name string
		v    int
	}{
		{"MP_CUR", mpCur}, {"MP_REF", mpRef}, {"MP_SRC0", mpSrc0}, {"MP_SRC1", mpSrc1}, {"MP_SRC2", mpSrc2},
		{"MP_FULL", mpFull}, {"MP_HALF_B", mpHalfB}, {"MP_HALF_H", mpHalfH}, {"MP_HALF_J", mpHalfJ},
		{"MP_REFL1", mpRefL1}, {"MP_REFL2", mpRefL2}, {"MP_LVL2", mpLvl2}, {"MP_LVL1", mpLvl1},
		{"MP_LVL0", mpLvl0}, {"MP_PRED0", mpPred0}, {"MP_PULL0", mpPull0}, {"MP_PULL1", mpPull1},
		{"MP_PREV", mpPrev}, {"MP_OUT", mpOut}, {"MP_SCRATCH", mpScratch}, {"MP_SATD16", mpSATD16}, {"SCRATCH_WORDS", scratchWords}, {"MP_CUR_W", mpCurW}, {"MP_CUR_H", mpCurH},
		{"MP_CUR_STRIDE", mpCurStride}, {"MP_REF_W", mpRefW}, {"MP_REF_H", mpRefH},
		{"MP_REF_STRIDE", mpRefStride}, {"MP_MBW", mpMBW}, {"MP_MBH", mpMBH}, {"MP_PAD", mpPad},
		{"MP_EXT", mpExt}, {"MP_FSTRIDE", mpFStride}, {"MP_M1", mpM1}, {"MP_M2", mpM2},
		{"MP_COARSE", mpCoarse}, {"MP_REFINE", mpRefine}, {"MP_SUBPEL", mpSubPel}, {"MP_PARTS", mpParts},
		{"MP_PART_STEPS", mpPartSteps}, {"MP_MAXVMV", mpMaxVMV}, {"MP_LAMBDA", mpLambda},
		{"MP_HAS_PREV", mpHasPrev}, {"MP_COUNT", mpCount},
		{"PULL_WORDS", pullWords}, {"OUT_WORDS", outWords}, {"OUT_PRED", outPred}, {"OUT_MV16", outMV16},
		{"OUT_SATD16", outSATD16}, {"OUT_COST16", outCost16}, {"OUT_MV16X8", outMV16x8},
		{"OUT_SATD16X8", outSATD168}, {"OUT_COST16X8", outCost168}, {"OUT_MV8X16", outMV8x16},
		{"OUT_SATD8X16", outSATD816}, {"OUT_COST8X16", outCost816}, {"OUT_MV8X8", outMV8x8},
		{"OUT_SATD8X8", outSATD8x8}, {"OUT_COST8X8", outCost8x8},
		{"DOWN_SRC1", downSrc1}, {"DOWN_REFL1", downRefL1}, {"DOWN_SRC2", downSrc2}, {"DOWN_REFL2", downRefL2},
	} {
		if got := cemu.MotionConst(kv.name); got != kv.v {
			t.Errorf("motion.h %s = %d, Go has %d", kv.name, got, kv.v)
		}
	}
}

// TestEmuMotionErrors checks that bad inputs are rejected before any
// kernel runs, with errors matching ErrInput (or h264's configuration
// error).
func TestEmuMotionErrors(t *testing.T) {
	cfg := h264.DefaultMotionConfig(64, 48, 1)
	s := newEmuSearch(t, cfg)
	good := h264.NewPicture(64, 48)
	out := make([]h264.MotionMB, 4*3)
	for name, run := range map[string]func() error{
		"nil":       func() error { return s.Run(nil, good, nil, 26, out) },
		"cur size":  func() error { return s.Run(h264.NewPicture(48, 48), good, nil, 26, out) },
		"ref grid":  func() error { return s.Run(good, h264.NewPicture(80, 48), nil, 26, out) },
		"prev len":  func() error { return s.Run(good, good, make([]h264.MV, 3), 26, out) },
		"out len":   func() error { return s.Run(good, good, nil, 26, out[:5]) },
		"short pix": func() error { p := *good; p.Y.Pix = p.Y.Pix[:100]; return s.Run(&p, good, nil, 26, out) },
	} {
		if err := run(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
	bad := cfg
	bad.CoarseRange = 0
	if _, err := newMotionSearch(&emuBackend{}, bad); !errors.Is(err, h264.ErrMotionConfig) {
		t.Errorf("bad configuration: error %v", err)
	}
	s.Close()
	if err := s.Run(good, good, nil, 26, out); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// TestEmuRunAllocatesNothing checks that the host side of a motion search
// and of a mode decision allocates nothing per picture once set up (with
// the emulation backend; the GPU backend adds only the driver's launch
// argument handling).
func TestEmuRunAllocatesNothing(t *testing.T) {
	c := motionCases()[4]
	s := newEmuSearch(t, c.config())
	cur, ref, prev := c.pictures()
	out := make([]h264.MotionMB, s.MBWidth()*s.MBHeight())
	if n := testing.AllocsPerRun(3, func() {
		if err := s.Run(cur, ref, prev, c.qp, out); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("MotionSearch.Run: %v allocations per picture", n)
	}
	d, err := newDecider(&emuBackend{}, h264.Options{Width: c.w, Height: c.h})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	src := padded(cur, 1)
	dec := make([]h264.MacroblockTrace, len(out))
	if n := testing.AllocsPerRun(3, func() {
		if err := d.Run(src, out, 26, nil, true, dec); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Decider.Run: %v allocations per picture", n)
	}
}
