//! The engine's own check that every fen is accounted for.
//!
//! Every movement moves its amount out of its source [`Account`] and into its destination in a
//! running replay of every account ([`Balances`], kept as the run goes, ledger or not). After
//! the run, to the fen:
//! 1. pool cash + support draws + reserve funding + clean-up call price + restatements =
//!    payments + revolving purchases + collection account + reserve + named accounts +
//!    recoveries paid to the asset guarantor (the conservation identity, [`Conservation`];
//!    restatements are `reconcile`'s, zero elsewhere);
//! 2. the internal accounts (collection, reserve, named accounts) never went negative, no
//!    amount was non-positive, and they end where the engine holds them;
//! 3. what left the pool is the projected pool cash (assets bought included, up to the
//!    clean-up call), what left each support provider is its draw total (less, for the asset
//!    guarantor, the recoveries it was paid), what left the
//!    originator is the reserve funding plus the call price, what the seller received is what
//!    the purchases paid;
//! 4. each tranche's principal received is its initial balance less its balance now;
//! 5. when the run keeps its ledger, replaying the written entries gives the same balances;
//! 6. what each tranche, fee and tax received in the replay is what its rows state it was
//!    paid (`tranche_flows`, `fees`, `summary`): the engine builds the rows from its own
//!    record of each date's payments (`Paid`), beside the ledger, and keeps their running
//!    sums on every run, lean or full (since session 27, review 27b item H2).
//!
//! The pool's side of (1) is the projection's cash as deposited; the projection's own
//! roll-forward (every balance defaulted, collected or left) is tested outside the engine
//! (`tests/conservation.rs`).
//!
//! A failure is an [`Error::Internal`] (exit code 3): a bug, never a result.

use super::buffers::RunBuffers;
use super::ledger::{Account, Movement};
use super::result::Conservation;
use super::state::{Run, dec};
use crate::deal::Deal;
use crate::error::{Error, Result};
use crate::money::{Fen, to_fen};

/// The net balance (received − sent) of every account of a run, in one vector: pool,
/// collection, reserve, originator, then the supports, tranches, fees and taxes by index; and
/// each tranche's principal received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Balances {
    v: Vec<Fen>,
    principal: Vec<Fen>,
    supports: usize,
    tranches: usize,
    fees: usize,
    taxes: usize,
}

impl Balances {
    const FIXED: usize = 8;

    pub(super) fn new(d: &Deal) -> Balances {
        Balances::new_in(d, &mut RunBuffers::default())
    }

    /// [`Balances::new`] in vectors kept from an earlier run (fresh ones when `b` has none).
    pub(super) fn new_in(d: &Deal, b: &mut RunBuffers) -> Balances {
        let n = Self::FIXED
            + d.supports.len()
            + d.tranches.len()
            + d.fees.len()
            + d.taxes.len()
            + d.accounts.names.len();
        Balances {
            v: b.zeros(n),
            principal: b.zeros(d.tranches.len()),
            supports: d.supports.len(),
            tranches: d.tranches.len(),
            fees: d.fees.len(),
            taxes: d.taxes.len(),
        }
    }

    /// Gives the vectors back to `b` for the next run.
    pub(super) fn give(self, b: &mut RunBuffers) {
        b.keep(self.v);
        b.keep(self.principal);
    }

    #[inline(always)]
    fn index(&self, a: Account) -> usize {
        let (s, t, f) = (self.supports, self.tranches, self.fees);
        match a {
            Account::Pool => 0,
            Account::Collection => 1,
            Account::Reserve => 2,
            Account::Originator => 3,
            Account::Restatement => 4,
            Account::Seller => 5,
            Account::Investment => 6,
            Account::Servicer => 7,
            Account::Support(i) => Self::FIXED + i,
            Account::Tranche(i) => Self::FIXED + s + i,
            Account::Fee(i) => Self::FIXED + s + t + i,
            Account::Tax(i) => Self::FIXED + s + t + f + i,
            Account::Named(i) => Self::FIXED + s + t + f + self.taxes + i,
        }
    }

