//! `ipabs portfolio` output (docs/portfolio.md): `deals.parquet`, the hive-partitioned run
//! tables and the comparison table printed on the terminal.

use std::path::PathBuf;

use polars::prelude::*;
use rust_decimal::Decimal;

use super::parquet::{DECIMAL_PRECISION, MONEY_SCALE, RATIO_SCALE, run_table_frame};
use super::table::{format_money, render_table};
use crate::analytics::breakeven::Bdr;
use crate::analytics::measures::PricedRun;
use crate::analytics::portfolio::{MinCoverage, PortfolioRow};
use crate::engine::result::RunTable;
use crate::error::Error;

/// File name of the deal-level table.
pub const DEALS_FILE: &str = "deals.parquet";

/// The file name of each hive partition.
pub const PART_FILE: &str = "part-0.parquet";

fn frame_error(message: String) -> Error {
    Error::Write {
        path: PathBuf::from(DEALS_FILE),
        message,
    }
}

/// A hive partition value: every byte outside `A–Z a–z 0–9 . _ -` percent-encoded (`%XX`,
/// UTF-8), as Hive, Spark and DuckDB decode it.
pub fn hive_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The most bytes a file or directory name may have (Linux `NAME_MAX`, and most file systems).
pub const NAME_MAX: usize = 255;

/// Why the partition directories of `deal_id` and `scenario` cannot be made: a directory
/// name `deal=…` or `scenario=…` beyond [`NAME_MAX`] bytes once percent-encoded (a byte
/// outside `A–Z a–z 0–9 . _ -` takes 3, a CJK character 9). None when both fit.
pub fn partition_key_problem(deal_id: &str, scenario: &str) -> Option<String> {
    let deal = format!("deal={}", hive_escape(deal_id));
    let scen = format!("scenario={}", hive_escape(scenario));
    if deal.len() > NAME_MAX {
        Some(format!(
            "deal id `{}` (its file's stem) makes the partition directory name `deal=…` {} bytes \
             long once percent-encoded, above the {NAME_MAX} a name may have; give the file a \
             shorter name",
            crate::error::clip(deal_id),
            deal.len()
        ))
    } else if let Some((what, name)) = [("deal id", deal_id), ("scenario", scenario)]
        .into_iter()
        .find(|(_, name)| *name == HIVE_NULL)
    {
        // Made of bytes that need no encoding, it is written as it is, and every hive reader
        // (DuckDB, polars, pyarrow, Spark) reads it back as null (review 47c F2).
        Some(format!(
            "{what} `{name}` is the hive layout's key for null: DuckDB, polars, pyarrow and \
             Spark would read its partition's `{}` column back as null; rename it",
            if what == "deal id" {
                "deal"
            } else {
                "scenario"
            }
        ))
    } else if scen.len() > NAME_MAX {
        // The name clipped (review 33a item L1: a 100,000-character name made a 300 KB line).
        Some(format!(
            "scenario `{}` of deal `{deal_id}` makes the partition directory name \
             `scenario=…` {} bytes long once percent-encoded, above the {NAME_MAX} a name may \
             have; give it a shorter name (a CJK character takes 9 bytes)",
            crate::error::clip(scenario),
            scen.len()
        ))
    } else {
        None
    }
}

/// The partition value a hive reader takes for null.
pub const HIVE_NULL: &str = "__HIVE_DEFAULT_PARTITION__";

/// Two of `names` whose partition directories differ only in case (`scenario=base` and
/// `scenario=Base`): one directory on a case-insensitive file system (macOS and Windows by
/// default), where the second would overwrite the first's files (review 47c F3). The first
/// such pair, in the order given.
pub fn case_collision<'a>(names: &[&'a str]) -> Option<(&'a str, &'a str)> {
    // One pass: a grid's thousands of scenarios are not compared pairwise.
    let mut seen: std::collections::HashMap<String, &'a str> = std::collections::HashMap::new();
    for &name in names {
        match seen.entry(hive_escape(name).to_ascii_lowercase()) {
            std::collections::hash_map::Entry::Occupied(first) if *first.get() != name => {
                return Some((first.get(), name));
            }
            std::collections::hash_map::Entry::Occupied(_) => {}
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(name);
            }
        }
    }
    None
}

/// The relative path of one partition: `TABLE/deal=ID/scenario=NAME/part-0.parquet`, TABLE the
/// table's file name without `.parquet`.
pub fn partition_path(table: RunTable, deal_id: &str, scenario: &str) -> String {
    format!(
        "{}/deal={}/scenario={}/{PART_FILE}",
        table.file().trim_end_matches(".parquet"),
        hive_escape(deal_id),
        hive_escape(scenario)
    )
}

