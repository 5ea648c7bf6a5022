//! Payment notices per 100 yuan of face (docs/auditing.md), worked by hand on
//! tests/fixtures/auditing.toml (its waterfall is derived in tests/auditing.rs): A has an
//! initial balance of 900,000.00, so 9,000 units of 100 yuan, and `x per 100 = X × 100 /
//! 900,000 = X / 9,000`; paid = x × 9,000. Without `[notices]`: 4 places, truncated.
//! Every expected figure is derived in the comments, never copied from the program's output.

use std::path::PathBuf;

use ipabs::deal::Deal;
use ipabs::engine::ledger::Movement;
use ipabs::engine::result::{NoticeRow, RunResult};
use ipabs::validate::deal_from_str;
use rust_decimal_macros::dec;

/// The text of tests/fixtures/auditing.toml.
fn fixture_text() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auditing.toml");
    std::fs::read_to_string(p).expect("fixture")
}

fn fixture(extra: &str) -> Deal {
    let src = fixture_text() + extra;
    deal_from_str("auditing.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal
}

fn run(d: &Deal) -> RunResult {
    ipabs::engine::run(d, &d.scenario).unwrap_or_else(|e| panic!("{e}"))
}

fn notice<'a>(r: &'a RunResult, t: &str, p: u32) -> &'a NoticeRow {
    r.notices
        .iter()
        .find(|n| n.tranche == t && n.period == p)
        .expect("a notice row")
}

#[test]
fn truncated_figures_and_their_residual() {
    let r = run(&fixture(""));
    let n = notice(&r, "A", 1);
    assert_eq!(n.units, 9000);
    // Interest 8,190.00 / 9,000 = 0.91 exactly: paid 0.9100 × 9,000 = 8,190.00.
    assert_eq!(n.interest_per_100, dec!(0.9100));
    assert_eq!(n.interest_paid, dec!(8190.00));
    // Principal 410,810.00 / 9,000 = 45.645555… → 45.6455 (cut); paid 45.6455 × 9,000 =
    // 410,809.50; residual 410,810.00 − 410,809.50 = 0.50.
    assert_eq!(n.principal_per_100, dec!(45.6455));
    assert_eq!(n.principal_paid, dec!(410809.50));
    assert_eq!(n.total_per_100, dec!(46.5555));
    assert_eq!(n.residual, dec!(0.50));
    // Face after, at the figures' 4 places: 100 − 45.6455 = 54.3545, the face a unit keeps
    // (since session 30, review 30b item 1; before, the balance 489,190.00 / 9,000 =
    // 54.35444… → 54.3544, which counted the 0.50 尾差 kept as paid and left the next notice
    // to pay more than this one said was left). The residual is all principal: the interest
    // part is 0.
    assert_eq!(n.face_per_100_after, dec!(54.3545));
    assert_eq!(n.interest_residual, dec!(0));
    // CSDC fee: 0.005% × (8,190.00 + 410,809.50) = 418,999.50 × 0.00005 = 20.949975 → 20.95.
    assert_eq!(n.csdc_fee, dec!(20.95));
    // Transfer instruction: with the fee 418,999.50 + 20.95 = 419,020.45; per 100 of the
    // initial 900,000.00 that is 46.557827…, past the fen, so the 1,000.00 长款 is added:
    // 420,020.45 (docs/auditing.md).
    assert_eq!(n.csdc_buffer, dec!(1000.00));
    assert_eq!(n.transfer, dec!(420020.45));
    // Record dates on the weekends calendar: 2024-04-01 is a Monday, T−1 = Friday 03-29; the
    // final date 2024-09-30 (Monday) has T−3 = Wednesday 09-25.
    assert_eq!(n.record_date.to_string(), "2024-03-29");
    assert_eq!(notice(&r, "A", 3).record_date.to_string(), "2024-09-25");
    // Reported only: the waterfall still paid 410,810.00.
    let f = r
        .tranche_flows
        .iter()
        .find(|f| f.tranche == "A" && f.period == 1)
        .expect("row");
    assert_eq!(f.principal_paid, dec!(410810.00));
}

#[test]
fn half_up_figures() {
    let r = run(&fixture("\n[notices]\nrounding = \"half_up\"\n"));
    // 410,810.00 / 9,000 = 45.6455555… → 45.6456; paid 45.6456 × 9,000 = 410,810.40, so the
    // residual is 410,810.00 − 410,810.40 = −0.40 (the per-unit figure pays more).
    let n = notice(&r, "A", 1);
    assert_eq!(n.principal_per_100, dec!(45.6456));
    assert_eq!(n.principal_paid, dec!(410810.40));
    assert_eq!(n.residual, dec!(-0.40));
    // Period 2 interest 4,451.63 / 9,000 = 0.4946255… → 0.4946 (the 5th place is 2); paid
    // 4,451.40. Principal 304,548.37 / 9,000 = 33.8387077… → 33.8387; paid 304,548.30.
    // Residual 0.23 + 0.07 = 0.30.
    let n = notice(&r, "A", 2);
    assert_eq!(n.interest_per_100, dec!(0.4946));
    assert_eq!(n.principal_per_100, dec!(33.8387));
    assert_eq!(n.residual, dec!(0.30));
}

#[test]
fn two_decimal_places_and_another_face() {
    // face 1,000: 900 units; per 100 figures at 2 places, cut: 410,810.00 / 9,000 = 45.64;
    // paid 45.64 × 9,000 = 410,760.00; residual 50.00.
    let r = run(&fixture("\n[notices]\nface = 1000\ndecimals = 2\n"));
    let n = notice(&r, "A", 1);
    assert_eq!(n.units, 900);
    assert_eq!(n.principal_per_100, dec!(45.64));
    assert_eq!(n.principal_paid, dec!(410760.00));
    assert_eq!(n.residual, dec!(50.00));
}

#[test]
fn per_unit_payments_carry_the_residual_and_conserve_cash() {
    let r = run(&fixture("\n[notices]\nper_unit = true\n"));
    let f = |t: &str, p: u32| {
        r.tranche_flows
            .iter()
            .find(|f| f.tranche == t && f.period == p)
            .cloned()
            .expect("row")
    };
    let period = |p: u32| {
        r.periods
            .iter()
            .find(|x| x.period == p)
            .cloned()
            .expect("p")
    };
    // Period 1: the waterfall's 410,810.00 of principal pays 45.6455 × 9,000 = 410,809.50;
    // 0.50 stays in the collection account; A's balance is 900,000 − 410,809.50 = 489,190.50.
    assert_eq!(f("A", 1).principal_paid, dec!(410809.50));
    assert_eq!(f("A", 1).balance_end, dec!(489190.50));
    assert_eq!(period(1).collection_balance_end, dec!(0.50));
    // Period 2: available 0.50 + 310,000 = 310,000.50; fee 1,000 leaves 309,000.50. A interest
    // 489,190.50 × 0.0091 = 4,451.63355 → 4,451.63, per 100 0.4946255… → 0.4946, paid 4,451.40
    // (residual 0.23, carried as interest shortfall). Principal 309,000.50 − 4,451.63 =
    // 304,548.87, per 100 33.8387633… → 33.8387, paid 304,548.30 (residual 0.57). Balance
    // 489,190.50 − 304,548.30 = 184,642.20; collection 0.23 + 0.57 = 0.80.
    assert_eq!(f("A", 2).interest_paid, dec!(4451.40));
    assert_eq!(f("A", 2).interest_shortfall, dec!(0.23));
    assert_eq!(f("A", 2).principal_paid, dec!(304548.30));
    assert_eq!(f("A", 2).balance_end, dec!(184642.20));
    assert_eq!(period(2).collection_balance_end, dec!(0.80));
    // Period 3, the deal's last date: available 305,000.80, after the fee 304,000.80. A
    // interest 184,642.20 × 0.0091 = 1,680.24402 → 1,680.24, plus the 0.23 shortfall:
    // 1,680.47. Principal 184,642.20. Left 304,000.80 − 1,680.47 − 184,642.20 = 117,678.13:
    // The last date cannot carry a 尾差, and holders can be paid only the figures per 100
    // (since session 28, review 28b item 1): A's interest due is cut before the waterfall to
    // what its figure pays, 1,680.47 × 100 / 900,000 = 0.1867188… → 0.1867, × 9,000 =
    // 1,680.30; the 0.17 is forgone and stays for the later steps. Principal 184,642.20 (per
    // 100 exactly 20.5158, the face left). Left 304,000.80 − 1,680.30 − 184,642.20 =
    // 117,678.30: B principal 100,000.00 (per 100 exactly 100) and B's residual 17,678.30.
    // (Session 27 paid A's 1,680.47 whole, 0.17 more than any notice stated; before it, the
    // 0.17 returned after the waterfall and stayed, owed to A.)
    assert_eq!(f("A", 3).interest_due, dec!(1680.30));
    assert_eq!(f("A", 3).interest_paid, dec!(1680.30));
    assert_eq!(f("A", 3).interest_shortfall, dec!(0));
    assert_eq!(f("A", 3).principal_paid, dec!(184642.20));
    assert_eq!(f("A", 3).balance_end, dec!(0));
    assert_eq!(f("B", 3).principal_paid, dec!(100000.00));
    assert_eq!(f("B", 3).residual_paid, dec!(17678.30));
    assert_eq!(period(3).collection_balance_end, dec!(0));
    // Conservation (checked by the engine too): 1,035,000.00 of pool cash = payments.
    let c = &r.conservation;
    assert_eq!(c.pool_cash, dec!(1035000.00));
    assert_eq!(c.payments, dec!(1035000.00));
    assert_eq!(c.collection_end, dec!(0));
    // The residuals are ledger movements back to the collection account: 0.50 + 0.57 of
    // principal, 0.23 of interest (none on the last date).
    let sum = |m: Movement| -> rust_decimal::Decimal {
        r.ledger
            .iter()
            .filter(|e| e.action == m)
            .map(|e| e.amount)
            .sum()
    };
    assert_eq!(sum(Movement::PerUnitPrincipalResidual), dec!(1.07));
    assert_eq!(sum(Movement::PerUnitInterestResidual), dec!(0.23));
    // The notices report the residuals the collection account kept, and the interest 尾差
    // carried as unpaid interest (0.23 after P2); on the last date, the 尾差 forgone. What
    // the figures pay is what the waterfall paid: 0.1867 × 9,000 = 1,680.30.
    assert_eq!(notice(&r, "A", 2).residual, dec!(0.80));
    assert_eq!(notice(&r, "A", 3).interest_per_100, dec!(0.1867));
    assert_eq!(notice(&r, "A", 3).interest_paid, dec!(1680.30));
    assert_eq!(notice(&r, "A", 3).residual, dec!(0.17));
    assert_eq!(notice(&r, "A", 3).interest_unpaid, dec!(0));
    // The 0.23 carried from period 2 is the date's 尾差, paid as agreed: A's row states it as
    // the part of its shortfall that is no interest unpaid (`interest_unpaid` 0), so no trigger
    // and no break-even reads it as a shortfall.
    assert_eq!(f("A", 2).interest_residual, dec!(0.23));
    assert!(f("A", 2).interest_unpaid().is_zero());
    // The notice says the same (review 27c item 5): 应付未付利息 0, the 0.23 being in its 尾差.
    assert_eq!(notice(&r, "A", 2).interest_unpaid, dec!(0));
}

