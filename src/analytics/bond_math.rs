//! Bond math for tranche cash flows: price ↔ yield, IRR, WAL, duration, convexity and spreads.
//!
//! Chinese-market conventions (see `docs/analytics.md` for the full derivations):
//!
//! * time of a flow: `t = (date − settle)` in days `/ 365` (ACT/365F), as `f64`;
//! * annual compounding: discount factor `(1 + y)^(−t)`;
//! * only flows dated strictly **after** `settle` count; flows on or before it are ignored
//!   (a flow paid on the settlement date belongs to the seller, as in QuantLib with
//!   `includeSettlementDateFlows = false`);
//! * prices are dirty and in the same money units as the flows (a tranche of 100,000,000 yuan
//!   priced at 99.5 has price 99,500,000, not 99.5).
//!
//! Money in the project is [`Decimal`]; every statistic here is `f64`. Money enters through
//! [`flows_from_decimal`] (`Decimal::to_f64`) and a statistic only becomes money again through
//! [`to_decimal_rounded`]. Nothing in this module panics, whatever the input: bad input gives
//! an [`AnalyticsError`], `None`, or (for the plain evaluators) `NaN`.
//!
//! Yields and spreads are found with Brent's method on a fixed bracket (yield in
//! `[−0.99, 10]`), absolute tolerance `1e-12`, at most 200 iterations.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::calendar::daycount::DayCount;
use crate::pow::{self, PowBase, fused_fn};
pub use crate::scenario::{CurveError, YIELD_MAX, YIELD_MIN, ZeroCurve};

/// Absolute tolerance of the root finder on the yield (or spread).
pub const ROOT_TOLERANCE: f64 = 1e-12;
/// Maximum number of Brent iterations (function evaluations after the bracket is set).
pub const MAX_ITERATIONS: usize = 200;
/// Number of equal cells the bracket is cut into when the flows change sign and the price
/// function may have several roots (see [`yield_from_price`]).
pub const SCAN_CELLS: usize = 1000;

/// One cash flow: a payment date and an amount in money units, as `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flow {
    /// The payment date.
    pub date: NaiveDate,
    /// The amount, in money units.
    pub amount: f64,
}

/// Why a yield, spread or curve could not be computed. Each message says what is wrong and
/// what to do about it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalyticsError {
    /// Nothing to discount: every flow is dated on or before settlement, or is zero.
    #[error(
        "no non-zero cash flow is dated after the settlement date {settle}: flows on or before \
         settlement are ignored, so pass flows dated after it (or an earlier settlement date)"
    )]
    NoFutureFlows {
        /// The settlement date; only flows dated after it count.
        settle: NaiveDate,
    },

    /// An input number is NaN or infinite.
    #[error("{what} is NaN or infinite: pass finite numbers")]
    NonFinite {
        /// The input and its value, e.g. `the price (NaN)` or `the flat rate (inf)`.
        what: String,
    },

    /// A flat rate that cannot be compounded annually (≤ −100 %).
    #[error(
        "the flat rate {rate} is not above -1 (-100 %), so (1 + rate)^(-t) is undefined: pass \
         an annually compounded rate as a fraction, e.g. 0.025 for 2.5 %"
    )]
    InvalidRate {
        /// The flat rate given, annually compounded, as a fraction.
        rate: f64,
    },

    /// The price function has the same sign at both ends of the bracket: no solution in it.
    #[error(
        "no {what} in [{lo}, {hi}] reproduces the price {price}: the discounted flows minus the \
         price have the same sign at both ends. Check that the price is dirty and in the same \
         money units as the flows (e.g. 99,500,000 for 100,000,000 face at 99.5, not 99.5), \
         and that the flows can reach it at a yield between -99 % and 1000 %"
    )]
    NoSolution {
        /// What was solved for: `yield` or `spread`.
        what: &'static str,
        /// Lower end of the bracket.
        lo: f64,
        /// Upper end of the bracket.
        hi: f64,
        /// The price to reproduce, in money units.
        price: f64,
    },

    /// Flows of both signs, and more than one solution found in the bracket.
    #[error(
        "the flows change sign more than once and {count} different values of the {what} in \
         [{lo}, {hi}] reproduce the price {price} (one near {first}, another near {second}): \
         the {what} is ambiguous. Net the flows so their sign changes once, or use NPV at a \
         chosen rate instead"
    )]
    MultipleSolutions {
        /// What was solved for: `yield` or `spread`.
        what: &'static str,
        /// How many solutions the scan found.
        count: usize,
        /// Lower end of the bracket.
        lo: f64,
        /// Upper end of the bracket.
        hi: f64,
        /// The price to reproduce, in money units.
        price: f64,
        /// Where the first solution lies (the start of its scan cell).
        first: f64,
        /// Where the second solution lies (the start of its scan cell).
        second: f64,
    },

    /// The discounted value could not be evaluated in floating point (overflow to ∞ − ∞).
    #[error(
        "the discounted value of the flows is not a finite number at {what} = {at}: the \
         amounts are too large or the dates too far after settlement for f64 arithmetic; \
         rescale the amounts (e.g. to 10,000 yuan units)"
    )]
    NotFiniteAt {
        /// What was solved for: `yield` or `spread`.
        what: &'static str,
        /// The yield or spread (a fraction) at which the discounted value was NaN.
        at: f64,
    },

    /// Brent's method ran out of iterations (should not happen on a valid bracket).
    #[error(
        "the root finder did not converge to {tolerance:e} in {iterations} iterations while \
         solving for the {what}; the flows are probably badly scaled: rescale the amounts or \
         report the case"
    )]
    NoConvergence {
        /// What was solved for: `yield` or `spread`.
        what: &'static str,
        /// The iterations run (`MAX_ITERATIONS`).
        iterations: usize,
        /// The tolerance not reached (`ROOT_TOLERANCE`).
        tolerance: f64,
    },
}

