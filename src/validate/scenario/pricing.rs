//! A scenario file's `[pricing]`: quotes, the settlement date and the discount curve.

use rust_decimal::Decimal;

use crate::deal::Deal;
use crate::error::Check;
use crate::scenario::{Discount, Pricing, Quote, YIELD_MAX, YIELD_MIN, ZeroCurve};
use crate::schema;
use crate::validate::spans::join_key;
use crate::validate::{Ctx, Names};

/// Prices outside this range (per 100 of the initial balance) are a warning (`pricing_range`):
/// a price of 0.995 or 1 was meant as 99.5 or 100.
pub const PRICE_MIN: f64 = 2.0;
pub const PRICE_MAX: f64 = 200.0;
/// Yields and discount rates above this (a fraction a year) are a warning (`pricing_range`):
/// 3.5 was meant as 0.035.
pub const PRICING_RATE_MAX: f64 = 0.3;

/// A float rate (a pricing input) × 100 for a message, by its shortest decimal spelling
/// (0.57 → 57, where the float product prints 56.99999999999999).
pub(super) fn pct_f64(x: f64) -> String {
    match x.to_string().parse::<Decimal>() {
        Ok(d) => crate::validate::percent(d),
        Err(_) => format!("{}", x * 100.0),
    }
}

/// Validates `[pricing]`.
pub(super) fn pricing(ctx: &mut Ctx, p: &schema::Pricing, deal: &Deal) -> Pricing {
    let settlement = p.settlement_date.map(|d| {
        let d = ctx.date("pricing.settlement_date", d);
        let last = deal.final_payment_date();
        if d < deal.closing_date || last.is_some_and(|l| d >= l) {
            let to = last.map_or_else(String::new, |l| {
                format!(" and before the last payment date {l}")
            });
            ctx.err(
                "pricing.settlement_date",
                format!("settlement date {d} is outside the life of the deal"),
                format!(
                    "a date on or after the closing date {}{to}",
                    deal.closing_date
                ),
            );
        }
        d
    });
    let tranches = Names::from_list("tranche", deal.tranches.iter().map(|t| t.name.as_str()));
    let mut quotes: Vec<(usize, Quote)> = Vec::new();
    let mut priced: Vec<usize> = Vec::new();
    for (label, &v) in p.prices.iter().flatten() {
        let path = join_key("pricing.prices", label);
        let t = tranche_key(ctx, &path, label, &tranches);
        if !(v.is_finite() && v > 0.0) {
            ctx.err(
                &path,
                format!("price {v} is not a positive number"),
                "a price per 100 of the tranche's initial balance, above 0, e.g. 99.5",
            );
        }
        if v.is_finite() && v > 0.0 && !(PRICE_MIN..=PRICE_MAX).contains(&v) {
            ctx.warn(
                Check::PricingRange,
                &path,
                format!(
                    "price {v} is outside {PRICE_MIN}–{PRICE_MAX}: a price is per 100 of the \
                     tranche's initial balance (99.5, not 0.995)"
                ),
            );
        }
        if let Some(t) = t {
            priced.push(t);
            quotes.push((t, Quote::Price(v)));
        }
    }
    for (label, &v) in p.yields.iter().flatten() {
        let path = join_key("pricing.yields", label);
        let t = tranche_key(ctx, &path, label, &tranches);
        if !(v.is_finite() && (YIELD_MIN..=YIELD_MAX).contains(&v)) {
            ctx.err(
                &path,
                format!("yield {v} is out of range"),
                format!(
                    "an annual yield as a fraction from {YIELD_MIN} to {YIELD_MAX}, \
                     e.g. 0.05 for 5%"
                ),
            );
        }
        if v.is_finite() && v > PRICING_RATE_MAX && v <= YIELD_MAX {
            ctx.warn(
                Check::PricingRange,
                &path,
                format!(
                    "yield {v} is {}% a year, above {}%: a yield is a fraction, 0.035 for 3.5%",
                    pct_f64(v),
                    pct_f64(PRICING_RATE_MAX)
                ),
            );
        }
        if let Some(t) = t {
            if priced.contains(&t) {
                ctx.key_err(
                    &path,
                    format!("tranche `{label}` has both a price and a yield"),
                    "each tranche in at most one of `prices` and `yields`",
                );
            }
            quotes.push((t, Quote::Yield(v)));
        }
    }
    quotes.sort_by_key(|(t, _)| *t);
    let discount = match (p.discount_rate, &p.zero_curve) {
        (Some(_), Some(_)) => {
            ctx.key_err(
                "pricing.zero_curve",
                "both `discount_rate` and `zero_curve` are given",
                "one of discount_rate = 0.02 or zero_curve = [{ years = 1, rate = 0.02 }]",
            );
            None
        }
        (Some(r), None) => {
            if !(r.is_finite() && (YIELD_MIN..=YIELD_MAX).contains(&r)) {
                ctx.err(
                    "pricing.discount_rate",
                    format!("discount rate {r} is out of range"),
                    format!(
                        "an annually compounded rate as a fraction from {YIELD_MIN} to \
                         {YIELD_MAX}, e.g. 0.02 for 2%"
                    ),
                );
            } else if r > PRICING_RATE_MAX {
                ctx.warn(
                    Check::PricingRange,
                    "pricing.discount_rate",
                    format!(
                        "discount rate {r} is {}% a year, above {}%: a rate is a fraction, 0.02 \
                         for 2%",
                        pct_f64(r),
                        pct_f64(PRICING_RATE_MAX)
                    ),
                );
            }
            Some(Discount::Flat(r))
        }
        (None, Some(c)) => zero_curve(ctx, c).map(Discount::Curve),
        (None, None) => None,
    };
    Pricing {
        settlement,
        quotes,
        discount,
    }
}

