package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/quality"
)

// qualityClip encodes n frames of testsrc2 (yuv444p, 64x48) with libx264 at
// crf into dir/name.
func qualityClip(t *testing.T, dir, name string, n int, crf string) string {
	t.Helper()
	r, err := gpuenc.OpenReader("testsrc2=rate=30000/1001:size=64x48", gpuenc.ReaderOptions{Format: "lavfi", Output: gpuenc.YUV444P})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, err := r.Read(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i, err := w.AddVideoStream(gpuenc.StreamConfig{Width: 64, Height: 48, FrameRate: gpuenc.Rational{Num: 30000, Den: 1001}, Format: gpuenc.YUV444P,
		Encoder: "libx264", Options: map[string]string{"crf": crf}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), i, f); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// qualityJSON mirrors qualityReport with plain strings for the figures
// that may be "inf".
type qualityJSON struct {
	Format string
	Frames int
	PSNR   map[string]any
	SSIM   map[string]any
}

func runQualityJSON(t *testing.T, args ...string) qualityJSON {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"quality"}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var q qualityJSON
	if err := json.Unmarshal(stdout.Bytes(), &q); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	return q
}

func TestQualityCommand(t *testing.T) {
	dir := t.TempDir()
	a := qualityClip(t, dir, "a.mp4", 8, "18")
	b := qualityClip(t, dir, "b.mkv", 8, "38")
	short := qualityClip(t, dir, "short.mp4", 5, "18")

	// A file against itself: infinite PSNR, SSIM 1.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"quality", a, a}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"8 frames", "PSNR y:inf u:inf v:inf average:inf", "All:1.000000"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("self comparison lacks %q:\n%s", want, stdout.String())
		}
	}
	self := runQualityJSON(t, a, a, "--json")
	if self.PSNR["y"] != "inf" || self.PSNR["all"] != "inf" || math.Abs(self.SSIM["all"].(float64)-1) > 1e-12 {
		t.Errorf("self JSON %+v", self)
	}

	// Against a distorted file: the quality package's figures on the frames
	// read whole into memory, in the format asked for.
	for _, format := range []gpuenc.PixelFormat{"", gpuenc.YUV420P} {
		args := []string{a, b, "--json"}
		if format != "" {
			args = append(args, "--format", string(format))
		}
		got := runQualityJSON(t, args...)
		want := compareInMemory(t, a, b, format)
		wantFormat := format
		if wantFormat == "" {
			wantFormat = gpuenc.YUV444P
		}
		if got.Format != string(wantFormat) || got.Frames != want.Frames {
			t.Errorf("format %q: got %s, %d frames", format, got.Format, got.Frames)
		}
		for i, p := range []string{"y", "u", "v"} {
			if got.PSNR[p] != want.PSNR[i] || got.SSIM[p] != want.SSIM[i] {
				t.Errorf("format %q plane %s: PSNR %v SSIM %v, want %v %v", format, p, got.PSNR[p], got.SSIM[p], want.PSNR[i], want.SSIM[i])
			}
		}
		if got.PSNR["all"] != want.PSNRAvg || got.SSIM["all"] != want.SSIMAll {
			t.Errorf("format %q: all %v %v, want %v %v", format, got.PSNR["all"], got.SSIM["all"], want.PSNRAvg, want.SSIMAll)
		}
	}

	// Different lengths: say so, with both counts.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"quality", a, short}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "8 frames") || !strings.Contains(stderr.String(), "5") {
		t.Errorf("8 against 5 frames: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"quality", a}, &stdout, &stderr); code != 2 {
		t.Errorf("one file: exit %d", code)
	}
}

// compareInMemory reads both files whole and measures them with
// quality.Compare.
func compareInMemory(t *testing.T, ref, dist string, format gpuenc.PixelFormat) quality.Result {
	t.Helper()
	read := func(p string) [][]quality.Plane {
		r, err := gpuenc.OpenReader(p, gpuenc.ReaderOptions{Output: format})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		f, err := r.Read(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]quality.Plane
		for i := range f.Len() {
			var ps []quality.Plane
			for p := range f.Format().Planes() {
				data, stride := f.Plane(i, p)
				w, h := f.Format().PlaneSize(p, f.Width(), f.Height())
				ps = append(ps, quality.Plane{Width: w, Height: h, Stride: stride, Pix: data})
			}
			out = append(out, ps)
		}
		return out
	}
	res, err := quality.Compare(read(ref), read(dist))
	if err != nil {
		t.Fatal(err)
	}
	return res
}
