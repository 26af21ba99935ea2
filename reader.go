package gpuenc

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/gpuenc/gpuenc/internal/av"
)

// ReaderOptions configures a Reader.
type ReaderOptions struct {
	// Format is the source's format: "lavfi" for a filter-graph source such
	// as "testsrc2=rate=30000/1001:size=1920x1080:duration=4", "rawvideo"
	// for raw frames (then Width, Height, FrameRate and PixelFormat describe
	// them), or empty to let FFmpeg probe a media file.
	Format string
	// Width, Height, FrameRate and PixelFormat describe rawvideo input.
	Width, Height int
	FrameRate     Rational
	PixelFormat   PixelFormat
	// Output is the pixel format of the Frames that Read returns. Empty:
	// the source's own format when Frames can hold it, else yuv420p.
	Output PixelFormat
	// Options are passed to the demuxer; an unused one is an error.
	Options map[string]string
}

// VideoInfo describes a Reader's video.
type VideoInfo struct {
	Width, Height int
	FrameRate     Rational
	Codec         string      // "rawvideo" for lavfi and raw sources
	SourceFormat  string      // the decoder's pixel format
	Output        PixelFormat // the format Read returns
	Frames        int64       // when the container says; else 0
}

// Reader reads video frames from a lavfi source, a media file or raw
// frames, in chunks.
type Reader struct {
	mu      sync.Mutex
	info    VideoInfo
	graph   *av.SourceGraph
	input   *av.Input
	io      *av.IO // custom input (NewReader)
	dec     *av.Codec
	stream  int
	pkt     *av.Packet
	frame   *av.Frame
	conv    *av.Frame
	scaler  *av.Scaler
	sFmt    string // scaler's source format and size
	sW, sH  int
	eof     bool // the source is exhausted
	drained bool // the decoder is drained
	closed  bool
}

// OpenReader opens a source: a path ("-" is standard input), or a lavfi
// graph when opts.Format is "lavfi".
func OpenReader(src string, opts ReaderOptions) (*Reader, error) {
	return openReader(src, nil, opts)
}

// NewReader reads a media file or raw frames from rd. If rd is also an
// io.Seeker, the demuxer may seek it (mp4 with its index at the end needs
// that). The Reader does not close rd.
func NewReader(rd io.Reader, opts ReaderOptions) (*Reader, error) {
	if rd == nil {
		return nil, &ConfigError{Field: "reader", Reason: "nil io.Reader"}
	}
	if opts.Format == "lavfi" {
		return nil, &ConfigError{Field: "Format", Reason: "a lavfi source is a graph description: use OpenReader"}
	}
	return openReader("io.Reader", rd, opts)
}

func openReader(src string, rd io.Reader, opts ReaderOptions) (*Reader, error) {
	r := &Reader{}
	var err error
	if r.frame, err = av.NewFrame(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Reader, error) {
		r.Close()
		return nil, err
	}
	if opts.Format == "lavfi" {
		if r.graph, err = av.NewSourceGraph(src, ""); err != nil {
			return fail(fmt.Errorf("gpuenc: lavfi source %q: %w", src, err))
		}
		out := r.graph.Output()
		r.info = VideoInfo{Width: out.Width, Height: out.Height, FrameRate: Rational(out.FrameRate), Codec: "rawvideo", SourceFormat: out.PixelFormat}
	} else {
		dopts := map[string]string{}
		for k, v := range opts.Options {
			dopts[k] = v
		}
		if opts.Format == "rawvideo" {
			if opts.Width <= 0 || opts.Height <= 0 || opts.PixelFormat == "" {
				return fail(&ConfigError{Field: "rawvideo", Reason: "raw input needs a size and a pixel format"})
			}
			dopts["video_size"] = fmt.Sprintf("%dx%d", opts.Width, opts.Height)
			dopts["pixel_format"] = string(opts.PixelFormat)
			if opts.FrameRate.Num > 0 {
				dopts["framerate"] = opts.FrameRate.String()
			}
		}
		url := src
		if src == "-" {
			url = "pipe:0"
		}
		if rd != nil {
			if r.io, err = av.NewReadIO(rd); err != nil {
				return fail(err)
			}
		}
		if r.input, err = av.OpenInput(url, opts.Format, dopts, r.io); err != nil {
			return fail(fmt.Errorf("gpuenc: open %s: %w", src, err))
		}
		if r.stream, err = r.input.BestVideoStream(); err != nil {
			return fail(fmt.Errorf("gpuenc: %s has no video stream: %w", src, err))
		}
		if r.dec, err = r.input.OpenDecoder(r.stream, 0); err != nil {
			return fail(fmt.Errorf("gpuenc: %s: %w", src, err))
		}
		if r.pkt, err = av.NewPacket(); err != nil {
			return fail(err)
		}
		st := r.input.Stream(r.stream)
		r.info = VideoInfo{Width: st.Width, Height: st.Height, FrameRate: Rational(st.FrameRate), Codec: st.Codec, SourceFormat: st.PixelFormat, Frames: st.Frames}
	}
	r.info.Output = opts.Output
	if r.info.Output == "" {
		r.info.Output = YUV420P
		if _, ok := layouts[PixelFormat(r.info.SourceFormat)]; ok {
			r.info.Output = PixelFormat(r.info.SourceFormat)
		}
	}
	if _, err := r.info.Output.layout(); err != nil {
		return fail(err)
	}
	if r.conv, err = av.NewFrame(); err != nil {
		return fail(err)
	}
	return r, nil
}

