#!/usr/bin/env bash
# OCI hooks with the runtime spec's semantics (config.md "POSIX-platform Hooks", runtime.md
# "Lifecycle"): prestart and createRuntime run at create in the runtime's namespaces with
# status "creating" and the container's pid; createContainer runs at create in the container's
# namespaces (before pivot_root, so host paths still resolve); startContainer runs at start
# inside the container (its path resolves in the container's root); poststart after the user
# process has started (status "running"); poststop at delete. A failing createRuntime hook
# fails create and leaves nothing behind; a hook's timeout is enforced; a failing poststart or
# poststop hook only warns. A hook gets exactly the env of its spec entry.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/hooks.sh
#
# runc 1.0/1.1 run poststart hooks inside `create` (status "created") and fail create when one
# fails (fixed in runc 1.2). The cases accept that from runc < 1.2 only; see legacy_poststart.
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOOKS=$TEST_TMP/hooks
mkdir -p "$HOOKS"

# The recording hook: `record.sh KIND LOGDIR` appends "KIND STATUS ID" to LOGDIR/log (status
# and id from the state JSON on stdin) and keeps the details in LOGDIR/KIND.*: the state's pid,
# its own mount and PID namespaces, and its environment. Absolute paths: a hook's PATH is not
# guaranteed.
cat >"$HOOKS/record.sh" <<'EOF'
#!/bin/bash
kind=$1 dir=$2
state=$(/bin/cat)
printf '%s\n' "$state" >"$dir/$kind.state"
/usr/bin/jq -r .pid <<<"$state" >"$dir/$kind.pid"
/usr/bin/readlink /proc/self/ns/mnt >"$dir/$kind.mnt"
/usr/bin/readlink /proc/self/ns/pid >"$dir/$kind.pidns"
/usr/bin/env >"$dir/$kind.env"
printf '%s\n' "${@:3}" >"$dir/$kind.args"
printf '%s %s %s\n' "$kind" "$(/usr/bin/jq -r .status <<<"$state")" "$(/usr/bin/jq -r .id <<<"$state")" >>"$dir/log"
EOF
# A hook that fails with a message on stderr.
cat >"$HOOKS/fail.sh" <<'EOF'
#!/bin/sh
echo "hook-says-no" >&2
exit 1
EOF
# A hook that outlives its timeout (exec: no child survives when it is killed).
cat >"$HOOKS/slow.sh" <<'EOF'
#!/bin/sh
echo $$ >"$1"
exec sleep 10
EOF
chmod +x "$HOOKS"/*.sh

# legacy_poststart: runc before 1.2 runs poststart hooks at the end of `create`.
legacy_poststart() {
  ! is_stockade && "$STOCKADE" --version 2>/dev/null | grep -Eq '^runc version 1\.[01]\.'
}


# hook_json KIND LOGDIR [EXTRA_ARGS...]: a spec hook entry running record.sh.
hook_json() {
  local kind=$1 dir=$2
  shift 2
  jq -cn --arg p "$HOOKS/record.sh" --arg k "$kind" --arg d "$dir" \
    '{path: $p, args: (["record.sh", $k, $d] + $ARGS.positional)}' --args -- "$@"
}

wait_status() { # ID STATUS [SECONDS]
  wait_until "${3:-10}" status_is "$1" "$2" || fail "$1: status stayed [$(status_of "$1")], wanted [$2]"
}

log_lines_at_least() { [[ -f $1 ]] && (($(wc -l <"$1") >= $2)); }

# all_hooks_lifecycle NAME: create, start, kill and delete a container with one hook of every
# kind. Sets ID, B, L (the log dir), PID, HOST_MNT, INIT_MNT, INIT_PIDNS; L/log.create,
# L/log.start, L/log.stop and L/log.delete are the hook log after each step. The container gets
# a private rootfs copy (the base rootfs is shared by all bundles) that holds the
# startContainer hook, and a bind mount of the log dir at /hooklog, so that the hook inside the
# container appends to the same log as the others.
all_hooks_lifecycle() {
  ID=$(cid "$1")
  B=$(mkbundle "$ID" sleep 1000)
  L=$TEST_TMP/$ID.log.d
  mkdir -p "$L"
  cp -a "$BASE_BUNDLE/rootfs" "$B/rootfs"
  mkdir -p "$B/rootfs/hooks" "$B/rootfs/hooklog"
  # busybox has no jq: take status and id out of the state JSON with sed.
  cat >"$B/rootfs/hooks/start.sh" <<'EOF2'
#!/bin/sh
state=$(cat)
printf '%s\n' "$state" >/hooklog/startContainer.state
status=$(echo "$state" | sed -n 's/.*"status": *"\([^"]*\)".*/\1/p')
id=$(echo "$state" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p')
readlink /proc/self/ns/mnt >/hooklog/startContainer.mnt
readlink /proc/self/ns/pid >/hooklog/startContainer.pidns
echo "startContainer $status $id" >>/hooklog/log
EOF2
  chmod +x "$B/rootfs/hooks/start.sh"
  local hooks
  hooks=$(jq -cn --argjson pre "$(hook_json prestart "$L")" --argjson cr "$(hook_json createRuntime "$L")" \
    --argjson cc "$(hook_json createContainer "$L")" --argjson ps "$(hook_json poststart "$L")" \
    --argjson pst "$(hook_json poststop "$L")" \
    '{prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
      startContainer: [{path: "/hooks/start.sh", args: ["start.sh"]}],
      poststart: [$ps], poststop: [$pst]}')
  bundle_edit "$B" '.root.path = $r | .hooks = $h
    | .mounts += [{destination: "/hooklog", type: "bind", source: $l, options: ["rbind", "rw"]}]' \
    --arg r "$B/rootfs" --argjson h "$hooks" --arg l "$L"

  capture_as "$1" rt create -b "$B" "$ID"
  assert_rc 0 "create"
  cp "$L/log" "$L/log.create"
  PID=$(state_field "$ID" pid)
  HOST_MNT=$(readlink /proc/self/ns/mnt)
  INIT_MNT=$(readlink "/proc/$PID/ns/mnt")
  INIT_PIDNS=$(readlink "/proc/$PID/ns/pid")

  capture rt start "$ID"
  assert_rc 0 "start"
  # runc's startContainer runs in the container's init after `start` has returned.
  wait_until 5 log_lines_at_least "$L/log" 5 || fail "hook log after start: [$(<"$L/log")]"
  cp "$L/log" "$L/log.start"
  assert_eq running "$(status_of "$ID")"

  rt kill "$ID" KILL
  wait_status "$ID" stopped
  cp "$L/log" "$L/log.stop"
  capture rt delete "$ID"
  assert_rc 0 "delete"
  cp "$L/log" "$L/log.delete"
  assert_no_leftovers "$ID"
}

