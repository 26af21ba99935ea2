package h264

import (
	"bufio"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// updateGolden regenerates testdata/golden.txt: go test ./h264 -run
// TestGolden -update. Do it only when the encoder's output is meant to
// change; speed work must leave every line as it is.
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden.txt from the current encoder")

const goldenPath = "testdata/golden.txt"

// goldenCase is one configuration of the golden test: the options, the
// clip ("synth" or "photo") and its length.
type goldenCase struct {
	name   string
	o      Options
	source string
	frames int
}

// goldenCases covers sizes (odd, one macroblock, wider than tall and the
// reverse), every preset class, I and P pictures (GOP 1 and long GOPs with
// a forced scene change), each rate control mode, AQ on and off, and 1 and
// 3 goroutines.
func goldenCases() []goldenCase {
	var cs []goldenCase
	add := func(name, source string, frames int, o Options) {
		cs = append(cs, goldenCase{name: name, o: o, source: source, frames: frames})
	}
	for i, preset := range []string{"ultrafast", "veryfast", "medium", "slow"} {
		for _, th := range []int{1, 3} {
			add(fmt.Sprintf("synth176x144-%s-qp26-t%d", preset, th), "synth", 6,
				Options{Width: 176, Height: 144, Preset: preset, RateControl: ConstantQP, QP: 26, Threads: th})
			add(fmt.Sprintf("photo208x160-%s-crf%d-t%d", preset, 20+2*i, th), "photo", 6,
				Options{Width: 208, Height: 160, Preset: preset, CRF: float64(20 + 2*i), Threads: th})
		}
		// A different CRF per preset (here and above): at these sizes
		// medium and slow search the same vectors, and the guard below
		// wants different streams.
		crf := 28 + 2*i
		add(fmt.Sprintf("synth99x61-%s-crf%d", preset, crf), "synth", 5,
			Options{Width: 99, Height: 61, Preset: preset, CRF: float64(crf), Threads: 2})
		add("synth320x96-"+preset+"-abr", "synth", 6,
			Options{Width: 320, Height: 96, Preset: preset, RateControl: AverageBitrate, Bitrate: 300000, MaxRate: 400000, BufSize: 400000, Threads: 3})
	}
	add("synth16x16-medium-qp20", "synth", 4, Options{Width: 16, Height: 16, RateControl: ConstantQP, QP: 20, Threads: 1})
	add("synth33x127-medium-qp40-aq", "synth", 4, Options{Width: 33, Height: 127, RateControl: ConstantQP, QP: 40, AQStrength: 1.5, Threads: 3})
	add("photo208x160-medium-crf-noaq", "photo", 5, Options{Width: 208, Height: 160, AQStrength: -1, Threads: 1})
	add("photo208x160-medium-intra-qp10", "photo", 3, Options{Width: 208, Height: 160, GOP: 1, RateControl: ConstantQP, QP: 10, Threads: 3})
	add("synth176x144-veryfast-gop3-qp51", "synth", 7, Options{Width: 176, Height: 144, Preset: "veryfast", GOP: 3, RateControl: ConstantQP, QP: 51, Threads: 1})
	add("synth176x144-medium-qp26-noipoffset", "synth", 6, Options{Width: 176, Height: 144, RateControl: ConstantQP, QP: 26, IPOffset: -1, Threads: 2})
	add("photo208x160-medium-qp30-ipoffset8", "photo", 4, Options{Width: 208, Height: 160, RateControl: ConstantQP, QP: 30, IPOffset: 8, Threads: 2})
	add("synth176x144-slow-qp0", "synth", 3, Options{Width: 176, Height: 144, Preset: "slow", RateControl: ConstantQP, QP: 0, Threads: 3})
	add("mixed208x160-medium-crf-scenecut", "mixed", 8, Options{Width: 208, Height: 160, Threads: 3})
	add("mixed208x160-ultrafast-abr-aq2", "mixed", 8, Options{Width: 208, Height: 160, Preset: "ultrafast", RateControl: AverageBitrate, Bitrate: 200000, AQStrength: 2, Threads: 1})
	add("synth640x360-medium-crf-t2", "synth", 8, Options{Width: 640, Height: 360, Threads: 2})
	add("photo480x272-slow-qp22-t2", "photo", 8, Options{Width: 480, Height: 272, Preset: "slow", RateControl: ConstantQP, QP: 22, Threads: 2})
	add("photo480x272-ultrafast-crf18-t1", "photo", 8, Options{Width: 480, Height: 272, Preset: "ultrafast", CRF: 18, Threads: 1})
	// The lookahead's macroblock tree: shorter than the clip, longer than
	// the GOP, and with a scene cut.
	add("photo208x160-medium-qp26-lookahead3", "photo", 8, Options{Width: 208, Height: 160, RateControl: ConstantQP, QP: 26, Lookahead: 3, Threads: 2})
	add("synth176x144-veryfast-crf-gop4-lookahead10", "synth", 9, Options{Width: 176, Height: 144, Preset: "veryfast", GOP: 4, Lookahead: 10, Threads: 3})
	add("mixed208x160-slow-abr-lookahead5", "mixed", 8, Options{Width: 208, Height: 160, Preset: "slow", RateControl: AverageBitrate, Bitrate: 250000, Lookahead: 5, Threads: 1})
	return cs
}

// goldenPictures returns the clip of c.
func goldenPictures(t testing.TB, c goldenCase) []*Picture {
	w, h := c.o.Width, c.o.Height
	switch c.source {
	case "photo":
		return photoClip(t, w, h, c.frames)
	case "mixed":
		// Photo, a scene change to synthetic content, and back.
		ph := photoClip(t, w, h, c.frames)
		sy := clip(w, h, 2, 7)
		return append(append(append([]*Picture{}, ph[:c.frames/2]...), sy...), ph[c.frames/2:c.frames-2]...)
	}
	return clip(w, h, c.frames, int64(w*h))
}

// goldenDigest encodes c and returns the SHA-256 of the stream and of the
// concatenated reconstructions (yuv420p, cropped), in hex.
func goldenDigest(t testing.TB, c goldenCase) (stream, recon string) {
	s, rec, _ := encodeClip(t, c.o, goldenPictures(t, c), nil)
	hr := sha256.New()
	for _, r := range rec {
		hr.Write(r)
	}
	return fmt.Sprintf("%x", sha256.Sum256(s)), fmt.Sprintf("%x", hr.Sum(nil))
}

// TestGolden: the encoder's streams and reconstructions must not change by
// one byte (the CUDA port reproduces them, and speed work must keep every
// decision). The stored digests come from the encoder before its speed
// work; run with -update only for a deliberate change of output.
func TestGolden(t *testing.T) {
	cases := goldenCases()
	got := make(map[string]string, len(cases))
	for _, c := range cases {
		s, r := goldenDigest(t, c)
		got[c.name] = s + " " + r
	}
	if *updateGolden {
		var b strings.Builder
		b.WriteString("# name stream-sha256 reconstruction-sha256 (h264/golden_test.go; regenerate with -update)\n")
		for _, c := range cases {
			fmt.Fprintf(&b, "%s %s\n", c.name, got[c.name])
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(goldenPath)
	if err != nil {
		t.Fatalf("golden digests (go test -run TestGolden -update writes them): %v", err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, digests, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("malformed golden line %q", line)
		}
		want[name] = digests
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(cases) {
		t.Errorf("%s holds %d cases, the test has %d", goldenPath, len(want), len(cases))
	}
	// Guard the test itself: cases that differ only in Threads give the
	// same stream, any other two cases different ones (so a digest or clip
	// that ignored its options would be caught).
	seen := map[string]string{}
	for _, c := range cases {
		s, _, _ := strings.Cut(got[c.name], " ")
		key := strings.Replace(c.name, "-t3", "-t1", 1)
		if prev, dup := seen[s]; dup && prev != key {
			t.Errorf("%s and %s give the same stream", prev, c.name)
		}
		if strings.HasSuffix(c.name, "-t3") && got[c.name] != got[key] {
			t.Errorf("%s differs from %s", c.name, key)
		}
		seen[s] = key
	}
	for _, c := range cases {
		if w, ok := want[c.name]; !ok {
			t.Errorf("%s: no golden digests", c.name)
		} else if got[c.name] != w {
			t.Errorf("%s: stream/reconstruction digests %s, want %s", c.name, got[c.name], w)
		}
	}
}
