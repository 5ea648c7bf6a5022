//! Rounding and report ratios on Decimal's public parts (mantissa and scale).
//!
//! The engine computes in whole fen ([`super::Fen`]); what is left of Decimal arithmetic is
//! rounding an amount ([`round_half_away`]) and the 6-place ratios of the reports
//! ([`ratio6`]). Both read [`Decimal::mantissa`] and [`Decimal::scale`] and divide once; the
//! tests below check them against rust_decimal on many values, value and scale.

use rust_decimal::{Decimal, RoundingStrategy};

use super::powers_of_ten::POW10;

/// The Decimal of magnitude `m`, sign and `scale` (≤ 28); `None` beyond 96 bits.
#[inline]
fn pack(m: u128, negative: bool, scale: u32) -> Option<Decimal> {
    (m < 1 << 96).then(|| {
        Decimal::from_parts(
            m as u32,
            (m >> 32) as u32,
            (m >> 64) as u32,
            negative && m != 0,
            scale,
        )
    })
}

/// `m / 10^k` rounded half away from zero, on a magnitude.
#[inline]
fn div_pow10_half_away(m: u128, k: u32) -> u128 {
    let d = POW10[k as usize];
    let q = match (u64::try_from(m), u64::try_from(d)) {
        // A 64-bit division when both fit.
        (Ok(a), Ok(b)) => u128::from(a / b),
        _ => m / d,
    };
    let r = m - q * d;
    q + u128::from(r >= d - r)
}

/// Rounds to `dp` decimal places, half away from zero; equal to rust_decimal's
/// `round_dp_with_strategy(dp, MidpointAwayFromZero)`, with one integer division.
#[inline]
pub fn round_half_away(amount: Decimal, dp: u32) -> Decimal {
    let scale = amount.scale();
    if scale <= dp {
        return amount;
    }
    let q = div_pow10_half_away(amount.mantissa().unsigned_abs(), scale - dp);
    pack(q, amount.is_sign_negative(), dp).unwrap_or_else(|| {
        amount.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
    })
}

/// `round_half_away(num / den, 6)` for `num, den > 0`, computed exactly on the mantissas
/// with one integer division. `None` (use Decimal division) when the quotient is exact at 6
/// places (Decimal division may then give a smaller scale), is 10^10 or more, or lies within
/// 10^-12 of a 6-place midpoint: elsewhere Decimal division, exact to at least 18 decimal
/// places below 10^10, rounds to the same 6-place value.
#[inline]
pub fn ratio6(num: Decimal, den: Decimal) -> Option<Decimal> {
    if num.is_sign_negative() || den.is_sign_negative() || num.is_zero() || den.is_zero() {
        return None;
    }
    let (mn, md) = (num.mantissa().unsigned_abs(), den.mantissa().unsigned_abs());
    // num / den = (mn · 10^(6 + sd)) / (md · 10^sn) millionths.
    let n = mn.checked_mul(*POW10.get(6 + den.scale() as usize)?)?;
    let d = md.checked_mul(*POW10.get(num.scale() as usize)?)?;
    millionths(n, d)
}

/// [`ratio6`] of two counts of fen, `num, den > 0`: the same Decimal as `ratio6` of their
/// Decimals (both of scale 2), or `None` where `ratio6` gives `None`: the same scaled
/// operands, `num · 10^8` over `den · 10^2`, without building the Decimals.
#[inline]
pub fn ratio6_fen(num: i128, den: i128) -> Option<Decimal> {
    if num <= 0 || den <= 0 {
        return None;
    }
    // Within Decimal's 96 bits, as the Decimals `ratio6` would read.
    if num >= 1 << 96 || den >= 1 << 96 {
        return None;
    }
    let (n, d) = (num as u128, den as u128);
    millionths(n * POW10[8], d * POW10[2])
}

/// `ratio6`'s quotient `n / d` in millionths (`n` = the numerator's millionths, both scaled
/// to a common scale), rounded half away, and its `None` cases.
#[inline]
fn millionths(n: u128, d: u128) -> Option<Decimal> {
    // A 64-bit division when both fit (a 128-bit one is a library call).
    let (q, r) = match (u64::try_from(n), u64::try_from(d)) {
        (Ok(n), Ok(d)) => (u128::from(n / d), u128::from(n % d)),
        _ => (n / d, n % d),
    };
    if r == 0 || q >= POW10[16] {
        return None;
    }
    // Distance to the midpoint, |r / d − 1/2| = |2r − d| / 2d, must exceed 10^-12.
    if (2 * r).abs_diff(d).checked_mul(POW10[12])? <= 2 * d {
        return None;
    }
    pack(q + u128::from(2 * r >= d), false, 6)
}

