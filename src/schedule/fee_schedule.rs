//! Generated licence-fee schedules (许可使用费): level or growing fees over N periods from a
//! first due date, so that a licence asset need not list every instalment.
//!
//! Instalment i (0-based) is due `add_months(first, i × months, first is a month end)`, always
//! counted from `first` (a 31st does not drift to the 28th). Its amount is
//! `amount × (1 + growth)^y` with `y = ⌊i × months / 12⌋`, the number of whole years from
//! `first` to its due date: the fee steps up once a year, on each anniversary of the first
//! instalment, compounding. Each amount is that exact value rounded once to the fen under the
//! deal's rounding ([`crate::money::rational::fen_times`]); no instalment is derived from a
//! rounded earlier one. docs/deal-format.md ("Generated licence-fee schedules") states the rule.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::schedule::{add_months, is_month_end};
use crate::money::{Ratio, Rounding, from_fen, to_fen};

/// The terms of a generated fee schedule (validated: `periods ≥ 1`, `amount` whole fen > 0,
/// `0 ≤ growth < 1`, `months` one of 1, 3, 6, 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeTerms {
    /// Due date of the first instalment.
    pub first: NaiveDate,
    /// Months between instalments: 1, 3, 6 or 12.
    pub months: u32,
    /// Number of instalments.
    pub periods: u32,
    /// The first year's instalment.
    pub amount: Decimal,
    /// Annual escalation, compounded once per whole year from `first`.
    pub growth: Decimal,
    /// How each amount is rounded to the fen (the deal's `rounding`).
    pub rounding: Rounding,
}

/// Why a fee schedule cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeScheduleError {
    /// A due date runs past the supported calendar range.
    #[error("due dates run past the supported calendar range")]
    DateOverflow,
    /// An instalment overflows the range of money.
    #[error("an instalment overflows the range of money")]
    AmountOverflow,
}

/// The (due date, amount) of every instalment, in date order.
pub fn fee_schedule(t: &FeeTerms) -> Result<Vec<(NaiveDate, Decimal)>, FeeScheduleError> {
    let keep_month_end = is_month_end(t.first);
    let base = to_fen(t.amount);
    let step = Decimal::ONE + t.growth;
    let mut out = Vec::with_capacity(t.periods as usize);
    // One factor list, grown by one `1 + growth` at each anniversary.
    let mut factors: Vec<Decimal> = Vec::new();
    for i in 0..t.periods {
        let months = i
            .checked_mul(t.months)
            .ok_or(FeeScheduleError::DateOverflow)?;
        let date = i32::try_from(months)
            .ok()
            .and_then(|m| add_months(t.first, m, keep_month_end))
            .ok_or(FeeScheduleError::DateOverflow)?;
        let years = (months / 12) as usize;
        if !t.growth.is_zero() {
            factors.resize(years, step);
        }
        let fen = crate::money::fen_times(base, &factors, Ratio::ONE, t.rounding)
            .ok_or(FeeScheduleError::AmountOverflow)?;
        let amount = from_fen(fen).ok_or(FeeScheduleError::AmountOverflow)?;
        out.push((date, amount));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn quarterly_growth_steps_on_anniversaries() {
        // 100.00 a quarter growing 3.3% a year, half up. Instalments 0-3 (year 0): 100.00;
        // 4-7 (year 1): 100 × 1.033 = 103.30; 8-11 (year 2): 100 × 1.033² = 106.7089 → 106.71;
        // 12 (year 3): 100 × 1.033³ = 110.2302937 → 110.23.
        let t = FeeTerms {
            first: d(2025, 3, 31),
            months: 3,
            periods: 13,
            amount: Decimal::new(10000, 2),
            growth: Decimal::new(33, 3),
            rounding: Rounding::HalfUp,
        };
        let s = fee_schedule(&t).unwrap();
        assert_eq!(s.len(), 13);
        assert_eq!(s[0], (d(2025, 3, 31), Decimal::new(10000, 2)));
        assert_eq!(s[3], (d(2025, 12, 31), Decimal::new(10000, 2)));
        assert_eq!(s[4], (d(2026, 3, 31), Decimal::new(10330, 2)));
        assert_eq!(s[1].0, d(2025, 6, 30)); // month end kept
        assert_eq!(s[8].1, Decimal::new(10671, 2));
        assert_eq!(s[12].1, Decimal::new(11023, 2));
    }

    #[test]
    fn truncation_applies_once_to_the_exact_power() {
        // 1.00 growing 50% a year, annual, truncate: 1.00, 1.50, 2.25, 3.375 → 3.37,
        // 5.0625 → 5.06.
        let t = FeeTerms {
            first: d(2025, 1, 15),
            months: 12,
            periods: 5,
            amount: Decimal::ONE,
            growth: Decimal::new(5, 1),
            rounding: Rounding::Truncate,
        };
        let amounts: Vec<Decimal> = fee_schedule(&t).unwrap().into_iter().map(|x| x.1).collect();
        assert_eq!(
            amounts,
            [100, 150, 225, 337, 506]
                .map(|f| Decimal::new(f, 2))
                .to_vec()
        );
    }
}
