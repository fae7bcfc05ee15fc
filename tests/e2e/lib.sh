# shellcheck shell=bash
# Shared helpers for the end-to-end tests. Source it first thing in a test script:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# The runtime under test is $STOCKADE (a path or a name on PATH; any runc-compatible binary
# works: STOCKADE=/usr/sbin/runc bash tests/e2e/cli_lifecycle.sh). Global flags for it come
# from $STOCKADE_FLAGS (word-split, e.g. "--platform=native"). $BUNDLE_SCRIPT is
# scripts/make-bundle. Each test gets its own temp dir ($TEST_TMP), its own runtime state
# root ($ROOT, passed as --root) and a unique tag ($TAG) that is part of every container ID
# and cgroup path it makes, so the exit trap can find and remove everything the test made:
# containers, processes, mounts, cgroups and dirs.
#
# Exit status: 0 pass, 1 fail, 77 skip (ctest's SKIP_RETURN_CODE).
# E2E_CASES=REGEX runs only the cases whose name matches; E2E_KEEP=1 keeps $TEST_TMP.

set -euo pipefail
shopt -s extglob

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
TEST_NAME=$(basename "${0%.sh}")

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }

# fail MESSAGE: ends the current case (or script) with a clear message and the caller's line.
fail() {
  # Report the first caller outside this file: the test line, not the assertion helper.
  local i where=""
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [[ ${BASH_SOURCE[i]} != "${BASH_SOURCE[0]}" ]]; then
      where="${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
      break
    fi
  done
  printf '[%s] FAIL (%s): %s\n' "$TEST_NAME" "$where" "$*" >&2
  exit 1
}

skip() {
  printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*" >&2
  exit 77
}

# --- assertions ------------------------------------------------------------------------------

assert_eq() { # EXPECTED ACTUAL [WHAT]
  [[ $1 == "$2" ]] || fail "${3:-value}: expected [$1], got [$2]"
}
assert_ne() { # UNEXPECTED ACTUAL [WHAT]
  [[ $1 != "$2" ]] || fail "${3:-value}: did not expect [$2]"
}
assert_contains() { # HAYSTACK NEEDLE [WHAT]
  [[ $1 == *"$2"* ]] || fail "${3:-output} should contain [$2]; got: [$1]"
}
assert_not_contains() { # HAYSTACK NEEDLE [WHAT]
  [[ $1 != *"$2"* ]] || fail "${3:-output} should not contain [$2]; got: [$1]"
}
assert_match() { # STRING ERE [WHAT]
  [[ $1 =~ $2 ]] || fail "${3:-value} should match /$2/; got: [$1]"
}
assert_rc() { # EXPECTED_RC [WHAT]  (checks $RC from the last capture)
  [[ $RC == "$1" ]] || fail "${2:-exit code}: expected $1, got $RC; stdout: [${OUT:-}] stderr: [${ERR:-}]"
}
assert_fails() { # [WHAT]  (checks the last capture exited non-zero)
  [[ $RC != 0 ]] || fail "${1:-command} should fail but exited 0; stdout: [${OUT:-}] stderr: [${ERR:-}]"
}
# assert_one_line_error [--exact-case] [--no-stdout] REGEX WHAT: the last capture failed (not by
# timeout) with exactly one stderr line matching REGEX, case-insensitively unless --exact-case;
# with --no-stdout, it also printed nothing on stdout.
assert_one_line_error() {
  local exact=0 no_stdout=0
  while [[ ${1:-} == --* ]]; do
    case $1 in
      --exact-case) exact=1 ;;
      --no-stdout) no_stdout=1 ;;
      *) fail "assert_one_line_error: unknown option $1" ;;
    esac
    shift
  done
  local re=$1 what=$2
  [[ $RC != 0 ]] || fail "$what: exited 0; stdout: [$OUT] stderr: [$ERR]"
  ((RC != 124)) || fail "$what: timed out"
  [[ -n $ERR ]] || fail "$what: exited $RC with an empty stderr"
  local lines
  lines=$(printf '%s\n' "$ERR" | wc -l)
  ((lines == 1)) || fail "$what: stderr has $lines lines, wanted one: [$ERR]"
  ((exact)) || shopt -s nocasematch
  [[ $ERR =~ $re ]] || { shopt -u nocasematch; fail "$what: stderr does not mention /$re/: [$ERR]"; }
  shopt -u nocasematch
  ((!no_stdout)) || [[ -z $OUT ]] || fail "$what: unexpected stdout [$OUT]"
}

