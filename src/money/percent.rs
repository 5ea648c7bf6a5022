//! Rates written as percentages, for messages and terminal tables: one exact form and one
//! rounded form (review 35a item 3d: about a dozen formatters).

use rust_decimal::Decimal;

/// `rate × 100`, exact and without trailing zeros, with at least `min_dp` places; `None` when
/// the product is beyond Decimal (a value of 10^26 or more, which only a mistake writes).
pub fn percent_value(rate: Decimal, min_dp: u32) -> Option<Decimal> {
    let mut p = rate.checked_mul(Decimal::ONE_HUNDRED)?.normalize();
    if p.scale() < min_dp {
        p.rescale(min_dp);
    }
    Some(p)
}

/// A rate as a percentage with at least `min_dp` decimals, more only when the rate needs them
/// (`percent(0.1, 2)` = `10.00%`, `percent(0.123456, 2)` = `12.3456%`). Exact: never rounds.
/// A rate beyond Decimal once multiplied is written as the fraction it is.
pub fn percent(rate: Decimal, min_dp: u32) -> String {
    percent_value(rate, min_dp).map_or_else(|| format!("{rate} (fraction)"), |p| format!("{p}%"))
}

/// A rate as a percentage with exactly `dp` decimals, `rate × 100` cut to them as Decimal's
/// `{:.dp$}` formats it, toward zero, not rounded (`percent_dp(0.0123459, 4)` = `1.2345%`):
/// the TDRs, BDRs and expected losses of `rate` and `size` tables and messages, which print
/// that way since they were written.
pub fn percent_dp(rate: Decimal, dp: usize) -> String {
    match rate.checked_mul(Decimal::ONE_HUNDRED) {
        Some(p) => format!("{p:.dp$}%"),
        None => format!("{rate} (fraction)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn exact_and_rounded_percentages() {
        assert_eq!(percent(dec!(0.1), 2), "10.00%");
        assert_eq!(percent(dec!(0.123456), 2), "12.3456%");
        assert_eq!(percent(dec!(0.035), 0), "3.5%");
        assert_eq!(percent(dec!(0.09137), 4), "9.1370%");
        assert_eq!(percent(dec!(0.00006104), 2), "0.006104%");
        assert_eq!(percent(dec!(1), 4), "100.0000%");
        assert_eq!(percent(dec!(0), 2), "0.00%");
        assert_eq!(percent(dec!(0.000000), 2), "0.00%");
        assert_eq!(
            percent(Decimal::MAX, 2),
            format!("{} (fraction)", Decimal::MAX)
        );
        assert_eq!(percent_value(dec!(0.25), 0), Some(dec!(25)));
        // 1.23459% to 4 places: 1.2345, cut, not rounded up by the 9.
        assert_eq!(percent_dp(dec!(0.0123459), 4), "1.2345%");
        assert_eq!(percent_dp(dec!(-0.0123459), 4), "-1.2345%");
        assert_eq!(percent_dp(dec!(0.5), 4), "50.0000%");
        assert_eq!(percent_dp(dec!(0.00000001), 6), "0.000001%");
    }
}
