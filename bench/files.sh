#!/usr/bin/env bash
# File-system costs inside the container, side by side in one session: Stockade
# --platform=native (the host kernel), Stockade --platform=ptrace and runsc (gVisor, ptrace).
# bench/file_bench.c runs as the container's process and times, with CLOCK_MONOTONIC, four
# phases, printing one JSON line each:
#   stat   stat() of 10,000 files (10 directories of 1,000 files of 4 KiB, by absolute path)
#   open   open + read (whole 4 KiB file) + close of the same 10,000 files
#   write  1 GiB sequential write, 1 MiB write() calls, then fsync and close (after an untimed
#          priming pass: see BENCH_FILES_PRIME)
#   read   that 1 GiB read back with 1 MiB read() calls (from the host's page cache: the file
#          was just written)
# The 10,000 files are in the bundle's rootfs, which is READ-ONLY for every runtime (so no
# memory overlay is involved: they are served by Stockade's gofer, runsc's gofer, or the host
# kernel on native). The 1 GiB file goes to /data, a read-write bind mount of a host
# directory, and is removed after every run. Each runtime runs BENCH_FILES_RUNS times, the
# runtimes taking turns with their order rotated every round; the report holds each phase's
# median per runtime and the ratio of Stockade ptrace's median time to runsc's. Writes
# bench/results/files.{md,json}. See bench/README.md.
#
# Environment:
#   STOCKADE, RUNSC        the runtimes (lib.sh; default build/src/cli/stockade, /usr/bin/runsc).
#                          The stockade binary is copied into the temporary directory first,
#                          so a rebuild during the run cannot mix two binaries.
#   FILE_BENCH             the static file_bench binary (default: compiled here, cc -static -O2)
#   BENCH_FILES_RUNTIMES   which to run, in order (default "stockade-native stockade-ptrace stockade-systrap
#                          runsc"); any runtime of lib.sh, or `host` (no container)
#   BENCH_FILES_SUBJECT, BENCH_FILES_BASELINE  the ratio's runtimes (stockade-ptrace, runsc)
#   BENCH_FILES_RUNS       timed runs per runtime (default 5); BENCH_FILES_WARMUP (default 1)
#   BENCH_FILES_DIRS, BENCH_FILES_PER_DIR, BENCH_FILES_SIZE  the tree (10, 1000, 4096)
#   BENCH_FILES_MIB        size of the sequential file in MiB (default 1024)
#   BENCH_FILES_DATA       host directory under which the bind-mounted data directory is made
#                          (default: the temporary directory in /tmp; it must be on a disk,
#                          not a tmpfs, for the write phase to measure one)
#   BENCH_FILES_PRIME      1 (default): before the timed write, file_bench writes the same
#                          amount, untimed, to a file it then removes, so that the timed write
#                          reuses page-cache memory just freed. 0: no priming. (This VM hands
#                          memory that stays free for ~2 s back to its hypervisor, and the next
#                          touch of it costs ~1 s per GiB; unprimed, a runtime whose stat and
#                          open phases take longer pays more of it in the write phase.)
#   BENCH_FILES_TIMEOUT    seconds one container run may take before it is killed (default 600)
#   BENCH_RESULTS          output dir (default bench/results); BENCH_NAME (default files)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init files timeout

