//! Business-day calendars, business-day conventions, day counts and payment schedules.
//!
//! See `docs/calendar.md` for every convention, the calendar data format and its sources.

/// `ALL`, `name` (the TOML spelling), `Display` and `FromStr` (ASCII case and surrounding
/// spaces ignored; an unknown spelling is an error listing the valid ones) of an enum whose
/// values are spelled in a deal file: one body for every such enum of this module and its
/// submodules (defined before them, so that they see it).
macro_rules! toml_spelled {
    ($ty:ident, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $ty {
            /// All values, in declaration order.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];

            /// The TOML spelling.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = String;

            /// Accepts the TOML spellings, ignoring ASCII case.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|c| c.name().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| {
                        format!(
                            concat!("unknown ", $what, " {:?}; expected one of: {}"),
                            s,
                            Self::ALL.map(|c| c.name()).join(", ")
                        )
                    })
            }
        }
    };
}

pub mod daycount;
pub mod schedule;

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::OnceLock;

use crate::schema::parse_iso_date;
use chrono::{Datelike, NaiveDate, Weekday};

/// Most one-day steps taken by one roll (`adjust`) or through one run of non-business days
/// in `add_business_days`. Real holiday data never has a run longer than about ten days; the
/// cap only guards against a pathological calendar, and the date reached is returned.
pub const MAX_ROLL_STEPS: u32 = 366;

/// The built-in mainland China calendar data.
const CN_DATA: &str = include_str!("../../data/calendars/cn.txt");

/// How a date that is not a business day is moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusinessDayConvention {
    /// Keep the date as is.
    Unadjusted,
    /// Next business day.
    Following,
    /// Next business day, unless that is in another calendar month: then the previous one.
    ModifiedFollowing,
    /// Previous business day.
    Preceding,
}

toml_spelled!(BusinessDayConvention, "business-day convention", [
    Unadjusted => "unadjusted",
    Following => "following",
    ModifiedFollowing => "modified_following",
    Preceding => "preceding",
]);

/// Which days a deal's payment dates fall on (`[deal] payment_days`): the calendar's business
/// days, or its exchange trading days (docs/calendar.md, "Payment days").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaymentDays {
    /// The calendar's business days (法定工作日), adjusted working weekends included.
    #[default]
    Business,
    /// The calendar's trading days ([`Calendar::is_trading_day`]): no adjusted working weekend
    /// and no exchange closure, as securities paid through CSDC are.
    Trading,
}

toml_spelled!(PaymentDays, "payment days", [Business => "business", Trading => "trading"]);

impl PaymentDays {
    /// The calendar payment dates are adjusted on: `cal` itself (borrowed, not copied), or its
    /// trading days.
    pub fn calendar(self, cal: &Calendar) -> std::borrow::Cow<'_, Calendar> {
        match self {
            PaymentDays::Business => std::borrow::Cow::Borrowed(cal),
            PaymentDays::Trading => std::borrow::Cow::Owned(cal.trading_days()),
        }
    }
}

/// The dates interest accrues between (`[deal] accrual_dates`): the payment dates as paid,
/// or as scheduled (顺延期间不另计利息: a date moved by the business-day convention does not
/// move the accrual period; docs/calendar.md, "Accrual dates").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccrualDates {
    /// From the previous adjusted payment date (or the closing date) to the adjusted one.
    #[default]
    Adjusted,
    /// From the previous unadjusted payment date (or the closing date) to the unadjusted one.
    Unadjusted,
}

toml_spelled!(AccrualDates, "accrual dates", [
    Adjusted => "adjusted",
    Unadjusted => "unadjusted",
]);

/// A malformed line (or inconsistent content) in calendar data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calendar data {source_name}, line {line}: {message}")]
pub struct CalendarDataError {
    /// Name of the data set, e.g. "CN".
    pub source_name: String,
    /// 1-based line number; 0 for an error about the whole file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A business-day calendar: Saturdays and Sundays off, plus listed holidays and listed
/// working days. A holiday overrides a working day; a working day overrides a weekend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    name: String,
    holidays: BTreeSet<NaiveDate>,
    working_days: BTreeSet<NaiveDate>,
    /// Weekday business days on which the exchanges do not trade (`closed` lines).
    closed: BTreeSet<NaiveDate>,
    covered: Option<(i32, i32)>,
}

