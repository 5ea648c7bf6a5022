//! Excel workbooks (`--xlsx FILE`, docs/output.md, "Excel workbooks").
//!
//! A summary sheet first (`overview`) (what ran, and each table's row count), then one sheet per table with
//! a frozen header row. Money columns (`Decimal(18, 2)`) are numbers formatted to the fen
//! (`#,##0.00`); other decimal columns numbers formatted to their scale; dates are
//! Excel dates (`yyyy-mm-dd`); nulls are empty cells. Excel stores every number as an `f64`:
//! amounts below 2^53 fen (≈ 90 万亿 yuan) are exact to the fen there; the Parquet files stay
//! the exact record.

use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::error::Error;

/// Name of the first sheet: the summary of the workbook (`summary` is the name of a table).
pub const OVERVIEW_SHEET: &str = "overview";

/// The creation time written into every workbook (`docProps/core.xml`): 1980-01-01 00:00:00
/// UTC, the earliest time a zip entry can hold and the one `rust_xlsxwriter` gives every entry
/// of the package. A fixed time keeps the workbook a function of its input alone: the same
/// command writes the same bytes on every run (docs/output.md, "Excel workbooks").
const CREATED: (u16, u8, u8) = (1980, 1, 1);

/// Longest sheet name Excel accepts.
const MAX_SHEET_NAME: usize = 31;

fn xerr(path: &Path, e: &XlsxError) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The sheet name of a table file: `summary.parquet` → `summary`.
pub fn sheet_name(file: &str) -> String {
    let base = file
        .trim_end_matches(".parquet")
        .replace(['[', ']', ':', '*', '?', '/', '\\'], "_");
    base.chars().take(MAX_SHEET_NAME).collect()
}

/// Rows of an Excel sheet, the header row included (Excel's limit, 2^20).
pub const MAX_SHEET_ROWS: usize = 1 << 20;

fn date_of(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days.into()))
}

/// The number of a Decimal mantissa at `scale`, for display (Excel has no decimal type).
fn decimal_number(m: i128, scale: usize) -> f64 {
    // The text round trip gives the f64 nearest to the exact decimal.
    super::csv::decimal_text(m, scale)
        .parse()
        .unwrap_or(f64::NAN)
}

/// Whether column `name` holds a rate, ratio, share or probability as a fraction: the workbook
/// shows it as a percentage (the cell's value stays the fraction; review 35b item F3: every
/// printed report said 3.854% where the workbook showed 0.038544818). By name: the suffixes
/// `_rate`, `_ratio`, `_share`, `_probability`, `_fraction`, `_cut`, `_shift`, `_of_senior`,
/// and the fractions named otherwise. Multiples (`coverage_multiple`,
/// `over_collateralisation`), `hhi`, years and amounts are not.
pub fn percent_column(name: &str) -> bool {
    const SUFFIXES: [&str; 8] = [
        "_rate",
        "_ratio",
        "_share",
        "_probability",
        "_fraction",
        "_cut",
        "_shift",
        "_of_senior",
    ];
    const NAMES: [&str; 14] = [
        "coupon",
        "wa_coupon",
        "cdr",
        "cpr",
        "cushion",
        "yield",
        "yield_at_par",
        "spread",
        "probability",
        "expected_loss",
        "standalone_expected_loss",
        "subordination",
        "tdr_low",
        "tdr_high",
    ];
    SUFFIXES.iter().any(|s| name.ends_with(s)) || NAMES.contains(&name) || name == "pd_at_term"
}

/// The percentage format of a fraction stored with `scale` places (every stored digit shown:
/// 6 places are a percentage with 4), or, for a float, at least 2 places and up to 12 as the
/// value needs (`0.00##########%`: a probability of 9.4793e-05 shows 0.0094793%; review 36d
/// item M2: a fixed 4 showed it as 0.0095%).
fn percent_format(scale: Option<usize>) -> Format {
    let format = match scale {
        None => "0.00##########%".to_string(),
        Some(s) if s <= 2 => "0%".to_string(),
        Some(s) => format!("0.{}%", "0".repeat(s - 2)),
    };
    Format::new().set_num_format(format)
}

