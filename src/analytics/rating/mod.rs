//! Rating by Monte Carlo (`ipabs rate`, `ipabs size`; every rule is in docs/rating.md).
//!
//! * [`copula`]: the Gaussian copula, one ChaCha8 stream per path.
//! * [`correlation`]: pairwise correlations from tags, Cholesky.
//! * this module: the pool's default distribution, the target default rate (TDR) of every
//!   rating with the concentration rules, the implied rating of a break-even default rate, and
//!   the simulated paths run through the deal's own waterfall.
//! * [`size`]: the largest balance of each targeted tranche that keeps its rating.
//!
//! Determinism: path p's defaults depend only on (seed, p); paths are simulated in chunks in
//! parallel and the chunks' counts are merged into ordered maps, so the result is the same on
//! any number of threads. Amounts are exact `Decimal`; probabilities and times are `f64`.

pub mod copula;
pub mod correlation;
pub mod size;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::analytics::bond_math::{flows_from_decimal_iter, wal_years_of};
use crate::analytics::breakeven::{self, Bdr, BreakevenRow, breakeven_tranches, paid_in_full};
use crate::calendar::daycount::DayCount;
use crate::deal::Deal;
use crate::engine::{self, ObligorRows, ProjectionCache};
use crate::error::{Error, Result};
use crate::rating_model::{
    CreditCurve, DEFAULT_LARGE_OBLIGOR_COUNTS, GRADES, LARGE_OBLIGOR_GRADES, ObligorCredit,
    PdTable, RatingModel,
};
use crate::scenario::{RatingTable, Scenario};
use copula::{Curve, DefaultModel};

/// Paths of `ipabs rate` without `--paths`.
pub const DEFAULT_PATHS: u64 = 100_000;
/// Seed of `ipabs rate` without `--seed`.
pub const DEFAULT_SEED: u64 = 1;
/// Paths per parallel work item.
pub const CHUNK: u64 = 4096;
/// Most obligors the default model takes (the correlation matrix is dense).
pub const MAX_OBLIGORS: usize = 2000;
/// Decimal places of default fractions and target default rates.
pub const FRACTION_DP: u32 = 6;
/// Decimal places of `expected_loss`.
pub const LOSS_DP: u32 = 8;

/// A path's defaults: (obligor index, period index), in obligor order.
pub type Pattern = Vec<(u32, u32)>;

/// The pool as the default model sees it.
#[derive(Debug, Clone)]
pub struct Pool {
    /// Each obligor's credit input (its `rating` or `pd`, `region` and `industry` tags).
    pub credits: Vec<ObligorCredit>,
    /// Exposure term T_i: years (days / 365) from the cutoff to the obligor's last instalment.
    pub terms: Vec<f64>,
    /// Principal outstanding at the cutoff, per obligor.
    pub balances: Vec<Decimal>,
    /// The credits the default model draws ([`Deal::credit_groups`]): an obligor group's
    /// obligors (the `group` tag) default together, at one time; every other obligor alone.
    pub groups: Vec<Vec<usize>>,
    /// Principal outstanding at the cutoff, per credit of `groups`.
    pub group_balances: Vec<Decimal>,
    /// Exposure term of each credit of `groups`: the longest of its obligors' terms.
    pub group_terms: Vec<f64>,
    /// `exposure[o][k]`: principal of obligor o due on or after the first day of collection
    /// period k (what a default at that date loses).
    pub exposure: Vec<Vec<Decimal>>,
    /// The pool balance at the cutoff.
    pub total: Decimal,
    /// Balance-weighted average exposure term, years.
    pub wa_term: f64,
    /// The Gaussian copula over the credits of `groups`.
    pub model: DefaultModel,
    /// First day of each collection period.
    pub period_starts: Vec<NaiveDate>,
    period_ends: Vec<NaiveDate>,
    cutoff: NaiveDate,
}

/// ACT/365F years from `from` to `to` ([`DayCount::fraction`]), zero when `to` is earlier.
fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    DayCount::Act365F.fraction(from, to).to_f64().max(0.0)
}

