//! Exact value, then one rounding, through the whole engine (docs/conventions.md): the ties of
//! issue #9 in tranche interest, a rate fee, a tax and the default curve; `rounding =
//! "truncate"`; `interest_on_shortfall`; the pro rata rules; an asset starting after the cutoff.
//! Every expected figure is worked by hand in the comments.

use ipabs::deal::Deal;
use ipabs::engine::{self, result::RunResult};
use ipabs::error::Error;
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// A deal with payment dates 2024-04-01, 07-01, 10-01 (closing 2024-01-01, ACT/365F,
/// unadjusted, collection lag 0): accrual periods of 91, 91 and 92 days. `deal_keys` go into
/// `[deal]`; `rest` holds obligors, tranches, fees, taxes and waterfalls.
fn deal(deal_keys: &str, rest: &str) -> Result<Deal, Error> {
    let src = format!(
        r#"
[deal]
name = "exact"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-04-01, 2024-07-01, 2024-10-01]
legal_maturity = 2024-10-01
day_count = "ACT/365F"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0
{deal_keys}
{rest}"#
    );
    deal_from_str("exact.toml", &src).map(|l| l.deal)
}

fn run(d: &Deal) -> RunResult {
    engine::run(d, &d.scenario).unwrap_or_else(|e| panic!("{e}"))
}

fn interest_due(r: &RunResult, tranche: &str, period: u32) -> Decimal {
    r.tranche_flows
        .iter()
        .find(|f| f.tranche == tranche && f.period == period)
        .map(|f| f.interest_due)
        .expect("row")
}

/// Paid to `payee` (an output account name such as `fee:mgr`) in `period`.
fn paid_to(r: &RunResult, payee: &str, period: u32) -> Decimal {
    r.ledger
        .iter()
        .filter(|e| e.period == period && r.accounts.name(e.destination) == payee)
        .map(|e| e.amount)
        .sum()
}

