package gpuenc

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/internal/av"
)

func init() {
	ownEncoders["h264_go"] = newH264GoEncoder
}

// h264Core is what the Writer needs of gpuenc's own H.264 encoders:
// h264.Encoder (h264_go) and h264cuda.Encoder (h264_cuda), which make the
// same bytes.
type h264Core interface {
	Encode(pic *h264.Picture) (h264.AccessUnit, error)
	Flush() (h264.AccessUnit, bool, error)
	Headers() (sps, pps []byte)
	Reconstruction() *h264.Picture
}

// ownH264Encoder runs gpuenc's own H.264 encoders inside a Writer: the
// pure-Go one (package h264) or its CUDA twin (package h264cuda). It takes
// yuv420p, nv12 and yuv444p directly (4:4:4 is averaged down to 4:2:0 by
// the h264 package); other formats are converted to yuv420p with swscale.
type ownH264Encoder struct {
	name   string
	enc    h264Core
	device func(ptr uintptr, format string) (h264.AccessUnit, error) // h264_cuda: yuv420p, nv12 or yuv444p already in CUDA memory
	gpu    int
	closer func() error
	in     *av.Frame
	conv   *av.Frame
	scaler *av.Scaler
	pkt    *av.Packet
	tb     av.Rational
	recon  io.Writer
	buf    []byte // yuv420p staging for converted input
	// pic420 holds yuv444p input averaged down, in two pictures: while
	// the encoder codes one frame of a batch, the next is averaged into
	// the other (ahead).
	pic420 [2]*h264.Picture
	ahead  averaging
	stage  []byte // host copy of a CUDA frame
	width  int
	height int
	// pts holds the timestamps of the pictures the lookahead holds back,
	// oldest first.
	pts []int64
}

// DefaultH264Lookahead is the lookahead (pictures held back for the
// macroblock tree, option rc-lookahead) of h264_go and h264_cuda in a
// Writer when neither qp nor rc-lookahead is given. With qp every
// macroblock is coded at that QP unless rc-lookahead asks for the tree.
const DefaultH264Lookahead = 20

// h264GoOptions maps a stream's key=value options onto h264.Options.
func h264GoOptions(cfg StreamConfig, color av.Color) (h264.Options, error) {
	o := h264.Options{
		Width: cfg.Width, Height: cfg.Height,
		FrameRateNum: cfg.FrameRate.Num, FrameRateDen: cfg.FrameRate.Den,
		Color: h264.ColorInfo{Matrix: color.Space, Primaries: color.Primaries, Transfer: color.Transfer, FullRange: color.Range == 2},
	}
	var unknown []string
	var err error
	keys := make([]string, 0, len(cfg.Options))
	for k := range cfg.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := cfg.Options[k]
		bad := func(e error) error {
			return &ConfigError{Field: "h264_go option " + k, Reason: fmt.Sprintf("%q: %v", v, e)}
		}
		switch k {
		case "qp":
			if o.QP, err = strconv.Atoi(v); err != nil {
				return o, bad(err)
			}
			o.RateControl = h264.ConstantQP
		case "crf":
			if o.CRF, err = strconv.ParseFloat(v, 64); err != nil {
				return o, bad(err)
			}
			o.RateControl = h264.ConstantQuality
		case "b", "bitrate":
			if o.Bitrate, err = parseBits(v); err != nil {
				return o, bad(err)
			}
			o.RateControl = h264.AverageBitrate
		case "maxrate":
			if o.MaxRate, err = parseBits(v); err != nil {
				return o, bad(err)
			}
		case "bufsize":
			if o.BufSize, err = parseBits(v); err != nil {
				return o, bad(err)
			}
		case "g":
			if o.GOP, err = strconv.Atoi(v); err != nil {
				return o, bad(err)
			}
		case "preset":
			o.Preset = v
		case "ipoffset":
			if o.IPOffset, err = strconv.Atoi(v); err != nil {
				return o, bad(err)
			}
			if o.IPOffset < 0 || o.IPOffset > 12 {
				return o, bad(errors.New("must be 0..12"))
			}
			if o.IPOffset == 0 {
				o.IPOffset = -1 // 0 here means none; h264's 0 means the default
			}
		case "threads":
			if o.Threads, err = strconv.Atoi(v); err != nil {
				return o, bad(err)
			}
		case "rc-lookahead":
			if o.Lookahead, err = strconv.Atoi(v); err != nil {
				return o, bad(err)
			}
			if o.Lookahead < 0 || o.Lookahead > h264.MaxLookahead {
				return o, bad(fmt.Errorf("must be 0..%d", h264.MaxLookahead))
			}
		default:
			unknown = append(unknown, k)
		}
	}
	if _, set := cfg.Options["rc-lookahead"]; !set && o.RateControl != h264.ConstantQP {
		o.Lookahead = DefaultH264Lookahead
	}
	if len(unknown) > 0 {
		return o, &UnusedOptionsError{Component: "encoder h264_go (options: qp, crf, b, maxrate, bufsize, g, preset, threads, ipoffset, rc-lookahead)", Names: unknown}
	}
	return o, nil
}

