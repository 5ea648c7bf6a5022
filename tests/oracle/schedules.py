"""Contractual instalments (due date, principal fen, interest fen) of an asset.

docs/conventions.md "The pool" (first paragraph); docs/deal-format.md "[[obligors.assets]]",
"Generated licence-fee schedules"; docs/amortization.md "Due dates", "Interest per period",
"Level", "EqualPrincipal", "InterestOnlyBullet".
"""
from fractions import Fraction as F

from dates import MONTHS, add_months, is_month_end, year_fraction
from money import NotCovered, exact, fen, to_fen, yuan


def generated(asset, day_count, rule, rate_at=None):
    """A generated loan or lease schedule (docs/amortization.md). A floating loan
    (docs/amortization.md "Floating-rate loans"): `rate_at(period start)` is the rate of the
    instalment period starting then; the start date's rate gives the schedule, and at the start
    of each later instalment period whose rate differs from the one in force the remaining
    instalments are the exact schedule of the remaining balance over the remaining instalments
    at the new rate, on the original due dates."""
    floating = asset.get("floating")
    if floating is not None and asset["kind"] != "loan":
        raise NotCovered("a floating lease")
    balance = to_fen(asset["balance"])
    start = asset["start_date"]
    rate = rate_at(start) if floating is not None else exact(asset["rate"])
    m = MONTHS[asset["frequency"]]
    q = 12 // m                       # payments a year; r = rate / q is never computed alone
    n = int(asset["term"])
    # "Due dates": from one anchor, d_0 = first_payment_date, else the start date
    if asset.get("first_payment_date"):
        d0 = asset["first_payment_date"]
        dates = [add_months(d0, k * m, is_month_end(d0)) for k in range(n)]
    else:
        dates = [add_months(start, (k + 1) * m, is_month_end(start)) for k in range(n)]
    repayment = asset.get("repayment", "level" if asset["kind"] == "lease" else None)
    accrual = asset.get("accrual", "periodic")
    own_dc = asset.get("day_count", day_count)

    def interest(bal, k, rate):
        # "Interest per period": Periodic fen(balance · rate / q); DayCount fen(balance · rate · yf)
        if accrual == "periodic":
            return fen(yuan(bal) * rate / q, rule)
        if accrual == "day_count":
            prev = start if k == 0 else dates[k - 1]
            return fen(yuan(bal) * rate * year_fraction(prev, dates[k], own_dc), rule)
        raise NotCovered(f"accrual {accrual!r}")

    if repayment not in ("level", "equal_principal", "interest_only"):
        raise NotCovered(f"repayment {repayment!r}")

    def amortize(bal, left, rate):
        """The level instalment or equal principal of `bal` over `left` instalments at `rate`."""
        if repayment == "level":
            # "Level (等额本息)": A = fen(B·r·p/(p − 1)), p = (1 + r)^n; A = fen(B/n) when r = 0
            r = rate / q
            if r == 0:
                return fen(yuan(bal) / left, rule)
            p = (1 + r) ** left
            return fen(yuan(bal) * r * p / (p - 1), rule)
        if repayment == "equal_principal":
            return fen(yuan(bal) / left, rule)   # "EqualPrincipal": P = fen(B / n)
        return 0

    level = each = amortize(balance, n, rate)
    out, bal = [], balance
    for k, due in enumerate(dates):
        if floating is not None and k > 0:
            new = rate_at(dates[k - 1])
            if new != rate:               # "Floating-rate loans" 2: re-amortized at the new rate
                rate = new
                level = each = amortize(bal, n - k, rate)
        i = interest(bal, k, rate)
        if k == n - 1:
            p = bal                       # the last instalment repays the remaining balance
        elif repayment == "level":
            p = min(max(level - i, 0), bal)
        elif repayment == "equal_principal":
            p = min(each, bal)
        else:                             # interest_only: principal 0 until the last
            p = 0
        out.append((due, p, i))
        bal -= p
    return out


def licence_table(table, rule):
    """docs/deal-format.md "Generated licence-fee schedules": fee i (0-based) due first + i × the
    frequency's months (a month-end `first` kept at month ends), fen(amount × (1 + growth)^y)
    with y = ⌊i × months / 12⌋; with `rate`, j = rate × months / 12, the implied balance
    B_i = fen(Σ_{k ≥ i} fee_k / (1 + j)^(k − i + 1)) (B_n = 0), principal B_i − B_(i+1) and
    interest the rest of the fee; without it every fee is all principal."""
    first, m, n = table["first"], MONTHS[table["frequency"]], int(table["periods"])
    amount = exact(table["amount"])
    growth = exact(table.get("growth", 0))
    dates = [add_months(first, i * m, is_month_end(first)) for i in range(n)]
    fees = [fen(amount * (1 + growth) ** (i * m // 12), rule) for i in range(n)]
    rate = exact(table.get("rate", 0))
    if rate == 0:
        return [(d, x, 0) for d, x in zip(dates, fees)]
    j = rate * m / 12
    implied = [fen(sum(F(fees[k], 100) / (1 + j) ** (k - i + 1) for k in range(i, n)), rule)
               for i in range(n)] + [0]
    return [(dates[i], implied[i] - implied[i + 1], fees[i] - (implied[i] - implied[i + 1]))
            for i in range(n)]


def instalments(asset, deal, rate_at=None):
    """Every contractual instalment of an asset, in date order, before the cutoff drop."""
    day_count = deal["deal"].get("day_count", "ACT/365F")
    rule = deal["deal"].get("rounding", "half_up")
    kind = asset["kind"]
    if kind in ("licence", "loan", "lease") and isinstance(asset.get("schedule"), list):
        rows = []
        for e in asset["schedule"]:
            if "amount" in e:             # a licence fee given as one amount is all principal
                rows.append((e["date"], to_fen(e["amount"]), 0))
            else:
                rows.append((e["date"], to_fen(e["principal"]), to_fen(e["interest"])))
        return rows
    if kind == "licence" and isinstance(asset.get("schedule"), dict):
        return licence_table(asset["schedule"], rule)
    if kind == "receivable":             # one amount on its due date, all principal
        return [(asset["due_date"], to_fen(asset["amount"]), 0)]
    if kind in ("loan", "lease") and "schedule" not in asset:
        return generated(asset, day_count, rule, rate_at)
    raise NotCovered(f"asset kind {kind!r} in this form")
