package cuda

import "math"

// Bounds checks run in Go before every copy so that a wrong size becomes an
// *ArgError, never a driver fault or host memory corruption. They are pure
// functions of integers and overflow-safe.

// checkRange validates an n-byte access at off in a region of size bytes.
func checkRange(op, what string, off, n, size int) error {
	switch {
	case off < 0:
		return argErr(op, "negative %s offset %d", what, off)
	case n < 0:
		return argErr(op, "negative length %d", n)
	case size < 0:
		return argErr(op, "negative %s size %d", what, size)
	case off > size || n > size-off:
		return argErr(op, "%s range [%d, %d+%d) exceeds its %d bytes", what, off, off, n, size)
	}
	return nil
}

// check2D validates a widthBytes x height region with row pitch pitch in a
// region of size bytes: the last row ends at (height-1)*pitch+widthBytes.
func check2D(op, what string, size, pitch, widthBytes, height int) error {
	switch {
	case widthBytes < 0 || height < 0:
		return argErr(op, "negative region %dx%d", widthBytes, height)
	case pitch < widthBytes:
		return argErr(op, "%s pitch %d is smaller than the row width %d", what, pitch, widthBytes)
	case size < 0:
		return argErr(op, "negative %s size %d", what, size)
	}
	if widthBytes == 0 || height == 0 {
		return nil
	}
	if height-1 > (math.MaxInt-widthBytes)/pitch {
		return argErr(op, "%s region %d rows of pitch %d overflows", what, height, pitch)
	}
	if end := (height-1)*pitch + widthBytes; end > size {
		return argErr(op, "%s region of %d rows x %d bytes (pitch %d) needs %d bytes, has %d",
			what, height, widthBytes, pitch, end, size)
	}
	return nil
}
