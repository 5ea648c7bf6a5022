//! The waterfall engine: runs a deal under a scenario, period by period.
//!
//! For each payment date the engine
//! 1. deposits the collection period's pool cash into the collection account;
//! 2. computes what is due (taxes, fees, interest, principal) and the coverage multiples;
//! 3. tests the triggers that look at the pool and coverage, and picks the waterfall;
//! 4. runs the waterfall's steps in order, drawing on the reserve and then on support providers
//!    when a covered item is short;
//! 5. tests the triggers that look at what was paid.
//!
//! Every movement of cash is a [`LedgerEntry`]. After the run the engine checks, to the fen,
//! that pool cash + support draws + reserve funding = payments + ending balances, and that the
//! ledger replays to the same balances; a failure is an [`Error::Internal`].

pub mod result;
mod state;
mod summary;

use rust_decimal::Decimal;

use crate::deal::Deal;
use crate::error::Result;
use crate::money::round_half_away;
use crate::pool::projection::{PoolProjection, project};
use crate::scenario::Scenario;
use result::RunResult;

/// Projects the pool and runs the waterfall of `deal` under `scenario`.
pub fn run(deal: &Deal, scenario: &Scenario) -> Result<RunResult> {
    scenario.check(deal)?;
    let pool = project(deal, scenario)?;
    run_with_pool(deal, scenario, pool)
}

/// Runs the waterfall on an already projected pool.
pub fn run_with_pool(deal: &Deal, scenario: &Scenario, pool: PoolProjection) -> Result<RunResult> {
    let mut st = state::Run::new(deal, scenario, pool);
    for k in 0..deal.periods.len() {
        st.period(k)?;
    }
    st.finish()
}

/// Rounds a ratio to 6 decimal places, half away from zero.
pub(crate) fn ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    if !arith::positive(den) {
        return None;
    }
    if let Some(r) = arith::ratio6(num, den) {
        return Some(r);
    }
    num.checked_div(den).map(|r| round_half_away(r, 6))
}

/// Exact Decimal arithmetic for the engine's hot paths.
///
/// Each helper returns exactly what the `rust_decimal` operator it replaces returns, value and
/// scale (so printed amounts do not change), computed inline on the 96-bit mantissas; only
/// sums beyond 96 bits and comparisons across scales fall back to the operator.
pub(crate) mod arith {
    use std::cmp::Ordering;

    use rust_decimal::Decimal;

    /// Sign bit of a Decimal's flags.
    const SIGN: u32 = 0x8000_0000;
    /// 2^96: magnitudes below it fit a Decimal.
    const LIMIT: u128 = 1 << 96;

    /// Flags (sign and scale) and 96-bit magnitude of `d`.
    #[inline(always)]
    fn parts(d: Decimal) -> (u32, u128) {
        let b = d.serialize();
        let mut m = [0u8; 16];
        m[..12].copy_from_slice(&b[4..]);
        (
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            u128::from_le_bytes(m),
        )
    }

    /// 10^0 ..= 10^19.
    const POW10: [u128; 20] = {
        let mut t = [1u128; 20];
        let mut i = 1;
        while i < 20 {
            t[i] = t[i - 1] * 10;
            i += 1;
        }
        t
    };

    /// The exact sum of two non-zero values given as (flags, magnitude), at the larger of their
    /// scales, as Decimal addition gives it; `None` when it needs more than 96 bits (Decimal
    /// addition then rounds).
    #[inline(always)]
    fn exact_sum(fa: u32, ma: u128, fb: u32, mb: u128) -> Option<Decimal> {
        let (sa, sb) = ((fa >> 16) & 0xFF, (fb >> 16) & 0xFF);
        let (ma, mb) = match sa.cmp(&sb) {
            Ordering::Equal => (ma, mb),
            Ordering::Less => (ma.checked_mul(*POW10.get((sb - sa) as usize)?)?, mb),
            Ordering::Greater => (ma, mb.checked_mul(*POW10.get((sa - sb) as usize)?)?),
        };
        let (neg_a, neg_b) = (fa & SIGN != 0, fb & SIGN != 0);
        let (negative, m) = if neg_a == neg_b {
            (neg_a, ma.checked_add(mb)?)
        } else if ma >= mb {
            (neg_a, ma - mb)
        } else {
            (neg_b, mb - ma)
        };
        (m < LIMIT).then(|| {
            Decimal::from_parts(
                m as u32,
                (m >> 32) as u32,
                (m >> 64) as u32,
                negative,
                sa.max(sb),
            )
        })
    }

