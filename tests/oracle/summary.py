"""summary.parquet: one row per tranche over the whole run, from the oracle's own rows.

docs/output.md "`summary.parquet`" (every column), docs/analytics.md (WAL, yield, price,
durations, convexity, spreads; the bracket and "A tranche that receives nothing"),
docs/breakeven.md "Definitions", Paid in full (`paid_in_full`), docs/deal-format.md
"Floating rates" (the summary's `coupon`), docs/conventions.md "Triggers" (the two phases of
`first_trigger`) and "Money and rounding" (ratios to 6 places; the measures are f64 statistics).

Exact columns (money, ratios, dates, strings, the flag) are built as the other tables' values
are; the f64 measures are computed here in Python floats from the docs' formulas (WAL as an
exact fraction, then one conversion) and compared within a tolerance (compare.py,
`FLOAT_COLUMNS`): they are statistics, and the docs fix their formula, not their bits (ipabs's
own `pow` and Brent iterates are not reproduced).
"""
import math
from decimal import Decimal
from fractions import Fraction as F

from money import NotCovered, money, ratio6
from triggers import AFTER, BEFORE

YIELD_MIN, YIELD_MAX = -0.99, 10.0      # docs/analytics.md "Root finder", Bracket
ZERO = Decimal("0.00")


def t_years(settle, day):
    """docs/analytics.md "Conventions": t_i = calendar days / 365 (ACT/365F), f64."""
    return (day - settle).days / 365


def bisect(g, lo, hi):
    """The root of g on [lo, hi], g(lo) and g(hi) of opposite signs, by bisection to the last
    representable midpoint (far inside docs/analytics.md's 1e-12; deliberately not ipabs's
    Brent iterates): the end whose g is smaller in size."""
    g_lo = g(lo)
    while True:
        mid = (lo + hi) / 2
        if mid <= lo or mid >= hi:
            break
        g_mid = g(mid)
        if g_mid == 0:
            return mid
        if (g_mid > 0) == (g_lo > 0):
            lo, g_lo = mid, g_mid
        else:
            hi = mid
    return lo if abs(g_lo) <= abs(g(hi)) else hi


def pv(flows, y):
    """docs/analytics.md "Formulas": P(y) = Σ CF_i (1 + y)^(−t_i)."""
    return sum(cf * (1 + y) ** (-t) for t, cf in flows)


def solve(flows, price):
    """docs/analytics.md "Yield": the y in [−0.99, 10] with P(y) = price (the ends evaluated);
    None when P − price does not change sign on the bracket (every flow is positive here, so P is
    monotone and the root unique)."""
    g = lambda y: pv(flows, y) - price
    lo, hi = g(YIELD_MIN), g(YIELD_MAX)
    if lo == 0:
        return YIELD_MIN
    if hi == 0:
        return YIELD_MAX
    if (lo > 0) == (hi > 0):
        return None
    return bisect(g, YIELD_MIN, YIELD_MAX)


def curve_rate(points, t):
    """docs/analytics.md "Spread over a zero curve": linear in the rate between the points, flat
    outside them (the first point's rate at or before its tenor, the last's after the last)."""
    if t <= points[0][0]:
        return points[0][1]
    for (t0, r0), (t1, r1) in zip(points, points[1:]):
        if t <= t1:
            return r0 + (r1 - r0) * (t - t0) / (t1 - t0)
    return points[-1][1]


