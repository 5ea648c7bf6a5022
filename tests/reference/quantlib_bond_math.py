#!/usr/bin/env python3
"""QuantLib reference figures for tests/bond_math.rs.

Rerun:  pip install QuantLib==1.44 && python3 tests/reference/quantlib_bond_math.py

It builds four tranche cash-flow sets from their term sheets (interest = balance x coupon x
days/365, rounded half away from zero to the fen), prices them with QuantLib's CashFlows
functions under the Chinese conventions of src/analytics/bond_math.rs (annual compounding,
Actual/365 Fixed, flows on the settlement date excluded), and prints one Rust block: the flows
as (date, dec!(amount)) rows and the reference yields, durations, convexities, WALs and
z-spreads with 15 significant digits. tests/bond_math.rs holds that block, pasted between
its BEGIN/END markers and formatted by cargo fmt.

Cross-checks printed to stderr (not pasted):
  * QuantLib's convexity equals sum t(t+1) CF (1+y)^(-t-2) / P (recomputed here with
    math.fsum) and the central second difference of QuantLib's NPV in y, divided by P;
  * QuantLib's NPV at the yield it returns reproduces the price;
  * WAL is computed exactly with fractions.Fraction (no QuantLib function for it).
"""

import math
import sys
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import QuantLib as ql

DC = ql.Actual365Fixed()


def fen(x: Decimal) -> Decimal:
    # ROUND_HALF_UP in Python's decimal module rounds half away from zero.
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def term_sheet_flows(settle, face, coupon, schedule):
    """schedule: [(payment date, principal repaid)]; interest accrues ACT/365 from the
    previous payment date (the first period from `settle`) on the outstanding balance.
    Returns [(date, total amount, principal)]."""
    balance = Decimal(face)
    prev = settle
    out = []
    for pay, principal in schedule:
        principal = Decimal(principal)
        days = (pay - prev).days
        interest = fen(balance * Decimal(coupon) * days / Decimal(365))
        out.append((pay, interest + principal, principal))
        balance -= principal
        prev = pay
    assert balance == 0, balance
    return out


def qd(d: date) -> ql.Date:
    return ql.Date(d.day, d.month, d.year)


def leg(flows):
    return ql.Leg([ql.SimpleCashFlow(float(amount), qd(d)) for d, amount, _ in flows])


def years(settle, d):
    return (d - settle).days / 365.0


def curve_rate(points, t):
    """Linear in t between points, flat outside: the rule of ZeroCurve::rate."""
    if t <= points[0][0]:
        return points[0][1]
    for (ta, ra), (tb, rb) in zip(points, points[1:]):
        if t < tb:
            return ra + (rb - ra) * (t - ta) / (tb - ta)
    return points[-1][1]


def g15(x: float) -> str:
    s = f"{x:.15g}"
    return s if ("e" in s or "." in s) else s + ".0"


def measures(name, settle, flows, price):
    ql.Settings.instance().evaluationDate = qd(settle)
    lg = leg(flows)
    s = qd(settle)
    y = ql.CashFlows.yieldRate(
        lg, price, DC, ql.Compounded, ql.Annual, False, s, s, 1e-14, 1000, 0.03
    )
    rate = ql.InterestRate(y, DC, ql.Compounded, ql.Annual)
    cpd = (DC, ql.Compounded, ql.Annual)
    mac = ql.CashFlows.duration(lg, y, *cpd, ql.Duration.Macaulay, False, s, s)
    mod = ql.CashFlows.duration(lg, y, *cpd, ql.Duration.Modified, False, s, s)
    conv = ql.CashFlows.convexity(lg, y, *cpd, False, s, s)

    # Cross-checks of the definitions.
    npv = ql.CashFlows.npv(lg, rate, False, s, s)
    fut = [(years(settle, d), float(a)) for d, a, _ in flows if d > settle]
    p = math.fsum(a * (1 + y) ** -t for t, a in fut)
    conv_formula = math.fsum(t * (t + 1) * a * (1 + y) ** (-t - 2) for t, a in fut) / p
    h = 1e-4

    def npv_at(yy):
        return ql.CashFlows.npv(lg, ql.InterestRate(yy, DC, ql.Compounded, ql.Annual), False, s, s)

    conv_fd = (npv_at(y + h) - 2 * npv + npv_at(y - h)) / (h * h * npv)
    print(
        f"{name}: npv(y)-price={npv - price:.3e}  "
        f"conv rel diff vs formula={(conv - conv_formula) / conv:.3e}  "
        f"vs 2nd difference (h=1e-4)={(conv - conv_fd) / conv:.3e}",
        file=sys.stderr,
    )
    return y, mac, mod, conv


