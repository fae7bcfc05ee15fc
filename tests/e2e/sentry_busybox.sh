#!/usr/bin/env bash
# The busybox bundle under the Sentry (platform_flags $SENTRY_PLATFORM, systrap by default) behaves exactly as under
# --platform=native: same stdout, stderr and exit code for each command, and the application
# runs only as Sentry tasks (no host process executes the container's busybox).
#
#   bash tests/e2e/sentry_busybox.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_stockade || skip "the Sentry platforms are Stockade's own"

# run_on PLATFORM NAME ARGS...: runs ARGS in a fresh container; sets OUT, ERR, RC.
run_on() {
  local platform=$1 name=$2 id b
  shift 2
  id=$(cid "$name-$platform")
  b=$(mkbundle "$id" "$@")
  [[ -z ${BUNDLE_EDIT:-} ]] || bundle_edit "$b" "$BUNDLE_EDIT"
  # shellcheck disable=SC2046
  capture timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" $(platform_flags "$platform") --root "$ROOT" run -b "$b" "$id"
  RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1 || true
}

# same_as_native NAME ARGS...: the Sentry's output and exit code equal native's.
same_as_native() {
  local name=$1
  shift
  run_on native "$name" "$@"
  local n_out=$OUT n_err=$ERR n_rc=$RC
  run_on "$SENTRY_PLATFORM" "$name" "$@"
  assert_eq "$n_out" "$OUT" "$name: stdout under $SENTRY_PLATFORM"
  assert_eq "$n_err" "$ERR" "$name: stderr under $SENTRY_PLATFORM"
  assert_eq "$n_rc" "$RC" "$name: exit code under $SENTRY_PLATFORM"
}

case_pipeline_and_jobs() {
  same_as_native pipe sh -c 'echo hi | cat; ls /bin | wc -l; x=$(echo sub); echo $x; sleep 0.2 & wait; kill -TERM $$'
}

case_trap_and_exit_code() {
  same_as_native trap sh -c 'trap "echo caught" USR1; kill -USR1 $$; exit 3'
}

case_text_tools() {
  # /root (mode 0700, owned by host root) is pruned: until the gofer serves the rootfs, the
  # Sentry reads it with the sandbox's own rights (nobody on the host); see docs/sentry.md.
  same_as_native tools sh -c 'find / -xdev -path /root -prune -o -print | sort | head -60 | tr a-z A-Z | awk "{ n++; print n\": \"\$0 } END { print n }"'
}

case_errors_and_stderr() {
  same_as_native errors sh -c 'ls /no/such/file; cat /etc/hostname /nope 2>&1; echo out; echo err >&2; exit 7'
}

case_exit_by_signal() {
  same_as_native signal sh -c 'sh -c "kill -KILL \$\$"; echo "child status $?"'
}

