#!/usr/bin/env bash
# The main command: builds the fuzz targets (libFuzzer + ASan/UBSan/LSan) and fuzzes
# each on a working copy of its corpus, then prints one row per target. Exits 1 when
# anything was found, naming each finding and the command that reproduces it.
#
#   ci/fuzz.sh [--seconds N] [--target NAME]... [--jobs J] [--merge]
#
# --seconds  time per target (default 60)     --jobs   libFuzzer fork-mode workers (default 1)
# --target   fuzz only these (repeatable)     --merge  minimise the working corpus back into corpus/
# ZSWAP_MUTANT=<name> fuzzes a mutant. The working corpora live in build/fuzz-work/<target>/
# and grow from run to run; the committed corpus changes only with --merge.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=60 jobs=1 merge=0 targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

ensure_packages "${BUILD_PACKAGES[@]}"
cd "$ROOT"
all_targets=()
for src in fuzz/*.cpp; do
  name=$(basename "$src" .cpp)
  [ "$name" = replay_main ] || all_targets+=("$name")
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "error: unknown target '$t'; targets: ${all_targets[*]}" >&2; exit 2; }
done

echo "building the fuzz preset (and repro under asan)..."
build_preset fuzz >/dev/null
build_preset asan --target repro >/dev/null
mutant=${ZSWAP_MUTANT:-}
prefix=${mutant:+ZSWAP_MUTANT=$mutant }

rows=() findings=()
for t in "${targets[@]}"; do
  work=build/fuzz-work/${mutant:-clean}/$t
  mkdir -p "$work/corpus" "$work/findings"
  [ -d "corpus/$t" ] && cp -n corpus/"$t"/* "$work/corpus/" 2>/dev/null || true
  before=$(ls "$work/corpus" | wc -l)
  found_before=$(ls "$work/findings" | wc -l)
  fork=()
  [ "$jobs" -gt 1 ] && fork=(-fork="$jobs")
  # Sequential programs: 512 bytes is 56 operations, several times what any reproducer
  # so far needs, and keeps runs short. Race programs need room for their schedule.
  case $t in zbud_diff|zswap_diff) fork+=(-max_len=512) ;; esac
  log=$work/last.log
  start_ms=$(date +%s%3N)
  # A finding makes libFuzzer exit non-zero; the table below reports it.
  build/fuzz/fuzz/"$t" "${fork[@]}" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/findings/" "$work/corpus" >"$log" 2>&1 || true
  elapsed_ms=$(( $(date +%s%3N) - start_ms ))
  stats=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  runs=$(echo "$stats" | sed -nE 's/^#([0-9]+).*/\1/p')
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | tail -1 | awk '{print $2}' || echo "${runs:-0}")
  cov=$(echo "$stats" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
  execs=$(( ${runs:-0} * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
  new=$(( $(ls "$work/corpus" | wc -l) - before ))
  new_findings=$(( $(ls "$work/findings" | wc -l) - found_before ))
  rows+=("$(printf '%-20s %10s %8s %8s %8s %9s %8s' "$t" "${runs:-0}" "$execs" "${cov:-?}" "$new" "$new_findings" "$((elapsed_ms / 1000)).$(( elapsed_ms % 1000 / 100 ))")")
  if [ "$new_findings" -gt 0 ]; then
    for f in $(ls -t "$work/findings" | head -n "$new_findings"); do
      case $t in
        zbud_diff|zswap_diff) cmd="${prefix}build/asan/tools/repro --target $t $work/findings/$f" ;;
        *) cmd="${prefix}build/asan/fuzz/${t}_replay $work/findings/$f" ;;
      esac
      seed=$(sed -nE 's/^INFO: Seed: ([0-9]+).*/\1/p' "$log" | head -1)
      findings+=("$t: $work/findings/$f"$'\n'"    first line: $(grep -m1 -E '^\[(divergence|invariant|harness bug)\]|ERROR: |kernel BUG' "$log" || echo '(see '"$log"')')"$'\n'"    repro: $cmd"$'\n'"    libFuzzer seed: ${seed:-?} (the run: build/fuzz/fuzz/$t -seed=${seed:-N} on the same working corpus)")
    done
  fi
  if [ "$merge" -eq 1 ]; then
    mkdir -p "corpus/$t"
    build/fuzz/fuzz/"$t" -merge=1 "corpus/$t" "$work/corpus" >/dev/null 2>&1
  fi
done

echo
echo "mutant: ${mutant:-none (clean impl)}; ${seconds}s per target, $jobs job(s)"
printf '%-20s %10s %8s %8s %8s %9s %8s\n' target runs exec/s coverage "new in" findings seconds
printf '%s\n' "${rows[@]}"
if [ ${#findings[@]} -gt 0 ]; then
  echo
  echo "FINDINGS:"
  printf '  %s\n' "${findings[@]}"
  exit 1
fi
echo "no findings"
