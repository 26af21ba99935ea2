package bench

import (
	"errors"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

func TestParseResolution(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Resolution
	}{
		{"360", Resolution{"360p", 640, 360}},
		{"720p", Resolution{"720p", 1280, 720}},
		{"1080", Resolution{"1080p", 1920, 1080}},
		{"480", Resolution{"480p", 854, 480}},
		{"64x48", Resolution{"64x48", 64, 48}},
	} {
		got, err := ParseResolution(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseResolution(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "x", "0", "-5", "axb", "64x0", "hd"} {
		var se *SettingError
		if _, err := ParseResolution(bad); !errors.As(err, &se) {
			t.Errorf("ParseResolution(%q): %v, want a *SettingError", bad, err)
		}
	}
}

func TestParseEncoderSpec(t *testing.T) {
	e, err := ParseEncoderSpec("libx264:preset=veryfast:tune=psnr")
	if err != nil || e.Encoder != "libx264" || !reflect.DeepEqual(e.Options, map[string]string{"preset": "veryfast", "tune": "psnr"}) {
		t.Fatalf("got %+v, %v", e, err)
	}
	if s := e.String(); s != "libx264:preset=veryfast:tune=psnr" {
		t.Errorf("String = %q", s)
	}
	for _, bad := range []string{"", ":crf=1", "libx264:crf"} {
		if _, err := ParseEncoderSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestDefaultThreads(t *testing.T) {
	got := DefaultThreads()
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("%v not sorted and unique", got)
	}
	for _, want := range []int{1, 4, 8, runtime.NumCPU()} {
		if !slices.Contains(got, want) {
			t.Errorf("%v lacks %d", got, want)
		}
	}
}
