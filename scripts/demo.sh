#!/usr/bin/env bash
# Installs the dependencies, builds, and runs `tminus demo` on a local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
exec build/bin/tminus demo "$@"
