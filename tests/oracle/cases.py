"""The cases the oracle checks: a deal of deals/ (with a variant's textual edits) and a scenario
file of tests/oracle/scenarios/ (one [[scenarios]] entry each), or the deal's own [scenario]."""
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"

NOTICES_PER_UNIT = '''
[notices]
face = 100
decimals = 4
rounding = "truncate"
per_unit = true
'''

# Variants of an example deal, as textual edits of its file: (old, new) replaces the one
# occurrence of `old`; (None, text) appends `text`.
VARIANTS = {
    # [notices] per_unit = true: the waterfall pays the figures per 100 (docs/auditing.md)
    "per_unit": [(None, NOTICES_PER_UNIT)],
    # the clean-up call exercisable by date instead of by pool factor
    "call_on_or_after": [("pool_factor_below = 0.10\n", "on_or_after = 2020-06-30\n")],
    # a capped guarantee, short on the last date (a fen-odd cap)
    "capped_guarantee": [('covers = ["senior_interest", "senior_principal"]\n',
                          'covers = ["senior_interest", "senior_principal"]\ncap_total = "20000000.55"\n')],
}


@dataclass(frozen=True)
class Case:
    name: str
    deal: str                 # a file of deals/
    scenario: str = None      # a file of tests/oracle/scenarios/, or the deal's [scenario]
    variants: tuple = ()
    ledger: bool = True       # compare ledger.parquet too

    def deal_text(self):
        text = (REPO / "deals" / self.deal).read_text(encoding="utf-8")
        for v in self.variants:
            for old, new in VARIANTS[v]:
                if old is None:
                    text += new
                else:
                    if text.count(old) != 1:
                        raise ValueError(f"variant {v}: {old!r} occurs {text.count(old)} times in {self.deal}")
                    text = text.replace(old, new)
        return text

    def scenario_path(self):
        return None if self.scenario is None else SCENARIOS / self.scenario


NANSHAN = "nanshan_gaoxintou_5_2022.toml"
GDD = "gdd_patent_licence_2019.toml"
WENKE = "wenke_leasing_1_2018.toml"
ACCOUNTS = "wenke_leasing_1_accounts_2018.toml"


def _cases():
    out = []
    # nanshan: generated loans, a business-day collection lag, a bullet senior, the asset
    # guarantee and the undertaking
    out.append(Case("nanshan/base", NANSHAN))
    for s in ("two_defaults", "guarantee_off", "no_support", "named_boundaries", "cdr_cpr",
              "curve_delay", "guarantor_fails"):
        out.append(Case(f"nanshan/{s}", NANSHAN, f"nanshan_{s}.toml"))
    # gdd: licence schedules, a scheduled senior, a subordinated period return, a reserve
    out.append(Case("gdd/base", GDD))
    for s in ("two_defaults", "four_defaults_no_support", "mass_default_no_support",
              "mass_default_support", "cdr_curve_named", "cdr_curve_timing", "cdr_alone", "curve_alone",
              "pre_cutoff_default", "total_default_no_support", "total_default_tiny_recovery",
              "eod_first", "delay_curve"):
        out.append(Case(f"gdd/{s}", GDD, f"gdd_{s}.toml"))
    # wenke: generated level leases, trading-day payment dates, a pass-through senior
    out.append(Case("wenke/base", WENKE))
    for s in ("cdr_cpr_named", "heavy_no_support", "heavy_support", "delay_cdr_cpr", "delay_1m"):
        out.append(Case(f"wenke/{s}", WENKE, f"wenke_{s}.toml"))
    # wenke with per_unit notices, no accounts
    out.append(Case("wenke+per_unit/base", WENKE, variants=("per_unit",)))
    for s in ("heavy_no_support", "heavy_support"):
        out.append(Case(f"wenke+per_unit/{s}", WENKE, f"wenke_{s}.toml", ("per_unit",)))
    # the accounts variant: named accounts, transfers, the PDL, the clean-up call
    account_stresses = ("lessee06_default_call", "two_defaults_accel", "two_defaults_no_support",
                        "no_call", "heavy", "cdr_cpr", "delay_support", "delay_no_support",
                        "full_delay", "base_no_call", "cpr_no_call")
    for pu in ((), ("per_unit",)):
        tag = "accounts" + ("+per_unit" if pu else "")
        out.append(Case(f"{tag}/base", ACCOUNTS, variants=pu))
        for s in account_stresses:
            out.append(Case(f"{tag}/{s}", ACCOUNTS, f"accounts_{s}.toml", pu))
        on_date = ("call_on_or_after",) + pu
        out.append(Case(f"{tag}+call_on_or_after/base", ACCOUNTS, variants=on_date))
        out.append(Case(f"{tag}+call_on_or_after/call_offered_again", ACCOUNTS,
                        "accounts_call_offered_again.toml", on_date))
        for s in ("two_defaults_accel", "delay_support", "full_delay"):
            out.append(Case(f"{tag}+capped_guarantee/{s}", ACCOUNTS, f"accounts_{s}.toml",
                            ("capped_guarantee",) + pu))
    out.append(Case("accounts/delay_1m", ACCOUNTS, "wenke_delay_1m.toml"))
    return out


CASES = _cases()
