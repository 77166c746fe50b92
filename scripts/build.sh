#!/usr/bin/env bash
# Configures and builds tminus into a build folder (default: build).
#   scripts/build.sh                 release build (RelWithDebInfo, g++)
#   scripts/build.sh --sanitize      clang, -Wthread-safety -Werror, ASan+UBSan (build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="release"
if [ "${1:-}" = "--sanitize" ]; then mode="sanitize"; fi
jobs="${TMINUS_JOBS:-$(nproc)}"
# Paths below the checkout are hashed relative to it, so a fresh clone in
# another folder (as CI makes) still hits the compiler cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

if [ "$mode" = "release" ]; then
  dir="${TMINUS_BUILD_DIR:-build}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
else
  dir="${TMINUS_BUILD_DIR:-build-asan}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_COMPILER=clang++ -DTMINUS_THREAD_SAFETY=ON -DTMINUS_SANITIZE=ON \
    -DTMINUS_FUZZ=ON >/dev/null
fi
cmake --build "$dir" -j "$jobs"
echo "built into $dir"
