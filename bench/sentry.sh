#!/usr/bin/env bash
# The Sentry next to its peers, in one session: start-to-exit of `run /bin/true`
# (start_to_exit.sh: Stockade native and ptrace, runsc, runc; ratios to runsc) and the cost of a
# getppid loop inside each container (syscall_loop.sh: host, Stockade native and ptrace, runsc).
# Writes bench/results/sentry_start_to_exit.{md,json} and bench/results/syscall_loop.{md,json}.
# Variables: those of the two scripts; see bench/README.md.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

BENCH_RUNTIMES=${BENCH_SENTRY_RUNTIMES:-stockade stockade-ptrace runsc runc} \
  BENCH_BASELINE=runsc BENCH_NAME=sentry_start_to_exit \
  bash "$BENCH_DIR/start_to_exit.sh"
echo
bash "$BENCH_DIR/syscall_loop.sh"
