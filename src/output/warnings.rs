//! `warnings.parquet`: every warning of a sweep, a break-even run or a portfolio, so that a
//! warning printed on the terminal is still found afterwards. One row per warning: first those
//! of the deal and scenario files (`scenario` null), then each scenario's run-time warnings in
//! scenario order (a portfolio: deal by deal, in the portfolio's order). Columns (docs/output.md): `deal`, `scenario`, `check`, `location`, `period`,
//! `payment_date`, `message`.

use polars::prelude::*;

use super::text::string_column;
use crate::error::{Error, Warning};

/// The table's file name (`shard::file_name` gives its path under `--shard`).
pub const WARNINGS_FILE: &str = "warnings.parquet";

/// The table of `load` (the deal's and scenario file's warnings) and `runs` (each scenario's
/// name and its run-time warnings).
pub fn warnings_frame(
    deal: &str,
    load: &[Warning],
    runs: &[(&str, &[Warning])],
) -> Result<DataFrame, Error> {
    let all = load.iter().chain(runs.iter().flat_map(|(_, w)| w.iter()));
    warnings_table(all.map(|w| (deal, w)).collect())
}

/// The table of warnings of several deals (`portfolio`): each row's deal name and warning, in
/// the order given.
pub fn warnings_table(rows: Vec<(&str, &Warning)>) -> Result<DataFrame, Error> {
    let all: Vec<&Warning> = rows.iter().map(|(_, w)| *w).collect();
    let n = all.len();
    let period: Vec<Option<i32>> = all
        .iter()
        .map(|w| w.period.and_then(|(p, _)| i32::try_from(p).ok()))
        .collect();
    let date: Vec<Option<chrono::NaiveDate>> =
        all.iter().map(|w| w.period.map(|(_, d)| d)).collect();
    let columns = vec![
        string_column("deal", rows.iter().map(|(d, _)| Some(*d))),
        string_column("scenario", all.iter().map(|w| w.scenario.as_deref())),
        string_column("check", all.iter().map(|w| Some(w.check.name()))),
        string_column(
            "location",
            all.iter()
                .map(|w| (!w.location.is_empty()).then_some(w.location.as_str())),
        ),
        Column::new("period".into(), period),
        Column::new("payment_date".into(), date),
        string_column("message", all.iter().map(|w| Some(w.message.as_str()))),
    ];
    DataFrame::new(n, columns).map_err(|e| Error::Write {
        path: WARNINGS_FILE.into(),
        message: e.to_string(),
    })
}
