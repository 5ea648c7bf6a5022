//! The state of one run: balances, accounts, arrears and the ledger, advanced one payment date
//! at a time.
//!
//! The pieces of a payment date live in their own modules: what is due ([`super::due`]), the
//! triggers ([`super::triggers`]), the steps ([`super::steps`]) and, after the run, the
//! conservation check ([`super::verify`]).

use rust_decimal::Decimal;

use chrono::NaiveDate;

use super::due::Due;
use super::ledger::{Account, AccountNames, Movement};
use super::ratio;
use super::result::{
    ChargeRow, Label, LedgerEntry, PeriodRow, RunResult, SupportDrawTotal, TrancheFlowRow,
};
use super::triggers::Phase;
use crate::deal::{Deal, StepCondition, TrancheClass};
use crate::error::{Check, Result, Warning};
use crate::money::{Ratio, minus, plus, positive, sum};
use crate::pool::projection::PoolProjection;
use crate::scenario::Scenario;

/// What was paid on the current payment date.
#[derive(Debug, Clone, Default)]
pub(super) struct Paid {
    pub tax: Vec<Decimal>,
    pub fee: Vec<Decimal>,
    pub interest: Vec<Decimal>,
    pub principal: Vec<Decimal>,
    pub residual: Vec<Decimal>,
    pub reserve_draws: Decimal,
    pub support_draws: Decimal,
    pub reserve_deposit: Decimal,
}

impl Paid {
    /// Zero for the next payment date, keeping the allocations.
    fn reset(&mut self) {
        for v in [
            &mut self.tax,
            &mut self.fee,
            &mut self.interest,
            &mut self.principal,
            &mut self.residual,
        ] {
            v.iter_mut().for_each(|x| *x = Decimal::ZERO);
        }
        self.reserve_draws = Decimal::ZERO;
        self.support_draws = Decimal::ZERO;
        self.reserve_deposit = Decimal::ZERO;
    }

    fn new(deal: &Deal) -> Paid {
        let z = |n: usize| vec![Decimal::ZERO; n];
        Paid {
            tax: z(deal.taxes.len()),
            fee: z(deal.fees.len()),
            interest: z(deal.tranches.len()),
            principal: z(deal.tranches.len()),
            residual: z(deal.tranches.len()),
            ..Paid::default()
        }
    }
}

/// The item names a run's rows mention, built once per run and shared by the rows.
pub(super) struct Labels {
    pub tranche: Vec<Label>,
    pub fee: Vec<Label>,
    pub tax: Vec<Label>,
    pub waterfall: Vec<Label>,
}

impl Labels {
    fn new(deal: &Deal) -> Labels {
        fn names<'d>(v: impl Iterator<Item = &'d String>) -> Vec<Label> {
            v.map(Label::from).collect()
        }
        Labels {
            tranche: names(deal.tranches.iter().map(|t| &t.name)),
            fee: names(deal.fees.iter().map(|t| &t.name)),
            tax: names(deal.taxes.iter().map(|t| &t.name)),
            waterfall: names(deal.waterfalls.iter().map(|w| &w.name)),
        }
    }
}

/// One run of a deal under a scenario.
pub(super) struct Run<'a> {
    pub deal: &'a Deal,
    pub scenario: &'a Scenario,
    pub pool: PoolProjection,
    pub labels: Labels,
    /// Exact year fraction of each period's accrual (start to payment date), computed once.
    pub year_fraction: Vec<Ratio>,
    /// Indices of the senior tranches.
    pub senior: Vec<usize>,
    /// Sum of the tranches' initial balances.
    pub issue_size: Decimal,
    pub collection: Decimal,
    pub reserve: Decimal,
    pub balance: Vec<Decimal>,
    pub interest_carry: Vec<Decimal>,
    pub fee_carry: Vec<Decimal>,
    pub fee_charged_total: Vec<Decimal>,
    pub one_off_done: Vec<bool>,
    pub tax_carry: Vec<Decimal>,
    pub support_total: Vec<Decimal>,
    pub support_period: Vec<Decimal>,
    pub support_on: Vec<bool>,
    pub tripped: Vec<bool>,
    pub ledger: Vec<LedgerEntry>,
    pub periods: Vec<PeriodRow>,
    pub flows: Vec<TrancheFlowRow>,
    pub charges: Vec<ChargeRow>,
    pub reserve_funding: Decimal,
    // Current period context.
    pub k: usize,
    pub date: NaiveDate,
    pub due: Due,
    pub paid: Paid,
    /// Scratch list of (index, amount) items of a step, kept to reuse its allocation.
    pub items: Vec<(usize, Decimal)>,
}

