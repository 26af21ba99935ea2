package h264

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"
)

// unescape removes emulation prevention bytes (7.4.1: 0x000003 → 0x0000).
func unescape(b []byte) []byte {
	var out []byte
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		out = append(out, c)
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

func TestEmulationPrevention(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		rbsp := make([]byte, r.Intn(40))
		for i := range rbsp {
			rbsp[i] = []byte{0, 0, 0, 1, 2, 3, 4, 0x80}[r.Intn(8)]
		}
		if len(rbsp) > 0 && rbsp[len(rbsp)-1] == 0 {
			rbsp[len(rbsp)-1] = 0x80 // an RBSP ends with its stop bit
		}
		nal := appendNAL(nil, 3, 5, rbsp)
		body := nal[1:]
		for i := 0; i+2 < len(body); i++ {
			if body[i] == 0 && body[i+1] == 0 && body[i+2] <= 2 {
				t.Fatalf("start code emulation in %x", body)
			}
		}
		if !bytes.Equal(unescape(body), rbsp) {
			t.Fatalf("unescape(%x) != %x", body, rbsp)
		}
	}
}

// appendNALByteByByte is 7.4.1's emulation prevention written as the
// plain byte loop: what appendNAL must produce.
func appendNALByteByByte(dst []byte, refIdc, nalType int, rbsp []byte) []byte {
	dst = append(dst, byte(refIdc&3)<<5|byte(nalType&31))
	zeros := 0
	for _, b := range rbsp {
		if zeros >= 2 && b <= 3 {
			dst = append(dst, 3)
			zeros = 0
		}
		dst = append(dst, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return dst
}

// TestEmulationPreventionExact compares appendNAL with the byte loop on
// RBSPs rich in zeros and small bytes (runs of zeros, a zero pair at the
// end, none at all), so that a byte inserted where none is due (which
// TestEmulationPrevention's round trip would not see) fails too.
func TestEmulationPreventionExact(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	cases := [][]byte{nil, {0}, {0, 0}, {0, 0, 0}, {0, 0, 3}, {0, 0, 4}, {0, 0, 0, 0, 0, 0, 1}, {1, 0, 0}, {0, 0, 0x80, 0, 0, 2}}
	for n := 0; n < 5000; n++ {
		rbsp := make([]byte, r.Intn(300))
		zeros := r.Intn(4) // how often a zero comes
		for i := range rbsp {
			switch {
			case r.Intn(4) < zeros:
				rbsp[i] = 0
			case r.Intn(2) == 0:
				rbsp[i] = byte(r.Intn(5))
			default:
				rbsp[i] = byte(r.Intn(256))
			}
		}
		cases = append(cases, rbsp)
	}
	for _, rbsp := range cases {
		prefix := []byte{9, 9}
		got := appendNAL(bytes.Clone(prefix), 2, 1, rbsp)
		want := appendNALByteByByte(bytes.Clone(prefix), 2, 1, rbsp)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendNAL(%x) = %x, want %x", rbsp, got, want)
		}
	}
}

// BenchmarkAppendNAL times emulation prevention over 64 KB of slice-like
// data (zero pairs now and then) against the plain byte loop.
func BenchmarkAppendNAL(b *testing.B) {
	r := rand.New(rand.NewSource(3))
	rbsp := make([]byte, 64<<10)
	r.Read(rbsp)
	for i := 0; i < len(rbsp); i += 200 + r.Intn(2000) {
		rbsp[i] = 0 // a zero pair with a small byte after it, now and then
		if i+2 < len(rbsp) {
			rbsp[i+1], rbsp[i+2] = 0, byte(r.Intn(4))
		}
	}
	dst := make([]byte, 0, 2*len(rbsp))
	for _, bc := range []struct {
		name string
		fn   func([]byte, int, int, []byte) []byte
	}{{"appendNAL", appendNAL}, {"byteByByte", appendNALByteByByte}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(rbsp)))
			for b.Loop() {
				dst = bc.fn(dst[:0], 3, 1, rbsp)
			}
		})
	}
}

func TestAnnexBToAVCC(t *testing.T) {
	enc, err := NewEncoder(Options{Width: 32, Height: 32, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	au, err := enc.Encode(synthFrame(32, 32, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	nals, err := SplitAnnexB(au.Data)
	if err != nil || len(nals) != 3 || nals[0][0]&31 != nalSPS || nals[1][0]&31 != nalPPS || nals[2][0]&31 != nalSliceIDR {
		t.Fatalf("IDR access unit NAL units: %d, %v", len(nals), err)
	}
	avcc, err := AnnexBToAVCC(au.Data)
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint32(avcc); int(n) != len(avcc)-4 || !bytes.Equal(avcc[4:], nals[2]) {
		t.Fatalf("AVCC sample does not hold exactly the slice")
	}
	all, _ := ConvertToAVCC(au.Data)
	if len(all) != len(nals[0])+len(nals[1])+len(nals[2])+12 {
		t.Fatalf("ConvertToAVCC length %d", len(all))
	}
	sps, pps := enc.Headers()
	rec := AVCDecoderConfigurationRecord(sps, pps)
	if rec[0] != 1 || rec[1] != profileBaseline || rec[2] != spsConstraintFlags || rec[4] != 0xff || rec[5] != 0xe1 {
		t.Fatalf("avcC header % x", rec[:6])
	}
	if int(binary.BigEndian.Uint16(rec[6:])) != len(sps) || !bytes.Equal(rec[8:8+len(sps)], sps) {
		t.Fatal("avcC SPS")
	}
	p := rec[8+len(sps):]
	if p[0] != 1 || int(binary.BigEndian.Uint16(p[1:])) != len(pps) || !bytes.Equal(p[3:], pps) {
		t.Fatal("avcC PPS")
	}
	if _, err := SplitAnnexB([]byte{1, 2, 3}); err == nil {
		t.Fatal("SplitAnnexB accepted a stream without start codes")
	}
}
