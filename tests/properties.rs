//! Property tests: random valid deals, written as TOML and loaded through
//! `ipabs::validate::deal_from_str`, run through the engine, and checked against invariants
//! re-derived from the output tables. Definitions, case counts and timings:
//! docs/robustness.md.
//!
//! `PROPTEST_CASES=N` overrides every property's case count (e.g. for a long local soak).

#[path = "properties/check.rs"]
mod check;
#[path = "properties/dealgen.rs"]
mod dealgen;
#[path = "properties/mechanics.rs"]
mod mechanics;

use dealgen::{Case, Opts};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use rust_decimal::Decimal;

/// Case counts of the properties (12 800 in total, with `MECHANICS_CASES`, `COMBINED_CASES` and `SAME_RUN_CASES`); `PROPTEST_CASES` overrides them all.
const ACCOUNTING_CASES: u32 = 4_000;
const DETERMINISM_CASES: u32 = 1_600;
const SENIORITY_CASES: u32 = 3_000;
const MONOTONE_CASES: u32 = 2_000;
const ACCOUNTS_CASES: u32 = 1_000;

fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // Shrunk failures are kept as tests in tests/regressions.rs, not in a side file.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        max_shrink_iters: 4_096,
        ..Config::default()
    }
}

/// Loads the case's TOML and applies the default curve to its scenario.
fn load(case: &Case) -> Result<ipabs::deal::Deal, TestCaseError> {
    let mut deal = check::load(&case.toml).map_err(TestCaseError::fail)?;
    deal.scenario.default_rate = case.default_rate;
    Ok(deal)
}

const SENIORITY: Opts = Opts {
    max_obligors: 40,
    max_periods: 12,
    triggers: true,
    standard: true,
    monotone: false,
};

const MONOTONE: Opts = Opts {
    max_obligors: 20,
    max_periods: 12,
    triggers: false,
    standard: true,
    monotone: true,
};

const SMALL: Opts = Opts {
    max_obligors: 20,
    ..Opts::FULL
};

proptest! {
    #![proptest_config(config(ACCOUNTING_CASES))]

    /// Cash is conserved to the fen (re-derived from the tables), nothing is negative, every
    /// ledger amount is positive, and no tranche is repaid more than its initial balance.
    #[test]
    fn cash_is_conserved_and_nothing_goes_negative(case in dealgen::case(Opts::FULL)) {
        let deal = load(&case)?;
        let r = check::run(&deal).map_err(TestCaseError::fail)?;
        check::accounting(&deal, &r).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(config(ACCOUNTS_CASES))]

    /// Issue 12: the same accounting with income and principal accounts, a PDL, transfers,
    /// condition tables, a clean-up call and supports limited by waterfall
    /// (`dealgen::accounts_case`).
    #[test]
    fn accounts_pdl_conditions_and_calls_conserve_cash(case in dealgen::accounts_case(SMALL)) {
        let deal = load(&case)?;
        let r = check::run(&deal).map_err(TestCaseError::fail)?;
        check::accounting(&deal, &r).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(config(DETERMINISM_CASES))]

    /// Loading and running the same file twice gives identical results.
    #[test]
    fn runs_are_deterministic(case in dealgen::case(SMALL)) {
        let a = load(&case)?;
        let b = load(&case)?;
        prop_assert_eq!(format!("{:?}", a), format!("{:?}", b));
        let ra = check::run(&a).map_err(TestCaseError::fail)?;
        let rb = check::run(&a).map_err(TestCaseError::fail)?;
        let rc = check::run(&b).map_err(TestCaseError::fail)?;
        let (da, db, dc) = (format!("{ra:?}"), format!("{rb:?}"), format!("{rc:?}"));
        prop_assert!(da == db, "two runs of one deal differ");
        prop_assert!(da == dc, "runs of two loads of one file differ");
    }
}

proptest! {
    #![proptest_config(config(SENIORITY_CASES))]

    /// With standard waterfalls (seniors first) and senior-closed credit support, a junior
    /// class is never paid on a date when a senior class is short (docs/robustness.md).
    #[test]
    fn seniors_are_paid_before_juniors(case in dealgen::case(SENIORITY)) {
        let deal = load(&case)?;
        let r = check::run(&deal).map_err(TestCaseError::fail)?;
        check::accounting(&deal, &r).map_err(TestCaseError::fail)?;
        check::seniority(&r).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(config(MONOTONE_CASES))]

    /// More defaults never leave the seniors better paid: with default rates r1 < r2 and
    /// everything else equal, senior principal loss + final interest shortfall at r2 is at
    /// least that at r1. Deals without triggers, with supports off, no recoveries and no
    /// pool-balance-based fees or taxes (docs/robustness.md explains each restriction).
    #[test]
    fn more_defaults_never_help_seniors(
        case in dealgen::case(MONOTONE),
        r1 in 0u32..=1000,
        step in 1u32..=1000,
    ) {
        let r2 = (r1 + step).min(1000);
        prop_assume!(r1 < r2);
        let mut deal = load(&case)?;
        deal.scenario.default_rate = Decimal::new(i64::from(r1), 3);
        let low = check::run(&deal).map_err(TestCaseError::fail)?;
        deal.scenario.default_rate = Decimal::new(i64::from(r2), 3);
        let high = check::run(&deal).map_err(TestCaseError::fail)?;
        let (dl, dh) = (check::senior_deficit(&low), check::senior_deficit(&high));
        // Rounding to the fen is not monotone: a fen less pool cash can round a flow-based
        // fee and tax down by a fen each. Allow one fen per rounded cash item per date.
        let tol = check::rounding_tolerance(&deal);
        prop_assert!(
            dh >= dl - tol,
            "senior deficit {} at default_rate {} but {} at {} (tolerance {})",
            dl,
            Decimal::new(i64::from(r1), 3),
            dh,
            Decimal::new(i64::from(r2), 3),
            tol
        );
    }
}

