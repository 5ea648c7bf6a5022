//! `scenarios.parquet`: the assumptions of every scenario of a sweep, one row each, so that
//! results can be joined to the parameters that produced them.

use std::path::PathBuf;

use polars::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::deal::Deal;
use crate::error::Error;
use crate::floating::IndexPath;
use crate::scenario::{Override, Scenario};

/// The table's file name (`shard::file_name` gives its path under `--shard`).
pub const SCENARIOS_FILE: &str = "scenarios.parquet";

fn f64_of(d: Decimal) -> f64 {
    // Parameters are inputs of at most 28 digits; as statistics f64 suffices (docs/output.md).
    d.to_f64().unwrap_or(f64::NAN)
}

/// A TOML basic string: `s` quoted, with `\\` and `"` escaped (names are user text).
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A decimal as the text columns state it: exact, without trailing zeros (`0.4`, not the
/// `0.400` a stress's product carries), so that equal values have equal text.
fn exact(v: Decimal) -> String {
    v.normalize().to_string()
}

/// A scenario's `overrides` as the inline tables of its TOML, in rule order, separated by
/// `; ` (values exact, [`exact`]): `{ tag = "industry:biotech", delay = { fraction = 1,
/// months = 6 } }; { obligor = "SME-02", cdr = 0.1 }`. Empty without rules.
fn overrides_text(deal: &Deal, rules: &[Override]) -> String {
    let rule = |r: &Override| {
        let selector = match &r.tag {
            Some((k, v)) => format!("tag = {}", quoted(&format!("{k}:{v}"))),
            None => {
                let name = r
                    .obligors
                    .first()
                    .and_then(|&o| deal.obligors.get(o))
                    .map_or(r.label.as_str(), |o| o.name.as_str());
                format!("obligor = {}", quoted(name))
            }
        };
        let mut keys = vec![selector];
        let mut put = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                keys.push(format!("{k} = {v}"));
            }
        };
        put("cdr", r.cdr.map(exact));
        put("default_rate", r.default_rate.map(exact));
        put("recovery_rate", r.recovery_rate.map(exact));
        put(
            "recovery_lag_months",
            r.recovery_lag_months.map(|v| v.to_string()),
        );
        put(
            "delay",
            r.delay
                .map(|(f, m)| format!("{{ fraction = {}, months = {m} }}", exact(f))),
        );
        put("cpr", r.cpr.map(exact));
        format!("{{ {} }}", keys.join(", "))
    };
    rules.iter().map(rule).collect::<Vec<_>>().join("; ")
}

/// A scenario's own index paths, in file order, separated by `; `: `lpr_5y = 0.04` (flat) or
/// `lpr_1y = 0.036 from 2020-01-01, 0.072 from 2025-01-30` (steps). Empty when it gives none
/// (it then reads the deal file's own `[scenario]` paths).
fn index_paths_text(s: &Scenario) -> String {
    s.indices
        .paths
        .iter()
        .map(|(name, path)| match path {
            IndexPath::Flat(v) => format!("{name} = {}", exact(*v)),
            IndexPath::Steps(steps) => format!(
                "{name} = {}",
                steps
                    .iter()
                    .map(|(d, v)| format!("{} from {d}", exact(*v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `name@date` items separated by `;` (named defaults, support failures), `name` giving the
/// name of an index.
fn at_dates<'a>(
    items: &[(usize, chrono::NaiveDate)],
    name: impl Fn(usize) -> Option<&'a str>,
) -> String {
    spans(items.iter().map(|&(i, d)| (i, d, None)), name)
}

/// `name@date` items, `name@date..until` for one with an end, separated by `;`: [`at_dates`],
/// and a scenario's `events`.
fn spans<'a>(
    items: impl Iterator<Item = (usize, chrono::NaiveDate, Option<chrono::NaiveDate>)>,
    name: impl Fn(usize) -> Option<&'a str>,
) -> String {
    items
        .filter_map(|(i, d, until)| {
            let until = until.map(|u| format!("..{u}")).unwrap_or_default();
            name(i).map(|n| format!("{n}@{d}{until}"))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Builds the table: deal, scenario, cdr, default_rate, default_timing, recovery_rate,
/// recovery_lag_months, delay_fraction, delay_months, cpr, defaulted_obligors, supports_off,
/// index_paths, index_shift, clean_up_call, overrides, support_failures, events, coupon_shift,
/// revolving_yield_cut, purchase_cut, commingling_date, commingling_share.
pub fn scenarios_frame(deal: &Deal, scenarios: &[Scenario]) -> Result<DataFrame, Error> {
    let n = scenarios.len();
    let col = |name: &str, v: Vec<f64>| Column::new(name.into(), v);
    let timing: Vec<String> = scenarios
        .iter()
        .map(|s| {
            s.default_timing
                .iter()
                .map(|v| exact(*v))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let obligor = |o: usize| deal.obligors.get(o).map(|x| x.name.as_str());
    let support = |i: usize| deal.supports.get(i).map(|x| x.name.as_str());
    let defaulted: Vec<String> = scenarios
        .iter()
        .map(|s| at_dates(&s.obligor_defaults, obligor))
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
    let support_failures: Vec<String> = scenarios
        .iter()
        .map(|s| at_dates(&s.support_failures, support))
        .collect();
    let event = |i: usize| deal.events.get(i).map(String::as_str);
    let events: Vec<String> = scenarios
        .iter()
        .map(|s| spans(s.events.iter().map(|e| (e.event, e.from, e.until)), event))
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
        Column::new(
            "index_paths".into(),
            scenarios.iter().map(index_paths_text).collect::<Vec<_>>(),
        ),
        col(
            "index_shift",
            scenarios.iter().map(|s| f64_of(s.indices.shift)).collect(),
        ),
        Column::new(
            "clean_up_call".into(),
            scenarios
                .iter()
                .map(|s| s.clean_up_call)
                .collect::<Vec<bool>>(),
        ),
        Column::new(
            "overrides".into(),
            scenarios
                .iter()
                .map(|s| overrides_text(deal, &s.overrides))
                .collect::<Vec<_>>(),
        ),
        Column::new("support_failures".into(), support_failures),
        Column::new("events".into(), events),
        // Appended (since session 35), so the earlier columns keep their order.
        col(
            "coupon_shift",
            scenarios.iter().map(|s| f64_of(s.coupon_shift)).collect(),
        ),
        // Appended (since session 36), the revolving stresses.
        col(
            "revolving_yield_cut",
            scenarios
                .iter()
                .map(|s| f64_of(s.revolving_yield_cut))
                .collect(),
        ),
        col(
            "purchase_cut",
            scenarios.iter().map(|s| f64_of(s.purchase_cut)).collect(),
        ),
        // Appended, the servicer's failure (混同).
        Column::new(
            "commingling_date".into(),
            scenarios
                .iter()
                .map(|s| s.commingling.map(|c| c.date))
                .collect::<Vec<Option<chrono::NaiveDate>>>(),
        ),
        col(
            "commingling_share",
            scenarios
                .iter()
                .map(|s| s.commingling.map_or(0.0, |c| f64_of(c.share)))
                .collect(),
        ),
    ];
    DataFrame::new(n, columns).map_err(|e| Error::Write {
        path: PathBuf::from(SCENARIOS_FILE),
        message: e.to_string(),
    })
}
