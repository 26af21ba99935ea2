package gpuenc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/internal/oracle"
)

// TestReaderMatchesFFmpeg reads an H.264 file and checks that every frame
// equals what Debian's ffmpeg decodes (both are conforming decoders, so
// the pictures must be identical).
func TestReaderMatchesFFmpeg(t *testing.T) {
	oracle.Require(t)
	src := source(t, gpuenc.YUV420P, 96, 64, 7)
	path := encode(t, src, "r.mkv", gpuenc.StreamConfig{Encoder: "libx264"})
	want, err := oracle.FFmpegDecodeFile(context.Background(), path, "yuv420p")
	if err != nil {
		t.Fatal(err)
	}
	r, err := gpuenc.OpenReader(path, gpuenc.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if info := r.Info(); info.Width != 96 || info.Height != 64 || info.Codec != "h264" || info.Output != gpuenc.YUV420P {
		t.Fatalf("info %+v", info)
	}
	var got [][]byte
	for {
		f, err := r.Read(context.Background(), 3)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < f.Len(); i++ {
			got = append(got, f.Frame(i))
		}
	}
	if len(got) != len(want.Frames) {
		t.Fatalf("read %d frames, ffmpeg decoded %d", len(got), len(want.Frames))
	}
	for i := range got {
		if !bytes.Equal(got[i], want.Frames[i]) {
			t.Fatalf("frame %d differs from Debian's ffmpeg", i)
		}
	}
	if _, err := r.Read(context.Background(), 1); err != io.EOF {
		t.Errorf("read past the end: %v, want io.EOF", err)
	}
}

// TestReaderRawVideo reads raw frames written by Debian's ffmpeg.
func TestReaderRawVideo(t *testing.T) {
	oracle.Require(t)
	raw := filepath.Join(t.TempDir(), "f.rgb")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=31x9:rate=10", "-frames:v", "5", "-f", "rawvideo", "-pix_fmt", "rgb24", raw).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	data, _ := os.ReadFile(raw)
	r, err := gpuenc.OpenReader(raw, gpuenc.ReaderOptions{Format: "rawvideo", Width: 31, Height: 9, PixelFormat: gpuenc.RGB24, FrameRate: gpuenc.Rational{Num: 10, Den: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := r.Read(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 5 || !bytes.Equal(f.Bytes(), data) {
		t.Fatalf("read %d frames; bytes equal: %v", f.Len(), bytes.Equal(f.Bytes(), data))
	}
}

func TestReaderErrors(t *testing.T) {
	if _, err := gpuenc.OpenReader("/no/such/file.mp4", gpuenc.ReaderOptions{}); err == nil {
		t.Error("missing file opened")
	}
	if _, err := gpuenc.OpenReader("testsrc2=size=10x10,nosuchfilter", gpuenc.ReaderOptions{Format: "lavfi"}); err == nil {
		t.Error("bad lavfi graph opened")
	}
	var ce *gpuenc.ConfigError
	if _, err := gpuenc.OpenReader("x.yuv", gpuenc.ReaderOptions{Format: "rawvideo"}); !errors.As(err, &ce) {
		t.Errorf("rawvideo without size: %v, want ConfigError", err)
	}
	r, err := gpuenc.OpenReader("testsrc2=size=16x16:duration=1", gpuenc.ReaderOptions{Format: "lavfi"})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Read(context.Background(), 1); !errors.Is(err, gpuenc.ErrClosed) {
		t.Errorf("read after Close: %v, want ErrClosed", err)
	}
}

// TestNewReaderFromIO reads the same file through an io.Reader, seekable
// and not.
func TestNewReaderFromIO(t *testing.T) {
	oracle.Require(t)
	src := source(t, gpuenc.YUV420P, 64, 48, 6)
	for _, name := range []string{"a.mp4", "a.mkv"} {
		path := encode(t, src, name, gpuenc.StreamConfig{Encoder: "libx264"})
		want, err := oracle.FFmpegDecodeFile(context.Background(), path, "yuv420p")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		for _, rd := range []io.Reader{bytes.NewReader(data), onlyReader{bytes.NewReader(data)}} {
			if _, seekable := rd.(io.Seeker); !seekable && name == "a.mp4" {
				continue // mp4's index is at the end: it needs seeking
			}
			r, err := gpuenc.NewReader(rd, gpuenc.ReaderOptions{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			f, err := r.Read(context.Background(), 100)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != 6 || !bytes.Equal(f.Bytes(), bytes.Join(want.Frames, nil)) {
				t.Errorf("%s through %T: %d frames, equal to ffmpeg: %v", name, rd, f.Len(), bytes.Equal(f.Bytes(), bytes.Join(want.Frames, nil)))
			}
		}
	}
	if _, err := gpuenc.NewReader(onlyReader{bytes.NewReader([]byte("not a video"))}, gpuenc.ReaderOptions{}); err == nil {
		t.Error("garbage opened as a video")
	}
}

type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
