"""Scale-out on Dask (docs/scale-out.md): the shards of a sweep and of a Monte Carlo rating (its
paths, then its waterfall runs) run as tasks of a local Dask cluster of two worker processes,
through the Python package; the dataset they write, read back with DuckDB, equals the
one-machine run row for row."""
import duckdb
import pytest

import ipabs

distributed = pytest.importorskip("distributed")

NANSHAN = "deals/nanshan_gaoxintou_5_2022.toml"


def sweep_shard(deal: str, i: int, n: int, out: str) -> int:
    """One Dask task: block i of n of the sweep, written into the shared dataset `out`."""
    tables = ipabs.load(deal).sweep(stress="standard", flows=True, shard=(i, n), threads=1, out=out)
    return tables["summary"].num_rows


def rate_shard(deal: str, i: int, n: int, out: str) -> int:
    return ipabs.load(deal).rate(paths=6000, seed=3, shard=(i, n), threads=1, out=out)["patterns"].num_rows


def waterfall_shard(deal: str, parts: str, j: int, m: int, out: str) -> int:
    """One Dask task: block j of m of the merged run's distinct default patterns through the
    waterfall (their outcomes, 2 rows a pattern: one per tranche)."""
    tables = ipabs.load(deal).rate(paths=6000, seed=3, merge=parts, waterfall_shard=(j, m), threads=1, out=out)
    return tables["outcomes"].num_rows


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_sweep_shards_on_a_dask_cluster_equal_one_machine(root, client, tmp_path, same_as_one_machine):
    deal = str(root / NANSHAN)
    many = tmp_path / "many"
    n = 4
    futures = client.map(sweep_shard, [deal] * n, range(n), [n] * n, [str(many)] * n)
    rows = client.gather(futures)
    # Two worker processes ran the four tasks.
    assert len(client.scheduler_info()["workers"]) == 2
    one = ipabs.load(deal).sweep(stress="standard", flows=True, out=tmp_path / "one")
    # 22 scenarios × 2 tranches of summary rows, split 5, 6, 5, 6 scenarios (⌊22i/4⌋).
    assert rows == [10, 12, 10, 12]
    same_as_one_machine(many, tmp_path / "one", one, "Dask")


def test_rate_shards_on_a_dask_cluster_merge_to_one_machine(root, client, tmp_path):
    deal = str(root / NANSHAN)
    parts = tmp_path / "parts"
    futures = client.map(rate_shard, [deal] * 3, range(3), [3] * 3, [str(parts)] * 3)
    client.gather(futures)
    d = ipabs.load(deal)
    merged = d.rate(paths=6000, seed=3, merge=parts, out=tmp_path / "merged")
    one = d.rate(paths=6000, seed=3, out=tmp_path / "one")
    for name in ("default_distribution", "rating", "mc_tranches"):
        assert merged[name].equals(one[name]), name
        # The merge writes the one-machine file byte for byte.
        assert (tmp_path / "merged" / f"{name}.parquet").read_bytes() == (tmp_path / "one" / f"{name}.parquet").read_bytes()
    # The shards' path counts add up to --paths.
    con = duckdb.connect()
    total = con.execute(f"SELECT sum(paths) FROM read_parquet('{parts}/patterns/*/*/*.parquet')").fetchall()[0][0]
    assert total == 6000
    # The waterfall too: four tasks each run a block of the distinct patterns, and the merge of
    # their outcomes writes the one-machine bytes.
    outcomes = tmp_path / "outcomes"
    futures = client.map(waterfall_shard, [deal] * 4, [str(parts)] * 4, range(4), [4] * 4, [str(outcomes)] * 4)
    rows = client.gather(futures)
    patterns = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT pattern FROM read_parquet('{parts}/patterns/*/*/*.parquet'))").fetchall()[0][0]
    assert sum(rows) == 2 * patterns
    d.rate(paths=6000, seed=3, merge=parts, outcomes=outcomes, out=tmp_path / "merged2")
    for name in ("default_distribution", "rating", "mc_tranches"):
        assert (tmp_path / "merged2" / f"{name}.parquet").read_bytes() == (tmp_path / "one" / f"{name}.parquet").read_bytes(), name