impl Calendar {
    /// Saturdays and Sundays only.
    pub fn weekends_only() -> Calendar {
        Calendar {
            name: "weekends".to_string(),
            holidays: BTreeSet::new(),
            working_days: BTreeSet::new(),
            closed: BTreeSet::new(),
            covered: None,
        }
    }

    /// The built-in mainland China calendar (weekends, statutory holidays and adjusted
    /// working weekends 调休) from `data/calendars/cn.txt`.
    ///
    /// # Panics
    /// Only if the embedded data file does not parse, which is a build defect caught by the
    /// unit tests. Use [`Calendar::try_china`] to get the error instead.
    #[allow(clippy::panic)] // Reviewed: the embedded file is parsed by a unit test.
    pub fn china() -> Calendar {
        match Calendar::try_china() {
            Ok(cal) => cal,
            Err(e) => panic!("built-in calendar data is defective: {e}"),
        }
    }

    /// The built-in mainland China calendar, or the error from parsing its embedded data
    /// (parsed once, at first use).
    pub fn try_china() -> Result<Calendar, CalendarDataError> {
        static CN: OnceLock<Result<Calendar, CalendarDataError>> = OnceLock::new();
        CN.get_or_init(|| Calendar::from_data("CN", CN_DATA))
            .clone()
    }

    /// The names [`Calendar::builtin`] accepts (ignoring ASCII case).
    pub const BUILTIN: [&'static str; 2] = ["CN", "weekends"];

    /// Looks up a built-in calendar by its TOML name: "CN" (mainland China) or "weekends"
    /// (ASCII case ignored). None otherwise.
    pub fn builtin(name: &str) -> Option<Calendar> {
        let [cn, weekends] = Self::BUILTIN;
        let name = name.trim();
        if name.eq_ignore_ascii_case(cn) {
            Calendar::try_china().ok()
        } else if name.eq_ignore_ascii_case(weekends) {
            Some(Calendar::weekends_only())
        } else {
            None
        }
    }

    /// Parses calendar data in the `data/calendars/cn.txt` format (see `docs/calendar.md`).
    ///
    /// Rejects: a line that is not `YYYY-MM-DD holiday|workday|closed <name>`, a date listed
    /// twice, a `workday` that is not a Saturday or Sunday, a `closed` day that is, data with no 1 January holiday line
    /// (no covered year), and covered years with a gap.
    pub fn from_data(name: &str, text: &str) -> Result<Calendar, CalendarDataError> {
        let err = |line: usize, message: String| CalendarDataError {
            source_name: name.to_string(),
            line,
            message,
        };
        let mut holidays = BTreeSet::new();
        let mut working_days = BTreeSet::new();
        let mut closed = BTreeSet::new();
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.splitn(3, char::is_whitespace);
            let date_str = fields.next().unwrap_or_default();
            let kind = fields.next().unwrap_or_default();
            let label = fields.next().unwrap_or_default().trim();
            let date = parse_iso_date(date_str).ok_or_else(|| {
                err(
                    line_no,
                    format!("expected a date YYYY-MM-DD, found {date_str:?}"),
                )
            })?;
            if label.is_empty() {
                return Err(err(
                    line_no,
                    format!("expected `{date_str} holiday|workday|closed <name>`, found {line:?}"),
                ));
            }
            if holidays.contains(&date) || working_days.contains(&date) || closed.contains(&date) {
                return Err(err(line_no, format!("{date} is listed twice")));
            }
            match kind {
                "holiday" => {
                    holidays.insert(date);
                }
                "workday" => {
                    if !is_weekend(date) {
                        return Err(err(
                            line_no,
                            format!(
                                "workday {date} is a {:?}; only a Saturday or Sunday can be an adjusted working day",
                                date.weekday()
                            ),
                        ));
                    }
                    working_days.insert(date);
                }
                "closed" => {
                    if is_weekend(date) {
                        return Err(err(
                            line_no,
                            format!(
                                "closed {date} is a {:?}; the exchanges never trade on a weekend, \
                                 so only a Monday to Friday can be listed as closed",
                                date.weekday()
                            ),
                        ));
                    }
                    closed.insert(date);
                }
                other => {
                    return Err(err(
                        line_no,
                        format!("expected `holiday`, `workday` or `closed`, found {other:?}"),
                    ));
                }
            }
        }
        let covered_list: Vec<i32> = holidays
            .iter()
            .filter(|d| d.month() == 1 && d.day() == 1)
            .map(|d| d.year())
            .collect();
        let (first, last) = match (covered_list.first(), covered_list.last()) {
            (Some(&f), Some(&l)) => (f, l),
            _ => {
                return Err(err(
                    0,
                    "no `YYYY-01-01 holiday` line, so no year is covered".to_string(),
                ));
            }
        };
        if let Some(w) = covered_list.windows(2).find(|w| w[1] != w[0] + 1) {
            return Err(err(
                0,
                format!(
                    "covered years have a gap: {} is followed by {} (no 1 January line in between)",
                    w[0], w[1]
                ),
            ));
        }
        Ok(Calendar {
            name: name.to_string(),
            holidays,
            working_days,
            closed,
            covered: Some((first, last)),
        })
    }

