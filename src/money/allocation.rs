//! Pro rata allocation: splitting cash that is short over several items in whole fen.
//!
//! Each item's exact share is `cash × amount / total`, computed in integers (fen × fen, divided
//! once). How the shares become whole fen is the deal's `pro_rata_rounding`
//! ([`ProRataRounding`]); every rule hands out exactly `cash`, never gives an item more than
//! its amount, and depends only on the list (so it is deterministic). docs/conventions.md
//! ("Pro rata") states the rules with examples.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::rational::Rounding;
use super::to_fen;

/// How pro rata shares are rounded to the fen: `[deal] pro_rata_rounding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProRataRounding {
    /// Every share rounded down; the fen left over go one at a time, in list order, to items
    /// not yet paid in full (the default).
    #[default]
    ListOrder,
    /// Every share rounded down; the fen left over go one each to the items with the largest
    /// remainders (ties in list order), again and again while fen are left.
    LargestRemainder,
    /// Every share but the last rounded half up; the last item takes the rest.
    HalfUpLastTakesRest,
}

impl ProRataRounding {
    /// Every rule, in the order the documentation lists them.
    pub const ALL: [ProRataRounding; 3] = [
        ProRataRounding::ListOrder,
        ProRataRounding::LargestRemainder,
        ProRataRounding::HalfUpLastTakesRest,
    ];

    /// The TOML spelling.
    pub fn name(self) -> &'static str {
        match self {
            ProRataRounding::ListOrder => "list_order",
            ProRataRounding::LargestRemainder => "largest_remainder",
            ProRataRounding::HalfUpLastTakesRest => "half_up_last_takes_rest",
        }
    }
}

impl fmt::Display for ProRataRounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ProRataRounding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown pro rata rounding {s:?}"))
    }
}

impl FromStr for Rounding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rounding::from_name(s).ok_or_else(|| format!("unknown rounding {s:?}"))
    }
}

/// Splits `cash` over `items` (index, amount ≥ 0) in proportion to the amounts, under `rule`.
///
/// Returns every item with its share when `0 < cash < total`; every item with its whole amount
/// when `cash ≥ total`; nothing when there is no cash or nothing is owed. Amounts and cash are
/// whole fen.
pub fn pro_rata(
    cash: Decimal,
    items: &[(usize, Decimal)],
    rule: ProRataRounding,
) -> Vec<(usize, Decimal)> {
    let fen: Vec<(usize, i128)> = items.iter().map(|&(i, a)| (i, to_fen(a))).collect();
    pro_rata_fen(to_fen(cash), &fen, rule)
        .into_iter()
        .map(|(i, s)| (i, Decimal::from_i128_with_scale(s, 2)))
        .collect()
}

/// [`pro_rata`] on counts of fen: every item with its share when `0 < cash < total`, every
/// item with its whole amount when `cash ≥ total`, nothing when there is no cash or nothing
/// is owed.
pub fn pro_rata_fen(
    cash: i128,
    items: &[(usize, i128)],
    rule: ProRataRounding,
) -> Vec<(usize, i128)> {
    let total: i128 = items.iter().map(|x| x.1).sum();
    if cash <= 0 || total <= 0 {
        return Vec::new();
    }
    if cash >= total {
        return items.to_vec();
    }
    if let [(i, _)] = *items {
        return vec![(i, cash)];
    }
    let amounts: Vec<i128> = items.iter().map(|x| x.1).collect();
    split_fen(cash, &amounts, total, rule)
        .into_iter()
        .zip(items)
        .map(|(s, &(i, _))| (i, s))
        .collect()
}

/// [`pro_rata`] on whole fen: `0 < cash < total = Σ amounts`, at least two items.
fn split_fen(cash: i128, amounts: &[i128], total: i128, rule: ProRataRounding) -> Vec<i128> {
    let mut shares: Vec<i128> = Vec::with_capacity(amounts.len());
    match rule {
        ProRataRounding::ListOrder | ProRataRounding::LargestRemainder => {
            let mut rems: Vec<i128> = Vec::with_capacity(amounts.len());
            for &a in amounts {
                let (q, r) = share(a, cash, total);
                shares.push(q);
                rems.push(r);
            }
            let mut left = cash - shares.iter().sum::<i128>();
            if rule == ProRataRounding::LargestRemainder && left > 0 {
                // Items by remainder, largest first; ties in list order (a stable sort).
                let mut order: Vec<usize> = (0..amounts.len()).collect();
                order.sort_by(|&x, &y| rems[y].cmp(&rems[x]));
                left = hand_out(&mut shares, amounts, left, &order);
            }
            let in_order: Vec<usize> = (0..amounts.len()).collect();
            while left > 0 {
                let before = left;
                left = hand_out(&mut shares, amounts, left, &in_order);
                if left == before {
                    break;
                }
            }
        }
        ProRataRounding::HalfUpLastTakesRest => {
            let last = amounts.len() - 1;
            for &a in &amounts[..last] {
                let (q, r) = share(a, cash, total);
                // Half up: r / total ≥ ½.
                let up = i128::from(r >= total - r);
                shares.push((q + up).min(a));
            }
            let rest = cash - shares.iter().sum::<i128>();
            shares.push(rest);
            // The rest can fall outside [0, amount] by a few fen (each rounded share is off by
            // at most half a fen): move whole fen from or to the earlier items, last first.
            let mut k = last;
            while shares[last] < 0 && k > 0 {
                k -= 1;
                let take = shares[k].min(-shares[last]);
                shares[k] -= take;
                shares[last] += take;
            }
            let over = shares[last] - amounts[last];
            if over > 0 {
                shares[last] = amounts[last];
                let in_order: Vec<usize> = (0..last).collect();
                hand_out(&mut shares, amounts, over, &in_order);
            }
        }
    }
    shares
}

