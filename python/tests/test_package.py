"""`import ipabs`: results equal the CLI's Parquet files row for row; errors arrive as
exceptions carrying their location; no panic crosses into Python (docs/python.md)."""
import datetime
import decimal
import os
import pathlib
import re
import signal
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ipabs

NANSHAN = "deals/nanshan_gaoxintou_5_2022.toml"
GDD = "deals/gdd_patent_licence_2019.toml"


def cli_tables(out: pathlib.Path) -> dict:
    """The CLI's tables: every top-level Parquet file, and every dataset directory's files
    concatenated in path order."""
    tables = {p.stem: pq.read_table(p) for p in out.glob("*.parquet")}
    for d in out.iterdir():
        if d.is_dir() and not d.name.startswith("."):
            files = sorted(d.rglob("*.parquet"))
            tables[d.name] = pa.concat_tables([pq.read_table(f) for f in files])
    return tables


def assert_same(py: dict, cli: dict):
    assert sorted(py) == sorted(cli)
    for name, table in cli.items():
        assert py[name].schema == table.schema, name
        assert py[name].equals(table), f"{name} differs from the CLI's file"


def test_run_equals_the_cli(root, cli, tmp_path):
    deal = ipabs.load(root / NANSHAN)
    assert deal.tranches == ["A", "B"]
    assert len(deal.obligors) == 12
    cli("run", NANSHAN, "--out", str(tmp_path), "--quiet")
    got = deal.run()
    assert_same(got, cli_tables(tmp_path))
    flows = got["tranche_flows"]
    # Money is decimal128(18, 2) as in the Parquet files, never a float.
    for col in ("balance_start", "interest_paid", "principal_paid", "balance_end"):
        assert flows.schema.field(col).type == pa.decimal128(18, 2)
    # Tranche A is repaid: the principal it is paid sums to its initial balance.
    rows = [r for r in flows.to_pylist() if r["tranche"] == "A"]
    assert sum(r["principal_paid"] for r in rows) == rows[0]["balance_start"]
    assert isinstance(rows[0]["principal_paid"], decimal.Decimal)


def test_sweep_with_stress_equals_the_cli(root, cli, tmp_path):
    cli("sweep", NANSHAN, "--stress", "standard", "--flows", "--out", str(tmp_path), "--quiet")
    got = ipabs.load(root / NANSHAN).sweep(stress="standard", flows=True)
    assert_same(got, cli_tables(tmp_path))
    # The deal's own scenario and the 21 standard stresses.
    assert got["scenarios"].num_rows == 22


