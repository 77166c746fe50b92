#!/usr/bin/env bash
# Plays the dev overlay with `podman kube play` (through podman-play.mjs, the
# test overlay), with the image from deploy/container/build-image.sh:
# limits, non-root and the read-only root filesystem enforced by podman. The
# probes the manifests declare are made by this script (podman ignores grpc
# probes); a job from the host must finish exactly; the pods must stop
# gracefully (exit 0) within the manifests' grace period. The HTTP ports
# (host ports from podman-play.mjs's HOST_PORTS) must answer /healthz openly
# and /metrics only with the client token, as a Prometheus scrape would.
#   deploy/k8s/test/kube-play-test.sh BIN_DIR
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CONTAINERS_CONF="$PWD/deploy/container/containers.conf"
bin="$1"
run="kp$$"
work="$(mktemp -d /tmp/tminus-kube-play.XXXXXX)"
port=$((20000 + $$ % 20000))
# Four host ports from $port (podman-play.mjs HOST_PORTS): coordinator grpc,
# worker health, coordinator http, worker http.
while ss -ltn | grep -E ":($port|$((port + 1))|$((port + 2))|$((port + 3))) " >/dev/null; do
  port=$((port + 4))
done

pods() { podman pod ps --filter "name=$run" --format '{{.Name}}'; }
cleanup() {
  for pod in $(pods); do podman pod rm -f -t 0 "$pod" >/dev/null 2>&1 || true; done
  podman volume rm -f "state-$run" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
container_of() { podman ps -a --filter "pod=$1" --format '{{.Names}}' | grep -v infra; }
fail() {
  echo "FAIL: $*"
  for pod in $(pods); do podman logs "$(container_of "$pod")" 2>&1 | tail -15; done
  exit 1
}
http_status() {  # URL [TOKEN]: the status of a GET, 000 when nothing answers
  node -e 'const [url, token] = process.argv.slice(1);
    fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} })
      .then((r) => console.log(r.status), () => console.log("000"));' "$@" 2>/dev/null
}
expect_http() {  # URL STATUS [TOKEN]: waits up to 10 s for STATUS
  local got=""
  for _ in $(seq 50); do
    got="$(http_status "$1" "${3:-}")"
    [ "$got" = "$2" ] && return 0
    sleep 0.2
  done
  fail "GET $1${3:+ (with the client token)} answered $got, not $2"
}
probe() {  # ADDRESS SERVICE: waits for SERVING, as a grpc probe would
  for _ in $(seq 150); do "$bin/health_probe" "$1" "$2" >/dev/null && return 0; sleep 0.2; done
  fail "probe $1 '$2' never SERVING"
}

node deploy/k8s/test/podman-play.mjs deploy/k8s/overlays/dev "$run" "$port" > "$work/play.yaml"
podman kube play --network=host "$work/play.yaml" >/dev/null
coordinator_pod="tminus-coordinator-$run-pod-0"
worker_pod="tminus-worker-$run-pod-0"
[ "$(pods | sort | tr '\n' ' ')" = "$coordinator_pod $worker_pod " ] || fail "pods: $(pods)"
coordinator="$(container_of "$coordinator_pod")"

probe "127.0.0.1:$port" ""
probe "127.0.0.1:$((port + 1))" tminus.worker   # the worker's readiness: joined
[ "$(podman exec "$coordinator" id -u)" = 10001 ] || fail "the coordinator runs as root"
if podman exec "$coordinator" touch /usr/local/bin/x 2>/dev/null; then
  fail "the root filesystem is writable"
fi
[ "$(podman inspect --format '{{.HostConfig.NanoCpus}}' "$coordinator")" = 1000000000 ] ||
  fail "the coordinator's CPU limit is not enforced"

token="$(grep -o 'client=[^ ]*' deploy/k8s/overlays/dev/kustomization.yaml | cut -d= -f2)"
TMINUS_TOKEN="$token" "$bin/tminus" -c "127.0.0.1:$port" submit -n 2e9 --chunks 40 --wait \
  -o csv > "$work/report.csv" || fail "the job failed"
row="$(sed -n 2p "$work/report.csv")"
case "$row" in
  1,succeeded,2000000000,2000000000,true,40,*) echo "job exact: $row" ;;
  *) fail "not exact: $row" ;;
esac

# The HTTP ports the Prometheus annotations and the ServiceMonitor name.
for http in "127.0.0.1:$((port + 2))" "127.0.0.1:$((port + 3))"; do  # coordinator, worker
  expect_http "http://$http/healthz" 200
  expect_http "http://$http/metrics" 401
  expect_http "http://$http/metrics" 200 "$token"
done
echo "http ports: /healthz open, /metrics with the client token"

# Graceful stop with the manifests' grace periods (podman ignores them itself).
podman pod stop -t 45 "$worker_pod" >/dev/null
podman pod stop -t 30 "$coordinator_pod" >/dev/null
for pod in "$worker_pod" "$coordinator_pod"; do
  code="$(podman inspect --format '{{.State.ExitCode}}' "$(container_of "$pod")")"
  [ "$code" = 0 ] || fail "$pod exited $code"
done
echo "kube play test passed: both pods stopped with exit 0"
