"""The README's Python example and docs/python.md, run as written (matplotlib with the Agg
backend) in a scratch directory that sees the repository's deals/."""
import os
import re

import pytest

FENCE = re.compile(r"```python\n(.*?)```", re.S)


def blocks(path):
    return FENCE.findall(path.read_text(encoding="utf-8"))


@pytest.fixture
def scratch(root, tmp_path, monkeypatch):
    (tmp_path / "deals").symlink_to(root / "deals")
    monkeypatch.chdir(tmp_path)
    os.environ["MPLBACKEND"] = "Agg"
    return tmp_path


def test_readme_python_example_runs(root, scratch, capsys):
    [example] = blocks(root / "README.md")
    exec(compile(example, "README.md", "exec"), {})
    assert (scratch / "balances.png").stat().st_size > 0
    # 22 scenarios (the deal's own and the 21 standard stresses), and as many rows × 2 tranches.
    assert capsys.readouterr().out.strip().splitlines()[-1] == "22 44"


def test_python_md_runs_as_one_notebook(root, scratch, capsys):
    namespace = {}
    for i, code in enumerate(blocks(root / "docs/python.md")):
        exec(compile(code, f"docs/python.md block {i + 1}", "exec"), namespace)
    assert (scratch / "tranche_balances.png").stat().st_size > 0
    out = capsys.readouterr().out
    assert "<string> 6 1 deal.legal_maturty" in out
    # The comparison, per tranche: the base scenario (no defaults, no delay) collects every
    # instalment, and the deal's pool covers its issue, so no tranche loses principal; the
    # stress's extra loss is then its whole loss, and the stress loses something.
    compare = namespace["compare"]
    assert compare["tranche"].to_list() == ["A", "B"]
    for row in compare.iter_rows(named=True):
        assert row["base_loss"] == 0
        assert row["extra_loss"] == row["stress_loss"]
    assert sum(compare["stress_loss"].to_list()) > 0
    assert namespace["be"].num_rows > 0
