package quality

import (
	"errors"
	"fmt"
)

// Plane is one plane of 8-bit samples: sample (x, y) is Pix[y*Stride+x].
type Plane struct {
	// Width and Height are the plane's size in samples.
	Width, Height int
	// Stride is the distance in Pix between vertically adjacent samples;
	// it is at least Width.
	Stride int
	// Pix holds the samples; it has at least (Height-1)*Stride+Width
	// elements.
	Pix []uint8
}

// row returns the samples of row y, exactly Width of them.
func (p *Plane) row(y int) []uint8 {
	o := y * p.Stride
	return p.Pix[o : o+p.Width : o+p.Width]
}

// Sentinel errors; the typed errors below wrap one of them, so callers can
// test with errors.Is and inspect details with errors.As.
var (
	// ErrInvalidPlane: a plane's size, stride or buffer is inconsistent.
	ErrInvalidPlane = errors.New("quality: invalid plane")
	// ErrPlaneCount: reference and distorted frames have different numbers
	// of planes, or none.
	ErrPlaneCount = errors.New("quality: plane count mismatch")
	// ErrSizeMismatch: a reference plane and its distorted plane differ in
	// size.
	ErrSizeMismatch = errors.New("quality: plane size mismatch")
	// ErrGeometryChange: a frame's planes differ in number or size from the
	// first frame measured.
	ErrGeometryChange = errors.New("quality: frame geometry changed")
	// ErrFrameCount: reference and distorted sequences have different
	// numbers of frames.
	ErrFrameCount = errors.New("quality: frame count mismatch")
)

// InvalidPlaneError reports a plane whose fields are inconsistent.
type InvalidPlaneError struct {
	Frame, Plane int    // indices; Frame is -1 outside a sequence
	Dist         bool   // true for the distorted side, false for the reference
	Reason       string // what is wrong
}

// Error describes the problem.
func (e *InvalidPlaneError) Error() string {
	side := "reference"
	if e.Dist {
		side = "distorted"
	}
	return fmt.Sprintf("quality: frame %d %s plane %d: %s", e.Frame, side, e.Plane, e.Reason)
}

// Unwrap returns ErrInvalidPlane.
func (e *InvalidPlaneError) Unwrap() error { return ErrInvalidPlane }

// PlaneCountError reports frames whose numbers of planes differ or are 0.
type PlaneCountError struct {
	Frame     int // -1 outside a sequence
	Ref, Dist int // numbers of planes
}

// Error describes the problem.
func (e *PlaneCountError) Error() string {
	return fmt.Sprintf("quality: frame %d: reference has %d planes, distorted has %d", e.Frame, e.Ref, e.Dist)
}

// Unwrap returns ErrPlaneCount.
func (e *PlaneCountError) Unwrap() error { return ErrPlaneCount }

// SizeMismatchError reports a reference plane and distorted plane of
// different sizes.
type SizeMismatchError struct {
	Frame, Plane int // indices; Frame is -1 outside a sequence
	RefW, RefH   int // reference plane size
	DistW, DistH int // distorted plane size
}

// Error describes the problem.
func (e *SizeMismatchError) Error() string {
	return fmt.Sprintf("quality: frame %d plane %d: reference is %dx%d, distorted is %dx%d",
		e.Frame, e.Plane, e.RefW, e.RefH, e.DistW, e.DistH)
}

// Unwrap returns ErrSizeMismatch.
func (e *SizeMismatchError) Unwrap() error { return ErrSizeMismatch }

// GeometryChangeError reports a frame whose planes differ from those of the
// first frame of the sequence.
type GeometryChangeError struct {
	Frame int
	Want  []Size // plane sizes of the first frame
	Got   []Size // plane sizes of this frame
}

// Size is a plane's width and height.
type Size struct{ Width, Height int }

// Error describes the problem.
func (e *GeometryChangeError) Error() string {
	return fmt.Sprintf("quality: frame %d has planes %v, first frame had %v", e.Frame, e.Got, e.Want)
}

// Unwrap returns ErrGeometryChange.
func (e *GeometryChangeError) Unwrap() error { return ErrGeometryChange }

// FrameCountError reports sequences of different lengths.
type FrameCountError struct{ Ref, Dist int }

// Error describes the problem.
func (e *FrameCountError) Error() string {
	return fmt.Sprintf("quality: reference has %d frames, distorted has %d", e.Ref, e.Dist)
}

// Unwrap returns ErrFrameCount.
func (e *FrameCountError) Unwrap() error { return ErrFrameCount }

// checkPlane validates one plane's fields.
func checkPlane(p *Plane, frame, idx int, dist bool) error {
	reason := ""
	switch {
	case p.Width <= 0 || p.Height <= 0:
		reason = fmt.Sprintf("size %dx%d is not positive", p.Width, p.Height)
	case p.Stride < p.Width:
		reason = fmt.Sprintf("stride %d is less than width %d", p.Stride, p.Width)
	case len(p.Pix) < p.Width || (len(p.Pix)-p.Width)/p.Stride < p.Height-1: // overflow-safe form of len < (H-1)*Stride+W
		reason = fmt.Sprintf("buffer has %d samples, too few for %d rows of stride %d", len(p.Pix), p.Height, p.Stride)
	default:
		return nil
	}
	return &InvalidPlaneError{Frame: frame, Plane: idx, Dist: dist, Reason: reason}
}

// checkFrame validates a reference/distorted pair of frames.
func checkFrame(ref, dist []Plane, frame int) error {
	if len(ref) != len(dist) || len(ref) == 0 {
		return &PlaneCountError{Frame: frame, Ref: len(ref), Dist: len(dist)}
	}
	for i := range ref {
		if err := checkPlane(&ref[i], frame, i, false); err != nil {
			return err
		}
		if err := checkPlane(&dist[i], frame, i, true); err != nil {
			return err
		}
		if ref[i].Width != dist[i].Width || ref[i].Height != dist[i].Height {
			return &SizeMismatchError{Frame: frame, Plane: i,
				RefW: ref[i].Width, RefH: ref[i].Height, DistW: dist[i].Width, DistH: dist[i].Height}
		}
	}
	return nil
}
