#!/usr/bin/env bash
# Under the Sentry (platform_flags $SENTRY_PLATFORM, systrap by default) the application cannot reach any host path outside its
# rootfs and mounts, and the sandbox holds no host directory FD.
#
# 1. A canary (unique content, never given to the container) lives on the host outside the
#    bundle: $TEST_TMP/canary/secret-TAG, plus a neighbour dir next to the bundles and a decoy
#    $TEST_TMP/etc/hostname. The container tries to read, list and write next to them through
#    absolute host paths, `..` chains (from / and from a bind mount), symlinks it makes itself
#    (absolute, relative climbing out, to /..), symlinks planted on the host in its rootfs and
#    in a bind-mounted dir (absolute host paths and relative ones climbing out of the bind
#    source), symlink loops, /proc's magic links (<pid>/root, self/cwd, self/fd/N) with `..`
#    after them, and symlinks swapped during walks (by the container and by the host). The
#    canary must never show up, every `..` above / must land on the container's /, and the
#    canary dirs must stay exactly as they were (no file created outside bundle and bind dir).
# 2. From the host: the sandbox (`stockade boot`) process and its stubs hold no FD to a host
#    directory; the Sentry may keep its private devpts instance's directory, nothing else (the
#    gofer donates FDs for regular files only).
#
#   bash tests/e2e/path_escape.sh            (SENTRY_PLATFORM=systrap by default)
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_stockade || skip "the Sentry platforms are Stockade's own"

# --- the host side: canaries, a private rootfs, a bind source --------------------------------

# The content is the canary proper: it is never passed into the container, so it can only
# appear in the container's output if a read reached the host file.
CANARY_TOKEN="canary-content-$TAG-$RANDOM$RANDOM"
CANARY_DIR=$TEST_TMP/canary
CANARY_NAME=secret-$TAG
CANARY_FILE=$CANARY_DIR/$CANARY_NAME
CANARY_SUB=sub-$TAG
# Next to the container's bundle dir ($TEST_TMP/bundles/ID).
NEIGHBOR_DIR=$TEST_TMP/bundles/neighbor-$TAG
NEIGHBOR_NAME=neighbor-secret-$TAG
# Name of the files the container tries to create outside its view.
PWN=pwned-$TAG
# A private, writable copy of the busybox rootfs (the base one is shared and read-only), at
# $TEST_TMP/escroot/rootfs so that ../../canary from the rootfs is the canary dir on the host.
ESC_ROOTFS=$TEST_TMP/escroot/rootfs
# Bind-mounted at /work; ../canary from it is the canary dir on the host.
BIND_SRC=$TEST_TMP/bindsrc

