"""The run list of `ipabs breakeven`: the scenario file's listed scenarios and grid points, the
rating table, and the standard stress suite built on the deal's [scenario] or on every scenario.

docs/scenarios.md "The scenario file", "[grid]", "[rating]", "The standard stress suite",
"Stresses on every scenario: --stress-on scenarios"; docs/breakeven.md "Target default rate".
"""
import copy
import tomllib
from decimal import Decimal, ROUND_HALF_UP
from fractions import Fraction as F

from money import NotCovered, exact          # tests/oracle (docs/conventions.md rounding)
from pool import Projection
from dates import Periods

# docs/scenarios.md "[rating]": the default multipliers, highest rating first
DEFAULT_MULTIPLIERS = {
    "AAA": Decimal("5.0"), "AAA-": Decimal("4.8"), "AA+": Decimal("4.5"), "AA": Decimal("4.1"),
    "AA-": Decimal("3.7"), "A+": Decimal("3.3"), "A": Decimal("3.0"), "A-": Decimal("2.7"),
    "BBB+": Decimal("2.5"), "BBB": Decimal("2.3"), "BBB-": Decimal("2.0"), "BB+": Decimal("1.8"),
    "BB": Decimal("1.5"), "BB-": Decimal("1.2"),
}

GRID_DIMS = ("cdr", "default_rate", "recovery_rate", "recovery_lag_months", "delay", "cpr",
             "defaulted_obligors", "supports_off")


def base_case(deal):
    """docs/scenarios.md "The scenario file": the deal's [scenario], or the base case."""
    return copy.deepcopy(deal.get("scenario") or {"name": "base"})


def _num(x):
    """docs/scenarios.md "[grid]" Names: numbers without trailing zeros (0.10 -> 0.1)."""
    d = Decimal(str(x))
    s = format(d.normalize(), "f")
    return s


def _grid_points(grid, listed, deal):
    """docs/scenarios.md "[grid]": the Cartesian product, first dimension slowest; names
    `prefix[key=value,...]` listing the dimensions with two or more values."""
    prefix = grid.get("name", "grid")
    base_name = grid.get("base")
    if base_name is None:
        base = base_case(deal)
    else:
        base = copy.deepcopy(next(s for s in listed if s["name"] == base_name))
    dims = [(d, grid[d]) for d in GRID_DIMS if d in grid]
    if not dims:
        raise ValueError("[grid] needs a list")
    sizes = [len(v) for _, v in dims]
    total = 1
    for s in sizes:
        total *= s
    points = []
    for i in range(total):
        sc = copy.deepcopy(base)
        parts = []
        rest = i
        idx = []
        for n in reversed(sizes):
            idx.append(rest % n)
            rest //= n
        idx.reverse()
        for (d, values), j, n in zip(dims, idx, sizes):
            v = values[j]
            if d == "delay":
                sc["delay"] = {"fraction": v["fraction"], "months": v["months"]}
                label = f"{_num(v['fraction'])}@{v['months']}m"
            elif d == "defaulted_obligors":
                date = grid.get("default_date") or Periods(deal).cstart[0]
                sc["defaults"] = [{"obligor": o, "date": date} for o in v]
                label = "+".join(v) if v else "none"
            elif d == "supports_off":
                sc["supports_off"] = list(v)
                if "support_failures" in sc:   # a support a point turns off is dropped from them
                    sc["support_failures"] = [x for x in sc["support_failures"]
                                              if x["support"] not in v]
                label = "+".join(v) if v else "none"
            else:
                sc[d] = v
                label = _num(v)
            if n >= 2:
                parts.append(f"{d}={label}")
        sc["name"] = f"{prefix}[{','.join(parts)}]" if parts else prefix
        points.append(sc)
    return points


