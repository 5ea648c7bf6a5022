//! `ipabs reconcile`: after each actual payment date, the run is brought to the state the
//! trustee reported (docs/auditing.md), so that the next date — and the projection after the
//! last actual one — starts from what really happened.
//!
//! For every line the actuals report, with `δ = reported − waterfall`:
//! * a payment (tax, fee, tranche interest, principal or residual): `δ` moves between
//!   [`Account::Restatement`] and the payee ([`Movement::Restate`], for principal
//!   [`Movement::RestatePrincipal`], which moves the tranche's balance by `−δ`, never below
//!   zero); the unpaid amount carried to the next date (interest shortfall, fee and tax arrears)
//!   falls by `δ`, never below zero;
//! * a support draw: `δ` moves between the provider and the restatement account, and the
//!   provider's draw total follows;
//! * an account balance (collection, reserve): the account is moved to the reported balance;
//! * declared triggers: they are the tripped ones from then on.
//!
//! Nothing moves when the reported lines equal the waterfall's, so actuals equal to the
//! projection give exactly the run. The engine's conservation check counts the restatement
//! account's net as an inflow ([`super::result::Conservation::restated`]).

use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::actuals::ActualPeriod;
use crate::money::{Fen, to_fen};

const REASON: &str = "restated to the reported figure (reconcile)";

impl Run<'_> {
    /// Moves `d` from the restatement account to `to` (or back when negative).
    fn restate_move(&mut self, action: Movement, item: &Label, to: Account, d: Fen) {
        if d > 0 {
            self.entry(0, action, item, (Account::Restatement, to), d, REASON);
        } else if d < 0 {
            self.entry(0, action, item, (to, Account::Restatement), -d, REASON);
        }
    }

    /// Brings the run to the reported state of `a`, the payment date just run.
    pub(super) fn restate(&mut self, a: &ActualPeriod) {
        let deal = self.deal;
        let labels = self.labels;
        for j in 0..deal.taxes.len() {
            if let Some(x) = a.taxes.get(j).copied().flatten() {
                let d = to_fen(x) - self.paid.tax[j];
                let item = &labels.tax[j];
                self.restate_move(Movement::Restate, item, Account::Tax(j), d);
                self.tax_carry[j] = (self.tax_carry[j] - d).max(0);
            }
        }
        for j in 0..deal.fees.len() {
            if let Some(x) = a.fees.get(j).copied().flatten() {
                let d = to_fen(x) - self.paid.fee[j];
                let item = &labels.fee[j];
                self.restate_move(Movement::Restate, item, Account::Fee(j), d);
                self.fee_carry[j] = (self.fee_carry[j] - d).max(0);
            }
        }
        for s in 0..deal.supports.len() {
            if let Some(x) = a.supports.get(s).copied().flatten() {
                // More drawn than the waterfall drew: from the provider to the restatement
                // account.
                let d = to_fen(x) - self.support_period[s];
                let item = Label::from(&deal.supports[s].name);
                if d > 0 {
                    self.entry(
                        0,
                        Movement::Restate,
                        &item,
                        (Account::Support(s), Account::Restatement),
                        d,
                        REASON,
                    );
                } else if d < 0 {
                    self.entry(
                        0,
                        Movement::Restate,
                        &item,
                        (Account::Restatement, Account::Support(s)),
                        -d,
                        REASON,
                    );
                }
                self.support_total[s] += d;
            }
        }
        for i in 0..deal.tranches.len() {
            let item = &labels.tranche[i];
            if let Some(x) = a.interest.get(i).copied().flatten() {
                let d = to_fen(x) - self.paid.interest[i];
                self.restate_move(Movement::Restate, item, Account::Tranche(i), d);
                self.interest_carry[i] = (self.interest_carry[i] - d).max(0);
            }
            if let Some(x) = a.principal.get(i).copied().flatten() {
                let d = (to_fen(x) - self.paid.principal[i]).min(self.balance[i]);
                self.restate_move(Movement::RestatePrincipal, item, Account::Tranche(i), d);
                self.balance[i] -= d;
            }
            if let Some(x) = a.residual.get(i).copied().flatten() {
                let d = to_fen(x) - self.paid.residual[i];
                self.restate_move(Movement::Restate, item, Account::Tranche(i), d);
            }
        }
        if let Some(x) = a.collection_balance {
            let d = to_fen(x) - self.collection;
            self.restate_move(
                Movement::Restate,
                &Label::Static("collection"),
                Account::Collection,
                d,
            );
            self.collection += d;
        }
        if let Some(x) = a.reserve_balance {
            let d = to_fen(x) - self.reserve;
            self.restate_move(
                Movement::Restate,
                &Label::Static("reserve"),
                Account::Reserve,
                d,
            );
            self.reserve += d;
        }
        if let Some(list) = &a.triggers {
            for (j, t) in self.tripped.iter_mut().enumerate() {
                *t = list.contains(&j);
            }
        }
    }
}
