#!/usr/bin/env bash
# Builds and runs the benchmarks (release preset) in 5 rounds and prints the medians:
#   zbud_bench: alloc+free ops/s of the zbud churn;
#   store_load_bench: throughput of impl against the bare compressor (the upper bound;
#   goal >= 0.9; measured in alternating passes in one process, BM_paired_*) and impl
#   against ref.
# ci/bench.sh --baseline REV also builds REV in build/baseline/ with this tree's
# zbud_bench.cpp (the same workload against REV's zbud) and runs the two zbud_bench
# programs alternately in each round, printing new, baseline and new / baseline. Rounds
# spread every figure over the whole run, so a busy machine slows every side alike.
set -euo pipefail
usage() { echo "usage: ci/bench.sh [--baseline REV]" >&2; exit 2; }
baseline=
case $# in
  0) ;;
  2) [ "$1" = --baseline ] || usage; baseline=$2 ;;
  *) usage ;;
esac
ROUNDS=5

source "$(dirname "$0")/lib.sh"
ensure_packages "${BUILD_PACKAGES[@]}" python3
cd "$ROOT"

build_preset release --target store_load_bench zbud_bench
programs=(new=build/release/bench/zbud_bench)

if [ -n "$baseline" ]; then
  rev=$(git rev-parse --verify "$baseline^{commit}")
  src=build/baseline/src
  if [ "$(cat build/baseline/rev 2>/dev/null)" != "$rev" ]; then
    rm -rf build/baseline
    mkdir -p "$src"
    git archive "$rev" | tar -x -C "$src"
    echo "$rev" >build/baseline/rev
  fi
  # The same workload against REV's zbud: this tree's benchmark, added to REV's bench/.
  cp bench/zbud_bench.cpp "$src/bench/"
  grep -q zbud_bench "$src/bench/CMakeLists.txt" ||
    grep zbud_bench bench/CMakeLists.txt >>"$src/bench/CMakeLists.txt"
  [ -f build/baseline/build/build.ninja ] ||
    cmake --preset release -S "$src" -B build/baseline/build >/dev/null
  cmake --build build/baseline/build --target zbud_bench
  programs+=(baseline=build/baseline/build/bench/zbud_bench)
fi

# Runs a benchmark program into $runs/NAME.json (its output in NAME.log, shown if it fails).
run_into() {
  local name=$1
  shift
  "$@" --benchmark_out="$runs/$name.json" --benchmark_out_format=json >"$runs/$name.log" 2>&1 ||
    { cat "$runs/$name.log"; exit 1; }
}

runs=build/release/bench_runs
rm -rf "$runs"
mkdir -p "$runs"
mapfile -t zbud_benchmarks < <(build/release/bench/zbud_bench --benchmark_list_tests)
mapfile -t store_load_benchmarks < <(build/release/bench/store_load_bench --benchmark_list_tests)
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS"
  # Alternate which side goes first, so a drift in the machine's load favours neither.
  if [ $((round % 2)) -eq 1 ]; then
    order=("${programs[@]}")
  else
    mapfile -t order < <(printf '%s\n' "${programs[@]}" | tac)
  fi
  # Each benchmark in a process of its own: what one leaves in the heap would change
  # the placement, and so the speed, of the next.
  for i in "${!zbud_benchmarks[@]}"; do
    for entry in "${order[@]}"; do
      run_into "zbud.${entry%%=*}.$round.$i" "${entry#*=}" --benchmark_filter="^${zbud_benchmarks[$i]}\$"
    done
  done
  for i in "${!store_load_benchmarks[@]}"; do
    run_into "store_load.$round.$i" build/release/bench/store_load_bench \
      --benchmark_filter="^${store_load_benchmarks[$i]}\$"
  done
done

python3 - "$runs" <<'PY'
import glob, json, os, statistics, sys

runs_dir = sys.argv[1]
ops = {}  # side -> benchmark -> [ops/s of each round]
for path in sorted(glob.glob(os.path.join(runs_dir, "zbud.*.json"))):
    side = os.path.basename(path).split(".")[1]
    for b in json.load(open(path))["benchmarks"]:
        name = b["name"].split("/iterations:")[0]
        if b.get("error_occurred"):
            sys.exit(f"{path}: {name}: {b['error_message']}")
        ops.setdefault(side, {}).setdefault(name, []).append(b["ops_per_s"])
rounds = len(next(iter(ops["new"].values())))
print(f"\nzbud churn, alloc+free ops/s (median of {rounds} rounds)")
if "baseline" in ops:
    print(f"  {'':40} {'new':>12} {'baseline':>12} {'new/baseline':>13}")
for name, values in ops["new"].items():
    new = statistics.median(values)
    line = f"  {name:40} {new:12,.0f}"
    if "baseline" in ops:
        base = statistics.median(ops["baseline"][name])
        line += f" {base:12,.0f} {new / base:13.2f}"
    print(line)

NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
per_page = {}  # benchmark -> [CPU time per page of each round]
paired = {}    # BM_paired_* -> [raw_over_impl of each round]
for path in glob.glob(os.path.join(runs_dir, "store_load.*.json")):
    report = json.load(open(path))
    for b in report["benchmarks"]:
        if b.get("error_occurred"):
            sys.exit(f"{path}: {b['name']}: {b['error_message']}")
        if "raw_over_impl" in b:
            paired.setdefault(b["run_name"], []).append(b["raw_over_impl"])
        else:
            per_page.setdefault(b["run_name"], []).append(b["cpu_time"] * NS[b["time_unit"]])
median = {name: statistics.median(values) for name, values in per_page.items()}
print(f"\nthroughput ratios, medians of {rounds} rounds (> 1: impl is faster)")
print("  " + report["context"].get("page_mix", ""))
for c in ("lz4", "zstd"):
    # Against the compressor: passes of the two in turn, in one process (BM_paired_*).
    for label, name, base in (("impl store / raw compress", "BM_paired_store", "BM_store/raw"),
                              ("impl load / raw decompress", "BM_paired_load", "BM_load/raw")):
        ratio = statistics.median(paired[f"{name}/impl_vs_raw/{c}"])
        print(f"  {c:4}  {label:27} {ratio:6.2f}   (paired passes; raw alone {median[f'{base}/{c}']:8.0f} ns per page)")
    for label, a, b in (("impl store / ref store", "BM_store/impl", "BM_store/ref"),
                        ("impl load / ref load", "BM_load/impl", "BM_load/ref")):
        impl, base = median[f"{a}/{c}"], median[f"{b}/{c}"]
        print(f"  {c:4}  {label:27} {base / impl:6.2f}   ({impl:8.0f} ns vs {base:8.0f} ns per page)")
PY
