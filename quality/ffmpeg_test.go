package quality

// Cross-checks against FFmpeg's own psnr and ssim filters, run through the
// ffmpeg command-line tool (Debian's FFmpeg 5.1 in CI), which serves as the
// independent oracle: sources come from its testsrc2 generator, distortions
// from its libx264 encoder and noise filter, and the expected figures from
// the stats files and summary lines its filters print. Our figures are
// formatted with the same printf conversions and compared as strings.

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ffmpegCase describes one reference/distorted pair to generate.
type ffmpegCase struct {
	name   string
	w, h   int
	pixfmt string // yuv420p or yuv444p
	frames int
	// distortion: "crfN" encodes with libx264 at crf N; "noise" adds
	// temporal noise; "noise+crfN" both.
	distort string
}

func needFFmpeg(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	return p
}

func runFFmpeg(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-nostdin", "-y"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// chromaShift returns log2 of the chroma subsampling of a pixel format.
func chromaShift(pixfmt string) (sx, sy int) {
	if pixfmt == "yuv420p" {
		return 1, 1
	}
	return 0, 0
}

// readRaw splits a raw planar file into frames of three planes.
func readRaw(t *testing.T, path string, w, h int, pixfmt string) [][]Plane {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sx, sy := chromaShift(pixfmt)
	cw, ch := (w+(1<<sx)-1)>>sx, (h+(1<<sy)-1)>>sy
	size := w*h + 2*cw*ch
	if len(data) == 0 || len(data)%size != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of %dx%d %s frames", path, len(data), w, h, pixfmt)
	}
	var frames [][]Plane
	for off := 0; off < len(data); off += size {
		f := data[off : off+size]
		frames = append(frames, []Plane{
			{Width: w, Height: h, Stride: w, Pix: f[:w*h]},
			{Width: cw, Height: ch, Stride: cw, Pix: f[w*h : w*h+cw*ch]},
			{Width: cw, Height: ch, Stride: cw, Pix: f[w*h+cw*ch:]},
		})
	}
	return frames
}

// makeCase writes ref.yuv and dist.yuv for c into dir.
func makeCase(t *testing.T, dir string, c ffmpegCase) (ref, dist string) {
	t.Helper()
	size := fmt.Sprintf("%dx%d", c.w, c.h)
	ref = filepath.Join(dir, "ref.yuv")
	dist = filepath.Join(dir, "dist.yuv")
	src := fmt.Sprintf("testsrc2=size=%s:rate=25,format=%s", size, c.pixfmt)
	if c.w%2 != 0 || c.h%2 != 0 || c.w < 32 || c.h < 32 {
		// testsrc2 rounds odd or tiny sizes; scale a larger picture instead.
		src = fmt.Sprintf("testsrc2=size=64x48:rate=25,scale=%d:%d,format=%s", c.w, c.h, c.pixfmt)
	}
	runFFmpeg(t, "-f", "lavfi", "-i", src, "-frames:v", fmt.Sprint(c.frames), "-f", "rawvideo", ref)
	rawIn := []string{"-f", "rawvideo", "-pix_fmt", c.pixfmt, "-s", size, "-i"}
	cur := ref
	for _, step := range strings.Split(c.distort, "+") {
		next := filepath.Join(dir, "step.yuv")
		switch {
		case step == "noise":
			runFFmpeg(t, append(rawIn, cur, "-vf", "noise=alls=24:allf=t", "-f", "rawvideo", next)...)
		case strings.HasPrefix(step, "crf"):
			enc := filepath.Join(dir, "enc.mkv")
			runFFmpeg(t, append(rawIn, cur, "-c:v", "libx264", "-preset", "ultrafast", "-crf", step[3:], enc)...)
			runFFmpeg(t, "-i", enc, "-pix_fmt", c.pixfmt, "-f", "rawvideo", next)
		default:
			t.Fatalf("unknown distortion %q", step)
		}
		if err := os.Rename(next, dist); err != nil {
			t.Fatal(err)
		}
		cur = dist
	}
	return ref, dist
}

// ffmpegFigures are the strings FFmpeg printed for one comparison.
type ffmpegFigures struct {
	psnrStats []map[string]string // per frame: key -> value, e.g. "psnr_y" -> "38.12"
	ssimStats []map[string]string // per frame: "Y" -> "0.987654", "All" -> ..., "dB" -> ...
	psnrSum   map[string]string   // summary: "y", "u", "v", "average", "min", "max"
	ssimSum   map[string]string   // summary: "Y", "Y_dB", ..., "All", "All_dB"
}

var (
	kvRe      = regexp.MustCompile(`([A-Za-z_]+):(\S+)`)
	ssimSumRe = regexp.MustCompile(`([A-Za-z]+):(\S+) \((\S+)\)`)
)

