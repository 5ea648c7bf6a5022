//! The rows the pool projection produces.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::Error;
use crate::label::Label;
use crate::money::{from_fen, is_fen, to_fen};

/// One obligor in one collection period.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFlowRow {
    /// Period number, 1-based: the collection period that funds payment date `period`.
    pub period: u32,
    /// The payment date this collection period funds.
    pub payment_date: NaiveDate,
    /// The obligor's name (`NAME@DATE` for assets a revolving period bought).
    pub obligor: Label,
    /// Contractual amounts (principal + interest) falling due in the collection period, as if
    /// the obligor performed.
    pub scheduled: Decimal,
    /// Cash received from instalments in this period: on-time scheduled cash, delayed cash
    /// arriving now, and prepayments. Excludes recoveries. Always
    /// `principal_collected + interest_collected`.
    pub collected: Decimal,
    /// Principal part of `collected`.
    pub principal_collected: Decimal,
    /// Interest part of `collected`.
    pub interest_collected: Decimal,
    /// Prepaid principal (part of `collected`).
    pub prepaid: Decimal,
    /// Performing balance that defaulted in this period.
    pub defaulted: Decimal,
    /// Recovery cash received in this period.
    pub recovered: Decimal,
    /// Cash due in this period that the scenario's delay pushed to a later period.
    pub delayed: Decimal,
    /// Performing principal balance at the end of the collection period.
    pub balance_end: Decimal,
}

/// The amounts of one obligor in one collection period, in fen: what a [`PoolFlowRow`] holds,
/// without its identity (`collected` is `principal + interest`), as `i64` counts of fen; the
/// projection accumulates an obligor's cells in this type directly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowAmounts {
    /// `PoolFlowRow::scheduled`, in fen.
    pub scheduled: i64,
    /// `PoolFlowRow::principal_collected`, in fen (prepayments included).
    pub principal: i64,
    /// `PoolFlowRow::interest_collected`, in fen.
    pub interest: i64,
    /// `PoolFlowRow::prepaid`, in fen.
    pub prepaid: i64,
    /// `PoolFlowRow::defaulted`, in fen.
    pub defaulted: i64,
    /// `PoolFlowRow::recovered`, in fen.
    pub recovered: i64,
    /// `PoolFlowRow::delayed`, in fen.
    pub delayed: i64,
    /// `PoolFlowRow::balance_end`, in fen.
    pub balance_end: i64,
}

/// One stored row of [`PoolFlows`]: 72 bytes, against about 176 for a [`PoolFlowRow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StoredRow {
    period: u32,
    /// Index into [`PoolFlows::names`].
    obligor: u32,
    amounts: FlowAmounts,
}

/// The per-obligor rows of a run (`pool_flows.parquet`), stored compactly: amounts as exact
/// `i64` counts of fen and each obligor's name once. A pool of 200,000 obligors × 36 periods
/// has 7.2 million rows; held as [`PoolFlowRow`]s (nine Decimals and a name each) they took
/// 1.3 GB, stored here 0.6 GB (docs/performance.md). [`PoolFlows::iter`] gives the rows as
/// [`PoolFlowRow`]s, converted exactly when read.
#[derive(Debug, Clone, Default)]
pub struct PoolFlows {
    names: Vec<Label>,
    /// The payment date of each period number the rows mention, sorted by period: a period
    /// has one payment date, so rows store only the number.
    dates: Vec<(u32, NaiveDate)>,
    rows: Vec<StoredRow>,
}

fn amount_error(what: &str, x: Decimal) -> Error {
    Error::Internal(format!(
        "pool flow {what} {x} is not a whole number of fen within ±9.2 × 10^16 yuan"
    ))
}

