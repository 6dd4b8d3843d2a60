#!/usr/bin/env bash
# The test command: builds and runs every test under ASan+UBSan+LSan and under TSan,
# then the short mutant hunt that gates CI: every mutant must die and the clean impl
# must pass. A second run reuses the builds in build/<preset>.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages "${BUILD_PACKAGES[@]}" "${OSS_FUZZ_PACKAGES[@]}"
cd "$ROOT"
# The clean implementation with the default property settings, whatever the caller's shell has.
unset ZSWAP_MUTANT RC_PARAMS ZSWAP_PROPS_CORPUS GTEST_FILTER

status=0
for preset in asan tsan; do
  echo "=== $preset ==="
  build_preset "$preset"
  ctest --preset "$preset" || status=1
done

# The gate: the property suites kill every mutant in their default run (1,000 cases
# each) and run to their end, as the hunt runs every property suite (about five minutes
# in all). ci/hunt.sh runs the whole matrix, fuzzers included.
echo "=== mutant hunt (property suites) ==="
mkdir -p build/hunt
build/asan/tools/hunt --seconds 60 --killer zbud_props --killer zswap_props --killer race_props \
  --json build/hunt/gate.json --svg build/hunt/gate.svg || status=1
exit $status