setup_host() {
  mkdir -p "$CANARY_DIR/$CANARY_SUB" "$NEIGHBOR_DIR" "$TEST_TMP/etc" "$BIND_SRC/sub" "$TEST_TMP/escroot"
  echo "$CANARY_TOKEN" >"$CANARY_FILE"
  echo "$CANARY_TOKEN sub" >"$CANARY_DIR/$CANARY_SUB/$CANARY_NAME"
  echo "$CANARY_TOKEN neighbor" >"$NEIGHBOR_DIR/$NEIGHBOR_NAME"
  # What ../etc/hostname from the bind source is on the host.
  echo "$CANARY_TOKEN hostname" >"$TEST_TMP/etc/hostname"

  ensure_base_bundle
  cp -a "$BASE_BUNDLE/rootfs" "$ESC_ROOTFS"
  mkdir -p "$ESC_ROOTFS/work"
  # Symlinks planted in the rootfs (served by the gofer): the Sentry must resolve them in the
  # container's view, never the gofer on the host.
  ln -s "$CANARY_FILE" "$ESC_ROOTFS/hostabs"
  ln -s "$CANARY_DIR" "$ESC_ROOTFS/hostabsdir"
  ln -s "../../canary/$CANARY_NAME" "$ESC_ROOTFS/hostrel"
  ln -s ../../canary "$ESC_ROOTFS/hostreldir"
  ln -s ../../../../../../../../.. "$ESC_ROOTFS/hostup"
  ln -s hostloop2 "$ESC_ROOTFS/hostloop1"
  ln -s hostloop1 "$ESC_ROOTFS/hostloop2"
  # A decoy at the canary's path under /inside, for the swap cases: reading it proves the
  # walk went through the symlink at all.
  mkdir -p "$ESC_ROOTFS/inside$CANARY_DIR"
  echo decoy-inside >"$ESC_ROOTFS/inside$CANARY_FILE"

  # The bind source: host-made symlinks to absolute host paths and climbing out of it.
  ln -s "$CANARY_FILE" "$BIND_SRC/abs_file"
  ln -s "$CANARY_DIR" "$BIND_SRC/abs_dir"
  ln -s "../canary/$CANARY_NAME" "$BIND_SRC/rel_file"
  ln -s ../canary "$BIND_SRC/rel_dir"
  ln -s ../../../../../../../../.. "$BIND_SRC/up"
  ln -s ../etc/hostname "$BIND_SRC/rel_hostname"
  ln -s /etc/passwd "$BIND_SRC/abs_passwd"
  ln -s loopb "$BIND_SRC/loopa"
  ln -s loopa "$BIND_SRC/loopb"
  echo decoy-sub >"$BIND_SRC/sub/$CANARY_NAME"
  host_snapshot >"$TEST_TMP/host.before"
}

# host_snapshot: every entry of the host dirs the container must not touch, with size and
# mtime, so any write, creation or removal shows.
host_snapshot() {
  find "$CANARY_DIR" "$NEIGHBOR_DIR" "$TEST_TMP/etc" -printf '%p %y %s %T@\n' | sort
}

