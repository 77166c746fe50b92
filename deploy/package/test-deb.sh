#!/usr/bin/env bash
# Builds the Debian package (cpack, from the binaries already in BUILD_DIR)
# and installs it with apt into a throwaway Debian 12 container (podman), which
# pulls its runtime libraries as dependencies, then runs `tminus demo` there.
#   deploy/package/test-deb.sh [BUILD_DIR (build)]
# Uses the locally made base image of deploy/container/build-image.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="$PWD/deploy/container/containers.conf"
build="$(cd "${1:-build}" && pwd)"
base="${TMINUS_BASE_IMAGE:-localhost/debian-bookworm-minbase:local}"
podman image exists "$base" || { echo "test-deb: no base image $base (run build-image.sh)" >&2; exit 1; }
rm -f "$build"/tminus_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb="$(ls "$build"/tminus_*.deb)"
echo "test-deb: built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
name="tminus-deb-test-$$"
trap 'podman rm -f "$name" >/dev/null 2>&1 || true' EXIT
timeout 600 podman run --name "$name" --rm --network=host -v "$deb:/tmp/tminus.deb:ro" "$base" \
  bash -euo pipefail -c '
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/tminus.deb >/dev/null
    tminus --version && tminus-coordinator --version && tminus-worker --version
    test -f /usr/lib/systemd/system/tminus-coordinator.service
    grep -q "ExecStart=/usr/bin/tminus-worker " /usr/lib/systemd/system/tminus-worker.service
    test -f /usr/share/bash-completion/completions/tminus
    cd /root
    tminus demo -n 2e8 --chunks 8 --repeat 1 --slots 2
    test -f /root/tminus-demo/scale.svg
    if ls -d /tmp/tminus-demo-* 2>/dev/null; then echo "the demo left files in /tmp"; exit 1; fi
  '
echo "test-deb: passed (apt install ./$(basename "$deb") and tminus demo in a clean Debian 12)"
