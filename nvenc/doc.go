// Package nvenc finds out whether NVIDIA's hardware video encoder (NVENC)
// can really be used, GPU by GPU.
//
// Having CUDA does not mean having NVENC: data-center GPUs such as the
// A100, H100 and H200 have no encoder block, a container may lack the
// driver's encode library, an old driver may not speak gpuenc's NVENC API
// (12.1), and consumer cards cap the number of concurrent sessions. Probe
// therefore loads libnvidia-encode.so.1 at run time (nothing NVIDIA is
// needed to build), opens a real encode session on each GPU's primary CUDA
// context, lists the codecs the session offers and reads their limits, then
// closes the session. Every failure is translated into a typed error
// (ErrNoEncoder, ErrSessionLimit, ErrNoLibrary, ErrDriverTooOld, or
// cuda.ErrNoDriver) whose text tells the user what to do.
//
// GPUReport and CodecReport carry JSON tags for `gpuenc probe --json`;
// Table prints them for people.
package nvenc
