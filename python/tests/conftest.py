"""Shared fixtures: the repository root and the `ipabs` binary the results are compared with
(IPABS_BIN, else target/debug/ipabs under CARGO_TARGET_DIR or the repository)."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _binary() -> pathlib.Path:
    if os.environ.get("IPABS_BIN"):
        return pathlib.Path(os.environ["IPABS_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "ipabs"


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def cli():
    """Runs the ipabs command line in the repository root; fails the test on a non-zero exit
    unless `code` says otherwise."""
    binary = _binary()
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build` first (or set IPABS_BIN)")

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess:
        p = subprocess.run([str(binary), *args], cwd=ROOT, capture_output=True, text=True)
        assert p.returncode == code, p.stderr
        return p

    return run


@pytest.fixture(scope="session")
def same_as_one_machine():
    """Checks a sharded sweep's hive-partitioned dataset `many` against the one-machine sweep
    written to `one_dir` (its tables `one`), table by table, with DuckDB ordered by shard and
    row; `engine` names the scale-out engine in the failure message (test_dask.py,
    test_ray.py)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    def check(many: pathlib.Path, one_dir: pathlib.Path, one: dict, engine: str) -> None:
        con = duckdb.connect()
        for table in ("summary", "tranche_flows", "pool_flows", "ledger", "scenarios", "warnings"):
            want = pq.read_table(one_dir / f"{table}.parquet")
            got = con.sql(
                f"SELECT * EXCLUDE (shards, shard, file_row_number) FROM read_parquet('{many}/{table}/*/*/*.parquet', "
                "hive_partitioning = true, file_row_number = true) ORDER BY shard, file_row_number"
            ).arrow()
            if isinstance(got, pa.RecordBatchReader):
                got = got.read_all()
            assert got.num_rows == want.num_rows == one[table].num_rows, table
            assert got.cast(want.schema).equals(want), f"{table}: the {engine} shards differ from one machine"

    return check
