package h264cuda

import "errors"

// Errors of this package; test with errors.Is. Driver failures are wrapped
// *cuda.Error values, configuration errors also match h264's own.
var (
	// ErrInput: a picture, field or output does not match the
	// configuration.
	ErrInput = errors.New("h264cuda: input does not match the configuration")
	// ErrClosed: the object was used after Close.
	ErrClosed = errors.New("h264cuda: use after Close")
)
