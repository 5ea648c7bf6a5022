#!/usr/bin/env python3
"""Times `ipabs sweep` end to end, several builds side by side (docs/performance.md).

    python3 scripts/sweep_timing.py [--rounds 5] [--runs 10] [--scenarios N] BIN [BIN ...]

Writes the synthetic 15 x 12 deal (`ipabs-bench write 15 12 3`, so an `ipabs-bench` must be on
PATH or given with --bench) and a scenario file: a base scenario `base0` with a 6-month
recovery lag and a 10 x 10 x 10 grid of CDR (0-18%), recovery rate (0-90%) and delay (0-45%,
6 months) on it: 1,001 scenarios. With `--scenarios 1`, only `base0`: the fixed cost of a
sweep (start-up, loading, writing the four files).

Each round runs every binary `--runs` times in turn (`sweep --threads 1 -q --out DIR`, no
`--flows`), timing the whole process from the outside; the binaries alternate so that a slow
spell of a shared machine falls on all of them. Prints the fastest and the median run of each, and its median number of minor page faults.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

GRID = """
[grid]
name = "g"
base = "base0"
cdr = [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18]
recovery_rate = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
delay = [{ fraction = 0.0, months = 0 }, { fraction = 0.05, months = 6 },
  { fraction = 0.1, months = 6 }, { fraction = 0.15, months = 6 },
  { fraction = 0.2, months = 6 }, { fraction = 0.25, months = 6 },
  { fraction = 0.3, months = 6 }, { fraction = 0.35, months = 6 },
  { fraction = 0.4, months = 6 }, { fraction = 0.45, months = 6 }]
"""


def minor_faults() -> int:
    """Minor page faults of every finished child so far: the difference around one run is that
    run's (each first touch of a page costs about 1.7 us on the bench VM, docs/performance.md,
    session 16)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bins", nargs="+", help="ipabs binaries to compare")
    ap.add_argument("--bench", default="ipabs-bench", help="the ipabs-bench that writes the deal")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--scenarios", type=int, choices=[1, 1001], default=1001)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="ipabs-sweep-timing-")
    deal = os.path.join(work, "syn15.toml")
    subprocess.run([args.bench, "write", "15", "12", "3", deal], check=True)
    scen = os.path.join(work, "scenarios.toml")
    with open(scen, "w", encoding="utf-8") as f:
        f.write('[[scenarios]]\nname = "base0"\nrecovery_lag_months = 6\n')
        if args.scenarios > 1:
            f.write(GRID)

    times = {b: [] for b in args.bins}
    faults = {b: [] for b in args.bins}
    for _ in range(args.rounds):
        for b in args.bins:
            out = os.path.join(work, "out")
            for _ in range(args.runs):
                shutil.rmtree(out, ignore_errors=True)
                faults_before = minor_faults()
                start = time.perf_counter()
                r = subprocess.run(
                    [b, "sweep", "--scenarios", scen, "--threads", "1", "-q", "--out", out, deal],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                times[b].append(time.perf_counter() - start)
                faults[b].append(minor_faults() - faults_before)
                if r.returncode != 0:
                    print(f"{b}: exit code {r.returncode}", file=sys.stderr)
                    return 1
    for b in args.bins:
        v = sorted(times[b])
        f = statistics.median(faults[b])
        print(
            f"{b:40} fastest {v[0]:.4f} s  median {statistics.median(v):.4f} s  "
            f"({len(v)} runs; median {f:.0f} page faults)"
        )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
