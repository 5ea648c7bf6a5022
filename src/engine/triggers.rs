//! Triggers (加速清偿事件, 违约事件): when each condition is tested, and the one place it is
//! tested.
//!
//! Every [`TriggerCondition`] has a [`Phase`]; `Run::test_triggers` evaluates the conditions
//! of one phase with an exhaustive match, so a new condition cannot silently never fire.
//! Ratios are compared with their thresholds exactly (a cross-multiplication), never after
//! rounding; the rounded ratios are only reported.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::state::Run;
use crate::deal::{TrancheClass, TriggerCondition, TriggerKind};
use crate::money::Fen;
use crate::money::rational::{cmp_fen_ratio, cmp_ratio};

/// When a trigger condition is tested on a payment date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// After what is due is known and before the waterfall: the trigger selects this payment
    /// date's waterfall.
    BeforeWaterfall,
    /// After the waterfall: the trigger looks at what was paid and selects the waterfall from
    /// the next payment date.
    AfterWaterfall,
}

/// The phase in which `condition` is tested.
pub fn phase(condition: &TriggerCondition) -> Phase {
    match condition {
        TriggerCondition::CumulativeDefaultRatioAbove(_)
        | TriggerCondition::CoverageBelow(_)
        | TriggerCondition::PoolToSeniorBelow(_)
        | TriggerCondition::SupportFailed(_)
        | TriggerCondition::Event(_) => Phase::BeforeWaterfall,
        TriggerCondition::SeniorInterestShortfall
        | TriggerCondition::TopClassInterestShortfall
        | TriggerCondition::SeniorOutstandingAfterLegalMaturity => Phase::AfterWaterfall,
    }
}

