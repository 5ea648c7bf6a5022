//! Day-count conventions.
//!
//! A year fraction is an exact [`Ratio`] of integers ([`DayCount::fraction`]): money is made
//! from its numerator and denominator, multiplied before anything is divided
//! (docs/conventions.md). The statistics and bond math, floats by design, read the same
//! ratio as one `f64` division ([`Ratio::to_f64`]); reports as a Decimal quotient
//! ([`Ratio::to_decimal`]).

use chrono::{Datelike, NaiveDate};

use crate::money::Ratio;

/// A day-count convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayCount {
    /// ACT/365 Fixed: actual days / 365.
    Act365F,
    /// ACT/360: actual days / 360.
    Act360,
    /// 30/360 Bond Basis (ISDA 2006 4.16(f)).
    Thirty360,
    /// ACT/ACT ISDA: days in leap years / 366 + days in other years / 365.
    ActAct,
    /// NL/365 (Actual/365 No Leap, 实际天数/365 不计 2 月 29 日): actual days less the
    /// 29 Februaries in (start, end], over 365 (QuantLib's `Actual365Fixed(NoLeap)`,
    /// ISO 20022 A014).
    Nl365,
}

impl DayCount {
    /// Year fraction from `start` to `end` as an exact ratio: actual (or 30/360) days over
    /// 365 or 360; ACT/ACT as (days outside leap years × 366 + days in leap years × 365) over
    /// 365 × 366. If `end < start` the numerator is negative.
    pub fn fraction(self, start: NaiveDate, end: NaiveDate) -> Ratio {
        if end < start {
            let r = self.fraction(end, start);
            return Ratio::new(-r.num, r.den);
        }
        match self {
            DayCount::Act365F => Ratio::new(actual_days(start, end), 365),
            DayCount::Act360 => Ratio::new(actual_days(start, end), 360),
            DayCount::Thirty360 => Ratio::new(thirty_360_days(start, end), 360),
            DayCount::ActAct => {
                let (other_days, leap_days) = act_act_split(start, end);
                Ratio::new(other_days * 366 + leap_days * 365, 365 * 366)
            }
            DayCount::Nl365 => Ratio::new(no_leap_days(start, end), 365),
        }
    }

    /// Day count numerator used: actual days, 30/360 days for `Thirty360`, actual days less
    /// the 29 Februaries for `Nl365`. Negative
    /// (minus the count from `end` to `start`) if `end < start`.
    pub fn day_count(self, start: NaiveDate, end: NaiveDate) -> i64 {
        if end < start {
            return -self.day_count(end, start);
        }
        match self {
            DayCount::Thirty360 => thirty_360_days(start, end),
            DayCount::Nl365 => no_leap_days(start, end),
            DayCount::Act365F | DayCount::Act360 | DayCount::ActAct => actual_days(start, end),
        }
    }

    /// The year fraction from `start` to `end` as a reader recomputes it: `91/365` (ACT/365F),
    /// `91/360` (ACT/360), `90/360` (30/360: the 30/360 days, not the actual ones),
    /// `47/365 + 91/366` (ACT/ACT: the days outside and inside leap years; one term when
    /// the other is 0), `90/365` (NL/365: the days without a 29 February). For
    /// `start <= end`.
    pub fn fraction_text(self, start: NaiveDate, end: NaiveDate) -> String {
        match self {
            DayCount::Act365F => format!("{}/365", actual_days(start, end)),
            DayCount::Act360 => format!("{}/360", actual_days(start, end)),
            DayCount::Thirty360 => format!("{}/360", thirty_360_days(start, end)),
            DayCount::ActAct => match act_act_split(start, end) {
                (other, 0) => format!("{other}/365"),
                (0, leap) => format!("{leap}/366"),
                (other, leap) => format!("{other}/365 + {leap}/366"),
            },
            DayCount::Nl365 => format!("{}/365", no_leap_days(start, end)),
        }
    }
}

toml_spelled!(DayCount, "day count", [
    Act365F => "ACT/365F",
    Act360 => "ACT/360",
    Thirty360 => "30/360",
    ActAct => "ACT/ACT",
    Nl365 => "NL/365",
]);

