"""The command line the oracles share (oracle.py, ../oracle_reconcile, ../oracle_breakeven):
`--ipabs BIN` (required), `--keep DIR`, `--case TEXT` (repeatable), and each oracle's own
options; a usage error is exit code 2."""
import argparse
import os
import sys
from pathlib import Path


def parse(argv, doc, cases, extra=None):
    """Parses `argv` for an oracle whose module docstring is `doc`, with `extra(ap)` adding its
    own options. Returns (args, the ipabs binary, the cases whose name contains a `--case`
    text, or all), or an exit code: 2 on a usage error, 0 after `--help`."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--ipabs", required=True, help="the ipabs binary to check")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep each case's ipabs output (and its inputs) in DIR")
    ap.add_argument("--case", metavar="TEXT", action="append",
                    help="only the cases whose name contains TEXT (repeatable)")
    if extra:
        extra(ap)
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    ipabs = Path(args.ipabs).resolve()
    if not ipabs.is_file() or not os.access(ipabs, os.X_OK):
        print(f"error: --ipabs {args.ipabs}: not an executable file", file=sys.stderr)
        return 2
    chosen = [c for c in cases if not args.case or any(t in c.name for t in args.case)]
    if not chosen:
        print(f"error: no case matches {args.case}", file=sys.stderr)
        return 2
    return args, ipabs, chosen


def case_files(case, work, repo):
    """A case's directory under `work` (named after the case) and the deal it runs: its variant
    written there, or the example deal of `repo` itself."""
    case_dir = work / case.name.replace("/", "__").replace("+", "_")
    case_dir.mkdir(parents=True, exist_ok=True)
    if not case.variants:
        return case_dir, repo / "deals" / case.deal
    deal_path = case_dir / f"deal_{case.deal}"
    deal_path.write_text(case.deal_text(), encoding="utf-8")
    return case_dir, deal_path
