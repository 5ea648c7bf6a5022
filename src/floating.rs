//! Floating rates (浮动利率): an index (LPR 1Y, LPR 5Y or a named index) plus a spread, fixed
//! on reset dates, floored and capped. The index's path over time is a scenario input
//! ([`IndexPaths`]); a deal says which index a tranche coupon or a loan rate follows
//! ([`FloatingRate`]). Formulas and examples: docs/conventions.md ("Floating rates"),
//! docs/deal-format.md (`floating`) and docs/scenarios.md (`indices`, `index_shift`).
//!
//! Nothing here is money: rates are exact Decimals, and the engine multiplies them into fen
//! once, as it does a fixed coupon.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::schedule::add_months;

/// The one-year Loan Prime Rate (贷款市场报价利率, 1年期).
pub const LPR_1Y: &str = "lpr_1y";
/// The over-five-year Loan Prime Rate (5年期以上).
pub const LPR_5Y: &str = "lpr_5y";

/// The path of one index over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexPath {
    /// The same value on every date.
    Flat(Decimal),
    /// A step function: each value applies from its date until the next entry's date; before
    /// the first date, the first value applies. Dates strictly increasing.
    Steps(Vec<(NaiveDate, Decimal)>),
}

impl IndexPath {
    /// The index's value on `date` (without any shift).
    pub fn at(&self, date: NaiveDate) -> Decimal {
        match self {
            IndexPath::Flat(v) => *v,
            IndexPath::Steps(steps) => steps
                .iter()
                .rev()
                .find(|(d, _)| *d <= date)
                .or(steps.first())
                .map_or(Decimal::ZERO, |(_, v)| *v),
        }
    }
}

/// The index paths of a scenario and its parallel shift.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexPaths {
    /// Index name → path, in file order.
    pub paths: Vec<(String, IndexPath)>,
    /// Added to every index on every date (a parallel shift, e.g. 0.01 = +100 bp); stress
    /// suites add to it.
    pub shift: Decimal,
}

impl IndexPaths {
    /// The path of index `name`, if this scenario gives one.
    pub fn get(&self, name: &str) -> Option<&IndexPath> {
        self.paths.iter().find(|(n, _)| n == name).map(|(_, p)| p)
    }
}

/// When a floating rate is re-fixed. The rate is always fixed first on its origin (a
/// tranche's closing date, a loan's start date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reset {
    /// Re-fixed at the start of every accrual period (the default).
    EveryPeriod,
    /// Re-fixed on each listed date (strictly increasing).
    Dates(Vec<NaiveDate>),
    /// Re-fixed every `months` months from `from` (`from`, `from + months`, …; month-end
    /// dates stay at month end).
    Every {
        /// The months between re-fixings, 1 to 120 (`reset_every_months`).
        months: u32,
        /// The first re-fixing date (`reset_from`).
        from: NaiveDate,
    },
}

/// A floating rate: `clamp(index(fixing date) + shift + spread, floor, cap)`, and never below
/// zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatingRate {
    /// The index's name: [`LPR_1Y`], [`LPR_5Y`] or any name a scenario gives a path for.
    pub index: String,
    /// Added to the index, as a fraction (0.005 = 50 bp); may be negative.
    pub spread: Decimal,
    /// The lowest rate, if any.
    pub floor: Option<Decimal>,
    /// The highest rate, if any.
    pub cap: Option<Decimal>,
    /// When the rate is re-fixed.
    pub reset: Reset,
}

impl FloatingRate {
    /// The fixing date of the rate that applies to an accrual period starting on `start`:
    /// the latest reset date on or before `start`, or `origin` when none has come.
    pub fn fixing_date(&self, origin: NaiveDate, start: NaiveDate) -> NaiveDate {
        let latest = match &self.reset {
            Reset::EveryPeriod => Some(start),
            Reset::Dates(dates) => dates.iter().rev().find(|d| **d <= start).copied(),
            Reset::Every { months, from } => {
                let keep_end = crate::calendar::schedule::is_month_end(*from);
                let step = i32::try_from(*months).unwrap_or(i32::MAX).max(1);
                let mut last = None;
                for n in 0..=i32::MAX / step {
                    match add_months(*from, n * step, keep_end) {
                        Some(d) if d <= start => last = Some(d),
                        _ => break,
                    }
                }
                last
            }
        };
        latest.filter(|d| *d > origin).unwrap_or(origin)
    }

    /// The rate fixed on `date`: `index + spread` (the index as `view` reads it, shift
    /// included), clamped to the floor and the cap, and to zero from below. `None` when the
    /// view has no path for the index.
    pub fn rate_on(&self, date: NaiveDate, view: &IndexView<'_>) -> Option<Decimal> {
        Some(self.clamp(view.value(&self.index, date)? + self.spread))
    }

    /// `rate` within the floor and the cap, and not below zero.
    pub fn clamp(&self, rate: Decimal) -> Decimal {
        let mut r = rate;
        if let Some(f) = self.floor {
            r = r.max(f);
        }
        if let Some(c) = self.cap {
            r = r.min(c);
        }
        r.max(Decimal::ZERO)
    }
}

