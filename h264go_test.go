package gpuenc_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/internal/oracle"
)

// TestH264GoThroughWriter encodes with h264_go through the Writer into mp4
// (any size, several input formats) and checks that Debian's ffmpeg decodes
// exactly the encoder's reconstruction.
func TestH264GoThroughWriter(t *testing.T) {
	oracle.Require(t)
	for _, c := range []struct {
		format gpuenc.PixelFormat
		w, h   int
	}{{gpuenc.YUV420P, 33, 17}, {gpuenc.NV12, 64, 48}, {gpuenc.YUV444P, 48, 32}, {gpuenc.RGB24, 40, 24}, {gpuenc.Gray, 16, 16}} {
		t.Run(string(c.format), func(t *testing.T) {
			src := source(t, c.format, c.w, c.h, 6)
			var recon bytes.Buffer
			path := encode(t, src, "go.mp4", gpuenc.StreamConfig{Encoder: "h264_go", Reconstruction: &recon, Options: map[string]string{"qp": "26", "preset": "fast"}})
			dec, err := oracle.FFmpegDecodeFile(context.Background(), path, "yuv420p")
			if err != nil {
				t.Fatal(err)
			}
			size := gpuenc.YUV420P.FrameSize(c.w, c.h)
			if len(dec.Frames) != 6 || recon.Len() != 6*size {
				t.Fatalf("decoded %d frames, reconstruction %d bytes; want 6 frames of %d", len(dec.Frames), recon.Len(), size)
			}
			for i, f := range dec.Frames {
				if !bytes.Equal(f, recon.Bytes()[i*size:(i+1)*size]) {
					t.Fatalf("frame %d: decoder output differs from h264_go's reconstruction", i)
				}
			}
		})
	}
}

func TestH264GoOptions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.mp4")
	w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cfg := gpuenc.StreamConfig{Width: 32, Height: 32, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "h264_go", Options: map[string]string{"qp": "20", "crff": "1"}}
	var unused *gpuenc.UnusedOptionsError
	if _, err := w.AddVideoStream(cfg); !errors.As(err, &unused) || unused.Names[0] != "crff" {
		t.Errorf("got %v, want UnusedOptionsError naming crff", err)
	}
	cfg.Options = map[string]string{"qp": "60"}
	var ee *gpuenc.EncoderError
	if _, err := w.AddVideoStream(cfg); !errors.As(err, &ee) {
		t.Errorf("qp=60: got %v, want EncoderError", err)
	}
	cfg.Options = map[string]string{"b": "fast"}
	var ce *gpuenc.ConfigError
	if _, err := w.AddVideoStream(cfg); !errors.As(err, &ce) {
		t.Errorf("b=fast: got %v, want ConfigError", err)
	}
}

