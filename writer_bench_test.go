package gpuenc_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gpuenc/gpuenc"
)

// BenchmarkWriterVsFFmpegCLI encodes the same raw 720p frames with the same
// libx264 options through gpuenc's Writer and through Debian's ffmpeg
// command-line tool (reading the frames from a file, writing to a pipe
// into /dev/null). The ratio of the two ns/op figures is the Writer's
// overhead; README gives it.
func BenchmarkWriterVsFFmpegCLI(b *testing.B) {
	const w, h, n = 1280, 720, 60
	src := source(b, gpuenc.YUV420P, w, h, n)
	raw := filepath.Join(b.TempDir(), "src.yuv")
	if err := os.WriteFile(raw, src.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	opts := map[string]string{"preset": "veryfast", "crf": "23", "threads": "2"}
	b.Run("gpuenc", func(b *testing.B) {
		b.SetBytes(int64(len(src.Bytes())))
		for b.Loop() {
			wr, err := gpuenc.NewWriter(io.Discard, gpuenc.WriterOptions{Container: "mkv"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := wr.AddVideoStream(gpuenc.StreamConfig{Width: w, Height: h, Format: gpuenc.YUV420P, FrameRate: gpuenc.Rational{Num: 30, Den: 1}, Encoder: "libx264", Options: opts}); err != nil {
				b.Fatal(err)
			}
			if err := wr.Write(context.Background(), 0, src); err != nil {
				b.Fatal(err)
			}
			if err := wr.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ffmpeg-cli", func(b *testing.B) {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			b.Skip("no ffmpeg CLI")
		}
		b.SetBytes(int64(len(src.Bytes())))
		for b.Loop() {
			cmd := exec.Command("ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", fmt.Sprintf("%dx%d", w, h), "-r", "30", "-i", raw,
				"-c:v", "libx264", "-preset", opts["preset"], "-crf", opts["crf"], "-threads", opts["threads"], "-f", "matroska", "-")
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			if err := cmd.Run(); err != nil {
				b.Fatalf("%v: %s", err, stderr.String())
			}
		}
	})
}
