//! `x^y` with the bits of glibc's `pow` on x86-64 with FMA, on every platform, and several
//! powers of one base for the price of one logarithm.
//!
//! The yields, durations and spreads of `ipabs` are `f64`s whose last bits come from `pow`:
//! discounting at yield `y` is `(1 + y)^(−t)` for each flow. So does a period's default or
//! prepayment fraction, `1 − (1 − rate)^(days/365)`, before it is rounded to 10 places
//! (`pool::projection`): a different last bit could move that rounding, and the money with
//! it. glibc (2.28 and later) computes
//! `pow` with the algorithm of Arm's optimized-routines (Szabolcs Nagy, 2018): `log(x)` to
//! about 68 bits from a 128-entry table and a degree-7 polynomial, then `exp(y · log x)` from
//! another 128-entry table and a degree-5 polynomial, 0.52 ULP at worst. This module is a port
//! of that algorithm's main path, operation for operation as GCC compiled it into glibc's
//! `__ieee754_pow_fma` (the variant glibc picks on a CPU with FMA): every multiply-add that
//! GCC fused is a fused [`f64::mul_add`] here, every other operation is the same rounded one,
//! in the same order. docs/analytics.md ("Powers") lists the sources.
//!
//! Three things follow:
//! * **One logarithm for many powers.** `log(x)` (about half of a `pow`) depends on the base
//!   only. A yield solver raises one base `1 + y` to each flow's time; [`PowBase`] computes the
//!   logarithm once and each power from it, with the bits `pow` gives.
//! * **Four powers at a time.** [`discounted_sum`] runs the `exp` part in four AVX2 lanes where
//!   the CPU has them, the same operations in each lane, so the same bits.
//! * **The same bits everywhere.** `f64::powf` calls the platform's `pow`: glibc's FMA or SSE2
//!   variant, macOS's or Windows' library, which may differ in the last bit. This port gives
//!   glibc's FMA bits on any machine (`fused_fn!` runs the FMA instructions where the CPU has
//!   them; elsewhere `mul_add` is the correctly rounded software `fma`, the same value).
//!
//! Inputs off the main path (`x` not a positive normal number; `|y|` below 2^−65, at or above
//! 2^63, or not finite; `|y · log x|` outside `[2^−54, 512)`, where the result is within a
//! rounding of 1 or may overflow or underflow) go to the platform's `pow`. A yield's base
//! `1 + y` is in `[0.01, 11]` and its times are years, so these never occur there.
//!
//! Port of Arm optimized-routines' `math/pow.c` (Copyright (c) 2018, Arm Limited,
//! SPDX-License-Identifier: MIT) and its tables.

mod tables;

use tables::{EXP_TABLE, LOG_TABLE};

// The log part (`__pow_log_data`).
const OFF: u64 = 0x3fe6_9555_0000_0000;
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fefa_3800);
const LN2_LO: f64 = f64::from_bits(0x3d2e_f357_93c7_6730);
/// The polynomial of `log1p(r)`, scaled as the evaluation uses it; `A[0]` is −0.5.
const A: [f64; 7] = [
    f64::from_bits(0xbfe0_0000_0000_0000),
    f64::from_bits(0xbfe5_5555_5555_5560),
    f64::from_bits(0x3fe0_0000_0000_0006),
    f64::from_bits(0x3fe9_9999_9959_554e),
    f64::from_bits(0xbfe5_5555_5529_a47a),
    f64::from_bits(0xbff2_495b_9b48_45e9),
    f64::from_bits(0x3ff0_002b_8b26_3fc3),
];

// The exp part (`__exp_data`).
/// 128 / ln 2.
const INV_LN2_N: f64 = f64::from_bits(0x4067_1547_652b_82fe);
const NEG_LN2_HI_N: f64 = f64::from_bits(0xbf76_2e42_fefa_0000);
const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0c_f79a_bc9e_3b3a);
/// 1.5 · 2^52: adding it rounds to an integer held in the low bits.
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);

