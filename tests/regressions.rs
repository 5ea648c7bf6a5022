//! Regression tests from the hardening work (docs/robustness.md): shrunk property-test
//! failures, fuzz findings and arithmetic extremes, each with its deal inline.
//!
//! Five of them reproduced bugs found by the property tests and fixed since: pro rata overflow
//! (two), an unbounded reserve multiple, an unvalidated scenario, and a pro rata principal step
//! that let support pay a junior while a senior was short. Tests named `documented_*` pin down
//! behaviour that is correct but explains a restriction of a property.

#[path = "properties/check.rs"]
mod check;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ipabs::engine::{self, result::RunResult};
use ipabs::error::Error;
use ipabs::scenario::Scenario;
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// What happened to a deal file.
#[derive(Debug)]
enum Outcome {
    /// Rejected by the loader.
    Rejected(String),
    /// Loaded, but the run returned an error.
    RunError(Error),
    /// Loaded and ran; the accounting invariants hold.
    Ran(Box<RunResult>),
}

/// Loads and runs `toml` (optionally changing the scenario), catching panics: a panic fails the
/// test with its message. A run that succeeds must satisfy every accounting invariant.
fn outcome_with(toml: &str, tweak: impl FnOnce(&mut Scenario)) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let loaded = match deal_from_str("regression.toml", toml) {
            Ok(l) => l,
            Err(e) => return Outcome::Rejected(e.to_string()),
        };
        let deal = loaded.deal;
        let mut scenario = deal.scenario.clone();
        tweak(&mut scenario);
        match engine::run(&deal, &scenario) {
            Ok(r) => {
                if let Err(e) = check::accounting(&deal, &r) {
                    panic!("invariant broken: {e}");
                }
                Outcome::Ran(Box::new(r))
            }
            Err(e) => Outcome::RunError(e),
        }
    }));
    match result {
        Ok(o) => o,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("panicked instead of returning an error: {msg}\n----- deal.toml -----\n{toml}")
        }
    }
}

fn outcome(toml: &str) -> Outcome {
    outcome_with(toml, |_| {})
}

fn ran(toml: &str) -> Box<RunResult> {
    match outcome(toml) {
        Outcome::Ran(r) => r,
        other => panic!("expected a run, got {other:?}\n----- deal.toml -----\n{toml}"),
    }
}

fn run_at_default_rate(toml: &str, rate: Decimal) -> Box<RunResult> {
    match outcome_with(toml, |s| s.default_rate = rate) {
        Outcome::Ran(r) => r,
        other => panic!("expected a run, got {other:?}"),
    }
}

/// A deal header: one payment date per entry of `dates`, unadjusted, weekends calendar.
fn header(cutoff: &str, dates: &[&str], legal: &str) -> String {
    format!(
        "[deal]\nname = \"regression\"\ncutoff_date = {cutoff}\nclosing_date = {cutoff}\n\
         payment_dates = [{}]\nlegal_maturity = {legal}\nbusiness_day = \"unadjusted\"\n\
         calendar = \"weekends\"\n",
        dates.join(", ")
    )
}

// ---------------------------------------------------------------------------------------
// Shrunk property failures.

/// Seniority property (docs/robustness.md), found with pro rata senior principal. A pro rata
/// `pay_principal` step in `scheduled` mode sizes the support draw to the scheduled tranche's
/// principal due (1000) but shares the cash by what each tranche can take, so the
/// pass-through senior A takes half of it and the scheduled senior B is paid 500 of 1000 due.
/// The next step then draws the same support to pay the mezzanine M its principal in full:
/// credit support pays a junior while a senior is short on the same date.
/// Proposed fix (src/engine/state.rs, `pay_principal`, `ProRata`): pay the contractual part
/// first (pro rata by principal due, which is what the draw was sized for), then share the
/// rest pro rata by what each tranche can still take.
#[test]
fn pro_rata_principal_keeps_support_draw_for_the_senior_due() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = 1000
due_date = 2024-03-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 1000
coupon = 0

[[tranches]]
name = \"B\"
class = \"senior\"
balance = 1000
coupon = 0
amortization = \"scheduled\"
target_balances = [{{ date = 2024-04-01, balance = 0 }}]

[[tranches]]
name = \"M\"
class = \"mezzanine\"
balance = 100
coupon = 0
amortization = \"scheduled\"
target_balances = [{{ date = 2024-04-01, balance = 0 }}]

