# gpuenc's build. Every target installs what it needs first (Debian 12).
#   make build   → bin/gpuenc, statically linked against FFmpeg
#   make run     → builds, then runs the main job
#   make test    → builds, then runs every test (CI runs this)

GO ?= go
export CGO_ENABLED := 1
export PATH := $(PATH):/usr/local/go/bin

# The FFmpeg build is cached outside the tree; third_party/ffmpeg points at
# it. Its key goes into CGO_CPPFLAGS so that Go rebuilds the cgo packages
# when FFmpeg changes.
FFMPEG_KEY = $(notdir $(shell readlink third_party/ffmpeg 2>/dev/null))
export CGO_CPPFLAGS = -DGPUENC_FFMPEG_KEY=$(FFMPEG_KEY)

.PHONY: all deps ffmpeg build run test lint gpu-test bench clean

all: build

deps:
	@scripts/install-deps.sh

ffmpeg: deps
	@scripts/build-ffmpeg.sh >/dev/null

build: ffmpeg
	$(GO) build -trimpath -o bin/gpuenc ./cmd/gpuenc

# The main job: the benchmark of the torchaudio study, quick profile (about
# five minutes on 2 cores). On a bigger machine run the full matrix with
# `bin/gpuenc bench`.
run: build
	bin/gpuenc probe
	bin/gpuenc bench --quick --out out/bench
	@echo "report: out/bench/report.md"

lint: ffmpeg
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

test: build lint
	scripts/check-static.sh bin/gpuenc
	$(GO) test -count=1 -timeout 45m ./...

# GPU tests need an NVIDIA GPU: build the test binaries here, then run
# scripts/gpu-tests.sh on the GPU machine (see README).
gpu-test: build
	@mkdir -p bin/gputest
	$(GO) test -c -o bin/gputest/cuda.test ./cuda
	$(GO) test -c -o bin/gputest/nvenc.test ./nvenc
	$(GO) test -c -o bin/gputest/gpuenc.test .
	$(GO) test -c -o bin/gputest/h264cuda.test ./h264cuda
	@if [ -n "$$(ls /dev/nvidia* 2>/dev/null)" ]; then scripts/gpu-tests.sh; else echo "no GPU here: copy bin/ and scripts/ to a GPU machine and run scripts/gpu-tests.sh"; fi

clean:
	rm -rf bin out
