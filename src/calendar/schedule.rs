//! Month arithmetic, payment-date schedules and collection-period lags.

use chrono::{Datelike, Days, NaiveDate};

use super::{BusinessDayConvention, Calendar};

/// Payment frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// Every month (`monthly`).
    Monthly,
    /// Every 3 months (`quarterly`).
    Quarterly,
    /// Every 6 months (`semiannual`).
    Semiannual,
    /// Every 12 months (`annual`).
    Annual,
}

impl Frequency {
    /// Months per period: 1, 3, 6, 12.
    pub fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Semiannual => 6,
            Frequency::Annual => 12,
        }
    }

    /// Periods per year: 12, 4, 2, 1.
    pub fn per_year(self) -> u32 {
        12 / self.months()
    }
}

toml_spelled!(Frequency, "frequency", [
    Monthly => "monthly",
    Quarterly => "quarterly",
    Semiannual => "semiannual",
    Annual => "annual",
]);

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// True if `d` is the last day of its month.
pub fn is_month_end(d: NaiveDate) -> bool {
    d.day() == days_in_month(i64::from(d.year()), d.month())
}

/// Adds `n` months (n may be negative). If `keep_month_end` and `d` is the last day of its
/// month, the result is the last day of the target month. Otherwise the day of month is
/// kept, clamped to the target month's length (Jan 31 + 1 month = Feb 28/29). Returns None
/// on overflow.
pub fn add_months(d: NaiveDate, n: i32, keep_month_end: bool) -> Option<NaiveDate> {
    let total = i64::from(d.year()) * 12 + i64::from(d.month0()) + i64::from(n);
    let year = total.div_euclid(12);
    let month = u32::try_from(total.rem_euclid(12)).ok()? + 1;
    let last = days_in_month(year, month);
    let day = if keep_month_end && is_month_end(d) {
        last
    } else {
        d.day().min(last)
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// A payment date before and after business-day adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledDate {
    /// The date as scheduled (generated or listed).
    pub unadjusted: NaiveDate,
    /// The date moved by the business-day convention: the day it is paid.
    pub adjusted: NaiveDate,
}

/// Payment dates: the k-th unadjusted date is
/// `add_months(first, k * freq.months(), is_month_end(first))`, always computed from
/// `first`, so a 31st does not drift to the 28th. Dates are generated while
/// `unadjusted <= last` (inclusive), then each is adjusted with `cal` and `bdc`. Always
/// contains `first` (even if `first > last`; callers validate that). Stops early, without
/// error, if a date would overflow `NaiveDate`.
pub fn payment_dates(
    first: NaiveDate,
    freq: Frequency,
    last: NaiveDate,
    cal: &Calendar,
    bdc: BusinessDayConvention,
) -> Vec<ScheduledDate> {
    let keep_month_end = is_month_end(first);
    let step = i32::try_from(freq.months()).unwrap_or(12);
    let mut out = vec![ScheduledDate {
        unadjusted: first,
        adjusted: cal.adjust(first, bdc),
    }];
    for k in 1i32.. {
        let Some(months) = k.checked_mul(step) else {
            break;
        };
        let Some(u) = add_months(first, months, keep_month_end) else {
            break;
        };
        if u > last {
            break;
        }
        out.push(ScheduledDate {
            unadjusted: u,
            adjusted: cal.adjust(u, bdc),
        });
    }
    out
}

/// Collection-period lag: how the collection end of a payment date is derived from the
/// payment date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionLag {
    /// Collection end = adjusted payment date − n calendar days (may be a non-business day).
    CalendarDays(u32),
    /// Collection end = adjusted payment date moved back n business days.
    BusinessDays(u32),
    /// Collection end = the last day of the month before the **scheduled** payment date's
    /// month (计算日 at a month end: a quarterly deal paying on the 26th of January, April, July
    /// and October collects to each quarter's end), whatever the date's adjustment.
    PreviousMonthEnd,
    /// Each collection end is listed in the deal (`collection_ends`, the 计算日 of an offering
    /// circular's schedule), one per payment date.
    Listed,
}

impl CollectionLag {
    /// The last day of the collection period for a payment on `date`; `None` for
    /// [`CollectionLag::Listed`], whose ends the deal gives. A lag of 0 returns the adjusted
    /// payment date itself. Saturates at `NaiveDate::MIN`.
    pub fn collection_end(self, date: ScheduledDate, cal: &Calendar) -> Option<NaiveDate> {
        Some(match self {
            CollectionLag::CalendarDays(n) => date
                .adjusted
                .checked_sub_days(Days::new(u64::from(n)))
                .unwrap_or(NaiveDate::MIN),
            CollectionLag::BusinessDays(n) => {
                let n = i32::try_from(n).unwrap_or(i32::MAX);
                cal.add_business_days(date.adjusted, -n)
            }
            CollectionLag::PreviousMonthEnd => date
                .unadjusted
                .with_day(1)
                .and_then(|first| first.pred_opt())
                .unwrap_or(NaiveDate::MIN),
            CollectionLag::Listed => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_month_agrees_with_chrono() {
        for y in [1900, 2000, 2023, 2024, 2100, 2400] {
            for m in 1..=12 {
                let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap();
                let next = add_months(first, 1, false).unwrap();
                assert_eq!(
                    i64::from(days_in_month(i64::from(y), m)),
                    (next - first).num_days()
                );
            }
        }
    }

    #[test]
    fn add_months_overflow_is_none() {
        assert_eq!(add_months(NaiveDate::MAX, 1, false), None);
        assert_eq!(add_months(NaiveDate::MIN, -1, true), None);
        assert_eq!(add_months(NaiveDate::MAX, i32::MAX, true), None);
        assert_eq!(add_months(NaiveDate::MIN, i32::MIN, false), None);
    }
}
