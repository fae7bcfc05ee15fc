#!/usr/bin/env bash
# The Sentry next to gVisor, in one session on one machine:
#   1. start_to_exit.sh: `run /bin/true` start to exit under Stockade native, ptrace and
#      systrap (with and without syscall-site patching), runc, crun and runsc (ratios to
#      runsc);
#   2. syscall_loop.sh: ns per getppid call and per pipe round trip inside the same Stockade
#      platforms and runsc, and on the host (ratios to runsc and to the host).
# Writes one report, bench/results/sentry.{md,json}, whose summary holds the headlines:
# Stockade ptrace's start-to-exit median over runsc's (the project's claim: at most 0.5),
# systrap's over crun's (at most 2), and patched systrap's getppid over the host's (at most
# 8) and runsc's (at most 0.1). See bench/README.md.
#
# Environment: those of start_to_exit.sh and syscall_loop.sh (STOCKADE, RUNSC, GETPPID_LOOP,
# BENCH_RUNS, BENCH_WARMUP, BENCH_LOOP_RUNS, BENCH_LOOP_CALLS, ...), plus
#   BENCH_SENTRY_RUNTIMES  start-to-exit runtimes (default "stockade-native stockade-ptrace
#                          stockade-systrap stockade-systrap-nopatch crun runsc")
#   BENCH_LOOP_RUNTIMES    loop runtimes (default "host stockade-native stockade-ptrace
#                          stockade-systrap stockade-systrap-nopatch runsc")
#   BENCH_RESULTS          output dir (default bench/results)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init sentry hyperfine

