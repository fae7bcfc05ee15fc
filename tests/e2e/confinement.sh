#!/usr/bin/env bash
# Stockade's own processes on a Sentry platform, seen from the host: the sandbox and the
# gofer each run under a seccomp filter of their own (every thread), with no_new_privs, as
# nobody in a user namespace that is not the host's, with no capabilities (the sandbox) or
# only the gofer's five file capabilities, under a root that is not the host's. `--debug`
# (with a debug log per process) weakens none of it, and the container still works.
#
#   bash tests/e2e/confinement.sh            (SENTRY_PLATFORM=systrap by default)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_stockade || skip "the Sentry platforms are Stockade's own"

NOBODY_IDS=$'65534\t65534\t65534\t65534'
SANDBOX_CAPS=0000000000000000
# CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID (gofer/confine.cc).
GOFER_CAPS=000000000000001f

# status_field PID FIELD: FIELD's value in /proc/PID/status (tabs kept between values).
status_field() { sed -n "s/^$2:\t//p" "/proc/$1/status"; }

# assert_confined PID ROLE CAPEFF: PID and each of its threads as described at the top.
assert_confined() {
  local pid=$1 role=$2 caps=$3 task tid
  [[ -d /proc/$pid ]] || fail "$role: no process $pid"
  for task in /proc/"$pid"/task/*; do
    tid=${task##*/}
    assert_eq 2 "$(status_field "$pid/task/$tid" Seccomp)" "$role thread $tid Seccomp (2 = filter)"
    assert_eq 1 "$(status_field "$pid/task/$tid" NoNewPrivs)" "$role thread $tid NoNewPrivs"
  done
  assert_eq "$NOBODY_IDS" "$(status_field "$pid" Uid)" "$role Uid"
  assert_eq "$NOBODY_IDS" "$(status_field "$pid" Gid)" "$role Gid"
  assert_eq "$caps" "$(status_field "$pid" CapEff)" "$role CapEff"
  assert_eq "$caps" "$(status_field "$pid" CapPrm)" "$role CapPrm"
  assert_eq "$caps" "$(status_field "$pid" CapBnd)" "$role CapBnd"
  assert_eq 0000000000000000 "$(status_field "$pid" CapAmb)" "$role CapAmb"
  assert_ne "$(readlink /proc/self/ns/user)" "$(readlink "/proc/$pid/ns/user")" "$role user namespace"
  # The root is compared by inode: its name is the one inside the process's mount namespace.
  assert_ne "$(stat -c %d:%i /)" "$(stat -Lc %d:%i "/proc/$pid/root/")" "$role root directory (device:inode)"
}

# check_container NAME GLOBAL_FLAGS...: a running container's sandbox and gofer are confined,
# and the container keeps working (exec goes through the confined sandbox's controller).
check_container() {
  local name=$1 id b sandbox gofer
  shift
  id=$(cid "$name")
  b=$(mkbundle "$id" sleep 1000)
  capture srt "$@" run -d -b "$b" "$id"
  assert_rc 0 "run -d $*"
  wait_until 10 status_is "$id" running || fail "$id did not start"
  sandbox=$(sandbox_pids "$id" | awk '$2 == "sandbox" { print $1 }') || true
  [[ -n $sandbox ]] || fail "no sandbox process for $id"
  gofer=$(helpers_of "$id" gofer)
  [[ $gofer =~ ^[0-9]+$ ]] || fail "expected one gofer for $id, found [$gofer]"
  assert_confined "$sandbox" sandbox "$SANDBOX_CAPS"
  assert_confined "$gofer" gofer "$GOFER_CAPS"
  capture srt "$@" exec "$id" sh -c 'echo hi; ls /bin/sh'
  assert_rc 0 "exec into the confined sandbox"
  assert_eq $'hi\n/bin/sh' "$OUT" "exec output"
  capture srt "$@" kill "$id" KILL
  wait_until 10 status_is "$id" stopped || fail "$id did not stop"
  capture srt "$@" delete --force "$id"
  assert_rc 0 "delete"
  assert_no_leftovers "$id"
}

case_confined() { check_container plain; }
case_confined_with_debug() {
  check_container debug --debug --debug-log "$TEST_TMP/debug-logs/"
  ls "$TEST_TMP/debug-logs/" | grep -q boot || fail "--debug-log DIR/ has no sandbox log: $(ls "$TEST_TMP/debug-logs/")"
}

run_case confined case_confined
run_case confined_with_debug case_confined_with_debug
finish
