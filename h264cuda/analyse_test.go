package h264cuda

import (
	"slices"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// decisionCase is one input of the mode decision comparisons.
type decisionCase struct {
	name    string
	mc      int // index into motionCases: pictures and motion
	preset  string
	qps     []int
	cqp     bool    // constant QP: adaptive quantisation off
	aq      float64 // AQStrength (0: the default)
	tree    bool    // per-macroblock QP offsets (the lookahead's macroblock tree)
	gpuOnly bool
}

func decisionCases() []decisionCase {
	return []decisionCase{
		{name: "17x9-medium", mc: 1, preset: "medium", qps: []int{30, 10}},
		{name: "33x47-veryfast", mc: 2, preset: "veryfast", qps: []int{20, 45}},
		{name: "64x64-ultrafast", mc: 3, preset: "ultrafast", qps: []int{26, 26}},
		{name: "64x64-medium-cqp", mc: 3, preset: "medium", qps: []int{26, 40}, cqp: true},
		{name: "100x60-fast-aq2.5", mc: 4, preset: "fast", qps: []int{20, 31}, aq: 2.5},
		{name: "100x60-slow", mc: 4, preset: "slow", qps: []int{36, 0}},
		{name: "100x60-medium-tree", mc: 4, preset: "medium", qps: []int{30, 3}, tree: true},
		{name: "64x64-veryfast-cqp-tree", mc: 3, preset: "veryfast", qps: []int{24, 50}, cqp: true, tree: true},
		{name: "97x71-saturated-medium", mc: 6, preset: "medium", qps: []int{12, 51}},
		{name: "352x288-medium", mc: 15, preset: "medium", qps: []int{27, 33}},
		{name: "1279x719-medium", mc: 16, preset: "medium", qps: []int{26, 22}},
		{name: "1920x1080-faster", mc: 17, preset: "faster", qps: []int{26, 30}, gpuOnly: true},
	}
}

// options returns the encoder options of the case.
func (c *decisionCase) options() h264.Options {
	mc := motionCases()[c.mc]
	o := h264.Options{Width: mc.w, Height: mc.h, Preset: c.preset, Threads: 2, AQStrength: c.aq}
	if c.cqp {
		o.RateControl = h264.ConstantQP
		o.QP = c.qps[0]
	}
	return o
}

// padded returns p padded to whole macroblocks by edge replication, with
// chroma from the luma (the decision reads chroma too): what the encoder
// holds as its source.
func padded(p *h264.Picture, seed int) *h264.Picture {
	w, h := p.Y.Width, p.Y.Height
	mbW, mbH := (w+15)/16, (h+15)/16
	out := h264.NewPicture(16*mbW, 16*mbH)
	for y := 0; y < 16*mbH; y++ {
		for x := 0; x < 16*mbW; x++ {
			out.Y.Pix[y*out.Y.Stride+x] = p.Y.Pix[min(y, h-1)*p.Y.Stride+min(x, w-1)]
		}
	}
	for y := 0; y < 8*mbH; y++ {
		for x := 0; x < 8*mbW; x++ {
			l := int(out.Y.Pix[2*y*out.Y.Stride+2*x])
			out.Cb.Pix[y*out.Cb.Stride+x] = uint8((l*3 + x*5 + seed) & 255)
			out.Cr.Pix[y*out.Cr.Stride+x] = uint8((255 - l + (y*x+seed)%17) & 255)
		}
	}
	return out
}

// compareDecisions decides an I picture and then a P picture (on top of
// the I picture's records, as in an encoder) with d and with h264's Go
// encoder, and compares every record.
func compareDecisions(t *testing.T, d *Decider, c *decisionCase) {
	t.Helper()
	mc := motionCases()[c.mc]
	cur, ref, prev := mc.pictures()
	o := c.options()
	src, rsrc := padded(cur, 1), padded(ref, 2)
	cfg, err := h264.MotionConfigFor(o)
	if err != nil {
		t.Fatal(err)
	}
	var prior []h264.MacroblockTrace
	for k, pSlice := range []bool{false, true, true} {
		qp := c.qps[k%len(c.qps)]
		var field []h264.MotionMB
		if pSlice {
			snap, err := h264.MotionSearchReference(cfg, src, rsrc, prev, qp)
			if err != nil {
				t.Fatal(err)
			}
			field = snap.MBs
		}
		var qpOff []int8 // −12..+3 (the tree makes only ≤ 0), clamping tried at both ends
		if c.tree {
			qpOff = make([]int8, ((o.Width+15)/16)*((o.Height+15)/16))
			for i := range qpOff {
				qpOff[i] = int8((i*7+k*5)%16 - 12)
			}
		}
		want, err := h264.DecisionReference(o, src, field, qp, qpOff, pSlice, prior)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]h264.MacroblockTrace, len(want))
		if err := d.Run(src, field, qp, qpOff, pSlice, got); err != nil {
			t.Fatal(err)
		}
		bad := 0
		types := map[int]int{}
		for i := range got {
			types[want[i].Type]++
			if got[i] != want[i] {
				if bad < 3 {
					t.Errorf("picture %d MB %d: got  %+v\n want %+v", k, i, got[i], want[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Fatalf("picture %d (P %v, qp %d): %d of %d macroblocks differ", k, pSlice, qp, bad, len(got))
		}
		t.Logf("picture %d (P %v, qp %d): types %v", k, pSlice, qp, types)
		prior = want
		src, rsrc = rsrc, src // next picture: the other one
	}
}

// TestEmuDecisionsMatchGo runs the decision kernel compiled as C on I and
// P pictures and compares every macroblock's decisions with h264's Go
// encoder.
func TestEmuDecisionsMatchGo(t *testing.T) {
	for _, c := range decisionCases() {
		if c.gpuOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			d, err := newDecider(&emuBackend{}, c.options())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			compareDecisions(t, d, &c)
		})
	}
}

// TestGPUDecisionsMatchGo is TestEmuDecisionsMatchGo on the GPU, 1080p
// included.
func TestGPUDecisionsMatchGo(t *testing.T) {
	ctx := gpuContext(t)
	for _, c := range decisionCases() {
		t.Run(c.name, func(t *testing.T) {
			d := newGPUDecider(t, ctx, c.options())
			compareDecisions(t, d, &c)
		})
	}
}

func newGPUDecider(tb testing.TB, ctx *cuda.Context, o h264.Options) *Decider {
	tb.Helper()
	d, err := NewDecider(ctx, o)
	return closeAtCleanup(tb, d, err)
}

// TestAnalyseLayout checks the Go copy of analyse.h's indices.
func TestAnalyseLayout(t *testing.T) {
	for _, kv := range []struct {
		name string
		v    int
	}{
		{"AP_SRC_Y", apSrcY}, {"AP_SRC_CB", apSrcCb}, {"AP_SRC_CR", apSrcCr}, {"AP_FIELD", apField},
		{"AP_DEC", apDec}, {"AP_MBW", apMBW}, {"AP_MBH", apMBH}, {"AP_QP", apQP}, {"AP_LAMBDA", apLambda},
		{"AP_PSLICE", apPSlice}, {"AP_INTRA4", apIntra4}, {"AP_PARTS", apParts}, {"AP_AQ", apAQ}, {"AP_LAMBDA_TAB", apLambdaTab}, {"AP_QPOFF", apQPOff},
		{"AP_COUNT", apCount},
		{"DEC_TYPE", decType}, {"DEC_I16", decI16}, {"DEC_CHROMA", decChroma}, {"DEC_QP", decQP},
		{"DEC_I4", decI4}, {"DEC_PARTMV", decPartMV}, {"DEC_MV", decMV}, {"DEC_WORDS", decWords},
		{"AP_HOST", apHost}, {"DH_TYPE", dhType}, {"DH_I16", dhI16}, {"DH_CHROMA", dhChroma}, {"DH_QP", dhQP},
		{"DH_I4", dhI4}, {"DH_PARTMV", dhPartMV}, {"DH_MV", dhMV}, {"DH_BYTES", dhBytes},
		{"MB_I4X4", h264.TraceI4x4}, {"MB_I16X16", h264.TraceI16x16}, {"MB_P16X16", h264.TraceP16x16},
		{"MB_P16X8", h264.TraceP16x8}, {"MB_P8X16", h264.TraceP8x16}, {"MB_P8X8", h264.TraceP8x8},
		{"MB_PSKIP", h264.TracePSkip},
	} {
		if got := cemu.MotionConst(kv.name); got != kv.v {
			t.Errorf("analyse.h %s = %d, Go has %d", kv.name, got, kv.v)
		}
	}
}

// BenchmarkGPUDecide1080p times the mode decision of a 1080p P picture
// (preset medium) and reports the kernel's median GPU time.
func BenchmarkGPUDecide1080p(b *testing.B) {
	for _, preset := range []string{"medium", "ultrafast"} {
		b.Run(preset, func(b *testing.B) {
			ctx := gpuContext(b)
			mc := motionCases()[17]
			o := h264.Options{Width: mc.w, Height: mc.h, Preset: preset}
			cur, ref, prev := mc.pictures()
			src, rsrc := padded(cur, 1), padded(ref, 2)
			cfg, err := h264.MotionConfigFor(o)
			if err != nil {
				b.Fatal(err)
			}
			snap, err := h264.MotionSearchReference(cfg, src, rsrc, prev, mc.qp)
			if err != nil {
				b.Fatal(err)
			}
			d := newGPUDecider(b, ctx, o)
			gb := d.be.(*gpuBackend)
			out := make([]h264.MacroblockTrace, len(snap.MBs))
			for i := 0; i < 3; i++ {
				if err := d.Run(src, snap.MBs, mc.qp, nil, true, out); err != nil {
					b.Fatal(err)
				}
			}
			gb.timing = true
			var ks []float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := d.Run(src, snap.MBs, mc.qp, nil, true, out); err != nil {
					b.Fatal(err)
				}
				st, err := gb.stageTimes()
				if err != nil {
					b.Fatal(err)
				}
				for _, x := range st {
					if x.Stage == "analyse" {
						ks = append(ks, x.Seconds)
					}
				}
			}
			b.StopTimer()
			slices.Sort(ks)
			b.ReportMetric(ks[len(ks)/2]*1e3, "kernel-ms")
		})
	}
}
