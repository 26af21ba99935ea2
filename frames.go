package gpuenc

import (
	"fmt"
	"image"
	"image/draw"
)

// Frames is a batch of Len() pictures of one pixel format and size, the Go
// counterpart of the (T, planes, H, W) tensors the torchaudio study writes.
//
// In host memory the pictures lie one after another, each as FFmpeg's
// "rawvideo" lays it out with no padding: planar formats plane after plane
// (yuv420p: W×H luma, then two ⌈W/2⌉×⌈H/2⌉ chroma planes), packed formats
// as rows of W pixels (rgb24: H rows of 3W bytes), nv12 as a luma plane and
// one plane of interleaved U,V. A file written by `ffmpeg -f rawvideo` holds
// exactly these bytes.
//
// Frames in CUDA device memory are described in device.go.
type Frames struct {
	format        PixelFormat
	width, height int
	count         int
	data          []byte // host frames; nil for device frames
	dev           *deviceFrames
}

// NewFrames allocates a zeroed batch of count host frames.
func NewFrames(format PixelFormat, width, height, count int) (*Frames, error) {
	if err := checkShape(format, width, height, count); err != nil {
		return nil, err
	}
	return &Frames{format: format, width: width, height: height, count: count,
		data: make([]byte, count*format.FrameSize(width, height))}, nil
}

// FramesFromBytes wraps data (not copied) as a batch of frames; its length
// must be a whole number of frames.
func FramesFromBytes(format PixelFormat, width, height int, data []byte) (*Frames, error) {
	if err := checkShape(format, width, height, 0); err != nil {
		return nil, err
	}
	size := format.FrameSize(width, height)
	if len(data)%size != 0 {
		return nil, &ShapeError{Stream: -1, Reason: fmt.Sprintf("%d bytes is not a whole number of %dx%d %s frames (%d bytes each)", len(data), width, height, format, size)}
	}
	return &Frames{format: format, width: width, height: height, count: len(data) / size, data: data}, nil
}

func checkShape(format PixelFormat, width, height, count int) error {
	if _, err := format.layout(); err != nil {
		return err
	}
	if width <= 0 || height <= 0 || width > 1<<15 || height > 1<<15 {
		return &ShapeError{Stream: -1, Reason: fmt.Sprintf("size %dx%d is out of range (1 to 32768 each way)", width, height)}
	}
	if count < 0 {
		return &ShapeError{Stream: -1, Reason: fmt.Sprintf("negative frame count %d", count)}
	}
	return nil
}

// Format is the pixel format.
func (f *Frames) Format() PixelFormat { return f.format }

// Width is the picture width in pixels.
func (f *Frames) Width() int { return f.width }

// Height is the picture height in pixels.
func (f *Frames) Height() int { return f.height }

// Len is the number of frames in the batch.
func (f *Frames) Len() int { return f.count }

// OnDevice reports whether the frames are in CUDA device memory.
func (f *Frames) OnDevice() bool { return f.dev != nil }

// Bytes returns the host frames' bytes (nil for device frames).
func (f *Frames) Bytes() []byte { return f.data }

// FrameSize is the bytes of one frame.
func (f *Frames) FrameSize() int { return f.format.FrameSize(f.width, f.height) }

// Frame returns frame i's bytes (host frames); it panics, like a slice
// index, when i is out of range.
func (f *Frames) Frame(i int) []byte {
	n := f.FrameSize()
	return f.data[i*n : (i+1)*n : (i+1)*n]
}

// Plane returns plane p of frame i, with its row length in bytes.
func (f *Frames) Plane(i, p int) (data []byte, rowBytes int) {
	fr := f.Frame(i)
	off := 0
	for q := 0; q < p; q++ {
		rb, rows := f.format.PlaneSize(q, f.width, f.height)
		off += rb * rows
	}
	rb, rows := f.format.PlaneSize(p, f.width, f.height)
	return fr[off : off+rb*rows : off+rb*rows], rb
}

// Slice returns frames [i, j) sharing memory with f. Like a slice
// expression, it panics when the range is out of bounds. Free on a slice of
// device frames frees nothing: free the batch it came from.
func (f *Frames) Slice(i, j int) *Frames {
	if i < 0 || j > f.count || i > j {
		panic(fmt.Sprintf("gpuenc: Frames.Slice(%d, %d) out of range [0, %d]", i, j, f.count))
	}
	g := *f
	g.count = j - i
	if f.dev != nil {
		d := *f.dev
		d.off += i * f.FrameSize()
		d.owned = false // the memory stays the parent's to free
		g.dev = &d
		return &g
	}
	n := f.FrameSize()
	g.data = f.data[i*n : j*n : j*n]
	return &g
}

