//! `ipabs reconcile`: after each actual payment date, the run is brought to the state the
//! trustee reported (docs/auditing.md), so that the next date — and the projection after the
//! last actual one — starts from what really happened, and the date's rows state it.
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
//! * declared triggers: they are the tripped ones from then on; without a declaration, the
//!   conditions tested after the waterfall (a senior interest shortfall, senior principal
//!   outstanding after the legal maturity) are tested again on the reported payments.
//!
//! The date's rows follow: its `tranche_flows` rows (paid, shortfall, balance after), its
//! `fees` rows (paid, arrears) and its `periods` row (the paid totals, support draws, account
//! and senior balances after the date, tripped triggers) state the restated figures, and the
//! tranches' summary totals are rebuilt from the rows ([`Run::retotal`]). What the waterfall
//! wrote before is kept for the reconciliation ([`WaterfallRows`]).
//!
//! Nothing moves when the reported lines equal the waterfall's, so actuals equal to the
//! projection give exactly the run. The engine's conservation check counts the restatement
//! account's net as an inflow ([`super::result::Conservation::restated`]).

use rust_decimal::Decimal;

use super::ledger::{Account, Movement};
use super::result::{ChargeRow, Label, NoticeRow, PeriodRow, TrancheFlowRow};
use super::state::{Run, dec, tripped_names};
use super::summary::{TrancheDate, TrancheTotals};
use crate::actuals::ActualPeriod;
use crate::error::{Check, Error, Result, Warning};
use crate::money::{Fen, to_fen};

/// The rows of one actual payment date as the waterfall wrote them, before the restatement
/// brought them to the reported figures: what the reconciliation's `model` column states
/// (docs/auditing.md).
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallRows {
    /// The payment date's number.
    pub period: u32,
    /// Its `periods` row.
    pub period_row: PeriodRow,
    /// Its `tranche_flows` rows, in the deal's tranche order.
    pub tranche_flows: Vec<TrancheFlowRow>,
    /// Its `fees` rows: the taxes, then the fees, in the deal's order.
    pub charges: Vec<ChargeRow>,
    /// What each support provider was drawn on the date (the ledger's `draw_support`), in the
    /// deal's order.
    pub support_draws: Vec<Decimal>,
    /// What `repay_support` steps repaid each support of its draws on the date, and paid it in
    /// interest (the ledger's `repay_support` and `support_interest`), in the deal's order.
    pub support_repaid: Vec<(Decimal, Decimal)>,
    /// Its `payment_notices` rows, in the deal's tranche order (a tranche without notices, or
    /// repaid and paid nothing, has none).
    pub notices: Vec<NoticeRow>,
}

/// What the restatement of one date moved to the payees (from the providers, for support
/// draws), in fen: the period row's totals change by as much.
#[derive(Debug, Default)]
struct Moved {
    tax: Fen,
    fee: Fen,
    support: Fen,
    interest: Fen,
    principal: Fen,
    residual: Fen,
    /// The asset guarantor's payment, also in `support`.
    guarantee: Fen,
    /// Repaid to the supports of their draws, and paid to them in interest.
    support_repaid: Fen,
    support_interest: Fen,
    /// The reserve's restated balance less the waterfall's: the row's deposit moves by it.
    reserve: Fen,
    /// What the restatement account moved to and from the asset guarantor (its payment and
    /// the recoveries it takes back, which the date's available funds state as the waterfall
    /// had them): not the row's cash.
    outside: Fen,
}

/// How many rows at the end of `rows` belong to payment date `number` (a run writes a date's
/// rows together, after the earlier dates').
pub(super) fn tail<T>(rows: &[T], number: u32, period: impl Fn(&T) -> u32) -> usize {
    rows.iter()
        .rev()
        .take_while(|r| period(r) == number)
        .count()
}

/// The rows of payment date `number` at the end of `rows`.
fn date_rows<T>(rows: &mut [T], number: u32, period: impl Fn(&T) -> u32) -> &mut [T] {
    let n = tail(rows, number, period);
    let len = rows.len();
    &mut rows[len - n..]
}

