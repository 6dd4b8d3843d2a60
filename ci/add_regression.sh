#!/usr/bin/env bash
# Minimises a finding and commits-ready stores it as a regression:
#   ci/add_regression.sh TARGET CRASH_FILE NAME      (the mutant comes from ZSWAP_MUTANT)
# writes corpus/regressions/TARGET/<mutant or "clean">.NAME. ctest then replays it both
# ways: it must fail with its mutant and pass without.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
[ $# -eq 3 ] || { echo "usage: [ZSWAP_MUTANT=name] $0 TARGET CRASH_FILE NAME" >&2; exit 2; }
target=$1 crash=$2 name=$3
[ -r "$crash" ] || { echo "error: cannot read $crash" >&2; exit 2; }
cd "$ROOT"
build_preset fuzz --target "$target" >/dev/null
out=corpus/regressions/$target/${ZSWAP_MUTANT:-clean}.$name
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
build/fuzz/fuzz/"$target" -minimize_crash=1 -max_total_time=30 -exact_artifact_path="$tmp/min" \
  "$crash" >"$tmp/log" 2>&1 || true
if [ -s "$tmp/min" ]; then cp "$tmp/min" "$out"; else cp "$crash" "$out"; fi
rm -rf "$tmp"
echo "$out ($(wc -c <"$out") bytes)"