# assert_host_untouched WHAT: the canary dirs are as they were and no $PWN file exists on the
# host outside the container's own rootfs and bind dir.
assert_host_untouched() {
  local diff strays
  diff=$(diff "$TEST_TMP/host.before" <(host_snapshot) || true)
  [[ -z $diff ]] || fail "$1: the host's canary dirs changed:"$'\n'"$diff"
  strays=$(find "$TEST_TMP" -name "$PWN*" -not -path "$ESC_ROOTFS/*" -not -path "$BIND_SRC/*" 2>/dev/null || true)
  local p
  for p in "/$PWN" "/tmp/$PWN" "$TEST_TMP/$PWN" "${TEST_TMP%/*}/$PWN"; do
    [[ ! -e $p ]] || strays+=$'\n'"$p"
  done
  [[ -z ${strays//$'\n'/} ]] || fail "$1: the container created files on the host: $strays"
}

# assert_no_escape WHAT: neither the canary's content nor a canary dir's entry (a whole line,
# as `ls -1` prints it; error messages naming the path do not count) is in the last capture's
# output. Each offending line is printed with the `== label` of the attempt it came from.
assert_no_escape() {
  local hits
  hits=$(awk -v tok="$CANARY_TOKEN" -v n1="$CANARY_NAME" -v n2="$CANARY_SUB" -v n3="$NEIGHBOR_NAME" '
    /^== / { hdr = $0; next }
    index($0, tok) || $0 == n1 || $0 == n2 || $0 == n3 { print "  [" hdr "] " $0 }' <<<"$OUT"$'\n'"$ERR")
  [[ -z $hits ]] || fail "$1: the host canary reached the container:"$'\n'"$hits"
  assert_host_untouched "$1"
}

# assert_no_diff WHAT: every `same PATH` in the container found the listing of its own /.
assert_no_diff() {
  local diffs
  diffs=$(awk '/^DIFF: / { p = 1 } /^same: / { p = 0 } p' <<<"$OUT")
  [[ -z $diffs ]] || fail "$1: a path above / did not land on the container's /:"$'\n'"$diffs"
}

# The container-side helpers every script starts with:
#   same PATH: PATH lists exactly as the container's / does now ("same: PATH"), else
#              "DIFF: PATH" and what it listed.
#   r PATH:    "== cat PATH" and what cat printed (content or error).
#   l PATH:    "== ls PATH" and PATH's entries, one a line.
#   w PATH:    "== write PATH" and the error if the write failed.
PRELUDE='
same() { l=$(ls -1a "$1" 2>&1); if [ "$l" = "$(ls -1a / 2>&1)" ]; then echo "same: $1"; else echo "DIFF: $1"; echo "$l"; fi; }
r() { echo "== cat $1"; cat "$1" 2>&1; }
l() { echo "== ls $1"; ls -1a "$1" 2>&1; }
w() { echo "== write $1"; { echo pwn >"$1"; } 2>&1; }
'

# esc_run NAME SCRIPT: runs `sh -c PRELUDE+SCRIPT` to completion in a fresh container on the
# Sentry, with the private rootfs (writable), $BIND_SRC on /work and the paths it must not
# reach in its environment; sets OUT, ERR, RC.
esc_run() {
  local id b
  id=$(cid "$1")
  b=$(esc_bundle "$id" sh -c "$PRELUDE$2")
  capture srt run -b "$b" "$id"
  RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1 || true
}

# esc_bundle ID ARGS...: the bundle esc_run uses, for ARGS.
esc_bundle() {
  local id=$1 b
  shift
  b=$(mkbundle "$id" "$@")
  bundle_edit "$b" '.root.path = $rootfs | .root.readonly = false
    | .process.env += $env
    | .mounts += [{destination: "/work", type: "bind", source: $bind, options: ["rbind", "rw"]}]' \
    --arg rootfs "$ESC_ROOTFS" --arg bind "$BIND_SRC" \
    --argjson env "$(jq -cn '$ARGS.positional' --args \
      "CANARY_DIR=$CANARY_DIR" "CANARY_FILE=$CANARY_FILE" "CANARY_NAME=$CANARY_NAME" \
      "CANARY_SUB=$CANARY_SUB" "NEIGHBOR_DIR=$NEIGHBOR_DIR" "NEIGHBOR_NAME=$NEIGHBOR_NAME" \
      "TEST_TMP=$TEST_TMP" "PWN=$PWN")"
  echo "$b"
}

# expect_run_ok WHAT: the container's script ran (a runtime failure would make every
# "not found" vacuous).
expect_run_ok() {
  [[ $RC == 0 ]] || fail "$1: the container exited $RC; stdout: [$OUT] stderr: [$ERR]"
  assert_contains "$OUT" "== end" "$1: the script ran to its end"
}

# --- 1. no host path is reachable ------------------------------------------------------------

# The host's own paths of the canary, its neighbour and the test dir mean nothing inside.
case_absolute_host_paths() {
  esc_run abs '
    r "$CANARY_FILE"; r "$CANARY_DIR/$CANARY_SUB/$CANARY_NAME"; r "$NEIGHBOR_DIR/$NEIGHBOR_NAME"
    l "$CANARY_DIR"; l "$NEIGHBOR_DIR"; l "$TEST_TMP"; l "$TEST_TMP/bundles"
    w "$CANARY_DIR/$PWN"; w "$NEIGHBOR_DIR/$PWN"; w "$TEST_TMP/$PWN"
    echo "== end"'
  expect_run_ok "absolute host paths"
  assert_no_escape "absolute host paths"
  # Each of the 7 reads and listings must say the path does not exist (the writes' errors
  # are ash's own words; assert_no_escape checked that nothing was created).
  local n
  n=$(grep -c 'No such file or directory' <<<"$OUT" || true)
  ((n >= 7)) || fail "absolute host paths: expected 7 ENOENT, got $n:"$'\n'"$OUT"
}

# `..` from / and from a bind mount stops at the container's /.
case_dotdot_chains() {
  esc_run dotdot '
    same /..; same /../../../..; same /bin/../../..; same /work/..; same /work/../../..
    same /work/sub/../../../../..; (cd /work && same ../../../..); (cd /work/sub && same ../../../../../..)
    r "/../../..$CANARY_FILE"; r "/work/../../../..$CANARY_FILE"
    r "/work/../canary/$CANARY_NAME"; l /work/../canary; l "/..$NEIGHBOR_DIR"
    (cd /work && r "../canary/$CANARY_NAME"; r "../../../..$CANARY_FILE"; l ../canary)
    w "/work/../canary/$PWN"; w "/../../..$CANARY_DIR/$PWN"
    echo "== end"'
  expect_run_ok "dot-dot chains"
  assert_no_diff "dot-dot chains"
  assert_no_escape "dot-dot chains"
}

# Symlinks the container makes itself, in the Sentry's /tmp, in the gofer-served rootfs and
# in the bind mount (where they are real host symlinks pointing out of the bind source).
case_container_symlinks() {
  esc_run symlinks '
    for d in /tmp / /work; do
      echo "== dir $d"
      if ! ln -sfn "$CANARY_FILE" "$d/sl_abs" 2>&1; then echo "NOLINK $d"; continue; fi
      ln -sfn "$CANARY_DIR" "$d/sl_absdir"; ln -sfn /.. "$d/sl_rootup"
      ln -sfn ../../../../../../../../.. "$d/sl_up"
      ln -sfn "../../../../../../../../..$CANARY_FILE" "$d/sl_upfile"
      ln -sfn "../canary/$CANARY_NAME" "$d/sl_rel_file"; ln -sfn ../canary "$d/sl_rel_dir"
      r "$d/sl_abs"; l "$d/sl_absdir"; r "$d/sl_absdir/$CANARY_NAME"
      same "$d/sl_rootup"; same "$d/sl_up"; same "$d/sl_rootup/.."; same "$d/sl_up/../.."
      r "$d/sl_upfile"; r "$d/sl_up$CANARY_FILE"; r "$d/sl_rootup/..$CANARY_FILE"
      r "$d/sl_rel_file"; l "$d/sl_rel_dir"; r "$d/sl_rel_dir/$CANARY_SUB/$CANARY_NAME"
      w "$d/sl_absdir/$PWN"; w "$d/sl_up$CANARY_DIR/$PWN"; w "$d/sl_rel_dir/$PWN"
    done
    # Planted on the host in the rootfs.
    echo "== planted"
    r /hostabs; l /hostabsdir; r /hostrel; l /hostreldir; same /hostup; same /hostup/..
    r "/hostup$CANARY_FILE"; w /hostabsdir/$PWN; w /hostreldir/$PWN
    echo "== end"'
  expect_run_ok "container-made symlinks"
  assert_not_contains "$OUT" "NOLINK /tmp" "symlinks in the Sentry's /tmp"
  [[ $OUT != *NOLINK* ]] || log "note: symlinks could not be made in: $(grep NOLINK <<<"$OUT" | tr '\n' ' ')"
  assert_no_diff "container-made symlinks"
  assert_no_escape "container-made symlinks"
}

# A host dir bind-mounted at /work holds symlinks made on the host to an absolute host path
# and climbing out of the bind source: the Sentry resolves them in the container's view.
case_bind_mount_symlinks() {
  esc_run bind '
    r /work/abs_file; l /work/abs_dir; r "/work/abs_dir/$CANARY_NAME"; r "/work/abs_dir/$CANARY_SUB/$CANARY_NAME"
    r /work/rel_file; l /work/rel_dir; r "/work/rel_dir/$CANARY_NAME"; same /work/up; same /work/up/..
    r "/work/up$CANARY_FILE"
    echo "== own-hostname"; cat /work/rel_hostname 2>&1
    echo "== own-passwd"; cat /work/abs_passwd 2>&1
    w /work/abs_dir/$PWN; w /work/rel_dir/$PWN; w /work/rel_file; w /work/abs_file
    { echo pwn >>/work/rel_file; } 2>&1; { echo pwn >>/work/abs_file; } 2>&1
    echo "== end"'
  expect_run_ok "bind-mount symlinks"
  assert_no_diff "bind-mount symlinks"
  assert_no_escape "bind-mount symlinks"
  # ../etc/hostname from /work is the container's /etc/hostname; /etc/passwd its own.
  assert_contains "$OUT" $'== own-hostname\n'"$(<"$ESC_ROOTFS/etc/hostname")"$'\n' "the container's own /etc/hostname through /work/rel_hostname"
  assert_contains "$OUT" $'== own-passwd\n'"$(<"$ESC_ROOTFS/etc/passwd")"$'\n' "the container's own /etc/passwd through /work/abs_passwd"
}

# Loops end in ELOOP, wherever the links are.
case_symlink_loops() {
  esc_run loops '
    ln -sfn /tmp/lb /tmp/la; ln -sfn /tmp/la /tmp/lb; ln -sfn self /tmp/self
    for p in /tmp/la /tmp/lb /tmp/self /tmp/la/x /hostloop1 /hostloop2/x /work/loopa /work/loopb/x; do
      r "$p"
    done
    echo "== end"'
  expect_run_ok "symlink loops"
  assert_no_escape "symlink loops"
  local n
  n=$(grep -Eci 'symbolic link loop|too many levels of symbolic links' <<<"$OUT" || true)
  ((n == 8)) || fail "symlink loops: expected 8 ELOOP errors, got $n:"$'\n'"$OUT"
}

# /proc's magic links are the container's own: `..` after them stays in the container.
case_proc_magic_links() {
  esc_run proc '
    exec 3</ 4</work 5</work/sub
    same /proc/1/root; same /proc/1/root/..; same /proc/1/root/../../..; same /proc/$$/root/..
    same /proc/self/root/..; same /proc/self/root/../..
    (cd /work && same /proc/self/cwd/.. && same /proc/self/cwd/../../.. && r "/proc/self/cwd/../canary/$CANARY_NAME")
    (cd /work/sub && same /proc/self/cwd/../.. && r "/proc/self/cwd/../../canary/$CANARY_NAME")
    same /proc/self/fd/3; same /proc/self/fd/3/..; same /proc/$$/fd/3/../..
    same /proc/self/fd/4/..; same /proc/$$/fd/5/../../..
    r "/proc/thread-self/root/../..$CANARY_FILE"; r "/proc/thread-self/cwd/../..$CANARY_FILE"
    r "/proc/1/root/../../..$CANARY_FILE"; r "/proc/self/root/../..$CANARY_FILE"
    r "/proc/$$/fd/3/../..$CANARY_FILE"; r "/proc/$$/fd/4/../canary/$CANARY_NAME"
    r "/proc/$$/fd/5/../../canary/$CANARY_NAME"; l "/proc/$$/fd/4/../canary"
    w "/proc/self/root/../..$CANARY_DIR/$PWN"; w "/proc/$$/fd/4/../canary/$PWN"
    echo "== end"'
  expect_run_ok "/proc magic links"
  assert_no_diff "/proc magic links"
  assert_no_escape "/proc magic links"
}

# A symlink swapped while the foreground walks through it, between a dir inside the container
# (which has a decoy at the canary's path) and / or `..` chains. The reads are the shell's
# own redirections (no fork per read) so thousands of walks race the flipper.
case_symlink_swapped_in_container() {
  # A fixed amount of work (three shells forking ln in a loop while 4500 reads race them),
  # whose wall time follows the machine's load: more time than a plain run.
  RT_TIMEOUT=120 esc_run swap '
    mkdir -p "/tmp/in$CANARY_DIR" && echo decoy-tmp >"/tmp/in$CANARY_FILE"
    mkdir -p /work/sub/in && echo decoy-work >/work/sub/in/$CANARY_NAME
    flip() { # LINK TARGETS...
      link=$1; shift
      while :; do for t in "$@"; do ln -sfn "$t" "$link"; done; done
    }
    flip /tmp/flip /tmp/in / /.. ../../../../../.. 2>/dev/null & f1=$!
    flip /flip /inside / ../../../../../.. 2>/dev/null & f2=$!
    flip /work/flip sub/in ../canary "$CANARY_DIR" ../../../../../.. 2>/dev/null & f3=$!
    for p in "/tmp/flip$CANARY_FILE" "/flip$CANARY_FILE" "/work/flip/$CANARY_NAME"; do
      echo "== race $p"
      i=0
      while [ $i -lt 1500 ]; do
        if read -r x <"$p"; then echo "$x"; fi 2>/dev/null
        i=$((i + 1))
      done | sort | uniq -c
      i=0
      while [ $i -lt 30 ]; do cat "$p" 2>/dev/null; i=$((i + 1)); done | sort | uniq -c
    done
    kill $f1 $f2 $f3; wait
    echo "== end"'
  expect_run_ok "symlink swapped in the container"
  assert_no_escape "symlink swapped in the container"
  # The walks did go through the link when it pointed inside (else the race proves nothing).
  assert_contains "$OUT" decoy-tmp "reads through /tmp/flip"
  assert_contains "$OUT" decoy-work "reads through /work/flip"
  [[ $OUT == *decoy-inside* ]] || log "note: no read through /flip saw /inside (the rootfs may not be writable)"
}

# The same race with the host swapping a symlink in the bind source between a dir inside it
# and the canary dir (absolute, and relative climbing out of the bind source): a gofer that
# followed the host's link would open the canary.
case_symlink_swapped_on_host() {
  "$PYTHON" - "$BIND_SRC/hflip" sub "$CANARY_DIR" ../canary ../../../../../.. <<'PY' &
import os, sys
link, targets = sys.argv[1], sys.argv[2:]
tmp = link + ".tmp"
while True:
    for t in targets:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        os.symlink(t, tmp)
        os.replace(tmp, link)  # atomic: the link always exists
PY
  local flipper=$!
  # The case runs in a subshell: its own EXIT trap stops the flipper however it ends.
  # shellcheck disable=SC2064 # expanded now, on purpose
  trap "kill $flipper 2>/dev/null || true" EXIT
  wait_until 5 test -L "$BIND_SRC/hflip" || fail "the host flipper did not start"
  esc_run hswap '
    for p in "/work/hflip/$CANARY_NAME" "/work/hflip/$CANARY_SUB/$CANARY_NAME"; do
      echo "== race $p"
      i=0
      while [ $i -lt 2000 ]; do
        if read -r x <"$p"; then echo "$x"; fi 2>/dev/null
        i=$((i + 1))
      done | sort | uniq -c
      i=0
      while [ $i -lt 30 ]; do cat "$p" 2>/dev/null; i=$((i + 1)); done | sort | uniq -c
    done
    echo "== end"'
  kill "$flipper" 2>/dev/null || true
  wait "$flipper" 2>/dev/null || true
  expect_run_ok "symlink swapped on the host"
  assert_no_escape "symlink swapped on the host"
  assert_contains "$OUT" decoy-sub "reads through /work/hflip"
}

# --- 2. the sandbox holds no host directory FD -----------------------------------------------


# dir_fds PID ROLE: prints each FD of any thread of PID that is a directory, except, for the
# sandbox itself, the root of one devpts instance (its private /dev/pts; the Sentry may hold
# that one directory more than once).
dir_fds() {
  local pid=$1 role=$2 task fd devpts_dev="" dev target
  for task in /proc/"$pid"/task/*; do
    # An unreadable fd dir would make the glob below match nothing and pass silently.
    if ! ls "$task/fd" >/dev/null 2>&1; then
      [[ ! -d $task ]] || echo "  $role pid $pid task ${task##*/}: cannot read $task/fd"
      continue
    fi
    for fd in "$task"/fd/*; do
      [[ -d $fd ]] || continue
      target=$(readlink "$fd" 2>/dev/null || echo '?')
      dev=$(stat -L -c %d:%i "$fd" 2>/dev/null || true)
      if [[ $role == sandbox && $(stat -f -L -c %T "$fd" 2>/dev/null) == devpts && ${dev#*:} == 1 ]] &&
        [[ -z $devpts_dev || $devpts_dev == "$dev" ]]; then
        devpts_dev=$dev
        # Logged once, from the main thread (the threads share its FD table).
        [[ ${task##*/} != "$pid" ]] || log "allowed: $role pid $pid fd ${fd##*/} -> $target (devpts, dev:ino $(stat -L -c %d:%i "$fd" 2>/dev/null))"
        continue
      fi
      echo "  $role pid $pid task ${task##*/} fd ${fd##*/} -> $target ($(stat -f -L -c %T "$fd" 2>/dev/null), dev:ino $(stat -L -c %d:%i "$fd" 2>/dev/null))"
    done
  done
}

