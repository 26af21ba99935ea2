// Intra prediction (ITU-T H.264 clause 8.3): Intra_4x4 (8.3.1.2, nine
// modes), Intra_16x16 (8.3.3, four modes) and chroma (8.3.4, four modes),
// sample for sample as the decoder forms them. Predictions read their
// neighbours from a plane: the reconstruction when coding, the source
// picture when deciding modes. Availability follows the frame edges only
// (one slice per picture, constrained_intra_pred_flag 0).

package h264

// Intra_4x4 prediction modes (Table 8-2).
const (
	i4Vertical = iota
	i4Horizontal
	i4DC
	i4DiagDownLeft
	i4DiagDownRight
	i4VerticalRight
	i4HorizontalDown
	i4VerticalLeft
	i4HorizontalUp
)

// Intra_16x16 prediction modes (Table 8-4).
const (
	i16Vertical = iota
	i16Horizontal
	i16DC
	i16Plane
)

// Intra chroma prediction modes (Table 8-5).
const (
	chromaDC = iota
	chromaHorizontal
	chromaVertical
	chromaPlane
)

// Neighbour availability bits.
const (
	availLeft     = 1
	availTop      = 2
	availTopRight = 4
	availTopLeft  = 8
)

// i4ModeAvail reports whether Intra_4x4 mode m can be used with the given
// neighbour availability (8.3.1.2: each mode lists the samples it needs).
func i4ModeAvail(m int, avail uint8) bool {
	switch m {
	case i4Vertical, i4DiagDownLeft, i4VerticalLeft:
		return avail&availTop != 0
	case i4Horizontal, i4HorizontalUp:
		return avail&availLeft != 0
	case i4DC:
		return true
	default: // DDR, VR, HD need left, top and top-left
		return avail&(availLeft|availTop|availTopLeft) == availLeft|availTop|availTopLeft
	}
}

// i16ModeAvail is i4ModeAvail for Intra_16x16 and (with chroma mode
// numbers mapped by the caller) chroma prediction.
func i16ModeAvail(m int, avail uint8) bool {
	switch m {
	case i16Vertical:
		return avail&availTop != 0
	case i16Horizontal:
		return avail&availLeft != 0
	case i16DC:
		return true
	}
	return avail&(availLeft|availTop|availTopLeft) == availLeft|availTop|availTopLeft
}

// chromaModeAvail reports whether chroma mode m is usable.
func chromaModeAvail(m int, avail uint8) bool {
	switch m {
	case chromaDC:
		return true
	case chromaHorizontal:
		return avail&availLeft != 0
	case chromaVertical:
		return avail&availTop != 0
	}
	return avail&(availLeft|availTop|availTopLeft) == availLeft|availTop|availTopLeft
}

// pred4x4 forms the Intra_4x4 prediction of mode for the block whose
// top-left sample is pix[off] (row stride stride) into dst (raster 4x4).
// The mode must be available (i4ModeAvail).
func pred4x4(dst *[16]uint8, pix []uint8, stride, off int, mode int, avail uint8) {
	var e edge4x4
	e.load(pix, stride, off, avail)
	e.pred(dst, mode, avail)
}

// edge4x4 holds the neighbours of a 4x4 block: e[3-y] = p[-1,y]
// (y = 0..3), e[4] = p[-1,-1], e[5+x] = p[x,-1] (x = 0..7). Unavailable
// samples are never read by an available mode.
type edge4x4 [13]int32

// load reads the neighbours from the plane, substituting p[3,-1] for
// p[4..7,-1] when the top-right block is unavailable (8.3.1.2).
func (e *edge4x4) load(pix []uint8, stride, off int, avail uint8) {
	if avail&availLeft != 0 {
		l := pix[off-1 : off-1+3*stride+1]
		e[3] = int32(l[0])
		e[2] = int32(l[stride])
		e[1] = int32(l[2*stride])
		e[0] = int32(l[3*stride])
	}
	if avail&availTop != 0 {
		t := pix[off-stride : off-stride+8]
		e[5], e[6], e[7], e[8] = int32(t[0]), int32(t[1]), int32(t[2]), int32(t[3])
		if avail&availTopRight != 0 {
			e[9], e[10], e[11], e[12] = int32(t[4]), int32(t[5]), int32(t[6]), int32(t[7])
		} else {
			e[9], e[10], e[11], e[12] = e[8], e[8], e[8], e[8]
		}
	}
	if avail&availTopLeft != 0 {
		e[4] = int32(pix[off-stride-1])
	}
}

