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
// be a guess, so the caller must say int32 or int64. Every argument takes
// at most 8 bytes including alignment padding, so len(args) words suffice.
func packParams(op string, args []any) (kernelParams, error) {
	if len(args) > maxKernelParams {
		return kernelParams{}, argErr(op, "%d kernel arguments exceed the limit of %d", len(args), maxKernelParams)
	}
	if len(args) == 0 {
		return kernelParams{}, nil
	}
	kp := kernelParams{blob: make([]uint64, len(args)), offsets: make([]uint32, len(args))}
	off := 0 // next free byte
	for i, a := range args {
		var v uint64
		size := 8
		switch x := a.(type) {
		case uintptr:
			v = uint64(x)
		case int32:
			v, size = uint64(uint32(x)), 4
		case uint32:
			v, size = uint64(x), 4
		case float32:
			v, size = uint64(math.Float32bits(x)), 4
		case int64:
			v = uint64(x)
		case uint64:
			v = x
		case float64:
			v = math.Float64bits(x)
		case *DeviceBuffer:
			if x == nil {
				return kernelParams{}, argErr(op, "argument %d: nil *DeviceBuffer", i)
			}
			x.mu.Lock()
			p := x.Ptr
			x.mu.Unlock()
			if p == 0 {
				return kernelParams{}, argErr(op, "argument %d: freed *DeviceBuffer", i)
			}
			v = uint64(p)
		case int, uint:
			return kernelParams{}, argErr(op, "argument %d: %T has no fixed device width; use int32/int64 or uint32/uint64", i, a)
		default:
			return kernelParams{}, argErr(op, "argument %d: unsupported type %T", i, a)
		}
		off = (off + size - 1) &^ (size - 1)
		kp.offsets[i] = uint32(off)
		kp.blob[off/8] |= v << (8 * (off % 8)) // a 4-byte value at off%8 == 4 fills the high half
		off += size
	}
	kp.blob = kp.blob[:(off+7)/8]
	return kp, nil
}
