#!/usr/bin/env bash
# Pinning, measured side by side: one coordinator and one worker with every
# CPU as a slot, started without and with --pin in turn (ROUNDS times each,
# alternating), `tminus scale` at 1 slot, the physical cores and all slots
# each time. Prints the median wall of each and the unpinned/pinned ratio
# (above 1: pinning is faster). Timings only; the jobs prove themselves
# exact (the study stops otherwise).
#   bench/pin.sh BIN_DIR [N (4e9)] [ROUNDS (3)]
set -euo pipefail
bin="$1"; n="${2:-4e9}"; rounds="${3:-3}"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
logical=$(nproc)
physical=$(lscpu -p=core,socket 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[ "$physical" -ge 1 ] || physical=$logical
slots=$(printf '%s\n' 1 "$physical" "$logical" | sort -nu | paste -sd,)
"$bin/tminus-coordinator" --listen 127.0.0.1:0 --port-file "$work/port" --http-listen '' \
  --state-dir "$work/state" --log-level warn &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
export TMINUS_COORDINATOR="127.0.0.1:$(cat "$work/port")"
echo "# $(date -u +%FT%TZ), $logical CPUs, $physical physical cores; n=$n, slots $slots, $rounds rounds"
for round in $(seq "$rounds"); do
  for mode in unpinned pinned; do
    flag=""; [ "$mode" = pinned ] && flag="--pin"
    "$bin/tminus-worker" --slots "$logical" --name "bench-$mode-$round" $flag --log-level warn &
    worker=$!
    sleep 1
    "$bin/tminus" scale -n "$n" --chunks $((logical * 32)) --slots "$slots" --repeat 1 \
      --no-calibration --no-upload --out "$work/$mode-$round" >/dev/null 2>"$work/err" ||
      { cat "$work/err"; exit 1; }
    kill -TERM "$worker"; wait "$worker" || true
  done
done
python3 - "$work" "$rounds" <<'PY'
import csv, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
walls = {}
for mode in ("unpinned", "pinned"):
    for r in range(1, rounds + 1):
        for row in csv.DictReader(open(f"{work}/{mode}-{r}/scale.csv")):
            walls.setdefault((int(row["slots"]), mode), []).append(float(row["wall_median_seconds"]))
print(f"{'slots':>5}  {'unpinned':>10}  {'pinned':>10}  {'unpinned/pinned':>15}")
for slots in sorted({s for s, _ in walls}):
    u = statistics.median(walls[(slots, "unpinned")])
    p = statistics.median(walls[(slots, "pinned")])
    print(f"{slots:>5}  {u:>9.3f}s  {p:>9.3f}s  {u / p:>15.3f}")
PY
