"""Writes tests/reference/pow_glibc.txt: x^y as glibc's `pow` computes it, for the test of
src/pow.rs that runs on every platform (`powers_match_the_glibc_reference_table`).

Run it on x86-64 Linux with glibc 2.28 or later on a CPU with FMA and AVX2, where CPython's
`math.pow` calls glibc's `__ieee754_pow_fma`, the routine src/pow.rs ports (docs/analytics.md,
"Powers"). Every pair is on the port's main path (the port's own bounds: a positive normal
base, |y| in [2^-65, 2^63), |y · log x| in [2^-54, 512); the filter below keeps a margin inside
them, |y · log x| in [2^-50, 500)), where the port does not call the platform's `pow`, so the
table holds on a machine whose own `pow` differs.

    python3 tests/reference/pow_glibc.py > tests/reference/pow_glibc.txt

Each line: the bits of x, y and x^y as 16 hex digits.
"""

import math
import platform
import random
import struct


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def on_main_path(x, y):
    if not (x > 0 and math.isfinite(x) and x >= 2.2250738585072014e-308):
        return False
    if not (2.0**-65 <= abs(y) < 2.0**63):
        return False
    p = abs(y * math.log(x))
    return 2.0**-50 <= p < 500.0


def main():
    assert platform.system() == "Linux" and platform.machine() == "x86_64"
    cpu = open("/proc/cpuinfo").read()
    assert " fma " in cpu and " avx2 " in cpu, "needs glibc's FMA variant of pow"
    rng = random.Random(20261205)
    pairs = []

    def add(n, draw):
        got = 0
        while got < n:
            x, y = draw()
            if on_main_path(x, y):
                pairs.append((x, y))
                got += 1

    # Discount factors as the yield solver draws them: 1 + y for y in [-0.99, 10], to minus a
    # time in years (ACT/365F) up to 40 years, or plus.
    def discount():
        y = rng.uniform(-0.99, 10.0) if rng.random() < 0.5 else rng.uniform(-0.05, 0.3)
        t = rng.randint(1, 14610) / 365.0
        return 1.0 + y, (t if rng.random() < 0.125 else -t)

    # Period default and prepayment fractions: (1 - rate)^(days / 365).
    def fraction():
        return 1.0 - rng.uniform(1e-6, 0.9999), rng.randint(1, 400) / 365.0

    # x near 1, where the log table's middle entries are used.
    def near_one():
        x = 1.0 + rng.uniform(-1e-3, 1e-3)
        y = rng.uniform(-1e5, 1e5) * 10.0 ** rng.randint(-12, 0)
        return x, y

    # Wide bases and exponents, up to the edges of the exp range.
    def wide():
        return rng.uniform(1e-300, 4.0) * 10.0 ** rng.randint(-200, 200), rng.uniform(-1100.0, 1100.0) / 10.0 ** rng.randint(0, 3)

    add(800, discount)
    add(500, fraction)
    add(400, near_one)
    add(400, wide)
    for x, y in pairs:
        print(f"{bits(x):016x} {bits(y):016x} {bits(math.pow(x, y)):016x}")


if __name__ == "__main__":
    main()
