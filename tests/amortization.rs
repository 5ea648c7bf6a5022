//! Integration tests for `schedule::amortization`. Every expected figure was computed outside this
//! crate, by hand or with the Python 3.11 `decimal` scripts quoted next to it (precision 40,
//! `fen = lambda x: x.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)`, which rounds half
//! away from zero like `money::fen`).

use chrono::NaiveDate;
use ipabs::calendar::daycount::DayCount;
use ipabs::schedule::amortization::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

fn terms(balance: Decimal, annual_rate: Decimal, term: u32, repayment: Repayment) -> LoanTerms {
    LoanTerms {
        balance,
        annual_rate,
        start_date: d(2024, 1, 15),
        first_payment_date: None,
        term,
        months_per_period: 1,
        repayment,
        accrual: Accrual::Periodic,
        rounding: ipabs::money::Rounding::HalfUp,
    }
}

/// Invariants every schedule must satisfy.
fn check_invariants(t: &LoanTerms, s: &[Instalment]) {
    let total: Decimal = s.iter().map(|i| i.principal).sum();
    assert_eq!(total, t.balance, "principal must sum to the balance");
    let mut balance = t.balance;
    for i in s {
        for amount in [i.principal, i.interest, i.balance_after] {
            assert!(amount >= Decimal::ZERO, "negative amount in {i:?}");
            assert_eq!(amount.round_dp(2), amount, "not whole fen in {i:?}");
        }
        balance -= i.principal;
        assert_eq!(i.balance_after, balance);
    }
    assert_eq!(s.last().map(|i| i.balance_after), Some(Decimal::ZERO));
    assert!(s.windows(2).all(|w| w[0].date < w[1].date));
}

fn schedule(t: &LoanTerms) -> Vec<Instalment> {
    let s = loan_schedule(t).expect("valid terms");
    check_invariants(t, &s);
    s
}

#[test]
fn closed_form_annuity_one_million_at_six_percent() {
    // r = 0.06 / 12 = 0.005; A = 1,000,000 · 0.005 / (1 − 1.005^−12):
    //   python3 -c "from decimal import Decimal as D, getcontext; getcontext().prec=40;
    //     r=D('0.005'); print(D(1000000)*r/(1-(1+r)**-12))"
    //   → 86066.42970708066268609343981177054310813, so A = 86,066.43.
    // Last instalment, replicating the documented rule (interest = fen(balance·r), principal =
    // A − interest, last principal = remaining balance):
    //   bal=D('1000000.00'); r=D('0.005'); A=D('86066.43')
    //   for k in range(11): i=fen(bal*r); bal-=A-i
    //   print(bal, fen(bal*r))   → 85638.23 428.19
    let t = terms(dec!(1_000_000.00), dec!(0.06), 12, Repayment::Level);
    let s = schedule(&t);
    assert_eq!(s.len(), 12);
    assert_eq!(s[0].interest, dec!(5_000.00));
    assert_eq!(s[0].principal, dec!(81_066.43));
    assert_eq!(s[0].balance_after, dec!(918_933.57));
    for i in &s[..11] {
        assert_eq!(i.principal + i.interest, dec!(86_066.43));
    }
    assert_eq!(s[11].principal, dec!(85_638.23));
    assert_eq!(s[11].interest, dec!(428.19));
    assert_eq!(s[11].date, d(2025, 1, 15));
}

#[test]
fn chinese_bank_level_payment() {
    // 等额本息 100,000 at 4.35 %, 12 months: r = 0.003625,
    //   python3 -c "from decimal import Decimal as D, getcontext; getcontext().prec=40;
    //     r=D('0.0435')/12; print(D(100000)*r/(1-(1+r)**-12))"
    //   → 8530.990036353925951376322770851609582261 → 8,530.99 per month.
    // First month: interest 100,000 · 0.003625 = 362.50, principal 8,168.49.
    // Last (same loop as above with A = 8530.99): principal 8,500.20, interest 30.81.
    let t = terms(dec!(100_000.00), dec!(0.0435), 12, Repayment::Level);
    let s = schedule(&t);
    assert_eq!(s[0].principal + s[0].interest, dec!(8_530.99));
    assert_eq!(
        (s[0].principal, s[0].interest),
        (dec!(8_168.49), dec!(362.50))
    );
    assert_eq!(
        (s[11].principal, s[11].interest),
        (dec!(8_500.20), dec!(30.81))
    );
}

