//! Repaying a credit support's draws (`repay_support`; 返还差额支付款, 偿还流动性支持): a
//! waterfall step pays each support it names what the support has drawn over the run and not
//! yet been repaid, in the step's order, from the step's account, as far as the cash goes
//! (docs/deal-format.md, "Repaying a support").
//!
//! Repayments do not restore a support's caps: `cap_per_period` and `cap_total` bound its
//! draws, gross.

use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::money::Fen;

impl Run<'_> {
    /// A `repay_support` step: each support of `supports` in turn is paid the smaller of what
    /// it is owed (`support_total − support_repaid`) and the cash the step's account holds.
    pub(super) fn repay_supports(&mut self, step: u32, supports: &[usize]) {
        for &s in supports {
            let amt = owed(self.support_total[s], self.support_repaid[s]).min(self.collection);
            if amt <= 0 {
                continue;
            }
            self.collection -= amt;
            self.support_repaid[s] += amt;
            let item = Label::from(&self.deal.supports[s].name);
            self.entry(
                step,
                Movement::RepaySupport,
                &item,
                (self.src, Account::Support(s)),
                amt,
                "the support's draws repaid (返还差额支付款)",
            );
        }
    }
}

/// What a support is owed: its draws over the run less what has been repaid of them, never
/// below 0.
fn owed(drawn: Fen, repaid: Fen) -> Fen {
    (drawn - repaid).max(0)
}
