//! Exact Decimal arithmetic on the 96-bit magnitudes, for the engine's and the projection's
//! hot paths.
//!
//! Every function returns exactly what the rust_decimal operation it names returns, value and
//! scale (so printed amounts do not change), computed inline on the magnitudes read through
//! Decimal's documented `serialize` layout (flags, then the low, middle and high 32 bits).
//! Only the general cases (sums beyond 96 bits, products of very long mantissas) fall back
//! to rust_decimal, out of line. The tests below check each function against rust_decimal
//! on hundreds of thousands of values. docs/conventions.md states the rounding rules.

use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};

/// Largest scale a Decimal can have.
const MAX_SCALE: u32 = 28;

/// `base^0 ..= base^(N − 1)`.
const fn powers<const N: usize>(base: u128) -> [u128; N] {
    let mut t = [1u128; N];
    let mut i = 1;
    while i < N {
        t[i] = t[i - 1] * base;
        i += 1;
    }
    t
}

/// 10^0 ..= 10^28.
const POW10: [u128; 29] = powers(10);
/// 5^0 ..= 5^27.
const POW5: [u128; 28] = powers(5);
/// Powers below this index fit in a `u64` for both tables (10^19 < 2^64 < 10^20).
const U64_POWERS: usize = 20;

/// Sign bit of a Decimal's flags.
const SIGN: u32 = 0x8000_0000;
/// 2^96: magnitudes below it fit a Decimal.
const LIMIT: u128 = 1 << 96;

/// The scale in a Decimal's flags.
#[inline(always)]
fn scale_of(flags: u32) -> u32 {
    (flags >> 16) & 0xFF
}

/// The Decimal of magnitude `m`, sign and `scale` (≤ 28); `None` when `m` needs more than 96
/// bits. A zero is positive, as rust_decimal makes it.
#[inline(always)]
fn pack(m: u128, negative: bool, scale: u32) -> Option<Decimal> {
    (m < LIMIT && scale <= MAX_SCALE).then(|| {
        Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            (m >> 64) as u32,
            negative,
            scale,
        )
    })
}

/// Flags (sign and scale) and 96-bit magnitude of `d`.
#[inline(always)]
fn parts(d: Decimal) -> (u32, u128) {
    let b = d.serialize();
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let lo = u64::from(word(4)) | (u64::from(word(8)) << 32);
    (word(0), u128::from(lo) | (u128::from(word(12)) << 64))
}

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
pub fn plus(a: Decimal, b: Decimal) -> Decimal {
    let ((fa, ma), (fb, mb)) = (parts(a), parts(b));
    if ma == 0 {
        return b;
    }
    if mb == 0 {
        return a;
    }
    exact_sum(fa, ma, fb, mb).unwrap_or_else(|| slow::add(a, b))
}

/// `a − b`. Like Decimal subtraction, `0 − b` is `−b` (`b` if zero) and `a − 0` is `a`.
#[inline(always)]
pub fn minus(a: Decimal, b: Decimal) -> Decimal {
    let ((fa, ma), (fb, mb)) = (parts(a), parts(b));
    if ma == 0 {
        return if mb == 0 { b } else { -b };
    }
    if mb == 0 {
        return a;
    }
    exact_sum(fa, ma, fb ^ SIGN, mb).unwrap_or_else(|| slow::add(a, -b))
}

/// `round_half_away(num / den, 6)` for `num, den > 0`, computed exactly on the mantissas
/// with one integer division. `None` (use Decimal division) when the quotient is exact at 6
/// places (Decimal division may then give a smaller scale), is 10^10 or more, or lies within
/// 10^-18 of a 6-place midpoint: elsewhere Decimal division, exact to at least 18 decimal
/// places below 10^10, rounds to the same 6-place value.
#[inline]
pub fn ratio6(num: Decimal, den: Decimal) -> Option<Decimal> {
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
pub fn order(a: Decimal, b: Decimal) -> Ordering {
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
        None => slow::cmp(a, b),
    }
}

/// `a < b`.
#[inline(always)]
pub fn lt(a: Decimal, b: Decimal) -> bool {
    order(a, b) == Ordering::Less
}

/// `a > b`.
#[inline(always)]
pub fn gt(a: Decimal, b: Decimal) -> bool {
    order(a, b) == Ordering::Greater
}

/// `a.min(b)` (`a` when they are equal).
#[inline(always)]
pub fn min(a: Decimal, b: Decimal) -> Decimal {
    if gt(a, b) { b } else { a }
}

/// `a > 0`.
#[inline]
pub fn positive(a: Decimal) -> bool {
    !a.is_zero() && a.is_sign_positive()
}

/// `a < 0`.
#[inline]
pub fn negative(a: Decimal) -> bool {
    !a.is_zero() && a.is_sign_negative()
}

/// `a.max(Decimal::ZERO)`.
#[inline]
pub fn clamp0(a: Decimal) -> Decimal {
    if negative(a) { Decimal::ZERO } else { a }
}

