package h264

import (
	"bytes"
	"testing"
)

// TestSkipProbe checks stage 2b on a pan across the test photograph: it
// moves some macroblocks to their P_Skip vector, every one of them is then
// coded with no level (as the probe promised) and becomes P_Skip (its
// skip vector was final when it was probed), and it touches nothing else.
func TestSkipProbe(t *testing.T) {
	const w, h = 208, 160
	e, err := NewEncoder(Options{Width: w, Height: h, RateControl: ConstantQP, QP: 30, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	moved, skipped := 0, 0
	for k, pic := range photoClip(t, w, h, 8) {
		_, tr, err := e.EncodeTrace(pic)
		if err != nil {
			t.Fatal(err)
		}
		for m, d := range tr.Decisions {
			p, mb := tr.Probed[m], tr.Macroblocks[m]
			if p == d {
				continue
			}
			moved++
			if tr.IDR || d.Type < TraceP16x16 {
				t.Fatalf("picture %d MB %d: probe changed %+v", k, m, d)
			}
			d.Type, d.PartMV, d.MV = p.Type, p.PartMV, p.MV
			if d != p || p.Type != TraceP16x16 {
				t.Fatalf("picture %d MB %d: probe changed more than the vector: %+v to %+v", k, m, tr.Decisions[m], p)
			}
			if mb.CBP != 0 || (mb.Type != TraceP16x16 && mb.Type != TracePSkip) || mb.MV != p.MV {
				t.Fatalf("picture %d MB %d: probed to code nothing at %v, coded type %d cbp %#x at %v", k, m, p.MV[0], mb.Type, mb.CBP, mb.MV[0])
			}
			if mb.Type == TracePSkip {
				skipped++
			}
		}
	}
	t.Logf("%d macroblocks moved to their skip vector, %d of them skipped", moved, skipped)
	if moved == 0 || skipped != moved {
		t.Errorf("%d moved, %d skipped: want some moved, all of them skipped", moved, skipped)
	}
}

// TestSkipProbeWalkThreads: pass 2 runs as a wavefront, and gives the
// stream of the one-goroutine raster walk whatever the number of
// workers, the probes it makes again included (the pan across the
// photograph makes some: a move changes a neighbour's skip vector).
func TestSkipProbeWalkThreads(t *testing.T) {
	const w, h = 208, 160
	pics := photoClip(t, w, h, 6)
	var want []byte
	var wantReprobes int64
	for _, threads := range []int{1, 2, 5, 16} {
		e, err := NewEncoder(Options{Width: w, Height: h, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, p := range pics {
			au, err := e.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, au.Data...)
		}
		n := e.reprobes.Load()
		if want == nil {
			want, wantReprobes = got, n
			if n == 0 {
				t.Fatal("pass 2 probed no macroblock again: the clip does not test the walk")
			}
			continue
		}
		if !bytes.Equal(got, want) || n != wantReprobes {
			t.Fatalf("%d workers: %d bytes, %d probes made again; one worker: %d bytes, %d", threads, len(got), n, len(want), wantReprobes)
		}
	}
}
