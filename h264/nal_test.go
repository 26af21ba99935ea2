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
