#!/usr/bin/env bash
# Builds and runs the store/load benchmark (release preset), then prints throughput
# ratios from the medians of 5 repetitions: impl against the bare compressor (the
# upper bound; goal >= 0.9) and impl against ref. All figures come from one run, so
# a busy machine slows every side alike.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages "${BUILD_PACKAGES[@]}" python3
cd "$ROOT"

build_preset release --target store_load_bench
build/release/bench/store_load_bench --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out=build/release/bench.json --benchmark_out_format=json

python3 - build/release/bench.json <<'PY'
import json, sys

NS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
report = json.load(open(sys.argv[1]))
median = {b["run_name"]: b["cpu_time"] * NS[b["time_unit"]]
          for b in report["benchmarks"] if b.get("aggregate_name") == "median"}
print("\nthroughput ratios from median CPU time per page (> 1: impl is faster)")
print("  " + report["context"].get("page_mix", ""))
for c in ("lz4", "zstd"):
    for label, a, b in (("impl store / raw compress", "BM_store/impl", "BM_store/raw"),
                        ("impl load / raw decompress", "BM_load/impl", "BM_load/raw"),
                        ("impl store / ref store", "BM_store/impl", "BM_store/ref"),
                        ("impl load / ref load", "BM_load/impl", "BM_load/ref")):
        impl, base = median[f"{a}/{c}"], median[f"{b}/{c}"]
        print(f"  {c:4}  {label:27} {base / impl:6.2f}   ({impl:8.0f} ns vs {base:8.0f} ns per page)")
PY
