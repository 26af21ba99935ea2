package h264

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"
)

func TestPictureConversions(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {16, 16}, {17, 9}, {33, 7}, {64, 4}, {99, 3}} {
		w, h := sz[0], sz[1]
		cw, ch := (w+1)/2, (h+1)/2
		i420 := make([]byte, w*h+2*cw*ch)
		r.Read(i420)
		p := PictureFromYUV420P(i420, w, h)
		if !bytes.Equal(p.AppendYUV420P(nil), i420) {
			t.Fatalf("%dx%d: yuv420p round trip", w, h)
		}
		nv12 := make([]byte, len(i420))
		copy(nv12, i420[:w*h])
		for i := 0; i < cw*ch; i++ {
			nv12[w*h+2*i] = i420[w*h+i]
			nv12[w*h+2*i+1] = i420[w*h+cw*ch+i]
		}
		if !bytes.Equal(PictureFromNV12(nv12, w, h).AppendYUV420P(nil), i420) {
			t.Fatalf("%dx%d: nv12", w, h)
		}
		y444 := make([]byte, 3*w*h)
		r.Read(y444)
		q := PictureFromYUV444P(y444, w, h)
		for c, pl := range []*Plane{&q.Cb, &q.Cr} {
			src := y444[(c+1)*w*h:]
			for y := 0; y < ch; y++ {
				for x := 0; x < cw; x++ {
					// Slow reference: average the existing samples of the
					// 2x2 cell, replicating the last row/column at odd edges.
					at := func(xx, yy int) int { return int(src[min(yy, h-1)*w+min(xx, w-1)]) }
					want := (at(2*x, 2*y) + at(2*x+1, 2*y) + at(2*x, 2*y+1) + at(2*x+1, 2*y+1) + 2) >> 2
					if int(pl.Pix[y*pl.Stride+x]) != want {
						t.Fatalf("%dx%d: 444→420 at (%d,%d): %d want %d", w, h, x, y, pl.Pix[y*pl.Stride+x], want)
					}
				}
			}
		}
		if PictureFromYUV420P(i420[:len(i420)-1], w, h) != nil || PictureFromNV12(nil, w, h) != nil || PictureFromYUV444P(nil, w, h) != nil {
			t.Fatal("short frames accepted")
		}
	}
}

// TestThreadsDoNotChangeOutput: the stream must not depend on the number
// of goroutines (the CUDA port relies on the same independence).
func TestThreadsDoNotChangeOutput(t *testing.T) {
	pics := photoClip(t, 144, 112, 6)
	var ref []byte
	for _, th := range []int{1, 2, 5} {
		s, _, _ := encodeClip(t, Options{Width: 144, Height: 112, Threads: th}, pics, nil)
		if ref == nil {
			ref = s
		} else if !bytes.Equal(s, ref) {
			t.Fatalf("%d threads give a different stream", th)
		}
	}
}

// TestSetYUV444P: the in-place, parallel conversion equals
// PictureFromYUV444P (luma included) at sizes of one band and of many, odd
// ones too, and refuses a short frame.
func TestSetYUV444P(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, sz := range [][2]int{{1, 1}, {17, 9}, {99, 77}, {640, 361}} {
		w, h := sz[0], sz[1]
		y444 := make([]byte, 3*w*h)
		r.Read(y444)
		want := PictureFromYUV444P(y444, w, h).AppendYUV420P(nil)
		p := NewPicture(w, h)
		for i := range p.Cb.Pix {
			p.Cb.Pix[i] = 0xa5 // left from an earlier frame
		}
		if err := p.SetYUV444P(y444); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.AppendYUV420P(nil), want) {
			t.Fatalf("%dx%d: SetYUV444P differs from PictureFromYUV444P", w, h)
		}
		if err := p.SetYUV444P(y444[:len(y444)-1]); !errors.Is(err, ErrPictureSize) {
			t.Fatalf("%dx%d: short frame: %v", w, h, err)
		}
	}
}

// BenchmarkYUV444PTo420 compares PictureFromYUV444P (one goroutine, a new
// picture each time) with SetYUV444P (all cores, in place) at 1080p.
func BenchmarkYUV444PTo420(b *testing.B) {
	const w, h = 1920, 1080
	y444 := make([]byte, 3*w*h)
	rand.New(rand.NewSource(3)).Read(y444)
	b.Run("PictureFromYUV444P", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			PictureFromYUV444P(y444, w, h)
		}
	})
	b.Run("SetYUV444P", func(b *testing.B) {
		p := NewPicture(w, h)
		for i := 0; i < b.N; i++ {
			if err := p.SetYUV444P(y444); err != nil {
				b.Fatal(err)
			}
		}
	})
}
