#!/usr/bin/env bash
# Packs the three binaries and every shared library they load (glibc and the
# loader too) into KIT_DIR, patched to load from INSTALL_DIR, so they run on a
# machine where nothing can be installed (the 16-core machine of
# docs/benchmarks.md). Needs patchelf.
#   bench/make_kit.sh [KIT_DIR (.devkit)] [INSTALL_DIR (/tmp/tmk)]
# On the other machine: cp -r KIT_DIR INSTALL_DIR; INSTALL_DIR/bin/tminus ...
set -euo pipefail
cd "$(dirname "$0")/.."
kit="${1:-.devkit}"
install_dir="${2:-/tmp/tmk}"
bins=(tminus tminus-coordinator tminus-worker)
rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/lib"
for b in "${bins[@]}"; do strip -o "$kit/bin/$b" "build/bin/$b"; done
ldd "${bins[@]/#/build/bin/}" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | sort -u |
  xargs -I{} cp -L {} "$kit/lib/"
for b in "$kit"/bin/*; do
  patchelf --set-interpreter "$install_dir/lib/ld-linux-x86-64.so.2" \
    --force-rpath --set-rpath "$install_dir/lib" "$b"
done
cp bench/scale_host.sh bench/pin.sh bench/per_host.sh "$kit/"
du -sh "$kit"
