// Package h264cuda is h264_cuda: gpuenc's H.264 encoder (package h264,
// h264_go) running on CUDA cores, for GPUs without NVENC (A100, H100,
// H200). Every stage must give exactly the bytes of the Go encoder, so each
// kernel mirrors one Go stage (kernels/NAME.cu mirrors h264/NAME.go) and its
// tests compare the two.
//
// Encoder runs h264's pipeline with stages 1 (motion search, MotionSearch)
// and 2 (mode decision, Decider) on the GPU, and each of stages 3 for inter
// macroblocks (inter reconstruction), 4 (CAVLC and bit packing,
// EntropyCoder) and 5 (deblocking, Deblocker) on the GPU or in Go
// (Stages); NewEncoder's split, DefaultStages, is the fastest measured
// (all of them on the GPU). Intra reconstruction, P_Skip, rate control
// and NAL framing stay in Go. The kernels are loaded as PTX embedded in
// the binary (package kernels), which the driver compiles for
// the GPU at hand; see DESIGN.md for the layout and NOTES.md for the
// measured figures.
//
// Tests run the same kernel sources compiled as C on the CPU
// (internal/cemu) against h264's exported references, so CI checks the
// kernels' logic without a GPU; the GPU tests (TestGPU*) need an NVIDIA
// driver and are built for the device with `make gpu-test` or
// `go test -c -o bin/gputest/h264cuda.test ./h264cuda`.
package h264cuda