[[supports]]
name = \"s\"
provider = \"guarantor\"
kind = \"guarantee\"
covers = [\"senior_interest\", \"senior_principal\", \"mezzanine_interest\", \"mezzanine_principal\"]

[waterfalls]
normal = [
  {{ action = \"pay_principal\", tranches = [\"A\", \"B\"], order = \"pro_rata\" }},
  {{ action = \"pay_principal\", tranches = [\"M\"] }},
]
",
        header("2024-01-01", &["2024-04-01", "2024-07-01"], "2024-07-01")
    );
    let r = ran(&toml);
    check::seniority(&r).unwrap_or_else(|e| panic!("{e}"));
}

/// Seniority property: why the standard waterfall tops up the reserve before any interest.
/// With `top_up_reserve` after the interest steps, the reserve released once the seniors are
/// repaid (period 2, target 0) skips the mezzanine's interest step and reaches the
/// subordinated tranche's residual while M2 is short of interest. Correct for the waterfall as
/// written; the property's standard waterfall puts the top-up first.
#[test]
fn documented_reserve_released_after_interest_reaches_the_residual() {
    let toml = "
[deal]
name = \"prop deal\"
cutoff_date = 2005-01-01
closing_date = \"2005-01-01\"
first_payment_date = 2005-02-01
frequency = \"monthly\"
legal_maturity = 2005-04-19
day_count = \"ACT/365F\"
business_day = \"unadjusted\"
calendar = \"weekends\"

[[obligors]]
name = \"O0\"
[[obligors.assets]]
kind = \"licence\"
schedule = [
  { date = 2005-01-02, amount = 1000 },
]

[[tranches]]
name = \"A0\"
class = \"senior\"
balance = \"166.66\"
coupon = 0.035
amortization = \"pass_through\"

[[tranches]]
name = \"Sub1\"
class = \"subordinated\"
balance = \"166.66\"
amortization = \"pass_through\"

[[tranches]]
name = \"M2\"
class = \"mezzanine\"
balance = \"166.66\"
coupon = 0.035
amortization = \"bullet\"

[reserve]
target = \"0.01\"

[waterfalls]
normal = [
  { action = \"pay_interest\", tranches = [\"A0\"] },
  { action = \"pay_interest\", tranches = [\"M2\"] },
  { action = \"top_up_reserve\" },
  { action = \"pay_principal\", tranches = [\"A0\"], order = \"sequential\", amount = \"scheduled\" },
  { action = \"pay_principal\", tranches = [\"M2\"] },
  { action = \"pay_sub_return\", tranche = \"Sub1\" },
  { action = \"pay_principal\", tranches = [\"Sub1\"], when = \"senior_paid_off\" },
  { action = \"pay_residual\", tranche = \"Sub1\", when = \"senior_paid_off\" },
]
";
    let r = ran(toml);
    let e = check::seniority(&r).expect_err("the released reserve reaches the residual");
    assert!(e.contains("junior Sub1") && e.contains("senior M2"), "{e}");
}

/// Seniority property: why standard deals have senior-closed `covers`. A support covering
/// senior and mezzanine principal but not senior interest pays the mezzanine's principal (due
/// in full on its expected maturity) while the senior is short of interest. Correct for the
/// covers as written.
#[test]
fn documented_support_for_mezzanine_principal_only() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O0\"
[[obligors.assets]]
kind = \"receivable\"
amount = 1000
due_date = 2024-05-01

[[tranches]]
name = \"A0\"
class = \"senior\"
balance = 30000000
coupon = 0.1
amortization = \"pass_through\"

[[tranches]]
name = \"M1\"
class = \"mezzanine\"
balance = 2000000
coupon = 0.035
expected_maturity = 2024-02-01

[[supports]]
name = \"sup0\"
provider = \"p\"
kind = \"shortfall_undertaking\"
covers = [\"senior_principal\", \"mezzanine_principal\"]

[waterfalls]
normal = [
  {{ action = \"pay_interest\", tranches = [\"A0\"] }},
  {{ action = \"pay_interest\", tranches = [\"M1\"] }},
  {{ action = \"pay_principal\", tranches = [\"A0\"] }},
  {{ action = \"pay_principal\", tranches = [\"M1\"] }},
]
",
        header("2024-01-01", &["2024-02-01", "2024-06-01"], "2024-06-01")
    );
    let r = ran(&toml);
    let e = check::seniority(&r).expect_err("the support pays M1's principal");
    assert!(
        e.contains("junior M1") && e.contains("interest shortfall"),
        "{e}"
    );
}

/// Monotonicity property: why its deals have no recoveries. An instalment due after the last
/// collection period is never collected; defaulting it with a 100% recovery at lag 0 turns it
/// into cash in period 1. More defaults, better seniors.
#[test]
fn documented_recoveries_can_make_defaults_help_seniors() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = 1000
due_date = 2024-12-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 1000
coupon = 0

[waterfalls]
normal = [ {{ action = \"pay_principal\", tranches = [\"A\"] }} ]

[scenario]
recovery_rate = 1
",
        header("2024-01-01", &["2024-04-01"], "2024-12-31")
    );
    let low = run_at_default_rate(&toml, dec!(0));
    let high = run_at_default_rate(&toml, dec!(1));
    assert_eq!(check::senior_deficit(&low), dec!(1000));
    assert_eq!(check::senior_deficit(&high), dec!(0));
}

/// Monotonicity property: why its deals have no flow-based (collections) fees. All pool cash
/// goes to a tax the reserve does not cover; the fee on collections is paid from the reserve,
/// which also covers senior interest. More pool cash (fewer defaults) raises the fee, so the
/// reserve has less for the senior: at default rate 0 the senior is 193 short of interest, at
/// default rate 1 (no pool cash, no fee) it is paid in full.
#[test]
fn documented_flow_fee_covered_by_reserve_can_make_defaults_help_seniors() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = 1000
due_date = 2024-03-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 100000
coupon = 0.1

[[fees]]
name = \"servicer\"
kind = \"annual_rate\"
rate = 0.5
base = \"collections\"

[[taxes]]
name = \"levy\"
rate = 0.9
base = \"tranche:A\"

[reserve]
target = 0
initial = 2800
covers = [\"fees\", \"senior_interest\"]

[waterfalls]
normal = [
  {{ action = \"pay_tax\", taxes = [\"levy\"] }},
  {{ action = \"pay_fee\", fees = [\"servicer\"] }},
  {{ action = \"pay_interest\", tranches = [\"A\"] }},
  {{ action = \"pay_principal\", tranches = [\"A\"] }},
]
",
        header("2024-01-01", &["2024-04-01"], "2024-04-01")
    );
    let low = run_at_default_rate(&toml, dec!(0));
    let high = run_at_default_rate(&toml, dec!(1));
    let shortfall = |r: &RunResult| r.summary[0].interest_shortfall;
    assert!(shortfall(&low) > Decimal::ZERO, "{:?}", low.summary[0]);
    assert_eq!(shortfall(&high), Decimal::ZERO, "{:?}", high.summary[0]);
    assert!(check::senior_deficit(&high) < check::senior_deficit(&low));
}

// ---------------------------------------------------------------------------------------
// Arithmetic extremes (§4): errors, never panics.

/// Two seniors of 9·10^14 shared pro rata with 5·10^14 of cash: `pro_rata` multiplies cash by
/// an amount (4.5·10^29 > Decimal's 7.9·10^28) and panics with "Multiplication overflowed".
/// Proposed fix (src/engine/state.rs, `pro_rata`): `cash.checked_mul(a).map(|p| p / total)`
/// falling back to `cash * (a / total)` (a ratio ≤ 1 cannot overflow); the leftover-fen loop
/// already absorbs the last digit.
#[test]
fn huge_pro_rata_principal_does_not_panic() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = \"500000000000000\"
due_date = 2024-03-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = \"900000000000000\"
coupon = 0

[[tranches]]
name = \"B\"
class = \"senior\"
balance = \"900000000000000\"
coupon = 0

[waterfalls]
normal = [ {{ action = \"pay_principal\", tranches = [\"A\", \"B\"], order = \"pro_rata\" }} ]
",
        header("2024-01-01", &["2024-04-01"], "2024-04-01")
    );
    let _ = outcome(&toml);
}

/// The same overflow through interest: two seniors at the money limit with a 99.99% coupon
/// over a 10-year accrual period are owed ~10^16 each; pro rata over 5·10^14 of cash panics.
#[test]
fn huge_pro_rata_interest_does_not_panic() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = \"500000000000000\"
due_date = 2024-03-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = \"999999999999999.99\"
coupon = 0.9999

[[tranches]]
name = \"B\"
class = \"senior\"
balance = \"999999999999999.99\"
coupon = 0.9999

[waterfalls]
normal = [ {{ action = \"pay_interest\", tranches = [\"A\", \"B\"] }} ]
",
        header("2024-01-01", &["2034-01-01"], "2034-01-01")
    );
    let _ = outcome(&toml);
}

/// `target_multiple` has no upper bound; the reserve target `fen(m × need)` overflows and
/// panics. Proposed fix: bound `reserve.target_multiple` in src/validate/deal.rs (e.g. ≤ 100,
/// like the other ratios) and use `checked_mul` in `reserve_target`
/// (src/engine/state.rs), saturating at the largest amount.
#[test]
fn huge_reserve_target_multiple_does_not_panic() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = 1000000
due_date = 2024-03-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 1000000
coupon = 0.05

[reserve]
target_multiple = \"79228162514264337593543950335\"

[waterfalls]
normal = [
  {{ action = \"pay_interest\", tranches = [\"A\"] }},
  {{ action = \"top_up_reserve\" }},
  {{ action = \"pay_principal\", tranches = [\"A\"] }},
]
",
        header("2024-01-01", &["2024-04-01", "2024-07-01"], "2024-07-01")
    );
    let _ = outcome(&toml);
}

/// Money at the limit (just below 10^15), rates just below 100%, one accrual period of 111
/// years (1990-01-01 to 2100-12-31, ACT/360): interest ~1.1·10^17 is fine for Decimal.
#[test]
fn money_limit_and_longest_accrual_run() {
    let r = ran(LIMITS);
    assert_eq!(r.periods.len(), 1);
}

/// The deal at the input limits of `money_limit_and_longest_accrual_run`.
const LIMITS: &str = "
[deal]
name = \"limits\"
cutoff_date = 1990-01-01
closing_date = 1990-01-01
payment_dates = [2100-12-31]
legal_maturity = 2100-12-31
day_count = \"ACT/360\"
business_day = \"unadjusted\"
calendar = \"weekends\"

[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = \"999999999999999.99\"
due_date = 2100-12-31
[[obligors.assets]]
kind = \"licence\"
schedule = [{ date = 2100-12-30, principal = \"999999999999999.99\", interest = \"999999999999999.99\" }]

[[tranches]]
name = \"A\"
class = \"senior\"
balance = \"999999999999999.99\"
coupon = 0.9999

[[tranches]]
name = \"Sub\"
class = \"subordinated\"
balance = \"999999999999999.99\"
coupon = 0.9999

[[fees]]
name = \"f\"
kind = \"annual_rate\"
rate = 0.9999
base = \"issue_size\"
cap_per_period = \"999999999999999.99\"

[[taxes]]
name = \"t\"
rate = 0.9999
base = \"collections\"

[reserve]
target = \"999999999999999.99\"
initial = \"999999999999999.99\"
covers = [\"taxes\", \"fees\", \"senior_interest\", \"senior_principal\"]

[[supports]]
name = \"s\"
provider = \"p\"
kind = \"guarantee\"
covers = [\"senior_interest\", \"senior_principal\"]

[waterfalls]
normal = [
  { action = \"pay_tax\", taxes = [\"t\"] },
  { action = \"pay_fee\", fees = [\"f\"] },
  { action = \"pay_interest\", tranches = [\"A\"] },
  { action = \"top_up_reserve\" },
  { action = \"pay_principal\", tranches = [\"A\"] },
  { action = \"pay_sub_return\", tranche = \"Sub\" },
  { action = \"pay_principal\", tranches = [\"Sub\"] },
  { action = \"pay_residual\", tranche = \"Sub\" },
]

[scenario]
cdr = 0.9999
recovery_rate = 1
cpr = 0.9999
";

/// A product beyond Decimal's range, reachable only through a `Deal` built by the library
/// (validation caps a coupon below 1): the senior's interest, 10^17 fen × 7.9 × 10^28 × 111
/// years, is ~10^47 fen, past even `i128`. The run stops with an error naming the scenario
/// (exit code 2, the deal's amounts: since session 27, review 27b item M1, it was an internal
/// error); it used to carry a made-up amount (`Fen::MAX / 2`) into the waterfall.
#[test]
fn interest_beyond_decimal_range_stops_the_run() {
    let mut deal = deal_from_str("limits.toml", LIMITS).unwrap().deal;
    deal.tranches[0].coupon = Decimal::MAX;
    let scenario = deal.scenario.clone();
    match engine::run(&deal, &scenario) {
        Err(Error::Usage(m)) => {
            assert!(m.contains("Decimal's range"), "{m}");
            // Located at its payment date (review 27c item 10): the deal's one date.
            assert!(m.contains(", period 1 ("), "{m}");
            assert!(m.contains(&format!("scenario {}", scenario.name)), "{m}");
        }
        Err(e) => panic!("expected the range error, got {e}"),
        Ok(_) => panic!("expected the range error, got a run"),
    }
}

/// 600-instalment generated loans (the most the format allows) of every repayment method at
/// the money limit and a 99.99% rate, running to 2100: they load and run. (With the tranche
/// at the money limit too, its interest shortfall meets `pro_rata`'s overflow, see
/// `huge_pro_rata_interest_does_not_panic`.)
#[test]
fn six_hundred_instalment_loans() {
    for (repayment, frequency, start) in [
        ("level", "monthly", "2050-11-15"),
        ("equal_principal", "monthly", "2050-11-15"),
        ("interest_only", "monthly", "2050-11-15"),
        ("bullet", "monthly", "2050-11-15"),
    ] {
        let toml = format!(
            "
[deal]
name = \"600\"
cutoff_date = 2050-11-30
closing_date = 2050-11-30
first_payment_date = 2051-01-15
frequency = \"annual\"
legal_maturity = 2100-12-31
business_day = \"following\"
calendar = \"CN\"

[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"loan\"
balance = \"999999999999999.99\"
rate = 0.9999
start_date = {start}
term = 600
frequency = \"{frequency}\"
repayment = \"{repayment}\"
accrual = \"day_count\"

[[tranches]]
name = \"A\"
class = \"senior\"
balance = \"100000000000\"
coupon = 0.9999

[waterfalls]
normal = [
  {{ action = \"pay_interest\", tranches = [\"A\"] }},
  {{ action = \"pay_principal\", tranches = [\"A\"] }},
]

[scenario]
cdr = 0.5
cpr = 0.5
delay = {{ fraction = 0.5, months = 120 }}
recovery_rate = 0.5
recovery_lag_months = 120
"
        );
        match outcome(&toml) {
            Outcome::Ran(r) => assert_eq!(r.periods.len(), 50, "{repayment}"),
            other => panic!("{repayment}: {other:?}"),
        }
    }
}

/// 600 annual instalments run past 2100: an input error at `term`, not a panic.
#[test]
fn annual_600_term_is_an_error() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"loan\"
balance = \"999999999999999.99\"
rate = 0.9999
start_date = 2024-01-01
term = 600
frequency = \"annual\"
repayment = \"bullet\"

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 1000
coupon = 0.03

[waterfalls]
normal = [ {{ action = \"pay_principal\", tranches = [\"A\"] }} ]
",
        header("2024-01-01", &["2024-04-01"], "2100-12-31")
    );
    match outcome(&toml) {
        Outcome::Rejected(e) => assert!(e.contains("term"), "{e}"),
        other => panic!("{other:?}"),
    }
}

/// The last payment date 2100-12-31 is made a holiday and adjusted `following` into 2101,
/// outside the accepted date range; recoveries and delays 120 months after 2100 fall beyond
/// the deal. Loads and runs, or is rejected; never panics.
#[test]
fn dates_at_the_end_of_2100() {
    for bdc in ["following", "modified_following", "preceding", "unadjusted"] {
        let toml = format!(
            "
[deal]
name = \"edge\"
cutoff_date = 2100-06-30
closing_date = 2100-06-30
first_payment_date = 2100-09-30
frequency = \"quarterly\"
legal_maturity = 2100-12-31
business_day = \"{bdc}\"
calendar = \"CN\"
extra_holidays = [2100-12-31, 2100-12-30, 2100-09-30]
collection_lag_business_days = 250

[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = 1000
due_date = 2100-12-31

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 1000
coupon = 0.9999
expected_maturity = 2100-12-31

[waterfalls]
normal = [
  {{ action = \"pay_interest\", tranches = [\"A\"] }},
  {{ action = \"pay_principal\", tranches = [\"A\"] }},
]

[[triggers]]
name = \"legal\"
kind = \"event_of_default\"
condition = \"senior_outstanding_after_legal_maturity\"
waterfall = \"normal\"

[scenario]
defaults = [{{ obligor = \"O1\", date = 2100-12-31 }}]
recovery_rate = 1
recovery_lag_months = 120
delay = {{ fraction = 1, months = 120 }}
"
        );
        let _ = outcome(&toml);
        // Without the long business-day lag the deal is valid: it must run.
        let toml = toml.replace("collection_lag_business_days = 250\n", "");
        match outcome(&toml) {
            Outcome::Ran(r) => assert!(!r.periods.is_empty()),
            Outcome::Rejected(e) => assert!(e.contains("payment date"), "{bdc}: {e}"),
            Outcome::RunError(e) => panic!("{bdc}: {e}"),
        }
    }
}

/// The earliest accepted dates: cutoff and closing on 1990-01-01 (a Monday; a holiday here),
/// `preceding` adjustment, instalments on the cutoff, defaults dated before the deal.
#[test]
fn dates_at_the_start_of_1990() {
    let toml = "
[deal]
name = \"edge\"
cutoff_date = 1990-01-01
closing_date = 1990-01-01
first_payment_date = 1990-01-02
frequency = \"monthly\"
legal_maturity = 1990-12-31
business_day = \"preceding\"
calendar = \"CN\"
extra_holidays = [1990-01-01]

[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"licence\"
schedule = [{ date = 1990-01-01, amount = 5 }, { date = 1990-01-02, amount = 5 }]

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 10
coupon = 0.5

[waterfalls]
normal = [ { action = \"pay_principal\", tranches = [\"A\"] } ]

[scenario]
defaults = [{ obligor = \"O1\", date = 1990-01-01 }]
";
    let r = ran(toml);
    assert_eq!(r.periods.len(), 12);
    // A holiday on the first payment date: `preceding` moves it onto the closing date (an
    // error), `following` to the next business day.
    let toml = toml.replace(
        "extra_holidays = [1990-01-01]",
        "extra_holidays = [1990-01-02]",
    );
    match outcome(&toml) {
        Outcome::Rejected(e) => assert!(e.contains("closing date"), "{e}"),
        other => panic!("{other:?}"),
    }
    let toml = toml.replace(
        "business_day = \"preceding\"",
        "business_day = \"following\"",
    );
    let r = ran(&toml);
    assert_eq!(r.periods.len(), 12);
}

/// A pool whose balance at cutoff is zero (only interest is left after the cutoff): ratios
/// over the pool balance are undefined, pool-balance fees are zero, the default curve has
/// nothing to default.
#[test]
fn zero_pool_balance() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"licence\"
schedule = [
  {{ date = 2023-12-01, amount = 1000 }},
  {{ date = 2024-02-01, principal = 0, interest = 100 }},
]

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 50
coupon = 0.05

[[fees]]
name = \"f\"
kind = \"annual_rate\"
rate = 0.01
base = \"pool_balance\"

[[taxes]]
name = \"t\"
rate = 0.5
base = \"pool_balance\"

[reserve]
target_multiple = 2

[waterfalls]
normal = [
  {{ action = \"pay_tax\", taxes = [\"t\"] }},
  {{ action = \"pay_fee\", fees = [\"f\"] }},
  {{ action = \"pay_interest\", tranches = [\"A\"] }},
  {{ action = \"top_up_reserve\" }},
  {{ action = \"pay_principal\", tranches = [\"A\"] }},
]
accelerated = [ {{ action = \"pay_principal\", tranches = [\"A\"], amount = \"available\" }} ]

[[triggers]]
name = \"cdr\"
kind = \"acceleration\"
condition = \"cumulative_default_ratio_above\"
threshold = 0
waterfall = \"accelerated\"

[[triggers]]
name = \"cov\"
kind = \"acceleration\"
condition = \"coverage_below\"
threshold = 1000
waterfall = \"accelerated\"

[scenario]
cdr = 0.9
cpr = 0.9
defaults = [{{ obligor = \"O1\", date = 2024-01-15 }}]
recovery_rate = 1
",
        header("2024-01-01", &["2024-03-01", "2024-06-01"], "2024-06-01")
    );
    for rate in [dec!(0), dec!(0.5), dec!(1)] {
        let r = match outcome_with(&toml, |s| s.default_rate = rate) {
            Outcome::Ran(r) => r,
            other => panic!("{other:?}"),
        };
        assert!(
            r.periods
                .iter()
                .all(|p| p.cumulative_default_ratio.is_zero())
        );
    }
}

/// Bases that fall to zero: a fee on a tranche repaid on the first date, a reserve multiple
/// of zero-coupon seniors and no fees, coverage with nothing due (undefined), tiny amounts
/// shared pro rata among five tranches.
#[test]
fn zero_balance_bases_and_single_fen() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = \"0.05\"
due_date = 2024-02-01
[[obligors.assets]]
kind = \"receivable\"
amount = \"0.01\"
due_date = 2024-05-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = \"0.01\"
coupon = 0
amortization = \"scheduled\"
target_balances = [{{ date = 2024-03-01, balance = 0 }}]

[[tranches]]
name = \"B\"
class = \"senior\"
balance = \"0.01\"
coupon = 0

[[tranches]]
name = \"C\"
class = \"mezzanine\"
balance = \"0.01\"
coupon = 0.5

[[tranches]]
name = \"D\"
class = \"mezzanine\"
balance = \"0.01\"
coupon = 0.5

[[tranches]]
name = \"E\"
class = \"subordinated\"
balance = \"0.01\"

[[fees]]
name = \"on_a\"
kind = \"annual_rate\"
rate = 0.9
base = \"tranche:A\"

[reserve]
target_multiple = 3
covers = [\"fees\", \"senior_interest\", \"senior_principal\"]

[waterfalls]
normal = [
  {{ action = \"pay_fee\", fees = [\"on_a\"] }},
  {{ action = \"pay_interest\", tranches = [\"A\", \"B\", \"C\", \"D\"] }},
  {{ action = \"top_up_reserve\" }},
  {{ action = \"pay_principal\", tranches = [\"A\", \"B\", \"C\", \"D\", \"E\"], order = \"pro_rata\", amount = \"available\" }},
  {{ action = \"pay_residual\", tranche = \"E\" }},
]
",
        header("2024-01-01", &["2024-03-01", "2024-06-01"], "2024-06-01")
    );
    let r = ran(&toml);
    assert_eq!(r.periods.len(), 2);
}

/// The most payment dates the format allows with a generated schedule: monthly from 1990 to
/// 2100 (1 331 dates), each obligor with a 600-month loan.
#[test]
fn thirteen_hundred_monthly_periods() {
    let mut toml = String::from(
        "
[deal]
name = \"long\"
cutoff_date = 1990-01-03
closing_date = 1990-01-03
first_payment_date = 1990-02-01
frequency = \"monthly\"
legal_maturity = 2100-12-31
business_day = \"modified_following\"
calendar = \"CN\"
collection_lag_business_days = 3
",
    );
    for o in 0..3 {
        toml.push_str(&format!(
            "
[[obligors]]
name = \"O{o}\"
[[obligors.assets]]
kind = \"loan\"
balance = 100000000
rate = 0.05
start_date = 1990-01-0{}
term = 600
frequency = \"monthly\"
repayment = \"level\"
",
            o + 1
        ));
    }
    toml.push_str(
        "
[[tranches]]
name = \"A\"
class = \"senior\"
balance = 250000000
coupon = 0.04

[[tranches]]
name = \"Sub\"
class = \"subordinated\"
balance = 50000000

[waterfalls]
normal = [
  { action = \"pay_interest\", tranches = [\"A\"] },
  { action = \"pay_principal\", tranches = [\"A\"] },
  { action = \"pay_principal\", tranches = [\"Sub\"], when = \"senior_paid_off\" },
  { action = \"pay_residual\", tranche = \"Sub\", when = \"final_period\" },
]

[scenario]
cdr = 0.02
cpr = 0.05
recovery_rate = 0.4
recovery_lag_months = 6
",
    );
    let r = ran(&toml);
    assert_eq!(r.periods.len(), 1331);
}

/// `engine::run` with a hand-built scenario outside the validated ranges (the library's
/// public API does not check them): an absurd recovery rate overflows `fen(recovery_rate ×
/// default)` in the pool projection, which uses unchecked `*` there although the lines around
/// it use `checked_mul`. Proposed fix (src/pool/projection.rs): `checked_mul` with the
/// existing `overflow` error, or a `Scenario::check()` that `engine::run` calls.
#[test]
fn unvalidated_scenario_is_an_error_not_a_panic() {
    let toml = format!(
        "{}
[[obligors]]
name = \"O1\"
[[obligors.assets]]
kind = \"receivable\"
amount = \"900000000000000\"
due_date = 2024-03-01

[[tranches]]
name = \"A\"
class = \"senior\"
balance = 1000
coupon = 0

[waterfalls]
normal = [ {{ action = \"pay_principal\", tranches = [\"A\"] }} ]
",
        header("2024-01-01", &["2024-04-01"], "2024-04-01")
    );
    let _ = outcome_with(&toml, |s| {
        s.cdr = dec!(0.5);
        s.recovery_rate = dec!(100000000000000000000);
    });
}

/// Monotonicity property: why its deals have fixed reserve targets (found by the property,
/// trimmed). At default rate 1 the pass-through senior A3 is 12.26 short on the first date;
/// the larger senior balance raises the `target_multiple` reserve by 0.33, taken from the
/// subordinated periodic return, and that reserve later pays A0's principal. More defaults,
/// a smaller senior deficit (by 0.55 in the run; the test asserts the order only).
#[test]
fn documented_reserve_multiple_can_make_defaults_help_seniors() {
    let toml = "
[deal]
name = \"prop deal\"
cutoff_date = 2005-01-01
closing_date = \"2005-01-01\"
first_payment_date = 2006-01-01
frequency = \"annual\"
legal_maturity = 2014-01-01
business_day = \"unadjusted\"
calendar = \"weekends\"

[[obligors]]
name = \"O0\"
[[obligors.assets]]
kind = \"loan\"
schedule = [
  { date = 2005-01-02, principal = \"6290114146627.93\", interest = \"3275.61\" },
]
[[obligors.assets]]
kind = \"receivable\"
amount = \"5620554353831.49\"
due_date = 2011-01-02

[[tranches]]
name = \"A0\"
class = \"senior\"
balance = \"332390748850.03\"
coupon = 0.1048
amortization = \"scheduled\"
target_balances = [{ date = 2008-01-01, balance = \"96393317166.50\" }]

[[tranches]]
name = \"A2\"
class = \"senior\"
balance = \"55398458141.67\"
coupon = 0.0768
amortization = \"bullet\"
expected_maturity = 2011-01-01

[[tranches]]
name = \"Sub1\"
class = \"subordinated\"
balance = \"1717352202391.82\"
coupon = 0.1496
amortization = \"scheduled\"
target_balances = [{ date = 2008-01-01, balance = \"1502683177092.84\" }]

[[tranches]]
name = \"A3\"
class = \"senior\"
balance = \"5041259690892.12\"
coupon = 0.0102

[[taxes]]
name = \"tax0\"
rate = 0.0045
base = \"senior_balance\"

[reserve]
target_multiple = 2.6
covers = [\"senior_principal\"]

[waterfalls]
normal = [
  { action = \"top_up_reserve\" },
  { action = \"pay_tax\", taxes = [\"tax0\"] },
  { action = \"pay_interest\", tranches = [\"A0\", \"A2\", \"A3\"] },
  { action = \"pay_principal\", tranches = [\"A0\", \"A2\", \"A3\"] },
  { action = \"pay_sub_return\", tranche = \"Sub1\" },
  { action = \"pay_principal\", tranches = [\"Sub1\"], when = \"senior_paid_off\" },
  { action = \"pay_residual\", tranche = \"Sub1\", when = \"final_period\" },
]

[scenario]
defaults = [{ obligor = \"O0\", date = 2007-07-12 }]
";
    let low = run_at_default_rate(toml, dec!(0.822));
    let high = run_at_default_rate(toml, dec!(1));
    let (dl, dh) = (check::senior_deficit(&low), check::senior_deficit(&high));
    // The sign is the documented fact (the 0.55 of the comment is what the run shows, not a
    // figure worked independently, review 27a item 4).
    assert!(dh < dl, "{dl} {dh}");
}
