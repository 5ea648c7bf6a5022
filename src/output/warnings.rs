//! `warnings.parquet`: every warning of a sweep or a break-even run, so that a warning printed
//! on the terminal is still found afterwards. One row per warning: first those of the deal
//! and scenario files (`scenario` null), then each scenario's run-time warnings in scenario
//! order. Columns (docs/output.md): `deal`, `scenario`, `check`, `location`, `period`,
//! `payment_date`, `message`.

use polars::prelude::*;

use crate::error::{Error, Warning};

pub const WARNINGS_FILE: &str = "warnings.parquet";

/// The table of `load` (the deal's and scenario file's warnings) and `runs` (each scenario's
/// name and its run-time warnings).
pub fn warnings_frame(
    deal: &str,
    load: &[Warning],
    runs: &[(&str, &[Warning])],
) -> Result<DataFrame, Error> {
    let all: Vec<&Warning> = load
        .iter()
        .chain(runs.iter().flat_map(|(_, w)| w.iter()))
        .collect();
    let n = all.len();
    let scenario: Vec<Option<&str>> = all.iter().map(|w| w.scenario.as_deref()).collect();
    let check: Vec<&str> = all.iter().map(|w| w.check.name()).collect();
    let location: Vec<Option<&str>> = all
        .iter()
        .map(|w| (!w.location.is_empty()).then_some(w.location.as_str()))
        .collect();
    let period: Vec<Option<i32>> = all
        .iter()
        .map(|w| w.period.and_then(|(p, _)| i32::try_from(p).ok()))
        .collect();
    let date: Vec<Option<chrono::NaiveDate>> =
        all.iter().map(|w| w.period.map(|(_, d)| d)).collect();
    let message: Vec<&str> = all.iter().map(|w| w.message.as_str()).collect();
    let columns = vec![
        Column::new("deal".into(), vec![deal; n]),
        Column::new("scenario".into(), scenario),
        Column::new("check".into(), check),
        Column::new("location".into(), location),
        Column::new("period".into(), period),
        Column::new("payment_date".into(), date),
        Column::new("message".into(), message),
    ];
    DataFrame::new(n, columns).map_err(|e| Error::Write {
        path: WARNINGS_FILE.into(),
        message: e.to_string(),
    })
}
