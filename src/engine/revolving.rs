//! The revolving purchase period (循环购买): when it is live and ends, the `buy_assets` step,
//! and the projection of the assets bought, merged into the pool.
//!
//! A purchase on payment date d_k spends cash C (the step's limit, at most the cash held) on
//! a balance B = ⌊C ÷ price⌋ fen of the `[revolving.asset]` template; the price paid is
//! B × price rounded once under the deal's rounding, which is never above C. The asset starts
//! on d_k with balance B (its schedule from docs/amortization.md), belongs to a new obligor
//! `NAME@d_k` with the template's tags, and is projected under the scenario from period k+1 on
//! like any other asset, its default curve counted from its purchase ([`purchased_scenario`]);
//! its cash and balances are added to the pool's periods before they run.
//! docs/deal-format.md (`[revolving]`) states the rules.

use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::{Run, dec};
use rust_decimal::Decimal;

use crate::deal::{Asset, Deal, Instalment, Obligor, Spend};
use crate::error::{Check, Error, Result, Warning};
use crate::money::{Fen, Ratio, Rounding, fen_times, to_fen};
use crate::pool::projection::{ObligorRows, project_obligors};
use crate::pool::rows::FlowAmounts;
use crate::scenario::Scenario;
use crate::schedule::amortization::{AmortizationError, LoanTerms, loan_schedule};

impl Run<'_> {
    /// Whether assets may be bought on the current payment date: the deal has a revolving
    /// period, the date is on or before its end date (scheduled or adjusted,
    /// [`crate::deal::PeriodDates::on_or_before`]), and no end trigger has tripped.
    pub(super) fn revolving_live(&self) -> bool {
        self.deal.revolving.as_ref().is_some_and(|r| {
            !self.revolving_over
                && self
                    .deal
                    .periods
                    .get(self.k)
                    .map_or(self.date <= r.end_date, |p| p.on_or_before(r.end_date))
        })
    }

    /// Ends the revolving period for good once one of its end triggers has tripped, or once
    /// its debtor has defaulted ([`Run::debtor_defaulted`]): tested before the date's
    /// waterfall is chosen, and after it.
    pub(super) fn end_revolving_on_triggers(&mut self) {
        let Some(r) = &self.deal.revolving else {
            return;
        };
        if r.end_triggers
            .iter()
            .any(|&t| self.tripped.get(t).copied().unwrap_or(false))
        {
            self.revolving_over = true;
        }
        if !self.revolving_over && self.debtor_defaulted(r) {
            self.revolving_over = true;
        }
    }

    /// The waterfall of this date: `active` (what the triggers chose), or the revolving
    /// waterfall while the period is live and the triggers left `normal`.
    pub(super) fn revolving_waterfall(&self, active: usize) -> usize {
        match &self.deal.revolving {
            Some(r) if active == 0 && self.revolving_live() => r.waterfall.unwrap_or(0),
            _ => active,
        }
    }

    /// A `buy_assets` step: buys what `spend` allows while the revolving period is live.
    pub(super) fn buy_assets(&mut self, step: u32, spend: Spend) -> Result<()> {
        let deal = self.deal;
        let Some(rev) = &deal.revolving else {
            return Ok(());
        };
        if !self.revolving_live() {
            return Ok(());
        }
        // The step's account: the collection account, or the named account of its `from`
        // (e.g. the principal account, 本金分账户), whose balance `step_from` has put in
        // `collection` while the step runs.
        let held = self.collection;
        let limit = match spend {
            Spend::PrincipalCollected => to_fen(self.pool.periods[self.k].principal_collected),
            Spend::Available => held,
        };
        let cash = limit.min(held);
        if cash <= 0 {
            return Ok(());
        }
        let overflow = || Error::Internal("a revolving purchase overflows".into());
        // B = ⌊cash × (1 − cut) ÷ price⌋ = ⌊cash × (1 − cut) × 10^s ÷ m⌋ for price = m / 10^s,
        // one exact value truncated once (a scenario's `purchase_cut`, since session 36).
        let price = rev.price.normalize();
        let ten_s = 10i64.checked_pow(price.scale()).ok_or_else(overflow)?;
        let m = i64::try_from(price.mantissa()).map_err(|_| overflow())?;
        let cut = self.scenario.purchase_cut;
        let share = [Decimal::ONE - cut];
        let factors: &[Decimal] = if cut.is_zero() { &[] } else { &share };
        let balance = fen_times(cash, factors, Ratio::new(ten_s, m), Rounding::Truncate)
            .ok_or_else(overflow)?;
        if balance <= 0 {
            return Ok(());
        }
        let paid =
            fen_times(balance, &[rev.price], Ratio::ONE, deal.rounding).ok_or_else(overflow)?;
        self.entry(
            step,
            Movement::BuyAssets,
            &Label::Static("revolving"),
            (self.src, Account::Seller),
            paid,
            "assets bought in the revolving period",
        );
        self.collection -= paid;
        self.purchased += paid;
        self.paid.purchases += paid;
        self.add_purchase(balance)
    }

    /// Whether the purchases' debtor (`[revolving] obligor` naming an obligor of the file) has
    /// defaulted under the scenario on or before today: its receivables are no longer
    /// eligible, so the revolving period ends before this date's waterfall is chosen, with a
    /// warning unless `[deal] allow` silences it (reviews 27c item 2: a deal bought a
    /// defaulted debtor's receivables and lost them in full; 27d item 1: the period ended a
    /// date late, inside the `buy_assets` step).
    fn debtor_defaulted(&mut self, rev: &crate::deal::Revolving) -> bool {
        let Some(d) = rev.debtor else {
            return false;
        };
        let Some((named, on)) = self.deal.group_default(d, &self.scenario.obligor_defaults) else {
            return false;
        };
        if on > self.date {
            return false;
        }
        if self.deal.allow.contains(&Check::RevolvingDefaults) {
            return true;
        }
        let p = self.deal.periods[self.k];
        self.held_warnings.push(Warning::run(
            Check::RevolvingDefaults,
            &self.scenario.name,
            Some((p.number, p.date())),
            format!(
                "the revolving period ends before this date's waterfall: its purchases are \
                 receivables of `{}`, which the scenario defaults on {on}{}, so it buys \
                 nothing on or after that date, and the waterfall the triggers choose runs \
                 (`normal` when none has tripped; docs/deal-format.md, `[revolving]`)",
                self.deal.obligors[d].name,
                match named == d {
                    true => String::new(),
                    false => format!(
                        " with its group (`{}` is named)",
                        self.deal.obligors[named].name
                    ),
                }
            ),
        ));
        true
    }

    /// Projects an asset of `balance` fen bought today and adds it to the pool.
    fn add_purchase(&mut self, balance: Fen) -> Result<()> {
        let deal = self.deal;
        let Some(rev) = &deal.revolving else {
            return Ok(());
        };
        let t = rev.template;
        // A scenario's `revolving_yield_cut` (since session 36): the rate × (1 − cut), exact.
        let cut = self.scenario.revolving_yield_cut;
        let annual_rate = if cut.is_zero() {
            t.annual_rate
        } else {
            t.annual_rate * (Decimal::ONE - cut)
        };
        let terms = LoanTerms {
            balance: dec(balance)?,
            annual_rate,
            start_date: self.date,
            first_payment_date: None,
            term: t.term,
            months_per_period: t.months_per_period,
            repayment: t.repayment,
            accrual: t.accrual,
            rounding: deal.rounding,
        };
        let schedule = loan_schedule(&terms).map_err(|e| match e {
            // The deal's terms, not a bug; the load-time check refuses them first (the
            // condition depends only on the rate, growth, term and frequency).
            AmortizationError::StepUpBelowInterest { .. } => Error::Usage(format!(
                "[revolving.asset]: the asset bought on {} cannot be generated: {e}; use a \
                 smaller growth, a shorter term or a higher rate",
                self.date
            )),
            _ => Error::Internal(format!(
                "the revolving asset bought on {} cannot be generated: {e}",
                self.date
            )),
        })?;
        let instalments = schedule
            .into_iter()
            .map(|i| Instalment {
                date: i.date,
                principal: i.principal,
                interest: i.interest,
            })
            .collect();
        let name = format!("{}@{}", rev.obligor, self.date);
        let obligor = Obligor {
            name: name.clone(),
            tags: rev.tags.clone(),
            assets: vec![Asset::new(t.kind, instalments, t.prepayable)],
        };
        let k = self.k;
        let p = deal.periods[k];
        let bal = dec(balance)?;
        self.pool.periods[k].balance_end += bal;
        // The pool balance the date's later steps read (a reserve target's next fees and
        // `pool_balance` share, review 42h F1: a top-up after the purchase left it out, while
        // the next date's fees are charged on it).
        self.cash.balance_end += balance;
        if self.keep_ledger {
            let obligor = self.purchased_rows.add_name(Label::from(&name));
            let a = FlowAmounts {
                balance_end: i64::try_from(balance).map_err(|_| {
                    Error::Internal(format!("a purchased balance of {bal} is beyond range"))
                })?,
                ..FlowAmounts::default()
            };
            self.purchased_rows.push_fen(p.number, p.date(), obligor, a);
        }
        let later = &deal.periods[k + 1..];
        if later.is_empty() {
            return Ok(());
        }
        let scenario = purchased_scenario(deal, self.scenario, &obligor, rev.debtor);
        let rows = if self.keep_ledger {
            ObligorRows::Keep
        } else {
            ObligorRows::Skip
        };
        let proj = project_obligors(
            later,
            std::slice::from_ref(&obligor),
            (deal.rounding, &deal.scenario.indices, deal.cutoff_date),
            &scenario,
            rows,
        )?;
        for (t, c) in self.pool.periods[k + 1..].iter_mut().zip(&proj.periods) {
            *t += c;
        }
        self.pool.beyond_horizon += proj.beyond_horizon;
        self.purchased_rows.append(proj.rows);
        Ok(())
    }
}

