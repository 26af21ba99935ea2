package gpuenc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/internal/av"
)

// deviceFrames holds frames in CUDA device memory, laid out exactly as host
// frames are (tightly packed, frame after frame: a contiguous (T, planes,
// H, W) tensor), so that a PyTorch or CuPy tensor's pointer can be wrapped
// as it is.
type deviceFrames struct {
	gpu   int
	buf   *cuda.DeviceBuffer // the whole batch
	owned bool               // allocated by gpuenc (freed by Free)
	off   int                // byte offset of frame 0 in buf (for slices)
}

// gpus holds one retained primary context and one FFmpeg CUDA device per
// GPU, opened on first use and kept for the life of the process: gpuenc's
// copies, kernels and FFmpeg's encoders all work in that one context.
var gpus struct {
	sync.Mutex
	ctx map[int]*cuda.Context
	dev map[int]*av.HWDevice
}

// gpuContext returns the shared context of GPU i.
func gpuContext(i int) (*cuda.Context, error) {
	gpus.Lock()
	defer gpus.Unlock()
	if c, ok := gpus.ctx[i]; ok {
		return c, nil
	}
	c, err := cuda.OpenContext(i)
	if err != nil {
		return nil, err
	}
	if gpus.ctx == nil {
		gpus.ctx, gpus.dev = map[int]*cuda.Context{}, map[int]*av.HWDevice{}
	}
	gpus.ctx[i] = c
	return c, nil
}

// gpuDevice returns FFmpeg's CUDA device for GPU i, built on the shared
// context.
func gpuDevice(i int) (*av.HWDevice, error) {
	c, err := gpuContext(i)
	if err != nil {
		return nil, err
	}
	gpus.Lock()
	defer gpus.Unlock()
	if d, ok := gpus.dev[i]; ok {
		return d, nil
	}
	d, err := av.NewCUDADevice(c.Handle())
	if err != nil {
		return nil, err
	}
	gpus.dev[i] = d
	return d, nil
}

// ParseHWAccel reads "cuda", "cuda:N" or "cuda:N" forms and returns N.
func ParseHWAccel(s string) (int, error) {
	name, idx, hasIdx := strings.Cut(s, ":")
	if name != "cuda" {
		return 0, &ConfigError{Field: "HWAccel", Reason: fmt.Sprintf("%q: only \"cuda\" or \"cuda:N\" (GPU N) is supported", s)}
	}
	if !hasIdx {
		return 0, nil
	}
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 {
		return 0, &ConfigError{Field: "HWAccel", Reason: fmt.Sprintf("%q: GPU index must be a number ≥ 0", s)}
	}
	return n, nil
}

// NewDeviceFrames allocates a batch of count frames in the memory of GPU
// gpu. Free releases it.
func NewDeviceFrames(gpu int, format PixelFormat, width, height, count int) (*Frames, error) {
	if err := checkShape(format, width, height, count); err != nil {
		return nil, err
	}
	c, err := gpuContext(gpu)
	if err != nil {
		return nil, err
	}
	size := count * format.FrameSize(width, height)
	buf, err := c.Alloc(max(size, 1))
	if err != nil {
		return nil, err
	}
	return &Frames{format: format, width: width, height: height, count: count, dev: &deviceFrames{gpu: gpu, buf: buf, owned: true}}, nil
}

// WrapDeviceFrames describes count frames that already lie in the memory of
// GPU gpu at ptr (a CUdeviceptr, e.g. a contiguous PyTorch tensor's
// data_ptr()), laid out as host frames are. gpuenc does not own the memory:
// the caller keeps it alive, and unchanged, until the Write that reads it
// has returned, and frees it itself. Work the caller queued on its own CUDA
// streams must be complete (synchronized) before Write is called; gpuenc's
// copies run on its own stream and are complete when Write returns.
func WrapDeviceFrames(gpu int, ptr uintptr, format PixelFormat, width, height, count int) (*Frames, error) {
	if err := checkShape(format, width, height, count); err != nil {
		return nil, err
	}
	if ptr == 0 {
		return nil, &ShapeError{Stream: -1, Reason: "nil device pointer"}
	}
	c, err := gpuContext(gpu)
	if err != nil {
		return nil, err
	}
	buf, err := c.Wrap(ptr, count*format.FrameSize(width, height), 0)
	if err != nil {
		return nil, err
	}
	return &Frames{format: format, width: width, height: height, count: count, dev: &deviceFrames{gpu: gpu, buf: buf}}, nil
}

// Upload copies host frames into newly allocated memory of GPU gpu.
func (f *Frames) Upload(gpu int) (*Frames, error) {
	if f.dev != nil {
		return nil, &FormatError{Format: f.format, Reason: "frames are already in device memory"}
	}
	d, err := NewDeviceFrames(gpu, f.format, f.width, f.height, f.count)
	if err != nil {
		return nil, err
	}
	if err := cuda.CopyHtoD(d.dev.buf, 0, f.data, nil); err != nil {
		d.Free()
		return nil, err
	}
	return d, nil
}

// Download copies device frames into new host frames.
func (f *Frames) Download() (*Frames, error) {
	if f.dev == nil {
		return nil, &FormatError{Format: f.format, Reason: "frames are already in host memory"}
	}
	h, err := NewFrames(f.format, f.width, f.height, f.count)
	if err != nil {
		return nil, err
	}
	if err := cuda.CopyDtoH(h.data, f.dev.buf, f.dev.off, nil); err != nil {
		return nil, err
	}
	return h, nil
}

