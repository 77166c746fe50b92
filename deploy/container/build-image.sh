#!/usr/bin/env bash
# Builds the tminus image with podman, here, where no registry is reachable:
# the Debian 12 base image is made locally with debootstrap (once; reused
# while it exists), and the host's compiler cache is lent to the build stage.
#   deploy/container/build-image.sh [TAG (localhost/tminus:dev)]
# Env: TMINUS_BASE_IMAGE to use another base (e.g. debian:bookworm-slim where
# a registry is reachable), DEBIAN_MIRROR for debootstrap.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONTAINERS_CONF="$PWD/deploy/container/containers.conf"
tag="${1:-localhost/tminus:dev}"
base="${TMINUS_BASE_IMAGE:-localhost/debian-bookworm-minbase:local}"
# The Debian mirror this machine's apt already uses, unless DEBIAN_MIRROR says.
host_mirror() {
  { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}'
  } | grep -E '/debian/?$' | head -n 1 || true
}
mirror="${DEBIAN_MIRROR:-$(host_mirror)}"

if ! podman image exists "$base"; then
  [ -n "$mirror" ] || { echo "build-image: no Debian mirror found; set DEBIAN_MIRROR" >&2; exit 2; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  echo "build-image: making $base with debootstrap from $mirror" >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  tar -C "$rootfs" -c . | podman import --quiet - "$base" >/dev/null
fi

cache="$(ccache -k cache_dir 2>/dev/null || echo "$HOME/.cache/ccache")"
mkdir -p "$cache"
# The host's CA bundle, lent to npm in the web stage: where HTTPS leaves
# through an inspecting proxy (as on this machine), only the host trusts
# the proxy's CA. Elsewhere the registry's own certificate verifies anyway.
ca_volume=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  ca_volume=(--volume /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro)
fi
podman build --quiet --network=host --build-arg BASE="$base" --volume "$cache:/ccache" \
  "${ca_volume[@]}" -f deploy/container/Containerfile -t "$tag" . >/dev/null
echo "built $tag ($(podman image inspect --format '{{.Size}}' "$tag" | numfmt --to=iec) )"
