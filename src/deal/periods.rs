//! Payment dates and their collection and accrual periods.

use chrono::NaiveDate;

use super::*;
use crate::calendar::schedule::ScheduledDate;

/// One payment date and the collection period whose cash it distributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodDates {
    /// 1-based period number.
    pub number: u32,
    /// The payment date as scheduled and as adjusted (`date` is the adjusted one).
    pub payment: ScheduledDate,
    /// First day of the collection period (inclusive).
    pub collection_start: NaiveDate,
    /// Last day of the collection period (inclusive).
    pub collection_end: NaiveDate,
    /// Start of the interest accrual period: the previous payment date (adjusted, or with
    /// `accrual_dates = "unadjusted"` as scheduled), or the closing date.
    pub accrual_start: NaiveDate,
    /// End of the interest accrual period: this payment date, adjusted, or with
    /// `accrual_dates = "unadjusted"` as scheduled.
    pub accrual_end: NaiveDate,
    /// The record dates (权益登记日) of this payment date: 1 trading day before it, and 3
    /// before it for a tranche's final payment (trading days: the deal calendar's business
    /// days from Monday to Friday that are not listed exchange closures,
    /// [`crate::calendar::Calendar::is_trading_day`]).
    pub record_dates: [NaiveDate; 2],
}

/// The collection period (0-based) of `periods` containing `date`, if any: the model's one
/// answer to "which period collects this", for the validator and the projection alike.
pub fn period_of(periods: &[PeriodDates], date: NaiveDate) -> Option<usize> {
    let k = periods.partition_point(|p| p.collection_end < date);
    (k < periods.len() && periods[k].collection_start <= date).then_some(k)
}

/// Number of collection periods up to and including the one holding the last instalment of
/// `obligors` (all periods when that date is outside them): the span of the even default
/// timing (docs/scenarios.md).
pub fn pool_periods(periods: &[PeriodDates], obligors: &[Obligor]) -> usize {
    let n = periods.len();
    obligors
        .iter()
        .filter_map(Obligor::last_due)
        .max()
        .map_or(n, |d| period_of(periods, d).map_or(n, |k| k + 1))
}

/// How many of an annual fee's due dates (`first` and every 12 months after) payment date `k`
/// of `periods` charges: those it has reached ([`PeriodDates::reached`]) and the date before
/// it had not.
pub fn annual_dates_on(first: NaiveDate, periods: &[PeriodDates], k: usize) -> i64 {
    let through = |k: usize| annual_dates_through(first, periods[k].latest());
    through(k) - if k == 0 { 0 } else { through(k - 1) }
}

/// How many of an annual fee's due dates, `first` and every 12 months after it (the day
/// clamped to the month's end, `add_months`), are on or before `t`.
fn annual_dates_through(first: chrono::NaiveDate, t: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    if t < first {
        return 0;
    }
    // At most one year off the difference in years; settled by the dates themselves.
    let mut n = i64::from(t.year() - first.year()).max(0);
    let due = |n: i64| {
        i32::try_from(12 * n)
            .ok()
            .and_then(|m| crate::calendar::schedule::add_months(first, m, false))
    };
    while n > 0 && due(n).is_none_or(|d| d > t) {
        n -= 1;
    }
    n + 1
}

impl PeriodDates {
    /// The adjusted payment date.
    pub fn date(&self) -> NaiveDate {
        self.payment.adjusted
    }

    /// The later of the paid and the scheduled date: the last day the payment date reaches.
    pub fn latest(&self) -> NaiveDate {
        self.date().max(self.payment.unadjusted)
    }

    /// The earlier of the paid and the scheduled date: the day the payment date is past.
    pub fn earliest(&self) -> NaiveDate {
        self.date().min(self.payment.unadjusted)
    }

    /// Whether the payment date has reached `d`: paid or scheduled on or after it. A fee's
    /// `start`, a one-off fee's `date` and an annual fee's due dates count from the first
    /// payment date that has reached them.
    pub fn reached(&self, d: NaiveDate) -> bool {
        self.latest() >= d
    }

    /// Whether the payment date is past `e`: paid and scheduled after it (a fee's `end`).
    pub fn past(&self, e: NaiveDate) -> bool {
        self.earliest() > e
    }

    /// Whether this payment date is on or before `end`, by its scheduled (unadjusted) date or
    /// the date it is paid (adjusted): a period that ends on a scheduled date includes it,
    /// whichever way the business-day convention moved it.
    pub fn on_or_before(&self, end: NaiveDate) -> bool {
        self.payment.unadjusted.min(self.payment.adjusted) <= end
    }

    /// The record date of a payment on this date: 3 trading days before it when it is the
    /// tranche's final payment, 1 otherwise.
    pub fn record_date(&self, final_payment: bool) -> NaiveDate {
        self.record_dates[usize::from(final_payment)]
    }
}