/// A ratio rounded to 6 decimal places, half away from zero, for reports (a coverage
/// multiple, a share, a cumulative default ratio); `None` when `den` is not positive. The one
/// report ratio (review 35a item 3c: it lived in `engine`, and the rating notes and two
/// warnings recomputed it their own ways). Triggers compare the exact ratio.
pub fn report_ratio(num: Decimal, den: Decimal) -> Option<Decimal> {
    if den <= Decimal::ZERO {
        return None;
    }
    ratio6(num, den).or_else(|| {
        // Decimal division is exact when its quotient, below 10^16 (so held to 12 places or
        // more), needs at most 6 places: a zero or a ratio that ends within 6 places. Anything
        // else (near a midpoint, or large) goes the exact way.
        match num.checked_div(den) {
            Some(q) if q.scale() <= 6 && q.abs() < EXACT_QUOTIENT_BOUND => Some(q),
            _ => super::rational::ratio6_of(num, den),
        }
    })
}

/// 10^16: see [`report_ratio`].
const EXACT_QUOTIENT_BOUND: Decimal = Decimal::from_parts(1_874_919_424, 2_328_306, 0, false, 0);

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// The report ratio: the fast path, Decimal's exact quotients and the exact fallback give
    /// the exact value rounded once, half away from zero. 1/2,000,000 is a tie (0.0000005);
    /// 2/3 is near no tie; 0/x is exact; 10^15 / 0.03 (10^16.5) takes the exact way.
    #[test]
    fn report_ratios() {
        assert_eq!(
            EXACT_QUOTIENT_BOUND,
            Decimal::from(10_000_000_000_000_000u64)
        );
        assert_eq!(report_ratio(dec!(1), dec!(2000000)), Some(dec!(0.000001)));
        assert_eq!(report_ratio(dec!(2), dec!(3)), Some(dec!(0.666667)));
        assert_eq!(report_ratio(Decimal::ZERO, dec!(7)), Some(Decimal::ZERO));
        assert_eq!(
            report_ratio(dec!(1000000000000000), dec!(0.03)),
            Some(dec!(33333333333333333.333333))
        );
        assert_eq!(report_ratio(dec!(1), Decimal::ZERO), None);
    }

    #[test]
    fn ratio6_and_rounding_equal_rust_decimal() {
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
            for dp in [0, 2, 6] {
                let (mine, theirs) = (
                    round_half_away(a, dp),
                    a.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
                );
                // Equal in value and scale (a zero's sign is not compared).
                assert_eq!(
                    (mine, mine.scale()),
                    (theirs, theirs.scale()),
                    "{a} at {dp}"
                );
            }
            for &b in &values {
                if let Some(r) = ratio6(a, b) {
                    fast_ratios += 1;
                    let d = a.checked_div(b).map(|q| round_half_away(q, 6));
                    assert_eq!(
                        Some((r, r.to_string())),
                        d.map(|d| (d, d.to_string())),
                        "{a} / {b}"
                    );
                }
            }
        }
        assert!(fast_ratios > 10_000, "{fast_ratios}");
    }

    #[test]
    fn ratio6_fen_is_ratio6_of_the_decimals() {
        // On counts of fen of every size up to Decimal's 96 bits (and a few beyond), both
        // signs and zero, including exact quotients and constructed near-midpoints: the fen
        // path gives exactly what `ratio6` gives on the Decimals (scale 2), `None` included.
        let mut next = crate::money::rational::xorshift(0xA076_1D64_78BD_642F);
        let dec_of = |f: i128| Decimal::try_from_i128_with_scale(f, 2).ok();
        let (mut some, mut checked) = (0u32, 0u32);
        for i in 0..200_000u32 {
            let (a, b) = (next(), next());
            let mut num = (u128::from(a) << 32 | u128::from(next() >> 32)) >> (next() % 100);
            let den = (u128::from(b) << 32 | u128::from(next() >> 32)) >> (next() % 100);
            // Every 7th: an exact quotient; every 11th: a quotient just beside a midpoint.
            if i % 7 == 0 {
                num = den.saturating_mul(u128::from(next() % 1_000));
            } else if i % 11 == 0 && den < 1 << 80 {
                // (2k + 1) / (2 · 10^6), a midpoint of millionths, give or take a fen.
                let k = u128::from(next() % 1_000);
                num = den * (2 * k + 1) / 2_000_000 + u128::from(next() % 3);
            }
            let (num, den) = (num as i128, den as i128);
            let sign = if next() & 1 == 0 { 1 } else { -1 };
            let num = num * sign;
            let (Some(dn), Some(dd)) = (dec_of(num), dec_of(den)) else {
                assert_eq!(ratio6_fen(num, den), None);
                continue;
            };
            let want = ratio6(dn, dd);
            let got = ratio6_fen(num, den);
            assert_eq!(got, want, "{num} / {den}");
            assert_eq!(got.map(|d| d.scale()), want.map(|d| d.scale()));
            some += u32::from(got.is_some());
            checked += 1;
        }
        assert!(
            checked > 150_000 && some > 40_000,
            "{checked} checked, {some} fast"
        );
    }
}
