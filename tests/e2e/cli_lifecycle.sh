#!/usr/bin/env bash
# The container lifecycle through the runc CLI on a busybox bundle: run, exit codes, signals,
# create/start/state, ps, exec (plain, detached, process.json, TTY through a console socket),
# pause/resume, kill, events --stats, list and delete.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/cli_lifecycle.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# wait_status ID STATUS [SECONDS]
wait_status() {
  wait_until "${3:-10}" status_is "$1" "$2" || fail "$1: status stayed [$(status_of "$1")], wanted [$2]"
}

# start_console_receiver NAME: starts recvtty.py on $TEST_TMP/NAME.sock, output to NAME.tty.
start_console_receiver() {
  local name=$1
  rm -f "$TEST_TMP/$name.ready"
  "$PYTHON" "$E2E_DIR/recvtty.py" "$TEST_TMP/$name.sock" --ready "$TEST_TMP/$name.ready" \
    --timeout 30 >"$TEST_TMP/$name.tty" 2>"$TEST_TMP/$name.recvtty.err" &
  RECV_PID=$!
  wait_until 10 test -e "$TEST_TMP/$name.ready" || fail "console receiver did not start"
}

case_run_output() {
  local id b
  id=$(cid run)
  b=$(mkbundle "$id" sh -c 'echo $((6*7)); id -u; hostname; grep NoNewPrivs /proc/self/status')
  capture rt run -b "$b" "$id"
  assert_rc 0 "run"
  local expected
  expected=$(printf '42\n0\n%s\nNoNewPrivs:\t1' "$(jq -r .hostname "$b/config.json")")
  assert_eq "$expected" "$OUT" "container output"
  assert_eq "" "$ERR" "stderr of a successful run"
  assert_no_leftovers "$id"
}

case_run_exit_code() {
  local id b
  id=$(cid exit7)
  b=$(mkbundle "$id" sh -c 'echo before-exit; exit 7')
  capture rt run -b "$b" "$id"
  assert_rc 7 "run of 'exit 7'"
  assert_eq "before-exit" "$OUT"
  assert_no_leftovers "$id"
}

# The container's init is PID 1 of its PID namespace: the kernel drops signals it has no
# handler for when they come from inside the namespace, even SIGKILL. A child is not
# protected and its death by SIGKILL is status 137.
case_pid1_signal_semantics() {
  local id b
  id=$(cid pid1)
  b=$(mkbundle "$id" sh -c 'kill -9 $$; echo survived; sh -c "kill -9 \$\$"; echo child=$?')
  capture rt run -b "$b" "$id"
  assert_rc 0
  assert_eq $'survived\nchild=137' "$OUT"
  assert_no_leftovers "$id"
}

# `run` in the foreground reports death by signal as 128+N.
case_run_killed_137() {
  local id b rc
  id=$(cid k137)
  b=$(mkbundle "$id" sleep 1000)
  rt run -b "$b" "$id" >"$TEST_TMP/k137.out" 2>&1 </dev/null &
  local runner=$!
  wait_status "$id" running
  rt kill "$id" 9
  set +e
  wait "$runner"
  rc=$?
  set -e
  assert_eq 137 "$rc" "exit code of run after SIGKILL"
  assert_no_leftovers "$id"
}

