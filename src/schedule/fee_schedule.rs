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
//!
//! With an implied interest `rate` ([`split_fees`]), each fee is split into interest and
//! principal: the implied balance before each fee is the present value of the fees still to
//! come at the periodic rate `j = rate × months / 12`, one exact value rounded once; a fee's
//! principal is the fall of the balance, its interest the rest.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use num_bigint::BigInt;

use crate::calendar::schedule::{add_months, is_month_end};
use crate::money::rational::fen_of_big;
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
    /// Implied annual interest rate (0 ≤ rate < 1): each fee is split into interest and
    /// principal at it ([`split_fees`]); 0 keeps every fee all principal.
    pub rate: Decimal,
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
    /// A fee is less than the interest on the implied balance before it: the balance the
    /// later fees imply grows (fees growing nearly as fast as the rate).
    #[error(
        "fee {} ({fee}) is less than the interest on the implied balance before it \
         ({interest}): the fees grow too fast for this rate, so the balance they imply grows \
         before it falls",
        index + 1
    )]
    InterestAboveFee {
        /// The fee's index, from 0.
        index: usize,
        /// The fee.
        fee: Decimal,
        /// The interest on the implied balance before it.
        interest: Decimal,
    },
}

/// The (due date, principal, interest) of every instalment, in date order: each fee all
/// principal, or split at `t.rate` ([`split_fees`]).
pub fn fee_schedule(t: &FeeTerms) -> Result<Vec<(NaiveDate, Decimal, Decimal)>, FeeScheduleError> {
    let fees = fee_amounts(t)?;
    if t.rate.is_zero() {
        return Ok(fees
            .into_iter()
            .map(|(d, a)| (d, a, Decimal::ZERO))
            .collect());
    }
    let amounts: Vec<i128> = fees.iter().map(|&(_, a)| to_fen(a)).collect();
    let parts = split_fees(&amounts, t.rate, t.months, t.rounding)?;
    fees.iter()
        .zip(parts)
        .map(|(&(date, _), (p, i))| {
            let money = |f| from_fen(f).ok_or(FeeScheduleError::AmountOverflow);
            Ok((date, money(p)?, money(i)?))
        })
        .collect()
}

/// Splits `fees` (fen, in order, one period of `months` apart, the first one period after
/// the implied start) into (principal, interest) at the annual `rate` (> 0), with the
/// periodic rate `j = rate × months / 12`. The implied balance before fee `i` is the present
/// value of the fees still to come, `B_i = Σ_{k ≥ i} fee_k / (1 + j)^(k − i + 1)`, each one
/// exact value rounded once under `rounding` (`B_n = 0`); fee `i`'s principal is
/// `B_i − B_(i+1)` and its interest the rest, which is the exact `B_i × j` within the two
/// roundings. No rounding is carried from one fee to the next, and the principal adds up to
/// `B_0`. A fee whose principal would be negative (the balance grows: fees growing nearly as
/// fast as the rate) is an error.
pub fn split_fees(
    fees: &[i128],
    rate: Decimal,
    months: u32,
    rounding: Rounding,
) -> Result<Vec<(i128, i128)>, FeeScheduleError> {
    // 1 + j = p / q with q = 12 × 10^s and p = q + m × months, for rate = m / 10^s.
    let q = BigInt::from(12) * BigInt::from(10u32).pow(rate.scale());
    let p = &q + BigInt::from(rate.mantissa()) * BigInt::from(months);
    let n = fees.len();
    // Backwards: B_i = N_i / p^(n−i) with N_i = q × (fee_i × p^(n−i−1) + N_(i+1)), N_n = 0.
    let overflow = || FeeScheduleError::AmountOverflow;
    let mut balances = vec![0i128; n + 1];
    let mut num = BigInt::from(0);
    let mut power = BigInt::from(1); // p^(n−i−1)
    for i in (0..n).rev() {
        num = &q * (BigInt::from(fees[i]) * &power + &num);
        power *= &p;
        balances[i] = fen_of_big(&num, &power, rounding)
            .map(to_fen)
            .ok_or_else(overflow)?;
    }
    let mut out = Vec::with_capacity(n);
    for (i, &fee) in fees.iter().enumerate() {
        let principal = balances[i] - balances[i + 1];
        let interest = fee - principal;
        if principal < 0 {
            let money = |f| from_fen(f).ok_or_else(overflow);
            return Err(FeeScheduleError::InterestAboveFee {
                index: i,
                fee: money(fee)?,
                interest: money(interest)?,
            });
        }
        out.push((principal, interest));
    }
    Ok(out)
}

