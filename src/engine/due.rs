//! What is due on a payment date: one interest formula, one fee formula, one tax formula,
//! principal due, and the coverage multiples.
//!
//! Every amount is the exact value of its formula rounded once to the fen under the deal's
//! rounding rule ([`crate::money::fen_of`]): a balance × an annual rate × the period's exact
//! year fraction is multiplied out before anything is divided (docs/conventions.md).

use rust_decimal::Decimal;

use super::state::Run;
use crate::deal::{Amortization, Base, FeeKind, TrancheClass};
use crate::money::{Ratio, clamp0, fen_of, minus, plus, sum};
use crate::pool::projection::PeriodCash;

/// What is due on the current payment date, before any payment.
#[derive(Debug, Clone, Default)]
pub(super) struct Due {
    pub tax: Vec<Decimal>,
    pub fee: Vec<Decimal>,
    pub interest: Vec<Decimal>,
    pub principal: Vec<Decimal>,
    /// Exact (numerator, denominator) of each tranche's coverage multiple: available funds
    /// after taxes and fees over the interest and principal due of the tranche and everything
    /// senior to it. Reported rounded; triggers compare the exact values.
    pub coverage: Vec<(Decimal, Decimal)>,
}

impl Due {
    pub fn clear(&mut self) {
        self.tax.clear();
        self.fee.clear();
        self.interest.clear();
        self.principal.clear();
        self.coverage.clear();
    }
}

/// Where a fee's or tax's base comes from: the balances of the run, and the period's pool cash
/// when it is known.
pub(super) struct BaseSource<'p> {
    /// The period's pool cash; `None` when projecting a later period's charge (the reserve
    /// target), where bases on collections count as zero.
    pub cash: Option<&'p PeriodCash>,
    /// The pool's performing balance at the start of the period.
    pub pool_balance: Decimal,
    /// The year fraction of the period's accrual.
    pub year: Ratio,
}