#[test]
fn chinese_bank_equal_principal() {
    // 等额本金 100,000 at 4.35 %, 12 months: principal fen(100,000 / 12) = 8,333.33, first
    // interest 100,000 · 0.003625 = 362.50. Last principal 100,000 − 11 · 8,333.33 = 8,333.37,
    // its interest fen(8,333.37 · 0.003625) = fen(30.2084...) = 30.21. Month 2 interest
    // fen(91,666.67 · 0.003625) = fen(332.2916...) = 332.29.
    let t = terms(
        dec!(100_000.00),
        dec!(0.0435),
        12,
        Repayment::EqualPrincipal,
    );
    let s = schedule(&t);
    assert_eq!(
        (s[0].principal, s[0].interest),
        (dec!(8_333.33), dec!(362.50))
    );
    assert_eq!(
        (s[1].principal, s[1].interest),
        (dec!(8_333.33), dec!(332.29))
    );
    assert_eq!(
        (s[11].principal, s[11].interest),
        (dec!(8_333.37), dec!(30.21))
    );
}

#[test]
fn quarterly_month_end_start_keeps_month_ends() {
    // Start 2024-01-31 (a month end), quarterly: default first date is 2024-04-30, which is a
    // month end, so every later date is its target month's end.
    let mut t = terms(dec!(40_000.00), dec!(0.06), 4, Repayment::EqualPrincipal);
    t.start_date = d(2024, 1, 31);
    t.months_per_period = 3;
    let s = schedule(&t);
    let dates: Vec<_> = s.iter().map(|i| i.date).collect();
    assert_eq!(
        dates,
        [
            d(2024, 4, 30),
            d(2024, 7, 31),
            d(2024, 10, 31),
            d(2025, 1, 31)
        ]
    );
    // r = 0.06 / 4 = 0.015: interest 600.00, 450.00, 300.00, 150.00 on 10,000 principal each.
    let interest: Vec<_> = s.iter().map(|i| i.interest).collect();
    assert_eq!(
        interest,
        [dec!(600.00), dec!(450.00), dec!(300.00), dec!(150.00)]
    );
}

#[test]
fn dates_come_from_the_first_date_not_iteratively() {
    // First date 2024-01-30 is not a month end: Feb clamps to 29, but March is the 30th again.
    let mut t = terms(dec!(3_000.00), dec!(0), 3, Repayment::EqualPrincipal);
    t.start_date = d(2023, 12, 30);
    t.first_payment_date = Some(d(2024, 1, 30));
    let dates: Vec<_> = schedule(&t).iter().map(|i| i.date).collect();
    assert_eq!(dates, [d(2024, 1, 30), d(2024, 2, 29), d(2024, 3, 30)]);
}

/// A loan disbursed on the 30th without a first payment date is due on the 30th of each month,
/// February's last day apart (review 29b: its default first date 2024-02-29 is a month end,
/// and the dates computed from it rolled to 03-31, 04-30, 05-31, 06-30, 07-31). Since session
/// 30 they come from the start date: add_months(2024-01-30, k) for k = 1 … 6. A start on a
/// month end still keeps month ends (2024-01-31: 02-29, 03-31, 04-30, …), and an explicit
/// first date anchors the dates as before (the test above).
#[test]
fn a_loan_disbursed_on_the_30th_is_due_on_the_30th() {
    let mut t = terms(dec!(6_000.00), dec!(0), 6, Repayment::EqualPrincipal);
    t.start_date = d(2024, 1, 30);
    let dates: Vec<_> = schedule(&t).iter().map(|i| i.date).collect();
    assert_eq!(
        dates,
        [
            d(2024, 2, 29),
            d(2024, 3, 30),
            d(2024, 4, 30),
            d(2024, 5, 30),
            d(2024, 6, 30),
            d(2024, 7, 30)
        ]
    );
    t.start_date = d(2024, 1, 31);
    let dates: Vec<_> = schedule(&t).iter().map(|i| i.date).collect();
    assert_eq!(
        dates[..4],
        [
            d(2024, 2, 29),
            d(2024, 3, 31),
            d(2024, 4, 30),
            d(2024, 5, 31)
        ]
    );
}