// parseBits reads a bit count or rate such as "2500000", "2500k" or "2.5M".
func parseBits(s string) (int, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, errors.New("not a positive number of bits (e.g. 2500k, 2.5M)")
	}
	return int(f * mult), nil
}

func newH264GoEncoder(w *Writer, cfg StreamConfig, color av.Color) (videoEncoder, int, error) {
	if cfg.HWAccel != "" {
		return nil, 0, &EncoderError{Encoder: "h264_go", Reason: "runs on the CPU and takes no HWAccel (h264_cuda is its GPU twin)"}
	}
	o, err := h264OwnOptions("h264_go", cfg, color)
	if err != nil {
		return nil, 0, err
	}
	enc, err := h264.NewEncoder(o)
	if err != nil {
		return nil, 0, &EncoderError{Encoder: "h264_go", Reason: "invalid settings", Err: err}
	}
	return newH264OwnStream(w, cfg, color, &ownH264Encoder{name: "h264_go", enc: enc, gpu: -1})
}

// h264OwnOptions checks the settings common to h264_go and h264_cuda and
// maps the stream's options.
func h264OwnOptions(name string, cfg StreamConfig, color av.Color) (h264.Options, error) {
	if cfg.EncoderFormat != "" && cfg.EncoderFormat != YUV420P {
		return h264.Options{}, &EncoderError{Encoder: name, Reason: fmt.Sprintf("does not take pixel format %s", cfg.EncoderFormat), Accepts: []PixelFormat{YUV420P}}
	}
	return h264GoOptions(cfg, color)
}

// newH264OwnStream finishes setting up e (its encoder already made) and adds
// its stream to the muxer.
func newH264OwnStream(w *Writer, cfg StreamConfig, color av.Color, e *ownH264Encoder) (videoEncoder, int, error) {
	e.tb = av.Rational{Num: cfg.FrameRate.Den, Den: cfg.FrameRate.Num}
	e.recon, e.width, e.height = cfg.Reconstruction, cfg.Width, cfg.Height
	var err error
	fail := func(err error) (videoEncoder, int, error) {
		e.close()
		return nil, 0, err
	}
	switch cfg.Format {
	case YUV420P, NV12, YUV444P:
	default:
		if e.in, err = av.NewFrame(); err != nil {
			return fail(err)
		}
		if err = e.in.AllocVideo(string(cfg.Format), cfg.Width, cfg.Height); err != nil {
			return fail(err)
		}
		if e.conv, err = av.NewFrame(); err != nil {
			return fail(err)
		}
		if err = e.conv.AllocVideo(string(YUV420P), cfg.Width, cfg.Height); err != nil {
			return fail(err)
		}
		if e.scaler, err = av.NewScaler(cfg.Width, cfg.Height, string(cfg.Format), cfg.Width, cfg.Height, string(YUV420P), color); err != nil {
			return fail(err)
		}
		e.buf = make([]byte, YUV420P.FrameSize(cfg.Width, cfg.Height))
	}
	if e.pkt, err = av.NewPacket(); err != nil {
		return fail(err)
	}
	sps, pps := e.enc.Headers()
	extradata := append(append([]byte{0, 0, 0, 1}, sps...), append([]byte{0, 0, 0, 1}, pps...)...)
	idx, err := w.out.AddStream(av.StreamParams{Codec: "h264", Width: cfg.Width, Height: cfg.Height, Extradata: extradata, Color: color,
		FrameRate: av.Rational{Num: cfg.FrameRate.Num, Den: cfg.FrameRate.Den}})
	if err != nil {
		return fail(err)
	}
	return e, idx, nil
}

func (e *ownH264Encoder) encode(frames *Frames, i int, pts int64, emit emitFunc) error {
	if frames.OnDevice() {
		if e.device != nil && (frames.format == YUV420P || frames.format == NV12 || frames.format == YUV444P) && frames.dev.gpu == e.gpu {
			au, err := e.device(frames.DevicePointer()+uintptr(i*frames.FrameSize()), string(frames.format))
			if err != nil {
				return err
			}
			return e.emitDelayed(au, pts, emit)
		}
		host, err := stageOnHost(frames, i, &e.stage)
		if err != nil {
			return err
		}
		frames, i = host, 0
	}
	var pic *h264.Picture
	switch frames.format {
	case YUV420P:
		pic = h264.PictureFromYUV420P(frames.Frame(i), e.width, e.height)
	case NV12:
		pic = h264.PictureFromNV12(frames.Frame(i), e.width, e.height)
	case YUV444P:
		// Averaged down, on all cores, into one of two pictures kept for
		// the purpose (the encoder copies it before Encode returns), the
		// next frame of the batch into the other while this one is coded.
		var err error
		if pic, err = e.averaged(frames, i); err != nil {
			return err
		}
		if i+1 < frames.Len() {
			e.averageAhead(frames, i+1, e.otherPic420(pic))
		}
	default:
		if err := e.in.MakeWritable(); err != nil {
			return err
		}
		fillFrame(e.in, frames, i)
		if err := e.scaler.Scale(e.in, e.conv); err != nil {
			return err
		}
		staged := &Frames{format: YUV420P, width: e.width, height: e.height, count: 1, data: e.buf}
		readFrame(staged, 0, e.conv)
		pic = h264.PictureFromYUV420P(e.buf, e.width, e.height)
	}
	au, err := e.enc.Encode(pic)
	if err != nil {
		return err
	}
	return e.emitDelayed(au, pts, emit)
}

