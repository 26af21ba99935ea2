package cuda

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestGPUGraphReplay captures two kernel launches (add 1, then add
// 0x10000) and replays them three times: every element ends 3·0x10001
// above its start, and work queued outside the graph runs in order with
// it. A failing capture returns fn's error and leaves the stream usable.
func TestGPUGraphReplay(t *testing.T) {
	ctx := gpuContext(t)
	mod, err := ctx.LoadPTX(addPTX)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Unload()
	add, err := mod.Function("add_u32")
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	buf, err := ctx.Alloc(4 * n)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	host := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(host[4*i:], uint32(i*7))
	}
	s, err := ctx.NewStream()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Destroy()
	if err := CopyHtoD(buf, 0, host, s); err != nil {
		t.Fatal(err)
	}
	grid := Dim3{(n + 255) / 256, 1, 1}
	g, err := s.Capture(func() error {
		if err := add.Launch(grid, Dim3{256, 1, 1}, 0, s, buf, uint32(n), uint32(1)); err != nil {
			return err
		}
		return add.Launch(grid, Dim3{256, 1, 1}, 0, s, buf, uint32(n), uint32(0x10000))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Destroy()
	// Capturing ran nothing.
	got := make([]byte, 4*n)
	if err := CopyDtoH(got, buf, 0, s); err != nil {
		t.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(host) {
		t.Fatal("capturing changed the buffer")
	}
	for k := 0; k < 3; k++ {
		if err := g.Launch(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyDtoH(got, buf, 0, s); err != nil {
		t.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if v, want := binary.LittleEndian.Uint32(got[4*i:]), uint32(i*7+3*0x10001); v != want {
			t.Fatalf("element %d: %#x after three replays, want %#x", i, v, want)
		}
	}
	boom := errors.New("boom")
	if _, err := s.Capture(func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing capture: %v, want boom", err)
	}
	if err := add.Launch(grid, Dim3{256, 1, 1}, 0, s, buf, uint32(n), uint32(1)); err != nil {
		t.Fatalf("stream after a failed capture: %v", err)
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	if err := g.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := g.Launch(s); !errors.Is(err, ErrFreed) {
		t.Fatalf("Launch after Destroy: %v, want ErrFreed", err)
	}
}

// BenchmarkGPUGraphLaunch compares 100 empty-ish kernel launches queued
// one by one with the same 100 replayed as one graph (per 100 launches).
func BenchmarkGPUGraphLaunch(b *testing.B) {
	ctx := gpuContext(b)
	mod, err := ctx.LoadPTX(addPTX)
	if err != nil {
		b.Fatal(err)
	}
	defer mod.Unload()
	add, err := mod.Function("add_u32")
	if err != nil {
		b.Fatal(err)
	}
	buf, err := ctx.Alloc(1024)
	if err != nil {
		b.Fatal(err)
	}
	defer buf.Free()
	s, err := ctx.NewStream()
	if err != nil {
		b.Fatal(err)
	}
	defer s.Destroy()
	queue := func() error {
		for k := 0; k < 100; k++ {
			if err := add.Launch(Dim3{1, 1, 1}, Dim3{256, 1, 1}, 0, s, buf, uint32(256), uint32(1)); err != nil {
				return err
			}
		}
		return nil
	}
	b.Run("launches", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := queue(); err != nil {
				b.Fatal(err)
			}
			if err := s.Synchronize(); err != nil {
				b.Fatal(err)
			}
		}
	})
	g, err := s.Capture(queue)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Destroy()
	b.Run("graph", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := g.Launch(s); err != nil {
				b.Fatal(err)
			}
			if err := s.Synchronize(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
