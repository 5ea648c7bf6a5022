//! The inputs of the Monte Carlo default model (`ipabs rate`, `ipabs size`; docs/rating.md):
//! the rating × term table of cumulative default probabilities, the pairwise asset correlations
//! and the concentration rules. Probabilities are `f64` (statistics, never money); the two
//! concentration figures that scale a TDR (the large-obligor loss and the originator factor)
//! are exact `Decimal`s, read as written.
//!
//! The default tables are indicative third-party values: docs/sources.md \[S40\] (the 理想违约率
//! table `ideal_default_item` and the large-obligor table `large_amount_settings` of an
//! open-source Chinese rating system). They are not an agency publication.

use rust_decimal::Decimal;

/// The rating grades of the default table, highest first.
pub const GRADES: [&str; 21] = [
    "AAA+", "AAA", "AAA-", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB",
    "BB-", "B+", "B", "B-", "CCC", "CC", "C",
];

/// Cumulative default probability of each grade of [`GRADES`] over 1, 2, …, 10 years
/// (docs/sources.md \[S40\], `ideal_default_item`).
pub const DEFAULT_PD: [[f64; 10]; 21] = [
    [
        0.0001, 0.00011, 0.00027, 0.0005, 0.0011, 0.0025, 0.0035, 0.005, 0.0065, 0.008,
    ],
    [
        0.00015, 0.0002, 0.0006, 0.00105, 0.002, 0.0035, 0.0045, 0.006, 0.0075, 0.009,
    ],
    [
        0.00025, 0.00045, 0.00118, 0.0019, 0.0029, 0.0044, 0.0054, 0.007, 0.0086, 0.0104,
    ],
    [
        0.0005, 0.001, 0.00222, 0.0045, 0.006, 0.0075, 0.009, 0.011, 0.013, 0.015,
    ],
    [
        0.0007, 0.0013, 0.0027, 0.0053, 0.007, 0.0085, 0.01, 0.012, 0.014, 0.0175,
    ],
    [
        0.001, 0.002, 0.0035, 0.0065, 0.0085, 0.012, 0.015, 0.018, 0.02, 0.0235,
    ],
    [
        0.0015, 0.005, 0.01, 0.015, 0.02, 0.024, 0.027, 0.03, 0.0345, 0.038,
    ],
    [
        0.002, 0.0065, 0.0115, 0.0165, 0.0216, 0.026, 0.03, 0.035, 0.04, 0.0452,
    ],
    [
        0.003, 0.01, 0.0185, 0.03, 0.039, 0.046, 0.052, 0.059, 0.067, 0.0721,
    ],
    [
        0.006, 0.0145, 0.0232, 0.0347, 0.047, 0.06, 0.07, 0.082, 0.092, 0.1,
    ],
    [
        0.0081, 0.025, 0.0462, 0.0653, 0.0838, 0.1013, 0.1152, 0.1279, 0.1382, 0.1462,
    ],
    [0.01, 0.03, 0.054, 0.08, 0.11, 0.13, 0.15, 0.17, 0.18, 0.2],
    [0.013, 0.04, 0.08, 0.12, 0.15, 0.18, 0.21, 0.23, 0.25, 0.27],
    [0.02, 0.06, 0.12, 0.17, 0.21, 0.26, 0.3, 0.33, 0.36, 0.38],
    [0.04, 0.11, 0.19, 0.26, 0.32, 0.38, 0.42, 0.46, 0.5, 0.53],
    [0.06, 0.17, 0.28, 0.37, 0.43, 0.49, 0.53, 0.57, 0.61, 0.64],
    [0.18, 0.35, 0.48, 0.56, 0.63, 0.68, 0.71, 0.735, 0.76, 0.78],
    [0.26, 0.47, 0.62, 0.72, 0.78, 0.83, 0.87, 0.9, 0.91, 0.92],
    [0.43, 0.64, 0.78, 0.87, 0.92, 0.94, 0.97, 0.99, 0.99, 0.99],
    [0.61, 0.8, 0.9, 0.97, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99],
    [0.853, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99],
];

/// The grades of the large-obligor test (大额测试), AAA+ … CCC: the first 19 of [`GRADES`].
pub const LARGE_OBLIGOR_GRADES: usize = 19;