/// With `per_unit`, a fee on `interest_paid:A` is charged on the interest A's notice pays,
/// not on the 尾差 that goes back after the waterfall (review 40a item 2). The fixture of
/// `per_unit_payments_carry_the_residual_and_conserve_cash` with a fee of 10% of A's interest
/// paid, its `pay_fee` step last (A's principal, `amount = "available"`, takes what is left
/// before it, so the fee changes no payment ahead of it and is only charged):
/// * period 1: A's interest 8,190.00 is a whole figure (0.91 per 100): 819.00;
/// * period 2: the waterfall pays A 4,451.63, its figure 0.4946 pays 0.4946 × 9,000 =
///   4,451.40: 10% is 445.14 (on the waterfall's 4,451.63 it was 445.163 → 445.16);
/// * period 3, paid by its figures: 1,680.30, 168.03.
#[test]
fn a_fee_on_interest_paid_reads_the_per_unit_figure() {
    let src = fixture_text()
        .replacen(
            "[waterfalls]",
            "[[fees]]\nname = \"on_interest\"\nkind = \"annual_rate\"\nrate = 0.10\n\
         base = \"interest_paid:A\"\n\n[waterfalls]",
            1,
        )
        .replacen(
            "  { action = \"pay_residual\", tranche = \"B\", when = \"final_period\" },\n",
            "  { action = \"pay_residual\", tranche = \"B\", when = \"final_period\" },\n  \
         { action = \"pay_fee\", fees = [\"on_interest\"] },\n",
            1,
        )
        + "\n[notices]\nper_unit = true\n";
    let d = deal_from_str("auditing.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let r = run(&d);
    let charged: Vec<(u32, rust_decimal::Decimal)> = r
        .charges
        .iter()
        .filter(|c| c.name == "on_interest")
        .map(|c| (c.period, c.charged))
        .collect();
    assert_eq!(
        charged,
        vec![(1, dec!(819.00)), (2, dec!(445.14)), (3, dec!(168.03))]
    );
    let interest: Vec<rust_decimal::Decimal> = r
        .tranche_flows
        .iter()
        .filter(|f| f.tranche == "A")
        .map(|f| f.interest_paid)
        .collect();
    assert_eq!(interest, vec![dec!(8190.00), dec!(4451.40), dec!(1680.30)]);
}

#[test]
fn per_unit_with_half_up_and_odd_balances_are_rejected() {
    let src = fixture_text();
    let e = deal_from_str(
        "a.toml",
        &format!("{src}\n[notices]\nper_unit = true\nrounding = \"half_up\"\n"),
    )
    .expect_err("rejected")
    .to_string();
    assert!(e.contains("notices.rounding"), "{e}");
    let e = deal_from_str("a.toml", &format!("{src}\n[notices]\nface = 7000\n"))
        .expect_err("rejected")
        .to_string();
    assert!(
        e.contains("tranches[0].balance") && e.contains("units of 7000"),
        "{e}"
    );
}

#[test]
fn ipabs_notice_prints_one_date() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(["notice", "tests/fixtures/auditing.toml", "--period", "1"])
        .current_dir(&root)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    for want in [
        "收益分配报告",
        "兑付日 (payment date): 2024-04-01",
        // The accrual period (closing date to the first payment date: 91 days, the fixture's
        // ACT/365F) and the coupons, from which interest per 100 is recomputed:
        // 900,000 × 3.65% × 91/365 = 8,190.00, 0.9100 per 100.
        "* 计息期间 (accrual period): 2024-01-01 至 2024-04-01, 91 天 (days); 计息基准 (day count) ACT/365F: 91/365",
        "* 票面利率 (coupon, a year): A 3.65%; B 0%",
        "每百元本金",
        "权益登记日",
        // A's row, figures derived in `truncated_figures_and_their_residual` (the residual's
        // interest part 0.00, the face after at 4 places).
        "| A | 2024-03-29 | 9000 | 0.9100 | 45.6455 | 46.5555 | 8,190.00 | 410,809.50 | 0.50 | 0.00 | 54.3545 | 20.95 |",
        // A's transfer instruction: paid 8,190.00 + 410,809.50 = 418,999.50, with the fee
        // 20.95: 419,020.45; per 100 of the 900,000.00 face 419,020.45 / 9,000 =
        // 46.5578277… (cut at 6 places, more follows), past the second decimal, so the
        // 1,000.00 长款 is added: 420,020.45.
        "划款指令",
        "| A | 418,999.50 | 20.95 | 419,020.45 | 46.557827… | 1,000.00 | 420,020.45 |",
    ] {
        assert!(s.contains(want), "no {want:?} in\n{s}");
    }
    // Without actuals the figures are projected (the fixture has no [scenario]: `base`).
    assert!(
        s.contains("* 依据 (basis): 预测 (projected) by the waterfall under scenario `base`"),
        "{s}"
    );
    // With the actuals file (periods 1 and 2 reported): period 1 is reported, period 3
    // projected from the state after period 2.
    let basis = |period: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
            .args(["notice", "tests/fixtures/auditing.toml", "--period", period])
            .args(["--actuals", "tests/fixtures/auditing_actuals.toml"])
            .current_dir(&root)
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(0));
        let s = String::from_utf8_lossy(&o.stdout).into_owned();
        s.lines()
            .find(|l| l.starts_with("* 依据 (basis): "))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert_eq!(
        basis("1"),
        "* 依据 (basis): 实际 (reported): the figures tests/fixtures/auditing_actuals.toml \
         reports for this date, restated through the waterfall"
    );
    assert_eq!(
        basis("3"),
        "* 依据 (basis): 预测 (projected) from the state tests/fixtures/auditing_actuals.toml \
         reports after period 2, by the waterfall under scenario `base`"
    );
    // A date reported by its pool alone states no tranche's payment: its figures are the
    // waterfall's on the reported collections (review 44c F11: it was labelled as reported).
    let pool_only = tempfile::tempdir().expect("tempdir");
    let file = pool_only.path().join("pool.toml");
    let full = std::fs::read_to_string(root.join("tests/fixtures/auditing_actuals.toml"))
        .expect("fixture");
    let first = full
        .split("\n[[periods]]\nperiod = 2")
        .next()
        .expect("period 1");
    let trimmed: String = first
        .lines()
        .filter(|l| {
            !l.starts_with("tranches.") && !l.starts_with("fees") && !l.starts_with("accounts")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        trimmed.contains("pool = {") && !trimmed.contains("tranches."),
        "{trimmed}"
    );
    std::fs::write(&file, trimmed).expect("written");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args([
            "notice",
            "tests/fixtures/auditing.toml",
            "--period",
            "1",
            "--actuals",
        ])
        .arg(&file)
        .current_dir(&root)
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("* 依据 (basis): 实际 (reported collections): the pool's figures "),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A run-time warning stops `notice --strict` (review 25d item 4): bad-deal base.toml's
    // base run leaves cash and arrears.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args([
            "notice",
            "tests/bad_deals/valid/base.toml",
            "--period",
            "1",
            "--strict",
        ])
        .current_dir(&root)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning(s) with --strict"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(["notice", "tests/fixtures/auditing.toml", "--period", "4"])
        .current_dir(&root)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
}