impl Run<'_> {
    /// The annual coupon of tranche `i` on payment date `k`. The one place a coupon is read:
    /// a floating coupon (index + spread, resets, floors, caps) fills this seam.
    pub(super) fn coupon_rate(&self, i: usize, _k: usize) -> Decimal {
        self.deal.tranches[i].coupon
    }

    /// Interest of tranche `i` for payment date `k`: `accruing × coupon × year fraction`,
    /// rounded once, where `accruing` is the balance, plus the unpaid interest brought forward
    /// when the tranche has `interest_on_shortfall`.
    pub(super) fn interest_for(&self, i: usize, k: usize, year: Ratio) -> Decimal {
        let t = &self.deal.tranches[i];
        let accruing = if t.interest_on_shortfall {
            plus(self.balance[i], self.interest_carry[i])
        } else {
            self.balance[i]
        };
        self.money(&[accruing, self.coupon_rate(i, k)], year)
    }

    /// `Π factors × ratio`, rounded once under the deal's rule; an amount beyond Decimal's
    /// range (a billion times any real deal) saturates at `Decimal::MAX`.
    pub(super) fn money(&self, factors: &[Decimal], ratio: Ratio) -> Decimal {
        fen_of(factors, ratio, self.deal.rounding).unwrap_or(Decimal::MAX)
    }

    /// `rate × base` for a fee or tax, rounded once: a balance base accrues over the period
    /// (`rate × balance × year fraction`); a collections base is the period's amount.
    pub(super) fn charge_on(&self, rate: Decimal, base: Base, src: &BaseSource<'_>) -> Decimal {
        let balance = |b: Decimal| self.money(&[rate, b], src.year);
        match base {
            Base::Tranche(i) => balance(self.balance[i]),
            Base::SeniorBalance => balance(self.senior_balance()),
            Base::PoolBalance => balance(src.pool_balance),
            Base::IssueSize => balance(self.issue_size),
            Base::InterestCollections => src.cash.map_or(Decimal::ZERO, |c| {
                self.money(&[rate, c.interest_collected], Ratio::ONE)
            }),
            Base::Collections => src
                .cash
                .map_or(Decimal::ZERO, |c| self.money(&[rate, c.cash()], Ratio::ONE)),
        }
    }

    /// Fee `j`'s charge for a period before caps and arrears: a fixed amount, `rate × base`,
    /// or a one-off amount on its date (`one_off_due` says whether that date has come).
    pub(super) fn fee_charge(&self, j: usize, src: &BaseSource<'_>, one_off_due: bool) -> Decimal {
        match &self.deal.fees[j].kind {
            FeeKind::Fixed(a) => *a,
            FeeKind::AnnualRate { rate, base } => self.charge_on(*rate, *base, src),
            FeeKind::OneOff { amount, .. } if one_off_due => *amount,
            FeeKind::OneOff { .. } => Decimal::ZERO,
        }
    }

    /// Principal contractually due for tranche `i` on payment date `k`.
    pub(super) fn principal_due(&self, i: usize, k: usize) -> Decimal {
        let t = &self.deal.tranches[i];
        let p = &self.deal.periods[k];
        let bal = self.balance[i];
        let matured =
            p.payment.unadjusted >= t.expected_maturity || p.date() >= t.expected_maturity;
        if matured || k + 1 == self.deal.periods.len() {
            return bal;
        }
        match &t.amortization {
            Amortization::PassThrough | Amortization::Bullet => Decimal::ZERO,
            Amortization::Scheduled(table) => {
                let target = table
                    .iter()
                    .rev()
                    .find(|(d, _)| *d <= p.payment.unadjusted || *d <= p.date())
                    .map(|(_, b)| *b);
                match target {
                    Some(tb) => clamp0(minus(bal, tb)),
                    None => Decimal::ZERO,
                }
            }
        }
    }

    /// Computes everything due on payment date `k` (taxes, fees with their caps, interest,
    /// principal, coverage) with `available` funds in the collection account, into `self.due`.
    /// Marks one-off fees charged.
    pub(super) fn compute_due(&mut self, k: usize, cash: &PeriodCash, available: Decimal) {
        let deal = self.deal;
        let p = deal.periods[k];
        let src = BaseSource {
            cash: Some(cash),
            pool_balance: cash.balance_start,
            year: self.year_fraction[k],
        };
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        for (j, tax) in deal.taxes.iter().enumerate() {
            let charge = self.charge_on(tax.rate, tax.base, &src);
            due.tax.push(plus(charge, self.tax_carry[j]));
        }
        for (j, fee) in deal.fees.iter().enumerate() {
            let one_off_due = match fee.kind {
                FeeKind::OneOff { date, .. } => {
                    !self.one_off_done[j] && (p.date() >= date || p.payment.unadjusted >= date)
                }
                _ => false,
            };
            if one_off_due {
                self.one_off_done[j] = true;
            }
            let mut charge = self.fee_charge(j, &src, one_off_due);
            if let Some(cap) = fee.cap_per_period {
                charge = crate::money::min(charge, cap);
            }
            if let Some(cap) = fee.cap_total {
                charge = crate::money::min(charge, clamp0(minus(cap, self.fee_charged_total[j])));
            }
            self.fee_charged_total[j] = plus(self.fee_charged_total[j], charge);
            due.fee.push(plus(charge, self.fee_carry[j]));
        }
        for i in 0..deal.tranches.len() {
            let interest = self.interest_for(i, k, src.year);
            due.interest.push(plus(interest, self.interest_carry[i]));
            due.principal.push(self.principal_due(i, k));
        }
        let senior_items = sum(due.tax.iter().chain(&due.fee).copied());
        let numerator = clamp0(minus(available, senior_items));
        let mut denominator = Decimal::ZERO;
        for i in 0..deal.tranches.len() {
            denominator = plus(denominator, plus(due.interest[i], due.principal[i]));
            due.coverage.push((numerator, denominator));
        }
        self.due = due;
    }

    /// The senior coverage multiple's exact (numerator, denominator) on this payment date:
    /// that of the last senior tranche (the senior class as a whole).
    pub(super) fn senior_coverage(&self) -> Option<(Decimal, Decimal)> {
        self.deal
            .tranches
            .iter()
            .zip(&self.due.coverage)
            .filter(|(t, _)| t.class == TrancheClass::Senior)
            .map(|(_, c)| *c)
            .next_back()
    }
}
