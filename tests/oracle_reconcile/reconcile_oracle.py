#!/usr/bin/env python3
"""An independent oracle of `ipabs reconcile`, written from the docs alone (see README.md).

Usage: python3 reconcile_oracle.py --ipabs PATH [--keep DIR] [--case TEXT]

For every case of rcases.py: writes the case's actuals file (built from the oracle's own
figures), runs `ipabs reconcile DEAL --actuals FILE --out DIR -q --force`, computes the in-life
run with tests/oracle's waterfall and this directory's reconciliation, restatement, rebasing
and Art. 39 flags, and compares every value exactly (rcompare.py). Exit code 0 when every value
is equal, 1 otherwise, 2 on a usage error.
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
RUN_ORACLE = Path(os.environ.get("IPABS_RUN_ORACLE") or REPO / "tests" / "oracle")
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(RUN_ORACLE))
os.environ.setdefault("IPABS_REPO", str(REPO))

import actuals as actuals_mod                        # noqa: E402
import cli                                           # noqa: E402
from actual_pool import obligor_balances0            # noqa: E402
from dates import Periods                            # noqa: E402
from inlife import reconcile                         # noqa: E402
from compare import report_totals                    # noqa: E402
from money import NotCovered, OracleError            # noqa: E402
from pool import Projection                          # noqa: E402
from rcases import CASES, actuals_text               # noqa: E402
from rcompare import compare_all                     # noqa: E402
import notice_check                                  # noqa: E402


class Ctx:
    """What a case builder reads: the deal, the at-issue projection and the model's lines."""

    def __init__(self, deal, scenario, forecast):
        self.deal, self.scenario, self.forecast = deal, scenario, forecast
        p = Periods(deal)
        self.pay = p.pay
        self.at = Projection(deal, scenario, p)          # the projecting scenario at issue
        self.base = Projection(deal, forecast, p)        # the deal file's own [scenario]
        self.bal0 = obligor_balances0(deal, p.cutoff)

    def model(self, periods):
        """The oracle's waterfall figures for a report of these pools (lines left out)."""
        text = actuals_text(self.deal["deal"]["name"], periods)
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as fh:
            fh.write(text)
        try:
            ap = actuals_mod.load(fh.name, self.deal)
        finally:
            os.unlink(fh.name)
        return reconcile(self.deal, self.scenario, self.forecast, ap)["all_models"]


def run_case(case, ipabs, work):
    slug = case.name.replace("/", "__")
    case_dir = work / slug
    case_dir.mkdir(parents=True, exist_ok=True)
    deal = case.deal_toml()
    deal_path = case.deal_path()
    if case.variants:                     # the edited deal, next to the case's actuals
        deal_path = case_dir / "deal.toml"
        deal_path.write_text(case.deal_text(), encoding="utf-8")
    forecast = deal.get("scenario", {"name": "base"})
    scenario = forecast
    if case.scenario:
        with open(case.scenario_path(), "rb") as fh:
            scenario = tomllib.load(fh, parse_float=Decimal)["scenarios"][0]
    ctx = Ctx(deal, scenario, forecast)
    try:                                  # the builders run the oracle too (ctx.model)
        periods = case.build(ctx)
    except NotCovered as e:
        return {}, [], f"the case uses a feature the oracle does not cover: {e}", None
    except OracleError as e:
        return {}, [], f"oracle self-check failed (case builder): {e}", None
    act = case_dir / "actuals.toml"
    act.write_text(f"# {case.name}: {case.build.__doc__.strip().splitlines()[0]}\n"
                   + actuals_text(deal["deal"]["name"], periods), encoding="utf-8")
    out = case_dir / "out"
    cmd = [str(ipabs), "reconcile", str(deal_path), "--actuals", str(act), "--out",
           str(out), "-q", "--force"]
    if case.scenario:
        cmd[3:3] = ["--scenario", str(case.scenario_path())]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    (case_dir / "stderr.txt").write_text(proc.stderr)
    if proc.returncode not in (0, 4):
        return {}, [], f"ipabs exited {proc.returncode}: {proc.stderr.strip()}", None
    try:
        ap = actuals_mod.load(act, deal)
        rows = reconcile(deal, scenario, forecast, ap)
        differ = any(r["difference"] != 0 for r in rows["reconciliation"])
        counts, diffs = compare_all(rows, out)
        counts["exit code"] = (1, int((4 if differ else 0) == proc.returncode))
        # `ipabs notice --actuals` on the last actual date and the first projected one
        L = len(ap)
        n_dates = len(rows["in_life"])
        c = e = 0
        for period in sorted({L, min(L + 1, n_dates)}):
            cc, ee, dd = notice_check.check(ipabs, deal_path, act,
                                            case.scenario_path() if case.scenario else None,
                                            rows, period, period <= L, REPO)
            c, e = c + cc, e + ee
            diffs += dd
        counts["notice (stdout)"] = (c, e)
        if (4 if differ else 0) != proc.returncode:
            diffs.append(("exit code", "-", "-", 4 if differ else 0, proc.returncode))
    except NotCovered as e:
        return {}, [], f"the case uses a feature the oracle does not cover: {e}", None
    except OracleError as e:
        return {}, [], f"oracle self-check failed: {e}", None
    except Exception:
        return {}, [], "oracle error:\n" + traceback.format_exc(), None
    return counts, diffs, None, rows


def main(argv):
    parsed = cli.parse(argv, __doc__, CASES, lambda ap: ap.add_argument(
        "--max-diffs", type=int, default=40, help="differences printed per case"))
    if isinstance(parsed, int):
        return parsed
    args, ipabs, cases = parsed
    started = time.monotonic()
    totals, failed = {}, 0
    with tempfile.TemporaryDirectory(prefix="ipabs-recon-oracle-") as tmp:
        work = Path(args.keep).resolve() if args.keep else Path(tmp)
        for case in cases:
            counts, diffs, error, _ = run_case(case, ipabs, work)
            if error:
                failed += 1
                print(f"{case.name}: FAILED: {error}")
                continue
            parts = []
            for table, (n, eq) in counts.items():
                t = totals.setdefault(table, [0, 0])
                t[0] += n
                t[1] += eq
                parts.append(f"{table} {eq}/{n}")
            print(f"{case.name}: {'; '.join(parts)}" + (f"; {len(diffs)} DIFFERENCES" if diffs else ""))
            for d in diffs[:args.max_diffs]:
                table, key, col, mine, theirs = d
                print(f"  DIFF case={case.name} table={table} row={key} column={col} "
                      f"oracle={mine!r} ipabs={theirs!r}")
            if diffs:
                failed += 1
    return report_totals(totals, list(totals), len(cases), failed, started)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
