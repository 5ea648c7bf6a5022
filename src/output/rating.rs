//! The tables of `ipabs rate` and `ipabs size` (docs/output.md, docs/rating.md): DataFrames for
//! `default_distribution.parquet`, `rating.parquet`, `mc_tranches.parquet` and
//! `size_steps.parquet`, their terminal tables, and the sized deal file.
//!
//! Like every table, the writer never rounds: a value not exact at its column's scale fails.

use std::path::PathBuf;

use polars::prelude::*;
use rust_decimal::Decimal;

use super::parquet::{MONEY_SCALE, RATIO_SCALE};
use super::table::{display_width, format_money};
use crate::analytics::rating::size::{SizeStep, Sized, TdrAt};
use crate::analytics::rating::{
    DistributionPoint, LOSS_DP, McTranche, RatingRow, RatingTdr, Substitution, implied_rating_range,
};
use crate::error::Error;

/// File of `ipabs rate`'s default distribution (docs/output.md).
pub const DISTRIBUTION_FILE: &str = "default_distribution.parquet";
/// File of `ipabs rate`'s TDR, BDR and pass of each tranche and rating.
pub const RATING_FILE: &str = "rating.parquet";
/// File of `ipabs rate`'s simulated default probability and loss of each tranche.
pub const MC_TRANCHES_FILE: &str = "mc_tranches.parquet";
/// File of every balance `ipabs size` evaluated.
pub const SIZE_STEPS_FILE: &str = "size_steps.parquet";

fn err(file: &str, message: String) -> Error {
    Error::Write {
        path: PathBuf::from(file),
        message,
    }
}

fn decimals(
    file: &str,
    name: &str,
    scale: u32,
    values: impl Iterator<Item = Option<Decimal>>,
) -> Result<Column, Error> {
    super::parquet::decimal_column(file, name, scale, values, |i| format!("row {i}"))
}

fn frame(file: &str, len: usize, columns: Vec<Column>) -> Result<DataFrame, Error> {
    DataFrame::new(len, columns).map_err(|e| err(file, e.to_string()))
}

fn int64(file: &str, name: &str, values: impl Iterator<Item = u64>) -> Result<Column, Error> {
    let v = values
        .map(|x| i64::try_from(x).map_err(|_| err(file, format!("column `{name}`: {x} too large"))))
        .collect::<Result<Vec<i64>, Error>>()?;
    Ok(Column::new(name.into(), v))
}

/// `default_distribution.parquet`: deal, defaulted_fraction, paths, probability,
/// cumulative_probability; ascending fraction.
pub fn distribution_frame(deal: &str, points: &[DistributionPoint]) -> Result<DataFrame, Error> {
    let f = DISTRIBUTION_FILE;
    frame(
        f,
        points.len(),
        vec![
            Column::new("deal".into(), vec![deal; points.len()]),
            decimals(
                f,
                "defaulted_fraction",
                RATIO_SCALE,
                points.iter().map(|p| Some(p.defaulted_fraction)),
            )?,
            int64(f, "paths", points.iter().map(|p| p.paths))?,
            Column::new(
                "probability".into(),
                points.iter().map(|p| p.probability).collect::<Vec<f64>>(),
            ),
            Column::new(
                "cumulative_probability".into(),
                points
                    .iter()
                    .map(|p| p.cumulative_probability)
                    .collect::<Vec<f64>>(),
            ),
        ],
    )
}

