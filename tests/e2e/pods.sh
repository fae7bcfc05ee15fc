#!/usr/bin/env bash
# Pods, Stockade-only: as runsc, a container whose annotations name a sandbox joins that
# sandbox instead of getting one of its own. containerd's CRI plugin says so with
# io.kubernetes.cri.container-type=container + io.kubernetes.cri.sandbox-id=ID, cri-o with
# io.kubernetes.cri-o.ContainerType=container + io.kubernetes.cri-o.SandboxID=ID; the pod's
# first container (type "sandbox") owns the sandbox. runc ignores these annotations, so the
# script skips (77) unless the runtime is Stockade.
#
#   STOCKADE=build/src/cli/stockade STOCKADE_FLAGS=--platform=native bash tests/e2e/pods.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
is_stockade || skip "pods are Stockade's (runc ignores the CRI annotations)"

wait_status() { # ID STATUS [SECONDS]
  wait_until "${3:-10}" status_is "$1" "$2" || fail "$1: status stayed [$(status_of "$1")], wanted [$2]"
}

parent_of() { awk '{print $4}' "/proc/$1/stat"; }
gone_or_zombie() { [[ ! -d /proc/$1 || $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }

# pod_bundle ID TYPE_KEY TYPE [SANDBOX_KEY SANDBOX_ID] -- ARGS...: a bundle with the pod
# annotations.
pod_bundle() {
  local id=$1 tkey=$2 type=$3 skey="" sid=""
  shift 3
  if [[ $1 != -- ]]; then
    skey=$1 sid=$2
    shift 2
  fi
  shift # --
  local b
  b=$(mkbundle "$id" "$@")
  bundle_edit "$b" '.annotations = ({($tk): $t} + (if $sk == "" then {} else {($sk): $s} end))' \
    --arg tk "$tkey" --arg t "$type" --arg sk "$skey" --arg s "$sid"
  echo "$b"
}


# pod_lifecycle NAME TYPE_KEY SANDBOX_KEY: a sandbox and a container in it; the container's
# kill and delete leave the sandbox running.
pod_lifecycle() {
  is_stockade || exit 77
  local name=$1 tkey=$2 skey=$3
  local sb sub bsb bsub
  sb=$(cid "$name-sb")
  sub=$(cid "$name-ct")
  bsb=$(pod_bundle "$sb" "$tkey" sandbox -- sleep 1000)
  bsub=$(pod_bundle "$sub" "$tkey" container "$skey" "$sb" -- sh -c 'echo hello-from-$(hostname); sleep 1000')
  capture rt run -d -b "$bsb" "$sb"
  assert_rc 0 "run -d of the sandbox container"
  capture_as "$name-ct" rt create -b "$bsub" --pid-file "$TEST_TMP/$name-ct.pid" "$sub"
  assert_rc 0 "create of the container in the sandbox"
  assert_eq created "$(status_of "$sub")" "status of the subcontainer after create"
  capture rt start "$sub"
  assert_rc 0 "start of the subcontainer"
  assert_eq running "$(status_of "$sb")" "sandbox container status"
  assert_eq running "$(status_of "$sub")" "subcontainer status"
  # Its output arrives on create's stdout.
  wait_until 5 grep -q "hello-from-" "$TEST_TMP/$name-ct.out" ||
    fail "no output from the subcontainer: [$(<"$TEST_TMP/$name-ct.out")]"
  assert_eq "hello-from-$(jq -r .hostname "$bsub/config.json")" "$(<"$TEST_TMP/$name-ct.out")" "subcontainer output"

  # Both inits are children of the same sandbox process.
  local p1 p2 st
  p1=$(state_field "$sb" pid)
  st=$(rt state "$sub")
  assert_json "$st" ".id == \"$sub\" and .bundle == \"$bsub\" and .pid > 0" "state of the subcontainer"
  p2=$(jq -r .pid <<<"$st")
  assert_ne "$p1" "$p2" "init pids of the two containers"
  local sandbox
  sandbox=$(parent_of "$p1")
  assert_eq "$sandbox" "$(parent_of "$p2")" "parent of the subcontainer's init (the sandbox of $sb)"
  # Each container keeps its own namespaces.
  assert_ne "$(readlink "/proc/$p1/ns/mnt")" "$(readlink "/proc/$p2/ns/mnt")" "mount namespaces of the two containers"
  # The pid file names a process that stands for the subcontainer (conmon and shims reap it).
  local w
  w=$(tr -d '[:space:]' <"$TEST_TMP/$name-ct.pid")
  assert_match "$w" '^[1-9][0-9]*$' "--pid-file of the subcontainer"
  [[ -d /proc/$w ]] || fail "the subcontainer's pid file names $w, which is not running"
  capture rt ps --format json "$sub"
  assert_rc 0 "ps of the subcontainer"
  assert_json "$OUT" "index($p2) != null and index($p1) == null" "ps of the subcontainer lists its own processes only"
  capture rt exec "$sub" hostname
  assert_rc 0 "exec in the subcontainer"
  assert_eq "$(jq -r .hostname "$bsub/config.json")" "$OUT" "exec runs in the subcontainer (its hostname)"

  capture rt kill "$sub" KILL
  assert_rc 0 "kill of the subcontainer"
  wait_status "$sub" stopped
  wait_until 5 gone_or_zombie "$w" ||
    fail "the subcontainer's waiter $w outlived it"
  assert_eq running "$(status_of "$sb")" "sandbox status after the subcontainer's kill"
  capture rt delete "$sub"
  assert_rc 0 "delete of the stopped subcontainer"
  capture rt state "$sub"
  assert_fails "state after delete"
  assert_no_leftovers "$sub"
  assert_eq running "$(status_of "$sb")" "sandbox status after the subcontainer's delete"
  [[ -d /proc/$p1 ]] || fail "the sandbox's init $p1 died with the subcontainer"
  capture rt exec "$sb" echo still-here
  assert_eq still-here "$OUT" "exec in the sandbox container after the subcontainer's delete"

  # A second container in the same sandbox, deleted with --force while running.
  local sub2 bsub2
  sub2=$(cid "$name-ct2")
  bsub2=$(pod_bundle "$sub2" "$tkey" container "$skey" "$sb" -- sleep 1000)
  capture rt run -d -b "$bsub2" "$sub2"
  assert_rc 0 "run -d of a second subcontainer"
  assert_eq "$sandbox" "$(parent_of "$(state_field "$sub2" pid)")" "parent of the second subcontainer's init"
  capture rt delete --force "$sub2"
  assert_rc 0 "delete --force of a running subcontainer"
  assert_no_leftovers "$sub2"
  assert_eq running "$(status_of "$sb")" "sandbox status after delete --force of a subcontainer"

  rt delete --force "$sb"
  assert_no_leftovers "$sb" "$sub" "$sub2"
}

case_cri_pod() {
  pod_lifecycle cri io.kubernetes.cri.container-type io.kubernetes.cri.sandbox-id
}

case_crio_pod() {
  pod_lifecycle crio io.kubernetes.cri-o.ContainerType io.kubernetes.cri-o.SandboxID
}

# Deleting the sandbox container (--force) while a subcontainer runs takes the whole pod down.
# The subcontainer's record may outlive the sandbox (as with runsc, a shim deletes it), but then
# only as "stopped", and its delete succeeds and cleans up.
case_delete_sandbox_first() {
  is_stockade || exit 77
  local sb sub bsb bsub
  sb=$(cid sbfirst-sb)
  sub=$(cid sbfirst-ct)
  bsb=$(pod_bundle "$sb" io.kubernetes.cri.container-type sandbox -- sleep 1000)
  bsub=$(pod_bundle "$sub" io.kubernetes.cri.container-type container io.kubernetes.cri.sandbox-id "$sb" -- \
    sh -c 'sleep 1000 & sleep 1001')
  rt run -d -b "$bsb" "$sb" </dev/null >/dev/null 2>"$TEST_TMP/sbfirst.err"
  rt run -d -b "$bsub" "$sub" </dev/null >/dev/null 2>"$TEST_TMP/sbfirst-ct.err"
  local sandbox p1 p2
  p1=$(state_field "$sb" pid)
  p2=$(state_field "$sub" pid)
  sandbox=$(parent_of "$p1")
  capture rt delete --force "$sb"
  assert_rc 0 "delete --force of the sandbox container"
  local p
  for p in "$sandbox" "$p1" "$p2"; do
    wait_until 5 test ! -d "/proc/$p" || fail "process $p survived the sandbox's delete"
  done
  assert_no_leftovers "$sb"
  local st
  st=$(status_of "$sub")
  if [[ $st != "<none>" ]]; then
    assert_eq stopped "$st" "the subcontainer's status once its sandbox is gone"
    capture rt delete "$sub"
    assert_rc 0 "delete of a subcontainer whose sandbox is gone"
  fi
  assert_no_leftovers "$sb" "$sub"
}

# A subcontainer naming a missing sandbox fails with one line and leaves nothing.
case_missing_sandbox() {
  is_stockade || exit 77
  local id b nosb cmd
  id=$(cid nosb)
  nosb=$(cid no-such-sandbox)
  b=$(pod_bundle "$id" io.kubernetes.cri.container-type container io.kubernetes.cri.sandbox-id "$nosb" -- sleep 1000)
  for cmd in create run; do
    capture rt "$cmd" -b "$b" "$id"
    assert_one_line_error --exact-case "$nosb" "$cmd of a container in a missing sandbox"
    assert_no_leftovers "$id"
  done
  # A sandbox that exists but has stopped, likewise.
  local sb bsb
  sb=$(cid stopped-sb)
  bsb=$(pod_bundle "$sb" io.kubernetes.cri.container-type sandbox -- true)
  rt create -b "$bsb" "$sb" </dev/null >/dev/null 2>&1
  rt start "$sb"
  wait_status "$sb" stopped
  bundle_edit "$b" '.annotations["io.kubernetes.cri.sandbox-id"] = $s' --arg s "$sb"
  capture rt create -b "$b" "$id"
  assert_one_line_error --exact-case "$sb" "create of a container in a stopped sandbox"
  assert_no_leftovers "$id"
  rt delete "$sb"
  assert_no_leftovers "$sb"
}

run_case cri_pod case_cri_pod
run_case crio_pod case_crio_pod
run_case delete_sandbox_first case_delete_sandbox_first
run_case missing_sandbox case_missing_sandbox
capture rt list -q
[[ -z $OUT ]] || { log "containers left in --root: $OUT"; exit 1; }
finish
