//! Exact value, then one rounding.
//!
//! Every amount of money ipabs makes is the exact rational value of its formula rounded once to
//! the fen: the numerator is multiplied out in integers (the mantissas of the Decimal factors
//! times the integer numerator of a [`Ratio`]) and divided once by the product of the
//! denominators (powers of ten and the [`Ratio`]'s denominator). No quotient is ever cut to 28
//! digits before it multiplies money. Products that overflow an `i128` are computed with
//! arbitrary-precision integers (`num-bigint`); the result is the same, only slower.
//! docs/conventions.md ("Exact value, then one rounding") states the rule.

use std::fmt;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive};
use rust_decimal::Decimal;

use super::from_fen;
use super::powers_of_ten::{POW10_U64, pow10};

/// How an exact amount becomes a whole number of fen: `[deal] rounding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rounding {
    /// Half away from zero: 0.005 → 0.01, −0.005 → −0.01 (the default).
    #[default]
    HalfUp,
    /// Toward zero: every amount cut to the fen (some trustee models, Hastructure).
    Truncate,
}

impl Rounding {
    /// Every rule, in the order the documentation lists them.
    pub const ALL: [Rounding; 2] = [Rounding::HalfUp, Rounding::Truncate];

    /// The TOML spelling.
    pub fn name(self) -> &'static str {
        match self {
            Rounding::HalfUp => "half_up",
            Rounding::Truncate => "truncate",
        }
    }

    /// The rule spelled `s` in TOML.
    pub fn from_name(s: &str) -> Option<Rounding> {
        Rounding::ALL.into_iter().find(|r| r.name() == s)
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An exact non-negative rational `num / den` with `den > 0`: a year fraction such as 91/365,
/// a periodic rate divisor 1/12, an even share 1/m.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    /// The numerator, 0 or more.
    pub num: i64,
    /// The denominator, above 0.
    pub den: i64,
}

impl Ratio {
    /// 1/1.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den`; `den` must be positive.
    pub const fn new(num: i64, den: i64) -> Ratio {
        Ratio { num, den }
    }

    /// The quotient as a Decimal (as many of Decimal's 28 decimal places as fit), for reports only: never multiply
    /// money by it.
    pub fn to_decimal(self) -> Decimal {
        Decimal::from(self.num) / Decimal::from(self.den)
    }

    /// The quotient as the nearest `f64` (numerator and denominator below 2⁵³ convert
    /// exactly, so this is one correctly rounded division), for the statistics and bond math
    /// that are floats by design (docs/analytics.md): never money.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// True when the numerator is zero.
    pub fn is_zero(self) -> bool {
        self.num == 0
    }
}

/// `num / den` rounded to an integer under `mode`; `den > 0`.
#[inline]
pub fn div_round(num: i128, den: i128, mode: Rounding) -> i128 {
    debug_assert!(den > 0);
    // A 64-bit division when both fit (the common case for fen amounts): a 128-bit division
    // is a library call several times slower.
    if let (Ok(n), Ok(d)) = (u64::try_from(num.unsigned_abs()), u64::try_from(den)) {
        let (q, r) = (n / d, n % d);
        let up = match mode {
            Rounding::Truncate => false,
            Rounding::HalfUp => r >= d - r,
        };
        let q = i128::from(q) + i128::from(up);
        return if num < 0 { -q } else { q };
    }
    let q = num / den;
    let r = num % den;
    match mode {
        Rounding::Truncate => q,
        // |r| < den ≤ i128::MAX, so 2|r| fits a u128.
        Rounding::HalfUp if 2 * r.unsigned_abs() >= den.unsigned_abs() => q + num.signum(),
        Rounding::HalfUp => q,
    }
}

/// `num / den` rounded to an integer under `mode`, in arbitrary precision; `den > 0`.
fn div_round_big(num: &BigInt, den: &BigInt, mode: Rounding) -> BigInt {
    // Truncated quotient and remainder (the remainder has the sign of `num`).
    let (q, r) = num.div_rem(den);
    match mode {
        Rounding::Truncate => q,
        Rounding::HalfUp => {
            if (r.abs() * 2u32) >= *den {
                if num.is_negative() { q - 1 } else { q + 1 }
            } else {
                q
            }
        }
    }
}

