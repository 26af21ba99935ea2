package cuda

import (
	"encoding/binary"
	"math"
)

// maxKernelParams bounds the number of kernel arguments (the driver's own
// limit is on bytes: 32764 on Volta and newer; 256 arguments is far below).
const maxKernelParams = 256

// kernelParams is the packed form of a kernel's arguments: every value
// stored little-endian in one buffer at an offset aligned to its size, the
// C side pointing kernelParams[i] at blob+offsets[i]. The buffer holds no
// Go pointers, so it may be handed to C for the launch.
type kernelParams struct {
	blob    []uint64 // 8-byte aligned backing store
	offsets []uint32
}

// bytes returns the blob as bytes.
func (k *kernelParams) bytes() []byte {
	b := make([]byte, 8*len(k.blob))
	for i, w := range k.blob {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

// packParams packs Launch's arguments. Accepted types: uintptr, int32,
// uint32, float32, int64, uint64, float64 and *DeviceBuffer (its device
// pointer). Plain int and uint are refused: their width on the device would
// be a guess, so the caller must say int32 or int64.
func packParams(op string, args []any) (kernelParams, error) {
	if len(args) > maxKernelParams {
		return kernelParams{}, argErr(op, "%d kernel arguments exceed the limit of %d", len(args), maxKernelParams)
	}
	var bytes []byte
	offsets := make([]uint32, 0, len(args))
	put := func(size int, v uint64) {
		for len(bytes)%size != 0 {
			bytes = append(bytes, 0)
		}
		offsets = append(offsets, uint32(len(bytes)))
		for i := range size {
			bytes = append(bytes, byte(v>>(8*i)))
		}
	}
	for i, a := range args {
		switch v := a.(type) {
		case uintptr:
			put(8, uint64(v))
		case int32:
			put(4, uint64(uint32(v)))
		case uint32:
			put(4, uint64(v))
		case float32:
			put(4, uint64(math.Float32bits(v)))
		case int64:
			put(8, uint64(v))
		case uint64:
			put(8, v)
		case float64:
			put(8, math.Float64bits(v))
		case *DeviceBuffer:
			if v == nil {
				return kernelParams{}, argErr(op, "argument %d: nil *DeviceBuffer", i)
			}
			v.mu.Lock()
			p := v.Ptr
			v.mu.Unlock()
			if p == 0 {
				return kernelParams{}, argErr(op, "argument %d: freed *DeviceBuffer", i)
			}
			put(8, uint64(p))
		case int, uint:
			return kernelParams{}, argErr(op, "argument %d: %T has no fixed device width; use int32/int64 or uint32/uint64", i, a)
		default:
			return kernelParams{}, argErr(op, "argument %d: unsupported type %T", i, a)
		}
	}
	blob := make([]uint64, (len(bytes)+7)/8)
	for i := range len(bytes) {
		blob[i/8] |= uint64(bytes[i]) << (8 * (i % 8))
	}
	return kernelParams{blob: blob, offsets: offsets}, nil
}
