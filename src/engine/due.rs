//! What is due on a payment date: one interest formula, one fee formula, one tax formula,
//! principal due, and the coverage multiples.
//!
//! Every amount is the exact value of its formula rounded once to the fen under the deal's
//! rounding rule ([`crate::money::fen_times`]): a balance in fen × an annual rate × the
//! period's exact year fraction is multiplied out before anything is divided
//! (docs/conventions.md).

use rust_decimal::Decimal;

use super::buffers::RunBuffers;
use super::state::{PoolCash, Run};
use crate::deal::{Amortization, Base, FeeKind, TrancheClass};
use crate::money::{Fen, Ratio, fen_times, to_fen};

/// What is due on the current payment date, before any payment, in fen.
#[derive(Debug, Clone, Default)]
pub(super) struct Due {
    pub tax: Vec<Fen>,
    pub fee: Vec<Fen>,
    /// Each fee's excess over its `cap` (with arrears of it): paid by `part = "excess"` steps.
    pub fee_excess: Vec<Fen>,
    pub interest: Vec<Fen>,
    pub principal: Vec<Fen>,
    /// Exact (numerator, denominator) of each tranche's coverage multiple: available funds
    /// after taxes and fees over the interest and principal due of the tranche and everything
    /// senior to it. Reported rounded; triggers compare the exact values.
    pub coverage: Vec<(Fen, Fen)>,
}

impl Due {
    /// An empty `Due` in vectors kept from an earlier run.
    pub fn new_in(b: &mut RunBuffers) -> Due {
        Due {
            tax: b.zeros(0),
            fee: b.zeros(0),
            fee_excess: b.zeros(0),
            interest: b.zeros(0),
            principal: b.zeros(0),
            coverage: RunBuffers::take(&mut b.coverage),
        }
    }

    /// Gives the vectors back to `b` for the next run.
    pub fn give(self, b: &mut RunBuffers) {
        let Due {
            tax,
            fee,
            fee_excess,
            interest,
            principal,
            coverage,
        } = self;
        b.keep_all([tax, fee, fee_excess, interest, principal]);
        b.coverage = coverage;
    }

    /// Empties every list, keeping the vectors for the next payment date's amounts.
    pub fn clear(&mut self) {
        self.tax.clear();
        self.fee.clear();
        self.fee_excess.clear();
        self.interest.clear();
        self.principal.clear();
        self.coverage.clear();
    }
}

/// Where a fee's or tax's base comes from: the balances of the run, and the period's pool cash
/// when it is known.
pub(super) struct BaseSource {
    /// The period's pool cash; `None` when projecting a later period's charge (the reserve
    /// target), where bases on collections count as zero.
    pub cash: Option<PoolCash>,
    /// The pool's performing balance at the start of the period.
    pub pool_balance: Fen,
    /// The year fraction of the period's accrual.
    pub year: Ratio,
}