/// The exact value of `Π factors × ratio`, rounded once to the fen under `mode`.
///
/// `None` only when the rounded result is beyond Decimal's range. For example
/// `fen_of(&[1_000_050.00, 0.0365], 91/365, HalfUp)` is 9,100.455 exactly, so 9,100.46.
pub fn fen_of(factors: &[Decimal], ratio: Ratio, mode: Rounding) -> Option<Decimal> {
    // One yuan is 100 fen: the same exact product, in fen, rounded once.
    from_fen(fen_times(100, factors, ratio, mode)?)
}

/// The exact value of `amount × Π factors × ratio`, where `amount` is a count of fen,
/// rounded once to the fen under `mode`: the engine's accruals (`balance × coupon × days /
/// basis`). `None` only when the result is beyond Decimal's range.
#[inline]
pub fn fen_times(amount: i128, factors: &[Decimal], ratio: Ratio, mode: Rounding) -> Option<i128> {
    if ratio.den <= 0 {
        return None;
    }
    // One factor (an accrual: balance × rate × days / basis) whose product and divisor fit
    // 64 bits: the whole computation in registers, with one 64-bit division.
    if let [f] = factors
        && let Some(r) = fen_times_u64(amount, *f, ratio, mode)
    {
        return Some(r);
    }
    let fast = || -> Option<i128> {
        // The product's magnitude in u128 and its sign apart: two factors within 64 bits
        // multiply without an overflow check (a checked signed 128-bit product is a library
        // call); larger ones are checked. Beyond i128 the big-integer path below takes over.
        let wide = |x: u128, k: u128| -> Option<u128> {
            if x >> 64 == 0 && k >> 64 == 0 {
                Some(x * k)
            } else {
                x.checked_mul(k)
            }
        };
        let mut neg = (amount < 0) != (ratio.num < 0);
        let mut num = wide(amount.unsigned_abs(), u128::from(ratio.num.unsigned_abs()))?;
        let mut scale = 0u32;
        for f in factors {
            num = wide(num, f.mantissa().unsigned_abs())?;
            neg ^= f.is_sign_negative() && !f.is_zero();
            scale += f.scale();
        }
        let num = i128::try_from(num).ok()?;
        Some(div_round(
            if neg { -num } else { num },
            pow10(scale)?.checked_mul(i128::from(ratio.den))?,
            mode,
        ))
    };
    if let Some(f) = fast() {
        return Some(f);
    }
    let mut num = BigInt::from(amount) * BigInt::from(ratio.num);
    let mut scale = 0u32;
    for f in factors {
        num *= BigInt::from(f.mantissa());
        scale += f.scale();
    }
    let den = BigInt::from(10u32).pow(scale) * BigInt::from(ratio.den);
    let fen = div_round_big(&num, &den, mode).to_i128()?;
    (fen.unsigned_abs() < 1 << 96).then_some(fen)
}

/// [`fen_times`] of one factor when `|amount × ratio.num × mantissa|` and `10^scale ×
/// ratio.den` both fit a `u64` (every accrual of a real deal): the same exact quotient, rounded
/// once by the same rule, without a 128-bit operation. `None` when an operand does not fit.
#[inline(always)]
fn fen_times_u64(amount: i128, f: Decimal, ratio: Ratio, mode: Rounding) -> Option<i128> {
    let a = u64::try_from(amount.unsigned_abs()).ok()?;
    let m = u64::try_from(f.mantissa().unsigned_abs()).ok()?;
    let num = a.checked_mul(ratio.num.unsigned_abs())?.checked_mul(m)?;
    let den = POW10_U64
        .get(f.scale() as usize)?
        .checked_mul(u64::try_from(ratio.den).ok()?)?;
    let (q, r) = (num / den, num % den);
    let up = match mode {
        Rounding::Truncate => false,
        Rounding::HalfUp => r >= den - r,
    };
    let q = i128::from(q) + i128::from(up);
    let neg = ((amount < 0) != (ratio.num < 0)) != (f.is_sign_negative() && !f.is_zero());
    Some(if neg { -q } else { q })
}

