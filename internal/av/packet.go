package av

/*
#include "shim.h"
*/
import "C"

import "unsafe"

// Packet is an AVPacket.
type Packet struct{ p *C.AVPacket }

// NewPacket allocates an empty packet.
func NewPacket() (*Packet, error) {
	p := C.av_packet_alloc()
	if p == nil {
		return nil, ErrNoMem
	}
	return &Packet{p: p}, nil
}

// Free releases the packet.
func (p *Packet) Free() {
	if p != nil && p.p != nil {
		C.av_packet_free(&p.p)
	}
}

// Unref drops the packet's data, keeping the packet for reuse.
func (p *Packet) Unref() { C.av_packet_unref(p.p) }

// SetData replaces the packet's payload with a copy of b.
func (p *Packet) SetData(b []byte) error {
	C.av_packet_unref(p.p)
	if err := check("av_new_packet", C.av_new_packet(p.p, C.int(len(b)))); err != nil {
		return err
	}
	if len(b) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(p.p.data)), len(b)), b)
	}
	return nil
}

// Data is the payload (valid until the next Unref).
func (p *Packet) Data() []byte {
	if p.p.data == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p.p.data)), int(p.p.size))
}

// Size is the payload length.
func (p *Packet) Size() int { return int(p.p.size) }

// SetTimes sets pts, dts and duration.
func (p *Packet) SetTimes(pts, dts, duration int64) {
	p.p.pts, p.p.dts, p.p.duration = C.int64_t(pts), C.int64_t(dts), C.int64_t(duration)
}

// SetKey marks the packet as a keyframe.
func (p *Packet) SetKey(key bool) {
	if key {
		p.p.flags |= C.AV_PKT_FLAG_KEY
	} else {
		p.p.flags &^= C.AV_PKT_FLAG_KEY
	}
}

// Key reports whether the packet is a keyframe.
func (p *Packet) Key() bool { return p.p.flags&C.AV_PKT_FLAG_KEY != 0 }

// StreamIndex is the stream the packet belongs to.
func (p *Packet) StreamIndex() int { return int(p.p.stream_index) }

// SetStreamIndex sets the stream the packet belongs to.
func (p *Packet) SetStreamIndex(i int) { p.p.stream_index = C.int(i) }

// RescaleTimes converts the packet's times from one time base to another.
func (p *Packet) RescaleTimes(from, to Rational) { C.av_packet_rescale_ts(p.p, from.c(), to.c()) }