impl Run<'_> {
    /// The annual coupon of tranche `i` on payment date `k`. The one place a coupon is read:
    /// a floating coupon (index + spread, resets, floors, caps) and the scenario's
    /// `coupon_shift` fill this seam ([`super::rates::tranche_coupons`]).
    pub(super) fn coupon_rate(&self, i: usize, k: usize) -> Decimal {
        match self.coupons.get(i).and_then(|c| c.get(k)) {
            Some(rate) => *rate,
            None => self.deal.tranches[i].coupon,
        }
    }

    /// Interest of tranche `i` for payment date `k`: `accruing × coupon × year fraction`,
    /// rounded once, where `accruing` is the balance, plus the unpaid interest brought forward
    /// when the tranche has `interest_on_shortfall`.
    pub(super) fn interest_for(&self, i: usize, k: usize, year: Ratio) -> Fen {
        let t = &self.deal.tranches[i];
        let accruing = if t.interest_on_shortfall {
            self.balance[i] + self.interest_carry[i]
        } else {
            self.balance[i]
        };
        self.money(accruing, &[self.coupon_rate(i, k)], year)
    }

    /// `amount × Π factors × ratio`, rounded once under the deal's rule. A product beyond
    /// Decimal's range (a billion times any valid deal) counts as zero and marks the run,
    /// which then stops with an error at its check ([`super::verify::verify`]).
    pub(super) fn money(&self, amount: Fen, factors: &[Decimal], ratio: Ratio) -> Fen {
        fen_times(amount, factors, ratio, self.deal.rounding).unwrap_or_else(|| {
            // The first payment date it happened on, for the error (review 27c item 10).
            if self.beyond_range.get().is_none() {
                self.beyond_range.set(Some(self.k));
            }
            0
        })
    }

    /// `rate × base` for a fee or tax, rounded once: a balance base accrues over the period
    /// (`rate × balance × year fraction`); a collections base is the period's amount.
    pub(super) fn charge_on(&self, rate: Decimal, base: Base, src: &BaseSource) -> Fen {
        let balance = |b: Fen| self.money(b, &[rate], src.year);
        let flow = |f: Fen| self.money(f, &[rate], Ratio::ONE);
        match base {
            Base::Tranche(i) => balance(self.balance[i]),
            Base::SeniorBalance => balance(self.senior_balance()),
            Base::PoolBalance => balance(src.pool_balance),
            Base::IssueSize => balance(self.issue_size),
            Base::InterestCollections => src.cash.map_or(0, |c| flow(c.interest_collected)),
            Base::Collections => src.cash.map_or(0, |c| flow(c.cash())),
            // Charged when the fee's step runs, on the interest paid by then (engine::fees).
            Base::InterestPaid(_) => 0,
        }
    }

    /// Fee `j`'s charge for payment date `k` before caps and arrears: a fixed amount,
    /// `rate × base`, a one-off amount on its date (`one_off_due` says whether that date has
    /// come), or an annual amount for each of its due dates that date is the first on or
    /// after.
    pub(super) fn fee_charge(
        &self,
        j: usize,
        k: usize,
        src: &BaseSource,
        one_off_due: bool,
    ) -> Fen {
        match &self.deal.fees[j].kind {
            FeeKind::Fixed(a) => to_fen(*a),
            FeeKind::Annual { amount, first } => {
                to_fen(*amount)
                    * Fen::from(crate::deal::annual_dates_on(*first, &self.deal.periods, k))
            }
            FeeKind::AnnualRate { rate, base } => self.charge_on(*rate, *base, src),
            FeeKind::OneOff { amount, .. } if one_off_due => to_fen(*amount),
            FeeKind::OneOff { .. } => 0,
        }
    }

    /// An `interest_at_maturity` tranche's interest due on date `k` of the period's accrual
    /// `interest` (到期一次还本付息): everything deferred so far and `interest` when the tranche
    /// matures on it ([`Run::matures`]) or its balance was repaid before it; else nothing, and
    /// `interest` is deferred.
    fn defer_interest(&mut self, i: usize, k: usize, interest: Fen) -> Fen {
        if self.matures(i, k) || self.balance[i] == 0 {
            interest + std::mem::take(&mut self.deferred_interest[i])
        } else {
            self.deferred_interest[i] += interest;
            0
        }
    }

    /// Tranche `i`'s interest deferred to maturity falls due now, with the date's dues (a last
    /// date run as such after its dues were computed).
    pub(super) fn deferred_due_now(&mut self, i: usize) {
        self.due.interest[i] += std::mem::take(&mut self.deferred_interest[i]);
    }

    /// Whether tranche `i`'s whole balance falls due on payment date `k`: its expected
    /// maturity reached, or the run's last date (the deal's last payment date, the clean-up
    /// call's date, or the date `end_when_repaid` ends the plan).
    pub(super) fn matures(&self, i: usize, k: usize) -> bool {
        let t = &self.deal.tranches[i];
        let p = &self.deal.periods[k];
        p.payment.unadjusted >= t.expected_maturity
            || p.date() >= t.expected_maturity
            || k + 1 == self.deal.periods.len()
            || self.called
            || self.ending
    }

    /// Tranche `i`'s balance as a reserve target reads it: less the principal due on date
    /// `after_due` when given (`[reserve] balances = "after_due_principal"`), else as it stands.
    #[inline(always)]
    pub(super) fn target_balance(&self, i: usize, after_due: Option<usize>) -> Fen {
        match after_due {
            None => self.balance[i],
            Some(k) => (self.balance[i] - self.principal_due(i, k)).max(0),
        }
    }

    /// Principal contractually due for tranche `i` on payment date `k`: the whole balance at
    /// its expected maturity and on the run's last date (the deal's last payment date, or the
    /// clean-up call's date, which ends the deal), else by its amortization.
    #[inline(always)]
    pub(super) fn principal_due(&self, i: usize, k: usize) -> Fen {
        let t = &self.deal.tranches[i];
        let p = &self.deal.periods[k];
        let bal = self.balance[i];
        if self.matures(i, k) {
            return bal;
        }
        match &t.amortization {
            Amortization::PassThrough | Amortization::Bullet => 0,
            Amortization::Scheduled(table) => table
                .iter()
                .rev()
                .find(|(d, _)| *d <= p.payment.unadjusted || *d <= p.date())
                .map_or(0, |(_, target)| (bal - to_fen(*target)).max(0)),
        }
    }

    /// Computes everything due on payment date `k` (taxes, fees with their caps, interest,
    /// principal, coverage) with `available` the funds the coverage counts
    /// ([`Run::coverage_funds`]), into `self.due`.
    /// Marks one-off fees charged.
    pub(super) fn compute_due(&mut self, k: usize, available: Fen) {
        let deal = self.deal;
        let p = deal.periods[k];
        let src = BaseSource {
            cash: Some(self.cash),
            pool_balance: self.cash.balance_start,
            year: self.year_fraction[k],
        };
        // Straight into `self.due`: each amount is computed before its push borrows the vector.
        self.due.clear();
        for (j, tax) in deal.taxes.iter().enumerate() {
            let charge = self.charge_on(tax.rate, tax.base, &src);
            self.due.tax.push(charge + self.tax_carry[j]);
        }
        for (j, fee) in deal.fees.iter().enumerate() {
            let one_off_due = match fee.kind {
                FeeKind::OneOff { date, .. } => !self.one_off_done[j] && p.reached(date),
                _ => false,
            };
            if one_off_due {
                self.one_off_done[j] = true;
            }
            let mut charge = self.fee_charge(j, k, &src, one_off_due);
            if !self.fee_active(j, k) {
                charge = 0;
            }
            if let Some(cap) = fee.cap_per_period {
                charge = charge.min(to_fen(cap));
            }
            if let Some(cap) = fee.cap_total {
                charge = charge.min((to_fen(cap) - self.fee_charged_total[j]).max(0));
            }
            self.fee_charged_total[j] += charge;
            let excess = self.excess_over_cap(j, &mut charge);
            self.due.fee.push(charge + self.fee_carry[j]);
            self.due.fee_excess.push(excess + self.fee_excess_carry[j]);
        }
        for i in 0..deal.tranches.len() {
            let mut interest = self.interest_for(i, k, src.year);
            if deal.tranches[i].interest_at_maturity {
                interest = self.defer_interest(i, k, interest);
            }
            self.due.interest.push(interest + self.interest_carry[i]);
            self.due.principal.push(self.principal_due(i, k));
        }
        self.coverage(available);
    }

    /// Each tranche's coverage multiple as (numerator, denominator), from the dues and
    /// `available`: cash after taxes and fees over the interest and principal due of the
    /// tranche and every tranche before it.
    #[inline(always)]
    pub(super) fn coverage(&mut self, available: Fen) {
        let due = &mut self.due;
        due.coverage.clear();
        let senior_items: Fen = due.tax.iter().chain(&due.fee).sum();
        let numerator = (available - senior_items).max(0);
        let mut denominator = 0;
        for i in 0..due.interest.len() {
            denominator += due.interest[i] + due.principal[i];
            due.coverage.push((numerator, denominator));
        }
    }

    /// The senior coverage multiple's exact (numerator, denominator) on this payment date:
    /// that of the last senior tranche (the senior class as a whole).
    pub(super) fn senior_coverage(&self) -> Option<(Fen, Fen)> {
        self.deal
            .tranches
            .iter()
            .zip(&self.due.coverage)
            .filter(|(t, _)| t.class == TrancheClass::Senior)
            .map(|(_, c)| *c)
            .next_back()
    }
}
