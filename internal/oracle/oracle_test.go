package oracle

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// x264Stream makes a small Constrained Baseline clip with Debian's ffmpeg
// (libx264), an encoder independent of gpuenc.
func x264Stream(t *testing.T, w, h, n int) []byte {
	t.Helper()
	cmd := exec.Command(FFmpegPath, "-v", "error", "-f", "lavfi", "-i",
		"testsrc2=size="+itoa(w)+"x"+itoa(h)+":rate=25", "-frames:v", itoa(n),
		"-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-f", "h264", "-")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("making test stream: %v: %s", err, errb.String())
	}
	return out.Bytes()
}

func itoa(v int) string {
	b := []byte{}
	if v == 0 {
		return "0"
	}
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func TestDecodersAgree(t *testing.T) {
	Require(t)
	ctx := context.Background()
	for _, sz := range [][2]int{{64, 48}, {34, 18}} {
		stream := x264Stream(t, sz[0], sz[1], 5)
		ff, err := FFmpegDecode(ctx, stream, "h264")
		if err != nil {
			t.Fatal(err)
		}
		oh, err := OpenH264Decode(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		if ff.Width != sz[0] || ff.Height != sz[1] || oh.Width != sz[0] || oh.Height != sz[1] {
			t.Fatalf("sizes: ffmpeg %dx%d openh264 %dx%d, want %dx%d", ff.Width, ff.Height, oh.Width, oh.Height, sz[0], sz[1])
		}
		if len(ff.Frames) != 5 || len(oh.Frames) != 5 {
			t.Fatalf("frames: ffmpeg %d openh264 %d, want 5", len(ff.Frames), len(oh.Frames))
		}
		for i := range ff.Frames {
			if !bytes.Equal(ff.Frames[i], oh.Frames[i]) {
				t.Errorf("%v frame %d differs between decoders", sz, i)
			}
		}
	}
}

func TestCorruptStreamFails(t *testing.T) {
	Require(t)
	stream := x264Stream(t, 64, 48, 2)
	bad := append([]byte(nil), stream...)
	// Flip bits in the middle of the last slice.
	for i := len(bad) - 20; i < len(bad)-10; i++ {
		bad[i] ^= 0x5a
	}
	ctx := context.Background()
	if _, err := FFmpegDecode(ctx, bad[:len(bad)-5], "h264"); err == nil {
		t.Log("ffmpeg did not notice the corruption (possible: CAVLC can decode garbage)")
	}
	if _, err := OpenH264Decode(ctx, []byte{0, 0, 0, 1, 0x65, 0xff, 0xff}); err == nil {
		t.Log("openh264 accepted a lone slice without parameter sets")
	}
}

func TestFFprobeFile(t *testing.T) {
	Require(t)
	stream := x264Stream(t, 64, 48, 3)
	path := filepath.Join(t.TempDir(), "a.h264")
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := FFprobe(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info.CodecName != "h264" || info.Width != 64 || info.Height != 48 || info.NbReadFrames != 3 || info.PixFmt != "yuv420p" {
		t.Fatalf("unexpected info %+v", info)
	}
	fr, err := FFmpegDecodeFile(context.Background(), path, "yuv444p")
	if err != nil {
		t.Fatal(err)
	}
	if len(fr.Frames) != 3 || len(fr.Frames[0]) != 3*64*48 {
		t.Fatalf("got %d frames of %d bytes", len(fr.Frames), len(fr.Frames[0]))
	}
}

func TestMissingTool(t *testing.T) {
	old := FFprobePath
	FFprobePath = "/nonexistent/ffprobe"
	defer func() { FFprobePath = old }()
	_, err := FFprobe(context.Background(), "x")
	var te *ToolError
	if !errors.As(err, &te) || !errors.Is(err, ErrToolMissing) {
		t.Fatalf("want ToolError wrapping ErrToolMissing, got %v", err)
	}
}

// TestOpenH264EncodePeer encodes with the openh264 peer and checks that
// both decoders agree on its stream.
func TestOpenH264EncodePeer(t *testing.T) {
	const w, h = 48, 32
	raw := make([]byte, 3*w*h*3/2)
	for i := range raw {
		raw[i] = byte(i*13 + i/97)
	}
	stream, took, err := OpenH264Encode(context.Background(), raw, w, h, 26, 1)
	if err != nil {
		t.Fatal(err)
	}
	if took <= 0 {
		t.Errorf("encode time %v", took)
	}
	a, err := FFmpegDecode(context.Background(), stream, "h264")
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenH264Decode(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Frames) != 3 || len(b.Frames) != 3 || !bytes.Equal(bytes.Join(a.Frames, nil), bytes.Join(b.Frames, nil)) {
		t.Fatalf("ffmpeg decoded %d frames, openh264 %d, equal: %v", len(a.Frames), len(b.Frames), bytes.Equal(bytes.Join(a.Frames, nil), bytes.Join(b.Frames, nil)))
	}
}
