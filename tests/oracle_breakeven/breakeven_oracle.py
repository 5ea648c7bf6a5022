#!/usr/bin/env python3
"""An independent oracle of `ipabs breakeven`, written from the docs alone (see README.md).

Usage: python3 breakeven_oracle.py --ipabs PATH [--keep DIR] [--case TEXT] [--mutate NAME]

For every case of bcases.py, runs `ipabs breakeven DEAL [--scenarios FILE] [--stress standard
[--stress-on scenarios]] --out DIR -q --force`, computes the same rows with tests/oracle's run
oracle for each trial default rate and this directory's search, and compares every column of
`breakeven.parquet` exactly. Exit code 0 when every value is equal, 1 otherwise, 2 on a usage
error.
"""
import os
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from decimal import Decimal
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("IPABS_REPO") or HERE.parents[1])
RUN_ORACLE = Path(os.environ.get("IPABS_RUN_ORACLE") or HERE.parent / "oracle")
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(RUN_ORACLE))
os.environ.setdefault("IPABS_REPO", str(REPO))

import pyarrow.parquet as pq                                  # noqa: E402

from bcases import CASES                                      # noqa: E402
import cli                                                    # noqa: E402
from bscenarios import run_list                               # noqa: E402
import bsearch                                                # noqa: E402
from money import NotCovered, OracleError                     # noqa: E402

COLUMNS = ["deal", "scenario", "tranche", "class", "rating", "breakeven_default_rate",
           "breakeven_input_rate", "breakeven_obligors", "obligor_count", "target_default_rate",
           "pass", "runs", "fails_at_zero", "passes_at_one", "breaks_at_rate", "breaks_on",
           "breaks_by", "breaks_shortfall", "breakeven_obligor_default_rate",
           "breaking_obligor_default_rate", "pass_default_rate", "cushion"]
# docs/breakeven.md "Output": the types (decimal128 scales; dates; ints; bools; strings)
SCALES = {"breakeven_default_rate": 6, "breakeven_input_rate": 8, "target_default_rate": 8,
          "breaks_at_rate": 8, "breaks_shortfall": 2, "breakeven_obligor_default_rate": 6,
          "breaking_obligor_default_rate": 6, "pass_default_rate": 6, "cushion": 8}


def oracle_rows(case, deal, options):
    scenarios, sf = run_list(deal, case.scenario_path(), case.stress, case.stress_on)
    rows = []
    for sc in scenarios:
        searcher = bsearch.Searcher(deal, sc)
        for t in bsearch.reported(deal):
            r, _ = bsearch.row(deal, sf, searcher, sc["name"], t, options)
            rows.append(r)
    return rows


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if type(a) is not type(b):
        return False
    return a == b


def compare(mine, path):
    table = pq.read_table(path)
    schema = {f.name: str(f.type) for f in table.schema}
    theirs = table.to_pylist()
    diffs = []
    n = eq = 0
    if list(schema) != COLUMNS:
        diffs.append(("schema", "columns", COLUMNS, list(schema)))
    for col, scale in SCALES.items():
        if schema.get(col) != f"decimal128(18, {scale})":
            diffs.append(("schema", col, f"decimal128(18, {scale})", schema.get(col)))
    if len(mine) != len(theirs):
        diffs.append(("rows", "count", len(mine), len(theirs)))
    for i, (a, b) in enumerate(zip(mine, theirs)):
        key = f"{i}:{a['scenario']}/{a['tranche']}"
        for col in COLUMNS:
            n += 1
            if same(a[col], b.get(col)):
                eq += 1
            else:
                diffs.append((key, col, a[col], b.get(col)))
    return n, eq, diffs


