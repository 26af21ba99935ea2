// Fractional sample interpolation for inter prediction, ITU-T H.264 (08/2021)
// clause 8.4.2.2: luma (8.4.2.2.1, six-tap half samples b, h, j and the
// quarter-sample averages of Table 8-12) and 4:2:0 chroma (8.4.2.2.2,
// eighth-sample bilinear weights).
//
// Reference samples outside the picture are the nearest edge sample: the
// Clip3(0, PicWidthInSamples-1, ...) and Clip3(0, PicHeightInSamples-1, ...)
// of equations 8-228/8-229 and 8-230/8-231, so motion vectors may point any
// distance outside the frame.
//
// Two implementations give identical bytes:
//   - predictLuma / predictChroma read a *Plane directly, copying a small
//     edge-clamped window when the block touches the border;
//   - interpRef precomputes, once per reference picture, the full-sample plane
//     and the three half-sample planes (b, h, j) with a replicated margin, so
//     that every quarter-sample prediction is either a view of one plane or
//     the rounded average of two (the fast path used by the motion search).
//
// All arithmetic is integer and per output sample independent, so a GPU
// kernel can compute one sample (or one plane sample) per thread.

package h264

// MV is a motion vector in quarter luma samples (the units of mvL0 in
// ITU-T H.264 8.4.1): X to the right, Y down.
type MV struct{ X, Y int16 }

// interpMaxBlock is the largest block edge the windowed luma path handles in
// one piece; bigger blocks are split into tiles of this size.
const interpMaxBlock = 16

// interpWin is the edge of the clamped source window: a block needs two
// samples before and three after it in each direction (8-241).
const interpWin = interpMaxBlock + 5

// Sample kinds of a luma prediction, named after the sample labels of
// Figure 8-4: full samples (G), horizontal half samples (b), vertical half
// samples (h) and centre half samples (j).
const (
	interpKindFull = iota
	interpKindHalfH
	interpKindHalfV
	interpKindCenter
)

// interpSrc is one term of a quarter-sample prediction: the sample kind and
// the integer offset of the term relative to the predicted sample, e.g. m
// (the vertical half sample right of G) is {interpKindHalfV, 1, 0} and s (the
// horizontal half sample below G) is {interpKindHalfH, 0, 1}.
type interpSrc struct {
	kind   uint8
	dx, dy int8
}

// interpTerms is the prediction of one fractional position: the rounded
// average of a and b (8-250..8-261), or a alone when single is set (G, b, h,
// j: 8-243, 8-244, 8-247/8-248).
type interpTerms struct {
	single bool
	a, b   interpSrc
}

// interpLumaTerms is Table 8-12 of ITU-T H.264 (assignment of the luma
// prediction sample predPartLXL[xL, yL]) combined with equations 8-250 to
// 8-261 (which two samples each quarter position averages), indexed
// [yFracL][xFracL].
var interpLumaTerms = [4][4]interpTerms{
	{ // yFracL = 0: G, a, b, c
		{single: true, a: interpSrc{interpKindFull, 0, 0}},
		{a: interpSrc{interpKindFull, 0, 0}, b: interpSrc{interpKindHalfH, 0, 0}},
		{single: true, a: interpSrc{interpKindHalfH, 0, 0}},
		{a: interpSrc{interpKindFull, 1, 0}, b: interpSrc{interpKindHalfH, 0, 0}},
	},
	{ // yFracL = 1: d, e, f, g
		{a: interpSrc{interpKindFull, 0, 0}, b: interpSrc{interpKindHalfV, 0, 0}},
		{a: interpSrc{interpKindHalfH, 0, 0}, b: interpSrc{interpKindHalfV, 0, 0}},
		{a: interpSrc{interpKindHalfH, 0, 0}, b: interpSrc{interpKindCenter, 0, 0}},
		{a: interpSrc{interpKindHalfH, 0, 0}, b: interpSrc{interpKindHalfV, 1, 0}},
	},
	{ // yFracL = 2: h, i, j, k
		{single: true, a: interpSrc{interpKindHalfV, 0, 0}},
		{a: interpSrc{interpKindHalfV, 0, 0}, b: interpSrc{interpKindCenter, 0, 0}},
		{single: true, a: interpSrc{interpKindCenter, 0, 0}},
		{a: interpSrc{interpKindCenter, 0, 0}, b: interpSrc{interpKindHalfV, 1, 0}},
	},
	{ // yFracL = 3: n, p, q, r
		{a: interpSrc{interpKindFull, 0, 1}, b: interpSrc{interpKindHalfV, 0, 0}},
		{a: interpSrc{interpKindHalfV, 0, 0}, b: interpSrc{interpKindHalfH, 0, 1}},
		{a: interpSrc{interpKindCenter, 0, 0}, b: interpSrc{interpKindHalfH, 0, 1}},
		{a: interpSrc{interpKindHalfV, 1, 0}, b: interpSrc{interpKindHalfH, 0, 1}},
	},
}

