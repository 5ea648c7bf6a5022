#!/usr/bin/env python3
"""An independent oracle of `ipabs size`, written from the docs alone (README.md).

Usage: python3 size_oracle.py --ipabs PATH [--quick] [--keep DIR] [--case TEXT] [--mutate NAME]

For every case, runs `ipabs size ... --threads 1 --out DIR` and `ipabs rate` with the same
--paths/--seed (the one input taken from ipabs: the Monte-Carlo TDR, tdr_low, tdr_high of each
rating, from rate's rating.parquet), recomputes every row of size_steps.parquet and sized.parquet
and the sized deal's balances / target balances, and compares them exactly.
Exit 0 when every value is equal, 1 otherwise, 2 on a usage error.

Docs implemented: docs/rating.md §9 (`ipabs size`), §6 (BDR as the minimum over the scenarios,
pass with the whole-obligor rule, passes_at_one lower bound), docs/breakeven.md (via
tests/oracle_breakeven's search), docs/output.md (`size_steps.parquet`, `sized.parquet`),
docs/conventions.md "The coverage multiple", docs/portfolio.md "Portfolio coverage multiple",
docs/errors.md `trips_without_defaults`, docs/deal-format.md `[[triggers]]` `allow`.
"""
import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
import tomllib
import traceback
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
REPO = Path(os.environ.get("IPABS_REPO") or HERE.parent.parent)
RUN_ORACLE = Path(os.environ.get("IPABS_RUN_ORACLE") or REPO / "tests" / "oracle")
BE_ORACLE = REPO / "tests" / "oracle_breakeven"
os.environ.setdefault("IPABS_REPO", str(REPO))
sys.path.insert(0, str(BE_ORACLE))
sys.path.insert(1, str(RUN_ORACLE))

import pyarrow.parquet as pq                                   # noqa: E402

import bsearch                                                 # noqa: E402  (oracle_breakeven)
from bscenarios import run_list                                # noqa: E402
from money import NotCovered, OracleError, ratio6, exact       # noqa: E402  (oracle)
from waterfall import Run                                      # noqa: E402
from schedules import instalments                              # noqa: E402

MUT = set()          # one-line mutations (--mutate), README.md / report.md
CLASS_ORDER = {"senior": 0, "mezzanine": 1, "subordinated": 2}
Z6 = Decimal("0.000000")


class SizeRefused(Exception):
    """The oracle expects ipabs to refuse (exit 2, nothing written)."""


# ---------------------------------------------------------------------- the cases
@dataclass
class Case:
    name: str
    deal: str                      # file under deals/
    targets: list                  # [(tranche, rating)]
    step: str = "10000"
    paths: int = 2000
    seed: int = 1
    scenarios: str = None          # file under HERE/scenarios
    margin: str = None
    tdr_at: str = None
    min_coverage: str = None
    coverage_basis: str = None
    free: bool = False
    stress: str = None             # --stress standard (on the deal's [scenario] or the file's)
    edits: list = field(default_factory=list)   # (old, new) textual edits of the deal
    quick: bool = False

    def deal_text(self):
        base = HERE / "deals" if self.deal.startswith("hand_") else REPO / "deals"
        text = (base / self.deal).read_text(encoding="utf-8")
        for e in self.edits:
            old, new = e[0], e[1]
            if len(e) > 2 and e[2] == "all" and text.count(old) >= 1:
                text = text.replace(old, new)
                continue
            if text.count(old) != 1:
                raise OracleError(f"edit {old!r} matches {text.count(old)} times")
            text = text.replace(old, new)
        return text

    def scenario_path(self):
        return None if self.scenarios is None else HERE / "scenarios" / self.scenarios


# a mezzanine between yongxing's A and B (the docs' §9 several-targets example shape): M bullet
# at the last date, interest after A's, principal after A's, in both waterfalls
_FEES = '  { action = "pay_tax", taxes = ["vat_discount"] },\n  { action = "pay_fee", fees = ["manager", "custodian", "servicer", "other_fixed"] },\n  { action = "pay_interest", tranches = ["A"] },\n'
YX_MEZZ = [('name = "B"\nclass = "subordinated"\nbalance = 7000000',
            'name = "M"\nclass = "mezzanine"\nbalance = 3000000\ncoupon = 0.05\namortization = "bullet"\n'
            'expected_maturity = 2025-11-14\n\n[[tranches]]\nname = "B"\nclass = "subordinated"\nbalance = 4000000'),
           ('normal = [\n' + _FEES, 'normal = [\n' + _FEES + '  { action = "pay_interest", tranches = ["M"] },\n'),
           ('accelerated = [\n' + _FEES, 'accelerated = [\n' + _FEES + '  { action = "pay_interest", tranches = ["M"] },\n'),
           ('  { action = "pay_principal", tranches = ["A"] },\n',
            '  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_principal", tranches = ["M"], when = "senior_paid_off" },\n'),
           ('  { action = "pay_principal", tranches = ["A"], amount = "available" },\n',
            '  { action = "pay_principal", tranches = ["A"], amount = "available" },\n  { action = "pay_principal", tranches = ["M"], amount = "available", when = "senior_paid_off" },\n')]
# yongxing's acceleration trigger as a senior coverage test (docs/rating.md §9 trigger walk)
YX_COVTRIG = [('condition = "cumulative_default_ratio_above"\nthreshold = 0.10',
               'condition = "coverage_below"\nthreshold = 2.0')]

# gdd with a pass-through mezzanine M behind the scheduled A (docs/portfolio.md: D less the
# principal charged to the tranches ahead, the scheduled A's included)
_GF = ('  { action = "pay_tax", taxes = ["vat"] },\n  { action = "pay_fee", fees = ["manager", "custodian", '
       '"servicer", "other_fixed"] },\n  { action = "pay_interest", tranches = ["A"] },\n')
GDD_MEZZ = [('name = "B"\nclass = "subordinated"\nbalance = 16000000',
             'name = "M"\nclass = "mezzanine"\nbalance = 10000000\ncoupon = 0.05\n\n[[tranches]]\n'
             'name = "B"\nclass = "subordinated"\nbalance = 6000000'),
            ('normal = [\n' + _GF, 'normal = [\n' + _GF + '  { action = "pay_interest", tranches = ["M"] },\n'),
            ('accelerated = [\n' + _GF, 'accelerated = [\n' + _GF + '  { action = "pay_interest", tranches = ["M"] },\n'),
            ('  { action = "pay_principal", tranches = ["A"] },\n',
             '  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_principal", tranches = ["M"] },\n'),
            ('  { action = "pay_principal", tranches = ["A"], amount = "available" },\n',
             '  { action = "pay_principal", tranches = ["A"], amount = "available" },\n'
             '  { action = "pay_principal", tranches = ["M"], amount = "available", when = "senior_paid_off" },\n')]
