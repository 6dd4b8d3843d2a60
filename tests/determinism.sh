#!/usr/bin/env bash
# determinism.sh REPRO FILE N: replays a zswap_race input N times, each in a fresh
# process, and checks that every run prints the same interleaving and verdict (after
# masking what legitimately varies: pids, addresses, OS thread numbers).
set -uo pipefail
repro=$1 file=$2 runs=$3
normalise() {
  sed -E 's/==[0-9]+==/==PID==/g; s/0x[0-9a-f]+/ADDR/g; s/\bT[0-9]{3,}\b/T#/g; s/thread T[0-9]+/thread T#/g'
}
reference=$("$repro" --target zswap_race "$file" 2>&1 | normalise)
[ -n "$reference" ] || { echo "no output from $repro"; exit 1; }
for i in $(seq 2 "$runs"); do
  if [ "$("$repro" --target zswap_race "$file" 2>&1 | normalise)" != "$reference" ]; then
    echo "[harness bug] run $i of $file differs from run 1 (interleaving or verdict)"
    exit 1
  fi
done
echo "identical interleaving and verdict in $runs runs:"
echo "$reference" | grep -E '^\[|SUMMARY|^PASS' | head -3
