#!/usr/bin/env bash
# run_escape.sh --stockade BIN --platform P [--timeout S] PROGRAM
#
# Runs the escape suite PROGRAM (escape_test) as a container's process on platform P (as
# tests/syscalls/run_in_sandbox.sh does, with the config `stockade spec` writes, a pids limit
# of 64 and the host canary's path in STOCKADE_ESCAPE_CANARY), then checks that the host is
# unchanged: the canary file outside the bundle, the runtime binary, no file the attacks name
# in the host's /tmp, and no process of the run left behind. Exits non-zero if the suite or a
# check fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stockade= platform= timeout_s=240
while (($# > 1)); do
  case $1 in
    --stockade) stockade=$2; shift 2 ;;
    --platform) platform=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    *) echo "run_escape.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
prog=${1:?usage: run_escape.sh --stockade BIN --platform P [--timeout S] PROGRAM}
[[ -x $stockade && -n $platform ]] || { echo "run_escape.sh: --stockade and --platform are required" >&2; exit 2; }

work=$(mktemp -d /tmp/stockade-escape.XXXXXX)
trap 'rm -rf "$work"' EXIT
canary=$work/canary/secret
mkdir -p "$(dirname "$canary")"
head -c 64 /dev/urandom | base64 >"$canary"
canary_sum=$(sha256sum <"$canary")
runtime_sum=$(sha256sum <"$stockade")
before_tmp=$(ls -d /tmp/escape-* 2>/dev/null || true)

rc=0
bash "$here/../syscalls/run_in_sandbox.sh" --stockade "$stockade" --platform "$platform" \
  --timeout "$timeout_s" --env "STOCKADE_ESCAPE_CANARY=$canary" \
  --jq '.linux.resources.pids.limit = 64' "$prog" || rc=$?

fail() { echo "run_escape.sh: $*" >&2; rc=1; }
[[ $(sha256sum <"$canary") == "$canary_sum" ]] || fail "the host canary $canary changed"
[[ $(sha256sum <"$stockade") == "$runtime_sum" ]] || fail "the runtime binary $stockade changed"
after_tmp=$(ls -d /tmp/escape-* 2>/dev/null || true)
[[ $after_tmp == "$before_tmp" ]] || fail "the attacks left files in the host's /tmp: $after_tmp"
left=$(pgrep -f "conformance/$(basename "$prog")" || true)
[[ -z $left ]] || fail "processes of the run are left: $left"
exit "$rc"
