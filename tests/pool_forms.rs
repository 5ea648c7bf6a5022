//! Pool forms of issue #12: generated licence-fee schedules (item 10) and scenario rules by
//! obligor or tag (item 9). Every expected figure is derived by hand in the comments from the
//! deal text and the rules in docs/deal-format.md and docs/scenarios.md, never copied from
//! the program's output.
//!
//! Common facts of the deal below: cutoff = closing = 2024-01-01; quarterly payment dates
//! 2024-04-01, 07-01, 10-01, 2025-01-01, 04-01, 07-01, 10-01 (unadjusted, weekends calendar,
//! no lag), so collection period k ends on payment date k and period 1 starts 2024-01-02.

use chrono::NaiveDate;
use ipabs::engine::{self, result::RunResult};
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

const HEADER: &str = r#"
[deal]
name = "pool forms"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
first_payment_date = 2024-04-01
frequency = "quarterly"
legal_maturity = 2025-10-01
day_count = "ACT/365F"
business_day = "unadjusted"
calendar = "weekends"
"#;

const LIABILITIES: &str = r#"
[[tranches]]
name = "A"
class = "senior"
balance = 600000
coupon = 0.04

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
"#;

/// The deal: `HEADER`, then `pool`, then `LIABILITIES`, then `scenario`.
fn run(pool: &str, scenario: &str) -> RunResult {
    let src = format!("{HEADER}{pool}{LIABILITIES}{scenario}");
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"))
}

fn pool_row<'a>(r: &'a RunResult, obligor: &str, period: u32) -> &'a ipabs::pool::PoolFlowRow {
    r.pool_flows
        .iter()
        .find(|x| &*x.obligor == obligor && x.period == period)
        .expect("row exists")
}

fn tranche_row<'a>(
    r: &'a RunResult,
    tranche: &str,
    period: u32,
) -> &'a ipabs::engine::result::TrancheFlowRow {
    r.tranche_flows
        .iter()
        .find(|x| &*x.tranche == tranche && x.period == period)
        .expect("row exists")
}

const GENERATED_LICENCE: &str = r#"
[[obligors]]
name = "L1"
tags = { industry = "software" }

[[obligors.assets]]
kind = "licence"
schedule = { first = 2024-03-31, frequency = "quarterly", periods = 6, amount = "123456.78", growth = 0.035 }
"#;

/// Item 10: a generated, growing licence-fee schedule collected and paid to the fen.
///
/// Instalments (docs/deal-format.md, generated licence-fee schedules): due 2024-03-31,
/// 06-30, 09-30, 12-31 (month ends kept), 2025-03-31, 06-30. Whole years from the first
/// date: 0, 0, 0, 0, 1, 1. Year 0: 123,456.78. Year 1: 123,456.78 × 1.035 = 127,777.7673
/// → 127,777.77 (half up, once). Pool balance at cutoff: 4 × 123,456.78 + 2 × 127,777.77 =
/// 493,827.12 + 255,555.54 = 749,382.66. Each instalment falls in the collection period
/// ending on the next payment date: periods 1-4 collect 123,456.78, periods 5-6 127,777.77,
/// period 7 nothing. A licence fee is all principal.
///
/// Period 1: A's interest = 600,000 × 0.04 × 91/365 (2024-01-01 → 04-01 is 31+29+31 = 91
/// days) = 5,983.5616… → 5,983.56; A's principal (pass-through) = 123,456.78 − 5,983.56 =
/// 117,473.22; A's balance after = 482,526.78.
#[test]
fn generated_growing_licence_fees() {
    let r = run(GENERATED_LICENCE, "");
    let year0 = dec!(123456.78);
    let year1 = dec!(127777.77);
    for period in 1..=4 {
        let row = pool_row(&r, "L1", period);
        assert_eq!(row.scheduled, year0, "period {period}");
        assert_eq!(row.principal_collected, year0, "period {period}");
        assert_eq!(row.interest_collected, Decimal::ZERO, "period {period}");
    }
    for period in 5..=6 {
        assert_eq!(
            pool_row(&r, "L1", period).collected,
            year1,
            "period {period}"
        );
    }
    assert_eq!(pool_row(&r, "L1", 7).collected, Decimal::ZERO);
    // Balance after period 4: the two year-1 instalments, 255,555.54.
    assert_eq!(pool_row(&r, "L1", 4).balance_end, dec!(255555.54));
    assert_eq!(pool_row(&r, "L1", 6).balance_end, Decimal::ZERO);

    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(a1.interest_paid, dec!(5983.56));
    assert_eq!(a1.principal_paid, dec!(117473.22));
    assert_eq!(a1.balance_end, dec!(482526.78));
    assert_eq!(r.periods[0].payment_date, d(2024, 4, 1));
}

