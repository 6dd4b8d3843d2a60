#!/bin/bash -eu
# The one build script for OSS-Fuzz and ClusterFuzzLite. Builds every fuzz target with
# what the environment gives: $CC $CXX $CFLAGS $CXXFLAGS (sanitizer and coverage flags
# included) and $LIB_FUZZING_ENGINE; $SANITIZER and $FUZZING_ENGINE are only reported.
# It adds no sanitizer or engine flag of its own. Into $OUT, per target: the binary,
# <target>_seed_corpus.zip (the committed corpus plus every regression the clean
# implementation passes), <target>.options (libFuzzer's max_len where the target caps
# its input) and <target>.dict (opcode and version bytes) where a dictionary helps.
# $WORK holds the build tree. ci/oss_fuzz_check.sh runs this script locally.

# The repository: this script's parent, or $SRC/zswap-harness when the image copied the
# script to $SRC (as ClusterFuzzLite's Dockerfile does).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -f "$here/../ci/lib.sh" ]; then root=$(cd "$here/.." && pwd); else root=$SRC/zswap-harness; fi
source "$root/ci/lib.sh"

echo "zswap-harness: engine ${FUZZING_ENGINE:-?} ($LIB_FUZZING_ENGINE), sanitizer ${SANITIZER:-?}"
echo "  CXX=$CXX CXXFLAGS=$CXXFLAGS"
build=$WORK/zswap-harness-build
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# No CMAKE_BUILD_TYPE: the optimisation level is the environment's, in $CXXFLAGS.
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DZSWAP_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DZSWAP_BUILD_TESTS=OFF
mapfile -t targets < <(fuzz_targets)
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}" corpus_gen

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
  cp "$build/fuzz/$t" "$OUT/"
  # The seed corpus: every committed input, and each regression that the clean
  # implementation passes (they all should; one that does not would stop the fuzzer).
  seeds=$scratch/$t
  mkdir -p "$seeds"
  [ -d "$root/corpus/$t" ] && cp "$root/corpus/$t"/* "$seeds/"
  for f in "$root/corpus/regressions/$t"/*; do
    [ -f "$f" ] || continue
    if ZSWAP_MUTANT= "$build/fuzz/$t" "$f" >/dev/null 2>&1; then
      cp "$f" "$seeds/regression.$(basename "$f")"
    else
      echo "warning: $f fails on the clean implementation: left out of the seed corpus" >&2
    fi
  done
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$seeds" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  max_len=$(fuzz_max_len "$t")
  if [ -n "$max_len" ]; then printf '[libfuzzer]\nmax_len = %s\n' "$max_len" >"$OUT/$t.options"; fi
  "$build/tools/corpus_gen" --dict "$t" >"$OUT/$t.dict" 2>/dev/null || rm -f "$OUT/$t.dict"
done
echo "zswap-harness: built ${targets[*]} into $OUT"
