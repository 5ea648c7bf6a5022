"""Exact comparison of the in-life run with what `ipabs reconcile` wrote.

The run tables with tests/oracle/compare.py (keyed, every column, same order); plus
`reconciliation.parquet` keyed on (period, line, item) with its row order, `in_life.parquet` on
period, the ledger's waterfall movements row by row (every `restate` / `restate_principal` row
left out) and the restatement's movements netted per date and payee (docs/auditing.md: "per
tranche, fee and tax, the rows' paid amounts equal the ledger's net movements to it"; the docs
do not fix the restate rows' order or item, so only their nets are compared).
"""
from collections import defaultdict
from decimal import Decimal

import compare
from compare import compare_keyed, compare_row, read

compare.KEYS.setdefault("reconciliation", ("period", "line", "item"))
compare.KEYS.setdefault("in_life", ("period",))
RUN_TABLES = ("tranche_flows", "periods", "pool_flows", "fees", "support", "payment_notices")
RESTATE = ("restate", "restate_principal")


KINDS = (  # (kind, a phrase of the docs' quoted text), in the docs' order
    ("notice_other_rounding", "payment notice's amount with its figure rounded"),
    ("notice", "the report states the payment notice's amount ("),
    ("no_figure", "no figure per 100 pays"),
    ("knock_on", "a knock-on of those"),
    ("ticks", "tick(s) of a figure per 100"),
    ("figure", "a figure per 100 typed for the amount"),
    ("units_wan", "1/10,000 of the model's"),
    ("units_fen", "an amount in fen?"),
    ("arrears", "carried as arrears"),
    ("arrears", "unpaid there by the waterfall and the report alike"),
    ("wrong_support", "the draw put under the wrong support"),
)


def note_kind(text):
    """The note's kinds from its text (docs/auditing.md "Notes on a difference" quotes each),
    joined with '+' when a text holds more than one."""
    if text is None:
        return None
    found = []
    for kind, phrase in KINDS:
        if phrase in text and kind not in found and not (kind == "notice" and "notice_other_rounding" in found):
            found.append(kind)
    return "+".join(found) if found else "other:" + text[:60]


def compare_ledger_parts(mine, restate_moves, theirs, diffs):
    compared = equal = 0
    wf = [r for r in theirs if r["action"] not in RESTATE]
    for i in range(max(len(mine), len(wf))):
        if i >= len(mine) or i >= len(wf):
            diffs.append(("ledger", i, "(row)", "present" if i < len(mine) else "absent",
                          "present" if i < len(wf) else "absent"))
            continue
        c, e = compare_row("ledger", i, mine[i], wf[i], ("reason",), diffs)
        compared, equal = compared + c, equal + e
    # the restatement's net per (period, payee); a payee is the non-`restatement` side
    net_m = defaultdict(int)
    for period, payee, d in restate_moves:
        net_m[(period, payee)] += d
    net_t = defaultdict(int)
    for r in theirs:
        if r["action"] not in RESTATE:
            continue
        cents = int(r["amount"] * 100)
        if r["source"] == "restatement":
            net_t[(r["period"], r["destination"])] += cents
        elif r["destination"] == "restatement":
            net_t[(r["period"], r["source"])] -= cents
        else:
            diffs.append(("ledger", r["period"], "(restate row)", "restatement on one side", r))
    for key in sorted(set(net_m) | set(net_t), key=str):
        m, t = net_m.get(key, 0), net_t.get(key, 0)
        if m == 0 and t == 0:
            continue
        compared += 1
        if m == t:
            equal += 1
        else:
            diffs.append(("ledger/restate", key, "net", Decimal(m) / 100, Decimal(t) / 100))
    return compared, equal


def compare_all(rows, outdir):
    counts, diffs = {}, []
    for table in RUN_TABLES + ("in_life",):
        counts[table] = compare_keyed(table, rows[table], read(outdir / f"{table}.parquet"), diffs)
    # reconciliation: the notes by kind (the docs quote their texts, not always whole)
    mine = rows["reconciliation"]
    theirs = [dict(r, note=note_kind(r["note"])) for r in read(outdir / "reconciliation.parquet")]
    counts["reconciliation"] = compare_keyed("reconciliation", mine, theirs, diffs)
    counts["ledger"] = compare_ledger_parts(rows["ledger"], rows["restate_moves"],
                                            read(outdir / "ledger.parquet"), diffs)
    return counts, diffs