/// `DEFAULT_LARGE_OBLIGOR_COUNTS[g][r]`: how many of the largest obligors rated `GRADES[g]` or
/// lower default in the large-obligor test of a tranche targeting `GRADES[r]`
/// (docs/sources.md \[S40\], `large_amount_settings`, read as 19 rows of 19). Zero where the
/// threshold grade is not below the target.
pub const DEFAULT_LARGE_OBLIGOR_COUNTS: [[u8; LARGE_OBLIGOR_GRADES]; LARGE_OBLIGOR_GRADES] = {
    // Row g holds the counts for targets 0..g; the pattern of the source table.
    const ROWS: [&[u8]; LARGE_OBLIGOR_GRADES] = [
        &[],
        &[1],
        &[1, 1],
        &[1, 1, 1],
        &[2, 2, 2, 1],
        &[2, 2, 2, 1, 1],
        &[2, 2, 2, 1, 1, 1],
        &[3, 3, 3, 2, 2, 2, 1],
        &[3, 3, 3, 2, 2, 2, 1, 1],
        &[3, 3, 3, 2, 2, 2, 1, 1, 1],
        &[4, 4, 4, 3, 3, 3, 2, 2, 2, 1],
        &[4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1],
        &[4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1],
        &[6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1],
        &[6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1],
        &[6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1],
        &[8, 8, 8, 6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1],
        &[8, 8, 8, 6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1],
        &[10, 10, 10, 8, 8, 8, 6, 6, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1],
    ];
    let mut out = [[0u8; LARGE_OBLIGOR_GRADES]; LARGE_OBLIGOR_GRADES];
    let mut g = 0;
    while g < LARGE_OBLIGOR_GRADES {
        let row = ROWS[g];
        let mut r = 0;
        while r < row.len() {
            out[g][r] = row[r];
            r += 1;
        }
        g += 1;
    }
    out
};

/// Rating × term table of cumulative default probabilities, highest rating first.
#[derive(Debug, Clone, PartialEq)]
pub struct PdTable {
    /// (rating label, cumulative PD over 1, 2, …, 10 years), highest rating first.
    pub rows: Vec<(String, [f64; 10])>,
}

impl Default for PdTable {
    /// [`DEFAULT_PD`].
    fn default() -> Self {
        PdTable {
            rows: GRADES
                .iter()
                .zip(DEFAULT_PD.iter())
                .map(|(g, r)| ((*g).to_string(), *r))
                .collect(),
        }
    }
}

impl PdTable {
    /// Index of `label` in the table.
    pub fn index(&self, label: &str) -> Option<usize> {
        self.rows.iter().position(|(l, _)| l == label)
    }

    /// Cumulative PD of row `i` over `years` ([`pd_at`]).
    pub fn pd(&self, i: usize, years: f64) -> f64 {
        pd_at(&self.rows[i].1, years)
    }

    /// The labels, highest first.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|(l, _)| l.as_str())
    }
}

/// Cumulative default probability over `t` years of a row of 1…10-year values: `t × PD(1)`
/// below one year, linear between whole years, `PD(10)` beyond ten years, 0 for `t ≤ 0`.
pub fn pd_at(row: &[f64; 10], t: f64) -> f64 {
    if t <= 0.0 || t.is_nan() {
        0.0
    } else if t < 1.0 {
        t * row[0]
    } else if t >= 10.0 {
        row[9]
    } else {
        // 1 ≤ t < 10: between years k and k + 1 (row indices k − 1 and k).
        let k = t.floor() as usize;
        let (a, b) = (row[k - 1], row[k]);
        a + (b - a) * (t - k as f64)
    }
}

/// The inverse of [`pd_at`] on a row whose values do not decrease: the first time `t` at
/// which the cumulative PD reaches `p` (0 for `p ≤ 0`; 10 when `p` is above `PD(10)`).
pub fn time_at(row: &[f64; 10], p: f64) -> f64 {
    if p <= 0.0 || p.is_nan() {
        return 0.0;
    }
    if p <= row[0] {
        return p / row[0];
    }
    for k in 1..10 {
        let (a, b) = (row[k - 1], row[k]);
        if p <= b {
            // a < p ≤ b, so b > a.
            return k as f64 + (p - a) / (b - a);
        }
    }
    10.0
}

/// Pairwise asset correlations from the obligors' `region` and `industry` tags.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correlations {
    /// Same region and same industry.
    pub same_region_and_industry: f64,
    /// Same region, different industry.
    pub same_region: f64,
    /// Different region, same industry.
    pub same_industry: f64,
    /// Different region and industry.
    pub neither: f64,
}

