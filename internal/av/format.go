package av

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Output is a muxer (an AVFormatContext for output).
type Output struct {
	p      *C.AVFormatContext
	io     *IO
	header bool
}

// MuxerForFile returns the muxer FFmpeg would pick for a file name, or "".
func MuxerForFile(name string) string {
	cs := cString(name)
	defer freeC(cs)
	f := C.av_guess_format(nil, cs, nil)
	if f == nil {
		return ""
	}
	return C.GoString(f.name)
}

// HasMuxer reports whether this FFmpeg build has the named muxer.
func HasMuxer(name string) bool {
	cs := cString(name)
	defer freeC(cs)
	return C.av_guess_format(cs, nil, nil) != nil
}

// NewOutput makes a muxer of the named container writing to io.
func NewOutput(container string, io *IO) (*Output, error) {
	cs := cString(container)
	defer freeC(cs)
	var ctx *C.AVFormatContext
	if err := check("avformat_alloc_output_context2", C.avformat_alloc_output_context2(&ctx, nil, cs, nil)); err != nil {
		return nil, err
	}
	ctx.pb = io.p
	ctx.flags |= C.AVFMT_FLAG_CUSTOM_IO
	return &Output{p: ctx, io: io}, nil
}

// NeedsGlobalHeader reports whether the container wants codec headers in
// extradata (mp4, mkv) rather than in the stream.
func (o *Output) NeedsGlobalHeader() bool { return o.p.oformat.flags&C.AVFMT_GLOBALHEADER != 0 }

// StreamParams describes a stream whose packets come from outside FFmpeg's
// encoders (e.g. gpuenc's own H.264 encoder).
type StreamParams struct {
	Codec         string // e.g. "h264"
	Width, Height int
	Extradata     []byte
	Color         Color
	FrameRate     Rational
}

// AddStreamFromEncoder adds a stream carrying the encoder's packets and
// returns its index.
func (o *Output) AddStreamFromEncoder(c *Codec) (int, error) {
	st := C.avformat_new_stream(o.p, nil)
	if st == nil {
		return 0, ErrNoMem
	}
	if err := check("avcodec_parameters_from_context", C.avcodec_parameters_from_context(st.codecpar, c.p)); err != nil {
		return 0, err
	}
	st.time_base = c.p.time_base
	st.avg_frame_rate = c.p.framerate
	return int(st.index), nil
}

// AddStream adds a stream described by p and returns its index.
func (o *Output) AddStream(p StreamParams) (int, error) {
	cs := cString(p.Codec)
	defer freeC(cs)
	desc := C.avcodec_descriptor_get_by_name(cs)
	if desc == nil {
		return 0, errorf("avcodec_descriptor_get_by_name", "unknown codec %q", p.Codec)
	}
	st := C.avformat_new_stream(o.p, nil)
	if st == nil {
		return 0, ErrNoMem
	}
	par := st.codecpar
	par.codec_type = C.AVMEDIA_TYPE_VIDEO
	par.codec_id = desc.id
	par.width = C.int(p.Width)
	par.height = C.int(p.Height)
	par.format = C.int(C.AV_PIX_FMT_YUV420P)
	par.color_space = C.enum_AVColorSpace(p.Color.Space)
	par.color_range = C.enum_AVColorRange(p.Color.Range)
	par.color_primaries = C.enum_AVColorPrimaries(p.Color.Primaries)
	par.color_trc = C.enum_AVColorTransferCharacteristic(p.Color.Transfer)
	par.sample_aspect_ratio = C.AVRational{num: 1, den: 1}
	if n := len(p.Extradata); n > 0 {
		buf := (*C.uint8_t)(C.av_mallocz(C.size_t(n + C.AV_INPUT_BUFFER_PADDING_SIZE)))
		if buf == nil {
			return 0, ErrNoMem
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), n), p.Extradata)
		par.extradata = buf
		par.extradata_size = C.int(n)
	}
	st.time_base = C.AVRational{num: C.int(p.FrameRate.Den), den: C.int(p.FrameRate.Num)}
	st.avg_frame_rate = p.FrameRate.c()
	return int(st.index), nil
}

// StreamTimeBase is the time base the muxer chose for stream i (valid after
// WriteHeader).
func (o *Output) StreamTimeBase(i int) Rational {
	st := unsafe.Slice(o.p.streams, o.p.nb_streams)[i]
	return Rational{int(st.time_base.num), int(st.time_base.den)}
}

// WriteHeader writes the container header. Muxer options that the muxer did
// not consume make it fail with *UnusedOptionsError.
func (o *Output) WriteHeader(opts map[string]string) error {
	d := dict(opts)
	defer C.av_dict_free(&d)
	if err := o.ioErr(check("avformat_write_header", C.avformat_write_header(o.p, &d))); err != nil {
		return err
	}
	o.header = true
	if left := leftover(d); len(left) > 0 {
		return &UnusedOptionsError{Component: "muxer " + C.GoString(o.p.oformat.name), Names: left}
	}
	return nil
}

// WritePacket hands a packet to the interleaving muxer, which takes its data.
func (o *Output) WritePacket(p *Packet) error {
	return o.ioErr(check("av_interleaved_write_frame", C.av_interleaved_write_frame(o.p, p.p)))
}