// interpClip255 is Clip1Y for 8-bit samples (5-9 with BitDepthY = 8).
func interpClip255(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// interpClamp is Clip3(lo, hi, v).
func interpClamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// interpTap6 is the six-tap filter (1, -5, 20, 20, -5, 1) of 8-241/8-242
// without rounding (an intermediate value such as b1 or h1).
func interpTap6(e, f, g, h, i, j int) int {
	return e - 5*f + 20*g + 20*h - 5*i + j
}

// predictLuma writes the w×h luma prediction of the block whose top-left
// sample is (x, y) in the current picture, displaced by the quarter-sample
// motion vector (mvx, mvy) into ref (ITU-T H.264 8.4.2.2.1). dst receives
// row r at dst[r*dstStride:]. Any motion vector is allowed; samples outside
// the reference are clamped to its edges. w and h must be positive.
func predictLuma(dst []uint8, dstStride int, ref *Plane, x, y, mvx, mvy, w, h int) {
	for ty := 0; ty < h; ty += interpMaxBlock {
		th := min(interpMaxBlock, h-ty)
		for tx := 0; tx < w; tx += interpMaxBlock {
			tw := min(interpMaxBlock, w-tx)
			predictLumaTile(dst[ty*dstStride+tx:], dstStride, ref, x+tx, y+ty, mvx, mvy, tw, th)
		}
	}
}

// predictLumaTile is predictLuma for a block of at most 16×16.
func predictLumaTile(dst []uint8, dstStride int, ref *Plane, x, y, mvx, mvy, w, h int) {
	ix := x + mvx>>2
	iy := y + mvy>>2
	t := &interpLumaTerms[mvy&3][mvx&3]
	src := ref.Pix
	stride := ref.Stride
	base := iy*stride + ix
	var win [interpWin * interpWin]uint8
	if ix-2 < 0 || iy-2 < 0 || ix+w+3 > ref.Width || iy+h+3 > ref.Height {
		// Edge-clamped copy of the (w+5)×(h+5) window around the block.
		for r := 0; r < h+5; r++ {
			sy := interpClamp(iy-2+r, 0, ref.Height-1)
			row := ref.Pix[sy*ref.Stride : sy*ref.Stride+ref.Width]
			wr := win[r*interpWin : r*interpWin+w+5]
			for c := range wr {
				wr[c] = row[interpClamp(ix-2+c, 0, ref.Width-1)]
			}
		}
		src = win[:]
		stride = interpWin
		base = 2*interpWin + 2
	}
	if t.single {
		interpLumaKind(dst, dstStride, src, stride, base, t.a, w, h)
		return
	}
	var tmp [interpMaxBlock * interpMaxBlock]uint8
	interpLumaKind(dst, dstStride, src, stride, base, t.a, w, h)
	interpLumaKind(tmp[:], interpMaxBlock, src, stride, base, t.b, w, h)
	for r := 0; r < h; r++ {
		d := dst[r*dstStride : r*dstStride+w]
		s := tmp[r*interpMaxBlock : r*interpMaxBlock+w]
		for c := range d {
			d[c] = uint8((int(d[c]) + int(s[c]) + 1) >> 1)
		}
	}
}

// interpLumaKind writes the w×h samples of one kind (G, b, h or j, offset by
// k.dx, k.dy) for the block whose full sample G is src[base]; src must hold
// two samples before and three after the block in both directions.
func interpLumaKind(dst []uint8, ds int, src []uint8, ss, base int, k interpSrc, w, h int) {
	base += int(k.dy)*ss + int(k.dx)
	switch k.kind {
	case interpKindFull:
		for r := 0; r < h; r++ {
			copy(dst[r*ds:r*ds+w], src[base+r*ss:base+r*ss+w])
		}
	case interpKindHalfH: // b = Clip1((b1 + 16) >> 5), 8-241, 8-243
		for r := 0; r < h; r++ {
			interpRowHalfH(dst[r*ds:r*ds+w], src[base+r*ss-2:base+r*ss+w+3])
		}
	case interpKindHalfV: // h = Clip1((h1 + 16) >> 5), 8-242, 8-244
		var h1 [interpMaxBlock]int32
		for r := 0; r < h; r++ {
			interpRowTapV(h1[:w], src, base+r*ss, ss)
			d := dst[r*ds : r*ds+w]
			for c, v := range h1[:len(d)] {
				d[c] = interpClip255((int(v) + 16) >> 5)
			}
		}
	case interpKindCenter: // j = Clip1((j1 + 512) >> 10), 8-245, 8-248
		// Horizontal intermediates b1 for rows -2..h+2, then the vertical
		// tap over them (the first form of 8-245).
		var b1 [interpWin * interpMaxBlock]int32
		for r := 0; r < h+5; r++ {
			interpRowTapH(b1[r*interpMaxBlock:r*interpMaxBlock+w], src[base+(r-2)*ss-2:base+(r-2)*ss+w+3])
		}
		const m = interpMaxBlock
		for r := 0; r < h; r++ {
			d := dst[r*ds : r*ds+w]
			t0, t1, t2 := b1[r*m:r*m+w], b1[(r+1)*m:(r+1)*m+w], b1[(r+2)*m:(r+2)*m+w]
			t3, t4, t5 := b1[(r+3)*m:(r+3)*m+w], b1[(r+4)*m:(r+4)*m+w], b1[(r+5)*m:(r+5)*m+w]
			_, _, _, _, _, _ = t0[w-1], t1[w-1], t2[w-1], t3[w-1], t4[w-1], t5[w-1]
			for c := range d {
				j1 := interpTap6(int(t0[c]), int(t1[c]), int(t2[c]), int(t3[c]), int(t4[c]), int(t5[c]))
				d[c] = interpClip255((j1 + 512) >> 10)
			}
		}
	}
}

// interpRowHalfH writes the horizontal half samples b (8-241, 8-243) of
// one row: d[c] from s[c..c+5], len(s) = len(d)+5.
func interpRowHalfH(d, s []uint8) {
	s = s[:len(d)+5]
	for c := range d {
		t := s[c : c+6 : c+6]
		d[c] = interpClip255((interpTap6(int(t[0]), int(t[1]), int(t[2]), int(t[3]), int(t[4]), int(t[5])) + 16) >> 5)
	}
}

// interpRowTapH writes the unrounded horizontal intermediates b1 (8-241) of
// one row: d[c] from s[c..c+5], len(s) = len(d)+5.
func interpRowTapH(d []int32, s []uint8) {
	s = s[:len(d)+5]
	for c := range d {
		t := s[c : c+6 : c+6]
		d[c] = int32(interpTap6(int(t[0]), int(t[1]), int(t[2]), int(t[3]), int(t[4]), int(t[5])))
	}
}

// interpRowTapV writes the unrounded vertical intermediates h1 (8-242) for
// the len(d) samples starting at src[p]: rows p-2·ss .. p+3·ss.
func interpRowTapV(d []int32, src []uint8, p, ss int) {
	n := len(d)
	r0 := src[p-2*ss : p-2*ss+n]
	r1 := src[p-ss : p-ss+n]
	r2 := src[p : p+n]
	r3 := src[p+ss : p+ss+n]
	r4 := src[p+2*ss : p+2*ss+n]
	r5 := src[p+3*ss : p+3*ss+n]
	if n == 0 {
		return
	}
	// Bounds-check hints: every row holds n samples.
	_, _, _, _, _, _ = d[n-1], r1[n-1], r2[n-1], r3[n-1], r4[n-1], r5[n-1]
	for c := range r0 {
		d[c] = int32(interpTap6(int(r0[c]), int(r1[c]), int(r2[c]), int(r3[c]), int(r4[c]), int(r5[c])))
	}
}

// predictChroma writes the w×h prediction of a 4:2:0 chroma block whose
// top-left sample is (x, y) in chroma samples, for the luma motion vector
// (mvx, mvy) in quarter luma samples, which is the chroma vector in eighth
// chroma samples (8.4.1.4 for frame pictures), ITU-T H.264 8.4.2.2.2.
// Samples outside ref are clamped to its edges.
func predictChroma(dst []uint8, dstStride int, ref *Plane, x, y, mvx, mvy, w, h int) {
	ix := x + mvx>>3
	iy := y + mvy>>3
	fx := mvx & 7
	fy := mvy & 7
	// Weights of A, B, C, D in 8-266.
	wa := (8 - fx) * (8 - fy)
	wb := fx * (8 - fy)
	wc := (8 - fx) * fy
	wd := fx * fy
	if ix >= 0 && iy >= 0 && ix+w < ref.Width && iy+h < ref.Height {
		s := ref.Stride
		for r := 0; r < h; r++ {
			d := dst[r*dstStride : r*dstStride+w]
			top := ref.Pix[(iy+r)*s+ix : (iy+r)*s+ix+w+1]
			bot := ref.Pix[(iy+r+1)*s+ix : (iy+r+1)*s+ix+w+1]
			for c := range d {
				d[c] = uint8((wa*int(top[c]) + wb*int(top[c+1]) + wc*int(bot[c]) + wd*int(bot[c+1]) + 32) >> 6)
			}
		}
		return
	}
	mx := ref.Width - 1
	my := ref.Height - 1
	for r := 0; r < h; r++ {
		y0 := interpClamp(iy+r, 0, my) * ref.Stride
		y1 := interpClamp(iy+r+1, 0, my) * ref.Stride
		d := dst[r*dstStride : r*dstStride+w]
		for c := range d {
			x0 := interpClamp(ix+c, 0, mx)
			x1 := interpClamp(ix+c+1, 0, mx)
			d[c] = uint8((wa*int(ref.Pix[y0+x0]) + wb*int(ref.Pix[y0+x1]) + wc*int(ref.Pix[y1+x0]) + wd*int(ref.Pix[y1+x1]) + 32) >> 6)
		}
	}
}

// interpRef is a reference luma plane prepared for fast quarter-sample
// prediction: the full-sample plane G and the half-sample planes b (right of
// G), h (below G) and j (right of and below G), all sharing one geometry,
// valid for sample positions [-pad, Width+pad) × [-pad, Height+pad).
// Outside that region a prediction falls back to predictLuma.
//
// Building it is data-parallel by rows: buildFullRows fills rows of the
// full plane (edge replication), then buildHalfRows fills rows of b, h and j
// from the full plane only.
type interpRef struct {
	ref    *Plane
	w, h   int
	pad    int // margin in which b, h, j (and G) are valid
	ext    int // margin of the full plane: pad + 3
	stride int
	origin int // index of sample (0, 0)
	planes [4][]uint8
}

// interpRefScratch is a worker's scratch row of vertical intermediates h1
// used by buildHalfRows.
type interpRefScratch struct {
	h1 []int32
}

// reset sizes r for ref with the given margin; it allocates only when the
// geometry grows.
func (r *interpRef) reset(ref *Plane, pad int) {
	r.ref = ref
	r.w, r.h = ref.Width, ref.Height
	r.pad = pad
	r.ext = pad + 3
	r.stride = r.w + 2*r.ext
	r.origin = r.ext*r.stride + r.ext
	n := (r.h + 2*r.ext) * r.stride
	for i := range r.planes {
		if cap(r.planes[i]) < n {
			r.planes[i] = make([]uint8, n)
		}
		r.planes[i] = r.planes[i][:n]
	}
}

// fullRows is the number of rows buildFullRows covers.
func (r *interpRef) fullRows() int { return r.h + 2*r.ext }

// halfRows is the number of rows buildHalfRows covers.
func (r *interpRef) halfRows() int { return r.h + 2*r.pad }

// buildFullRows fills rows [r0, r1) (counted from the top of the margin) of
// the full-sample plane: the clamped reference samples of 8-228..8-231.
func (r *interpRef) buildFullRows(r0, r1 int) {
	full := r.planes[interpKindFull]
	src := r.ref
	for i := r0; i < r1; i++ {
		sy := interpClamp(i-r.ext, 0, r.h-1)
		srow := src.Pix[sy*src.Stride : sy*src.Stride+r.w]
		drow := full[i*r.stride : (i+1)*r.stride]
		left, right := srow[0], srow[r.w-1]
		for c := 0; c < r.ext; c++ {
			drow[c] = left
			drow[r.ext+r.w+c] = right
		}
		copy(drow[r.ext:r.ext+r.w], srow)
	}
}

// buildHalfRows fills rows [r0, r1) (counted from row -pad) of the b, h and
// j planes from the full plane; j uses the second form of 8-245, a
// horizontal tap over the vertical intermediates h1.
func (r *interpRef) buildHalfRows(sc *interpRefScratch, r0, r1 int) {
	full := r.planes[interpKindFull]
	hb := r.planes[interpKindHalfH]
	hv := r.planes[interpKindHalfV]
	hj := r.planes[interpKindCenter]
	n := r.w + 2*r.pad
	if cap(sc.h1) < n+5 {
		sc.h1 = make([]int32, n+5)
	}
	h1 := sc.h1[:n+5]
	ss := r.stride
	for i := r0; i < r1; i++ {
		y := i - r.pad
		// Index of sample (-pad, y).
		o := r.origin + y*ss - r.pad
		// b over the row.
		interpRowHalfH(hb[o:o+n], full[o-2:o+n+3])
		// h1 for columns -pad-2 .. w+pad+2.
		interpRowTapV(h1, full, o-2, ss)
		dv := hv[o : o+n]
		dj := hj[o : o+n]
		for c := range dv {
			t := h1[c : c+6 : c+6]
			dv[c] = interpClip255((int(t[2]) + 16) >> 5)
			j1 := interpTap6(int(t[0]), int(t[1]), int(t[2]), int(t[3]), int(t[4]), int(t[5]))
			dj[c] = interpClip255((j1 + 512) >> 10)
		}
	}
}

// build prepares r for ref on the calling goroutine.
func (r *interpRef) build(ref *Plane, pad int) {
	r.reset(ref, pad)
	r.buildFullRows(0, r.fullRows())
	var sc interpRefScratch
	r.buildHalfRows(&sc, 0, r.halfRows())
}

// inside reports whether the w×h prediction at integer position (ix, iy)
// (plus the one extra column and row a quarter position may read) lies in
// the valid region of the planes.
func (r *interpRef) inside(ix, iy, w, h int) bool {
	return ix >= -r.pad && iy >= -r.pad && ix+w+1 <= r.w+r.pad && iy+h+1 <= r.h+r.pad
}

// view returns the w×h luma prediction of the block at (x, y) displaced by
// (mvx, mvy), byte-identical to predictLuma: either a view into one of the
// planes or, for averaged positions and blocks outside the valid region,
// buf (which must hold w×h samples at stride bufStride). The prediction's
// row r is pix[off+r*stride:].
func (r *interpRef) view(buf []uint8, bufStride, x, y, mvx, mvy, w, h int) (pix []uint8, off, stride int) {
	ix := x + mvx>>2
	iy := y + mvy>>2
	if !r.inside(ix, iy, w, h) {
		predictLuma(buf, bufStride, r.ref, x, y, mvx, mvy, w, h)
		return buf, 0, bufStride
	}
	t := &interpLumaTerms[mvy&3][mvx&3]
	oa := r.origin + (iy+int(t.a.dy))*r.stride + ix + int(t.a.dx)
	pa := r.planes[t.a.kind]
	if t.single {
		return pa, oa, r.stride
	}
	ob := r.origin + (iy+int(t.b.dy))*r.stride + ix + int(t.b.dx)
	pb := r.planes[t.b.kind]
	for row := 0; row < h; row++ {
		a := pa[oa+row*r.stride : oa+row*r.stride+w]
		b := pb[ob+row*r.stride : ob+row*r.stride+w]
		d := buf[row*bufStride : row*bufStride+w]
		a, b = a[:len(d)], b[:len(d)]
		for c := range d {
			d[c] = uint8((int(a[c]) + int(b[c]) + 1) >> 1)
		}
	}
	return buf, 0, bufStride
}

// terms returns where the prediction of the w×h block at (x, y) displaced
// by (mvx, mvy) comes from, without computing it: sample (c, r) is
// pa[oa+r*stride+c] when single, else the rounded average of that and
// pb[ob+r*stride+c]. ok is false when the block leaves the planes' valid
// region (use view or predictLuma then).
func (r *interpRef) terms(x, y, mvx, mvy, w, h int) (pa []uint8, oa int, pb []uint8, ob int, single, ok bool) {
	ix := x + mvx>>2
	iy := y + mvy>>2
	if !r.inside(ix, iy, w, h) {
		return nil, 0, nil, 0, false, false
	}
	t := &interpLumaTerms[mvy&3][mvx&3]
	oa = r.origin + (iy+int(t.a.dy))*r.stride + ix + int(t.a.dx)
	ob = r.origin + (iy+int(t.b.dy))*r.stride + ix + int(t.b.dx)
	return r.planes[t.a.kind], oa, r.planes[t.b.kind], ob, t.single, true
}

// predict writes the prediction of view into dst (row r at dst[r*dstStride:]).
func (r *interpRef) predict(dst []uint8, dstStride, x, y, mvx, mvy, w, h int) {
	pix, off, stride := r.view(dst, dstStride, x, y, mvx, mvy, w, h)
	if &pix[0] == &dst[0] && off == 0 && stride == dstStride {
		return
	}
	for row := 0; row < h; row++ {
		copy(dst[row*dstStride:row*dstStride+w], pix[off+row*stride:off+row*stride+w])
	}
}
