package bench

import (
	"context"
	"fmt"
	"image"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpuenc/gpuenc"
)

// Row is one line of the report: a configuration encoded at one
// resolution, or an encoder that could not run here and why.
type Row struct {
	// Resolution is the resolution's name; empty for an encoder skipped at
	// every resolution.
	Resolution string `json:"resolution"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	// Encoder is the encoder's name; Config names the whole configuration
	// (encoder, frame source, threads, options), the same at every
	// resolution, so that plots can join rows across resolutions.
	Encoder string `json:"encoder"`
	Config  string `json:"config"`
	// Source is where the frames given to the encoder lie: "cpu" or "cuda".
	Source string `json:"source"`
	// Threads is the encoder's thread count; 0: its default.
	Threads int `json:"threads"`
	// Options are the encoder options used (threads included).
	Options map[string]string `json:"options,omitempty"`
	// Sweep names the rate-distortion curve the row is a point of, and
	// Point the point ("crf=23"); both empty in the main matrix.
	Sweep string `json:"sweep,omitempty"`
	Point string `json:"point,omitempty"`
	// Status is "ok", "skipped" (not usable here; Reason says why) or
	// "error" (Reason holds the error).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// Frames is the number of frames encoded.
	Frames int `json:"frames"`
	// Time holds the timed repeats in seconds.
	Time Stats `json:"time"`
	// FPS is Frames over the median time.
	FPS float64 `json:"fps"`
	// Bytes is the size of the encoded mp4; BitrateKbps its bit rate over
	// the clip's duration, in kbit/s.
	Bytes       int64   `json:"bytes"`
	BitrateKbps float64 `json:"bitrate_kbps"`
	// Quality is the decoded output against the source (nil if not
	// measured).
	Quality *Quality `json:"quality,omitempty"`
}

// Row statuses.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
	StatusError   = "error"
)

// BD is the Bjøntegaard delta rate of one swept configuration against the
// anchor at one resolution, from PSNR (6:1:1) and bit rate.
type BD struct {
	Resolution string `json:"resolution"`
	Sweep      string `json:"sweep"`
	Anchor     string `json:"anchor"`
	// Rate is the BD-rate in percent (negative: fewer bits for the same
	// PSNR); nil when it could not be computed, and Error says why.
	Rate  *Float `json:"bd_rate_percent,omitempty"`
	Error string `json:"error,omitempty"`
}

// Report is a benchmark's result.
type Report struct {
	// CommandLine is the command that ran (set by the caller).
	CommandLine []string  `json:"command_line,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	// Interrupted is set when the run was cancelled: Rows holds the
	// configurations finished before.
	Interrupted bool    `json:"interrupted"`
	Machine     Machine `json:"machine"`
	Config      Config  `json:"config"`
	// Timing says what the clock covers.
	Timing string `json:"timing"`
	Rows   []Row  `json:"rows"`
	BD     []BD   `json:"bd_rates,omitempty"`

	spots map[string][]labelledImage // spot-check crops per resolution
}

type labelledImage struct {
	label string
	img   image.Image
}

// frameRate is the study's rate.
var frameRate = gpuenc.Rational{Num: 30000, Den: 1001}

// plan is one configuration to run at one resolution.
type plan struct {
	encoder       string
	config        string
	source        string // "cpu" or "cuda"
	threads       int
	options       map[string]string
	sweep, point  string
	repeats, warm int
	spot          bool // contributes a spot-check crop
	hwaccel       string
}

// hasThreads lists the encoders that take a "threads" option and get one
// row per thread count.
var hasThreads = map[string]bool{"libx264": true}

// gpuEncoders take CUDA frames.
func gpuEncoder(name string) bool {
	return strings.HasSuffix(name, "_nvenc") || name == "h264_cuda"
}

// sweepPoints returns the quality settings a sweep of encoder visits, as
// option maps with a label each, and the options every point gets (options
// given with the encoder win over them).
func sweepPoints(encoder string) (key string, values []int, extra map[string]string) {
	switch {
	case encoder == "libx264":
		return "crf", []int{18, 23, 28, 33}, map[string]string{"tune": "psnr"}
	case encoder == "av1_nvenc":
		// AV1's quantiser index runs 0..255: about four times H.264's QP.
		return "qp", []int{72, 92, 112, 132}, map[string]string{"rc": "constqp"}
	case strings.HasSuffix(encoder, "_nvenc"):
		return "qp", []int{18, 23, 28, 33}, map[string]string{"rc": "constqp"}
	default: // h264_go, h264_cuda: with the macroblock tree, as x264's crf has its own
		return "qp", []int{18, 23, 28, 33}, map[string]string{"rc-lookahead": "20"}
	}
}

func optionLabel(opts map[string]string, skip ...string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		if !slices.Contains(skip, k) {
			parts = append(parts, k+"="+opts[k])
		}
	}
	return strings.Join(parts, " ")
}

func label(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// merge returns the union of option maps, later ones winning; nil if
// empty.
func merge(ms ...map[string]string) map[string]string {
	var out map[string]string
	for _, m := range ms {
		if len(m) > 0 && out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, m)
	}
	return out
}