    /// Adds deal-specific holidays and working days (a working day overrides a weekend; a
    /// holiday overrides a working day).
    pub fn with_overrides(
        mut self,
        extra_holidays: &[NaiveDate],
        extra_working_days: &[NaiveDate],
    ) -> Calendar {
        self.holidays.extend(extra_holidays.iter().copied());
        self.working_days.extend(extra_working_days.iter().copied());
        self
    }

    /// This calendar's trading days ([`Calendar::is_trading_day`]) as a calendar of their own:
    /// its business days are this calendar's trading days. Exchange closures become holidays,
    /// and no weekend is worked. Named after this calendar, e.g. "CN trading days".
    pub fn trading_days(&self) -> Calendar {
        let mut holidays = self.holidays.clone();
        holidays.extend(self.closed.iter().copied());
        Calendar {
            name: format!("{} trading days", self.name),
            holidays,
            working_days: BTreeSet::new(),
            closed: BTreeSet::new(),
            covered: self.covered,
        }
    }

    /// The calendar's name: "CN", "weekends", or the name given to [`Calendar::from_data`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True unless `d` is a holiday, or a Saturday/Sunday not listed as a working day.
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return false;
        }
        self.working_days.contains(&d) || !is_weekend(d)
    }

    /// True when the exchanges trade on `d`: a business day that is not a Saturday or Sunday
    /// and not a listed exchange closure. An adjusted working weekend (调休上班) is a business
    /// day for banks, but the Shanghai and Shenzhen exchanges and CSDC stay closed on it; they
    /// also closed on some weekday working days, such as 除夕 2024-02-09 (docs/calendar.md,
    /// "Trading days").
    pub fn is_trading_day(&self, d: NaiveDate) -> bool {
        !is_weekend(d) && self.is_business_day(d) && !self.closed.contains(&d)
    }

    /// Moves `n` trading days ([`Calendar::is_trading_day`]; n<0 goes back), as
    /// [`Calendar::add_business_days`] moves business days: n=0 returns `d`, and the walk
    /// saturates at `NaiveDate::MIN`/`MAX` or after a run of [`MAX_ROLL_STEPS`] days without
    /// trading, returning the date reached.
    pub fn add_trading_days(&self, d: NaiveDate, n: i32) -> NaiveDate {
        self.add_days(d, n, Calendar::is_trading_day)
    }

    /// Moves `d` to a business day by `bdc`. Returns `d` itself if it is a business day.
    /// Saturates: if the roll reaches `NaiveDate::MIN`/`MAX` or takes [`MAX_ROLL_STEPS`] steps,
    /// the date reached is returned.
    pub fn adjust(&self, d: NaiveDate, bdc: BusinessDayConvention) -> NaiveDate {
        match bdc {
            BusinessDayConvention::Unadjusted => d,
            BusinessDayConvention::Following => self.roll(d, true),
            BusinessDayConvention::Preceding => self.roll(d, false),
            BusinessDayConvention::ModifiedFollowing => {
                let f = self.roll(d, true);
                if f.year() == d.year() && f.month() == d.month() {
                    f
                } else {
                    self.roll(d, false)
                }
            }
        }
    }

    /// Moves `n` business days (n<0 goes back). n=0 returns `d` unchanged even if `d` is a
    /// holiday. Saturates at `NaiveDate::MIN`/`MAX`, and after a run of [`MAX_ROLL_STEPS`]
    /// non-business days, returning the date reached.
    pub fn add_business_days(&self, d: NaiveDate, n: i32) -> NaiveDate {
        self.add_days(d, n, Calendar::is_business_day)
    }

    /// Moves `n` days that `counts` (business days, or trading days); the saturation of
    /// [`Calendar::add_business_days`]. A whole week free of listed holidays and working days
    /// holds exactly 5 of either, and is skipped at once.
    fn add_days(
        &self,
        d: NaiveDate,
        n: i32,
        counts: impl Fn(&Calendar, NaiveDate) -> bool,
    ) -> NaiveDate {
        let forward = n > 0;
        let mut remaining = n.unsigned_abs();
        let mut cur = d;
        let mut run = 0u32;
        while remaining > 0 {
            if remaining > 5 {
                let weeks = self.free_weeks(cur, forward, (remaining - 1) / 5);
                let days = chrono::Days::new(7 * u64::from(weeks));
                let next = if forward {
                    cur.checked_add_days(days)
                } else {
                    cur.checked_sub_days(days)
                };
                if let (true, Some(next)) = (weeks > 0, next) {
                    cur = next;
                    remaining -= 5 * weeks;
                    run = 0;
                    continue;
                }
            }
            match step(cur, forward) {
                Some(next) => cur = next,
                None => return cur,
            }
            if counts(self, cur) {
                remaining -= 1;
                run = 0;
            } else {
                run += 1;
                if run >= MAX_ROLL_STEPS {
                    return cur;
                }
            }
        }
        cur
    }

    /// First and last year the built-in data covers (China: 2019 and the last year with an
    /// announcement in the data); None for weekends-only. Outside these years only weekends
    /// (and any overrides) are non-business days.
    pub fn covered_years(&self) -> Option<(i32, i32)> {
        self.covered
    }

    /// Whole weeks (at most `wanted`) that can be skipped from `d` in that direction without
    /// passing a listed holiday or working day or leaving the `NaiveDate` range. Each such
    /// week holds exactly 5 business days.
    fn free_weeks(&self, d: NaiveDate, forward: bool, wanted: u32) -> u32 {
        let nearest = |set: &BTreeSet<NaiveDate>| {
            if forward {
                set.range((Bound::Excluded(d), Bound::Unbounded))
                    .next()
                    .copied()
            } else {
                set.range(..d).next_back().copied()
            }
        };
        let limit = [nearest(&self.holidays), nearest(&self.working_days)]
            .into_iter()
            .flatten()
            .map(|x| (x - d).num_days().abs() - 1)
            .min();
        let room = if forward {
            (NaiveDate::MAX - d).num_days()
        } else {
            (d - NaiveDate::MIN).num_days()
        };
        let free_days = limit.map_or(room, |l| l.min(room));
        u32::try_from(free_days / 7).map_or(wanted, |w| w.min(wanted))
    }

    /// First business day at or after (`forward`) / at or before `d`, bounded.
    fn roll(&self, d: NaiveDate, forward: bool) -> NaiveDate {
        let mut cur = d;
        for _ in 0..MAX_ROLL_STEPS {
            if self.is_business_day(cur) {
                return cur;
            }
            match step(cur, forward) {
                Some(next) => cur = next,
                None => return cur,
            }
        }
        cur
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn step(d: NaiveDate, forward: bool) -> Option<NaiveDate> {
    if forward { d.succ_opt() } else { d.pred_opt() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// `trading_days()` is a calendar whose business days are exactly the trading days of the
    /// calendar it came from: checked day by day over the data's years and a year either side,
    /// and on the worked Sunday 2020-04-26 (May Day 2020, data/calendars/cn.txt), which
    /// `following` keeps on CN and moves to Monday the 27th on CN's trading days.
    #[test]
    fn trading_days_calendar_has_the_trading_days_as_business_days() {
        let cal = Calendar::china().with_overrides(&[d(2025, 3, 3)], &[d(2025, 3, 8)]);
        let trading = cal.trading_days();
        assert_eq!(trading.name(), "CN trading days");
        assert_eq!(trading.covered_years(), cal.covered_years());
        let mut day = d(2018, 1, 1);
        let mut differ = 0;
        while day <= d(2027, 12, 31) {
            assert_eq!(
                trading.is_business_day(day),
                cal.is_trading_day(day),
                "{day}"
            );
            assert_eq!(
                trading.is_trading_day(day),
                cal.is_trading_day(day),
                "{day}"
            );
            differ += usize::from(cal.is_business_day(day) != cal.is_trading_day(day));
            day = day.succ_opt().unwrap();
        }
        // The listed working weekends (and the deal's extra Saturday) and 除夕 2024-02-09.
        assert!(differ > 20, "{differ}");
        let sunday = d(2020, 4, 26);
        assert_eq!(sunday.weekday(), Weekday::Sun);
        let bdc = BusinessDayConvention::Following;
        assert_eq!(cal.adjust(sunday, bdc), sunday);
        assert_eq!(trading.adjust(sunday, bdc), d(2020, 4, 27));
        // 除夕 2024-02-09 (Friday, a working day, exchanges closed): preceding from Saturday
        // the 10th stays on the 9th for CN and goes back to Thursday the 8th on trading days.
        let pre = BusinessDayConvention::Preceding;
        assert_eq!(cal.adjust(d(2024, 2, 10), pre), d(2024, 2, 9));
        assert_eq!(trading.adjust(d(2024, 2, 10), pre), d(2024, 2, 8));
        assert_eq!(*PaymentDays::Trading.calendar(&cal), trading);
        assert_eq!(*PaymentDays::Business.calendar(&cal), cal);
        assert_eq!("Trading".parse::<PaymentDays>(), Ok(PaymentDays::Trading));
        assert!("exchange".parse::<PaymentDays>().is_err());
    }

    /// Record dates are trading days: an adjusted working weekend is a business day but not a
    /// trading day. 2021-04-25 (Sunday) and 2024-10-12 (Saturday) were worked (State Council
    /// notices for 2021 May Day and 2024 National Day: data/calendars/cn.txt).
    #[test]
    fn trading_days_skip_adjusted_working_weekends() {
        let cal = Calendar::china();
        assert!(cal.is_business_day(d(2021, 4, 25)) && !cal.is_trading_day(d(2021, 4, 25)));
        assert!(cal.is_business_day(d(2024, 10, 12)) && !cal.is_trading_day(d(2024, 10, 12)));
        // Monday 2021-04-26: one business day back is that Sunday, one trading day back is
        // Friday 2021-04-23 (Saturday the 24th is off).
        assert_eq!(cal.add_business_days(d(2021, 4, 26), -1), d(2021, 4, 25));
        assert_eq!(cal.add_trading_days(d(2021, 4, 26), -1), d(2021, 4, 23));
        // Monday 2024-10-14: back over Saturday the 12th (worked) and Sunday the 13th to Friday
        // the 11th; three trading days back: 11th, 10th, 9th (the holiday ended on the 7th).
        assert_eq!(cal.add_trading_days(d(2024, 10, 14), -1), d(2024, 10, 11));
        assert_eq!(cal.add_trading_days(d(2024, 10, 14), -3), d(2024, 10, 9));
        // Over the holiday: one trading day before Tuesday 2024-10-08 is Monday 2024-09-30
        // (Oct 1-7 off); Sunday 2024-09-29 was worked but is not a trading day.
        assert_eq!(cal.add_trading_days(d(2024, 10, 8), -1), d(2024, 9, 30));
        // 除夕 2024-02-09 (Friday) was a working day, but the exchanges closed from the 9th to
        // the 17th: one trading day before Monday 2024-02-19 is Thursday 2024-02-08.
        assert!(cal.is_business_day(d(2024, 2, 9)) && !cal.is_trading_day(d(2024, 2, 9)));
        assert_eq!(cal.add_business_days(d(2024, 2, 19), -1), d(2024, 2, 18));
        assert_eq!(cal.add_trading_days(d(2024, 2, 19), -1), d(2024, 2, 8));
        // Forward, and n = 0 returns the day itself even when it is not a trading day.
        assert_eq!(cal.add_trading_days(d(2024, 10, 11), 1), d(2024, 10, 14));
        assert_eq!(cal.add_trading_days(d(2024, 10, 12), 0), d(2024, 10, 12));
        // Long walks skip whole free weeks (5 trading days each, as 5 business days): the same
        // dates as stepping day by day, over the years of the data, both ways.
        let naive = |cur: NaiveDate, n: i32| naive_walk(&cal, cur, n, Calendar::is_trading_day);
        for start in [d(2019, 1, 2), d(2021, 4, 25), d(2024, 9, 29), d(2026, 6, 1)] {
            for n in [-260, -37, -6, 6, 11, 37, 260] {
                assert_eq!(
                    cal.add_trading_days(start, n),
                    naive(start, n),
                    "{start} {n}"
                );
            }
        }
        // On a weekends-only calendar trading days are business days.
        let w = Calendar::weekends_only();
        assert_eq!(
            w.add_trading_days(d(2021, 4, 26), -1),
            w.add_business_days(d(2021, 4, 26), -1)
        );
    }

    #[test]
    fn shipped_cn_data_parses() {
        let cal = Calendar::from_data("CN", CN_DATA).unwrap();
        assert_eq!(cal.covered_years(), Some((2019, 2026)));
        // 285 entries: counted from the announcements (see the file's per-year headers).
        assert_eq!(cal.holidays.len() + cal.working_days.len(), 285);
        assert!(Calendar::try_china().is_ok());
    }

    #[test]
    fn shipped_cn_data_has_no_long_runs() {
        // No run of consecutive non-business days in the data exceeds 10 (2020 Spring
        // Festival with its extension: Fri 2020-01-24 .. Sun 2020-02-02).
        let cal = Calendar::china();
        let mut longest = 0;
        let mut run = 0;
        let mut cur = d(2018, 12, 1);
        while cur <= d(2027, 1, 31) {
            if cal.is_business_day(cur) {
                run = 0;
            } else {
                run += 1;
                longest = longest.max(run);
            }
            cur = cur.succ_opt().unwrap();
        }
        assert_eq!(longest, 10);
    }

    #[test]
    fn malformed_lines_are_reported_with_line_numbers() {
        let cases = [
            (
                "2024-01-01 holiday New Year\n2024-13-01 holiday X\n",
                2,
                "date",
            ),
            (
                "2024-01-01 holiday New Year\n2024-1-2 holiday X\n",
                2,
                "date",
            ),
            (
                "2024-01-01 holiday New Year\n\n2024-01-02 vacation X\n",
                3,
                "`holiday`, `workday` or `closed`",
            ),
            (
                "2024-01-01 holiday New Year\n2024-01-02 holiday\n",
                2,
                "expected",
            ),
            (
                "2024-01-01 holiday New Year\n2024-01-01 holiday Again\n",
                2,
                "twice",
            ),
            // 2024-02-19 is a Monday.
            (
                "2024-01-01 holiday New Year\n2024-02-19 workday X\n",
                2,
                "Saturday or Sunday",
            ),
            // 2024-02-18 is a Sunday: the exchanges never trade then.
            (
                "2024-01-01 holiday New Year\n2024-02-18 closed X\n",
                2,
                "only a Monday to Friday",
            ),
            (
                "2024-01-01 holiday New Year\n2024-02-09 closed X\n2024-02-09 holiday Y\n",
                3,
                "twice",
            ),
            (
                "# only a comment\n2024-10-01 holiday National Day\n",
                0,
                "no year",
            ),
            ("2023-01-01 holiday A\n2025-01-01 holiday B\n", 0, "gap"),
        ];
        for (text, line, needle) in cases {
            let e = Calendar::from_data("T", text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
            assert!(e.to_string().contains(&format!("line {line}")));
        }
    }

    #[test]
    fn comments_blank_lines_and_crlf_are_accepted() {
        let text = "# header\r\n\r\n  2024-01-01 holiday 元旦 New Year\r\n2024-02-04 workday 春节 调休上班\r\n";
        let cal = Calendar::from_data("T", text).unwrap();
        assert!(!cal.is_business_day(d(2024, 1, 1)));
        assert!(cal.is_business_day(d(2024, 2, 4)));
        assert_eq!(cal.covered_years(), Some((2024, 2024)));
    }

    #[test]
    fn rolling_is_bounded_on_a_pathological_calendar() {
        // 400 consecutive holidays: rolls stop after MAX_ROLL_STEPS one-day steps.
        let start = d(2030, 1, 1);
        let hols: Vec<NaiveDate> = start.iter_days().take(400).collect();
        let cal = Calendar::weekends_only().with_overrides(&hols, &[]);
        let f = cal.adjust(start, BusinessDayConvention::Following);
        assert_eq!((f - start).num_days(), i64::from(MAX_ROLL_STEPS));
        let before = start.pred_opt().unwrap(); // Monday 2029-12-31, a business day
        let a = cal.add_business_days(before, 1);
        assert_eq!((a - before).num_days(), i64::from(MAX_ROLL_STEPS));
    }

    fn naive_add(cal: &Calendar, cur: NaiveDate, n: i32) -> NaiveDate {
        naive_walk(cal, cur, n, Calendar::is_business_day)
    }

    /// `n` days that `counts` from `cur`, stepping one day at a time (the oracle of the
    /// week-skipping walk).
    fn naive_walk(
        cal: &Calendar,
        mut cur: NaiveDate,
        n: i32,
        counts: impl Fn(&Calendar, NaiveDate) -> bool,
    ) -> NaiveDate {
        let mut left = n.unsigned_abs();
        while left > 0 {
            cur = if n > 0 {
                cur.succ_opt().unwrap()
            } else {
                cur.pred_opt().unwrap()
            };
            if counts(cal, cur) {
                left -= 1;
            }
        }
        cur
    }

    #[test]
    fn week_jumps_match_day_by_day_stepping() {
        let cn = Calendar::china();
        let deal = Calendar::china().with_overrides(&[d(2031, 3, 3)], &[d(2030, 6, 1)]);
        let wk = Calendar::weekends_only();
        for cal in [&cn, &deal, &wk] {
            for start in [
                d(2018, 1, 1),
                d(2019, 12, 20),
                d(2024, 10, 3),
                d(2026, 12, 31),
                d(2027, 1, 2),
                d(2035, 5, 5),
            ] {
                for n in [-4000, -777, -6, -5, -1, 1, 5, 6, 7, 777, 4000] {
                    assert_eq!(
                        cal.add_business_days(start, n),
                        naive_add(cal, start, n),
                        "{} {start} {n}",
                        cal.name()
                    );
                }
            }
        }
    }
}