/// Builds the default model of `deal` for `credits` (one per obligor, from
/// [`crate::validate::obligor_credit_from_str`]).
pub fn pool(
    deal: &Deal,
    credits: Vec<ObligorCredit>,
    model: &RatingModel,
    seed: u64,
) -> Result<Pool> {
    let n = deal.obligors.len();
    if credits.len() != n {
        return Err(Error::Internal("one credit per obligor expected".into()));
    }
    if n > MAX_OBLIGORS {
        return Err(Error::Usage(format!(
            "the default model takes at most {MAX_OBLIGORS} obligors; the deal has {n}"
        )));
    }
    if deal.periods.is_empty() {
        return Err(Error::Internal("the deal has no payment dates".into()));
    }
    let cutoff = deal.cutoff_date;
    let period_starts: Vec<NaiveDate> = deal.periods.iter().map(|p| p.collection_start).collect();
    let period_ends: Vec<NaiveDate> = deal.periods.iter().map(|p| p.collection_end).collect();
    let mut terms = Vec::with_capacity(n);
    let mut balances = Vec::with_capacity(n);
    let mut exposure = Vec::with_capacity(n);
    for o in &deal.obligors {
        terms.push(o.term_years(cutoff));
        balances.push(o.assets.iter().map(|a| a.balance()).sum::<Decimal>());
        exposure.push(
            period_starts
                .iter()
                .map(|&s| {
                    o.assets
                        .iter()
                        .flat_map(|a| a.instalments.iter())
                        .filter(|i| i.date >= s)
                        .map(|i| i.principal)
                        .sum::<Decimal>()
                })
                .collect(),
        );
    }
    let total: Decimal = balances.iter().sum();
    if total <= Decimal::ZERO {
        return Err(Error::Usage("the pool has no balance at the cutoff".into()));
    }
    let wa_term = balances
        .iter()
        .zip(&terms)
        .map(|(b, t)| b.to_f64().unwrap_or(0.0) * t)
        .sum::<f64>()
        / total.to_f64().unwrap_or(1.0);
    // One latent variable per credit: an obligor group's first obligor stands for it (its
    // credit, which validation makes every member share, and its region and industry), over
    // the longest of its obligors' terms. Without groups, one per obligor, as before.
    let groups = deal.credit_groups();
    let group_balances: Vec<Decimal> = groups
        .iter()
        .map(|g| g.iter().map(|&o| balances[o]).sum())
        .collect();
    let group_terms: Vec<f64> = groups
        .iter()
        .map(|g| g.iter().map(|&o| terms[o]).fold(0.0, f64::max))
        .collect();
    let group_credits: Vec<ObligorCredit> = groups.iter().map(|g| credits[g[0]].clone()).collect();
    let names: Vec<&str> = groups
        .iter()
        .map(|g| deal.obligors[g[0]].name.as_str())
        .collect();
    let chol = correlation::cholesky(&names, &group_credits, &model.correlations)?;
    let curves: Vec<Curve> = group_credits
        .iter()
        .zip(&group_terms)
        .map(|(c, &t)| Curve::from_credit(&c.curve, &model.pd, t))
        .collect();
    let dm = DefaultModel::new(chol, curves, group_terms.clone(), seed)?;
    Ok(Pool {
        credits,
        terms,
        balances,
        groups,
        group_balances,
        group_terms,
        exposure,
        total,
        wa_term,
        model: dm,
        period_starts,
        period_ends,
        cutoff,
    })
}

impl Pool {
    /// The collection period in which a default `t` years after the cutoff falls: the first
    /// whose last day is on or after cutoff + ⌊365 t⌋ days (the last period if none).
    pub fn period_of(&self, t: f64) -> u32 {
        let days = (t * 365.0).floor().max(0.0) as i64;
        let date = self.cutoff + chrono::Duration::days(days);
        let k = self
            .period_ends
            .iter()
            .position(|&e| e >= date)
            .unwrap_or(self.period_ends.len() - 1);
        k as u32
    }

    /// The pattern of a path's defaults, (credit, time in years) as the default model draws
    /// them: each obligor of a defaulted credit defaults in the period of its time, in
    /// obligor order.
    pub fn pattern_of(&self, defaults: &[(u32, f64)]) -> Pattern {
        let mut key: Pattern = defaults
            .iter()
            .flat_map(|&(g, t)| {
                let k = self.period_of(t);
                self.groups[g as usize].iter().map(move |&o| (o as u32, k))
            })
            .collect();
        if self.groups.len() < self.balances.len() {
            key.sort_unstable();
        }
        key
    }

    /// Defaulted principal of a pattern.
    pub fn amount(&self, p: &Pattern) -> Decimal {
        p.iter()
            .map(|&(o, k)| self.exposure[o as usize][k as usize])
            .sum()
    }

