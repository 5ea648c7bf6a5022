//! 混同风险: the servicer (资产服务机构) fails while it holds a collection period's cash.
//!
//! The scenario's `commingling = { date, share }` names the date; the collection period holding
//! it is the one whose cash the servicer had collected and not yet passed to the trust. On that
//! period's payment date each deposit loses `share` of itself, `fen(amount × share)` rounded
//! once by the deal's rule, from the account it went to, to `servicer` (outside the trust): the
//! ledger's `commingled` entries, the period row's `commingled` column. With `[pdl] defaults`,
//! the principal lost (scheduled and prepaid) is debited to the PDL as a default's is. From the
//! next period on the obligors pay the trust directly (权利完善), and nothing more is lost
//! (docs/scenarios.md).

use rust_decimal::Decimal;

use super::accounts::account;
use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::deal::{AccountRef, CashSource};
use crate::money::{Fen, Ratio, to_fen};
use crate::scenario::Scenario;

/// The collection period (index) and share the scenario's servicer failure loses, if its date
/// falls in one of `deal`'s collection periods and the share is above 0.
pub(super) fn lost_period(
    deal: &crate::deal::Deal,
    scenario: &Scenario,
) -> Option<(usize, Decimal)> {
    let c = scenario.commingling?;
    let k = crate::deal::period_of(&deal.periods, c.date)?;
    (!c.share.is_zero()).then_some((k, c.share))
}

impl Run<'_> {
    /// The date's deposits as `(item, account, amount)`, recoveries last: by source into the
    /// accounts the collection rules name, or collections and recoveries into the collection
    /// account.
    fn deposits(&self, k: usize) -> [(&'static str, AccountRef, Fen); 4] {
        if self.deal.accounts.split() {
            let amounts = self.source_amounts(k);
            let mut out = [("", AccountRef::Collection, 0); 4];
            for (i, src) in CashSource::ALL.into_iter().enumerate() {
                out[i] = (src.name(), self.deal.accounts.of(src), amounts[i]);
            }
            out
        } else {
            let none = ("", AccountRef::Collection, 0);
            [
                ("collections", AccountRef::Collection, self.cash.collected),
                none,
                none,
                ("recoveries", AccountRef::Collection, self.cash.recovered),
            ]
        }
    }

    /// On the payment date of the collection period the servicer fails in, `share` of each
    /// deposit of the date goes from its account to the servicer's estate (module docs).
    pub(super) fn commingle(&mut self, k: usize) {
        let Some((at, share)) = self.commingle_at else {
            return;
        };
        if at != k {
            return;
        }
        let split = self.deal.accounts.split();
        for (i, (item, to, amount)) in self.deposits(k).into_iter().enumerate() {
            let lost = self.money(amount, &[share], Ratio::ONE);
            if lost <= 0 {
                continue;
            }
            // Principal the trust never received is a principal loss, booked with the
            // defaults: scheduled principal and prepayments by source.
            if split && (i == 1 || i == 2) && self.deal.pdl.is_some_and(|p| p.defaults) {
                self.pdl += lost;
            }
            *self.balance_of(to) -= lost;
            self.paid.commingled += lost;
            if i == 3 {
                self.paid.commingled_recoveries += lost;
            }
            self.entry(
                0,
                Movement::Commingled,
                &Label::Static(item),
                (account(to), Account::Servicer),
                lost,
                "pool cash the failed servicer held, lost in its estate (混同)",
            );
        }
        // Without named accounts the collections are one deposit: the principal among them,
        // its own exact share rounded once.
        if !split && self.deal.pdl.is_some_and(|p| p.defaults) {
            let principal = to_fen(self.pool.periods[k].principal_collected);
            self.pdl += self.money(principal, &[share], Ratio::ONE);
        }
    }
}
