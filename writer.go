package gpuenc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gpuenc/gpuenc/internal/av"
)

// Rational is a fraction, used for frame rates (30000/1001).
type Rational struct{ Num, Den int }

// String writes r as "num/den".
func (r Rational) String() string { return fmt.Sprintf("%d/%d", r.Num, r.Den) }

// Float returns r as a float64.
func (r Rational) Float() float64 { return float64(r.Num) / float64(r.Den) }

// ParseRational reads "30000/1001", "30" or "29.97" (decimal rates become
// the fraction FFmpeg would use: 29.97 → 30000/1001).
func ParseRational(s string) (Rational, error) {
	var r Rational
	if n, err := fmt.Sscanf(s, "%d/%d", &r.Num, &r.Den); err == nil && n == 2 && r.Num > 0 && r.Den > 0 {
		return r, nil
	}
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil || f <= 0 {
		return Rational{}, &ConfigError{Field: "rate", Reason: fmt.Sprintf("%q is not a frame rate (e.g. 30, 29.97, 30000/1001)", s)}
	}
	for _, c := range []Rational{{24000, 1001}, {30000, 1001}, {60000, 1001}, {120000, 1001}} {
		if d := f - c.Float(); d > -0.005 && d < 0.005 {
			return c, nil
		}
	}
	if f == float64(int(f)) {
		return Rational{int(f), 1}, nil
	}
	return Rational{int(f*1000 + 0.5), 1000}, nil
}

// Color is the colour metadata written into a stream, with FFmpeg's names:
// Matrix "bt709", "bt470bg", "smpte170m", "bt2020nc", ...; Range "tv"
// (limited) or "pc" (full); Primaries "bt709", "bt2020", ...; Transfer
// "bt709", "smpte2084", "arib-std-b67", .... Empty fields stay unspecified.
//
// Matrix and Range also set how RGB input is converted to YUV.
type Color struct {
	Matrix, Range, Primaries, Transfer string
}

func (c Color) av() (av.Color, error) {
	var out av.Color
	for _, f := range []struct {
		kind, name string
		dst        *int
	}{{"space", c.Matrix, &out.Space}, {"range", c.Range, &out.Range}, {"primaries", c.Primaries, &out.Primaries}, {"transfer", c.Transfer, &out.Transfer}} {
		if f.name == "" {
			continue
		}
		v, err := av.ColorID(f.kind, f.name)
		if err != nil {
			return out, &ConfigError{Field: "color." + f.kind, Reason: err.Error()}
		}
		*f.dst = v
	}
	if out.Space == 0 {
		out.Space = 2 // AVCOL_SPC_UNSPECIFIED
	}
	if out.Primaries == 0 {
		out.Primaries = 2
	}
	if out.Transfer == 0 {
		out.Transfer = 2
	}
	return out, nil
}

// StreamConfig describes one video stream of a Writer.
type StreamConfig struct {
	Width, Height int
	FrameRate     Rational
	// Format is the pixel format of the frames given to Write.
	Format PixelFormat
	// Encoder names the encoder: an FFmpeg encoder ("libx264",
	// "h264_nvenc", ...), gpuenc's own ("h264_go"), or a codec ("h264",
	// "hevc", "av1") to let gpuenc choose the best encoder usable here.
	Encoder string
	// EncoderFormat is the pixel format the encoder works in; frames are
	// converted with swscale when it differs from Format. Empty: Format if
	// the encoder takes it, else the encoder's preferred format.
	EncoderFormat PixelFormat
	// Options are passed to the encoder as key=value ("preset": "veryfast",
	// "crf": "23"). An option no part of the encoder consumed is an error.
	// h264_go and h264_cuda take qp, crf, b (or bitrate), maxrate, bufsize,
	// g, preset, threads and ipoffset (see package h264's Options).
	Options map[string]string
	// Color is written into the stream.
	Color Color
	// HWAccel "cuda:N" runs the encoder's input on GPU N: CUDA frames go to
	// NVENC without a host copy, host frames are uploaded once.
	HWAccel string
	// Reconstruction, when set, receives the encoder's reconstruction of
	// every frame as raw yuv420p: what a conforming decoder makes of the
	// stream. Only gpuenc's own encoders (h264_go, h264_cuda) have one.
	Reconstruction io.Writer
}

// WriterOptions configures a Writer's container.
type WriterOptions struct {
	// Container names the container: "mp4", "mov", "mkv" (or "matroska"),
	// "h264", "hevc" (elementary streams) or "nut". Empty: taken from the
	// path's extension.
	Container string
	// Fragmented asks for fragmented mp4 (moof boxes) even on a seekable
	// output. Non-seekable outputs always get it for mp4 and mov.
	Fragmented bool
	// MuxerOptions are passed to FFmpeg's muxer; an unused one is an error.
	MuxerOptions map[string]string
}

// Writer encodes frames into a container. Add every stream with
// AddVideoStream, write frames with Write, and finish with Close. A Writer
// is safe for use by several goroutines; independent Writers run in
// parallel.
type Writer struct {
	mu        sync.Mutex
	opts      WriterOptions
	container string
	io        *av.IO
	out       *av.Output
	streams   []*stream
	started   bool
	closed    bool
	err       error // first failure; the Writer is unusable after it

	file      *os.File // when writing to a path
	tmpPath   string
	finalPath string
	seekable  bool
}

var containerAliases = map[string]string{
	"mkv": "matroska", "matroska": "matroska", "mp4": "mp4", "mov": "mov",
	"h264": "h264", "264": "h264", "avc": "h264", "hevc": "hevc", "h265": "hevc", "265": "hevc", "nut": "nut",
}