// WriteTrailer finalises the container and flushes the IO.
func (o *Output) WriteTrailer() error {
	if !o.header {
		return fmt.Errorf("av: trailer before header")
	}
	err := check("av_write_trailer", C.av_write_trailer(o.p))
	o.io.Flush()
	return o.ioErr(err)
}

// ioErr prefers the Go writer's own error over FFmpeg's EIO.
func (o *Output) ioErr(err error) error {
	if ioe := o.io.Err(); ioe != nil {
		return ioe
	}
	return err
}

// Free releases the muxer (not its IO).
func (o *Output) Free() {
	if o != nil && o.p != nil {
		o.p.pb = nil
		C.avformat_free_context(o.p)
		o.p = nil
	}
}

// Input is a demuxer (an AVFormatContext for input).
type Input struct {
	p *C.AVFormatContext
}

// OpenInput opens a URL (a path, "pipe:0", ...) with an optional forced
// format (e.g. "rawvideo"; lavfi sources go through NewSourceGraph) and
// demuxer options. When io is not nil the bytes come from it instead and
// url only names the input in messages.
func OpenInput(url, format string, opts map[string]string, io *IO) (*Input, error) {
	cu := cString(url)
	defer freeC(cu)
	var ifmt *C.AVInputFormat
	if format != "" {
		cf := cString(format)
		ifmt = C.av_find_input_format(cf)
		freeC(cf)
		if ifmt == nil {
			return nil, errorf("av_find_input_format", "unknown input format %q", format)
		}
	}
	d := dict(opts)
	defer C.av_dict_free(&d)
	var ctx *C.AVFormatContext
	if io != nil {
		if ctx = C.avformat_alloc_context(); ctx == nil {
			return nil, ErrNoMem
		}
		ctx.pb = io.p
		ctx.flags |= C.AVFMT_FLAG_CUSTOM_IO
	}
	if err := check("avformat_open_input", C.avformat_open_input(&ctx, cu, ifmt, &d)); err != nil {
		if ioe := io.Err(); ioe != nil {
			return nil, ioe
		}
		return nil, err
	}
	in := &Input{p: ctx}
	if left := leftover(d); len(left) > 0 {
		in.Close()
		return nil, &UnusedOptionsError{Component: "demuxer", Names: left}
	}
	if err := check("avformat_find_stream_info", C.avformat_find_stream_info(ctx, nil)); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// Close closes the input.
func (in *Input) Close() {
	if in != nil && in.p != nil {
		C.avformat_close_input(&in.p)
	}
}

// BestVideoStream returns the index of the main video stream.
func (in *Input) BestVideoStream() (int, error) {
	ret := C.av_find_best_stream(in.p, C.AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
	if ret < 0 {
		return -1, newError("av_find_best_stream", int(ret))
	}
	return int(ret), nil
}

// StreamInfo describes an input stream.
type StreamInfo struct {
	Codec         string
	Width, Height int
	PixelFormat   string
	FrameRate     Rational
	TimeBase      Rational
	Frames        int64 // 0 when unknown
}

// Stream describes input stream i.
func (in *Input) Stream(i int) StreamInfo {
	st := unsafe.Slice(in.p.streams, in.p.nb_streams)[i]
	par := st.codecpar
	fr := st.avg_frame_rate
	if fr.num == 0 {
		fr = st.r_frame_rate
	}
	return StreamInfo{
		Codec:       C.GoString(C.avcodec_get_name(par.codec_id)),
		Width:       int(par.width),
		Height:      int(par.height),
		PixelFormat: PixelFormatName(int(par.format)),
		FrameRate:   Rational{int(fr.num), int(fr.den)},
		TimeBase:    Rational{int(st.time_base.num), int(st.time_base.den)},
		Frames:      int64(st.nb_frames),
	}
}

// ReadPacket reads the next packet; IsEOF at the end.
func (in *Input) ReadPacket(p *Packet) error {
	ret := C.av_read_frame(in.p, p.p)
	if ret < 0 {
		return codeError("av_read_frame", ret)
	}
	return nil
}

// OpenDecoder opens a decoder for input stream i.
func (in *Input) OpenDecoder(i int, threads int) (*Codec, error) {
	st := unsafe.Slice(in.p.streams, in.p.nb_streams)[i]
	dec := C.avcodec_find_decoder(st.codecpar.codec_id)
	if dec == nil {
		return nil, &UnknownCodecError{Name: C.GoString(C.avcodec_get_name(st.codecpar.codec_id))}
	}
	ctx := C.avcodec_alloc_context3(dec)
	if ctx == nil {
		return nil, ErrNoMem
	}
	c := &Codec{p: ctx}
	if err := check("avcodec_parameters_to_context", C.avcodec_parameters_to_context(ctx, st.codecpar)); err != nil {
		c.Free()
		return nil, err
	}
	ctx.pkt_timebase = st.time_base
	ctx.thread_count = C.int(threads)
	if err := check("avcodec_open2", C.avcodec_open2(ctx, dec, nil)); err != nil {
		c.Free()
		return nil, err
	}
	return c, nil
}
