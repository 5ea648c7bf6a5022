#!/usr/bin/env python3
"""Independent check of the Parquet tables ipabs writes (see docs/output.md).

Usage: check_parquet.py [-v] DIR      (-v: print every check, not only the failures)

Reads DIR/*.parquet with pyarrow only (no polars, no ipabs code) and checks:
  * every expected file exists, with every expected column, in order, of the right Arrow type
    (decimal128(18,2) money stored as Parquet INT64, decimal128(18,6) ratios, date32 dates,
    int32 period/step, string/string_view names, double statistics), and no null money (the
    optional periods columns aside: null where a run has no such account or step);
  * invariants true of any valid run:
      tranche_flows: balance_end = balance_start - principal_paid on every row;
                     interest_shortfall = max(0, interest_due - interest_paid) on every row
                     (a run never pays more than is due; a reconcile run's restated row may
                     state more paid than the waterfall's due, docs/auditing.md);
      each (deal, scenario, tranche) appears in both tranche_flows and summary;
      per tranche: balance_start in its first period = summary.initial_balance;
                   sum of principal_paid = summary.total_principal;
      ledger: every amount > 0;
      periods: available_funds = pool_cash + cash_brought_forward (+ a call price, income on
      cash held, an asset guarantee's payment less its recoveries, − what a failed servicer
      kept) on every row;
      periods: the date's cash adds up on every row (docs/output.md): available_funds +
            reserve_draws + support_draws - guarantee_payment + restated = taxes_paid +
            fees_paid + interest_paid + principal_paid + residual_paid + reserve_deposit +
            support_repaid + support_interest_paid + purchases + collection_balance_end (+
            accounts_balance_end); and guarantee_payment, support_repaid,
            support_interest_paid, purchases and commingled are the date's ledger entries
            guarantee_payment, repay_support, support_interest, buy_assets and commingled;
      fees: arrears = max(0, due - paid) on every row, and per (deal, scenario, period) the paid taxes
            and fees sum to periods.taxes_paid and periods.fees_paid;
      payment_notices: total_per_100 = interest_per_100 + principal_per_100, the record date
            before the payment date, 0 <= face_per_100_after <= 100, the 长款 csdc_buffer
            0 or 1,000.00 and transfer = interest_paid + principal_paid + csdc_fee +
            csdc_buffer on every row.

Prints one line per check, then `N passed, 0 failed`. Stops at the first failure with a
message, `N passed, 1 failed`, and exit status 1. Exit status 2 on bad usage.
"""

import os
import sys
from collections import OrderedDict

from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq

MONEY = ("money", pa.decimal128(18, 2))
RATIO = ("ratio", pa.decimal128(18, 6))
STR = ("string", None)
DATE = ("date", pa.date32())
INT = ("int32", pa.int32())
FLOAT = ("double", pa.float64())
BOOL = ("bool", pa.bool_())

KEY = [("deal", STR), ("scenario", STR)]

