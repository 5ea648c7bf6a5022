"""The break-even search of one (scenario, tranche) and its `breakeven.parquet` row.

docs/breakeven.md "Definitions", "The stressed scenario", "Root finder" (steps 1-4, tolerance,
exact rates, the sanity check), "Realised versus input rate", "Break-even in whole obligors",
"Target default rate and the pass rule", "Output: breakeven.parquet", "Cost".

Every run is tests/oracle's `waterfall.Run` (imported, not modified). The only thing added to
it is a record of the run's path through the deal's statuses (Root finder, step 4): which
waterfall ran on each payment date (`periods.waterfall`, the call's included) and, for each
step with a `when`, whether it ran (recorded by wrapping `PaymentDate.holds` for the outermost
evaluation of a step's condition).
"""
import copy
from decimal import Decimal
from fractions import Fraction as F

import steps as _steps                       # tests/oracle
from dates import Periods
from money import NotCovered, OracleError, exact, money
import bscenarios
from schedules import instalments
import waterfall as _waterfall
from waterfall import Run

TOL = F(1, 10000)                  # docs/breakeven.md "Tolerance": 0.0001
SCAN = 128                         # step 2: R = j/128
STATUS_CAP = 64                    # step 4: up to 64 runs per pair

# ---------------------------------------------------------------------- the path of a run
_orig_holds = _steps.PaymentDate.holds


def _recording_holds(self, when):
    depth = self.__dict__.get("_be_depth", 0)
    self._be_depth = depth + 1
    try:
        held = _orig_holds(self, when)
    finally:
        self._be_depth = depth
    trace = self.run.__dict__.get("_be_trace")
    if depth == 0 and when is not None and trace is not None:
        trace.append((self.period, self.wf_name, bool(held)))
    return held


_steps.PaymentDate.holds = _recording_holds

# with [notices] per_unit, the interest 尾差 each tranche carries by design from each date
# (docs/auditing.md "per_unit = true": TrancheFlowRow::interest_residual, not a column of
# tranche_flows.parquet): recorded when the date's rows are written, after the settlement
_orig_write_rows = _waterfall.Run.write_rows


def _recording_write_rows(self, k, *args, **kw):
    rec = self.__dict__.get("_be_ires")
    if rec is not None:
        for t in self.T.values():
            rec[(t.name, k + 1)] = t.ires
    return _orig_write_rows(self, k, *args, **kw)


_waterfall.Run.write_rows = _recording_write_rows


class Result:
    """One run: the tranche rows, the realised ratio, the pool cash beyond the horizon, the path."""

    def __init__(self, deal, scenario):
        r = Run(deal, scenario)
        r._be_trace = []
        r._be_ires = {}
        rows = r.run()
        self.ires = r._be_ires
        self.tf = {}
        for row in rows["tranche_flows"]:
            self.tf.setdefault(row["tranche"], []).append(row)
        self.per_unit = r.fig.per_unit
        periods = rows["periods"]
        # docs/breakeven.md "Realised versus input rate": the last period's
        # periods.cumulative_default_ratio
        self.ratio = periods[-1]["cumulative_default_ratio"] if periods else Decimal(0)
        self.path = (tuple(p["waterfall"] for p in periods), tuple(r._be_trace))
        self.beyond = r.proj.beyond

    def verdict(self, tranche, ultimate=False):
        """docs/breakeven.md "Paid in full", and "Output" breaks_on/breaks_by/breaks_shortfall:
        None when paid in full, else (date, 'interest'|'principal', shortfall)."""
        rows = self.tf.get(tranche)
        if not rows:
            return ("no row", None, None)
        last = rows[-1]
        if ultimate:
            if last["interest_shortfall"] - self._residual(tranche, last) > 0:
                return (last["payment_date"], "interest",
                        last["interest_shortfall"] - self._residual(tranche, last))
            if last["balance_end"] != 0:
                return (last["payment_date"], "principal", last["balance_end"])
            return None
        for row in rows:
            # interest due and not paid: interest_shortfall − interest_residual (docs/auditing.md)
            short = row["interest_shortfall"] - self._residual(tranche, row)
            if "interest_last_only" in MUT and row is not last:
                continue
            if short != 0:
                return (row["payment_date"], "interest", short)
        if last["balance_end"] != 0:
            return (last["payment_date"], "principal", last["balance_end"])
        return None

    def _residual(self, tranche, row):
        """with [notices] per_unit, the date's interest 尾差 carried by design, in fen -> yuan
        (docs/breakeven.md "Paid in full"; docs/auditing.md)."""
        if not self.per_unit:
            return 0
        return money(self.ires.get((tranche, row["period"]), 0))