#[test]
fn day_count_act365f_two_instalments_by_hand() {
    // 10,000.00 at 3.65 % ACT/365F from 2024-01-15; dates 2024-02-15 (31 days), 2024-03-15
    // (29 days). Under ACT/365F, interest = balance · 0.0365 · days/365 = balance · days / 10,000.
    // A uses r = 0.0365/12: A = B(1+r)²/(2+r) for n = 2
    //   python3 -c "from decimal import Decimal as D, getcontext; getcontext().prec=40;
    //     r=D('0.0365')/12; print(D(10000)*(1+r)**2/(2+r))"  → 5022.8240471... → 5,022.82.
    // 1: interest 10,000 · 31/10,000 = 31.00, principal 5,022.82 − 31.00 = 4,991.82,
    //    balance 5,008.18.
    // 2: interest fen(5,008.18 · 29/10,000) = fen(14.523722) = 14.52, principal 5,008.18.
    let mut t = terms(dec!(10_000.00), dec!(0.0365), 2, Repayment::Level);
    t.accrual = Accrual::DayCount(DayCount::Act365F);
    let s = schedule(&t);
    assert_eq!(
        s,
        [
            Instalment {
                date: d(2024, 2, 15),
                principal: dec!(4_991.82),
                interest: dec!(31.00),
                balance_after: dec!(5_008.18),
            },
            Instalment {
                date: d(2024, 3, 15),
                principal: dec!(5_008.18),
                interest: dec!(14.52),
                balance_after: dec!(0.00),
            },
        ]
    );
}

#[test]
fn day_count_interest_above_level_instalment_pays_interest_only() {
    // 12,000.00 at 12 % ACT/365F, level, 12 monthly; start 2024-01-01, first date 2025-01-01
    // (366 days). A = fen(12,000 · 0.01 / (1 − 1.01^−12)) = fen(1066.1854641...) = 1,066.19.
    // First interest fen(12,000 · 0.12 · 366/365) = fen(1443.9452...) = 1,443.95 > A, so the
    // first instalment is interest only (principal 0). Rest from this replication:
    //   bal=D('12000.00'); A=D('1066.19'); prev=date(2024,1,1)
    //   ds=[date(2025,1,1)]+[date(2025,1+k,1) for k in range(1,12)]
    //   for k,dt in enumerate(ds):
    //     i=fen(bal*D('0.12')*D((dt-prev).days)/365); prev=dt
    //     p=bal if k==11 else min(max(A-i,0),bal); bal-=p; print(p,i,bal)
    //   → 0 1443.95 12000.00 / 943.89 122.30 11056.11 / ... / 2097.40 20.69 0.00
    let mut t = terms(dec!(12_000.00), dec!(0.12), 12, Repayment::Level);
    t.start_date = d(2024, 1, 1);
    t.first_payment_date = Some(d(2025, 1, 1));
    t.accrual = Accrual::DayCount(DayCount::Act365F);
    let s = schedule(&t);
    assert_eq!((s[0].principal, s[0].interest), (dec!(0), dec!(1_443.95)));
    assert_eq!(s[0].balance_after, dec!(12_000.00));
    assert_eq!(
        (s[1].principal, s[1].interest),
        (dec!(943.89), dec!(122.30))
    );
    assert_eq!(s[1].balance_after, dec!(11_056.11));
    assert_eq!(
        (s[11].principal, s[11].interest),
        (dec!(2_097.40), dec!(20.69))
    );
    assert_eq!(s[11].date, d(2025, 12, 1));
}

#[test]
fn bullet_periodic_and_day_count() {
    // 1,000,000 at 4.35 %, 12 monthly periods from 2024-01-15: maturity 2025-01-15.
    // Periodic: 1,000,000 · 0.003625 · 12 = 43,500.00.
    let mut t = terms(dec!(1_000_000.00), dec!(0.0435), 12, Repayment::Bullet);
    let s = schedule(&t);
    assert_eq!(
        s,
        [Instalment {
            date: d(2025, 1, 15),
            principal: dec!(1_000_000.00),
            interest: dec!(43_500.00),
            balance_after: dec!(0),
        }]
    );
    // ACT/365F: 366 days (2024 is a leap year), 1,000,000 · 0.0435 · 366/365 = 43,619.178...
    t.accrual = Accrual::DayCount(DayCount::Act365F);
    let s = schedule(&t);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].interest, dec!(43_619.18));
}

