package gpuenc

import "fmt"

// PixelFormat names a pixel format as FFmpeg does ("yuv420p", "rgb24", ...).
type PixelFormat string

// The pixel formats that Frames can hold.
const (
	RGB24   PixelFormat = "rgb24"   // packed R,G,B, 3 bytes per pixel
	BGR24   PixelFormat = "bgr24"   // packed B,G,R
	RGBA    PixelFormat = "rgba"    // packed R,G,B,A
	BGRA    PixelFormat = "bgra"    // packed B,G,R,A
	RGB0    PixelFormat = "rgb0"    // packed R,G,B and an unused byte
	BGR0    PixelFormat = "bgr0"    // packed B,G,R and an unused byte
	Gray    PixelFormat = "gray"    // one 8-bit luma plane
	YUV420P PixelFormat = "yuv420p" // planar Y, U, V; chroma halved both ways (rounded up)
	YUV422P PixelFormat = "yuv422p" // planar Y, U, V; chroma halved horizontally
	YUV444P PixelFormat = "yuv444p" // planar Y, U, V at full size
	NV12    PixelFormat = "nv12"    // Y plane, then one plane of interleaved U,V at half size
)

// formatLayout is how a pixel format lays out its planes in memory.
type formatLayout struct {
	planes int
	// bytesPerPixel is the bytes one pixel takes in plane 0 (packed formats
	// hold all components there).
	bytesPerPixel int
	// chromaShiftX/Y are the log2 subsampling of planes 1 and 2.
	chromaShiftX, chromaShiftY int
	// chromaBytes is bytes per chroma sample position in planes >= 1 (2 for
	// NV12's interleaved U,V).
	chromaBytes int
	rgb         bool
}

var layouts = map[PixelFormat]formatLayout{
	RGB24:   {planes: 1, bytesPerPixel: 3, rgb: true},
	BGR24:   {planes: 1, bytesPerPixel: 3, rgb: true},
	RGBA:    {planes: 1, bytesPerPixel: 4, rgb: true},
	BGRA:    {planes: 1, bytesPerPixel: 4, rgb: true},
	RGB0:    {planes: 1, bytesPerPixel: 4, rgb: true},
	BGR0:    {planes: 1, bytesPerPixel: 4, rgb: true},
	Gray:    {planes: 1, bytesPerPixel: 1},
	YUV420P: {planes: 3, bytesPerPixel: 1, chromaShiftX: 1, chromaShiftY: 1, chromaBytes: 1},
	YUV422P: {planes: 3, bytesPerPixel: 1, chromaShiftX: 1, chromaBytes: 1},
	YUV444P: {planes: 3, bytesPerPixel: 1, chromaBytes: 1},
	NV12:    {planes: 2, bytesPerPixel: 1, chromaShiftX: 1, chromaShiftY: 1, chromaBytes: 2},
}

// PixelFormats lists the formats Frames can hold.
func PixelFormats() []PixelFormat {
	return []PixelFormat{RGB24, BGR24, RGBA, BGRA, RGB0, BGR0, Gray, YUV420P, YUV422P, YUV444P, NV12}
}

func (f PixelFormat) layout() (formatLayout, error) {
	l, ok := layouts[f]
	if !ok {
		return l, &FormatError{Format: f, Reason: fmt.Sprintf("not a pixel format gpuenc frames can hold (one of %v)", PixelFormats())}
	}
	return l, nil
}

// Planes returns the number of planes the format has.
func (f PixelFormat) Planes() int { return layouts[f].planes }

// IsRGB reports whether the format holds RGB samples.
func (f PixelFormat) IsRGB() bool { return layouts[f].rgb }

// PlaneSize returns the width in bytes and the height in rows of plane p of
// a width×height picture in this format, tightly packed.
func (f PixelFormat) PlaneSize(p, width, height int) (rowBytes, rows int) {
	l := layouts[f]
	if p == 0 {
		return width * l.bytesPerPixel, height
	}
	cw := (width + (1 << l.chromaShiftX) - 1) >> l.chromaShiftX
	ch := (height + (1 << l.chromaShiftY) - 1) >> l.chromaShiftY
	return cw * l.chromaBytes, ch
}

// FrameSize returns the bytes one tightly packed width×height picture
// takes in this format.
func (f PixelFormat) FrameSize(width, height int) int {
	n := 0
	for p := 0; p < f.Planes(); p++ {
		rb, rows := f.PlaneSize(p, width, height)
		n += rb * rows
	}
	return n
}
