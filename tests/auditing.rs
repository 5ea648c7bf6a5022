//! Auditing (docs/auditing.md): reconciliation against actuals, the projection from the actual
//! state, and the Art. 39 flags. Every expected figure is derived in the comments from the
//! fixture files and docs/conventions.md, never copied from the program's output.
//!
//! tests/fixtures/auditing.toml: payment dates 2024-04-01, 07-01, 09-30, closing 2024-01-01,
//! every accrual period 91 days (ACT/365F), so A's coupon factor is 0.0365 × 91/365 = 0.0091.
//! O1 pays 420,000 (400,000 P + 20,000 I) on 03-15, 310,000 on 06-15, 305,000 on 09-15.
//! Waterfall: trustee 1,000; A interest; A principal from all available cash; B principal
//! once A is repaid; the rest to B on the final date.
//!
//! * Period 1: cash 420,000 − 1,000 = 419,000; A interest 900,000 × 0.0091 = 8,190.00;
//!   A principal 419,000 − 8,190 = 410,810.00; A balance 489,190.00.
//! * Period 2: cash 310,000 − 1,000 = 309,000; A interest 489,190 × 0.0091 = 4,451.629 →
//!   4,451.63 (half up); A principal 309,000 − 4,451.63 = 304,548.37; A balance 184,641.63.
//! * Period 3: cash 305,000 − 1,000 = 304,000; A interest 184,641.63 × 0.0091 =
//!   1,680.238833 → 1,680.24; A principal 184,641.63; left 304,000 − 1,680.24 − 184,641.63 =
//!   117,678.13; B principal 100,000.00; B residual 17,678.13.

use std::path::PathBuf;
use std::process::Command;

