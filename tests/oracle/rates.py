"""Floating rates: index paths, fixing dates and the rate of an accrual or instalment period.

docs/conventions.md "Floating rates"; docs/deal-format.md "Floating rates" and "[scenario]"
(`indices`, `index_paths`, `index_shift`, `coupon_shift`); docs/scenarios.md "Index paths";
docs/amortization.md "Floating-rate loans".
"""
from dates import add_months, is_month_end
from money import NotCovered, OracleError, exact

FLOATING_KEYS = {"index", "spread", "floor", "cap", "reset_dates", "reset_every_months", "reset_from"}


def _paths(table):
    """docs/deal-format.md "[scenario]": `indices` (a flat value) and `index_paths` (a step
    path: [(date, rate)], dates increasing), by index name; one name not in both."""
    out = {}
    for name, v in (table.get("indices") or {}).items():
        out[name] = [(None, exact(v))]
    for name, entries in (table.get("index_paths") or {}).items():
        if name in out:
            raise OracleError(f"index {name} in both indices and index_paths")
        out[name] = [(e["date"], exact(e["rate"])) for e in entries]
    return out


def path_value(path, d):
    """docs/conventions.md "Floating rates", docs/scenarios.md "Index paths": a flat value, or
    the value of the last entry dated on or before `d`; before the first entry, its value."""
    value = path[0][1]
    for day, v in path:
        if day is not None and day <= d:
            value = v
    return value


class Indices:
    """The index values a run reads (docs/scenarios.md "Index paths"): an index the scenario does
    not give is read from the deal file's own [scenario], with the scenario's own `index_shift`;
    a fixing that is history (on or before the closing date for a tranche, the cutoff for a
    loan) reads the deal file's own path, unshifted."""

    def __init__(self, deal, scenario):
        self.own = _paths(deal.get("scenario", {}))
        self.scen = dict(self.own)
        self.scen.update(_paths(scenario))
        self.shift = exact(scenario.get("index_shift", 0))

    def value(self, name, d, history):
        if history:
            if name not in self.own:
                raise OracleError(f"index {name} not in the deal's own [scenario]")
            return path_value(self.own[name], d)
        return path_value(self.scen[name], d) + self.shift


def fixing_date(fl, origin, period_start):
    """docs/deal-format.md "Floating rates", docs/conventions.md "Floating rates": the rate is
    fixed first on the origin (a tranche's closing date, a loan's start date), then on each
    reset date (`reset_dates`, or every `reset_every_months` months from `reset_from`, a month
    end kept at month ends); a period reads the latest fixing date on or before its start.
    Without reset dates it is re-fixed at the start of every period: the period's start."""
    unknown = set(fl) - FLOATING_KEYS
    if unknown:
        raise NotCovered(f"floating keys {sorted(unknown)}")
    latest = origin
    if fl.get("reset_dates"):
        for d in fl["reset_dates"]:
            if d <= period_start:
                latest = max(latest, d)
        return latest
    if fl.get("reset_every_months"):
        m, first = int(fl["reset_every_months"]), fl["reset_from"]
        i = 0
        while True:
            d = add_months(first, i * m, is_month_end(first))
            if d > period_start:
                return latest
            latest = max(latest, d)
            i += 1
    return period_start


def floating_rate(fl, indices, fix, history):
    """docs/conventions.md "Floating rates": max(0, min(cap, max(floor, index(fixing date) +
    index_shift + spread))), a missing floor or cap not applied; exact."""
    x = indices.value(fl["index"], fix, history) + exact(fl["spread"])
    if "floor" in fl:
        x = max(exact(fl["floor"]), x)
    if "cap" in fl:
        x = min(exact(fl["cap"]), x)
    return max(0, x)


def tranche_coupons(spec, periods, indices, coupon_shift):
    """Each payment date's coupon of a tranche (docs/conventions.md "Floating rates"): a fixed
    coupon, or the floating rate of the fixing on or before the accrual period's start (the
    closing date, then the previous payment date), a fixing on or before the closing date being
    history; a senior or mezzanine tranche's plus the scenario's `coupon_shift`, after the floor
    and cap, on every date; a subordinated tranche's return cap never shifted."""
    shift = coupon_shift if spec["class"] != "subordinated" else 0
    fl = spec.get("floating")
    out = []
    for k in range(periods.n):
        if fl is None:
            rate = exact(spec.get("coupon", 0))
        else:
            if periods.accrual_end != periods.pay:
                # review 43b: "the previous payment date" under unadjusted accrual dates is not stated
                raise NotCovered("a floating tranche with accrual_dates = \"unadjusted\"")
            fix = fixing_date(fl, periods.closing, periods.accrual_start[k])
            rate = floating_rate(fl, indices, fix, fix <= periods.closing)
        out.append(rate + shift)
    return out


def loan_rate_at(fl, indices, start, cutoff, period_start):
    """docs/amortization.md "Floating-rate loans" 1-2: the rate of an instalment period starting
    `period_start`: the fixing on the latest reset date on or before it (the start date the
    first), a fixing on or before the cutoff date history."""
    fix = fixing_date(fl, start, period_start)
    return floating_rate(fl, indices, fix, fix <= cutoff)
