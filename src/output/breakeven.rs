//! The break-even table ([`BreakevenRow`]s) as a DataFrame, a Parquet file and a terminal table.
//!
//! Columns of `breakeven.parquet`, in order (docs/breakeven.md):
//!
//! | column | type |
//! |---|---|
//! | `deal`, `scenario`, `tranche`, `class` | String |
//! | `rating` | String, null when unrated |
//! | `breakeven_default_rate` | Decimal(18, 6): the realised ratio, 6 dp like every ratio |
//! | `breakeven_input_rate` | Decimal(18, 8): the tried rates have 8 dp |
//! | `breakeven_obligors`, `obligor_count` | Int32 |
//! | `target_default_rate` | Decimal(18, 8), null without a TDR |
//! | `pass` | Boolean, null without a TDR |
//! | `runs` | Int32 |
//! | `fails_at_zero`, `passes_at_one` | Boolean |
//! | `breaks_at_rate` | Decimal(18, 8): the failing rate of the final bracket, null when it passes at 1 |
//! | `breaks_on` | Date, `breaks_by` | String (`interest` \| `principal`), `breaks_shortfall` | Decimal(18, 2): what breaks the tranche at that rate |
//!
//! Like the run tables, the writer never rounds: a value that is not exact at its column's scale
//! is refused with [`Error::Write`].

use std::path::{Path, PathBuf};

use polars::prelude::*;
use rust_decimal::Decimal;

use super::parquet::RATIO_SCALE;
use super::table::{column_widths, render_header, render_line};
use super::write_frames;
use crate::analytics::breakeven::{BreakevenRow, RATE_DP};
use crate::error::Error;
use crate::money::percent;

/// File name of the break-even table.
pub const BREAKEVEN_FILE: &str = "breakeven.parquet";

/// Scale of the `breakeven_input_rate` and `target_default_rate` columns.
pub const RATE_SCALE: u32 = RATE_DP;

/// Shown for a value that does not exist (`None`).
const MISSING: &str = "-";

fn frame_error(message: String) -> Error {
    Error::Write {
        path: PathBuf::from(BREAKEVEN_FILE),
        message,
    }
}

/// A nullable Decimal(18, `scale`) column; every value must be exact at `scale`.
fn decimal_column(
    rows: &[BreakevenRow],
    name: &str,
    scale: u32,
    get: impl Fn(&BreakevenRow) -> Option<Decimal>,
) -> Result<Column, Error> {
    super::parquet::decimal_column(BREAKEVEN_FILE, name, scale, rows.iter().map(get), |i| {
        let r = &rows[i];
        format!(
            "deal `{}`, scenario `{}`, tranche `{}` (row {i})",
            r.deal, r.scenario, r.tranche
        )
    })
}

fn int32_column(
    rows: &[BreakevenRow],
    name: &str,
    get: impl Fn(&BreakevenRow) -> u32,
) -> Result<Column, Error> {
    let mut values = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let v = get(r);
        values.push(i32::try_from(v).map_err(|_| {
            frame_error(format!(
                "column `{name}`, row {i}: {v} does not fit a 32-bit signed integer"
            ))
        })?);
    }
    Ok(Column::new(name.into(), values))
}

fn string_column<'a>(
    rows: &'a [BreakevenRow],
    name: &str,
    get: impl Fn(&'a BreakevenRow) -> &'a str,
) -> Column {
    super::text::string_column(name, rows.iter().map(|r| Some(get(r))))
}

