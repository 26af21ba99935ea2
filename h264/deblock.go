// Deblocking filter (ITU-T H.264 clause 8.7): boundary strength (8.7.2.1),
// the alpha, beta and tC0 tables (Tables 8-16 and 8-17), and the luma and
// chroma edge filters (8.7.2.3, 8.7.2.4), applied macroblock by macroblock
// in decoding order: vertical edges left to right, then horizontal edges
// top to bottom. disable_deblocking_filter_idc is 0 and both slice offsets
// are 0, so indexA = indexB = qPav.

package h264

// alphaTable and betaTable are Table 8-16 (alpha', beta') for
// indexA/indexB 0..51 (bit depth 8).
var alphaTable = [52]uint8{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 20, 22, 25, 28,
	32, 36, 40, 45, 50, 56, 63, 71, 80, 90, 101, 113, 127, 144, 162, 182,
	203, 226, 255, 255,
}

var betaTable = [52]uint8{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 6, 6, 7, 7, 8, 8,
	9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16,
	17, 17, 18, 18,
}

// tc0Table is Table 8-17: tC0' for bS = 1, 2, 3 by indexA 0..51.
var tc0Table = [52][3]uint8{
	{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0},
	{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0},
	{0, 0, 0}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 0, 1}, {0, 1, 1}, {0, 1, 1}, {1, 1, 1},
	{1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 2}, {1, 1, 2}, {1, 1, 2}, {1, 1, 2}, {1, 2, 3},
	{1, 2, 3}, {2, 2, 3}, {2, 2, 4}, {2, 3, 4}, {2, 3, 4}, {3, 3, 5}, {3, 4, 6}, {3, 4, 6},
	{4, 5, 7}, {4, 5, 8}, {4, 6, 9}, {5, 7, 10}, {6, 8, 11}, {6, 8, 13}, {7, 10, 14}, {8, 11, 16},
	{9, 12, 18}, {10, 13, 20}, {11, 15, 23}, {13, 17, 25},
}

// edgeBS computes the boundary strengths of the four 4-sample segments of
// one luma edge of macroblock q (8.7.2.1). vertical selects a vertical
// edge at 4x4 column e (0..3) or a horizontal one at row e; p is the
// macroblock on the other side of a macroblock edge (e == 0).
func edgeBS(bs *[4]uint8, q, p *macroblock, vertical bool, e int) {
	mbEdge := e == 0
	for k := 0; k < 4; k++ {
		var qi, pi int // raster 4x4 indices of the blocks holding q0 and p0
		if vertical {
			qi = k*4 + e
			if mbEdge {
				pi = k*4 + 3
			} else {
				pi = k*4 + e - 1
			}
		} else {
			qi = e*4 + k
			if mbEdge {
				pi = 12 + k
			} else {
				pi = (e-1)*4 + k
			}
		}
		pm := q
		if mbEdge {
			pm = p
		}
		switch {
		case isIntra(q.typ) || isIntra(pm.typ):
			if mbEdge {
				bs[k] = 4
			} else {
				bs[k] = 3
			}
		case q.nz[qi] != 0 || pm.nz[pi] != 0:
			bs[k] = 2
		default:
			a, b := q.mv[qi], pm.mv[pi]
			dx, dy := int(a.X)-int(b.X), int(a.Y)-int(b.Y)
			if dx >= 4 || dx <= -4 || dy >= 4 || dy <= -4 {
				bs[k] = 1
			} else {
				bs[k] = 0
			}
		}
	}
}

// deblockMB filters the edges of macroblock (x, y) in place (8.7).
func (e *Encoder) deblockMB(x, y int) {
	mb := &e.mbs[y*e.mbW+x]
	var bs [4]uint8
	Y, Cb, Cr := &e.rec.Y, &e.rec.Cb, &e.rec.Cr
	for dir := 0; dir < 2; dir++ {
		vertical := dir == 0
		for edge := 0; edge < 4; edge++ {
			var p *macroblock
			if edge == 0 {
				if vertical && x == 0 || !vertical && y == 0 {
					continue
				}
				if vertical {
					p = &e.mbs[y*e.mbW+x-1]
				} else {
					p = &e.mbs[(y-1)*e.mbW+x]
				}
			}
			edgeBS(&bs, mb, p, vertical, edge)
			if bs == [4]uint8{} {
				continue
			}
			qpL := int(mb.qp)
			if p != nil {
				qpL = (int(p.qp) + qpL + 1) >> 1
			}
			lo := y*16*Y.Stride + x*16
			if vertical {
				filterEdge(Y.Pix, lo+edge*4, 1, Y.Stride, &bs, qpL, false)
			} else {
				filterEdge(Y.Pix, lo+edge*4*Y.Stride, Y.Stride, 1, &bs, qpL, false)
			}
			if edge&1 == 0 {
				qc := chromaQP(int(mb.qp))
				if p != nil {
					qc = (chromaQP(int(p.qp)) + qc + 1) >> 1
				}
				for _, P := range [2]*Plane{Cb, Cr} {
					co := y*8*P.Stride + x*8
					if vertical {
						filterEdge(P.Pix, co+edge*2, 1, P.Stride, &bs, qc, true)
					} else {
						filterEdge(P.Pix, co+edge*2*P.Stride, P.Stride, 1, &bs, qc, true)
					}
				}
			}
		}
	}
}