// plans returns the matrix to run at each resolution, and the rows of
// encoders that cannot run here.
func plans(cfg *Config) (run []plan, skipped []Row) {
	userOpts := optionLabel(cfg.Options)
	var usable []EncoderSpec
	for _, entry := range cfg.Encoders {
		spec, err := ParseEncoderSpec(entry)
		if err != nil {
			skipped = append(skipped, Row{Encoder: entry, Config: entry, Source: "cpu", Status: StatusSkipped, Reason: err.Error()})
			continue
		}
		enc := spec.Encoder
		if ok, why := gpuenc.Usable(enc); !ok {
			skipped = append(skipped, Row{Encoder: enc, Config: entry, Source: "cpu", Status: StatusSkipped, Reason: why})
			continue
		}
		usable = append(usable, spec)
		specOpts := optionLabel(spec.Options)
		switch {
		case hasThreads[enc]:
			for _, t := range cfg.Threads {
				opts := merge(cfg.Options, spec.Options, map[string]string{"threads": strconv.Itoa(t)})
				run = append(run, plan{encoder: enc, config: label(enc, specOpts, "threads="+strconv.Itoa(t), userOpts), source: "cpu",
					threads: t, options: opts, repeats: cfg.Repeats, warm: cfg.Warmup, spot: t == cfg.Threads[len(cfg.Threads)-1]})
			}
		default:
			run = append(run, plan{encoder: enc, config: label(enc, specOpts, userOpts), source: "cpu", options: merge(cfg.Options, spec.Options),
				repeats: cfg.Repeats, warm: cfg.Warmup, spot: true})
		}
		if gpuEncoder(enc) {
			run = append(run, plan{encoder: enc, config: label(enc, specOpts, "(CUDA frames)", userOpts), source: "cuda", options: merge(cfg.Options, spec.Options),
				repeats: cfg.Repeats, warm: cfg.Warmup, hwaccel: "cuda:0"})
		}
	}
	if !cfg.Sweep {
		return run, skipped
	}
	addSweep := func(enc, name string, opts map[string]string) {
		key, values, extra := sweepPoints(enc)
		for _, v := range values {
			o := merge(cfg.Options, extra, opts, map[string]string{key: strconv.Itoa(v)})
			run = append(run, plan{encoder: enc, config: name, source: "cpu", options: o,
				sweep: name, point: key + "=" + strconv.Itoa(v), repeats: 1})
		}
	}
	anchor := "anchor " + cfg.Anchor.String()
	if ok, why := gpuenc.Usable(cfg.Anchor.Encoder); ok {
		addSweep(cfg.Anchor.Encoder, anchor, cfg.Anchor.Options)
	} else {
		skipped = append(skipped, Row{Encoder: cfg.Anchor.Encoder, Config: anchor, Sweep: anchor, Source: "cpu", Status: StatusSkipped, Reason: why})
	}
	for _, spec := range usable {
		key, _, extra := sweepPoints(spec.Encoder)
		addSweep(spec.Encoder, label(spec.Encoder, optionLabel(merge(extra, spec.Options)), userOpts, "("+key+" sweep)"), spec.Options)
	}
	return run, skipped
}

// toDevice copies frames to GPU 0, untimed, as the study moved its tensor
// to CUDA before the clock started.
func toDevice(f *gpuenc.Frames) (*gpuenc.Frames, error) { return f.Upload(0) }

// Run runs the benchmark. When ctx is cancelled (Ctrl-C) it stops at once
// and returns the report of the rows finished so far, Interrupted set, with
// ctx's error. Other failures of a configuration are recorded in its row and
// the run goes on.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rep := &Report{Started: time.Now().UTC(), Config: cfg, Machine: MachineInfo(), spots: map[string][]labelledImage{}}
	rep.Timing = "from the first frame given to the Writer until Close returned (encoder flush and mp4 muxing included)"
	if cfg.StudyTiming {
		rep.Timing = "from the first frame given to the Writer until Write returned, before Close (the study's timing: encoder flush and muxing excluded)"
	}
	run, skipped := plans(&cfg)
	rep.Rows = append(rep.Rows, skipped...)
	resolutions := cfg.Resolutions
	fileSource := isFile(cfg.Source)
	if fileSource {
		resolutions = resolutions[:1]
	}
	total := 0
	for _, p := range run {
		total += (p.warm + p.repeats + 1) * len(resolutions)
	}
	done := 0
	progress := func(what string) {
		done++
		if cfg.Progress != nil {
			cfg.Progress(done, total, what)
		}
	}
	finish := func(err error) (*Report, error) {
		rep.Finished = time.Now().UTC()
		if err != nil && ctx.Err() != nil {
			rep.Interrupted = true
			return rep, ctx.Err()
		}
		return rep, err
	}
	for _, res := range resolutions {
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		src, err := loadSource(ctx, cfg, res, fileSource)
		if err != nil {
			return finish(err)
		}
		res = src.res
		spot := cfg.SpotFrame
		if spot < 0 || spot >= src.frames.Len() {
			spot = src.frames.Len() / 2
		}
		crop := detailCrop(src.frames, spot, 256, 144)
		if img, err := cropImage(src.frames, spot, crop); err == nil {
			rep.spots[res.Name] = append(rep.spots[res.Name], labelledImage{"source (" + cfg.Source + ")", img})
		}
		for _, p := range run {
			row, img := runPlan(ctx, cfg, p, res, src, spot, crop, func(s string) { progress(res.Name + " " + p.config + " " + s) })
			cancelled := ctx.Err()
			if cancelled != nil && row.Status != StatusOK {
				return finish(cancelled) // cut short: not a result
			}
			rep.Rows = append(rep.Rows, row)
			if img != nil && p.spot {
				rep.spots[res.Name] = append(rep.spots[res.Name], labelledImage{p.config, img})
			}
			if cancelled != nil {
				return finish(cancelled)
			}
		}
		if cfg.Sweep {
			rep.BD = append(rep.BD, bdRates(rep.Rows, res.Name, "anchor "+cfg.Anchor.String())...)
		}
	}
	return finish(nil)
}

