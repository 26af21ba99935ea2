#!/usr/bin/env bash
# Checks that a binary links nothing dynamically beyond glibc's own
# libraries, so that it runs unchanged on another x86-64 Linux with the same
# or a newer glibc.
set -euo pipefail
bin=${1:-bin/gpuenc}
allowed='^(linux-vdso\.so\.1|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|ld-linux-x86-64\.so\.2|/lib64/ld-linux-x86-64\.so\.2)$'
bad=$(ldd "$bin" | awk '{print $1}' | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
  echo "check-static: $bin links libraries beyond glibc: $bad" >&2
  exit 1
fi
echo "check-static: $bin links only glibc: $(ldd "$bin" | awk '{print $1}' | tr '\n' ' ')"
