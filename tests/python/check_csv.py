"""Independent check of `--csv DIR`: every CSV file equals its Parquet table.

Usage: check_csv.py PARQUET_DIR CSV_DIR. Prints "N passed, M failed".
"""
import csv
import datetime
import decimal
import sys
from pathlib import Path

import pyarrow.parquet as pq


def same(v, text):
    if v is None:
        return text == ""
    if isinstance(v, bool):
        return text == ("true" if v else "false")
    if isinstance(v, float):
        return float(text) == v
    if isinstance(v, decimal.Decimal):
        # Fixed-point at the column's scale: a zero at 8 places is 0.00000000 (str gives 0E-8).
        return text == format(v, "f")
    if isinstance(v, datetime.date):
        return text == v.isoformat()
    return text == str(v)


def main():
    pdir, cdir = Path(sys.argv[1]), Path(sys.argv[2])
    passed = failed = 0
    for p in sorted(pdir.glob("*.parquet")):
        rows = pq.read_table(p).to_pylist()
        c = cdir / (p.stem + ".csv")
        with open(c, newline="", encoding="utf-8") as f:
            got = list(csv.DictReader(f))
        ok = len(rows) == len(got) and all(
            list(r.keys()) == list(g.keys()) and all(same(r[k], g[k]) for k in r)
            for r, g in zip(rows, got))
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {c.name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