class ScenarioFile:
    """The listed scenarios, then the grid's points; the rating table."""

    def __init__(self, path, deal):
        if path is None:
            self.scenarios = [base_case(deal)]
            self.base_rate = Decimal(0)
            self.multipliers = dict(DEFAULT_MULTIPLIERS)
            return
        with open(path, "rb") as fh:
            doc = tomllib.load(fh, parse_float=Decimal)
        listed = [copy.deepcopy(s) for s in doc.get("scenarios", [])]
        self.scenarios = listed + (_grid_points(doc["grid"], listed, deal) if "grid" in doc else [])
        rating = doc.get("rating")
        if rating is None:
            self.base_rate = Decimal(0)
            self.multipliers = dict(DEFAULT_MULTIPLIERS)
        else:
            self.base_rate = Decimal(str(rating["base_default_rate"]))
            m = rating.get("multipliers")
            self.multipliers = (dict(DEFAULT_MULTIPLIERS) if m is None
                                else {k: Decimal(str(v)) for k, v in m.items()})

    def tdr(self, rating):
        """docs/breakeven.md "Target default rate": multiplier × base rate, half away from zero
        to 8 dp; None when unrated, no multiplier for the rating, or base rate 0."""
        if rating is None or self.base_rate == 0 or rating not in self.multipliers:
            return None
        return (self.multipliers[rating] * self.base_rate).quantize(Decimal("1e-8"), ROUND_HALF_UP)


# ---------------------------------------------------------------------- the standard suite
# How the timing stresses' Decimal quotients are rounded (docs/conventions.md "Money and
# rounding": to Decimal's precision, at most 28 decimal places, the rounded shares not always
# summing to 1; settled in session 42 after review 42e F1). SHARES is set by
# breakeven_oracle.py's --option: "dp28" (the docs, the default), "sig28" (28 significant
# digits, the docs' earlier words, a mutation now), "exact" (Fractions, a mutation).
SHARES = {"mode": "dp28", "normalise": True}
from decimal import Context as _Context
_BIG = _Context(prec=200)                       # exact sums and differences


def _q(x):
    """A Decimal quotient or product rounded as SHARES says (half even: Decimal's default)."""
    from decimal import Context, ROUND_HALF_EVEN
    if SHARES["mode"] == "sig28":
        return Context(prec=28, rounding=ROUND_HALF_EVEN).plus(x)
    return x.quantize(Decimal("1e-28"), rounding=ROUND_HALF_EVEN, context=Context(prec=200))


def _div(a, b):
    from decimal import Context
    return _q(Context(prec=200).divide(a, b))


def _mul(a, b):
    from decimal import Context
    return _q(Context(prec=200).multiply(a, b))


def even_count(deal):
    """docs/scenarios.md "Default timing shift": m, the periods up to and including the one
    holding the pool's last instalment (the projection's even timing)."""
    proj = Projection(deal, {"name": "x"}, Periods(deal))
    return max(i for i, s in enumerate(proj.shares) if s) + 1


def shift_timing(shares, x, front):
    """docs/scenarios.md "Default timing shift": move y = min(x, S_from) share points from one
    half to the other, each share of the giving half losing y × s / S, each of the receiving
    half gaining y × s / S (or y / h each when that half is all 0); the last changed share of
    each half takes the rounding remainder so that exactly y moves. Decimal quotients
    (docs/conventions.md), or exact Fractions with SHARES mode "exact"."""
    m = len(shares)
    h = m // 2
    if h == 0:
        return list(shares)
    exact_mode = SHARES["mode"] == "exact"
    div = (lambda a, b: a / b) if exact_mode else _div
    mul = (lambda a, b: a * b) if exact_mode else _mul
    out = list(shares)
    first, second = list(range(h)), list(range(m - h, m))
    take, give = (second, first) if front else (first, second)
    s_take = sum(shares[i] for i in take)
    s_give = sum(shares[i] for i in give)
    y = min(x, s_take)
    if y == 0:
        return out
    lost = [div(mul(y, shares[i]), s_take) for i in take]
    gained = ([div(y, h)] * h if s_give == 0
              else [div(mul(y, shares[i]), s_give) for i in give])
    add = (lambda a, b: a + b) if exact_mode else (lambda a, b: _BIG.add(a, b))
    for part in (lost, gained):                  # the last changed share takes the remainder
        last = max(j for j, v in enumerate(part) if v != 0)
        part[last] = _BIG.subtract(y, sum(v for j, v in enumerate(part) if j != last)) \
            if not exact_mode else y - sum(v for j, v in enumerate(part) if j != last)
    for i, v in zip(take, lost):
        out[i] = add(out[i], -v)
    for i, v in zip(give, gained):
        out[i] = add(out[i], v)
    if (F(sum(out)) if exact_mode else sum(F(v) for v in out)) != (
            F(sum(shares)) if exact_mode else sum(F(v) for v in shares)):
        raise AssertionError("timing shift lost share points")
    return out