/// `a · b + c` rounded once.
#[inline(always)]
fn fma(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// `log(x)` as `hi + lo`, `lo` about 15 bits beyond `hi`, for the bits `ix` of a positive
/// normal `x` (glibc's `log_inline`).
#[inline(always)]
fn log_inline(ix: u64) -> (f64, f64) {
    // x = 2^k · z with z in [OFF, 2·OFF); the table's entry i has c near z, 1/c and log(c).
    let tmp = ix.wrapping_sub(OFF);
    let i = ((tmp >> 45) % 128) as usize;
    let k = (tmp as i64) >> 52;
    let z = f64::from_bits(ix.wrapping_sub(tmp & (0xfff << 52)));
    let kd = k as f64;
    let [invc, logc, logctail] = LOG_TABLE[i].map(f64::from_bits);
    // log(x) = k·ln2 + log(c) + log1p(r), r = z/c − 1 exact.
    let r = fma(z, invc, -1.0);
    let t1 = fma(kd, LN2_HI, logc);
    let t2 = t1 + r;
    let lo1 = fma(kd, LN2_LO, logctail);
    let lo2 = t1 - t2 + r;
    let ar = A[0] * r;
    let ar2 = r * ar;
    let ar3 = r * ar2;
    let hi = t2 + ar2;
    let lo3 = fma(ar, r, -ar2);
    let lo4 = t2 - hi + ar2;
    let p12 = fma(r, A[2], A[1]);
    let p34 = fma(r, A[4], A[3]);
    let p56 = fma(r, A[6], A[5]);
    let p = fma(ar2, fma(p56, ar2, p34), p12);
    let lo = fma(ar3, p, lo1 + lo2 + lo3 + lo4);
    let y = hi + lo;
    (y, hi - y + lo)
}

/// `exp(x + xtail)` for `|x|` in `[2^−54, 512)` (glibc's `exp_inline`, positive sign).
#[inline(always)]
fn exp_inline(x: f64, xtail: f64) -> f64 {
    // x = k·ln2/128 + r, |r| ≤ ln2/256; exp(x) = 2^(k/128) · exp(r).
    let kd = fma(x, INV_LN2_N, SHIFT);
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
    let r = xtail + r;
    let idx = 2 * (ki % 128) as usize;
    let tail = f64::from_bits(EXP_TABLE[idx]);
    let scale = f64::from_bits(EXP_TABLE[idx + 1].wrapping_add(ki << 45));
    let r2 = r * r;
    let tmp = fma(fma(r, C5, C4), r2 * r2, fma(fma(r, C3, C2), r2, tail + r));
    fma(scale, tmp, scale)
}

/// Whether `|x|` is in `[2^−54, 512)`, where [`exp_inline`] needs no special case.
#[inline(always)]
fn exp_in_range(x: f64) -> bool {
    let abstop = (x.to_bits() >> 52) & 0x7ff;
    abstop.wrapping_sub(0x3c9) < 0x3f
}

/// A base whose logarithm is computed once, for [`PowBase::powf`] of several exponents.
#[derive(Debug, Clone, Copy)]
pub struct PowBase {
    x: f64,
    /// `log(x)` as `hi + lo`, when `x` is a positive normal number.
    log: Option<(f64, f64)>,
}

impl PowBase {
    /// The base `x`.
    #[inline(always)]
    pub fn new(x: f64) -> PowBase {
        let ix = x.to_bits();
        // Positive, normal and finite: the top 12 bits (sign and exponent) in 1..0x7ff.
        let normal = (ix >> 52).wrapping_sub(1) < 0x7fe;
        PowBase {
            x,
            log: normal.then(|| log_inline(ix)),
        }
    }

    /// `x^y`, the bits of glibc's `pow(x, y)` on x86-64 with FMA (module docs).
    #[inline(always)]
    pub fn powf(self, y: f64) -> f64 {
        let topy = (y.to_bits() >> 52) & 0x7ff;
        if let Some((hi, lo)) = self.log
            && topy.wrapping_sub(0x3be) < 0x80
        {
            let ehi = y * hi;
            let elo = fma(y, lo, fma(y, hi, -ehi));
            if exp_in_range(ehi) {
                return exp_inline(ehi, elo);
            }
        }
        self.x.powf(y)
    }
}

/// Whether this CPU has FMA instructions (the crate's `fused_fn!` bodies use them then).
#[inline(always)]
pub fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines a function whose body is compiled twice: for FMA, called when this CPU has it
/// ([`has_fma`]), and for the baseline. [`PowBase::powf`] inlined into the body then uses
/// FMA instructions, not calls of the software `fma` (the same values, several times
/// slower). A closure would not do: it is compiled apart from its caller's target features.
macro_rules! fused_fn {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "fma")]
                fn with_fma($($arg: $ty),*) -> $ret {
                    body($($arg),*)
                }
                if $crate::pow::has_fma() {
                    // SAFETY: this CPU has FMA, checked just above.
                    return unsafe { with_fma($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}
pub(crate) use fused_fn;

fused_fn! {
    /// `x^y` as [`PowBase::powf`] computes it, with FMA instructions where the CPU has them.
    /// Inside a `fused_fn!` body, `PowBase::new(x).powf(y)` is the same without the dispatch.
    pub fn powf(x: f64, y: f64) -> f64 {
        PowBase::new(x).powf(y)
    }
}

fused_fn! {
    /// `x^y` of each `(x, y)`, as [`PowBase::powf`] computes it, with FMA instructions where
    /// the CPU has them: what `ipabs-bench pow-check` compares with the platform's `pow`.
    pub fn powers(pairs: &[(f64, f64)]) -> Vec<f64> {
        pairs.iter().map(|&(x, y)| PowBase::new(x).powf(y)).collect()
    }
}

fused_fn! {
    /// [`discounted_sum`] one flow at a time.
    fn discounted_sum_scalar(x: f64, tf: &[(f64, f64)]) -> f64 {
        let b = PowBase::new(x);
        tf.iter().map(|&(t, a)| a * b.powf(-t)).sum()
    }
}

/// `Σ a_i · x^(−t_i)` over the `(t_i, a_i)` of `tf`, summed in order from −0.0: to the bit
/// `tf.iter().map(|&(t, a)| a * PowBase::new(x).powf(-t)).sum()`. On a CPU with AVX2 and FMA
/// the powers are computed four at a time (the same operations in each lane, so the same
/// bits); the products are added one by one, in order.
pub fn discounted_sum(x: f64, tf: &[(f64, f64)]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && has_fma() {
        // SAFETY: this CPU has AVX2 and FMA, checked just above.
        return unsafe { lanes::discounted_sum(x, tf) };
    }
    discounted_sum_scalar(x, tf)
}

/// [`discounted_sum`] with four powers per AVX2 vector.
#[cfg(target_arch = "x86_64")]
mod lanes {
    use super::*;
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn discounted_sum(x: f64, tf: &[(f64, f64)]) -> f64 {
        let b = PowBase::new(x);
        let Some((hi, lo)) = b.log else {
            return tf.iter().map(|&(t, a)| a * b.powf(-t)).sum();
        };
        let one = |v: f64| _mm256_set1_pd(v);
        let int = |v: i64| _mm256_set1_epi64x(v);
        let mut sum = -0.0_f64;
        let chunks = tf.chunks_exact(4);
        let rest = chunks.remainder();
        for c in chunks {
            let t = _mm256_set_pd(c[3].0, c[2].0, c[1].0, c[0].0);
            let a = _mm256_set_pd(c[3].1, c[2].1, c[1].1, c[0].1);
            // y = −t (a sign flip, exact).
            let y = _mm256_xor_pd(t, one(-0.0));
            let ehi = _mm256_mul_pd(y, one(hi));
            let elo = _mm256_fmadd_pd(y, one(lo), _mm256_fmsub_pd(y, one(hi), ehi));
            // The main path's conditions on every lane (PowBase::powf): the exponent of y in
            // [0x3be, 0x43d], that of ehi in [0x3c9, 0x407]; otherwise one at a time.
            let top = |v: __m256d| {
                _mm256_and_si256(_mm256_srli_epi64::<52>(_mm256_castpd_si256(v)), int(0x7ff))
            };
            let (ty, te) = (top(y), top(ehi));
            let ok = _mm256_and_si256(
                _mm256_and_si256(
                    _mm256_cmpgt_epi64(ty, int(0x3bd)),
                    _mm256_cmpgt_epi64(int(0x43e), ty),
                ),
                _mm256_and_si256(
                    _mm256_cmpgt_epi64(te, int(0x3c8)),
                    _mm256_cmpgt_epi64(int(0x408), te),
                ),
            );
            if _mm256_movemask_pd(_mm256_castsi256_pd(ok)) != 0b1111 {
                for &(t, a) in c {
                    sum += a * b.powf(-t);
                }
                continue;
            }
            // exp_inline, lane by lane.
            let kd = _mm256_fmadd_pd(ehi, one(INV_LN2_N), one(SHIFT));
            let ki = _mm256_castpd_si256(kd);
            let kd = _mm256_sub_pd(kd, one(SHIFT));
            let r = _mm256_fmadd_pd(
                kd,
                one(NEG_LN2_LO_N),
                _mm256_fmadd_pd(kd, one(NEG_LN2_HI_N), ehi),
            );
            let r = _mm256_add_pd(elo, r);
            let idx = _mm256_slli_epi64::<1>(_mm256_and_si256(ki, int(127)));
            let table = EXP_TABLE.as_ptr().cast::<i64>();
            // SAFETY: idx = 2·(ki mod 128) ≤ 254, so idx and idx + 1 are inside the 256
            // entries of EXP_TABLE.
            let (tail, sbits) = unsafe {
                (
                    _mm256_castsi256_pd(_mm256_i64gather_epi64::<8>(table, idx)),
                    _mm256_i64gather_epi64::<8>(table.add(1), idx),
                )
            };
            let scale = _mm256_castsi256_pd(_mm256_add_epi64(sbits, _mm256_slli_epi64::<45>(ki)));
            let r2 = _mm256_mul_pd(r, r);
            let p23 = _mm256_fmadd_pd(
                _mm256_fmadd_pd(r, one(C3), one(C2)),
                r2,
                _mm256_add_pd(tail, r),
            );
            let tmp = _mm256_fmadd_pd(
                _mm256_fmadd_pd(r, one(C5), one(C4)),
                _mm256_mul_pd(r2, r2),
                p23,
            );
            let pv = _mm256_mul_pd(a, _mm256_fmadd_pd(scale, tmp, scale));
            let mut out = [0.0_f64; 4];
            // SAFETY: `out` holds four f64s; storeu needs no alignment.
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), pv) };
            for v in out {
                sum += v;
            }
        }
        for &(t, a) in rest {
            sum += a * b.powf(-t);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crate's test stream (`money::rational::xorshift`), with uniform draws.
    struct Mix<F: FnMut() -> u64>(F);
    impl<F: FnMut() -> u64> Mix<F> {
        fn next(&mut self) -> u64 {
            (self.0)()
        }
        /// Uniform in [lo, hi).
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
        }
    }

    fn mix(seed: u64) -> Mix<impl FnMut() -> u64> {
        Mix(crate::money::rational::xorshift(
            0x9e37_79b9_7f4a_7c15 ^ seed,
        ))
    }

    /// Whether the platform's `pow` is glibc's FMA variant, the oracle of the comparisons:
    /// glibc on x86-64 picks it on a CPU with FMA and AVX2.
    fn platform_pow_is_glibc_fma() -> bool {
        cfg!(all(
            target_arch = "x86_64",
            target_os = "linux",
            target_env = "gnu"
        )) && {
            #[cfg(target_arch = "x86_64")]
            {
                std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("avx2")
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                false
            }
        }
    }

    /// Compares [`PowBase::powf`] with the platform's `pow` on `n` pairs from `draw`, bit for
    /// bit (NaNs as NaNs), through [`powers`] (FMA instructions) and without it.
    fn compare(n: usize, mut draw: impl FnMut() -> (f64, f64)) {
        if !platform_pow_is_glibc_fma() {
            eprintln!("the platform's pow is not glibc's FMA variant: comparison skipped");
            return;
        }
        let pairs: Vec<(f64, f64)> = (0..n).map(|_| draw()).collect();
        let fused = powers(&pairs);
        for (&(x, y), fused) in pairs.iter().zip(fused) {
            let want = x.powf(y);
            for got in [PowBase::new(x).powf(y), fused] {
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "pow({x:e}, {y:e}): port {got:e} ({:#x}), glibc {want:e} ({:#x})",
                    got.to_bits(),
                    want.to_bits()
                );
            }
        }
    }

    /// The port against a table of glibc's own results, on every platform: 2,100 pairs on the
    /// main path (discount factors, period default and prepayment fractions, bases near 1,
    /// wide ranges), written by CPython's `math.pow` on x86-64 glibc 2.36 with FMA
    /// (`tests/reference/pow_glibc.py`, independent of this crate). Where the platform's `pow`
    /// is not glibc's FMA variant the comparisons below skip; this one still runs (review 27a
    /// item 2).
    #[test]
    fn powers_match_the_glibc_reference_table() {
        let table = include_str!("../tests/reference/pow_glibc.txt");
        let hex = |s: &str| f64::from_bits(u64::from_str_radix(s, 16).expect("hex bits"));
        let mut pairs = Vec::new();
        let mut want = Vec::new();
        for line in table.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 3, "{line}");
            pairs.push((hex(f[0]), hex(f[1])));
            want.push(hex(f[2]));
        }
        assert_eq!(pairs.len(), 2_100);
        let fused = powers(&pairs);
        for ((&(x, y), want), fused) in pairs.iter().zip(&want).zip(fused) {
            for got in [PowBase::new(x).powf(y), fused] {
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "pow({x:e}, {y:e}): port {got:e}, glibc {want:e}"
                );
            }
        }
    }

    #[test]
    fn discount_factors_have_glibcs_bits() {
        // What the yield solver raises: 1 + y for y in the bracket [−0.99, 10], to minus a
        // time in years (ACT/365F) up to 40 years, and plus, for the risk measures.
        // Six million pairs: enough to see a multiply-add that glibc fuses computed unfused
        // in the exp polynomial (75 differences in 10^8 pairs, `ipabs-bench pow-check`).
        let mut g = mix(1);
        compare(6_000_000, || {
            let y = if g.next().is_multiple_of(2) {
                g.uniform(-0.99, 10.0)
            } else {
                g.uniform(-0.05, 0.3)
            };
            let days = (g.next() % 14_610 + 1) as f64;
            let t = days / 365.0;
            (1.0 + y, if g.next().is_multiple_of(8) { t } else { -t })
        });
    }

    #[test]
    fn arbitrary_finite_inputs_have_glibcs_bits() {
        // Random bit patterns: every exponent of x and y, both signs, subnormals, the
        // special cases (which go to the platform's pow) and the main path's edges.
        let mut g = mix(2);
        compare(300_000, || {
            let x = f64::from_bits(g.next());
            let y = f64::from_bits(g.next());
            (x, y)
        });
        // x near 1, where log(x) is small and the table's middle entries are used, and
        // exponents whose product lands near the edges of the exp range.
        let mut g = mix(3);
        compare(300_000, || {
            let x = 1.0 + g.uniform(-1e-3, 1e-3);
            let y = f64::from_bits((g.next() >> 12) | (((g.next() % 128) + 0x3be) << 52));
            (x, if g.next().is_multiple_of(2) { y } else { -y })
        });
        let mut g = mix(4);
        compare(300_000, || {
            let x = g.uniform(0.0, 4.0);
            let y = g.uniform(-1100.0, 1100.0);
            (x, y)
        });
    }

    #[test]
    fn discounted_sums_are_the_flow_by_flow_sums() {
        // The oracle is the plain fold of PowBase::powf (itself compared with glibc above):
        // the four-lane path must give the same bits, whatever the length (remainders),
        // the base (including ones off the main path) and the times (lanes off it too).
        let mut g = mix(5);
        for case in 0..20_000 {
            let x = match case % 10 {
                0 => f64::from_bits(g.next()),
                1 => 1.0,
                _ => 1.0 + g.uniform(-0.99, 10.0),
            };
            let n = (g.next() % 14) as usize;
            let tf: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    let t = match g.next() % 20 {
                        0 => 0.0,
                        1 => f64::from_bits(g.next()),
                        2 => 1e-30,
                        _ => (g.next() % 14_610 + 1) as f64 / 365.0,
                    };
                    (t, g.uniform(-1e9, 1e9))
                })
                .collect();
            let b = PowBase::new(x);
            let want: f64 = tf.iter().map(|&(t, a)| a * b.powf(-t)).sum();
            let got = discounted_sum(x, &tf);
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "x {x:e}, {tf:?}: {got:e} against {want:e}"
            );
        }
    }

    #[test]
    fn special_values_are_the_platforms() {
        let cases = [
            (0.0, 1.0),
            (-0.0, -1.0),
            (1.0, f64::NAN),
            (f64::NAN, 0.0),
            (f64::INFINITY, -2.0),
            (-8.0, 1.0 / 3.0),
            (-2.0, 3.0),
            (2.0, 1025.0),
            (2.0, -1080.0),
            (1.0 + 1e-17, 1e-20),
            (5e-324, 0.5),
            (1.0, 0.5),
        ];
        for (x, y) in cases {
            let (got, want) = (powf(x, y), x.powf(y));
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "pow({x:e}, {y:e}) = {got:e}, the platform's {want:e}"
            );
        }
    }

    #[test]
    fn the_log_table_is_centred_and_its_logs_are_logs() {
        // Entry i serves the z whose bits are OFF + i·2^45 up to the next entry's (z in
        // [0.707, 1.414)): 1/c is a multiple of 1/256 with |z/c − 1| < 1/128 at the middle
        // of the entry, and log(c) + tail = −ln(1/c) to a few ULPs (f64's own `ln`).
        for (i, e) in LOG_TABLE.iter().enumerate() {
            let [invc, logc, logctail] = e.map(f64::from_bits);
            assert_eq!((invc * 256.0).fract(), 0.0, "entry {i}: 1/c = {invc}");
            let z = f64::from_bits(OFF + ((i as u64) << 45) + (1 << 44));
            assert!(
                (z * invc - 1.0).abs() < 1.0 / 128.0,
                "entry {i}: z {z}, 1/c {invc}"
            );
            let want = -(invc.ln());
            assert!((logc + logctail - want).abs() <= 4.0 * f64::EPSILON * want.abs().max(1e-3));
        }
        // Entry j of the exp table: scale · (1 + tail) ≈ 2^(j/128), where the scale's bits
        // are stored less j·2^45 (exp_inline adds k·2^45, whose low 7 bits of k are j).
        for j in 0..128 {
            let tail = f64::from_bits(EXP_TABLE[2 * j]);
            let scale = f64::from_bits(EXP_TABLE[2 * j + 1] + ((j as u64) << 45));
            let want = (j as f64 / 128.0).exp2();
            assert!(
                (scale * (1.0 + tail) - want).abs() <= 2.0 * f64::EPSILON,
                "entry {j}"
            );
        }
    }
}
