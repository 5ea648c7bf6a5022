#!/usr/bin/env python3
"""Independent check of ipabs' tranche analytics with QuantLib.

Usage: check_analytics.py DIR   (DIR holds summary.parquet and tranche_flows.parquet of a run or
a sweep written with all tranches, i.e. `ipabs run` or `ipabs sweep --flows`).

For every (scenario, tranche) row of summary.parquet with a yield, rebuild the tranche's cash
flows (interest + principal + residual on each payment date after settlement) from
tranche_flows.parquet, price them with QuantLib at ipabs' price, and compare:
  yield, Macaulay duration, modified duration: |ipabs − QuantLib| < 1e-8
  convexity: relative difference < 1e-7
QuantLib conventions: Actual365Fixed, Compounded, Annual (docs/analytics.md). A row whose
tranche receives nothing after settlement, at a price above 0, must have a yield of −1 (−100%)
and no duration or convexity.
Prints `N passed, M failed` and exits non-zero on any failure.
"""
import sys
from collections import defaultdict

import pyarrow.parquet as pq
import QuantLib as ql


def qdate(d):
    return ql.Date(d.day, d.month, d.year)


def main(directory):
    summary = pq.read_table(f"{directory}/summary.parquet").to_pylist()
    flows = pq.read_table(f"{directory}/tranche_flows.parquet").to_pylist()
    by_key = defaultdict(list)
    for r in flows:
        by_key[(r["deal"], r["scenario"], r["tranche"])].append(r)
    passed = failed = 0
    dc = ql.Actual365Fixed()

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}")

    for s in summary:
        if s["yield"] is None:
            continue
        key = (s["deal"], s["scenario"], s["tranche"])
        settle = s["settlement_date"]
        rows = sorted(by_key[key], key=lambda r: r["period"])
        face = float(s["initial_balance"])
        leg = []
        for r in rows:
            if r["payment_date"] <= settle:
                face = float(r["balance_end"])
                continue
            amount = float(r["interest_paid"] + r["principal_paid"] + r["residual_paid"])
            if amount != 0.0:
                leg.append(ql.SimpleCashFlow(amount, qdate(r["payment_date"])))
        if not leg:
            # Nothing received after settlement: −100% at a positive price (docs/analytics.md),
            # no duration or convexity.
            if s["price"] > 0:
                check(s["yield"] == -1.0, f"{key}: nothing received at {s['price']}, yield {s['yield']}")
            check(s["macaulay_duration"] is None and s["convexity"] is None, f"{key}: no flows, no risk")
            continue
        settle_q = qdate(settle)
        ql.Settings.instance().evaluationDate = settle_q
        npv = s["price"] / 100.0 * face
        y = ql.CashFlows.yieldRate(
            leg, npv, dc, ql.Compounded, ql.Annual, False, settle_q, settle_q, 1e-14, 1000, 0.03
        )
        cpd = (dc, ql.Compounded, ql.Annual)
        mac = ql.CashFlows.duration(leg, y, *cpd, ql.Duration.Macaulay, False, settle_q, settle_q)
        mod = ql.CashFlows.duration(leg, y, *cpd, ql.Duration.Modified, False, settle_q, settle_q)
        conv = ql.CashFlows.convexity(leg, y, *cpd, False, settle_q, settle_q)
        check(abs(s["yield"] - y) < 1e-8, f"{key}: yield {s['yield']} vs QuantLib {y}")
        check(abs(s["macaulay_duration"] - mac) < 1e-8, f"{key}: Macaulay {s['macaulay_duration']} vs {mac}")
        check(abs(s["modified_duration"] - mod) < 1e-8, f"{key}: modified {s['modified_duration']} vs {mod}")
        check(abs(s["convexity"] - conv) <= 1e-7 * max(1.0, abs(conv)), f"{key}: convexity {s['convexity']} vs {conv}")
    if passed == 0:
        print("FAIL: no tranche with a yield to check")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
