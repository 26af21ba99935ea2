package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gpuenc/gpuenc"
)

// sink is the part of a gpuenc.Writer that the clock sees: frames go in
// with Write, and Close flushes the encoder and finishes the container.
type sink interface {
	Write(ctx context.Context, frames *gpuenc.Frames) error
	Close() error
}

// clock is time.Now, replaceable in tests.
type clock func() time.Time

// timeEncode gives every frame to a freshly opened sink in one Write (as the
// study's single write_video_chunk did) and returns the time taken. The
// clock starts just before the first frame is given; it stops when Close
// returns, so flushing the encoder's delayed frames and muxing are counted,
// or, with studyTiming, just before Close, as the study measured. Opening
// the sink (creating the encoder) is never timed.
func timeEncode(ctx context.Context, open func() (sink, error), frames *gpuenc.Frames, studyTiming bool, now clock) (time.Duration, error) {
	s, err := open()
	if err != nil {
		return 0, err
	}
	runtime.GC() // keep the previous run's garbage out of this run's clock
	t0 := now()
	if err := s.Write(ctx, frames); err != nil {
		s.Close()
		return 0, err
	}
	var elapsed time.Duration
	if studyTiming {
		elapsed = now().Sub(t0)
	}
	if err := s.Close(); err != nil {
		return 0, err
	}
	if !studyTiming {
		elapsed = now().Sub(t0)
	}
	return elapsed, nil
}

// memFile is an in-memory, seekable output, the counterpart of the study's
// io.BytesIO: mp4 is written with its index at the end, unfragmented, as to
// a file.
type memFile struct {
	buf []byte
	pos int
}

// Write writes at the current position, growing the buffer.
func (m *memFile) Write(p []byte) (int, error) {
	end := m.pos + len(p)
	if n := len(m.buf); end > n {
		if end > cap(m.buf) {
			nb := make([]byte, end, max(2*cap(m.buf), end))
			copy(nb, m.buf)
			m.buf = nb
		}
		m.buf = m.buf[:end]
		if m.pos > n {
			clear(m.buf[n:m.pos]) // a seek past the end leaves a gap of zeros
		}
	}
	copy(m.buf[m.pos:], p)
	m.pos = end
	return len(p), nil
}

// errNegativeSeek is returned for a seek before the start.
var errNegativeSeek = errors.New("bench: seek before the start of the buffer")

// Seek moves the position as io.Seeker does.
func (m *memFile) Seek(offset int64, whence int) (int64, error) {
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = int64(m.pos)
	case io.SeekEnd:
		base = int64(len(m.buf))
	default:
		return 0, fmt.Errorf("bench: bad whence %d", whence)
	}
	p := base + offset
	if p < 0 {
		return 0, errNegativeSeek
	}
	m.pos = int(p)
	return p, nil
}

// Reset empties the buffer, keeping its memory.
func (m *memFile) Reset() { m.buf, m.pos = m.buf[:0], 0 }

// Bytes returns what was written.
func (m *memFile) Bytes() []byte { return m.buf }

// writerSink adapts a gpuenc.Writer with one stream to sink.
type writerSink struct {
	w      *gpuenc.Writer
	stream int
}

func (s writerSink) Write(ctx context.Context, f *gpuenc.Frames) error {
	return s.w.Write(ctx, s.stream, f)
}

func (s writerSink) Close() error { return s.w.Close() }

// openWriter returns an opener of Writers encoding cfg into out as mp4.
func openWriter(out *memFile, cfg gpuenc.StreamConfig) func() (sink, error) {
	return func() (sink, error) {
		out.Reset()
		w, err := gpuenc.NewWriter(out, gpuenc.WriterOptions{Container: "mp4"})
		if err != nil {
			return nil, err
		}
		i, err := w.AddVideoStream(cfg)
		if err != nil {
			w.Close()
			return nil, err
		}
		return writerSink{w, i}, nil
	}
}
