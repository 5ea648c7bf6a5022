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
