#!/usr/bin/env bash
# Bad input, as a new user would give it. Every failure must exit non-zero, print exactly one
# non-empty line on stderr that names the problem (runc prints one logrus line, e.g.
# `time="…" level=error msg="runc run failed: invalid container ID format"`; we check the
# meaning, not runc's wording), and leave nothing behind: no state under --root, no process,
# no mount, no cgroup.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/cli_errors.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The bundle-level errors: each tried with `run` and with `create`.
try_run_and_create() { # ID BUNDLE REGEX WHAT
  local id=$1 b=$2 re=$3 what=$4 cmd
  for cmd in run create; do
    capture rt "$cmd" -b "$b" "$id"
    assert_one_line_error --no-stdout "$re" "$cmd: $what"
    assert_no_leftovers "$id"
    capture rt state "$id"
    assert_rc 1 "state after failed $cmd ($what)"
  done
}

case_missing_bundle() {
  local id
  id=$(cid nobundle)
  try_run_and_create "$id" "$TEST_TMP/no-such-bundle-$id" "no-such-bundle|bundle|no such file|not exist" \
    "missing bundle"
}

case_missing_config() {
  local id b
  id=$(cid noconfig)
  b=$TEST_TMP/bundles/$id
  mkdir -p "$b"
  try_run_and_create "$id" "$b" "config\.json|not found|no such file" "bundle without config.json"
}

case_malformed_config() {
  local id b
  id=$(cid badjson)
  b=$(mkbundle "$id")
  printf '{"ociVersion": "1.0.2", "process": {bad json\n' >"$b/config.json"
  try_run_and_create "$id" "$b" "json|config|invalid|parse|syntax|unexpected" "malformed config.json"
  # Valid JSON of the wrong shape.
  echo '[1, 2, 3]' >"$b/config.json"
  try_run_and_create "$id" "$b" "json|config|invalid|parse|cannot unmarshal|expected|object" "config.json that is not an object"
}

case_missing_rootfs() {
  local id b
  id=$(cid norootfs)
  b=$(mkbundle "$id")
  bundle_edit "$b" '.root.path = $p' --arg p "$TEST_TMP/no-such-rootfs-$id"
  try_run_and_create "$id" "$b" "rootfs|root|no-such-rootfs|no such file|not exist" "missing rootfs"
}

case_missing_binary() {
  local id b
  id=$(cid nobinary)
  b=$(mkbundle "$id" /no/such/binary)
  capture rt run -b "$b" "$id"
  assert_one_line_error --no-stdout "/no/such/binary|no such file|not found|exec" "run of a missing binary"
  assert_no_leftovers "$id"
}

case_invalid_ids() {
  local b bad
  b=$(mkbundle "$(cid badid)")
  for bad in "../x" "a b" "" "x/y" "$TAG/../../x" $'a\nb'; do
    capture rt run -b "$b" "$bad"
    assert_one_line_error --no-stdout '\bid\b|identifier' "run with container ID [$bad]"
    capture rt create -b "$b" "$bad"
    assert_one_line_error --no-stdout '\bid\b|identifier' "create with container ID [$bad]"
  done
  # Nothing may have been made anywhere: not under --root, not next to it.
  local st
  st=$(find "$ROOT" "$TEST_TMP" -mindepth 1 -maxdepth 1 -newer "$b/config.json" \
    ! -name '.capture.*' 2>/dev/null || true)
  [[ -z $st ]] || fail "invalid IDs left: $st"
  assert_no_leftovers "$(cid badid)"
}

case_duplicate_id() {
  local id b
  id=$(cid dup)
  b=$(mkbundle "$id" sh -c 'echo first-container-ran')
  capture_as dup1 rt create -b "$b" "$id"
  assert_rc 0 "first create"
  local pid
  pid=$(state_field "$id" pid)
  capture rt create -b "$b" "$id"
  assert_one_line_error --no-stdout "exist|already|in use|duplicate" "create with a duplicate ID"
  capture rt run -b "$b" "$id"
  assert_one_line_error --no-stdout "exist|already|in use|duplicate" "run with a duplicate ID"
  # The first container is untouched and still works.
  assert_eq created "$(status_of "$id")" "status of the first container"
  assert_eq "$pid" "$(state_field "$id" pid)" "pid of the first container"
  capture rt start "$id"
  assert_rc 0 "start of the first container"
  wait_until 10 status_is "$id" stopped || fail "first container did not finish"
  assert_eq first-container-ran "$(<"$TEST_TMP/dup1.out")"
  rt delete "$id"
  assert_no_leftovers "$id"
}