def test_scenario_dicts_equal_a_scenario_file(root, cli, tmp_path):
    # The same two scenarios, written by hand as TOML for the CLI and as dicts for Python.
    (tmp_path / "s.toml").write_text(
        '[[scenarios]]\nname = "cdr"\ncdr = 0.02\n\n'
        '[[scenarios]]\nname = "late"\ndefault_rate = 0.1\nrecovery_rate = 0.3\n'
        'delay = { fraction = 0.3, months = 6 }\n'
        'defaults = [ { obligor = "SME-01", date = 2023-01-15 } ]\n'
    )
    deal = ipabs.load(root / NANSHAN)
    obligor = deal.obligors[0]
    text = (tmp_path / "s.toml").read_text().replace("SME-01", obligor)
    (tmp_path / "s.toml").write_text(text)
    cli("sweep", NANSHAN, "--scenarios", str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"), "--quiet")
    dicts = [
        {"name": "cdr", "cdr": 0.02},
        {
            "name": "late",
            "default_rate": decimal.Decimal("0.1"),
            "recovery_rate": 0.3,
            "delay": {"fraction": 0.3, "months": 6},
            "defaults": [{"obligor": obligor, "date": datetime.date(2023, 1, 15)}],
        },
    ]
    assert_same(deal.sweep(scenarios=dicts, stress=None), cli_tables(tmp_path / "o"))
    # One scenario dict for run().
    cli("run", NANSHAN, "--scenario", str(tmp_path / "s.toml"), "--out", str(tmp_path / "r"), "--quiet")
    assert_same(deal.run({"scenarios": dicts}), cli_tables(tmp_path / "r"))


def test_breakeven_rate_size_equal_the_cli(root, cli, tmp_path):
    deal = ipabs.load(root / GDD)
    cli("breakeven", GDD, "--stress", "standard", "--out", str(tmp_path / "b"), "--quiet")
    assert_same(deal.breakeven(stress="standard"), cli_tables(tmp_path / "b"))
    n = ipabs.load(root / NANSHAN)
    cli("rate", NANSHAN, "--paths", "3000", "--seed", "5", "--out", str(tmp_path / "r"), "--quiet")
    assert_same(n.rate(paths=3000, seed=5), cli_tables(tmp_path / "r"))
    cli("size", NANSHAN, "--target", "A=AAA", "--paths", "2000", "--out", str(tmp_path / "s"), "--quiet")
    got = n.size({"A": "AAA"}, paths=2000)
    sized = got.pop("sized_deal")
    assert_same(got, cli_tables(tmp_path / "s"))
    assert sized["text"][0].as_py() == (tmp_path / "s" / "nanshan_gaoxintou_5_2022.sized.toml").read_text()


def test_rate_and_size_take_the_stress_suite_as_the_cli(root, cli, tmp_path):
    """`stress` and `stress_on` of `rate` and `size` (review 34g item M2: not offered, so a
    notebook rated tianzhi's A at a break-even of 1 where the CLI with --stress standard gave 0)."""
    n = ipabs.load(root / NANSHAN)
    cli("rate", NANSHAN, "--paths", "3000", "--stress", "standard", "--stress-on", "deal",
        "--out", str(tmp_path / "r"), "--quiet")
    rated = n.rate(paths=3000, stress="standard", stress_on="deal")
    assert_same(rated, cli_tables(tmp_path / "r"))
    # The suite is in it: the binding scenario of A's break-even is one of its stresses.
    assert set(rated["rating"]["binding_scenario"].to_pylist()) == {"recovery-50%+delay-30%-6m+supports-off"}
    cli("size", NANSHAN, "--target", "A=AAA", "--paths", "2000", "--stress", "standard",
        "--out", str(tmp_path / "s"), "--quiet")
    got = n.size({"A": "AAA"}, paths=2000, stress="standard")
    got.pop("sized_deal")
    assert_same(got, cli_tables(tmp_path / "s"))


def test_reconcile_and_portfolio_equal_the_cli(root, cli, tmp_path):
    deal = ipabs.load(root / "tests/fixtures/auditing.toml")
    actuals = root / "tests/fixtures/auditing_actuals.toml"
    # The fixture's actuals differ from the waterfall by one fen in period 2: exit code 4.
    cli("reconcile", "tests/fixtures/auditing.toml", "--actuals", str(actuals), "--out", str(tmp_path / "c"), "--quiet", code=4)
    assert_same(deal.reconcile(actuals), cli_tables(tmp_path / "c"))
    with pytest.raises(ipabs.DifferencesError) as e:
        deal.reconcile(actuals, raise_on_differences=True)
    assert e.value.exit_code == 4
    # The exception carries the tables (review 34g item M3): the files it names are gone.
    assert_same(e.value.tables, cli_tables(tmp_path / "c"))
    cohort = "tests/fixtures/portfolio/cohort.toml"
    cli("portfolio", cohort, "--out", str(tmp_path / "p"), "--quiet")
    assert_same_portfolio(ipabs.portfolio(root / cohort), tmp_path / "p")


def test_notice_is_the_clis_text(root, cli):
    """`Deal.notice` returns what `ipabs notice` prints (review 43d F6: a notebook had to shell
    out for it), projected and on an actuals file, and refuses a period the deal lacks."""
    deal = ipabs.load(root / NANSHAN)
    for period in (1, deal.payment_dates):
        printed = cli("notice", NANSHAN, "--period", str(period)).stdout
        assert deal.notice(period) + "\n" == printed
    fixture = ipabs.load(root / "tests/fixtures/auditing.toml")
    actuals = root / "tests/fixtures/auditing_actuals.toml"
    printed = cli("notice", "tests/fixtures/auditing.toml", "--period", "2", "--actuals", str(actuals)).stdout
    text = fixture.notice(2, actuals=actuals)
    assert text + "\n" == printed
    # The reported date's basis is the report (docs/auditing.md), not the projection.
    assert "实际 (reported)" in text
    # A scenario dict is written as the command line's scenario file.
    stressed = deal.notice(2, {"name": "slow", "cdr": 0.1})
    assert "`slow`" in stressed and stressed != deal.notice(2)
    with pytest.raises(ipabs.UsageError, match="periods 1 to"):
        deal.notice(deal.payment_dates + 1)
    with pytest.raises(ipabs.UsageError, match="period=0"):
        deal.notice(0)
    # Two scenarios for a notice of one: told in the call's terms, naming neither the call's
    # temporary file nor the command line's flag (review 44e F11).
    for call in (lambda s: deal.notice(1, s), lambda s: fixture.reconcile(actuals, s)):
        with pytest.raises(ipabs.UsageError) as e:
            call([{"name": "s1"}, {"name": "s2"}])
        message = str(e.value)
        assert message.startswith("error: <scenarios>: ") and "the call's scenarios make 2 (s1, s2)" in message, message
        assert "give one scenario" in message and "[[scenarios]]" not in message, message
        assert "by leaving `scenario` out" in message and "--scenario" not in message, message
        assert "ipabs-" not in message, message
    # The other flags and the file-kind hint in the call's terms too (review 45c item 7).
    with pytest.raises(ipabs.UsageError) as e:
        deal.notice(99)
    assert "period=99" in str(e.value) and "--period" not in str(e.value), str(e.value)
    with pytest.raises(ipabs.UsageError) as e:
        deal.rate(paths=100, mc_scenario="bogus")
    assert 'mc_scenario="bogus": no scenario of that name' in str(e.value), str(e.value)
    with pytest.raises(ipabs.InputError) as e:
        ipabs.load('[[scenarios]]\nname = "x"\n')
    assert "is the `scenarios=` parameter of a call" in e.value.expected, e.value.expected
    assert "--scenarios" not in str(e.value), str(e.value)


def assert_same_portfolio(py: dict, out: pathlib.Path):
    """`ipabs.portfolio`'s tables against the CLI's files: the run tables are the partitions
    in path order with the hive keys `deal` and `scenario` put first. Oracle for the keys:
    DuckDB reads the dataset with hive partitioning (strings, not inferred numbers), and the
    rows per (deal, scenario) agree."""
    import duckdb

    cli = cli_tables(out)
    assert sorted(py) == sorted(cli)
    for name, table in cli.items():
        got = py[name]
        if not (out / name).is_dir():
            assert got.equals(table), name
            continue
        assert got.column_names[:2] == ["deal", "scenario"], name
        assert got.drop_columns(["deal", "scenario"]).equals(table), name
        counts = {}
        for d, s in zip(got["deal"].to_pylist(), got["scenario"].to_pylist()):
            counts[(d, s)] = counts.get((d, s), 0) + 1
        glob = str(out / name / "*" / "*" / "*.parquet")
        want = duckdb.sql(
            f"SELECT deal, scenario, count(*) FROM read_parquet('{glob}', hive_partitioning = true,"
            " hive_types_autocast = false) GROUP BY deal, scenario"
        ).fetchall()
        assert counts == {(d, s): n for d, s, n in want}, name


def test_portfolio_of_the_example_deals(root, cli, tmp_path):
    """The example deals, one of them with named accounts and a PDL (whose `periods` has two
    more columns): the tables stack, and every row says its deal and scenario. Before
    2026-12-05 this raised ArrowInvalid, and the run tables had no deal or scenario column."""
    cli("portfolio", "deals/", "--out", str(tmp_path / "p"), "--quiet")
    got = ipabs.portfolio(root / "deals")
    assert_same_portfolio(got, tmp_path / "p")
    deals = set(got["summary"]["deal"].to_pylist())
    assert "wenke_leasing_1_accounts_2018" in deals and len(deals) == 9
    assert "pdl_balance_end" in got["periods"].column_names


def test_a_bad_deal_raises_input_error_with_its_location(root):
    # Line 6, column 1 is `foo`, an unknown key of [deal] (counted by hand).
    text = (
        "[deal]\n"
        'name = "x"\n'
        "cutoff_date = 2024-01-01\n"
        "closing_date = 2024-02-01\n"
        "legal_maturity = 2025-01-01\n"
        "foo = 1\n"
    )
    with pytest.raises(ipabs.InputError) as e:
        ipabs.load(text)
    err = e.value
    assert (err.file, err.line, err.column, err.key_path) == ("<string>", 6, 1, "deal.foo")
    assert "unknown key `foo`" in err.problem
    assert "legal_maturity" in err.expected
    assert err.exit_code == 2
    assert isinstance(err, ipabs.IpabsError)
    # A bad-deal case of the repository: the attributes are its .expected file's.
    case = root / "tests/bad_deals/012-typo-deal.toml"
    with pytest.raises(ipabs.InputError) as e:
        ipabs.load(case)
    line, column = 8, 1  # at = "8:1" in 012-typo-deal.expected
    assert (e.value.line, e.value.column, e.value.key_path) == (line, column, "deal.legal_maturty")
    assert e.value.file == str(case)
    assert e.value.errors[0]["key_path"] == "deal.legal_maturty"


def test_a_bad_scenario_dict_raises_with_its_key_path(root):
    deal = ipabs.load(root / NANSHAN)
    with pytest.raises(ipabs.InputError) as e:
        deal.run({"name": "x", "cdrr": 0.02})
    assert e.value.key_path == "scenarios[0].cdrr"
    assert e.value.line == 1


def test_usage_errors_and_panics_are_exceptions(root):
    deal = ipabs.load(root / NANSHAN)
    with pytest.raises(ipabs.UsageError, match="is not a shard"):
        deal.sweep(shard="2/2")
    with pytest.raises(ipabs.UsageError):
        ipabs.load(root / "no-such-deal.toml")
    with pytest.raises(ipabs.InternalError, match="deliberate panic") as e:
        ipabs._ipabs._panic_for_test()
    assert e.value.exit_code == 3
    # The interpreter goes on after a caught panic.
    assert deal.run()["summary"].num_rows == 2


def test_schema_refuses_an_unknown_key():
    s = ipabs.schema("deal")
    assert s["properties"]["deal"]["$ref"] == "#/$defs/DealSection"
    assert s["$defs"]["DealSection"]["additionalProperties"] is False
    # An unknown kind is a usage error with its exit code (review 34g item L4).
    with pytest.raises(ipabs.UsageError) as e:
        ipabs.schema("deals")
    assert e.value.exit_code == 2


def test_ctrl_c_stays_a_keyboard_interrupt(root):
    # The command line exits with 130 on SIGINT; inside Python the signal stays Python's.
    # Python keeps SIGINT ignored when it starts with it ignored (a background job of a
    # non-interactive shell, as a CI may start the tests), so the test installs Python's own
    # handler first, as an interactive interpreter has it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        ipabs.load(root / NANSHAN).sweep(stress=None, out=None)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_numpy_numbers_in_scenario_dicts(root):
    # A grid axis from np.arange and a month count from a numpy column (review 26b item 2):
    # written as the Python numbers they hold, so the same TOML as plain floats and ints.
    np = pytest.importorskip("numpy")
    plain = {"name": "x", "cdr": 0.02, "recovery_lag_months": 6, "recovery_rate": 0.3}
    numpy_ = {"name": "x", "cdr": np.float64(0.02), "recovery_lag_months": np.int64(6), "recovery_rate": np.float32(0.3)}
    assert ipabs.to_toml({"scenarios": [numpy_]}) == ipabs.to_toml({"scenarios": [plain]})
    # np.float32(0.3) is written 0.3 at its own precision (widened, it is 0.30000001192092896,
    # review 26c item M4); a numpy date as a date.
    assert "cdr = 0.02" in ipabs.to_toml({"scenarios": [numpy_]})
    assert "recovery_rate = 0.3 " in ipabs.to_toml({"scenarios": [numpy_]}) + " "
    assert ipabs.to_toml({"d": np.datetime64("2024-05-01T00:00:00.000000000")}) == "d = 2024-05-01\n"
    deal = ipabs.load(root / NANSHAN)
    got = deal.run({"scenarios": [numpy_]})
    want = deal.run({"scenarios": [plain]})
    assert got["summary"].equals(want["summary"])


def test_an_error_in_a_scenario_dict_names_the_dict_not_a_deleted_file(root):
    # The dict is written to a temporary file that is gone when the call returns (review 26b
    # item 6): the error names it `<scenarios>`.
    deal = ipabs.load(root / NANSHAN)
    with pytest.raises(ipabs.InputError) as e:
        deal.run({"name": "x", "cdrr": 0.02})
    assert e.value.file == "<scenarios>"
    assert str(e.value).startswith("error: <scenarios>:1:28: scenarios[0].cdrr")
    assert all(x["file"] == "<scenarios>" for x in e.value.errors)


def test_build_names_the_commit_as_the_cli_does(root, cli):
    """`ipabs.__build__` and `ipabs --version` name the same build: the commit of this checkout
    (from git itself), as `.ci/run` builds both from it."""
    import subprocess
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                          capture_output=True, text=True, check=True).stdout.strip()
    assert ipabs.__build__.startswith(f"commit {head} of ")
    assert cli("--version").stdout.strip() == f"ipabs {ipabs.__version__} ({ipabs.__build__})"


