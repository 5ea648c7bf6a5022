//! Issue #12 items 4–6, worked by hand: floating rates (tranche coupons and loans), reserve
//! targets as formulas, and fee mechanics. Every expected figure is derived in the comments
//! from the deal text below and the formulas in docs/conventions.md, never copied from the
//! program's output.
//!
//! Index values are illustrative LPR-like levels (3.45%, 3.35% from 2024-07-22, 3.10% from
//! 2024-10-21, 3.00% from 2025-05-20), not checked against the published history.

use ipabs::analytics::stress::standard_suite;
use ipabs::engine::{self, result::RunResult};
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn load(src: &str) -> ipabs::deal::Deal {
    deal_from_str("test.toml", src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal
}

fn run(src: &str) -> RunResult {
    let deal = load(src);
    engine::run(&deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"))
}

fn row<'a>(r: &'a RunResult, tranche: &str, period: u32) -> &'a engine::result::TrancheFlowRow {
    r.tranche_flows
        .iter()
        .find(|x| x.tranche == tranche && x.period == period)
        .expect("row exists")
}

/// Four half-yearly payment dates under 30/360, so every year fraction is exactly 1/2.
/// The pool pays 275,000 principal + 30,000 interest = 305,000 on the 15th before each
/// payment date (collection lag 0).
const HEADER: &str = r#"
[deal]
name = "floating"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-07-01, 2025-01-01, 2025-07-01, 2026-01-01]
legal_maturity = 2026-01-01
day_count = "30/360"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "licence"
schedule = [
  { date = 2024-06-15, principal = 275000, interest = 30000 },
  { date = 2024-12-15, principal = 275000, interest = 30000 },
  { date = 2025-06-15, principal = 275000, interest = 30000 },
  { date = 2025-12-15, principal = 275000, interest = 30000 },
]
"#;

const FLOATING_TRANCHES: &str = r#"
[[tranches]]
name = "A"
class = "senior"
balance = 1000000
amortization = "pass_through"
floating = { index = "lpr_1y", spread = 0.005, cap = 0.04, reset_every_months = 12, reset_from = 2025-01-01 }

[[tranches]]
name = "B"
class = "subordinated"
balance = 100000

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },
]

[scenario]
index_paths.lpr_1y = [
  { date = 2023-08-21, rate = 0.0345 },
  { date = 2024-07-22, rate = 0.0335 },
  { date = 2024-10-21, rate = 0.0310 },
  { date = 2025-05-20, rate = 0.0300 },
]
"#;

#[test]
fn floating_tranche_coupon_resets_yearly() {
    let src = format!("{HEADER}{FLOATING_TRANCHES}");
    let r = run(&src);
    // Fixings: the closing date 2024-01-01 (index 3.45%), then every 12 months from
    // 2025-01-01. Period k's rate is fixed on the latest fixing on or before its accrual start.
    // P1 (accrual from 2024-01-01) and P2 (from 2024-07-01): fixed 2024-01-01:
    //   3.45% + 0.50% = 3.95% (below the 4% cap).
    // P3 (from 2025-01-01): fixed 2025-01-01: 3.10% + 0.50% = 3.60%.
    // P4 (from 2025-07-01): still the 2025-01-01 fixing, 3.60% (the 2025-05-20 cut to 3.00% is
    //   not picked up before the next reset on 2026-01-01).
    //
    // P1: interest = 1,000,000 × 0.0395 × 1/2 = 19,750.00. Cash 305,000: principal
    //     305,000 − 19,750 = 285,250.00 → balance 714,750.00.
    // P2: interest = 714,750 × 0.0395 / 2 = 14,116.3125 → 14,116.31. Principal
    //     305,000 − 14,116.31 = 290,883.69 → balance 423,866.31.
    // P3: interest = 423,866.31 × 0.036 / 2 = 7,629.59358 → 7,629.59. Principal
    //     305,000 − 7,629.59 = 297,370.41 → balance 126,495.90.
    // P4: interest = 126,495.90 × 0.036 / 2 = 2,276.9262 → 2,276.93. Principal 126,495.90
    //     (all of it); left 305,000 − 2,276.93 − 126,495.90 = 176,227.17: B principal
    //     100,000 and residual 76,227.17.
    let expect = [
        (1, dec!(19750.00), dec!(285250.00), dec!(714750.00)),
        (2, dec!(14116.31), dec!(290883.69), dec!(423866.31)),
        (3, dec!(7629.59), dec!(297370.41), dec!(126495.90)),
        (4, dec!(2276.93), dec!(126495.90), dec!(0)),
    ];
    for (k, interest, principal, end) in expect {
        let a = row(&r, "A", k);
        assert_eq!(a.interest_due, interest, "A interest P{k}");
        assert_eq!(a.interest_paid, interest, "A interest paid P{k}");
        assert_eq!(a.principal_paid, principal, "A principal P{k}");
        assert_eq!(a.balance_end, end, "A balance P{k}");
    }
    let b = row(&r, "B", 4);
    assert_eq!(b.principal_paid, dec!(100000));
    assert_eq!(b.residual_paid, dec!(76227.17));
    // The summary's coupon of a floating tranche is its first payment date's rate, and so is
    // the deal's initial coupon (the portfolio's weighted coupon uses it).
    let a = r.summary.iter().find(|s| s.tranche == "A").unwrap();
    assert_eq!(a.coupon, dec!(0.0395));
    let deal = load(&src);
    assert_eq!(deal.initial_coupon(&deal.tranches[0]), dec!(0.0395));
}

#[test]
fn index_shift_and_cap() {
    // A scenario shift of +100 bp. The closing-date fixing is history (the issuance coupon)
    // and is not shifted: P1 and P2 pay 3.95% as in the base run (19,750.00 and 14,116.31;
    // balance after P2 423,866.31). The 2025-01-01 fixing is shifted: 3.10% + 1% + 0.5% =
    // 4.60%, capped at 4%. P3 interest = 423,866.31 × 0.04 / 2 = 8,477.3262 → 8,477.33;
    // principal 305,000 − 8,477.33 = 296,522.67 → balance 127,343.64.
    // P4 interest = 127,343.64 × 0.04 / 2 = 2,546.8728 → 2,546.87.
    let src = format!("{HEADER}{FLOATING_TRANCHES}index_shift = 0.01\n");
    let r = run(&src);
    assert_eq!(row(&r, "A", 1).interest_due, dec!(19750.00));
    assert_eq!(row(&r, "A", 2).interest_due, dec!(14116.31));
    assert_eq!(row(&r, "A", 3).interest_due, dec!(8477.33));
    assert_eq!(row(&r, "A", 3).balance_end, dec!(127343.64));
    assert_eq!(row(&r, "A", 4).interest_due, dec!(2546.87));
    // A floor alone, above every index + spread: floor 0.045 → every period 4.5%:
    // P1 interest = 1,000,000 × 0.045 / 2 = 22,500.00.
    let floored = FLOATING_TRANCHES.replace("cap = 0.04", "floor = 0.045");
    let r = run(&format!("{HEADER}{floored}"));
    assert_eq!(row(&r, "A", 1).interest_due, dec!(22500.00));
}

