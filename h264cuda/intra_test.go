package h264cuda

import (
	"errors"
	"testing"

	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// TestIntraLayout checks the Go copy of intra.h's indices.
func TestIntraLayout(t *testing.T) {
	for _, kv := range []struct {
		name string
		v    int
	}{
		{"XP_SRC_Y", xpSrcY}, {"XP_SRC_CB", xpSrcCb}, {"XP_SRC_CR", xpSrcCr}, {"XP_REC_Y", xpRecY},
		{"XP_REC_CB", xpRecCb}, {"XP_REC_CR", xpRecCr}, {"XP_DEC", xpDec}, {"XP_LEVELS", xpLevels},
		{"XP_COUNTS", xpCounts}, {"XP_LUMADC", xpLumaDC}, {"XP_ROWS", xpRows}, {"XP_MBW", xpMBW},
		{"XP_MBH", xpMBH}, {"XP_COUNT", xpCount},
	} {
		if got := cemu.MotionConst(kv.name); got != kv.v {
			t.Errorf("intra.h %s = %d, Go has %d", kv.name, got, kv.v)
		}
	}
}

// TestEmuIntraErrors: the intra stage refuses pictures of another size,
// decisions of the wrong length or of inter types, and a closed stage,
// with typed errors and before launching anything.
func TestEmuIntraErrors(t *testing.T) {
	r, err := newIntraRecon(&emuBackend{}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	pic := func(w, h int) *h264.Picture {
		return &h264.Picture{
			Y:  h264.Plane{Width: w, Height: h, Stride: w, Pix: make([]uint8, w*h)},
			Cb: h264.Plane{Width: w / 2, Height: h / 2, Stride: w / 2, Pix: make([]uint8, w*h/4)},
			Cr: h264.Plane{Width: w / 2, Height: h / 2, Stride: w / 2, Pix: make([]uint8, w*h/4)},
		}
	}
	intra := make([]h264.Decision, 4)
	inter := make([]h264.Decision, 4)
	inter[3].Type = h264.TraceP16x16
	for _, c := range []struct {
		name string
		p    *h264.Picture
		dec  []h264.Decision
	}{
		{"nil picture", nil, intra},
		{"wrong size", pic(16, 32), intra},
		{"short decisions", pic(32, 32), intra[:3]},
		{"inter decision", pic(32, 32), inter},
	} {
		if err := r.run(c.p, c.dec); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", c.name, err)
		}
	}
	if err := r.run(pic(32, 32), intra); err != nil {
		t.Fatalf("a valid run: %v", err)
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if err := r.run(pic(32, 32), intra); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v, want ErrClosed", err)
	}
}

// TestEmuEncoderIntraFails: when the intra stage fails, Encode returns
// an error matching h264.ErrAccelerator and the stage's own error.
func TestEmuEncoderIntraFails(t *testing.T) {
	c := intraClips()[0]
	e := emuEncoder(t, c.options(), allStages)
	if err := e.st.intra.close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.Encode(c.pictures()[0])
	if !errors.Is(err, h264.ErrAccelerator) || !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode with the intra stage closed: %v, want h264.ErrAccelerator and ErrClosed", err)
	}
}