fn actual_days(start: NaiveDate, end: NaiveDate) -> i64 {
    (end - start).num_days()
}

/// 30/360 Bond Basis: D1=31→30; D2=31 and D1≥30 → D2=30;
/// days = 360(Y2−Y1) + 30(M2−M1) + (D2−D1).
fn thirty_360_days(start: NaiveDate, end: NaiveDate) -> i64 {
    let (y1, m1, mut d1) = (
        i64::from(start.year()),
        i64::from(start.month()),
        i64::from(start.day()),
    );
    let (y2, m2, mut d2) = (
        i64::from(end.year()),
        i64::from(end.month()),
        i64::from(end.day()),
    );
    if d1 == 31 {
        d1 = 30;
    }
    if d2 == 31 && d1 >= 30 {
        d2 = 30;
    }
    360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1)
}

/// NL/365's days: the actual days from `start` to `end` less the 29 Februaries in
/// (start, end] (QuantLib counts each date as if 29 February were the 28th, the same
/// count). `start <= end`.
fn no_leap_days(start: NaiveDate, end: NaiveDate) -> i64 {
    actual_days(start, end) - (feb29s_through(end) - feb29s_through(start))
}

/// The 29 Februaries on or before `d` since 1 March of year 0 (a count that differences
/// give the 29 Februaries in an interval from).
fn feb29s_through(d: NaiveDate) -> i64 {
    let y = i64::from(d.year());
    // The 29 Februaries of years before y, then y's own if it is on or before d.
    let before = leaps_through(y - 1);
    let own = i64::from(is_leap(d.year()) && (d.month() > 2 || (d.month() == 2 && d.day() == 29)));
    before + own
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_year(year: i32) -> i64 {
    if is_leap(year) { 366 } else { 365 }
}

/// Leap years in 1..=y (proleptic Gregorian; valid for y ≤ 0 too).
fn leaps_through(y: i64) -> i64 {
    y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)
}