#[test]
fn standard_suite_shifts_the_index() {
    // The standard suite appends index±50 bp and index±100 bp for a deal with a floating rate,
    // and only then: the last four scenarios carry shifts +0.005, −0.005, +0.01, −0.01.
    let deal = load(&format!("{HEADER}{FLOATING_TRANCHES}"));
    let suite = standard_suite(&deal, &deal.scenario);
    let tail: Vec<(&str, Decimal)> = suite[suite.len() - 4..]
        .iter()
        .map(|s| (s.name.as_str(), s.indices.shift))
        .collect();
    assert_eq!(
        tail,
        [
            ("index+50bp", dec!(0.005)),
            ("index-50bp", dec!(-0.005)),
            ("index+100bp", dec!(0.01)),
            ("index-100bp", dec!(-0.01)),
        ]
    );
    // index+100bp: P3 at the 4% cap → 8,477.33 of interest (as in index_shift_and_cap).
    let up = suite.iter().find(|s| s.name == "index+100bp").unwrap();
    let r = engine::run(&deal, up).unwrap();
    assert_eq!(row(&r, "A", 3).interest_due, dec!(8477.33));
    // A fixed-rate deal gets no index stresses.
    let fixed = FLOATING_TRANCHES.replace(
        "floating = { index = \"lpr_1y\", spread = 0.005, cap = 0.04, reset_every_months = 12, reset_from = 2025-01-01 }",
        "coupon = 0.0395",
    );
    let fixed = load(&format!("{HEADER}{fixed}"));
    assert!(
        standard_suite(&fixed, &fixed.scenario)
            .iter()
            .all(|s| !s.name.starts_with("index"))
    );
}

/// A floating loan: 100,000 lent on the cutoff date 2024-01-01, four semi-annual level
/// instalments (等额本息), rate = 5-year LPR + 0 reset every 12 months from 2025-01-01. The
/// index is 4% until 2024-12-31 and 6% from 2025-01-01 (illustrative round numbers).
const FLOATING_LOAN_POOL: &str = r#"
[deal]
name = "floating loan"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-07-01, 2025-01-01, 2025-07-01, 2026-01-01]
legal_maturity = 2026-01-01
day_count = "30/360"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "SME"
[[obligors.assets]]
kind = "loan"
balance = 100000
start_date = 2024-01-01
term = 4
frequency = "semiannual"
repayment = "level"
floating = { index = "lpr_5y", spread = 0, reset_every_months = 12, reset_from = 2025-01-01 }

"#;

/// The floating-loan deals' liabilities: A (senior) then B (subordinated), sequential.
const FLOATING_LIABILITIES: &str = r#"
[[tranches]]
name = "A"
class = "senior"
balance = 90000
coupon = 0.03

[[tranches]]
name = "B"
class = "subordinated"
balance = 10000

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },
]
"#;

const FLOATING_LOAN_SCENARIO: &str = r#"
[scenario]
index_paths.lpr_5y = [ { date = 2020-01-01, rate = 0.04 }, { date = 2025-01-01, rate = 0.06 } ]
"#;

#[test]
fn floating_loan_reamortizes_at_reset() {
    let deal = load(&format!(
        "{FLOATING_LOAN_POOL}{FLOATING_LIABILITIES}{FLOATING_LOAN_SCENARIO}"
    ));
    // Fixed on the start date at 4%: periodic rate r = 0.04 / 2 = 0.02, n = 4. Level
    // instalment = 100,000 × 0.02 × 1.02⁴ / (1.02⁴ − 1) = 2,164.86432 / 0.08243216
    //   = 26,262.3752… → 26,262.38.
    // i1 (2024-07-01): interest 100,000 × 0.02 = 2,000.00; principal 24,262.38 → 75,737.62.
    // i2 (2025-01-01; period from 2024-07-01, still the start-date fixing): interest
    //   75,737.62 × 0.02 = 1,514.7524 → 1,514.75; principal 24,747.63 → 50,989.99.
    // i3's period starts 2025-01-01, a reset: 6%, r = 0.03, 2 instalments left. New level
    //   instalment = 50,989.99 × 0.03 × 1.0609 / 0.0609 = 26,647.92 (26,647.918…).
    //   i3: interest 50,989.99 × 0.03 = 1,529.6997 → 1,529.70; principal 25,118.22 →
    //   25,871.77. i4 (2026-01-01; the same fixing): interest 25,871.77 × 0.03 = 776.1531 →
    //   776.15; principal the rest, 25,871.77.
    let inst = &deal.obligors[0].assets[0].instalments;
    let got: Vec<(Decimal, Decimal)> = inst.iter().map(|i| (i.principal, i.interest)).collect();
    assert_eq!(
        got,
        [
            (dec!(24262.38), dec!(2000.00)),
            (dec!(24747.63), dec!(1514.75)),
            (dec!(25118.22), dec!(1529.70)),
            (dec!(25871.77), dec!(776.15)),
        ]
    );
    // A scenario +100 bp: the start-date fixing is history (on or before the cutoff), so
    // i1 and i2 are unchanged; the 2025-01-01 fixing is 6% + 1% = 7%, r = 0.035: level
    // instalment 50,989.99 × 0.035 × 1.071225 / 0.071225 = 26,841.16 (26,841.157…);
    // i3 interest 50,989.99 × 0.035 = 1,784.64965 → 1,784.65, principal 25,056.51 →
    // 25,933.48; i4 interest 25,933.48 × 0.035 = 907.6718 → 907.67, principal 25,933.48.
    let mut up = deal.scenario.clone();
    up.indices.shift = dec!(0.01);
    let r = engine::run(&deal, &up).unwrap();
    let pool = |k: u32| {
        r.pool_flows
            .iter()
            .find(|x| x.period == k)
            .map(|x| (x.principal_collected, x.interest_collected))
            .unwrap()
    };
    assert_eq!(pool(1), (dec!(24262.38), dec!(2000.00)));
    assert_eq!(pool(2), (dec!(24747.63), dec!(1514.75)));
    assert_eq!(pool(3), (dec!(25056.51), dec!(1784.65)));
    assert_eq!(pool(4), (dec!(25933.48), dec!(907.67)));
    // The base run collects the deal's own schedule: period 3 interest 1,529.70.
    let base = engine::run(&deal, &deal.scenario).unwrap();
    let p3 = base.pool_flows.iter().find(|x| x.period == 3).unwrap();
    assert_eq!(p3.interest_collected, dec!(1529.70));
    // The suite of a deal with only a floating loan has the index stresses too.
    assert!(
        standard_suite(&deal, &deal.scenario)
            .iter()
            .any(|s| s.name == "index+100bp")
    );
}