# --strace logs each call of the application with decoded arguments and its result.
case_strace_decodes_calls() {
  local id b log
  id=$(cid strace)
  b=$(mkbundle "$id" sh -c 'cat /etc/hostname >/dev/null; ls /nonexistent 2>/dev/null; exit 0')
  capture srt --strace --debug --debug-log "$TEST_TMP/strace/" run -b "$b" "$id"
  assert_rc 0 "run --strace"
  log=$(cat "$TEST_TMP"/strace/*.boot.log) || fail "no sandbox debug log in $TEST_TMP/strace"
  assert_contains "$log" 'openat(AT_FDCWD, \"/etc/hostname\", O_RDONLY' "openat with a decoded path and flags"
  # busybox's sh runs its applets through /proc/self/exe.
  assert_contains "$log" 'execve(\"/proc/self/exe\", [\"cat\", \"/etc/hostname\"]' "execve with argv"
  assert_contains "$log" '= -1 ENOENT' "an errno result by name"
  assert_match "$log" 'exit_group\(0\)' "exit_group"
  RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1 || true
}

case_only_sentry_tasks() {
  local id b
  id=$(cid sleeper)
  b=$(mkbundle "$id" sleep 5)
  capture srt run -d -b "$b" "$id"
  assert_rc 0 "run -d under $SENTRY_PLATFORM"
  wait_until 10 status_is "$id" running || fail "container did not start"
  # No host process may be executing the container's busybox binary.
  local rootfs_bb pid exe
  rootfs_bb=$(readlink -f "$BASE_BUNDLE/rootfs/bin/busybox")
  for pid in /proc/[0-9]*; do
    exe=$(readlink "$pid/exe" 2>/dev/null || true)
    [[ $exe == "$rootfs_bb" ]] && fail "host process ${pid#/proc/} runs the container's busybox natively"
  done
  capture srt ps "$id"
  assert_rc 0 "ps"
  assert_contains "$OUT" sleep "ps lists the Sentry task"
  capture srt kill "$id" KILL
  assert_rc 0 "kill"
  wait_until 10 status_is "$id" stopped || fail "container did not stop after kill"
  capture srt delete "$id"
  assert_rc 0 "delete"
  assert_no_leftovers "$id"
}

case_controller_operations() {
  local id b
  id=$(cid ops)
  b=$(mkbundle "$id" sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done')
  capture srt run -d -b "$b" "$id"
  assert_rc 0 "run -d"
  wait_until 10 status_is "$id" running || fail "container did not start"
  capture srt exec "$id" sh -c 'echo exec-out; echo exec-err >&2; exit 3'
  assert_rc 3 "exec exit code"
  assert_eq exec-out "$OUT" "exec stdout"
  assert_eq exec-err "$ERR" "exec stderr"
  capture srt exec -d "$id" sleep 0.2
  assert_rc 0 "exec --detach"
  capture srt pause "$id"
  assert_rc 0 "pause"
  assert_eq paused "$(status_of "$id")" "state after pause"
  capture srt resume "$id"
  assert_rc 0 "resume"
  assert_eq running "$(status_of "$id")" "state after resume"
  capture srt ps --format json "$id"
  assert_rc 0 "ps --format json"
  assert_json "$OUT" 'index(1) != null' "init is PID 1 in the sandbox"
  capture srt kill "$id" USR1
  assert_rc 0 "kill USR1"
  wait_until 10 status_is "$id" stopped || fail "container did not exit on its USR1 trap"
  capture srt wait "$id"
  assert_rc 0 "wait"
  assert_json "$OUT" '.exitStatus == 9' "wait reports the container's exit code"
  capture srt delete "$id"
  assert_rc 0 "delete"
  assert_no_leftovers "$id"
}

# The spec's tmpfs mounts: with mode= they take it; without, the mode of the directory they
# cover (as runc gives it), and tmpfs's own 1777 where nothing is covered.
case_spec_tmpfs_modes() {
  ensure_base_bundle
  mkdir -p "$BASE_BUNDLE/rootfs/tmpfs-covered" "$BASE_BUNDLE/rootfs/tmpfs-given"
  chmod 0710 "$BASE_BUNDLE/rootfs/tmpfs-covered" "$BASE_BUNDLE/rootfs/tmpfs-given"
  BUNDLE_EDIT='.mounts += [
      {destination: "/tmpfs-covered", type: "tmpfs", source: "tmpfs", options: ["nosuid"]},
      {destination: "/tmpfs-given", type: "tmpfs", source: "tmpfs", options: ["mode=0750"]},
      {destination: "/tmpfs-covered/inner", type: "tmpfs", source: "tmpfs", options: []}]' \
    same_as_native tmpfsmodes stat -c "%n %a" /tmpfs-covered /tmpfs-given /tmpfs-covered/inner
  assert_eq $'/tmpfs-covered 710\n/tmpfs-given 750\n/tmpfs-covered/inner 1777' "$OUT" "the tmpfs modes"
}

# A tmpfs mounted inside the container (with CAP_SYS_ADMIN), used and unmounted again.
case_mount_tmpfs() {
  # (The Docker-like seccomp profile refuses mount whatever the capabilities: it goes too.)
  BUNDLE_EDIT='.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"]) | del(.linux.seccomp)' \
    same_as_native mount sh -c 'mount -t tmpfs -o mode=0700 scratch /home && echo x > /home/f && cat /home/f &&
      stat -c "%a" /home && umount /home && ls /home; mount -t nosuchfs none /home; echo $?'
  assert_contains "$OUT" "700" "the tmpfs was mounted with its mode"
  # Without the capability: refused.
  same_as_native nomount sh -c 'mount -t tmpfs none /home; echo $?'
}

case_fork_bomb_stops_at_pids_limit() {
  # The stubs are the sandbox's children and the sandbox is in the container's cgroup, so
  # pids.max binds the application; the Sentry must refuse the fork (EAGAIN), not die.
  # stderr is compared loosely: under the Sentry an exec needs a fresh stub process, so at
  # the limit a forked child's exec may fail too (one more line). docs/sentry.md says so.
  local cmd='i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done; echo not reached'
  BUNDLE_EDIT='.linux.resources.pids = {"limit": 40}' run_on native forkbomb sh -c "$cmd"
  local n_out=$OUT n_rc=$RC
  assert_contains "$ERR" "can't fork" "native stops the bomb"
  BUNDLE_EDIT='.linux.resources.pids = {"limit": 40}' run_on "$SENTRY_PLATFORM" forkbomb sh -c "$cmd"
  assert_contains "$ERR" "can't fork" "$SENTRY_PLATFORM stops the bomb"
  assert_eq "$n_out" "$OUT" "forkbomb: stdout under $SENTRY_PLATFORM"
  assert_eq "$n_rc" "$RC" "forkbomb: exit code under $SENTRY_PLATFORM"
}

# The gofer serves each root (the rootfs, each bind) on a thread of its own, under its seccomp
# allowlist. A dozen binds keep more than eight of them allocating at once, where glibc's
# malloc counts CPUs to cap its arenas (podman alone adds four binds).
case_many_bind_mounts() {
  local i src=$TEST_TMP/binds script=''
  for i in $(seq 1 12); do
    mkdir -p "$src/$i"
    echo "host $i" >"$src/$i/f"
    script+="cat /b$i/f && echo c$i > /b$i/g && "
  done
  BUNDLE_EDIT=".mounts += [range(1; 13) | {destination: \"/b\\(.)\", type: \"bind\",
      source: \"$src/\\(.)\", options: [\"rbind\", \"rw\"]}]" \
    same_as_native binds sh -c "${script}echo all served"
  assert_contains "$OUT" "host 12"$'\n'"all served" "every bind was read"
  assert_eq "c12" "$(<"$src/12/g")" "the last bind's write reached the host"
}

run_case pipeline_and_jobs case_pipeline_and_jobs
run_case fork_bomb_stops_at_pids_limit case_fork_bomb_stops_at_pids_limit
run_case controller_operations case_controller_operations
run_case trap_and_exit_code case_trap_and_exit_code
run_case text_tools case_text_tools
run_case errors_and_stderr case_errors_and_stderr
run_case exit_by_signal case_exit_by_signal
run_case only_sentry_tasks case_only_sentry_tasks
run_case strace_decodes_calls case_strace_decodes_calls
run_case mount_tmpfs case_mount_tmpfs
run_case spec_tmpfs_modes case_spec_tmpfs_modes
run_case many_bind_mounts case_many_bind_mounts
finish
