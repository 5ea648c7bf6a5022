"""The actuals file, read into integer fen (docs/auditing.md "The actuals file").

Only what the oracle needs to reconcile a valid file: the validation errors and the load-time
warnings (`actuals_pool`, `actuals_tranche`, `actuals_arrears`) are not recomputed (README.md).
"""
import tomllib
from decimal import Decimal

from money import NotCovered, exact, to_fen

POOL_KEYS = ("principal", "interest", "prepayments", "defaults", "recoveries")


def amount(value):
    """docs/auditing.md "The actuals file": yuan, whole fen, as a number or a string."""
    return to_fen(exact(value))


class Period:
    def __init__(self, raw, obligor_names):
        self.period = int(raw["period"])
        self.payment_date = raw["payment_date"]
        self.pool = None
        if "pool" in raw:
            self.pool = {k: amount(raw["pool"].get(k, 0)) for k in POOL_KEYS}
            self.pool_balance_end = (amount(raw["pool"]["balance_end"])
                                     if "balance_end" in raw["pool"] else None)
        self.obligors = None
        if raw.get("obligors"):
            self.obligors = {}
            for o in raw["obligors"]:
                if o["name"] not in obligor_names:
                    raise ValueError(f"unknown obligor {o['name']}")
                row = {k: amount(o.get(k, 0)) for k in POOL_KEYS}
                row["balance_end"] = amount(o["balance_end"]) if "balance_end" in o else None
                self.obligors[o["name"]] = row
        if self.pool is None and self.obligors is None:
            raise ValueError(f"period {self.period}: no collections")
        # the lines compared (docs/auditing.md: a line the file leaves out is not compared)
        self.taxes = {n: amount(v) for n, v in raw.get("taxes", {}).items()}
        self.fees = {n: amount(v) for n, v in raw.get("fees", {}).items()}
        self.supports = {n: amount(v) for n, v in raw.get("supports", {}).items()}
        for key in ("support_repaid", "support_interest"):
            if raw.get(key):
                raise NotCovered(f"actuals {key}")
        self.reserve_draws = amount(raw["reserve_draws"]) if "reserve_draws" in raw else None
        self.tranches = {n: {k: amount(v) for k, v in t.items()}
                         for n, t in raw.get("tranches", {}).items()}
        self.accounts = {n: amount(v) for n, v in raw.get("accounts", {}).items()}
        self.triggers = list(raw["triggers"]) if "triggers" in raw else None


def load(path, deal):
    with open(path, "rb") as fh:
        raw = tomllib.load(fh, parse_float=Decimal)
    names = {o["name"] for o in deal["obligors"]}
    periods = [Period(p, names) for p in raw.get("periods", [])]
    for i, p in enumerate(periods):
        if p.period != i + 1:
            raise ValueError("periods must run from 1 without gaps")
    return periods