/// A floating loan accruing by the day count (ACT/360): three monthly equal-principal
/// instalments from 2025-01-30, so their due dates are 2025-01-30, 2025-02-28 and 2025-03-30.
const FLOATING_DAY_COUNT_POOL: &str = r#"
[deal]
name = "floating day count"
cutoff_date = 2024-12-31
closing_date = 2024-12-31
payment_dates = [2025-01-31, 2025-02-28, 2025-03-31]
legal_maturity = 2025-03-31
day_count = "ACT/360"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "SME"
[[obligors.assets]]
kind = "loan"
balance = 90000
start_date = 2024-12-30
first_payment_date = 2025-01-30
term = 3
frequency = "monthly"
repayment = "equal_principal"
accrual = "day_count"
floating = { index = "lpr_1y", spread = 0, reset_every_months = 1, reset_from = 2025-01-30 }

"#;

const FLOATING_DAY_COUNT_SCENARIO: &str = r#"

[scenario]
index_paths.lpr_1y = [ { date = 2020-01-01, rate = 0.036 }, { date = 2025-01-30, rate = 0.072 } ]
"#;

#[test]
fn floating_loan_with_day_count_accrual_keeps_its_due_dates() {
    // The shared liabilities with A at 80,000: A + B = the 90,000 pool.
    let liabilities = FLOATING_LIABILITIES.replace("balance = 90000", "balance = 80000");
    let deal = load(&format!(
        "{FLOATING_DAY_COUNT_POOL}{liabilities}{FLOATING_DAY_COUNT_SCENARIO}"
    ));
    // Equal principal: 90,000 / 3 = 30,000.00 an instalment. ACT/360, rate in force at the
    // start of each instalment's period:
    // i1 2025-01-30 (from 2024-12-30, 31 days, fixed at the start date: 3.6%):
    //   90,000 × 0.036 × 31/360 = 279.00.
    // i2 2025-02-28 (from 2025-01-30, a reset: 7.2%; 60,000 re-amortized over the two
    //   instalments left, on their original dates): 60,000 × 0.072 × 29/360 = 348.00.
    // i3 2025-03-30 (from 2025-02-28, 30 days): 30,000 × 0.072 × 30/360 = 180.00. Dates
    //   generated afresh from 2025-02-28, a month-end, would give 2025-03-31: 31 days, 186.00.
    let inst = &deal.obligors[0].assets[0].instalments;
    let d = |m: u32, day: u32| chrono::NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    let got: Vec<_> = inst
        .iter()
        .map(|i| (i.date, i.principal, i.interest))
        .collect();
    assert_eq!(
        got,
        [
            (d(1, 30), dec!(30000.00), dec!(279.00)),
            (d(2, 28), dec!(30000.00), dec!(348.00)),
            (d(3, 30), dec!(30000.00), dec!(180.00)),
        ]
    );
    // +100 bp: the 2025-01-30 fixing is after the cutoff, so it is 7.2% + 1% = 8.2%; the
    // start-date fixing (history) is unchanged. i2: 60,000 × 0.082 × 29/360 = 396.3333… →
    // 396.33; i3: 30,000 × 0.082 × 30/360 = 205.00.
    let mut up = deal.scenario.clone();
    up.indices.shift = dec!(0.01);
    let r = engine::run(&deal, &up).unwrap();
    let interest = |k: u32| {
        r.pool_flows
            .iter()
            .find(|x| x.period == k)
            .map(|x| x.interest_collected)
            .unwrap()
    };
    assert_eq!(
        [interest(1), interest(2), interest(3)],
        [dec!(279.00), dec!(396.33), dec!(205.00)]
    );
}

/// A floating bullet (到期一次还本付息): 1,234,567.89 lent on the cutoff date 2025-01-15,
/// quarterly notional periods, term 4 (maturity 2026-01-15), rate = 1-year LPR + 0.5% reset
/// every 3 months from 2025-04-15. The index is 3.1% until 2025-06-30 and 3.0% from
/// 2025-07-01 (illustrative round numbers).
const FLOATING_BULLET_POOL: &str = r#"
[deal]
name = "floating bullet"
cutoff_date = 2025-01-15
closing_date = 2025-01-15
payment_dates = [2025-07-15, 2026-01-15]
legal_maturity = 2026-01-15
day_count = "ACT/365F"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "SME"
[[obligors.assets]]
kind = "loan"
balance = 1234567.89
start_date = 2025-01-15
term = 4
frequency = "quarterly"
repayment = "bullet"
floating = { index = "lpr_1y", spread = 0.005, reset_every_months = 3, reset_from = 2025-04-15 }

"#;

const FLOATING_BULLET_SCENARIO: &str = r#"

[scenario]
index_paths.lpr_1y = [ { date = 2020-01-01, rate = 0.031 }, { date = 2025-07-01, rate = 0.030 } ]
"#;

#[test]
fn floating_bullet_pays_the_interest_of_each_notional_period_at_maturity() {
    // A = 1,100,000 and B = 10,000 under the 1,234,567.89 pool.
    let liabilities = FLOATING_LIABILITIES.replace("balance = 90000", "balance = 1100000");
    let deal = load(&format!(
        "{FLOATING_BULLET_POOL}{liabilities}{FLOATING_BULLET_SCENARIO}"
    ));
    // Notional periods 2025-01-15 → 04-15 → 07-15 → 10-15 → 2026-01-15, each at the rate
    // fixed on its first day: 3.1% + 0.5% = 3.6% (the start date), 3.6% (04-15), 3.0% + 0.5%
    // = 3.5% (07-15), 3.5% (10-15). Periodic accrual, 4 payments a year:
    //   1,234,567.89 × (0.036 + 0.036 + 0.035 + 0.035) / 4 = 1,234,567.89 × 0.0355
    //   = 43,827.160095 → 43,827.16, paid with the principal on 2026-01-15.
    let d = |y: i32, m: u32, day: u32| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let got: Vec<_> = deal.obligors[0].assets[0]
        .instalments
        .iter()
        .map(|i| (i.date, i.principal, i.interest))
        .collect();
    assert_eq!(got, [(d(2026, 1, 15), dec!(1234567.89), dec!(43827.16))]);
    // +100 bp: the start-date fixing is history (on the cutoff date) and stays 3.6%; the
    // three later fixings are 4.6%, 4.5%, 4.5%: 1,234,567.89 × 0.172 / 4 = 53,086.41927 →
    // 53,086.42, collected in period 2.
    let mut up = deal.scenario.clone();
    up.indices.shift = dec!(0.01);
    let r = engine::run(&deal, &up).unwrap();
    let p2 = r.pool_flows.iter().find(|x| x.period == 2).unwrap();
    assert_eq!(
        (p2.principal_collected, p2.interest_collected),
        (dec!(1234567.89), dec!(53086.42))
    );

    // The same loan accruing by the day count (ACT/365F): the periods have 90, 91, 92 and
    // 92 days (365 in all):
    //   1,234,567.89 × (0.036 × 90 + 0.036 × 91 + 0.035 × 92 + 0.035 × 92) / 365
    //   = 1,234,567.89 × 12.956 / 365 = 43,822.0865… → 43,822.09;
    // +100 bp: 1,234,567.89 × (0.036 × 90 + 0.046 × 91 + 0.045 × 184) / 365
    //   = 1,234,567.89 × 15.706 / 365 = 53,123.6254… → 53,123.63.
    let pool = FLOATING_BULLET_POOL.replace(
        "repayment = \"bullet\"",
        "repayment = \"bullet\"\naccrual = \"day_count\"",
    );
    let deal = load(&format!("{pool}{liabilities}{FLOATING_BULLET_SCENARIO}"));
    let inst = &deal.obligors[0].assets[0].instalments;
    assert_eq!(inst.len(), 1);
    assert_eq!(inst[0].interest, dec!(43822.09));
    let mut up = deal.scenario.clone();
    up.indices.shift = dec!(0.01);
    let r = engine::run(&deal, &up).unwrap();
    let p2 = r.pool_flows.iter().find(|x| x.period == 2).unwrap();
    assert_eq!(p2.interest_collected, dec!(53123.63));

    // An exact half-fen tie, rounded once from the exact sum: 1,000,010.00 at the same
    // periodic rates is 1,000,010.00 × 0.142 / 4 = 35,500.355 exactly → 35,500.36 half up
    // (the default) and 35,500.35 with `rounding = "truncate"`.
    let tie = FLOATING_BULLET_POOL.replace("balance = 1234567.89", "balance = 1000010");
    for (rounding, want) in [
        ("", dec!(35500.36)),
        ("rounding = \"truncate\"\n", dec!(35500.35)),
    ] {
        let pool = tie.replace(
            "collection_lag_days = 0\n",
            &format!("collection_lag_days = 0\n{rounding}"),
        );
        let deal = load(&format!("{pool}{liabilities}{FLOATING_BULLET_SCENARIO}"));
        assert_eq!(
            deal.obligors[0].assets[0].instalments[0].interest, want,
            "{rounding}"
        );
    }
}