#[test]
fn interest_only_bullet_quarterly() {
    // 500,000 at 6 %, quarterly (r = 0.015), 4 instalments: 7,500.00 interest each quarter,
    // all principal with the last.
    let mut t = terms(
        dec!(500_000.00),
        dec!(0.06),
        4,
        Repayment::InterestOnlyBullet,
    );
    t.months_per_period = 3;
    let s = schedule(&t);
    assert!(s.iter().all(|i| i.interest == dec!(7_500.00)));
    let principal: Vec<_> = s.iter().map(|i| i.principal).collect();
    assert_eq!(principal, [dec!(0), dec!(0), dec!(0), dec!(500_000.00)]);
    assert_eq!(s[3].date, d(2025, 1, 15));
    // ACT/365F, start 2024-01-15: 91, 91, 92, 92 days; 500,000 · 0.06 · 91/365 = 7,479.452...
    // → 7,479.45; 92 days → 7,561.643... → 7,561.64.
    t.accrual = Accrual::DayCount(DayCount::Act365F);
    let interest: Vec<_> = schedule(&t).iter().map(|i| i.interest).collect();
    assert_eq!(
        interest,
        [
            dec!(7_479.45),
            dec!(7_479.45),
            dec!(7_561.64),
            dec!(7_561.64)
        ]
    );
}

#[test]
fn zero_rate() {
    // Level at 0 %: A = fen(1,000 / 3) = 333.33; the last instalment takes the 0.01 remainder.
    let t = terms(dec!(1_000.00), dec!(0), 3, Repayment::Level);
    let s = schedule(&t);
    let principal: Vec<_> = s.iter().map(|i| i.principal).collect();
    assert_eq!(principal, [dec!(333.33), dec!(333.33), dec!(333.34)]);
    assert!(s.iter().all(|i| i.interest.is_zero()));
    let t = terms(dec!(1_000.00), dec!(0), 3, Repayment::Bullet);
    assert_eq!(schedule(&t)[0].interest, dec!(0));
}

#[test]
fn rounded_up_instalment_never_overpays() {
    // 0.15 over 10 at 0 %: fen(0.015) = 0.02 per instalment would repay 0.18, so principal is
    // capped at the balance: seven × 0.02, one 0.01, then zeros.
    let t = terms(dec!(0.15), dec!(0), 10, Repayment::EqualPrincipal);
    let principal: Vec<_> = schedule(&t).iter().map(|i| i.principal).collect();
    let mut expected = vec![dec!(0.02); 7];
    expected.extend([dec!(0.01), dec!(0), dec!(0)]);
    assert_eq!(principal, expected);
    let t = terms(dec!(0.15), dec!(0), 10, Repayment::Level);
    assert_eq!(
        schedule(&t).iter().map(|i| i.principal).collect::<Vec<_>>(),
        expected
    );
}

#[test]
fn single_instalment_level() {
    // n = 1: A = B(1+r); principal B, interest fen(B·r) = fen(1,234.56 · 0.005) = fen(6.1728) = 6.17.
    let t = terms(dec!(1_234.56), dec!(0.06), 1, Repayment::Level);
    let s = schedule(&t);
    assert_eq!(
        (s[0].principal, s[0].interest),
        (dec!(1_234.56), dec!(6.17))
    );
    assert_eq!(s[0].date, d(2024, 2, 15));
}

#[test]
fn long_level_schedule_stays_consistent() {
    // 30-year monthly mortgage; only the invariants are checked (principal sums exactly, no
    // negative balance). A = fen(1,000,000 · 0.004083.. / (1 − (1+r)^−360)):
    //   python3 -c "from decimal import Decimal as D, getcontext; getcontext().prec=40;
    //     r=D('0.049')/12; print(D(1000000)*r/(1-(1+r)**-360))"  → 5307.2672... → 5,307.27.
    let t = terms(dec!(1_000_000.00), dec!(0.049), 360, Repayment::Level);
    let s = schedule(&t);
    assert_eq!(s[0].principal + s[0].interest, dec!(5_307.27));
}

