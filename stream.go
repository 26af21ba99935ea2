package gpuenc

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gpuenc/gpuenc/internal/av"
)

// videoEncoder is one stream's encoder: FFmpeg's (ffmpegEncoder) or one of
// gpuenc's own.
type videoEncoder interface {
	// encode encodes frame i of frames, with presentation time pts in frame
	// periods, and hands each packet ready to emit.
	encode(frames *Frames, i int, pts int64, emit emitFunc) error
	// flush drains the encoder.
	flush(emit emitFunc) error
	close()
}

// batchEnder is a videoEncoder that may work on a batch's later frames
// in the background: endBatch waits for that work, so that the frames
// are the caller's again when Write returns.
type batchEnder interface {
	endBatch()
}

// emitFunc writes a packet whose times are in time base tb.
type emitFunc func(pkt *av.Packet, tb av.Rational) error

type stream struct {
	w     *Writer
	index int
	cfg   StreamConfig
	enc   videoEncoder
	next  int64       // pts of the next frame, in frame periods
	tb    av.Rational // the muxer's time base for the stream
}

func newStream(w *Writer, index int, cfg StreamConfig) (*stream, error) {
	if err := checkShape(cfg.Format, cfg.Width, cfg.Height, 0); err != nil {
		return nil, err
	}
	if cfg.FrameRate.Num <= 0 || cfg.FrameRate.Den <= 0 {
		return nil, &ConfigError{Field: "frame rate", Reason: fmt.Sprintf("%v is not a positive rate", cfg.FrameRate)}
	}
	if cfg.Encoder == "" {
		return nil, &ConfigError{Field: "encoder", Reason: "no encoder named (e.g. libx264, h264_go, or h264 to choose automatically)"}
	}
	color, err := cfg.Color.av()
	if err != nil {
		return nil, err
	}
	name, err := resolveEncoder(cfg.Encoder, cfg.Width, cfg.Height)
	if err != nil {
		return nil, err
	}
	cfg.Encoder = name
	s := &stream{w: w, index: index, cfg: cfg}
	var enc videoEncoder
	var idx int
	if own, ok := ownEncoders[name]; ok {
		enc, idx, err = own(w, cfg, color)
	} else if cfg.Reconstruction != nil {
		return nil, &EncoderError{Encoder: name, Reason: "has no reconstruction output (only gpuenc's own encoders, h264_go and h264_cuda, have one)"}
	} else {
		enc, idx, err = newFFmpegEncoder(w, cfg, color)
	}
	if err != nil {
		return nil, err
	}
	if idx != index {
		enc.close()
		return nil, fmt.Errorf("gpuenc: internal error: stream %d got muxer index %d", index, idx)
	}
	s.enc = enc
	return s, nil
}

// check validates a batch against the stream.
func (s *stream) check(f *Frames) error {
	if f == nil {
		return &ShapeError{Stream: s.index, Reason: "nil frames"}
	}
	if f.format != s.cfg.Format {
		return &ShapeError{Stream: s.index, Reason: fmt.Sprintf("frames are %s, the stream takes %s", f.format, s.cfg.Format)}
	}
	if f.width != s.cfg.Width || f.height != s.cfg.Height {
		return &ShapeError{Stream: s.index, Reason: fmt.Sprintf("frames are %dx%d, the stream is %dx%d", f.width, f.height, s.cfg.Width, s.cfg.Height)}
	}
	return nil
}

// emit writes a packet from the stream's encoder.
func (s *stream) emit(pkt *av.Packet, tb av.Rational) error {
	pkt.SetStreamIndex(s.index)
	pkt.RescaleTimes(tb, s.tb)
	return s.w.out.WritePacket(pkt)
}

func (s *stream) close() {
	if s.enc != nil {
		s.enc.close()
	}
}

// ownEncoders are gpuenc's own encoders, by name; each registers itself.
var ownEncoders = map[string]func(w *Writer, cfg StreamConfig, color av.Color) (videoEncoder, int, error){}

// ffmpegEncoder feeds one of FFmpeg's encoders.
type ffmpegEncoder struct {
	codec  *av.Codec
	in     *av.Frame // the caller's pixels, in cfg.Format
	conv   *av.Frame // converted to the encoder's format, when it differs
	scaler *av.Scaler
	hw     *hwInput // CUDA path (HWAccel)
	pkt    *av.Packet
	tb     av.Rational
	format PixelFormat
	stage  []byte // host copy of a CUDA frame for a software encoder
}