impl FlowAmounts {
    /// The amounts of `row`, checked: every amount a whole number of fen within `i64`, and
    /// `collected = principal_collected + interest_collected`.
    pub fn of_row(row: &PoolFlowRow) -> Result<FlowAmounts, Error> {
        let f = |what: &str, x: Decimal| -> Result<i64, Error> {
            if !is_fen(x) {
                return Err(amount_error(what, x));
            }
            i64::try_from(to_fen(x)).map_err(|_| amount_error(what, x))
        };
        if row.collected != row.principal_collected + row.interest_collected {
            return Err(Error::Internal(format!(
                "pool flow of `{}`, period {}: collected {} is not principal {} + interest {}",
                row.obligor,
                row.period,
                row.collected,
                row.principal_collected,
                row.interest_collected
            )));
        }
        Ok(FlowAmounts {
            scheduled: f("scheduled", row.scheduled)?,
            principal: f("principal_collected", row.principal_collected)?,
            interest: f("interest_collected", row.interest_collected)?,
            prepaid: f("prepaid", row.prepaid)?,
            defaulted: f("defaulted", row.defaulted)?,
            recovered: f("recovered", row.recovered)?,
            delayed: f("delayed", row.delayed)?,
            balance_end: f("balance_end", row.balance_end)?,
        })
    }

    /// `collected`: principal and interest received.
    pub fn collected(&self) -> i128 {
        i128::from(self.principal) + i128::from(self.interest)
    }
}

/// An `i64` count of fen as yuan (always in range).
fn yuan(f: i64) -> Decimal {
    Decimal::new(f, 2)
}

impl PoolFlows {
    /// No rows.
    pub fn new() -> PoolFlows {
        PoolFlows::default()
    }

    /// Records that period `period` pays on `date` (a period has one payment date).
    fn note_date(&mut self, period: u32, date: NaiveDate) {
        match self.dates.binary_search_by_key(&period, |&(p, _)| p) {
            Ok(i) => debug_assert_eq!(self.dates[i].1, date, "period {period} has two dates"),
            Err(i) => self.dates.insert(i, (period, date)),
        }
    }

    /// The payment date of period `period` (one of the rows' periods).
    fn date_of(&self, period: u32) -> NaiveDate {
        match self.dates.binary_search_by_key(&period, |&(p, _)| p) {
            Ok(i) => self.dates[i].1,
            // Every stored row's period has its date noted.
            Err(_) => NaiveDate::MIN,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Drops every row.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.names.clear();
        self.dates.clear();
    }

    /// Adds the name of an obligor and returns its index for [`PoolFlows::push_fen`].
    pub fn add_name(&mut self, name: Label) -> u32 {
        self.names.push(name);
        u32::try_from(self.names.len() - 1).unwrap_or(u32::MAX)
    }

    /// Appends a row of obligor `obligor` (an index of the names given to [`PoolFlows::grid`] or
    /// returned by [`PoolFlows::add_name`]).
    pub fn push_fen(&mut self, period: u32, payment_date: NaiveDate, obligor: u32, a: FlowAmounts) {
        if self.dates.last().is_none_or(|&(p, _)| p != period) {
            self.note_date(period, payment_date);
        }
        self.rows.push(StoredRow {
            period,
            obligor,
            amounts: a,
        });
    }

    /// Appends `row`, checked as in [`FlowAmounts::of_row`].
    pub fn push(&mut self, row: &PoolFlowRow) -> Result<(), Error> {
        let a = FlowAmounts::of_row(row)?;
        let obligor = match self.names.iter().rposition(|n| *n == row.obligor) {
            Some(i) => u32::try_from(i).unwrap_or(u32::MAX),
            None => self.add_name(row.obligor.clone()),
        };
        self.push_fen(row.period, row.payment_date, obligor, a);
        Ok(())
    }

    /// The rows `rows`, checked as in [`FlowAmounts::of_row`].
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a PoolFlowRow>) -> Result<Self, Error> {
        let mut out = PoolFlows::new();
        let mut index: rustc_hash::FxHashMap<Label, u32> = Default::default();
        for r in rows {
            let a = FlowAmounts::of_row(r)?;
            let obligor = match index.get(&r.obligor) {
                Some(&i) => i,
                None => {
                    let i = out.add_name(r.obligor.clone());
                    index.insert(r.obligor.clone(), i);
                    i
                }
            };
            out.push_fen(r.period, r.payment_date, obligor, a);
        }
        Ok(out)
    }