impl Run<'_> {
    /// Tranche `i`'s interest due on this date and not paid, less the per-unit 尾差 that
    /// `[notices] per_unit` carries by design (the engine's side of
    /// [`super::result::TrancheFlowRow::interest_unpaid`]).
    pub(super) fn interest_unpaid(&self, i: usize) -> Fen {
        self.due.interest[i] - self.paid.interest[i] - self.paid.unit_residual[i]
    }

    /// Tests every trigger of `phase` on the current payment date and updates which are
    /// tripped: a curable trigger follows its condition, any other stays tripped once hit.
    pub(super) fn test_triggers(&mut self, phase: Phase) {
        for (ti, trig) in self.deal.triggers.iter().enumerate() {
            if self::phase(&trig.condition) != phase {
                continue;
            }
            // Without steps the condition stands as it is: testing it through `condition_on`
            // too costs a full run about 1,200 instructions (0.35–0.45%, callgrind, session 34).
            let hit = if trig.threshold_steps.is_empty() {
                self.condition_holds(&trig.condition)
            } else {
                self.condition_holds(&trig.condition_on(&self.deal.periods[self.k]))
            };
            self.tripped[ti] = if trig.curable {
                hit
            } else {
                self.tripped[ti] || hit
            };
            if hit && self.first_trip.is_none() {
                self.first_trip = Some((ti, self.k));
            }
            if hit && self.first_unplanned.is_none() && !trig.trips_by_design {
                self.first_unplanned = Some((ti, self.k));
            }
        }
    }

    /// Tests the after-waterfall triggers of the current date again, from the state before
    /// their first test: for a date whose payments were restated to what the trustee reported
    /// (a senior interest shortfall reported where the waterfall paid in full trips an event of
    /// default; a full payment reported where the waterfall fell short does not).
    /// The revolving period ends again only if a trigger it names is then tripped.
    pub(super) fn retest_triggers(&mut self) {
        let before = std::mem::take(&mut self.tripped_before);
        for (ti, trig) in self.deal.triggers.iter().enumerate() {
            if self::phase(&trig.condition) == Phase::AfterWaterfall {
                self.tripped[ti] = before[ti];
            }
        }
        self.tripped_before = before;
        self.revolving_over = self.revolving_over_before;
        // A first trip this date's after-waterfall test recorded is tested again too (review
        // 42f: `summary.first_trigger` named a trigger the restatement had cleared).
        let k = self.k;
        let deal = self.deal;
        let again = |first: Option<(usize, usize)>| {
            first.filter(|&(t, at)| {
                !(at == k && self::phase(&deal.triggers[t].condition) == Phase::AfterWaterfall)
            })
        };
        self.first_trip = again(self.first_trip);
        self.first_unplanned = again(self.first_unplanned);
        self.test_triggers(Phase::AfterWaterfall);
    }

    /// Whether `condition` holds now (exact comparisons).
    fn condition_holds(&self, condition: &TriggerCondition) -> bool {
        let k = self.k;
        match *condition {
            TriggerCondition::CumulativeDefaultRatioAbove(x) => {
                let cash = &self.pool.periods[k];
                let initial = self.pool.initial_balance;
                // cumulative / initial > x; a pool of zero has ratio 0.
                if initial > Decimal::ZERO {
                    cmp_ratio(cash.cumulative_defaults, initial, x) == Ordering::Greater
                } else {
                    Decimal::ZERO > x
                }
            }
            TriggerCondition::CoverageBelow(x) => self
                .senior_coverage()
                .is_some_and(|(num, den)| den > 0 && cmp_fen_ratio(num, den, x).is_lt()),
            // The performing pool at the collection period's end over the senior balance
            // before this date's payments (超额抵押).
            TriggerCondition::PoolToSeniorBelow(x) => {
                let senior = self.senior_balance();
                senior > 0 && cmp_fen_ratio(self.cash.balance_end, senior, x).is_lt()
            }
            TriggerCondition::SeniorInterestShortfall => {
                self.senior.iter().any(|&i| self.interest_unpaid(i) > 0)
            }
            TriggerCondition::TopClassInterestShortfall => {
                // The most senior class with a balance before the date's payments (review 26d
                // item M2: after the senior's repayment a mezzanine unpaid tripped nothing).
                let tranches = &self.deal.tranches;
                let before = |i: usize| self.balance[i] + self.paid.principal[i] > 0;
                [TrancheClass::Senior, TrancheClass::Mezzanine]
                    .into_iter()
                    .find(|&c| (0..tranches.len()).any(|i| tranches[i].class == c && before(i)))
                    .is_some_and(|c| {
                        (0..tranches.len()).any(|i| {
                            tranches[i].class == c && before(i) && self.interest_unpaid(i) > 0
                        })
                    })
            }
            // A provider that fails (`support_failures`); a support the scenario switches off
            // (`supports_off`: the deal rated on its pool alone) is absent, not failed (review
            // 29b item 2: it tripped the trigger from the first date).
            TriggerCondition::SupportFailed(s) => match s {
                Some(s) => self.support_failed.get(s).is_some_and(|&f| f),
                None => self.support_failed.iter().any(|&f| f),
            },
            // An event the scenario dates on or before this payment date and not over by it
            // (`events`).
            TriggerCondition::Event(e) => self
                .scenario
                .events
                .iter()
                .any(|x| x.event == e && x.holds_on(self.date)),
            TriggerCondition::SeniorOutstandingAfterLegalMaturity => {
                let p = &self.deal.periods[k];
                let legal = self.deal.legal_maturity;
                let past_legal = p.date() >= legal || p.payment.unadjusted >= legal;
                past_legal && self.senior_balance() > 0
            }
        }
    }

    /// The waterfall selected by the tripped triggers: an event of default beats an
    /// acceleration event; within a kind, the first trigger in file order wins.
    pub(super) fn active_waterfall(&self) -> usize {
        let mut best: Option<(TriggerKind, usize)> = None;
        for (t, trig) in self.deal.triggers.iter().enumerate() {
            if self.tripped[t] && best.is_none_or(|(k, _)| trig.kind > k) {
                best = Some((trig.kind, trig.waterfall));
            }
        }
        best.map_or(0, |(_, w)| w)
    }
}
