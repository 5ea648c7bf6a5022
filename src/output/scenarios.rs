//! `scenarios.parquet`: the assumptions of every scenario of a sweep, one row each, so that
//! results can be joined to the parameters that produced them.

use std::path::PathBuf;

use polars::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::deal::Deal;
use crate::error::Error;
use crate::scenario::Scenario;

pub const SCENARIOS_FILE: &str = "scenarios.parquet";

fn f64_of(d: Decimal) -> f64 {
    // Parameters are inputs of at most 28 digits; as statistics f64 suffices (docs/output.md).
    d.to_f64().unwrap_or(f64::NAN)
}

/// Builds the table: deal, scenario, cdr, default_rate, default_timing, recovery_rate,
/// recovery_lag_months, delay_fraction, delay_months, cpr, defaulted_obligors, supports_off.
pub fn scenarios_frame(deal: &Deal, scenarios: &[Scenario]) -> Result<DataFrame, Error> {
    let n = scenarios.len();
    let col = |name: &str, v: Vec<f64>| Column::new(name.into(), v);
    let timing: Vec<String> = scenarios
        .iter()
        .map(|s| {
            s.default_timing
                .iter()
                .map(Decimal::to_string)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let defaulted: Vec<String> = scenarios
        .iter()
        .map(|s| {
            s.obligor_defaults
                .iter()
                .filter_map(|(o, d)| deal.obligors.get(*o).map(|ob| format!("{}@{d}", ob.name)))
                .collect::<Vec<_>>()
                .join(";")
        })
        .collect();
    let supports_off: Vec<String> = scenarios
        .iter()
        .map(|s| {
            s.supports_off
                .iter()
                .filter_map(|i| deal.supports.get(*i).map(|x| x.name.clone()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let columns = vec![
        Column::new("deal".into(), vec![deal.name.as_str(); n]),
        Column::new(
            "scenario".into(),
            scenarios
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
        ),
        col("cdr", scenarios.iter().map(|s| f64_of(s.cdr)).collect()),
        col(
            "default_rate",
            scenarios.iter().map(|s| f64_of(s.default_rate)).collect(),
        ),
        Column::new("default_timing".into(), timing),
        col(
            "recovery_rate",
            scenarios.iter().map(|s| f64_of(s.recovery_rate)).collect(),
        ),
        Column::new(
            "recovery_lag_months".into(),
            scenarios
                .iter()
                .map(|s| s.recovery_lag_months)
                .collect::<Vec<u32>>(),
        ),
        col(
            "delay_fraction",
            scenarios.iter().map(|s| f64_of(s.delay_fraction)).collect(),
        ),
        Column::new(
            "delay_months".into(),
            scenarios
                .iter()
                .map(|s| s.delay_months)
                .collect::<Vec<u32>>(),
        ),
        col("cpr", scenarios.iter().map(|s| f64_of(s.cpr)).collect()),
        Column::new("defaulted_obligors".into(), defaulted),
        Column::new("supports_off".into(), supports_off),
    ];
    DataFrame::new(n, columns).map_err(|e| Error::Write {
        path: PathBuf::from(SCENARIOS_FILE),
        message: e.to_string(),
    })
}