/// The break-even table as a DataFrame, one row per [`BreakevenRow`] in the given order, with
/// the columns listed in the module documentation.
pub fn breakeven_frame(rows: &[BreakevenRow]) -> Result<DataFrame, Error> {
    let pass: Vec<Option<bool>> = rows.iter().map(|r| r.pass).collect();
    let fails: Vec<bool> = rows.iter().map(|r| r.fails_at_zero).collect();
    let passes: Vec<bool> = rows.iter().map(|r| r.passes_at_one).collect();
    let columns = vec![
        string_column(rows, "deal", |r| r.deal.as_str()),
        string_column(rows, "scenario", |r| r.scenario.as_str()),
        string_column(rows, "tranche", |r| r.tranche.as_str()),
        string_column(rows, "class", |r| r.class.as_str()),
        super::text::string_column("rating", rows.iter().map(|r| r.rating.as_deref())),
        decimal_column(rows, "breakeven_default_rate", RATIO_SCALE, |r| {
            Some(r.breakeven_default_rate)
        })?,
        decimal_column(rows, "breakeven_input_rate", RATE_SCALE, |r| {
            Some(r.breakeven_input_rate)
        })?,
        int32_column(rows, "breakeven_obligors", |r| r.breakeven_obligors)?,
        int32_column(rows, "obligor_count", |r| r.obligor_count)?,
        decimal_column(rows, "target_default_rate", RATE_SCALE, |r| {
            r.target_default_rate
        })?,
        Column::new("pass".into(), pass),
        int32_column(rows, "runs", |r| r.runs)?,
        Column::new("fails_at_zero".into(), fails),
        Column::new("passes_at_one".into(), passes),
        // What breaks the tranche at the failing end of the bracket (since session 29, review
        // 29b item 7), appended.
        decimal_column(rows, "breaks_at_rate", RATE_SCALE, |r| {
            r.breach.map(|b| b.rate)
        })?,
        Column::new(
            "breaks_on".into(),
            rows.iter()
                .map(|r| r.breach.map(|b| b.date))
                .collect::<Vec<Option<chrono::NaiveDate>>>(),
        ),
        super::text::string_column(
            "breaks_by",
            rows.iter().map(|r| r.breach.map(|b| b.what.name())),
        ),
        decimal_column(rows, "breaks_shortfall", super::parquet::MONEY_SCALE, |r| {
            r.breach.map(|b| b.amount)
        })?,
        // The loss survived in whole obligors, which an unbroken tranche's pass reads (since
        // session 31, review 31c item 1), appended.
        decimal_column(rows, "breakeven_obligor_default_rate", RATIO_SCALE, |r| {
            Some(r.breakeven_obligor_default_rate)
        })?,
        // The smallest whole-obligor loss that breaks the tranche (since session 32, review
        // 32c item 7), appended.
        decimal_column(rows, "breaking_obligor_default_rate", RATIO_SCALE, |r| {
            r.breaking_obligor_default_rate
        })?,
        // The figure the pass reads and its cushion over the TDR (since session 34, review 34e
        // items H2 and M3: a chart drew the realised ratio of an unbroken tranche below its TDR
        // beside its PASS, and the cushion was in no table), appended. Row by row, so that a
        // sharded table is the union of its shards (a tranche's minimum over the scenarios is
        // a query, docs/breakeven.md).
        decimal_column(rows, "pass_default_rate", RATIO_SCALE, |r| {
            Some(r.bdr().rate)
        })?,
        decimal_column(rows, "cushion", RATE_SCALE, |r| {
            r.target_default_rate.map(|t| r.bdr().rate - t)
        })?,
    ];
    DataFrame::new(rows.len(), columns).map_err(|e| frame_error(e.to_string()))
}

/// Writes `dir/breakeven.parquet` and returns its path, with [`super::write_tables`]: the
/// table is built in memory first and written all or nothing. An existing `breakeven.parquet`
/// is replaced (refusing to overwrite is the caller's decision).
pub fn write_breakeven(dir: &Path, rows: &[BreakevenRow]) -> Result<PathBuf, Error> {
    let frame = breakeven_frame(rows).map(|df| vec![(BREAKEVEN_FILE, df)]);
    let mut paths = write_frames(dir, frame)?;
    Ok(paths.pop().unwrap_or_else(|| dir.join(BREAKEVEN_FILE)))
}

/// Percent decimals of the BDR column: the realised ratio has 6 dp.
const BDR_DP: u32 = RATIO_SCALE - 2;
/// Percent decimals of the input-rate column: the tried rates have 8 dp.
const INPUT_DP: u32 = RATE_DP - 2;

