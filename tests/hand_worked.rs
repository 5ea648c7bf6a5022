//! The hand-worked deal (tests/fixtures/hand_worked.toml), period by period, to the fen.
//!
//! Every expected figure below is derived in the comments from the deal file and the rules in
//! docs/conventions.md — never copied from the program's output.
//!
//! Common facts: payment dates 2024-04-01, 07-01, 09-30; closing 2024-01-01; every accrual
//! period [P_{k-1}, P_k) is 91 days: 01-01→04-01 = 31+29+31 = 91; 04-01→07-01 = 30+31+30 = 91;
//! 07-01→09-30 = 31+31+30−1 = 91. So
//! yf = 91/365 in every period (ACT/365F). Collection lag 0: collection periods are
//! [01-02, 04-01], [04-02, 07-01], [07-02, 09-30].
//!
//! Pool: O1 owes 525,000 (500,000 P + 25,000 I) on 03-15 and 09-15.
//!       O2 owes 525,000 on 03-15, 262,500 (250,000 + 12,500) on 06-15 and on 09-15.
//!       Pool balance 2,000,000. Scenario: O2 defaults 2024-05-01, recovery 60%, lag 3 months.

use std::path::Path;

use chrono::NaiveDate;
use ipabs::analytics::measures::{PricedRun, price_run};
use ipabs::engine::{self, result::RunResult};
use ipabs::scenario::Pricing;
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
}

fn fixture() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hand_worked.toml");
    std::fs::read_to_string(p).expect("fixture exists")
}

fn run_source(src: &str) -> PricedRun {
    let loaded = deal_from_str("hand_worked.toml", src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    price_run(deal, r, &Pricing::default())
}

fn tranche_row<'a>(
    r: &'a RunResult,
    tranche: &str,
    period: u32,
) -> &'a ipabs::engine::result::TrancheFlowRow {
    r.tranche_flows
        .iter()
        .find(|x| x.tranche == tranche && x.period == period)
        .expect("row exists")
}

fn pool_row(r: &RunResult, obligor: &str, period: u32) -> ipabs::engine::result::PoolFlowRow {
    r.pool_flows
        .iter()
        .find(|x| x.obligor == obligor && x.period == period)
        .expect("row exists")
}

fn ledger_sum(r: &RunResult, period: u32, action: &str, source: &str) -> Decimal {
    r.ledger
        .iter()
        .filter(|e| {
            e.period == period && e.action.name() == action && r.accounts.name(e.source) == source
        })
        .map(|e| e.amount)
        .sum()
}

/// The `accelerated` waterfall the trigger tests add to the fixture: everything left goes to
/// A's principal, then to B.
const ACCELERATED: &str = r#"accelerated = [
  { action = "pay_tax", taxes = ["vat"] },
  { action = "pay_fee", fees = ["manager"] },
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"], amount = "available" },
  { action = "top_up_reserve" },
  { action = "pay_principal", tranches = ["B"] },
  { action = "pay_residual", tranche = "B" },
]
"#;

#[test]
fn normal_waterfall_to_the_fen() {
    let r = run_source(&fixture());
    assert_eq!(r.periods.len(), 3);
    assert_eq!(r.periods[0].payment_date, d(2024, 4, 1));
    assert_eq!(r.periods[1].collection_start, d(2024, 4, 2));
    assert_eq!(r.periods[2].collection_end, d(2024, 9, 30));

    // ---- Period 1 -------------------------------------------------------------------------
    // Collections: O1 525,000 + O2 525,000 = 1,050,000.00, of which interest 50,000.
    // VAT = fen(0.0326 × 50,000) = 1,630.00. Fee 1,000.00.
    // A interest = fen(1,800,000 × 0.04 × 91/365) = fen(17,950.6849…) = 17,950.68.
    // A principal (pass-through) = 1,050,000 − 1,630 − 1,000 − 17,950.68 = 1,029,419.32.
    // A balance 1,800,000 − 1,029,419.32 = 770,580.68. Reserve at target 5,000: no movement.
    // Coverage = (1,050,000 − 1,630 − 1,000) / (17,950.68 + 0) = 58.3470932… → 58.347093.
    let p1 = &r.periods[0];
    assert_eq!(p1.pool_cash, dec!(1050000.00));
    assert_eq!(p1.taxes_paid, dec!(1630.00));
    assert_eq!(p1.fees_paid, dec!(1000.00));
    assert_eq!(p1.interest_paid, dec!(17950.68));
    assert_eq!(p1.principal_paid, dec!(1029419.32));
    assert_eq!(p1.reserve_draws, dec!(0));
    assert_eq!(p1.support_draws, dec!(0));
    assert_eq!(p1.collection_balance_end, dec!(0));
    assert_eq!(p1.reserve_balance_end, dec!(5000));
    assert_eq!(p1.coverage_multiple, Some(dec!(58.347093)));
    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(a1.interest_due, dec!(17950.68));
    assert_eq!(a1.balance_end, dec!(770580.68));
    assert_eq!(a1.principal_due, dec!(0)); // pass-through, before its expected maturity

    // ---- Period 2 -------------------------------------------------------------------------
    // O1 owes nothing. O2 defaults on 05-01, before its 06-15 instalment: defaulted balance
    // 250,000 + 250,000 = 500,000; scheduled 262,500 but collected 0. Pool cash 0.
    // Cumulative default ratio = 500,000 / 2,000,000 = 0.25.
    // Fee 1,000: the reserve (covers fees) pays it: reserve 5,000 → 4,000.
    // A interest = fen(770,580.68 × 0.04 × 91/365) = fen(7,684.6950005…) = 7,684.70.
    // The reserve pays 4,000 → 0; the undertaking pays 7,684.70 − 4,000 = 3,684.70.
    // Principal due 0, nothing paid. Reserve top-up: target 5,000 but no cash.
    // Coverage = max(0, 0 − 0 − 1,000) / 7,684.70 = 0.
    let p2 = &r.periods[1];
    assert_eq!(p2.pool_cash, dec!(0));
    assert_eq!(p2.cumulative_default_ratio, dec!(0.25));
    let o2 = pool_row(&r, "O2", 2);
    assert_eq!(o2.scheduled, dec!(262500.00));
    assert_eq!(o2.collected, dec!(0));
    assert_eq!(o2.defaulted, dec!(500000.00));
    assert_eq!(o2.balance_end, dec!(0));
    assert_eq!(p2.fees_paid, dec!(1000.00));
    assert_eq!(p2.interest_paid, dec!(7684.70));
    assert_eq!(p2.reserve_draws, dec!(5000.00));
    assert_eq!(p2.support_draws, dec!(3684.70));
    assert_eq!(ledger_sum(&r, 2, "draw_reserve", "reserve"), dec!(5000.00));
    assert_eq!(
        ledger_sum(&r, 2, "draw_support", "support:undertaking"),
        dec!(3684.70)
    );
    assert_eq!(p2.reserve_balance_end, dec!(0));
    assert_eq!(p2.coverage_multiple, Some(dec!(0)));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(0));

    // ---- Period 3 -------------------------------------------------------------------------
    // O1 pays 525,000 on 09-15; O2's recovery 60% × 500,000 = 300,000 arrives 08-01.
    // Pool cash 825,000; interest collected 25,000 (recoveries count as principal).
    // VAT = fen(0.0326 × 25,000) = 815.00; fee 1,000; A interest 7,684.70 (same balance).
    // Last payment date: A's principal due = its whole balance 770,580.68. Cash left
    // 825,000 − 815 − 1,000 − 7,684.70 = 815,500.30 ≥ 770,580.68: no support draw.
    // Reserve target 0 on the last date; the reserve is empty. B (senior paid off) gets
    // 815,500.30 − 770,580.68 = 44,919.62 of principal; nothing is left for the residual.
    // Coverage = (825,000 − 815 − 1,000) / (7,684.70 + 770,580.68) = 1.0577176… → 1.057718.
    let p3 = &r.periods[2];
    assert_eq!(pool_row(&r, "O2", 3).recovered, dec!(300000.00));
    assert_eq!(pool_row(&r, "O1", 3).collected, dec!(525000.00));
    assert_eq!(p3.pool_cash, dec!(825000.00));
    assert_eq!(p3.taxes_paid, dec!(815.00));
    assert_eq!(p3.interest_paid, dec!(7684.70));
    assert_eq!(p3.support_draws, dec!(0));
    assert_eq!(p3.coverage_multiple, Some(dec!(1.057718)));
    let a3 = tranche_row(&r, "A", 3);
    assert_eq!(a3.principal_due, dec!(770580.68));
    assert_eq!(a3.principal_paid, dec!(770580.68));
    assert_eq!(a3.balance_end, dec!(0));
    let b3 = tranche_row(&r, "B", 3);
    assert_eq!(b3.principal_paid, dec!(44919.62));
    assert_eq!(b3.residual_paid, dec!(0));
    assert_eq!(b3.balance_end, dec!(155080.38));

    // ---- Totals and conservation ----------------------------------------------------------
    // Inflows: pool 1,050,000 + 0 + 825,000 = 1,875,000; support 3,684.70; reserve 5,000.
    // Payments: VAT 2,445; fees 3,000; A interest 17,950.68 + 2 × 7,684.70 = 33,320.08;
    // principal 1,800,000 + 44,919.62. Total 1,883,684.70 = 1,875,000 + 3,684.70 + 5,000.
    let c = r.conservation;
    assert_eq!(c.pool_cash, dec!(1875000.00));
    assert_eq!(c.support_draws, dec!(3684.70));
    assert_eq!(c.reserve_funding, dec!(5000));
    assert_eq!(c.payments, dec!(1883684.70));
    assert_eq!(c.collection_end + c.reserve_end, dec!(0));
    let a = &r.summary[0];
    assert_eq!(a.tranche, "A");
    assert_eq!(a.total_interest, dec!(33320.08));
    assert_eq!(a.total_principal, dec!(1800000.00));
    assert_eq!(a.principal_loss, dec!(0));
    assert_eq!(a.final_payment_date, Some(d(2024, 9, 30)));
    // WAL = (1,029,419.32 × 91 + 770,580.68 × 273) / (1,800,000 × 365) = 0.4627788185…
    let wal = r.pricing[0].wal_years.expect("A has principal");
    assert!((wal - 0.462_778_818_508_371_4).abs() < 1e-12, "{wal}");
    // Yield at par: −1,800,000 on 01-01; +1,047,370.00 at 91 d, +7,684.70 at 182 d,
    // +778,265.38 at 273 d; solving Σ CF (1+y)^(−d/365) = 1,800,000 by 200 bisections in
    // Python gives y = 0.04060457881329971.
    let y = r.pricing[0].yield_at_par.expect("A has a yield");
    assert!((y - 0.040_604_578_813_299_71).abs() < 1e-9, "{y}");
    assert_eq!(a.min_coverage_multiple, Some(dec!(0)));
    let b = &r.summary[1];
    assert_eq!(b.principal_loss, dec!(155080.38));
    assert_eq!(r.support_draws[0].total, dec!(3684.70));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("tranche B is not repaid"))
    );
}

/// A support provider that fails from a date (scenario `support_failures`, since session 28)
/// and a `support_failed` event of default: the fixture with the undertaking failing on
/// 2024-06-01, and an `accelerated` waterfall the trigger selects.
fn support_failure_source(scenario: &str) -> String {
    accelerated_source(
        r#"
[[triggers]]
name = "undertaker_default"
kind = "event_of_default"
condition = "support_failed"
support = "undertaking"
waterfall = "accelerated"
"#,
        scenario,
    )
}

/// The fixture with the `accelerated` waterfall, the trigger table `trigger` that selects it,
/// and `scenario` added to its `[scenario]`.
fn accelerated_source(trigger: &str, scenario: &str) -> String {
    fixture()
        .replace(
            "\n[scenario]",
            &format!("{ACCELERATED}{trigger}\n[scenario]"),
        )
        .replace(
            "recovery_lag_months = 3\n",
            &format!("recovery_lag_months = 3\n{scenario}\n"),
        )
}

/// The fixture with A a bullet, the `accelerated` waterfall and the trigger table `trigger`.
fn bullet_source(trigger: &str) -> String {
    accelerated_source(trigger, "").replace(
        "amortization = \"pass_through\"",
        "amortization = \"bullet\"",
    )
}

