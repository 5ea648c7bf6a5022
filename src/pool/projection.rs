//! Pool projection: what each obligor pays in each collection period under a scenario.
//!
//! Conventions (docs/conventions.md states them with formulas):
//! * An instalment is collected in the collection period that contains its (unadjusted) due date.
//! * The CDR default of a period happens on its first day, on the performing balance then;
//!   the fraction is `1 − (1 − CDR)^(days/365)` for a period of `days` calendar days.
//! * A named default on date D: instalments due before D are paid, nothing due on or after D
//!   is; the defaulted amount is the performing principal at D.
//! * Recovery = recovery rate × defaulted amount, received `lag` months after the default date.
//! * Delay: the fraction `x` of each scheduled instalment arrives `n` months after its due date.
//! * Prepayment happens on the last day of the period, on the balance after scheduled principal;
//!   the fraction is `1 − (1 − CPR)^(days/365)`.
//! * Defaults and prepayments scale every later instalment of the asset by the surviving
//!   fraction; each scaled amount is rounded to the fen, and the asset's last instalment takes
//!   whatever principal remains so the balance ends at exactly zero.
//! * Cash that would arrive after the last collection period is outside the deal; it is
//!   reported as `beyond_horizon`.

use chrono::NaiveDate;
use rust_decimal::prelude::*;

use crate::calendar::schedule::add_months;
use crate::deal::{Deal, PeriodDates};
use crate::engine::result::{Label, PoolFlowRow};
use crate::error::{Error, Result};
use crate::money::{add_to as add, fen, round_half_away};
use crate::scenario::Scenario;

/// Most obligor × payment-date cells a projection may hold (docs/performance.md): about
/// 10 GB of memory at the measured 0.5 KB per cell.
pub const MAX_OBLIGOR_PERIODS: usize = 20_000_000;

/// Pool totals of one collection period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodCash {
    /// Cash from instalments (incl. delayed arrivals and prepayments).
    pub collected: Decimal,
    pub principal_collected: Decimal,
    pub interest_collected: Decimal,
    pub prepaid: Decimal,
    pub recovered: Decimal,
    pub defaulted: Decimal,
    pub delayed: Decimal,
    /// Performing balance at the start of the collection period.
    pub balance_start: Decimal,
    pub balance_end: Decimal,
    /// Defaults from the cutoff through the end of this period.
    pub cumulative_defaults: Decimal,
}

impl PeriodCash {
    /// All pool cash of the period: collections plus recoveries.
    pub fn cash(&self) -> Decimal {
        self.collected + self.recovered
    }
}

/// The projected pool of one run.
#[derive(Debug, Clone)]
pub struct PoolProjection {
    /// Per obligor per period, period-major (all obligors of period 1, then period 2, …).
    pub rows: Vec<PoolFlowRow>,
    /// Per period totals.
    pub periods: Vec<PeriodCash>,
    /// Performing balance at the cutoff date.
    pub initial_balance: Decimal,
    /// Cash that falls after the last collection period (delays, recoveries): not in the deal.
    pub beyond_horizon: Decimal,
}

/// Per-obligor, per-period accumulator.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    scheduled: Decimal,
    principal: Decimal,
    interest: Decimal,
    prepaid: Decimal,
    defaulted: Decimal,
    recovered: Decimal,
    delayed: Decimal,
    balance_end: Decimal,
}

