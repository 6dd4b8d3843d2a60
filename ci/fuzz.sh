#!/usr/bin/env bash
# The main command: builds the fuzz targets (ASan/UBSan/LSan, under libFuzzer or AFL++)
# and fuzzes each on a working copy of its corpus with J workers, then prints one row per
# target. Exits 1 when anything was found, with one entry per distinct bug (signature):
# its count, its smallest reproducer and the command that reproduces it; 2 on bad
# arguments, or when a worker stopped early without a finding or a merge/prune failed.
#
#   ci/fuzz.sh [--seconds N] [--target NAME]... [--engine libfuzzer|afl] [--jobs J]
#              [--keep-going] [--seed S] [--merge] [--prune]
#
# --seconds     time per target (default 60)   --target  fuzz only these (repeatable)
# --engine      libfuzzer (default) or afl      --jobs    workers per target (default: the cores)
# --keep-going  fuzz to the end of the budget after a finding (a nightly run), instead of
#               stopping the target at its first finding (the time to find it)
# --seed        the run's seed (default: the clock); worker i uses S+i, a restart S+i+J...
# --merge       add the inputs with new coverage to corpus/<target>/ (libFuzzer's merge)
# --prune       replace corpus/<target>/ by a minimal set covering it and the working corpus
#               (libFuzzer's set-cover merge, the corpus pruning ClusterFuzz runs nightly)
# ZSWAP_MUTANT=<name> fuzzes a mutant. Working corpora live in build/fuzz-work/<mutant or
# clean>/<target>/corpus, shared by both engines, and grow from run to run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=60 engine=libfuzzer jobs=$(nproc) keep_going=0 merge=0 prune=0 seed=$(date +%s) targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds|--target|--engine|--jobs|--seed)
      [ $# -ge 2 ] || { echo "error: $1 needs a value (see --help)" >&2; exit 2; } ;;&
    --seconds) seconds=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --keep-going) keep_going=1; shift ;;
    --merge) merge=1; shift ;;
    --prune) prune=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$seconds" "$jobs" "$seed"; do
  [[ $n =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] || { echo "error: '$n' is not a positive number" >&2; exit 2; }
done
case $engine in libfuzzer|afl) ;; *) echo "error: --engine is libfuzzer or afl, not '$engine'" >&2; exit 2 ;; esac

# The committed corpus is the clean implementation's: a mutant's crashes do not belong in it.
if [ $((merge + prune)) -gt 0 ] && [ -n "${ZSWAP_MUTANT:-}" ]; then
  echo "error: --merge and --prune write corpus/: run them on the clean impl (unset ZSWAP_MUTANT)" >&2
  exit 2
fi
packages=("${BUILD_PACKAGES[@]}")
[ "$engine" = afl ] && packages+=("${OSS_FUZZ_PACKAGES[@]}")
ensure_packages "${packages[@]}"
cd "$ROOT"
mapfile -t all_targets < <(fuzz_targets)
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "error: unknown target '$t'; targets: ${all_targets[*]}" >&2; exit 2; }
done

echo "building the $engine targets (and repro, triage and the replay programs under asan)..."
if [ "$engine" = afl ]; then build_preset afl >/dev/null; bin_dir=build/afl/fuzz; else build_preset fuzz >/dev/null; bin_dir=build/fuzz/fuzz; fi
[ "$prune" -eq 0 ] && [ "$merge" -eq 0 ] || build_preset fuzz >/dev/null  # merging is libFuzzer's
replays=()
for t in "${targets[@]}"; do replays+=("${t}_replay"); done
build_preset asan --target repro triage "${replays[@]}" >/dev/null
mutant=${ZSWAP_MUTANT:-}
export_afl_settings