// source is the clip of one resolution, in host memory.
type source struct {
	res    Resolution
	frames *gpuenc.Frames
	rate   gpuenc.Rational
}

func isFile(s string) bool {
	st, err := os.Stat(s)
	return err == nil && !st.IsDir()
}

// loadSource draws (or reads) the clip into memory, before any clock runs.
func loadSource(ctx context.Context, cfg Config, res Resolution, file bool) (source, error) {
	spec, opts := cfg.Source, gpuenc.ReaderOptions{Output: gpuenc.PixelFormat(cfg.Format)}
	if !file {
		spec = fmt.Sprintf("%s=rate=%s:size=%dx%d", cfg.Source, frameRate, res.Width, res.Height)
		opts.Format = "lavfi"
	}
	r, err := gpuenc.OpenReader(spec, opts)
	if err != nil {
		return source{}, fmt.Errorf("bench: source %s: %w", spec, err)
	}
	defer r.Close()
	f, err := r.Read(ctx, cfg.Frames)
	if err != nil {
		return source{}, fmt.Errorf("bench: source %s: %w", spec, err)
	}
	info := r.Info()
	if file {
		res = Resolution{Name: fmt.Sprintf("%dx%d", info.Width, info.Height), Width: info.Width, Height: info.Height}
	}
	return source{res: res, frames: f, rate: info.FrameRate}, nil
}

// runPlan encodes one configuration: warm-ups, timed repeats, then the
// quality of the last repeat's output.
func runPlan(ctx context.Context, cfg Config, p plan, res Resolution, src source, spot int, crop image.Rectangle, step func(string)) (Row, image.Image) {
	row := Row{Resolution: res.Name, Width: res.Width, Height: res.Height, Encoder: p.encoder, Config: p.config,
		Source: p.source, Threads: p.threads, Options: p.options, Sweep: p.sweep, Point: p.point, Frames: src.frames.Len()}
	fail := func(err error) (Row, image.Image) {
		row.Status, row.Reason = StatusError, err.Error()
		return row, nil
	}
	frames := src.frames
	if p.source == "cuda" {
		dev, err := toDevice(frames)
		if err != nil {
			return fail(err)
		}
		defer dev.Free()
		frames = dev
	}
	sc := gpuenc.StreamConfig{Width: res.Width, Height: res.Height, FrameRate: src.rate, Format: src.frames.Format(),
		Encoder: p.encoder, Options: p.options, HWAccel: p.hwaccel}
	out := &memFile{}
	open := openWriter(out, sc)
	for range p.warm {
		if _, err := timeEncode(ctx, open, frames, cfg.StudyTiming, time.Now); err != nil {
			return fail(err)
		}
		step("warm-up")
	}
	times := make([]time.Duration, 0, p.repeats)
	for range p.repeats {
		d, err := timeEncode(ctx, open, frames, cfg.StudyTiming, time.Now)
		if err != nil {
			return fail(err)
		}
		times = append(times, d)
		step("timed")
	}
	row.Time = Summarize(times)
	if row.Time.Median > 0 {
		row.FPS = float64(row.Frames) / row.Time.Median
	}
	row.Bytes = int64(len(out.Bytes()))
	row.BitrateKbps = float64(row.Bytes) * 8 / (float64(row.Frames) / src.rate.Float()) / 1000

	q, img, err := measureBytes(ctx, out.Bytes(), src.frames, spot, crop)
	step("quality")
	if err != nil {
		return fail(fmt.Errorf("quality: %w", err))
	}
	row.Status, row.Quality = StatusOK, &q
	return row, img
}

// measureBytes writes an encoded mp4 to a temporary file, decodes it and
// measures it against ref.
func measureBytes(ctx context.Context, mp4 []byte, ref *gpuenc.Frames, spot int, crop image.Rectangle) (Quality, image.Image, error) {
	f, err := os.CreateTemp("", "gpuenc-bench-*.mp4")
	if err != nil {
		return Quality{}, nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(mp4); err != nil {
		f.Close()
		return Quality{}, nil, err
	}
	if err := f.Close(); err != nil {
		return Quality{}, nil, err
	}
	return measureFile(ctx, f.Name(), ref, spot, crop)
}
