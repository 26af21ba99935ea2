package bench

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc"
)

// smallConfig is a matrix that runs in a few seconds on 2 cores: 64x64 and
// 96x48, 10 frames, libx264 with one thread, h264_go when this build has
// it, and NVENC (usable or not).
func smallConfig() Config {
	c := DefaultConfig()
	c.Resolutions = []Resolution{{"64x64", 64, 64}, {"96x48", 96, 48}}
	c.Frames, c.Repeats, c.Warmup = 10, 1, 0
	c.Threads = []int{1}
	c.Encoders = []string{"libx264", "h264_nvenc"}
	if slices.Contains(gpuenc.EncoderNames(), "h264_go") {
		c.Encoders = append(c.Encoders, "h264_go")
	}
	return c
}

func TestRunWritesEveryReportFile(t *testing.T) {
	cfg := smallConfig()
	cfg.Sweep = true
	steps := 0
	cfg.Progress = func(done, total int, what string) {
		steps++
		if done != steps || done > total {
			t.Errorf("progress %d/%d after %d steps", done, total, steps)
		}
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Interrupted {
		t.Error("Interrupted set")
	}
	dir := t.TempDir()
	if err := rep.WriteDir(dir); err != nil {
		t.Fatal(err)
	}

	// Every configuration ran at every resolution, or says why not.
	for _, enc := range cfg.Encoders {
		ok, why := gpuenc.Usable(enc)
		n := 0
		for _, r := range rep.Rows {
			if r.Encoder != enc || r.Sweep != "" {
				continue
			}
			n++
			if !ok && (r.Status != StatusSkipped || r.Reason != why) {
				t.Errorf("%s: not usable (%s) but row %+v", enc, why, r)
			}
			if ok && r.Status == StatusOK && (r.Quality == nil || r.Bytes == 0 || r.FPS <= 0 || r.Time.Median <= 0 || r.Frames != cfg.Frames) {
				t.Errorf("%s: incomplete row %+v", enc, r)
			}
			if ok && r.Source == "cpu" && r.Status != StatusOK {
				t.Errorf("%s: %s", enc, r.Reason)
			}
		}
		if n == 0 {
			t.Errorf("no row for %s", enc)
		}
	}
	// The quality of libx264's output is plausible: lossy but close.
	for _, r := range rep.Rows {
		if r.Status == StatusOK {
			if p := float64(r.Quality.PSNR611); p < 25 || p > 70 || math.IsInf(p, 0) {
				t.Errorf("%s %s: PSNR %v", r.Resolution, r.Config, p)
			}
			if s := float64(r.Quality.SSIMAll); s < 0.8 || s >= 1 {
				t.Errorf("%s %s: SSIM %v", r.Resolution, r.Config, s)
			}
			if want := float64(r.Bytes) * 8 / (float64(r.Frames) * 1001 / 30000) / 1000; math.Abs(r.BitrateKbps-want) > 1e-9*want {
				t.Errorf("bit rate %v, want %v", r.BitrateKbps, want)
			}
		}
	}
	// A BD-rate for every swept encoder but the anchor, at each resolution;
	// the libx264 tune=psnr curve is a real curve against the anchor.
	if len(rep.BD) == 0 {
		t.Fatal("no BD-rates")
	}
	for _, bd := range rep.BD {
		if strings.HasPrefix(bd.Sweep, "libx264") && (bd.Rate == nil || math.Abs(float64(*bd.Rate)) > 60) {
			t.Errorf("BD %+v", bd)
		}
	}

	// results.json round-trips.
	b, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Rows, rep.Rows) || !reflect.DeepEqual(back.BD, rep.BD) || back.Config.Frames != cfg.Frames {
		t.Error("results.json does not round-trip")
	}
	if back.Machine.Cores == 0 || back.Machine.Go == "" || back.Machine.FFmpeg["libavcodec"] == "" {
		t.Errorf("machine: %+v", back.Machine)
	}
	// results.csv: a header and one line per row.
	f, err := os.Open(filepath.Join(dir, CSVFile))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(rep.Rows)+1 || !slices.Equal(recs[0], csvHeader) {
		t.Errorf("CSV: %d records for %d rows", len(recs), len(rep.Rows))
	}
	// The PNGs decode.
	pngs, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	for _, want := range []string{"time_vs_resolution.png", "size_vs_resolution.png", "fps.png", "rd_64x64.png", "rd_96x48.png", "spotcheck_64x64.png", "spotcheck_96x48.png"} {
		if !slices.Contains(pngs, filepath.Join(dir, want)) {
			t.Errorf("no %s", want)
		}
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 64 {
			t.Errorf("%s: %v", p, err)
		}
	}
	// report.md names every encoder and links every PNG.
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range cfg.Encoders {
		if !bytes.Contains(md, []byte(enc)) {
			t.Errorf("report.md does not mention %s", enc)
		}
	}
	for _, p := range pngs {
		if !bytes.Contains(md, []byte("("+filepath.Base(p)+")")) {
			t.Errorf("report.md does not link %s", filepath.Base(p))
		}
	}
	for _, s := range []string{"A10G", "78", "217", "371"} {
		if !bytes.Contains(md, []byte(s)) {
			t.Errorf("report.md lacks the study's %s", s)
		}
	}
	// table.txt has a line per row.
	tab, err := os.ReadFile(filepath.Join(dir, TableFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(tab), "\n"); n < len(rep.Rows)+1 {
		t.Errorf("table.txt: %d lines for %d rows", n, len(rep.Rows))
	}
}

func TestRunCancelledKeepsFinishedRows(t *testing.T) {
	cfg := smallConfig()
	cfg.Encoders = []string{"libx264"}
	cfg.Threads = []int{1, 2}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Progress = func(done, total int, what string) {
		if strings.HasSuffix(what, "quality") { // the first row is finished
			cancel()
		}
	}
	rep, err := Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rep == nil || !rep.Interrupted {
		t.Fatalf("report %+v, want Interrupted", rep)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Status != StatusOK || rep.Rows[0].Threads != 1 || rep.Rows[0].Quality == nil {
		t.Fatalf("rows %+v, want the finished threads=1 row", rep.Rows)
	}
	dir := t.TempDir()
	if err := rep.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil || !bytes.Contains(md, []byte("Interrupted")) {
		t.Errorf("report.md: %v, interruption not said", err)
	}
}

func TestRunRejectsBadSettings(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.Frames = 0 },
		func(c *Config) { c.Repeats = 0 },
		func(c *Config) { c.Warmup = -1 },
		func(c *Config) { c.Resolutions = nil },
	} {
		c := smallConfig()
		mod(&c)
		var se *SettingError
		if _, err := Run(context.Background(), c); !errors.As(err, &se) {
			t.Errorf("err %v, want *SettingError", err)
		}
	}
}