#[test]
fn invalid_terms_are_errors() {
    let ok = terms(dec!(100.00), dec!(0.05), 12, Repayment::Level);
    let err = |f: &dyn Fn(&mut LoanTerms)| {
        let mut t = ok.clone();
        f(&mut t);
        loan_schedule(&t).expect_err("must be rejected")
    };
    assert_eq!(err(&|t| t.term = 0), AmortizationError::ZeroTerm);
    assert_eq!(
        err(&|t| t.balance = dec!(0)),
        AmortizationError::NonPositiveBalance(dec!(0))
    );
    assert_eq!(
        err(&|t| t.balance = dec!(-5)),
        AmortizationError::NonPositiveBalance(dec!(-5))
    );
    assert_eq!(
        err(&|t| t.balance = dec!(1.005)),
        AmortizationError::BalanceNotWholeFen(dec!(1.005))
    );
    assert_eq!(
        err(&|t| t.annual_rate = dec!(-0.01)),
        AmortizationError::NegativeRate(dec!(-0.01))
    );
    assert_eq!(
        err(&|t| t.months_per_period = 2),
        AmortizationError::BadFrequency(2)
    );
    assert_eq!(
        err(&|t| t.first_payment_date = Some(d(2024, 1, 15))),
        AmortizationError::FirstPaymentNotAfterStart {
            start: d(2024, 1, 15),
            first: d(2024, 1, 15)
        }
    );
    assert_eq!(
        err(&|t| t.start_date = NaiveDate::MAX),
        AmortizationError::DateOverflow
    );
    assert_eq!(err(&|t| t.term = u32::MAX), AmortizationError::DateOverflow);
    assert_eq!(
        err(&|t| {
            t.balance = Decimal::MAX;
            t.annual_rate = dec!(24);
        }),
        AmortizationError::ArithmeticOverflow
    );
    for repayment in [Repayment::Level, Repayment::Bullet] {
        let mut t = terms(dec!(100.00), Decimal::MAX, 1, repayment);
        t.months_per_period = 12;
        assert_eq!(
            loan_schedule(&t),
            Err(AmortizationError::ArithmeticOverflow)
        );
    }
    // (1 + 2)^5000 is far beyond Decimal's range, but the level instalment is computed exactly
    // in big integers (docs/amortization.md): 100.00 at 24 a year, monthly (r = 2), 5,000
    // instalments. A = 100 × 2 × 3^5000 / (3^5000 − 1), a hair above 200, so 200.00: the
    // interest (100 × 2 = 200.00) takes all of it until the last instalment repays the 100.00.
    let mut long = ok.clone();
    long.annual_rate = dec!(24);
    long.term = 5000;
    let s = schedule(&long);
    assert_eq!(s.len(), 5000);
    assert_eq!((s[0].principal, s[0].interest), (dec!(0.00), dec!(200.00)));
    assert_eq!(
        (s[4999].principal, s[4999].interest),
        (dec!(100.00), dec!(200.00))
    );
    let msg = AmortizationError::BadFrequency(2).to_string();
    assert!(msg.contains("1, 3, 6 or 12"), "{msg}");
}

#[test]
fn repayment_names_round_trip() {
    for (name, r) in [
        ("level", Repayment::Level),
        ("equal_principal", Repayment::EqualPrincipal),
        ("interest_only", Repayment::InterestOnlyBullet),
        ("bullet", Repayment::Bullet),
        ("step_up", Repayment::StepUp(Decimal::ZERO)),
    ] {
        assert_eq!(r.name(), name);
        assert_eq!(name.parse::<Repayment>(), Ok(r));
    }
    let e = "annuity".parse::<Repayment>().expect_err("unknown name");
    assert!(
        e.contains("annuity") && e.contains("level, equal_principal, interest_only, bullet"),
        "{e}"
    );
    assert_eq!(Accrual::default(), Accrual::Periodic);
}