# ---------------------------------------------------------------------- the stressed scenarios
MUT = set()                       # one-line mutations (breakeven_oracle.py --option)


def round8(x):
    """docs/breakeven.md "Exact rates": half away from zero to 8 decimal places (x >= 0)."""
    q = x * 10 ** 8
    if "mid_truncate" in MUT:
        return F(int(q), 10 ** 8)
    return F(int(q + F(1, 2)) if q >= 0 else -int(-q + F(1, 2)), 10 ** 8)


def q8(x):
    """A rate as the decimal128(18, 8) value (exact: the writer never rounds)."""
    scaled = x * 10 ** 8
    if scaled.denominator != 1:
        raise OracleError(f"rate {x} is not exact at 8 places")
    return Decimal(scaled.numerator).scaleb(-8)


def at_rate(scenario, rate):
    """docs/breakeven.md "The stressed scenario": default_rate = R, cdr = 0, no named
    defaults, no override's cdr or default_rate; everything else kept."""
    if scenario.get("overrides"):
        raise NotCovered("overrides")
    s = copy.deepcopy(scenario)
    s.pop("cdr", None)
    s.pop("defaults", None)
    s["default_rate"] = rate
    timing = s.get("default_timing")
    if timing:
        shares = [exact(x) for x in timing]
        total = sum(shares)
        if total != 1:
            # docs/scenarios.md "Default curve": shares that do not sum to 1 are each divided
            # by their sum in Decimal (bscenarios.SHARES["normalise"]); a timing stress's
            # Decimal shares can sum to 1 ± 1e-27 (see README.md). The run oracle takes
            # timings summing to exactly 1, so the run gets default_rate R × T and the shares
            # s_k / T (T their sum): each amount R × s_k × B0 is the same exact product.
            if bscenarios.SHARES["normalise"]:
                shares = [exact(bscenarios._div(_dec(x), _dec(total))) for x in shares]
                total = sum(shares)
            s["default_rate"] = rate * total
            s["default_timing"] = [x / total for x in shares]
    return s


def _dec(x):
    return Decimal(x.numerator) / Decimal(x.denominator) if x.denominator != 1 else Decimal(x.numerator)


def with_obligors(scenario, names, day):
    """docs/breakeven.md "Break-even in whole obligors": default_rate 0, cdr 0, the named
    obligors defaulting on `day` (the first collection period's first day)."""
    if scenario.get("overrides"):
        raise NotCovered("overrides")
    s = copy.deepcopy(scenario)
    s.pop("cdr", None)
    s.pop("default_rate", None)
    s.pop("default_timing", None)      # read only when default_rate is above 0 (docs/scenarios.md)
    s["defaults"] = [{"obligor": n, "date": day} for n in names]
    return s


