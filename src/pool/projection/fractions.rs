//! The period fractions of annual rates: `1 − (1 − rate)^(days/365)` of a CDR or CPR, rounded
//! once to 10 places from its exact value (docs/conventions.md), and each period's fraction.

use rust_decimal::prelude::*;

use crate::deal::PeriodDates;
use crate::error::{Error, Result};

/// Decimal places of a period's CDR or CPR fraction ([`annual_to_period`]).
pub(super) const FRACTION_DP: u32 = 10;
/// 1 at [`FRACTION_DP`] places.
pub(super) const POW10_FRACTION: i64 = 10_000_000_000;

/// The fraction `annual_to_period(rate, days)` of each collection period, as its mantissa at
/// [`FRACTION_DP`] places; periods share a few lengths, so each length is computed once.
pub(super) fn period_fractions(rate: Decimal, periods: &[PeriodDates]) -> Result<Vec<i64>> {
    if rate.is_zero() {
        return Ok(vec![0; periods.len()]);
    }
    let mut seen: Vec<(i64, i64)> = Vec::new();
    periods
        .iter()
        .map(|p| {
            let days = (p.collection_end - p.collection_start).num_days() + 1;
            if let Some(&(_, f)) = seen.iter().find(|(d, _)| *d == days) {
                return Ok(f);
            }
            let f = fraction_mantissa(rate, days)?;
            seen.push((days, f));
            Ok(f)
        })
        .collect()
}

/// Converts an annual rate (CDR or CPR) to the fraction for a period of `days` days:
/// `1 − (1 − rate)^(days/365)`, rounded half away from zero to 10 decimal places, once, from
/// its exact value (docs/conventions.md). A zero rate gives exactly zero.
///
/// The power is estimated in `f64` (`crate::pow::powf`, glibc's bits on every platform); where
/// the estimate is within 10^-3 of a unit of the 10th place of a midpoint, the side of the
/// midpoint is decided exactly, in integers (`exact_side`): no float decides the fraction
/// (review 27b item M3; before, the `f64` value was rounded, and a fraction within about
/// 10^-15 of a midpoint could round the other way).
pub fn annual_to_period(rate: Decimal, days: i64) -> Result<Decimal> {
    if rate.is_zero() || days <= 0 {
        return Ok(Decimal::ZERO);
    }
    Ok(Decimal::new(fraction_mantissa(rate, days)?, FRACTION_DP))
}

/// How far from a midpoint, in units of the 10th place, the `f64` estimate must be for its
/// rounding to be certain: its error is below 10^-5 there (an error of a few units in 10^-16
/// of the power, scaled by 10^10).
pub(super) const MIDPOINT_MARGIN: f64 = 1e-3;

/// [`annual_to_period`]'s mantissa at [`FRACTION_DP`] places (zero for a zero rate or no
/// days), which the projection multiplies by.
pub(super) fn fraction_mantissa(rate: Decimal, days: i64) -> Result<i64> {
    if rate.is_zero() || days <= 0 {
        return Ok(0);
    }
    // The base 1 − rate, exact in Decimal, then to the nearest `f64` (review 27c item 7: the
    // rate's own rounding, subtracted from 1, kept few bits of a base near 0 for rates near 1).
    let base = (Decimal::ONE - rate)
        .to_f64()
        .ok_or_else(|| Error::Internal(format!("rate {rate} is not representable")))?;
    // glibc's `pow` bits on every platform (crate::pow), so the estimate is too.
    let f = 1.0 - crate::pow::powf(base, days as f64 / 365.0);
    let raw = f * 1e10;
    // A fraction lies in [0, 1] for rates in [0, 1] (validated); the range check guards the
    // conversion anyway.
    if !(raw.is_finite() && raw.abs() <= 1e18) {
        return Err(Error::Internal(format!(
            "period fraction {f} is out of range"
        )));
    }
    let below = raw.floor();
    if (raw - below - 0.5).abs() > MIDPOINT_MARGIN {
        return Ok(raw.round() as i64);
    }
    // Near the midpoint (K + 1/2) × 10^-10: its side, exactly.
    let k = below as i64;
    Ok(match exact_side(rate, days, k) {
        Some(true) => k + 1,
        Some(false) => k,
        None => raw.round() as i64,
    })
}

