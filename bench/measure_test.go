package bench

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/quality"
)

// testClip draws n frames of testsrc2 at w×h in format.
func testClip(t testing.TB, w, h, n int, format gpuenc.PixelFormat) *gpuenc.Frames {
	t.Helper()
	cfg := Config{Source: "testsrc2", Format: string(format), Frames: n}
	src, err := loadSource(context.Background(), cfg, Resolution{Name: "t", Width: w, Height: h}, false)
	if err != nil {
		t.Fatal(err)
	}
	if src.frames.Len() != n || src.frames.Width() != w || src.frames.Format() != format {
		t.Fatalf("source: %d frames %dx%d %s", src.frames.Len(), src.frames.Width(), src.frames.Height(), src.frames.Format())
	}
	return src.frames
}

// encodeFile encodes frames with libx264 into a file in dir.
func encodeFile(t testing.TB, dir, name string, f *gpuenc.Frames, opts map[string]string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := gpuenc.Create(path, gpuenc.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i, err := w.AddVideoStream(gpuenc.StreamConfig{Width: f.Width(), Height: f.Height(), FrameRate: frameRate, Format: f.Format(), Encoder: "libx264", Options: opts})
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

var (
	ffPSNR = regexp.MustCompile(`PSNR y:(\S+) u:(\S+) v:(\S+) average:(\S+)`)
	ffSSIM = regexp.MustCompile(`SSIM Y:(\S+) \(\S+\) U:(\S+) \(\S+\) V:(\S+) \(\S+\) All:(\S+)`)
)

// TestMeasureAgainstFFmpeg decodes an encoded clip and measures it against
// its source, and checks the figures against Debian's ffmpeg (its own
// decoder and its psnr and ssim filters): this proves the decoding and the
// pairing of frames, the quality package's arithmetic being tested there.
func TestMeasureAgainstFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("no ffmpeg")
	}
	dir := t.TempDir()
	const w, h, n = 96, 64, 12
	src := testClip(t, w, h, n, gpuenc.YUV444P)
	mp4 := encodeFile(t, dir, "dist.mp4", src, map[string]string{"crf": "30"})
	raw := filepath.Join(dir, "ref.yuv")
	if err := os.WriteFile(raw, src.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	q, img, err := measureFile(context.Background(), mp4, src, 5, centreCrop(w, h, 32, 16))
	if err != nil {
		t.Fatal(err)
	}
	if img == nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 16 {
		t.Errorf("spot crop %v", img)
	}
	cmd := exec.Command(ffmpeg, "-hide_banner", "-nostats", "-cpuflags", "0", "-i", mp4,
		"-f", "rawvideo", "-pix_fmt", "yuv444p", "-s", fmt.Sprintf("%dx%d", w, h), "-r", "30000/1001", "-i", raw,
		"-lavfi", "[0:v]split[a][b];[1:v]split[c][d];[a][c]psnr;[b][d]ssim", "-f", "null", "-")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	pm, sm := ffPSNR.FindStringSubmatch(string(out)), ffSSIM.FindStringSubmatch(string(out))
	if pm == nil || sm == nil {
		t.Fatalf("no PSNR/SSIM in ffmpeg's output:\n%s", out)
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name string
		got  Float
		want string
	}{
		{"psnr y", q.PSNRY, pm[1]}, {"psnr u", q.PSNRU, pm[2]}, {"psnr v", q.PSNRV, pm[3]}, {"psnr avg", q.PSNRAvg, pm[4]},
		{"ssim y", q.SSIMY, sm[1]}, {"ssim u", q.SSIMU, sm[2]}, {"ssim v", q.SSIMV, sm[3]}, {"ssim all", q.SSIMAll, sm[4]},
	} {
		if math.Abs(float64(c.got)-num(c.want)) > 1e-6 { // ffmpeg prints 6 decimals
			t.Errorf("%s: ours %v, ffmpeg %s", c.name, c.got, c.want)
		}
	}
	if q.Frames != n || !(q.PSNR611 > 25 && q.PSNR611 < 60) {
		t.Errorf("frames %d, PSNR611 %v", q.Frames, q.PSNR611)
	}
}

func TestCompareFiles(t *testing.T) {
	dir := t.TempDir()
	src := testClip(t, 64, 48, 10, gpuenc.YUV420P)
	a := encodeFile(t, dir, "a.mp4", src, map[string]string{"crf": "20"})
	b := encodeFile(t, dir, "b.mp4", src, map[string]string{"crf": "40"})
	short := encodeFile(t, dir, "short.mkv", src.Slice(0, 6), map[string]string{"crf": "20"})
	ctx := context.Background()

	self, err := CompareFiles(ctx, a, a, "")
	if err != nil {
		t.Fatal(err)
	}
	if self.Frames != 10 || !math.IsInf(self.PSNRAvg, 1) || !math.IsInf(self.PSNR[0], 1) || math.Abs(self.SSIMAll-1) > 1e-12 {
		t.Errorf("a against itself: %d frames, PSNR %v, SSIM %v", self.Frames, self.PSNRAvg, self.SSIMAll)
	}

	// Against the quality package on frames read whole into memory.
	got, err := CompareFiles(ctx, a, b, "")
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) [][]quality.Plane {
		r, err := gpuenc.OpenReader(p, gpuenc.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		f, err := r.Read(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]quality.Plane
		for i := range f.Len() {
			out = append(out, planes(f, i, nil))
		}
		return out
	}
	want, err := quality.Compare(read(a), read(b))
	if err != nil {
		t.Fatal(err)
	}
	if got.Frames != want.Frames || got.PSNR != want.PSNR || got.SSIM != want.SSIM || got.PSNR611 != want.PSNR611 || got.SSIMAll != want.SSIMAll {
		t.Errorf("CompareFiles %+v\nquality.Compare %+v", got, want)
	}
	if !(got.PSNRAvg > 20 && got.PSNRAvg < 50) {
		t.Errorf("crf 20 against crf 40: PSNR %v", got.PSNRAvg)
	}

	// Different lengths, both ways, with both counts.
	var fc *quality.FrameCountError
	if _, err := CompareFiles(ctx, a, short, ""); !errors.As(err, &fc) || fc.Ref != 10 || fc.Dist != 6 {
		t.Errorf("long against short: %v", err)
	}
	if _, err := CompareFiles(ctx, short, a, ""); !errors.As(err, &fc) || fc.Ref != 6 || fc.Dist != 10 {
		t.Errorf("short against long: %v", err)
	}
	// measureFile says so too.
	if _, _, err := measureFile(ctx, short, src, -1, centreCrop(64, 48, 8, 8)); !errors.As(err, &fc) || fc.Ref != 10 || fc.Dist != 6 {
		t.Errorf("measureFile short: %v", err)
	}
	if _, _, err := measureFile(ctx, a, src.Slice(0, 4), -1, centreCrop(64, 48, 8, 8)); !errors.As(err, &fc) || fc.Ref != 4 || fc.Dist != 10 {
		t.Errorf("measureFile long: %v", err)
	}
	if _, err := CompareFiles(ctx, a, filepath.Join(dir, "missing.mp4"), ""); err == nil {
		t.Error("missing file accepted")
	}
}

func TestBDRates(t *testing.T) {
	anchor := "anchor x"
	pts := func(sweep string, rateScale, psnrShift float64) []Row {
		var rows []Row
		for i, r := range []float64{100, 200, 400, 800} {
			rows = append(rows, Row{Resolution: "r", Sweep: sweep, Config: sweep, Status: StatusOK, Point: strconv.Itoa(i),
				BitrateKbps: r * rateScale, Quality: &Quality{PSNR611: Float(30 + 3*float64(i) + psnrShift)}})
		}
		return rows
	}
	rows := append(pts(anchor, 1, 0), pts("same", 1, 0)...)
	rows = append(rows, pts("half", 0.5, 0)...)
	broken := pts("broken", 1, 0)
	broken[2].Status, broken[2].Reason, broken[2].Quality = StatusError, "boom", nil
	rows = append(rows, broken...)
	for _, r := range pts("other resolution", 1, 0) {
		r.Resolution = "s"
		rows = append(rows, r)
	}
	bds := bdRates(rows, "r", anchor)
	if len(bds) != 3 {
		t.Fatalf("%d BD-rates: %+v", len(bds), bds)
	}
	if bds[0].Sweep != "same" || bds[0].Rate == nil || math.Abs(float64(*bds[0].Rate)) > 1e-9 {
		t.Errorf("same curve: %+v", bds[0])
	}
	if bds[1].Sweep != "half" || bds[1].Rate == nil || math.Abs(float64(*bds[1].Rate)+50) > 1e-9 {
		t.Errorf("half the rate: %+v", bds[1])
	}
	if bds[2].Rate != nil || bds[2].Error == "" {
		t.Errorf("broken curve: %+v", bds[2])
	}
	if bd := bdRates(pts("t", 1, 0), "r", anchor); len(bd) != 1 || bd[0].Error == "" {
		t.Errorf("no anchor: %+v", bd)
	}
}

func TestDetailCrop(t *testing.T) {
	const w, h = 640, 360
	f, err := gpuenc.NewFrames(gpuenc.YUV444P, w, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	luma, stride := f.Plane(0, 0)
	for i := range luma {
		luma[i] = 100
	}
	// A checkerboard patch at (400..464, 200..236): the only detail.
	for y := 200; y < 236; y++ {
		for x := 400; x < 464; x++ {
			luma[y*stride+x] = uint8(50 + 100*((x+y)&1))
		}
	}
	patch := image.Rect(400, 200, 464, 236)
	r := detailCrop(f, 0, 256, 144)
	if r.Dx() != 256 || r.Dy() != 144 || !patch.In(r) || !r.In(image.Rect(0, 0, w, h)) {
		t.Errorf("crop %v does not hold the patch %v inside the picture", r, patch)
	}
	// A window larger than the picture is the whole picture.
	small, _ := gpuenc.NewFrames(gpuenc.YUV420P, 100, 50, 1)
	if r := detailCrop(small, 0, 256, 144); r != image.Rect(0, 0, 100, 50) {
		t.Errorf("small picture: %v", r)
	}
	// A flat picture keeps the centre.
	flat, _ := gpuenc.NewFrames(gpuenc.YUV420P, w, h, 1)
	if r := detailCrop(flat, 0, 256, 144); r != centreCrop(w, h, 256, 144) {
		t.Errorf("flat picture: %v", r)
	}
}
