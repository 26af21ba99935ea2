package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc"
)

// fakeClock advances only when the fake sink works.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// fakeSink takes writeCost to write and closeCost to close.
type fakeSink struct {
	c                    *fakeClock
	writeCost, closeCost time.Duration
	writeErr             error
	wrote, closed        int
}

func (s *fakeSink) Write(ctx context.Context, f *gpuenc.Frames) error {
	s.wrote += f.Len()
	s.c.t = s.c.t.Add(s.writeCost)
	return s.writeErr
}

func (s *fakeSink) Close() error {
	s.closed++
	s.c.t = s.c.t.Add(s.closeCost)
	return nil
}

func TestTimeEncodeClock(t *testing.T) {
	frames, err := gpuenc.NewFrames(gpuenc.YUV420P, 16, 16, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, study := range []bool{false, true} {
		c := &fakeClock{t: time.Unix(1000, 0)}
		s := &fakeSink{c: c, writeCost: time.Second, closeCost: 10 * time.Second}
		opened := false
		open := func() (sink, error) {
			c.t = c.t.Add(time.Hour) // opening the encoder is never timed
			opened = true
			return s, nil
		}
		d, err := timeEncode(context.Background(), open, frames, study, c.now)
		if err != nil {
			t.Fatal(err)
		}
		want := 11 * time.Second // write, then flush and mux in Close
		if study {
			want = time.Second // the study stopped the clock before Close
		}
		if !opened || d != want || s.wrote != 5 || s.closed != 1 {
			t.Errorf("study=%v: %v, wrote %d, closed %d; want %v, 5 frames, closed once", study, d, s.wrote, s.closed, want)
		}
	}
	// A failed write closes the sink and returns the error.
	boom := errors.New("boom")
	c := &fakeClock{}
	s := &fakeSink{c: c, writeErr: boom}
	if _, err := timeEncode(context.Background(), func() (sink, error) { return s, nil }, frames, false, c.now); !errors.Is(err, boom) || s.closed != 1 {
		t.Errorf("failed write: err %v, closed %d", err, s.closed)
	}
}

// TestMemFile checks the in-memory output against bytes.Buffer-backed
// reference semantics of a file: random writes and seeks.
func TestMemFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		var m memFile
		var ref []byte
		pos := 0
		for range 20 {
			switch rng.IntN(3) {
			case 0, 1:
				p := make([]byte, rng.IntN(50))
				for i := range p {
					p[i] = byte(rng.IntN(256))
				}
				if n, err := m.Write(p); n != len(p) || err != nil {
					t.Fatal(n, err)
				}
				if end := pos + len(p); end > len(ref) {
					ref = append(ref, make([]byte, end-len(ref))...)
				}
				copy(ref[pos:], p)
				pos += len(p)
			case 2:
				off := int64(rng.IntN(len(ref) + 20))
				whence := rng.IntN(3)
				var want int64
				switch whence {
				case io.SeekStart:
					want = off
				case io.SeekCurrent:
					off -= int64(pos)
					want = int64(pos) + off
				case io.SeekEnd:
					off -= int64(len(ref))
					want = int64(len(ref)) + off
				}
				got, err := m.Seek(off, whence)
				if err != nil || got != want {
					t.Fatalf("trial %d: Seek(%d, %d) = %d, %v; want %d", trial, off, whence, got, err, want)
				}
				pos = int(want)
			}
		}
		if !bytes.Equal(m.Bytes(), ref) {
			t.Fatalf("trial %d: contents differ", trial)
		}
		m.Reset()
		if len(m.Bytes()) != 0 {
			t.Fatal("Reset left bytes")
		}
	}
	var m memFile
	if _, err := m.Seek(-1, io.SeekStart); !errors.Is(err, errNegativeSeek) {
		t.Errorf("negative seek: %v", err)
	}
}
