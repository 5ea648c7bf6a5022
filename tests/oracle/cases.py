"""The cases the oracle checks: a deal of deals/ (with a variant's textual edits) and a scenario
file of tests/oracle/scenarios/ (one [[scenarios]] entry each), or the deal's own [scenario]."""
import os
from dataclasses import dataclass
from pathlib import Path

# the repository: tests/oracle/../.., or IPABS_REPO when the oracle runs from a copy elsewhere
REPO = Path(os.environ.get("IPABS_REPO") or Path(__file__).resolve().parents[2])
SCENARIOS = Path(__file__).resolve().parent / "scenarios"

NOTICES_PER_UNIT = '''
[notices]
face = 100
decimals = 4
rounding = "truncate"
per_unit = true
'''

EXTRA_FEES_YONGXING = '''
[[fees]]
name = "rating"
kind = "annual"
amount = 30000

[[fees]]
name = "registration"
kind = "one_off"
amount = 50000
date = 2025-05-20

[[fees]]
name = "trustee"
kind = "annual_rate"
rate = 0.0001
base = "interest_collections"

[[fees]]
name = "arrangement"
kind = "one_off"
amount = 20000
'''

EXTRA_FEES_KEXUE = '''
[[fees]]
name = "rating"
kind = "annual"
amount = 50000

[[fees]]
name = "audit"
kind = "annual"
amount = 20000
date = 2020-12-31

[[fees]]
name = "setup"
kind = "one_off"
amount = 80000
date = 2022-09-12
'''

NANSHAN_CDR_TRIGGER = '''[[triggers]]
name = "acceleration_cdr"           # 加速清偿事件 (illustrative threshold)
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.10
waterfall = "accelerated"
curable = false
'''

NANSHAN_EOD_TRIGGER = '''[[triggers]]
name = "eod_senior_interest"        # 违约事件: senior interest not paid in full
kind = "event_of_default"
condition = "senior_interest_shortfall"
waterfall = "accelerated"
curable = false
'''

TIANZHI_TRIGGERS = '''[[triggers]]
name = "acceleration_cdr"
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.10
waterfall = "accelerated"
curable = false

[[triggers]]
name = "eod_senior_interest"
kind = "event_of_default"
condition = "senior_interest_shortfall"
waterfall = "accelerated"
curable = false
'''

TRIGGERS_MIX = '''[[triggers]]
name = "oc_test"
kind = "acceleration"
condition = "pool_to_senior_below"
threshold = 0.7
waterfall = "accelerated"
curable = true

[[triggers]]
name = "cov_test"
kind = "acceleration"
condition = "coverage_below"
threshold = 37
waterfall = "accelerated"
curable = true

[[triggers]]
name = "guarantor_down"
kind = "event_of_default"
condition = "support_failed"
support = "guarantee"
waterfall = "accelerated"

[[triggers]]
name = "eod_top_class"
kind = "event_of_default"
condition = "top_class_interest_shortfall"
waterfall = "accelerated"

[[triggers]]
name = "cdr_stepped"
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.3
threshold_steps = [ { from = 2024-10-14, threshold = 0.05 } ]
waterfall = "accelerated"

[[triggers]]
name = "cdr_watch"
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.01
waterfall = "normal"

[[triggers]]
name = "eod_legal_maturity"
kind = "event_of_default"
condition = "senior_outstanding_after_legal_maturity"
waterfall = "accelerated"
'''

# review 42a: a coverage_below threshold between the exact senior coverage multiple of
# tianzhi's first date, 68681877/1881409 = 36.5055535…, and its 6-place report, 36.505554
COVERAGE_EDGE = '''
[[triggers]]
name = "cov_edge"
kind = "acceleration"
condition = "coverage_below"
threshold = 36.505554
waterfall = "accelerated"
curable = true
'''

# review 42a: kexue's SME-01 as a growing quarterly licence table from a month end before the
# cutoff (the first two fees dropped, one on the cutoff itself), fees not whole fen
LICENCE_GROWTH = ('schedule = { first = 2022-02-20, frequency = "semiannual", periods = 6, amount = "8306887.52", rate = 0.06 }',
                  'schedule = { first = 2021-05-31, frequency = "quarterly", periods = 10, amount = "2076721.88", growth = 0.035, rate = 0.06 }')

TRIGGERS_MIX_NORMAL = '''  { action = "pay_principal", tranches = ["A"], amount = "available", when = { any = [{ trigger = "cdr_watch" }, { all = [{ pool_factor_below = 0.6 }, { on_or_after = 2025-01-01 }] }] } },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = { all = ["senior_paid_off", { not = { cumulative_default_ratio_above = 0.05 } }, { before = 2030-01-01 }] } },
'''

# review 42c: event triggers (docs/conventions.md "Triggers", docs/deal-format.md "[[triggers]]"
# `event`): a curable acceleration on a downgrade, a curable event of default on an insolvency
# (without `until` it never cures), a non-curable acceleration selecting `normal`
EVENT_TRIGGERS = '''
[[triggers]]
name = "downgrade"
kind = "acceleration"
condition = "event"
event = "undertaker_downgrade"
waterfall = "accelerated"
curable = true

[[triggers]]
name = "insolvency"
kind = "event_of_default"
condition = "event"
event = "servicer_insolvent"
waterfall = "accelerated"
curable = true

[[triggers]]
name = "replaced"
kind = "acceleration"
condition = "event"
event = "servicer_replaced"
waterfall = "normal"
'''

TIANZHI_EOD = '''name = "eod_senior_interest"
kind = "event_of_default"
condition = "senior_interest_shortfall"
waterfall = "accelerated"
curable = false
'''

# review 42c: a mezzanine tranche between wenke's senior and subordinated (docs/deal-format.md
# "[[tranches]]"; docs/conventions.md "What falls due", "The coverage multiple", "Reserve and
# support draws", "Triggers" top_class_interest_shortfall): the reserve covers its interest, the
# guarantee its principal; a pro rata interest step in `accelerated`
WENKE_MEZZ_TRANCHE = '''
[[tranches]]
name = "M"
class = "mezzanine"
balance = 96000000
coupon = 0.065
amortization = "pass_through"
rating = "AA"
'''

WENKE_MEZZ_TRIGGER = '''
[[triggers]]
name = "eod_top_class"
kind = "event_of_default"
condition = "top_class_interest_shortfall"
waterfall = "accelerated"
curable = true
'''

# review 42c: gdd's undertaking as a capped facility bearing interest on its draws, backed by a
# guarantee (docs/deal-format.md "[[supports]]" cap_per_period, interest_rate, backs;
# docs/conventions.md "Reserve and support draws", "Repaying a support")
GDD_FACILITY = '''covers = ["senior_interest", "senior_principal"]
cap_total = 60000000
cap_per_period = 25000000
interest_rate = 0.05

[[supports]]
name = "jinkong_guarantee"
provider = "国资集团乙 (保证人, illustrative)"
kind = "guarantee"
backs = "gdd_undertaking"
cap_per_period = 20000000
'''