impl Default for Correlations {
    /// 0.40, 0.25, 0.35, 0.10 (docs/sources.md \[S40\], indicative).
    fn default() -> Self {
        Correlations {
            same_region_and_industry: 0.40,
            same_region: 0.25,
            same_industry: 0.35,
            neither: 0.10,
        }
    }
}

/// The concentration rules added to the simulated target default rate (docs/rating.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concentration {
    /// Apply the large-obligor test (大额测试).
    pub large_obligor_test: bool,
    /// Loss of a defaulted obligor in the large-obligor test, per unit of exposure (0.95).
    pub large_obligor_loss: Decimal,
    /// Apply the single-obligor multiplier (违约放大倍数, single-obligor rule).
    pub single_obligor_multiplier: bool,
    /// The originator factor `s` of the multiplier: 1.0 (其他) by default.
    pub originator_factor: Decimal,
}

impl Default for Concentration {
    fn default() -> Self {
        Concentration {
            large_obligor_test: true,
            large_obligor_loss: Decimal::from_parts(95, 0, 0, false, 2),
            single_obligor_multiplier: true,
            originator_factor: Decimal::ONE,
        }
    }
}

/// Everything the default model takes from a scenario file's `[rating_model]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RatingModel {
    /// Cumulative default probabilities by rating and term (`[rating_model.pd]`).
    pub pd: PdTable,
    /// Pairwise asset correlations (`[rating_model.correlation]`).
    pub correlations: Correlations,
    /// The concentration rules (large-obligor test, single-obligor multiplier).
    pub concentration: Concentration,
}

/// How an obligor's default probability is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CreditCurve {
    /// A row of the PD table (the obligor's `rating` tag).
    Rating(usize),
    /// An explicit cumulative PD over the obligor's exposure term (its `pd` tag), reached
    /// linearly in time.
    Explicit(f64),
}

/// One obligor's credit inputs, resolved from its tags against a [`PdTable`].
#[derive(Debug, Clone, PartialEq)]
pub struct ObligorCredit {
    /// How its default probability is given: a PD table row or an explicit PD.
    pub curve: CreditCurve,
    /// The `region` tag (None: shares no region with anyone).
    pub region: Option<String>,
    /// The `industry` tag (None: shares no industry with anyone).
    pub industry: Option<String>,
}

/// A support provider's credit (the `tags` of its `[[supports]]`, docs/rating.md §7): the
/// Monte Carlo paths draw it as one more credit, after the pool's, and a path on which it
/// defaults fails its supports from that date.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCredit {
    /// The provider's name, as its supports give it (trimmed).
    pub provider: String,
    /// Its default probability and correlation tags; a `pd` is read over the deal's term (the
    /// cutoff to the last payment date).
    pub credit: ObligorCredit,
    /// The supports (indices) it provides, in file order.
    pub supports: Vec<usize>,
}

impl ProviderCredit {
    /// Its `region` or `industry` tag (`k`), if it has one.
    pub fn credit_tag(&self, k: &str) -> Option<&str> {
        match k {
            "region" => self.credit.region.as_deref(),
            "industry" => self.credit.industry.as_deref(),
            _ => None,
        }
    }
}

/// The credits of a deal's default model: one per obligor, and one per support provider that
/// has a credit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Credits {
    /// Each obligor's, in the deal's order.
    pub obligors: Vec<ObligorCredit>,
    /// Each provider's with a credit, in the order of their first supports.
    pub providers: Vec<ProviderCredit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_term_structure_is_linear_and_its_inverse_returns_the_time() {
        let row = DEFAULT_PD[7]; // A
        assert_eq!(pd_at(&row, 0.5), 0.001);
        assert!((pd_at(&row, 2.5) - (0.0065 + 0.0115) / 2.0).abs() < 1e-15);
        assert_eq!(pd_at(&row, 12.0), 0.0452);
        for t in [0.25, 1.0, 1.5, 3.75, 9.99] {
            assert!((time_at(&row, pd_at(&row, t)) - t).abs() < 1e-12, "{t}");
        }
    }

    #[test]
    fn the_large_obligor_table_matches_the_source_for_aaa() {
        // Target AAA (column 1): N = 1 for AAA- and AA+, 2 for AA…A+, 3 for A…BBB+,
        // 4 for BBB…BB+, 6 for BB…B+, 8 for B and B-, 10 for CCC.
        let col: Vec<u8> = (0..19)
            .map(|g| DEFAULT_LARGE_OBLIGOR_COUNTS[g][1])
            .collect();
        assert_eq!(
            col,
            [0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 6, 6, 6, 8, 8, 10]
        );
    }
}
