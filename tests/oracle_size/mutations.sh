#!/bin/sh
# Runs each one-line mutation of the oracle (size_oracle.py --mutate NAME) on the cases it
# concerns; each must make some value differ (exit 1). Output: mutations.txt
cd "$(dirname "$0")"
run() {
  m=$1; shift
  args=""
  for c in "$@"; do args="$args --case $c"; done
  python3 size_oracle.py --ipabs "${IPABS_BIN:-../../target/release/ipabs}" --mutate $m $args > /tmp/mut_$m.txt 2>&1
  rc=$?
  n=$(grep -c '  DIFF' /tmp/mut_$m.txt)
  echo "$m: exit $rc, $n differing values ($(tail -1 /tmp/mut_$m.txt))"
  grep '  DIFF' /tmp/mut_$m.txt | head -2
}
{
run trunc_sched gdd/scheduled_AA
run sched_fen gdd/scheduled_AA
run no_trigger yongxing+cov_trigger/walk
run margin_ignored xuhui/poolonly_AA_margin yongxing/upper_margin
run no_obligor_rule kexue/obligor_rule_AAA
run pao_curve_only xuhui/poolonly_AAA
run bmax_ceil xuhui/poolonly_step_not_dividing
run mid_ceil xuhui/poolonly_AAA
run cov_all_dates gdd+pt/A_portfolio gdd+mezz/M_portfolio
run trigger_check yongxing+mezz+cov_trigger/two_targets_trigger
run upper_point xuhui/poolonly_upper gdd/upper_Aplus
run obligor_no_margin kexue/obligor_rule_margin
run trigger_in_bisection hand/window_M200_cov3 yongxing+cov_trigger/walk
} > mutations.txt
cat mutations.txt