def wal(settle, flows):
    num = sum(Fraction(p) * (d - settle).days for d, _, p in flows if d > settle)
    den = sum(Fraction(p) for d, _, p in flows if d > settle) * 365
    return float(num / den)


def z_spread(settle, flows, price, points):
    """QuantLib z-spread over a discount curve whose nodes are exactly the annually
    compounded zero rates r(t_i) of `points` (linear in rate, flat ends) at the flow dates."""
    ql.Settings.instance().evaluationDate = qd(settle)
    fut = [(d, a) for d, a, _ in flows if d > settle]
    dates = [qd(settle)] + [qd(d) for d, _ in fut]
    dfs = [1.0] + [(1 + curve_rate(points, years(settle, d))) ** -years(settle, d) for d, _ in fut]
    curve = ql.DiscountCurve(dates, dfs, DC)
    s = qd(settle)
    return ql.CashFlows.zSpread(
        leg(flows), price, curve, ql.Compounded, ql.Annual, False, s, s, 1e-14, 1000, 0.0
    )


# ---------------------------------------------------------------- the tranches
# A1: 1-year senior, 2.2 % quarterly, bullet, 100,000,000.
A1_SETTLE = date(2024, 6, 28)
A1 = term_sheet_flows(
    A1_SETTLE,
    100_000_000,
    "0.022",
    [
        (date(2024, 9, 30), 0),
        (date(2024, 12, 30), 0),
        (date(2025, 3, 28), 0),
        (date(2025, 6, 30), 100_000_000),
    ],
)
# A2: 3-year amortizing senior, 4.0 %, 300,000,000, issued just before the 2024 National Day
# holiday (1-7 October): an 11-day first period paid on the first business day after it,
# then quarterly dates rolled off weekends, uneven principal.
A2_SETTLE = date(2024, 9, 27)
A2 = term_sheet_flows(
    A2_SETTLE,
    300_000_000,
    "0.040",
    [
        (date(2024, 10, 8), 0),
        (date(2024, 12, 27), 20_000_000),
        (date(2025, 3, 27), 25_000_000),
        (date(2025, 6, 27), 25_000_000),
        (date(2025, 9, 29), 30_000_000),
        (date(2025, 12, 29), 30_000_000),
        (date(2026, 3, 27), 30_000_000),
        (date(2026, 6, 29), 30_000_000),
        (date(2026, 9, 28), 25_000_000),
        (date(2026, 12, 28), 25_000_000),
        (date(2027, 3, 29), 20_000_000),
        (date(2027, 6, 28), 20_000_000),
        (date(2027, 9, 27), 20_000_000),
    ],
)
# Resale of A2 on a payment date: the 2025-03-27 flow goes to the seller (excluded).
A2_RESALE = date(2025, 3, 27)
# B: 2-year mezzanine, 3.5 % semi-annual, 50,000,000, priced below and above par.
B_SETTLE = date(2024, 12, 20)
B = term_sheet_flows(
    B_SETTLE,
    50_000_000,
    "0.035",
    [
        (date(2025, 6, 20), 10_000_000),
        (date(2025, 12, 22), 10_000_000),
        (date(2026, 6, 22), 15_000_000),
        (date(2026, 12, 21), 15_000_000),
    ],
)
# Sub: subordinated tranche bought for 15,000,000; residual flows (all "principal"-free).
SUB_SETTLE = date(2024, 6, 28)
SUB = [
    (date(2025, 6, 30), Decimal("2100000.00"), Decimal(0)),
    (date(2026, 6, 29), Decimal("3450000.00"), Decimal(0)),
    (date(2027, 6, 28), Decimal("4800000.00"), Decimal(0)),
    (date(2028, 6, 28), Decimal("9275432.17"), Decimal(0)),
]