def _recovery(sc, x):
    if "recovery_rate" in sc:
        sc["recovery_rate"] = exact(sc["recovery_rate"]) * (1 - x)
    if sc.get("overrides"):
        raise NotCovered("overrides")


def _cpr(sc, x):
    if "cpr" in sc:
        c = exact(sc["cpr"])
        prod = c * (1 + x)
        sc["cpr"] = prod if prod < 1 else max(c, F(99, 100))


def _timing(deal, sc, x, front):
    """The base's timing (Decimals as written) or m even shares 1/m (a Decimal quotient)."""
    base = sc.get("default_timing")
    if SHARES["mode"] == "exact":
        shares = [exact(s) for s in base] if base else [F(1, even_count(deal))] * even_count(deal)
        xs = F(x)
    else:
        m = even_count(deal)
        shares = [Decimal(str(s)) if not isinstance(s, F) else Decimal(s.numerator) / Decimal(s.denominator)
                  for s in base] if base else [_div(Decimal(1), Decimal(m))] * m
        xs = Decimal(x.numerator) / Decimal(x.denominator)
    sc["default_timing"] = shift_timing(shares, xs, front)


def _delay(sc):
    sc["delay"] = {"fraction": F(3, 10), "months": 6}


def _supports_off(deal, sc):
    sc["supports_off"] = [s["name"] for s in deal.get("supports", [])]
    sc.pop("support_failures", None)


def standard_suite(deal, base):
    """docs/scenarios.md "The standard stress suite": (label, scenario) in the suite's order."""
    if deal.get("revolving"):
        raise NotCovered("the revolving stresses")
    if any(t.get("floating") for t in deal["tranches"]) or any(
            a.get("floating") for o in deal["obligors"] for a in o.get("assets", [])):
        raise NotCovered("the index stresses")
    R = lambda p: F(p, 100)
    ops = {
        "recovery-10%": lambda s: _recovery(s, R(10)),
        "recovery-20%": lambda s: _recovery(s, R(20)),
        "recovery-30%": lambda s: _recovery(s, R(30)),
        "recovery-50%": lambda s: _recovery(s, R(50)),
        "recovery-100%": lambda s: _recovery(s, R(100)),
        "front-loaded-10%": lambda s: _timing(deal, s, R(10), True),
        "back-loaded-10%": lambda s: _timing(deal, s, R(10), False),
        "front-loaded-20%": lambda s: _timing(deal, s, R(20), True),
        "back-loaded-20%": lambda s: _timing(deal, s, R(20), False),
        "cpr+25%": lambda s: _cpr(s, R(25)),
        "cpr-25%": lambda s: _cpr(s, -R(25)),
        "cpr+50%": lambda s: _cpr(s, R(50)),
        "cpr-50%": lambda s: _cpr(s, -R(50)),
        "delay-30%-6m": _delay,
        "supports-off": lambda s: _supports_off(deal, s),
    }
    labels = ["recovery-10%", "recovery-20%", "recovery-30%", "recovery-50%", "recovery-100%",
              "front-loaded-10%", "back-loaded-10%", "front-loaded-20%", "back-loaded-20%",
              "cpr+25%", "cpr-25%", "cpr+50%", "cpr-50%", "delay-30%-6m",
              "recovery-20%+cpr-25%+front-loaded-10%", "recovery-50%+delay-30%-6m",
              "front-loaded-20%+recovery-30%+delay-30%-6m"]
    if deal.get("supports"):
        labels += ["supports-off", "recovery-20%+cpr-25%+front-loaded-10%+supports-off",
                   "recovery-50%+delay-30%-6m+supports-off",
                   "front-loaded-20%+recovery-30%+delay-30%-6m+supports-off"]
    out = []
    for label in labels:
        sc = copy.deepcopy(base)
        for part in ([label] if label in ops else label.split("+")):
            ops[part](sc)
        sc["name"] = label
        out.append((label, sc))
    return out


def run_list(deal, scenario_path, stress, stress_on):
    """docs/scenarios.md "Stresses on every scenario": the scenarios in run order, and the
    rating table."""
    sf = ScenarioFile(scenario_path, deal)
    scen = sf.scenarios
    if stress is None:
        return scen, sf
    if stress_on == "scenarios":
        out = []
        for s in scen:
            out.append(s)
            for label, st in standard_suite(deal, s):
                st["name"] = f"{s['name']}\u00d7{label}"
                out.append(st)
        return out, sf
    return scen + [st for _, st in standard_suite(deal, base_case(deal))], sf
