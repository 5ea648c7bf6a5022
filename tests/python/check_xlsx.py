"""Independent check of `--xlsx FILE` with openpyxl: the overview sheet first, one sheet per
Parquet table with a frozen header row, every value equal to the Parquet value (money to the
fen, formatted `#,##0.00`; dates as dates; integers and floats as number cells).

Usage: check_xlsx.py WORKBOOK PARQUET_DIR. Prints "N passed, M failed".
"""
import datetime
import decimal
import sys
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq


# Columns shown as percentages (docs/output.md, "Excel workbooks"; since session 36): the
# cell holds the fraction, the format shows it times 100 with every stored digit.
PERCENT_SUFFIXES = ("_rate", "_ratio", "_share", "_probability", "_fraction", "_cut", "_shift",
                    "_of_senior")
PERCENT_NAMES = {"coupon", "wa_coupon", "cdr", "cpr", "cushion", "yield", "yield_at_par",
                 "spread", "probability", "expected_loss", "standalone_expected_loss",
                 "subordination", "tdr_low", "tdr_high", "pd_at_term"}


def is_percent(name):
    return name.endswith(PERCENT_SUFFIXES) or name in PERCENT_NAMES


def same(v, cell, name):
    x = cell.value
    if v is None or v == "":
        # An empty string cell reads back as empty.
        return x is None or x == ""
    if isinstance(v, bool):
        return x is v
    if isinstance(v, decimal.Decimal):
        places = -v.as_tuple().exponent
        if is_percent(name):
            want = "0%" if places <= 2 else "0." + "0" * (places - 2) + "%"
        else:
            want = "#,##0.00" if places == 2 else "0." + "0" * places
        if places > 0 and cell.number_format != want:
            return False
        return decimal.Decimal(repr(float(x))).quantize(v) == v
    if isinstance(v, datetime.date):
        return isinstance(x, datetime.datetime) and x.date() == v
    if isinstance(v, float) and is_percent(name) and cell.number_format != "0.00##########%":
        return False
    if isinstance(v, (int, float)):
        # A number cell, not text that reads as one (uint32 columns were written as text).
        return cell.data_type == "n" and isinstance(x, (int, float)) and float(x) == float(v)
    return x == v


def main():
    wb = openpyxl.load_workbook(sys.argv[1])
    pdir = Path(sys.argv[2])
    passed = failed = 0
    if wb.sheetnames[0] != "overview":
        print("FAIL overview is not the first sheet:", wb.sheetnames)
        failed += 1
    # The command line that made it (review 35e item 5): `ipabs` and the arguments.
    args = [r[1].value for r in wb["overview"].iter_rows() if r[0].value == "arguments"]
    if len(args) != 1 or not str(args[0]).startswith("ipabs ") or "--xlsx" not in str(args[0]):
        print("FAIL overview has no `arguments` row with the command line:", args)
        failed += 1
    else:
        passed += 1
    # A fixed creation time (docs/output.md): the same command writes the same bytes.
    if wb.properties.created != datetime.datetime(1980, 1, 1):
        print("FAIL creation time is not 1980-01-01 00:00:00:", wb.properties.created)
        failed += 1
    else:
        passed += 1
    for p in sorted(pdir.glob("*.parquet")):
        rows = pq.read_table(p).to_pylist()
        ws = wb[p.stem]
        header = [c.value for c in ws[1]]
        ok = ws.freeze_panes == "A2" and ws.max_row == len(rows) + 1
        for i, r in enumerate(rows, start=2):
            if not ok:
                break
            ok = header == list(r.keys()) and all(
                same(r[k], ws.cell(row=i, column=j + 1), k) for j, k in enumerate(header))
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL sheet {p.stem}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