SCHEMA = OrderedDict(
    [
        (
            "tranche_flows.parquet",
            KEY
            + [
                ("period", INT),
                ("payment_date", DATE),
                ("tranche", STR),
                ("class", STR),
                ("balance_start", MONEY),
                ("interest_due", MONEY),
                ("interest_paid", MONEY),
                ("interest_shortfall", MONEY),
                ("principal_due", MONEY),
                ("principal_paid", MONEY),
                ("residual_paid", MONEY),
                ("balance_end", MONEY),
                ("coverage_multiple", RATIO),
            ],
        ),
        (
            "pool_flows.parquet",
            KEY
            + [
                ("period", INT),
                ("payment_date", DATE),
                ("obligor", STR),
                ("scheduled", MONEY),
                ("collected", MONEY),
                ("principal_collected", MONEY),
                ("interest_collected", MONEY),
                ("prepaid", MONEY),
                ("defaulted", MONEY),
                ("recovered", MONEY),
                ("delayed", MONEY),
                ("balance_end", MONEY),
            ],
        ),
        (
            "ledger.parquet",
            KEY
            + [
                ("period", INT),
                ("date", DATE),
                ("step", INT),
                ("action", STR),
                ("item", STR),
                ("source", STR),
                ("destination", STR),
                ("amount", MONEY),
                ("reason", STR),
            ],
        ),
        (
            "periods.parquet",
            KEY
            + [
                ("period", INT),
                ("payment_date", DATE),
                ("collection_start", DATE),
                ("collection_end", DATE),
                ("pool_cash", MONEY),
                ("cash_brought_forward", MONEY),
                ("available_funds", MONEY),
                ("reserve_draws", MONEY),
                ("support_draws", MONEY),
                ("taxes_paid", MONEY),
                ("fees_paid", MONEY),
                ("interest_paid", MONEY),
                ("principal_paid", MONEY),
                ("residual_paid", MONEY),
                ("reserve_deposit", MONEY),
                ("coverage_multiple", RATIO),
                ("cumulative_default_ratio", RATIO),
                ("waterfall", STR),
                ("triggers_tripped", STR),
                ("collection_balance_end", MONEY),
                ("reserve_balance_end", MONEY),
                ("pool_balance_end", MONEY),
                ("senior_balance_end", MONEY),
                ("guarantee_payment", MONEY),
                ("support_repaid", MONEY),
                ("support_interest_paid", MONEY),
                ("purchases", MONEY),
                ("restated", MONEY),
                ("commingled", MONEY),
            ],
        ),
        (
            "summary.parquet",
            KEY
            + [
                ("tranche", STR),
                ("class", STR),
                ("rating", STR),
                ("initial_balance", MONEY),
                ("coupon", RATIO),
                ("total_interest", MONEY),
                ("total_principal", MONEY),
                ("total_residual", MONEY),
                ("principal_loss", MONEY),
                ("interest_shortfall", MONEY),
                ("final_payment_date", DATE),
                ("wal_years", FLOAT),
                ("min_coverage_multiple", RATIO),
                ("yield_at_par", FLOAT),
                ("settlement_date", DATE),
                ("price", FLOAT),
                ("yield", FLOAT),
                ("macaulay_duration", FLOAT),
                ("modified_duration", FLOAT),
                ("convexity", FLOAT),
                ("spread", FLOAT),
                ("support_drawn", MONEY),
                ("cumulative_default_ratio", RATIO),
                ("first_trigger", STR),
                ("first_trigger_date", DATE),
                ("paid_in_full", BOOL),
            ],
        ),
        (
            "support.parquet",
            KEY
            + [
                ("support", STR),
                ("provider", STR),
                ("total", MONEY),
                ("repaid", MONEY),
                ("failed_from", DATE),
                ("interest_paid", MONEY),
                ("interest_unpaid", MONEY),
            ],
        ),
        (
            "fees.parquet",
            KEY
            + [
                ("period", INT),
                ("payment_date", DATE),
                ("kind", STR),
                ("name", STR),
                ("due", MONEY),
                ("paid", MONEY),
                ("arrears", MONEY),
                ("charged", MONEY),
            ],
        ),
        (
            "payment_notices.parquet",
            KEY
            + [
                ("tranche", STR),
                ("period", INT),
                ("payment_date", DATE),
                ("record_date", DATE),
                ("units", ("int64", pa.int64())),
                ("interest_per_100", ("per100", pa.decimal128(18, 4))),
                ("principal_per_100", ("per100", pa.decimal128(18, 4))),
                ("total_per_100", ("per100", pa.decimal128(18, 4))),
                ("interest_paid", MONEY),
                ("principal_paid", MONEY),
                ("residual", MONEY),
                ("face_per_100_after", ("per100", pa.decimal128(18, 4))),
                ("csdc_fee", MONEY),
                ("csdc_buffer", MONEY),
                ("transfer", MONEY),
                ("interest_unpaid", MONEY),
                ("interest_residual", MONEY),
                ("accrual_start", DATE),
                ("accrual_end", DATE),
                ("accrual_days", ("int64", pa.int64())),
                ("coupon", RATIO),
            ],
        ),
    ]
)


class CheckFailed(Exception):
    pass


