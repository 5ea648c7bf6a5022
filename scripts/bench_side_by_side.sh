#!/usr/bin/env bash
# Runs several builds of ipabs-bench side by side (docs/performance.md): ROUNDS rounds, each
# running every given binary once in turn, so that a slow spell of a shared machine falls on
# all of them. Each output goes to OUT/NAME.ROUND (NAME = the binary's file name).
#
#   ROUNDS=3 OUT=/tmp/sbs scripts/bench_side_by_side.sh /path/bench-before /path/bench-after
#
# The bench reads the example deals from deals/, so it runs from the repository's root.
set -euo pipefail
ROUNDS=${ROUNDS:-2}
OUT=${OUT:-/tmp/sbs}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  for b in "$@"; do
    "$b" > "$OUT/$(basename "$b").$r" 2>&1
  done
done
# The fastest batch of each case, one line per binary and round.
for b in "$@"; do
  for r in $(seq 1 "$ROUNDS"); do
    echo "== $(basename "$b") round $r"
    grep -E "synthetic 15|without per-obligor|1,000-scenario" "$OUT/$(basename "$b").$r" || true
  done
done
