package nvenc

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
)

const headerPath = "../third_party/ffmpeg/include/ffnvcodec/nvEncodeAPI.h"

// TestStatusNamesMatchHeader reads the _NVENCSTATUS enumeration from
// nvEncodeAPI.h and checks the name table against it, in order.
func TestStatusNamesMatchHeader(t *testing.T) {
	src, err := os.ReadFile(headerPath)
	if err != nil {
		t.Skipf("header not available: %v", err)
	}
	s := string(src)
	start := strings.Index(s, "typedef enum _NVENCSTATUS")
	end := strings.Index(s[start:], "} NVENCSTATUS;")
	if start < 0 || end < 0 {
		t.Fatal("NVENCSTATUS enumeration not found")
	}
	body := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(s[start:start+end], "")
	names := regexp.MustCompile(`\b(NV_ENC_[A-Z0-9_]+)\s*,`).FindAllStringSubmatch(body, -1)
	if len(names) != len(statusNames) {
		t.Fatalf("header has %d statuses, table %d", len(names), len(statusNames))
	}
	for i, m := range names {
		if statusNames[i] != m[1] || Status(i).String() != m[1] {
			t.Errorf("status %d: table %q, header %q", i, statusNames[i], m[1])
		}
	}
	if got := Status(99).String(); got != "NVENCSTATUS(99)" {
		t.Errorf("unknown status: %q", got)
	}
	major := regexp.MustCompile(`#define NVENCAPI_MAJOR_VERSION (\d+)`).FindStringSubmatch(s)
	minor := regexp.MustCompile(`#define NVENCAPI_MINOR_VERSION (\d+)`).FindStringSubmatch(s)
	if major == nil || minor == nil {
		t.Fatal("API version defines not found")
	}
	if got, want := FormatAPIVersion(headerVersion), major[1]+"."+minor[1]; got != want {
		t.Errorf("headerVersion %s, header says %s", got, want)
	}
}

func TestMapStatus(t *testing.T) {
	sentinels := []error{ErrNoEncoder, ErrSessionLimit, ErrNoLibrary, ErrDriverTooOld}
	want := map[Status]error{
		StatusNoEncodeDevice:        ErrNoEncoder,
		StatusUnsupportedDevice:     ErrNoEncoder,
		StatusInvalidEncoderDevice:  ErrNoEncoder,
		StatusInvalidDevice:         ErrNoEncoder,
		StatusDeviceNotExist:        ErrNoEncoder,
		StatusOutOfMemory:           ErrSessionLimit,
		StatusIncompatibleClientKey: ErrSessionLimit,
		StatusInvalidVersion:        ErrDriverTooOld,
	}
	for s := Status(1); s <= StatusNeedMoreOutput+1; s++ {
		err := error(mapStatus("NvEncOpenEncodeSessionEx", s, "NVIDIA H100 80GB HBM3", ""))
		for _, sen := range sentinels {
			if got := errors.Is(err, sen); got != (want[s] == sen) {
				t.Errorf("%v: errors.Is(%v) = %v", s, sen, got)
			}
		}
		if !strings.Contains(err.Error(), s.String()) {
			t.Errorf("%v: message %q does not name the status", s, err)
		}
	}
	h100 := mapStatus("NvEncOpenEncodeSessionEx", StatusUnsupportedDevice, "NVIDIA H100 80GB HBM3", "").Error()
	for _, sub := range []string{
		"NVIDIA H100 80GB HBM3 has no NVENC hardware encoder; data-center GPUs such as A100, H100 and H200 have none",
		"NV_ENC_ERR_UNSUPPORTED_DEVICE (2)",
	} {
		if !strings.Contains(h100, sub) {
			t.Errorf("%q lacks %q", h100, sub)
		}
	}
	limit := mapStatus("NvEncOpenEncodeSessionEx", StatusIncompatibleClientKey, "GeForce", "").Error()
	if !strings.Contains(limit, "the NVENC session limit of this GPU/driver is reached; close other encoders") {
		t.Errorf("session-limit text: %q", limit)
	}
	withDetail := mapStatus("NvEncGetEncodeCaps", StatusInvalidParam, "", "bad caps").Error()
	if !strings.Contains(withDetail, "bad caps") || !strings.Contains(withDetail, "NvEncGetEncodeCaps") {
		t.Errorf("generic text: %q", withDetail)
	}
}

func TestVersionError(t *testing.T) {
	if versionError(12<<4|1, 12<<4|1) != nil || versionError(13<<4, 12<<4|1) != nil {
		t.Error("new-enough driver refused")
	}
	err := versionError(11<<4|1, 12<<4|1)
	if !errors.Is(err, ErrDriverTooOld) {
		t.Fatalf("old driver: %v", err)
	}
	for _, sub := range []string{"11.1", "12.1", minLinuxDriver, "update the NVIDIA driver"} {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("%q lacks %q", err, sub)
		}
	}
}

func TestOpenLibraryMissing(t *testing.T) {
	_, err := openLibrary("libgpuenc-no-such-encode.so.1")
	if !errors.Is(err, ErrNoLibrary) {
		t.Fatalf("missing library: %v", err)
	}
	for _, sub := range []string{LibraryName + " could not be loaded", "NVIDIA_DRIVER_CAPABILITIES must include `video`"} {
		if !strings.Contains(err.Error(), sub) {
			t.Errorf("%q lacks %q", err, sub)
		}
	}
}

// TestProbeWithoutDriver: where libcuda.so.1 is absent (CI), Probe must
// fail as a whole with an error matching cuda.ErrNoDriver.
func TestProbeWithoutDriver(t *testing.T) {
	if cuda.Load() == nil {
		t.Skip("a CUDA driver is present; see TestGPUProbe")
	}
	reports, err := Probe(t.Context())
	if !errors.Is(err, cuda.ErrNoDriver) && !errors.Is(err, cuda.ErrNoDevice) {
		t.Fatalf("Probe = %v, %v; want cuda.ErrNoDriver", reports, err)
	}
	if !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Errorf("message %q does not name libcuda.so.1", err)
	}
	r := ProbeDevice(0)
	if !errors.Is(r.Err, cuda.ErrNoDriver) || len(r.Codecs) != len(Codecs) || r.Codecs[0].Usable {
		t.Errorf("ProbeDevice without driver: %+v", r)
	}
}

func TestShortReason(t *testing.T) {
	cases := map[error]string{
		mapStatus("x", StatusUnsupportedDevice, "", ""): "no NVENC hardware on this GPU",
		mapStatus("x", StatusOutOfMemory, "", ""):       "NVENC session limit reached",
		&Error{Kind: ErrNoLibrary}:                      LibraryName + " not found",
		versionError(1, 2):                              "NVIDIA driver too old",
		errors.New("other"):                             "other",
	}
	for err, want := range cases {
		if got := shortReason(err); got != want {
			t.Errorf("shortReason(%v) = %q, want %q", err, got, want)
		}
	}
}