class Checker:
    def __init__(self, verbose):
        self.passed = 0
        self.verbose = verbose

    def check(self, ok, what, detail=""):
        if not ok:
            msg = f"FAIL: {what}"
            if detail:
                msg += f": {detail}"
            raise CheckFailed(msg)
        self.passed += 1
        if self.verbose:
            print(f"ok: {what}")


def is_string_type(t):
    checks = [pa.types.is_string, pa.types.is_large_string]
    if hasattr(pa.types, "is_string_view"):
        checks.append(pa.types.is_string_view)
    return any(f(t) for f in checks)


def type_ok(kind, want, actual):
    if kind == "string":
        return is_string_type(actual)
    return actual == want


def rows(table, names):
    """The columns `names` of `table` as a list of tuples (Python values, Decimals exact)."""
    cols = [table.column(n).to_pylist() for n in names]
    return list(zip(*cols))


# Optional trailing columns: periods.parquet of deals with named accounts or a PDL.
OPTIONAL = {
    "periods.parquet": [
        ("accounts_balance_end", MONEY),
        ("pdl_balance_end", MONEY),
        ("reserve_target", MONEY),
    ],
}


def first_bad(seq):
    for i, item in enumerate(seq):
        if item is not None:
            return i, item
    return None


def check_files(c, directory):
    tables = {}
    for name, columns in SCHEMA.items():
        path = os.path.join(directory, name)
        c.check(os.path.isfile(path), f"{name} exists", f"no file {path}")
        pfile = pq.ParquetFile(path)
        table = pfile.read()
        actual = [f.name for f in table.schema]
        # Columns present only for deals that have them (docs/output.md), in this order.
        extra = [x for x in OPTIONAL.get(name, []) if x[0] in actual]
        columns = columns + extra
        want = [n for n, _ in columns]
        c.check(actual == want, f"{name} has the expected columns", f"got {actual}, expected {want}")
        physical = {
            pfile.schema.column(i).name: pfile.schema.column(i).physical_type
            for i in range(len(pfile.schema))
        }
        for col, (kind, want_type) in columns:
            actual_type = table.schema.field(col).type
            c.check(
                type_ok(kind, want_type, actual_type),
                f"{name}: {col} is {kind if want_type is None else want_type}",
                f"got {actual_type}",
            )
            if kind == "money":
                c.check(
                    physical[col] == "INT64",
                    f"{name}: {col} is stored as Parquet INT64",
                    f"got {physical[col]}",
                )
        # The optional columns are null where a run has no such account or step (docs/output.md:
        # `reserve_target` on a date no reserve step ran, review 38c item L1).
        optional = {n for n, _ in extra}
        money = [col for col, (kind, _) in columns if kind == "money" and col not in optional]
        nulls = [(col, table.column(col).null_count) for col in money if table.column(col).null_count]
        c.check(not nulls, f"{name}: money columns have no nulls", f"null counts {nulls}")
        tables[name] = table
    return tables


