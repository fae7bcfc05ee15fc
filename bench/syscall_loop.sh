#!/usr/bin/env bash
# The cost of one trivial system call (getppid) inside each runtime's container, and on the
# host for reference. bench/getppid_loop.c times BENCH_LOOP_CALLS calls itself; each runtime
# runs it BENCH_LOOP_RUNS times and the median ns/call is reported, with its ratio to a
# baseline runtime. Writes bench/results/syscall_loop.{md,json}. See bench/README.md.
#
# Environment:
#   STOCKADE, RUNC, RUNSC  as in start_to_exit.sh
#   GETPPID_LOOP      the static getppid_loop binary (default: compiled here with cc -static)
#   BENCH_LOOP_RUNTIMES  which to measure (default: "host stockade stockade-ptrace runsc")
#   BENCH_LOOP_BASELINE  the ratio's reference (default runsc)
#   BENCH_LOOP_RUNS   runs per runtime (default 7); BENCH_LOOP_CALLS calls per run (200000)
#   BENCH_RESULTS     output dir (default bench/results)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
die() { echo "syscall_loop: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"
command -v jq >/dev/null || die "jq not found"

RUNS=${BENCH_LOOP_RUNS:-7}
CALLS=${BENCH_LOOP_CALLS:-200000}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
BASELINE=${BENCH_LOOP_BASELINE:-runsc}
read -r -a WANT <<<"${BENCH_LOOP_RUNTIMES:-host stockade stockade-ptrace runsc}"
if [[ -z ${STOCKADE:-} ]]; then
  STOCKADE=$(command -v stockade || echo "$REPO_DIR/build/src/cli/stockade")
fi
RUNC=${RUNC:-/usr/sbin/runc}
RUNSC=${RUNSC:-/usr/bin/runsc}

TMP=$(mktemp -d /tmp/stockade-loop.XXXXXX)
cleanup() {
  set +e
  for name in "${!ROOTS[@]}"; do
    local r=${ROOTS[$name]}
    for id in $(${CMDS[$name]} --root "$r" list -q 2>/dev/null); do
      ${CMDS[$name]} --root "$r" delete --force "$id" >/dev/null 2>&1
    done
  done
  rm -rf "$TMP"
}
declare -A ROOTS CMDS
trap cleanup EXIT

LOOP=${GETPPID_LOOP:-}
if [[ -z $LOOP ]]; then
  LOOP=$TMP/getppid_loop
  cc -static -O2 -o "$LOOP" "$BENCH_DIR/getppid_loop.c" || die "cannot compile getppid_loop.c"
fi
BUNDLE=$TMP/bundle
STOCKADE="$STOCKADE" "$REPO_DIR/scripts/make-bundle" "$BUNDLE" /getppid_loop "$CALLS" >/dev/null
cp "$LOOP" "$BUNDLE/rootfs/getppid_loop"

CMDS[stockade]="$STOCKADE --platform=native"
CMDS[stockade-ptrace]="$STOCKADE --platform=ptrace"
CMDS[runc]="$RUNC"
CMDS[runsc]="$RUNSC --platform=ptrace --network=none"

declare -A SAMPLES
UNAVAILABLE=()
for name in "${WANT[@]}"; do
  samples=()
  for ((i = 0; i < RUNS; i++)); do
    if [[ $name == host ]]; then
      out=$("$LOOP" "$CALLS") || { UNAVAILABLE+=("$name"); break; }
    else
      [[ -n ${CMDS[$name]:-} ]] || die "unknown runtime '$name'"
      ROOTS[$name]=$TMP/root-$name
      # shellcheck disable=SC2086
      if ! out=$(timeout 120 ${CMDS[$name]} --root "${ROOTS[$name]}" run --bundle "$BUNDLE" "loop$i" 2>"$TMP/err"); then
        UNAVAILABLE+=("$name: $(head -n1 "$TMP/err")")
        break
      fi
    fi
    out=${out//$'\r'/}
    [[ $out =~ ^[0-9]+(\.[0-9]+)?$ ]] || { UNAVAILABLE+=("$name: unexpected output '$out'"); break; }
    samples+=("$out")
  done
  ((${#samples[@]} == RUNS)) && SAMPLES[$name]="${samples[*]}"
done

mkdir -p "$RESULTS"
results=$(for name in "${WANT[@]}"; do
  [[ -n ${SAMPLES[$name]:-} ]] || continue
  # shellcheck disable=SC2086
  printf '%s\n' ${SAMPLES[$name]} | jq -s --arg n "$name" \
    '{runtime: $n, samples_ns: ., median_ns: (sort | .[(length - 1) / 2 | floor])}'
done | jq -s .)
unavail=$(for u in "${UNAVAILABLE[@]}"; do jq -n --arg u "$u" '$u'; done | jq -s .)
jq -n --argjson r "$results" --argjson u "$unavail" --arg baseline "$BASELINE" \
  --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" --argjson ncpu "$(nproc)" \
  --argjson runs "$RUNS" --argjson calls "$CALLS" '
  ($r | map(select(.runtime == $baseline)) | .[0].median_ns) as $base
  | ($r | map(select(.runtime == "host")) | .[0].median_ns) as $host
  | {benchmark: "syscall_loop", description: "ns per raw getppid(2), median of runs",
     date: $date, machine: {kernel: $kernel, cpus: $ncpu}, runs: $runs, calls_per_run: $calls,
     baseline: $baseline,
     results: [$r[] | . + {ratio_to_baseline: (if $base then .median_ns / $base else null end),
                          ratio_to_host: (if $host then .median_ns / $host else null end)}],
     unavailable: $u}' >"$RESULTS/syscall_loop.json"

table=$(jq -r '
  def r2: (if . < 0.1 then (. * 10000 | round) / 10000 else (. * 100 | round) / 100 end) | tostring;
  "| runtime | median ns/call | vs \(.baseline) | vs host |", "| --- | ---: | ---: | ---: |",
  (.results[] | "| \(.runtime) | \(.median_ns | r2) | \(if .ratio_to_baseline then "\(.ratio_to_baseline | r2)×" else "n/a" end) | \(if .ratio_to_host then "\(.ratio_to_host | r2)×" else "n/a" end) |"),
  (.unavailable[] | "| \(.) | unavailable | | |")' "$RESULTS/syscall_loop.json")
{
  echo "# syscall_loop"
  echo
  echo "Nanoseconds per raw \`getppid(2)\` inside the container (bench/getppid_loop.c, $CALLS calls"
  echo "per run, timed by the program itself), median of $RUNS runs per runtime. Lower is better."
  echo
  echo "$table"
  echo
  echo "- date: $(jq -r .date "$RESULTS/syscall_loop.json")"
  echo "- machine: $(uname -r), $(nproc) CPUs"
} >"$RESULTS/syscall_loop.md"
echo "$table"
echo "results: $RESULTS/syscall_loop.md, $RESULTS/syscall_loop.json"
