#!/usr/bin/env bash
# gen-ptx.sh: regenerate h264cuda/kernels/NAME.ptx from NAME.cu with nvcc.
#
# Runs on any machine with the CUDA toolkit (nvcc 12 or newer; no GPU
# needed), from anywhere in the repository:
#   scripts/gen-ptx.sh            # every .cu file
#   scripts/gen-ptx.sh motion     # one stage
# Each PTX file gets as its first line the SHA-256 of its .cu file and of
# every header it includes (quoted #include, followed recursively), which
# h264cuda's tests compare with the sources (kernels.Stale). The PTX targets
# sm_80 (A100) and is JIT-compiled by the driver for the GPU it runs on.
# With PTXAS_LOG=FILE the script also compiles each file for sm_90 with
# `-Xptxas -v` and appends the register/shared/spill report to FILE.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/h264cuda/kernels
cd "$dir"
nvcc=${NVCC:-nvcc}
arch=${PTX_ARCH:-sm_80}

# hashes FILE: "name=sha256" of FILE and its quoted includes, one per line.
hashes() {
	local f=$1 inc
	[ -n "${seen[$f]:-}" ] && return 0
	seen[$f]=1
	echo "$f=$(sha256sum "$f" | cut -d' ' -f1)"
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		hashes "$inc"
	done
}

if [ $# -eq 0 ]; then
	set -- *.cu
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for arg in "$@"; do
	name=${arg%.cu}
	declare -A seen=()
	line="// h264cuda sources sha256: $(hashes "$name.cu" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
	unset seen
	"$nvcc" -ptx -arch="$arch" -O3 -o "$tmp/$name.ptx" "$name.cu"
	{ echo "$line"; cat "$tmp/$name.ptx"; } >"$name.ptx"
	echo "wrote h264cuda/kernels/$name.ptx ($arch)"
	if [ -n "${PTXAS_LOG:-}" ]; then
		echo "== $name.cu, sm_90, nvcc -cubin -O3 -Xptxas -v" >>"$PTXAS_LOG"
		"$nvcc" -cubin -arch=sm_90 -O3 -Xptxas -v -o "$tmp/$name.cubin" "$name.cu" >>"$PTXAS_LOG" 2>&1
	fi
done