/// Case count of the floating-rate, fee and reserve mechanics property (issue #12).
const MECHANICS_CASES: u32 = 600;

proptest! {
    #![proptest_config(config(MECHANICS_CASES))]

    /// Deals with floating tranche coupons and floating loans, reserve target formulas,
    /// step-downs and separate release steps, fee shares, caps with excess steps, fees on
    /// interest paid and fee dates (mechanics.rs): cash is
    /// conserved under the deal's own index path and under the standard suite's largest index
    /// shifts.
    #[test]
    fn mechanics_conserve_cash((toml, case) in mechanics::all_mechanics_case(SMALL)) {
        let mut deal = check::load(&toml).map_err(TestCaseError::fail)?;
        deal.scenario.default_rate = case.default_rate;
        let r = check::run(&deal).map_err(TestCaseError::fail)?;
        check::accounting(&deal, &r).map_err(TestCaseError::fail)?;
        for s in ipabs::analytics::stress::standard_suite(&deal, &deal.scenario)
            .iter()
            .filter(|s| s.name.starts_with("index"))
        {
            let r = ipabs::engine::run(&deal, s).map_err(|e| TestCaseError::fail(e.to_string()))?;
            check::accounting(&deal, &r).map_err(TestCaseError::fail)?;
        }
    }
}

/// Case count of the property that combines the two blocks above.
const COMBINED_CASES: u32 = 300;

proptest! {
    #![proptest_config(config(COMBINED_CASES))]

    /// The mechanics deals above (floating rates, reserve formulas, fee shares, caps and
    /// excess steps) rewritten with income and principal accounts, a PDL, transfers, `from`
    /// on every step, condition tables and clean-up calls (`dealgen::with_accounts`): the
    /// merged mechanics of issue #12 together still conserve cash, under the deal's own index
    /// path.
    #[test]
    fn mechanics_with_accounts_conserve_cash(
        (toml, case) in mechanics::all_mechanics_case(SMALL),
        seed in proptest::prelude::any::<u64>(),
    ) {
        let toml = dealgen::with_accounts(&toml, seed);
        let mut deal = check::load(&toml).map_err(TestCaseError::fail)?;
        deal.scenario.default_rate = case.default_rate;
        let r = check::run(&deal).map_err(TestCaseError::fail)?;
        check::accounting(&deal, &r).map_err(TestCaseError::fail)?;
    }
}

/// Case count of the property of sweeps' shared runs.
const SAME_RUN_CASES: u32 = 300;

proptest! {
    #![proptest_config(config(SAME_RUN_CASES))]

    /// A sweep runs scenarios without defaults once per `Scenario::defaultless_key` (the
    /// recovery rate and lag and the default timing cannot matter, nor the delay's months
    /// when the delayed fraction is zero). On the full generator's deals (revolving periods,
    /// supports, calls, floating rates, fee mechanics), the deal's scenario without defaults
    /// under two recovery rates, lags and default timings, and with a zero delay fraction
    /// under two delays' months, swept together: each run equals the scenario swept alone
    /// (lean; with every table too, where a sweep shares nothing).
    #[test]
    fn scenarios_without_defaults_share_their_run_exactly(case in dealgen::case(SMALL)) {
        use ipabs::scenario::Pricing;
        use ipabs::sweep::{SweepOptions, sweep};
        let deal = load(&case)?;
        let mut base = deal.scenario.clone();
        base.cdr = Decimal::ZERO;
        base.default_rate = Decimal::ZERO;
        base.obligor_defaults.clear();
        base.overrides.clear();
        let mut a = base.clone();
        a.name = "a".into();
        a.recovery_rate = Decimal::new(2, 1);
        a.recovery_lag_months = 3;
        let mut b = base.clone();
        b.name = "b".into();
        b.recovery_rate = Decimal::ONE;
        b.recovery_lag_months = 12;
        b.default_timing = vec![Decimal::new(5, 1), Decimal::new(5, 1)];
        let mut c = base.clone();
        c.name = "c".into();
        c.delay_fraction = Decimal::ZERO;
        c.delay_months = 2;
        let mut d = c.clone();
        d.name = "d".into();
        d.delay_months = 7;
        let set = [a, b, c, d];
        for flows in [false, true] {
            let opts = SweepOptions { flows, threads: Some(1) };
            let together = sweep(&deal, &set, &Pricing::default(), opts, &())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (s, r) in set.iter().zip(&together) {
                let alone = sweep(&deal, std::slice::from_ref(s), &Pricing::default(), opts, &())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(format!("{r:?}"), format!("{:?}", alone[0]));
            }
        }
    }
}

/// Prints a few generated deals (`cargo test --test properties -- --ignored --nocapture
/// print_sample_deals`), to look at what the generator makes.
#[test]
#[ignore = "prints samples; not a check"]
fn print_sample_deals() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let n: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    for _ in 0..n {
        let case = dealgen::case(SMALL)
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        println!("{case:?}");
        let deal = load(&case).expect("valid");
        let r = check::run(&deal).expect("runs");
        println!(
            "periods {} obligors {} tranches {} warnings {}",
            r.periods.len(),
            deal.obligors.len(),
            deal.tranches.len(),
            r.warnings.len()
        );
    }
}