    /// Moves `amount` from `from` to `to`.
    ///
    /// Always inlined into the run's `record` (every movement passes here): whether the
    /// compiler inlined it varied with unrelated changes (docs/performance.md, session 11).
    #[inline(always)]
    pub(super) fn apply(&mut self, from: Account, to: Account, amount: Fen) {
        let (i, j) = (self.index(from), self.index(to));
        if i.max(j) >= self.v.len() {
            self.grow(i.max(j) + 1);
        }
        self.v[i] -= amount;
        self.v[j] += amount;
    }

    /// An index the deal does not have (never from the engine): kept, so that the identity
    /// check reports it.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, len: usize) {
        self.v.resize(len, 0);
    }

    /// Records principal received by tranche `i`.
    #[inline]
    fn principal(&mut self, i: usize, amount: Fen) {
        if let Some(p) = self.principal.get_mut(i) {
            *p += amount;
        }
    }

    /// Replays one movement: `amount` from `source` to `destination`, and the principal a
    /// tranche receives by it (paid, a per-unit 尾差 kept back, or restated). One rule for the
    /// run's running replay and the replay of its written ledger.
    #[inline(always)]
    pub(super) fn movement(
        &mut self,
        action: Movement,
        source: Account,
        destination: Account,
        amount: Fen,
    ) {
        self.apply(source, destination, amount);
        if action == Movement::PayPrincipal
            && let Account::Tranche(i) = destination
        {
            self.principal(i, amount);
        }
        if action == Movement::PerUnitPrincipalResidual
            && let Account::Tranche(i) = source
        {
            self.principal(i, -amount);
        }
        if action == Movement::RestatePrincipal {
            if let Account::Tranche(i) = destination {
                self.principal(i, amount);
            }
            if let Account::Tranche(i) = source {
                self.principal(i, -amount);
            }
        }
    }

    /// The net balance of `a`.
    pub(super) fn get(&self, a: Account) -> Fen {
        self.v.get(self.index(a)).copied().unwrap_or(0)
    }

    /// What the payees (tranches, fees, taxes) received: what the deal paid out.
    fn payments(&self) -> Fen {
        let start = (Self::FIXED + self.supports).min(self.v.len());
        let end = (start + self.tranches + self.fees + self.taxes).min(self.v.len());
        self.v[start..end].iter().sum()
    }
}

/// Checks the run (module docs); returns the identity's totals.
pub(super) fn verify(run: &Run) -> Result<Conservation> {
    in_range(run)?;
    let (c, pool_cash) = identity(run)?;
    sources_match_ledger(run, &c, pool_cash)?;
    principal_matches(run)?;
    if run.keep_ledger {
        written_ledger_replays(run)?;
    }
    payees_match_ledger(run, &run.accounts)?;
    Ok(c)
}

/// An amount beyond what the engine holds exactly is the deal's, not a bug.
fn in_range(run: &Run) -> Result<()> {
    if let Some(k) = run.beyond_range.get() {
        // The deal's amounts and rates, not a bug (exit code 2; review 27b item M1: a deal
        // that `check` accepted stopped with "a bug in ipabs"); located by its payment date
        // (review 27c item 10).
        let when = run.deal.periods.get(k).map_or(String::new(), |p| {
            format!(", period {} ({})", p.number, p.date())
        });
        return Err(Error::Usage(format!(
            "scenario {}{when}: an interest, fee, tax, reserve or call amount is beyond what \
             the engine holds exactly (Decimal's range): check the deal's amounts (yuan, not \
             fen) and whether interest compounds on a shortfall for decades",
            run.scenario.name
        )));
    }
    Ok(())
}

