package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc"
	"github.com/gpuenc/gpuenc/bench"
)

func TestBenchCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--res", "64x64,80x48", "--frames", "8", "--repeats", "2", "--warmup", "1", "--threads", "1",
		"--encoders", "libx264,h264_nvenc", "--encoder-option", "preset=ultrafast", "--out", dir, "--json", "--progress=false"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not the results JSON: %v\n%s", err, stdout.String())
	}
	if strings.Join(rep.CommandLine, " ") != "gpuenc "+strings.Join(args, " ") {
		t.Errorf("command line %q", rep.CommandLine)
	}
	if c := rep.Config; c.Frames != 8 || c.Repeats != 2 || c.Warmup != 1 || len(c.Resolutions) != 2 || c.Options["preset"] != "ultrafast" {
		t.Errorf("config %+v", c)
	}
	ok := 0
	for _, r := range rep.Rows {
		switch r.Encoder {
		case "libx264":
			if r.Status != bench.StatusOK || len(r.Time.Seconds) != 2 || r.Options["preset"] != "ultrafast" || r.Options["threads"] != "1" {
				t.Errorf("libx264 row %+v", r)
			}
			ok++
		case "h264_nvenc":
			if usable, why := gpuenc.Usable("h264_nvenc"); !usable && r.Reason != why {
				t.Errorf("h264_nvenc row %+v, want reason %q", r, why)
			}
		}
	}
	if ok != 2 {
		t.Errorf("%d libx264 rows, want one per resolution", ok)
	}
	for _, f := range []string{bench.JSONFile, bench.CSVFile, bench.TableFile, bench.MarkdownFile, "fps.png", "time_vs_resolution.png", "spotcheck_80x48.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stderr.String(), dir) {
		t.Errorf("stderr does not say where the report is: %s", stderr.String())
	}
}

// TestBenchCommandQuick checks that --quick sets the profile and that flags
// given explicitly still win; and that the table goes to stdout without
// --json.
func TestBenchCommandQuick(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "--quick", "--res", "64x64", "--frames", "6", "--encoders", "libx264", "--out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, bench.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	q := bench.QuickConfig()
	if c := rep.Config; c.Frames != 6 || c.Repeats != q.Repeats || c.Warmup != q.Warmup || len(c.Threads) != len(q.Threads) {
		t.Errorf("config %+v, want the quick profile with 6 frames", c)
	}
	if !strings.Contains(stdout.String(), "libx264 threads=1") || !strings.Contains(stdout.String(), "PSNR") {
		t.Errorf("no table on stdout:\n%s", stdout.String())
	}
}

// TestBenchCommandInterrupted: a run stopped by Ctrl-C still writes its
// report and says so.
func TestBenchCommandInterrupted(t *testing.T) {
	saved := benchContext
	defer func() { benchContext = saved }()
	benchContext = func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	}
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bench", "--res", "64x64", "--frames", "4", "--encoders", "libx264", "--threads", "1", "--out", dir}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr: %s", stderr.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, bench.MarkdownFile))
	if err != nil || !bytes.Contains(md, []byte("Interrupted")) {
		t.Errorf("report.md: %v", err)
	}
}

func TestBenchCommandBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench", "--res", "hd"}, 1, "--res"},
		{[]string{"bench", "--threads", "0"}, 1, "--threads"},
		{[]string{"bench", "--anchor", ":crf=1"}, 1, "--anchor"},
		{[]string{"bench", "--no-such-flag"}, 2, "no-such-flag"},
		{[]string{"bench", "extra"}, 1, "unexpected"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
}
