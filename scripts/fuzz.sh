#!/usr/bin/env bash
# Fuzzes the deal loader and engine (fuzz target `deal_loader`) for SECONDS (default 60), then
# prints the executions, the crashes found and where they are. See docs/robustness.md.
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs `cargo install cargo-fuzz`. cargo-fuzz passes nightly-only flags (-Z...) to rustc; the
# project's toolchain is stable, so RUSTC_BOOTSTRAP=1 lets stable rustc accept them. The
# sanitizer defaults to address (FUZZ_SANITIZER=none for a faster build without ASan); ipabs is safe Rust, so
# panics, aborts, timeouts and memory blow-ups are what the campaign looks for.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

SECONDS_TO_RUN="${1:-60}"
SANITIZER="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

mkdir -p corpus/deal_loader artifacts/deal_loader
log="artifacts/deal_loader/last-run.log"
find artifacts/deal_loader -type f ! -name '*.log' ! -name '.*' | sort > artifacts/deal_loader/.before

set +e
cargo fuzz run --sanitizer "$SANITIZER" deal_loader corpus/deal_loader -- \
  -dict=toml.dict -max_total_time="$SECONDS_TO_RUN" -timeout=20 -rss_limit_mb=4096 \
  -max_len=32768 -print_final_stats=1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

find artifacts/deal_loader -type f ! -name '*.log' ! -name '.*' | sort > artifacts/deal_loader/.after
new=$(comm -13 artifacts/deal_loader/.before artifacts/deal_loader/.after)
execs=$(grep 'stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -1)
echo "=== deal_loader: ${SECONDS_TO_RUN}s, sanitizer ${SANITIZER}, exit status ${status}"
echo "=== executions: ${execs:-unknown} (libFuzzer's final stats)"
echo "=== corpus: $(find corpus/deal_loader -type f | wc -l) inputs"
echo "=== new crash/timeout/oom artifacts: $(printf '%s' "$new" | grep -c . || true)"
[ -n "$new" ] && printf '    %s\n' $new
exit "$status"
