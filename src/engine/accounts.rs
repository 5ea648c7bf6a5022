//! Named accounts (收入分账户 / 本金分账户): depositing pool cash by source, running a step
//! from the account it names, transfers between accounts, the principal deficiency ledger
//! (本金亏损账), and the warning for cash a conditional step held back.

use super::ledger::{Account, Movement};
use super::result::Label;
use super::state::Run;
use crate::deal::{
    AccountRef, Action, Amortization, CashSource, Cover, Step, StepCondition, TrancheClass,
    TransferLimit,
};
use crate::error::{Check, Result, Warning};
use crate::money::{Fen, Yuan, to_fen};

/// The ledger account of an account of the trust.
pub(super) fn account(a: AccountRef) -> Account {
    match a {
        AccountRef::Collection => Account::Collection,
        AccountRef::Named(i) => Account::Named(i),
    }
}

impl Run<'_> {
    /// Cash in the collection account and every named account.
    pub(super) fn cash_total(&self) -> Fen {
        self.collection + self.named.iter().sum::<Fen>()
    }

    /// The funds a coverage multiple counts: [`Run::cash_total`] less the asset guarantor's
    /// net money still in the accounts (`guarantee_held`: what is left of its earlier payments,
    /// taken as the last cash to leave them, plus the date's payment, less the recoveries it
    /// took back on the date), at least 0 (reviews 30a item 2, 30c item 2 and 30e item 2: the
    /// multiple measures the pool's own over-coverage, before any credit support).
    #[inline(always)]
    pub(super) fn coverage_funds(&self) -> Fen {
        (self.cash_total() - self.guarantee_held).max(0)
    }

    /// The balance of `a` (outside a step, when no named account is swapped in).
    pub(super) fn balance_of(&mut self, a: AccountRef) -> &mut Fen {
        match a {
            AccountRef::Collection => &mut self.collection,
            AccountRef::Named(i) => &mut self.named[i],
        }
    }

    /// Period `k`'s pool cash by source, in [`CashSource::ALL`]'s order: interest, scheduled
    /// principal (principal collected less prepayments), prepayments, recoveries.
    pub(super) fn source_amounts(&self, k: usize) -> [Fen; 4] {
        let c = &self.pool.periods[k];
        let prepaid = to_fen(c.prepaid);
        [
            to_fen(c.interest_collected),
            to_fen(c.principal_collected) - prepaid,
            prepaid,
            to_fen(c.recovered),
        ]
    }

    /// Deposits period `k`'s pool cash source by source into the accounts the collection
    /// rules name: interest, scheduled principal (principal collected less prepayments),
    /// prepayments, recoveries.
    pub(super) fn deposit_by_source(&mut self, k: usize) {
        let amounts = self.source_amounts(k);
        for (src, amount) in CashSource::ALL.into_iter().zip(amounts) {
            let to = self.deal.accounts.of(src);
            *self.balance_of(to) += amount;
            let reason = match src {
                CashSource::Interest => "interest collected in the period",
                CashSource::Principal => "scheduled principal collected in the period",
                CashSource::Prepayments => "principal prepaid in the period",
                CashSource::Recoveries => "recoveries received in the period",
            };
            self.entry(
                0,
                Movement::Deposit,
                &Label::Static(src.name()),
                (Account::Pool, account(to)),
                amount,
                reason,
            );
        }
    }

    /// 合格投资: what the trust's cash held since the last date (or the reserve funded at
    /// closing) earned, `fen(cash × reinvestment_rate × year fraction of the date's accrual
    /// period)` rounded once, deposited into the account that collects interest before the
    /// date's collections (docs/conventions.md, "Income on cash held").
    pub(super) fn investment_income(&mut self, k: usize) {
        let rate = self.deal.reinvestment_rate;
        if rate.is_zero() {
            return;
        }
        let held = self.cash_total() + self.reserve;
        let income = self.money(held, &[rate], self.year_fraction[k]);
        if income <= 0 {
            return;
        }
        let to = self.deal.accounts.of(CashSource::Interest);
        *self.balance_of(to) += income;
        self.invested += income;
        self.entry(
            0,
            Movement::InvestmentIncome,
            &Label::Static("investment_income"),
            (Account::Investment, account(to)),
            income,
            "income on the trust's cash held since the last date (合格投资收益)",
        );
    }

    /// Debits the PDL with period `k`'s defaulted principal (`[pdl] defaults`).
    pub(super) fn book_defaults(&mut self, k: usize) {
        if self.deal.pdl.is_some_and(|p| p.defaults) {
            self.pdl += to_fen(self.pool.periods[k].defaulted);
        }
    }

    /// Runs `step` from the account it names: a named account's balance is swapped into the
    /// paying slot for the step, and its movements are recorded against that account.
    #[inline(always)]
    pub(super) fn step_from(&mut self, step_no: u32, step: &Step) -> Result<()> {
        if let Action::Transfer { from, to, limit } = &step.action {
            self.transfer(step_no, *from, *to, limit);
            return Ok(());
        }
        let AccountRef::Named(a) = step.from else {
            return self.step(step_no, &step.action);
        };
        std::mem::swap(&mut self.collection, &mut self.named[a]);
        self.src = Account::Named(a);
        let r = self.step(step_no, &step.action);
        std::mem::swap(&mut self.collection, &mut self.named[a]);
        self.src = Account::Collection;
        r
    }

    /// What is still unpaid of `covers` on this payment date.
    fn unpaid(&self, covers: &[Cover]) -> Fen {
        let deal = self.deal;
        let class = |c: TrancheClass| {
            (0..deal.tranches.len()).filter(move |&i| deal.tranches[i].class == c)
        };
        let interest = |c| -> Fen {
            class(c)
                .map(|i| self.due.interest[i] - self.paid.interest[i])
                .sum()
        };
        let principal = |c| -> Fen {
            class(c)
                .map(|i| {
                    (self.due.principal[i] - self.paid.principal[i])
                        .max(0)
                        .min(self.balance[i])
                })
                .sum()
        };
        covers
            .iter()
            .map(|c| match c {
                Cover::Taxes => self
                    .due
                    .tax
                    .iter()
                    .zip(&self.paid.tax)
                    .map(|(d, p)| d - p)
                    .sum(),
                Cover::Fees => self
                    .due
                    .fee
                    .iter()
                    .zip(&self.paid.fee)
                    .map(|(d, p)| d - p)
                    .sum(),
                Cover::SeniorInterest => interest(TrancheClass::Senior),
                Cover::MezzanineInterest => interest(TrancheClass::Mezzanine),
                Cover::SeniorPrincipal => principal(TrancheClass::Senior),
                Cover::MezzaninePrincipal => principal(TrancheClass::Mezzanine),
            })
            .map(|x: Fen| x.max(0))
            .sum()
    }

    /// A `transfer` step: moves at most `from`'s balance, limited by the PDL (which it then
    /// clears) or by what `to` lacks to pay `covers` (which it then debits to the PDL).
    fn transfer(&mut self, step: u32, from: AccountRef, to: AccountRef, limit: &TransferLimit) {
        let have = *self.balance_of(from);
        let (amount, reason, item) = match limit {
            TransferLimit::All => (have, "transfer between accounts", "transfer"),
            TransferLimit::Pdl => (
                have.min(self.pdl),
                "cures the principal deficiency ledger (收入账补足本金亏损)",
                "pdl",
            ),
            TransferLimit::Covers(c) => {
                let short = (self.unpaid(c) - *self.balance_of(to)).max(0);
                (
                    have.min(short),
                    "covers a shortfall of the items listed (本金账补充收入账)",
                    "shortfall",
                )
            }
        };
        if amount <= 0 {
            return;
        }
        *self.balance_of(from) -= amount;
        *self.balance_of(to) += amount;
        match limit {
            TransferLimit::Pdl => self.pdl -= amount,
            TransferLimit::Covers(_) if self.deal.pdl.is_some() => self.pdl += amount,
            _ => {}
        }
        self.entry(
            step,
            Movement::Transfer,
            &Label::Static(item),
            (account(from), account(to)),
            amount,
            reason,
        );
    }

    /// After the waterfall: for each account a step with a false `when` would have paid
    /// from, warn (once per account and run) when cash is left in it while a senior or
    /// mezzanine tranche could take principal (a pass-through tranche with a balance, or
    /// principal due and unpaid), naming that step.
    #[inline(always)]
    pub(super) fn cash_held(&mut self, skipped: &[(AccountRef, usize)]) {
        let deal = self.deal;
        if deal.allow.contains(&Check::CashHeld) {
            return;
        }
        // A rated (senior or mezzanine) tranche that could take the cash now: a pass-through
        // one with a balance, or one with principal due and unpaid. A scheduled or bullet
        // tranche whose due is paid holds cash by design, and so does a subordinated tranche
        // waiting for the senior (Chinese practice).
        let takes = |i: usize| {
            self.balance[i] > 0
                && deal.tranches[i].class != TrancheClass::Subordinated
                && (deal.tranches[i].amortization == Amortization::PassThrough
                    || self.due.principal[i] > self.paid.principal[i])
        };
        let Some(t) = (0..deal.tranches.len()).find(|&i| takes(i)) else {
            return;
        };
        for &(from, s) in skipped {
            let held = *self.balance_of(from);
            let acct = account(from);
            if held <= 0 || self.held_warned.contains(&acct) {
                continue;
            }
            self.held_warned.push(acct);
            let p = deal.periods[self.k];
            let w = &deal.waterfalls[self.wf];
            let name = deal.accounts.name_of(from);
            let (held, out) = (Yuan(held).text(), Yuan(self.balance[t]).text());
            // Concatenated (one allocation) rather than `format!`ted: most stressed scenarios
            // of a sweep hold cash once (docs/performance.md, session 16).
            let step = (s + 1).to_string();
            // What the step waits for, when its condition says it: the tranches a `paid_off`
            // names that are still outstanding (review 26d item L1: the advice suggested the
            // condition the step already had).
            let waits: Vec<&str> = match &w.steps[s].when {
                Some(StepCondition::PaidOff(list)) => list
                    .iter()
                    .filter(|&&j| self.balance[j] > 0)
                    .map(|&j| deal.tranches[j].name.as_str())
                    .collect(),
                Some(StepCondition::SeniorPaidOff) => deal
                    .tranches
                    .iter()
                    .enumerate()
                    .filter(|&(j, x)| x.class == TrancheClass::Senior && self.balance[j] > 0)
                    .map(|(_, x)| x.name.as_str())
                    .collect(),
                _ => Vec::new(),
            };
            let advice = if self.unit_final {
                // No later date (review 28d item 1): under `per_unit` the cash is what no figure
                // per 100 of the short tranche can pay, less than one unit of its figure.
                "; it is the deal's last date: the fen that no figure per 100 of the tranche can \
                 pay (`[notices] per_unit`) stay in the account after the deal"
                    .to_string()
            } else if waits.is_empty() {
                "; a condition such as { paid_off = \"…\" } can release the cash once a class \
                 is repaid"
                    .to_string()
            } else {
                format!(
                    "; it waits until {} {} repaid",
                    waits.join(", "),
                    if waits.len() == 1 { "is" } else { "are" }
                )
            };
            let message = [
                held.as_str(),
                " is held in the ",
                name,
                " account after this payment date while tranche ",
                &deal.tranches[t].name,
                " has ",
                out.as_str(),
                " of principal outstanding that it could take: step ",
                &step,
                " of waterfall `",
                &w.name,
                "` (",
                action_name(&w.steps[s].action),
                ") did not run because its `when` is false",
                advice.as_str(),
            ]
            .concat();
            self.held_warnings.push(Warning::run(
                Check::CashHeld,
                &self.scenario.name,
                Some((p.number, p.date())),
                message,
            ));
        }
    }
}

/// The TOML name of a step's action.
fn action_name(a: &Action) -> &'static str {
    match a {
        Action::PayTax(_) => "pay_tax",
        Action::PayFee(_) | Action::PayFeePart { .. } => "pay_fee",
        Action::PayInterest(_) => "pay_interest",
        Action::PayPrincipal { .. } => "pay_principal",
        Action::TopUpReserve | Action::DepositReserve => "top_up_reserve",
        Action::ReleaseReserve => "release_reserve",
        Action::PaySubReturn(_) => "pay_sub_return",
        Action::PayResidual(_) => "pay_residual",
        Action::Transfer { .. } => "transfer",
        Action::BuyAssets(_) => "buy_assets",
        Action::RepaySupport { .. } => "repay_support",
    }
}