use ipabs::analytics::reconcile::reconcile;
use ipabs::deal::Deal;
use ipabs::engine::result::RunResult;
use ipabs::validate::{actuals_from_str, deal_from_str};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &str) -> String {
    std::fs::read_to_string(root().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn deal(p: &str) -> Deal {
    deal_from_str(p, &read(p))
        .unwrap_or_else(|e| panic!("{e}"))
        .deal
}

#[test]
fn the_wrong_line_is_found_at_its_period_and_line() {
    let d = deal("tests/fixtures/auditing.toml");
    let a = actuals_from_str(
        "auditing_actuals.toml",
        &read("tests/fixtures/auditing_actuals.toml"),
        &d,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = reconcile(&d, &d.scenario, &a).unwrap_or_else(|e| panic!("{e}"));
    // Reported lines: per period, the fee, A and B interest and principal, the collection
    // account: 1 + 4 + 1 = 6; two periods: 12.
    assert_eq!(r.lines.len(), 12);
    let diffs: Vec<_> = r.differences().collect();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    let l = diffs[0];
    assert_eq!((l.period, l.line, l.item.as_str()), (2, "interest", "A"));
    // The model pays 4,451.63 (derivation above); the report says 4,451.62.
    assert_eq!(
        (l.model, l.actual, l.difference()),
        (dec!(4451.63), dec!(4451.62), dec!(-0.01))
    );
    // Every other line agrees: period 1 A principal 410,810.00, period 2 304,548.37.
    let line = |p: u32, line: &str, item: &str| {
        r.lines
            .iter()
            .find(|l| l.period == p && l.line == line && l.item == item)
            .map(|l| l.model)
    };
    assert_eq!(line(1, "principal", "A"), Some(dec!(410810.00)));
    assert_eq!(line(2, "principal", "A"), Some(dec!(304548.37)));
    // The projection from the actual state. The report paid A 0.01 less interest in period 2
    // and states the collection account at 0: the restatement takes the 0.01 back from A (to
    // the restatement account) and A's interest shortfall becomes 0.01. Period 3 then pays A
    // 1,680.24 + 0.01 = 1,680.25 of interest and A's 184,641.63 of principal; left
    // 304,000 − 1,680.25 − 184,641.63 = 117,678.12: B principal 100,000.00, residual
    // 17,678.12.
    let f3 = |t: &str| {
        r.run
            .tranche_flows
            .iter()
            .find(|f| f.period == 3 && f.tranche == t)
            .cloned()
            .expect("row")
    };
    assert_eq!(f3("A").interest_paid, dec!(1680.25));
    assert_eq!(f3("A").principal_paid, dec!(184641.63));
    assert_eq!(f3("B").principal_paid, dec!(100000.00));
    assert_eq!(f3("B").residual_paid, dec!(17678.12));
    // Conservation: 1,035,000.00 of pool cash − 0.01 restated = the payments (nothing left).
    let c = &r.run.conservation;
    assert_eq!(c.restated, dec!(-0.01));
    assert_eq!(c.payments, dec!(1034999.99));
    // Actual flags: periods 1 and 2 actual, 3 projected; no Art. 39 flag (cash as forecast,
    // no losses).
    let flags: Vec<_> = r
        .in_life
        .iter()
        .map(|x| (x.actual, x.cash_flag, x.loss_flag))
        .collect();
    assert_eq!(
        flags,
        [
            (true, false, false),
            (true, false, false),
            (false, false, false)
        ]
    );
}

#[test]
fn reconcile_exits_4_and_prints_the_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args([
            "reconcile",
            "tests/fixtures/auditing.toml",
            "--actuals",
            "tests/fixtures/auditing_actuals.toml",
            "--out",
        ])
        .arg(&out)
        .current_dir(root())
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(4));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("period 2 (2024-07-01):"), "{stdout}");
    assert!(
        stdout.contains("interest") && stdout.contains("-0.01"),
        "{stdout}"
    );
    for f in [
        "reconciliation.parquet",
        "in_life.parquet",
        "periods.parquet",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
}

/// An actuals file that states exactly what `run` paid on its first `m` payment dates, per
/// obligor.
fn actuals_of(deal: &Deal, run: &RunResult, m: usize) -> String {
    let mut s = format!("[actuals]\ndeal = {:?}\n", deal.name);
    for p in &deal.periods[..m] {
        let n = p.number;
        s += &format!("\n[[periods]]\nperiod = {n}\npayment_date = {}\n", p.date());
        let charges = |kind: &str| {
            run.charges
                .iter()
                .filter(|c| c.period == n && c.kind == kind)
                .map(|c| format!("{:?} = \"{}\"", c.name.as_str(), c.paid))
                .collect::<Vec<_>>()
                .join(", ")
        };
        s += &format!(
            "taxes = {{ {} }}\nfees = {{ {} }}\n",
            charges("tax"),
            charges("fee")
        );
        let supports = deal
            .supports
            .iter()
            .enumerate()
            .map(|(i, sup)| {
                let x: Decimal = run
                    .ledger
                    .iter()
                    .filter(|e| {
                        e.period == n
                            && e.action == ipabs::engine::ledger::Movement::DrawSupport
                            && e.source == ipabs::engine::ledger::Account::Support(i)
                    })
                    .map(|e| e.amount)
                    .sum();
                format!("{:?} = \"{x}\"", sup.name)
            })
            .collect::<Vec<_>>()
            .join(", ");
        s += &format!("supports = {{ {supports} }}\n");
        let row = run.periods.iter().find(|r| r.period == n).expect("period");
        s += &format!("reserve_draws = \"{}\"\n", row.reserve_draws);
        let trig: Vec<String> = row
            .triggers_tripped
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| format!("{t:?}"))
            .collect();
        s += &format!("triggers = [{}]\n", trig.join(", "));
        s += &format!(
            "accounts = {{ collection = \"{}\", reserve = \"{}\" }}\n",
            row.collection_balance_end, row.reserve_balance_end
        );
        for f in run.tranche_flows.iter().filter(|f| f.period == n) {
            s += &format!(
                "tranches.{:?} = {{ interest = \"{}\", principal = \"{}\", residual = \"{}\" }}\n",
                f.tranche.as_str(),
                f.interest_paid,
                f.principal_paid,
                f.residual_paid
            );
        }
        for r in run.pool_flows.iter().filter(|r| r.period == n) {
            s += &format!(
                "\n[[periods.obligors]]\nname = {:?}\nprincipal = \"{}\"\ninterest = \"{}\"\n\
                 prepayments = \"{}\"\ndefaults = \"{}\"\nrecoveries = \"{}\"\nbalance_end = \"{}\"\n",
                r.obligor.as_str(),
                r.principal_collected - r.prepaid,
                r.interest_collected,
                r.prepaid,
                r.defaulted,
                r.recovered,
                r.balance_end
            );
        }
    }
    s
}

