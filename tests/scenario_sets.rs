//! Scenario files: `default_rate`/`default_timing`, `[grid]` expansion (count, names, order,
//! inheritance), `[rating]`, `[pricing]`, and every new validation error located to line,
//! column and key path. Expected values are written out by hand.

use chrono::NaiveDate;
use ipabs::deal::Deal;
use ipabs::engine;
use ipabs::error::{Error, InputError};
use ipabs::scenario::{
    DEFAULT_MULTIPLIERS, Discount, Pricing, Quote, RatingTable, Scenario, ScenarioSet, ZeroCurve,
};
use ipabs::validate::{
    deal_from_str, load_scenario_set, load_scenarios, scenario_set_from_str, scenarios_from_str,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Three prepayable loans (balances 1,000,000 / 600,000 / 400,000 at cutoff), four quarterly
/// payment dates, one support provider. Collection period 1 is 2024-01-02..=2024-04-01.
const DEAL: &str = r#"[deal]
name = "grid-test"
cutoff_date = 2024-01-01
closing_date = 2024-01-01
payment_dates = [2024-04-01, 2024-07-01, 2024-10-01, 2025-01-01]
legal_maturity = 2025-01-01
day_count = "ACT/365F"
business_day = "unadjusted"
calendar = "weekends"
collection_lag_days = 0

[[obligors]]
name = "SME-01"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-03-15, principal = 300000, interest = 9000 },
  { date = 2024-06-15, principal = 300000, interest = 6000 },
  { date = 2024-09-15, principal = 200000, interest = 3000 },
  { date = 2024-12-15, principal = 200000, interest = 1000 },
]

[[obligors]]
name = "SME-02"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-03-15, principal = 150000, interest = 5000 },
  { date = 2024-06-15, principal = 150000, interest = 4000 },
  { date = 2024-09-15, principal = 150000, interest = 2500 },
  { date = 2024-12-15, principal = 150000, interest = 1200 },
]

[[obligors]]
name = "SME-03"
[[obligors.assets]]
kind = "loan"
schedule = [
  { date = 2024-06-15, principal = 200000, interest = 8000 },
  { date = 2024-12-15, principal = 200000, interest = 4000 },
]

[[tranches]]
name = "A"
class = "senior"
balance = 1600000
coupon = 0.03

[[tranches]]
name = "B"
class = "subordinated"
balance = 400000

[[supports]]
name = "guarantor"
provider = "Guarantor Co."
kind = "shortfall_undertaking"
covers = ["senior_interest", "senior_principal"]

[waterfalls]
normal = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"] },
  { action = "pay_principal", tranches = ["B"], when = "senior_paid_off" },
  { action = "pay_residual", tranche = "B", when = "final_period" },
]

[scenario]
name = "deal-base"
recovery_lag_months = 3
recovery_rate = 0.25
"#;