/// The money columns of `periods` that a deal has only with named accounts or a PDL
/// (docs/output.md). Every `periods` partition carries them, null where the deal has none, so
/// that the partitions share one schema and read as one dataset.
pub const PERIODS_OPTIONAL: [&str; 3] =
    ["accounts_balance_end", "pdl_balance_end", "reserve_target"];

/// `df` with every column of [`PERIODS_OPTIONAL`] it lacks added, all null, and those columns
/// last in their order (a deal with a PDL and no named accounts has only the second).
fn with_optional_periods_columns(mut df: DataFrame) -> Result<DataFrame, Error> {
    for name in PERIODS_OPTIONAL {
        if df.column(name).is_err() {
            let nulls = Int128Chunked::full_null(name.into(), df.height())
                .into_decimal(DECIMAL_PRECISION, MONEY_SCALE as usize)
                .map_err(|e| frame_error(format!("column `{name}`: {e}")))?
                .into_series()
                .into_column();
            df.with_column(nulls)
                .map_err(|e| frame_error(format!("column `{name}`: {e}")))?;
        }
    }
    let order: Vec<PlSmallStr> = df
        .get_column_names()
        .into_iter()
        .filter(|c| !PERIODS_OPTIONAL.contains(&c.as_str()))
        .cloned()
        .chain(PERIODS_OPTIONAL.iter().map(|&c| c.into()))
        .collect();
    df.select(order)
        .map_err(|e| frame_error(format!("periods columns: {e}")))
}

/// `df` with a leading String column `deal_id`: `ids[i]` on row i.
pub fn with_deal_id(mut df: DataFrame, ids: &[&str]) -> Result<DataFrame, Error> {
    let col = Column::new("deal_id".into(), ids.to_vec());
    df.insert_column(0, col)
        .map_err(|e| frame_error(format!("column `deal_id`: {e}")))?;
    Ok(df)
}

/// Each run table stacked over every run of every deal, led by `deal_id` (the `--csv` and
/// `--xlsx` copies of a portfolio): the rows of a deal keep its `deal` (its name), and
/// `deal_id` tells apart two deals of one name. `periods` has its optional columns
/// ([`PERIODS_OPTIONAL`]) so that the deals stack.
pub fn stacked_frames(deals: &[(&str, &[PricedRun])]) -> Result<Vec<(String, DataFrame)>, Error> {
    let mut out = Vec::new();
    let scale = portfolio_notices_scale(deals);
    for table in RunTable::ALL {
        let mut stacked: Option<DataFrame> = None;
        for &(id, runs) in deals {
            let mut df = portfolio_table_frame(table, runs, scale)?;
            if table == RunTable::Periods {
                df = with_optional_periods_columns(df)?;
            }
            let ids = vec![id; df.height()];
            let df = with_deal_id(df, &ids)?;
            stacked = Some(match stacked {
                None => df,
                Some(mut all) => {
                    all.vstack_mut(&df)
                        .map_err(|e| frame_error(format!("stacking {}: {e}", table.file())))?;
                    all
                }
            });
        }
        if let Some(df) = stacked {
            out.push((table.file().to_string(), df));
        }
    }
    Ok(out)
}

/// The per-100 scale of a portfolio's `payment_notices`: the largest `[notices] decimals` of
/// its deals, so that every deal's rows share one column type (review 38b item 2: a deal at 2
/// places made a partition that polars would not read with the others').
fn portfolio_notices_scale(deals: &[(&str, &[PricedRun])]) -> u32 {
    super::parquet::notices_scale(deals.iter().flat_map(|(_, runs)| runs.iter()))
}

/// [`run_table_frame`], with the notices' per-100 figures at the portfolio's `scale`.
fn portfolio_table_frame(
    table: RunTable,
    runs: &[PricedRun],
    scale: u32,
) -> Result<DataFrame, Error> {
    match table {
        RunTable::Notices => super::parquet::notices_frame_at(runs, scale),
        _ => run_table_frame(table, runs),
    }
}

/// Every run table of every run, one partition each; the `deal` and `scenario` columns are
/// left out of the files (they are the partition keys). The partitions of a table share one
/// schema: `periods` always has its optional columns ([`PERIODS_OPTIONAL`]).
pub fn hive_frames(deals: &[(&str, &[PricedRun])]) -> Result<Vec<(String, DataFrame)>, Error> {
    let mut out = Vec::new();
    let scale = portfolio_notices_scale(deals);
    for &(id, runs) in deals {
        for r in runs {
            for table in RunTable::ALL {
                let name = partition_path(table, id, &r.scenario);
                let df = portfolio_table_frame(table, std::slice::from_ref(r), scale)
                    .map(|df| df.drop_many(["deal", "scenario"]))
                    .and_then(|df| match table {
                        RunTable::Periods => with_optional_periods_columns(df),
                        _ => Ok(df),
                    })
                    .map_err(|e| match e {
                        Error::Write { message, .. } => Error::Write {
                            path: PathBuf::from(&name),
                            message,
                        },
                        other => other,
                    })?;
                out.push((name, df));
            }
        }
    }
    Ok(out)
}