impl<'a> Run<'a> {
    pub(super) fn new(deal: &'a Deal, scenario: &'a Scenario, pool: PoolProjection) -> Self {
        let nt = deal.tranches.len();
        let mut support_on = vec![true; deal.supports.len()];
        for &s in &scenario.supports_off {
            if let Some(on) = support_on.get_mut(s) {
                *on = false;
            }
        }
        // Upper bound on the ledger's length in a typical run: two deposits a period and, per
        // step, a payment and a draw.
        let max_steps = deal
            .waterfalls
            .iter()
            .map(|w| w.steps.len())
            .max()
            .unwrap_or(0);
        let ledger_capacity = 1 + deal.periods.len() * (2 + 2 * max_steps);
        let mut run = Run {
            deal,
            scenario,
            pool,
            labels: Labels::new(deal),
            year_fraction: deal
                .periods
                .iter()
                .map(|p| deal.day_count.fraction(p.accrual_start, p.date()))
                .collect(),
            senior: (0..nt)
                .filter(|&i| deal.tranches[i].class == TrancheClass::Senior)
                .collect(),
            issue_size: deal.issue_size(),
            collection: Decimal::ZERO,
            reserve: Decimal::ZERO,
            balance: deal.tranches.iter().map(|t| t.balance).collect(),
            interest_carry: vec![Decimal::ZERO; nt],
            fee_carry: vec![Decimal::ZERO; deal.fees.len()],
            fee_charged_total: vec![Decimal::ZERO; deal.fees.len()],
            one_off_done: vec![false; deal.fees.len()],
            tax_carry: vec![Decimal::ZERO; deal.taxes.len()],
            support_total: vec![Decimal::ZERO; deal.supports.len()],
            support_period: vec![Decimal::ZERO; deal.supports.len()],
            support_on,
            tripped: vec![false; deal.triggers.len()],
            ledger: Vec::with_capacity(ledger_capacity),
            periods: Vec::with_capacity(deal.periods.len()),
            flows: Vec::with_capacity(deal.periods.len() * nt),
            charges: Vec::with_capacity(deal.periods.len() * (deal.taxes.len() + deal.fees.len())),
            reserve_funding: Decimal::ZERO,
            k: 0,
            date: deal.closing_date,
            due: Due::default(),
            paid: Paid::new(deal),
            items: Vec::new(),
        };
        if let Some(r) = &deal.reserve
            && r.initial > Decimal::ZERO
        {
            run.reserve = r.initial;
            run.reserve_funding = r.initial;
            run.ledger.push(LedgerEntry {
                period: 0,
                date: deal.closing_date,
                step: 0,
                action: Movement::FundReserve,
                item: Label::Static("reserve"),
                source: Account::Originator,
                destination: Account::Reserve,
                amount: r.initial,
                reason: "reserve funded at closing",
            });
        }
        run
    }

    pub(super) fn senior_balance(&self) -> Decimal {
        sum(self.senior.iter().map(|&i| self.balance[i]))
    }

