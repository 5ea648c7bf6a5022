#!/usr/bin/env bash
# Fuzzes the deal loader and engine (fuzz target `deal_loader`) for SECONDS (default 60), then
# prints the executions, the crashes found and where they are. See docs/robustness.md.
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs `cargo install cargo-fuzz`. cargo-fuzz passes nightly-only flags (-Z...) to rustc; the
# project's toolchain is stable, so RUSTC_BOOTSTRAP=1 lets stable rustc accept them. The
# sanitizer defaults to none (FUZZ_SANITIZER=address to try ASan): ipabs is safe Rust, so
# panics, aborts, timeouts and memory blow-ups are what the campaign looks for.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_TO_RUN="${1:-60}"
SANITIZER="${FUZZ_SANITIZER:-none}"
JOBS="${FUZZ_JOBS:-1}"
export RUSTC_BOOTSTRAP=1

mkdir -p corpus/deal_loader artifacts/deal_loader
before=$(find artifacts/deal_loader -type f | wc -l)
log="artifacts/deal_loader/last-run.log"

set +e
cargo fuzz run --sanitizer "$SANITIZER" deal_loader corpus/deal_loader -- \
  -dict=toml.dict -max_total_time="$SECONDS_TO_RUN" -timeout=20 -rss_limit_mb=4096 \
  -max_len=32768 -print_final_stats=1 -jobs="$JOBS" -workers="$JOBS" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

after=$(find artifacts/deal_loader -type f ! -name '*.log' | wc -l)
execs=$(grep -h 'stat::number_of_executed_units' "$log" fuzz-*.log 2>/dev/null | awk '{s += $2} END {print s + 0}')
echo "=== deal_loader: ${SECONDS_TO_RUN}s, sanitizer ${SANITIZER}, exit status ${status}"
echo "=== executions: ${execs}"
echo "=== crash/timeout/oom artifacts: ${after} (before this run: ${before})"
find artifacts/deal_loader -type f ! -name '*.log' -newer "$log" -printf '    %p\n' 2>/dev/null || true
exit "$status"
