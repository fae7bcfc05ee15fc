#!/usr/bin/env bash
# Faults: SIGKILL of the CLI, the sandbox or the gofer at steps of create, start, exec and
# delete, and a full disk under --root. Afterwards `state` tells the truth (a valid state or
# a clean "does not exist"), and `delete --force` leaves nothing: no process, mount, cgroup,
# socket or state directory. State files are never half-written.
#
#   STOCKADE_FLAGS=--platform=systrap bash tests/e2e/faults.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
is_stockade || skip "the fault cases name Stockade's own processes"

# state_tells_truth ID: `state` either answers valid JSON with a known status, or fails with
# one clean line (the container is gone).
state_tells_truth() {
  capture rt state "$1"
  if ((RC == 0)); then
    assert_json "$OUT" '.status | IN("creating", "created", "running", "paused", "stopped")' "state of $1"
  else
    assert_one_line_error "." "state of a half-made $1"
  fi
}

# run_detached ID ARGS...: `run -d` of ARGS, its output (which outlives any capture) to
# /dev/null.
run_detached() {
  local id=$1
  shift
  rt run -d -b "$(mkbundle "$id" "$@")" "$id" </dev/null >/dev/null 2>&1 || fail "run -d $id failed"
}

# gone_after_force_delete ID: delete --force succeeds and nothing is left.
gone_after_force_delete() {
  capture rt delete --force "$1"
  assert_rc 0 "delete --force $1"
  assert_no_leftovers "$1"
}

case_sandbox_killed_after_create() {
  local id
  id=$(cid sbx-create)
  capture rt create -b "$(mkbundle "$id" sleep 1000)" "$id"
  assert_rc 0 "create"
  kill -KILL "$(helpers_of "$id" boot | head -n 1)"
  wait_until 10 status_is "$id" stopped || fail "state is $(status_of "$id") after the sandbox died"
  gone_after_force_delete "$id"
}

case_sandbox_killed_while_running() {
  local id
  id=$(cid sbx-run)
  run_detached "$id" sleep 1000
  kill -KILL "$(helpers_of "$id" boot | head -n 1)"
  wait_until 10 status_is "$id" stopped || fail "state is $(status_of "$id") after the sandbox died"
  # Plain delete works on a stopped container.
  capture rt delete "$id"
  assert_rc 0 "delete"
  assert_no_leftovers "$id"
}

case_gofer_killed_while_running() {
  local id
  id=$(cid gofer)
  run_detached "$id" sh -c 'while :; do cat /etc/passwd >/dev/null; sleep 0.1; done'
  kill -KILL "$(helpers_of "$id" gofer | head -n 1)"
  sleep 0.5
  state_tells_truth "$id"
  gone_after_force_delete "$id"
}

case_cli_killed_during_create() {
  # SIGKILL at staggered points of create: whatever step it reached, state answers cleanly
  # and delete --force removes all of it.
  local delay i=0 id
  for delay in 0.002 0.004 0.006 0.008 0.01 0.012 0.015 0.02 0.03 0.05 0.08 0.12 0.2; do
    i=$((i + 1))
    id=$(cid create-$i)
    local b
    b=$(mkbundle "$id" sleep 1000)
    timeout -s KILL "$delay" "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$ROOT" create -b "$b" "$id" \
      >/dev/null 2>&1 </dev/null || true
    state_tells_truth "$id"
    gone_after_force_delete "$id"
  done
}

case_cli_killed_during_start_and_exec() {
  local id
  id=$(cid exec)
  capture rt create -b "$(mkbundle "$id" sleep 1000)" "$id"
  assert_rc 0 "create"
  timeout -s KILL 0.02 "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$ROOT" start "$id" >/dev/null 2>&1 || true
  state_tells_truth "$id"
  if ! status_is "$id" running; then
    capture rt start "$id"
  fi
  wait_until 10 status_is "$id" running || fail "not running: $(status_of "$id")"
  # An attached exec whose CLI dies: the exec'd process must not outlive the container.
  timeout -s KILL 0.5 "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$ROOT" exec "$id" sleep 999 \
    >/dev/null 2>&1 </dev/null || true
  state_tells_truth "$id"
  gone_after_force_delete "$id"
}

case_cli_killed_during_delete() {
  local id
  id=$(cid delete)
  run_detached "$id" sleep 1000
  timeout -s KILL 0.01 "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$ROOT" delete --force "$id" \
    >/dev/null 2>&1 || true
  state_tells_truth "$id"
  gone_after_force_delete "$id"
}

case_full_disk_under_root() {
  # --root on a tiny tmpfs, nearly full: create fails with one line, leaves no half-written
  # state file and nothing else behind.
  local small=$TEST_TMP/small-root id
  mkdir -p "$small"
  mount -t tmpfs -o size=64k stockade-e2e-small "$small"
  on_cleanup "umount -l '$small' 2>/dev/null || true"
  head -c 60000 /dev/zero >"$small/filler" 2>/dev/null || true
  id=$(cid full)
  local b
  b=$(mkbundle "$id" sleep 1000)
  capture timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$small" create -b "$b" "$id"
  if ((RC == 0)); then
    # It fit after all: it must then be whole and deletable.
    capture timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$small" delete --force "$id"
    assert_rc 0 "delete on the small root"
  else
    assert_one_line_error "." "create on a full --root"
  fi
  # Every state file left parses: none is half-written.
  local f
  while IFS= read -r f; do
    jq -e . "$f" >/dev/null 2>&1 || fail "half-written state file $f"
  done < <(find "$small" -name '*.json' 2>/dev/null)
  capture timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$small" delete --force "$id"
  assert_rc 0 "delete --force after the failure"
  [[ -z $(find "$small" -mindepth 1 -not -name filler 2>/dev/null) ]] || fail "left in the small root: $(find "$small" -mindepth 1 -not -name filler)"
  assert_no_leftovers "$id"
}

run_case sandbox_killed_after_create case_sandbox_killed_after_create
run_case sandbox_killed_while_running case_sandbox_killed_while_running
if is_sentry; then run_case gofer_killed_while_running case_gofer_killed_while_running; fi
run_case cli_killed_during_create case_cli_killed_during_create
run_case cli_killed_during_start_and_exec case_cli_killed_during_start_and_exec
run_case cli_killed_during_delete case_cli_killed_during_delete
run_case full_disk_under_root case_full_disk_under_root
finish
