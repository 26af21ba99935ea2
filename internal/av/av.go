// Package av is gpuenc's thin cgo layer over FFmpeg's libraries (libavformat,
// libavcodec, libavfilter, libswscale, libavutil), linked statically from the
// build that scripts/build-ffmpeg.sh makes.
//
// Each type holds one C pointer and has an explicit Free or Close; nothing
// here relies on finalizers. Negative FFmpeg return codes become *Error values
// that carry the call, the AVERROR text and the last lines FFmpeg logged.
// No C type appears in this package's exported API.
package av

/*
#cgo CFLAGS: -I${SRCDIR}/../../third_party/ffmpeg/include -I${SRCDIR}/cudacompat
#cgo LDFLAGS: ${SRCDIR}/../../third_party/ffmpeg/lib/libavfilter.a ${SRCDIR}/../../third_party/ffmpeg/lib/libavformat.a ${SRCDIR}/../../third_party/ffmpeg/lib/libavcodec.a ${SRCDIR}/../../third_party/ffmpeg/lib/libswscale.a ${SRCDIR}/../../third_party/ffmpeg/lib/libavutil.a
#cgo LDFLAGS: -l:libx264.a -l:libz.a -lm -ldl -lpthread
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

func init() {
	C.gpuenc_install_log_callback()
	C.gpuenc_set_log_level(C.AV_LOG_ERROR)
}

// Error is a failed FFmpeg call: the function, its return code, FFmpeg's text
// for the code and the last lines FFmpeg logged before it failed.
type Error struct {
	Call string   // the FFmpeg function, e.g. "avcodec_open2"
	Code int      // the negative AVERROR code
	Text string   // av_strerror's text for Code
	Log  []string // the last lines FFmpeg logged (at any level up to the capture level), oldest first
}

// Error gives the call, FFmpeg's text for the code and its last log lines.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Code == int(C.AVERROR_EXTERNAL) && len(e.Log) > 0 {
		// "Generic error in an external library" says nothing; the
		// library's own words, which FFmpeg logged, come first.
		fmt.Fprintf(&b, "%s: %s (FFmpeg's code: %s)", e.Call, strings.Join(e.Log, "; "), e.Text)
		return b.String()
	}
	fmt.Fprintf(&b, "%s: %s", e.Call, e.Text)
	if n := len(e.Log); n > 0 {
		b.WriteString(" (ffmpeg: ")
		b.WriteString(strings.Join(e.Log, "; "))
		b.WriteString(")")
	}
	return b.String()
}

// Is lets errors.Is match the sentinel errors below by code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Call == "" && t.Code == e.Code
}

// Sentinels for the codes callers branch on.
var (
	ErrEOF     = &Error{Code: int(C.AVERROR_EOF), Text: "end of file"}
	ErrAgain   = &Error{Code: -int(C.EAGAIN), Text: "resource temporarily unavailable"}
	ErrNoMem   = &Error{Code: -int(C.ENOMEM), Text: "cannot allocate memory"}
	ErrInvalid = &Error{Code: -int(C.EINVAL), Text: "invalid argument"}
)

// ErrorText returns FFmpeg's description of an AVERROR code.
func ErrorText(code int) string {
	var buf [256]C.char
	return C.GoString(C.gpuenc_errstr(C.int(code), &buf[0], C.size_t(len(buf))))
}

// check turns a negative FFmpeg return into an *Error; non-negative returns
// give nil.
func check(call string, ret C.int) error {
	if ret >= 0 {
		return nil
	}
	return newError(call, int(ret))
}

func newError(call string, code int) error {
	return &Error{Call: call, Code: code, Text: ErrorText(code), Log: recentLog()}
}

// errorf makes an *Error for a failure that FFmpeg reports by a NULL return
// rather than a code.
func errorf(call string, format string, args ...any) error {
	return &Error{Call: call, Code: -int(C.EINVAL), Text: fmt.Sprintf(format, args...), Log: recentLog()}
}

// IsEOF reports whether err is FFmpeg's end of stream.
func IsEOF(err error) bool { return errors.Is(err, ErrEOF) }

// IsAgain reports whether err is EAGAIN (output needed before more input, or
// the reverse).
func IsAgain(err error) bool { return errors.Is(err, ErrAgain) }

// cString returns a C copy of s that the caller frees with freeC.
func cString(s string) *C.char { return C.CString(s) }

func freeC(p *C.char) { C.free(unsafe.Pointer(p)) }
