"""Exact comparison of the oracle's rows with the Parquet tables ipabs wrote.

Keyed tables are joined on their keys (docs/output.md gives each table's rows); every other
column is compared with Python equality (Decimal to Decimal, date to date, int, str, None), and
the row order must be the same. The ledger is compared row by row in order, every column but
the free-text `reason`. summary.parquet (summary.py) is joined on `tranche`: its exact columns
as the other tables', its f64 measures within `FLOAT_TOLERANCE` (below).
"""
import math
import time

import pyarrow.parquet as pq

KEYS = {
    "tranche_flows": ("period", "tranche"),
    "periods": ("period",),
    "pool_flows": ("period", "obligor"),
    "fees": ("period", "kind", "name"),
    "support": ("support",),
    "payment_notices": ("period", "tranche"),
}
SUMMARY_KEY = ("tranche",)
LEDGER_UNCOMPARED = ("reason",)

# summary.parquet's f64 statistics (docs/output.md, docs/analytics.md): compared within a
# relative 1e-9 of ipabs's value; the three solved rates (docs/analytics.md "Root finder":
# ipabs's root is within 1.01e-12 of the true one, the oracle's within 1e-15) also within an
# absolute 1e-11, so a rate near 0 is not held to a relative bound below the solver's accuracy.
# Null must match null, and a float a float.
FLOAT_TOLERANCE = {c: (1e-9, 0.0) for c in ("wal_years", "price", "macaulay_duration",
                                            "modified_duration", "convexity")}
FLOAT_TOLERANCE.update({c: (1e-9, 1e-11) for c in ("yield_at_par", "yield", "spread")})
max_deviation = {}        # (column, "rel" or "abs"): the largest deviation seen (reported)


def read(path):
    return pq.read_table(path).to_pylist()


def compare_keyed(table, mine, theirs, diffs):
    """Returns (compared, equal); appends (table, key, column, oracle, ipabs) to diffs."""
    key = SUMMARY_KEY if table == "summary" else KEYS[table]
    mk = [tuple(r[c] for c in key) for r in mine]
    tk = [tuple(r[c] for c in key) for r in theirs]
    m_by, t_by = dict(zip(mk, mine)), dict(zip(tk, theirs))
    compared = equal = 0
    for k in mk:
        if k not in t_by:
            diffs.append((table, k, "(row)", "present", "absent"))
    for k in tk:
        if k not in m_by:
            diffs.append((table, k, "(row)", "absent", "present"))
    common = [k for k in mk if k in t_by]
    if common != [k for k in tk if k in m_by]:
        diffs.append((table, "-", "(row order)", common, [k for k in tk if k in m_by]))
    for k in common:
        c, e = compare_row(table, k, m_by[k], t_by[k], set(key), diffs)
        compared, equal = compared + c, equal + e
    return compared, equal


def compare_row(table, at, m, t, skip, diffs):
    """Compares one row's columns but `skip`, exactly (equal values of the same type);
    returns (compared, equal) and appends (table, at, column, oracle, ipabs) to diffs."""
    compared = equal = 0
    for col in list(t) + [c for c in m if c not in t]:
        if col in skip:
            continue
        compared += 1
        mv = m.get(col, "(no such column)")
        tv = t.get(col, "(no such column)")
        if table == "summary" and col in FLOAT_TOLERANCE and type(mv) is float and type(tv) is float:
            rel, ab = FLOAT_TOLERANCE[col]
            dev = abs(mv - tv)
            if math.isfinite(dev):         # relative where |value| ≥ 1e-6, else absolute
                kind = "rel" if abs(tv) >= 1e-6 else "abs"
                key = (col, kind)
                max_deviation[key] = max(max_deviation.get(key, 0.0), dev / abs(tv) if kind == "rel" else dev)
            if dev <= rel * abs(tv) + ab:
                equal += 1
            else:
                diffs.append((table, at, col, mv, tv))
        elif mv == tv and type(mv) is type(tv):
            equal += 1
        else:
            diffs.append((table, at, col, mv, tv))
    return compared, equal


def compare_ledger(mine, theirs, diffs):
    compared = equal = 0
    for i in range(max(len(mine), len(theirs))):
        if i >= len(mine) or i >= len(theirs):
            diffs.append(("ledger", i, "(row)", "present" if i < len(mine) else "absent",
                          "present" if i < len(theirs) else "absent"))
            continue
        c, e = compare_row("ledger", i, mine[i], theirs[i], LEDGER_UNCOMPARED, diffs)
        compared, equal = compared + c, equal + e
    return compared, equal


def compare_run(rows, outdir, ledger):
    """Compare every table of one run; returns ({table: (compared, equal)}, diffs)."""
    counts, diffs = {}, []
    for table in KEYS:
        counts[table] = compare_keyed(table, rows[table], read(outdir / f"{table}.parquet"), diffs)
    if ledger:
        counts["ledger"] = compare_ledger(rows["ledger"], read(outdir / "ledger.parquet"), diffs)
    if "summary" in rows:
        counts["summary"] = compare_keyed("summary", rows["summary"], read(outdir / "summary.parquet"),
                                          diffs)
    return counts, diffs


def report_totals(totals, tables, n_cases, failed, started):
    """Prints the values compared and equal per table (in `tables`' order) and the last line,
    "C cases, N values compared, N equal, F case(s) failing; T s" (tests/oracle.rs reads it);
    returns the exit code: 0 when every value is equal and no case failed, else 1."""
    compared = sum(n for n, _ in totals.values())
    equal = sum(eq for _, eq in totals.values())
    print("\nper table:")
    for table in tables:
        n, eq = totals[table]
        print(f"  {table:16s} compared {n}, equal {eq}")
    print(f"{n_cases} cases, {compared} values compared, {equal} equal, "
          f"{failed} case(s) failing; {time.monotonic() - started:.1f} s")
    return 0 if failed == 0 and compared == equal else 1
