package h264

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// goInterAccel is an InterAccelerator made of the encoder's own Go stages:
// the exported references for stages 1 and 2, and for stage 3 the Go
// inter reconstruction of the encoder it is plugged into, writing that
// encoder's records, which InterLevels then reads back. It lets the tests
// drive the encoder's accelerated paths without kernels.
type goInterAccel struct {
	o     Options
	cfg   MotionConfig
	prior []MacroblockTrace
	e     *Encoder
}

func (a *goInterAccel) Motion(cur, ref *Picture, prev []MV, qp int, out []MotionMB) error {
	snap, err := MotionSearchReference(a.cfg, cur, ref, prev, qp)
	if err != nil {
		return err
	}
	copy(out, snap.MBs)
	return nil
}

func (a *goInterAccel) Decide(src *Picture, field []MotionMB, qp int, qpOffset []int8, pSlice bool, out []Decision) error {
	dec, err := DecisionReference(a.o, src, field, qp, qpOffset, pSlice, a.prior)
	if err != nil {
		return err
	}
	a.prior = dec
	for i, d := range dec {
		out[i] = Decision{Type: d.Type, I16Mode: d.I16Mode, ChromaMode: d.ChromaMode, QP: d.QP, I4Modes: d.I4Modes, PartMV: d.PartMV, MV: d.MV}
	}
	return nil
}

func (a *goInterAccel) ReconInter(src, ref *Picture, dec []Decision, rec *Picture) error {
	e := a.e
	for i, d := range dec {
		if d.Type >= TraceP16x16 && d.Type <= TraceP8x8 {
			e.reconInter(&e.workers[0], &e.mbs[i], i%e.mbW, i/e.mbW)
		}
	}
	return nil
}

func (a *goInterAccel) InterLevels(i int, out *InterResult) {
	mb := &a.e.mbs[i]
	out.CBP, out.TotalCoeff, out.ChromaTC = int(mb.cbp), mb.nz, mb.nzC
	out.Luma, out.ChromaDC, out.ChromaAC = mb.lv.Luma, mb.lv.ChromaDC, mb.lv.ChromaAC
}

// TestAccelReconPaths: after an accelerated inter reconstruction the
// encoder reconstructs the intra macroblocks in dependency levels when
// they are few, else with the wavefront; both give h264_go's bytes. The
// clip puts flat patches into every P picture, so that some of its
// macroblocks are intra, with intra neighbours (several levels): more than
// the lowered limit of the wavefront run, fewer than a scene cut.
func TestAccelReconPaths(t *testing.T) {
	const w, h = 208, 160
	o := Options{Width: w, Height: h, RateControl: ConstantQP, QP: 28, Threads: 3}
	pics := photoClip(t, w, h, 6)
	for k, p := range pics[1:] {
		for m := k % 2; m < 13*10; m += 2 {
			x, y := 16*(m%13), 16*(m/13)
			for yy := 0; yy < 16; yy++ {
				for xx := 0; xx < 16; xx++ {
					p.Y.Pix[(y+yy)*p.Y.Stride+x+xx] = uint8(40*k + 7*m)
				}
			}
		}
	}
	goEnc, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for _, p := range pics {
		au, err := goEnc.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, au.Data)
	}
	const wavefrontAbove = 8
	for _, limit := range []int{wavefrontAbove, 1 << 20} {
		cfg, err := MotionConfigFor(o)
		if err != nil {
			t.Fatal(err)
		}
		a := &goInterAccel{o: o, cfg: cfg}
		e, err := NewEncoderWith(o, a)
		if err != nil {
			t.Fatal(err)
		}
		a.e = e
		e.accel.levelIntra = limit
		most, levels := 0, int32(0)
		for k, p := range pics {
			au, err := e.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(au.Data, want[k]) {
				t.Fatalf("level limit %d, picture %d: %d bytes, h264_go %d: streams differ", limit, k, len(au.Data), len(want[k]))
			}
			if !au.Keyframe {
				n := 0
				for _, c := range e.accel.intraInRow {
					n += int(c)
				}
				most = max(most, n)
				if n <= limit {
					for _, i := range e.accel.intraOrder {
						levels = max(levels, e.accel.intraLevel[i]+1)
					}
				}
			}
		}
		t.Logf("level limit %d: at most %d intra macroblocks in a P picture, at most %d levels", limit, most, levels)
		if most <= wavefrontAbove {
			t.Fatalf("at most %d intra macroblocks in a P picture: the wavefront path (over %d) did not run", most, wavefrontAbove)
		}
		if limit > wavefrontAbove && levels < 3 {
			t.Fatalf("at most %d levels: the levels path did not order dependent macroblocks", levels)
		}
	}
}