/// Converts money rows to `f64` flows with `Decimal::to_f64`.
///
/// `Decimal::to_f64` (rust_decimal 1.43) adds the integer and fractional parts in `f64`, then
/// rounds the sum back to the decimal scale (`(v · 10^scale).round() / 10^scale`). For amounts
/// in whole fen below 2^51 fen (≈ 2.25 × 10^13 yuan) this gives the nearest `f64` (relative
/// error ≤ 2^−53 ≈ 1.1 × 10^−16): the error in `v · 100` stays below 0.5, so the rounding
/// recovers the exact fen count, and one division by 100 is correctly rounded. Beyond that, and
/// for other scales, it is within one or two units in the last place (relative error
/// < 5 × 10^−16, measured): exact to 15–16 significant digits, which is ample for statistics
/// (yields, durations) but means the `f64` must never be used as money again — see
/// [`to_decimal_rounded`]. `to_f64` never fails for a `Decimal`; should it ever return `None`
/// the amount becomes `NaN`, which every solver here rejects with an error.
pub fn flows_from_decimal(rows: &[(NaiveDate, Decimal)]) -> Vec<Flow> {
    flows_from_decimal_iter(rows.iter().copied()).collect()
}

/// [`flows_from_decimal`] without collecting: converts the rows as they are iterated.
pub fn flows_from_decimal_iter(
    rows: impl Iterator<Item = (NaiveDate, Decimal)> + Clone,
) -> impl Iterator<Item = Flow> + Clone {
    rows.map(|(date, amount)| Flow {
        date,
        amount: decimal_to_f64(amount),
    })
}

/// `d.to_f64()`, bit for bit, without its 128-bit division: for a mantissa below 2^64 and a
/// scale of 1 to 19 it takes the same steps (integral part, fractional part over 10^scale,
/// their sum rounded back to the scale) on 64-bit integers, with 10^scale from a table (every
/// power of ten up to 10^22 is exact in `f64`, as `powi` computes it). Anything else goes
/// to `to_f64` itself. A sweep converts every tranche's cash flows of every run.
#[inline]
pub fn decimal_to_f64(d: Decimal) -> f64 {
    let scale = d.scale();
    let m = d.mantissa().unsigned_abs();
    if scale == 0 || scale > 19 || m > u128::from(u64::MAX) {
        return d.to_f64().unwrap_or(f64::NAN);
    }
    scaled_to_f64(m as u64, scale, d.is_sign_negative())
}

/// [`decimal_to_f64`] of the Decimal with mantissa `m` (its magnitude), scale `scale` (1 to
/// 19) and sign `neg`, without building it.
#[inline]
pub(crate) fn scaled_to_f64(m: u64, scale: u32, neg: bool) -> f64 {
    use crate::money::POW10_U64;
    // Whole fen, the common case, divides by a constant.
    let (precision, integral, frac) = if scale == 2 {
        (100, m / 100, m % 100)
    } else {
        let p = POW10_U64[scale as usize];
        (p, m / p, m % p)
    };
    let precision = precision as f64;
    let frac = frac as f64 / precision;
    let integral = integral as f64;
    if frac == 0.0 {
        return if neg { -integral } else { integral };
    }
    let rounded = ((integral + frac) * precision).round() / precision;
    if neg { -rounded } else { rounded }
}

/// ACT/365F year fraction from `from` to `to` as an `f64` (negative when `to` is before
/// `from`): the calendar's exact [`DayCount::fraction`], days / 365, as one division.
pub fn year_fraction_365(from: NaiveDate, to: NaiveDate) -> f64 {
    DayCount::Act365F.fraction(from, to).to_f64()
}

