//! The run tables as polars [`DataFrame`]s, and the Parquet writer.
//!
//! One function per table ([`RunTable`]) turns a slice of [`PricedRun`]s into a DataFrame: the
//! runs are stacked in the given order, each row keeps its position in the run's vector, and
//! every table starts with the `deal` and `scenario` columns. The other column names are exactly
//! the Rust field names in [`crate::engine::result`]; `summary.parquet` adds those of
//! [`TranchePricing`] after `min_coverage_multiple`. Column types (see docs/output.md):
//!
//! * money: `Decimal(18, 2)` (Parquet INT64 decimal). Every amount must be a whole number of fen
//!   and smaller than 10^16 in absolute value, or the table is refused: the writer never rounds.
//! * ratios (coverage multiples, default ratio, coupon): `Decimal(18, 6)`, null where `None`; the
//!   same exactness check at six places, and smaller than 10^12.
//! * `f64` statistics (WAL, yield): `Float64`, null where `None`; NaN and infinities are refused.
//! * `period`, `step`: `Int32`; dates: `Date`; names and labels: `String`.
//!
//! A table that cannot be built returns [`Error::Write`] whose path is the table's file name
//! (e.g. `tranche_flows.parquet`); [`super::write_run_tables`] replaces it by the full path.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Deref;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::polars_utils::compression::ZstdLevel;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::text::string_column;
use crate::analytics::measures::{PricedRun, TranchePricing};
use crate::engine::result::{
    ChargeRow, LedgerEntry, NoticeRow, PeriodRow, RunResult, RunTable, SupportDrawTotal,
    TrancheFlowRow, TrancheSummary,
};
use crate::error::Error;
use crate::label::Label;
use crate::pool::FlowAmounts;

/// File name of the tranche cash-flow table.
pub const TRANCHE_FLOWS_FILE: &str = RunTable::TrancheFlows.file();
/// File name of the pool (per-obligor) cash-flow table.
pub const POOL_FLOWS_FILE: &str = RunTable::PoolFlows.file();
/// File name of the audit ledger.
pub const LEDGER_FILE: &str = RunTable::Ledger.file();
/// File name of the per-payment-date table.
pub const PERIODS_FILE: &str = RunTable::Periods.file();
/// File name of the per-tranche summary.
pub const SUMMARY_FILE: &str = RunTable::Summary.file();
/// File name of the credit-support draw totals.
pub const SUPPORT_FILE: &str = RunTable::Support.file();

/// File name of the fee and tax table.
pub const FEES_FILE: &str = RunTable::Charges.file();
/// File name of the payment notices table.
pub const NOTICES_FILE: &str = RunTable::Notices.file();

/// Precision of every Decimal column.
pub const DECIMAL_PRECISION: usize = 18;
/// Scale of money columns (yuan, to the fen).
pub const MONEY_SCALE: u32 = 2;
/// Scale of ratio columns.
pub const RATIO_SCALE: u32 = 6;

/// The zstd level of every file.
const ZSTD_LEVEL: i32 = 3;

/// One row of one table, with where it came from (for error messages).
struct Row<'a, T> {
    run: &'a RunResult,
    /// 0-based position in the run's vector.
    index: usize,
    row: &'a T,
}

/// Every row of one table, runs in order.
fn stack<'a, T>(runs: &'a [PricedRun], rows: impl Fn(&'a RunResult) -> &'a [T]) -> Vec<Row<'a, T>> {
    runs.iter()
        .map(|p| &p.run)
        .flat_map(|run| {
            rows(run)
                .iter()
                .enumerate()
                .map(move |(index, row)| Row { run, index, row })
        })
        .collect()
}

/// Builds the columns of one table, remembering the table's file name for errors.
struct Table<'a, 'r, T> {
    file: &'static str,
    rows: &'r [Row<'a, T>],
    columns: Vec<Column>,
}