// goLookaheadAccel is goInterAccel's stages 1 and 2 with the lookahead's
// analysis run by a Go lookahead of its own, which keeps the previous
// picture's plane and vectors as a device would: the encoder's bytes
// stay h264_go's only if it calls AnalyseLookahead for every picture, in
// order, with first set just once. corrupt, when set, spoils a result.
type goLookaheadAccel struct {
	goInterAccel
	la      *lookahead
	prev    *laFrame
	calls   int
	corrupt func(out LookaheadCosts)
}

func (a *goLookaheadAccel) AnalyseLookahead(src *Picture, first bool, out LookaheadCosts) error {
	if first != (a.calls == 0) {
		return errTestOrder
	}
	a.calls++
	f := &laFrame{src: src, intra: out.Intra, inter: out.Inter, mv: out.MV, frac: out.Frac}
	f.low.reset(laBlock*a.la.mbW, laBlock*a.la.mbH, laMargin)
	if err := a.la.analyse(f, a.prev, 2); err != nil {
		return err
	}
	// Keep what the next call reads: the plane and the vectors.
	f.src, f.mv = nil, slices.Clone(f.mv)
	a.prev = f
	if a.corrupt != nil {
		a.corrupt(out)
	}
	return nil
}

var errTestOrder = errors.New("first picture flag out of order")

// TestAccelLookahead: an accelerator's lookahead analysis replaces the Go
// one (the stream stays h264_go's), and a result out of the bounds the
// macroblock tree relies on stops the encoder with ErrAccelerator instead
// of reaching it.
func TestAccelLookahead(t *testing.T) {
	const w, h = 96, 64
	o := Options{Width: w, Height: h, Lookahead: 3, Threads: 2}
	pics := photoClip(t, w, h, 7)
	goEnc, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	encodeAll := func(e *Encoder) ([]byte, error) {
		var out []byte
		for _, p := range pics {
			au, err := e.Encode(p)
			if err != nil {
				return nil, err
			}
			out = append(out, au.Data...)
		}
		for {
			au, ok, err := e.Flush()
			if err != nil {
				return nil, err
			}
			if !ok {
				return out, nil
			}
			out = append(out, au.Data...)
		}
	}
	want, err := encodeAll(goEnc)
	if err != nil {
		t.Fatal(err)
	}
	newAccel := func(corrupt func(LookaheadCosts)) (*Encoder, *goLookaheadAccel) {
		cfg, err := MotionConfigFor(o)
		if err != nil {
			t.Fatal(err)
		}
		a := &goLookaheadAccel{goInterAccel: goInterAccel{o: o, cfg: cfg}, la: newLookahead(1, (w+15)/16, (h+15)/16), corrupt: corrupt}
		e, err := NewEncoderWith(o, a)
		if err != nil {
			t.Fatal(err)
		}
		a.e = e
		return e, a
	}
	e, a := newAccel(nil)
	got, err := encodeAll(e)
	if err != nil {
		t.Fatal(err)
	}
	if a.calls != len(pics) {
		t.Fatalf("AnalyseLookahead ran %d times for %d pictures", a.calls, len(pics))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("with the accelerator's lookahead: %d bytes, h264_go %d: streams differ", len(got), len(want))
	}
	for name, corrupt := range map[string]func(LookaheadCosts){
		"vector":   func(c LookaheadCosts) { c.MV[len(c.MV)-1].X = laRange + 1 },
		"inter":    func(c LookaheadCosts) { c.Inter[0] = c.Intra[0] + 1 },
		"intra":    func(c LookaheadCosts) { c.Intra[1] = 0 },
		"fraction": func(c LookaheadCosts) { c.Frac[2] = 1<<16 + 1 },
	} {
		e, _ := newAccel(corrupt)
		_, err := encodeAll(e)
		if !errors.Is(err, ErrAccelerator) {
			t.Errorf("%s out of range: error %v, want ErrAccelerator", name, err)
		}
	}
}