// TestRunRecordsFailures: a configuration that fails (here an option no
// encoder knows) is a row with the error, the run goes on, and the report
// is still written, plots and all.
func TestRunRecordsFailures(t *testing.T) {
	cfg := smallConfig()
	cfg.Encoders = []string{"libx264"}
	cfg.Options = map[string]string{"no_such_option": "1"}
	cfg.Sweep = true
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rep.Rows {
		if r.Status != StatusError || !strings.Contains(r.Reason, "no_such_option") {
			t.Errorf("row %s %s: %s %q", r.Resolution, r.Config, r.Status, r.Reason)
		}
	}
	for _, bd := range rep.BD {
		if bd.Rate != nil || bd.Error == "" {
			t.Errorf("BD %+v from failed points", bd)
		}
	}
	dir := t.TempDir()
	if err := rep.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{JSONFile, CSVFile, TableFile, MarkdownFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	tab, _ := os.ReadFile(filepath.Join(dir, TableFile))
	if !bytes.Contains(tab, []byte("no_such_option")) {
		t.Errorf("table.txt does not give the error:\n%s", tab)
	}
}

func TestPlansEncoderSpecs(t *testing.T) {
	cfg := QuickConfig()
	cfg.Encoders = []string{"libx264:preset=ultrafast:tune=psnr", "h264_go"}
	cfg.Threads = []int{2}
	cfg.Sweep = true
	run, skipped := plans(&cfg)
	if len(skipped) != 0 {
		t.Fatalf("skipped %+v", skipped)
	}
	var found, swept bool
	for _, p := range run {
		if p.encoder == "libx264" && p.sweep == "" {
			found = p.options["preset"] == "ultrafast" && p.options["threads"] == "2" && strings.Contains(p.config, "preset=ultrafast")
		}
		if p.encoder == "libx264" && p.sweep != "" && !strings.HasPrefix(p.sweep, "anchor") {
			swept = p.options["preset"] == "ultrafast" && p.options["tune"] == "psnr"
		}
	}
	if !found || !swept {
		t.Errorf("spec options not applied (matrix row %v, sweep %v): %+v", found, swept, run)
	}
}
