//! Target default rates: the simulated tail quantile with the concentration rules (the
//! single-obligor multiplier, the large-obligor test; docs/rating.md §5).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::*;
use crate::deal::Deal;
use crate::rating_model::{
    CreditCurve, DEFAULT_LARGE_OBLIGOR_COUNTS, GRADES, LARGE_OBLIGOR_GRADES, PdTable, RatingModel,
};

/// The TDR of one rating and its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingTdr {
    /// The rating label, a row of the PD table.
    pub rating: String,
    /// The pool term the PD is read at: the balance-weighted average of the obligors' terms
    /// to their last instalments, years (docs/rating.md §1).
    pub pool_term: f64,
    /// The rating's cumulative PD at the pool's weighted-average term.
    pub horizon_pd: f64,
    /// [`tail_quantile`] at `horizon_pd`.
    pub simulated: Decimal,
    /// The single-obligor multiplier applied to `simulated` (1 when off).
    pub multiplier: f64,
    /// The large-obligor test's default rate (None when off or not defined for the rating).
    pub large_obligor: Option<Decimal>,
    /// min(1, max(simulated × multiplier, large_obligor)), 6 dp.
    pub tdr: Decimal,
    /// The TDR's 95% confidence interval ([`quantile_interval_ranks`]): the same formula on the
    /// order statistics that bound the simulated part; the upper end is the formula at a
    /// fraction of 1 (so 1) when the paths are too few to bound it (review 30c item 7).
    pub tdr_low: Decimal,
    /// The upper end of that interval.
    pub tdr_high: Decimal,
}

/// The single-obligor multiplier m, exactly, as `(numerator, denominator)`, for the largest
/// obligor's cutoff balance `largest` in a pool of `total` (r = largest / total) and the
/// originator factor `s`: 1 below r = 5%; 1 + 0.5s + 10s(r − 0.05) from 5%; 1 + s +
/// 10s(r − 0.10) from 10%; 1 + 1.5s from 15% (docs/rating.md §5). From 5% to 15% both lines
/// are 1 + 10·s·r = (total + 10·s·largest) / total, so the TDR it scales is rounded once from
/// that quotient (review 27b item M7: r and m were floats, and m × TDR was rounded from them).
/// The Decimal products here are exact: `s` has at most 6 places (validated) and the pool is
/// below 10^16 yuan, so `10·s·largest` has at most 25 digits.
pub fn single_obligor_multiplier(
    largest: Decimal,
    total: Decimal,
    s: Decimal,
) -> (Decimal, Decimal) {
    let one = (Decimal::ONE, Decimal::ONE);
    if total <= Decimal::ZERO {
        return one;
    }
    // r ≥ x ⇔ largest × 100 ≥ total × (100 x): exact products of amounts below 10^16.
    let at_least = |pct: i64| largest * Decimal::ONE_HUNDRED >= total * Decimal::from(pct);
    if at_least(15) {
        (Decimal::ONE + Decimal::new(15, 1) * s, Decimal::ONE)
    } else if at_least(5) {
        (total + Decimal::TEN * s * largest, total)
    } else {
        one
    }
}

/// The grade of [`GRADES`] of each credit of [`Pool::groups`] (an obligor, or an obligor
/// group as its first obligor's credit over the group's term) for the large-obligor test: its
/// rating's label, or for an explicit PD the highest table rating whose PD over the credit's
/// term is at least it;
/// a PD above every row of the table is the lowest grade, C (review 32a item 1: it had no
/// grade and left the test, so a riskier obligor lowered the TDR).
fn credit_grades(pool: &Pool, table: &PdTable) -> Vec<Option<usize>> {
    let lowest = GRADES.len() - 1;
    pool.groups
        .iter()
        .map(|g| &pool.credits[g[0]])
        .zip(&pool.group_terms)
        .map(|(c, &t)| match c.curve {
            CreditCurve::Rating(i) => GRADES.iter().position(|g| *g == table.rows[i].0),
            CreditCurve::Explicit(pd) => {
                match (0..table.rows.len()).find(|&i| table.pd(i, t) >= pd) {
                    Some(i) => GRADES.iter().position(|g| *g == table.rows[i].0),
                    None => Some(lowest),
                }
            }
        })
        .collect()
}

/// The large-obligor test of target grade `r` (index into [`GRADES`], < 19): for every
/// threshold grade g, the N(g, r) largest credits of [`Pool::groups`] (cutoff balance; an
/// obligor group is one, `order` ranks them) rated g or lower default and lose `loss` per
/// unit; the largest such loss / pool, 6 dp.
pub fn large_obligor_rate(
    pool: &Pool,
    grades: &[Option<usize>],
    order: &[usize],
    r: usize,
    loss: Decimal,
) -> Decimal {
    let mut worst = Decimal::ZERO;
    for (g, counts) in DEFAULT_LARGE_OBLIGOR_COUNTS.iter().enumerate() {
        let n = counts[r] as usize;
        if n == 0 {
            continue;
        }
        let sum: Decimal = order
            .iter()
            .filter(|&&o| grades[o].is_some_and(|x| x >= g))
            .take(n)
            .map(|&o| pool.group_balances[o])
            .sum();
        worst = worst.max(sum);
    }
    // The largest loss over the pool, rounded once (review 27b item M7).
    if pool.total <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    round_product_quotient(&[worst, loss], &[pool.total], FRACTION_DP)
}

/// The TDR of every rating of the table, highest first.
pub fn tdrs(deal: &Deal, pool: &Pool, sim: &Simulation, model: &RatingModel) -> Vec<RatingTdr> {
    let dist = distribution(pool, sim);
    let conc = &model.concentration;
    let largest = pool
        .group_balances
        .iter()
        .copied()
        .max()
        .unwrap_or_default();
    let (m_num, m_den) = if conc.single_obligor_multiplier {
        single_obligor_multiplier(largest, pool.total, conc.originator_factor)
    } else {
        (Decimal::ONE, Decimal::ONE)
    };
    // A statistic for the report (`rating.parquet`); the TDR uses the exact quotient.
    let multiplier = (m_num / m_den).to_f64().unwrap_or(1.0);
    let grades = credit_grades(pool, &model.pd);
    let order = deal.rank_by_balance(&pool.groups);
    model
        .pd
        .rows
        .iter()
        .enumerate()
        .map(|(i, (label, _))| {
            let horizon_pd = model.pd.pd(i, pool.wa_term);
            let simulated = tail_quantile(&dist, sim.paths, horizon_pd);
            let large_obligor = if conc.large_obligor_test {
                GRADES
                    .iter()
                    .position(|g| g == label)
                    .filter(|&r| r < LARGE_OBLIGOR_GRADES)
                    .map(|r| large_obligor_rate(pool, &grades, &order, r, conc.large_obligor_loss))
            } else {
                None
            };
            let tdr_of = |simulated: Decimal| {
                round_product_quotient(&[simulated, m_num], &[m_den], FRACTION_DP)
                    .max(large_obligor.unwrap_or(Decimal::ZERO))
                    .min(Decimal::ONE)
            };
            let (high, low) = quantile_interval_ranks(sim.paths, horizon_pd, INTERVAL_TAIL);
            RatingTdr {
                rating: label.clone(),
                pool_term: pool.wa_term,
                horizon_pd,
                simulated,
                multiplier,
                large_obligor,
                tdr: tdr_of(simulated),
                tdr_low: tdr_of(order_statistic(&dist, low)),
                tdr_high: tdr_of(high.map_or(Decimal::ONE, |j| order_statistic(&dist, j))),
            }
        })
        .collect()
}