assert_json() { # JSON JQ_FILTER [WHAT]  (filter must yield true)
  jq -e "$2" >/dev/null 2>&1 <<<"$1" || fail "${3:-JSON} does not satisfy [$2]: $1"
}
# Retries CMD... every 0.1 s until it succeeds or SECONDS pass.
wait_until() { # SECONDS CMD...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# --- environment -----------------------------------------------------------------------------

[[ $(id -u) == 0 ]] || skip "needs root"

if [[ -z ${STOCKADE:-} ]]; then
  if command -v stockade >/dev/null; then
    STOCKADE=stockade
  elif [[ -x $REPO_DIR/build/src/cli/stockade ]]; then
    STOCKADE=$REPO_DIR/build/src/cli/stockade
  else
    fail "set STOCKADE to the runtime binary (e.g. STOCKADE=/usr/sbin/runc)"
  fi
fi
STOCKADE=$(command -v "$STOCKADE") || fail "STOCKADE=$STOCKADE is not an executable"
STOCKADE=$(readlink -f "$STOCKADE")
read -r -a STOCKADE_FLAGS_ARR <<<"${STOCKADE_FLAGS:-}"
BUNDLE_SCRIPT=${BUNDLE_SCRIPT:-$REPO_DIR/scripts/make-bundle}
[[ -x $BUNDLE_SCRIPT ]] || fail "BUNDLE_SCRIPT=$BUNDLE_SCRIPT is not executable"
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3 || true)}
RT_TIMEOUT=${RT_TIMEOUT:-30}
# Cases stop being started after this many seconds, so a hanging runtime still lets the
# script clean up before ctest's TIMEOUT (300 s) kills it.
E2E_BUDGET=${E2E_BUDGET:-240}

# Short, so state paths and socket names stay well below sun_path's 108 bytes.
TAG="e2e$(printf '%x%04x' $$ $((RANDOM)))"
TEST_TMP=$(mktemp -d "/tmp/stockade-e2e.${TEST_NAME}.XXXXXX")
ROOT=$TEST_TMP/root
mkdir -p "$ROOT" "$TEST_TMP/bundles"
BASE_BUNDLE=$TEST_TMP/base

# The runtime flags for a Sentry platform name of the test matrix: a platform, or
# "systrap-nopatch" (systrap with --systrap-no-patch). Word-split by the callers.
platform_flags() {
  case $1 in
    systrap-nopatch) echo "--platform=systrap --systrap-no-patch" ;;
    *) echo "--platform=$1" ;;
  esac
}

# The Sentry platform of the scripts that test the Sentry itself (SENTRY_PLATFORM, a name of
# platform_flags' matrix; systrap by default).
SENTRY_PLATFORM=${SENTRY_PLATFORM:-systrap}

