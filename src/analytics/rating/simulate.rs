//! The simulated paths, their default patterns, the default distribution and its order
//! statistics (docs/rating.md §4, §5).

use std::collections::BTreeMap;

use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::*;

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