/// Actuals equal to the projection: no line differs, and the in-life run is the full run,
/// every table equal.
fn identical_to_run(path: &str) {
    let d = deal(path);
    let full = ipabs::engine::run(&d, &d.scenario).unwrap_or_else(|e| panic!("{e}"));
    // The run's payment dates: a clean-up call ends it early (docs/deal-format.md).
    let n = full.periods.len();
    for m in [1, n / 2, n] {
        let text = actuals_of(&d, &full, m);
        let a =
            actuals_from_str("generated.toml", &text, &d).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let r = reconcile(&d, &d.scenario, &a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.differences().count(), 0, "{path}, {m} actual dates");
        let (x, y) = (&r.run, &full);
        assert_eq!(x.periods, y.periods, "{path} {m}");
        assert_eq!(x.tranche_flows, y.tranche_flows, "{path} {m}");
        assert_eq!(x.pool_flows, y.pool_flows, "{path} {m}");
        assert_eq!(x.ledger, y.ledger, "{path} {m}");
        assert_eq!(x.charges, y.charges, "{path} {m}");
        assert_eq!(x.summary, y.summary, "{path} {m}");
        assert_eq!(x.support_draws, y.support_draws, "{path} {m}");
        assert_eq!(x.conservation, y.conservation, "{path} {m}");
        assert_eq!(r.in_life.iter().filter(|l| l.actual).count(), m);
    }
}

#[test]
fn actuals_equal_to_the_projection_give_the_full_run() {
    identical_to_run("tests/fixtures/auditing.toml");
    identical_to_run("tests/bad_deals/valid/base.toml");
    for p in std::fs::read_dir(root().join("deals")).expect("deals") {
        let p = p.expect("entry").path();
        // deals/cohort.toml lists the deals (docs/portfolio.md); it is not one.
        if p.extension().is_some_and(|e| e == "toml") && !p.ends_with("cohort.toml") {
            let rel = p
                .strip_prefix(root())
                .expect("under root")
                .display()
                .to_string();
            identical_to_run(&rel);
        }
    }
}

#[test]
fn a_lower_actual_pool_rebases_the_projection() {
    // Period 1 collects 210,000 of the 400,000 principal due and the 20,000 interest, and
    // nothing defaults: the performing balance at its end is 1,000,000 − 210,000 = 790,000,
    // where the projection has 1,000,000 − 400,000 = 600,000; the rest of the pool is scaled
    // by 790,000 / 600,000 = 79/60.
    let d = deal("tests/fixtures/auditing.toml");
    let text = "[[periods]]\nperiod = 1\npayment_date = 2024-04-01\n\
                pool = { principal = 210000, interest = 20000 }\n";
    let a = actuals_from_str("a.toml", text, &d).unwrap_or_else(|e| panic!("{e}"));
    let r = reconcile(&d, &d.scenario, &a).unwrap_or_else(|e| panic!("{e}"));
    let pc = |k: u32| {
        r.run
            .periods
            .iter()
            .find(|p| p.period == k)
            .expect("p")
            .pool_cash
    };
    assert_eq!(pc(1), dec!(230000));
    // Period 2: 310,000 × 790,000 / 600,000 = 408,166.666… → principal and interest scaled
    // separately: 300,000 × 79/60 = 395,000.00 and 10,000 × 79/60 = 13,166.666… → 13,166.67.
    assert_eq!(pc(2), dec!(408166.67));
    // Period 3: 300,000 × 79/60 = 395,000.00 and 5,000 × 79/60 = 6,583.333… → 6,583.33.
    assert_eq!(pc(3), dec!(401583.33));
    // Art. 39 cash flag: period 1 cash 230,000 against 420,000 forecast: 5 × 230,000 =
    // 1,150,000 < 4 × 420,000 = 1,680,000, flagged; the scaled periods are above forecast.
    let flags: Vec<bool> = r.in_life.iter().map(|x| x.cash_flag).collect();
    assert_eq!(flags, [true, false, false]);
}

