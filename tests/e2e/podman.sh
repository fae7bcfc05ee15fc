#!/usr/bin/env bash
# podman (through conmon) driving the runtime under test: run --rm, exit codes, -t, detached
# containers with exec (plain and -t), pause/unpause, kill, stop and rm.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/podman.sh
#
# How podman is set up here, and why:
# - Everything podman keeps goes under $TEST_TMP: --root (images/containers), --runroot,
#   --tmpdir (libpod's exit files), the file events backend (no journald here).
# - --cgroup-manager cgroupfs: there is no systemd to talk to. --cgroup-parent /$TAG puts the
#   container's and conmon's cgroups under a tagged parent the exit trap can remove.
# - --storage-driver vfs and --rootfs: no image store or overlay needed, just the busybox dir.
# - --network none: no netavark/CNI networking is set up on this machine.
# - --ulimit nofile=1024:1024 --ulimit nproc=4096:4096: podman asks for nofile 1048576 and
#   nproc 4194304 by default. This machine's hard limits are 20000 and 96365 and the whole
#   machine runs without CAP_SYS_RESOURCE, so raising them fails in the runtime with EPERM
#   (runc: "error setting rlimit type 7: operation not permitted").
# - The runtime is reached through a generated wrapper that logs every invocation to
#   $TEST_TMP/runtime.log (printed on failure) and adds `--root $TEST_TMP/rtroot` so this
#   test's containers are isolated. podman passes no --root of its own. Global flags from
#   $STOCKADE_FLAGS go through podman's --runtime-flag, as a user would pass them. Note that
#   podman 4.3 drops --runtime-flag on the `delete --force` of its exit-command cleanup
#   (`podman container cleanup`), so the runtime must be able to delete with none of them.
#   E2E_PODMAN_DEFAULT_ROOT=1 leaves --root out, to exercise the runtime's default root.
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v podman >/dev/null || skip "podman is not installed"
command -v conmon >/dev/null || [[ -x /usr/libexec/podman/conmon ]] || skip "conmon is not installed"
command -v script >/dev/null || skip "script (util-linux) is not installed"

PM_DIR=$TEST_TMP/podman
RTROOT=$TEST_TMP/rtroot
RTLOG=$TEST_TMP/runtime.log
mkdir -p "$PM_DIR"/{storage,run,tmp,config} "$RTROOT"
ensure_base_bundle
ROOTFS=$BASE_BUNDLE/rootfs

WRAPPER=$TEST_TMP/runtime-wrapper
{
  echo '#!/bin/bash'
  printf 'printf "%%q " "$@" >>%q; echo >>%q\n' "$RTLOG" "$RTLOG"
  if [[ -n ${E2E_PODMAN_DEFAULT_ROOT:-} ]]; then
    printf 'exec %q "$@"\n' "$STOCKADE"
  else
    printf 'exec %q --root %q "$@"\n' "$STOCKADE" "$RTROOT"
  fi
} >"$WRAPPER"
chmod +x "$WRAPPER"

