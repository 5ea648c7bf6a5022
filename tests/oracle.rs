//! The independent oracles, each a Python implementation of the docs written without reading
//! `src/`, run on this build's binary and compared value by value with what it writes:
//!
//! * tests/oracle/README.md: every value of `ipabs run`'s tables for the nine example deals in
//!   302 cases (scenarios and deal variants: delays, defaults, recoveries, CDR, CPR, curves,
//!   supports and the asset guarantee, named accounts, the PDL, the clean-up call, per-unit
//!   notices, receivables, generated licence tables, fee kinds and caps, every trigger
//!   condition with steps, cures and scenario events, a mezzanine tranche, reserve formulas and
//!   step-downs, support caps, backing, interest and repayment, floating rates, revolving
//!   purchases, income on cash held);
//! * tests/oracle_reconcile/README.md: every value `ipabs reconcile` writes (the run tables
//!   restated, `reconciliation.parquet` with its notes by kind, `in_life.parquet`'s Art. 39
//!   flags, the ledger's waterfall rows and the restatement's nets) and `ipabs notice
//!   --actuals`'s figures, for 58 cases of the example deals with actuals files written from
//!   the oracle's own figures (reports as projected, a fen off, 拖欠, defaults by obligor and in
//!   pool totals, triggers declared, notes of every kind), on top of the run oracle;
//! * tests/oracle_size/README.md: every column of `ipabs size`'s two tables and the sized deal's
//!   balances, on top of the break-even oracle; `cargo test` runs its 9 quick cases;
//! * tests/oracle_portfolio/README.md: what `ipabs sweep` and `ipabs portfolio` add to the runs
//!   (the scenarios, `deals.parquet`, the partitions); `cargo test` runs the quick cases;
//! * tests/oracle_rate/README.md: every column of `ipabs rate`'s `rating.parquet` and
//!   `default_distribution.parquet`, the simulation itself bit for bit (ChaCha8, the Ziggurat
//!   normals, Φ and Φ⁻¹, the Cholesky factor rebuilt from the third-party definitions), the
//!   shards' default patterns, the implied ratings of `mc_tranches.parquet`, threads, shards
//!   and input errors, in 40 cases; `cargo test` runs them all (about 20 seconds);
//! * tests/oracle_breakeven/README.md: every column of `ipabs breakeven`'s table (the run list,
//!   the stressed scenarios, the search with its status changes, the whole-obligor test, the
//!   TDR and the pass rule), on top of the run oracle; `cargo test` runs its 13 quick cases.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

/// Runs the oracle `script` (with `args`) on this build's binary: it exits 0, and its last
/// line, "C cases, [R rows, ]N values compared, N equal, 0 case(s) failing; T s", has at least
/// `min_cases` cases and `min_values` values compared (the comparison is not empty), all equal.
fn oracle_agrees(script: &str, args: &[&str], min_cases: u64, min_values: u64) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("python3")
        .arg(root.join(script))
        .args(["--ipabs", env!("CARGO_BIN_EXE_ipabs")])
        .args(args)
        .output()
        .expect("python3 runs (the oracles need Python 3.11+ with pyarrow)");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let last = out.lines().last().unwrap_or_default();
    // A label before the counts ("total: ", "TOTAL sweep: ") is not one of them.
    let last = last
        .split_once(": ")
        .filter(|(label, _)| !label.contains(|c: char| c.is_ascii_digit()))
        .map_or(last, |(_, counts)| counts);
    // "C cases", "N values compared", … : each count by the words after it.
    let counts: HashMap<&str, u64> = last
        .split(';')
        .next()
        .unwrap_or_default()
        .split(", ")
        .filter_map(|part| {
            let (n, what) = part.split_once(' ')?;
            Some((what, n.parse().ok()?))
        })
        .collect();
    let get = |what: &str| counts.get(what).copied();
    assert!(
        get("cases") >= Some(min_cases)
            && get("values compared") >= Some(min_values)
            && get("equal") == get("values compared")
            && get("case(s) failing") == Some(0),
        "{last}"
    );
}

#[test]
fn every_value_of_the_oracles_cases_equals_the_engines() {
    oracle_agrees("tests/oracle/oracle.py", &[], 302, 820_000);
}

#[test]
fn every_value_of_the_reconcile_oracles_cases_equals_the_engines() {
    oracle_agrees(
        "tests/oracle_reconcile/reconcile_oracle.py",
        &[],
        58,
        160_000,
    );
}

/// The size oracle's quick cases (tests/oracle_size/README.md: every column of
/// `size_steps.parquet` and `sized.parquet` and the sized deal's balances, on top of the
/// break-even and run oracles, the Monte Carlo TDR taken from `ipabs rate`; the full 60 take
/// about 5 minutes and are run by hand).
#[test]
fn every_value_of_the_size_oracles_quick_cases_equals_the_engines() {
    oracle_agrees("tests/oracle_size/size_oracle.py", &["--quick"], 9, 1_900);
}

/// The sweep and portfolio oracles' quick cases (tests/oracle_portfolio/README.md: the grid's
/// scenarios and `scenarios.parquet`, each sweep row against its own run, `deals.parquet`
/// with the portfolio coverage multiple and the break-even columns, the hive partitions; the
/// full portfolio cases take about 4 minutes and are run by hand).
#[test]
fn every_value_of_the_sweep_and_portfolio_oracles_quick_cases_equals_the_engines() {
    oracle_agrees(
        "tests/oracle_portfolio/sweep_oracle.py",
        &["--quick"],
        24,
        33_000,
    );
    oracle_agrees(
        "tests/oracle_portfolio/portfolio_oracle.py",
        &["--quick"],
        15,
        26_000,
    );
}

/// The break-even oracle's quick cases (tests/oracle_breakeven/README.md; the full 30 take
/// about 8 minutes and are run by hand).
#[test]
fn every_value_of_the_breakeven_oracles_quick_cases_equals_the_engines() {
    oracle_agrees(
        "tests/oracle_breakeven/breakeven_oracle.py",
        &["--quick"],
        13,
        1_300,
    );
}

/// The rate oracle's 40 cases (tests/oracle_rate/README.md): the TDRs, intervals, multipliers,
/// large-obligor rates and implied ratings from the default distribution, and the default
/// distribution and the shards' patterns from the simulation rebuilt in Python, bit for bit.
#[test]
fn every_value_of_the_rate_oracles_cases_equals_the_engines() {
    oracle_agrees("tests/oracle_rate/rate_oracle.py", &[], 41, 40_000);
}
