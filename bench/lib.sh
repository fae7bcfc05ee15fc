# shellcheck shell=bash
# Shell code shared by the benchmark scripts. Sourced, not run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   bench_init NAME [TOOL...]
#
# It holds the table of runtimes the scripts know, the clean-up of the containers they
# leave, the facts about the machine, the statistics and number formats (as jq definitions)
# and the markdown rendering of each benchmark's JSON results. See bench/README.md.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
BENCH_PROG=bench

die() { echo "$BENCH_PROG: $*" >&2; exit 1; }

# bench_init NAME [TOOL...]: NAME prefixes the messages. Needs root, jq and each TOOL.
bench_init() {
  BENCH_PROG=$1
  shift
  [[ $(id -u) == 0 ]] || die "needs root"
  local tool
  for tool in jq "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install $tool)"
  done
}

# bench_runtimes: the runtimes by name, as BIN[name] (the binary) and FLAGS[name] (its global
# flags, which go before `--root`). Environment: STOCKADE, STOCKADE_FLAGS, RUNC, CRUN, RUNSC.
bench_runtimes() {
  if [[ -z ${STOCKADE:-} ]]; then
    STOCKADE=$(command -v stockade || echo "$REPO_DIR/build/src/cli/stockade")
  fi
  STOCKADE_FLAGS=${STOCKADE_FLAGS---platform=native}
  RUNC=${RUNC:-/usr/sbin/runc}
  CRUN=${CRUN:-/usr/bin/crun}
  RUNSC=${RUNSC:-/usr/bin/runsc}
  declare -gA BIN FLAGS
  BIN[stockade]=$STOCKADE
  FLAGS[stockade]=$STOCKADE_FLAGS
  BIN[stockade-native]=$STOCKADE
  FLAGS[stockade-native]=--platform=native
  BIN[stockade-ptrace]=$STOCKADE
  FLAGS[stockade-ptrace]=--platform=ptrace
  BIN[stockade-systrap]=$STOCKADE
  FLAGS[stockade-systrap]=--platform=systrap
  BIN[stockade-systrap-nopatch]=$STOCKADE
  FLAGS[stockade-systrap-nopatch]="--platform=systrap --systrap-no-patch"
  BIN[runc]=$RUNC
  FLAGS[runc]=
  BIN[crun]=$CRUN
  FLAGS[crun]=
  # gVisor's default platform is systrap in newer releases; Debian's 20221219 is ptrace. No
  # network set-up exists here, so the sandbox gets none (Stockade's ptrace platform has none
  # yet either).
  BIN[runsc]=$RUNSC
  FLAGS[runsc]="--platform=ptrace --network=none"
}

# bench_known NAME: whether NAME is in the table.
bench_known() { [[ -n ${BIN[$1]+x} ]]; }

# bench_cmd NAME ROOT: sets RT_CMD to the runtime's command line up to `--root ROOT`.
bench_cmd() {
  local -a flags
  read -r -a flags <<<"${FLAGS[$1]}"
  RT_CMD=("${BIN[$1]}" "${flags[@]}" --root "$2")
}

# bench_version NAME: the first line of the runtime's --version. (Not `| head -n1`: under
# pipefail a runtime that writes its later lines after head has gone dies of SIGPIPE.)
bench_version() {
  local v
  v=$("${BIN[$1]}" --version 2>/dev/null) || true
  echo "${v%%$'\n'*}"
}

# bench_cleanup_script TMP NAME...: writes TMP/cleanup.sh, which force-deletes every
# container left in each runtime's root, TMP/root-NAME (only a failed or killed run leaves
# one: `run` deletes the container when it exits).
bench_cleanup_script() {
  local tmp=$1 name
  shift
  {
    echo '#!/bin/bash'
    for name in "$@"; do
      bench_known "$name" || continue
      bench_cmd "$name" "$tmp/root-$name"
      printf 'r=(%s)\n' "$(printf '%q ' "${RT_CMD[@]}")"
      # shellcheck disable=SC2016
      echo 'for id in $("${r[@]}" list -q 2>/dev/null); do "${r[@]}" delete --force "$id" >/dev/null 2>&1; done'
    done
  } >"$tmp/cleanup.sh"
}

# bench_cleanup TMP: runs TMP/cleanup.sh and removes TMP.
bench_cleanup() {
  [[ -f $1/cleanup.sh ]] && bash "$1/cleanup.sh"
  rm -rf "$1"
}

# bench_machine_json: kernel, CPU model and count, cgroup mode, as JSON.
bench_machine_json() {
  local cgroups
  cgroups=$(stat -fc %T /sys/fs/cgroup)
  [[ $cgroups == cgroup2fs ]] && cgroups="cgroup v2" || cgroups="cgroup v1/hybrid"
  jq -n --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" --arg cgroups "$cgroups" \
    --arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
    '{kernel: $kernel, cpu: $cpu, cpus: $cpus, cgroups: $cgroups}'
}