/// `round(amount × m / 10^s)` under `mode`: an amount times a Decimal factor given as its
/// mantissa `m` and scale `s` (a CDR fraction, a surviving factor, a recovery rate), exact and
/// rounded once. `None` only beyond Decimal's range.
#[inline]
pub fn mul_scaled(amount: i128, m: i128, s: u32, mode: Rounding) -> Option<i128> {
    // Amount and mantissa within `i64` (every projection factor, every amount below 9.2 ×
    // 10^16 yuan): their product is exact in 128 bits without an overflow check (a checked
    // 128-bit product is a library call), and divided on magnitudes, in 64 bits when it fits.
    if let (Ok(a), Ok(f), Some(den)) = (
        i64::try_from(amount),
        i64::try_from(m),
        POW10_U64.get(s as usize).copied(),
    ) {
        let p = u128::from(a.unsigned_abs()) * u128::from(f.unsigned_abs());
        let (q, r) = match u64::try_from(p) {
            Ok(p) => (u128::from(p / den), u128::from(p % den)),
            Err(_) => (p / u128::from(den), p % u128::from(den)),
        };
        let up = match mode {
            Rounding::Truncate => false,
            Rounding::HalfUp => r >= u128::from(den) - r,
        };
        // q ≤ p < 2^126.
        let q = (q + u128::from(up)) as i128;
        return Some(if (a < 0) != (f < 0) { -q } else { q });
    }
    if let (Some(num), Some(den)) = (amount.checked_mul(m), pow10(s)) {
        return Some(div_round(num, den, mode));
    }
    let factor = Decimal::try_from_i128_with_scale(m, s).ok()?;
    fen_times(amount, &[factor], Ratio::ONE, mode)
}

/// [`mul_scaled`] on `i64` operands with the scale `S` (1..=19) known at compile time:
/// `round(a × f / 10^S)` under `mode`, exact and rounded once, for the projection's
/// fixed-scale factors. The product of two `i64`s always fits, so there is no `Option` and the
/// result stays in registers.
///
/// The division is by a constant. A product past 64 bits is divided as `10^S = 2^S × 5^S`: the
/// low `S` bits are set aside and the rest, which fits 64 bits whenever the product is below
/// `2^(64+S)`, is divided by the constant `5^S`; the remainder is put back together exactly, so
/// the result is always [`mul_scaled`]'s.
#[inline(always)]
pub fn mul_pow10_i64<const S: u32>(a: i64, f: i64, mode: Rounding) -> i128 {
    let den: u64 = const {
        assert!(S >= 1 && S <= 19);
        POW10_U64[S as usize]
    };
    let five: u64 = const { POW10_U64[S as usize] >> S };
    let p = u128::from(a.unsigned_abs()) * u128::from(f.unsigned_abs());
    let (q, r): (u128, u64) = if p >> 64 == 0 {
        let p = p as u64;
        (u128::from(p / den), p % den)
    } else if p >> (64 + S) == 0 {
        // p = h × 2^S + l and h = q × 5^S + r', so p = q × 10^S + (r' × 2^S + l), where the
        // last term is below 10^S.
        let h = (p >> S) as u64;
        let l = (p as u64) & ((1u64 << S) - 1);
        (u128::from(h / five), ((h % five) << S) | l)
    } else {
        (p / u128::from(den), (p % u128::from(den)) as u64)
    };
    let up = match mode {
        Rounding::Truncate => false,
        Rounding::HalfUp => r >= den - r,
    };
    // q ≤ p < 2^126.
    let q = (q + u128::from(up)) as i128;
    if (a < 0) != (f < 0) { -q } else { q }
}

/// The exact quotient `num / den` of two big integers (den > 0), rounded once to the fen
/// under `mode`, where `num / den` is in yuan × 100 (i.e. already in fen units).
pub fn fen_of_big(num: &BigInt, den: &BigInt, mode: Rounding) -> Option<Decimal> {
    if !den.is_positive() {
        return None;
    }
    from_fen(div_round_big(num, den, mode).to_i128()?)
}

