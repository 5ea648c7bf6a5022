//! Recording a run: each movement into the ledger (`entry`, with the marks of a broken
//! conservation), each payment date's tranche and period rows and the carries to the next
//! (`carry_and_record`), and the run's result (`finish`: the conservation check, the tables,
//! the warnings, the buffers given back for the next run). Split from `state.rs` (review 35a
//! item H3): that file steps a run through its dates; this one writes down what happened.

use rust_decimal::Decimal;

use super::buffers::RunBuffers;
use super::ledger::{Account, AccountNames, Movement};
use super::ratio_of_fen;
use super::result::{
    ChargeRow, Label, LedgerEntry, PeriodRow, RunResult, SupportDrawTotal, TrancheFlowRow,
};
use super::state::{Run, dec, tripped_names};
use super::summary::TrancheDate;
use crate::error::Result;
use crate::money::{Fen, from_fen, to_fen};

impl Run<'_> {
    /// Records a movement of `amount` from `source` to `destination` on this payment date;
    /// zero amounts are not recorded.
    pub(super) fn entry(
        &mut self,
        step: u32,
        action: Movement,
        item: &Label,
        route: (Account, Account),
        amount: Fen,
        reason: &'static str,
    ) {
        let period = self.deal.periods[self.k].number;
        self.record(period, step, action, item, route, amount, reason);
    }

    /// [`Run::entry`] with its period number: moves the amount in the running replay of every
    /// account, and keeps the entry when the run keeps its ledger (the rare parts apart).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn record(
        &mut self,
        period: u32,
        step: u32,
        action: Movement,
        item: &Label,
        route: (Account, Account),
        amount: Fen,
        reason: &'static str,
    ) {
        if amount == 0 {
            return;
        }
        let (source, destination) = route;
        self.accounts.movement(action, source, destination, amount);
        if self.broken.is_none()
            && (amount < 0
                || [source, destination]
                    .iter()
                    .any(|&a| a.is_internal() && self.accounts.get(a) < 0))
        {
            self.mark_broken(period, step, action, route, amount);
        }
        if self.keep_ledger {
            self.keep_entry(period, step, action, item, route, amount, reason);
        }
    }

    /// Notes the first movement that breaks the run's books: a negative amount, or an
    /// internal account gone negative ([`Run::finish`] reports it).
    #[cold]
    #[inline(never)]
    fn mark_broken(
        &mut self,
        period: u32,
        step: u32,
        action: Movement,
        (source, destination): (Account, Account),
        amount: Fen,
    ) {
        self.broken = Some(format!(
            "{} of {amount} fen from {source:?} to {destination:?} in period {period}, \
             step {step}: {}",
            action.name(),
            if amount < 0 {
                "non-positive amount"
            } else {
                "an account went negative"
            }
        ));
    }

    /// Keeps a movement in the run's ledger.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn keep_entry(
        &mut self,
        period: u32,
        step: u32,
        action: Movement,
        item: &Label,
        (source, destination): (Account, Account),
        amount: Fen,
        reason: &'static str,
    ) {
        let Some(amount) = from_fen(amount) else {
            self.broken
                .get_or_insert_with(|| format!("{amount} fen is beyond Decimal's range"));
            return;
        };
        self.ledger.push(LedgerEntry {
            period,
            date: if period == 0 {
                self.deal.closing_date
            } else {
                self.date
            },
            step,
            action,
            item: item.clone(),
            source,
            destination,
            amount,
            reason,
        });
    }

    /// Carries this date's shortfalls to the next and records its tranche and period rows.
    pub(super) fn carry_and_record(
        &mut self,
        k: usize,
        brought_forward: Fen,
        available: Fen,
        senior_cov: Option<Decimal>,
        cdr_ratio: Decimal,
        wf_ix: usize,
    ) -> Result<()> {
        let deal = self.deal;
        let p = deal.periods[k];
        let nx = deal.taxes.len();
        for j in 0..nx {
            // The arrears brought to this date: `due` less them is the date's own charge.
            let brought = self.tax_carry[j];
            self.tax_carry[j] = self.due.tax[j] - self.paid.tax[j];
            self.charge_paid[j] += self.paid.tax[j];
            // A lean run keeps no fee or tax rows (`fees.parquet`); the carries above are
            // the state the next date needs.
            if !self.keep_ledger {
                continue;
            }
            self.charges.push(ChargeRow {
                period: p.number,
                payment_date: p.date(),
                kind: Label::Static("tax"),
                name: self.labels.tax[j].clone(),
                charged: dec(self.due.tax[j] - brought)?,
                due: dec(self.due.tax[j])?,
                paid: dec(self.paid.tax[j])?,
                arrears: dec(self.tax_carry[j])?,
            });
        }
        for j in 0..deal.fees.len() {
            let brought = self.fee_carry[j] + self.fee_excess_carry[j];
            self.fee_carry[j] = self.due.fee[j] - self.paid.fee[j];
            // The excess over a `cap` is in the fee's row too (zero without a cap).
            self.fee_excess_carry[j] = self.due.fee_excess[j] - self.paid.fee_excess[j];
            self.fee_on_paid[j] = 0;
            self.charge_paid[nx + j] += self.paid.fee[j] + self.paid.fee_excess[j];
            if !self.keep_ledger {
                continue;
            }
            self.charges.push(ChargeRow {
                period: p.number,
                payment_date: p.date(),
                kind: Label::Static("fee"),
                name: self.labels.fee[j].clone(),
                charged: dec(self.due.fee[j] + self.due.fee_excess[j] - brought)?,
                due: dec(self.due.fee[j] + self.due.fee_excess[j])?,
                paid: dec(self.paid.fee[j] + self.paid.fee_excess[j])?,
                arrears: dec(self.fee_carry[j] + self.fee_excess_carry[j])?,
            });
        }
        let (mut interest_total, mut principal_total, mut residual_total) = (0, 0, 0);
        for (i, t) in deal.tranches.iter().enumerate() {
            let start = self.balance[i] + self.paid.principal[i];
            self.interest_carry[i] = self.due.interest[i] - self.paid.interest[i];
            interest_total += self.paid.interest[i];
            principal_total += self.paid.principal[i];
            residual_total += self.paid.residual[i];
            let (n, d) = self.due.coverage[i];
            let coverage_multiple = ratio_of_fen(n, d)?;
            self.totals[i].add(&TrancheDate {
                date: p.date(),
                balance_start: start,
                interest_paid: self.paid.interest[i],
                principal_paid: self.paid.principal[i],
                residual_paid: self.paid.residual[i],
                balance_end: self.balance[i],
                interest_shortfall: self.interest_carry[i],
                interest_unpaid: self.interest_carry[i] - self.paid.unit_residual[i],
                coverage_multiple,
            });
            self.flows.push(TrancheFlowRow {
                period: p.number,
                payment_date: p.date(),
                tranche: self.labels.tranche[i].clone(),
                class: Label::Static(t.class.name()),
                balance_start: dec(start)?,
                interest_due: dec(self.due.interest[i])?,
                interest_paid: dec(self.paid.interest[i])?,
                interest_shortfall: dec(self.interest_carry[i])?,
                // Zero but with `per_unit`: no conversion on every row of every run.
                interest_residual: match self.paid.unit_residual[i] {
                    0 => Decimal::ZERO,
                    r => dec(r)?,
                },
                principal_due: dec(self.due.principal[i])?,
                principal_paid: dec(self.paid.principal[i])?,
                residual_paid: dec(self.paid.residual[i])?,
                balance_end: dec(self.balance[i])?,
                coverage_multiple,
            });
        }
        // A lean run keeps no period rows: the carries above are the state the next date
        // needs, and the tranche rows feed the summary and pricing.
        if !self.keep_ledger {
            return Ok(());
        }
        let tripped = tripped_names(deal, &self.tripped);
        let cash = self.cash;
        let taxes: Fen = self.paid.tax.iter().sum();
        let fees: Fen = self.paid.fee.iter().chain(&self.paid.fee_excess).sum();
        let named: Fen = self.named.iter().sum();
        let paid = &self.paid;
        RowCash {
            available,
            reserve_draws: paid.reserve_draws,
            support_draws: paid.support_draws,
            guarantee: paid.guarantee,
            restated: 0,
            paid: [
                taxes,
                fees,
                interest_total,
                principal_total,
                residual_total,
                paid.reserve_deposit,
                paid.support_repaid,
                paid.support_interest,
                paid.purchases,
            ],
            collection: self.collection,
            named,
        }
        .adds_up(p.number)?;
        self.periods.push(PeriodRow {
            period: p.number,
            payment_date: p.date(),
            collection_start: p.collection_start,
            collection_end: p.collection_end,
            pool_cash: dec(cash.cash())?,
            cash_brought_forward: dec(brought_forward)?,
            available_funds: dec(available)?,
            reserve_draws: dec(self.paid.reserve_draws)?,
            support_draws: dec(self.paid.support_draws)?,
            taxes_paid: dec(taxes)?,
            fees_paid: dec(fees)?,
            interest_paid: dec(interest_total)?,
            principal_paid: dec(principal_total)?,
            residual_paid: dec(residual_total)?,
            reserve_deposit: dec(self.paid.reserve_deposit)?,
            coverage_multiple: senior_cov,
            cumulative_default_ratio: cdr_ratio,
            waterfall: self.labels.waterfall[wf_ix].clone(),
            triggers_tripped: tripped,
            collection_balance_end: dec(self.collection)?,
            reserve_balance_end: dec(self.reserve)?,
            pool_balance_end: self.pool.periods[k].balance_end,
            senior_balance_end: dec(self.senior_balance())?,
            // Zero but with an asset guarantee, a facility or a revolving period: no conversion
            // on every row of every run.
            guarantee_payment: dec_or_zero(self.paid.guarantee)?,
            support_repaid: dec_or_zero(self.paid.support_repaid)?,
            support_interest_paid: dec_or_zero(self.paid.support_interest)?,
            purchases: dec_or_zero(self.paid.purchases)?,
            restated: Decimal::ZERO,
            commingled: dec_or_zero(self.paid.commingled)?,
            accounts_balance_end: if deal.accounts.split() {
                Some(dec(named)?)
            } else {
                None
            },
            pdl_balance_end: match deal.pdl {
                Some(_) => Some(dec(self.pdl)?),
                None => None,
            },
            reserve_target: match self.paid.reserve_target {
                Some(t) => Some(dec(t)?),
                None => None,
            },
        });
        Ok(())
    }

    /// Gives the run's state vectors to `b` for the next run of the same worker.
    fn give_back(&mut self, b: &mut RunBuffers) {
        use std::mem::take;
        b.keep_all([
            take(&mut self.balance),
            take(&mut self.interest_carry),
            take(&mut self.redeemed_per_100),
            take(&mut self.fee_carry),
            take(&mut self.fee_excess_carry),
            take(&mut self.fee_on_paid),
            take(&mut self.fee_charged_total),
            take(&mut self.tax_carry),
            take(&mut self.charge_paid),
            take(&mut self.support_total),
            take(&mut self.support_period),
            take(&mut self.support_repaid),
            take(&mut self.support_interest_owed),
            take(&mut self.support_interest_paid),
            take(&mut self.deferred_interest),
            take(&mut self.named),
            take(&mut self.principal_before),
        ]);
        for v in [
            take(&mut self.one_off_done),
            take(&mut self.support_on),
            take(&mut self.support_failed),
            take(&mut self.tripped),
            take(&mut self.tripped_before),
        ] {
            b.keep_flags(v);
        }
        take(&mut self.accounts).give(b);
        take(&mut self.due).give(b);
        take(&mut self.paid).give(b);
        b.items = take(&mut self.items);
        b.held_warned = take(&mut self.held_warned);
        b.skipped = take(&mut self.skipped);
        b.totals = take(&mut self.totals);
    }

    /// Checks conservation and gathers the run's tables and warnings; gives the run's state
    /// vectors to `b` when it keeps them ([`RunBuffers`]).
    pub(super) fn finish(mut self, b: &mut RunBuffers) -> Result<RunResult> {
        let deal = self.deal;
        self.end_at_call();
        let conservation = super::verify::verify(&self)?;

        let warnings = self.end_warnings();
        let cumulative_default_ratio = self.cumulative_default_ratio(self.k);
        let mut summary = super::summary::tranche_summaries(deal, &self.totals)?;
        // A floating or shifted (`coupon_shift`) tranche's summary coupon is its first
        // payment date's rate.
        for (row, first) in summary.iter_mut().zip(&self.coupons) {
            if let Some(rate) = first.first() {
                row.coupon = *rate;
            }
        }
        let failures = std::mem::take(&mut self.support_failure)
            .into_iter()
            .map(|f| f.map(|(from, _, why)| (from, why)));
        let support_draws = deal
            .supports
            .iter()
            .enumerate()
            .zip(failures)
            .map(|((i, s), failure)| {
                Ok(SupportDrawTotal {
                    support: s.name.clone(),
                    provider: s.provider.clone(),
                    total: dec(self.support_total[i])?,
                    repaid: dec(self.support_repaid[i])?,
                    interest_paid: dec(self.support_interest_paid[i])?,
                    interest_unpaid: dec(self.support_interest_owed[i])?,
                    failure,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let support_drawn = dec(self.support_total.iter().sum())?;
        if b.keeping() {
            self.give_back(b);
        }
        Ok(RunResult {
            deal: deal.name.clone(),
            scenario: self.scenario.name.clone(),
            periods: self.periods,
            tranche_flows: self.flows,
            pool_flows: self.pool.rows.merged_by_period(self.purchased_rows),
            ledger: self.ledger,
            // They name the ledger's accounts: a lean run keeps no ledger.
            accounts: if self.keep_ledger {
                AccountNames::new(deal)
            } else {
                AccountNames::default()
            },
            summary,
            support_draws,
            charges: self.charges,
            notices: self.notices,
            cumulative_default_ratio,
            beyond_horizon: self.pool.beyond_horizon,
            support_drawn,
            first_trigger: self
                .first_trip
                .map(|(t, k)| (deal.triggers[t].name.clone(), deal.periods[k].date())),
            first_unplanned_trigger: self
                .first_unplanned
                .map(|(t, k)| (deal.triggers[t].name.clone(), deal.periods[k].date())),
            regime: self.regime,
            conservation,
            warnings,
        })
    }
}

/// [`dec`], with 0 taken without a conversion.
#[inline(always)]
fn dec_or_zero(f: Fen) -> Result<Decimal> {
    match f {
        0 => Ok(Decimal::ZERO),
        _ => dec(f),
    }
}

/// A date's sources and uses, in fen (docs/output.md, "The date's cash adds up"): what it
/// started with and drew, the asset guarantor's payment once and the restatement's cash,
/// against what it paid and what the accounts hold after it. Every row a run writes, and a row
/// the restatement changed, is checked with it.
pub(super) struct RowCash {
    pub available: Fen,
    pub reserve_draws: Fen,
    pub support_draws: Fen,
    pub guarantee: Fen,
    pub restated: Fen,
    /// Taxes, fees, interest, principal, residual, the reserve's deposit, the supports'
    /// repayments and interest, purchases.
    pub paid: [Fen; 9],
    pub collection: Fen,
    pub named: Fen,
}

impl RowCash {
    /// The figures of a written row.
    pub(super) fn of(r: &PeriodRow) -> RowCash {
        let f = to_fen;
        RowCash {
            available: f(r.available_funds),
            reserve_draws: f(r.reserve_draws),
            support_draws: f(r.support_draws),
            guarantee: f(r.guarantee_payment),
            restated: f(r.restated),
            paid: [
                r.taxes_paid,
                r.fees_paid,
                r.interest_paid,
                r.principal_paid,
                r.residual_paid,
                r.reserve_deposit,
                r.support_repaid,
                r.support_interest_paid,
                r.purchases,
            ]
            .map(f),
            collection: f(r.collection_balance_end),
            named: r.accounts_balance_end.map_or(0, f),
        }
    }

    /// An internal error naming payment date `period` when the sources differ from the uses.
    #[inline(always)]
    pub(super) fn adds_up(&self, period: u32) -> Result<()> {
        let sources = self.available + self.reserve_draws + self.support_draws - self.guarantee
            + self.restated;
        let uses = self.paid.iter().sum::<Fen>() + self.collection + self.named;
        if sources != uses {
            return Err(unbalanced_row(period, sources, uses));
        }
        Ok(())
    }
}

/// A period row whose sources and uses differ: a bug in the engine (exit code 3).
#[cold]
#[inline(never)]
fn unbalanced_row(period: u32, sources: Fen, uses: Fen) -> crate::error::Error {
    crate::error::Error::Internal(format!(
        "period {period}: the row's sources ({sources} fen: available funds, reserve and \
         support draws, the asset guarantor's payment once, restatements) differ from its uses \
         ({uses} fen: payments, reserve deposit, support repayments and interest, purchases, \
         the accounts after the date)"
    ))
}