    /// Runs payment date `k`: deposit, what is due, triggers, the waterfall, triggers again,
    /// then the period's rows.
    pub(super) fn period(&mut self, k: usize) -> Result<()> {
        let deal = self.deal;
        let p = deal.periods[k];
        self.k = k;
        self.date = p.date();
        self.paid.reset();
        self.support_period
            .iter_mut()
            .for_each(|x| *x = Decimal::ZERO);
        let cash = self.pool.periods[k];
        let pool_cash = cash.cash();

        // 1. Deposit pool cash.
        let brought_forward = self.collection;
        self.collection = plus(self.collection, pool_cash);
        let deposit = (Account::Pool, Account::Collection);
        self.entry(
            0,
            Movement::Deposit,
            Label::Static("collections"),
            deposit,
            cash.collected,
            "pool collections of the period",
        );
        self.entry(
            0,
            Movement::Deposit,
            Label::Static("recoveries"),
            deposit,
            cash.recovered,
            "recoveries received in the period",
        );
        let available = self.collection;

        // 2. What is due, and the coverage multiples.
        self.compute_due(k, &cash, available);
        let senior_cov = self.senior_coverage().and_then(|(n, d)| ratio(n, d));

        // 3. Triggers tested before the waterfall; they pick this date's waterfall.
        let initial_pool = self.pool.initial_balance;
        let cdr_ratio = ratio(cash.cumulative_defaults, initial_pool).unwrap_or(Decimal::ZERO);
        self.test_triggers(Phase::BeforeWaterfall);
        let wf_ix = self.active_waterfall();

        // 4. Run the waterfall.
        let steps = &deal.waterfalls[wf_ix].steps;
        for (s, step) in steps.iter().enumerate() {
            let step_no = (s + 1) as u32;
            let runs = match step.when {
                None => true,
                Some(StepCondition::SeniorPaidOff) => self.senior_balance().is_zero(),
                Some(StepCondition::FinalPeriod) => k + 1 == deal.periods.len(),
            };
            if runs {
                self.step(step_no, &step.action)?;
            }
        }

        // 5. Triggers tested after the waterfall; they pick the next date's waterfall.
        self.test_triggers(Phase::AfterWaterfall);

        self.carry_and_record(k, brought_forward, available, senior_cov, cdr_ratio, wf_ix);
        Ok(())
    }

    /// Carries this date's shortfalls to the next and records its tranche and period rows.
    fn carry_and_record(
        &mut self,
        k: usize,
        brought_forward: Decimal,
        available: Decimal,
        senior_cov: Option<Decimal>,
        cdr_ratio: Decimal,
        wf_ix: usize,
    ) {
        let deal = self.deal;
        let p = deal.periods[k];
        let cash = self.pool.periods[k];
        // Carry shortfalls and record rows.
        for j in 0..deal.taxes.len() {
            self.tax_carry[j] = minus(self.due.tax[j], self.paid.tax[j]);
            self.charges.push(ChargeRow {
                period: p.number,
                payment_date: p.date(),
                kind: Label::Static("tax"),
                name: self.labels.tax[j].clone(),
                due: self.due.tax[j],
                paid: self.paid.tax[j],
                arrears: self.tax_carry[j],
            });
        }
        for j in 0..deal.fees.len() {
            self.fee_carry[j] = minus(self.due.fee[j], self.paid.fee[j]);
            self.charges.push(ChargeRow {
                period: p.number,
                payment_date: p.date(),
                kind: Label::Static("fee"),
                name: self.labels.fee[j].clone(),
                due: self.due.fee[j],
                paid: self.paid.fee[j],
                arrears: self.fee_carry[j],
            });
        }
        let mut interest_total = Decimal::ZERO;
        let mut principal_total = Decimal::ZERO;
        let mut residual_total = Decimal::ZERO;
        for (i, t) in deal.tranches.iter().enumerate() {
            let start = plus(self.balance[i], self.paid.principal[i]);
            self.interest_carry[i] = minus(self.due.interest[i], self.paid.interest[i]);
            interest_total = plus(interest_total, self.paid.interest[i]);
            principal_total = plus(principal_total, self.paid.principal[i]);
            residual_total = plus(residual_total, self.paid.residual[i]);
            self.flows.push(TrancheFlowRow {
                period: p.number,
                payment_date: p.date(),
                tranche: self.labels.tranche[i].clone(),
                class: Label::Static(t.class.name()),
                balance_start: start,
                interest_due: self.due.interest[i],
                interest_paid: self.paid.interest[i],
                interest_shortfall: self.interest_carry[i],
                principal_due: self.due.principal[i],
                principal_paid: self.paid.principal[i],
                residual_paid: self.paid.residual[i],
                balance_end: self.balance[i],
                coverage_multiple: ratio(self.due.coverage[i].0, self.due.coverage[i].1),
            });
        }
        // Names of the tripped triggers, comma-separated; empty (no allocation) if none.
        let mut tripped = String::new();
        let mut first = true;
        for (trig, _) in deal.triggers.iter().zip(&self.tripped).filter(|(_, t)| **t) {
            if !first {
                tripped.push(',');
            }
            first = false;
            tripped.push_str(&trig.name);
        }
        self.periods.push(PeriodRow {
            period: p.number,
            payment_date: p.date(),
            collection_start: p.collection_start,
            collection_end: p.collection_end,
            pool_cash: cash.cash(),
            cash_brought_forward: brought_forward,
            available_funds: available,
            reserve_draws: self.paid.reserve_draws,
            support_draws: self.paid.support_draws,
            taxes_paid: sum(self.paid.tax.iter().copied()),
            fees_paid: sum(self.paid.fee.iter().copied()),
            interest_paid: interest_total,
            principal_paid: principal_total,
            residual_paid: residual_total,
            reserve_deposit: self.paid.reserve_deposit,
            coverage_multiple: senior_cov,
            cumulative_default_ratio: cdr_ratio,
            waterfall: self.labels.waterfall[wf_ix].clone(),
            triggers_tripped: tripped,
            collection_balance_end: self.collection,
            reserve_balance_end: self.reserve,
            pool_balance_end: cash.balance_end,
            senior_balance_end: self.senior_balance(),
        });
    }