/// Every record date of every example deal's base-case notices is a trading day: a Monday to
/// Friday that is a business day of the deal's calendar, before the payment date, with no
/// trading day between (1 before; 3 before a tranche's final payment). Checked by walking the
/// calendar day by day here, not with `add_trading_days`. Before, the tianzhi model's
/// 2024-10-12 (Saturday, worked for National Day) and the wenke model's 2021-04-25 (Sunday)
/// were record dates (their payment dates are illustrative).
#[test]
fn record_dates_are_trading_days() {
    use chrono::{Datelike, Weekday};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals");
    let (mut checked, mut finals) = (0, 0);
    for entry in std::fs::read_dir(&dir).expect("deals/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "toml") || path.ends_with("cohort.toml") {
            continue;
        }
        let d = ipabs::validate::load_deal(&path).expect("loads").deal;
        let r = ipabs::engine::run(&d, &ipabs::scenario::Scenario::base()).expect("runs");
        let trading = |x: chrono::NaiveDate| {
            !matches!(x.weekday(), Weekday::Sat | Weekday::Sun) && d.calendar.is_business_day(x)
        };
        for n in &r.notices {
            assert!(
                trading(n.record_date),
                "{}: {:?}",
                path.display(),
                n.record_date
            );
            let between = n
                .record_date
                .iter_days()
                .skip(1)
                .take_while(|x| *x < n.payment_date)
                .filter(|x| trading(*x))
                .count();
            // The tranche's final payment (docs/auditing.md): its balance reaches 0 on this
            // date, or the date is the deal's last; then 3 trading days before, else 1
            // (review 27a item 5: the check accepted either on any row).
            let balance_end = r
                .tranche_flows
                .iter()
                .find(|t| t.period == n.period && t.tranche == n.tranche)
                .expect("the tranche's row")
                .balance_end;
            let last = d.periods.last().expect("dates").date();
            let final_payment = balance_end.is_zero() || n.payment_date == last;
            finals += usize::from(final_payment);
            assert_eq!(
                between,
                if final_payment { 2 } else { 0 },
                "{}: {} period {}",
                path.display(),
                n.tranche,
                n.period
            );
            checked += 1;
        }
    }
    assert!(checked > 90, "{checked}");
    // Every example's tranches are repaid: at least one final payment a deal.
    assert!(finals > 10, "{finals}");
}

/// A tranche's notices redeem exactly 100 per 100 over its life (review 24e item 4): the date
/// that repays it states the face left, not its own payment cut to 4 places. The fixture's A
/// (9,000 units of 100): 45.6455 (410,810.00 → 45.645555…, cut) and 33.8387 (304,548.37 →
/// 33.838707…, cut) leave 100 − 79.4842 = 20.5158 for period 3; the waterfall's 184,641.63
/// alone is 20.515736… → 20.5157, and the notices summed to 99.9999: 0.90 yuan of face never
/// redeemed while the face after read 0.00. Paid 20.5158 × 9,000 = 184,642.20: the 0.50 and
/// 0.07 that periods 1 and 2 kept are paid now, so the principal residual is −0.57; interest
/// 1,680.24 → 0.186693… → 0.1866, paid 1,679.40, residual 0.84; the date's residual 0.27.
#[test]
fn the_final_notice_redeems_the_face_left() {
    let r = run(&fixture(""));
    let per_100: Vec<_> = (1..=3)
        .map(|p| notice(&r, "A", p).principal_per_100)
        .collect();
    assert_eq!(per_100, [dec!(45.6455), dec!(33.8387), dec!(20.5158)]);
    assert_eq!(per_100.iter().sum::<rust_decimal::Decimal>(), dec!(100));
    let n = notice(&r, "A", 3);
    assert_eq!(n.principal_paid, dec!(184642.20));
    assert_eq!(n.interest_per_100, dec!(0.1866));
    assert_eq!(n.residual, dec!(0.27));
    assert_eq!(n.face_per_100_after, dec!(0.00));
    // Over the life the notices pay the whole face: 410,809.50 + 304,548.30 + 184,642.20.
    let paid: rust_decimal::Decimal = (1..=3).map(|p| notice(&r, "A", p).principal_paid).sum();
    assert_eq!(paid, dec!(900000.00));
}

/// The record date skips an exchange closure that was a working day (review 24e item 3): the
/// fixture on the CN calendar with a payment on Monday 2024-02-19. One trading day before it
/// is Thursday 2024-02-08: Friday 2024-02-09 (除夕) was a working day under the State Council's
/// notice, but the exchanges closed from the 9th to the 17th (docs/sources.md [HS2024]), and
/// Sunday the 18th was a worked weekend. Before, the record date was 2024-02-09.
#[test]
fn record_dates_skip_exchange_closures() {
    let text = fixture_text()
        .replace(
            "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30]",
            "payment_dates = [2023-12-29, 2024-02-19, 2024-09-30]",
        )
        .replace("cutoff_date = 2024-01-01", "cutoff_date = 2023-10-01")
        .replace("closing_date = 2024-01-01", "closing_date = 2023-10-01")
        .replace("calendar = \"weekends\"", "calendar = \"CN\"");
    let d = deal_from_str("cn.toml", &text)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let r = run(&d);
    let n = notice(&r, "A", 2);
    assert_eq!(n.payment_date.to_string(), "2024-02-19");
    assert_eq!(n.record_date.to_string(), "2024-02-08");
}

