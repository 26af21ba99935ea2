#!/usr/bin/env bash
# gen-ptx.sh: regenerate h264cuda/kernels/NAME.ptx and NAME.fatbin from
# NAME.cu with nvcc.
#
# Runs on any machine with the CUDA toolkit (nvcc 12 or newer; no GPU
# needed), from anywhere in the repository:
#   scripts/gen-ptx.sh            # every .cu file
#   scripts/gen-ptx.sh motion     # one stage
# Each PTX file gets as its first line the SHA-256 of its .cu file and of
# every header it includes (quoted #include, followed recursively), which
# h264cuda's tests compare with the sources (kernels.Stale). The PTX targets
# sm_80 (A100) and is JIT-compiled by the driver for the GPU it runs on.
# NAME.fatbin holds the same code compiled for sm_80 (A100, and the 8.x
# GPUs after it) and sm_90 (H100, H200), and the sm_80 PTX for any later
# GPU, so that those GPUs load the kernels without compiling them;
# NAME.fatbin.hash carries its sources' line (FATBIN_ARCHS overrides the
# list of real architectures, e.g. "80 90").
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
	gencode=()
	for a in ${FATBIN_ARCHS:-80 90}; do
		gencode+=(-gencode "arch=compute_$a,code=sm_$a")
	done
	"$nvcc" -fatbin -O3 "${gencode[@]}" -gencode "arch=compute_${arch#sm_},code=compute_${arch#sm_}" \
		-o "$name.fatbin" "$name.cu"
	echo "$line" >"$name.fatbin.hash"
	echo "wrote h264cuda/kernels/$name.fatbin (sm_${FATBIN_ARCHS:-80 90}, PTX $arch)"
	if [ -n "${PTXAS_LOG:-}" ]; then
		echo "== $name.cu, sm_90, nvcc -cubin -O3 -Xptxas -v" >>"$PTXAS_LOG"
		"$nvcc" -cubin -arch=sm_90 -O3 -Xptxas -v -o "$tmp/$name.cubin" "$name.cu" >>"$PTXAS_LOG" 2>&1
	fi
done