# Statuses created -> running -> stopped. "creating" lasts only while `create` itself runs
# and cannot be observed reliably from outside.
case_create_start_state() {
  local id b
  id=$(cid css)
  b=$(mkbundle "$id" sh -c 'sleep 2; echo done-running')
  capture_as css rt create -b "$b" --pid-file "$TEST_TMP/css.pid" "$id"
  assert_rc 0 "create"
  local st
  st=$(rt state "$id")
  assert_json "$st" '.id and .pid and .status and .bundle' "state has id,pid,status,bundle"
  assert_eq "$id" "$(jq -r .id <<<"$st")" "state.id"
  assert_eq created "$(jq -r .status <<<"$st")" "status after create"
  assert_eq "$b" "$(jq -r .bundle <<<"$st")" "state.bundle"
  local pid
  pid=$(jq -r .pid <<<"$st")
  assert_match "$pid" '^[1-9][0-9]*$' "state.pid after create"
  [[ -d /proc/$pid ]] || fail "state.pid $pid is not a live process"
  assert_pid_file "$TEST_TMP/css.pid" "$pid"
  # Nothing of the process may have run before start.
  assert_not_contains "$OUT" done-running "output before start"

  capture rt start "$id"
  assert_rc 0 "start"
  assert_eq running "$(status_of "$id")" "status after start"
  assert_eq "$pid" "$(state_field "$id" pid)" "pid after start"

  wait_status "$id" stopped 15
  st=$(rt state "$id")
  assert_eq stopped "$(jq -r .status <<<"$st")"
  assert_eq "$id" "$(jq -r .id <<<"$st")"

  capture rt delete "$id"
  assert_rc 0 "delete of a stopped container"
  capture rt state "$id"
  assert_rc 1 "state after delete"
  assert_no_leftovers "$id"
  # Without a terminal the container's stdout is create's stdout.
  assert_eq done-running "$(<"$TEST_TMP/css.out")" "container output"
}

# runc: the pid file holds the container's init. Stockade, as runsc: it holds the sandbox
# process, the init's parent, which exits with the container's status and forwards signals.
assert_pid_file() { # FILE INIT_PID
  local got
  got=$(tr -d '[:space:]' <"$1")
  if is_sentry; then
    # No host process is the init: state and pid file both name the sandbox.
    assert_eq "$2" "$got" "--pid-file content (the sandbox)"
    [[ -d /proc/$got ]] || fail "pid file names $got, which is not running"
  elif is_stockade; then
    assert_match "$got" '^[1-9][0-9]*$' "--pid-file content"
    [[ -d /proc/$got ]] || fail "pid file names $got, which is not running"
    assert_eq "$got" "$(awk '{print $4}' "/proc/$2/stat")" "pid file names the init's parent (the sandbox)"
  else
    assert_eq "$2" "$got" "--pid-file content"
  fi
}

case_run_detached() {
  local id b
  id=$(cid det)
  b=$(mkbundle "$id" sleep 1000)
  capture rt run -d -b "$b" --pid-file "$TEST_TMP/det.pid" "$id"
  assert_rc 0 "run -d"
  assert_eq running "$(status_of "$id")"
  assert_pid_file "$TEST_TMP/det.pid" "$(state_field "$id" pid)"
  capture rt delete "$id"
  assert_fails "delete of a running container without --force"
  assert_eq running "$(status_of "$id")" "status after refused delete"
  capture rt delete --force "$id"
  assert_rc 0 "delete --force of a running container"
  assert_no_leftovers "$id"
}