/// A tranche repaid on one date and paid interest on a later one has a notice row for that
/// payment (review 26a item H1: before session 26 it had none, and the notices did not add up
/// to the run's tables). The auditing fixture with a fourth date, 2024-12-30 (91 days after
/// 09-30), its schedule split 400,000 / 300,000 / 180,000 / 120,000 of principal (interest
/// 20,000 / 10,000 / 5,000 / 5,000, due 03-15, 06-15, 09-15, 12-15), and A's principal paid
/// before its interest:
///
/// * P1: 420,000 − fee 1,000 = 419,000 → A principal 419,000 (balance 481,000); interest
///   8,190.00 unpaid.
/// * P2: 309,000 → A principal (balance 172,000); interest 481,000 × 0.0091 = 4,377.10 + 8,190
///   = 12,567.10 unpaid.
/// * P3: 184,000 → A principal 172,000 (repaid); 12,000 of its interest 172,000 × 0.0091 =
///   1,565.20 + 12,567.10 = 14,132.30: 2,132.30 unpaid.
/// * P4: 124,000: A's interest 2,132.30 (nothing more accrues on a zero balance). Per 100:
///   2,132.30 / 9,000 = 0.236922… → 0.2369, paid 0.2369 × 9,000 = 2,132.10, residual 0.20.
///   The last date: record date three trading days back from Monday 12-30, Wednesday 12-25.
#[test]
fn a_payment_after_redemption_has_a_notice_row() {
    let src = fixture_text()
        .replace(
            "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30]\nlegal_maturity = 2024-09-30",
            "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30, 2024-12-30]\n\
             legal_maturity = 2024-12-30",
        )
        .replace(
            "{ date = 2024-09-15, principal = 300000, interest = 5000 },",
            "{ date = 2024-09-15, principal = 180000, interest = 5000 },\n  \
             { date = 2024-12-15, principal = 120000, interest = 5000 },",
        )
        .replace(
            "  { action = \"pay_interest\", tranches = [\"A\"] },\n  \
             { action = \"pay_principal\", tranches = [\"A\"], amount = \"available\" },",
            "  { action = \"pay_principal\", tranches = [\"A\"], amount = \"available\" },\n  \
             { action = \"pay_interest\", tranches = [\"A\"] },",
        );
    let deal = deal_from_str("auditing.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    assert_eq!(deal.periods.len(), 4);
    let r = run(&deal);
    let a = |p: u32| {
        r.tranche_flows
            .iter()
            .find(|f| f.tranche == "A" && f.period == p)
            .expect("row")
    };
    assert_eq!(a(3).balance_end, dec!(0));
    assert_eq!(a(3).interest_shortfall, dec!(2132.30));
    assert_eq!(a(4).balance_start, dec!(0));
    assert_eq!(a(4).interest_paid, dec!(2132.30));
    // The notice of P3 states the 2,132.30 of interest due and not paid (应付未付, review 26d
    // item L5); P4's pays it, and leaves none.
    assert_eq!(notice(&r, "A", 3).interest_unpaid, dec!(2132.30));
    assert_eq!(notice(&r, "A", 4).interest_unpaid, dec!(0));
    let n = notice(&r, "A", 4);
    assert_eq!(n.interest_per_100, dec!(0.2369));
    assert_eq!(n.principal_per_100, dec!(0));
    assert_eq!(n.interest_paid, dec!(2132.10));
    assert_eq!(n.residual, dec!(0.20));
    assert_eq!(n.face_per_100_after, dec!(0));
    assert_eq!(n.record_date.to_string(), "2024-12-25");
    // Over A's notices, principal per 100 sums to 100 and interest paid plus residuals to what
    // the waterfall paid: 0 + 0 + 12,000 + 2,132.30 = 14,132.30 of interest.
    let rows: Vec<&NoticeRow> = r.notices.iter().filter(|n| n.tranche == "A").collect();
    assert_eq!(rows.len(), 4);
    let per_100: rust_decimal::Decimal = rows.iter().map(|n| n.principal_per_100).sum();
    assert_eq!(per_100, dec!(100));
    let paid: rust_decimal::Decimal = rows
        .iter()
        .map(|n| n.interest_paid + n.principal_paid + n.residual)
        .sum();
    assert_eq!(paid, dec!(900000) + dec!(14132.30));
}

/// `per_unit` with 9,001 units is refused (review 26a item M5): at four places a figure per
/// 100 of m / 10^4 pays m × 900,100 / 10^6 yuan, not whole fen for every m (20.5248 × 9,001
/// = 184,743.7248), so the notice that redeems A would leave part of a fen of its balance
/// unpaid while stating the tranche redeemed. A balance that is a multiple of 10^4 yuan
/// (900,000, 9,000 units) is accepted, and so is 900,100 with two decimals (a multiple of
/// 10^2 yuan).
#[test]
fn per_unit_needs_balances_that_every_figure_pays_in_whole_fen() {
    let src = fixture_text()
        .replacen("balance = 900000", "balance = 900100", 1)
        .replacen("balance = 100000", "balance = 99900", 1);
    let e = deal_from_str("a.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("tranches[0].balance"), "{e}");
    assert!(e.contains("not a multiple of 10000 yuan"), "{e}");
    assert!(
        deal_from_str(
            "a.toml",
            &format!("{src}\n[notices]\nper_unit = true\ndecimals = 2\n")
        )
        .is_ok()
    );
    // Without per_unit the figures are only reported: 9,001 units are fine.
    assert!(deal_from_str("a.toml", &src).is_ok());
}

/// With `per_unit`, the date that redeems a tranche is its last: its units are cancelled, so
/// no later date can pay the interest 尾差 (review 28b item 2; review 26c item H1 had it carried
/// past the redemption and paid whole on the next date, to a tranche with no units). The
/// per-unit fixture of `per_unit_payments_carry_the_residual_and_conserve_cash` with two more
/// dates, 2024-12-30 and 2025-03-31, whose instalments pay 5,000 of interest only. P3 repays
/// A: its interest 1,680.47 pays 0.1867 per 100 = 1,680.30 and the 0.17 is forgone, off the
/// date's due (1,680.30, paid in full, nothing carried) and back in the collection account.
/// The waterfall had 117,678.13 left after A: B's 100,000 of principal (senior paid off), and
/// with the 0.17 the account holds 17,678.30. P4 owes A nothing and has no notice row for it:
/// 5,000 in, the fee 1,000, B's residual waits for the final period (21,678.30 held). P5: 5,000
/// in, the fee, and B's residual 21,678.30 + 4,000 = 25,678.30.
#[test]
fn per_unit_forgoes_the_residual_of_the_redemption_date() {
    let src = fixture_text()
        .replacen(
            "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30]\nlegal_maturity = 2024-09-30",
            "payment_dates = [2024-04-01, 2024-07-01, 2024-09-30, 2024-12-30, 2025-03-31]\n\
         legal_maturity = 2025-03-31",
            1,
        )
        .replacen(
            "{ date = 2024-09-15, principal = 300000, interest = 5000 },",
            "{ date = 2024-09-15, principal = 300000, interest = 5000 },\n  \
         { date = 2024-12-15, principal = 0, interest = 5000 },\n  \
         { date = 2025-03-15, principal = 0, interest = 5000 },",
            1,
        )
        + "\n[notices]\nper_unit = true\n";
    let deal = deal_from_str("auditing.toml", &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .deal;
    let r = run(&deal);
    let a = |p: u32| {
        r.tranche_flows
            .iter()
            .find(|f| f.tranche == "A" && f.period == p)
            .cloned()
            .expect("row")
    };
    assert_eq!(a(3).interest_due, dec!(1680.30));
    assert_eq!(a(3).interest_paid, dec!(1680.30));
    assert_eq!(a(3).interest_shortfall, dec!(0));
    assert_eq!(a(3).interest_residual, dec!(0));
    assert_eq!(a(3).balance_end, dec!(0));
    let n = notice(&r, "A", 3);
    assert_eq!(n.interest_per_100, dec!(0.1867));
    assert_eq!(n.interest_paid, dec!(1680.30));
    assert_eq!(n.residual, dec!(0.17));
    assert_eq!(n.interest_unpaid, dec!(0));
    assert_eq!(a(4).interest_due, dec!(0));
    assert_eq!(a(4).interest_paid, dec!(0));
    assert!(
        r.notices
            .iter()
            .all(|n| !(n.tranche == "A" && n.period >= 4))
    );
    let period = |p: u32| r.periods.iter().find(|x| x.period == p).expect("p");
    assert_eq!(period(3).collection_balance_end, dec!(17678.30));
    assert_eq!(period(4).collection_balance_end, dec!(21678.30));
    let b5 = r
        .tranche_flows
        .iter()
        .find(|f| f.tranche == "B" && f.period == 5)
        .expect("B");
    assert_eq!(b5.residual_paid, dec!(25678.30));
    let s = r.summary.iter().find(|s| s.tranche == "A").expect("A");
    assert_eq!(s.interest_shortfall, dec!(0));
    // What A's notices pay is what the ledger paid A: 900,000 of principal and the interest
    // the figures state (no payment beyond them on any date).
    let notes: rust_decimal::Decimal = r
        .notices
        .iter()
        .filter(|n| n.tranche == "A")
        .map(|n| n.interest_paid + n.principal_paid)
        .sum();
    assert_eq!(notes, s.total_interest + s.total_principal);
}

/// With `per_unit`, the 尾差 carried by design is no interest shortfall (review 27b item H1):
/// before session 27 it tripped gdd's non-curable `eod_senior_interest` in the base case
/// (A's 58.56 of period 1), switched periods 2–6 to `accelerated` and cut B's periodic return
/// from 2,887,890.41 to 478,672.00, and every break-even search said A "fails with no
/// defaults". Now the per-unit run keeps `normal` on every date and pays B the same periodic
/// return as the run without `per_unit` but for its last date's forgone 尾差 (the 尾差 are fen
/// carried from date to date, never short of what B's return needs), and A's break-even is the
/// same bound.
#[test]
fn per_unit_residuals_trip_no_trigger_and_fail_no_search() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals/gdd_patent_licence_2019.toml");
    let src = std::fs::read_to_string(path).expect("gdd");
    let plain = deal_from_str("gdd.toml", &src).expect("loads").deal;
    let per_unit = deal_from_str("gdd.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        .expect("loads")
        .deal;
    assert!(per_unit.notices.per_unit);
    let base = ipabs::scenario::Scenario::base();
    let (rp, ru) = (
        ipabs::engine::run(&plain, &base).expect("runs"),
        ipabs::engine::run(&per_unit, &base).expect("runs"),
    );
    // A's first date does carry a 尾差, as interest due and not paid by the figures.
    let a1 = ru
        .tranche_flows
        .iter()
        .find(|f| f.tranche == "A" && f.period == 1)
        .expect("A's row");
    assert!(a1.interest_residual > dec!(0), "{a1:?}");
    assert_eq!(a1.interest_shortfall, a1.interest_residual);
    for p in &ru.periods {
        assert_eq!(&*p.waterfall, "normal", "period {}", p.period);
        assert_eq!(&*p.triggers_tripped, "", "period {}", p.period);
    }
    let paid_b = |r: &RunResult| -> rust_decimal::Decimal {
        r.tranche_flows
            .iter()
            .filter(|f| f.tranche == "B")
            .map(|f| f.interest_paid)
            .sum()
    };
    // B is paid the same periodic return as without `per_unit` but for the 尾差 of its last
    // date, which is forgone (since session 28; it stays for B's own residual): its interest
    // on 2022-09-13 with the 尾差 carried to it, 489,218.41, is 489,218.41 × 100 / 16,000,000 =
    // 3.05761506… → 3.0576 per 100, × 160,000 units = 489,216.00, and 2.41 forgone.
    let b6 = ru
        .notices
        .iter()
        .find(|n| n.tranche == "B" && n.period == 6)
        .expect("B's last notice");
    assert_eq!(b6.interest_per_100, dec!(3.0576));
    assert_eq!(b6.interest_paid, dec!(489216.00));
    assert_eq!(b6.residual, dec!(2.41));
    assert_eq!(paid_b(&ru) + dec!(2.41), paid_b(&rp));
    // Nothing is owed after the last date: its 尾差 is forgone (since session 28).
    let last = ru
        .tranche_flows
        .iter()
        .rev()
        .find(|f| f.tranche == "A")
        .expect("A");
    assert_eq!(last.interest_shortfall, dec!(0));
    let rating = ipabs::scenario::RatingTable::default();
    let a = |d: &Deal| {
        ipabs::analytics::breakeven::breakeven_one(d, &base, 0, &rating).expect("searches")
    };
    let (bp, bu) = (a(&plain), a(&per_unit));
    assert!(!bu.fails_at_zero && bu.passes_at_one, "{bu:?}");
    assert_eq!(bu.breakeven_default_rate, bp.breakeven_default_rate);
}

/// A date after the deal's clean-up call has no notice (review 27b item L5): the wenke
/// accounts example is called on period 11 (2021-10-26) in its base case, so `--period 12`
/// is refused with the date the deal ended, instead of a projected notice with no tranche.
#[test]
fn no_notice_after_the_clean_up_call() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .current_dir(&root)
        .args([
            "notice",
            "deals/wenke_leasing_1_accounts_2018.toml",
            "--period",
            "12",
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ends on period 11 (2021-10-26), its clean-up call date"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

/// The call date is every tranche's final payment, repaid or not (review 41d L1): under a
/// named default of Lessee-01 (a 25% recovery after 6 months) the wenke accounts example is
/// still called on period 11, Tuesday 2021-10-26, and the call leaves B, the subordinated
/// tranche, part unpaid (face left after the date). Its record date is three trading days
/// before, Thursday 2021-10-21 (Monday 10-25, Friday 10-22, Thursday 10-21; no closure falls
/// there), as A's; it was one, 10-25, as on a date that is not final. (Until session 48 the
/// test ran two defaults, under which the call was exercised with the 差额支付 paying A's
/// principal; the call's trial now draws no support, review 48b F1, and that run is not called.)
#[test]
fn a_call_date_is_the_final_payment_of_a_tranche_it_leaves_unpaid() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals/wenke_leasing_1_accounts_2018.toml");
    let src = std::fs::read_to_string(path).expect("wenke accounts");
    let d = deal_from_str("wk.toml", &src).expect("loads").deal;
    let set = ipabs::validate::scenario_set_from_str(
        "s.toml",
        "[[scenarios]]\nname = \"one default\"\ndefaults = [ { obligor = \"Lessee-01 \
         (illustrative)\", date = 2019-05-01 } ]\nrecovery_rate = 0.25\nrecovery_lag_months = \
         6\n",
        &d,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = ipabs::engine::run(&d, &set.scenarios[0]).unwrap_or_else(|e| panic!("{e}"));
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        r.periods.last().map(|p| (p.period, p.payment_date)),
        Some((11, date(2021, 10, 26)))
    );
    for t in ["A", "B"] {
        assert_eq!(notice(&r, t, 11).record_date, date(2021, 10, 21), "{t}");
    }
    let b = notice(&r, "B", 11);
    assert!(b.face_per_100_after > dec!(0), "{b:?}");
    assert!(
        r.tranche_flows
            .iter()
            .any(|f| f.period == 11 && f.tranche == "B" && f.balance_end > dec!(0))
    );
}

/// With named accounts, the 尾差 goes back to the account its payment came from (review 27c
/// item 1): the wenke accounts example pays A from its income and principal accounts, and
/// before, every residual went to the plain collection account, which no step of the deal
/// draws from: 6,313.28 stood there from period 10 to the call date, told as `cash_left`.
/// Now the collection account ends every date empty, nothing is left, and the run conserves
/// (checked by the engine).
#[test]
fn per_unit_residuals_go_back_to_the_account_that_paid() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals/wenke_leasing_1_accounts_2018.toml");
    let src = std::fs::read_to_string(path).expect("wenke accounts");
    let d = deal_from_str("wk.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        .expect("loads")
        .deal;
    assert!(d.notices.per_unit && d.accounts.split());
    let r = run(&d);
    let back: Vec<_> = r
        .ledger
        .iter()
        .filter(|e| e.action == Movement::PerUnitInterestResidual)
        .collect();
    assert!(!back.is_empty());
    for e in &back {
        assert!(
            r.accounts.name(e.destination).starts_with("account:"),
            "{}",
            r.accounts.name(e.destination)
        );
    }
    for p in &r.periods {
        assert_eq!(p.collection_balance_end, dec!(0), "period {}", p.period);
    }
    assert!(
        r.warnings.iter().all(|w| w.check.name() != "cash_left"),
        "{:?}",
        r.warnings
    );
}

/// A restated per-unit payment keeps the 尾差 of its due (review 33b item H1; review 27c item
/// 4 had taken it off). The auditing fixture with `per_unit`, reconciled with actuals that
/// report A's period-2 interest as 4,000.00: A's balance after period 1 is 900,000 − 410,810
/// (reported) = 489,190.00, its interest due 489,190.00 × 0.0091 = 4,451.629 → 4,451.63. The
/// figure of that due is 4,451.63 × 100 / 900,000 = 0.49462… → 0.4946, which pays 4,451.40:
/// the 0.23 no figure could pay is carried by design, whoever paid. So 4,451.63 − 4,000.00 =
/// 451.63 is carried, of which 0.23 is the 尾差 and 451.40 is not paid as agreed.
#[test]
fn a_restated_per_unit_payment_keeps_the_residual_of_its_due() {
    let rec =
        reconcile_per_unit("tranches.A = { interest = \"4000.00\", principal = \"304548.30\" }");
    let a2 = a_row(&rec, 2);
    assert_eq!(
        (a2.interest_due, a2.interest_paid, a2.interest_residual),
        (dec!(4451.63), dec!(4000.00), dec!(0.23))
    );
    assert_eq!(a2.interest_unpaid(), dec!(451.40));
    let p2 = rec
        .in_life
        .iter()
        .find(|r| r.period == 2)
        .expect("period 2");
    assert_eq!(p2.senior_interest_shortfall, dec!(451.40));
}

/// A report that pays a fen more or less than the figure pays (review 33b item H1). The same
/// reconciliation, A's period-2 interest due 4,451.63, whose figure 0.4946 pays 4,451.40 and
/// carries 0.23 by design. Reported 4,451.41 (a fen over the figure): 0.22 is carried, all of it
/// 尾差 (min(0.23, 0.22)), nothing not paid as agreed, no CSRC Art. 39 flag and no tripped
/// trigger; before, the carry was all "not paid": 0.22 flagged. Reported 4,451.39 (a fen
/// under): 0.24 carried, 0.23 of it 尾差, 0.01 not paid as agreed, flagged as 0.01 (before:
/// 0.24). The restated notices state the reported amounts' figures: 4,451.41 × 100 / 900,000
/// = 0.494601… → 0.4946, paying 4,451.40; 4,451.39 × 100 / 900,000 = 0.494598… → 0.4945,
/// paying 4,450.50; neither is an amount a figure pays, and the reconciliation line says so.
#[test]
fn a_report_a_fen_off_the_figure_is_a_fen_off() {
    for (reported, residual, unpaid, paid) in [
        ("4451.41", dec!(0.22), dec!(0), dec!(4451.40)),
        ("4451.39", dec!(0.23), dec!(0.01), dec!(4450.50)),
    ] {
        let rec = reconcile_per_unit(&format!("tranches.A = {{ interest = \"{reported}\" }}"));
        let a2 = a_row(&rec, 2);
        assert_eq!(
            (a2.interest_residual, a2.interest_unpaid()),
            (residual, unpaid)
        );
        let p2 = rec
            .in_life
            .iter()
            .find(|r| r.period == 2)
            .expect("period 2");
        assert_eq!(p2.senior_interest_shortfall, unpaid, "{reported}");
        assert_eq!(p2.distribution_flag, unpaid > dec!(0), "{reported}");
        // The notice: paid + residual + not paid = the due; its residual is the reported
        // amount less what its figure pays, plus the 尾差 carried.
        let n = notice(&rec.run, "A", 2);
        assert_eq!(n.interest_paid, paid);
        // No figure pays the reported amount: the line says so (review 33b item L1).
        let line = rec
            .lines
            .iter()
            .find(|l| l.period == 2 && l.line == "interest" && l.item == "A")
            .expect("the line");
        assert_eq!(
            line.notes,
            [ipabs::analytics::reconcile::ReconNote::NotAFigure {
                per_100: n.interest_per_100,
                pays: paid
            }]
        );
        assert_eq!(
            n.interest_paid + n.interest_residual + n.interest_unpaid,
            dec!(4451.63)
        );
        assert_eq!(n.interest_unpaid, unpaid);
    }
}

/// A restated notice keeps the interest 尾差 of a payment that was not restated (review 27d
/// item 4). The auditing fixture with `per_unit`, reconciled with actuals that report only
/// A's principal in period 2, 304,500.00: A's interest stays the waterfall's, 4,451.63 due
/// (489,190.00 × 0.0091 = 4,451.629), of which the figure 0.4946 per 100 pays 4,451.40 and the
/// 0.23 is the carried 尾差. The principal per 100 is 304,500.00 × 100 / 900,000 = 33.8333…
/// → 33.8333, which pays 304,499.70, a 尾差 of 0.30. The notice states 4,451.40 + 304,499.70
/// paid and 0.23 + 0.30 = 0.53 of residual, nothing unpaid: paid + residual = 4,451.63 +
/// 304,500.00, the tranche-level amounts. Before, its residual held the 0.30 only.
#[test]
fn a_restated_notice_keeps_the_interest_residual() {
    let rec = reconcile_per_unit("tranches.A = { principal = \"304500.00\" }");
    let n = notice(&rec.run, "A", 2);
    assert_eq!(
        (
            n.interest_paid,
            n.principal_paid,
            n.residual,
            n.interest_unpaid
        ),
        (dec!(4451.40), dec!(304499.70), dec!(0.53), dec!(0))
    );
}

/// A restated notice keeps the principal 尾差 of a payment that was not restated (review 28b
/// item 3, the twin of review 27d item 4). The same reconciliation with only A's period-2
/// interest reported, 4,000.00 (of the 4,451.63 due, whose figure pays 4,451.40 and carries
/// 0.23 by design): A's balance after period 1 is 900,000 − 410,810 = 489,190.00
/// (reported); the waterfall's principal is 310,000 − 1,000 − 4,451.63 = 304,548.37, whose
/// figure 304,548.37 × 100 / 900,000 = 33.8387077… → 33.8387 pays 304,548.30 and keeps 0.07 in
/// A's balance (489,190.00 − 304,548.30 = 184,641.70). The restated interest's figure is
/// 4,000 × 100 / 900,000 = 0.4444… → 0.4444, which pays 3,999.60, a 尾差 of 0.40. The notice
/// states 3,999.60 + 304,548.30 paid and 0.40 + 0.23 + 0.07 = 0.70 of residual (the due's
/// 尾差 carried, since session 33): paid + residual = 4,000.00 + 0.23 + 304,548.37, and
/// 4,451.63 − 4,000.00 − 0.23 = 451.40 is not paid. Before session 28 its residual was 0.40.
#[test]
fn a_restated_notice_keeps_the_principal_residual() {
    let rec = reconcile_per_unit("tranches.A = { interest = \"4000.00\" }");
    let n = notice(&rec.run, "A", 2);
    assert_eq!(
        (n.interest_per_100, n.principal_per_100),
        (dec!(0.4444), dec!(33.8387))
    );
    assert_eq!(
        (
            n.interest_paid,
            n.principal_paid,
            n.residual,
            n.interest_unpaid
        ),
        (dec!(3999.60), dec!(304548.30), dec!(0.70), dec!(451.40))
    );
    let a2 = a_row(&rec, 2);
    assert_eq!(a2.balance_end, dec!(184641.70));
}

/// The auditing fixture with `per_unit`, reconciled with actuals of its first two dates as the
/// fixture's own report states them, A's period-2 line being `a2`.
fn reconcile_per_unit(a2: &str) -> ipabs::analytics::reconcile::Reconciliation {
    reconcile_per_unit_with(&format!(
        "pool = {{ principal = 300000, interest = 10000 }}\nfees = {{ trustee = 1000 }}\n\
         {a2}\n\
         tranches.B = {{ interest = 0, principal = 0 }}\naccounts = {{ collection = 0 }}\n"
    ))
}

/// The auditing fixture with `per_unit`, reconciled with its first date as the fixture's own
/// report states it and a second date whose lines are `period_two`.
fn reconcile_per_unit_with(period_two: &str) -> ipabs::analytics::reconcile::Reconciliation {
    let d = fixture("\n[notices]\nper_unit = true\n");
    let actuals = format!(
        "[actuals]\ndeal = \"auditing fixture\"\n\n\
         [[periods]]\nperiod = 1\npayment_date = 2024-04-01\n\
         pool = {{ principal = 400000, interest = 20000 }}\nfees = {{ trustee = 1000 }}\n\
         tranches.A = {{ interest = 8190, principal = 410810 }}\n\
         tranches.B = {{ interest = 0, principal = 0 }}\naccounts = {{ collection = 0 }}\n\n\
         [[periods]]\nperiod = 2\npayment_date = 2024-07-01\n{period_two}"
    );
    let a = ipabs::validate::actuals_from_str("a.toml", &actuals, &d).expect("actuals");
    ipabs::analytics::reconcile::reconcile(&d, &d.scenario, &a).expect("reconciles")
}

/// With `per_unit`, what the notices pay is what the waterfall paid, on every date of every
/// example deal, the last date and the dates that redeem a tranche included (review 28b items
/// 1 and 2: those paid more than any figure per 100 states), in the base case and under the
/// default curves of 20% and 60% with recoveries: for each tranche and date, the figure ×
/// units of interest and principal equals the tranche row's interest and principal paid, and
/// the figures of interest are the row's interest paid × 100 / face cut to 4 places.
#[test]
fn per_unit_notices_pay_what_the_waterfall_paid() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut deals = 0;
    for entry in std::fs::read_dir(root.join("deals")).expect("deals/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") || path.ends_with("cohort.toml") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("deal");
        let Ok(loaded) = deal_from_str("d.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        else {
            continue;
        };
        deals += 1;
        let d = loaded.deal;
        for rate in [dec!(0), dec!(0.2), dec!(0.6)] {
            let s = ipabs::scenario::Scenario {
                default_rate: rate,
                recovery_rate: dec!(0.3),
                ..d.scenario.clone()
            };
            let r = ipabs::engine::run(&d, &s).expect("runs");
            for n in &r.notices {
                let f = r
                    .tranche_flows
                    .iter()
                    .find(|f| f.tranche == n.tranche && f.period == n.period)
                    .expect("row");
                let name = format!("{} {} period {} at {rate}", d.name, n.tranche, n.period);
                assert_eq!(n.interest_paid, f.interest_paid, "{name}");
                assert_eq!(n.principal_paid, f.principal_paid, "{name}");
                let face = d
                    .tranches
                    .iter()
                    .find(|t| t.name == n.tranche.as_str())
                    .expect("tranche")
                    .balance;
                let exact = f.interest_paid * dec!(100) / face;
                assert_eq!(n.interest_per_100, exact.trunc_with_scale(4), "{name}");
            }
        }
    }
    assert!(deals >= 8, "{deals} deals took per_unit");
}

/// tests/bad_deals/valid/base.toml with `per_unit`, each (from, to) replaced once.
fn base_per_unit(edits: &[(&str, &str)]) -> Deal {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_deals/valid/base.toml");
    let mut src = std::fs::read_to_string(path).expect("base.toml");
    for (from, to) in edits {
        assert!(src.contains(from), "base.toml lacks {from:?}");
        src = src.replacen(from, to, 1);
    }
    deal_from_str("base.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        .unwrap_or_else(|e| panic!("{e}"))
        .deal
}

fn flow<'a>(r: &'a RunResult, t: &str, p: u32) -> &'a ipabs::engine::result::TrancheFlowRow {
    r.tranche_flows
        .iter()
        .find(|f| f.tranche == t && f.period == p)
        .expect("row")
}

/// On the last date a tranche is paid by its figures at each step, and a 尾差 is forgone only
/// when it is paid in full (review 28c item 1: a partial payment's 尾差 was stranded in the
/// collection account after the deal, and a tranche paid nothing had 0.09 forgone). The bad-deal
/// base with `per_unit`, both obligors defaulting on 2024-05-01 without recovery. A (12,000
/// units) and M (3,000) carry their 尾差 by hand:
///
/// * P1: A 1,200,000 × 0.04 × 91/365 = 11,967.12 → 0.9972 per 100 → 11,966.40, 0.72 carried;
///   M 300,000 × 0.05 × 91/365 = 3,739.73 → 1.2465 → 3,739.50, 0.23 carried.
/// * P2: A 11,967.12 + 0.72 = 11,967.84 → 0.9973 → 11,967.60, 0.24 carried; M 3,739.73 +
///   0.23 = 3,739.96 → 1.2466 → 3,739.80, 0.16 carried. A is paid 763,744.80 of principal.
/// * P3, the last date (no pool cash): A owes 436,255.20 × 0.04 × 91/365 = 4,350.5998… →
///   4,350.60 + 0.24 = 4,350.84, whose figure 0.3625 pays 4,350.00: its due is cut to that, the
///   reserve pays it in full, and the 0.84 is forgone. M owes 3,739.73 + 0.16 = 3,739.89 and
///   the reserve does not cover it: nothing is paid, so nothing is forgone and M is owed the
///   whole 3,739.89. Nothing is left in the collection account.
#[test]
fn per_unit_forgoes_the_last_residual_only_of_a_tranche_paid_in_full() {
    let d = base_per_unit(&[(
        "defaults = [ { obligor = \"O2\", date = 2024-05-01 } ]\nrecovery_rate = 0.6",
        "defaults = [ { obligor = \"O2\", date = 2024-05-01 }, \
             { obligor = \"O1\", date = 2024-05-01 } ]\nrecovery_rate = 0",
    )]);
    let r = ipabs::engine::run(&d, &d.scenario).expect("runs");
    assert_eq!(flow(&r, "A", 1).interest_shortfall, dec!(0.72));
    assert_eq!(flow(&r, "M", 1).interest_shortfall, dec!(0.23));
    assert_eq!(flow(&r, "A", 2).interest_shortfall, dec!(0.24));
    assert_eq!(flow(&r, "M", 2).interest_shortfall, dec!(0.16));
    assert_eq!(flow(&r, "A", 2).balance_end, dec!(436255.20));
    let (a3, m3) = (flow(&r, "A", 3), flow(&r, "M", 3));
    assert_eq!(
        (a3.interest_due, a3.interest_paid, a3.interest_shortfall),
        (dec!(4350.00), dec!(4350.00), dec!(0))
    );
    assert_eq!(notice(&r, "A", 3).interest_per_100, dec!(0.3625));
    assert_eq!(notice(&r, "A", 3).residual, dec!(0.84));
    assert_eq!(
        (m3.interest_due, m3.interest_paid, m3.interest_shortfall),
        (dec!(3739.89), dec!(0), dec!(3739.89))
    );
    assert_eq!(notice(&r, "M", 3).interest_unpaid, dec!(3739.89));
    assert_eq!(notice(&r, "M", 3).residual, dec!(0));
    assert_eq!(r.periods[2].collection_balance_end, dec!(0));
    let m = r.summary.iter().find(|s| s.tranche == "M").expect("M");
    assert_eq!(m.interest_shortfall, dec!(3739.89));
}

/// A partial principal payment on the last date is paid by its figure, and what the figure
/// does not pay goes on down the waterfall (review 28c item 1: 9.98 stayed in the collection
/// account with a `cash_left` warning). gdd with `per_unit` and SME-07 defaulting on
/// 2019-09-01 without recovery: the last date leaves B 1,673,257.98 of principal, whose
/// figure 1,673,257.98 × 100 / 16,000,000 = 10.457862… → 10.4578 per 100 pays 10.4578 ×
/// 160,000 = 1,673,248.00; the other 9.98 goes to B's residual, the next step, and B owes
/// 16,000,000 − 1,673,248.00 = 14,326,752.00.
#[test]
fn per_unit_pays_a_partial_last_principal_by_its_figure() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals/gdd_patent_licence_2019.toml");
    let src = std::fs::read_to_string(path).expect("gdd");
    let d = deal_from_str("gdd.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        .expect("loads")
        .deal;
    let s = ipabs::scenario::Scenario {
        obligor_defaults: vec![(
            d.obligors
                .iter()
                .position(|o| o.name == "SME-07 (illustrative)")
                .expect("SME-07"),
            chrono::NaiveDate::from_ymd_opt(2019, 9, 1).expect("date"),
        )],
        recovery_rate: dec!(0),
        ..ipabs::scenario::Scenario::base()
    };
    let r = ipabs::engine::run(&d, &s).expect("runs");
    let b6 = flow(&r, "B", 6);
    assert_eq!(notice(&r, "B", 6).principal_per_100, dec!(10.4578));
    assert_eq!(b6.principal_paid, dec!(1673248.00));
    assert_eq!(
        b6.principal_paid + b6.residual_paid - dec!(1673248.00),
        dec!(9.98)
    );
    assert_eq!(b6.balance_end, dec!(14326752.00));
    assert_eq!(r.periods[5].collection_balance_end, dec!(0));
    assert!(
        r.warnings.iter().all(|w| w.check.name() != "cash_left"),
        "{:?}",
        r.warnings
    );
}

/// The edits of the bad-deal base behind the redeemed-tranche tests: A at 1,260,000 due to be
/// repaid on 2024-07-01 and paid its principal before its interest, B at 140,000, no named
/// default, the undertaking off.
fn redeemed_edits() -> Vec<(&'static str, &'static str)> {
    vec![
        ("balance = 1200000", "balance = 1260000"),
        (
            "target_balances = [ { date = 2024-07-01, balance = 600000 }, { date = 2024-09-30, balance = 0 } ]",
            "target_balances = [ { date = 2024-07-01, balance = 0 } ]",
        ),
        ("balance = 200000", "balance = 140000"),
        (
            "  { action = \"pay_interest\", tranches = [\"A\"] },\n",
            "  { action = \"pay_principal\", tranches = [\"A\"] },\n  { action = \"pay_interest\", tranches = [\"A\"] },\n",
        ),
        (
            "  { action = \"pay_principal\", tranches = [\"A\", \"M\"] },\n  { action = \"pay_sub_return\"",
            "  { action = \"pay_principal\", tranches = [\"M\"] },\n  { action = \"pay_sub_return\"",
        ),
        (
            "name = \"o2-defaults\"\ndefaults = [ { obligor = \"O2\", date = 2024-05-01 } ]",
            "name = \"none\"",
        ),
    ]
}

/// A tranche redeemed while interest is still owed carries its 尾差 with it (review 28c item
/// 2), and its arrears are paid by their figure, so that its notice states what the ledger
/// paid (item 3). The bad-deal base with `per_unit`: A at 1,260,000 (12,600 units), due to
/// be repaid on 2024-07-01 and paid its principal before its interest, B at 140,000, no named
/// default, the undertaking off.
///
/// * P1: A's interest 1,260,000 × 0.04 × 91/365 = 12,565.479… → 12,565.48, figure 0.9972,
///   paid 12,564.72, 0.76 carried.
/// * P2: due 12,565.48 + 0.76 = 12,566.24. The waterfall repays A and has `x` for its
///   interest (the ledger's two `pay_interest` moves, cash and reserve); its figure is
///   trunc(x × 100 / 1,260,000, 4) and pays that × 12,600; the 尾差 is carried, since A is
///   short: A owes 12,566.24 − paid.
/// * P3: A, redeemed, is paid its arrears by their figure: trunc(owed × 100 / 1,260,000, 4)
///   × 12,600, and the rest of them is forgone; the ledger pays A exactly that.
#[test]
fn per_unit_carries_a_short_redeemed_residual_and_pays_arrears_by_figure() {
    let d = base_per_unit(&redeemed_edits());
    let r = ipabs::engine::run(&d, &d.scenario).expect("runs");
    let figure = |x: rust_decimal::Decimal| {
        (x * dec!(100) / dec!(1260000)).trunc_with_scale(4) * dec!(12600)
    };
    assert_eq!(flow(&r, "A", 1).interest_paid, dec!(12564.72));
    assert_eq!(flow(&r, "A", 1).interest_shortfall, dec!(0.76));
    let a2 = flow(&r, "A", 2);
    assert_eq!(a2.interest_due, dec!(12566.24));
    assert_eq!(a2.balance_end, dec!(0));
    let x: rust_decimal::Decimal = r
        .ledger
        .iter()
        .filter(|e| e.period == 2 && e.action == Movement::PayInterest && e.item.as_str() == "A")
        .map(|e| e.amount)
        .sum();
    assert!(x < dec!(12566.24), "A is short on P2: {x}");
    assert_eq!(a2.interest_paid, figure(x));
    // With the waterfall's x = 6,788.86 of cash + the reserve's 5,000.00 = 11,788.86 (review
    // 28d's figures): 11,788.86 × 100 / 1,260,000 = 0.935623… → 0.9356 × 12,600 = 11,788.56
    // paid, 12,566.24 − 11,788.56 = 777.68 owed; P3: 777.68 × 100 / 1,260,000 = 0.061720… →
    // 0.0617 × 12,600 = 777.42 paid, 0.26 forgone.
    assert_eq!(x, dec!(11788.86));
    assert_eq!(
        (a2.interest_paid, a2.interest_shortfall),
        (dec!(11788.56), dec!(777.68))
    );
    assert_eq!(flow(&r, "A", 3).interest_paid, dec!(777.42));
    assert_eq!(notice(&r, "A", 3).residual, dec!(0.26));
    assert_eq!(a2.interest_shortfall, dec!(12566.24) - figure(x));
    let owed = a2.interest_shortfall;
    let a3 = flow(&r, "A", 3);
    assert_eq!(a3.interest_paid, figure(owed));
    assert_eq!(a3.interest_shortfall, dec!(0));
    let n3 = notice(&r, "A", 3);
    assert_eq!(n3.interest_paid, a3.interest_paid);
    assert_eq!(n3.residual, owed - figure(owed));
    let paid3: rust_decimal::Decimal = r
        .ledger
        .iter()
        .filter(|e| e.period == 3 && e.action == Movement::PayInterest && e.item.as_str() == "A")
        .map(|e| e.amount)
        .sum();
    assert_eq!(paid3, n3.interest_paid);
}

/// On the last date, what no figure per 100 of a short senior can pay stays in the account
/// when the later steps wait for the senior (review 28d item 1): less than one unit of its
/// figure per unit (0.0001 × 2,850,000 units = 285.00 for gdd's A), told by `cash_left` and
/// by `cash_held`, which says no later date takes it. gdd with `per_unit`, SME-07 and SME-10
/// defaulting on 2019-09-01 without recovery and the undertaking off: A's last principal is
/// the figure of all the cash that reaches it, trunc((paid + left) × 100 / 285,000,000, 4) ×
/// 2,850,000, and `left` stays.
#[test]
fn per_unit_leaves_what_no_figure_pays_on_a_short_last_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deals/gdd_patent_licence_2019.toml");
    let src = std::fs::read_to_string(path).expect("gdd");
    let d = deal_from_str("gdd.toml", &format!("{src}\n[notices]\nper_unit = true\n"))
        .expect("loads")
        .deal;
    let ix = |n: &str| d.obligors.iter().position(|o| o.name == n).expect(n);
    let date = chrono::NaiveDate::from_ymd_opt(2019, 9, 1).expect("date");
    let s = ipabs::scenario::Scenario {
        obligor_defaults: vec![
            (ix("SME-07 (illustrative)"), date),
            (ix("SME-10 (illustrative)"), date),
        ],
        recovery_rate: dec!(0),
        supports_off: vec![0],
        ..ipabs::scenario::Scenario::base()
    };
    let r = ipabs::engine::run(&d, &s).expect("runs");
    let a6 = flow(&r, "A", 6);
    assert!(a6.balance_end > dec!(0), "A is short on the last date");
    let left = r.periods[5].collection_balance_end;
    assert!(left > dec!(0) && left < dec!(285.00), "{left}");
    let figure = ((a6.principal_paid + left) * dec!(100) / dec!(285000000)).trunc_with_scale(4);
    assert_eq!(a6.principal_paid, figure * dec!(2850000));
    assert_eq!(notice(&r, "A", 6).principal_per_100, figure);
    let told = |check: &str, text: &str| {
        r.warnings
            .iter()
            .any(|w| w.check.name() == check && w.message.contains(text))
    };
    assert!(
        told("cash_left", "left in the collection account"),
        "{:?}",
        r.warnings
    );
    assert!(
        told("cash_held", "it is the deal's last date"),
        "{:?}",
        r.warnings
    );
}