/// Check 1 (module docs): the conservation identity; returns its totals and the pool cash.
fn identity(run: &Run) -> Result<(Conservation, Fen)> {
    let b = &run.accounts;
    let sent = |a: Account| -b.get(a);
    let pool_cash: Fen = run
        .pool
        .periods
        .iter()
        .map(|p| to_fen(p.collected) + to_fen(p.recovered))
        .sum();
    let support_draws: Fen = run.support_total.iter().sum();
    let payments = b.payments();
    // What the restatements brought in (negative: took out); zero outside `reconcile`.
    let restated = sent(Account::Restatement);
    let accounts_end: Fen = run.named.iter().sum();
    let inflow =
        pool_cash + support_draws + run.reserve_funding + restated + run.call_price + run.invested;
    // What revolving purchases paid the seller (docs/deal-format.md, `[revolving]`).
    let purchases = b.get(Account::Seller);
    // What `repay_support` steps paid back to the supports.
    let repaid: Fen = run.support_repaid.iter().sum();
    // And the interest on their draws they were paid (`interest_rate`).
    let interest: Fen = run.support_interest_paid.iter().sum();
    // What a failed servicer kept of the pool cash deposited (`commingling`).
    let commingled = b.get(Account::Servicer);
    let outflow = payments
        + commingled
        + purchases
        + run.collection
        + run.reserve
        + accounts_end
        + run.subrogated
        + repaid
        + interest;
    let c = Conservation {
        pool_cash: dec(pool_cash)?,
        support_draws: dec(support_draws)?,
        reserve_funding: dec(run.reserve_funding)?,
        restated: dec(restated)?,
        payments: dec(payments)?,
        commingled: dec(commingled)?,
        purchases: dec(purchases)?,
        collection_end: dec(run.collection)?,
        reserve_end: dec(run.reserve)?,
        call_price: dec(run.call_price)?,
        accounts_end: dec(accounts_end)?,
        subrogation: dec(run.subrogated)?,
        investment_income: dec(run.invested)?,
        support_repaid: dec(repaid)?,
        support_interest: dec(interest)?,
    };
    if inflow != outflow {
        return Err(Error::Internal(format!(
            "cash not conserved: pool cash {} + support draws {} + reserve funding {} + \
             clean-up call price {} + restatements {} + investment income {} = {}, but payments \
             {} + kept by a failed servicer {} + purchases {} + collection account {} + reserve {} + named accounts {} + \
             subrogation {} + support repayments {} + support interest {} = {}",
            c.pool_cash,
            c.support_draws,
            c.reserve_funding,
            c.call_price,
            c.restated,
            c.investment_income,
            dec(inflow)?,
            c.payments,
            c.commingled,
            c.purchases,
            c.collection_end,
            c.reserve_end,
            c.accounts_end,
            c.subrogation,
            c.support_repaid,
            c.support_interest,
            dec(outflow)?
        )));
    }
    Ok((c, pool_cash))
}