# STOCKADE_FLAGS ("--platform=native", "--platform native", "--debug") -> --runtime-flag X.
RUNTIME_FLAG_ARGS=()
for ((i = 0; i < ${#STOCKADE_FLAGS_ARR[@]}; i++)); do
  f=${STOCKADE_FLAGS_ARR[i]#--}
  f=${f#-}
  next=${STOCKADE_FLAGS_ARR[i + 1]:-}
  if [[ $f != *=* && -n $next && $next != -* ]]; then
    f="$f=$next"
    i=$((i + 1))
  fi
  RUNTIME_FLAG_ARGS+=(--runtime-flag "$f")
done

PODMAN_GLOBAL=(
  --root "$PM_DIR/storage" --runroot "$PM_DIR/run" --tmpdir "$PM_DIR/tmp"
  --cgroup-manager cgroupfs --events-backend file --storage-driver vfs
  --runtime "$WRAPPER" "${RUNTIME_FLAG_ARGS[@]}"
)
RUN_OPTS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096
  --cgroup-parent "/$TAG" --rootfs "$ROOTFS")

pm() { timeout -k 5 120 podman "${PODMAN_GLOBAL[@]}" "$@"; }

# pm_tty ARGS...: podman with a terminal (see in_terminal in lib.sh).
pm_tty() { in_terminal podman "${PODMAN_GLOBAL[@]}" "$@"; }

status_of_pm() { pm inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
pm_status_is() { [[ $(status_of_pm "$1") == "$2" ]]; }
exit_code_of_pm() { pm inspect -f '{{.State.ExitCode}}' "$1"; }
full_id() { pm inspect -f '{{.Id}}' "$1"; }
pm_logs_contain() { [[ $(pm logs "$1" 2>&1) == *"$2"* ]]; }

# podman creates /run/containers/networks (netavark's run dir) whatever its roots are.
CREATED_RUN_DIRS=()
for d in /run/containers /run/containers/networks; do
  [[ -e $d ]] || CREATED_RUN_DIRS+=("$d")
done
# Keep podman off the user's ~/.config/containers (and from creating it).
export XDG_CONFIG_HOME=$PM_DIR/config

podman_cleanup() {
  pm rm -af -t 0
  local k
  for ((k = ${#CREATED_RUN_DIRS[@]} - 1; k >= 0; k--)); do
    rmdir "${CREATED_RUN_DIRS[k]}" 2>/dev/null
  done
}
on_cleanup podman_cleanup
on_fail_dump() {
  log "runtime invocations ($RTLOG):"
  sed 's/^/    /' "$RTLOG" >&2 2>/dev/null || true
}

case_run_rm() {
  capture pm run --rm "${RUN_OPTS[@]}" sh -c 'echo hello from podman; id -u'
  assert_rc 0 "podman run --rm"
  assert_eq $'hello from podman\n0' "$OUT" "podman run output"
  capture pm run --rm "${RUN_OPTS[@]}" sh -c 'exit 4'
  assert_rc 4 "exit code through podman"
  capture pm run --rm "${RUN_OPTS[@]}" /no/such/binary
  assert_fails "podman run of a missing binary"
  capture pm ps -aq
  assert_eq "" "$OUT" "containers left after run --rm"
}

case_run_tty() {
  local out
  out=$(pm_tty run --rm -t "${RUN_OPTS[@]}" sh -c 'tty; echo tty-ok')
  assert_match "$out" '/dev/pts/[0-9]+' "tty in podman run -t"
  assert_contains "$out" tty-ok
}

case_detached() {
  local name=$TAG-det id
  capture pm run -d --name "$name" "${RUN_OPTS[@]}" \
    sh -c 'trap "echo got-usr1" USR1; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done'
  assert_rc 0 "podman run -d"
  id=$(full_id "$name")
  assert_eq running "$(status_of_pm "$name")"

  capture pm exec "$name" sh -c 'echo exec-out; exit 3'
  assert_rc 3 "podman exec exit code"
  assert_eq exec-out "$OUT" "podman exec output"

  local out
  out=$(pm_tty exec -t "$name" sh -c 'tty')
  assert_match "$out" '/dev/pts/[0-9]+' "podman exec -t"

  capture pm pause "$name"
  assert_rc 0 "podman pause"
  assert_eq paused "$(status_of_pm "$name")"
  capture pm unpause "$name"
  assert_rc 0 "podman unpause"
  assert_eq running "$(status_of_pm "$name")"

  capture pm kill -s USR1 "$name"
  assert_rc 0 "podman kill -s USR1"
  wait_until 10 pm_logs_contain "$name" got-usr1 ||
    fail "container did not see SIGUSR1: $(pm logs "$name" 2>&1)"
  assert_eq running "$(status_of_pm "$name")"

  # stop sends SIGTERM, which the container handles.
  capture pm stop -t 10 "$name"
  assert_rc 0 "podman stop"
  assert_eq exited "$(status_of_pm "$name")"
  assert_eq 0 "$(exit_code_of_pm "$name")" "exit code after stop"
  assert_contains "$(pm logs "$name" 2>&1)" got-term

  # A stopped container starts again.
  capture pm start "$name"
  assert_rc 0 "podman start of a stopped container"
  wait_until 10 pm_status_is "$name" running || fail "restarted container is not running"
  capture pm kill "$name"
  assert_rc 0 "podman kill"
  wait_until 10 pm_status_is "$name" exited || fail "killed container did not exit"
  assert_eq 137 "$(exit_code_of_pm "$name")" "exit code after podman kill"

  capture pm rm "$name"
  assert_rc 0 "podman rm"
  assert_no_leftovers "$id"
}

case_stop_escalates() {
  # sleep as PID 1 has no SIGTERM handler, so the TERM is dropped and stop must SIGKILL.
  local name=$TAG-stopkill id
  pm run -d --name "$name" "${RUN_OPTS[@]}" sleep 1000 >/dev/null
  id=$(full_id "$name")
  capture pm stop -t 1 "$name"
  assert_rc 0 "podman stop -t 1"
  assert_eq exited "$(status_of_pm "$name")"
  assert_eq 137 "$(exit_code_of_pm "$name")" "exit code after stop escalated to SIGKILL"
  capture pm rm "$name"
  assert_rc 0
  assert_no_leftovers "$id"
}

case_rm_force_running() {
  local name=$TAG-rmf id
  pm run -d --name "$name" "${RUN_OPTS[@]}" sleep 1000 >/dev/null
  id=$(full_id "$name")
  capture pm rm -f -t 0 "$name"
  assert_rc 0 "podman rm -f of a running container"
  assert_no_leftovers "$id"
}

run_case run_rm case_run_rm
run_case run_tty case_run_tty
run_case detached case_detached
run_case stop_escalates case_stop_escalates
run_case rm_force_running case_rm_force_running
capture pm ps -aq
[[ -z $OUT ]] || { log "podman containers left: $OUT"; CASES_FAILED+=(leftover-containers); }
if [[ -z ${E2E_PODMAN_DEFAULT_ROOT:-} ]]; then
  capture "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$RTROOT" list -q
  [[ -z $OUT ]] || { log "runtime containers left in $RTROOT: $OUT"; CASES_FAILED+=(leftover-state); }
fi
((${#CASES_FAILED[@]} == 0)) || on_fail_dump
finish
