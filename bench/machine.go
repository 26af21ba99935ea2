package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/gpuenc/gpuenc"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU       string  `json:"cpu"`   // model name from /proc/cpuinfo
	Cores     int     `json:"cores"` // runtime.NumCPU()
	MemoryGiB float64 `json:"memory_gib"`
	OS        string  `json:"os"`
	Go        string  `json:"go"`
	// FFmpeg holds the linked FFmpeg's versions and configuration.
	FFmpeg map[string]string `json:"ffmpeg"`
	// GPUs is gpuenc.Probe's GPU report (names, driver); GPUText its text.
	GPUs    any    `json:"gpus"`
	GPUText string `json:"gpu_text"`
	// Encoders are the encoders of this build and whether each is usable.
	Encoders []gpuenc.EncoderStatus `json:"encoders"`
}

// MachineInfo describes this machine.
func MachineInfo() Machine {
	p := gpuenc.Probe()
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(),
		FFmpeg: p.FFmpeg, GPUs: p.GPUs, GPUText: strings.TrimSpace(p.GPUText), Encoders: p.Encoders}
	m.CPU = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseFloat(strings.Fields(kb)[0], 64); err == nil {
			m.MemoryGiB = n / (1 << 20)
		}
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc
// file, or "".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