impl<'a, 'r, T> Table<'a, 'r, T> {
    /// Starts a table with its `deal` and `scenario` columns.
    fn new(file: &'static str, rows: &'r [Row<'a, T>]) -> Self {
        let mut table = Table {
            file,
            rows,
            columns: Vec::new(),
        };
        table.string("deal", |r| r.run.deal.as_str());
        table.string("scenario", |r| r.run.scenario.as_str());
        table
    }

    fn error(&self, column: &str, row: &Row<'a, T>, message: String) -> Error {
        Error::Write {
            path: PathBuf::from(self.file),
            message: format!(
                "column `{column}`, deal `{}`, scenario `{}`, row {} of the run: {message}",
                row.run.deal, row.run.scenario, row.index
            ),
        }
    }

    /// A figure that does not fit its Decimal column of `scale` places ([`unfit_error`]), in
    /// `row` of the run.
    fn unfit(&self, column: &str, row: &Row<'a, T>, unfit: Unfit, scale: u32) -> Error {
        let at = format!(
            "column `{column}`, deal `{}`, scenario `{}`, row {} of the run",
            row.run.deal, row.run.scenario, row.index
        );
        unfit_error(self.file, &at, unfit, scale)
    }

    /// A string column; `get` sees the whole row (the run's deal and scenario too).
    fn string(&mut self, name: &str, get: impl Fn(&Row<'a, T>) -> &'a str) {
        let values = self.rows.iter().map(|r| Some(get(r)));
        self.columns.push(string_column(name, values));
    }

    fn opt_string(&mut self, name: &str, get: impl Fn(&'a T) -> Option<&'a str>) {
        let values = self.rows.iter().map(|r| get(r.row));
        self.columns.push(string_column(name, values));
    }

    fn int32(&mut self, name: &str, get: impl Fn(&T) -> u32) -> Result<(), Error> {
        let mut values = Vec::with_capacity(self.rows.len());
        for r in self.rows {
            let v = get(r.row);
            let v = i32::try_from(v).map_err(|_| {
                self.error(name, r, format!("{v} does not fit a 32-bit signed integer"))
            })?;
            values.push(v);
        }
        self.columns.push(Column::new(name.into(), values));
        Ok(())
    }

    fn int64(&mut self, name: &str, get: impl Fn(&T) -> i64) {
        let values: Vec<i64> = self.rows.iter().map(|r| get(r.row)).collect();
        self.columns.push(Column::new(name.into(), values));
    }

    fn bool(&mut self, name: &str, get: impl Fn(&T) -> bool) {
        let values: Vec<bool> = self.rows.iter().map(|r| get(r.row)).collect();
        self.columns.push(Column::new(name.into(), values));
    }

    fn date(&mut self, name: &str, get: impl Fn(&T) -> NaiveDate) {
        let values: Vec<NaiveDate> = self.rows.iter().map(|r| get(r.row)).collect();
        self.columns.push(Column::new(name.into(), values));
    }

    fn opt_date(&mut self, name: &str, get: impl Fn(&T) -> Option<NaiveDate>) {
        let values: Vec<Option<NaiveDate>> = self.rows.iter().map(|r| get(r.row)).collect();
        self.columns.push(Column::new(name.into(), values));
    }

    fn opt_f64(&mut self, name: &str, get: impl Fn(&T) -> Option<f64>) -> Result<(), Error> {
        let mut values = Vec::with_capacity(self.rows.len());
        for r in self.rows {
            let v = get(r.row);
            if let Some(x) = v
                && !x.is_finite()
            {
                return Err(self.error(name, r, format!("{x} is not a finite number")));
            }
            values.push(v);
        }
        self.columns.push(Column::new(name.into(), values));
        Ok(())
    }

    /// A nullable Decimal(18, `scale`) column; every value must be exact at `scale`.
    fn decimal(
        &mut self,
        name: &str,
        scale: u32,
        get: impl Fn(&T) -> Option<Decimal>,
    ) -> Result<(), Error> {
        let mut mantissas = Vec::with_capacity(self.rows.len());
        for r in self.rows {
            let m = match get(r.row) {
                None => None,
                Some(d) => Some(
                    exact_mantissa(d, scale)
                        .map_err(|message| self.unfit(name, r, message, scale))?,
                ),
            };
            mantissas.push(m);
        }
        let ca = Int128Chunked::from_iter_options(name.into(), mantissas.into_iter());
        self.push_decimal(scale, ca);
        Ok(())
    }

    /// Adds a Decimal(18, `scale`) column of the mantissas `ca`, each already checked below
    /// 10^18 in magnitude ([`exact_mantissa`], [`Table::fen`]): polars' `into_decimal` would
    /// check them again, a pass over the column for its minimum and maximum.
    fn push_decimal(&mut self, scale: u32, ca: Int128Chunked) {
        let series = ca
            .into_decimal_unchecked(DECIMAL_PRECISION, scale as usize)
            .into_series();
        self.columns.push(series.into_column());
    }

    /// A money column from exact counts of fen: Decimal(18, 2), no nulls.
    fn fen(&mut self, name: &str, get: impl Fn(&T) -> i128) -> Result<(), Error> {
        let limit = 10i128.pow(DECIMAL_PRECISION as u32);
        self.money_mantissas(name, |row| {
            let m = get(row);
            if m.unsigned_abs() < limit.unsigned_abs() {
                return Ok(m);
            }
            let d = Decimal::try_from_i128_with_scale(m, MONEY_SCALE).unwrap_or(Decimal::MAX);
            Err(Unfit::TooLarge(format!(
                "{d} is too large: |value| must be below 10^{}",
                DECIMAL_PRECISION as u32 - MONEY_SCALE
            )))
        })
    }

    /// A money column: Decimal(18, 2), no nulls.
    fn money(&mut self, name: &str, get: impl Fn(&T) -> Decimal) -> Result<(), Error> {
        self.money_mantissas(name, |row| exact_mantissa(get(row), MONEY_SCALE))
    }

    /// A Decimal(18, 2) column of each row's mantissa (no nulls, so no validity to build); the
    /// first row whose `mantissa` is an error stops it, located.
    fn money_mantissas(
        &mut self,
        name: &str,
        mantissa: impl Fn(&T) -> Result<i128, Unfit>,
    ) -> Result<(), Error> {
        let mut mantissas = Vec::with_capacity(self.rows.len());
        for r in self.rows {
            mantissas.push(
                mantissa(r.row).map_err(|message| self.unfit(name, r, message, MONEY_SCALE))?,
            );
        }
        self.push_decimal(MONEY_SCALE, Int128Chunked::from_vec(name.into(), mantissas));
        Ok(())
    }

    /// A ratio column: Decimal(18, 6), null where `None`.
    fn ratio(&mut self, name: &str, get: impl Fn(&T) -> Option<Decimal>) -> Result<(), Error> {
        self.decimal(name, RATIO_SCALE, get)
    }

    fn finish(self) -> Result<DataFrame, Error> {
        DataFrame::new(self.rows.len(), self.columns).map_err(|e| Error::Write {
            path: PathBuf::from(self.file),
            message: e.to_string(),
        })
    }
}

/// The error of a figure that does not fit its Decimal column of `scale` places, at `at` (the
/// column and the row) of `file`: when it is too large, the deal's amounts (exit code 2, like
/// bad input; review 27b item M1), with what to check for what the column holds (review 33a
/// item L2: a coverage multiple was told as money of 10^16 yuan); when it has more places than
/// the column, a figure the engine should never make (a write error). Nothing is written. Every
/// table's Decimal columns report through it (review 35a item 3a: four writers had their own
/// copy, which told a too-large figure as a write error without the advice).
pub fn unfit_error(file: &str, at: &str, unfit: Unfit, scale: u32) -> Error {
    let message = match unfit {
        Unfit::NotExact(m) => {
            return Error::Write {
                path: PathBuf::from(file),
                message: format!("{at}: {m}"),
            };
        }
        Unfit::TooLarge(m) => m,
    };
    let why = if scale == MONEY_SCALE {
        "A figure of the run is 10^16 yuan or more, and the tables hold money below that \
         (Decimal(18, 2)): check the deal's amounts (yuan, not fen) and whether interest \
         compounds on a shortfall for decades (`interest_on_shortfall`)"
            .to_string()
    } else {
        format!(
            "A ratio of the run (a coverage multiple, a share) is 10^{} or more, and the \
             tables hold ratios below that (Decimal(18, {scale})): a large amount against a \
             tiny one, so check that the pool, the tranches and the fees are all in yuan \
             (one of them in 万元 or fen?)",
            DECIMAL_PRECISION as u32 - scale
        )
    };
    Error::Usage(format!("cannot write {file}: {at}: {message}. {why}"))
}

/// A nullable Decimal(18, `scale`) column named `name` of `file`'s table: each value exact at
/// `scale` ([`exact_mantissa`]); the first that is not stops it, told by [`unfit_error`] with
/// `row(i)` naming row i (`row 3`, `deal `x`, scenario `y`, tranche `A``).
pub fn decimal_column(
    file: &str,
    name: &str,
    scale: u32,
    values: impl Iterator<Item = Option<Decimal>>,
    row: impl Fn(usize) -> String,
) -> Result<Column, Error> {
    let mut mantissas = Vec::with_capacity(values.size_hint().0);
    for (i, v) in values.enumerate() {
        mantissas.push(match v {
            None => None,
            Some(d) => Some(exact_mantissa(d, scale).map_err(|u| {
                unfit_error(file, &format!("column `{name}`, {}", row(i)), u, scale)
            })?),
        });
    }
    // Every mantissa is below 10^18 in magnitude ([`exact_mantissa`]): polars need not check.
    Ok(
        Int128Chunked::from_iter_options(name.into(), mantissas.into_iter())
            .into_decimal_unchecked(DECIMAL_PRECISION, scale as usize)
            .into_series()
            .into_column(),
    )
}

/// The mantissa of `d` at `scale`, when `d` is exactly representable there with at most
/// 18 digits (i.e. |d| < 10^(18 − scale)); a message otherwise. Never rounds.
///
/// Inlined into the column loops (a writer calls it for every money cell); the rescaling
/// apart.
#[inline]
pub fn exact_mantissa(d: Decimal, scale: u32) -> Result<i128, Unfit> {
    // Already at `scale` (every amount the engine writes back from fen, every 6-place ratio):
    // the mantissa is the value there, with nothing to rescale or compare.
    if d.scale() == scale {
        let m = d.mantissa();
        if m.unsigned_abs() < 10u128.pow(DECIMAL_PRECISION as u32) {
            return Ok(m);
        }
    }
    rescaled_mantissa(d, scale)
}

/// [`exact_mantissa`] of a value at another scale (or too large).
#[inline(never)]
fn rescaled_mantissa(d: Decimal, scale: u32) -> Result<i128, Unfit> {
    let mut x = d;
    x.rescale(scale);
    if x != d {
        return Err(Unfit::NotExact(format!(
            "{d} is not exact at {scale} decimal places (the writer never rounds)"
        )));
    }
    // A value too large for `scale` keeps a smaller scale after `rescale`.
    let m = x.mantissa();
    if x.scale() != scale || m.unsigned_abs() >= 10u128.pow(DECIMAL_PRECISION as u32) {
        return Err(Unfit::TooLarge(format!(
            "{d} is too large: |value| must be below 10^{}",
            DECIMAL_PRECISION as u32 - scale
        )));
    }
    Ok(m)
}

/// Why a value does not fit its Decimal column ([`exact_mantissa`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    /// 10^(18 − scale) or more in magnitude: the deal's amounts (exit code 2).
    TooLarge(String),
    /// More decimal places than the column's: a figure the engine should never make.
    NotExact(String),
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfit::TooLarge(m) | Unfit::NotExact(m) => f.write_str(m),
        }
    }
}

