#!/usr/bin/env bash
# Start-to-exit latency of `/bin/true` in a busybox bundle, i.e. the wall time of
#   RUNTIME [FLAGS] --root ROOT run --bundle BUNDLE ID
# for Stockade (native and ptrace platforms), runc, crun and runsc side by side in one
# hyperfine run. Prints a table of medians and each runtime's ratio to a baseline (runc),
# and writes bench/results/$BENCH_NAME.{md,json}.
# See bench/README.md.
#
# Environment:
#   STOCKADE        Stockade binary (default: `stockade` on PATH, then build/src/cli/stockade)
#   STOCKADE_FLAGS  its global flags (default: --platform=native; set empty for none)
#   RUNC, CRUN, RUNSC  the other runtimes (default /usr/sbin/runc, /usr/bin/crun, /usr/bin/runsc)
#   BENCH_RUNTIMES  which to measure, in order (default: "stockade runc crun"); also known:
#                   stockade-ptrace (Stockade with --platform=ptrace) and runsc (gVisor,
#                   --platform=ptrace --network=none)
#   BENCH_BASELINE  the runtime the ratios are taken to (default runc)
#   BENCH_NAME      results file name (default start_to_exit)
#   BENCH_RUNS      timed runs per runtime (default 40); BENCH_WARMUP (default 5)
#   BENCH_RESULTS   output dir (default bench/results)
#   BENCH_CRUN_HUGETLB=1  see README: lets crun run on a hybrid-cgroup host whose cgroup2
#                   hierarchy has the hugetlb controller, inside a private mount namespace.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SELF="$BENCH_DIR/$(basename "${BASH_SOURCE[0]}")"

