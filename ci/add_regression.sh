#!/usr/bin/env bash
# Minimises a finding and commits-ready stores it as a regression:
#   ci/add_regression.sh TARGET CRASH_FILE NAME      (the mutant comes from ZSWAP_MUTANT)
# writes corpus/regressions/TARGET/<mutant or "clean">.NAME. ctest then replays it both
# ways: it must fail with its mutant and pass without. A race finding (zswap_race) is
# minimised by repro --minimize: the fewest operations and threads that some schedule
# within 2 preemptions still fails with the same signature, saved with that schedule.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || { echo "usage: [ZSWAP_MUTANT=name] $0 TARGET CRASH_FILE NAME" >&2; exit 2; }
target=$1 crash=$2 name=$3
[ -r "$crash" ] || { echo "error: cannot read $crash" >&2; exit 2; }
cd "$ROOT"
out=corpus/regressions/$target/${ZSWAP_MUTANT:-clean}.$name
mkdir -p "$(dirname "$out")"
if [ "$target" = zswap_race ]; then
  build_preset asan --target repro >/dev/null
  build/asan/tools/repro --minimize --save "$out" "$crash" | grep -E '^(minimis|\[harness bug\])|nothing to minimise'
  exit "${PIPESTATUS[0]}"
fi
build_preset fuzz --target "$target" >/dev/null
tmp=$(mktemp -d)
build/fuzz/fuzz/"$target" -minimize_crash=1 -max_total_time=30 -exact_artifact_path="$tmp/min" \
  "$crash" >"$tmp/log" 2>&1 || true
if [ -s "$tmp/min" ]; then cp "$tmp/min" "$out"; else cp "$crash" "$out"; fi
rm -rf "$tmp"
echo "$out ($(wc -c <"$out") bytes)"
