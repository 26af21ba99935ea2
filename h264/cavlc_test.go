package h264

import (
	"math/rand"
	"testing"
)

func TestResidualBlockRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for iter := 0; iter < 20000; iter++ {
		maxNum := []int{16, 15, 4}[iter%3]
		nC := []int{0, 1, 2, 3, 4, 7, 8, 16}[r.Intn(8)]
		if maxNum == 4 {
			nC = -1
		}
		coef := make([]int32, maxNum)
		density := r.Intn(maxNum + 1)
		for i := range coef {
			if r.Intn(maxNum) < density {
				switch r.Intn(4) {
				case 0:
					coef[i] = int32(r.Intn(2)*2 - 1)
				case 1:
					coef[i] = int32(r.Intn(7) - 3)
				case 2:
					coef[i] = int32(r.Intn(61) - 30)
				default:
					coef[i] = int32(r.Intn(2*maxLevel+1) - maxLevel)
				}
			}
		}
		var w bitWriter
		tc := writeResidualBlock(&w, coef, nC)
		n := w.bitLen()
		w.trailingBits()
		b, err := w.bytes()
		if err != nil {
			t.Fatal(err)
		}
		rd := bitReader{b: b}
		got := rd.readResidualBlock(maxNum, nC)
		if rd.err != nil || rd.pos != n {
			t.Fatalf("coef %v nC %d: read error %v at bit %d of %d", coef, nC, rd.err, rd.pos, n)
		}
		nz := 0
		for i := range coef {
			if coef[i] != got[i] {
				t.Fatalf("coef %v nC %d: read back %v", coef, nC, got)
			}
			if coef[i] != 0 {
				nz++
			}
		}
		if tc != nz {
			t.Fatalf("TotalCoeff %d, want %d", tc, nz)
		}
		if bits := residualBlockBits(coef, nC); bits != n {
			t.Fatalf("residualBlockBits %d, written %d", bits, n)
		}
	}
}

// residualBlockBits is the length in bits writeResidualBlock writes.
func residualBlockBits(coef []int32, nC int) int {
	var w bitWriter
	var buf [64]byte
	w.buf = buf[:0]
	writeResidualBlock(&w, coef, nC)
	return w.bitLen()
}
