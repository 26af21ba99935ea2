// Integer transforms (ITU-T H.264 clause 8.5): the 4x4 forward core
// transform used by the encoder (the inverse of 8.5.12.2 up to scaling),
// the normative 4x4 inverse transform (8.5.12.2), and the Hadamard
// transforms of the Intra16x16 luma DC (8.5.10) and 4:2:0 chroma DC
// (8.5.11.2) coefficients. Blocks are [16]int32 in raster order.

package h264

// fdct4x4 computes the forward core transform Cf·X·Cfᵀ of a 4x4 residual
// block in place.
func fdct4x4(b *[16]int32) {
	for i := 0; i < 16; i += 4 {
		s03, d03 := b[i]+b[i+3], b[i]-b[i+3]
		s12, d12 := b[i+1]+b[i+2], b[i+1]-b[i+2]
		b[i] = s03 + s12
		b[i+1] = 2*d03 + d12
		b[i+2] = s03 - s12
		b[i+3] = d03 - 2*d12
	}
	for i := 0; i < 4; i++ {
		s03, d03 := b[i]+b[i+12], b[i]-b[i+12]
		s12, d12 := b[i+4]+b[i+8], b[i+4]-b[i+8]
		b[i] = s03 + s12
		b[i+4] = 2*d03 + d12
		b[i+8] = s03 - s12
		b[i+12] = d03 - 2*d12
	}
}

// idct4x4 is the normative inverse transform of scaled coefficients d
// (8.5.12.2): rows, then columns, then (x + 32) >> 6. The result is the
// residual, in place.
func idct4x4(d *[16]int32) {
	for i := 0; i < 16; i += 4 {
		e0 := d[i] + d[i+2]
		e1 := d[i] - d[i+2]
		e2 := d[i+1]>>1 - d[i+3]
		e3 := d[i+1] + d[i+3]>>1
		d[i] = e0 + e3
		d[i+1] = e1 + e2
		d[i+2] = e1 - e2
		d[i+3] = e0 - e3
	}
	for j := 0; j < 4; j++ {
		g0 := d[j] + d[j+8]
		g1 := d[j] - d[j+8]
		g2 := d[j+4]>>1 - d[j+12]
		g3 := d[j+4] + d[j+12]>>1
		d[j] = (g0 + g3 + 32) >> 6
		d[j+4] = (g1 + g2 + 32) >> 6
		d[j+8] = (g1 - g2 + 32) >> 6
		d[j+12] = (g0 - g3 + 32) >> 6
	}
}

// hadamard4x4 computes A·C·A with A = [[1,1,1,1],[1,1,-1,-1],[1,-1,-1,1],
// [1,-1,1,-1]] in place: the luma DC transform of 8.5.10 (its own inverse
// up to a factor 16).
func hadamard4x4(b *[16]int32) {
	for i := 0; i < 16; i += 4 {
		s01, d01 := b[i]+b[i+1], b[i]-b[i+1]
		s23, d23 := b[i+2]+b[i+3], b[i+2]-b[i+3]
		b[i] = s01 + s23
		b[i+1] = s01 - s23
		b[i+2] = d01 - d23
		b[i+3] = d01 + d23
	}
	for i := 0; i < 4; i++ {
		s01, d01 := b[i]+b[i+4], b[i]-b[i+4]
		s23, d23 := b[i+8]+b[i+12], b[i+8]-b[i+12]
		b[i] = s01 + s23
		b[i+4] = s01 - s23
		b[i+8] = d01 - d23
		b[i+12] = d01 + d23
	}
}

// hadamard2x2 computes [[1,1],[1,-1]]·C·[[1,1],[1,-1]] for the 4:2:0 chroma
// DC (8.5.11.2), C in raster order.
func hadamard2x2(c *[4]int32) {
	a, b, d, e := c[0], c[1], c[2], c[3]
	c[0] = a + b + d + e
	c[1] = a - b + d - e
	c[2] = a + b - d - e
	c[3] = a - b - d + e
}
