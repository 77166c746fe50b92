#!/usr/bin/env bash
# Runs every benchmark once, in sequence, with the defaults documented in
# docs/benchmarks.md, and prints what each measured. Builds first.
#   bench/run_all.sh [OUTPUT_FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null
out="${1:-/dev/stdout}"
{
  echo "# tminus benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r)"
  for bench in efficiency throughput latency chunk_sweep memory many_workers core_sim seed_compare; do
    echo
    echo "## bench-$bench"
    build/bin/bench-$bench
  done
  echo
  echo "## bench-throughput, processes executor"
  build/bin/bench-throughput 200000 3 processes
} 2>&1 | tee "$out"