# gdd's A pass-through (its schedule dropped)
GDD_PT = [('amortization = "scheduled"          # illustrative (固定摊还)', 'amortization = "pass_through"'),
          ('target_balances = [                 # illustrative; balance after each payment date\n'
           '  { date = 2020-03-11, balance = 242000000 },\n  { date = 2020-09-11, balance = 196000000 },\n'
           '  { date = 2021-03-11, balance = 149000000 },\n  { date = 2021-09-11, balance = 101000000 },\n'
           '  { date = 2022-03-11, balance = 51000000 },\n  { date = 2022-09-11, balance = 0 },\n]\n', '')]
# xuhui's own [scenario] with a delay (coverage is sized in Scenario::base, not in it)
XH_DELAY = [('[scenario]\nname = "base"', '[scenario]\nname = "delayed"\ndelay = { fraction = 0.5, months = 6 }')]

CASES = [
    Case("xuhui/own_issue_size", "xuhui_caohejing_1_2024.toml", [("A", "AAA")], step="1000000", quick=True),
    Case("xuhui/poolonly_AAA", "xuhui_caohejing_1_2024.toml", [("A", "AAA")], step="500000",
         scenarios="xuhui_poolonly.toml", quick=True),
    Case("xuhui/poolonly_AA_margin", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="500000",
         scenarios="xuhui_poolonly.toml", margin="0.02", quick=True),
    Case("xuhui/poolonly_upper", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="500000",
         scenarios="xuhui_poolonly.toml", tdr_at="upper"),
    Case("xuhui/poolonly_step_not_dividing", "xuhui_caohejing_1_2024.toml", [("A", "A")], step="700000",
         scenarios="xuhui_poolonly.toml"),
    Case("xuhui/poolonly_free", "xuhui_caohejing_1_2024.toml", [("A", "A")], step="500000",
         scenarios="xuhui_poolonly.toml", free=True),
    Case("xuhui/cov_engine", "xuhui_caohejing_1_2024.toml", [("A", "BBB")], step="500000",
         scenarios="xuhui_poolonly.toml", min_coverage="1.3", quick=True),
    Case("xuhui/cov_portfolio", "xuhui_caohejing_1_2024.toml", [("A", "BBB")], step="500000",
         scenarios="xuhui_poolonly.toml", min_coverage="1.3", coverage_basis="portfolio"),
    Case("yongxing/poolonly_AAA", "yongxing_guofu_ningbo_2024.toml", [("A", "AAA")], step="2000000",
         scenarios="yongxing_poolonly.toml", quick=True),
    Case("yongxing/poolonly_cov", "yongxing_guofu_ningbo_2024.toml", [("A", "A")], step="2000000",
         scenarios="yongxing_poolonly.toml", min_coverage="1.05", coverage_basis="portfolio"),
    Case("yongxing+passthrough/cov_both", "yongxing_guofu_ningbo_2024.toml", [("A", "A")], step="2000000",
         scenarios="yongxing_poolonly.toml", min_coverage="1.2", coverage_basis="portfolio",
         edits=[('amortization = "bullet"             # 到期一次还本', 'amortization = "pass_through"             # 到期一次还本')]),
    Case("yongxing+passthrough/cov_engine", "yongxing_guofu_ningbo_2024.toml", [("A", "A")], step="2000000",
         scenarios="yongxing_poolonly.toml", min_coverage="1.2",
         edits=[('amortization = "bullet"             # 到期一次还本', 'amortization = "pass_through"             # 到期一次还本')]),
    Case("yongxing+mezz/two_targets", "yongxing_guofu_ningbo_2024.toml", [("A", "AAA"), ("M", "BBB")],
         step="1000000", scenarios="yongxing_poolonly.toml", edits=YX_MEZZ),
    Case("gdd/upper_Aplus", "gdd_patent_licence_2019.toml", [("A", "A+")], step="3000000",
         scenarios="gdd_poolonly.toml", tdr_at="upper"),
    Case("xuhui/rating_and_coverage", "xuhui_caohejing_1_2024.toml", [("A", "BBB")], step="500000",
         scenarios="xuhui_poolonly.toml", min_coverage="2.35"),
    Case("kexue/obligor_rule_AAA", "kexue_trademark_2021.toml", [("A", "AAA")], step="3000000",
         scenarios="kexue_poolonly.toml", quick=True),
    Case("kexue/obligor_rule_margin", "kexue_trademark_2021.toml", [("A", "A-")], step="3000000",
         scenarios="kexue_poolonly.toml", margin="0.003"),
    Case("xuhui/cov_engine_binds", "xuhui_caohejing_1_2024.toml", [("A", "BBB")], step="500000",
         scenarios="xuhui_poolonly.toml", min_coverage="3"),
    Case("yongxing/upper_margin", "yongxing_guofu_ningbo_2024.toml", [("A", "A")], step="2000000",
         scenarios="yongxing_poolonly.toml", tdr_at="upper", margin="0.01", paths=5000, seed=7),
    Case("yongxing/three_scenarios", "yongxing_guofu_ningbo_2024.toml", [("A", "A")], step="2000000",
         scenarios="yongxing_three.toml"),
    Case("yongxing+cov_trigger+allowed/trigger_allow", "yongxing_guofu_ningbo_2024.toml", [("A", "BBB")],
         step="2000000", scenarios="yongxing_poolonly.toml",
         edits=YX_COVTRIG + [('threshold = 2.0\nwaterfall = "accelerated"\ncurable = false',
                              'threshold = 2.0\nwaterfall = "accelerated"\ncurable = false\nallow = ["trips_without_defaults"]')]),
    Case("yongxing+cov_trigger+deal_allow/deal_allow", "yongxing_guofu_ningbo_2024.toml", [("A", "BBB")],
         step="2000000", scenarios="yongxing_poolonly.toml",
         edits=YX_COVTRIG + [('currency = "CNY"\n', 'currency = "CNY"\nallow = ["trips_without_defaults"]\n')]),
    Case("yongxing+mezz_unpaid/refusal", "yongxing_guofu_ningbo_2024.toml", [("M", "BBB")], step="1000000",
         scenarios="yongxing_poolonly.toml", edits=YX_MEZZ[:1]),
    Case("xuhui+issue_size/free", "xuhui_caohejing_1_2024.toml", [("A", "A")], step="500000",
         scenarios="xuhui_poolonly.toml", free=True,
         edits=[('currency = "CNY"\n', 'currency = "CNY"\nissue_size = 59000000\n')]),
    Case("gdd+truncate/scheduled", "gdd_patent_licence_2019.toml", [("A", "AA")], step="1000000",
         scenarios="gdd_poolonly.toml",
         edits=[('currency = "CNY"\n', 'currency = "CNY"\nrounding = "truncate"\n')]),
    Case("gdd+mezz/M_portfolio", "gdd_patent_licence_2019.toml", [("M", "BB")], step="2000000",
         scenarios="gdd_poolonly.toml", min_coverage="1.05", coverage_basis="portfolio", edits=GDD_MEZZ),
    Case("gdd+mezz/M_engine", "gdd_patent_licence_2019.toml", [("M", "BB")], step="2000000",
         scenarios="gdd_poolonly.toml", min_coverage="1.05", edits=GDD_MEZZ),
    Case("gdd+mezz/two_targets_free", "gdd_patent_licence_2019.toml", [("A", "AA"), ("M", "BBB")],
         step="3000000", scenarios="gdd_poolonly.toml", free=True, edits=GDD_MEZZ),
    Case("gdd+pt/A_portfolio", "gdd_patent_licence_2019.toml", [("A", "A")], step="3000000",
         scenarios="gdd_poolonly.toml", min_coverage="1.3", coverage_basis="portfolio", edits=GDD_PT),
    Case("gdd/scheduled_cov_engine", "gdd_patent_licence_2019.toml", [("A", "BBB")], step="3000000",
         scenarios="gdd_poolonly.toml", min_coverage="1.6"),
    Case("gdd+face1000/scheduled", "gdd_patent_licence_2019.toml", [("A", "AA")], step="3000000",
         scenarios="gdd_poolonly.toml",
         edits=[('[[tranches]]\nname = "A"', '[notices]\nface = 1000\n\n[[tranches]]\nname = "A"')]),
    Case("xuhui+delay/own_scenario_cov", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="1000000",
         min_coverage="2.5", edits=XH_DELAY),
    Case("yongxing+mezz+cov_trigger/two_targets_trigger", "yongxing_guofu_ningbo_2024.toml",
         [("A", "BBB"), ("M", "BB")], step="2000000", scenarios="yongxing_poolonly.toml",
         edits=YX_MEZZ + YX_COVTRIG),
    Case("yongxing+cov_trigger127/rating_and_trigger", "yongxing_guofu_ningbo_2024.toml", [("A", "BBB")],
         step="2000000", scenarios="yongxing_poolonly.toml",
         edits=[('condition = "cumulative_default_ratio_above"\nthreshold = 0.10',
                 'condition = "coverage_below"\nthreshold = 1.27')]),
    Case("yongxing+oc_trigger/refusal_every_balance_trips", "yongxing_guofu_ningbo_2024.toml", [("A", "BBB")],
         step="2000000", scenarios="yongxing_poolonly.toml",
         edits=[('condition = "cumulative_default_ratio_above"\nthreshold = 0.10',
                 'condition = "pool_to_senior_below"\nthreshold = 1.15')]),
    Case("xuhui/usage_min_coverage_10", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="500000",
         min_coverage="10"),
    Case("xuhui/usage_margin_1", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="500000", margin="1"),
    Case("xuhui/usage_step_subfen", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="500000.001"),
    Case("xuhui/usage_step_1e15", "xuhui_caohejing_1_2024.toml", [("A", "AA")], step="1000000000000000"),
    Case("gdd+face1000/usage_step_not_units", "gdd_patent_licence_2019.toml", [("A", "AA")], step="1500150",
         scenarios="gdd_poolonly.toml",
         edits=[('[[tranches]]\nname = "A"', '[notices]\nface = 1000\n\n[[tranches]]\nname = "A"')]),
    Case("xuhui/stress_standard", "xuhui_caohejing_1_2024.toml", [("A", "A")], step="2000000",
         scenarios="xuhui_poolonly.toml", stress="standard"),
    Case("xuhui-B/free_no_subordinated", "xuhui_caohejing_1_2024.toml", [("A", "A")], step="500000",
         scenarios="xuhui_poolonly.toml", free=True,
         edits=[('[[tranches]]\nname = "B"\nclass = "subordinated"\nbalance = 3000000                   # illustrative (the rest of the 0.59亿)\n', ''),
                ('  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n', ''),
                ('  { action = "pay_principal", tranches = ["B"], amount = "available", when = "senior_paid_off" },\n', ''),
                ('  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },\n', '', "all")]),
    Case("xuhui-B/fixed_no_subordinated_refused", "xuhui_caohejing_1_2024.toml", [("A", "A")], step="500000",
         scenarios="xuhui_poolonly.toml",
         edits=[('[[tranches]]\nname = "B"\nclass = "subordinated"\nbalance = 3000000                   # illustrative (the rest of the 0.59亿)\n', ''),
                ('  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n', ''),
                ('  { action = "pay_principal", tranches = ["B"], amount = "available", when = "senior_paid_off" },\n', ''),
                ('  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },\n', '', "all")]),
    Case("yongxing+groups/group_whole_obligor", "yongxing_guofu_ningbo_2024.toml", [("A", "A")], step="2000000",
         scenarios="yongxing_poolonly.toml", edits=__import__("bcases").OWN["groups"]),
    Case("yongxing+mezz/two_targets_supports_on", "yongxing_guofu_ningbo_2024.toml", [("A", "AAA"), ("M", "B+")],
         step="1000000", edits=YX_MEZZ),
    Case("wenke/poolonly_AA", "wenke_leasing_1_2018.toml", [("A", "AA")], step="5000000",
         scenarios="wenke_poolonly.toml"),
    Case("rugao/poolonly_A_cov", "rugao_data_1_2025.toml", [("A", "A")], step="5000000",
         scenarios="rugao_poolonly.toml", min_coverage="1.2"),
    Case("tianzhi/poolonly_AA", "tianzhi_1_2024.toml", [("A", "AA")], step="5000000",
         scenarios="tianzhi_poolonly.toml"),
    Case("nanshan/poolonly_AAA_cov", "nanshan_gaoxintou_5_2022.toml", [("A", "AAA")], step="5000000",
         scenarios="nanshan_poolonly.toml", min_coverage="1.2"),
    # the docs' own hand examples rebuilt from their words (docs/rating.md §9): the docs give
    # 960,000 / 540,000 and 500,000 (bound by the trigger); report.md compares them by hand
    Case("hand/passthrough_cov_engine", "hand_passthrough.toml", [("A", "AAA")], step="10000",
         scenarios="hand.toml", min_coverage="1.1", quick=True),
    Case("hand/passthrough_cov_portfolio", "hand_passthrough.toml", [("A", "AAA")], step="10000",
         scenarios="hand.toml", min_coverage="1.1", coverage_basis="portfolio"),
    Case("hand/trigger_binds", "hand_trigger.toml", [("A", "AAA")], step="10000", scenarios="hand.toml"),
    Case("hand+allowed/trigger_allowed", "hand_trigger.toml", [("A", "AAA")], step="10000", scenarios="hand.toml",
         edits=[('waterfall = "accelerated"\n', 'waterfall = "accelerated"\nallow = ["trips_without_defaults"]\n')]),
    Case("hand/window_M200_cov3", "hand_window.toml", [("A", "AAA")], step="10000", scenarios="hand.toml",
         min_coverage="3", quick=True),
    Case("hand+M500/window_walk", "hand_window.toml", [("A", "AAA")], step="10000", scenarios="hand.toml",
         min_coverage="3",
         edits=[('balance = 500000\ncoupon = 0\n', 'balance = 400000\ncoupon = 0\n'),
                ('balance = 200000\ncoupon = 0.05', 'balance = 500000\ncoupon = 0.05'),
                ('balance = 300000', 'balance = 100000')]),
    Case("hand+M590/window_refusal", "hand_window.toml", [("A", "AAA")], step="10000", scenarios="hand.toml",
         edits=[('balance = 500000\ncoupon = 0\n', 'balance = 400000\ncoupon = 0\n'),
                ('balance = 200000\ncoupon = 0.05', 'balance = 590000\ncoupon = 0.05'),
                ('balance = 300000', 'balance = 10000')]),
    # report.md O1: the input deal meets both targets, yet A (uncapped support) takes the whole
    # subordination in round 1 and M fails at one step: both refuse
    Case("yongxing+mezz/O1_two_targets_refusal", "yongxing_guofu_ningbo_2024.toml", [("A", "AAA"), ("M", "BB-")],
         step="1000000", edits=YX_MEZZ),
    Case("gdd/scheduled_AA", "gdd_patent_licence_2019.toml", [("A", "AA")], step="3000000",
         scenarios="gdd_poolonly.toml", quick=True),
    Case("gdd/scheduled_step150", "gdd_patent_licence_2019.toml", [("A", "A")], step="1500150",
         scenarios="gdd_poolonly.toml"),
    Case("yongxing+cov_trigger/walk", "yongxing_guofu_ningbo_2024.toml", [("A", "BBB")], step="2000000",
         scenarios="yongxing_poolonly.toml",
         edits=YX_COVTRIG),
]