/// The DataFrame of `table`.
pub fn run_table_frame(table: RunTable, runs: &[PricedRun]) -> Result<DataFrame, Error> {
    match table {
        RunTable::TrancheFlows => tranche_flows_frame(runs),
        RunTable::PoolFlows => pool_flows_frame(runs),
        RunTable::Ledger => ledger_frame(runs),
        RunTable::Periods => periods_frame(runs),
        RunTable::Summary => summary_frame(runs),
        RunTable::Support => support_frame(runs),
        RunTable::Charges => charges_frame(runs),
        RunTable::Notices => notices_frame(runs),
    }
}

/// Rows per Parquet row group: polars' default (`ParquetWriter::finish` without
/// `with_row_group_size`), which [`write_parquet`] uses.
pub const ROW_GROUP_ROWS: usize = 512 * 512;

/// The row groups `ParquetWriter::finish` makes of a one-chunk frame of `n` rows with row
/// groups of `group` rows: one group below `2 × group` rows; otherwise `k = n / group` groups,
/// the first `k − 1` of `n / k` rows and the last holding the rest (polars-core's
/// `chunk_df_for_writing` and `split_impl`). Writing these slices one by one gives the same
/// file as writing the whole frame (tested below), without holding the whole frame.
pub fn row_group_sizes(n: usize, group: usize) -> Vec<usize> {
    let k = n / group.max(1);
    if k <= 1 {
        return vec![n];
    }
    let size = n / k;
    let mut sizes = vec![size; k - 1];
    sizes.push(n - size * (k - 1));
    sizes
}

