#!/usr/bin/env bash
# Terminal containers: an interactive busybox sh on the console socket's pty does job control
# (^C, ^Z, fg) and sees window resizes, under the Sentry as under native. recvtty.py plays the
# user (--dialog). The same dialog runs on `exec -t`.
#
#   bash tests/e2e/terminal.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_stockade || skip "the Sentry platforms are Stockade's own"

# The user's side. A prompt is "# " at the end of what the shell printed. An expect step must
# not match the terminal's echo of what was typed: "arm"ed is typed, armed is printed. Sent text
# is decoded with Python's escapes, so \\ is one backslash.
write_dialog() {
  cat >"$TEST_TMP/dialog" <<'EOF'
expect [#$] $
send sleep 30\n
pause 0.5
send \x03
expect [#$] $
send echo "int-rc=$?"\n
expect int-rc=130
send sleep 31\n
pause 0.5
send \x1a
expect Stopped
send fg\n
expect sleep 31
pause 0.5
send \x03
expect [#$] $
send echo "fg-rc=$?"\n
expect fg-rc=130
send sh -c 'trap "echo winch \\$(stty size); exit 0" WINCH; echo "arm"ed; while :; do sleep 0.1; done'\n
expect armed
resize 41 123
expect winch 41 123
send echo "quit-rc=$?"\n
expect quit-rc=0
send exit 5\n
EOF
}

# dialog_ok NAME: the receiver played the dialog to the end and the pty closed.
dialog_ok() {
  local name=$1
  wait "$RECV_PID" || fail "$name: $(<"$TEST_TMP/$name.recvtty.err")"$'\n'"--- terminal output:"$'\n'"$(tr -d '\r' <"$TEST_TMP/$name.tty")"
}

start_receiver() {
  local name=$1
  rm -f "$TEST_TMP/$name.ready"
  "$PYTHON" "$E2E_DIR/recvtty.py" "$TEST_TMP/$name.sock" --ready "$TEST_TMP/$name.ready" \
    --dialog "$TEST_TMP/dialog" --timeout 90 >"$TEST_TMP/$name.tty" 2>"$TEST_TMP/$name.recvtty.err" &
  RECV_PID=$!
  wait_until 10 test -e "$TEST_TMP/$name.ready" || fail "console receiver did not start"
}

# prt PLATFORM ARGS...: the runtime on PLATFORM with this test's --root.
prt() {
  local platform=$1
  shift
  # shellcheck disable=SC2046 # platform_flags is meant to split
  timeout -k 5 120 "$STOCKADE" $(platform_flags "$platform") --root "$ROOT" "$@"
}

# tty_run PLATFORM: an interactive sh as a terminal container's init (create --console-socket,
# as podman -t starts one); its exit code is the container's.
tty_run() {
  local platform=$1 id b
  id=$(cid "run-$platform")
  b=$(mkbundle "$id" sh)
  bundle_edit "$b" '.process.terminal = true'
  start_receiver "run-$platform"
  capture prt "$platform" create -b "$b" --console-socket "$TEST_TMP/run-$platform.sock" "$id"
  assert_rc 0 "create with a terminal on $platform"
  capture prt "$platform" start "$id"
  assert_rc 0 "start on $platform"
  dialog_ok "run-$platform"
  capture prt "$platform" wait "$id"
  assert_json "$OUT" '.exitStatus == 5' "exit status of the interactive shell on $platform"
  prt "$platform" delete --force "$id"
  assert_no_leftovers "$id"
}

# tty_exec PLATFORM: the same dialog on `exec -d -t` into a running container.
tty_exec() {
  local platform=$1 id b
  id=$(cid "exec-$platform")
  b=$(mkbundle "$id" sleep 120)
  prt "$platform" run -d -b "$b" "$id" </dev/null >/dev/null 2>&1 || fail "run -d on $platform"
  start_receiver "exec-$platform"
  capture prt "$platform" exec -d -t --console-socket "$TEST_TMP/exec-$platform.sock" "$id" sh
  assert_rc 0 "exec -d -t on $platform"
  dialog_ok "exec-$platform"
  prt "$platform" delete --force "$id"
  assert_no_leftovers "$id"
}

case_job_control_native() { tty_run native; }
case_job_control_sentry() { tty_run "$SENTRY_PLATFORM"; }
case_exec_job_control_native() { tty_exec native; }
case_exec_job_control_sentry() { tty_exec "$SENTRY_PLATFORM"; }

write_dialog
run_case job_control_native case_job_control_native
run_case job_control_sentry case_job_control_sentry
run_case exec_job_control_native case_exec_job_control_native
run_case exec_job_control_sentry case_exec_job_control_sentry
finish
