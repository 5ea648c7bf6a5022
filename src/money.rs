//! Money: exact decimal amounts in yuan, rounded to the fen (0.01).
//!
//! Every cash amount the engine moves is a [`Decimal`] rounded half away from zero to two
//! decimal places at the moment it is computed. Rates and year fractions keep full precision
//! (28 significant digits) until a money amount is produced from them.

use std::cmp::Ordering;

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds an amount to the fen, half away from zero (0.005 → 0.01, −0.005 → −0.01).
///
/// The same result as `round_dp_with_strategy(2, MidpointAwayFromZero)` (a unit test checks
/// this on many values), computed on the 96-bit mantissa with one integer division: the engine
/// rounds thousands of amounts per run.
#[inline]
pub fn fen(amount: Decimal) -> Decimal {
    round_half_away(amount, 2)
}

/// Rounds to `dp` decimal places, half away from zero; equal to rust_decimal's
/// `round_dp_with_strategy(dp, MidpointAwayFromZero)`, with one integer division.
#[inline]
pub fn round_half_away(amount: Decimal, dp: u32) -> Decimal {
    let p = Parts::of(amount);
    if p.scale <= dp {
        return amount;
    }
    let q = div_pow10_half_away_u(p.magnitude(), p.scale - dp);
    Parts::pack(q, p.negative, dp).unwrap_or_else(|| slow::round(amount, dp))
}

/// The general cases of the kernels, kept out of line so that the fast paths stay small.
mod slow {
    use super::*;

    #[cold]
    #[inline(never)]
    pub(super) fn add(a: Decimal, b: Decimal) -> Decimal {
        a + b
    }

    #[cold]
    #[inline(never)]
    pub(super) fn sub(a: Decimal, b: Decimal) -> Decimal {
        a - b
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
    let (ra, rb) = (Parts::of(a), Parts::of(b));
    let scale = ra.scale + rb.scale;
    if ra.hi == 0 && rb.hi == 0 && scale <= MAX_SCALE {
        // Both magnitudes are below 2^64, so their product is exact in a u128.
        let m = u128::from(ra.lo) * u128::from(rb.lo);
        let (m, s) = if scale > dp {
            (div_pow10_half_away_u(m, scale - dp), dp)
        } else {
            (m, scale)
        };
        return Parts::pack(m, ra.negative != rb.negative, s);
    }
    slow::mul_round(a, b, dp)
}

/// A Decimal's representation, read through its documented `serialize` layout (flags, then
/// the low, middle and high 32 bits of the 96-bit magnitude): the kernels below work on
/// magnitudes without rust_decimal's general-case arithmetic.
#[derive(Clone, Copy)]
struct Parts {
    /// Low 64 bits of the magnitude.
    lo: u64,
    /// High 32 bits of the magnitude.
    hi: u32,
    negative: bool,
    scale: u32,
}

impl Parts {
    #[inline]
    fn of(d: Decimal) -> Parts {
        let b = d.serialize();
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let flags = word(0);
        Parts {
            lo: u64::from(word(4)) | (u64::from(word(8)) << 32),
            hi: word(12),
            negative: flags & 0x8000_0000 != 0,
            scale: (flags >> 16) & 0xFF,
        }
    }

    /// The 96-bit magnitude.
    #[inline]
    fn magnitude(self) -> u128 {
        u128::from(self.lo) | (u128::from(self.hi) << 64)
    }

    /// The Decimal of magnitude `m`, sign and `scale` (≤ 28); `None` when `m` needs more
    /// than 96 bits. A zero is positive, as rust_decimal makes it.
    #[inline]
    fn pack(m: u128, negative: bool, scale: u32) -> Option<Decimal> {
        if m >> 96 != 0 || scale > MAX_SCALE {
            return None;
        }
        Some(Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            (m >> 64) as u32,
            negative,
            scale,
        ))
    }
}

/// `a + b` for two Decimals of the same scale, on their magnitudes; `None` on overflow or
/// different scales.
#[inline]
fn add_same_scale(a: Parts, b: Parts) -> Option<Decimal> {
    if a.scale != b.scale {
        return None;
    }
    let (ma, mb) = (a.magnitude(), b.magnitude());
    if a.negative == b.negative {
        Parts::pack(ma + mb, a.negative, a.scale)
    } else if ma >= mb {
        Parts::pack(ma - mb, a.negative, a.scale)
    } else {
        Parts::pack(mb - ma, b.negative, a.scale)
    }
}

