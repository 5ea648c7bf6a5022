//! Tranche analytics of a run: yield from a price (or price from a yield), WAL, durations,
//! convexity and spread. [`price_run`] pairs a run with them ([`PricedRun`]); the output layer
//! writes both into `summary.parquet`.
//!
//! Flows are each tranche's interest + principal + residual on its payment dates, after the
//! settlement date (default: the closing date). A price is per 100 of the tranche's balance
//! outstanding at settlement (its balance after the last payment date on or before it);
//! unquoted tranches are priced at par. Time is ACT/365F, compounding annual
//! (docs/analytics.md).

use std::ops::{Deref, DerefMut};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::bond_math::{
    BracketFactors, Flow, decimal_to_f64, price_from_yield, risk_measures, spread_over_curve,
    spread_over_flat, wal_years, yield_and_risk,
};
use crate::deal::Deal;
use crate::engine::result::RunResult;
use crate::scenario::{Discount, Pricing, Quote};

/// Analytics of one tranche in one run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TrancheMeasures {
    /// Price per 100 of the balance at settlement.
    pub price: Option<f64>,
    /// Annual yield at that price.
    pub yield_: Option<f64>,
    /// WAL in years from settlement (principal after settlement).
    pub wal_years: Option<f64>,
    pub macaulay_duration: Option<f64>,
    pub modified_duration: Option<f64>,
    pub convexity: Option<f64>,
    /// Spread over the discount rate or curve, if one is given.
    pub spread: Option<f64>,
}

/// Computes the measures of every tranche of `run` (in the deal's tranche order).
pub fn tranche_measures(deal: &Deal, run: &RunResult, pricing: &Pricing) -> Vec<TrancheMeasures> {
    tranche_measures_with(deal, run, pricing, None)
}

/// [`tranche_measures`], with the bracket ends' discount factors of the deal's payment dates
/// ([`Pricer`]).
fn tranche_measures_with(
    deal: &Deal,
    run: &RunResult,
    pricing: &Pricing,
    ends: Option<&BracketFactors>,
) -> Vec<TrancheMeasures> {
    let settle = pricing.settlement.unwrap_or(deal.closing_date);
    // One pass over the rows: each tranche's cash flows (interest + principal + residual) and
    // principal flows after settlement, converted to `f64` as `flows_from_decimal` converts
    // them, and its balance at settlement.
    let nt = deal.tranches.len();
    let dates = deal.periods.len();
    let mut cash: Vec<Vec<Flow>> = (0..nt).map(|_| Vec::with_capacity(dates)).collect();
    let mut principal: Vec<Vec<Flow>> = (0..nt).map(|_| Vec::with_capacity(dates)).collect();
    let mut outstanding: Vec<Decimal> = deal.tranches.iter().map(|t| t.balance).collect();
    for r in &run.tranche_flows {
        let Some(i) = deal.tranches.iter().position(|t| r.tranche == t.name) else {
            continue;
        };
        if r.payment_date <= settle {
            outstanding[i] = r.balance_end;
            continue;
        }
        let amount = r.interest_paid + r.principal_paid + r.residual_paid;
        if !amount.is_zero() {
            cash[i].push(Flow {
                date: r.payment_date,
                amount: decimal_to_f64(amount),
            });
        }
        if !r.principal_paid.is_zero() {
            principal[i].push(Flow {
                date: r.payment_date,
                amount: decimal_to_f64(r.principal_paid),
            });
        }
    }
    (0..nt)
        .map(|i| {
            let quote = pricing
                .quotes
                .iter()
                .find(|(ix, _)| *ix == i)
                .map_or(Quote::Price(100.0), |(_, q)| *q);
            measure(
                settle,
                &cash[i],
                Some(decimal_to_f64(outstanding[i])),
                quote,
                pricing,
                &principal[i],
                ends,
            )
        })
        .collect()
}

/// The pricing columns of one summary row (one tranche of one run).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TranchePricing {
    /// Weighted average life from the settlement date, ACT/365F years.
    pub wal_years: Option<f64>,
    /// IRR of buying at par on the closing date: annual compounding, ACT/365F.
    pub yield_at_par: Option<f64>,
    /// Settlement date of `price` and the measures below (default: the closing date).
    pub settlement_date: Option<NaiveDate>,
    /// Price per 100 of the balance at settlement (par unless the scenario file quotes it).
    pub price: Option<f64>,
    /// Yield at `price` (annual compounding, ACT/365F).
    pub yield_: Option<f64>,
    pub macaulay_duration: Option<f64>,
    pub modified_duration: Option<f64>,
    pub convexity: Option<f64>,
    /// Spread over the scenario file's discount rate or zero curve.
    pub spread: Option<f64>,
}

/// A run and the pricing of its tranches: `pricing[i]` belongs to `run.summary[i]`. Derefs to
/// the run.
#[derive(Debug, Clone)]
pub struct PricedRun {
    pub run: RunResult,
    pub pricing: Vec<TranchePricing>,
}