/// The discount factors of the yield bracket's two ends, `(1 + YIELD_MIN)^(−t)` and
/// `(1 + YIELD_MAX)^(−t)` (`t` ACT/365F years from one settlement date), for a set of dates:
/// a deal's payment dates, on which every run's tranche flows fall.
///
/// Every yield solve starts by discounting its flows at both ends of the bracket, and the
/// runs of a sweep share the dates, so a sweep computes these powers once
/// ([`yield_from_price_with`]). Each factor is the power the solve itself would compute, and
/// the products are summed in the same order, so a yield is the same to the bit with or
/// without them.
#[derive(Debug, Clone, PartialEq)]
pub struct BracketFactors {
    settle: NaiveDate,
    /// (date, factor at [`YIELD_MIN`], factor at [`YIELD_MAX`], `year_fraction_365` from
    /// `settle`) of each date after `settle`, sorted by date, without repeats.
    dates: Vec<(NaiveDate, f64, f64, f64)>,
}

fused_fn! {
    /// Each `(date, t)` with its discount factors at both ends of the yield bracket.
    fn bracket_factors(dates: Vec<(NaiveDate, f64)>) -> Vec<(NaiveDate, f64, f64, f64)> {
        let (lo, hi) = (PowBase::new(1.0 + YIELD_MIN), PowBase::new(1.0 + YIELD_MAX));
        dates
            .into_iter()
            .map(|(d, t)| (d, lo.powf(-t), hi.powf(-t), t))
            .collect()
    }
}

impl BracketFactors {
    /// The factors of those of `dates` after `settle`.
    pub fn new(settle: NaiveDate, dates: impl IntoIterator<Item = NaiveDate>) -> BracketFactors {
        let mut dates: Vec<NaiveDate> = dates.into_iter().filter(|&d| d > settle).collect();
        dates.sort_unstable();
        dates.dedup();
        let dates = dates
            .into_iter()
            .map(|d| (d, year_fraction_365(settle, d)))
            .collect();
        BracketFactors {
            settle,
            dates: bracket_factors(dates),
        }
    }

    /// The row of `date`, if it is one of the dates.
    fn row(&self, date: NaiveDate) -> Option<&(NaiveDate, f64, f64, f64)> {
        let i = self.dates.binary_search_by_key(&date, |r| r.0).ok()?;
        Some(&self.dates[i])
    }

    /// [`future`] of `flows` and their `pv_flat` at both bracket ends (`None` unless every
    /// future flow's date has its factors and `settle` is this table's), in one pass: each
    /// time is the table's `year_fraction_365` of its date (or computed, off the table), and
    /// the sums are `pv_flat`'s sums, in the same order from the same start, so both
    /// are the same to the bit.
    fn future_and_ends(&self, settle: NaiveDate, flows: &[Flow]) -> FutureAndEnds {
        let mut tf = Vec::with_capacity(flows.len());
        // `f64`'s `Sum` folds from −0.0.
        let (mut lo, mut hi, mut all) = (-0.0_f64, -0.0_f64, settle == self.settle);
        for f in flows.iter().filter(|f| f.date > settle) {
            match all.then(|| self.row(f.date)).flatten() {
                Some(&(_, l, h, t)) => {
                    tf.push((t, f.amount));
                    lo += f.amount * l;
                    hi += f.amount * h;
                }
                None => {
                    all = false;
                    tf.push((year_fraction_365(settle, f.date), f.amount));
                }
            }
        }
        (tf, all.then_some((lo, hi)))
    }
}

/// A flow as (time in years from settlement, amount).
type TimedFlow = (f64, f64);

/// The flows after settlement as [`TimedFlow`]s, and their present values at both ends of the
/// yield bracket when known ([`BracketFactors::future_and_ends`]).
type FutureAndEnds = (Vec<TimedFlow>, Option<(f64, f64)>);

/// The flows dated after `settle`, as (time in years, amount).
fn future(settle: NaiveDate, flows: &[Flow]) -> Vec<(f64, f64)> {
    flows
        .iter()
        .filter(|f| f.date > settle)
        .map(|f| (year_fraction_365(settle, f.date), f.amount))
        .collect()
}

/// Σ amount · (1 + y)^(−t) over (t, amount) pairs.
fn pv_flat(tf: &[(f64, f64)], y: f64) -> f64 {
    pow::discounted_sum(1.0 + y, tf)
}

fused_fn! {
    /// Σ amount · (1 + r_i + z)^(−t) over (t, amount, r_i) triples.
    fn pv_spread(tfr: &[(f64, f64, f64)], z: f64) -> f64 {
        tfr.iter()
            .map(|&(t, a, r)| a * PowBase::new(1.0 + r + z).powf(-t))
            .sum()
    }
}

/// Dirty price at annually compounded yield `y`: Σ CF_i (1 + y)^(−t_i) over flows dated after
/// `settle` (flows on or before `settle` are ignored). Returns `0.0` when no flow is after
/// `settle`, and `NaN` when `y` is NaN or `y ≤ −1` (with future flows), or an amount is NaN.
pub fn price_from_yield(settle: NaiveDate, flows: &[Flow], y: f64) -> f64 {
    let tf = future(settle, flows);
    if tf.is_empty() {
        return 0.0;
    }
    if y.is_nan() || y <= -1.0 {
        return f64::NAN;
    }
    pv_flat(&tf, y)
}

