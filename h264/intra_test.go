package h264

import (
	"math/rand"
	"testing"
)

// refPred4x4 is 8.3.1.2 transcribed literally: p(x, y) for x = -1 or
// y = -1 reads the neighbours, with the top-right substitution rule.
func refPred4x4(pix []uint8, stride, off, mode int, avail uint8) (out [16]uint8) {
	p := func(x, y int) int32 {
		if y == -1 && x >= 4 && avail&availTopRight == 0 {
			x = 3
		}
		return int32(pix[off+y*stride+x])
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			var v int32
			switch mode {
			case 0:
				v = p(x, -1)
			case 1:
				v = p(-1, y)
			case 2:
				hasL, hasT := avail&availLeft != 0, avail&availTop != 0
				var sl, st int32
				for i := 0; i < 4; i++ {
					if hasL {
						sl += p(-1, i)
					}
					if hasT {
						st += p(i, -1)
					}
				}
				switch {
				case hasL && hasT:
					v = (sl + st + 4) >> 3
				case hasL:
					v = (sl + 2) >> 2
				case hasT:
					v = (st + 2) >> 2
				default:
					v = 128
				}
			case 3:
				if x == 3 && y == 3 {
					v = (p(6, -1) + 3*p(7, -1) + 2) >> 2
				} else {
					v = (p(x+y, -1) + 2*p(x+y+1, -1) + p(x+y+2, -1) + 2) >> 2
				}
			case 4:
				switch {
				case x > y:
					v = (p(x-y-2, -1) + 2*p(x-y-1, -1) + p(x-y, -1) + 2) >> 2
				case x < y:
					v = (p(-1, y-x-2) + 2*p(-1, y-x-1) + p(-1, y-x) + 2) >> 2
				default:
					v = (p(0, -1) + 2*p(-1, -1) + p(-1, 0) + 2) >> 2
				}
			case 5:
				z := 2*x - y
				switch {
				case z >= 0 && z%2 == 0:
					v = (p(x-(y>>1)-1, -1) + p(x-(y>>1), -1) + 1) >> 1
				case z >= 0:
					v = (p(x-(y>>1)-2, -1) + 2*p(x-(y>>1)-1, -1) + p(x-(y>>1), -1) + 2) >> 2
				case z == -1:
					v = (p(-1, 0) + 2*p(-1, -1) + p(0, -1) + 2) >> 2
				default:
					v = (p(-1, y-1) + 2*p(-1, y-2) + p(-1, y-3) + 2) >> 2
				}
			case 6:
				z := 2*y - x
				switch {
				case z >= 0 && z%2 == 0:
					v = (p(-1, y-(x>>1)-1) + p(-1, y-(x>>1)) + 1) >> 1
				case z >= 0:
					v = (p(-1, y-(x>>1)-2) + 2*p(-1, y-(x>>1)-1) + p(-1, y-(x>>1)) + 2) >> 2
				case z == -1:
					v = (p(-1, 0) + 2*p(-1, -1) + p(0, -1) + 2) >> 2
				default:
					v = (p(x-1, -1) + 2*p(x-2, -1) + p(x-3, -1) + 2) >> 2
				}
			case 7:
				if y%2 == 0 {
					v = (p(x+(y>>1), -1) + p(x+(y>>1)+1, -1) + 1) >> 1
				} else {
					v = (p(x+(y>>1), -1) + 2*p(x+(y>>1)+1, -1) + p(x+(y>>1)+2, -1) + 2) >> 2
				}
			case 8:
				z := x + 2*y
				switch {
				case z > 5:
					v = p(-1, 3)
				case z == 5:
					v = (p(-1, 2) + 3*p(-1, 3) + 2) >> 2
				case z%2 == 0:
					v = (p(-1, y+(x>>1)) + p(-1, y+(x>>1)+1) + 1) >> 1
				default:
					v = (p(-1, y+(x>>1)) + 2*p(-1, y+(x>>1)+1) + p(-1, y+(x>>1)+2) + 2) >> 2
				}
			}
			out[y*4+x] = uint8(v)
		}
	}
	return
}

