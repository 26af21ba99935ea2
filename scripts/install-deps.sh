#!/usr/bin/env bash
# Installs, on Debian 12, every system package gpuenc needs to build and test,
# and adds the deb-src entries that scripts/build-ffmpeg.sh fetches sources from.
# Idempotent: a second run installs nothing and takes a second.
set -euo pipefail

packages=(
  build-essential pkg-config nasm dpkg-dev      # FFmpeg's build
  libx264-dev zlib1g-dev                        # static libx264.a and libz.a
  ffmpeg                                        # independent decoder for tests (Debian's own build)
  libopenh264-dev                               # independent H.264 decoder for tests
  python-matplotlib-data                        # grace_hopper.jpg, a public-domain photograph for h264 tests
)

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

src=/etc/apt/sources.list.d/gpuenc-src.sources
if [ ! -f "$src" ]; then
  $sudo tee "$src" >/dev/null <<'EOT'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
  stamp_stale=1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || [ -n "${stamp_stale:-}" ] || [ ! -d /var/lib/apt/lists ] || [ -z "$(ls /var/lib/apt/lists/*trixie*Sources* 2>/dev/null)" ]; then
  $sudo apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