/// Checks 2 and 3 (module docs): the internal accounts end where the engine holds them, and
/// what left the pool, the investments, the originator and each support, and what the seller
/// received, are the engine's figures.
fn sources_match_ledger(run: &Run, c: &Conservation, pool_cash: Fen) -> Result<()> {
    let deal = run.deal;
    let b = &run.accounts;
    let sent = |a: Account| -b.get(a);
    let purchases = b.get(Account::Seller);
    let fail = |m: String| Err(Error::Internal(m));
    if let Some(e) = &run.broken {
        return fail(format!("the ledger replay broke: {e}"));
    }
    let (collection, reserve) = (b.get(Account::Collection), b.get(Account::Reserve));
    if collection != run.collection || reserve != run.reserve {
        return fail(format!(
            "ledger replay gives collection {} and reserve {}, engine holds {} and {}",
            dec(collection)?,
            dec(reserve)?,
            c.collection_end,
            c.reserve_end
        ));
    }
    for (i, &held) in run.named.iter().enumerate() {
        if b.get(Account::Named(i)) != held {
            return fail(format!(
                "ledger replay gives account {} a balance of {}, the engine holds {}",
                deal.accounts.names.get(i).map_or("?", String::as_str),
                dec(b.get(Account::Named(i)))?,
                dec(held)?
            ));
        }
    }
    if sent(Account::Pool) != pool_cash {
        return fail(format!(
            "pool deposits {} differ from projected pool cash {}",
            dec(sent(Account::Pool))?,
            c.pool_cash
        ));
    }
    if sent(Account::Investment) != run.invested {
        return fail(format!(
            "the investments paid {} into the deal, the engine counted {} of income",
            dec(sent(Account::Investment))?,
            dec(run.invested)?
        ));
    }
    if purchases != run.purchased {
        return fail(format!(
            "the seller received {} for revolving purchases, the engine paid {}",
            c.purchases,
            dec(run.purchased)?
        ));
    }
    if sent(Account::Originator) != run.reserve_funding + run.call_price {
        return fail(format!(
            "the originator paid {} into the deal, but the reserve funding is {} and the \
             clean-up call price {}",
            dec(sent(Account::Originator))?,
            c.reserve_funding,
            c.call_price
        ));
    }
    let guarantor = run.asset_guarantee;
    for (s, sup) in deal.supports.iter().enumerate() {
        // The asset guarantor was paid the recoveries it is owed (代位追偿).
        let back = if guarantor == Some(s) {
            run.subrogated
        } else {
            0
        };
        let (repaid, interest) = (run.support_repaid[s], run.support_interest_paid[s]);
        if sent(Account::Support(s)) != run.support_total[s] - back - repaid - interest {
            return fail(format!(
                "support {}: the ledger shows {} drawn net, the engine {} less {} of recoveries \
                 paid to it, {} repaid and {} of interest paid",
                sup.name,
                dec(sent(Account::Support(s)))?,
                dec(run.support_total[s])?,
                dec(back)?,
                dec(repaid)?,
                dec(interest)?
            ));
        }
    }
    Ok(())
}

/// Check 4 (module docs): each tranche's principal received is its initial balance less its
/// balance now.
fn principal_matches(run: &Run) -> Result<()> {
    let b = &run.accounts;
    let fail = |m: String| Err(Error::Internal(m));
    for (i, t) in run.deal.tranches.iter().enumerate() {
        let paid = b.principal.get(i).copied().unwrap_or(0);
        if to_fen(t.balance) - paid != run.balance[i] || run.balance[i] < 0 {
            return fail(format!(
                "tranche {}: initial {} − principal paid {} ≠ balance {}",
                t.name,
                t.balance,
                dec(paid)?,
                dec(run.balance[i])?
            ));
        }
    }
    Ok(())
}

/// Check 5 (module docs): the written entries replay to the same balances.
fn written_ledger_replays(run: &Run) -> Result<()> {
    // The written entries replay to the same balances.
    let mut replay = Balances::new(run.deal);
    for e in &run.ledger {
        replay.movement(e.action, e.source, e.destination, to_fen(e.amount));
    }
    if replay != run.accounts {
        return Err(Error::Internal(
            "the written ledger does not replay to the engine's balances".into(),
        ));
    }
    Ok(())
}

/// Check 6 (module docs): what each tranche's rows state it was paid (its running totals,
/// from which its summary row is written) and what each tax's and fee's rows state, against
/// what the replay paid it.
fn payees_match_ledger(run: &Run, b: &Balances) -> Result<()> {
    let deal = run.deal;
    let fail = |m: String| Err(Error::Internal(m));
    for (i, t) in deal.tranches.iter().enumerate() {
        let stated = run.totals.get(i).map_or(0, |s| s.paid());
        if b.get(Account::Tranche(i)) != stated {
            return fail(format!(
                "tranche {}: its rows state {} paid, the ledger {}",
                t.name,
                dec(stated)?,
                dec(b.get(Account::Tranche(i)))?
            ));
        }
    }
    let nx = deal.taxes.len();
    for (j, &paid) in run.charge_paid.iter().enumerate() {
        let (account, name) = match j.checked_sub(nx) {
            None => (Account::Tax(j), &deal.taxes[j].name),
            Some(f) => (Account::Fee(f), &deal.fees[f].name),
        };
        if b.get(account) != paid {
            return fail(format!(
                "{name}: its rows state {} paid, the ledger {}",
                dec(paid)?,
                dec(b.get(account))?
            ));
        }
    }
    Ok(())
}
