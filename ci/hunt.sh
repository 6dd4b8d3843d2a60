#!/usr/bin/env bash
# The mutant hunt: builds the fuzz targets and the property suites, runs every killer
# against every mutant from scratch (the fuzzers from an empty corpus) and against the
# clean impl, then prints one row per mutant (fastest killer, seconds) and last a line
# `killed K/N mutants`. Exits 1 unless every mutant was killed with no false alarm.
#
#   ci/hunt.sh [--seconds N] [--mutant NAME]... [--killer NAME]... [--jobs J]
#
# --seconds  budget per run (default 60)      --jobs    runs at once (default 2)
# --mutant   hunt only these (repeatable)     --killer  run only these (repeatable)
# Also writes build/hunt/hunt.json and build/hunt/hunt.svg (time to kill, log scale).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=60 args=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds|--mutant|--killer|--jobs)
      [ $# -ge 2 ] || { echo "error: $1 needs a value (see --help)" >&2; exit 2; } ;;&
    --seconds) seconds=$2; shift 2 ;;
    --mutant|--killer|--jobs) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

ensure_packages "${BUILD_PACKAGES[@]}"
cd "$ROOT"
echo "building the fuzz preset, and the property suites and hunt under asan..."
mkdir -p build/hunt
if ! { build_preset fuzz && build_preset asan --target hunt zbud_props zswap_props race_props; } >build/hunt/build.log 2>&1; then
  tail -n 40 build/hunt/build.log >&2
  echo "error: the build failed (whole log: build/hunt/build.log)" >&2
  exit 2
fi
exec build/asan/tools/hunt --seconds "$seconds" "${args[@]}" --json build/hunt/hunt.json --svg build/hunt/hunt.svg