/// Checks that the price and future flows are usable and returns the future flows.
fn checked_future(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
) -> Result<Vec<(f64, f64)>, AnalyticsError> {
    future_with_ends(settle, flows, price, None).map(|(tf, _)| tf)
}

/// [`checked_future`], and the future flows' present values at both bracket ends when `ends`
/// has them ([`BracketFactors::future_and_ends`]).
fn future_with_ends(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
    ends: Option<&BracketFactors>,
) -> Result<FutureAndEnds, AnalyticsError> {
    check_inputs(flows, price)?;
    let (tf, at_ends) = match ends {
        Some(e) => e.future_and_ends(settle, flows),
        None => (future(settle, flows), None),
    };
    if tf.iter().all(|&(_, a)| a == 0.0) {
        return Err(AnalyticsError::NoFutureFlows { settle });
    }
    Ok((tf, at_ends))
}

/// Checks that the price and every flow's amount are finite.
fn check_inputs(flows: &[Flow], price: f64) -> Result<(), AnalyticsError> {
    if !price.is_finite() {
        return Err(AnalyticsError::NonFinite {
            what: format!("the price ({price})"),
        });
    }
    if let Some(bad) = flows.iter().find(|f| !f.amount.is_finite()) {
        return Err(AnalyticsError::NonFinite {
            what: format!("the amount of the flow on {} ({})", bad.date, bad.amount),
        });
    }
    Ok(())
}

/// True when every non-zero amount has the same sign, so the discounted value is strictly
/// monotone in the rate and has at most one root.
fn one_signed(amounts: impl Iterator<Item = f64>) -> bool {
    let (mut pos, mut neg) = (false, false);
    for a in amounts {
        pos |= a > 0.0;
        neg |= a < 0.0;
    }
    !(pos && neg)
}

/// Finds x in [lo, hi] with f(x) = 0. `monotone` says f has at most one root there; otherwise
/// the bracket is scanned in [`SCAN_CELLS`] cells and exactly one sign change is required.
fn solve(
    f: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    monotone: bool,
    what: &'static str,
    price: f64,
) -> Result<f64, AnalyticsError> {
    solve_from(f, lo, hi, None, monotone, what, price)
}

/// [`solve`], given `f(lo)` and `f(hi)` when they are already known (`at_ends`).
fn solve_from(
    f: impl Fn(f64) -> f64,
    lo: f64,
    hi: f64,
    at_ends: Option<(f64, f64)>,
    monotone: bool,
    what: &'static str,
    price: f64,
) -> Result<f64, AnalyticsError> {
    let eval = |x: f64| {
        let v = f(x);
        if v.is_nan() {
            Err(AnalyticsError::NotFiniteAt { what, at: x })
        } else {
            Ok(v)
        }
    };
    let no_solution = AnalyticsError::NoSolution {
        what,
        lo,
        hi,
        price,
    };
    if monotone {
        let (flo, fhi) = match at_ends {
            Some((flo, fhi)) => {
                let known = |v: f64, at: f64| {
                    if v.is_nan() {
                        Err(AnalyticsError::NotFiniteAt { what, at })
                    } else {
                        Ok(v)
                    }
                };
                (known(flo, lo)?, known(fhi, hi)?)
            }
            None => (eval(lo)?, eval(hi)?),
        };
        if flo == 0.0 {
            return Ok(lo);
        }
        if fhi == 0.0 {
            return Ok(hi);
        }
        if flo.signum() == fhi.signum() {
            return Err(no_solution);
        }
        return brent(&f, lo, hi, flo, fhi, what);
    }
    // Scan: each root is either a grid point where f is exactly 0 or a cell whose ends have
    // strictly opposite signs (a zero at a grid point makes both neighbouring products 0, so
    // it is counted once).
    let step = (hi - lo) / SCAN_CELLS as f64;
    let point = |k: usize| {
        if k == SCAN_CELLS {
            hi
        } else {
            lo + step * k as f64
        }
    };
    // (a, b, fa, fb); a == b marks an exact zero at a grid point.
    let mut roots: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut x_prev = lo;
    let mut f_prev = eval(lo)?;
    if f_prev == 0.0 {
        roots.push((lo, lo, 0.0, 0.0));
    }
    for k in 1..=SCAN_CELLS {
        let x = point(k);
        let fx = eval(x)?;
        if fx == 0.0 {
            roots.push((x, x, 0.0, 0.0));
        } else if f_prev * fx < 0.0 {
            roots.push((x_prev, x, f_prev, fx));
        }
        x_prev = x;
        f_prev = fx;
    }
    match roots.as_slice() {
        [] => Err(no_solution),
        [(a, b, fa, fb)] => {
            if a == b {
                Ok(*a)
            } else {
                brent(&f, *a, *b, *fa, *fb, what)
            }
        }
        [first, second, ..] => Err(AnalyticsError::MultipleSolutions {
            what,
            count: roots.len(),
            lo,
            hi,
            price,
            first: first.0,
            second: second.0,
        }),
    }
}

