//! Step conditions (`when`): evaluated on the current payment date, after the earlier steps
//! of the waterfall. Ratios are compared with their thresholds exactly.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::state::Run;
use crate::deal::StepCondition;
use crate::money::rational::cmp_ratio;

impl Run<'_> {
    /// Whether this is the last payment date of the run: the deal's last, the clean-up call
    /// date, or the date that repays every tranche with `end_when_repaid` ([`Run::ending`]).
    pub(super) fn is_final(&self) -> bool {
        self.k + 1 == self.deal.periods.len() || self.called || self.ending
    }

    /// Whether the payment date is on or after `d` (adjusted or unadjusted).
    pub(super) fn on_or_after(&self, d: chrono::NaiveDate) -> bool {
        let p = &self.deal.periods[self.k];
        p.date() >= d || p.payment.unadjusted >= d
    }

    /// Whether `c` holds now.
    pub(super) fn holds(&self, c: &StepCondition) -> bool {
        let pc = &self.pool.periods[self.k];
        let initial = self.pool.initial_balance;
        match c {
            StepCondition::SeniorPaidOff => self.senior_balance() == 0,
            StepCondition::FinalPeriod => self.is_final(),
            StepCondition::PaidOff(ix) => ix.iter().all(|&i| self.balance[i] == 0),
            StepCondition::OnOrAfter(d) => self.on_or_after(*d),
            StepCondition::Before(d) => !self.on_or_after(*d),
            StepCondition::Trigger(t) => self.tripped.get(*t).copied().unwrap_or(false),
            StepCondition::PoolFactorBelow(x) => {
                initial > Decimal::ZERO && cmp_ratio(pc.balance_end, initial, *x) == Ordering::Less
            }
            StepCondition::CumulativeDefaultRatioAbove(x) => {
                initial > Decimal::ZERO
                    && cmp_ratio(pc.cumulative_defaults, initial, *x) == Ordering::Greater
            }
            StepCondition::All(v) => v.iter().all(|c| self.holds(c)),
            StepCondition::Any(v) => v.iter().any(|c| self.holds(c)),
            StepCondition::Not(c) => !self.holds(c),
        }
    }
}