# review 42h: floating rates (docs/deal-format.md "Floating rates", docs/conventions.md "Floating
# rates", docs/scenarios.md "Index paths", docs/amortization.md "Floating-rate loans"): the
# deal's own [scenario] paths (lpr_1y a step path, lpr_5y a flat value or a path)
TIANZHI_INDEX_PATHS = ('[scenario]\nname = "base"\n',
                       '[scenario]\nname = "base"\n'
                       'index_paths.lpr_1y = [ { date = 2023-08-21, rate = 0.0345 }, { date = 2024-07-22, rate = 0.0335 }, { date = 2024-10-21, rate = 0.031 } ]\n'
                       'index_paths.lpr_5y = [ { date = 2024-02-20, rate = 0.0395 }, { date = 2024-07-22, rate = 0.0385 }, { date = 2024-10-21, rate = 0.036 } ]\n')
GDD_INDEX_PATHS = ('[scenario]\nname = "base"',
                   '[scenario]\n'
                   'index_paths.lpr_5y = [ { date = 2019-08-20, rate = 0.0485 }, { date = 2020-04-20, rate = 0.0465 }, { date = 2021-12-20, rate = 0.046 }, { date = 2022-05-20, rate = 0.0445 } ]\n'
                   'name = "base"')

WENKE_REVOLVING = '''[revolving]
end_date = 2020-04-26
waterfall = "revolving"
price = 0.98
asset = { kind = "lease", rate = 0.065, term = 4, frequency = "quarterly", repayment = "level" }
'''

# review 43b: fees on the interest paid to a tranche (docs/deal-format.md "Bases", "Fee
# mechanics"): 10% of A's interest, paid at a step after A's interest and (its arrears) at the
# first fee step; 5% of B's period return from 2020-09-01 (gdd)
PAID_FEE_A = '''
[[fees]]
name = "trustee_ip"
kind = "annual_rate"
rate = 0.1
base = "interest_paid:A"
'''
PAID_FEE_B = '''
[[fees]]
name = "sub_ip"
kind = "annual_rate"
rate = 0.05
base = "interest_paid:B"
start = 2020-09-01
'''
A_INTEREST_THEN_RESERVE = '  { action = "pay_interest", tranches = ["A"] },\n  { action = "top_up_reserve" },\n'

