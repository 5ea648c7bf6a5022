#!/usr/bin/env python3
"""An independent oracle of `ipabs run`, written from the docs alone (see README.md).

Usage: python3 tests/oracle/oracle.py --ipabs PATH_TO_IPABS [--keep DIR] [--case TEXT]

For every case of cases.py, runs `ipabs run DEAL [--scenario FILE] --out DIR -q --force`,
computes the same tables from the deal and scenario files, and compares every value exactly.
Exit code 0 when every value is equal, 1 otherwise (or when a run or the oracle fails), 2 on a
usage error.
"""
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from decimal import Decimal
from pathlib import Path

sys.dont_write_bytecode = True                      # leave no __pycache__ in the repository
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cli                                          # noqa: E402
from cases import CASES, REPO                       # noqa: E402
from compare import KEYS, compare_run, max_deviation, report_totals  # noqa: E402
from money import NotCovered, OracleError           # noqa: E402
from summary import summary_rows                   # noqa: E402
from waterfall import run                           # noqa: E402

TABLES = list(KEYS) + ["ledger", "summary"]


def scenario_of(case, deal):
    """The scenario the run uses: the file's one [[scenarios]] entry, else the deal's own; and
    the file's [pricing] table (docs/scenarios.md "[pricing]"), or None."""
    path = case.scenario_path()
    if path is None:
        return deal.get("scenario", {"name": "base"}), None
    with open(path, "rb") as fh:
        data = tomllib.load(fh, parse_float=Decimal)
    scenarios = data["scenarios"]
    if len(scenarios) != 1:
        raise ValueError(f"{path.name}: one [[scenarios]] entry per file (ipabs runs them all)")
    return scenarios[0], data.get("pricing")


def run_case(case, ipabs, work):
    """Run ipabs and the oracle on one case; returns (counts, diffs, error text or None)."""
    case_dir, deal_path = cli.case_files(case, work, REPO)
    text = case.deal_text()
    out = case_dir / "out"
    cmd = [str(ipabs), "run", str(deal_path)]
    if case.scenario_path() is not None:
        cmd += ["--scenario", str(case.scenario_path())]
    cmd += ["--out", str(out), "-q", "--force"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        return {}, [], f"ipabs exited {proc.returncode}: {proc.stderr.strip()}"
    try:
        deal = tomllib.loads(text, parse_float=Decimal)
        scenario, pricing = scenario_of(case, deal)
        rows = run(deal, scenario)
        rows["summary"] = summary_rows(rows["_run"], rows, pricing)
        counts, diffs = compare_run(rows, out, case.ledger)
    except NotCovered as e:
        return {}, [], f"the case uses a feature the oracle does not cover: {e}"
    except OracleError as e:
        return {}, [], f"oracle self-check failed: {e}"
    except Exception:
        return {}, [], "oracle error:\n" + traceback.format_exc()
    return counts, diffs, None


def main(argv):
    parsed = cli.parse(argv, __doc__, CASES)
    if isinstance(parsed, int):
        return parsed
    args, ipabs, cases = parsed
    started = time.monotonic()
    totals = {t: [0, 0] for t in TABLES}
    failed_cases = 0
    with tempfile.TemporaryDirectory(prefix="ipabs-oracle-") as tmp:
        work = Path(args.keep).resolve() if args.keep else Path(tmp)
        for case in cases:
            counts, diffs, error = run_case(case, ipabs, work)
            if error:
                failed_cases += 1
                print(f"{case.name}: FAILED: {error}")
                continue
            parts = []
            for table in TABLES:
                if table in counts:
                    n, eq = counts[table]
                    totals[table][0] += n
                    totals[table][1] += eq
                    parts.append(f"{table} {eq}/{n}")
            print(f"{case.name}: {'; '.join(parts)}" + ("" if not diffs else f"; {len(diffs)} DIFFERENCES"))
            for table, key, col, mine, theirs in diffs:
                print(f"  DIFF case={case.name} table={table} row={key} column={col} "
                      f"oracle={mine!r} ipabs={theirs!r}")
            if diffs:
                failed_cases += 1
    if max_deviation:
        print("\nsummary f64 measures, largest deviation from ipabs (relative; absolute where "
              "|ipabs| < 1e-6): " + ", ".join(f"{c} {'' if k == 'rel' else 'abs '}{v:.1e}"
                                               for (c, k), v in sorted(max_deviation.items())))
    return report_totals(totals, TABLES, len(cases), failed_cases, started)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