    /// The named defaults of a pattern: each obligor defaults on the first day of its period.
    pub fn obligor_defaults(&self, p: &Pattern) -> Vec<(usize, NaiveDate)> {
        p.iter()
            .map(|&(o, k)| (o as usize, self.period_starts[k as usize]))
            .collect()
    }
}

/// The simulated paths, as distinct default patterns with their counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Number of paths simulated.
    pub paths: u64,
    /// Each distinct default pattern with the number of paths that drew it (no default: the
    /// empty pattern).
    pub patterns: BTreeMap<Pattern, u64>,
}

impl Simulation {
    /// Adds the paths of `other` (another block of paths of the same pool and seed).
    pub fn add(&mut self, other: Simulation) {
        self.paths += other.paths;
        for (k, c) in other.patterns {
            *self.patterns.entry(k).or_insert(0) += c;
        }
    }

    /// Number of paths with exactly k defaults, k = 0 … n.
    pub fn default_counts(&self, n: usize) -> Vec<u64> {
        let mut v = vec![0u64; n + 1];
        for (p, c) in &self.patterns {
            v[p.len()] += c;
        }
        v
    }
}

/// Simulates `paths` paths of `pool` on the current rayon pool; `progress(k)` is called with
/// the number of paths each finished chunk held.
pub fn simulate(pool: &Pool, paths: u64, progress: &(dyn Fn(u64) + Sync)) -> Simulation {
    simulate_range(pool, 0..paths, progress)
}

/// Simulates the paths `range` of `pool` (`--shard`: a contiguous block of path numbers). Path
/// p depends only on (seed, p), and the counts are summed into an ordered map, so the
/// simulations of the blocks of a partition, added together ([`Simulation::add`]), equal the
/// simulation of all the paths.
pub fn simulate_range(
    pool: &Pool,
    range: std::ops::Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Simulation {
    let paths = range.end.saturating_sub(range.start);
    let chunks = paths.div_ceil(CHUNK);
    let maps: Vec<BTreeMap<Pattern, u64>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut map: BTreeMap<Pattern, u64> = BTreeMap::new();
            let (mut z, mut out) = (Vec::new(), Vec::new());
            let start = range.start + c * CHUNK;
            let end = (start + CHUNK).min(range.end);
            let mut none = 0u64;
            pool.model
                .each_path(start..end, &mut z, &mut out, |defaults| {
                    if defaults.is_empty() {
                        none += 1;
                        return;
                    }
                    let key: Pattern = pool.pattern_of(defaults);
                    *map.entry(key).or_insert(0) += 1;
                });
            if none > 0 {
                *map.entry(Vec::new()).or_insert(0) += none;
            }
            progress(end - start);
            map
        })
        .collect();
    let mut patterns = BTreeMap::new();
    for m in maps {
        for (k, c) in m {
            *patterns.entry(k).or_insert(0) += c;
        }
    }
    Simulation { paths, patterns }
}

/// One point of the default distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionPoint {
    /// Defaulted principal / pool balance at the cutoff, rounded half away from zero to 6 dp.
    pub defaulted_fraction: Decimal,
    /// Paths with this fraction.
    pub paths: u64,
    /// Paths with this fraction / all paths.
    pub probability: f64,
    /// Paths with at most this fraction / all paths.
    pub cumulative_probability: f64,
}

/// The distribution of the defaulted fraction, ascending.
pub fn distribution(pool: &Pool, sim: &Simulation) -> Vec<DistributionPoint> {
    let mut by: BTreeMap<Decimal, u64> = BTreeMap::new();
    for (p, c) in &sim.patterns {
        *by.entry(round_quotient(pool.amount(p), pool.total, FRACTION_DP))
            .or_insert(0) += c;
    }
    let n = sim.paths.max(1) as f64;
    let mut cum = 0u64;
    by.into_iter()
        .map(|(f, c)| {
            cum += c;
            DistributionPoint {
                defaulted_fraction: f,
                paths: c,
                probability: c as f64 / n,
                cumulative_probability: cum as f64 / n,
            }
        })
        .collect()
}

/// k = ⌊N · p⌋: how many of `paths` lie beyond the tail quantile at probability `p`
/// ([`tail_quantile`] is the (k + 1)-th largest). The product is exact, of `p` as the shortest
/// decimal that reads back as the same double (`0.0003`, not the double just below it): in
/// floating point 10,000 × 0.0003 is 2.9999999999999996 and gave k = 2 (review 32d item 8).
pub fn tail_count(paths: u64, p: f64) -> u64 {
    if p.is_nan() || p <= 0.0 {
        return 0;
    }
    match p.to_string().parse::<Decimal>() {
        Ok(d) => (Decimal::from(paths) * d).floor().to_u64().unwrap_or(paths),
        Err(_) => (paths as f64 * p).floor() as u64,
    }
}