/// Resolves a tranche named by a key, reporting at the key.
pub(super) fn tranche_key(
    ctx: &mut Ctx,
    path: &str,
    label: &str,
    tranches: &Names,
) -> Option<usize> {
    let t = tranches.get(label);
    if t.is_none() {
        ctx.key_err(
            path,
            format!("no tranche named `{label}`"),
            tranches.one_of(),
        );
    }
    t
}

pub(super) fn zero_curve(ctx: &mut Ctx, c: &[schema::CurvePoint]) -> Option<ZeroCurve> {
    let before = ctx.error_count();
    let path = "pricing.zero_curve";
    if c.is_empty() {
        ctx.err(
            path,
            "`zero_curve` is empty",
            "at least one point, e.g. [{ years = 1, rate = 0.02 }]",
        );
        return None;
    }
    for (i, pt) in c.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let prev = i.checked_sub(1).and_then(|j| c.get(j)).map(|q| q.years);
        if !(pt.years.is_finite() && pt.years >= 0.0) {
            ctx.err(
                &format!("{p}.years"),
                format!("years {} is not a number >= 0", pt.years),
                "a tenor in years, 0 or more, e.g. 0.5",
            );
        } else if let Some(q) = prev.filter(|q| pt.years <= *q) {
            ctx.err(
                &format!("{p}.years"),
                format!("years {} is not above the previous point's {q}", pt.years),
                "tenors in strictly increasing order",
            );
        }
        if !(pt.rate.is_finite() && pt.rate > -1.0) {
            ctx.err(
                &format!("{p}.rate"),
                format!("rate {} is not a number above -1", pt.rate),
                "an annually compounded zero rate as a fraction above -1, e.g. 0.018",
            );
        } else if pt.rate > PRICING_RATE_MAX {
            ctx.warn(
                Check::PricingRange,
                &format!("{p}.rate"),
                format!(
                    "zero rate {} is {}% a year, above {}%: a rate is a fraction, 0.018 for 1.8%",
                    pt.rate,
                    pct_f64(pt.rate),
                    pct_f64(PRICING_RATE_MAX)
                ),
            );
        }
    }
    if ctx.error_count() > before {
        return None;
    }
    match ZeroCurve::new(c.iter().map(|p| (p.years, p.rate)).collect()) {
        Ok(curve) => Some(curve),
        Err(e) => {
            ctx.err(
                path,
                e.to_string(),
                "(tenor in years, annually compounded zero rate) points, tenors >= 0 and \
                 strictly increasing, rates above -1",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    /// A float's percent by its shortest spelling: 0.57 × 100 is 56.99999999999999 in f64.
    #[test]
    fn float_percent_by_its_spelling() {
        assert_eq!(0.57f64 * 100.0, 56.99999999999999);
        assert_eq!(super::pct_f64(0.57), "57");
        assert_eq!(super::pct_f64(3.5), "350");
        assert_eq!(super::pct_f64(0.3), "30");
    }
}