case_ps() {
  local id b
  id=$(cid ps)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>"$TEST_TMP/ps.err"
  local pid
  pid=$(state_field "$id" pid)
  # ps lists the sandbox's own PIDs under the Sentry, where init is 1.
  if is_sentry; then pid=1; fi
  capture rt ps "$id"
  assert_rc 0 "ps"
  # The table's columns differ between runtimes (runc: ps -ef's; crun: PID only).
  assert_contains "$OUT" "PID" "ps table header"
  assert_match "$OUT" "(^|[^0-9])$pid([^0-9]|\$)" "ps table lists init pid $pid"
  capture rt ps --format json "$id"
  assert_rc 0 "ps --format json"
  assert_json "$OUT" 'type == "array" and length >= 1 and all(.[]; type == "number")' "ps json"
  assert_json "$OUT" "index($pid) != null" "ps json contains init pid $pid"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

case_exec() {
  local id b
  id=$(cid exec)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>"$TEST_TMP/exec.err"

  capture rt exec "$id" sh -c 'echo in-exec $((2+3)); hostname; exit 5'
  assert_rc 5 "exit code of exec"
  assert_eq "in-exec 5"$'\n'"$(jq -r .hostname "$b/config.json")" "$OUT" "exec output"

  # Arguments keep their boundaries.
  capture rt exec "$id" sh -c 'for a in "$@"; do echo "[$a]"; done' x "a b" "" '$HOME'
  assert_rc 0
  assert_eq $'[a b]\n[]\n[$HOME]' "$OUT" "exec argv"

  # Environment and working directory options.
  capture rt exec --env FOO=bar --cwd /tmp "$id" /bin/sh -c 'echo $FOO; pwd'
  assert_rc 0
  assert_eq $'bar\n/tmp' "$OUT" "exec --env --cwd"

  # --process process.json, as conmon and containerd's shim use it.
  jq '.process | .args = ["sh", "-c", "echo from-process-json; exit 3"] | .terminal = false' \
    "$b/config.json" >"$TEST_TMP/process.json"
  capture rt exec --process "$TEST_TMP/process.json" "$id"
  assert_rc 3 "exit code of exec --process"
  assert_eq from-process-json "$OUT"

  # Detached exec: returns at once, pid file names a live process inside the container.
  capture rt exec -d --pid-file "$TEST_TMP/exec.pid" "$id" sleep 999
  assert_rc 0 "exec -d"
  local epid
  epid=$(tr -d '[:space:]' <"$TEST_TMP/exec.pid")
  assert_match "$epid" '^[1-9][0-9]*$' "exec --pid-file"
  [[ -d /proc/$epid ]] || fail "exec -d pid $epid is not running"
  capture rt ps --format json "$id"
  if is_stockade; then
    # As runsc: the pid file names a waiter that stands for the exec'd process (it exits with
    # its status, and signals sent to it are forwarded), so that conmon and shims can reap it.
    assert_json "$OUT" "map(select(. != $(state_field "$id" pid))) | length >= 1" "ps lists the detached exec"
    [[ "$(cat /proc/$epid/comm)" == stockade-exec ]] || fail "exec pid file should name the exec waiter"
  else
    assert_json "$OUT" "index($epid) != null" "ps lists the detached exec pid $epid"
  fi

  # exec of a missing binary fails and leaves the container running.
  capture rt exec "$id" /no/such/binary
  assert_fails "exec of a missing binary"
  assert_eq running "$(status_of "$id")"

  rt delete --force "$id"
  [[ ! -d /proc/$epid ]] || wait_until 5 test ! -d "/proc/$epid" || fail "exec'd process $epid survived delete"
  assert_no_leftovers "$id"
}

case_exec_tty() {
  local id b
  id=$(cid etty)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>"$TEST_TMP/etty.err"
  start_console_receiver etty
  # A console socket requires a detached exec (runc refuses it otherwise).
  capture rt exec -d -t --console-socket "$TEST_TMP/etty.sock" --pid-file "$TEST_TMP/etty.pid" \
    "$id" sh -c 'tty; echo cols=$(stty size)'
  assert_rc 0 "exec -d -t --console-socket"
  wait "$RECV_PID" || fail "console receiver: $(<"$TEST_TMP/etty.recvtty.err")"
  local out
  out=$(tr -d '\r' <"$TEST_TMP/etty.tty")
  assert_match "$out" '^/dev/pts/[0-9]+' "tty output through the console socket"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

# process.terminal=true with create --console-socket: how podman -t starts a container.
case_create_tty() {
  local id b
  id=$(cid ctty)
  b=$(mkbundle "$id" sh -c 'tty; echo tty-ok')
  bundle_edit "$b" '.process.terminal = true'
  start_console_receiver ctty
  capture rt create -b "$b" --console-socket "$TEST_TMP/ctty.sock" "$id"
  assert_rc 0 "create with a terminal"
  capture rt start "$id"
  assert_rc 0 "start"
  wait "$RECV_PID" || fail "console receiver: $(<"$TEST_TMP/ctty.recvtty.err")"
  local out
  out=$(tr -d '\r' <"$TEST_TMP/ctty.tty")
  assert_match "$out" '^/dev/pts/[0-9]+'$'\n''tty-ok' "terminal output"
  wait_status "$id" stopped
  rt delete "$id"
  assert_no_leftovers "$id"
}

lines_of() { wc -l <"$1"; }

case_pause_resume() {
  local id b
  id=$(cid pause)
  b=$(mkbundle "$id" sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done')
  rt run -d -b "$b" "$id" </dev/null >"$TEST_TMP/pause.out" 2>"$TEST_TMP/pause.err"
  wait_until 5 test -s "$TEST_TMP/pause.out" || fail "no output from the container"
  capture rt pause "$id"
  assert_rc 0 "pause"
  assert_eq paused "$(status_of "$id")" "status after pause"
  # A frozen container makes no progress.
  local n1 n2
  n1=$(lines_of "$TEST_TMP/pause.out")
  sleep 0.5
  n2=$(lines_of "$TEST_TMP/pause.out")
  assert_eq "$n1" "$n2" "output lines while paused"
  capture rt pause "$id"
  assert_fails "pause of a paused container"
  capture rt resume "$id"
  assert_rc 0 "resume"
  assert_eq running "$(status_of "$id")" "status after resume"
  wait_until 5 bash -c '(( $(wc -l <"$1") > $2 ))' _ "$TEST_TMP/pause.out" "$n2" ||
    fail "no progress after resume"
  capture rt exec "$id" echo alive
  assert_eq alive "$OUT" "exec after resume"
  capture rt resume "$id"
  assert_fails "resume of a running container"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

ps_count_at_least() { # ID N
  local n
  n=$(rt ps --format json "$1" | jq length) && ((n >= $2))
}

case_kill() {
  local id b
  # By name, to a handler: init gets only signals it handles.
  id=$(cid killterm)
  b=$(mkbundle "$id" sh -c 'trap "echo got-term; exit 42" TERM; while :; do sleep 0.1; done')
  rt run -b "$b" "$id" >"$TEST_TMP/killterm.out" 2>&1 </dev/null &
  local runner=$! rc
  wait_status "$id" running
  sleep 0.3 # let sh install its trap
  capture rt kill "$id" TERM
  assert_rc 0 "kill TERM"
  set +e
  wait "$runner"
  rc=$?
  set -e
  assert_eq 42 "$rc" "exit code after the TERM handler"
  assert_contains "$(<"$TEST_TMP/killterm.out")" got-term

  # By name with the SIG prefix and by number, on a created-then-started container.
  id=$(cid killnum)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  capture rt kill "$id" SIGKILL
  assert_rc 0 "kill SIGKILL"
  wait_status "$id" stopped
  rt delete "$id"
  id=$(cid killnine)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  capture rt kill "$id" 9
  assert_rc 0 "kill 9"
  wait_status "$id" stopped
  rt delete "$id"

  # --all reaches every process of the container, not just init.
  id=$(cid killall)
  b=$(mkbundle "$id" sh -c 'trap "" TERM; sleep 1000 & sleep 1001 & wait')
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  rt exec -d "$id" sleep 1002
  wait_until 5 ps_count_at_least "$id" 4 || fail "expected 4 processes: $(rt ps "$id")"
  capture rt ps --format json "$id"
  local pids
  pids=$(jq -r '.[]' <<<"$OUT")
  local sandbox
  sandbox=$(state_field "$id" pid)
  capture rt kill --all "$id" KILL
  assert_rc 0 "kill --all"
  # Slow on machines whose PID 1 reaps orphans late: the detached exec's process is
  # reparented there, and the container's init finishes exiting only once it is reaped.
  wait_status "$id" stopped 20
  local p
  if is_sentry; then
    # Its processes were Sentry tasks: the sandbox itself is gone once they all are.
    wait_until 5 test ! -d "/proc/$sandbox" || fail "the sandbox survived kill --all"
  else
    for p in $pids; do
      wait_until 5 test ! -d "/proc/$p" || fail "pid $p survived kill --all"
    done
  fi
  rt delete "$id"
  assert_no_leftovers "$(cid killterm)" "$(cid killnum)" "$(cid killnine)" "$id"
}

case_events_stats() {
  local id b
  id=$(cid stats)
  b=$(mkbundle "$id" sleep 1000)
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  capture rt events --stats "$id"
  assert_rc 0 "events --stats"
  assert_json "$OUT" '.type == "stats"' "events --stats"
  assert_json "$OUT" ".id == \"$id\"" "events --stats id"
  assert_json "$OUT" '.data.memory and .data.cpu and .data.pids' "stats data has memory, cpu, pids"
  assert_json "$OUT" '.data.pids.current >= 1' "stats pids.current"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

case_list() {
  local a b ba bb
  a=$(cid lista)
  b=$(cid listb)
  ba=$(mkbundle "$a" sleep 1000)
  bb=$(mkbundle "$b" sleep 1000)
  rt run -d -b "$ba" "$a" </dev/null >/dev/null 2>&1
  rt create -b "$bb" "$b" </dev/null >/dev/null 2>&1
  capture rt list
  assert_rc 0 "list"
  # runc's header is "ID PID STATUS BUNDLE CREATED OWNER"; crun says NAME for ID.
  assert_match "$OUT" "PID[[:space:]]+STATUS" "list header"
  assert_match "$OUT" "${a}[[:space:]]+[0-9]+[[:space:]]+running" "list row of $a"
  assert_match "$OUT" "${b}[[:space:]]+[0-9]+[[:space:]]+created" "list row of $b"
  capture rt list -q
  assert_eq "$(printf '%s\n' "$a" "$b" | sort)" "$(sort <<<"$OUT")" "list -q"
  capture rt list --format json
  assert_rc 0 "list --format json"
  assert_json "$OUT" 'type == "array" and length == 2' "list json"
  assert_json "$OUT" "any(.[]; .id == \"$a\" and .status == \"running\" and .bundle == \"$ba\")" "list json $a"
  assert_json "$OUT" "any(.[]; .id == \"$b\" and .status == \"created\" and .pid > 0)" "list json $b"
  rt delete --force "$a"
  rt delete --force "$b"
  capture rt list --format json
  assert_json "$OUT" 'length == 0' "list json after delete (runc prints [] or null)"
  assert_no_leftovers "$a" "$b"
}

# Stockade-only: `wait ID` (runsc's command; runc has none) prints {"id":..,"exitStatus":N}.
case_wait_stockade() {
  is_stockade || exit 77
  local id b
  id=$(cid wait)
  b=$(mkbundle "$id" sh -c 'sleep 0.5; exit 9')
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>&1
  capture rt wait "$id"
  assert_rc 0 "wait"
  assert_json "$OUT" '.exitStatus == 9' "wait output"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

run_case run_output case_run_output
run_case run_exit_code case_run_exit_code
run_case pid1_signal_semantics case_pid1_signal_semantics
run_case run_killed_137 case_run_killed_137
run_case create_start_state case_create_start_state
run_case run_detached case_run_detached
run_case ps case_ps
run_case exec case_exec
run_case exec_tty case_exec_tty
run_case create_tty case_create_tty
run_case pause_resume case_pause_resume
run_case kill case_kill
run_case events_stats case_events_stats
run_case list case_list
run_case wait_stockade case_wait_stockade
capture rt list -q
[[ -z $OUT ]] || { log "containers left in --root: $OUT"; exit 1; }
finish
