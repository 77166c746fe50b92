#!/usr/bin/env bash
# Configures and builds tminus into a build folder (default: build).
#   scripts/build.sh                 release build (RelWithDebInfo, g++)
#   scripts/build.sh --sanitize      clang, -Wthread-safety -Werror, ASan+UBSan (build-asan):
#                                    the unit and integration tests and the fuzz targets
#   scripts/build.sh --tsan          clang, ThreadSanitizer (build-tsan): the unit and
#                                    integration tests
set -euo pipefail
cd "$(dirname "$0")/.."

mode="release"
if [ "${1:-}" = "--sanitize" ]; then mode="sanitize"; fi
if [ "${1:-}" = "--tsan" ]; then mode="tsan"; fi
jobs="${TMINUS_JOBS:-$(nproc)}"
# Paths below the checkout are hashed relative to it, so a fresh clone in
# another folder (as CI makes) still hits the compiler cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"

# Only what each sanitizer step runs is built there (the binaries the
# integration tests start come with them).
targets=()
if [ "$mode" = "release" ]; then
  dir="${TMINUS_BUILD_DIR:-build}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
elif [ "$mode" = "sanitize" ]; then
  dir="${TMINUS_BUILD_DIR:-build-asan}"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_COMPILER=clang++ -DTMINUS_THREAD_SAFETY=ON -DTMINUS_SANITIZE=ON \
    -DTMINUS_FUZZ=ON >/dev/null
  targets=(--target unit_tests integration_tests fuzz_job_spec fuzz_parse_count
           fuzz_state_record fuzz_worker_message fuzz_http_request)
else
  dir="${TMINUS_BUILD_DIR:-build-tsan}"
  # -O1 and line tables only: enough for TSan's reports, and the cheapest build.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" \
    -DCMAKE_CXX_COMPILER=clang++ -DTMINUS_TSAN=ON >/dev/null
  targets=(--target unit_tests integration_tests)
fi
cmake --build "$dir" -j "$jobs" "${targets[@]}"
echo "built into $dir"
