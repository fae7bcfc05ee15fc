#!/usr/bin/env bash
# Two loops inside each runtime's container, and on the host for reference:
#   getppid   the cost of one trivial system call: bench/getppid_loop.c times
#             BENCH_LOOP_CALLS getppid calls through libc's wrapper (a site systrap patches);
#   pingpong  the cost of a wake-up between two processes: bench/pipe_pingpong.c times
#             BENCH_LOOP_TRIPS one-byte round trips over two pipes between parent and child.
# Each prints ns per operation; it runs as the container's process (in a busybox bundle) or
# directly on the host. The runtimes take turns, run after run, so a change in the machine's
# load touches all of them alike. Reports each runtime's median with its ratio to a
# baseline runtime and to the host, and writes bench/results/syscall_loop.{md,json}. See
# bench/README.md.
#
# Environment:
#   STOCKADE, STOCKADE_FLAGS, RUNC, CRUN, RUNSC  as in start_to_exit.sh (runtimes: lib.sh)
#   GETPPID_LOOP, PIPE_PINGPONG  the static programs (default: compiled here, cc -static -O2)
#   BENCH_LOOP_RUNTIMES  which to measure, in order (default: "host stockade-native
#                        stockade-ptrace stockade-systrap stockade-systrap-nopatch runsc");
#                        `host` runs the programs without a container
#   BENCH_LOOP_BASELINE  the ratio's reference (default runsc)
#   BENCH_LOOP_RUNS      timed runs per runtime (default 7); BENCH_LOOP_WARMUP (default 1)
#   BENCH_LOOP_CALLS     getppid calls per run (default 200000)
#   BENCH_LOOP_TRIPS     pipe round trips per run (default 20000)
#   BENCH_RESULTS        output dir (default bench/results)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init syscall_loop