# ---------------------------------------------------------------------- the deal at balances
def seniority(deal):
    """docs/rating.md §9 "in order of seniority": senior, mezzanine, subordinated; file order
    within a class."""
    return sorted(deal["tranches"], key=lambda t: CLASS_ORDER[t["class"]])


def last_subordinated(deal):
    subs = [t for t in deal["tranches"] if t["class"] == "subordinated"]
    return subs[-1]["name"] if subs else None


def face_and_rounding(deal):
    notices = deal.get("notices") or {}
    face = exact(notices.get("face", 100))
    rule = (deal.get("deal") or {}).get("rounding", "half_up")
    return face, rule


def round_to(x, unit, rule):
    """x (Fraction) to whole multiples of `unit` under the deal's rounding (half_up: half away
    from zero; truncate: toward zero); x >= 0 here."""
    q = x / unit
    n = int(q) if rule == "truncate" or "trunc_sched" in MUT else int(q + F(1, 2))
    return n * unit


def set_balances(deal0, balances):
    """The deal with `balances` {tranche: Fraction yuan}; a scheduled tranche's targets scaled
    (docs/rating.md §9 first point): original × B / original balance, one exact value, rounded
    once under the deal's rounding to whole units of face when B is whole units of face (and
    the face whole yuan), to the fen otherwise."""
    deal = copy.deepcopy(deal0)
    face, rule = face_and_rounding(deal)
    for t in deal["tranches"]:
        if t["name"] not in balances:
            continue
        b0 = exact(t["balance"])
        b = balances[t["name"]]
        t["balance"] = _dec(b)
        if t.get("amortization") == "scheduled" and "target_balances" in t:
            whole = face.denominator == 1 and (b / face).denominator == 1
            unit = face if whole else F(1, 100)
            if "sched_fen" in MUT:
                unit = F(1, 100)
            for e in t["target_balances"]:
                v = exact(e["balance"]) * b / b0 if b0 else F(0)
                e["balance"] = _dec(round_to(v, unit, rule))
    return deal


