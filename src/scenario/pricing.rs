//! Pricing inputs of a scenario file: quotes, the settlement date and the discount curve
//! (docs/scenarios.md, `[pricing]`; the analytics are in `crate::analytics`).

use chrono::NaiveDate;

/// How a tranche is quoted for the analytics in `summary.parquet`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quote {
    /// Price per 100 of the tranche's balance outstanding at the settlement date
    /// (docs/scenarios.md, `prices`).
    Price(f64),
    /// Annual yield (annual compounding, ACT/365F).
    Yield(f64),
}

/// Lower end of the yield bracket: −99 % a year. Quoted yields and discount rates must lie in
/// `[YIELD_MIN, YIELD_MAX]`, the bracket the analytics solve in.
pub const YIELD_MIN: f64 = -0.99;
/// Upper end of the yield bracket: +1000 % a year.
pub const YIELD_MAX: f64 = 10.0;

/// Zero-curve points that break one of the rules of [`ZeroCurve::new`].
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error(
    "invalid zero curve: {reason}. Pass at least one (tenor in years, annually compounded \
     zero rate) point, tenors finite, >= 0 and strictly increasing, rates finite and > -1"
)]
pub struct CurveError {
    /// Which rule the points break, and where.
    pub reason: String,
}

/// A zero curve: (tenor in years, annually compounded zero rate) points, rates interpolated
/// linearly in tenor, flat beyond the first and last points.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroCurve {
    points: Vec<(f64, f64)>,
}

impl ZeroCurve {
    /// Validates the points: at least one; tenors finite, ≥ 0 and strictly increasing; rates
    /// finite and > −1.
    pub fn new(points: Vec<(f64, f64)>) -> Result<Self, CurveError> {
        let invalid = |reason: String| Err(CurveError { reason });
        if points.is_empty() {
            return invalid("it has no points".to_string());
        }
        for (i, &(t, r)) in points.iter().enumerate() {
            if !t.is_finite() || t < 0.0 {
                return invalid(format!("point {i} has tenor {t}, not a finite number >= 0"));
            }
            if !r.is_finite() || r <= -1.0 {
                return invalid(format!("point {i} has rate {r}, not a finite number > -1"));
            }
            if i > 0 && t <= points[i - 1].0 {
                return invalid(format!(
                    "tenor {t} of point {i} is not above tenor {} of point {}",
                    points[i - 1].0,
                    i - 1
                ));
            }
        }
        Ok(Self { points })
    }

    /// The curve's points, as validated.
    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// Zero rate at tenor `t` years: linear in `t` between points, the first point's rate for
    /// `t` at or before the first tenor, the last point's rate at or after the last tenor.
    /// `NaN` when `t` is NaN.
    pub fn rate(&self, t: f64) -> f64 {
        if t.is_nan() {
            return f64::NAN;
        }
        let Some(&(t0, r0)) = self.points.first() else {
            return f64::NAN; // unreachable for a validated curve
        };
        if t <= t0 {
            return r0;
        }
        // Index of the first point with tenor > t; ≥ 1 because t > t0.
        let i = self.points.partition_point(|&(ti, _)| ti <= t);
        match (self.points.get(i - 1), self.points.get(i)) {
            (Some(&(ta, ra)), Some(&(tb, rb))) => ra + (rb - ra) * (t - ta) / (tb - ta),
            (Some(&(_, ra)), None) => ra,
            _ => f64::NAN, // unreachable: i ≥ 1
        }
    }
}

/// The discount curve that spreads are measured against.
#[derive(Debug, Clone, PartialEq)]
pub enum Discount {
    /// A flat annual rate.
    Flat(f64),
    /// A zero curve: (years, annually compounded rate) points.
    Curve(ZeroCurve),
}

/// Pricing inputs for tranche analytics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pricing {
    /// Settlement date of the quotes; default the closing date.
    pub settlement: Option<NaiveDate>,
    /// Quotes by tranche index; unquoted tranches are priced at par (100).
    pub quotes: Vec<(usize, Quote)>,
    /// The curve spreads are measured against (`discount_rate` or `zero_curve`); `None`:
    /// no spread.
    pub discount: Option<Discount>,
}