/// Item 5: a reserve target formula with a step-down, deposits and releases in separate steps.
const RESERVE_FORMULA: &str = r#"
[[tranches]]
name = "A"
class = "senior"
balance = 1000000
coupon = 0.04
amortization = "pass_through"

[[tranches]]
name = "B"
class = "subordinated"
balance = 100000

[reserve]
initial = 30000
covers = ["senior_interest"]
# The larger of (5% of the senior balance, at most 40,000) and one period's senior interest.
formula = { max = [ { min = [ { share = 0.05, of = "senior_balance" }, { fixed = 40000 } ] }, { multiple = 1.0 } ] }
step_down = { after = 2025-06-30, default_ratio_below = 0.05, formula = { fixed = 10000 } }

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "top_up_reserve", release = false },
  { action = "pay_principal", tranches = ["A"] },
  { action = "release_reserve" },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },
]
"#;

#[test]
fn reserve_formula_step_down_and_release_step() {
    let r = run(&format!("{HEADER}{RESERVE_FORMULA}"));
    // The target at a step, with A's balance S as it stands there and yf = 1/2:
    //   max(min(0.05 × S, 40,000), 1.0 × S × 0.04 / 2) = max(min(0.05 S, 40,000), 0.02 S);
    //   from the payment date 2025-07-01 (on or after 2025-06-30, and no defaults: ratio 0 <
    //   5%) the step-down 10,000; on the last date 0.
    // `top_up_reserve` (release = false) only deposits; `release_reserve` after A's
    // principal releases the excess into the collection account, where B's steps (senior
    // not yet repaid) leave it for the next date.
    //
    // P1: cash 305,000. A interest 1,000,000 × 0.02 = 20,000 → 285,000. Deposit step: S =
    //   1,000,000: max(min(50,000, 40,000), 20,000) = 40,000; reserve 30,000 → deposit 10,000
    //   → cash 275,000. A principal 275,000 → S = 725,000. Release step: max(min(36,250,
    //   40,000), 14,500) = 36,250; reserve 40,000 → release 3,750, carried.
    // P2: cash 305,000 + 3,750 = 308,750. Interest 725,000 × 0.02 = 14,500 → 294,250. Deposit:
    //   target 36,250 = reserve: nothing. Principal 294,250 → S = 430,750. Release: max(
    //   min(21,537.50, 40,000), 8,615) = 21,537.50: release 14,712.50, carried.
    // P3 (2025-07-01, stepped down to 10,000): cash 305,000 + 14,712.50 = 319,712.50;
    //   interest 430,750 × 0.02 = 8,615 → 311,097.50. Deposit: nothing (10,000 < 21,537.50).
    //   Principal 311,097.50 → S = 119,652.50. Release 21,537.50 − 10,000 = 11,537.50, carried.
    // P4 (last, target 0): cash 305,000 + 11,537.50 = 316,537.50; interest 119,652.50 × 0.02
    //   = 2,393.05 → 314,144.45; principal 119,652.50 → 194,491.95; release 10,000 →
    //   204,491.95; B principal 100,000 and residual 104,491.95.
    let expect = [
        (1, dec!(40000) - dec!(3750), dec!(3750), dec!(725000)),
        (2, dec!(21537.50), dec!(14712.50), dec!(430750)),
        (3, dec!(10000), dec!(11537.50), dec!(119652.50)),
        (4, dec!(0), dec!(0), dec!(0)),
    ];
    for (k, reserve, collection, a_end) in expect {
        let p = &r.periods[k as usize - 1];
        assert_eq!(p.reserve_balance_end, reserve, "reserve P{k}");
        assert_eq!(p.collection_balance_end, collection, "collection P{k}");
        assert_eq!(row(&r, "A", k).balance_end, a_end, "A balance P{k}");
    }
    assert_eq!(row(&r, "A", 3).principal_paid, dec!(311097.50));
    assert_eq!(row(&r, "B", 4).residual_paid, dec!(104491.95));
    // Without the step-down's condition holding (a threshold of 0: no ratio is below it)
    // P3's target is max(min(21,537.50, 40,000), 8,615) = 21,537.50 at the deposit step (no
    // deposit) and, after principal 311,097.50 (S = 119,652.50), max(min(5,982.625 → (half up)
    // 5,982.63, 40,000), 2,393.05) = 5,982.63 at the release step: released 21,537.50 −
    // 5,982.63 = 15,554.87.
    let held = RESERVE_FORMULA.replace("default_ratio_below = 0.05", "default_ratio_below = 0");
    let r = run(&format!("{HEADER}{held}"));
    assert_eq!(r.periods[2].reserve_balance_end, dec!(5982.63));
    assert_eq!(r.periods[2].collection_balance_end, dec!(15554.87));
}

/// Item 4: a fee paid half at one step and the rest lower down, a cap whose excess is paid
/// after senior principal, a fee on the interest paid to A, and a fee with start and end dates.
const FEES: &str = r#"
[[tranches]]
name = "A"
class = "senior"
balance = 1000000
coupon = 0.04
amortization = "pass_through"

[[tranches]]
name = "B"
class = "subordinated"
balance = 100000

[[fees]]
name = "servicer"
kind = "fixed"
amount = 10000
cap = 6000

[[fees]]
name = "trustee"
kind = "annual_rate"
rate = 0.10
base = "interest_paid:A"