/// The frames of `table` for `runs`, one row group at a time ([`row_group_sizes`]): the tables
/// that grow with the pool and the scenarios (`pool_flows`, `tranche_flows`, `ledger`) are built
/// a row group at a time, so that a large run never holds a whole table's columns; the others
/// are one frame. Concatenated, the frames are [`run_table_frame`].
pub fn run_table_chunks(
    table: RunTable,
    runs: &[PricedRun],
) -> Box<dyn Iterator<Item = Result<DataFrame, Error>> + '_> {
    match table {
        RunTable::PoolFlows => pool_flows_chunks(runs),
        RunTable::TrancheFlows => chunks(runs, |r| &r.tranche_flows, tranche_flows_rows),
        RunTable::Ledger => chunks(runs, |r| &r.ledger, ledger_rows),
        other => Box::new(std::iter::once(run_table_frame(other, runs))),
    }
}

/// The frames of one table in row groups of [`row_group_sizes`], each built when asked for.
fn chunks<'a, T: 'a>(
    runs: &'a [PricedRun],
    rows: fn(&RunResult) -> &[T],
    build: fn(&[Row<'a, T>]) -> Result<DataFrame, Error>,
) -> Box<dyn Iterator<Item = Result<DataFrame, Error>> + 'a> {
    let n = runs.iter().map(|p| rows(&p.run).len()).sum();
    let mut all = runs.iter().map(|p| &p.run).flat_map(move |run| {
        rows(run)
            .iter()
            .enumerate()
            .map(move |(index, row)| Row { run, index, row })
    });
    Box::new(
        row_group_sizes(n, ROW_GROUP_ROWS)
            .into_iter()
            .map(move |size| build(&all.by_ref().take(size).collect::<Vec<_>>())),
    )
}

/// `tranche_flows.parquet`: one row per tranche per payment date ([`TrancheFlowRow`]).
pub fn tranche_flows_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let rows = stack(runs, |r| &r.tranche_flows);
    tranche_flows_rows(&rows)
}

/// The columns of [`tranche_flows_frame`] for some of its rows (a row group of [`run_table_chunks`]).
fn tranche_flows_rows(rows: &[Row<'_, TrancheFlowRow>]) -> Result<DataFrame, Error> {
    let mut t: Table<'_, '_, TrancheFlowRow> = Table::new(TRANCHE_FLOWS_FILE, rows);
    t.int32("period", |x| x.period)?;
    t.date("payment_date", |x| x.payment_date);
    t.string("tranche", |r| r.row.tranche.as_str());
    t.string("class", |r| r.row.class.as_str());
    t.money("balance_start", |x| x.balance_start)?;
    t.money("interest_due", |x| x.interest_due)?;
    t.money("interest_paid", |x| x.interest_paid)?;
    t.money("interest_shortfall", |x| x.interest_shortfall)?;
    t.money("principal_due", |x| x.principal_due)?;
    t.money("principal_paid", |x| x.principal_paid)?;
    t.money("residual_paid", |x| x.residual_paid)?;
    t.money("balance_end", |x| x.balance_end)?;
    t.ratio("coverage_multiple", |x| x.coverage_multiple)?;
    t.finish()
}

/// One row of a run's [`PoolFlows`](crate::pool::PoolFlows), borrowed: the writer reads the
/// exact fen counts without converting them to Decimals.
#[derive(Clone, Copy)]
struct PoolRow<'a> {
    period: u32,
    payment_date: NaiveDate,
    obligor: &'a Label,
    amounts: &'a FlowAmounts,
}

/// The rows of `run.pool_flows`, with their run and position.
fn pool_rows(run: &RunResult) -> impl Iterator<Item = (&RunResult, usize, PoolRow<'_>)> {
    (0..run.pool_flows.len()).map(move |i| {
        let (period, payment_date, obligor, amounts) = run.pool_flows.fen_row(i);
        (
            run,
            i,
            PoolRow {
                period,
                payment_date,
                obligor,
                amounts,
            },
        )
    })
}

/// The frame of some rows of `pool_flows.parquet`.
fn pool_flows_of(rows: &[(&RunResult, usize, PoolRow<'_>)]) -> Result<DataFrame, Error> {
    let rows: Vec<Row<'_, PoolRow<'_>>> = rows
        .iter()
        .map(|(run, index, row)| Row {
            run,
            index: *index,
            row,
        })
        .collect();
    pool_flows_rows(&rows)
}

/// `pool_flows.parquet`: one row per obligor per collection period ([`PoolFlowRow`](crate::pool::PoolFlowRow)).
pub fn pool_flows_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let rows: Vec<_> = runs.iter().flat_map(|p| pool_rows(&p.run)).collect();
    pool_flows_of(&rows)
}

/// The frames of `pool_flows.parquet` in row groups of [`row_group_sizes`].
fn pool_flows_chunks(
    runs: &[PricedRun],
) -> Box<dyn Iterator<Item = Result<DataFrame, Error>> + '_> {
    let n = runs.iter().map(|p| p.run.pool_flows.len()).sum();
    let mut all = runs.iter().flat_map(|p| pool_rows(&p.run));
    Box::new(
        row_group_sizes(n, ROW_GROUP_ROWS)
            .into_iter()
            .map(move |size| pool_flows_of(&all.by_ref().take(size).collect::<Vec<_>>())),
    )
}

/// The columns of [`pool_flows_frame`] for some of its rows (a row group of [`run_table_chunks`]).
fn pool_flows_rows(rows: &[Row<'_, PoolRow<'_>>]) -> Result<DataFrame, Error> {
    let mut t: Table<'_, '_, PoolRow<'_>> = Table::new(POOL_FLOWS_FILE, rows);
    t.int32("period", |x| x.period)?;
    t.date("payment_date", |x| x.payment_date);
    t.string("obligor", |r| r.row.obligor.as_str());
    t.fen("scheduled", |x| x.amounts.scheduled.into())?;
    t.fen("collected", |x| x.amounts.collected())?;
    t.fen("principal_collected", |x| x.amounts.principal.into())?;
    t.fen("interest_collected", |x| x.amounts.interest.into())?;
    t.fen("prepaid", |x| x.amounts.prepaid.into())?;
    t.fen("defaulted", |x| x.amounts.defaulted.into())?;
    t.fen("recovered", |x| x.amounts.recovered.into())?;
    t.fen("delayed", |x| x.amounts.delayed.into())?;
    t.fen("balance_end", |x| x.amounts.balance_end.into())?;
    t.finish()
}