#[test]
fn sweep_keeps_invariants() {
    let methods = [
        Repayment::Level,
        Repayment::EqualPrincipal,
        Repayment::InterestOnlyBullet,
        Repayment::Bullet,
        Repayment::StepUp(dec!(0.05)),
    ];
    let accruals = [Accrual::Periodic, Accrual::DayCount(DayCount::Act365F)];
    let balances = [dec!(0.01), dec!(0.15), dec!(999.99), dec!(123_456_789.01)];
    let rates = [dec!(0), dec!(0.0001), dec!(0.0435), dec!(0.36), dec!(3)];
    let mut cases = Vec::new();
    for balance in balances {
        for rate in rates {
            for term in [1, 2, 7, 60] {
                for mpp in [1, 3, 6, 12] {
                    for repayment in methods {
                        for accrual in accruals {
                            let mut t = terms(balance, rate, term, repayment);
                            t.start_date = d(2023, 8, 31);
                            t.months_per_period = mpp;
                            t.accrual = accrual;
                            cases.push(t);
                        }
                    }
                }
            }
        }
    }
    let mut refused = 0;
    for t in cases {
        // A step-up is refused exactly when its first instalment is below the first period's
        // interest, X_0 < B·r, i.e. Σ_k (1 + g)^(y_k) (1 + r)^−(k+1) > 1/r (the oracle below, in
        // exact rationals): here only at 300% a year, where a 5% step-up over many periods
        // outweighs the discounting.
        if let Repayment::StepUp(g) = t.repayment
            && let Err(e) = loan_schedule(&t)
        {
            assert!(
                matches!(e, AmortizationError::StepUpBelowInterest { number: 1, .. }),
                "{e:?}"
            );
            assert!(
                step_up_below_interest(t.annual_rate, t.term, t.months_per_period, g),
                "{t:?}"
            );
            refused += 1;
            continue;
        }
        // (1 + 3)^60 is beyond Decimal's range; the level instalment is exact in big integers,
        // so every other combination gives a schedule.
        let s = schedule(&t);
        if let Repayment::StepUp(g) = t.repayment {
            assert!(
                !step_up_below_interest(t.annual_rate, t.term, t.months_per_period, g),
                "{t:?}"
            );
        }
        let n = if t.repayment == Repayment::Bullet {
            1
        } else {
            t.term
        };
        assert_eq!(s.len(), n as usize);
    }
    assert!(refused > 0 && refused < 100, "{refused}");
}

/// Whether a step-up's first instalment is below the first period's interest: the present
/// value of the instalments per unit of X_0 above 1/r (X_0 = B / Σ < B·r), in exact rationals.
fn step_up_below_interest(rate: Decimal, term: u32, months: u32, g: Decimal) -> bool {
    if rate.is_zero() {
        return false;
    }
    let (pv, r) = step_up_pv(rate, term, months, g);
    pv * r > num_rational::BigRational::from_integer(1.into())
}

#[test]
fn worked_example_from_docs() {
    // docs/amortization.md: 3,000.00 at 12 %, monthly, 3 instalments, level. r = 0.01,
    // (1.01)^3 = 1.030301, A = 3,000 · 0.01 · 1.030301 / 0.030301 = 1,020.0663... → 1,020.07.
    let t = terms(dec!(3_000.00), dec!(0.12), 3, Repayment::Level);
    let rows: Vec<_> = schedule(&t)
        .iter()
        .map(|i| (i.date, i.principal, i.interest, i.balance_after))
        .collect();
    assert_eq!(
        rows,
        [
            (d(2024, 2, 15), dec!(990.07), dec!(30.00), dec!(2_009.93)),
            (d(2024, 3, 15), dec!(999.97), dec!(20.10), dec!(1_009.96)),
            (d(2024, 4, 15), dec!(1_009.96), dec!(10.10), dec!(0.00)),
        ]
    );
}

// ---- step-up instalments (递增租金), docs/amortization.md ----

fn step_up(balance: Decimal, rate: Decimal, term: u32, months: u32, growth: Decimal) -> LoanTerms {
    let mut t = terms(balance, rate, term, Repayment::StepUp(growth));
    t.months_per_period = months;
    t
}

#[test]
fn step_up_by_hand_two_annual_instalments() {
    // 10,000.00 at 10% a year, annual, 2 instalments, growing 10% a year: X and 1.1·X with
    // X/1.1 + 1.1·X/1.1² = 2X/1.1 = 10,000, so X = 5,500.00 and the second 6,050.00.
    // Interest 10% of 10,000.00 = 1,000.00, principal 4,500.00, balance 5,500.00; then
    // interest 550.00 and principal 5,500.00 (= 6,050.00 − 550.00, the balance).
    let s = schedule(&step_up(dec!(10_000.00), dec!(0.10), 2, 12, dec!(0.10)));
    let rows: Vec<_> = s.iter().map(|i| (i.principal, i.interest)).collect();
    assert_eq!(
        rows,
        vec![
            (dec!(4_500.00), dec!(1_000.00)),
            (dec!(5_500.00), dec!(550.00))
        ]
    );
}