// downloadFrame copies device frame i into dst (one frame's bytes).
func (f *Frames) downloadFrame(i int, dst []byte) error {
	return cuda.CopyDtoH(dst, f.dev.buf, f.dev.off+i*f.FrameSize(), nil)
}

// GPU returns the index of the GPU holding device frames, or -1 for host
// frames.
func (f *Frames) GPU() int {
	if f.dev == nil {
		return -1
	}
	return f.dev.gpu
}

// DevicePointer returns the CUdeviceptr of frame 0 (0 for host frames).
func (f *Frames) DevicePointer() uintptr {
	if f.dev == nil {
		return 0
	}
	return f.dev.buf.Ptr + uintptr(f.dev.off)
}

// Free releases device memory that gpuenc allocated (NewDeviceFrames,
// Upload). It does nothing for host frames, wrapped memory or slices.
func (f *Frames) Free() error {
	if f.dev == nil || !f.dev.owned {
		return nil
	}
	return f.dev.buf.Free()
}

// nvencCUDAFormats are the software formats NVENC takes from CUDA frames.
var nvencCUDAFormats = []PixelFormat{NV12, YUV420P, YUV444P, RGB0, BGR0, "p010le", "yuv444p16le"}

// hwInput feeds an NVENC encoder through an FFmpeg CUDA frames context in
// gpuenc's shared context: CUDA frames in the encoder's format are copied
// device to device into the pool's frames (no host copy); host frames are
// converted on the CPU if needed and uploaded once.
type hwInput struct {
	gpu     int
	format  PixelFormat // the pool's software format (the encoder's)
	frames  *av.HWFrames
	hwFrame *av.Frame
}

func newHWInput(cfg StreamConfig, encFmt PixelFormat) (*hwInput, error) {
	if !strings.HasSuffix(cfg.Encoder, "_nvenc") {
		return nil, &ConfigError{Field: "HWAccel", Reason: fmt.Sprintf("%s does not run on the GPU; HWAccel applies to the NVENC encoders (CUDA frames given to a software encoder are downloaded without it)", cfg.Encoder)}
	}
	gpu, err := ParseHWAccel(cfg.HWAccel)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(nvencCUDAFormats, encFmt) {
		return nil, &EncoderError{Encoder: cfg.Encoder, Reason: fmt.Sprintf("takes no %s from CUDA memory", encFmt), Accepts: nvencCUDAFormats}
	}
	dev, err := gpuDevice(gpu)
	if err != nil {
		return nil, err
	}
	h := &hwInput{gpu: gpu, format: encFmt}
	if h.frames, err = av.NewCUDAFrames(dev, string(encFmt), cfg.Width, cfg.Height, 0); err != nil {
		return nil, err
	}
	if h.hwFrame, err = av.NewFrame(); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// frame returns frame i as a CUDA frame ready for the encoder. in, scaler
// and conv are the encoder's host-side staging (conv is nil when no
// conversion is needed).
func (h *hwInput) frame(frames *Frames, i int, in *av.Frame, scaler *av.Scaler, conv *av.Frame) (*av.Frame, error) {
	if err := h.frames.GetBuffer(h.hwFrame); err != nil {
		return nil, err
	}
	if frames.OnDevice() {
		if frames.format != h.format {
			return nil, &FormatError{Format: frames.format, Reason: fmt.Sprintf("CUDA frames must already be in the encoder's format (%s): gpuenc does not convert on the GPU yet", h.format)}
		}
		if frames.dev.gpu != h.gpu {
			return nil, &ConfigError{Field: "HWAccel", Reason: fmt.Sprintf("frames are on GPU %d, the encoder on GPU %d", frames.dev.gpu, h.gpu)}
		}
		if err := h.copyDevice(frames, i); err != nil {
			return nil, err
		}
		return h.hwFrame, nil
	}
	if err := in.MakeWritable(); err != nil {
		return nil, err
	}
	fillFrame(in, frames, i)
	src := in
	if scaler != nil {
		if err := conv.MakeWritable(); err != nil {
			return nil, err
		}
		if err := scaler.Scale(in, conv); err != nil {
			return nil, err
		}
		src = conv
	}
	if err := av.Upload(h.hwFrame, src); err != nil {
		return nil, err
	}
	return h.hwFrame, nil
}

// copyDevice copies device frame i plane by plane into the pool frame.
func (h *hwInput) copyDevice(frames *Frames, i int) error {
	c, err := gpuContext(h.gpu)
	if err != nil {
		return err
	}
	off := frames.dev.off + i*frames.FrameSize()
	for p := 0; p < frames.format.Planes(); p++ {
		rb, rows := frames.format.PlaneSize(p, frames.width, frames.height)
		pitch := h.hwFrame.Linesize(p)
		dst, err := c.Wrap(h.hwFrame.DevicePointer(p), pitch*rows, pitch)
		if err != nil {
			return err
		}
		src, err := c.Wrap(frames.dev.buf.Ptr+uintptr(off), rb*rows, rb)
		if err != nil {
			return err
		}
		if err := cuda.CopyDtoD2D(dst, src, rb, rows, nil); err != nil {
			return err
		}
		off += rb * rows
	}
	return nil
}

func (h *hwInput) close() {
	if h == nil {
		return
	}
	h.hwFrame.Free()
	h.frames.Free()
}
