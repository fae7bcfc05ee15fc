#!/usr/bin/env bash
# Docker (dockerd -> containerd -> containerd-shim-runc-v2) driving the runtime under test,
# registered as the runtime "stockade". The test starts a private dockerd and stops it again.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/docker.sh
#
# Setup, and why:
# - Use /usr/bin/docker (Debian's 20.10 client): /usr/local/bin/docker on the dev machine is a
#   different, newer client.
# - A private dockerd: its own --data-root, --exec-root, -H unix socket, --pidfile;
#   --iptables=false --ip6tables=false --bridge=none, so it touches no host networking; the
#   containers use --network none. It starts its own containerd under the exec-root.
# - A --config-file daemon.json registers the runtime (with $STOCKADE_FLAGS as runtimeArgs,
#   the only way to give a Docker runtime global flags), puts all cgroups under /$TAG
#   (cgroup-parent), and moves the libtrust key out of /etc/docker (deprecated-key-path).
# - The runtime is reached through a generated wrapper that logs each invocation to
#   $TEST_TMP/runtime.log (printed on failure). Docker passes --root, --log and --log-format
#   itself.
# - dockerd and containerd still create /run/docker/plugins and /run/containerd/s; they are
#   removed again if this test created them and they are empty.
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKER=${DOCKER:-/usr/bin/docker}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
[[ -x $DOCKER ]] || skip "$DOCKER is not installed"
[[ -x $DOCKERD ]] || skip "$DOCKERD is not installed"
command -v containerd >/dev/null || skip "containerd is not installed"
command -v containerd-shim-runc-v2 >/dev/null || skip "containerd-shim-runc-v2 is not installed"

DK=$TEST_TMP/docker
RTLOG=$TEST_TMP/runtime.log
mkdir -p "$DK"/{data,exec,client}
: >"$RTLOG"
export DOCKER_HOST="unix://$DK/docker.sock"
export DOCKER_CONFIG=$DK/client

WRAPPER=$TEST_TMP/runtime-wrapper
{
  echo '#!/bin/bash'
  printf 'printf "%%q " "$@" >>%q; echo >>%q\n' "$RTLOG" "$RTLOG"
  printf 'exec %q "$@"\n' "$STOCKADE"
} >"$WRAPPER"
chmod +x "$WRAPPER"

jq -n --arg path "$WRAPPER" --arg key "$DK/key.json" --arg cg "/$TAG" \
  --argjson args "$(jq -cn '$ARGS.positional' --args -- "${STOCKADE_FLAGS_ARR[@]}")" \
  '{runtimes: {stockade: {path: $path, runtimeArgs: $args}},
    "deprecated-key-path": $key, "cgroup-parent": $cg}' >"$DK/daemon.json"

# Host dirs dockerd/containerd create whatever their roots are; remember which were absent.
CREATED_RUN_DIRS=()
for d in /run/docker /run/docker/plugins /run/containerd /run/containerd/s; do
  [[ -e $d ]] || CREATED_RUN_DIRS+=("$d")
done

