//! "Exact value, then one rounding" (docs/conventions.md), proved against an exact rational
//! oracle: `num_rational::BigRational`, which never rounds. For each formula that makes money
//! the properties draw random inputs and, separately, **constructed exact ties** (inputs whose
//! exact value is a whole number of fen plus exactly half a fen), where a quotient cut to 28
//! digits before it multiplies money is most likely to round the wrong way.
//!
//! The oracle rounds `x ≥ 0` to the fen as ⌊100·x + ½⌋ (half up) or ⌊100·x⌋ (truncate), and
//! negative values symmetrically; it shares no code with `ipabs::money`.

use chrono::NaiveDate;
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use proptest::prelude::*;
use proptest::test_runner::Config;
use rust_decimal::Decimal;

use ipabs::calendar::daycount::DayCount;
use ipabs::money::{
    ProRataRounding, Ratio, Rounding, fen_of, fen_times, mul_scaled, pro_rata, pro_rata_fen, to_fen,
};
use ipabs::schedule::amortization::{Accrual, LoanTerms, Repayment, loan_schedule};

fn cases(n: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(n),
        failure_persistence: None,
        ..Config::default()
    }
}

fn q(d: Decimal) -> BigRational {
    BigRational::new(
        BigInt::from(d.mantissa()),
        BigInt::from(10u32).pow(d.scale()),
    )
}

