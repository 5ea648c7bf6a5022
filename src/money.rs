//! Money: exact decimal amounts in yuan, rounded to the fen (0.01).
//!
//! Every cash amount the engine moves is a [`Decimal`] rounded half away from zero to two
//! decimal places at the moment it is computed. Rates and year fractions keep full precision
//! (28 significant digits) until a money amount is produced from them.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds an amount to the fen, half away from zero (0.005 → 0.01, −0.005 → −0.01).
///
/// The same result as `round_dp_with_strategy(2, MidpointAwayFromZero)` (a unit test checks
/// this on many values), computed on the 96-bit mantissa with one integer division: the engine
/// rounds thousands of amounts per run.
pub fn fen(amount: Decimal) -> Decimal {
    round_half_away(amount, 2)
}

/// Rounds to `dp` decimal places, half away from zero; equal to rust_decimal's
/// `round_dp_with_strategy(dp, MidpointAwayFromZero)`, with one integer division.
pub fn round_half_away(amount: Decimal, dp: u32) -> Decimal {
    let scale = amount.scale();
    if scale <= dp {
        return amount;
    }
    let m = amount.mantissa();
    let div = POW10[(scale - dp) as usize];
    let (q, r) = (m / div, m % div);
    let q = if 2 * r.abs() >= div {
        q + m.signum()
    } else {
        q
    };
    Decimal::try_from_i128_with_scale(q, dp).unwrap_or_else(|_| {
        amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
    })
}

/// `*acc += v`: skips a zero, and adds two amounts of the same scale (the common case: two
/// fen amounts) on their mantissas; otherwise Decimal addition. Overflow panics like `+=`
/// does, which cannot happen below the 1e15 input limit.
#[inline]
pub fn add_to(acc: &mut Decimal, v: Decimal) {
    if v.is_zero() {
        return;
    }
    if acc.is_zero() {
        *acc = v;
        return;
    }
    if acc.scale() == v.scale()
        && let Ok(d) = Decimal::try_from_i128_with_scale(acc.mantissa() + v.mantissa(), v.scale())
    {
        *acc = d;
        return;
    }
    *acc += v;
}

/// 10^0 ..= 10^28.
const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// True when `amount` has at most two decimal places, i.e. is a whole number of fen.
pub fn is_fen(amount: Decimal) -> bool {
    fen(amount) == amount
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(fen(dec!(1.005)), dec!(1.01));
        assert_eq!(fen(dec!(1.004999)), dec!(1.00));
        assert_eq!(fen(dec!(-1.005)), dec!(-1.01));
        assert_eq!(fen(dec!(2.675)), dec!(2.68));
        assert!(is_fen(dec!(3.10)));
        assert!(!is_fen(dec!(3.105)));
    }

    #[test]
    fn add_to_equals_decimal_addition() {
        let values = [
            dec!(0),
            dec!(0.01),
            dec!(-0.01),
            dec!(123456.78),
            dec!(-99999999999.99),
            dec!(1.5),
            dec!(7),
            dec!(0.000001),
            dec!(3.14159265358979),
        ];
        for a in values {
            for b in values {
                let mut acc = a;
                add_to(&mut acc, b);
                assert_eq!(acc, a + b, "{a} + {b}");
            }
        }
    }

    #[test]
    fn fast_path_equals_rust_decimal_rounding() {
        // A deterministic spread of mantissas and scales, including midpoints and extremes.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut values = vec![
            Decimal::MAX,
            Decimal::MIN,
            dec!(0.005),
            dec!(-0.005),
            dec!(0.0049999999999999999999999999),
            Decimal::new(5, 28),
        ];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let hi = (x >> 32) as u32;
            let m = ((x as i128) << 24) ^ hi as i128;
            let scale = (x % 29) as u32;
            let sign = if x & 1 == 0 { 1 } else { -1 };
            if let Ok(d) = Decimal::try_from_i128_with_scale(sign * (m % 10i128.pow(28)), scale) {
                values.push(d);
            }
            // Exact midpoints at every scale.
            if scale >= 3 {
                let mid =
                    (x as i128 % 1_000_000) * 10i128.pow(scale - 2) + 5 * 10i128.pow(scale - 3);
                if let Ok(d) = Decimal::try_from_i128_with_scale(sign * mid, scale) {
                    values.push(d);
                }
            }
        }
        for v in values {
            for dp in [0, 2, 6, 10, 12] {
                assert_eq!(
                    round_half_away(v, dp),
                    v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
                    "{v} at {dp}"
                );
            }
        }
    }
}