RUNS=${BENCH_LOOP_RUNS:-7}
WARMUP=${BENCH_LOOP_WARMUP:-1}
CALLS=${BENCH_LOOP_CALLS:-200000}
TRIPS=${BENCH_LOOP_TRIPS:-20000}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
BASELINE=${BENCH_LOOP_BASELINE:-runsc}
read -r -a WANT <<<"${BENCH_LOOP_RUNTIMES:-host stockade-native stockade-ptrace stockade-systrap stockade-systrap-nopatch runsc}"
[[ $CALLS =~ ^[1-9][0-9]*$ && $TRIPS =~ ^[1-9][0-9]*$ && $RUNS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] ||
  die "BENCH_LOOP_CALLS, BENCH_LOOP_TRIPS and BENCH_LOOP_RUNS must be positive numbers, BENCH_LOOP_WARMUP a number"
bench_runtimes
for name in "${WANT[@]}"; do
  [[ $name == host ]] || bench_known "$name" || die "unknown runtime '$name' in BENCH_LOOP_RUNTIMES"
done

TMP=$(mktemp -d /tmp/stockade-loop.XXXXXX)
trap 'set +e; bench_cleanup "$TMP"' EXIT
bench_cleanup_script "$TMP" "${WANT[@]}"

# The programs, each static and compiled here unless given: NAME -> binary, its arguments.
declare -A PROG PROG_ARGS PROG_SRC
PROG[getppid]=${GETPPID_LOOP:-}
PROG_ARGS[getppid]=$CALLS
PROG_SRC[getppid]=$BENCH_DIR/getppid_loop.c
PROG[pingpong]=${PIPE_PINGPONG:-}
PROG_ARGS[pingpong]=$TRIPS
PROG_SRC[pingpong]=$BENCH_DIR/pipe_pingpong.c
PROGRAMS=(getppid pingpong)
for prog in "${PROGRAMS[@]}"; do
  src=${PROG_SRC[$prog]}
  if [[ -z ${PROG[$prog]} ]]; then
    command -v cc >/dev/null || die "cc not found; set GETPPID_LOOP and PIPE_PINGPONG to static binaries"
    PROG[$prog]=$TMP/$prog
    cc -static -O2 -o "${PROG[$prog]}" "$src" || die "cannot compile $src"
  fi
  [[ -x ${PROG[$prog]} ]] || die "${PROG[$prog]} is not an executable"
  STOCKADE="$STOCKADE" "$REPO_DIR/scripts/make-bundle" "$TMP/bundle-$prog" "/$prog" "${PROG_ARGS[$prog]}" >/dev/null
  cp "${PROG[$prog]}" "$TMP/bundle-$prog/rootfs/$prog"
done

# run_loop PROG NAME ID: one run; prints the program's output (ns per operation), errors to
# TMP/err.
run_loop() {
  if [[ $2 == host ]]; then
    "${PROG[$1]}" "${PROG_ARGS[$1]}" </dev/null 2>"$TMP/err"
  else
    bench_cmd "$2" "$TMP/root-$2"
    timeout 600 "${RT_CMD[@]}" run --bundle "$TMP/bundle-$1" "$3" </dev/null 2>"$TMP/err"
  fi
}

# Samples and failures per "PROG/RUNTIME".
declare -A SAMPLES REASON
for name in "${WANT[@]}"; do
  if [[ $name != host && ! -x ${BIN[$name]} ]]; then
    for prog in "${PROGRAMS[@]}"; do REASON[$prog/$name]="${BIN[$name]} not found"; done
  fi
done
echo "syscall_loop: ${WANT[*]}: $WARMUP warm-up + $RUNS timed runs each of getppid ($CALLS calls) and pingpong ($TRIPS round trips)" >&2
for ((i = 0; i < WARMUP + RUNS; i++)); do
  line=
  for name in "${WANT[@]}"; do
    for prog in "${PROGRAMS[@]}"; do
      [[ -z ${REASON[$prog/$name]:-} ]] || continue
      if ! out=$(run_loop "$prog" "$name" "loop$i$prog"); then
        REASON[$prog/$name]="run $((i + 1)) failed: $(head -n1 "$TMP/err")"
        continue
      fi
      out=${out//$'\r'/}
      if [[ ! $out =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        REASON[$prog/$name]="run $((i + 1)): unexpected output '$(head -c 80 <<<"$out")'"
        continue
      fi
      ((i < WARMUP)) || SAMPLES[$prog/$name]+="$out "
      line+=" $prog/$name=$out"
    done
  done
  if ((i < WARMUP)); then echo "  warm-up:$line" >&2; else echo "  run $((i - WARMUP + 1))/$RUNS:$line" >&2; fi
done

# --- report -----------------------------------------------------------------------------------
mkdir -p "$RESULTS"
# program_json PROG: its results and unavailable runtimes, with ratios to the baseline and
# to the host.
program_json() {
  local prog=$1 results unavail
  results=$(for name in "${WANT[@]}"; do
    [[ -z ${REASON[$prog/$name]:-} ]] || continue
    if [[ $name == host ]]; then
      version="Linux $(uname -r)"
      command="$prog ${PROG_ARGS[$prog]}"
    else
      version=$(bench_version "$name")
      bench_cmd "$name" "$TMP/root-$name"
      command="$(printf '%q ' "${RT_CMD[@]}")run --bundle $TMP/bundle-$prog ID"
    fi
    # shellcheck disable=SC2086
    printf '%s\n' ${SAMPLES[$prog/$name]} | jq -s --arg n "$name" --arg v "$version" \
      --arg c "${command//$TMP/\$TMP}" "$BENCH_JQ_DEFS"'
      {runtime: $n, version: $v, command: $c, samples_ns: ., median_ns: median, mean_ns: mean,
       stddev_ns: stddev, min_ns: min, max_ns: max}'
  done | jq -s .)
  unavail=$(for name in "${WANT[@]}"; do
    [[ -n ${REASON[$prog/$name]:-} ]] || continue
    jq -n --arg n "$name" --arg r "${REASON[$prog/$name]}" '{runtime: $n, reason: $r}'
  done | jq -s .)
  jq -n --argjson r "$results" --argjson u "$unavail" --arg baseline "$BASELINE" '
    ($r | map(select(.runtime == $baseline)) | .[0].median_ns) as $base
    | ($r | map(select(.runtime == "host")) | .[0].median_ns) as $host
    | {results: [$r[] | . + {ratio_to_baseline: (if $base then .median_ns / $base else null end),
                             ratio_to_host: (if $host then .median_ns / $host else null end)}],
       unavailable: $u}'
}
jq -n --argjson g "$(program_json getppid)" --argjson p "$(program_json pingpong)" \
  --arg baseline "$BASELINE" --arg date "$(bench_date)" --argjson machine "$(bench_machine_json)" \
  --argjson runs "$RUNS" --argjson warmup "$WARMUP" --argjson calls "$CALLS" --argjson trips "$TRIPS" '
  {benchmark: "syscall_loop",
   description: "ns per getppid(2) through libc (bench/getppid_loop.c) and per pipe round trip between two processes (bench/pipe_pingpong.c), timed by the programs; median of the runs",
   date: $date, machine: $machine, runs: $runs, warmup: $warmup, baseline: $baseline,
   calls_per_run: $calls, round_trips_per_run: $trips,
   getppid: $g, pingpong: $p}' >"$RESULTS/syscall_loop.json"

bench_md_syscall_loop "$RESULTS/syscall_loop.json" >"$RESULTS/syscall_loop.md"
echo
sed -n '/^| /p' "$RESULTS/syscall_loop.md"
echo
echo "results: $RESULTS/syscall_loop.md, $RESULTS/syscall_loop.json"
