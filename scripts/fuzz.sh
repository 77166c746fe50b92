#!/usr/bin/env bash
# Runs every libFuzzer target from its seed corpus in tests/fuzz/corpus, in a
# scratch copy so the repository is not written to. Needs the sanitizer build
# (scripts/build.sh --sanitize).
#   scripts/fuzz.sh SECONDS   explore: SECONDS per target, a random seed
#   scripts/fuzz.sh --ci      repeatable: seed 1, a fixed number of inputs
#                             (what the test command runs: same inputs every time)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--ci" ]; then
  limit=(-seed=1 -runs=100000)
  seconds="100000 inputs"
else
  limit=(-max_total_time="${1:-15}")
  seconds="${1:-15}s"
fi
work="$(mktemp -d /tmp/tminus-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT
for target in job_spec parse_count state_record worker_message http_request; do
  cp -r "tests/fuzz/corpus/$target" "$work/$target"
  echo "fuzz_$target: $seconds"
  status=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1" \
    "build-asan/bin/fuzz_$target" "${limit[@]}" -max_len=4096 -print_final_stats=1 \
      -artifact_prefix="$work/" \
    "$work/$target" > "$work/$target.log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$work/$target.log" || true
  if [ "$status" != 0 ]; then
    tail -40 "$work/$target.log"
    mkdir -p fuzz-crashes && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* fuzz-crashes/ 2>/dev/null || true
    echo "fuzz_$target failed (exit $status): a crash or a sanitizer report above"
    exit 1
  fi
done