    /// `a + b`. Like Decimal addition, a zero operand yields the other one unchanged.
    #[inline(always)]
    pub(crate) fn plus(a: Decimal, b: Decimal) -> Decimal {
        let ((fa, ma), (fb, mb)) = (parts(a), parts(b));
        if ma == 0 {
            return b;
        }
        if mb == 0 {
            return a;
        }
        exact_sum(fa, ma, fb, mb).unwrap_or_else(|| slow_add(a, b))
    }

    /// `a − b`. Like Decimal subtraction, `0 − b` is `−b` (`b` if zero) and `a − 0` is `a`.
    #[inline(always)]
    pub(crate) fn minus(a: Decimal, b: Decimal) -> Decimal {
        let ((fa, ma), (fb, mb)) = (parts(a), parts(b));
        if ma == 0 {
            return if mb == 0 { b } else { -b };
        }
        if mb == 0 {
            return a;
        }
        exact_sum(fa, ma, fb ^ SIGN, mb).unwrap_or_else(|| slow_add(a, -b))
    }

    /// Decimal addition, for sums beyond 96 bits.
    #[cold]
    #[inline(never)]
    fn slow_add(a: Decimal, b: Decimal) -> Decimal {
        a + b
    }

    /// `round_half_away(num / den, 6)` for `num, den > 0`, computed exactly on the mantissas
    /// with one integer division. `None` (use Decimal division) when the quotient is exact at 6
    /// places (Decimal division may then give a smaller scale), is 10^10 or more, or lies within
    /// 10^-18 of a 6-place midpoint: elsewhere Decimal division, exact to at least 18 decimal
    /// places below 10^10, rounds to the same 6-place value.
    #[inline]
    pub(crate) fn ratio6(num: Decimal, den: Decimal) -> Option<Decimal> {
        let ((fn_, mn), (fd, md)) = (parts(num), parts(den));
        if (fn_ | fd) & SIGN != 0 || mn == 0 || md == 0 {
            return None;
        }
        let (sn, sd) = ((fn_ >> 16) & 0xFF, (fd >> 16) & 0xFF);
        // num / den = (mn · 10^(6 + sd)) / (md · 10^sn) millionths.
        let n = mn.checked_mul(*POW10.get(6 + sd as usize)?)?;
        let d = md.checked_mul(*POW10.get(sn as usize)?)?;
        let (q, r) = (n / d, n % d);
        if r == 0 || q >= POW10[16] {
            return None;
        }
        // Distance to the midpoint, |r / d − 1/2| = |2r − d| / 2d, must exceed 10^-12.
        if (2 * r).abs_diff(d).checked_mul(POW10[12])? <= 2 * d {
            return None;
        }
        let q = if 2 * r >= d { q + 1 } else { q };
        Some(Decimal::from_parts(
            q as u32,
            (q >> 32) as u32,
            (q >> 64) as u32,
            false,
            6,
        ))
    }