fn int(n: i64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

/// The oracle: `x` yuan rounded to the fen under `mode`, as a Decimal.
fn oracle_fen(x: &BigRational, mode: Rounding) -> Decimal {
    let fen = x * int(100);
    let mag = fen.abs();
    let whole = match mode {
        Rounding::HalfUp => (mag + BigRational::new(BigInt::one(), BigInt::from(2))).floor(),
        Rounding::Truncate => mag.floor(),
    };
    let n = whole.to_integer().to_i128().expect("fits");
    let n = if fen.is_negative() { -n } else { n };
    Decimal::from_i128_with_scale(n, 2)
}

/// Money: 0.01 to 10^11 yuan, whole fen.
fn money() -> impl Strategy<Value = Decimal> {
    (1i64..10_000_000_000_000).prop_map(|f| Decimal::new(f, 2))
}

/// A rate with 1 to 6 decimal places, 0 to 0.5.
fn rate() -> impl Strategy<Value = Decimal> {
    (0i64..=500_000, 0u32..=6).prop_map(|(m, s)| Decimal::new(m % (5 * 10i64.pow(s) + 1), s))
}

/// A year fraction days / basis (ACT/365F, ACT/360) or ACT/ACT's quotient.
fn year() -> impl Strategy<Value = Ratio> {
    prop_oneof![
        (0i64..=400).prop_map(|d| Ratio::new(d, 365)),
        (0i64..=400).prop_map(|d| Ratio::new(d, 360)),
        (0i64..=400, 0i64..=400).prop_map(|(o, l)| Ratio::new(o * 366 + l * 365, 365 * 366)),
    ]
}

fn mode() -> impl Strategy<Value = Rounding> {
    prop_oneof![Just(Rounding::HalfUp), Just(Rounding::Truncate)]
}

fn ratio_q(r: Ratio) -> BigRational {
    BigRational::new(BigInt::from(r.num), BigInt::from(r.den))
}

/// The amount whose exact value `amount × rate × year` is a whole number of fen plus exactly
/// half a fen, if the rate and year fraction allow one: with `rate × year = P / Q` in lowest
/// terms (what one fen of amount is worth, in fen), an amount of `m × Q / 2` fen (`m` odd)
/// is worth `m × P / 2` fen, a half-integer when `Q` is even and `P` odd.
fn tie_amount(rate: Decimal, year: Ratio, m: i64) -> Option<Decimal> {
    let per_fen = q(rate) * ratio_q(year);
    let (p, qq) = (per_fen.numer().clone(), per_fen.denom().clone());
    let two = BigInt::from(2);
    if p.is_zero() || !(&qq % &two).is_zero() || (&p % &two).is_zero() {
        return None;
    }
    let fen = (BigInt::from(2 * m + 1) * (qq / two)).to_i64()?;
    (fen > 0 && fen < 10_000_000_000_000).then(|| Decimal::new(fen, 2))
}

/// Both forms of the accrual formula: `fen_of` (schedules) and `fen_times` on an amount in
/// fen (the engine's interest, fees and taxes).
fn check_fen_of(amount: Decimal, rate: Decimal, year: Ratio, mode: Rounding) {
    let exact = q(amount) * q(rate) * ratio_q(year);
    let want = oracle_fen(&exact, mode);
    let what = format!("{amount} × {rate} × {}/{} ({mode})", year.num, year.den);
    assert_eq!(fen_of(&[amount, rate], year, mode), Some(want), "{what}");
    assert_eq!(
        fen_times(to_fen(amount), &[rate], year, mode),
        Some(to_fen(want)),
        "{what}"
    );
}

/// `factor × amount` as the projection computes it: the amount in fen times the factor's
/// mantissa, divided once by 10^scale.
fn product(factor: Decimal, amount: Decimal, mode: Rounding) -> Decimal {
    let f = mul_scaled(to_fen(amount), factor.mantissa(), factor.scale(), mode).expect("fits");
    Decimal::from_i128_with_scale(f, 2)
}

proptest! {
    #![proptest_config(cases(3_000))]

    /// Interest, fees and taxes: balance × annual rate × year fraction (src/engine/due.rs).
    #[test]
    fn accrual_equals_the_oracle(amount in money(), rate in rate(), year in year(), mode in mode()) {
        check_fen_of(amount, rate, year, mode);
    }

    /// The same formula on constructed exact ties.
    #[test]
    fn accrual_ties_round_as_documented(rate in rate(), year in year(), m in 0i64..1_000_000, mode in mode()) {
        if let Some(amount) = tie_amount(rate, year, m) {
            let exact = q(amount) * q(rate) * ratio_q(year);
            // A tie by construction: 100·exact − ½ is a whole number.
            let fen = &exact * int(100) - BigRational::new(BigInt::one(), BigInt::from(2));
            prop_assert!(fen.is_integer());
            check_fen_of(amount, rate, year, mode);
        }
    }

    /// The default curve's even share: cutoff balance × default rate / m periods
    /// (src/pool/projection/perform.rs), on random inputs and constructed ties.
    #[test]
    fn curve_shares_equal_the_oracle(
        amount in money(), rate in rate(), m in 1i64..=120, k in 0i64..1_000_000, tie in any::<bool>(),
        mode in mode(),
    ) {
        let share = Ratio::new(1, m);
        let amount = if tie { tie_amount(rate, share, k).unwrap_or(amount) } else { amount };
        check_fen_of(amount, rate, share, mode);
    }

    /// CDR, CPR, recovery, delay and scaled-instalment amounts: a factor × an amount
    /// (src/pool/projection/perform.rs).
    #[test]
    fn products_equal_the_oracle(amount in money(), f in (0i64..=10_000_000_000, 0u32..=12), mode in mode()) {
        let factor = Decimal::new(f.0 % (10i64.pow(f.1) + 1), f.1);
        let exact = q(amount) * q(factor);
        prop_assert_eq!(product(factor, amount, mode), oracle_fen(&exact, mode));
    }

    /// Product ties: a factor of k/10^s times an amount that makes exactly half a fen.
    #[test]
    fn product_ties(k in 1i64..1_000, s in 1u32..=8, m in 0i64..1_000_000, mode in mode()) {
        if let Some(amount) = tie_amount(Decimal::new(k, s), Ratio::ONE, m) {
            let factor = Decimal::new(k, s);
            let exact = q(amount) * q(factor);
            prop_assert_eq!(product(factor, amount, mode), oracle_fen(&exact, mode));
        }
    }

    /// The periodic loan instalment's interest: balance × annual rate / payments a year, the
    /// first instalment's interest of a generated schedule (src/schedule/amortization.rs).
    #[test]
    fn periodic_interest_equals_the_oracle(
        balance in money(), rate in rate(), per in prop::sample::select(vec![1u32, 3, 6, 12]),
        m in 0i64..1_000_000, tie in any::<bool>(), mode in mode(),
    ) {
        let per_year = i64::from(12 / per);
        let balance = if tie {
            tie_amount(rate, Ratio::new(1, per_year), m).unwrap_or(balance)
        } else {
            balance
        };
        let t = terms(balance, rate, 4, per, Repayment::InterestOnlyBullet, Accrual::Periodic, mode);
        let s = loan_schedule(&t).expect("schedule");
        let exact = q(balance) * q(rate) / int(per_year);
        prop_assert_eq!(s[0].interest, oracle_fen(&exact, mode));
        // Bullet: n periods of interest at once, balance × rate × n / per_year.
        let t = terms(balance, rate, 4, per, Repayment::Bullet, Accrual::Periodic, mode);
        let s = loan_schedule(&t).expect("schedule");
        prop_assert_eq!(s[0].interest, oracle_fen(&(q(balance) * q(rate) * int(4) / int(per_year)), mode));
    }

    /// Day-count accrual: balance × annual rate × days / 365 from the start date.
    #[test]
    fn day_count_interest_equals_the_oracle(balance in money(), rate in rate(), mode in mode()) {
        let t = terms(balance, rate, 3, 3, Repayment::InterestOnlyBullet, Accrual::DayCount(DayCount::Act365F), mode);
        let s = loan_schedule(&t).expect("schedule");
        // 2024-01-15 → 2024-04-15 = 16 + 29 + 31 + 15 = 91 days.
        let exact = q(balance) * q(rate) * int(91) / int(365);
        prop_assert_eq!(s[0].interest, oracle_fen(&exact, mode));
    }

    /// The level instalment B·r·(1+r)^n / ((1+r)^n − 1), r = R / per_year, exactly; and the
    /// equal-principal instalment B / n.
    #[test]
    fn level_and_equal_principal_equal_the_oracle(
        balance in money(), rate in rate(), n in 2u32..=120, per in prop::sample::select(vec![1u32, 3, 6, 12]),
        mode in mode(),
    ) {
        let per_year = i64::from(12 / per);
        let t = terms(balance, rate, n, per, Repayment::Level, Accrual::Periodic, mode);
        let s = loan_schedule(&t).expect("schedule");
        let r = q(rate) / int(per_year);
        let level = if r.is_zero() {
            q(balance) / int(i64::from(n))
        } else {
            let p = num_traits::pow(BigRational::one() + &r, n as usize);
            q(balance) * &r * &p / (p - BigRational::one())
        };
        // The first instalment's principal is the level instalment less its interest.
        let want = oracle_fen(&level, mode);
        prop_assert_eq!(s[0].principal + s[0].interest, want);
        let t = terms(balance, rate, n, per, Repayment::EqualPrincipal, Accrual::Periodic, mode);
        let s = loan_schedule(&t).expect("schedule");
        let each = oracle_fen(&(q(balance) / int(i64::from(n))), mode);
        prop_assert_eq!(s[0].principal, each.min(balance));
    }

    /// Pro rata shares: each share is ⌊cash × amount / total⌋ fen before the leftover fen are
    /// handed out, so no item is more than one handed-out fen above its floor, and the shares
    /// sum to the cash.
    #[test]
    fn pro_rata_floors_equal_the_oracle(
        amounts in prop::collection::vec(1i64..10_000_000_000, 2..6), cash_share in 1u32..1_000,
    ) {
        let amounts: Vec<Decimal> = amounts.into_iter().map(|a| Decimal::new(a, 2)).collect();
        let total: Decimal = amounts.iter().sum();
        let cash = (total * Decimal::new(i64::from(cash_share), 3)).trunc_with_scale(2);
        prop_assume!(cash > Decimal::ZERO && cash < total);
        let items: Vec<(usize, Decimal)> = amounts.iter().copied().enumerate().collect();
        let shares = pro_rata(cash, &items, ProRataRounding::ListOrder);
        let floors: Vec<Decimal> = amounts
            .iter()
            .map(|a| oracle_fen(&(q(cash) * q(*a) / q(total)), Rounding::Truncate))
            .collect();
        let left = cash - floors.iter().sum::<Decimal>();
        // List order: the first `left` fen go to the first items (none is full: a floor below
        // its amount, since cash < total).
        let fen = Decimal::new(1, 2);
        for (i, ((_, s), f)) in shares.iter().zip(&floors).enumerate() {
            let extra = if Decimal::from(i as u64) * fen < left { fen } else { Decimal::ZERO };
            prop_assert_eq!(*s, *f + extra, "item {}", i);
        }
        prop_assert_eq!(shares.iter().map(|x| x.1).sum::<Decimal>(), cash);
        // The engine's form, on counts of fen, gives the same shares.
        let fen_items: Vec<(usize, i128)> = items.iter().map(|&(i, a)| (i, to_fen(a))).collect();
        let fen_shares = pro_rata_fen(to_fen(cash), &fen_items, ProRataRounding::ListOrder);
        let as_fen: Vec<(usize, i128)> = shares.iter().map(|&(i, a)| (i, to_fen(a))).collect();
        prop_assert_eq!(fen_shares, as_fen);
    }
}

fn terms(
    balance: Decimal,
    annual_rate: Decimal,
    term: u32,
    months: u32,
    repayment: Repayment,
    accrual: Accrual,
    rounding: Rounding,
) -> LoanTerms {
    LoanTerms {
        balance,
        annual_rate,
        start_date: NaiveDate::from_ymd_opt(2024, 1, 15).expect("date"),
        first_payment_date: None,
        term,
        months_per_period: months,
        repayment,
        accrual,
        rounding,
    }
}

/// The two ties of issue #9, by hand.
#[test]
fn the_documented_ties() {
    // 4,875,000.00 × 4.75% / 12 = 231,562.5 / 12 = 19,296.875 exactly → 19,296.88 (half up),
    // 19,296.87 (truncate).
    let t = terms(
        Decimal::new(487_500_000, 2),
        Decimal::new(475, 4),
        12,
        1,
        Repayment::InterestOnlyBullet,
        Accrual::Periodic,
        Rounding::HalfUp,
    );
    assert_eq!(
        loan_schedule(&t).unwrap()[0].interest,
        Decimal::new(1_929_688, 2)
    );
    let t = LoanTerms {
        rounding: Rounding::Truncate,
        ..t
    };
    assert_eq!(
        loan_schedule(&t).unwrap()[0].interest,
        Decimal::new(1_929_687, 2)
    );
    // 1,000,050.00 × 3.65% × 91/365 = 36,501.825 × 91 / 365 = 3,321,666.075 / 365
    // = 9,100.455 exactly → 9,100.46 (half up), 9,100.45 (truncate).
    let f = [Decimal::new(100_005_000, 2), Decimal::new(365, 4)];
    assert_eq!(
        fen_of(&f, Ratio::new(91, 365), Rounding::HalfUp),
        Some(Decimal::new(910_046, 2))
    );
    assert_eq!(
        fen_of(&f, Ratio::new(91, 365), Rounding::Truncate),
        Some(Decimal::new(910_045, 2))
    );
}

/// The tie construction finds ties on an ordinary grid of coupons and period lengths, and each
/// rounds as the oracle says: a deterministic sweep, so the tie properties above are known to
/// exercise real ties rather than skip every case.
#[test]
fn constructed_ties_are_plentiful_and_exact() {
    let mut ties = 0;
    for bp in 1..=800i64 {
        let rate = Decimal::new(bp, 4);
        for days in [28i64, 30, 31, 59, 61, 89, 90, 91, 92, 181, 182, 183, 365] {
            for basis in [365i64, 360] {
                let year = Ratio::new(days, basis);
                if let Some(amount) = tie_amount(rate, year, bp * 7 + days) {
                    for mode in [Rounding::HalfUp, Rounding::Truncate] {
                        check_fen_of(amount, rate, year, mode);
                    }
                    ties += 1;
                }
            }
        }
    }
    // 800 coupons × 13 lengths × 2 bases = 20,800 combinations.
    assert!(ties > 2_000, "only {ties} ties constructed");
}
