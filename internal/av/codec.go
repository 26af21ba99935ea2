package av

/*
#include "shim.h"

static int gpuenc_pix_fmts(const AVCodec *codec, const enum AVPixelFormat **out, int *n) {
	return avcodec_get_supported_config(NULL, codec, AV_CODEC_CONFIG_PIX_FORMAT, 0, (const void **)out, n);
}
static enum AVPixelFormat gpuenc_pix_fmt_at(const enum AVPixelFormat *p, int i) { return p[i]; }
*/
import "C"

import (
	"fmt"
	"sort"
	"unsafe"
)

// Rational is a fraction, as AVRational.
type Rational struct{ Num, Den int }

func (r Rational) c() C.AVRational { return C.AVRational{num: C.int(r.Num), den: C.int(r.Den)} }

// Codec is an AVCodecContext opened as an encoder or a decoder.
type Codec struct {
	p      *C.AVCodecContext
	encode bool
}

// EncoderConfig describes an encoder to open.
type EncoderConfig struct {
	Name          string
	Width, Height int
	PixelFormat   string // the encoder's input format (for hardware frames: "cuda")
	TimeBase      Rational
	FrameRate     Rational
	Color         Color
	GlobalHeader  bool              // put parameter sets in extradata (mp4, mkv)
	Options       map[string]string // passed to avcodec_open2; any left over is an error
	HWFrames      *HWFrames         // hardware frames context, for PixelFormat "cuda"
}

// UnusedOptionsError names the options nothing consumed.
type UnusedOptionsError struct {
	Component string // e.g. "encoder libx264", "muxer mp4"
	Names     []string
}

// Error names the options and the component that did not use them.
func (e *UnusedOptionsError) Error() string {
	return fmt.Sprintf("%s: unknown option(s) %q (no such option, or not used by this %s)", e.Component, e.Names, e.Component)
}

// UnknownCodecError is returned for an encoder or decoder name that this
// FFmpeg build does not contain.
type UnknownCodecError struct {
	Name    string
	Encoder bool
}

// Error names the missing encoder or decoder.
func (e *UnknownCodecError) Error() string {
	kind := "decoder"
	if e.Encoder {
		kind = "encoder"
	}
	return fmt.Sprintf("unknown %s %q: not in this FFmpeg build", kind, e.Name)
}

func findEncoder(name string) (*C.AVCodec, error) {
	cs := cString(name)
	defer freeC(cs)
	c := C.avcodec_find_encoder_by_name(cs)
	if c == nil {
		return nil, &UnknownCodecError{Name: name, Encoder: true}
	}
	return c, nil
}

// EncoderPixelFormats lists the pixel formats an encoder takes, in its order
// of preference. An empty list means the encoder did not say.
func EncoderPixelFormats(name string) ([]string, error) {
	c, err := findEncoder(name)
	if err != nil {
		return nil, err
	}
	var list *C.enum_AVPixelFormat
	var n C.int
	if err := check("avcodec_get_supported_config", C.gpuenc_pix_fmts(c, &list, &n)); err != nil {
		return nil, err
	}
	out := make([]string, 0, int(n))
	for i := 0; i < int(n); i++ {
		out = append(out, PixelFormatName(int(C.gpuenc_pix_fmt_at(list, C.int(i)))))
	}
	return out, nil
}

// Encoders lists the video encoders built into this FFmpeg, sorted by name.
func Encoders() []string {
	var it unsafe.Pointer
	var out []string
	for {
		c := C.av_codec_iterate(&it)
		if c == nil {
			break
		}
		if C.av_codec_is_encoder(c) != 0 && c._type == C.AVMEDIA_TYPE_VIDEO {
			out = append(out, C.GoString(c.name))
		}
	}
	sort.Strings(out)
	return out
}

// EncoderCodecName returns the codec an encoder produces (e.g. "h264" for
// "libx264").
func EncoderCodecName(name string) (string, error) {
	c, err := findEncoder(name)
	if err != nil {
		return "", err
	}
	return C.GoString(C.avcodec_get_name(c.id)), nil
}

// dict converts options to an AVDictionary the caller frees.
func dict(opts map[string]string) *C.AVDictionary {
	var d *C.AVDictionary
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ck, cv := cString(k), cString(opts[k])
		C.av_dict_set(&d, ck, cv, 0)
		freeC(ck)
		freeC(cv)
	}
	return d
}

// leftover returns the keys still in d, sorted.
func leftover(d *C.AVDictionary) []string {
	var names []string
	var e *C.AVDictionaryEntry
	empty := cString("")
	defer freeC(empty)
	for {
		e = C.av_dict_get(d, empty, e, C.AV_DICT_IGNORE_SUFFIX)
		if e == nil {
			break
		}
		names = append(names, C.GoString(e.key))
	}
	sort.Strings(names)
	return names
}

