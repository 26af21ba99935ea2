package cuda

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"testing"
)

// argsFromBytes decodes fuzz input into kernel arguments: a type tag byte
// followed by 8 value bytes per argument.
func argsFromBytes(data []byte) []any {
	var args []any
	for len(data) >= 9 && len(args) < maxKernelParams {
		v := binary.LittleEndian.Uint64(data[1:9])
		switch data[0] % 8 {
		case 0:
			args = append(args, uintptr(v))
		case 1:
			args = append(args, int32(v))
		case 2:
			args = append(args, uint32(v))
		case 3:
			args = append(args, math.Float32frombits(uint32(v)))
		case 4:
			args = append(args, int64(v))
		case 5:
			args = append(args, v)
		case 6:
			args = append(args, math.Float64frombits(v))
		case 7:
			args = append(args, &DeviceBuffer{Ptr: uintptr(v) | 1, Size: 1})
		}
		data = data[9:]
	}
	return args
}

func FuzzPackParams(f *testing.F) {
	f.Add([]byte{1, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Add(bytes.Repeat([]byte{2, 0xff, 0, 0, 0, 0, 0, 0, 0, 6, 1, 2, 3, 4, 5, 6, 7, 8}, 5))
	f.Fuzz(func(t *testing.T, data []byte) {
		args := argsFromBytes(data)
		kp, err := packParams("Launch", args)
		if err != nil {
			t.Fatal(err)
		}
		wantBytes, wantOffs := refPack(t, args)
		if len(args) == 0 {
			wantBytes = nil
		}
		if got := kp.bytes(); !bytes.Equal(got, wantBytes) {
			t.Fatalf("blob\n got %x\nwant %x", got, wantBytes)
		}
		for i := range wantOffs {
			if kp.offsets[i] != wantOffs[i] {
				t.Fatalf("arg %d offset %d, want %d", i, kp.offsets[i], wantOffs[i])
			}
		}
	})
}

// big2D is check2D's rule in arbitrary precision: no overflow to reason about.
func big2D(size, pitch, w, h int) bool {
	if w < 0 || h < 0 || size < 0 || pitch < w {
		return false
	}
	if w == 0 || h == 0 {
		return true
	}
	end := new(big.Int).Mul(big.NewInt(int64(h-1)), big.NewInt(int64(pitch)))
	end.Add(end, big.NewInt(int64(w)))
	return end.Cmp(big.NewInt(int64(size))) <= 0
}

func FuzzCheck2D(f *testing.F) {
	f.Add(int64(100), int64(10), int64(10), int64(10))
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64/2), int64(1), int64(3))
	f.Add(int64(1<<40), int64(1<<20), int64(1<<20), int64(1<<20+1))
	f.Fuzz(func(t *testing.T, size, pitch, w, h int64) {
		got := check2D("t", "x", int(size), int(pitch), int(w), int(h)) == nil
		if want := big2D(int(size), int(pitch), int(w), int(h)); got != want {
			t.Fatalf("check2D(size=%d, pitch=%d, w=%d, h=%d) ok=%v, want %v", size, pitch, w, h, got, want)
		}
	})
}

func FuzzCheckRange(f *testing.F) {
	f.Add(int64(0), int64(10), int64(10))
	f.Add(int64(math.MaxInt64), int64(1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, off, n, size int64) {
		got := checkRange("t", "x", int(off), int(n), int(size)) == nil
		end := new(big.Int).Add(big.NewInt(off), big.NewInt(n))
		want := off >= 0 && n >= 0 && size >= 0 && end.Cmp(big.NewInt(size)) <= 0
		if got != want {
			t.Fatalf("checkRange(%d, %d, %d) ok=%v, want %v", off, n, size, got, want)
		}
	})
}
