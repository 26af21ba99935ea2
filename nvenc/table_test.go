package nvenc

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
)

func sampleReports() []GPUReport {
	h100 := GPUReport{
		Device: cuda.DeviceInfo{Index: 0, Name: "NVIDIA H100 80GB HBM3", TotalMemory: 85520809984,
			ComputeMajor: 9, Multiprocessors: 132, PCIBusID: "00000000:01:00.0"},
		DriverVersion: "580.159.04", CUDAVersion: "13.0", NVENCAPIVersion: "13.0",
	}
	h100 = h100.fail(mapStatus("NvEncOpenEncodeSessionEx", StatusUnsupportedDevice, h100.Device.Name, ""))
	rtx := GPUReport{
		Device: cuda.DeviceInfo{Index: 1, Name: "NVIDIA GeForce RTX 4090", TotalMemory: 25757220864,
			ComputeMajor: 8, ComputeMinor: 9, Multiprocessors: 128, PCIBusID: "00000000:02:00.0"},
		DriverVersion: "580.159.04", CUDAVersion: "13.0", NVENCAPIVersion: "13.0",
		Codecs: []CodecReport{
			{Codec: "H.264", Encoder: "h264_nvenc", Usable: true, Supports444: true, MaxWidth: 4096, MaxHeight: 4096},
			{Codec: "HEVC", Encoder: "hevc_nvenc", Usable: true, Supports444: true, Supports10Bit: true, MaxWidth: 8192, MaxHeight: 8192},
			{Codec: "AV1", Encoder: "av1_nvenc", Usable: true, Supports10Bit: true, MaxWidth: 8192, MaxHeight: 8192},
		},
	}
	return []GPUReport{h100, rtx}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, sampleReports()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("\n%s", out)
	lines := strings.Split(out, "\n")
	want := []string{
		"GPU 0: NVIDIA H100 80GB HBM3 (compute 9.0, 132 SMs, 79.6 GiB, PCI 00000000:01:00.0)",
		"  driver 580.159.04, CUDA 13.0, NVENC API 13.0",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i, lines[i], w)
		}
	}
	if !strings.HasPrefix(lines[2], "  NVENC: NVIDIA H100 80GB HBM3 has no NVENC hardware encoder") {
		t.Errorf("line 2: %q", lines[2])
	}
	for _, row := range [][]string{
		{"H.264", "h264_nvenc", "no", "-", "-", "-", "no", "NVENC", "hardware"},
		{"HEVC", "hevc_nvenc", "yes", "yes", "yes", "8192x8192"},
		{"AV1", "av1_nvenc", "yes", "no", "yes", "8192x8192"},
	} {
		found := false
		for _, l := range lines {
			if f := strings.Fields(l); len(f) >= len(row) && strings.Join(f[:len(row)], " ") == strings.Join(row, " ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no row %v", row)
		}
	}
	// Columns line up: every codec row of a block starts its ENCODER column
	// at the same offset as the header.
	hdr := strings.Index(lines[3], "ENCODER")
	if got := strings.Index(lines[4], "h264_nvenc"); got != hdr {
		t.Errorf("ENCODER column at %d, row at %d", hdr, got)
	}
	b.Reset()
	if err := Table(&b, nil); err != nil || !strings.Contains(b.String(), "no CUDA GPUs") {
		t.Errorf("empty table: %q %v", b.String(), err)
	}
}

func TestJSON(t *testing.T) {
	in := sampleReports()
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, key := range []string{`"device":`, `"name":"NVIDIA H100 80GB HBM3"`, `"driver_version":"580.159.04"`,
		`"codecs":`, `"encoder":"h264_nvenc"`, `"usable":false`, `"supports_444":true`, `"supports_10bit":true`,
		`"max_width":8192`, `"error":"NVIDIA H100 80GB HBM3 has no NVENC`, `"compute_capability_major":9`} {
		if !strings.Contains(s, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	if strings.Contains(s, `"Err"`) {
		t.Error("JSON carries the Go error value")
	}
	var back []GPUReport
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[1].Codecs[1] != in[1].Codecs[1] || back[0].Error != in[0].Error || back[0].Device != in[0].Device {
		t.Errorf("round trip: %+v", back)
	}
	if in[0].Usable() || !in[1].Usable() {
		t.Error("GPUReport.Usable wrong")
	}
	if !errors.Is(in[0].Err, ErrNoEncoder) {
		t.Error("sample H100 report lost its error kind")
	}
}

func TestCodecNames(t *testing.T) {
	want := map[Codec][2]string{H264: {"H.264", "h264_nvenc"}, HEVC: {"HEVC", "hevc_nvenc"}, AV1: {"AV1", "av1_nvenc"}}
	for _, c := range Codecs {
		if c.String() != want[c][0] || c.Encoder() != want[c][1] {
			t.Errorf("%d: %q %q", int(c), c.String(), c.Encoder())
		}
	}
	if Codec(9).Encoder() != "" || Codec(9).String() != "Codec(9)" {
		t.Error("unknown codec")
	}
}