def spread(flows, price, pricing):
    """docs/analytics.md "Spread over a flat rate" / "over a zero curve": the z with
    Σ CF_i (1 + r(t_i) + z)^(−t_i) = price, on the yield's bracket for the total rate,
    z in [−0.99 − r_min, 10 − r_min] (r_min the lowest base rate at the flow times); None
    without a discount curve, without flows, or without a sign change on the bracket."""
    if "discount_rate" in pricing:
        rate = lambda t: float(pricing["discount_rate"])
    elif "zero_curve" in pricing:
        pts = [(float(p["years"]), float(p["rate"])) for p in pricing["zero_curve"]]
        rate = lambda t: curve_rate(pts, t)
    else:
        return None
    if not flows or price is None:
        return None
    base = [(t, cf, rate(t)) for t, cf in flows]
    r_min = min(r for _, _, r in base)
    g = lambda z: sum(cf * (1 + r + z) ** (-t) for t, cf, r in base) - price
    lo_z, hi_z = YIELD_MIN - r_min, YIELD_MAX - r_min
    lo, hi = g(lo_z), g(hi_z)
    if lo == 0 or hi == 0:
        return lo_z if lo == 0 else hi_z
    if (lo > 0) == (hi > 0):
        return None
    return bisect(g, lo_z, hi_z)


def risk(flows, y):
    """docs/analytics.md "Formulas": Macaulay D = Σ t CF v / P, modified D / (1 + y),
    convexity Σ t (t + 1) CF (1 + y)^(−t−2) / P, with P = P(y); all None when y is not finite or
    ≤ −1, no flow is after settle, P ≤ 0, or a result is not finite."""
    if y is None or not math.isfinite(y) or y <= -1 or not flows:
        return None, None, None
    p = pv(flows, y)
    if not p > 0:
        return None, None, None
    mac = sum(t * cf * (1 + y) ** (-t) for t, cf in flows) / p
    conv = sum(t * (t + 1) * cf * (1 + y) ** (-t - 2) for t, cf in flows) / p
    out = (mac, mac / (1 + y), conv)
    return out if all(math.isfinite(x) for x in out) else (None, None, None)


def flows_after(rows, settle):
    """docs/output.md "summary.parquet": interest + principal + residual paid after the
    settlement date (docs/analytics.md: only flows dated strictly after it), one per date,
    money converted to f64 once (docs/analytics.md "Money ↔ f64")."""
    return [(t_years(settle, r["payment_date"]),
             float(r["interest_paid"] + r["principal_paid"] + r["residual_paid"]))
            for r in rows if r["payment_date"] > settle
            and r["interest_paid"] + r["principal_paid"] + r["residual_paid"] != 0]


def first_trigger(run, periods):
    """docs/output.md `first_trigger`: the first trigger to trip, on its first date one tested
    before the waterfall before one tested after it, each in file order. A trigger that trips is
    in the tripped state after its date's waterfall (docs/output.md `triggers_tripped`: those
    tested after it included; a curable one clears only at a later test), so the first date is
    the first row with a trigger tripped, and every trigger it names tripped on it."""
    for row in periods:
        if row["triggers_tripped"]:
            names = row["triggers_tripped"].split(",")
            order = ([tg["name"] for tg in run.triggers if tg["condition"] in BEFORE]
                     + [tg["name"] for tg in run.triggers if tg["condition"] in AFTER])
            return next(n for n in order if n in names), row["payment_date"]
    return None, None


def paid_in_full(run, t, rows, test):
    """docs/breakeven.md "Definitions", Paid in full: timely, every date's interest paid as due
    (interest due − paid − the per-unit 尾差 carried by design = 0, docs/auditing.md) and no
    balance after the run's last date; `payment_test = "ultimate"`, nothing of its interest
    unpaid and no balance after the last date. Money in fen-exact Decimals."""
    last = rows[-1]
    ires = lambda r: Decimal(run.ires_of[(r["period"], t.name)]).scaleb(-2)
    if last["balance_end"] != 0:
        return False
    if test == "ultimate":
        return last["interest_shortfall"] - ires(last) <= 0
    if test != "timely":
        raise NotCovered(f"payment_test {test!r}")
    return all(r["interest_due"] - r["interest_paid"] - ires(r) <= 0 for r in rows)