/// Brent's method (Brent 1973, "Algorithms for Minimization without Derivatives", ch. 4):
/// inverse quadratic interpolation / secant steps, falling back to bisection whenever the
/// interpolated step is not safely inside the bracket or a function value is infinite.
/// Requires fa and fb of strictly opposite signs. Stops when the bracket [b, c] containing the
/// root satisfies |c − b|/2 ≤ 2·ε·|b| + tol/2, i.e. |c − b| ≤ tol + 4ε|b| with tol =
/// [`ROOT_TOLERANCE`], or when f(b) is exactly 0.
fn brent(
    f: &impl Fn(f64) -> f64,
    mut a: f64,
    mut b: f64,
    mut fa: f64,
    mut fb: f64,
    what: &'static str,
) -> Result<f64, AnalyticsError> {
    let mut c = b;
    let mut fc = fb;
    let mut d = b - a;
    let mut e = d;
    for _ in 0..MAX_ITERATIONS {
        if (fb > 0.0 && fc > 0.0) || (fb < 0.0 && fc < 0.0) {
            // Keep the root between b and c.
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            // b is the best estimate so far.
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * ROOT_TOLERANCE;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return Ok(b);
        }
        let finite = fa.is_finite() && fb.is_finite() && fc.is_finite();
        if finite && e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                // Secant step.
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                // Inverse quadratic interpolation.
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            let min1 = 3.0 * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if p.is_finite() && q.is_finite() && q != 0.0 && 2.0 * p < min1.min(min2) {
                // Accept the interpolation.
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            // Bisection.
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
        if fb.is_nan() {
            return Err(AnalyticsError::NotFiniteAt { what, at: b });
        }
    }
    Err(AnalyticsError::NoConvergence {
        what,
        iterations: MAX_ITERATIONS,
        tolerance: ROOT_TOLERANCE,
    })
}

/// The annually compounded yield `y` in `[−0.99, 10]` with `price_from_yield(settle, flows, y)
/// = price` (dirty price, same money units as the flows).
///
/// The IRR of an investment is the same call with `price` = the outlay paid at `settle` and
/// `flows` = what it returns afterwards (a flow dated on `settle` itself would be ignored).
///
/// Root finder: when every future flow has the same sign the price is strictly monotone in
/// `y`, and Brent's method runs on the whole bracket `[−0.99, 10]` after checking the sign
/// change at its ends. When flows of both signs occur, the bracket is first scanned in
/// [`SCAN_CELLS`] equal cells: no sign change is [`AnalyticsError::NoSolution`], more than one
/// is [`AnalyticsError::MultipleSolutions`] (two roots inside one cell of width 0.011 are not
/// seen). Tolerance [`ROOT_TOLERANCE`] on `y`, at most [`MAX_ITERATIONS`] iterations.
pub fn yield_from_price(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
) -> Result<f64, AnalyticsError> {
    yield_from_price_with(settle, flows, price, None)
}

/// [`yield_from_price`], reading the bracket ends' discount factors from `ends` when it has
/// them for every flow (the same result to the bit: [`BracketFactors`]).
pub fn yield_from_price_with(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
    ends: Option<&BracketFactors>,
) -> Result<f64, AnalyticsError> {
    let (tf, at_ends) = future_with_ends(settle, flows, price, ends)?;
    solve_yield(&tf, price, at_ends)
}

/// The yield of [`yield_from_price_with`] on the future flows `tf`, given their present
/// values at the bracket's ends when known.
fn solve_yield(
    tf: &[(f64, f64)],
    price: f64,
    pv_at_ends: Option<(f64, f64)>,
) -> Result<f64, AnalyticsError> {
    let monotone = one_signed(tf.iter().map(|&(_, a)| a));
    solve_from(
        |y| pv_flat(tf, y) - price,
        YIELD_MIN,
        YIELD_MAX,
        pv_at_ends.map(|(lo, hi)| (lo - price, hi - price)),
        monotone,
        "yield",
        price,
    )
}

/// [`yield_from_price_with`], and [`risk_measures`] at the yield it finds (`None` without
/// one): the same results to the bit, with the flows' times computed once for both.
pub fn yield_and_risk(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
    ends: Option<&BracketFactors>,
) -> (Result<f64, AnalyticsError>, Option<RiskMeasures>) {
    let (tf, at_ends) = match future_with_ends(settle, flows, price, ends) {
        Ok(f) => f,
        Err(e) => return (Err(e), None),
    };
    let y = solve_yield(&tf, price, at_ends);
    // `tf` is not empty (a non-zero flow is in it), as `risk_measures` requires.
    let risk = y.as_ref().ok().and_then(|&y| risk_of(&tf, y));
    (y, risk)
}

/// Weighted average life in years: Σ principal_i · t_i / Σ principal_i over principal flows
/// dated after `settle` (ACT/365F). `None` when there is no principal after `settle` (the sum
/// is not strictly positive), or an amount is not finite.
pub fn wal_years(settle: NaiveDate, principal: &[Flow]) -> Option<f64> {
    wal_years_of(settle, principal.iter().copied())
}

/// [`wal_years`] of flows given as an iterator (nothing collected).
pub fn wal_years_of(settle: NaiveDate, principal: impl Iterator<Item = Flow>) -> Option<f64> {
    // Both sums in one pass, each in flow order from −0.0 as `Iterator::sum` does.
    let (total, weighted) = principal
        .filter(|f| f.date > settle)
        .map(|f| (year_fraction_365(settle, f.date), f.amount))
        .fold((-0.0, -0.0), |(total, weighted), (t, a)| {
            (total + a, weighted + a * t)
        });
    let wal = weighted / total;
    (total > 0.0 && wal.is_finite()).then_some(wal)
}

/// Price and yield sensitivities at annually compounded yield `y` (flows after `settle`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskMeasures {
    /// P = Σ CF_i (1+y)^(−t_i), money units.
    pub price: f64,
    /// D = Σ t_i CF_i (1+y)^(−t_i) / P, years.
    pub macaulay_duration: f64,
    /// D / (1+y) = −(dP/dy)/P, years.
    pub modified_duration: f64,
    /// Σ t_i (t_i+1) CF_i (1+y)^(−t_i−2) / P = (d²P/dy²)/P, years².
    pub convexity: f64,
}