def credits(deal):
    """docs/breakeven.md "Break-even in whole obligors": obligors (an obligor group, equal
    `group` tags trimmed, as one) by cutoff balance, largest first, ties by name; each with the
    obligor names it defaults."""
    cutoff = deal["deal"]["cutoff_date"]
    groups = {}
    order = []
    for o in deal["obligors"]:
        bal = sum(p for a in o.get("assets", []) for d, p, _ in instalments(a, deal) if d > cutoff)
        g = None if "no_groups" in MUT else (o.get("tags") or {}).get("group")
        key = ("group", g.strip()) if g is not None else ("obligor", o["name"])
        if key not in groups:
            groups[key] = [g.strip() if g is not None else o["name"], 0, []]
            order.append(key)
        groups[key][1] += bal
        groups[key][2].append(o["name"])
    ranked = sorted((groups[k] for k in order), key=lambda x: (-x[1], x[0]))
    if "ties_by_file_order" in MUT:
        ranked = sorted((groups[k] for k in order), key=lambda x: -x[1])
    return [(name, names) for name, _, names in ranked]


# ---------------------------------------------------------------------- the search
class Searcher:
    """The searches of one scenario; runs shared between its tranches (a rate or an obligor
    set another tranche's search tried is not run again by the oracle, but counted)."""

    def __init__(self, deal, scenario):
        self.deal, self.scenario = deal, scenario
        self.cache = {}
        self.first_day = Periods(deal).cstart[0]
        self.credits = credits(deal)

    def result(self, key):
        if key not in self.cache:
            if key[0] == "R":
                s = at_rate(self.scenario, key[1])
            else:
                names = [n for _, ns in self.credits[:key[1]] for n in ns]
                s = with_obligors(self.scenario, names, self.first_day)
            self.cache[key] = Result(self.deal, s)
        return self.cache[key]


class Search:
    def __init__(self, searcher, tranche, ultimate=False, options=None):
        self.s = searcher
        self.tranche = tranche
        self.ultimate = ultimate
        self.runs = 0
        self.opt = options or {}
        self.log = []

    def run(self, rate):
        self.runs += 1
        res = self.s.result(("R", rate))
        ok = res.verdict(self.tranche, self.ultimate) is None
        self.log.append((rate, ok))
        return res, ok

    def status_change(self, a, ra, b, rb):
        """Root finder step 4, between two passing rates a < b whose paths differ: bisect on the
        path down to 0.0001, each probe also a pass test; go on above each change found while
        the path still differs from b's; the first failure met is returned with the passing
        probe below it. Up to 64 runs per pair."""
        used = 0
        lo, rlo = a, ra
        while rlo.path != rb.path and used < STATUS_CAP:
            l, rl, h, rh = lo, rlo, b, rb
            while h - l > TOL and used < STATUS_CAP:
                mid = round8((l + h) / 2)
                r, ok = self.run(mid)
                used += 1
                if not ok:
                    return (l, rl, mid, r)
                if r.path == rl.path:
                    l, rl = mid, r
                else:
                    h, rh = mid, r
            if h == b:
                break
            lo, rlo = h, rh
        return None

    def search(self):
        """Steps 1-4: (fails_at_zero, passes_at_one, lo, lo result, hi, hi result)."""
        r0, ok = self.run(F(0))
        if not ok:
            return True, False, F(0), r0, F(0), r0
        prev, rprev = F(0), r0
        bracket = None
        for j in range(1, SCAN + 1):
            rate = F(j, SCAN)
            r, ok = self.run(rate)
            if not ok:
                bracket = (prev, rprev, rate, r)
                break
            if r.path != rprev.path and (j > 1 or not self.opt.get("no_zero_pair")):
                found = None if self.opt.get("no_step4") else self.status_change(prev, rprev, rate, r)
                if found:
                    bracket = found
                    break
            prev, rprev = rate, r
        if bracket is None:
            return False, True, F(1), rprev, None, None
        lo, rlo, hi, rhi = bracket
        while (hi - lo >= TOL) if "tol_ge" in MUT else (hi - lo > TOL):
            mid = round8((lo + hi) / 2)
            r, ok = self.run(mid)
            if ok:
                if r.path != rlo.path and not self.opt.get("no_step4"):
                    found = self.status_change(lo, rlo, mid, r)
                    if found:
                        lo, rlo, hi, rhi = found
                        continue
                lo, rlo = mid, r
            else:
                hi, rhi = mid, r
        # the sanity check: lo passed and hi failed
        if rlo.verdict(self.tranche, self.ultimate) is not None or rhi.verdict(self.tranche, self.ultimate) is None:
            raise OracleError("inconsistent bracket")
        return False, False, lo, rlo, hi, rhi

    def obligors(self):
        """Break-even in whole obligors: k = 1, 2, ... until the first failure (k = 0 is the
        R = 0 run). Returns (k, ratio at k, ratio at k + 1 or None)."""
        n = len(self.s.credits)
        ratio_k = Decimal("0.000000")
        for k in range(1, n + 1):
            self.runs += 1
            res = self.s.result(("k", k))
            if res.verdict(self.tranche, self.ultimate) is not None:
                return k - 1, ratio_k, res.ratio
            ratio_k = res.ratio
        return n, ratio_k, None


