package h264

import (
	"errors"
	"strings"
)

// bitReader is a tiny MSB-first reader for round-trip tests.
type bitReader struct {
	b   []byte
	pos int
	err error
}

var errEOF = errors.New("read past end")

func (r *bitReader) bit() uint32 {
	if r.pos >= len(r.b)*8 {
		r.err = errEOF
		return 0
	}
	v := uint32(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v
}

func (r *bitReader) u(n int) uint32 {
	var v uint32
	for i := 0; i < n; i++ {
		v = v<<1 | r.bit()
	}
	return v
}

func (r *bitReader) ue() uint32 {
	z := 0
	for r.bit() == 0 {
		z++
		if z > 32 || r.err != nil {
			r.err = errEOF
			return 0
		}
	}
	return (1<<z - 1) + r.u(z)
}

func (r *bitReader) se() int32 {
	k := r.ue()
	if k&1 == 1 {
		return int32((k + 1) / 2)
	}
	return -int32(k / 2)
}

// readVLC decodes one code of the given table by trying every entry (slow
// and obviously correct, tables being prefix-free).
func (r *bitReader) readVLC(codes []vlc) int {
	start := r.pos
	for n := 1; n <= 16; n++ {
		r.pos = start
		v := uint16(r.u(n))
		for i, c := range codes {
			if c.n == uint8(n) && c.code == v {
				return i
			}
		}
	}
	r.err = errors.New("no code matches")
	return -1
}

// readResidualBlock is residual_block_cavlc() as the decoder reads it
// (7.3.5.3.2, 9.2), written from the spec independently of the encoder.
func (r *bitReader) readResidualBlock(maxNum, nC int) []int32 {
	tab := coeffTokenTable(nC)
	var codes []vlc
	var keys [][2]int
	for t1 := 0; t1 < 4; t1++ {
		for tc := 0; tc <= 16; tc++ {
			if c := coeffTokenVLC[tab][t1][tc]; c.n > 0 && t1 <= tc {
				codes = append(codes, c)
				keys = append(keys, [2]int{t1, tc})
			}
		}
	}
	k := r.readVLC(codes)
	if k < 0 {
		return nil
	}
	t1, tc := keys[k][0], keys[k][1]
	coef := make([]int32, maxNum)
	if tc == 0 {
		return coef
	}
	level := make([]int32, tc)
	suffixLength := 0
	if tc > 10 && t1 < 3 {
		suffixLength = 1
	}
	for i := 0; i < tc; i++ {
		if i < t1 {
			level[i] = 1 - 2*int32(r.bit())
			continue
		}
		prefix := 0
		for r.bit() == 0 {
			prefix++
			if r.err != nil || prefix > 32 {
				return nil
			}
		}
		levelCode := int32(min(15, prefix)) << suffixLength
		size := suffixLength
		if prefix == 14 && suffixLength == 0 {
			size = 4
		}
		if prefix >= 15 {
			size = prefix - 3
		}
		if size > 0 {
			levelCode += int32(r.u(size))
		}
		if prefix >= 15 && suffixLength == 0 {
			levelCode += 15
		}
		if prefix >= 16 {
			levelCode += 1<<(prefix-3) - 4096
		}
		if i == t1 && t1 < 3 {
			levelCode += 2
		}
		if levelCode%2 == 0 {
			level[i] = (levelCode + 2) >> 1
		} else {
			level[i] = (-levelCode - 1) >> 1
		}
		if suffixLength == 0 {
			suffixLength = 1
		}
		if abs32(level[i]) > 3<<(suffixLength-1) && suffixLength < 6 {
			suffixLength++
		}
	}
	zerosLeft := 0
	if tc < maxNum {
		if maxNum == 4 {
			zerosLeft = r.readVLC(totalZerosDCVLC[tc][:4-tc+1])
		} else {
			zerosLeft = r.readVLC(totalZerosVLC[tc][:16-tc+1])
		}
	}
	run := make([]int, tc)
	for i := 0; i < tc-1; i++ {
		if zerosLeft > 0 {
			t := min(zerosLeft, 7)
			rb := r.readVLC(runBeforeVLC[t][:min(zerosLeft, 14)+1])
			run[i] = rb
			zerosLeft -= rb
		}
	}
	run[tc-1] = zerosLeft
	pos := -1
	for i := tc - 1; i >= 0; i-- {
		pos += run[i] + 1
		if pos >= maxNum {
			r.err = errors.New("coefficient position out of range")
			return nil
		}
		coef[pos] = level[i]
	}
	return coef
}

func bitString(b []byte, n int) string {
	var s strings.Builder
	for i := 0; i < n; i++ {
		s.WriteByte('0' + b[i/8]>>(7-i%8)&1)
	}
	return s.String()
}