func newFFmpegEncoder(w *Writer, cfg StreamConfig, color av.Color) (videoEncoder, int, error) {
	accepts, err := av.EncoderPixelFormats(cfg.Encoder)
	if err != nil {
		return nil, 0, &EncoderError{Encoder: cfg.Encoder, Reason: "not available", Err: err}
	}
	encFmt := cfg.EncoderFormat
	if encFmt == "" {
		encFmt = cfg.Format
		if len(accepts) > 0 && !slices.Contains(accepts, string(encFmt)) {
			encFmt = PixelFormat(firstHostFormat(accepts))
		}
	}
	if len(accepts) > 0 && !slices.Contains(accepts, string(encFmt)) {
		return nil, 0, &EncoderError{Encoder: cfg.Encoder, Reason: fmt.Sprintf("does not take pixel format %s", encFmt), Accepts: hostFormats(accepts)}
	}
	if _, err := av.PixelFormatID(string(encFmt)); err != nil {
		return nil, 0, &FormatError{Format: encFmt, Reason: "unknown to FFmpeg"}
	}
	if l, ok := layouts[encFmt]; ok && (cfg.Encoder == "libx264" || strings.HasSuffix(cfg.Encoder, "_nvenc")) &&
		(l.chromaShiftX > 0 && cfg.Width%2 != 0 || l.chromaShiftY > 0 && cfg.Height%2 != 0) {
		// x264 and NVENC refuse these; FFmpeg would report a "generic error".
		return nil, 0, &EncoderError{Encoder: cfg.Encoder, Reason: fmt.Sprintf("needs an even width and height for %s, and the stream is %dx%d: encode in yuv444p (EncoderFormat), pad or crop the frames, or use h264_go, which takes any size", encFmt, cfg.Width, cfg.Height)}
	}
	if strings.HasSuffix(cfg.Encoder, "_nvenc") {
		// FFmpeg says only "Generic error in an external library" or
		// "unsupported device" here; the probe says what is wrong.
		if ok, why := Usable(cfg.Encoder); !ok {
			return nil, 0, &EncoderError{Encoder: cfg.Encoder, Reason: "not usable on this machine: " + why}
		}
	}
	if encFmt == Gray && color.Range == 0 {
		// FFmpeg's gray is full range; say so, or decoders expand it again.
		color.Range, _ = av.ColorID("range", "pc")
	}
	e := &ffmpegEncoder{format: cfg.Format}
	fail := func(err error) (videoEncoder, int, error) {
		e.close()
		return nil, 0, err
	}
	tb := av.Rational{Num: cfg.FrameRate.Den, Den: cfg.FrameRate.Num}
	ecfg := av.EncoderConfig{
		Name: cfg.Encoder, Width: cfg.Width, Height: cfg.Height, PixelFormat: string(encFmt),
		TimeBase: tb, FrameRate: av.Rational{Num: cfg.FrameRate.Num, Den: cfg.FrameRate.Den},
		Color: color, GlobalHeader: w.out.NeedsGlobalHeader(), Options: encoderOptions(cfg),
	}
	if cfg.HWAccel != "" {
		if e.hw, err = newHWInput(cfg, encFmt); err != nil {
			return fail(err)
		}
		ecfg.PixelFormat = "cuda"
		ecfg.HWFrames = e.hw.frames
	}
	if e.codec, err = av.OpenEncoder(ecfg); err != nil {
		var unused *UnusedOptionsError
		if errors.As(err, &unused) {
			return fail(err)
		}
		return fail(&EncoderError{Encoder: cfg.Encoder, Reason: "cannot open", Err: err})
	}
	e.tb = e.codec.TimeBase()
	if e.in, err = av.NewFrame(); err != nil {
		return fail(err)
	}
	if err = e.in.AllocVideo(string(cfg.Format), cfg.Width, cfg.Height); err != nil {
		return fail(err)
	}
	if encFmt != cfg.Format {
		if e.scaler, err = av.NewScaler(cfg.Width, cfg.Height, string(cfg.Format), cfg.Width, cfg.Height, string(encFmt), color); err != nil {
			return fail(err)
		}
		if e.conv, err = av.NewFrame(); err != nil {
			return fail(err)
		}
		if err = e.conv.AllocVideo(string(encFmt), cfg.Width, cfg.Height); err != nil {
			return fail(err)
		}
		e.conv.SetColor(color)
	}
	e.in.SetColor(color)
	if e.pkt, err = av.NewPacket(); err != nil {
		return fail(err)
	}
	idx, err := w.out.AddStreamFromEncoder(e.codec)
	if err != nil {
		return fail(err)
	}
	return e, idx, nil
}