# The executions one worker log reports: libFuzzer's final count, else its last status
# line (a worker stopped early); AFL++'s fuzzer_stats.
runs_of() {
  if [ "$engine" = afl ]; then
    sed -nE 's/^execs_done +: ([0-9]+)/\1/p' "$1" 2>/dev/null || true
  else
    local n
    n=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$1" | tail -1 | awk '{print $2}' || true)
    [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$1" | tail -1 | tr -d '#' || true)
    echo "${n:-0}"
  fi
}
# The runs a zswap target's worker made under zstd (it prints its count at exit); empty
# for the other targets and under AFL++, which does not keep the target's output.
zstd_runs_of() {
  grep -oE 'runs by compressor: lz4 [0-9]+, zstd [0-9]+' "$1" 2>/dev/null | tail -1 | awk '{print $NF}' || true
}
coverage_of() {
  if [ "$engine" = afl ]; then sed -nE 's/^edges_found +: ([0-9]+)/\1/p' "$1" 2>/dev/null || true
  else grep -oE 'cov: [0-9]+' "$1" | tail -1 | awk '{print $2}' || true; fi
}

# start_worker TARGET WORKER_INDEX SECONDS_LEFT: starts one engine process in the background.
start_worker() {
  local t=$1 i=$2 left=$3 s=$((seed + $2 + jobs * restarts))
  local max_len
  max_len=$(fuzz_max_len "$t")
  if [ "$engine" = afl ]; then
    # One main instance and secondaries on one output directory, as AFL++ runs on many cores.
    # A restarted worker is a new instance (AFL++ does not reuse an instance directory).
    local name=main$restarts role
    [ "$i" -eq 0 ] || name=worker${i}r$restarts
    role=(-M "$name")
    [ "$i" -eq 0 ] || role=(-S "$name")
    local crash_stop=()
    [ "$keep_going" -eq 1 ] || crash_stop=(env AFL_BENCH_UNTIL_CRASH=1)
    "${crash_stop[@]}" afl-fuzz "${role[@]}" -i "$work/corpus" -o "$work/afl" -V "$left" -s "$s" -t 10000 \
      ${max_len:+-G "$max_len"} -- "$bin_dir/$t" >"$work/logs/worker$i.seed$s.log" 2>&1 &
    worker_crashes[$!]=$work/afl/$name
  else
    "$bin_dir/$t" -seed="$s" -max_total_time="$left" -timeout=10 -print_final_stats=1 ${max_len:+-max_len=$max_len} \
      -artifact_prefix="$work/findings/" "$work/corpus" >"$work/logs/worker$i.seed$s.log" 2>&1 &
  fi
  worker_of[$!]=$i
  worker_log[$!]=$work/logs/worker$i.seed$s.log
}

# found_by PID: did that (ended) worker save a finding? libFuzzer names the file it
# writes in its log (a crash, leak, timeout or OOM); AFL++ saves crashes and hangs in its
# instance directory.
found_by() {
  if [ "$engine" = afl ]; then
    [ -n "$(find "${worker_crashes[$1]}"/crashes "${worker_crashes[$1]}"/hangs -name 'id:*' 2>/dev/null || true)" ]
  else
    grep -q 'Test unit written to' "${worker_log[$1]}"
  fi
}

# fuzz_target TARGET: runs the workers to the budget, or to the first finding. A worker
# that ends early without a finding is a problem of the run (reported, not restarted).
fuzz_target() {
  local t=$1 deadline=$(( $(date +%s) + seconds )) pid i left
  declare -gA worker_of=() worker_log=() worker_crashes=()
  restarts=0
  for ((i = 0; i < jobs; i++)); do start_worker "$t" "$i" "$seconds"; done
  while [ ${#worker_of[@]} -gt 0 ]; do
    pid=
    wait -n -p pid "${!worker_of[@]}" || true
    [ -n "$pid" ] || break
    i=${worker_of[$pid]}
    unset "worker_of[$pid]"
    left=$(( deadline - $(date +%s) ))
    [ "$left" -gt 1 ] || continue
    if ! found_by "$pid"; then
      problems+=("$t: worker $i stopped after $(( seconds - left )) s without a finding: ${worker_log[$pid]}:"$'\n'"$(tail -n 5 "${worker_log[$pid]}" | sed 's/^/      /')")
      continue
    fi
    if [ "$keep_going" -eq 0 ]; then
      # The first finding stops the target: that is its time to find it.
      for pid in "${!worker_of[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
      wait "${!worker_of[@]}" 2>/dev/null || true
      break
    fi
    # --keep-going: the worker restarts with a new seed, on the time that is left.
    quarantine_crashers
    restarts=$((restarts + 1))
    start_worker "$t" "$i" "$left"
  done
}

# --keep-going: an input of the working corpus that crashes would stop every restarted
# libFuzzer worker at once; it moves to $work/crashers/ (its crash file is kept).
quarantine_crashers() {
  [ "$engine" = libfuzzer ] || return 0  # AFL++ skips crashing inputs itself
  local crash sums f
  sums=$(for crash in "$work"/findings/*; do sha1sum <"$crash" | cut -c1-40; done)
  mkdir -p "$work/crashers"
  for f in "$work"/corpus/*; do
    grep -qx "$(sha1sum <"$f" | cut -c1-40)" <<<"$sums" && mv "$f" "$work/crashers/"
  done
  return 0
}

# copy_new FROM TO: copies unless TO exists (cp -n, whose exit status changed in coreutils 9.2).
copy_new() {
  [ -e "$2" ] || cp "$1" "$2"
}

# The files in a directory (0 when it does not exist).
count_files() {
  if [ -d "$1" ]; then find "$1" -maxdepth 1 -type f | wc -l; else echo 0; fi
}

rows=() reports=() problems=()
for t in "${targets[@]}"; do
  work=build/fuzz-work/${mutant:-clean}/$t
  mkdir -p "$work/corpus" "$work/findings"
  rm -rf "$work/logs" "$work/afl"
  mkdir -p "$work/logs"
  if [ -d "corpus/$t" ]; then
    for f in corpus/"$t"/*; do copy_new "$f" "$work/corpus/$(basename "$f")"; done
  fi
  before=$(ls "$work/corpus" | wc -l)
  # Findings are the files written from now on: libFuzzer names a crash by its content,
  # so finding an input again rewrites (and so dates) the same file.
  touch "$work/.start"
  quarantined_before=$(count_files "$work/crashers")
  start_ms=$(date +%s%3N)
  fuzz_target "$t"
  elapsed_ms=$(( $(date +%s%3N) - start_ms ))
  # Each worker's figures: libFuzzer's log, AFL++'s fuzzer_stats (runs summed, coverage the best).
  worker_stats=("$work"/logs/*.log)
  [ "$engine" = libfuzzer ] || worker_stats=("$work"/afl/*/fuzzer_stats)
  runs=0 cov=0 zstd=-
  for stats in "${worker_stats[@]}"; do
    [ -f "$stats" ] || continue
    runs=$(( runs + $(runs_of "$stats") ))
    z=$(zstd_runs_of "$stats")
    [ -z "$z" ] || zstd=$(( ${zstd/-/0} + z ))
    c=$(coverage_of "$stats")
    [ "${c:-0}" -le "$cov" ] || cov=$c
  done
  if [ "$engine" = afl ]; then
    # The working corpus takes AFL++'s new queue entries, named by content as libFuzzer's are.
    for f in "$work"/afl/*/queue/id:*; do
      [ -f "$f" ] && [[ $f != *orig:* ]] || continue
      copy_new "$f" "$work/corpus/$(sha1sum "$f" | cut -c1-40)"
    done
    # Crashes and hangs (AFL++ -t 10000 as libFuzzer's -timeout=10), named as libFuzzer names them.
    for f in "$work"/afl/*/crashes/id:* "$work"/afl/*/hangs/id:*; do
      [ -f "$f" ] || continue
      kind=crash
      [[ $f != */hangs/* ]] || kind=timeout
      cp "$f" "$work/findings/$kind-$(sha1sum "$f" | cut -c1-40)"
    done
  fi
  execs=$(( runs * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
  quarantined=$(count_files "$work/crashers")
  new=$(( $(ls "$work/corpus" | wc -l) + quarantined - quarantined_before - before ))
  mapfile -t new_findings < <(find "$work/findings" -type f -newer "$work/.start" | sort)
  rows+=("$(printf '%-20s %10s %10s %8s %8s %8s %9s %8s' "$t" "$runs" "$zstd" "$execs" "$cov" "$new" "${#new_findings[@]}" "$((elapsed_ms / 1000)).$(( elapsed_ms % 1000 / 100 ))")")
  if [ ${#new_findings[@]} -gt 0 ]; then
    reports+=("$(build/asan/tools/triage --target "$t" "${new_findings[@]}")"$'\n'"    engine: $engine, run seed $seed; each worker's seed is in its log's name: $work/logs/worker<i>.seed<S>.log")
  fi
  [ $((merge + prune)) -eq 0 ] || mkdir -p "corpus/$t"
  if [ "$merge" -eq 1 ] && ! build/fuzz/fuzz/"$t" -merge=1 "corpus/$t" "$work/corpus" >"$work/logs/merge.log" 2>&1; then
    problems+=("$t: the merge into corpus/$t failed (see $work/logs/merge.log)")
  fi
  if [ "$prune" -eq 1 ]; then
    pruned=$(mktemp -d)
    if ! build/fuzz/fuzz/"$t" -merge=1 "$pruned" "corpus/$t" "$work/corpus" >"$work/logs/prune.log" 2>&1 ||
        [ "$(count_files "$pruned")" -eq 0 ]; then
      problems+=("$t: pruning failed or kept no input (see $work/logs/prune.log); corpus/$t left as it was")
    else
      echo "pruned corpus/$t: $(count_files "corpus/$t") -> $(count_files "$pruned") inputs"
      rm -rf "corpus/$t" && mkdir -p "corpus/$t" && cp "$pruned"/* "corpus/$t/"
    fi
    rm -rf "$pruned"
  fi
done

echo
echo "mutant: ${mutant:-none (clean impl)}; engine $engine; ${seconds}s per target, $jobs worker(s); seed $seed"
printf '%-20s %10s %10s %8s %8s %8s %9s %8s\n' target runs "zstd runs" exec/s coverage "new in" findings seconds
printf '%s\n' "${rows[@]}"
if [ ${#problems[@]} -gt 0 ]; then
  echo
  echo "PROBLEMS (workers that stopped early without a finding, failed merges or prunes):"
  printf '  %s\n' "${problems[@]}"
fi
if [ ${#reports[@]} -gt 0 ]; then
  echo
  echo "FINDINGS (one entry per signature):"
  printf '%s\n' "${reports[@]}"
  exit 1
fi
[ ${#problems[@]} -eq 0 ] || exit 2
echo "no findings"
