package h264

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzBitWriter writes a random sequence of u(n), ue(v) and se(v) elements
// described by the input, reads it back with the test reader and compares.
func FuzzBitWriter(f *testing.F) {
	f.Add([]byte{0, 3, 5, 1, 0, 0, 0, 9, 2, 0xff, 0xff, 0xff, 0xf0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xfe, 2, 0x80, 0, 0, 1})
	f.Add(bytes.Repeat([]byte{0, 32, 0xde, 0xad, 0xbe, 0xef}, 20))
	f.Fuzz(func(t *testing.T, in []byte) {
		type elem struct {
			kind int
			n    int
			v    uint32
		}
		var elems []elem
		var w bitWriter
		for len(in) >= 5 {
			kind := int(in[0] % 3)
			v := binary.BigEndian.Uint32(in[1:5])
			in = in[5:]
			switch kind {
			case 0:
				n := int(v>>27) + 1 // 1..32 bits
				if n < 32 {
					v &= 1<<n - 1
				}
				w.u(uint(n), v)
				elems = append(elems, elem{0, n, v})
			case 1:
				if v == 0xffffffff {
					v--
				}
				w.ue(v)
				elems = append(elems, elem{1, 0, v})
			case 2:
				sv := int32(v)
				if sv == -1<<31 {
					sv++
				}
				w.se(sv)
				elems = append(elems, elem{2, 0, uint32(sv)})
			}
		}
		n := w.bitLen()
		w.trailingBits()
		b, err := w.bytes()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != (n+8)/8 {
			t.Fatalf("%d bits took %d bytes", n, len(b))
		}
		r := bitReader{b: b}
		for i, e := range elems {
			switch e.kind {
			case 0:
				if got := r.u(e.n); got != e.v {
					t.Fatalf("element %d u(%d): got %d want %d", i, e.n, got, e.v)
				}
			case 1:
				start := r.pos
				if got := r.ue(); got != e.v || r.pos-start != ueBits(e.v) {
					t.Fatalf("element %d ue: got %d want %d", i, got, e.v)
				}
			case 2:
				if got := r.se(); got != int32(e.v) {
					t.Fatalf("element %d se: got %d want %d", i, got, int32(e.v))
				}
			}
		}
		if r.pos != n || r.err != nil {
			t.Fatalf("read %d bits of %d (%v)", r.pos, n, r.err)
		}
	})
}

func TestBitWriterErrors(t *testing.T) {
	var w bitWriter
	w.u(3, 8)
	w.u(1, 1)
	if _, err := w.bytes(); !errors.Is(err, ErrBitValue) {
		t.Fatalf("want ErrBitValue, got %v", err)
	}
	w.reset()
	w.u(3, 1)
	if _, err := w.bytes(); err == nil {
		t.Fatal("unaligned bytes() did not fail")
	}
	w.reset()
	w.te(1, 0)
	w.te(1, 1)
	w.te(5, 3)
	w.te(0, 0)
	w.u(1, 0)
	b, err := w.bytes()
	if err != nil || bitString(b, 8) != "10001000" {
		t.Fatalf("te: %s %v", bitString(b, 8), err)
	}
}

func TestAppendBits(t *testing.T) {
	var a, b, c bitWriter
	for i := 0; i < 100; i++ {
		a.u(uint(i%13+1), uint32(i)&(1<<(i%13+1)-1))
	}
	b.u(3, 5)
	b.appendBits(&a)
	c.u(3, 5)
	for i := 0; i < 100; i++ {
		c.u(uint(i%13+1), uint32(i)&(1<<(i%13+1)-1))
	}
	b.trailingBits()
	c.trailingBits()
	x, _ := b.bytes()
	y, _ := c.bytes()
	if !bytes.Equal(x, y) {
		t.Fatal("appendBits differs from writing directly")
	}
}
