package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/internal/oracle"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestEncodeCommand(t *testing.T) {
	oracle.Require(t)
	out := filepath.Join(t.TempDir(), "a.mkv")
	code, _, stderr := runCLI("encode", "--src", "testsrc2=size=128x72:rate=25:duration=1", "--src-format", "lavfi",
		"--format", "rgb24", "--encoder", "libx264", "--encoder-format", "yuv444p", "--encoder-option", "preset=ultrafast",
		"--frames", "10", "--color-matrix", "bt709", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "encoded 10 frames with libx264") || !strings.Contains(stderr, "fps") {
		t.Errorf("no summary line: %q", stderr)
	}
	info, err := oracle.FFprobe(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if info.NbReadFrames != 10 || info.PixFmt != "yuv444p" || info.ColorSpace != "bt709" || info.Width != 128 {
		t.Errorf("ffprobe: %+v", info)
	}
}

func TestEncodeRawToStdoutWithRecon(t *testing.T) {
	oracle.Require(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.yuv")
	frame := make([]byte, 24*16*3/2)
	for i := range frame {
		frame[i] = byte(i * 7)
	}
	os.WriteFile(raw, bytes.Repeat(frame, 3), 0o644)
	recon := filepath.Join(dir, "recon.yuv")
	var stdout, stderr bytes.Buffer
	code := run([]string{"encode", "--src", raw, "--src-format", "rawvideo", "--size", "24x16", "--rate", "30000/1001",
		"--format", "yuv420p", "--encoder", "h264_go", "--recon", recon, "--container", "h264", "-o", "-"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	dec, err := oracle.FFmpegDecode(context.Background(), stdout.Bytes(), "h264")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(recon)
	if got := bytes.Join(dec.Frames, nil); len(dec.Frames) != 3 || !bytes.Equal(got, want) {
		t.Errorf("decoded %d frames; equal to --recon: %v", len(dec.Frames), bytes.Equal(got, want))
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"encode"}, 2, "usage"},
		{[]string{"encode", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"encode", "--src", "testsrc2=size=32x32:duration=1", "--src-format", "lavfi", "--encoder-option", "crff=3", "-o", "-", "--container", "mkv"}, 1, `unknown option(s) ["crff"]`},
		{[]string{"encode", "--src", "testsrc2=size=32x32:duration=1", "--src-format", "lavfi", "--encoder", "x264", "-o", "-", "--container", "mkv"}, 1, `encoder "x264"`},
		{[]string{"encode", "--src", "testsrc2=size=32x32:duration=1", "--src-format", "lavfi", "-o", "-"}, 1, "unknown container"},
		{[]string{"nosuch"}, 2, "unknown command"},
		{[]string{"encode", "--src", "frames.yuv", "--size", "64x48", "--format", "yuv420p", "-o", "x.mp4"}, 1, "--size is for raw frames: add --src-format rawvideo"},
	} {
		code, _, stderr := runCLI(c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

func TestProbeCommand(t *testing.T) {
	code, stdout, stderr := runCLI("probe")
	if code != 0 || !strings.Contains(stdout, "FFmpeg 7.1") || !strings.Contains(stdout, "libx264") || !strings.Contains(stdout, "h264_go") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI("probe", "--json")
	if code != 0 || !strings.Contains(stdout, `"encoders"`) {
		t.Errorf("probe --json: exit %d, %q", code, stdout)
	}
}
