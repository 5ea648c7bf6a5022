//! The independent oracles, each a Python implementation of the docs written without reading
//! `src/`, run on this build's binary and compared value by value with what it writes:
//!
//! * tests/oracle/README.md: every value of `ipabs run`'s tables for the nine example deals in
//!   192 cases (scenarios and deal variants: delays, defaults, recoveries, CDR, CPR, curves,
//!   supports and the asset guarantee, named accounts, the PDL, the clean-up call, per-unit
//!   notices, receivables, generated licence tables, fee kinds and caps, every trigger
//!   condition with steps, cures and scenario events, a mezzanine tranche, reserve formulas and
//!   step-downs, support caps, backing, interest and repayment, floating rates, revolving
//!   purchases, income on cash held);
//! * tests/oracle_reconcile/README.md: every value `ipabs reconcile` writes (the run tables
//!   restated, `reconciliation.parquet` with its notes by kind, `in_life.parquet`'s Art. 39
//!   flags, the ledger's waterfall rows and the restatement's nets) and `ipabs notice
//!   --actuals`'s figures, for 25 cases of five example deals with actuals files written from
//!   the oracle's own figures (reports as projected, a fen off, 拖欠, defaults by obligor and in
//!   pool totals, triggers declared, notes of every kind), on top of the run oracle.

use std::path::PathBuf;
use std::process::Command;

/// Runs the oracle `script` on this build's binary: it exits 0 and its last line, "C cases, N
/// values compared, N equal, 0 case(s) failing; T s", has at least `min_cases` cases and a
/// thousand values a case (the comparison is not empty).
fn oracle_agrees(script: &str, min_cases: u64) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new("python3")
        .arg(root.join(script))
        .args(["--ipabs", env!("CARGO_BIN_EXE_ipabs")])
        .output()
        .expect("python3 runs (the oracles need Python 3.11+ with pyarrow)");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let last = out.lines().last().unwrap_or_default();
    let n: Vec<u64> = last
        .split([' ', ','])
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        matches!(n[..], [cases, compared, equal, 0, ..]
            if cases >= min_cases && compared >= 1_000 * min_cases && equal == compared),
        "{last}"
    );
}

#[test]
fn every_value_of_the_oracles_cases_equals_the_engines() {
    oracle_agrees("tests/oracle/oracle.py", 192);
}

#[test]
fn every_value_of_the_reconcile_oracles_cases_equals_the_engines() {
    oracle_agrees("tests/oracle_reconcile/reconcile_oracle.py", 25);
}