def test_out_returns_only_what_the_call_wrote(root, tmp_path):
    """Review 31b item 1: a call into an `out` that holds an earlier call's tables (another
    command's, another deal's) returns only the tables it wrote, each of this deal."""
    out = tmp_path / "reuse"
    nanshan = ipabs.load(root / NANSHAN)
    swept = nanshan.sweep(stress="standard", out=out)
    assert "scenarios" in swept
    ran = nanshan.run(out=out)
    # `run` writes no `scenarios`: the sweep's stays on disk, unreturned. Its `warnings` (since
    # session 31) replaces the sweep's: the base case tells nothing, the stresses did.
    assert "scenarios" not in ran
    assert (out / "scenarios.parquet").exists()
    assert swept["warnings"].num_rows > 0 and ran["warnings"].num_rows == 0
    gdd = ipabs.load(root / GDD)
    be = gdd.breakeven(stress=None, out=out)
    assert sorted(be) == ["breakeven", "warnings"]
    names = set(be["breakeven"].column("deal").to_pylist())
    assert names == {gdd.name}, names
    # A shard run again into the same `out` replaces its own file (a notebook cell run twice,
    # a retried task: item 5) and returns it.
    for _ in range(2):
        part = nanshan.sweep(stress="standard", shard=(0, 2), out=tmp_path / "parts")
        assert part["summary"].num_rows > 0