def _dec(x):
    x = F(x)
    d = Decimal(x.numerator) / Decimal(x.denominator)
    return d.quantize(Decimal("0.01")) if (x * 100).denominator == 1 else d


def money2(x):
    return Decimal(F(x).numerator * 100 // F(x).denominator).scaleb(-2) if (F(x) * 100).denominator == 1 \
        else None


def pool_balance(deal):
    """The pool balance at cutoff: every asset's principal due after the cutoff (fen -> yuan)."""
    cutoff = deal["deal"]["cutoff_date"]
    return F(sum(p for o in deal["obligors"] for a in o.get("assets", [])
                 for d, p, _ in instalments(a, deal) if d > cutoff), 100)


# ---------------------------------------------------------------------- one step
class Evaluator:
    def __init__(self, case, deal0, tdrs):
        self.case = case
        self.deal0 = deal0
        self.tdrs = tdrs
        self.margin = exact(case.margin) if case.margin else F(0)
        self.upper = case.tdr_at == "upper"
        self.basis = case.coverage_basis or "engine"
        self.mincov = exact(case.min_coverage) if case.min_coverage else None
        self.cache = {}
        self.base_cache = {}

    def tdr(self, rating):
        """docs/rating.md §9: with --tdr-at upper, tdr_high; else the point TDR (from ipabs rate)."""
        t = self.tdrs[rating]
        return t["tdr_high"] if self.upper and "upper_point" not in MUT else t["tdr"]

    # ---- the break-even part: docs/rating.md §6, docs/breakeven.md
    def bdr(self, deal, tranche):
        scenarios, sf = run_list(deal, self.case.scenario_path(), self.case.stress, None)
        tspec = next(t for t in deal["tranches"] if t["name"] == tranche)
        rows = []
        for sc in scenarios:
            searcher = bsearch.Searcher(deal, sc)
            r, _ = bsearch.row(deal, sf, searcher, sc["name"], tspec, {})
            rows.append(r)
        # the minimum: a failure at zero first, then the lowest BDR (the passes_at_one BDR the
        # larger of the two realised ratios), of equal ones a bounded one first; the first such
        def key(ir):
            i, r = ir
            if r["fails_at_zero"]:
                return (0, Decimal(0), 0, i)
            bdr = r["pass_default_rate"]
            if "pao_curve_only" in MUT:
                bdr = r["breakeven_default_rate"]
            return (1, bdr, 1 if r["passes_at_one"] else 0, i)
        i, b = min(enumerate(rows), key=key)
        bdr = Z6 if b["fails_at_zero"] else key((i, b))[1]
        breaking = [r["breaking_obligor_default_rate"] for r in rows
                    if r["breaking_obligor_default_rate"] is not None]
        return dict(bdr=bdr, faz=b["fails_at_zero"], pao=b["passes_at_one"], scenario=b["scenario"],
                    breaking=min(breaking) if breaking else None)

    # ---- the base case: coverage and trigger (docs/rating.md §9)
    def base(self, deal):
        r = Run(deal, {"name": "base"})
        rows = r.run()
        return rows

    def trigger(self, deal, rows):
        """docs/errors.md trips_without_defaults: the first trigger the base case trips, not an
        `event` or `support_failed` one, not one that allows trips_without_defaults; none when
        [deal] allow has it. Its first payment date."""
        if "trips_without_defaults" in ((deal.get("deal") or {}).get("allow") or []):
            return None, None
        ok = {t["name"] for t in deal.get("triggers", [])
              if t["condition"] not in ("event", "support_failed")
              and "trips_without_defaults" not in (t.get("allow") or [])}
        if "no_trigger" in MUT:
            ok = set()
        for p in rows["periods"]:
            names = [n for n in (p["triggers_tripped"] or "").split(",") if n in ok]
            if names:
                return names[0], p["payment_date"]
        return None, None

    def coverage(self, deal, rows, tranche):
        """docs/rating.md §9: the minimum coverage multiple in the base case; engine basis =
        tranche_flows.coverage_multiple (docs/conventions.md), portfolio basis =
        docs/portfolio.md "Portfolio coverage multiple". Over the dates the tranche has a balance
        before the date (as summary.parquet's min_coverage_multiple); the first date of the
        minimum."""
        tf = [r for r in rows["tranche_flows"] if r["tranche"] == tranche]
        if self.basis == "engine":
            vals = [(r["coverage_multiple"], r["payment_date"]) for r in tf
                    if r["balance_start"] > 0 and r["coverage_multiple"] is not None]
        else:
            vals = self.portfolio(deal, rows, tranche)
        if not vals:
            return None, None
        m = min(v for v, _ in vals)
        return m, next(d for v, d in vals if v == m)

    def portfolio(self, deal, rows, tranche):
        if any(s.get("kind") == "asset_guarantee" for s in deal.get("supports", [])):
            raise NotCovered("portfolio coverage with an asset guarantee (H)")
        order = [t["name"] for t in seniority(deal)]
        style = {t["name"]: t.get("amortization", "pass_through") for t in deal["tranches"]}
        k_of = order.index(tranche)
        by = {}
        for r in rows["tranche_flows"]:
            by.setdefault(r["period"], {})[r["tranche"]] = r
        pool_start = pool_balance(deal)
        out = []
        for p in rows["periods"]:
            rowsk = by[p["period"]]
            decline = pool_start - exact(p["pool_balance_end"])
            pool_start = exact(p["pool_balance_end"])
            if rowsk[tranche]["balance_start"] <= 0 and "cov_all_dates" not in MUT:
                continue
            charged = F(0)
            denom = F(0)
            for name in order[:k_of + 1]:
                r = rowsk[name]
                pdue = exact(r["principal_due"])
                if style[name] == "pass_through":
                    d = max(F(0), decline - charged)
                    pdue = max(pdue, min(exact(r["balance_start"]), d))
                charged += pdue
                denom += exact(r["interest_due"]) + pdue
            if denom == 0:
                continue
            num = max(F(0), max(F(0), exact(p["available_funds"])) - exact(p["taxes_paid"]) - exact(p["fees_paid"]))
            out.append((ratio6(num / denom), p["payment_date"]))
        return out

    def step(self, balances, tranche, rating, sub_name):
        key = (tuple(sorted(balances.items())), tranche)
        if key in self.cache:
            return dict(self.cache[key])
        deal = set_balances(self.deal0, balances)
        be = self.bdr(deal, tranche)
        rows = self.base(deal)
        trig, trig_date = self.trigger(deal, rows)
        cov, cov_date = self.coverage(deal, rows, tranche)
        tdr = self.tdr(rating)
        need = F(tdr) + self.margin
        rating_ok = (not be["faz"]) and F(be["bdr"]) >= need and \
            (be["breaking"] is None or F(be["breaking"]) > (F(tdr) if "obligor_no_margin" in MUT else need)
             or "no_obligor_rule" in MUT)
        if "margin_ignored" in MUT:
            rating_ok = (not be["faz"]) and F(be["bdr"]) >= F(tdr) and \
                (be["breaking"] is None or F(be["breaking"]) > F(tdr))
        cov_ok = None
        if self.mincov is not None and cov is not None:
            cov_ok = F(cov) >= self.mincov
        row = dict(tranche=tranche, target_rating=rating, balance=_dec(balances[tranche]),
                   subordinated_balance=_dec(balances.get(sub_name, 0)) if sub_name else Decimal("0.00"),
                   breakeven_default_rate=be["bdr"], target_default_rate=tdr, rating_ok=rating_ok,
                   min_coverage_multiple=cov, coverage_ok=cov_ok,
                   passes_at_one=be["pao"], fails_at_zero=be["faz"], binding_scenario=be["scenario"],
                   tdr_at="upper" if self.upper else "point", min_coverage_date=cov_date,
                   coverage_basis=self.basis, base_case_trigger=trig, base_case_trigger_date=trig_date,
                   breaking_obligor_default_rate=be["breaking"])
        row["pass"] = rating_ok and cov_ok is not False and trig is None
        self.cache[key] = row
        return dict(row)

    def base_trips(self, balances):
        deal = set_balances(self.deal0, balances)
        return self.trigger(deal, self.base(deal))


# ---------------------------------------------------------------------- the search
def binding_of(row):
    """docs/rating.md §9 "binding constraint": what fails one step above the result."""
    parts = []
    if not row["rating_ok"]:
        parts.append("rating")
    if row["coverage_ok"] is False:
        parts.append("coverage")
    if row["base_case_trigger"] is not None:
        parts.append("trigger")
    if len(parts) <= 1:
        return parts[0] if parts else None
    return ", ".join(parts[:-1]) + " and " + parts[-1]


class Sizer:
    def __init__(self, case, deal0, ev):
        self.case, self.deal0, self.ev = case, deal0, ev
        self.step = exact(case.step)
        # docs/rating.md §9: usage errors, exit 2, nothing written
        if self.step <= 0 or (self.step * 100).denominator != 1 or self.step >= 10 ** 15:
            raise SizeRefused("--step: a positive amount in whole fen below 10^15")
        if case.min_coverage is not None and not (0 < exact(case.min_coverage) < 10):
            raise SizeRefused("--min-coverage: above 0 and below 10")
        if case.margin is not None and not (0 <= exact(case.margin) < 1):
            raise SizeRefused("--margin: 0 <= m < 1")
        if "notices" in deal0:
            face, _ = face_and_rounding(deal0)
            if (self.step / face).denominator != 1:
                raise SizeRefused("--step not whole units of [notices] face")
        self.rows = []
        self.sub = None if case.free else last_subordinated(deal0)
        if not case.free and self.sub is None:
            raise SizeRefused("no subordinated tranche")
        self.issue = sum(exact(t["balance"]) for t in deal0["tranches"])
        self.pool = pool_balance(deal0)
        self.binding = {}
        self.last_row = {}

    def balances_with(self, bal, tranche, b):
        out = dict(bal)
        out[tranche] = b
        if self.sub is not None:
            out[self.sub] = self.issue - sum(v for n, v in out.items() if n != self.sub)
        return out

    def bmax(self, bal, tranche):
        """docs/rating.md §9: fixed issue: up to the value that leaves the subordinated tranche
        one step; free: up to the pool balance; on the grid of multiples of --step (floor)."""
        if self.sub is None:
            top = self.pool
        else:
            others = sum(v for n, v in bal.items() if n not in (tranche, self.sub))
            top = self.issue - others - self.step
        n = top // self.step
        if "bmax_ceil" in MUT:
            n = -((-top) // self.step)
        return n * self.step

    def eval(self, bal, tranche, rating, b):
        full = self.balances_with(bal, tranche, b)
        row = self.ev.step(full, tranche, rating, last_subordinated(self.deal0))
        row["step"] = len(self.rows) + 1
        self.rows.append(row)
        self.last_row[(tranche, b)] = row
        return row

    @staticmethod
    def rc_ok(row):
        return row["rating_ok"] and row["coverage_ok"] is not False and \
            ("trigger_in_bisection" not in MUT or row["base_case_trigger"] is None)

    def search(self, bal, tranche, rating):
        """Largest B first; else B = one step must pass rating and coverage; then bisection on
        the grid; then a trigger walk (docs/rating.md §9)."""
        step = self.step
        hi = self.bmax(bal, tranche)
        if hi < step:
            raise SizeRefused("no room for one step")
        r = self.eval(bal, tranche, rating, hi)
        above = None
        if self.rc_ok(r):
            lo = hi
        else:
            if hi == step:
                raise SizeRefused("one step fails")
            r1 = self.eval(bal, tranche, rating, step)
            if not self.rc_ok(r1):
                raise SizeRefused("one step fails rating or coverage")
            lo = step
            while hi - lo > step:
                n = (hi - lo) / step
                mid = lo + (int(n) // 2 if "mid_ceil" not in MUT else -(-int(n) // 2)) * step
                rm = self.eval(bal, tranche, rating, mid)
                if self.rc_ok(rm):
                    lo = mid
                else:
                    hi = mid
            above = self.last_row[(tranche, hi)]
        lrow = self.last_row[(tranche, lo)]
        if lrow["base_case_trigger"] is None:
            return lo, ("issue size" if above is None else binding_of(above))
        # the walk: base case only, one step at a time, to the first balance tripping none
        b = lo
        walked = 0
        while True:
            b -= step
            walked += 1
            if b < step:
                raise SizeRefused("every balance trips the trigger")
            trig, _ = self.ev.base_trips(self.balances_with(bal, tranche, b))
            if trig is None:
                break
        r = self.eval(bal, tranche, rating, b)
        if not self.rc_ok(r):
            raise NotCovered("a walked-to balance failing the rating or coverage (review 41e N3)")
        # one step up: walked past (tripped); a full row exists only when it was evaluated
        up = self.last_row.get((tranche, b + step))
        return b, (binding_of(up) if up is not None else "trigger")

    def run(self, targets):
        bal = {t["name"]: exact(t["balance"]) for t in self.deal0["tranches"]}
        order = [t["name"] for t in seniority(self.deal0)]
        targets = sorted(targets, key=lambda x: order.index(x[0]))
        for name, rating in targets:
            b, binding = self.search(bal, name, rating)
            bal = self.balances_with(bal, name, b)
            self.binding[name] = binding
        if len(targets) > 1:
            for _ in range(19):
                changed = False
                for name, rating in targets:
                    # docs/rating.md §9 "several targets": each balance checked (it passes and one
                    # step more fails: two rows), sized again if not; a target bound by a trigger
                    # (after its check) is searched again in full (its walk included)
                    b = bal[name]
                    redo = False
                    r = self.eval(bal, name, rating, b)
                    if not r["pass"]:
                        redo = True
                    elif b + self.step <= self.bmax(bal, name):
                        ru = self.eval(bal, name, rating, b + self.step)
                        if ru["pass"]:
                            redo = True
                        else:
                            self.binding[name] = binding_of(ru)
                    else:
                        self.binding[name] = "issue size"
                    if "trigger" in (self.binding.get(name) or "") and "trigger_check" not in MUT:
                        redo = True
                    if redo:
                        nb, binding = self.search(bal, name, rating)
                        if nb != b:
                            changed = True
                        bal = self.balances_with(bal, name, nb)
                        self.binding[name] = binding
                if not changed:
                    break
            else:
                raise SizeRefused("more than 20 rounds")
        return bal, targets


# ---------------------------------------------------------------------- comparison
STEP_COLS = ["deal", "step", "tranche", "target_rating", "balance", "subordinated_balance",
             "breakeven_default_rate", "target_default_rate", "rating_ok", "min_coverage_multiple",
             "coverage_ok", "pass", "passes_at_one", "fails_at_zero", "binding_scenario", "tdr_at",
             "min_coverage_date", "coverage_basis", "base_case_trigger", "base_case_trigger_date",
             "breaking_obligor_default_rate"]
SIZED_COLS = ["deal", "tranche", "target_rating", "balance", "subordinated_balance", "binding",
              "binding_scenario", "breakeven_default_rate", "target_default_rate", "cushion",
              "passes_at_one", "breaking_obligor_default_rate", "tdr_low", "tdr_high",
              "min_coverage_multiple", "tdr_at", "step", "margin", "paths", "seed"]


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b and a.as_tuple().exponent == b.as_tuple().exponent
    if type(a) is not type(b):
        return False
    return a == b


def _todec(x):
    if isinstance(x, F):
        return Decimal(x.numerator) / Decimal(x.denominator)
    return Decimal(x)


def q6(x):
    """An exact value written at 6 places (an inexact one would be a bug: checked)."""
    if x is None:
        return None
    d = _todec(x).quantize(Decimal("0.000001"))
    if F(d) != F(x):
        raise OracleError(f"{x} is not exact at 6 places")
    return d


def q2(x):
    if x is None:
        return None
    d = _todec(x).quantize(Decimal("0.01"))
    if F(d) != F(x):
        raise OracleError(f"{x} is not exact at 2 places")
    return d


def normalise_step_row(r, deal_name):
    out = dict(r)
    out["deal"] = deal_name
    for c in ("balance", "subordinated_balance"):
        out[c] = q2(out[c])
    for c in ("breakeven_default_rate", "target_default_rate", "min_coverage_multiple",
              "breaking_obligor_default_rate"):
        out[c] = q6(out[c])
    return out


# docs/output.md: the columns' types (decimal128 scales, int32 step, int64 paths and seed)
STEP_TYPES = {"step": "int32", "balance": "decimal128(18, 2)", "subordinated_balance": "decimal128(18, 2)",
              "breakeven_default_rate": "decimal128(18, 6)", "target_default_rate": "decimal128(18, 6)",
              "min_coverage_multiple": "decimal128(18, 6)", "breaking_obligor_default_rate": "decimal128(18, 6)",
              "rating_ok": "bool", "coverage_ok": "bool", "pass": "bool", "passes_at_one": "bool",
              "fails_at_zero": "bool", "min_coverage_date": "date32[day]", "base_case_trigger_date": "date32[day]"}
SIZED_TYPES = {"balance": "decimal128(18, 2)", "subordinated_balance": "decimal128(18, 2)",
               "breakeven_default_rate": "decimal128(18, 6)", "target_default_rate": "decimal128(18, 6)",
               "cushion": "decimal128(18, 6)", "breaking_obligor_default_rate": "decimal128(18, 6)",
               "tdr_low": "decimal128(18, 6)", "tdr_high": "decimal128(18, 6)",
               "min_coverage_multiple": "decimal128(18, 6)", "step": "decimal128(18, 2)",
               "margin": "decimal128(18, 6)", "paths": "int64", "seed": "int64", "passes_at_one": "bool"}


def compare_schema(path, cols, types, table):
    schema = {f.name: str(f.type) for f in pq.read_schema(path)}
    n, eq, diffs = 1, 0, []
    if list(schema) == cols:
        eq += 1
    else:
        diffs.append((table, "schema", "columns", cols, list(schema)))
    for c, t in types.items():
        n += 1
        if schema.get(c) == t:
            eq += 1
        else:
            diffs.append((table, "schema", c, t, schema.get(c)))
    return n, eq, diffs


def compare_table(mine, theirs, cols, keyf, table):
    diffs = []
    n = eq = 0
    if len(mine) != len(theirs):
        diffs.append((table, "rows", "count", len(mine), len(theirs)))
    for i, (a, b) in enumerate(zip(mine, theirs)):
        key = keyf(i, a)
        for c in cols:
            n += 1
            if same(a.get(c), b.get(c)):
                eq += 1
            else:
                diffs.append((table, key, c, a.get(c), b.get(c)))
    return n, eq, diffs


def ipabs_cmd(ipabs, case, deal_path, out, sub="size"):
    cmd = [str(ipabs), sub, str(deal_path)]
    if sub == "size":
        for t, r in case.targets:
            cmd += ["--target", f"{t}={r}"]
        cmd += ["--step", case.step]
        if case.margin:
            cmd += ["--margin", case.margin]
        if case.tdr_at:
            cmd += ["--tdr-at", case.tdr_at]
        if case.min_coverage:
            cmd += ["--min-coverage", case.min_coverage]
        if case.coverage_basis:
            cmd += ["--coverage-basis", case.coverage_basis]
        if case.free:
            cmd += ["--free-issue-size"]
    if case.scenario_path():
        cmd += ["--scenarios", str(case.scenario_path())]
    if case.stress:
        cmd += ["--stress", case.stress]
    cmd += ["--paths", str(case.paths), "--seed", str(case.seed), "--threads", "1",
            "--out", str(out), "--force", "-q"]
    return cmd


def run_case(case, ipabs, work):
    cdir = work / case.name.replace("/", "__").replace("+", "_")
    cdir.mkdir(parents=True, exist_ok=True)
    text = case.deal_text()
    stem = Path(case.deal).stem
    deal_path = cdir / case.deal
    deal_path.write_text(text, encoding="utf-8")
    size_cmd = ipabs_cmd(ipabs, case, deal_path, cdir / "size")
    rate_cmd = ipabs_cmd(ipabs, case, deal_path, cdir / "rate", "rate")
    (cdir / "cmd.txt").write_text(" ".join(size_cmd) + "\n" + " ".join(rate_cmd) + "\n")
    pr = subprocess.run(rate_cmd, capture_output=True, text=True)
    if pr.returncode != 0:
        return None, f"ipabs rate exited {pr.returncode}: {pr.stderr.strip()[:500]}"
    rating = pq.read_table(cdir / "rate" / "rating.parquet").to_pylist()
    tdrs = {}
    for r in rating:            # the TDR depends on the pool only (docs/rating.md §9)
        tdrs.setdefault(r["rating"], dict(tdr=r["target_default_rate"], tdr_low=r["tdr_low"],
                                          tdr_high=r["tdr_high"]))
    ps = subprocess.run(size_cmd, capture_output=True, text=True)
    deal0 = tomllib.loads(text, parse_float=Decimal)
    deal_name = deal0["deal"]["name"]
    ev = Evaluator(case, deal0, tdrs)
    try:
        sizer = Sizer(case, deal0, ev)
        bal, targets = sizer.run(case.targets)
        refused = None
    except SizeRefused as e:
        refused = str(e)
    if refused or ps.returncode != 0:
        if refused and ps.returncode == 2:
            last = ps.stderr.strip().splitlines()[-1] if ps.stderr.strip() else ""
            print(f"  both refuse: oracle: {refused}; ipabs: {last[:160]}")
            return (1, 1, []), None
        return (1, 0, [("exit", "-", "code", f"refused: {refused}" if refused else 0,
                        f"{ps.returncode}: {ps.stderr.strip()[-300:]}")]), None
    # size_steps.parquet
    mine = [normalise_step_row(r, deal_name) for r in sizer.rows]
    theirs = pq.read_table(cdir / "size" / "size_steps.parquet").to_pylist()
    n1, e1, d1 = compare_table(mine, theirs, STEP_COLS,
                               lambda i, a: f"{i + 1}:{a['tranche']}@{a['balance']}", "size_steps")
    ns, es, ds = compare_schema(cdir / "size" / "size_steps.parquet", STEP_COLS, STEP_TYPES, "size_steps")
    n1, e1, d1 = n1 + ns, e1 + es, d1 + ds
    ns, es, ds = compare_schema(cdir / "size" / "sized.parquet", SIZED_COLS, SIZED_TYPES, "sized")
    n1, e1, d1 = n1 + ns, e1 + es, d1 + ds
    # sized.parquet: one row per target, seniority order
    sized = []
    for name, rating in targets:
        r = sizer.last_row.get((name, bal[name]))
        t = tdrs[rating]
        tdr = r["target_default_rate"] if r else None
        bdr = r["breakeven_default_rate"] if r else None
        sized.append(dict(
            deal=deal_name, tranche=name, target_rating=rating, balance=q2(bal[name]),
            subordinated_balance=r["subordinated_balance"] if r else None,
            binding=sizer.binding[name], binding_scenario=r["binding_scenario"] if r else None,
            breakeven_default_rate=bdr, target_default_rate=tdr,
            cushion=None if r is None else q6(bdr - tdr),
            passes_at_one=r["passes_at_one"] if r else None,
            breaking_obligor_default_rate=r["breaking_obligor_default_rate"] if r else None,
            tdr_low=t["tdr_low"], tdr_high=t["tdr_high"],
            min_coverage_multiple=r["min_coverage_multiple"] if r else None,
            tdr_at="upper" if case.tdr_at == "upper" else "point",
            step=q2(exact(case.step)), margin=q6(exact(case.margin) if case.margin else 0),
            paths=case.paths, seed=case.seed))
        sized[-1] = normalise_step_row(sized[-1], deal_name) | {
            k: sized[-1][k] for k in ("binding", "cushion", "tdr_low", "tdr_high", "step", "margin",
                                       "paths", "seed")}
    theirs2 = pq.read_table(cdir / "size" / "sized.parquet").to_pylist()
    n2, e2, d2 = compare_table(sized, theirs2, SIZED_COLS, lambda i, a: f"{a['tranche']}", "sized")
    # the sized deal: every tranche's balance and a scheduled tranche's targets
    n3 = e3 = 0
    d3 = []
    sized_path = cdir / "size" / f"{stem}.sized.toml"
    final = set_balances(deal0, bal)
    sd = tomllib.loads(sized_path.read_text(encoding="utf-8"), parse_float=Decimal)
    if "issue_size" in deal0["deal"]:
        # the sized deal must validate: issue_size = the tranches' sum (docs/deal-format.md)
        n3 += 1
        want = sum(exact(t["balance"]) for t in final["tranches"])
        if exact(sd["deal"]["issue_size"]) == want:
            e3 += 1
        else:
            d3.append(("sized_toml", "[deal]", "issue_size", _dec(want), sd["deal"]["issue_size"]))
    for a, b in zip(final["tranches"], sd["tranches"]):
        pairs = [("balance", a["balance"], b["balance"])]
        for i, (x, y) in enumerate(zip(a.get("target_balances", []), b.get("target_balances", []))):
            pairs.append((f"target_balances[{i}]", x["balance"], y["balance"]))
        for col, x, y in pairs:
            n3 += 1
            if exact(x) == exact(y):
                e3 += 1
            else:
                d3.append(("sized_toml", a["name"], col, x, y))
    return (n1 + n2 + n3, e1 + e2 + e3, d1 + d2 + d3), None


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ipabs", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep")
    ap.add_argument("--case", action="append")
    ap.add_argument("--mutate", action="append", default=[])
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    ipabs = Path(args.ipabs).resolve()
    if not ipabs.is_file():
        print(f"error: --ipabs {args.ipabs}: not a file", file=sys.stderr)
        return 2
    MUT.update(args.mutate)
    for m in args.mutate:
        if m in ("no_obligor_rule", "pao_curve_only"):
            bsearch.MUT.add(m)
    cases = [c for c in CASES if (not args.quick or c.quick)
             and (not args.case or any(t in c.name for t in args.case))]
    t_all = time.monotonic()
    tn = te = failed = 0
    with tempfile.TemporaryDirectory(prefix="size-oracle-") as tmp:
        work = Path(args.keep).resolve() if args.keep else Path(tmp)
        for case in cases:
            t0 = time.monotonic()
            try:
                res, err = run_case(case, ipabs, work)
            except NotCovered as e:
                res, err = None, f"not covered: {e}"
            except Exception:
                res, err = None, "oracle error:\n" + traceback.format_exc()
            if err:
                failed += 1
                print(f"{case.name}: FAILED: {err}", flush=True)
                continue
            n, eq, diffs = res
            tn += n
            te += eq
            print(f"{case.name}: {eq}/{n} ({time.monotonic() - t0:.1f} s)", flush=True)
            for table, key, col, a, b in diffs:
                print(f"  DIFF case={case.name} row={table}:{key} column={col} oracle={a!r} ipabs={b!r}")
            if diffs:
                failed += 1
    print(f"total: {len(cases)} cases, {tn} values compared, {te} equal, {failed} case(s) failing; "
          f"{time.monotonic() - t_all:.1f} s")
    return 0 if failed == 0 and tn == te else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