/// Whether `1 − (1 − rate)^(days/365) ≥ (K + 1/2) × 10^-10` (rounding half away from zero
/// then gives K + 1), decided in integers: with `1 − rate = P / Q` and the midpoint's
/// complement `1 − (2K + 1) / (2 × 10^10) = R / T`, the fraction reaches the midpoint when
/// `(P/Q)^(days/365) ≤ R/T`, i.e. `P^days × T^365 ≤ R^365 × Q^days` (both sides positive,
/// raised to the 365th power). `None` outside the rates and midpoints this can state (a rate
/// outside [0, 1), a midpoint outside (0, 1)).
pub(super) fn exact_side(rate: Decimal, days: i64, k: i64) -> Option<bool> {
    use num_bigint::BigInt;
    let days = u32::try_from(days).ok()?;
    let q = BigInt::from(10u32).pow(rate.scale());
    let p = &q - BigInt::from(rate.mantissa());
    let t = BigInt::from(2u64) * BigInt::from(10u64).pow(10);
    let r = &t - BigInt::from(2 * i128::from(k) + 1);
    if p <= BigInt::from(0) || p > q || r <= BigInt::from(0) || r >= t {
        return None;
    }
    Some(p.pow(days) * t.pow(365) <= r.pow(365) * q.pow(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Period fractions within 10^-3 of a unit of a 10-place midpoint take the exact path
    /// ([`exact_side`]). Oracle: Python's `decimal` at 80 digits, `1 − (1 − r)^(d/365)`,
    /// from a random search for such pairs (these eight are the first it found; the
    /// fourth is 6 × 10^-6 of a unit from its midpoint). And exact ties, at 365 days, where
    /// the fraction is the rate itself: 0.12345678905 → 0.1234567891 (half away from zero).
    #[test]
    fn fractions_near_a_midpoint_are_decided_exactly() {
        for (rate, days, want) in [
            ("0.254", 90, 697_053_298),
            ("0.19821", 182, 1_043_017_174),
            ("0.789897", 366, 7_907_931_485),
            ("0.16", 181, 828_279_236),
            ("0.24", 184, 1_292_028_700),
            ("0.3483", 91, 1_012_491_900),
            ("0.061", 89, 152_298_003),
            ("0.1893", 182, 993_523_181),
            // Pairs the plain f64 rounding got wrong (review 27c item 11, found by a search
            // against a 90-digit oracle): 0.010848715150000005…, 0.083724390050000028…, each
            // a few 10^-17 above its midpoint.
            ("0.039032", 100, 108_487_152),
            ("0.090102", 338, 837_243_901),
            // A rate near 1 (review 27c item 7): 1 − 0.0000026^(28/365) =
            // 0.627128148449727…, which rounding the rate to f64 first put at …485.
            ("0.9999974", 28, 6_271_281_484),
            ("0.12345678905", 365, 1_234_567_891),
            ("0.12345678915", 365, 1_234_567_892),
            ("0.00000000005", 365, 1),
        ] {
            let r: Decimal = rate.parse().unwrap();
            assert_eq!(
                fraction_mantissa(r, days).unwrap(),
                want,
                "{rate} over {days}"
            );
        }
        // The exact side itself: 0.16 over 181 days is 0.0828279235500006… ≥ its midpoint;
        // 0.254 over 90 days, 0.0697053298499879…, is below.
        assert_eq!(
            exact_side("0.16".parse().unwrap(), 181, 828_279_235),
            Some(true)
        );
        assert_eq!(
            exact_side("0.254".parse().unwrap(), 90, 697_053_298),
            Some(false)
        );
    }
}