/// `ledger.parquet`: every movement of cash, in order ([`LedgerEntry`]).
pub fn ledger_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let rows = stack(runs, |r| &r.ledger);
    ledger_rows(&rows)
}

/// The columns of [`ledger_frame`] for some of its rows (a row group of [`run_table_chunks`]).
fn ledger_rows(rows: &[Row<'_, LedgerEntry>]) -> Result<DataFrame, Error> {
    let mut t: Table<'_, '_, LedgerEntry> = Table::new(LEDGER_FILE, rows);
    t.int32("period", |x| x.period)?;
    t.date("date", |x| x.date);
    t.int32("step", |x| x.step)?;
    t.string("action", |r| r.row.action.name());
    t.string("item", |r| r.row.item.as_str());
    t.string("source", |r| r.run.accounts.name(r.row.source));
    t.string("destination", |r| r.run.accounts.name(r.row.destination));
    t.money("amount", |x| x.amount)?;
    t.string("reason", |r| r.row.reason);
    t.finish()
}

/// `fees.parquet`: one row per tax and fee per payment date, taxes first, each in file order
/// ([`ChargeRow`]).
pub fn charges_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let rows = stack(runs, |r| &r.charges);
    let mut t: Table<'_, '_, ChargeRow> = Table::new(FEES_FILE, &rows);
    t.int32("period", |x| x.period)?;
    t.date("payment_date", |x| x.payment_date);
    t.string("kind", |r| r.row.kind.as_str());
    t.string("name", |r| r.row.name.as_str());
    t.money("due", |x| x.due)?;
    t.money("paid", |x| x.paid)?;
    t.money("arrears", |x| x.arrears)?;
    // The date's own charge, apart from the arrears brought forward (since session 32, review
    // 32b item 7: a trustee report states them apart), appended.
    t.money("charged", |x| x.charged)?;
    t.finish()
}

/// `periods.parquet`: one row per payment date ([`PeriodRow`]).
pub fn periods_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let rows = stack(runs, |r| &r.periods);
    let mut t: Table<'_, '_, PeriodRow> = Table::new(PERIODS_FILE, &rows);
    t.int32("period", |x| x.period)?;
    t.date("payment_date", |x| x.payment_date);
    t.date("collection_start", |x| x.collection_start);
    t.date("collection_end", |x| x.collection_end);
    t.money("pool_cash", |x| x.pool_cash)?;
    t.money("cash_brought_forward", |x| x.cash_brought_forward)?;
    t.money("available_funds", |x| x.available_funds)?;
    t.money("reserve_draws", |x| x.reserve_draws)?;
    t.money("support_draws", |x| x.support_draws)?;
    t.money("taxes_paid", |x| x.taxes_paid)?;
    t.money("fees_paid", |x| x.fees_paid)?;
    t.money("interest_paid", |x| x.interest_paid)?;
    t.money("principal_paid", |x| x.principal_paid)?;
    t.money("residual_paid", |x| x.residual_paid)?;
    t.money("reserve_deposit", |x| x.reserve_deposit)?;
    t.ratio("coverage_multiple", |x| x.coverage_multiple)?;
    t.ratio("cumulative_default_ratio", |x| {
        Some(x.cumulative_default_ratio)
    })?;
    t.string("waterfall", |r| r.row.waterfall.as_str());
    t.string("triggers_tripped", |r| r.row.triggers_tripped.as_str());
    t.money("collection_balance_end", |x| x.collection_balance_end)?;
    t.money("reserve_balance_end", |x| x.reserve_balance_end)?;
    t.money("pool_balance_end", |x| x.pool_balance_end)?;
    t.money("senior_balance_end", |x| x.senior_balance_end)?;
    // With `support_draws − guarantee_payment` and `restated`, the date's sources equal its
    // uses (docs/output.md, "The date's cash adds up"); before the optional columns, which
    // `portfolio` puts last.
    t.money("guarantee_payment", |x| x.guarantee_payment)?;
    t.money("support_repaid", |x| x.support_repaid)?;
    t.money("support_interest_paid", |x| x.support_interest_paid)?;
    t.money("purchases", |x| x.purchases)?;
    t.money("restated", |x| x.restated)?;
    t.money("commingled", |x| x.commingled)?;
    // Deals with named accounts or a PDL (docs/output.md): the columns exist only when a run
    // has them, so other deals' files are unchanged; null on rows of runs without them.
    if rows.iter().any(|r| r.row.accounts_balance_end.is_some()) {
        t.decimal("accounts_balance_end", MONEY_SCALE, |x| {
            x.accounts_balance_end
        })?;
    }
    if rows.iter().any(|r| r.row.pdl_balance_end.is_some()) {
        t.decimal("pdl_balance_end", MONEY_SCALE, |x| x.pdl_balance_end)?;
    }
    // The reserve's target of the date (since session 32, review 32b item 5: a trustee report
    // states 必备金额, no table did), for deals with a reserve.
    if rows.iter().any(|r| r.row.reserve_target.is_some()) {
        t.decimal("reserve_target", MONEY_SCALE, |x| x.reserve_target)?;
    }
    t.finish()
}

/// A summary row and its pricing (none when the run has no pricing for it), with the run's
/// own figures every row of it repeats: what its supports paid in all, and its first trigger.
struct PricedSummary<'a> {
    summary: &'a TrancheSummary,
    pricing: TranchePricing,
    support_drawn: Decimal,
    paid_in_full: bool,
    first_trigger: Option<&'a (String, NaiveDate)>,
    cumulative_default_ratio: Decimal,
}

impl Deref for PricedSummary<'_> {
    type Target = TrancheSummary;
    fn deref(&self) -> &TrancheSummary {
        self.summary
    }
}