/// A readable fixed-width text table of the break-even rows. For each deal (in order of first
/// appearance) a `deal:` line, then one line per (scenario, tranche) in the given order:
///
/// * `BDR`: `breakeven_default_rate` in percent, 4 decimals (`≥` in front when the tranche was
///   paid in full at R = 100%);
/// * `Input R`: `breakeven_input_rate` in percent, 6 decimals;
/// * `Obligors`: `breakeven_obligors/obligor_count`;
/// * `TDR`: `target_default_rate` in percent; `Result`: `PASS`, `FAIL` or `-` without a TDR;
/// * `Note`: `fails with no defaults` or `paid in full at R = 100%` for the flagged rows.
///
/// Then, per tranche of the deal, the minimum BDR over its scenarios and the scenario it came
/// from, with `PASS` only when every scenario passes (a tranche earns its rating when the minimum
/// BDR reaches the TDR). Widths are in terminal cells (a CJK character counts two).
/// Pure: returns the text (ending in a newline) without printing it.
pub fn breakeven_table(rows: &[BreakevenRow]) -> String {
    let header = [
        "Scenario", "Tranche", "Rating", "BDR", "Input R", "Obligors", "TDR", "Result", "Note",
    ];
    let right = [false, false, false, true, true, true, true, false, false];
    let mut out = String::from("Break-even default rates (临界违约率)\n");
    if rows.is_empty() {
        out.push_str("(no rated tranches)\n");
        return out;
    }
    let cells: Vec<[String; 9]> = rows.iter().map(row_cells).collect();
    let widths = column_widths(&header, &cells);

    let mut deals: Vec<&str> = Vec::new();
    for r in rows {
        if !deals.contains(&r.deal.as_str()) {
            deals.push(r.deal.as_str());
        }
    }
    for deal in deals {
        out.push_str(&format!("\ndeal: {deal}\n"));
        out.push_str(&render_header(&header, &widths, &right));
        let mut of_deal: Vec<&BreakevenRow> = Vec::new();
        for (row, line) in rows.iter().zip(&cells) {
            if row.deal == deal {
                out.push_str(&render_line(line, &widths, &right));
                of_deal.push(row);
            }
        }
        out.push_str(&minimum_table(&of_deal));
    }
    // Where the TDRs come from (review 29b item 6: `breakeven` and `rate` gave two TDRs of AAA
    // and neither said why).
    if rows.iter().any(|r| r.target_default_rate.is_some()) {
        out.push_str(
            "\nTDR: the [rating] table's base_default_rate × the rating's multiplier \
             (docs/breakeven.md); `ipabs rate` derives TDRs from a Monte Carlo of the pool \
             instead (docs/rating.md)\n",
        );
    } else if rows.iter().any(|r| r.rating.is_some()) {
        // No row has a TDR (review 48c: "-" in TDR and Result, with no word on why).
        out.push_str(
            "\nTDR: none, so no rating test: the scenarios have no [rating] table, or none with \
             a multiplier for these ratings (base_default_rate and multipliers, \
             docs/scenarios.md); give one in a scenario file (--scenarios FILE), or run `ipabs \
             rate` for TDRs from a Monte Carlo of the pool (docs/rating.md)\n",
        );
    } else {
        // Unrated tranches: a [rating] table gives them no TDR (review 48g: the line above
        // was printed for nanshan, whose A has no rating, under a table that has one).
        out.push_str(
            "\nTDR: none, so no rating test: no tranche shown has a `rating` (docs/deal-format.md, \
             [[tranches]]); a TDR is the [rating] table's for the tranche's rating\n",
        );
    }
    out
}

/// The per-tranche minimum over the scenarios of one deal's rows.
fn minimum_table(rows: &[&BreakevenRow]) -> String {
    let header = ["Tranche", "Rating", "Min BDR", "Scenario", "TDR", "Result"];
    let right = [false, false, true, false, true, false];
    let cells: Vec<[String; 6]> = minima(rows)
        .iter()
        .map(|m| {
            let r = m.first;
            [
                r.tranche.clone(),
                r.rating.clone().unwrap_or_else(|| MISSING.to_string()),
                // `none` when the binding row fails with no defaults (its BDR cell shows 0).
                m.min.bdr().text(),
                m.min.scenario.clone(),
                r.target_default_rate
                    .map_or_else(|| MISSING.to_string(), |t| percent(t, 2)),
                m.pass
                    .map_or_else(|| MISSING.to_string(), |p| pass_fail(p).to_string()),
            ]
        })
        .collect();
    let widths = column_widths(&header, &cells);
    let mut out = String::from(
        "\nminimum over the scenarios (rating test: min BDR >= TDR; a BDR shown ≥ was paid in \
         full at R = 100%: a lower bound, the larger of the realised ratio there and in whole \
         obligors)\n",
    );
    out.push_str(&render_header(&header, &widths, &right));
    for line in &cells {
        out.push_str(&render_line(line, &widths, &right));
    }
    out
}

/// One tranche of one deal over all its scenarios.
struct Minimum<'a> {
    /// Its first row.
    first: &'a BreakevenRow,
    /// Its row with the lowest break-even default rate (the first such).
    min: &'a BreakevenRow,
    /// PASS only if every row passes; None when no row has a TDR.
    pass: Option<bool>,
}

