// Encoder options and their validation.

package h264

import (
	"fmt"
	"runtime"
)

// RateControlMode selects how the encoder picks quantisers.
type RateControlMode int

const (
	// ConstantQuality (the default) aims at a constant perceived quality,
	// set by Options.CRF on a 0..51 scale meant to read like x264's crf
	// (23 by default): P pictures with more motion-compensated residual
	// get a higher QP, as x264's qcomp does (see DESIGN.md).
	ConstantQuality RateControlMode = iota
	// ConstantQP codes every frame with Options.QP (P frames too).
	ConstantQP
	// AverageBitrate aims at Options.Bitrate bits per second on average,
	// capped by a VBV buffer of Options.BufSize bits filled at
	// Options.MaxRate when both are set.
	AverageBitrate
)

// String returns the mode's short name ("crf", "cqp", "abr").
func (m RateControlMode) String() string {
	switch m {
	case ConstantQuality:
		return "crf"
	case ConstantQP:
		return "cqp"
	case AverageBitrate:
		return "abr"
	}
	return fmt.Sprintf("RateControlMode(%d)", int(m))
}

// ColorInfo is the colour description written in the VUI, as H.264 code
// points (Tables E-3 to E-5); zero values mean "unspecified" (2) except
// Range, where false is limited (studio) range.
type ColorInfo struct {
	Matrix    int  // matrix_coefficients, e.g. 1 = BT.709, 6 = BT.601 (SMPTE 170M)
	Primaries int  // colour_primaries, e.g. 1 = BT.709
	Transfer  int  // transfer_characteristics, e.g. 1 = BT.709
	FullRange bool // video_full_range_flag
}

// Options configures an Encoder. The zero value of every field but Width
// and Height selects a default.
type Options struct {
	// Width and Height are the picture size in luma samples, 1..8192
	// each. 4:2:0 frame cropping works in units of two samples, so an odd
	// size is coded one sample larger (the last column or row repeated):
	// decoders output that even size, Reconstruction the requested one.
	Width, Height              int
	FrameRateNum, FrameRateDen int // frame rate (default 25/1), for VUI timing and rate control

	QP          int             // quantiser 0..51 of P pictures when RateControl == ConstantQP (IDR pictures: see IPOffset)
	CRF         float64         // constant quality 0..51 (default 23) when RateControl == ConstantQuality
	Bitrate     int             // average bits/s when RateControl == AverageBitrate
	MaxRate     int             // VBV fill rate in bits/s (0: no VBV)
	BufSize     int             // VBV size in bits (0: no VBV)
	RateControl RateControlMode // default ConstantQuality

	GOP     int    // IDR interval in frames (0 = 250; 1 = all intra)
	Preset  string // speed/quality trade-off, see Presets (default "medium")
	Threads int    // worker goroutines, 0..1024 (0 = GOMAXPROCS); the stream does not depend on it
	Color   ColorInfo

	SARNum, SARDen int // sample aspect ratio for the VUI (0: not written)

	// AQStrength sets adaptive quantisation (x264's --aq-mode 1 with
	// --aq-strength): each macroblock's QP moves by
	// AQStrength·(log2(AC energy) − 14.427), rounded, within ±12, so flat
	// areas get finer quantisation. Up to 3, in steps of 1/16. 0 selects
	// the default: 1.0 for ConstantQuality and AverageBitrate, off for
	// ConstantQP; a negative value turns it off. (On the test clips it
	// raises SSIM by 0.005–0.008 at equal bitrate; PSNR drops, as with
	// x264.)
	AQStrength float64

	// IPOffset is how many steps lower an IDR picture's QP is than QP in
	// ConstantQP mode (clamped at 0). An IDR picture is the reference
	// of everything up to the next one, so finer quantisation there
	// pays; x264's --qp does the same with its --ipratio 1.4. 0 selects
	// the default, DefaultIPOffset; a negative value codes IDR pictures
	// at QP too. At most 12. (BD-rate of h264_go on testsrc2 against
	// libx264 veryfast: 3 to 4 % lower with the default than with none.)
	IPOffset int

	// Lookahead is how many pictures Encode holds back before coding one
	// (0, the default: none; at most MaxLookahead). The held pictures
	// feed the macroblock tree: a macroblock that later pictures predict
	// from gets a lower QP (x264's mbtree, with its strength), in every
	// rate-control mode. Encode then returns a picture's access unit
	// Lookahead calls later and Flush the last ones. Each held picture
	// costs about 1.6 times its 4:2:0 size in memory.
	Lookahead int
}

// MaxLookahead is the largest Options.Lookahead.
const MaxLookahead = 250

// DefaultIPOffset is the IPOffset used when Options.IPOffset is 0:
// 6·log2(1.4), x264's default I/P quantiser ratio, rounded.
const DefaultIPOffset = 3

// OptionError reports an invalid option, naming the field.
type OptionError struct {
	Field  string
	Value  any
	Reason string
}

// Error describes the invalid option.
func (e *OptionError) Error() string {
	return fmt.Sprintf("h264: invalid option %s=%v: %s", e.Field, e.Value, e.Reason)
}

// preset holds the speed/quality knobs a preset name selects.
type preset struct {
	intra4x4    bool // try Intra4x4 (else Intra16x16 only)
	partitions  bool // try 16x8, 8x16 and 8x8 partitions
	searchRange int  // motion search range in full pels
	subpel      bool // quarter-pel refinement
}