/// `rating.parquet`: deal, tranche, rating, target_default_rate, breakeven_default_rate, pass,
/// implied_rating, passes_at_one, fails_at_zero, binding_scenario, pd_at_term,
/// simulated_default_rate, single_obligor_multiplier, large_obligor_default_rate,
/// pool_term_years, tdr_low, tdr_high, implied_rating_at_tdr_high, implied_rating_at_tdr_low.
pub fn rating_frame(rows: &[RatingRow]) -> Result<DataFrame, Error> {
    let f = RATING_FILE;
    frame(
        f,
        rows.len(),
        vec![
            Column::new(
                "deal".into(),
                rows.iter().map(|r| r.deal.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "tranche".into(),
                rows.iter().map(|r| r.tranche.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "rating".into(),
                rows.iter().map(|r| r.rating.as_str()).collect::<Vec<_>>(),
            ),
            decimals(
                f,
                "target_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.target_default_rate)),
            )?,
            decimals(
                f,
                "breakeven_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.breakeven_default_rate)),
            )?,
            Column::new(
                "pass".into(),
                rows.iter().map(|r| r.pass).collect::<Vec<bool>>(),
            ),
            Column::new(
                "implied_rating".into(),
                rows.iter()
                    .map(|r| r.implied_rating.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
            Column::new(
                "passes_at_one".into(),
                rows.iter().map(|r| r.passes_at_one).collect::<Vec<bool>>(),
            ),
            Column::new(
                "fails_at_zero".into(),
                rows.iter().map(|r| r.fails_at_zero).collect::<Vec<bool>>(),
            ),
            Column::new(
                "binding_scenario".into(),
                rows.iter()
                    .map(|r| r.binding_scenario.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
            Column::new(
                "pd_at_term".into(),
                rows.iter().map(|r| r.horizon_pd).collect::<Vec<f64>>(),
            ),
            decimals(
                f,
                "simulated_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.simulated)),
            )?,
            Column::new(
                "single_obligor_multiplier".into(),
                rows.iter().map(|r| r.multiplier).collect::<Vec<f64>>(),
            ),
            decimals(
                f,
                "large_obligor_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| r.large_obligor),
            )?,
            Column::new(
                "pool_term_years".into(),
                rows.iter().map(|r| r.pool_term).collect::<Vec<f64>>(),
            ),
            decimals(
                f,
                "tdr_low",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.tdr_low)),
            )?,
            decimals(
                f,
                "tdr_high",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.tdr_high)),
            )?,
            Column::new(
                "implied_rating_at_tdr_high".into(),
                rows.iter()
                    .map(|r| r.implied_rating_at_tdr_high.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
            Column::new(
                "implied_rating_at_tdr_low".into(),
                rows.iter()
                    .map(|r| r.implied_rating_at_tdr_low.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
        ],
    )
}

/// `mc_tranches.parquet`: deal, tranche, paths, default_probability, expected_loss,
/// expected_wal_years, implied_rating.
pub fn mc_frame(rows: &[McTranche]) -> Result<DataFrame, Error> {
    let f = MC_TRANCHES_FILE;
    frame(
        f,
        rows.len(),
        vec![
            Column::new(
                "deal".into(),
                rows.iter().map(|r| r.deal.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "tranche".into(),
                rows.iter().map(|r| r.tranche.as_str()).collect::<Vec<_>>(),
            ),
            int64(f, "paths", rows.iter().map(|r| r.paths))?,
            Column::new(
                "default_probability".into(),
                rows.iter()
                    .map(|r| r.default_probability)
                    .collect::<Vec<f64>>(),
            ),
            decimals(
                f,
                "expected_loss",
                LOSS_DP,
                rows.iter().map(|r| Some(r.expected_loss)),
            )?,
            Column::new(
                "expected_wal_years".into(),
                rows.iter()
                    .map(|r| r.expected_wal_years)
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "implied_rating".into(),
                rows.iter()
                    .map(|r| r.implied_rating.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
            // Credit substitution (docs/rating.md §7), null where no provider with a credit
            // covers the tranche in full; appended in session 36.
            substitution_text(rows, "substitution_provider", |s| Some(&s.provider)),
            substitution_text(rows, "provider_rating", |s| s.provider_rating.as_ref()),
            Column::new(
                "standalone_default_probability".into(),
                rows.iter()
                    .map(|r| {
                        r.substitution
                            .as_ref()
                            .map(|s| s.standalone.default_probability)
                    })
                    .collect::<Vec<Option<f64>>>(),
            ),
            decimals(
                f,
                "standalone_expected_loss",
                LOSS_DP,
                rows.iter()
                    .map(|r| r.substitution.as_ref().map(|s| s.standalone.expected_loss)),
            )?,
            Column::new(
                "standalone_expected_wal_years".into(),
                rows.iter()
                    .map(|r| {
                        r.substitution
                            .as_ref()
                            .and_then(|s| s.standalone.expected_wal_years)
                    })
                    .collect::<Vec<Option<f64>>>(),
            ),
            substitution_text(rows, "standalone_implied_rating", |s| {
                s.standalone.implied_rating.as_ref()
            }),
            substitution_text(rows, "substituted_rating", |s| s.rating.as_ref()),
        ],
    )
}

/// `size_steps.parquet`: one row per evaluated balance, in evaluation order.
pub fn size_steps_frame(rows: &[SizeStep]) -> Result<DataFrame, Error> {
    let f = SIZE_STEPS_FILE;
    frame(
        f,
        rows.len(),
        vec![
            Column::new(
                "deal".into(),
                rows.iter().map(|r| r.deal.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "step".into(),
                rows.iter().map(|r| r.step as i32).collect::<Vec<i32>>(),
            ),
            Column::new(
                "tranche".into(),
                rows.iter().map(|r| r.tranche.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "target_rating".into(),
                rows.iter()
                    .map(|r| r.target_rating.as_str())
                    .collect::<Vec<_>>(),
            ),
            decimals(
                f,
                "balance",
                MONEY_SCALE,
                rows.iter().map(|r| Some(r.balance)),
            )?,
            decimals(
                f,
                "subordinated_balance",
                MONEY_SCALE,
                rows.iter().map(|r| Some(r.subordinated_balance)),
            )?,
            decimals(
                f,
                "breakeven_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.breakeven_default_rate)),
            )?,
            decimals(
                f,
                "target_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| Some(r.target_default_rate)),
            )?,
            Column::new(
                "rating_ok".into(),
                rows.iter().map(|r| r.rating_ok).collect::<Vec<bool>>(),
            ),
            decimals(
                f,
                "min_coverage_multiple",
                RATIO_SCALE,
                rows.iter().map(|r| r.min_coverage_multiple),
            )?,
            Column::new(
                "coverage_ok".into(),
                rows.iter()
                    .map(|r| r.coverage_ok)
                    .collect::<Vec<Option<bool>>>(),
            ),
            Column::new(
                "pass".into(),
                rows.iter().map(|r| r.pass).collect::<Vec<bool>>(),
            ),
            Column::new(
                "passes_at_one".into(),
                rows.iter().map(|r| r.passes_at_one).collect::<Vec<bool>>(),
            ),
            Column::new(
                "fails_at_zero".into(),
                rows.iter().map(|r| r.fails_at_zero).collect::<Vec<bool>>(),
            ),
            Column::new(
                "binding_scenario".into(),
                rows.iter()
                    .map(|r| r.binding_scenario.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            ),
            Column::new(
                "tdr_at".into(),
                rows.iter().map(|r| r.tdr_at.name()).collect::<Vec<&str>>(),
            ),
            Column::new(
                "min_coverage_date".into(),
                rows.iter()
                    .map(|r| r.min_coverage_date)
                    .collect::<Vec<Option<chrono::NaiveDate>>>(),
            ),
        ],
    )
}

fn pct(d: Decimal) -> String {
    format!("{:.4}%", d * Decimal::ONE_HUNDRED)
}

/// The width of a table's tranche column: its longest name, at least 12 (review 35a item 3e:
/// a name wider than 12 shifted its row).
fn name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(display_width).max().unwrap_or(0).max(12)
}

fn pad(s: &str, w: usize) -> String {
    let n = display_width(s);
    format!("{s}{}", " ".repeat(w.saturating_sub(n)))
}

/// Fewer paths than this beyond a rating's TDR make its simulated part noisy: the quantile's
/// relative error is of the order of 1/√k for the k paths above it (docs/rating.md §5).
pub const MIN_TAIL_PATHS: u64 = 100;

/// A note naming the ratings whose TDR is its simulated part and rests on fewer than
/// [`MIN_TAIL_PATHS`] paths (the (k + 1)-th largest of `paths`, k = ⌊paths × PD⌋), or None.
/// A TDR the large-obligor test sets has no sampling error and is not named.
pub fn tail_note(paths: u64, tdrs: &[RatingTdr]) -> Option<String> {
    let thin: Vec<String> = tdrs
        .iter()
        // A TDR the large-obligor test sets, or one whose interval is a single point (the cap
        // at 1 sets it: review 32a item 2), has no sampling error to note.
        .filter(|t| t.large_obligor != Some(t.tdr) && t.tdr_low != t.tdr_high)
        .filter_map(|t| {
            // The TDR is the rank-th largest path: rank − 1 paths lie beyond it (review 30d
            // item 8: 99 beyond was not named).
            let rank = crate::analytics::rating::tail_count(paths, t.horizon_pd) + 1;
            (rank <= MIN_TAIL_PATHS)
                .then(|| format!("{} (the {} largest)", t.rating, ordinal(rank)))
        })
        .collect();
    (!thin.is_empty()).then(|| {
        format!(
            "note: fewer than {MIN_TAIL_PATHS} of the {paths} paths lie beyond the simulated TDR \
             of {}: it moves with --seed (see its 95% interval; docs/rating.md §5); more --paths \
             narrow it",
            thin.join(", ")
        )
    })
}

/// After a tranche's implied rating, the ratings the BDR implies at the two ends of the TDRs'
/// 95% confidence intervals when they differ ([`implied_rating_range`]): the simulation does
/// not settle the rating between them (docs/rating.md §5). Empty for a tranche whose BDR
/// needs no TDR (paid in full at R = 1, or not paid with no defaults).
fn sampling_note(tdrs: &[RatingTdr], r: &RatingRow) -> String {
    if r.fails_at_zero || r.passes_at_one {
        return String::new();
    }
    let (at_high, at_low) = implied_rating_range(tdrs, r.bdr());
    if at_high == at_low {
        return String::new();
    }
    let name = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".to_string());
    format!(
        "  (the TDRs' 95% intervals give {} to {})",
        name(&at_high),
        name(&at_low)
    )
}

/// 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st, ….
fn ordinal(k: u64) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{suffix}")
}

/// The share of the pool at and above which [`concentration_note`] speaks.
pub const CONCENTRATED_SHARE: Decimal = Decimal::from_parts(5, 0, 0, false, 1);

/// A note when the largest obligor holds at least [`CONCENTRATED_SHARE`] of the pool
/// (review 32c item 2: `size` sized a one-debtor pool's senior to a 0.005% subordination, its
/// AA TDR 0 because the debtor's PD was below AA's, and said nothing). `balances` are the
/// credits' cutoff balances (an obligor group's summed: `Pool::group_balances`), `total` the
/// pool's; `grouped` when the pool has obligor groups (the note says the largest may be one).
pub fn concentration_note(balances: &[Decimal], total: Decimal, grouped: bool) -> Option<String> {
    let (_, share) = dominant_share(balances, total)?;
    Some(format!(
        "note: the largest obligor{} holds {} of the pool: the TDRs step with its default \
             (a rating's TDR is 0 while the obligor's PD is below the rating's, its exposure \
             once above), so an implied rating or a size rests on that obligor's credit rather \
             than on a granular pool (docs/rating.md §5)",
        if grouped {
            " (an obligor group counts as one)"
        } else {
            ""
        },
        share
    ))
}

/// The largest of the credits' `balances` (the first such, by its index) and its share of
/// `total`, as a percentage rounded once to 4 places of a percent, when it is at least
/// [`CONCENTRATED_SHARE`] (compared exactly); else None.
pub fn dominant_share(balances: &[Decimal], total: Decimal) -> Option<(usize, String)> {
    let (i, &largest) = balances.iter().enumerate().rev().max_by_key(|(_, b)| **b)?;
    let at_least = largest >= CONCENTRATED_SHARE.checked_mul(total)?;
    let share = crate::money::report_ratio(largest, total)?;
    at_least.then(|| (i, pct(share)))
}

/// The notes on the pool that `rate` and `size` print under their tables: its obligor groups
/// ([`group_note`]), its concentration ([`concentration_note`]) and, for a concentrated pool,
/// the ratings whose TDR its largest credit's default makes a draw ([`dominant_credit_note`]).
pub fn pool_notes(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
    paths: u64,
    tdrs: &[RatingTdr],
) -> Vec<String> {
    let grouped = pool.groups.len() < pool.balances.len();
    group_note(deal, pool)
        .into_iter()
        .chain(concentration_note(
            &pool.group_balances,
            pool.total,
            grouped,
        ))
        .chain(dominant_credit_note(deal, pool, paths, tdrs))
        .collect()
}

/// Within this many binomial standard deviations of a rating's tail count, the expected count
/// of paths that default the largest credit makes the rating's TDR a draw
/// ([`dominant_credit_note`]).
pub const DRAW_SD: f64 = 2.0;
/// The separation, in standard deviations, that [`dominant_credit_note`] gives the paths for.
pub const SEPARATE_SD: f64 = 4.0;

/// For a pool whose largest credit holds at least [`CONCENTRATED_SHARE`], the ratings (those the
/// large-obligor test does not set) whose TDR includes that credit's exposure or not by the
/// draw of the simulation: the count of the `paths` that default it, Binomial(paths, p) with p
/// its PD over its own term, lies within [`DRAW_SD`] standard deviations of the rating's tail
/// count ⌊paths × PD_R⌋ (review 34c item M2: a core debtor's 0.0751% against AA+'s 0.0661% at
/// the pool term gave a AA+ TDR of 25% or 57% by seed at 100,000 paths). It names the paths
/// that put them [`SEPARATE_SD`] standard deviations apart: 16 p(1 − p) / (p − PD_R)².
pub fn dominant_credit_note(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
    paths: u64,
    tdrs: &[RatingTdr],
) -> Option<String> {
    let (g, share) = dominant_share(&pool.group_balances, pool.total).filter(|_| paths > 0)?;
    let p = pool.model.term_pd(g);
    let n = paths as f64;
    let sd = (n * p * (1.0 - p)).sqrt();
    let close: Vec<&RatingTdr> = tdrs
        .iter()
        .filter(|t| t.large_obligor != Some(t.tdr))
        .filter(|t| {
            let k = crate::analytics::rating::tail_count(paths, t.horizon_pd) as f64;
            (n * p - k).abs() < DRAW_SD * sd
        })
        .collect();
    if close.is_empty() {
        return None;
    }
    let first = pool.groups[g][0];
    let name = match deal.obligors[first].group() {
        Some(group) if pool.groups[g].len() > 1 => format!("obligor group `{group}`"),
        _ => format!("`{}`", deal.obligors[first].name),
    };
    let ratings: Vec<String> = close
        .iter()
        .map(|t| format!("{} ({:.4}%)", t.rating, t.horizon_pd * 100.0))
        .collect();
    let needed = close
        .iter()
        .map(|t| {
            let gap = p - t.horizon_pd;
            (gap != 0.0).then(|| SEPARATE_SD * SEPARATE_SD * p * (1.0 - p) / (gap * gap))
        })
        .try_fold(0.0f64, |m, x| x.map(|x| m.max(x)));
    let advice = match needed {
        Some(x) if x < 1e12 => format!(
            "about {} paths put them {SEPARATE_SD} standard deviations apart",
            super::table::group_thousands(&(x.ceil() as u64).to_string())
        ),
        _ => "no number of paths separates them".to_string(),
    };
    Some(format!(
        "note: the largest credit {name} ({} of the pool) defaults with probability {:.4}% \
         over its {:.2}-year term, within {DRAW_SD} standard deviations of the pool-term PD of \
         {} on {} paths: whether {} its exposure is a draw of the simulation and moves with \
         --seed; {advice} (docs/rating.md §5)",
        share,
        p * 100.0,
        pool.group_terms[g],
        ratings.join(", "),
        super::table::group_thousands(&paths.to_string()),
        if close.len() == 1 {
            "its TDR includes"
        } else {
            "their TDRs include"
        },
    ))
}

/// A note naming the pool's obligor groups, each one credit in the Monte Carlo and the
/// concentration rules (docs/rating.md §1), with its obligors and its share of the pool; None
/// without groups (review 33f item M3: nothing said the groups were applied).
pub fn group_note(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
) -> Option<String> {
    let parts: Vec<String> = pool
        .groups
        .iter()
        .zip(&pool.group_balances)
        .filter(|(g, _)| g.len() > 1)
        .map(|(g, &b)| {
            let share = crate::money::report_ratio(b, pool.total).unwrap_or_default();
            format!(
                "`{}` ({} obligors, {})",
                deal.obligors[g[0]].group().unwrap_or_default(),
                g.len(),
                pct(share)
            )
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "obligor groups, each one credit (one default time; one obligor in the \
             concentration rules; docs/rating.md §1): {}",
            parts.join(", ")
        )
    })
}

/// A note naming the support providers the Monte Carlo draws as credits (docs/rating.md §7):
/// each provider's credit, its PD over the deal's term, its supports and on how many of the
/// simulated paths it defaults; whether its region and industry match any obligor's (else it
/// correlates with the pool at `neither`); supports left without a credit (they never fail on
/// a path: a provider written two ways is two providers); that the block is joint default with
/// no credit-substitution floor (the substitution is a block of its own). For `rate`, `mc` is the Monte Carlo's scenario (a provider
/// whose supports it switches off changes nothing there); for `size` (`mc` None), that its
/// sizing does not read them. None when no support has provider tags.
pub fn provider_note(
    deal: &crate::deal::Deal,
    pool: &crate::analytics::rating::Pool,
    sim: &crate::analytics::rating::Simulation,
    mc: Option<&crate::scenario::Scenario>,
) -> Option<String> {
    if pool.providers.is_empty() {
        return None;
    }
    let n = pool.balances.len();
    let parts: Vec<String> = pool
        .providers
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let defaults: u64 = sim
                .patterns
                .iter()
                .filter(|(pat, _)| pat.iter().any(|&(o, _)| o as usize == n + j))
                .map(|(_, c)| c)
                .sum();
            let supports: Vec<String> = p
                .supports
                .iter()
                .map(|&s| format!("`{}`", deal.supports[s].name))
                .collect();
            // The tags came from the first of its supports that has them (review 35e item 7).
            let tagged = p
                .supports
                .iter()
                .map(|&s| &deal.supports[s].tags)
                .find(|t| !t.is_empty())
                .map_or_else(String::new, crate::validate::credit_tags_text);
            let matched = deal.obligors.iter().any(|o| {
                let same = |k: &str| {
                    p.credit_tag(k)
                        .is_some_and(|v| o.tags.get(k).is_some_and(|x| x.trim() == v))
                };
                same("region") || same("industry")
            });
            let off = mc.is_some_and(|s| p.supports.iter().all(|x| s.supports_off.contains(x)));
            let untagged = p.credit_tag("region").is_none() && p.credit_tag("industry").is_none();
            format!(
                "`{}` ({tagged}: PD {:.4}% over {:.2} years; {}) defaults on {} of {} \
                 paths{}{}",
                p.provider,
                pool.model.term_pd(pool.groups.len() + j) * 100.0,
                pool.provider_term,
                supports.join(", "),
                super::table::group_thousands(&defaults.to_string()),
                super::table::group_thousands(&sim.paths.to_string()),
                // Said apart (review 35f item G6): no tags, or tags the pool spells otherwise.
                if matched {
                    ""
                } else if untagged {
                    " (no region or industry tag: it correlates with every obligor at `neither`)"
                } else {
                    " (its region and industry match no obligor's: it correlates with every \
                     obligor at `neither`)"
                },
                match mc {
                    Some(s) if off => format!(
                        " (the Monte Carlo's scenario `{}` switches its supports off: its \
                         defaults change nothing there)",
                        s.name
                    ),
                    _ => String::new(),
                },
            )
        })
        .collect();
    let untagged: Vec<String> = deal
        .supports
        .iter()
        .enumerate()
        .filter(|(i, _)| !pool.providers.iter().any(|p| p.supports.contains(i)))
        .map(|(_, s)| format!("`{}` (provider `{}`)", s.name, s.provider.trim()))
        .collect();
    let untagged = if untagged.is_empty() {
        String::new()
    } else {
        format!(
            ". Without a credit, so never failing on a path: {}; one provider written two \
             ways is two providers (review 35e item 2): write its `provider` the same on each \
             of its supports to make them one credit",
            untagged.join(", ")
        )
    };
    Some(match mc {
        Some(_) => format!(
            "support providers drawn as credits (docs/rating.md §7): {}; on those paths their \
             supports fail from the first day of the default's collection period (those the \
             Monte Carlo's scenario switches off are absent already){untagged}. \
             The Monte Carlo through the waterfall (mc_tranches.parquet) counts them: the \
             joint default of the pool and the providers, with no floor or cap at a provider's \
             own rating; a tranche that a provider's support covers in full (interest and \
             principal, no cap) is given its credit substitution too, the higher of its \
             standalone rating without that provider and the provider's. The TDRs are the \
             pool's; the BDRs are the \
             break-even's scenarios', which default no provider",
            parts.join(", ")
        ),
        None => format!(
            "support providers with a credit: {}{untagged}; `size` tests BDR ≥ TDR, which \
             defaults no provider, so it does not read them: `ipabs rate` on the sized deal \
             gives the tranches' default probabilities with the providers' defaults \
             (docs/rating.md §7)",
            parts.join(", ")
        ),
    })
}

/// A string column of `mc_tranches.parquet`'s credit substitution: `f` of each row's, null
/// without one.
fn substitution_text(
    rows: &[McTranche],
    name: &str,
    f: impl Fn(&Substitution) -> Option<&String>,
) -> Column {
    Column::new(
        name.into(),
        rows.iter()
            .map(|r| r.substitution.as_ref().and_then(&f).map(String::as_str))
            .collect::<Vec<Option<&str>>>(),
    )
}

/// The terminal report of `ipabs rate`: the TDR of every rating, then per tranche its BDR and
/// implied rating, then the Monte Carlo through the waterfall.
pub fn rate_table(
    deal: &str,
    wa_term: f64,
    paths: u64,
    tdrs: &[RatingTdr],
    rows: &[RatingRow],
    mc: &[McTranche],
    (waterfall_scenario, chosen): (&str, bool),
) -> String {
    let mut out = format!(
        "{deal}\n{paths} paths; pool term to the last instalments {wa_term:.4} years (balance-weighted; \
         not deals.parquet's wa_term_years)\n\n\
         rating  PD(term)    simulated  × mult  large-obligor  TDR        95% interval\n"
    );
    for t in tdrs {
        out.push_str(&format!(
            "{}{:>9.5}%  {:>10}  {:>5.3}  {:>13}  {:<9}  {} – {}\n",
            pad(&t.rating, 6),
            t.horizon_pd * 100.0,
            pct(t.simulated),
            t.multiplier,
            t.large_obligor.map_or_else(|| "-".to_string(), pct),
            pct(t.tdr),
            pct(t.tdr_low),
            pct(t.tdr_high),
        ));
    }
    if let Some(note) = tail_note(paths, tdrs) {
        out.push_str(&note);
        out.push('\n');
    }
    out.push_str(
        "\ntranche (BDR: minimum over the scenarios; the rating is the highest whose TDR the BDR \
         meets)\n",
    );
    let w = name_width(rows.iter().map(|r| r.tranche.as_str()));
    let mut seen = Vec::new();
    for r in rows {
        if seen.contains(&r.tranche) {
            continue;
        }
        seen.push(r.tranche.clone());
        // The binding scenario named (review 35e item 1: a failure at zero under a
        // supports-off stress read as the deal's own).
        let binding = r
            .binding_scenario
            .as_deref()
            .map_or_else(String::new, |b| format!(" `{b}`"));
        let note = if r.fails_at_zero {
            format!("  (not paid in full with no defaults in scenario{binding})")
        } else if r.passes_at_one {
            // The realised rate is a lower bound.
            format!("  (paid in full at R = 100% in the binding scenario{binding})")
        } else if r
            .binding_scenario
            .as_deref()
            .is_some_and(|b| b != waterfall_scenario)
        {
            // Not the scenario the Monte Carlo block below runs (review 35f item G5: a
            // supports-off BDR of BB- above an AAA+ with the guarantor, unnamed).
            format!("  (binding scenario{binding})")
        } else {
            String::new()
        };
        let implied = match (&r.implied_rating, r.fails_at_zero) {
            (Some(i), _) => i.as_str(),
            (None, true) => "none",
            (None, false) => "none (below every TDR)",
        };
        out.push_str(&format!(
            "  {}  BDR {}  implied rating {implied}{note}{}\n",
            pad(&r.tranche, w),
            r.bdr().text(),
            sampling_note(tdrs, r),
        ));
    }
    if rows.iter().any(|r| r.passes_at_one) {
        out.push_str(
            "  note: a BDR shown ≥ was paid in full at R = 100%, a lower bound (the larger of the \
             realised ratio there and in whole obligors); when a support pays uncapped, that \
             measures the support, not the pool: rate on the pool alone with a scenario file \
             that sets supports_off (docs/rating.md §6)\n",
        );
    }
    // The paths run under the deal's own [scenario] unless --mc-scenario names another
    // (docs/rating.md, section 7): the block says which, since the BDRs above may come from
    // other scenarios, and that its implied rating is a check of the one above, not another
    // answer (review 29b item 3: BB+ above, AAA+ here, for one tranche).
    let whose = if chosen {
        "the scenario"
    } else {
        "the deal's own [scenario]"
    };
    out.push_str(&format!(
        "\nthrough the waterfall (each path's defaults run through the deal, under {whose} \
         `{waterfall_scenario}`; choose it with --mc-scenario; its implied rating, the PD's at \
         the WAL, checks the rating above under this one scenario)\n"
    ));
    let w = name_width(mc.iter().map(|m| m.tranche.as_str()));
    out.push_str(&format!(
        "  {}  P(loss or shortfall)  expected loss  expected WAL  implied\n",
        pad("tranche", w)
    ));
    for m in mc {
        out.push_str(&format!(
            "  {}  {:>19.6}%  {:>13}  {:>12}  {}{}\n",
            pad(&m.tranche, w),
            m.default_probability * 100.0,
            format!("{:.6}%", m.expected_loss * Decimal::ONE_HUNDRED),
            m.expected_wal_years
                .map_or_else(|| "-".into(), |w| format!("{w:.4} y")),
            m.implied_rating.as_deref().unwrap_or("none"),
            zero_paths_note(m.default_probability, m.paths)
        ));
    }
    out.push_str(&substitution_block(mc));
    out
}

/// The credit substitution under the Monte Carlo block (docs/rating.md §7): per tranche a
/// provider with a credit covers in full, its pool-alone share and rating, the provider's
/// rating and the higher of the two. Empty when no tranche has one.
fn substitution_block(mc: &[McTranche]) -> String {
    let subs: Vec<(&str, &Substitution)> = mc
        .iter()
        .filter_map(|m| Some((m.tranche.as_str(), m.substitution.as_ref()?)))
        .collect();
    if subs.is_empty() {
        return String::new();
    }
    let w = name_width(subs.iter().map(|(t, _)| *t));
    let pw = subs
        .iter()
        .map(|(_, s)| display_width(&s.provider))
        .max()
        .unwrap_or(0)
        .max(display_width("provider"));
    let mut out = format!(
        "\ncredit substitution (a provider with a credit whose support covers the tranche's \
         interest and principal in full: the rating is the higher of the provider's and the \
         standalone one, on the same paths with that provider's supports off and every other \
         support as above)\n  {}  standalone P(loss or shortfall)  implied  {}  rating   \
         substituted\n",
        pad("tranche", w),
        pad("provider", pw)
    );
    for (t, s) in subs {
        let r = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".into());
        out.push_str(&format!(
            "  {}  {:>30.6}%  {}  {}  {}  {}{}\n",
            pad(t, w),
            s.standalone.default_probability * 100.0,
            pad(&r(&s.standalone.implied_rating), 7),
            pad(&s.provider, pw),
            pad(&r(&s.provider_rating), 7),
            r(&s.rating),
            zero_paths_note(s.standalone.default_probability, mc[0].paths),
        ));
    }
    out
}

/// Why a support of a provider with a credit gives a tranche no credit substitution (review
/// 36a item M3: a cap, a `fails_with` or a scenario's failure dropped it in silence): one
/// clause per tranche and support. None when there is none.
pub fn substitution_gaps_note(
    deal: &crate::deal::Deal,
    plan: &crate::analytics::rating::SubstitutionPlan,
) -> Option<String> {
    let parts: Vec<String> = plan
        .gaps
        .iter()
        .enumerate()
        .flat_map(|(t, gaps)| {
            gaps.iter().map(move |(s, why)| {
                let sup = &deal.supports[*s];
                format!(
                    "{}: `{}` ({}) {}",
                    deal.tranches[t].name,
                    sup.name,
                    sup.provider.trim(),
                    why.join(", ")
                )
            })
        })
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "no credit substitution from a provider whose support does not cover the tranche \
             in full (docs/rating.md §7, \"Credit substitution\"): {}",
            parts.join("; ")
        )
    })
}

/// For a tranche that lost on none of `paths` paths, what that bounds (review 35e item 8: a
/// 0% read as certain): the probability is below 3 / paths with 95% confidence (the rule of
/// three: (1 − p)^N ≤ 5% for p ≥ −ln(0.05) / N ≈ 3 / N). Empty otherwise.
fn zero_paths_note(probability: f64, paths: u64) -> String {
    if probability > 0.0 || paths == 0 {
        return String::new();
    }
    if paths < 3 {
        // 3/N would bound nothing (review 36a item L4: "below 300%").
        return format!("  (0 of {paths} paths: too few to bound it)");
    }
    format!(
        "  (0 of {} paths: below {:.4}% at 95%)",
        super::table::group_thousands(&paths.to_string()),
        300.0 / paths as f64
    )
}

/// The terminal report of `ipabs size`.
/// `margin`: `size --margin`, said under the table when it is not 0 (review 29e item 4: it
/// showed nowhere); so is `--tdr-at upper`.
pub fn size_table(steps: &[SizeStep], sized: &[Sized], margin: Decimal, tdr_at: TdrAt) -> String {
    let w = name_width(steps.iter().map(|s| s.tranche.as_str()));
    let mut out = format!(
        "step  {}  balance              sub balance          BDR          TDR        coverage  pass\n",
        pad("tranche", w)
    );
    for s in steps {
        // `≥`: paid in full at R = 100% (the rate is a lower bound); `none`: not paid in full
        // with no defaults (no break-even).
        let bdr = s.bdr().text();
        out.push_str(&format!(
            "{:>4}  {}  {:>19}  {:>19}  {:>11}  {:>9}  {:>8}  {}\n",
            s.step,
            pad(&s.tranche, w),
            format_money(s.balance),
            format_money(s.subordinated_balance),
            bdr,
            pct(s.target_default_rate),
            s.min_coverage_multiple
                .map_or_else(|| "-".into(), |c| format!("{:.4}", c)),
            if s.pass { "PASS" } else { "FAIL" }
        ));
    }
    if steps.iter().any(|s| s.min_coverage_multiple.is_some()) {
        out.push_str(
            "coverage: the tranche's minimum coverage multiple in the base case (no defaults, \
             no delay, every support paying), not under the deal's [scenario]\n",
        );
    }
    if tdr_at == TdrAt::Upper {
        out.push_str(
            "TDR: the upper end of its 95% confidence interval (--tdr-at upper; docs/rating.md §5)\n",
        );
    }
    if !margin.is_zero() {
        out.push_str(&format!(
            "pass: BDR ≥ TDR + the margin {} ({} points), or paid in full at R = 100%\n",
            margin.normalize(),
            (margin * Decimal::ONE_HUNDRED).normalize()
        ));
    }
    for z in sized {
        out.push_str(&format!(
            "\n{} ({}): largest balance {}; binding constraint: {}",
            z.tranche,
            z.target_rating,
            format_money(z.balance),
            z.binding
        ));
        // Where coverage falls short one step up, and when that date is a more senior
        // tranche's redemption (review 34c item H1).
        if let Some(c) = &z.coverage_short {
            out.push_str(&format!(
                ", on {} (multiple {:.4} one step up)",
                c.date, c.multiple
            ));
        }
        let mine = || steps.iter().filter(|s| s.tranche == z.tranche);
        // The scenario of the lowest break-even at the balance found.
        let found = steps
            .iter()
            .rfind(|s| s.tranche == z.tranche && s.balance == z.balance);
        if let Some(name) = found.and_then(|s| s.binding_scenario.as_deref()) {
            out.push_str(&format!("; lowest break-even under scenario `{name}`"));
        }
        // The cushion a committee asks for (review 29b item 6): BDR − TDR at the balance
        // found, in points of the pool, when the rating passed there; at least that when the
        // BDR is a lower bound (paid in full at R = 100%; since session 31 it is compared).
        if let Some(s) = found.filter(|s| s.rating_ok) {
            out.push_str(&format!(
                "; cushion BDR − TDR {} {} points",
                if s.passes_at_one { "≥" } else { "=" },
                ((s.breakeven_default_rate - s.target_default_rate) * Decimal::ONE_HUNDRED)
                    .normalize()
            ));
        }
        if let Some(c) = z
            .coverage_short
            .as_ref()
            .filter(|c| !c.own_principal_due && !c.seniors_due.is_empty())
        {
            let seniors = c.seniors_due.join(", ");
            // Sized first (targets too) or as the deal gives them (review 34d item M2: the
            // note said "sized first" of a senior that was not a target).
            let sized_first = c
                .seniors_due
                .iter()
                .all(|s| sized.iter().any(|x| x.tranche == *s));
            let (set_by, advice) = if sized_first {
                (
                    format!("{seniors}, sized first, set {}'s balance", z.tranche),
                    format!(
                        "give {seniors} a smaller balance in the deal and size {} alone",
                        z.tranche
                    ),
                )
            } else {
                (
                    format!(
                        "the balance the deal gives {seniors} sets {}'s room",
                        z.tranche
                    ),
                    format!("give {seniors} a smaller balance in the deal"),
                )
            };
            out.push_str(&format!(
                "\n  note: on {} principal of {seniors} falls due and {} owes interest only: its \
                 multiple there counts everything senior to it, so {set_by}; to leave {} room, \
                 {advice}",
                c.date, z.tranche, z.tranche
            ));
        }
        // Paid in full at R = 100% and rated at every step: the rating never bound (since
        // session 31 an unbroken step can fail a TDR above its bound, review 31d item 3).
        if mine().next().is_some() && mine().all(|s| s.passes_at_one && s.rating_ok) {
            out.push_str(&format!(
                "\n  note: {} was paid in full at R = 100% at every step, so the rating never \
                 bound; when a support pays uncapped, size on the pool alone with a scenario \
                 file that sets supports_off (docs/rating.md)",
                z.tranche
            ));
        }
    }
    out
}

/// The deal file's text with the given tranches' `balance` values replaced, keeping every
/// comment and the layout (toml_edit). Balances are written as integers when whole, otherwise
/// with their two decimals.
/// A scheduled tranche's `target_balances` are written as `schedules` gives them, by tranche
/// name, in the file's order of its entries (only their `balance` values change).
pub fn sized_deal_text(
    file: &str,
    original: &str,
    balances: &[(String, Decimal)],
    schedules: &[(String, Vec<Decimal>)],
) -> Result<String, Error> {
    let mut doc: toml_edit::DocumentMut = original
        .parse()
        .map_err(|e| Error::Usage(format!("{file}: cannot be re-read as TOML: {e}")))?;
    let tranches = doc
        .get_mut("tranches")
        .and_then(|t| t.as_array_of_tables_mut())
        .ok_or_else(|| Error::Usage(format!("{file}: no [[tranches]] array of tables")))?;
    for (name, bal) in balances {
        let table = tranches
            .iter_mut()
            .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name.as_str()))
            .ok_or_else(|| Error::Usage(format!("{file}: no [[tranches]] named `{name}`")))?;
        let text = bal.normalize().to_string();
        let old = table.get("balance").and_then(|v| v.as_value());
        let mut value = amount_value(*bal, old, "balance")?;
        if let Some(old) = old {
            // A trailing comment keeps its column (as far as one space allows): the spaces
            // before it make up for the new value's length.
            let mut bare = old.clone();
            bare.decor_mut().clear();
            let old_len = bare.to_string().chars().count();
            if let Some(suffix) = old.decor().suffix().and_then(|r| r.as_str())
                && suffix.trim_start().starts_with('#')
            {
                let spaces = suffix.len() - suffix.trim_start_matches(' ').len();
                let wanted = (spaces + old_len)
                    .saturating_sub(text.chars().count())
                    .max(1);
                let comment = suffix.trim_start_matches(' ');
                value
                    .decor_mut()
                    .set_suffix(format!("{}{comment}", " ".repeat(wanted)));
            }
        }
        table.insert("balance", toml_edit::Item::Value(value));
    }
    for (name, targets) in schedules {
        let table = tranches
            .iter_mut()
            .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name.as_str()))
            .ok_or_else(|| Error::Usage(format!("{file}: no [[tranches]] named `{name}`")))?;
        let wrong = || {
            Error::Usage(format!(
                "{file}: tranche `{name}`'s target_balances is not {} {{ date, balance }} \
                 entries",
                targets.len()
            ))
        };
        let value_of = |target: &Decimal, old: Option<&toml_edit::Value>| {
            amount_value(*target, old, "target balance")
        };
        let item = table.get_mut("target_balances").ok_or_else(wrong)?;
        // `target_balances = [{ … }, …]`, or `[[tranches.target_balances]]` tables (review
        // 29e item 3: the second form was refused).
        if let Some(entries) = item.as_array_mut() {
            if entries.len() != targets.len() {
                return Err(wrong());
            }
            for (entry, target) in entries.iter_mut().zip(targets) {
                let t = entry.as_inline_table_mut().ok_or_else(wrong)?;
                let value = value_of(target, t.get("balance"))?;
                t.insert("balance", value);
            }
        } else if let Some(tables) = item.as_array_of_tables_mut() {
            if tables.len() != targets.len() {
                return Err(wrong());
            }
            for (t, target) in tables.iter_mut().zip(targets) {
                let value = value_of(target, t.get("balance").and_then(|v| v.as_value()))?;
                t.insert("balance", toml_edit::Item::Value(value));
            }
        } else {
            return Err(wrong());
        }
    }
    // `[deal] issue_size` (发行规模), which must equal the tranches' sum: the sized tranches'
    // new sum (review 32e item 4: the sized file kept the old size and failed its own check).
    let sum = doc
        .get("tranches")
        .and_then(|t| t.as_array_of_tables())
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let v = t.get("balance").and_then(|v| v.as_value())?;
                    let text = match v.as_str() {
                        Some(s) => s.to_string(),
                        None => {
                            let mut bare = v.clone();
                            bare.decor_mut().clear();
                            bare.to_string()
                        }
                    };
                    text.trim().parse::<Decimal>().ok()
                })
                .sum::<Option<Decimal>>()
        });
    if let (Some(Some(sum)), Some(deal)) =
        (sum, doc.get_mut("deal").and_then(|d| d.as_table_like_mut()))
        && let Some(old) = deal.get("issue_size").and_then(|v| v.as_value()).cloned()
    {
        let value = amount_value(sum, Some(&old), "issue size")?;
        deal.insert("issue_size", toml_edit::Item::Value(value));
    }
    Ok(doc.to_string())
}

