//! Issue 12, items 1, 2, 7 and 8, worked by hand to the fen: income and principal accounts with
//! a principal deficiency ledger, step conditions and the cash-held warning, the clean-up
//! call, and support limited by waterfall.
//!
//! Every expected figure is derived in the comments from the deal text and
//! docs/conventions.md, never copied from the program's output.
//!
//! Common facts (tests/fixtures/accounts.toml): payment dates 2024-04-01, 07-01, 09-30;
//! closing 2024-01-01; every accrual period is 91 days, so yf = 91/365 (ACT/365F).
//! Collection periods [01-02, 04-01], [04-02, 07-01], [07-02, 09-30].
//! Pool: O1 500,000 P each on 03-15, 06-15, 09-15 with interest 20,000, 5,000, 20,000;
//!       O2 250,000 P + 10,000 I on each of the same dates. Pool balance 2,250,000.
//! Tranches: A senior 1,460,000 at 5% (interest on 1,460,000 = 1,460,000 × 0.05 × 91/365 =
//! 73,000 × 91/365 = 18,200.00 exactly); B mezzanine 365,000 at 8% (365,000 × 0.08 × 91/365 =
//! 7,280.00 exactly); C subordinated 425,000. Fee `manager` 2,000 fixed.

use std::path::Path;

use ipabs::engine::{self, result::RunResult};
use ipabs::error::Check;
use ipabs::validate::deal_from_str;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn fixture() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/accounts.toml");
    std::fs::read_to_string(p).expect("fixture exists")
}

fn run(src: &str) -> RunResult {
    let loaded = deal_from_str("accounts.toml", src).unwrap_or_else(|e| panic!("{e}"));
    let deal = &loaded.deal;
    engine::run(deal, &deal.scenario).unwrap_or_else(|e| panic!("{e}"))
}

/// The located warnings of `check` that loading `src` gives: (location, message).
fn located(src: &str, check: Check) -> Vec<(String, String)> {
    deal_from_str("accounts.toml", src)
        .unwrap_or_else(|e| panic!("{e}"))
        .warnings
        .into_iter()
        .filter(|w| w.check == check)
        .map(|w| (w.location, w.message))
        .collect()
}

/// Sum of the ledger entries of `period` with this action, source and destination names.
fn moved(r: &RunResult, period: u32, action: &str, source: &str, destination: &str) -> Decimal {
    r.ledger
        .iter()
        .filter(|e| {
            e.period == period
                && e.action.name() == action
                && r.accounts.name(e.source) == source
                && r.accounts.name(e.destination) == destination
        })
        .map(|e| e.amount)
        .sum()
}

fn flow<'a>(r: &'a RunResult, t: &str, period: u32) -> &'a ipabs::engine::result::TrancheFlowRow {
    r.tranche_flows
        .iter()
        .find(|x| x.tranche == t && x.period == period)
        .expect("row exists")
}

/// The fixture with its `[waterfalls]` and `[scenario]` replaced by `tail`.
fn with_tail(tail: &str) -> String {
    let src = fixture();
    let cut = src.find("[pdl]").expect("fixture has [pdl]");
    format!("{}{tail}", &src[..cut])
}

