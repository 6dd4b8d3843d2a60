#!/usr/bin/env bash
# The mutant hunt: builds the fuzz targets, the property suites and the TSan stress
# program, runs every killer against every mutant from scratch (the fuzzers from an
# empty corpus) and against the clean impl, then prints one row per mutant (fastest
# killer, seconds) and last a line `killed K/N mutants`. Exits 1 unless every mutant
# was killed with no false alarm.
#
#   ci/hunt.sh [--seconds N] [--mutant NAME]... [--killer NAME]... [--jobs J]
#              [--engine libfuzzer|afl] [--clean]
#
# --seconds  budget per fuzz/stress run (default 60; a property suite runs to its end)
# --jobs     runs at once (default 2)
# --mutant   hunt only these (repeatable)     --killer  run only these (repeatable)
# --engine   the fuzz targets' engine (default libfuzzer; afl: AFL++'s afl-fuzz)
# --clean    no mutant: every killer against impl/ as it is in the working tree ("does
#            any killer flag my patch?"); exits 1 with the findings when one does
# Also writes build/hunt/hunt.json and build/hunt/hunt.svg (time to kill, log scale).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

seconds=60 engine=libfuzzer args=() killers=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds|--mutant|--killer|--jobs|--engine)
      [ $# -ge 2 ] || { echo "error: $1 needs a value (see --help)" >&2; exit 2; } ;;&
    --seconds) seconds=$2; shift 2 ;;
    --killer) killers+=("$2"); args+=("$1" "$2"); shift 2 ;;
    --mutant|--jobs) args+=("$1" "$2"); shift 2 ;;
    --engine) engine=$2; args+=("$1" "$2"); shift 2 ;;
    --clean) args+=("$1"); shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

packages=("${BUILD_PACKAGES[@]}")
[ "$engine" = afl ] && packages+=("${OSS_FUZZ_PACKAGES[@]}")
ensure_packages "${packages[@]}"
cd "$ROOT"
engine_preset=fuzz
[ "$engine" = afl ] && engine_preset=afl
export_afl_settings
replays=()
for t in $(fuzz_targets); do replays+=("${t}_replay"); done
# The tsan preset's stress program only when the tsan_stress killer runs (by default
# every killer does).
stress=1
[ ${#killers[@]} -gt 0 ] && [[ " ${killers[*]} " != *" tsan_stress "* ]] && stress=0
what="the $engine_preset preset, and the property suites, replay programs and hunt under asan"
[ "$stress" = 1 ] && what+=", and the stress program under tsan"
echo "building $what..."
mkdir -p build/hunt
if ! { build_preset "$engine_preset" && build_preset asan --target hunt zbud_props zswap_props race_props "${replays[@]}" &&
       { [ "$stress" = 0 ] || build_preset tsan --target stress; }; } >build/hunt/build.log 2>&1; then
  tail -n 40 build/hunt/build.log >&2
  echo "error: the build failed (whole log: build/hunt/build.log)" >&2
  exit 2
fi
exec build/asan/tools/hunt --seconds "$seconds" "${args[@]}" --json build/hunt/hunt.json --svg build/hunt/hunt.svg
