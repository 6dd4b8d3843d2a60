#!/usr/bin/env bash
# Builds and runs the store/load benchmark (release preset), then prints the ratios of
# the median CPU times per page: impl against the bare compressor and against ref.
# BUILD_JOBS=n limits the build's parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in libbenchmark-dev liblz4-dev libzstd-dev librapidcheck-dev libgtest-dev cmake ninja-build; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=$( ((EUID == 0)) || echo sudo)
  $sudo apt-get update
  $sudo apt-get install -y "${missing[@]}"
fi

cmake --preset release
cmake --build --preset release --target store_load_bench ${BUILD_JOBS:+-j "$BUILD_JOBS"}
build/release/bench/store_load_bench --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out=build/release/bench.json --benchmark_out_format=json

python3 - build/release/bench.json <<'PY'
import json, sys

NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
report = json.load(open(sys.argv[1]))
median = {b["run_name"]: b["cpu_time"] * NS[b["time_unit"]]
          for b in report["benchmarks"] if b.get("aggregate_name") == "median"}
print("\nmedian CPU time ratios (> 1: the first is slower)")
print("  " + report["context"].get("page_mix", ""))
for c in ("lz4", "zstd"):
    for label, a, b in (("impl store / raw compress", "BM_store/impl", "BM_store/raw"),
                        ("impl load / raw decompress", "BM_load/impl", "BM_load/raw"),
                        ("impl store / ref store", "BM_store/impl", "BM_store/ref"),
                        ("impl load / ref load", "BM_load/impl", "BM_load/ref")):
        x, y = median[f"{a}/{c}"], median[f"{b}/{c}"]
        print(f"  {c:4}  {label:27} {x / y:6.2f}   ({x:8.0f} ns / {y:8.0f} ns per page)")
PY