/// `summary.parquet`: one row per tranche over the whole run ([`TrancheSummary`] followed by
/// its [`TranchePricing`]).
pub fn summary_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let priced: Vec<Vec<PricedSummary>> = runs
        .iter()
        .map(|p| {
            p.run
                .summary
                .iter()
                .enumerate()
                .map(|(i, summary)| PricedSummary {
                    summary,
                    pricing: p.pricing.get(i).copied().unwrap_or_default(),
                    support_drawn: p.run.support_drawn,
                    paid_in_full: p.paid_in_full.get(i).copied().unwrap_or(false),
                    first_trigger: p.run.first_trigger.as_ref(),
                    cumulative_default_ratio: p.run.cumulative_default_ratio,
                })
                .collect()
        })
        .collect();
    let rows: Vec<Row<'_, PricedSummary>> = runs
        .iter()
        .zip(&priced)
        .flat_map(|(p, rows)| {
            rows.iter().enumerate().map(move |(index, row)| Row {
                run: &p.run,
                index,
                row,
            })
        })
        .collect();
    let mut t: Table<'_, '_, PricedSummary> = Table::new(SUMMARY_FILE, &rows);
    t.string("tranche", |r| r.row.tranche.as_str());
    t.string("class", |r| r.row.class.as_str());
    t.opt_string("rating", |x| x.rating.as_deref());
    t.money("initial_balance", |x| x.initial_balance)?;
    t.ratio("coupon", |x| Some(x.coupon))?;
    t.money("total_interest", |x| x.total_interest)?;
    t.money("total_principal", |x| x.total_principal)?;
    t.money("total_residual", |x| x.total_residual)?;
    t.money("principal_loss", |x| x.principal_loss)?;
    t.money("interest_shortfall", |x| x.interest_shortfall)?;
    t.opt_date("final_payment_date", |x| x.final_payment_date);
    t.opt_f64("wal_years", |x| x.pricing.wal_years)?;
    t.ratio("min_coverage_multiple", |x| x.min_coverage_multiple)?;
    t.opt_f64("yield_at_par", |x| x.pricing.yield_at_par)?;
    t.opt_date("settlement_date", |x| x.pricing.settlement_date);
    t.opt_f64("price", |x| x.pricing.price)?;
    t.opt_f64("yield", |x| x.pricing.yield_)?;
    t.opt_f64("macaulay_duration", |x| x.pricing.macaulay_duration)?;
    t.opt_f64("modified_duration", |x| x.pricing.modified_duration)?;
    t.opt_f64("convexity", |x| x.pricing.convexity)?;
    t.opt_f64("spread", |x| x.pricing.spread)?;
    // The run's own outcome on each of its rows (since session 31, review 31c item 5: what the
    // supports paid, the pool's realised defaults and the first trigger were in periods.parquet
    // only, which a sweep writes with --flows), appended.
    t.money("support_drawn", |x| x.support_drawn)?;
    t.ratio("cumulative_default_ratio", |x| {
        Some(x.cumulative_default_ratio)
    })?;
    t.opt_string("first_trigger", |x| {
        x.first_trigger.map(|(n, _)| n.as_str())
    });
    t.opt_date("first_trigger_date", |x| x.first_trigger.map(|&(_, d)| d));
    // Since session 34 (review 34e item H1): paid in full by the break-even's test, appended.
    t.bool("paid_in_full", |x| x.paid_in_full);
    t.finish()
}

/// `support.parquet`: total drawn from each credit-support provider ([`SupportDrawTotal`]).
pub fn support_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    let rows = stack(runs, |r| &r.support_draws);
    let mut t: Table<'_, '_, SupportDrawTotal> = Table::new(SUPPORT_FILE, &rows);
    t.string("support", |r| r.row.support.as_str());
    t.string("provider", |r| r.row.provider.as_str());
    t.money("total", |x| x.total)?;
    // Since session 32: what `repay_support` steps paid back of the draws, appended.
    t.money("repaid", |x| x.repaid)?;
    // Since session 34 (review 34c item M3): the first payment date a failed provider paid
    // nothing on, null when it stood.
    t.opt_date("failed_from", |x| x.failure.as_ref().map(|f| f.0));
    // Since session 36 (review 35c G4): a facility's interest on its draws, paid and unpaid
    // at the end, appended.
    t.money("interest_paid", |x| x.interest_paid)?;
    t.money("interest_unpaid", |x| x.interest_unpaid)?;
    t.finish()
}

/// Writes `df` to `path` as Parquet (zstd level 3) and returns the file, flushed but not yet
/// fsynced: the caller syncs it ([`super::write_tables`] does, while it writes the next file).
///
/// Not atomic by itself: a failure can leave a partial file at `path`. Use
/// [`super::write_run_tables`] for the run tables.
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<File, Error> {
    write_file(path, |writer| writer.finish(df).map(|_| ()))
}

/// Writes the frames of one table to `path`, each frame one row group, and returns the file
/// unsynced, as [`write_parquet`]. A single frame is written by [`write_parquet`]; with frames
/// cut by [`row_group_sizes`] the file is byte for byte the one [`write_parquet`] writes of
/// their concatenation.
///
/// Not atomic by itself, as [`write_parquet`].
pub fn write_parquet_chunks(
    path: &Path,
    frames: impl Iterator<Item = Result<DataFrame, Error>>,
) -> Result<File, Error> {
    let mut frames = frames.peekable();
    let Some(first) = frames.next() else {
        return write_parquet(path, &mut DataFrame::empty());
    };
    let mut first = first?;
    if frames.peek().is_none() {
        return write_parquet(path, &mut first);
    }
    // A frame that cannot be built stops the write with its own error.
    let mut built: Result<(), Error> = Ok(());
    let file = write_file(path, |writer| {
        let mut batched = writer.batched(first.schema())?;
        first.rechunk_mut_par();
        batched.write_batch(&first)?;
        drop(first);
        for frame in frames {
            match frame {
                Ok(mut frame) => {
                    frame.rechunk_mut_par();
                    batched.write_batch(&frame)?;
                }
                Err(e) => {
                    built = Err(e);
                    return Ok(());
                }
            }
        }
        batched.finish().map(|_| ())
    })?;
    built.map(|()| file)
}

