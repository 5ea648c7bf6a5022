//! Amounts as people read them: yuan with thousands separators (`-1,234,567.89`), for the
//! terminal tables and for the messages of every layer (moved from `output::table`, so that
//! `size`'s refusals state balances as the tables do).

use rust_decimal::Decimal;

use super::fen;

/// An amount in yuan with thousands separators and two decimals: `-1,234,567.89`.
pub fn format_money(amount: Decimal) -> String {
    let rounded = fen(amount);
    let text = format!("{:.2}", rounded.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let mut grouped = String::with_capacity(int_part.len() * 4 / 3 + 4);
    if rounded.is_sign_negative() && !rounded.is_zero() {
        grouped.push('-');
    }
    grouped.push_str(&group_thousands(int_part));
    grouped.push('.');
    grouped.push_str(frac_part);
    grouped
}

/// A string of digits with a comma between each group of three from the right:
/// `1375851` → `1,375,851`.
pub fn group_thousands(digits: &str) -> String {
    let n = digits.len();
    let mut grouped = String::with_capacity(n + n / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}
