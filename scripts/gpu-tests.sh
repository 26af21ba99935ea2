#!/usr/bin/env bash
# gpu-tests.sh: run gpuenc's GPU test binaries on a machine with an NVIDIA GPU.
#
# Build them first on any machine (no GPU or CUDA toolkit needed):
#   make gpu-test            # or: go test -c -o bin/gputest/cuda.test ./cuda
# then run this script from the repository root on the GPU machine. Every
# bin/gputest/NAME.test runs with -test.v from its package directory; the
# output of each goes to the terminal and to $OUT/NAME.log (OUT defaults to
# out/gputest). GPU_BENCH=1 also runs the GPU benchmarks. The exit status is
# non-zero if any binary failed.
set -u -o pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/out/gputest}
mkdir -p "$out"

{
	echo "== environment"
	date -u
	uname -a
	nvidia-smi 2>&1 || echo "nvidia-smi not available"
	echo "== NVIDIA libraries"
	ls -l /usr/lib/x86_64-linux-gnu/libcuda.so* /usr/lib/x86_64-linux-gnu/libnvidia-encode* \
		/usr/local/nvidia/lib64 2>&1
	ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvidia-encode' || echo "ldconfig: no libcuda/libnvidia-encode entries"
	echo "NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES-<unset>}"
	cat /proc/driver/nvidia/version 2>&1
} 2>&1 | tee "$out/environment.log"

status=0
shopt -s nullglob
bins=("$root"/bin/gputest/*.test)
if [ ${#bins[@]} -eq 0 ]; then
	echo "no test binaries in bin/gputest: build them with 'make gpu-test'" >&2
	exit 2
fi
for bin in "${bins[@]}"; do
	name=$(basename "$bin" .test)
	dir="$root/$name"
	[ -d "$dir" ] || dir="$root"
	echo "== $name (in ${dir#"$root"/})" | tee "$out/$name.log"
	# The root package's binary also holds tests that need Debian's ffmpeg
	# CLI (CI runs them); here only its GPU tests run.
	run=.
	[ "$name" = gpuenc ] && run='^TestGPU'
	if ! (cd "$dir" && "$bin" -test.v -test.count=1 -test.timeout=10m -test.run="$run") 2>&1 | tee -a "$out/$name.log"; then
		status=1
		echo "== $name FAILED" | tee -a "$out/$name.log"
	fi
	if [ "${GPU_BENCH:-0}" = 1 ]; then
		echo "== $name benchmarks" | tee -a "$out/$name.log"
		(cd "$dir" && "$bin" -test.run='^$' -test.bench=. -test.benchmem -test.benchtime=2s) 2>&1 |
			tee -a "$out/$name.log" || status=1
	fi
done
exit $status
