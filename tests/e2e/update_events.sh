#!/usr/bin/env bash
# `update` and `events`: `update --resources -` (JSON on stdin) and runc's flags (--memory,
# --pids-limit, --cpu-quota, --cpu-period, --cpu-share, --memory-reservation, --memory-swap,
# --cpuset-cpus, --cpuset-mems) change the container's cgroup files;
# a pids limit really bounds forks inside the container; `events --stats` shows the new limits;
# streaming `events --interval` prints a JSON line per interval and ends (exit 0) when the
# container is deleted; bad input fails with one line.
#
#   STOCKADE=/usr/sbin/runc bash tests/e2e/update_events.sh
# Commands for the container are single-quoted on purpose: they expand inside it.
# shellcheck disable=SC2016
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The cgroup files of a container whose cgroupsPath is /ID (mkbundle's): cgroup v1 controllers
# (on this hybrid machine too; cgroup2 at /sys/fs/cgroup/unified holds no controller we use),
# or the unified hierarchy when /sys/fs/cgroup itself is cgroup2.
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then CGV=2; else CGV=1; fi

cg_dir() { # CONTROLLER ID
  if ((CGV == 2)); then echo "/sys/fs/cgroup/$2"; else echo "/sys/fs/cgroup/$1/$2"; fi
}
memory_limit() { # ID
  if ((CGV == 2)); then cat "$(cg_dir memory "$1")/memory.max"; else cat "$(cg_dir memory "$1")/memory.limit_in_bytes"; fi
}
pids_limit() { cat "$(cg_dir pids "$1")/pids.max"; }
pids_current() { cat "$(cg_dir pids "$1")/pids.current"; }
cpu_quota_period() { # ID -> "QUOTA PERIOD"
  if ((CGV == 2)); then
    cat "$(cg_dir cpu "$1")/cpu.max"
  else
    echo "$(<"$(cg_dir cpu "$1")/cpu.cfs_quota_us") $(<"$(cg_dir cpu "$1")/cpu.cfs_period_us")"
  fi
}
cpu_shares() { # ID (v1 only)
  cat "$(cg_dir cpu "$1")/cpu.shares"
}

# capture_in INPUT CMD...: capture with INPUT on stdin.
capture_in() {
  local input=$1
  shift
  set +e
  "$@" >"$TEST_TMP/.capture.out" 2>"$TEST_TMP/.capture.err" <<<"$input"
  RC=$?
  set -e
  OUT=$(<"$TEST_TMP/.capture.out")
  ERR=$(<"$TEST_TMP/.capture.err")
}


start_sleeper() { # NAME -> sets ID
  ID=$(cid "$1")
  local b
  b=$(mkbundle "$ID" sleep 1000)
  rt run -d -b "$b" "$ID" </dev/null >/dev/null 2>"$TEST_TMP/$1.err"
  [[ -d $(cg_dir pids "$ID") ]] || fail "no pids cgroup at $(cg_dir pids "$ID")"
}

case_update_resources_json() {
  start_sleeper upjson
  local mib64=$((64 * 1024 * 1024))
  capture_in "{\"memory\":{\"limit\":$mib64},\"pids\":{\"limit\":50},\"cpu\":{\"quota\":20000,\"period\":100000}}" \
    rt update --resources - "$ID"
  assert_rc 0 "update --resources -"
  assert_eq "" "$ERR" "stderr of update"
  assert_eq "$mib64" "$(memory_limit "$ID")" "memory limit"
  assert_eq 50 "$(pids_limit "$ID")" "pids limit"
  assert_eq "20000 100000" "$(cpu_quota_period "$ID")" "cpu quota and period"
  # Only what the JSON names changes.
  capture_in '{"pids":{"limit":77}}' rt update -r - "$ID"
  assert_rc 0 "update of pids only"
  assert_eq 77 "$(pids_limit "$ID")" "pids limit"
  assert_eq "$mib64" "$(memory_limit "$ID")" "memory limit after a pids-only update"
  assert_eq "20000 100000" "$(cpu_quota_period "$ID")" "cpu after a pids-only update"
  # From a file.
  echo '{"cpu":{"quota":50000,"period":200000}}' >"$TEST_TMP/res.json"
  capture rt update --resources "$TEST_TMP/res.json" "$ID"
  assert_rc 0 "update --resources FILE"
  assert_eq "50000 200000" "$(cpu_quota_period "$ID")" "cpu quota and period from a file"
  assert_eq running "$(status_of "$ID")" "status after update"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

case_update_flags() {
  start_sleeper upflags
  local mib128=$((128 * 1024 * 1024))
  capture rt update --pids-limit 10 "$ID"
  assert_rc 0 "update --pids-limit"
  assert_eq 10 "$(pids_limit "$ID")" "pids limit from --pids-limit"
  capture rt update --memory "$mib128" "$ID"
  assert_rc 0 "update --memory"
  assert_eq "$mib128" "$(memory_limit "$ID")" "memory limit from --memory"
  capture rt update --cpu-period 100000 --cpu-quota 30000 "$ID"
  assert_rc 0 "update --cpu-period --cpu-quota"
  assert_eq "30000 100000" "$(cpu_quota_period "$ID")" "cpu from --cpu-quota/--cpu-period"
  assert_eq 10 "$(pids_limit "$ID")" "pids limit after other updates"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

# The rest of runc's `update` flags, with runc's names and value syntax (--cpu-share, not
# --cpu-shares; --memory takes units such as 128M), as scripts written for runc use them.
case_update_runc_flags() {
  start_sleeper upruncflags
  local f
  # One flag per call, so that a missing one does not hide the others.
  local -a missing=()
  for f in "--cpu-share 512" "--memory 128M" "--memory-reservation 33554432" "--memory-swap 268435456" \
    "--cpuset-cpus 0" "--cpuset-mems 0"; do
    # shellcheck disable=SC2086 # flag and value
    capture rt update $f "$ID"
    [[ $RC == 0 ]] || missing+=("$f: $ERR")
  done
  ((${#missing[@]} == 0)) || fail "runc's update flags refused:$(printf '\n  %s' "${missing[@]}")"
  assert_eq $((128 * 1024 * 1024)) "$(memory_limit "$ID")" "memory limit from --memory 128M"
  if ((CGV == 1)); then
    assert_eq 512 "$(cpu_shares "$ID")" "cpu.shares from --cpu-share"
    assert_eq 33554432 "$(<"$(cg_dir memory "$ID")/memory.soft_limit_in_bytes")" "--memory-reservation"
    if [[ -f $(cg_dir memory "$ID")/memory.memsw.limit_in_bytes ]]; then
      assert_eq 268435456 "$(<"$(cg_dir memory "$ID")/memory.memsw.limit_in_bytes")" "--memory-swap"
    fi
  fi
  assert_eq 0 "$(<"$(cg_dir cpuset "$ID")/cpuset.cpus")" "--cpuset-cpus"
  assert_eq 0 "$(<"$(cg_dir cpuset "$ID")/cpuset.mems")" "--cpuset-mems"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

case_events_stats_after_update() {
  start_sleeper evstats
  local mib96=$((96 * 1024 * 1024))
  capture_in "{\"memory\":{\"limit\":$mib96},\"pids\":{\"limit\":33}}" rt update -r - "$ID"
  assert_rc 0 "update"
  capture rt events --stats "$ID"
  assert_rc 0 "events --stats"
  assert_json "$OUT" ".type == \"stats\" and .id == \"$ID\"" "events --stats"
  assert_json "$OUT" '.data.pids.limit == 33' "stats pids.limit after update"
  assert_json "$OUT" '.data.pids.current >= 1' "stats pids.current"
  assert_json "$OUT" ".data.memory.usage.limit == $mib96" "stats memory.usage.limit after update"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

# pids.limit 10 really bounds forks: the 20 background sleeps cannot all start.
case_pids_limit_bounds_forks() {
  start_sleeper forks
  capture rt update --pids-limit 10 "$ID"
  assert_rc 0 "update --pids-limit 10"
  capture rt exec "$ID" sh -c 'for i in $(seq 20); do sleep 5 & echo started; done; wait'
  assert_fails "20 forks under pids.limit 10"
  assert_match "$ERR" "fork|[Rr]esource temporarily unavailable" "the shell's fork failure"
  local started
  started=$(grep -c started <<<"$OUT" || true)
  ((started < 10)) || fail "$started sleeps started under pids.limit 10"
  local cur
  cur=$(pids_current "$ID")
  ((cur <= 10)) || fail "pids.current $cur exceeds pids.limit 10"
  # Raising the limit lets them run.
  capture rt update --pids-limit 100 "$ID"
  assert_rc 0 "update --pids-limit 100"
  capture rt exec "$ID" sh -c 'for i in $(seq 20); do sleep 1 & done; wait; echo all-forked'
  assert_rc 0 "20 forks under pids.limit 100"
  assert_eq all-forked "$OUT"
  rt delete --force "$ID"
  assert_no_leftovers "$ID"
}

# `events --interval 200ms` prints a stats line per interval and ends when the container goes.
case_events_stream() {
  start_sleeper evstream
  local out=$TEST_TMP/evstream.events
  rt events --interval 200ms "$ID" >"$out" 2>"$TEST_TMP/evstream.events.err" </dev/null &
  local ev=$!
  sleep 1.5
  local n
  n=$(grep -c . "$out" || true)
  ((n >= 2)) || fail "events --interval 200ms printed $n line(s) in 1.5 s: [$(<"$out")]"
  local line
  while IFS= read -r line; do
    assert_json "$line" ".type == \"stats\" and .id == \"$ID\" and .data.pids.current >= 1" "streamed event"
  done < <(head -n "$n" "$out")
  kill -0 "$ev" 2>/dev/null || fail "events ended while the container runs"
  rt delete --force "$ID"
  wait_until 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$ev" || {
    kill "$ev" 2>/dev/null
    fail "events still running 10 s after the container's delete"
  }
  local rc=0
  wait "$ev" || rc=$?
  assert_eq 0 "$rc" "exit status of events after the container's delete"
  assert_no_leftovers "$ID"
}

case_update_errors() {
  local id
  id=$(cid upmissing)
  capture rt update --pids-limit 10 "$id"
  assert_one_line_error "$id|not exist|does not exist|not found" "update of a missing container"
  assert_eq "" "$OUT" "stdout of a failed update"
  capture_in '{"pids":{"limit":10}}' rt update -r - "$id"
  assert_one_line_error "$id|not exist|does not exist|not found" "update -r - of a missing container"
  capture rt events --stats "$id"
  assert_one_line_error "$id|not exist|does not exist|not found" "events --stats of a missing container"
  # Malformed JSON on a running container: fails and changes nothing.
  start_sleeper upbad
  local before
  before=$(pids_limit "$ID")
  capture_in '{"pids": {"limit": ' rt update -r - "$ID"
  assert_one_line_error "json|parse|unexpected|invalid|syntax|EOF" "update with malformed JSON"
  assert_eq "$before" "$(pids_limit "$ID")" "pids limit after a failed update"
  assert_eq running "$(status_of "$ID")" "status after a failed update"
  rt delete --force "$ID"
  assert_no_leftovers "$id" "$ID"
}

run_case update_resources_json case_update_resources_json
run_case update_flags case_update_flags
run_case update_runc_flags case_update_runc_flags
run_case events_stats_after_update case_events_stats_after_update
run_case pids_limit_bounds_forks case_pids_limit_bounds_forks
run_case events_stream case_events_stream
run_case update_errors case_update_errors
capture rt list -q
[[ -z $OUT ]] || { log "containers left in --root: $OUT"; exit 1; }
finish