#[test]
fn a_support_failing_from_a_date_stops_its_draws_and_trips_its_trigger() {
    let r = run_source(&support_failure_source(
        "support_failures = [ { support = \"undertaking\", date = 2024-06-01 } ]",
    ));
    // Period 1 (2024-04-01, before the failure): `normal`, as in `normal_waterfall_to_the_fen`:
    // A's principal 1,029,419.32, balance 770,580.68; nothing drawn.
    let p1 = &r.periods[0];
    assert_eq!(p1.waterfall, "normal");
    assert_eq!(p1.triggers_tripped, "");
    assert_eq!(p1.principal_paid, dec!(1029419.32));

    // Period 2 (2024-07-01, on or after 06-01): the undertaking has failed, so the trigger
    // trips before the waterfall and `accelerated` runs. Pool cash 0 (O2 defaulted); VAT 0;
    // the fee 1,000 from the reserve (5,000 → 4,000); A's interest fen(770,580.68 × 0.04 ×
    // 91/365) = 7,684.70: the reserve pays its last 4,000, and the undertaking, which paid
    // the other 3,684.70 in the normal run, pays nothing: A is 3,684.70 short.
    let p2 = &r.periods[1];
    assert_eq!(p2.waterfall, "accelerated");
    assert_eq!(p2.triggers_tripped, "undertaker_default");
    assert_eq!(p2.reserve_draws, dec!(5000.00));
    assert_eq!(p2.support_draws, dec!(0));
    let a2 = tranche_row(&r, "A", 2);
    assert_eq!(a2.interest_paid, dec!(4000.00));
    assert_eq!(a2.interest_shortfall, dec!(3684.70));

    // Period 3 (accelerated; an event of default is not curable): pool cash 825,000, VAT
    // fen(0.0326 × 25,000) = 815, fee 1,000; A's interest due is the period's 7,684.70 (same
    // balance) plus the 3,684.70 carried, 11,369.40, paid; A's principal (available) is
    // 825,000 − 815 − 1,000 − 11,369.40 = 811,815.60, of which its balance 770,580.68;
    // B's principal the other 41,234.92.
    let p3 = &r.periods[2];
    assert_eq!(p3.waterfall, "accelerated");
    let a3 = tranche_row(&r, "A", 3);
    assert_eq!(a3.interest_due, dec!(11369.40));
    assert_eq!(a3.interest_paid, dec!(11369.40));
    assert_eq!(a3.principal_paid, dec!(770580.68));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(41234.92));
    // Nothing drawn from the undertaking over the run; inflows 1,875,000 + the reserve's
    // 5,000 = payments: VAT 2,445 + fees 3,000 + A's interest 17,950.68 + 4,000 + 11,369.40
    // + principal 1,800,000 + B's 41,234.92 = 1,880,000.00.
    assert_eq!(r.support_draws[0].total, dec!(0));
    assert_eq!(r.conservation.payments, dec!(1880000.00));
    // Its failure, from the first payment date on or after 2024-06-01 (since session 34).
    assert_eq!(
        r.support_draws[0].failure,
        Some((
            d(2024, 7, 1),
            "its provider fails on 2024-06-01".to_string()
        ))
    );
    // Paid in full by the break-even's test (summary.parquet's `paid_in_full` and the sweep's
    // count, since session 34, review 34e item H1): A's 3,684.70 missed on period 2 and paid on
    // period 3 leaves nothing unpaid at the end, yet A is not paid in full (its interest was
    // not on time); B is 158,765.08 short of its 200,000. Rated on ultimate payment
    // (`payment_test = "ultimate"`), A is paid in full.
    assert_eq!(
        (
            tranche_row(&r, "A", 3).interest_shortfall,
            tranche_row(&r, "A", 3).balance_end
        ),
        (dec!(0), dec!(0))
    );
    assert_eq!(r.paid_in_full, [false, false]);
    let df = ipabs::output::parquet::summary_frame(std::slice::from_ref(&r)).expect("frame");
    let col = df
        .column("paid_in_full")
        .expect("column")
        .bool()
        .expect("bool")
        .clone();
    assert_eq!(col.get(0), Some(false));
    let table = ipabs::output::table::sweep_table(std::slice::from_ref(&r));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("A ") && l.contains(" 0/1 ")),
        "{table}"
    );
    let ultimate = run_source(
        &support_failure_source(
            "support_failures = [ { support = \"undertaking\", date = 2024-06-01 } ]",
        )
        .replace(
            "amortization = \"pass_through\"",
            "amortization = \"pass_through\"\npayment_test = \"ultimate\"",
        ),
    );
    assert_eq!(ultimate.paid_in_full, [true, false]);

    // Failing the day after closing: the trigger trips on the first date, whose accelerated
    // waterfall pays A the same 1,029,419.32 (all that is left after VAT, fee and interest;
    // the reserve is at its target).
    let r = run_source(&support_failure_source(
        "support_failures = [ { support = \"undertaking\", date = 2024-01-02 } ]",
    ));
    assert_eq!(r.periods[0].waterfall, "accelerated");
    assert_eq!(r.periods[0].triggers_tripped, "undertaker_default");
    assert_eq!(r.periods[0].principal_paid, dec!(1029419.32));

    // Switched off (`supports_off`: the deal on its pool alone) is absent, not failed: no
    // trigger (review 29b item 2: it tripped from the first date, and a pool-only break-even
    // ran accelerated). Every date runs `normal`; in period 2 the reserve pays the fee and
    // 4,000 of A's 7,684.70 as above, nothing pays the other 3,684.70.
    let r = run_source(&support_failure_source("supports_off = [\"undertaking\"]"));
    assert!(r.periods.iter().all(|p| p.waterfall == "normal"));
    assert!(r.periods.iter().all(|p| p.triggers_tripped.is_empty()));
    assert_eq!(r.periods[1].support_draws, dec!(0));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(3684.70));

    // A failure after the last payment date changes nothing: the normal run's draw of
    // 3,684.70 in period 2, and no trigger.
    let r = run_source(&support_failure_source(
        "support_failures = [ { support = \"undertaking\", date = 2024-10-01 } ]",
    ));
    assert!(r.periods.iter().all(|p| p.waterfall == "normal"));
    assert_eq!(r.periods[1].support_draws, dec!(3684.70));
}

/// The same deal with a bullet senior and an acceleration trigger on the cumulative default
/// ratio. The trigger trips in period 2 and the accelerated waterfall pays the retained cash to A.
#[test]
fn acceleration_trigger_switches_the_waterfall() {
    let src = bullet_source(
        r#"
[[triggers]]
name = "cdr_20"
kind = "acceleration"
condition = "cumulative_default_ratio_above"
threshold = 0.20
waterfall = "accelerated"
"#,
    );
    let r = run_source(&src);

    // Period 1 (normal): as before, VAT 1,630, fee 1,000, A interest 17,950.68, but A is a
    // bullet, due only on the last date: no principal. The rest, 1,050,000 − 20,580.68 =
    // 1,029,419.32, stays in the collection account. Cumulative defaults 0: not tripped.
    let p1 = &r.periods[0];
    assert_eq!(p1.waterfall, "normal");
    assert_eq!(p1.triggers_tripped, "");
    assert_eq!(p1.principal_paid, dec!(0));
    assert_eq!(p1.collection_balance_end, dec!(1029419.32));

    // Period 2: O2's 500,000 default → ratio 0.25 > 0.20: the trigger trips before the
    // waterfall, which is now `accelerated`. Available = 0 + 1,029,419.32 brought forward.
    // Fee 1,000 and A interest fen(1,800,000 × 0.04 × 91/365) = 17,950.68 from cash (no draw).
    // A principal (available) = 1,029,419.32 − 1,000 − 17,950.68 = 1,010,468.64 → A balance
    // 789,531.36. Reserve at target. Coverage = (1,029,419.32 − 1,000)/17,950.68 = 57.291385.
    let p2 = &r.periods[1];
    assert_eq!(p2.waterfall, "accelerated");
    assert_eq!(p2.triggers_tripped, "cdr_20");
    assert_eq!(p2.cash_brought_forward, dec!(1029419.32));
    assert_eq!(p2.reserve_draws + p2.support_draws, dec!(0));
    assert_eq!(p2.principal_paid, dec!(1010468.64));
    assert_eq!(p2.coverage_multiple, Some(dec!(57.291385)));
    assert_eq!(tranche_row(&r, "A", 2).balance_end, dec!(789531.36));

    // Period 3 (stays accelerated: not curable). Pool cash 825,000; VAT 815; fee 1,000;
    // A interest fen(789,531.36 × 0.04 × 91/365) = fen(7,873.6826…) = 7,873.68.
    // A principal 789,531.36; left 825,000 − 815 − 1,000 − 7,873.68 − 789,531.36 = 25,779.96.
    // Last date: reserve target 0, the 5,000 is released → 30,779.96, all to B's principal.
    let p3 = &r.periods[2];
    assert_eq!(p3.waterfall, "accelerated");
    assert_eq!(p3.interest_paid, dec!(7873.68));
    assert_eq!(tranche_row(&r, "A", 3).principal_paid, dec!(789531.36));
    assert_eq!(
        ledger_sum(&r, 3, "release_reserve", "reserve"),
        dec!(5000.00)
    );
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(30779.96));
    assert_eq!(p3.reserve_balance_end, dec!(0));
    assert_eq!(p3.collection_balance_end, dec!(0));
    // Conservation: 1,875,000 + 5,000 = 1,880,000 paid out: VAT 2,445 + fees 3,000 + A
    // interest 17,950.68 × 2 + 7,873.68 + principal 1,800,000 + 30,779.96.
    assert_eq!(
        dec!(2445) + dec!(3000) + dec!(17950.68) * dec!(2) + dec!(7873.68) + dec!(1830779.96),
        dec!(1880000.00)
    );
    assert_eq!(r.conservation.payments, dec!(1880000.00));
}

/// The same bullet deal with the trigger's threshold stepping (`threshold_steps`, since session
/// 34): its cumulative default ratio is 0 on 2024-04-01 and 500,000 / 2,000,000 = 0.25 on
/// 2024-07-01 and 2024-09-30 (O2's default on 2024-05-01), so a threshold of 0.20 trips on the
/// second date, and one of 0.30 never does.
#[test]
fn a_threshold_step_moves_the_trigger_level_from_its_date() {
    let with_steps = |steps: &str, curable: bool| {
        let src = bullet_source(&format!(
            "\n[[triggers]]\nname = \"cdr\"\nkind = \"acceleration\"\n\
             condition = \"cumulative_default_ratio_above\"\nthreshold = 0.20\n\
             threshold_steps = [{steps}]\ncurable = {curable}\nwaterfall = \"accelerated\"\n"
        ));
        let r = run_source(&src);
        let waterfalls: Vec<&str> = r.periods.iter().map(|p| p.waterfall.as_str()).collect();
        (r.periods[1].principal_paid, waterfalls.join(" "))
    };
    // 0.30 from the second date on: 0.25 is not above it on any date. The bullet pays no
    // principal on the second date under `normal`.
    assert_eq!(
        with_steps("{ from = 2024-07-01, threshold = 0.30 }", false),
        (dec!(0), "normal normal normal".to_string())
    );
    // A step dated between two payment dates applies from the next one.
    assert_eq!(
        with_steps("{ from = 2024-06-30, threshold = 0.30 }", false).1,
        "normal normal normal"
    );
    // 0.30 only from the third date: on the second, 0.25 > 0.20 trips the trigger, whose
    // accelerated waterfall pays A 1,010,468.64 of principal, as worked in
    // `acceleration_trigger_switches_the_waterfall`; not curable, it stays tripped.
    assert_eq!(
        with_steps("{ from = 2024-09-30, threshold = 0.30 }", false),
        (
            dec!(1010468.64),
            "normal accelerated accelerated".to_string()
        )
    );
    // Curable, it is re-tested against 0.30 on the third date and switches back.
    assert_eq!(
        with_steps("{ from = 2024-09-30, threshold = 0.30 }", true).1,
        "normal accelerated normal"
    );
    // Stepping down to 0.10 from the third date (the `threshold_steps` warning's case) with a
    // first threshold of 0.30 from the second: the level 0.20, 0.30, 0.10 trips on the third
    // date only, with no new default.
    assert_eq!(
        with_steps(
            "{ from = 2024-07-01, threshold = 0.30 }, { from = 2024-09-30, threshold = 0.10 }",
            false
        )
        .1,
        "normal normal accelerated"
    );
}

/// The HTML report's coverage chart draws a stepped coverage trigger date by date (review 34d
/// item L4: a flat line at its highest step) and a constant one as a dashed line. The
/// fixture's scenario with a `coverage_below` trigger at 1.2 stepping to 1.5 from 2024-07-01:
/// its levels on 2024-04-01, 07-01 and 09-30 are 1.2, 1.5 and 1.5, a polyline with two heights.
#[test]
fn the_coverage_chart_draws_a_stepped_trigger_date_by_date() {
    let chart = |steps: &str| {
        let src = bullet_source(&format!(
            "\n[[triggers]]\nname = \"cov\"\nkind = \"acceleration\"\n\
             condition = \"coverage_below\"\nthreshold = 1.2\n{steps}waterfall = \"accelerated\"\n"
        ));
        let deal = deal_from_str("hand_worked.toml", &src)
            .unwrap_or_else(|e| panic!("{e}"))
            .deal;
        let run = engine::run(&deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
        ipabs::output::html::run_charts(&deal, &run)
    };
    let constant = chart("");
    assert!(constant.contains("coverage trigger 1.2"), "{constant}");
    let stepped = chart("threshold_steps = [ { from = 2024-07-01, threshold = 1.5 } ]\n");
    assert!(!stepped.contains("coverage trigger 1.2"));
    assert!(stepped.contains("coverage trigger `cov` (stepped)"));
    // The stepped series is the report's last polyline (the coverage chart comes last, its
    // trigger after the multiple): three points at two heights, the last two equal.
    let line = stepped
        .rsplit("<polyline")
        .next()
        .and_then(|l| l.split("points=\"").nth(1))
        .and_then(|l| l.split('"').next())
        .expect("a polyline");
    let ys: Vec<&str> = line
        .split(' ')
        .filter_map(|p| p.split(',').nth(1))
        .collect();
    assert_eq!(ys.len(), 3, "{line}");
    assert!(ys[0] != ys[1] && ys[1] == ys[2], "{line}");
}

/// A stress or a grid point that turns a support off from the start drops its failure from a
/// date (review 28c item 7: the pair the validator refuses in a file). The fixture with the
/// undertaking failing on 2024-06-01: the suite's `supports-off` scenarios carry no failure
/// and every other keeps it; a grid over `supports_off = [[], ["undertaking"]]` keeps it at
/// `[]` and drops it where the undertaking is off.
#[test]
fn turning_a_support_off_drops_its_failure() {
    let src = support_failure_source(
        "support_failures = [ { support = \"undertaking\", date = 2024-06-01 } ]",
    );
    let deal = deal_from_str("hand_worked.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let failing = vec![(0, d(2024, 6, 1))];
    let suite = ipabs::analytics::stress::StressSuite::All
        .scenarios(&deal, &deal.scenario)
        .expect("suite");
    let mut off = 0;
    for s in &suite {
        if s.supports_off.is_empty() {
            assert_eq!(s.support_failures, failing, "{}", s.name);
        } else {
            off += 1;
            assert!(s.support_failures.is_empty(), "{}", s.name);
        }
    }
    assert_eq!(off, 4, "the suite's four supports-off scenarios");
    let set = ipabs::validate::scenario_set_from_str(
        "grid.toml",
        "[grid]\nsupports_off = [[], [\"undertaking\"]]\n",
        &deal,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let points: Vec<_> = set
        .scenarios
        .iter()
        .map(|s| (s.supports_off.clone(), s.support_failures.clone()))
        .collect();
    assert_eq!(points, [(vec![], failing), (vec![0], vec![])]);
}

/// The fixture with an asset guarantee (基础资产保证, `kind = "asset_guarantee"`, since session
/// 29; review 26d item M7) after the undertaking, `extra` added to its table.
fn asset_guarantee_source(extra: &str, scenario: &str) -> String {
    fixture()
        .replace(
            "\n[waterfalls]",
            &format!(
                "\n[[supports]]\nname = \"gaoxintou\"\nprovider = \"Loan Guarantor Co.\"\n\
                 kind = \"asset_guarantee\"\n{extra}\n[waterfalls]"
            ),
        )
        .replace(
            "recovery_lag_months = 3\n",
            &format!("recovery_lag_months = 3\n{scenario}\n"),
        )
}

/// The asset guarantor pays each period's defaulted principal before the waterfall (担保代偿)
/// and takes the recoveries until it has recovered it (代位追偿); docs/conventions.md, "The
/// asset guarantee". The fixture's O2 defaults on 2024-05-01 (500,000), and 60% is recovered
/// on 2024-08-01 (300,000, period 3).
///
/// * Period 1 as in `normal_waterfall_to_the_fen`: A 770,580.68 after it.
/// * Period 2: the guarantor pays the 500,000 defaulted into the collection account, which
///   holds no pool cash. VAT 0; fee 1,000; A's interest 7,684.70 (as there), paid from the
///   cash, so the reserve and the undertaking pay nothing; A's pass-through principal takes
///   the rest, 500,000 − 1,000 − 7,684.70 = 491,315.30: A 279,265.38.
/// * Period 3: pool cash 825,000 (O1's 525,000 with 25,000 of interest, O2's 300,000
///   recovered); the guarantor, owed 500,000, takes all 300,000. VAT fen(0.0326 × 25,000) =
///   815; fee 1,000; A's interest fen(279,265.38 × 0.04 × 91/365) = fen(2,785.0026…) =
///   2,785.00; A's principal, its balance on the last date, 279,265.38. The reserve's target
///   is 0 on the last date: its 5,000 is released. B takes its 200,000 of principal and the
///   residual 525,000 − 815 − 1,000 − 2,785.00 − 279,265.38 + 5,000 − 200,000 = 46,134.62.
/// * In: pool 1,875,000 + the guarantor's 500,000 + the reserve's 5,000 = 2,380,000. Out:
///   VAT 2,445 + fees 3,000 + A's interest 17,950.68 + 7,684.70 + 2,785.00 + principal
///   1,800,000 + B's 246,134.62 = 2,080,000.00, and 300,000 of recoveries to the guarantor.
/// * The senior coverage multiple counts the pool's own funds (docs/conventions.md; since
///   session 30, review 30a item 2): the guarantor's payment is not the pool's, and the
///   recoveries it took are. Period 2: max(0, 500,000 − 500,000 − VAT 0 − fee 1,000) = 0 over
///   A's interest due 7,684.70 (a pass-through tranche owes no principal before its last
///   date): 0 (it was 499,000 / 7,684.70 = 64.934220). Period 3: (525,000 + 300,000 − 815 −
///   1,000) = 823,185 over A's interest 2,785.00 + its principal due on the last date
///   279,265.38 = 282,050.38: 2.918574 (with the recoveries left out, 1.854935).
#[test]
fn an_asset_guarantee_pays_the_defaults_and_takes_the_recoveries() {
    let r = run_source(&asset_guarantee_source("", ""));
    assert_eq!(r.periods[1].coverage_multiple, Some(dec!(0)));
    assert_eq!(r.periods[2].coverage_multiple, Some(dec!(2.918574)));
    let p2 = &r.periods[1];
    assert_eq!(p2.support_draws, dec!(500000.00));
    assert_eq!(p2.reserve_draws, dec!(0));
    assert_eq!(p2.principal_paid, dec!(491315.30));
    // The row adds up with the guarantor's payment counted once (docs/output.md, "The date's
    // cash adds up"): available 500,000 (its payment) + support draws 500,000 − the payment
    // 500,000 = fee 1,000 + A's interest 7,684.70 + principal 491,315.30 + 0 left.
    assert_eq!(p2.available_funds, dec!(500000.00));
    assert_eq!(p2.guarantee_payment, dec!(500000.00));
    assert_eq!(
        (p2.fees_paid, p2.interest_paid, p2.collection_balance_end),
        (dec!(1000.00), dec!(7684.70), dec!(0))
    );
    assert_eq!(
        dec!(1000) + dec!(7684.70) + dec!(491315.30),
        dec!(500000.00)
    );
    // Period 3: the recoveries it takes back are out of the available funds, 825,000 −
    // 300,000 = 525,000, and it pays nothing: no guarantee payment on the row.
    assert_eq!(r.periods[2].available_funds, dec!(525000.00));
    assert_eq!(r.periods[2].guarantee_payment, dec!(0));
    assert_eq!(
        ledger_sum(&r, 2, "guarantee_payment", "support:gaoxintou"),
        dec!(500000.00)
    );
    assert_eq!(
        ledger_sum(&r, 2, "draw_support", "support:undertaking"),
        dec!(0)
    );
    assert_eq!(tranche_row(&r, "A", 2).balance_end, dec!(279265.38));
    assert_eq!(
        ledger_sum(&r, 3, "subrogation", "collection"),
        dec!(300000.00)
    );
    let a3 = tranche_row(&r, "A", 3);
    assert_eq!(a3.interest_paid, dec!(2785.00));
    assert_eq!(a3.principal_paid, dec!(279265.38));
    let b3 = tranche_row(&r, "B", 3);
    assert_eq!(b3.principal_paid, dec!(200000.00));
    assert_eq!(b3.residual_paid, dec!(46134.62));
    let c = r.conservation;
    assert_eq!(c.support_draws, dec!(500000.00));
    assert_eq!(c.subrogation, dec!(300000.00));
    assert_eq!(c.payments, dec!(2080000.00));
    // support.parquet's total is what the guarantor paid.
    assert_eq!(r.support_draws[1].total, dec!(500000.00));
    assert_eq!(r.summary[0].principal_loss, dec!(0));
    // `deals.parquet`'s portfolio multiple (docs/portfolio.md) counts the same funds, floored
    // at 0 (review 30a items 2 and 3): period 2's 500,000 − 500,000 − fee 1,000 = −1,000 → 0
    // over A's interest 7,684.70 and its pass-through share of the pool's 500,000 decline:
    // 0 on period 2's date (it was 499,000 / 507,684.70 = 0.98, and without the floor
    // −0.00197).
    let src = asset_guarantee_source("", "");
    let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let run = engine::run(&loaded.deal, &loaded.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    let m = ipabs::analytics::portfolio::min_coverage(&loaded.deal, &run, 0).expect("a minimum");
    assert_eq!((m.multiple, m.date), (dec!(0), r.periods[1].payment_date));

    // Capped at 400,000 over the deal: P2 gets 400,000, so A's principal is 391,315.30 and
    // A owes 379,265.38. Of P3's 300,000 recovered, the trust keeps first the 100,000 of O2's
    // default the guarantor did not pay (民法典 Art. 700; review 29c item 2: before, the
    // guarantor took all 300,000 and B lost 54,862.64), the guarantor takes 200,000: the
    // collection account holds 625,000. VAT 815, fee 1,000, A's interest fen(379,265.38 × 0.04
    // × 91/365) = fen(3,782.2629…) = 3,782.26 and principal 379,265.38; the reserve's 5,000
    // released; B's 200,000 of principal and a residual of 625,000 − 815 − 1,000 − 3,782.26 −
    // 379,265.38 + 5,000 − 200,000 = 45,137.36.
    let r = run_source(&asset_guarantee_source("cap_total = 400000\n", ""));
    assert_eq!(r.periods[1].support_draws, dec!(400000.00));
    assert_eq!(r.periods[1].principal_paid, dec!(391315.30));
    assert_eq!(r.conservation.subrogation, dec!(200000.00));
    assert_eq!(tranche_row(&r, "A", 3).interest_paid, dec!(3782.26));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(200000.00));
    assert_eq!(tranche_row(&r, "B", 3).residual_paid, dec!(45137.36));

    // Left out (`supports_off`, the pool alone) or failed before period 2: no payment and no
    // claim on the recoveries, so P2 and P3 are the fixture's own (the undertaking's 3,684.70
    // in P2, B's 44,919.62 in P3).
    for scenario in [
        "supports_off = [\"gaoxintou\"]",
        "support_failures = [ { support = \"gaoxintou\", date = 2024-06-01 } ]",
    ] {
        let r = run_source(&asset_guarantee_source("", scenario));
        assert_eq!(r.periods[1].support_draws, dec!(3684.70), "{scenario}");
        assert_eq!(r.conservation.subrogation, dec!(0), "{scenario}");
        assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(44919.62));
    }
    // Failed on 2024-08-01, after its payment in period 2: its claim on the recoveries stands
    // (代位追偿 is the guarantor's right, its failure aside), so the run is the first one's.
    let r = run_source(&asset_guarantee_source(
        "",
        "support_failures = [ { support = \"gaoxintou\", date = 2024-08-01 } ]",
    ));
    assert_eq!(r.periods[1].support_draws, dec!(500000.00));
    assert_eq!(r.conservation.subrogation, dec!(300000.00));
    assert_eq!(tranche_row(&r, "B", 3).residual_paid, dec!(46134.62));
}

/// The guarantor's money still held stays out of the coverage funds on later dates (review 30c
/// item 2: only the date's own payment was left out, and a bullet senior's multiple counted
/// the guarantor's cash on every later date). The asset-guarantee fixture with A a bullet:
/// * P1: 1,050,000 collected; VAT 1,630, fee 1,000, A's interest 17,950.68; no principal due:
///   1,029,419.32 stays in the collection account.
/// * P2: O2's 500,000 defaults, the guarantor pays it (held 500,000); cash 1,529,419.32; the
///   multiple's funds are 1,529,419.32 − 500,000 − fee 1,000 = 1,028,419.32 over A's interest
///   17,950.68: 57.291385. Paid: fee and interest; 1,510,468.64 left, of which the guarantor's
///   500,000 (it leaves last).
/// * P3: 825,000 collected, the guarantor takes the 300,000 recovered: cash 2,035,468.64. Funds
///   2,035,468.64 − 500,000 + 300,000 − VAT 815 − fee 1,000 = 1,833,653.64: the pool's own
///   (1,050,000 + 825,000 less P1's 20,580.68 and P2's 18,950.68 paid, less the date's VAT and
///   fee), over A's interest 17,950.68 + its 1,800,000 due at maturity: 1.008638 (counting the
///   guarantor's cash, 2,333,653.64 / 1,817,950.68 = 1.283673). `deals.parquet`'s multiple
///   follows the same held amount from the ledger and `collection_balance_end`.
#[test]
fn the_guarantors_cash_held_stays_out_of_later_coverage() {
    let src = asset_guarantee_source("", "").replace(
        "amortization = \"pass_through\"",
        "amortization = \"bullet\"",
    );
    let r = run_source(&src);
    let cov: Vec<Option<Decimal>> = r.periods.iter().map(|p| p.coverage_multiple).collect();
    assert_eq!(cov[1], Some(dec!(57.291385)));
    assert_eq!(cov[2], Some(dec!(1.008638)));
    assert_eq!(r.periods[1].collection_balance_end, dec!(1510468.64));
    let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let run = engine::run(&loaded.deal, &loaded.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    // deals.parquet's multiple for A (its own formula: taxes and fees paid, the same funds):
    // the lowest is P3's 1.008638 on 2024-09-30.
    let m = ipabs::analytics::portfolio::min_coverage(&loaded.deal, &run, 0).expect("a minimum");
    assert_eq!((m.multiple, m.date), (dec!(1.008638), d(2024, 9, 30)));
}

/// The guarantor's recoveries lower its money held (review 30e item 2: they did not, and a
/// later date's multiple fell by them over the denominator though nothing happened to the
/// pool), and `deals.parquet` keeps a payment made on a date with nothing due (item 3). The
/// bullet variant above over four dates (a fourth on 2024-12-31, O1's last 500,000 + 25,000
/// due 2024-12-15):
/// * P1 and P2 as above (58.347093, 57.291385); 1,510,468.64 left after P2, the guarantor's
///   500,000 of it.
/// * P3: the 300,000 recovered goes back to the guarantor: its money held is 500,000 − 300,000
///   = 200,000; cash 1,510,468.64; funds 1,510,468.64 − 200,000 − fee 1,000 = 1,309,468.64 over
///   A's interest 17,950.68: 72.948136. 1,491,517.96 left.
/// * P4 (92 days): cash 1,491,517.96 + 525,000 = 2,016,517.96; funds 2,016,517.96 − 200,000 −
///   VAT 815 − fee 1,000 = 1,814,702.96 (the pool's own: 1,875,000 collected less the 58,482.04
///   paid on P1–P3 and this date's 1,815), over A's interest fen(1,800,000 × 0.04 × 92/365) =
///   18,147.95 + its 1,800,000: 0.998105 (it was 0.833102, the 300,000 missing).
/// * With A at coupon 0 nothing is due before P4; `deals.parquet`'s multiple still keeps the
///   guarantor's 200,000 out: cash 1,050,000 − 1,630 − 1,000 (P1) + 500,000 − 1,000 (P2) −
///   1,000 (P3) + 525,000 = 2,070,370, funds 2,070,370 − 200,000 − 815 − 1,000 = 1,868,555 over
///   1,800,000: 1.038086 (it counted the 500,000 paid on a date with nothing due).
#[test]
fn the_guarantors_recoveries_lower_its_money_held() {
    let four = |coupon: &str| {
        asset_guarantee_source("", "")
            .replace(
                "amortization = \"pass_through\"",
                "amortization = \"bullet\"",
            )
            .replace(
                "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30]",
                "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30, 2024-12-31]",
            )
            .replace("legal_maturity = 2024-09-30", "legal_maturity = 2024-12-31")
            .replacen(
                "{ date = 2024-09-15, principal = 500000, interest = 25000 }",
                "{ date = 2024-12-15, principal = 500000, interest = 25000 }",
                1,
            )
            .replacen("coupon = 0.04", coupon, 1)
    };
    let r = run_source(&four("coupon = 0.04"));
    let cov: Vec<Option<Decimal>> = r.periods.iter().map(|p| p.coverage_multiple).collect();
    assert_eq!(
        cov,
        [
            Some(dec!(58.347093)),
            Some(dec!(57.291385)),
            Some(dec!(72.948136)),
            Some(dec!(0.998105))
        ]
    );
    let src = four("coupon = 0");
    let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let run = engine::run(&loaded.deal, &loaded.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(run.periods[3].coverage_multiple, Some(dec!(1.038086)));
    let m = ipabs::analytics::portfolio::min_coverage(&loaded.deal, &run, 0).expect("a minimum");
    assert_eq!((m.multiple, m.date), (dec!(1.038086), d(2024, 12, 31)));
}

/// An `event` trigger (since session 30): the fixture with an acceleration that watches the
/// event `undertaker_downgrade` (评级下调: the undertaking's provider downgraded below AA), and
/// a scenario that dates it. The event trips the trigger on the first payment date on or after
/// its date, before the waterfall; the provider keeps paying (a downgrade is not a failure).
fn event_source(scenario: &str) -> String {
    accelerated_source(
        r#"hold = [
  { action = "pay_tax", taxes = ["vat"] },
  { action = "pay_fee", fees = ["manager"] },
  { action = "pay_interest", tranches = ["A"] },
  { action = "pay_principal", tranches = ["A"], amount = "available" },
]

[[triggers]]
name = "downgrade"
kind = "acceleration"
condition = "event"
event = "undertaker_downgrade"
waterfall = "hold"
"#,
        scenario,
    )
}

/// A `pool_to_senior_below` trigger (超额抵押, since session 31): the performing pool at the
/// collection period's end over the senior balance before the date's payments, below the
/// threshold, trips before the waterfall. On the event fixture, curable, at 0.65:
///
/// * period 1: the pool has 1,000,000 left of 2,000,000 (O1 and O2 each paid 500,000), A has
///   1,800,000: 0.5556 < 0.65, tripped (in both scenarios; `hold` pays A what `normal` does,
///   so A has 770,580.68 after it, `an_event_trips_its_trigger_from_its_date`);
/// * period 2, no defaults: O2 paid 250,000, the pool has 750,000: 750,000 / 770,580.68 =
///   0.9733, cured; under O2's defaults (05-01) only O1's 500,000 performs: 0.6489, tripped;
/// * period 3: everything is collected, the pool is 0: tripped in both.
#[test]
fn a_pool_to_senior_trigger_tests_over_collateralisation() {
    let waterfalls = |r: &PricedRun| -> Vec<String> {
        r.periods.iter().map(|p| p.waterfall.to_string()).collect()
    };
    let src = event_source("").replace(
        "condition = \"event\"\nevent = \"undertaker_downgrade\"\nwaterfall = \"hold\"\n",
        "condition = \"pool_to_senior_below\"\nthreshold = 0.65\nwaterfall = \"hold\"\ncurable = true\n",
    );
    assert!(src.contains("pool_to_senior_below"), "{src}");
    let defaults = run_source(&src);
    assert_eq!(waterfalls(&defaults), ["hold", "hold", "hold"]);
    let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let base = engine::run(&loaded.deal, &ipabs::scenario::Scenario::base())
        .unwrap_or_else(|e| panic!("{e}"));
    let w: Vec<String> = base
        .periods
        .iter()
        .map(|p| p.waterfall.to_string())
        .collect();
    assert_eq!(w, ["hold", "normal", "hold"]);
    // 0.65 is outside 0.8–3: a `trigger_range` warning at the threshold.
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.check == ipabs::error::Check::TriggerRange)
    );
}

/// An event with `until` (since session 31) holds from its date to the day before `until`: dated
/// 2024-07-01 until 2024-09-30, it holds on period 2's date (07-01) and not on period 3's
/// (09-30, the `until` itself). A `curable` trigger watching it follows it: `hold` on period 2
/// only. Period 2's `hold` pays what `normal` pays there (A's principal takes all the cash left
/// after its interest, as its balance stays outstanding until period 3), so period 3 runs as
/// without the event and pays B 44,919.62 (`an_event_trips_its_trigger_from_its_date`). A
/// trigger that is not curable stays tripped: `hold` on periods 2 and 3, and B gets 0. An
/// `until` on or before the event's date is an error at `until`.
#[test]
fn an_event_until_a_date_cures_a_curable_trigger() {
    let waterfalls = |r: &PricedRun| -> Vec<String> {
        r.periods.iter().map(|p| p.waterfall.to_string()).collect()
    };
    let scenario =
        "events = [ { name = \"undertaker_downgrade\", date = 2024-07-01, until = 2024-09-30 } ]";
    let curable = event_source(scenario).replace(
        "waterfall = \"hold\"\n",
        "waterfall = \"hold\"\ncurable = true\n",
    );
    assert_ne!(curable, event_source(scenario));
    let r = run_source(&curable);
    assert_eq!(waterfalls(&r), ["normal", "hold", "normal"]);
    assert_eq!(r.periods[2].triggers_tripped, "");
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(44919.62));
    let r = run_source(&event_source(scenario));
    assert_eq!(waterfalls(&r), ["normal", "hold", "hold"]);
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(0));
    let e = deal_from_str(
        "hand_worked.toml",
        &event_source(
            "events = [ { name = \"undertaker_downgrade\", date = 2024-07-01, until = 2024-07-01 } ]",
        ),
    )
    .expect_err("refused");
    let text = e.to_string();
    assert!(
        text.contains("scenario.events[0].until: event `undertaker_downgrade` is over on 2024-07-01, on or before the date it happens (2024-07-01)"),
        "{text}"
    );
    // A window that holds no payment date (07-02 to 09-29, between the dates 07-01 and 09-30)
    // trips nothing, and is told at `until` (review 31d item 5).
    let gap = deal_from_str(
        "hand_worked.toml",
        &event_source(
            "events = [ { name = \"undertaker_downgrade\", date = 2024-07-02, until = 2024-09-29 } ]",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        gap.warnings
            .iter()
            .any(|w| w.location.ends_with("scenario.events[0].until")
                && w.message.contains(
                    "holds from 2024-07-02 until 2024-09-29, on no payment date (the first payment \
                 date from 2024-07-02 is 2024-09-30): it trips nothing"
                )),
        "{:?}",
        gap.warnings
    );
}

/// Dated 2024-07-01, the event trips on period 2's date itself (on or after); dated the day
/// after, on period 3 only. Its waterfall, `hold`, pays nothing to B (review 30e item 8: the
/// test's accelerated waterfall paid what the normal one does, so the switch did not show).
/// The undertaking still pays its 3,684.70 in period 2 (a downgrade is not a failure). Period 3
/// (`normal_waterfall_to_the_fen`): 825,000 − VAT 815 − fee 1,000 − A's interest 7,684.70 −
/// A's balance 770,580.68 = 44,919.62, which `normal` pays B and `hold` keeps in the collection
/// account. Without the event, or after the last date, every date runs `normal`.
#[test]
fn an_event_trips_its_trigger_from_its_date() {
    let waterfalls = |r: &PricedRun| -> Vec<String> {
        r.periods.iter().map(|p| p.waterfall.to_string()).collect()
    };
    let r = run_source(&event_source(
        "events = [ { name = \"undertaker_downgrade\", date = 2024-07-01 } ]",
    ));
    assert_eq!(waterfalls(&r), ["normal", "hold", "hold"]);
    assert_eq!(r.periods[1].triggers_tripped, "downgrade");
    assert_eq!(r.periods[1].support_draws, dec!(3684.70));
    assert_eq!(r.periods[0].principal_paid, dec!(1029419.32));
    assert_eq!(tranche_row(&r, "A", 3).principal_paid, dec!(770580.68));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(0));
    assert_eq!(r.periods[2].collection_balance_end, dec!(44919.62));
    // summary.parquet's run columns (since session 31), on each tranche's row: the undertaking
    // paid 3,684.70 in all (period 2, as under `normal`: `hold` pays A as `normal` does);
    // O2's 500,000 of 2,000,000 defaulted, 0.25; the trigger tripped on 2024-07-01.
    let df = ipabs::output::parquet::summary_frame(std::slice::from_ref(&r)).expect("frame");
    for row in 0..2 {
        let get = |c: &str| df.column(c).expect(c).get(row).expect("value").to_string();
        assert_eq!(get("support_drawn"), "3684.70");
        assert_eq!(get("cumulative_default_ratio"), "0.250000");
        assert_eq!(get("first_trigger"), "\"downgrade\"");
        assert_eq!(get("first_trigger_date"), "2024-07-01");
    }
    let r = run_source(&event_source(
        "events = [ { name = \"undertaker_downgrade\", date = 2024-07-02 } ]",
    ));
    assert_eq!(waterfalls(&r), ["normal", "normal", "hold"]);
    for scenario in [
        "",
        "events = [ { name = \"undertaker_downgrade\", date = 2024-10-01 } ]",
    ] {
        let r = run_source(&event_source(scenario));
        assert_eq!(waterfalls(&r), ["normal", "normal", "normal"], "{scenario}");
        assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(44919.62));
    }
    // A scenario built in code with an event the deal does not watch is refused (review 30e
    // item 10): the fixture's only watched event has index 0.
    let loaded = deal_from_str("hand_worked.toml", &event_source("")).expect("loads");
    let mut bad = loaded.deal.scenario.clone();
    bad.events = vec![ipabs::scenario::DatedEvent {
        event: 1,
        from: d(2024, 5, 1),
        until: None,
    }];
    let e = engine::run(&loaded.deal, &bad).expect_err("refused");
    assert!(
        e.to_string().contains("event index 1 does not exist"),
        "{e}"
    );
    // The event after the last payment date (2024-09-30) is a `scenario_dates` warning at its
    // date: it trips nothing.
    let loaded = deal_from_str(
        "hand_worked.toml",
        &event_source("events = [ { name = \"undertaker_downgrade\", date = 2024-10-01 } ]"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // On the closing date (2024-01-01) it is told too: its trigger trips from the first date
    // (review 30e item 6).
    let early = deal_from_str(
        "hand_worked.toml",
        &event_source("events = [ { name = \"undertaker_downgrade\", date = 2024-01-01 } ]"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        early
            .warnings
            .iter()
            .any(|w| w.check == ipabs::error::Check::ScenarioDates
                && w.message.contains(
                    "event `undertaker_downgrade` happens on 2024-01-01, on or before the deal's \
                 closing and cutoff dates (2024-01-01)"
                )),
        "{:?}",
        early.warnings
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.check == ipabs::error::Check::ScenarioDates
                && w.location.ends_with("scenario.events[0].date")
                && w.message.contains(
                    "event `undertaker_downgrade` happens on 2024-10-01, after the last payment \
                 date 2024-09-30: it trips nothing"
                )),
        "{:?}",
        loaded.warnings
    );
}

/// The fixture with a group guarantee of the undertaking (`backs`, since session 29; review
/// 26d item M3: a guarantee of the 差额支付义务 added to the undertaking instead of sharing its
/// limit), the undertaking given `cap` and the scenario `scenario`.
fn backstop_source(cap: &str, scenario: &str) -> String {
    fixture()
        .replace(
            "covers = [\"senior_interest\", \"senior_principal\"]\n",
            &format!(
                "covers = [\"senior_interest\", \"senior_principal\"]\n{cap}\n\
                 [[supports]]\nname = \"group\"\nprovider = \"Group Co.\"\nkind = \"guarantee\"\n\
                 backs = \"undertaking\"\n"
            ),
        )
        .replace(
            "recovery_lag_months = 3\n",
            &format!("recovery_lag_months = 3\n{scenario}\n"),
        )
}

/// A support that backs another pays only what that one does not, within its limit, shared.
/// In the fixture's period 2 the reserve pays the fee and 4,000 of A's 7,684.70 of interest, and
/// the undertaking the other 3,684.70 (`normal_waterfall_to_the_fen`).
///
/// * The undertaking performing: the group guarantee pays nothing.
/// * The undertaking left out (`supports_off`): the group pays its 3,684.70.
/// * The undertaking capped at 2,000 and left out: the group pays 2,000 (the shared limit), A
///   is 1,684.70 short; performing, the undertaking pays its 2,000 and the group nothing, so A
///   is 1,684.70 short too: the group guarantees the undertaking's obligation, not more.
#[test]
fn a_guarantee_of_the_undertaking_pays_what_it_does_not_within_its_limit() {
    let draws = |r: &PricedRun, who: &str| ledger_sum(r, 2, "draw_support", who);
    let r = run_source(&backstop_source("", ""));
    assert_eq!(draws(&r, "support:undertaking"), dec!(3684.70));
    assert_eq!(draws(&r, "support:group"), dec!(0));
    let r = run_source(&backstop_source("", "supports_off = [\"undertaking\"]"));
    assert_eq!(draws(&r, "support:undertaking"), dec!(0));
    assert_eq!(draws(&r, "support:group"), dec!(3684.70));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(0));
    let capped = "cap_total = 2000\n";
    let r = run_source(&backstop_source(capped, "supports_off = [\"undertaking\"]"));
    assert_eq!(draws(&r, "support:group"), dec!(2000.00));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(1684.70));
    let r = run_source(&backstop_source(capped, ""));
    assert_eq!(draws(&r, "support:undertaking"), dec!(2000.00));
    assert_eq!(draws(&r, "support:group"), dec!(0));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(1684.70));
    // Two backers share the one limit (review 29d item 1: each took 2,000, 3,684.70 in all):
    // the group pays 2,000 and the bank nothing; A 1,684.70 short.
    let two = backstop_source(capped, "supports_off = [\"undertaking\"]").replace(
        "backs = \"undertaking\"\n",
        "backs = \"undertaking\"\n\n[[supports]]\nname = \"bank\"\nprovider = \"Bank Co.\"\n\
         kind = \"guarantee\"\nbacks = \"undertaking\"\n",
    );
    let r = run_source(&two);
    assert_eq!(draws(&r, "support:group"), dec!(2000.00));
    assert_eq!(draws(&r, "support:bank"), dec!(0));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(1684.70));
}

/// The fixture with a clean-up call from 2024-07-01 at `price_share` × the performing balance,
/// its `clean_up` waterfall the fixture's `normal`, and the undertaking left out.
fn call_at_share(share: &str) -> String {
    let src = fixture();
    let normal = src
        .split("normal = [")
        .nth(1)
        .and_then(|s| s.split("\n]\n").next())
        .expect("normal waterfall")
        .to_string();
    src.replace(
        "[waterfalls]\n",
        &format!(
            "[clean_up_call]\non_or_after = 2024-07-01\nprice_share = {share}\n\
             waterfall = \"clean_up\"\n\n[waterfalls]\nclean_up = [{normal}\n]\n"
        ),
    )
    .replace(
        "recovery_lag_months = 3\n",
        "recovery_lag_months = 3\nsupports_off = [\"undertaking\"]\n",
    )
}

/// `repays_senior` at its boundary (review 29c items 1 and 5): the call is exercised only when
/// the call date's waterfall repays the senior. On 2024-07-01 the pool collects nothing (O2
/// defaulted) and O1's 500,000 still performs; A owes 770,580.68 (as in
/// `normal_waterfall_to_the_fen`). The call date's waterfall pays the fee 1,000, A's interest
/// 7,684.70 and A's balance from the price alone: the reserve (5,000, covering fees and senior
/// interest) is not drawn while the price is in the account, and its release by
/// `top_up_reserve` comes after A's principal. So the price must be 1,000 + 7,684.70 +
/// 770,580.68 = 779,265.38 = 1.55853076 × 500,000. At 1.55853076 the call is exercised and A
/// repaid to the fen; at 1.55853074 (779,265.37) A would be a fen short: refused, and the deal
/// runs on (period 3 has nothing performing left to offer). A first rule that added the
/// reserve's 5,000 to the price exercised calls up to 5,000 short (review 29c item 1).
#[test]
fn a_call_is_exercised_only_if_its_waterfall_repays_the_senior_to_the_fen() {
    let r = run_source(&call_at_share("1.55853076"));
    assert_eq!(r.periods.len(), 2);
    assert_eq!(r.conservation.call_price, dec!(779265.38));
    let a = tranche_row(&r, "A", 2);
    assert_eq!(a.principal_paid, dec!(770580.68));
    assert_eq!(a.balance_end, dec!(0));
    assert_eq!(a.interest_shortfall, dec!(0));
    let r = run_source(&call_at_share("1.55853074"));
    assert_eq!(r.periods.len(), 3);
    assert_eq!(r.conservation.call_price, dec!(0));
    assert!(r.periods.iter().all(|p| p.waterfall == "normal"));
}

/// Income on cash held (合格投资, `[deal] reinvestment_rate`, since session 29; review 26d item
/// M8): the fixture at 2%. Period 1: the cash held since closing is the reserve's 5,000
/// (funded at closing; the collection account is empty): fen(5,000 × 0.02 × 91/365) =
/// fen(24.9315…) = 24.93, deposited into the collection account, so A's pass-through principal
/// is 1,029,419.32 + 24.93 = 1,029,444.25. Period 2 (91 days): the reserve's 5,000 again, 24.93.
/// Period 3: the reserve and the account were emptied in period 2 (the fixture's shortfall):
/// nothing held, no income. The run's income, 49.86, is in its conservation identity.
#[test]
fn cash_held_earns_the_reinvestment_rate() {
    let src = fixture().replace(
        "collection_lag_days = 0\n",
        "collection_lag_days = 0\nreinvestment_rate = 0.02\n",
    );
    let r = run_source(&src);
    assert_eq!(
        ledger_sum(&r, 1, "investment_income", "investment"),
        dec!(24.93)
    );
    assert_eq!(tranche_row(&r, "A", 1).principal_paid, dec!(1029444.25));
    assert_eq!(
        ledger_sum(&r, 2, "investment_income", "investment"),
        dec!(24.93)
    );
    assert_eq!(
        ledger_sum(&r, 3, "investment_income", "investment"),
        dec!(0)
    );
    assert_eq!(r.conservation.investment_income, dec!(49.86));
}

/// The fixture with a `repay_support` step after the reserve's top-up (返还差额支付款, since
/// session 32) and the recovery rate `recovery`.
fn repay_source(recovery: &str) -> String {
    let src = fixture()
        .replace(
            "  { action = \"top_up_reserve\" },\n",
            "  { action = \"top_up_reserve\" },\n  { action = \"repay_support\", supports = [\"undertaking\"] },\n",
        )
        .replace("recovery_rate = 0.6", &format!("recovery_rate = {recovery}"));
    assert!(src.contains("repay_support") && src.contains(recovery));
    src
}

#[test]
fn a_repay_support_step_pays_back_the_undertakings_draws() {
    // As `normal_waterfall_to_the_fen` up to period 3's senior principal: the undertaking drew
    // 3,684.70 in period 2, when nothing was left for the repayment step. Period 3: 815,500.30
    // after A's interest, A's principal 770,580.68 leaves 44,919.62; the reserve's target is 0
    // on the last date and it is empty; the undertaking is repaid all it drew, 3,684.70, and
    // B's principal is 44,919.62 − 3,684.70 = 41,234.92 (balance 200,000 − 41,234.92 =
    // 158,765.08).
    let r = run_source(&repay_source("0.6"));
    assert_eq!(ledger_sum(&r, 2, "repay_support", "collection"), dec!(0));
    assert_eq!(
        ledger_sum(&r, 3, "repay_support", "collection"),
        dec!(3684.70)
    );
    let e = r
        .ledger
        .iter()
        .find(|e| e.action.name() == "repay_support")
        .expect("a repayment");
    assert_eq!(r.accounts.name(e.destination), "support:undertaking");
    let b3 = tranche_row(&r, "B", 3);
    assert_eq!(b3.principal_paid, dec!(41234.92));
    assert_eq!(b3.balance_end, dec!(158765.08));
    assert_eq!(r.support_draws[0].total, dec!(3684.70));
    assert_eq!(r.support_draws[0].repaid, dec!(3684.70));
    // Inflows 1,875,000 + 3,684.70 + 5,000 = 1,883,684.70. Payments: VAT 2,445 + fees 3,000
    // + A's interest 33,320.08 + principal 1,800,000 + B's 41,234.92 = 1,880,000.00; with the
    // repayment 3,684.70, 1,883,684.70.
    let c = r.conservation;
    assert_eq!(c.payments, dec!(1880000.00));
    assert_eq!(c.support_repaid, dec!(3684.70));
    assert_eq!(c.collection_end + c.reserve_end, dec!(0));
}

#[test]
fn a_repayment_takes_only_the_cash_left() {
    // Recovery 51.2%: 256,000.00 arrives in period 3, pool cash 525,000 + 256,000 = 781,000.
    // Less VAT 815, the fee 1,000, A's interest 7,684.70 and A's principal 770,580.68:
    // 919.62 left, all of it to the undertaking (owed 3,684.70); B is paid nothing.
    let r = run_source(&repay_source("0.512"));
    assert_eq!(r.periods[2].pool_cash, dec!(781000.00));
    assert_eq!(r.periods[2].support_draws, dec!(0));
    assert_eq!(
        ledger_sum(&r, 3, "repay_support", "collection"),
        dec!(919.62)
    );
    assert_eq!(r.support_draws[0].repaid, dec!(919.62));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(0));
    // Inflows: pool 1,050,000 + 781,000 = 1,831,000, + 3,684.70 drawn + 5,000 reserve =
    // 1,839,684.70; payments 2,445 + 3,000 + 33,320.08 + 1,800,000 = 1,838,765.08, + 919.62
    // repaid = 1,839,684.70.
    let c = r.conservation;
    assert_eq!(c.payments, dec!(1838765.08));
    assert_eq!(c.support_repaid, dec!(919.62));
    assert_eq!(c.collection_end + c.reserve_end, dec!(0));
}

/// A facility's interest on its draws (`interest_rate`, since session 36, review 35c G4): the
/// fixture's `repay_support` with the undertaking at 5% a year.
fn facility_source(recovery: &str, terms: &str) -> String {
    let src = repay_source(recovery).replace(
        "kind = \"shortfall_undertaking\"\n",
        &format!("kind = \"shortfall_undertaking\"\n{terms}"),
    );
    assert!(src.contains(terms));
    src
}

#[test]
fn a_facility_is_paid_the_interest_on_its_draws_before_them() {
    // The undertaking draws 3,684.70 on 2024-07-01 (period 2, as in the tests above). Period
    // 3's accrual is 2024-07-01 → 09-30, 91 days ACT/365F: interest = fen(3,684.70 × 0.05 ×
    // 91 / 365) = fen(16,765.385 / 365) = fen(45.93256…) = 45.93. Period 3 leaves 44,919.62
    // after A's principal: the step pays the interest 45.93, then the draws 3,684.70, and B's
    // principal is 44,919.62 − 45.93 − 3,684.70 = 41,188.99 (balance 158,811.01).
    let r = run_source(&facility_source("0.6", "interest_rate = 0.05\n"));
    assert_eq!(
        ledger_sum(&r, 3, "support_interest", "collection"),
        dec!(45.93)
    );
    assert_eq!(
        ledger_sum(&r, 3, "repay_support", "collection"),
        dec!(3684.70)
    );
    // Nothing accrues before the draw: period 2's accrual starts with nothing outstanding.
    assert_eq!(ledger_sum(&r, 2, "support_interest", "collection"), dec!(0));
    let b3 = tranche_row(&r, "B", 3);
    assert_eq!(b3.principal_paid, dec!(41188.99));
    assert_eq!(b3.balance_end, dec!(158811.01));
    let s = &r.support_draws[0];
    assert_eq!((s.total, s.repaid), (dec!(3684.70), dec!(3684.70)));
    assert_eq!((s.interest_paid, s.interest_unpaid), (dec!(45.93), dec!(0)));
    // Inflows 1,883,684.70 (as without interest); payments 1,880,000.00 − 45.93 =
    // 1,879,954.07; + 3,684.70 repaid + 45.93 interest = 1,883,684.70.
    let c = r.conservation;
    assert_eq!(c.payments, dec!(1879954.07));
    assert_eq!(c.support_repaid, dec!(3684.70));
    assert_eq!(c.support_interest, dec!(45.93));
    assert_eq!(c.collection_end + c.reserve_end, dec!(0));
    // Period 3's row adds up (docs/output.md, "The date's cash adds up"): sources 825,000
    // available (the account and reserve were emptied in period 2), no draw; uses VAT 815 +
    // fee 1,000 + interest 7,684.70 + principal 770,580.68 + 41,188.99 + the repayment
    // 3,684.70 + its interest 45.93 + 0 left = 825,000.00.
    let p3 = &r.periods[2];
    assert_eq!(p3.available_funds, dec!(825000.00));
    assert_eq!(p3.support_draws, dec!(0));
    assert_eq!(
        (p3.support_repaid, p3.support_interest_paid),
        (dec!(3684.70), dec!(45.93))
    );
    assert_eq!(p3.principal_paid, dec!(770580.68) + dec!(41188.99));
    assert_eq!(
        dec!(815) + dec!(1000) + dec!(7684.70) + dec!(811769.67) + dec!(3684.70) + dec!(45.93),
        dec!(825000.00)
    );
    assert_eq!(
        (p3.guarantee_payment, p3.purchases, p3.restated),
        (dec!(0), dec!(0), dec!(0))
    );

    // Recovery 51.2%: 919.62 is left for the step (a_repayment_takes_only_the_cash_left):
    // the interest 45.93 first, then 919.62 − 45.93 = 873.69 of the draws; 2,811.01 of them
    // stay owed, and no interest is unpaid.
    let r = run_source(&facility_source("0.512", "interest_rate = 0.05\n"));
    let s = &r.support_draws[0];
    assert_eq!((s.interest_paid, s.interest_unpaid), (dec!(45.93), dec!(0)));
    assert_eq!(s.repaid, dec!(873.69));
    assert_eq!(s.total - s.repaid, dec!(2811.01));
    assert_eq!(r.conservation.support_interest, dec!(45.93));
}

/// `repays` (review 36b item M3): a step may repay a facility's interest or its draws alone.
#[test]
fn a_repayment_step_may_repay_the_interest_or_the_draws_alone() {
    let only = |recovery: &str, part: &str| {
        let src = facility_source(recovery, "interest_rate = 0.05\n").replace(
            "supports = [\"undertaking\"] },",
            &format!("supports = [\"undertaking\"], repays = \"{part}\" }},"),
        );
        assert!(src.contains("repays"));
        run_source(&src)
    };
    // Draws only, 44,919.62 left: the 3,684.70 repaid, the 45.93 of interest unpaid at the
    // end, B's principal 44,919.62 − 3,684.70 = 41,234.92 as without interest.
    let r = only("0.6", "draws");
    let s = &r.support_draws[0];
    assert_eq!((s.repaid, s.interest_paid), (dec!(3684.70), dec!(0)));
    assert_eq!(s.interest_unpaid, dec!(45.93));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(41234.92));
    // Interest only, 919.62 left (recovery 51.2%): the 45.93 paid, the draws all owed, and
    // B's principal the rest, 919.62 − 45.93 = 873.69.
    let r = only("0.512", "interest");
    let s = &r.support_draws[0];
    assert_eq!((s.repaid, s.interest_paid), (dec!(0), dec!(45.93)));
    assert_eq!(tranche_row(&r, "B", 3).principal_paid, dec!(873.69));
}

/// A step that repays a facility's interest before the senior's interest is a structure plans
/// mean (its interest senior): no `step_order` warning; the same step repaying draws there is
/// told (review 36c item M2: the documented layout was warned, and refused under --strict).
/// A support whose interest only a `repays = "draws"` step names is `never_repaid`.
#[test]
fn a_facilitys_interest_may_rank_before_the_senior() {
    let warnings = |part: &str| {
        let src = facility_source("0.6", "interest_rate = 0.05\n")
            .replace(
                "  { action = \"repay_support\", supports = [\"undertaking\"] },\n",
                "",
            )
            .replace(
                "  { action = \"pay_interest\", tranches = [\"A\"] },\n",
                &format!(
                    "  {{ action = \"repay_support\", supports = [\"undertaking\"], repays = \"{part}\" }},\n  {{ action = \"pay_interest\", tranches = [\"A\"] }},\n"
                ),
            );
        assert!(src.contains(&format!("repays = \"{part}\"")));
        let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
        // The fixture's `top_up_reserve` after A's principal is told too (a release after
        // senior principal, review 48b F4): this test is about the `repay_support` step.
        loaded
            .warnings
            .iter()
            .filter(|w| !w.message.contains("releases the reserve's excess"))
            .map(|w| w.check.name().to_string())
            .collect::<Vec<_>>()
    };
    assert!(!warnings("interest").contains(&"step_order".to_string()));
    let draws = warnings("draws");
    assert!(draws.contains(&"step_order".to_string()), "{draws:?}");
    assert!(draws.contains(&"never_repaid".to_string()), "{draws:?}");
}

#[test]
fn a_revolving_cap_is_restored_by_the_repayments() {
    // The repayment step moved before A's interest, and recovery 51.2%: period 3's pool cash
    // is 781,000.00; less VAT 815 and the fee 1,000, 779,185.00; the step repays the period-2
    // draws 3,684.70 → 775,500.30; A's interest 7,684.70 → 767,815.60; A's principal is due in
    // full on the last date, 770,580.68, short 2,765.08, which the undertaking is drawn for.
    // With cap_total 4,000 it has 4,000 − 3,684.70 = 315.30 left: it pays 315.30 and A is
    // short 2,449.78. With revolving_cap the repayment restores the cap (outstanding 0): it
    // pays the whole 2,765.08.
    let src = |terms: &str| {
        let s = facility_source("0.512", terms)
            .replace(
                "  { action = \"repay_support\", supports = [\"undertaking\"] },\n",
                "",
            )
            .replace(
                "  { action = \"pay_interest\", tranches = [\"A\"] },\n",
                "  { action = \"repay_support\", supports = [\"undertaking\"] },\n  { action = \"pay_interest\", tranches = [\"A\"] },\n",
            );
        assert_eq!(s.matches("repay_support").count(), 1);
        s
    };
    let fixed = run_source(&src("cap_total = 4000\n"));
    assert_eq!(fixed.periods[2].support_draws, dec!(315.30));
    assert_eq!(tranche_row(&fixed, "A", 3).principal_paid, dec!(768130.90));
    assert_eq!(fixed.support_draws[0].total, dec!(4000.00));
    let revolving = run_source(&src("cap_total = 4000\nrevolving_cap = true\n"));
    assert_eq!(
        ledger_sum(&revolving, 3, "repay_support", "collection"),
        dec!(3684.70)
    );
    assert_eq!(revolving.periods[2].support_draws, dec!(2765.08));
    assert_eq!(
        tranche_row(&revolving, "A", 3).principal_paid,
        dec!(770580.68)
    );
    // Drawn 3,684.70 + 2,765.08 = 6,449.78 in all, above the cap, 2,765.08 outstanding.
    let s = &revolving.support_draws[0];
    assert_eq!((s.total, s.repaid), (dec!(6449.78), dec!(3684.70)));
}

/// `fails_with` (since session 32, review 32c item 1): the undertaking's provider fails with
/// O2, which the fixture's scenario defaults on 2024-05-01. From period 2 (2024-07-01, after
/// it) the undertaking pays nothing and `undertaker_default` trips, exactly as with a
/// `support_failures` date of 2024-06-01 (`a_support_failing_from_a_date_…` above): A is
/// 3,684.70 short in period 2 (the reserve pays the fee and 4,000 of its 7,684.70), and the
/// undertaking pays nothing over the run. Tied to O1, which does not default, the undertaking
/// pays the 3,684.70 as in the normal run.
#[test]
fn a_support_fails_with_the_obligor_it_is_tied_to() {
    let tied = |obligor: &str| {
        let src = support_failure_source("").replace(
            "kind = \"shortfall_undertaking\"\n",
            &format!("kind = \"shortfall_undertaking\"\nfails_with = \"{obligor}\"\n"),
        );
        assert!(src.contains("fails_with"));
        run_source(&src)
    };
    let r = tied("O2");
    assert_eq!(r.periods[0].waterfall, "normal");
    assert_eq!(r.periods[1].waterfall, "accelerated");
    assert_eq!(r.periods[1].triggers_tripped, "undertaker_default");
    assert_eq!(r.periods[1].support_draws, dec!(0));
    assert_eq!(tranche_row(&r, "A", 2).interest_shortfall, dec!(3684.70));
    assert_eq!(r.support_draws[0].total, dec!(0));
    assert_eq!(r.conservation.payments, dec!(1880000.00));
    // The failure is told (review 34c item M3: it was in no output): from 2024-07-01, the
    // first payment date on or after O2's default on 2024-05-01.
    assert_eq!(
        r.support_draws[0].failure,
        Some((
            d(2024, 7, 1),
            "fails_with: obligor `O2` defaults on 2024-05-01".to_string()
        ))
    );
    let r = tied("O1");
    assert!(r.periods.iter().all(|p| p.waterfall == "normal"));
    assert_eq!(r.periods[1].support_draws, dec!(3684.70));
    assert_eq!(r.support_draws[0].failure, None);
    // The cause told is the earliest (review 34d item L3): a `support_failures` date of
    // 2024-06-15 and O2's default of 2024-05-01 both fail it from 2024-07-01, and O2's comes
    // first; O1 and O2 one group, tied to O1, with O1 named on 2024-06-20 and O2 on 2024-05-01:
    // O2's default, the group's earliest, fails it.
    let failure = |src: String| run_source(&src).support_draws[0].failure.clone();
    let o2_first = Some((
        d(2024, 7, 1),
        "fails_with: obligor `O2` defaults on 2024-05-01".to_string(),
    ));
    let both = support_failure_source(
        "support_failures = [ { support = \"undertaking\", date = 2024-06-15 } ]",
    )
    .replace(
        "kind = \"shortfall_undertaking\"\n",
        "kind = \"shortfall_undertaking\"\nfails_with = \"O2\"\n",
    );
    assert_eq!(failure(both), o2_first);
    let grouped = support_failure_source("")
        .replace(
            "kind = \"shortfall_undertaking\"\n",
            "kind = \"shortfall_undertaking\"\nfails_with = \"O1\"\n",
        )
        .replace(
            "name = \"O1\"\n",
            "name = \"O1\"\ntags = { group = \"g\" }\n",
        )
        .replace(
            "name = \"O2\"\n",
            "name = \"O2\"\ntags = { group = \"g\" }\n",
        )
        .replace(
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 } ]",
            "defaults = [ { obligor = \"O1\", date = 2024-06-20 }, \
             { obligor = \"O2\", date = 2024-05-01 } ]",
        );
    assert!(grouped.contains("group = \"g\"") && grouped.contains("2024-06-20"));
    assert_eq!(failure(grouped), o2_first);
}

/// `interest_at_maturity` (到期一次还本付息, since session 32, review 32c item 5): A a bullet
/// (maturing on the last date, 2024-09-30) whose interest falls due with its principal, in the
/// base case (no default). By hand:
///
/// * Period 1: pool 1,050,000 (interest 50,000): VAT 1,630.00, fee 1,000; A accrues
///   fen(1,800,000 × 0.04 × 91/365) = 17,950.68, deferred: due 0, and no principal is due.
///   1,047,370.00 stays in the collection account.
/// * Period 2: O2's 262,500 (interest 12,500): VAT 407.50, fee 1,000; A accrues 17,950.68 more
///   (35,901.36 deferred). The account holds 1,047,370 + 262,500 − 1,407.50 = 1,308,462.50.
/// * Period 3 (A matures): 787,500 (interest 37,500): VAT 1,222.50, fee 1,000; A's interest due
///   17,950.68 + 35,901.36 = 53,852.04 and its principal 1,800,000, both paid from
///   1,308,462.50 + 787,500 − 2,222.50 = 2,093,740.00; the reserve's 5,000 is released (target
///   0 on the last date); B takes 200,000 of principal and the residual 44,887.96.
///
/// Conservation: pool 2,100,000 + reserve 5,000 = VAT 3,260 + fees 3,000 + A 1,853,852.04 +
/// B 244,887.96 = 2,105,000.00. No date shows A short, so its break-even pays at zero.
#[test]
fn interest_at_maturity_falls_due_with_the_principal() {
    let src = fixture().replace(
        "amortization = \"pass_through\"",
        "amortization = \"bullet\"\ninterest_at_maturity = true",
    );
    assert!(src.contains("interest_at_maturity"));
    let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let d = &loaded.deal;
    let base = ipabs::scenario::Scenario::base();
    let r = engine::run(d, &base).unwrap_or_else(|e| panic!("{e}"));
    for k in [1, 2] {
        let a = tranche_row(&r, "A", k);
        assert_eq!(a.interest_due, dec!(0), "period {k}");
        assert_eq!(a.interest_paid, dec!(0));
        assert_eq!(a.interest_shortfall, dec!(0));
        assert_eq!(a.principal_paid, dec!(0));
    }
    assert_eq!(r.periods[1].collection_balance_end, dec!(1308462.50));
    let a3 = tranche_row(&r, "A", 3);
    assert_eq!(a3.interest_due, dec!(53852.04));
    assert_eq!(a3.interest_paid, dec!(53852.04));
    assert_eq!(a3.principal_paid, dec!(1800000.00));
    let b3 = tranche_row(&r, "B", 3);
    assert_eq!(b3.principal_paid, dec!(200000.00));
    assert_eq!(b3.residual_paid, dec!(44887.96));
    let c = r.conservation;
    assert_eq!(c.pool_cash + c.reserve_funding, dec!(2105000.00));
    assert_eq!(c.payments, dec!(2105000.00));
    let table = ipabs::scenario::RatingTable::default();
    let row = ipabs::analytics::breakeven::breakeven_one(d, &base, 0, &table)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!row.fails_at_zero, "{row:?}");
}

/// `payment_test = "ultimate"` (since session 32, review 32c item 11): with the undertaking
/// failing on 2024-06-01 (`a_support_failing_from_a_date_…` above, figures by hand there) A is
/// 3,684.70 short on 2024-07-01 and paid it on 2024-09-30 with its whole balance. Timely (the
/// default), that date's shortfall fails it: the breach is interest, 3,684.70 on 2024-07-01.
/// Ultimate, it is paid in full: everything owed was paid by the last date.
#[test]
fn an_ultimate_payment_test_forgives_a_shortfall_made_good() {
    use ipabs::analytics::breakeven::{BreachKind, first_breach, paid_in_full};
    let src = support_failure_source(
        "support_failures = [ { support = \"undertaking\", date = 2024-06-01 } ]",
    );
    let ultimate = src.replace(
        "amortization = \"pass_through\"",
        "amortization = \"pass_through\"\npayment_test = \"ultimate\"",
    );
    assert_ne!(ultimate, src);
    let check = |src: &str| {
        let loaded = deal_from_str("hand_worked.toml", src).unwrap_or_else(|e| panic!("{e}"));
        let d = &loaded.deal;
        let r = engine::run(d, &d.scenario).unwrap_or_else(|e| panic!("{e}"));
        let a = &d.tranches[0];
        assert_eq!(a.name, "A");
        (paid_in_full(&r, a), first_breach(&r, a, dec!(0)))
    };
    let (paid, breach) = check(&src);
    assert!(!paid);
    let b = breach.expect("a breach");
    assert_eq!(b.what, BreachKind::Interest);
    assert_eq!(b.date, d(2024, 7, 1));
    assert_eq!(b.amount, dec!(3684.70));
    let (paid, breach) = check(&ultimate);
    assert!(paid);
    assert_eq!(breach, None);
}

/// `periods.parquet`'s `reserve_target` (since session 32, review 32b item 5): the fixture's
/// reserve has a fixed target of 5,000, which falls to 0 on the deal's last date
/// (docs/conventions.md, "Reserve target"): 5,000, 5,000, 0. A deal without `[reserve]` has none.
#[test]
fn each_date_states_the_reserve_target() {
    let r = run_source(&fixture());
    let targets: Vec<Option<Decimal>> = r.periods.iter().map(|p| p.reserve_target).collect();
    assert_eq!(targets, [Some(dec!(5000)), Some(dec!(5000)), Some(dec!(0))]);
    let without = fixture()
        .replace(
            "[reserve]\ntarget = 5000\ninitial = 5000\ncovers = [\"taxes\", \"fees\", \"senior_interest\"]\n",
            "",
        )
        .replace("  { action = \"top_up_reserve\" },\n", "");
    assert!(!without.contains("[reserve]"));
    let r = run_source(&without);
    assert!(r.periods.iter().all(|p| p.reserve_target.is_none()));
}

/// `run`'s line for pass-through tranches (since session 32, review 32c item 14): A is
/// pass-through. Period 2 of the fixture's scenario has no pool cash (O2 defaulted, O1 owes
/// nothing), so its portfolio multiple is max(0, 0 − 1,000 of fee) / (A's interest + its share
/// of the pool's decline) = 0 on 2024-07-01, the lowest: the line states A at 0 on that date,
/// at six places as the Parquet column holds it (review 39d item 3: it printed `0x`).
/// A deal whose tranches are not pass-through has no line.
#[test]
fn run_states_the_pass_through_coverage() {
    use ipabs::output::table::pass_through_coverage_line;
    let loaded = deal_from_str("hand_worked.toml", &fixture()).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    let r = engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    let m = ipabs::analytics::portfolio::min_coverage(deal, &r, 0).expect("a minimum");
    assert!(m.multiple.is_zero());
    assert_eq!(m.date, d(2024, 7, 1));
    let line = pass_through_coverage_line(deal, &r).expect("a line");
    assert!(line.ends_with("A 0.000000x on 2024-07-01"), "{line}");
    let bullet = fixture().replace(
        "amortization = \"pass_through\"",
        "amortization = \"bullet\"",
    );
    let loaded = deal_from_str("hand_worked.toml", &bullet).unwrap_or_else(|e| panic!("{e}"));
    let r = engine::run(&loaded.deal, &loaded.deal.scenario).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pass_through_coverage_line(&loaded.deal, &r), None);
}

/// The fixture with A a bullet paying interest at maturity (到期一次还本付息), in the base case.
fn at_maturity(extra: &str) -> String {
    let src = fixture()
        .replace(
            "amortization = \"pass_through\"",
            "amortization = \"bullet\"\ninterest_at_maturity = true",
        )
        .replace("\n[scenario]", &format!("{extra}\n[scenario]"));
    assert!(src.contains("interest_at_maturity") && src.contains(extra));
    src
}

/// Interest at maturity on a clean-up call's date (review 32e item 1: it never fell due there,
/// and a call that must repay the senior was never exercised). The call on 2024-07-01 at the
/// pool's 750,000 (O1's 500,000 and O2's 250,000 left): 1,047,370 brought forward + O2's
/// 262,500 + 750,000, less VAT 407.50 and the fee 1,000 = 2,058,462.50. A owes its two
/// deferred accruals, 2 × 17,950.68 = 35,901.36, with its 1,800,000; B takes 200,000 and the
/// residual 2,058,462.50 − 1,835,901.36 − 200,000 = 22,561.14. With `repays_senior = true`
/// the call repays A (1,835,901.36 ≤ 2,058,462.50), so it is exercised: the same figures.
#[test]
fn interest_at_maturity_falls_due_on_a_call_date() {
    for repays in ["false", "true"] {
        let src = at_maturity(&format!(
            "call = [\n  {{ action = \"pay_tax\", taxes = [\"vat\"] }},\n  \
             {{ action = \"pay_fee\", fees = [\"manager\"] }},\n  \
             {{ action = \"pay_interest\", tranches = [\"A\"] }},\n  \
             {{ action = \"pay_principal\", tranches = [\"A\"] }},\n  \
             {{ action = \"pay_principal\", tranches = [\"B\"] }},\n  \
             {{ action = \"pay_residual\", tranche = \"B\" }},\n]\n\n\
             [clean_up_call]\non_or_after = 2024-07-01\nrepays_senior = {repays}\nwaterfall = \"call\"\n"
        ));
        let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
        let r = engine::run(&loaded.deal, &ipabs::scenario::Scenario::base())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.periods.len(), 2, "repays_senior = {repays}");
        let a2 = tranche_row(&r, "A", 2);
        assert_eq!(a2.interest_due, dec!(35901.36));
        assert_eq!(a2.interest_paid, dec!(35901.36));
        assert_eq!(a2.principal_paid, dec!(1800000.00));
        let b2 = tranche_row(&r, "B", 2);
        assert_eq!(b2.principal_paid, dec!(200000.00));
        assert_eq!(b2.residual_paid, dec!(22561.14));
    }
}

/// A tranche paying interest at maturity repaid early by `amount = "available"` (review 32e
/// item 2): the deferred interest is paid first, ahead of the junior. A of 1,000,000, B of
/// 1,000,000; both obligors default on 2024-05-01 with nothing recovered, so the first date's
/// 1,050,000 is all there is: less VAT 1,630 and the fee 1,000, 1,047,370. A's interest
/// fen(1,000,000 × 0.04 × 91/365) = 9,972.60 is paid, then its 1,000,000, and B gets the
/// 37,397.40 left and the reserve's 5,000, released once every senior tranche is repaid
/// (its target is then 0, docs/conventions.md "Reserve target"): 42,397.40 (B took 52,370.00
/// and A never got its interest).
#[test]
fn interest_at_maturity_is_paid_before_an_early_repayment() {
    let src = fixture()
        .replace(
            "balance = 1800000\ncoupon = 0.04\namortization = \"pass_through\"",
            "balance = 1000000\ncoupon = 0.04\namortization = \"bullet\"\ninterest_at_maturity = true",
        )
        .replace("balance = 200000\n", "balance = 1000000\n")
        .replace(
            "  { action = \"pay_principal\", tranches = [\"A\"] },\n",
            "  { action = \"pay_principal\", tranches = [\"A\"], amount = \"available\" },\n",
        )
        .replace(
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 } ]\nrecovery_rate = 0.6",
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 }, { obligor = \"O1\", date = 2024-05-01 } ]\nrecovery_rate = 0\nsupports_off = [\"undertaking\"]",
        );
    assert!(src.contains("amount = \"available\"") && src.contains("recovery_rate = 0\n"));
    let r = run_source(&src);
    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(a1.interest_paid, dec!(9972.60));
    assert_eq!(a1.principal_paid, dec!(1000000.00));
    assert_eq!(tranche_row(&r, "B", 1).principal_paid, dec!(42397.40));
    assert!(
        r.tranche_flows
            .iter()
            .all(|t| t.interest_shortfall.is_zero())
    );
}

/// The fixture with A a bullet of 1,800,000 paying interest at maturity, repaid by `amount =
/// "available"`, both obligors defaulting on 2024-03-01 and recovering `recovery_rate` of
/// their 1,000,000 each a month later, the undertaking off (the deal of the two tests below).
fn repaid_early_deal(recovery_rate: &str) -> String {
    let src = fixture()
        .replace(
            "amortization = \"pass_through\"",
            "amortization = \"bullet\"\ninterest_at_maturity = true",
        )
        .replace(
            "  { action = \"pay_principal\", tranches = [\"A\"] },\n",
            "  { action = \"pay_principal\", tranches = [\"A\"], amount = \"available\" },\n",
        )
        .replace(
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 } ]\nrecovery_rate = 0.6\nrecovery_lag_months = 3",
            &format!(
                "defaults = [ {{ obligor = \"O2\", date = 2024-03-01 }}, {{ obligor = \"O1\", date = 2024-03-01 }} ]\nrecovery_rate = {recovery_rate}\nrecovery_lag_months = 1\nsupports_off = [\"undertaking\"]"
            ),
        );
    assert!(
        src.contains("amount = \"available\"")
            && src.contains(&format!("recovery_rate = {recovery_rate}\n"))
    );
    src
}

/// Interest at maturity repaid early by less cash than is deferred (review 43b F1): the step
/// pays what its cash covers, and the rest stays deferred, no shortfall. The fixture with A a
/// bullet of 1,800,000 paying interest at maturity, repaid by `amount = "available"`, both
/// obligors defaulting on 2024-03-01 (before their 03-15 instalments) and recovering 0.5% a
/// month later, the undertaking off: period 1 collects the recoveries, 0.005 × (1,000,000 +
/// 1,000,000) = 10,000.00 on 2024-04-01; no interest collected, so VAT 0; the fee 1,000; 9,000
/// left. A's accrual, 1,800,000 × 0.04 × 91/365 = 17,950.68, is deferred: the step pays 9,000.00
/// of it and 8,950.68 stays deferred. Period 2 has no cash: the reserve pays the fee (5,000 →
/// 4,000) and A's 17,950.68 is deferred too. The last date owes 8,950.68 + 2 × 17,950.68 =
/// 44,852.04, with the 1,800,000. No date before it has an interest shortfall (before the fix,
/// period 1 had 8,950.68: the whole 17,950.68 fell due and only 9,000 was paid).
#[test]
fn interest_at_maturity_repaid_early_in_part_stays_deferred() {
    let src = repaid_early_deal("0.005");
    let r = run_source(&src);
    assert_eq!(r.periods[0].pool_cash, dec!(10000.00));
    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(a1.interest_paid, dec!(9000.00));
    assert_eq!(a1.principal_paid, dec!(0));
    assert_eq!(a1.interest_shortfall, dec!(0));
    let a2 = tranche_row(&r, "A", 2);
    assert_eq!(
        (a2.interest_paid, a2.interest_shortfall),
        (dec!(0), dec!(0))
    );
    assert_eq!(tranche_row(&r, "A", 3).interest_due, dec!(44852.04));
}

/// The same early payment on a deal with `[notices] per_unit = true` (review 43f F4): the
/// recoveries at 0.513% give period 1 0.00513 × 2,000,000 = 10,260.00, 9,260.00 after the fee.
/// A's 18,000 units of 100: 9,260.00 × 100 / 1,800,000 = 0.514444… per 100, truncated to
/// 0.5144, which pays 0.5144 × 18,000 = 9,259.20. The 0.80 no figure pays stays deferred (it
/// fell due before the fix: a shortfall of 0.80 on period 1, drawn from the reserve on period
/// 2): 17,950.68 − 9,259.20 = 8,691.48 deferred, and the last date owes 8,691.48 + 2 ×
/// 17,950.68 = 44,592.84. No date before it has an interest shortfall or pays A interest again.
#[test]
fn interest_at_maturity_repaid_early_by_the_figures_keeps_the_rest_deferred() {
    let src = repaid_early_deal("0.00513") + "\n[notices]\nper_unit = true\n";
    let r = run_source(&src);
    assert_eq!(r.periods[0].pool_cash, dec!(10260.00));
    let a1 = tranche_row(&r, "A", 1);
    assert_eq!(
        (a1.interest_paid, a1.interest_shortfall),
        (dec!(9259.20), dec!(0))
    );
    let a2 = tranche_row(&r, "A", 2);
    assert_eq!(
        (a2.interest_paid, a2.interest_shortfall),
        (dec!(0), dec!(0))
    );
    assert_eq!(tranche_row(&r, "A", 3).interest_due, dec!(44592.84));
}

/// The same early payment shared by a `pro_rata` step (review 43f F3: it was paid in list
/// order). A split into A1 and A2 of 900,000 each, both bullets at 4% paying interest at
/// maturity, repaid by one `pay_principal ["A1", "A2"], order = "pro_rata", amount =
/// "available"` step: each defers 900,000 × 0.04 × 91/365 = 8,975.342… → 8,975.34 on period 1,
/// and the step's 9,000.00 (as above) is shared in proportion to the deferrals, equal here:
/// 4,500.00 each (it paid A1 8,975.34 and A2 24.66), 4,475.34 of each staying deferred. The
/// last date owes each 4,475.34 + 2 × 8,975.34 = 22,426.02.
#[test]
fn interest_at_maturity_repaid_early_by_a_pro_rata_step_is_shared() {
    let src = fixture()
        .replace(
            "name = \"A\"\nclass = \"senior\"\nbalance = 1800000\ncoupon = 0.04\namortization = \"pass_through\"",
            "name = \"A1\"\nclass = \"senior\"\nbalance = 900000\ncoupon = 0.04\namortization = \"bullet\"\n\
             interest_at_maturity = true\n\n[[tranches]]\nname = \"A2\"\nclass = \"senior\"\nbalance = 900000\n\
             coupon = 0.04\namortization = \"bullet\"\ninterest_at_maturity = true",
        )
        .replace(
            "  { action = \"pay_interest\", tranches = [\"A\"] },\n  { action = \"pay_principal\", tranches = [\"A\"] },\n",
            "  { action = \"pay_interest\", tranches = [\"A1\", \"A2\"] },\n  { action = \"pay_principal\", tranches = [\"A1\", \"A2\"], order = \"pro_rata\", amount = \"available\" },\n",
        )
        .replace(
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 } ]\nrecovery_rate = 0.6\nrecovery_lag_months = 3",
            "defaults = [ { obligor = \"O2\", date = 2024-03-01 }, { obligor = \"O1\", date = 2024-03-01 } ]\nrecovery_rate = 0.005\nrecovery_lag_months = 1\nsupports_off = [\"undertaking\"]",
        );
    assert!(src.contains("name = \"A2\"") && src.contains("order = \"pro_rata\", amount"));
    assert!(src.contains("recovery_rate = 0.005\n"));
    let r = run_source(&src);
    for t in ["A1", "A2"] {
        let x = tranche_row(&r, t, 1);
        assert_eq!(
            (x.interest_paid, x.interest_shortfall),
            (dec!(4500.00), dec!(0)),
            "{t}"
        );
        assert_eq!(tranche_row(&r, t, 3).interest_due, dec!(22426.02), "{t}");
    }
}

/// `reconcile` of interest paid before maturity (review 32e item 3): period 1 reports A's
/// 17,950.68 paid, its own accrual. It comes off what is deferred: the last date owes the
/// other two accruals, 35,901.36, and A is paid 17,950.68 + 35,901.36 = 53,852.04 over its
/// life (it was paid 71,802.72).
#[test]
fn reported_interest_before_maturity_comes_off_the_deferral() {
    let src = at_maturity("");
    let loaded = deal_from_str("hand_worked.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    let d = &loaded.deal;
    let actuals = ipabs::validate::actuals_from_str(
        "a.toml",
        "[actuals]\ndeal = \"hand-worked\"\n\n[[periods]]\nperiod = 1\npayment_date = 2024-04-01\n\
         pool = { principal = 1000000, interest = 50000 }\n\
         tranches.A = { interest = \"17950.68\", principal = 0 }\n\
         tranches.B = { interest = 0, principal = 0 }\n",
        d,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let base = ipabs::scenario::Scenario::base();
    let rec = ipabs::analytics::reconcile::reconcile(d, &base, &actuals)
        .unwrap_or_else(|e| panic!("{e}"));
    let a3 = tranche_row(&rec.run, "A", 3);
    assert_eq!(a3.interest_due, dec!(35901.36));
    let total: Decimal = rec
        .run
        .tranche_flows
        .iter()
        .filter(|t| t.tranche == "A")
        .map(|t| t.interest_paid)
        .sum();
    assert_eq!(total, dec!(53852.04));
}

/// The fixture without its defaults, its servicer failing on 2024-05-20 (scenario
/// `commingling`, 混同; docs/scenarios.md, "A servicer that fails holding cash").
fn commingling_source(share: &str) -> String {
    let src = fixture();
    let at = src.find("[scenario]").expect("the fixture has a scenario");
    format!(
        "{}[scenario]\nname = \"servicer-fails\"\ncommingling = {{ date = 2024-05-20{share} }}\n",
        &src[..at]
    )
}

/// The failure falls in the second collection period (04-02 to 07-01), whose only cash is
/// O2's instalment of 262,500 (250,000 principal, 12,500 interest).
///
/// * Period 1 as in `normal_waterfall_to_the_fen`: A 770,580.68 after it.
/// * Period 2: lost fen(262,500 × 0.12345678) = fen(32,407.40475) = 32,407.40 (half up);
///   available 262,500 − 32,407.40 = 230,092.60. VAT on the interest the obligor paid,
///   fen(0.0326 × 12,500) = 407.50; fee 1,000; A's interest fen(770,580.68 × 0.04 × 91/365)
///   = 7,684.70; A's pass-through principal 230,092.60 − 407.50 − 1,000 − 7,684.70 =
///   221,000.40: A 549,580.28. Coverage (230,092.60 − 407.50 − 1,000) / 7,684.70 =
///   228,685.10 / 7,684.70 = 29.758494… → 29.758494.
/// * Period 3 loses nothing: O1's 525,000 and O2's 262,500, 787,500 with 37,500 of interest.
///   VAT 1,222.50; A's interest fen(549,580.28 × 0.04 × 91/365) = fen(5,480.7512…) =
///   5,480.75; A's principal 549,580.28.
/// * In: pool 1,050,000 + 262,500 + 787,500 = 2,100,000 and the reserve's 5,000; out: the
///   payments, and the 32,407.40 the servicer kept.
#[test]
fn a_failed_servicer_keeps_a_share_of_its_period() {
    let r = run_source(&commingling_source(", share = 0.12345678"));
    let (p1, p2, p3) = (&r.periods[0], &r.periods[1], &r.periods[2]);
    assert_eq!(p1.commingled, dec!(0));
    assert_eq!(p1.principal_paid, dec!(1029419.32));
    assert_eq!(p2.pool_cash, dec!(262500.00));
    assert_eq!(p2.commingled, dec!(32407.40));
    assert_eq!(p2.available_funds, dec!(230092.60));
    assert_eq!(p2.taxes_paid, dec!(407.50));
    assert_eq!(p2.interest_paid, dec!(7684.70));
    assert_eq!(p2.principal_paid, dec!(221000.40));
    assert_eq!(p2.coverage_multiple, Some(dec!(29.758494)));
    assert_eq!(
        ledger_sum(&r, 2, "commingled", "collection"),
        dec!(32407.40)
    );
    let lost: Vec<_> = r
        .ledger
        .iter()
        .filter(|e| e.action.name() == "commingled")
        .collect();
    assert_eq!(lost.len(), 1, "one deposit, collections, lost a share");
    assert_eq!(lost[0].item, "collections");
    assert_eq!(r.accounts.name(lost[0].destination), "servicer");
    assert_eq!(p3.commingled, dec!(0));
    assert_eq!(p3.taxes_paid, dec!(1222.50));
    assert_eq!(p3.interest_paid, dec!(5480.75));
    assert_eq!(tranche_row(&r, "A", 3).principal_paid, dec!(549580.28));
    let c = r.conservation;
    assert_eq!(c.pool_cash, dec!(2100000.00));
    assert_eq!(c.commingled, dec!(32407.40));
    assert_eq!(
        c.payments + c.commingled + c.collection_end + c.reserve_end,
        c.pool_cash + c.reserve_funding
    );
    // Without `share`, all of it: 262,500 lost. The VAT is still 407.50 (on the interest the
    // obligor paid); the reserve (5,000) pays it, the fee 1,000 and 3,592.50 of A's interest,
    // and the undertaking the other 7,684.70 − 3,592.50 = 4,092.20.
    let all = run_source(&commingling_source(""));
    let p2 = &all.periods[1];
    assert_eq!(p2.commingled, dec!(262500.00));
    assert_eq!(p2.available_funds, dec!(0));
    assert_eq!(p2.reserve_draws, dec!(5000.00));
    assert_eq!(p2.support_draws, dec!(4092.20));
    // The run is stressed: the draw is the cash the servicer kept, not a structure to fix
    // (review 38c item M1: `support_without_defaults` said so).
    assert!(
        all.warnings
            .iter()
            .all(|w| w.check.name() != "support_without_defaults"),
        "{:?}",
        all.warnings
    );
}

/// With an asset guarantee, the guarantor takes back only the recoveries the trust received.
/// The fixture's O2 defaults on 05-01 (the guarantor pays its 500,000 in period 2) and 300,000
/// is recovered in period 3, in which the servicer fails (2024-08-10) keeping half of the
/// period's deposits: fen(525,000 × 0.5) = 262,500 of the collections and fen(300,000 × 0.5) =
/// 150,000 of the recoveries. The guarantor, owed 500,000, takes the 150,000 received (not
/// 300,000). Left: 825,000 − 412,500 − 150,000 = 262,500; VAT 815 and fee 1,000 (on what the
/// obligors paid), A's interest 2,785.00 (as in the asset-guarantee test above), leave
/// 257,900.00 for A's principal of 279,265.38: the undertaking pays 21,365.38.
#[test]
fn a_failed_servicer_keeps_recoveries_from_the_asset_guarantor() {
    let src = asset_guarantee_source("", "commingling = { date = 2024-08-10, share = 0.5 }");
    let r = run_source(&src);
    let p3 = &r.periods[2];
    assert_eq!(p3.commingled, dec!(412500.00));
    assert_eq!(
        ledger_sum(&r, 3, "subrogation", "collection"),
        dec!(150000.00)
    );
    assert_eq!(p3.support_draws, dec!(21365.38));
    assert_eq!(tranche_row(&r, "A", 3).balance_end, dec!(0));
}

/// The servicer's share is one exact product rounded once, by the deal's rule: a share of
/// 0.00001 of period 2's 262,500.00 is exactly 2.625, a half-fen tie: 2.63 half up (the
/// fixture's rule), 2.62 truncated (`rounding = "truncate"`).
#[test]
fn a_failed_servicers_share_at_a_half_fen_tie() {
    let src = commingling_source(", share = 0.00001");
    assert_eq!(run_source(&src).periods[1].commingled, dec!(2.63));
    let truncated = src.replacen(
        "collection_lag_days = 0\n",
        "collection_lag_days = 0\nrounding = \"truncate\"\n",
        1,
    );
    assert_eq!(run_source(&truncated).periods[1].commingled, dec!(2.62));
}