case_start_twice() {
  local id b
  id=$(cid start2)
  b=$(mkbundle "$id" sleep 1000)
  rt create -b "$b" "$id" </dev/null >/dev/null 2>&1
  rt start "$id"
  capture rt start "$id"
  assert_one_line_error --no-stdout "running|already|started|not created|state|status" "second start"
  assert_eq running "$(status_of "$id")" "status after a second start"
  # And once it has stopped.
  rt kill "$id" KILL
  wait_until 10 status_is "$id" stopped || fail "did not stop"
  capture rt start "$id"
  assert_one_line_error --no-stdout "stopped|already|not created|state|status" "start of a stopped container"
  rt delete "$id"
  assert_no_leftovers "$id"
}

case_delete_running() {
  local id b
  id=$(cid delrun)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  capture rt delete "$id"
  assert_one_line_error --no-stdout "running|stop|force" "delete of a running container without --force"
  assert_eq running "$(status_of "$id")" "status after refused delete"
  local pid
  pid=$(state_field "$id" pid)
  [[ -d /proc/$pid ]] || fail "refused delete killed the container"
  capture rt delete --force "$id"
  assert_rc 0 "delete --force"
  assert_no_leftovers "$id"
}

case_unknown_signal() {
  local id b sig
  id=$(cid badsig)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  for sig in FOO SIGFOO 999 -1 ""; do
    [[ -z $sig ]] && continue
    capture rt kill "$id" "$sig"
    assert_one_line_error --no-stdout "signal|invalid|argument|$sig" "kill with signal [$sig]"
    assert_eq running "$(status_of "$id")" "status after kill $sig"
  done
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

case_missing_container() {
  local id cmd
  id=$(cid ghost)
  for cmd in state kill delete start pause resume ps "events --stats" "exec"; do
    # shellcheck disable=SC2086
    if [[ $cmd == exec ]]; then capture rt exec "$id" true; else capture rt $cmd "$id"; fi
    assert_one_line_error --no-stdout "not exist|no such|not found|does not|unknown container" "$cmd of a missing container"
    [[ $cmd == @(state|kill|delete) ]] && assert_rc 1 "$cmd of a missing container"
  done
  capture rt delete --force "$id"
  assert_rc 0 "delete --force of a missing container"
  assert_eq "" "$ERR" "stderr of delete --force of a missing container"
  assert_no_leftovers "$id"
}

# containerd's shim passes `--log FILE --log-format json` and reports the last "error" entry
# of FILE when a command fails; runc also prints the message alone on stderr.
case_log_json() {
  local id log
  id=$(cid logjson)
  log=$TEST_TMP/$id.log.json
  capture rt --log "$log" --log-format json run -b "$TEST_TMP/no-such-bundle-$id" "$id"
  assert_one_line_error --no-stdout "no-such-bundle|bundle|no such file|not exist" "run with --log-format json"
  [[ -s $log ]] || fail "--log file $log is empty after a failure"
  local last
  last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)
  assert_json "$last" '.level == "error" and (.msg | type == "string" and length > 0)' "last --log entry"
  assert_match "$(jq -r .msg <<<"$last")" "no-such-bundle|bundle|no such file|not exist" "--log error msg"
  jq -e . "$log" >/dev/null 2>&1 || fail "--log file is not JSON lines: $(<"$log")"
  assert_no_leftovers "$id"
}

case_unknown_command() {
  capture rt no-such-subcommand
  [[ $RC != 0 ]] || fail "unknown subcommand exited 0"
  [[ -n $ERR$OUT ]] || fail "unknown subcommand printed nothing"
  capture rt run --no-such-flag x
  [[ $RC != 0 ]] || fail "unknown flag exited 0"
}

run_case missing_bundle case_missing_bundle
run_case missing_config case_missing_config
run_case malformed_config case_malformed_config
run_case missing_rootfs case_missing_rootfs
run_case missing_binary case_missing_binary
run_case invalid_ids case_invalid_ids
run_case duplicate_id case_duplicate_id
run_case start_twice case_start_twice
run_case delete_running case_delete_running
run_case unknown_signal case_unknown_signal
run_case missing_container case_missing_container
run_case log_json case_log_json
run_case unknown_command case_unknown_command
capture rt list -q
[[ -z $OUT ]] || { log "containers left in --root: $OUT"; exit 1; }
finish