// Info describes the video.
func (r *Reader) Info() VideoInfo { return r.info }

// Read returns up to n frames (fewer at the end of the source), and io.EOF
// once no frame is left.
func (r *Reader) Read(ctx context.Context, n int) (*Frames, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if n <= 0 {
		return nil, &ConfigError{Field: "n", Reason: "Read needs a positive frame count"}
	}
	var out *Frames
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		w, h := r.frame.Width(), r.frame.Height()
		if out == nil {
			if out, err = NewFrames(r.info.Output, w, h, n); err != nil {
				return nil, err
			}
		} else if w != out.width || h != out.height {
			return nil, &ShapeError{Stream: -1, Reason: fmt.Sprintf("the source changed size from %dx%d to %dx%d mid-stream", out.width, out.height, w, h)}
		}
		if err := r.store(out, i); err != nil {
			return nil, err
		}
		out.count = i + 1
	}
	if out == nil {
		return nil, io.EOF
	}
	out.data = out.data[:out.count*out.FrameSize()]
	return out, nil
}

// next leaves the next decoded frame in r.frame; false at the end.
func (r *Reader) next() (bool, error) {
	r.frame.Unref()
	if r.graph != nil {
		err := r.graph.Read(r.frame)
		if av.IsEOF(err) {
			return false, nil
		}
		return err == nil, err
	}
	for {
		err := r.dec.ReceiveFrame(r.frame)
		if err == nil {
			return true, nil
		}
		if av.IsEOF(err) {
			return false, nil
		}
		if !av.IsAgain(err) {
			return false, err
		}
		if r.eof {
			return false, nil
		}
		// Feed the decoder.
		for {
			err := r.input.ReadPacket(r.pkt)
			if av.IsEOF(err) {
				r.eof = true
				if err := r.dec.SendPacket(nil); err != nil && !av.IsEOF(err) {
					return false, err
				}
				break
			}
			if err != nil {
				return false, err
			}
			if r.pkt.StreamIndex() != r.stream {
				r.pkt.Unref()
				continue
			}
			err = r.dec.SendPacket(r.pkt)
			r.pkt.Unref()
			if err != nil && !av.IsAgain(err) {
				return false, err
			}
			break
		}
	}
}

// store converts r.frame into frame i of out.
func (r *Reader) store(out *Frames, i int) error {
	src := r.frame
	if src.PixelFormat() != string(out.format) {
		w, h, f := src.Width(), src.Height(), src.PixelFormat()
		if r.scaler == nil || r.sFmt != f || r.sW != w || r.sH != h {
			r.scaler.Free()
			var err error
			if r.scaler, err = av.NewScaler(w, h, f, w, h, string(out.format), av.Color{}); err != nil {
				return err
			}
			r.sFmt, r.sW, r.sH = f, w, h
			if err := r.conv.AllocVideo(string(out.format), w, h); err != nil {
				return err
			}
		}
		if err := r.scaler.Scale(src, r.conv); err != nil {
			return err
		}
		src = r.conv
	}
	readFrame(out, i, src)
	return nil
}

// Close releases the Reader.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	r.closed = true
	r.graph.Free()
	r.dec.Free()
	r.input.Close()
	r.io.Free()
	r.pkt.Free()
	r.frame.Free()
	r.conv.Free()
	r.scaler.Free()
	return nil
}
