#!/usr/bin/env bash
# The scaling curve on one many-core host: a coordinator and one worker with
# every core as a slot, `tminus scale` for both executors, and, when a python3
# is there, Python's multiprocessing Pool on the same countdown at the same
# worker counts, for a side-by-side ratio.
#   scale_host.sh BIN_DIR OUT_DIR [N (2e10)] [SLOTS (1,2,4,6,8,10,12,14,16)]
# SKIP_PYTHON=1 leaves the Python side out.
set -uo pipefail
bin="$1"; out="$2"; n="${3:-2e10}"; slots="${4:-1,2,4,6,8,10,12,14,16}"
cores=$(nproc)
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; wait; rm -rf "$work"; }
trap cleanup EXIT
{
  echo "# $(date -u +%FT%TZ) $(uname -r), nproc $cores"
  grep -m1 'model name' /proc/cpuinfo
  lscpu 2>/dev/null | grep -E '^(Thread|Core|Socket|NUMA node\(s\)|CPU MHz|CPU max)' || true
} | tee "$out/host.txt"
"$bin/tminus-coordinator" --listen 127.0.0.1:0 --port-file "$work/port" \
  --state-dir "$work/state" --log-level warn &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
export TMINUS_COORDINATOR="127.0.0.1:$(cat "$work/port")"
"$bin/tminus-worker" --slots "$cores" --name big --log-level warn &
pids+=($!)
sleep 1
"$bin/tminus" workers
chunks=$((16 * 45))  # divides evenly over 1..16 slots except 7, 11, 13
timeout 400 "$bin/tminus" scale -n "$n" --chunks "$chunks" --slots "$slots" \
  --executor both --repeat 3 --out "$out" 2>&1 | tee "$out/scale.txt"
py=$(command -v python3 || true)
[ "${SKIP_PYTHON:-0}" = 1 ] && py=""
if [ -n "$py" ]; then
  # The seed's countdown in Python: same task shape (one task per worker
  # times 8), a fixed n small enough for Python's ~50 M decrements/s.
  timeout 200 "$py" - "$slots" <<'PY' 2>&1 | tee "$out/python.txt"
import sys, time
from multiprocessing import Pool
def countdown(n):
    while n > 0:
        n -= 1
    return 0
n = 1_600_000_000 // 4
base = None
for w in [int(s) for s in sys.argv[1].split(",")]:
    tasks = 8 * 16
    with Pool(w) as pool:
        t = time.perf_counter(); pool.map(countdown, [n // tasks] * tasks, chunksize=1)
        s = time.perf_counter() - t
    base = base or s
    print(f"python-pool workers={w} seconds={s:.3f} speedup={base / s:.2f} efficiency={base / s / w * 100:.1f}%", flush=True)
PY
fi
