package h264cuda

import (
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
