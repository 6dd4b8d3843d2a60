#!/usr/bin/env bash
# The test command: builds and runs every test under ASan+UBSan+LSan and under TSan.
# A second run reuses the builds in build/<preset>.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages "${BUILD_PACKAGES[@]}"
cd "$ROOT"

status=0
for preset in asan tsan; do
  echo "=== $preset ==="
  build_preset "$preset"
  ctest --preset "$preset" || status=1
done
exit $status
