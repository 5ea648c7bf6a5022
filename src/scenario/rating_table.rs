//! The rating table of the break-even analysis: target default rate = multiplier × base
//! default rate (压力乘数法, docs/breakeven.md).

use rust_decimal::Decimal;

/// The rating table of the break-even analysis: target default rate (TDR) of a rating =
/// multiplier × base default rate (压力乘数法).
#[derive(Debug, Clone, PartialEq)]
pub struct RatingTable {
    /// Expected (base-case) cumulative default rate of the pool, as a fraction of its balance.
    pub base_default_rate: Decimal,
    /// Pressure multiplier per rating label, e.g. ("AAA", 5.0).
    pub multipliers: Vec<(String, Decimal)>,
}

/// The default pressure multipliers, highest rating first: rating-report practice as
/// reproduced by third-party code (docs/sources.md \[S39\]: `xiaolongli2026-jpg/Bond`,
/// `rating/prepare/config.py`, `multiplier_dict`, loan classes 1–4). Indicative only.
pub const DEFAULT_MULTIPLIERS: [(&str, Decimal); 14] = [
    ("AAA", Decimal::from_parts(50, 0, 0, false, 1)),
    ("AAA-", Decimal::from_parts(48, 0, 0, false, 1)),
    ("AA+", Decimal::from_parts(45, 0, 0, false, 1)),
    ("AA", Decimal::from_parts(41, 0, 0, false, 1)),
    ("AA-", Decimal::from_parts(37, 0, 0, false, 1)),
    ("A+", Decimal::from_parts(33, 0, 0, false, 1)),
    ("A", Decimal::from_parts(30, 0, 0, false, 1)),
    ("A-", Decimal::from_parts(27, 0, 0, false, 1)),
    ("BBB+", Decimal::from_parts(25, 0, 0, false, 1)),
    ("BBB", Decimal::from_parts(23, 0, 0, false, 1)),
    ("BBB-", Decimal::from_parts(20, 0, 0, false, 1)),
    ("BB+", Decimal::from_parts(18, 0, 0, false, 1)),
    ("BB", Decimal::from_parts(15, 0, 0, false, 1)),
    ("BB-", Decimal::from_parts(12, 0, 0, false, 1)),
];

impl Default for RatingTable {
    /// Base default rate 0 (no target default rate configured) and [`DEFAULT_MULTIPLIERS`].
    fn default() -> Self {
        RatingTable {
            base_default_rate: Decimal::ZERO,
            multipliers: DEFAULT_MULTIPLIERS
                .iter()
                .map(|(r, m)| ((*r).to_string(), *m))
                .collect(),
        }
    }
}

/// Decimal places of a target default rate: `multiplier × base`, rounded once, half away from
/// zero (the break-even's rates have as many, `analytics::breakeven::RATE_DP`).
pub const TDR_DP: u32 = 8;

impl RatingTable {
    /// The target default rate of `rating`, if the table has it: multiplier × base, rounded
    /// once, half away from zero, to [`TDR_DP`] places. The one TDR of the table: `pass` and
    /// the implied rating both read it (review 35a item 3b: the implied rating read the
    /// unrounded product, so base 0.036666668 × 3 = 0.110000004 met a break-even of 0.11 for
    /// `pass` and not for the rating). With a base default rate of 0 (none configured) every
    /// target is 0.
    pub fn target_default_rate(&self, rating: &str) -> Option<Decimal> {
        self.multipliers
            .iter()
            .find(|(r, _)| r == rating)
            .map(|(_, m)| {
                (*m * self.base_default_rate).round_dp_with_strategy(
                    TDR_DP,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                )
            })
    }
}
