package h264cuda

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/gpuenc/gpuenc/h264"
)

// TestEmuSkipProbe: the clips the encoder comparison runs through the
// emulated kernels include pictures where stage 2b moves macroblocks to
// their skip vector, so the probe's pass 1 on the inter kernel
// (ProbeSkips) is exercised there; TestEmuEncoderMatchesGo holds its
// result equal to Go's.
func TestEmuSkipProbe(t *testing.T) {
	moved := 0
	for _, c := range encClips() {
		if c.gpuOnly {
			continue
		}
		enc, err := h264.NewEncoder(c.options())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.pictures() {
			_, tr, err := enc.EncodeTrace(p)
			if err != nil {
				t.Fatal(err)
			}
			if tr == nil || tr.IDR {
				continue
			}
			for i := range tr.Decisions {
				if tr.Probed[i].PartMV != tr.Decisions[i].PartMV || tr.Probed[i].Type != tr.Decisions[i].Type {
					moved++
				}
			}
		}
	}
	t.Logf("%d macroblocks moved by the skip probe", moved)
	if moved == 0 {
		t.Fatal("no clip has a macroblock the skip probe moves")
	}
}

// TestEmuProbeAccelerator: the encoder's accelerator with the inter stage
// implements h264.ProbeAccelerator, without it not.
func TestEmuProbeAccelerator(t *testing.T) {
	o := h264.Options{Width: 64, Height: 48}
	for _, g := range []gpuStages{{inter: true}, {}} {
		e := emuEncoder(t, o, g)
		_, ok := e.st.accelerator().(h264.ProbeAccelerator)
		if ok != g.inter {
			t.Errorf("stages %+v: ProbeAccelerator %v", g, ok)
		}
	}
}

// randomDecisions makes stage 2 decisions for mbW×mbH macroblocks: every
// type stage 2 gives (intra ones with stray vectors, which the skip
// vector must not read; P_8x8 ones with a vector a 4x4 block), vectors
// from a small set so that neighbours often agree, QPs 20..51; then about half of the P_L0_16x16 macroblocks
// are put at their skip vector (which does not depend on themselves), so
// that some want no probe.
func randomDecisions(rng *rand.Rand, mbW, mbH int) []h264.Decision {
	vecs := []h264.MV{{}, {X: 1}, {X: -2, Y: 1}, {X: 4, Y: -3}, {Y: 2}, {X: -5, Y: -5}, {X: 9, Y: 1}}
	types := []int{h264.TraceI4x4, h264.TraceI16x16, h264.TraceP16x16, h264.TraceP16x16, h264.TraceP16x16,
		h264.TraceP16x8, h264.TraceP8x16, h264.TraceP8x8, h264.TraceP8x8}
	dec := make([]h264.Decision, mbW*mbH)
	for i := range dec {
		d := &dec[i]
		d.Type, d.QP = types[rng.IntN(len(types))], 20+rng.IntN(32)
		for p := range d.PartMV {
			d.PartMV[p] = vecs[rng.IntN(len(vecs))]
		}
		for b := range d.MV {
			bx, by := b%4, b/4
			switch d.Type {
			case h264.TraceP16x16:
				d.MV[b] = d.PartMV[0]
			case h264.TraceP16x8:
				d.MV[b] = d.PartMV[by/2]
			case h264.TraceP8x16:
				d.MV[b] = d.PartMV[bx/2]
			case h264.TraceP8x8:
				// Each 4x4 block its own vector (stage 2 gives an 8x8
				// block one): the neighbours' exact blocks are read.
				d.MV[b] = vecs[rng.IntN(len(vecs))]
			default:
				d.MV[b] = vecs[rng.IntN(len(vecs))]
			}
		}
	}
	ref, err := h264.SkipProbeVectors(mbW, mbH, dec)
	if err != nil {
		panic(err)
	}
	for i := range dec {
		if d := &dec[i]; d.Type == h264.TraceP16x16 && rng.IntN(2) == 0 {
			d.PartMV[0] = ref[i].MV
			for b := range d.MV {
				d.MV[b] = ref[i].MV
			}
		}
	}
	return dec
}

// putDecisionRecords writes dec as the decision stage's device records
// (analyse.h DEC_*).
func putDecisionRecords(dec []h264.Decision) []byte {
	b := make([]byte, 4*decWords*len(dec))
	le := binary.LittleEndian
	for i := range dec {
		w := b[4*decWords*i:]
		d := &dec[i]
		le.PutUint32(w[4*decType:], uint32(int32(d.Type)))
		le.PutUint32(w[4*decQP:], uint32(int32(d.QP)))
		for p, v := range d.PartMV {
			le.PutUint32(w[4*(decPartMV+2*p):], uint32(int32(v.X)))
			le.PutUint32(w[4*(decPartMV+2*p+1):], uint32(int32(v.Y)))
		}
		for k, v := range d.MV {
			le.PutUint32(w[4*(decMV+2*k):], uint32(int32(v.X)))
			le.PutUint32(w[4*(decMV+2*k+1):], uint32(int32(v.Y)))
		}
	}
	return b
}

