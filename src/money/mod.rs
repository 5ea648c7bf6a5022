//! Money: exact decimal amounts in yuan, rounded to the fen (0.01).
//!
//! Every cash amount the engine moves is a [`Decimal`] of whole fen: the exact rational value
//! of its formula rounded once ([`rational`]), half away from zero or toward zero as the deal's
//! [`Rounding`] says. Rates stay exact Decimals and year fractions exact [`Ratio`]s until a
//! money amount is produced from them.

pub mod allocation;
mod exact;
mod grouped;
mod percent;
mod powers_of_ten;
pub mod rational;

pub use allocation::{ProRataRounding, pro_rata, pro_rata_fen};
pub use grouped::{format_money, group_thousands};
pub use percent::{percent, percent_dp, percent_value};
pub use rational::{Ratio, Rounding, fen_of, fen_times, mul_pow10_i64, mul_scaled};

use rust_decimal::Decimal;

pub use exact::{ratio6, ratio6_fen, report_ratio, round_half_away};
pub(crate) use powers_of_ten::{POW10_U64, pow10};

/// Rounds an amount to the fen, half away from zero (0.005 → 0.01, −0.005 → −0.01).
///
/// The same result as `round_dp_with_strategy(2, MidpointAwayFromZero)` (a unit test checks
/// this on many values), computed on the 96-bit mantissa with one integer division: the engine
/// rounds thousands of amounts per run.
#[inline]
pub fn fen(amount: Decimal) -> Decimal {
    round_half_away(amount, 2)
}

/// An exact amount of money inside the engine: a signed count of fen (0.01 yuan).
///
/// Every amount the engine handles is whole fen, read from a Decimal once ([`to_fen`]) and
/// written back once ([`from_fen`]). An `i128` cannot overflow on sums and differences of
/// amounts below the 10¹⁵-yuan input limit (10¹⁷ fen each; more than 10²¹ of them would be
/// needed); products go through [`rational::fen_times`], which widens to arbitrary precision,
/// and a result beyond Decimal's range (2⁹⁶ fen) is an error where it is written back.
pub type Fen = i128;

/// `amount` as a count of fen (rounded half away from zero if it has more than 2 decimal
/// places; validated amounts never do).
///
/// Always inlined (the rounding out of line): whether the compiler inlined it varied with
/// unrelated changes to its callers, and a payment date reads its pool cash through it, so
/// the cost of a run moved by 1% with them (docs/performance.md, session 11).
#[inline(always)]
pub fn to_fen(amount: Decimal) -> Fen {
    let m = amount.mantissa();
    match amount.scale() {
        2 => m,
        0 => m * 100,
        1 => m * 10,
        _ => rounded_fen(amount),
    }
}

#[cold]
#[inline(never)]
fn rounded_fen(amount: Decimal) -> Fen {
    fen(amount).mantissa()
}

/// A count of fen as a Decimal of scale 2; `None` beyond Decimal's range (2⁹⁶ fen).
#[inline]
pub fn from_fen(fen: Fen) -> Option<Decimal> {
    let m = fen.unsigned_abs();
    (m < 1 << 96)
        .then(|| Decimal::from_parts(m as u32, (m >> 32) as u32, (m >> 64) as u32, fen < 0, 2))
}

/// A count of fen shown in yuan with two decimal places, exactly as its Decimal of scale 2
/// ([`from_fen`]) displays: `123456` is `1234.56`, `-5` is `-0.05`, `0` is `0.00`. For
/// messages, without building the Decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Yuan(pub Fen);

impl Yuan {
    /// The text [`Display`](std::fmt::Display) shows, built on the stack: for messages put
    /// together with `[&str]::concat` (one allocation of the exact length) rather than
    /// `format!`, which a sweep pays a few times per scenario for its warnings
    /// (docs/performance.md, session 16).
    pub fn text(self) -> YuanText {
        let mut t = YuanText {
            buf: [0; YuanText::CAP],
            at: YuanText::CAP,
        };
        let m = self.0.unsigned_abs();
        t.put_digits((m % 100) as u64, 2);
        t.put(b'.');
        // In u64 pieces: a u64 divides by 10 in a multiply, a u128 calls a library routine. A
        // u128 over 100 is below 10^37, so its part above 10^19 fits a u64.
        let yuan = m / 100;
        match u64::try_from(yuan) {
            Ok(y) => t.put_digits(y, 1),
            Err(_) => {
                const E19: u128 = 10_u128.pow(19);
                t.put_digits((yuan % E19) as u64, 19);
                t.put_digits((yuan / E19) as u64, 1);
            }
        }
        if self.0 < 0 {
            t.put(b'-');
        }
        t
    }
}