/// Each tranche, in order of first appearance, with its lowest break-even.
fn minima<'a>(rows: &[&'a BreakevenRow]) -> Vec<Minimum<'a>> {
    let mut out: Vec<Minimum<'a>> = Vec::new();
    for &r in rows {
        let pos = out.iter().position(|m| m.first.tranche == r.tranche);
        match pos.and_then(|i| out.get_mut(i)) {
            Some(m) => {
                // A bounded break-even before any unbroken one (`Bdr`'s order).
                if r.bdr() < m.min.bdr() {
                    m.min = r;
                }
                m.pass = match (m.pass, r.pass) {
                    (Some(a), Some(b)) => Some(a && b),
                    (a, b) => a.or(b),
                };
            }
            None => out.push(Minimum {
                first: r,
                min: r,
                pass: r.pass,
            }),
        }
    }
    out
}

fn pass_fail(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

fn row_cells(r: &BreakevenRow) -> [String; 9] {
    // The BDR the pass reads: for a tranche paid in full at R = 100%, the larger of the
    // realised ratios there and in whole obligors (review 31e item 1: the line showed the
    // first beside a PASS the second gave).
    let bdr = percent(r.bdr().rate, BDR_DP);
    // What breaks it (review 29b item 7): at the failing end of the bracket, or with no
    // defaults.
    let breaks = r.breach.map_or_else(String::new, |b| {
        format!(
            "{} {} short on {}",
            b.what.name(),
            super::table::format_money(b.amount),
            b.date
        )
    });
    // A whole-obligor loss within the TDR that breaks the tranche (since session 32).
    let in_obligors = r
        .target_default_rate
        .zip(r.breaking_obligor_default_rate)
        .filter(|&(t, _)| r.breaks_in_obligors(t));
    let note = if r.fails_at_zero {
        // Pool cash the deal never sees (review 34e item M2: a delay stress failed every
        // one-year deal whose legal maturity was its last payment date, and only
        // warnings.parquet said why).
        let lost = r
            .breach
            .filter(|b| b.beyond_horizon > Decimal::ZERO)
            .map_or_else(String::new, |b| {
                format!(
                    "; {} of pool cash (delayed collections, recoveries) arrives after the last \
                     collection period, lost to the deal",
                    super::table::format_money(b.beyond_horizon)
                )
            });
        format!("fails with no defaults: {breaks}{lost}")
    } else if let Some((_, b)) = in_obligors {
        format!(
            "the {} largest obligors defaulting (realised {}) break it, within the TDR",
            r.breakeven_obligors + 1,
            percent(b, BDR_DP)
        )
    } else if let (true, 0, Some(b)) = (
        r.pass.unwrap_or(r.passes_at_one),
        r.breakeven_obligors,
        r.breaking_obligor_default_rate,
    ) {
        // A pass, or without a TDR a tranche paid in full at R = 100%, that rests on the
        // largest obligor's credit (review 32c item 7: a one-debtor pool passed AAA by the
        // curve while the debtor's default broke the senior; review 40d F7: without a TDR
        // the line said only "paid in full at R = 100%").
        let (by, assumes) = match r.pass {
            Some(_) => ("passes by the curve", "the table's TDR"),
            None => ("paid in full at R = 100% by the curve", "the curve"),
        };
        format!(
            "{by}, but its largest obligor's default alone (realised {}) breaks it: {assumes} \
             assumes a granular pool; `ipabs rate` weighs the obligors' PDs and the \
             large-obligor test",
            percent(b, BDR_DP)
        )
    } else if r.passes_at_one {
        "paid in full at R = 100%".to_string()
    } else if let Some(b) = r.breach {
        format!("at {}: {breaks}", percent(b.rate, INPUT_DP))
    } else {
        String::new()
    };
    [
        r.scenario.clone(),
        r.tranche.clone(),
        r.rating.clone().unwrap_or_else(|| MISSING.to_string()),
        if r.passes_at_one {
            format!("≥ {bdr}")
        } else {
            bdr
        },
        percent(r.breakeven_input_rate, INPUT_DP),
        format!("{}/{}", r.breakeven_obligors, r.obligor_count),
        r.target_default_rate
            .map_or_else(|| MISSING.to_string(), |t| percent(t, 2)),
        r.pass
            .map_or_else(|| MISSING.to_string(), |p| pass_fail(p).to_string()),
        note,
    ]
}
