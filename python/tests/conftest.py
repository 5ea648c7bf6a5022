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