/// Projects the pool of `deal` under `scenario`.
pub fn project(deal: &Deal, scenario: &Scenario) -> Result<PoolProjection> {
    let periods = &deal.periods;
    let n = periods.len();
    let n_obl = deal.obligors.len();
    if n.saturating_mul(n_obl) > MAX_OBLIGOR_PERIODS {
        return Err(Error::Usage(format!(
            "the pool is too large to project: {n_obl} obligors × {n} payment dates = {} \
             obligor-periods, above the limit of {MAX_OBLIGOR_PERIODS} (each takes about 0.5 KB \
             of memory across the projection and its output rows); split the pool into \
             sub-pools or use fewer payment dates",
            n.saturating_mul(n_obl)
        )));
    }
    let mut cells = vec![Cell::default(); n * n_obl];
    let mut beyond = Decimal::ZERO;

    // Periods mostly share a few lengths: compute each (rate, days) fraction once.
    let mut cache: Vec<(Decimal, i64, Decimal)> = Vec::new();
    let mut period_fraction = |rate: Decimal, p: &PeriodDates| -> Result<Decimal> {
        let days = (p.collection_end - p.collection_start).num_days() + 1;
        if let Some(&(_, _, f)) = cache.iter().find(|(r, d, _)| *r == rate && *d == days) {
            return Ok(f);
        }
        let f = annual_to_period(rate, days)?;
        cache.push((rate, days, f));
        Ok(f)
    };
    let default_fractions: Vec<Decimal> = periods
        .iter()
        .map(|p| period_fraction(scenario.cdr, p))
        .collect::<Result<_>>()?;
    let prepay_fractions: Vec<Decimal> = periods
        .iter()
        .map(|p| period_fraction(scenario.cpr, p))
        .collect::<Result<_>>()?;

    // The default curve: share of each asset's cutoff balance defaulting in each period.
    let last_due = deal
        .obligors
        .iter()
        .flat_map(|o| o.assets.iter())
        .filter_map(|a| a.instalments.last().map(|i| i.date))
        .max();
    let pool_periods = last_due.map_or(n, |d| period_of(periods, d).map_or(n, |k| k + 1));
    let curve: Vec<Decimal> = scenario
        .default_shares(n, pool_periods)
        .into_iter()
        .map(|share| scenario.default_rate * share)
        .collect();

    let mut named_default: Vec<Option<NaiveDate>> = vec![None; n_obl];
    for &(o, d) in &scenario.obligor_defaults {
        if let Some(slot) = named_default.get_mut(o) {
            *slot = Some(d);
        }
    }

    let overflow = || Error::Internal("decimal overflow in the pool projection".into());

    for (o, obligor) in deal.obligors.iter().enumerate() {
        // Named default date, moved into the first collection period if earlier.
        let default_at = named_default[o].map(|d| d.max(periods[0].collection_start));
        for asset in &obligor.assets {
            let initial = asset.balance();
            let mut bal = initial;
            let mut factor = Decimal::ONE;
            // While nothing has defaulted or prepaid, the balance is exactly the sum of the
            // remaining contractual principal: instalments are paid as scheduled.
            let mut intact = true;
            let mut next = 0usize; // next instalment index
            let last = asset.instalments.len().saturating_sub(1);
            let mut dead = false;
            for (k, p) in periods.iter().enumerate() {
                let cell_ix = k * n_obl + o;
                // 1. CDR and default-curve defaults on the first day of the period.
                let dk = default_fractions[k];
                let ck = curve[k];
                if !dead && (!dk.is_zero() || !ck.is_zero()) && bal > Decimal::ZERO {
                    let cdr_part = fen(dk.checked_mul(bal).ok_or_else(overflow)?);
                    let curve_part = fen(ck.checked_mul(initial).ok_or_else(overflow)?);
                    let def = (cdr_part + curve_part).min(bal);
                    if def > Decimal::ZERO {
                        // CDR alone: φ(1 − f) exactly; with a curve part: φ(B − D)/B.
                        let next = if curve_part.is_zero() && def == cdr_part {
                            factor.checked_mul(Decimal::ONE - dk)
                        } else {
                            factor
                                .checked_mul(bal - def)
                                .and_then(|x| x.checked_div(bal))
                        };
                        factor = round_factor(next.ok_or_else(overflow)?);
                        intact = false;
                        bal -= def;
                        add(&mut cells[cell_ix].defaulted, def);
                        let rec = fen(scenario.recovery_rate * def);
                        book_arrival(
                            deal,
                            &mut cells,
                            &mut beyond,
                            n_obl,
                            o,
                            p.collection_start,
                            scenario.recovery_lag_months,
                            rec,
                            Arrival::Recovery,
                        );
                    }
                }
                // 2. Instalments due in the period, with a named default interleaved.
                while next < asset.instalments.len()
                    && asset.instalments[next].date <= p.collection_end
                {
                    let inst = asset.instalments[next];
                    if inst.date < p.collection_start {
                        // Cannot happen for a validated deal (instalments fall after cutoff).
                        next += 1;
                        continue;
                    }
                    if !dead && default_at.is_some_and(|d| d <= inst.date) {
                        dead = true;
                        let d = default_at.unwrap_or(inst.date);
                        default_now(
                            deal,
                            scenario,
                            &mut cells,
                            &mut beyond,
                            n_obl,
                            o,
                            k,
                            d,
                            &mut bal,
                        );
                    }
                    let sc = &mut cells[cell_ix].scheduled;
                    add(sc, inst.principal);
                    add(sc, inst.interest);
                    if !dead {
                        let (pr, it) = if intact {
                            (inst.principal, inst.interest)
                        } else if next == last {
                            (bal, fen(factor * inst.interest))
                        } else {
                            (
                                fen(factor.checked_mul(inst.principal).ok_or_else(overflow)?)
                                    .min(bal),
                                fen(factor.checked_mul(inst.interest).ok_or_else(overflow)?),
                            )
                        };
                        bal -= pr;
                        let c = &mut cells[cell_ix];
                        if scenario.delay_fraction.is_zero() {
                            add(&mut c.principal, pr);
                            add(&mut c.interest, it);
                        } else {
                            let dp = fen(scenario.delay_fraction * pr);
                            let di = fen(scenario.delay_fraction * it);
                            add(&mut c.principal, pr - dp);
                            add(&mut c.interest, it - di);
                            add(&mut c.delayed, dp + di);
                            for (amount, kind) in
                                [(dp, Arrival::Principal), (di, Arrival::Interest)]
                            {
                                book_arrival(
                                    deal,
                                    &mut cells,
                                    &mut beyond,
                                    n_obl,
                                    o,
                                    inst.date,
                                    scenario.delay_months,
                                    amount,
                                    kind,
                                );
                            }
                        }
                    }
                    next += 1;
                }
                // A named default inside the period with no instalment on or after it.
                if !dead && default_at.is_some_and(|d| d <= p.collection_end) {
                    dead = true;
                    let d = default_at.unwrap_or(p.collection_end);
                    default_now(
                        deal,
                        scenario,
                        &mut cells,
                        &mut beyond,
                        n_obl,
                        o,
                        k,
                        d,
                        &mut bal,
                    );
                }
                // 3. Prepayment on the last day of the period.
                let sk = prepay_fractions[k];
                if asset.prepayable && !dead && !sk.is_zero() && bal > Decimal::ZERO {
                    let pp = fen(sk.checked_mul(bal).ok_or_else(overflow)?).min(bal);
                    bal -= pp;
                    factor =
                        round_factor(factor.checked_mul(Decimal::ONE - sk).ok_or_else(overflow)?);
                    intact = false;
                    let c = &mut cells[cell_ix];
                    add(&mut c.prepaid, pp);
                    add(&mut c.principal, pp);
                }
                add(&mut cells[cell_ix].balance_end, bal);
            }
        }
    }

    // Assemble rows and totals; each obligor's name is shared by its rows.
    let names: Vec<Label> = deal.obligors.iter().map(|o| Label::from(&o.name)).collect();
    let mut rows = Vec::with_capacity(n * n_obl);
    let mut totals = Vec::with_capacity(n);
    let initial_balance = deal.pool_balance();
    let mut bal_start = initial_balance;
    let mut cum = Decimal::ZERO;
    for (k, p) in periods.iter().enumerate() {
        let mut t = PeriodCash {
            balance_start: bal_start,
            ..PeriodCash::default()
        };
        for (o, name) in names.iter().enumerate() {
            let c = cells[k * n_obl + o];
            let collected = c.principal + c.interest;
            add(&mut t.collected, collected);
            add(&mut t.principal_collected, c.principal);
            add(&mut t.interest_collected, c.interest);
            add(&mut t.prepaid, c.prepaid);
            add(&mut t.recovered, c.recovered);
            add(&mut t.defaulted, c.defaulted);
            add(&mut t.delayed, c.delayed);
            add(&mut t.balance_end, c.balance_end);
            rows.push(PoolFlowRow {
                period: p.number,
                payment_date: p.date(),
                obligor: name.clone(),
                scheduled: c.scheduled,
                collected,
                principal_collected: c.principal,
                interest_collected: c.interest,
                prepaid: c.prepaid,
                defaulted: c.defaulted,
                recovered: c.recovered,
                delayed: c.delayed,
                balance_end: c.balance_end,
            });
        }
        add(&mut cum, t.defaulted);
        t.cumulative_defaults = cum;
        bal_start = t.balance_end;
        totals.push(t);
    }
    Ok(PoolProjection {
        rows,
        periods: totals,
        initial_balance,
        beyond_horizon: beyond,
    })
}