/// `⌊a × cash / total⌋` and its remainder, for `0 ≤ a`, `0 < cash < total`: in `i128`, or in
/// big integers when the product does not fit.
fn share(a: i128, cash: i128, total: i128) -> (i128, i128) {
    if let Some(p) = a.checked_mul(cash) {
        return (p / total, p % total);
    }
    use num_bigint::BigInt;
    use num_integer::Integer;
    use num_traits::ToPrimitive;
    let (q, r) = (BigInt::from(a) * BigInt::from(cash)).div_rem(&BigInt::from(total));
    // q ≤ a and r < total, so both fit.
    (q.to_i128().unwrap_or(a), r.to_i128().unwrap_or(0))
}

/// Gives one fen to each item of `order` not yet paid in full, while fen are `left`; returns
/// the fen still left.
fn hand_out(shares: &mut [i128], amounts: &[i128], mut left: i128, order: &[usize]) -> i128 {
    for &i in order {
        if left == 0 {
            break;
        }
        if shares[i] < amounts[i] {
            shares[i] += 1;
            left -= 1;
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn split(cash: Decimal, amounts: &[Decimal], rule: ProRataRounding) -> Vec<Decimal> {
        let items: Vec<(usize, Decimal)> = amounts.iter().copied().enumerate().collect();
        pro_rata(cash, &items, rule)
            .into_iter()
            .map(|x| x.1)
            .collect()
    }

    #[test]
    fn list_order_rounds_down_and_hands_out_in_order() {
        // 100.00 over 1:1:1 → 33.333… each: 33.33 ×3, 0.01 left → the first item.
        let s = split(dec!(100), &[dec!(50); 3], ProRataRounding::ListOrder);
        assert_eq!(s, vec![dec!(33.34), dec!(33.33), dec!(33.33)]);
        // 10.00 over 3:1 → 7.50 and 2.50 exactly.
        let s = split(dec!(10), &[dec!(30), dec!(10)], ProRataRounding::ListOrder);
        assert_eq!(s, vec![dec!(7.50), dec!(2.50)]);
    }

    #[test]
    fn largest_remainder_gives_the_fen_to_the_largest_fraction() {
        // 1.00 over 1, 2, 3 (total 6): exact 16.67, 33.33…, 50 fen:
        // 100×1/6 = 16 r 4, 100×2/6 = 33 r 2, 100×3/6 = 50 r 0; one fen left → item 0
        // (remainder 4 of 6) under both rules here.
        let a = [dec!(1), dec!(2), dec!(3)];
        assert_eq!(
            split(dec!(1), &a, ProRataRounding::LargestRemainder),
            vec![dec!(0.17), dec!(0.33), dec!(0.50)]
        );
        // 0.07 over 6, 3, 1 (total 10): exact 4.2, 2.1, 0.7 fen → 4, 2, 0, one fen left:
        // list order gives it to item 0 (5, 2, 0), largest remainder to item 2 (4, 2, 1).
        let a = [dec!(6), dec!(3), dec!(1)];
        assert_eq!(
            split(dec!(0.07), &a, ProRataRounding::ListOrder),
            vec![dec!(0.05), dec!(0.02), dec!(0.00)]
        );
        assert_eq!(
            split(dec!(0.07), &a, ProRataRounding::LargestRemainder),
            vec![dec!(0.04), dec!(0.02), dec!(0.01)]
        );
    }

    #[test]
    fn half_up_last_takes_rest() {
        // 0.07 over 6, 3, 1: 4.2 → 4, 2.1 → 2, the last takes 7 − 6 = 1 fen.
        let a = [dec!(6), dec!(3), dec!(1)];
        assert_eq!(
            split(dec!(0.07), &a, ProRataRounding::HalfUpLastTakesRest),
            vec![dec!(0.04), dec!(0.02), dec!(0.01)]
        );
        // 0.02 over 0.01, 0.01, 100.00 (total 100.02): exact shares 0.0002, 0.0002 and
        // 1.9996 fen → 0, 0, and the last takes 2 fen.
        let a = [dec!(0.01), dec!(0.01), dec!(100)];
        assert_eq!(
            split(dec!(0.02), &a, ProRataRounding::HalfUpLastTakesRest),
            vec![dec!(0), dec!(0), dec!(0.02)]
        );
        // 0.03 over 1, 1, 0.01 (total 2.01): 1.4925 → 1, 1.4925 → 1, the last takes 1 fen
        // (its exact share 0.0149 fen rounds to 0, but the rest is exact).
        let a = [dec!(1), dec!(1), dec!(0.01)];
        assert_eq!(
            split(dec!(0.03), &a, ProRataRounding::HalfUpLastTakesRest),
            vec![dec!(0.01), dec!(0.01), dec!(0.01)]
        );
    }

    #[test]
    fn every_rule_hands_out_exactly_the_cash_and_caps_each_item() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let n = 2 + (next() % 5) as usize;
            let amounts: Vec<Decimal> = (0..n)
                .map(|_| Decimal::new((next() % 100_000) as i64, 2))
                .collect();
            let total: Decimal = amounts.iter().sum();
            if total.is_zero() {
                continue;
            }
            let cash = Decimal::new((next() % total.mantissa() as u64).max(1) as i64, 2);
            for rule in ProRataRounding::ALL {
                let s = split(cash, &amounts, rule);
                assert_eq!(
                    s.iter().sum::<Decimal>(),
                    cash.min(total),
                    "{rule} {cash} {amounts:?}"
                );
                for (share, a) in s.iter().zip(&amounts) {
                    assert!(
                        *share >= Decimal::ZERO && share <= a,
                        "{rule} {cash} {amounts:?}"
                    );
                }
            }
        }
    }
}
