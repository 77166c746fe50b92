#!/usr/bin/env bash
# Checks the units with systemd-analyze verify, pointing ExecStart at the
# built binaries (BIN_DIR, first argument) in a scratch copy.
set -euo pipefail
bin_dir="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/tminus-units.XXXXXX)"
trap 'rm -rf "$work"' EXIT
for unit in tminus-coordinator.service tminus-worker.service; do
  sed "s|/usr/local/bin/|$bin_dir/|" "$here/$unit" > "$work/$unit"
done
# Fails on any warning about the units themselves.
output="$(systemd-analyze verify "$work"/*.service 2>&1 || true)"
relevant="$(echo "$output" | grep -F "$work" || true)"
if [ -n "$relevant" ]; then
  echo "$relevant"
  exit 1
fi
echo "units verified"