# Variants of an example deal, as textual edits of its file: (old, new) replaces the one
# occurrence of `old`, (old, new, n) its n occurrences; (None, text) appends `text`.
VARIANTS = {
    # review 43b: explicit payment dates (irregular: a month end, an extra Saturday date), listed
    # collection ends (计算日), previous_month_end, unadjusted accrual dates (docs/deal-format.md
    # "[deal]", "Payment dates", "Periods"; docs/calendar.md "Accrual dates")
    "listed_dates": [('first_payment_date = 2020-03-11     # illustrative\nfrequency = "semiannual"            # illustrative (NOT FOUND: [NF2])\n',
                      'payment_dates = [2020-03-11, 2020-09-30, 2021-03-11, 2021-09-11, 2021-12-11, 2022-03-11, 2022-09-11]\n')],
    "collection_ends": [('collection_lag_days = 10            # illustrative\n',
                         'collection_ends = [2020-02-29, 2020-09-20, 2021-02-28, 2021-08-31, 2021-12-01, 2022-02-28, 2022-09-11]\n')],
    # month-end dates, three of them paid in the next month (2020-02-29 on 03-02, 2021-01-31 on
    # 02-01, 2022-01-31 on 02-07): previous_month_end reads the scheduled month
    "month_end_dates": [('first_payment_date = 2020-03-11     # illustrative\nfrequency = "semiannual"            # illustrative (NOT FOUND: [NF2])\n',
                         'payment_dates = [2020-02-29, 2020-08-31, 2021-01-31, 2021-08-31, 2022-01-31, 2022-10-31]\n'),
                        ('legal_maturity = 2022-09-13 ', 'legal_maturity = 2022-10-31 ')],
    "prev_month_end": [('collection_lag_days = 10            # illustrative\n', 'collection_end = "previous_month_end"\n')],
    "unadjusted_accrual": [('calendar = "CN"\n', 'calendar = "CN"\naccrual_dates = "unadjusted"\n')],
    # review 43b: end_when_repaid (专项计划终止), with a tail of dates to a later legal maturity
    "end_when_repaid_tz": [('legal_maturity = 2025-04-14\n', 'legal_maturity = 2026-04-14\nend_when_repaid = true\n')],
    "end_when_repaid_gdd": [('legal_maturity = 2022-09-13 ', 'end_when_repaid = true\nlegal_maturity = 2023-09-13 ')],
    "end_when_repaid_wenke": [('legal_maturity = 2022-01-26 ', 'end_when_repaid = true\nlegal_maturity = 2023-01-26 ')],
    # a fee paid only on the last date (a final_period step before B's principal): the trial as
    # an ordinary date repays B, the trial as the last may not (docs/conventions.md "Dates and
    # periods")
    "end_final_fee": [(None, '\n[[fees]]\nname = "wind_up"\nkind = "fixed"\namount = 7000000\n'),
                      ('  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n',
                       '  { action = "pay_fee", fees = ["wind_up"], when = "final_period" },\n'
                       '  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n')],
    # review 43b: the accounts deal's call priced at principal plus accrued interest
    # tianzhi with a clean-up call (by pool factor, into `accelerated`), at principal plus accrued
    # interest on its generated loans
    "tz_call": [(None, '\n[clean_up_call]\npool_factor_below = 0.6\nwaterfall = "accelerated"\n')],
    "tz_call_accrued": [('pool_factor_below = 0.6\nwaterfall = "accelerated"\n', 'pool_factor_below = 0.6\nwaterfall = "accelerated"\naccrued_interest = true\n')],
    "call_accrued": [('waterfall = "clean_up"\n', 'waterfall = "clean_up"\naccrued_interest = true\n')],
    # review 43b: tianzhi's bullet A paying its interest with its principal (到期一次还本付息);
    # at_maturity_early: A's expected maturity the third of the four dates
    "at_maturity": [('amortization = "bullet"\nexpected_maturity = 2025-04-14\n',
                     'amortization = "bullet"\nexpected_maturity = 2025-04-14\ninterest_at_maturity = true\n')],
    # A at 30%: deferred interest larger than an accelerated step's cash, and short at maturity
    "at_maturity_rich": [('coupon = 0.022                      # public: 2.2% [G4]\n', 'coupon = 0.30\n')],
    # yongxing's bullet A paying its interest at maturity, the fixed reserve covering it
    "yx_at_maturity": [('amortization = "bullet"             # 到期一次还本',
                        'interest_at_maturity = true\namortization = "bullet"             # 到期一次还本')],
    "at_maturity_early": [('expected_maturity = 2025-04-14\ninterest_at_maturity = true\n',
                           'expected_maturity = 2025-01-14\ninterest_at_maturity = true\n')],
    # review 43b: gdd and wenke with the interest_paid fees above
    "paid_fee": [
        (None, PAID_FEE_A),
        ('"servicer", "other_fixed"] },\n', '"servicer", "other_fixed", "trustee_ip"] },\n', 2),
        (A_INTEREST_THEN_RESERVE, A_INTEREST_THEN_RESERVE.replace(
            '  { action = "top_up_reserve" }', '  { action = "pay_fee", fees = ["trustee_ip"] },\n  { action = "top_up_reserve" }'), 2)],
    # the fee paid half right after A's interest and the rest after A's principal (charged
    # once: the second step adds nothing, docs/deal-format.md "Fee mechanics")
    "paid_fee_twice": [
        ('  { action = "pay_fee", fees = ["trustee_ip"] },\n  { action = "top_up_reserve" },\n',
         '  { action = "pay_fee", fees = ["trustee_ip"], share = 0.5 },\n  { action = "top_up_reserve" },\n', 2),
        ('  { action = "pay_principal", tranches = ["A"] },\n',
         '  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_fee", fees = ["trustee_ip"] },\n')],
    "paid_fee_b": [
        (None, PAID_FEE_B),
        ('  { action = "pay_sub_return", tranche = "B" },\n', '  { action = "pay_sub_return", tranche = "B" },\n  { action = "pay_fee", fees = ["sub_ip"] },\n')],
    # [notices] per_unit = true: the waterfall pays the figures per 100 (docs/auditing.md)
    "per_unit": [(None, NOTICES_PER_UNIT)],
    # the clean-up call exercisable by date instead of by pool factor
    "call_on_or_after": [("pool_factor_below = 0.10\n", "on_or_after = 2020-06-30\n")],
    # a capped guarantee, short on the last date (a fen-odd cap)
    "capped_guarantee": [('covers = ["senior_interest", "senior_principal"]\n',
                          'covers = ["senior_interest", "senior_principal"]\ncap_total = "20000000.55"\n')],
    # review 42a: yongxing's fees on every base kind (a flow base capped per period, one on
    # interest collections a receivable pool never has), a cap_total, a fee starting after date
    # 1, an annual fee and two one_off fees (one without a date), a tax on a balance base, and
    # the reserve covering senior interest only (unpaid fees carried, the cap on charges)
    "fee_mix": [
        ('base = "collections"\n\n[reserve]',
         'base = "collections"\n\n[[taxes]]\nname = "stamp"\nrate = 0.0005\nbase = "senior_balance"\n\n[reserve]'),
        ('rate = 0.0015\nbase = "senior_balance"\n', 'rate = 0.0015\nbase = "senior_balance"\ncap_total = 150000\n'),
        ('rate = 0.0002\nbase = "senior_balance"\n', 'rate = 0.0002\nbase = "issue_size"\n'),
        ('rate = 0.0005\nbase = "pool_balance"\n', 'rate = 0.001\nbase = "collections"\ncap_per_period = 60000\n'),
        ('amount = 40000\n', 'amount = 40000\nstart = 2025-06-01\n' + EXTRA_FEES_YONGXING),
        ('covers = ["taxes", "fees", "senior_interest"]\n\n[[supports]]', 'covers = ["senior_interest"]\n\n[[supports]]'),
        ('taxes = ["vat_discount"] }', 'taxes = ["vat_discount", "stamp"] }', 2),
        ('"servicer", "other_fixed"] }', '"servicer", "other_fixed", "rating", "registration", "trustee", "arrangement"] }', 2)],
    # review 42a: kexue's fees with caps, a tranche base, an end date a paid date passes and
    # the scheduled date does not, annual fees (one due before closing), a one_off fee reached
    # by its paid date; a tax on the issue size; the reserve target reads the next date's fees
    "kexue_fees": [
        ('rate = 0.0015\nbase = "senior_balance"\n', 'rate = 0.0015\nbase = "senior_balance"\ncap_total = 400000\n'),
        ('rate = 0.0002\nbase = "senior_balance"\n', 'rate = 0.0002\nbase = "tranche:B"\n'),
        ('rate = 0.001\nbase = "pool_balance"\n', 'rate = 0.001\nbase = "pool_balance"\ncap_per_period = 100000\n'),
        ('amount = 60000\n', 'amount = 60000\nend = 2022-09-12\n' + EXTRA_FEES_KEXUE),
        ('base = "interest_collections"\n', 'base = "interest_collections"\n\n[[taxes]]\nname = "stamp"\nrate = 0.0001\nbase = "issue_size"\n'),
        ('taxes = ["vat"] }', 'taxes = ["vat", "stamp"] }', 2),
        ('"servicer", "other_fixed"] }', '"servicer", "other_fixed", "rating", "audit", "setup"] }', 2)],
    # review 42a: tianzhi's triggers replaced by every condition tested before the waterfall
    # (two curable), the two after it, stepped thresholds, a trigger selecting `normal`, and
    # conditions on triggers, dates, the pool factor and the default ratio
    # review 42a: kexue's servicer capped per period and split by `cap` into a due part and an
    # excess paid after A's principal; half of two fees paid by a `share` step first
    "fee_parts": [
        ('rate = 0.001\nbase = "pool_balance"\n', 'rate = 0.001\nbase = "pool_balance"\ncap_per_period = 120000\ncap = 80000\n'),
        ('normal = [\n  { action = "pay_tax", taxes = ["vat"] },\n',
         'normal = [\n  { action = "pay_tax", taxes = ["vat"] },\n  { action = "pay_fee", fees = ["servicer", "manager"], share = 0.5 },\n'),
        ('  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_sub_return", tranche = "B" },\n',
         '  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_fee", fees = ["servicer"], part = "excess" },\n  { action = "pay_sub_return", tranche = "B" },\n')],
    "coverage_edge": [(None, COVERAGE_EDGE)],
    # review 42c: docs/conventions.md "The rounding rule" truncate and "Pro rata"
    # largest_remainder (gdd), half_up_last_takes_rest (nanshan)
    "truncate_lr": [('calendar = "CN"\n', 'calendar = "CN"\nrounding = "truncate"\npro_rata_rounding = "largest_remainder"\n')],
    # review 42c: business_day = "preceding": paid dates before their scheduled days
    "preceding": [('business_day = "following"\n', 'business_day = "preceding"\n')],
    # review 42c: gdd's normal waterfall paying A (scheduled) and B (pass-through) pro rata, in
    # proportion to what each can take (docs/conventions.md "The waterfall"); the undertaking
    # draws A's shortfall of its due after the cash (pro rata pay_principal, "Reserve and
    # support draws")
    "pro_rata_principal": [
        ('  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_sub_return", tranche = "B" },\n  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n',
         '  { action = "pay_principal", tranches = ["A", "B"], order = "pro_rata" },\n  { action = "pay_sub_return", tranche = "B" },\n')],
    "half_up_last": [('calendar = "CN"\n', 'calendar = "CN"\npro_rata_rounding = "half_up_last_takes_rest"\n')],
    # review 42c: tianzhi's A with interest_on_shortfall (docs/conventions.md "What falls due")
    "on_shortfall": [('coupon = 0.022                      # public: 2.2% [G4]\n',
                      'coupon = 0.022\ninterest_on_shortfall = true\n')],
    # review 42c: the accounts deal's call exercised on the first date it can, whatever it repays
    "call_anyway": [('pool_factor_below = 0.10\n', 'pool_factor_below = 0.10\nrepays_senior = false\n')],
    # review 42c: the facility repaid after A's principal in `normal`; in `accelerated` its
    # interest before A's interest and the draws of both after A's principal
    "facility": [
        ('covers = ["senior_interest", "senior_principal"]\n\n[waterfalls]', GDD_FACILITY + '\n[waterfalls]'),
        ('  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_sub_return", tranche = "B" },\n',
         '  { action = "pay_principal", tranches = ["A"] },\n  { action = "repay_support", supports = ["gdd_undertaking", "jinkong_guarantee"] },\n  { action = "pay_sub_return", tranche = "B" },\n'),
        ('"other_fixed"] },\n  { action = "pay_interest", tranches = ["A"] },\n  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A"], amount = "available" },\n',
         '"other_fixed"] },\n  { action = "repay_support", supports = ["gdd_undertaking"], repays = "interest" },\n  { action = "pay_interest", tranches = ["A"] },\n  { action = "top_up_reserve" },\n'
         '  { action = "pay_principal", tranches = ["A"], amount = "available" },\n  { action = "repay_support", supports = ["gdd_undertaking", "jinkong_guarantee"], repays = "draws" },\n')],
    # review 42c: the facility failing with SME-02's named default (fails_with)
    "fails_with": [('interest_rate = 0.05\n', 'interest_rate = 0.05\nfails_with = "SME-02 (illustrative)"\n')],
    # review 42c: tianzhi's guarantee a small revolving facility at 4% drawn in `normal` only,
    # its draws repaid after A's interest; the undertaking drawn in `accelerated` only
    "revolving": [
        ('cap_total = 222750000\n', 'cap_total = 1500000\nrevolving_cap = true\ninterest_rate = 0.04\nwaterfalls = ["normal"]\n'),
        ('kind = "shortfall_undertaking"\ncovers = ["senior_interest", "senior_principal"]\n',
         'kind = "shortfall_undertaking"\ncovers = ["senior_interest", "senior_principal"]\nwaterfalls = ["accelerated"]\n'),
        ('  { action = "pay_interest", tranches = ["A"] },\n  { action = "pay_principal", tranches = ["A"] },\n',
         '  { action = "pay_interest", tranches = ["A"] },\n  { action = "repay_support", supports = ["guarantee"] },\n  { action = "pay_principal", tranches = ["A"] },\n')],
    # review 42c: gdd's reserve on a formula (max of a capped share of the senior balance and one
    # period's senior interest and fees), stepped down to a share of the pool from 2021-03-01
    # while defaults stay below 5%, on the balances after the due principal; the normal
    # waterfall deposits before A's principal (release = false) and releases after it
    "reserve_formula": [
        ('target_multiple = 1.0\ninitial = 6500000\n',
         'formula = { max = [ { min = [ { share = 0.03, of = "senior_balance" }, { fixed = 5000000 } ] }, { multiple = 1.0 } ] }\n'
         'step_down = { after = 2021-03-01, default_ratio_below = 0.05, formula = { share = 0.02, of = "pool_balance" } }\n'
         'balances = "after_due_principal"\ninitial = 6500000\n'),
        ('  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A"] },\n',
         '  { action = "top_up_reserve", release = false },\n  { action = "pay_principal", tranches = ["A"] },\n  { action = "release_reserve" },\n')],
    # review 42c: kexue's reserve on the smaller of a share of A and the larger of a fixed amount
    # and a share of the issue size, balances at the step, stepped down to a fixed amount from
    # 2023-03-01 (no default test); `accelerated` only releases, after A's principal
    "reserve_share": [
        ('target_multiple = 1.0\ninitial = 6500000\n',
         'formula = { min = [ { share = 0.03, of = "tranche:A" }, { max = [ { fixed = 1000000 }, { share = 0.015, of = "issue_size" } ] } ] }\n'
         'step_down = { after = 2023-03-01, formula = { fixed = 2000000 } }\ninitial = 6500000\n'),
        ('  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A"], amount = "available" },\n',
         '  { action = "pay_principal", tranches = ["A"], amount = "available" },\n  { action = "release_reserve" },\n')],
    "mezzanine": [
        ('balance = 696000000                 # public [S19]', 'balance = 600000000'),
        ('rating = "AAA"                      # public [S19]\n', 'rating = "AAA"\n' + WENKE_MEZZ_TRANCHE),
        ('covers = ["taxes", "fees", "senior_interest"]\n', 'covers = ["taxes", "fees", "senior_interest", "mezzanine_interest"]\n'),
        ('covers = ["senior_interest", "senior_principal"]\n', 'covers = ["senior_interest", "senior_principal", "mezzanine_principal"]\n'),
        ('  { action = "pay_interest", tranches = ["A"] },\n  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A"] },\n'
         '  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },\n',
         '  { action = "pay_interest", tranches = ["A"] },\n  { action = "pay_interest", tranches = ["M"] },\n  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A"] },\n'
         '  { action = "pay_principal", tranches = ["M"], when = "senior_paid_off" },\n  { action = "pay_principal", tranches = ["B"], when = { paid_off = "M" } },\n  { action = "pay_residual", tranche = "B", when = { paid_off = "M" } },\n'),
        ('  { action = "pay_interest", tranches = ["A"] },\n  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A"], amount = "available" },\n'
         '  { action = "pay_principal", tranches = ["B"], amount = "available", when = "senior_paid_off" },\n  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },\n',
         '  { action = "pay_interest", tranches = ["A", "M"] },\n  { action = "top_up_reserve" },\n  { action = "pay_principal", tranches = ["A", "M", "B"], amount = "available" },\n'
         '  { action = "pay_residual", tranche = "B", when = { paid_off = "M" } },\n'),
        ('[scenario]\nname = "base"', WENKE_MEZZ_TRIGGER.lstrip() + '\n[scenario]\nname = "base"')],
    # review 42c: tianzhi's senior-interest event of default curable (tested after the
    # waterfall, cleared in the row of the date whose waterfall it selected)
    "curable_eod": [(TIANZHI_EOD, TIANZHI_EOD.replace("curable = false", "curable = true"))],
    # review 42c: tianzhi's CDR trigger curable too, and the three event triggers
    "events": [('threshold = 0.10\nwaterfall = "accelerated"\ncurable = false\n',
                'threshold = 0.10\nwaterfall = "accelerated"\ncurable = true\n'),
               ('[scenario]\nname = "base"', EVENT_TRIGGERS.lstrip() + '\n[scenario]\nname = "base"')],
    "licence_growth": [LICENCE_GROWTH],
    # review 42h: tianzhi's A floating on the 1-year LPR (re-fixed at every accrual period's
    # start, floor and cap) and four floating loans: monthly resets (interest only, day count),
    # quarterly resets with a cap (level), listed reset dates one before the cutoff with a floor
    # (equal principal)
    "floating": [
        ('coupon = 0.022                      # public: 2.2% [G4]\n',
         'floating = { index = "lpr_1y", spread = -0.0115, floor = 0.0185, cap = 0.0235 }\n'),
        ('rate = 0.055\nstart_date = 2024-03-18',
         'floating = { index = "lpr_1y", spread = 0.021, reset_every_months = 1, reset_from = 2024-04-18 }\nstart_date = 2024-03-18'),
        ('rate = 0.056\nstart_date = 2024-03-22',
         'floating = { index = "lpr_5y", spread = 0.0175, cap = 0.0565, reset_every_months = 3, reset_from = 2024-06-22 }\nstart_date = 2024-03-22'),
        ('rate = 0.058\nstart_date = 2024-03-15',
         'floating = { index = "lpr_1y", spread = 0.0245, floor = 0.0565, reset_dates = [2024-03-25, 2024-08-15, 2024-12-15] }\nstart_date = 2024-03-15'),
        TIANZHI_INDEX_PATHS],
    # review 42h: a floating level loan without reset dates (re-fixed at every instalment
    # period's start: docs/deal-format.md "Floating rates", "without reset_dates or
    # reset_every_months it is re-fixed at the start of every accrual period")
    "floating_noreset": [
        ('rate = 0.058\nstart_date = 2024-03-25',
         'floating = { index = "lpr_1y", spread = 0.0245 }\nstart_date = 2024-03-25')],
    # review 42h: gdd's A floating on the 5-year LPR reset yearly from 2020-09-11 between a floor
    # and a cap (the reserve's target reads the next period's rate), B's return cap floating on
    # listed reset dates
    "gdd_floating": [
        ('coupon = 0.04                       # public [S12]\n',
         'floating = { index = "lpr_5y", spread = -0.0075, floor = 0.0385, cap = 0.0405, reset_every_months = 12, reset_from = 2020-09-11 }\n'),
        ('coupon = 0.06                       # illustrative cap of the period return (期间收益)\n',
         'floating = { index = "lpr_5y", spread = 0.0125, cap = 0.06, reset_dates = [2020-03-11, 2021-03-11] }\n'),
        GDD_INDEX_PATHS],
    # review 42h: a revolving period on wenke (docs/deal-format.md "[revolving]"): purchases of
    # quarterly level leases at 98% of par from each period's principal collected until
    # 2020-04-26 (a Sunday, paid on the Monday: live by its scheduled date), every trigger an
    # end trigger; the revolving waterfall pays taxes, fees and A's interest, tops up the
    # reserve, then buys
    "revolving_period": [
        ('[waterfalls]\nnormal = [', WENKE_REVOLVING + '\n[waterfalls]\nrevolving = [\n'
         '  { action = "pay_tax", taxes = ["vat"] },\n'
         '  { action = "pay_fee", fees = ["manager", "custodian", "servicer", "other_fixed"] },\n'
         '  { action = "pay_interest", tranches = ["A"] },\n'
         '  { action = "top_up_reserve" },\n'
         '  { action = "buy_assets", spend = "principal_collected" },\n]\nnormal = [')],
    # review 42h F1: the reserve topped up after the purchase: docs/deal-format.md "[revolving]"
    # puts the balance bought in the pool balance at the end of the purchase period, which the
    # target's balance-based fees of k+1 read (docs/conventions.md "Reserve target")
    "reserve_after_buy": [
        ('  { action = "top_up_reserve" },\n  { action = "buy_assets", spend = "principal_collected" },\n',
         '  { action = "buy_assets", spend = "principal_collected" },\n  { action = "top_up_reserve" },\n')],
    # review 42h: buying with all the cash held (spend = "available"), a price above par, an
    # equal-principal monthly loan template with day-count accrual, a named obligor
    "revolving_available": [
        ('{ action = "buy_assets", spend = "principal_collected" }', '{ action = "buy_assets", spend = "available" }'),
        ('price = 0.98\n', 'price = 1.0125\nobligor = "循环购买"\n'),
        ('asset = { kind = "lease", rate = 0.065, term = 4, frequency = "quarterly", repayment = "level" }',
         'asset = { kind = "loan", rate = 0.07, term = 9, frequency = "monthly", repayment = "equal_principal", accrual = "day_count" }')],
    # review 42h: income on cash held (docs/conventions.md "Income on cash held")
    "reinvest": [('calendar = "CN"\n', 'calendar = "CN"\nreinvestment_rate = 0.025\n')],
    # review 43a: the mezzanine paid in full on the ultimate test (docs/breakeven.md
    # "Definitions", Paid in full; docs/deal-format.md "[[tranches]]" payment_test)
    "mezz_ultimate": [('class = "mezzanine"\nbalance = 96000000\n',
                       'class = "mezzanine"\nbalance = 96000000\npayment_test = "ultimate"\n')],
    # review 43a: nanshan's two triggers in the other file order, the one tested after the
    # waterfall first (docs/output.md `first_trigger`: on its first date one tested before the
    # waterfall before one tested after it)
    "triggers_swapped": [(NANSHAN_CDR_TRIGGER + "\n" + NANSHAN_EOD_TRIGGER,
                          NANSHAN_EOD_TRIGGER + "\n" + NANSHAN_CDR_TRIGGER)],
    # review 43a: the senior EoD replaced by one on senior principal left at legal maturity,
    # tested after the waterfall: under a full delay without support it first trips after the
    # run's last waterfall (docs/output.md `first_trigger`, `triggers_tripped`)
    "legal_maturity_eod": [(TIANZHI_TRIGGERS, TIANZHI_TRIGGERS.split("\n[[triggers]]")[0] + "\n" + '''
[[triggers]]
name = "eod_legal_maturity"
kind = "event_of_default"
condition = "senior_outstanding_after_legal_maturity"
waterfall = "accelerated"
''')],
    "triggers_mix": [
        ('  { action = "pay_principal", tranches = ["A"] },\n  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },\n  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },\n]\naccelerated',
         '  { action = "pay_principal", tranches = ["A"] },\n' + TRIGGERS_MIX_NORMAL + ']\naccelerated'),
        ('  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },\n]\n\n[[triggers]]',
         '  { action = "pay_residual", tranche = "B", when = { all = ["senior_paid_off", { any = [{ not = { cumulative_default_ratio_above = 0.15 } }, { before = 2025-01-01 }] }] } },\n]\n\n[[triggers]]'),
        (TIANZHI_TRIGGERS, TRIGGERS_MIX)],
}