def check_invariants(c, t):
    flows = t["tranche_flows.parquet"]
    notices = t["payment_notices.parquet"]
    for r in rows(
        notices,
        ["interest_per_100", "principal_per_100", "total_per_100", "record_date", "payment_date",
         "face_per_100_after"],
    ):
        c.check(r[2] == r[0] + r[1], "payment_notices: total = interest + principal per 100", str(r))
        c.check(r[3] < r[4], "payment_notices: record date before the payment date", str(r))
        c.check(0 <= r[5] <= 100, "payment_notices: face per 100 after in [0, 100]", str(r))
    # The face a unit keeps chains with the principal per 100 (docs/auditing.md, since session
    # 30): 100 less the principal per 100 of the tranche's notices so far, scenario by scenario.
    redeemed = {}
    for r in rows(
        notices, ["deal", "scenario", "tranche", "principal_per_100", "face_per_100_after"]
    ):
        key = r[:3]
        redeemed[key] = redeemed.get(key, Decimal(0)) + r[3]
        c.check(
            r[4] == 100 - redeemed[key],
            "payment_notices: face per 100 after = 100 - the principal per 100 so far",
            str(r),
        )
    # The interest 尾差 is under one unit of the figure per 100 on each unit (0.0001 at four
    # places), twice that on a restated row (the restated figure's and the waterfall's).
    for r in rows(notices, ["interest_residual", "units", "interest_per_100"]):
        tick = Decimal(1).scaleb(r[2].as_tuple().exponent)
        c.check(
            abs(r[0]) < 2 * tick * r[1],
            "payment_notices: |interest_residual| < 2 x one unit of the figure x units",
            str(r),
        )
    # The accrual period's days are its ends' difference (since session 32).
    for r in rows(notices, ["accrual_start", "accrual_end", "accrual_days"]):
        c.check(
            r[2] == (r[1] - r[0]).days and r[2] > 0,
            "payment_notices: accrual_days = accrual_end - accrual_start",
            str(r),
        )
    for r in rows(notices, ["interest_paid", "principal_paid", "csdc_fee", "csdc_buffer", "transfer"]):
        c.check(r[3] in (0, 1000), "payment_notices: the 长款 is 0 or 1,000.00", str(r))
        c.check(
            r[4] == r[0] + r[1] + r[2] + r[3],
            "payment_notices: transfer = interest + principal paid + CSDC fee + 长款",
            str(r),
        )
    fr = rows(
        flows,
        [
            "deal",
            "scenario",
            "tranche",
            "period",
            "balance_start",
            "interest_due",
            "interest_paid",
            "interest_shortfall",
            "principal_paid",
            "balance_end",
        ],
    )

    bad = first_bad((r if r[9] != r[4] - r[8] else None) for r in fr)
    c.check(
        bad is None,
        f"tranche_flows: balance_end = balance_start - principal_paid ({len(fr)} rows)",
        bad and f"row {bad[0]} {bad[1][:4]}: {bad[1][9]} != {bad[1][4]} - {bad[1][8]}",
    )
    bad = first_bad((r if r[7] != max(0, r[5] - r[6]) else None) for r in fr)
    c.check(
        bad is None,
        f"tranche_flows: interest_shortfall = max(0, interest_due - interest_paid) ({len(fr)} rows)",
        bad and f"row {bad[0]} {bad[1][:4]}: {bad[1][7]} != {bad[1][5]} - {bad[1][6]}",
    )

    # Each notice's unpaid interest is its tranche's shortfall of the date, less the interest
    # 尾差 that `[notices] per_unit` carries (or forgoes) by design: the notice's
    # interest_residual beyond what the tranche was paid above the notice's figure (without
    # per_unit the two are equal, and the unpaid interest is the shortfall).
    flow = {(r[0], r[1], r[2], r[3]): (r[7], r[6]) for r in fr}

    def unpaid_ok(r):
        shortfall, paid = flow.get((r[0], r[1], r[2], r[3]), (None, None))
        if shortfall is None:
            return False
        return r[4] == max(0, shortfall - (r[6] - (paid - r[5])))

    bad = first_bad(
        (r if not unpaid_ok(r) else None)
        for r in rows(
            notices,
            [
                "deal", "scenario", "tranche", "period", "interest_unpaid", "interest_paid",
                "interest_residual",
            ],
        )
    )
    c.check(
        bad is None,
        "payment_notices: interest_unpaid = max(0, tranche_flows.interest_shortfall - the "
        "per-unit interest 尾差 carried) of the date",
        bad and f"row {bad[0]} {bad[1]}",
    )

    # Per tranche: the row of its first period, and the sum of principal paid.
    first = OrderedDict()
    principal = OrderedDict()
    for r in fr:
        key, period, start, paid = r[0:3], r[3], r[4], r[8]
        if key not in first or period < first[key][0]:
            first[key] = (period, start)
        principal[key] = principal.get(key, 0) + paid

    summary = rows(
        t["summary.parquet"],
        ["deal", "scenario", "tranche", "initial_balance", "total_principal"],
    )
    in_summary = OrderedDict(((d, s, tr), (ib, tp)) for d, s, tr, ib, tp in summary)
    c.check(
        len(in_summary) == len(summary),
        "summary: one row per (deal, scenario, tranche)",
        f"{len(summary)} rows, {len(in_summary)} distinct",
    )
    c.check(
        set(in_summary) == set(first),
        "tranche_flows and summary name the same (deal, scenario, tranche)",
        f"only in flows: {sorted(set(first) - set(in_summary))}, "
        f"only in summary: {sorted(set(in_summary) - set(first))}",
    )
    for key, (initial, total_principal) in in_summary.items():
        period, start = first[key]
        c.check(
            start == initial,
            f"{key}: balance_start of period {period} = summary.initial_balance",
            f"{start} != {initial}",
        )
        c.check(
            principal[key] == total_principal,
            f"{key}: sum of principal_paid = summary.total_principal",
            f"{principal[key]} != {total_principal}",
        )

    amounts = rows(
        t["ledger.parquet"], ["deal", "scenario", "period", "step", "action", "item", "amount"]
    )
    bad = first_bad((r if not r[6] > 0 else None) for r in amounts)
    c.check(
        bad is None,
        f"ledger: every amount > 0 ({len(amounts)} entries)",
        bad and f"entry {bad[0]} {bad[1]}",
    )

    pr = rows(
        t["periods.parquet"],
        ["deal", "scenario", "period", "pool_cash", "cash_brought_forward", "available_funds"],
    )
    # A clean-up call's price (ledger action `clean_up_call`) joins the call date's funds, and
    # so do income on cash held and an asset guarantor's payment, less the recoveries paid back
    # to it, and less what a failed servicer kept (`commingled`; docs/output.md,
    # `available_funds`).
    sign = {
        "clean_up_call": 1,
        "investment_income": 1,
        "guarantee_payment": 1,
        "subrogation": -1,
        "commingled": -1,
    }
    called = {}
    for r in amounts:
        if r[4] in sign:
            called[(r[0], r[1], r[2])] = called.get((r[0], r[1], r[2]), 0) + sign[r[4]] * r[6]
    bad = first_bad(
        (r if r[5] != r[3] + r[4] + called.get((r[0], r[1], r[2]), 0) else None) for r in pr
    )
    c.check(
        bad is None,
        f"periods: available_funds = pool_cash + cash_brought_forward (+ call price, income, "
        f"guarantee) ({len(pr)} rows)",
        bad and f"row {bad[0]} {bad[1][:3]}: {bad[1][5]} != {bad[1][3]} + {bad[1][4]}",
    )

    # The date's cash adds up: its sources (what it started with, the draws, the asset
    # guarantor's payment counted once, the restatement's cash) equal its uses (payments, the
    # reserve's deposit, the supports' repayments and interest, purchases, the accounts after).
    cols = [
        "deal", "scenario", "period", "available_funds", "reserve_draws", "support_draws",
        "guarantee_payment", "restated", "taxes_paid", "fees_paid", "interest_paid",
        "principal_paid", "residual_paid", "reserve_deposit", "support_repaid",
        "support_interest_paid", "purchases", "collection_balance_end", "commingled",
    ]
    table = t["periods.parquet"]
    named = "accounts_balance_end" in table.column_names
    flows = rows(table, cols + (["accounts_balance_end"] if named else []))

    def adds_up(r):
        sources = r[3] + r[4] + r[5] - r[6] + r[7]
        uses = sum(r[8:18]) + ((r[19] or 0) if named else 0)
        return sources == uses

    bad = first_bad((r if not adds_up(r) else None) for r in flows)
    c.check(
        bad is None,
        f"periods: the date's cash adds up ({len(flows)} rows)",
        bad and f"row {bad[0]} {bad[1][:3]}",
    )
    by_action = {}
    restated = set()
    for r in amounts:
        if r[4] in (
            "guarantee_payment", "repay_support", "support_interest", "buy_assets", "commingled"
        ):
            key = (r[0], r[1], r[2], r[4])
            by_action[key] = by_action.get(key, 0) + r[6]
        if r[4] in ("restate", "restate_principal"):
            restated.add((r[0], r[1], r[2]))
    # A restated date (reconcile) states the reported figures, which the ledger's `restate`
    # entries reach: those rows are checked to add up above, not against these actions.
    actions = ("guarantee_payment", "repay_support", "support_interest", "buy_assets", "commingled")
    bad = first_bad(
        (
            r
            if (r[0], r[1], r[2]) not in restated
            and [by_action.get((r[0], r[1], r[2], a), 0) for a in actions]
            != [r[6], r[14], r[15], r[16], r[18]]
            else None
        )
        for r in flows
    )
    c.check(
        bad is None,
        f"periods: guarantee_payment, support_repaid, support_interest_paid, purchases and "
        f"commingled are the ledger's entries ({len(flows)} rows)",
        bad and f"row {bad[0]} {bad[1][:3]}",
    )

    # What each support was repaid and paid in interest are its ledger entries `repay_support`
    # and `support_interest` (item: the support's name; since session 36).
    moved = {}
    for r in amounts:
        if r[4] in ("repay_support", "support_interest"):
            key = (r[0], r[1], r[5], r[4])
            moved[key] = moved.get(key, 0) + r[6]
    sup = rows(t["support.parquet"], ["deal", "scenario", "support", "repaid", "interest_paid"])
    bad = first_bad(
        (
            r
            if (
                moved.get((r[0], r[1], r[2], "repay_support"), 0),
                moved.get((r[0], r[1], r[2], "support_interest"), 0),
            )
            != (r[3], r[4])
            else None
        )
        for r in sup
    )
    c.check(
        bad is None,
        f"support: repaid and interest_paid are the ledger's repay_support and support_interest "
        f"entries ({len(sup)} rows)",
        bad and f"row {bad[0]} {bad[1]}",
    )

    fees = rows(
        t["fees.parquet"],
        ["deal", "scenario", "period", "kind", "name", "due", "paid", "arrears"],
    )
    bad = first_bad((r if r[7] != max(0, r[5] - r[6]) else None) for r in fees)
    c.check(
        bad is None,
        f"fees: arrears = max(0, due - paid) ({len(fees)} rows)",
        bad and f"row {bad[0]} {bad[1][:5]}: {bad[1][7]} != {bad[1][5]} - {bad[1][6]}",
    )
    # charged = due less the previous date's arrears of the same tax or fee (0 on the first
    # date), since session 32.
    charged = rows(
        t["fees.parquet"],
        ["deal", "scenario", "kind", "name", "period", "due", "arrears", "charged"],
    )
    before = {}
    bad = None
    for i, r in enumerate(sorted(charged, key=lambda r: (r[0], r[1], r[2], r[3], r[4]))):
        key = (r[0], r[1], r[2], r[3])
        if bad is None and r[7] != r[5] - before.get(key, 0):
            bad = (i, r)
        before[key] = r[6]
    c.check(
        bad is None,
        f"fees: charged = due - the previous date's arrears ({len(charged)} rows)",
        bad and f"row {bad[0]} {bad[1]}",
    )
    paid = {}
    for r in fees:
        key = (r[0], r[1], r[2], r[3])
        paid[key] = paid.get(key, 0) + r[6]
    totals = rows(
        t["periods.parquet"], ["deal", "scenario", "period", "taxes_paid", "fees_paid"]
    )
    if fees:
        bad = first_bad(
            (
                r
                if (paid.get((r[0], r[1], r[2], "tax"), 0), paid.get((r[0], r[1], r[2], "fee"), 0))
                != (r[3], r[4])
                else None
            )
            for r in totals
        )
        c.check(
            bad is None,
            f"fees: taxes and fees paid sum to periods.taxes_paid and fees_paid ({len(totals)} rows)",
            bad and f"row {bad[0]} {bad[1]}",
        )


def main(argv):
    args = argv[1:]
    verbose = "-v" in args or "--verbose" in args
    args = [a for a in args if a not in ("-v", "--verbose")]
    if len(args) != 1 or args[0].startswith("-"):
        print(f"usage: {argv[0]} [-v] DIR", file=sys.stderr)
        return 2
    c = Checker(verbose)
    try:
        tables = check_files(c, args[0])
        check_invariants(c, tables)
    except CheckFailed as e:
        print(e, file=sys.stderr)
        print(f"{c.passed} passed, 1 failed")
        return 1
    except (OSError, pa.ArrowException) as e:
        print(f"FAIL: cannot read the tables: {e}", file=sys.stderr)
        print(f"{c.passed} passed, 1 failed")
        return 1
    print(f"{c.passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