stop_dockerd() {
  [[ -n ${DOCKERD_PID:-} ]] || return 0
  timeout 20 "$DOCKER" ps -aq 2>/dev/null | xargs -r timeout 30 "$DOCKER" rm -f >/dev/null 2>&1
  kill -TERM "$DOCKERD_PID" 2>/dev/null
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$DOCKERD_PID" 2>/dev/null
  wait "$DOCKERD_PID" 2>/dev/null
  # Its containerd and shims (their command lines name $TEST_TMP).
  local pids
  pids=$(find_procs "$TEST_TMP")
  # shellcheck disable=SC2086 # a list of pids
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null
  local k
  for ((k = ${#CREATED_RUN_DIRS[@]} - 1; k >= 0; k--)); do
    rmdir "${CREATED_RUN_DIRS[k]}" 2>/dev/null
  done
  DOCKERD_PID=
}
on_cleanup stop_dockerd

dump_logs() {
  log "runtime invocations ($RTLOG):"
  sed 's/^/    /' "$RTLOG" >&2
  log "dockerd log (last 40 lines):"
  tail -n 40 "$DK/dockerd.log" | sed 's/^/    /' >&2
}

"$DOCKERD" --data-root "$DK/data" --exec-root "$DK/exec" -H "$DOCKER_HOST" \
  --pidfile "$DK/docker.pid" --config-file "$DK/daemon.json" \
  --iptables=false --ip6tables=false --bridge=none >"$DK/dockerd.log" 2>&1 </dev/null &
DOCKERD_PID=$!
if ! wait_until 30 "$DOCKER" info >/dev/null 2>&1; then
  dump_logs
  fail "dockerd did not come up within 30 s"
fi
# Captured first: `grep -q` would stop reading early, and under pipefail the SIGPIPE that
# docker info then gets fails the check even on a match.
DOCKER_INFO=$("$DOCKER" info 2>/dev/null || true)
grep -q 'Runtimes:.*stockade' <<<"$DOCKER_INFO" || { dump_logs; fail "runtime stockade not registered"; }

ensure_base_bundle
IMAGE=stockade-busybox
tar -C "$BASE_BUNDLE/rootfs" -c . | "$DOCKER" import - "$IMAGE" >/dev/null ||
  { dump_logs; fail "docker import failed"; }

RUN_OPTS=(--runtime=stockade --network none)
dk() { timeout -k 5 120 "$DOCKER" "$@"; }
dk_tty() { in_terminal "$DOCKER" "$@"; }
dk_status() { dk inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
dk_status_is() { [[ $(dk_status "$1") == "$2" ]]; }
dk_exit_code() { dk inspect -f '{{.State.ExitCode}}' "$1"; }
dk_logs_contain() { [[ $(dk logs "$1" 2>&1) == *"$2"* ]]; }
# The container went through our runtime, not Docker's default runc.
assert_via_runtime() {
  grep -q -- "create .*$1" "$RTLOG" || fail "container $1 was not created through $WRAPPER"
}

case_run_rm() {
  capture dk run --rm "${RUN_OPTS[@]}" "$IMAGE" sh -c 'echo hi from docker; id -u'
  assert_rc 0 "docker run --rm"
  assert_eq $'hi from docker\n0' "$OUT" "docker run output"
  grep -q -- ' create ' "$RTLOG" || fail "docker did not call the runtime"
  capture dk run --rm "${RUN_OPTS[@]}" "$IMAGE" sh -c 'exit 5'
  assert_rc 5 "exit code through docker"
  capture dk run --rm "${RUN_OPTS[@]}" "$IMAGE" /no/such/binary
  assert_fails "docker run of a missing binary"
  capture dk ps -aq
  assert_eq "" "$OUT" "containers left after run --rm"
}

case_run_tty() {
  local out
  out=$(dk_tty run --rm -t "${RUN_OPTS[@]}" "$IMAGE" sh -c 'tty; echo tty-ok')
  assert_match "$out" '/dev/pts/[0-9]+' "tty in docker run -t"
  assert_contains "$out" tty-ok
}

case_detached() {
  local name=$TAG-det id
  capture dk run -d --name "$name" "${RUN_OPTS[@]}" "$IMAGE" \
    sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done'
  assert_rc 0 "docker run -d"
  id=$OUT
  assert_via_runtime "$id"
  assert_eq running "$(dk_status "$name")"

  capture dk exec "$name" sh -c 'echo exec-out; exit 3'
  assert_rc 3 "docker exec exit code"
  assert_eq exec-out "$OUT" "docker exec output"

  local out
  out=$(dk_tty exec -t "$name" tty)
  assert_match "$out" '/dev/pts/[0-9]+' "docker exec -t"

  capture dk top "$name"
  assert_rc 0 "docker top (runtime ps --format json)"
  assert_contains "$OUT" "sh -c"

  capture dk pause "$name"
  assert_rc 0 "docker pause"
  assert_eq paused "$(dk_status "$name")"
  capture dk unpause "$name"
  assert_rc 0 "docker unpause"
  assert_eq running "$(dk_status "$name")"

  capture dk kill -s USR1 "$name"
  assert_rc 0 "docker kill -s USR1"
  wait_until 10 dk_logs_contain "$name" got-usr1 || fail "container did not see SIGUSR1: $(dk logs "$name" 2>&1)"
  assert_eq running "$(dk_status "$name")"

  capture dk stop -t 10 "$name"
  assert_rc 0 "docker stop"
  assert_eq exited "$(dk_status "$name")"
  assert_eq 0 "$(dk_exit_code "$name")" "exit code after stop"
  assert_contains "$(dk logs "$name" 2>&1)" got-term

  capture dk start "$name"
  assert_rc 0 "docker start of a stopped container"
  wait_until 10 dk_status_is "$name" running || fail "restarted container is not running"
  capture dk kill "$name"
  assert_rc 0 "docker kill"
  wait_until 10 dk_status_is "$name" exited || fail "killed container did not exit"
  assert_eq 137 "$(dk_exit_code "$name")" "exit code after docker kill"

  capture dk rm "$name"
  assert_rc 0 "docker rm"
  assert_no_leftovers "$id"
}

case_stop_escalates() {
  local name=$TAG-stopkill id
  id=$(dk run -d --name "$name" "${RUN_OPTS[@]}" "$IMAGE" sleep 1000)
  capture dk stop -t 1 "$name"
  assert_rc 0 "docker stop -t 1"
  assert_eq 137 "$(dk_exit_code "$name")" "exit code after stop escalated to SIGKILL"
  dk rm "$name" >/dev/null
  assert_no_leftovers "$id"
}

case_rm_force_running() {
  local name=$TAG-rmf id
  id=$(dk run -d --name "$name" "${RUN_OPTS[@]}" "$IMAGE" sleep 1000)
  capture dk rm -f "$name"
  assert_rc 0 "docker rm -f of a running container"
  assert_no_leftovers "$id"
}

run_case run_rm case_run_rm
run_case run_tty case_run_tty
run_case detached case_detached
run_case stop_escalates case_stop_escalates
run_case rm_force_running case_rm_force_running
capture dk ps -aq
[[ -z $OUT ]] || { log "docker containers left: $OUT"; CASES_FAILED+=(leftover-containers); }
((${#CASES_FAILED[@]} == 0)) || dump_logs
finish
