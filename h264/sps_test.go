package h264

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gpuenc/gpuenc/internal/oracle"
)

// TestParameterSetsWithFFprobe checks what FFmpeg reads from the SPS and
// VUI: size (cropped), profile, level, frame rate and colour description.
func TestParameterSetsWithFFprobe(t *testing.T) {
	oracle.Require(t)
	cases := []struct {
		o                                  Options
		pixfmt, space, primaries, transfer string
		rate                               string
		level                              int
	}{
		{Options{Width: 176, Height: 144, FrameRateNum: 30000, FrameRateDen: 1001,
			Color: ColorInfo{Matrix: 1, Primaries: 1, Transfer: 1}}, "yuv420p", "bt709", "bt709", "bt709", "30000/1001", 11},
		{Options{Width: 1280, Height: 720, FrameRateNum: 50, FrameRateDen: 1,
			Color: ColorInfo{Matrix: 6, Primaries: 6, Transfer: 6, FullRange: true}}, "yuvj420p", "smpte170m", "smpte170m", "smpte170m", "50/1", 32},
		{Options{Width: 34, Height: 18}, "yuv420p", "", "", "", "25/1", 10},
	}
	for _, c := range cases {
		c.o.Threads = 2
		c.o.RateControl = ConstantQP
		c.o.QP = 40
		stream, _ := encodeAndCheckN(t, c.o, 2)
		path := filepath.Join(t.TempDir(), "s.h264")
		if err := os.WriteFile(path, stream, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := oracle.FFprobe(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Width != c.o.Width || info.Height != c.o.Height || info.PixFmt != c.pixfmt ||
			info.Profile != "Constrained Baseline" || info.Level != c.level || info.RFrameRate != c.rate {
			t.Errorf("%dx%d: ffprobe says %+v", c.o.Width, c.o.Height, info)
		}
		if info.ColorSpace != c.space && c.space != "" || info.ColorPrimaries != c.primaries && c.primaries != "" || info.ColorTransfer != c.transfer && c.transfer != "" {
			t.Errorf("colour: got %s/%s/%s", info.ColorSpace, info.ColorPrimaries, info.ColorTransfer)
		}
	}
}

func encodeAndCheckN(t *testing.T, o Options, n int) ([]byte, []AccessUnit) {
	return encodeAndCheck(t, o, clip(o.Width, o.Height, n, 9), nil)
}

func TestChooseLevel(t *testing.T) {
	for _, c := range []struct{ w, h, fps, want int }{
		{176, 144, 15, 10}, {176, 144, 30, 11}, {352, 288, 30, 13}, {1280, 720, 30, 31},
		{1920, 1080, 30, 40}, {1920, 1080, 60, 42}, {3840, 2160, 30, 51}, {3840, 2160, 60, 52},
		{1000, 16, 25, 21}, // 63 macroblocks wide: Sqrt(MaxFS·8) rules out levels up to 2
	} {
		l := chooseLevel((c.w+15)/16, (c.h+15)/16, c.fps, 1, 0)
		if l.idc != c.want {
			t.Errorf("%dx%d@%d: level %d, want %d", c.w, c.h, c.fps, l.idc, c.want)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	bad := []struct {
		o     Options
		field string
	}{
		{Options{Width: 0, Height: 16}, "Width"},
		{Options{Width: 16, Height: 9000}, "Height"},
		{Options{Width: 16, Height: 16, RateControl: ConstantQP, QP: 52}, "QP"},
		{Options{Width: 16, Height: 16, CRF: 60}, "CRF"},
		{Options{Width: 16, Height: 16, RateControl: AverageBitrate}, "Bitrate"},
		{Options{Width: 16, Height: 16, MaxRate: 100}, "MaxRate"},
		{Options{Width: 16, Height: 16, GOP: -1}, "GOP"},
		{Options{Width: 16, Height: 16, Preset: "warp"}, "Preset"},
		{Options{Width: 16, Height: 16, FrameRateNum: -1, FrameRateDen: 1}, "FrameRateNum"},
		{Options{Width: 16, Height: 16, Color: ColorInfo{Matrix: 300}}, "Color.Matrix"},
		{Options{Width: 16, Height: 16, SARNum: 1}, "SARNum"},
		{Options{Width: 16, Height: 16, RateControl: RateControlMode(9)}, "RateControl"},
		{Options{Width: 16, Height: 16, Threads: 5000}, "Threads"},
		{Options{Width: 16, Height: 16, AQStrength: 4}, "AQStrength"},
		{Options{Width: 16, Height: 16, IPOffset: 13}, "IPOffset"},
	}
	for _, b := range bad {
		_, err := NewEncoder(b.o)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != b.field {
			t.Errorf("%+v: got %v, want an OptionError for %s", b.o, err, b.field)
		}
	}
	enc, err := NewEncoder(Options{Width: 16, Height: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(NewPicture(16, 18)); !errors.Is(err, ErrPictureSize) {
		t.Errorf("wrong picture size: %v", err)
	}
	if _, err := enc.Encode(nil); !errors.Is(err, ErrPictureSize) {
		t.Errorf("nil picture: %v", err)
	}
	if o := enc.Options(); o.GOP != 250 || o.CRF != 23 || o.Preset != "medium" || o.Threads < 1 {
		t.Errorf("defaults: %+v", o)
	}
}