// OpenEncoder opens an encoder. Options that neither the codec context nor
// the encoder consumed make it fail with *UnusedOptionsError.
func OpenEncoder(cfg EncoderConfig) (*Codec, error) {
	codec, err := findEncoder(cfg.Name)
	if err != nil {
		return nil, err
	}
	ctx := C.avcodec_alloc_context3(codec)
	if ctx == nil {
		return nil, ErrNoMem
	}
	c := &Codec{p: ctx, encode: true}
	pf, err := PixelFormatID(cfg.PixelFormat)
	if err != nil {
		c.Free()
		return nil, err
	}
	ctx.width = C.int(cfg.Width)
	ctx.height = C.int(cfg.Height)
	ctx.pix_fmt = C.enum_AVPixelFormat(pf)
	ctx.time_base = cfg.TimeBase.c()
	ctx.framerate = cfg.FrameRate.c()
	ctx.sample_aspect_ratio = C.AVRational{num: 1, den: 1}
	ctx.colorspace = C.enum_AVColorSpace(cfg.Color.Space)
	ctx.color_range = C.enum_AVColorRange(cfg.Color.Range)
	ctx.color_primaries = C.enum_AVColorPrimaries(cfg.Color.Primaries)
	ctx.color_trc = C.enum_AVColorTransferCharacteristic(cfg.Color.Transfer)
	if cfg.GlobalHeader {
		ctx.flags |= C.AV_CODEC_FLAG_GLOBAL_HEADER
	}
	if cfg.HWFrames != nil {
		ctx.hw_frames_ctx = C.av_buffer_ref(cfg.HWFrames.p)
		if ctx.hw_frames_ctx == nil {
			c.Free()
			return nil, ErrNoMem
		}
	}
	d := dict(cfg.Options)
	defer C.av_dict_free(&d)
	if err := check("avcodec_open2", C.avcodec_open2(ctx, codec, &d)); err != nil {
		c.Free()
		return nil, err
	}
	if left := leftover(d); len(left) > 0 {
		c.Free()
		return nil, &UnusedOptionsError{Component: "encoder " + cfg.Name, Names: left}
	}
	return c, nil
}

// Free closes the codec and releases its context.
func (c *Codec) Free() {
	if c != nil && c.p != nil {
		C.avcodec_free_context(&c.p)
	}
}

// SendFrame gives the encoder a frame (nil: drain).
func (c *Codec) SendFrame(f *Frame) error {
	var p *C.AVFrame
	if f != nil {
		p = f.p
	}
	return check("avcodec_send_frame", C.avcodec_send_frame(c.p, p))
}

// ReceivePacket takes the next packet from the encoder; IsAgain or IsEOF
// errors say none is ready.
func (c *Codec) ReceivePacket(p *Packet) error {
	ret := C.avcodec_receive_packet(c.p, p.p)
	if ret < 0 {
		return codeError("avcodec_receive_packet", ret)
	}
	return nil
}

// SendPacket gives the decoder a packet (nil: drain).
func (c *Codec) SendPacket(p *Packet) error {
	var pp *C.AVPacket
	if p != nil {
		pp = p.p
	}
	ret := C.avcodec_send_packet(c.p, pp)
	if ret < 0 {
		return codeError("avcodec_send_packet", ret)
	}
	return nil
}

// ReceiveFrame takes the next decoded frame.
func (c *Codec) ReceiveFrame(f *Frame) error {
	ret := C.avcodec_receive_frame(c.p, f.p)
	if ret < 0 {
		return codeError("avcodec_receive_frame", ret)
	}
	return nil
}

// codeError returns the cheap sentinel for EAGAIN and EOF (hot paths), and a
// full *Error otherwise.
func codeError(call string, ret C.int) error { return codeErr(call, int(ret)) }

func codeErr(call string, code int) error {
	switch code {
	case ErrAgain.Code:
		return ErrAgain
	case ErrEOF.Code:
		return ErrEOF
	}
	return newError(call, code)
}

// TimeBase is the codec's time base.
func (c *Codec) TimeBase() Rational { return Rational{int(c.p.time_base.num), int(c.p.time_base.den)} }

// Extradata returns the codec's global header (SPS/PPS for H.264).
func (c *Codec) Extradata() []byte {
	if c.p.extradata == nil {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(c.p.extradata), c.p.extradata_size)
}

// Width is the coded picture width.
func (c *Codec) Width() int { return int(c.p.width) }

// Height is the coded picture height.
func (c *Codec) Height() int { return int(c.p.height) }

// PixelFormat is the codec's pixel format.
func (c *Codec) PixelFormat() string { return PixelFormatName(int(c.p.pix_fmt)) }
