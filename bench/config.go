package bench

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Resolution is one picture size of the matrix.
type Resolution struct {
	Name          string `json:"name"` // "360p", or "WxH" for other shapes
	Width, Height int
}

// ParseResolution reads "360" or "360p" (16:9, width rounded to even: 640x360,
// 1280x720, 1920x1080) or "WxH".
func ParseResolution(s string) (Resolution, error) {
	s = strings.TrimSpace(s)
	if ws, hs, ok := strings.Cut(s, "x"); ok {
		w, err1 := strconv.Atoi(ws)
		h, err2 := strconv.Atoi(hs)
		if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
			return Resolution{}, &SettingError{Setting: "res", Value: s, Reason: "not WxH"}
		}
		return Resolution{Name: s, Width: w, Height: h}, nil
	}
	h, err := strconv.Atoi(strings.TrimSuffix(s, "p"))
	if err != nil || h <= 0 {
		return Resolution{}, &SettingError{Setting: "res", Value: s, Reason: "not a height (360, 720p) or WxH"}
	}
	w := (h*16/9 + 1) &^ 1
	return Resolution{Name: fmt.Sprintf("%dp", h), Width: w, Height: h}, nil
}

// ParseResolutions reads a comma-separated list of resolutions.
func ParseResolutions(s string) ([]Resolution, error) {
	var out []Resolution
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		r, err := ParseResolution(f)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, &SettingError{Setting: "res", Value: s, Reason: "no resolution given"}
	}
	return out, nil
}

// ParseInts reads a comma-separated list of positive integers.
func ParseInts(setting, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, &SettingError{Setting: setting, Value: f, Reason: "not a positive integer"}
		}
		out = append(out, n)
	}
	return out, nil
}

// EncoderSpec is an encoder with options, written "name:key=value:key=value"
// (the --anchor flag's form).
type EncoderSpec struct {
	Encoder string            `json:"encoder"`
	Options map[string]string `json:"options,omitempty"`
}

// ParseEncoderSpec reads "libx264:preset=veryfast".
func ParseEncoderSpec(s string) (EncoderSpec, error) {
	parts := strings.Split(s, ":")
	e := EncoderSpec{Encoder: strings.TrimSpace(parts[0])}
	if e.Encoder == "" {
		return e, &SettingError{Setting: "anchor", Value: s, Reason: "no encoder name"}
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return e, &SettingError{Setting: "anchor", Value: s, Reason: fmt.Sprintf("%q is not key=value", p)}
		}
		if e.Options == nil {
			e.Options = map[string]string{}
		}
		e.Options[k] = v
	}
	return e, nil
}

// String writes the spec back in ParseEncoderSpec's form, options sorted.
func (e EncoderSpec) String() string {
	var b strings.Builder
	b.WriteString(e.Encoder)
	for _, k := range slices.Sorted(maps.Keys(e.Options)) {
		b.WriteString(":" + k + "=" + e.Options[k])
	}
	return b.String()
}

// Config is a benchmark's matrix and settings.
type Config struct {
	// Resolutions to encode.
	Resolutions []Resolution `json:"resolutions"`
	// Frames is the number of frames of each clip (the study: 120).
	Frames int `json:"frames"`
	// Repeats is the number of timed runs of each configuration; Warmup
	// untimed runs come first.
	Repeats int `json:"repeats"`
	Warmup  int `json:"warmup"`
	// Encoders to run, each a name or a spec with options
	// ("libx264:preset=ultrafast"); empty: DefaultEncoders.
	Encoders []string `json:"encoders"`
	// Threads are libx264's thread counts (the study: 1, 4, 8); empty:
	// DefaultThreads().
	Threads []int `json:"threads"`
	// Options are given to every encoder (--encoder-option).
	Options map[string]string `json:"options,omitempty"`
	// Source is a lavfi source name ("testsrc2") drawn at each resolution
	// at 30000/1001 fps, or a media file path (then Resolutions is ignored
	// and the file's first Frames frames are used).
	Source string `json:"source"`
	// Format is the pixel format frames are generated in and given to the
	// encoders (the study: yuv444p).
	Format string `json:"format"`
	// Sweep adds rate-distortion sweeps and BD-rates against Anchor.
	Sweep  bool        `json:"sweep"`
	Anchor EncoderSpec `json:"anchor"`
	// StudyTiming stops the clock before Writer.Close, as the study did.
	StudyTiming bool `json:"study_timing"`
	// SpotFrame is the frame whose centre crop goes into the spot-check
	// images (-1: the middle frame).
	SpotFrame int `json:"spot_frame"`
	// Progress, if set, is called after each encode and measurement.
	Progress func(done, total int, what string) `json:"-"`
}

