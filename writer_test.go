package gpuenc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/internal/oracle"
)

// source reads n frames of testsrc2 in a pixel format.
func source(t testing.TB, format gpuenc.PixelFormat, w, h, n int) *gpuenc.Frames {
	t.Helper()
	gen := "testsrc2" // rounds odd sizes down to even; testsrc does not
	if w%2 != 0 || h%2 != 0 {
		gen = "testsrc"
	}
	r, err := gpuenc.OpenReader(fmt.Sprintf("%s=size=%dx%d:rate=25", gen, w, h), gpuenc.ReaderOptions{Format: "lavfi", Output: format})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := r.Read(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != n {
		t.Fatalf("read %d frames, want %d", f.Len(), n)
	}
	return f
}

// encode writes frames to a file and returns its path.
func encode(t testing.TB, frames *gpuenc.Frames, name string, cfg gpuenc.StreamConfig) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width == 0 {
		cfg.Width, cfg.Height, cfg.Format = frames.Width(), frames.Height(), frames.Format()
	}
	if cfg.FrameRate.Num == 0 {
		cfg.FrameRate = gpuenc.Rational{Num: 25, Den: 1}
	}
	if _, err := w.AddVideoStream(cfg); err != nil {
		t.Fatal(err)
	}
	// Uneven chunks: 1 frame, then the rest.
	if err := w.Write(context.Background(), 0, frames.Slice(0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), 0, frames.Slice(1, frames.Len())); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// psnr compares two equally sized byte slices of 8-bit samples.
func psnr(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(a))/se)
}

// TestWriterFormatsAndSizes encodes several pixel formats and sizes with
// libx264 and checks, with Debian's ffmpeg as the decoder, the frame count,
// size, pixel format and PSNR against the source.
func TestWriterFormatsAndSizes(t *testing.T) {
	oracle.Require(t)
	cases := []struct {
		format  gpuenc.PixelFormat
		w, h    int
		encFmt  gpuenc.PixelFormat
		minPSNR float64
	}{
		{gpuenc.YUV420P, 320, 240, "", 40},
		{gpuenc.YUV444P, 320, 240, "", 40},
		{gpuenc.YUV444P, 33, 17, "", 40}, // odd sizes: 4:4:4 allows them
		{gpuenc.YUV420P, 2, 2, "", 40},
		{gpuenc.YUV420P, 16, 16, "", 40},
		{gpuenc.NV12, 64, 48, "", 40},
		{gpuenc.Gray, 64, 48, "", 40},
		{gpuenc.YUV422P, 64, 48, "", 40},
		{gpuenc.RGB24, 176, 144, gpuenc.YUV444P, 34},
		{gpuenc.BGR24, 176, 144, gpuenc.YUV444P, 34},
		{gpuenc.RGBA, 176, 144, gpuenc.YUV444P, 34},
		{gpuenc.RGB0, 176, 144, gpuenc.YUV420P, 24},
		{gpuenc.BGR0, 176, 144, gpuenc.YUV444P, 34},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s_%dx%d_%s", c.format, c.w, c.h, c.encFmt), func(t *testing.T) {
			t.Parallel()
			const n = 5
			src := source(t, c.format, c.w, c.h, n)
			path := encode(t, src, "out.mp4", gpuenc.StreamConfig{Encoder: "libx264", EncoderFormat: c.encFmt, Options: map[string]string{"qp": "4", "preset": "ultrafast"}})
			info, err := oracle.FFprobe(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			wantFmt := string(c.encFmt)
			switch {
			case wantFmt != "":
			case c.format == gpuenc.NV12:
				wantFmt = "yuv420p" // how FFmpeg's H.264 decoder outputs it
			case c.format == gpuenc.Gray:
				wantFmt = "yuvj420p" // 4:0:0, full range
			default:
				wantFmt = string(c.format)
			}
			if info.CodecName != "h264" || info.Width != c.w || info.Height != c.h || info.PixFmt != wantFmt || info.NbReadFrames != n {
				t.Fatalf("ffprobe: %+v; want h264 %dx%d %s, %d frames", info, c.w, c.h, wantFmt, n)
			}
			decodeFmt := string(c.format)
			switch c.format {
			case gpuenc.RGB0, gpuenc.RGBA:
				decodeFmt = "rgb24" // compare colour only; the 4th byte is padding or alpha
			case gpuenc.BGR0:
				decodeFmt = "bgr24"
			}
			dec, err := oracle.FFmpegDecodeFile(context.Background(), path, decodeFmt)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				want := src.Frame(i)
				if decodeFmt != string(c.format) {
					want = dropFourth(want)
				}
				if p := psnr(want, dec.Frames[i]); p < c.minPSNR {
					t.Errorf("frame %d: PSNR %.2f dB < %.0f", i, p, c.minPSNR)
				}
			}
		})
	}
}

