//! Plain CSV copies of the tables (`--csv DIR`, docs/output.md, "CSV, Excel and HTML").
//!
//! One file per table, UTF-8, comma-separated, a header row, `\n` line ends. Money and ratios are
//! written exactly as stored (Decimal columns at their scale, e.g. `1234.50`), dates as
//! `YYYY-MM-DD`, nulls as empty fields, booleans as `true`/`false`. A field holding a comma,
//! quote or line break is quoted, quotes doubled (RFC 4180).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use polars::prelude::*;

use crate::error::Error;

/// `name.parquet` → `name.csv`.
pub fn csv_name(parquet_name: &str) -> String {
    format!("{}.csv", parquet_name.trim_end_matches(".parquet"))
}

/// One cell as text.
pub fn cell(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::Date(_) => v.to_string(),
        AnyValue::Decimal(m, _, scale) => decimal_text(*m, *scale),
        AnyValue::Float64(x) => x.to_string(),
        other => other.to_string(),
    }
}

/// The exact text of mantissa `m` at `scale` (no rounding, trailing zeros kept).
pub fn decimal_text(m: i128, scale: usize) -> String {
    let neg = m < 0;
    let digits = m.unsigned_abs().to_string();
    let body = if scale == 0 {
        digits
    } else if digits.len() > scale {
        let (i, f) = digits.split_at(digits.len() - scale);
        format!("{i}.{f}")
    } else {
        format!("0.{}{digits}", "0".repeat(scale - digits.len()))
    };
    if neg { format!("-{body}") } else { body }
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Writes `df` to `path` as CSV and returns the file, flushed but not yet fsynced: the caller
/// syncs it (not atomic by itself; see [`super::write_tables`]).
pub fn write_csv(path: &Path, df: &DataFrame) -> Result<File, Error> {
    let fail = |message: String| Error::Write {
        path: path.to_path_buf(),
        message,
    };
    let file = super::guard::create_file(path).map_err(|e| fail(e.to_string()))?;
    let mut out = BufWriter::new(file);
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| quote(n.as_str()))
        .collect();
    writeln!(out, "{}", names.join(",")).map_err(|e| fail(e.to_string()))?;
    let columns = df.columns();
    for i in 0..df.height() {
        let mut fields = Vec::with_capacity(columns.len());
        for c in columns {
            let v = c.get(i).map_err(|e| fail(e.to_string()))?;
            fields.push(quote(&cell(&v)));
        }
        writeln!(out, "{}", fields.join(",")).map_err(|e| fail(e.to_string()))?;
    }
    out.flush().map_err(|e| fail(e.to_string()))?;
    out.into_inner().map_err(|e| fail(e.error().to_string()))
}
