#!/usr/bin/env bash
# Stockade's diagnostics, as runsc has them: `debug --stacks ID` (the sandbox's thread stacks),
# `checkpoint`/`restore` refused on the native platform with one "not supported" line,
# `--debug-log DIR/` (one debug log file per process: the CLI's and the sandbox's, told apart by
# ".cli." and ".boot." in their names), and `--log FILE --log-format json` (the error as a JSON
# line, as containerd's shim reads it). runc has no `debug` and real checkpointing, so the
# script skips (77) unless the runtime is Stockade.
#
#   STOCKADE=build/src/cli/stockade STOCKADE_FLAGS=--platform=native bash tests/e2e/debug.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
is_stockade || skip "debug, checkpoint on native and per-process debug logs are Stockade's"


run_sleeper() { # NAME [GLOBAL_FLAGS...] -> sets ID, B
  local name=$1
  shift
  ID=$(cid "$name")
  B=$(mkbundle "$ID" sleep 1000)
  rt "$@" run -d -b "$B" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/$name.err"
}

case_debug_stacks() {
  run_sleeper stacks
  capture rt debug --stacks "$ID"
  assert_rc 0 "debug --stacks"
  local n
  n=$(grep -Ec '^thread [0-9]+' <<<"$OUT" || true)
  ((n >= 2)) || fail "debug --stacks shows $n thread section(s), wanted at least 2: [$OUT]"
  # Each section has at least one frame under it.
  local sections frames
  sections=$(awk '/^thread [0-9]+/ {s++} END {print s+0}' <<<"$OUT")
  frames=$(awk '/^thread [0-9]+/ {t=1; next} t && /^[[:space:]]+[^[:space:]]/ {f[NR]=1; t=0; c++} END {print c+0}' <<<"$OUT")
  assert_eq "$sections" "$frames" "thread sections with a frame"
  assert_eq running "$(status_of "$ID")" "status after debug --stacks"
  # Nothing to do without --stacks; a missing container.
  capture rt debug "$ID"
  assert_fails "debug without an action"
  capture rt debug --stacks "$(cid no-such)"
  assert_one_line_error --no-stdout "$(cid no-such)|not exist" "debug --stacks of a missing container"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

case_checkpoint_not_supported() {
  run_sleeper ckpt
  capture rt checkpoint "$ID"
  assert_one_line_error --no-stdout "not supported" "checkpoint on native"
  assert_eq running "$(status_of "$ID")" "status after a refused checkpoint"
  capture rt exec "$ID" echo alive
  assert_eq alive "$OUT" "exec after a refused checkpoint"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

# With the flags that podman and containerd pass to runc's checkpoint and restore: still the
# same one "not supported" line, not a complaint about the flags.
case_checkpoint_runc_flags() {
  run_sleeper ckptflags
  capture rt checkpoint --image-path "$TEST_TMP/ckpt-image" --work-path "$TEST_TMP/ckpt-work" --leave-running "$ID"
  assert_one_line_error --no-stdout "not supported" "checkpoint --image-path --work-path --leave-running on native"
  assert_eq running "$(status_of "$ID")" "status after a refused checkpoint"
  local rid
  rid=$(cid restored)
  capture rt restore --image-path "$TEST_TMP/ckpt-image" --work-path "$TEST_TMP/ckpt-work" -d -b "$B" "$rid"
  [[ $RC != 0 ]] || fail "restore on native exited 0"
  assert_no_leftovers "$rid"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

# --debug-log DIR/: one file per process; create, start and delete each write a CLI file, and
# the sandbox writes a file of its own.
case_debug_log_dir() {
  local dir=$TEST_TMP/debug-logs/ id b
  id=$(cid dlog)
  b=$(mkbundle "$id" sleep 1000)
  capture_as dlog rt --debug-log "$dir" create -b "$b" "$id"
  assert_rc 0 "create --debug-log DIR/"
  capture rt --debug-log "$dir" start "$id"
  assert_rc 0 "start --debug-log DIR/"
  capture rt --debug-log "$dir" delete --force "$id"
  assert_rc 0 "delete --debug-log DIR/"
  assert_no_leftovers "$id"
  [[ -d $dir ]] || fail "--debug-log $dir made no directory"
  local files cli boot
  files=$(cd "$dir" && ls -1)
  cli=$(grep -c '\.cli\.' <<<"$files" || true)
  boot=$(grep -c '\.boot\.' <<<"$files" || true)
  ((cli >= 3)) || fail "wanted a .cli. file for each of create, start and delete; files: [$files]"
  ((boot >= 1)) || fail "wanted a .boot. file for the sandbox; files: [$files]"
  local f
  for f in "$dir"*.cli.*; do
    [[ -s $f ]] || fail "empty debug log $f"
    if grep -q '\[boot ' "$f"; then fail "the sandbox writes into the CLI's debug log $f: $(grep -m1 '\[boot ' "$f")"; fi
  done
  for f in "$dir"*.boot.*; do
    [[ -s $f ]] || fail "empty debug log $f"
    grep -q "$id" "$f" || fail "the sandbox's debug log does not mention $id: $(head -3 "$f")"
  done
  # The user's stderr stays quiet: debug output goes to the files only.
  assert_eq "" "$(<"$TEST_TMP/dlog.err")" "stderr of create --debug-log"
}

# --debug-log FILE: everything in that one file, the sandbox's lines included.
case_debug_log_file() {
  local f=$TEST_TMP/debug.log id b
  id=$(cid dfile)
  b=$(mkbundle "$id" sleep 1000)
  capture_as dfile rt --debug-log "$f" run -d -b "$b" "$id"
  assert_rc 0 "run -d --debug-log FILE"
  capture rt --debug-log "$f" delete --force "$id"
  assert_rc 0 "delete --debug-log FILE"
  [[ -s $f ]] || fail "--debug-log $f is empty"
  grep -q '\[cli ' "$f" || fail "no CLI lines in $f: $(head -3 "$f")"
  grep -q '\[boot ' "$f" || fail "no sandbox lines in $f: $(head -3 "$f")"
  assert_no_leftovers "$id"
}

# --log FILE --log-format json: a failing command leaves a JSON error line in FILE, whether it
# fails in the CLI or in the sandbox.
case_log_json() {
  local log=$TEST_TMP/log.json
  capture rt --log "$log" --log-format json start "$(cid no-such)"
  assert_one_line_error --no-stdout "$(cid no-such)|not exist" "start of a missing container"
  [[ -s $log ]] || fail "--log $log is empty after a failure"
  local last
  last=$(tail -n 1 "$log")
  assert_json "$last" '.level == "error" and (.msg | type == "string" and length > 0) and (.time | type == "string")' "--log entry"
  assert_contains "$(jq -r .msg <<<"$last")" "$(cid no-such)" "--log error msg"

  run_sleeper logjson
  capture rt --log "$log" --log-format json exec "$ID" /no/such/binary
  assert_fails "exec of a missing binary"
  last=$(tail -n 1 "$log")
  assert_json "$last" '.level == "error"' "--log entry of a failed exec"
  assert_contains "$(jq -r .msg <<<"$last")" /no/such/binary "--log error msg of a failed exec"
  capture rt --log "$log" --log-format json checkpoint "$ID"
  assert_fails "checkpoint"
  last=$(tail -n 1 "$log")
  assert_json "$last" '.level == "error" and (.msg | test("not supported"))' "--log entry of a refused checkpoint"
  jq -e . "$log" >/dev/null 2>&1 || fail "--log file is not JSON lines: $(<"$log")"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

run_case debug_stacks case_debug_stacks
run_case checkpoint_not_supported case_checkpoint_not_supported
run_case checkpoint_runc_flags case_checkpoint_runc_flags
run_case debug_log_dir case_debug_log_dir
run_case debug_log_file case_debug_log_file
run_case log_json case_log_json
capture rt list -q
[[ -z $OUT ]] || { log "containers left in --root: $OUT"; exit 1; }
finish
