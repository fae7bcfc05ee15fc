#!/usr/bin/env bash
# Start-to-exit latency of `/bin/true` in a busybox bundle, i.e. the wall time of
#   RUNTIME [FLAGS] --root ROOT run --bundle BUNDLE ID
# for Stockade (native and ptrace platforms), runc, crun and runsc side by side in one
# hyperfine run. Prints a table of medians and each runtime's ratio to a baseline (runc),
# and writes bench/results/$BENCH_NAME.{md,json}. The runtime table, clean-up and report
# format are in bench/lib.sh. See bench/README.md.
#
# Environment:
#   STOCKADE        Stockade binary (default: `stockade` on PATH, then build/src/cli/stockade)
#   STOCKADE_FLAGS  its global flags (default: --platform=native; set empty for none)
#   RUNC, CRUN, RUNSC  the other runtimes (default /usr/sbin/runc, /usr/bin/crun, /usr/bin/runsc)
#   BENCH_RUNTIMES  which to measure, in order (default: "stockade runc crun"); also known:
#                   stockade-native, stockade-ptrace, stockade-systrap (Stockade with that
#                   --platform, regardless of STOCKADE_FLAGS) and runsc (gVisor,
#                   --platform=ptrace --network=none)
#   BENCH_BASELINE  the runtime the ratios are taken to (default runc)
#   BENCH_NAME      results file name (default start_to_exit)
#   BENCH_RUNS      timed runs per runtime (default 40); BENCH_WARMUP (default 5)
#   BENCH_RESULTS   output dir (default bench/results)
#   BENCH_CRUN_HUGETLB=1  see README: lets crun run on a hybrid-cgroup host whose cgroup2
#                   hierarchy has the hugetlb controller, inside a private mount namespace.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SELF="$BENCH_DIR/$(basename "${BASH_SOURCE[0]}")"
bench_init start_to_exit hyperfine

# crun 1.8 refuses to start on a hybrid host whose cgroup2 root enables any controller
# ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"). Mounting
# hugetlb as a v1 hierarchy moves that controller off cgroup2; doing it in a private mount
# namespace keeps the mount invisible, and the controller returns to cgroup2 when the
# namespace goes away.
if [[ ${BENCH_CRUN_HUGETLB:-} == 1 && -z ${_BENCH_IN_NS:-} ]]; then
  exec unshare -m --propagation private env _BENCH_IN_NS=1 bash "$SELF" "$@"
fi

RUNS=${BENCH_RUNS:-40}
WARMUP=${BENCH_WARMUP:-5}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
read -r -a WANT <<<"${BENCH_RUNTIMES:-stockade runc crun}"
BASELINE=${BENCH_BASELINE:-runc}
NAME=${BENCH_NAME:-start_to_exit}
bench_runtimes
for name in "${WANT[@]}"; do
  bench_known "$name" || die "unknown runtime '$name' in BENCH_RUNTIMES"
done

TMP=$(mktemp -d /tmp/stockade-bench.XXXXXX)
cleanup() {
  set +e
  [[ -f $TMP/cleanup.sh ]] && bash "$TMP/cleanup.sh"
  [[ -n ${HUGETLB_MNT:-} ]] && umount "$HUGETLB_MNT"
  rm -rf "$TMP"
}
trap cleanup EXIT

if [[ -n ${_BENCH_IN_NS:-} ]]; then
  HUGETLB_MNT=$TMP/hugetlb-v1
  mkdir -p "$HUGETLB_MNT"
  mount -t cgroup -o hugetlb cgroup "$HUGETLB_MNT" || { HUGETLB_MNT=; echo "start_to_exit: could not mount hugetlb v1" >&2; }
fi

BUNDLE=$TMP/bundle
STOCKADE="$STOCKADE" "$REPO_DIR/scripts/make-bundle" "$BUNDLE" /bin/true >/dev/null

# cleanup.sh force-deletes the containers failed runs leave; hyperfine also runs it after
# each runtime's runs.
bench_cleanup_script "$TMP" "${WANT[@]}"