/// Macaulay and modified duration and convexity at yield `y` (definitions on
/// [`RiskMeasures`]; identical to QuantLib's `CashFlows::duration` / `CashFlows::convexity`
/// with `Compounded`, `Annual`, `Actual365Fixed`). `None` when `y` is not finite or `y ≤ −1`,
/// when no flow is dated after `settle`, when the price is not strictly positive, or when a
/// result is not finite (e.g. a NaN amount).
pub fn risk_measures(settle: NaiveDate, flows: &[Flow], y: f64) -> Option<RiskMeasures> {
    if !y.is_finite() || y <= -1.0 {
        return None;
    }
    let tf = future(settle, flows);
    if tf.is_empty() {
        return None;
    }
    risk_of(&tf, y)
}

/// [`risk_measures`] of the future flows `tf` (not empty) at a finite `y > −1`.
fn risk_of(tf: &[(f64, f64)], y: f64) -> Option<RiskMeasures> {
    if !y.is_finite() || y <= -1.0 {
        return None;
    }
    let base = 1.0 + y;
    let (p, s1, s2) = weighted_pvs(tf, base);
    if !p.is_finite() || p <= 0.0 {
        return None;
    }
    let macaulay_duration = s1 / p;
    let modified_duration = macaulay_duration / base;
    let convexity = s2 / (base * base * p);
    let all_finite =
        macaulay_duration.is_finite() && modified_duration.is_finite() && convexity.is_finite();
    all_finite.then_some(RiskMeasures {
        price: p,
        macaulay_duration,
        modified_duration,
        convexity,
    })
}

fused_fn! {
    /// `(Σ pv_i, Σ t_i · pv_i, Σ t_i (t_i + 1) · pv_i)` with `pv_i = a_i · base^(−t_i)`.
    fn weighted_pvs(tf: &[(f64, f64)], base: f64) -> (f64, f64, f64) {
        let b = PowBase::new(base);
        let (mut p, mut s1, mut s2) = (0.0, 0.0, 0.0);
        for &(t, a) in tf {
            let pv = a * b.powf(-t);
            p += pv;
            s1 += t * pv;
            s2 += t * (t + 1.0) * pv;
        }
        (p, s1, s2)
    }
}

/// Solves Σ CF_i (1 + r_i + z)^(−t_i) = price for z, with r_i the base rate at each future
/// flow. The bracket is [−0.99 − r_min, 10 − r_min] (r_min the smallest r_i), so every
/// discount base 1 + r_i + z stays ≥ 0.01; for a flat base rate it is the yield bracket
/// shifted by the rate.
fn solve_spread(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
    rate_at: impl Fn(f64) -> f64,
) -> Result<f64, AnalyticsError> {
    let tf = checked_future(settle, flows, price)?;
    let tfr: Vec<(f64, f64, f64)> = tf.iter().map(|&(t, a)| (t, a, rate_at(t))).collect();
    let r_min = tfr.iter().map(|&(_, _, r)| r).fold(f64::INFINITY, f64::min);
    let monotone = one_signed(tf.iter().map(|&(_, a)| a));
    solve(
        |z| pv_spread(&tfr, z) - price,
        YIELD_MIN - r_min,
        YIELD_MAX - r_min,
        monotone,
        "spread",
        price,
    )
}

