"""Exact money for the oracle: integer fen and fractions.Fraction, never float.

docs/conventions.md "Money and rounding", "Exact value, then one rounding": every amount is the
exact rational value of its formula rounded once to the fen by `[deal] rounding`; ratios are
reported rounded half away from zero to 6 places; "Pro rata: [deal] pro_rata_rounding".
"""
from decimal import Decimal, localcontext
from fractions import Fraction as F
from functools import lru_cache


class NotCovered(Exception):
    """A deal or scenario uses a feature this oracle does not implement (see README.md)."""


class OracleError(Exception):
    """One of the oracle's own identities failed: a bug in the oracle, not a difference."""


def exact(value):
    """A TOML number or string (money, rate) as an exact Fraction (tomllib reads floats as Decimal)."""
    if isinstance(value, F):
        return value
    if isinstance(value, bool):
        raise TypeError(value)
    return F(Decimal(str(value)))


def round_int(x, rule="half_up"):
    """Round a Fraction to an integer: `half_up` is half away from zero, `truncate` toward zero
    (docs/conventions.md "The rounding rule: [deal] rounding")."""
    x = F(x)
    sign = -1 if x < 0 else 1
    q, r = divmod(abs(x.numerator), x.denominator)
    if rule == "half_up":
        if 2 * r >= x.denominator:
            q += 1
    elif rule != "truncate":
        raise NotCovered(f"rounding rule {rule!r}")
    return sign * q


def fen(yuan, rule="half_up"):
    """An exact amount in yuan, rounded once to whole fen (an int)."""
    return round_int(F(yuan) * 100, rule)


def to_fen(value):
    """A money input (already whole fen, docs/conventions.md "Money and rounding") as int fen."""
    x = exact(value) * 100
    if x.denominator != 1:
        raise OracleError(f"money input {value!r} is not a whole number of fen")
    return x.numerator


def yuan(fen_amount):
    """int fen -> the exact Fraction in yuan, to multiply by a rate."""
    return F(fen_amount, 100)


def places(x, n, rule="half_up"):
    """The mantissa of x rounded once to n decimal places."""
    return round_int(F(x) * 10 ** n, rule)


def dec(mantissa, scale):
    """A mantissa at `scale` places as the Decimal pyarrow reads (decimal128(18, scale))."""
    return None if mantissa is None else Decimal(mantissa).scaleb(-scale)


def money(fen_amount):
    return dec(fen_amount, 2)


def ratio6(x):
    """docs/conventions.md "Money and rounding": ratios reported half away from zero, 6 places."""
    return None if x is None else dec(places(x, 6), 6)


def pro_rata(cash, dues, rule="list_order"):
    """Share `cash` fen over `dues` fen (docs/conventions.md "Pro rata: [deal]
    pro_rata_rounding"): item i owed a_i of A has the exact share cash × a_i / A, made whole fen
    by the rule, handing out exactly the cash and no item more than it is owed.
    `list_order`: every share rounded down, the fen left over one at a time in list order to the
    items not yet paid in full. `largest_remainder`: rounded down, the fen left over one each to
    the largest remainders, ties in list order. `half_up_last_takes_rest`: every share but the
    last rounded half up, the last takes the rest; a rest below 0 or above what the last is owed
    moves whole fen from or to the earlier items, the latest first (as many as it can give or
    take before the next; the docs' example never needs more than one fen)."""
    total = sum(dues)
    if cash >= total:
        return list(dues)
    if rule == "list_order":
        shares = [cash * d // total for d in dues]
        left = cash - sum(shares)
        i = 0
        while left > 0:
            if shares[i] < dues[i]:
                shares[i] += 1
                left -= 1
            i = (i + 1) % len(dues)
        return shares
    if rule == "largest_remainder":
        shares = [cash * d // total for d in dues]
        rems = [cash * d % total for d in dues]
        left = cash - sum(shares)
        for i in sorted(range(len(dues)), key=lambda i: (-rems[i], i))[:left]:
            shares[i] += 1
        return shares
    if rule == "half_up_last_takes_rest":
        shares = [round_int(F(cash * d, total)) for d in dues[:-1]]
        rest = cash - sum(shares)
        i = len(shares) - 1
        while rest < 0 and i >= 0:
            take = min(-rest, shares[i])
            shares[i] -= take
            rest += take
            i -= 1
        i = len(shares) - 1
        while rest > dues[-1] and i >= 0:
            give = min(rest - dues[-1], dues[i] - shares[i])
            shares[i] += give
            rest -= give
            i -= 1
        return shares + [rest]
    raise NotCovered(f"pro_rata_rounding = {rule!r}")


def round12(x):
    """The surviving factor, 12 places half away from zero (docs/conventions.md "The pool" 5)."""
    return F(places(x, 12), 10 ** 12)


@lru_cache(maxsize=None)
def period_fraction(rate, days):
    """round10(1 − (1 − rate)^(days/365)), half away from zero, decided exactly.

    docs/conventions.md "Money and rounding", floating point item 1, and "The pool" steps 1 and
    5. A Decimal estimate gives the candidate; the side of each half-unit boundary m is then
    settled in integers: f ≥ m  ⇔  (P/Q)^days ≤ (1 − m)^365 with 1 − rate = P/Q.
    """
    rate = F(rate)
    if rate == 0:
        return F(0)
    base = 1 - rate
    p, q = base.numerator, base.denominator

    def f_at_least(m):
        one_minus = 1 - m
        return p ** days * one_minus.denominator ** 365 <= one_minus.numerator ** 365 * q ** days

    with localcontext() as ctx:
        ctx.prec = 50
        b = Decimal(p) / Decimal(q)
        est = (1 - (b.ln() * days / 365).exp()) * Decimal(10) ** 10
    n = int(est.to_integral_value())
    # the result n satisfies (n − ½)·10⁻¹⁰ ≤ f < (n + ½)·10⁻¹⁰ (a tie rounds up: away from zero)
    while not f_at_least(F(2 * n - 1, 2 * 10 ** 10)):
        n -= 1
    while f_at_least(F(2 * n + 1, 2 * 10 ** 10)):
        n += 1
    return F(n, 10 ** 10)