#[test]
fn income_and_principal_accounts_with_a_pdl_to_the_fen() {
    let r = run(&fixture());
    let (inc, pri) = ("account:income", "account:principal");

    // ---- Period 1 -------------------------------------------------------------------------
    // Interest 20,000 + 10,000 = 30,000 → income; principal 500,000 + 250,000 = 750,000 →
    // principal. Step 1: fees + senior interest due 2,000 + 18,200 = 20,200 ≤ 30,000 in
    // income: no transfer. Fee 2,000, A 18,200, B 7,280 from income → 2,520 left; PDL 0, so
    // step 5 moves nothing; step 6 pays C's residual 2,520 from income. Step 7: A (pass-
    // through) takes the 750,000 of the principal account → A 710,000.
    assert_eq!(moved(&r, 1, "deposit", "pool", inc), dec!(30000.00));
    assert_eq!(moved(&r, 1, "deposit", "pool", pri), dec!(750000.00));
    assert_eq!(moved(&r, 1, "transfer", pri, inc), dec!(0));
    assert_eq!(
        moved(&r, 1, "pay_interest", inc, "tranche:B"),
        dec!(7280.00)
    );
    assert_eq!(
        moved(&r, 1, "pay_residual", inc, "tranche:C"),
        dec!(2520.00)
    );
    assert_eq!(
        moved(&r, 1, "pay_principal", pri, "tranche:A"),
        dec!(750000.00)
    );
    assert_eq!(flow(&r, "A", 1).balance_end, dec!(710000.00));
    assert_eq!(r.periods[0].accounts_balance_end, Some(dec!(0.00)));
    assert_eq!(r.periods[0].pdl_balance_end, Some(dec!(0.00)));

    // ---- Period 2 -------------------------------------------------------------------------
    // O1 pays 500,000 P + 5,000 I; O2 defaults on 05-01 before its 06-15 instalment:
    // defaulted 250,000 + 250,000 = 500,000, debited to the PDL. Income 5,000, principal
    // 500,000. A interest = fen(710,000 × 0.05 × 91/365) = fen(35,500 × 91/365) =
    // fen(8,850.6849…) = 8,850.68. Step 1: fees + senior interest = 2,000 + 8,850.68 =
    // 10,850.68, income holds 5,000: principal covers 5,850.68 (本金账补充收入账), and the PDL
    // is debited by it: 500,000 + 5,850.68 = 505,850.68. Fee 2,000 and A 8,850.68 empty the
    // income account; B's 7,280 goes unpaid (carried). Step 5: income 0, nothing cures the
    // PDL. Step 7: A takes 500,000 − 5,850.68 = 494,149.32 → A 710,000 − 494,149.32 =
    // 215,850.68.
    assert_eq!(moved(&r, 2, "transfer", pri, inc), dec!(5850.68));
    assert_eq!(
        moved(&r, 2, "pay_interest", inc, "tranche:A"),
        dec!(8850.68)
    );
    assert_eq!(flow(&r, "B", 2).interest_paid, dec!(0));
    assert_eq!(flow(&r, "B", 2).interest_shortfall, dec!(7280.00));
    assert_eq!(
        moved(&r, 2, "pay_principal", pri, "tranche:A"),
        dec!(494149.32)
    );
    assert_eq!(flow(&r, "A", 2).balance_end, dec!(215850.68));
    assert_eq!(r.periods[1].pdl_balance_end, Some(dec!(505850.68)));

    // ---- Period 3 -------------------------------------------------------------------------
    // O1 pays 500,000 P + 20,000 I; O2 pays nothing. A interest = fen(215,850.68 × 0.05 ×
    // 91/365) = fen(10,792.534 × 91/365) = fen(2,690.7413…) = 2,690.74. B is due 7,280 + the
    // 7,280 carried = 14,560. Step 1: 2,000 + 2,690.74 = 4,690.74 ≤ 20,000: no transfer.
    // Income after fee, A and B: 20,000 − 2,000 − 2,690.74 − 14,560 = 749.26; step 5 moves it
    // to principal (收入账补足本金亏损), PDL 505,850.68 − 749.26 = 505,101.42. Principal
    // account 500,000 + 749.26 = 500,749.26: A takes its 215,850.68 and is repaid; step 8
    // (A paid off) gives B the other 284,898.58 → B 365,000 − 284,898.58 = 80,101.42; step 9
    // (A and B paid off) does not run, step 10 (final period) finds nothing left.
    assert_eq!(moved(&r, 3, "transfer", inc, pri), dec!(749.26));
    assert_eq!(r.periods[2].pdl_balance_end, Some(dec!(505101.42)));
    assert_eq!(flow(&r, "A", 3).interest_paid, dec!(2690.74));
    assert_eq!(flow(&r, "B", 3).interest_paid, dec!(14560.00));
    assert_eq!(
        moved(&r, 3, "pay_principal", pri, "tranche:B"),
        dec!(284898.58)
    );
    assert_eq!(flow(&r, "B", 3).balance_end, dec!(80101.42));
    assert_eq!(flow(&r, "C", 3).principal_paid, dec!(0));
    assert_eq!(r.periods[2].accounts_balance_end, Some(dec!(0.00)));

    // Conservation: pool cash 780,000 + 505,000 + 520,000 = 1,805,000, all paid out.
    assert_eq!(r.conservation.pool_cash, dec!(1805000.00));
    assert_eq!(r.conservation.payments, dec!(1805000.00));
    assert_eq!(r.conservation.accounts_end, dec!(0));
    // No cash is held while B could take it, so no cash_held warning.
    assert!(r.warnings.iter().all(|w| w.check != Check::CashHeld));
}