// encoderOptions adds gpuenc's defaults to the caller's options.
func encoderOptions(cfg StreamConfig) map[string]string {
	opts := make(map[string]string, len(cfg.Options)+2)
	if strings.HasSuffix(cfg.Encoder, "_nvenc") {
		for k, v := range nvencDefaults(cfg.Options) {
			opts[k] = v
		}
	}
	for k, v := range cfg.Options {
		opts[k] = v
	}
	return opts
}

// nvencDefaults sets constant-quality rate control when the caller chose
// none: FFmpeg's NVENC default is a 2 Mb/s bit rate whatever the picture
// size, which starves 1080p. cq 23 matches libx264's default crf in intent.
func nvencDefaults(user map[string]string) map[string]string {
	for _, k := range []string{"rc", "b", "cq", "qp", "crf", "maxrate", "constqp"} {
		if _, ok := user[k]; ok {
			return nil
		}
	}
	return map[string]string{"rc": "vbr", "cq": "23", "b": "0"}
}

// firstHostFormat returns the first of an encoder's formats that is not a
// hardware format.
func firstHostFormat(accepts []string) string {
	for _, f := range accepts {
		if f != "cuda" && f != "d3d11" && f != "d3d12" && f != "vulkan" {
			return f
		}
	}
	return accepts[0]
}

func hostFormats(accepts []string) []PixelFormat {
	out := make([]PixelFormat, 0, len(accepts))
	for _, f := range accepts {
		out = append(out, PixelFormat(f))
	}
	return out
}

func (e *ffmpegEncoder) encode(frames *Frames, i int, pts int64, emit emitFunc) error {
	var src *av.Frame
	if e.hw != nil {
		f, err := e.hw.frame(frames, i, e.in, e.scaler, e.conv)
		if err != nil {
			return err
		}
		src = f
	} else {
		if frames.OnDevice() {
			// A software encoder: download the frame for it.
			host, err := stageOnHost(frames, i, &e.stage)
			if err != nil {
				return err
			}
			frames, i = host, 0
		}
		if err := e.in.MakeWritable(); err != nil {
			return err
		}
		fillFrame(e.in, frames, i)
		src = e.in
		if e.scaler != nil {
			if err := e.conv.MakeWritable(); err != nil {
				return err
			}
			if err := e.scaler.Scale(e.in, e.conv); err != nil {
				return err
			}
			src = e.conv
		}
	}
	src.SetPTS(pts)
	if err := e.codec.SendFrame(src); err != nil {
		return err
	}
	return e.drain(emit)
}

func (e *ffmpegEncoder) drain(emit emitFunc) error {
	for {
		err := e.codec.ReceivePacket(e.pkt)
		if av.IsAgain(err) || av.IsEOF(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := emit(e.pkt, e.tb); err != nil {
			return err
		}
	}
}

func (e *ffmpegEncoder) flush(emit emitFunc) error {
	if err := e.codec.SendFrame(nil); err != nil && !av.IsEOF(err) {
		return err
	}
	return e.drain(emit)
}

func (e *ffmpegEncoder) close() {
	e.codec.Free()
	e.in.Free()
	e.conv.Free()
	e.scaler.Free()
	e.pkt.Free()
	e.hw.close()
}

// fillFrame copies frame i of a host batch into an AVFrame of the same
// format and size.
func fillFrame(dst *av.Frame, frames *Frames, i int) {
	for p := 0; p < frames.format.Planes(); p++ {
		src, rb := frames.Plane(i, p)
		rows := len(src) / rb
		ls := dst.Linesize(p)
		d := dst.Data(p, rows)
		for y := 0; y < rows; y++ {
			copy(d[y*ls:y*ls+rb], src[y*rb:(y+1)*rb])
		}
	}
}

// readFrame copies an AVFrame into frame i of a host batch of the same
// format and size.
func readFrame(frames *Frames, i int, src *av.Frame) {
	for p := 0; p < frames.format.Planes(); p++ {
		dst, rb := frames.Plane(i, p)
		rows := len(dst) / rb
		ls := src.Linesize(p)
		s := src.Data(p, rows)
		for y := 0; y < rows; y++ {
			copy(dst[y*rb:(y+1)*rb], s[y*ls:y*ls+rb])
		}
	}
}

// stageOnHost downloads device frame i into *stage (allocated once) and
// returns it as a one-frame host batch.
func stageOnHost(frames *Frames, i int, stage *[]byte) (*Frames, error) {
	if len(*stage) != frames.FrameSize() {
		*stage = make([]byte, frames.FrameSize())
	}
	if err := frames.downloadFrame(i, *stage); err != nil {
		return nil, err
	}
	return &Frames{format: frames.format, width: frames.width, height: frames.height, count: 1, data: *stage}, nil
}