def test_bad_shapes_and_encodings_are_clear_errors(root, tmp_path):
    """Review 31b items 4, 11, 12: a GBK/Latin-1 file raises the engine's located error; a
    shard or targets of another shape is a TypeError naming the accepted forms; a missing path
    under a hive folder is "cannot read", not TOML text."""
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('[deal]\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ipabs.InputError) as e:
        ipabs.load(str(latin))
    assert "not valid UTF-8" in str(e.value) and e.value.line == 2
    deal = ipabs.load(root / NANSHAN)
    with pytest.raises(TypeError, match=r"shard=\(1,\): expected \(i, n\)"):
        deal.sweep(shard=(1,))
    # A shard written with leading zeros or spaces is the same shard, its files found (review
    # 34g item L2: "0/04" returned `{}`); a negative one is a usage error, not a stray option.
    # (One scenario in two shards: block 0 is empty, block 1 holds it.)
    padded = deal.sweep(stress=None, shard="01/02", out=tmp_path / "padded")
    assert padded == deal.sweep(stress=None, shard=(1, 2), out=tmp_path / "plain")
    assert padded["summary"].num_rows == 2
    with pytest.raises(ipabs.UsageError, match="is not a shard"):
        deal.sweep(shard=(-1, 4))
    with pytest.raises(TypeError, match="expected a dict of tranche to rating"):
        deal.size(["A"], paths=100)
    with pytest.raises(ipabs.UsageError, match="cannot read deals/vintage=2024/deal.toml"):
        ipabs.load("deals/vintage=2024/deal.toml")


def test_deals_loaded_from_text_take_an_id_in_a_portfolio(root):
    """Review 31b item 8: two deals loaded from text were both `deal`, and the error named
    temporary files; `load(text, id=...)` names each, and a clash says how to fix it."""
    a_text = (root / NANSHAN).read_text(encoding="utf-8")
    b_text = (root / GDD).read_text(encoding="utf-8")
    with pytest.raises(ipabs.UsageError, match=r'load\(text, id="\.\.\."\)'):
        ipabs.portfolio([ipabs.load(a_text), ipabs.load(b_text)])
    got = ipabs.portfolio([ipabs.load(a_text, id="nanshan"), ipabs.load(b_text, id="gdd")])
    assert sorted(set(got["summary"].column("deal").to_pylist())) == ["gdd", "nanshan"]
    with pytest.raises(ValueError, match="expected letters, digits"):
        ipabs.load(a_text, id="a/b")


def test_usage_errors_speak_python(root):
    """Review 40b F2: the command line's usage errors are told in the call's terms: the
    parameter, not the flag; no pointer to `--help`; no advice to pass `--force`."""
    deal = ipabs.load(root / NANSHAN)
    with pytest.raises(ipabs.UsageError) as e:
        deal.sweep(stress="bogus")
    text = str(e.value)
    assert "invalid value 'bogus' for `stress`: unknown stress suite `bogus`" in text, text
    assert "--" not in text, text
    assert e.value.exit_code == 2
    with pytest.raises(ipabs.UsageError) as e:
        deal.size({"A": "ZZZ"})
    assert str(e.value).startswith('error: targets={"A": "ZZZ"}: the PD table has no rating `ZZZ`'), str(e.value)
    # The refusal of a portfolio shard's partitions already there (src/cli/outdir.rs).
    said = ipabs._in_python_terms(
        "error: out/p already holds results (summary.parquet); pass --force to replace them, "
        "or choose another --out"
    )
    assert said == (
        "error: out/p already holds results (summary.parquet); delete what it names (Python has no "
        "parameter for the command line's --force), or choose another out="
    ), said
    # The parser's usage line and an unquoted flag (review 40c F3), and the advice to list a
    # deal's names that named the call's temporary scenario file (review 40c F4).
    said = ipabs._in_python_terms(
        "error: the following required arguments were not provided:\n  --merge <DIR>\n\n"
        "Usage: ipabs rate --out <OUT> --quiet <DEAL>\n\nFor more information, try '--help'.\n"
    )
    assert said == "error: the following required arguments were not provided:\n  `merge`", said
    said = ipabs._python_advice(
        "what each deal allows, which differs between them: `ipabs check DEAL --scenarios "
        "<scenarios>` tells one deal's"
    )
    assert said == (
        "what each deal allows, which differs between them: `ipabs.load(DEAL).obligors` and "
        "`.tranches` list one deal's"
    ), said


def test_out_of_range_numbers_name_the_parameter(root):
    """Review 31b item 10: threads, paths and seed outside their ranges are told in Python's
    terms (the parameter and its range), not with the command line's usage text."""
    deal = ipabs.load(root / NANSHAN)
    for call, says in [
        (lambda: deal.sweep(threads=0), "threads=0: expected a whole number from 1 to 256"),
        (lambda: deal.rate(paths=0), "paths=0: expected a whole number from 1 to 1000000000"),
        (lambda: deal.rate(seed=-1), "seed=-1: expected a whole number from 0 to 18446744073709551615"),
        (lambda: deal.rate(paths=2.5), "paths=2.5: expected a whole number"),
    ]:
        with pytest.raises(ipabs.UsageError, match=re.escape(says)) as e:
            call()
        assert e.value.exit_code == 2
        assert "--help" not in str(e.value)
    # A numpy integer is a whole number.
    np = pytest.importorskip("numpy")
    ipabs.load(root / NANSHAN).sweep(stress=None, threads=np.int64(1))