/// A row of the date that the run did not write: a bug, never a result.
fn missing(what: &str, number: u32) -> Error {
    Error::Internal(format!(
        "reconcile: payment date {number} has no {what} row to restate"
    ))
}

const REASON: &str = "restated to the reported figure (reconcile)";

impl Run<'_> {
    /// Moves `d` from the restatement account to `to` (or back when negative).
    fn restate_move(&mut self, action: Movement, item: &Label, to: Account, d: Fen) {
        self.restate_move_for(action, item, to, d, REASON);
    }

    /// [`Run::restate_move`] with its ledger reason.
    fn restate_move_for(
        &mut self,
        action: Movement,
        item: &Label,
        to: Account,
        d: Fen,
        reason: &'static str,
    ) {
        self.restated_net += d;
        if d > 0 {
            self.entry(0, action, item, (Account::Restatement, to), d, reason);
        } else if d < 0 {
            self.entry(0, action, item, (to, Account::Restatement), -d, reason);
        }
    }

    /// Whether the report of the date just run can be checked to add up: it states the
    /// balances of the accounts (`accounts.collection`, and `accounts.reserve` with a reserve)
    /// and every line the waterfall paid something on (a line it leaves out keeps the
    /// waterfall's figure, which is no reported figure: review 26c item M3). Not for a deal
    /// with named accounts, whose balances a report cannot state (item M1), a revolving deal
    /// (its purchases are not reported), a deal whose cash earns income (`reinvestment_rate`:
    /// the income a report cannot state; review 29f item 1) or the clean-up call's date (its
    /// price is not).
    fn report_is_whole(&self, a: &ActualPeriod) -> bool {
        let deal = self.deal;
        if deal.accounts.split()
            || deal.revolving.is_some()
            || !deal.reinvestment_rate.is_zero()
            || self.called
            || a.collection_balance.is_none()
            || (deal.reserve.is_some() && a.reserve_balance.is_none())
        {
            return false;
        }
        let given = |v: &[Option<Decimal>], j: usize| v.get(j).copied().flatten().is_some();
        let p = &self.paid;
        (0..deal.taxes.len()).all(|j| given(&a.taxes, j) || p.tax[j] == 0)
            && (0..deal.fees.len()).all(|j| given(&a.fees, j) || p.fee[j] + p.fee_excess[j] == 0)
            && (0..deal.supports.len())
                .all(|s| given(&a.supports, s) || self.support_period[s] == 0)
            && (0..deal.supports.len()).all(|s| {
                let (repaid, interest) = self.repaid_on_date(deal.periods[self.k].number, s);
                (given(&a.support_repaid, s) || repaid == 0)
                    && (given(&a.support_interest, s) || interest == 0)
            })
            && (0..deal.tranches.len()).all(|i| {
                (given(&a.interest, i) || p.interest[i] == 0)
                    && (given(&a.principal, i) || p.principal[i] == 0)
                    && (given(&a.residual, i) || p.residual[i] == 0)
            })
    }

    /// The `actuals_cash` warning of the date just restated: its reported payments and
    /// balances need [`Run::restated_net`] more (or less) than its sources gave.
    fn actuals_do_not_add_up(&mut self) -> Result<()> {
        let p = self.deal.periods[self.k];
        let net = dec(self.restated_net.abs())?;
        let (side, what) = if self.restated_net > 0 {
            ("exceed", "created")
        } else {
            ("fall short of", "removed")
        };
        let message = format!(
            "the reported figures do not add up: the payments and account balances reported \
             {side} the date's sources (the collections, draws and balances brought forward) by \
             {}; the restatement {what} that cash to follow the report. Check the report's \
             amounts (figures per 100 typed as yuan?) and its account balances",
            net
        );
        self.held_warnings.push(Warning::run(
            Check::ActualsCash,
            &self.scenario.name,
            Some((p.number, p.date())),
            message,
        ));
        Ok(())
    }

    /// The rows of the payment date just run, as the waterfall wrote them (before
    /// [`Run::restate`]).
    pub(super) fn waterfall_rows(&self) -> Result<WaterfallRows> {
        let number = self.deal.periods[self.k].number;
        let period_row = self
            .periods
            .last()
            .filter(|r| r.period == number)
            .cloned()
            .ok_or_else(|| missing("period", number))?;
        let flows = tail(&self.flows, number, |r| r.period);
        let charges = tail(&self.charges, number, |r| r.period);
        let notices = tail(&self.notices, number, |r| r.period);
        Ok(WaterfallRows {
            period: number,
            period_row,
            tranche_flows: self.flows[self.flows.len() - flows..].to_vec(),
            charges: self.charges[self.charges.len() - charges..].to_vec(),
            support_draws: self
                .support_period
                .iter()
                .map(|&f| dec(f))
                .collect::<Result<_>>()?,
            support_repaid: (0..self.deal.supports.len())
                .map(|s| {
                    let (r, i) = self.repaid_on_date(number, s);
                    Ok((dec(r)?, dec(i)?))
                })
                .collect::<Result<_>>()?,
            notices: self.notices[self.notices.len() - notices..].to_vec(),
        })
    }

    /// What the date's `repay_support` steps paid support `s`: (of its draws, in interest),
    /// from the date's ledger entries (a restated run keeps its ledger).
    fn repaid_on_date(&self, number: u32, s: usize) -> (Fen, Fen) {
        self.ledger
            .iter()
            .rev()
            .take_while(|e| e.period == number)
            .filter(|e| e.destination == Account::Support(s))
            .fold((0, 0), |(r, i), e| match e.action {
                Movement::RepaySupport => (r + to_fen(e.amount), i),
                Movement::SupportInterest => (r, i + to_fen(e.amount)),
                _ => (r, i),
            })
    }

    /// With `[notices] per_unit`, the part of tranche `i`'s interest due on this date that no
    /// figure per 100 of it pays (`due − paid_of(per_100(due))`), carried by design; 0 on a
    /// date the tranche is paid by its figures (its 尾差 is forgone, not carried) and without
    /// `per_unit`.
    pub(super) fn due_residual(&self, i: usize) -> Result<Fen> {
        use super::notice::{paid_of, per_100};
        let rules = &self.deal.notices;
        let due = self.due.interest[i];
        if !rules.per_unit || due <= 0 || self.pays_by_figure(i) {
            return Ok(0);
        }
        let initial = to_fen(self.deal.tranches[i].balance);
        let m = per_100(due, initial, rules.decimals, rules.rounding)?;
        Ok(due - paid_of(m, initial, rules.decimals, rules.rounding)?)
    }

    /// Sets the `index`th `fees` row of payment date `number` (the taxes, then the fees) to
    /// `paid` and `arrears`.
    fn restate_charge(&mut self, number: u32, index: usize, paid: Fen, arrears: Fen) -> Result<()> {
        let row = date_rows(&mut self.charges, number, |r| r.period)
            .get_mut(index)
            .ok_or_else(|| missing("fee or tax", number))?;
        row.paid = dec(paid)?;
        row.arrears = dec(arrears)?;
        Ok(())
    }

    /// Brings the run to the reported state of `a`, the payment date just run, and the date's
    /// rows with it.
    pub(super) fn restate(&mut self, a: &ActualPeriod) -> Result<()> {
        let deal = self.deal;
        let number = deal.periods[self.k].number;
        let mut moved = Moved::default();
        self.restated_net = 0;
        let whole = self.report_is_whole(a);
        self.restate_charges(a, number, &mut moved)?;
        self.restate_supports(a, &mut moved);
        self.restate_repayments(a, &mut moved);
        let tranche_restated = self.restate_tranches(a, number, &mut moved)?;
        // The date's notices state what was reported: their figures per 100, what those pay
        // and the residual X − paid of the restated X.
        if !tranche_restated.is_empty() {
            self.restate_notices(self.k, &tranche_restated)?;
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
            moved.reserve += d;
        }
        // A date whose report is whole adds up when nothing was created or taken: its reported
        // uses equal its sources (review 26a item M2).
        if whole && self.restated_net != 0 && !deal.allow.contains(&Check::ActualsCash) {
            self.actuals_do_not_add_up()?;
        }
        // Declared triggers are the tripped ones; without a declaration the conditions tested
        // after the waterfall are tested again on the reported payments.
        if let Some(list) = &a.triggers {
            for (j, t) in self.tripped.iter_mut().enumerate() {
                *t = list.contains(&j);
            }
            // Whether the revolving period ends follows the declared triggers.
            self.revolving_over = self.revolving_over_before;
        } else {
            self.retest_triggers();
        }
        self.end_revolving_on_triggers();
        self.restate_period_row(number, &moved)
    }

    /// The reported taxes and fees (`restate`): each paid as reported, its arrears moved by
    /// as much, its `fees` row restated.
    fn restate_charges(&mut self, a: &ActualPeriod, number: u32, moved: &mut Moved) -> Result<()> {
        let deal = self.deal;
        let labels = self.labels;
        let nx = deal.taxes.len();
        for j in 0..nx {
            if let Some(x) = a.taxes.get(j).copied().flatten() {
                let paid = to_fen(x);
                let d = paid - self.paid.tax[j];
                if d == 0 {
                    continue;
                }
                self.restate_move(Movement::Restate, &labels.tax[j], Account::Tax(j), d);
                self.tax_carry[j] = (self.tax_carry[j] - d).max(0);
                self.charge_paid[j] += d;
                moved.tax += d;
                self.restate_charge(number, j, paid, self.tax_carry[j])?;
            }
        }
        for j in 0..deal.fees.len() {
            if let Some(x) = a.fees.get(j).copied().flatten() {
                let paid = to_fen(x);
                // The report states, as the fee's row does, what was paid of the fee and of its
                // excess over a cap together.
                let d = paid - (self.paid.fee[j] + self.paid.fee_excess[j]);
                if d == 0 {
                    continue;
                }
                self.restate_move(Movement::Restate, &labels.fee[j], Account::Fee(j), d);
                // The arrears fall by δ, never below zero: the fee's own first, then its
                // excess; less paid (δ < 0) adds to the fee's own.
                let spill = (d - self.fee_carry[j]).max(0);
                self.fee_carry[j] = (self.fee_carry[j] - d).max(0);
                self.fee_excess_carry[j] = (self.fee_excess_carry[j] - spill).max(0);
                self.charge_paid[nx + j] += d;
                moved.fee += d;
                let arrears = self.fee_carry[j] + self.fee_excess_carry[j];
                self.restate_charge(number, nx + j, paid, arrears)?;
            }
        }
        Ok(())
    }

    /// The reported support draws (`restate`): the difference from or to the provider, and
    /// an asset guarantor's claim on the recoveries with it.
    fn restate_supports(&mut self, a: &ActualPeriod, moved: &mut Moved) {
        let deal = self.deal;
        for s in 0..deal.supports.len() {
            if let Some(x) = a.supports.get(s).copied().flatten() {
                // More drawn than the waterfall drew: from the provider to the restatement
                // account (a move of −δ towards the provider).
                let d = to_fen(x) - self.support_period[s];
                let item = Label::from(&deal.supports[s].name);
                self.restate_move(Movement::Restate, &item, Account::Support(s), -d);
                self.support_total[s] += d;
                moved.support += d;
                // The asset guarantor's claim on the recoveries follows what it is reported to
                // have paid (代位追偿 of the 担保代偿 reported).
                if self.asset_guarantee == Some(s) && d != 0 {
                    let more = self.restate_guarantee(&item, s, d);
                    moved.guarantee += d;
                    moved.outside += more - d;
                }
            }
        }
    }

    /// The reported repayments of the supports (`support_repaid`, `support_interest`; since
    /// session 36): the difference from the date's `repay_support` payments moves between the
    /// restatement account and the support, and what it was repaid and paid in interest
    /// follow; its interest still owed falls by the interest's difference, never below zero.
    fn restate_repayments(&mut self, a: &ActualPeriod, moved: &mut Moved) {
        let number = self.deal.periods[self.k].number;
        for s in 0..self.deal.supports.len() {
            let (repaid, interest) = self.repaid_on_date(number, s);
            let item = Label::from(&self.deal.supports[s].name);
            // At most what the support was owed on the date: its draws not repaid before it,
            // and its interest accrued and unpaid (review 36d items H1, M1: a surplus cancelled
            // later draws in silence). A report above it is told and restated to the most.
            let most_repaid = repaid + (self.support_total[s] - self.support_repaid[s]).max(0);
            let most_interest = interest + self.support_interest_owed[s];
            if let Some(x) = a.support_repaid.get(s).copied().flatten() {
                let reported = self.at_most_owed(s, "repaid of its draws", to_fen(x), most_repaid);
                let d = reported - repaid;
                self.restate_move_for(
                    Movement::Restate,
                    &item,
                    Account::Support(s),
                    d,
                    "a support's repayment restated to the reported figure (reconcile)",
                );
                self.support_repaid[s] += d;
                moved.support_repaid += d;
            }
            if let Some(x) = a.support_interest.get(s).copied().flatten() {
                let reported = self.at_most_owed(s, "paid in interest", to_fen(x), most_interest);
                let d = reported - interest;
                self.restate_move_for(
                    Movement::Restate,
                    &item,
                    Account::Support(s),
                    d,
                    "a support's interest restated to the reported figure (reconcile)",
                );
                self.support_interest_paid[s] += d;
                moved.support_interest += d;
                self.support_interest_owed[s] = (self.support_interest_owed[s] - d).max(0);
            }
        }
    }

    /// `reported`, at most `most` (what support `s` was owed of `what` on the date), with an
    /// `actuals_cash` warning when it is more.
    fn at_most_owed(&mut self, s: usize, what: &str, reported: Fen, most: Fen) -> Fen {
        if reported <= most {
            return reported;
        }
        let p = self.deal.periods[self.k];
        let fmt = |f: Fen| dec(f).map_or_else(|_| f.to_string(), |d| d.to_string());
        let message = format!(
            "support `{}` is reported {what} {}, more than the {} it was owed on the date: \
             restated as {}; check the report (a repayment of another support, or of a later \
             date?)",
            self.deal.supports[s].name,
            fmt(reported),
            fmt(most),
            fmt(most)
        );
        self.held_warnings.push(Warning::run(
            Check::ActualsCash,
            &self.scenario.name,
            Some((p.number, p.date())),
            message,
        ));
        most
    }

    /// The reported tranche payments (`restate`): each paid as reported, its interest carried
    /// and its balance as they follow, its `tranche_flows` row restated. Returns the
    /// tranches restated, whose notices are computed again.
    fn restate_tranches(
        &mut self,
        a: &ActualPeriod,
        number: u32,
        moved: &mut Moved,
    ) -> Result<Vec<usize>> {
        let deal = self.deal;
        let labels = self.labels;
        let mut tranche_restated = Vec::new();
        for i in 0..deal.tranches.len() {
            let item = &labels.tranche[i];
            let (mut di, mut dp, mut dr) = (0, 0, 0);
            // The 尾差 as the waterfall left it: a report that changes only it (one equal to a
            // short payment) restates the row and the notice too.
            let residual_before = self.paid.unit_residual[i];
            if let Some(x) = a.interest.get(i).copied().flatten() {
                di = to_fen(x) - self.paid.interest[i];
                self.restate_move(Movement::Restate, item, Account::Tranche(i), di);
                // What was reported was paid. A 尾差 forgone on a tranche's last date belonged
                // to a payment that no longer stands: the due is the whole interest again. The
                // 尾差 carried by design is the part of the due that no per-unit figure could
                // pay (the due less what its figure pays), whoever paid: it stays carried as
                // such, up to what is still owed (review 33b item H1: a report paying 0.01
                // more than the figure was told as 39.03 not paid as agreed; review 27c item
                // 4 had taken the whole 尾差 off). Of the due, not of the waterfall's payment
                // (review 33g item M3: a waterfall short of cash carried a 尾差 of what it paid).
                // Whenever the report states the interest, so that a report equal to a short
                // waterfall's payment and one a fen more are told alike (review 33h item M3).
                if di != 0 {
                    self.interest_carry[i] += self.unforgo(i);
                }
                let by_design = self.due_residual(i)?;
                // Reported beyond what was owed: interest deferred to maturity paid early
                // (review 32e item 3: it was paid again at maturity).
                let early = (di - self.interest_carry[i]).max(0);
                self.interest_carry[i] = (self.interest_carry[i] - di).max(0);
                self.paid.unit_residual[i] = by_design.min(self.interest_carry[i]);
                if early > 0 && deal.tranches[i].interest_at_maturity {
                    self.deferred_interest[i] = (self.deferred_interest[i] - early).max(0);
                }
                // Reported below the waterfall's payment of a tranche whose deferred interest
                // the waterfall paid early on the date: up to that early payment, what was not
                // paid stays deferred, no shortfall (review 43f F5: it was carried as unpaid
                // interest and told as not paid as agreed, 未按约定分配).
                if di < 0 {
                    let k = self.k;
                    let paid_early: Fen = self
                        .early_deferred
                        .iter()
                        .filter(|&&(d, t, _)| d == k && t == i)
                        .map(|x| x.2)
                        .sum();
                    let back = (-di).min(paid_early).min(self.interest_carry[i]);
                    if back > 0 {
                        self.deferred_interest[i] += back;
                        self.interest_carry[i] -= back;
                        self.due.interest[i] -= back;
                    }
                }
            }
            if let Some(x) = a.principal.get(i).copied().flatten() {
                dp = (to_fen(x) - self.paid.principal[i]).min(self.balance[i]);
                if dp != 0 {
                    self.paid.unit_residual_principal[i] = 0;
                }
                self.restate_move(Movement::RestatePrincipal, item, Account::Tranche(i), dp);
                self.balance[i] -= dp;
                // A tranche the waterfall redeemed and the report does not: its interest 尾差,
                // forgone with the redemption, is carried again (review 28c item 6).
                let by_figure = self.pays_by_figure(i);
                if self.balance[i] > 0 && !by_figure && self.paid.unit_forgone[i] > 0 {
                    let f = self.unforgo(i);
                    self.paid.unit_residual[i] += f;
                    self.interest_carry[i] += f;
                }
            }
            if let Some(x) = a.residual.get(i).copied().flatten() {
                dr = to_fen(x) - self.paid.residual[i];
                self.restate_move(Movement::Restate, item, Account::Tranche(i), dr);
            }
            if (di, dp, dr) == (0, 0, 0) && self.paid.unit_residual[i] == residual_before {
                continue;
            }
            tranche_restated.push(i);
            moved.interest += di;
            moved.principal += dp;
            moved.residual += dr;
            // What the tranche was paid on the date is now the reported figure: the date's
            // notices are computed again from it below.
            self.paid.interest[i] += di;
            self.paid.principal[i] += dp;
            self.paid.residual[i] += dr;
            let interest_due = dec(self.due.interest[i])?;
            let interest = dec(self.paid.interest[i])?;
            let principal = dec(self.paid.principal[i])?;
            let residual = dec(self.paid.residual[i])?;
            let shortfall = dec(self.interest_carry[i])?;
            let balance_end = dec(self.balance[i])?;
            let row = date_rows(&mut self.flows, number, |r| r.period)
                .get_mut(i)
                .ok_or_else(|| missing("tranche", number))?;
            row.interest_due = interest_due;
            row.interest_paid = interest;
            row.principal_paid = principal;
            row.residual_paid = residual;
            row.interest_shortfall = shortfall;
            row.interest_residual = dec(self.paid.unit_residual[i])?;
            row.balance_end = balance_end;
        }
        Ok(tranche_restated)
    }

    /// The date's period row after the restatement (`restate`).
    fn restate_period_row(&mut self, number: u32, moved: &Moved) -> Result<()> {
        let deal = self.deal;
        // The period row: the paid totals by what moved; the balances after the date and the
        // tripped triggers as they now are. What the date started with (available funds), the
        // waterfall that ran, its coverage multiple, reserve draws and deposit stay.
        let senior = dec(self.senior_balance())?;
        let (collection, reserve) = (dec(self.collection)?, dec(self.reserve)?);
        // The PDL as restated (review 29d item 3: an asset guarantee's restated payment moved
        // it, and the row kept the waterfall's).
        let pdl = match deal.pdl {
            Some(_) => Some(dec(self.pdl)?),
            None => None,
        };
        let tripped = tripped_names(deal, &self.tripped);
        let row = self
            .periods
            .last_mut()
            .filter(|r| r.period == number)
            .ok_or_else(|| missing("period", number))?;
        for (total, d) in [
            (&mut row.taxes_paid, moved.tax),
            (&mut row.fees_paid, moved.fee),
            (&mut row.support_draws, moved.support),
            (&mut row.interest_paid, moved.interest),
            (&mut row.principal_paid, moved.principal),
            (&mut row.residual_paid, moved.residual),
            (&mut row.guarantee_payment, moved.guarantee),
            (&mut row.support_repaid, moved.support_repaid),
            (&mut row.support_interest_paid, moved.support_interest),
            (&mut row.reserve_deposit, moved.reserve),
        ] {
            if d != 0 {
                *total = dec(to_fen(*total) + d)?;
            }
        }
        row.restated = dec(self.restated_net - moved.outside)?;
        row.collection_balance_end = collection;
        row.reserve_balance_end = reserve;
        if pdl.is_some() {
            row.pdl_balance_end = pdl;
        }
        row.senior_balance_end = senior;
        row.triggers_tripped = tripped;
        super::record::RowCash::of(row).adds_up(number)
    }

    /// The asset guarantee's date worked again from a reported payment `d` more than the run's
    /// (less when negative): the claims, the recoveries paid back on the date (review 29d item
    /// 2: a guarantor reported to have paid less kept the recoveries of the larger payment) and
    /// the PDL it cured (review 29c item 4).
    fn restate_guarantee(&mut self, item: &Label, s: usize, d: Fen) -> Fen {
        let [
            uncovered,
            owed,
            defaulted,
            recovered,
            paid,
            back,
            pdl_before,
        ] = self.guarantee_date;
        let paid_now = (paid + d).max(0);
        let (uncovered_now, back_now) =
            super::guarantee::recoveries_split((uncovered, owed), (defaulted, recovered), paid_now);
        self.guarantee_uncovered = uncovered_now;
        self.guarantor_owed = owed + paid_now - back_now;
        // The recoveries the guarantor gets on the date less what it got: from the trust
        // (through the restatement account) when more, back to it when less.
        let more = back_now - back;
        // The guarantor's net money held follows the reported payment and its recoveries.
        self.guarantee_held += paid_now - paid - more;
        self.restate_move_for(
            Movement::Restate,
            item,
            Account::Support(s),
            more,
            "the recoveries paid back to the asset guarantor restated with its reported payment \
             (reconcile)",
        );
        self.subrogated += more;
        self.guarantee_date = [
            uncovered, owed, defaulted, recovered, paid_now, back_now, pdl_before,
        ];
        // The PDL cured by the reported payment instead of the run's, as the engine cures it:
        // min(PDL before the payment, payment) (review 29e item 2: `PDL − δ` also cured the
        // waterfall's later debits when the report was above the date's defaults).
        if self.deal.pdl.is_some_and(|p| p.defaults) {
            self.pdl += paid.min(pdl_before) - paid_now.min(pdl_before);
        }
        more
    }

    /// Rebuilds every tranche's running totals (its summary row) from its `tranche_flows`
    /// rows, the restated ones included, so that the summary states what the rows state.
    pub(super) fn retotal(&mut self) {
        let nt = self.deal.tranches.len();
        if nt == 0 {
            return;
        }
        self.totals
            .iter_mut()
            .for_each(|t| *t = TrancheTotals::default());
        // A run writes each date's rows in the deal's tranche order.
        for (n, r) in self.flows.iter().enumerate() {
            self.totals[n % nt].add(&TrancheDate {
                date: r.payment_date,
                balance_start: to_fen(r.balance_start),
                interest_paid: to_fen(r.interest_paid),
                principal_paid: to_fen(r.principal_paid),
                residual_paid: to_fen(r.residual_paid),
                balance_end: to_fen(r.balance_end),
                interest_shortfall: to_fen(r.interest_shortfall),
                interest_unpaid: to_fen(r.interest_unpaid()),
                coverage_multiple: r.coverage_multiple,
            });
        }
    }
}
