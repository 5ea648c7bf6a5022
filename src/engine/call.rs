//! The clean-up call (清仓回购): on the first payment date it is exercisable, the scenario
//! exercises it and (with `repays_senior`, the default) the price and the trust's cash pay the
//! date's taxes, fees and senior and mezzanine tranches in full, the originator pays the
//! repurchase price into the account that collects principal, the call's waterfall runs, and
//! the run ends: the pool's later cash belongs to the originator.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::accounts::account;
use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use chrono::NaiveDate;
use num_bigint::BigInt;
use num_integer::Integer;

use crate::deal::{CashSource, Deal};
use crate::error::{Error, Result};
use crate::money::rational::{cmp_ratio, fen_of_big};
use crate::money::{Fen, Ratio, to_fen};

impl Run<'_> {
    /// The call's price on payment date `k` if it is exercisable there and the scenario
    /// exercises it: `price_share` × the performing balance at the end of the collection
    /// period (plus the accrued interest, [`price_with_accrued`]), rounded once. None on a pool
    /// with no performing balance left. Nothing is paid yet: [`Run::exercise_call`] decides,
    /// once the date's dues are known.
    pub(super) fn call_offer(&self, k: usize) -> Result<Option<Fen>> {
        let Some(c) = self.deal.clean_up_call else {
            return Ok(None);
        };
        if !self.scenario.clean_up_call || self.called {
            return Ok(None);
        }
        let pc = &self.pool.periods[k];
        let initial = self.pool.initial_balance;
        let by_factor = c.pool_factor_below.is_some_and(|x| {
            initial > Decimal::ZERO && cmp_ratio(pc.balance_end, initial, x) == Ordering::Less
        });
        let by_date = c.on_or_after.is_some_and(|d| self.on_or_after(d));
        let balance = to_fen(pc.balance_end);
        if !(by_factor || by_date) || balance <= 0 {
            return Ok(None);
        }
        let price = if c.accrued_interest {
            let d = self.deal.periods[k].collection_end;
            price_with_accrued(self.deal, d, balance, c.price_share)
                .ok_or_else(|| Error::Internal("the clean-up call price overflows".into()))?
        } else {
            self.money(balance, &[c.price_share], Ratio::ONE)
        };
        Ok(Some(price))
    }

    /// Whether the call offered at `price` on payment date `k` is to be exercised, once the
    /// date's dues are known: always, unless the deal's `repays_senior` asks that the call
    /// date's waterfall repay every senior and mezzanine tranche, with its interest, in full.
    /// That is decided by running it: a trial copy of the run (its rows and ledger left out)
    /// exercises the call and runs the date's waterfall ([`Run::waterfall_of`]) with no
    /// support drawn (回购价款 and the trust's cash must suffice); the call is exercised when no
    /// senior or mezzanine tranche is left with a balance or with interest unpaid (the
    /// per-unit 尾差 aside). Review 29b item 1: a stressed pool was called at a
    /// loss to the senior and the originator kept the recoveries still to come; review 29c
    /// item 1: a first rule that compared the price and the trust's cash with what was due
    /// counted cash the call's waterfall could not pay the senior with (a reserve released
    /// after the senior's step, an income account paid out as residual).
    pub(super) fn call_repays(&mut self, k: usize, price: Fen) -> Result<bool> {
        let Some(c) = self.deal.clean_up_call else {
            return Ok(false);
        };
        if !c.repays_senior {
            return Ok(true);
        }
        let mut trial = self.trial();
        // The price and the trust's cash (its reserve included) must pay: no support is drawn
        // in the trial (review 48b F1: an uncapped 差额支付 paid 46,045,033.50 of the senior's
        // and mezzanine's principal on a call date, was never repaid, and the originator kept
        // the recoveries still to come). An asset guarantee's payment is the period's cash,
        // already in the accounts.
        trial.support_on.fill(false);
        trial.exercise_call(k, price);
        trial.waterfall_of(k)?;
        Ok(self
            .deal
            .tranches
            .iter()
            .enumerate()
            .filter(|(_, t)| t.class != crate::deal::TrancheClass::Subordinated)
            .all(|(i, _)| trial.repaid(i)))
    }

    /// Whether a trial of payment date `k`'s waterfall, as the dues now stand, leaves every
    /// tranche repaid with no interest owed (`[deal] end_when_repaid`): the date is then run
    /// as the plan's last ([`Run::end_here`]). Review 31d item 1: deciding after the waterfall
    /// ran the date without the last date's rules, and left the reserve, a `final_period`
    /// residual and the per-unit 尾差 in the plan.
    ///
    /// Two trials: the date as an ordinary one, then as the last (review 31f item 2: a
    /// `final_period` fee, or a `coverage_below` trigger reading every balance due, could leave
    /// a tranche unpaid on a date run as the last that the ordinary trial had repaid). The
    /// second alone would not do: a support drawn for balances that fall due only on a last
    /// date would repay almost any date.
    pub(super) fn trial_repays_all(&mut self, k: usize) -> Result<bool> {
        let mut trial = self.trial();
        trial.waterfall_of(k)?;
        if !trial.all_repaid() {
            return Ok(false);
        }
        let mut last = self.trial();
        last.end_here(k);
        last.waterfall_of(k)?;
        Ok(last.all_repaid())
    }

    /// Tranche `i` repaid, with no interest owed (the per-unit 尾差 aside).
    fn repaid(&self, i: usize) -> bool {
        self.balance[i] == 0 && self.interest_unpaid(i) <= 0 && self.deferred_interest[i] == 0
    }

    /// Every tranche repaid ([`Run::repaid`]).
    pub(super) fn all_repaid(&self) -> bool {
        (0..self.deal.tranches.len()).all(|i| self.repaid(i))
    }

    /// Runs payment date `k` as the plan's last (`end_when_repaid`), once its dues were
    /// computed as an ordinary date's: every balance falls due ([`Run::principal_due`]) and
    /// the coverage multiples are those of a last date, as on a call date.
    pub(super) fn end_here(&mut self, k: usize) {
        self.ending = true;
        self.due_as_last(k);
    }

    /// Date `k`'s dues as the run's last date's, once they were computed as an ordinary
    /// date's (a call, `end_when_repaid`): every balance falls due ([`Run::principal_due`]),
    /// with the interest deferred to maturity (`interest_at_maturity`; review 32e item 1: on a
    /// call date it never fell due, and a call that must repay the senior was never
    /// exercised), and the coverage multiples are those of a last date.
    fn due_as_last(&mut self, k: usize) {
        for i in 0..self.deal.tranches.len() {
            self.due.principal[i] = self.principal_due(i, k);
            self.deferred_due_now(i);
        }
        self.coverage(self.coverage_funds());
    }

    /// A copy of the run for a trial of the current date: without its rows, ledger and
    /// obligor rows (taken out while it is copied), keeping no ledger.
    fn trial(&mut self) -> Self {
        use std::mem::take;
        let rows = std::mem::replace(&mut self.pool.rows, crate::pool::rows::PoolFlows::new());
        let bought = std::mem::replace(
            &mut self.purchased_rows,
            crate::pool::rows::PoolFlows::new(),
        );
        let kept = (
            take(&mut self.ledger),
            take(&mut self.periods),
            take(&mut self.flows),
            take(&mut self.charges),
            take(&mut self.notices),
        );
        let mut trial = self.clone();
        trial.keep_ledger = false;
        self.pool.rows = rows;
        self.purchased_rows = bought;
        (
            self.ledger,
            self.periods,
            self.flows,
            self.charges,
            self.notices,
        ) = kept;
        trial
    }

    /// Exercises the call offered at `price` on payment date `k`, after the date's dues were
    /// computed without it ([`Run::call_repays`] decides): the originator pays the price in,
    /// every tranche's principal falls due ([`Run::principal_due`]) and the coverage
    /// multiples count the price.
    pub(super) fn exercise_call(&mut self, k: usize, price: Fen) {
        self.called = true;
        self.call_price = price;
        let to = self.deal.accounts.of(CashSource::Principal);
        *self.balance_of(to) += price;
        self.entry(
            0,
            Movement::CleanUpCall,
            &Label::Static("pool"),
            (Account::Originator, account(to)),
            price,
            "clean-up call: the originator repurchases the remaining pool (清仓回购)",
        );
        self.due_as_last(k);
    }

    /// After a call, the pool ends at the call date: its later periods, rows (those of assets
    /// bought in a revolving period too) and cash beyond the horizon are the originator's. So
    /// after the plan ends on full repayment (`end_when_repaid`): what the pool still holds
    /// leaves the plan (to the subordinated holders in kind, or back to the originator, as the
    /// plan's terms say).
    pub(super) fn end_at_call(&mut self) {
        if !self.called && !self.ended {
            return;
        }
        let k = self.k;
        self.pool.periods.truncate(k + 1);
        let last = self.deal.periods[k].number;
        self.pool.rows.keep_periods_up_to(last);
        // Assets bought in a revolving period are repurchased with the rest of the pool.
        self.purchased_rows.keep_periods_up_to(last);
        self.pool.beyond_horizon = Decimal::ZERO;
    }
}