# "KIND ID" of each line: the order, whatever the statuses.
kinds_of() { awk '{print $1, $3}' "$1"; }

# Which hooks run at which step, in which order and namespace.
case_order_and_namespaces() {
  all_hooks_lifecycle order
  local want
  want=$(printf '%s\n' "prestart $ID" "createRuntime $ID" "createContainer $ID")
  if legacy_poststart; then want+=$'\n'"poststart $ID"; fi
  assert_eq "$want" "$(kinds_of "$L/log.create")" "hooks run by create"
  # startContainer runs before the user process is executed, poststart after it.
  want+=$'\n'"startContainer $ID"
  legacy_poststart || want+=$'\n'"poststart $ID"
  assert_eq "$want" "$(kinds_of "$L/log.start")" "hooks run by create and start"
  assert_eq "$want" "$(kinds_of "$L/log.stop")" "no hook runs when the container stops"
  want+=$'\n'"poststop $ID"
  assert_eq "$want" "$(kinds_of "$L/log.delete")" "hooks run by create, start and delete"

  assert_ne "$HOST_MNT" "$INIT_MNT" "the container's mount namespace"
  # prestart, createRuntime, poststart, poststop: the runtime's namespace.
  local k
  for k in prestart createRuntime poststart poststop; do
    assert_eq "$HOST_MNT" "$(<"$L/$k.mnt")" "$k: runs in the runtime's mount namespace"
  done
  # createContainer and startContainer: the container's mount and PID namespaces.
  for k in createContainer startContainer; do
    assert_eq "$INIT_MNT" "$(<"$L/$k.mnt")" "$k: runs in the container's mount namespace"
    assert_eq "$INIT_PIDNS" "$(<"$L/$k.pidns")" "$k: runs in the container's PID namespace"
  done
}