/// Item 10, rounding mode: the same schedule under `rounding = "truncate"` cuts the year-1
/// instalment 127,777.7673 to 127,777.76 (each instalment its exact value rounded once).
#[test]
fn generated_fees_follow_the_deal_rounding() {
    let pool = GENERATED_LICENCE.to_string();
    let src = format!("{HEADER}rounding = \"truncate\"\n{pool}{LIABILITIES}");
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let inst = &loaded.deal.obligors[0].assets[0].instalments;
    assert_eq!(inst.len(), 6);
    assert_eq!(inst[4].date, d(2025, 3, 31));
    assert_eq!(inst[4].principal, dec!(127777.76));
    assert_eq!(inst[3].principal, dec!(123456.78));
}

const TWO_INDUSTRIES: &str = r#"
[[obligors]]
name = "S1"
tags = { industry = "semiconductor" }

[[obligors.assets]]
kind = "licence"
schedule = [ { date = 2024-03-31, amount = 100000 }, { date = 2024-06-30, amount = 100000 } ]

[[obligors]]
name = "S2"
tags = { industry = "software" }

[[obligors.assets]]
kind = "licence"
schedule = [ { date = 2024-03-31, amount = 100000 }, { date = 2024-06-30, amount = 100000 } ]
"#;

const BY_TAG: &str = r#"
[scenario]
name = "by-tag"
default_rate = 0.5
default_timing = [1]
recovery_rate = 0.4
recovery_lag_months = 3
overrides = [
  { tag = "industry:semiconductor", delay = { fraction = 1, months = 6 } },
  { tag = "industry:software", recovery_rate = 0.9, recovery_lag_months = 0 },
  { obligor = "S2", recovery_rate = 0.5 },
]
"#;

/// Item 9: CDR, recovery and delay by tag and by obligor (docs/scenarios.md, overrides).
///
/// Pool-wide: cumulative default rate 0.5, all of it in period 1 (`default_timing = [1]`),
/// recovery 40% after 3 months. Each obligor's balance at cutoff is 200,000, so 0.5 × 200,000
/// = 100,000 defaults on the first day of period 1 (2024-01-02) and each later instalment is
/// scaled by the surviving share 100,000 / 200,000 = 0.5: 50,000 each.
///
/// S1 (semiconductor): the first rule delays all (fraction 1) of its instalments 6 months;
/// no rule changes its recovery, so 40% × 100,000 = 40,000 arrives 2024-01-02 + 3 months =
/// 2024-04-02, in period 2 (04-02..07-01). Instalment 2024-03-31 (50,000) arrives 2024-09-30,
/// period 3 (07-02..10-01); 2024-06-30 (50,000) arrives 2024-12-30, period 4
/// (10-02..2025-01-01). Periods 1 and 2 collect nothing from it and report 50,000 delayed.
///
/// S2 (software): rule 2 sets recovery 90% and lag 0; rule 3 (later, by name) sets recovery
/// 50% and leaves the lag at rule 2's 0. Recovery 50% × 100,000 = 50,000 in period 1. No
/// delay: 50,000 collected in period 1 and in period 2.
#[test]
fn assumptions_by_tag_and_by_obligor() {
    let r = run(TWO_INDUSTRIES, BY_TAG);
    let z = Decimal::ZERO;
    // (period, collected, defaulted, recovered, delayed) of each obligor.
    let s1 = [
        (1, z, dec!(100000), z, dec!(50000)),
        (2, z, z, dec!(40000), dec!(50000)),
        (3, dec!(50000), z, z, z),
        (4, dec!(50000), z, z, z),
        (5, z, z, z, z),
    ];
    let s2 = [
        (1, dec!(50000), dec!(100000), dec!(50000), z),
        (2, dec!(50000), z, z, z),
        (3, z, z, z, z),
    ];
    for (name, rows) in [("S1", &s1[..]), ("S2", &s2[..])] {
        for &(period, collected, defaulted, recovered, delayed) in rows {
            let row = pool_row(&r, name, period);
            let got = (row.collected, row.defaulted, row.recovered, row.delayed);
            assert_eq!(
                got,
                (collected, defaulted, recovered, delayed),
                "{name} period {period}"
            );
        }
    }
    // Period 1 pool cash: S2's 50,000 collected + 50,000 recovered = 100,000; A's interest
    // 5,983.56 (as above), principal 100,000 − 5,983.56 = 94,016.44.
    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(a1.interest_paid, dec!(5983.56));
    assert_eq!(a1.principal_paid, dec!(94016.44));
}