/// `iter.sum()`.
#[inline]
pub fn sum(iter: impl IntoIterator<Item = Decimal>) -> Decimal {
    iter.into_iter().fold(Decimal::ZERO, plus)
}

/// Rounds to `dp` decimal places, half away from zero; equal to rust_decimal's
/// `round_dp_with_strategy(dp, MidpointAwayFromZero)`, with one integer division.
#[inline]
pub fn round_half_away(amount: Decimal, dp: u32) -> Decimal {
    let (f, m) = parts(amount);
    let scale = scale_of(f);
    if scale <= dp {
        return amount;
    }
    let q = div_pow10_half_away(m, scale - dp);
    pack(q, f & SIGN != 0, dp).unwrap_or_else(|| slow::round(amount, dp))
}

/// `a × b` rounded half away from zero to `dp` decimal places, computed exactly: the two
/// mantissas are multiplied as integers and the product is rounded once. `None` when the
/// result is outside Decimal's range.
///
/// Equal to `round_half_away(a * b, dp)` whenever rust_decimal's product is exact (a product
/// of at most 28 decimal places and 96 bits; a unit test checks this on many values); the
/// engine's products of rates, factors and fen amounts always are. For larger operands it
/// falls back to exactly that expression.
#[inline]
pub fn mul_round(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
    let ((fa, ma), (fb, mb)) = (parts(a), parts(b));
    let scale = scale_of(fa) + scale_of(fb);
    if let (Ok(x), Ok(y)) = (u64::try_from(ma), u64::try_from(mb))
        && scale <= MAX_SCALE
    {
        // Both magnitudes are below 2^64, so their product is exact in a u128.
        let m = u128::from(x) * u128::from(y);
        let (m, s) = if scale > dp {
            (div_pow10_half_away(m, scale - dp), dp)
        } else {
            (m, scale)
        };
        return pack(m, (fa ^ fb) & SIGN != 0, s);
    }
    slow::mul_round(a, b, dp)
}

/// `m / 10^k` rounded half away from zero, on a magnitude, for `k` ≤ 28.
#[inline]
fn div_pow10_half_away(a: u128, k: u32) -> u128 {
    let k = k as usize;
    let d = POW10[k];
    // One 64-bit division when a fits (the common case for fen amounts); otherwise
    // ⌊a / 10^k⌋ = ⌊⌊a / 2^k⌋ / 5^k⌋, and the shift usually brings a below 2^64.
    let q = match u64::try_from(a) {
        Ok(x) if k < U64_POWERS => u128::from(div_pow10_u64(x, k)),
        _ => match u64::try_from(a >> k) {
            Ok(s) if k < U64_POWERS => u128::from(div_pow5_u64(s, k)),
            _ => a / d,
        },
    };
    let r = a - q * d;
    q + u128::from(2 * r >= d)
}

/// `x / 10^k` and `x / 5^k` for `k` < 20, dividing by a constant in each arm so that the
/// compiler replaces the hardware division (tens of cycles) by a multiplication and a shift.
macro_rules! divide_by_power {
    ($name:ident, $table:ident) => {
        #[inline(always)]
        fn $name(x: u64, k: usize) -> u64 {
            match k {
                0 => x / ($table[0] as u64),
                1 => x / ($table[1] as u64),
                2 => x / ($table[2] as u64),
                3 => x / ($table[3] as u64),
                4 => x / ($table[4] as u64),
                5 => x / ($table[5] as u64),
                6 => x / ($table[6] as u64),
                7 => x / ($table[7] as u64),
                8 => x / ($table[8] as u64),
                9 => x / ($table[9] as u64),
                10 => x / ($table[10] as u64),
                11 => x / ($table[11] as u64),
                12 => x / ($table[12] as u64),
                13 => x / ($table[13] as u64),
                14 => x / ($table[14] as u64),
                15 => x / ($table[15] as u64),
                16 => x / ($table[16] as u64),
                17 => x / ($table[17] as u64),
                18 => x / ($table[18] as u64),
                _ => x / ($table[19] as u64),
            }
        }
    };
}
divide_by_power!(div_pow10_u64, POW10);
divide_by_power!(div_pow5_u64, POW5);

/// The general cases of the kernels, kept out of line so that the fast paths stay small.
mod slow {
    use super::*;

    /// Decimal addition, for sums beyond 96 bits.
    #[cold]
    #[inline(never)]
    pub(super) fn add(a: Decimal, b: Decimal) -> Decimal {
        a + b
    }

    #[cold]
    #[inline(never)]
    pub(super) fn cmp(a: Decimal, b: Decimal) -> Ordering {
        a.cmp(&b)
    }

    #[cold]
    #[inline(never)]
    pub(super) fn mul_round(a: Decimal, b: Decimal, dp: u32) -> Option<Decimal> {
        a.checked_mul(b).map(|p| round_half_away(p, dp))
    }

    #[cold]
    #[inline(never)]
    pub(super) fn round(amount: Decimal, dp: u32) -> Decimal {
        amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
    }
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
