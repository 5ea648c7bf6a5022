"""Independent check of `ipabs portfolio`'s hive-partitioned tables with DuckDB.

Usage: check_portfolio.py PORTFOLIO_DIR DEAL_ID RUN_DIR [DEAL_ID RUN_DIR ...]

Reads every table of PORTFOLIO_DIR as one hive-partitioned dataset
(TABLE/deal=ID/scenario=NAME/part-0.parquet) and checks that the rows of each deal equal those
of the single-deal `ipabs run` files in RUN_DIR (every column but `deal`, the deal's name).
Prints "N passed, M failed".
"""
import sys
from pathlib import Path

import duckdb

TABLES = ["tranche_flows", "pool_flows", "ledger", "periods", "summary", "support", "fees",
          "payment_notices"]


def main():
    root = Path(sys.argv[1])
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    con = duckdb.connect()
    passed = failed = 0
    for table in TABLES:
        glob = str(root / table / "*" / "*" / "*.parquet")
        ds = f"read_parquet('{glob}', hive_partitioning = true)"
        for deal_id, run_dir in pairs:
            run_file = str(Path(run_dir) / f"{table}.parquet")
            cols = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM '{run_file}'").fetchall()]
            cols = [c for c in cols if c != "deal"]
            sel = ", ".join(f'"{c}"' for c in cols)
            want = con.execute(f"SELECT {sel} FROM '{run_file}'").fetchall()
            got = con.execute(
                f"SELECT {sel} FROM {ds} WHERE deal = ?", [deal_id]).fetchall()
            if sorted(map(repr, want)) == sorted(map(repr, got)):
                passed += 1
            else:
                failed += 1
                print(f"FAIL {table} {deal_id}: {len(want)} run rows, {len(got)} portfolio rows")
                print("  run:", sorted(map(repr, want))[:2])
                print("  portfolio:", sorted(map(repr, got))[:2])
    # deals.parquet has one row per deal × scenario × reported tranche.
    n = con.execute(f"SELECT count(*) FROM '{root / 'deals.parquet'}'").fetchone()[0]
    print(f"deals.parquet: {n} rows")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
