//! Money: exact decimal amounts in yuan, rounded to the fen (0.01).
//!
//! Every cash amount the engine moves is a [`Decimal`] rounded half away from zero to two
//! decimal places at the moment it is computed. Rates and year fractions keep full precision
//! (28 significant digits) until a money amount is produced from them.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds an amount to the fen, half away from zero (0.005 → 0.01, −0.005 → −0.01).
pub fn fen(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

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
}
