//! The tables of `ipabs rate` and `ipabs size` (docs/output.md, docs/rating.md):
//!
//! * `frames`: DataFrames for `default_distribution.parquet`, `rating.parquet`,
//!   `mc_tranches.parquet` and `size_steps.parquet`; like every table, the writer never
//!   rounds: a value not exact at its column's scale fails;
//! * `report`: their terminal tables (`rate_table`, `size_table`);
//! * `notes`: the notes under them (the pool's concentration, its groups, the support
//!   providers, the credit substitution's gaps, the tail's paths);
//! * `sized_deal`: the sized deal file `size --write` writes.

use std::path::PathBuf;

use polars::prelude::*;
use rust_decimal::Decimal;

use crate::analytics::rating::size::{SizeStep, Sized, TdrAt};
use crate::analytics::rating::{
    DistributionPoint, LOSS_DP, McTranche, RatingRow, RatingTdr, Substitution, implied_rating,
    implied_rating_range,
};
use crate::error::Error;
use crate::output::parquet::{MONEY_SCALE, RATIO_SCALE};
use crate::output::table::{display_width, format_money};

mod frames;
mod notes;
mod report;
mod sized_deal;

pub use frames::*;
pub use notes::*;
pub use report::*;
pub use sized_deal::*;

/// File of `ipabs rate`'s default distribution (docs/output.md).
pub const DISTRIBUTION_FILE: &str = "default_distribution.parquet";
/// File of `ipabs rate`'s TDR, BDR and pass of each tranche and rating.
pub const RATING_FILE: &str = "rating.parquet";
/// File of `ipabs rate`'s simulated default probability and loss of each tranche.
pub const MC_TRANCHES_FILE: &str = "mc_tranches.parquet";
/// File of every balance `ipabs size` evaluated.
pub const SIZE_STEPS_FILE: &str = "size_steps.parquet";
/// `ipabs size`'s result, one row per targeted tranche (`sized.parquet`).
pub const SIZED_FILE: &str = "sized.parquet";

fn pct(d: Decimal) -> String {
    crate::money::percent_dp(d, 4)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