/// The collection-account version of the fixture for the condition tests: no named accounts,
/// no PDL, no defaults. Pool cash: P1 780,000, P2 765,000 (O1 505,000 + O2 260,000), P3 780,000.
fn collection_deal(b_when: &str, extra_steps: &str, extra_fees: &str) -> String {
    let src = fixture();
    let cut = src.find("[[accounts]]").expect("fixture has accounts");
    format!(
        "{}{extra_fees}
[[triggers]]
name = \"cdr\"
kind = \"acceleration\"
condition = \"cumulative_default_ratio_above\"
threshold = 0.10
waterfall = \"accelerated\"

[waterfalls]
normal = [
{extra_steps}  {{ action = \"pay_fee\", fees = [\"manager\"] }},
  {{ action = \"pay_interest\", tranches = [\"A\"] }},
  {{ action = \"pay_interest\", tranches = [\"B\"] }},
  {{ action = \"pay_principal\", tranches = [\"A\"] }},
  {{ action = \"pay_principal\", tranches = [\"B\"], when = {b_when} }},
  {{ action = \"pay_principal\", tranches = [\"C\"], when = {{ all = [{{ paid_off = \"A\" }}, {{ paid_off = \"B\" }}] }} }},
  {{ action = \"pay_residual\", tranche = \"C\", when = \"final_period\" }},
]
accelerated = [
  {{ action = \"pay_fee\", fees = [\"manager\"] }},
  {{ action = \"pay_interest\", tranches = [\"A\", \"B\"] }},
  {{ action = \"pay_principal\", tranches = [\"A\", \"B\", \"C\"], amount = \"available\" }},
  {{ action = \"pay_residual\", tranche = \"C\" }},
]
",
        &src[..cut]
    )
}

#[test]
fn cash_held_by_a_date_condition_is_a_located_warning_and_paid_off_releases_it() {
    // B's principal waits for 2024-09-30. P1: 780,000 − 2,000 − 18,200 − 7,280 = 752,520 to
    // A → A 707,480. P2: A interest = fen(707,480 × 0.05 × 91/365) = fen(35,374 × 91/365) =
    // fen(8,819.2712…) = 8,819.27; 765,000 − 2,000 − 8,819.27 − 7,280 = 746,900.73; A takes
    // 707,480 and is repaid, and 39,420.73 stays in the collection account while B (a
    // mezzanine pass-through tranche) has 365,000 outstanding: step 5 did not run.
    let r = run(&collection_deal("{ on_or_after = 2024-09-30 }", "", ""));
    let held: Vec<_> = r
        .warnings
        .iter()
        .filter(|w| w.check == Check::CashHeld)
        .collect();
    assert_eq!(held.len(), 1, "{:?}", r.warnings);
    assert_eq!(held[0].period.map(|p| p.0), Some(2));
    assert!(
        held[0]
            .message
            .starts_with("39420.73 is held in the collection account")
    );
    assert!(held[0].message.contains("tranche B has 365000.00"));
    assert!(
        held[0]
            .message
            .contains("step 5 of waterfall `normal` (pay_principal)")
    );
    assert_eq!(r.periods[1].collection_balance_end, dec!(39420.73));
    // P3: the step runs. Cash 39,420.73 + 780,000 − 2,000 − 7,280 (B interest on 365,000) =
    // 810,140.73: B takes 365,000, C (A and B repaid) 425,000, C's residual 20,140.73.
    assert_eq!(flow(&r, "B", 3).principal_paid, dec!(365000.00));
    assert_eq!(flow(&r, "C", 3).principal_paid, dec!(425000.00));
    assert_eq!(flow(&r, "C", 3).residual_paid, dec!(20140.73));

    // With `{ paid_off = "A" }` B takes the 39,420.73 in P2 → B 325,579.27; no warning.
    let r = run(&collection_deal("{ paid_off = \"A\" }", "", ""));
    assert_eq!(flow(&r, "B", 2).principal_paid, dec!(39420.73));
    assert_eq!(flow(&r, "B", 2).balance_end, dec!(325579.27));
    assert!(r.warnings.iter().all(|w| w.check != Check::CashHeld));
    // A a bullet (nothing due before 09-30) and B waiting for A: P1's 780,000 − 2,000 −
    // 18,200 − 7,280 = 752,520 stays while B could take it, and the advice names what B's step
    // waits for instead of suggesting the `paid_off` it already has (review 26d item L1).
    let src = collection_deal("{ paid_off = \"A\" }", "", "").replacen(
        "balance = 1460000\ncoupon = 0.05\namortization = \"pass_through\"",
        "balance = 1460000\ncoupon = 0.05\namortization = \"bullet\"",
        1,
    );
    let r = run(&src);
    let held: Vec<_> = r
        .warnings
        .iter()
        .filter(|w| w.check == Check::CashHeld)
        .collect();
    assert_eq!(held.len(), 1, "{:?}", r.warnings);
    assert!(
        held[0]
            .message
            .starts_with("752520.00 is held in the collection account"),
        "{}",
        held[0].message
    );
    assert!(
        held[0]
            .message
            .ends_with("did not run because its `when` is false; it waits until A is repaid"),
        "{}",
        held[0].message
    );
}

#[test]
fn every_condition_form_runs_on_the_dates_it_should() {
    // One marker fee (fixed 100 a date, unpaid amounts carried) per condition, paid by a step
    // under that condition at the top of the waterfall (before A's principal, so A is repaid
    // only from P3's point of view); which dates it was paid on shows when the condition
    // held. Pool factor (performing balance at the collection period's end over
    // 2,250,000): P1 1,500,000 → 2/3, P2 750,000 → 1/3, P3 0. A is repaid in P2 (above).
    // The `cdr` trigger never trips: no defaults.
    let conds = [
        ("date_on", "{ on_or_after = 2024-07-01 }"),
        ("date_before", "{ before = 2024-07-01 }"),
        ("a_off", "{ paid_off = \"A\" }"),
        ("factor", "{ pool_factor_below = 0.5 }"),
        ("tripped", "{ trigger = \"cdr\" }"),
        ("not_tripped", "{ not = { trigger = \"cdr\" } }"),
        ("cdr", "{ cumulative_default_ratio_above = 0 }"),
        (
            "any",
            "{ any = [\"final_period\", { before = 2024-04-02 }] }",
        ),
        (
            "all",
            "{ all = [{ on_or_after = 2024-07-01 }, { not = \"final_period\" }] }",
        ),
    ];
    let fees: String = conds
        .iter()
        .map(|(n, _)| format!("\n[[fees]]\nname = \"{n}\"\nkind = \"fixed\"\namount = 100\n"))
        .collect();
    let steps: String = conds
        .iter()
        .map(|(n, c)| format!("  {{ action = \"pay_fee\", fees = [\"{n}\"], when = {c} }},\n"))
        .collect();
    let r = run(&collection_deal("{ paid_off = \"A\" }", &steps, &fees));
    let paid = |name: &str| -> Vec<Decimal> {
        r.charges
            .iter()
            .filter(|c| c.name == name)
            .map(|c| c.paid)
            .collect()
    };
    // Paid on a date where it holds: 100 plus whatever was carried.
    assert_eq!(paid("date_on"), [dec!(0), dec!(200), dec!(100)]);
    assert_eq!(paid("date_before"), [dec!(100), dec!(0), dec!(0)]);
    assert_eq!(paid("a_off"), [dec!(0), dec!(0), dec!(300)]);
    assert_eq!(paid("factor"), [dec!(0), dec!(200), dec!(100)]);
    assert_eq!(paid("tripped"), [dec!(0), dec!(0), dec!(0)]);
    assert_eq!(paid("not_tripped"), [dec!(100), dec!(100), dec!(100)]);
    // Cumulative defaults 0 is not above 0.
    assert_eq!(paid("cdr"), [dec!(0), dec!(0), dec!(0)]);
    assert_eq!(paid("any"), [dec!(100), dec!(0), dec!(200)]);
    assert_eq!(paid("all"), [dec!(0), dec!(200), dec!(0)]);
}

/// The fixture without defaults, with a clean-up call at a pool factor below 0.5 and its own
/// waterfall; `exercise` is the scenario's choice. The call is exercised whatever it repays
/// (`repays_senior = false`): these tests are about its mechanics; the rule that it repay the
/// senior and mezzanine is tested below (`a_call_that_would_not_repay_the_senior_…`).
fn call_deal(exercise: bool) -> String {
    with_tail(&format!(
        "[clean_up_call]
pool_factor_below = 0.5
waterfall = \"clean_up\"
repays_senior = false

[waterfalls]
normal = [
  {{ action = \"pay_fee\", fees = [\"manager\"], from = \"income\" }},
  {{ action = \"pay_interest\", tranches = [\"A\"], from = \"income\" }},
  {{ action = \"pay_interest\", tranches = [\"B\"], from = \"income\" }},
  {{ action = \"pay_residual\", tranche = \"C\", from = \"income\" }},
  {{ action = \"pay_principal\", tranches = [\"A\"], from = \"principal\" }},
  {{ action = \"pay_principal\", tranches = [\"B\"], from = \"principal\", when = {{ paid_off = \"A\" }} }},
  {{ action = \"pay_principal\", tranches = [\"C\"], from = \"principal\", when = {{ paid_off = \"B\" }} }},
  {{ action = \"pay_residual\", tranche = \"C\", from = \"principal\", when = \"final_period\" }},
]
clean_up = [
  {{ action = \"pay_fee\", fees = [\"manager\"], from = \"income\" }},
  {{ action = \"pay_interest\", tranches = [\"A\"], from = \"income\" }},
  {{ action = \"pay_interest\", tranches = [\"B\"], from = \"income\" }},
  {{ action = \"transfer\", from = \"income\", to = \"principal\" }},
  {{ action = \"pay_principal\", tranches = [\"A\", \"B\", \"C\"], amount = \"available\", from = \"principal\" }},
  {{ action = \"pay_residual\", tranche = \"C\", from = \"principal\" }},
]

[scenario]
name = \"base\"
clean_up_call = {exercise}
"
    ))
}

#[test]
fn clean_up_call_repurchases_the_pool_and_ends_the_deal() {
    let r = run(&call_deal(true));
    // P1 as in the accounts test (no defaults before 05-01): A 710,000, C residual 2,520.
    // Pool factor after P1: 1,500,000 / 2,250,000 = 2/3, not below 0.5: no call.
    // P2: O1 500,000 P + 5,000 I, O2 250,000 P + 10,000 I: income 15,000, principal 750,000;
    // balance at the period's end 750,000 → factor 1/3 < 0.5: the call is exercised at par,
    // price 750,000 into the principal account (which collects principal) → 1,500,000.
    // `clean_up` runs: fee 2,000 and A interest 8,850.68 (as above) leave 4,149.32 of income
    // for B's 7,280 (3,130.68 unpaid); the transfer moves 0. Principal, sequential and
    // available: A 710,000, B 365,000, C 425,000 = 1,500,000; nothing left for the residual.
    assert_eq!(r.periods.len(), 2);
    assert_eq!(r.periods[1].waterfall.as_str(), "clean_up");
    assert_eq!(
        moved(&r, 2, "clean_up_call", "originator", "account:principal"),
        dec!(750000.00)
    );
    assert_eq!(r.conservation.call_price, dec!(750000.00));
    assert_eq!(flow(&r, "B", 2).interest_paid, dec!(4149.32));
    for (t, p) in [
        ("A", dec!(710000.00)),
        ("B", dec!(365000.00)),
        ("C", dec!(425000.00)),
    ] {
        assert_eq!(flow(&r, t, 2).principal_paid, p);
        assert_eq!(flow(&r, t, 2).balance_end, dec!(0));
    }
    // Pool cash stops at the call: 780,000 + 765,000 = 1,545,000; with the price, 2,295,000
    // in and out.
    assert_eq!(r.conservation.pool_cash, dec!(1545000.00));
    assert_eq!(r.conservation.payments, dec!(2295000.00));
    assert!(r.pool_flows.iter().all(|p| p.period <= 2));

    // Not exercised: three payment dates, no price.
    let r = run(&call_deal(false));
    assert_eq!(r.periods.len(), 3);
    assert_eq!(r.conservation.call_price, dec!(0));
    assert!(r.periods.iter().all(|p| p.waterfall.as_str() == "normal"));
}

#[test]
fn a_support_limited_to_another_waterfall_is_not_drawn() {
    // tests/fixtures/hand_worked.toml, period 2 (tests/hand_worked.rs): pool cash 0; the
    // reserve pays the 1,000 fee and 4,000 of A's 7,684.70 interest, and the undertaking the
    // other 3,684.70. Limited to the `normal` waterfall it is still drawn; limited to a
    // waterfall that is not running it is not, and A's 3,684.70 is a shortfall.
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hand_worked.toml");
    let src = std::fs::read_to_string(p).expect("fixture exists");
    let limited = |w: &str| {
        let s = src.replace(
            "covers = [\"senior_interest\", \"senior_principal\"]",
            &format!(
                "covers = [\"senior_interest\", \"senior_principal\"]\nwaterfalls = [\"{w}\"]"
            ),
        );
        format!(
            "{s}\n[[triggers]]\nname = \"late\"\nkind = \"acceleration\"\n\
             condition = \"senior_outstanding_after_legal_maturity\"\nwaterfall = \"accelerated\"\n"
        )
        .replace(
            "[waterfalls]\n",
            "[waterfalls]\naccelerated = [ { action = \"pay_interest\", tranches = [\"A\"] }, \
             { action = \"pay_principal\", tranches = [\"A\"], amount = \"available\" }, \
             { action = \"pay_residual\", tranche = \"B\" } ]\n",
        )
    };
    let r = run(&limited("normal"));
    assert_eq!(r.periods[1].support_draws, dec!(3684.70));
    let r = run(&limited("accelerated"));
    assert_eq!(r.periods[1].support_draws, dec!(0));
    assert_eq!(flow(&r, "A", 2).interest_paid, dec!(4000.00));
    assert_eq!(flow(&r, "A", 2).interest_shortfall, dec!(3684.70));
}

/// The call priced at principal plus accrued interest (`accrued_interest = true`,
/// docs/deal-format.md): the deal of `clean_up_call_repurchases_the_pool_and_ends_the_deal`.
///
/// The call is exercised in period 2, whose collection period ends on 2024-07-01 (collection
/// lag 0). Performing balance B = 750,000 (nothing defaulted); the contractual principal due
/// after 07-01 is C = 500,000 + 250,000 = 750,000, so the accrued interest is not scaled. Each
/// asset's next instalment is 09-15 and its previous one 06-15: 16 of 92 days have run
/// (06-15 → 07-01: 15 + 1; 06-15 → 09-15: 15 + 31 + 31 + 15). Accrued = (20,000 + 10,000) ×
/// 16 / 92 = 5,217.3913… The price, rounded once: 750,000 + 5,217.3913… = 755,217.39.
///
/// `clean_up` then holds 750,000 + 755,217.39 = 1,505,217.39 in the principal account: A
/// 710,000, B 365,000 and C 425,000 of principal as before, and C's residual takes the
/// 5,217.39 left.
#[test]
fn clean_up_call_at_principal_plus_accrued_interest() {
    let src = call_deal(true).replace(
        "pool_factor_below = 0.5\n",
        "pool_factor_below = 0.5\naccrued_interest = true\n",
    );
    let loaded = deal_from_str("accounts.toml", &src).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        loaded
            .deal
            .clean_up_call
            .is_some_and(|c| c.accrued_interest)
    );
    assert_eq!(
        loaded.deal.periods[1].collection_end,
        chrono::NaiveDate::from_ymd_opt(2024, 7, 1).unwrap()
    );
    let r = run(&src);
    assert_eq!(r.conservation.call_price, dec!(755217.39));
    assert_eq!(
        moved(&r, 2, "clean_up_call", "originator", "account:principal"),
        dec!(755217.39)
    );
    for (t, p) in [
        ("A", dec!(710000.00)),
        ("B", dec!(365000.00)),
        ("C", dec!(425000.00)),
    ] {
        assert_eq!(flow(&r, t, 2).principal_paid, p);
    }
    assert_eq!(flow(&r, "C", 2).residual_paid, dec!(5217.39));

    // O2 defaults on 05-01 (no recovery): B = 500,000 (O1's last instalment), C = 750,000
    // still, so the accrued interest is scaled by 500,000 / 750,000: 30,000 × 16 / 92 × 2/3 =
    // 3,478.2608… (O1's own 20,000 × 16 / 92, since both assets pay 4% of principal). The
    // pool factor 500,000 / 2,250,000 is below 0.5: price 503,478.26 (exercised: `call_deal`
    // has `repays_senior = false`).
    let src = src.replace(
        "name = \"base\"\n",
        "name = \"base\"\ndefaults = [ { obligor = \"O2\", date = 2024-05-01 } ]\n",
    );
    let r = run(&src);
    assert_eq!(r.conservation.call_price, dec!(503478.26));
}

/// `call_deal(true)` with O1 defaulting on 2024-05-01 (no recovery) and a guarantee by
/// `Parent Co.` of the items `covers` (a TOML array).
fn guaranteed_call_deal(covers: &str) -> String {
    call_deal(true)
        .replace(
            "name = \"base\"\n",
            "name = \"base\"\ndefaults = [ { obligor = \"O1\", date = 2024-05-01 } ]\n",
        )
        .replace(
            "[clean_up_call]",
            &format!(
                "[[supports]]\nname = \"guarantee\"\nprovider = \"Parent Co.\"\n\
                 kind = \"guarantee\"\ncovers = {covers}\n\n[clean_up_call]"
            ),
        )
}

/// A clean-up call whose price cannot repay the senior, exercised all the same
/// (`repays_senior = false`; review 26b item 1): the call date ends the deal, so A's whole
/// balance falls due on it, and a guarantee of senior principal pays what the call leaves
/// unpaid (docs/conventions.md, "Principal due"). Before session 26 A, a pass-through tranche,
/// owed no principal on the call date: the deal ended with A's loss and the guarantee undrawn.
///
/// The deal of `clean_up_call_repurchases_the_pool_and_ends_the_deal`, with O1 defaulting on
/// 2024-05-01 (no recovery) and a guarantee of senior principal only. P1 is as there (the
/// default comes after it): A is paid 750,000 of principal and owes 710,000. P2 collects O2's
/// 250,000 of principal and 10,000 of interest; the performing balance left is O2's last
/// 250,000, 250,000 / 2,250,000 < 0.5: the call is exercised at par, 250,000, and the principal
/// account holds 500,000. `clean_up`: the fee 2,000 and 8,000 of A's interest of 710,000 ×
/// 0.05 × 91/365 = 8,850.68 (850.68 short: the guarantee does not cover interest); B's interest
/// gets nothing. A's principal due is its balance, 710,000: the 500,000 pay it, and the
/// guarantee the other 210,000. B and C get no principal.
#[test]
fn a_call_that_cannot_repay_the_senior_draws_its_guarantee() {
    let src = guaranteed_call_deal("[\"senior_principal\"]");
    let r = run(&src);
    assert_eq!(r.periods.len(), 2);
    assert_eq!(r.conservation.call_price, dec!(250000.00));
    let a = flow(&r, "A", 2);
    assert_eq!(a.principal_due, dec!(710000.00));
    assert_eq!(a.principal_paid, dec!(710000.00));
    assert_eq!(a.balance_end, dec!(0));
    assert_eq!(a.interest_paid, dec!(8000.00));
    assert_eq!(a.interest_shortfall, dec!(850.68));
    assert_eq!(r.periods[1].support_draws, dec!(210000.00));
    assert_eq!(flow(&r, "B", 2).principal_paid, dec!(0));
    assert_eq!(flow(&r, "C", 2).principal_paid, dec!(0));
}

/// A call whose date's waterfall would not repay every senior and mezzanine tranche with its
/// interest is not exercised (`repays_senior`, the default since session 29; review 29b item
/// 1: stressed runs called at a loss to the senior, and the originator kept the recoveries
/// still to come). The deal of `a_call_that_cannot_repay_the_senior_draws_its_guarantee`
/// without the guarantee: on P2 the call is offered at 250,000 (O2's last 250,000 performing,
/// factor 1/9 < 0.5); with it the principal account holds 500,000 against A's 710,000: no call.
/// P2 runs `normal`, and P3 (O2's last instalment, nothing performing after it: no offer) ends
/// the deal. `clean_up_call_repurchases_the_pool_and_ends_the_deal`'s call is refused too under
/// the rule: its `clean_up` pays B only 4,149.32 of its 7,280.00 of interest.
#[test]
fn a_call_that_would_not_repay_the_senior_is_not_exercised() {
    let old_rule = call_deal(true).replace(
        "name = \"base\"\n",
        "name = \"base\"\ndefaults = [ { obligor = \"O1\", date = 2024-05-01 } ]\n",
    );
    let src = old_rule.replace("repays_senior = false\n", "");
    let r = run(&src);
    assert_eq!(r.periods.len(), 3);
    assert_eq!(r.conservation.call_price, dec!(0));
    assert!(r.periods.iter().all(|p| p.waterfall.as_str() == "normal"));
    assert!(r.ledger.iter().all(|e| e.action.name() != "clean_up_call"));
    let r = run(&call_deal(true).replace("repays_senior = false\n", ""));
    assert_eq!(r.periods.len(), 3);
    assert_eq!(r.conservation.call_price, dec!(0));
    // With the old rule the same date is called (the price as in the guarantee's test).
    let r = run(&old_rule);
    assert_eq!(r.periods.len(), 2);
    assert_eq!(r.conservation.call_price, dec!(250000.00));
    // A is left unpaid by the call, and the warning says the call ended the deal.
    assert!(flow(&r, "A", 2).balance_end > dec!(0));
    assert!(
        r.warnings.iter().any(|w| w
            .message
            .contains("tranche A is not repaid by the clean-up call, which ends the deal")),
        "{:?}",
        r.warnings
    );
}

/// A call is exercised only when the price and the trust's cash repay the senior and
/// mezzanine tranches: no support is drawn in the trial (review 48b F1: an uncapped 差额支付 paid
/// 46,045,033.50 of principal on a call date, was never repaid, and the originator kept the
/// recoveries still to come). The deal of `a_call_that_cannot_repay_the_senior_draws_its_guarantee`
/// with `repays_senior` (the default) and a guarantee of every senior and mezzanine interest and
/// principal: on P2 the price, 250,000, and the principal account's 500,000 in all fall 210,000
/// short of A's 710,000 of principal due; only the guarantee could pay it, so the call is not
/// exercised, P2 runs `normal` and P3 ends the deal. With `repays_senior = false` the same
/// date is called, and the guarantee pays A's 210,000 of principal (as in that test).
#[test]
fn a_call_the_supports_alone_would_repay_is_not_exercised() {
    let guaranteed = guaranteed_call_deal(
        "[\"senior_interest\", \"senior_principal\", \"mezzanine_interest\", \
         \"mezzanine_principal\"]",
    );
    let r = run(&guaranteed.replace("repays_senior = false\n", ""));
    assert_eq!(r.periods.len(), 3);
    assert_eq!(r.conservation.call_price, dec!(0));
    assert!(r.periods.iter().all(|p| p.waterfall.as_str() == "normal"));
    assert!(r.ledger.iter().all(|e| e.action.name() != "clean_up_call"));
    let r = run(&guaranteed);
    assert_eq!(r.periods.len(), 2);
    assert_eq!(r.conservation.call_price, dec!(250000.00));
    assert_eq!(flow(&r, "A", 2).principal_paid, dec!(710000.00));
}

/// `top_class_interest_shortfall` (review 26d item M2): the most senior class outstanding, a
/// mezzanine once the senior is repaid, missing its interest trips the event of default, where
/// `senior_interest_shortfall` sees no senior owed anything. The collection-account deal with A
/// at 700,000 and both obligors defaulting on 2024-05-01 (no recovery):
///
/// * P1 (780,000 collected): fee 2,000, A's interest 700,000 × 0.05 × 91/365 = 8,726.027… →
///   8,726.03, B's 7,280.00; A takes its 700,000 and is repaid; B (`paid_off = "A"`) the other
///   61,993.97.
/// * P2 collects nothing: B, now the most senior class outstanding, is paid none of its interest
///   (303,006.03 × 0.08 × 91/365 = 6,043.5175… → 6,043.52): `top` trips after the waterfall,
///   `senior` does not (the `cdr` acceleration trips before it), and P3 runs `eod`.
#[test]
fn the_top_class_interest_shortfall_reaches_the_mezzanine() {
    let src = collection_deal("{ paid_off = \"A\" }", "", "")
        .replacen("balance = 1460000", "balance = 700000", 1)
        .replacen(
            "[waterfalls]\n",
            "[[triggers]]\nname = \"top\"\nkind = \"event_of_default\"\n\
             condition = \"top_class_interest_shortfall\"\nwaterfall = \"eod\"\n\n\
             [[triggers]]\nname = \"senior\"\nkind = \"event_of_default\"\n\
             condition = \"senior_interest_shortfall\"\nwaterfall = \"eod\"\n\n[waterfalls]\n\
             eod = [\n  { action = \"pay_fee\", fees = [\"manager\"] },\n  \
             { action = \"pay_interest\", tranches = [\"B\"] },\n  \
             { action = \"pay_principal\", tranches = [\"B\", \"C\"], amount = \"available\" },\n  \
             { action = \"pay_residual\", tranche = \"C\" },\n]\n",
            1,
        )
        + "\n[scenario]\nname = \"both\"\ndefaults = [ { obligor = \"O1\", date = 2024-05-01 }, \
           { obligor = \"O2\", date = 2024-05-01 } ]\n";
    let r = run(&src);
    assert_eq!(flow(&r, "A", 1).interest_paid, dec!(8726.03));
    assert_eq!(flow(&r, "A", 1).balance_end, dec!(0));
    assert_eq!(flow(&r, "B", 1).principal_paid, dec!(61993.97));
    assert_eq!(flow(&r, "B", 2).interest_paid, dec!(0));
    assert_eq!(flow(&r, "B", 2).interest_due, dec!(6043.52));
    assert_eq!(r.periods[1].triggers_tripped.as_str(), "cdr,top");
    assert_eq!(r.periods[2].waterfall.as_str(), "eod");
}

/// An asset guarantee with income and principal accounts and a PDL (review 29c items 3 and 10):
/// the fixture with O2's June interest 0 and O2 defaulting on 2024-08-01 (period 3), and
/// `[[supports]] kind = "asset_guarantee"`.
///
/// * P1 as in `income_and_principal_accounts_with_a_pdl_to_the_fen`: A 710,000.
/// * P2: income 5,000 (O1), principal 750,000. The fee 2,000 and A's 8,850.68 need 5,850.68
///   from principal (`covers`), debited to the PDL: 5,850.68. B's 7,280 goes unpaid. A takes
///   710,000 of the 744,149.32 left and is repaid; B the other 34,149.32: 330,850.68.
/// * P3: O2's 250,000 defaults; the guarantor pays it into the principal account (the account
///   that collects principal). With `[pdl] defaults` (the default) the PDL is debited 250,000
///   and credited as much; with `defaults = false` neither: either way it stays 5,850.68 (before
///   review 29c item 3 the payment cleared the 5,850.68 that `covers` had debited). Income
///   20,000: fee 2,000, B's fen(330,850.68 × 0.08 × 91/365) = fen(6,598.8847…) = 6,598.88 +
///   7,280 carried = 13,878.88; the 4,121.12 left cures the PDL to 1,729.56. Principal 500,000
///   + 250,000 + 4,121.12 = 754,121.12: B 330,850.68, C 423,270.44.
#[test]
fn an_asset_guarantee_pays_into_the_principal_account_and_cures_only_what_defaults_booked() {
    let src = fixture()
        .replace(
            "{ date = 2024-06-15, principal = 250000, interest = 10000 }",
            "{ date = 2024-06-15, principal = 250000, interest = 0 }",
        )
        .replace("date = 2024-05-01", "date = 2024-08-01")
        .replacen(
            "[[accounts]]",
            "[[supports]]\nname = \"lg\"\nprovider = \"Loan Guarantor Co.\"\n\
             kind = \"asset_guarantee\"\n\n[[accounts]]",
            1,
        );
    for pdl in ["[pdl]\n", "[pdl]\ndefaults = false\n"] {
        let r = run(&src.replace("[pdl]\n", pdl));
        assert_eq!(r.periods[1].pdl_balance_end, Some(dec!(5850.68)), "{pdl}");
        assert_eq!(flow(&r, "B", 2).balance_end, dec!(330850.68));
        assert_eq!(
            moved(
                &r,
                3,
                "guarantee_payment",
                "support:lg",
                "account:principal"
            ),
            dec!(250000.00)
        );
        assert_eq!(flow(&r, "B", 3).interest_paid, dec!(13878.88));
        assert_eq!(
            moved(&r, 3, "transfer", "account:income", "account:principal"),
            dec!(4121.12)
        );
        assert_eq!(r.periods[2].pdl_balance_end, Some(dec!(1729.56)), "{pdl}");
        assert_eq!(flow(&r, "B", 3).principal_paid, dec!(330850.68));
        assert_eq!(flow(&r, "C", 3).principal_paid, dec!(423270.44));
    }
}

/// A PDL cure (`transfer … up_to = "pdl"`) before the steps that pay taxes, fees or senior
/// interest from the same account is a `step_order` warning (since session 34, review 34a
/// item L2: the cure sent back the principal that the `covers` transfer had just moved in, and
/// the default run ended with taxes and fees in arrears). The fixture's order (cure after B's
/// interest) is not told, nor a fee paid from `income` after the cure (a subordinated fee,
/// 超额服务费: review 34d item M1); moved first, the cure comes before step 4, A's interest from
/// `income` (step 2 moves cash from `principal`, step 3 is the fee), and the warning is at the
/// cure's line, 71.
#[test]
fn a_pdl_cure_before_senior_expenses_is_told() {
    let told = |src: &str| located(src, Check::StepOrder);
    let src = fixture();
    assert!(told(&src).is_empty());
    let fee_after = src.replacen(
        "  { action = \"pay_residual\", tranche = \"C\", from = \"income\" },\n",
        "  { action = \"pay_fee\", fees = [\"manager\"], from = \"income\" },\n  \
         { action = \"pay_residual\", tranche = \"C\", from = \"income\" },\n",
        1,
    );
    assert_ne!(fee_after, src);
    assert!(told(&fee_after).is_empty(), "{:?}", told(&fee_after));
    let cure =
        "  { action = \"transfer\", from = \"income\", to = \"principal\", up_to = \"pdl\" },\n";
    let moved =
        src.replacen(cure, "", 1)
            .replacen("normal = [\n", &format!("normal = [\n{cure}"), 1);
    assert_ne!(moved, src);
    let w = told(&moved);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "accounts.toml:71:3: waterfalls.normal[0]");
    assert_eq!(
        w[0].1,
        "step 1 of waterfall `normal` cures the principal deficiency ledger from `income` before \
         step 4 pays taxes or senior interest from it: the cure takes the cash those need; cure \
         the PDL after senior interest"
    );
}

/// A servicer that fails on 2024-02-10 (scenario `commingling`, share 0.3) keeps 30% of each
/// source's deposit of period 1 (01-02 to 04-01): O1's 520,000 and O2's 260,000 paid on 03-15
/// are 30,000 of interest and 750,000 of principal. Lost: fen(30,000 × 0.3) = 9,000.00 from
/// `income`, fen(750,000 × 0.3) = 225,000.00 from `principal`; the PDL is debited by the
/// principal lost, 225,000. Income left 21,000: the fee 2,000 and A's interest
/// fen(1,460,000 × 0.05 × 91/365) = 18,200.00 need no transfer from principal; B's interest
/// (7,280.00 due) takes the last 800.00. A's principal is what `principal` holds, 750,000 −
/// 225,000 = 525,000.00.
#[test]
fn a_failed_servicer_keeps_a_share_of_each_source_and_the_pdl_books_the_principal() {
    let src = fixture();
    let cut = src.find("[scenario]").expect("fixture has [scenario]");
    let r = run(&format!(
        "{}[scenario]\nname = \"servicer-fails\"\ncommingling = {{ date = 2024-02-10, share = 0.3 }}\n",
        &src[..cut]
    ));
    let p1 = &r.periods[0];
    assert_eq!(
        moved(&r, 1, "commingled", "account:income", "servicer"),
        dec!(9000.00)
    );
    assert_eq!(
        moved(&r, 1, "commingled", "account:principal", "servicer"),
        dec!(225000.00)
    );
    assert_eq!(p1.commingled, dec!(234000.00));
    assert_eq!(p1.available_funds, dec!(546000.00));
    assert_eq!(p1.pdl_balance_end, Some(dec!(225000.00)));
    assert_eq!(flow(&r, "A", 1).interest_paid, dec!(18200.00));
    assert_eq!(flow(&r, "B", 1).interest_paid, dec!(800.00));
    assert_eq!(flow(&r, "A", 1).principal_paid, dec!(525000.00));
    assert_eq!(
        moved(&r, 1, "transfer", "account:principal", "account:income"),
        dec!(0)
    );
}

/// `unfilled_account` (docs/errors.md): with named accounts, a step that pays from an account
/// nothing fills is told, at the step. A `release_reserve` step pays from no account and
/// fills the collection account (review 40a item 4: it was told as paying from it, and a
/// transfer moving its release on could not pass `check --strict`). The fixture with a
/// reserve of 10,000 and a target of 0, and a transfer from `collection` to `principal` first:
/// told with nothing before it, not told after a `release_reserve` step, told with the release
/// after it.
#[test]
fn a_reserve_release_fills_the_collection_account() {
    let told = |src: &str| located(src, Check::UnfilledAccount);
    let src = fixture().replacen(
        "[pdl]",
        "[reserve]\ntarget = 0\ninitial = 10000\n\n[pdl]",
        1,
    );
    assert!(told(&src).is_empty(), "{:?}", told(&src));
    let transfer = "  { action = \"transfer\", from = \"collection\", to = \"principal\" },\n";
    let alone = src.replacen("normal = [\n", &format!("normal = [\n{transfer}"), 1);
    let w = told(&alone);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].0.ends_with("waterfalls.normal[0].from"), "{}", w[0].0);
    assert!(
        w[0].1
            .starts_with("this step pays from the collection account, which no `collects` rule"),
        "{}",
        w[0].1
    );
    let released = src.replacen(
        "normal = [\n",
        &format!("normal = [\n  {{ action = \"release_reserve\" }},\n{transfer}"),
        1,
    );
    assert!(told(&released).is_empty(), "{:?}", told(&released));
    // A release after the transfer does not fill the account for it (review 40c F1).
    let late = src.replacen(
        "normal = [\n",
        &format!("normal = [\n{transfer}  {{ action = \"release_reserve\" }},\n"),
        1,
    );
    let w = told(&late);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].1.contains(
            "on its date it holds only reserve and support draws (and what the \
             `release_reserve` of step 2 releases after this step, for the next date); is its \
             `from` missing?"
        ),
        "{}",
        w[0].1
    );
    // The release reaches A through the principal account: 10,000 more principal on date 1.
    let r = run(&released);
    assert_eq!(
        moved(&r, 1, "transfer", "collection", "account:principal"),
        dec!(10000.00)
    );
}