fn write_frame(ws: &mut Worksheet, df: &DataFrame, path: &Path) -> Result<(), Error> {
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let e = |x: XlsxError| xerr(path, &x);
    for (c, col) in df.columns().iter().enumerate() {
        // A decimal column shows all its places: money `#,##0.00`, ratios `0.000000`, a
        // target default rate `0.00000000`, a figure per 100 `0.0000`.
        let percent = percent_column(col.name().as_str());
        let places = match col.dtype() {
            DataType::Decimal(_, s) if percent => Some(percent_format(Some(*s))),
            DataType::Decimal(_, s) if *s != 2 => {
                Some(Format::new().set_num_format(format!("0.{}", "0".repeat(*s))))
            }
            _ => None,
        };
        let float_percent = percent.then(|| percent_format(None));
        let c = u16::try_from(c).map_err(|_| Error::Write {
            path: path.to_path_buf(),
            message: "too many columns for a sheet".into(),
        })?;
        ws.write_string_with_format(0, c, col.name().as_str(), &bold)
            .map_err(e)?;
        // The widest cell shown, in character widths (review 35b item F2: widths from the
        // header alone showed amounts of 1亿 and more as `########`, and cut deal names).
        let mut widest = col.name().len();
        for i in 0..df.height() {
            let r = u32::try_from(i + 1).map_err(|_| Error::Write {
                path: path.to_path_buf(),
                message: "too many rows for a sheet".into(),
            })?;
            let v = col.get(i).map_err(|x| Error::Write {
                path: path.to_path_buf(),
                message: x.to_string(),
            })?;
            match v {
                AnyValue::Null => {}
                AnyValue::String(s) => {
                    widest = widest.max(text_width(s));
                    ws.write_string(r, c, s).map_err(e)?;
                }
                AnyValue::StringOwned(s) => {
                    widest = widest.max(text_width(s.as_str()));
                    ws.write_string(r, c, s.as_str()).map_err(e)?;
                }
                AnyValue::Boolean(b) => {
                    ws.write_boolean(r, c, b).map_err(e)?;
                }
                AnyValue::Decimal(m, _, scale) => {
                    widest = widest.max(number_width(m, scale));
                    let f = places.as_ref().unwrap_or(&money);
                    ws.write_number_with_format(r, c, decimal_number(m, scale), f)
                        .map_err(e)?;
                }
                AnyValue::Date(days) => {
                    if let Some(d) = date_of(days) {
                        let x = ExcelDateTime::parse_from_str(&d.to_string()).map_err(e)?;
                        ws.write_datetime_with_format(r, c, &x, &date).map_err(e)?;
                    }
                }
                AnyValue::Float64(x) => match &float_percent {
                    Some(f) => {
                        widest = widest.max(x.to_string().len().min(11));
                        ws.write_number_with_format(r, c, x, f).map_err(e)?;
                    }
                    None => {
                        // Excel's General format shows at most 11 characters of a number.
                        widest = widest.max(x.to_string().len().min(11));
                        ws.write_number(r, c, x).map_err(e)?;
                    }
                },
                AnyValue::Int32(x) => {
                    ws.write_number(r, c, f64::from(x)).map_err(e)?;
                }
                // Months (`scenarios.parquet`): numbers too, not text.
                AnyValue::UInt32(x) => {
                    ws.write_number(r, c, f64::from(x)).map_err(e)?;
                }
                AnyValue::Int64(x) => {
                    // Row counts and ids: far below 2^53.
                    ws.write_number(r, c, x as f64).map_err(e)?;
                }
                other => {
                    ws.write_string(r, c, other.to_string()).map_err(e)?;
                }
            }
        }
        ws.set_column_width(c, column_width(widest)).map_err(e)?;
    }
    ws.set_freeze_panes(1, 0).map_err(e)?;
    Ok(())
}

/// Most character widths a column is made: a longer text is cut at the next filled cell, as
/// Excel shows it, rather than widen the sheet past a screen.
const MAX_COLUMN_WIDTH: usize = 60;

/// A column's width in Excel's character units: its widest cell ([`text_width`],
/// [`number_width`]) and two more, at least 12, at most [`MAX_COLUMN_WIDTH`] and two.
fn column_width(widest: usize) -> f64 {
    (widest.min(MAX_COLUMN_WIDTH) + 2).max(12) as f64
}

