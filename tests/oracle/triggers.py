"""Triggers: each condition in its phase, curable ones re-tested, and the waterfall they select.

docs/conventions.md "Triggers"; docs/deal-format.md "[[triggers]]" (the conditions, `curable`,
`threshold_steps`, `support`).
"""

from money import NotCovered, exact
from supports import failed

BEFORE = ("cumulative_default_ratio_above", "coverage_below", "pool_to_senior_below",
          "support_failed", "event")
AFTER = ("senior_interest_shortfall", "top_class_interest_shortfall",
         "senior_outstanding_after_legal_maturity")
TRIGGER_KEYS = {"name", "kind", "condition", "threshold", "threshold_steps", "waterfall",
                "curable", "support", "event", "allow"}


def check_triggers(triggers):
    """The triggers this oracle implements: every condition of docs/deal-format.md
    "[[triggers]]", curable or not (`allow` only silences `check`)."""
    for tg in triggers:
        if set(tg) - TRIGGER_KEYS or tg["condition"] not in BEFORE + AFTER:
            raise NotCovered(f"trigger {tg['name']} ({tg['condition']})")


def threshold(run, tg, k):
    """docs/deal-format.md "[[triggers]]" threshold_steps: from the payment date on or after
    `from` (scheduled or paid), the step's threshold replaces the trigger's own."""
    x = tg.get("threshold")
    reach = max(run.p.pay[k], run.p.scheduled[k])
    for step in tg.get("threshold_steps", []):
        if reach >= step["from"]:
            x = step["threshold"]
    return exact(x)


def holds_before(run, tg, k, senior_cov, senior_before):
    """docs/conventions.md "Triggers", before the waterfall, ratios compared exactly:
    cumulative defaults / initial pool > X; the senior coverage multiple (exact, undefined
    never trips) < X; pool balance at the period's end / senior balance before the date < X (no
    senior balance never trips); a support failed on or before the payment date (the named
    one, else any; one in supports_off is absent and trips nothing)."""
    cond = tg["condition"]
    if cond == "cumulative_default_ratio_above":
        return run.cum_def > threshold(run, tg, k) * run.proj.pool0
    if cond == "coverage_below":
        return senior_cov is not None and senior_cov < threshold(run, tg, k)
    if cond == "pool_to_senior_below":
        pool_end = run.proj.totals(k)["balance_end"]
        return senior_before > 0 and pool_end < threshold(run, tg, k) * senior_before
    if cond == "event":
        return event_holds(run, tg["event"], k)
    names = [tg["support"]] if "support" in tg else [s["name"] for s in run.supports]
    return any(n not in run.off and failed(run, n, k) for n in names)


def event_holds(run, name, k):
    """docs/conventions.md "Triggers", `event`: an event the scenario's `events` dates holds on
    the payment date: on or after its `date` and, with `until`, before that (docs/deal-format.md
    "[scenario]" `events`: from `date` to the day before `until`). "The payment date" is read as
    the paid (adjusted) date, as `support_failures` are (the docs do not say paid or scheduled:
    see README.md, gaps)."""
    day = run.p.pay[k]
    for ev in run.scenario.get("events", []):
        if ev["name"] == name:
            return day >= ev["date"] and ("until" not in ev or day < ev["until"])
    return False


def before_waterfall(run, k, senior_cov, senior_before):
    """Those tested after the last date's waterfall take effect; then each condition tested
    before the waterfall trips (a curable one is re-tested and can clear)."""
    run.tripped |= run.pending
    run.pending = set()
    for tg in run.triggers:
        if tg["condition"] in BEFORE:
            if holds_before(run, tg, k, senior_cov, senior_before):
                run.tripped.add(tg["name"])
            elif tg.get("curable"):
                run.tripped.discard(tg["name"])


def after_waterfall(run):
    """docs/conventions.md "Triggers", after the waterfall, effective from the next date: some
    senior tranche paid less interest than due; some tranche of the most senior class with a
    balance before the date (senior, else mezzanine) paid less interest than due (the
    per-unit 尾差 carried by design aside, docs/deal-format.md "[[triggers]]"); a payment date
    on or after legal maturity (scheduled or paid, as docs/deal-format.md "[[triggers]]"
    threshold_steps compares it) left senior principal unpaid. A curable one is re-tested after
    every date's waterfall and clears on the first test at which its condition no longer holds,
    in the same date's row (docs/conventions.md "Triggers"; docs/output.md "periods.parquet"
    `triggers_tripped`, the state after the waterfall); one that is not stays tripped."""
    short = lambda ts: any(t.int_due - t.int_paid - t.ires > 0 for t in ts)
    for tg in run.triggers:
        if tg["condition"] not in AFTER:
            continue
        if tg["name"] in run.tripped and not tg.get("curable"):
            continue
        if tg["condition"] == "senior_interest_shortfall":
            hit = short(run.seniors)
        elif tg["condition"] == "senior_outstanding_after_legal_maturity":
            k = run.periods_run            # the date just run (0-based)
            hit = (max(run.p.pay[k], run.p.scheduled[k]) >= run.deal["deal"]["legal_maturity"]
                   and any(t.bal > 0 for t in run.seniors))
        else:
            top = next((c for c in ("senior", "mezzanine")
                        if any(t.bal_start > 0 for t in run.T.values() if t.cls == c)), None)
            hit = top is not None and short([t for t in run.T.values() if t.cls == top])
        if hit:
            run.pending.add(tg["name"])
        elif tg.get("curable"):
            run.tripped.discard(tg["name"])


def waterfall_of(run, call):
    """The call's waterfall whatever has tripped; else an event of default beats an
    acceleration, the first in file order within a kind; else normal."""
    if call:
        return run.call_cfg["waterfall"]
    for kind in ("event_of_default", "acceleration"):
        hit = [tg for tg in run.triggers if tg["kind"] == kind and tg["name"] in run.tripped]
        if hit:
            return hit[0]["waterfall"]
    return "normal"
