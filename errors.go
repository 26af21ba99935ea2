package gpuenc

import (
	"errors"
	"fmt"

	"github.com/gpuenc/gpuenc/internal/av"
)

// FFmpegError is a failed call into FFmpeg: the function, the AVERROR code
// and text, and the last warning and error lines FFmpeg logged before it.
type FFmpegError = av.Error

// UnusedOptionsError names options that no component consumed (encoder,
// muxer or demuxer), usually a typo.
type UnusedOptionsError = av.UnusedOptionsError

// UnknownCodecError is an encoder or decoder name this build lacks.
type UnknownCodecError = av.UnknownCodecError

// Errors that callers can test for with errors.Is.
var (
	// ErrClosed is returned for a write to a Writer after Close, or a read
	// from a closed Reader.
	ErrClosed = errors.New("gpuenc: use after Close")
	// ErrStarted is returned for adding a stream after the first write.
	ErrStarted = errors.New("gpuenc: streams must be added before the first write")
	// ErrUnknownEncoder is matched by *EncoderError for a name that no
	// encoder has.
	ErrUnknownEncoder = errors.New("gpuenc: unknown encoder")
	// ErrUnknownContainer is returned for a container name or file extension
	// gpuenc cannot write.
	ErrUnknownContainer = errors.New("gpuenc: unknown container")
)

// FormatError says a pixel format cannot be used where it was given.
type FormatError struct {
	Format PixelFormat
	Reason string
}

// Error describes the format and why it cannot be used.
func (e *FormatError) Error() string {
	return fmt.Sprintf("gpuenc: pixel format %q: %s", e.Format, e.Reason)
}

// ShapeError says a batch of frames does not match the stream it was written
// to, or its bytes do not match its shape.
type ShapeError struct {
	Stream int
	Reason string
}

// Error names the stream and what does not match.
func (e *ShapeError) Error() string {
	if e.Stream < 0 {
		return "gpuenc: frames: " + e.Reason
	}
	return fmt.Sprintf("gpuenc: stream %d: %s", e.Stream, e.Reason)
}

// EncoderError says an encoder cannot be used as configured: unknown name,
// a pixel format it does not take (Accepts lists those it does), or an
// invalid setting.
type EncoderError struct {
	Encoder string
	Reason  string
	Accepts []PixelFormat // the encoder's pixel formats, when relevant
	Err     error         // the underlying error, if any
}

// Error names the encoder, the reason and the formats it takes.
func (e *EncoderError) Error() string {
	s := fmt.Sprintf("gpuenc: encoder %q: %s", e.Encoder, e.Reason)
	if len(e.Accepts) > 0 {
		s += fmt.Sprintf(" (it takes %v)", e.Accepts)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *EncoderError) Unwrap() error { return e.Err }

// ConfigError says a stream or writer setting is invalid.
type ConfigError struct {
	Field  string
	Reason string
}

// Error names the setting and what is wrong with it.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("gpuenc: %s: %s", e.Field, e.Reason)
}