[[fees]]
name = "manager"
kind = "fixed"
amount = 2000
start = 2025-01-01
end = 2025-07-01

[waterfalls]
normal = [
  { action = "pay_fee", fees = ["servicer"], share = 0.5 },
  { action = "pay_fee", fees = ["manager"] },
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_fee", fees = ["trustee"] },
  { action = "pay_fee", fees = ["servicer"] },
  { action = "pay_principal", tranches = ["A"] },
  { action = "pay_fee", fees = ["servicer"], part = "excess" },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = "senior_paid_off" },
]
"#;

fn fee(r: &RunResult, name: &str, period: u32) -> (Decimal, Decimal, Decimal) {
    let c = r
        .charges
        .iter()
        .find(|c| c.name.as_str() == name && c.period == period)
        .expect("fee row");
    (c.due, c.paid, c.arrears)
}

#[test]
fn fee_share_cap_excess_interest_paid_and_dates() {
    let r = run(&format!("{HEADER}{FEES}"));
    // Servicer: 10,000 a date, capped at 6,000; the 4,000 excess is due at the `excess` step,
    // after A's principal. The first step pays 0.5 × 6,000 = 3,000, the fifth the other
    // 3,000. Manager: 2,000 only on 2025-01-01 and 2025-07-01 (on or after its start, on or
    // before its end). Trustee: 10% of the interest paid to A on that date.
    // P1 (2024-07-01): 305,000 − 3,000 (servicer) − 0 (manager not started) − 20,000 (A
    //   interest 1,000,000 × 0.02) − 2,000 (trustee 10% × 20,000) − 3,000 (servicer) =
    //   277,000 to A's principal → A 723,000; excess 4,000 unpaid (no cash left).
    // P2: 305,000 − 3,000 − 2,000 − 14,460 (723,000 × 0.02) − 1,446 − 3,000 = 281,094 →
    //   A 441,906; excess 4,000 + 4,000 = 8,000 unpaid.
    // P3 (2025-07-01, the manager's last): 305,000 − 3,000 − 2,000 − 8,838.12 (441,906 ×
    //   0.02) − 883.81 (883.812) − 3,000 = 287,278.07 → A 154,627.93; excess 12,000 unpaid.
    // P4: 305,000 − 3,000 − 0 − 3,092.56 (154,627.93 × 0.02 = 3,092.5586) − 309.26 (309.256)
    //   − 3,000 = 295,598.18; A principal 154,627.93 → 140,970.25; excess 12,000 + 4,000 =
    //   16,000 → 124,970.25; B principal 100,000; residual 24,970.25.
    assert_eq!(row(&r, "A", 1).balance_end, dec!(723000));
    assert_eq!(row(&r, "A", 2).balance_end, dec!(441906));
    assert_eq!(row(&r, "A", 3).balance_end, dec!(154627.93));
    assert_eq!(row(&r, "B", 4).residual_paid, dec!(24970.25));
    // The fees table: due includes the excess and its arrears.
    assert_eq!(
        fee(&r, "servicer", 1),
        (dec!(10000), dec!(6000), dec!(4000))
    );
    assert_eq!(
        fee(&r, "servicer", 3),
        (dec!(18000), dec!(6000), dec!(12000))
    );
    assert_eq!(fee(&r, "servicer", 4), (dec!(22000), dec!(22000), dec!(0)));
    assert_eq!(fee(&r, "trustee", 3), (dec!(883.81), dec!(883.81), dec!(0)));
    assert_eq!(fee(&r, "trustee", 4), (dec!(309.26), dec!(309.26), dec!(0)));
    assert_eq!(fee(&r, "manager", 1), (dec!(0), dec!(0), dec!(0)));
    assert_eq!(fee(&r, "manager", 3), (dec!(2000), dec!(2000), dec!(0)));
    assert_eq!(fee(&r, "manager", 4), (dec!(0), dec!(0), dec!(0)));
    // The servicer's two steps in P1: 3,000 each, in the ledger with their reasons.
    let servicer_p1: Vec<(Decimal, &str)> = r
        .ledger
        .iter()
        .filter(|e| e.period == 1 && e.item.as_str() == "servicer")
        .map(|e| (e.amount, e.reason))
        .collect();
    assert_eq!(
        servicer_p1,
        [
            (dec!(3000), "share of the fee due"),
            (dec!(3000), "fee due")
        ]
    );
}

/// Which fees the coverage multiple deducts (docs/conventions.md, "The coverage multiple"): a
/// fee's due up to its `cap` and its arrears, not its excess over the cap (paid after the
/// senior principal), and not the new charge of a fee on `interest_paid:` (charged at its own
/// step, after the multiple). A review recomputed the multiple from `fees.parquet`'s `due`,
/// which includes the excess, and got another figure; the docs did not say.
///
/// The auditing fixture (period 1: collections 420,000.00, A 900,000.00 at 0.0091 a period)
/// with a `servicer` fee fixed 5,000.00 capped at 3,000.00 (excess 2,000.00) and a `agent` fee
/// of 1% a year on A's interest paid. Period 1: available 420,000.00; fees due up to the cap:
/// trustee 1,000.00 + servicer 3,000.00 (+ agent 0: charged at its step); senior due: interest
/// 8,190.00 and no principal (a pass-through senior's principal due is 0 before its expected
/// maturity: the multiple is against its interest alone). Coverage = (420,000 − 4,000) / 8,190
/// = 50.793650… → 50.793651. Deducting fees.parquet's due (1,000 + 5,000, and the agent's
/// charge) would give at most 414,000 / 8,190 = 50.549450….
#[test]
fn coverage_deducts_fees_up_to_their_cap_and_not_interest_paid_charges() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auditing.toml"),
    )
    .expect("fixture");
    let src = src
        .replace(
            "[[fees]]\nname = \"trustee\"\nkind = \"fixed\"\namount = 1000\n",
            "[[fees]]\nname = \"trustee\"\nkind = \"fixed\"\namount = 1000\n\n\
             [[fees]]\nname = \"servicer\"\nkind = \"fixed\"\namount = 5000\ncap = 3000\n\n\
             [[fees]]\nname = \"agent\"\nkind = \"annual_rate\"\nrate = 0.01\n\
             base = \"interest_paid:A\"\n",
        )
        .replace(
            "  { action = \"pay_fee\", fees = [\"trustee\"] },\n  { action = \"pay_interest\", tranches = [\"A\"] },\n",
            "  { action = \"pay_fee\", fees = [\"trustee\", \"servicer\"] },\n  { action = \"pay_interest\", tranches = [\"A\"] },\n  { action = \"pay_fee\", fees = [\"agent\"] },\n",
        )
        .replace(
            "  { action = \"pay_principal\", tranches = [\"B\"], when = \"senior_paid_off\" },\n",
            "  { action = \"pay_fee\", fees = [\"servicer\"], part = \"excess\" },\n  { action = \"pay_principal\", tranches = [\"B\"], when = \"senior_paid_off\" },\n",
        );
    assert!(src.contains("part = \"excess\"") && src.contains("interest_paid:A"));
    let r = run(&src);
    let p1 = r.periods.iter().find(|p| p.period == 1).expect("period 1");
    assert_eq!(p1.available_funds, dec!(420000.00));
    let want = (dec!(416000) / dec!(8190)).round_dp(6);
    assert_eq!(want, dec!(50.793651));
    assert_eq!(p1.coverage_multiple, Some(want));
    // fees.parquet's due includes the servicer's excess.
    let servicer = fee(&r, "servicer", 1);
    assert_eq!(servicer.0, dec!(5000.00));
}