def row(deal, sf, searcher, scenario_name, tspec, options=None):
    """docs/breakeven.md "Output: breakeven.parquet": one row."""
    name = tspec["name"]
    srch = Search(searcher, name, tspec.get("payment_test", "timely") == "ultimate", options)
    faz, pao, lo, rlo, hi, rhi = srch.search()
    n = len(searcher.credits)
    tdr = sf.tdr(tspec.get("rating"))
    zero6 = Decimal("0.000000")
    out = dict(deal=deal["deal"]["name"], scenario=scenario_name, tranche=name,
               **{"class": tspec["class"]}, rating=tspec.get("rating"))
    if faz:
        brk = rlo.verdict(name, srch.ultimate)
        out.update(breakeven_default_rate=zero6, breakeven_input_rate=q8(F(0)),
                   breakeven_obligors=0, obligor_count=n, target_default_rate=tdr,
                   runs=srch.runs, fails_at_zero=True, passes_at_one=False,
                   breaks_at_rate=q8(F(0)), breaks_on=brk[0], breaks_by=brk[1],
                   breaks_shortfall=brk[2], breakeven_obligor_default_rate=zero6,
                   breaking_obligor_default_rate=None, pass_default_rate=zero6)
        out["pass"] = None if tdr is None else False
        out["cushion"] = None if tdr is None else zero6 - tdr
        out["_beyond"] = rlo.beyond
        return out, srch
    k, ratio_k, ratio_k1 = srch.obligors()
    bdr = rlo.ratio
    if pao:
        brk = (None, None, None)
        pdr = bdr if "pao_curve_only" in MUT else max(bdr, ratio_k)
    else:
        brk = rhi.verdict(name, srch.ultimate)
        pdr = bdr
    out.update(breakeven_default_rate=bdr, breakeven_input_rate=q8(lo), breakeven_obligors=k,
               obligor_count=n, target_default_rate=tdr, runs=srch.runs, fails_at_zero=False,
               passes_at_one=pao, breaks_at_rate=None if pao else q8(hi),
               breaks_on=brk[0], breaks_by=brk[1], breaks_shortfall=brk[2],
               breakeven_obligor_default_rate=ratio_k,
               breaking_obligor_default_rate=ratio_k1, pass_default_rate=pdr)
    if tdr is None:
        out["pass"] = None
        out["cushion"] = None
    else:
        out["pass"] = pdr >= tdr and not (ratio_k1 is not None and ratio_k1 <= tdr
                                          and "no_obligor_rule" not in MUT)
        out["cushion"] = pdr - tdr
    return out, srch


def reported(deal):
    """docs/breakeven.md "Definitions": senior and mezzanine tranches, a subordinated one
    with a rating; in seniority order (file order within a class)."""
    order = {"senior": 0, "mezzanine": 1, "subordinated": 2}
    ts = sorted(deal["tranches"], key=lambda t: order[t["class"]])
    return [t for t in ts if t["class"] != "subordinated" or t.get("rating")]