/// The call price with accrued interest (未偿本金余额 + 应计利息), rounded once under the
/// deal's rounding:
///
/// `price = share × B + A × min(B, C) / C`
///
/// * `B`: the performing balance at `d`, the end of the call's collection period (`balance`,
///   fen, under the scenario);
/// * `C`: the contractual principal of the deal's assets due after `d`;
/// * `A`: their contractual accrued interest at `d`: for each asset, the interest of its next
///   instalment after `d` times the days from the previous instalment (or the cutoff date, for
///   the first) to `d` over the days from that date to the next instalment;
/// * `min(B, C) / C` scales `A` to the performing part of the pool (1 when nothing
///   defaulted or prepaid). Assets bought in a revolving period count in `B` only.
///
/// None on overflow.
fn price_with_accrued(deal: &Deal, d: NaiveDate, balance: Fen, share: Decimal) -> Option<Fen> {
    // A = num / den fen, summed exactly (den the least common multiple of the period lengths).
    let (mut num, mut den) = (BigInt::from(0), BigInt::from(1));
    let mut due_after: Fen = 0;
    for asset in deal.obligors.iter().flat_map(|o| &o.assets) {
        let Some(n) = asset.instalments.iter().position(|i| i.date > d) else {
            continue;
        };
        let fen = asset.fen_amounts()?;
        due_after += fen[n..].iter().map(|&(p, _)| Fen::from(p)).sum::<Fen>();
        let from = if n == 0 {
            deal.cutoff_date
        } else {
            asset.instalments[n - 1].date
        };
        let (elapsed, length) = (
            (d - from).num_days(),
            (asset.instalments[n].date - from).num_days(),
        );
        if elapsed <= 0 || length <= 0 {
            continue;
        }
        let length = BigInt::from(length);
        let lcm = den.lcm(&length);
        num = num * (&lcm / &den) + BigInt::from(fen[n].1) * elapsed * (&lcm / &length);
        den = lcm;
    }
    // share = m / 10^s.
    let (m, ten_s) = (
        BigInt::from(share.mantissa()),
        BigInt::from(10).pow(share.scale()),
    );
    let b = BigInt::from(balance);
    let total_den = if due_after > 0 {
        &ten_s * &den * BigInt::from(due_after)
    } else {
        ten_s.clone()
    };
    let mut total_num = &m * &b * (&total_den / &ten_s);
    if due_after > 0 {
        total_num += num * BigInt::from(balance.min(due_after)) * &ten_s;
    }
    fen_of_big(&total_num, &total_den, deal.rounding).map(to_fen)
}