// runFilters runs FFmpeg's psnr and ssim filters on dist (main input) and
// ref (reference input). cpuflags "0" forces FFmpeg's portable C code.
func runFilters(t *testing.T, dir, ref, dist string, c ffmpegCase, cpuflags string) ffmpegFigures {
	t.Helper()
	size := fmt.Sprintf("%dx%d", c.w, c.h)
	ps := filepath.Join(dir, "psnr.txt")
	ss := filepath.Join(dir, "ssim.txt")
	args := []string{}
	if cpuflags != "" {
		args = append(args, "-cpuflags", cpuflags)
	}
	args = append(args,
		"-f", "rawvideo", "-pix_fmt", c.pixfmt, "-s", size, "-i", dist,
		"-f", "rawvideo", "-pix_fmt", c.pixfmt, "-s", size, "-i", ref,
		"-lavfi", fmt.Sprintf("[0:v]split[m0][m1];[1:v]split[r0][r1];[m0][r0]psnr=stats_file=%s;[m1][r1]ssim=stats_file=%s", ps, ss),
		"-f", "null", "-")
	log := runFFmpeg(t, args...)
	var fig ffmpegFigures
	for _, line := range strings.Split(log, "\n") {
		if i := strings.Index(line, "] PSNR "); i >= 0 {
			fig.psnrSum = map[string]string{}
			for _, m := range kvRe.FindAllStringSubmatch(line[i+7:], -1) {
				fig.psnrSum[m[1]] = m[2]
			}
		}
		if i := strings.Index(line, "] SSIM "); i >= 0 {
			fig.ssimSum = map[string]string{}
			for _, m := range ssimSumRe.FindAllStringSubmatch(line[i+7:], -1) {
				fig.ssimSum[m[1]] = m[2]
				fig.ssimSum[m[1]+"_dB"] = m[3]
			}
		}
	}
	if fig.psnrSum == nil || fig.ssimSum == nil {
		t.Fatalf("no PSNR/SSIM summary in ffmpeg output:\n%s", log)
	}
	fig.psnrStats = readStats(t, ps)
	fig.ssimStats = readStats(t, ss)
	return fig
}

// readStats parses a stats file into one key/value map per line.
func readStats(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := map[string]string{}
		line := sc.Text()
		for _, kv := range kvRe.FindAllStringSubmatch(line, -1) {
			m[kv[1]] = kv[2]
		}
		if i := strings.LastIndex(line, "("); i >= 0 {
			m["dB"] = strings.TrimSuffix(line[i+1:], ")")
		}
		out = append(out, m)
	}
	return out
}