/// The simulated part of a TDR: the (k + 1)-th largest simulated fraction, k = ⌊N · p⌋ (0
/// when k ≥ N): the smallest fraction x of the sample with #{paths with D > x} ≤ N · p.
pub fn tail_quantile(dist: &[DistributionPoint], paths: u64, p: f64) -> Decimal {
    order_statistic(dist, tail_count(paths, p) + 1)
}

/// The `j`-th largest simulated fraction (`j` ≥ 1; 0 when fewer than `j` paths were drawn).
pub fn order_statistic(dist: &[DistributionPoint], j: u64) -> Decimal {
    let mut above = 0u64;
    for point in dist.iter().rev() {
        above += point.paths;
        if above >= j {
            return point.defaulted_fraction;
        }
    }
    Decimal::ZERO
}

/// Each end of the TDR's confidence interval leaves this much probability outside it: a
/// two-sided 95% interval (docs/rating.md §5, "Confidence interval").
pub const INTERVAL_TAIL: f64 = 0.025;

/// The ranks, counted from the largest, of the order statistics that bound the pool's true
/// tail quantile at probability `p` (the fraction q with P(D > q) ≤ p ≤ P(D ≥ q)) with
/// confidence at least 1 − 2 × `tail`, from `paths` independent paths, whatever D's
/// distribution: `(high, low)`, the interval being [the `low`-th largest, the `high`-th
/// largest]. With B ~ Binomial(N, p): `low` is the smallest j with P(B ≥ j) ≤ `tail` (so the
/// j-th largest lies above q with probability at most `tail`), and `high` the largest j ≥ 1
/// with P(B ≤ j − 1) ≤ `tail` (it lies below q with probability at most `tail`); None when
/// even the largest path is below q more often than that (P(B = 0) > `tail`: too few paths for
/// an upper end). `low` is N + 1 when no path can bound it (the lower end is then 0).
///
/// The binomial probabilities are summed in `f64` (they are probabilities, not money) over
/// the terms within a factor 10⁻³⁰ of the mode, each from its neighbour by the ratio
/// (N − j) p / ((j + 1)(1 − p)), and normalised by their sum. A tail that is exactly 2.5% in
/// exact arithmetic can come out a few ulps above it, and is then taken as above: the interval
/// can only widen (review 30c item 8).
pub fn quantile_interval_ranks(paths: u64, p: f64, tail: f64) -> (Option<u64>, u64) {
    let n = paths;
    if n == 0 || p.is_nan() || p <= 0.0 {
        // No path, or no probability beyond the quantile (B = 0): the largest path bounds it
        // below, and nothing bounds it above.
        return (None, 1);
    }
    if p >= 1.0 {
        return (Some(n), n + 1);
    }
    let (nf, q) = (n as f64, 1.0 - p);
    let mode = (((nf + 1.0) * p).floor() as u64).min(n);
    // Unnormalised weights w_j, w_mode = 1, for j in [lo, hi].
    const CUT: f64 = 1e-30;
    let mut up = Vec::new(); // w_mode+1, w_mode+2, …
    let (mut w, mut j) = (1.0f64, mode);
    while j < n {
        w *= (n - j) as f64 * p / ((j + 1) as f64 * q);
        if w < CUT {
            break;
        }
        up.push(w);
        j += 1;
    }
    let mut down = Vec::new(); // w_mode−1, w_mode−2, …
    let (mut w, mut j) = (1.0f64, mode);
    while j > 0 {
        w *= j as f64 * q / ((n - j + 1) as f64 * p);
        if w < CUT {
            break;
        }
        down.push(w);
        j -= 1;
    }
    let lo = mode - down.len() as u64;
    // Weights in ascending j.
    let weights: Vec<f64> = down
        .iter()
        .rev()
        .copied()
        .chain(std::iter::once(1.0))
        .chain(up.iter().copied())
        .collect();
    let total: f64 = weights.iter().sum();
    // low: the smallest j with P(B ≥ j) ≤ tail, scanning down from the top.
    let mut at_least = 0.0f64;
    let mut low = lo + weights.len() as u64; // P(B ≥ that) = 0 (to the cut)
    for (i, w) in weights.iter().enumerate().rev() {
        at_least += w / total;
        if at_least > tail {
            break;
        }
        low = lo + i as u64;
    }
    // high: the largest j ≥ 1 with P(B ≤ j − 1) ≤ tail, scanning up from the bottom.
    let mut at_most = 0.0f64;
    let mut high = (lo > 0).then_some(lo); // P(B ≤ lo − 1) = 0 (to the cut)
    for (i, w) in weights.iter().enumerate() {
        at_most += w / total;
        if at_most > tail {
            break;
        }
        high = Some(lo + i as u64 + 1);
    }
    (high, low.max(1))
}

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

