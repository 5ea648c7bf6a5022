"""Validates the repository's input files against `ipabs schema` (JSON Schema 2020-12).

Usage: check_schema.py IPABS_BINARY REPO_ROOT

* Every deal file (a top-level `[deal]`), scenario file (top-level keys among `scenarios`,
  `grid`, `rating`, `pricing`, `rating_model`) and actuals file (`[actuals]` or `[[periods]]`)
  tracked outside tests/bad_* must validate against its schema.
* Every bad-input case of tests/bad_deals and tests/bad_actuals whose `.expected` says
  `unknown key` must be refused by the schema, with an `additionalProperties` error at the
  key path the Rust validator names (an independent check of both).

The TOML is read with the standard library's `tomllib`; native TOML dates become ISO strings
first, as taplo presents them to a schema. Prints `N passed, 0 failed`.
"""
import datetime
import json
import pathlib
import subprocess
import sys
import tomllib

import jsonschema

SCENARIO_KEYS = {"scenarios", "grid", "rating", "pricing", "rating_model"}


def plain(v):
    """TOML values as JSON sees them: dates and date-times as ISO strings."""
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
        return v.isoformat()
    return v


def kind_of(doc):
    if "deal" in doc:
        return "deal"
    if "actuals" in doc or "periods" in doc:
        return "actuals"
    if doc and set(doc) <= SCENARIO_KEYS:
        return "scenarios"
    return None  # a cohort file, Cargo.toml, …


def key_path(error):
    """`tranches[1].balance` from a jsonschema error path and the unknown key."""
    out = ""
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def flat(errors):
    """Every error with the errors inside it (an optional table is `anyOf [table, null]`)."""
    for e in errors:
        yield e
        yield from flat(e.context)


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
    validators = {}
    passed = failed = 0
    for kind in ("deal", "scenarios", "actuals"):
        text = subprocess.run([binary, "schema", kind], check=True, capture_output=True, text=True).stdout
        schema = json.loads(text)
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[kind] = jsonschema.Draft202012Validator(schema)
        # Every key is documented (its `///` comment in src/schema.rs).
        for owner, node in [("(root)", schema), *schema.get("$defs", {}).items()]:
            for key, prop in node.get("properties", {}).items():
                if not prop.get("description"):
                    failed += 1
                    print(f"FAIL {kind} schema: {owner}.{key} has no description")
    # NUL-separated: a path with non-ASCII characters is not quoted (the portfolio oracle's
    # deal stems).
    files = [f for f in subprocess.run(["git", "ls-files", "-z", "*.toml"], cwd=root, check=True,
                                       capture_output=True, text=True).stdout.split("\0") if f]
    seen = {"deal": 0, "scenarios": 0, "actuals": 0}
    for name in files:
        if name.startswith("tests/bad_"):
            continue
        doc = tomllib.loads((root / name).read_text(encoding="utf-8"))
        kind = kind_of(doc)
        if kind is None:
            continue
        seen[kind] += 1
        errors = list(validators[kind].iter_errors(plain(doc)))
        if errors:
            failed += 1
            print(f"FAIL {name} ({kind}): {errors[0].message} at {key_path(errors[0])}")
        else:
            passed += 1
    # Unknown keys in the bad-input cases: refused, at the validator's key path.
    unknown_cases = 0
    for expected in sorted((root / "tests").glob("bad_*/*.expected")):
        exp = tomllib.loads(expected.read_text(encoding="utf-8"))
        if not exp.get("message", "").startswith("unknown key"):
            continue
        case = expected.with_suffix(".toml")
        try:
            doc = tomllib.loads(case.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, FileNotFoundError):
            continue
        unknown_cases += 1
        kind = "actuals" if expected.parent.name == "bad_actuals" else ("scenarios" if "deal" in exp else "deal")
        errors = [e for e in flat(validators[kind].iter_errors(plain(doc))) if e.validator == "additionalProperties"]
        unknown = exp["key"].rsplit(".", 1)[-1]
        parent = exp["key"][: -len(unknown)].rstrip(".")
        hit = [e for e in errors if key_path(e) == parent and f"'{unknown}'" in e.message]
        if hit:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {case.name}: the schema did not refuse `{exp['key']}` ({[e.message for e in errors]})")
    print(f"files checked: {seen}")
    # A check that saw nothing proves nothing (review 27a item 5): `git ls-files` lists no file
    # outside a git checkout, and the bad-input corpus has unknown-key cases of every kind.
    for kind, n in seen.items():
        if n == 0:
            failed += 1
            print(f"FAIL no {kind} file was checked (is {root} a git checkout?)")
    if unknown_cases == 0:
        failed += 1
        print("FAIL no unknown-key case of tests/bad_deals or tests/bad_actuals was checked")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
