#!/usr/bin/env bash
# bash completion for tminus: subcommands, a subcommand's flags, and job ids
# asked of the coordinator named on the line.  completion_test.sh BIN_DIR
set -euo pipefail
bin="$(cd "$1" && pwd)"
export PATH="$bin:$PATH"
source "$(dirname "$0")/../../deploy/completion/tminus.bash"
work="$(mktemp -d /tmp/tminus-completion.XXXXXX)"
coordinator=""
cleanup() { [ -n "$coordinator" ] && kill "$coordinator" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

complete_line() {  # the words of a line, the last one being completed
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _tminus
  echo " ${COMPREPLY[*]} "
}
expect() {  # expect WORD in OUTPUT
  [[ "$2" == *" $1 "* ]] || { echo "completion: expected '$1' in [$2]"; exit 1; }
}

expect submit "$(complete_line tminus su)"
expect undrain "$(complete_line tminus un)"
expect --chunks "$(complete_line tminus submit --chu)"
expect --chunk-size "$(complete_line tminus submit --chu)"
expect --time-limit "$(complete_line tminus submit --ti)"
expect json "$(complete_line tminus list -o j)"
expect running "$(complete_line tminus list --state r)"

tminus-coordinator --listen 127.0.0.1:0 --port-file "$work/port" --http-listen '' \
  --state-dir '' 2>"$work/log" &
coordinator=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
address="127.0.0.1:$(cat "$work/port")"
id="$(tminus -c "$address" submit -n 1000 --chunks 1)"  # no worker: it waits, queued
expect "$id" "$(complete_line tminus -c "$address" status "")"
echo "completion: subcommands, flags and job ids complete"