/// A redeemed tranche paid nothing on a date is owed its whole arrears: the 尾差 cut before
/// the waterfall is not forgone (review 28d item 2). The redeemed-tranche deal of
/// `per_unit_carries_a_short_redeemed_residual_and_pays_arrears_by_figure` with a fee of
/// 100,000 from 2024-07-02 paid first (in the accelerated waterfall too, which the defaults
/// select) and both obligors defaulting on 2024-07-02: P3 has no cash for A, which owes on P3
/// exactly what P2 left it owing.
#[test]
fn per_unit_owes_a_redeemed_tranche_paid_nothing_its_whole_arrears() {
    let mut edits = redeemed_edits();
    edits.push((
        "[[fees]]\nname = \"trustee\"",
        "[[fees]]\nname = \"big\"\nkind = \"fixed\"\namount = 100000\nstart = 2024-07-02\n\n[[fees]]\nname = \"trustee\"",
    ));
    edits.push((
        "  { action = \"pay_fee\", fees = [\"manager\", \"trustee\"] },",
        "  { action = \"pay_fee\", fees = [\"big\", \"manager\", \"trustee\"] },",
    ));
    edits.push((
        "accelerated = [\n",
        "accelerated = [\n  { action = \"pay_fee\", fees = [\"big\"] },\n",
    ));
    edits.push((
        "name = \"none\"",
        "name = \"p3zero\"\ndefaults = [ { obligor = \"O1\", date = 2024-07-02 }, { obligor = \"O2\", date = 2024-07-02 } ]",
    ));
    let d = base_per_unit(&edits);
    let r = ipabs::engine::run(&d, &d.scenario).expect("runs");
    let owed = flow(&r, "A", 2).interest_shortfall;
    assert!(owed > dec!(0) && flow(&r, "A", 2).balance_end.is_zero());
    let a3 = flow(&r, "A", 3);
    assert_eq!(
        (a3.interest_due, a3.interest_paid, a3.interest_shortfall),
        (owed, dec!(0), owed)
    );
}

