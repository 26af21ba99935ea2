package cuda

import (
	"errors"
	"strings"
	"testing"
)

func TestResultString(t *testing.T) {
	for code, name := range resultNames {
		if got := code.String(); got != name {
			t.Errorf("Result(%d).String() = %q, want %q", int(code), got, name)
		}
		if !strings.HasPrefix(name, "CUDA_") {
			t.Errorf("table entry %d: %q is not a CUresult name", int(code), name)
		}
	}
	if got := Result(12345).String(); got != "CUresult(12345)" {
		t.Errorf("unknown code: got %q", got)
	}
}

func TestErrorFormatAndIs(t *testing.T) {
	err := error(newError("cuMemAlloc", ErrorOutOfMemory))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("newError did not give *Error: %T", err)
	}
	if ce.Op != "cuMemAlloc" || ce.Code != ErrorOutOfMemory || ce.Name != "CUDA_ERROR_OUT_OF_MEMORY" {
		t.Errorf("fields: %+v", ce)
	}
	if !strings.Contains(err.Error(), "cuMemAlloc") || !strings.Contains(err.Error(), "CUDA_ERROR_OUT_OF_MEMORY (2)") {
		t.Errorf("text %q lacks call or code", err)
	}
	if !errors.Is(err, ErrorOutOfMemory) {
		t.Error("errors.Is(err, ErrorOutOfMemory) = false")
	}
	if errors.Is(err, ErrorInvalidValue) {
		t.Error("matched the wrong code")
	}
	if !errors.Is(err, &Error{Code: ErrorOutOfMemory}) {
		t.Error("an *Error target with empty Op should match any call")
	}
	if errors.Is(err, &Error{Op: "cuMemFree", Code: ErrorOutOfMemory}) {
		t.Error("an *Error target with another Op matched")
	}
	if check("x", Success) != nil {
		t.Error("check(Success) != nil")
	}
	if e := check("cuFoo", Result(4242)); e == nil || !strings.Contains(e.Error(), "CUresult(4242)") {
		t.Errorf("unknown code error: %v", e)
	}
}

func TestArgErrorIs(t *testing.T) {
	err := argErr("CopyHtoD", "bad %d", 3)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Error("ArgError does not match ErrInvalidArgument")
	}
	if err.Error() != "cuda: CopyHtoD: bad 3" {
		t.Errorf("text %q", err)
	}
}
