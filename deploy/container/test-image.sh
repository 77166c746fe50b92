#!/usr/bin/env bash
# Runs the image for real: a coordinator container and a worker container
# (host network, read-only root, the image's non-root user), a job submitted
# from the host with the host's `tminus`, checked exact; then `podman stop`
# both, which must exit 0 after draining.
#   deploy/container/test-image.sh BIN_DIR [IMAGE (localhost/tminus:dev)]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="$PWD/deploy/container/containers.conf"
bin="$1"
image="${2:-localhost/tminus:dev}"
run="tminus-test-$$"
work="$(mktemp -d /tmp/tminus-image.XXXXXX)"
cleanup() {
  podman rm -f -t 0 "$run-worker" "$run-coordinator" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; podman logs "$run-coordinator" 2>&1 | tail -20; podman logs "$run-worker" 2>&1 | tail -20; exit 1; }

mkdir -p "$work/state" "$work/tokens"
chown 10001:10001 "$work/state"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/tokens/client"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/tokens/worker"
chmod 0644 "$work/tokens/"*
common=(--network=host --read-only --tmpfs /tmp -v "$work/tokens:/etc/tminus/tokens:ro")

podman run -d --name "$run-coordinator" "${common[@]}" -v "$work/state:/var/lib/tminus/state" \
  "$image" tminus-coordinator --listen 127.0.0.1:0 --port-file /var/lib/tminus/state/port \
  --http-listen 127.0.0.1:0 --http-port-file /var/lib/tminus/state/http-port \
  --state-dir /var/lib/tminus/state --client-token-file /etc/tminus/tokens/client \
  --worker-token-file /etc/tminus/tokens/worker >/dev/null
for _ in $(seq 100); do [ -s "$work/state/port" ] && break; sleep 0.1; done
[ -s "$work/state/port" ] || fail "the coordinator container did not start serving"
address="127.0.0.1:$(cat "$work/state/port")"
[ "$(podman exec "$run-coordinator" id -u)" = 10001 ] || fail "the coordinator runs as root"

podman run -d --name "$run-worker" "${common[@]}" "$image" tminus-worker \
  --coordinator "$address" --slots 2 --name container-worker \
  --token-file /etc/tminus/tokens/worker --drain-timeout 20 >/dev/null

export TMINUS_COORDINATOR="$address"
cli=("$bin/tminus" --token-file "$work/tokens/client")
for _ in $(seq 100); do
  "${cli[@]}" workers -o csv 2>/dev/null | grep ',connected,' >/dev/null && break; sleep 0.1
done
"${cli[@]}" submit -n 3e9 --chunks 60 --wait -o csv > "$work/report.csv" || fail "the job failed"
row="$(sed -n 2p "$work/report.csv")"
case "$row" in
  1,succeeded,3000000000,3000000000,true,60,*) echo "job exact: $row" ;;
  *) fail "not exact: $row" ;;
esac

# The HTTP port: health open, metrics only with the client token.
http="http://127.0.0.1:$(cat "$work/state/http-port")"
status() {  # URL [TOKEN] -> the HTTP status
  python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 2: request.add_header("Authorization", "Bearer " + sys.argv[2])
try: print(urllib.request.urlopen(request, timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)
PY
}
[ "$(status "$http/healthz")" = 200 ] || fail "/healthz is not 200"
[ "$(status "$http/metrics")" = 401 ] || fail "/metrics answers without a token"
[ "$(status "$http/metrics" "$(cat "$work/tokens/client")")" = 200 ] || fail "/metrics refuses the client token"
echo "HTTP port: /healthz 200, /metrics 401 without a token, 200 with one"

# A planned stop: SIGTERM to PID 1 (tini), passed on to the daemon.
podman stop -t 40 "$run-worker" >/dev/null
podman stop -t 40 "$run-coordinator" >/dev/null
for name in worker coordinator; do
  code="$(podman inspect --format '{{.State.ExitCode}}' "$run-$name")"
  [ "$code" = 0 ] || fail "the $name container exited $code"
done
# grep reads to the end (no -q): with pipefail, a writer cut off by SIGPIPE
# would fail the check although the line was there.
podman logs "$run-worker" 2>&1 | grep "draining" >/dev/null || fail "the worker did not drain"
echo "container test passed: both containers stopped with exit 0"
