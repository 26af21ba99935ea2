// The macroblock tree (x264's mbtree, after J. Garrett-Glaser, "A novel
// macroblock-tree algorithm for high-performance optimization of
// dependent video coding in H.264/AVC", 2009): a macroblock whose samples
// later pictures predict from is worth more than its own cost, so it gets
// a lower QP. From the lookahead's half-resolution analysis, walking from
// the last picture held back to the one about to be coded, each block
// passes on the share of its information that its vector's reference
// supplies,
//
//	amount = (propagated + intra) · (intra − inter) / intra
//
// (the fraction in 1/65536, computed once per picture by the analysis),
// spread over the (up to four) reference blocks its displaced block
// overlaps, by area. The picture being coded then gets, per macroblock,
//
//	offset = −strength · log2((intra + propagated) / intra),
//
// rounded, within −12..0. All integer (log2Q8 of aq.go), in Go only:
// both back ends read the offsets.

package h264

// treeStrength16 is the strength of the QP offsets in 1/16: x264's
// 5·(1 − qcomp) with its default qcomp of 0.6.
const treeStrength16 = 32

// treeReach is how many block rows away from its own a block's
// displaced copy can reach: the search range, plus one for a fractional
// overlap.
const treeReach = (laRange+laBlock-1)/laBlock + 1

// treeOffsets writes the macroblock-tree QP offsets of the oldest queued
// picture into out, from the first n queued pictures (n ≥ 1: with n = 1
// there is no later picture and every offset is 0). The work is split in
// bands of target rows, one goroutine each (up to threads) for all the
// passes: a band reads the source rows that can reach it and adds only
// what lands in it, so every sum is the same for any number of bands, and
// it starts a pass once its neighbours have finished the previous one
// (a band is at least 2·treeReach rows high, so only they reach it).
func (la *lookahead) treeOffsets(n, threads int, out []int8) error {
	for len(la.prop) < n {
		la.prop = append(la.prop, make([]uint64, la.mbW*la.mbH))
	}
	bands := max(1, min(threads, la.mbH/(2*treeReach)))
	la.bands.reset(bands)
	return runRows(bands, bands, func(_, b int) { la.treeBand(b, bands, n, out) })
}

// treeBand is band b's share of treeOffsets. Step 0 clears what reaches
// the newest picture; step k ≥ 1 propagates from picture n−k into picture
// n−k−1, reading what its neighbours' step k−1 wrote; then the band's
// offsets.
func (la *lookahead) treeBand(b, bands, n int, out []int8) {
	w := la.mbW
	r0, r1 := b*la.mbH/bands, (b+1)*la.mbH/bands
	// Whatever happens, release the neighbours at the end.
	defer la.bands.publish(b, int32(n))
	clear(la.prop[n-1][r0*w : r1*w])
	la.bands.publish(b, 1)
	for k := 1; k < n; k++ {
		if b > 0 {
			la.bands.waitFor(b-1, int32(k))
		}
		if b+1 < bands {
			la.bands.waitFor(b+1, int32(k))
		}
		j := n - k
		f, in, dst := la.queue[j], la.prop[j], la.prop[j-1]
		clear(dst[r0*w : r1*w])
		la.propagate(f, in, dst, max(0, r0-treeReach), min(la.mbH, r1+treeReach), r0, r1)
		la.bands.publish(b, int32(k+1))
	}
	f, prop := la.queue[0], la.prop[0]
	for i := r0 * w; i < r1*w; i++ {
		intra := uint64(f.intra[i])
		d := treeStrength16 * (log2Q8(intra+prop[i]) - log2Q8(intra)) // 1/4096 units, ≥ 0
		out[i] = int8(-min(12, (d+2048)>>12))
	}
}

// propagate adds to dst, rows t0..t1-1 only, what the blocks of f in rows
// s0..s1-1 pass on to their reference, given what reached them (in).
func (la *lookahead) propagate(f *laFrame, in, dst []uint64, s0, s1, t0, t1 int) {
	add := func(tx, ty int, v uint64) {
		if tx >= 0 && ty >= t0 && tx < la.mbW && ty < t1 {
			dst[ty*la.mbW+tx] += v
		}
	}
	for y := s0; y < s1; y++ {
		for x := 0; x < la.mbW; x++ {
			i := y*la.mbW + x
			frac := uint64(f.frac[i])
			if frac == 0 {
				continue
			}
			amount := (in[i] + uint64(f.intra[i])) * frac >> 16
			v := f.mv[i]
			if v.X&7 == 0 && v.Y&7 == 0 {
				// Whole blocks (a still block above all): one target.
				add(x+int(v.X>>3), y+int(v.Y>>3), amount)
				continue
			}
			px, py := laBlock*x+int(v.X), laBlock*y+int(v.Y)
			bx, by := px>>3, py>>3 // floor: px may be negative
			fx, fy := uint64(px&7), uint64(py&7)
			add(bx, by, amount*((8-fx)*(8-fy))>>6)
			if fx != 0 {
				add(bx+1, by, amount*(fx*(8-fy))>>6)
			}
			if fy != 0 {
				add(bx, by+1, amount*((8-fx)*fy)>>6)
				if fx != 0 {
					add(bx+1, by+1, amount*(fx*fy)>>6)
				}
			}
		}
	}
}
