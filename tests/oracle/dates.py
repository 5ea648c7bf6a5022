"""Calendars, trading days, month arithmetic, day counts and a deal's periods.

docs/calendar.md "Business days", "Schedules", "The China calendar data", "Trading days",
"Payment days"; docs/deal-format.md "[deal]" ("Payment dates", "Periods");
docs/conventions.md "Dates and periods".
"""
import calendar as _pycal
import datetime as dt
from fractions import Fraction as F

from cases import REPO
from money import NotCovered

CN_DATA = REPO / "data" / "calendars" / "cn.txt"
ONE_DAY = dt.timedelta(days=1)
MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}


def month_length(y, m):
    return _pycal.monthrange(y, m)[1]


def is_month_end(d):
    return d.day == month_length(d.year, d.month)


def add_months(d, n, keep_month_end=False):
    """docs/calendar.md "Schedules", add_months(d, n, keep_month_end): the day of month kept,
    clamped to the target month's length; a month end kept only with keep_month_end."""
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    m += 1
    if keep_month_end and is_month_end(d):
        return dt.date(y, m, month_length(y, m))
    return dt.date(y, m, min(d.day, month_length(y, m)))


class Calendar:
    """docs/calendar.md "Business days": a holiday > a listed working day > the weekend;
    "Trading days": a business day, Monday to Friday, not a listed exchange closure."""

    def __init__(self, name):
        self.holidays, self.workdays, self.closed = set(), set(), set()
        if name == "CN":
            kinds = {"holiday": self.holidays, "workday": self.workdays, "closed": self.closed}
            for line in CN_DATA.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                day, kind = line.split()[:2]
                kinds[kind].add(dt.date.fromisoformat(day))
        elif name != "weekends":
            raise NotCovered(f"calendar {name!r}")

    def is_business(self, d):
        if d in self.holidays:
            return False
        return d in self.workdays or d.weekday() < 5

    def is_trading(self, d):
        return self.is_business(d) and d.weekday() < 5 and d not in self.closed


def adjust(d, convention, is_good):
    """docs/calendar.md "Conventions (Calendar::adjust)"; `is_good` is the day predicate
    (business days, or trading days with payment_days = "trading")."""
    if convention == "unadjusted" or is_good(d):
        return d
    if convention in ("following", "modified_following"):
        x = d
        while not is_good(x):
            x += ONE_DAY
        if convention == "following" or x.month == d.month:
            return x
        convention = "preceding"
    if convention == "preceding":
        x = d
        while not is_good(x):
            x -= ONE_DAY
        return x
    raise NotCovered(f"business_day {convention!r}")


def add_days(d, n, is_good):
    """docs/calendar.md "add_business_days(d, n)" (and add_trading_days): step one calendar day
    at a time, counting the days `is_good` accepts, until |n| have been counted."""
    step = ONE_DAY if n > 0 else -ONE_DAY
    counted = 0
    while counted < abs(n):
        d += step
        if is_good(d):
            counted += 1
    return d


def year_fraction(start, end, day_count):
    """docs/calendar.md "Day counts": an exact ratio days / basis."""
    if day_count.upper() == "ACT/365F":
        return F((end - start).days, 365)
    raise NotCovered(f"day_count {day_count!r}")


class Periods:
    """The payment dates and the collection and accrual periods of a deal.

    docs/deal-format.md "[deal]", "Payment dates" and "Periods"; docs/conventions.md "Dates and
    periods"; docs/calendar.md "Payment days ([deal] payment_days)".
    """

    def __init__(self, deal):
        d = deal["deal"]
        for key in ("extra_holidays", "extra_working_days"):
            if d.get(key):
                raise NotCovered(f"[deal] {key}")
        if d.get("collection_end", "previous_month_end") != "previous_month_end":
            raise NotCovered("[deal] collection_end")
        self.calendar = Calendar(d.get("calendar", "CN"))
        self.day_count = d.get("day_count", "ACT/365F")
        trading = d.get("payment_days", "business") == "trading"
        # payment_days = "trading": dates adjusted, and a business-day lag counted, on trading days
        self.pay_day = self.calendar.is_trading if trading else self.calendar.is_business
        # review 43b: explicit `payment_dates`, the written dates the unadjusted ones
        # (docs/deal-format.md "Payment dates")
        self.scheduled = list(d["payment_dates"]) if "payment_dates" in d else []
        k = 0
        while "payment_dates" not in d:
            first, months = d["first_payment_date"], MONTHS[d["frequency"]]
            u = add_months(first, k * months, is_month_end(first))
            if u > d["legal_maturity"]:
                break
            self.scheduled.append(u)
            k += 1
        convention = d.get("business_day", "following")
        self.pay = [adjust(u, convention, self.pay_day) for u in self.scheduled]
        if "collection_end" in d:
            # review 43b: docs/deal-format.md "Periods": the last day of the month before the
            # month of the unadjusted date
            self.cend = [u.replace(day=1) - ONE_DAY for u in self.scheduled]
        elif "collection_ends" in d:
            # review 43b: the k-th listed date (计算日)
            self.cend = list(d["collection_ends"])
        elif "collection_lag_business_days" in d:
            lag = int(d["collection_lag_business_days"])
            self.cend = [add_days(p, -lag, self.pay_day) if lag else p for p in self.pay]
        else:
            lag = int(d.get("collection_lag_days", 0))
            self.cend = [p - dt.timedelta(days=lag) for p in self.pay]
        self.cutoff = d["cutoff_date"]
        self.closing = d["closing_date"]
        self.cstart = [self.cutoff + ONE_DAY] + [e + ONE_DAY for e in self.cend[:-1]]
        # review 43b: docs/calendar.md "Accrual dates": with accrual_dates = "unadjusted" each
        # accrual period runs between the scheduled dates, from the closing date for the first
        accrual = self.scheduled if d.get("accrual_dates", "adjusted") == "unadjusted" else self.pay
        self.accrual_start = [self.closing] + accrual[:-1]
        self.accrual_end = list(accrual)
        self.n = len(self.pay)

    def period_of(self, day):
        """The 0-based collection period containing `day`; a day before the first counts as its
        first day (docs/conventions.md "The pool" 3); None after the last (outside the deal)."""
        if day < self.cstart[0]:
            return 0
        for k in range(self.n):
            if day <= self.cend[k]:
                return k
        return None

    def yf(self, k):
        """The year fraction of payment date k's accrual period."""
        return year_fraction(self.accrual_start[k], self.accrual_end[k], self.day_count)

    def record_date(self, k, final):
        """docs/auditing.md "Payment notices", record date: 1 trading day before the payment
        date, 3 before a final payment, on the deal's calendar."""
        return add_days(self.pay[k], -(3 if final else 1), self.calendar.is_trading)