CASES = [
    # (Rust name, flows name, settle, price)
    ("A1_PAR", "A1", A1_SETTLE, 100_000_000.0),
    ("A2_ISSUE_100_25", "A2", A2_SETTLE, 300_750_000.0),
    ("A2_RESALE_99_80", "A2", A2_RESALE, 254_490_000.0),
    ("B_99_5", "B", B_SETTLE, 49_750_000.0),
    ("B_101", "B", B_SETTLE, 50_500_000.0),
    ("SUB_IRR", "SUB", SUB_SETTLE, 15_000_000.0),
]
FLOWS = {"A1": A1, "A2": A2, "B": B, "SUB": SUB}

CURVE = [(0.25, 0.0150), (1.0, 0.0175), (2.0, 0.0195), (3.0, 0.0210), (5.0, 0.0230)]
Z_CASES = [
    ("A2_ISSUE_100_25", "A2", A2_SETTLE, 300_750_000.0),
    ("B_99_5", "B", B_SETTLE, 49_750_000.0),
]


def rust_date(d):
    return f"d({d.year}, {d.month}, {d.day})"


def main():
    print(f"// Generated by tests/reference/quantlib_bond_math.py with QuantLib {ql.__version__}.")
    for name, flows in FLOWS.items():
        print(f"const {name}: FlowSet = &[")
        for d, amount, principal in flows:
            print(f'    (({d.year}, {d.month}, {d.day}), "{amount}", "{principal}"),')
        print("];")
    print("// (name, flows, settle, price, yield, Macaulay, modified, convexity)")
    print("const QL_CASES: &[Case] = &[")
    for name, fname, settle, price in CASES:
        y, mac, mod, conv = measures(name, settle, FLOWS[fname], price)
        print(
            f'    Case {{ name: "{name}", flows: {fname}, settle: ({settle.year}, '
            f"{settle.month}, {settle.day}), price: {g15(price)}, yield_: {g15(y)}, "
            f"macaulay: {g15(mac)}, modified: {g15(mod)}, convexity: {g15(conv)} }},"
        )
    print("];")
    print("// (flows, settle, WAL in years) computed exactly with fractions.Fraction")
    print("const WALS: &[(FlowSet, Ymd, f64)] = &[")
    for fname, settle in [("A1", A1_SETTLE), ("A2", A2_SETTLE), ("A2", A2_RESALE), ("B", B_SETTLE)]:
        w = wal(settle, FLOWS[fname])
        print(f"    ({fname}, ({settle.year}, {settle.month}, {settle.day}), {g15(w)}),")
    print("];")
    print("// Sloped zero curve (tenor, annually compounded rate) and QuantLib z-spreads over it")
    print("const CURVE: &[(f64, f64)] = &[" + ", ".join(f"({t}, {r})" for t, r in CURVE) + "];")
    print("const QL_Z_SPREADS: &[(FlowSet, Ymd, f64, f64)] = &[")
    for name, fname, settle, price in Z_CASES:
        z = z_spread(settle, FLOWS[fname], price, CURVE)
        print(
            f"    ({fname}, ({settle.year}, {settle.month}, {settle.day}), {g15(price)}, {g15(z)}),"
            f" // {name}"
        )
    print("];")


if __name__ == "__main__":
    main()