// pred forms the prediction of one mode from the loaded neighbours (the
// equations of 8.3.1.2.1 to 8.3.1.2.9). The six directional modes only
// ever take a neighbour, the rounded mean of two adjacent ones, or the
// [1 2 1] filter of three adjacent ones, so pred computes those once
// (taps) and copies them through a per-mode index table (i4DirTable).
func (e *edge4x4) pred(dst *[16]uint8, mode int, avail uint8) {
	switch mode {
	case i4Vertical:
		for y := 0; y < 4; y++ {
			dst[y*4], dst[y*4+1], dst[y*4+2], dst[y*4+3] = uint8(e[5]), uint8(e[6]), uint8(e[7]), uint8(e[8])
		}
	case i4Horizontal:
		for y := 0; y < 4; y++ {
			v := uint8(e[3-y])
			dst[y*4], dst[y*4+1], dst[y*4+2], dst[y*4+3] = v, v, v, v
		}
	case i4DC:
		var v int32
		switch avail & (availLeft | availTop) {
		case availLeft | availTop:
			v = (e[0] + e[1] + e[2] + e[3] + e[5] + e[6] + e[7] + e[8] + 4) >> 3
		case availLeft:
			v = (e[0] + e[1] + e[2] + e[3] + 2) >> 2
		case availTop:
			v = (e[5] + e[6] + e[7] + e[8] + 2) >> 2
		default:
			v = 128
		}
		for i := range dst {
			dst[i] = uint8(v)
		}
	default:
		var t i4Taps
		t.compute(e)
		t.pred(dst, mode)
	}
}

// pred copies the taps of directional mode (3..8) into dst.
func (t *i4Taps) pred(dst *[16]uint8, mode int) {
	tab := &i4DirTable[mode]
	for k := range dst {
		dst[k] = t[tab[k]&63]
	}
}

// i4Taps holds, for one block, every value a directional mode can
// produce: [0,13) the neighbours e[i]; [13,26) avg2 = (e[i]+e[i+1]+1)>>1;
// [26,39) avg3 = (e[i-1]+2e[i]+e[i+1]+2)>>2, where e[-1] stands for e[0]
// and e[13] for e[12] (the two places the spec weights an end sample 3:1).
type i4Taps [64]uint8

const (
	tapE    = 0
	tapAvg2 = 13
	tapAvg3 = 26
)

func (t *i4Taps) compute(e *edge4x4) {
	for i := 0; i < 13; i++ {
		t[tapE+i] = uint8(e[i])
		lo, hi := e[max(i-1, 0)], e[min(i+1, 12)]
		t[tapAvg3+i] = uint8((lo + 2*e[i] + hi + 2) >> 2)
		if i < 12 {
			t[tapAvg2+i] = uint8((e[i] + e[i+1] + 1) >> 1)
		}
	}
}

// i4DirTable maps each sample of the directional modes 3..8 to its tap,
// derived once from the spec's equations (comments give p[x,-1] = e[5+x]
// and p[-1,y] = e[3-y]); modes 0..2 are unused.
var i4DirTable = func() (tab [9][16]uint8) {
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			k := y*4 + x
			// 8.3.1.2.4 Diagonal_Down_Left.
			if x == 3 && y == 3 {
				tab[i4DiagDownLeft][k] = tapAvg3 + 12 // p[6,-1] + 3·p[7,-1]
			} else {
				tab[i4DiagDownLeft][k] = uint8(tapAvg3 + 6 + x + y) // centred on p[x+y+1,-1]
			}
			// 8.3.1.2.5 Diagonal_Down_Right: centred on e[4+x-y].
			tab[i4DiagDownRight][k] = uint8(tapAvg3 + 4 + x - y)
			// 8.3.1.2.6 Vertical_Right.
			i := 5 + x - y>>1 // p[x-(y>>1), -1]
			switch z := 2*x - y; {
			case z >= 0 && z&1 == 0:
				tab[i4VerticalRight][k] = uint8(tapAvg2 + i - 1)
			case z >= 0:
				tab[i4VerticalRight][k] = uint8(tapAvg3 + i - 1)
			case z == -1:
				tab[i4VerticalRight][k] = tapAvg3 + 4
			default:
				tab[i4VerticalRight][k] = uint8(tapAvg3 + 5 - y)
			}
			// 8.3.1.2.7 Horizontal_Down.
			i = 3 - (y - x>>1) // p[-1, y-(x>>1)]
			switch z := 2*y - x; {
			case z >= 0 && z&1 == 0:
				tab[i4HorizontalDown][k] = uint8(tapAvg2 + i)
			case z >= 0:
				tab[i4HorizontalDown][k] = uint8(tapAvg3 + i + 1)
			case z == -1:
				tab[i4HorizontalDown][k] = tapAvg3 + 4
			default:
				tab[i4HorizontalDown][k] = uint8(tapAvg3 + 3 + x)
			}
			// 8.3.1.2.8 Vertical_Left.
			i = 5 + x + y>>1 // p[x+(y>>1), -1]
			if y&1 == 0 {
				tab[i4VerticalLeft][k] = uint8(tapAvg2 + i)
			} else {
				tab[i4VerticalLeft][k] = uint8(tapAvg3 + i + 1)
			}
			// 8.3.1.2.9 Horizontal_Up.
			i = 3 - (y + x>>1) // p[-1, y+(x>>1)]
			switch z := x + 2*y; {
			case z > 5:
				tab[i4HorizontalUp][k] = tapE + 0 // p[-1,3]
			case z == 5:
				tab[i4HorizontalUp][k] = tapAvg3 + 0 // p[-1,2] + 3·p[-1,3]
			case z&1 == 0:
				tab[i4HorizontalUp][k] = uint8(tapAvg2 + i - 1)
			default:
				tab[i4HorizontalUp][k] = uint8(tapAvg3 + i - 1)
			}
		}
	}
	return
}()