/// `x` as a TOML value (an integer when whole), with the spacing and comments of `old`.
fn amount_value(
    x: Decimal,
    old: Option<&toml_edit::Value>,
    what: &str,
) -> Result<toml_edit::Value, Error> {
    let text = x.normalize().to_string();
    let mut value: toml_edit::Value = text
        .parse()
        .map_err(|e| Error::Internal(format!("{what} {text} is not a TOML value: {e}")))?;
    if let Some(old) = old {
        *value.decor_mut() = old.decor().clone();
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// A tranche that lost on none of N paths is told its bound (review 35e item 8): 3 / 400 =
    /// 0.75%, 3 / 100,000 = 0.003%; nothing for a tranche that lost on some.
    #[test]
    fn no_loss_on_n_paths_bounds_the_probability_by_three_over_n() {
        assert_eq!(
            zero_paths_note(0.0, 400),
            "  (0 of 400 paths: below 0.7500% at 95%)"
        );
        assert_eq!(
            zero_paths_note(0.0, 100_000),
            "  (0 of 100,000 paths: below 0.0030% at 95%)"
        );
        assert_eq!(zero_paths_note(0.125, 400), "");
    }

    /// A tranche column as wide as its longest name (review 35a item 3e): 优先级证券A1类 is
    /// 5 × 2 + 2 + 2 = 14 cells wide, so `A` pads to 14 and the columns after it line up;
    /// names within 12 keep the 12 of before.
    #[test]
    fn the_tranche_column_fits_its_longest_name() {
        assert_eq!(name_width(["A", "优先级证券A1类"].into_iter()), 14);
        assert_eq!(name_width(["A", "B"].into_iter()), 12);
        assert_eq!(display_width(&pad("A", 14)), 14);
        assert_eq!(display_width(&pad("优先级证券A1类", 14)), 14);
    }

    /// A scheduled tranche's targets are rewritten in either TOML form (review 29e item 3:
    /// `[[tranches.target_balances]]` tables were refused), values only.
    #[test]
    fn target_balances_are_rewritten_inline_or_as_tables() {
        let inline = "[[tranches]]\nname = \"A\"\nbalance = 100\ntarget_balances = [\n  { date = 2024-01-01, balance = 50 },\n  { date = 2024-07-01, balance = 0 },\n]\n";
        let tables = "[[tranches]]\nname = \"A\"\nbalance = 100\n\n[[tranches.target_balances]]\ndate = 2024-01-01\nbalance = 50\n\n[[tranches.target_balances]]\ndate = 2024-07-01\nbalance = 0\n";
        let schedules = vec![("A".to_string(), vec![dec!(60.5), dec!(0)])];
        let balances = vec![("A".to_string(), dec!(121))];
        let a = sized_deal_text("d.toml", inline, &balances, &schedules).expect("inline");
        assert!(a.contains("{ date = 2024-01-01, balance = 60.5 }"), "{a}");
        assert!(a.contains("balance = 121"), "{a}");
        let b = sized_deal_text("d.toml", tables, &balances, &schedules).expect("tables");
        assert!(b.contains("date = 2024-01-01\nbalance = 60.5\n"), "{b}");
        assert!(b.contains("date = 2024-07-01\nbalance = 0\n"), "{b}");
    }

    /// `[deal] issue_size` follows the sized tranches (review 32e item 4): A 100 → 121 with B
    /// 20 (a quoted string) gives 121 + 20 = 141; its comment stays. Without the key, none is
    /// added.
    #[test]
    fn the_issue_size_follows_the_tranches() {
        let original = "[deal]\nname = \"d\"\nissue_size = 120 # 发行规模\n\n[[tranches]]\nname = \"A\"\n\
                        balance = 100\n\n[[tranches]]\nname = \"B\"\nbalance = \"20\"\n";
        let balances = vec![("A".to_string(), dec!(121))];
        let sized = sized_deal_text("d.toml", original, &balances, &[]).expect("sized");
        assert!(sized.contains("issue_size = 141 # 发行规模"), "{sized}");
        let without = original.replace("issue_size = 120 # 发行规模\n", "");
        let sized = sized_deal_text("d.toml", &without, &balances, &[]).expect("sized");
        assert!(!sized.contains("issue_size"), "{sized}");
    }

    /// The column of `#` on the line of `key` in `text`.
    fn comment_column(text: &str, key: &str) -> Option<usize> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line.chars().position(|c| c == '#')
    }

    /// The sized deal keeps the layout: a balance's trailing comment stays in its column when
    /// the new value is shorter or a little longer, and one space separates them when it no
    /// longer fits (found by a review: the comments shifted by the values' difference).
    #[test]
    fn a_balance_comment_keeps_its_column() {
        let original = "[[tranches]]\nname = \"A\"\nbalance = 131000000                 # split\n\
                        coupon = 0.04\n\n[[tranches]]\nname = \"B\"\n\
                        balance = \"600000.00\"  # quoted\n\n[[tranches]]\nname = \"C\"\n\
                        balance = 1 # short\n";
        let balances = [
            ("A".to_string(), dec!(90500000)),
            ("B".to_string(), dec!(500000)),
            ("C".to_string(), dec!(123456789)),
        ];
        let sized = sized_deal_text("d.toml", original, &balances, &[]).expect("sized");
        // A: `balance = 131000000` is 19 characters and 17 spaces put `#` at column 36;
        // `balance = 90500000` is 18, so 18 spaces keep it there.
        assert_eq!(comment_column(original, "balance = 131000000"), Some(36));
        assert!(
            sized.contains("balance = 90500000                  # split\n"),
            "{sized}"
        );
        // B: `"600000.00"` (11 characters) and 2 spaces; `500000` (6) takes 2 + 11 − 6 = 7.
        assert!(
            sized.contains("balance = 500000       # quoted\n"),
            "{sized}"
        );
        // C: one space, and a longer value: still one space.
        assert!(sized.contains("balance = 123456789 # short\n"), "{sized}");
        assert!(sized.contains("coupon = 0.04\n"));
    }
}