/// A support capped below what a tranche paid by its figures is owed is drawn only for what
/// the figure can pay (review 28d item 3: the capped draw's fen that no figure paid went on to
/// the subordinated tranche). The bad-deal base with `per_unit`, both obligors defaulting on
/// 2024-05-01 without recovery, the reserve covering taxes and fees only and the undertaking
/// covering senior interest up to 1,000.55 over the deal. On the last date (no pool cash) the
/// account brings `c` forward; A's figure of c + 1,000.55 is trunc((c + 1,000.55) × 100 /
/// 1,200,000, 4) per 100, which × 12,000 units is what A is paid; the support gives that less
/// `c`, and nothing reaches B. The reserve stays out of it: `accelerated` without its
/// `release_reserve` step keeps the reserve's 5,000 to the end.
#[test]
fn per_unit_draws_a_capped_support_only_for_what_the_figure_pays() {
    let d = base_per_unit(&[
        ("  { action = \"release_reserve\" },\n", ""),
        (
            "covers = [\"taxes\", \"fees\", \"senior_interest\"]",
            "covers = [\"taxes\", \"fees\"]",
        ),
        (
            "covers = [\"senior_interest\", \"senior_principal\"]",
            "covers = [\"senior_interest\"]\ncap_total = 1000.55",
        ),
        (
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 } ]\nrecovery_rate = 0.6",
            "defaults = [ { obligor = \"O2\", date = 2024-05-01 }, \
             { obligor = \"O1\", date = 2024-05-01 } ]\nrecovery_rate = 0",
        ),
        ("supports_off = [\"undertaking\"]\n", ""),
    ]);
    let r = ipabs::engine::run(&d, &d.scenario).expect("runs");
    assert!(r.periods[2].pool_cash.is_zero());
    let c = r.periods[1].collection_balance_end;
    let figure = ((c + dec!(1000.55)) * dec!(100) / dec!(1200000)).trunc_with_scale(4);
    let a3 = flow(&r, "A", 3);
    assert_eq!(a3.interest_paid, figure * dec!(12000));
    assert_eq!(r.periods[2].support_draws, a3.interest_paid - c);
    assert!(r.periods[2].support_draws < dec!(1000.55));
    assert_eq!(flow(&r, "B", 3).residual_paid, dec!(0));
    assert_eq!(r.periods[2].collection_balance_end, dec!(0));
}

