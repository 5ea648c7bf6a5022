//! The patched Parquet writer (vendor/README.md, changes 2 and 3) chooses a column's encoding
//! exactly as polars-parquet 0.55.2 upstream does, and writes the same values.
//!
//! Upstream dictionary-encodes a column when `polars_compute::cast::cast` can pack its values
//! into a dictionary and, for a column of more than 128 values, when
//! `polars_compute::cardinality::estimate_cardinality` (a HyperLogLog) estimates at most 0.75
//! of its length as distinct. The patch builds a string column's dictionary directly and skips
//! the estimate when a bound proves it would be at most 0.75 of the length, and skips both for
//! types the cast cannot pack. Each case below computes upstream's decision with those two
//! polars functions themselves (the oracle), writes the column with ipabs's writer, and checks
//! that the file has a dictionary page exactly when upstream's decision says so, and that the
//! values read back are the ones written. The cases put distinct counts on both sides of the
//! bound: for 400 values the bound admits up to 296 distinct values (vendor/README.md, change
//! 2), for 3,000 values 2,086 (295 and 2,085 with nulls).

use std::fs::File;

use polars::prelude::*;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};

/// What upstream 0.55.2 decides for `column`: dictionary encoding or not.
fn upstream_dictionary(column: &Column) -> bool {
    let array = column
        .as_materialized_series()
        .rechunk()
        .to_arrow(0, CompatLevel::newest());
    let packable = polars_compute::cast::cast(
        array.as_ref(),
        &ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(array.dtype().clone()), false),
        Default::default(),
    )
    .is_ok();
    if !packable {
        return false;
    }
    array.len() <= 128
        || (polars_compute::cardinality::estimate_cardinality(array.as_ref()) as f64)
            / (array.len() as f64)
            <= 0.75
}

/// Writes `column` alone with ipabs's writer; returns whether its chunk has a dictionary page,
/// after checking that the column read back equals it.
fn written_dictionary(column: &Column) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut df = DataFrame::new(column.len(), vec![column.clone()]).unwrap();
    ipabs::output::parquet::write_parquet(&path, &mut df).unwrap();
    let mut reader = ParquetReader::new(File::open(&path).unwrap());
    let metadata = reader.get_metadata().unwrap().clone();
    let back = ParquetReader::new(File::open(&path).unwrap())
        .finish()
        .unwrap();
    assert!(
        back.equals_missing(&df),
        "{}: the values read back differ",
        column.name()
    );
    metadata.row_groups[0].parquet_columns()[0]
        .dictionary_page_offset()
        .is_some()
}

/// `len` strings with `distinct` values: in runs (each value repeated consecutively) or in turn
/// (`i % distinct`); every `null_every`-th one null (0: none). Every third value is longer than
/// the 12 bytes a view holds inline.
fn strings(len: usize, distinct: usize, runs: bool, null_every: usize) -> Column {
    let values: Vec<Option<String>> = (0..len)
        .map(|i| {
            if null_every > 0 && i % null_every == null_every - 1 {
                return None;
            }
            let v = if runs {
                i * distinct / len
            } else {
                i % distinct
            };
            Some(if v % 3 == 0 {
                format!("scenario g[cdr={v},recovery_rate=0.5]")
            } else {
                format!("s{v}")
            })
        })
        .collect();
    Column::new("s".into(), values)
}

#[test]
fn string_columns_are_encoded_as_upstream_decides() {
    let mut checked = 0;
    let mut both = [0usize; 2];
    for (len, distincts) in [
        (50usize, &[1usize, 7, 37, 50][..]),
        (129, &[1, 2, 90, 94, 95, 96, 97, 100, 129][..]),
        (
            400,
            &[
                1, 2, 5, 150, 280, 290, 295, 296, 297, 300, 302, 310, 350, 400,
            ][..],
        ),
        (
            3000,
            &[3, 1001, 2000, 2085, 2086, 2087, 2200, 2250, 2300, 3000][..],
        ),
    ] {
        for &distinct in distincts {
            for runs in [true, false] {
                for null_every in [0, 7] {
                    let column = strings(len, distinct, runs, null_every);
                    let expected = upstream_dictionary(&column);
                    assert_eq!(
                        written_dictionary(&column),
                        expected,
                        "{len} values, {distinct} distinct, runs {runs}, a null every \
                         {null_every}: dictionary should be {expected}"
                    );
                    both[usize::from(expected)] += 1;
                    checked += 1;
                }
            }
        }
    }
    // 37 distinct counts, each in runs and in turn, with and without nulls.
    assert_eq!(checked, 148, "every case ran");
    // The cases cover both decisions.
    assert!(both[0] > 0 && both[1] > 0, "{both:?}");
}

#[test]
fn columns_the_cast_cannot_pack_are_written_plainly_as_upstream_writes_them() {
    // Decimals and floats: upstream estimates, then the cast to a dictionary fails, and the
    // column is written plainly; the patch skips both. Integers take polars' own min-max
    // path, untouched, and are dictionary-encoded (as the oracle's cast and estimate say).
    let len: i32 = 1000;
    let repeated: Vec<i128> = (0..len).map(|i| i128::from(i % 3) * 12_345).collect();
    let decimal = Column::new("d".into(), repeated)
        .cast(&DataType::Decimal(18, 2))
        .unwrap();
    let float = Column::new(
        "f".into(),
        (0..len).map(|i| f64::from(i % 3)).collect::<Vec<_>>(),
    );
    let int = Column::new("i".into(), (0..len).map(|i| i % 3).collect::<Vec<_>>());
    for (column, dictionary) in [(decimal, false), (float, false), (int, true)] {
        assert_eq!(
            upstream_dictionary(&column),
            dictionary,
            "{}",
            column.name()
        );
        assert_eq!(written_dictionary(&column), dictionary, "{}", column.name());
    }
}
