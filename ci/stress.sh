#!/usr/bin/env bash
# The long TSan lane: builds the free-running stress program under the tsan preset and
# runs 4 real threads and a swapoff/swapon cycler (no scheduler) against one swap system
# for N seconds, halting on TSan's first report. Prints the command that replays the run
# (same seed; thread interleavings still vary run to run) before starting and again on
# failure.
#
#   ci/stress.sh [--seconds N] [--seed S]
#
# --seconds  how long to run (default 600)
# --seed     the operations' random seed (default: the current time, `date +%s`)
# ZSWAP_MUTANT=<name> stresses a mutant. Exits with the stress program's status.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
need_value() { [ $# -ge 2 ] || { echo "error: $1 needs a value (see --help)" >&2; exit 2; }; }

seconds=600 seed=$(date +%s)
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) need_value "$@"; seconds=$2; shift 2 ;;
    --seed) need_value "$@"; seed=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ $seconds =~ ^[0-9]+([.][0-9]+)?$ && $seconds =~ [1-9] ]]; then
  echo "error: --seconds must be a positive number, not '$seconds'" >&2; exit 2
fi
[[ $seed =~ ^[0-9]+$ ]] || { echo "error: --seed must be an unsigned integer, not '$seed'" >&2; exit 2; }

ensure_packages "${BUILD_PACKAGES[@]}"
cd "$ROOT"
build_preset tsan --target stress

mutant=${ZSWAP_MUTANT:-}
replay="${mutant:+ZSWAP_MUTANT=$mutant }ci/stress.sh --seconds $seconds --seed $seed"
echo "stress: seed $seed, ${seconds}s, 4 threads (replay: $replay)"
status=0
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
  build/tsan/tests/stress --seconds "$seconds" --threads 4 --seed "$seed" || status=$?
[ "$status" -eq 0 ] || echo "stress FAILED (exit $status); replay: $replay" >&2
exit "$status"