/// `num / den` rounded once, half away from zero, to `dp` places (`num ≥ 0`, `den > 0`): on
/// the exact quotient of the Decimals' mantissas.
fn round_quotient(num: Decimal, den: Decimal, dp: u32) -> Decimal {
    round_product_quotient(&[num], &[den], dp)
}

/// `Π num / Π den` rounded once, half away from zero, to `dp` places (every factor ≥ 0, the
/// denominators > 0), exactly ([`crate::money::rational::product_ratio_of`]), so that no
/// Decimal product rounds or overflows on the way (review 27c item 10). The quotients here
/// are fractions and multipliers of a few units; one beyond Decimal's range (none is) would
/// saturate.
fn round_product_quotient(num: &[Decimal], den: &[Decimal], dp: u32) -> Decimal {
    crate::money::rational::product_ratio_of(num, den, dp).unwrap_or(Decimal::MAX)
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

/// The implied rating of a break-even default rate: the highest rating whose TDR it covers.
pub fn implied_rating(tdrs: &[RatingTdr], bdr: Bdr) -> Option<String> {
    tdrs.iter()
        .find(|t| bdr.meets(t.tdr))
        .map(|t| t.rating.clone())
}

/// The implied ratings of a break-even at the two ends of the TDRs' confidence intervals:
/// `(at the upper ends, at the lower ends)`, the first the highest rating whose `tdr_high` the
/// BDR covers, the second the highest whose `tdr_low` it covers. The implied rating at the
/// point TDRs lies between the two (the ends bracket each TDR); when they differ, the rating
/// is not settled by the simulation: the true TDRs could put it anywhere between.
pub fn implied_rating_range(tdrs: &[RatingTdr], bdr: Bdr) -> (Option<String>, Option<String>) {
    let at_high = tdrs
        .iter()
        .find(|t| bdr.meets(t.tdr_high))
        .map(|t| t.rating.clone());
    let at_low = tdrs
        .iter()
        .find(|t| bdr.meets(t.tdr_low))
        .map(|t| t.rating.clone());
    (at_high, at_low)
}

/// A tranche's BDR over several scenarios: the minimum of the (scan-then-bisect) break-evens
/// ([`Bdr`]: a rate the search bounded before any unbroken one), 0 for a tranche that fails
/// with no defaults.
pub fn min_bdr(deal: &Deal, scenarios: &[Scenario], tranche: usize) -> Result<Bdr> {
    min_bdr_in(deal, scenarios, tranche, None)
}

/// [`min_bdr`], with a [`ProjectionCache`] per scenario (`caches[i]` for `scenarios[i]`),
/// shared with the searches of other tranches, or of other tranche balances, on `deal`'s pool.
pub fn min_bdr_in(
    deal: &Deal,
    scenarios: &[Scenario],
    tranche: usize,
    caches: Option<&[ProjectionCache]>,
) -> Result<Bdr> {
    min_bdr_of(deal, scenarios, tranche, caches).map(|(b, _)| b)
}

/// [`min_bdr_in`] with the index of the first scenario that gives the minimum (None without
/// scenarios): the scenario that binds the tranche's rating.
pub fn min_bdr_of(
    deal: &Deal,
    scenarios: &[Scenario],
    tranche: usize,
    caches: Option<&[ProjectionCache]>,
) -> Result<(Bdr, Option<usize>)> {
    let table = RatingTable::default();
    let rows = scenarios
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let cache = caches.and_then(|c| c.get(i));
            breakeven::breakeven_one_in(deal, s, tranche, &table, cache)
        })
        .collect::<Result<Vec<_>>>()?;
    // `min_by_key` keeps the first of equal minima: the binding scenario is the earliest.
    Ok(rows
        .iter()
        .map(BreakevenRow::bdr)
        .enumerate()
        .min_by_key(|&(_, b)| b)
        .map_or(
            (
                Bdr {
                    pays_at_zero: true,
                    unbroken: false,
                    rate: Decimal::ZERO,
                },
                None,
            ),
            |(i, b)| (b, Some(i)),
        ))
}