    /// Checks conservation and gathers the run's tables and warnings.
    pub(super) fn finish(self) -> Result<RunResult> {
        let deal = self.deal;
        let conservation = super::verify::verify(&self)?;

        let mut warnings = Vec::new();
        let scenario = self.scenario.name.as_str();
        // Every end-of-run warning is about the last payment date.
        let last = deal.periods.last().map(|p| (p.number, p.date()));
        let mut warn = |check: Check, message: String| {
            if !deal.allow.contains(&check) {
                warnings.push(Warning::run(check, scenario, last, message));
            }
        };
        if positive(self.collection) {
            warn(
                Check::CashLeft,
                format!(
                    "{} is left in the collection account after the last payment date",
                    self.collection
                ),
            );
        }
        if positive(self.reserve) {
            warn(
                Check::CashLeft,
                format!(
                    "{} is left in the reserve after the last payment date",
                    self.reserve
                ),
            );
        }
        for (i, t) in deal.tranches.iter().enumerate() {
            if positive(self.balance[i]) {
                warn(
                    Check::NotRepaid,
                    format!(
                        "tranche {} is not repaid by the last payment date: {} outstanding",
                        t.name, self.balance[i]
                    ),
                );
            }
        }
        for (f, carry) in deal.fees.iter().zip(&self.fee_carry) {
            if positive(*carry) {
                warn(
                    Check::Arrears,
                    format!(
                        "fee {} is owed {carry} after the last payment date (unpaid arrears; \
                         fees.parquet shows them date by date)",
                        f.name
                    ),
                );
            }
        }
        for (t, carry) in deal.taxes.iter().zip(&self.tax_carry) {
            if positive(*carry) {
                warn(
                    Check::Arrears,
                    format!(
                        "tax {} is owed {carry} after the last payment date (unpaid arrears; \
                         fees.parquet shows them date by date)",
                        t.name
                    ),
                );
            }
        }
        if self.pool.beyond_horizon > Decimal::ZERO {
            warn(
                Check::BeyondHorizon,
                format!(
                    "{} of pool cash (delayed collections or recoveries) would arrive after the \
                     last collection period and is not in the deal",
                    self.pool.beyond_horizon
                ),
            );
        }
        let summary = super::summary::tranche_summaries(deal, &self.flows);
        let support_draws = deal
            .supports
            .iter()
            .zip(&self.support_total)
            .map(|(s, t)| SupportDrawTotal {
                support: s.name.clone(),
                provider: s.provider.clone(),
                total: *t,
            })
            .collect();
        Ok(RunResult {
            deal: deal.name.clone(),
            scenario: self.scenario.name.clone(),
            periods: self.periods,
            tranche_flows: self.flows,
            pool_flows: self.pool.rows,
            ledger: self.ledger,
            accounts: AccountNames::new(deal),
            summary,
            support_draws,
            charges: self.charges,
            conservation,
            warnings,
        })
    }
}