/// The width a text takes: two for a CJK (wide) character, one for any other.
fn text_width(s: &str) -> usize {
    s.chars()
        .map(|ch| match u32::from(ch) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// The width a Decimal mantissa at `scale` takes as its format shows it: its digits, sign and
/// point, and for money (`#,##0.00`) a separator every three integer digits.
fn number_width(m: i128, scale: usize) -> usize {
    let text = super::csv::decimal_text(m, scale);
    let int_digits = text
        .trim_start_matches('-')
        .split('.')
        .next()
        .map_or(0, str::len);
    let separators = if scale == 2 {
        int_digits.saturating_sub(1) / 3
    } else {
        0
    };
    text.len() + separators
}

/// Writes a workbook to `path`: an `overview` sheet (the `info` lines, then each table's name
/// and row count), then one sheet per table. Atomic: written to a temporary file beside `path`
/// and renamed into place.
pub fn write_xlsx<N: AsRef<str>>(
    path: &Path,
    info: &[(String, String)],
    tables: &[(N, DataFrame)],
) -> Result<(), Error> {
    let e = |x: XlsxError| xerr(path, &x);
    // A sheet holds 1,048,576 rows, the header one of them: refused before anything is made.
    if let Some((name, df)) = tables.iter().find(|(_, df)| df.height() >= MAX_SHEET_ROWS) {
        return Err(Error::Write {
            path: path.to_path_buf(),
            message: format!(
                "table `{}` has {} rows, and an Excel sheet holds {} below its header; the \
                 Parquet files hold every row: use --csv for a plain-text copy, or fewer \
                 scenarios",
                sheet_name(name.as_ref()),
                df.height(),
                MAX_SHEET_ROWS - 1
            ),
        });
    }
    let mut wb = Workbook::new();
    let (y, m, d) = CREATED;
    let created = ExcelDateTime::from_ymd(y, m, d).map_err(e)?;
    wb.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    {
        let ws = wb.add_worksheet();
        ws.set_name(OVERVIEW_SHEET).map_err(e)?;
        ws.set_column_width(0, 24).map_err(e)?;
        ws.set_column_width(1, 60).map_err(e)?;
        ws.write_string_with_format(0, 0, "item", &bold)
            .map_err(e)?;
        ws.write_string_with_format(0, 1, "value", &bold)
            .map_err(e)?;
        let mut r = 1u32;
        for (k, v) in info {
            ws.write_string(r, 0, k).map_err(e)?;
            ws.write_string(r, 1, v).map_err(e)?;
            r += 1;
        }
        for (name, df) in tables {
            ws.write_string(r, 0, format!("sheet {}", sheet_name(name.as_ref())))
                .map_err(e)?;
            ws.write_string(r, 1, format!("{} rows", df.height()))
                .map_err(e)?;
            r += 1;
        }
        ws.set_freeze_panes(1, 0).map_err(e)?;
    }
    for (name, df) in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(name.as_ref())).map_err(e)?;
        write_frame(ws, df, path)?;
    }
    super::write_file(path, |f| wb.save_to_writer(f).map_err(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns shown as percentages (docs/output.md, "Excel workbooks"): fractions by
    /// name, not the multiples and years beside them.
    #[test]
    fn rates_and_shares_are_percentages_multiples_are_not() {
        for name in [
            "coupon",
            "cumulative_default_ratio",
            "breakeven_input_rate",
            "largest_obligor_share",
            "default_probability",
            "defaulted_fraction",
            "purchase_cut",
            "index_shift",
            "support_share_of_senior",
            "yield_at_par",
            "pd_at_term",
        ] {
            assert!(percent_column(name), "{name}");
        }
        for name in [
            "coverage_multiple",
            "min_coverage_multiple",
            "over_collateralisation",
            "hhi",
            "wal_years",
            "interest_per_100",
            "total",
        ] {
            assert!(!percent_column(name), "{name}");
        }
    }

    /// Column widths from what the cells show (review 35b item F2), by hand: 196,000,000.00 is
    /// 12 characters and 2 separators, 14; -1,234.5678 at 4 places is 10 (no separators
    /// outside money); 南山区 is 6 wide, "A1" 2; a column is its widest cell and 2, at least
    /// 12 and at most 62.
    #[test]
    fn a_column_is_as_wide_as_its_widest_cell() {
        assert_eq!(number_width(19_600_000_000, 2), 14);
        assert_eq!(number_width(-12_345_678, 4), 10);
        assert_eq!(number_width(-100, 2), 5);
        assert_eq!(text_width("南山区"), 6);
        assert_eq!(text_width("A1"), 2);
        assert_eq!(column_width(14), 16.0);
        assert_eq!(column_width(3), 12.0);
        assert_eq!(column_width(500), 62.0);
    }

    /// Two workbooks of the same tables written more than a second apart have the same bytes:
    /// the creation time is fixed, not the clock's (it was the clock's, to the second).
    #[test]
    fn the_same_tables_give_the_same_bytes_at_any_time() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let df = df!("scenario" => ["base", "cdr5"], "periods" => [12i64, 12]).expect("frame");
        let info = vec![("command".to_string(), "test".to_string())];
        let tables = [("summary.parquet", df)];
        let a = dir.path().join("a.xlsx");
        let b = dir.path().join("b.xlsx");
        write_xlsx(&a, &info, &tables).expect("first workbook");
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        write_xlsx(&b, &info, &tables).expect("second workbook");
        let (a, b) = (std::fs::read(a).expect("a"), std::fs::read(b).expect("b"));
        assert!(!a.is_empty());
        assert!(a == b, "the workbooks differ");
    }

    /// A table of 2^20 rows does not fit a sheet below its header (2^20 rows in all): refused
    /// with the table's name and size before the workbook is made; one row fewer fits the
    /// check.
    #[test]
    fn a_table_beyond_a_sheet_is_refused_by_name() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("big.xlsx");
        let rows = |n: usize| df!("period" => vec![1i32; n]).expect("frame");
        let err = write_xlsx(&path, &[], &[("pool_flows.parquet", rows(MAX_SHEET_ROWS))])
            .expect_err("too many rows");
        let text = err.to_string();
        assert!(
            text.contains("table `pool_flows` has 1048576 rows") && text.contains("1048575"),
            "{text}"
        );
        assert!(!path.exists());
    }
}