// filterEdge filters one edge: q0 of line i is pix[off + i·along], p0 is
// pix[off + i·along - across]. Luma edges have 16 lines, 4 per bS entry;
// chroma edges 8 lines, 2 per bS entry (8.7.2.3, 8.7.2.4).
func filterEdge(pix []uint8, off, across, along int, bs *[4]uint8, qp int, chroma bool) {
	alpha := int32(alphaTable[qp])
	beta := int32(betaTable[qp])
	lines, per := 16, 4
	if chroma {
		lines, per = 8, 2
	}
	for i := 0; i < lines; i++ {
		s := bs[i/per]
		if s == 0 {
			continue
		}
		o := off + i*along
		p0 := int32(pix[o-across])
		q0 := int32(pix[o])
		p1 := int32(pix[o-2*across])
		q1 := int32(pix[o+across])
		if abs32(p0-q0) >= alpha || abs32(p1-p0) >= beta || abs32(q1-q0) >= beta {
			continue
		}
		if chroma {
			if s < 4 {
				tc := int32(tc0Table[qp][s-1]) + 1
				d := clip3(-tc, tc, ((q0-p0)<<2+(p1-q1)+4)>>3)
				pix[o-across] = clip1(p0 + d)
				pix[o] = clip1(q0 - d)
			} else {
				pix[o-across] = uint8((2*p1 + p0 + q1 + 2) >> 2)
				pix[o] = uint8((2*q1 + q0 + p1 + 2) >> 2)
			}
			continue
		}
		p2 := int32(pix[o-3*across])
		q2 := int32(pix[o+2*across])
		ap := abs32(p2 - p0)
		aq := abs32(q2 - q0)
		if s < 4 {
			tc0 := int32(tc0Table[qp][s-1])
			tc := tc0
			if ap < beta {
				tc++
			}
			if aq < beta {
				tc++
			}
			d := clip3(-tc, tc, ((q0-p0)<<2+(p1-q1)+4)>>3)
			pix[o-across] = clip1(p0 + d)
			pix[o] = clip1(q0 - d)
			if ap < beta {
				pix[o-2*across] = uint8(p1 + clip3(-tc0, tc0, (p2+(p0+q0+1)>>1-p1<<1)>>1))
			}
			if aq < beta {
				pix[o+across] = uint8(q1 + clip3(-tc0, tc0, (q2+(p0+q0+1)>>1-q1<<1)>>1))
			}
			continue
		}
		strong := abs32(p0-q0) < (alpha>>2)+2
		if ap < beta && strong {
			p3 := int32(pix[o-4*across])
			pix[o-across] = uint8((p2 + 2*p1 + 2*p0 + 2*q0 + q1 + 4) >> 3)
			pix[o-2*across] = uint8((p2 + p1 + p0 + q0 + 2) >> 2)
			pix[o-3*across] = uint8((2*p3 + 3*p2 + p1 + p0 + q0 + 4) >> 3)
		} else {
			pix[o-across] = uint8((2*p1 + p0 + q1 + 2) >> 2)
		}
		if aq < beta && strong {
			q3 := int32(pix[o+3*across])
			pix[o] = uint8((p1 + 2*p0 + 2*q0 + 2*q1 + q2 + 4) >> 3)
			pix[o+across] = uint8((p0 + q0 + q1 + q2 + 2) >> 2)
			pix[o+2*across] = uint8((2*q3 + 3*q2 + q1 + q0 + p0 + 4) >> 3)
		} else {
			pix[o] = uint8((2*q1 + q0 + p1 + 2) >> 2)
		}
	}
}

func clip3(lo, hi, v int32) int32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
