#!/usr/bin/env bash
# The Python client's tests. First the README's install command, exactly as
# written there, in a fresh HOME with no package index (and, as root, no
# network at all); it must leave nothing in the source tree. A venv without
# Debian's grpcio must fail saying how to get it. Then mypy over the
# installed package (when mypy is installed) and pytest against the built
# daemons, with the package the README's command installed.
#   scripts/python-test.sh BUILD_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
home="$(mktemp -d /tmp/tminus-py-home.XXXXXX)"
trap 'rm -rf "$home"' EXIT
cd "$root"

install="$(sed -n '/^## From Python/,/^## [^F]/p' README.md | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d')"
[ -n "$install" ] || { echo "no install command under README.md's '## From Python'" >&2; exit 1; }
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); fi
before="$(git status --porcelain --ignored -- python)"
echo "README's install (${offline[*]:-network allowed; PIP_NO_INDEX=1}):"
echo "$install"
HOME="$home" PIP_NO_INDEX=1 "${offline[@]}" bash -euxo pipefail -c "$install" >"$home/install.log" 2>&1 \
  || { cat "$home/install.log" >&2; exit 1; }
after="$(git status --porcelain --ignored -- python)"
[ "$before" = "$after" ] || { echo "the install left files in python/:" >&2; diff <(echo "$before") <(echo "$after") >&2; exit 1; }
python="$(ls "$home"/*/bin/python)"

/usr/bin/python3 -m venv "$home/no-grpc"
if "$home/no-grpc/bin/pip" install --no-index --no-build-isolation ./python >"$home/no-grpc.log" 2>&1 \
   || ! grep -q "apt-get install python3-grpcio python3-protobuf" "$home/no-grpc.log"; then
  echo "without grpcio the install must fail, saying how to get it:" >&2; cat "$home/no-grpc.log" >&2; exit 1
fi

if "$python" -c "import mypy" 2>/dev/null; then
  (cd "$home" && "$python" -m mypy --config-file "$root/python/pyproject.toml" -p tminus)
else
  echo "mypy is not installed (Debian: apt-get install mypy): type hints not checked"
fi

cd "$root/python/tests"  # not python/: the installed package is the one tested
export TMINUS_BIN_DIR="$build/bin"
# Not exec: the EXIT trap removes the HOME folder (and the venv in it).
"$python" -m pytest -q -p no:cacheprovider .
