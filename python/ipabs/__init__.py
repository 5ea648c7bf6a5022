"""ipabs in the Python process: load a deal, run it, sweep, break-even, rate, size, reconcile,
portfolio; every result a dict of pyarrow tables (docs/python.md).

>>> import ipabs
>>> deal = ipabs.load("deals/nanshan_gaoxintou_5_2022.toml")
>>> tables = deal.run()
>>> tables["tranche_flows"].schema.field("principal_paid").type
Decimal128Type(decimal128(18, 2))

Each call runs the same code as the command line (`ipabs.cli`), with the GIL released, and
reads back the Parquet files it writes: the tables are exactly the CLI's files (one copy, no
float anywhere on the way; money stays `decimal128(18, 2)`). Errors are exceptions:
`InputError` (with `file`, `line`, `column`, `key_path`, `problem`, `expected`), `UsageError`,
`OutputError`, `DifferencesError`, `InternalError` (also any panic), all `IpabsError`.
"""
from __future__ import annotations

import datetime
import decimal
import json
import math
import numbers
import os
import pathlib
import re
import shutil
import tempfile
import urllib.parse
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa
import pyarrow.parquet as pq

from . import _ipabs
from ._ipabs import (
    DifferencesError,
    InputError,
    InternalError,
    IpabsError,
    OutputError,
    UsageError,
)

__version__: str = _ipabs.__version__
#: What the engine was built from: ``commit C of DATE`` (``, modified`` when the code differed
#: from that commit), as ``ipabs --version`` prints it.
__build__: str = _ipabs.__build__

__all__ = [
    "Deal",
    "DifferencesError",
    "InputError",
    "InternalError",
    "IpabsError",
    "OutputError",
    "UsageError",
    "load",
    "portfolio",
    "schema",
    "to_toml",
]

PathLike = Union[str, "os.PathLike[str]"]
#: A scenario file (path), its TOML text, one scenario as a dict (`{"name": …, "cdr": …}`),
#: a list of such dicts, or a whole scenario file as a dict (`{"scenarios": […], "grid": …}`).
Scenarios = Union[PathLike, Mapping[str, Any], Sequence[Mapping[str, Any]]]
Tables = Dict[str, pa.Table]

_SCENARIO_FILE_KEYS = {"scenarios", "grid", "rating", "pricing", "rating_model"}


# ---------------------------------------------------------------------------------------------
# Python values to TOML (scenario dicts). Every table is written inline, so that a value keeps
# its place whatever its nesting; dates stay TOML dates, Decimals become exact strings.


def _toml_key(k: str) -> str:
    if k and all(c.isalnum() and c.isascii() or c in "-_" for c in k):
        return k
    return json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    # A numpy scalar, e.g. np.float64(0.02) from np.arange (numpy 2 spells its repr
    # "np.float64(0.02)"): a float by the shortest text at its own precision, so that
    # np.float32(0.3) is 0.3 and not the 0.30000001192092896 it widens to; a date as a date;
    # an integer or a bool as its Python value.
    if type(v).__module__.split(".")[0] == "numpy" and getattr(v, "ndim", None) == 0:
        kind = getattr(getattr(v, "dtype", None), "kind", "")
        if kind == "f":
            if not math.isfinite(float(v)):
                raise ValueError(f"{v!r} is not a finite number; TOML scenario values must be finite")
            text = str(v)
            return text if any(c in text for c in ".eE") else text + ".0"
        if kind == "M":
            v = v.astype("datetime64[D]").item()
        else:
            v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{v!r} is not a finite number; TOML scenario values must be finite")
        return repr(v)
    if isinstance(v, decimal.Decimal):
        return json.dumps(str(v))  # exact: ipabs reads Decimal strings exactly
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, datetime.datetime):
        raise ValueError(f"{v!r}: ipabs dates have no time; pass a datetime.date")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} {v!r} as TOML")


def to_toml(doc: Mapping[str, Any]) -> str:
    """A dict as TOML text: one `key = value` line per top-level key, tables inline."""
    return "".join(f"{_toml_key(str(k))} = {_toml_value(v)}\n" for k, v in doc.items())


# ---------------------------------------------------------------------------------------------