/// Creates `path`, hands `write` a zstd-level-3 Parquet writer on it, then flushes it; returns
/// the file, not yet fsynced.
fn write_file(
    path: &Path,
    write: impl FnOnce(ParquetWriter<&mut BufWriter<File>>) -> PolarsResult<()>,
) -> Result<File, Error> {
    let fail = |message: String| Error::Write {
        path: path.to_path_buf(),
        message,
    };
    let level = ZstdLevel::try_new(ZSTD_LEVEL).map_err(|e| fail(e.to_string()))?;
    let file = super::guard::create_file(path).map_err(|e| fail(e.to_string()))?;
    let mut out = BufWriter::new(file);
    // Columns encoded one after another on this thread, not handed to polars' thread pool:
    // the same bytes (each column's pages do not depend on the others'), and for ipabs's
    // tables the hand-off cost more than it saved. Measured (docs/performance.md, session 19):
    // `ipabs portfolio` made 92,000 `sched_yield` calls with it (the pool's idle threads
    // spinning between small files) and none without; the 1,001-scenario sweep is 4% faster
    // end to end; the 200,000-obligor run is as fast and peaks 37 MB lower.
    let writer = ParquetWriter::new(&mut out)
        .with_compression(ParquetCompression::Zstd(Some(level)))
        .set_parallel(false);
    write(writer).map_err(|e| fail(e.to_string()))?;
    out.flush().map_err(|e| fail(e.to_string()))?;
    out.into_inner().map_err(|e| fail(e.error().to_string()))
}

/// `payment_notices.parquet`: one row per outstanding tranche per payment date
/// ([`NoticeRow`]); the per-100 figures are Decimal(18, `[notices] decimals`).
pub fn notices_frame(runs: &[PricedRun]) -> Result<DataFrame, Error> {
    // Every run of one table comes from one deal; its scale is the deal's decimals.
    notices_frame_at(runs, notices_scale(runs))
}

/// The scale of `runs`' per-100 figures: the largest of their rows' (each deal's `[notices]
/// decimals`), 4 without a row.
pub fn notices_scale<'a>(runs: impl IntoIterator<Item = &'a PricedRun>) -> u32 {
    runs.into_iter()
        .flat_map(|r| &r.notices)
        .map(|n| n.interest_per_100.scale().max(n.total_per_100.scale()))
        .max()
        .unwrap_or(4)
}

