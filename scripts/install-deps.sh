#!/usr/bin/env bash
# Installs the Debian 12 packages tminus needs to build and test.
# Idempotent: when every package is present it returns in well under a second.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache clang lld
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libcli11-dev prometheus-cpp-dev libsqlite3-dev libmicrohttpd-dev libcpp-httplib-dev libssl-dev pkg-config
  libtomlplusplus-dev libpython3-dev
  libclang-rt-14-dev iproute2 procps python3 openssl systemd
  openssh-client openssh-server
  podman buildah runc catatonit debootstrap patchelf
  prometheus chromium
  libsystemd-dev
  python3-venv python3-pip python3-setuptools python3-wheel python3-grpcio python3-protobuf
  python3-pytest python3-matplotlib python3-tqdm mypy
)
# Node.js runs the Kubernetes manifest checks (deploy/k8s/test); Debian's
# package only where no node is installed already.
if ! command -v node >/dev/null; then PACKAGES+=(nodejs npm); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -o DPkg::Lock::Timeout=600 -qq
  $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
fi

# The pinned npm packages (package-lock.json, with integrity hashes): the
# manifest checks, and the dashboard (Chart.js, embedded in the coordinator
# at build time; puppeteer-core for its browser test).
for dir in deploy/k8s/test web; do
  dir="$(dirname "$0")/../$dir"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
done
command -v kubectl >/dev/null ||
  echo "install-deps: kubectl (with kustomize) is not installed: the manifest tests will fail" >&2