def _looks_like_text(s: str) -> bool:
    """TOML text rather than a file name: an existing file is a file, and so is one line that
    ends in `.toml` (a mistyped path under a hive folder such as `vintage=2024/` is "cannot
    read", not a TOML syntax error: review 31b item 12); otherwise text has a newline, a
    `key = value` or a `[table]`."""
    if "\n" not in s and (os.path.exists(s) or s.rstrip().endswith(".toml")):
        return False
    return "\n" in s or "=" in s or s.lstrip().startswith("[")


def _parquet_files(root: pathlib.Path) -> List[pathlib.Path]:
    """The Parquet files under `root`, in path order, outside the hidden directories where a
    command running beside this one (another shard of a Dask or Ray job) keeps its lock and
    writes its files before renaming them: such a directory may vanish while it is listed,
    which `rglob` raised on (a flaky `FileNotFoundError` of the Ray test); `os.walk` skips it."""
    found = []
    for parent, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(pathlib.Path(parent) / f for f in files if f.endswith(".parquet") and not f.startswith("."))
    return sorted(found)


def _snapshot(out: pathlib.Path) -> Dict[str, Tuple[int, int, int]]:
    """The Parquet files under `out` now, each with (inode, mtime in ns, size): a file the
    command then writes (a new file, or one replaced by a rename) has another."""
    if not out.is_dir():
        return {}
    snap = {}
    for f in _parquet_files(out):
        try:
            st = f.stat()
        except FileNotFoundError:
            continue
        snap[str(f)] = (st.st_ino, st.st_mtime_ns, st.st_size)
    return snap


