#!/usr/bin/env bash
# The Python client's tests: installs python/ into a venv (Debian's grpcio,
# protobuf, pytest, matplotlib and tqdm through --system-site-packages; pip
# downloads nothing) and runs pytest against the built daemons.
#   scripts/python-test.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
venv="$build/pyvenv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q --no-index --no-build-isolation --force-reinstall --no-deps "$root/python"
cd "$root/python/tests"  # not python/: its tminus/ has no generated stubs
export TMINUS_BIN_DIR="$build/bin"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider .
