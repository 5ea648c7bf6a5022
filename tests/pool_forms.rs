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

fn pool_row(r: &RunResult, obligor: &str, period: u32) -> ipabs::pool::PoolFlowRow {
    r.pool_flows
        .iter()
        .find(|x| &*x.obligor == obligor && x.period == period)
        .expect("row exists")
}

/// (scheduled, principal, interest, balance after) of `obligor`'s row in `period`.
fn parts(r: &RunResult, obligor: &str, period: u32) -> (Decimal, Decimal, Decimal, Decimal) {
    let x = pool_row(r, obligor, period);
    (
        x.scheduled,
        x.principal_collected,
        x.interest_collected,
        x.balance_end,
    )
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

/// A generated licence schedule split at an implied rate (docs/deal-format.md, "Principal and
/// interest"): four quarterly fees of 100,000.00 from 2024-03-31 at `rate = 0.06`, so j =
/// 0.06 × 3 / 12 = 0.015. The implied balances, the present values of the fees still to come:
/// B0 = 100,000 × (1.015⁻¹ + 1.015⁻² + 1.015⁻³ + 1.015⁻⁴) = 385,438.4647…, B1 =
/// 291,220.0417…, B2 = 195,588.3423…, B3 = 100,000 / 1.015 = 98,522.1674…, B4 = 0. Half up:
/// 385,438.46, 291,220.04, 195,588.34, 98,522.17; principal (Bi − Bi+1) 94,218.42, 95,631.70,
/// 97,066.17, 98,522.17 and interest 5,781.58, 4,368.30, 2,933.83, 1,477.83. Truncated:
/// 385,438.46, 291,220.04, 195,588.34, 98,522.16; principal 94,218.42, 95,631.70, 97,066.18,
/// 98,522.16 and interest 5,781.58, 4,368.30, 2,933.82, 1,477.84. Each fee falls in the
/// collection period of payment date 1 to 4.
#[test]
fn a_generated_licence_schedule_splits_at_its_rate() {
    let pool = r#"
[[obligors]]
name = "L1"
tags = { industry = "software" }

[[obligors.assets]]
kind = "licence"
schedule = { first = 2024-03-31, frequency = "quarterly", periods = 4, amount = 100000, rate = 0.06 }
"#;
    let r = run(pool, "");
    let row = |period| parts(&r, "L1", period);
    let fee = dec!(100000.00);
    assert_eq!(
        row(1),
        (fee, dec!(94218.42), dec!(5781.58), dec!(291220.04))
    );
    assert_eq!(
        row(2),
        (fee, dec!(95631.70), dec!(4368.30), dec!(195588.34))
    );
    assert_eq!(row(3), (fee, dec!(97066.17), dec!(2933.83), dec!(98522.17)));
    assert_eq!(row(4), (fee, dec!(98522.17), dec!(1477.83), Decimal::ZERO));

    // The deal's `rounding = "truncate"` rounds each balance down.
    let truncated = format!("{HEADER}rounding = \"truncate\"\n{pool}{LIABILITIES}");
    let loaded = deal_from_str("pool_forms.toml", &truncated).unwrap_or_else(|e| panic!("{e}"));
    let parts_of = |r: &RunResult| -> Vec<(Decimal, Decimal)> {
        (1..=4)
            .map(|k| {
                let x = parts(r, "L1", k);
                (x.1, x.2)
            })
            .collect()
    };
    let t = engine::run(&loaded.deal, &loaded.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        parts_of(&t),
        vec![
            (dec!(94218.42), dec!(5781.58)),
            (dec!(95631.70), dec!(4368.30)),
            (dec!(97066.18), dec!(2933.82)),
            (dec!(98522.16), dec!(1477.84)),
        ]
    );

    // A fee on or before the cutoff is dropped after the split: five fees from 2023-12-31
    // (the first dropped) leave the last four, whose balance at the cutoff is B1 of the five,
    // the present value of those four: the rows are the four-fee schedule's.
    let dropped = pool.replace(
        "first = 2024-03-31, frequency = \"quarterly\", periods = 4",
        "first = 2023-12-31, frequency = \"quarterly\", periods = 5",
    );
    assert_ne!(dropped, pool);
    let d5 = run(&dropped, "");
    assert_eq!(parts_of(&d5), parts_of(&r));
    assert_eq!(parts(&d5, "L1", 1).3, dec!(291220.04));
    // The balance at the cutoff: the first row's balance after, plus what it repaid.
    assert_eq!(
        pool_row(&r, "L1", 1).balance_end + pool_row(&r, "L1", 1).principal_collected,
        dec!(385438.46)
    );
    // Too high a rate for growing fees is refused at `rate` (the unit test in
    // src/schedule/fee_schedule.rs works the figures).
    let src = format!(
        "{HEADER}{}{LIABILITIES}",
        pool.replace(
            "amount = 100000, rate = 0.06",
            "amount = 100, growth = 0.9, rate = 0.99"
        )
        .replace(
            "frequency = \"quarterly\", periods = 4",
            "frequency = \"annual\", periods = 3"
        )
    );
    let Err(err) = deal_from_str("pool_forms.toml", &src) else {
        panic!("refused")
    };
    let err = err.to_string();
    assert!(
        err.contains("obligors[0].assets[0].schedule.rate")
            && err.contains(
                "fee 1 (100.00) is less than the interest on the implied balance before it (142.60)"
            ),
        "{err}"
    );
}

const STEP_UP_LEASE: &str = r#"
[[obligors]]
name = "S1"

[[obligors.assets]]
kind = "lease"
balance = 700000
rate = 0.10
start_date = 2023-09-30
term = 2
frequency = "annual"
repayment = "step_up"
growth = 0.10
"#;

/// A step-up lease (递增租金, docs/amortization.md) generated, collected and reported to the
/// fen.
///
/// Rents due 2024-09-30 and 2025-09-30 (one year apart from the start 2023-09-30), the second
/// 10% above the first: X/1.1 + 1.1X/1.1² = 2X/1.1 = 700,000, so X = 385,000.00 and 1.1X =
/// 423,500.00. Interest on the first: 10% of 700,000.00 = 70,000.00, so principal 315,000.00
/// and a balance of 385,000.00; on the second 38,500.00, principal 385,000.00. Each rent falls
/// in the collection period ending the day before the next payment date: periods 3
/// (2024-07-01 to 2024-09-30) and 7 (2025-07-01 to 2025-09-30).
#[test]
fn step_up_lease_rents() {
    let r = run(STEP_UP_LEASE, "");
    let row = |period| parts(&r, "S1", period);
    assert_eq!(
        row(3),
        (
            dec!(385000.00),
            dec!(315000.00),
            dec!(70000.00),
            dec!(385000.00)
        )
    );
    assert_eq!(
        row(7),
        (
            dec!(423500.00),
            dec!(385000.00),
            dec!(38500.00),
            Decimal::ZERO
        )
    );
    for period in [1, 2, 4, 5, 6] {
        assert_eq!(pool_row(&r, "S1", period).collected, Decimal::ZERO);
    }
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

/// `pool_flows.delayed` is the cash the delay moves out of its period (docs/output.md): a
/// delayed share that still arrives within the period is collected there and not delayed
/// (review 41a item 1: it was counted as delayed too). E's licence fees of 100,000 fall due on
/// 2024-01-15 and 2024-03-31, both in period 1 (2024-01-02..04-01); 30% of each is delayed one
/// month. 30,000 of the first arrives 2024-02-15, in period 1; 30,000 of the second arrives
/// 2024-04-30, in period 2 (04-02..07-01). Period 1: scheduled 200,000, collected 70,000 +
/// 30,000 + 70,000 = 170,000, delayed 30,000; period 2: collected 30,000, delayed 0. In both,
/// collected = scheduled − delayed + what earlier periods' delays bring (0, then 30,000).
#[test]
fn delayed_cash_is_what_leaves_its_period() {
    const EARLY_AND_LATE: &str = r#"
[[obligors]]
name = "E"

[[obligors.assets]]
kind = "licence"
schedule = [ { date = 2024-01-15, amount = 100000 }, { date = 2024-03-31, amount = 100000 } ]
"#;
    let r = run(
        EARLY_AND_LATE,
        "[scenario]\nname = \"delay\"\ndelay = { fraction = 0.3, months = 1 }\n",
    );
    let z = Decimal::ZERO;
    for (period, scheduled, collected, delayed) in [
        (1, dec!(200000), dec!(170000), dec!(30000)),
        (2, z, dec!(30000), z),
    ] {
        let row = pool_row(&r, "E", period);
        assert_eq!(
            (row.scheduled, row.collected, row.delayed),
            (scheduled, collected, delayed),
            "period {period}"
        );
    }
}

/// `scenarios.parquet` states what distinguishes scenarios beyond the pool-wide values: the
/// `overrides` as the inline tables of the scenario's TOML (rule order, exact values), the
/// scenario's own index paths, its index shift and whether the clean-up call is exercised
/// (docs/output.md). The expected strings are written from that format, not read back.
#[test]
fn scenarios_table_states_overrides_index_paths_and_the_call() {
    use ipabs::floating::IndexPath;
    use ipabs::output::scenarios::scenarios_frame;
    let src = format!("{HEADER}{TWO_INDUSTRIES}{LIABILITIES}{BY_TAG}");
    let deal = deal_from_str("pool_forms.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let by_tag = deal.scenario.clone();
    let mut rates = by_tag.clone();
    rates.name = "rates".into();
    rates.overrides.clear();
    rates.indices.paths = vec![
        (
            "lpr_1y".into(),
            IndexPath::Steps(vec![
                (NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(), dec!(0.036)),
                (NaiveDate::from_ymd_opt(2025, 1, 30).unwrap(), dec!(0.072)),
            ]),
        ),
        ("lpr_5y".into(), IndexPath::Flat(dec!(0.04))),
    ];
    rates.indices.shift = dec!(0.005);
    rates.clean_up_call = false;
    let df = scenarios_frame(&deal, &[by_tag, rates]).expect("builds");
    let text = |c: &str| -> Vec<String> {
        let col = df.column(c).expect("column").str().expect("strings");
        (0..2)
            .map(|i| col.get(i).unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        text("overrides"),
        [
            "{ tag = \"industry:semiconductor\", delay = { fraction = 1, months = 6 } }; \
             { tag = \"industry:software\", recovery_rate = 0.9, recovery_lag_months = 0 }; \
             { obligor = \"S2\", recovery_rate = 0.5 }",
            "",
        ]
    );
    assert_eq!(
        text("index_paths"),
        [
            "",
            "lpr_1y = 0.036 from 2020-01-01, 0.072 from 2025-01-30; lpr_5y = 0.04",
        ]
    );
    let shift = df
        .column("index_shift")
        .expect("column")
        .f64()
        .expect("doubles");
    assert_eq!([shift.get(0), shift.get(1)], [Some(0.0), Some(0.005)]);
    let call = df
        .column("clean_up_call")
        .expect("column")
        .bool()
        .expect("booleans");
    assert_eq!([call.get(0), call.get(1)], [Some(true), Some(false)]);
    // The pool-wide values stay where they were, the new columns after them (session 28
    // appended `support_failures`, session 30 `events`).
    let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names[names.len() - 12..],
        [
            "supports_off",
            "index_paths",
            "index_shift",
            "clean_up_call",
            "overrides",
            "support_failures",
            "events",
            "coupon_shift",
            "revolving_yield_cut",
            "purchase_cut",
            "commingling_date",
            "commingling_share"
        ]
    );
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

/// The revolving deal of item 3: one receivable of 300,000 due 2024-03-15 (collected in
/// period 1), A 200,000 at 4%, B 100,000; a revolving period to 2024-04-01 buying 3-quarter
/// equal-principal loans at 6% for 98% of par.
const REVOLVING_POOL: &str = r#"
[[obligors]]
name = "R1"

[[obligors.assets]]
kind = "receivable"
amount = 300000
due_date = 2024-03-15
"#;

const REVOLVING_LIABILITIES: &str = r#"
[[tranches]]
name = "A"
class = "senior"
balance = 200000
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
revolving = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "buy_assets", spend = "principal_collected" },
]
accelerated = [
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"], amount = "available" },
  { action = "pay_residual", tranche = "B" },
]
"#;

fn revolving_section(end_date: &str) -> String {
    format!(
        r#"
[revolving]
end_date = {end_date}
waterfall = "revolving"
price = 0.98
tags = {{ industry = "software" }}
asset = {{ kind = "loan", rate = 0.06, term = 3, frequency = "quarterly", repayment = "equal_principal" }}
"#
    )
}

fn buys(r: &RunResult) -> Vec<(u32, Decimal)> {
    r.ledger
        .iter()
        .filter(|e| e.action.name() == "buy_assets")
        .map(|e| {
            assert_eq!(r.accounts.name(e.source), "collection");
            assert_eq!(r.accounts.name(e.destination), "seller");
            (e.period, e.amount)
        })
        .collect()
}

/// Item 3: a revolving purchase, to the fen (docs/deal-format.md, `[revolving]`).
///
/// Period 1 (2024-04-01, on the end date, so live; the `revolving` waterfall runs): pool cash
/// 300,000, all principal. A's interest 200,000 × 0.04 × 91/365 = 1,994.5205… → 1,994.52;
/// cash left 298,005.48. `buy_assets` may spend the principal collected, 300,000, at most the
/// 298,005.48 held. Balance bought B = ⌊298,005.48 ÷ 0.98⌋ = ⌊304,087.2244…⌋ = 304,087.22;
/// price paid 304,087.22 × 0.98 = 298,005.4756 → 298,005.48 (half up, once), to the seller.
/// Collection account after: 0.
///
/// The loan bought: 304,087.22 from 2024-04-01, quarterly, periodic rate 0.06 × 3/12 = 0.015,
/// equal principal (docs/amortization.md): P = fen(304,087.22 / 3) = fen(101,362.4066…) =
/// 101,362.41; principal 101,362.41, 101,362.41, last 304,087.22 − 202,724.82 = 101,362.40;
/// interest 304,087.22 × 0.015 = 4,561.3083 → 4,561.31, 202,724.81 × 0.015 = 3,040.87215 →
/// 3,040.87, 101,362.40 × 0.015 = 1,520.436 → 1,520.44; due 2024-07-01, 10-01, 2025-01-01
/// (periods 2, 3, 4). The obligor `revolving@2024-04-01` shows balance 304,087.22 at the end
/// of period 1, the pool's period-1 balance is 0 + 304,087.22.
///
/// Period 2 (2024-07-01, after the end date: `normal`): pool cash 101,362.41 + 4,561.31 =
/// 105,923.72. A's interest 1,994.52 (91 days again); A's principal 105,923.72 − 1,994.52 =
/// 103,929.20; A's balance 96,070.80.
///
/// Period 3 (2024-10-01): pool cash 101,362.41 + 3,040.87 = 104,403.28. A's interest
/// 96,070.80 × 0.04 × 92/365 = 968.6042… → 968.60; A's principal its whole 96,070.80; B's
/// principal the rest, 104,403.28 − 968.60 − 96,070.80 = 7,363.88.
#[test]
fn revolving_purchase_to_the_fen() {
    let src = format!(
        "{HEADER}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}",
        revolving_section("2024-04-01")
    );
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    // The cutoff pool's last instalment is before period 2's collections, which the purchase
    // pays: no `empty_periods` warning for a revolving deal (review 26d item M5).
    assert!(
        loaded
            .warnings
            .iter()
            .all(|w| w.check.name() != "empty_periods"),
        "{:?}",
        loaded.warnings
    );
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buys(&r), vec![(1, dec!(298005.48))]);
    assert_eq!(r.conservation.purchases, dec!(298005.48));
    assert_eq!(&*r.periods[0].waterfall, "revolving");
    assert_eq!(&*r.periods[1].waterfall, "normal");
    assert_eq!(r.periods[0].collection_balance_end, Decimal::ZERO);
    assert_eq!(r.periods[0].pool_balance_end, dec!(304087.22));
    // The row adds up (docs/output.md, "The date's cash adds up"): 300,000 available = A's
    // interest 1,994.52 + the purchase 298,005.48 + 0 left.
    let p1 = &r.periods[0];
    assert_eq!(p1.available_funds, dec!(300000.00));
    assert_eq!(
        (p1.interest_paid, p1.purchases),
        (dec!(1994.52), dec!(298005.48))
    );
    assert_eq!(
        (p1.taxes_paid, p1.fees_paid, p1.principal_paid),
        (dec!(0), dec!(0), dec!(0))
    );
    assert_eq!(dec!(1994.52) + dec!(298005.48), dec!(300000.00));

    let bought = "revolving@2024-04-01";
    assert_eq!(pool_row(&r, bought, 1).balance_end, dec!(304087.22));
    let p2 = pool_row(&r, bought, 2);
    assert_eq!(
        (p2.principal_collected, p2.interest_collected),
        (dec!(101362.41), dec!(4561.31))
    );
    let p3 = pool_row(&r, bought, 3);
    assert_eq!(
        (p3.principal_collected, p3.interest_collected),
        (dec!(101362.41), dec!(3040.87))
    );
    let p4 = pool_row(&r, bought, 4);
    assert_eq!(
        (
            p4.principal_collected,
            p4.interest_collected,
            p4.balance_end
        ),
        (dec!(101362.40), dec!(1520.44), Decimal::ZERO)
    );
    // Rows stay period by period: the deal's obligor, then the purchase.
    let order: Vec<(u32, String)> = r
        .pool_flows
        .iter()
        .take(4)
        .map(|f| (f.period, f.obligor.to_string()))
        .collect();
    let want = [(1, "R1"), (1, bought), (2, "R1"), (2, bought)].map(|(p, o)| (p, o.to_string()));
    assert_eq!(order, want);

    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(
        (a1.interest_paid, a1.principal_paid),
        (dec!(1994.52), Decimal::ZERO)
    );
    let a2 = tranche_row(&r, "A", 2);
    assert_eq!(a2.principal_paid, dec!(103929.20));
    assert_eq!(a2.balance_end, dec!(96070.80));
    let a3 = tranche_row(&r, "A", 3);
    assert_eq!(
        (a3.interest_paid, a3.principal_paid),
        (dec!(968.60), dec!(96070.80))
    );
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(7363.88));
}

/// A reserve topped up after the date's purchase counts the assets bought in its target (review
/// 42h F1: the target read the pool balance without them, while the next date's fees are
/// charged on it; docs/conventions.md "Reserve target"). The deal of
/// `revolving_purchase_to_the_fen` with a servicer fee of 1% a year on the pool balance, paid
/// first, and a reserve of `target_multiple = 1` topped up after `buy_assets`.
///
/// Period 1 (2024-04-01, revolving): the fee on the balance at the period's start, 300,000 ×
/// 0.01 × 91/365 = 747.9452… → 747.95; A's interest 1,994.52; cash left 300,000 − 747.95 −
/// 1,994.52 = 297,257.53. Bought B = ⌊297,257.53 ÷ 0.98⌋ = ⌊303,324.0102…⌋ = 303,324.01 for
/// 303,324.01 × 0.98 = 297,257.5298 → 297,257.53: nothing is left to deposit. The target is
/// the next date's senior interest and fees (91 days to 2024-07-01): A's 200,000 × 0.04 ×
/// 91/365 = 1,994.52 and the fee on the pool balance with the purchase, 303,324.01 (the
/// receivable is collected: 0 + 303,324.01), × 0.01 × 91/365 = 3,033.2401 × 91 / 365 =
/// 276,024.8491 / 365 = 756.2324… → 756.23: 2,750.75 (without the purchase, 1,994.52). Period 2
/// charges the fee on that balance: 756.23.
#[test]
fn a_reserve_topped_up_after_a_purchase_counts_it() {
    let liabilities = REVOLVING_LIABILITIES
        .replace(
            "[waterfalls]\nnormal = [\n",
            "[[fees]]\nname = \"servicer\"\nkind = \"annual_rate\"\nrate = 0.01\n\
             base = \"pool_balance\"\n\n[reserve]\ntarget_multiple = 1\ninitial = 0\n\
             covers = [\"senior_interest\"]\n\n[waterfalls]\nnormal = [\n  \
             { action = \"pay_fee\", fees = [\"servicer\"] },\n",
        )
        .replace(
            "revolving = [\n",
            "revolving = [\n  { action = \"pay_fee\", fees = [\"servicer\"] },\n",
        )
        .replace(
            "  { action = \"buy_assets\", spend = \"principal_collected\" },\n]",
            "  { action = \"buy_assets\", spend = \"principal_collected\" },\n  \
             { action = \"top_up_reserve\" },\n]",
        )
        .replace(
            "accelerated = [\n",
            "accelerated = [\n  { action = \"pay_fee\", fees = [\"servicer\"] },\n",
        );
    assert!(liabilities.contains("top_up_reserve"), "{liabilities}");
    let src = format!(
        "{HEADER}{REVOLVING_POOL}{liabilities}{}",
        revolving_section("2024-04-01")
    );
    let deal = deal_from_str("pool_forms.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let r = engine::run(&deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buys(&r), vec![(1, dec!(297257.53))]);
    let p1 = &r.periods[0];
    assert_eq!(&*p1.waterfall, "revolving");
    assert_eq!(
        (p1.fees_paid, p1.interest_paid),
        (dec!(747.95), dec!(1994.52))
    );
    assert_eq!(p1.pool_balance_end, dec!(303324.01));
    assert_eq!(p1.reserve_target, Some(dec!(2750.75)));
    assert_eq!(p1.reserve_balance_end, Decimal::ZERO);
    let fee2 = r
        .charges
        .iter()
        .find(|c| c.period == 2 && c.name.as_str() == "servicer")
        .expect("the fee's row");
    assert_eq!(fee2.charged, dec!(756.23));
}

/// The revolving stresses (since session 36, review 35c G3: "yield cut by 20–50% and purchase
/// rate cut by 50%", docs/sources.md [S39]) on `revolving_purchase_to_the_fen`'s deal.
///
/// `purchase_cut = 0.5`: the step's cash is 298,005.48 as there; B = ⌊298,005.48 × 0.5 ÷
/// 0.98⌋ = ⌊149,002.74 ÷ 0.98⌋ = ⌊152,043.6122…⌋ = 152,043.61, one exact value truncated
/// once; the price paid 152,043.61 × 0.98 = 149,002.7378 → 149,002.74; 298,005.48 −
/// 149,002.74 = 149,002.74 stays in the collection account.
///
/// `revolving_yield_cut = 0.2`: the loan bought is the same 304,087.22 at 0.06 × 0.8 = 0.048, a
/// quarterly periodic rate of 0.012: interest 304,087.22 × 0.012 = 3,649.04664 → 3,649.05,
/// 202,724.81 × 0.012 = 2,432.69772 → 2,432.70, 101,362.40 × 0.012 = 1,216.3488 → 1,216.35;
/// the principal as without the cut.
#[test]
fn the_revolving_stresses_cut_the_purchases_and_their_yield() {
    let with = |keys: &str| {
        let src = format!(
            "{HEADER}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}\n[scenario]\nname = \"stressed\"\n{keys}",
            revolving_section("2024-04-01")
        );
        let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
        let deal = &loaded.deal;
        engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"))
    };
    let r = with("purchase_cut = 0.5\n");
    assert_eq!(buys(&r), vec![(1, dec!(149002.74))]);
    assert_eq!(r.periods[0].collection_balance_end, dec!(149002.74));
    assert_eq!(
        pool_row(&r, "revolving@2024-04-01", 1).balance_end,
        dec!(152043.61)
    );

    // The standard suite of a revolving deal ends with the three revolving stresses; a deal
    // without `[revolving]` has none.
    let src = format!(
        "{HEADER}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}",
        revolving_section("2024-04-01")
    );
    let deal = deal_from_str("pool_forms.toml", &src).unwrap().deal;
    let suite = ipabs::analytics::stress::standard_suite(&deal, &deal.scenario);
    let last: Vec<(String, Decimal, Decimal)> = suite[suite.len() - 3..]
        .iter()
        .map(|s| (s.name.clone(), s.revolving_yield_cut, s.purchase_cut))
        .collect();
    assert_eq!(
        last,
        vec![
            ("revolving-yield-20%".to_string(), dec!(0.20), dec!(0)),
            ("revolving-yield-50%".to_string(), dec!(0.50), dec!(0)),
            ("revolving-purchase-50%".to_string(), dec!(0), dec!(0.50)),
        ]
    );
    // On a scenario's own cut, the suite's cut composes: 1 − (1 − 0.6)(1 − 0.2) = 0.68 and
    // 1 − 0.4 × 0.5 = 0.8 (review 36b item M2: it replaced 0.6 by 0.2).
    let mut base = deal.scenario.clone();
    base.revolving_yield_cut = dec!(0.6);
    let suite = ipabs::analytics::stress::standard_suite(&deal, &base);
    let cuts: Vec<Decimal> = suite[suite.len() - 3..]
        .iter()
        .map(|s| s.revolving_yield_cut)
        .collect();
    assert_eq!(cuts, vec![dec!(0.68), dec!(0.8), dec!(0.6)]);
    let plain = deal_from_str(
        "pool_forms.toml",
        &format!("{HEADER}{REVOLVING_POOL}{LIABILITIES}"),
    )
    .unwrap()
    .deal;
    assert!(
        ipabs::analytics::stress::standard_suite(&plain, &plain.scenario)
            .iter()
            .all(|s| !s.name.starts_with("revolving-"))
    );

    // A cut of 1 buys nothing: the 298,005.48 stays in the account.
    let r = with("purchase_cut = 1\n");
    assert_eq!(buys(&r), vec![]);
    assert_eq!(r.periods[0].collection_balance_end, dec!(298005.48));

    let r = with("revolving_yield_cut = 0.2\n");
    assert_eq!(buys(&r), vec![(1, dec!(298005.48))]);
    let bought = "revolving@2024-04-01";
    let got: Vec<(Decimal, Decimal)> = (2..=4)
        .map(|k| {
            let p = pool_row(&r, bought, k);
            (p.principal_collected, p.interest_collected)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (dec!(101362.41), dec!(3649.05)),
            (dec!(101362.41), dec!(2432.70)),
            (dec!(101362.40), dec!(1216.35)),
        ]
    );
}

/// A revolving period that ends on a payment date's scheduled day includes it when the
/// business-day convention moves the payment later (review 25a item 8: the period silently
/// ended a date early). The first payment date is scheduled on Saturday 2024-03-30 and paid
/// on Monday 2024-04-01 (`following`): with `end_date = 2024-03-30` period 1 runs `revolving`
/// and buys what `revolving_purchase_to_the_fen` buys on the same day (the same pool cash, the
/// same 91 days of A's interest): 298,005.48. An end date that is no payment date (Sunday
/// 2024-03-31) is told, at its key, with the date of the last purchases.
#[test]
fn a_revolving_period_ending_on_a_scheduled_date_includes_it() {
    let header = HEADER
        .replace(
            "first_payment_date = 2024-04-01",
            "first_payment_date = 2024-03-30",
        )
        .replace(
            "business_day = \"unadjusted\"",
            "business_day = \"following\"",
        );
    for (end, warned) in [("2024-03-30", false), ("2024-03-31", true)] {
        let src = format!(
            "{header}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}",
            revolving_section(end)
        );
        let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
        let deal = &loaded.deal;
        assert_eq!(deal.periods[0].date().to_string(), "2024-04-01");
        let told: Vec<String> = loaded.warnings.iter().map(|w| w.to_string()).collect();
        let expected = "revolving.end_date: the revolving period's end date 2024-03-31 is not a \
                        payment date: the last purchases are on payment date 1 (2024-04-01)";
        assert_eq!(
            told.iter().any(|w| w.contains(expected)),
            warned,
            "{told:?}"
        );
        let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(buys(&r), vec![(1, dec!(298005.48))], "end {end}");
        assert_eq!(&*r.periods[0].waterfall, "revolving");
        assert_eq!(&*r.periods[1].waterfall, "normal");
    }
    // An end before the first date names it as scheduled, and when it is paid.
    let src = format!(
        "{header}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}",
        revolving_section("2024-03-29")
    );
    let err = deal_from_str("pool_forms.toml", &src)
        .expect_err("an error")
        .to_string();
    assert!(
        err.contains(
            "the revolving period ends on 2024-03-29, before the first payment date 2024-03-30 \
             (paid 2024-04-01): no purchase can happen"
        ),
        "{err}"
    );
}

/// A revolving template with step-up rents (`repayment = "step_up"`): the purchase of
/// `revolving_purchase_to_the_fen` (304,087.22 bought on 2024-04-01), as a lease of 6
/// quarterly rents at 6% growing 5% a year (docs/amortization.md, StepUp).
///
/// Python `fractions`, independently of the engine's closed form: with r = 0.015 and years
/// 0, 0, 0, 0, 1, 1, X_0 = 304,087.22 / (Σ_(k<4) 1.015^−(k+1) + 1.05 (1.015^−5 + 1.015^−6))
/// = 52,525.4843… → 52,525.48; X_4 = 1.05 X_0 = 55,151.7585… → 55,151.76. First rent:
/// interest fen(304,087.22 × 0.015) = 4,561.31, principal 47,964.17. Balances after: 256,123.05,
/// 207,439.42, 158,025.53, 107,870.43; fifth rent (period 6, due 2025-07-01): interest
/// fen(107,870.43 × 0.015) = 1,618.06, principal 53,533.70; the last (period 7) repays
/// 54,336.73 with 815.05 of interest.
#[test]
fn revolving_purchase_of_step_up_leases() {
    let section = revolving_section("2024-04-01").replace(
        r#"asset = { kind = "loan", rate = 0.06, term = 3, frequency = "quarterly", repayment = "equal_principal" }"#,
        r#"asset = { kind = "lease", rate = 0.06, term = 6, frequency = "quarterly", repayment = "step_up", growth = 0.05 }"#,
    );
    assert!(section.contains("step_up"));
    let src = format!("{HEADER}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{section}");
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buys(&r), vec![(1, dec!(298005.48))]);
    let bought = "revolving@2024-04-01";
    let amounts = |period| {
        let row = pool_row(&r, bought, period);
        (row.principal_collected, row.interest_collected)
    };
    assert_eq!(amounts(2), (dec!(47964.17), dec!(4561.31)));
    assert_eq!(amounts(6), (dec!(53533.70), dec!(1618.06)));
    assert_eq!(amounts(7), (dec!(54336.73), dec!(815.05)));
    assert_eq!(pool_row(&r, bought, 7).balance_end, Decimal::ZERO);
}

/// Item 3: an end trigger ends the revolving period early, and a purchased obligor follows
/// the scenario's rules for its tags.
///
/// Same deal with a second receivable R2 (400,000 due 2024-06-15), a revolving period to
/// 2024-10-01, and a trigger `cumulative_default_ratio_above 0.5` switching to `accelerated`.
/// The scenario defaults R2 on 2024-05-01 (no recovery) and delays all instalments of
/// `industry:software` obligors by 3 months: only the purchased obligor has that tag.
///
/// Period 1: exactly as above (R2 is not due yet): 304,087.22 bought for 298,005.48.
/// Period 2 (2024-07-01): R2 defaults, 400,000; the cumulative default ratio 400,000 /
/// 700,000 = 0.571… > 0.5 trips the trigger before the waterfall, which ends the revolving
/// period for good; `accelerated` runs. The purchased loan's 2024-07-01 instalment
/// (101,362.41 plus 4,561.31 = 105,923.72) is delayed 3 months to 2024-10-01: pool cash 0, A is paid nothing
/// of its 1,994.52 interest. Period 3 (2024-10-01, on the end date): pool cash 105,923.72, of it
/// principal 101,362.41; a live period would buy with it, but the period has ended: no
/// purchase. A's interest due = 1,994.52 carried + 200,000 × 0.04 × 92/365 (= 2,016.4383… →
/// 2,016.44) = 4,010.96, paid; A's principal 105,923.72 − 4,010.96 = 101,912.76.
#[test]
fn an_end_trigger_stops_purchases_and_tag_rules_reach_purchases() {
    let pool = format!(
        "{REVOLVING_POOL}{}",
        r#"
[[obligors]]
name = "R2"

[[obligors.assets]]
kind = "receivable"
amount = 400000
due_date = 2024-06-15
"#
    );
    let extra = r#"
[[triggers]]
name = "defaults"
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.5
waterfall = "accelerated"

[scenario]
name = "r2-defaults"
defaults = [ { obligor = "R2", date = 2024-05-01 } ]
overrides = [ { tag = "industry:software", delay = { fraction = 1, months = 3 } } ]
"#;
    let src = format!(
        "{HEADER}{pool}{REVOLVING_LIABILITIES}{}{extra}",
        revolving_section("2024-10-01")
    );
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buys(&r), vec![(1, dec!(298005.48))]);
    let wf: Vec<&str> = r.periods.iter().take(3).map(|p| &*p.waterfall).collect();
    assert_eq!(wf, ["revolving", "accelerated", "accelerated"]);
    let bought = "revolving@2024-04-01";
    let p2 = pool_row(&r, bought, 2);
    assert_eq!((p2.collected, p2.delayed), (Decimal::ZERO, dec!(105923.72)));
    assert_eq!(r.periods[1].pool_cash, Decimal::ZERO);
    let p3 = pool_row(&r, bought, 3);
    assert_eq!(
        (p3.collected, p3.principal_collected),
        (dec!(105923.72), dec!(101362.41))
    );
    assert_eq!(tranche_row(&r, "A", 2).interest_paid, Decimal::ZERO);
    let a3 = tranche_row(&r, "A", 3);
    assert_eq!(
        (a3.interest_due, a3.interest_paid, a3.principal_paid),
        (dec!(4010.96), dec!(4010.96), dec!(101912.76))
    );
}