def _read_tables(
    out: pathlib.Path,
    only: Optional[Iterable[str]] = None,
    shard: Optional[str] = None,
    before: Optional[Dict[str, Tuple[int, int, int]]] = None,
) -> Tables:
    """Every table the command wrote into `out`: `X.parquet` → "X"; a dataset directory
    `X/…/part-0.parquet` (hive-partitioned) → "X", its files concatenated in path order. With
    `shard` ("i/n"), only that shard's part `X/shards=n/shard=i/part-0.parquet` of each table
    (other shards may be writing into the same dataset). With `before` (a `_snapshot` taken
    before the command), only the files the command wrote: earlier calls' tables left in `out`
    (another command's, another deal's) are not returned (review 31b item 1)."""
    tables: Tables = {}
    wanted = set(only) if only is not None else None
    before = before or {}

    def written(f: pathlib.Path) -> bool:
        old = before.get(str(f))
        if old is None:
            return True
        st = f.stat()
        return old != (st.st_ino, st.st_mtime_ns, st.st_size)

    for p in sorted(out.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_file() and p.suffix == ".parquet":
            name = p.stem
            if (wanted is None or name in wanted) and written(p):
                tables[name] = pq.read_table(p)
        elif p.is_dir():
            if shard is not None:
                i, n = shard.split("/")
                parts = [f for f in [p / f"shards={n}" / f"shard={i}" / "part-0.parquet"] if f.exists()]
            else:
                parts = _parquet_files(p)
            parts = [f for f in parts if written(f)]
            if parts and (wanted is None or p.name in wanted):
                tables[p.name] = pa.concat_tables(
                    [_with_keys(f, p) for f in parts], promote_options="default"
                )
    return tables


def _with_keys(file: pathlib.Path, dataset: pathlib.Path) -> pa.Table:
    """One part file of a dataset directory, with the hive keys of its path that the file
    does not hold (`portfolio`'s `deal=ID/scenario=NAME`, percent-decoded) put first as string
    columns, so that the parts of every deal and scenario stack and each row says whose it is.
    A shard's `shards=N/shard=I` keys are not columns (the rows already name their scenario)."""
    table = pq.read_table(file)
    keys = []
    for part in file.relative_to(dataset).parent.parts:
        key, sep, value = part.partition("=")
        if sep and key in ("deal", "scenario") and key not in table.column_names:
            keys.append((key, urllib.parse.unquote(value)))
    for i, (key, value) in enumerate(keys):
        table = table.add_column(i, key, pa.array([value] * table.num_rows, pa.string()))
    return table


class _Work:
    """Where a call writes: the caller's `out` directory, or a temporary one removed after
    reading the tables back."""

    def __init__(self, out: Optional[PathLike]):
        self.tmp = tempfile.mkdtemp(prefix="ipabs-")
        self.keep = out is not None
        self.out = pathlib.Path(out) if out is not None else pathlib.Path(self.tmp) / "out"

    def scenario_file(self, scenarios: Optional[Scenarios], single: bool = False) -> Optional[str]:
        if scenarios is None:
            return None
        if isinstance(scenarios, (str, os.PathLike)):
            s = os.fspath(scenarios)
            if isinstance(scenarios, str) and _looks_like_text(s):
                return self._write("scenarios.toml", s)
            return s
        if isinstance(scenarios, Mapping):
            doc: Mapping[str, Any] = scenarios
            if not set(doc) & _SCENARIO_FILE_KEYS:
                doc = {"scenarios": [doc]}
        elif isinstance(scenarios, (list, tuple)):
            doc = {"scenarios": list(scenarios)}
        else:
            raise TypeError("scenarios: a path, TOML text, a dict or a list of dicts")
        return self._write("scenarios.toml", to_toml(doc))

    def _write(self, name: str, text: str) -> str:
        p = pathlib.Path(self.tmp) / name
        p.write_text(text, encoding="utf-8")
        return str(p)

    def run(self, args: List[str], only: Optional[Iterable[str]] = None, differences_ok: bool = False) -> Tables:
        flag = next((f for f in ("--shard", "--waterfall-shard") if f in args), None)
        shard = args[args.index(flag) + 1] if flag else None
        before = _snapshot(self.out)

        def command() -> Tables:
            try:
                _ipabs.run_command(["ipabs", *args, "--out", str(self.out), "--quiet"])
            except DifferencesError as e:
                if not differences_ok:
                    # The tables go with the exception: without `out=` the files it names are
                    # gone once this call returns (review 34g item M3).
                    e.tables = _read_tables(self.out, only, shard, before)
                    raise
            return _read_tables(self.out, only, shard, before)

        return self._call(command)

    def notice(self, args: List[str]) -> str:
        """The Markdown `ipabs notice` prints for `args`, with the errors `run` gives."""
        return self._call(lambda: _ipabs.notice_text(["ipabs", *args]))

    def _call(self, command: Any) -> Any:
        """`command()`, its input and usage errors told in the call's terms; the temporary
        directory removed after."""
        try:
            return command()
        except InputError as e:
            self._rename_scenarios(e)
            raise
        except UsageError as e:
            # A usage error may name the scenario file too: `notice` and `reconcile` refuse a
            # file of several scenarios (review 44e F11).
            self._rename_scenarios(e)
            _reword(e)
            raise
        finally:
            self.close()

    def _rename_scenarios(self, e: Exception) -> None:
        """An error in the scenarios this call wrote to its temporary directory names them
        `<scenarios>`, as `load()` of TOML text names `<string>`: the file is gone once the
        call returns."""
        written = str(pathlib.Path(self.tmp) / "scenarios.toml")

        def fix(text: Any) -> Any:
            if not isinstance(text, str):
                return text
            if written in text:
                # The scenarios the call was given, not a file the caller wrote (review 45c
                # item 7: two scenarios in a list were "the file").
                text = text.replace(written, "<scenarios>")
                text = text.replace("and the file makes", "and the call's scenarios make")
                text = text.replace("keep one [[scenarios]] entry (or one [grid] point)", "give one scenario")
            return _python_advice(text)

        e.args = tuple(fix(a) for a in e.args)
        if getattr(e, "file", None) == written:
            e.file = "<scenarios>"
        if isinstance(getattr(e, "expected", None), str):
            e.expected = fix(e.expected)
        for x in getattr(e, "errors", None) or []:
            if x.get("file") == written:
                x["file"] = "<scenarios>"
            x["expected"] = fix(x.get("expected"))

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


# A flag and its value's name in the command line parser's words: `'--stress <STRESS>'`.
_FLAG_WITH_VALUE = re.compile(r"'--([a-z][a-z-]*) <[^>]*>'")
# The same unquoted: `--merge <DIR>`.
_BARE_FLAG_WITH_VALUE = re.compile(r"--([a-z][a-z-]*) <[A-Z_/]+>")
# `size`'s targets as the command line takes them: `--target A=ZZZ`.
_TARGET_FLAG = re.compile(r"--target ([^=\s]+)=([^:\s]+)")


def _in_python_terms(message: str) -> str:
    """A usage error of the command line told in the Python call's terms (review 40b F2): a
    flag is the parameter that sets it (`'--stress <STRESS>'` is `stress`, `--target A=ZZZ` is
    `targets={"A": "ZZZ"}`), the parser's pointer to `--help` goes, and the advice to pass
    `--force`, which Python has not, is to remove the directory."""
    message = message.replace("\n\nFor more information, try '--help'.", "")
    # The parser's usage line lists flags the call never passed.
    message = "\n".join(line for line in message.split("\n") if not line.startswith("Usage: ")).rstrip("\n")
    message = _FLAG_WITH_VALUE.sub(lambda m: "`" + m.group(1).replace("-", "_") + "`", message)
    message = _BARE_FLAG_WITH_VALUE.sub(lambda m: "`" + m.group(1).replace("-", "_") + "`", message)
    # `notice` and `reconcile` take one scenario: the command line's `--scenario` is the
    # parameter `scenario` (review 44e F11).
    message = message.replace("by leaving --scenario out", "by leaving `scenario` out")
    # The other flags a call's values go to (review 45c item 7): `--period 99` is `period=99`,
    # `--mc-scenario X` is `mc_scenario="X"`.
    message = re.sub(r"--period (\d+)", r"period=\1", message)
    message = re.sub(r"--mc-scenario (\S+?):", r'mc_scenario="\1":', message)
    message = _TARGET_FLAG.sub(lambda m: f'targets={{"{m.group(1)}": "{m.group(2)}"}}', message)
    message = re.sub(
        r"pass --force to replace (them|it), or choose another --\w+",
        "delete what it names (Python has no parameter for the command line's --force), or choose another out=",
        message,
    )
    return _python_advice(message)


def _python_advice(message: str) -> str:
    """The command line's advice to list a deal's own names (a portfolio's scenario error that
    the deals' names make differ) as Python gives them (review 40c F4: it named the call's
    temporary scenario file)."""
    message = re.sub(
        r"`ipabs check DEAL --scenarios [^`]*` tells one deal's",
        "`ipabs.load(DEAL).obligors` and `.tranches` list one deal's",
        message,
    )
    # A file of another kind given as the deal (review 45c item 7).
    return message.replace(
        "a scenario file goes after --scenarios (run, sweep, breakeven, rate, size, portfolio, "
        "check) or --scenario (reconcile, notice)",
        "a scenario file is the `scenarios=` parameter of a call (`scenario=` of `reconcile` "
        "and `notice`)",
    )


def _reword(e: UsageError) -> None:
    """Puts a usage error of the command line in the Python call's terms (`_in_python_terms`)."""
    e.args = tuple(_in_python_terms(a) if isinstance(a, str) else a for a in e.args)


# The whole-number parameters and their ranges, as the command line takes them: a value
# outside is told in Python's terms before anything runs (review 31b item 10: the command
# line's parser text named `--threads` and printed its usage).
_RANGES = {
    "--threads": ("threads", 1, 256),
    "--paths": ("paths", 1, 10**9),
    "--seed": ("seed", 0, 2**64 - 1),
    "--period": ("period", 1, 2**32 - 1),
}


def _opt(args: List[str], flag: str, value: Any) -> None:
    if value is None:
        return
    if flag in _RANGES:
        name, lo, hi = _RANGES[flag]
        # numpy's integers are `numbers.Integral` too (a seed from a column).
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
            err = UsageError(f"{name}={value!r}: expected a whole number from {lo} to {hi}")
            err.exit_code = 2
            raise err
    args += [flag, str(value)]


def _shard(shard: Any) -> Optional[str]:
    """`(i, n)` or `"i/n"` as the flag's `i/n`; another shape is a `TypeError` that names the
    accepted forms (review 31b item 11)."""
    if shard is None:
        return None
    bad = TypeError(f"shard={shard!r}: expected (i, n) or \"i/n\", e.g. (0, 4) for block 0 of 4")
    if isinstance(shard, str):
        if "/" not in shard:
            raise bad
        shard = shard.split("/", 1)
    try:
        i, n = shard
        # Written as the command line names the files (review 34g item L2: "0/04" ran, and its
        # files, under shards=4, were not found under the text "04": `{}` came back).
        i, n = int(str(i).strip()), int(str(n).strip())
    except (TypeError, ValueError):
        raise bad from None
    if i < 0 or n < 0:
        # The engine's own words; a leading '-' would read as an option on its command line.
        err = UsageError(f"error: `{i}/{n}` is not a shard: expected I/N with 0 <= I < N, e.g. 0/4")
        err.exit_code = 2
        raise err
    return f"{i}/{n}"


class Deal:
    """A validated deal. Every method runs the deal and returns its tables by name."""

    def __init__(self, path: str, source: str, info: Dict[str, Any], tmp: Optional[str]):
        self.path = path
        self.source = source
        self._info = info
        self._tmp = tmp

    def __del__(self) -> None:
        if getattr(self, "_tmp", None):
            shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def name(self) -> str:
        return self._info["name"]

    @property
    def tranches(self) -> List[str]:
        return list(self._info["tranches"])

    @property
    def obligors(self) -> List[str]:
        return list(self._info["obligors"])

    @property
    def payment_dates(self) -> int:
        return self._info["payment_dates"]

    @property
    def warnings(self) -> List[str]:
        return list(self._info["warnings"])

    def __repr__(self) -> str:
        return f"<ipabs.Deal {self.name!r}: {len(self.obligors)} obligors, tranches {self.tranches}>"

    def run(self, scenario: Optional[Scenarios] = None, *, out: Optional[PathLike] = None) -> Tables:
        """`ipabs run`: every table of one run (or one per scenario of a scenario file)."""
        w = _Work(out)
        args = ["run", self.path]
        _opt(args, "--scenario", w.scenario_file(scenario))
        if w.keep:
            args.append("--force")
        return w.run(args)

    def sweep(
        self,
        scenarios: Optional[Scenarios] = None,
        stress: Optional[str] = "standard",
        *,
        stress_on: Optional[str] = None,
        flows: bool = False,
        threads: Optional[int] = None,
        shard: Any = None,
        out: Optional[PathLike] = None,
    ) -> Tables:
        """`ipabs sweep`: the scenarios (and the `stress` suite: standard, concentration, all or
        None, built on the deal's scenario or, `stress_on="scenarios"`, on each of them) in
        parallel. `shard=(i, n)` or `"i/n"` runs block i of n (docs/scale-out.md)."""
        w = _Work(out)
        args = ["sweep", self.path]
        _opt(args, "--scenarios", w.scenario_file(scenarios))
        _opt(args, "--stress", stress)
        _opt(args, "--stress-on", stress_on)
        _opt(args, "--threads", threads)
        _opt(args, "--shard", _shard(shard))
        if flows:
            args.append("--flows")
        if w.keep:
            args.append("--force")
        return w.run(args)

    def breakeven(
        self,
        scenarios: Optional[Scenarios] = None,
        stress: Optional[str] = "standard",
        *,
        stress_on: Optional[str] = None,
        threads: Optional[int] = None,
        shard: Any = None,
        out: Optional[PathLike] = None,
    ) -> Tables:
        """`ipabs breakeven`: each rated tranche's break-even default rate per scenario (and per
        stress of the `stress` suite, built as `stress_on` says, as `sweep`'s)."""
        w = _Work(out)
        args = ["breakeven", self.path]
        _opt(args, "--scenarios", w.scenario_file(scenarios))
        _opt(args, "--stress", stress)
        _opt(args, "--stress-on", stress_on)
        _opt(args, "--threads", threads)
        _opt(args, "--shard", _shard(shard))
        if w.keep:
            args.append("--force")
        return w.run(args)

    def rate(
        self,
        scenarios: Optional[Scenarios] = None,
        *,
        stress: Optional[str] = None,
        stress_on: Optional[str] = None,
        paths: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        shard: Any = None,
        merge: Optional[PathLike] = None,
        waterfall_shard: Any = None,
        outcomes: Optional[PathLike] = None,
        mc_scenario: Optional[str] = None,
        out: Optional[PathLike] = None,
    ) -> Tables:
        """`ipabs rate`: Monte Carlo rating. `mc_scenario` names the scenario the paths run
        through the waterfall under (default: the deal's own). `shard` simulates a block of the paths (its
        `patterns` table); `merge=DIR` adds up the shards written into DIR. With `merge`,
        `waterfall_shard` runs a block of the distinct default patterns through the waterfall
        (its `outcomes` table) and `outcomes=DIR` takes them from the shards written into DIR
        (docs/scale-out.md). `stress="standard"` adds the stress suite to the break-even's
        scenarios, as `--stress` does (since session 34)."""
        w = _Work(out)
        args = ["rate", self.path]
        _opt(args, "--scenarios", w.scenario_file(scenarios))
        _opt(args, "--stress", stress)
        _opt(args, "--stress-on", stress_on)
        _opt(args, "--paths", paths)
        _opt(args, "--seed", seed)
        _opt(args, "--threads", threads)
        _opt(args, "--shard", _shard(shard))
        _opt(args, "--merge", os.fspath(merge) if merge is not None else None)
        _opt(args, "--waterfall-shard", _shard(waterfall_shard))
        _opt(args, "--outcomes", os.fspath(outcomes) if outcomes is not None else None)
        _opt(args, "--mc-scenario", mc_scenario)
        if w.keep:
            args.append("--force")
        return w.run(args)

    def size(
        self,
        targets: Mapping[str, str],
        scenarios: Optional[Scenarios] = None,
        *,
        stress: Optional[str] = None,
        stress_on: Optional[str] = None,
        min_coverage: Union[None, str, decimal.Decimal] = None,
        coverage_basis: Optional[str] = None,
        margin: Union[None, str, decimal.Decimal] = None,
        tdr_at: Optional[str] = None,
        step: Union[None, str, decimal.Decimal, int] = None,
        free_issue_size: bool = False,
        paths: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> Tables:
        """`ipabs size`: `targets` maps tranche → rating (`{"A": "AAA"}`). Returns
        `size_steps` and `sized_deal` (a one-row table holding the sized deal file's text)."""
        if not isinstance(targets, Mapping):
            raise TypeError(f"targets={targets!r}: expected a dict of tranche to rating, e.g. {{\"A\": \"AAA\"}}")
        w = _Work(None)
        args = ["size", self.path]
        for t, r in targets.items():
            args += ["--target", f"{t}={r}"]
        _opt(args, "--scenarios", w.scenario_file(scenarios))
        _opt(args, "--stress", stress)
        _opt(args, "--stress-on", stress_on)
        _opt(args, "--min-coverage", min_coverage)
        _opt(args, "--coverage-basis", coverage_basis)
        _opt(args, "--margin", margin)
        _opt(args, "--tdr-at", tdr_at)
        _opt(args, "--step", step)
        _opt(args, "--paths", paths)
        _opt(args, "--seed", seed)
        _opt(args, "--threads", threads)
        if free_issue_size:
            args.append("--free-issue-size")
        try:
            try:
                _ipabs.run_command(["ipabs", *args, "--out", str(w.out), "--quiet"])
            except UsageError as e:
                _reword(e)
                raise
            tables = _read_tables(w.out)
            sized = sorted(w.out.glob("*.sized.toml"))
            if sized:
                tables["sized_deal"] = pa.table({"file": [sized[0].name], "text": [sized[0].read_text(encoding="utf-8")]})
            return tables
        finally:
            w.close()

    def reconcile(
        self,
        actuals: PathLike,
        scenario: Optional[Scenarios] = None,
        *,
        raise_on_differences: bool = False,
        out: Optional[PathLike] = None,
    ) -> Tables:
        """`ipabs reconcile`: the in-life run on an actuals file. Reported lines that differ
        from the waterfall are flagged in the `reconciliation` table; with
        `raise_on_differences=True` they raise `DifferencesError` (as exit code 4 does), whose
        `tables` attribute holds the call's tables."""
        w = _Work(out)
        args = ["reconcile", self.path, "--actuals", os.fspath(actuals)]
        _opt(args, "--scenario", w.scenario_file(scenario))
        if w.keep:
            args.append("--force")
        return w.run(args, differences_ok=not raise_on_differences)

    def notice(
        self,
        period: int,
        scenario: Optional[Scenarios] = None,
        *,
        actuals: Optional[PathLike] = None,
    ) -> str:
        """`ipabs notice`: the payment notice (收益分配报告) of payment date `period` (1 = the
        first), every tranche's figures per 100 yuan of face, as the Markdown text the command
        prints; with `actuals`, the notice of the in-life run as `reconcile` runs it."""
        args = ["notice", self.path]
        _opt(args, "--period", period)
        w = _Work(None)
        _opt(args, "--scenario", w.scenario_file(scenario))
        _opt(args, "--actuals", os.fspath(actuals) if actuals is not None else None)
        return w.notice(args)


def load(path_or_toml_text: Union[PathLike, str], id: Optional[str] = None) -> Deal:
    """A deal from a file path or from TOML text. A bad deal raises `InputError` with
    `file`, `line`, `column`, `key_path`, `problem` and `expected`. `id` names a deal loaded
    from text in `portfolio` (its file stem there; default `deal`): letters, digits, `_`, `-`
    and `.`."""
    s = os.fspath(path_or_toml_text)
    if isinstance(path_or_toml_text, str) and _looks_like_text(s):
        stem = "deal" if id is None else str(id)
        if not stem or not all(c.isalnum() or c in "_-." for c in stem) or stem.startswith("."):
            raise ValueError(f"id={id!r}: expected letters, digits, '_', '-' or '.', e.g. id=\"nanshan_5\"")
        info = _check_deal("<string>", s)
        tmp = tempfile.mkdtemp(prefix="ipabs-deal-")
        path = os.path.join(tmp, f"{stem}.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(s)
        return Deal(path, s, info, tmp)
    try:
        with open(s, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as e:
        err = UsageError(f"error: cannot read {s}: {e}")
        err.exit_code = 2
        raise err from e
    except UnicodeDecodeError:
        # Not UTF-8 (a GBK file): the engine's own reading locates the byte and says how to
        # convert the file (review 31b item 4: a bare UnicodeDecodeError).
        _ipabs.run_command(["ipabs", "check", s])
        raise InputError(f"error: {s}: the file is not valid UTF-8; expected a file saved as UTF-8") from None
    info = _check_deal(s, text)
    return Deal(s, text, info, None)


def _check_deal(name: str, text: str) -> Any:
    """The engine's check of a deal's text, its errors' advice in the call's terms (a scenario
    file given as the deal: review 45c item 7)."""
    try:
        return _ipabs.check_deal(name, text)
    except InputError as e:
        e.args = tuple(_python_advice(a) if isinstance(a, str) else a for a in e.args)
        if isinstance(getattr(e, "expected", None), str):
            e.expected = _python_advice(e.expected)
        for x in getattr(e, "errors", None) or []:
            if isinstance(x.get("expected"), str):
                x["expected"] = _python_advice(x["expected"])
        raise


def portfolio(
    deals: Union[PathLike, Sequence[Union[PathLike, Deal]]],
    scenarios: Optional[Scenarios] = None,
    stress: Optional[str] = None,
    *,
    stress_on: Optional[str] = None,
    threads: Optional[int] = None,
    shard: Any = None,
    out: Optional[PathLike] = None,
) -> Tables:
    """`ipabs portfolio`: many deals under the same scenarios. `deals` are paths (files,
    directories, cohort files) or `Deal`s. Returns `deals`, `warnings` and every run table (the
    deal/scenario partitions concatenated in path order). With `shard`, only the shard's part
    of `deals`; its run tables are in `out` (TABLE/deal=ID/scenario=NAME/part-0.parquet)."""
    w = _Work(out)
    items = [deals] if isinstance(deals, (str, os.PathLike, Deal)) else list(deals)
    # Deals loaded from text are named by their `id` (review 31b item 8: every one was `deal`,
    # and the error asked to rename temporary files the caller never saw).
    texts = [d for d in items if isinstance(d, Deal) and d._tmp]
    ids = [pathlib.Path(d.path).stem for d in texts]
    dup = next((i for i in ids if ids.count(i) > 1), None)
    if dup is not None:
        err = UsageError(
            f"error: {ids.count(dup)} deals loaded from TOML text have the id `{dup}`; give each "
            f'its own: ipabs.load(text, id="...")'
        )
        err.exit_code = 2
        raise err
    args = ["portfolio", *[d.path if isinstance(d, Deal) else os.fspath(d) for d in items]]
    _opt(args, "--scenarios", w.scenario_file(scenarios))
    _opt(args, "--stress", stress)
    _opt(args, "--stress-on", stress_on)
    _opt(args, "--threads", threads)
    _opt(args, "--shard", _shard(shard))
    if w.keep and shard is None:
        args.append("--force")
    return w.run(args)


def schema(kind: str = "deal") -> Dict[str, Any]:
    """The JSON Schema of `deal`, `scenarios` or `actuals` files (docs/editor.md)."""
    try:
        return json.loads(_ipabs.schema(kind))
    except UsageError as e:
        # Every error carries its exit code (review 34g item L4: this one had none).
        if getattr(e, "exit_code", None) is None:
            e.exit_code = 2
        raise
