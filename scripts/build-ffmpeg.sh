#!/usr/bin/env bash
# Builds the static, position-independent FFmpeg that gpuenc links against,
# from Debian's source packages (FFmpeg 7.1.5 and nv-codec-headers 12.1.14.0,
# both from trixie), with only the components gpuenc uses.
#
# The result is cached outside the work tree, in
#   ${GPUENC_CACHE:-$HOME/.cache/gpuenc}/ffmpeg-<key>
# where <key> hashes this script (versions and configuration live here), so an
# unchanged configuration is built once per machine. The script prints the
# prefix as its last line and points third_party/ffmpeg at it.
set -euo pipefail

FFMPEG_VERSION=7.1.5
NVHEADERS_VERSION=12.1.14.0

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
key=$( (cat "$0"; gcc -dumpfullversion; dpkg-query -W -f='${Version}' libx264-dev zlib1g-dev) | sha256sum | cut -c1-16)
cache=${GPUENC_CACHE:-$HOME/.cache/gpuenc}
prefix=$cache/ffmpeg-$key

link() {
  mkdir -p "$top/third_party"
  ln -sfn "$prefix" "$top/third_party/ffmpeg"
  echo "$prefix"
}

if [ -f "$prefix/.complete" ]; then
  link
  exit 0
fi

"$here/install-deps.sh"

work=$(mktemp -d "$cache/build-XXXXXX" 2>/dev/null || { mkdir -p "$cache"; mktemp -d "$cache/build-XXXXXX"; })
trap 'rm -rf "$work"' EXIT
cd "$work"

# Only the upstream tarballs are needed; Debian's packaging is not applied.
apt-get source --download-only "ffmpeg/trixie" "nv-codec-headers/trixie" >apt-source.log 2>&1 || true
for f in "ffmpeg_${FFMPEG_VERSION}.orig.tar.xz" "nv-codec-headers_${NVHEADERS_VERSION}.orig.tar.xz"; do
  [ -f "$f" ] || { cat apt-source.log >&2; echo "build-ffmpeg: could not fetch $f with apt-get source (is a deb-src entry for trixie configured? scripts/install-deps.sh adds one)" >&2; exit 1; }
done
tar xf "nv-codec-headers_${NVHEADERS_VERSION}.orig.tar.xz"
tar xf "ffmpeg_${FFMPEG_VERSION}.orig.tar.xz"

stage=$work/stage
make -C "nv-codec-headers-n${NVHEADERS_VERSION}" PREFIX="$stage" install >/dev/null

generators=allrgb,allyuv,cellauto,color,colorchart,colorspectrum,gradients,haldclutsrc,life,mandelbrot,nullsrc,pal75bars,pal100bars,rgbtestsrc,sierpinski,smptebars,smptehdbars,testsrc,testsrc2,yuvtestsrc,zoneplate

cd "ffmpeg-${FFMPEG_VERSION}"
PKG_CONFIG_PATH="$stage/lib/pkgconfig" ./configure \
  --prefix="$stage" \
  --enable-static --disable-shared --enable-pic \
  --disable-programs --disable-doc --disable-debug \
  --disable-autodetect --disable-everything \
  --enable-gpl --enable-libx264 --enable-zlib --enable-pthreads \
  --enable-ffnvcodec --enable-cuda --enable-nvenc --enable-nvdec \
  --disable-avdevice --disable-swresample \
  --enable-avcodec --enable-avformat --enable-avfilter --enable-swscale \
  --enable-encoder=libx264,h264_nvenc,hevc_nvenc,av1_nvenc,png,mjpeg,rawvideo,wrapped_avframe \
  --enable-decoder=h264,hevc,av1,png,mjpeg,rawvideo \
  --enable-hwaccel=h264_nvdec,hevc_nvdec,av1_nvdec \
  --enable-parser=h264,hevc,av1,png,mjpeg \
  --enable-muxer=mp4,mov,matroska,h264,hevc,rawvideo,image2,image2pipe,nut \
  --enable-demuxer=mov,matroska,h264,hevc,rawvideo,image2,image2pipe,nut \
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,extract_extradata,av1_frame_merge \
  --enable-protocol=file,pipe \
  --enable-filter="buffer,buffersink,scale,format,null,psnr,ssim,hwupload_cuda,hwdownload,hwupload,fps,setpts,trim,crop,pad,$generators" \
  --pkg-config-flags=--static \
  >"$work/configure.log" 2>&1 || { tail -40 "$work/configure.log" >&2; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -60 "$work/make.log" >&2; exit 1; }
make install >/dev/null
cp "$work/configure.log" "$stage/configure.log"

rm -rf "$prefix"
mv "$stage" "$prefix"
touch "$prefix/.complete"
link