def with_variants(text, variants, deal):
    """`text` (the file `deal` of deals/) with the edits of `variants` (VARIANTS), in order:
    (old, new) replaces the one occurrence of `old`, (old, new, n) its n occurrences, (None,
    text) appends; an edit that does not find its text is an error. The run and reconcile
    oracles' one reading of a variant."""
    for v in variants:
        for old, new, *times in VARIANTS[v]:
            if old is None:
                text += new
            else:
                n = times[0] if times else 1
                if text.count(old) != n:
                    raise ValueError(f"variant {v}: {old!r} occurs {text.count(old)} times in {deal}")
                text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Case:
    name: str
    deal: str                 # a file of deals/
    scenario: str = None      # a file of tests/oracle/scenarios/, or the deal's [scenario]
    variants: tuple = ()
    ledger: bool = True       # compare ledger.parquet too

    def deal_text(self):
        return with_variants((REPO / "deals" / self.deal).read_text(encoding="utf-8"),
                             self.variants, self.deal)

    def scenario_path(self):
        return None if self.scenario is None else SCENARIOS / self.scenario


NANSHAN = "nanshan_gaoxintou_5_2022.toml"
GDD = "gdd_patent_licence_2019.toml"
WENKE = "wenke_leasing_1_2018.toml"
ACCOUNTS = "wenke_leasing_1_accounts_2018.toml"
YONGXING = "yongxing_guofu_ningbo_2024.toml"
XUHUI = "xuhui_caohejing_1_2024.toml"
RUGAO = "rugao_data_1_2025.toml"
TIANZHI = "tianzhi_1_2024.toml"
KEXUE = "kexue_trademark_2021.toml"


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
    # the receivables deals (review 42a): receivables, a tax on `collections`, a fixed reserve
    # target, a bullet senior; xuhui and rugao share yongxing's dates and structure
    out.append(Case("yongxing/base", YONGXING))
    for s in ("defaults_accel", "full_delay_no_support"):
        out.append(Case(f"yongxing/{s}", YONGXING, f"yongxing_{s}.toml"))
    out.append(Case("yongxing+per_unit/base", YONGXING, variants=("per_unit",)))
    out.append(Case("yongxing+per_unit/full_delay_no_support", YONGXING,
                    "yongxing_full_delay_no_support.toml", ("per_unit",)))
    out.append(Case("xuhui/base", XUHUI))
    for s in ("cdr_curve_delay", "named_boundaries"):
        out.append(Case(f"xuhui/{s}", XUHUI, f"xuhui_{s}.toml"))
    out.append(Case("rugao/base", RUGAO))
    out.append(Case("rugao/heavy_support", RUGAO, "rugao_heavy_support.toml"))
    # tianzhi: nanshan's generated loans under a capped senior guarantee and an undertaking
    out.append(Case("tianzhi/base", TIANZHI))
    for s in ("cdr_cpr_named", "guarantor_fails"):
        out.append(Case(f"tianzhi/{s}", TIANZHI, f"tianzhi_{s}.toml"))
    # kexue: gdd's structure with a generated licence-fee table (an implied rate)
    out.append(Case("kexue/base", KEXUE))
    for s in ("two_defaults", "cdr_curve_delay"):
        out.append(Case(f"kexue/{s}", KEXUE, f"kexue_{s}.toml"))
    # review 42a: the fee, tax, trigger and condition features none of the example deals uses
    out.append(Case("yongxing+fee_mix/base", YONGXING, variants=("fee_mix",)))
    out.append(Case("yongxing+fee_mix/full_delay_no_support", YONGXING,
                    "yongxing_full_delay_no_support.toml", ("fee_mix",)))
    out.append(Case("kexue+fees/base", KEXUE, variants=("kexue_fees",)))
    out.append(Case("kexue+fees/cdr_curve_delay", KEXUE, "kexue_cdr_curve_delay.toml", ("kexue_fees",)))
    for s in (None, "cdr_curve_delay", "full_delay"):
        out.append(Case(f"kexue+fee_parts/{s or 'base'}", KEXUE, s and f"kexue_{s}.toml", ("fee_parts",)))
    out.append(Case("tianzhi+coverage_edge/base", TIANZHI, variants=("coverage_edge",)))
    for s in (None, "two_defaults"):
        out.append(Case(f"kexue+licence_growth/{s or 'base'}", KEXUE, s and f"kexue_{s}.toml",
                        ("licence_growth",)))
    for s in (None, "cdr_cpr_named", "guarantor_fails", "full_delay_no_support"):
        out.append(Case(f"tianzhi+triggers/{s or 'base'}", TIANZHI,
                        s and f"tianzhi_{s}.toml", ("triggers_mix",)))
    # review 42c: curable triggers tested after the waterfall; event triggers
    for s in (None, "full_delay_no_support", "trip_cure_twice", "all_default_recover", "cdr_cpr_named"):
        out.append(Case(f"tianzhi+curable_eod/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml",
                        ("curable_eod",)))
    for s in ("events_until", "events_open", "events_paid_until", "events_none"):
        out.append(Case(f"tianzhi+events/{s}", TIANZHI, f"tianzhi_{s}.toml", ("events",)))
    # review 42c: a mezzanine tranche
    out.append(Case("wenke+mezzanine/base", WENKE, variants=("mezzanine",)))
    for s in ("heavy_no_support", "heavy_support", "cdr_cpr_named", "late_defaults_no_support"):
        out.append(Case(f"wenke+mezzanine/{s}", WENKE, f"wenke_{s}.toml", ("mezzanine",)))
    # review 42c: reserve target formulas, step_down, after_due_principal, release_reserve
    for s in (None, "two_defaults", "mass_default_support", "cdr_alone", "eod_first"):
        out.append(Case(f"gdd+reserve_formula/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("reserve_formula",)))
    for s in (None, "two_defaults", "cdr_curve_delay", "full_delay"):
        out.append(Case(f"kexue+reserve_share/{s or 'base'}", KEXUE, s and f"kexue_{s}.toml", ("reserve_share",)))
    # review 42c: supports' cap_per_period, backs, interest_rate, revolving_cap, waterfalls,
    # fails_with, and repay_support steps
    for s in (None, "two_defaults", "mass_default_support", "mass_default_no_support", "undertaking_fails",
              "delay_support"):
        out.append(Case(f"gdd+facility/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("facility",)))
    out.append(Case("gdd+facility+fails_with/two_defaults", GDD, "gdd_two_defaults.toml", ("facility", "fails_with")))
    for s in (None, "full_delay", "cdr_cpr_named"):
        out.append(Case(f"tianzhi+revolving/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("revolving",)))
    for s in ("full_delay", "guarantor_fails"):
        out.append(Case(f"tianzhi+revolving+curable_eod/{s}", TIANZHI, f"tianzhi_{s}.toml", ("revolving", "curable_eod")))
    # review 42c: rounding and pro rata rules, interest on shortfalls, coupon_shift, the call
    # without its trial
    for s in (None, "eod_first", "total_default_tiny_recovery", "cdr_curve_named", "coupon_shift"):
        out.append(Case(f"gdd+truncate_lr/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("truncate_lr",)))
    out.append(Case("gdd/coupon_shift", GDD, "gdd_coupon_shift.toml"))
    for s in (None, "no_support", "cdr_cpr"):
        out.append(Case(f"nanshan+half_up_last/{s or 'base'}", NANSHAN, s and f"nanshan_{s}.toml", ("half_up_last",)))
    for s in ("full_delay_no_support", "trip_cure_twice", "coupon_shift_delay"):
        out.append(Case(f"tianzhi+on_shortfall/{s}", TIANZHI, f"tianzhi_{s}.toml", ("on_shortfall",)))
    out.append(Case("wenke+mezzanine/coupon_shift", WENKE, "wenke_coupon_shift.toml", ("mezzanine",)))
    for s in ("two_defaults_no_support", "heavy", "cdr_cpr"):
        out.append(Case(f"accounts+call_anyway/{s}", ACCOUNTS, f"accounts_{s}.toml", ("call_anyway",)))
    out.append(Case("accounts+per_unit+call_anyway/two_defaults_no_support", ACCOUNTS,
                    "accounts_two_defaults_no_support.toml", ("call_anyway", "per_unit")))
    # review 42c: paid dates before their scheduled days (preceding) under events, a reserve
    # step-down date, fee windows and the mezzanine
    for s in ("events_until", "events_open", "events_paid_until", "events_between"):
        out.append(Case(f"tianzhi+events+preceding/{s}", TIANZHI, f"tianzhi_{s}.toml", ("events", "preceding")))
    for s in (None, "cdr_alone"):
        out.append(Case(f"gdd+reserve_formula+preceding/{s or 'base'}", GDD, s and f"gdd_{s}.toml",
                        ("reserve_formula", "preceding")))
    out.append(Case("kexue+fees+preceding/base", KEXUE, variants=("kexue_fees", "preceding")))
    out.append(Case("wenke+mezzanine+preceding/late_defaults_no_support", WENKE,
                    "wenke_late_defaults_no_support.toml", ("mezzanine", "preceding")))
    # review 42c: a pro rata pay_principal
    for s in (None, "two_defaults", "mass_default_support", "delay_support", "cdr_alone"):
        out.append(Case(f"gdd+pro_rata_principal/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("pro_rata_principal",)))
    # review 42h: floating tranches and loans, index paths, index_shift, coupon_shift
    for s in (None, "index_up", "index_path", "index_cdr", "cdr_cpr_named", "coupon_shift_delay"):
        out.append(Case(f"tianzhi+floating/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("floating",)))
    for s in (None, "index_path"):
        out.append(Case(f"tianzhi+floating_noreset/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml",
                        ("floating", "floating_noreset")))
    for s in (None, "index_down", "index_up", "coupon_shift", "two_defaults", "mass_default_support"):
        out.append(Case(f"gdd+floating/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("gdd_floating",)))
    out.append(Case("gdd+floating+per_unit/index_down", GDD, "gdd_index_down.toml", ("gdd_floating", "per_unit")))
    # review 42h: revolving periods
    for s in (None, "cdr_cpr_named", "heavy_no_support", "revolving_cuts", "revolving_curve"):
        out.append(Case(f"wenke+revolving/{s or 'base'}", WENKE, s and f"wenke_{s}.toml", ("revolving_period",)))
    out.append(Case("wenke+revolving+reserve_after_buy/base", WENKE, None, ("revolving_period", "reserve_after_buy")))
    for s in (None, "revolving_cuts", "delay_cdr_cpr"):
        out.append(Case(f"wenke+revolving_available/{s or 'base'}", WENKE, s and f"wenke_{s}.toml",
                        ("revolving_period", "revolving_available")))
    # review 42h: reinvestment_rate, with the collection account alone and with named accounts
    for s in (None, "two_defaults", "mass_default_support"):
        out.append(Case(f"gdd+reinvest/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("reinvest",)))
    for s in (None, "heavy", "delay_support"):
        out.append(Case(f"accounts+reinvest/{s or 'base'}", ACCOUNTS, s and f"accounts_{s}.toml", ("reinvest",)))
    out.append(Case("wenke+revolving+reinvest/revolving_cuts", WENKE, "wenke_revolving_cuts.toml",
                    ("revolving_period", "reinvest")))
    # review 43b: fees on interest_paid:<name>
    for s in (None, "two_defaults", "mass_default_no_support", "eod_first", "undertaking_fails",
              "mass_default_support", "delay_support"):
        out.append(Case(f"gdd+paid_fee/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("paid_fee", "paid_fee_b")))
    for s in (None, "mass_default_no_support"):
        out.append(Case(f"gdd+paid_fee_twice/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("paid_fee", "paid_fee_twice")))
    for s in (None, "heavy_no_support"):
        out.append(Case(f"wenke+paid_fee/{s or 'base'}", WENKE, s and f"wenke_{s}.toml", ("paid_fee",)))
        out.append(Case(f"wenke+paid_fee+per_unit/{s or 'base'}", WENKE, s and f"wenke_{s}.toml", ("paid_fee", "per_unit")))
    # review 43b: interest_at_maturity
    for s in (None, "cdr_cpr_named", "guarantor_fails", "full_delay_no_support", "all_default_recover",
              "full_delay", "trip_cure_twice"):
        out.append(Case(f"tianzhi+at_maturity/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("at_maturity",)))
    for s in (None, "cdr_cpr_named", "full_delay_no_support"):
        out.append(Case(f"tianzhi+at_maturity_early/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml",
                        ("at_maturity", "at_maturity_early")))
    # review 43b: the call's accrued_interest (with prepayments and defaults, B < C; by date; the
    # trial failing first; without the trial; per_unit)
    for s in (None, "lessee06_default_call", "cdr_cpr", "two_defaults_accel", "delay_support"):
        out.append(Case(f"accounts+call_accrued/{s or 'base'}", ACCOUNTS, s and f"accounts_{s}.toml", ("call_accrued",)))
    for s in (None, "call_offered_again"):
        out.append(Case(f"accounts+call_accrued+call_on_or_after/{s or 'base'}", ACCOUNTS, s and f"accounts_{s}.toml",
                        ("call_accrued", "call_on_or_after")))
    for s in ("two_defaults_no_support", "heavy"):
        out.append(Case(f"accounts+call_accrued+call_anyway/{s}", ACCOUNTS, f"accounts_{s}.toml", ("call_accrued", "call_anyway")))
    for s in (None, "cdr_cpr"):
        out.append(Case(f"accounts+call_accrued+per_unit/{s or 'base'}", ACCOUNTS, s and f"accounts_{s}.toml",
                        ("call_accrued", "per_unit")))
    # review 43b: end_when_repaid
    for s in (None, "cdr_cpr_named", "full_delay_no_support", "all_default_recover", "guarantor_fails"):
        out.append(Case(f"tianzhi+end_when_repaid/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("end_when_repaid_tz",)))
    for s in (None, "two_defaults", "mass_default_no_support", "delay_curve"):
        out.append(Case(f"gdd+end_when_repaid/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("end_when_repaid_gdd",)))
    for s in (None, "cdr_cpr_named", "heavy_no_support"):
        out.append(Case(f"wenke+end_when_repaid/{s or 'base'}", WENKE, s and f"wenke_{s}.toml", ("end_when_repaid_wenke",)))
    for s in (None, "cdr_cpr_named", "full_delay_no_support"):
        out.append(Case(f"tianzhi+end_when_repaid+final_fee/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml",
                        ("end_when_repaid_tz", "end_final_fee")))
    out.append(Case("tianzhi+end_when_repaid+at_maturity/base", TIANZHI, None, ("end_when_repaid_tz", "at_maturity")))
    out.append(Case("gdd+end_when_repaid+per_unit/base", GDD, None, ("end_when_repaid_gdd", "per_unit")))
    # review 43b: listed payment dates and collection ends, previous_month_end, unadjusted accrual
    for s in (None, "two_defaults", "mass_default_support", "cdr_curve_timing"):
        out.append(Case(f"gdd+listed_dates/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("listed_dates",)))
    for s in (None, "delay_curve", "cdr_curve_named"):
        out.append(Case(f"gdd+listed_dates+collection_ends/{s or 'base'}", GDD, s and f"gdd_{s}.toml",
                        ("listed_dates", "collection_ends")))
    for s in (None, "two_defaults"):
        out.append(Case(f"gdd+month_end_dates+prev_month_end/{s or 'base'}", GDD, s and f"gdd_{s}.toml",
                        ("month_end_dates", "prev_month_end")))
    for s in (None, "delay_curve"):
        out.append(Case(f"gdd+prev_month_end/{s or 'base'}", GDD, s and f"gdd_{s}.toml", ("prev_month_end",)))
    out.append(Case("gdd+month_end_dates+unadjusted_accrual/base", GDD, None, ("month_end_dates", "unadjusted_accrual")))
    out.append(Case("gdd+listed_dates+unadjusted_accrual/two_defaults", GDD, "gdd_two_defaults.toml",
                    ("listed_dates", "unadjusted_accrual")))
    for s in (None, "heavy_no_support", "cdr_cpr_named"):
        out.append(Case(f"wenke+unadjusted_accrual/{s or 'base'}", WENKE, s and f"wenke_{s}.toml", ("unadjusted_accrual",)))
    out.append(Case("wenke+unadjusted_accrual+per_unit/base", WENKE, None, ("unadjusted_accrual", "per_unit")))
    for s in (None, "cdr_curve_delay"):
        out.append(Case(f"kexue+fees+unadjusted_accrual/{s or 'base'}", KEXUE, s and f"kexue_{s}.toml",
                        ("kexue_fees", "unadjusted_accrual")))
    out.append(Case("kexue+fees+preceding+unadjusted_accrual/base", KEXUE, None, ("kexue_fees", "preceding", "unadjusted_accrual")))
    # review 43b: scenario overrides
    for s in ("overrides", "overrides_timing"):
        out.append(Case(f"gdd/{s}", GDD, f"gdd_{s}.toml"))
    out.append(Case("gdd+listed_dates+collection_ends/overrides", GDD, "gdd_overrides.toml", ("listed_dates", "collection_ends")))
    out.append(Case("wenke/overrides", WENKE, "wenke_overrides.toml"))
    out.append(Case("accounts/overrides", ACCOUNTS, "wenke_overrides.toml"))
    out.append(Case("accounts+call_accrued/overrides", ACCOUNTS, "wenke_overrides.toml", ("call_accrued",)))
    out.append(Case("wenke+end_when_repaid/overrides", WENKE, "wenke_overrides.toml", ("end_when_repaid_wenke",)))
    # review 43b: a call on tianzhi: interest_at_maturity falling due on the call date, the
    # accrued interest of generated loans, end_when_repaid beside the call
    for s in (None, "cdr_cpr_named", "full_delay"):
        out.append(Case(f"tianzhi+call+at_maturity/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("at_maturity", "tz_call")))
        out.append(Case(f"tianzhi+call_accrued/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("tz_call", "tz_call_accrued")))
    out.append(Case("tianzhi+call_accrued+end_when_repaid/base", TIANZHI, None, ("tz_call", "tz_call_accrued", "end_when_repaid_tz")))
    # the trigger mix (coverage_below on an undefined multiple before maturity, a curable
    # senior_interest_shortfall) with deferred interest
    for s in (None, "cdr_cpr_named", "full_delay_no_support"):
        out.append(Case(f"tianzhi+triggers+at_maturity/{s or 'base'}", TIANZHI, s and f"tianzhi_{s}.toml", ("triggers_mix", "at_maturity")))
    for s in ("full_delay_no_support", "trip_cure_twice"):
        out.append(Case(f"tianzhi+curable_eod+at_maturity/{s}", TIANZHI, f"tianzhi_{s}.toml", ("curable_eod", "at_maturity")))
    for s in (None, "defaults_accel", "full_delay_no_support"):
        out.append(Case(f"yongxing+at_maturity/{s or 'base'}", YONGXING, s and f"yongxing_{s}.toml", ("yx_at_maturity",)))
    # trip_cure_twice: its date 2 pays part of the deferred interest (review 43b F1)
    for s in ("all_default_recover", "cdr_cpr_named", "full_delay_no_support", "guarantor_fails",
              "trip_cure_twice"):
        out.append(Case(f"tianzhi+at_maturity_rich/{s}", TIANZHI, f"tianzhi_{s}.toml", ("at_maturity", "at_maturity_rich")))
    # review 43b: unadjusted accrual for a support's interest and the income on cash held
    # (docs/conventions.md "Repaying a support", "Income on cash held": the accrual period's yf)
    for s in ("two_defaults", "mass_default_support"):
        out.append(Case(f"gdd+facility+unadjusted_accrual/{s}", GDD, f"gdd_{s}.toml", ("facility", "unadjusted_accrual")))
    out.append(Case("gdd+reinvest+unadjusted_accrual/base", GDD, None, ("reinvest", "unadjusted_accrual")))
    # review 43a: summary.parquet's pricing (docs/scenarios.md "[pricing]"; docs/output.md
    # "summary.parquet"; docs/analytics.md) and the ultimate payment test
    out.append(Case("nanshan+triggers_swapped/no_support", NANSHAN, "nanshan_no_support.toml",
                    ("triggers_swapped",)))
    out.append(Case("tianzhi+legal_maturity_eod/full_delay_no_support", TIANZHI,
                    "tianzhi_full_delay_no_support.toml", ("legal_maturity_eod",)))
    out.append(Case("gdd/pricing_flat", GDD, "gdd_pricing_flat.toml"))
    out.append(Case("gdd/pricing_curve", GDD, "gdd_pricing_curve.toml"))
    out.append(Case("gdd+pro_rata_principal/pricing_repaid", GDD, "gdd_pricing_repaid.toml", ("pro_rata_principal",)))
    for s in ("pricing_loss", "pricing_loss_price"):
        out.append(Case(f"tianzhi+triggers/{s}", TIANZHI, f"tianzhi_{s}.toml", ("triggers_mix",)))
    for s in ("late_defaults_no_support", "heavy_no_support"):
        out.append(Case(f"wenke+mezzanine+ultimate/{s}", WENKE, f"wenke_{s}.toml", ("mezzanine", "mezz_ultimate")))
    return out


CASES = _cases()