/// The 尾差 kept is the due's, whatever the waterfall paid (review 33g item M3). The auditing
/// fixture with `per_unit`, its second date's pool collecting only 3,000 of interest and no
/// principal, so the waterfall pays A less than its 4,451.63 due; the report pays 4,451.39. The
/// due's figure 0.4946 pays 4,451.40 and carries 0.23 by design; 4,451.63 − 4,451.39 = 0.24 is
/// carried, 0.23 of it 尾差 and 0.01 not paid as agreed, as when the waterfall paid in full
/// (`a_report_a_fen_off_the_figure_is_a_fen_off`). Before, the 尾差 was the short payment's.
#[test]
fn the_residual_kept_is_the_dues_when_the_waterfall_is_short() {
    let rec = reconcile_short_pool("4451.39");
    let a2 = a_row(&rec, 2);
    assert_eq!(
        (
            a2.interest_due,
            a2.interest_paid,
            a2.interest_residual,
            a2.interest_unpaid()
        ),
        (dec!(4451.63), dec!(4451.39), dec!(0.23), dec!(0.01))
    );
}

/// A report equal to a short waterfall's payment and one a fen more are told alike (review 33h
/// item M3: the first kept the waterfall's 尾差 and the second the due's, so a fen more paid
/// left more unpaid). The second date's pool collects 3,000 of interest; the trustee's 1,000
/// leaves A 2,000.00, whose figure 2,000 × 100 / 900,000 = 0.2222… → 0.2222 pays 1,999.80.
/// A's due is 4,451.63, whose figure pays 4,451.40: 0.23 by design. Reported 1,999.80 (what
/// the waterfall paid): 4,451.63 − 1,999.80 = 2,451.83 carried, 2,451.60 not paid as agreed;
/// reported 1,999.81: 2,451.82 carried, 2,451.59 not paid.
#[test]
fn a_short_payment_and_a_fen_more_are_told_alike() {
    for (reported, unpaid) in [("1999.80", dec!(2451.60)), ("1999.81", dec!(2451.59))] {
        let rec = reconcile_short_pool(reported);
        let a2 = a_row(&rec, 2);
        assert_eq!(
            (a2.interest_residual, a2.interest_unpaid()),
            (dec!(0.23), unpaid),
            "{reported}"
        );
    }
}

