"""Scale-out on Ray (docs/scale-out.md): the shards of a sweep run as tasks of a local Ray
cluster of two worker processes, through the Python package; the dataset they write, read back
with DuckDB, equals the one-machine run row for row. The same recipe as the Dask test
(test_dask.py), on the other engine the issue names."""
import os

import pytest

import ipabs

ray = pytest.importorskip("ray")

NANSHAN = "deals/nanshan_gaoxintou_5_2022.toml"


@ray.remote(num_cpus=1)
def sweep_shard(deal: str, i: int, n: int, out: str) -> tuple[int, int]:
    """One Ray task: block i of n of the sweep, written into the shared dataset `out`; returns
    its summary rows and the worker process that ran it."""
    tables = ipabs.load(deal).sweep(stress="standard", flows=True, shard=(i, n), threads=1, out=out)
    return tables["summary"].num_rows, os.getpid()


@pytest.fixture(scope="module")
def cluster():
    # A local cluster of two CPUs: at most two tasks at once, each in a worker process of its
    # own. A small object store (the tasks return two integers) and no dashboard.
    ray.init(
        num_cpus=2,
        object_store_memory=100 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    try:
        yield
    finally:
        ray.shutdown()


def test_sweep_shards_on_a_ray_cluster_equal_one_machine(root, cluster, tmp_path, same_as_one_machine):
    deal = str(root / NANSHAN)
    many = tmp_path / "many"
    n = 4
    results = ray.get([sweep_shard.remote(deal, i, n, str(many)) for i in range(n)])
    rows = [r for r, _ in results]
    # The tasks ran in Ray's worker processes, not in this one.
    assert os.getpid() not in {pid for _, pid in results}
    # 22 scenarios × 2 tranches of summary rows, split 5, 6, 5, 6 scenarios (⌊22i/4⌋).
    assert rows == [10, 12, 10, 12]
    one = ipabs.load(deal).sweep(stress="standard", flows=True, out=tmp_path / "one")
    same_as_one_machine(many, tmp_path / "one", one, "Ray")
