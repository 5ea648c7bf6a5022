//! String columns of the output tables, a run of equal values stored once.
//!
//! The tables repeat a name over runs of rows: the deal and scenario of every row of a run,
//! the tranche and class over a tranche's dates. polars' own constructor copies every string
//! longer than 12 bytes (the most a string view holds inline) into the column's buffer, once
//! per row; [`string_column`] copies it once per run, and the rows of the run share one view
//! of it. The values, and so every file written from the column, are the same.

use polars::prelude::{Column, IntoColumn, StringChunked};
use polars_arrow::array::MutableBinaryViewArray;

/// A string column named `name` of `values`, `None` null, each run of equal values stored
/// once.
pub fn string_column<'a>(name: &str, values: impl IntoIterator<Item = Option<&'a str>>) -> Column {
    let values = values.into_iter();
    let mut array = MutableBinaryViewArray::<str>::with_capacity(values.size_hint().0);
    let mut run: Option<(Option<&str>, usize)> = None;
    for value in values {
        match &mut run {
            Some((current, length)) if same(*current, value) => *length += 1,
            _ => {
                if let Some((current, length)) = run.replace((value, 1)) {
                    extend(&mut array, current, length);
                }
            }
        }
    }
    if let Some((current, length)) = run {
        extend(&mut array, current, length);
    }
    StringChunked::with_chunk(name.into(), array.freeze()).into_column()
}

/// Appends `length` copies of `value` (`None`: nulls).
fn extend(array: &mut MutableBinaryViewArray<str>, value: Option<&str>, length: usize) {
    match value {
        // A single value: `push_value` costs less than `extend_constant`'s repeat.
        Some(v) if length == 1 => array.push_value(v),
        Some(v) => array.extend_constant(length, Some(v)),
        // `extend_constant` with `None` extends only the validity (polars-arrow 0.55.2).
        None => array.extend_null(length),
    }
}

/// Whether two values are equal; the same `&str` (one label borrowed by many rows) without
/// reading its bytes.
fn same(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => std::ptr::eq(a, b) || a == b,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column equals polars' own of the same values, with runs, nulls, values longer
    /// than a view holds inline, and an empty input.
    #[test]
    fn equals_polars_own_column() {
        let long = "南山区-高新投知识产权5号资产支持专项计划";
        let cases: Vec<Vec<Option<&str>>> = vec![
            vec![],
            vec![None],
            vec![None, None, Some("A"), Some("A"), None],
            vec![Some("A"), Some("B"), Some("B"), Some("C"), None, Some("C")],
            vec![Some(long); 5],
            vec![
                Some(long),
                Some(long),
                Some("senior"),
                Some("senior"),
                None,
                Some("scenario g[cdr=0.02,recovery_rate=0.5]"),
                Some("scenario g[cdr=0.02,recovery_rate=0.5]"),
                Some(""),
                Some(""),
                Some(long),
            ],
            (0..300)
                .map(|i| Some(if i % 7 < 3 { long } else { "B" }))
                .collect(),
        ];
        for values in cases {
            let ours = string_column("s", values.iter().copied());
            let theirs = Column::new("s".into(), values.clone());
            assert!(
                ours.equals_missing(&theirs),
                "{values:?}: {ours:?} != {theirs:?}"
            );
            assert_eq!(ours.null_count(), theirs.null_count(), "{values:?}");
            assert_eq!(ours.dtype(), theirs.dtype());
        }
    }

    /// A run of a long value is stored once: the column's buffer holds its bytes once.
    #[test]
    fn a_run_is_stored_once() {
        let long = "scenario g[cdr=0.02,recovery_rate=0.5]";
        let column = string_column("s", std::iter::repeat_n(Some(long), 1000));
        let chunk = &column.str().unwrap().chunks()[0];
        let array = chunk
            .as_any()
            .downcast_ref::<polars_arrow::array::Utf8ViewArray>()
            .unwrap();
        assert_eq!(array.total_buffer_len(), long.len());
        assert_eq!(array.total_bytes_len(), 1000 * long.len());
    }
}