// muxerFor resolves a container name, or a path's extension when name is
// empty.
func muxerFor(name, path string) (string, error) {
	if name == "" {
		ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
		if ext == "" {
			return "", fmt.Errorf("%w: no container named and %q has no extension (use mp4, mov, mkv, h264, hevc or nut)", ErrUnknownContainer, path)
		}
		name = ext
	}
	m, ok := containerAliases[strings.ToLower(name)]
	if !ok || !av.HasMuxer(m) {
		return "", fmt.Errorf("%w: %q (use mp4, mov, mkv, h264, hevc or nut)", ErrUnknownContainer, name)
	}
	return m, nil
}

// Create makes a Writer that writes to a file at path. The file appears
// under its name only when Close succeeds: until then the bytes go to a
// temporary file beside it, which a failure or cancellation removes.
func Create(path string, opts WriterOptions) (*Writer, error) {
	muxer, err := muxerFor(opts.Container, path)
	if err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".gpuenc-*")
	if err != nil {
		return nil, fmt.Errorf("gpuenc: cannot write %s: %w", path, err)
	}
	w, err := newWriter(f, muxer, opts, true)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	w.file, w.tmpPath, w.finalPath = f, f.Name(), path
	return w, nil
}

// NewWriter makes a Writer that writes to dst; opts.Container must name the
// container. If dst is an io.WriteSeeker that can seek, muxers may seek it;
// otherwise mp4 and mov are written fragmented. The Writer does not close
// dst.
func NewWriter(dst io.Writer, opts WriterOptions) (*Writer, error) {
	if opts.Container == "" {
		return nil, fmt.Errorf("%w: NewWriter needs WriterOptions.Container", ErrUnknownContainer)
	}
	muxer, err := muxerFor(opts.Container, "")
	if err != nil {
		return nil, err
	}
	seekable := false
	if s, ok := dst.(io.Seeker); ok {
		_, err := s.Seek(0, io.SeekCurrent)
		seekable = err == nil
	}
	return newWriter(dst, muxer, opts, seekable)
}

func newWriter(dst io.Writer, muxer string, opts WriterOptions, seekable bool) (*Writer, error) {
	aio, err := av.NewWriteIO(dst, seekable)
	if err != nil {
		return nil, err
	}
	out, err := av.NewOutput(muxer, aio)
	if err != nil {
		aio.Free()
		return nil, err
	}
	return &Writer{opts: opts, container: muxer, io: aio, out: out, seekable: seekable}, nil
}

// Container is the muxer's name (e.g. "mp4", "matroska").
func (w *Writer) Container() string { return w.container }

// AddVideoStream adds a stream and returns its index. The encoder is opened
// here, so a bad name, pixel format or option fails now.
func (w *Writer) AddVideoStream(cfg StreamConfig) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return -1, ErrClosed
	case w.err != nil:
		return -1, w.err
	case w.started:
		return -1, ErrStarted
	}
	s, err := newStream(w, len(w.streams), cfg)
	if err != nil {
		return -1, err
	}
	w.streams = append(w.streams, s)
	return s.index, nil
}

// Write encodes a batch of frames on a stream. Batches may have any length;
// each must match the stream's size and pixel format. Cancelling ctx stops
// between frames; the Writer then fails, and Close removes a file output.
func (w *Writer) Write(ctx context.Context, stream int, frames *Frames) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	if stream < 0 || stream >= len(w.streams) {
		return &ShapeError{Stream: stream, Reason: fmt.Sprintf("no such stream (the writer has %d)", len(w.streams))}
	}
	s := w.streams[stream]
	if err := s.check(frames); err != nil {
		return err
	}
	if !w.started {
		if err := w.start(); err != nil {
			return w.fail(err)
		}
	}
	if be, ok := s.enc.(batchEnder); ok {
		defer be.endBatch()
	}
	for i := 0; i < frames.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return w.fail(err)
		}
		if err := s.enc.encode(frames, i, s.next, s.emit); err != nil {
			return w.fail(err)
		}
		s.next++
	}
	return nil
}

func (w *Writer) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// fail records the Writer's first error and returns err.
func (w *Writer) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *Writer) start() error {
	if len(w.streams) == 0 {
		return &ConfigError{Field: "streams", Reason: "the writer has no stream"}
	}
	opts := map[string]string{}
	for k, v := range w.opts.MuxerOptions {
		opts[k] = v
	}
	if (w.container == "mp4" || w.container == "mov") && (w.opts.Fragmented || !w.seekable) {
		if _, set := opts["movflags"]; !set {
			opts["movflags"] = "frag_keyframe+empty_moov+default_base_moof"
		}
	}
	if err := w.out.WriteHeader(opts); err != nil {
		return err
	}
	for _, s := range w.streams {
		s.tb = w.out.StreamTimeBase(s.index)
	}
	w.started = true
	return nil
}

// Close drains every encoder, finalises the container and, for a file
// output, moves the file to its final name. After a failed Write, Close
// releases everything, removes a file output and returns the failure.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	err := w.err
	if err == nil && !w.started {
		err = w.start()
	}
	if err == nil {
		for _, s := range w.streams {
			if err = s.enc.flush(s.emit); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = w.out.WriteTrailer()
	}
	for _, s := range w.streams {
		s.close()
	}
	w.out.Free()
	w.io.Free()
	if w.file != nil {
		if cerr := w.file.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(w.tmpPath, w.finalPath)
		}
		if err != nil {
			os.Remove(w.tmpPath)
		}
	}
	if err != nil && !errors.Is(err, w.err) {
		w.err = err
	}
	return err
}