# The state on the runtime-namespace hooks' stdin: status and pid.
case_state_of_runtime_hooks() {
  all_hooks_lifecycle rtstate
  local k
  for k in prestart createRuntime; do
    assert_eq "$k creating $ID" "$(grep "^$k " "$L/log")" "$k: state.status"
    assert_eq "$PID" "$(<"$L/$k.pid")" "$k: state.pid is the container's"
    assert_json "$(<"$L/$k.state")" ".id == \"$ID\" and .bundle == \"$B\"" "$k state"
  done
  if legacy_poststart; then
    assert_eq "poststart created $ID" "$(grep "^poststart " "$L/log")" "poststart: state.status (runc < 1.2)"
  else
    assert_eq "poststart running $ID" "$(grep "^poststart " "$L/log")" "poststart: state.status"
  fi
  assert_eq "$PID" "$(<"$L/poststart.pid")" "poststart: state.pid"
  assert_eq "poststop stopped $ID" "$(grep "^poststop " "$L/log")" "poststop: state.status"
}

# The state on the container-namespace hooks' stdin, as runc gives it: createContainer runs
# while create is still under way ("creating", the spec's status until create has finished);
# startContainer runs before the user process is executed, so the container is not yet
# "running" (runc: "created").
case_state_of_container_hooks() {
  all_hooks_lifecycle ctstate
  local got
  got=$(grep -E '^(createContainer|startContainer) ' "$L/log")
  assert_eq "createContainer creating $ID"$'\n'"startContainer created $ID" "$got" \
    "state.status given to createContainer and startContainer"
  assert_json "$(<"$L/startContainer.state")" ".id == \"$ID\" and .bundle == \"$B\"" "startContainer state"
}

# A failing createRuntime hook fails create (and run) with one line, and nothing is left.
case_create_runtime_fails() {
  local id b cmd
  id=$(cid crfail)
  b=$(mkbundle "$id" sleep 1000)
  bundle_edit "$b" '.hooks = {createRuntime: [{path: $p}]}' --arg p "$HOOKS/fail.sh"
  for cmd in create run; do
    capture rt "$cmd" -b "$b" "$id"
    assert_one_line_error "hook" "$cmd with a failing createRuntime hook"
    assert_contains "$ERR" hook-says-no "$cmd: error carries the hook's stderr"
    if is_stockade; then
      assert_contains "$ERR" createRuntime "$cmd: error names the hook kind"
      assert_contains "$ERR" "$HOOKS/fail.sh" "$cmd: error names the hook path"
    fi
    capture rt state "$id"
    assert_fails "state after a failed $cmd"
    assert_no_leftovers "$id"
  done
}

# A failing prestart hook, likewise; the hooks after it do not run.
case_prestart_fails() {
  local id b L
  id=$(cid psfail)
  b=$(mkbundle "$id" sleep 1000)
  L=$TEST_TMP/$id.log.d
  mkdir -p "$L"
  bundle_edit "$b" '.hooks = {prestart: [{path: $p}], createRuntime: [$cr]}' --arg p "$HOOKS/fail.sh" \
    --argjson cr "$(hook_json createRuntime "$L")"
  capture rt create -b "$b" "$id"
  assert_one_line_error "hook" "create with a failing prestart hook"
  [[ ! -e $L/log ]] || fail "hooks ran after the failing one: $(<"$L/log")"
  assert_no_leftovers "$id"
}