fn deal() -> Deal {
    deal_from_str("deal.toml", DEAL)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn set(src: &str) -> ScenarioSet {
    scenario_set_from_str("s.toml", src, &deal()).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

fn errors(src: &str) -> Vec<InputError> {
    match scenario_set_from_str("s.toml", src, &deal()) {
        Err(Error::Input(e)) => e,
        Err(other) => panic!("expected input errors, got {other}"),
        Ok(_) => panic!("expected input errors, the file was accepted:\n{src}"),
    }
}

/// The only error of `src`.
fn one(src: &str) -> InputError {
    let errs = errors(src);
    assert_eq!(errs.len(), 1, "expected one error, got: {errs:#?}");
    errs.into_iter().next().unwrap()
}

#[track_caller]
fn at(e: &InputError, line: usize, column: usize, path: &str, problem: &str) {
    assert_eq!(
        (e.line, e.column, e.key_path.as_str()),
        (line, column, path),
        "{e:#?}"
    );
    assert!(e.problem.contains(problem), "{e:#?}");
    assert!(!e.expected.is_empty(), "{e:#?}");
    assert_eq!(e.file, "s.toml");
}

// ---- default_rate and default_timing ----

#[test]
fn default_rate_and_timing_are_read_and_normalised() {
    let s = set(r#"[[scenarios]]
name = "curve"
default_rate = 0.08
default_timing = [0.5, 0.3, 0.2]

[[scenarios]]
name = "near one"
default_rate = 1
default_timing = [0.6, 0.39995]
"#);
    assert_eq!(s.scenarios[0].default_rate, dec!(0.08));
    // Sums to exactly 1: unchanged.
    assert_eq!(
        s.scenarios[0].default_timing,
        [dec!(0.5), dec!(0.3), dec!(0.2)]
    );
    assert_eq!(s.scenarios[1].default_rate, dec!(1));
    // 0.6 + 0.39995 = 0.99995, within 1e-4 of 1; divided by the sum.
    let t = &s.scenarios[1].default_timing;
    assert_eq!(t[0], dec!(0.6) / dec!(0.99995));
    assert_eq!(t[1], dec!(0.39995) / dec!(0.99995));
    assert!((t[0] + t[1] - Decimal::ONE).abs() < dec!(1e-26));
    // Not given: 0 and even timing.
    let s = set("[[scenarios]]\nname = \"x\"\n");
    assert_eq!(s.scenarios[0].default_rate, Decimal::ZERO);
    assert!(s.scenarios[0].default_timing.is_empty());
}

#[test]
fn default_rate_and_timing_errors_are_located() {
    // Line 3 `default_rate = 1.5`: value at column 16.
    let e = one("[[scenarios]]\nname = \"x\"\ndefault_rate = 1.5\n");
    at(&e, 3, 16, "scenarios[0].default_rate", "out of range");
    // Shares summing to 0.9: the array at column 18.
    let e = one("[[scenarios]]\nname = \"x\"\ndefault_timing = [0.5, 0.4]\n");
    at(&e, 3, 18, "scenarios[0].default_timing", "sum to 0.9");
    // A negative share: `-0.1` starts at column 24.
    let e = one("[[scenarios]]\nname = \"x\"\ndefault_timing = [1.1, -0.1]\n");
    at(&e, 3, 24, "scenarios[0].default_timing[1]", "negative");
    // Five shares, four payment dates.
    let e = one("[[scenarios]]\nname = \"x\"\ndefault_timing = [0.2, 0.2, 0.2, 0.2, 0.2]\n");
    at(&e, 3, 18, "scenarios[0].default_timing", "4 payment dates");
    // Empty.
    let e = one("[[scenarios]]\nname = \"x\"\ndefault_timing = []\n");
    at(&e, 3, 18, "scenarios[0].default_timing", "is empty");
    // Wrong type stops at the first error, located at the value.
    let e = one("[[scenarios]]\nname = \"x\"\ndefault_timing = 0.5\n");
    at(&e, 3, 18, "scenarios[0].default_timing", "wrong type");
}

/// Four quarterly dates, default_timing = [0.5, 0.5]: all curve defaults fall in the first two
/// periods, `default_rate × share × cutoff balance` each.
#[test]
fn default_curve_reaches_the_projection() {
    let deal = deal();
    let s = &scenarios_from_str(
        "s.toml",
        "[[scenarios]]\nname = \"c\"\ndefault_rate = 0.1\ndefault_timing = [0.5, 0.5]\n",
        &deal,
    )
    .unwrap()[0];
    let r = engine::run(&deal, s).unwrap();
    let defaulted: Vec<Decimal> = (1..=4)
        .map(|k| {
            r.pool_flows
                .iter()
                .filter(|f| f.period == k)
                .map(|f| f.defaulted)
                .sum()
        })
        .collect();
    // 0.1 × 0.5 × (1,000,000 + 600,000 + 400,000) = 100,000 in each of periods 1 and 2.
    assert_eq!(defaulted, [dec!(100000), dec!(100000), dec!(0), dec!(0)]);
}

// ---- the grid ----

/// 3 × 2 × 2: cdr varies slowest, supports_off fastest.
const GRID: &str = r#"[grid]
cdr = [0, 0.02, 0.05]
recovery_rate = [0.3, 0.50]
supports_off = [[], ["guarantor"]]
"#;

#[test]
fn grid_expansion_count_names_and_order() {
    let s = set(GRID);
    let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "grid[cdr=0,recovery_rate=0.3,supports_off=none]",
            "grid[cdr=0,recovery_rate=0.3,supports_off=guarantor]",
            "grid[cdr=0,recovery_rate=0.5,supports_off=none]",
            "grid[cdr=0,recovery_rate=0.5,supports_off=guarantor]",
            "grid[cdr=0.02,recovery_rate=0.3,supports_off=none]",
            "grid[cdr=0.02,recovery_rate=0.3,supports_off=guarantor]",
            "grid[cdr=0.02,recovery_rate=0.5,supports_off=none]",
            "grid[cdr=0.02,recovery_rate=0.5,supports_off=guarantor]",
            "grid[cdr=0.05,recovery_rate=0.3,supports_off=none]",
            "grid[cdr=0.05,recovery_rate=0.3,supports_off=guarantor]",
            "grid[cdr=0.05,recovery_rate=0.5,supports_off=none]",
            "grid[cdr=0.05,recovery_rate=0.5,supports_off=guarantor]",
        ]
    );
    let cdrs = [dec!(0), dec!(0.02), dec!(0.05)];
    let recs = [dec!(0.3), dec!(0.5)];
    let offs: [&[usize]; 2] = [&[], &[0]];
    for (i, sc) in s.scenarios.iter().enumerate() {
        // i = 4·a + 2·b + c.
        let (a, b, c) = (i / 4, (i / 2) % 2, i % 2);
        assert_eq!(sc.cdr, cdrs[a], "{}", sc.name);
        assert_eq!(sc.recovery_rate, recs[b], "{}", sc.name);
        assert_eq!(sc.supports_off, offs[c], "{}", sc.name);
        // Inherited from the deal's [scenario].
        assert_eq!(sc.recovery_lag_months, 3);
        assert_eq!(sc.cpr, Decimal::ZERO);
        assert!(sc.obligor_defaults.is_empty());
    }
    // The default rating table and no pricing.
    assert_eq!(s.rating, RatingTable::default());
    assert_eq!(s.pricing, Pricing::default());
}

#[test]
fn grid_points_inherit_from_base_and_follow_listed_scenarios() {
    let s = set(r#"[[scenarios]]
name = "stressed"
cdr = 0.01
recovery_rate = 0.4
recovery_lag_months = 9
delay = { fraction = 0.2, months = 3 }
cpr = 0.1
supports_off = ["guarantor"]
defaults = [ { obligor = "SME-03", date = 2024-05-01 } ]

[grid]
name = "g"
base = "stressed"
recovery_rate = [0.1, 0.2]
delay = [{ fraction = 0, months = 0 }, { fraction = 0.3, months = 6 }]
recovery_lag_months = [12]
"#);
    let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
    // Listed first; then the grid. recovery_lag_months has one value: not in the names.
    assert_eq!(
        names,
        [
            "stressed",
            "g[recovery_rate=0.1,delay=0@0m]",
            "g[recovery_rate=0.1,delay=0.3@6m]",
            "g[recovery_rate=0.2,delay=0@0m]",
            "g[recovery_rate=0.2,delay=0.3@6m]",
        ]
    );
    let p = &s.scenarios[4];
    assert_eq!(p.recovery_rate, dec!(0.2));
    assert_eq!((p.delay_fraction, p.delay_months), (dec!(0.3), 6));
    assert_eq!(p.recovery_lag_months, 12);
    // Inherited from "stressed".
    assert_eq!(p.cdr, dec!(0.01));
    assert_eq!(p.cpr, dec!(0.1));
    assert_eq!(p.supports_off, [0]);
    assert_eq!(p.obligor_defaults, [(2, d("2024-05-01"))]);
    // The listed scenario itself is unchanged.
    assert_eq!(s.scenarios[0].recovery_rate, dec!(0.4));
}

#[test]
fn grid_defaulted_obligors_and_default_date() {
    let s = set(r#"[grid]
defaulted_obligors = [[], ["SME-01"], ["SME-01", "SME-02"]]
cpr = [0.05]
"#);
    let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "grid[defaulted_obligors=none]",
            "grid[defaulted_obligors=SME-01]",
            "grid[defaulted_obligors=SME-01+SME-02]",
        ]
    );
    // Default date: the first collection period's start, cutoff + 1 day.
    let first = d("2024-01-02");
    assert!(s.scenarios[0].obligor_defaults.is_empty());
    assert_eq!(s.scenarios[1].obligor_defaults, [(0, first)]);
    assert_eq!(s.scenarios[2].obligor_defaults, [(0, first), (1, first)]);
    assert!(s.scenarios.iter().all(|s| s.cpr == dec!(0.05)));

    let s = set("[grid]\ndefaulted_obligors = [[\"SME-02\"]]\ndefault_date = 2024-08-01\n");
    // A single point: named by the prefix alone.
    assert_eq!(s.scenarios.len(), 1);
    assert_eq!(s.scenarios[0].name, "grid");
    assert_eq!(s.scenarios[0].obligor_defaults, [(1, d("2024-08-01"))]);
}

/// Every grid point gives the same run as the same scenario written by hand.
#[test]
fn grid_results_equal_scenarios_run_one_by_one() {
    let deal = deal();
    let s = set(r#"[grid]
cdr = [0, 0.04]
recovery_rate = [0.5]
cpr = [0, 0.2]
defaulted_obligors = [[], ["SME-02"]]
default_date = 2024-05-10
"#);
    assert_eq!(s.scenarios.len(), 8);
    let mut i = 0;
    for cdr in [dec!(0), dec!(0.04)] {
        for cpr in [dec!(0), dec!(0.2)] {
            for defaults in [vec![], vec![(1usize, d("2024-05-10"))]] {
                let by_hand = Scenario {
                    name: s.scenarios[i].name.clone(),
                    obligor_defaults: defaults,
                    cdr,
                    default_rate: Decimal::ZERO,
                    default_timing: vec![],
                    recovery_rate: dec!(0.5),
                    recovery_lag_months: 3,
                    delay_fraction: Decimal::ZERO,
                    delay_months: 0,
                    cpr,
                    supports_off: vec![],
                    support_failures: vec![],
                    events: vec![],
                    overrides: vec![],
                    indices: Default::default(),
                    coupon_shift: Decimal::ZERO,
                    revolving_yield_cut: Decimal::ZERO,
                    purchase_cut: Decimal::ZERO,
                    clean_up_call: true,
                    commingling: None,
                };
                assert_eq!(s.scenarios[i], by_hand);
                let a = engine::run(&deal, &s.scenarios[i]).unwrap();
                let b = engine::run(&deal, &by_hand).unwrap();
                assert_eq!(a.tranche_flows, b.tranche_flows, "{}", by_hand.name);
                assert_eq!(a.pool_flows, b.pool_flows, "{}", by_hand.name);
                i += 1;
            }
        }
    }
    // The points differ from each other (the grid is not a no-op).
    let r0 = engine::run(&deal, &s.scenarios[0]).unwrap();
    let r7 = engine::run(&deal, &s.scenarios[7]).unwrap();
    assert_ne!(r0.tranche_flows, r7.tranche_flows);
}

#[test]
fn grid_errors_are_located() {
    // An empty list: the value at column 7.
    let e = one("[grid]\ncdr = []\n");
    at(&e, 2, 7, "grid.cdr", "`cdr` is empty");
    // A repeated value: 0.050 equals 0.05; the third element is at column 19.
    let e = one("[grid]\ncdr = [0.05, 0.1, 0.050]\n");
    at(&e, 2, 19, "grid.cdr[2]", "listed twice (also grid.cdr[0])");
    // Out of range.
    let e = one("[grid]\ncpr = [0.1, 1]\n");
    at(&e, 2, 13, "grid.cpr[1]", "out of range");
    let e = one("[grid]\nrecovery_lag_months = [3, 121]\n");
    at(&e, 2, 27, "grid.recovery_lag_months[1]", "out of range");
    let e = one("[grid]\ndelay = [{ fraction = 1.5, months = 6 }]\n");
    at(&e, 2, 23, "grid.delay[0].fraction", "out of range");
    // An unknown base.
    let e = one("[[scenarios]]\nname = \"a\"\n\n[grid]\nbase = \"b\"\ncdr = [0.1]\n");
    at(&e, 5, 8, "grid.base", "no scenario named `b`");
    assert!(e.expected.contains("one of: a"));
    // An unknown obligor in the second set: `"SME-09"` at column 28.
    let e = one("[grid]\ndefaulted_obligors = [[], [\"SME-09\"]]\n");
    at(
        &e,
        2,
        28,
        "grid.defaulted_obligors[1][0]",
        "no obligor named `SME-09`",
    );
    // The same set twice: the third element, column 36.
    let e = one("[grid]\nsupports_off = [[\"guarantor\"], [], [\"guarantor\"]]\n");
    at(
        &e,
        2,
        36,
        "grid.supports_off[2]",
        "the same set is listed twice",
    );
    // The same set in another order: the second element, column 45.
    let e =
        one("[grid]\ndefaulted_obligors = [[\"SME-01\", \"SME-02\"], [\"SME-02\", \"SME-01\"]]\n");
    at(
        &e,
        2,
        45,
        "grid.defaulted_obligors[1]",
        "the same set is listed twice",
    );
    // A set with an unknown name is not compared with the others.
    let e = one("[grid]\ndefaulted_obligors = [[\"SME-09\"], []]\n");
    at(
        &e,
        2,
        24,
        "grid.defaulted_obligors[0][0]",
        "no obligor named `SME-09`",
    );
    // An out-of-range value is not also reported as a repeat.
    let e = one("[grid]\nrecovery_lag_months = [121, 120]\n");
    at(&e, 2, 24, "grid.recovery_lag_months[0]", "out of range");
    // A name twice within a set.
    let e = one("[grid]\ndefaulted_obligors = [[\"SME-01\", \"SME-01\"]]\n");
    at(&e, 2, 34, "grid.defaulted_obligors[0][1]", "listed twice");
    // default_date without defaulted_obligors: at the key.
    let e = one("[grid]\ncdr = [0.1]\ndefault_date = 2024-03-01\n");
    at(&e, 3, 1, "grid.default_date", "has no effect");
    // No lists at all: at the header.
    let e = one("[grid]\nname = \"g\"\n");
    at(&e, 1, 1, "grid", "no value lists");
    // An unknown key.
    let e = one("[grid]\ncdrr = [0.1]\n");
    at(&e, 2, 1, "grid.cdrr", "unknown key `cdrr`");
    // An empty prefix.
    let e = one("[grid]\nname = \"\"\ncdr = [0.1]\n");
    at(&e, 2, 8, "grid.name", "empty");
}

#[test]
fn grid_size_is_capped() {
    // 101 × 101 × 101 = 1,030,301 > 1,000,000.
    let list: Vec<String> = (0..101).map(|i| format!("0.{i:03}")).collect();
    let list = list.join(", ");
    let src = format!("[grid]\ncdr = [{list}]\nrecovery_rate = [{list}]\ncpr = [{list}]\n");
    let e = one(&src);
    at(&e, 1, 1, "grid", "1030301 points");
    assert!(e.problem.contains("cdr 101 × recovery_rate 101 × cpr 101"));
    assert!(e.expected.contains("at most 1000000"));
}

#[test]
fn names_are_unique_across_listed_and_grid() {
    // A one-point grid is named by its prefix.
    let e = one("[[scenarios]]\nname = \"g\"\n\n[grid]\nname = \"g\"\ncdr = [0.1]\n");
    at(
        &e,
        5,
        8,
        "grid.name",
        "grid point 1 is named `g`, the name of scenarios[0]",
    );
    // Without a `name` key the error is at the table.
    let e = one("[[scenarios]]\nname = \"grid[cdr=0.2]\"\n\n[grid]\ncdr = [0.1, 0.2]\n");
    at(&e, 4, 1, "grid", "grid point 2 is named `grid[cdr=0.2]`");
}

#[test]
fn a_file_needs_a_scenario() {
    let e = one("[rating]\nbase_default_rate = 0.02\n");
    assert_eq!(e.key_path, "scenarios");
    assert!(e.problem.contains("no scenarios"));
    assert!(e.expected.contains("[grid]"));
    // A grid alone is enough.
    assert_eq!(set("[grid]\ncdr = [0.1]\n").scenarios.len(), 1);
}

// ---- rating ----

#[test]
fn rating_defaults_and_overrides() {
    let def = RatingTable::default();
    assert_eq!(def.base_default_rate, Decimal::ZERO);
    let expected = [
        ("AAA", dec!(5.0)),
        ("AAA-", dec!(4.8)),
        ("AA+", dec!(4.5)),
        ("AA", dec!(4.1)),
        ("AA-", dec!(3.7)),
        ("A+", dec!(3.3)),
        ("A", dec!(3.0)),
        ("A-", dec!(2.7)),
        ("BBB+", dec!(2.5)),
        ("BBB", dec!(2.3)),
        ("BBB-", dec!(2.0)),
        ("BB+", dec!(1.8)),
        ("BB", dec!(1.5)),
        ("BB-", dec!(1.2)),
    ];
    let got: Vec<(&str, Decimal)> = def
        .multipliers
        .iter()
        .map(|(r, m)| (r.as_str(), *m))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(DEFAULT_MULTIPLIERS.len(), 14);
    assert_eq!(def.target_default_rate("AAA"), Some(Decimal::ZERO));

    // Base rate only: the default multipliers. TDR(AA) = 4.1 × 0.02 = 0.082.
    let s = set("[[scenarios]]\nname = \"x\"\n\n[rating]\nbase_default_rate = 0.02\n");
    assert_eq!(s.rating.base_default_rate, dec!(0.02));
    assert_eq!(s.rating.multipliers, def.multipliers);
    assert_eq!(s.rating.target_default_rate("AA"), Some(dec!(0.082)));
    assert_eq!(s.rating.target_default_rate("CCC"), None);

    // Given multipliers replace the table, in file order.
    let s = set(
        "[[scenarios]]\nname = \"x\"\n\n[rating]\nbase_default_rate = 0.03\n\
         multipliers = { \"AA+\" = 4, AAA = 6.5, A = 2 }\n",
    );
    assert_eq!(
        s.rating.multipliers,
        [
            ("AA+".to_string(), dec!(4)),
            ("AAA".to_string(), dec!(6.5)),
            ("A".to_string(), dec!(2)),
        ]
    );
    // 6.5 × 0.03 = 0.195.
    assert_eq!(s.rating.target_default_rate("AAA"), Some(dec!(0.195)));
    assert_eq!(s.rating.target_default_rate("AA"), None);
}

#[test]
fn rating_errors_are_located() {
    let head = "[[scenarios]]\nname = \"x\"\n\n";
    // Missing base_default_rate: at the header, line 4.
    let e = one(&format!("{head}[rating]\nmultipliers = {{ AAA = 5 }}\n"));
    at(&e, 4, 1, "rating.base_default_rate", "missing required key");
    let e = one(&format!("{head}[rating]\nbase_default_rate = 1.2\n"));
    at(&e, 5, 21, "rating.base_default_rate", "out of range");
    // A zero multiplier: `0` at column 31.
    let e = one(&format!(
        "{head}[rating]\nbase_default_rate = 0.02\nmultipliers = {{ AAA = 5, AA = 0 }}\n"
    ));
    at(&e, 6, 31, "rating.multipliers.AA", "not positive");
    let e = one(&format!(
        "{head}[rating]\nbase_default_rate = 0.02\nmultipliers = {{}}\n"
    ));
    at(&e, 6, 15, "rating.multipliers", "is empty");
    let e = one(&format!(
        "{head}[rating]\nbase_default_rate = 0.02\nscale = 2\n"
    ));
    at(&e, 6, 1, "rating.scale", "unknown key `scale`");
}

// ---- pricing ----

#[test]
fn pricing_is_parsed() {
    let s = set(r#"[[scenarios]]
name = "x"

[pricing]
settlement_date = 2024-02-01
prices = { A = 99.5 }
yields = { B = 0.08 }
zero_curve = [{ years = 0.5, rate = 0.018 }, { years = 2, rate = 0.022 }]
"#);
    assert_eq!(s.pricing.settlement, Some(d("2024-02-01")));
    assert_eq!(
        s.pricing.quotes,
        [(0, Quote::Price(99.5)), (1, Quote::Yield(0.08))]
    );
    assert_eq!(
        s.pricing.discount,
        Some(Discount::Curve(
            ZeroCurve::new(vec![(0.5, 0.018), (2.0, 0.022)]).unwrap()
        ))
    );
    // An integer price, a flat discount rate, quotes in tranche order.
    let s = set(
        "[[scenarios]]\nname = \"x\"\n\n[pricing]\nprices = { B = 100, A = 101.25 }\n\
         discount_rate = 0.02\n",
    );
    assert_eq!(s.pricing.settlement, None);
    assert_eq!(
        s.pricing.quotes,
        [(0, Quote::Price(101.25)), (1, Quote::Price(100.0))]
    );
    assert_eq!(s.pricing.discount, Some(Discount::Flat(0.02)));
}

#[test]
fn pricing_errors_are_located() {
    let head = "[[scenarios]]\nname = \"x\"\n\n[pricing]\n";
    // Line 5 is the first line after the header.
    let e = one(&format!("{head}prices = {{ C = 99 }}\n"));
    at(&e, 5, 12, "pricing.prices.C", "no tranche named `C`");
    assert!(e.expected.contains("one of: A, B"));
    let e = one(&format!("{head}prices = {{ A = -1 }}\n"));
    at(&e, 5, 16, "pricing.prices.A", "not a positive number");
    let e = one(&format!("{head}prices = {{ A = nan }}\n"));
    at(&e, 5, 16, "pricing.prices.A", "not a positive number");
    let e = one(&format!("{head}yields = {{ A = 12.0 }}\n"));
    at(&e, 5, 16, "pricing.yields.A", "out of range");
    // Both a price and a yield: at the yield's key.
    let e = one(&format!(
        "{head}prices = {{ A = 99 }}\nyields = {{ A = 0.03 }}\n"
    ));
    at(&e, 6, 12, "pricing.yields.A", "both a price and a yield");
    // Both discount forms: at the zero_curve key.
    let e = one(&format!(
        "{head}discount_rate = 0.02\nzero_curve = [{{ years = 1, rate = 0.02 }}]\n"
    ));
    at(
        &e,
        6,
        1,
        "pricing.zero_curve",
        "both `discount_rate` and `zero_curve`",
    );
    // Tenors not increasing: the second point's years, column 53.
    let e = one(&format!(
        "{head}zero_curve = [{{ years = 1, rate = 0.02 }}, {{ years = 1, rate = 0.03 }}]\n"
    ));
    at(
        &e,
        5,
        53,
        "pricing.zero_curve[1].years",
        "not above the previous",
    );
    let e = one(&format!(
        "{head}zero_curve = [{{ years = 1, rate = -1 }}]\n"
    ));
    at(&e, 5, 35, "pricing.zero_curve[0].rate", "above -1");
    let e = one(&format!("{head}zero_curve = []\n"));
    at(&e, 5, 14, "pricing.zero_curve", "is empty");
    // Settlement before closing, or on the last payment date.
    let e = one(&format!("{head}settlement_date = 2023-12-31\n"));
    at(
        &e,
        5,
        19,
        "pricing.settlement_date",
        "outside the life of the deal",
    );
    let e = one(&format!("{head}settlement_date = 2025-01-01\n"));
    at(
        &e,
        5,
        19,
        "pricing.settlement_date",
        "outside the life of the deal",
    );
    let e = one(&format!("{head}discount_rate = -1\n"));
    at(&e, 5, 17, "pricing.discount_rate", "out of range");
    let e = one(&format!("{head}spread = 0.01\n"));
    at(&e, 5, 1, "pricing.spread", "unknown key `spread`");
}

// ---- API ----

#[test]
fn from_deal_and_file_loading() {
    let deal = deal();
    let s = ScenarioSet::single(deal.scenario.clone());
    assert_eq!(s.scenarios, std::slice::from_ref(&deal.scenario));
    assert_eq!(s.scenarios[0].name, "deal-base");
    assert_eq!(s.rating, RatingTable::default());
    assert_eq!(s.pricing, Pricing::default());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.toml");
    std::fs::write(&path, GRID).unwrap();
    assert_eq!(load_scenario_set(&path, &deal).unwrap().scenarios.len(), 12);
    assert_eq!(load_scenarios(&path, &deal).unwrap().len(), 12);
    std::fs::write(&path, "[grid]\ncdr = []\n").unwrap();
    match load_scenario_set(&path, &deal) {
        Err(Error::Input(e)) => assert_eq!(e[0].file, path.display().to_string()),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        load_scenario_set(&dir.path().join("missing.toml"), &deal),
        Err(Error::Read { .. })
    ));
}

/// Every example in docs/scenarios.md is valid against the complete example deal of
/// docs/deal-format.md, and the documented grid expands to the documented names.
#[test]
fn documented_examples() {
    let fmt = include_str!("../docs/deal-format.md");
    let complete = fmt
        .split("## Complete example")
        .nth(1)
        .and_then(|c| c.split("```toml\n").nth(1))
        .and_then(|c| c.split("```").next())
        .unwrap();
    let deal = deal_from_str("deal-format.md", complete).unwrap().deal;
    let doc = include_str!("../docs/scenarios.md");
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    assert!(blocks.len() >= 3, "{}", blocks.len());
    for b in &blocks {
        scenario_set_from_str("scenarios.md", b, &deal).unwrap_or_else(|e| panic!("{e}\n{b}"));
    }
    // The first block is the full example; its names are listed in the text, in order.
    let s = scenario_set_from_str("scenarios.md", blocks[0], &deal).unwrap();
    let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
    let mut want = vec!["base".to_string(), "slow recoveries".to_string()];
    for rate in ["0.05", "0.1"] {
        for rec in ["0.2", "0.4"] {
            for off in ["none", "gdd_undertaking"] {
                want.push(format!(
                    "sweep[default_rate={rate},recovery_rate={rec},supports_off={off}]"
                ));
            }
        }
    }
    assert_eq!(names, want.iter().map(String::as_str).collect::<Vec<_>>());
    let mut at = 0;
    for n in &names[2..] {
        let pos = doc[at..]
            .find(&format!("`{n}`"))
            .unwrap_or_else(|| panic!("{n} not documented in order"));
        at += pos + 1;
    }
    assert_eq!(s.rating.target_default_rate("AAA"), Some(dec!(0.15)));
    // The named-default grid.
    let s = scenario_set_from_str("scenarios.md", blocks[2], &deal).unwrap();
    let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "names[recovery_rate=0,defaulted_obligors=none]",
            "names[recovery_rate=0,defaulted_obligors=SME-01]",
            "names[recovery_rate=0,defaulted_obligors=SME-01+SME-02]",
            "names[recovery_rate=0.3,defaulted_obligors=none]",
            "names[recovery_rate=0.3,defaulted_obligors=SME-01]",
            "names[recovery_rate=0.3,defaulted_obligors=SME-01+SME-02]",
        ]
    );
}

/// A grid's `base` naming a scenario in a file that lists none says the file has none, not the
/// deal (review 44c F11).
#[test]
fn a_grid_base_in_a_file_without_scenarios_names_the_file() {
    let e = one("[grid]\nname = \"g\"\nbase = \"nope\"\ncdr = [0.0, 0.1]\n");
    assert_eq!(e.key_path, "grid.base", "{e}");
    assert!(e.problem.contains("no scenario named `nope`"), "{e}");
    assert_eq!(
        e.expected,
        "a scenario name, but the scenario file has none"
    );
}