#[derive(Clone, Copy)]
enum Arrival {
    Principal,
    Interest,
    Recovery,
}

/// Books `amount` arriving `months` after `from`, in the period containing that date.
#[allow(clippy::too_many_arguments)]
fn book_arrival(
    deal: &Deal,
    cells: &mut [Cell],
    beyond: &mut Decimal,
    n_obl: usize,
    obligor: usize,
    from: NaiveDate,
    months: u32,
    amount: Decimal,
    kind: Arrival,
) {
    if amount.is_zero() {
        return;
    }
    let at = i32::try_from(months)
        .ok()
        .and_then(|m| add_months(from, m, false));
    match at.and_then(|d| period_of(&deal.periods, d)) {
        Some(k) => {
            let c = &mut cells[k * n_obl + obligor];
            match kind {
                Arrival::Principal => add(&mut c.principal, amount),
                Arrival::Interest => add(&mut c.interest, amount),
                Arrival::Recovery => add(&mut c.recovered, amount),
            }
        }
        None => add(beyond, amount),
    }
}

/// A named default on `date`: the whole performing balance defaults.
#[allow(clippy::too_many_arguments)]
fn default_now(
    deal: &Deal,
    scenario: &Scenario,
    cells: &mut [Cell],
    beyond: &mut Decimal,
    n_obl: usize,
    obligor: usize,
    period_ix: usize,
    date: NaiveDate,
    bal: &mut Decimal,
) {
    let def = *bal;
    *bal = Decimal::ZERO;
    if def.is_zero() {
        return;
    }
    add(&mut cells[period_ix * n_obl + obligor].defaulted, def);
    let rec = fen(scenario.recovery_rate * def);
    book_arrival(
        deal,
        cells,
        beyond,
        n_obl,
        obligor,
        date,
        scenario.recovery_lag_months,
        rec,
        Arrival::Recovery,
    );
}

