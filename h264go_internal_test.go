package gpuenc

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestWriteEndsAveragingAhead checks that no averaging of a yuv444p
// frame is left running when Write returns, however it ends (here
// cancelled after two frames, with the third being averaged ahead): the
// batch's frames are the caller's again.
func TestWriteEndsAveragingAhead(t *testing.T) {
	const w, h, n = 48, 32, 5
	wr, err := Create(filepath.Join(t.TempDir(), "c.h264"), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer wr.Close()
	if _, err := wr.AddVideoStream(StreamConfig{Width: w, Height: h, Format: YUV444P, FrameRate: Rational{Num: 25, Den: 1},
		Encoder: "h264_go", Options: map[string]string{"qp": "26"}}); err != nil {
		t.Fatal(err)
	}
	frames, err := NewFrames(YUV444P, w, h, n)
	if err != nil {
		t.Fatal(err)
	}
	for i, ctx := range []context.Context{context.Background(), &cancelAfter{Context: context.Background(), calls: 2}} {
		err := wr.Write(ctx, 0, frames)
		if want := i == 1; errors.Is(err, context.Canceled) != want || (!want && err != nil) {
			t.Fatalf("Write %d: %v", i, err)
		}
		if e := wr.streams[0].enc.(*ownH264Encoder); e.ahead.done != nil {
			t.Fatalf("Write %d returned with frame %d still being averaged", i, e.ahead.i)
		}
	}
}

// cancelAfter is a context whose Err reports cancellation from its
// calls+1-th call on.
type cancelAfter struct {
	context.Context
	calls int
}

func (c *cancelAfter) Err() error {
	if c.calls == 0 {
		return context.Canceled
	}
	c.calls--
	return nil
}