/// The spread z over a flat annually compounded rate: Σ CF_i (1 + flat + z)^(−t_i) = price.
/// Mathematically `yield_from_price(..) − flat`; solved directly on z ∈ [−0.99 − flat,
/// 10 − flat] with the same root finder as [`yield_from_price`].
pub fn spread_over_flat(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
    flat: f64,
) -> Result<f64, AnalyticsError> {
    if !flat.is_finite() {
        return Err(AnalyticsError::NonFinite {
            what: format!("the flat rate ({flat})"),
        });
    }
    if flat <= -1.0 {
        return Err(AnalyticsError::InvalidRate { rate: flat });
    }
    solve_spread(settle, flows, price, |_| flat)
}

/// The spread z over a zero curve (zero-volatility spread): Σ CF_i (1 + r(t_i) + z)^(−t_i) =
/// price, r(t) = [`ZeroCurve::rate`]. Bracket z ∈ [−0.99 − r_min, 10 − r_min] with r_min the
/// lowest curve rate at the flow times; same root finder as [`yield_from_price`].
pub fn spread_over_curve(
    settle: NaiveDate,
    flows: &[Flow],
    price: f64,
    curve: &ZeroCurve,
) -> Result<f64, AnalyticsError> {
    solve_spread(settle, flows, price, |t| curve.rate(t))
}

