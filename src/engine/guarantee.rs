//! The asset guarantee (基础资产保证, `[[supports]] kind = "asset_guarantee"`): on each payment
//! date, before the waterfall, the guarantor pays the collection period's defaulted principal
//! into the account that collects principal (担保代偿), within its caps and while it has not
//! failed. The period's recoveries go first to the trust, for the defaulted principal the
//! guarantor did not pay (民法典 Art. 700: the guarantor's subrogation may not harm the
//! creditor), then to the guarantor until it has recovered what it paid (代位追偿), and the
//! rest to the trust (docs/conventions.md, "The asset guarantee").

use super::accounts::account;
use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::deal::CashSource;
use crate::money::{Fen, to_fen};

impl Run<'_> {
    /// The asset guarantee's payment and its recoveries on payment date `k`, after the
    /// period's deposits and before the triggers and the waterfall.
    pub(super) fn asset_guarantee(&mut self, k: usize) {
        let Some(s) = self.asset_guarantee else {
            return;
        };
        let c = &self.pool.periods[k];
        // The recoveries the trust received: less what a failed servicer kept (`commingling`).
        let (defaulted, recovered) = (
            to_fen(c.defaulted),
            to_fen(c.recovered) - self.paid.commingled_recoveries,
        );
        let before = (self.guarantee_uncovered, self.guarantor_owed);
        // The PDL before the payment cures it, for `reconcile` to cure it again.
        let pdl_before = self.pdl;
        // 担保代偿: the period's defaulted principal, within what the caps leave; nothing once
        // the provider has failed or when the scenario leaves it out.
        let pay = if self.support_on[s] {
            self.cap_room(s, defaulted)
        } else {
            0
        };
        let item = Label::from(&self.deal.supports[s].name);
        if pay > 0 {
            let to = self.deal.accounts.of(CashSource::Principal);
            *self.balance_of(to) += pay;
            self.support_period[s] += pay;
            self.support_total[s] += pay;
            self.paid.support_draws += pay;
            self.paid.guarantee += pay;
            self.guarantor_owed += pay;
            // The principal the default took is made good: a PDL that booked the defaults is
            // cured by it (review 29c item 3: one that did not was cured of other debits).
            if self.deal.pdl.is_some_and(|p| p.defaults) {
                self.pdl -= pay.min(self.pdl);
            }
            self.entry(
                0,
                Movement::GuaranteePayment,
                &item,
                (Account::Support(s), account(to)),
                pay,
                "the asset guarantor pays the period's defaulted principal (担保代偿)",
            );
        }
        // The trust's uncovered defaults come first (review 29c item 2: with a cap or a failure
        // the guarantor took the recoveries while the trust was short); then 代位追偿, up to
        // what the guarantor has paid and not yet recovered.
        let (uncovered, back) = recoveries_split(before, (defaulted, recovered), pay);
        // The guarantor's net money in the trust: its payment less the recoveries it takes
        // back (below 0 when it takes back more than it has in the accounts: the pool's own
        // recoveries, which the multiples count; review 30e item 2).
        self.guarantee_held += pay - back;
        self.guarantee_uncovered = uncovered;
        self.guarantee_date = [
            before.0, before.1, defaulted, recovered, pay, back, pdl_before,
        ];
        if back > 0 {
            let from = self.deal.accounts.of(CashSource::Recoveries);
            *self.balance_of(from) -= back;
            self.guarantor_owed -= back;
            self.subrogated += back;
            self.entry(
                0,
                Movement::Subrogation,
                &item,
                (account(from), Account::Support(s)),
                back,
                "recoveries to the asset guarantor, up to the defaulted principal it paid \
                 (代位追偿)",
            );
        }
    }
}

/// The trust's uncovered defaults after a date and the recoveries paid back to the guarantor
/// on it, from the claims before it `(uncovered, owed)`, the date's `(defaulted, recovered)`
/// and the guarantor's payment `paid`: the trust's claim first, then the guarantor's up to what
/// it is owed with this payment (docs/conventions.md, "The asset guarantee").
pub(super) fn recoveries_split(
    (uncovered, owed): (Fen, Fen),
    (defaulted, recovered): (Fen, Fen),
    paid: Fen,
) -> (Fen, Fen) {
    // U ← U + D − G: a payment above the date's defaults (a late one, reported in `reconcile`)
    // makes good earlier uncovered defaults (review 29e item 1).
    let uncovered = (uncovered + defaulted - paid).max(0);
    let first = recovered.min(uncovered);
    let back = (recovered - first).min((owed + paid).max(0));
    (uncovered - first, back)
}

#[cfg(test)]
mod tests {
    use super::recoveries_split;

    /// The split of docs/conventions.md, "The asset guarantee", worked by hand (fen omitted):
    /// U ← U + D − G; T = min(R, U); S = min(R − T, O + G).
    #[test]
    fn recoveries_go_to_the_trust_first_then_to_the_guarantor() {
        // Paid in full, recovered 300,000 in the same period: U = 0, S = min(300,000, 500,000).
        assert_eq!(
            recoveries_split((0, 0), (500_000, 300_000), 500_000),
            (0, 300_000)
        );
        // Capped at 400,000: U = 100,000 takes the first 100,000; S = min(200,000, 400,000).
        assert_eq!(
            recoveries_split((0, 0), (500_000, 300_000), 400_000),
            (0, 200_000)
        );
        // Nothing paid: U = 500,000 takes all 300,000 and keeps 200,000; S = 0.
        assert_eq!(
            recoveries_split((0, 0), (500_000, 300_000), 0),
            (200_000, 0)
        );
        // Paid late (review 29e item 1): the default of an earlier date (U = 500,000) paid on
        // a date with no default and 300,000 recovered: U = 500,000 + 0 − 500,000 = 0, so
        // S = min(300,000, 0 + 500,000) = 300,000 (the trust kept it all before).
        assert_eq!(
            recoveries_split((500_000, 0), (0, 300_000), 500_000),
            (0, 300_000)
        );
    }
}
