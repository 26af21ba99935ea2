// Package cuda is gpuenc's thin binding of the NVIDIA CUDA driver API.
//
// Nothing NVIDIA is needed to build it: libcuda.so.1 is opened with dlopen
// the first time the package is used (see Load), and a machine without the
// driver gets an error matching ErrNoDriver that says what to install. No C
// type appears in the API; driver handles are exposed as uintptr where a
// caller needs them (Context.Handle for FFmpeg's AVCUDADeviceContext,
// Stream.Handle for NVENC or FFmpeg streams).
//
// # Contexts
//
// A Context is the PRIMARY context of one device (cuDevicePrimaryCtxRetain),
// the same context FFmpeg's CUDA hwdevice and NVENC use when handed the
// handle, so buffers, streams and modules can be shared between them. Every
// call in this package makes its context current for the duration of the
// call only (push, call, pop inside one C call), so goroutines need not pin
// OS threads. Code that calls the driver through another library while
// expecting a current context uses Context.Do.
//
// # Ownership
//
// Objects created by this package (DeviceBuffer from Alloc/AllocPitch,
// HostBuffer, Stream, Event, Module) are owned by the caller and must be released
// explicitly with Free/Destroy/Unload before their Context is closed; there
// are no finalizers. Releasing twice is harmless; using a released object
// returns an error matching ErrFreed. A DeviceBuffer made by Context.Wrap
// borrows memory someone else owns: its Free only forgets the pointer.
// Objects are not safe for concurrent release while in use by another
// goroutine; concurrent use of distinct objects is fine.
//
// # Stream ordering
//
// Operations given a nil *Stream are synchronous with respect to the host:
// they return when the work is done. Operations given a Stream are queued in
// that stream's order and return at once; the results are valid on the host
// only after Stream.Synchronize or an Event recorded after them has
// completed. Ordinary Go (pageable) memory handed to an asynchronous copy
// is staged by the driver before the call returns (host-to-device) or
// copied synchronously (device-to-host), so the slice may be reused as soon
// as the call returns. Page-locked memory from Context.AllocHost is
// different: the GPU reads or writes it when the stream reaches the copy,
// so it must be left alone until then; in exchange the copy overlaps with
// host work. A DeviceBuffer must not be freed while queued work still uses
// it: synchronize first.
//
// Every copy checks its offsets and sizes in Go before calling the driver,
// returning an error matching ErrInvalidArgument instead of corrupting
// memory. Driver failures are *Error values carrying the entry point, the
// CUresult and the driver's name and description of it.
package cuda