// Presets lists the preset names in order from fastest to slowest:
//
//   - ultrafast: Intra16x16 only, P_L0_16x16 and P_Skip, full-pel search ±16
//   - superfast, veryfast, faster: as ultrafast with Intra4x4 and quarter-pel refinement
//   - fast, medium: all of the above and 16x8, 8x16, 8x8 partitions, search ±32
//   - slow, slower, veryslow: as medium with search ±64
var Presets = []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"}

func presetFor(name string) (preset, bool) {
	switch name {
	case "ultrafast":
		return preset{searchRange: 16}, true
	case "superfast", "veryfast", "faster":
		return preset{intra4x4: true, searchRange: 16, subpel: true}, true
	case "fast", "", "medium":
		return preset{intra4x4: true, partitions: true, searchRange: 32, subpel: true}, true
	case "slow", "slower", "veryslow":
		return preset{intra4x4: true, partitions: true, searchRange: 64, subpel: true}, true
	}
	return preset{}, false
}

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, preset, error) {
	var p preset
	if o.Width < 1 || o.Width > 8192 {
		return o, p, &OptionError{"Width", o.Width, "must be 1..8192"}
	}
	if o.Height < 1 || o.Height > 8192 {
		return o, p, &OptionError{"Height", o.Height, "must be 1..8192"}
	}
	if ((o.Width+15)/16)*((o.Height+15)/16) > 139264 {
		return o, p, &OptionError{"Width", o.Width, "picture larger than level 6.2 allows"}
	}
	if o.FrameRateNum == 0 && o.FrameRateDen == 0 {
		o.FrameRateNum, o.FrameRateDen = 25, 1
	}
	if o.FrameRateNum <= 0 || o.FrameRateDen <= 0 {
		return o, p, &OptionError{"FrameRateNum", fmt.Sprintf("%d/%d", o.FrameRateNum, o.FrameRateDen), "must be positive"}
	}
	if int64(o.FrameRateNum)*2 > 1<<32-1 {
		return o, p, &OptionError{"FrameRateNum", o.FrameRateNum, "too large"}
	}
	switch o.RateControl {
	case ConstantQP:
		if o.QP < 0 || o.QP > 51 {
			return o, p, &OptionError{"QP", o.QP, "must be 0..51"}
		}
	case ConstantQuality:
		if o.CRF == 0 {
			o.CRF = 23
		}
		if o.CRF < 0 || o.CRF > 51 {
			return o, p, &OptionError{"CRF", o.CRF, "must be 0..51"}
		}
	case AverageBitrate:
		if o.Bitrate <= 0 {
			return o, p, &OptionError{"Bitrate", o.Bitrate, "must be positive for AverageBitrate"}
		}
	default:
		return o, p, &OptionError{"RateControl", o.RateControl, "unknown mode"}
	}
	if o.MaxRate < 0 || o.BufSize < 0 || (o.MaxRate > 0) != (o.BufSize > 0) {
		return o, p, &OptionError{"MaxRate", o.MaxRate, "MaxRate and BufSize must both be set or both be zero"}
	}
	if o.GOP < 0 {
		return o, p, &OptionError{"GOP", o.GOP, "must not be negative"}
	}
	if o.GOP == 0 {
		o.GOP = 250
	}
	var ok bool
	if p, ok = presetFor(o.Preset); !ok {
		return o, p, &OptionError{"Preset", o.Preset, "unknown preset"}
	}
	if o.Preset == "" {
		o.Preset = "medium"
	}
	if o.Threads < 0 || o.Threads > 1024 {
		return o, p, &OptionError{"Threads", o.Threads, "must be 0..1024"}
	}
	if o.Threads == 0 {
		o.Threads = min(runtime.GOMAXPROCS(0), 1024)
	}
	c := o.Color
	for _, f := range []struct {
		name string
		v    int
	}{{"Color.Matrix", c.Matrix}, {"Color.Primaries", c.Primaries}, {"Color.Transfer", c.Transfer}} {
		if f.v < 0 || f.v > 255 {
			return o, p, &OptionError{f.name, f.v, "must be an H.264 code point 0..255"}
		}
	}
	switch {
	case o.IPOffset > 12:
		return o, p, &OptionError{"IPOffset", o.IPOffset, "must be at most 12"}
	case o.IPOffset == 0:
		o.IPOffset = DefaultIPOffset
	}
	if o.Lookahead < 0 || o.Lookahead > MaxLookahead {
		return o, p, &OptionError{"Lookahead", o.Lookahead, fmt.Sprintf("must be 0..%d", MaxLookahead)}
	}
	switch {
	case o.AQStrength > 3:
		return o, p, &OptionError{"AQStrength", o.AQStrength, "must be at most 3"}
	case o.AQStrength < 0:
		o.AQStrength = 0
	case o.AQStrength == 0 && o.RateControl != ConstantQP:
		o.AQStrength = 1
	}
	if o.SARNum < 0 || o.SARDen < 0 || o.SARNum > 0xffff || o.SARDen > 0xffff || (o.SARNum == 0) != (o.SARDen == 0) {
		return o, p, &OptionError{"SARNum", fmt.Sprintf("%d:%d", o.SARNum, o.SARDen), "must be 1..65535 each, or both zero"}
	}
	return o, p, nil
}
