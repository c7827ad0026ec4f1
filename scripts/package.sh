#!/usr/bin/env bash
# Builds the release that runs on any Linux x86_64 with glibc (Debian 12, Ubuntu 22.04 or newer),
# without Swift:
#   dist/trainscape-VERSION-linux-x86_64.tar.gz     bin/trainscape, LICENSES/, README
#   dist/trainscape-VERSION-py3-none-TAG.whl         the Python package carrying the same binary
# The binary links the Swift runtime, Foundation, libstdc++, libpng, libdeflate and zlib
# statically. It links only glibc and glvnd's libEGL; OpenGL (libOpenGL.so.0, else
# eglGetProcAddress), GLFW and HDF5 are loaded with dlopen when first needed, so a GPU box uses
# its driver's libraries. The script checks that with ldd and fails on anything else.
#   scripts/package.sh                  # build both
#   scripts/package.sh --skip-build     # repackage the last release build
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
skip_build=0
for a in "$@"; do
  case "$a" in
    --skip-build) skip_build=1 ;;
    *) echo "usage: scripts/package.sh [--skip-build]" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/trainscape/Trainscape.swift)
[ -n "$version" ] || { echo "package: cannot read the version from Sources/trainscape/Trainscape.swift" >&2; exit 1; }
pyversion=$(sed -n 's/^version = "\(.*\)"/\1/p' python/pyproject.toml)
[ "$version" = "$pyversion" ] || {
  echo "package: version mismatch: binary $version, python/pyproject.toml $pyversion" >&2; exit 1; }
[ "$(uname -m)" = "x86_64" ] || { echo "package: builds linux-x86_64 only (this is $(uname -m))" >&2; exit 1; }

scratch=.build-release
# Static archives first on the library path: the linker takes libpng16.a, libdeflate.a, libz.a
# and libstdc++.a from here instead of the shared libraries beside them. libpng16 is a
# linker script naming its archive and zlib's, so zlib's symbols resolve after libpng's.
# SwiftPM reads .pc files itself and passes their -L${libdir} (the system folder, where the
# .so files are) ahead of ours, so libpng.pc and egl.pc are overridden without it.
static="$scratch/static-libs"
archive() {
  local name=$1 path
  path=$(gcc -print-file-name="$name" 2>/dev/null || true)
  if [ -z "$path" ] || [ "$path" = "$name" ] || [ ! -f "$path" ]; then
    for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
      [ -f "$d/$name" ] && { path="$d/$name"; break; }
    done
  fi
  [ -f "$path" ] || { echo "package: no $name (install libpng-dev libdeflate-dev zlib1g-dev libstdc++-12-dev)" >&2; exit 1; }
  echo "$path"
}
if [ "$skip_build" = 0 ]; then
  rm -rf "$static" && mkdir -p "$static"
  z=$(archive libz.a)
  echo "GROUP ( $(archive libpng16.a) $z )" > "$static/libpng16.a"
  ln -s "$(archive libdeflate.a)" "$static/libdeflate.a"
  ln -s "$z" "$static/libz.a"
  ln -s "$(archive libstdc++.a)" "$static/libstdc++.a"
  mkdir -p "$static/pkgconfig"
  for pc in libpng egl; do
    src=$(pkg-config --variable=pcfiledir "$pc")/$pc.pc
    sed -e 's/^Libs: -L\${libdir} /Libs: /' "$src" > "$static/pkgconfig/$pc.pc"
    grep -q '^Libs: -l' "$static/pkgconfig/$pc.pc" || { echo "package: unexpected $src" >&2; exit 1; }
  done
  echo "package: swift build -c release --static-swift-stdlib (a few minutes on 2 cores)"
  PKG_CONFIG_PATH="$root/$static/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" swift build -c release --product trainscape --scratch-path "$scratch" --static-swift-stdlib \
    -Xlinker -L"$root/$static" -Xswiftc -Xclang-linker -Xswiftc -static-libgcc >&2
fi
bin="$scratch/release/trainscape"
[ -x "$bin" ] || { echo "package: no release binary at $bin (run without --skip-build)" >&2; exit 1; }

# Only glibc's libraries and glvnd's libEGL may remain.
libs=$(ldd "$bin" | awk '{print $1}')
allowed='^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1|libEGL\.so\.1|libOpenGL\.so\.0|libGLdispatch\.so\.0)$'
bad=$(echo "$libs" | grep -Ev "$allowed" || true)
if [ -n "$bad" ]; then
  echo "package: the binary links libraries beyond glibc and glvnd:" >&2
  ldd "$bin" >&2
  exit 1
fi
"$bin" --version >/dev/null

stage="$scratch/package/trainscape-$version-linux-x86_64"
rm -rf "$scratch/package" && mkdir -p "$stage/bin" "$stage/LICENSES"
install -m 0755 "$bin" "$stage/bin/trainscape"
strip --strip-unneeded "$stage/bin/trainscape"
"$stage/bin/trainscape" --version >/dev/null

