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
    BracketFactors, Flow, decimal_to_f64, price_from_yield, risk_measures, scaled_to_f64,
    spread_over_curve, spread_over_flat, wal_years, yield_and_risk,
};
use crate::deal::Deal;
use crate::engine::result::{RunResult, TrancheFlowRow};
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
    /// Macaulay duration at the yield, years.
    pub macaulay_duration: Option<f64>,
    /// Modified duration, Macaulay / (1 + yield), years.
    pub modified_duration: Option<f64>,
    /// Convexity at the yield, years² (docs/analytics.md).
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
    // The engine writes the rows date by date, the tranches in the deal's order: the tranche
    // after the last row's is tried first, then the name is looked up.
    let mut next = 0;
    for r in &run.tranche_flows {
        let i = if deal.tranches.get(next).is_some_and(|t| r.tranche == t.name) {
            next
        } else {
            let Some(i) = deal.tranches.iter().position(|t| r.tranche == t.name) else {
                continue;
            };
            i
        };
        next = if i + 1 == nt { 0 } else { i + 1 };
        if r.payment_date <= settle {
            outstanding[i] = r.balance_end;
            continue;
        }
        if let Some(amount) = cash_paid(r) {
            cash[i].push(Flow {
                date: r.payment_date,
                amount,
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

/// A row's interest + principal + residual paid as [`decimal_to_f64`] converts their Decimal
/// sum; `None` when it is zero. Amounts of whole fen (the engine's) are added as integers: the
/// sum of Decimals of scale 2 is the Decimal of scale 2 whose mantissa is the sum of theirs.
fn cash_paid(r: &TrancheFlowRow) -> Option<f64> {
    let parts = [r.interest_paid, r.principal_paid, r.residual_paid];
    if parts.iter().all(|d| d.scale() == 2) {
        let m: i128 = parts.iter().map(|d| d.mantissa()).sum();
        if let Ok(abs) = u64::try_from(m.unsigned_abs()) {
            return (m != 0).then(|| scaled_to_f64(abs, 2, m < 0));
        }
    }
    let sum = parts[0] + parts[1] + parts[2];
    (!sum.is_zero()).then(|| decimal_to_f64(sum))
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
    /// Macaulay duration at `yield_`, years (column `macaulay_duration`, docs/output.md).
    pub macaulay_duration: Option<f64>,
    /// Macaulay duration / (1 + `yield_`), years (column `modified_duration`).
    pub modified_duration: Option<f64>,
    /// Convexity at `yield_`, years² (column `convexity`; docs/analytics.md).
    pub convexity: Option<f64>,
    /// Spread over the scenario file's discount rate or zero curve.
    pub spread: Option<f64>,
}

/// A run and the pricing of its tranches: `pricing[i]` belongs to `run.summary[i]`. Derefs to
/// the run.
#[derive(Debug, Clone)]
pub struct PricedRun {
    /// The run.
    pub run: RunResult,
    /// The pricing columns of each summary row, in `run.summary`'s order.
    pub pricing: Vec<TranchePricing>,
    /// Whether each summary row's tranche is paid in full by the test of the break-even
    /// ([`super::breakeven::paid_in_full`]: every date's interest on time and the principal by
    /// the last date, or on the last date for `payment_test = "ultimate"`); column
    /// `paid_in_full` of `summary.parquet` (since session 34, review 34e item H1: `sweep`
    /// counted a tranche whose interest was missed and made good later as paid in full).
    pub paid_in_full: Vec<bool>,
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
    /// A pricer of `deal`'s runs under `pricing`.
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
    let paid_in_full = run
        .summary
        .iter()
        .map(|row| {
            deal.tranches
                .iter()
                .find(|t| row.tranche == t.name)
                .is_some_and(|t| super::breakeven::paid_in_full(&run, t))
        })
        .collect();
    PricedRun {
        run,
        pricing: priced,
        paid_in_full,
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
        // Nothing is received after settlement (a total loss). A quoted price stands; a
        // quoted yield prices nothing at 0. A positive price is lost whole: the yield is −100%,
        // the limit of the IRR as every flow goes to zero (docs/analytics.md, "Yield"). No
        // flow weighs a duration, a convexity or a spread.
        let (price, yield_) = match quote {
            Quote::Price(p) => (p, (p > 0.0).then_some(-1.0)),
            Quote::Yield(y) => (0.0, Some(y)),
        };
        return TrancheMeasures {
            wal_years: wal,
            price: Some(price),
            yield_,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::result::Label;

    /// A tranche with a balance at settlement that receives nothing after it (a total loss):
    /// bought at a price P > 0 for nothing, the yield is the limit of the IRR as the flows go
    /// to zero, −100%; a quoted price stands; a quoted yield prices nothing at 0 (Σ 0·v^t).
    /// No flow, so no duration, convexity or spread (before, every field was null, and a
    /// sweep's "Min yield" left such scenarios out).
    #[test]
    fn nothing_received_is_a_yield_of_minus_100_percent() {
        let settle = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        let pricing = Pricing::default();
        let m = measure(
            settle,
            &[],
            Some(1e6),
            Quote::Price(100.0),
            &pricing,
            &[],
            None,
        );
        assert_eq!((m.price, m.yield_), (Some(100.0), Some(-1.0)));
        assert_eq!(
            (m.macaulay_duration, m.convexity, m.spread),
            (None, None, None)
        );
        assert_eq!(m.wal_years, None);
        let m = measure(
            settle,
            &[],
            Some(1e6),
            Quote::Price(0.0),
            &pricing,
            &[],
            None,
        );
        assert_eq!((m.price, m.yield_), (Some(0.0), None));
        let m = measure(
            settle,
            &[],
            Some(1e6),
            Quote::Yield(0.05),
            &pricing,
            &[],
            None,
        );
        assert_eq!((m.price, m.yield_), (Some(0.0), Some(0.05)));
        // No balance at settlement: nothing to price.
        let m = measure(
            settle,
            &[],
            Some(0.0),
            Quote::Price(100.0),
            &pricing,
            &[],
            None,
        );
        assert_eq!((m.price, m.yield_), (None, None));
    }

    /// `cash_paid` is `decimal_to_f64` of the three amounts' Decimal sum, bit for bit (the
    /// oracle: the sum rust_decimal computes), or `None` where that sum is zero: whole fen of
    /// every size and sign, sums that cancel, and amounts at other scales (the Decimal path).
    #[test]
    fn cash_paid_is_the_decimal_sum_converted() {
        let mut next = crate::money::rational::xorshift(0x00c4_5bad);
        let mut amount = || {
            let r = next();
            let m = match r % 4 {
                0 => 0,
                1 => i128::from(r >> 40),
                2 => i128::from(r >> 2) * 1_000,
                _ => -i128::from(r >> 45),
            };
            // Mostly whole fen; one in eight at 3 places, one in sixteen at 0.
            let scale = match (r >> 3) % 16 {
                0 => 0,
                1 | 2 => 3,
                _ => 2,
            };
            Decimal::from_i128_with_scale(m, scale)
        };
        let row = |i: Decimal, p: Decimal, x: Decimal| TrancheFlowRow {
            period: 1,
            payment_date: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default(),
            tranche: Label::Static("A"),
            class: Label::Static("senior"),
            balance_start: Decimal::ZERO,
            interest_due: Decimal::ZERO,
            interest_paid: i,
            interest_shortfall: Decimal::ZERO,
            interest_residual: Decimal::ZERO,
            principal_due: Decimal::ZERO,
            principal_paid: p,
            residual_paid: x,
            balance_end: Decimal::ZERO,
            coverage_multiple: None,
        };
        let mut zeros = 0;
        for _ in 0..200_000 {
            let (i, p, x) = (amount(), amount(), amount());
            let sum = i + p + x;
            let want = (!sum.is_zero()).then(|| decimal_to_f64(sum).to_bits());
            zeros += usize::from(want.is_none());
            let got = cash_paid(&row(i, p, x)).map(f64::to_bits);
            assert_eq!(got, want, "{i} + {p} + {x}");
            // Cancelling amounts: x and its negation.
            assert_eq!(cash_paid(&row(x, -x, Decimal::ZERO)), None, "{x}");
        }
        assert!(zeros > 100, "the zero sums were drawn: {zeros}");
    }
}
