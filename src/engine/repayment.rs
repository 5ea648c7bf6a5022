//! Repaying a credit support's draws (`repay_support`; 返还差额支付款, 偿还流动性支持): a
//! waterfall step pays each support it names, in the step's order, from the step's account,
//! as far as the cash goes, first the interest on its draws (`interest_rate`, 资金占用费),
//! then what it has drawn over the run and not yet been repaid (docs/deal-format.md,
//! "Repaying a support").
//!
//! Repayments restore a support's `cap_total` only with `revolving_cap`; `cap_per_period`
//! bounds each date's draws, gross.

use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::money::Fen;

impl Run<'_> {
    /// A `repay_support` step: each support of `supports` in turn is paid the smaller of the
    /// interest it is owed and the cash the step's account holds (when the step repays
    /// interest), then the smaller of what it is owed of its draws (`support_total −
    /// support_repaid`) and the cash left (when it repays draws).
    pub(super) fn repay_supports(
        &mut self,
        step: u32,
        supports: &[usize],
        (pays_interest, pays_draws): (bool, bool),
    ) {
        for &s in supports {
            let item = Label::from(&self.deal.supports[s].name);
            let interest = if pays_interest {
                self.support_interest_owed[s].min(self.collection)
            } else {
                0
            };
            if interest > 0 {
                self.collection -= interest;
                self.support_interest_owed[s] -= interest;
                self.support_interest_paid[s] += interest;
                self.paid.support_interest += interest;
                self.entry(
                    step,
                    Movement::SupportInterest,
                    &item,
                    (self.src, Account::Support(s)),
                    interest,
                    "interest on the support's draws (资金占用费)",
                );
            }
            if !pays_draws {
                continue;
            }
            let amt = owed(self.support_total[s], self.support_repaid[s]).min(self.collection);
            if amt <= 0 {
                continue;
            }
            self.collection -= amt;
            self.support_repaid[s] += amt;
            self.paid.support_repaid += amt;
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

    /// Accrues, at the start of payment date `k`, each support's interest on its draws
    /// outstanding since the date before (`interest_rate`): `fen(outstanding × rate × year
    /// fraction of date k's accrual)`, rounded once under the deal's rule, added to what it is
    /// owed. No interest accrues on unpaid interest.
    pub(super) fn accrue_support_interest(&mut self, k: usize) {
        for (s, sup) in self.deal.supports.iter().enumerate() {
            let Some(rate) = sup.interest_rate else {
                continue;
            };
            let outstanding = owed(self.support_total[s], self.support_repaid[s]);
            if outstanding > 0 {
                let interest = self.money(outstanding, &[rate], self.year_fraction[k]);
                self.support_interest_owed[s] += interest;
            }
        }
    }

    /// What support `owner`'s `cap_total` counts against, for the supports `members` whose
    /// draws share it (`owner` alone, or `owner` and its backers): their draws over the run,
    /// or, with the owner's `revolving_cap`, their draws outstanding (less what was repaid of
    /// them).
    pub(super) fn cap_used(&self, owner: usize, members: impl Iterator<Item = usize>) -> Fen {
        let revolving = self.deal.supports[owner].revolving_cap;
        members
            .map(|x| {
                if revolving {
                    owed(self.support_total[x], self.support_repaid[x])
                } else {
                    self.support_total[x]
                }
            })
            .sum()
    }
}

/// What a support is owed: its draws over the run less what has been repaid of them, never
/// below 0.
fn owed(drawn: Fen, repaid: Fen) -> Fen {
    (drawn - repaid).max(0)
}
