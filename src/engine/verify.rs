//! The engine's own check that every fen is accounted for.
//!
//! After a run the ledger is replayed account by account ([`Account`]): every entry moves its
//! amount out of its source and into its destination. Then, to the fen:
//! 1. pool cash + support draws + reserve funding = payments + collection account + reserve
//!    (the conservation identity, [`Conservation`]);
//! 2. the internal accounts (collection, reserve) never go negative during the replay and end
//!    where the engine holds them;
//! 3. what left the pool is the projected pool cash, what left each support provider is its
//!    draw total, what left the originator is the reserve funding;
//! 4. each tranche's principal received is its initial balance less its balance now.
//!
//! A failure is an [`Error::Internal`] (exit code 3): a bug, never a result.

use rust_decimal::Decimal;

use super::ledger::{Account, Movement};
use super::result::Conservation;
use super::state::Run;
use crate::error::{Error, Result};
use crate::money::{minus, negative, plus, positive, sum};
use crate::pool::projection::PeriodCash;

/// Replays the ledger of `run` and checks it (module docs); returns the identity's totals.
pub(super) fn verify(run: &Run) -> Result<Conservation> {
    let deal = run.deal;
    // Net balance of every account: received − sent.
    let mut balance = Balances::new(run);
    let mut principal = vec![Decimal::ZERO; deal.tranches.len()];
    // The first entry that breaks the replay: reported after the identity check.
    let mut broken: Option<Error> = None;
    for e in &run.ledger {
        if e.action == Movement::PayPrincipal
            && let Account::Tranche(i) = e.destination
            && let Some(p) = principal.get_mut(i)
        {
            *p = plus(*p, e.amount);
        }
        let from = balance.slot(e.source);
        *from = minus(*from, e.amount);
        let to = balance.slot(e.destination);
        *to = plus(*to, e.amount);
        if broken.is_some() {
            continue;
        }
        if !positive(e.amount) {
            broken = Some(Error::Internal(format!(
                "ledger entry with non-positive amount: {e:?}"
            )));
            continue;
        }
        let internal_negative = [e.source, e.destination]
            .iter()
            .any(|&a| a.is_internal() && negative(balance.get(a)));
        if internal_negative {
            broken = Some(Error::Internal(format!(
                "an account went negative at ledger entry {e:?}"
            )));
        }
    }
    let held = |a: Account| balance.get(a);
    let sent = |a: Account| minus(Decimal::ZERO, held(a));
    let payments = sum(balance.payees());
    let c = Conservation {
        pool_cash: sum(run.pool.periods.iter().map(PeriodCash::cash)),
        support_draws: sum(run.support_total.iter().copied()),
        reserve_funding: run.reserve_funding,
        payments,
        collection_end: run.collection,
        reserve_end: run.reserve,
    };
    let inflow = c.pool_cash + c.support_draws + c.reserve_funding;
    let outflow = c.payments + c.collection_end + c.reserve_end;
    if inflow != outflow {
        return Err(Error::Internal(format!(
            "cash not conserved: pool cash {} + support draws {} + reserve funding {} = {inflow}, \
             but payments {} + collection account {} + reserve {} = {outflow}",
            c.pool_cash,
            c.support_draws,
            c.reserve_funding,
            c.payments,
            c.collection_end,
            c.reserve_end
        )));
    }
    if let Some(e) = broken {
        return Err(e);
    }
    let (collection, reserve) = (held(Account::Collection), held(Account::Reserve));
    if collection != c.collection_end || reserve != c.reserve_end {
        return Err(Error::Internal(format!(
            "ledger replay gives collection {collection} and reserve {reserve}, engine holds {} and {}",
            c.collection_end, c.reserve_end
        )));
    }
    if sent(Account::Pool) != c.pool_cash {
        return Err(Error::Internal(format!(
            "pool deposits {} differ from projected pool cash {}",
            sent(Account::Pool),
            c.pool_cash
        )));
    }
    if sent(Account::Originator) != c.reserve_funding {
        return Err(Error::Internal(format!(
            "the originator paid {} into the deal, but the reserve funding is {}",
            sent(Account::Originator),
            c.reserve_funding
        )));
    }
    for (s, sup) in deal.supports.iter().enumerate() {
        if sent(Account::Support(s)) != run.support_total[s] {
            return Err(Error::Internal(format!(
                "support {}: the ledger shows {} drawn, the engine {}",
                sup.name,
                sent(Account::Support(s)),
                run.support_total[s]
            )));
        }
    }
    for (i, t) in deal.tranches.iter().enumerate() {
        let paid = principal[i];
        if t.balance - paid != run.balance[i] || negative(run.balance[i]) {
            return Err(Error::Internal(format!(
                "tranche {}: initial {} − principal paid {paid} ≠ balance {}",
                t.name, t.balance, run.balance[i]
            )));
        }
    }
    Ok(c)
}

/// The net balance of every account of a run, in one vector: pool, collection, reserve,
/// originator, then the supports, tranches, fees and taxes by index.
struct Balances {
    v: Vec<Decimal>,
    supports: usize,
    tranches: usize,
    fees: usize,
}

impl Balances {
    const FIXED: usize = 4;

    fn new(run: &Run) -> Balances {
        let d = run.deal;
        let n = Self::FIXED + d.supports.len() + d.tranches.len() + d.fees.len() + d.taxes.len();
        Balances {
            v: vec![Decimal::ZERO; n],
            supports: d.supports.len(),
            tranches: d.tranches.len(),
            fees: d.fees.len(),
        }
    }

    fn index(&self, a: Account) -> usize {
        let (s, t, f) = (self.supports, self.tranches, self.fees);
        match a {
            Account::Pool => 0,
            Account::Collection => 1,
            Account::Reserve => 2,
            Account::Originator => 3,
            Account::Support(i) => Self::FIXED + i,
            Account::Tranche(i) => Self::FIXED + s + i,
            Account::Fee(i) => Self::FIXED + s + t + i,
            Account::Tax(i) => Self::FIXED + s + t + f + i,
        }
    }

    fn slot(&mut self, a: Account) -> &mut Decimal {
        let i = self.index(a);
        if i >= self.v.len() {
            // An index the deal does not have (never from the engine): keep it, so that the
            // replay still balances and the identity check reports it.
            self.v.resize(i + 1, Decimal::ZERO);
        }
        &mut self.v[i]
    }

    fn get(&self, a: Account) -> Decimal {
        self.v.get(self.index(a)).copied().unwrap_or(Decimal::ZERO)
    }

    /// The balances of the payees (tranches, fees, taxes): what the deal paid out.
    fn payees(&self) -> impl Iterator<Item = Decimal> + '_ {
        self.v[Self::FIXED + self.supports..].iter().copied()
    }
}
