package av

import (
	"errors"
	"strings"
	"testing"
)

func TestErrorCarriesCallTextAndLog(t *testing.T) {
	_, err := OpenEncoder(EncoderConfig{Name: "libx264", Width: 64, Height: 48, PixelFormat: "yuv420p",
		TimeBase: Rational{1, 25}, FrameRate: Rational{25, 1}, Options: map[string]string{"preset": "nosuchpreset"}})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want *Error", err)
	}
	if e.Call != "avcodec_open2" || e.Code >= 0 || e.Text == "" || len(e.Log) == 0 || !strings.Contains(strings.Join(e.Log, " "), "nosuchpreset") {
		t.Errorf("error %+v lacks the call, code, text or FFmpeg's log line", e)
	}
	if errors.Is(err, ErrEOF) {
		t.Error("an open failure matches ErrEOF")
	}
}

func TestSentinels(t *testing.T) {
	if !IsEOF(codeErr("x", ErrEOF.Code)) || !IsAgain(codeErr("x", ErrAgain.Code)) || IsEOF(codeErr("x", ErrInvalid.Code)) {
		t.Error("EOF/EAGAIN codes do not map to their sentinels")
	}
	if err := check("x", 0); err != nil {
		t.Error(err)
	}
}

func TestUnknownNames(t *testing.T) {
	var uc *UnknownCodecError
	if _, err := EncoderPixelFormats("nosuchencoder"); !errors.As(err, &uc) {
		t.Errorf("got %v", err)
	}
	if _, err := PixelFormatID("nosuchformat"); err == nil {
		t.Error("unknown pixel format accepted")
	}
	if _, err := ColorID("space", "nosuchmatrix"); err == nil {
		t.Error("unknown colour matrix accepted")
	}
	if v, err := ColorID("range", "pc"); err != nil || v != 2 {
		t.Errorf("range pc: %d %v", v, err)
	}
	if MuxerForFile("a.mkv") != "matroska" || !HasMuxer("mp4") || HasMuxer("avi") {
		t.Error("muxer lookup")
	}
}

// TestExternalErrorPutsLibraryWordsFirst checks that an
// AVERROR_EXTERNAL ("Generic error in an external library") shows what the
// library logged before FFmpeg's generic text.
func TestExternalErrorPutsLibraryWordsFirst(t *testing.T) {
	_, err := OpenEncoder(EncoderConfig{Name: "libx264", Width: 33, Height: 17, PixelFormat: "yuv420p",
		TimeBase: Rational{1, 25}, FrameRate: Rational{25, 1}})
	if err == nil {
		t.Fatal("x264 opened 33x17 yuv420p")
	}
	msg := err.Error()
	lib, generic := strings.Index(msg, "divisible by 2"), strings.Index(msg, "Generic error")
	if lib < 0 || generic < 0 || lib > generic {
		t.Errorf("want x264's own words before FFmpeg's generic text: %q", msg)
	}
}