// averaging is a yuv444p frame being averaged down in the background:
// frame i of frames into pic; done receives the outcome.
type averaging struct {
	frames *Frames
	i      int
	pic    *h264.Picture
	done   chan error
}

// averaged returns frame i of frames (yuv444p) averaged down to 4:2:0:
// the picture averageAhead made, if it was that frame, else one averaged
// now.
func (e *ownH264Encoder) averaged(frames *Frames, i int) (*h264.Picture, error) {
	if a := e.ahead; a.done != nil {
		e.ahead = averaging{}
		err := <-a.done
		if a.frames == frames && a.i == i {
			return a.pic, err
		}
	}
	for k := range e.pic420 {
		if e.pic420[k] == nil {
			e.pic420[k] = h264.NewPicture(e.width, e.height)
		}
	}
	if err := e.pic420[0].SetYUV444P(frames.Frame(i)); err != nil {
		return nil, err
	}
	return e.pic420[0], nil
}

// otherPic420 returns the averaging picture that is not p.
func (e *ownH264Encoder) otherPic420(p *h264.Picture) *h264.Picture {
	if p == e.pic420[0] {
		return e.pic420[1]
	}
	return e.pic420[0]
}

// averageAhead starts averaging frame i of frames into pic in the
// background; averaged or endBatch collects it.
func (e *ownH264Encoder) averageAhead(frames *Frames, i int, pic *h264.Picture) {
	done := make(chan error, 1)
	e.ahead = averaging{frames: frames, i: i, pic: pic, done: done}
	go func() { done <- pic.SetYUV444P(frames.Frame(i)) }()
}

// endBatch waits for the averaging started ahead, if any: the batch's
// frames belong to the caller again once Write returns.
func (e *ownH264Encoder) endBatch() {
	if a := e.ahead; a.done != nil {
		e.ahead = averaging{}
		<-a.done
	}
}

// emitDelayed queues pts, the timestamp of the picture just given to the
// encoder, and emits au (nil Data: the lookahead holds the picture back)
// with the oldest timestamp queued: pictures come out in input order.
func (e *ownH264Encoder) emitDelayed(au h264.AccessUnit, pts int64, emit emitFunc) error {
	e.pts = append(e.pts, pts)
	if au.Data == nil {
		return nil
	}
	first := e.pts[0]
	e.pts = append(e.pts[:0], e.pts[1:]...)
	return e.emit(au, first, emit)
}

// emit hands an access unit to the muxer and writes the reconstruction.
func (e *ownH264Encoder) emit(au h264.AccessUnit, pts int64, emit emitFunc) error {
	if err := e.pkt.SetData(au.Data); err != nil {
		return err
	}
	e.pkt.SetTimes(pts, pts, 1)
	e.pkt.SetKey(au.Keyframe)
	if err := emit(e.pkt, e.tb); err != nil {
		return err
	}
	if e.recon != nil {
		return writeReconstruction(e.recon, e.enc.Reconstruction())
	}
	return nil
}

// writeReconstruction writes a picture as raw yuv420p rows.
func writeReconstruction(w io.Writer, pic *h264.Picture) error {
	for _, p := range []h264.Plane{pic.Y, pic.Cb, pic.Cr} {
		for y := 0; y < p.Height; y++ {
			if _, err := w.Write(p.Pix[y*p.Stride : y*p.Stride+p.Width]); err != nil {
				return fmt.Errorf("gpuenc: writing the reconstruction: %w", err)
			}
		}
	}
	return nil
}

// flush codes and emits the pictures the lookahead still holds.
func (e *ownH264Encoder) flush(emit emitFunc) error {
	for len(e.pts) > 0 {
		au, ok, err := e.enc.Flush()
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("gpuenc: %s: %d pictures given but not coded", e.name, len(e.pts))
		}
		first := e.pts[0]
		e.pts = e.pts[1:]
		if err := e.emit(au, first, emit); err != nil {
			return err
		}
	}
	return nil
}

func (e *ownH264Encoder) close() {
	e.endBatch()
	if e.closer != nil {
		e.closer()
	}
	e.in.Free()
	e.conv.Free()
	e.scaler.Free()
	e.pkt.Free()
}