/// Without overrides the same scenario treats both obligors alike (the pool-wide values), so
/// the by-tag result above is the overrides' doing: S1 then collects 50,000 in periods 1 and 2
/// and recovers 40,000 in period 2, like S2.
#[test]
fn without_overrides_both_obligors_follow_the_pool() {
    let scenario = BY_TAG
        .split("overrides")
        .next()
        .expect("scenario text")
        .to_string();
    let r = run(TWO_INDUSTRIES, &scenario);
    for name in ["S1", "S2"] {
        assert_eq!(pool_row(&r, name, 1).collected, dec!(50000));
        assert_eq!(pool_row(&r, name, 2).collected, dec!(50000));
        assert_eq!(pool_row(&r, name, 2).recovered, dec!(40000));
    }
}

/// Item 9: a stress suite built on every scenario of a scenario file. Two scenarios, `base`
/// (the deal's own pool-wide values) and `by-tag` (recovery 40%, S2's override 50%); the
/// standard suite's `recovery-50%` built on `by-tag` halves both: 20% pool-wide and 25% for
/// S2 (docs/scenarios.md: a stress applies to an override's values as to the pool-wide ones).
/// Each scenario is followed by its standard stresses (the deal has no support provider, so
/// no `supports-off` variants): 5 recovery cuts + 4 timing shifts + 4 CPR changes + the delay
/// + 3 combinations = 17, so 2 × (1 + 17) = 36 scenarios; `by-tag` is the 19th (index 18).
#[test]
fn a_stress_suite_on_every_scenario() {
    use ipabs::analytics::stress::StressSuite;
    let src = format!("{HEADER}{TWO_INDUSTRIES}{LIABILITIES}{BY_TAG}");
    let deal = deal_from_str("pool_forms.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let mut base = deal.scenario.clone();
    base.name = "base".into();
    base.overrides.clear();
    let by_tag = deal.scenario.clone();
    let all = StressSuite::Standard
        .on_every(&deal, &[base, by_tag])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 36);
    assert_eq!(all[0].name, "base");
    assert_eq!(all[1].name, "base×recovery-10%");
    assert_eq!(all[18].name, "by-tag");
    let cut = all
        .iter()
        .find(|s| s.name == "by-tag×recovery-50%")
        .expect("composed scenario");
    assert_eq!(cut.recovery_rate, dec!(0.2));
    assert_eq!(cut.overrides[2].recovery_rate, Some(dec!(0.25)));
    // Rule 2's 90% is halved too; the delay rule is replaced by the suite's delay only in the
    // delay stress.
    assert_eq!(cut.overrides[1].recovery_rate, Some(dec!(0.45)));
    let delayed = all
        .iter()
        .find(|s| s.name == "by-tag×delay-30%-6m")
        .expect("composed scenario");
    assert_eq!(delayed.overrides[0].delay, Some((dec!(0.3), 6)));
    assert_eq!(delayed.delay_fraction, dec!(0.3));
}