# The goals: Stockade ptrace's start-to-exit median over runsc's (at most 0.5); patched
# systrap's getppid over the host's (at most 8) and over runsc's (at most 0.1); systrap's
# start-to-exit over crun's (at most 2).
GOAL=0.5
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
TMP=$(mktemp -d /tmp/stockade-sentry.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# Both parts write their own reports into TMP (their "results:" lines would name files that
# are gone at the end); sentry.{md,json} combine them.
BENCH_RESULTS=$TMP BENCH_NAME=start_to_exit BENCH_BASELINE=runsc BENCH_CRUN_HUGETLB=${BENCH_CRUN_HUGETLB:-1} \
  BENCH_RUNTIMES=${BENCH_SENTRY_RUNTIMES:-stockade-native stockade-ptrace stockade-systrap stockade-systrap-nopatch crun runsc} \
  bash "$BENCH_DIR/start_to_exit.sh" | sed '/^results: /d'
BENCH_RESULTS=$TMP BENCH_LOOP_BASELINE=runsc \
  BENCH_LOOP_RUNTIMES=${BENCH_LOOP_RUNTIMES:-host stockade-native stockade-ptrace stockade-systrap stockade-systrap-nopatch runsc} \
  bash "$BENCH_DIR/syscall_loop.sh" | sed '/^results: /d'

mkdir -p "$RESULTS"
jq -n --slurpfile s "$TMP/start_to_exit.json" --slurpfile l "$TMP/syscall_loop.json" \
  --arg date "$(bench_date)" --argjson machine "$(bench_machine_json)" --argjson goal "$GOAL" '
  $s[0] as $s | $l[0] as $l
  | ($s.results | map({(.runtime): .}) | add // {}) as $S
  | ($l.getppid.results | map({(.runtime): .}) | add // {}) as $L
  | ($l.pingpong.results | map({(.runtime): .}) | add // {}) as $P
  | ([$s.results[].runtime, $s.unavailable[].runtime, $l.getppid.results[].runtime,
      $l.getppid.unavailable[].runtime]
     | reduce .[] as $x ([]; if any(.[]; . == $x) then . else . + [$x] end)) as $names
  | def over($a; $b): if $a and $b then $a / $b else null end;
  (over($S["stockade-ptrace"].median_ms; $S.runsc.median_ms)) as $key
  | (over($S["stockade-systrap"].median_ms; $S.crun.median_ms)) as $vs_crun
  | {
      benchmark: "sentry",
      description: "Stockade (native, ptrace, systrap with and without syscall-site patching) next to runsc (gVisor, ptrace), runc and crun: start to exit of run /bin/true, ns per getppid call and per pipe round trip",
      date: $date,
      machine: $machine,
      versions: ([$s.results[], $l.getppid.results[]] | map({(.runtime): .version}) | add // {}),
      summary: {
        stockade_ptrace_vs_runsc_start_to_exit: $key,
        goal_at_most: $goal,
        goal_met: (if $key then $key <= $goal else null end),
        stockade_systrap_vs_crun_start_to_exit: $vs_crun,
        stockade_systrap_vs_crun_goal_met: (if $vs_crun then $vs_crun <= 2 else null end),
        stockade_ptrace_vs_runsc_getppid: $L["stockade-ptrace"].ratio_to_baseline,
        stockade_systrap_vs_runsc_getppid: $L["stockade-systrap"].ratio_to_baseline,
        stockade_systrap_vs_host_getppid: $L["stockade-systrap"].ratio_to_host,
        stockade_systrap_getppid_goals_met: (if $L["stockade-systrap"]
          then $L["stockade-systrap"].ratio_to_host <= 8 and ($L["stockade-systrap"].ratio_to_baseline // 0) <= 0.1
          else null end),
        stockade_systrap_nopatch_vs_runsc_getppid: $L["stockade-systrap-nopatch"].ratio_to_baseline,
        stockade_systrap_nopatch_vs_host_getppid: $L["stockade-systrap-nopatch"].ratio_to_host,
        runtimes: [$names[] | {
          runtime: .,
          start_to_exit_median_ms: $S[.].median_ms,
          start_to_exit_vs_runsc: $S[.].ratio_to_baseline,
          getppid_median_ns: $L[.].median_ns,
          getppid_vs_runsc: $L[.].ratio_to_baseline,
          getppid_vs_host: $L[.].ratio_to_host,
          pingpong_median_ns: $P[.].median_ns,
          pingpong_vs_host: $P[.].ratio_to_host
        }]
      },
      start_to_exit: $s,
      syscall_loop: $l
    }' >"$RESULTS/sentry.json"

summary=$(jq -r "$BENCH_JQ_DEFS"'
  def met: if . == true then "met" elif . == false then "NOT met" else "not measured" end;
  .summary as $m
  | "**Stockade ptrace start-to-exit median / runsc median: \($m.stockade_ptrace_vs_runsc_start_to_exit | ratio)** (the claim: at most \($m.goal_at_most)×; \($m.goal_met | met) in this run).",
    "**Stockade systrap start-to-exit median / crun median: \($m.stockade_systrap_vs_crun_start_to_exit | ratio)** (the goal: at most 2×; \($m.stockade_systrap_vs_crun_goal_met | met)).",
    "**Stockade systrap (patched) getppid cost / host: \($m.stockade_systrap_vs_host_getppid | ratio); / runsc: \($m.stockade_systrap_vs_runsc_getppid | ratio)** (the goals: at most 8× and 0.1×; \($m.stockade_systrap_getppid_goals_met | met)).",
    "Stockade systrap without patching, getppid / host: \($m.stockade_systrap_nopatch_vs_host_getppid | ratio); / runsc: \($m.stockade_systrap_nopatch_vs_runsc_getppid | ratio). Stockade ptrace getppid / runsc: \($m.stockade_ptrace_vs_runsc_getppid | ratio).",
    "",
    "| runtime | start to exit, median (ms) | vs runsc | getppid, median (ns/call) | vs runsc | vs host | pipe round trip, median (ns) | vs host |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ($m.runtimes[] | "| \(.runtime) | \(.start_to_exit_median_ms | num(2)) | \(if .start_to_exit_median_ms then .start_to_exit_vs_runsc | ratio else "–" end) | \(.getppid_median_ns | num(1)) | \(if .getppid_median_ns then .getppid_vs_runsc | ratio else "–" end) | \(if .getppid_median_ns then .getppid_vs_host | ratio else "–" end) | \(.pingpong_median_ns | num(0)) | \(if .pingpong_median_ns then .pingpong_vs_host | ratio else "–" end) |")
  ' "$RESULTS/sentry.json")
{
  echo "# sentry: Stockade next to gVisor (runsc)"
  echo
  jq -r '"Measured \(.date) in one session on \(.machine.kernel), \(.machine.cpu), \(.machine.cpus) CPUs, \(.machine.cgroups). Medians; lower is better. A dash: not measured, or unavailable (see below)."' "$RESULTS/sentry.json"
  echo
  echo "$summary"
  echo
  jq '.start_to_exit' "$RESULTS/sentry.json" >"$TMP/s.json"
  bench_md_start_to_exit "$TMP/s.json" "## Start to exit of \`run /bin/true\` (start_to_exit.sh)"
  echo
  jq '.syscall_loop' "$RESULTS/sentry.json" >"$TMP/l.json"
  bench_md_syscall_loop "$TMP/l.json" "## System call and wake-up loops (syscall_loop.sh)"
} >"$RESULTS/sentry.md"

echo
echo "$summary"
echo
echo "results: $RESULTS/sentry.md, $RESULTS/sentry.json"
