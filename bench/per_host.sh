#!/usr/bin/env bash
# The per-host scaling curve: HOSTS network-namespace "hosts" of CPUS CPUs
# each (a cpuset cgroup per host; taskset where cgroups cannot be made), a
# worker per host with CPUS slots, the coordinator and the CLI in a
# namespace of their own. `tminus scale --hosts 1,2,..,HOSTS`, then, side by
# side, one host owning all HOSTS x CPUS CPUs with one worker, at the same
# slot counts: what crossing host boundaries costs. Needs root.
#   bench/per_host.sh BIN_DIR [HOSTS (2)] [CPUS (1)] [N (4e9)] [REPEAT (3)]
set -euo pipefail
bin="$(cd "$1" && pwd)"; hosts="${2:-2}"; cpus="${3:-1}"; n="${4:-4e9}"; repeat="${5:-3}"
total=$((hosts * cpus))
[ "$(nproc)" -ge "$total" ] || { echo "needs $total CPUs, this machine has $(nproc)"; exit 1; }
tag="ph$$"
work=$(mktemp -d)
pids=()
cpuset_root=/sys/fs/cgroup/cpuset
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "$cpuset_root/$tag"-*; do
    [ -d "$d" ] || continue
    for t in $(cat "$d/tasks" 2>/dev/null); do echo "$t" > "$cpuset_root/tasks" 2>/dev/null || true; done
    rmdir "$d" 2>/dev/null || true
  done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$tag-" || true); do ip netns del "$ns"; done
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$tag-sw"
ip -n "$tag-sw" link add br0 type bridge
ip -n "$tag-sw" link set br0 up
for h in $(seq 0 "$hosts"); do  # host 0: the coordinator and the CLI
  ns="$tag-h$h"
  ip netns add "$ns"
  ip -n "$tag-sw" link add "p$h" type veth peer name eth0 netns "$ns"
  ip -n "$tag-sw" link set "p$h" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "10.201.0.$((h + 1))/24" dev eth0
  ip -n "$ns" link set eth0 up
done
# Runs "$@" on host $1 inside CPU list $2 ("" for no pinning).
how=""
on_host() {
  local h="$1" list="$2"; shift 2
  if [ -z "$list" ]; then exec ip netns exec "$tag-h$h" "$@"; fi
  local dir="$cpuset_root/$tag-$h-${list//,/_}"
  if mkdir -p "$dir" 2>/dev/null && echo "$list" > "$dir/cpuset.cpus" 2>/dev/null &&
     cat "$cpuset_root/cpuset.mems" > "$dir/cpuset.mems" 2>/dev/null; then
    echo "$BASHPID" > "$dir/tasks"  # this subshell, not the script
    exec ip netns exec "$tag-h$h" "$@"
  fi
  exec ip netns exec "$tag-h$h" taskset -c "$list" "$@"
}
coordinator="10.201.0.1:7070"
(on_host 0 "" "$bin/tminus-coordinator" --listen "$coordinator" --http-listen '' \
   --state-dir "$work/state" --log-level warn) &
pids+=($!)
cli() { ip netns exec "$tag-h0" "$bin/tminus" --coordinator "$coordinator" "$@"; }
for _ in $(seq 100); do cli workers >/dev/null 2>&1 && break; sleep 0.1; done
[ -d "$cpuset_root" ] && how="cpuset cgroups" || how="taskset"
echo "# $(date -u +%FT%TZ): $hosts hosts x $cpus CPUs ($how), n=$n, repeat $repeat"
grep -m1 'model name' /proc/cpuinfo || true
for h in $(seq 1 "$hosts"); do
  first=$(((h - 1) * cpus)); list="$first-$((first + cpus - 1))"
  (on_host "$h" "$list" "$bin/tminus-worker" --coordinator "$coordinator" --name "w$h" \
     --slots "$cpus" --label "host=host-$h" --label pool=hosts --log-level warn) &
  pids+=($!)
done
(on_host "$hosts" "0-$((total - 1))" "$bin/tminus-worker" --coordinator "$coordinator" \
   --name one-host --slots "$total" --label host=one-host --label pool=one --log-level warn) &
pids+=($!)
for _ in $(seq 100); do
  [ "$(cli workers -o csv 2>/dev/null | grep -c ',connected,')" -ge $((hosts + 1)) ] && break
  sleep 0.1
done
cli workers
host_list=$(seq -s, 1 "$hosts")
slot_list=$(seq -s, "$cpus" "$cpus" "$total")
chunks=$((total * 24))
echo; echo "## $hosts hosts of $cpus CPUs: the host axis"
cli scale -n "$n" --chunks "$chunks" --hosts "$host_list" --on pool=hosts --repeat "$repeat" \
  --no-upload --out "$work/hosts" 2>/dev/null
echo; echo "## one host of $total CPUs, the same slot counts"
cli scale -n "$n" --chunks "$chunks" --slots "$slot_list" --on pool=one --repeat "$repeat" \
  --no-upload --out "$work/one" 2>/dev/null
echo; echo "## side by side (wall medians)"
python3 - "$work" "$cpus" <<'PY'
import csv, sys
work, cpus = sys.argv[1], int(sys.argv[2])
hosts = {int(r["slots"]): r for r in csv.DictReader(open(f"{work}/hosts/scale.csv"))}
one = {int(r["slots"]): r for r in csv.DictReader(open(f"{work}/one/scale.csv"))}
print(f"{'slots':>5} {'hosts':>5} {'N hosts':>9} {'1 host':>9} {'ratio':>6}  {'eff N hosts':>11} {'eff 1 host':>10}")
for slots in sorted(hosts):
    if slots not in one: continue
    h, o = hosts[slots], one[slots]
    print(f"{slots:>5} {slots // cpus:>5} {float(h['wall_median_seconds']):>8.3f}s {float(o['wall_median_seconds']):>8.3f}s "
          f"{float(h['wall_median_seconds']) / float(o['wall_median_seconds']):>6.3f}  "
          f"{float(h['efficiency']) * 100:>10.1f}% {float(o['efficiency']) * 100:>9.1f}%")
PY