# Licences of everything inside the binary.
licence() {  # licence NAME FILE
  [ -f "$2" ] || { echo "package: missing licence file $2" >&2; exit 1; }
  cp "$2" "$stage/LICENSES/$1"
}
swiftroot=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")
licence swift.txt "$swiftroot/share/swift/LICENSE.txt"
# Every Swift package the build resolved (Package.swift's dependencies and theirs).
for dir in "$scratch"/checkouts/*/; do
  pkg=$(basename "$dir")
  licence "$pkg.txt" "$(ls "$dir"LICENSE* | head -1)"
  [ -f "$dir/NOTICE.txt" ] && cp "$dir/NOTICE.txt" "$stage/LICENSES/$pkg-NOTICE.txt"
done
# toml++ (inside TOMLKit) carries its MIT licence in its header.
if [ -f "$scratch/checkouts/TOMLKit/Sources/CTOML/Sources/toml.hpp" ]; then
  sed -n '/^\/\/ MIT License/,/^\/\/---/p' "$scratch/checkouts/TOMLKit/Sources/CTOML/Sources/toml.hpp" \
    | sed -e 's|^// \{0,1\}||' -e '/^---/d' > "$stage/LICENSES/tomlplusplus.txt"
  grep -q "Permission is hereby granted" "$stage/LICENSES/tomlplusplus.txt" || { echo "package: toml++ licence not found" >&2; exit 1; }
fi
licence libpng.txt /usr/share/doc/libpng16-16/copyright
licence libdeflate.txt /usr/share/doc/libdeflate0/copyright
licence zlib.txt /usr/share/doc/zlib1g/copyright
licence libstdc++.txt /usr/share/doc/gcc-12-base/copyright
licence DejaVu.txt Assets/fonts/LICENSE-DejaVu.txt
cat > "$stage/README" <<EOF
Trainscape $version for Linux x86_64 (glibc 2.35 or newer: Debian 12, Ubuntu 22.04 or newer).

Turns the metrics of a training run into 3D landscapes and renders them headless (EGL) to
PNG, turntables and exports for W&B, Plotly, Blender and three.js.

  bin/trainscape render gradient-flow run.jsonl -o flow.png
  bin/trainscape doctor          # which GPU or software renderer it will use

Needs at run time: glvnd's libEGL (Debian/Ubuntu: libegl1) and an OpenGL driver: on a GPU box
the NVIDIA driver (in containers NVIDIA_DRIVER_CAPABILITIES must include "graphics"), on a CPU
box Mesa (libgl1-mesa-dri). Optional: GLFW 3 (libglfw3) for the 'view' window, HDF5
(libhdf5-103-1 on Debian 12) for loss-landscape .h5 files, ffmpeg for MP4.

The binary statically includes the Swift runtime and Foundation (Apache 2.0 with the Runtime
Library Exception; Foundation includes ICU, under the Unicode licence), the Swift packages
swift-argument-parser, swift-log, swift-collections, swift-protobuf, swift-crypto (with
BoringSSL, whose files carry their own Apache 2.0, ISC and OpenSSL notices) and swift-asn1
(Apache 2.0), TOMLKit and toml++ (MIT), libstdc++ (GPL 3 with the GCC Runtime Library
Exception), libpng, libdeflate and zlib, and an atlas baked from the DejaVu Sans font: their
licences are in LICENSES/.
EOF
mkdir -p dist
tarball="dist/trainscape-$version-linux-x86_64.tar.gz"
tar -C "$scratch/package" --owner=0 --group=0 --numeric-owner -czf "$tarball.tmp" "trainscape-$version-linux-x86_64"
mv "$tarball.tmp" "$tarball"

# The wheel: the Python package in python/ plus the same binary; its platform tag follows the
# newest glibc symbol version the binary needs.
glibc=$(objdump -T "$stage/bin/trainscape" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -1 | cut -d. -f2)
if [ "$glibc" -gt 35 ]; then
  echo "package: the binary needs glibc 2.$glibc (symbols: $(objdump -T "$stage/bin/trainscape" | grep -E "GLIBC_2\.(3[6-9]|[4-9][0-9])" | awk '{print $NF}' | sort -u | tr '\n' ' ')); Ubuntu 22.04 has 2.35 (see Sources/CGlibcCompat)" >&2
  exit 1
fi
rm -f dist/trainscape-"$version"-py3-none-*.whl
python3 scripts/build_wheel.py --binary "$stage/bin/trainscape" --licenses "$stage/LICENSES" \
  --version "$version" --plat "manylinux_2_${glibc}_x86_64" --out dist >/dev/null
wheel=$(ls -t dist/trainscape-"$version"-py3-none-manylinux_2_"$glibc"_x86_64.whl | head -1)
echo "package: $tarball ($(du -h "$tarball" | cut -f1))"
echo "package: $wheel ($(du -h "$wheel" | cut -f1))"
echo "package: ldd bin/trainscape:"
ldd "$stage/bin/trainscape" | sed 's/^/  /'
