#!/usr/bin/env bash
# Source-based coverage (clang) of impl/ and ref/ from replaying the committed corpus
# and regressions of every fuzz target. Writes an HTML report to build/coverage/html/
# and prints line and branch coverage of impl/ and ref/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages "${BUILD_PACKAGES[@]}"
cd "$ROOT"

build_preset coverage >/dev/null
profiles=build/coverage/profiles
rm -rf "$profiles" && mkdir -p "$profiles"
objects=()
for replay in build/coverage/fuzz/*_replay; do
  target=$(basename "$replay" _replay)
  inputs=()
  [ -d "corpus/$target" ] && inputs+=("corpus/$target")
  [ -d "corpus/regressions/$target" ] && inputs+=("corpus/regressions/$target")
  [ ${#inputs[@]} -gt 0 ] || continue
  LLVM_PROFILE_FILE="$profiles/$target-%p.profraw" ZSWAP_MUTANT= "$replay" "${inputs[@]}" >/dev/null
  objects+=(-object "$replay")
done
llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o build/coverage/merged.profdata
cov=(-instr-profile=build/coverage/merged.profdata "${objects[@]:1}")
llvm-cov-14 show "${cov[@]}" -format=html -output-dir=build/coverage/html -show-branches=count \
  impl ref >/dev/null
echo "coverage from replaying corpus/ (HTML: build/coverage/html/index.html)"
printf '%-6s %8s %8s %9s\n' dir lines branches functions
for dir in impl ref; do
  llvm-cov-14 report "${cov[@]}" "$dir" | awk -v d="$dir" '/^TOTAL/ {
    # TOTAL regions missed cover% functions missed exec% lines missed cover% branches missed cover%
    printf "%-6s %8s %8s %9s\n", d "/", $10, $13, $7 }'
done
