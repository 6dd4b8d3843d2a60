#!/usr/bin/env bash
# What interleaving coverage buys: time for zswap_race (libFuzzer, empty corpus) to kill
# each concurrency mutant with the coverage on and off, over several seeds; prints one
# row per mutant (median and maximum of each setting, "-" = survived the budget) and
# writes every run to build/race_kill_times.tsv.
#
#   ci/race_kill_times.sh [--seconds N] [--seeds S] [--jobs J] [--mutant NAME]...
#
# --seconds  budget per run (default 120)   --seeds  runs per mutant and setting (default 10)
# --jobs     runs at once (default 1)       --mutant only these (default: the concurrency
#            mutants, those with a race regression in corpus/regressions/zswap_race, and
#            the lock mutants)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=120 seeds=10 jobs=1 mutants=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds|--seeds|--jobs|--mutant)
      [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; } ;;&
    --seconds) seconds=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --mutant) mutants+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
ensure_packages "${BUILD_PACKAGES[@]}"
if [ ${#mutants[@]} -eq 0 ]; then
  for f in corpus/regressions/zswap_race/*.race; do mutants+=("$(basename "$f" .race)"); done
  mutants+=(refcount_unlocked reclaim_relock writeback_lock_inversion)
fi
build_preset fuzz --target zswap_race >/dev/null
work=build/race_kill_times
rm -rf "$work" && mkdir -p "$work"

# One run: prints "mutant setting seed seconds killed|survived".
one_run() {
  local mutant=$1 setting=$2 seed=$3 dir="$work/$1.$2.$3"
  mkdir -p "$dir/corpus"
  local start end
  start=$(date +%s.%N)
  ZSWAP_MUTANT=$mutant ZSWAP_INTERLEAVING_COVERAGE=$([ "$setting" = on ] && echo 1 || echo 0) \
    build/fuzz/fuzz/zswap_race -max_total_time="$seconds" -timeout=10 -seed="$seed" \
    -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1 || true
  end=$(date +%s.%N)
  local verdict=survived
  grep -qE '^\[(divergence|invariant)\]|ERROR: (Address|Leak)Sanitizer|runtime error:|kernel BUG' "$dir/log" &&
    verdict=killed
  echo "$mutant $setting $seed $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') $verdict"
}
export -f one_run
export work seconds
# The two settings of a seed side by side, so that they share whatever else loads the machine.
for m in "${mutants[@]}"; do
  for seed in $(seq 1 "$seeds"); do
    for setting in on off; do echo "$m $setting $seed"; done
  done
done | xargs -P "$jobs" -L 1 bash -c 'one_run "$@"' _ | tee build/race_kill_times.tsv

python3 - "$seconds" build/race_kill_times.tsv <<'PY'
import statistics, sys
budget, path = float(sys.argv[1]), sys.argv[2]
runs = {}
for line in open(path):
    m, setting, seed, secs, verdict = line.split()
    runs.setdefault(m, {}).setdefault(setting, []).append(float(secs) if verdict == "killed" else None)
def fmt(times):
    # a survivor counts as the budget: the median is honest while most runs kill
    t = sorted(x if x is not None else float("inf") for x in times)
    med = statistics.median_low(t) if len(t) % 2 else (t[len(t)//2 - 1] + t[len(t)//2]) / 2
    show = lambda v: "-" if v == float("inf") else f"{v:.1f}"
    killed = sum(x is not None for x in times)
    return f"{show(med)} | {show(t[-1])} | {killed}/{len(t)}"
print(f"\ntime to kill by zswap_race (seconds, budget {budget:.0f} s; '-' = survived)")
print("| mutant | on: median | on: max | on: killed | off: median | off: max | off: killed |")
print("|---|---|---|---|---|---|---|")
for m, s in runs.items():
    print(f"| {m} | {fmt(s.get('on', []))} | {fmt(s.get('off', []))} |")
PY