/// A date the waterfall pays short keeps the due's 尾差, as a report of it does, so that a
/// report agreeing with the waterfall changes nothing (review 47a F1: the run kept the short
/// payment's 尾差, and stating A's interest as the waterfall paid it changed the notice's
/// residual and the interest unpaid, the Art. 39 amount). The auditing fixture with `per_unit`,
/// its second date collecting 3,000 of interest and no principal: after the 1,000 fee the
/// waterfall has X = 2,000.00 for A, whose figure 2,000 × 100 / 900,000 = 0.2222… → 0.2222
/// pays 1,999.80 (0.20 goes back to the account). A's due is 4,451.63, whose figure 0.4946
/// pays 4,451.40: 0.23 is carried by design, and 4,451.63 − 1,999.80 − 0.23 = 2,451.60 is not
/// paid as agreed; the notice states paid 1,999.80 + residual 0.23 + unpaid 2,451.60 = the due.
#[test]
fn a_short_date_keeps_the_dues_residual_and_an_agreeing_report_changes_nothing() {
    let waterfall = reconcile_per_unit_with(
        "pool = { principal = 0, interest = 3000, balance_end = 600000 }\n",
    );
    let agreeing = reconcile_short_pool("1999.80");
    for rec in [&waterfall, &agreeing] {
        let a2 = a_row(rec, 2);
        assert_eq!(
            (a2.interest_paid, a2.interest_residual, a2.interest_unpaid()),
            (dec!(1999.80), dec!(0.23), dec!(2451.60))
        );
        let n = rec
            .run
            .notices
            .iter()
            .find(|n| n.tranche == "A" && n.period == 2)
            .expect("A's notice");
        assert_eq!(
            (n.interest_paid, n.interest_residual, n.interest_unpaid),
            (dec!(1999.80), dec!(0.23), dec!(2451.60))
        );
    }
    assert_eq!(waterfall.run.notices, agreeing.run.notices);
    assert_eq!(waterfall.run.tranche_flows, agreeing.run.tranche_flows);
    assert_eq!(waterfall.in_life, agreeing.in_life);
}

/// A's row of payment date `period` in a reconciliation.
fn a_row(
    rec: &ipabs::analytics::reconcile::Reconciliation,
    period: u32,
) -> &ipabs::engine::result::TrancheFlowRow {
    rec.run
        .tranche_flows
        .iter()
        .find(|f| f.tranche == "A" && f.period == period)
        .expect("A's row")
}

/// The auditing fixture with `per_unit`, reconciled with its first date as the waterfall paid
/// it and a second date whose pool collects only 3,000 of interest and no principal, A's
/// interest reported as `a_interest`.
fn reconcile_short_pool(a_interest: &str) -> ipabs::analytics::reconcile::Reconciliation {
    reconcile_per_unit_with(&format!(
        "pool = {{ principal = 0, interest = 3000, balance_end = 600000 }}\n\
         tranches.A = {{ interest = \"{a_interest}\" }}\n"
    ))
}