RUNS=${BENCH_FILES_RUNS:-5}
WARMUP=${BENCH_FILES_WARMUP:-1}
DIRS=${BENCH_FILES_DIRS:-10}
PER_DIR=${BENCH_FILES_PER_DIR:-1000}
SIZE=${BENCH_FILES_SIZE:-4096}
MIB=${BENCH_FILES_MIB:-1024}
TIMEOUT=${BENCH_FILES_TIMEOUT:-600}
PRIME=${BENCH_FILES_PRIME:-1}
SUBJECT=${BENCH_FILES_SUBJECT:-stockade-ptrace}
BASELINE=${BENCH_FILES_BASELINE:-runsc}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
NAME=${BENCH_NAME:-files}
read -r -a WANT <<<"${BENCH_FILES_RUNTIMES:-stockade-native stockade-ptrace stockade-systrap runsc}"
for v in RUNS DIRS PER_DIR SIZE MIB TIMEOUT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_FILES_$v must be a positive number, not '${!v}'"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_FILES_WARMUP must be a number"
[[ $PRIME == [01] ]] || die "BENCH_FILES_PRIME must be 0 or 1"
PHASES=stat,open,write,read
((PRIME)) && PHASES=stat,open,prime,write,read
((DIRS <= 100 && PER_DIR <= 100000)) || die "at most 100 directories of 100000 files"
((${#WANT[@]} > 0)) || die "BENCH_FILES_RUNTIMES is empty"
bench_runtimes
for name in "${WANT[@]}"; do
  [[ $name == host ]] || bench_known "$name" || die "unknown runtime '$name' in BENCH_FILES_RUNTIMES"
done

TMP=$(mktemp -d /tmp/stockade-files.XXXXXX)
DATA_PARENT=${BENCH_FILES_DATA:-$TMP}
DATA=$(mktemp -d "$DATA_PARENT/files-data.XXXXXX")
# The runtimes' state dirs are TMP/root-NAME (bench_cmd); cleanup.sh force-deletes whatever a
# killed run left there.
cleanup() {
  set +e
  rm -rf "$DATA"
  bench_cleanup "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# One binary for the whole session, even if the build directory is rebuilt meanwhile. The
# ptrace platform's sandbox re-executes it as nobody, so its directory must be searchable
# (mktemp -d makes TMP 0700).
STOCKADE_ORIG=$STOCKADE
if [[ -x $STOCKADE ]]; then
  chmod 0711 "$TMP"
  mkdir -m 0755 "$TMP/bin"
  cp "$STOCKADE" "$TMP/bin/stockade"
  STOCKADE=$TMP/bin/stockade
  bench_runtimes
fi
bench_cleanup_script "$TMP" "${WANT[@]}"

FB=${FILE_BENCH:-}
if [[ -z $FB ]]; then
  command -v cc >/dev/null || die "cc not found; set FILE_BENCH to a static file_bench"
  FB=$TMP/file_bench
  cc -static -O2 -o "$FB" "$BENCH_DIR/file_bench.c" || die "cannot compile file_bench.c"
fi
[[ -x $FB ]] || die "$FB is not an executable"

# The bundle: busybox rootfs, read-only root, /files (the tree), /data (bind mount, rw).
BUNDLE=$TMP/bundle
ARGS=(/file_bench run /files "$DIRS" "$PER_DIR" "$SIZE" /data "$MIB" "$PHASES")
STOCKADE="$STOCKADE" "$REPO_DIR/scripts/make-bundle" "$BUNDLE" "${ARGS[@]}" >/dev/null
cp "$FB" "$BUNDLE/rootfs/file_bench"
mkdir -p "$BUNDLE/rootfs/data"
echo "files: making $((DIRS * PER_DIR)) files of $SIZE bytes in $BUNDLE/rootfs/files" >&2
"$FB" make "$BUNDLE/rootfs/files" "$DIRS" "$PER_DIR" "$SIZE"
jq --arg data "$DATA" '.root.readonly = true
  | .mounts += [{destination: "/data", type: "bind", source: $data, options: ["rbind", "rw"]}]' \
  "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
DATA_FS=$(stat -fc %T "$DATA")
[[ $DATA_FS == tmpfs ]] && echo "files: warning: $DATA is on a tmpfs; the write phase measures no disk" >&2

# run_one NAME ID: one run; file_bench's JSON lines to TMP/out, errors to TMP/err. Returns
# non-zero on failure or timeout; a container a failed run leaves is force-deleted.
run_one() {
  local rc=0
  if [[ $1 == host ]]; then
    timeout -k 10 "$TIMEOUT" "$FB" run "$BUNDLE/rootfs/files" "$DIRS" "$PER_DIR" "$SIZE" \
      "$DATA" "$MIB" "$PHASES" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
  else
    bench_cmd "$1" "$TMP/root-$1"
    timeout -k 10 "$TIMEOUT" "${RT_CMD[@]}" run --bundle "$BUNDLE" "$2" </dev/null \
      >"$TMP/out" 2>"$TMP/err" || rc=$?
    if ((rc != 0)); then
      timeout 60 "${RT_CMD[@]}" delete --force "$2" >/dev/null 2>&1 || true
    fi
  fi
  rm -f "$DATA/file_bench.data" "$DATA/file_bench.data.prime"
  ((rc == 124 || rc == 137)) && echo "timed out after ${TIMEOUT}s" >>"$TMP/err"
  return "$rc"
}

# check_out: TMP/out holds one JSON line per phase, all four of them.
check_out() {
  jq -se 'map(.phase) | sort == ["open", "read", "stat", "write"]' "$TMP/out" >/dev/null 2>&1
}

declare -A REASON
for name in "${WANT[@]}"; do
  if [[ $name != host && ! -x ${BIN[$name]} ]]; then
    REASON[$name]="${BIN[$name]} not found"
  fi
done
: >"$TMP/samples.jsonl"
echo "files: ${WANT[*]}: $WARMUP warm-up + $RUNS timed rounds, order rotated each round;" \
  "$((DIRS * PER_DIR)) files of $SIZE B, $MIB MiB sequential, data in $DATA ($DATA_FS)" >&2
n=${#WANT[@]}
for ((i = 0; i < WARMUP + RUNS; i++)); do
  order=()
  for ((k = 0; k < n; k++)); do order+=("${WANT[(i + k) % n]}"); done
  line=
  for name in "${order[@]}"; do
    [[ -z ${REASON[$name]:-} ]] || continue
    label=$( ((i < WARMUP)) && echo "warm-up $((i + 1))" || echo "run $((i - WARMUP + 1))")
    if ! run_one "$name" "files-$$-$i-$name"; then
      REASON[$name]="$label failed: $(grep -v '^[[:space:]]*$' "$TMP/err" | tail -n 3 | tr '\n' ' ')"
      echo "  $name: ${REASON[$name]}" >&2
      continue
    fi
    if ! check_out; then
      REASON[$name]="$label: unexpected output '$(head -c 200 "$TMP/out" | tr '\n' ' ')' $(head -c 200 "$TMP/err")"
      echo "  $name: ${REASON[$name]}" >&2
      continue
    fi
    if ((i >= WARMUP)); then
      jq -c --arg rt "$name" --argjson round "$((i - WARMUP + 1))" \
        '. + {runtime: $rt, round: $round}' "$TMP/out" >>"$TMP/samples.jsonl"
    fi
    line+=" ${name}[$(jq -sr 'map(if .phase == "stat" or .phase == "open"
        then "\(.phase)=\(.ns_per_op / 1000 | floor)us" else "\(.phase)=\(.mib_per_s | floor)MiB/s" end)
      | join(" ")' "$TMP/out")]"
  done
  if ((i < WARMUP)); then echo "  warm-up $((i + 1)):$line" >&2; else echo "  run $((i - WARMUP + 1))/$RUNS:$line" >&2; fi
done

# Nothing of this session may be left: containers, processes, the data file.
bash "$TMP/cleanup.sh"
left=$(pgrep -f -- "$TMP" | grep -vx "$$" || true)
if [[ -n $left ]]; then
  echo "files: warning: processes left running: $(ps -o pid=,args= -p "${left//$'\n'/,}" | cut -c1-120 | tr '\n' ';')" >&2
fi

# --- report -----------------------------------------------------------------------------------
mkdir -p "$RESULTS"
meta=$(for name in "${WANT[@]}"; do
  if [[ $name == host ]]; then
    version="Linux $(uname -r)"
    command="file_bench run $BUNDLE/rootfs/files $DIRS $PER_DIR $SIZE $DATA $MIB $PHASES"
  else
    version=$(bench_version "$name")
    bench_cmd "$name" "$TMP/root-$name"
    command="$(printf '%q ' "${RT_CMD[@]}")run --bundle \$TMP/bundle ID"
    [[ $name == stockade* ]] && command=${command/$STOCKADE/$STOCKADE_ORIG}
  fi
  jq -n --arg n "$name" --arg v "$version" --arg c "${command//$TMP/\$TMP}" \
    --arg r "${REASON[$name]:-}" '{runtime: $n, version: $v, command: $c, reason: $r}'
done | jq -s .)
jq -s --argjson meta "$meta" --arg subject "$SUBJECT" --arg baseline "$BASELINE" \
  --arg date "$(bench_date)" --argjson machine "$(bench_machine_json)" \
  --argjson runs "$RUNS" --argjson warmup "$WARMUP" --argjson dirs "$DIRS" \
  --argjson per_dir "$PER_DIR" --argjson size "$SIZE" --argjson mib "$MIB" \
  --arg data_fs "$DATA_FS" --argjson prime "$PRIME" --arg args "${ARGS[*]}" "$BENCH_JQ_DEFS"'
  . as $all
  | ["stat", "open", "write", "read"] as $phases
  | [$meta[] | select(.reason == "") | .runtime as $rt
     | ($all | map(select(.runtime == $rt))) as $mine
     | {runtime: $rt, version, command,
        phases: ($phases | map(. as $p | ($mine | map(select(.phase == $p))) as $s
          | ($s | map(.total_ns) | median) as $m
          | {(.): ({ops: $s[0].ops, bytes: ($s[0].bytes // null),
                    samples_total_ns: ($s | map(.total_ns)),
                    median_total_ns: $m, min_total_ns: ($s | map(.total_ns) | min),
                    max_total_ns: ($s | map(.total_ns) | max),
                    median_ns_per_op: ($m / $s[0].ops)}
                   + (if $s[0].bytes then {median_mib_per_s: ($s[0].bytes / 1048576 / ($m / 1e9))} else {} end)
                   + (if $p == "write" then {samples_write_ns: ($s | map(.write_ns)),
                                             samples_fsync_ns: ($s | map(.fsync_ns)),
                                             samples_prime_ns: ($s | map(.prime_ns)),
                                             median_prime_ns: ($s | map(.prime_ns) | median),
                                             median_write_ns: ($s | map(.write_ns) | median),
                                             median_fsync_ns: ($s | map(.fsync_ns) | median)} else {} end))})
          | add)}] as $results
  | ($results | map({(.runtime): .}) | add // {}) as $R
  | {benchmark: "files",
     description: "file-system costs inside the container, timed by bench/file_bench.c: stat and open+read+close of small files in the read-only rootfs, 1 GiB sequential write (+fsync) and read on a read-write bind mount; medians of the runs",
     date: $date, machine: $machine, runs: $runs, warmup: $warmup,
     config: {files: ($dirs * $per_dir), directories: $dirs, files_per_directory: $per_dir,
              file_size: $size, sequential_mib: $mib, io_size: 1048576,
              root: "read-only (root.readonly: true), the same for every runtime; no overlay",
              data: "read-write bind mount of a host directory at /data (host file system: \($data_fs)); the \($mib) MiB file is removed after every run",
              page_cache: "the read phase follows the write phase of the same run, so it reads the host page cache, not the disk; the write phase includes fsync",
              priming: (if $prime == 1 then "before the timed write, the same amount is written (untimed, no fsync) to a file that is then removed, so the timed write reuses page-cache memory just freed rather than memory the VM has handed back to its hypervisor" else "none" end),
              container_args: $args},
     subject: $subject, baseline: $baseline,
     ratios: ($phases | map({(.): (if $R[$subject] and $R[$baseline]
        then $R[$subject].phases[.].median_total_ns / $R[$baseline].phases[.].median_total_ns
        else null end)}) | add),
     results: $results,
     unavailable: [$meta[] | select(.reason != "") | {runtime, reason}]}
' "$TMP/samples.jsonl" >"$RESULTS/$NAME.json"

jq -r "$BENCH_JQ_DEFS"'
  def rtname: {"stockade-native": "native (Stockade --platform=native)",
              "stockade-ptrace": "Stockade ptrace", "stockade-systrap": "Stockade systrap", "runsc": "runsc (gVisor ptrace)",
              "host": "host (no container)"}[.] // .;
  def cell($p): if $p == "stat" or $p == "open" then "\(.median_ns_per_op / 1000 | num(1)) µs/op"
                else "\(.median_mib_per_s | num(0)) MiB/s" end;
  def verdict: if . == null then "n/a" elif . < 1 then "\(ratio) (faster)" elif . == 1 then "1× (equal)"
    else "\(ratio) (slower)" end;
  . as $j
  | ($j.results | map({(.runtime): .}) | add // {}) as $R
  | ([$j.results[].runtime, $j.unavailable[].runtime]) as $names
  | {stat: "stat, \($j.config.files) files",
     open: "open+read+close, \($j.config.files) × \($j.config.file_size / 1024 | num(0)) KiB",
     write: "write \($j.config.sequential_mib) MiB (1 MiB calls) + fsync",
     read: "read \($j.config.sequential_mib) MiB (1 MiB calls)"} as $title
  | "# files: file-system costs inside the container",
    "",
    "Measured \($j.date) in one session on \($j.machine.kernel), \($j.machine.cpu), \($j.machine.cpus) CPUs. bench/file_bench.c runs as the container'"'"'s process and times each phase itself (CLOCK_MONOTONIC); \($j.warmup) warm-up and \($j.runs) timed runs per runtime, the runtimes taking turns (order rotated each round). Medians.",
    "",
    "| phase | \([$names[] | rtname] | join(" | ")) | \($j.subject) / \($j.baseline), time |",
    "| --- | \([$names[] | "---:"] | join(" | ")) | ---: |",
    (["stat", "open", "write", "read"][] as $p
     | "| \($title[$p]) | \([$names[] | if $R[.] then $R[.].phases[$p] | cell($p) else "unavailable" end] | join(" | ")) | \($j.ratios[$p] | verdict) |"),
    "",
    "The last column divides \($j.subject)'"'"'s median time by \($j.baseline)'"'"'s, phase by phase: below 1× \($j.subject) is faster.",
    "",
    "## Totals per run (ms): median [min–max]",
    "",
    "| phase | \([$j.results[].runtime | rtname] | join(" | ")) |",
    "| --- | \([$j.results[] | "---:"] | join(" | ")) |",
    (["stat", "open", "write", "read"][] as $p
     | "| \($p) | \([$j.results[].phases[$p] | "\(.median_total_ns / 1e6 | num(1)) [\(.min_total_ns / 1e6 | num(1))–\(.max_total_ns / 1e6 | num(1))]"] | join(" | ")) |"),
    "| write: the write() calls | \([$j.results[].phases.write.median_write_ns / 1e6 | num(1)] | join(" | ")) |",
    "| write: the fsync | \([$j.results[].phases.write.median_fsync_ns / 1e6 | num(1)] | join(" | ")) |",
    (if $j.config.priming != "none" then "| (untimed) priming pass before the write | \([$j.results[].phases.write.median_prime_ns / 1e6 | num(1)] | join(" | ")) |" else empty end),
    "",
    "- tree: \($j.config.directories) directories × \($j.config.files_per_directory) files of \($j.config.file_size) bytes in the bundle'"'"'s rootfs, created on the host before the runs; stat by absolute path, then open(O_RDONLY) + one read of the whole file + close, in the same order (so the open phase finds the names the stat phase already looked up)",
    "- root: \($j.config.root): the tree is served by Stockade'"'"'s gofer (ptrace), runsc'"'"'s gofer, or the host kernel (native)",
    "- data: \($j.config.data)",
    "- page cache: \($j.config.page_cache)",
    "- write priming: \($j.config.priming)",
    "- the container'"'"'s process: `\($j.config.container_args)`",
    (.unavailable[] | "- \(.runtime): unavailable: \(.reason | cell)"),
    (.results[] | "- \(.runtime): \(.version // "?") — `\(.command)`")
' "$RESULTS/$NAME.json" >"$RESULTS/$NAME.md"

echo
awk '/^\| /{p=1; print; next} p{exit}' "$RESULTS/$NAME.md"
jq -r '.unavailable[] | "unavailable: \(.runtime): \(.reason)"' "$RESULTS/$NAME.json"
echo
echo "results: $RESULTS/$NAME.md, $RESULTS/$NAME.json"