// TestH264GoIPOffsetOption checks that ipoffset reaches the encoder: 3 (the
// default) gives the stream of no option, 0 (IDR pictures at the P QP) a
// different one, and values outside 0..12 are refused.
func TestH264GoIPOffsetOption(t *testing.T) {
	src := source(t, gpuenc.YUV420P, 48, 32, 3)
	recon := func(opts map[string]string) []byte {
		var r bytes.Buffer
		encode(t, src, "ip.h264", gpuenc.StreamConfig{Encoder: "h264_go", Reconstruction: &r, Options: opts})
		return r.Bytes()
	}
	def := recon(map[string]string{"qp": "30"})
	if three := recon(map[string]string{"qp": "30", "ipoffset": "3"}); !bytes.Equal(def, three) {
		t.Error("ipoffset=3 changed the reconstruction; it is the default")
	}
	if zero := recon(map[string]string{"qp": "30", "ipoffset": "0"}); bytes.Equal(def, zero) {
		t.Error("ipoffset=0 gave the default's reconstruction: the option was ignored")
	}
	w, err := gpuenc.Create(filepath.Join(t.TempDir(), "x.h264"), gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, v := range []string{"-1", "13", "x"} {
		cfg := gpuenc.StreamConfig{Width: 32, Height: 32, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "h264_go", Options: map[string]string{"ipoffset": v}}
		var ce *gpuenc.ConfigError
		if _, err := w.AddVideoStream(cfg); !errors.As(err, &ce) {
			t.Errorf("ipoffset=%s: got %v, want ConfigError", v, err)
		}
	}
}

// TestH264GoLookaheadThroughWriter: with the lookahead holding pictures
// back, every picture still comes out, in order (the decoder's frames equal
// the reconstructions, written as pictures are coded), the Close flushes the
// held ones, and the option is checked.
func TestH264GoLookaheadThroughWriter(t *testing.T) {
	oracle.Require(t)
	const n = 9
	src := source(t, gpuenc.YUV420P, 64, 48, n)
	recon := func(name string, opts map[string]string) []byte {
		var r bytes.Buffer
		path := encode(t, src, name, gpuenc.StreamConfig{Encoder: "h264_go", Reconstruction: &r, Options: opts})
		dec, err := oracle.FFmpegDecodeFile(context.Background(), path, "yuv420p")
		if err != nil {
			t.Fatal(err)
		}
		size := gpuenc.YUV420P.FrameSize(64, 48)
		if len(dec.Frames) != n || r.Len() != n*size {
			t.Fatalf("%v: decoded %d frames, reconstruction %d bytes; want %d frames of %d", opts, len(dec.Frames), r.Len(), n, size)
		}
		for i, f := range dec.Frames {
			if !bytes.Equal(f, r.Bytes()[i*size:(i+1)*size]) {
				t.Fatalf("%v: frame %d: decoder output differs from the reconstruction", opts, i)
			}
		}
		return r.Bytes()
	}
	plain := recon("qp.mp4", map[string]string{"qp": "30"})
	if tree := recon("tree.mkv", map[string]string{"qp": "30", "rc-lookahead": "4"}); bytes.Equal(plain, tree) {
		t.Error("rc-lookahead=4 with qp gave the reconstruction of qp alone: the option was ignored")
	}
	def := recon("default.mp4", nil)
	if bytes.Equal(def, recon("none.mp4", map[string]string{"rc-lookahead": "0"})) {
		t.Error("crf without rc-lookahead gave the reconstruction of rc-lookahead=0: the default lookahead is off")
	}
	if !bytes.Equal(def, recon("long.mp4", map[string]string{"rc-lookahead": "30"})) { // longer than the clip, as 20 is
		t.Error("the default lookahead and one longer than the clip code differently")
	}
	w, err := gpuenc.Create(filepath.Join(t.TempDir(), "x.h264"), gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, v := range []string{"-1", "251", "x"} {
		cfg := gpuenc.StreamConfig{Width: 32, Height: 32, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "h264_go", Options: map[string]string{"rc-lookahead": v}}
		var ce *gpuenc.ConfigError
		if _, err := w.AddVideoStream(cfg); !errors.As(err, &ce) {
			t.Errorf("rc-lookahead=%s: got %v, want ConfigError", v, err)
		}
	}
}

// TestH264GoYUV444PBatches checks the Writer's averaging of yuv444p input
// ahead of the encoder (the next frame of a batch is averaged while one is
// coded): whatever the batches, the reconstruction is the one of the same
// frames averaged down beforehand (h264.Picture.SetYUV444P) and given as
// yuv420p.
func TestH264GoYUV444PBatches(t *testing.T) {
	const w, h, n = 48, 32, 7
	src := source(t, gpuenc.YUV444P, w, h, n)
	avg, err := gpuenc.NewFrames(gpuenc.YUV420P, w, h, n)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		p := h264.NewPicture(w, h)
		if err := p.SetYUV444P(src.Frame(i)); err != nil {
			t.Fatal(err)
		}
		dst := avg.Frame(i)[:0]
		for _, pl := range []h264.Plane{p.Y, p.Cb, p.Cr} {
			for y := 0; y < pl.Height; y++ {
				dst = append(dst, pl.Pix[y*pl.Stride:y*pl.Stride+pl.Width]...)
			}
		}
	}
	opts := map[string]string{"qp": "26", "preset": "fast"}
	recon := func(frames *gpuenc.Frames, batches []int) []byte {
		t.Helper()
		var r bytes.Buffer
		wr, err := gpuenc.Create(filepath.Join(t.TempDir(), "b.h264"), gpuenc.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer wr.Close()
		cfg := gpuenc.StreamConfig{Width: w, Height: h, Format: frames.Format(), FrameRate: gpuenc.Rational{Num: 25, Den: 1},
			Encoder: "h264_go", Reconstruction: &r, Options: opts}
		if _, err := wr.AddVideoStream(cfg); err != nil {
			t.Fatal(err)
		}
		at := 0
		for _, k := range batches {
			if err := wr.Write(context.Background(), 0, frames.Slice(at, at+k)); err != nil {
				t.Fatal(err)
			}
			at += k
		}
		if err := wr.Close(); err != nil {
			t.Fatal(err)
		}
		return r.Bytes()
	}
	want := recon(avg, []int{n})
	if len(want) != n*gpuenc.YUV420P.FrameSize(w, h) {
		t.Fatalf("reconstruction of %d bytes for %d frames", len(want), n)
	}
	for _, b := range [][]int{{n}, {1, 1, 1, 1, 1, 1, 1}, {2, 4, 1}, {3, 3, 1}} {
		if got := recon(src, b); !bytes.Equal(got, want) {
			t.Errorf("batches %v: the reconstruction differs from the frames averaged beforehand", b)
		}
	}
}