func TestPred4x4MatchesSpec(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	const stride = 16
	pix := make([]uint8, stride*10)
	off := 2*stride + 4
	for n := 0; n < 3000; n++ {
		for i := range pix {
			if n%3 == 0 {
				pix[i] = uint8(r.Intn(256))
			} else {
				pix[i] = uint8(100 + r.Intn(40))
			}
		}
		avail := uint8(r.Intn(16))
		for m := 0; m < 9; m++ {
			if !i4ModeAvail(m, avail) {
				continue
			}
			var got [16]uint8
			pred4x4(&got, pix, stride, off, m, avail)
			if want := refPred4x4(pix, stride, off, m, avail); got != want {
				t.Fatalf("mode %d avail %04b: got %v want %v", m, avail, got, want)
			}
		}
	}
}

// TestBlk4Avail checks the neighbour availability of every 4x4 block
// against the rule "a neighbour is available if it lies in an available
// macroblock and, inside the current one, precedes the block in decoding
// order" (6.4.11.4).
func TestBlk4Avail(t *testing.T) {
	for mbA := uint8(0); mbA < 16; mbA++ {
		for r := 0; r < 16; r++ {
			bx, by := r&3, r>>2
			avail := func(nx, ny int) bool {
				switch {
				case nx < 0 && ny < 0:
					return mbA&availTopLeft != 0
				case nx < 0:
					return mbA&availLeft != 0
				case ny < 0 && nx > 3:
					return mbA&availTopRight != 0
				case ny < 0:
					return mbA&availTop != 0
				case nx > 3:
					return false
				}
				return blkIdxAt[ny*4+nx] < blkIdxAt[by*4+bx]
			}
			var want uint8
			if avail(bx-1, by) {
				want |= availLeft
			}
			if avail(bx, by-1) {
				want |= availTop
			}
			if avail(bx+1, by-1) {
				want |= availTopRight
			}
			if avail(bx-1, by-1) {
				want |= availTopLeft
			}
			if got := blk4Avail(bx, by, mbA); got != want {
				t.Fatalf("mb avail %04b block (%d,%d): got %04b want %04b", mbA, bx, by, got, want)
			}
		}
	}
}

func TestSATD4x4PredMatchesCost(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	src := make([]uint8, 64)
	for n := 0; n < 5000; n++ {
		for i := range src {
			src[i] = uint8(r.Intn(256))
		}
		var p [16]uint8
		for i := range p {
			p[i] = uint8(r.Intn(256))
		}
		if n%7 == 0 {
			p = [16]uint8{}
		}
		got := satd4x4Pred(src, 3, 12, &p)
		if want := satd4x4(src, 3, 12, p[:], 0, 4); got != want {
			t.Fatalf("satd4x4Pred %d, satd4x4 %d", got, want)
		}
	}
}

// TestSatdFlatRawMatchesSATD: the transform-domain SATD of the flat modes
// equals satd4x4Raw against the prediction written out, for random and
// extreme blocks and predictions.
func TestSatdFlatRawMatchesSATD(t *testing.T) {
	r := rand.New(rand.NewSource(21))
	src := make([]uint8, 7*9)
	for trial := 0; trial < 5000; trial++ {
		extreme := trial%3 == 0
		for i := range src {
			if extreme {
				src[i] = 255 * uint8(r.Intn(2))
			} else {
				src[i] = uint8(r.Intn(256))
			}
		}
		var b satdSource
		b.load(src, 10, 9)
		var v [4]uint8
		for i := range v {
			if extreme {
				v[i] = 255 * uint8(r.Intn(2))
			} else {
				v[i] = uint8(r.Intn(256))
			}
		}
		for m := i16Vertical; m <= i16DC; m++ {
			// The prediction at stride 6, in a larger buffer.
			p := make([]uint8, 6*4)
			for y := 0; y < 4; y++ {
				for x := 0; x < 4; x++ {
					switch m {
					case i16Vertical:
						p[y*6+x] = v[x]
					case i16Horizontal:
						p[y*6+x] = v[y]
					default:
						p[y*6+x] = v[0]
					}
				}
			}
			if got, want := b.flatRaw(m, p, 6), satd4x4Raw(src, 10, 9, p, 0, 6); got != want {
				t.Fatalf("mode %d: flatRaw = %d, satd4x4Raw = %d", m, got, want)
			}
		}
	}
}
