"""Runs the oracle once per mutation (ORACLE_MUT) on the cases that reach it; a mutation is
caught when the oracle reports mismatches. Prints one line per mutation.

    python3 mutate.py [IPABS]
"""
import os, subprocess, sys, json, tempfile, shutil
HERE = os.path.dirname(os.path.abspath(__file__))
ipabs = sys.argv[1] if len(sys.argv) > 1 else "ipabs"
MUTS = [
    ("out_tdr_plus_1e-6", "yongxing_p5000_s1", "rating.parquet: first row's target_default_rate + 0.000001"),
    ("out_pd_ulp", "yongxing_p5000_s1", "rating.parquet: first row's pd_at_term one ulp up"),
    ("out_move_one_path", "hand_group", "default_distribution.parquet: one path moved from the smallest to the largest fraction"),
    ("lot_loss_0.9", "yongxing_p5000_s1", "oracle: large_obligor_loss default 0.9 instead of 0.95"),
    ("mult_by_obligor", "hand_five_percent", "oracle: multiplier from the largest obligor, not the largest credit (group)"),
    ("interval_5pct", "hand_group", "oracle: interval tails at 5% instead of 2.5%"),
    ("k_in_f64", "edge_many_k_decimal_p10000", "oracle: k = floor(N * p) in f64, not from the shortest decimal"),
    ("pass_ignores_bod", "yongxing_mezz_bod_p5000_s2", "oracle: pass ignores breaking_obligor_default_rate"),
    ("implied_lowest", "hand_group", "oracle: implied rating = the lowest passing rating, not the highest"),
    ("ead_full_balance", "hand_group", "oracle sim: exposure at default = whole cutoff balance"),
    ("tags_untrimmed", "hand_pd_50paths", "oracle sim: region/industry tags compared untrimmed"),
    ("providers_by_first_support", "hand_provider_order", "oracle sim: providers ordered by their first support, tagged or not"),
    ("u64_hi_first", "hand_group", "oracle sim: next_u64 takes the high word first"),
]
lines = []
WORK = tempfile.mkdtemp(prefix="rate-oracle-mut-")
for m, case, what in MUTS:
    env = dict(os.environ, ORACLE_MUT=m)
    rj = os.path.join(WORK, "result.json")
    if os.path.exists(rj):
        os.remove(rj)
    r = subprocess.run([sys.executable, os.path.join(HERE, "rate_oracle.py"), "--ipabs", ipabs, "--case", case,
                        "--work", WORK], capture_output=True, text=True, env=env)
    if not os.path.exists(rj):
        lines.append(f"{m:20s} {case:24s} rc={r.returncode} CAUGHT (oracle stopped: {r.stderr.strip().splitlines()[-1][:120]})  ({what})")
        print(lines[-1], flush=True)
        continue
    res = json.load(open(rj))
    bad = res["mismatches"]
    first = bad[0]["what"] if bad else "-"
    lines.append(f"{m:20s} {case:24s} rc={r.returncode} mismatches={len(bad):4d} {'CAUGHT' if bad else 'MISSED'}  first: {first}  ({what})")
    print(lines[-1], flush=True)
shutil.rmtree(WORK, ignore_errors=True)
missed = [x for x in lines if "MISSED" in x]
print(f"{len(lines) - len(missed)} of {len(lines)} mutations caught")
sys.exit(1 if missed else 0)
