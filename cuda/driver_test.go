package cuda

import (
	"errors"
	"strings"
	"testing"
)

// TestLoadMissingLibrary exercises the "no driver" path on every machine by
// loading a library name that cannot exist.
func TestLoadMissingLibrary(t *testing.T) {
	err := load("libgpuenc-no-such-driver.so.1")
	if err == nil {
		t.Fatal("loading a missing library succeeded")
	}
	if !errors.Is(err, ErrNoDriver) {
		t.Fatalf("error %v does not match ErrNoDriver", err)
	}
	var de *DriverError
	if !errors.As(err, &de) || de.Library != "libgpuenc-no-such-driver.so.1" || de.Detail == "" {
		t.Fatalf("DriverError fields: %#v", de)
	}
	for _, want := range []string{
		"no NVIDIA driver found",
		"libgpuenc-no-such-driver.so.1 could not be loaded",
		"install the NVIDIA driver",
		"NVIDIA container toolkit",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

// TestLoadHere checks the real Load: on a machine without libcuda.so.1 (CI,
// the development machine) it must be ErrNoDriver, and every entry point
// must report it rather than crash.
func TestLoadHere(t *testing.T) {
	err := Load()
	if err == nil {
		t.Logf("NVIDIA driver present; the no-driver path is covered by TestLoadMissingLibrary")
		return
	}
	if !errors.Is(err, ErrNoDriver) && !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Load() = %v, want ErrNoDriver or ErrNoDevice", err)
	}
	if errors.Is(err, ErrNoDriver) && !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Errorf("message %q does not name libcuda.so.1", err)
	}
	if Load() != err {
		t.Error("second Load returned a different error")
	}
	if _, e := DeviceCount(); !errors.Is(e, err) {
		t.Errorf("DeviceCount: %v", e)
	}
	if _, e := OpenContext(0); !errors.Is(e, err) {
		t.Errorf("OpenContext: %v", e)
	}
	if _, e := CUDAVersion(); !errors.Is(e, err) {
		t.Errorf("CUDAVersion: %v", e)
	}
	if _, e := Devices(); !errors.Is(e, err) {
		t.Errorf("Devices: %v", e)
	}
}

func TestParseDriverVersion(t *testing.T) {
	proc := "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Oct 30 2025\nGCC version:  gcc version 12.2.0\n"
	if got := parseProcVersion(proc); got != "580.159.04" {
		t.Errorf("parseProcVersion = %q", got)
	}
	open := "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build\n"
	if got := parseProcVersion(open); got != "550.54.14" {
		t.Errorf("open module: %q", got)
	}
	if got := parseProcVersion("garbage"); got != "" {
		t.Errorf("garbage: %q", got)
	}
	maps := "7f00-7f01 r--p 00000000 00:1f 123 /usr/lib/x86_64-linux-gnu/libc.so.6\n" +
		"7f10-7f20 r-xp 00000000 00:1f 456 /usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04\n"
	if got := parseMapsVersion(maps); got != "580.159.04" {
		t.Errorf("parseMapsVersion = %q", got)
	}
	if got := parseMapsVersion("7f10 /usr/lib/libcuda.so.1\n"); got != "" {
		t.Errorf("libcuda.so.1 alone gave %q", got)
	}
}

func TestFormatting(t *testing.T) {
	if got := FormatCUDAVersion(13000); got != "13.0" {
		t.Errorf("13000 -> %q", got)
	}
	if got := FormatCUDAVersion(12040); got != "12.4" {
		t.Errorf("12040 -> %q", got)
	}
	var u [16]byte
	for i := range u {
		u[i] = byte(i * 17)
	}
	if got, want := formatUUID(u), "GPU-00112233-4455-6677-8899-aabbccddeeff"; got != want {
		t.Errorf("formatUUID = %q, want %q", got, want)
	}
	d := DeviceInfo{ComputeMajor: 9, ComputeMinor: 0}
	if d.ComputeCapability() != "9.0" {
		t.Errorf("ComputeCapability = %q", d.ComputeCapability())
	}
}