/// `kind = "annual"` (since session 27): `amount` a year, due on `date` and every 12 months
/// after (default: the first anniversary of the closing date), each charged on the first
/// payment date on or after it, up to `end`. HEADER pays on 2024-07-01, 2025-01-01,
/// 2025-07-01 and 2026-01-01; closing 2024-01-01.
///
/// * `rating`, 20,000 a year, no `date`: due 2025-01-01 and 2026-01-01, charged in periods 2
///   and 4.
/// * `audit`, 8,000 from 2024-03-31: due 2024-03-31 (period 1), 2025-03-31 (period 3),
///   2026-03-31 (after the last date).
/// * `agency`, 5,000 from 2024-02-29 to 2025-06-30: due 2024-02-29 (period 1) and
///   2025-02-28 (the day clamped to February's end), whose date 2025-07-01 is after `end`:
///   nothing.
/// * `backlog`, 1,000 from 2023-06-01: 2023-06-01 and 2024-06-01 both fall due by
///   2024-07-01, so period 1 charges 2 × 1,000 = 2,000; then 2025-06-01 in period 3 (since
///   session 28 a `fee_before_closing` warning says so at load).
///
/// Every date has 305,000 of cash, so every charge is paid.
#[test]
fn annual_fees_fall_due_once_a_year() {
    let src = format!(
        "{HEADER}{}",
        r#"
[[tranches]]
name = "A"
class = "senior"
balance = 1000000
coupon = 0.02

[[fees]]
name = "rating"
kind = "annual"
amount = 20000

[[fees]]
name = "audit"
kind = "annual"
amount = 8000
date = 2024-03-31

[[fees]]
name = "agency"
kind = "annual"
amount = 5000
date = 2024-02-29
end = 2025-06-30

[[fees]]
name = "backlog"
kind = "annual"
amount = 1000
date = 2023-06-01

[waterfalls]
normal = [
  { action = "pay_fee", fees = ["rating", "audit", "agency", "backlog"] },
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
]
"#
    );
    let r = run(&src);
    let due = |name: &str| -> Vec<Decimal> { (1..=4).map(|p| fee(&r, name, p).0).collect() };
    assert_eq!(due("rating"), [dec!(0), dec!(20000), dec!(0), dec!(20000)]);
    assert_eq!(due("audit"), [dec!(8000), dec!(0), dec!(8000), dec!(0)]);
    assert_eq!(due("agency"), [dec!(5000), dec!(0), dec!(0), dec!(0)]);
    assert_eq!(due("backlog"), [dec!(2000), dec!(0), dec!(1000), dec!(0)]);
    for name in ["rating", "audit", "agency", "backlog"] {
        for p in 1..=4 {
            let (d, paid, arrears) = fee(&r, name, p);
            assert_eq!((paid, arrears), (d, dec!(0)), "{name} period {p}");
        }
    }
    // A `start` has no meaning beside the `date`: refused, at its key.
    let err = ipabs::validate::deal_from_str(
        "a.toml",
        &src.replacen(
            "date = 2024-03-31\n",
            "date = 2024-03-31\nstart = 2024-01-01\n",
            1,
        ),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("fees[1].start") && err.contains("does not apply to an annual fee"),
        "{err}"
    );
}

/// `day_count = "NL/365"` (since session 28): a 29 February earns no interest. A's first
/// accrual period, 2023-12-01 → 2024-03-01, is 31 + 31 + 29 = 91 actual days, 90 without
/// 2024-02-29: interest 1,000,000 × 0.05 × 90/365 = 12,328.767… → 12,328.77 (ACT/365F's
/// 91/365 would give 12,465.75). The pool pays 30,000 of interest on 2024-02-15, and A is
/// a pass-through: principal 30,000 − 12,328.77 = 17,671.23, balance 982,328.77. The second
/// period, 2024-03-01 → 2024-06-03 (2024-06-01 is a Saturday, paid on Monday the 3rd), is
/// 31 + 30 + 31 + 2 = 94 days with no 29 February: 982,328.77 × 0.05 × 94/365 =
/// 12,649.164… → 12,649.16; the pool's 1,030,000 on 2024-05-15 repays A. Under ACT/365F
/// the first period's principal is 30,000 − 12,465.75 = 17,534.25, balance 982,465.75, and
/// the second's interest 982,465.75 × 0.05 × 94/365 = 12,650.928… → 12,650.93.
#[test]
fn nl365_coupon_skips_29_february() {
    let src = r#"
[deal]
name = "nl365"
cutoff_date = 2023-12-01
closing_date = 2023-12-01
payment_dates = [2024-03-01, 2024-06-01]
legal_maturity = 2025-06-01
day_count = "NL/365"
business_day = "following"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "licence"
schedule = [
  { date = 2024-02-15, principal = 0, interest = 30000 },
  { date = 2024-05-15, principal = 1000000, interest = 30000 },
]

[[tranches]]
name = "A"
class = "senior"
balance = 1000000
coupon = 0.05
amortization = "pass_through"

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
]
"#;
    let r = run(src);
    let (p1, p2) = (row(&r, "A", 1), row(&r, "A", 2));
    assert_eq!(p1.interest_due, dec!(12328.77));
    assert_eq!(p1.interest_paid, dec!(12328.77));
    assert_eq!(p1.principal_paid, dec!(17671.23));
    assert_eq!(p2.interest_due, dec!(12649.16));
    assert_eq!(p2.principal_paid, dec!(982328.77));
    assert_eq!(p2.balance_end, dec!(0));
    // The same deal under ACT/365F: the first period's 91 days.
    let act = run(&src.replace("NL/365", "ACT/365F"));
    assert_eq!(row(&act, "A", 1).interest_due, dec!(12465.75));
    assert_eq!(row(&act, "A", 2).interest_due, dec!(12650.93));
}

