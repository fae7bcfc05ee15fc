#!/usr/bin/env bash
# `stockade do CMD [ARGS]`, as `runsc do`: a command runs in a fresh sandbox over the host's
# root, seen read-only under the in-memory overlay; its output and exit code pass through,
# its writes never reach the host, and nothing of the sandbox stays behind.
#
#   bash tests/e2e/do.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_stockade || skip "do is Stockade's own (runsc has it too, not runc)"

# sdo ARGS...: `stockade do` with this test's state root, and its bundle dir under TEST_TMP.
DO_TMP=$TEST_TMP/do-tmp
mkdir -p "$DO_TMP"
sdo() { capture env TMPDIR="$DO_TMP" timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" --root "$ROOT" "$@"; }

# Nothing of a `do` sandbox stays: no bundle, no state, no container, no cgroup, no process.
assert_do_left_nothing() {
  assert_eq "" "$(ls -A "$DO_TMP")" "bundle dirs left in TMPDIR"
  assert_eq "" "$(find "$ROOT" -mindepth 1 -maxdepth 1 2>/dev/null)" "state left in --root"
  assert_no_leftovers "$ROOT"
  assert_eq "" "$(find_cgroups 'do-' || true)" "cgroups of do sandboxes"
}

case_echo() {
  sdo do /bin/echo hi
  assert_rc 0 "do /bin/echo hi"
  assert_eq hi "$OUT" "stdout"
  assert_eq "" "$ERR" "stderr"
  assert_do_left_nothing
}

case_writes_stay_in_the_sandbox() {
  local probe=/etc/stockade-do-probe-$TAG
  sdo do sh -c "echo x > $probe; cat $probe; rm /etc/hostname && test ! -e /etc/hostname && echo removed"
  assert_rc 0 "do writing to /etc"
  assert_eq $'x\nremoved' "$OUT" "the command sees its own writes"
  [[ ! -e $probe ]] || fail "$probe reached the host"
  [[ -e /etc/hostname ]] || fail "the host's /etc/hostname was removed"
  assert_do_left_nothing
}

case_exit_code_and_signal_pass_through() {
  sdo do sh -c 'echo out; echo err >&2; exit 7'
  assert_rc 7 "exit code"
  assert_eq out "$OUT" "stdout"
  assert_eq err "$ERR" "stderr"
  # (The container's init ignores SIGKILL from inside, as on Linux: a child takes it.)
  sdo do sh -c 'sh -c "kill -KILL \$\$"; exit $?'
  assert_rc 137 "a child killed by SIGKILL"
  assert_do_left_nothing
}

case_cwd_and_env() {
  local here
  here=$(cd /usr/share && pwd)
  capture_as .cwd bash -c "cd $here && DO_PROBE=seen TMPDIR='$DO_TMP' timeout -k 5 $RT_TIMEOUT '$STOCKADE' --root '$ROOT' do sh -c 'pwd; echo \$DO_PROBE'"
  assert_rc 0 "do in /usr/share"
  assert_eq "$here"$'\nseen' "$OUT" "the caller's cwd and environment"
  sdo do --cwd /etc pwd
  assert_rc 0 "do --cwd"
  assert_eq /etc "$OUT" "--cwd"
  assert_do_left_nothing
}

case_bad_input() {
  sdo do
  assert_one_line_error 'no command' "do without a command"
  sdo --platform=native do true
  assert_one_line_error 'Sentry platform' "do on native"
  sdo --overlay=none do true
  assert_one_line_error 'overlay=memory' "do without the overlay"
  sdo do /no/such/binary
  assert_fails "do of a missing binary"
  assert_do_left_nothing
}

run_case echo case_echo
run_case writes_stay_in_the_sandbox case_writes_stay_in_the_sandbox
run_case exit_code_and_signal_pass_through case_exit_code_and_signal_pass_through
run_case cwd_and_env case_cwd_and_env
run_case bad_input case_bad_input
finish