def summary_rows(run, rows, pricing):
    """The oracle's summary.parquet rows, in the tranches' seniority order (the order of
    tranche_flows' rows on a date)."""
    pricing = pricing or {}
    if set(pricing) - {"settlement_date", "prices", "yields", "discount_rate", "zero_curve"}:
        raise NotCovered("a [pricing] key the oracle does not know")
    specs = {s["name"]: s for s in run.deal["tranches"]}
    closing = run.p.closing
    settle = pricing.get("settlement_date", closing)
    periods = rows["periods"]
    trig, trig_date = first_trigger(run, periods)
    support_drawn = sum((r["total"] for r in rows["support"]), ZERO)
    cdr = periods[-1]["cumulative_default_ratio"]
    out = []
    for t in run.T.values():
        spec = specs[t.name]
        mine = [r for r in rows["tranche_flows"] if r["tranche"] == t.name]
        paid = [r for r in mine if r["interest_paid"] + r["principal_paid"] + r["residual_paid"] > 0]
        covs = [r["coverage_multiple"] for r in mine
                if r["balance_start"] > 0 and r["coverage_multiple"] is not None]
        init = money(t.init)
        # WAL: Σ principal_i t_i / Σ principal_i over principal after settle, exact, then f64
        prin = [(F((r["payment_date"] - settle).days, 365), F(r["principal_paid"]))
                for r in mine if r["payment_date"] > settle and r["principal_paid"] != 0]
        psum = sum(p for _, p in prin)
        wal = float(sum(x * p for x, p in prin) / psum) if psum > 0 else None
        # yield at par: buy the initial balance on the closing date
        at_closing = flows_after(mine, closing)
        if not at_closing:
            yap = -1.0
        else:
            yap = solve(at_closing, float(init))
        # price and yield at settlement: per 100 of the balance outstanding at settlement
        flows = flows_after(mine, settle)
        bal = init - sum((r["principal_paid"] for r in mine if r["payment_date"] <= settle), ZERO)
        price = y = None
        if bal > 0:
            if t.name in pricing.get("prices", {}):
                price = float(pricing["prices"][t.name])
                y = (-1.0 if price > 0 else None) if not flows else solve(flows, price / 100 * float(bal))
            elif t.name in pricing.get("yields", {}):
                y = float(pricing["yields"][t.name])
                price = pv(flows, y) / float(bal) * 100 if flows else 0.0
            else:
                price = 100.0
                y = -1.0 if not flows else solve(flows, float(bal))
        mac, mod, conv = risk(flows, y) if flows else (None, None, None)
        # docs/analytics.md "A tranche that receives nothing": durations, convexity and spread null
        spr = spread(flows, None if price is None else price / 100 * float(bal), pricing)
        out.append({
            "deal": run.deal_name, "scenario": run.scenario["name"], "tranche": t.name,
            "class": t.cls, "rating": spec.get("rating"),
            "initial_balance": init,
            # docs/deal-format.md "Floating rates": the first payment date's rate (a fixed coupon,
            # 0 for a subordinated tranche without one, plus the scenario's coupon_shift)
            "coupon": ratio6(t.coupons[0]),
            "total_interest": sum((r["interest_paid"] for r in mine), ZERO),
            "total_principal": sum((r["principal_paid"] for r in mine), ZERO),
            "total_residual": sum((r["residual_paid"] for r in mine), ZERO),
            "principal_loss": mine[-1]["balance_end"],
            "interest_shortfall": mine[-1]["interest_shortfall"],
            "final_payment_date": paid[-1]["payment_date"] if paid else None,
            "wal_years": wal,
            "min_coverage_multiple": min(covs) if covs else None,
            "yield_at_par": yap,
            "settlement_date": settle,
            "price": price,
            "yield": y,
            "macaulay_duration": mac,
            "modified_duration": mod,
            "convexity": conv,
            "spread": spr,
            "support_drawn": support_drawn,
            "cumulative_default_ratio": cdr,
            "first_trigger": trig,
            "first_trigger_date": trig_date,
            "paid_in_full": paid_in_full(run, t, mine, spec.get("payment_test", "timely")),
        })
    return out