/// [`notices_frame`] with the per-100 figures at `scale` places (at least each row's own: the
/// figures are exact there), so that the deals of a portfolio share one schema.
pub fn notices_frame_at(runs: &[PricedRun], scale: u32) -> Result<DataFrame, Error> {
    let rows = stack(runs, |r| &r.notices);
    let mut t: Table<'_, '_, NoticeRow> = Table::new(NOTICES_FILE, &rows);
    t.string("tranche", |r| r.row.tranche.as_str());
    t.int32("period", |x| x.period)?;
    t.date("payment_date", |x| x.payment_date);
    t.date("record_date", |x| x.record_date);
    t.int64("units", |x| x.units);
    t.decimal("interest_per_100", scale, |x| Some(x.interest_per_100))?;
    t.decimal("principal_per_100", scale, |x| Some(x.principal_per_100))?;
    t.decimal("total_per_100", scale, |x| Some(x.total_per_100))?;
    t.money("interest_paid", |x| x.interest_paid)?;
    t.money("principal_paid", |x| x.principal_paid)?;
    t.money("residual", |x| x.residual)?;
    t.decimal("face_per_100_after", scale, |x| Some(x.face_per_100_after))?;
    t.money("csdc_fee", |x| x.csdc_fee)?;
    t.money("csdc_buffer", |x| x.csdc_buffer)?;
    t.money("transfer", |x| x.transfer)?;
    t.money("interest_unpaid", |x| x.interest_unpaid)?;
    t.money("interest_residual", |x| x.interest_residual)?;
    // What the date's interest per 100 is computed from (since session 32, review 32b item 6:
    // the Markdown notice stated them, no table did), appended.
    t.date("accrual_start", |x| x.accrual_start);
    t.date("accrual_end", |x| x.accrual_end);
    t.int64("accrual_days", NoticeRow::accrual_days);
    t.ratio("coupon", |x| Some(x.coupon))?;
    t.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// Every table's Decimal column tells a figure that does not fit alike (review 35a item
    /// 3a): 10^16 yuan in a money column is the deal's (exit 2, what to check), a ratio of
    /// 10^12 in a 6-place column too (Decimal(18, 6) holds below 10^12), a third decimal in a
    /// money column is a write error; a column that fits holds the mantissas.
    #[test]
    fn a_decimal_column_tells_what_does_not_fit() {
        let row = |i: usize| format!("row {i}");
        let big = [Some(dec!(1.00)), Some(dec!(10000000000000000))];
        let e = decimal_column("t.parquet", "amount", MONEY_SCALE, big.into_iter(), row)
            .expect_err("too large");
        assert!(matches!(e, Error::Usage(_)), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("cannot write t.parquet: column `amount`, row 1: "),
            "{text}"
        );
        assert!(
            text.contains("check the deal's amounts (yuan, not fen)"),
            "{text}"
        );
        let ratio = [Some(dec!(1000000000000))];
        let e = decimal_column("t.parquet", "multiple", RATIO_SCALE, ratio.into_iter(), row)
            .expect_err("too large");
        assert!(matches!(e, Error::Usage(_)), "{e}");
        assert!(e.to_string().contains("10^12 or more"), "{e}");
        let fine = [Some(dec!(0.001))];
        let e = decimal_column("t.parquet", "amount", MONEY_SCALE, fine.into_iter(), row)
            .expect_err("not exact");
        assert!(matches!(e, Error::Write { .. }), "{e}");
        let ok = [Some(dec!(12.34)), None, Some(dec!(-0.01))];
        let c = decimal_column("t.parquet", "amount", MONEY_SCALE, ok.into_iter(), row).unwrap();
        let ca = c
            .as_materialized_series()
            .decimal()
            .unwrap()
            .physical()
            .clone();
        let got: Vec<Option<i128>> = ca.iter().collect();
        assert_eq!(got, vec![Some(1234), None, Some(-1)]);
    }

    /// The validator's limit on a pool or issue (`validate::MAX_TABLE_MONEY`) is the money
    /// columns' own: 10^(precision − scale) yuan.
    #[test]
    fn the_validators_table_limit_is_the_columns() {
        assert_eq!(
            crate::validate::MAX_TABLE_MONEY,
            Decimal::from_i128_with_scale(10i128.pow(DECIMAL_PRECISION as u32 - MONEY_SCALE), 0)
        );
    }

    /// Row groups as polars cuts a one-chunk frame: below 2 × group one group; else
    /// k = n / group groups of n / k rows, the last taking the rest. By hand: 200 rows in
    /// groups of 64 → k = 3, 200 / 3 = 66, last 200 − 132 = 68.
    #[test]
    fn row_groups_are_cut_as_polars_cuts_them() {
        assert_eq!(row_group_sizes(0, 64), vec![0]);
        assert_eq!(row_group_sizes(63, 64), vec![63]);
        assert_eq!(row_group_sizes(127, 64), vec![127]);
        assert_eq!(row_group_sizes(128, 64), vec![64, 64]);
        assert_eq!(row_group_sizes(200, 64), vec![66, 66, 68]);
        assert_eq!(row_group_sizes(1000, 64).iter().sum::<usize>(), 1000);
    }

    /// The oracle is polars itself: a frame written whole by `ParquetWriter::finish` with
    /// row groups of 64 rows, and the same frame written as the slices of
    /// `row_group_sizes(n, 64)` by `write_parquet_chunks`, are the same bytes.
    #[test]
    fn chunked_writes_are_byte_identical_to_whole_writes() {
        let n = 1000usize;
        let ints: Vec<i32> = (0..n as i32).map(|i| (i * 7919) % 1013).collect();
        let names: Vec<String> = (0..n).map(|i| format!("SME-{:05}", i % 37)).collect();
        let money: Vec<Option<i128>> = (0..n as i128).map(|i| Some(i * 12_345 - 99)).collect();
        let money = Int128Chunked::from_iter_options("m".into(), money.into_iter())
            .into_decimal(DECIMAL_PRECISION, MONEY_SCALE as usize)
            .unwrap()
            .into_series();
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("i".into(), ints),
                Column::new("s".into(), names),
                money.into(),
            ],
        )
        .unwrap();
        let dir = std::env::temp_dir().join(format!("ipabs-chunks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (whole, chunked) = (dir.join("whole.parquet"), dir.join("chunked.parquet"));
        let level = ZstdLevel::try_new(ZSTD_LEVEL).unwrap();
        let mut out = File::create(&whole).unwrap();
        ParquetWriter::new(&mut out)
            .with_compression(ParquetCompression::Zstd(Some(level)))
            .with_row_group_size(Some(64))
            .finish(&mut df)
            .unwrap();
        let sizes = row_group_sizes(n, 64);
        assert_eq!(sizes.len(), 15);
        let mut offset = 0i64;
        let slices = sizes.into_iter().map(|size| {
            let part = df.slice(offset, size);
            offset += size as i64;
            Ok(part)
        });
        write_parquet_chunks(&chunked, slices).unwrap();
        let (a, b) = (
            std::fs::read(&whole).unwrap(),
            std::fs::read(&chunked).unwrap(),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(a == b, "chunked file differs from the whole write");
    }

    #[test]
    fn mantissas_are_exact_or_refused() {
        assert_eq!(exact_mantissa(dec!(123.45), 2), Ok(12345));
        assert_eq!(exact_mantissa(dec!(5), 2), Ok(500));
        assert_eq!(exact_mantissa(dec!(-0.00), 2), Ok(0));
        assert_eq!(exact_mantissa(dec!(-7.1), 2), Ok(-710));
        assert_eq!(exact_mantissa(dec!(1.500000000), 2), Ok(150));
        assert_eq!(exact_mantissa(dec!(1.234567), 6), Ok(1_234_567));
        assert_eq!(
            exact_mantissa(dec!(9999999999999999.99), 2),
            Ok(999_999_999_999_999_999)
        );
        assert!(matches!(
            exact_mantissa(dec!(1.005), 2),
            Err(Unfit::NotExact(_))
        ));
        assert!(matches!(
            exact_mantissa(dec!(10000000000000000), 2),
            Err(Unfit::TooLarge(_))
        ));
        let err = exact_mantissa(dec!(1.005), 2).unwrap_err().to_string();
        assert!(err.contains("not exact"), "{err}");
        assert!(exact_mantissa(dec!(1.2345678), 6).is_err());
        let err = exact_mantissa(dec!(10000000000000000), 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too large"), "{err}");
        // At the column's scale already, the same bound (10^18 is the first mantissa refused).
        let err = exact_mantissa(dec!(10000000000000000.00), 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too large"), "{err}");
        assert_eq!(
            exact_mantissa(dec!(-9999999999999999.99), 2),
            Ok(-999_999_999_999_999_999)
        );
        let err = exact_mantissa(Decimal::MAX, 2).unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        let err = exact_mantissa(Decimal::MIN, 6).unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        assert!(exact_mantissa(dec!(1000000000000), 6).is_err());
        assert_eq!(
            exact_mantissa(dec!(999999999999.999999), 6),
            Ok(999_999_999_999_999_999)
        );
    }
}