/// `m / 10^k` rounded half away from zero, on a magnitude, for `k` ≤ 28.
#[inline]
fn div_pow10_half_away_u(a: u128, k: u32) -> u128 {
    let k = k as usize;
    // One 64-bit division when both fit (the common case for fen amounts).
    if let (Ok(x), Some(&d)) = (u64::try_from(a), POW10_U64.get(k)) {
        let (q, r) = (x / d, x % d);
        return u128::from(q) + u128::from(u128::from(r) * 2 >= u128::from(d));
    }
    let d = POW10[k].unsigned_abs();
    // ⌊a / 10^k⌋ = ⌊⌊a / 2^k⌋ / 5^k⌋, and the shift usually brings a below 2^64.
    let q = match (u64::try_from(a >> k), POW5_U64.get(k)) {
        (Ok(s), Some(&p5)) => u128::from(s / p5),
        _ => a / d,
    };
    let r = a - q * d;
    q + u128::from(2 * r >= d)
}

/// `m / 10^k` rounded half away from zero, for `k` ≤ 28.
fn div_pow10_half_away(m: i128, k: u32) -> i128 {
    let q = div_pow10_half_away_u(m.unsigned_abs(), k);
    // q ≤ |m| < 2^127: the conversion cannot fail.
    let q = i128::try_from(q).unwrap_or(i128::MAX);
    if m < 0 { -q } else { q }
}

/// 10^0 ..= 10^19, the powers of ten that fit in a `u64`.
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Largest scale a Decimal can have.
const MAX_SCALE: u32 = 28;

/// 5^0 ..= 5^27, the powers of five that fit in a `u64`.
const POW5_U64: [u64; 28] = {
    let mut t = [1u64; 28];
    let mut i = 1;
    while i < 28 {
        t[i] = t[i - 1] * 5;
        i += 1;
    }
    t
};

/// A running total in whole fen (an `i128` count of 0.01 yuan): exact, and an addition is one
/// integer addition. It holds sums of Decimal amounts of at most two decimal places and is
/// read back as a Decimal of scale 2; the projection accumulates its per-obligor cells in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FenSum(i128);

impl FenSum {
    /// Adds `amount`, which must be a whole number of fen (scale ≤ 2, or trailing zeros);
    /// anything finer is rounded to the fen, half away from zero.
    #[inline]
    pub fn add(&mut self, amount: Decimal) {
        self.0 += fen_count(amount);
    }

    /// Adds another total.
    #[inline]
    pub fn add_sum(&mut self, other: FenSum) {
        self.0 += other.0;
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The total as a Decimal of scale 2; `None` beyond Decimal's range (2^96 fen).
    pub fn to_decimal(self) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(self.0, 2).ok()
    }
}

/// `amount` in whole fen (rounded half away from zero if it has more than 2 decimal places).
#[inline]
fn fen_count(amount: Decimal) -> i128 {
    let m = amount.mantissa();
    match amount.scale() {
        2 => m,
        0 => m * 100,
        1 => m * 10,
        s => div_pow10_half_away(m, s - 2),
    }
}

/// `a > 0`, without a Decimal comparison.
#[inline]
pub fn is_positive(a: Decimal) -> bool {
    !a.is_zero() && a.is_sign_positive()
}

/// `a − b`: on the mantissas when the scales are equal (two fen amounts), otherwise Decimal
/// subtraction. Overflow panics like `-` does, which cannot happen below the 1e15 input limit.
#[inline]
pub fn sub(a: Decimal, b: Decimal) -> Decimal {
    if b.is_zero() {
        return a;
    }
    let mut nb = Parts::of(b);
    nb.negative = !nb.negative;
    add_same_scale(Parts::of(a), nb).unwrap_or_else(|| slow::sub(a, b))
}

