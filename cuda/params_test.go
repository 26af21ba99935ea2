package cuda

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// refPack packs with explicit per-type rules, independently of packParams:
// each value at the next multiple of its size.
func refPack(t *testing.T, args []any) ([]byte, []uint32) {
	var buf bytes.Buffer
	var offs []uint32
	align := func(n int) {
		for buf.Len()%n != 0 {
			buf.WriteByte(0)
		}
		offs = append(offs, uint32(buf.Len()))
	}
	for _, a := range args {
		switch v := a.(type) {
		case uintptr:
			align(8)
			binary.Write(&buf, binary.LittleEndian, uint64(v))
		case int32, uint32, float32:
			align(4)
			binary.Write(&buf, binary.LittleEndian, v)
		case int64, uint64, float64:
			align(8)
			binary.Write(&buf, binary.LittleEndian, v)
		case *DeviceBuffer:
			align(8)
			binary.Write(&buf, binary.LittleEndian, uint64(v.Ptr))
		default:
			t.Fatalf("refPack: %T", a)
		}
	}
	for buf.Len()%8 != 0 {
		buf.WriteByte(0)
	}
	return buf.Bytes(), offs
}

func TestPackParams(t *testing.T) {
	buf := &DeviceBuffer{Ptr: 0x7f0012345678, Size: 64}
	cases := [][]any{
		nil,
		{uintptr(0xdeadbeefcafe)},
		{int32(-5)},
		{uint32(7), float32(1.5), buf},
		{int32(1), int64(-2), uint32(3), uint64(math.MaxUint64), float64(math.Pi), float32(-0.25)},
		{buf, int32(640), int32(480), uintptr(99), float32(3), float32(4), int32(-1), buf},
	}
	for i, args := range cases {
		kp, err := packParams("Launch", args)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		wantBytes, wantOffs := refPack(t, args)
		if got := kp.bytes(); !bytes.Equal(got, wantBytes) {
			t.Errorf("case %d: blob\n got %x\nwant %x", i, got, wantBytes)
		}
		if len(kp.offsets) != len(wantOffs) {
			t.Fatalf("case %d: %d offsets, want %d", i, len(kp.offsets), len(wantOffs))
		}
		for j := range wantOffs {
			if kp.offsets[j] != wantOffs[j] {
				t.Errorf("case %d arg %d: offset %d, want %d", i, j, kp.offsets[j], wantOffs[j])
			}
		}
	}
}

func TestPackParamsRejects(t *testing.T) {
	for _, args := range [][]any{
		{int(3)},
		{uint(3)},
		{"string"},
		{[]byte{1}},
		{(*DeviceBuffer)(nil)},
		{&DeviceBuffer{Ptr: 0}},
		{int16(2)},
		make([]any, maxKernelParams+1),
	} {
		if _, err := packParams("Launch", args); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("packParams(%T...) = %v, want ErrInvalidArgument", args[0], err)
		}
	}
}

func TestCheckLaunch(t *testing.T) {
	ok := []struct{ g, b Dim3 }{
		{Dim3{1, 1, 1}, Dim3{1, 1, 1}},
		{Dim3{1 << 31, 65535, 65535}, Dim3{1024, 1, 1}},
		{Dim3{7, 3, 1}, Dim3{32, 32, 1}},
	}
	for _, c := range ok {
		if err := checkLaunch(c.g, c.b, 0); err != nil {
			t.Errorf("%v %v: %v", c.g, c.b, err)
		}
	}
	bad := []struct {
		g, b Dim3
		shm  int
	}{
		{Dim3{0, 1, 1}, Dim3{1, 1, 1}, 0},
		{Dim3{1, 1, 1}, Dim3{1, 0, 1}, 0},
		{Dim3{1, 1, 1}, Dim3{1025, 1, 1}, 0},
		{Dim3{1, 1, 1}, Dim3{32, 32, 2}, 0},
		{Dim3{1, 65536, 1}, Dim3{1, 1, 1}, 0},
		{Dim3{1, 1, 1}, Dim3{1, 1, 1}, -1},
	}
	for _, c := range bad {
		if err := checkLaunch(c.g, c.b, c.shm); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%v %v %d: %v", c.g, c.b, c.shm, err)
		}
	}
}

func TestIsPTX(t *testing.T) {
	if !isPTX([]byte(".version 7.0\n")) {
		t.Error("PTX text not recognised")
	}
	if isPTX([]byte("\x7fELF\x02\x01")) {
		t.Error("ELF cubin taken for PTX")
	}
	if isPTX([]byte{0x50, 0xED, 0x55, 0xBA, 1, 0}) {
		t.Error("fatbin taken for PTX")
	}
}

func BenchmarkPackParams(b *testing.B) {
	buf := &DeviceBuffer{Ptr: 0x1000, Size: 64}
	args := []any{buf, buf, int32(1920), int32(1080), int32(2048), float32(0.5)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := packParams("Launch", args); err != nil {
			b.Fatal(err)
		}
	}
}