// cfmt formats v as C's printf("%.<prec>f") does with glibc: inf, -inf,
// nan, -nan.
func cfmt(v float64, prec int) string {
	switch {
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case math.IsNaN(v):
		if math.Signbit(v) {
			return "-nan"
		}
		return "nan"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// asmBroken reports whether FFmpeg's x86 ssim_end_line mishandles a w x h
// plane: when there are rows of windows (h >= 8) but the number of windows
// per row, w/4-1, is 1 more than a multiple of 4, it keeps an out-of-row
// value instead of the last window (see the package doc); when that number
// is 0 or less, it still processes 4 windows of whatever lies in its buffer.
func asmBroken(w, h int) bool {
	n := (w >> 2) - 1
	return h>>2 >= 2 && (n <= 0 || n%4 == 1)
}

func TestAgainstFFmpeg(t *testing.T) {
	needFFmpeg(t)
	cases := []ffmpegCase{
		{"176x144-420-crf20", 176, 144, "yuv420p", 6, "crf20"},
		{"176x144-420-crf38", 176, 144, "yuv420p", 6, "crf38"},
		{"176x144-420-crf51", 176, 144, "yuv420p", 6, "crf51"},
		{"176x144-444-noise", 176, 144, "yuv444p", 4, "noise"},
		{"640x360-420-crf30", 640, 360, "yuv420p", 4, "crf30"},
		{"640x360-444-noise+crf26", 640, 360, "yuv444p", 3, "noise+crf26"},
		{"33x17-420-noise", 33, 17, "yuv420p", 4, "noise"},
		{"33x17-444-noise", 33, 17, "yuv444p", 4, "noise"},
		{"75x41-420-noise", 75, 41, "yuv420p", 3, "noise"},
		{"1x1-420-noise", 1, 1, "yuv420p", 3, "noise"},
		{"7x9-444-noise", 7, 9, "yuv444p", 3, "noise"},
		{"64x48-420-identical", 64, 48, "yuv420p", 3, "crf0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			refPath, distPath := makeCase(t, dir, c)
			ref := readRaw(t, refPath, c.w, c.h, c.pixfmt)
			dist := readRaw(t, distPath, c.w, c.h, c.pixfmt)
			if len(ref) != c.frames || len(dist) != c.frames {
				t.Fatalf("got %d reference and %d distorted frames, want %d", len(ref), len(dist), c.frames)
			}
			var m Meter
			for i := range ref {
				if err := m.Add(ref[i], dist[i]); err != nil {
					t.Fatal(err)
				}
			}
			res := m.Result()
			cr, err := Compare(ref, dist)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(cr) != fmt.Sprint(res) {
				t.Errorf("Compare and Meter disagree:\n%v\n%v", cr, res)
			}

			// FFmpeg's portable C code: every figure must match.
			figC := runFilters(t, dir, refPath, distPath, c, "0")
			n := checkFigures(t, "C", figC, res, ref[0], func(int) bool { return true })

			// FFmpeg's default x86 code: PSNR always; SSIM of the planes
			// whose width its SIMD code handles correctly.
			fig := runFilters(t, dir, refPath, distPath, c, "")
			n += checkFigures(t, "SIMD", fig, res, ref[0], func(p int) bool { return !asmBroken(ref[0][p].Width, ref[0][p].Height) })
			t.Logf("%d figures agree to the printed digit", n)
			for p, comp := range []string{"Y", "U", "V"} {
				if asmBroken(ref[0][p].Width, ref[0][p].Height) && fig.ssimSum[comp] != figC.ssimSum[comp] {
					t.Logf("as documented, FFmpeg's SIMD SSIM %s (%s) differs from its C code (%s, ours %s)",
						comp, fig.ssimSum[comp], figC.ssimSum[comp], cfmt(res.SSIM[p], 6))
				}
			}
		})
	}
}

var comps = [3]string{"y", "u", "v"}

// checkFigures compares FFmpeg's printed figures with ours.
// It returns the number of figures compared.
func checkFigures(t *testing.T, mode string, fig ffmpegFigures, res Result, planes []Plane, ssimOK func(plane int) bool) int {
	t.Helper()
	mismatch, compared := 0, 0
	eq := func(what, want, got string) {
		compared++
		if want != got {
			mismatch++
			if mismatch <= 20 {
				t.Errorf("%s %s: ffmpeg printed %s, we have %s", mode, what, want, got)
			}
		}
	}
	allOK := true
	for p := range planes {
		allOK = allOK && ssimOK(p)
	}
	if len(fig.psnrStats) != res.Frames || len(fig.ssimStats) != res.Frames {
		t.Fatalf("%s: ffmpeg measured %d/%d frames, we measured %d", mode, len(fig.psnrStats), len(fig.ssimStats), res.Frames)
	}
	for i, fr := range res.PerFrame {
		ps := fig.psnrStats[i]
		eq(fmt.Sprintf("frame %d mse_avg", i), ps["mse_avg"], cfmt(fr.MSEAvg, 2))
		eq(fmt.Sprintf("frame %d psnr_avg", i), ps["psnr_avg"], cfmt(fr.PSNRAvg, 2))
		for p, c := range comps {
			eq(fmt.Sprintf("frame %d mse_%s", i, c), ps["mse_"+c], cfmt(fr.MSE[p], 2))
			eq(fmt.Sprintf("frame %d psnr_%s", i, c), ps["psnr_"+c], cfmt(fr.PSNR[p], 2))
		}
		ss := fig.ssimStats[i]
		for p, c := range comps {
			if ssimOK(p) {
				eq(fmt.Sprintf("frame %d SSIM %s", i, c), ss[strings.ToUpper(c)], cfmt(fr.SSIM[p], 6))
			}
		}
		if allOK {
			eq(fmt.Sprintf("frame %d SSIM All", i), ss["All"], cfmt(fr.SSIMAll, 6))
			eq(fmt.Sprintf("frame %d SSIM dB", i), ss["dB"], cfmt(SSIMToDB(fr.SSIMAll), 6))
		}
	}
	for p, c := range comps {
		eq("summary PSNR "+c, fig.psnrSum[c], cfmt(res.PSNR[p], 6))
		if ssimOK(p) {
			C := strings.ToUpper(c)
			eq("summary SSIM "+C, fig.ssimSum[C], cfmt(res.SSIM[p], 6))
			eq("summary SSIM dB "+C, fig.ssimSum[C+"_dB"], cfmt(res.SSIMdB[p], 6))
		}
	}
	eq("summary PSNR average", fig.psnrSum["average"], cfmt(res.PSNRAvg, 6))
	eq("summary PSNR min", fig.psnrSum["min"], cfmt(res.PSNRAvgMin, 6))
	eq("summary PSNR max", fig.psnrSum["max"], cfmt(res.PSNRAvgMax, 6))
	if allOK {
		eq("summary SSIM All", fig.ssimSum["All"], cfmt(res.SSIMAll, 6))
		eq("summary SSIM All dB", fig.ssimSum["All_dB"], cfmt(res.SSIMAlldB, 6))
	}
	if mismatch > 0 {
		t.Errorf("%s: %d figures differ from ffmpeg's", mode, mismatch)
	}
	return compared
}