/// The surviving factor is kept to 12 decimal places (half away from zero), so that scaled
/// instalments stay cheap to compute; on a 1e9 balance the effect is below 0.001 yuan.
fn round_factor(f: Decimal) -> Decimal {
    round_half_away(f, 12)
}

/// The collection period (0-based) containing `date`, if any.
pub fn period_of(periods: &[PeriodDates], date: NaiveDate) -> Option<usize> {
    let k = periods.partition_point(|p| p.collection_end < date);
    (k < periods.len() && periods[k].collection_start <= date).then_some(k)
}

/// Converts an annual rate (CDR or CPR) to the fraction for a period of `days` days:
/// `1 − (1 − rate)^(days/365)`.
///
/// The power is computed in `f64` and the result rounded half away from zero to 10 decimal
/// places before it multiplies any money (docs/conventions.md). A zero rate gives exactly zero.
pub fn annual_to_period(rate: Decimal, days: i64) -> Result<Decimal> {
    if rate.is_zero() || days <= 0 {
        return Ok(Decimal::ZERO);
    }
    let r = rate
        .to_f64()
        .ok_or_else(|| Error::Internal(format!("rate {rate} is not representable")))?;
    let f = 1.0 - (1.0 - r).powf(days as f64 / 365.0);
    let d = Decimal::from_f64(f)
        .ok_or_else(|| Error::Internal(format!("period fraction {f} is not finite")))?;
    Ok(round_half_away(d, 10))
}