// FramesFromImages makes a batch from images of one size. The format
// follows the first image: *image.YCbCr gives yuv420p, yuv422p or yuv444p
// (its subsampling), *image.Gray gives gray, *image.RGBA and *image.NRGBA
// give rgba (samples copied as they are, alpha included), and any other
// image is drawn into rgba. All images must have the first one's size; YCbCr
// images must also share its subsampling.
func FramesFromImages(imgs ...image.Image) (*Frames, error) {
	if len(imgs) == 0 {
		return nil, &ShapeError{Stream: -1, Reason: "no images"}
	}
	b := imgs[0].Bounds()
	var format PixelFormat
	switch m := imgs[0].(type) {
	case *image.YCbCr:
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			format = YUV420P
		case image.YCbCrSubsampleRatio422:
			format = YUV422P
		case image.YCbCrSubsampleRatio444:
			format = YUV444P
		default:
			format = RGBA
		}
	case *image.Gray:
		format = Gray
	default:
		format = RGBA
	}
	f, err := NewFrames(format, b.Dx(), b.Dy(), len(imgs))
	if err != nil {
		return nil, err
	}
	for i, img := range imgs {
		if img.Bounds().Size() != b.Size() {
			return nil, &ShapeError{Stream: -1, Reason: fmt.Sprintf("image %d is %v, image 0 is %v", i, img.Bounds().Size(), b.Size())}
		}
		if err := f.setImage(i, img); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Frames) setImage(i int, img image.Image) error {
	b := img.Bounds()
	switch f.format {
	case YUV420P, YUV422P, YUV444P:
		m, ok := img.(*image.YCbCr)
		if !ok || PixelFormatOfYCbCr(m.SubsampleRatio) != f.format {
			return &ShapeError{Stream: -1, Reason: fmt.Sprintf("image %d is not a %s image.YCbCr like image 0", i, f.format)}
		}
		copyRows(f, i, 0, m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride)
		off := m.COffset(b.Min.X, b.Min.Y)
		copyRows(f, i, 1, m.Cb[off:], m.CStride)
		copyRows(f, i, 2, m.Cr[off:], m.CStride)
	case Gray:
		m, ok := img.(*image.Gray)
		if !ok {
			return &ShapeError{Stream: -1, Reason: fmt.Sprintf("image %d is not an image.Gray like image 0", i)}
		}
		copyRows(f, i, 0, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride)
	default:
		switch m := img.(type) {
		case *image.RGBA:
			copyRows(f, i, 0, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride)
		case *image.NRGBA:
			copyRows(f, i, 0, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride)
		default:
			dst := &image.RGBA{Pix: f.Frame(i), Stride: 4 * f.width, Rect: image.Rect(0, 0, f.width, f.height)}
			draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
		}
	}
	return nil
}

// copyRows copies plane p of frame i from a strided source.
func copyRows(f *Frames, i, p int, src []byte, stride int) {
	dst, rb := f.Plane(i, p)
	for y := 0; y*rb < len(dst); y++ {
		copy(dst[y*rb:(y+1)*rb], src[y*stride:y*stride+rb])
	}
}

// PixelFormatOfYCbCr returns the planar format matching an image.YCbCr
// subsampling ratio, or "" for ratios gpuenc does not hold.
func PixelFormatOfYCbCr(r image.YCbCrSubsampleRatio) PixelFormat {
	switch r {
	case image.YCbCrSubsampleRatio420:
		return YUV420P
	case image.YCbCrSubsampleRatio422:
		return YUV422P
	case image.YCbCrSubsampleRatio444:
		return YUV444P
	}
	return ""
}

// Image returns frame i as an image sharing no memory with f: yuv formats
// (nv12 too) as *image.YCbCr, gray as *image.Gray, rgba as *image.NRGBA and
// the other RGB formats as *image.RGBA (alpha 255).
//
// image.YCbCr's own At method assumes full-range BT.601 (JPEG) samples; the
// planes are returned as stored, whatever the stream's colour metadata.
func (f *Frames) Image(i int) (image.Image, error) {
	if f.dev != nil {
		return nil, &FormatError{Format: f.format, Reason: "frames are in device memory: Download them first"}
	}
	if i < 0 || i >= f.count {
		return nil, &ShapeError{Stream: -1, Reason: fmt.Sprintf("frame %d out of range [0, %d)", i, f.count)}
	}
	r := image.Rect(0, 0, f.width, f.height)
	switch f.format {
	case YUV420P, YUV422P, YUV444P, NV12:
		ratio := map[PixelFormat]image.YCbCrSubsampleRatio{YUV420P: image.YCbCrSubsampleRatio420, NV12: image.YCbCrSubsampleRatio420,
			YUV422P: image.YCbCrSubsampleRatio422, YUV444P: image.YCbCrSubsampleRatio444}[f.format]
		m := image.NewYCbCr(r, ratio)
		y, _ := f.Plane(i, 0)
		copy(m.Y, y)
		if f.format == NV12 {
			uv, _ := f.Plane(i, 1)
			for k := range m.Cb {
				m.Cb[k], m.Cr[k] = uv[2*k], uv[2*k+1]
			}
		} else {
			u, _ := f.Plane(i, 1)
			v, _ := f.Plane(i, 2)
			copy(m.Cb, u)
			copy(m.Cr, v)
		}
		return m, nil
	case Gray:
		m := image.NewGray(r)
		copy(m.Pix, f.Frame(i))
		return m, nil
	case RGBA:
		m := image.NewNRGBA(r)
		copy(m.Pix, f.Frame(i))
		return m, nil
	}
	m := image.NewRGBA(r)
	src := f.Frame(i)
	bpp := layouts[f.format].bytesPerPixel
	ri, gi, bi := 0, 1, 2
	switch f.format {
	case BGR24, BGR0, BGRA:
		ri, bi = 2, 0
	}
	for p, q := 0, 0; p < len(src); p, q = p+bpp, q+4 {
		m.Pix[q], m.Pix[q+1], m.Pix[q+2], m.Pix[q+3] = src[p+ri], src[p+gi], src[p+bi], 255
	}
	if f.format == BGRA {
		for p, q := 3, 3; p < len(src); p, q = p+4, q+4 {
			m.Pix[q] = src[p]
		}
	}
	return m, nil
}