case_sandbox_holds_no_directory_fds() {
  local id b
  id=$(cid fds)
  # Walk the rootfs and the bind mount, keep directories and files open, run several
  # processes (each its own stub), then signal readiness through the bind mount.
  b=$(esc_bundle "$id" sh -c '
    exec 3</ 4</work 5</etc/passwd 6</work/sub
    ls -R / >/dev/null 2>&1; ls -laR /work >/dev/null 2>&1; cat /work/abs_passwd /hostrel >/dev/null 2>&1
    cd /work/sub
    sh -c "exec 7</bin; sleep 1000" & sleep 1000 &
    echo ready >/work/ready-fds
    wait')
  rm -f "$BIND_SRC/ready-fds"
  capture_as fds srt run -d -b "$b" "$id"
  assert_rc 0 "run -d under $SENTRY_PLATFORM"
  wait_until 10 status_is "$id" running || fail "container did not start"
  wait_until 30 test -e "$BIND_SRC/ready-fds" || log "note: no ready file in the bind dir; checking anyway"
  sleep 0.5

  local procs pid role out bad="" n=0 have_children=0
  procs=$(sandbox_pids "$id" 2>&1) || fail "cannot find the sandbox of $id: $procs"
  while read -r pid role; do
    [[ -n $pid ]] || continue
    n=$((n + 1))
    [[ $role != child ]] || have_children=1
    out=$(dir_fds "$pid" "$role")
    [[ -z $out ]] || bad+=$out$'\n'
  done <<<"$procs"
  log "checked $n process(es): $(tr '\n' ' ' <<<"$procs")"
  ((have_children)) || fail "the sandbox has no child processes (stubs) to check: $procs"
  [[ -z $bad ]] || fail "directory FDs held by the sandbox or its stubs:"$'\n'"$bad"

  capture srt kill "$id" KILL
  wait_until 10 status_is "$id" stopped || fail "container did not stop after kill"
  capture srt delete --force "$id"
  assert_rc 0 "delete"
  assert_no_leftovers "$id"
}

setup_host
run_case absolute_host_paths case_absolute_host_paths
run_case dotdot_chains case_dotdot_chains
run_case container_symlinks case_container_symlinks
run_case bind_mount_symlinks case_bind_mount_symlinks
run_case symlink_loops case_symlink_loops
run_case proc_magic_links case_proc_magic_links
run_case symlink_swapped_in_container case_symlink_swapped_in_container
run_case symlink_swapped_on_host case_symlink_swapped_on_host
run_case sandbox_holds_no_directory_fds case_sandbox_holds_no_directory_fds
assert_host_untouched "after all cases"
finish
