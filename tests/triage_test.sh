#!/usr/bin/env bash
# One row per bug: 50 distinct finding files of one bug (a regression of zbud_size_limit
# with 0..49 extra bytes after the diverging operation) and one input that finds
# nothing must triage into exactly two entries: the bug, counted 50 times with the
# original (smallest) file as its reproducer, and the input that did not reproduce.
#   triage_test.sh TRIAGE REPLAY_DIR REGRESSION_FILE
set -euo pipefail
triage=$1 replay_dir=$2 regression=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 0 49); do
  { cat "$regression"; head -c "$i" /dev/zero; } >"$dir/crash-$i"
done
printf '\1' >"$dir/clean-input"
out=$(ZSWAP_MUTANT=zbud_size_limit "$triage" --target zbud_diff --replay-dir "$replay_dir" "$dir")
echo "$out"
fail() { echo "FAIL: $*"; exit 1; }
grep -q '51 finding file(s), 2 distinct signature(s)' <<<"$out" || fail "expected 51 files in 2 entries"
grep -qE '^  divergence:zbud_alloc:return code  \(50 findings\)$' <<<"$out" || fail "the bug is not one entry of 50"
grep -qE "smallest: +$dir/crash-0 " <<<"$out" || fail "the smallest reproducer is not crash-0"
grep -qE "repro: +ZSWAP_MUTANT=zbud_size_limit build/asan/tools/repro --target zbud_diff $dir/crash-0$" <<<"$out" ||
  fail "no repro command for the smallest reproducer"
grep -qE '^  not reproduced: .*\(1 finding\)$' <<<"$out" || fail "the clean input is not an entry of its own"
echo "PASS: 50 findings of one bug are one entry"