/// The (due date, amount) of every fee, in date order.
fn fee_amounts(t: &FeeTerms) -> Result<Vec<(NaiveDate, Decimal)>, FeeScheduleError> {
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
            rate: Decimal::ZERO,
            rounding: Rounding::HalfUp,
        };
        let s = fee_schedule(&t).unwrap();
        assert_eq!(s.len(), 13);
        let z = Decimal::ZERO;
        assert_eq!(s[0], (d(2025, 3, 31), Decimal::new(10000, 2), z));
        assert_eq!(s[3], (d(2025, 12, 31), Decimal::new(10000, 2), z));
        assert_eq!(s[4], (d(2026, 3, 31), Decimal::new(10330, 2), z));
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
            rate: Decimal::ZERO,
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

    #[test]
    fn a_rate_splits_each_fee_into_interest_and_principal() {
        // Four quarterly fees of 1,000,000.00 at 6%: j = 0.06 × 3 / 12 = 0.015. The implied
        // balances, each the present value of the fees still to come, rounded once (half up):
        // B0 = 1,000,000 × (1.015⁻¹ + 1.015⁻² + 1.015⁻³ + 1.015⁻⁴) = 3,854,384.6475… →
        // 3,854,384.65; B1 = 1,000,000 × (1.015⁻¹ + 1.015⁻² + 1.015⁻³) = 2,912,200.4172… →
        // 2,912,200.42; B2 = 1,955,883.4235… → 1,955,883.42; B3 = 1,000,000 / 1.015 =
        // 985,221.6748… → 985,221.67; B4 = 0. Principal Bi − Bi+1: 942,184.23, 956,317.00,
        // 970,661.75, 985,221.67; interest the rest of each fee: 57,815.77, 43,683.00,
        // 29,338.25, 14,778.33 (the exact B × 0.015 of each balance is 57,815.7697,
        // 43,683.0063, 29,338.2514, 14,778.3251).
        let t = FeeTerms {
            first: d(2025, 3, 31),
            months: 3,
            periods: 4,
            amount: Decimal::new(1_000_000, 0),
            growth: Decimal::ZERO,
            rate: Decimal::new(6, 2),
            rounding: Rounding::HalfUp,
        };
        let s = fee_schedule(&t).unwrap();
        let parts: Vec<(Decimal, Decimal)> = s.iter().map(|x| (x.1, x.2)).collect();
        let m = |p: i64, i: i64| (Decimal::new(p, 2), Decimal::new(i, 2));
        assert_eq!(
            parts,
            vec![
                m(94_218_423, 5_781_577),
                m(95_631_700, 4_368_300),
                m(97_066_175, 2_933_825),
                m(98_522_167, 1_477_833),
            ]
        );
        let principal: Decimal = parts.iter().map(|x| x.0).sum();
        assert_eq!(principal, Decimal::new(385_438_465, 2));
        assert_eq!(s[3].0, d(2025, 12, 31));
    }

    #[test]
    fn a_rate_too_high_for_growing_fees_is_refused() {
        // Annual fees of 100.00 growing 90% a year, at 99%: the implied balances are
        // B0 = 100 / 1.99 + 190 / 1.99² + 361 / 1.99³ = 50.2513 + 47.9786 + 45.8087 = 144.0385…
        // → 144.04 and B1 = 190 / 1.99 + 361 / 1.99² = 95.4774 + 91.1593 = 186.6367… → 186.64:
        // the balance grows, so fee 1's principal would be 144.04 − 186.64 = −42.60 and its
        // interest 100.00 + 42.60 = 142.60, more than the fee.
        let t = FeeTerms {
            first: d(2025, 1, 15),
            months: 12,
            periods: 3,
            amount: Decimal::new(100, 0),
            growth: Decimal::new(9, 1),
            rate: Decimal::new(99, 2),
            rounding: Rounding::HalfUp,
        };
        assert_eq!(
            fee_schedule(&t),
            Err(FeeScheduleError::InterestAboveFee {
                index: 0,
                fee: Decimal::new(10000, 2),
                interest: Decimal::new(14260, 2),
            })
        );
    }

    #[test]
    fn a_balance_on_an_exact_half_fen_rounds_by_the_deals_rule() {
        // One annual fee of 1,000.05 (100,005 fen) at 20%: 1 + j = 1.2 = 6/5, so the implied
        // balance is 100,005 × 5 / 6 = 83,337.5 fen exactly, a half-fen tie. Half up (away
        // from zero): 83,338 fen, principal 833.38, interest 1,000.05 − 833.38 = 166.67.
        // Truncate: 83,337 fen, principal 833.37, interest 166.68.
        let fees = [100_005];
        let rate = Decimal::new(2, 1);
        assert_eq!(
            split_fees(&fees, rate, 12, Rounding::HalfUp).unwrap(),
            vec![(83_338, 16_667)]
        );
        assert_eq!(
            split_fees(&fees, rate, 12, Rounding::Truncate).unwrap(),
            vec![(83_337, 16_668)]
        );
    }
}