/// The text of a [`Yuan`], on the stack ([`Yuan::text`]).
#[derive(Clone, Copy)]
pub struct YuanText {
    buf: [u8; YuanText::CAP],
    /// The text is `buf[at..]`: it is written right to left.
    at: usize,
}

impl YuanText {
    /// A 128-bit count has at most 39 digits; with the point and the sign, 41 bytes.
    const CAP: usize = 41;

    fn put(&mut self, b: u8) {
        self.at -= 1;
        self.buf[self.at] = b;
    }

    /// The decimal digits of `n`, at least `width` of them (zeros in front).
    fn put_digits(&mut self, mut n: u64, width: usize) {
        let end = self.at;
        loop {
            self.put(b'0' + (n % 10) as u8);
            n /= 10;
            if n == 0 && end - self.at >= width {
                break;
            }
        }
    }

    /// The text: yuan with two decimal places, `-` in front when negative.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, '.' and '-' are ever written.
        std::str::from_utf8(&self.buf[self.at..]).unwrap_or_default()
    }
}

impl std::fmt::Display for Yuan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text().as_str())
    }
}

/// True when `amount` has at most two decimal places, i.e. is a whole number of fen.
pub fn is_fen(amount: Decimal) -> bool {
    fen(amount) == amount
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::RoundingStrategy;
    use rust_decimal_macros::dec;

    /// `Yuan` shows a count of fen as the Decimal of scale 2 does (the oracle: rust_decimal's
    /// own `Display`), at zero, across the sign, at the cent and yuan boundaries, past `u64`
    /// and at the end of Decimal's range.
    #[test]
    fn yuan_displays_as_the_decimal_of_its_fen() {
        let mut values: Vec<Fen> = vec![
            0,
            1,
            5,
            9,
            10,
            99,
            100,
            101,
            123_456,
            i128::from(u64::MAX),
            i128::from(u64::MAX) + 1,
            // Yuan past u64 (written in two pieces), with zeros inside the lower piece.
            100 * i128::from(u64::MAX) + 99,
            100 * (i128::from(u64::MAX) + 1),
            100 * 10_i128.pow(19),
            100 * 10_i128.pow(19) + 1,
            100 * 7 * 10_i128.pow(19) + 5 * 10_i128.pow(10) + 3,
            (1 << 96) - 1,
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(Fen::from(x >> (x % 64)));
            // Up to 2^96 fen, Decimal's range.
            values.push((Fen::from(x) << 32 | Fen::from(x >> 32)) >> (x % 33));
        }
        for v in values.clone() {
            values.push(-v);
        }
        for v in values {
            let want = from_fen(v).expect("within Decimal's range").to_string();
            assert_eq!(Yuan(v).to_string(), want, "{v} fen");
        }
        // Past Decimal's range, to the ends of i128 (the oracle: the integer's own digits).
        for v in [
            1 << 96,
            i128::MAX,
            i128::MAX - 100,
            i128::MIN,
            i128::MIN + 1,
        ] {
            let m = v.unsigned_abs();
            let sign = if v < 0 { "-" } else { "" };
            let want = format!("{sign}{}.{:02}", m / 100, m % 100);
            assert_eq!(Yuan(v).to_string(), want, "{v} fen");
        }
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(fen(dec!(1.005)), dec!(1.01));
        assert_eq!(fen(dec!(1.004999)), dec!(1.00));
        assert_eq!(fen(dec!(-1.005)), dec!(-1.01));
        assert_eq!(fen(dec!(2.675)), dec!(2.68));
        assert!(is_fen(dec!(3.10)));
        assert!(!is_fen(dec!(3.105)));
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