die() { echo "start_to_exit: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "needs root"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
command -v jq >/dev/null || die "jq not found"

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

if [[ -z ${STOCKADE:-} ]]; then
  if command -v stockade >/dev/null; then
    STOCKADE=$(command -v stockade)
  else
    STOCKADE=$REPO_DIR/build/src/cli/stockade
  fi
fi
STOCKADE_FLAGS=${STOCKADE_FLAGS---platform=native}
RUNC=${RUNC:-/usr/sbin/runc}
CRUN=${CRUN:-/usr/bin/crun}
RUNSC=${RUNSC:-/usr/bin/runsc}

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

declare -A BIN FLAGS
BIN[stockade]=$STOCKADE
FLAGS[stockade]=$STOCKADE_FLAGS
BIN[runc]=$RUNC
FLAGS[runc]=
BIN[crun]=$CRUN
FLAGS[crun]=
BIN[stockade-ptrace]=$STOCKADE
FLAGS[stockade-ptrace]=--platform=ptrace
# gVisor's default platform is systrap in newer releases; Debian's is ptrace. No network
# set-up exists here, so the sandbox gets none (Stockade's ptrace platform has none yet).
BIN[runsc]=$RUNSC
FLAGS[runsc]="--platform=ptrace --network=none"

# Every container a run leaves behind (only after a failure: `run` deletes on exit) is
# force-deleted by cleanup.sh, which hyperfine also runs after each runtime's runs.
{
  echo '#!/bin/bash'
  for name in "${WANT[@]}"; do
    [[ -n ${BIN[$name]:-} ]] || continue
    printf 'r=(%q %s --root %q)\n' "${BIN[$name]}" "${FLAGS[$name]}" "$TMP/root-$name"
    # shellcheck disable=SC2016
    echo 'for id in $("${r[@]}" list -q 2>/dev/null); do "${r[@]}" delete --force "$id" >/dev/null 2>&1; done'
  done
} >"$TMP/cleanup.sh"

HF_ARGS=()
NAMES=()
declare -A CMD VERSION
UNAVAILABLE=()
for name in "${WANT[@]}"; do
  bin=${BIN[$name]:-}
  [[ -n $bin ]] || die "unknown runtime '$name' in BENCH_RUNTIMES"
  if [[ ! -x $bin ]]; then
    UNAVAILABLE+=("$name"$'\t'"$bin not found")
    continue
  fi
  root=$TMP/root-$name
  mkdir -p "$root"
  # shellcheck disable=SC2086
  if ! err=$(timeout 60 "$bin" ${FLAGS[$name]} --root "$root" run --bundle "$BUNDLE" "probe-$name" 2>&1 >/dev/null); then
    UNAVAILABLE+=("$name"$'\t'"probe run failed: $(head -n1 <<<"$err")")
    continue
  fi
  VERSION[$name]=$("$bin" --version 2>/dev/null | head -n1)
  # A fresh container ID per run: $$ is the pid of the shell hyperfine starts for each run
  # (hyperfine measures and subtracts that shell's own start-up time).
  CMD[$name]="$bin${FLAGS[$name]:+ ${FLAGS[$name]}} --root $root run --bundle $BUNDLE b\$\$"
  HF_ARGS+=(-n "$name" "${CMD[$name]}")
  NAMES+=("$name")
done
((${#NAMES[@]})) || die "no runtime could run the bundle: ${UNAVAILABLE[*]}"

echo "start_to_exit: ${NAMES[*]}: $WARMUP warm-up + $RUNS timed runs each" >&2
timeout 600 hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
  --cleanup "bash $TMP/cleanup.sh" --export-json "$TMP/hyperfine.json" "${HF_ARGS[@]}" >&2

# --- report -----------------------------------------------------------------------------------
mkdir -p "$RESULTS"
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
cgroup_mode=$(stat -fc %T /sys/fs/cgroup)
[[ $cgroup_mode == cgroup2fs ]] && cgroup_mode="cgroup v2" || cgroup_mode="cgroup v1/hybrid"

versions_json=$(for n in "${NAMES[@]}"; do jq -n --arg n "$n" --arg v "${VERSION[$n]}" '{($n): $v}'; done | jq -s add)
unavail_json=$(for u in "${UNAVAILABLE[@]}"; do jq -n --arg n "${u%%$'\t'*}" --arg r "${u#*$'\t'}" '{runtime: $n, reason: $r}'; done | jq -s .)

jq --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg kernel "$(uname -r)" --arg cpu "$cpu" \
  --argjson ncpu "$(nproc)" --arg cgroups "$cgroup_mode" --argjson runs "$RUNS" \
  --argjson warmup "$WARMUP" --argjson versions "$versions_json" --argjson unavailable "$unavail_json" \
  --arg baseline "$BASELINE" \
  --arg crun_fix "${_BENCH_IN_NS:+hugetlb moved to a v1 hierarchy in a private mount namespace}" '
  (.results | map(select(.command == $baseline)) | .[0].median) as $base_median
  | {
      benchmark: "start_to_exit",
      description: "wall time of `RUNTIME run --bundle BUNDLE ID` running /bin/true in a busybox bundle",
      date: $date,
      machine: {kernel: $kernel, cpu: $cpu, cpus: $ncpu, cgroups: $cgroups},
      runs: $runs, warmup: $warmup, baseline: $baseline,
      note: (if $crun_fix == "" then null else $crun_fix end),
      results: [ .results[] | {
        runtime: .command,
        version: $versions[.command],
        median_ms: (.median * 1000), mean_ms: (.mean * 1000), stddev_ms: (.stddev * 1000),
        min_ms: (.min * 1000), max_ms: (.max * 1000),
        ratio_to_baseline: (if $base_median then (.median / $base_median) else null end),
        times_ms: [.times[] * 1000]
      } ],
      unavailable: $unavailable
    }' "$TMP/hyperfine.json" >"$RESULTS/$NAME.json"

# hyperfine names results by -n; keep the full command lines for the report.
table=$(jq -r '
  def r2: (. * 100 | round) as $x
    | "\($x / 100 | floor).\($x % 100 | tostring | if length < 2 then "0" + . else . end)";
  "| runtime | median (ms) | mean ± σ (ms) | min (ms) | max (ms) | median vs \(.baseline) |",
  "| --- | ---: | ---: | ---: | ---: | ---: |",
  (.results[] | "| \(.runtime) | \(.median_ms | r2) | \(.mean_ms | r2) ± \(.stddev_ms | r2) | \(.min_ms | r2) | \(.max_ms | r2) | \(if .ratio_to_baseline then "\(.ratio_to_baseline | r2)×" else "n/a" end) |"),
  (.unavailable[] | "| \(.runtime) | – | – | – | – | unavailable: \(.reason | gsub("\\|"; "/")) |")
  ' "$RESULTS/$NAME.json")

{
  echo "# $NAME"
  echo
  echo "Wall time from \`RUNTIME run --bundle BUNDLE ID\` to its exit, running \`/bin/true\` in a busybox"
  echo "bundle (scripts/make-bundle). $WARMUP warm-up and $RUNS timed runs per runtime, one"
  echo "hyperfine session, fresh container ID per run. Lower is better."
  echo
  echo "$table"
  echo
  echo "- date: $(jq -r .date "$RESULTS/$NAME.json")"
  echo "- machine: $(uname -r), $cpu, $(nproc) CPUs, $cgroup_mode"
  [[ -n ${_BENCH_IN_NS:-} ]] && echo "- note: hugetlb moved to a v1 hierarchy in a private mount namespace so crun can run"
  for n in "${NAMES[@]}"; do
    echo "- $n: ${VERSION[$n]:-?} — \`${CMD[$n]//$TMP/\$TMP}\`"
  done
} >"$RESULTS/$NAME.md"

echo
echo "$table"
echo
echo "results: $RESULTS/$NAME.md, $RESULTS/$NAME.json"