fn decimal_col(
    rows: &[PortfolioRow],
    name: &str,
    scale: u32,
    get: impl Fn(&PortfolioRow) -> Option<Decimal>,
) -> Result<Column, Error> {
    super::parquet::decimal_column(DEALS_FILE, name, scale, rows.iter().map(get), |i| {
        let r = &rows[i];
        format!(
            "deal `{}`, scenario `{}`, tranche `{}`",
            r.deal_id, r.scenario, r.tranche
        )
    })
}

fn f64_col(
    rows: &[PortfolioRow],
    name: &str,
    get: impl Fn(&PortfolioRow) -> Option<f64>,
) -> Result<Column, Error> {
    let values: Vec<Option<f64>> = rows.iter().map(&get).collect();
    if let Some(x) = values.iter().flatten().find(|x| !x.is_finite()) {
        return Err(frame_error(format!("column `{name}`: {x} is not finite")));
    }
    Ok(Column::new(name.into(), values))
}

fn str_col(
    rows: &[PortfolioRow],
    name: &str,
    get: impl Fn(&PortfolioRow) -> Option<&str>,
) -> Column {
    super::text::string_column(name, rows.iter().map(get))
}

/// `deals.parquet`: one row per deal × scenario × reported tranche (docs/portfolio.md).
pub fn deals_frame(rows: &[PortfolioRow]) -> Result<DataFrame, Error> {
    let money = |name: &str, get: fn(&PortfolioRow) -> Decimal| {
        decimal_col(rows, name, MONEY_SCALE, |r| Some(get(r)))
    };
    let ratio = |name: &str, get: fn(&PortfolioRow) -> Option<Decimal>| {
        decimal_col(rows, name, RATIO_SCALE, get)
    };
    let count: Vec<i32> = rows
        .iter()
        .map(|r| i32::try_from(r.facts.obligor_count).unwrap_or(i32::MAX))
        .collect();
    let flag = |name: &str, get: fn(&PortfolioRow) -> Option<bool>| {
        Column::new(
            name.into(),
            rows.iter().map(get).collect::<Vec<Option<bool>>>(),
        )
    };
    let cov_date: Vec<Option<chrono::NaiveDate>> = rows
        .iter()
        .map(|r| r.min_coverage.map(|m| m.date))
        .collect();
    let columns = vec![
        str_col(rows, "deal_id", |r| Some(r.deal_id.as_str())),
        str_col(rows, "deal_name", |r| Some(r.deal_name.as_str())),
        str_col(rows, "scenario", |r| Some(r.scenario.as_str())),
        money("issue_size", |r| r.facts.issue_size)?,
        money("pool_balance", |r| r.facts.pool_balance)?,
        ratio("over_collateralisation", |r| r.facts.over_collateralisation)?,
        Column::new("obligor_count".into(), count),
        ratio("largest_obligor_share", |r| r.facts.largest_obligor_share)?,
        ratio("top5_obligor_share", |r| r.facts.top5_obligor_share)?,
        ratio("hhi", |r| r.facts.hhi)?,
        str_col(rows, "industry_mix", |r| {
            Some(r.facts.industry_mix.as_str())
        }),
        str_col(rows, "region_mix", |r| Some(r.facts.region_mix.as_str())),
        ratio("wa_coupon", |r| r.facts.wa_coupon)?,
        ratio("wa_term_years", |r| r.facts.wa_term_years)?,
        str_col(rows, "tranche", |r| Some(r.tranche.as_str())),
        str_col(rows, "class", |r| Some(r.class.as_str())),
        str_col(rows, "rating", |r| r.rating.as_deref()),
        money("initial_balance", |r| r.initial_balance)?,
        f64_col(rows, "wal_years", |r| r.wal_years)?,
        f64_col(rows, "yield_at_par", |r| r.yield_at_par)?,
        money("principal_loss", |r| r.principal_loss)?,
        ratio("min_coverage_multiple", |r| {
            r.min_coverage.map(|m| m.multiple)
        })?,
        Column::new("min_coverage_date".into(), cov_date),
        ratio("breakeven_default_rate", |r| r.breakeven_default_rate)?,
        decimal_col(rows, "target_default_rate", 8, |r| r.target_default_rate)?,
        flag("pass", |r| r.pass),
        str_col(rows, "implied_rating", |r| r.implied_rating.as_deref()),
        ratio("support_share_of_senior", |r| r.support_share_of_senior)?,
        flag("passes_at_one", |r| r.passes_at_one),
        flag("fails_at_zero", |r| r.fails_at_zero),
        Column::new(
            "closing_date".into(),
            rows.iter()
                .map(|r| r.facts.closing_date)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "legal_maturity".into(),
            rows.iter()
                .map(|r| r.facts.legal_maturity)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "payment_dates".into(),
            rows.iter()
                .map(|r| i32::try_from(r.facts.payment_dates).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        ),
        ratio("subordination", |r| r.facts.subordination)?,
        Column::new(
            "payment_frequency".into(),
            rows.iter()
                .map(|r| r.facts.payment_frequency)
                .collect::<Vec<Option<&str>>>(),
        ),
        // Since session 31 (review 31c item 1), appended.
        ratio("breakeven_obligor_default_rate", |r| {
            r.breakeven_obligor_default_rate
        })?,
        // Since session 33 (obligor groups), appended.
        ratio("largest_group_share", |r| r.facts.largest_group_share)?,
        Column::new(
            "credit_count".into(),
            rows.iter()
                .map(|r| i32::try_from(r.facts.credit_count).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        ),
    ];
    DataFrame::new(rows.len(), columns).map_err(|e| frame_error(e.to_string()))
}

/// One line per deal: pool, OC, HHI, and for its most senior reported tranche the lowest
/// portfolio coverage multiple over every scenario (the worst scenario, and its date), the
/// lowest BDR and its scenario, the TDR and whether every scenario passes.
pub fn comparison_table(rows: &[PortfolioRow]) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for r in rows {
        if !ids.contains(&r.deal_id.as_str()) {
            ids.push(&r.deal_id);
        }
    }
    let mut lines = Vec::new();
    for id in ids {
        let deal_rows: Vec<&PortfolioRow> = rows.iter().filter(|r| r.deal_id == id).collect();
        let first = deal_rows[0];
        let senior: Vec<&&PortfolioRow> = deal_rows
            .iter()
            .filter(|r| r.tranche == first.tranche)
            .collect();
        let worst = senior
            .iter()
            .filter_map(|r| r.min_coverage.map(|m| (m, &r.scenario)))
            .fold(None, |acc: Option<(MinCoverage, &String)>, x| match acc {
                Some(a) if a.0.multiple <= x.0.multiple => Some(a),
                _ => Some(x),
            });
        // The lowest BDR, `≥` when it is a lower bound (paid in full at R = 1); the pass over
        // the scenarios with a break-even (none under named defaults).
        // And its scenario, the first such (review 34e: the terminal did not say which).
        let min_bdr = senior
            .iter()
            .filter_map(|r| r.bdr().map(|b| (b, &r.scenario)))
            .fold(None, |acc: Option<(Bdr, &String)>, x| match acc {
                Some(a) if a.0 <= x.0 => Some(a),
                _ => Some(x),
            });
        let tested: Vec<bool> = senior.iter().filter_map(|r| r.pass).collect();
        let pass = if tested.is_empty() {
            "-".to_string()
        } else if tested.iter().all(|&p| p) {
            "yes".to_string()
        } else {
            "NO".to_string()
        };
        lines.push(vec![
            id.to_string(),
            format_money(first.facts.pool_balance),
            first
                .facts
                .over_collateralisation
                .map_or("-".into(), |d| format!("{:.3}", d.round_dp(3))),
            first
                .facts
                .hhi
                .map_or("-".into(), |d| format!("{:.4}", d.round_dp(4))),
            format!(
                "{} {}",
                first.tranche,
                first.rating.as_deref().unwrap_or("")
            ),
            senior.len().to_string(),
            worst.map_or("-".into(), |(m, _)| {
                format!("{:.3}", m.multiple.round_dp(3))
            }),
            worst.map_or("-".into(), |(m, s)| format!("{s} ({})", m.date)),
            // As `breakeven` prints them (`Bdr::text`): four places, `≥` for a lower bound,
            // `none` for a tranche not paid in full without defaults.
            min_bdr.map_or_else(|| "-".to_string(), |(b, _)| b.text()),
            min_bdr.map_or_else(|| "-".to_string(), |(_, s)| s.to_string()),
            first
                .target_default_rate
                .map_or_else(|| "-".to_string(), |t| crate::money::percent(t, 2)),
            pass,
        ]);
    }
    render_table(
        &[
            "deal",
            "pool",
            "OC",
            "HHI",
            "tranche",
            "scenarios",
            "min coverage",
            "worst scenario (date)",
            "min BDR",
            "BDR scenario",
            "TDR",
            "pass",
        ],
        &[
            false, true, true, true, false, true, true, false, true, false, true, false,
        ],
        &lines,
    )
}