// checkProbeDecided runs probe_skip and inter_recon (probeDecided) on
// random decisions and pictures where the source is the reference moved
// by a little and slightly noisy, and compares each macroblock's skip
// vector and want of a probe with h264's pass 1 (SkipProbeVectors) and
// its outcome with the probe from records made on the host (probe).
func checkProbeDecided(t *testing.T, mk func() backend) {
	var wants, atSkip, nothing, coded, intra int
	for k, sz := range [][2]int{{1, 1}, {2, 2}, {7, 5}, {20, 12}} {
		mbW, mbH := sz[0], sz[1]
		n := mbW * mbH
		rng := rand.New(rand.NewPCG(uint64(k), 41))
		dec := randomDecisions(rng, mbW, mbH)
		want, err := h264.SkipProbeVectors(mbW, mbH, dec)
		if err != nil {
			t.Fatal(err)
		}
		tex := newTexture(uint64(70+k), 16*mbW, 16*mbH)
		src, refPic := h264.NewPicture(16*mbW, 16*mbH), h264.NewPicture(16*mbW, 16*mbH)
		for _, pl := range [][2]*h264.Plane{{&src.Y, &refPic.Y}, {&src.Cb, &refPic.Cb}, {&src.Cr, &refPic.Cr}} {
			for y := 0; y < pl[0].Height; y++ {
				for x := 0; x < pl[0].Width; x++ {
					v := tex.at(float64(x), float64(y))
					pl[1].Pix[y*pl[1].Stride+x] = uint8(min(max(v, 0), 255))
					s := tex.at(float64(x)-0.25, float64(y)) + float64(rng.IntN(3)-1)
					pl[0].Pix[y*pl[0].Stride+x] = uint8(min(max(s, 0), 255))
				}
			}
		}
		r, err := newInterRecon(mk(), mbW, mbH)
		if err != nil {
			t.Fatal(err)
		}
		decBe := mk()
		addr, err := decBe.alloc(4 * decWords * n)
		if err != nil {
			t.Fatal(err)
		}
		if err := decBe.upload(0, putDecisionRecords(dec)); err != nil {
			t.Fatal(err)
		}
		if err := decBe.sync(); err != nil {
			t.Fatal(err)
		}
		got := make([]h264.ProbeResult, n)
		if err := r.probeDecided(src, refPic, addr, got); err != nil {
			t.Fatal(err)
		}
		// The host's records for the same probe, as h264's accelProbe
		// makes them.
		hostDec := make([]h264.Decision, n)
		for i := range hostDec {
			hostDec[i] = h264.Decision{Type: h264.TraceI16x16, QP: dec[i].QP}
			if want[i].Wants {
				hostDec[i].Type = h264.TraceP16x16
				for b := range hostDec[i].MV {
					hostDec[i].MV[b] = want[i].MV
				}
			}
		}
		hostNothing := make([]bool, n)
		if err := r.probe(src, refPic, hostDec, hostNothing); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			w := want[i]
			w.Nothing = w.Wants && hostNothing[i]
			if got[i] != w {
				t.Fatalf("%dx%d macroblocks, macroblock %d (decision %+v): got %+v, want %+v", mbW, mbH, i, dec[i].Type, got[i], w)
			}
			switch {
			case dec[i].Type <= h264.TraceI16x16:
				intra++
			case !w.Wants:
				atSkip++
			case w.Nothing:
				wants++
				nothing++
			default:
				wants++
				coded++
			}
		}
		for _, b := range []backend{r.be, decBe} {
			if err := b.close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%d intra, %d inter at their skip vector, %d probed (%d code nothing there, %d code levels)", intra, atSkip, wants, nothing, coded)
	if intra == 0 || atSkip == 0 || nothing == 0 || coded == 0 {
		t.Fatal("the cases miss a kind of macroblock")
	}
}

// TestEmuProbeDecidedMatchesGo checks the emulated probe_skip against
// h264's pass 1 of the skip probe.
func TestEmuProbeDecidedMatchesGo(t *testing.T) {
	checkProbeDecided(t, func() backend { return &emuBackend{} })
}

// TestGPUProbeDecidedMatchesGo is TestEmuProbeDecidedMatchesGo on the GPU.
func TestGPUProbeDecidedMatchesGo(t *testing.T) {
	ctx := gpuContext(t)
	checkProbeDecided(t, func() backend {
		be, err := newGPUBackend(ctx, "inter", []string{"inter_recon", "probe_skip"})
		if err != nil {
			t.Fatal(err)
		}
		return be
	})
}