/// A floating-rate loan's generation terms. The pool builds its schedule for each scenario
/// (`schedule::floating_loan`): the rate fixed on the start date applies until the first reset;
/// at each reset that changes the rate the loan re-amortizes exactly on its remaining
/// balance and remaining instalments at the new rate; a bullet instead pays each notional
/// period's interest, at that period's fixing, at maturity. Interest accrues periodically
/// (annual rate ÷ payments a year) or by the deal's day count (`day_count`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatingLoan {
    /// The loan's floating rate.
    pub rate: FloatingRate,
    /// Principal at the start date, whole fen.
    pub balance: Decimal,
    /// Disbursement date: the rate's first fixing and the first accrual period's start.
    pub start_date: NaiveDate,
    /// First instalment date; `None`: one period after `start_date`.
    pub first_payment_date: Option<NaiveDate>,
    /// Number of instalments.
    pub term: u32,
    /// 1, 3, 6 or 12.
    pub months_per_period: u32,
    /// Any repayment of a generated loan: level (等额本息) and equal principal (等额本金)
    /// re-amortize at a reset, interest only (先息后本) pays each period's interest at its
    /// rate, a bullet (到期一次还本付息) sums its notional periods' interest at maturity.
    pub repayment: crate::loan_terms::Repayment,
    /// `Some`: interest accrues by this day count over each instalment's days (`accrual =
    /// "day_count"`, the deal's `day_count`); `None`: periodically (annual rate ÷ payments a
    /// year).
    pub day_count: Option<crate::calendar::daycount::DayCount>,
    /// The deal's rounding rule.
    pub rounding: crate::money::Rounding,
}

/// How a run reads an index: fixings on or before `history_end` (a tranche's closing date, a
/// loan's cutoff date) are history, read from the deal file's own `[scenario]` without any
/// shift, so that issuance coupons and the pool's balance at cutoff are the same in every
/// scenario; later fixings read the scenario's path (else the deal's) plus the scenario's
/// `index_shift`.
#[derive(Debug, Clone, Copy)]
pub struct IndexView<'a> {
    /// The deal file's own paths.
    pub history: &'a IndexPaths,
    /// The scenario's paths and shift.
    pub scenario: &'a IndexPaths,
    /// The last date read as history.
    pub history_end: NaiveDate,
}

impl IndexView<'_> {
    /// Index `name` on `date`, or `None` when neither the scenario nor the deal gives a path.
    pub fn value(&self, name: &str, date: NaiveDate) -> Option<Decimal> {
        if date <= self.history_end
            && let Some(p) = self.history.get(name)
        {
            return Some(p.at(date));
        }
        let path = self.scenario.get(name).or_else(|| self.history.get(name))?;
        Some(path.at(date) + self.scenario.shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn steps_and_fixings() {
        let p = IndexPath::Steps(vec![
            (d("2024-10-21"), dec!(0.031)),
            (d("2025-05-20"), dec!(0.030)),
        ]);
        assert_eq!(p.at(d("2024-01-01")), dec!(0.031));
        assert_eq!(p.at(d("2025-05-19")), dec!(0.031));
        assert_eq!(p.at(d("2025-05-20")), dec!(0.030));
        let f = FloatingRate {
            index: LPR_1Y.into(),
            spread: dec!(0.005),
            floor: None,
            cap: None,
            reset: Reset::Every {
                months: 12,
                from: d("2025-01-01"),
            },
        };
        let origin = d("2024-06-30");
        assert_eq!(f.fixing_date(origin, d("2024-12-31")), origin);
        assert_eq!(f.fixing_date(origin, d("2025-01-01")), d("2025-01-01"));
        assert_eq!(f.fixing_date(origin, d("2026-03-31")), d("2026-01-01"));
        let listed = FloatingRate {
            reset: Reset::Dates(vec![d("2025-03-01")]),
            floor: Some(dec!(0.02)),
            cap: Some(dec!(0.034)),
            ..f.clone()
        };
        assert_eq!(listed.fixing_date(origin, d("2025-02-28")), origin);
        assert_eq!(listed.fixing_date(origin, d("2025-03-01")), d("2025-03-01"));
        let history = IndexPaths {
            paths: vec![(LPR_1Y.into(), p)],
            shift: Decimal::ZERO,
        };
        let up = IndexPaths {
            paths: vec![],
            shift: dec!(0.001),
        };
        let view = |s| IndexView {
            history: &history,
            scenario: s,
            history_end: origin,
        };
        // History (on or before 2024-06-30; before the path's first date its first value):
        // 0.031 + 0.005 = 0.036 → cap 0.034, unshifted.
        assert_eq!(listed.rate_on(origin, &view(&up)), Some(dec!(0.034)));
        let listed_high = FloatingRate {
            cap: None,
            ..listed.clone()
        };
        assert_eq!(listed_high.rate_on(origin, &view(&up)), Some(dec!(0.036)));
        // Later: the deal's path plus the shift: 0.031 + 0.001 + 0.005 = 0.037.
        assert_eq!(
            listed_high.rate_on(d("2025-01-01"), &view(&up)),
            Some(dec!(0.037))
        );
        // 0.030 − 0.03 + 0.005 = 0.005 → floor 0.02.
        let down = IndexPaths {
            paths: vec![],
            shift: dec!(-0.03),
        };
        assert_eq!(
            listed.rate_on(d("2025-06-01"), &view(&down)),
            Some(dec!(0.02))
        );
        let none = IndexPaths::default();
        let empty = IndexView {
            history: &none,
            scenario: &none,
            history_end: origin,
        };
        assert_eq!(f.rate_on(d("2025-06-01"), &empty), None);
    }
}
