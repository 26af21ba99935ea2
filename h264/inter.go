// Inter prediction side information (ITU-T H.264 clause 8.4.1): motion
// vector prediction for P_L0 partitions (8.4.1.3, median and directional
// 16x8/8x16 rules) and the P_Skip motion vector (8.4.1.1), from the final
// vectors of the neighbouring macroblocks. One reference picture, so every
// inter block has refIdx 0 and intra ones refIdx -1.

package h264

// mvNeighbour is one neighbouring block as 8.4.1.3.2 sees it.
type mvNeighbour struct {
	avail bool // the partition exists and is already decoded
	ref   int8 // 0, or -1 when unavailable or intra
	mv    MV
}

// neighbourAt returns the 4x4 block at (bx, by), relative to macroblock
// (x, y) in 4x4 units (bx, by may be -1 or 4), as seen from partition
// number part of the current macroblock cur (curParts partitions).
func (e *Encoder) neighbourAt(x, y, bx, by int, cur *macroblock, curPart int) mvNeighbour {
	mx, my := x, y
	if bx < 0 {
		mx--
		bx += 4
	} else if bx >= 4 {
		mx++
		bx -= 4
	}
	if by < 0 {
		my--
		by += 4
	}
	if mx < 0 || mx >= e.mbW || my < 0 {
		return mvNeighbour{ref: -1}
	}
	if my == y && mx > x {
		return mvNeighbour{ref: -1} // to the right: not yet decoded
	}
	var mb *macroblock
	if mx == x && my == y {
		// Inside the current macroblock: decoded if its 8x8 partition
		// comes earlier (only P_8x8 reaches here).
		if (by>>1)*2+bx>>1 >= curPart {
			return mvNeighbour{ref: -1}
		}
		mb = cur
	} else {
		mb = &e.mbs[my*e.mbW+mx]
	}
	if isIntra(mb.typ) {
		return mvNeighbour{avail: true, ref: -1}
	}
	return mvNeighbour{avail: true, ref: 0, mv: mb.mv[by*4+bx]}
}

func median3(a, b, c int16) int16 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}

// mvPred returns the luma motion vector predictor (8.4.1.3) of partition
// part of macroblock (x, y) with partition shape typ, the partition's
// top-left 4x4 block at (bx, by) and width w in 4x4 blocks.
func (e *Encoder) mvPred(x, y int, cur *macroblock, typ uint8, part, bx, by, w int) MV {
	A := e.neighbourAt(x, y, bx-1, by, cur, part)
	B := e.neighbourAt(x, y, bx, by-1, cur, part)
	C := e.neighbourAt(x, y, bx+w, by-1, cur, part)
	if !C.avail {
		C = e.neighbourAt(x, y, bx-1, by-1, cur, part)
	}
	switch {
	case typ == mbP16x8 && part == 0 && B.ref == 0:
		return B.mv
	case typ == mbP16x8 && part == 1 && A.ref == 0:
		return A.mv
	case typ == mbP8x16 && part == 0 && A.ref == 0:
		return A.mv
	case typ == mbP8x16 && part == 1 && C.ref == 0:
		return C.mv
	}
	// 8.4.1.3.1.
	if !B.avail && !C.avail && A.avail {
		B, C = A, A
	}
	n := 0
	var only MV
	for _, nb := range [3]mvNeighbour{A, B, C} {
		if nb.ref == 0 {
			n++
			only = nb.mv
		}
	}
	if n == 1 {
		return only
	}
	return MV{median3(A.mv.X, B.mv.X, C.mv.X), median3(A.mv.Y, B.mv.Y, C.mv.Y)}
}

// skipMV returns the motion vector of a P_Skip macroblock at (x, y)
// (8.4.1.1).
func (e *Encoder) skipMV(x, y int, cur *macroblock) MV {
	if x == 0 || y == 0 {
		return MV{}
	}
	A := e.neighbourAt(x, y, -1, 0, cur, 0)
	B := e.neighbourAt(x, y, 0, -1, cur, 0)
	if A.ref == 0 && A.mv == (MV{}) || B.ref == 0 && B.mv == (MV{}) {
		return MV{}
	}
	return e.mvPred(x, y, cur, mbP16x16, 0, 0, 0, 4)
}

// partGeom returns the top-left 4x4 block and width of partition p of a
// macroblock of type typ.
func partGeom(typ uint8, p int) (bx, by, w int) {
	switch typ {
	case mbP16x8:
		return 0, 2 * p, 4
	case mbP8x16:
		return 2 * p, 0, 2
	case mbP8x8:
		return 2 * (p & 1), 2 * (p >> 1), 2
	}
	return 0, 0, 4
}

// numParts is the number of motion partitions of a macroblock type.
func numParts(typ uint8) int {
	switch typ {
	case mbP16x8, mbP8x16:
		return 2
	case mbP8x8:
		return 4
	case mbP16x16, mbPSkip:
		return 1
	}
	return 0
}