// DefaultEncoders are the encoders a benchmark runs when none are named:
// the study's libx264 and NVENC, the other NVENC codecs, and gpuenc's own
// H.264 encoders. Those not usable here get a row saying why.
var DefaultEncoders = []string{"libx264", "h264_go", "h264_nvenc", "hevc_nvenc", "av1_nvenc", "h264_cuda"}

// DefaultThreads returns the study's libx264 thread counts (1, 4, 8) and
// this machine's core count, sorted, without duplicates.
func DefaultThreads() []int {
	t := []int{1, 4, 8, runtime.NumCPU()}
	sort.Ints(t)
	return slices.Compact(t)
}

// DefaultConfig is the study's matrix: 360p, 720p and 1080p, 120 frames of
// testsrc2 in yuv444p, 3 timed repeats after 1 warm-up.
func DefaultConfig() Config {
	res, _ := ParseResolutions("360,720,1080")
	return Config{
		Resolutions: res, Frames: 120, Repeats: 3, Warmup: 1,
		Threads: DefaultThreads(), Source: "testsrc2", Format: "yuv444p",
		Anchor: EncoderSpec{Encoder: "libx264", Options: map[string]string{"preset": "veryfast"}}, SpotFrame: -1,
	}
}

// QuickConfig is DefaultConfig trimmed to finish well within five minutes
// on a 2-core machine: 30 frames, three timed repeats after one warm-up,
// libx264 threads 1 and all cores.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Frames, c.Repeats, c.Warmup = 30, 3, 1
	c.Threads = slices.Compact([]int{1, runtime.NumCPU()})
	return c
}

// SettingError says a setting of the benchmark is invalid.
type SettingError struct {
	Setting, Value, Reason string
}

// Error names the setting, its value and what is wrong.
func (e *SettingError) Error() string {
	return fmt.Sprintf("bench: --%s %q: %s", e.Setting, e.Value, e.Reason)
}

// validate fills defaults and checks the settings.
func (c *Config) validate() error {
	if len(c.Resolutions) == 0 {
		return &SettingError{Setting: "res", Reason: "no resolution"}
	}
	if c.Frames <= 0 {
		return &SettingError{Setting: "frames", Value: strconv.Itoa(c.Frames), Reason: "must be positive"}
	}
	if c.Repeats <= 0 {
		return &SettingError{Setting: "repeats", Value: strconv.Itoa(c.Repeats), Reason: "must be positive"}
	}
	if c.Warmup < 0 {
		return &SettingError{Setting: "warmup", Value: strconv.Itoa(c.Warmup), Reason: "must not be negative"}
	}
	if len(c.Encoders) == 0 {
		c.Encoders = slices.Clone(DefaultEncoders)
	}
	if len(c.Threads) == 0 {
		c.Threads = DefaultThreads()
	}
	if c.Source == "" {
		c.Source = "testsrc2"
	}
	if c.Format == "" {
		c.Format = "yuv444p"
	}
	if c.Sweep && c.Anchor.Encoder == "" {
		return &SettingError{Setting: "anchor", Reason: "a sweep needs an anchor"}
	}
	return nil
}