/// One rich obligor (2,000,000 due 2024-03-15), A senior 1,000,050.00 at 3.65% (bullet, so its
/// balance is the same all along), a management fee of 3.65% a year on A's balance, a 3.65%
/// tax on the senior balance, and a subordinated tranche taking the rest.
const TIES: &str = r#"
[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "receivable"
amount = 2000000
due_date = 2024-03-15

[[tranches]]
name = "A"
class = "senior"
balance = "1000050.00"
coupon = 0.0365
amortization = "bullet"

[[tranches]]
name = "Sub"
class = "subordinated"
balance = 100000

[[fees]]
name = "mgr"
kind = "annual_rate"
rate = 0.0365
base = "tranche:A"

[[taxes]]
name = "vat"
rate = 0.0365
base = "senior_balance"

[waterfalls]
normal = [
  { action = "pay_tax", taxes = ["vat"] },
  { action = "pay_fee", fees = ["mgr"] },
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
  { action = "pay_residual", tranche = "Sub", when = "final_period" },
]
"#;

#[test]
fn half_fen_ties_round_half_up_by_default() {
    // Period 1 accrues 2024-01-01 → 04-01 = 31 + 29 + 31 = 91 days. Each of A's interest, the
    // fee and the tax is 1,000,050.00 × 0.0365 × 91 / 365 = 36,501.825 × 91 / 365
    // = 3,321,666.075 / 365 = 9,100.455 exactly, so 9,100.46. (Dividing 91 / 365 first,
    // to 28 digits, gave 9,100.45.)
    let r = run(&deal("", TIES).unwrap());
    assert_eq!(interest_due(&r, "A", 1), dec!(9100.46));
    assert_eq!(paid_to(&r, "fee:mgr", 1), dec!(9100.46));
    assert_eq!(paid_to(&r, "tax:vat", 1), dec!(9100.46));
    // Period 2 (04-01 → 07-01 = 30 + 31 + 30 = 91 days): the same 9,100.46.
    assert_eq!(interest_due(&r, "A", 2), dec!(9100.46));
    // Period 3 (07-01 → 10-01 = 31 + 31 + 30 = 92 days): 36,501.825 × 92 / 365
    // = 3,358,167.9 / 365 = 9,200.4600 exactly (365 × 9,200.46 = 3,358,167.9): 9,200.46.
    assert_eq!(interest_due(&r, "A", 3), dec!(9200.46));
}

#[test]
fn truncate_cuts_every_amount_to_the_fen() {
    // The same ties cut toward zero: 9,100.455 → 9,100.45; 9,200.46 is exact and stays.
    let r = run(&deal("rounding = \"truncate\"", TIES).unwrap());
    assert_eq!(interest_due(&r, "A", 1), dec!(9100.45));
    assert_eq!(paid_to(&r, "fee:mgr", 1), dec!(9100.45));
    assert_eq!(paid_to(&r, "tax:vat", 1), dec!(9100.45));
    assert_eq!(interest_due(&r, "A", 3), dec!(9200.46));
}

#[test]
fn default_curve_shares_are_exact() {
    // One receivable of 1,000,000.10 due in period 3, default_rate 0.15 spread evenly over the
    // 3 periods up to the pool's last instalment: period 1's default is
    // 1,000,000.10 × 0.15 / 3 = 50,000.005 exactly → 50,000.01 (half up), 50,000.00
    // (truncate). Multiplying by 0.15 × (1/3 cut to 28 digits) gave 50,000.0049…, so 50,000.00.
    let rest = r#"
[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "receivable"
amount = "1000000.10"
due_date = 2024-09-15

[[tranches]]
name = "A"
class = "senior"
balance = 500000
coupon = 0

[waterfalls]
normal = [
  { action = "pay_principal", tranches = ["A"] },
]

[scenario]
default_rate = 0.15
"#;
    let defaulted = |keys: &str| {
        let r = run(&deal(keys, rest).unwrap());
        r.pool_flows
            .iter()
            .find(|p| p.period == 1)
            .map(|p| p.defaulted)
            .expect("row")
    };
    assert_eq!(defaulted(""), dec!(50000.01));
    assert_eq!(defaulted("rounding = \"truncate\""), dec!(50000.00));

    // A share given with 28 digits (the shares sum to exactly 1, so they are not normalised):
    // 1,000,000.10 × 0.15 × 0.3333333333333333333333333333 = 50,000.0049999…995 → 50,000.00
    // (half up). The product 0.15 × share has 29 significant digits; Decimal rounded it to
    // 0.05, and 1,000,000.10 × 0.05 = 50,000.005 → 50,000.01 (review 24b item 2). The two
    // factors now go to the amount apart.
    let rest = rest.replace(
        "default_rate = 0.15",
        "default_rate = 0.15\ndefault_timing = [\"0.3333333333333333333333333333\", \
         \"0.6666666666666666666666666667\"]",
    );
    let r = run(&deal("", &rest).unwrap());
    let p1 = r.pool_flows.iter().find(|p| p.period == 1).expect("row");
    assert_eq!(p1.defaulted, dec!(50000.00));
}

/// A at 3.65% on 1,000,000.00 (91-day periods: 1,000,000 × 0.0365 × 91 / 365 = 9,100.00
/// exactly), paid from 4,000.00 in period 1 and 2,000,000 in period 2.
fn shortfall_deal(flag: &str) -> Deal {
    let rest = format!(
        r#"
[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "licence"
schedule = [
  {{ date = 2024-03-15, amount = 4000 }},
  {{ date = 2024-06-15, amount = 2000000 }},
]

[[tranches]]
name = "A"
class = "senior"
balance = 1000000
coupon = 0.0365
{flag}

[[tranches]]
name = "Sub"
class = "subordinated"
balance = 100000

[waterfalls]
normal = [
  {{ action = "pay_interest", tranches = ["A"] }},
  {{ action = "pay_principal", tranches = ["A"] }},
  {{ action = "pay_residual", tranche = "Sub", when = "final_period" }},
]
"#
    );
    deal("", &rest).unwrap()
}

#[test]
fn interest_on_shortfall_accrues_on_unpaid_interest() {
    // Period 1: 9,100.00 due, 4,000.00 paid, 5,100.00 carried.
    // Period 2 without the key: 9,100.00 + 5,100.00 = 14,200.00 due.
    let r = run(&shortfall_deal(""));
    assert_eq!(interest_due(&r, "A", 1), dec!(9100.00));
    assert_eq!(interest_due(&r, "A", 2), dec!(14200.00));
    // With it: the 5,100.00 accrues too, (1,000,000 + 5,100) × 0.0365 × 91 / 365
    // = 36,686.15 × 91 / 365 = 3,338,439.65 / 365 = 9,146.410… → 9,146.41;
    // due 9,146.41 + 5,100.00 = 14,246.41, paid in full from period 2's 2,000,000.
    let r = run(&shortfall_deal("interest_on_shortfall = true"));
    assert_eq!(interest_due(&r, "A", 1), dec!(9100.00));
    assert_eq!(interest_due(&r, "A", 2), dec!(14246.41));
    let row = r
        .tranche_flows
        .iter()
        .find(|f| f.tranche == "A" && f.period == 2)
        .unwrap();
    assert_eq!(row.interest_paid, dec!(14246.41));
    assert_eq!(row.interest_shortfall, dec!(0));
}

#[test]
fn pro_rata_rule_is_a_deal_setting() {
    // 0.07 of pool cash over A1, A2, A3 (600, 300, 100, pro rata principal): exact shares
    // 4.2, 2.1 and 0.7 fen. Rounded down: 4, 2, 0, one fen left.
    //   list_order (default): to A1 → 0.05, 0.02, 0.00;
    //   largest_remainder: to A3 (0.7 is the largest remainder) → 0.04, 0.02, 0.01;
    //   half_up_last_takes_rest: 4.2 → 4, 2.1 → 2, A3 takes 7 − 6 = 1 → 0.04, 0.02, 0.01.
    let rest = r#"
[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "receivable"
amount = "0.07"
due_date = 2024-03-15

[[tranches]]
name = "A1"
class = "senior"
balance = 600
coupon = 0

[[tranches]]
name = "A2"
class = "senior"
balance = 300
coupon = 0

[[tranches]]
name = "A3"
class = "senior"
balance = 100
coupon = 0

[waterfalls]
normal = [
  { action = "pay_principal", tranches = ["A1", "A2", "A3"], order = "pro_rata" },
]
"#;
    let shares = |keys: &str| -> Vec<Decimal> {
        let r = run(&deal(keys, rest).unwrap());
        ["tranche:A1", "tranche:A2", "tranche:A3"]
            .iter()
            .map(|t| paid_to(&r, t, 1))
            .collect()
    };
    assert_eq!(shares(""), vec![dec!(0.05), dec!(0.02), dec!(0.00)]);
    assert_eq!(
        shares("pro_rata_rounding = \"largest_remainder\""),
        vec![dec!(0.04), dec!(0.02), dec!(0.01)]
    );
    assert_eq!(
        shares("pro_rata_rounding = \"half_up_last_takes_rest\""),
        vec![dec!(0.04), dec!(0.02), dec!(0.01)]
    );
}

#[test]
fn an_asset_starting_after_the_cutoff_is_refused_at_its_key() {
    let rest = r#"
[[obligors]]
name = "O1"
[[obligors.assets]]
kind = "loan"
balance = 100000
rate = 0.05
start_date = 2024-01-02
term = 3
frequency = "quarterly"
repayment = "level"

[[tranches]]
name = "A"
class = "senior"
balance = 100000
coupon = 0

[waterfalls]
normal = [ { action = "pay_principal", tranches = ["A"] } ]
"#;
    let Err(Error::Input(errors)) = deal("", rest) else {
        panic!("expected an input error");
    };
    let e = &errors[0];
    assert_eq!(e.key_path, "obligors[0].assets[0].start_date");
    assert!(
        e.problem.contains("after the cutoff date 2024-01-01"),
        "{}",
        e.problem
    );
    // Line 20 of the generated file: a blank line 1, `[deal]` and its 10 keys on lines 2–11,
    // the empty `deal_keys` on 12, a blank 13, then `[[obligors]]` 14, `name` 15,
    // `[[obligors.assets]]` 16, `kind` 17, `balance` 18, `rate` 19, `start_date` 20; the value
    // starts at column 14.
    assert_eq!((e.line, e.column), (20, 14));
}

#[test]
fn bad_rounding_names_are_located_errors() {
    let Err(Error::Input(errors)) = deal("rounding = \"bankers\"", TIES) else {
        panic!("expected an input error");
    };
    assert_eq!(errors[0].key_path, "deal.rounding");
    assert_eq!(errors[0].expected, "one of: half_up, truncate");
    let Err(Error::Input(errors)) = deal("pro_rata_rounding = \"largest\"", TIES) else {
        panic!("expected an input error");
    };
    assert_eq!(errors[0].key_path, "deal.pro_rata_rounding");
    assert_eq!(
        errors[0].expected,
        "one of: list_order, largest_remainder, half_up_last_takes_rest"
    );
}