/// One row of `rating.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingRow {
    /// The deal's name.
    pub deal: String,
    /// The tranche's name.
    pub tranche: String,
    /// The rating tested, a row of the PD table.
    pub rating: String,
    /// The rating's TDR (`RatingTdr::tdr`), 6 dp.
    pub target_default_rate: Decimal,
    /// The tranche's BDR, the minimum over the scenarios (`Bdr::rate`).
    pub breakeven_default_rate: Decimal,
    /// Paid in full at R = 1 in the binding scenario (the minimum's): `breakeven_default_rate`
    /// is a lower bound, the larger of the realised ratios at R = 1 and in whole obligors
    /// ([`Bdr`]).
    pub passes_at_one: bool,
    /// Not paid in full with no defaults in some scenario: no break-even, `pass` is false for
    /// every rating (even one whose TDR is 0) and there is no implied rating.
    pub fails_at_zero: bool,
    /// BDR ≥ TDR by the pass rule (`Bdr::meets`); false whenever `fails_at_zero`.
    pub pass: bool,
    /// The scenario whose break-even is the minimum (the first such), which binds the rating.
    pub binding_scenario: Option<String>,
    /// The TDR's parts ([`RatingTdr`]): the pool term, the rating's PD at it, the simulated
    /// default rate, the single-obligor multiplier and the large-obligor test's rate.
    pub pool_term: f64,
    /// The rating's cumulative PD at `pool_term`.
    pub horizon_pd: f64,
    /// The simulated default rate (TDR_sim), 6 dp.
    pub simulated: Decimal,
    /// The single-obligor multiplier (1 when off).
    pub multiplier: f64,
    /// The large-obligor test's default rate (None when off or not defined for the rating).
    pub large_obligor: Option<Decimal>,
    /// The TDR's 95% confidence interval ([`RatingTdr::tdr_low`], [`RatingTdr::tdr_high`]).
    pub tdr_low: Decimal,
    /// The upper end of that interval.
    pub tdr_high: Decimal,
    /// The highest rating whose TDR the BDR covers; None when it covers none.
    pub implied_rating: Option<String>,
    /// The implied ratings at the TDRs' upper and lower ends ([`implied_rating_range`]): the
    /// range the simulation leaves the rating in (review 30d item 5).
    pub implied_rating_at_tdr_high: Option<String>,
    /// The implied rating read at the TDRs' lower ends.
    pub implied_rating_at_tdr_low: Option<String>,
}

impl RatingRow {
    /// The tranche's break-even as the pass rule reads it.
    pub fn bdr(&self) -> Bdr {
        Bdr {
            pays_at_zero: !self.fails_at_zero,
            unbroken: self.passes_at_one,
            rate: self.breakeven_default_rate,
        }
    }
}

/// For each rated tranche ([`breakeven_tranches`]) and each rating of the table: TDR, the
/// tranche's BDR (minimum over `scenarios`), pass and the implied rating.
pub fn rating_rows(
    deal: &Deal,
    scenarios: &[Scenario],
    tdrs: &[RatingTdr],
) -> Result<Vec<RatingRow>> {
    let mut rows = Vec::new();
    let tranches = breakeven_tranches(deal);
    // Several tranches' searches share each scenario's projections (one searches alone).
    let caches = ProjectionCache::shared(scenarios.len(), tranches.len());
    for t in tranches {
        let (bdr, binding) = min_bdr_of(deal, scenarios, t, caches.as_deref())?;
        let binding_scenario = binding.map(|i| scenarios[i].name.clone());
        let implied = implied_rating(tdrs, bdr);
        let (at_high, at_low) = implied_rating_range(tdrs, bdr);
        for r in tdrs {
            rows.push(RatingRow {
                deal: deal.name.clone(),
                tranche: deal.tranches[t].name.clone(),
                rating: r.rating.clone(),
                target_default_rate: r.tdr,
                breakeven_default_rate: bdr.rate,
                passes_at_one: bdr.unbroken,
                fails_at_zero: !bdr.pays_at_zero,
                pass: bdr.meets(r.tdr),
                binding_scenario: binding_scenario.clone(),
                pool_term: r.pool_term,
                horizon_pd: r.horizon_pd,
                simulated: r.simulated,
                multiplier: r.multiplier,
                large_obligor: r.large_obligor,
                tdr_low: r.tdr_low,
                tdr_high: r.tdr_high,
                implied_rating: implied.clone(),
                implied_rating_at_tdr_high: at_high.clone(),
                implied_rating_at_tdr_low: at_low.clone(),
            });
        }
    }
    Ok(rows)
}

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
}