HF_ARGS=()
NAMES=()
declare -A CMD VERSION
UNAVAILABLE=()
for name in "${WANT[@]}"; do
  if [[ ! -x ${BIN[$name]} ]]; then
    UNAVAILABLE+=("$name"$'\t'"${BIN[$name]} not found")
    continue
  fi
  root=$TMP/root-$name
  mkdir -p "$root"
  bench_cmd "$name" "$root"
  if ! err=$(timeout 60 "${RT_CMD[@]}" run --bundle "$BUNDLE" "probe-$name" 2>&1 >/dev/null </dev/null); then
    UNAVAILABLE+=("$name"$'\t'"probe run failed: $(head -n1 <<<"$err")")
    continue
  fi
  VERSION[$name]=$(bench_version "$name")
  # A fresh container ID per run: $$ is the pid of the shell hyperfine starts for each run
  # (hyperfine measures and subtracts that shell's own start-up time).
  CMD[$name]="$(printf '%q ' "${RT_CMD[@]}")run --bundle $(printf '%q' "$BUNDLE") b\$\$"
  HF_ARGS+=(-n "$name" "${CMD[$name]}")
  NAMES+=("$name")
done
((${#NAMES[@]})) || die "no runtime could run the bundle: ${UNAVAILABLE[*]}"

echo "start_to_exit: ${NAMES[*]}: $WARMUP warm-up + $RUNS timed runs each" >&2
timeout 900 hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
  --cleanup "bash $TMP/cleanup.sh" --export-json "$TMP/hyperfine.json" "${HF_ARGS[@]}" >&2

# --- report -----------------------------------------------------------------------------------
mkdir -p "$RESULTS"
details_json=$(for n in "${NAMES[@]}"; do
  jq -n --arg n "$n" --arg v "${VERSION[$n]}" --arg c "${CMD[$n]//$TMP/\$TMP}" '{($n): {version: $v, command: $c}}'
done | jq -s add)
unavail_json=$(for u in "${UNAVAILABLE[@]}"; do
  jq -n --arg n "${u%%$'\t'*}" --arg r "${u#*$'\t'}" '{runtime: $n, reason: $r}'
done | jq -s .)

jq --arg name "$NAME" --arg date "$(bench_date)" --argjson machine "$(bench_machine_json)" \
  --argjson runs "$RUNS" --argjson warmup "$WARMUP" --argjson details "$details_json" \
  --argjson unavailable "$unavail_json" --arg baseline "$BASELINE" \
  --arg crun_fix "${_BENCH_IN_NS:+hugetlb moved to a v1 hierarchy in a private mount namespace so crun can run}" '
  (.results | map(select(.command == $baseline)) | .[0].median) as $base_median
  | {
      benchmark: "start_to_exit",
      name: $name,
      description: "wall time of `RUNTIME run --bundle BUNDLE ID` running /bin/true in a busybox bundle",
      date: $date,
      machine: $machine,
      runs: $runs, warmup: $warmup, baseline: $baseline,
      note: (if $crun_fix == "" then null else $crun_fix end),
      results: [ .results[] | {
        runtime: .command,
        version: $details[.command].version,
        command: $details[.command].command,
        median_ms: (.median * 1000), mean_ms: (.mean * 1000),
        stddev_ms: (if .stddev then .stddev * 1000 else null end),
        min_ms: (.min * 1000), max_ms: (.max * 1000),
        ratio_to_baseline: (if $base_median then (.median / $base_median) else null end),
        times_ms: [.times[] * 1000]
      } ],
      unavailable: $unavailable
    }' "$TMP/hyperfine.json" >"$RESULTS/$NAME.json"

bench_md_start_to_exit "$RESULTS/$NAME.json" >"$RESULTS/$NAME.md"
echo
sed -n '/^| /p' "$RESULTS/$NAME.md"
echo
echo "results: $RESULTS/$NAME.md, $RESULTS/$NAME.json"