/// The scenario a purchased asset is projected under, as the only obligor of a projection
/// that starts on its purchase date: the pool-wide CDR, recovery, delay and CPR; the default
/// curve (`default_rate` on the scenario's timing, counted from the purchase's first period,
/// of the balance bought); the `overrides` that select by a tag the obligor has; and, when the
/// purchases are an obligor's of the file (`debtor`), that obligor's named default, or its
/// group's ([`Deal::group_default`], review 40a item 1), and the rules that name it.
/// docs/deal-format.md (`[revolving]`, "Projection") states it.
fn purchased_scenario(
    deal: &Deal,
    s: &Scenario,
    obligor: &Obligor,
    debtor: Option<usize>,
) -> Scenario {
    let mut out = s.clone();
    out.obligor_defaults = debtor
        .and_then(|d| deal.group_default(d, &s.obligor_defaults))
        .map(|(_, date)| vec![(0, date)])
        .unwrap_or_default();
    out.overrides = s
        .overrides
        .iter()
        .filter(|r| match &r.tag {
            // Compared trimmed, as validation matches the deal's obligors.
            Some((k, v)) => obligor.tags.get(k).is_some_and(|x| x.trim() == v),
            None => debtor.is_some_and(|d| r.obligors.contains(&d)),
        })
        .map(|r| {
            let mut r = r.clone();
            r.obligors = vec![0];
            r
        })
        .collect();
    out
}