    /// Row `i`'s period number, payment date, obligor name and amounts.
    pub fn fen_row(&self, i: usize) -> (u32, NaiveDate, &Label, &FlowAmounts) {
        let r = &self.rows[i];
        (
            r.period,
            self.date_of(r.period),
            &self.names[r.obligor as usize],
            &r.amounts,
        )
    }

    /// The obligor names rows refer to.
    pub fn names(&self) -> &[Label] {
        &self.names
    }

    /// Row `i` as a [`PoolFlowRow`].
    pub fn get(&self, i: usize) -> Option<PoolFlowRow> {
        self.rows.get(i).map(|r| self.view(r))
    }

    fn view(&self, r: &StoredRow) -> PoolFlowRow {
        let a = &r.amounts;
        PoolFlowRow {
            period: r.period,
            payment_date: self.date_of(r.period),
            obligor: self.names[r.obligor as usize].clone(),
            scheduled: yuan(a.scheduled),
            // Two `i64`s sum within the Decimal range.
            collected: from_fen(a.collected()).unwrap_or_default(),
            principal_collected: yuan(a.principal),
            interest_collected: yuan(a.interest),
            prepaid: yuan(a.prepaid),
            defaulted: yuan(a.defaulted),
            recovered: yuan(a.recovered),
            delayed: yuan(a.delayed),
            balance_end: yuan(a.balance_end),
        }
    }

    /// The rows of period number `period`, in order, as [`PoolFlowRow`]s: the other rows are
    /// passed over on their stored number, with no row built for them.
    pub fn of_period(&self, period: u32) -> impl Iterator<Item = PoolFlowRow> + '_ {
        self.rows
            .iter()
            .filter(move |r| r.period == period)
            .map(|r| self.view(r))
    }

    /// The rows in order, as [`PoolFlowRow`]s.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            flows: self,
            rows: self.rows.iter(),
        }
    }

    /// A grid of zero rows, period-major: for each of `periods` (number, payment date), one
    /// row per name of `names`, in order. [`PoolFlows::set_amounts`] fills row
    /// `k × names.len() + o`.
    pub fn grid(names: Vec<Label>, periods: &[(u32, NaiveDate)]) -> PoolFlows {
        let n_obl = u32::try_from(names.len()).unwrap_or(u32::MAX);
        let mut rows = Vec::with_capacity(periods.len() * names.len());
        let mut dates = Vec::with_capacity(periods.len());
        for &(period, payment_date) in periods {
            rows.extend((0..n_obl).map(|obligor| StoredRow {
                period,
                obligor,
                amounts: FlowAmounts::default(),
            }));
            dates.push((period, payment_date));
        }
        dates.sort_by_key(|&(p, _)| p);
        PoolFlows { names, dates, rows }
    }

    /// Sets the amounts of row `i`.
    pub fn set_amounts(&mut self, i: usize, a: FlowAmounts) {
        if let Some(r) = self.rows.get_mut(i) {
            r.amounts = a;
        }
    }

    /// Keeps the rows of periods up to `last` (a clean-up call ends the deal there).
    pub fn keep_periods_up_to(&mut self, last: u32) {
        self.rows.retain(|r| r.period <= last);
    }

    /// Appends `other`'s rows after these.
    pub fn append(&mut self, other: PoolFlows) {
        for (p, d) in other.dates {
            self.note_date(p, d);
        }
        let offset = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.extend(other.names);
        self.rows.extend(other.rows.into_iter().map(|mut r| {
            r.obligor += offset;
            r
        }));
    }

    /// These rows and `other`'s, period by period: within a period, these rows first, then
    /// `other`'s, each in their order (a stable sort by period).
    pub fn merged_by_period(mut self, other: PoolFlows) -> PoolFlows {
        if other.rows.is_empty() {
            return self;
        }
        self.append(other);
        self.rows.sort_by_key(|r| r.period);
        self
    }
}