/// `a × b` when Decimal holds it exactly (a mantissa within 96 bits, at most 28 places);
/// None when the product would be rounded.
pub fn exact_product(a: Decimal, b: Decimal) -> Option<Decimal> {
    let m = a.mantissa().checked_mul(b.mantissa())?;
    let scale = a.scale() + b.scale();
    if scale > 28 || m.unsigned_abs() >= 1 << 96 {
        return None;
    }
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// A report ratio: `num / den` (den > 0) exactly, rounded once, half away from zero, to 6
/// decimal places; None when `den` is not positive or the ratio is beyond Decimal. The exact
/// form of [`crate::money::exact::ratio6`], for any operands.
pub fn ratio6_big(num: &BigInt, den: &BigInt) -> Option<Decimal> {
    ratio_big(num, den, 6)
}

/// `num / den` (den > 0) exactly, rounded once, half away from zero, to `dp` decimal places;
/// None when `den` is not positive or the result is beyond Decimal.
pub fn ratio_big(num: &BigInt, den: &BigInt, dp: u32) -> Option<Decimal> {
    if !den.is_positive() {
        return None;
    }
    let q = div_round_big(&(num * BigInt::from(10u32).pow(dp)), den, Rounding::HalfUp);
    Decimal::try_from_i128_with_scale(q.to_i128()?, dp).ok()
}

/// [`ratio6_big`] of two Decimals.
pub fn ratio6_of(num: Decimal, den: Decimal) -> Option<Decimal> {
    product_ratio_of(&[num], &[den], 6)
}

/// `Π num / Π den` of Decimals exactly, rounded once, half away from zero, to `dp` places
/// ([`ratio_big`]): the products are taken of the mantissas in big integers, so that no
/// Decimal product rounds or overflows on the way.
pub fn product_ratio_of(num: &[Decimal], den: &[Decimal], dp: u32) -> Option<Decimal> {
    let product = |ds: &[Decimal]| {
        ds.iter().fold((BigInt::from(1), 0u32), |(m, s), d| {
            (m * BigInt::from(d.mantissa()), s + d.scale())
        })
    };
    let pow10 = |s: u32| BigInt::from(10u32).pow(s);
    let ((nm, ns), (dm, ds)) = (product(num), product(den));
    // Π num / Π den = (nm · 10^ds) / (dm · 10^ns).
    ratio_big(&(nm * pow10(ds)), &(dm * pow10(ns)), dp)
}

/// `Σ amounts` compared with `threshold × base` exactly: the sign of `value − threshold × base`,
/// for triggers (a ratio value/base above or below a threshold) without rounding the ratio.
pub fn cmp_ratio(value: Decimal, base: Decimal, threshold: Decimal) -> std::cmp::Ordering {
    // value / base vs threshold, base > 0  ⇔  value vs threshold × base, in integers (Decimal's
    // product can round beyond 28 digits): i128 when it fits, big integers otherwise.
    // The common scale s: the value's, or the product's (base's plus threshold's).
    let (sv, sbt) = (value.scale(), base.scale() + threshold.scale());
    let s = sv.max(sbt);
    // Every ratio a deal compares (a cumulative default ratio against its trigger level):
    // mantissas within 64 bits and one side scaled by at most 10^19, so each product is a
    // 64 × 64-bit multiplication that cannot overflow (a checked 128-bit product is a library
    // call).
    let small = |d: Decimal| i64::try_from(d.mantissa()).ok();
    if let (Some(v), Some(b), Some(t)) = (small(value), small(base), small(threshold)) {
        let (v, bt) = (i128::from(v), i128::from(b) * i128::from(t));
        if sbt >= sv {
            // s = sbt: the value takes the power of ten (|v| < 2^63, 10^19 < 2^64).
            if let Some(&p) = POW10_U64.get((sbt - sv) as usize) {
                return (v * i128::from(p)).cmp(&bt);
            }
        } else if let Some(rhs) = pow10(sv - sbt).and_then(|p| bt.checked_mul(p)) {
            // s = sv: the product takes it.
            return v.cmp(&rhs);
        }
    }
    let exact = || -> Option<std::cmp::Ordering> {
        let lhs = value.mantissa().checked_mul(pow10(s - sv)?)?;
        let rhs = base
            .mantissa()
            .checked_mul(threshold.mantissa())?
            .checked_mul(pow10(s - sbt)?)?;
        Some(lhs.cmp(&rhs))
    };
    if let Some(o) = exact() {
        return o;
    }
    let lhs = BigInt::from(value.mantissa()) * BigInt::from(10u32).pow(s - sv);
    let rhs = BigInt::from(base.mantissa())
        * BigInt::from(threshold.mantissa())
        * BigInt::from(10u32).pow(s - sbt);
    lhs.cmp(&rhs)
}

/// `num / den` compared with `threshold` exactly, for counts of fen `num ≥ 0`, `den > 0`
/// (a coverage multiple against its trigger level): the sign of `num − threshold × den`.
pub fn cmp_fen_ratio(num: i128, den: i128, threshold: Decimal) -> std::cmp::Ordering {
    let s = threshold.scale();
    let fast = || -> Option<std::cmp::Ordering> {
        let lhs = num.checked_mul(pow10(s)?)?;
        let rhs = den.checked_mul(threshold.mantissa())?;
        Some(lhs.cmp(&rhs))
    };
    fast().unwrap_or_else(|| {
        let lhs = BigInt::from(num) * BigInt::from(10u32).pow(s);
        lhs.cmp(&(BigInt::from(den) * BigInt::from(threshold.mantissa())))
    })
}

/// A deterministic xorshift64 stream for the crate's randomized unit tests.
#[cfg(test)]
pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_two_ties_of_issue_9() {
        // 4,875,000.00 × 4.75% / 12 = 19,296.875 exactly → 19,296.88.
        let r = fen_of(
            &[dec!(4875000.00), dec!(0.0475)],
            Ratio::new(1, 12),
            Rounding::HalfUp,
        );
        assert_eq!(r, Some(dec!(19296.88)));
        // 1,000,050.00 × 3.65% × 91/365 = 9,100.455 exactly → 9,100.46; truncated 9,100.45.
        let f = [dec!(1000050.00), dec!(0.0365)];
        assert_eq!(
            fen_of(&f, Ratio::new(91, 365), Rounding::HalfUp),
            Some(dec!(9100.46))
        );
        assert_eq!(
            fen_of(&f, Ratio::new(91, 365), Rounding::Truncate),
            Some(dec!(9100.45))
        );
    }

    #[test]
    fn mul_scaled_equals_the_checked_128_bit_quotient() {
        // Oracle: the product checked in i128 and divided once (`div_round`), the path
        // `mul_scaled` took before its 64-bit fast path. Random amounts and mantissas of
        // every size within i64 and past it, both signs, scales 0..=19 and beyond, both modes,
        // and constructed exact halves.
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let oracle = |a: i128, m: i128, s: u32, mode: Rounding| -> Option<i128> {
            Some(div_round(a.checked_mul(m)?, pow10(s)?, mode))
        };
        let mut cases: Vec<(i128, i128, u32)> = vec![
            (1, 5, 1),
            (-1, 5, 1),
            (1, -5, 1),
            (3, 500_000_000_000, 12),
            (-3, 500_000_000_000, 12),
            (i64::MAX as i128, i64::MAX as i128, 19),
            (i64::MIN as i128, i64::MAX as i128, 12),
            (i64::MIN as i128, i64::MIN as i128, 0),
            (i64::MAX as i128 + 1, 3, 2),
            (5, 1, 20),
        ];
        for _ in 0..300_000 {
            let (ra, sa, rm, sm, k, sign) = (next(), next(), next(), next(), next(), next());
            // Magnitudes of every bit length: a random value shifted right 0..63 bits, then
            // (one time in 8) moved past i64 by a further factor.
            let a = i128::from(ra >> (sa % 64)) * if sign & 1 == 0 { 1 } else { -1 };
            let m = i128::from(rm >> (sm % 64)) * if sign & 6 == 0 { -1 } else { 1 };
            let a = if sign & 56 == 0 { a * 3 } else { a };
            cases.push((a, m, (k % 21) as u32));
        }
        for (a, m, s) in cases {
            for mode in [Rounding::HalfUp, Rounding::Truncate] {
                let want = oracle(a, m, s, mode);
                if want.is_some() {
                    assert_eq!(
                        mul_scaled(a, m, s, mode),
                        want,
                        "{a} × {m} / 10^{s} {mode:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn mul_pow10_i64_equals_the_checked_128_bit_quotient() {
        // Oracle: the checked i128 product divided once (`div_round`), as above, at the
        // scales the projection uses and the ends of the range; products below 2^64, between
        // 2^64 and 2^(64+S) (the split division) and beyond, both signs, both modes, and
        // constructed exact halves (amount 5 × 10^(S−1), factor 1).
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let oracle = |a: i128, m: i128, s: u32, mode: Rounding| -> Option<i128> {
            Some(div_round(a.checked_mul(m)?, pow10(s)?, mode))
        };
        fn at<const S: u32>(a: i128, m: i128, mode: Rounding) -> Option<i128> {
            Some(mul_pow10_i64::<S>(
                i64::try_from(a).ok()?,
                i64::try_from(m).ok()?,
                mode,
            ))
        }
        type Mul = fn(i128, i128, Rounding) -> Option<i128>;
        let funcs: [(u32, Mul); 5] = [
            (1, at::<1>),
            (10, at::<10>),
            (12, at::<12>),
            (18, at::<18>),
            (19, at::<19>),
        ];
        let mut checked = 0;
        for (s, f) in funcs {
            let half = pow10(s).expect("s ≤ 19") / 2;
            let mut cases: Vec<(i128, i128)> = vec![
                (half, 1),
                (-half, 1),
                (half * 3, 1),
                (i64::MAX as i128, i64::MAX as i128),
                (i64::MIN as i128, i64::MAX as i128),
                (i64::MIN as i128, i64::MIN as i128),
            ];
            for _ in 0..100_000 {
                let (ra, sa, rm, sm, sign) = (next(), next(), next(), next(), next());
                let a = i128::from(ra >> (sa % 64)) * if sign & 1 == 0 { 1 } else { -1 };
                let m = i128::from(rm >> (sm % 64)) * if sign & 2 == 0 { 1 } else { -1 };
                cases.push((a, m));
            }
            for (a, m) in cases {
                for mode in [Rounding::HalfUp, Rounding::Truncate] {
                    if let (Some(want), Some(got)) = (oracle(a, m, s, mode), f(a, m, mode)) {
                        assert_eq!(got, want, "{a} × {m} / 10^{s} {mode:?}");
                        checked += 1;
                    }
                }
            }
        }
        // Nearly every case has i64 operands (the rest are skipped): the test cannot pass empty.
        assert!(checked > 900_000, "{checked}");
    }

    #[test]
    fn div_round_rules() {
        assert_eq!(div_round(5, 10, Rounding::HalfUp), 1);
        assert_eq!(div_round(-5, 10, Rounding::HalfUp), -1);
        assert_eq!(div_round(4, 10, Rounding::HalfUp), 0);
        assert_eq!(div_round(19, 10, Rounding::Truncate), 1);
        assert_eq!(div_round(-19, 10, Rounding::Truncate), -1);
    }

    #[test]
    fn big_path_equals_i128_path() {
        // Scales 28 + 28: the i128 path overflows, the big path takes over.
        let a = dec!(0.1234567890123456789012345678);
        let b = dec!(1234567.89);
        let direct = fen_of(&[a, b], Ratio::ONE, Rounding::HalfUp);
        // 0.1234567890123456789012345678 × 1,234,567.89 = 152,415.7875… → 152,415.79.
        assert_eq!(direct, Some(dec!(152415.79)));
        assert_eq!(
            fen_of(&[a, a, b], Ratio::new(3, 7), Rounding::Truncate),
            fen_of_big(
                &(BigInt::from(a.mantissa())
                    * BigInt::from(a.mantissa())
                    * BigInt::from(b.mantissa())
                    * 3),
                &(BigInt::from(10u32).pow(56) * 7),
                Rounding::Truncate
            )
        );
    }

    #[test]
    fn fen_times_equals_the_big_integer_quotient() {
        // Oracle: the same product and quotient in arbitrary precision (`div_round_big`), on
        // random amounts, one to three factors of random mantissa, sign and scale (0..=28),
        // random ratios (negative numerators too) and both rounding modes.
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..100_000 {
            let (ra, sa, sign) = (next(), next(), next());
            let amount = i128::from(ra >> (sa % 64)) * if sign & 1 == 0 { 1 } else { -1 };
            let n = 1 + (next() % 3) as usize;
            let factors: Vec<Decimal> = (0..n)
                .map(|i| {
                    let (rm, sm, sc) = (next(), next(), next());
                    let m = i64::try_from(rm >> (1 + sm % 63)).unwrap_or(0);
                    let m = if (sign >> (i + 1)) & 1 == 0 { m } else { -m };
                    Decimal::new(m, (sc % 29) as u32)
                })
                .collect();
            let num = (next() % 1000) as i64 - if sign & 16 == 0 { 0 } else { 500 };
            let ratio = Ratio::new(num, 1 + (next() % 400) as i64);
            for mode in [Rounding::HalfUp, Rounding::Truncate] {
                let mut big = BigInt::from(amount) * BigInt::from(ratio.num);
                let mut scale = 0u32;
                for f in &factors {
                    big *= BigInt::from(f.mantissa());
                    scale += f.scale();
                }
                let den = BigInt::from(10u32).pow(scale) * BigInt::from(ratio.den);
                // Results beyond 2^96 fen (Decimal's range) are outside the contract.
                let Some(want) = div_round_big(&big, &den, mode)
                    .to_i128()
                    .filter(|f| f.unsigned_abs() < 1 << 96)
                else {
                    continue;
                };
                assert_eq!(
                    fen_times(amount, &factors, ratio, mode),
                    Some(want),
                    "{amount} × {factors:?} × {}/{} {mode:?}",
                    ratio.num,
                    ratio.den
                );
            }
        }
    }

    #[test]
    fn fen_times_u64_path_equals_the_big_integer_quotient() {
        // The one-factor 64-bit path on accrual-sized operands (amounts below 2^36 fen,
        // mantissas below 2^18, scales 0..=8, days 0..=400 over bases 1..=400, both signs),
        // against the arbitrary-precision quotient; exact half-fen ties are counted so that
        // the test cannot pass without meeting them.
        let mut next = xorshift(0x5DEE_CE66_D1CE_4E5B);
        let (mut fast, mut ties) = (0u32, 0u32);
        for _ in 0..200_000 {
            let sign = next();
            let amount = i128::from(next() >> 28) * if sign & 1 == 0 { 1 } else { -1 };
            let m = (next() >> 46) as i64 * if sign & 2 == 0 { 1 } else { -1 };
            let f = Decimal::new(m, (next() % 9) as u32);
            let num = (next() % 401) as i64 * if sign & 4 == 0 { 1 } else { -1 };
            let ratio = Ratio::new(num, 1 + (next() % 400) as i64);
            let big = BigInt::from(amount) * BigInt::from(num) * BigInt::from(f.mantissa());
            let den = BigInt::from(10u32).pow(f.scale()) * BigInt::from(ratio.den);
            if (&big % &den).abs() * 2u32 == den {
                ties += 1;
            }
            for mode in [Rounding::HalfUp, Rounding::Truncate] {
                let want = div_round_big(&big, &den, mode).to_i128();
                let got = fen_times_u64(amount, f, ratio, mode);
                assert!(got.is_some(), "{amount} × {f} × {num}/{}", ratio.den);
                fast += 1;
                assert_eq!(got, want, "{amount} × {f} × {num}/{} {mode:?}", ratio.den);
                assert_eq!(fen_times(amount, &[f], ratio, mode), want);
            }
        }
        assert_eq!(fast, 400_000);
        assert!(ties > 100, "only {ties} exact ties met");
    }

    #[test]
    fn exact_comparison_of_a_ratio_with_its_threshold() {
        use std::cmp::Ordering::*;
        // 100,000.01 / 1,000,000 = 0.10000001 > 0.1, though it rounds to 0.100000.
        assert_eq!(
            cmp_ratio(dec!(100000.01), dec!(1000000), dec!(0.1)),
            Greater
        );
        assert_eq!(cmp_ratio(dec!(100000), dec!(1000000), dec!(0.1)), Equal);
        assert_eq!(cmp_ratio(dec!(99999.99), dec!(1000000), dec!(0.1)), Less);
    }

    /// `cmp_ratio` against the comparison of the exact big integers `value × 10^(s − sv)` and
    /// `base × threshold × 10^(s − sb − st)`: random mantissas from one digit to 28 (both
    /// paths: within 64 bits, and beyond), scales 0 to 28, near-ties (value ≈ base ×
    /// threshold) and exact ties.
    #[test]
    fn cmp_ratio_equals_the_big_integer_comparison() {
        let mut next = xorshift(0x7219_a11c);
        let decimal = |next: &mut dyn FnMut() -> u64| {
            let r = next();
            let digits = 1 + (r % 28) as u32;
            let m = (u128::from(next()) << 64 | u128::from(next())) % 10u128.pow(digits);
            let scale = (next() % 29) as u32;
            let m = i128::try_from(m).unwrap_or(0);
            Decimal::from_i128_with_scale(if r >> 63 == 1 { -m } else { m }, scale)
        };
        let oracle = |v: Decimal, b: Decimal, t: Decimal| {
            let s = v.scale().max(b.scale() + t.scale());
            let lhs = BigInt::from(v.mantissa()) * BigInt::from(10u32).pow(s - v.scale());
            let rhs = BigInt::from(b.mantissa())
                * BigInt::from(t.mantissa())
                * BigInt::from(10u32).pow(s - b.scale() - t.scale());
            lhs.cmp(&rhs)
        };
        let (mut ties, mut small) = (0, 0);
        for i in 0..300_000 {
            let b = decimal(&mut next);
            let t = decimal(&mut next);
            let v = match i % 3 {
                // A tie or a near-tie: value = base × threshold (exact when it fits), ± a
                // unit in its last place.
                0 => match b.checked_mul(t) {
                    Some(p) => {
                        let ulp = Decimal::new(1, p.scale());
                        match next() % 3 {
                            0 => p,
                            1 => p.checked_add(ulp).unwrap_or(p),
                            _ => p.checked_sub(ulp).unwrap_or(p),
                        }
                    }
                    None => decimal(&mut next),
                },
                _ => decimal(&mut next),
            };
            let got = cmp_ratio(v, b, t);
            let want = oracle(v, b, t);
            assert_eq!(got, want, "{v} / {b} vs {t}");
            ties += usize::from(want.is_eq() && !v.is_zero());
            small += usize::from(
                [v, b, t]
                    .iter()
                    .all(|d| i64::try_from(d.mantissa()).is_ok()),
            );
        }
        assert!(ties > 1_000, "only {ties} exact ties");
        assert!(small > 10_000, "only {small} cases within 64 bits");
    }

    /// Report ratios, exact and rounded once, half away from zero: 1/3 = 0.333333…; 2/3 =
    /// 0.666666… → 0.666667; 1/2,000,000 = 0.0000005, a tie → 0.000001, and −0.000001 for its
    /// negative; operands of 10^34 (beyond Decimal) through `ratio6_big`; a zero denominator
    /// gives None; 0.0000005 written as Decimals (5 and 10,000,000) → 0.000001.
    #[test]
    fn report_ratios_round_once_half_away() {
        let b = BigInt::from;
        assert_eq!(ratio6_big(&b(1), &b(3)), Some(dec!(0.333333)));
        assert_eq!(ratio6_big(&b(2), &b(3)), Some(dec!(0.666667)));
        assert_eq!(ratio6_big(&b(1), &b(2_000_000)), Some(dec!(0.000001)));
        assert_eq!(ratio6_big(&b(-1), &b(2_000_000)), Some(dec!(-0.000001)));
        let e34 = BigInt::from(10u32).pow(34);
        assert_eq!(ratio6_big(&(&e34 * 5), &(&e34 * 9)), Some(dec!(0.555556)));
        assert_eq!(ratio6_big(&b(1), &b(0)), None);
        assert_eq!(ratio6_of(dec!(5), dec!(10000000)), Some(dec!(0.000001)));
        assert_eq!(ratio6_of(dec!(1.5), dec!(0.03)), Some(dec!(50)));
    }
}
