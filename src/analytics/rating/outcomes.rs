//! The simulated default patterns run through the deal's own waterfall (docs/rating.md §7).

use rayon::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::analytics::bond_math::{flows_from_decimal_iter, wal_years_of};
use crate::analytics::breakeven::{self, paid_in_full};
use crate::deal::Deal;
use crate::engine::{self, ObligorRows};
use crate::error::Result;
use crate::rating_model::PdTable;
use crate::scenario::Scenario;

/// One row of `mc_tranches.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct McTranche {
    /// The deal's name.
    pub deal: String,
    /// The tranche's name.
    pub tranche: String,
    /// Number of paths simulated.
    pub paths: u64,
    /// Share of paths in which the tranche is not paid in full (any interest shortfall on any
    /// date, or principal left after the last payment date).
    pub default_probability: f64,
    /// Mean over paths of (principal loss + interest shortfall left after the last date) /
    /// initial balance, 8 dp.
    pub expected_loss: Decimal,
    /// Mean WAL over the paths in which the tranche has one.
    pub expected_wal_years: Option<f64>,
    /// The highest rating whose cumulative PD at the expected WAL is at least
    /// `default_probability`.
    pub implied_rating: Option<String>,
    /// Its credit substitution, when a provider with a credit covers it in full
    /// ([`SubstitutionPlan`]); set by the caller, `None` from [`aggregate_outcomes`].
    pub substitution: Option<Substitution>,
}

/// The scenario of a path: `base` (its recoveries, delays, CPR, supports) with no default curve
/// or CDR, the pattern's named defaults, and its providers' defaults added to `base`'s
/// `support_failures`.
pub fn path_scenario(pool: &Pool, base: &Scenario, p: &Pattern) -> Scenario {
    let mut s = breakeven::stressed(base, Decimal::ZERO);
    s.name = format!("{} (Monte Carlo)", base.name);
    s.obligor_defaults = pool.obligor_defaults(p);
    // A support the scenario switches off is absent, not failed (review 35d item F3: its
    // provider's default tripped a `support_failed` trigger on the pool-alone paths).
    s.support_failures.extend(
        pool.support_failures(p)
            .into_iter()
            .filter(|(x, _)| !base.supports_off.contains(x)),
    );
    s
}

/// The rating a default probability `p` implies over `years`.
pub fn rating_for_probability(table: &PdTable, p: f64, years: f64) -> Option<String> {
    (0..table.rows.len())
        .find(|&i| table.pd(i, years) >= p)
        .map(|i| table.rows[i].0.clone())
}

/// One tranche's outcome on one default pattern run through the waterfall: what
/// `mc_tranches` aggregates over the paths (docs/rating.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathOutcome {
    /// The tranche was not paid in full (principal and interest) by its legal maturity.
    pub not_paid_in_full: bool,
    /// Principal loss plus interest shortfall (the whole balance without a summary row).
    pub loss: Decimal,
    /// WAL from the closing date of its principal payments; `None` without any.
    pub wal_years: Option<f64>,
}

/// Runs each of `patterns` once through the deal's waterfall under `base` (in parallel):
/// per pattern, one [`PathOutcome`] per tranche in the deal's order. `progress(1)` per run.
pub fn pattern_outcomes(
    deal: &Deal,
    pool: &Pool,
    base: &Scenario,
    patterns: &[&Pattern],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Vec<PathOutcome>>> {
    let plan = engine::DealPlan::new(deal);
    patterns
        .par_iter()
        .map_init(engine::RunMemo::default, |memo, p| {
            let run = plan.run_in(memo, &path_scenario(pool, base, p), ObligorRows::Skip)?;
            progress(1);
            Ok(deal
                .tranches
                .iter()
                .map(|t| {
                    let s = run.summary.iter().find(|s| s.tranche == t.name);
                    PathOutcome {
                        not_paid_in_full: !paid_in_full(&run, t),
                        loss: s.map_or(t.balance, |s| s.principal_loss + s.interest_shortfall),
                        wal_years: tranche_wal(deal, &run, &t.name),
                    }
                })
                .collect::<Vec<_>>())
        })
        .collect()
}

/// Runs every distinct path of `sim` through the deal's waterfall under `base` (each distinct
/// pattern once, in parallel) and aggregates per tranche. `progress(1)` per run.
pub fn through_waterfall(
    deal: &Deal,
    pool: &Pool,
    base: &Scenario,
    sim: &Simulation,
    table: &PdTable,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<McTranche>> {
    let patterns: Vec<&Pattern> = sim.patterns.keys().collect();
    let outcomes = pattern_outcomes(deal, pool, base, &patterns, progress)?;
    Ok(aggregate_outcomes(deal, sim, &outcomes, table))
}

/// The `mc_tranches` rows of `sim` from its patterns' outcomes (`outcomes[i]` belongs to the
/// i-th pattern of `sim.patterns`, in its order): each outcome counted as often as its pattern
/// was drawn. The sums run in pattern order, so outcomes computed on several machines
/// (`rate --waterfall-shard`) give the same bits as one run.
pub fn aggregate_outcomes(
    deal: &Deal,
    sim: &Simulation,
    outcomes: &[Vec<PathOutcome>],
    table: &PdTable,
) -> Vec<McTranche> {
    let n = sim.paths.max(1);
    let mut out = Vec::with_capacity(deal.tranches.len());
    for (ti, t) in deal.tranches.iter().enumerate() {
        let (mut fails, mut loss, mut wal_sum, mut wal_paths) = (0u64, Decimal::ZERO, 0.0f64, 0u64);
        for (c, o) in sim.patterns.values().zip(outcomes) {
            let PathOutcome {
                not_paid_in_full,
                loss: l,
                wal_years,
            } = o[ti];
            if not_paid_in_full {
                fails += c;
            }
            loss += l * Decimal::from(*c);
            if let Some(w) = wal_years {
                wal_sum += w * *c as f64;
                wal_paths += c;
            }
        }
        let expected_loss = if t.balance.is_zero() {
            Decimal::ZERO
        } else {
            // Σ loss over n paths per unit of balance, rounded once (review 27b item M7).
            round_product_quotient(&[loss], &[Decimal::from(n), t.balance], LOSS_DP)
        };
        let default_probability = fails as f64 / n as f64;
        let expected_wal_years = (wal_paths > 0).then(|| wal_sum / wal_paths as f64);
        let horizon =
            expected_wal_years.unwrap_or_else(|| years(deal.closing_date, t.expected_maturity));
        out.push(McTranche {
            deal: deal.name.clone(),
            tranche: t.name.clone(),
            paths: sim.paths,
            default_probability,
            expected_loss,
            expected_wal_years,
            implied_rating: rating_for_probability(table, default_probability, horizon),
            substitution: None,
        });
    }
    out
}

/// WAL in years from the closing date of `tranche`'s principal payments in `run`.
fn tranche_wal(deal: &Deal, run: &crate::engine::result::RunResult, tranche: &str) -> Option<f64> {
    let principal = run
        .tranche_flows
        .iter()
        .filter(|r| r.tranche == tranche && !r.principal_paid.is_zero())
        .map(|r| (r.payment_date, r.principal_paid));
    wal_years_of(deal.closing_date, flows_from_decimal_iter(principal))
}
