#!/usr/bin/env python3
"""Mutation check of the oracle (review 44b): each mutation is one line of portfolio_common.py,
sweep_oracle.py or portfolio_oracle.py changed in a copy; the copy is run on the cases named,
and the mutation is caught when the oracle then reports differences (exit 1).

Usage: python3 mutate.py --ipabs ./ipabs
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The copies below run from a temporary directory: the repository is this one's.
os.environ.setdefault("IPABS_REPO", str(HERE.parent.parent))

# (name, file, old line text, new line text, script, case filters)
MUTATIONS = [
    ("grid odometer: first dimension fastest", "portfolio_common.py",
     "below = math.prod(sizes[j + 1:])", "below = math.prod(sizes[:j])",
     "sweep_oracle.py", ["grid_docs_example", "grid_names"]),
    ("grid names: trailing zeros kept", "portfolio_common.py",
     's = format(d.normalize(), "f")', 's = format(d, "f")',
     "sweep_oracle.py", ["tianzhi/grid_cdr_defaultless", "wenke/grid_delay"]),
    ("sweep without --flows keeps the mezzanine rows too", "sweep_oracle.py",
     'seniors = {tr["name"] for tr in deal["tranches"] if tr["class"] == "senior"}',
     'seniors = {tr["name"] for tr in deal["tranches"] if tr["class"] in ("senior", "mezzanine")}',
     "sweep_oracle.py", ["wenke+mezzanine/grid"]),
    ("grid point keeps the base's support_failures of a support it turns off", "portfolio_common.py",
     'if x["support"] not in v]', ']',
     "sweep_oracle.py", ["grid_single_point"]),
    ("group defaults not expanded", "portfolio_common.py",
     'if deal is not None and s.get("defaults"):', 'if False:',
     "sweep_oracle.py", ["nanshan_groups/grid_group_member_named"]),
    ("recovery stress as rate × x", "portfolio_common.py",
     's["recovery_rate"] = Decimal(s.get("recovery_rate", 0)) * (1 - x)',
     's["recovery_rate"] = Decimal(s.get("recovery_rate", 0)) * x',
     "sweep_oracle.py", ["gdd/stress_on_scenarios_timing"]),
    ("timing shift: y × s not rounded before the quotient", "portfolio_common.py",
     "loss = {i: dq(dm(y, shares[i]), S_src) if S_src else Decimal(0) for i in src}",
     "loss = {i: dq(y * shares[i], S_src) if S_src else Decimal(0) for i in src}",
     "sweep_oracle.py", ["gdd/stress_on_scenarios_timing"]),
    ("concentration worst date: latest of equals", "portfolio_common.py",
     "key = (-loss, Decimal(\"Infinity\") if cov is None else cov, day)",
     "key = (-loss, Decimal(\"Infinity\") if cov is None else cov, -day.toordinal())",
     "sweep_oracle.py", ["nanshan/stress_concentration", "gdd/stress_all"]),
    ("portfolio coverage: pass-through principal only as contracted", "portfolio_oracle.py",
     "pdue = max(pdue, min(r[\"balance_start\"], dk))", "pdue = pdue",
     "portfolio_oracle.py", ["cohort_file"]),
    ("portfolio coverage: the decline not reduced by the seniors' charge", "portfolio_oracle.py",
     "dk = max(ZERO, decline - charged_ahead)", "dk = max(ZERO, decline)",
     "portfolio_oracle.py", ["variants+own_scenario"]),
    ("portfolio coverage: H ignores the subrogation", "portfolio_oracle.py",
     'h = max(ZERO, held) + led.get(k, {}).get("guarantee_payment", ZERO) - led.get(k, {}).get("subrogation", ZERO)',
     'h = max(ZERO, held) + led.get(k, {}).get("guarantee_payment", ZERO)',
     "portfolio_oracle.py", ["my_cohort"]),
    ("HHI as Σ s (not Σ s²)", "portfolio_oracle.py",
     '"hhi": ratio6(sum(s * s for s in share.values())) if pool else None,',
     '"hhi": ratio6(sum(s for s in share.values())) if pool else None,',
     "portfolio_oracle.py", ["cohort_file"]),
    ("industry mix sorted by key only", "portfolio_oracle.py",
     "items = sorted(shares_by_key.items(), key=lambda kv: (-kv[1], kv[0]))",
     "items = sorted(shares_by_key.items(), key=lambda kv: kv[0])",
     "portfolio_oracle.py", ["cohort_file"]),
    ("wa_term_years over 366 days", "portfolio_oracle.py",
     '"wa_term_years": ratio6(term_num / 365 / pool) if pool else None,',
     '"wa_term_years": ratio6(term_num / 366 / pool) if pool else None,',
     "portfolio_oracle.py", ["cohort_file"]),
    ("partition keys: '%' left unencoded", "portfolio_oracle.py",
     'SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")',
     'SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-%")',
     "portfolio_oracle.py", ["two_files_repeated+grid"]),
    ("payment_notices at each deal's own decimals", "portfolio_oracle.py",
     'decimals = max(decimals if decimals else 4, int(load_toml(path).get("notices", {}).get("decimals", 4)))',
     'decimals = 4',
     "portfolio_oracle.py", ["variants+own_scenario"]),
    ("BDR: bisection to 0.001", "portfolio_oracle.py",
     "                while hi - lo > F(1, 10000):\n                    mid",
     "                while hi - lo > F(1, 1000):\n                    mid",
     "portfolio_oracle.py", ["listed_dates+rated_sub+revolving"]),
    ("TDR: multiplier + base", "portfolio_oracle.py",
     "return dec(places(F(m) * F(base), 8), 8)", "return dec(places(F(m) + F(base), 8), 8)",
     "portfolio_oracle.py", ["cohort_file"]),
    ("a subordinated tranche with a rating not reported", "portfolio_oracle.py",
     'or (t["class"] == "subordinated" and t.get("rating"))]', ']',
     "portfolio_oracle.py", ["listed_dates+rated_sub+revolving"]),
    ("directory deals in reverse name order", "portfolio_oracle.py",
     'for f in sorted(a.glob("*.toml"), key=lambda x: x.name):',
     'for f in sorted(a.glob("*.toml"), key=lambda x: x.name, reverse=True):',
     "portfolio_oracle.py", ["deals_dir"]),
]


def main(argv):
    ipabs = None
    if "--ipabs" in argv:
        ipabs = str(Path(argv[argv.index("--ipabs") + 1]).resolve())
    if not ipabs:
        print(__doc__)
        return 2
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    caught = 0
    rows = []
    for i, (name, fname, old, new, script, filters) in enumerate(MUTATIONS, 1):
        if only and str(i) != only:
            continue
        with tempfile.TemporaryDirectory(prefix="o44b-mut-") as tmp:
            t = Path(tmp)
            for f in ("portfolio_common.py", "sweep_oracle.py", "portfolio_oracle.py"):
                shutil.copy(HERE / f, t / f)
            for d in ("scenarios", "cohorts", "cases", "stems"):
                (t / d).symlink_to(HERE / d)
            text = (t / fname).read_text()
            if text.count(old) != 1:
                rows.append((i, name, "NOT APPLIED (the line is not found once)", 0))
                continue
            (t / fname).write_text(text.replace(old, new))
            # the cohort file's relative paths point at the repository's deals/ from HERE/cohorts; keep them valid
            cmd = [sys.executable, str(t / script), "--ipabs", ipabs]
            for f in filters:
                cmd += ["--case", f]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
            diffs = len(re.findall(r"^  DIFF ", proc.stdout, re.M)) + sum(
                int(m) for m in re.findall(r"\.\.\. (\d+) more differences", proc.stdout))
            failed = len(re.findall(r": FAILED:", proc.stdout))
            ok = proc.returncode == 1
            caught += ok
            rows.append((i, name, "caught" if ok else f"NOT caught (exit {proc.returncode})", diffs + failed))
    for i, name, verdict, n in rows:
        print(f"M{i:02d} {verdict:10s} {n:6d} differences  {name}")
    print(f"{caught} of {len(rows)} mutations caught")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
