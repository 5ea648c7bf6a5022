//! Reserve target formulas, the step-down, and depositing or releasing the reserve in separate
//! steps (docs/conventions.md, "Reserve target").

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::due::BaseSource;
use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::deal::{Base, FeeKind, StepDown, TargetFormula};
use crate::money::rational::cmp_ratio;
use crate::money::{Fen, Ratio, to_fen};

impl Run<'_> {
    /// The next payment date's senior interest on today's balances (without arrears) plus its
    /// fees (uncapped; fees on collections count as zero; a fee whose `start` or `end` keeps
    /// it from running on that date counts as zero, since session 28, review 28c item 4), in
    /// fen: what `target_multiple` and a formula's `multiple` multiply. Only called before the
    /// last payment date.
    pub(super) fn next_senior_interest_and_fees(&self) -> Fen {
        let deal = self.deal;
        let k = self.k;
        let next = deal.periods[k + 1];
        let src = BaseSource {
            cash: None,
            pool_balance: self.cash.balance_end,
            year: self.year_fraction[k + 1],
        };
        let after_due = self.reserve_after_due();
        let mut need: Fen = 0;
        for &i in self.senior {
            // The next date's interest on today's balance, without arrears.
            let coupon = match &self.lookahead_coupons {
                Some((last, c)) if *last == k => c[i],
                _ => self.coupon_rate(i, k + 1),
            };
            need += self.money(self.target_balance(i, after_due), &[coupon], src.year);
        }
        for (j, fee) in deal.fees.iter().enumerate() {
            if !fee.active_on(&next) {
                continue;
            }
            let one_off_due = match fee.kind {
                FeeKind::OneOff { date, .. } => !self.one_off_done[j] && next.reached(date),
                _ => false,
            };
            // A fee on a tranche's or the senior balance reads them as the target does
            // (`Run::charge_on` reads them as they stand, which every date's own fees need).
            need += match (after_due, &fee.kind) {
                (Some(_), &FeeKind::AnnualRate { rate, base }) => match base {
                    Base::Tranche(i) => {
                        self.money(self.target_balance(i, after_due), &[rate], src.year)
                    }
                    Base::SeniorBalance => {
                        self.money(self.target_senior_balance(after_due), &[rate], src.year)
                    }
                    _ => self.fee_charge(j, k + 1, &src, one_off_due),
                },
                _ => self.fee_charge(j, k + 1, &src, one_off_due),
            };
        }
        need
    }

    /// The senior balance as a reserve target reads it ([`Run::target_balance`]).
    pub(super) fn target_senior_balance(&self, after_due: Option<usize>) -> Fen {
        self.senior
            .iter()
            .map(|&i| self.target_balance(i, after_due))
            .sum()
    }

    /// This payment date, when the reserve target reads the balances after its due principal
    /// (`[reserve] balances = "after_due_principal"`).
    pub(super) fn reserve_after_due(&self) -> Option<usize> {
        self.deal
            .reserve
            .as_ref()
            .is_some_and(|r| r.after_due_principal)
            .then_some(self.k)
    }

    /// A target formula's amount now: each leaf rounded once, then the largest or smallest.
    pub(super) fn formula_target(&self, f: &TargetFormula) -> Fen {
        match f {
            TargetFormula::Fixed(x) => to_fen(*x),
            TargetFormula::SeniorInterestAndFees(m) => {
                self.money(self.next_senior_interest_and_fees(), &[*m], Ratio::ONE)
            }
            TargetFormula::Share(share, base) => {
                let after_due = self.reserve_after_due();
                let balance = match *base {
                    Base::Tranche(i) => self.target_balance(i, after_due),
                    Base::SeniorBalance => self.target_senior_balance(after_due),
                    Base::PoolBalance => self.cash.balance_end,
                    Base::IssueSize => self.issue_size,
                    // Refused in validation: flows are not balances.
                    _ => 0,
                };
                self.money(balance, &[*share], Ratio::ONE)
            }
            TargetFormula::Max(parts) => parts
                .iter()
                .map(|p| self.formula_target(p))
                .max()
                .unwrap_or(0),
            TargetFormula::Min(parts) => parts
                .iter()
                .map(|p| self.formula_target(p))
                .min()
                .unwrap_or(0),
        }
    }

    /// Whether the step-down applies on this payment date: on or after its date and while the
    /// cumulative default ratio is below its threshold (exact comparison), as given.
    pub(super) fn step_down_applies(&self, sd: &StepDown) -> bool {
        let p = &self.deal.periods[self.k];
        let dated = sd
            .after
            .is_none_or(|d| p.date() >= d || p.payment.unadjusted >= d);
        let performing = sd.default_ratio_below.is_none_or(|x| {
            let cum = self.pool.periods[self.k].cumulative_defaults;
            let initial = self.pool.initial_balance;
            if initial > Decimal::ZERO {
                cmp_ratio(cum, initial, x) == Ordering::Less
            } else {
                Decimal::ZERO < x
            }
        });
        dated && performing
    }

    /// `top_up_reserve` with `release = false`: deposits from the collection account towards
    /// the target, as far as cash allows; releases nothing.
    pub(super) fn deposit_reserve(&mut self, step: u32) {
        let target = self.target_at_step();
        self.deposit_reserve_to(step, target);
    }

    /// Deposits from the collection account towards `target`, as far as cash allows.
    pub(super) fn deposit_reserve_to(&mut self, step: u32, target: Fen) {
        if self.reserve < target {
            let amt = (target - self.reserve).min(self.collection);
            if amt > 0 {
                self.collection -= amt;
                self.reserve += amt;
                self.paid.reserve_deposit += amt;
                self.entry(
                    step,
                    Movement::TopUpReserve,
                    &Label::Static("reserve"),
                    (self.src, Account::Reserve),
                    amt,
                    "reserve topped up towards its target",
                );
            }
        }
    }

    /// `release_reserve`: releases the reserve's excess over its target into the collection
    /// account at this step, for the steps after it.
    pub(super) fn release_reserve(&mut self, step: u32) {
        let target = self.target_at_step();
        self.release_reserve_to(step, target);
    }

    /// Releases the reserve's excess over `target` into the collection account.
    pub(super) fn release_reserve_to(&mut self, step: u32, target: Fen) {
        if self.reserve > target {
            let amt = self.reserve - target;
            self.reserve -= amt;
            self.collection += amt;
            self.paid.reserve_deposit -= amt;
            self.entry(
                step,
                Movement::ReleaseReserve,
                &Label::Static("reserve"),
                (Account::Reserve, self.src),
                amt,
                "reserve above its target: excess released",
            );
        }
    }
}
