#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test:
#   1. g++ release build: unit, integration, CLI, multi-host, benchmark-smoke
#      and deployment tests;
#   2. the container image, built and run (scripts/test-images.sh;
#      TMINUS_SKIP_IMAGES=1 skips it);
#   3. clang build with -Wthread-safety -Werror and ASan+UBSan: unit and
#      integration tests once more, then a short libFuzzer run of each target;
#   4. clang build with ThreadSanitizer: unit and integration tests once more
#      (tests/sanitizers/tsan.supp says what is suppressed and why; lsan.supp, for
#      the ASan step, the embedded CPython that is never finalized).
# `scripts/test.sh --quick` skips the clang builds (steps 3 and 4).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs="${TMINUS_JOBS:-$(nproc)}"

scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs" --timeout 300)
scripts/test-images.sh

if [ "${1:-}" != "--quick" ]; then
  scripts/build.sh --sanitize
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  (cd build-asan && ctest --output-on-failure -j "$jobs" --timeout 600 -L "unit|integration")
  scripts/fuzz.sh --ci   # a short, repeatable fuzz run of each target from its seed corpus
  scripts/build.sh --tsan
  # The big single-threaded simulations teach TSan nothing and take minutes
  # under it; a wall-against-stopwatch check measures TSan's slowness, not
  # tminus (it runs in the release and ASan steps).
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/sanitizers/tsan.supp"
  (cd build-tsan && ctest --output-on-failure -j "$jobs" --timeout 600 -L "unit|integration" \
     -E "AThousandWorkersAndManyJobsStayExact|ReportedWallAgreesWithAnOutsideStopwatch")
fi