/// Item 9 through the command line: `ipabs sweep` with a two-scenario file and the standard
/// suite. The base deal of the bad-deal corpus has a support provider, so the suite has 17
/// stresses plus 4 `supports-off` ones = 21. Built on the deal's own scenario (the default)
/// the run list is the 2 file scenarios + 21 = 23; with `--stress-on scenarios` each of the 2
/// is followed by its own 21: 2 × 22 = 44. `--stress-on` without `--stress` is a usage error.
#[test]
fn sweep_stress_on_every_scenario() {
    let dir = std::env::temp_dir().join(format!("ipabs-pool-forms-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let scenarios = dir.join("scenarios.toml");
    std::fs::write(
        &scenarios,
        "[[scenarios]]\nname = \"base\"\n\n[[scenarios]]\nname = \"slow\"\nrecovery_rate = 0.3\n\
         overrides = [ { tag = \"industry:biotech\", delay = { fraction = 1, months = 6 } } ]\n",
    )
    .expect("write");
    let root = env!("CARGO_MANIFEST_DIR");
    let deal = format!("{root}/tests/bad_deals/valid/base.toml");
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "sweep",
            deal.as_str(),
            "--scenarios",
            scenarios.to_str().expect("utf-8"),
            "--out",
        ];
        let out = dir.join(out);
        let out = out.to_str().expect("utf-8").to_string();
        args.push(&out);
        args.extend_from_slice(extra);
        std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
            .args(&args)
            .output()
            .expect("ipabs runs")
    };
    let plain = run(&["--stress", "standard"], "plain");
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(String::from_utf8_lossy(&plain.stdout).contains("scenarios: 23"));
    let every = run(
        &["--stress", "standard", "--stress-on", "scenarios"],
        "every",
    );
    assert!(
        every.status.success(),
        "{}",
        String::from_utf8_lossy(&every.stderr)
    );
    assert!(String::from_utf8_lossy(&every.stdout).contains("scenarios: 44"));
    assert!(String::from_utf8_lossy(&every.stderr).contains("slow×recovery-10%"));
    // The message names the flag that is missing; clap's own usage line listed
    // `--stress-on` among the required arguments. Nothing is written.
    let usage = run(&["--stress-on", "scenarios"], "usage");
    assert_eq!(usage.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&usage.stderr);
    assert!(
        stderr.contains("--stress-on scenarios says what a stress suite is built on")
            && stderr.contains("add --stress standard"),
        "{stderr}"
    );
    assert!(!dir.join("usage").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Item 3 with item 1: `buy_assets` spends from a named account (`from = "principal"`, the
/// 本金分账户 of Chinese practice) instead of the collection account.
///
/// The deal of `revolving_purchase_to_the_fen` with one account, `principal`, that collects
/// principal (interest stays in the collection account). The revolving waterfall pays A's
/// interest and buys from the principal account; the normal waterfall first moves the whole
/// principal account into the collection account, then runs as before.
///
/// Period 1: pool cash 300,000, all principal, into the principal account. A's interest
/// 1,994.52 from it (as worked above); `buy_assets` with `spend = "available"` may spend all
/// that is held, 298,005.48: the same B = 304,087.22 bought for 298,005.48, now booked from
/// `account:principal` to `seller`, leaving the principal account at 0. Periods 2 and 3 see
/// the same cash in the collection account as the single-account deal (interest directly,
/// principal through the transfer), so A's period-2 principal is 103,929.20 and B's
/// period-3 principal 7,363.88, as worked above.
#[test]
fn buy_assets_spends_from_the_principal_account() {
    let liabilities = REVOLVING_LIABILITIES
        .replace(
            "  { action = \"pay_interest\", tranches = [\"A\"] },\n  { action = \"buy_assets\", spend = \"principal_collected\" },",
            "  { action = \"pay_interest\", tranches = [\"A\"], from = \"principal\" },\n  { action = \"buy_assets\", spend = \"available\", from = \"principal\" },",
        )
        .replace(
            "normal = [\n",
            "normal = [\n  { action = \"transfer\", from = \"principal\", to = \"collection\" },\n",
        );
    assert_ne!(liabilities, REVOLVING_LIABILITIES);
    let accounts = "\n[[accounts]]\nname = \"principal\"\ncollects = [\"principal\"]\n";
    let src = format!(
        "{HEADER}{REVOLVING_POOL}{liabilities}{accounts}{}",
        revolving_section("2024-04-01")
    );
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    let bought: Vec<(u32, &str, &str, Decimal)> = r
        .ledger
        .iter()
        .filter(|e| e.action.name() == "buy_assets")
        .map(|e| {
            (
                e.period,
                r.accounts.name(e.source),
                r.accounts.name(e.destination),
                e.amount,
            )
        })
        .collect();
    assert_eq!(
        bought,
        vec![(1, "account:principal", "seller", dec!(298005.48))]
    );
    assert_eq!(r.conservation.purchases, dec!(298005.48));
    assert_eq!(tranche_row(&r, "A", 1).interest_paid, dec!(1994.52));
    assert_eq!(tranche_row(&r, "A", 2).principal_paid, dec!(103929.20));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(7363.88));
    assert_eq!(r.conservation.accounts_end, Decimal::ZERO);
}

/// A reconciled date whose report pays the senior interest in full keeps the revolving period
/// live (review 24f item 3). The revolving deal of item 3 with its receivable due 2024-05-15
/// (period 2), the revolving period to 2024-07-01 and a non-curable
/// `senior_interest_shortfall` event of default to `accelerated`. Period 1 collects nothing:
/// the waterfall pays none of A's 1,994.52 (200,000 × 0.04 × 91/365), the event trips and
/// ends the revolving period, so period 2 runs `accelerated`. A report of period 1 with A's
/// interest paid in full trips nothing when tested again, and the revolving period it ended
/// is live again: period 2 runs `revolving` (before, it ran `normal`: the trigger was cleared
/// but the period stayed ended).
#[test]
fn a_reported_full_payment_keeps_the_revolving_period() {
    let src = format!(
        "{HEADER}{}{REVOLVING_LIABILITIES}{}\n[[triggers]]\nname = \"eod\"\n\
         kind = \"event_of_default\"\ncondition = \"senior_interest_shortfall\"\n\
         waterfall = \"accelerated\"\n",
        REVOLVING_POOL.replace("due_date = 2024-03-15", "due_date = 2024-05-15"),
        revolving_section("2024-07-01")
    );
    let d = deal_from_str("revolving.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let r = engine::run(&d, &d.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&*r.periods[0].triggers_tripped, "eod");
    assert_eq!(&*r.periods[1].waterfall, "accelerated");
    let actuals = "[[periods]]\nperiod = 1\npayment_date = 2024-04-01\n\
                   pool = { principal = 0, interest = 0 }\n\
                   tranches.A = { interest = \"1994.52\", principal = 0 }\n";
    let a =
        ipabs::validate::actuals_from_str("a.toml", actuals, &d).unwrap_or_else(|e| panic!("{e}"));
    let rec = ipabs::analytics::reconcile::reconcile(&d, &d.scenario, &a)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&*rec.run.periods[0].triggers_tripped, "");
    assert_eq!(&*rec.run.periods[1].waterfall, "revolving");
}

/// Purchases named after an obligor of the file are its receivables (review 26d item H1; since
/// session 27, docs/deal-format.md `[revolving]`, "Projection").
///
/// The deal of `revolving_purchase_to_the_fen` buys 304,087.22 of a 3-quarter loan on
/// 2024-04-01. With `obligor = "R1"` (R1 being the cutoff obligor) and R1 defaulting on
/// 2024-05-01 the purchase defaults on that day, before its first instalment (due 2024-07-01):
/// its whole 304,087.22 defaults in period 2 and it pays nothing after. The `overrides` rule
/// naming R1 reaches it too: recovery 50% with no lag, 304,087.22 × 0.5 = 152,043.61 recovered
/// on 2024-05-01, in period 2, the only cash of that period (R1's receivable was paid on
/// 2024-03-15). The template has no `tags`, so the purchase takes R1's (`region = 黄埔`).
///
/// With `obligor = "R1 (循环购买)"` the purchases are not R1's: the scenario's default is told
/// at its `defaults` (`revolving_defaults`), and the purchase pays its first instalment,
/// 101,362.41 + 4,561.31 = 105,923.72, in period 2 as in `revolving_purchase_to_the_fen`.
#[test]
fn a_named_default_of_the_debtor_reaches_its_purchases() {
    let scenario = "\n[scenario]\nname = \"r1\"\ndefaults = [ { obligor = \"R1\", date = 2024-05-01 } ]\n\
                    overrides = [ { obligor = \"R1\", recovery_rate = 0.5 } ]\n";
    let deal_with = |obligor: &str| {
        let src = format!(
            "{HEADER}{}{REVOLVING_LIABILITIES}{}{scenario}",
            REVOLVING_POOL.replacen(
                "name = \"R1\"\n",
                "name = \"R1\"\ntags = { region = \"黄埔\" }\n",
                1
            ),
            revolving_section("2024-04-01")
                .replacen("tags = { industry = \"software\" }\n", "", 1)
                .replacen(
                    "price = 0.98\n",
                    &format!("price = 0.98\nobligor = \"{obligor}\"\n"),
                    1
                )
        );
        deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"))
    };
    let told = |loaded: &ipabs::validate::Loaded| -> Vec<String> {
        loaded
            .warnings
            .iter()
            .filter(|w| w.check.name() == "revolving_defaults")
            .map(|w| w.location.clone())
            .collect()
    };

    let tied = deal_with("R1");
    assert_eq!(told(&tied), Vec::<String>::new());
    let rev = tied.deal.revolving.as_ref().expect("revolving");
    assert_eq!(rev.debtor, Some(0));
    assert_eq!(rev.tags.get("region").map(String::as_str), Some("黄埔"));
    let r = engine::run(&tied.deal, &tied.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buys(&r), vec![(1, dec!(298005.48))]);
    let p2 = pool_row(&r, "R1@2024-04-01", 2);
    assert_eq!(
        (
            p2.defaulted,
            p2.recovered,
            p2.principal_collected,
            p2.balance_end
        ),
        (
            dec!(304087.22),
            dec!(152043.61),
            Decimal::ZERO,
            Decimal::ZERO
        )
    );
    assert_eq!(r.periods[1].pool_cash, dec!(152043.61));
    for period in 3..=4 {
        assert_eq!(
            pool_row(&r, "R1@2024-04-01", period).collected,
            Decimal::ZERO
        );
    }

    let untied = deal_with("R1 (循环购买)");
    let locations = told(&untied);
    // The named default and the rule naming R1, neither of which reaches the purchases
    // (review 27c item 9: the rule was not told).
    assert_eq!(locations.len(), 2, "{:?}", untied.warnings);
    assert!(
        locations[0].ends_with("scenario.defaults"),
        "{}",
        locations[0]
    );
    assert!(
        locations[1].ends_with("scenario.overrides[0]"),
        "{}",
        locations[1]
    );
    assert_eq!(untied.deal.revolving.as_ref().and_then(|r| r.debtor), None);
    let r = engine::run(&untied.deal, &untied.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.periods[1].pool_cash, dec!(105923.72));
    // Untied purchases are told to `rate` and `size` (review 27c item 3: a Monte Carlo path
    // defaults the file's obligors only); tied ones are not.
    let search = |l: &ipabs::validate::Loaded| -> Vec<String> {
        l.search_warnings
            .iter()
            .filter(|w| w.check.name() == "revolving_defaults")
            .map(|w| w.location.clone())
            .collect()
    };
    let s = search(&untied);
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s[0].ends_with(": revolving"), "{}", s[0]);
    assert!(search(&tied).is_empty());
}

/// The default curve reaches a purchase, counted from its first period, as a share of the
/// balance bought (since session 27; docs/deal-format.md `[revolving]`, "Projection", and
/// docs/conventions.md step 1). `default_rate = 0.3`, even timing, the deal of
/// `revolving_purchase_to_the_fen`.
///
/// Cutoff pool: R1's receivable of 300,000 is the pool's only instalment (period 1), so the
/// even timing has m = 1: period 1 defaults fen(0.3 × 300,000) = 90,000.00 and the receivable
/// pays the remaining 210,000.00. Period 1: A's interest 1,994.52; held 208,005.48; B =
/// ⌊208,005.48 ÷ 0.98⌋ = ⌊212,250.4897…⌋ = 212,250.48; price 212,250.48 × 0.98 = 208,005.4704
/// → 208,005.47 (0.01 stays in the account).
///
/// The loan bought: equal principal 212,250.48 / 3 = 70,750.16 a quarter, interest at 1.5%:
/// 3,183.7572 → 3,183.76, 141,500.32 × 0.015 = 2,122.5048 → 2,122.50, 70,750.16 × 0.015 =
/// 1,061.2524 → 1,061.25; due in periods 2, 3, 4, so its own even timing has m = 3. Each of
/// those periods defaults fen(0.3 × 212,250.48 / 3) = fen(21,225.048) = 21,225.05, at the
/// start of the period (conventions.md), and the survival factor φ ← round12(φ × (B − D) / B):
///
/// | period | B at start | D | φ | principal paid | interest | B at end |
/// |---|---|---|---|---|---|---|
/// | 2 | 212,250.48 | 21,225.05 | 191,025.43 / 212,250.48 = 0.899999990577 | fen(φ × 70,750.16) = 63,675.14 | fen(φ × 3,183.76) = 2,865.38 | 127,350.29 |
/// | 3 | 127,350.29 | 21,225.05 | round12(0.899999990577 × 106,125.24 / 127,350.29) = 0.749999980369 | fen(φ × 70,750.16) = 53,062.62 | fen(φ × 2,122.50) = 1,591.87 | 53,062.62 |
/// | 4 | 53,062.62 | 21,225.05 | (last instalment: the whole rest) | 31,837.57 | fen(0.449999959953 × 1,061.25) = 477.56 | 0.00 |
///
/// (φ in period 4: round12(0.749999980369 × 31,837.57 / 53,062.62) = 0.449999959953.)
/// Defaults 63,675.15 + principal 148,575.33 = 212,250.48, the balance bought.
#[test]
fn the_default_curve_reaches_purchases_from_their_first_period() {
    let src = format!(
        "{HEADER}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}\n[scenario]\nname = \"curve\"\n\
         default_rate = 0.3\n",
        revolving_section("2024-04-01")
    );
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    let r1 = pool_row(&r, "R1", 1);
    assert_eq!(
        (r1.defaulted, r1.principal_collected),
        (dec!(90000), dec!(210000))
    );
    assert_eq!(buys(&r), vec![(1, dec!(208005.47))]);
    assert_eq!(r.periods[0].collection_balance_end, dec!(0.01));
    let bought = "revolving@2024-04-01";
    assert_eq!(pool_row(&r, bought, 1).balance_end, dec!(212250.48));
    let want = [
        (
            2,
            dec!(21225.05),
            dec!(63675.14),
            dec!(2865.38),
            dec!(127350.29),
        ),
        (
            3,
            dec!(21225.05),
            dec!(53062.62),
            dec!(1591.87),
            dec!(53062.62),
        ),
        (
            4,
            dec!(21225.05),
            dec!(31837.57),
            dec!(477.56),
            Decimal::ZERO,
        ),
    ];
    for (period, defaulted, principal, interest, balance) in want {
        let row = pool_row(&r, bought, period);
        assert_eq!(
            (
                row.defaulted,
                row.principal_collected,
                row.interest_collected,
                row.balance_end
            ),
            (defaulted, principal, interest, balance),
            "period {period}"
        );
    }
}

/// A debtor's default ends the revolving period that buys its receivables (review 27c item 2;
/// docs/deal-format.md `[revolving]`), before the waterfall of the first payment date on or
/// after it is chosen (review 27d item 1: it ended inside `buy_assets`, a date late). The deal
/// of `revolving_purchase_to_the_fen` with `obligor = "R1"` and R1 defaulting on 2024-03-20,
/// after its receivable (due 03-15, paid in full) and before the purchase date 2024-04-01:
/// period 1 runs `normal`, nothing is bought, and a `revolving_defaults` warning says so at
/// period 1. Period 1: 300,000 collected; A's interest 200,000 × 4% × 91/365 = 1,994.52; A's
/// principal its whole 200,000.00; B's principal the rest, 300,000 − 1,994.52 − 200,000 =
/// 98,005.48; nothing left. With `allow = ["revolving_defaults"]` the same run is not told.
#[test]
fn a_debtors_default_ends_the_revolving_period() {
    let src = format!(
        "{HEADER}{REVOLVING_POOL}{REVOLVING_LIABILITIES}{}\n[scenario]\nname = \"r1\"\n\
         defaults = [ {{ obligor = \"R1\", date = 2024-03-20 }} ]\n",
        revolving_section("2024-04-01").replacen(
            "price = 0.98\n",
            "price = 0.98\nobligor = \"R1\"\n",
            1
        )
    );
    let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(buys(&r), vec![]);
    assert_eq!(pool_row(&r, "R1", 1).principal_collected, dec!(300000));
    assert_eq!(&*r.periods[0].waterfall, "normal");
    let told = |r: &RunResult| -> Vec<u32> {
        r.warnings
            .iter()
            .filter(|w| w.check.name() == "revolving_defaults")
            .filter_map(|w| w.period.map(|p| p.0))
            .collect()
    };
    assert_eq!(told(&r), vec![1], "{:?}", r.warnings);
    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(
        (a1.interest_paid, a1.principal_paid),
        (dec!(1994.52), dec!(200000.00))
    );
    assert_eq!(tranche_row(&r, "B", 1).principal_paid, dec!(98005.48));
    assert_eq!(r.periods[0].collection_balance_end, dec!(0));
    let allowed = src.replacen(
        "calendar = \"weekends\"\n",
        "calendar = \"weekends\"\nallow = [\"revolving_defaults\"]\n",
        1,
    );
    let quiet = deal_from_str("pool_forms.toml", &allowed).unwrap_or_else(|e| panic!("{e}"));
    let q = engine::run(&quiet.deal, &quiet.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert!(told(&q).is_empty(), "{:?}", q.warnings);
    assert_eq!(tranche_row(&q, "B", 1).principal_paid, dec!(98005.48));
}

/// A group defaults together (docs/rating.md §1, "Obligor groups"), so the named default of
/// another obligor of the debtor's `group` reaches the purchases and ends the revolving period
/// as the debtor's own does (review 40a item 1: the purchases kept performing and the period
/// kept buying the defaulted group's receivables).
///
/// The deal of `a_debtors_default_ends_the_revolving_period` (`obligor = "R1"`) with R1 and a
/// second obligor R2 (a receivable of 1,000 due 2024-07-01, in period 2) in group `G`, and the
/// scenario naming R2 only, with no recovery:
/// * named on 2024-05-01, after the purchase of 2024-04-01: period 1 is untouched (R1's 300,000
///   paid on 03-15, 298,005.48 spent on a balance of 304,087.22, as in
///   `a_named_default_of_the_debtor_reaches_its_purchases`); the purchase defaults whole on
///   05-01, in period 2, and pays nothing after; R2 pays nothing, so period 2 has no cash (the
///   purchase would have paid its first instalment, 105,923.72, there);
/// * named on 2024-03-20, before the purchase date: nothing is bought, and the warning names
///   R2 as the group's named obligor.
#[test]
fn a_group_default_reaches_the_debtors_purchases() {
    let run = |defaults: &str| {
        let pool = REVOLVING_POOL.replacen(
            "name = \"R1\"\n",
            "name = \"R1\"\ntags = { group = \"G\" }\n",
            1,
        ) + "\n[[obligors]]\nname = \"R2\"\ntags = { group = \"G\" }\n\n[[obligors.assets]]\n\
             kind = \"receivable\"\namount = 1000\ndue_date = 2024-07-01\n";
        let src = format!(
            "{HEADER}{pool}{REVOLVING_LIABILITIES}{}\n[scenario]\nname = \"r2\"\n\
             defaults = [ {defaults} ]\n",
            revolving_section("2024-04-01").replacen(
                "price = 0.98\n",
                "price = 0.98\nobligor = \"R1\"\n",
                1
            )
        );
        let loaded = deal_from_str("pool_forms.toml", &src).unwrap_or_else(|e| panic!("{e}"));
        engine::run(&loaded.deal, &loaded.deal.scenario).unwrap_or_else(|e| panic!("{e}"))
    };
    let after = run("{ obligor = \"R2\", date = 2024-05-01 }");
    assert_eq!(buys(&after), vec![(1, dec!(298005.48))]);
    let p2 = pool_row(&after, "R1@2024-04-01", 2);
    assert_eq!(
        (p2.defaulted, p2.collected, p2.balance_end),
        (dec!(304087.22), Decimal::ZERO, Decimal::ZERO)
    );
    assert_eq!(after.periods[1].pool_cash, Decimal::ZERO);
    for period in 3..=4 {
        assert_eq!(
            pool_row(&after, "R1@2024-04-01", period).collected,
            Decimal::ZERO
        );
    }

    let told = |r: &RunResult| -> Vec<String> {
        r.warnings
            .iter()
            .filter(|w| w.check.name() == "revolving_defaults")
            .map(|w| w.message.clone())
            .collect()
    };
    let before = run("{ obligor = \"R2\", date = 2024-03-20 }");
    assert_eq!(buys(&before), vec![]);
    let w = told(&before);
    assert_eq!(w.len(), 1, "{:?}", before.warnings);
    assert!(
        w[0].contains(
            "receivables of `R1`, which the scenario defaults on 2024-03-20 with its group \
             (`R2` is named)"
        ),
        "{}",
        w[0]
    );
    // Both named on that date, R2 first: the debtor's own default is the one told (review
    // 40c F5).
    let both =
        run("{ obligor = \"R2\", date = 2024-03-20 }, { obligor = \"R1\", date = 2024-03-20 }");
    let w = told(&both);
    assert_eq!(w.len(), 1, "{:?}", both.warnings);
    assert!(
        w[0].contains("which the scenario defaults on 2024-03-20, so it buys nothing"),
        "{}",
        w[0]
    );
}