/// (days in non-leap years, days in leap years) in [start, end), start ≤ end.
fn act_act_split(start: NaiveDate, end: NaiveDate) -> (i64, i64) {
    let (y1, y2) = (start.year(), end.year());
    let mut other = 0;
    let mut leap = 0;
    let mut add = |year: i32, days: i64| {
        if is_leap(year) {
            leap += days;
        } else {
            other += days;
        }
    };
    if y1 == y2 {
        add(y1, actual_days(start, end));
        return (other, leap);
    }
    // From start to 1 January of y1+1, and from 1 January of y2 to end.
    add(y1, days_in_year(y1) - i64::from(start.ordinal0()));
    add(y2, i64::from(end.ordinal0()));
    // Whole years strictly between.
    let (a, b) = (i64::from(y1), i64::from(y2));
    let whole = b - a - 1;
    let whole_leap = leaps_through(b - 1) - leaps_through(a);
    leap += 366 * whole_leap;
    other += 365 * (whole - whole_leap);
    (other, leap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The notice's 计息基准 (review 26a item M1), by hand: 2024-04-01 → 2024-07-01 is 91
    /// actual days and 30/360 days 360·0 + 30·3 + (1 − 1) = 90; 2023-11-15 → 2024-04-01 is
    /// 47 days of 2023 (11-15 → 01-01) and 91 of leap 2024 (01-01 → 04-01).
    #[test]
    fn fraction_text_gives_the_day_counts_own_days() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let (a, b) = (d(2024, 4, 1), d(2024, 7, 1));
        assert_eq!(DayCount::Act365F.fraction_text(a, b), "91/365");
        assert_eq!(DayCount::Act360.fraction_text(a, b), "91/360");
        assert_eq!(DayCount::Thirty360.fraction_text(a, b), "90/360");
        assert_eq!(DayCount::ActAct.fraction_text(a, b), "91/366");
        let c = d(2023, 11, 15);
        assert_eq!(DayCount::ActAct.fraction_text(c, a), "47/365 + 91/366");
        assert_eq!(DayCount::ActAct.fraction_text(c, d(2023, 12, 15)), "30/365");
    }

    #[test]
    fn leaps_through_matches_is_leap() {
        let mut count = 0i64;
        for y in -800..=2400 {
            if is_leap(y) {
                count += 1;
            }
            assert_eq!(
                leaps_through(i64::from(y)) - leaps_through(-801),
                count,
                "{y}"
            );
        }
    }

    /// NL/365 by hand: 2024-02-28 → 2024-03-01 is 2 actual days with 2024-02-29 in
    /// (start, end], so 1; from 2024-02-29 the 29th is the start, outside (start, end], so
    /// 2024-02-29 → 2024-03-01 is 1 day and 2024-02-28 → 2024-02-29 is 0; 2023-11-15 →
    /// 2024-04-01 is 47 + 91 = 138 actual days less one 29 February, 137; five years from
    /// 2020-01-01 are 5 × 365 + 2 = 1,827 actual days less two 29 Februaries (2020, 2024),
    /// 1,825/365 = 5 exactly; a quarter without a 29 February is ACT/365F's 91/365.
    #[test]
    fn nl365_drops_each_29_february() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let nl = DayCount::Nl365;
        assert_eq!(nl.day_count(d(2024, 2, 28), d(2024, 3, 1)), 1);
        assert_eq!(nl.day_count(d(2024, 2, 29), d(2024, 3, 1)), 1);
        assert_eq!(nl.day_count(d(2024, 2, 28), d(2024, 2, 29)), 0);
        assert_eq!(nl.fraction_text(d(2023, 11, 15), d(2024, 4, 1)), "137/365");
        let five = nl.fraction(d(2020, 1, 1), d(2025, 1, 1));
        assert_eq!((five.num, five.den), (1825, 365));
        assert_eq!(nl.fraction_text(d(2024, 4, 1), d(2024, 7, 1)), "91/365");
        assert_eq!(nl.day_count(d(2024, 3, 1), d(2024, 2, 28)), -1);
        assert_eq!("nl/365".parse::<DayCount>().ok(), Some(DayCount::Nl365));
        assert_eq!(DayCount::Nl365.name(), "NL/365");
    }

    /// NL/365 against QuantLib's own formula (`Actual365Fixed::NL_Impl::dayCount`, docs/
    /// sources.md R10), an independent oracle: each date's serial is day + the days before
    /// its month in a 365-day year + 365 × year, a 29 February counted as the 28th; the count
    /// is the difference of the serials. Every pair of dates 37 days apart, and 1 to 800 days
    /// from every date of 2023-12-01 to 2024-03-31, over 1896–2104.
    #[test]
    fn nl365_matches_quantlibs_serials() {
        const OFFSET: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let serial = |x: NaiveDate| {
            let s = i64::from(x.day()) + OFFSET[x.month0() as usize] + 365 * i64::from(x.year());
            if x.month() == 2 && x.day() == 29 {
                s - 1
            } else {
                s
            }
        };
        let check = |a: NaiveDate, b: NaiveDate| {
            assert_eq!(
                DayCount::Nl365.day_count(a, b),
                serial(b) - serial(a),
                "{a} → {b}"
            );
        };
        let mut a = NaiveDate::from_ymd_opt(1896, 1, 1).expect("date");
        let stop = NaiveDate::from_ymd_opt(2104, 12, 31).expect("date");
        while a < stop {
            check(a, a + chrono::Duration::days(37));
            a = a.succ_opt().expect("date");
        }
        let mut a = NaiveDate::from_ymd_opt(2023, 12, 1).expect("date");
        while a <= NaiveDate::from_ymd_opt(2024, 3, 31).expect("date") {
            for n in 1..=800 {
                check(a, a + chrono::Duration::days(n));
            }
            a = a.succ_opt().expect("date");
        }
    }

    #[test]
    fn act_act_split_sums_to_actual_days() {
        let pairs = [
            ((1999, 3, 1), (2005, 7, 9)),
            ((2000, 1, 1), (2000, 12, 31)),
            ((1896, 6, 30), (2104, 2, 29)),
            ((-5, 2, 1), (3, 1, 1)),
        ];
        for ((a, b, c), (x, y, z)) in pairs {
            let s = NaiveDate::from_ymd_opt(a, b, c).unwrap();
            let e = NaiveDate::from_ymd_opt(x, y, z).unwrap();
            let (o, l) = act_act_split(s, e);
            assert_eq!(o + l, (e - s).num_days());
        }
    }
}