/// Orders `a` and `b`: compares mantissas when the scales are equal, otherwise Decimal
/// comparison.
#[inline]
pub fn cmp(a: Decimal, b: Decimal) -> Ordering {
    let (pa, pb) = (Parts::of(a), Parts::of(b));
    if pa.scale != pb.scale {
        return slow::cmp(a, b);
    }
    let (ma, mb) = (pa.magnitude(), pb.magnitude());
    // A zero may carry either sign.
    match (pa.negative && ma != 0, pb.negative && mb != 0) {
        (false, false) => ma.cmp(&mb),
        (true, true) => mb.cmp(&ma),
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

/// The smaller of `a` and `b` (`a` when they are equal in value), like `Decimal::min`.
#[inline]
pub fn min(a: Decimal, b: Decimal) -> Decimal {
    if cmp(a, b).is_le() { a } else { b }
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
    *acc = add_same_scale(Parts::of(*acc), Parts::of(v)).unwrap_or_else(|| slow::add(*acc, v));
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
    fn add_to_equals_decimal_addition_on_a_spread() {
        let values = spread(1_000);
        for &a in &values {
            for &b in values.iter().step_by(7) {
                if let Some(want) = a.checked_add(b) {
                    let mut acc = a;
                    add_to(&mut acc, b);
                    assert_eq!(acc, want, "{a} + {b}");
                    assert_eq!(acc.scale(), want.scale(), "{a} + {b}: scale");
                }
            }
        }
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

    /// A deterministic xorshift stream of Decimals: small and large mantissas, scales 0–28.
    fn spread(n: usize) -> Vec<Decimal> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let sign = if x & 1 == 0 { 1 } else { -1 };
            // Mantissas of 1 to 19 digits, so that both the 64-bit and the 128-bit paths run.
            let digits = 1 + (x >> 40) as u32 % 19;
            let m = (x >> 1) as i128 % 10i128.pow(digits);
            let scale = match i % 4 {
                0 => 2,
                1 => 10,
                2 => 12,
                _ => (x >> 20) as u32 % 29,
            };
            out.push(Decimal::from_i128_with_scale(sign * m, scale));
        }
        out
    }

    #[test]
    fn mul_round_equals_rounded_decimal_product() {
        let values = spread(3_000);
        let mut checked = 0;
        for (i, &a) in values.iter().enumerate() {
            for &b in values.iter().skip(i % 7).step_by(37) {
                for dp in [2, 6, 10, 12] {
                    let want = a.checked_mul(b).map(|p| {
                        p.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
                    });
                    // Compare only where rust_decimal's product is exact (scale and 96 bits).
                    let exact = a.scale() + b.scale() <= 28
                        && (a.mantissa() * b.mantissa()).unsigned_abs() < 1u128 << 96;
                    if exact {
                        assert_eq!(mul_round(a, b, dp), want, "{a} × {b} at {dp}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000, "only {checked} exact products checked");
        // Midpoints: 0.5 fen rounds away from zero on both signs.
        assert_eq!(mul_round(dec!(0.5), dec!(0.01), 2), Some(dec!(0.01)));
        assert_eq!(mul_round(dec!(-0.5), dec!(0.01), 2), Some(dec!(-0.01)));
        assert_eq!(mul_round(dec!(0.4999), dec!(0.01), 2), Some(dec!(0.00)));
        // A product past 64 bits: 0.123456789012 × (10^11 − 0.01)
        // = 12,345,678,901.2 − 0.00123456789012 = 12,345,678,901.19876543210988 → …901.20.
        assert_eq!(
            mul_round(dec!(0.123456789012), dec!(99999999999.99), 2),
            Some(dec!(12345678901.20))
        );
        // Out of range.
        assert_eq!(mul_round(Decimal::MAX, dec!(2), 2), None);
    }

    #[test]
    fn sub_min_cmp_and_is_positive_equal_decimal_operators() {
        let values = spread(400);
        for &a in &values {
            assert_eq!(is_positive(a), a > Decimal::ZERO, "{a}");
            for &b in values.iter().step_by(3) {
                assert_eq!(min(a, b), a.min(b), "min({a}, {b})");
                assert_eq!(cmp(a, b), a.cmp(&b), "cmp({a}, {b})");
                if let Some(d) = a.checked_sub(b) {
                    assert_eq!(sub(a, b), d, "{a} − {b}");
                }
            }
        }
    }

    #[test]
    fn fen_sum_equals_decimal_sum() {
        let mut sum = FenSum::default();
        let mut want = Decimal::ZERO;
        for v in spread(20_000) {
            let f = fen(v);
            if f.abs() < dec!(1e15) {
                sum.add(f);
                want += f;
            }
        }
        assert_eq!(sum.to_decimal(), Some(want));
        // Scales 0 and 1 are whole fen too; a finer amount is rounded to the fen.
        let mut s = FenSum::default();
        for v in [dec!(7), dec!(0.5), dec!(1.25), dec!(0.005)] {
            s.add(v);
        }
        assert_eq!(s.to_decimal(), Some(dec!(8.76)));
    }

    #[test]
    fn rounding_fast_path_on_small_mantissas() {
        for v in spread(100_000) {
            for dp in [0, 2, 6, 10, 12] {
                assert_eq!(
                    round_half_away(v, dp),
                    v.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
                    "{v} at {dp}"
                );
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
