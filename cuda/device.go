package cuda

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Device attribute numbers, from the CUdevice_attribute enumeration of the
// CUDA driver API (cuda.h).
const (
	attrMaxThreadsPerBlock = 1
	attrMultiprocessors    = 16
	attrL2CacheSize        = 38
	attrComputeMajor       = 75
	attrComputeMinor       = 76
)

// DeviceInfo describes one CUDA device. Its JSON form is part of
// `gpuenc probe --json`.
type DeviceInfo struct {
	Index              int    `json:"index"`
	Name               string `json:"name"`
	UUID               string `json:"uuid,omitempty"` // "GPU-xxxxxxxx-...", as nvidia-smi -L prints it
	TotalMemory        uint64 `json:"total_memory_bytes"`
	ComputeMajor       int    `json:"compute_capability_major"`
	ComputeMinor       int    `json:"compute_capability_minor"`
	Multiprocessors    int    `json:"multiprocessors"`
	L2CacheBytes       int    `json:"l2_cache_bytes"`
	PCIBusID           string `json:"pci_bus_id"`
	CUDAVersion        int    `json:"cuda_driver_api_version"`  // cuDriverGetVersion, e.g. 13000
	DriverVersion      string `json:"driver_version,omitempty"` // NVIDIA driver, e.g. "580.159.04"
	MaxThreadsPerBlock int    `json:"max_threads_per_block"`
}

// ComputeCapability returns "major.minor", e.g. "9.0".
func (d DeviceInfo) ComputeCapability() string {
	return fmt.Sprintf("%d.%d", d.ComputeMajor, d.ComputeMinor)
}

// DeviceCount returns the number of CUDA devices the driver sees.
func DeviceCount() (int, error) {
	if err := Load(); err != nil {
		return 0, err
	}
	var n C.int
	if err := check("cuDeviceGetCount", Result(C.gpuenc_cuDeviceGetCount(&n))); err != nil {
		return 0, err
	}
	return int(n), nil
}

// device resolves ordinal i to a CUdevice.
func device(i int) (C.int, error) {
	if err := Load(); err != nil {
		return 0, err
	}
	n, err := DeviceCount()
	if err != nil {
		return 0, err
	}
	if i < 0 || i >= n {
		return 0, argErr("Device", "device %d out of range: %d device(s) present", i, n)
	}
	var d C.int
	if err := check("cuDeviceGet", Result(C.gpuenc_cuDeviceGet(&d, C.int(i)))); err != nil {
		return 0, err
	}
	return d, nil
}

// Device returns the properties of device i (0-based, in CUDA's order,
// which CUDA_VISIBLE_DEVICES may restrict).
func Device(i int) (DeviceInfo, error) {
	d, err := device(i)
	if err != nil {
		return DeviceInfo{}, err
	}
	info := DeviceInfo{Index: i, DriverVersion: DriverVersion()}
	var name [256]C.char
	if err := check("cuDeviceGetName", Result(C.gpuenc_cuDeviceGetName(&name[0], C.int(len(name)), d))); err != nil {
		return info, err
	}
	info.Name = C.GoString(&name[0])
	var mem C.size_t
	if err := check("cuDeviceTotalMem", Result(C.gpuenc_cuDeviceTotalMem(&mem, d))); err != nil {
		return info, err
	}
	info.TotalMemory = uint64(mem)
	for _, a := range []struct {
		attr int
		dst  *int
	}{
		{attrComputeMajor, &info.ComputeMajor},
		{attrComputeMinor, &info.ComputeMinor},
		{attrMultiprocessors, &info.Multiprocessors},
		{attrL2CacheSize, &info.L2CacheBytes},
		{attrMaxThreadsPerBlock, &info.MaxThreadsPerBlock},
	} {
		var v C.int
		if err := check("cuDeviceGetAttribute", Result(C.gpuenc_cuDeviceGetAttribute(&v, C.int(a.attr), d))); err != nil {
			return info, err
		}
		*a.dst = int(v)
	}
	var uuid [16]byte
	if Result(C.gpuenc_cuDeviceGetUuid((*C.uchar)(unsafe.Pointer(&uuid[0])), d)) == Success {
		info.UUID = formatUUID(uuid)
	}
	var bus [64]C.char
	if err := check("cuDeviceGetPCIBusId", Result(C.gpuenc_cuDeviceGetPCIBusId(&bus[0], C.int(len(bus)), d))); err != nil {
		return info, err
	}
	info.PCIBusID = C.GoString(&bus[0])
	var v C.int
	if err := check("cuDriverGetVersion", Result(C.gpuenc_cuDriverGetVersion(&v))); err != nil {
		return info, err
	}
	info.CUDAVersion = int(v)
	return info, nil
}

// Devices returns the properties of every device.
func Devices() ([]DeviceInfo, error) {
	n, err := DeviceCount()
	if err != nil {
		return nil, err
	}
	out := make([]DeviceInfo, 0, n)
	for i := range n {
		d, err := Device(i)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// formatUUID renders 16 bytes the way nvidia-smi names GPUs:
// GPU-8-4-4-4-12 hex digits.
func formatUUID(b [16]byte) string {
	return fmt.Sprintf("GPU-%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