#[test]
fn art_39_loss_flag_and_trigger_lines() {
    // tests/bad_deals/valid/base.toml with tests/bad_actuals/valid/base.toml: period 2 reports
    // 200,000.00 of new defaults and no recoveries.
    let d = deal("tests/bad_deals/valid/base.toml");
    let a = actuals_from_str("base.toml", &read("tests/bad_actuals/valid/base.toml"), &d)
        .unwrap_or_else(|e| panic!("{e}"));
    let r = reconcile(&d, &d.scenario, &a).unwrap_or_else(|e| panic!("{e}"));
    let row = |p: u32| r.in_life.iter().find(|x| x.period == p).expect("row");
    // Period 1: no loss, no flag.
    assert_eq!(row(1).cumulative_net_loss, dec!(0));
    assert!(!row(1).loss_flag);
    // Period 2: loss 200,000.00. The report has A (1,200,000.00) repaid 0 then 600,000.00,
    // so 600,000.00 outstanding after the restatement; M (300,000.00, bullet) and B
    // (200,000.00, after the seniors) are paid no principal by the waterfall: 600,000 +
    // 300,000 + 200,000 = 1,100,000.00 outstanding; 10 × 200,000 = 2,000,000 > 1,100,000:
    // flagged.
    assert_eq!(row(2).cumulative_net_loss, dec!(200000.00));
    assert_eq!(row(2).outstanding_principal, dec!(1100000.00));
    assert!(row(2).loss_flag);
    // The trigger cdr_breach (cumulative defaults above 10% of the ORIGINAL 2,000,000.00
    // pool): period 1 has none, and the report declares none: model 0, actual 0.
    let t: Vec<_> = r.lines.iter().filter(|l| l.line == "trigger").collect();
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].period, t[0].model, t[0].actual),
        (1, dec!(0), dec!(0))
    );
    // Period 1's VAT: 3.26% of the interest collected, 25,000.00 + 7,500.00 = 32,500.00:
    // 1,059.50; the report says 1,000.00.
    let vat = r
        .lines
        .iter()
        .find(|l| l.line == "tax" && l.period == 1)
        .expect("vat line");
    assert_eq!((vat.model, vat.actual), (dec!(1059.50), dec!(1000)));
}

#[test]
fn the_projection_starts_from_the_reported_state() {
    // The trustee paid A 409,810.00 of principal (1,000.00 less than the deal's 410,810.00) and
    // kept the 1,000.00 in the collection account. Restated: A's balance is 900,000 −
    // 409,810 = 490,190.00 and the collection account 1,000.00; the restatement account
    // takes 1,000.00 from A and gives 1,000.00 to the collection account: net 0.
    let d = deal("tests/fixtures/auditing.toml");
    let text = "[[periods]]\nperiod = 1\npayment_date = 2024-04-01\n\
                pool = { principal = 400000, interest = 20000 }\n\
                tranches.A = { interest = 8190, principal = 409810 }\n\
                accounts = { collection = 1000 }\n";
    let a = actuals_from_str("a.toml", text, &d).unwrap_or_else(|e| panic!("{e}"));
    let r = reconcile(&d, &d.scenario, &a).unwrap_or_else(|e| panic!("{e}"));
    // Two differing lines in period 1: A principal (−1,000.00) and the collection account
    // (+1,000.00).
    let diffs: Vec<_> = r
        .differences()
        .map(|l| (l.period, l.line, l.difference()))
        .collect();
    assert_eq!(
        diffs,
        [(1, "principal", dec!(-1000)), (1, "account", dec!(1000))]
    );
    // Period 2 from the reported state: available 1,000 + 310,000 = 311,000.00; after the fee
    // 310,000.00; A interest 490,190.00 × 0.0091 = 4,460.729 → 4,460.73; principal
    // 310,000 − 4,460.73 = 305,539.27; A balance 490,190 − 305,539.27 = 184,650.73.
    let f = r
        .run
        .tranche_flows
        .iter()
        .find(|f| f.period == 2 && f.tranche == "A")
        .expect("row");
    assert_eq!(f.balance_start, dec!(490190.00));
    assert_eq!(f.interest_paid, dec!(4460.73));
    assert_eq!(f.principal_paid, dec!(305539.27));
    assert_eq!(f.balance_end, dec!(184650.73));
    assert_eq!(r.run.conservation.restated, dec!(0));
    // in_life: after period 1, 490,190.00 of A and 100,000.00 of B are outstanding.
    assert_eq!(r.in_life[0].outstanding_principal, dec!(590190.00));
}