# srt ARGS...: the runtime on $SENTRY_PLATFORM (rt's flags may name native).
# shellcheck disable=SC2046 # platform_flags is meant to split
srt() { timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" $(platform_flags "$SENTRY_PLATFORM") --root "$ROOT" "$@"; }

is_stockade() {
  [[ ${_IS_STOCKADE:-} ]] || {
    # Captured, not piped into grep -q (an early exit would SIGPIPE it under pipefail).
    local v
    v=$("$STOCKADE" --version 2>/dev/null || true)
    if grep -qi stockade <<<"$v"; then _IS_STOCKADE=yes; else _IS_STOCKADE=no; fi
  }
  [[ $_IS_STOCKADE == yes ]]
}

# Whether the container runs on the Sentry (a --platform other than native): its processes
# then have the sandbox's own PIDs (init is 1) and no host process of their own, as in runsc.
is_sentry() {
  is_stockade && [[ " ${STOCKADE_FLAGS:-} " =~ \ --platform=(ptrace|systrap|kvm)\  ]]
}

runtime_name() { basename "$STOCKADE"; }

# rt ARGS...: the runtime under test with its global flags and this test's --root, bounded by
# $RT_TIMEOUT so that a hang becomes a failure (exit 124) instead of a stuck test.
rt() {
  timeout -k 5 "$RT_TIMEOUT" "$STOCKADE" "${STOCKADE_FLAGS_ARR[@]}" --root "$ROOT" "$@"
}

# capture CMD...: runs CMD with stdin from /dev/null; sets OUT, ERR (trailing newlines
# stripped) and RC without tripping errexit. Output goes through files, so a detached
# container that inherits stdout cannot block the caller.
capture() { capture_as .capture "$@"; }

# capture_as NAME CMD...: like capture, keeping the output in $TEST_TMP/NAME.out and NAME.err
# (use it for create/run -d, whose container keeps writing to the inherited stdout).
capture_as() {
  local o="$TEST_TMP/$1.out" e="$TEST_TMP/$1.err"
  shift
  set +e
  "$@" >"$o" 2>"$e" </dev/null
  RC=$?
  set -e
  OUT=$(<"$o")
  ERR=$(<"$e")
}

# cid NAME: a container ID unique to this test run.
cid() { echo "$TAG-$1"; }

# ensure_base_bundle: builds $BASE_BUNDLE (busybox rootfs + spec) once per test run.
ensure_base_bundle() {
  [[ -f $BASE_BUNDLE/config.json ]] && return 0
  STOCKADE=$STOCKADE "$BUNDLE_SCRIPT" "$BASE_BUNDLE" >/dev/null
}

# mkbundle ID [ARGS...]: prints the path of a fresh bundle for container ID running ARGS
# (default: sleep 1000). It shares the base read-only rootfs by absolute path, and its
# cgroupsPath is "/ID" so every cgroup it makes carries $TAG and can be checked and removed.
mkbundle() {
  local id=$1
  shift
  (($#)) || set -- sleep 1000
  ensure_base_bundle
  local dir=$TEST_TMP/bundles/$id
  mkdir -p "$dir"
  local args_json
  args_json=$(jq -cn '$ARGS.positional' --args -- "$@")
  jq --argjson args "$args_json" --arg rootfs "$BASE_BUNDLE/rootfs" --arg cg "/$id" \
    --arg host "${id:0:63}" \
    '.process.args = $args | .process.terminal = false | .root.path = $rootfs
     | .root.readonly = true | .linux.cgroupsPath = $cg | .hostname = $host' \
    "$BASE_BUNDLE/config.json" >"$dir/config.json"
  echo "$dir"
}

# bundle_edit DIR JQ_FILTER [JQ_ARGS...]: edits DIR/config.json in place.
bundle_edit() {
  local dir=$1 filter=$2
  shift 2
  jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new"
  mv "$dir/config.json.new" "$dir/config.json"
}

state_field() { # ID FIELD  -> prints .FIELD of `state ID`
  rt state "$1" | jq -r ".$2"
}
status_of() { rt state "$1" 2>/dev/null | jq -r .status 2>/dev/null || echo "<none>"; }
status_is() { [[ $(status_of "$1") == "$2" ]]; }

# --- leftovers -------------------------------------------------------------------------------

# find_procs PATTERN...: pids of processes (other than this test's own) whose cgroup, command
# line, cwd, root or open files mention any PATTERN. Container processes are found through
# their cgroup (cgroupsPath carries the ID); runtime helpers through argv or FDs under the
# state dir or bundle (both paths carry the ID).
find_procs() {
  "$PYTHON" - "$@" <<'PY'
import os, sys
pats = [p for p in sys.argv[1:] if p]
me = os.getpid()
skip = set()
p = me
while p > 1:  # our own ancestors (the test shell, ctest, ...) mention the patterns too
    skip.add(p)
    try:
        with open("/proc/%d/stat" % p) as f:
            p = int(f.read().rsplit(")", 1)[1].split()[1])
    except Exception:
        break
def mentions(s):
    return any(x in s for x in pats)
for d in os.listdir("/proc"):
    if not d.isdigit() or int(d) in skip:
        continue
    base = "/proc/" + d
    try:
        with open(base + "/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                # A zombie holds nothing; its parent will reap it.
                continue
        with open(base + "/cgroup") as f:
            hit = mentions(f.read())
        if not hit:
            with open(base + "/cmdline", "rb") as f:
                hit = mentions(f.read().replace(b"\0", b" ").decode(errors="replace"))
        if not hit:
            links = [base + "/cwd", base + "/root"]
            try:
                links += [base + "/fd/" + fd for fd in os.listdir(base + "/fd")]
            except OSError:
                pass
            for l in links:
                try:
                    if mentions(os.readlink(l)):
                        hit = True
                        break
                except OSError:
                    pass
        if hit:
            print(d)
    except (OSError, IndexError):
        pass
PY
}

find_mounts() { # PATTERN... -> mountinfo lines mentioning any PATTERN
  local p
  for p in "$@"; do grep -F -- "$p" /proc/self/mountinfo || true; done
}

find_cgroups() { # PATTERN... -> cgroup dirs whose name mentions any PATTERN
  local p
  for p in "$@"; do
    find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "*$p*" 2>/dev/null || true
  done | sort -u
}

# assert_no_leftovers ID...: nothing of these containers may remain: no state under --root,
# no process, no mount, no cgroup. Returns after at most 5 s of polling (teardown by some
# runtimes finishes asynchronously after delete returns).
assert_no_leftovers() {
  local what="" deadline=$((SECONDS + 5)) id
  while :; do
    what=""
    for id in "$@"; do
      local st
      st=$(find "$ROOT" -mindepth 1 -maxdepth 2 -name "*$id*" 2>/dev/null || true)
      [[ -z $st ]] || what+=$'\n'"  state: $st"
    done
    local listed
    listed=$(RT_TIMEOUT=10 rt list -q 2>/dev/null | grep -Fx -f <(printf '%s\n' "$@") || true)
    [[ -z $listed ]] || what+=$'\n'"  listed by \`list -q\`: ${listed//$'\n'/ }"
    local procs
    procs=$(find_procs "$@" | tr '\n' ' ')
    if [[ -n ${procs// /} ]]; then
      local p
      for p in $procs; do
        what+=$'\n'"  process $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"
      done
    fi
    local m c
    m=$(find_mounts "$@")
    [[ -z $m ]] || what+=$'\n'"  mount: $m"
    c=$(find_cgroups "$@")
    [[ -z $c ]] || what+=$'\n'"  cgroup: ${c//$'\n'/ }"
    [[ -n $what ]] || return 0
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  fail "leftovers of [$*]:$what"
}

# --- cleanup ---------------------------------------------------------------------------------

CLEANUP_HOOKS=()
# on_cleanup CMD: runs CMD (a string, eval'd) at exit, last registered first.
on_cleanup() { CLEANUP_HOOKS+=("$1"); }

_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  local i
  for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
    eval "${CLEANUP_HOOKS[i]}" >/dev/null 2>&1
  done
  # Containers the runtime knows about, then anything it left in --root.
  local id ids
  ids=$( { RT_TIMEOUT=10 rt list -q 2>/dev/null; ls "$ROOT" 2>/dev/null; } | sort -u)
  for id in $ids; do
    [[ $id == .* ]] && continue
    RT_TIMEOUT=20 rt kill "$id" KILL >/dev/null 2>&1
    RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1
  done
  # Stray processes: anything in our cgroups or holding our paths.
  local pids
  pids=$(find_procs "$TAG" "$TEST_TMP" 2>/dev/null)
  # shellcheck disable=SC2086 # a list of pids
  [[ -z $pids ]] || kill -9 $pids 2>/dev/null
  [[ -z $pids ]] || sleep 0.2
  # Mounts, deepest first.
  local mp
  while read -r mp; do
    [[ -n $mp ]] && umount -l "$mp" 2>/dev/null
  done < <(awk -v a="$TEST_TMP" -v b="$TAG" 'index($5, a) || index($5, b) {print $5}' /proc/self/mountinfo | sort -r)
  # Cgroups, children before parents. rmdir only: a populated cgroup cannot be removed and
  # must not be forced.
  local cg
  while read -r cg; do
    [[ -n $cg ]] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
  done < <(find_cgroups "$TAG")
  if [[ -n ${E2E_KEEP:-} ]]; then
    log "kept $TEST_TMP"
  else
    rm -rf "$TEST_TMP"
  fi
  exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- cases -----------------------------------------------------------------------------------

CASES_RUN=0
CASES_FAILED=()

# run_case NAME FUNC [ARGS...]: runs FUNC in a subshell with errexit, so one failing case
# does not stop the others; any failing command is reported with its line.
run_case() {
  local name=$1
  shift
  if [[ -n ${E2E_CASES:-} && ! $name =~ $E2E_CASES ]]; then
    return 0
  fi
  CASES_RUN=$((CASES_RUN + 1))
  if ((SECONDS > E2E_BUDGET)); then
    log "FAIL $name: not run, the script's time budget (${E2E_BUDGET}s) is used up"
    CASES_FAILED+=("$name")
    return 0
  fi
  local t0=$SECONDS rc
  log "--- $name"
  set +e
  (
    set -eE
    # ERR fires under `set +e` too; report only failures that end the case.
    trap 'rc=$?; [[ $- != *e* ]] || printf "[%s] FAIL (%s:%s): command exited %s: %s\n" "$TEST_NAME" "${BASH_SOURCE[0]##*/}" "$LINENO" "$rc" "$BASH_COMMAND" >&2' ERR
    "$@"
  )
  rc=$?
  set -e
  # Each case must leave --root empty. After a failure, clear it so later cases start clean.
  local left
  left=$(RT_TIMEOUT=10 rt list -q 2>/dev/null || true)
  if [[ -n $left ]]; then
    if ((rc == 0)); then
      log "FAIL $name left containers behind: ${left//$'\n'/ }"
      rc=1
    fi
    local id
    for id in $left; do
      RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  if ((rc == 0)); then
    log "ok   $name ($((SECONDS - t0))s)"
  elif ((rc == 77)); then
    log "skip $name"
  else
    CASES_FAILED+=("$name")
    log "FAIL $name"
  fi
}

finish() {
  if ((${#CASES_FAILED[@]})); then
    log "FAILED ${#CASES_FAILED[@]} of $CASES_RUN case(s) with $(runtime_name): ${CASES_FAILED[*]}"
    exit 1
  fi
  log "PASS: $CASES_RUN case(s) with $(runtime_name) ${STOCKADE_FLAGS:-}"
  exit 0
}

# in_terminal CMD ARGS...: runs CMD (timed out after 120 s) with a terminal on
# its stdin/stdout, which script(1) provides; prints what the terminal showed
# with carriage returns removed, and returns CMD's status.
# --foreground: timeout must not move CMD out of the terminal's foreground
# process group (it does unless it is the session leader, which depends on
# whether $SHELL execs or forks the command), or CMD stops on SIGTTOU.
in_terminal() {
  local cmd
  cmd=$(printf '%q ' timeout --foreground -k 5 120 "$@")
  script -qec "$cmd" /dev/null </dev/null | tr -d '\r'
  return "${PIPESTATUS[0]}"
}

# helpers_of ID ROLE: the pids of container ID's `stockade ROLE` processes, lowest first, one a
# line (boot: its sandbox, then the stubs it forked, which carry its command line; gofer: its
# gofer, on the Sentry platforms).
helpers_of() {
  local p
  for p in $(find_procs "$1"); do
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^[^ ]*stockade $2 "; then
      echo "$p"
    fi
  done | sort -n
}

# sandbox_pids ID: the sandbox (boot) process of container ID, then every descendant of it
# (the stub factory and the stubs that run the application), one "PID ROLE" a line.
sandbox_pids() {
  "$PYTHON" - "$1" "$(state_field "$1" pid)" <<'PY'
import os, sys
cid, state_pid = sys.argv[1], int(sys.argv[2] or 0)
procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open("/proc/%s/stat" % d) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        with open("/proc/%s/cmdline" % d, "rb") as f:
            argv = f.read().split(b"\0")
        with open("/proc/%s/cgroup" % d) as f:
            cg = f.read()
    except (OSError, IndexError, ValueError):
        continue
    procs[int(d)] = (ppid, argv, cid in cg)
def is_boot(p):
    argv = procs[p][1]
    return len(argv) > 1 and argv[0].endswith(b"stockade") and argv[1] == b"boot"
# The state's pid is the sandbox under the Sentry; else (another layout) the `stockade boot`
# in the container's cgroup whose parent is not one too.
boots = [p for p in procs if procs[p][2] and is_boot(p)]
if state_pid in procs and is_boot(state_pid):
    boot = state_pid
else:
    tops = [p for p in boots if procs[p][0] not in boots]
    if len(tops) != 1:
        sys.exit("no unique sandbox process: state pid %d, boot processes in the cgroup %s" % (state_pid, boots))
    boot = tops[0]
print(boot, "sandbox")
kids = {}
for p, (pp, _, _) in procs.items():
    kids.setdefault(pp, []).append(p)
todo, seen = list(kids.get(boot, [])), set()
while todo:
    p = todo.pop()
    if p in seen:
        continue
    seen.add(p)
    print(p, "child")
    todo += kids.get(p, [])
PY
}