func dropFourth(b []byte) []byte {
	out := make([]byte, 0, len(b)/4*3)
	for i := 0; i+3 < len(b); i += 4 {
		out = append(out, b[i], b[i+1], b[i+2])
	}
	return out
}

// onlyWriter hides every method but Write, so the Writer cannot seek.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

// TestWriterIOWriterMatchesFile checks that mp4 written to a non-seekable
// io.Writer (fragmented) decodes to the same frames as a file output.
func TestWriterIOWriterMatchesFile(t *testing.T) {
	oracle.Require(t)
	src := source(t, gpuenc.YUV420P, 160, 120, 12)
	cfg := gpuenc.StreamConfig{Width: 160, Height: 120, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 30000, Den: 1001}, Encoder: "libx264", Options: map[string]string{"preset": "fast", "threads": "1"}}
	path := encode(t, src, "file.mp4", cfg)

	var buf bytes.Buffer
	w, err := gpuenc.NewWriter(onlyWriter{&buf}, gpuenc.WriterOptions{Container: "mp4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddVideoStream(cfg); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < src.Len(); i += 5 {
		if err := w.Write(context.Background(), 0, src.Slice(i, min(i+5, src.Len()))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes()[:4096], []byte("moof")) {
		t.Error("non-seekable mp4 output is not fragmented (no moof box)")
	}
	piped := filepath.Join(t.TempDir(), "piped.mp4")
	if err := os.WriteFile(piped, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := oracle.FFmpegDecodeFile(context.Background(), path, "yuv420p")
	if err != nil {
		t.Fatal(err)
	}
	b, err := oracle.FFmpegDecodeFile(context.Background(), piped, "yuv420p")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Frames) != 12 || len(b.Frames) != 12 {
		t.Fatalf("decoded %d and %d frames, want 12", len(a.Frames), len(b.Frames))
	}
	for i := range a.Frames {
		if !bytes.Equal(a.Frames[i], b.Frames[i]) {
			t.Fatalf("frame %d differs between file and io.Writer output", i)
		}
	}
}

// TestWriterContainers writes each container and decodes it.
func TestWriterContainers(t *testing.T) {
	oracle.Require(t)
	src := source(t, gpuenc.YUV420P, 64, 48, 4)
	for _, name := range []string{"a.mp4", "a.mov", "a.mkv", "a.h264", "a.nut"} {
		t.Run(name, func(t *testing.T) {
			path := encode(t, src, name, gpuenc.StreamConfig{Encoder: "libx264"})
			info, err := oracle.FFprobe(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if info.NbReadFrames != 4 || info.CodecName != "h264" {
				t.Fatalf("%s: %+v", name, info)
			}
		})
	}
}

// TestWriterFragmentedFile asks for fragmented mp4 on a seekable file.
func TestWriterFragmentedFile(t *testing.T) {
	src := source(t, gpuenc.YUV420P, 64, 48, 4)
	path := filepath.Join(t.TempDir(), "frag.mp4")
	w, err := gpuenc.Create(path, gpuenc.WriterOptions{Fragmented: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddVideoStream(gpuenc.StreamConfig{Width: 64, Height: 48, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "libx264"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), 0, src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.Contains(b, []byte("moof")) {
		t.Error("Fragmented: true wrote no moof box")
	}
}

// TestWriterColorMetadata checks that colour metadata reaches the stream.
func TestWriterColorMetadata(t *testing.T) {
	oracle.Require(t)
	src := source(t, gpuenc.YUV420P, 64, 48, 2)
	path := encode(t, src, "c.mkv", gpuenc.StreamConfig{Encoder: "libx264",
		Color: gpuenc.Color{Matrix: "bt709", Range: "pc", Primaries: "bt2020", Transfer: "smpte2084"}})
	info, err := oracle.FFprobe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info.ColorSpace != "bt709" || info.ColorRange != "pc" || info.ColorPrimaries != "bt2020" || info.ColorTransfer != "smpte2084" {
		t.Errorf("colour metadata: space %q range %q primaries %q transfer %q", info.ColorSpace, info.ColorRange, info.ColorPrimaries, info.ColorTransfer)
	}
}

// TestWriterBadInput gives each kind of bad input and checks its typed
// error, and that no file appears.
func TestWriterBadInput(t *testing.T) {
	ctx := context.Background()
	good := gpuenc.StreamConfig{Width: 64, Height: 48, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "libx264"}
	newW := func(t *testing.T) (*gpuenc.Writer, string) {
		path := filepath.Join(t.TempDir(), "x.mp4")
		w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return w, path
	}
	noFile := func(t *testing.T, path string) {
		t.Helper()
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a failure", path)
		}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*gpuenc*"))
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}

	t.Run("unknown encoder", func(t *testing.T) {
		w, path := newW(t)
		cfg := good
		cfg.Encoder = "libx265x"
		_, err := w.AddVideoStream(cfg)
		if !errors.Is(err, gpuenc.ErrUnknownEncoder) || !strings.Contains(err.Error(), "libx265x") {
			t.Errorf("got %v, want ErrUnknownEncoder naming libx265x", err)
		}
		w.Close()
		noFile(t, path)
	})
	t.Run("unknown option", func(t *testing.T) {
		w, path := newW(t)
		cfg := good
		cfg.Options = map[string]string{"preset": "fast", "crff": "20"}
		_, err := w.AddVideoStream(cfg)
		var unused *gpuenc.UnusedOptionsError
		if !errors.As(err, &unused) || len(unused.Names) != 1 || unused.Names[0] != "crff" {
			t.Errorf("got %v, want UnusedOptionsError naming crff", err)
		}
		w.Close()
		noFile(t, path)
	})
	t.Run("bad option value", func(t *testing.T) {
		w, _ := newW(t)
		cfg := good
		cfg.Options = map[string]string{"preset": "warpspeed"}
		if _, err := w.AddVideoStream(cfg); err == nil {
			t.Error("preset=warpspeed accepted")
		}
		w.Close()
	})
	t.Run("encoder pixel format", func(t *testing.T) {
		w, _ := newW(t)
		cfg := good
		cfg.EncoderFormat = gpuenc.RGB24
		_, err := w.AddVideoStream(cfg)
		var ee *gpuenc.EncoderError
		if !errors.As(err, &ee) || len(ee.Accepts) == 0 || !strings.Contains(err.Error(), "yuv420p") {
			t.Errorf("got %v, want EncoderError listing the formats libx264 takes", err)
		}
		w.Close()
	})
	t.Run("odd size for 4:2:0 libx264", func(t *testing.T) {
		w, _ := newW(t)
		cfg := good
		cfg.Width, cfg.Height = 33, 17
		_, err := w.AddVideoStream(cfg)
		var ee *gpuenc.EncoderError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), "even width and height") || strings.Contains(err.Error(), "Generic error") {
			t.Errorf("got %v, want EncoderError asking for even dimensions", err)
		}
		w.Close()
	})
	t.Run("unknown pixel format", func(t *testing.T) {
		w, _ := newW(t)
		cfg := good
		cfg.Format = "yuv420q"
		_, err := w.AddVideoStream(cfg)
		var fe *gpuenc.FormatError
		if !errors.As(err, &fe) {
			t.Errorf("got %v, want FormatError", err)
		}
		w.Close()
	})
	t.Run("wrong shape", func(t *testing.T) {
		w, path := newW(t)
		if _, err := w.AddVideoStream(good); err != nil {
			t.Fatal(err)
		}
		var se *gpuenc.ShapeError
		wrongSize, _ := gpuenc.NewFrames(gpuenc.YUV420P, 32, 48, 1)
		if err := w.Write(ctx, 0, wrongSize); !errors.As(err, &se) {
			t.Errorf("wrong size: got %v, want ShapeError", err)
		}
		wrongFmt, _ := gpuenc.NewFrames(gpuenc.RGB24, 64, 48, 1)
		if err := w.Write(ctx, 0, wrongFmt); !errors.As(err, &se) {
			t.Errorf("wrong format: got %v, want ShapeError", err)
		}
		ok, _ := gpuenc.NewFrames(gpuenc.YUV420P, 64, 48, 1)
		if err := w.Write(ctx, 1, ok); !errors.As(err, &se) {
			t.Errorf("wrong stream: got %v, want ShapeError", err)
		}
		if _, err := gpuenc.FramesFromBytes(gpuenc.YUV420P, 64, 48, make([]byte, 100)); !errors.As(err, &se) {
			t.Errorf("bytes not a whole frame: got %v, want ShapeError", err)
		}
		// Shape errors do not break the writer.
		if err := w.Write(ctx, 0, ok); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Error(err)
		}
	})
	t.Run("write after close", func(t *testing.T) {
		w, _ := newW(t)
		if _, err := w.AddVideoStream(good); err != nil {
			t.Fatal(err)
		}
		w.Close()
		f, _ := gpuenc.NewFrames(gpuenc.YUV420P, 64, 48, 1)
		if err := w.Write(ctx, 0, f); !errors.Is(err, gpuenc.ErrClosed) {
			t.Errorf("got %v, want ErrClosed", err)
		}
		if err := w.Close(); !errors.Is(err, gpuenc.ErrClosed) {
			t.Errorf("second Close: got %v, want ErrClosed", err)
		}
	})
	t.Run("stream after first write", func(t *testing.T) {
		w, _ := newW(t)
		w.AddVideoStream(good)
		f, _ := gpuenc.NewFrames(gpuenc.YUV420P, 64, 48, 1)
		w.Write(ctx, 0, f)
		if _, err := w.AddVideoStream(good); !errors.Is(err, gpuenc.ErrStarted) {
			t.Errorf("got %v, want ErrStarted", err)
		}
		w.Close()
	})
	t.Run("unwritable destination", func(t *testing.T) {
		_, err := gpuenc.Create("/nonexistent-dir/x.mp4", gpuenc.WriterOptions{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v, want an error wrapping os.ErrNotExist", err)
		}
	})
	t.Run("unknown container", func(t *testing.T) {
		_, err := gpuenc.Create(filepath.Join(t.TempDir(), "x.avi"), gpuenc.WriterOptions{})
		if !errors.Is(err, gpuenc.ErrUnknownContainer) {
			t.Errorf("got %v, want ErrUnknownContainer", err)
		}
	})
	t.Run("failing io.Writer", func(t *testing.T) {
		w, err := gpuenc.NewWriter(failingWriter{}, gpuenc.WriterOptions{Container: "mkv"})
		if err != nil {
			t.Fatal(err)
		}
		w.AddVideoStream(good)
		f, _ := gpuenc.NewFrames(gpuenc.YUV420P, 64, 48, 3)
		err = w.Write(ctx, 0, f)
		if err == nil {
			err = w.Close()
		}
		if !errors.Is(err, errDiskFull) {
			t.Errorf("got %v, want the writer's own error", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		w, path := newW(t)
		w.AddVideoStream(good)
		f, _ := gpuenc.NewFrames(gpuenc.YUV420P, 64, 48, 3)
		if err := w.Write(ctx, 0, f); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := w.Write(cctx, 0, f); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if err := w.Close(); !errors.Is(err, context.Canceled) {
			t.Errorf("Close after cancel: got %v, want context.Canceled", err)
		}
		noFile(t, path)
	})
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, errDiskFull }

// TestWriterConcurrent runs 16 Writers in 16 goroutines.
func TestWriterConcurrent(t *testing.T) {
	oracle.Require(t)
	src := source(t, gpuenc.YUV420P, 96, 64, 10)
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			path := filepath.Join(dir, fmt.Sprintf("%d.mkv", g))
			w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
			if err == nil {
				_, err = w.AddVideoStream(gpuenc.StreamConfig{Width: 96, Height: 64, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "libx264", Options: map[string]string{"threads": "1"}})
				for i := 0; err == nil && i < src.Len(); i++ {
					err = w.Write(context.Background(), 0, src.Slice(i, i+1))
				}
				if cerr := w.Close(); err == nil {
					err = cerr
				}
			}
			errs <- err
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for g := 0; g < 16; g++ {
		info, err := oracle.FFprobe(context.Background(), filepath.Join(dir, fmt.Sprintf("%d.mkv", g)))
		if err != nil || info.NbReadFrames != 10 {
			t.Fatalf("writer %d: %v %+v", g, err, info)
		}
	}
}

// TestWriterMemoryFlat writes 2,000 small frames and checks that the
// process's resident memory does not grow with the frame count.
func TestWriterMemoryFlat(t *testing.T) {
	src := source(t, gpuenc.YUV420P, 64, 64, 1)
	w, err := gpuenc.NewWriter(io.Discard, gpuenc.WriterOptions{Container: "mkv"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddVideoStream(gpuenc.StreamConfig{Width: 64, Height: 64, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "libx264", Options: map[string]string{"threads": "1"}}); err != nil {
		t.Fatal(err)
	}
	var after500 int64
	for i := 0; i < 2000; i++ {
		if err := w.Write(context.Background(), 0, src); err != nil {
			t.Fatal(err)
		}
		if i == 499 {
			after500 = rss(t)
		}
	}
	after2000 := rss(t)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if grow := after2000 - after500; grow > 8<<20 {
		t.Errorf("resident memory grew by %d KiB over 1,500 frames", grow>>10)
	}
}

// rss reads the process's resident set size.
func rss(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return res * int64(os.Getpagesize())
}

// TestWriterTwoStreams writes two video streams, of different sizes and
// encoders, into one file.
func TestWriterTwoStreams(t *testing.T) {
	oracle.Require(t)
	a := source(t, gpuenc.YUV420P, 64, 48, 5)
	b := source(t, gpuenc.RGB24, 32, 32, 5)
	path := filepath.Join(t.TempDir(), "two.mkv")
	w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []gpuenc.StreamConfig{
		{Width: 64, Height: 48, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "libx264"},
		{Width: 32, Height: 32, Format: gpuenc.RGB24, FrameRate: gpuenc.Rational{Num: 25, Den: 1}, Encoder: "h264_go"},
	} {
		if _, err := w.AddVideoStream(cfg); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ { // interleaved
		if err := w.Write(context.Background(), 0, a.Slice(i, i+1)); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(context.Background(), 1, b.Slice(i, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(oracle.FFprobePath, "-v", "error", "-count_frames", "-show_entries", "stream=index,width,nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "0,64,5\n1,32,5" {
		t.Errorf("ffprobe streams:\n%s\nwant 0,64,5 and 1,32,5", got)
	}
}