/// A payment notice states a floating tranche's rate for the period, then its index and
/// spread (since session 28, review 28b item 4: the index and spread alone gave a reader no
/// rate to recompute interest per 100 from). The rates are those worked by hand in
/// `floating_tranche_coupon_resets_yearly`: 3.95% on P1, 3.60% on P3.
#[test]
fn the_notice_states_the_periods_floating_rate() {
    let deal = load(&format!("{HEADER}{FLOATING_TRANCHES}"));
    let r = engine::run(&deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    let text = |p: u32| ipabs::output::table::notice_text(&deal, &deal.scenario, &r, p, "test");
    let line = "* 票面利率 (coupon, a year): ";
    assert!(
        text(1).contains(&format!("{line}A 3.95% (lpr_1y + 0.5%); B 0%")),
        "{}",
        text(1)
    );
    assert!(
        text(3).contains(&format!("{line}A 3.6% (lpr_1y + 0.5%); B 0%")),
        "{}",
        text(3)
    );
}

/// An annual fee due on the last scheduled payment date, which `preceding` moves two days
/// earlier, is charged on it (review 28a item 2): the engine counts a date as reached when it
/// is paid or scheduled on or after it, and the validator refused the fee against the adjusted
/// date alone ("after the last payment date 2024-12-27"). 2024-06-30 and 2024-12-29 are
/// Sundays, paid on Fridays 06-28 and 12-27. P1 (not reaching 12-29): no fee; A's interest
/// 1,000,000 × 0.04 × 179/365 = 19,616.438… → 19,616.44, principal 530,000 − 19,616.44 =
/// 510,383.56, balance 489,616.44. P2 (scheduled 12-29): the fee's 20,000, then A's interest
/// 489,616.44 × 0.04 × 182/365 = 9,765.500… → 9,765.50 and its whole balance.
#[test]
fn an_annual_fee_due_on_a_date_paid_earlier_is_charged() {
    let src = r#"
[deal]
name = "preceding"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-06-30, 2024-12-29]
legal_maturity = 2025-06-30
business_day = "preceding"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "licence"
schedule = [
  { date = 2024-06-15, principal = 500000, interest = 30000 },
  { date = 2024-12-15, principal = 500000, interest = 30000 },
]

[[tranches]]
name = "A"
class = "senior"
balance = 1000000
coupon = 0.04
amortization = "pass_through"

[[fees]]
name = "rating_surveillance"
kind = "annual"
amount = 20000
date = 2024-12-29

[waterfalls]
normal = [
  { action = "pay_fee", fees = ["rating_surveillance"] },
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
]
"#;
    let r = run(src);
    let fee = |p: u32| {
        r.charges
            .iter()
            .find(|c| c.period == p && c.name.as_str() == "rating_surveillance")
            .map(|c| c.paid)
            .expect("fee row")
    };
    assert_eq!((fee(1), fee(2)), (dec!(0), dec!(20000)));
    assert_eq!(row(&r, "A", 1).interest_paid, dec!(19616.44));
    assert_eq!(row(&r, "A", 1).balance_end, dec!(489616.44));
    assert_eq!(row(&r, "A", 2).interest_paid, dec!(9765.50));
    assert_eq!(row(&r, "A", 2).principal_paid, dec!(489616.44));
}

/// A reserve target of a multiple of the next date's senior interest and fees counts only the
/// fees that run on that date (review 28c item 4: a fee ended on the first date still counted,
/// and 50,000 was held back from A's principal). tests/fixtures/hand_worked.toml without its
/// scenario, with a fee `x` of 50,000 every date until 2024-04-01, a reserve of 1× from 0, and
/// the top-up before A's principal. P1: pool cash 1,050,000; VAT 0.0326 × 50,000 = 1,630;
/// fees 1,000 + 50,000; A's interest 1,800,000 × 0.04 × 91/365 = 17,950.68. The target is P2's
/// senior interest on today's 1,800,000 (91 days: 17,950.68) plus P2's fees, the manager's
/// 1,000 alone (`x` has ended): 18,950.68, deposited; A's principal is 1,050,000 − 1,630 −
/// 51,000 − 17,950.68 − 18,950.68 = 960,468.64.
#[test]
fn the_reserve_target_counts_only_fees_that_run() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hand_worked.toml");
    let src = std::fs::read_to_string(path).expect("fixture");
    let src = src[..src.find("[scenario]").expect("scenario")]
        .replacen(
            "[taxes]]",
            "[fees]]\nname = \"x\"\nkind = \"fixed\"\namount = 50000\nend = 2024-04-01\n\n[[taxes]]",
            1,
        )
        .replacen("target = 5000\ninitial = 5000", "target_multiple = 1\ninitial = 0", 1)
        .replacen("fees = [\"manager\"]", "fees = [\"manager\", \"x\"]", 1)
        .replacen(
            "  { action = \"pay_principal\", tranches = [\"A\"] },\n  { action = \"top_up_reserve\" },\n",
            "  { action = \"top_up_reserve\" },\n  { action = \"pay_principal\", tranches = [\"A\"] },\n",
            1,
        );
    let r = run(&src);
    assert_eq!(r.periods[0].fees_paid, dec!(51000.00));
    assert_eq!(r.periods[0].reserve_deposit, dec!(18950.68));
    assert_eq!(r.periods[0].principal_paid, dec!(960468.64));
}

/// A loan's own day count (`day_count` with `accrual = "day_count"`, since session 29; review
/// 29b item 5: Chinese loan contracts accrue 日利率 = 年利率 / 360 while the securities count
/// ACT/365F). The bad-deal base's O2 loan (600,000 at 5%, lent 2023-12-15, first due
/// 2024-01-15: 31 days), first instalment's interest:
/// * `ACT/360`: 600,000 × 0.05 × 31 / 360 = 2,583.333… → 2,583.33;
/// * the deal's `ACT/365F`: 600,000 × 0.05 × 31 / 365 = 2,547.945… → 2,547.95;
/// * `periodic`: 600,000 × 0.05 / 12 = 2,500.00.
///
/// A `day_count` on a loan accruing `periodic` interest is an error at its key.
#[test]
fn a_loan_accrues_by_its_own_day_count() {
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_deals/valid/base.toml"),
    )
    .unwrap();
    let first_interest = |extra: &str| {
        let src = base.replace(
            "repayment = \"level\"\n",
            &format!("repayment = \"level\"\n{extra}"),
        );
        let deal = load(&src);
        let i = &deal.obligors[1].assets[0].instalments[0];
        assert_eq!(
            i.date,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 15).unwrap()
        );
        i.interest
    };
    assert_eq!(
        first_interest("accrual = \"day_count\"\nday_count = \"ACT/360\"\n"),
        dec!(2583.33)
    );
    assert_eq!(first_interest("accrual = \"day_count\"\n"), dec!(2547.95));
    assert_eq!(first_interest(""), dec!(2500.00));
    let src = base.replace(
        "repayment = \"level\"\n",
        "repayment = \"level\"\nday_count = \"ACT/360\"\n",
    );
    let err = match ipabs::validate::deal_from_str("d.toml", &src) {
        Ok(_) => panic!("a day_count without day_count accrual is refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(
            "obligors[1].assets[0].day_count: `day_count` applies to interest accrued by days"
        ),
        "{err}"
    );
}

