package h264

import (
	"errors"
	"math/rand"
	"sync"
	"testing"
)

// TestForcedIntraModes forces every Intra_4x4, Intra_16x16 and chroma
// prediction mode where its neighbours allow it, in I and P pictures, and
// checks the decoders agree with the reconstruction.
func TestForcedIntraModes(t *testing.T) {
	var mu sync.Mutex
	var seenI4 [9]int
	var seenI16, seenC [4]int
	hooks := &testHooks{decide: func(x, y int, pSlice bool, mb *macroblock, avail uint8) {
		// Decisions run in parallel: derive everything from the position.
		k := x + 3*y
		if pSlice {
			k += 5
		}
		mu.Lock()
		defer mu.Unlock()
		if k%2 == 0 {
			mb.typ = mbI4x4
			for r := 0; r < 16; r++ {
				m := (r + k) % 9
				if !i4ModeAvail(m, blk4Avail(r&3, r>>2, avail)) {
					m = i4DC
				}
				mb.i4Mode[r] = uint8(m)
				seenI4[m]++
			}
		} else {
			mb.typ = mbI16x16
			m := (k / 2) % 4
			if !i16ModeAvail(m, avail) {
				m = i16DC
			}
			mb.i16Mode = uint8(m)
			seenI16[m]++
		}
		c := (k / 3) % 4
		if !chromaModeAvail(c, avail) {
			c = chromaDC
		}
		mb.chromaMode = uint8(c)
		seenC[c]++
	}}
	for _, qp := range []int{4, 20, 36} {
		o := Options{Width: 80, Height: 64, RateControl: ConstantQP, QP: qp, Threads: 2}
		encodeAndCheck(t, o, clip(80, 64, 3, 7), hooks)
	}
	for m, n := range seenI4 {
		if n == 0 {
			t.Errorf("Intra_4x4 mode %d never used", m)
		}
	}
	for m := 0; m < 4; m++ {
		if seenI16[m] == 0 || seenC[m] == 0 {
			t.Errorf("Intra_16x16 mode %d used %d times, chroma mode %d times", m, seenI16[m], seenC[m])
		}
	}
}

// TestForcedPartitions forces every P partitioning with random vectors,
// some far outside the picture, mixed with intra macroblocks.
func TestForcedPartitions(t *testing.T) {
	var mu sync.Mutex
	var seen [mbPSkip + 1]int
	frame := 0
	hooks := &testHooks{decide: func(x, y int, pSlice bool, mb *macroblock, avail uint8) {
		if !pSlice {
			return
		}
		// Decisions run in parallel: derive the randomness from the
		// macroblock's position and picture.
		mu.Lock()
		if x == 0 && y == 0 {
			frame++
		}
		f := frame
		mu.Unlock()
		r := rand.New(rand.NewSource(int64(f*1000 + y*100 + x)))
		if r.Intn(5) == 0 {
			return // keep the encoder's own decision
		}
		mb.typ = uint8(mbP16x16 + r.Intn(4))
		for p := range mb.partMV {
			switch r.Intn(4) {
			case 0: // far outside: horizontal limit ±2048 pels, vertical ±64 (level 1.x)
				mb.partMV[p] = MV{int16(r.Intn(16384) - 8192), int16(r.Intn(512) - 256)}
			case 1:
				mb.partMV[p] = MV{}
			default:
				mb.partMV[p] = MV{int16(r.Intn(65) - 32), int16(r.Intn(65) - 32)}
			}
		}
		mu.Lock()
		seen[mb.typ]++
		mu.Unlock()
	}}
	var stream []byte
	var recon [][]byte
	skips := 0
	for _, qp := range []int{10, 30, 45} {
		o := Options{Width: 96, Height: 64, RateControl: ConstantQP, QP: qp, Threads: 2}
		pics := clip(96, 64, 4, int64(qp))
		s, rec, aus := encodeClip(t, o, pics, hooks)
		stream = append(stream, s...)
		recon = append(recon, rec...)
		for _, au := range aus {
			skips += au.Skip
		}
	}
	checkDecoders(t, stream, 96, 64, recon)
	for typ := mbP16x16; typ <= mbP8x8; typ++ {
		if seen[typ] == 0 {
			t.Errorf("type %d never forced", typ)
		}
	}
	t.Logf("forced types %v, skips %d", seen, skips)
}

// TestSkipsStillContent codes a still picture: once the first P pictures
// have refined the IDR picture's reconstruction, P pictures are mostly
// P_Skip and small, and everything still decodes exactly.
func TestSkipsStillContent(t *testing.T) {
	p := synthFrame(128, 96, 0, 5)
	pics := []*Picture{p, p, p, p, p, p}
	o := Options{Width: 128, Height: 96, RateControl: ConstantQP, QP: 28, Threads: 2}
	_, aus := encodeAndCheck(t, o, pics, nil)
	last := aus[len(aus)-1]
	if n := last.Skip + last.Inter + last.Intra; last.Skip < n*3/4 {
		t.Errorf("last still P picture: %d skips of %d macroblocks", last.Skip, n)
	}
	if len(last.Data)*7 > len(aus[0].Data) {
		t.Errorf("last still P picture takes %d bytes, the IDR picture %d", len(last.Data), len(aus[0].Data))
	}
}

// TestInternalErrorNoPanic: a panic inside a stage comes back as an
// *InternalError and the encoder refuses further pictures.
func TestInternalErrorNoPanic(t *testing.T) {
	for _, threads := range []int{1, 3} {
		enc, err := NewEncoder(Options{Width: 64, Height: 64, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		enc.hooks = &testHooks{decide: func(x, y int, pSlice bool, mb *macroblock, avail uint8) {
			if x == 1 && y == 2 {
				panic("boom")
			}
		}}
		_, err = enc.Encode(synthFrame(64, 64, 0, 1))
		var ie *InternalError
		if !errors.As(err, &ie) || ie.Value != "boom" {
			t.Fatalf("threads %d: got %v, want an InternalError", threads, err)
		}
		enc.hooks = nil
		if _, err := enc.Encode(synthFrame(64, 64, 0, 1)); !errors.Is(err, ErrClosed) {
			t.Fatalf("after an internal error: %v", err)
		}
	}
}
