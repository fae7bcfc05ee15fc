#!/usr/bin/env bash
# Many containers at once: create, start and delete 20 containers in parallel, and run 20
# short-lived ones in parallel with distinct exit codes; then the load case, 50 containers
# at once for 5 rounds (create, start, exec, delete), with the host's processes, file
# handles, mounts and memory flat across rounds. Afterwards nothing may be left: no state
# dirs, processes, mounts or cgroups. Catches races in the state store's locking and in
# cleanup, and leaks.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/cli_parallel.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=${E2E_PARALLEL_N:-20}

# in_parallel NAME CMD_TEMPLATE: runs `CMD_TEMPLATE i` for i in 1..N at once; records each
# exit code in $TEST_TMP/NAME.i.rc and stderr in NAME.i.err.
in_parallel() {
  local name=$1 i
  shift
  for ((i = 1; i <= N; i++)); do
    (
      set +e
      "$@" "$i" </dev/null >"$TEST_TMP/$name.$i.out" 2>"$TEST_TMP/$name.$i.err"
      echo $? >"$TEST_TMP/$name.$i.rc"
    ) &
  done
  wait
}

# expect_all NAME RC: every job of NAME exited RC.
expect_all() {
  local name=$1 want=$2 i bad=""
  for ((i = 1; i <= N; i++)); do
    local rc
    rc=$(<"$TEST_TMP/$name.$i.rc")
    [[ $rc == "$want" ]] || bad+=$'\n'"  #$i exited $rc: $(<"$TEST_TMP/$name.$i.err")"
  done
  [[ -z $bad ]] || fail "$name: jobs did not exit $want:$bad"
}

ids_of() { # PREFIX -> the N ids
  local i
  for ((i = 1; i <= N; i++)); do cid "$1$i"; done
}

do_create() { rt create -b "$TEST_TMP/bundles/$(cid "p$1")" "$(cid "p$1")"; }
do_start() { rt start "$(cid "p$1")"; }
do_exec() { [[ $(rt exec "$(cid "p$1")" sh -c 'echo $((40+2))') == 42 ]]; }
do_delete() { rt delete --force "$(cid "p$1")"; }
do_run() { rt run -b "$TEST_TMP/bundles/$(cid "r$1")" "$(cid "r$1")"; }

case_create_start_delete() {
  local i
  for ((i = 1; i <= N; i++)); do mkbundle "$(cid p$i)" sleep 1000 >/dev/null; done
  local t0=$SECONDS
  in_parallel create do_create
  expect_all create 0
  capture rt list --format json
  assert_json "$OUT" "length == $N and all(.[]; .status == \"created\")" "list after parallel create"
  in_parallel start do_start
  expect_all start 0
  capture rt list --format json
  assert_json "$OUT" "length == $N and all(.[]; .status == \"running\")" "list after parallel start"
  # Distinct containers: distinct init pids.
  assert_json "$OUT" "[.[].pid] | unique | length == $N" "distinct pids"
  in_parallel exec do_exec
  expect_all exec 0
  in_parallel delete do_delete
  expect_all delete 0
  log "  $N containers created, started, exec'd and deleted in $((SECONDS - t0))s"
  capture rt list -q
  assert_eq "" "$OUT" "list -q after parallel delete"
  # shellcheck disable=SC2046
  assert_no_leftovers $(ids_of p)
}

case_run_exit_codes() {
  local i
  for ((i = 1; i <= N; i++)); do
    mkbundle "$(cid r$i)" sh -c "echo run-$i; exit $i" >/dev/null
  done
  in_parallel run do_run
  for ((i = 1; i <= N; i++)); do
    assert_eq "$i" "$(<"$TEST_TMP/run.$i.rc")" "exit code of parallel run #$i ($(<"$TEST_TMP/run.$i.err"))"
    assert_eq "run-$i" "$(<"$TEST_TMP/run.$i.out")" "output of parallel run #$i"
  done
  capture rt list -q
  assert_eq "" "$OUT" "list -q after parallel runs"
  # shellcheck disable=SC2046
  assert_no_leftovers $(ids_of r)
}

# What the host holds: user-space processes (kernel threads, children of kthreadd, come and
# go with load; so do orphans that exited and wait for the host's init to reap them, which
# some inits do lazily: a zombie of ours would have a parent of ours), allocated file
# handles, our mounts, available memory (KiB).
host_counters() {
  local procs orphans
  read -r procs orphans < <(ps -e -o ppid= -o pid= -o stat= |
    awk '$1 == 2 || $2 == 2 { next } $1 == 1 && $3 ~ /^Z/ { z++; next } { p++ } END { print p + 0, z + 0 }')
  echo "$procs $(cut -f1 /proc/sys/fs/file-nr) $(wc -l </proc/self/mountinfo) $(awk '/^MemAvailable/ {print $2}' /proc/meminfo) $orphans"
}

# Load: E2E_LOAD_N (50) containers created, started, exec'd into and deleted at once,
# E2E_LOAD_ROUNDS (5) rounds in a row. Nothing is left after any round, and what the host
# holds stays flat from the first round on.
case_load_rounds_stay_flat() {
  local N=${E2E_LOAD_N:-50} rounds=${E2E_LOAD_ROUNDS:-5} r i base=()
  local procs files mounts avail orphans
  for ((i = 1; i <= N; i++)); do mkbundle "$(cid p$i)" sleep 1000 >/dev/null; done
  for ((r = 1; r <= rounds; r++)); do
    local t0=$SECONDS
    in_parallel create do_create
    expect_all create 0
    in_parallel start do_start
    expect_all start 0
    in_parallel exec do_exec
    expect_all exec 0
    in_parallel delete do_delete
    expect_all delete 0
    # shellcheck disable=SC2046
    assert_no_leftovers $(ids_of p)
    read -r procs files mounts avail orphans < <(host_counters)
    log "  round $r ($((SECONDS - t0))s): $procs processes (and $orphans exited orphans not yet reaped by init), $files file handles, $mounts mounts, $((avail / 1024)) MiB available"
    if ((r == 1)); then
      base=("$procs" "$files" "$mounts" "$avail")
      continue
    fi
    ((procs <= base[0] + 10)) || fail "processes grew from ${base[0]} to $procs by round $r"
    ((files <= base[1] + 500)) || fail "file handles grew from ${base[1]} to $files by round $r"
    ((mounts <= base[2])) || fail "mounts grew from ${base[2]} to $mounts by round $r"
    ((avail >= base[3] - 300 * 1024)) || fail "available memory fell from $((base[3] / 1024)) to $((avail / 1024)) MiB by round $r"
  done
}

run_case create_start_delete case_create_start_delete
run_case run_exit_codes case_run_exit_codes
run_case load_rounds_stay_flat case_load_rounds_stay_flat
[[ -z $(ls -A "$ROOT") ]] || { log "left in --root: $(ls -A "$ROOT")"; exit 1; }
finish
