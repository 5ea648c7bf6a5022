"""Shared parts of the sweep and portfolio oracles (review 44b), written from the docs alone.

Imports the existing run oracle (tests/oracle, unmodified) for the tables of one
run, and adds: the scenario file's run list (docs/scenarios.md "The scenario file", "[grid]"),
scenarios.parquet rows (docs/output.md "scenarios.parquet (sweeps)"), and comparison helpers.
"""
import copy
import math
import os
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

sys.dont_write_bytecode = True
REPO = Path(os.environ.get("IPABS_REPO") or Path(__file__).resolve().parent.parent.parent)
sys.path.insert(0, str(REPO / "tests" / "oracle"))

import pyarrow.parquet as pq                      # noqa: E402
from compare import FLOAT_TOLERANCE                 # noqa: E402
from dates import Periods                         # noqa: E402
from money import NotCovered, OracleError, ratio6, dec, places, money  # noqa: E402
from summary import summary_rows                  # noqa: E402
from waterfall import run as oracle_run           # noqa: E402

# Re-exported for the two oracles (from the run oracle's money module).
_REEXPORTED = (ratio6, dec, places, money)

RUN_TABLES = ["tranche_flows", "pool_flows", "ledger", "periods", "summary", "support", "fees",
              "payment_notices"]