#[test]
fn step_up_by_hand_without_interest() {
    // 3,000.00 at 0%, annual, 3 instalments growing 50% a year: X (1 + 1.5 + 2.25) = 3,000,
    // X = 631.578947… → 631.58; 1.5X = 947.368421… → 947.37; the last is the balance left,
    // 3,000.00 − 631.58 − 947.37 = 1,421.05 (2.25X = 1,421.052631… rounds to the same).
    let s = schedule(&step_up(dec!(3_000.00), dec!(0), 3, 12, dec!(0.5)));
    let principal: Vec<_> = s.iter().map(|i| i.principal).collect();
    assert_eq!(principal, vec![dec!(631.58), dec!(947.37), dec!(1_421.05)]);
    assert!(s.iter().all(|i| i.interest.is_zero()));
}

#[test]
fn step_up_at_an_exact_half_fen_tie() {
    // 1,728.30 at 0%, quarterly, 5 instalments growing 60% a year: four in year 0 and one in
    // year 1, so X_0 (4 + 1.6) = 1,728.30 and X_0 = 172,830 fen / 5.6 = 30,862.5 fen exactly,
    // a half fen: 308.63 half up, 308.62 truncated. X_4 = 1.6 X_0 = 493.80 exactly, but the
    // last instalment repays what is left: 1,728.30 − 4 × 308.63 = 493.78 (half up) and
    // 1,728.30 − 4 × 308.62 = 493.82 (truncate).
    for (rounding, x0, last) in [
        (ipabs::money::Rounding::HalfUp, dec!(308.63), dec!(493.78)),
        (ipabs::money::Rounding::Truncate, dec!(308.62), dec!(493.82)),
    ] {
        let mut t = step_up(dec!(1_728.30), dec!(0), 5, 3, dec!(0.6));
        t.rounding = rounding;
        let principal: Vec<_> = schedule(&t).iter().map(|i| i.principal).collect();
        assert_eq!(principal, vec![x0, x0, x0, x0, last], "{rounding:?}");
    }
}

#[test]
fn step_up_of_no_growth_is_level() {
    // With g = 0 the step-up formula is the level annuity's (docs/amortization.md): the same
    // exact value, rounded once, so the same schedule to the fen.
    for (balance, rate, term, months) in [
        (dec!(1_000_000.00), dec!(0.06), 12, 1),
        (dec!(3_000.00), dec!(0.12), 3, 1),
        (dec!(123_456_789.01), dec!(0.0435), 60, 3),
        (dec!(999.99), dec!(0), 7, 6),
        (dec!(50_000_000.00), dec!(0.0575), 20, 3),
    ] {
        let mut level = terms(balance, rate, term, Repayment::Level);
        level.months_per_period = months;
        assert_eq!(
            schedule(&step_up(balance, rate, term, months, Decimal::ZERO)),
            schedule(&level),
            "{balance} at {rate}, {term} × {months} months"
        );
    }
}

/// An exact rational of a Decimal.
fn rational(d: Decimal) -> num_rational::BigRational {
    use num_bigint::BigInt;
    num_rational::BigRational::new(
        BigInt::from(d.mantissa()),
        BigInt::from(10u32).pow(d.scale()),
    )
}

/// The present value of a step-up's instalments per unit of the first, in exact rationals:
/// Σ_k (1 + g)^⌊k·m/12⌋ (1 + R·m/12)^−(k+1) over the `term` instalments; and the periodic
/// rate r = R·m/12.
fn step_up_pv(
    rate: Decimal,
    term: u32,
    months: u32,
    g: Decimal,
) -> (num_rational::BigRational, num_rational::BigRational) {
    use num_bigint::BigInt;
    use num_rational::BigRational;
    let one = BigRational::from_integer(BigInt::from(1));
    let r = rational(rate) * BigRational::new(BigInt::from(months), BigInt::from(12));
    let v = &one / (&one + &r);
    let mut pv = BigRational::from_integer(BigInt::from(0));
    let (mut disc, mut grown) = (one.clone(), one.clone());
    for k in 0..term {
        if k > 0 && (k * months) / 12 > ((k - 1) * months) / 12 {
            grown *= &one + rational(g);
        }
        disc *= &v;
        pv += &grown * &disc;
    }
    (pv, r)
}