/// The only way from a statistic back to money: rounds `x` to `dp` decimal places, half away
/// from zero, and returns it as a [`Decimal`].
///
/// The rounding is applied to the shortest decimal string that converts back to exactly the
/// same `f64` (what `println!("{x}")` shows), not to the binary value itself: so
/// `to_decimal_rounded(2.675, 2)` is `2.68` although the `f64` nearest 2.675 is
/// 2.67499999999999982236431605997495353221893310546875. `None` when `x` is NaN or infinite,
/// when `dp > 28` (Decimal's maximum scale), or when the rounded value does not fit a
/// `Decimal` (|x| ≳ 7.9 × 10^28 / 10^dp).
pub fn to_decimal_rounded(x: f64, dp: u32) -> Option<Decimal> {
    if !x.is_finite() || dp > 28 {
        return None;
    }
    // Shortest round-trip digits in scientific form: "d.ddde±N" (e.g. "2.675e0", "1e-7").
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i64 = exp.parse().ok()?;
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let n: u128 = digits.parse().ok()?;
    // |x| = n · 10^(exp − (len − 1)); we want m = round(|x| · 10^dp) = round(n · 10^k).
    let k = exp - (digits.len() as i64 - 1) + i64::from(dp);
    let m: u128 = if k >= 0 {
        let scale = 10u128.checked_pow(u32::try_from(k).ok()?)?;
        n.checked_mul(scale)?
    } else if k < -38 {
        0 // n < 10^17 is far below half of 10^38: rounds to zero.
    } else {
        let div = 10u128.pow(u32::try_from(-k).ok()?);
        let (q, r) = (n / div, n % div);
        // Half away from zero on the magnitude: r ≥ div/2 rounds up.
        if 2 * r >= div { q + 1 } else { q }
    };
    let signed = i128::try_from(m).ok()?;
    let signed = if x < 0.0 { -signed } else { signed };
    Decimal::try_from_i128_with_scale(signed, dp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    /// A yield solved with the bracket ends' factors read from a [`BracketFactors`] table is
    /// the solve without it, bit for bit: on random flows over a quarterly schedule (amounts
    /// from a fen to a billion yuan, prices from 50 to 150 per 100 of face), with flows on or
    /// before the settlement date, with a date the table lacks (then the table is not used),
    /// and with a table of another settlement date.
    #[test]
    fn bracket_factors_give_the_same_yield_to_the_bit() {
        let mut next = crate::money::rational::xorshift(0x0b2a_c4e7);
        let settle = d(2025, 1, 1);
        let dates: Vec<NaiveDate> = (0..40)
            .map(|k| crate::calendar::schedule::add_months(d(2024, 10, 10), 3 * k, false))
            .map(|x| x.expect("valid date"))
            .collect();
        let table = BracketFactors::new(settle, dates.iter().copied());
        let other = BracketFactors::new(d(2025, 2, 1), dates.iter().copied());
        // The table holds the dates after `settle` only, once each.
        assert_eq!(table.dates.len(), 39);
        let (mut used, mut solved) = (0, 0);
        for case in 0..3_000u64 {
            let n = 1 + (next() % 30) as usize;
            let start = (next() % 8) as usize;
            let mut flows: Vec<Flow> = dates[start..(start + n).min(dates.len())]
                .iter()
                .map(|&date| Flow {
                    date,
                    amount: (1 + next() % 100_000_000_000) as f64 / 100.0,
                })
                .collect();
            if case % 10 == 0 {
                // A date the table does not hold.
                flows.push(Flow {
                    date: d(2031, 5, 17),
                    amount: 1_000.0,
                });
            }
            let face: f64 = flows.iter().map(|f| f.amount).sum::<f64>() * 0.8;
            let price = face * (50 + next() % 101) as f64 / 100.0;
            if case % 7 == 0 {
                // A zero flow.
                flows[0].amount = 0.0;
            }
            let want = yield_from_price(settle, &flows, price);
            let want_risk = want
                .as_ref()
                .ok()
                .and_then(|&y| risk_measures(settle, &flows, y));
            for t in [Some(&table), Some(&other), None] {
                let got = yield_from_price_with(settle, &flows, price, t);
                match (&want, &got) {
                    (Ok(w), Ok(g)) => {
                        assert_eq!(g.to_bits(), w.to_bits(), "case {case}: {g} against {w}");
                        solved += 1;
                    }
                    _ => assert_eq!(format!("{got:?}"), format!("{want:?}"), "case {case}"),
                }
                // In one pass with the risk measures: the same yield and the same measures
                // (`{:?}` of an `f64` tells every two values apart).
                let (y, risk) = yield_and_risk(settle, &flows, price, t);
                assert_eq!(format!("{y:?}"), format!("{want:?}"), "case {case}");
                assert_eq!(format!("{risk:?}"), format!("{want_risk:?}"), "case {case}");
            }
            used += usize::from(table.future_and_ends(settle, &flows).1.is_some());
            assert!(other.future_and_ends(settle, &flows).1.is_none());
        }
        // The table was read in nine cases out of ten, and most solves succeeded.
        assert_eq!(used, 2_700);
        assert!(solved > 6_000, "{solved}");
    }

    /// `decimal_to_f64` is `Decimal::to_f64`, bit for bit: on whole fen, on every scale, on
    /// mantissas around 2^64 (where it hands over), on negative zero and on values whose
    /// fractional part rounds the sum.
    #[test]
    fn decimal_to_f64_is_to_f64_bit_for_bit() {
        let mut next = crate::money::rational::xorshift(0x005e_edf6);
        let mut cases: Vec<Decimal> = vec![
            Decimal::ZERO,
            -Decimal::ZERO,
            Decimal::new(-0, 2),
            Decimal::new(1, 2),
            Decimal::new(-1, 2),
            Decimal::new(5, 1),
            Decimal::new(12_345_678_901, 2),
            Decimal::from_i128_with_scale(i128::from(u64::MAX), 2),
            Decimal::from_i128_with_scale(i128::from(u64::MAX) + 1, 2),
            Decimal::from_i128_with_scale(-i128::from(u64::MAX), 19),
            Decimal::from_i128_with_scale(123_456_789, 20),
            Decimal::MAX,
            Decimal::MIN,
        ];
        for i in 0..300_000u64 {
            // A mantissa of 1 to 96 bits, either sign.
            let wide = (u128::from(next()) << 64) | u128::from(next());
            let bits = 1 + next() % 96;
            let m = (wide & ((1u128 << bits) - 1)) as i128;
            let m = if next().is_multiple_of(2) { -m } else { m };
            // Whole fen for a third of the cases, any scale otherwise.
            let scale = if i % 3 == 0 { 2 } else { (next() % 29) as u32 };
            cases.push(Decimal::from_i128_with_scale(m, scale));
        }
        let (mut fast, mut fen) = (0, 0);
        for d in &cases {
            let want = d.to_f64().expect("to_f64 never fails");
            let got = decimal_to_f64(*d);
            assert_eq!(got.to_bits(), want.to_bits(), "{d}: {got} against {want}");
            if d.scale() >= 1
                && d.scale() <= 19
                && d.mantissa().unsigned_abs() <= u128::from(u64::MAX)
            {
                fast += 1;
                fen += usize::from(d.scale() == 2);
            }
        }
        // Most cases went the 64-bit way, whole fen among them.
        assert!(fast > 100_000 && fen > 50_000, "fast {fast}, fen {fen}");
    }

    #[test]
    fn brent_finds_a_simple_root() {
        let r = brent(&|x: f64| x * x - 2.0, 0.0, 2.0, -2.0, 2.0, "test").expect("root");
        assert!((r - 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn scan_reports_two_roots() {
        // (x − 0.05)(x − 0.20): two roots in the bracket.
        let err = solve(
            |x| (x - 0.05) * (x - 0.20),
            YIELD_MIN,
            YIELD_MAX,
            false,
            "yield",
            0.0,
        )
        .expect_err("ambiguous");
        assert!(matches!(
            err,
            AnalyticsError::MultipleSolutions { count: 2, .. }
        ));
    }

    #[test]
    fn infinite_values_at_the_bracket_end_still_converge() {
        // A flow 200 years out: 0.01^(-200) overflows, so P(−0.99) = +∞. The bracket is still
        // valid and Brent bisects until the values are finite.
        let settle = d(2024, 1, 1);
        let flows = [
            Flow {
                date: d(2025, 1, 1),
                amount: 104.0,
            },
            Flow {
                date: d(2224, 1, 1),
                amount: 1.0,
            },
        ];
        assert_eq!(price_from_yield(settle, &flows, YIELD_MIN), f64::INFINITY);
        let y = yield_from_price(settle, &flows, 100.0).expect("yield");
        let p = price_from_yield(settle, &flows, y);
        assert!((p - 100.0).abs() < 1e-9, "{p}");
    }
}
