package h264cuda

import (
	"math"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// traceCase is a short sequence encoded by h264's Encoder with
// EncodeTrace; the ported stages must reproduce its stage outputs.
type traceCase struct {
	name       string
	w, h       int
	preset     string
	qp         int
	aq         float64
	frames     int
	dx, dy     float64 // global motion per frame, luma samples
	gpuOnly    bool
	seed       uint64
	encThreads int
	chromaStep int // chroma brightness change per frame
}

func traceCases() []traceCase {
	return []traceCase{
		{name: "97x71-medium-aq", w: 97, h: 71, preset: "medium", qp: 28, aq: 1, frames: 4, dx: 1.25, dy: -0.75, seed: 31, encThreads: 3},
		{name: "160x96-veryfast", w: 160, h: 96, preset: "veryfast", qp: 34, frames: 4, dx: -2.5, dy: 1.5, seed: 32, encThreads: 2},
		{name: "128x80-slow-aq2", w: 128, h: 80, preset: "slow", qp: 22, aq: 2, frames: 3, dx: 3.75, dy: 2.25, seed: 33, encThreads: 1},
		{name: "96x96-qp44-chroma-drift", w: 96, h: 96, preset: "fast", qp: 44, aq: 1.5, frames: 3, dx: 0.5, dy: 1.25, seed: 35, chromaStep: 9},
		{name: "80x64-qp12-chroma-drift", w: 80, h: 64, preset: "medium", qp: 12, frames: 3, dx: -1.75, dy: 0.25, seed: 36, chromaStep: -5},
		{name: "64x48-qp2-chroma-drift", w: 64, h: 48, preset: "medium", qp: 2, frames: 2, dx: 0.75, dy: -0.5, seed: 37, chromaStep: 3},
		{name: "64x48-qp44-chroma-drift", w: 64, h: 48, preset: "veryfast", qp: 44, frames: 3, dx: 0.75, dy: -0.5, seed: 38, chromaStep: 24},
		{name: "1280x720-medium-aq", w: 1280, h: 720, preset: "medium", qp: 27, aq: 1, frames: 3, dx: 4.5, dy: -2.25, seed: 34, gpuOnly: true},
	}
}

// frame renders picture k of the case: a texture moving by (dx, dy) per
// frame, chroma following the luma.
func (c *traceCase) frame(tex *texture, k int) *h264.Picture {
	p := h264.NewPicture(c.w, c.h)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			v := tex.at(float64(x)-c.dx*float64(k), float64(y)-c.dy*float64(k))
			p.Y.Pix[y*p.Y.Stride+x] = uint8(min(max(math.Round(v), 0), 255))
		}
	}
	for y := 0; y < p.Cb.Height; y++ {
		for x := 0; x < p.Cb.Width; x++ {
			l := int(p.Y.Pix[min(2*y, c.h-1)*p.Y.Stride+min(2*x, c.w-1)])
			p.Cb.Pix[y*p.Cb.Stride+x] = uint8(96 + l/4 + (x+k)%7 + k*c.chromaStep)
			p.Cr.Pix[y*p.Cr.Stride+x] = uint8(200 - l/3 + (y*3)%11 - k*c.chromaStep)
		}
	}
	return p
}

// compareTrace encodes the case with EncodeTrace and runs the ported
// stages on each picture's traced inputs: the motion search (with the
// previous picture's final 16x16 vectors, as the encoder keeps them) and
// the mode decision, whose output must equal PictureTrace.Decisions.
func compareTrace(t *testing.T, c *traceCase, ms *MotionSearch, d *Decider) {
	t.Helper()
	o := c.options()
	enc, err := h264.NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	tex := newTexture(c.seed, c.w, c.h)
	n := ms.MBWidth() * ms.MBHeight()
	prev := make([]h264.MV, n) // the encoder's prevField starts at zero
	field := make([]h264.MotionMB, n)
	dec := make([]h264.MacroblockTrace, n)
	for k := 0; k < c.frames; k++ {
		_, tr, err := enc.EncodeTrace(c.frame(tex, k))
		if err != nil {
			t.Fatal(err)
		}
		if tr.IDR != (k == 0) {
			t.Fatalf("picture %d: IDR %v (a scene cut?): the case's motion is too large", k, tr.IDR)
		}
		if !tr.IDR {
			if err := ms.Run(tr.Source, tr.Reference, prev, tr.QP, field); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Run(tr.Source, field, tr.QP, tr.QPOffsets, !tr.IDR, dec); err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i := range dec {
			if dec[i] != tr.Decisions[i] {
				if bad < 2 {
					t.Errorf("picture %d MB %d: got  %+v\n want %+v", k, i, dec[i], tr.Decisions[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Fatalf("picture %d: %d of %d decisions differ from the encoder's trace", k, bad, n)
		}
		// countTypes: the next picture's previous field.
		for i, mb := range tr.Macroblocks {
			if mb.Type == h264.TraceI4x4 || mb.Type == h264.TraceI16x16 {
				prev[i] = h264.MV{}
			} else {
				prev[i] = mb.PartMV[0]
			}
		}
	}
}

func (c *traceCase) options() h264.Options {
	return h264.Options{Width: c.w, Height: c.h, Preset: c.preset, RateControl: h264.ConstantQP, QP: c.qp,
		AQStrength: c.aq, Threads: max(1, c.encThreads)}
}

// TestEmuStagesMatchEncodeTrace checks the emulated motion search and
// mode decision against a real encode's stage trace, picture after
// picture.
func TestEmuStagesMatchEncodeTrace(t *testing.T) {
	for _, c := range traceCases() {
		if c.gpuOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			cfg, err := h264.MotionConfigFor(c.options())
			if err != nil {
				t.Fatal(err)
			}
			ms := newEmuSearch(t, cfg)
			d, err := newDecider(&emuBackend{}, c.options())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			compareTrace(t, &c, ms, d)
		})
	}
}

// TestGPUStagesMatchEncodeTrace is TestEmuStagesMatchEncodeTrace on the
// GPU, 720p included.
func TestGPUStagesMatchEncodeTrace(t *testing.T) {
	ctx := gpuContext(t)
	for _, c := range traceCases() {
		t.Run(c.name, func(t *testing.T) {
			compareTraceGPU(t, ctx, &c)
		})
	}
}

func compareTraceGPU(t *testing.T, ctx *cuda.Context, c *traceCase) {
	cfg, err := h264.MotionConfigFor(c.options())
	if err != nil {
		t.Fatal(err)
	}
	compareTrace(t, c, newGPUSearch(t, ctx, cfg), newGPUDecider(t, ctx, c.options()))
}
