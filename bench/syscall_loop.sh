#!/usr/bin/env bash
# The cost of one trivial system call (getppid) inside each runtime's container, and on the
# host for reference. bench/getppid_loop.c times BENCH_LOOP_CALLS raw getppid calls itself
# and prints ns per call; it runs as the container's process (/getppid_loop in a busybox
# bundle) or directly on the host. The runtimes take turns, run after run, so a change in
# the machine's load touches all of them alike. Reports each runtime's median ns/call with
# its ratio to a baseline runtime and to the host, and writes
# bench/results/syscall_loop.{md,json}. See bench/README.md.
#
# Environment:
#   STOCKADE, STOCKADE_FLAGS, RUNC, CRUN, RUNSC  as in start_to_exit.sh (runtimes: lib.sh)
#   GETPPID_LOOP         the static getppid_loop binary (default: compiled here, cc -static -O2)
#   BENCH_LOOP_RUNTIMES  which to measure, in order (default: "host stockade-native
#                        stockade-ptrace stockade-systrap runsc"); `host` runs the program
#                        without a container
#   BENCH_LOOP_BASELINE  the ratio's reference (default runsc)
#   BENCH_LOOP_RUNS      timed runs per runtime (default 7); BENCH_LOOP_WARMUP (default 1)
#   BENCH_LOOP_CALLS     getppid calls per run (default 200000)
#   BENCH_RESULTS        output dir (default bench/results)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init syscall_loop

RUNS=${BENCH_LOOP_RUNS:-7}
WARMUP=${BENCH_LOOP_WARMUP:-1}
CALLS=${BENCH_LOOP_CALLS:-200000}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
BASELINE=${BENCH_LOOP_BASELINE:-runsc}
read -r -a WANT <<<"${BENCH_LOOP_RUNTIMES:-host stockade-native stockade-ptrace stockade-systrap runsc}"
[[ $CALLS =~ ^[1-9][0-9]*$ && $RUNS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] ||
  die "BENCH_LOOP_CALLS and BENCH_LOOP_RUNS must be positive numbers, BENCH_LOOP_WARMUP a number"
bench_runtimes
for name in "${WANT[@]}"; do
  [[ $name == host ]] || bench_known "$name" || die "unknown runtime '$name' in BENCH_LOOP_RUNTIMES"
done

TMP=$(mktemp -d /tmp/stockade-loop.XXXXXX)
trap 'set +e; bench_cleanup "$TMP"' EXIT
bench_cleanup_script "$TMP" "${WANT[@]}"

LOOP=${GETPPID_LOOP:-}
if [[ -z $LOOP ]]; then
  command -v cc >/dev/null || die "cc not found; set GETPPID_LOOP to a static getppid_loop"
  LOOP=$TMP/getppid_loop
  cc -static -O2 -o "$LOOP" "$BENCH_DIR/getppid_loop.c" || die "cannot compile getppid_loop.c"
fi
[[ -x $LOOP ]] || die "$LOOP is not an executable"
BUNDLE=$TMP/bundle
STOCKADE="$STOCKADE" "$REPO_DIR/scripts/make-bundle" "$BUNDLE" /getppid_loop "$CALLS" >/dev/null
cp "$LOOP" "$BUNDLE/rootfs/getppid_loop"

# run_loop NAME ID: one run; prints getppid_loop's output (ns per call), errors to TMP/err.
run_loop() {
  if [[ $1 == host ]]; then
    "$LOOP" "$CALLS" </dev/null 2>"$TMP/err"
  else
    bench_cmd "$1" "$TMP/root-$1"
    timeout 600 "${RT_CMD[@]}" run --bundle "$BUNDLE" "$2" </dev/null 2>"$TMP/err"
  fi
}

declare -A SAMPLES REASON
for name in "${WANT[@]}"; do
  if [[ $name != host && ! -x ${BIN[$name]} ]]; then
    REASON[$name]="${BIN[$name]} not found"
  fi
done
echo "syscall_loop: ${WANT[*]}: $WARMUP warm-up + $RUNS timed runs each, $CALLS calls per run" >&2
for ((i = 0; i < WARMUP + RUNS; i++)); do
  line=
  for name in "${WANT[@]}"; do
    [[ -z ${REASON[$name]:-} ]] || continue
    if ! out=$(run_loop "$name" "loop$i"); then
      REASON[$name]="run $((i + 1)) failed: $(head -n1 "$TMP/err")"
      continue
    fi
    out=${out//$'\r'/}
    if [[ ! $out =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
      REASON[$name]="run $((i + 1)): unexpected output '$(head -c 80 <<<"$out")'"
      continue
    fi
    ((i < WARMUP)) || SAMPLES[$name]+="$out "
    line+=" $name=$out"
  done
  if ((i < WARMUP)); then echo "  warm-up:$line" >&2; else echo "  run $((i - WARMUP + 1))/$RUNS:$line" >&2; fi
done

# --- report -----------------------------------------------------------------------------------
mkdir -p "$RESULTS"
results=$(for name in "${WANT[@]}"; do
  [[ -z ${REASON[$name]:-} ]] || continue
  if [[ $name == host ]]; then
    version="Linux $(uname -r)"
    command="getppid_loop $CALLS"
  else
    version=$(bench_version "$name")
    bench_cmd "$name" "$TMP/root-$name"
    command="$(printf '%q ' "${RT_CMD[@]}")run --bundle $BUNDLE loopN"
  fi
  # shellcheck disable=SC2086
  printf '%s\n' ${SAMPLES[$name]} | jq -s --arg n "$name" --arg v "$version" \
    --arg c "${command//$TMP/\$TMP}" "$BENCH_JQ_DEFS"'
    {runtime: $n, version: $v, command: $c, samples_ns: ., median_ns: median, mean_ns: mean,
     stddev_ns: stddev, min_ns: min, max_ns: max}'
done | jq -s .)
unavail=$(for name in "${WANT[@]}"; do
  [[ -n ${REASON[$name]:-} ]] || continue
  jq -n --arg n "$name" --arg r "${REASON[$name]}" '{runtime: $n, reason: $r}'
done | jq -s .)
jq -n --argjson r "$results" --argjson u "$unavail" --arg baseline "$BASELINE" \
  --arg date "$(bench_date)" --argjson machine "$(bench_machine_json)" \
  --argjson runs "$RUNS" --argjson warmup "$WARMUP" --argjson calls "$CALLS" '
  ($r | map(select(.runtime == $baseline)) | .[0].median_ns) as $base
  | ($r | map(select(.runtime == "host")) | .[0].median_ns) as $host
  | {benchmark: "syscall_loop",
     description: "ns per raw getppid(2), timed by bench/getppid_loop.c; median of the runs",
     date: $date, machine: $machine, runs: $runs, warmup: $warmup, calls_per_run: $calls,
     baseline: $baseline,
     results: [$r[] | . + {ratio_to_baseline: (if $base then .median_ns / $base else null end),
                           ratio_to_host: (if $host then .median_ns / $host else null end)}],
     unavailable: $u}' >"$RESULTS/syscall_loop.json"

bench_md_syscall_loop "$RESULTS/syscall_loop.json" >"$RESULTS/syscall_loop.md"
echo
sed -n '/^| /p' "$RESULTS/syscall_loop.md"
echo
echo "results: $RESULTS/syscall_loop.md, $RESULTS/syscall_loop.json"
