//! The DataFrames of `ipabs rate` and `ipabs size` (docs/output.md): the writer never rounds,
//! so a value not exact at its column's scale fails.

use super::*;

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
    crate::output::parquet::decimal_column(file, name, scale, values, |i| format!("row {i}"))
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
/// pool_term_years, tdr_low, tdr_high, implied_rating_at_tdr_high, implied_rating_at_tdr_low,
/// breaking_obligor_default_rate.
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
            decimals(
                f,
                "breaking_obligor_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| r.breaking_obligor_default_rate),
            )?,
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

/// What `sized.parquet` states besides each target's result: the search's settings.
#[derive(Debug, Clone, Copy)]
pub struct SizeSettings {
    /// `--step`, yuan.
    pub step: Decimal,
    /// `--margin`, a fraction.
    pub margin: Decimal,
    /// `--paths` of the Monte Carlo the TDRs come from.
    pub paths: u64,
    /// Its `--seed`.
    pub seed: u64,
}

/// `sized.parquet` (review 43c F4: the result was on the terminal and the page only): one row
/// per targeted tranche, in seniority order: the balance found, what binds it, and the step
/// that tested that balance (its BDR, TDR and break in whole obligors), the TDR's 95% interval
/// and the search's settings, so that a committee file can be reproduced from the outputs.
pub fn sized_frame(
    deal: &str,
    sized: &[Sized],
    steps: &[SizeStep],
    tdrs: &[RatingTdr],
    settings: SizeSettings,
) -> Result<DataFrame, Error> {
    let f = SIZED_FILE;
    // The last evaluation of each result's balance (the row that tested it).
    let row = |s: &Sized| {
        steps
            .iter()
            .rev()
            .find(|r| r.tranche == s.tranche && r.balance == s.balance)
    };
    let tdr = |s: &Sized| tdrs.iter().find(|t| t.rating == s.target_rating);
    let n = sized.len();
    frame(
        f,
        n,
        vec![
            Column::new("deal".into(), vec![deal; n]),
            Column::new(
                "tranche".into(),
                sized.iter().map(|s| s.tranche.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "target_rating".into(),
                sized
                    .iter()
                    .map(|s| s.target_rating.as_str())
                    .collect::<Vec<_>>(),
            ),
            decimals(
                f,
                "balance",
                MONEY_SCALE,
                sized.iter().map(|s| Some(s.balance)),
            )?,
            decimals(
                f,
                "subordinated_balance",
                MONEY_SCALE,
                sized.iter().map(|s| row(s).map(|r| r.subordinated_balance)),
            )?,
            Column::new(
                "binding".into(),
                sized.iter().map(|s| s.binding.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "binding_scenario".into(),
                sized
                    .iter()
                    .map(|s| row(s).and_then(|r| r.binding_scenario.as_deref()))
                    .collect::<Vec<Option<&str>>>(),
            ),
            decimals(
                f,
                "breakeven_default_rate",
                RATIO_SCALE,
                sized
                    .iter()
                    .map(|s| row(s).map(|r| r.breakeven_default_rate)),
            )?,
            decimals(
                f,
                "target_default_rate",
                RATIO_SCALE,
                sized.iter().map(|s| row(s).map(|r| r.target_default_rate)),
            )?,
            decimals(
                f,
                "cushion",
                RATIO_SCALE,
                sized
                    .iter()
                    .map(|s| row(s).map(|r| r.breakeven_default_rate - r.target_default_rate)),
            )?,
            Column::new(
                "passes_at_one".into(),
                sized
                    .iter()
                    .map(|s| row(s).map(|r| r.passes_at_one))
                    .collect::<Vec<Option<bool>>>(),
            ),
            decimals(
                f,
                "breaking_obligor_default_rate",
                RATIO_SCALE,
                sized
                    .iter()
                    .map(|s| row(s).and_then(|r| r.breaking_obligor_default_rate)),
            )?,
            decimals(
                f,
                "tdr_low",
                RATIO_SCALE,
                sized.iter().map(|s| tdr(s).map(|t| t.tdr_low)),
            )?,
            decimals(
                f,
                "tdr_high",
                RATIO_SCALE,
                sized.iter().map(|s| tdr(s).map(|t| t.tdr_high)),
            )?,
            decimals(
                f,
                "min_coverage_multiple",
                RATIO_SCALE,
                sized
                    .iter()
                    .map(|s| row(s).and_then(|r| r.min_coverage_multiple)),
            )?,
            Column::new(
                "tdr_at".into(),
                sized
                    .iter()
                    .map(|s| row(s).map(|r| r.tdr_at.name()))
                    .collect::<Vec<Option<&str>>>(),
            ),
            decimals(f, "step", MONEY_SCALE, (0..n).map(|_| Some(settings.step)))?,
            decimals(
                f,
                "margin",
                RATIO_SCALE,
                (0..n).map(|_| Some(settings.margin)),
            )?,
            Column::new("paths".into(), vec![settings.paths as i64; n]),
            Column::new("seed".into(), vec![settings.seed as i64; n]),
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
            Column::new(
                "coverage_basis".into(),
                rows.iter()
                    .map(|r| r.coverage_basis.name())
                    .collect::<Vec<&str>>(),
            ),
            Column::new(
                "base_case_trigger".into(),
                rows.iter()
                    .map(|r| r.base_case_trigger.as_ref().map(|t| t.name.as_str()))
                    .collect::<Vec<Option<&str>>>(),
            ),
            Column::new(
                "base_case_trigger_date".into(),
                rows.iter()
                    .map(|r| r.base_case_trigger.as_ref().map(|t| t.date))
                    .collect::<Vec<Option<chrono::NaiveDate>>>(),
            ),
            decimals(
                f,
                "breaking_obligor_default_rate",
                RATIO_SCALE,
                rows.iter().map(|r| r.breaking_obligor_default_rate),
            )?,
        ],
    )
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