    /// `a.cmp(&b)`: the sign of `a − b`.
    #[inline(always)]
    pub(crate) fn order(a: Decimal, b: Decimal) -> Ordering {
        let ((fa, ma), (fb, mb)) = (parts(a), parts(b));
        if fa == fb {
            let o = ma.cmp(&mb);
            return if fa & SIGN == 0 { o } else { o.reverse() };
        }
        /// The order of `d` against zero.
        fn sign(d: Decimal) -> Ordering {
            if d.is_zero() {
                Ordering::Equal
            } else if d.is_sign_negative() {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        if mb == 0 {
            return sign(a);
        }
        if ma == 0 {
            return sign(b).reverse();
        }
        match exact_sum(fa, ma, fb ^ SIGN, mb) {
            Some(d) => sign(d),
            None => a.cmp(&b),
        }
    }

    /// `a < b`.
    #[inline(always)]
    pub(crate) fn lt(a: Decimal, b: Decimal) -> bool {
        order(a, b) == Ordering::Less
    }

    /// `a > b`.
    #[inline(always)]
    pub(crate) fn gt(a: Decimal, b: Decimal) -> bool {
        order(a, b) == Ordering::Greater
    }

    /// `a.min(b)` (`a` when they are equal).
    #[inline(always)]
    pub(crate) fn min(a: Decimal, b: Decimal) -> Decimal {
        if gt(a, b) { b } else { a }
    }

    /// `a > 0`.
    #[inline]
    pub(crate) fn positive(a: Decimal) -> bool {
        !a.is_zero() && a.is_sign_positive()
    }

    /// `a < 0`.
    #[inline]
    pub(crate) fn negative(a: Decimal) -> bool {
        !a.is_zero() && a.is_sign_negative()
    }

    /// `a.max(Decimal::ZERO)`.
    #[inline]
    pub(crate) fn clamp0(a: Decimal) -> Decimal {
        if negative(a) { Decimal::ZERO } else { a }
    }

    /// `iter.sum()`.
    #[inline]
    pub(crate) fn sum(iter: impl IntoIterator<Item = Decimal>) -> Decimal {
        iter.into_iter().fold(Decimal::ZERO, plus)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use rust_decimal_macros::dec;

        #[test]
        fn helpers_equal_decimal_operators_value_and_scale() {
            let values = [
                Decimal::ZERO,
                -Decimal::ZERO,
                dec!(0.00),
                -dec!(0.00),
                dec!(-0.00),
                dec!(3.00),
                dec!(-3.00),
                dec!(-5.00),
                dec!(79228162514264337593543950.33),
                dec!(-79228162514264337593543950.33),
                dec!(0.01),
                dec!(-0.01),
                dec!(5),
                dec!(5.00),
                dec!(123456.78),
                dec!(-99999999999.99),
                dec!(85000000),
                dec!(1.5),
                dec!(0.000001),
                dec!(3.14159265358979),
                Decimal::MAX,
                Decimal::MIN,
            ];
            // A deterministic spread of mantissas, signs and scales 0..=3.
            let mut values = values.to_vec();
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            for _ in 0..300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let m = (x >> (x % 40)) as i64 % 1_000_000_000_000;
                values.push(Decimal::new(
                    if x & 1 == 0 { m } else { -m },
                    (x % 4) as u32,
                ));
            }
            // Ratios near and on 6-place midpoints, and exact ones.
            for (n, d) in [
                (dec!(1.0000005), dec!(1)),
                (dec!(2.0000015), dec!(2)),
                (dec!(10), dec!(4)),
                (dec!(1), dec!(3)),
                (dec!(2), dec!(3)),
                (dec!(7), dec!(8000000)),
                (dec!(123456789.12), dec!(0.03)),
            ] {
                values.push(n);
                values.push(d);
            }
            let mut fast_ratios = 0;
            for &a in &values {
                for &b in &values {
                    if let Some(s) = a.checked_add(b) {
                        let p = plus(a, b);
                        assert_eq!((p, p.to_string()), (s, s.to_string()), "{a} + {b}");
                    }
                    if let Some(d) = a.checked_sub(b) {
                        let m = minus(a, b);
                        assert_eq!((m, m.to_string()), (d, d.to_string()), "{a} - {b}");
                    }
                    assert_eq!(order(a, b), a.cmp(&b), "{a} cmp {b}");
                    assert_eq!(min(a, b).to_string(), a.min(b).to_string(), "{a} min {b}");
                    if let Some(r) = ratio6(a, b) {
                        fast_ratios += 1;
                        let d = a
                            .checked_div(b)
                            .map(|q| crate::money::round_half_away(q, 6));
                        assert_eq!(
                            Some((r, r.to_string())),
                            d.map(|d| (d, d.to_string())),
                            "{a} / {b}"
                        );
                    }
                }
                assert_eq!(positive(a), a > Decimal::ZERO);
                assert_eq!(negative(a), a < Decimal::ZERO);
                assert_eq!(clamp0(a).to_string(), a.max(Decimal::ZERO).to_string());
            }
            assert!(fast_ratios > 10_000, "{fast_ratios}");
        }
    }
}
