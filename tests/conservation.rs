//! Cash is conserved on every example deal, under the base case and under stresses.
//!
//! The engine checks conservation itself and fails with an internal error if it does not hold;
//! this test re-derives the identity from the output tables, independently of that check:
//!
//!   Σ pool_flows.(collected + recovered) + Σ support draws + reserve funded at closing
//!     = Σ payments out of the collection account + collection and reserve balances at the end.

use std::path::PathBuf;

use ipabs::engine::{self, result::RunResult};
use ipabs::scenario::Scenario;
use ipabs::validate::load_deal;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn deals() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("deals"))
        .expect("deals/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        // deals/cohort.toml lists the deals (docs/portfolio.md); it is not one.
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && !p.ends_with("cohort.toml"))
        .collect();
    v.push(root.join("tests/fixtures/hand_worked.toml"));
    v.sort();
    v
}

fn stresses(n_obligors: usize, n_supports: usize) -> Vec<Scenario> {
    let base = Scenario::base();
    let mut v = vec![
        base.clone(),
        Scenario {
            name: "cdr".into(),
            cdr: dec!(0.15),
            recovery_rate: dec!(0.4),
            recovery_lag_months: 6,
            ..base.clone()
        },
        Scenario {
            name: "delay".into(),
            delay_fraction: dec!(0.3),
            delay_months: 6,
            ..base.clone()
        },
        Scenario {
            name: "cpr".into(),
            cpr: dec!(0.25),
            ..base.clone()
        },
        Scenario {
            name: "everything".into(),
            cdr: dec!(0.3),
            recovery_rate: dec!(0.2),
            recovery_lag_months: 3,
            delay_fraction: dec!(0.5),
            delay_months: 2,
            cpr: dec!(0.1),
            supports_off: (0..n_supports).collect(),
            ..base.clone()
        },
    ];
    for o in 0..n_obligors {
        v.push(Scenario {
            name: format!("obligor-{o}"),
            obligor_defaults: vec![(o, chrono::NaiveDate::MIN)],
            recovery_rate: dec!(0.5),
            recovery_lag_months: 4,
            ..base.clone()
        });
    }
    v
}

fn check_identity(deal: &ipabs::deal::Deal, r: &RunResult, reserve_funding: Decimal) {
    let pool: Decimal = r.pool_flows.iter().map(|p| p.collected + p.recovered).sum();
    let support: Decimal = r
        .ledger
        .iter()
        .filter(|e| r.accounts.name(e.source).starts_with("support:"))
        .map(|e| e.amount)
        .sum();
    // Payments: from the collection account or a named account (`account:<name>`) to a payee.
    let internal = |n: &str| n == "collection" || n.starts_with("account:");
    let payments: Decimal = r
        .ledger
        .iter()
        .filter(|e| {
            internal(r.accounts.name(e.source))
                && !internal(r.accounts.name(e.destination))
                && r.accounts.name(e.destination) != "reserve"
        })
        .map(|e| e.amount)
        .sum();
    // A clean-up call's price comes in from the originator.
    let call: Decimal = r
        .ledger
        .iter()
        .filter(|e| e.action.name() == "clean_up_call")
        .map(|e| e.amount)
        .sum();
    let last = r.periods.last().expect("periods");
    let accounts = last.accounts_balance_end.unwrap_or(Decimal::ZERO);
    assert_eq!(
        pool + support + reserve_funding + call,
        payments + last.collection_balance_end + last.reserve_balance_end + accounts,
        "{} / {}",
        r.deal,
        r.scenario
    );
    // Tranche flows add up row by row and never go negative.
    for t in &r.tranche_flows {
        assert_eq!(t.balance_end, t.balance_start - t.principal_paid);
        assert!(t.balance_end >= Decimal::ZERO);
        assert!(t.interest_paid <= t.interest_due);
        assert_eq!(t.interest_shortfall, t.interest_due - t.interest_paid);
    }
    for p in &r.pool_flows {
        assert!(p.balance_end >= Decimal::ZERO && p.collected >= Decimal::ZERO);
    }
    // The pool's roll-forward (review 27b item H2), obligor by obligor: its balance at cutoff
    // (the principal of its instalments, from the deal) is collected (on time or prepaid),
    // defaulted or left at the end. An obligor with delayed cash is left out: principal
    // delayed past the last collection period leaves the deal (docs/conventions.md), and its
    // row does not say how much of it is principal.
    let mut rolled = 0;
    for o in &deal.obligors {
        let rows: Vec<_> = r
            .pool_flows
            .iter()
            .filter(|p| *p.obligor == *o.name)
            .collect();
        if rows.iter().any(|p| !p.delayed.is_zero()) {
            continue;
        }
        let cutoff: Decimal = o
            .assets
            .iter()
            .flat_map(|a| &a.instalments)
            .map(|i| i.principal)
            .sum();
        let gone: Decimal = rows
            .iter()
            .map(|p| p.principal_collected + p.defaulted)
            .sum();
        let left = rows.last().map_or(Decimal::ZERO, |p| p.balance_end);
        assert_eq!(
            cutoff,
            gone + left,
            "{} / {}: {}",
            r.deal,
            r.scenario,
            o.name
        );
        rolled += 1;
    }
    if r.scenario != "delay" && r.scenario != "everything" {
        assert_eq!(rolled, deal.obligors.len(), "{} / {}", r.deal, r.scenario);
    }
    for p in &r.periods {
        assert!(
            p.collection_balance_end >= Decimal::ZERO && p.reserve_balance_end >= Decimal::ZERO
        );
    }
}

#[test]
fn every_example_deal_conserves_cash_under_stress() {
    let mut runs = 0;
    for path in deals() {
        let loaded = load_deal(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let deal = &loaded.deal;
        let funding = deal.reserve.as_ref().map_or(Decimal::ZERO, |r| r.initial);
        for mut s in stresses(deal.obligors.len(), deal.supports.len()) {
            // Named defaults at the first collection date of the deal.
            for d in &mut s.obligor_defaults {
                d.1 = deal.periods[0].collection_start;
            }
            let r = engine::run(deal, &s)
                .unwrap_or_else(|e| panic!("{} / {}: {e}", path.display(), s.name));
            check_identity(deal, &r, funding);
            runs += 1;
        }
    }
    assert!(runs >= 5 * 5);
}
