package cuda

import (
	"errors"
	"math"
	"testing"
)

// refRange is the obviously-correct rule: every byte off..off+n-1 lies in
// [0, size), with non-negative inputs.
func refRange(off, n, size int) bool {
	if off < 0 || n < 0 || size < 0 {
		return false
	}
	for i := off; i < off+n; i++ {
		if i >= size {
			return false
		}
	}
	return off <= size
}

func TestCheckRangeExhaustive(t *testing.T) {
	for size := -2; size <= 9; size++ {
		for off := -2; off <= 11; off++ {
			for n := -2; n <= 11; n++ {
				err := checkRange("t", "x", off, n, size)
				if want := refRange(off, n, size); (err == nil) != want {
					t.Fatalf("checkRange(off=%d, n=%d, size=%d) = %v, want ok=%v", off, n, size, err, want)
				}
				if err != nil && !errors.Is(err, ErrInvalidArgument) {
					t.Fatalf("error %v is not ErrInvalidArgument", err)
				}
			}
		}
	}
}

// ref2D touches every byte of the region.
func ref2D(size, pitch, w, h int) bool {
	if w < 0 || h < 0 || size < 0 || pitch < w {
		return false
	}
	for r := 0; r < h; r++ {
		for c := 0; c < w; c++ {
			if r*pitch+c >= size {
				return false
			}
		}
	}
	return true
}

func TestCheck2DExhaustive(t *testing.T) {
	for size := -1; size <= 40; size++ {
		for pitch := -1; pitch <= 9; pitch++ {
			for w := -1; w <= 9; w++ {
				for h := -1; h <= 6; h++ {
					err := check2D("t", "x", size, pitch, w, h)
					if want := ref2D(size, pitch, w, h); (err == nil) != want {
						t.Fatalf("check2D(size=%d, pitch=%d, w=%d, h=%d) = %v, want ok=%v", size, pitch, w, h, err, want)
					}
				}
			}
		}
	}
}

func TestBoundsOverflow(t *testing.T) {
	if checkRange("t", "x", math.MaxInt, math.MaxInt, math.MaxInt) == nil {
		t.Error("checkRange overflow accepted")
	}
	if checkRange("t", "x", 1, math.MaxInt, 100) == nil {
		t.Error("checkRange wraparound accepted")
	}
	if check2D("t", "x", 1<<40, math.MaxInt/2, 1, 4) == nil {
		t.Error("check2D overflow accepted")
	}
	if check2D("t", "x", math.MaxInt, math.MaxInt, math.MaxInt, 2) == nil {
		t.Error("check2D overflow accepted")
	}
}

// fakeBuffer is a buffer whose context was never opened: any call that
// reaches the driver fails, so these tests prove the Go-side checks fire
// first.
func fakeBuffer(size, pitch int) *DeviceBuffer {
	return &DeviceBuffer{Ptr: 0x10000, Size: size, Pitch: pitch, ctx: &Context{handle: 0}}
}

func TestCopyArgumentValidation(t *testing.T) {
	var nilBuf *DeviceBuffer
	if err := CopyHtoD(nilBuf, 0, []byte{1}, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil buffer: %v", err)
	}
	freed := &DeviceBuffer{Size: 16}
	if err := CopyHtoD(freed, 0, []byte{1}, nil); !errors.Is(err, ErrFreed) {
		t.Errorf("freed buffer: %v", err)
	}
	if err := CopyDtoH(make([]byte, 4), freed, 0, nil); !errors.Is(err, ErrFreed) {
		t.Errorf("freed buffer: %v", err)
	}
	// A buffer whose context is closed reports ErrFreed before any bounds check.
	b := fakeBuffer(16, 0)
	if err := CopyHtoD(b, 0, make([]byte, 4), nil); !errors.Is(err, ErrFreed) {
		t.Errorf("closed context: %v", err)
	}
	if err := (&Context{}).Synchronize(); !errors.Is(err, ErrFreed) {
		t.Errorf("closed context Synchronize: %v", err)
	}
	if _, err := (&Context{}).Alloc(0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Alloc(0): %v", err)
	}
	if _, err := (&Context{}).AllocPitch(0, 5); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AllocPitch(0,5): %v", err)
	}
	if _, err := (&Context{}).AllocHost(0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("AllocHost(0): %v", err)
	}
	if _, _, err := (&Context{}).MemInfo(); !errors.Is(err, ErrFreed) {
		t.Errorf("MemInfo on closed context: %v", err)
	}
	if err := (&HostBuffer{}).Free(); err != nil {
		t.Errorf("free of empty HostBuffer: %v", err)
	}
	if (&HostBuffer{}).Bytes() != nil {
		t.Error("Bytes of empty HostBuffer")
	}
	if _, err := (&Context{}).Wrap(0, 5, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Wrap(nil): %v", err)
	}
	if _, err := (&Context{}).Wrap(0x1000, 5, 6); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Wrap(pitch>size): %v", err)
	}
	if _, err := (&Context{}).Wrap(0x1000, 5, 0); !errors.Is(err, ErrFreed) {
		t.Errorf("Wrap on closed context: %v", err)
	}
	if err := (&Context{}).Do(func() error { t.Error("Do ran f on a closed context"); return nil }); !errors.Is(err, ErrFreed) {
		t.Errorf("Do on closed context: %v", err)
	}
}

func TestFreeIsIdempotent(t *testing.T) {
	// A wrapped (not owned) buffer frees without touching the driver.
	b := &DeviceBuffer{Ptr: 0x1000, Size: 8, ctx: &Context{handle: 0}}
	if err := b.Free(); err != nil {
		t.Fatal(err)
	}
	if b.Ptr != 0 {
		t.Error("Ptr not cleared")
	}
	if err := b.Free(); err != nil {
		t.Error(err)
	}
	s := &Stream{}
	if err := s.Destroy(); err != nil {
		t.Error(err)
	}
	if err := s.Synchronize(); !errors.Is(err, ErrFreed) {
		t.Errorf("destroyed stream: %v", err)
	}
	e := &Event{}
	if err := e.Destroy(); err != nil {
		t.Error(err)
	}
	if err := e.Record(nil); !errors.Is(err, ErrFreed) {
		t.Errorf("destroyed event: %v", err)
	}
	m := &Module{}
	if err := m.Unload(); err != nil {
		t.Error(err)
	}
	if _, err := m.Function("k"); !errors.Is(err, ErrFreed) {
		t.Errorf("unloaded module: %v", err)
	}
}