impl Deref for PricedRun {
    type Target = RunResult;
    fn deref(&self) -> &RunResult {
        &self.run
    }
}

impl DerefMut for PricedRun {
    fn deref_mut(&mut self) -> &mut RunResult {
        &mut self.run
    }
}

/// Prices every summary row of `run` (matched to the deal's tranches by name) under `pricing`,
/// with `yield_at_par`: the yield of buying at par on the closing date.
pub fn price_run(deal: &Deal, run: RunResult, pricing: &Pricing) -> PricedRun {
    price_run_with(deal, run, pricing, None)
}

/// Prices many runs of one deal under one [`Pricing`]: [`price_run`] of each, the same to the
/// bit, with what the runs share computed once (the bracket ends' discount factors of the
/// deal's payment dates, [`BracketFactors`]).
#[derive(Debug, Clone)]
pub struct Pricer<'d> {
    deal: &'d Deal,
    pricing: &'d Pricing,
    /// The factors from the pricing's settlement date.
    ends: BracketFactors,
    /// From the closing date, for `yield_at_par` when the pricing settles on another date.
    ends_at_par: Option<BracketFactors>,
}

impl<'d> Pricer<'d> {
    pub fn new(deal: &'d Deal, pricing: &'d Pricing) -> Pricer<'d> {
        let dates = || deal.periods.iter().map(|p| p.date());
        let settle = pricing.settlement.unwrap_or(deal.closing_date);
        Pricer {
            deal,
            pricing,
            ends: BracketFactors::new(settle, dates()),
            ends_at_par: (settle != deal.closing_date)
                .then(|| BracketFactors::new(deal.closing_date, dates())),
        }
    }

    /// [`price_run`] of `run`.
    pub fn price(&self, run: RunResult) -> PricedRun {
        let at_par = self.ends_at_par.as_ref().unwrap_or(&self.ends);
        price_run_with(self.deal, run, self.pricing, Some((&self.ends, at_par)))
    }
}

/// [`price_run`], with the bracket ends' factors from the pricing's settlement date and from
/// the closing date.
fn price_run_with(
    deal: &Deal,
    run: RunResult,
    pricing: &Pricing,
    ends: Option<(&BracketFactors, &BracketFactors)>,
) -> PricedRun {
    let measures = tranche_measures_with(deal, &run, pricing, ends.map(|e| e.0));
    let at_par = if *pricing == Pricing::default() {
        measures.clone()
    } else {
        tranche_measures_with(deal, &run, &Pricing::default(), ends.map(|e| e.1))
    };
    let settlement_date = Some(pricing.settlement.unwrap_or(deal.closing_date));
    let priced = run
        .summary
        .iter()
        .map(|row| {
            let Some(i) = deal.tranches.iter().position(|t| row.tranche == t.name) else {
                return TranchePricing::default();
            };
            let (m, par) = (measures[i], at_par[i]);
            TranchePricing {
                wal_years: m.wal_years,
                yield_at_par: par.yield_,
                settlement_date,
                price: m.price,
                yield_: m.yield_,
                macaulay_duration: m.macaulay_duration,
                modified_duration: m.modified_duration,
                convexity: m.convexity,
                spread: m.spread,
            }
        })
        .collect();
    PricedRun {
        run,
        pricing: priced,
    }
}

fn measure(
    settle: NaiveDate,
    flows: &[Flow],
    outstanding: Option<f64>,
    quote: Quote,
    pricing: &Pricing,
    principal: &[Flow],
    ends: Option<&BracketFactors>,
) -> TrancheMeasures {
    let wal = wal_years(settle, principal);
    let Some(face) = outstanding.filter(|f| *f > 0.0) else {
        return TrancheMeasures {
            wal_years: wal,
            ..TrancheMeasures::default()
        };
    };
    if flows.is_empty() {
        return TrancheMeasures {
            wal_years: wal,
            ..TrancheMeasures::default()
        };
    }
    let (price_money, y, risk) = match quote {
        Quote::Price(p) => {
            let money = p / 100.0 * face;
            let (y, risk) = yield_and_risk(settle, flows, money, ends);
            (Some(money), y.ok(), risk)
        }
        Quote::Yield(y) => (
            Some(price_from_yield(settle, flows, y)),
            Some(y),
            risk_measures(settle, flows, y),
        ),
    };
    let spread = match (&pricing.discount, price_money) {
        (Some(Discount::Flat(r)), Some(p)) => spread_over_flat(settle, flows, p, *r).ok(),
        (Some(Discount::Curve(c)), Some(p)) => spread_over_curve(settle, flows, p, c).ok(),
        _ => None,
    };
    TrancheMeasures {
        price: price_money.map(|p| p / face * 100.0),
        yield_: y,
        wal_years: wal,
        macaulay_duration: risk.map(|r| r.macaulay_duration),
        modified_duration: risk.map(|r| r.modified_duration),
        convexity: risk.map(|r| r.convexity),
        spread,
    }
}