# "timeout": 1 on a hook that sleeps 10 s: create fails within a few seconds.
case_hook_timeout() {
  local id b t0
  id=$(cid tmo)
  b=$(mkbundle "$id" sleep 1000)
  bundle_edit "$b" '.hooks = {createRuntime: [{path: $p, args: ["slow.sh", $f], timeout: 1}]}' \
    --arg p "$HOOKS/slow.sh" --arg f "$TEST_TMP/$id.hookpid"
  t0=$(date +%s%N)
  capture rt create -b "$b" "$id"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  assert_one_line_error "time" "create with a hook past its timeout"
  ((ms < 5000)) || fail "create took ${ms} ms with a 1 s hook timeout"
  assert_no_leftovers "$id"
  # The hook was killed, not left running.
  local hp
  hp=$(<"$TEST_TMP/$id.hookpid")
  wait_until 3 test ! -d "/proc/$hp" || fail "the timed-out hook (pid $hp) is still running"
}

# A failing poststart hook only warns: start succeeds and the container runs.
case_poststart_fails_warns() {
  if legacy_poststart; then
    log "runc < 1.2 runs poststart inside create and fails it; not the spec's behaviour"
    exit 77
  fi
  local id b
  id=$(cid pofail)
  b=$(mkbundle "$id" sleep 1000)
  bundle_edit "$b" '.hooks = {poststart: [{path: $p}]}' --arg p "$HOOKS/fail.sh"
  capture_as pofail rt create -b "$b" "$id"
  assert_rc 0 "create"
  capture rt start "$id"
  assert_rc 0 "start with a failing poststart hook"
  assert_match "$ERR" "[Hh]ook" "start warns about the poststart hook"
  assert_eq running "$(status_of "$id")" "status after a failing poststart hook"
  capture rt exec "$id" echo alive
  assert_eq alive "$OUT" "exec after a failing poststart hook"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

# A failing poststop hook only warns: delete succeeds and removes everything.
case_poststop_fails_warns() {
  local id b
  id=$(cid postopfail)
  b=$(mkbundle "$id" sleep 1000)
  bundle_edit "$b" '.hooks = {poststop: [{path: $p}]}' --arg p "$HOOKS/fail.sh"
  rt run -d -b "$b" "$id" </dev/null >/dev/null 2>"$TEST_TMP/postopfail.err"
  capture rt delete --force "$id"
  assert_rc 0 "delete with a failing poststop hook"
  assert_match "$ERR" "[Hh]ook" "delete warns about the poststop hook"
  capture rt state "$id"
  assert_fails "state after delete"
  assert_no_leftovers "$id"
}

# A hook gets the args and env of its spec entry, and only that env.
case_hook_env_args() {
  local id b L
  id=$(cid env)
  b=$(mkbundle "$id" sleep 1000)
  L=$TEST_TMP/$id.log.d
  mkdir -p "$L"
  local h
  h=$(hook_json createRuntime "$L" "arg one" "" '$HOME')
  h=$(jq -c '.env = ["HOOKVAR=from-spec", "OTHER=a b=c"]' <<<"$h")
  bundle_edit "$b" '.hooks = {createRuntime: [$h]}' --argjson h "$h"
  E2E_HOOK_LEAK=leaked capture_as env rt create -b "$b" "$id"
  assert_rc 0 "create"
  local env
  env=$(<"$L/createRuntime.env")
  assert_contains "$env" "HOOKVAR=from-spec" "hook env"
  assert_contains "$env" "OTHER=a b=c" "hook env"
  assert_not_contains "$env" "E2E_HOOK_LEAK" "hook env (the runtime's own env must not leak)"
  assert_eq $'arg one\n\n$HOME' "$(<"$L/createRuntime.args")" "hook args after args[0]"
  rt delete --force "$id"
  assert_no_leftovers "$id"
}

run_case order_and_namespaces case_order_and_namespaces
run_case state_of_runtime_hooks case_state_of_runtime_hooks
run_case state_of_container_hooks case_state_of_container_hooks
run_case create_runtime_fails case_create_runtime_fails
run_case prestart_fails case_prestart_fails
run_case hook_timeout case_hook_timeout
run_case poststart_fails_warns case_poststart_fails_warns
run_case poststop_fails_warns case_poststop_fails_warns
run_case hook_env_args case_hook_env_args
capture rt list -q
[[ -z $OUT ]] || { log "containers left in --root: $OUT"; exit 1; }
finish