/// The scenario of a path: `base` (its recoveries, delays, CPR, supports) with no default curve
/// or CDR and the pattern's named defaults.
pub fn path_scenario(pool: &Pool, base: &Scenario, p: &Pattern) -> Scenario {
    let mut s = breakeven::stressed(base, Decimal::ZERO);
    s.name = format!("{} (Monte Carlo)", base.name);
    s.obligor_defaults = pool.obligor_defaults(p);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// k = ⌊N · p⌋ of docs/rating.md, exactly (review 32d item 8): 10,000 × 0.0003 = 3 (the
    /// double product is 2.9999999999999996); 200,000 × 0.0007 = 140; 10,000 × 0.00031 =
    /// 3.1 → 3; 1,000 × 0.3 = 300; nothing for p = 0; N for p = 1.
    #[test]
    fn the_tail_count_is_the_floor_of_the_exact_product() {
        assert_eq!(tail_count(10_000, 0.0003), 3);
        assert_eq!(tail_count(200_000, 0.0007), 140);
        assert_eq!(tail_count(10_000, 0.00031), 3);
        assert_eq!(tail_count(1_000, 0.3), 300);
        assert_eq!(tail_count(1_000, 0.0), 0);
        assert_eq!(tail_count(1_000, 1.0), 1_000);
    }

    /// The multiplier by hand (docs/rating.md §5), exactly, in a pool of 1,000,000.00:
    /// * largest 49,999.99 (r just below 5%): 1;
    /// * 50,000.00 (r = 5%), s = 1: 1 + 0.5 + 10 × (0.05 − 0.05) = 1.5 = 1,500,000 / 1,000,000;
    /// * 99,999.99, s = 1: 1 + 0.5 + 10 × (0.09999999 − 0.05) = 1.9999999 (the source's 5% line);
    /// * 100,000.00 (10%), s = 1: 1 + 1 + 0 = 2;
    /// * 123,456.78, s = 0.6: 1 + 0.6 + 6 × (0.12345678 − 0.10) = 1.74074068;
    /// * 150,000.00 (15%), s = 0.9: 1 + 1.5 × 0.9 = 2.35, and 2.35 at 20% too.
    #[test]
    fn the_multiplier_by_hand_and_continuous_at_its_breaks() {
        use rust_decimal_macros::dec;
        let total = dec!(1000000.00);
        let m = |largest: Decimal, s: Decimal| {
            let (n, d) = single_obligor_multiplier(largest, total, s);
            n / d
        };
        assert_eq!(m(dec!(49999.99), dec!(1)), dec!(1));
        assert_eq!(m(dec!(50000.00), dec!(1)), dec!(1.5));
        assert_eq!(m(dec!(99999.99), dec!(1)), dec!(1.9999999));
        assert_eq!(m(dec!(100000.00), dec!(1)), dec!(2));
        assert_eq!(m(dec!(123456.78), dec!(0.6)), dec!(1.74074068));
        assert_eq!(m(dec!(150000.00), dec!(0.9)), dec!(2.35));
        assert_eq!(m(dec!(200000.00), dec!(0.9)), dec!(2.35));
    }

    /// A TDR scaled by the multiplier is rounded once from the exact product: TDR_sim 0.123457
    /// with largest 123,456.78 of 1,000,000.00 and s = 0.6 is 0.123457 × 1.74074068 =
    /// 0.21490662213076 → 0.214907; and just above a midpoint, 0.000001 × (1,000,000 + 10 × 1 ×
    /// 50,000.05) / 1,000,000 = 0.0000015000005 → 0.000002.
    #[test]
    fn a_scaled_tdr_is_rounded_once() {
        use rust_decimal_macros::dec;
        let (n, d) = single_obligor_multiplier(dec!(123456.78), dec!(1000000.00), dec!(0.6));
        assert_eq!(
            round_product_quotient(&[dec!(0.123457), n], &[d], FRACTION_DP),
            dec!(0.214907)
        );
        let (n, d) = single_obligor_multiplier(dec!(50000.05), dec!(1000000.00), dec!(1));
        assert_eq!(
            round_product_quotient(&[dec!(0.000001), n], &[d], FRACTION_DP),
            dec!(0.000002)
        );
        // Half away from zero at an exact tie: 1 / 8 to 2 places is 0.13.
        assert_eq!(round_quotient(dec!(1), dec!(8), 2), dec!(0.13));
    }

    /// The interval's ranks against an exact oracle: Python's `fractions` and `math.comb`
    /// summing Binomial(N, p) exactly, with p = 1/10, 1/100 and 3/10 as exact fractions (the f64
    /// p here differs by < 1e-17, and no tail below is within 5e-5 of 0.025):
    /// * N = 100, p = 0.1 (k = 10): P(B ≥ 17) = 0.020599 ≤ 0.025 < P(B ≥ 16) = 0.039891, so
    ///   the lower end is the 17th largest; P(B ≤ 4) = 0.023711 ≤ 0.025 < P(B ≤ 5) =
    ///   0.057577, so the upper end is the 5th largest.
    /// * N = 1,000, p = 0.01 (k = 10): P(B ≥ 18) = 0.013833, P(B ≥ 17) = 0.026391 → 18th;
    ///   P(B ≤ 3) = 0.010073, P(B ≤ 4) = 0.028686 → 4th.
    /// * N = 200, p = 0.3 (k = 60): P(B ≥ 74) = 0.020021, P(B ≥ 73) = 0.028434 → 74th;
    ///   P(B ≤ 47) = 0.024933, P(B ≤ 48) = 0.035948 → 48th.
    /// * N = 20, p = 0.1: P(B ≥ 6) = 0.011253, P(B ≥ 5) = 0.043174 → 6th; P(B = 0) = 0.9^20
    ///   = 0.121577 > 0.025: no upper end.
    #[test]
    fn the_interval_ranks_are_binomial_order_statistics() {
        assert_eq!(quantile_interval_ranks(100, 0.1, 0.025), (Some(5), 17));
        assert_eq!(quantile_interval_ranks(1000, 0.01, 0.025), (Some(4), 18));
        assert_eq!(quantile_interval_ranks(200, 0.3, 0.025), (Some(48), 74));
        assert_eq!(quantile_interval_ranks(20, 0.1, 0.025), (None, 6));
        // B = 0 surely: the largest path bounds below, nothing above; B = N surely: the
        // smallest bounds above, and below nothing (rank N + 1, the fraction 0).
        assert_eq!(quantile_interval_ranks(50, 0.0, 0.025), (None, 1));
        assert_eq!(quantile_interval_ranks(50, 1.0, 0.025), (Some(50), 51));
        assert_eq!(quantile_interval_ranks(0, 0.1, 0.025), (None, 1));
        // 100 paths whose fractions are 0.001, 0.002, …, 0.100: the j-th largest is
        // (101 − j) / 1000; at p = 0.1 the TDR is the 11th largest, 0.090, inside [the 17th,
        // the 5th] = [0.084, 0.096]; beyond the paths the fraction is 0.
        let dist: Vec<DistributionPoint> = (1..=100)
            .map(|i| DistributionPoint {
                defaulted_fraction: Decimal::new(i, 3),
                paths: 1,
                probability: 0.01,
                cumulative_probability: i as f64 / 100.0,
            })
            .collect();
        assert_eq!(tail_quantile(&dist, 100, 0.1).to_string(), "0.090");
        assert_eq!(order_statistic(&dist, 17).to_string(), "0.084");
        assert_eq!(order_statistic(&dist, 5).to_string(), "0.096");
        assert_eq!(order_statistic(&dist, 101), Decimal::ZERO);
    }

    #[test]
    fn the_tail_quantile_is_the_order_statistic() {
        // 10 paths: 7 × 0, 2 × 0.1, 1 × 0.3.
        let d = |f: &str, n: u64| DistributionPoint {
            defaulted_fraction: f.parse().unwrap(),
            paths: n,
            probability: 0.0,
            cumulative_probability: 0.0,
        };
        let dist = [d("0", 7), d("0.1", 2), d("0.3", 1)];
        // p = 0.05: k = 0, the largest value.
        assert_eq!(tail_quantile(&dist, 10, 0.05).to_string(), "0.3");
        // p = 0.1: k = 1, the second largest.
        assert_eq!(tail_quantile(&dist, 10, 0.1).to_string(), "0.1");
        // p = 0.3: k = 3, the fourth largest = 0.
        assert_eq!(tail_quantile(&dist, 10, 0.3).to_string(), "0");
    }
}
