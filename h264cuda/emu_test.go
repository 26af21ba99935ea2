package h264cuda

import (
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// emuBackend runs the kernels compiled as C (internal/cemu) on the CPU.
type emuBackend struct {
	arena *cemu.Arena
}

func (b *emuBackend) alloc(n int) (uint64, error) {
	var err error
	if b.arena, err = cemu.NewArena(n); err != nil {
		return 0, err
	}
	return b.arena.Base(), nil
}

func (b *emuBackend) host(n int) ([]byte, error) { return make([]byte, n), nil }

func (b *emuBackend) upload(off int, src []byte) error   { return b.arena.Write(off, src) }
func (b *emuBackend) download(dst []byte, off int) error { return b.arena.Read(dst, off) }
func (b *emuBackend) copyIn(off int, src uint64, n int) error {
	return b.arena.CopyFrom(off, src, n)
}
func (b *emuBackend) mark(string) error { return nil }
func (b *emuBackend) sync() error       { return nil }

// replay has nothing to capture: it runs the launches every time.
func (b *emuBackend) replay(_ string, fn func() error) error { return fn() }

func (b *emuBackend) launch(name string, n int, params int, arg int) error {
	if n <= 0 {
		return nil
	}
	blocks := (n + blockThreads - 1) / blockThreads
	return cemu.Launch(name, blocks, blockThreads, b.arena.Base()+uint64(params), n, arg)
}

func (b *emuBackend) close() error {
	if b.arena != nil {
		b.arena.Free()
	}
	return nil
}
