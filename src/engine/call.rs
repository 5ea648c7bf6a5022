//! The clean-up call (清仓回购): on the first payment date it is exercisable and the scenario
//! exercises it, the originator pays the repurchase price into the account that collects
//! principal, the call's waterfall runs, and the run ends: the pool's later cash belongs to
//! the originator.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::accounts::account;
use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::deal::CashSource;
use crate::money::rational::cmp_ratio;
use crate::money::{Ratio, to_fen};

impl Run<'_> {
    /// Exercises the call on payment date `k` if it is exercisable and the scenario exercises
    /// it: price = `price_share` × the performing balance at the end of the collection period,
    /// rounded once. Not exercised on a pool with no performing balance left.
    pub(super) fn clean_up_call(&mut self, k: usize) {
        let Some(c) = self.deal.clean_up_call else {
            return;
        };
        if !self.scenario.clean_up_call || self.called {
            return;
        }
        let pc = &self.pool.periods[k];
        let initial = self.pool.initial_balance;
        let by_factor = c.pool_factor_below.is_some_and(|x| {
            initial > Decimal::ZERO && cmp_ratio(pc.balance_end, initial, x) == Ordering::Less
        });
        let by_date = c.on_or_after.is_some_and(|d| self.on_or_after(d));
        let balance = to_fen(pc.balance_end);
        if !(by_factor || by_date) || balance <= 0 {
            return;
        }
        let price = self.money(balance, &[c.price_share], Ratio::ONE);
        self.called = true;
        self.call_price = price;
        let to = self.deal.accounts.of(CashSource::Principal);
        *self.balance_of(to) += price;
        self.entry(
            0,
            Movement::CleanUpCall,
            Label::Static("pool"),
            (Account::Originator, account(to)),
            price,
            "clean-up call: the originator repurchases the remaining pool (清仓回购)",
        );
    }

    /// After a call, the pool ends at the call date: its later periods, rows (those of assets
    /// bought in a revolving period too) and cash beyond the horizon are the originator's.
    pub(super) fn end_at_call(&mut self) {
        if !self.called {
            return;
        }
        let k = self.k;
        self.pool.periods.truncate(k + 1);
        let last = self.deal.periods[k].number;
        self.pool.rows.retain(|r| r.period <= last);
        // Assets bought in a revolving period are repurchased with the rest of the pool.
        self.purchased_rows.retain(|r| r.period <= last);
        self.pool.beyond_horizon = Decimal::ZERO;
    }
}