bench_date() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# jq definitions: statistics of an array of numbers, and number formats. jq 1.6 prints
# floats with all their digits, so fixed(d) rounds with integer arithmetic.
# shellcheck disable=SC2016
BENCH_JQ_DEFS='
def median: sort | length as $n
  | if $n == 0 then null elif $n % 2 == 1 then .[($n - 1) / 2] else (.[$n / 2 - 1] + .[$n / 2]) / 2 end;
def mean: if length == 0 then null else add / length end;
def stddev: if length < 2 then 0
  else mean as $m | map((. - $m) * (. - $m)) | add / (length - 1) | sqrt end;
def fixed(d): (pow(10; d) | round) as $m | (. * $m | round) as $x
  | (if $x < 0 then -$x else $x end) as $a
  | ($a / $m | floor | tostring)
    + (if d > 0 then "." + ($a % $m | tostring | ("0" * (d - length)) + .) else "" end)
  | if $x < 0 then "-" + . else . end;
def num(d): if . == null then "–" else fixed(d) end;
def ratio: if . == null then "n/a"
  elif . >= 0.095 or . <= 0 then "\(fixed(2))×"
  else . as $r | "\($r | fixed((-($r | log10) | floor) + 2))×" end;
def cell: tostring | gsub("\\|"; "/");
'

# bench_md_start_to_exit JSON [HEADING]: the markdown report of start_to_exit.sh's JSON;
# HEADING is the title line (default "# NAME").
bench_md_start_to_exit() {
  jq -r --arg heading "${2:-}" "$BENCH_JQ_DEFS"'
    (if $heading == "" then "# \(.name)" else $heading end),
    "",
    "Wall time from `RUNTIME run --bundle BUNDLE ID` to its exit, running `/bin/true` in a busybox",
    "bundle (scripts/make-bundle). \(.warmup) warm-up and \(.runs) timed runs per runtime, one",
    "hyperfine session, a fresh container ID per run. Lower is better.",
    "",
    "| runtime | median (ms) | mean ± σ (ms) | min (ms) | max (ms) | median vs \(.baseline) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    (.results[] | "| \(.runtime) | \(.median_ms | num(2)) | \(.mean_ms | num(2)) ± \(.stddev_ms | num(2)) | \(.min_ms | num(2)) | \(.max_ms | num(2)) | \(.ratio_to_baseline | ratio) |"),
    (.unavailable[] | "| \(.runtime) | – | – | – | – | unavailable: \(.reason | cell) |"),
    "",
    "- date: \(.date)",
    "- machine: \(.machine.kernel), \(.machine.cpu), \(.machine.cpus) CPUs, \(.machine.cgroups)",
    (.note // empty | "- note: \(.)"),
    (.results[] | "- \(.runtime): \(.version // "?") — `\(.command)`")
  ' "$1"
}

# bench_md_syscall_loop JSON [HEADING]: the markdown report of syscall_loop.sh's JSON.
bench_md_syscall_loop() {
  jq -r --arg heading "${2:-}" "$BENCH_JQ_DEFS"'
    def table($unit; $d):
      "| runtime | median (\($unit)) | mean ± σ | min | max | median vs \(.baseline) | median vs host |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      (.results[] | "| \(.runtime) | \(.median_ns | num($d)) | \(.mean_ns | num($d)) ± \(.stddev_ns | num($d)) | \(.min_ns | num($d)) | \(.max_ns | num($d)) | \(.ratio_to_baseline | ratio) | \(.ratio_to_host | ratio) |"),
      (.unavailable[] | "| \(.runtime) | – | – | – | – | unavailable: \(.reason | cell) | |");
    . as $all
    | (if $heading == "" then "# syscall_loop" else $heading end),
    "",
    "Nanoseconds per `getppid(2)` through libc (bench/getppid_loop.c: \(.calls_per_run) calls per run;",
    "the wrapper is a `mov $nr,%eax; syscall` site, which systrap patches), and per one-byte round",
    "trip over two pipes between two processes (bench/pipe_pingpong.c: \(.round_trips_per_run) per run),",
    "timed by the programs with CLOCK_MONOTONIC, as the container'"'"'s process and on the host.",
    "\(.warmup) warm-up and \(.runs) timed runs per runtime, the runtimes taking turns. Lower is better.",
    "",
    "### getppid",
    "",
    (.getppid | . + {baseline: $all.baseline} | table("ns/call"; 1)),
    "",
    "### pipe ping-pong",
    "",
    (.pingpong | . + {baseline: $all.baseline} | table("ns/round trip"; 0)),
    "",
    "- date: \(.date)",
    "- machine: \(.machine.kernel), \(.machine.cpu), \(.machine.cpus) CPUs, \(.machine.cgroups)",
    (.getppid.results[] | "- \(.runtime): \(.version // "?") — `\(.command)`"),
    (.pingpong.results[] | "- \(.runtime): `\(.command)`")
  ' "$1"
}
