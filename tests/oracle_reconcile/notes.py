"""Notes on a difference (docs/auditing.md "Notes on a difference"; docs/output.md
"reconciliation.parquet" `note`).

The oracle decides which note a line gets, in the order the docs list them (the notice's
amount, by the deal's rounding then the other; a knock-on of the lines paid ahead; whole ticks
of a figure per 100; arrears carried; units; a draw under the wrong support). It returns a
note *kind* with the text the docs quote; rcompare.py compares kinds, since the docs quote the
texts by example, not as a format. On a `per_unit` deal (review 43e): `no figure per 100 pays
it` before the knock-on and the ticks, the knock-on within one tick on a principal line, and the
arrears carried without the 尾差 carried by design (inlife.py's `carried`).
"""
from fractions import Fraction as F

from notices import Figures

PAYMENT_STEPS = {"tax": ("pay_tax", "taxes"), "fee": ("pay_fee", "fees"),
                 "interest": ("pay_interest", "tranches"), "principal": ("pay_principal", "tranches")}


def first_step(run, wf_name, line, item):
    """The 1-based index of the first step of the date's waterfall that pays the line's item
    (a subordinated tranche's interest: its pay_sub_return; residual: pay_residual)."""
    for i, s in enumerate(run.deal["waterfalls"][wf_name], 1):
        a = s["action"]
        if line == "interest" and a == "pay_sub_return" and s.get("tranche") == item:
            return i
        if line == "residual" and a == "pay_residual" and s.get("tranche") == item:
            return i
        if line in PAYMENT_STEPS:
            action, key = PAYMENT_STEPS[line]
            if a == action and item in s.get(key, []):
                return i
    return None


def with_rule(fig, rule):
    f = Figures.__new__(Figures)
    f.__dict__.update(fig.__dict__)
    f.rule = rule
    return f


def notice_note(run, item, model, actual):
    t = run.T[item]
    fig = run.fig
    if fig.per_unit or not fig.has_units(t.init):
        return None
    for rule in (fig.rule, "half_up" if fig.rule == "truncate" else "truncate"):
        f = with_rule(fig, rule)
        m = f.per_100(t.init, model)
        if f.paid_of(t.init, m) == actual:
            return ("notice" if rule == fig.rule else "notice_other_rounding")
    return None


def no_figure(run, item, actual):
    """docs/auditing.md "No figure pays it": on a deal with `per_unit`, an interest or principal
    line whose actual is no amount a figure per 100 pays."""
    t = run.T[item]
    fig = run.fig
    if not fig.per_unit or not fig.has_units(t.init):
        return None
    return "no_figure" if fig.figure_paid(t.init, actual) != actual else None


def tick_of(run, item):
    t = run.T[item]
    return F(t.init // run.fig.face * 100, 10 ** run.fig.places)    # fen


def knock_on(run, k, line, item, diff, lines, wf_name):
    """A principal or residual line whose difference is the draws' differences less those of
    the lines a step before its first step pays: exactly, or within one tick of a figure per 100
    on a `per_unit` deal's principal (docs/auditing.md "A knock-on of the lines paid ahead")."""
    mine = first_step(run, wf_name, line, item)
    if mine is None:
        return None
    cash_in = sum(a - m for ln, _, m, a in lines if ln in ("support_draw", "reserve_draw"))
    ahead = 0
    named = False
    for ln, it, m, a in lines:
        if ln in ("tax", "fee", "interest", "principal") and (ln, it) != (line, item):
            s = first_step(run, wf_name, ln, it)
            if s is not None and s < mine and a != m:
                ahead += a - m
                named = True
    expected = cash_in - ahead
    if (named or cash_in) and expected != 0:
        if diff == expected:
            return "knock_on"
        if (run.fig.per_unit and line == "principal" and run.fig.has_units(run.T[item].init)
                and abs(diff - expected) < tick_of(run, item)):
            return "knock_on"
    return None


def ticks(run, item, diff):
    t = run.T[item]
    fig = run.fig
    if not fig.has_units(t.init):
        return None
    units = t.init // fig.face
    tick = F(units * 100, 10 ** fig.places)        # fen
    if tick < 1000:                                # told only when a tick is at least 10.00
        return None
    n = F(abs(diff)) / tick
    if n.denominator == 1 and 1 <= n <= 99:
        return "ticks"
    return None


def arrears(run, k, line, item, diff):
    """The item was left unpaid on the date before, as the restated run has it; told when the
    same line differed there, or when the difference is minus those arrears."""
    if k == 0:
        return None
    carried = run.carried.get((line, item), 0)
    if carried <= 0:
        return None
    before = [r for r in run.recon if r["period"] == k and r["line"] == line and r["item"] == item]
    differed = bool(before) and before[0]["difference"] != 0
    if differed or diff == -carried:
        return "arrears"
    return None


def units(model, actual):
    if model <= 0 or actual <= 0:
        return None
    if 2 * actual * 10_000 >= model and actual * 10_000 <= 2 * model:
        return "units_wan"
    if 2 * actual >= 100 * model and actual <= 200 * model:
        return "units_fen"
    return None


def wrong_support(run, k, item, diff, lines):
    if diff <= 0:
        return None
    reported = {it for ln, it, _, _ in lines if ln == "support_draw"}
    for s in run.supports:
        n = s["name"]
        if n != item and n not in reported and run.drawn[n] - run.drawn_before[n] == diff:
            return "wrong_support"
    return None


ORDER = ("notice_other_rounding", "notice", "no_figure", "knock_on", "ticks", "units_wan",
         "units_fen", "arrears", "wrong_support")


def note_for(run, k, line, item, model, actual, lines, wf_name):
    """The note kinds of a differing line, '+'-joined in the docs' order. The docs make
    `ticks` exclusive of the notes before it ("Otherwise"), `units` of every note before it
    ("Any line without one of the notes above": the notice, no figure, knock-on, ticks); the
    arrears note ("whatever note above it has") and the wrong-support note stand on their own
    conditions, so they can come with another."""
    diff = actual - model
    kinds = []
    primary = None
    if line in ("interest", "principal"):
        primary = notice_note(run, item, model, actual)
    if primary is None and line in ("interest", "principal"):
        primary = no_figure(run, item, actual)
    if primary is None and line in ("principal", "residual"):
        primary = knock_on(run, k, line, item, diff, lines, wf_name)
    if primary is None and line in ("interest", "principal"):
        primary = ticks(run, item, diff)
    if primary:
        kinds.append(primary)
    else:
        u = units(model, actual)
        if u:
            kinds.append(u)
    if line in ("interest", "fee", "tax"):
        a = arrears(run, k, line, item, diff)
        if a:
            kinds.append(a)
    if line == "support_draw":
        w = wrong_support(run, k, item, diff, lines)
        if w:
            kinds.append(w)
    kinds.sort(key=ORDER.index)
    return "+".join(kinds) or None