/// `coupon_shift` (since session 35, review 35c G2): the rating reports' spread compression,
/// added to every senior and mezzanine coupon on every date. A fixed senior A of 1,000,000 at
/// 3%, pass-through, on the pool above (305,000 a period, year fraction 1/2 under 30/360),
/// with `coupon_shift = 0.005`: its coupon is 3.5%.
/// * P1 interest = 1,000,000 × 0.035 / 2 = 17,500.00 (15,000.00 unshifted); principal
///   305,000 − 17,500 = 287,500 → balance 712,500.00.
/// * P2 interest = 712,500 × 0.035 / 2 = 12,468.75; principal 292,531.25 → 419,968.75.
///
/// The summary's coupon and the payment notice's 本期票面利率 are 0.035; the subordinated B's
/// return cap is not shifted. A floating A (3.45% + 0.5% = 3.95% in P1, under its 4% cap)
/// takes the shift after its cap: 4.45%, so P1 interest = 1,000,000 × 0.0445 / 2 = 22,250.00.
#[test]
fn coupon_shift_raises_senior_coupons() {
    let fixed = FLOATING_TRANCHES
        .replace(
            "floating = { index = \"lpr_1y\", spread = 0.005, cap = 0.04, reset_every_months = 12, reset_from = 2025-01-01 }",
            "coupon = 0.03",
        )
        .replace(
            "balance = 100000\n",
            "balance = 100000\ncoupon = 0.02\n",
        );
    assert_ne!(fixed, FLOATING_TRANCHES);
    let base = run(&format!("{HEADER}{fixed}"));
    assert_eq!(row(&base, "A", 1).interest_due, dec!(15000.00));
    let r = run(&format!("{HEADER}{fixed}coupon_shift = 0.005\n"));
    assert_eq!(row(&r, "A", 1).interest_due, dec!(17500.00));
    assert_eq!(row(&r, "A", 1).balance_end, dec!(712500.00));
    assert_eq!(row(&r, "A", 2).interest_due, dec!(12468.75));
    assert_eq!(row(&r, "A", 2).balance_end, dec!(419968.75));
    let coupon = |t: &str| r.summary.iter().find(|s| s.tranche == t).unwrap().coupon;
    assert_eq!(coupon("A"), dec!(0.035));
    assert_eq!(coupon("B"), dec!(0.02));
    let notice = r
        .notices
        .iter()
        .find(|n| n.tranche == "A" && n.period == 1)
        .expect("notice");
    assert_eq!(notice.coupon, dec!(0.035));
    let floating = run(&format!(
        "{HEADER}{FLOATING_TRANCHES}coupon_shift = 0.005\n"
    ));
    assert_eq!(row(&floating, "A", 1).interest_due, dec!(22250.00));
    // The notice's coupon line states the coupon paid, and the shift (review 35d item F1: a
    // fixed coupon was printed unshifted).
    let line = "* 票面利率 (coupon, a year): ";
    let notice = |src: &str, r: &RunResult| {
        let deal = load(src);
        ipabs::output::table::notice_text(&deal, &deal.scenario, r, 1, "test")
    };
    let src = format!("{HEADER}{fixed}coupon_shift = 0.005\n");
    let text = notice(&src, &r);
    assert!(
        text.contains(&format!("{line}A 3.5% (3%, coupon_shift +0.5%); B 2%")),
        "{text}"
    );
    let src = format!("{HEADER}{FLOATING_TRANCHES}coupon_shift = 0.005\n");
    let text = notice(&src, &floating);
    assert!(
        text.contains(&format!(
            "{line}A 4.45% (lpr_1y + 0.5%, coupon_shift +0.5%); B 0%"
        )),
        "{text}"
    );
}

/// `[reserve] balances = "after_due_principal"`: the target reads the balances after the
/// principal due on the date, as a prospectus's 必备金额 does (review 39a item 4). gdd's first
/// date owes A down to its schedule's 242,000,000 from 285,000,000; its target (1.0 × the next
/// date's senior interest and fees, 2020-03-11 to 2020-09-11, 184 days, ACT/365F) is at the
/// step, by default, on 285,000,000 and after the due principal on 242,000,000:
///
/// * A's interest at 4%: 285,000,000 × 0.04 × 184/365 = 5,746,849.315 → 5,746,849.32, and
///   242,000,000 × 0.04 × 184/365 = 4,879,780.822 → 4,879,780.82;
/// * the manager's 0.15% of the senior balance: 215,506.849 → 215,506.85 and
///   182,991.781 → 182,991.78;
/// * the custodian's 0.02%: 28,734.247 → 28,734.25 and 24,398.904 → 24,398.90;
/// * the servicer's 0.1% of the pool balance (the same either way, as date 2 charges it) and
///   the fixed 60,000.
///
/// The default target is 903,918.92 higher: 867,068.50 + 32,515.07 + 4,335.35.
#[test]
fn a_reserve_target_on_the_balances_after_the_due_principal() {
    let src = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deals/gdd_patent_licence_2019.toml"),
    )
    .unwrap();
    let after = src.replacen(
        "target_multiple = 1.0\n",
        "target_multiple = 1.0\nbalances = \"after_due_principal\"\n",
        1,
    );
    assert_ne!(after, src);
    let (at_step, after_due) = (run(&src), run(&after));
    let target = |r: &RunResult| {
        r.periods
            .iter()
            .find(|p| p.period == 1)
            .and_then(|p| p.reserve_target)
            .expect("period 1's target")
    };
    let servicer = after_due
        .charges
        .iter()
        .find(|c| c.period == 2 && c.name.as_str() == "servicer")
        .expect("the servicer's fee on date 2")
        .charged;
    assert_eq!(
        target(&after_due),
        dec!(4879780.82) + dec!(182991.78) + dec!(24398.90) + servicer + dec!(60000)
    );
    assert_eq!(
        target(&at_step),
        dec!(5746849.32) + dec!(215506.85) + dec!(28734.25) + servicer + dec!(60000)
    );
    assert_eq!(target(&at_step) - target(&after_due), dec!(903918.92));

    // A repaid by its schedule on the fifth date (2022-03-11), before the last: after its due
    // principal no senior is left, so the target is 0 there whether `top_up_reserve` comes
    // before or after the principal step (review 39c item 3: before it, the target read the
    // balance at the step and kept the next date's pool fees, 86,951.76, in the reserve).
    let early = after.replacen(
        "  { date = 2022-03-11, balance = 51000000 },\n  { date = 2022-09-11, balance = 0 },\n",
        "  { date = 2022-03-11, balance = 0 },\n",
        1,
    );
    assert_ne!(early, after);
    let moved = early.replacen(
        "  { action = \"top_up_reserve\" },\n  { action = \"pay_principal\", tranches = [\"A\"] },\n",
        "  { action = \"pay_principal\", tranches = [\"A\"] },\n  { action = \"top_up_reserve\" },\n",
        1,
    );
    assert_ne!(moved, early);
    // A fixed target reads the same rule (review 39e item 4): 2,000,000 until then, 0 there.
    let fixed = early.replacen("target_multiple = 1.0\n", "target = 2000000\n", 1);
    assert_ne!(fixed, early);
    let p4 = run(&fixed)
        .periods
        .iter()
        .find(|p| p.period == 4)
        .and_then(|p| p.reserve_target);
    assert_eq!(p4, Some(dec!(2000000)));
    for src in [&early, &moved, &fixed] {
        let r = run(src);
        let p5 = r.periods.iter().find(|p| p.period == 5).expect("period 5");
        assert_eq!(p5.reserve_target, Some(dec!(0)));
    }
}