def run_case(case, ipabs, work, options):
    out, deal_path = cli.case_files(case, work, REPO)
    text = case.deal_text()
    cmd = [str(ipabs), "breakeven", str(deal_path)]
    if case.scenario_path() is not None:
        cmd += ["--scenarios", str(case.scenario_path())]
    if case.stress:
        cmd += ["--stress", case.stress]
        if case.stress_on:
            cmd += ["--stress-on", case.stress_on]
    cmd += ["--threads", "1", "--out", str(out / "out"), "-q", "--force"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        return None, f"ipabs exited {proc.returncode}: {proc.stderr.strip()}"
    try:
        deal = tomllib.loads(text, parse_float=Decimal)
        mine = oracle_rows(case, deal, options)
        return compare(mine, out / "out" / "breakeven.parquet"), None
    except NotCovered as e:
        return None, f"the case uses a feature the oracle does not cover: {e}"
    except OracleError as e:
        return None, f"oracle self-check failed: {e}"
    except Exception:
        return None, "oracle error:\n" + traceback.format_exc()


# one-line mutations of the oracle, to check that the cases can fail (README.md)
MUTATIONS = {
    "shares_sig28": "timing-stress shares rounded at 28 significant digits (not 28 decimal places)",
    "shares_exact": "timing-stress shares as exact fractions",
    "mid_truncate": "midpoints truncated to 8 places, not rounded half away from zero",
    "tol_ge": "bisect while the bracket is at least 0.0001 wide (not more than)",
    "no_groups": "obligor groups ignored in the whole-obligor test",
    "ties_by_file_order": "equal obligor balances in file order, not by name",
    "no_obligor_rule": "pass ignores breaking_obligor_default_rate <= TDR",
    "pao_curve_only": "a passes_at_one row's pass rate is the curve's alone",
    "interest_last_only": "paid in full reads only the last date's interest (timely test broken)",
    "no_normalise": "stressed shares not summing to 1 used as they are (not divided by their sum)",
    "no_step4": "no status-change search (plain scan + bisection)",
    "no_zero_pair": "the pair (0, 1/128) is not a pair of consecutive scan points",
}


def main(argv):
    def extra(ap):
        ap.add_argument("--quick", action="store_true",
                        help="only the cases cargo test runs (bcases.QUICK)")
        ap.add_argument("--option", action="append", default=[], choices=sorted(MUTATIONS),
                        help="a reading or mutation of the search (README.md)")
    parsed = cli.parse(argv, __doc__, CASES, extra)
    if isinstance(parsed, int):
        return parsed
    args, ipabs, cases = parsed
    if args.quick:
        from bcases import QUICK
        cases = [c for c in cases if c.name in QUICK]
    options = {o: True for o in args.option}
    import bscenarios
    if "shares_sig28" in options:
        bscenarios.SHARES["mode"] = "sig28"
    if "shares_exact" in options:
        bscenarios.SHARES["mode"] = "exact"
    bsearch.MUT.update(o for o in options if o not in ("no_step4", "no_zero_pair"))
    if "no_normalise" in options:
        bscenarios.SHARES["normalise"] = False
    started = time.monotonic()
    total_n = total_eq = failed = rows = 0
    with tempfile.TemporaryDirectory(prefix="ipabs-be-oracle-") as tmp:
        work = Path(args.keep).resolve() if args.keep else Path(tmp)
        for case in cases:
            t0 = time.monotonic()
            res, err = run_case(case, ipabs, work, options)
            if err:
                failed += 1
                print(f"{case.name}: FAILED: {err}", flush=True)
                continue
            n, eq, diffs = res
            total_n += n
            total_eq += eq
            rows += n // len(COLUMNS)
            print(f"{case.name}: {eq}/{n} values ({n // len(COLUMNS)} rows, "
                  f"{time.monotonic() - t0:.1f} s)" + (f"; {len(diffs)} DIFFERENCES" if diffs else ""),
                  flush=True)
            for key, col, a, b in diffs:
                print(f"  DIFF case={case.name} row={key} column={col} oracle={a!r} ipabs={b!r}")
            if diffs:
                failed += 1
    print(f"{len(cases)} cases, {rows} rows, {total_n} values compared, {total_eq} equal, "
          f"{failed} case(s) failing; {time.monotonic() - started:.1f} s")
    return 0 if failed == 0 and total_n == total_eq else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
