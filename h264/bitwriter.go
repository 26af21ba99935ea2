// Bit writer for H.264 syntax: fixed-length u(n), Exp-Golomb ue(v), se(v)
// and te(v) (ITU-T H.264 clause 7.2 and 9.1), and RBSP trailing bits
// (7.3.2.11).

package h264

import "errors"

// ErrBitValue is recorded by the bit writer when a syntax element does not
// fit its descriptor (a value wider than n bits, a negative ue(v), ...).
var ErrBitValue = errors.New("h264: syntax element value out of range")

// bitWriter appends bits MSB-first to buf through a 64-bit accumulator. Like
// bufio.Writer it keeps the first error and ignores later writes, so syntax
// code is a straight line of writes and one check at the end.
type bitWriter struct {
	buf []byte
	acc uint64 // the low n bits are pending output
	n   uint
	err error
}

// reset empties the writer, keeping its buffer.
func (w *bitWriter) reset() {
	w.buf = w.buf[:0]
	w.acc, w.n, w.err = 0, 0, nil
}

// bitLen is the number of bits written so far.
func (w *bitWriter) bitLen() int { return len(w.buf)*8 + int(w.n) }

// flushBytes moves whole bytes from the accumulator to buf.
func (w *bitWriter) flushBytes() {
	for w.n >= 8 {
		w.n -= 8
		w.buf = append(w.buf, byte(w.acc>>w.n))
	}
	w.acc &= 1<<w.n - 1
}

// u writes v in n bits, 0 <= n <= 32.
func (w *bitWriter) u(n uint, v uint32) {
	if n < 32 && v>>n != 0 {
		w.setErr(ErrBitValue)
		return
	}
	if w.n+n > 64 {
		w.flushBytes()
	}
	w.acc = w.acc<<n | uint64(v)
	w.n += n
}

// flag writes one bit.
func (w *bitWriter) flag(b bool) {
	if b {
		w.u(1, 1)
	} else {
		w.u(1, 0)
	}
}

func (w *bitWriter) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// ue writes v as an unsigned Exp-Golomb code (9.1), v < 2^32-1.
func (w *bitWriter) ue(v uint32) {
	if v == 0xffffffff {
		w.setErr(ErrBitValue)
		return
	}
	x := uint64(v) + 1
	n := uint(bitLength64(x)) // codeword is n-1 zeros then x in n bits
	if n <= 32 {
		w.u(n-1, 0)
		w.u(n, uint32(x))
		return
	}
	w.u(n-1, 0)
	w.u(1, 1)
	w.u(n-1, uint32(x))
}

// ueBits is the length of ue(v) in bits.
func ueBits(v uint32) int { return 2*bitLength64(uint64(v)+1) - 1 }

// seBits is the length of se(v) in bits.
func seBits(v int32) int { return ueBits(seMap(v)) }

func seMap(v int32) uint32 {
	if v > 0 {
		return uint32(2*int64(v) - 1)
	}
	return uint32(-2 * int64(v))
}

// se writes v as a signed Exp-Golomb code (9.1.1): k>0 maps to 2k-1, k<=0
// to -2k.
func (w *bitWriter) se(v int32) {
	if v == -1<<31 {
		w.setErr(ErrBitValue)
		return
	}
	w.ue(seMap(v))
}

// te writes a truncated Exp-Golomb code (9.1) for a value of range 0..max:
// one inverted bit when max == 1, ue(v) otherwise (nothing when max == 0).
func (w *bitWriter) te(max, v uint32) {
	switch {
	case v > max:
		w.setErr(ErrBitValue)
	case max == 0:
	case max == 1:
		w.u(1, 1-v)
	default:
		w.ue(v)
	}
}

// trailingBits writes rbsp_trailing_bits(): a one and zeros up to the next
// byte boundary (7.3.2.11).
func (w *bitWriter) trailingBits() {
	w.u(1, 1)
	if r := w.n % 8; r != 0 {
		w.u(8-r, 0)
	}
}

// byteAligned reports whether the writer sits on a byte boundary.
func (w *bitWriter) byteAligned() bool { return w.n%8 == 0 }

// bytes flushes and returns the written bytes; the writer must be byte
// aligned.
func (w *bitWriter) bytes() ([]byte, error) {
	if w.err == nil && w.n%8 != 0 {
		w.setErr(errors.New("h264: bit writer not byte aligned"))
	}
	w.flushBytes()
	return w.buf, w.err
}

// appendBits appends all bits written to o.
func (w *bitWriter) appendBits(o *bitWriter) {
	if o.err != nil {
		w.setErr(o.err)
	}
	o.flushBytes()
	if w.n%8 == 0 {
		w.flushBytes()
		w.buf = append(w.buf, o.buf...)
	} else {
		for _, b := range o.buf {
			w.u(8, uint32(b))
		}
	}
	if o.n > 0 {
		w.u(o.n, uint32(o.acc&(1<<o.n-1)))
	}
}

func bitLength64(x uint64) int {
	n := 0
	for x >= 1<<16 {
		x >>= 16
		n += 16
	}
	for x != 0 {
		x >>= 1
		n++
	}
	return n
}
