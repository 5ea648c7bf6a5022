"""The union of N shards equals the one-machine run, row for row, read back with DuckDB.

Usage: check_shards.py ONE_DIR SHARDED_DIR N

For every top-level table `X.parquet` of ONE_DIR, the sharded dataset
`SHARDED_DIR/X/shards=N/shard=*/part-0.parquet` (hive-partitioned) must hold exactly N shard
partitions and, ordered by `shard` and then by row within each file, equal the table (values,
types and order; the partition columns `shards`, `shard` left out). For every directory of ONE_DIR
(the deal/scenario-partitioned tables of `ipabs portfolio`), the same files must exist in
SHARDED_DIR with the same rows. Prints `N passed, 0 failed`.
"""
import pathlib
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def main():
    one, many, n = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    con = duckdb.connect()
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL", what)

    for f in sorted(one.glob("*.parquet")):
        table = f.stem
        want = pq.read_table(f)
        parts = sorted(many.glob(f"{table}/shards={n}/shard=*/part-0.parquet"))
        check(len(parts) == n, f"{table}: {len(parts)} shard files, expected {n}")
        # docs/scale-out.md's completeness query (review 40b F1: it counted rows, and a shard
        # with an empty table made a complete dataset incomplete).
        complete = con.sql(
            "SELECT count(DISTINCT regexp_extract(file, 'shard=([0-9]+)', 1)) "
            "= any_value(regexp_extract(file, 'shards=([0-9]+)', 1)::INTEGER) AS complete "
            f"FROM glob('{many}/{table}/*/*/*.parquet')"
        ).fetchall()[0][0]
        check(complete is True, f"{table}: the documented completeness query says {complete}")
        got = con.sql(
            f"SELECT * EXCLUDE (shards, shard, file_row_number) FROM read_parquet("
            f"'{many}/{table}/shards={n}/*/*.parquet', hive_partitioning = true, "
            f"file_row_number = true) ORDER BY shard, file_row_number"
        ).arrow()
        if isinstance(got, pa.RecordBatchReader):
            got = got.read_all()
        check(got.num_rows == want.num_rows, f"{table}: {got.num_rows} rows, expected {want.num_rows}")
        check(got.column_names == want.column_names, f"{table}: columns {got.column_names}")
        if got.num_rows == want.num_rows and got.column_names == want.column_names:
            check(got.cast(want.schema).equals(want), f"{table}: the union differs from the one-machine table")
    for d in sorted(p for p in one.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(p.relative_to(one) for p in d.rglob("*.parquet"))
        for rel in files:
            a, b = pq.read_table(one / rel), pq.read_table(many / rel) if (many / rel).exists() else None
            check(b is not None and a.equals(b), f"{rel}: missing or different in the sharded run")
        got = sorted(p.relative_to(many) for p in (many / d.name).rglob("*.parquet"))
        check(got == files, f"{d.name}: the sharded run has other files")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