/// The step-up instalments from their definition, in exact rationals: X_0 solves
/// Σ_k X_0 (1 + g)^⌊k·m/12⌋ (1 + R·m/12)^−(k+1) = B, and X_k = X_0 (1 + g)^⌊k·m/12⌋ rounded
/// half away from zero to the fen. An oracle independent of the engine's closed form.
fn step_up_oracle(b: Decimal, rate: Decimal, term: u32, months: u32, g: Decimal) -> Vec<Decimal> {
    use num_bigint::BigInt;
    use num_rational::BigRational;
    let x0 = rational(b) / step_up_pv(rate, term, months, g).0;
    let mut x = &x0 * BigRational::from_integer(BigInt::from(100));
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    (0..term)
        .map(|k| {
            if k > 0 && (k * months) / 12 > ((k - 1) * months) / 12 {
                x *= BigRational::from_integer(BigInt::from(1)) + rational(g);
            }
            // Half away from zero (x > 0): ⌊x + 1/2⌋ fen.
            let fen = (&x + &half).floor().to_integer();
            Decimal::from_i128_with_scale(i128::try_from(fen).expect("fits"), 2)
        })
        .collect()
}

/// ⌊x·100 + 1/2⌋ fen for x ≥ 0: half away from zero, once.
fn fen_exact(x: num_rational::BigRational) -> Decimal {
    use num_bigint::BigInt;
    use num_rational::BigRational;
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    let fen = (x * BigRational::from_integer(BigInt::from(100)) + half)
        .floor()
        .to_integer();
    Decimal::from_i128_with_scale(i128::try_from(fen).expect("fits"), 2)
}

#[test]
fn step_up_matches_its_definition() {
    // Instalments (principal + interest) before the last equal the oracle's X_k, and each
    // year's instalments are equal; the last repays what is left.
    for (balance, rate, term, months, g) in [
        (dec!(100_000.00), dec!(0.08), 8, 3, dec!(0.05)),
        (dec!(2_500_000.00), dec!(0.0575), 36, 1, dec!(0.03)),
        (dec!(12_345_678.91), dec!(0.065), 10, 6, dec!(0.08)),
        (dec!(80_000_000.00), dec!(0.049), 5, 12, dec!(0.1)),
        (dec!(999.99), dec!(0.12), 9, 3, dec!(0.25)),
    ] {
        let s = schedule(&step_up(balance, rate, term, months, g));
        let want = step_up_oracle(balance, rate, term, months, g);
        let got: Vec<Decimal> = s.iter().map(|i| i.principal + i.interest).collect();
        let n = got.len();
        assert_eq!(
            got[..n - 1],
            want[..n - 1],
            "{balance} at {rate}, growth {g}"
        );
        // Every instalment's split, replayed from the oracle's X_k (docs/amortization.md):
        // interest fen(balance × rate × m / 12), exact then rounded once; principal X_k −
        // interest; the last repays the balance left, with its interest (review 27a item 5:
        // the last instalment was allowed 0.05 of slack).
        let mut left = balance;
        for (k, x) in want.iter().enumerate() {
            let interest = fen_exact(
                rational(left) * rational(rate) * rational(Decimal::from(months))
                    / rational(dec!(12)),
            );
            let principal = if k + 1 == n { left } else { x - interest };
            assert_eq!(
                (s[k].principal, s[k].interest),
                (principal, interest),
                "instalment {k} of {balance} at {rate}, growth {g}"
            );
            left -= principal;
        }
        assert_eq!(left, Decimal::ZERO);
        for k in 1..n - 1 {
            let same_year = (k as u32 * months) / 12 == ((k as u32 - 1) * months) / 12;
            assert_eq!(same_year, got[k] == got[k - 1], "instalment {k} of {got:?}");
        }
    }
}

#[test]
fn step_up_below_its_interest_is_refused() {
    // 1,000,000.00 at 10% a year, annual, 20 instalments, growing 90% a year: the first
    // instalment is far below the 100,000.00 of interest it owes (the balance would grow).
    let e = loan_schedule(&step_up(dec!(1_000_000.00), dec!(0.10), 20, 12, dec!(0.9)))
        .expect_err("negative amortization");
    assert!(
        matches!(e, AmortizationError::StepUpBelowInterest { number: 1, interest, .. }
            if interest == dec!(100_000.00)),
        "{e:?}"
    );
    assert!(e.to_string().contains("below its interest"), "{e}");
}
