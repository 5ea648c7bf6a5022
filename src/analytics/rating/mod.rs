//! Rating by Monte Carlo (`ipabs rate`, `ipabs size`; every rule is in docs/rating.md).
//!
//! * [`copula`]: the Gaussian copula, one ChaCha8 stream per path.
//! * [`correlation`]: pairwise correlations from tags, Cholesky.
//! * `pool`: the pool as the default model sees it (credits: obligors and obligor groups);
//! * `simulate`: the simulated paths, the default distribution and its order statistics;
//! * `tdr`: the target default rate (TDR) of every rating with the concentration rules;
//! * `rows`: the implied rating of a break-even default rate, `rating.parquet`'s rows;
//! * `outcomes`: the simulated paths run through the deal's own waterfall;
//! * `substitution`: a tranche a rated provider covers in full, rated the higher of its
//!   standalone rating (without the provider) and the provider's;
//! * this module: the constants and the exact roundings they share.
//! * [`size`]: the largest balance of each targeted tranche that keeps its rating.
//!
//! Determinism: path p's defaults depend only on (seed, p); paths are simulated in chunks in
//! parallel and the chunks' counts are merged into ordered maps, so the result is the same on
//! any number of threads. Amounts are exact `Decimal`; probabilities and times are `f64`.

pub mod copula;
pub mod correlation;
mod outcomes;
mod pool;
mod rows;
mod simulate;
pub mod size;
mod substitution;
mod tdr;

pub use outcomes::*;
pub use pool::*;
pub use rows::*;
pub use simulate::*;
pub use substitution::*;
pub use tdr::*;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::daycount::DayCount;

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

/// ACT/365F years from `from` to `to` ([`DayCount::fraction`]), zero when `to` is earlier.
fn years(from: NaiveDate, to: NaiveDate) -> f64 {
    DayCount::Act365F.fraction(from, to).to_f64().max(0.0)
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