def load_toml(path):
    with open(path, "rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)


# ---------------------------------------------------------------- number and name formats
def num(x):
    """docs/scenarios.md "[grid]" Names: numbers written without trailing zeros (0.10 -> 0.1);
    docs/output.md scenarios.parquet: values exact without trailing zeros."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    d = Decimal(x) if not isinstance(x, Decimal) else x
    s = format(d.normalize(), "f")
    if s in ("-0",):
        s = "0"
    return s


def same_value(a, b):
    """docs/scenarios.md "[grid]": 0.05 and 0.050 are the same value; a name set in any order."""
    return a == b


# ---------------------------------------------------------------- the run list
GRID_DIMS = ["cdr", "default_rate", "recovery_rate", "recovery_lag_months", "delay", "cpr",
             "defaulted_obligors", "supports_off"]


def deal_scenario(deal):
    """docs/deal-format.md "[scenario]": optional, name default "base"."""
    s = dict(deal.get("scenario", {}))
    s.setdefault("name", "base")
    return s


def grid_points(deal, grid, listed):
    """docs/scenarios.md "[grid]": the odometer over the dimensions present, in the table's
    order, the first varying slowest; names `prefix[key=value,...]` with the dimensions of two
    or more values; a point replaces the field of every listed dimension of the base."""
    prefix = grid.get("name", "grid")
    if "base" in grid:
        base = next(s for s in listed if s["name"] == grid["base"])
    else:
        base = deal_scenario(deal)
    dims = [(d, grid[d]) for d in GRID_DIMS if d in grid]
    if not dims:
        raise OracleError("a grid without a dimension")
    default_date = grid.get("default_date") or Periods(deal).cstart[0]
    sizes = [len(v) for _, v in dims]
    total = math.prod(sizes)
    out = []
    for i in range(total):
        point = copy.deepcopy(base)
        parts = []
        idx = []
        for j in range(len(dims)):
            below = math.prod(sizes[j + 1:])
            idx.append((i // below) % sizes[j])
        for (d, values), k in zip(dims, idx):
            v = values[k]
            if d == "delay":
                point["delay"] = {"fraction": v["fraction"], "months": v["months"]}
                label = f"{num(v['fraction'])}@{num(v['months'])}m"
            elif d == "defaulted_obligors":
                point["defaults"] = [{"obligor": o, "date": default_date} for o in v]
                if not v:
                    point.pop("defaults", None)
                label = "+".join(v) if v else "none"
            elif d == "supports_off":
                point["supports_off"] = list(v)
                if not v:
                    point.pop("supports_off", None)
                # the base's support_failures stay, but for the supports this point turns off
                if "support_failures" in point:
                    point["support_failures"] = [x for x in point["support_failures"]
                                                 if x["support"] not in v]
                label = "+".join(v) if v else "none"
            else:
                point[d] = v
                label = num(v)
            if len(values) >= 2:
                parts.append(f"{d}={label}")
        point["name"] = f"{prefix}[{','.join(parts)}]" if parts else prefix
        out.append(point)
    return out


def run_list(deal, scen_path):
    """docs/scenarios.md "The scenario file": the listed ones in file order, then the grid's
    points; without a file, the deal's own [scenario]. Returns (scenarios, data of the file)."""
    if scen_path is None:
        return [deal_scenario(deal)], {}
    data = load_toml(scen_path)
    listed = [dict(s) for s in data.get("scenarios", [])]
    out = list(listed)
    if "grid" in data:
        out += grid_points(deal, data["grid"], listed)
    return out, data


# ---------------------------------------------------------------- scenarios.parquet
def inline(v):
    """A TOML inline value, exact, without trailing zeros."""
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(inline(x) for x in v) + "]"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return num(v)


OVERRIDE_ORDER = ["obligor", "tag", "cdr", "default_rate", "recovery_rate", "recovery_lag_months", "delay", "cpr"]


def ordered_rule(r):
    """The keys of an overrides rule in the order of docs/scenarios.md's table of rule keys
    (the docs do not say the order of the written inline table: the oracle's reading)."""
    return {k: r[k] for k in OVERRIDE_ORDER if k in r} | {k: v for k, v in r.items() if k not in OVERRIDE_ORDER}


def f64(x, default=0.0):
    return default if x is None else float(Decimal(x) if not isinstance(x, Decimal) else x)


def scenario_row(deal, s):
    """docs/output.md "scenarios.parquet (sweeps)": one row per scenario, parameters as f64."""
    delay = s.get("delay")
    idx = []
    for name in sorted(s.get("indices", {})):
        idx.append(f"{name} = {num(s['indices'][name])}")
    for name in sorted(s.get("index_paths", {})):
        path = s["index_paths"][name]
        idx.append(f"{name} = " + ", ".join(f"{num(p['rate'])} from {p['date'].isoformat()}" for p in path))
    ev = []
    for e in s.get("events", []):
        ev.append(f"{e['name']}@{e['date'].isoformat()}" + (f"..{e['until'].isoformat()}" if "until" in e else ""))
    com = s.get("commingling")
    return {
        "deal": deal["deal"]["name"], "scenario": s["name"],
        "cdr": f64(s.get("cdr", 0)),
        "default_rate": f64(s.get("default_rate", 0)),
        "default_timing": ",".join(num(x) for x in s.get("default_timing", [])),
        "recovery_rate": f64(s.get("recovery_rate", 0)),
        "recovery_lag_months": int(s.get("recovery_lag_months", 0)),
        "delay_fraction": f64(delay["fraction"]) if delay else 0.0,
        "delay_months": int(delay["months"]) if delay else 0,
        "cpr": f64(s.get("cpr", 0)),
        "defaulted_obligors": ";".join(f"{x['obligor']}@{x['date'].isoformat()}" for x in s.get("defaults", [])),
        "supports_off": ",".join(s.get("supports_off", [])),
        "index_paths": "; ".join(idx),
        "index_shift": f64(s.get("index_shift", 0)),
        "clean_up_call": bool(s.get("clean_up_call", True)),
        "overrides": "; ".join(inline(ordered_rule(r)) for r in s.get("overrides", [])),
        "support_failures": ";".join(f"{x['support']}@{x['date'].isoformat()}" for x in s.get("support_failures", [])),
        "events": ";".join(ev),
        "coupon_shift": f64(s.get("coupon_shift", 0)),
        "revolving_yield_cut": f64(s.get("revolving_yield_cut", 0)),
        "purchase_cut": f64(s.get("purchase_cut", 0)),
        "commingling_date": com["date"] if com else None,
        "commingling_share": f64(com.get("share", 1)) if com else 0.0,
    }


# ---------------------------------------------------------------- one run through the run oracle
def run_tables(deal, scenario, pricing):
    """The run oracle's rows of every run table (summary included) for one scenario."""
    rows = oracle_run(deal, scenario)
    rows["summary"] = summary_rows(rows["_run"], rows, pricing)
    return rows


# ---------------------------------------------------------------- comparison
class Tally:
    def __init__(self):
        self.compared = 0
        self.equal = 0
        self.diffs = []       # (row, column, oracle, ipabs)

    def value(self, row, col, mine, theirs, table="x"):
        self.compared += 1
        if isinstance(mine, float) and isinstance(theirs, float):
            rel, ab = FLOAT_TOLERANCE.get(col, (1e-9, 1e-11))
            if abs(mine - theirs) <= rel * abs(theirs) + ab:
                self.equal += 1
                return True
        elif mine == theirs and type(mine) is type(theirs):
            self.equal += 1
            return True
        self.diffs.append((row, col, mine, theirs))
        return False

    def rows(self, label, mine, theirs, key, skip=()):
        """Row lists in order; every column of either side but `skip`, joined by position,
        with the key columns checked too."""
        if len(mine) != len(theirs):
            self.compared += 1
            self.diffs.append((f"{label}", "(row count)", len(mine), len(theirs)))
        for i, (m, t) in enumerate(zip(mine, theirs)):
            k = tuple(m.get(c) for c in key)
            for col in list(t) + [c for c in m if c not in t]:
                if col in skip:
                    continue
                self.value(f"{label}#{i}{k}", col, m.get(col, "(no such column)"),
                           t.get(col, "(no such column)"))

    def add(self, other):
        self.compared += other.compared
        self.equal += other.equal
        self.diffs += other.diffs


def read(path):
    return pq.read_table(path).to_pylist()


# ---------------------------------------------------------------- stress suites (docs/scenarios.md)
from decimal import ROUND_HALF_UP, localcontext   # noqa: E402

Q28 = Decimal("1e-28")


def d28(x):
    """A Decimal quotient or product rounded to Decimal's 28 decimal places when it does not end
    there (docs/conventions.md "Money and rounding"; half up: the docs name no mode)."""
    if x == 0:
        return Decimal(0)
    if x.as_tuple().exponent < -28:
        return x.quantize(Q28, rounding=ROUND_HALF_UP)
    return x


def dq(a, b):
    with localcontext() as c:
        c.prec = 120
        return d28(a / b)


def dm(a, b):
    with localcontext() as c:
        c.prec = 120
        return d28(a * b)


def even_m(deal):
    """m: the periods up to and including the one holding the pool's last instalment."""
    from pool import Projection
    p = Periods(deal)
    pr = Projection(deal, {"name": "x"}, p)
    last = max(x[0] for _, _, r in pr.assets for x in r)
    k = p.period_of(last)
    if k is None:
        raise NotCovered("even timing with instalments after the last collection period")
    return k + 1


def shift_timing(shares, x, front):
    """docs/scenarios.md "Default timing shift": y = min(x, S_from) moves from one half to the
    other in proportion (y × s / S, the product and the quotient each at Decimal's precision),
    the last changed share of each half taking the remainder."""
    m = len(shares)
    h = m // 2
    if h == 0:
        return list(shares)
    first, second = list(range(h)), list(range(m - h, m))
    src, dst = (second, first) if front else (first, second)
    S_src = sum(shares[i] for i in src)
    S_dst = sum(shares[i] for i in dst)
    y = min(Decimal(x), S_src)
    out = list(shares)
    loss = {i: dq(dm(y, shares[i]), S_src) if S_src else Decimal(0) for i in src}
    if S_dst:
        gain = {i: dq(dm(y, shares[i]), S_dst) for i in dst}
    else:
        gain = {i: dq(y, Decimal(h)) for i in dst}
    for ch in (loss, gain):
        changed = [i for i in ch if ch[i] != 0]
        if changed:
            last = changed[-1]
            ch[last] = y - sum(ch[i] for i in changed if i != last)
    for i in src:
        out[i] = out[i] - loss[i]
    for i in dst:
        out[i] = out[i] + gain[i]
    return out


def _recovery(s, x):
    x = Decimal(x)
    s["recovery_rate"] = Decimal(s.get("recovery_rate", 0)) * (1 - x)
    for r in s.get("overrides", []):
        if "recovery_rate" in r:
            r["recovery_rate"] = Decimal(r["recovery_rate"]) * (1 - x)


def _cpr(s, x):
    def f(c):
        c = Decimal(c)
        v = c * (1 + Decimal(x))
        return max(c, Decimal("0.99")) if v >= 1 else v
    s["cpr"] = f(s.get("cpr", 0))
    for r in s.get("overrides", []):
        if "cpr" in r:
            r["cpr"] = f(r["cpr"])


def _delay(s):
    s["delay"] = {"fraction": Decimal("0.3"), "months": 6}
    for r in s.get("overrides", []):
        if "delay" in r:
            r["delay"] = {"fraction": Decimal("0.3"), "months": 6}


def _timing(deal, s, x, front):
    shares = [Decimal(v) for v in s.get("default_timing", [])]
    if not shares:
        m = even_m(deal)
        shares = [dq(Decimal(1), Decimal(m))] * m
    s["default_timing"] = shift_timing(shares, x, front)


def _supports_off(deal, s):
    s["supports_off"] = [x["name"] for x in deal.get("supports", [])]
    s.pop("support_failures", None)


def has_floating(deal):
    return any("floating" in t for t in deal["tranches"]) or any(
        "floating" in a for o in deal["obligors"] for a in o.get("assets", []))


def standard_suite(deal, base):
    """docs/scenarios.md "The standard stress suite", in its order."""
    def mk(label, *ops):
        s = copy.deepcopy(base)
        for op in ops:
            op(s)
        s["name"] = label
        return s
    rec = lambda x: (lambda s: _recovery(s, x))
    fl = lambda x: (lambda s: _timing(deal, s, x, True))
    bl = lambda x: (lambda s: _timing(deal, s, x, False))
    cpr = lambda x: (lambda s: _cpr(s, x))
    dly = _delay
    off = lambda s: _supports_off(deal, s)
    out = [mk(f"recovery-{p}%", rec(Decimal(p) / 100)) for p in (10, 20, 30, 50, 100)]
    out += [mk("front-loaded-10%", fl("0.1")), mk("back-loaded-10%", bl("0.1")),
            mk("front-loaded-20%", fl("0.2")), mk("back-loaded-20%", bl("0.2"))]
    out += [mk("cpr+25%", cpr("0.25")), mk("cpr-25%", cpr("-0.25")), mk("cpr+50%", cpr("0.5")),
            mk("cpr-50%", cpr("-0.5"))]
    out += [mk("delay-30%-6m", dly)]
    combos = [("recovery-20%+cpr-25%+front-loaded-10%", (rec("0.2"), cpr("-0.25"), fl("0.1"))),
              ("recovery-50%+delay-30%-6m", (rec("0.5"), dly)),
              ("front-loaded-20%+recovery-30%+delay-30%-6m", (fl("0.2"), rec("0.3"), dly))]
    out += [mk(n, *ops) for n, ops in combos]
    if deal.get("supports"):
        out += [mk("supports-off", off)]
        out += [mk(n + "+supports-off", *ops, off) for n, ops in combos]
    if has_floating(deal):
        for lab, x in (("index+50bp", "0.005"), ("index-50bp", "-0.005"), ("index+100bp", "0.01"), ("index-100bp", "-0.01")):
            out.append(mk(lab, (lambda x: lambda s: s.__setitem__("index_shift", Decimal(s.get("index_shift", 0)) + Decimal(x)))(x)))
    if deal.get("revolving") is not None:
        def ycut(x):
            return lambda s: s.__setitem__("revolving_yield_cut", 1 - (1 - Decimal(s.get("revolving_yield_cut", 0))) * (1 - Decimal(x)))
        out += [mk("revolving-yield-20%", ycut("0.2")), mk("revolving-yield-50%", ycut("0.5")),
                mk("revolving-purchase-50%", lambda s: s.__setitem__(
                    "purchase_cut", 1 - (1 - Decimal(s.get("purchase_cut", 0))) * Decimal("0.5")))]
    return out


def credits_ranked(deal):
    """Obligors by cutoff balance (an obligor group one credit: docs/rating.md §1), largest
    first, ties by name: [(name, [obligors])]."""
    from pool import Projection
    p = Periods(deal)
    pr = Projection(deal, {"name": "x"}, p)
    bal = {}
    for j, _a, rest in pr.assets:
        bal[pr.names[j]] = bal.get(pr.names[j], 0) + sum(x[1] for x in rest)
    groups, order = {}, []
    for o in deal["obligors"]:
        g = o.get("tags", {}).get("group")
        key = f"group:{str(g).strip()}" if g is not None else o["name"]
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(o["name"])
    ranked = sorted(order, key=lambda k: (-sum(bal.get(n, 0) for n in groups[k]), k))
    return ranked, groups, order


def concentration_suite(deal, base, pricing, run_fn):
    """docs/scenarios.md "The concentration suite": top1..3-first, top1..3-worst, single:<obligor>
    (group:<group> at its first obligor's place). The worst date maximises the most senior
    tranche's principal_loss + interest_shortfall, then minimises its min_coverage_multiple (an
    undefined one the highest), then is the earliest."""
    p = Periods(deal)
    first = p.cstart[0]
    ranked, groups, order = credits_ranked(deal)

    def with_defaults(names, day, label):
        s = copy.deepcopy(base)
        s["defaults"] = [{"obligor": o, "date": day} for k in names for o in groups[k]]
        s["name"] = label
        return s
    out = []
    n = min(3, len(ranked))
    for k in range(1, n + 1):
        out.append(with_defaults(ranked[:k], first, f"top{k}-first"))
    for k in range(1, n + 1):
        best = None
        for day in p.cstart:
            s = with_defaults(ranked[:k], day, f"top{k}-worst")
            sm = run_fn(s)["summary"][0]          # the most senior tranche (seniority order)
            loss = sm["principal_loss"] + sm["interest_shortfall"]
            cov = sm["min_coverage_multiple"]
            key = (-loss, Decimal("Infinity") if cov is None else cov, day)
            if best is None or key < best[0]:
                best = (key, s)
        out.append(best[1])
    for k in order:
        out.append(with_defaults([k], first, f"single:{k}" if not k.startswith("group:") else k))
    return out


def with_suite(deal, scens, suite, stress_on, pricing, run_fn):
    """docs/scenarios.md "Stresses on every scenario": with --stress-on deal the suite on the
    deal's own [scenario] after the file's scenarios; with scenarios, after each scenario."""
    def build(base):
        out = []
        if suite in ("standard", "all"):
            out += standard_suite(deal, base)
        if suite in ("concentration", "all"):
            out += concentration_suite(deal, base, pricing, run_fn)
        return out
    if stress_on == "scenarios":
        res = []
        for s in scens:
            res.append(s)
            for x in build(s):
                x["name"] = f"{s['name']}\u00d7{x['name']}"
                res.append(x)
        return res
    return list(scens) + build(deal_scenario(deal))


def runnable(s, deal=None):
    """The run oracle refuses a timing that does not sum to exactly 1; the docs: the timing is
    used only when default_rate is above 0, so drop it then (the run is the same).
    docs/scenarios.md "The concentration suite": a named default of an obligor of an obligor
    group defaults every obligor of the group, on the earliest date any of them is named (the
    scenario keeps what it names): expanded here for the run oracle, which does not know groups."""
    if "default_timing" in s and Decimal(s.get("default_rate", 0)) == 0:
        s = dict(s)
        s.pop("default_timing")
    if deal is not None and s.get("defaults"):
        group = {o["name"]: str(o["tags"]["group"]).strip() for o in deal["obligors"]
                 if "group" in o.get("tags", {})}
        if any(x["obligor"] in group for x in s["defaults"]):
            s = dict(s)
            first = {}
            for x in s["defaults"]:
                g = group.get(x["obligor"])
                if g is not None:
                    first[g] = min(first.get(g, x["date"]), x["date"])
            out, seen = [], set()
            for x in s["defaults"]:
                g = group.get(x["obligor"])
                names = [x["obligor"]] if g is None else [o for o in group if group[o] == g]
                for o in names:
                    if o not in seen:
                        seen.add(o)
                        out.append({"obligor": o, "date": x["date"] if g is None else first[g]})
            s["defaults"] = out
    return s


def oracle_main(label, cases, run_case, argv, prefix):
    """The command line both oracles share: `--ipabs BIN [--quick] [--case TEXT]… [--keep DIR]`;
    runs the selected `cases()` with `run_case(case, ipabs, work)`, prints each case, its notes
    and differences, and the `TOTAL label:` line; returns the exit code."""
    import argparse
    import tempfile
    import time
    ap = argparse.ArgumentParser(description=f"Oracle of ipabs {label}")
    ap.add_argument("--ipabs", required=True)
    ap.add_argument("--quick", action="store_true", help="a handful of cases")
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--keep")
    a = ap.parse_args(argv)
    ipabs = Path(a.ipabs).resolve()
    started = time.monotonic()
    sel = [c for c in cases() if (not a.quick or c.quick) and (not a.case or any(t in c.name for t in a.case))]
    total, failing = Tally(), 0
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(a.keep).resolve() if a.keep else Path(tmp)
        for c in sel:
            tally, notes, err = run_case(c, ipabs, work)
            if err:
                failing += 1
                print(f"{c.name}: FAILED: {err}")
                continue
            total.add(tally)
            print(f"{c.name}: {tally.equal}/{tally.compared}" + (f"; {len(tally.diffs)} DIFFERENCES" if tally.diffs else ""))
            for n in notes:
                print(f"  note: {n}")
            for row, col, m, t in tally.diffs[:60]:
                print(f"  DIFF case={c.name} row={row} column={col} oracle={m!r} ipabs={t!r}")
            if len(tally.diffs) > 60:
                print(f"  ... {len(tally.diffs) - 60} more differences")
            if tally.diffs:
                failing += 1
    print(f"\nTOTAL {label}: {len(sel)} cases, {total.compared} values compared, {total.equal} equal, "
          f"{failing} case(s) failing; {time.monotonic() - started:.1f} s")
    return 0 if failing == 0 and total.compared == total.equal else 1