func clip1(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// predBlock forms an n×n (16 for Intra_16x16 luma, 8 for chroma) DC,
// horizontal, vertical or plane prediction into dst (stride n). dc selects
// the chroma DC rule (per 4x4 block, 8.3.4.1-3) instead of the whole-block
// luma rule (8.3.3.3). The modes are given as Intra_16x16 numbers.
func predBlock(dst []uint8, n int, pix []uint8, stride, off int, mode int, avail uint8, chroma bool) {
	t := off - stride
	switch mode {
	case i16Vertical:
		for y := 0; y < n; y++ {
			copy(dst[y*n:y*n+n], pix[t:t+n])
		}
	case i16Horizontal:
		for y := 0; y < n; y++ {
			v := pix[off+y*stride-1]
			row := dst[y*n : y*n+n]
			for x := range row {
				row[x] = v
			}
		}
	case i16DC:
		if !chroma {
			var s int32
			var v int32
			switch avail & (availLeft | availTop) {
			case availLeft | availTop:
				for i := 0; i < 16; i++ {
					s += int32(pix[t+i]) + int32(pix[off+i*stride-1])
				}
				v = (s + 16) >> 5
			case availLeft:
				for i := 0; i < 16; i++ {
					s += int32(pix[off+i*stride-1])
				}
				v = (s + 8) >> 4
			case availTop:
				for i := 0; i < 16; i++ {
					s += int32(pix[t+i])
				}
				v = (s + 8) >> 4
			default:
				v = 128
			}
			for i := 0; i < 256; i++ {
				dst[i] = uint8(v)
			}
			return
		}
		for by := 0; by < 2; by++ {
			for bx := 0; bx < 2; bx++ {
				var st, sl int32
				for i := 0; i < 4; i++ {
					if avail&availTop != 0 {
						st += int32(pix[t+bx*4+i])
					}
					if avail&availLeft != 0 {
						sl += int32(pix[off+(by*4+i)*stride-1])
					}
				}
				hasT, hasL := avail&availTop != 0, avail&availLeft != 0
				v := int32(128)
				switch {
				case bx == by: // blocks (0,0) and (4,4): both, else either
					if hasT && hasL {
						v = (st + sl + 4) >> 3
					} else if hasL {
						v = (sl + 2) >> 2
					} else if hasT {
						v = (st + 2) >> 2
					}
				case bx == 1: // (4,0): top first
					if hasT {
						v = (st + 2) >> 2
					} else if hasL {
						v = (sl + 2) >> 2
					}
				default: // (0,4): left first
					if hasL {
						v = (sl + 2) >> 2
					} else if hasT {
						v = (st + 2) >> 2
					}
				}
				for y := 0; y < 4; y++ {
					for x := 0; x < 4; x++ {
						dst[(by*4+y)*n+bx*4+x] = uint8(v)
					}
				}
			}
		}
	case i16Plane:
		// 8.3.3.4 (n = 16) and 8.3.4.4 (n = 8, 4:2:0).
		h2 := n / 2
		var H, V int32
		for i := 0; i < h2; i++ {
			H += int32(i+1) * (int32(pix[t+h2+i]) - int32(pix[t+h2-2-i]))
			V += int32(i+1) * (int32(pix[off+(h2+i)*stride-1]) - int32(pix[off+(h2-2-i)*stride-1]))
		}
		a := 16 * (int32(pix[off+(n-1)*stride-1]) + int32(pix[t+n-1]))
		var b, c int32
		if n == 16 {
			b, c = (5*H+32)>>6, (5*V+32)>>6
		} else {
			b, c = (34*H+32)>>6, (34*V+32)>>6
		}
		k := int32(h2 - 1)
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				dst[y*n+x] = clip1((a + b*(int32(x)-k) + c*(int32(y)-k) + 16) >> 5)
			}
		}
	}
}

// chromaToI16 maps a chroma mode number to the matching predBlock mode.
var chromaToI16 = [4]int{i16DC, i16Horizontal, i16Vertical, i16Plane}
