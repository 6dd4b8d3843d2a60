#!/usr/bin/env bash
# Tests .clusterfuzzlite/build.sh as OSS-Fuzz and ClusterFuzzLite run it, without their
# Docker image: runs it in a scratch $OUT under an emulated environment (the compilers,
# flags and engine library OSS-Fuzz sets, -stdlib=libc++ included) for each
# configuration, then checks what OSS-Fuzz's build check checks: every target is in
# $OUT, carries the engine's and the sanitizer's instrumentation, and replays its seed
# corpus without a finding; and that the seed corpora, .options and .dict files are there.
#
#   ci/oss_fuzz_check.sh [--config NAME]... [--keep]
#
# --config  libfuzzer-address | libfuzzer-undefined | afl-address (default: all three)
# --keep    keep the scratch directories (their paths are printed)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

all_configs=(libfuzzer-address libfuzzer-undefined afl-address)
configs=() keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --config)
      [ $# -ge 2 ] || { echo "error: --config needs a value" >&2; exit 2; }
      [[ " ${all_configs[*]} " == *" $2 "* ]] || { echo "error: unknown config '$2'; configs: ${all_configs[*]}" >&2; exit 2; }
      configs+=("$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ ${#configs[@]} -gt 0 ] || configs=("${all_configs[@]}")
ensure_packages "${BUILD_PACKAGES[@]}" "${OSS_FUZZ_PACKAGES[@]}"
cd "$ROOT"

# OSS-Fuzz's flags (infra/base-images/base-builder), as its compile step sets them.
common="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
address="-fsanitize=address -fsanitize-address-use-after-scope"
ubsan_checks=array-bounds,bool,builtin,enum,float-divide-by-zero,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr
undefined="-fsanitize=$ubsan_checks -fno-sanitize-recover=${ubsan_checks/unsigned-integer-overflow,/}"
# The run-time options OSS-Fuzz's runner uses for these sanitizers.
export ASAN_OPTIONS=alloc_dealloc_mismatch=0:allocator_may_return_null=1:check_malloc_usable_size=0:detect_leaks=1:detect_odr_violation=0:detect_stack_use_after_return=1:handle_abort=1:handle_segv=1:handle_sigill=1:max_uar_stack_size_log=16:print_scariness=1:quarantine_size_mb=10:strict_memcmp=1:symbolize=1:use_sigaltstack=1:dedup_token_length=3
export UBSAN_OPTIONS=handle_abort=1:handle_segv=1:handle_sigill=1:halt_on_error=1:print_stacktrace=1:print_summary=1:silence_unsigned_overflow=1:symbolize=1:dedup_token_length=3

failures=0
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }

# check_target CONFIG ENGINE SANITIZER OUT TARGET
check_target() {
  local config=$1 engine=$2 sanitizer=$3 out=$4 t=$5
  local bin=$out/$t
  [ -x "$bin" ] || { fail "$config: $t is not in \$OUT"; return; }
  local symbols
  symbols=$(nm -C "$bin" 2>/dev/null || true)
  grep -q ' T LLVMFuzzerTestOneInput' <<<"$symbols" || fail "$config: $t has no LLVMFuzzerTestOneInput"
  case $engine in
    libfuzzer) grep -qE '__sanitizer_cov_(8bit_counters_init|trace_pc_guard)' <<<"$symbols" ||
      fail "$config: $t carries no libFuzzer coverage instrumentation" ;;
    afl) grep -q '__afl_area_ptr' <<<"$symbols" || fail "$config: $t carries no AFL++ instrumentation" ;;
  esac
  case $sanitizer in
    address) grep -q '__asan_report_load' <<<"$symbols" || fail "$config: $t is not built with ASan" ;;
    undefined) grep -q '__ubsan_handle_' <<<"$symbols" || fail "$config: $t is not built with UBSan" ;;
  esac
  [ -f "$out/${t}_seed_corpus.zip" ] || { fail "$config: no ${t}_seed_corpus.zip"; return; }
  [ -z "$(fuzz_max_len "$t")" ] || grep -q "max_len = $(fuzz_max_len "$t")" "$out/$t.options" 2>/dev/null ||
    fail "$config: $t.options does not set max_len"
  case $t in zbud_diff|zswap_diff|zswap_race)
    grep -q '^version="' "$out/$t.dict" 2>/dev/null || fail "$config: $t.dict is missing or has no version entry" ;;
  esac
  local seeds=$out/seeds/$t
  mkdir -p "$seeds"
  unzip -q -o "$out/${t}_seed_corpus.zip" -d "$seeds"
  local count log=$out/seeds/$t.log
  count=$(find "$seeds" -type f | wc -l)
  [ "$count" -gt 0 ] || { fail "$config: $t's seed corpus is empty"; return; }
  # libFuzzer runs a corpus directory with -runs=0; AFL++'s driver runs each file it is given.
  local run=("$bin" -runs=0 "$seeds")
  [ "$engine" = afl ] && run=("$bin" "$seeds"/*)
  if ZSWAP_MUTANT= timeout 600 "${run[@]}" >"$log" 2>&1; then
    echo "  ok: $t (instrumented, $count seeds replayed clean)"
  else
    fail "$config: $t's seed corpus ends in a finding (exit $?): $(grep -m1 -E '^\[(divergence|invariant|harness bug)\]|ERROR: |runtime error:' "$log" || tail -n 3 "$log")"
  fi
}

for config in "${configs[@]}"; do
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/oss-fuzz-$config-XXXXXX")
  mkdir -p "$scratch/out" "$scratch/work"
  engine=${config%%-*} sanitizer=${config#*-}
  echo "=== $config (scratch: $scratch) ==="
  if [ "$engine" = afl ]; then
    cc=afl-clang-fast cxx=afl-clang-fast++ lib=/usr/lib/afl/libAFLDriver.a flags="$common ${!sanitizer}"
  else
    # Debian's libFuzzer runtime is built against libstdc++ (OSS-Fuzz's carries a private
    # libc++), so a -stdlib=libc++ program links libstdc++ beside it for libFuzzer alone.
    cc=clang-14 cxx=clang++-14 lib="-fsanitize=fuzzer -Wl,--push-state,--no-as-needed,-l:libstdc++.so.6,--pop-state" flags="$common ${!sanitizer} -fsanitize=fuzzer-no-link"
  fi
  # AFL++'s compiler wrappers drive Debian's clang 14 (as OSS-Fuzz's drive its clang).
  if ! env -i PATH="$PATH" HOME="${HOME:-/root}" AFL_LLVM_INSTRUMENT=PCGUARD AFL_QUIET=1 \
      CC="$cc" CXX="$cxx" CFLAGS="$flags" CXXFLAGS="$flags -stdlib=libc++" LIB_FUZZING_ENGINE="$lib" \
      SANITIZER=$sanitizer FUZZING_ENGINE=$engine ARCHITECTURE=x86_64 \
      SRC="$scratch" OUT="$scratch/out" WORK="$scratch/work" \
      bash -eu .clusterfuzzlite/build.sh >"$scratch/build.log" 2>&1; then
    tail -n 30 "$scratch/build.log"
    fail "$config: build.sh failed (log: $scratch/build.log)"
    keep=1
    continue
  fi
  before=$failures
  for t in $(fuzz_targets); do check_target "$config" "$engine" "$sanitizer" "$scratch/out" "$t"; done
  [ "$failures" -eq "$before" ] || keep=1
  [ "$keep" -eq 1 ] || rm -rf "$scratch"
done
if [ "$failures" -gt 0 ]; then
  echo "oss-fuzz check: $failures failure(s)"
  exit 1
fi
echo "oss-fuzz check: ${configs[*]}: every target built, instrumented and clean on its seed corpus"