/// The rows of a [`PoolFlows`] as [`PoolFlowRow`]s ([`PoolFlows::iter`]).
pub struct Iter<'a> {
    flows: &'a PoolFlows,
    rows: std::slice::Iter<'a, StoredRow>,
}

impl Iterator for Iter<'_> {
    type Item = PoolFlowRow;
    fn next(&mut self) -> Option<PoolFlowRow> {
        self.rows.next().map(|r| self.flows.view(r))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a PoolFlows {
    type Item = PoolFlowRow;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl PartialEq for PoolFlows {
    /// Equal when the rows are equal one by one (names compared as text).
    fn eq(&self, other: &PoolFlows) -> bool {
        self.len() == other.len()
            && self.rows.iter().zip(&other.rows).all(|(a, b)| {
                a.period == b.period
                    && self.date_of(a.period) == other.date_of(b.period)
                    && a.amounts == b.amounts
                    && self.names[a.obligor as usize] == other.names[b.obligor as usize]
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn row(obligor: &str, period: u32, principal: Decimal, interest: Decimal) -> PoolFlowRow {
        PoolFlowRow {
            period,
            // One payment date per period, as in a deal.
            payment_date: NaiveDate::from_ymd_opt(2025, period, 28).unwrap(),
            obligor: Label::new(obligor),
            scheduled: dec!(1234.56),
            collected: principal + interest,
            principal_collected: principal,
            interest_collected: interest,
            prepaid: dec!(0.01),
            defaulted: dec!(-7),
            recovered: dec!(0.1),
            delayed: dec!(0),
            balance_end: dec!(92233720368547758.07),
        }
    }

    #[test]
    fn rows_round_trip_exactly() {
        let rows = [
            row("A", 1, dec!(100.25), dec!(3.5)),
            row("B", 1, dec!(0), dec!(0)),
            row("A", 2, dec!(-1.01), dec!(2)),
        ];
        let flows = PoolFlows::from_rows(&rows).unwrap();
        assert_eq!(flows.len(), 3);
        assert_eq!(flows.names().len(), 2, "A is stored once");
        let back: Vec<PoolFlowRow> = flows.iter().collect();
        assert_eq!(back, rows);
        // 92,233,720,368,547,758.07 yuan is i64::MAX fen; one fen more is refused.
        let mut big = row("C", 1, dec!(1), dec!(1));
        big.balance_end = dec!(92233720368547758.08);
        assert!(PoolFlows::new().push(&big).is_err());
    }

    #[test]
    fn refuses_fractions_of_a_fen_and_a_collected_that_is_not_the_sum() {
        let mut r = row("A", 1, dec!(1), dec!(1));
        r.prepaid = dec!(0.001);
        assert!(PoolFlows::new().push(&r).is_err());
        let mut r = row("A", 1, dec!(1), dec!(1));
        r.collected = dec!(3);
        assert!(PoolFlows::new().push(&r).is_err());
    }

    #[test]
    fn merging_keeps_each_period_together_in_order() {
        let a =
            PoolFlows::from_rows(&[row("A", 1, dec!(1), dec!(0)), row("A", 2, dec!(2), dec!(0))])
                .unwrap();
        let b =
            PoolFlows::from_rows(&[row("X", 2, dec!(3), dec!(0)), row("X", 3, dec!(4), dec!(0))])
                .unwrap();
        let m = a.merged_by_period(b);
        let got: Vec<(u32, String)> = m
            .iter()
            .map(|r| (r.period, r.obligor.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "A".into()),
                (2, "A".into()),
                (2, "X".into()),
                (3, "X".into())
            ]
        );
        let mut m = m;
        m.keep_periods_up_to(2);
        assert_eq!(m.len(), 3);
    }
}
